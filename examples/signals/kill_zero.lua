-- R04 — perlipc "Signals": signal 0 checks that a process is alive.
--
--   unless (kill 0 => $kid_pid) {
--       warn "something wicked happened to $kid_pid";
--   }
--   unless (kill(0 => $pid) || $!{EPERM}) {
--       warn "$pid looks dead";
--   }
--
-- Signal 0 is never delivered: the kernel only checks that the process exists
-- and that we may signal it. EPERM means it exists but is not ours.
-- Usage: unixipc examples/signals/kill_zero.lua PID...
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require("recipe")

local USAGE = "unixipc examples/signals/kill_zero.lua PID..."
if #arg == 0 then recipe.usage(USAGE) end
local pids = {}
for i = 1, #arg do
  pids[i] = recipe.number(i, nil, USAGE)
  if pids[i] == 0 then recipe.usage(USAGE) end   -- 0 would mean our own group
end

local dead = 0
for _, pid in ipairs(pids) do
  local n, msg, errno = ipc.kill(0, pid)
  if n then
    print(pid .. " is alive")
  elseif errno == ipc.errno.EPERM then
    print(pid .. " is alive, but not ours to signal (" .. msg .. ")")
  else
    print(pid .. " looks dead (" .. msg .. ")")
    dead = dead + 1
  end
end
os.exit(dead == 0 and 0 or 1)
