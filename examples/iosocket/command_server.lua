-- R36 — perlipc "TCP Servers with IO::Socket": a command server that
-- prompts its one client at a time for commands (quit date who cookie motd).
-- The prompt has no newline: read it with biclient.lua (the sysread variant).
-- Usage: unixipc examples/iosocket/command_server.lua [PORT=9000]   (0 picks a free port)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/iosocket/command_server.lua [PORT=9000]"
if #arg > 1 then recipe.usage(USAGE) end
local PORT = recipe.number(1, 9000, USAGE)   -- pick something not in use

-- `/usr/games/fortune 2>&1` when it runs, else a saying of our own.
local function cookie()
  local out, how, code = ipc.capture("/usr/games/fortune 2>&1")
  if how == "exit" and code == 0 then return out end
  return "There is more than one way to do it.\n"
end

-- backticks: the command's output, or its error
local function run(cmd)
  return ipc.capture(cmd) or ""
end

local server, err = ipc.listen{ host = "127.0.0.1", port = PORT, proto = "tcp", reuse = true }
if not server then io.stderr:write("can't setup server: ", err, "\n") os.exit(1) end

-- TERM or INT: log and leave. Set before the start line, so a signal sent
-- as soon as it shows is handled; the handler runs at a safe point, even
-- while accept() waits.
for _, sig in ipairs{ "TERM", "INT" } do
  ipc.SIG[sig] = function(name) recipe.log("[Server stopped by SIG%s]", name) os.exit(0) end
end

recipe.started("port " .. server:getsockname().port)
recipe.log("[Server %s accepting clients]", arg[0])

while true do
  local client, addr = server:accept()
  if client then
    client:write("Welcome to ", arg[0], "; type help for command list.\n")
    recipe.log("[Connect from %s]", ipc.gethostbyaddr(addr.host) or addr.host)
    client:write("Command? ")
    -- read until the client leaves (nil at its end, or nil and an error
    -- when it vanished: lines() would raise that error)
    for line in function() return client:read("L") end do
      line = line:lower()   -- Perl matched with /i
      if line:match("%S") then   -- a blank line only gets a new prompt
        if line:find("quit") or line:find("exit") then break
        elseif line:find("date") or line:find("time") then
          client:write(os.date("%a %b %e %H:%M:%S %Y"), "\n")
        elseif line:find("who") then client:write(run("who 2>&1"))
        elseif line:find("cookie") then client:write(cookie())
        elseif line:find("motd") then client:write(run("cat /etc/motd 2>&1"))
        else client:write("Commands: quit date who cookie motd\n")
        end
      end
      client:write("Command? ")
    end
    client:close()
  end
end
