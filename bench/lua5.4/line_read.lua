-- line_read for stock Lua 5.4 (a reference column): `for line in
-- io.popen(cmd):lines()` reads the same lines from a child. Stock Lua cannot
-- fork itself, so the text is made first (by the C program's writer mode,
-- into a temporary file) and the child is cat(1), which keeps well ahead of
-- any reader. The clock (date(1): stock Lua has no monotonic one) starts
-- before the popen, so starting cat is timed too (about a millisecond).
--   usage: lua5.4 line_read.lua [LINES]
local here = arg[0]:match("^(.*)/") or "."
package.path = here .. "/../lua/?.lua;" .. package.path
local bench = require "bench"

local lines = bench.arg(1, 2000000)
local writer = here .. "/../../build/bench/line_read"
local len = bench.lines_bytes(lines)
local file = os.tmpname()
local made = os.execute(string.format("'%s' --writer %d > '%s'", writer, lines, file))
if not made then os.remove(file); bench.fail("could not make the lines with %s", writer) end

local t0 = bench.now()
local f = assert(io.popen(string.format("exec cat '%s'", file)))
local count, bytes = 0, 0
for line in f:lines() do
  count = count + 1
  bytes = bytes + #line + 1
end
local t1 = bench.now()
local ok, how, code = f:close()
os.remove(file)
bench.check(ok, "cat failed (%s %s)", how, code)
bench.check(count == lines and bytes == len,
  "read %d lines / %d bytes, expected %d / %d", count, bytes, lines, len)
bench.report(t0, t1)
