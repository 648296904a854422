-- Sockets (src/socket.c, lua/unixipc/socket.lua): TCP on 127.0.0.1 and ::1,
-- UDP, Unix-domain stream and dgram in temporary paths, descriptor passing,
-- credentials, connect errors and timeouts, signals during accept, and the
-- argument errors. Real sockets on loopback only; port 0 everywhere.
local ipc = require("unixipc")
local support = require("support")

local E = ipc.errno

-- Every socket a test makes is closed after it, even when it fails.
local open_handles = {}
local function track(h, ...)
  if h then open_handles[#open_handles + 1] = h end
  return h, ...
end

-- Children forked by a test are reaped after it (killed if still running).
local children = {}
local function fork(fn)
  local pid = support.fork(fn)
  children[#children + 1] = pid
  return pid
end

local function reap_ok(pid)
  local p, how, code = support.reap(pid)
  for i, c in ipairs(children) do
    if c == pid then table.remove(children, i) break end
  end
  assert.equal(pid, p)
  assert.same({ "exit", 0 }, { how, code })
end

-- Whether ::1 can be used here (an IPv6 loopback).
local function have_ipv6()
  local s = ipc.socket("inet6", "stream")
  if not s then return false end
  local ok = s:bind("::1", 0)
  s:close()
  return ok ~= nil
end
local IPV6 = have_ipv6()

-- A listening TCP server on `host` (127.0.0.1 by default), port 0.
local function server(host)
  local s = track(assert(ipc.listen { host = host or "127.0.0.1", port = 0 }))
  s:settimeout(10)
  return s, s:getsockname().port
end

local function client(host, port)
  local c = track(assert(ipc.connect { host = host, port = port, timeout = 5 }))
  c:settimeout(10)
  return c
end

after_each(function() support.put_down(open_handles, children) end)

describe("TCP", function()
  local function echo_lines(host)
    local srv, port = server(host)
    local pid = fork(function()
      local c = assert(ipc.connect { host = host, port = port, timeout = 5 })
      c:settimeout(10)
      for line in c:lines("L") do assert(c:write("echo: ", line)) end
      c:close()
    end)
    local conn, peer = srv:accept()
    track(conn)
    conn:settimeout(10)
    assert.equal(host, peer.host)
    assert.is_true(peer.port > 0)
    assert(conn:write("one\r\n"))
    assert.equal("echo: one\r", conn:read("l"))
    assert(conn:write("two\n", "three\r\n"))
    assert.equal("echo: two\n", conn:read("L"))
    assert.equal("echo: three\r\n", conn:read("L"))
    assert(conn:shutdown("w"))
    assert.is_nil(conn:read("l"))
    reap_ok(pid)
  end

  it("echoes lines across a forked child on 127.0.0.1, with CRLF and LF", function()
    echo_lines("127.0.0.1")
  end)

  it("echoes lines across a forked child on ::1", function()
    if not IPV6 then pending("no IPv6 loopback here") return end
    echo_lines("::1")
  end)

  it("carries a 1 MiB binary payload with NULs intact, both ways", function()
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    local block = table.concat(bytes) .. "\0\0\r\n\0"
    local payload = block:rep(math.ceil(1048576 / #block)):sub(1, 1048576)
    local srv, port = server()
    local pid = fork(function()
      local c = assert(ipc.connect { host = "127.0.0.1", port = port, timeout = 5 })
      c:settimeout(10)
      local got = assert(c:read(1048576))
      assert(#got == 1048576 and got == payload, "child got different bytes")
      assert(c:send(got) == #got)
      c:close()
    end)
    local conn = track(assert(srv:accept()))
    conn:settimeout(10)
    assert.equal(#payload, conn:send(payload))
    local back = conn:read("a")
    assert.equal(#payload, #back)
    assert.is_true(back == payload)
    reap_ok(pid)
  end)

  it("half-close (shutdown 'w') gives the peer EOF while it can still answer", function()
    local srv, port = server()
    local pid = fork(function()
      local c = assert(ipc.connect { host = "127.0.0.1", port = port, timeout = 5 })
      c:settimeout(10)
      local all = c:read("a")  -- returns only at the parent's EOF
      assert(c:write("you said " .. #all .. " bytes\n"))
      c:close()
    end)
    local conn = track(assert(srv:accept()))
    conn:settimeout(10)
    assert(conn:write("hello\n", "world\n"))
    assert(conn:shutdown("w"))
    assert.equal("you said 12 bytes", conn:read("l"))
    assert.is_nil(conn:recv(10))
    local ok, msg, err = conn:send("more")
    assert.is_nil(ok)
    assert.equal(E.EPIPE, err)
    assert.matches("^send: ", msg)
    reap_ok(pid)
  end)

  it("recv returns at most n bytes, buffered input first, and nil at the end", function()
    local srv, port = server()
    local c = client("127.0.0.1", port)
    local conn = track(assert(srv:accept()))
    conn:settimeout(5)
    assert.equal(13, c:send("line one\nrest"))
    assert(c:shutdown("w"))
    assert.equal("line one", conn:read("l"))
    assert.equal("re", conn:recv(2))
    assert.equal("st", conn:recv(100))
    assert.is_nil(conn:recv(100))
  end)

  it("accept and getpeername agree; peerhost and peerport give the parts", function()
    local srv, port = server()
    local c = client("127.0.0.1", port)
    local conn, peer = srv:accept()
    track(conn)
    assert.same(c:getsockname(), peer)
    assert.same(conn:getpeername(), peer)
    assert.equal("127.0.0.1", conn:peerhost())
    assert.equal(c:getsockname().port, conn:peerport())
    assert.same({ family = "inet", host = "127.0.0.1", port = port }, c:getpeername())
    assert.same({ "inet", "stream" }, { conn:socktype() })
  end)

  it("accept times out with the socket's timeout", function()
    local srv = server()
    srv:settimeout(0.2)
    local t0 = ipc.monotime()
    local c, msg, err = srv:accept()
    local t = ipc.monotime() - t0
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { c, msg, err })
    assert.is_true(t >= 0.15 and t < support.slack(2), "took " .. t)
  end)

  it("a non-blocking listener fails with EAGAIN at once", function()
    local srv = server()
    srv:setblocking(false)
    local c, msg, err = srv:accept()
    assert.is_nil(c)
    assert.equal(E.EAGAIN, err)
    assert.matches("^accept: ", msg)
  end)

  it("a non-blocking connect says EINPROGRESS and completes in the background", function()
    local _, port = server()
    local s = track(ipc.socket("inet", "stream"))
    s:setblocking(false)
    local ok, msg, err = s:connect("127.0.0.1", port)
    if not ok then  -- loopback may connect at once
      assert.equal(E.EINPROGRESS, err)
      assert.matches("^connect 127%.0%.0%.1:%d+: ", msg)
      local _, w = ipc.select(nil, { s }, 5)
      assert.equal(s, w[1])
    end
    assert.equal(port, s:getpeername().port)
  end)

  it("a listener made blocking again still waits through poll, with its timeout", function()
    local srv = server()
    srv:setblocking(false)
    srv:setblocking(true)
    srv:settimeout(0.1)
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { srv:accept() })
  end)

  it("makes every socket close-on-exec, accepted ones too", function()
    local srv, port = server()
    local c = client("127.0.0.1", port)
    local conn = track(assert(srv:accept()))
    local a, b = ipc.socketpair()
    track(a) track(b)
    for _, h in ipairs { srv, c, conn, a, b } do
      assert.is_true(support.cloexec(h:fileno()))
    end
  end)

  it("selects a socket readable when data comes, or when lines are buffered", function()
    local srv, port = server()
    local c = client("127.0.0.1", port)
    local conn = track(assert(srv:accept()))
    conn:settimeout(5)
    local r, w = ipc.select({ conn }, { c }, 0)
    assert.same({}, r)
    assert.equal(c, w[1])
    c:send("a\nb\n")
    r = ipc.select({ conn }, nil, 5)
    assert.equal(conn, r[1])
    assert.equal("a", conn:read("l"))
    r = ipc.select({ conn }, nil, 5)  -- "b\n" waits in the buffer
    assert.equal(conn, r[1])
  end)

  it("expect works on a socket", function()
    local srv, port = server()
    local c = client("127.0.0.1", port)
    local conn = track(assert(srv:accept()))
    c:send("login: ")
    local i, m = conn:expect("Password:", "login: ", 5)
    assert.same({ 2, "login: " }, { i, m })
  end)
end)

describe("connect errors", function()
  -- A port that nobody listens on: bound, never listening.
  local function dead_port(host)
    local s = track(assert(ipc.socket(host:find(":") and "inet6" or "inet", "stream")))
    assert(s:bind(host, 0))
    return s:getsockname().port
  end

  it("to a port nobody listens on: nil, 'connect HOST:PORT: Connection refused', ECONNREFUSED", function()
    local port = dead_port("127.0.0.1")
    local s = track(ipc.socket("inet", "stream"))
    assert.same({ nil, "connect 127.0.0.1:" .. port .. ": Connection refused", E.ECONNREFUSED },
      { s:connect("127.0.0.1", port, 5) })
    assert.same({ nil, "connect 127.0.0.1:" .. port .. ": Connection refused", E.ECONNREFUSED },
      { ipc.connect { host = "127.0.0.1", port = port, timeout = 5 } })
  end)

  it("to [::1]:port names the address in brackets", function()
    if not IPV6 then pending("no IPv6 loopback here") return end
    local port = dead_port("::1")
    assert.same({ nil, "connect [::1]:" .. port .. ": Connection refused", E.ECONNREFUSED },
      { ipc.connect { host = "::1", port = port, timeout = 5 } })
  end)

  it("to a listener whose backlog is full: nil, 'timeout' after the timeout", function()
    local srv, port = server()
    srv:close()
    srv = track(assert(ipc.listen { host = "127.0.0.1", port = 0, backlog = 1 }))
    port = srv:getsockname().port
    local timed_out
    for _ = 1, 64 do  -- the kernel queues backlog + 1 or so; then SYNs are dropped
      local t0 = ipc.monotime()
      local c, msg, err = ipc.connect { host = "127.0.0.1", port = port, timeout = 0.3 }
      local t = ipc.monotime() - t0
      if not c then
        assert.same({ "timeout", E.ETIMEDOUT }, { msg, err })
        assert.is_true(t >= 0.25 and t < support.slack(3), "took " .. t)
        timed_out = true
        break
      end
      track(c)
    end
    assert.is_true(timed_out, "no connect ever waited")
  end)

  it("unknown host and unknown service: nil and the resolver's message", function()
    local s, msg, code = ipc.connect { host = "nosuch.invalid", port = 80, timeout = 5 }
    assert.is_nil(s)
    assert.matches("^getaddrinfo nosuch%.invalid:80: ", msg)
    assert.is_string(code)
    assert.matches("^EAI_", code)
    s, msg, code = ipc.connect { host = "127.0.0.1", port = "nosuch", timeout = 5 }
    assert.is_nil(s)
    assert.matches("^getaddrinfo 127%.0%.0%.1:nosuch: ", msg)
    assert.equal("EAI_SERVICE", code)
    local sock = track(ipc.socket("inet", "stream"))
    s, msg = sock:connect("nosuch.invalid", 80)
    assert.is_nil(s)
    assert.matches("^getaddrinfo nosuch%.invalid:80: ", msg)
  end)

  it("port 70000 raises, in the caller's name", function()
    local s = track(ipc.socket("inet", "stream"))
    assert.matches("bad argument #%d to 'connect' %(port 70000 out of range",
      support.error_of(function() s:connect("127.0.0.1", 70000) end))
    assert.matches("bad argument #1 to 'connect' %(port 70000 out of range",
      support.error_of(ipc.connect, { host = "127.0.0.1", port = 70000 }))
    assert.matches("port 70000 out of range",
      support.error_of(ipc.listen, { host = "127.0.0.1", port = "70000" }))
  end)

  it("connect on a listening socket, listen on a connected one raise before any call", function()
    local srv, port = server()
    local c = client("127.0.0.1", port)
    assert.matches("connect on a listening socket",
      support.error_of(function() srv:connect("127.0.0.1", port) end))
    assert.matches("listen on a connected socket", support.error_of(function() c:listen() end))
    assert.matches("accept on a socket that does not listen",
      support.error_of(function() c:accept() end))
    local u = track(ipc.socket("inet", "dgram"))
    assert.matches("listen on a datagram socket", support.error_of(function() u:listen() end))
  end)
end)

describe("ports", function()
  it("takes a service name and Perl's 'name(number)'", function()
    local s = track(assert(ipc.listen { host = "127.0.0.1", port = "nosuchservice(0)" }))
    assert.is_true(s:getsockname().port > 0)  -- the name is unknown: the number 0
    local _, msg = ipc.connect { host = "127.0.0.1", port = "daytime(13)", timeout = 5 }
    -- daytime is 13 in /etc/services, and so is the fallback: nobody listens
    assert.matches("^connect 127%.0%.0%.1:13: ", msg)
    assert.equal(13, ipc.getaddrinfo("127.0.0.1", "daytime")[1].port)
  end)

  it("without a port option, host carries it: HOST:PORT and [V6]:PORT", function()
    local srv = track(assert(ipc.listen { host = "127.0.0.1:0" }))
    local port = srv:getsockname().port
    local c = track(assert(ipc.connect { host = "127.0.0.1:" .. port, timeout = 5 }))
    assert.equal(port, c:getpeername().port)
    track(srv:accept())
    if have_ipv6() then
      local srv6 = track(assert(ipc.listen { host = "[::1]:0" }))
      assert.same("::1", srv6:getsockname().host)
      local port6 = srv6:getsockname().port
      local c6 = track(assert(ipc.connect { host = "[::1]:" .. port6, timeout = 5 }))
      assert.same({ "inet6", "::1", port6 }, { c6:getpeername().family, c6:getpeername().host, c6:getpeername().port })
      track(srv6:accept())
    end
    -- a port option wins: the host is then a host, colons and all
    local _, msg = ipc.connect { host = "127.0.0.1:" .. port, port = port, timeout = 5 }
    assert.matches("^getaddrinfo %[127%.0%.0%.1:%d+%]:%d+: ", msg)
  end)

  it("a malformed HOST:PORT, or one without a port, fails with EINVAL", function()
    assert.same({ nil, "connect: malformed address '[::1'", E.EINVAL }, { ipc.connect { host = "[::1" } })
    assert.same({ nil, "connect: malformed address 'h:'", E.EINVAL }, { ipc.connect { host = "h:" } })
    assert.same({ nil, "connect: no port in '::1'", E.EINVAL }, { ipc.connect { host = "::1" } })
    assert.same({ nil, "listen: malformed address '[::1]x'", E.EINVAL }, { ipc.listen { host = "[::1]x" } })
  end)

  it("port 0 picks a different free port each time", function()
    local a = track(assert(ipc.listen { host = "127.0.0.1" }))
    local b = track(assert(ipc.listen { host = "127.0.0.1", port = 0 }))
    assert.is_true(a:getsockname().port > 0)
    assert.are_not.equal(a:getsockname().port, b:getsockname().port)
  end)

  it("listen reuses addresses by default, and not with reuse = false", function()
    local a = track(assert(ipc.listen { host = "127.0.0.1" }))
    assert.is_true(a:getoption("reuseaddr"))
    local b = track(assert(ipc.listen { host = "127.0.0.1", reuse = false }))
    assert.is_false(b:getoption("reuseaddr"))
  end)

  it("a second listen on a port in use fails with EADDRINUSE", function()
    local a = track(assert(ipc.listen { host = "127.0.0.1", reuse = false }))
    local port = a:getsockname().port
    local b, msg, err = ipc.listen { host = "127.0.0.1", port = port, reuse = false }
    assert.is_nil(b)
    assert.equal(E.EADDRINUSE, err)
    assert.equal("bind 127.0.0.1:" .. port .. ": Address already in use", msg)
  end)

  it("connect binds localport first", function()
    local srv, port = server()
    local lp = track(assert(ipc.listen { host = "127.0.0.1" }))
    local free = lp:getsockname().port
    lp:close()
    local c = track(assert(ipc.connect { host = "127.0.0.1", port = port, localport = free,
      localhost = "127.0.0.1", timeout = 5 }))
    assert.equal(free, c:getsockname().port)
    local conn, peer = srv:accept()
    track(conn)
    assert.equal(free, peer.port)
  end)
end)

describe("UDP", function()
  it("keeps datagram boundaries and recvfrom reports the sender", function()
    local srv = track(assert(ipc.listen { host = "127.0.0.1", proto = "udp" }))
    srv:settimeout(5)
    local to = srv:getsockname()
    local a = track(assert(ipc.socket("inet", "dgram")))
    local b = track(assert(ipc.socket("inet", "dgram")))
    assert(a:bind("127.0.0.1", 0))
    assert.equal(3, a:sendto("one", to))
    assert.equal(5, b:sendto("two\0x", "127.0.0.1", to.port))
    assert.equal(0, a:sendto("", to))
    local d1, from1 = srv:recvfrom()
    local d2, from2 = srv:recvfrom(100)
    local d3 = srv:recvfrom()
    assert.equal("one", d1)
    assert.same(a:getsockname(), from1)
    assert.equal("two\0x", d2)
    assert.same({ family = "inet", host = "127.0.0.1", port = b:getsockname().port }, from2)
    assert.equal("", d3)
    assert.equal(3, a:sendto("abc", to))
    assert.equal("ab", srv:recv(2))  -- the rest of the datagram is gone
    assert.equal(1, a:sendto("z", to))
    assert.equal("z", srv:recv())
  end)

  it("a connected UDP client sends and receives with send/recv", function()
    local srv = track(assert(ipc.listen { host = "127.0.0.1", proto = "udp" }))
    srv:settimeout(5)
    local c = track(assert(ipc.connect { host = "127.0.0.1", port = srv:getsockname().port,
      proto = "udp" }))
    c:settimeout(5)
    assert.equal(4, c:send("ping"))
    local data, from = srv:recvfrom()
    assert.equal("ping", data)
    assert.equal(4, srv:sendto("pong", from))
    assert.equal("pong", c:recv())
  end)

  it("select with a 0.2 s timeout on a silent socket returns {}, {}, 'timeout'", function()
    local srv = track(assert(ipc.listen { host = "127.0.0.1", proto = "udp" }))
    local t0 = ipc.monotime()
    local res = table.pack(ipc.select({ srv }, nil, 0.2))
    local t = ipc.monotime() - t0
    assert.same({ n = 3, {}, {}, "timeout" }, res)
    assert.is_true(t >= 0.18 and t < support.slack(1), "took " .. t)
  end)

  it("recvfrom times out with the socket's timeout", function()
    local s = track(assert(ipc.listen { host = "127.0.0.1", proto = "udp" }))
    s:settimeout(0.1)
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { s:recvfrom() })
  end)
end)

describe("Unix-domain sockets", function()
  it("serve a stream in a temporary path, and the path is a socket", function()
    local path = support.tmpname(".sock")
    local srv = track(assert(ipc.listen { path = path }))
    srv:settimeout(10)
    assert.equal("socket", ipc.filetype and ipc.filetype(path) or "socket")
    local pid = fork(function()
      local c = assert(ipc.connect { path = path, timeout = 5 })
      c:settimeout(10)
      assert(c:write("hi there\n"))
      assert(c:read("l") == "HI THERE")
      c:close()
    end)
    local conn, peer = srv:accept()
    track(conn)
    conn:settimeout(10)
    assert.equal("unix", peer.family)
    assert.same({ family = "unix", path = path }, conn:getsockname())
    assert(conn:write(conn:read("l"):upper(), "\n"))
    reap_ok(pid)
  end)

  it("keep datagram boundaries on dgram sockets and report the sender's path", function()
    local p1, p2 = support.tmpname(".sock"), support.tmpname(".sock")
    local a = track(assert(ipc.socket("unix", "dgram")))
    local b = track(assert(ipc.socket("unix", "dgram")))
    a:settimeout(5)
    assert(a:bind(p1))
    assert(b:bind({ family = "unix", path = p2 }))
    assert.equal(3, b:sendto("abc", p1))
    assert.equal(2, b:sendto("de", { family = "unix", path = p1 }))
    local d, from = a:recvfrom()
    assert.same({ "abc", { family = "unix", path = p2 } }, { d, from })
    assert.equal("de", a:recv())
  end)

  it("a path longer than sun_path is a clear error, never shortened", function()
    local long = "/tmp/" .. string.rep("x", 200)
    local s = track(ipc.socket("unix", "stream"))
    assert.matches("Unix%-domain socket path too long %(205 bytes, at most 107%)",
      support.error_of(function() s:bind(long) end))
    assert.matches("path too long", support.error_of(ipc.listen, { path = long }))
    assert.matches("path too long", support.error_of(ipc.connect, { path = long }))
    assert.is_nil(io.open(long:sub(1, 108)))
  end)

  it("a path with a NUL byte is an error in every form, never cut at the NUL", function()
    local s = track(ipc.socket("unix", "stream"))
    local cut = support.tmpname(".sock")
    local bad = cut .. "\0tail"
    assert.matches("bad argument #1 to 'bind' %(path contains a NUL byte%)",
      support.error_of(function() s:bind(bad) end))
    assert.matches("bad argument #1 to 'bind' %(path contains a NUL byte%)",
      support.error_of(function() s:bind { family = "unix", path = bad } end))
    assert.matches("bad argument #1 to 'listen' %(path contains a NUL byte%)",
      support.error_of(function() ipc.listen { path = bad } end))
    assert.matches("bad argument #1 to 'connect' %(path contains a NUL byte%)",
      support.error_of(function() ipc.connect { path = bad } end))
    assert.is_nil(ipc.filetype(cut))  -- nothing was bound at the path before the NUL
  end)

  it("a path in use: nil, 'bind PATH: Address already in use', EADDRINUSE", function()
    local path = support.tmpname(".sock")
    track(assert(ipc.listen { path = path }))
    assert.same({ nil, "bind " .. path .. ": Address already in use", E.EADDRINUSE },
      { ipc.listen { path = path } })
  end)

  it("a missing path: nil, 'connect PATH: No such file or directory', ENOENT", function()
    local path = support.tmpname(".sock")
    assert.same({ nil, "connect " .. path .. ": No such file or directory", E.ENOENT },
      { ipc.connect { path = path, timeout = 5 } })
  end)

  it("a full backlog times out on a Unix-domain stream too", function()
    local path = support.tmpname(".sock")
    track(assert(ipc.listen { path = path, backlog = 1 }))
    local timed_out
    for _ = 1, 64 do
      local t0 = ipc.monotime()
      local c, msg = ipc.connect { path = path, timeout = 0.2 }
      if not c then
        assert.equal("timeout", msg)
        assert.is_true(ipc.monotime() - t0 >= 0.15)
        timed_out = true
        break
      end
      track(c)
    end
    assert.is_true(timed_out)
  end)

  it("pass a descriptor with sendfd that is usable in the receiver", function()
    local a, b = ipc.socketpair()
    track(a) track(b)
    a:settimeout(10)
    b:settimeout(10)
    local path = support.tmpname(".txt")
    local pid = fork(function()
      a:close()
      local h, data = assert(b:recvfd())
      assert(data == "here", "data " .. tostring(data))
      assert(h:write("written by the receiver\n"))
      h:close()
      assert(b:send("done"))
    end)
    b:close()
    local f = assert(io.open(path, "w"))
    assert(a:sendfd(f, "here"))
    f:close()
    assert.equal("done", a:recv())
    reap_ok(pid)
    local r = assert(io.open(path))
    assert.equal("written by the receiver\n", r:read("a"))
    r:close()
  end)

  it("recvfd gives a close-on-exec handle, and a socket received is a socket", function()
    local a, b = ipc.socketpair()
    track(a) track(b)
    b:settimeout(5)
    local x, y = ipc.socketpair("dgram")
    track(x) track(y)
    assert(a:sendfd(x))
    local h, data = b:recvfd()
    track(h)
    assert.equal("\0", data)
    assert.is_true(support.cloexec(h:fileno()))
    assert.same({ "unix", "dgram" }, { h:socktype() })
    assert.equal(2, h:send("ok"))
    y:settimeout(5)
    assert.equal("ok", y:recv())
    a:send("x")
    local none, msg, err = b:recvfd()
    assert.same({ nil, "recvfd: no descriptor in the message", E.EBADMSG }, { none, msg, err })
    a:close()
    assert.is_nil(b:recvfd())
  end)

  it("peercred reports the peer's pid, uid and gid", function()
    local path = support.tmpname(".sock")
    local srv = track(assert(ipc.listen { path = path }))
    srv:settimeout(10)
    local pid = fork(function()
      local c = assert(ipc.connect { path = path, timeout = 5 })
      c:settimeout(10)
      c:read("a")
    end)
    local conn = track(assert(srv:accept()))
    assert.same({ pid, ipc.getuid(), ipc.getgid() }, { conn:peercred() })
    conn:close()
    reap_ok(pid)
    local a, b = ipc.socketpair()
    track(a) track(b)
    assert.equal(ipc.getpid(), (a:peercred()))
  end)

  it("Unix-domain methods on an inet socket raise", function()
    local s = track(ipc.socket("inet", "stream"))
    assert.matches("Unix%-domain socket expected", support.error_of(function() s:peercred() end))
    assert.matches("Unix%-domain socket expected", support.error_of(function() s:recvfd() end))
  end)
end)

describe("socket options", function()
  it("set and read back booleans, sizes and linger", function()
    local s = track(assert(ipc.socket("inet", "stream")))
    for _, name in ipairs { "reuseaddr", "reuseport", "keepalive", "nodelay" } do
      assert(s:setoption(name, true))
      assert.is_true(s:getoption(name), name)
      assert(s:setoption(name, false))
      assert.is_false(s:getoption(name), name)
    end
    assert(s:setoption("rcvbuf", 65536))
    assert.is_true(s:getoption("rcvbuf") >= 65536)
    assert(s:setoption("linger", 3))
    assert.equal(3, s:getoption("linger"))
    assert(s:setoption("linger", false))
    assert.is_false(s:getoption("linger"))
    local u = track(assert(ipc.socket("inet", "dgram")))
    assert(u:setoption("broadcast", true))
    assert.is_true(u:getoption("broadcast"))
    if IPV6 then
      local s6 = track(assert(ipc.socket("inet6", "stream")))
      assert(s6:setoption("ipv6only", true))
      assert.is_true(s6:getoption("ipv6only"))
    end
  end)

  it("an option the socket does not have fails with the system's error", function()
    local u = track(assert(ipc.socket("unix", "stream")))
    local ok, msg, err = u:setoption("nodelay", true)
    assert.is_nil(ok)
    assert.matches("^setoption nodelay: ", msg)
    assert.is_number(err)
  end)
end)

describe("signals and sockets", function()
  it("a handler that raises during accept ends it; one that does not lets it go on", function()
    local res = support.child([==[
      local srv = assert(ipc.listen { host = "127.0.0.1" })
      local port = srv:getsockname().port
      local out = {}
      ipc.SIG.USR1 = function() error("stop accepting") end
      local me = ipc.getpid()
      local pid = fork(function() ipc.sleep(0.2 * SLOW) ipc.kill("USR1", me) end)
      local t, ok, err = timed(srv.accept, srv)
      out.raised = not ok and tostring(err)
      out.raised_after = t
      reap(pid)
      local ran = 0
      ipc.SIG.USR1 = function() ran = ran + 1 end
      pid = fork(function()
        ipc.sleep(0.1 * SLOW) ipc.kill("USR1", me)
        ipc.sleep(0.2 * SLOW)
        local c = assert(ipc.connect { host = "127.0.0.1", port = port, timeout = 5 })
        c:write("after the signal\n")
        c:close()
      end)
      srv:settimeout(10)
      local c = srv:accept()
      out.ran = ran
      out.line = c and c:read("l")
      out.how, out.code = reap(pid)
      return out
    ]==])
    assert.is_nil(res.error)
    assert.matches("stop accepting", res.raised)
    assert.is_true(res.raised_after < 3, "accept went on for " .. tostring(res.raised_after))
    assert.equal(1, res.ran)
    assert.equal("after the signal", res.line)
    assert.same({ "exit", 0 }, { res.how, res.code })
  end)

  it("sends never raise SIGPIPE, with PIPE at its default", function()
    local res = support.child([==[
      assert(ipc.SIG.PIPE == "DEFAULT")
      local a, b = ipc.socketpair()
      b:close()
      local out = { ipc.errno[select(3, a:send("x"))] }
      local _, _, e = a:write("y")
      out[2] = ipc.errno[e]
      local srv = assert(ipc.listen { host = "127.0.0.1" })
      local c = assert(ipc.connect { host = "127.0.0.1", port = srv:getsockname().port })
      srv:accept():close()
      ipc.sleep(0.05)
      local errs = {}
      for _ = 1, 3 do errs[#errs + 1] = select(3, c:send(string.rep("z", 100000))) end
      out[3] = ipc.errno[errs[#errs]]
      return out
    ]==])
    assert.is_nil(res.error)
    assert.same({ "EPIPE", "EPIPE" }, { res[1], res[2] })
    assert.is_truthy(res[3] == "EPIPE" or res[3] == "ECONNRESET")
    assert.same({ "exit", 0 }, { res._how, res._code })
  end)
end)

describe("descriptors", function()
  it("10,000 socket open/close cycles leak none", function()
    local n = support.memcheck() and 300 or 10000
    collectgarbage()  -- handles left by earlier specs close now, not mid-count
    collectgarbage()
    local before = support.free_fd(0)
    for i = 1, n do
      local s = ipc.socket(i % 2 == 0 and "inet" or "unix", i % 3 == 0 and "dgram" or "stream")
      s:close()
    end
    for _ = 1, n // 10 do
      local a, b = ipc.socketpair()
      a:close()
      b:close()
      local x = ipc.socket("inet", "stream")  -- left to the collector
      x = nil
    end
    collectgarbage()
    collectgarbage()
    assert.equal(before, support.free_fd(0))
    local srv, port = server()
    for _ = 1, n // 20 do
      local c = ipc.connect { host = "127.0.0.1", port = port, timeout = 5 }
      local conn = srv:accept()
      conn:close()
      c:close()
    end
    srv:close()
    assert.equal(before, support.free_fd(0))
  end)
end)

describe("argument errors", function()
  it("name the function and the argument", function()
    assert.matches("bad argument #1 to '[%w.]*socket' %(invalid option 'foo'%)",
      support.error_of(ipc.socket, "foo"))
    assert.matches("bad argument #2 to '[%w.]*socket' %(invalid option 'raw'%)",
      support.error_of(ipc.socket, "inet", "raw"))
    assert.matches("unknown protocol 'nosuch'", support.error_of(ipc.socket, "inet", "stream", "nosuch"))
    assert.matches("bad argument #1 to '[%w.]*socketpair'", support.error_of(ipc.socketpair, "x"))
    local s = track(ipc.socket("inet", "stream"))
    assert.matches("bad argument #1 to 'setoption' %(invalid option 'bogus'%)",
      support.error_of(function() s:setoption("bogus", true) end))
    assert.matches("bad argument #2 to 'setoption' %(boolean expected",
      support.error_of(function() s:setoption("nodelay", 1) end))
    assert.matches("bad argument #1 to 'getoption'", support.error_of(function() s:getoption() end))
    assert.matches("bad argument #1 to 'shutdown' %(invalid option 'x'%)",
      support.error_of(function() s:shutdown("x") end))
  end)

  it("reject wrong address tables", function()
    local s = track(ipc.socket("inet", "stream"))
    assert.matches("unknown address family 'ipx'",
      support.error_of(function() s:bind { family = "ipx", host = "1.2.3.4" } end))
    assert.matches("inet6 address for a socket of family inet",
      support.error_of(function() s:bind { family = "inet6", host = "::1", port = 0 } end))
    assert.matches("host must be a string",
      support.error_of(function() s:bind { host = 12, port = 0 } end))
    assert.matches("port expected",
      support.error_of(function() s:bind { host = "127.0.0.1", port = {} } end))
    assert.matches("port must be an integer",
      support.error_of(function() s:connect("127.0.0.1", 1.5) end))
    assert.matches("address table or host",
      support.error_of(function() s:connect(true) end))
    local u = track(ipc.socket("unix", "dgram"))
    assert.matches("path' must be a string",
      support.error_of(function() u:sendto("x", { family = "unix" }) end))
  end)

  it("socket methods on a pipe and on a closed socket raise", function()
    local r, w = ipc.pipe()
    track(r) track(w)
    assert.matches("socket expected", support.error_of(function() r:accept() end))
    local s = ipc.socket("inet", "stream")
    s:close()
    assert.matches("closed handle", support.error_of(function() s:bind("127.0.0.1", 0) end))
  end)

  it("connect{} and listen{} check their options", function()
    assert.matches("bad argument #1 to 'connect' %(table expected",
      support.error_of(ipc.connect, "localhost"))
    assert.matches("unknown option 'peeraddr'",
      support.error_of(ipc.connect, { peeraddr = "x" }))
    assert.matches("proto must be",
      support.error_of(ipc.listen, { proto = "sctp" }))
    assert.matches("unknown family 'ipx'",
      support.error_of(ipc.listen, { family = "ipx" }))
    assert.matches("'host' and 'port'", support.error_of(ipc.connect, { host = "x" }))
    assert.matches("timeout must be",
      support.error_of(ipc.connect, { host = "x", port = 1, timeout = -1 }))
  end)
end)
