-- End to end: the pipe recipes of perlipc ("Using open() for IPC" through
-- "Avoiding Pipe Deadlocks"), examples/pipes/*.lua run by the host, their
-- output checked line by line.
local support = require("support")
local lines, has_line = support.lines, support.has_line
local ipc = require("unixipc")

local function any_line(out, pattern)
  for _, l in ipairs(lines(out)) do
    if l:find(pattern) then return l end
  end
  return nil
end

local function run(file, args, opts)
  return support.run_example("pipes/" .. file, args, opts)
end

-- Bad arguments: a usage line and exit status 2, never a traceback.
local function check_usage(file, args)
  local out, ok, how, code, err = run(file, args)
  assert.is_nil(ok)
  assert.same({ "exit", 2 }, { how, code })
  assert.matches("usage: ", err .. out, 1, true)
  assert.not_matches("traceback", err .. out, 1, true)
end

-- /proc/PID/stat fields after the command name: state, ppid, pgrp, session, tty_nr.
local function proc_stat(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local state, ppid, pgrp, sid, tty = s:match("%) (%a) (%-?%d+) (%-?%d+) (%-?%d+) (%-?%d+)")
  return { state = state, ppid = tonumber(ppid), pgrp = tonumber(pgrp),
           session = tonumber(sid), tty = tonumber(tty) }
end

local function readlink(path)
  local p = assert(io.popen("readlink " .. support.shell_quote(path)))
  local s = p:read("l")
  p:close()
  return s
end

local function read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

after_each(function() support.cleanup() end)

describe("R10 pipes/spooler.lua", function()
  it("writes stuff through cat -v by default", function()
    local out, ok, how, code, err = run("spooler.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "stuff" }, lines(out))
  end)

  it("hands a pipeline to the shell", function()
    local out, ok, _, _, err = run("spooler.lua", { "cat -v | tr a-z A-Z" })
    assert.is_true(ok, err)
    assert.same({ "STUFF" }, lines(out))
  end)

  it("reports a bad spool from the close status", function()
    local out, ok, how, code, err = run("spooler.lua", { "cat -v; exit 3" })
    assert.same({ "exit", 1 }, { how, code })
    assert.is_nil(ok)
    assert.same({ "stuff" }, lines(out))
    assert.same({ "bad spool: exit 3" }, lines(err))
  end)

  it("answers extra arguments with a usage line and exit 2", function()
    check_usage("spooler.lua", { "cat", "extra" })
  end)
end)

describe("R11 pipes/status_filter.lua", function()
  it("prints the lines that do not start with tcp or udp, in order", function()
    local out, ok, _, _, err = run("status_filter.lua",
      { "printf 'tcp 1\\nActive 2\\nudp 3\\nunix 4\\n'; sh -c 'echo oops >&2'" })
    assert.is_true(ok, err)
    assert.same({ "Active 2", "unix 4", "oops" }, lines(out))  -- 2>&1: stderr comes down the pipe
  end)

  it("runs netstat -an, or ss -an where netstat is missing, and filters it", function()
    local out, ok, _, _, err = run("status_filter.lua")
    assert.is_true(ok, err)
    assert.is_nil(any_line(out, "^tcp"), out)
    assert.is_nil(any_line(out, "^udp"), out)
    assert.truthy(any_line(out, "^Active") or any_line(out, "^Netid"), out)
  end)

  it("falls back to ss -an when netstat is not on PATH", function()
    local dir = support.tmpname(".bin")
    finally(function() os.execute("rm -rf " .. dir) end)
    assert(os.execute("mkdir " .. dir .. " && ln -s \"$(command -v ss)\" " .. dir .. "/ss"))
    local top = os.getenv("PWD")
    local p = assert(io.popen(string.format("cd %s && timeout 30 env PATH=%s build/bin/unixipc examples/pipes/status_filter.lua 2>&1",
      support.shell_quote(top), dir)))
    local out = p:read("a")
    local ok = p:close()
    assert.is_true(ok, out)
    assert.truthy(any_line(out, "^Netid%s+State"), out)
    assert.is_nil(any_line(out, "^tcp"), out)
  end)

  it("reports a failed command", function()
    local _, ok, how, code, err = run("status_filter.lua", { "true; exit 4" })
    assert.is_nil(ok)
    assert.same({ "exit", 1 }, { how, code })
    assert.same({ "bad netstat: exit 4" }, lines(err))
  end)

  it("answers extra arguments with a usage line and exit 2", function()
    check_usage("status_filter.lua", { "a", "b" })
  end)
end)

describe("R12 pipes/bogus.lua", function()
  it("reports the missing program at open, the SIGPIPE death, EPIPE and the close status", function()
    local out, ok, how, code, err = run("bogus.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({
      'open("|-", "bogus"): can\'t fork: exec bogus: No such file or directory',
      "with PIPE at its default, the writer was killed by SIGPIPE",
      "with PIPE ignored, the print failed: write: Broken pipe",
      "can't close: status=exit 127",
    }, lines(out))
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("bogus.lua", { "extra" })
  end)
end)

describe("R13 pipes/backticks.lua", function()
  it("prints the same filtered lines both ways", function()
    local out, ok, _, _, err = run("backticks.lua", { "printf 'tcp 1\\nunix 2\\nudp 3\\nlast'" })
    assert.is_true(ok, err)
    local cmd = "printf 'tcp 1\\nunix 2\\nudp 3\\nlast' 2>&1"
    assert.same({ "== backticks: " .. cmd, "unix 2", "last== one line at a time: " .. cmd,
                  "unix 2" }, lines(out))
    assert.equal("last", out:match("([^\n]*)$"))  -- a last line without newline stays so
  end)

  it("dies on a bad status after the backticks", function()
    local out, ok, how, code, err = run("backticks.lua", { "echo unix; exit 5" })
    assert.is_nil(ok)
    assert.same({ "exit", 1 }, { how, code })
    assert.same({ "== backticks: echo unix; exit 5 2>&1", "unix" }, lines(out))
    assert.same({ "bad netstatus (exit 5)" }, lines(err))
  end)

  it("runs the real netstat (or ss) by default", function()
    local out, ok, _, _, err = run("backticks.lua")
    assert.is_true(ok, err)
    assert.truthy(any_line(out, "^== one line at a time: "), out)
    assert.is_nil(any_line(out, "^tcp"), out)
  end)

  it("answers extra arguments with a usage line and exit 2", function()
    check_usage("backticks.lua", { "a", "b" })
  end)
end)

describe("R14 pipes/background.lua", function()
  it("returns from system at once; the command runs on and prints later", function()
    local t0 = ipc.monotime()
    local out, ok, how, code, err = run("background.lua", { "sleep 1 && echo late $((6*7))" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    -- reading to the end waited for the background command, which holds stdout
    assert.is_true(ipc.monotime() - t0 >= 1)
    local l = lines(out)
    assert.equal(3, #l, out)
    local secs = l[1]:match('^system%("sleep 1 && echo late %$%(%(6%*7%)%) &"%) returned exit 0 after ([%d.]+) s$')
    assert.truthy(secs, out)
    assert.is_true(tonumber(secs) < 0.9, out)  -- it did not wait for the sleep
    assert.equal("no child of ours to reap: No child processes", l[2])
    assert.equal("late 42", l[3])
  end)

  it("answers extra arguments with a usage line and exit 2", function()
    check_usage("background.lua", { "a", "b" })
  end)
end)

describe("R15 pipes/daemonize.lua", function()
  local pid
  after_each(function()
    if pid and proc_stat(pid) and proc_stat(pid).state ~= "Z" then ipc.kill("KILL", pid) end
    pid = nil
  end)

  it("leaves a dissociated daemon found through its pidfile; TERM ends it", function()
    local pidfile = support.tmpname(".pid")
    local out, ok, how, code, err = run("daemonize.lua", { pidfile })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local starter = tonumber(out:match("^(%d+): daemonizing; the daemon's pid goes to " ..
      pidfile:gsub("%p", "%%%0") .. "\n$"))
    assert.truthy(starter, out)
    pid = tonumber(read_file(pidfile) or "")
    assert.truthy(pid, "no pid in " .. pidfile)
    local st = proc_stat(pid)
    assert.truthy(st, "no process " .. pid)
    assert.not_equal("Z", st.state)
    assert.not_equal(starter, st.ppid)
    assert.not_equal(pid, st.session)   -- forked after setsid: not a session leader
    assert.equal(st.session, st.pgrp)   -- the new session's group
    assert.equal(0, st.tty)             -- no controlling terminal
    assert.equal("/", readlink("/proc/" .. pid .. "/cwd"))
    for fd = 0, 2 do assert.equal("/dev/null", readlink("/proc/" .. pid .. "/fd/" .. fd)) end

    assert.equal(1, ipc.kill("TERM", pid))
    -- gone (or a zombie waiting for init to reap it) and its pidfile with it
    assert.truthy(support.wait_until(function()
      local s = proc_stat(pid)
      return s == nil or s.state == "Z"
    end, 5), "the daemon survived TERM")
    assert.truthy(support.wait_until(function() return read_file(pidfile) == nil end, 2))
  end)

  it("answers extra arguments with a usage line and exit 2", function()
    check_usage("daemonize.lua", { "a", "b" })
  end)
end)

describe("R16 pipes/safe_write.lua", function()
  local data = "first precious line\nsecond precious line\nthird precious line\n"

  it("has the forked child write the file after dropping privileges", function()
    local file = support.tmpname(".txt")
    local out, ok, how, code, err = run("safe_write.lua", { file })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local uid, gid = ipc.getuid(), ipc.getgid()
    assert.same({
      string.format("child: effective uid %d gid %d -> %d %d (the real ids)",
        ipc.geteuid(), ipc.getegid(), uid, gid),
      "child: wrote 3 lines to " .. file,
      "parent: the kid wrote " .. file .. " and exited 0",
    }, lines(out))
    assert.equal(data, read_file(file))
  end)

  it("writes as the real user when the effective one is root (setuid-like)", function()
    if ipc.geteuid() ~= 0 or not os.execute("command -v setpriv >/dev/null") then
      pending("needs root and setpriv")
      return
    end
    local dir = support.tmpname(".d")
    finally(function() os.execute("rm -rf " .. dir) end)
    assert(os.execute("mkdir -m 700 " .. dir))   -- only root may write here
    local file = support.tmpname(".txt")           -- anyone may write here
    local top = os.getenv("PWD")
    local function as_nobody(path)
      local p = assert(io.popen(string.format(
        "cd %s && timeout 30 setpriv --ruid 65534 --rgid 65534 --clear-groups build/bin/unixipc examples/pipes/safe_write.lua %s 2>&1",
        support.shell_quote(top), support.shell_quote(path))))
      local out = p:read("a")
      return out, p:close()
    end
    local out, ok = as_nobody(dir .. "/file")
    assert.is_nil(ok, out)
    assert.is_true(has_line(out, "child: effective uid 0 gid 0 -> 65534 65534 (the real ids)"), out)
    assert.is_true(has_line(out, "can't open " .. dir .. "/file: Permission denied"), out)
    assert.is_true(has_line(out, "kid exited exit 1"), out)
    out, ok = as_nobody(file)
    assert.is_true(ok, out)
    assert.equal(data, read_file(file))
    local p = assert(io.popen("stat -c %u:%g " .. file))
    assert.equal("65534:65534", p:read("l"))   -- created by the dropped ids
    p:close()
  end)

  it("warns when the kid fails", function()
    local out, ok, how, code, err = run("safe_write.lua", { "/nonexistent-dir/x" })
    assert.is_nil(ok)
    assert.same({ "exit", 1 }, { how, code })
    assert.is_nil(any_line(out, "wrote"), out)
    assert.same({ "can't open /nonexistent-dir/x: No such file or directory", "kid exited exit 1" },
      lines(err))
  end)

  it("answers missing or extra arguments with a usage line and exit 2", function()
    check_usage("safe_write.lua", {})
    check_usage("safe_write.lua", { "a", "b" })
  end)
end)

describe("R17 pipes/safe_read.lua", function()
  it("reads what the exec'd program prints; no shell sees the arguments", function()
    local out, ok, how, code, err = run("safe_read.lua",
      { "printf", "%s\\n", "a;b", "$(echo pwned)", "*", "x y" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "   1: a;b", "   2: $(echo pwned)", "   3: *", "   4: x y" }, lines(out))
  end)

  it("reports a program that cannot be executed through the kid's status", function()
    local out, ok, how, code, err = run("safe_read.lua", { "no-such-program-here" })
    assert.is_nil(ok)
    assert.same({ "exit", 1 }, { how, code })
    assert.equal("", out)
    assert.same({ "can't exec program: exec no-such-program-here: No such file or directory",
                  "kid exited exit 127" }, lines(err))
  end)

  it("reports the kid's exit status", function()
    local _, _, how, code, err = run("safe_read.lua", { "sh", "-c", "echo hi; exit 3" })
    assert.same({ "exit", 1 }, { how, code })
    assert.same({ "kid exited exit 3" }, lines(err))
  end)

  it("answers no arguments with a usage line and exit 2", function()
    check_usage("safe_read.lua", {})
  end)
end)

describe("R18 pipes/safe_exec_write.lua", function()
  it("writes all the data to the exec'd program", function()
    local out, ok, how, code, err = run("safe_exec_write.lua", { "sed", "-n", "1p;$p" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "line 1", "line 10000" }, lines(out))
  end)

  it("turns a broken pipe into the handler's error", function()
    local out, ok, how, code, err = run("safe_exec_write.lua", { "head", "-n", "2" })
    assert.is_nil(ok)
    assert.same({ "exit", 1 }, { how, code })
    assert.same({ "line 1", "line 2" }, lines(out))
    assert.same({ "whoops, head pipe broke" }, lines(err))
  end)

  it("answers no arguments with a usage line and exit 2", function()
    check_usage("safe_exec_write.lua", {})
  end)
end)

describe("R19 pipes/two_writers.lua", function()
  it("the reader sees both writers, then end of input; both children reaped", function()
    local out, ok, how, code, err = run("two_writers.lua", nil, { timeout = 20 })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local reader = {}
    for _, l in ipairs(lines(out)) do
      if l:find("^reader") then reader[#reader + 1] = l end
    end
    assert.same({
      "reader got: a line from the parent",
      "reader got: line 1 from the writer child",
      "reader got: line 2 from the writer child",
      "reader got: line 3 from the writer child",
      "reader: end of input, every write end is closed",
    }, reader)
    assert.is_true(has_line(out, "parent: closed its write end without waiting; now doing something else"))
    assert.is_true(has_line(out, "parent: reaped the writer: exit 0"), out)
    assert.equal("parent: reaped the reader: exit 0", lines(out)[#lines(out)])
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("two_writers.lua", { "extra" })
  end)
end)

describe("R20 pipes/list_open.lua", function()
  it("passes pattern and file names to grep untouched by any shell", function()
    local dir = support.tmpname(".d")
    finally(function() os.execute("rm -rf " .. support.shell_quote(dir)) end)
    assert(os.execute("mkdir " .. dir))
    local odd = dir .. "/notes; echo $((6*7)) `id` *.txt"
    local f = assert(io.open(odd, "w"))
    f:write("Foo one\nnothing\nbar; $(echo)\n")
    f:close()
    f = assert(io.open(dir .. "/plain", "w"))
    f:write("BAR;\nfoo\n")
    f:close()
    local out, ok, how, code, err = run("list_open.lua", { "foo|b.r; \\$", odd, dir .. "/plain" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ odd .. ":Foo one", odd .. ":bar; $(echo)", dir .. "/plain:foo" }, lines(out))
  end)

  it("exits with grep's status: 1 when nothing matches, 2 on trouble", function()
    local out, _, how, code = run("list_open.lua", { "zzz", "examples/recipe.lua" })
    assert.same({ "exit", 1 }, { how, code })
    assert.equal("", out)
    local _, _, how2, code2, err = run("list_open.lua", { "x", "/nonexistent-file" })
    assert.same({ "exit", 2 }, { how2, code2 })
    assert.matches("/nonexistent-file", err, 1, true)
  end)

  it("answers fewer than two arguments with a usage line and exit 2", function()
    check_usage("list_open.lua", {})
    check_usage("list_open.lua", { "pattern" })
  end)
end)
