-- R35 — perlipc "Interactive Client with IO::Socket": a tiny telnet. After
-- connecting, fork: the parent copies the socket to stdout, the child copies
-- stdin to the socket — two simple processes instead of one complicated one.
-- Usage: unixipc examples/iosocket/biclient.lua HOST PORT
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/iosocket/biclient.lua HOST PORT"
if #arg ~= 2 then recipe.usage(USAGE) end
local host, port = arg[1], arg[2]
local n = tonumber(port)
if n and (n % 1 ~= 0 or n < 0 or n > 65535) then recipe.usage(USAGE) end

-- create a tcp connection to the specified host and port (socket writes are
-- unbuffered: what we send gets there right away)
local handle, err = ipc.connect{ proto = "tcp", host = host, port = port }
if not handle then
  io.stderr:write("can't connect to port ", port, " on ", host, ": ", err, "\n")
  os.exit(1)
end
io.stderr:write("[Connected to ", host, ":", port, "]\n")

-- split the program into two processes, identical twins
local kidpid = assert(ipc.fork())
if kidpid == 0 then
  -- the child: copy standard input to the socket
  for line in io.lines(nil, "L") do
    if not handle:write(line) then break end
  end
  -- stdin is done: tell the server we will send no more (Perl does not,
  -- and a server waiting for input then waits forever)
  handle:shutdown("w")
  ipc._exit(0)
end

-- the parent: copy the socket to standard output as it arrives, without
-- waiting for a newline (the server's "Command? " prompt has none). sysread
-- returns what one read gets; Perl's variant reads a byte at a time.
io.stdout:setvbuf("no")
while true do
  local data = handle:sysread(4096)
  if not data then break end
  io.write(data)
end
-- the server closed the connection: stop the child and reap it
ipc.kill("TERM", kidpid)
ipc.waitpid(kidpid)
