-- R32 — perlipc "TCP Clients with IO::Socket", "A Simple Client": connect to
-- the daytime service and print everything it sends.
--
--   my $remote = IO::Socket::INET->new(Proto => "tcp", PeerAddr => "localhost",
--                                      PeerPort => "daytime(13)")
--       || die "can't connect to daytime service on localhost";
--   while (<$remote>) { print }
--
-- Usage: unixipc examples/iosocket/daytime_client.lua [HOST=localhost] [PORT="daytime(13)"]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = 'unixipc examples/iosocket/daytime_client.lua [HOST=localhost] [PORT="daytime(13)"]'
if #arg > 2 then recipe.usage(USAGE) end
local host = arg[1] or "localhost"
-- Like PeerPort, the port is a number, a service name, or "name(number)":
-- the name from /etc/services, else the number.
local port = arg[2] or "daytime(13)"

local n = tonumber(port)
if n and (n % 1 ~= 0 or n < 0 or n > 65535) then recipe.usage(USAGE) end

local remote, err = ipc.connect{ proto = "tcp", host = host, port = port }
if not remote then
  io.stderr:write("can't connect to daytime service on ", host, ": ", err, "\n")
  os.exit(1)
end
for line in remote:lines("L") do io.write(line) end
