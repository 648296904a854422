-- Load specs: the recipe servers and unixipc's own primitives under many
-- clients, many connections and many signals at once. Real processes on
-- 127.0.0.1, port 0 everywhere; every wait is bounded (the child
-- interpreters by support.child's timeout, every socket wait by a timeout
-- of its own), and every process a spec starts is put down and reaped even
-- when it fails. Under valgrind (make check-memory) the numbers shrink: it
-- only needs to see the code paths.
--
--   R36 command server:  200 clients connected at once x 50 requests each
--   R27 forking server:  200 clients at once x 50 lines echoed through cat
--   poller echo server:  5,000 connections open at the same time
--   signal storm:        100,000 signals during a TCP echo of several MB:
--                        USR1 by kill, RTMIN by sigqueue (flooding, and
--                        paced within the queue bound: none dropped)
local support = require("support")
local ipc = require("unixipc")

local top = os.getenv("PWD") or "."
local MEM = support.memcheck()

local N = MEM and { clients = 20, requests = 12, conns = 300, signals = 5000, min_bytes = 256 * 1024 }
  or { clients = 200, requests = 50, conns = 5000, signals = 100000, min_bytes = 4 * 1024 * 1024 }

-- What the child drivers share: Lua source prepended to their chunks.
local COMMON = [==[
  CTIME = "%u%l%l %u%l%l [ %d]%d %d%d:%d%d:%d%d %d%d%d%d"
  -- True when `s` is the ctime of some second in [t0, t1].
  function ctime_between(s, t0, t1)
    for t = t0, t1 do
      if s == os.date("%a %b %e %H:%M:%S %Y", t) then return true end
    end
    return false
  end
  -- Keep the first few failure messages, count them all.
  FAIL = { n = 0, msgs = {} }
  function fail(fmt, ...)
    FAIL.n = FAIL.n + 1
    if #FAIL.msgs < 8 then FAIL.msgs[#FAIL.msgs + 1] = string.format(fmt, ...) end
  end
  -- Forked children are listed in KIDS; `guarded` runs the driver and
  -- then KILLs and reaps whichever of them is still there (after an error).
  KIDS = {}
  local raw_fork = fork
  function fork(...)
    local pid = raw_fork(...)
    KIDS[pid] = true
    return pid
  end
  function guarded(fn, ...)
    local r = table.pack(pcall(fn, ...))
    for pid in pairs(KIDS) do
      if ipc.waitpid(pid, "nohang") == 0 then
        ipc.kill("KILL", pid)
        ipc.waitpid(pid)
      end
    end
    if not r[1] then error(r[2], 0) end
    return table.unpack(r, 2, r.n)
  end
  -- The soft and hard RLIMIT_NOFILE of this process, from /proc.
  function nofile()
    local f = assert(io.open("/proc/self/limits"))
    local text = f:read("a")
    f:close()
    local soft, hard = text:match("Max open files%s+(%S+)%s+(%S+)")
    return tonumber(soft) or math.huge, tonumber(hard) or math.huge
  end
]==]

-- A driver's chunk, run in a child interpreter with COMMON and `guarded`.
local function chunk(code)
  return COMMON .. "return guarded(function(...)\n" .. code .. "\nend, ...)\n"
end

local function child(code, opts)
  return support.child(chunk(code), opts)
end

-- The children of process `pid` (from /proc): an array of
-- {pid =, state =, comm =}.
local function children_of(pid)
  local out = {}
  local f = io.open(string.format("/proc/%d/task/%d/children", pid, pid))
  if not f then return out end
  local list = f:read("a")
  f:close()
  for cpid in list:gmatch("%d+") do
    local sf = io.open("/proc/" .. cpid .. "/stat")
    if sf then
      local comm, state = (sf:read("a") or ""):match("^%d+ %((.*)%) (%a)")
      sf:close()
      if state then out[#out + 1] = { pid = tonumber(cpid), state = state, comm = comm } end
    end
  end
  return out
end

local function zombies(list)
  local z = {}
  for _, c in ipairs(list) do
    if c.state == "Z" then z[#z + 1] = c.pid .. " (" .. c.comm .. ")" end
  end
  return z
end

local function describe_list(list)
  local t = {}
  for _, c in ipairs(list) do t[#t + 1] = string.format("%d %s %s", c.pid, c.state, c.comm) end
  return table.concat(t, ", ")
end

local function slurp(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a") or ""
  f:close()
  return s
end

local running = {}

-- Start a server recipe with the interpreter running this suite (so
-- valgrind sees it under make check-memory), its stdout and stderr going
-- to a log file (a pipe nobody drains would fill up and stall it). Waits
-- (10 s at most) for the start line. Returns {proc, port, logfile}.
local function start_server(file, args)
  local logfile = support.tmpname(".log")
  local f = assert(io.open(logfile, "w"))
  local cmd = { "exec", support.interpreter(), support.shell_quote("examples/" .. file) }
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = support.shell_quote(a) end
  local p = assert(ipc.spawn{ "sh", "-c", table.concat(cmd, " "),
    stdin = "null", stdout = f, stderr = "stdout", cwd = top })
  f:close()
  running[#running + 1] = p
  local port = support.wait_until(function()
    return slurp(logfile):match("server started on port (%d+)") or p:poll() ~= nil
  end, support.slack(10))
  assert(type(port) == "string", "no start line from " .. file .. ": " .. slurp(logfile))
  return { proc = p, port = tonumber(port), logfile = logfile }
end

-- TERM the server: it must exit 0 within 5 s. Returns its log.
local function stop_server(srv)
  assert(srv.proc:kill("TERM"))
  local ok, how, code = srv.proc:wait(support.slack(5))
  local log = slurp(srv.logfile)
  if ok == nil and how == "timeout" then
    srv.proc:terminate(0)
    error("the server did not stop within 5 s of SIGTERM\n" .. log)
  end
  assert.same({ "exit", 0 }, { how, code }, log)
  return log
end

local function count(s, pattern)
  local n = 0
  for _ in s:gmatch(pattern) do n = n + 1 end
  return n
end

local before
before_each(function() before = support.children() end)

after_each(function()
  for i = #running, 1, -1 do
    -- TERM first: the forking server stops and reaps its own children
    if running[i]:poll() == nil then running[i]:terminate(support.slack(2)) end
    running[i] = nil
  end
  support.cleanup()
end)

-- Nothing this spec started is left: no child of the busted process at
-- all, let alone a zombie.
local function no_children_left()
  local left = support.wait_until(function()
    local l = support.children(before)
    return #l == 0 and l
  end, support.slack(5))
  assert.truthy(left, "children left: " .. describe_list(support.children(before)))
end

describe("R36 iosocket/command_server.lua under load", function()
  -- The driver connects every client first (they queue in the listen
  -- backlog: the server serves one client at a time, as perlipc's does),
  -- then talks on whichever connection the server speaks, with a poller.
  -- After the welcome a client sends its requests and "quit" in one go
  -- (pipelined) and reads the answers to the end: lockstep, each round
  -- trip would cost ~40 ms, because the server writes answer and prompt
  -- in two sends (as perlipc's does, with autoflush): Nagle holds the
  -- prompt until the client's delayed ACK of the answer. Every answer is
  -- compared with what it must be, exactly.
  local DRIVER = [==[
    local port, nclients, nreq = tonumber((...)), tonumber((select(2, ...))), tonumber((select(3, ...)))
    local WELCOME = "Welcome to examples/iosocket/command_server.lua; type help for command list.\n"
    local PROMPT = "Command? "
    local HELP = "Commands: quit date who cookie motd\n"
    local WHO = ipc.capture("who 2>&1") or ""
    local MOTD = ipc.capture("cat /etc/motd 2>&1") or ""
    -- the server runs /usr/games/fortune when it works, else this saying
    local SAYING = ipc.filetype("/usr/games/fortune") == nil and "There is more than one way to do it.\n"
    -- the requests, in turn; what each must answer (before the prompt)
    local CYCLE = {
      { "date", "date" }, { "help", HELP }, { "cookie", "cookie" }, { "", "" },
      { "motd", MOTD }, { "What TIME is it", "date" }, { "hello", HELP }, { "who", WHO },
      { "COOKIE", "cookie" }, { "  \t ", "" }, { "Date", "date" }, { "?", HELP },
    }
    local function check(kind, got, t0, t1)
      if kind == "date" then
        local d = got:match("^(" .. CTIME .. ")\n$")
        return d ~= nil and ctime_between(d, t0, t1)
      elseif kind == "cookie" then
        if SAYING then return got == SAYING end
        return got:match("%S") ~= nil   -- a fortune
      end
      return got == kind
    end
    local REQUESTS = {}
    for k = 1, nreq do REQUESTS[k] = CYCLE[(k - 1) % #CYCLE + 1][1] .. "\n" end
    REQUESTS = table.concat(REQUESTS) .. "quit\n"

    local conns, byh = {}, {}
    for i = 1, nclients do
      local c, msg = ipc.connect{ host = "127.0.0.1", port = port, timeout = 10 * SLOW }
      if not c then fail("client %d: %s", i, tostring(msg)) break end
      conns[i] = { h = c, i = i, step = "welcome", buf = "" }
      byh[c] = conns[i]
    end
    local out = { connected = #conns }
    -- all connected at once: the server holds one, the rest wait in its
    -- accept queue, which the listen backlog bounds (ipc.listen's default,
    -- SOMAXCONN, capped by net.core.somaxconn). The queue's length is the
    -- rx_queue of the LISTEN line in /proc/net/tcp; ss(8), when there,
    -- also shows the backlog (Send-Q).
    local f = assert(io.open("/proc/net/tcp"))
    local tcp = f:read("a")
    f:close()
    local want = string.format("0100007F:%04X", port)
    for l in tcp:gmatch("[^\n]+") do
      local loc, st, rx = l:match("^%s*%d+: (%x+:%x+) %x+:%x+ (%x%x) %x+:(%x+)")
      if loc == want and st == "0A" then out.queued = tonumber(rx, 16) end
    end
    out.ss = ipc.capture("ss -Hltn 'sport = :" .. port .. "' 2>/dev/null") or ""
    out.backlog = tonumber(out.ss:match("^LISTEN%s+%d+%s+(%d+)"))
    f = io.open("/proc/sys/net/core/somaxconn")
    out.somaxconn = f and tonumber(f:read("l"))
    if f then f:close() end

    local p = ipc.poller()
    for _, c in ipairs(conns) do p:add(c.h, "r") end
    local finished, answers, live, order = 0, 0, #conns, {}
    local deadline = ipc.monotime() + 120 * SLOW
    local function drop(c, fmt, ...)
      if fmt then fail("client %d (%s): " .. fmt, c.i, c.step, ...) end
      p:remove(c.h)
      c.h:close()
      live = live - 1
    end
    -- the whole conversation after the welcome: an answer and a prompt per
    -- request, then the end (nothing after quit)
    local function verify(c, t1)
      local pieces, pos = {}, 1
      while true do
        local s, e = c.buf:find(PROMPT, pos, true)
        if not s then break end
        pieces[#pieces + 1] = c.buf:sub(pos, s - 1)
        pos = e + 1
      end
      local ok = true
      if #pieces ~= nreq or pos <= #c.buf then
        fail("client %d: %d answers and %q after the last prompt", c.i, #pieces, c.buf:sub(pos))
        ok = false
      end
      for k = 1, math.min(#pieces, nreq) do
        local req = CYCLE[(k - 1) % #CYCLE + 1]
        if check(req[2], pieces[k], c.t0, t1) then
          answers = answers + 1
        else
          fail("client %d request %d %q: wrong answer %q", c.i, k, req[1], pieces[k])
          ok = false
        end
      end
      return ok
    end
    while live > 0 do
      local evs = p:wait(10 * SLOW)
      if #evs == 0 then fail("stalled for 10 s with %d clients left", live) break end
      if ipc.monotime() > deadline then fail("not done in 120 s: %d clients left", live) break end
      for _, ev in ipairs(evs) do
        local c = byh[ev[1]]
        local data, msg = c.h:sysread(65536)
        if c.step == "welcome" then
          if data == nil then
            drop(c, "connection ended (%s), buffer %q", tostring(msg), c.buf)
          else
            c.buf = c.buf .. data
            if #c.buf >= #WELCOME + #PROMPT then
              if c.buf ~= WELCOME .. PROMPT then
                drop(c, "wrong welcome %q", c.buf)
              else
                order[#order + 1] = c.i
                c.buf, c.step, c.t0 = "", "answers", os.time()
                local ok, wmsg = c.h:write(REQUESTS)
                if not ok then drop(c, "write: %s", tostring(wmsg)) end
              end
            end
          end
        elseif data then
          c.buf = c.buf .. data
        elseif msg then
          drop(c, "read: %s", msg)
        else   -- the server closed after quit
          if verify(c, os.time()) then finished = finished + 1 end
          drop(c)
        end
      end
    end
    -- one client at a time, in the order they connected (the accept queue)
    local inorder = #order == #conns
    for k, i in ipairs(order) do inorder = inorder and k == i end
    out.finished, out.answers, out.inorder = finished, answers, inorder
    out.failures, out.msgs = FAIL.n, FAIL.msgs
    return out
  ]==]

  it(string.format("answers %d clients connected at once, %d requests each, every answer exact; no zombies",
      N.clients, N.requests), function()
    local srv = start_server("iosocket/command_server.lua", { "0" })
    local res = child(DRIVER, { args = { srv.port, N.clients, N.requests }, timeout = 150 })
    assert.is_nil(res.error, res.error)
    assert.same({ "exit", 0 }, { res._how, res._code }, res._err)
    assert.equal(N.clients, res.connected, res.msgs[1])
    -- all but the one being served were waiting in the accept queue at
    -- the same time: the backlog (SOMAXCONN, 4096 on current Linux) holds
    -- them all, so no SYN was dropped and retried
    local q = string.format("queued %s, backlog %s, somaxconn %s", tostring(res.queued),
      tostring(res.backlog), tostring(res.somaxconn))
    assert.truthy(res.queued and res.queued >= N.clients - 1, q)
    if res.backlog then assert.truthy(res.backlog >= N.clients, q) end
    assert.same({}, res.msgs)
    assert.equal(0, res.failures)
    assert.equal(N.clients * N.requests, res.answers)
    assert.equal(N.clients, res.finished)
    assert.is_true(res.inorder)
    -- the server still runs, and left no zombie (capture reaps its children)
    assert.is_nil(srv.proc:poll())
    local kids = children_of(srv.proc.pid)
    assert.same({}, zombies(kids), describe_list(kids))
    local log = stop_server(srv)
    assert.equal(N.clients, count(log, "%[Connect from [^\n]*%]\n"), log)
    no_children_left()
  end)
end)

describe("R27 inet/tcp_server_forking.lua under load", function()
  -- Every client connects first, then all talk at once: the greeting, then
  -- line after line, each echoed by the cat the server's child became; then
  -- the client shuts down its side and waits for the end.
  local DRIVER = [==[
    local port, nclients, nreq, spid = tonumber((...)), tonumber((select(2, ...))), tonumber((select(3, ...))),
      tonumber((select(4, ...)))
    local NAME = ipc.gethostbyaddr("127.0.0.1") or "127.0.0.1"
    local function esc(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end
    local GREETING = "^Hello there, " .. esc(NAME) .. ", it's now (" .. CTIME .. ")\r\n$"
    local function line(i, k)
      return string.format("client %d line %d %s\n", i, k,
        string.rep(string.char(97 + (i + k) % 26), (i * 7 + k * 13) % 200))
    end

    local conns, byh = {}, {}
    for i = 1, nclients do
      local c, msg = ipc.connect{ host = "127.0.0.1", port = port, timeout = 10 * SLOW }
      if not c then fail("client %d: %s", i, tostring(msg)) break end
      conns[i] = { h = c, i = i, step = 0, buf = "", t0 = os.time() }
      byh[c] = conns[i]
    end
    local out = { connected = #conns }
    -- before anyone talks: the server has a child per client, all at once
    local function nchildren()
      local f = io.open(string.format("/proc/%d/task/%d/children", spid, spid))
      local list = f and f:read("a") or ""
      if f then f:close() end
      local n = 0
      for _ in list:gmatch("%d+") do n = n + 1 end
      return n
    end
    local t = ipc.monotime() + 10 * SLOW
    while true do
      out.server_children = nchildren()
      if out.server_children >= #conns or ipc.monotime() > t then break end
      ipc.sleep(0.01)
    end
    local p = ipc.poller()
    for _, c in ipairs(conns) do p:add(c.h, "r") end
    local finished, echoed, live = 0, 0, #conns
    local deadline = ipc.monotime() + 120 * SLOW
    local function drop(c, fmt, ...)
      if fmt then fail("client %d step %s: " .. fmt, c.i, tostring(c.step), ...) end
      p:remove(c.h)
      c.h:close()
      live = live - 1
    end
    local function send(c)
      c.step = c.step + 1
      c.want = line(c.i, c.step)
      local ok, msg = c.h:write(c.want)
      if not ok then drop(c, "write: %s", tostring(msg)) end
    end
    while live > 0 do
      local evs = p:wait(10 * SLOW)
      if #evs == 0 then fail("stalled for 10 s with %d clients left", live) break end
      if ipc.monotime() > deadline then fail("not done in 120 s: %d clients left", live) break end
      for _, ev in ipairs(evs) do
        local c = byh[ev[1]]
        local data, msg = c.h:sysread(65536)
        if c.step == "eof" then
          if data then drop(c, "data after the last line: %q", data)
          elseif msg then drop(c, "at the end: %s", msg)
          else finished = finished + 1; drop(c) end
        elseif data == nil then
          drop(c, "connection ended early (%s), buffer %q", tostring(msg), c.buf)
        else
          c.buf = c.buf .. data
          if c.step == 0 then
            local e = c.buf:find("\n", 1, true)
            if e then
              local greet = c.buf:sub(1, e)
              local d = greet:match(GREETING)
              if not (d and ctime_between(d, c.t0, os.time())) then
                drop(c, "wrong greeting %q", c.buf)
              elseif #c.buf > e then
                drop(c, "more than the greeting: %q", c.buf)
              else
                c.buf = ""
                send(c)
              end
            end
          elseif #c.buf >= #c.want then
            if c.buf ~= c.want then
              drop(c, "sent %q, got back %q", c.want, c.buf)
            else
              echoed = echoed + 1
              c.buf = ""
              if c.step == nreq then
                c.step = "eof"
                local ok, smsg = c.h:shutdown("w")
                if not ok then drop(c, "shutdown: %s", tostring(smsg)) end
              else
                send(c)
              end
            end
          end
        end
      end
    end
    out.finished, out.echoed = finished, echoed
    out.failures, out.msgs = FAIL.n, FAIL.msgs
    return out
  ]==]

  it(string.format("echoes %d lines for each of %d clients at once through cat; REAPER leaves no zombie",
      N.requests, N.clients), function()
    local srv = start_server("inet/tcp_server_forking.lua", { "0", "cat" })
    local res = child(DRIVER, { args = { srv.port, N.clients, N.requests, srv.proc.pid }, timeout = 150 })
    assert.is_nil(res.error, res.error)
    assert.same({ "exit", 0 }, { res._how, res._code }, res._err)
    assert.equal(N.clients, res.connected, res.msgs[1])
    assert.equal(N.clients, res.server_children)   -- a child (cat) per client, at the same time
    assert.same({}, res.msgs)
    assert.equal(0, res.failures)
    assert.equal(N.clients * N.requests, res.echoed)
    assert.equal(N.clients, res.finished)
    -- every client saw its end, so every cat has exited: REAPER must reap
    -- them all (it runs asynchronously, hence the bounded wait)
    local reaped = support.wait_until(function() return #children_of(srv.proc.pid) == 0 end,
      support.slack(10))
    local kids = children_of(srv.proc.pid)
    assert.is_true(reaped, "the server's children: " .. describe_list(kids))
    assert.same({}, zombies(kids))
    assert.is_nil(srv.proc:poll())
    -- its log: one begat and one clean reaped line for each child, the same pids
    local log = support.wait_until(function()
      local l = slurp(srv.logfile)
      return count(l, ": reaped %d+ at ") >= N.clients and l
    end, support.slack(5)) or slurp(srv.logfile)
    local begat, reapd = {}, {}
    for pid in log:gmatch(": begat (%d+) at ") do begat[#begat + 1] = tonumber(pid) end
    for pid in log:gmatch(": reaped (%d+) at ") do reapd[#reapd + 1] = tonumber(pid) end
    table.sort(begat)
    table.sort(reapd)
    assert.equal(N.clients, #begat)
    assert.same(begat, reapd)
    assert.equal(0, count(log, ": reaped %d+ with "), log)   -- every cat exited 0
    assert.equal(N.clients, count(log, ": connection from "))
    stop_server(srv)
    no_children_left()
  end)
end)

describe("a poller echo server", function()
  -- The server (a forked child) accepts with a non-blocking listener and
  -- echoes with a poller, counting the connections open at once. The
  -- client (the child interpreter itself) opens every connection before
  -- sending anything and closes none until every echo is back, so the
  -- server must hold them all at the same time.
  local CODE = [==[
    local nconns = tonumber((...))
    local soft, hard = nofile()
    local out = { soft = soft, hard = hard }
    if soft < nconns + 64 then
      error(string.format("RLIMIT_NOFILE is %s:%s, %d connections need more", soft, hard, nconns))
    end
    local srv = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local port = srv:getsockname().port
    local rep_r, rep_w = assert(ipc.pipe())
    local spid = fork(function()
      rep_r:close()
      local errors = {}
      local function err(fmt, ...)
        if #errors < 8 then errors[#errors + 1] = string.format(fmt, ...) end
      end
      assert(srv:setblocking(false))
      local p = ipc.poller()
      p:add(srv, "r")
      local open, maxopen, accepted, bytes = 0, 0, 0, 0
      local deadline = ipc.monotime() + 120 * SLOW
      while accepted < nconns or open > 0 do
        local evs = p:wait(10 * SLOW)
        if #evs == 0 or ipc.monotime() > deadline then
          err("stalled: accepted %d, open %d", accepted, open)
          break
        end
        for _, ev in ipairs(evs) do
          local h = ev[1]
          if h == srv then
            while true do
              local c, msg, code = srv:accept()
              if not c then
                if code ~= ipc.errno.EAGAIN then err("accept: %s", tostring(msg)) end
                break
              end
              accepted, open = accepted + 1, open + 1
              if open > maxopen then maxopen = open end
              p:add(c, "r")
            end
          else
            local data, msg = h:sysread(65536)
            if data then
              local n, smsg = h:send(data)
              if n ~= #data then err("send: %s of %d", tostring(n or smsg), #data) end
              bytes = bytes + #data
            else
              if msg then err("read: %s", msg) end
              p:remove(h)
              h:close()
              open = open - 1
            end
          end
        end
      end
      assert(rep_w:write(string.format("%d %d %d %d\n%s\n", accepted, maxopen, open, bytes,
        table.concat(errors, "; "))))
      rep_w:close()
    end)
    srv:close()
    rep_w:close()

    local function message(i)
      return string.format("hello %d from the client, %s\n", i, string.rep(string.char(65 + i % 26), i % 97))
    end
    -- every connection first
    local conns, want = {}, 0
    for i = 1, nconns do
      local c, msg = ipc.connect{ host = "127.0.0.1", port = port, timeout = 10 * SLOW }
      if not c then fail("connect %d: %s", i, tostring(msg)) break end
      conns[i] = c
    end
    out.connected = #conns
    -- then every message
    local p = ipc.poller()
    local got, idx = {}, {}
    for i, c in ipairs(conns) do
      local ok, msg = c:write(message(i))
      if not ok then fail("write %d: %s", i, tostring(msg)) end
      want = want + #message(i)
      got[i], idx[c] = "", i
      p:add(c, "r")
    end
    -- and every echo back, while all stay open
    local pending, exact = #conns, 0
    local deadline = ipc.monotime() + 120 * SLOW
    while pending > 0 do
      local evs = p:wait(10 * SLOW)
      if #evs == 0 or ipc.monotime() > deadline then
        fail("stalled with %d echoes missing", pending)
        break
      end
      for _, ev in ipairs(evs) do
        local c = ev[1]
        local i = idx[c]
        local data, msg = c:sysread(65536)
        if data == nil then
          fail("connection %d ended (%s) after %q", i, tostring(msg), got[i])
          p:remove(c)
          pending = pending - 1
        else
          got[i] = got[i] .. data
          if #got[i] >= #message(i) then
            if got[i] == message(i) then exact = exact + 1
            else fail("connection %d: sent %q, got %q", i, message(i), got[i]) end
            p:remove(c)
            pending = pending - 1
          end
        end
      end
    end
    out.exact = exact
    for _, c in ipairs(conns) do c:close() end
    rep_r:settimeout(30 * SLOW)
    local report = rep_r:read("a") or ""
    rep_r:close()
    out.how, out.code = reap(spid, 30 * SLOW)
    out.accepted, out.maxopen, out.open, out.bytes, out.server_errors =
      report:match("^(%d+) (%d+) (%-?%d+) (%d+)\n(.*)\n$")
    out.report = report
    out.want = want
    out.failures, out.msgs = FAIL.n, FAIL.msgs
    return out
  ]==]

  it(string.format("holds %d connections open at once and echoes each message exactly", N.conns), function()
    -- the client and the server each need a descriptor per connection:
    -- raise RLIMIT_NOFILE for them (root may raise the hard limit too); a
    -- failure to raise fails the spec (prlimit fails, or the child's check)
    local limit = N.conns * 2 + 1000
    local res = support.child_under(string.format("prlimit --nofile=%d:%d --", limit, limit), chunk(CODE),
      { args = { N.conns }, timeout = 150 })
    assert.is_nil(res.error, res.error)
    assert.same({ "exit", 0 }, { res._how, res._code }, res._err)
    assert.equal(limit, res.soft)
    assert.equal(N.conns, res.connected, res.msgs[1])
    assert.same({}, res.msgs)
    assert.equal(0, res.failures)
    assert.equal(N.conns, res.exact)
    assert.same({ "exit", 0 }, { res.how, res.code }, res.report)
    assert.equal("", res.server_errors, res.report)
    assert.equal(N.conns, tonumber(res.accepted), res.report)
    assert.equal(N.conns, tonumber(res.maxopen), res.report)   -- all open at the same time
    assert.equal(0, tonumber(res.open), res.report)
    assert.equal(res.want, tonumber(res.bytes), res.report)
    no_children_left()
  end)
end)

describe("a signal storm during socket traffic", function()
  -- The process echoes data through TCP with a forked peer, chunk by chunk,
  -- comparing each chunk that comes back, while another forked child sends
  -- it signals as fast as it can. Modes: "kill", USR1 with kill (they
  -- coalesce while one is pending); "flood", RTMIN with sigqueue and the
  -- values 1..n, queued one by one (the sender keeps the user's queued
  -- signals, SigQ, under 4096, far below RLIMIT_SIGPENDING, and retries on
  -- EAGAIN), faster than Lua handlers can run, so some are dropped past
  -- the queue bound, and counted; "window", the same but the sender keeps
  -- at most WINDOW signals unhandled (the handler acknowledges every ACK-th
  -- value on a pipe), within the contract's queue bound (at least 4096):
  -- then every one must run the handler, once, in order. The Lua handler
  -- counts them and checks what it is given.
  local CODE = [==[
    local mode, nsig, min_bytes = ..., tonumber((select(2, ...))), tonumber((select(3, ...)))
    local SIG = mode == "kill" and "USR1" or "RTMIN"
    local WINDOW, ACK = 3072, 512
    local me = ipc.getpid()
    local out = { errors = {} }
    local function err(fmt, ...)
      if #out.errors < 8 then out.errors[#out.errors + 1] = string.format(fmt, ...) end
    end

    local srv = assert(ipc.listen{ host = "127.0.0.1", port = 0 })
    local port = srv:getsockname().port
    -- the echo peer: echoes all it gets, then reports how many bytes
    local erep_r, erep_w = assert(ipc.pipe())
    local epid = fork(function()
      srv:close(); erep_r:close()
      local c = assert(ipc.connect{ host = "127.0.0.1", port = port, timeout = 10 })
      c:settimeout(30)
      local n = 0
      while true do
        local data, msg = c:sysread(65536)
        if not data then
          assert(msg == nil, msg)
          break
        end
        n = n + #data
        assert(c:write(data))
      end
      c:close()
      assert(erep_w:write(tostring(n), "\n"))
    end)
    erep_w:close()
    srv:settimeout(10)
    local c = assert(srv:accept())
    srv:close()
    c:settimeout(30)

    -- the sender: waits for "go", sends nsig signals, reports how many went
    local go_r, go_w = assert(ipc.pipe())
    local srep_r, srep_w = assert(ipc.pipe())
    local ack_r, ack_w = assert(ipc.pipe())
    local spid = fork(function()
      go_w:close(); srep_r:close(); erep_r:close(); c:close(); ack_w:close()
      ack_r:settimeout(10 * SLOW)
      local acked = 0
      go_r:settimeout(30)
      assert(go_r:read(1) == "g")
      local sent, failed, again = 0, 0, 0
      local deadline = ipc.monotime() + 60 * SLOW
      -- the real user's queued signals, from /proc (SigQ: queued/limit)
      local function sigq()
        local f = io.open("/proc/" .. me .. "/status")
        local q = f and tonumber(f:read("a"):match("SigQ:%s*(%d+)")) or 0
        if f then f:close() end
        return q
      end
      for v = 1, nsig do
        if mode == "window" then
          while v - acked > WINDOW do
            local d, msg = ack_r:sysread(4096)
            if not d then error("no acknowledgement after " .. acked .. ": " .. tostring(msg)) end
            acked = acked + #d * ACK
          end
        end
        if mode ~= "kill" then
          if mode == "flood" and v % 256 == 0 then
            while sigq() > 4096 and ipc.monotime() < deadline do ipc.sleep(0.001) end
          end
          while true do
            local ok, _, code = ipc.sigqueue(me, SIG, v)
            if ok then sent = sent + 1 break end
            if code ~= ipc.errno.EAGAIN or ipc.monotime() > deadline then failed = failed + 1 break end
            again = again + 1
            ipc.sleep(0.001)
          end
        elseif ipc.kill(SIG, me) == 1 then
          sent = sent + 1
        else
          failed = failed + 1
        end
      end
      assert(srep_w:write(string.format("%d %d %d\n", sent, failed, again)))
    end)
    go_r:close(); srep_w:close(); ack_r:close()

    local handled, strange, last, disorder = 0, 0, 0, 0
    ipc.SIG.PIPE = "IGNORE"
    ipc.SIG[SIG] = function(name, info)
      handled = handled + 1
      if name ~= SIG or info.signo ~= ipc.signum(SIG) or info.pid ~= spid then strange = strange + 1 end
      if mode ~= "kill" then
        -- queued real-time signals come in order, each once
        if not (math.type(info.value) == "integer" and info.value > last) then disorder = disorder + 1 end
        last = info.value or last
        -- (once the sender is done, this write fails with EPIPE: PIPE is ignored)
        if mode == "window" and last % ACK == 0 then ack_w:write("a") end
      end
    end

    -- random chunks of 32 KiB, echoed one at a time (both directions fit
    -- in the socket buffers, so the lockstep cannot deadlock)
    local chunks = {}
    for i = 1, 16 do
      local t = {}
      for j = 1, 4096 do t[j] = string.pack("<i8", math.random(math.mininteger, math.maxinteger)) end
      chunks[i] = table.concat(t)
    end
    local total, rounds, sender_done = 0, 0, false
    local deadline = ipc.monotime() + 60 * SLOW
    while not sender_done or total < min_bytes do
      rounds = rounds + 1
      local chunk = chunks[rounds % #chunks + 1]
      local ok, msg, code = c:write(chunk)
      if not ok then err("write: %s (%s)", tostring(msg), tostring(code)) break end
      local back, rmsg, rcode = c:read(#chunk)
      if back ~= chunk then
        err("round %d: %s", rounds, back and ("got " .. #back .. " different bytes")
          or ("read: " .. tostring(rmsg) .. " (" .. tostring(rcode) .. ")"))
        break
      end
      total = total + #chunk
      if rounds == 1 then assert(go_w:write("g")); go_w:close() end
      if not sender_done then
        local pid = ipc.waitpid(spid, "nohang")
        if pid == spid then sender_done = true
        elseif pid ~= 0 then err("waitpid sender: %s", tostring(pid)) break end
      end
      if ipc.monotime() > deadline then err("deadline: %d bytes, sender done: %s", total, tostring(sender_done)) break end
    end
    c:shutdown("w")
    local rest, rmsg = c:read("a")
    if rest ~= "" then err("after the end: %q %s", tostring(rest), tostring(rmsg)) end
    c:close()
    erep_r:settimeout(30)
    out.echoed = tonumber(erep_r:read("l"))
    out.peer_how, out.peer_code = reap(epid, 30)
    srep_r:settimeout(30)
    local sline = srep_r:read("l") or ""
    local sent, failed, again = sline:match("^(%d+) (%d+) (%d+)$")
    out.sent, out.kill_failed, out.again = tonumber(sent), tonumber(failed), tonumber(again)
    if not sender_done then out.sender_how, out.sender_code = reap(spid, 30)
    else out.sender_how = "exit" end
    -- what is still pending or queued runs now
    ipc.sleep(0.1)
    ipc.dispatch()
    out.total, out.rounds, out.handled, out.strange, out.disorder = total, rounds, handled, strange, disorder
    out.last = last
    out.stats = ipc.sigstats()[SIG]
    out.alive = ipc.getpid() == me
    return out
  ]==]

  local function check(res)
    assert.is_nil(res.error, res.error)
    assert.same({ "exit", 0 }, { res._how, res._code }, res._err)   -- it survived
    assert.is_true(res.alive)
    assert.same({}, res.errors)
    assert.equal(N.signals, res.sent)            -- every signal went
    assert.equal(0, res.kill_failed)
    assert.truthy(res.total >= N.min_bytes, res.total)
    assert.equal(res.total, res.echoed)          -- the peer got exactly that many
    assert.same({ "exit", 0 }, { res.peer_how, res.peer_code })
    assert.equal("exit", res.sender_how)
    assert.equal(0, res.strange)
    assert.equal(res.handled, res.stats.handled)
    assert.equal(res.stats.delivered, res.stats.handled + res.stats.dropped)
    no_children_left()
  end

  -- The counts of a storm, for the messages of failed assertions.
  local function accounting(res)
    return string.format("sent %s (EAGAIN %s), delivered %d, handled %d, dropped %d, last value %s",
      tostring(res.sent), tostring(res.again), res.stats.delivered, res.stats.handled, res.stats.dropped,
      tostring(res.last))
  end

  it(string.format("%d USR1 (kill) while echoing several MB over TCP: no byte lost or changed, no error, the handler runs",
      N.signals), function()
    local res = child(CODE, { args = { "kill", N.signals, N.min_bytes }, timeout = 120 })
    check(res)
    -- ordinary signals coalesce: at least one, at most one per kill
    assert.truthy(res.handled >= 1 and res.handled <= res.sent, res.handled)
  end)

  it(string.format("%d RTMIN (sigqueue, flooding) during the echo: each reaches the C handler, runs the Lua handler once or is counted as dropped",
      N.signals), function()
    local res = child(CODE, { args = { "flood", N.signals, N.min_bytes }, timeout = 120 })
    check(res)
    local why = accounting(res)
    -- queued: every one reached the C handler; each ran the Lua handler
    -- once unless counted as dropped past the queue bound; in order
    assert.equal(N.signals, res.stats.delivered, why)
    assert.equal(N.signals, res.handled + res.stats.dropped, why)
    assert.truthy(res.handled >= 1, why)
    assert.equal(0, res.disorder, why)
    if res.stats.dropped == 0 then assert.equal(N.signals, res.last, why) end
  end)

  it(string.format("%d RTMIN (sigqueue, at most 3072 unhandled) during the echo: every one runs the handler once, in order, with its value",
      N.signals), function()
    local res = child(CODE, { args = { "window", N.signals, N.min_bytes }, timeout = 120 })
    check(res)
    local why = accounting(res)
    assert.equal(N.signals, res.stats.delivered, why)
    assert.equal(0, res.stats.dropped, why)
    assert.equal(N.signals, res.handled, why)
    assert.equal(0, res.disorder, why)
    assert.equal(N.signals, res.last, why)       -- 1..n, each once, in order
  end)
end)
