-- R14 — perlipc "Background Processes".
--
--   system("cmd &");
--
-- The shell starts the command in the background and exits at once, so
-- system returns at once. The command is the shell's child, not ours: when
-- the shell exits it is handed to init, which reaps it, so there is no CHLD
-- to catch and no zombie to worry about. It shares our stdout and stderr.
-- Usage: unixipc examples/pipes/background.lua [COMMAND]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 1 then
  recipe.usage("unixipc examples/pipes/background.lua [COMMAND]",
    "  (default: \"sleep 1 && echo the background command is done\")\n")
end
local command = (arg[1] or "sleep 1 && echo the background command is done") .. " &"

local t0 = ipc.monotime()
local ok, how, code = ipc.system(command)
print(string.format("system(%q) returned %s %s after %.1f s", command,
  how, code, ipc.monotime() - t0))

-- Nothing of ours to reap: the shell is gone and the command is not our child.
local pid, msg = ipc.waitpid(-1, "nohang")
print(pid == nil and "no child of ours to reap: " .. msg:gsub("^.*: ", "")
  or "unexpected: waitpid returned " .. tostring(pid))
if not ok then os.exit(1) end
