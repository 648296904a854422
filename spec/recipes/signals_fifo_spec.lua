-- End to end: the signal recipes R03-R07 and the FIFO recipe R09 run by the
-- host (build/bin/unixipc examples/<dir>/<name>.lua), their output checked.
local support = require("support")
local lines, has_line, check_usage = support.lines, support.has_line, support.check_usage
local ipc = require("unixipc")

local top = os.getenv("PWD") or "."
local HOST = "build/bin/unixipc"

-- The lines of `out` matching `pattern`, as arrays of captures.
local function matching(out, pattern)
  local t = {}
  for _, l in ipairs(lines(out)) do
    local caps = table.pack(l:match(pattern))
    if caps[1] then t[#t + 1] = caps end
  end
  return t
end

-- A recipe started in the background with its stdout (and stderr) on a pipe.
local function start(file, args)
  local cmd = { HOST, "examples/" .. file, table.unpack(args or {}) }
  cmd.cwd, cmd.stdout, cmd.stderr, cmd.stdin = top, "pipe", "stdout", "null"
  local p = assert(ipc.spawn(cmd))
  p.stdout:settimeout(support.slack(10))
  return p
end

-- The next line the background recipe prints (an error after 10 s).
local function next_line(p)
  local l, msg = p.stdout:read("l")
  assert(l, "no line from the recipe: " .. tostring(msg))
  return l
end

-- Stop a background recipe for good: TERM, then KILL if it lingers.
local function stop(p)
  if p:poll() == nil then
    p:kill("TERM")
    if not p:wait(5) then
      p:kill("KILL")
      p:wait()
    end
  end
  p.stdout:close()
end

-- The pid of a process that has just ended.
local function dead_pid()
  local pid = assert(ipc.fork())
  if pid == 0 then ipc._exit(0) end
  assert(ipc.waitpid(pid))
  return pid
end

after_each(function() support.cleanup() end)

describe("R03 signals/hup_group.lua", function()
  it("HUPs its process group: three children get it from the parent, the parent ignores it", function()
    local out, ok, how, code, err = support.run_example("signals/hup_group.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local parent = tonumber(out:match("^parent (%d+) leads process group %1\n"))
    assert.truthy(parent, out)
    local started = {}
    for _, c in ipairs(matching(out, "^child (%d+) started$")) do started[c[1]] = true end
    local got = matching(out, "^child (%d+): got SIGHUP from (%d+)$")
    local exited = matching(out, "^child (%d+) exited 0$")
    assert.equal(3, #got, out)
    assert.equal(3, #exited, out)
    for _, g in ipairs(got) do
      assert.is_true(started[g[1]], out)
      assert.equal(tostring(parent), g[2])
    end
    for _, e in ipairs(exited) do assert.is_true(started[e[1]], out) end
    assert.is_true(has_line(out, string.format(
      "parent %d: kill('HUP', -%d) with HUP ignored here", parent, parent)), out)
    -- the last line: the parent outlived its own HUP
    local all = lines(out)
    assert.equal(string.format("parent %d: still running, its own HUP was ignored", parent),
      all[#all])
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("signals/hup_group.lua", { "--bogus" })
  end)
end)

describe("R04 signals/kill_zero.lua", function()
  it("tells a live process from a dead one, exit 1 when one looks dead", function()
    local me, gone = ipc.getpid(), dead_pid()
    local out, ok, how, code, err = support.run_example("signals/kill_zero.lua",
      { tostring(me), tostring(gone) })
    assert.same({ nil, "exit", 1 }, { ok, how, code }, err)
    assert.same({
      me .. " is alive",
      string.format("%d looks dead (kill %d: No such process)", gone, gone),
    }, lines(out))
  end)

  it("all alive: exit 0", function()
    local out, ok, how, code, err = support.run_example("signals/kill_zero.lua",
      { tostring(ipc.getpid()) })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ ipc.getpid() .. " is alive" }, lines(out))
  end)

  it("counts EPERM as alive (a process that is not ours)", function()
    local target, cmd = ipc.getpid(), nil
    if ipc.geteuid() == 0 then
      -- as root every process is ours: ask as nobody about this one
      cmd = string.format("cd %s && timeout 30 setpriv --reuid=65534 --regid=65534 " ..
        "--clear-groups %s examples/signals/kill_zero.lua %d 2>&1",
        support.shell_quote(top), HOST, target)
    else
      target = 1
      cmd = string.format("cd %s && timeout 30 %s examples/signals/kill_zero.lua 1 2>&1",
        support.shell_quote(top), HOST)
    end
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    local ok, how, code = p:close()
    assert.same({ true, "exit", 0 }, { ok, how, code }, out)
    assert.same({ string.format(
      "%d is alive, but not ours to signal (kill %d: Operation not permitted)", target, target) },
      lines(out))
  end)

  it("answers no PID or a bad one with a usage line and exit 2", function()
    check_usage("signals/kill_zero.lua", {})
    check_usage("signals/kill_zero.lua", { "12x" })
    check_usage("signals/kill_zero.lua", { "-5" })
    check_usage("signals/kill_zero.lua", { "0" })
  end)
end)

describe("R05 signals/reaper.lua", function()
  local function check(n, out)
    local begat = matching(out, "^begat (%d+) %(child (%d+)%)$")
    assert.equal(n, #begat, out)
    local status = {}
    for _, r in ipairs(matching(out, "^reaped (%d+): exit (%d+)$")) do
      assert.is_nil(status[r[1]], "reaped twice: " .. r[1])
      status[r[1]] = tonumber(r[2])
    end
    for _, b in ipairs(begat) do
      assert.equal(tonumber(b[2]), status[b[1]], "status of child " .. b[2] .. "\n" .. out)
    end
    local all = lines(out)
    local runs = tonumber(all[#all]:match(string.format(
      "^%d children, %d reaped by (%%d+) runs of the handler; no zombie left$", n, n)))
    assert.truthy(runs, out)
    assert.is_true(runs <= n)
  end

  it("reaps ten children by default and reports each status", function()
    local out, ok, how, code, err = support.run_example("signals/reaper.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    check(10, out)
  end)

  it("reaps N children, some dying together (one CHLD for several)", function()
    local out, ok, how, code, err = support.run_example("signals/reaper.lua", { "40" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    check(40, out)
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("signals/reaper.lua", { "ten" })
    check_usage("signals/reaper.lua", { "3", "4" })
  end)
end)

describe("R06 signals/alarm_timeout.lua", function()
  it("gives up on a held lock when the alarm rings, then gets it once released", function()
    local file = support.tmpname(".lock")
    local holder = assert(io.open(file, "a"))
    -- this process holds the lock; the recipe opens the file on its own
    assert(ipc.flock(holder, "ex"))
    local t0 = ipc.monotime()
    local out, ok, how, code, err = support.run_example("signals/alarm_timeout.lua", { file, "1" })
    local took = ipc.monotime() - t0
    assert.same({ nil, "exit", 1 }, { ok, how, code }, err)
    local quoted = file:gsub("%p", "%%%0")
    assert.matches("^timed out after 1%.%d s waiting for the write lock on " .. quoted ..
      ": alarm clock restart\n$", out)
    assert.is_true(took >= 0.9 and took < support.slack(5), "took " .. took)

    assert(ipc.flock(holder, "un"))
    out, ok, how, code, err = support.run_example("signals/alarm_timeout.lua", { file, "1" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.matches("^got the write lock on " .. quoted .. " after 0%.%d s\n$", out)
    holder:close()
  end)

  it("waits for a lock released before the alarm", function()
    local file = support.tmpname(".lock")
    local pid = assert(ipc.fork())
    if pid == 0 then
      local f = assert(io.open(file, "a"))
      assert(ipc.flock(f, "ex"))
      ipc.sleep(1)
      ipc._exit(0)     -- the lock goes with the process
    end
    assert.truthy(support.wait_until(function()
      local f = io.open(file, "a")
      if not f then return false end
      local free = ipc.flock(f, "ex", true)
      f:close()
      return not free
    end, 5))
    local out, ok, how, code, err = support.run_example("signals/alarm_timeout.lua", { file, "10" })
    support.reap(pid)
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local waited = tonumber(out:match(
      "^got the write lock on " .. file:gsub("%p", "%%%0") .. " after ([%d.]+) s\n$"))
    assert.truthy(waited, out)
    assert.is_true(waited > 0.2 and waited < 5, out)
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("signals/alarm_timeout.lua", {})
    check_usage("signals/alarm_timeout.lua", { "/tmp/x", "soon" })
    check_usage("signals/alarm_timeout.lua", { "/tmp/x", "1", "2" })
  end)
end)

describe("R07 signals/sighup_daemon.lua", function()
  it("restarts with the same pid and arguments on each HUP, and dies on TERM", function()
    local p = start("signals/sighup_daemon.lua", { "one", "two three" })
    local ok, err = pcall(function()
      local function started()
        assert.equal("PID: " .. p.pid, next_line(p))
        assert.equal("ARGV: one two three", next_line(p))
        assert.equal("1", next_line(p))      -- the counter, 2 s later
      end
      started()
      for _ = 1, 2 do
        assert(p:kill("HUP"))
        assert.equal("got SIGHUP", next_line(p))
        started()                            -- the counter starts again at 1
      end
      assert(p:kill("TERM"))
      local st = table.pack(p:wait(5))
      assert.same({ nil, "signal", ipc.signum("TERM") }, { st[1], st[2], st[3] })
      assert.is_nil(p.stdout:read("l"))      -- nothing more, nobody holds the pipe
    end)
    stop(p)
    assert(ok, err)
    assert.is_nil((ipc.kill(0, p.pid)))      -- nothing survives
  end)
end)

describe("R09 fifo/signature.lua", function()
  -- Read the FIFO once as a reader would (10 s at most).
  local function read_signature(path)
    local r = assert(ipc.open_fifo(path, "r", support.slack(10)))
    r:settimeout(support.slack(10))
    local text = assert(r:read("a"))
    r:close()
    return text
  end

  local function check_signature(text)
    local l = lines(text)
    assert.equal("John Smith (smith@host.org)", l[1])
    assert.is_true(#l >= 2 and #l[2] > 0, text)   -- fortune -s, or the built-in saying
  end

  it("makes the FIFO and gives each of COUNT readers a signature, then ends", function()
    local path = support.tmpname(".signature")
    local p = start("fifo/signature.lua", { path, "2" })
    local ok, err = pcall(function()
      assert.truthy(support.wait_until(function() return ipc.filetype(path) == "fifo" end, 5))
      check_signature(read_signature(path))
      check_signature(read_signature(path))    -- after the writer's 2 s pause
      assert.same({ true, "exit", 0 }, { p:wait(support.slack(5)) })
      assert.equal("fifo", ipc.filetype(path))  -- the FIFO stays, as in Perl
      assert.equal("", p.stdout:read("a"))
    end)
    stop(p)
    os.remove(path)
    assert(ok, err)
  end)

  it("replaces a file that is not a FIFO", function()
    local path = support.tmpname(".signature")
    local f = assert(io.open(path, "w"))
    f:write("an old plain signature\n")
    f:close()
    local p = start("fifo/signature.lua", { path, "1" })
    local ok, err = pcall(function()
      assert.truthy(support.wait_until(function() return ipc.filetype(path) == "fifo" end, 5))
      check_signature(read_signature(path))
      assert.same({ true, "exit", 0 }, { p:wait(support.slack(5)) })
    end)
    stop(p)
    os.remove(path)
    assert(ok, err)
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("fifo/signature.lua", { "/tmp/x", "many" })
    check_usage("fifo/signature.lua", { "/tmp/x", "1", "2" })
    check_usage("fifo/signature.lua", { "" })
  end)
end)
