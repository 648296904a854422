-- R37 — perlipc "UDP: Message Passing": ask many time servers at once (one
-- datagram each, RFC 868), then collect the answers with select() and a
-- 10-second timeout. UDP promises nothing: an answer may never come, and
-- there are no retries.
-- Usage: unixipc examples/udp/udp_time_client.lua HOST[:PORT]...   (PORT defaults to time, 37)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/udp/udp_time_client.lua HOST[:PORT]..."
local SECS_OF_70_YEARS = 2208988800
local function ctime(t) return os.date("%a %b %e %H:%M:%S %Y", t) end

local peers = recipe.peers(37, USAGE)

-- An unbound datagram socket: the first send binds it to a free port.
local sock = assert(ipc.socket("inet", "dgram"))

io.stdout:setvbuf("no")
print(string.format("%-12s %8s %s", "localhost", 0, ctime()))

-- Answers come back by address; remember which argument each one is for.
local waiting, count = {}, 0
for _, p in ipairs(peers) do
  local ip, err = ipc.gethostbyname(p.host)
  if not ip then io.stderr:write("unknown host: ", p.host, "\n") os.exit(1) end
  local key = ip .. ":" .. p.port
  waiting[key] = waiting[key] or {}
  table.insert(waiting[key], p.label)
  -- RFC 868 asks for an empty datagram (Perl sends "0"; any will do).
  local ok
  ok, err = sock:sendto("", ip, p.port)
  if not ok then io.stderr:write("send ", p.label, ": ", err, "\n") os.exit(1) end
  count = count + 1
end

-- timeout after 10.0 seconds without an answer
while count > 0 and #ipc.select({ sock }, nil, 10.0) > 0 do
  local rtime, addr = sock:recvfrom(4)
  if not rtime then io.stderr:write("recv: ", addr, "\n") os.exit(1) end
  local labels = waiting[addr.host .. ":" .. addr.port]
  local label = labels and table.remove(labels, 1)
    or ipc.gethostbyaddr(addr.host) or addr.host   -- someone we did not ask
  if #rtime == 4 then
    local histime = string.unpack(">I4", rtime) - SECS_OF_70_YEARS
    print(string.format("%-12s %8d %s", label, histime - os.time(), ctime(histime)))
    count = count - 1
  end
end
-- UDP promises nothing: say who never answered
for _, labels in pairs(waiting) do
  for _, label in ipairs(labels) do io.stderr:write("no answer from ", label, "\n") end
end
if count > 0 then os.exit(1) end
