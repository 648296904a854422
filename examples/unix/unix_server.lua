-- R31 — perlipc "Unix-Domain TCP Clients and Servers": the forking server.
--
-- It listens on a socket in the file system, logs "connection on PATH" for
-- each client and forks a child that greets it and runs fortune with the
-- client as stdin and stdout (a built-in saying where fortune is missing).
-- A CHLD handler (perlipc's REAPER) reaps the children as they end, so none
-- is left a zombie. On TERM or INT (or after COUNT clients) it stops
-- accepting, waits for its children and removes its socket.
-- Usage: unixipc examples/unix/unix_server.lua [PATH=catsock] [COUNT]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"

local USAGE = "unixipc examples/unix/unix_server.lua [PATH=catsock] [COUNT]"
if #arg > 2 or arg[1] == "" then recipe.usage(USAGE) end
local NAME = arg[1] or "catsock"
local count = recipe.number(2, nil, USAGE)  -- nil: serve until TERM or INT

local SAYING = "A Unix-domain socket is a file that talks back.\n"

local logmsg = recipe.logmsg

local server, err = ipc.listen{ path = NAME }
if not server then
  io.stderr:write(err, "\n")
  os.exit(1)
end

local children = {}  -- pid -> true while a child runs

-- REAPER: several children may end before it runs, so loop until none is
-- left to reap.
ipc.SIG.CHLD = function()
  while true do
    local pid, how, code = ipc.waitpid(-1, "nohang")
    if not pid or pid == 0 then break end
    children[pid] = nil
    logmsg("reaped %d%s", pid, (how == "exit" and code == 0) and ""
      or string.format(" with %s %d", how, code))
  end
end

-- TERM and INT end the accept loop with an error, caught below; once we
-- are stopping, more of them change nothing.
local stopping = false
local function stop(name)
  if stopping then return end
  stopping = true
  error("stopped by SIG" .. name, 0)
end

-- Fork a child that runs fn with the client as its stdin and stdout.
local function spawn(client, fn)
  local pid, msg = ipc.fork()
  if not pid then
    logmsg("cannot fork: %s", msg)
    return
  elseif pid > 0 then
    children[pid] = true
    logmsg("begat %d", pid)
    return
  end
  -- the child: its own TERM and INT are the default ones again
  ipc.SIG.TERM, ipc.SIG.INT, ipc.SIG.CHLD = "DEFAULT", "DEFAULT", "DEFAULT"
  server:close()
  ipc.dup2(client, 0)
  ipc.dup2(client, 1)
  client:close()
  local ok, e = pcall(fn)
  if not ok then io.stderr:write(tostring(e), "\n") end
  io.stdout:flush()
  ipc._exit(ok and 0 or 1)
end

local served = 0
local ok, why = pcall(function()
  ipc.SIG.TERM, ipc.SIG.INT = stop, stop
  recipe.started(NAME)
  while count == nil or served < count do
    local client, msg = server:accept()
    if not client then error(msg, 0) end
    served = served + 1
    logmsg("connection on %s", NAME)
    spawn(client, function()
      io.write("Hello there, it's now ", os.date(), "\n")
      io.stdout:flush()  -- exec replaces this process, buffers and all
      ipc.exec("/usr/games/fortune")
      ipc.exec("fortune")
      io.write(SAYING)  -- no fortune here: the built-in saying
    end)
    client:close()  -- the child has its own copy
  end
  stopping = true
end)

-- Stop: no more clients, then no child left behind.
server:close()
os.remove(NAME)
local deadline = ipc.monotime() + 3
while next(children) and ipc.monotime() < deadline do
  ipc.sleep(0.05)  -- the REAPER runs meanwhile
end
ipc.SIG.CHLD = "DEFAULT"  -- from here on, only we reap
for pid in pairs(children) do
  ipc.kill("TERM", pid)
  ipc.waitpid(pid)
end
if not ok then logmsg("%s", why) end
