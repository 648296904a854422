-- sysv_sem: PAIRS semaphore P/V pairs (op -1, then +1) on one SysV
-- semaphore (ipc.sem) that starts at 1; it must be 1 again at the end.
--   usage: unixipc sysv_sem.lua [PAIRS]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local pairs_ = bench.arg(1, 1000000)
local s = bench.try(ipc.sem("private", 1))
bench.try(s:setval(0, 1))
local P, V = { { 0, -1, 0 } }, { { 0, 1, 0 } }

local t0 = bench.now()
for _ = 1, pairs_ do
  local ok, err = s:op(P)
  if ok then ok, err = s:op(V) end
  if not ok then bench.fail("semop: %s", err) end
end
local t1 = bench.now()
local value = s:getval(0)
s:remove()
bench.check(value == 1, "value %s at the end, expected 1", tostring(value))
bench.report(t0, t1)
