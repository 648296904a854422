-- ipc.daemonize (src/daemon.c): perlipc's complete dissociation of a child
-- from its parent. Each script that daemonizes runs in a child interpreter;
-- the daemon is inspected through /proc, found again through its pidfile
-- and killed after each test, so nothing outlives the spec.
local ipc = require("unixipc")
local support = require("support")

-- A process's state from /proc/PID/stat: state, ppid, pgrp, session,
-- tty_nr; nil once it is gone.
local function stat_of(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local state, ppid, pgrp, sid, tty = text:match("%) (%S) (%d+) (%d+) (%d+) (%-?%d+)")
  if not state then return nil end
  return { state = state, ppid = tonumber(ppid), pgrp = tonumber(pgrp),
           sid = tonumber(sid), tty = tonumber(tty) }
end

local function readlink(path)
  local p = assert(io.popen("readlink " .. support.shell_quote(path) .. " 2>/dev/null"))
  local target = p:read("l")
  p:close()
  return target
end

local function umask_of(pid)
  local f = assert(io.open("/proc/" .. pid .. "/status"))
  local text = f:read("a")
  f:close()
  return tonumber(text:match("Umask:%s*(%d+)"), 8)
end

local function read_pid(pidfile)
  local f = io.open(pidfile)
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text, tonumber(text:match("^(%d+)\n$"))
end

-- Gone, or a zombie waiting for init: either way no longer running.
local function gone(pid)
  local st = stat_of(pid)
  return st == nil or st.state == "Z"
end

-- Daemons started by the current test, by pidfile.
local pidfiles = {}

-- A daemon started by one of our scripts (its command line names one of
-- the spec's temporary scripts), so a reused pid is never killed.
local function ours(pid)
  local f = io.open("/proc/" .. pid .. "/cmdline")
  if not f then return false end
  local cmd = f:read("a")
  f:close()
  return cmd:find("unixipc-spec-", 1, true) ~= nil
end

local function kill_daemons()
  for i = #pidfiles, 1, -1 do
    local _, pid = read_pid(pidfiles[i])
    if pid and ours(pid) and not gone(pid) then
      ipc.kill("KILL", pid)
      assert.truthy(support.wait_until(function() return gone(pid) end, 5),
        "daemon " .. pid .. " survived KILL")
    end
    pidfiles[i] = nil
  end
end

-- Run `body` as a script that daemonizes (`...` holds the pidfile path and
-- `args`); the daemon it makes sleeps at most 60 s. Returns what run_lua
-- returns and the pidfile path.
local function run_daemonizing(body, args)
  local pidfile = support.tmpname(".pid")
  pidfiles[#pidfiles + 1] = pidfile
  local code = "local ipc = require('unixipc')\n" .. body
  local out, ok, how, status, err = support.run_lua(code,
    { args = { pidfile, table.unpack(args or {}) }, timeout = support.slack(20) })
  return out, ok, how, status, err, pidfile
end

-- What the original prints before it daemonizes: its pid and session.
local PRELUDE = [[
local pidfile, extra = ...
local f = assert(io.open("/proc/self/stat"))
local sid = f:read("a"):match("%) %S %d+ %d+ (%d+)")
f:close()
print("original " .. ipc.getpid() .. " " .. sid)
io.stdout:flush()
]]

describe("ipc.daemonize", function()
  after_each(function()
    kill_daemons()
    support.cleanup()
  end)

  it("dissociates: new session, not its leader, no terminal, cwd /, stdio on /dev/null, pidfile, parent gone", function()
    local out, ok, how, status, err, pidfile = run_daemonizing(PRELUDE .. [[
      local r = ipc.daemonize{pidfile = pidfile, umask = tonumber("027", 8)}
      if r ~= 0 then print("daemonize returned", r) os.exit(3) end
      ipc.sleep(60)
    ]])
    -- the original process exited 0, printing only its own line
    assert.same({ true, "exit", 0 }, { ok, how, status }, err)
    local orig, orig_sid = out:match("^original (%d+) (%d+)\n$")
    assert.truthy(orig, "original printed: " .. out)
    orig, orig_sid = tonumber(orig), tonumber(orig_sid)
    assert.truthy(gone(orig), "the original process still runs")
    -- the pidfile is in place as soon as the original has gone
    local text, pid = read_pid(pidfile)
    assert.truthy(pid, "pidfile holds: " .. tostring(text))
    local st = assert(stat_of(pid), "no daemon with the pidfile's pid " .. pid)
    assert.truthy(ours(pid))
    assert.not_equal("Z", st.state)
    assert.not_equal(orig, st.ppid)
    -- a session of its own (double fork: not its leader, so it can never
    -- acquire a controlling terminal), and no terminal now
    assert.not_equal(orig_sid, st.sid)
    assert.not_equal(pid, st.sid)
    assert.not_equal(orig, st.sid)
    assert.equal(0, st.tty)
    assert.equal("/", readlink("/proc/" .. pid .. "/cwd"))
    for fd = 0, 2 do
      assert.equal("/dev/null", readlink("/proc/" .. pid .. "/fd/" .. fd), "fd " .. fd)
    end
    assert.equal(tonumber("027", 8), umask_of(pid))
    -- the daemon dies when told (its pid was the right one)
    assert.equal(1, ipc.kill("TERM", pid))
    assert.truthy(support.wait_until(function() return gone(pid) end, 5))
  end)

  it("with keep_parent returns the daemon's pid to the original, which goes on", function()
    local out, ok, how, status, err, pidfile = run_daemonizing(PRELUDE .. [[
      local r = assert(ipc.daemonize{pidfile = pidfile, keep_parent = true})
      if r == 0 then ipc.sleep(60) os.exit(0) end
      print("daemon " .. r)
      io.stdout:flush()
      os.exit(7)
    ]])
    assert.same({ nil, "exit", 7 }, { ok, how, status }, err)
    local reported = tonumber(out:match("\ndaemon (%d+)\n$"))
    assert.truthy(reported, "original printed: " .. out)
    local _, pid = read_pid(pidfile)
    assert.equal(reported, pid)
    assert.falsy(gone(pid))
  end)

  it("sends stdout and stderr to the stdio file and can stay in the directory", function()
    local log = support.tmpname(".log")
    local out, ok, how, status, err, pidfile = run_daemonizing([[
      local pidfile, log = ...
      assert(ipc.daemonize{pidfile = pidfile, stdio = log, chdir = false})
      print("to stdout")
      io.stdout:flush()
      io.stderr:write("to stderr\n")
      ipc.sleep(60)
    ]], { log })
    assert.same({ true, "exit", 0 }, { ok, how, status }, err)
    assert.equal("", out)
    local _, pid = read_pid(pidfile)
    assert.truthy(pid)
    local f = assert(io.open(log))
    local text = support.wait_until(function()
      f:seek("set")
      local t = f:read("a")
      return t:find("to stderr", 1, true) and t
    end, 5)
    f:close()
    assert.equal("to stdout\nto stderr\n", text)
    assert.equal(readlink("/proc/self/cwd"), readlink("/proc/" .. pid .. "/cwd"))
    assert.equal(log, readlink("/proc/" .. pid .. "/fd/1"))
    assert.equal("/dev/null", readlink("/proc/" .. pid .. "/fd/0"))
  end)

  it("flushes buffered output before forking, so nothing is written twice", function()
    local log = support.tmpname(".log")
    local out, ok, how, status, err, pidfile = run_daemonizing([[
      local pidfile, log = ...
      io.stdout:setvbuf("full")
      io.write("before\n")
      assert(ipc.daemonize{pidfile = pidfile, stdio = log})
      io.write("after\n")
      io.stdout:flush()
      ipc.sleep(60)
    ]], { log })
    assert.same({ true, "exit", 0 }, { ok, how, status }, err)
    assert.equal("before\n", out)
    local _, pid = read_pid(pidfile)
    assert.truthy(pid)
    local f = assert(io.open(log))
    local text = support.wait_until(function()
      f:seek("set")
      local t = f:read("a")
      return t:find("after", 1, true) and t
    end, 5)
    f:close()
    assert.equal("after\n", text)
  end)

  it("returns the triple to the original when the daemon cannot settle, and leaves no daemon", function()
    local out, ok, how, status, err, pidfile = run_daemonizing([[
      local pidfile = ...
      local res = table.pack(ipc.daemonize{pidfile = pidfile, chdir = "/no/such/dir"})
      print(res.n, tostring(res[1]), res[2], res[3])
    ]])
    assert.same({ true, "exit", 0 }, { ok, how, status }, err)
    assert.equal(string.format("3\tnil\tchdir /no/such/dir: No such file or directory\t%d\n",
      ipc.errno.ENOENT), out)
    local _, pid = read_pid(pidfile)  -- written before the chdir failed
    assert.truthy(pid)
    assert.truthy(support.wait_until(function() return gone(pid) end, 5))

    local missing = support.tmpname("/no/such.pid")
    out, ok, how, status, err = run_daemonizing([[
      local _, missing = ...
      print(ipc.daemonize{pidfile = missing, keep_parent = true})
    ]], { missing })
    assert.same({ true, "exit", 0 }, { ok, how, status }, err)
    assert.equal(string.format("nil\topen %s: No such file or directory\t%d\n",
      missing, ipc.errno.ENOENT), out)
  end)

  it("raises on bad arguments before forking", function()
    local function arg_error(what, fn)
      local msg = support.error_of(fn)
      assert.truthy(msg, "nothing raised")
      assert.truthy(msg:find("bad argument #1 to '[%w_.]*daemonize'"), msg)
      assert.truthy(msg:find(what, 1, true), msg)
    end
    local before = ipc.getpid()
    arg_error("table expected", function() ipc.daemonize("/") end)
    arg_error("field 'umask'", function() ipc.daemonize{umask = -1} end)
    arg_error("field 'umask'", function() ipc.daemonize{umask = 512} end)
    arg_error("field 'umask'", function() ipc.daemonize{umask = "x"} end)
    arg_error("field 'chdir' must be a string or false", function() ipc.daemonize{chdir = 1} end)
    arg_error("field 'stdio'", function() ipc.daemonize{stdio = {}} end)
    arg_error("field 'pidfile'", function() ipc.daemonize{pidfile = true} end)
    assert.equal(before, ipc.getpid())
  end)
end)
