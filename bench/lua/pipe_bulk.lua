-- pipe_bulk: TOTAL bytes parent -> child through an ipc.pipe() in BLOCK-byte
-- writes (unbuffered handle); the child sysreads BLOCK at a time and checks
-- the count.   usage: unixipc pipe_bulk.lua [TOTAL [BLOCK]]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local total = bench.arg(1, 256 * 1024 * 1024)
local block = bench.arg(2, 65536)
local data = string.rep("x", block)
local r, w = bench.try(ipc.pipe())

local t0 = bench.now()
local pid = bench.try(ipc.fork())
if pid == 0 then
  w:close()
  local got = 0
  while true do
    local s, err = r:sysread(block)
    if not s then
      bench.check(err == nil, "read: %s", err)
      break
    end
    got = got + #s
  end
  bench.check(got == total, "child read %d bytes, expected %d", got, total)
  ipc._exit(0)
end
r:close()
local left = total
while left > 0 do
  local ok, err = w:write(left >= block and data or data:sub(1, left))
  if not ok then bench.fail("write: %s", err) end
  left = left - block
end
w:close()
bench.wait_ok(pid)
bench.report(t0, bench.now())
