-- Security specs (issue 7): close-on-exec everywhere, no shell for list
-- forms, private Unix-domain servers and peer credentials, 0600 SysV
-- defaults, drop_privileges that really drops. Each case would fail if the
-- protection it checks were removed. Process-wide changes (umask, setuid,
-- signal handlers) happen in child interpreters or forked children only.
local support = require("support")
local ipc = require("unixipc")
local E = ipc.errno

local NOBODY = 65534

after_each(function() support.cleanup() end)

-- Code shared by the child interpreters of the descriptor specs: the set of
-- descriptors open here, their close-on-exec flag, and the descriptors a
-- program really has after fork + ipc.exec (which, unlike spawn, closes
-- nothing on its own: only O_CLOEXEC keeps a descriptor out).
local FD_TOOLS = [==[
function fdset(pid)
  local t = {}
  for fd = 0, 1023 do
    local f = io.open(string.format("/proc/%s/fdinfo/%d", pid or "self", fd))
    if f then f:close(); t[#t + 1] = fd end
  end
  return t
end
function cloexec(fd)
  local f = io.open("/proc/self/fdinfo/" .. fd)
  if not f then return nil end
  local text = f:read("a"); f:close()
  return tonumber(text:match("flags:%s*(%d+)"), 8) & tonumber("2000000", 8) ~= 0
end
function join(t) return table.concat(t, " ") end
-- True once `pid` is `sleep`, asleep in its nanosleep: past its own start-up
-- (setlocale and the like open and close descriptors of their own).
function settled(pid)
  local f = io.open("/proc/" .. pid .. "/comm")
  local comm = f and f:read("l"); if f then f:close() end
  if comm ~= "sleep" then return false end
  f = io.open("/proc/" .. pid .. "/stat")
  local stat = f and f:read("a") or ""; if f then f:close() end
  if not stat:match("^%d+ %(.-%) S") then return false end
  f = io.open("/proc/" .. pid .. "/wchan")
  local wchan = f and f:read("a") or ""; if f then f:close() end
  return wchan:find("sleep") ~= nil or wchan == "" or wchan == "0"
end
function wait_settled(pid)
  local deadline = ipc.monotime() + 10 * SLOW
  while ipc.monotime() < deadline do
    if settled(pid) then ipc.sleep(0.02); return true end
    ipc.sleep(0.01)
  end
  return false
end
-- What `sleep` inherits when forked and exec'd from here (no locale in its
-- environment, so it opens nothing itself).
function exec_fds()
  local pid = fork(function() ipc.exec{ "sleep", "30", env = { PATH = os.getenv("PATH") } } end)
  local fds = wait_settled(pid) and fdset(pid)
  ipc.kill("KILL", pid)
  reap(pid, 5)
  return fds and join(fds) or "exec never happened"
end
-- Descriptors in `after` that are not in `before`.
function added(before, after)
  local old, new = {}, {}
  for _, fd in ipairs(before) do old[fd] = true end
  for _, fd in ipairs(after) do if not old[fd] then new[#new + 1] = fd end end
  return new
end
]==]

describe("close-on-exec", function()
  it("every descriptor unixipc creates stays out of an exec'd child", function()
    local fifo = support.tmpname(".fifo")
    local usock = support.tmpname(".sock")
    local res = support.child(FD_TOOLS .. [==[
      local KIDS = {}
      local ok, res = pcall(function(fifo, usock)
      local baseline = exec_fds()
      local before = fdset()
      local keep, kids = {}, {}
      local function k(...) for i = 1, select("#", ...) do keep[#keep + 1] = (select(i, ...)) end return ... end
      local r, w = k(assert(ipc.pipe()))
      k(assert(ipc.dup(r)))
      local high = 100
      while cloexec(high) ~= nil do high = high + 1 end
      k(assert(ipc.dup2(w, high)))
      for _, fam in ipairs({ "inet", "inet6", "unix" }) do
        for _, ty in ipairs({ "stream", "dgram" }) do k(assert(ipc.socket(fam, ty))) end
      end
      k(assert(ipc.socket("unix", "seqpacket")))
      local srv = k(assert(ipc.listen{ host = "127.0.0.1", port = 0 }))
      local port = srv:getsockname().port
      k(assert(ipc.connect{ host = "127.0.0.1", port = port }))
      k(assert(srv:accept()))
      local usrv = k(assert(ipc.listen{ path = usock }))
      k(assert(ipc.connect{ path = usock }))
      k(assert(usrv:accept()))
      k(assert(ipc.listen{ host = "127.0.0.1", port = 0, proto = "udp" }))
      local a, b = k(assert(ipc.socketpair()))
      k(assert(ipc.socketpair("dgram")))
      k(assert(ipc.socketpair("seqpacket")))
      assert(a:sendfd(r, "x"))
      k(assert(b:recvfd()))
      k(assert(ipc.openpty()))
      assert(ipc.mkfifo(fifo))
      local holder = assert(io.open(fifo, "r+"))  -- a peer, so the opens do not wait
      k(assert(ipc.open_fifo(fifo, "r", 5)))
      k(assert(ipc.open_fifo(fifo, "w", 5)))
      holder:close()
      local poller = k(assert(ipc.poller()))
      poller:add(r, "r")
      local sfd = ipc.sigfd()
      -- parent ends of the pipes to children
      local h1 = k(assert(ipc.open("-|", "sleep", "30")))
      local h2 = k(assert(ipc.open("|-", "sleep", "30")))
      local p1 = assert(ipc.spawn{ "sleep", "30", stdin = "pipe", stdout = "pipe", stderr = "pipe" })
      local p2 = assert(ipc.open3("sleep", "30"))
      local p3 = assert(ipc.pty_spawn("sleep", "30"))
      local fpid, fh = ipc.fork_open("-|")
      if fpid == 0 then ipc.sleep(30); ipc._exit(0) end
      KIDS = { h1:pid(), h2:pid(), p1.pid, p2.pid, p3.pid, fpid }
      k(fh)
      local after = fdset()
      local new = added(before, after)
      local flagged, missing = {}, {}
      for _, fd in ipairs(new) do
        if cloexec(fd) then flagged[#flagged + 1] = fd else missing[#missing + 1] = fd end
      end
      local inherited = exec_fds()
      -- pidfd: open only while waiting for a child; look from a handler
      -- that runs inside that wait.
      local during = {}
      ipc.SIG.USR1 = function()
        for fd = 3, 1023 do
          local f = io.open("/proc/self/fdinfo/" .. fd)
          if f then
            local text = f:read("a"); f:close()
            if text:match("\nPid:%s*%d") then
              during.pidfd = fd; during.cloexec = cloexec(fd)
            end
          end
        end
        during.exec = exec_fds()
      end
      local waited = fork(function() ipc.sleep(0.3); ipc.kill("USR1", ipc.getppid()); ipc.sleep(0.5) end)
      local wp, how = ipc.waitpid(waited)
      ipc.SIG.USR1 = nil
      for _, h in ipairs({ p1, p2, p3 }) do h:kill("KILL"); h:wait(5) end
      for _, h in ipairs({ h1, h2 }) do ipc.kill("KILL", h:pid()) end
      ipc.kill("KILL", fpid); reap(fpid, 5)
      for i = #keep, 1, -1 do if type(keep[i]) == "userdata" then pcall(keep[i].close, keep[i]) end end
      pcall(h1.close, h1); pcall(h2.close, h2)
      return { baseline = baseline, inherited = inherited, new = #new,
        missing = join(missing), sfd = sfd, sfd_cloexec = cloexec(sfd),
        sfd_new = (function() for _, fd in ipairs(new) do if fd == sfd then return true end end return false end)(),
        high = high, pidfd = during.pidfd, pidfd_cloexec = during.cloexec,
        during_exec = during.exec, waited = wp == waited and how }
      end, ...)
      for _, pid in ipairs(KIDS) do ipc.kill("KILL", pid); ipc.waitpid(pid, "nohang") end
      if not ok then error(res, 0) end
      return res
    ]==], { args = { fifo, usock } })
    assert.is_nil(res.error, res.error)
    -- what the interpreter itself inherited without the flag (0 1 2, and
    -- whatever the runner leaked to it) is the baseline
    assert.truthy(res.baseline:match("^0 1 2"), res.baseline)
    -- ~40 descriptors were made, none without the flag, none inherited
    assert.truthy(res.new >= 35, "only " .. tostring(res.new) .. " new descriptors")
    assert.equal("", res.missing)
    assert.equal(res.baseline, res.inherited)
    assert.is_false((" " .. res.baseline .. " "):find(" " .. res.sfd .. " ", 1, true) ~= nil)
    assert.is_true(res.sfd_cloexec)
    assert.equal("exit", res.waited)
    if res.pidfd then  -- a kernel with pidfd_open
      assert.is_true(res.pidfd_cloexec)
    end
    assert.equal(res.baseline, res.during_exec)
  end)

  it("spawn passes 0, 1, 2 and what fds= names, nothing else (not even stock io files)", function()
    local res = support.child(FD_TOOLS .. [==[
      local r, w = assert(ipc.pipe())
      local a, b = assert(ipc.socketpair())
      local stock = assert(io.open("/proc/self/status"))  -- Lua's io: no O_CLOEXEC
      local out = {}
      local env = { PATH = os.getenv("PATH") }
      local p = assert(ipc.spawn{ "sleep", "30", env = env })
      local q = assert(ipc.spawn{ "sleep", "30", fds = { [3] = r, [5] = b }, env = env })
      wait_settled(p.pid); wait_settled(q.pid)
      out.plain = join(fdset(p.pid))
      out.passed = join(fdset(q.pid))
      p:kill("KILL"); q:kill("KILL"); p:wait(5); q:wait(5)
      stock:close()
      return out
    ]==])
    assert.is_nil(res.error, res.error)
    assert.equal("0 1 2", res.plain)
    assert.equal("0 1 2 3 5", res.passed)
  end)
end)

describe("list-form commands never reach a shell", function()
  local payloads = { "; touch %s", "$(touch %s)", "`touch %s`", "| touch %s",
    "&& touch %s", "\ntouch %s", "' ; touch %s ; '", "\"; touch %s; \"", "> %s" }

  local function each_payload(fn)
    for _, p in ipairs(payloads) do
      local target = support.tmpname(".x")
      fn(p:format(target), target)
      assert.is_nil(io.open(target), "shell ran for " .. p)
    end
  end

  it("ipc.capture, ipc.system and ipc.open pass the strings literally", function()
    each_payload(function(s)
      assert.same({ s .. "\n", "exit", 0 }, { ipc.capture("echo", s) })
      assert.same({ true, "exit", 0 }, { ipc.system("test", s, "=", s) })
      local h = assert(ipc.open("-|", "echo", s))
      assert.equal(s .. "\n", h:read("a"))
      assert.same({ true, "exit", 0 }, { h:close() })
      local w = assert(ipc.open("|-", "test", s, "=", s))
      assert.same({ true, "exit", 0 }, { w:close() })
    end)
  end)

  it("ipc.spawn, open2, open3 and a forked ipc.exec pass the strings literally", function()
    each_payload(function(s)
      local p = assert(ipc.spawn{ "echo", s, stdout = "pipe" })
      assert.equal(s .. "\n", p.stdout:read("a"))
      assert.same({ true, "exit", 0 }, { p:wait(10) })
      local q = assert(ipc.open2("echo", s))
      local out, _, ok, how, code = q:communicate(nil, 10)
      assert.same({ s .. "\n", true, "exit", 0 }, { out, ok, how, code })
      local r = assert(ipc.open3("echo", s))
      out, _, ok = r:communicate(nil, 10)
      assert.same({ s .. "\n", true }, { out, ok })
      local pid = support.fork(function() ipc.exec("test", s, "=", s); ipc._exit(99) end)
      assert.same({ pid, "exit", 0 }, { support.reap(pid, 10) })
      pid = support.fork(function() ipc.exec{ "test", s, "=", s }; ipc._exit(99) end)
      assert.same({ pid, "exit", 0 }, { support.reap(pid, 10) })
    end)
  end)

  it("a program name with metacharacters is looked up, not run by a shell", function()
    local target = support.tmpname(".x")
    local name = "true; touch " .. target
    local _, _, code = ipc.capture(name, "x")
    assert.equal(E.ENOENT, code)
    _, _, code = ipc.system(name, "x")
    assert.equal(E.ENOENT, code)
    _, _, code = ipc.open("-|", name, "x")
    assert.equal(E.ENOENT, code)
    _, _, code = ipc.spawn{ name, "x" }
    assert.equal(E.ENOENT, code)
    assert.is_nil(io.open(target))
  end)

  it("(contrast) one string with metacharacters does go through /bin/sh, as in Perl", function()
    local target = support.tmpname(".x")
    assert.same({ true, "exit", 0 }, { ipc.system("true; touch " .. support.shell_quote(target)) })
    local f = io.open(target)
    assert.truthy(f, "the one-string form did not use the shell")
    f:close()
  end)
end)

describe("Unix-domain servers", function()
  it("made under umask 0177 are 0600 and refuse other uids; default permissions let them in", function()
    local private, open = support.tmpname(".sock"), support.tmpname(".sock")
    if ipc.getuid() ~= 0 then
      pending("needs root to become uid 65534")
      return
    end
    local res = support.child([==[
      local private, open = ...
      local old = ipc.umask(tonumber("177", 8))
      local s1 = assert(ipc.listen{ path = private })
      ipc.umask(0)
      local s2 = assert(ipc.listen{ path = open })
      ipc.umask(old)
      local function as_nobody(path)
        return fork(function()
          assert(ipc.setgid(65534)); assert(ipc.setuid(65534))
          local c, msg, code = ipc.connect{ path = path }
          if not c then return code == ipc.errno.EACCES and 13 or 1 end
          assert(c:send("hi"))
          assert(c:recv(10))  -- wait until the server has looked
          return 0
        end)
      end
      local out = {}
      local pid = as_nobody(private)
      out.private_how, out.private_code = reap(pid, 10)
      pid = as_nobody(open)
      s2:settimeout(10)
      local c = assert(s2:accept())
      out.cred = { c:peercred() }
      out.data = c:recv(10)
      c:send("bye")
      out.open_how, out.open_code = reap(pid, 10)
      c:close(); s1:close(); s2:close()
      return out
    ]==], { args = { private, open } })
    assert.is_nil(res.error, res.error)
    assert.equal("600", support.perms(private))
    assert.equal("777", support.perms(open))
    assert.same({ "exit", 13 }, { res.private_how, res.private_code })  -- EACCES
    assert.same({ "exit", 0 }, { res.open_how, res.open_code })
    assert.equal(NOBODY, res.cred[2])
    assert.equal(NOBODY, res.cred[3])
    assert.equal("hi", res.data)
  end)

  it("peercred names the connecting process and its uid on both ends", function()
    local path = support.tmpname(".sock")
    local srv = assert(ipc.listen{ path = path })
    local c = assert(ipc.connect{ path = path })
    local a = assert(srv:accept())
    assert.same({ ipc.getpid(), ipc.getuid(), ipc.getgid() }, { a:peercred() })
    assert.same({ ipc.getpid(), ipc.getuid(), ipc.getgid() }, { c:peercred() })
    a:close(); c:close(); srv:close()
  end)
end)

describe("SysV objects", function()
  local made = {}
  after_each(function()
    for i = #made, 1, -1 do
      local kind, id = made[i][1], made[i][2]
      if kind == "shm" then ipc.shmctl(id, ipc.IPC_RMID)
      elseif kind == "msg" then ipc.msgctl(id, ipc.IPC_RMID)
      else ipc.semctl(id, 0, ipc.IPC_RMID) end
      made[i] = nil
    end
  end)
  local function track(kind, id) made[#made + 1] = { kind, id }; return id end

  it("ipc.shm, ipc.sem and ipc.msg default to 0600 and keep other uids out", function()
    if ipc.getuid() ~= 0 then
      pending("needs root to become uid 65534")
      return
    end
    local shm = assert(ipc.shm("private", 4096)); track("shm", shm.id)
    local sem = assert(ipc.sem("private", 1)); track("sem", sem.id)
    local msg = assert(ipc.msg("private")); track("msg", msg.id)
    assert.equal(384, shm:stat().mode & 511)
    assert.equal(384, sem:stat().mode & 511)
    assert.equal(384, msg:stat().mode & 511)
    assert(shm:write("secret", 0))
    assert(msg:send(1, "secret"))
    local res = support.child([==[
      local shm, sem, msg = ...
      shm, sem, msg = tonumber(shm), tonumber(sem), tonumber(msg)
      assert(ipc.setgid(65534)); assert(ipc.setuid(65534))
      local out = {}
      out.shm = select(3, ipc.shmread(shm, 0, 6))
      out.sem = select(3, ipc.semctl(sem, 0, "getval"))
      out.msg = select(3, ipc.msgrcv(msg, 100, 0, "nowait"))
      return out
    ]==], { args = { shm.id, sem.id, msg.id } })
    assert.is_nil(res.error, res.error)
    assert.same({ shm = E.EACCES, sem = E.EACCES, msg = E.EACCES },
      { shm = res.shm, sem = res.sem, msg = res.msg })
    assert.same({ "secret", 1 }, { msg:recv(nil, 0, "nowait") })
  end)

  it("shmget, semget and msgget without permission bits give no one else access", function()
    -- perlfunc semantics: the flags are passed as given, so no bits means 0.
    local shm = track("shm", assert(ipc.shmget("private", 64, ipc.IPC_CREAT)))
    local sem = track("sem", assert(ipc.semget("private", 1, ipc.IPC_CREAT)))
    local msg = track("msg", assert(ipc.msgget("private", ipc.IPC_CREAT)))
    assert.equal(0, ipc.shmctl(shm, ipc.IPC_STAT).mode & 63)
    assert.equal(0, ipc.semctl(sem, 0, ipc.IPC_STAT).mode & 63)
    assert.equal(0, ipc.msgctl(msg, ipc.IPC_STAT).mode & 63)
  end)
end)

describe("drop_privileges", function()
  it("a root-started child with real uid 65534 loses access to a 0600 root file", function()
    local secret = support.tmpname(".secret")
    local f = assert(io.open(secret, "w"))
    f:write("top secret\n")
    f:close()
    assert(ipc.capture("chmod", "600", secret))
    assert.equal("600", support.perms(secret))
    if ipc.getuid() ~= 0 then
      pending("needs root")
      return
    end
    local res = support.child_under("setpriv --ruid 65534 --rgid 65534 --clear-groups", [==[
      local secret = ...
      local out = { uid = ipc.getuid(), euid = ipc.geteuid(), gid = ipc.getgid(), egid = ipc.getegid() }
      local f = io.open(secret)
      out.before = f and f:read("l"); if f then f:close() end
      out.drop = ipc.drop_privileges()
      out.uid2, out.euid2, out.egid2 = ipc.getuid(), ipc.geteuid(), ipc.getegid()
      local g, msg, code = io.open(secret)
      out.after, out.after_code = g and "opened" or msg, code
      if g then g:close() end
      -- no way back: the saved set-user-ID was dropped too
      out.regain = { ipc.seteuid(0) }
      out.regain_uid = { ipc.setuid(0) }
      out.euid3 = ipc.geteuid()
      return out
    ]==], { args = { secret } })
    assert.is_nil(res.error, res.error)
    if support.memcheck() and res.euid ~= 0 then
      pending("valgrind gives up the effective uid when real and effective differ")
      return
    end
    assert.same({ NOBODY, 0, NOBODY, 0 }, { res.uid, res.euid, res.gid, res.egid })
    assert.equal("top secret", res.before)
    assert.is_true(res.drop)
    assert.same({ NOBODY, NOBODY, NOBODY }, { res.uid2, res.euid2, res.egid2 })
    assert.equal(E.EACCES, res.after_code)
    assert.is_nil(res.regain[1])
    assert.equal(E.EPERM, res.regain[3])
    assert.is_nil(res.regain_uid[1])
    assert.equal(NOBODY, res.euid3)
  end)
end)

describe("loading unixipc", function()
  it("changes nothing process-wide: signal dispositions, mask, umask, threads; the RT signal is taken at first use only", function()
    local top = os.getenv("PWD") or "."
    local script = support.tmpname(".lua")
    local f = assert(io.open(script, "w"))
    f:write([==[
      local function st()
        local f = io.open("/proc/self/status"); local s = f:read("a"); f:close()
        local t = {}
        for _, k in ipairs({ "SigBlk", "SigIgn", "SigCgt", "Threads" }) do
          t[#t + 1] = k .. "=" .. s:match(k .. ":%s*(%S+)")
        end
        return table.concat(t, " ")
      end
      local before = st()
      local ipc = require("unixipc")
      local old = ipc.umask()
      local loaded = st()
      print(before == loaded and "same" or (before .. " / " .. loaded), string.format("%o", old))
      local q = assert(ipc.msg("private"))
      local _, why = q:recv(nil, 0, nil, 0.05)  -- msgrcv cannot be polled: needs the timer
      q:remove()
      local used = st()
      local cgt = tonumber(used:match("SigCgt=(%x+)"), 16)
      print(why, cgt >> 63 & 1, select(2, pcall(ipc.signal, "RTMAX", function() end)))
    ]==])
    f:close()
    local cmd = string.format("cd %s && umask 027 && LUA_PATH=%s LUA_CPATH=%s timeout 30 lua5.4 %s 2>&1",
      support.shell_quote(top),
      support.shell_quote(top .. "/lua/?.lua;" .. top .. "/lua/?/init.lua;;"),
      support.shell_quote(top .. "/build/lib/?.so;;"), support.shell_quote(script))
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    p:close()
    local first, second = out:match("^([^\n]*)\n([^\n]*)\n")
    assert.equal("same\t27", first, out)
    -- the highest free real-time signal (64 here) is caught now, and refused to Lua
    assert.truthy(second and second:match("^timeout\t1\t.*RTMAX is reserved by unixipc"), out)
  end)
end)
