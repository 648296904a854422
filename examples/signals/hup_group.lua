-- R03 — perlipc "Signals": HUP to the whole process group, HUP ignored here.
--
--   {
--       local $SIG{HUP} = "IGNORE";
--       kill HUP => -getpgrp();
--       # snazzy writing of: kill("HUP", -getpgrp())
--   }
--
-- Three children share our process group and wait for HUP; one kill to the
-- negative group id reaches them all, while the sender, with HUP ignored for
-- the moment, survives its own signal.
-- Usage: unixipc examples/signals/hup_group.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/signals/hup_group.lua\n",
                  "  (no arguments: HUPs its own process group of three children)\n")
  os.exit(2)
end

-- Lead a process group of our own first: the group we were started in may
-- hold the shell or test runner that started us, and they must not get HUP.
if ipc.getpgrp() ~= ipc.getpid() then assert(ipc.setpgid(0, 0)) end
io.stdout:setvbuf("line")   -- parent and children share stdout: whole lines

local me = ipc.getpid()
print(string.format("parent %d leads process group %d", me, ipc.getpgrp()))

-- The children inherit this handler at fork, so none can miss the HUP.
ipc.SIG.HUP = function(name, info)
  print(string.format("child %d: got SIG%s from %d", ipc.getpid(), name, info.pid))
end

local kids = {}
for i = 1, 3 do
  local pid = assert(ipc.fork())
  if pid == 0 then
    -- pause returns once the handler has run; 10 s at most.
    local got = ipc.timeout(10, ipc.pause)
    io.stdout:flush()
    ipc._exit(got and 0 or 1)
  end
  kids[i] = pid
  print(string.format("child %d started", pid))
end

-- Our own HUP would kill us by default; only the children keep a handler.
ipc.SIG.HUP = "DEFAULT"

-- Perl's `local $SIG{HUP} = "IGNORE"`: ignored while the kill runs, then
-- restored. The signal to ourselves is discarded, not deferred.
print(string.format("parent %d: kill('HUP', -%d) with HUP ignored here", me, ipc.getpgrp()))
ipc.with_signal("HUP", "IGNORE", function()
  assert(ipc.kill("HUP", -ipc.getpgrp()))
end)

local ok = true
for _, pid in ipairs(kids) do
  local done, _, how, code = ipc.timeout(15, ipc.waitpid, pid)
  if not done then   -- never here unless something is badly wrong
    ipc.kill("KILL", pid)
    _, how, code = ipc.waitpid(pid)
  end
  print(string.format("child %d %s %s", pid, how == "exit" and "exited" or "killed by", code))
  ok = ok and how == "exit" and code == 0
end
print(string.format("parent %d: still running, its own HUP was ignored", me))
os.exit(ok and 0 or 1)
