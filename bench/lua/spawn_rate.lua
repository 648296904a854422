-- spawn_rate: /bin/true COUNT times with ipc.spawn, each waited for with
-- p:wait(), after taking MIB MiB of touched memory (posix_spawn's fast
-- path does not copy page tables, so it should not care).
--   usage: unixipc spawn_rate.lua [COUNT [MIB]]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local count = bench.arg(1, 2000)
local mib = arg[2] and bench.arg(2) or 0

-- Distinct 1 MiB strings (long strings are not shared), every page written.
local ballast = {}
for i = 1, mib do ballast[i] = string.rep(string.char(i % 256), 1 << 20) end
collectgarbage()

local spawn, argv = ipc.spawn, { "/bin/true" }
local t0 = bench.now()
for _ = 1, count do
  local p = bench.try(spawn(argv))
  local ok, how, code = p:wait()
  bench.check(ok == true and how == "exit" and code == 0,
    "/bin/true: %s %s %s", tostring(ok), tostring(how), tostring(code))
end
bench.report(t0, bench.now())
bench.check(#ballast == mib, "ballast lost")
