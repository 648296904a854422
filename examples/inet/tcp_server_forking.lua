-- R27 — perlipc "Internet TCP Clients and Servers": the multitasking
-- server. Each client gets a child of its own (fork), whose stdin and stdout
-- are the connection: it greets, then runs a program (fortune) or, without
-- one, prints a saying. A CHLD handler (REAPER) reaps the children as they
-- end, so none stays a zombie.
-- Usage: unixipc examples/inet/tcp_server_forking.lua [PORT=2345] [PROGRAM [ARGS...]]
--   PROGRAM defaults to fortune when it is installed, else a built-in saying.
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/inet/tcp_server_forking.lua [PORT=2345] [PROGRAM [ARGS...]]"
local port = recipe.number(1, 2345, USAGE)
local EOL = "\r\n"

-- The program each child runs, as an argument list.
local program = table.move(arg, 2, #arg, 1, {})
if #program == 0 then
  for _, path in ipairs{ "/usr/games/fortune", "/usr/bin/fortune" } do
    if ipc.filetype(path) == "file" then program = { path } break end
  end
end

local logmsg = recipe.logmsg

local server = recipe.listen(port)

local children = {}   -- pid -> true while a child runs

-- REAPER: one CHLD may stand for several children that ended, so loop
-- until waitpid has nothing more. It runs at a safe point (never in the
-- middle of accept's bookkeeping), and accept just goes on afterwards:
-- unixipc never lets EINTR reach Lua, the `next if $!{EINTR}` of perlipc.
ipc.SIG.CHLD = function()
  while true do
    local pid, how, code = ipc.waitpid(-1, "nohang")
    if not pid or pid == 0 then break end
    children[pid] = nil
    logmsg("reaped %d%s", pid, (how == "exit" and code == 0) and "" or
      string.format(" with %s %d", how, code))
  end
end

-- TERM or INT: stop the children still running, reap them, and leave
-- (set, like REAPER, before the start line: a signal may follow it at once).
for _, sig in ipairs{ "TERM", "INT" } do
  ipc.SIG[sig] = function(name)
    ipc.SIG.CHLD = "DEFAULT"
    for pid in pairs(children) do ipc.kill("TERM", pid) end
    for pid in pairs(children) do ipc.waitpid(pid) end
    logmsg("caught SIG%s, shutting down", name)
    os.exit(0)
  end
end

recipe.started("port " .. server:getsockname().port)

-- Perl's spawn(CLIENT, CODEREF): fork; the child gets the client as its
-- stdin and stdout and runs fn, never returning here.
local function spawn(client, fn)
  -- CHLD waits while we fork and note the child, so REAPER never sees a
  -- child before "begat" (it may end at once).
  local pid, msg = ipc.blocked("CHLD", function()
    local pid, msg = ipc.fork()
    if pid and pid > 0 then
      children[pid] = true
      logmsg("begat %d", pid)
    end
    return pid, msg
  end)
  if not pid then
    logmsg("cannot fork: %s", msg)
    return
  elseif pid > 0 then
    return   -- I'm the parent
  end
  -- else I'm the child: plain signal handling again, then go spawn
  for _, sig in ipairs{ "TERM", "INT", "CHLD" } do ipc.SIG[sig] = "DEFAULT" end
  assert(ipc.dup2(client, 0), "can't dup client to stdin")
  assert(ipc.dup2(client, 1), "can't dup client to stdout")
  client:close()
  local ok, why = pcall(fn)
  if not ok then io.stderr:write(tostring(why), "\n") end
  io.stdout:flush()
  ipc._exit(ok and 0 or 1)
end

while true do
  local client, addr = server:accept()
  if client then
    local name = ipc.gethostbyaddr(addr.host) or addr.host
    logmsg("connection from %s [%s] at port %d", name, addr.host, addr.port)
    spawn(client, function()
      io.write("Hello there, ", name, ", it's now ", os.date("%a %b %e %H:%M:%S %Y"), EOL)
      io.stdout:flush()   -- before exec replaces this process
      if #program > 0 then
        -- the program's own line terminators are "wrong" (LF), as in perlipc
        local _, why = ipc.exec(table.unpack(program))
        error("can't exec " .. program[1] .. ": " .. tostring(why), 0)
      end
      io.write("Lua: small, fast, and yours to embed.", EOL)
    end)
    client:close()   -- the child has its own copy
  end
end
