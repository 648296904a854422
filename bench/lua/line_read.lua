-- line_read: a child writes LINES lines "line %d of the benchmark\n" through
-- an ipc.pipe(); the parent reads them with `for line in r:lines()` and
-- checks the line and byte counts. The child makes all the text first and
-- says so on a second pipe; the clock starts then, so what is timed is the
-- reading.   usage: unixipc line_read.lua [LINES]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local lines = bench.arg(1, 2000000)
local r, w = bench.try(ipc.pipe())
local ready_r, ready_w = bench.try(ipc.pipe())

local pid = bench.try(ipc.fork())
if pid == 0 then
  r:close()
  ready_r:close()
  local text = bench.make_lines(lines)
  bench.try(ready_w:write(#text, "\n"))
  bench.try(w:write(text))
  ipc._exit(0)
end
w:close()
ready_w:close()
local len = tonumber(ready_r:read("l")) or bench.fail("the writer did not get ready")

local t0 = bench.now()
local count, bytes = 0, 0
for line in r:lines() do
  count = count + 1
  bytes = bytes + #line + 1
end
local t1 = bench.now()
r:close()
bench.wait_ok(pid)
bench.check(count == lines and bytes == len,
  "read %d lines / %d bytes, expected %d / %d", count, bytes, lines, len)
bench.report(t0, t1)
