-- End to end: the perlipc socket recipes (R25–R37 of examples/inet,
-- examples/iosocket, examples/udp) run by the host on 127.0.0.1. Servers
-- start on port 0; each spec waits for the start line (bounded), runs the
-- client against the printed port, checks the output lines, then stops the
-- server with TERM and reaps it.
local support = require("support")
local lines, check_usage = support.lines, support.check_usage
local ipc = require("unixipc")

local top = os.getenv("PWD") or "."
local HOST = top .. "/build/bin/unixipc"

-- The first line of `out` matching `pattern`, with its captures.
local function find_line(out, pattern)
  for _, l in ipairs(lines(out)) do
    if l:match(pattern) then return l, l:match(pattern) end
  end
end

-- What gethostbyaddr says for loopback (the servers' NAME).
local LOCALNAME = ipc.gethostbyaddr("127.0.0.1") or "127.0.0.1"
local CTIME = "%u%l%l %u%l%l [ %d]%d %d%d:%d%d:%d%d %d%d%d%d"
local function esc(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

local running = {}

-- Start a server recipe with the host, stdout and stderr on a pipe; wait
-- (10 s at most) for its start line. Returns {proc, port, log}.
local function start_server(file, args)
  local argv = { HOST, "examples/" .. file, stdout = "pipe", stderr = "stdout", cwd = top }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local p = assert(ipc.spawn(argv))
  running[#running + 1] = p
  p.stdout:settimeout(support.slack(10))
  local line, err = p.stdout:read("L")
  local port = line and line:match("server started on port (%d+)")
  assert(port, "no start line from " .. file .. ": " .. tostring(line or err))
  return { proc = p, port = tonumber(port), log = line }
end

-- Read the server's log until a line matches `pattern` (10 s at most).
local function log_until(srv, pattern)
  while true do
    local line, err = srv.proc.stdout:read("L")
    assert(line, "the server log ended before " .. pattern .. " (" .. tostring(err) .. ")\n" .. srv.log)
    srv.log = srv.log .. line
    if line:match(pattern) then return line:match(pattern) end
  end
end

-- TERM (or sig) the server; it must end within 5 s. Returns how, code and
-- its whole log.
local function stop_server(srv, sig)
  assert(srv.proc:kill(sig or "TERM"))
  local ok, how, code = srv.proc:wait(support.slack(5))
  if ok == nil and how == "timeout" then
    srv.proc:terminate(0)
    error("the server did not stop within 5 s of SIG" .. (sig or "TERM") .. "\n" .. srv.log)
  end
  srv.log = srv.log .. (srv.proc.stdout:read("a") or "")
  srv.proc.stdout:close()
  return how, code, srv.log
end

-- Stop the server: it must exit 0 within 5 s. Returns its log.
local function stops_cleanly(srv, sig)
  local how, code, log = stop_server(srv, sig)
  assert.same({ "exit", 0 }, { how, code }, log)
  return log
end

-- A client recipe with `input` on its stdin: out, err, ok, how, code.
local function run_with_input(file, args, input)
  local argv = { HOST, "examples/" .. file, stdin = "pipe", stdout = "pipe", stderr = "pipe", cwd = top }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local p = assert(ipc.spawn(argv))
  return p:communicate(input, support.slack(30))
end

-- True when no process `pid` exists any more (a reaped child).
local function gone(pid)
  return support.wait_until(function()
    local ok, _, errno = ipc.kill(0, pid)
    return not ok and errno == ipc.errno.ESRCH
  end, 5)
end

after_each(function()
  for i = #running, 1, -1 do
    if running[i]:poll() == nil then running[i]:terminate(1) end
    running[i] = nil
  end
  support.cleanup()
end)

describe("R26 inet/tcp_server.lua and R25 inet/tcp_client.lua", function()
  it("greets each client with Hello there, NAME, it's now TIME and CRLF; logs the connection", function()
    local srv = start_server("inet/tcp_server.lua", { "0" })
    assert.matches("^examples/inet/tcp_server.lua %d+: server started on port %d+ at " .. CTIME .. "\n$", srv.log)
    for _, host in ipairs{ "localhost", "127.0.0.1" } do
      local out, ok, how, code, err = support.run_example("inet/tcp_client.lua", { host, tostring(srv.port) })
      assert.same({ true, "exit", 0 }, { ok, how, code }, err)
      assert.matches("^Hello there, " .. esc(LOCALNAME) .. ", it's now " .. CTIME .. "\r\n$", out)
    end
    local how, code, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how, code }, log)
    local _, n = log:gsub("\n[^\n]*: connection from " .. esc(LOCALNAME) .. " %[127%.0%.0%.1%] at port %d+ at " .. CTIME, "")
    assert.equal(2, n, log)
    assert.truthy(find_line(log, ": caught SIGTERM, shutting down at "), log)
  end)

  it("stops on INT too", function()
    local srv = start_server("inet/tcp_server.lua", { "0" })
    stops_cleanly(srv, "INT")
  end)

  it("client: a refused connection is an error, not a traceback", function()
    local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local port = s:getsockname().port
    s:close()
    local out, ok, _, code, err = support.run_example("inet/tcp_client.lua", { "127.0.0.1", tostring(port) })
    assert.is_nil(ok)
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("Connection refused", err, 1, true)
    assert.not_matches("traceback", err, 1, true)
  end)

  it("answer bad arguments with a usage line and exit 2", function()
    check_usage("inet/tcp_server.lua", { "port" })
    check_usage("inet/tcp_server.lua", { "1", "2" })
    check_usage("inet/tcp_client.lua", { "a", "b", "c" })
    check_usage("inet/tcp_client.lua", { "localhost", "nosuchservice" })
  end)
end)

describe("R33 iosocket/daytime_server.lua and R32 iosocket/daytime_client.lua", function()
  it("sends one ctime line ending in CRLF, printed byte for byte by the client", function()
    local srv = start_server("iosocket/daytime_server.lua", { "0" })
    local out, ok, how, code, err = support.run_example("iosocket/daytime_client.lua", { "localhost", tostring(srv.port) })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.matches("^" .. CTIME .. "\r\n$", out)
    -- the time is now (within a minute)
    assert.truthy(out:sub(1, 16) == os.date("%a %b %e %H:%M", os.time()) or
      out:sub(1, 16) == os.date("%a %b %e %H:%M", os.time() - 60), out)
    local how2, code2, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how2, code2 }, log)
    assert.truthy(find_line(log, ": connection from " .. esc(LOCALNAME) .. " %[127%.0%.0%.1%] at port %d+ at "), log)
  end)

  it("client: cannot connect is a clear error", function()
    local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local port = s:getsockname().port
    s:close()
    local out, ok, _, code, err = support.run_example("iosocket/daytime_client.lua", { "localhost", tostring(port) })
    assert.is_nil(ok)
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("can't connect to daytime service on localhost", err, 1, true)
  end)

  it("answer bad arguments with a usage line and exit 2", function()
    check_usage("iosocket/daytime_server.lua", { "x" })
    check_usage("iosocket/daytime_client.lua", { "a", "b", "c" })
    check_usage("iosocket/daytime_client.lua", { "localhost", "99999" })
  end)
end)

describe("R29 inet/time_server.lua, R28 inet/time_client.lua, R37 udp/udp_time_client.lua", function()
  it("R29 answers RFC 868 over TCP and UDP on the same port", function()
    local srv = start_server("inet/time_server.lua", { "0" })
    local c = assert(ipc.connect{ host = "127.0.0.1", port = srv.port, timeout = 5 })
    c:settimeout(5)
    local t = assert(c:read("a"))
    assert.equal(4, #t)
    assert.is_true(math.abs(string.unpack(">I4", t) - 2208988800 - os.time()) <= 2)
    c:close()
    local u = assert(ipc.socket("inet", "dgram"))
    u:settimeout(5)
    assert(u:sendto("", "127.0.0.1", srv.port))
    local d, from = assert(u:recvfrom(16))
    assert.equal(4, #d)
    assert.equal(srv.port, from.port)
    assert.is_true(math.abs(string.unpack(">I4", d) - 2208988800 - os.time()) <= 2)
    u:close()
    local how, code, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how, code }, log)
    assert.truthy(find_line(log, ": connection from " .. esc(LOCALNAME) .. " %[127%.0%.0%.1%] at port "), log)
    assert.truthy(find_line(log, ": datagram from " .. esc(LOCALNAME) .. " %[127%.0%.0%.1%] at port "), log)
  end)

  it("R28 prints the localhost header, then LABEL DIFF TIME per host", function()
    local srv = start_server("inet/time_server.lua", { "0" })
    local a, b = "localhost:" .. srv.port, "127.0.0.1:" .. srv.port
    local out, ok, how, code, err = support.run_example("inet/time_client.lua", { a, b })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local l = lines(out)
    assert.equal(3, #l, out)
    assert.matches("^localhost                       0 " .. CTIME .. "$", l[1])
    for i, label in ipairs{ a, b } do
      local diff = l[i + 1]:match("^" .. esc(string.format("%-24s ", label)) .. " *(%-?%d+) " .. CTIME .. "$")
      assert.truthy(diff, out)
      assert.is_true(math.abs(tonumber(diff)) <= 2, out)
    end
    stops_cleanly(srv)
  end)

  it("R37 asks every host at once over UDP and prints each answer", function()
    local srv = start_server("inet/time_server.lua", { "0" })
    local a, b = "localhost:" .. srv.port, "127.0.0.1:" .. srv.port
    local out, ok, how, code, err = support.run_example("udp/udp_time_client.lua", { a, b })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local l = lines(out)
    assert.equal(3, #l, out)
    assert.matches("^localhost           0 " .. CTIME .. "$", l[1])
    local seen = {}
    for i = 2, 3 do
      local label, diff = l[i]:match("^(%S+) +(%-?%d+) " .. CTIME .. "$")
      assert.truthy(label, out)
      assert.is_true(math.abs(tonumber(diff)) <= 2, out)
      seen[#seen + 1] = label
    end
    table.sort(seen)
    assert.same({ b, a }, seen)
    local how2, code2, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how2, code2 })
    local _, n = log:gsub(": datagram from ", "")
    assert.equal(2, n, log)
  end)

  it("R37 gives up after 10 s when nobody answers", function()
    local u = assert(ipc.listen{ host = "127.0.0.1", port = 0, proto = "udp" })  -- never answers
    local t0 = ipc.monotime()
    local label = "127.0.0.1:" .. u:getsockname().port
    local out, ok, _, code, err = support.run_example("udp/udp_time_client.lua", { label })
    local took = ipc.monotime() - t0
    u:close()
    assert.is_nil(ok)
    assert.equal(1, code)
    assert.equal(1, #lines(out), out)
    assert.equal("no answer from " .. label .. "\n", err)
    assert.is_true(took >= 9.5 and took < 15, tostring(took))
  end)

  it("answer bad arguments with a usage line and exit 2", function()
    check_usage("inet/time_server.lua", { "-1" })
    check_usage("inet/time_client.lua", {})
    check_usage("inet/time_client.lua", { "host:port" })
    check_usage("udp/udp_time_client.lua", {})
    check_usage("udp/udp_time_client.lua", { "localhost:99999" })
  end)
end)

describe("R36 iosocket/command_server.lua and R35 iosocket/biclient.lua", function()
  it("serves the commands with the manual's texts; biclient shows the prompts at once", function()
    local srv = start_server("iosocket/command_server.lua", { "0" })
    log_until(srv, "^%[Server examples/iosocket/command_server.lua accepting clients%]\n$")
    local out, err, ok, how, code = run_with_input("iosocket/biclient.lua", { "localhost", tostring(srv.port) },
      "date\n\nhelp\nwho\nmotd\nquit\n")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.equal("[Connected to localhost:" .. srv.port .. "]\n", err)
    local who = ipc.capture("who 2>&1")
    local f = io.open("/etc/motd")
    local motd = f and f:read("a") or ""
    if f then f:close() end
    local expected_start = "Welcome to examples/iosocket/command_server.lua; type help for command list.\n"
      .. "Command? "
    assert.equal(expected_start, out:sub(1, #expected_start))
    local rest = out:sub(#expected_start + 1)
    local date = rest:match("^(" .. CTIME .. ")\nCommand%? ")
    assert.truthy(date, out)
    rest = rest:sub(#date + #"\nCommand? " + 1)
    assert.equal("Command? "                                      -- the blank line
      .. "Commands: quit date who cookie motd\nCommand? "          -- help
      .. who .. "Command? "
      .. motd .. "Command? ", rest)                                -- nothing after quit
    local how2, code2, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how2, code2 }, log)
    assert.truthy(find_line(log, "^%[Connect from " .. esc(LOCALNAME) .. "%]$"), log)
  end)

  it("cookie gives a fortune or a saying; a second client is served after the first", function()
    local srv = start_server("iosocket/command_server.lua", { "0" })
    for _ = 1, 2 do
      local out, err, ok = run_with_input("iosocket/biclient.lua", { "127.0.0.1", tostring(srv.port) }, "COOKIE\nExit\n")
      assert.is_true(ok, err)
      local cookie = out:match("^Welcome[^\n]*\nCommand%? (.+)Command%? $")
      assert.truthy(cookie and cookie:match("%S") and not cookie:match("Command"), out)
    end
    local how, code, log = stop_server(srv, "INT")
    assert.same({ "exit", 0 }, { how, code }, log)
    local _, n = log:gsub("%[Connect from ", "")
    assert.equal(2, n, log)
  end)

  it("biclient copies a prompt without newline at once, and exits 0 when the server closes", function()
    -- a peer that sends a prompt, waits for one line, answers it and closes
    local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local port = s:getsockname().port
    local p = assert(ipc.spawn{ HOST, "examples/iosocket/biclient.lua", "127.0.0.1", tostring(port),
      stdin = "pipe", stdout = "pipe", stderr = "pipe", cwd = top })
    running[#running + 1] = p
    s:settimeout(10)
    local c = assert(s:accept())
    c:settimeout(10)
    c:write("Name? ")
    p.stdout:settimeout(10)
    assert.equal("Name? ", p.stdout:sysread(100))     -- before any newline
    p.stdin:write("Lua\n")
    assert.equal("Lua\n", c:read("L"))
    c:write("Hi Lua\r\n")
    c:close()
    s:close()
    p.stdin:close()
    assert.equal("Hi Lua\r\n", p.stdout:read("a"))
    assert.same({ true, "exit", 0 }, { p:wait(10) })
  end)

  it("biclient on a terminal: the prompt shows before anything is typed; quit ends it", function()
    local srv = start_server("iosocket/command_server.lua", { "0" })
    local p = assert(ipc.pty_spawn{ HOST, "examples/iosocket/biclient.lua", "localhost", tostring(srv.port), cwd = top })
    running[#running + 1] = p
    local i, _, before = p.pty:expect("Command%? ", support.slack(10))
    assert.equal(1, i, before)
    assert.matches("%[Connected to localhost:%d+%]\r\nWelcome to examples/iosocket/command_server.lua; type help for command list%.\r\n$", before)
    p.pty:write("date\n")
    i, _, before = p.pty:expect("Command%? ", support.slack(10))
    assert.equal(1, i, before)
    assert.matches("^date\r\n" .. CTIME .. "\r\n$", before)   -- the terminal's echo, then the answer
    p.pty:write("quit\n")
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
    assert.equal("quit\r\n", p.pty:read("a"))   -- no prompt after quit
    stops_cleanly(srv)
  end)

  it("answer bad arguments with a usage line and exit 2", function()
    check_usage("iosocket/command_server.lua", { "nine" })
    check_usage("iosocket/biclient.lua", {})
    check_usage("iosocket/biclient.lua", { "localhost" })
    check_usage("iosocket/biclient.lua", { "localhost", "70000" })
  end)
end)

describe("R27 inet/tcp_server_forking.lua", function()
  it("forks a child per client that greets and execs PROGRAM on the connection; REAPER reaps it", function()
    local srv = start_server("inet/tcp_server_forking.lua", { "0", "cat" })
    local c = assert(ipc.connect{ host = "127.0.0.1", port = srv.port, timeout = 5 })
    c:settimeout(10)
    assert.matches("^Hello there, " .. esc(LOCALNAME) .. ", it's now " .. CTIME .. "\r\n$", c:read("L"))
    -- cat's stdin and stdout are the client: what we send comes back
    c:write("ping\n")
    c:shutdown("w")
    assert.equal("ping\n", c:read("a"))
    c:close()
    local pid = log_until(srv, ": begat (%d+) at ")
    assert.equal(pid, log_until(srv, ": reaped (%d+) at "))
    assert.is_true(gone(tonumber(pid)))
    local how, code, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how, code }, log)
    assert.truthy(find_line(log, ": connection from " .. esc(LOCALNAME) .. " %[127%.0%.0%.1%] at port %d+ at "), log)
  end)

  it("without PROGRAM prints fortune or its saying; the client sees it all", function()
    local srv = start_server("inet/tcp_server_forking.lua", { "0" })
    local out, ok, how, code, err = support.run_example("inet/tcp_client.lua", { "localhost", tostring(srv.port) })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local l = lines(out)
    assert.matches("^Hello there, " .. esc(LOCALNAME) .. ", it's now " .. CTIME .. "\r$", l[1])
    assert.is_true(#l >= 2, out)
    if ipc.filetype("/usr/games/fortune") == nil and ipc.filetype("/usr/bin/fortune") == nil then
      assert.equal("Lua: small, fast, and yours to embed.\r", l[2])
    end
    local pid = log_until(srv, ": begat (%d+) at ")
    assert.equal(pid, log_until(srv, ": reaped (%d+) at "))
    stops_cleanly(srv)
  end)

  it("serves clients at once, reports a failed exec, and on TERM stops its children", function()
    local srv = start_server("inet/tcp_server_forking.lua", { "0", "sleep", "30" })
    local conns, pids = {}, {}
    for i = 1, 3 do
      conns[i] = assert(ipc.connect{ host = "127.0.0.1", port = srv.port, timeout = 5 })
      conns[i]:settimeout(10)
      assert.matches("^Hello there, ", conns[i]:read("L"))
      pids[i] = tonumber(log_until(srv, ": begat (%d+) at "))
    end
    local how, code, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how, code }, log)
    for i = 1, 3 do
      assert.equal("", conns[i]:read("a"))   -- the connection ends
      assert.is_true(gone(pids[i]), "child " .. pids[i] .. " still there")
      conns[i]:close()
    end

    srv = start_server("inet/tcp_server_forking.lua", { "0", "/nonexistent/program" })
    local out = support.run_example("inet/tcp_client.lua", { "127.0.0.1", tostring(srv.port) })
    assert.matches("^Hello there, ", out)
    local pid = log_until(srv, ": begat (%d+) at ")
    local reaped = log_until(srv, ": (reaped %d+ with exit 1) at ")
    assert.equal("reaped " .. pid .. " with exit 1", reaped)
    how, code, log = stop_server(srv)
    assert.same({ "exit", 0 }, { how, code })
    assert.truthy(log:find("can't exec /nonexistent/program", 1, true), log)
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("inet/tcp_server_forking.lua", { "port" })
  end)
end)

describe("R34 iosocket/webget.lua", function()
  -- The main run is against a real HTTP server from Debian's packages:
  -- busybox httpd (installed by `make deps`), serving a temporary directory
  -- with two documents on a free loopback port. The second document ends
  -- without a newline and the first holds a CRLF: webget must print both
  -- byte for byte.
  local DOCS = {
    { name = "a.html", body = "<html><body>Alpha, the first document.</body></html>\r\n<!-- end -->\n" },
    { name = "b.html", body = "Bravo, the second document: its last line has no newline" },
  }

  -- Start `busybox httpd -f` on 127.0.0.1 serving `dir`. The port is found
  -- free by binding port 0 and closing it; should another process take it
  -- first, httpd exits and another port is tried (5 tries). Waits (10 s at
  -- most) until httpd accepts. Returns the process and the port.
  local function busybox_httpd(dir)
    local why = "no try"
    for _ = 1, 5 do
      local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
      local port = s:getsockname().port
      s:close()
      local p = assert(ipc.spawn{ "busybox", "httpd", "-f", "-p", "127.0.0.1:" .. port, "-h", dir,
        stdin = "null", stdout = "null", stderr = "pipe" })
      running[#running + 1] = p
      local state = support.wait_until(function()
        if select(2, p:poll()) ~= nil then return "exited" end
        local c = ipc.connect{ host = "127.0.0.1", port = port, timeout = 1 }
        if c then
          c:close()
          return "up"
        end
      end, support.slack(10))
      if state == "up" and select(2, p:poll()) == nil then return p, port end
      p:terminate(1)
      p.stderr:settimeout(1)
      why = tostring(state) .. ": " .. tostring(p.stderr:read("a"))
      p.stderr:close()
    end
    error("busybox httpd did not start: " .. why)
  end

  it("fetches two documents from busybox httpd, one connection each, printing them byte for byte", function()
    local dir = support.tmpname(".d")
    assert(os.execute("mkdir " .. support.shell_quote(dir)))
    local httpd
    finally(function()
      if httpd then httpd:terminate(1) end   -- TERM (KILL after 1 s) and reap
      os.execute("rm -rf " .. support.shell_quote(dir))
    end)
    for _, d in ipairs(DOCS) do
      local f = assert(io.open(dir .. "/" .. d.name, "wb"))
      f:write(d.body)
      f:close()
    end
    local port
    httpd, port = busybox_httpd(dir)
    local out, ok, how, code, err = support.run_example("iosocket/webget.lua",
      { "127.0.0.1:" .. port, "/" .. DOCS[1].name, "/" .. DOCS[2].name })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    -- each answer: status line, headers, blank line, the document's exact
    -- bytes. (busybox answers a 1.0 request with an HTTP/1.1 status line, as
    -- RFC 9110 lets a server name its own version; the answer is still
    -- HTTP/1.0-shaped: Connection: close, the body up to the close.)
    local rest = out
    for _, d in ipairs(DOCS) do
      local status, headers, tail = rest:match("^(HTTP/1%.[01] [^\r\n]*)\r\n(.-\r\n)\r\n(.*)$")
      assert.truthy(status, out)
      assert.matches("^HTTP/1%.[01] 200 OK$", status, nil, out)
      assert.matches("\r\nContent%-Length: " .. #d.body .. "\r\n", "\r\n" .. headers, nil, out)
      assert.equal(d.body, tail:sub(1, #d.body), out)
      rest = tail:sub(#d.body + 1)
    end
    assert.equal("", rest, out)
    -- a missing document is the server's 404, printed as it comes
    out, ok, how, code, err = support.run_example("iosocket/webget.lua", { "127.0.0.1:" .. port, "/guanaco.html" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.matches("^HTTP/1%.[01] 404 Not Found\r\n", out)
    -- put httpd down now: it must go on TERM
    local _, phow, pcode = httpd:terminate(5)
    assert.same({ "signal", 15 }, { phow, pcode })
  end)

  -- Only for the request bytes: a peer written here with unixipc answers
  -- `n` requests, each with the request it got as the body, so the spec
  -- sees exactly what webget sent (404 for anything but /index.html).
  local function echo_httpd(n)
    local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local pid = support.fork(function()
      s:settimeout(20)
      for _ = 1, n do
        local c = assert(s:accept())
        c:settimeout(10)
        local req = ""
        repeat
          local l = c:read("L")
          req = req .. (l or "")
        until l == nil or l == "\r\n"
        local doc = req:match("^GET (%S+) ")
        if doc == "/index.html" then
          c:write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", req)
        else
          c:write("HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\n", req)
        end
        c:close()
      end
    end)
    local port = s:getsockname().port
    s:close()
    return pid, port
  end

  it("request bytes: sends exactly GET DOC HTTP/1.0 CRLF CRLF, one connection per document (echo peer)", function()
    local pid, port = echo_httpd(2)
    finally(function() support.reap(pid, 1) end)
    local out, ok, how, code, err = support.run_example("iosocket/webget.lua",
      { "localhost:" .. port, "/index.html", "/guanaco.html" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.equal("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nGET /index.html HTTP/1.0\r\n\r\n"
      .. "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nGET /guanaco.html HTTP/1.0\r\n\r\n", out)
    local _, phow, pcode = support.reap(pid, 10)
    assert.same({ "exit", 0 }, { phow, pcode })
  end)

  it("cannot connect: a clear error", function()
    local s = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local port = s:getsockname().port
    s:close()
    local out, ok, _, code, err = support.run_example("iosocket/webget.lua", { "127.0.0.1:" .. port, "/" })
    assert.is_nil(ok)
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("cannot connect to httpd on 127.0.0.1", err, 1, true)
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("iosocket/webget.lua", {})
    check_usage("iosocket/webget.lua", { "localhost" })
    check_usage("iosocket/webget.lua", { "localhost:99999", "/" })
  end)
end)

describe("interoperating with Perl's IO::Socket (the system's perl)", function()
  -- A Perl program (core modules only) run by the system's perl; alarm 20
  -- bounds it, after_each puts it down if a spec failed first.
  local function perl(code, args, opts)
    local argv = { "perl", "-MIO::Socket::INET", "-e", "alarm 20; " .. code, stdout = "pipe", stderr = "pipe" }
    for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
    for k, v in pairs(opts or {}) do argv[k] = v end
    local p = assert(ipc.spawn(argv))
    running[#running + 1] = p
    return p
  end

  -- A Perl server: its first stdout line (10 s at most) must be
  -- "server started on port N"; its stderr is on stdout to show a die.
  local function perl_server(code, args)
    local p = perl("$| = 1; " .. code, args, { stderr = "stdout" })
    p.stdout:settimeout(support.slack(10))
    local line, err = p.stdout:read("l")
    local port = line and line:match("^server started on port (%d+)$")
    assert(port, "the Perl server did not start: " .. tostring(line or err))
    return p, port
  end

  -- A Perl client reading all the server sends: its output.
  local PRINT_ALL = [[
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => shift) or die "connect: $@";
    print while <$s>;]]
  local function perl_client(code, port)
    local out, err, ok, how, status = perl(code, { tostring(port) }):communicate(nil, support.slack(20))
    assert.same({ true, "exit", 0 }, { ok, how, status }, err)
    return out
  end

  -- A one-shot Perl TCP server sending what `reply` (Perl expression) gives.
  local function perl_tcp_server(reply)
    return perl_server([[
      my $srv = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5, ReuseAddr => 1)
        or die "listen: $@";
      print "server started on port ", $srv->sockport, "\n";
      my $c = $srv->accept or die "accept: $!";
      print $c ]] .. reply .. [[;
      close $c;]])
  end

  it("a Perl client reads R26's greeting", function()
    local srv = start_server("inet/tcp_server.lua", { "0" })
    local out = perl_client(PRINT_ALL, srv.port)
    assert.matches("^Hello there, " .. esc(LOCALNAME) .. ", it's now " .. CTIME .. "\r\n$", out)
    stops_cleanly(srv)
  end)

  it("a Perl client reads R27's greeting and the program it runs", function()
    local srv = start_server("inet/tcp_server_forking.lua", { "0", "echo", "from the child" })
    local out = perl_client(PRINT_ALL, srv.port)
    assert.matches("^Hello there, " .. esc(LOCALNAME) .. ", it's now " .. CTIME .. "\r\nfrom the child\n$", out)
    local pid = log_until(srv, ": begat (%d+) at ")
    assert.equal(pid, log_until(srv, ": reaped (%d+) at "))
    stops_cleanly(srv)
  end)

  it("a Perl client reads R29's time over TCP and over UDP", function()
    local srv = start_server("inet/time_server.lua", { "0" })
    local out = perl_client([[
      my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => shift) or die "connect: $@";
      local $/; my $rtime = <$s>;
      length($rtime) == 4 or die "got ", length($rtime), " bytes";
      print unpack("N", $rtime) - 2208988800 - time(), "\n";]], srv.port)
    assert.is_true(math.abs(tonumber(out)) <= 2, out)
    out = perl_client([[
      my $s = IO::Socket::INET->new(Proto => "udp", PeerAddr => "127.0.0.1", PeerPort => shift) or die "socket: $@";
      $s->send("0") or die "send: $!";
      defined $s->recv(my $rtime, 4) or die "recv: $!";
      print unpack("N", $rtime) - 2208988800 - time(), "\n";]], srv.port)
    assert.is_true(math.abs(tonumber(out)) <= 2, out)
    stops_cleanly(srv)
  end)

  it("a Perl client reads R33's daytime line", function()
    local srv = start_server("iosocket/daytime_server.lua", { "0" })
    local out = perl_client(PRINT_ALL, srv.port)
    assert.matches("^" .. CTIME .. "\r\n$", out)
    stops_cleanly(srv)
  end)

  it("a Perl client talks to R36's command server", function()
    local srv = start_server("iosocket/command_server.lua", { "0" })
    local out = perl_client([[
      my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => shift) or die "connect: $@";
      $s->autoflush(1);
      my $buf = "";
      sub upto { my $re = shift;   # read until the prompt (it has no newline)
        until ($buf =~ $re) { sysread($s, my $c, 4096) or die "eof before $re"; $buf .= $c }
        print $buf; $buf = "" }
      upto(qr/Command\? \z/);
      print $s "date\n";
      upto(qr/Command\? \z/);
      print $s "quit\n";
      1 while sysread($s, my $c, 4096);
      print "[closed]\n";]], srv.port)
    assert.matches("^Welcome to examples/iosocket/command_server%.lua; type help for command list%.\n"
      .. "Command%? " .. CTIME .. "\nCommand%? %[closed%]\n$", out)
    stops_cleanly(srv)
  end)

  it("R35 talks to a Perl server", function()
    local p, port = perl_server([[
      my $srv = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5, ReuseAddr => 1)
        or die "listen: $@";
      print "server started on port ", $srv->sockport, "\n";
      my $c = $srv->accept or die "accept: $!";
      $c->autoflush(1);
      print $c "Hello from perl\n";
      my $line = <$c>;
      print $c "you said: $line";
      close $c;]])
    local out, err, ok, how, code = run_with_input("iosocket/biclient.lua", { "127.0.0.1", port }, "ping\n")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.equal("Hello from perl\nyou said: ping\n", out)
    assert.same({ true, "exit", 0 }, { p:wait(10) })
  end)

  it("R25 reads from a Perl server", function()
    local p, port = perl_tcp_server([["Hello there, perl, it's now " . localtime() . "\015\012"]])
    local out, ok, how, code, err = support.run_example("inet/tcp_client.lua", { "127.0.0.1", port })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.matches("^Hello there, perl, it's now " .. CTIME .. "\r\n$", out)
    assert.same({ true, "exit", 0 }, { p:wait(10) })
  end)

  it("R28 reads from a Perl TCP time server", function()
    local p, port = perl_tcp_server([[pack("N", time() + 2208988800)]])
    local out, ok, how, code, err = support.run_example("inet/time_client.lua", { "127.0.0.1:" .. port })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.matches("\n127%.0%.0%.1:" .. port .. " +%-?[0-2] " .. CTIME .. "\n$", out)
    assert.same({ true, "exit", 0 }, { p:wait(10) })
  end)

  it("R32 reads from a Perl daytime server", function()
    local p, port = perl_tcp_server([[scalar(localtime()) . "\015\012"]])
    local out, ok, how, code, err = support.run_example("iosocket/daytime_client.lua", { "127.0.0.1", port })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.matches("^" .. CTIME .. "\r\n$", out)
    assert.same({ true, "exit", 0 }, { p:wait(10) })
  end)

  it("R37 reads from a Perl UDP time server", function()
    local p, port = perl_server([[
      my $s = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => 0)
        or die "socket: $@";
      print "server started on port ", $s->sockport, "\n";
      my $from = $s->recv(my $msg, 16);
      defined $from or die "recv: $!";
      $s->send(pack("N", time() + 2208988800), 0, $from) or die "send: $!";]])
    local out, ok, how, code, err = support.run_example("udp/udp_time_client.lua", { "127.0.0.1:" .. port })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local l = lines(out)
    assert.equal(2, #l, out)
    assert.matches("^localhost +0 " .. CTIME .. "$", l[1])
    assert.matches("^127%.0%.0%.1:" .. port .. " +%-?[0-2] " .. CTIME .. "$", l[2])
    assert.same({ true, "exit", 0 }, { p:wait(10) })
  end)
end)
