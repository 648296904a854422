-- ipc.select (src/select.c): readiness of handles, io files and integer
-- descriptors, buffered input, timeouts, descriptors above FD_SETSIZE, and
-- the argument errors. Real pipes and processes only.
local ipc = require("unixipc")
local support = require("support")

-- A pipe whose ends never wait longer than 5 s, so every test is bounded.
local function pipe()
  local r, w = ipc.pipe()
  r:settimeout(5)
  w:settimeout(5)
  return r, w
end

-- Elapsed monotonic seconds of ipc.select(...), and its results packed.
local function timed_select(...)
  local t0 = ipc.monotime()
  local res = table.pack(ipc.select(...))
  return ipc.monotime() - t0, res
end

-- Whether the array `t` holds exactly the objects `...`, in that order.
local function holds(t, ...)
  local want = table.pack(...)
  if #t ~= want.n then return false end
  for i = 1, want.n do
    if not rawequal(t[i], want[i]) then return false end
  end
  return true
end

local function close_all(...)
  for _, h in ipairs({ ... }) do h:close() end
end

-- The soft limit on open descriptors, or nil when unlimited.
local function nofile_limit()
  local p = assert(io.popen("ulimit -n"))
  local s = p:read("l")
  p:close()
  return tonumber(s)
end

describe("ipc.select", function()
  after_each(support.cleanup)

  it("returns the readable objects given, in the order given", function()
    local r1, w1 = pipe()
    local r2, w2 = pipe()
    local r3, w3 = pipe()
    w1:write("1")
    w3:write("3")
    local rd, wr = ipc.select({ r1, r2, r3 }, {}, 5)
    assert.is_true(holds(rd, r1, r3))
    assert.is_true(holds(wr))
    rd = ipc.select({ r3, r2, r1 }, {}, 5)
    assert.is_true(holds(rd, r3, r1))
    close_all(r1, w1, r2, w2, r3, w3)
  end)

  it("returns the writable objects given, in the order given", function()
    local r1, w1 = pipe()
    local r2, w2 = pipe()
    local rd, wr = ipc.select({ r1, r2 }, { w2, w1 }, 5)
    assert.is_true(holds(rd))
    assert.is_true(holds(wr, w2, w1))
    close_all(r1, w1, r2, w2)
  end)

  it("times out with {}, {}, \"timeout\" after about the timeout", function()
    local r, w = pipe()
    local t, res = timed_select({ r }, {}, 0.2)
    assert.equal(3, res.n)
    assert.same({}, res[1])
    assert.same({}, res[2])
    assert.equal("timeout", res[3])
    assert.is_true(t >= 0.15 and t <= 1.0, "returned after " .. t .. " s")

    t, res = timed_select({}, {}, 0.2)
    assert.equal("timeout", res[3])
    assert.is_true(t >= 0.15 and t <= 1.0, "returned after " .. t .. " s")

    t, res = timed_select({ r }, {}, 0)
    assert.equal("timeout", res[3])
    assert.is_true(t < 0.5)
    close_all(r, w)
  end)

  it("returns at once when something is ready, without a \"timeout\"", function()
    local r, w = pipe()
    w:write("x")
    local t, res = timed_select({ r }, { w }, 5)
    assert.is_true(t < 0.5)
    assert.is_nil(res[3])
    assert.is_true(holds(res[1], r))
    assert.is_true(holds(res[2], w))
    close_all(r, w)
  end)

  it("waits without a timeout until a child writes", function()
    local r, w = pipe()
    local pid = support.fork(function()
      r:close()
      ipc.sleep(0.3)
      w:write("late")
      w:close()
    end)
    w:close()
    local t0 = ipc.monotime()
    local ok, rd = ipc.timeout(10, ipc.select, { r }, {})
    assert.is_true(ok)
    assert.is_true(holds(rd, r))
    assert.is_true(ipc.monotime() - t0 >= 0.2)
    r:settimeout(5)
    assert.equal("late", r:read("a"))
    r:close()
    local p, how, code = support.reap(pid)
    assert.same({ pid, "exit", 0 }, { p, how, code })
  end)

  it("counts end of input as readable", function()
    local r, w = pipe()
    w:close()
    local rd = ipc.select({ r }, {}, 5)
    assert.is_true(holds(rd, r))
    r:settimeout(5)
    assert.is_nil(r:read("l"))
    r:close()
  end)

  it("takes integer descriptors and gives them back", function()
    local r1, w1 = pipe()
    local r2, w2 = pipe()
    w2:write("x")
    local fd = r2:fileno()
    local rd, wr = ipc.select({ r1, fd }, { w1:fileno() }, 5)
    assert.is_true(holds(rd, fd))
    assert.is_true(holds(wr, w1:fileno()))
    w1:write("y")
    rd = ipc.select({ fd, r1 }, {}, 5)
    assert.is_true(holds(rd, fd, r1))
    close_all(r1, w1, r2, w2)
  end)

  it("takes io files", function()
    local f = assert(io.popen("printf x"))
    local r, w = pipe()
    local rd = ipc.select({ r, f }, {}, 5)
    assert.is_true(holds(rd, f))
    assert.equal("x", f:read("a"))
    f:close()

    local path = support.tmpname(".txt")
    local g = assert(io.open(path, "w"))
    local _, wr = ipc.select({}, { w, g }, 5)
    assert.is_true(holds(wr, w, g))
    g:close()
    os.remove(path)
    close_all(r, w)
  end)

  it("counts a handle with buffered unread input as readable at once", function()
    local r, w = pipe()
    r:settimeout(5)
    w:write("a\nb\n")
    assert.equal("a", r:read("l"))
    -- the pipe itself is empty now: "b\n" waits in the handle's buffer
    local _, raw = timed_select({ r:fileno() }, {}, 0.1)
    assert.equal("timeout", raw[3])
    local t, res = timed_select({ r }, {}, 5)
    assert.is_true(t < 0.5)
    assert.is_true(holds(res[1], r))
    assert.equal("b", r:read("l"))
    t, res = timed_select({ r }, {}, 0.1)
    assert.equal("timeout", res[3])
    close_all(r, w)
  end)

  it("counts an io file with buffered unread input as readable at once", function()
    local r, w = pipe()
    -- a second reader on the same pipe, through C stdio
    local f = assert(io.open("/proc/self/fd/" .. r:fileno(), "r"))
    w:write("a\nb\n")
    assert.equal("a", f:read("l"))
    local _, raw = timed_select({ r }, {}, 0.1)
    assert.equal("timeout", raw[3])
    local t, res = timed_select({ f }, {}, 5)
    assert.is_true(t < 0.5)
    assert.is_true(holds(res[1], f))
    assert.equal("b", f:read("l"))
    f:close()
    close_all(r, w)
  end)

  it("does not count a writer to a full pipe as writable", function()
    local r, w = pipe()
    w:setblocking(false)
    local chunk = string.rep("f", 65536)
    local full = false
    for _ = 1, 1000 do
      local n, _, e = w:syswrite(chunk)
      if not n then
        assert.equal(ipc.errno.EAGAIN, e)
        full = true
        break
      end
    end
    assert.is_true(full)
    local t, res = timed_select({}, { w }, 0.2)
    assert.equal("timeout", res[3])
    assert.is_true(t >= 0.15)
    -- drain it: writable again
    r:setblocking(false)
    for _ = 1, 10000 do
      if not r:sysread(65536) then break end
    end
    local _, wr = ipc.select({}, { w }, 5)
    assert.is_true(holds(wr, w))
    close_all(r, w)
  end)

  it("works with descriptors above 1024", function()
    local limit = nofile_limit()
    if limit and limit < 2048 then
      pending("the soft RLIMIT_NOFILE is " .. limit .. ", below 2048")
      return
    end
    local r, w = pipe()
    local rfd = support.free_fd(1500)
    assert.truthy(ipc.dup2(r, rfd))
    local wfd = support.free_fd(rfd + 1)
    assert.truthy(ipc.dup2(w, wfd))
    close_all(r, w)
    local hr = ipc.fdopen(rfd, "r")
    local hw = ipc.fdopen(wfd, "w")
    assert.is_true(hr:fileno() > 1024 and hw:fileno() > 1024)

    local t, res = timed_select({ hr }, {}, 0.2)
    assert.equal("timeout", res[3])
    assert.is_true(t >= 0.15)
    local rd, wr = ipc.select({ hr }, { hw }, 5)
    assert.is_true(holds(rd))
    assert.is_true(holds(wr, hw))
    hw:write("x")
    rd = ipc.select({ hr }, {}, 5)
    assert.is_true(holds(rd, hr))
    rd = ipc.select({ rfd }, {}, 5)
    assert.is_true(holds(rd, rfd))
    assert.equal("x", hr:sysread(10))
    close_all(hr, hw)
  end)

  it("handles many objects at once", function()
    local readers, writers = {}, {}
    for i = 1, 100 do readers[i], writers[i] = pipe() end
    for i = 2, 100, 3 do writers[i]:write(".") end
    local rd = ipc.select(readers, {}, 5)
    local want = {}
    for i = 2, 100, 3 do want[#want + 1] = readers[i] end
    assert.is_true(holds(rd, table.unpack(want)))
    for i = 1, 100 do close_all(readers[i], writers[i]) end
  end)

  it("raises on closed handles in either set", function()
    local r, w = pipe()
    local r2, w2 = pipe()
    r:close(); w:close()
    local msg = support.error_of(function() local _ = ipc.select({ r2, r }, {}, 0) end)
    assert.truthy(msg and msg:find("closed", 1, true), msg)
    msg = support.error_of(function() local _ = ipc.select({}, { w2, w }, 0) end)
    assert.truthy(msg and msg:find("closed", 1, true), msg)
    close_all(r2, w2)
  end)

  it("raises on sets that are not tables, bad members and bad timeouts", function()
    local r, w = pipe()
    local function arg_error(n, fn)
      local msg = support.error_of(fn)
      assert.truthy(msg and msg:find("bad argument #" .. n .. " to 'select'", 1, true),
        tostring(msg))
    end
    arg_error(1, function() local _ = ipc.select("r", {}, 0) end)
    arg_error(1, function() local _ = ipc.select(r, {}, 0) end)
    arg_error(2, function() local _ = ipc.select({}, 5, 0) end)
    arg_error(2, function() local _ = ipc.select({}, w, 0) end)
    arg_error(3, function() local _ = ipc.select({}, {}, "soon") end)
    arg_error(3, function() local _ = ipc.select({}, {}, -1) end)
    arg_error(1, function() local _ = ipc.select({ "x" }, {}, 0) end)
    arg_error(1, function() local _ = ipc.select({ {} }, {}, 0) end)
    arg_error(2, function() local _ = ipc.select({}, { true }, 0) end)
    close_all(r, w)
  end)
end)
