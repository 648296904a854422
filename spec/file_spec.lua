-- Named pipes, file types and advisory locks (src/file.c): ipc.mkfifo,
-- ipc.filetype, ipc.flock and ipc.open_fifo, with real FIFOs, sockets,
-- links and locks held by other processes.
local ipc = require("unixipc")
local support = require("support")

local EWOULDBLOCK = ipc.errno.EWOULDBLOCK

-- Assert that fn() raises "bad argument #n to '...name'" mentioning `what`.
local function arg_error(n, name, what, fn)
  local msg = support.error_of(fn)
  assert.truthy(msg, name .. ": nothing raised")
  assert.truthy(msg:find("bad argument #" .. n .. " to '[%w_.]*" .. name .. "'"), msg)
  if what then assert.truthy(msg:find(what, 1, true), msg) end
end

-- Assert nil, "<op> <target>: <strerror>", errno.
local function fail_triple(res, op, target, errno)
  assert.equal(3, res.n)
  assert.is_nil(res[1])
  local want = op .. (target and " " .. target or "") .. ": "
  assert.equal(want, res[2]:sub(1, #want), res[2])
  assert.equal(errno, res[3])
end

-- Run a shell command (quoted arguments) and assert it succeeded.
local function sh(...)
  local words = {}
  for i, a in ipairs({ ... }) do words[i] = support.shell_quote(a) end
  assert(os.execute(table.concat(words, " ")))
end

-- The permission bits of a file, as an integer.
local function mode_of(path)
  local p = assert(io.popen("stat -c %a " .. support.shell_quote(path)))
  local text = p:read("a")
  p:close()
  return tonumber(text, 8)
end

local function file_with(text)
  local path = support.tmpname(".txt")
  local f = assert(io.open(path, "w"))
  f:write(text or "")
  f:close()
  return path
end

describe("ipc.mkfifo", function()
  after_each(support.cleanup)

  it("makes a FIFO with the mode asked (less the umask)", function()
    local path = support.tmpname(".fifo")
    assert.is_true(ipc.mkfifo(path, tonumber("640", 8)))
    assert.equal("fifo", ipc.filetype(path))
    assert.equal(tonumber("640", 8) & ~ipc.umask(), mode_of(path))
    local other = support.tmpname(".fifo")
    assert.is_true(ipc.mkfifo(other))
    assert.equal(tonumber("666", 8) & ~ipc.umask(), mode_of(other))
  end)

  it("carries data between two processes (perlipc's Named Pipes)", function()
    local path = support.tmpname(".fifo")
    assert(ipc.mkfifo(path))
    local pid = support.fork(function()
      local f = assert(io.open(path, "w"))  -- waits for the reader
      for i = 1, 100 do f:write("line ", i, "\n") end
      f:close()
    end)
    local f = assert(ipc.open_fifo(path, "r", 10))
    f:settimeout(10)
    local n = 0
    for line in f:lines() do
      n = n + 1
      assert.equal("line " .. n, line)
    end
    f:close()
    assert.equal(100, n)
    local _, how, code = support.reap(pid)
    assert.same({ "exit", 0 }, { how, code })
  end)

  it("fails with the triple on an existing path or a missing directory", function()
    local path = file_with("x")
    fail_triple(table.pack(ipc.mkfifo(path)), "mkfifo", path, ipc.errno.EEXIST)
    local missing = support.tmpname("/no/such")
    fail_triple(table.pack(ipc.mkfifo(missing)), "mkfifo", missing, ipc.errno.ENOENT)
  end)

  it("raises on bad arguments", function()
    arg_error(1, "mkfifo", "string expected", function() ipc.mkfifo() end)
    arg_error(1, "mkfifo", "string expected", function() ipc.mkfifo({}) end)
    arg_error(2, "mkfifo", "mode out of range", function() ipc.mkfifo("/tmp/x", -1) end)
    arg_error(2, "mkfifo", "mode out of range", function() ipc.mkfifo("/tmp/x", 65536) end)
    arg_error(2, "mkfifo", "number expected", function() ipc.mkfifo("/tmp/x", "rw") end)
  end)
end)

describe("ipc.filetype", function()
  after_each(support.cleanup)

  it("names files, directories, FIFOs, character and block devices", function()
    assert.equal("file", ipc.filetype(file_with("x")))
    local dir = support.tmpname(".d")
    sh("mkdir", dir)
    assert.equal("directory", ipc.filetype(dir))
    local fifo = support.tmpname(".fifo")
    assert(ipc.mkfifo(fifo))
    assert.equal("fifo", ipc.filetype(fifo))
    assert.equal("char", ipc.filetype("/dev/null"))
    local p = assert(io.popen("find /dev -maxdepth 2 -type b 2>/dev/null | head -n 1"))
    local block = p:read("l")
    p:close()
    if block then assert.equal("block", ipc.filetype(block)) end
  end)

  it("names a Unix-domain socket", function()
    local path = support.tmpname(".sock")
    sh("perl", "-MIO::Socket::UNIX", "-e",
      "IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1) or die $!", path)
    assert.equal("socket", ipc.filetype(path))
  end)

  it("names a symbolic link itself, even a dangling one (lstat)", function()
    local target = file_with("x")
    local link = support.tmpname(".lnk")
    sh("ln", "-s", target, link)
    assert.equal("link", ipc.filetype(link))
    os.remove(target)
    assert.equal("link", ipc.filetype(link))
  end)

  it("returns the triple for a path that does not exist", function()
    local missing = support.tmpname(".none")
    fail_triple(table.pack(ipc.filetype(missing)), "lstat", missing, ipc.errno.ENOENT)
    local file = file_with("x")
    fail_triple(table.pack(ipc.filetype(file .. "/x")), "lstat", file .. "/x",
      ipc.errno.ENOTDIR)
  end)

  it("raises on bad arguments", function()
    arg_error(1, "filetype", "string expected", function() ipc.filetype() end)
    arg_error(1, "filetype", "string expected", function() ipc.filetype({}) end)
  end)
end)

-- Lock holders not yet reaped, by pid: their release functions.
local holders = {}

-- Fork a child that opens `path` on its own (a lock belongs to an open
-- file, so an inherited one would be shared), takes the lock `op`, says so,
-- holds it `hold` seconds, or until release() when `hold` is nil, and
-- exits, releasing it. Returns its pid, once the lock is held, and release.
local function holder(path, op, hold)
  local r, w = ipc.pipe()
  local go_r, go_w = ipc.pipe()
  local pid = support.fork(function()
    r:close()
    go_w:close()
    local f = assert(io.open(path, "r+"))
    assert(ipc.flock(f, op))
    assert(w:write("locked\n"))
    if hold then
      ipc.sleep(hold)
    else
      go_r:settimeout(60)
      go_r:read("a")
    end
    f:close()
  end)
  w:close()
  go_r:close()
  r:settimeout(support.slack(10))
  local line = r:read("l")
  r:close()
  local function release() go_w:close() end
  holders[pid] = release
  assert.equal("locked", line)
  return pid, release
end

local function assert_exit0(pid)
  holders[pid] = nil
  local p, how, code = support.reap(pid)
  assert.same({ pid, "exit", 0 }, { p, how, code })
end

-- In a forked child, try a non-blocking lock: the child exits 0 when it
-- got `want` (true: the lock; false: EWOULDBLOCK), else 1.
local function child_tries(path, op, want)
  return support.fork(function()
    local f = assert(io.open(path, "r+"))
    local ok, msg, err = ipc.flock(f, op, true)
    f:close()
    if want then assert(ok, msg) else assert(not ok and err == EWOULDBLOCK, msg) end
  end)
end

describe("ipc.flock", function()
  local f
  after_each(function()
    if f then f:close() end
    f = nil
    for pid, release in pairs(holders) do  -- left by a failed test
      release()
      ipc.kill("KILL", pid)
      support.reap(pid, 5)
      holders[pid] = nil
    end
    support.cleanup()
  end)

  it("fails at once with EWOULDBLOCK when nonblock and another holds 'ex'", function()
    local path = file_with("data")
    local pid, release = holder(path, "ex")
    f = assert(io.open(path, "r+"))
    local t0 = ipc.monotime()
    local res = table.pack(ipc.flock(f, "ex", true))
    assert.is_true(ipc.monotime() - t0 < 0.5)
    fail_triple(res, "flock", nil, EWOULDBLOCK)
    assert.equal("flock: " .. res[2]:match(": (.*)$"), res[2])
    fail_triple(table.pack(ipc.flock(f, "sh", true)), "flock", nil, EWOULDBLOCK)
    release()
    assert_exit0(pid)
  end)

  it("waits, when blocking, until the holder releases the lock", function()
    local path = file_with("data")
    local pid = holder(path, "ex", 0.4)
    f = assert(io.open(path, "r+"))
    local t0 = ipc.monotime()
    assert.is_true(ipc.flock(f, "ex"))
    local t = ipc.monotime() - t0
    assert.is_true(t >= 0.25, "returned after " .. t)
    assert.is_true(t < support.slack(3), "returned after " .. t)
    assert_exit0(pid)
    -- now ours: another process cannot have it
    assert_exit0(child_tries(path, "ex", false))
  end)

  it("lets shared locks coexist and keeps 'ex' out while one is held", function()
    local path = file_with("data")
    local pid, release = holder(path, "sh")
    f = assert(io.open(path, "r"))
    assert.is_true(ipc.flock(f, "sh", true))
    fail_triple(table.pack(ipc.flock(f, "ex", true)), "flock", nil, EWOULDBLOCK)
    release()
    assert_exit0(pid)
    assert_exit0(child_tries(path, "sh", true))
  end)

  it("releases with 'un'", function()
    local path = file_with("data")
    f = assert(io.open(path, "r+"))
    assert.is_true(ipc.flock(f, "ex"))
    assert_exit0(child_tries(path, "ex", false))
    assert.is_true(ipc.flock(f, "un"))
    assert_exit0(child_tries(path, "ex", true))
  end)

  it("is bounded by ipc.timeout: nil, 'timeout' in about the time given", function()
    local path = file_with("data")
    local pid, release = holder(path, "ex")
    f = assert(io.open(path, "r+"))
    local t0 = ipc.monotime()
    local res = table.pack(ipc.timeout(0.3, ipc.flock, f, "ex"))
    local t = ipc.monotime() - t0
    assert.same({ n = 3, nil, "timeout", ipc.errno.ETIMEDOUT }, res)
    assert.is_true(t >= 0.29 and t < support.slack(1.5), "took " .. t)
    release()
    assert_exit0(pid)
    -- the holder is gone: the lock is free again
    assert.is_true(ipc.flock(f, "ex", true))
  end)

  it("takes handles and descriptors as well as io files", function()
    local path = file_with("data")
    f = assert(io.open(path, "r+"))
    local h = assert(ipc.dup(f))  -- the same open file: the same lock
    assert.is_true(ipc.flock(h, "ex"))
    assert_exit0(child_tries(path, "ex", false))
    assert.is_true(ipc.flock(ipc.fileno(f), "un"))
    assert_exit0(child_tries(path, "ex", true))
    h:close()
  end)

  it("flushes an io file's buffered output before unlocking (as Perl does)", function()
    local path = file_with("")
    f = assert(io.open(path, "w"))
    f:setvbuf("full")
    assert.is_true(ipc.flock(f, "ex"))
    f:write("written under the lock")
    assert.is_true(ipc.flock(f, "un"))
    local g = assert(io.open(path))
    assert.equal("written under the lock", g:read("a"))
    g:close()
  end)

  it("returns the triple for a descriptor that is not open", function()
    local fd = support.free_fd(100)
    fail_triple(table.pack(ipc.flock(fd, "ex")), "flock", nil, ipc.errno.EBADF)
  end)

  it("raises on bad arguments", function()
    local path = file_with("data")
    f = assert(io.open(path))
    arg_error(1, "flock", "handle, io file or descriptor expected",
      function() ipc.flock("x", "ex") end)
    arg_error(1, "flock", "handle, io file or descriptor expected", function() ipc.flock() end)
    arg_error(2, "flock", "invalid option 'exclusive'", function() ipc.flock(f, "exclusive") end)
    arg_error(2, "flock", "string expected", function() ipc.flock(f) end)
    local g = assert(io.open(path))
    g:close()
    arg_error(1, "flock", "closed", function() ipc.flock(g, "ex") end)
  end)

  -- Signals arriving while flock blocks: process-wide, so in a child
  -- interpreter. The holder takes the lock, sends USR1 after 0.2 s and
  -- releases after `hold` more seconds.
  local signalled = [==[
    local path, raising, hold = ...
    hold = tonumber(hold) * SLOW
    local me = ipc.getpid()
    local r, w = ipc.pipe()
    local pid = fork(function()
      r:close()
      local f = assert(io.open(path, "r+"))
      assert(ipc.flock(f, "ex"))
      assert(w:write("locked\n"))
      ipc.sleep(0.2 * SLOW)
      ipc.kill("USR1", me)
      ipc.sleep(hold)
      f:close()
    end)
    w:close()
    r:settimeout(10)
    assert(r:read("l") == "locked")
    local ran = 0
    ipc.signal("USR1", function()
      ran = ran + 1
      if raising == "yes" then error("handler says stop", 0) end
    end)
    local f = assert(io.open(path, "r+"))
    local t, ok, res = timed(ipc.flock, f, "ex")
    if raising == "yes" then ipc.kill("TERM", pid) end
    local how, code = reap(pid)
    return { t = t, ok = ok, res = res, ran = ran, how = how, code = code }
  ]==]

  it("runs a handler while it waits and goes on when the handler returns", function()
    local path = file_with("data")
    local res = support.child(signalled, { args = { path, "no", "0.3" } })
    assert.is_nil(res.error)
    assert.same({ true, true, 1 }, { res.ok, res.res, res.ran })
    assert.is_true(res.t >= 0.45, "returned after " .. res.t)
    assert.same({ "exit", 0 }, { res.how, res.code })
  end)

  it("ends with the error of a handler that raises", function()
    local path = file_with("data")
    local res = support.child(signalled, { args = { path, "yes", "30" } })
    assert.is_nil(res.error)
    assert.same({ false, "handler says stop", 1 }, { res.ok, res.res, res.ran })
    assert.is_true(res.t >= 0.15 and res.t < support.slack(3), "returned after " .. res.t)
    assert.same({ "signal", 15 }, { res.how, res.code })
  end)
end)

describe("ipc.open_fifo", function()
  local h
  after_each(function()
    if h then h:close() end
    h = nil
    support.cleanup()
  end)

  it("waits for the writer, then reads what it writes", function()
    local path = support.tmpname(".fifo")
    assert(ipc.mkfifo(path))
    local pid = support.fork(function()
      ipc.sleep(0.2)
      local w = assert(ipc.open_fifo(path, "w", 10))
      assert(w:write("hello through the fifo\n"))
      w:close()
    end)
    local t0 = ipc.monotime()
    h = assert(ipc.open_fifo(path, "r", 10))
    assert.is_true(ipc.monotime() - t0 >= 0.15)
    assert.is_true(support.cloexec(h:fileno()))
    h:settimeout(10)
    assert.equal("hello through the fifo", h:read("l"))
    assert.is_nil(h:read("l"))
    assert_exit0(pid)
  end)

  it("times out when nobody opens the other side", function()
    local path = support.tmpname(".fifo")
    assert(ipc.mkfifo(path))
    local t0 = ipc.monotime()
    local res = table.pack(ipc.open_fifo(path, "w", 0.2))
    local t = ipc.monotime() - t0
    assert.same({ n = 3, nil, "timeout", ipc.errno.ETIMEDOUT }, res)
    assert.is_true(t >= 0.19 and t < support.slack(1.5), "took " .. t)
    t0 = ipc.monotime()
    res = table.pack(ipc.timeout(0.2, ipc.open_fifo, path, "r"))
    assert.same({ n = 3, nil, "timeout", ipc.errno.ETIMEDOUT }, res)
    assert.is_true(ipc.monotime() - t0 < support.slack(1.5))
  end)

  it("returns the triple for a missing path and raises on bad arguments", function()
    local missing = support.tmpname(".none")
    fail_triple(table.pack(ipc.open_fifo(missing, "r")), "open", missing, ipc.errno.ENOENT)
    arg_error(2, "open_fifo", "invalid option 'rw'", function() ipc.open_fifo(missing, "rw") end)
    arg_error(3, "open_fifo", "negative", function() ipc.open_fifo(missing, "r", -1) end)
    arg_error(1, "open_fifo", "string expected", function() ipc.open_fifo(nil, "r") end)
  end)
end)
