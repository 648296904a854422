-- tcp_accept: N TCP connections on 127.0.0.1, accepted and closed by the
-- parent; the child connects, waits for the close (EOF) and closes, N times.
--   usage: unixipc tcp_accept.lua [N]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local n = bench.arg(1, 10000)
local server = bench.try(ipc.listen { host = "127.0.0.1", backlog = 128 })
local addr = server:getsockname()

local t0 = bench.now()
local pid = bench.try(ipc.fork())
if pid == 0 then
  local socket = ipc.socket
  for i = 1, n do
    local c = bench.try(socket("inet", "stream"))
    bench.try(c:connect(addr))
    bench.check(c:recv(16) == nil, "connection %d: expected EOF", i)
    c:close()
  end
  ipc._exit(0)
end
for _ = 1, n do
  bench.try(server:accept()):close()
end
bench.wait_ok(pid)
bench.report(t0, bench.now())
