-- signal_roundtrip: the parent sends USR1, the child's Lua handler answers
-- USR2, ROUNDS times; each side waits with ipc.pause(), which counts queued
-- deliveries, so nothing can be lost between a test and the wait.
--   usage: unixipc signal_roundtrip.lua [ROUNDS]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local rounds = bench.arg(1, 20000)
local got = 0
local parent = ipc.getpid()         -- known before the fork: a USR1 may come at once
ipc.SIG.USR1 = function() got = got + 1; ipc.kill("USR2", parent) end  -- child
ipc.SIG.USR2 = function() got = got + 1 end                            -- parent

local t0 = bench.now()
local pid = bench.try(ipc.fork())
if pid == 0 then
  while got < rounds do ipc.pause() end
  ipc._exit(got == rounds and 0 or 1)
end
for i = 1, rounds do
  bench.try(ipc.kill("USR1", pid))
  while got < i do ipc.pause() end
end
bench.wait_ok(pid)
bench.check(got == rounds, "parent got %d USR2, expected %d", got, rounds)
bench.report(t0, bench.now())
