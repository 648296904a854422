-- R34 — perlipc "A Webget Client": fetch each DOCUMENT from HOST with
-- HTTP/1.0, one connection per document (the way HTTP always used to be
-- spoken), and print the answers as they come, headers and all.
-- Usage: unixipc examples/iosocket/webget.lua HOST[:PORT] DOCUMENT...   (PORT defaults to http, 80)
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local USAGE = "unixipc examples/iosocket/webget.lua HOST[:PORT] DOCUMENT..."
if #arg < 2 then recipe.usage(USAGE) end
local host, port = recipe.hostport(arg[1], "http(80)", USAGE, true)

local EOL = "\r\n"
local BLANK = EOL .. EOL

for i = 2, #arg do
  local document = arg[i]
  local remote, err = ipc.connect{ proto = "tcp", host = host, port = port }
  if not remote then
    io.stderr:write("cannot connect to httpd on ", host, ": ", err, "\n")
    os.exit(1)
  end
  -- socket writes are unbuffered (Perl needed autoflush for this)
  remote:write("GET ", document, " HTTP/1.0", BLANK)
  for line in remote:lines("L") do io.write(line) end
  remote:close()
end
