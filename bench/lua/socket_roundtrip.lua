-- socket_roundtrip: N round trips of 64 bytes between parent and child,
-- over an ipc.socketpair() and then over TCP on 127.0.0.1 (nodelay): the
-- parent sends, the child reads 64 bytes and sends them back, the parent
-- reads and checks them.   usage: unixipc socket_roundtrip.lua [N]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local n = bench.arg(1, 100000)
local SIZE = 64

local function stamp(i)
  local s = tostring(i - 1) .. "\0"
  return s .. string.rep("m", SIZE - #s)
end

-- The next SIZE bytes: recv takes what has come (a message, as a rule).
local function read_msg(s)
  local msg = s:recv(1024)
  while msg and #msg < SIZE do
    local more = s:recv(SIZE - #msg)
    bench.check(more, "unexpected EOF")
    msg = msg .. more
  end
  return msg
end

local function echo(s)
  for i = 1, n do
    local msg = read_msg(s)
    bench.check(msg == stamp(i), "child got a wrong message %d", i)
    bench.try(s:send(msg))
  end
end

local function ping(s)
  for i = 1, n do
    local msg = stamp(i)
    bench.try(s:send(msg))
    bench.check(read_msg(s) == msg, "parent got a wrong echo %d", i)
  end
end

local a, b = bench.try(ipc.socketpair())
local server = bench.try(ipc.listen { host = "127.0.0.1", backlog = 16 })
local addr = server:getsockname()

local t0 = bench.now()
local pid = bench.try(ipc.fork())
if pid == 0 then
  a:close()
  echo(b)
  local c = bench.try(ipc.socket("inet", "stream"))
  bench.try(c:connect(addr))
  c:setoption("nodelay", true)
  echo(c)
  ipc._exit(0)
end
b:close()
ping(a)
local conn = bench.try(server:accept())
conn:setoption("nodelay", true)
ping(conn)
bench.wait_ok(pid)
bench.report(t0, bench.now())
