-- R30 — perlipc "Unix-Domain TCP Clients and Servers": the client.
--
--   my $rendezvous = shift || "catsock";
--   socket(my $sock, PF_UNIX, SOCK_STREAM, 0) || die "socket: $!";
--   connect($sock, sockaddr_un($rendezvous))  || die "connect: $!";
--   while (defined(my $line = <$sock>)) { print $line }
--
-- Prints what the server sends, byte for byte, until it closes.
-- Usage: unixipc examples/unix/unix_client.lua [PATH=catsock]
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/unix/unix_client.lua [PATH=catsock]"
if #arg > 1 or arg[1] == "" then
  io.stderr:write("usage: ", USAGE, "\n")
  os.exit(2)
end
local rendezvous = arg[1] or "catsock"

local sock, err = ipc.connect{ path = rendezvous, timeout = 10 }
if not sock then
  io.stderr:write(err, "\n")
  os.exit(1)
end
-- "L" keeps each line's end, and gives a last line without one as it is.
for line in sock:lines("L") do
  io.write(line)
end
sock:close()
