-- Name services and the address converter (src/netdb.c): getaddrinfo,
-- getnameinfo, gethostbyname/addr, getservbyname, getprotobyname,
-- inet_aton/ntoa, for IPv4 and IPv6, with the resolver's failures. Only
-- loopback names and numeric addresses, so no network is needed.
local ipc = require("unixipc")
local support = require("support")

describe("getaddrinfo", function()
  it("gives address tables with socktype and protocol", function()
    local res = assert(ipc.getaddrinfo("127.0.0.1", 80, { socktype = "stream" }))
    assert.equal(1, #res)
    assert.same({ family = "inet", host = "127.0.0.1", port = 80, socktype = "stream",
      protocol = 6 }, res[1])
    res = assert(ipc.getaddrinfo("127.0.0.1", "53", { socktype = "dgram" }))
    assert.same({ "dgram", 17, 53 }, { res[1].socktype, res[1].protocol, res[1].port })
  end)

  it("resolves IPv6 addresses", function()
    local res = assert(ipc.getaddrinfo("::1", 7, { socktype = "stream" }))
    assert.same({ family = "inet6", host = "::1", port = 7, socktype = "stream", protocol = 6 },
      res[1])
  end)

  it("resolves names and services, and Perl's 'name(number)'", function()
    local res = assert(ipc.getaddrinfo("localhost", "http", { family = "inet", socktype = "stream" }))
    assert.same({ "inet", "127.0.0.1", 80 }, { res[1].family, res[1].host, res[1].port })
    res = assert(ipc.getaddrinfo("localhost", "daytime(13)", { family = "inet" }))
    assert.equal(13, res[1].port)
    res = assert(ipc.getaddrinfo("localhost", "nosuchname(4242)", { family = "inet" }))
    assert.equal(4242, res[1].port)
  end)

  it("passive without a host gives the wildcard address", function()
    local res = assert(ipc.getaddrinfo(nil, 0, { family = "inet", passive = true }))
    assert.equal("0.0.0.0", res[1].host)
    res = assert(ipc.getaddrinfo(nil, 5, { family = "inet" }))
    assert.equal("127.0.0.1", res[1].host)
  end)

  it("returns nil, the resolver's message and its code by name", function()
    local res, msg, code = ipc.getaddrinfo("nosuch.invalid", 80)
    assert.is_nil(res)
    assert.matches("^getaddrinfo nosuch%.invalid:80: %a", msg)
    assert.matches("^EAI_", code)
    res, msg, code = ipc.getaddrinfo("127.0.0.1", "nosuchservice", { socktype = "stream" })
    assert.is_nil(res)
    assert.equal("getaddrinfo 127.0.0.1:nosuchservice: Servname not supported for ai_socktype", msg)
    assert.equal("EAI_SERVICE", code)
  end)

  it("raises on wrong arguments", function()
    assert.matches("host or service expected", support.error_of(ipc.getaddrinfo))
    assert.matches("port 70000 out of range", support.error_of(ipc.getaddrinfo, "localhost", 70000))
    assert.matches("invalid option 'ipx'",
      support.error_of(ipc.getaddrinfo, "localhost", 1, { family = "ipx" }))
    assert.matches("unknown protocol 'nosuch'",
      support.error_of(ipc.getaddrinfo, "localhost", 1, { protocol = "nosuch" }))
    assert.matches("table expected", support.error_of(ipc.getaddrinfo, "localhost", 1, "inet"))
    for _, t in ipairs { -1, 0 / 0, "1" } do
      assert.matches("bad argument #3 to '[%w.]*getaddrinfo' %(hints field 'timeout' must be a non%-negative number%)",
        support.error_of(ipc.getaddrinfo, "localhost", 1, { timeout = t }))
    end
  end)
end)

describe("getnameinfo", function()
  it("names an address and its service", function()
    assert.same({ "localhost", "ssh" },
      { ipc.getnameinfo { family = "inet", host = "127.0.0.1", port = 22 } })
    local host, serv = ipc.getnameinfo("127.0.0.1", 4242)
    assert.same({ "localhost", "4242" }, { host, serv })
    host = ipc.getnameinfo { family = "inet6", host = "::1", port = 0 }
    assert.is_string(host)
  end)

  it("raises on a wrong address", function()
    assert.matches("unknown address family", support.error_of(ipc.getnameinfo, { family = "x" }))
  end)
end)

describe("a name server that never answers", function()
  -- The lookup runs in its own thread and the Lua thread waits in wait.c:
  -- signal handlers run, ipc.timeout and hints.timeout end the wait (the
  -- resolver alone would retry its poll after EINTR for 30 s here). The
  -- name server is a silent UDP socket of the child on a random loopback
  -- address, made the only one by a resolv.conf bind-mounted in a mount
  -- namespace of its own (root only).
  it("signals are handled and timeouts end the wait", function()
    if ipc.geteuid() ~= 0 or not os.execute("command -v unshare >/dev/null") then
      pending("needs root and unshare(1) to give the child its own resolv.conf")
      return
    end
    math.randomseed(os.time() + ipc.getpid())
    local ip = string.format("127.%d.%d.%d", math.random(1, 254), math.random(1, 254), math.random(2, 254))
    local conf = support.tmpname(".resolv.conf")
    local f = assert(io.open(conf, "w"))
    f:write("nameserver ", ip, "\noptions timeout:30 attempts:1\n")
    f:close()
    local prefix = string.format("unshare --mount sh -c 'mount --bind %s /etc/resolv.conf && exec \"$@\"' sh",
      conf)
    local res = support.child_under(prefix, [==[
      local ip = ...
      local ns = assert(ipc.socket("inet", "dgram"))
      assert(ns:bind(ip, 53))
      local out = { usr1 = 0 }
      ipc.SIG.USR1 = function() out.usr1 = out.usr1 + 1 end
      local me = ipc.getpid()
      local pid = fork(function() ipc.sleep(0.2) ipc.kill("USR1", me) end)
      local function fds()  -- unixipc's eventfds (the lookup's own socket is glibc's)
        local p = io.popen("ls -l /proc/" .. me .. "/fd | grep -c eventfd")
        local n = p:read("a")
        p:close()
        return n
      end
      local before = fds()
      local t0 = ipc.monotime()
      out.r1, out.msg1, out.code1 = ipc.getaddrinfo("slow.example", "80", { timeout = 1 })
      out.t1 = ipc.monotime() - t0
      out.fds_kept = fds() == before  -- the abandoned job's eventfd is closed
      out.reaped = reap(pid) == "exit"
      ns:settimeout(1)
      out.query = ns:recv() ~= nil  -- the resolver did ask our server
      t0 = ipc.monotime()
      out.r2, out.msg2 = ipc.timeout(0.5, ipc.gethostbyname, "slow2.example")
      out.t2 = ipc.monotime() - t0
      t0 = ipc.monotime()
      local ok, err = pcall(ipc.timeout, 0.3, function()
        ipc.SIG.ALRM = function() error("handler raised") end
        ipc.alarm(0.1)
        return ipc.getaddrinfo("slow3.example", "80")
      end)
      out.t3, out.err3 = ipc.monotime() - t0, tostring(err)
      ipc.SIG.ALRM = "DEFAULT"
      -- numeric lookups never wait for it
      t0 = ipc.monotime()
      out.numeric = ipc.getaddrinfo("127.0.0.1", "80")[1].port
      out.t4 = ipc.monotime() - t0
      return out
    ]==], { args = { ip } })
    assert.is_nil(res.error, res.error)
    assert.same({ nil, "timeout", ipc.errno.ETIMEDOUT }, { res.r1, res.msg1, res.code1 })
    assert.truthy(res.t1 >= 0.9 and res.t1 < support.slack(5), res.t1)
    assert.equal(1, res.usr1)  -- ran while the lookup waited
    assert.is_true(res.reaped)
    assert.is_true(res.fds_kept)
    assert.is_true(res.query)
    assert.same({ nil, "timeout" }, { res.r2, res.msg2 })
    assert.truthy(res.t2 < support.slack(5), res.t2)
    assert.matches("handler raised", res.err3)
    assert.truthy(res.t3 < support.slack(5), res.t3)
    assert.equal(80, res.numeric)
    assert.truthy(res.t4 < support.slack(1), res.t4)
  end)
end)

describe("splitaddr", function()
  it("splits HOST[:PORT] as IO::Socket does, IPv6 in brackets", function()
    local cases = {
      { "localhost:13", "localhost", 13 }, { "localhost", "localhost" },
      { "[::1]:80", "::1", 80 }, { "[::1]", "::1" }, { "::1", "::1" },
      { "fe80::1:2", "fe80::1:2" }, { "10.0.0.1:0", "10.0.0.1", 0 },
      { "h:daytime(13)", "h", "daytime(13)" }, { "h:http", "h", "http" },
      { ":80", "", 80 }, { "h:99999", "h", "99999" }, { "h:-1", "h", "-1" },
      { "[127.0.0.1]:7", "127.0.0.1", 7 }, { "h:007", "h", 7 },
    }
    for _, c in ipairs(cases) do
      assert.same({ c[2], c[3] }, { ipc.splitaddr(c[1]) }, c[1])
    end
  end)

  it("returns nil, a message and EINVAL for a malformed one", function()
    for _, a in ipairs { "", "[::1", "[::1]x", "[::1]:", "host:", "[]", "[a]:b]", "x]:1", "[[a]]" } do
      assert.same({ nil, "splitaddr: malformed address '" .. a .. "'", ipc.errno.EINVAL },
        { ipc.splitaddr(a) }, a)
    end
    assert.matches("bad argument #1 to '[%w.]*splitaddr'", support.error_of(ipc.splitaddr, {}))
  end)
end)

describe("the classic calls", function()
  it("gethostbyname gives a dotted IPv4 string", function()
    assert.equal("127.0.0.1", ipc.gethostbyname("localhost"))
    assert.equal("10.1.2.3", ipc.gethostbyname("10.1.2.3"))
    local ok, msg = ipc.gethostbyname("nosuch.invalid")
    assert.is_nil(ok)
    assert.matches("^gethostbyname nosuch%.invalid: ", msg)
  end)

  it("gethostbyaddr gives the name, or nil and a message", function()
    assert.equal("localhost", ipc.gethostbyaddr("127.0.0.1"))
    local ok, msg, code = ipc.gethostbyaddr("192.0.2.1")
    assert.is_nil(ok)
    assert.matches("^gethostbyaddr 192%.0%.2%.1: ", msg)
    assert.is_not_nil(code)
  end)

  it("getservbyname and getprotobyname give numbers", function()
    assert.equal(13, ipc.getservbyname("daytime", "tcp"))
    assert.equal(53, ipc.getservbyname("domain", "udp"))
    assert.equal(80, ipc.getservbyname("http"))
    assert.same({ nil, "getservbyname nosuch/tcp: unknown service", ipc.errno.ENOENT },
      { ipc.getservbyname("nosuch", "tcp") })
    assert.equal(6, ipc.getprotobyname("tcp"))
    assert.equal(17, ipc.getprotobyname("udp"))
    assert.same({ nil, "getprotobyname nosuch: unknown protocol", ipc.errno.ENOENT },
      { ipc.getprotobyname("nosuch") })
  end)

  it("a name with a NUL byte is an argument error, not the name before it", function()
    assert.matches("bad argument #1 to '[%w.]*getservbyname' %(name contains", support.error_of(ipc.getservbyname, "http\0x"))
    assert.matches("bad argument #2 to '[%w.]*getservbyname' %(protocol contains", support.error_of(ipc.getservbyname, "http", "tcp\0x"))
    assert.matches("bad argument #1 to '[%w.]*getprotobyname' %(name contains", support.error_of(ipc.getprotobyname, "tcp\0x"))
  end)

  it("inet_aton and inet_ntoa convert 4-byte addresses", function()
    assert.equal("\127\0\0\1", ipc.inet_aton("127.0.0.1"))
    assert.equal("\127\0\0\1", ipc.inet_aton("localhost"))
    assert.equal("10.20.30.40", ipc.inet_ntoa(ipc.inet_aton("10.20.30.40")))
    assert.equal("255.0.1.2", ipc.inet_ntoa("\255\0\1\2"))
    assert.is_nil((ipc.inet_aton("nosuch.invalid")))
    assert.matches("4%-byte packed address expected", support.error_of(ipc.inet_ntoa, "abc"))
  end)

  it("the host's name is there", function()
    assert.is_string(ipc.hostname())
  end)
end)
