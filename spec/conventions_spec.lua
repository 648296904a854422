-- The conventions every function follows (src/error.c and friends):
-- ipc.errno both ways, the fail triple of a failed system call, argument
-- errors that name the function and the argument, the clocks and getpid.
local ipc = require("unixipc")
local support = require("support")

-- A pipe whose ends never wait longer than 5 s, so every test is bounded.
local function pipe()
  local r, w = ipc.pipe()
  r:settimeout(5)
  w:settimeout(5)
  return r, w
end

-- Error numbers as Linux defines them (the specs run on Linux: /proc).
local LINUX = {
  EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EBADF = 9, ECHILD = 10,
  EAGAIN = 11, EINVAL = 22, EPIPE = 32, ETIMEDOUT = 110, ECONNREFUSED = 111,
  EIDRM = 43,
}

-- Assert that fn() raises "bad argument #n to 'name'".
local function arg_error(n, name, fn)
  local msg = support.error_of(fn)
  local want = "bad argument #" .. n .. " to '" .. name .. "'"
  assert.truthy(msg, want .. ": nothing raised")
  assert.truthy(msg:find(want, 1, true), "wanted " .. want .. ", got " .. msg)
end

-- Assert that res (packed) is exactly nil, "<op>...: <strerror>", errno.
local function fail_triple(res, op, strerror, errno)
  assert.equal(3, res.n)
  assert.is_nil(res[1])
  assert.equal("string", type(res[2]))
  assert.truthy(res[2]:find("^" .. op .. "[^:]*: " .. strerror .. "$"),
    "message: " .. tostring(res[2]))
  assert.equal(errno, res[3])
  assert.equal("integer", math.type(res[3]))
end

describe("ipc.errno", function()
  it("maps names to numbers and numbers to names", function()
    assert.equal(4, ipc.errno.EINTR)
    assert.equal("EINTR", ipc.errno[4])
    for name, num in pairs(LINUX) do
      assert.equal(num, ipc.errno[name], name)
      assert.equal(name, ipc.errno[num], name)
    end
  end)

  it("is consistent both ways for every entry", function()
    local names = 0
    for k, v in pairs(ipc.errno) do
      if type(k) == "string" then
        names = names + 1
        assert.truthy(k:match("^E[A-Z0-9]+$"), k)
        assert.equal("integer", math.type(v), k)
        -- aliases (EWOULDBLOCK = EAGAIN) share a number with one name
        local back = ipc.errno[v]
        assert.equal("string", type(back), k)
        assert.equal(v, ipc.errno[back], k)
      else
        assert.equal("integer", math.type(k))
        assert.equal(k, ipc.errno[v])
      end
    end
    assert.is_true(names >= 50, "only " .. names .. " names")
  end)
end)

describe("a failed system call", function()
  it("returns exactly nil, \"<operation>...: <strerror>\", errno", function()
    fail_triple(table.pack(ipc.waitpid(999999)), "waitpid", "No child processes",
      ipc.errno.ECHILD)
  end)

  it("reports the OS's own error for a handle used the wrong way round", function()
    local r, w = pipe()
    r:settimeout(5)
    w:settimeout(5)
    local res = table.pack(r:write("x"))
    fail_triple(res, "%a*write", "Bad file descriptor", ipc.errno.EBADF)
    res = table.pack(w:read("l"))
    fail_triple(res, "%a*read", "Bad file descriptor", ipc.errno.EBADF)
    res = table.pack(w:sysread(1))
    fail_triple(res, "%a*read", "Bad file descriptor", ipc.errno.EBADF)
    r:close(); w:close()
  end)

  it("reports dup2 onto a descriptor number the kernel refuses", function()
    local r, w = pipe()
    fail_triple(table.pack(ipc.dup2(w, 2147483647)), "dup2?", "Bad file descriptor",
      ipc.errno.EBADF)
    r:close(); w:close()
  end)

  it("reports a timeout as nil, \"timeout\", ETIMEDOUT", function()
    local r, w = pipe()
    r:settimeout(0.05)
    local res = table.pack(r:read("l"))
    assert.same({ n = 3, nil, "timeout", ipc.errno.ETIMEDOUT }, res)
    r:close(); w:close()
  end)
end)

describe("argument errors", function()
  local r, w
  before_each(function()
    r, w = pipe()
    w:write("line\n") -- a valid first format finds input
  end)
  after_each(function() r:close(); w:close() end)

  it("name the handle method and the argument", function()
    arg_error(1, "read", function() local _ = r:read({}) end)
    arg_error(2, "read", function() local _ = r:read("l", true) end)
    arg_error(1, "write", function() local _ = w:write({}) end)
    arg_error(2, "write", function() local _ = w:write("a", true) end)
    arg_error(1, "sysread", function() local _ = r:sysread("x") end)
    arg_error(1, "sysread", function() local _ = r:sysread(-1) end)
    arg_error(1, "syswrite", function() local _ = w:syswrite({}) end)
    arg_error(1, "setvbuf", function() local _ = w:setvbuf({}) end)
    arg_error(1, "setvbuf", function() local _ = w:setvbuf("always") end)
    arg_error(2, "setvbuf", function() local _ = w:setvbuf("full", "big") end)
    arg_error(1, "settimeout", function() local _ = r:settimeout("soon") end)
    arg_error(1, "settimeout", function() local _ = r:settimeout(-0.5) end)
    arg_error(1, "setblocking", function() local _ = r:setblocking("no") end)
    arg_error(1, "setblocking", function() local _ = r:setblocking({}) end)
    arg_error(1, "expect", function() local _ = r:expect({}) end)
    arg_error(1, "expect", function() local _ = r:expect() end)
    arg_error(2, "expect", function() local _ = r:expect("x", {}) end)
    arg_error(1, "lines", function() local it = r:lines({}); local _ = it() end)
  end)

  it("name the ipc function and the argument", function()
    arg_error(1, "dup", function() local _ = ipc.dup("x") end)
    arg_error(1, "dup", function() local _ = ipc.dup({}) end)
    arg_error(1, "dup2", function() local _ = ipc.dup2("x", 60) end)
    arg_error(2, "dup2", function() local _ = ipc.dup2(w, "x") end)
    arg_error(2, "dup2", function() local _ = ipc.dup2(w, -1) end)
    arg_error(1, "fdopen", function() local _ = ipc.fdopen("x", "r") end)
    arg_error(1, "fdopen", function() local _ = ipc.fdopen(-3, "r") end)
    arg_error(2, "fdopen", function() local _ = ipc.fdopen(r:fileno(), {}) end)
    arg_error(2, "fdopen", function() local _ = ipc.fdopen(r:fileno(), "q") end)
    arg_error(1, "fileno", function() local _ = ipc.fileno({}) end)
    arg_error(1, "fileno", function() local _ = ipc.fileno("x") end)
    arg_error(1, "fileno", function() local _ = ipc.fileno() end)
    arg_error(1, "select", function() local _ = ipc.select("x", {}, 0) end)
    arg_error(2, "select", function() local _ = ipc.select({}, "x", 0) end)
    arg_error(3, "select", function() local _ = ipc.select({}, {}, "x") end)
    arg_error(1, "sleep", function() local _ = ipc.sleep("x") end)
    arg_error(1, "sleep", function() local _ = ipc.sleep(-1) end)
  end)

  it("name the function when a closed handle is used", function()
    local r2, w2 = pipe()
    r2:close(); w2:close()
    for name, use in pairs({
      read = function() local _ = r2:read("l") end,
      write = function() local _ = w2:write("x") end,
      fileno = function() local _ = r2:fileno() end,
      settimeout = function() local _ = r2:settimeout(1) end,
    }) do
      local msg = support.error_of(use)
      assert.truthy(msg, name .. " did not raise")
      assert.truthy(msg:find("'" .. name .. "'", 1, true), name .. ": " .. msg)
      assert.truthy(msg:find("closed", 1, true), name .. ": " .. msg)
    end
  end)

  it("never crash on a method called with something else as self", function()
    local read, close = r.read, r.close
    for _, bad in ipairs({ {}, "x", 1, io.stdout }) do
      local msg = support.error_of(read, bad, "l")
      assert.truthy(msg and msg:find("unixipc.handle", 1, true), tostring(msg))
      msg = support.error_of(close, bad)
      assert.truthy(msg and msg:find("unixipc.handle", 1, true), tostring(msg))
    end
  end)
end)

describe("ipc.monotime and ipc.time", function()
  it("are floats in seconds", function()
    assert.equal("float", math.type(ipc.monotime()))
    assert.equal("float", math.type(ipc.time()))
    assert.is_true(ipc.monotime() > 0)
  end)

  it("ipc.time is the wall clock with sub-second precision", function()
    assert.is_true(math.abs(ipc.time() - os.time()) < 2)
    local t1 = ipc.time()
    ipc.sleep(0.05)
    local d = ipc.time() - t1
    assert.is_true(d >= 0.04 and d < 0.5, "50 ms measured as " .. d)
  end)

  it("ipc.monotime measures a sleep and never goes back", function()
    local t0 = ipc.monotime()
    local w0 = ipc.time()
    assert.equal(0, ipc.sleep(0.2))
    local d = ipc.monotime() - t0
    assert.is_true(d >= 0.19 and d < 1, "0.2 s measured as " .. d)
    assert.is_true(math.abs(d - (ipc.time() - w0)) < 0.05)
    local prev = ipc.monotime()
    for _ = 1, 10000 do
      local now = ipc.monotime()
      assert(now >= prev, "monotime went back")
      prev = now
    end
  end)

  it("ipc.sleep honours fractions", function()
    local t0 = ipc.monotime()
    ipc.sleep(0.05)
    local d = ipc.monotime() - t0
    assert.is_true(d >= 0.045 and d < 0.5, "0.05 s measured as " .. d)
  end)
end)

describe("ipc.getpid", function()
  it("is this process's id", function()
    local pid = ipc.getpid()
    assert.equal("integer", math.type(pid))
    local p = assert(io.popen("echo $PPID"))
    local shell_parent = p:read("n")
    p:close()
    assert.equal(shell_parent, pid)
  end)

  it("is the child's own id after a fork", function()
    local r, w = pipe()
    local parent = ipc.getpid()
    local pid = support.fork(function()
      r:close()
      w:write(ipc.getpid(), " ", ipc.getppid(), "\n")
      w:close()
    end)
    w:close()
    r:settimeout(10)
    local child_pid, child_parent = r:read("n", "n")
    r:close()
    local p, how, code = support.reap(pid)
    assert.same({ pid, "exit", 0 }, { p, how, code })
    assert.equal(pid, child_pid)
    assert.equal(parent, child_parent)
    assert.equal(parent, ipc.getpid())
  end)
end)
