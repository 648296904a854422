-- Starting programs (src/spawn.c): ipc.spawn and its process objects,
-- ipc.open and ipc.fork_open, h:pid. Real programs, pipes and signals;
-- every child is reaped, every wait bounded.
local ipc = require("unixipc")
local support = require("support")

local ENOENT, ETIMEDOUT = ipc.errno.ENOENT, ipc.errno.ETIMEDOUT

-- Processes a test started; after_each puts down whatever is left.
local started = {}
local function track(p, ...)
  if p then started[#started + 1] = p end
  return p, ...
end
local function spawn(t) return track(ipc.spawn(t)) end

after_each(function()
  for i = #started, 1, -1 do
    local p = started[i]
    if p:poll() == nil then p:terminate(0.5) end
    for _, name in ipairs { "stdin", "stdout", "stderr" } do
      local h = p[name]
      if h and tostring(h) ~= "unixipc.handle (closed)" then h:close() end
    end
    started[i] = nil
  end
  support.cleanup()
end)

-- All of a process's stdout (bounded), then its exit-status triple.
local function output_of(p)
  p.stdout:settimeout(support.slack(10))
  local out = p.stdout:read("a")
  p.stdout:close()
  return out, p:wait(support.slack(10))
end

-- The descriptors a child holds, listed by the child from /proc.
local function child_fds(t)
  t[1], t[2], t[3] = "sh", "-c", "ls /proc/$$/fd"
  t.stdout = "pipe"
  local out = output_of(assert(spawn(t)))
  local fds = {}
  for fd in out:gmatch("%d+") do fds[#fds + 1] = tonumber(fd) end
  table.sort(fds)
  return table.concat(fds, " ")
end

describe("ipc.spawn", function()
  it("runs a program with arguments and reports its exit status", function()
    local p = assert(spawn { "sh", "-c", 'printf "%s|" "$@"; exit 7', "sh", "a b", "", "c" ,
      stdout = "pipe" })
    assert.equal("integer", math.type(p.pid))
    local out, ok, how, code = output_of(p)
    assert.equal("a b||c|", out)
    assert.same({ nil, "exit", 7 }, { ok, how, code })
  end)

  it("returns nil, msg, errno for a program that cannot run, with no child left", function()
    local res = support.child([[
      local r = table.pack(ipc.spawn{"/nonexistent/unixipc-no-such-program"})
      local r2 = table.pack(ipc.spawn{"unixipc-no-such-program-either"})
      local w = table.pack(ipc.waitpid(-1, "nohang"))
      return { r = r, r2 = r2, w = w }
    ]])
    assert.is_nil(res.error)
    assert.equal(3, res.r.n)
    assert.is_nil(res.r[1])
    assert.equal("exec /nonexistent/unixipc-no-such-program: No such file or directory", res.r[2])
    assert.equal(ENOENT, res.r[3])
    assert.equal(ENOENT, res.r2[3])
    assert.equal(ipc.errno.ECHILD, res.w[3])  -- nothing to reap: no child was left
  end)

  it("reports a missing cwd as a chdir failure", function()
    local p, msg, err = spawn { "true", cwd = "/nonexistent-unixipc-dir" }
    assert.is_nil(p)
    assert.equal("chdir /nonexistent-unixipc-dir: No such file or directory", msg)
    assert.equal(ENOENT, err)
  end)

  it("searches PATH and passes env as the whole environment", function()
    local p = assert(spawn { "env", env = { FOO = "bar baz", ONLY = "1" }, stdout = "pipe" })
    local out = output_of(p)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    table.sort(lines)
    assert.same({ "FOO=bar baz", "ONLY=1" }, lines)
  end)

  it("runs in cwd", function()
    local p = assert(spawn { "pwd", cwd = "/", stdout = "pipe" })
    assert.equal("/\n", (output_of(p)))
  end)

  it("redirects to null, a handle, an io file, a descriptor, and merges stderr", function()
    local path = support.tmpname(".out")
    local f = assert(io.open(path, "w"))
    local p = assert(spawn { "sh", "-c", "echo out; echo err >&2; cat", stdin = "null",
      stdout = f, stderr = "stdout" })
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
    f:close()
    f = assert(io.open(path))
    assert.equal("out\nerr\n", f:read("a"))
    f:close()

    local r, w = ipc.pipe()
    p = assert(spawn { "sh", "-c", "echo to-handle; echo to-fd >&2", stdout = w,
      stderr = w:fileno() })
    w:close()
    r:settimeout(support.slack(10))
    assert.equal("to-handle\nto-fd\n", r:read("a"))
    r:close()
    assert.truthy(p:wait(support.slack(10)))
  end)

  it("gives pipes for stdin, stdout and stderr", function()
    local p = assert(spawn { "sh", "-c", "read x; echo got $x; echo oops >&2; exit 2",
      stdin = "pipe", stdout = "pipe", stderr = "pipe" })
    assert.equal("unixipc.handle", getmetatable(p.stdin).__name)
    assert.truthy(p.stdin:write("hello\n"))
    p.stdin:close()
    p.stderr:settimeout(support.slack(10))
    assert.equal("oops\n", p.stderr:read("a"))
    p.stderr:close()
    local out, ok, how, code = output_of(p)
    assert.equal("got hello\n", out)
    assert.same({ nil, "exit", 2 }, { ok, how, code })
  end)

  it("starts a new session or process group when asked", function()
    local p = assert(spawn { "sh", "-c", "ps -o sid= -o pgid= -p $$", setsid = true,
      stdout = "pipe" })
    local sid, pgid = (output_of(p)):match("(%d+)%s+(%d+)")
    assert.equal(p.pid, tonumber(sid))
    assert.equal(p.pid, tonumber(pgid))
    p = assert(spawn { "sh", "-c", "ps -o sid= -o pgid= -p $$", pgroup = 0, stdout = "pipe" })
    sid, pgid = (output_of(p)):match("(%d+)%s+(%d+)")
    assert.equal(p.pid, tonumber(pgid))
    assert.not_equal(p.pid, tonumber(sid))
  end)

  it("leaves the child only 0, 1 and 2 unless fds passes more", function()
    local f = assert(io.open("/dev/null"))  -- not close-on-exec in this process
    local r, w = ipc.pipe()
    assert.equal("0 1 2", child_fds {})
    local passed = child_fds { fds = { [3] = w, [7] = f } }
    assert.equal("0 1 2 3 7", passed)
    f:close(); r:close(); w:close()
  end)

  it("passes descriptors that really are what fds names", function()
    local r, w = ipc.pipe()
    local p = assert(spawn { "sh", "-c", "echo through-5 >&5", fds = { [5] = w } })
    w:close()
    r:settimeout(support.slack(10))
    assert.equal("through-5\n", r:read("a"))
    r:close()
    assert.truthy(p:wait(support.slack(10)))
  end)

  it("keeps redirections apart when a source has a target's number", function()
    local a = support.free_fd(10)
    while support.fd_is_open(a + 1) do a = support.free_fd(a + 2) end
    local r, w = ipc.pipe()
    assert.equal(a, ipc.dup2(w, a))
    w:close()
    local null = assert(io.open("/dev/null"))
    -- descriptor a receives /dev/null first, while a+1 must get what a was
    -- (dash redirects only 0-9 with >&: the child writes through /proc)
    local p = assert(spawn { "sh", "-c", string.format(
      "{ echo via-next; readlink /proc/$$/fd/%d; } >/proc/$$/fd/%d", a, a + 1),
      fds = { [a] = null, [a + 1] = a } })
    assert.truthy(ipc.fdopen(a, "w"):close())
    null:close()
    r:settimeout(support.slack(10))
    assert.equal("via-next\n/dev/null\n", r:read("a"))
    r:close()
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
  end)

  it("joins an existing process group", function()
    local leader = assert(spawn { "sleep", "30", pgroup = 0 })
    local p = assert(spawn { "sh", "-c", "ps -o pgid= -p $$", pgroup = leader.pid, stdout = "pipe" })
    assert.equal(leader.pid, tonumber((output_of(p))))
    assert.equal(1, ipc.kill("TERM", -leader.pid))
    assert.same({ nil, "signal", 15 }, { leader:wait(support.slack(10)) })
  end)

  it("leaks no descriptor over 10,000 spawn and close cycles", function()
    local n = support.memcheck() and 100 or 10000
    collectgarbage()
    collectgarbage()  -- what earlier specs dropped is closed now, not during the count
    local before, kids = support.open_fds(), support.children()
    for _ = 1, n do
      local p = assert(ipc.spawn { "true", stdin = "pipe", stdout = "pipe", stderr = "null" })
      p.stdin:close()
      p.stdout:close()
      assert(p:wait(support.slack(10)))
    end
    assert.equal(before, support.open_fds())
    assert.same({}, support.children(kids))
  end)

  it("starts children with an empty signal mask, also from inside a handler", function()
    local res = support.child([[
      local function blocked()
        local p = assert(ipc.spawn{"grep", "^SigBlk", "/proc/self/status", stdout = "pipe"})
        local out = p.stdout:read("a")
        p:wait(10)
        return out:match("SigBlk:%s*(%x+)")
      end
      ipc.sigblock("USR1", "HUP")
      local plain = blocked()
      local inside
      ipc.SIG.USR2 = function() inside = blocked() end
      ipc.raise("USR2")
      ipc.dispatch()
      return { mine = ipc.sigmask(), plain = plain, inside = inside }
    ]])
    assert.is_nil(res.error)
    assert.truthy(#res.mine >= 2)
    assert.equal(0, tonumber(res.plain, 16))
    assert.equal(0, tonumber(res.inside, 16))
  end)

  it("keeps ignored signals ignored unless signals = \"default\"", function()
    local res = support.child([[
      local function ignored(t)
        t[1], t[2], t[3], t.stdout = "grep", "^SigIgn", "/proc/self/status", "pipe"
        local p = assert(ipc.spawn(t))
        local out = p.stdout:read("a")
        p:wait(10)
        return tonumber(out:match("SigIgn:%s*(%x+)"), 16)
      end
      ipc.SIG.TERM = "IGNORE"
      ipc.SIG.USR1 = function() end
      return { kept = ignored{}, reset = ignored{signals = "default"},
               term = ipc.signum("TERM"), usr1 = ipc.signum("USR1") }
    ]])
    assert.is_nil(res.error)
    assert.equal(1, (res.kept >> (res.term - 1)) & 1)
    assert.equal(0, (res.kept >> (res.usr1 - 1)) & 1)  -- a handler does not pass on
    assert.equal(0, (res.reset >> (res.term - 1)) & 1)
  end)

  it("flushes C stdio and handles before the child starts", function()
    local res = support.child([[
      io.stdout:setvbuf("full")
      io.write("first ")
      ipc.system("echo", "second")
      io.write("third\n")
      local r, w = ipc.pipe()
      w:setvbuf("full")
      w:write("handle-first ")
      ipc.system{"echo", "child", stdout = w}
      w:close()
      return { pipe = r:read("a") }
    ]])
    assert.is_nil(res.error)
    assert.equal("first second\nthird\n", res._out)
    assert.equal("handle-first child\n", res.pipe)
  end)

  it("raises on bad arguments", function()
    local function raises(pat, t)
      local msg = support.error_of(ipc.spawn, t)
      assert.truthy(msg and msg:find(pat, 1, true), tostring(msg))
    end
    raises("bad argument #1 to", "ls")
    raises("empty command", {})
    raises("empty command", { "" })
    raises("empty command", { "   " })
    raises("command word 2: string expected, got number", { "echo", 3 })
    raises("unknown option 'stdoot'", { "true", stdoot = "pipe" })
    raises("stdin: invalid redirection 'stdout'", { "true", stdin = "stdout" })
    raises("stdout: invalid redirection 'bogus'", { "true", stdout = "bogus" })
    raises("stderr: \"pipe\"", { "true", stderr = {} })
    raises("fds keys must be descriptor numbers >= 3", { "true", fds = { [1] = 0 } })
    raises("env values must be strings", { "true", env = { A = 1 } })
    raises("setsid and pgroup exclude each other", { "true", setsid = true, pgroup = 0 })
    raises("signals must be \"default\"", { "true", signals = "ignore" })
    local r, w = ipc.pipe()
    w:close()
    raises("attempt to use a closed handle", { "true", stdout = w })
    r:close()
  end)
end)

describe("a process object", function()
  it("waits with a timeout, leaving the child running", function()
    local p = assert(spawn { "sleep", "30" })
    local t0 = ipc.monotime()
    local res = table.pack(p:wait(0.2))
    assert.same({ n = 3, nil, "timeout", ETIMEDOUT }, res)
    assert.truthy(ipc.monotime() - t0 < support.slack(2))
    assert.is_nil(p:poll())
    assert.equal(1, ipc.kill(0, p.pid))
    assert.is_true(p:kill())
    assert.same({ nil, "signal", 15 }, { p:wait(support.slack(10)) })
    assert.same({ nil, "signal", 15 }, { p:poll() })  -- the status stays
    local ok, msg, err = p:kill("KILL")  -- never a recycled pid
    assert.is_nil(ok)
    assert.equal("kill " .. p.pid .. ": No such process", msg)
    assert.equal(ipc.errno.ESRCH, err)
  end)

  it("kills with the signal named", function()
    local p = assert(spawn { "sleep", "30" })
    assert.is_true(p:kill("SIGUSR1"))
    assert.same({ nil, "signal", ipc.signum("USR1") }, { p:wait(support.slack(10)) })
    p = assert(spawn { "sleep", "30" })
    assert.is_true(p:kill(9))
    assert.same({ nil, "signal", 9 }, { p:wait(support.slack(10)) })
  end)

  it("terminates: TERM, then KILL after the grace period", function()
    local p = assert(spawn { "sh", "-c", "trap '' TERM; echo ready; exec sleep 30", stdout = "pipe" })
    p.stdout:settimeout(support.slack(10))
    assert.equal("ready", p.stdout:read("l"))
    local t0 = ipc.monotime()
    assert.same({ nil, "signal", 9 }, { p:terminate(0.3) })
    assert.truthy(ipc.monotime() - t0 >= 0.25)
  end)

  it("shows its state in tostring", function()
    local p = assert(spawn { "sh", "-c", "exit 4" })
    assert.equal("unixipc.process (pid " .. p.pid .. ")", tostring(p))
    p:wait(support.slack(10))
    assert.equal("unixipc.process (pid " .. p.pid .. ", exit 4)", tostring(p))
  end)

  it("communicates 20 MiB both ways in bounded time", function()
    local size = (support.memcheck() and 2 or 20) * 1024 * 1024
    local input = string.rep("0123456789abcdef", size // 16)
    local p = assert(spawn { "sh", "-c", "tee /dev/stderr", stdin = "pipe", stdout = "pipe",
      stderr = "pipe" })
    local t0 = ipc.monotime()
    local out, err, ok, how, code = p:communicate(input, support.slack(30))
    assert.truthy(ipc.monotime() - t0 < support.slack(30))
    assert.equal(size, #out)
    assert.equal(size, #err)
    assert.truthy(out == input and err == input)
    assert.same({ true, "exit", 0 }, { ok, how, code })
  end)

  it("communicate gives nil for streams that are no pipes", function()
    local p = assert(spawn { "sh", "-c", "exit 3", stdout = "pipe" })
    assert.same({ "", nil, nil, "exit", 3 }, { p:communicate() })
  end)

  it("communicate puts the child down on its own timeout", function()
    local p = assert(spawn { "sleep", "30", stdout = "pipe" })
    local t0 = ipc.monotime()
    assert.same({ nil, "timeout", ETIMEDOUT }, { p:communicate(nil, 0.2) })
    assert.truthy(ipc.monotime() - t0 < support.slack(2))
    assert.same({ nil, "signal", 15 }, { p:poll() })  -- reaped already
    assert.equal("unixipc.handle (closed)", tostring(p.stdout))  -- and its pipes closed
  end)

  it("communicate puts the child down when an error passes through", function()
    local p = assert(spawn { "sleep", "30", stdout = "pipe" })
    local ok, why = ipc.timeout(0.2, p.communicate, p)
    assert.is_nil(ok)
    assert.equal("timeout", why)
    assert.same({ nil, "signal", 15 }, { p:poll() })
  end)

  it("raises on bad arguments", function()
    local p = assert(spawn { "sh", "-c", "exit 0", stdout = "pipe" })
    assert.truthy(support.error_of(p.wait, p, -1):find("bad argument #1 to 'wait'", 1, true)
      or support.error_of(p.wait, p, -1):find("must not be negative", 1, true))
    assert.truthy(support.error_of(function() p:wait(-1) end):find("bad argument #1 to 'wait'", 1, true))
    assert.truthy(support.error_of(function() p:communicate("x") end):find("no stdin pipe", 1, true))
    assert.truthy(support.error_of(function() p:communicate(nil, -2) end):find("bad argument #2 to 'communicate'", 1, true))
    assert.truthy(support.error_of(function() p:kill("NOSUCH") end):find("bad argument #1 to 'kill'", 1, true))
    assert.truthy(support.error_of(function() p.wait({}) end):find("unixipc.process expected", 1, true))
    assert.truthy(p:communicate())
  end)
end)

describe("ipc.open", function()
  it("reads a child's stdout and closes with its exit status", function()
    local h = assert(ipc.open("-|", "sh", "-c", "echo hi; exit 3"))
    assert.equal("integer", math.type(h:pid()))
    h:settimeout(support.slack(10))
    assert.equal("hi\n", h:read("a"))
    assert.same({ nil, "exit", 3 }, { h:close() })
  end)

  it("writes a child's stdin with \"|-\" and \"w\"", function()
    local path = support.tmpname(".txt")
    local h = assert(ipc.open("|-", "sh", "-c", 'cat > "$1"', "sh", path))
    assert.truthy(h:write("line 1\n", "line ", 2, "\n"))
    assert.same({ true, "exit", 0 }, { h:close() })
    local f = assert(io.open(path))
    assert.equal("line 1\nline 2\n", f:read("a"))
    f:close()
    h = assert(ipc.open("w", "cat >/dev/null"))
    assert.same({ true, "exit", 0 }, { h:close() })
    h = assert(ipc.open("r", "echo", "r-mode"))
    assert.equal("r-mode", h:read("l"))
    assert.truthy(h:close())
  end)

  it("closes with nil, \"signal\", 15 when the child is killed by TERM", function()
    local h = assert(ipc.open("-|", "sleep", "30"))
    assert.equal(1, ipc.kill("TERM", h:pid()))
    assert.same({ nil, "signal", 15 }, { h:close() })
  end)

  it("uses /bin/sh for one string with shell metacharacters only", function()
    local h = assert(ipc.open("-|", "echo one; echo two | tr a-z A-Z"))
    assert.equal("one\nTWO\n", h:read("a"))
    assert.truthy(h:close())
    -- without metacharacters it is split into words and run directly
    h = assert(ipc.open("-|", "  echo   split    words  "))
    assert.equal("split words\n", h:read("a"))
    assert.truthy(h:close())
    local none, msg, err = ipc.open("-|", "unixipc-no-such-program arg")
    assert.is_nil(none)
    assert.equal("exec unixipc-no-such-program: No such file or directory", msg)
    assert.equal(ENOENT, err)
    -- through the shell it is the shell's 127
    h = assert(ipc.open("-|", "unixipc-no-such-program 2>/dev/null; exit $?"))
    assert.equal("", h:read("a"))
    assert.same({ nil, "exit", 127 }, { h:close() })
  end)

  it("never passes a list through a shell", function()
    local marker = support.tmpname(".touched")
    local h = assert(ipc.open("-|", "echo", "; touch " .. marker, "|", "$(touch " .. marker .. ")"))
    assert.equal("; touch " .. marker .. " | $(touch " .. marker .. ")\n", h:read("a"))
    assert.truthy(h:close())
    assert.is_nil(io.open(marker))
  end)

  it("gives EPIPE, never a crash, writing to a command that is gone", function()
    local res = support.child([[
      ipc.SIG.PIPE = "IGNORE"
      local h = assert(ipc.open("|-", "unixipc-no-such-program-x 2>/dev/null"))
      local chunk = string.rep("x", 65536)
      local ok, msg, err
      for _ = 1, 200 do
        ok, msg, err = h:write(chunk)
        if not ok then break end
      end
      local c = table.pack(h:close())
      return { ok = ok, msg = msg, err = err, close = c }
    ]])
    assert.is_nil(res.error)
    assert.is_nil(res.ok)
    assert.truthy(res.msg:find("Broken pipe$"), res.msg)
    assert.equal(ipc.errno.EPIPE, res.err)
    assert.is_nil(res.close[1])
    assert.equal("exit", res.close[2])
    assert.equal(127, res.close[3])
  end)

  it("raises on bad arguments", function()
    local function raises(n, pat, ...)
      local msg = support.error_of(ipc.open, ...)
      assert.truthy(msg and msg:find("bad argument #" .. n, 1, true) and msg:find(pat, 1, true),
        tostring(msg))
    end
    raises(1, "invalid option 'rw'", "rw", "true")
    raises(1, "string expected", nil, "true")
    raises(2, "command expected", "-|")
    raises(2, "empty command", "-|", "")
    raises(2, "empty command", "-|", " \t ")
    raises(3, "string expected, got number", "-|", "echo", 1)
    raises(3, "string expected, got table", "-|", "echo", {})
  end)

  it("a handle collected without close does not wait; its child is reaped once it ends", function()
    local function state(pid)
      local f = io.open("/proc/" .. pid .. "/stat")
      if not f then return nil end
      local st = f:read("a"):match("^%d+ %(.*%) (%a)")
      f:close()
      return st
    end
    local pid
    local t0 = ipc.monotime()
    do
      local h = assert(ipc.open("-|", "sleep", "30"))
      pid = h:pid()
    end
    collectgarbage()
    collectgarbage()
    assert.truthy(ipc.monotime() - t0 < support.slack(5))  -- not the 30 s of the child
    assert.truthy(state(pid) ~= nil and state(pid) ~= "Z")
    assert.equal(1, ipc.kill("KILL", pid))
    assert.truthy(support.wait_until(function() return state(pid) == "Z" end, support.slack(10)))
    -- the next child unixipc starts reaps it: no zombie piles up
    assert.equal("x\n", ipc.capture("echo", "x"))
    assert.is_nil(state(pid))
  end)

  it("h:pid is nil for a handle that is no pipe open", function()
    local r, w = ipc.pipe()
    assert.is_nil(r:pid())
    r:close(); w:close()
  end)
end)

describe("ipc.fork_open", function()
  it("\"-|\": the parent reads what the child prints", function()
    local pid, h = ipc.fork_open("-|")
    if pid == 0 then
      io.write("from the child\n")
      io.stdout:flush()
      ipc._exit(5)
    end
    assert.equal(pid, h:pid())
    h:settimeout(support.slack(10))
    assert.equal("from the child\n", h:read("a"))
    assert.same({ nil, "exit", 5 }, { h:close() })
  end)

  it("\"|-\": the parent writes the child's stdin", function()
    local path = support.tmpname(".txt")
    local pid, h = ipc.fork_open("|-")
    if pid == 0 then
      local data = io.read("a")
      local f = io.open(path, "w")
      f:write(data:upper())
      f:close()
      ipc._exit(0)
    end
    assert.truthy(h:write("shout\n"))
    assert.same({ true, "exit", 0 }, { h:close() })
    local f = assert(io.open(path))
    assert.equal("SHOUT\n", f:read("a"))
    f:close()
  end)

  it("raises on an unknown mode", function()
    local msg = support.error_of(function() ipc.fork_open("rw") end)
    assert.truthy(msg:find("bad argument #1 to 'fork_open'", 1, true), msg)
  end)
end)
