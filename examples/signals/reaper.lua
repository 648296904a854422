-- R05 — perlipc "Signals": a CHLD handler that loops on waitpid(-1, WNOHANG).
--
--   use POSIX ":sys_wait_h";
--   $SIG{CHLD} = sub {
--       while ((my $child = waitpid(-1, WNOHANG)) > 0) {
--           $Kid_Status{$child} = $?;
--       }
--   };
--   # do something that forks...
--
-- The kernel keeps at most one CHLD pending: children that die together
-- raise it once. Reaping only one per signal would leave zombies behind, so
-- the handler reaps until none is ready.
-- Usage: unixipc examples/signals/reaper.lua [N=10]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require("recipe")

local USAGE = "unixipc examples/signals/reaper.lua [N children=10]"
if #arg > 1 then recipe.usage(USAGE) end
local n = recipe.number(1, 10, USAGE)

local kid_status, reaped, calls = {}, 0, 0

-- Handlers run at a safe point (not inside the C signal handler), so this
-- one may print and allocate freely.
ipc.SIG.CHLD = function()
  calls = calls + 1
  while true do
    local child, how, code = ipc.waitpid(-1, "nohang")
    if not child or child == 0 then break end   -- none left / none ready
    kid_status[child] = { how, code }
    reaped = reaped + 1
    print(string.format("reaped %d: %s %d", child, how, code))
  end
end

-- Child i sleeps a little, then exits with status i: the first few die
-- together, to show one CHLD standing for several children.
local kids = {}
for i = 1, n do
  local pid = assert(ipc.fork())
  if pid == 0 then
    ipc.sleep(i <= n // 2 and 0.2 or 0.2 + 0.05 * i)
    ipc._exit(i % 256)
  end
  kids[i] = pid
  print(string.format("begat %d (child %d)", pid, i))
end

-- pause returns after the handler ran (never missing one that ran just
-- before it); 30 s at most in all.
local deadline = ipc.monotime() + 30
while reaped < n and ipc.monotime() < deadline do
  ipc.timeout(1, ipc.pause)
end

local all = true
for i, pid in ipairs(kids) do
  local st = kid_status[pid]
  all = all and st ~= nil and st[1] == "exit" and st[2] == i % 256
end
local zombie = ipc.waitpid(-1, "nohang")   -- nil (ECHILD): no child at all
print(string.format("%d children, %d reaped by %d runs of the handler; %s",
  n, reaped, calls, zombie == nil and "no zombie left" or "some child is left"))
os.exit((all and zombie == nil) and 0 or 1)
