-- R28 — perlipc "Internet TCP Clients and Servers": how far the clocks of
-- other machines differ from ours, asking each one's TCP time service
-- (RFC 868: 4 bytes, seconds since 1900, big-endian).
-- Usage: unixipc examples/inet/time_client.lua HOST[:PORT]...   (PORT defaults to time, 37)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/inet/time_client.lua HOST[:PORT]..."
local SECS_OF_70_YEARS = 2208988800
local function ctime(t) return os.date("%a %b %e %H:%M:%S %Y", t) end

-- Every argument first: HOST, HOST:PORT or [HOST]:PORT.
local peers = recipe.peers(37, USAGE)

io.stdout:setvbuf("no")   -- $| = 1: the label shows while we wait
print(string.format("%-24s %8s %s", "localhost", 0, ctime()))

for _, p in ipairs(peers) do
  io.write(string.format("%-24s ", p.label))
  local sock, err = ipc.connect{ host = p.host, port = p.port, timeout = 10 }
  if not sock then
    io.write("\n")
    io.stderr:write(err, "\n")
    os.exit(1)
  end
  sock:settimeout(10)   -- a peer that never answers ends the wait
  local rtime = sock:read(4)
  sock:close()
  if not rtime or #rtime < 4 then
    io.write("\n")
    io.stderr:write("short answer from ", p.label, "\n")
    os.exit(1)
  end
  local histime = string.unpack(">I4", rtime) - SECS_OF_70_YEARS
  print(string.format("%8d %s", histime - os.time(), ctime(histime)))
end
