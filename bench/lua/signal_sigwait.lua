-- signal_sigwait: like signal_roundtrip, but both sides take the signals
-- synchronously with ipc.sigwait (blocked once, before the fork, so the
-- blocking is not timed per round). Each side checks the signal name and
-- the sender's pid every round.   usage: unixipc signal_sigwait.lua [ROUNDS]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local rounds = bench.arg(1, 20000)
local parent = ipc.getpid()
ipc.sigblock("USR1", "USR2")

-- Wait for `want` from `from`, or fail.
local function take(set, want, from)
  local name, info = ipc.sigwait(set)
  if name ~= want or info.pid ~= from then
    bench.fail("got %s from %s, expected %s from %d", tostring(name),
      tostring(type(info) == "table" and info.pid or info), want, from)
  end
end

local t0 = bench.now()
local pid = bench.try(ipc.fork())
if pid == 0 then
  local usr1 = {"USR1"}
  for _ = 1, rounds do
    take(usr1, "USR1", parent)
    bench.try(ipc.kill("USR2", parent))
  end
  ipc._exit(0)
end
local usr2 = {"USR2"}
for _ = 1, rounds do
  bench.try(ipc.kill("USR1", pid))
  take(usr2, "USR2", pid)
end
bench.wait_ok(pid)
bench.report(t0, bench.now())
