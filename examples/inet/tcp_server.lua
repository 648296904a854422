-- R26 — perlipc "Internet TCP Clients and Servers": the iterative server.
-- Each client is greeted with "Hello there, NAME, it's now TIME" and the
-- Internet line terminator CRLF, then the connection is closed.
-- Usage: unixipc examples/inet/tcp_server.lua [PORT=2345]   (0 picks a free port)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/inet/tcp_server.lua [PORT=2345]"
if #arg > 1 then recipe.usage(USAGE) end
local port = recipe.number(1, 2345, USAGE)
local EOL = "\r\n"

local logmsg = recipe.logmsg

local server = recipe.listen(port)

recipe.exit_on_term()  -- before the start line: a signal may follow it at once

recipe.started("port " .. server:getsockname().port)

while true do
  local client, addr = server:accept()
  if client then
    -- the name of the peer's address, or the address when it has none
    local name = ipc.gethostbyaddr(addr.host) or addr.host
    logmsg("connection from %s [%s] at port %d", name, addr.host, addr.port)
    client:write("Hello there, ", name, ", it's now ", os.date("%a %b %e %H:%M:%S %Y"), EOL)
    client:close()
  end
end
