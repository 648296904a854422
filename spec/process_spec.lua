-- Processes (src/process.c, lua/unixipc/process.lua): exec, fork, wait and
-- waitpid with the status cache, ids and sessions, system, capture, open2
-- and open3. Process-wide changes (CHLD and INT handlers, chdir, exec)
-- happen in child interpreters; every child is reaped.
local ipc = require("unixipc")
local support = require("support")

local ENOENT, ETIMEDOUT = ipc.errno.ENOENT, ipc.errno.ETIMEDOUT

after_each(function()
  support.cleanup()
end)

describe("ipc.exec", function()
  it("replaces the process, searching PATH, with arguments (list form)", function()
    local res = support.child([[
      local pid, h = ipc.fork_open("-|")
      if pid == 0 then
        ipc.exec("printf", "%s|", "a b", "")
        ipc._exit(99)
      end
      return { out = h:read("a"), st = { h:close() } }
    ]])
    assert.is_nil(res.error)
    assert.equal("a b||", res.out)
    assert.same({ true, "exit", 0 }, res.st)
  end)

  it("takes a table with env as the whole environment", function()
    local res = support.child([[
      local pid, h = ipc.fork_open("-|")
      if pid == 0 then
        ipc.exec{"env", env = {ONE = "1", TWO = "two words"}}
        ipc._exit(99)
      end
      return { out = h:read("a"), st = { h:close() } }
    ]])
    assert.is_nil(res.error)
    local lines = {}
    for l in res.out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    table.sort(lines)
    assert.same({ "ONE=1", "TWO=two words" }, lines)
  end)

  it("returns nil, msg, errno only when it fails, and the process goes on", function()
    local res = support.child([[
      local r = table.pack(ipc.exec("unixipc-no-such-program", "x"))
      local r2 = table.pack(ipc.exec{"/nonexistent/prog"})
      return { r = r, r2 = r2, alive = ipc.getpid() }
    ]])
    assert.is_nil(res.error)
    assert.same({ n = 3, nil, "exec unixipc-no-such-program: No such file or directory", ENOENT },
      res.r)
    assert.equal(ENOENT, res.r2[3])
  end)

  it("starts the program with an empty signal mask", function()
    local res = support.child([[
      ipc.sigblock("USR1", "TERM")
      local pid, h = ipc.fork_open("-|")
      if pid == 0 then ipc.exec("grep", "^SigBlk", "/proc/self/status") ipc._exit(99) end
      local out = h:read("a")
      h:close()
      return { mask = out:match("SigBlk:%s*(%x+)") }
    ]])
    assert.is_nil(res.error)
    assert.equal(0, tonumber(res.mask, 16))
  end)

  it("raises on bad arguments", function()
    local function raises(n, pat, ...)
      local msg = support.error_of(ipc.exec, ...)
      assert.truthy(msg and msg:find("bad argument #" .. n, 1, true) and msg:find(pat, 1, true),
        tostring(msg))
    end
    raises(1, "string expected, got no value")
    raises(1, "empty command", "")
    raises(1, "empty command", {})
    raises(2, "string expected, got number", "echo", 1)
    raises(1, "command word 2: string expected", { "echo", true })
    raises(1, "env must be a table", { "echo", env = "A=1" })
    raises(2, "no arguments after a command table", { "echo" }, "x")
  end)
end)

describe("ipc.fork, ipc.wait and ipc.waitpid", function()
  it("fork returns the child's pid, and waitpid its exit status", function()
    local pid = assert(ipc.fork())
    if pid == 0 then ipc._exit(42) end
    assert.same({ pid, "exit", 42 }, { support.reap(pid) })
  end)

  it("wait reaps any child; with none left it fails with ECHILD", function()
    local res = support.child([[
      local pid = fork(function() return 3 end)
      local r = table.pack(ipc.wait())
      local none = table.pack(ipc.wait())
      return { pid = pid, r = r, none = none }
    ]])
    assert.is_nil(res.error)
    assert.same({ n = 3, res.pid, "exit", 3 }, res.r)
    assert.is_nil(res.none[1])
    assert.equal(ipc.errno.ECHILD, res.none[3])
  end)

  it("nohang returns 0 while the child runs", function()
    local p = assert(ipc.spawn { "sleep", "30" })
    assert.same({ 0 }, { ipc.waitpid(p.pid, "nohang") })
    p:kill("KILL")
    assert.same({ p.pid, "signal", 9 }, { ipc.waitpid(p.pid) })
    -- waitpid(pid) was asked for this very pid and took the status itself
    assert.is_nil(p:poll())
  end)

  it("reports stops and continues with untraced and continued", function()
    local p = assert(ipc.spawn { "sleep", "30" })
    ipc.kill("STOP", p.pid)
    assert.same({ p.pid, "stop", ipc.signum("STOP") },
      { ipc.waitpid(p.pid, { "untraced" }) })
    ipc.kill("CONT", p.pid)
    assert.same({ p.pid, "continue", ipc.signum("CONT") },
      { ipc.waitpid(p.pid, "continued") })
    assert.is_true(p:kill())
    assert.same({ nil, "signal", 15 }, { p:wait(support.slack(10)) })
  end)

  it("keeps a status reaped by a CHLD handler for p:wait() and h:close()", function()
    local res = support.child([[
      local reaped = 0
      ipc.SIG.CHLD = function()
        while true do
          local pid = ipc.waitpid(-1, "nohang")
          if not pid or pid == 0 then break end
          reaped = reaped + 1
        end
      end
      local n = tonumber(arg[1])
      local all = {}  -- kept: a collected process object would reap its child
      for i = 1, n do
        all[i] = assert(ipc.spawn{i == n // 2 and "sh" or "true", "-c", "exit 7"})
      end
      local special = all[n // 2]
      local h = assert(ipc.open("-|", "sh", "-c", "echo x; exit 9"))
      local out = h:read("a")
      local deadline = ipc.monotime() + 30 * SLOW
      while reaped < n + 1 and ipc.monotime() < deadline do ipc.sleep(0.01) end
      local f = io.open("/proc/self/task/" .. ipc.getpid() .. "/children")
      local left = f:read("a") f:close()
      return { reaped = reaped, st = { special:wait(1) }, close = { h:close() },
               left = left, out = out }
    ]], { args = { support.memcheck() and "50" or "1000" }, timeout = 120 })
    assert.is_nil(res.error)
    local n = support.memcheck() and 50 or 1000
    assert.equal(n + 1, res.reaped)
    assert.equal("", res.left:gsub("%s", ""))  -- zero zombies, nothing running
    assert.same({ nil, "exit", 7 }, res.st)
    assert.equal("x\n", res.out)
    assert.same({ nil, "exit", 9 }, res.close)
  end)

  it("never reaps a child unixipc did not start", function()
    local res = support.child([[
      -- io.popen's child is Lua's, not unixipc's: p:wait of ours must not take it
      local f = io.popen("exit 5")
      local p = assert(ipc.spawn{"true"})
      p:wait(10)
      local ok, how, code = f:close()
      return { how = how, code = code }
    ]])
    assert.is_nil(res.error)
    assert.equal("exit", res.how)
    assert.equal(5, res.code)
  end)

  it("raises on bad arguments", function()
    local function raises(n, fn, ...)
      local msg = support.error_of(fn, ...)
      assert.truthy(msg and msg:find("bad argument #" .. n, 1, true), tostring(msg))
    end
    raises(1, ipc.waitpid, "x")
    raises(2, ipc.waitpid, -1, "sometimes")
    raises(2, ipc.waitpid, -1, { "nohang", "later" })
  end)
end)

describe("ids and sessions", function()
  it("getpid, getppid, getpgrp, uids and gids are integers", function()
    for _, name in ipairs { "getpid", "getppid", "getpgrp", "getuid", "geteuid", "getgid", "getegid" } do
      assert.equal("integer", math.type(ipc[name]()), name)
    end
    local p = assert(ipc.spawn { "sh", "-c", "echo $PPID", stdout = "pipe" })
    local out = p:communicate(nil, support.slack(10))
    assert.equal(ipc.getpid(), tonumber(out))
  end)

  it("setsid, setpgid, umask, chdir and drop_privileges work in a child", function()
    local res = support.child([[
      local before = ipc.umask(23)  -- 027
      local now = ipc.umask()
      local pid = fork(function()
        assert(ipc.setsid() == ipc.getpid())
        assert(ipc.getpgrp() == ipc.getpid())
      end)
      local how, code = reap(pid)
      local cd = { ipc.chdir("/") }
      local bad = { ipc.chdir("/nonexistent-unixipc") }
      local f = io.popen("pwd")
      local pwd = f:read("l") f:close()
      return { now = now, how = how, code = code, cd = cd, bad = bad, pwd = pwd,
               drop = { ipc.drop_privileges() }, pg = { ipc.setpgid(0, 0) } }
    ]])
    assert.is_nil(res.error)
    assert.equal(tonumber("027", 8), res.now)
    assert.same({ "exit", 0 }, { res.how, res.code })
    assert.same({ true }, res.cd)
    assert.same({ nil, "chdir /nonexistent-unixipc: No such file or directory", ENOENT }, res.bad)
    assert.equal("/", res.pwd)
    assert.same({ true }, res.drop)
    assert.same({ true }, res.pg)
  end)

  it("hostname is the host's name", function()
    local f = assert(io.open("/proc/sys/kernel/hostname"))
    local name = f:read("l")
    f:close()
    assert.equal(name, ipc.hostname())
  end)
end)

describe("ipc.system", function()
  it("returns the exit-status triple", function()
    assert.same({ true, "exit", 0 }, { ipc.system("true") })
    assert.same({ nil, "exit", 3 }, { ipc.system("sh", "-c", "exit 3") })
    assert.same({ nil, "exit", 4 }, { ipc.system("true; exit 4") })  -- through /bin/sh
    assert.same({ nil, "exit", 5 }, { ipc.system("exec sh -c 'exit 5'") })
    assert.same({ nil, "signal", 15 }, { ipc.system("kill -TERM $$") })
  end)

  it("returns nil, msg, errno when the program cannot run", function()
    assert.same({ nil, "exec unixipc-no-such-program: No such file or directory", ENOENT },
      { ipc.system("unixipc-no-such-program") })
  end)

  it("ignores INT and QUIT while it waits, and restores them", function()
    local res = support.child([[
      local got = 0
      ipc.SIG.INT = "DEFAULT"
      ipc.SIG.QUIT = function() got = got + 1 end
      local r = { ipc.system("sh", "-c", "kill -INT $PPID; kill -QUIT $PPID; sleep 0.2; exit 6") }
      return { r = r, int = ipc.SIG.INT, quit = type(ipc.SIG.QUIT), got = got }
    ]])
    assert.is_nil(res.error)
    assert.same({ nil, "exit", 6 }, res.r)  -- the parent survived INT
    assert.equal("DEFAULT", res.int)
    assert.equal("function", res.quit)
    assert.equal(0, res.got)
  end)

  it("restores INT and QUIT and puts the child down when a timeout passes through", function()
    local before = support.children()
    local t0 = ipc.monotime()
    local marker = "unixipc-" .. ipc.getpid() .. "-" .. math.random(1e9)
    local res = table.pack(ipc.timeout(0.2, ipc.system, "sh", "-c", "exec sleep 30", marker))
    assert.same({ n = 3, nil, "timeout", ETIMEDOUT }, res)
    assert.truthy(ipc.monotime() - t0 < support.slack(1))
    assert.equal("DEFAULT", ipc.SIG.INT)
    assert.same({}, support.children(before))
  end)

  it("ipc.timeout(0.2, ipc.system, \"sleep\", \"30\") leaves no sleep behind", function()
    local before = support.children()
    local t0 = ipc.monotime()
    local ok, why, err = ipc.timeout(0.2, ipc.system, "sleep", "30")
    assert.same({ nil, "timeout", ETIMEDOUT }, { ok, why, err })
    assert.truthy(ipc.monotime() - t0 < support.slack(1))
    assert.same({}, support.children(before))
  end)

  it("raises on bad arguments", function()
    for want, call in pairs {
      ["#1 to 'system' (command expected)"] = function() ipc.system() end,
      ["#1 to 'system' (empty command)"] = function() ipc.system("") end,
      ["#2 to 'system' (string expected, got number)"] = function() ipc.system("echo", 5) end,
      ["#1 to 'system' (string expected, got nil)"] = function() ipc.system(nil, "x") end,
      ["#1 to 'spawn' (signals[1]: signal name or number expected)"] =
        function() ipc.system { "true", signals = { "NOSUCH" } } end,
    } do
      local msg = support.error_of(call)
      assert.truthy(msg and msg:find("bad argument " .. want, 1, true), tostring(msg))
    end
    assert.equal("DEFAULT", ipc.SIG.QUIT)  -- restored after the error too
  end)
end)

describe("ipc.capture", function()
  it("returns the output and how the command ended", function()
    assert.same({ "hi\n", "exit", 0 }, { ipc.capture("echo hi") })
    assert.same({ "a b\n", "exit", 2 }, { ipc.capture("sh", "-c", "echo a b; exit 2") })
    assert.same({ nil, "exec unixipc-no-such-program: No such file or directory", ENOENT },
      { ipc.capture("unixipc-no-such-program", "-x") })
  end)

  it("captures 50 MiB of output", function()
    local size = (support.memcheck() and 5 or 50) * 1024 * 1024
    local out, how, code = ipc.capture("head", "-c", tostring(size), "/dev/zero")
    assert.equal(size, #out)
    assert.equal(out, string.rep("\0", size))
    assert.same({ "exit", 0 }, { how, code })
  end)

  it("puts the child down when a timeout passes through", function()
    local before = support.children()
    local t0 = ipc.monotime()
    assert.same({ nil, "timeout", ETIMEDOUT }, { ipc.timeout(0.2, ipc.capture, "sleep", "30") })
    assert.truthy(ipc.monotime() - t0 < support.slack(1))
    assert.same({}, support.children(before))
  end)

  it("raises on bad arguments", function()
    local msg = support.error_of(function() ipc.capture({}) end)
    assert.truthy(msg:find("bad argument #1 to 'capture' (empty command)", 1, true), msg)
    msg = support.error_of(function() ipc.capture("ls", false) end)
    assert.truthy(msg:find("bad argument #2 to 'capture' (string expected, got boolean)", 1, true), msg)
  end)
end)

describe("ipc.open2 and ipc.open3", function()
  it("open2 gives a process with stdin and stdout pipes", function()
    local p = assert(ipc.open2("cat"))
    assert.is_nil(p.stderr)
    p.stdout:settimeout(support.slack(10))
    assert.truthy(p.stdin:write("one\n"))
    p.stdin:flush()
    assert.equal("one", p.stdout:read("l"))  -- a conversation, line by line
    assert.truthy(p.stdin:write("two\n"))
    assert.equal("two", p.stdout:read("l"))
    p.stdin:close()
    assert.is_nil(p.stdout:read("l"))
    p.stdout:close()
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
  end)

  it("open3 adds stderr, and communicate works on it", function()
    local p = assert(ipc.open3("sh -c 'sort; echo done >&2; exit 1'"))
    local out, err, ok, how, code = p:communicate("b\na\nc\n", support.slack(10))
    assert.equal("a\nb\nc\n", out)
    assert.equal("done\n", err)
    assert.same({ nil, "exit", 1 }, { ok, how, code })
  end)

  it("return nil, msg, errno for a program that cannot run", function()
    assert.same({ nil, "exec unixipc-no-such-program: No such file or directory", ENOENT },
      { ipc.open3("unixipc-no-such-program") })
  end)
end)
