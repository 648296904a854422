-- R29 — the local time peer (RFC 868) for perlipc's time clients: one
-- process serves TCP (4 bytes, then close) and UDP (a 4-byte answer to any
-- datagram) on the same port. The time is seconds since 1900, big-endian.
-- Usage: unixipc examples/inet/time_server.lua [PORT=37]   (0 picks a free port)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/inet/time_server.lua [PORT=37]"
if #arg > 1 then recipe.usage(USAGE) end
local port = recipe.number(1, 37, USAGE)
local SECS_OF_70_YEARS = 2208988800

local logmsg = recipe.logmsg

local function name_of(addr) return ipc.gethostbyaddr(addr.host) or addr.host end

-- RFC 868 time: a 32-bit unsigned count of seconds since 1900 ("N" in Perl).
local function rfc868() return string.pack(">I4", (os.time() + SECS_OF_70_YEARS) % 2^32) end

-- Bind TCP first; with port 0 the UDP socket takes the same number, which
-- may be taken for UDP already: then try another.
local tcp, udp, err
for _ = 1, (port == 0 and 20 or 1) do
  tcp, err = ipc.listen{ host = "127.0.0.1", port = port }
  if not tcp then break end
  udp, err = ipc.listen{ host = "127.0.0.1", port = tcp:getsockname().port, proto = "udp" }
  if udp then break end
  tcp:close()
  tcp = nil
end
if not (tcp and udp) then io.stderr:write(err, "\n") os.exit(1) end

-- TERM or INT: log and leave. Set before the start line, so a signal sent
-- as soon as it shows is handled; the handler runs at a safe point, even
-- while accept() waits.
for _, sig in ipairs{ "TERM", "INT" } do
  ipc.SIG[sig] = function(name) logmsg("caught SIG%s, shutting down", name) os.exit(0) end
end

recipe.started("port " .. tcp:getsockname().port)

-- One loop waits on both sockets.
while true do
  for _, s in ipairs(ipc.select({ tcp, udp })) do
    if s == tcp then
      local client, addr = tcp:accept()
      if client then
        logmsg("connection from %s [%s] at port %d", name_of(addr), addr.host, addr.port)
        client:write(rfc868())
        client:close()
      end
    else
      local _, addr = udp:recvfrom(512)
      if addr then
        logmsg("datagram from %s [%s] at port %d", name_of(addr), addr.host, addr.port)
        udp:sendto(rfc868(), addr)
      end
    end
  end
end
