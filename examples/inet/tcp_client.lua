-- R25 — perlipc "Internet TCP Clients and Servers": the TCP client.
-- Connects and prints everything the server sends, byte for byte.
-- Usage: unixipc examples/inet/tcp_client.lua [HOST=localhost] [PORT=2345]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/inet/tcp_client.lua [HOST=localhost] [PORT=2345]"
if #arg > 2 then recipe.usage(USAGE) end
local remote = arg[1] or "localhost"
local port = arg[2] or 2345
-- a port that is not a number is a service name ("daytime")
if tostring(port):match("%D") then
  port = ipc.getservbyname(port, "tcp")
  if not port then recipe.usage(USAGE, "No port: unknown service ", arg[2], "\n") end
end

local sock, err = ipc.connect{ host = remote, port = port }
if not sock then io.stderr:write(err, "\n") os.exit(1) end
-- "L" keeps each line's terminator (the server's CRLF) and the last line
-- even without one.
for line in sock:lines("L") do io.write(line) end
sock:close()
