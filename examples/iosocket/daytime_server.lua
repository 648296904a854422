-- R33 — the local daytime peer (RFC 867) for perlipc's "A Simple Client":
-- every connection gets one line, the time as ctime text ending in CRLF.
-- Usage: unixipc examples/iosocket/daytime_server.lua [PORT=13]   (0 picks a free port)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/iosocket/daytime_server.lua [PORT=13]"
if #arg > 1 then recipe.usage(USAGE) end
local port = recipe.number(1, 13, USAGE)

local logmsg = recipe.logmsg

-- Port 13 needs root; try 0 (any free port) or one above 1023.
local server = recipe.listen(port)

recipe.exit_on_term()  -- before the start line: a signal may follow it at once

recipe.started("port " .. server:getsockname().port)

while true do
  local client, addr = server:accept()
  if client then
    logmsg("connection from %s [%s] at port %d",
      ipc.gethostbyaddr(addr.host) or addr.host, addr.host, addr.port)
    client:write(os.date("%a %b %e %H:%M:%S %Y"), "\r\n")
    client:close()
  end
end
