-- End to end: the perlipc recipes of bidirectional communication (R21-R24),
-- Unix-domain sockets (R30, R31) and SysV IPC (R38-R40), each run by the host
-- (build/bin/unixipc examples/<dir>/<name>.lua) and its output checked.
-- Servers and waiting processes are started with ipc.spawn and always put
-- down; every SysV object a spec makes is removed, even when it fails.
local support = require("support")
local lines, has_line, check_usage = support.lines, support.has_line, support.check_usage
local ipc = require("unixipc")

local TOP = os.getenv("PWD") or "."
local HOST = TOP .. "/build/bin/unixipc"

-- A recipe started in the background, its stdout and stderr on a pipe.
local function start(file, args)
  local cmd = { HOST, "examples/" .. file, table.unpack(args or {}) }
  cmd.cwd, cmd.stdout, cmd.stderr = TOP, "pipe", "stdout"
  return assert(ipc.spawn(cmd))
end

-- True while a background recipe runs (poll gives nil, or the exit-status
-- triple, whose first value is nil too for a failure).
local function running(p)
  local _, how = p:poll()
  return how == nil
end

-- Put a background recipe down (sig first, KILL after 10 s); returns its
-- exit status (how, code) and the rest of what it printed.
local function stop(p, sig)
  if sig and running(p) then p:kill(sig) end
  local ok, how, code = p:wait(support.slack(10))
  if not ok and how == "timeout" then
    p:kill("KILL")
    ok, how, code = p:wait()
    how = "killed after timeout: " .. tostring(how)
  end
  p.stdout:settimeout(support.slack(5))
  local rest = p.stdout:read("a") or ""
  p.stdout:close()
  return how, code, rest
end

-- A SysV key of our own: distinct across processes and runs.
local function fresh_key()
  return (ipc.getpid() % 100000) * 20000 + math.random(1, 19999)
end

after_each(function() support.cleanup() end)

describe("R21 bidi/open2.lua", function()
  it("sends a line through cat -un and reads it back numbered", function()
    local out, ok, how, code, err = support.run_example("bidi/open2.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "got:      1\tstuff", "cat -un ended: exit 0" }, lines(out))
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("bidi/open2.lua")
  end)
end)

describe("R22 bidi/pty_cat.lua", function()
  it("gets back cat -n's ten numbered lines through a pseudo-terminal", function()
    local out, ok, how, code, err = support.run_example("bidi/pty_cat.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local want = {}
    for i = 1, 10 do want[i] = string.format("got back %6d\ta line", i) end
    assert.same(want, lines(out))
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("bidi/pty_cat.lua")
  end)
end)

for _, r in ipairs({ { "R23", "bidi/pipe1.lua", "two pipes" }, { "R24", "bidi/pipe2.lua", "a socketpair" } }) do
  local id, file, how_ = r[1], r[2], r[3]
  describe(id .. " " .. file, function()
    it("has parent and child exchange a line each way through " .. how_, function()
      local out, ok, how, code, err = support.run_example(file)
      assert.same({ true, "exit", 0 }, { ok, how, code }, err)
      local l = lines(out)
      assert.equal(2, #l, out)
      local child, parent = l[1]:match("^Child Pid (%d+) just read this: 'Parent Pid (%d+) is sending this'$")
      assert.truthy(child, out)
      assert.equal(string.format("Parent Pid %s just read this: 'Child Pid %s is sending this'",
        parent, child), l[2])
      assert.not_equal(child, parent)
    end)

    it("answers arguments with a usage line and exit 2", function()
      check_usage(file)
    end)
  end)
end

-- R30 and R31 together: the server started on a fresh path, clients run
-- against it, the server's log checked after it stopped.
describe("R30/R31 unix/unix_client.lua and unix/unix_server.lua", function()
  local GREETING = "^Hello there, it's now %a%a%a %a%a%a [ %d]%d %d%d:%d%d:%d%d %d%d%d%d$"

  local function start_server(args)
    local p = start("unix/unix_server.lua", args)
    local i, match, before = p.stdout:expect("server started on [^\n]*\n", support.slack(10))
    if not i then
      stop(p, "KILL")
      error("no start line: " .. tostring(match))
    end
    return p, before .. match
  end

  it("serves each client with a forked child, logs it, and stops on TERM leaving nothing behind", function()
    local path = support.tmpname(".sock")
    local p, start_line = start_server({ path })
    finally(function() if running(p) then stop(p, "KILL") end end)
    assert.matches("^examples/unix/unix_server.lua " .. p.pid .. ": server started on "
      .. path:gsub("%p", "%%%0") .. " at ", start_line)
    assert.equal("socket", ipc.filetype(path))

    for _ = 1, 3 do
      local out, ok, how, code, err = support.run_example("unix/unix_client.lua", { path })
      assert.same({ true, "exit", 0 }, { ok, how, code }, err)
      local l = lines(out)
      assert.matches(GREETING, l[1])
      assert.is_true(#l >= 2, "no fortune or saying: " .. out)
    end
    -- every child is reaped by the REAPER before TERM
    local log = ""
    assert.truthy(support.wait_until(function()
      p.stdout:settimeout(0.05)
      local chunk = p.stdout:sysread(4096)
      if chunk then log = log .. chunk end
      local _, n = log:gsub(": reaped %d+ at ", "")
      return n == 3
    end, support.slack(10)), log)

    local how, code, rest = stop(p, "TERM")
    log = log .. rest
    assert.same({ "exit", 0 }, { how, code }, log)
    local _, connections = log:gsub(": connection on " .. path:gsub("%p", "%%%0") .. " at ", "")
    assert.equal(3, connections, log)
    local begat = {}
    for pid in log:gmatch(": begat (%d+) at ") do begat[#begat + 1] = tonumber(pid) end
    assert.equal(3, #begat, log)
    for _, pid in ipairs(begat) do
      assert.truthy(log:find(": reaped " .. pid .. " at ", 1, true), log)
      assert.is_nil(ipc.kill(0, pid))  -- no child left
    end
    assert.is_nil(ipc.filetype(path))  -- the socket is gone
  end)

  it("stops on INT too, and by itself after COUNT clients", function()
    local path = support.tmpname(".sock")
    local p = start_server({ path })
    finally(function() if running(p) then stop(p, "KILL") end end)
    local how, code, log = stop(p, "INT")
    assert.same({ "exit", 0 }, { how, code }, log)
    assert.is_nil(ipc.filetype(path))

    p = start_server({ path, "1" })
    local out, ok = support.run_example("unix/unix_client.lua", { path })
    assert.is_true(ok)
    assert.matches(GREETING, lines(out)[1])
    how, code, log = stop(p)
    assert.same({ "exit", 0 }, { how, code }, log)
    assert.matches(": connection on ", log, 1, true)
    assert.is_nil(ipc.filetype(path))
  end)

  it("client: fails cleanly when no server listens", function()
    local out, ok, how, code, err = support.run_example("unix/unix_client.lua", { support.tmpname(".sock") })
    assert.same({ nil, "exit", 1 }, { ok, how, code })
    assert.equal("", out)
    assert.matches("connect", err, 1, true)
    assert.not_matches("traceback", err, 1, true)
  end)

  it("answer bad arguments with a usage line and exit 2", function()
    check_usage("unix/unix_client.lua", { "a", "b" })
    check_usage("unix/unix_server.lua", { "path", "notanumber" })
    check_usage("unix/unix_server.lua", { "path", "1", "extra" })
  end)
end)

describe("R30/R31 interoperating with Perl's IO::Socket::UNIX (the system's perl)", function()
  local CTIME = "%a%a%a %a%a%a [ %d]%d %d%d:%d%d:%d%d %d%d%d%d"

  -- A Perl program (core modules only), bounded by alarm 20.
  local function perl(code, args, opts)
    local argv = { "perl", "-MIO::Socket::UNIX", "-e", "alarm 20; " .. code, table.unpack(args or {}) }
    argv.stdout, argv.stderr = "pipe", "pipe"
    for k, v in pairs(opts or {}) do argv[k] = v end
    return assert(ipc.spawn(argv))
  end

  it("R31 unix_server answers a Perl IO::Socket::UNIX client", function()
    local path = support.tmpname(".sock")
    local srv = start("unix/unix_server.lua", { path })
    local client
    finally(function()
      if client then client:terminate(1) end
      if running(srv) then stop(srv, "KILL") end
    end)
    local i, match = srv.stdout:expect("server started on [^\n]*\n", support.slack(10))
    assert.equal(1, i, tostring(match))
    client = perl([[
      my $s = IO::Socket::UNIX->new(Peer => shift) or die "connect: $@";
      print while <$s>;]], { path })
    local out, err, ok, how, code = client:communicate(nil, support.slack(20))
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local l = lines(out)
    assert.matches("^Hello there, it's now " .. CTIME .. "$", l[1], nil, out)
    assert.is_true(#l >= 2, "no fortune or saying: " .. out)
    local show, scode, log = stop(srv, "TERM")
    assert.same({ "exit", 0 }, { show, scode }, log)
    assert.matches(": connection on " .. path:gsub("%p", "%%%0") .. " at ", log)
    assert.is_nil(ipc.filetype(path))
  end)

  it("R30 unix_client reads from a Perl IO::Socket::UNIX server, byte for byte", function()
    local path = support.tmpname(".sock")
    local srv = perl([[
      $| = 1;
      my $path = shift;
      my $srv = IO::Socket::UNIX->new(Local => $path, Listen => 5) or die "listen: $@";
      print "server started on $path\n";
      my $c = $srv->accept or die "accept: $!";
      print $c "Hello there, it's now ", scalar localtime, "\n", "a last line without newline";
      close $c;
      unlink $path;]], { path }, { stderr = "stdout" })
    finally(function() srv:terminate(1) end)
    srv.stdout:settimeout(support.slack(10))
    local line, err = srv.stdout:read("l")
    assert.equal("server started on " .. path, line, tostring(err))
    local out, ok, how, code, cerr = support.run_example("unix/unix_client.lua", { path })
    assert.same({ true, "exit", 0 }, { ok, how, code }, cerr)
    assert.matches("^Hello there, it's now " .. CTIME .. "\na last line without newline$", out)
    assert.same({ true, "exit", 0 }, { srv:wait(support.slack(10)) })
    assert.is_nil(ipc.filetype(path))
  end)
end)

describe("R38 sysv/shm.lua", function()
  it("runs the manual's demo: writes, reads back, swell, deletes", function()
    local out, ok, how, code, err = support.run_example("sysv/shm.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    local l = lines(out)
    local id = l[1] and l[1]:match("^shm key (%d+)$")
    assert.truthy(id, out)
    assert.same({ "shm key " .. id, "wrote: 'Message #1'", "read : 'Message #1'", "swell",
      "deleting shm " .. id }, l)
    assert.is_nil(ipc.shmctl(tonumber(id), ipc.IPC_STAT))  -- removed
  end)

  it("writes in one process and reads in another, then the segment is gone", function()
    local out, ok, how, code, err = support.run_example("sysv/shm.lua", { "write", "shared text" })
    local id = tonumber(out:match("^shm key (%d+)\n"))
    finally(function() if id then ipc.shmctl(id, ipc.IPC_RMID) end end)
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.truthy(id, out)
    assert.same({ "shm key " .. id, "wrote: 'shared text'" }, lines(out))
    -- the segment is there, 2000 bytes, ours only, holding the text
    local st = assert(ipc.shmctl(id, ipc.IPC_STAT))
    assert.equal(2000, st.segsz or st.size)
    assert.equal(tonumber("600", 8), st.mode & tonumber("777", 8))
    assert.equal("shared text" .. ("\0"):rep(49), ipc.shmread(id, 0, 60))

    out, ok, how, code, err = support.run_example("sysv/shm.lua", { "read", tostring(id) })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "read : 'shared text'", "deleting shm " .. id }, lines(out))
    assert.is_nil(ipc.shmctl(id, ipc.IPC_STAT))
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("sysv/shm.lua")
    check_usage("sysv/shm.lua", { "read" })
    check_usage("sysv/shm.lua", { "read", "x" })
    check_usage("sysv/shm.lua", { "write", ("x"):rep(61) })
  end)
end)

describe("R39 sysv/sem_create.lua, sem_take.lua, sem_give.lua", function()
  it("creates 10 semaphores; a second take waits until the give", function()
    local key = fresh_key()
    local id, waiting
    finally(function()
      if waiting and running(waiting) then stop(waiting, "KILL") end
      local set = ipc.semget(key, 0, 0)
      if set then ipc.semctl(set, 0, ipc.IPC_RMID) end
    end)
    local out, ok, how, code, err = support.run_example("sysv/sem_create.lua", { tostring(key) })
    id = tonumber(out:match("^sem id (%d+)\n$"))
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.truthy(id, out)
    assert.equal(id, ipc.semget(key, 0, 0))
    local st = assert(ipc.semctl(id, 0, ipc.IPC_STAT))
    assert.equal(10, st.nsems)
    assert.equal(tonumber("666", 8), st.mode & tonumber("777", 8))
    assert.same({ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, ipc.semctl(id, 0, ipc.GETALL))

    -- the first take finds 0: it goes on at once, leaving 1
    out, ok, how, code, err = support.run_example("sysv/sem_take.lua", { tostring(key) })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "took semaphore 0 of sem id " .. id }, lines(out))
    assert.equal(1, ipc.semctl(id, 0, ipc.GETVAL))

    -- the second take waits for zero...
    waiting = start("sysv/sem_take.lua", { tostring(key) })
    assert.truthy(support.wait_until(function()
      return ipc.semctl(id, 0, ipc.GETZCNT) == 1 end, support.slack(10)))
    assert.is_true(running(waiting))

    -- ...until the give takes the count back to 0
    out, ok, how, code, err = support.run_example("sysv/sem_give.lua", { tostring(key) })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "gave semaphore 0 of sem id " .. id }, lines(out))
    local whow, wcode, wout = stop(waiting)
    assert.same({ "exit", 0 }, { whow, wcode }, wout)
    assert.same({ "took semaphore 0 of sem id " .. id }, lines(wout))
    assert.equal(1, ipc.semctl(id, 0, ipc.GETVAL))
    assert.equal(0, ipc.semctl(id, 0, ipc.GETZCNT))
  end)

  it("take and give fail cleanly when there is no set", function()
    local key = fresh_key()
    for _, file in ipairs({ "sysv/sem_take.lua", "sysv/sem_give.lua" }) do
      local out, ok, how, code, err = support.run_example(file, { tostring(key) })
      assert.same({ nil, "exit", 1 }, { ok, how, code })
      assert.equal("", out)
      assert.matches("semget", err, 1, true)
      assert.not_matches("traceback", err, 1, true)
    end
  end)

  it("answer bad arguments with a usage line and exit 2", function()
    for _, file in ipairs({ "sysv/sem_create.lua", "sysv/sem_take.lua", "sysv/sem_give.lua" }) do
      check_usage(file, { "0x10" })
      check_usage(file, { "0" })
      check_usage(file, { "1", "2" })
    end
  end)
end)

describe("R40 sysv/msg.lua", function()
  it("runs the manual's demo: okay", function()
    local out, ok, how, code, err = support.run_example("sysv/msg.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "okay" }, lines(out))
  end)

  it("receives in one process what another sends, then removes the queue", function()
    local key = fresh_key()
    local recv
    finally(function()
      if recv and running(recv) then stop(recv, "KILL") end
      local q = ipc.msgget(key, 0)
      if q then ipc.msgctl(q, ipc.IPC_RMID) end
    end)
    recv = start("sysv/msg.lua", { "recv", tostring(key), "3" })
    local out, ok, how, code, err = support.run_example("sysv/msg.lua",
      { "send", tostring(key), "first message", "second" })
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ "sent type 1234: first message", "sent type 1234: second" }, lines(out))
    -- the third is a C peer's: another type, sent on the same queue
    local q = assert(ipc.msgget(key, 0))
    assert(ipc.msgsnd(q, 7, "from C"))
    local rhow, rcode, rout = stop(recv)
    assert.same({ "exit", 0 }, { rhow, rcode }, rout)
    assert.same({ "received type 1234: first message", "received type 1234: second",
      "received type 7: from C" }, lines(rout))
    assert.is_nil(ipc.msgget(key, 0))  -- removed
  end)

  it("sends with type 1234 what a C peer receives", function()
    local key = fresh_key()
    finally(function()
      local q = ipc.msgget(key, 0)
      if q then ipc.msgctl(q, ipc.IPC_RMID) end
    end)
    local out, ok = support.run_example("sysv/msg.lua", { "send", tostring(key) })
    assert.is_true(ok)
    assert.same({ "sent type 1234: message" }, lines(out))
    local q = assert(ipc.msgget(key, 0))
    assert.same({ "message", 1234 }, { ipc.msgrcv(q, 60, 0, ipc.IPC_NOWAIT) })
  end)

  it("answers bad arguments with a usage line and exit 2", function()
    check_usage("sysv/msg.lua")
    check_usage("sysv/msg.lua", { "send" })
    check_usage("sysv/msg.lua", { "send", "x" })
    check_usage("sysv/msg.lua", { "recv", "1", "x" })
    check_usage("sysv/msg.lua", { "recv", "0" })
  end)
end)
