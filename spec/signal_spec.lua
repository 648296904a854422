-- Signals: deferred delivery through a queue, %SIG, kill, masks, alarm and
-- timeouts, sleep/pause/sigwait, and the promise that EINTR never reaches Lua.
-- Anything that changes process-wide signal state runs in a child interpreter
-- (support.child), so one spec cannot poison the next.
local support = require("support")
local ipc = require("unixipc")

local slack = support.slack
local memcheck = support.memcheck()
local SLOW = memcheck and 4 or 1 -- the child scripts' SLOW: signals sent later

-- Run `code` in a child interpreter; the chunk returns a table of findings.
local function child(code, opts)
  local r = support.child(code, opts)
  if r.error then
    error("child chunk raised: " .. r.error .. "\nstderr: " .. r._err, 2)
  end
  -- a clean exit too (under valgrind, 99 reports a memory error)
  if r._how ~= "exit" or r._code ~= 0 then
    error(string.format("child interpreter ended %s %s\nstderr: %s",
      tostring(r._how), tostring(r._code), r._err), 2)
  end
  return r
end

local function contains(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end

-- The platform's signals as `kill -l` from bash lists them: {number, name}.
local function kill_l()
  local p = assert(io.popen("bash -c 'kill -l'"))
  local text = p:read("a")
  p:close()
  local list = {}
  for num, name in text:gmatch("(%d+)%) SIG([%w+-]+)") do
    list[#list + 1] = { tonumber(num), name }
  end
  return list
end

after_each(function() support.cleanup() end)

describe("signal names and numbers", function()
  it("signum and signame map ALRM and 14 both ways, with or without SIG", function()
    assert.equal(14, ipc.signum("ALRM"))
    assert.equal(14, ipc.signum("SIGALRM"))
    assert.equal(14, ipc.signum(14))
    assert.equal("ALRM", ipc.signame(14))
    assert.equal("ALRM", ipc.signame("SIGALRM"))
    assert.equal(9, ipc.signum("KILL"))
  end)

  it("signals() lists every signal of the platform in number order, like kill -l", function()
    local want = kill_l()
    assert.is_true(#want >= 31, "bash kill -l gave too few names")
    local names = {}
    for i, p in ipairs(want) do names[i] = p[2] end
    assert.same(names, ipc.signals())
    for _, p in ipairs(want) do
      assert.equal(p[1], ipc.signum(p[2]))
      assert.equal(p[1], ipc.signum("SIG" .. p[2]))
      assert.equal(p[2], ipc.signame(p[1]))
    end
  end)

  it("names real-time signals RTMIN, RTMIN+1, ..., RTMAX-1, RTMAX", function()
    local list = ipc.signals()
    for _, n in ipairs({ "RTMIN", "RTMIN+1", "RTMAX-1", "RTMAX" }) do
      assert.is_true(contains(list, n), n .. " missing from signals()")
    end
    assert.equal(ipc.signum("RTMIN") + 1, ipc.signum("RTMIN+1"))
    assert.equal(ipc.signum("RTMAX") - 1, ipc.signum("RTMAX-1"))
    assert.equal("RTMIN+1", ipc.signame(ipc.signum("RTMIN") + 1))
  end)

  it("raises an error naming the function for an unknown signal name", function()
    local cases = {
      { "signal", function() ipc.signal("NOSUCH", "DEFAULT") end },
      { "kill", function() ipc.kill("NOSUCH", ipc.getpid()) end },
      { "killpg", function() ipc.killpg("SIGNOSUCH", ipc.getpid()) end },
      { "raise", function() ipc.raise("NOSUCH") end },
      { "sigqueue", function() ipc.sigqueue(ipc.getpid(), "NOSUCH", 1) end },
      { "sigblock", function() ipc.sigblock("NOSUCH") end },
      { "with_signal", function() ipc.with_signal("NOSUCH", "DEFAULT", print) end },
      { "blocked", function() ipc.blocked({ "NOSUCH" }, print) end },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[2])
      assert.is_false(ok, c[1] .. " accepted an unknown signal")
      assert.matches(c[1], tostring(err), 1, true)
    end
    assert.has_error(function() ipc.SIG.NOSUCH = "DEFAULT" end)
    assert.has_error(function() return ipc.SIG.NOSUCH end)
  end)

  it("reports a wrong element of a signal array against the array, by its index", function()
    local before = ipc.sigmask()
    local cases = {
      { { "INT", "NOSUCH" }, "element 2: unknown signal 'NOSUCH'" },
      { { 2.5 }, "element 1: number has no integer representation" },
      { { "HUP", 0 }, "element 2: invalid signal number" },
      { { "HUP", {} }, "element 2: signal name or number expected, got table" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(function() ipc.sigblock(c[1]) end)
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'sigblock' (" .. c[2] .. ")", tostring(err), 1, true)
    end
    assert.same(before, ipc.sigmask())  -- nothing was blocked
  end)
end)

describe("ipc.SIG and ipc.signal", function()
  it("reads back each setting; nil and unset read as DEFAULT; any spelling is the same slot", function()
    local r = child [[
      local f = function() end
      local t = {}
      t.unset = ipc.SIG.USR1
      ipc.SIG.USR1 = f
      t.same = ipc.SIG.USR1 == f
      t.via_sig = ipc.SIG.SIGUSR1 == f
      t.via_num = ipc.SIG[ipc.signum("USR1")] == f
      ipc.SIG.USR1 = "IGNORE"; t.ignore = ipc.SIG.USR1
      ipc.SIG.USR1 = "DEFAULT"; t.default = ipc.SIG.USR1
      ipc.SIG.USR1 = f; ipc.SIG.USR1 = nil; t.niled = ipc.SIG.USR1
      t.prev1 = ipc.signal("USR2", f)
      t.prev2 = ipc.signal("SIGUSR2", "IGNORE") == f
      t.prev3 = ipc.signal(ipc.signum("USR2"), "DEFAULT")
      t.prev4 = ipc.signal("USR2", f, { restart = false })
      t.prev5 = ipc.signal("USR2", nil) == f
      return t
    ]]
    assert.equal("DEFAULT", r.unset)
    assert.is_true(r.same)
    assert.is_true(r.via_sig)
    assert.is_true(r.via_num)
    assert.equal("IGNORE", r.ignore)
    assert.equal("DEFAULT", r.default)
    assert.equal("DEFAULT", r.niled)
    assert.equal("DEFAULT", r.prev1)
    assert.is_true(r.prev2)
    assert.equal("IGNORE", r.prev3)
    assert.equal("DEFAULT", r.prev4)
    assert.is_true(r.prev5)
  end)

  it("IGNORE discards a signal and DEFAULT (also after a handler) restores its action", function()
    local r = child [[
      local t = {}
      local ign = fork(function()
        ipc.SIG.USR1 = "IGNORE"
        ipc.raise("USR1")
        ipc.sleep(0.05)
        return 42
      end)
      t.ign_how, t.ign_code = reap(ign)
      local def = fork(function()
        ipc.SIG.USR1 = function() end
        ipc.SIG.USR1 = "DEFAULT"
        ipc.raise("USR1")
        ipc.sleep(1)
        return 42
      end)
      t.def_how, t.def_code = reap(def)
      return t
    ]]
    assert.same({ "exit", 42 }, { r.ign_how, r.ign_code })
    assert.same({ "signal", ipc.signum("USR1") }, { r.def_how, r.def_code })
  end)

  it("refuses a Lua handler for SEGV, BUS, ILL, FPE, KILL and STOP", function()
    local r = child [[
      local t = {}
      for _, s in ipairs({ "SEGV", "BUS", "ILL", "FPE", "KILL", "STOP" }) do
        local ok, err = pcall(function() ipc.SIG[s] = function() end end)
        local ok2, err2 = pcall(ipc.signal, "SIG" .. s, function() end)
        t[s] = { ok = ok, err = tostring(err), ok2 = ok2, err2 = tostring(err2) }
      end
      return t
    ]]
    for _, s in ipairs({ "SEGV", "BUS", "ILL", "FPE", "KILL", "STOP" }) do
      assert.is_false(r[s].ok, "ipc.SIG." .. s .. " = function accepted")
      assert.is_false(r[s].ok2, "ipc.signal(" .. s .. ", function) accepted")
      assert.matches(s, r[s].err, 1, true)
    end
  end)

  it("calls the handler with the name and an info table (signo, name, pid, uid, code, value)", function()
    local r = child [[
      local got = {}
      local function h(name, info) got[#got + 1] = { name = name, info = info } end
      ipc.SIG.USR1 = h
      ipc.SIG.USR2 = h
      ipc.kill("SIGUSR1", ipc.getpid())
      ipc.sleep(0.05)
      ipc.sigqueue(ipc.getpid(), "USR2", 42)
      ipc.sleep(0.05)
      local parent = ipc.getpid()
      local sender = fork(function() ipc.kill(ipc.signum("USR1"), parent) end)
      reap(sender)
      ipc.sleep(0.05)
      return { got = got, me = ipc.getpid(), uid = ipc.getuid(), sender = sender }
    ]]
    assert.equal(3, #r.got)
    local a, b, c = r.got[1], r.got[2], r.got[3]
    assert.equal("USR1", a.name)
    assert.equal("USR1", a.info.name)
    assert.equal(ipc.signum("USR1"), a.info.signo)
    assert.equal(r.me, a.info.pid)
    assert.equal(r.uid, a.info.uid)
    assert.equal("number", type(a.info.code))
    assert.equal("USR2", b.name)
    assert.equal(ipc.signum("USR2"), b.info.signo)
    assert.equal(42, b.info.value)
    assert.equal(r.me, b.info.pid)
    assert.are_not.equal(a.info.code, b.info.code) -- SI_USER vs SI_QUEUE
    assert.equal("USR1", c.name)
    assert.equal(r.sender, c.info.pid)
  end)

  it("gives a CHLD handler the child's pid and status", function()
    local r = child [[
      local got
      ipc.SIG.CHLD = function(name, info) got = got or info end
      local pid = fork(function() return 3 end)
      for _ = 1, 300 do if got then break end ipc.sleep(0.01) end
      local p, how, code = ipc.waitpid(pid)
      return { info = got, pid = pid, p = p, how = how, code = code }
    ]]
    assert.is_table(r.info)
    assert.equal("CHLD", r.info.name)
    assert.equal(r.pid, r.info.pid)
    assert.equal(3, r.info.status)
    assert.same({ r.pid, "exit", 3 }, { r.p, r.how, r.code })
  end)

  it("CHLD = IGNORE makes the kernel reap children", function()
    local r = child [[
      ipc.SIG.CHLD = "IGNORE"
      local pid = fork(function() return 0 end)
      ipc.sleep(0.2)
      local p, msg, e = ipc.waitpid(pid)
      return { p = p, msg = msg, e = e }
    ]]
    assert.is_nil(r.p)
    assert.equal(ipc.errno.ECHILD, r.e)
  end)
end)

describe("ipc.with_signal", function()
  it("puts the handler in place for fn and restores the previous one on return and on error", function()
    local r = child [[
      local t = {}
      local f0 = function() end
      ipc.SIG.USR1 = f0
      local n = 0
      local a, b = ipc.with_signal("USR1", function() n = n + 1 end, function(x, y)
        t.inside_new = ipc.SIG.USR1 ~= f0 and type(ipc.SIG.USR1) == "function"
        ipc.raise("USR1")
        ipc.sleep(0.02)
        return x + y, "ok"
      end, 1, 2)
      t.a, t.b, t.n = a, b, n
      t.restored = ipc.SIG.USR1 == f0
      local ok, err = pcall(ipc.with_signal, "USR1", "IGNORE", function()
        t.inside_ignore = ipc.SIG.USR1
        error("inner boom", 0)
      end)
      t.ok, t.err = ok, err
      t.restored_after_error = ipc.SIG.USR1 == f0
      local obj = {}
      local ok2, err2 = pcall(ipc.with_signal, "USR1", "IGNORE", error, obj)
      t.same_error_object = not ok2 and rawequal(err2, obj)
      ipc.with_signal("USR2", "IGNORE", function() end)
      t.usr2 = ipc.SIG.USR2
      return t
    ]]
    assert.is_true(r.inside_new)
    assert.same({ 3, "ok", 1 }, { r.a, r.b, r.n })
    assert.is_true(r.restored)
    assert.equal("IGNORE", r.inside_ignore)
    assert.is_false(r.ok)
    assert.equal("inner boom", r.err)
    assert.is_true(r.restored_after_error)
    assert.is_true(r.same_error_object)
    assert.equal("DEFAULT", r.usr2)
  end)
end)

describe("ipc.kill, killpg, raise, sigqueue", function()
  it("signal 0 probes: 1 for a live process, nil, msg, ESRCH for a gone one", function()
    assert.equal(1, ipc.kill(0, ipc.getpid()))
    local r = child [[
      local pid = fork(function() ipc.sleep(5) end)
      local t = { alive = ipc.kill(0, pid), alive_sig = ipc.kill("SIGUSR1", pid) }
      t.how, t.code = reap(pid)
      t.n, t.msg, t.e = ipc.kill(0, pid)
      return t
    ]]
    assert.equal(1, r.alive)
    assert.equal(1, r.alive_sig)
    assert.same({ "signal", ipc.signum("USR1") }, { r.how, r.code })
    assert.is_nil(r.n)
    assert.matches("^kill", r.msg)
    assert.equal(ipc.errno.ESRCH, r.e)
  end)

  it("EPERM: a process that is not ours is alive but cannot be signalled", function()
    -- We may be root: the probe runs in a child that drops to nobody first.
    local r = child [[
      local pid = fork(function()
        if ipc.getuid() == 0 then
          assert(ipc.setgid(65534))
          assert(ipc.setuid(65534))
        end
        local n, msg, e = ipc.kill(0, 1)
        if n ~= nil then return 5 end
        if e ~= ipc.errno.EPERM then return 6 end
        if not tostring(msg):match("^kill") then return 7 end
        return 10
      end)
      return { reap(pid) }
    ]]
    assert.same({ "exit", 10 }, { r[1], r[2] })
  end)

  it("counts the processes signalled when given several pids", function()
    local r = child [[
      local a = fork(function() ipc.sleep(5) end)
      local b = fork(function() ipc.sleep(5) end)
      local t = { n = ipc.kill("TERM", a, b) }
      t.a = { reap(a) }
      t.b = { reap(b) }
      return t
    ]]
    assert.equal(2, r.n)
    assert.same({ "signal", 15 }, r.a)
    assert.same({ "signal", 15 }, r.b)
  end)

  it("a negative pid and killpg signal a whole process group (counted once)", function()
    local r = child [[
      local function group()
        local g = fork(function() ipc.setpgid(0, 0); ipc.sleep(5) end)
        ipc.setpgid(g, g)
        local m = fork(function() ipc.setpgid(0, g); ipc.sleep(5) end)
        ipc.setpgid(m, g)
        ipc.sleep(0.05)
        return g, m
      end
      local t = {}
      local g, m = group()
      t.n1 = ipc.kill("TERM", -g)
      t.g1, t.m1 = { reap(g) }, { reap(m) }
      g, m = group()
      t.n2 = ipc.killpg("SIGTERM", g)
      t.g2, t.m2 = { reap(g) }, { reap(m) }
      return t
    ]]
    assert.equal(1, r.n1)
    assert.equal(1, r.n2)
    for _, k in ipairs({ "g1", "m1", "g2", "m2" }) do
      assert.same({ "signal", 15 }, r[k], k)
    end
  end)

  it("raise runs the handler; sigqueue delivers its value to info.value", function()
    local r = child [[
      local seen = {}
      ipc.SIG.USR2 = function(name, info) seen[#seen + 1] = info.value or false end
      ipc.raise("USR2")
      ipc.sleep(0.02)
      local rt = "RTMIN+1"
      ipc.SIG[rt] = function(name, info) seen[#seen + 1] = info.value end
      local parent = ipc.getpid()
      local pid = fork(function()
        for _, v in ipairs({ 7, -3, 2147483647 }) do assert(ipc.sigqueue(parent, rt, v)) end
      end)
      local t = { how = { reap(pid) } }
      ipc.sleep(0.05)
      t.seen = seen
      return t
    ]]
    assert.same({ "exit", 0 }, r.how)
    assert.same({ false, 7, -3, 2147483647 }, r.seen)
  end)
end)

describe("signal masks", function()
  it("sigblock and sigunblock return the previous mask; a blocked signal waits in sigpending", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local t = {}
      t.before = ipc.sigmask()
      t.prev = ipc.sigblock("USR1", "SIGUSR2")
      t.mask = ipc.sigmask()
      ipc.raise("USR1")
      ipc.sleep(0.05)
      t.dispatched = ipc.dispatch()
      t.n_blocked = n
      t.pending = ipc.sigpending()
      t.prev2 = ipc.sigunblock("USR1")
      ipc.sleep(0.02)
      t.n_after = n
      t.mask_after = ipc.sigmask()
      ipc.sigunblock("USR2")
      t.final = ipc.sigmask()
      return t
    ]]
    assert.is_false(contains(r.prev, "USR1"))
    assert.same(r.before, r.prev)
    assert.is_true(contains(r.mask, "USR1"))
    assert.is_true(contains(r.mask, "USR2"))
    assert.equal(0, r.dispatched)
    assert.equal(0, r.n_blocked)
    assert.same({ "USR1" }, r.pending)
    assert.is_true(contains(r.prev2, "USR1"))
    assert.is_true(contains(r.prev2, "USR2"))
    assert.equal(1, r.n_after)
    assert.is_false(contains(r.mask_after, "USR1"))
    assert.is_true(contains(r.mask_after, "USR2"))
    assert.same(r.before, r.final)
  end)

  it("blocked(sigs, fn) holds deliveries during fn and delivers them after", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local t = {}
      local a, b = ipc.blocked({ "USR1" }, function(x)
        -- twice to the process: the kernel keeps one pending standard signal
        -- (raise would be a second, thread-directed one)
        ipc.kill("USR1", ipc.getpid())
        ipc.kill("USR1", ipc.getpid())
        ipc.sleep(0.05)
        ipc.dispatch()
        t.inside = n
        t.mask_inside = ipc.sigmask()
        return x, "r"
      end, 7)
      t.after = n
      t.a, t.b = a, b
      t.mask_after = ipc.sigmask()
      ipc.blocked("SIGUSR1", function() ipc.raise("USR1"); t.inside2 = n end)
      t.after2 = n
      local ok, err = pcall(ipc.blocked, "USR1", function() error("blocked boom", 0) end)
      t.ok, t.err, t.mask_after_error = ok, err, ipc.sigmask()
      return t
    ]]
    assert.equal(0, r.inside)
    assert.is_true(contains(r.mask_inside, "USR1"))
    assert.equal(1, r.after)
    assert.same({ 7, "r" }, { r.a, r.b })
    assert.is_false(contains(r.mask_after, "USR1"))
    assert.equal(1, r.inside2)
    assert.equal(2, r.after2)
    assert.is_false(r.ok)
    assert.equal("blocked boom", r.err)
    assert.is_false(contains(r.mask_after_error, "USR1"))
  end)
end)

describe("ipc.alarm", function()
  it("returns the seconds left on the previous alarm, fractions included, and fires ALRM", function()
    local r = child [[
      local t = {}
      t.first = ipc.alarm(5)
      t.left = ipc.alarm(0)
      ipc.alarm(0.25)
      t.frac = ipc.alarm(0)
      local fired = 0
      ipc.SIG.ALRM = function() fired = fired + 1 end
      ipc.alarm(0.2)
      t.el = timed(ipc.sleep, 0.5)
      t.fired = fired
      t.left_after = ipc.alarm(0)
      return t
    ]]
    assert.equal(0, r.first)
    assert.is_true(r.left > 4 and r.left <= 5, "left " .. r.left)
    assert.is_true(r.frac > 0 and r.frac <= 0.25, "fraction " .. r.frac)
    assert.equal(1, r.fired)
    assert.is_true(r.el >= 0.5 - 0.005, "sleep cut short: " .. r.el)
    assert.equal(0, r.left_after)
  end)
end)

describe("ipc.timeout", function()
  it("returns true and fn's results when fn finishes in time", function()
    local r = child [[
      return table.pack(ipc.timeout(1, function(a, b) return a + b, nil, "x" end, 1, 2))
    ]]
    assert.same({ n = 4, true, 3, nil, "x" }, { n = r.n, r[1], r[2], r[3], r[4] })
  end)

  it("restores an earlier alarm and ALRM handler, after success and after a timeout", function()
    local r = child [[
      local t = {}
      local h = function() end
      ipc.SIG.ALRM = h
      ipc.alarm(10)
      t.ok1 = ipc.timeout(0.5, function() end)
      t.h1 = ipc.SIG.ALRM == h
      t.left1 = ipc.alarm(10)
      t.ok2, t.msg2 = ipc.timeout(0.1, ipc.sleep, 2)
      t.h2 = ipc.SIG.ALRM == h
      t.left2 = ipc.alarm(0)
      ipc.SIG.ALRM = nil
      ipc.timeout(0.1, ipc.sleep, 2)
      t.h3 = ipc.SIG.ALRM
      t.left3 = ipc.alarm(0)
      return t
    ]]
    assert.is_true(r.ok1)
    assert.is_true(r.h1)
    assert.is_true(r.left1 > 9 and r.left1 <= 10, "left " .. r.left1)
    assert.is_nil(r.ok2)
    assert.equal("timeout", r.msg2)
    assert.is_true(r.h2)
    assert.is_true(r.left2 > 8.5 and r.left2 <= 10, "left " .. r.left2)
    assert.equal("DEFAULT", r.h3)
    assert.equal(0, r.left3)
  end)

  it("re-raises another error from fn after restoring the alarm and the handler", function()
    local r = child [[
      local t = {}
      local h = function() end
      ipc.SIG.ALRM = h
      ipc.alarm(10)
      t.ok, t.err = pcall(ipc.timeout, 1, function() error("other failure", 0) end)
      t.h = ipc.SIG.ALRM == h
      t.left = ipc.alarm(0)
      local obj = {}
      local ok2, err2 = pcall(ipc.timeout, 1, error, obj)
      t.same_object = not ok2 and rawequal(obj, err2)
      return t
    ]]
    assert.is_false(r.ok)
    assert.equal("other failure", r.err)
    assert.is_true(r.h)
    assert.is_true(r.left > 9 and r.left <= 10, "left " .. r.left)
    assert.is_true(r.same_object)
  end)

  local breaks = {
    { "a blocking handle read", [[
        local r, w = assert(ipc.pipe())
        KEEP = w -- the writer stays open: no end of input
        return r.read, r, "l" ]] },
    { "ipc.select without a timeout", [[
        local r, w = assert(ipc.pipe())
        KEEP = w
        return ipc.select, { r }, {} ]] },
    { "ipc.sleep", [[ return ipc.sleep, 5 ]] },
    { "ipc.waitpid on a child that sleeps", [[
        local pid = fork(function() ipc.sleep(3) end)
        cleanup = function() ipc.kill("KILL", pid); reap(pid) end
        return ipc.waitpid, pid ]] },
    { "ipc.sigwait", [[ return ipc.sigwait, { "USR2" } ]] },
    { "ipc.pause", [[ return ipc.pause ]] },
    { "a stock io.read on a pipe", [[
        local f = assert(io.popen("echo $$; exec sleep 3"))
        local pid = assert(tonumber(f:read("l")))
        cleanup = function() ipc.kill("KILL", pid); f:close() end
        return f.read, f, "l" ]] },
  }
  for _, case in ipairs(breaks) do
    it("breaks out of " .. case[1], function()
      local r = child([[
        local function setup() ]] .. case[2] .. [[ end
        local t = {}
        t.el, t.pok, t.a, t.b = timed(ipc.timeout, 0.3, setup())
        if cleanup then cleanup() end
        t.alrm = ipc.SIG.ALRM
        return t
      ]])
      assert.is_true(r.pok, tostring(r.a))
      assert.is_nil(r.a)
      assert.equal("timeout", r.b)
      assert.is_true(r.el >= 0.29 and r.el < slack(2), "took " .. r.el)
      assert.equal("DEFAULT", r.alrm)
    end)
  end

  it("breaks out of a stock io.read on stdin when stdin is a pipe that stays silent", function()
    local script = support.tmpname(".lua")
    local f = assert(io.open(script, "w"))
    f:write([[
      local ipc = require("unixipc")
      local t0 = ipc.monotime()
      local ok, msg = ipc.timeout(0.3, io.read, "l")
      print(tostring(ok) .. " " .. tostring(msg) .. " " .. (ipc.monotime() - t0))
    ]])
    f:close()
    local p = assert(io.popen(string.format("sleep 2 | timeout %d %s %s 2>&1",
      math.ceil(slack(20)), support.interpreter(), support.shell_quote(script))))
    local out = p:read("a")
    p:close()
    local ok, msg, el = out:match("^(%S+) (%S+) (%S+)\n$")
    assert.equal("nil", ok, out)
    assert.equal("timeout", msg)
    assert.is_true(tonumber(el) < slack(2), "took " .. el)
  end)
end)

describe("ipc.sleep and ipc.pause", function()
  it("sleep sleeps the whole time while handlers run meanwhile, and returns 0", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local pid = fork(function()
        for _ = 1, 5 do ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end
      end)
      local t = {}
      t.el, t.ok, t.r = timed(ipc.sleep, 0.8 * SLOW)
      t.n_at_end = n
      t.how = { reap(pid) }
      return t
    ]]
    assert.is_true(r.ok)
    assert.equal(0, r.r)
    assert.is_true(r.el >= 0.8 * SLOW - 0.005, "woke early: " .. r.el)
    assert.equal(5, r.n_at_end)
    assert.same({ "exit", 0 }, r.how)
  end)

  it("a handler that raises ends sleep with its error", function()
    local r = child [[
      ipc.SIG.USR1 = function() error("wake up!", 0) end
      local parent = ipc.getpid()
      local pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end)
      local t = {}
      t.el, t.ok, t.err = timed(ipc.sleep, 5)
      reap(pid)
      return t
    ]]
    assert.is_false(r.ok)
    assert.equal("wake up!", r.err)
    assert.is_true(r.el < slack(2), "took " .. r.el)
  end)

  it("pause returns once a handler has run, with how many ran", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local pid = fork(function() ipc.sleep(0.2 * SLOW); ipc.kill("USR1", parent) end)
      local t = {}
      t.el, t.ok, t.r = timed(ipc.pause)
      t.n = n
      reap(pid)
      return t
    ]]
    assert.is_true(r.ok, tostring(r.r))
    assert.equal(1, r.r)
    assert.equal(1, r.n)
    assert.is_true(r.el >= 0.15 * SLOW, "returned early: " .. r.el)
  end)

  -- A handler may run at any instruction, the call of pause included, and
  -- inside pause between its own checks: the loop must never sleep through
  -- a delivery. Two processes that answer each other's signals would hang.
  it("never misses a signal in a `while not done do pause() end` ping-pong", function()
    local rounds = memcheck and 500 or 20000
    local code = ([[
      local rounds = ROUNDS
      local got = 0
      local parent = ipc.getpid()
      ipc.SIG.USR1 = function() got = got + 1; ipc.kill("USR2", parent) end
      ipc.SIG.USR2 = function() got = got + 1 end
      local pid = fork(function()
        local ok = ipc.timeout(20, function()
          while got < rounds do ipc.pause() end
        end)
        if not ok then ipc._exit(3) end
      end)
      local ok = ipc.timeout(20, function()
        for i = 1, rounds do
          ipc.kill("USR1", pid)
          while got < i do ipc.pause() end
        end
      end)
      return { ok = ok, got = got, how = { reap(pid) } }
    ]]):gsub("ROUNDS", tostring(rounds))
    local r = child(code, { timeout = 60 })
    assert.is_true(r.ok, "the ping-pong hung after " .. tostring(r.got) .. " rounds")
    assert.equal(rounds, r.got)
    assert.same({ "exit", 0 }, r.how)
  end)
end)

-- A delivery that is queued but whose handler has not run yet: it arrives
-- during a stock C call (os.execute) while a debugger's hook holds the slot
-- unixipc would use for its safe points, so nothing runs it until the next
-- unixipc call. If the module ran it anyway (n > 0 before the call under
-- test), the case cannot be observed and the spec is shown as pending.
local queued_prelude = [[
  local n = 0
  ipc.SIG.USR1 = function() n = n + 1 end
  local parent = ipc.getpid()
  debug.sethook(function() end, "", 1 << 30)
  local pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end)
  os.execute("sleep " .. 0.4 * SLOW)
  local t = { n_before = n }
]]

describe("a delivery already queued", function()
  it("counts for pause, which returns at once", function()
    local r = child(queued_prelude .. [[
      t.el, t.pok, t.ok, t.ran = timed(ipc.timeout, 2, ipc.pause)
      debug.sethook()
      t.n = n
      reap(pid)
      return t
    ]])
    if r.n_before > 0 then
      return pending("the module ran the handler before pause could see it queued")
    end
    assert.is_true(r.pok, tostring(r.ok))
    assert.is_true(r.ok, "pause waited for another signal")
    assert.equal(1, r.ran)
    assert.equal(1, r.n)
    assert.is_true(r.el < slack(1), "pause took " .. r.el)
  end)

  it("is run by dispatch, which returns how many ran", function()
    local r = child(queued_prelude .. [[
      t.d = ipc.dispatch()
      t.n = n
      t.d2 = ipc.dispatch()
      debug.sethook()
      reap(pid)
      return t
    ]])
    if r.n_before > 0 then
      return pending("the module ran the handler before dispatch could see it queued")
    end
    assert.equal(1, r.d)
    assert.equal(1, r.n)
    assert.equal(0, r.d2)
  end)
end)

describe("ipc.sigwait", function()
  it("takes the signal and its info without running the handler", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end)
      local t = {}
      t.name, t.info = ipc.sigwait({ "USR1" }, 5)
      ipc.sleep(0.05)
      ipc.dispatch()
      t.n, t.pid = n, pid
      reap(pid)
      return t
    ]]
    assert.equal("USR1", r.name)
    assert.equal(ipc.signum("USR1"), r.info.signo)
    assert.equal(r.pid, r.info.pid)
    assert.equal(0, r.n)
  end)

  it("takes a signal whose action is DEFAULT without the process dying", function()
    local r = child [[
      local parent = ipc.getpid()
      local pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.sigqueue(parent, "USR2", 5) end)
      local name, info = ipc.sigwait({ "USR1", "SIGUSR2" }, 5)
      reap(pid)
      return { name = name, value = info and info.value }
    ]]
    assert.equal("USR2", r.name)
    assert.equal(5, r.value)
  end)

  it("returns nil, 'timeout' when nothing comes", function()
    local r = child [[
      local t = {}
      t.el, t.ok, t.a, t.b, t.c = timed(ipc.sigwait, { "USR2" }, 0.2)
      return t
    ]]
    assert.is_true(r.ok)
    assert.same({ nil, "timeout", ipc.errno.ETIMEDOUT }, { r.a, r.b, r.c })
    assert.is_true(r.el >= 0.19 and r.el < slack(2), "took " .. r.el)
  end)
end)

describe("dispatch, sigfd and sigstats", function()
  it("dispatch returns 0 with nothing queued; sigfd is one integer descriptor", function()
    local r = child [[
      return { d = ipc.dispatch(), fd = ipc.sigfd(), fd2 = ipc.sigfd(),
               int = math.type(ipc.sigfd()) }
    ]]
    assert.equal(0, r.d)
    assert.equal("integer", r.int)
    assert.is_true(r.fd >= 0)
    assert.equal(r.fd, r.fd2)
  end)

  it("sigfd becomes readable in a select loop when a signal arrives", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local fd = ipc.sigfd()
      local pid = fork(function() ipc.sleep(0.2 * SLOW); ipc.kill("USR1", parent) end)
      local t = {}
      t.el, t.ok, t.rd, t.wr, t.to = timed(ipc.select, { fd }, {}, 3)
      ipc.dispatch()
      t.n, t.fd = n, fd
      reap(pid)
      return t
    ]]
    assert.is_true(r.ok, tostring(r.rd))
    assert.same({ r.fd }, r.rd)
    assert.is_nil(r.to)
    assert.is_true(r.el < slack(2), "select took " .. r.el)
    assert.equal(1, r.n)
  end)

  it("sigstats counts deliveries and handler runs per signal name", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR2 = function() n = n + 1 end
      for _ = 1, 3 do ipc.raise("USR2"); ipc.sleep(0.01) end
      return { s = ipc.sigstats(), n = n }
    ]]
    assert.equal(3, r.n)
    assert.same({ delivered = 3, handled = 3, dropped = 0 }, r.s.USR2)
  end)
end)

describe("handlers run at safe points", function()
  it("run while a coroutine spins in a tight pure-Lua loop (resume, wrap, nested, main)", function()
    local r = child [[
      local flag = false
      ipc.SIG.USR1 = function() flag = true end
      local parent = ipc.getpid()
      local function spin()
        -- a tight loop; os.clock (not unixipc) bounds it to 5 s of CPU
        local i, t0 = 0, os.clock()
        while not flag do
          i = i + 1
          if i % 1048576 == 0 and os.clock() - t0 > 5 then return false end
        end
        return true
      end
      local function round(run)
        flag = false
        local pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end)
        local ok, res = pcall(run)
        reap(pid)
        return ok and res
      end
      local early = coroutine.create(spin) -- created before any delivery
      local t = {}
      t.resume = round(function() return select(2, coroutine.resume(early)) end)
      t.wrap = round(coroutine.wrap(spin))
      t.nested = round(coroutine.wrap(function()
        return coroutine.wrap(function() return spin() end)()
      end))
      t.main = round(spin)
      return t
    ]]
    assert.is_true(r.resume, "not run inside coroutine.resume")
    assert.is_true(r.wrap, "not run inside coroutine.wrap")
    assert.is_true(r.nested, "not run inside a nested coroutine")
    assert.is_true(r.main, "not run in the main thread")
  end)

  it("a handler that raises while a coroutine spins ends that coroutine with the error", function()
    local r = child [[
      ipc.SIG.USR1 = function() error("stop spinning", 0) end
      local parent = ipc.getpid()
      local pid
      local co = coroutine.create(function()
        pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end)
        local i, t0 = 0, os.clock()
        while true do
          i = i + 1
          if i % 1048576 == 0 and os.clock() - t0 > 5 then return "never" end
        end
      end)
      local ok, err = coroutine.resume(co)
      reap(pid)
      return { ok = ok, err = err, status = coroutine.status(co) }
    ]]
    assert.is_false(r.ok)
    assert.equal("stop spinning", r.err)
    assert.equal("dead", r.status)
  end)

  it("a handler never re-enters itself: deliveries during its run are queued and run after", function()
    local r = child [[
      local depth, maxdepth, n, inner = 0, 0, 0, nil
      ipc.SIG.USR1 = function()
        n = n + 1
        depth = depth + 1
        if depth > maxdepth then maxdepth = depth end
        if n == 1 then
          for _ = 1, 3 do ipc.raise("USR1"); ipc.sleep(0.02) end
          local x = 0
          for i = 1, 100000 do x = x + i end
          inner = ipc.dispatch()
          t_inside = n
        end
        depth = depth - 1
      end
      ipc.raise("USR1")
      ipc.sleep(0.1)
      return { n = n, maxdepth = maxdepth, inner = inner, inside = t_inside }
    ]]
    assert.equal(1, r.inside)
    assert.equal(0, r.inner)
    assert.equal(1, r.maxdepth)
    assert.equal(4, r.n)
  end)
end)

describe("EINTR never reaches Lua", function()
  it("a handler that raises inside a blocked h:read() on a pipe ends the read with that error", function()
    local r = child [[
      ipc.SIG.USR1 = function() error("handler says stop", 0) end
      local parent = ipc.getpid()
      local rd, wr = assert(ipc.pipe())
      local pid = fork(function()
        rd:close()
        ipc.sleep(0.2 * SLOW)
        ipc.kill("USR1", parent)
        ipc.sleep(3 * SLOW)     -- keeps the writer open and never writes
      end)
      local t = {}
      t.el, t.ok, t.err = timed(rd.read, rd, "l")
      ipc.kill("KILL", pid)
      reap(pid)
      return t
    ]]
    assert.is_false(r.ok, "the read returned " .. tostring(r.err))
    assert.equal("handler says stop", r.err)
    assert.is_true(r.el >= 0.15 * SLOW and r.el < slack(2), "took " .. r.el)
  end)

  it("a handler that does not raise lets the blocked read finish with the data", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local rd, wr = assert(ipc.pipe())
      local pid = fork(function()
        rd:close()
        ipc.sleep(0.2 * SLOW)
        ipc.kill("USR1", parent)
        ipc.sleep(0.2 * SLOW)
        wr:write("the data\n", "more")
        wr:close()
      end)
      wr:close()
      local t = {}
      t.el, t.ok, t.line, t.msg = timed(rd.read, rd, "l")
      t.n = n
      t.rest = rd:read("a")
      t.how = { reap(pid) }
      return t
    ]]
    assert.is_true(r.ok, tostring(r.line))
    assert.equal("the data", r.line)
    assert.is_nil(r.msg)
    assert.equal(1, r.n)
    assert.equal("more", r.rest)
    assert.is_true(r.el >= 0.35 * SLOW, "read returned after " .. r.el)
    assert.same({ "exit", 0 }, r.how)
  end)

  it("select goes on with what is left of its timeout after handlers ran", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local rd, wr = assert(ipc.pipe())
      local pid = fork(function()
        for _ = 1, 2 do ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end
      end)
      local t = {}
      t.el, t.ok, t.rd, t.wr, t.to = timed(ipc.select, { rd }, {}, 0.5 * SLOW)
      t.n = n
      reap(pid)
      return t
    ]]
    assert.is_true(r.ok, tostring(r.rd))
    assert.same({ {}, {}, "timeout" }, { r.rd, r.wr, r.to })
    assert.is_true(r.el >= 0.5 * SLOW - 0.005, "select returned after " .. r.el)
    assert.equal(2, r.n)
  end)

  it("waitpid and a blocking write run handlers and complete", function()
    local r = child [[
      local n = 0
      ipc.SIG.USR1 = function() n = n + 1 end
      local parent = ipc.getpid()
      local t = {}
      local pid = fork(function()
        for _ = 1, 3 do ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end
        return 7
      end)
      t.wait = { ipc.waitpid(pid) }
      t.pid, t.n_wait = pid, n
      local rd, wr = assert(ipc.pipe())
      local size = 1 << 20
      local reader = fork(function()
        wr:close()
        for _ = 1, 3 do ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end
        local s = rd:read("a")
        return #s == size and 10 or 11
      end)
      rd:close()
      local ok, res = pcall(wr.write, wr, string.rep("x", size))
      t.write_ok = ok and rawequal(res, wr)
      wr:close()
      t.n_write = n
      t.reader = { reap(reader) }
      return t
    ]]
    assert.same({ r.pid, "exit", 7 }, r.wait)
    assert.equal(3, r.n_wait)
    assert.is_true(r.write_ok)
    assert.equal(6, r.n_write)
    assert.same({ "exit", 10 }, r.reader)
  end)

  it("stock io reads are not broken by a handled signal (SA_RESTART), unless restart = false", function()
    local r = child [[
      local n = 0
      local function h() n = n + 1 end
      local cmd = "sleep 0.2; kill -USR1 " .. ipc.getpid() .. "; sleep 0.3; echo hello"
      local t = {}
      ipc.SIG.USR1 = h
      local f = assert(io.popen(cmd))
      t.line = f:read("l")
      t.n1 = n
      f:close()
      ipc.signal("USR1", h, { restart = false })
      f = assert(io.popen(cmd))
      t.first = { f:read("l") }
      t.n2 = n
      t.second = f:read("l")
      f:close()
      return t
    ]]
    assert.equal("hello", r.line)
    assert.equal(1, r.n1)
    assert.is_nil(r.first[1])
    assert.equal(ipc.errno.EINTR, r.first[3])
    assert.equal(2, r.n2)
    assert.equal("hello", r.second)
  end)

  it("a storm of signals from another process leaves a 64 MiB pipe read intact and every RT delivery accounted for", function()
    local nsig, mib = 10000, 64
    if memcheck then nsig, mib = 1000, 4 end
    local r = child([[
      local NSIG, MIB = tonumber((...)), tonumber((select(2, ...)))
      local parent = ipc.getpid()
      local RT = "RTMIN"
      local usr1, rtn, dupes, badvals = 0, 0, 0, 0
      local values = {}
      ipc.SIG.USR1 = function() usr1 = usr1 + 1 end
      ipc.SIG[RT] = function(name, info)
        rtn = rtn + 1
        local v = info.value
        if math.type(v) ~= "integer" or v < 1 or v > NSIG then
          badvals = badvals + 1
        elseif values[v] then
          dupes = dupes + 1
        else
          values[v] = true
        end
      end
      local CHUNK = 65536
      local NCHUNK = MIB * 16
      local filler = string.rep("0123456789abcdef", CHUNK // 16)
      local function chunk(k) return string.format("%08x", k) .. filler:sub(9) end

      local rd, wr = assert(ipc.pipe())
      local go_r, go_w = assert(ipc.pipe())
      -- the third process: writes half, waits for the storm to end, writes the rest
      local writer = fork(function()
        rd:close(); go_w:close()
        for k = 1, NCHUNK // 2 do assert(wr:write(chunk(k))) end
        go_r:read(1)
        for k = NCHUNK // 2 + 1, NCHUNK do assert(wr:write(chunk(k))) end
        wr:close()
      end)
      -- the second process: the storm
      local signaller = fork(function()
        rd:close(); wr:close(); go_r:close()
        for i = 1, NSIG do
          assert(ipc.kill("USR1", parent))
          while true do
            local ok, msg, e = ipc.sigqueue(parent, RT, i)
            if ok then break end
            if e ~= ipc.errno.EAGAIN then error(msg) end
            ipc.sleep(0.001)
          end
        end
        go_w:write("g")
        go_w:close()
      end)
      wr:close(); go_r:close(); go_w:close()

      local t = { bytes = 0, bad = 0, errors = 0, chunks = 0 }
      local k = 0
      while true do
        local s, msg = rd:read(CHUNK)
        if s == nil then
          if msg then t.errors = t.errors + 1; t.errmsg = msg end
          break
        end
        while #s < CHUNK do
          local more, msg2 = rd:read(CHUNK - #s)
          if more == nil then
            if msg2 then t.errors = t.errors + 1; t.errmsg = msg2 end
            break
          end
          s = s .. more
        end
        k = k + 1
        t.bytes = t.bytes + #s
        if s ~= chunk(k) then t.bad = t.bad + 1 end
      end
      t.chunks = k
      t.writer = { reap(writer, 60) }
      t.signaller = { reap(signaller, 60) }
      ipc.sleep(0.2)
      ipc.dispatch()
      local distinct = 0
      for _ in pairs(values) do distinct = distinct + 1 end
      t.usr1, t.rtn, t.dupes, t.badvals, t.distinct = usr1, rtn, dupes, badvals, distinct
      t.stats = ipc.sigstats()
      return t
    ]], { args = { nsig, mib }, timeout = 180 })
    -- the data
    assert.equal(0, r.errors, r.errmsg)
    assert.equal(mib * 16, r.chunks)
    assert.equal(mib << 20, r.bytes)
    assert.equal(0, r.bad)
    assert.same({ "exit", 0 }, r.writer)
    assert.same({ "exit", 0 }, r.signaller)
    -- the real-time signals: queued by the kernel, each handled or counted dropped
    local rt = r.stats.RTMIN
    assert.is_table(rt)
    assert.equal(nsig, rt.delivered)
    assert.equal(r.rtn, rt.handled)
    assert.equal(nsig, rt.handled + rt.dropped)
    assert.equal(0, r.dupes)
    assert.equal(0, r.badvals)
    assert.equal(r.rtn, r.distinct)
    -- USR1 coalesces in the kernel, but what reached us is accounted for too
    local u = r.stats.USR1
    assert.is_true(r.usr1 >= 1)
    assert.equal(r.usr1, u.handled)
    assert.equal(u.delivered, u.handled + u.dropped)
  end)
end)

describe("fork", function()
  it("gives the child an empty queue: a delivery queued before fork does not run in the child", function()
    local r = child [[
      local n, kid = 0, nil
      ipc.SIG.USR1 = function()
        n = n + 1
        if n == 1 then
          ipc.raise("USR1") -- queued: the handler does not re-enter itself
          kid = assert(ipc.fork())
        end
      end
      ipc.raise("USR1")
      ipc.sleep(0.1)
      if kid == 0 then -- the child, back from the handler: nothing may be queued
        ipc.sleep(0.1)
        ipc.dispatch()
        ipc._exit(10 + n - 1)
      end
      local t = { parent_n = n }
      t.kid = { reap(kid) }
      return t
    ]]
    assert.equal(2, r.parent_n)
    assert.same({ "exit", 10 }, r.kid)
  end)

  it("the child keeps the handlers and has its own wake-up descriptor", function()
    local r = child [[
      local parent = ipc.getpid()
      local m = 0
      local function handler()
        m = m + 1
        if ipc.getpid() ~= parent then error("woken in child", 0) end
      end
      ipc.SIG.USR2 = handler
      local ready_r, ready_w = assert(ipc.pipe())
      local never_r, never_w = assert(ipc.pipe())
      local kid = fork(function()
        ready_r:close(); never_w:close()
        if ipc.SIG.USR2 ~= handler then return 5 end
        -- from here on the parent's USR2 may come at any instruction
        local el, pok, err = timed(function()
          ready_w:write("r\n")
          return ipc.timeout(3, never_r.read, never_r, "l")
        end)
        if pok or err ~= "woken in child" then return 4 end
        if el > 1.5 then return 6 end
        return 10
      end)
      ready_w:close(); never_r:close()
      local t = {}
      t.ready = ready_r:read("l")
      ipc.kill("USR2", kid)
      t.el, t.ok, t.rd, t.wr, t.to = timed(ipc.select, { ipc.sigfd() }, {}, 0.5)
      t.m_parent = m
      t.kid = { reap(kid) }
      ipc.raise("USR2")
      ipc.sleep(0.02)
      t.m_after = m
      return t
    ]]
    assert.equal("r", r.ready)
    assert.same({ "exit", 10 }, r.kid, r._err)
    assert.is_true(r.ok, tostring(r.rd))
    assert.same({}, r.rd, "the child's delivery woke the parent's sigfd")
    assert.equal("timeout", r.to)
    assert.equal(0, r.m_parent)
    assert.equal(1, r.m_after)
  end)
end)
