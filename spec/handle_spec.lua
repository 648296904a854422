-- The handle type (src/handle.c): ipc.pipe, reads in Lua's formats, writes
-- and buffering, timeouts, non-blocking mode, expect, the handle's life
-- cycle, and ipc.dup/dup2/fdopen/fileno. Real pipes and processes only.
local ipc = require("unixipc")
local support = require("support")

-- A pipe whose ends never wait longer than 5 s, so every test is bounded.
local function pipe()
  local r, w = ipc.pipe()
  r:settimeout(5)
  w:settimeout(5)
  return r, w
end

local ETIMEDOUT = ipc.errno.ETIMEDOUT
local EAGAIN = ipc.errno.EAGAIN

-- A reader holding `data` and at end of input (data must fit in a pipe).
local function pipe_with(data)
  local r, w = pipe()
  assert(w:write(data))
  assert(w:close())
  r:settimeout(5)
  return r
end

-- A reader fed by a child process: each element of `steps` is a string to
-- write or a number of seconds to sleep. Returns the reader and the pid.
local function child_writer(steps)
  local r, w = pipe()
  local pid = support.fork(function()
    r:close()
    for _, s in ipairs(steps) do
      if type(s) == "number" then ipc.sleep(s) else assert(w:write(s)) end
    end
    w:close()
  end)
  w:close()
  r:settimeout(10)
  return r, pid
end

local function assert_reaped_ok(pid)
  local p, how, code = support.reap(pid)
  assert.equal(pid, p)
  assert.equal("exit", how)
  assert.equal(0, code)
end

-- A value as text with its Lua type, so 1 and 1.0 differ.
local function show(v)
  if math.type(v) then return math.type(v) .. " " .. string.format("%.17g", v) end
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

local function shown(t)
  local out = { n = t.n }
  for i = 1, t.n do out[i] = show(t[i]) end
  return out
end

-- Elapsed monotonic seconds of fn(...), and its results packed.
local function timed(fn, ...)
  local t0 = ipc.monotime()
  local res = table.pack(fn(...))
  return ipc.monotime() - t0, res
end

-- The results of `calls` (each a list of read formats) made on an io file
-- holding `data`, then on a handle holding it; a last read("a") shows
-- what each left unread.
local function read_both(data, calls)
  local path = support.tmpname(".txt")
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  f = assert(io.open(path, "rb"))
  local h = pipe_with(data)
  local want, got = {}, {}
  for i, fmts in ipairs(calls) do
    want[i] = shown(table.pack(f:read(table.unpack(fmts))))
    got[i] = shown(table.pack(h:read(table.unpack(fmts))))
  end
  want[#calls + 1] = shown(table.pack(f:read("a")))
  got[#calls + 1] = shown(table.pack(h:read("a")))
  f:close()
  h:close()
  os.remove(path)
  return want, got
end

-- What an iterator from :lines(...) gives on an io file and on a handle.
local function lines_both(data, fmts)
  local path = support.tmpname(".txt")
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  f = assert(io.open(path, "rb"))
  local h = pipe_with(data)
  local function collect(it)
    local out = {}
    for _ = 1, 1000 do
      local t = table.pack(it())
      if t[1] == nil then break end
      out[#out + 1] = shown(t)
    end
    return out
  end
  local want = collect(f:lines(table.unpack(fmts)))
  local got = collect(h:lines(table.unpack(fmts)))
  f:close()
  h:close()
  os.remove(path)
  return want, got
end

local function all_bytes()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  return table.concat(t)
end

describe("ipc.pipe", function()
  after_each(support.cleanup)

  it("returns a reader and a writer on one pipe", function()
    local r, w = ipc.pipe()
    assert.equal("userdata", type(r))
    assert.equal("userdata", type(w))
    assert.are_not.equal(r, w)
    assert.equal(w, w:write("through the pipe\n"))
    r:settimeout(5)
    assert.equal("through the pipe", r:read("l"))
    r:close(); w:close()
  end)

  it("makes both descriptors close-on-exec", function()
    local r, w = ipc.pipe()
    assert.is_true(support.cloexec(r:fileno()))
    assert.is_true(support.cloexec(w:fileno()))
    r:close(); w:close()
  end)

  it("shows the descriptor in tostring, and the closed state", function()
    local r, w = ipc.pipe()
    assert.equal("unixipc.handle (fd " .. r:fileno() .. ")", tostring(r))
    assert.equal("unixipc.handle (fd " .. w:fileno() .. ")", tostring(w))
    r:close()
    assert.equal("unixipc.handle (closed)", tostring(r))
    w:close()
  end)

  it("gives integer descriptors that are open in this process", function()
    local r, w = ipc.pipe()
    assert.equal("integer", math.type(r:fileno()))
    assert.equal("integer", math.type(w:fileno()))
    assert.is_true(support.fd_is_open(r:fileno()))
    assert.is_true(support.fd_is_open(w:fileno()))
    assert.equal(r:fileno(), ipc.fileno(r))
    assert.equal(w:fileno(), ipc.fileno(w))
    r:close(); w:close()
  end)
end)

describe("h:read", function()
  after_each(support.cleanup)

  local cases = {
    { "lines", "hello\nworld\n", { { "l" }, { "l" }, { "l" }, { "l" } } },
    { "lines kept", "hello\nworld\n", { { "L" }, { "L" }, { "L" } } },
    { "no format", "hello\nworld\n", { {}, {}, {} } },
    { "last line without newline", "hello\nworld", { { "l", "l", "l" } } },
    { "last line kept", "a\nb", { { "L", "L", "L" } } },
    { "old spellings", "one\ntwo\nthree 4\n",
      { { "*l" }, { "*L" }, { "*n" }, { "*a" }, { "*a" } } },
    { "all, then all at end", "abc", { { "a" }, { "a" }, { "l" } } },
    { "empty lines", "x\n\n\ny", { { "l" }, { "l" }, { "L" }, { "l" }, { "l" } } },
    { "carriage returns", "a\r\nb\r\n", { { "l" }, { "L" } } },
    { "byte counts", "hello world", { { 3 }, { 0 }, { 100 }, { 0 }, { 5 } } },
    { "several counts", "hello", { { 2, 2, 2, 2 } } },
    { "several formats", "line one\nline two\n7 rest\n",
      { { "l", 4, "L", "n", "a" } } },
    { "empty: l", "", { { "l" } } },
    { "empty: L", "", { { "L" } } },
    { "empty: a", "", { { "a" }, { "a" } } },
    { "empty: 0", "", { { 0 } } },
    { "empty: 1", "", { { 1 } } },
    { "empty: n", "", { { "n" } } },
    { "numbers", "0x1F 3.5e2 -7 +8 .5 0xA.8p1 1E-2\n",
      { { "n", "n", "n", "n", "n", "n", "n" }, { "l" } } },
    { "number at end", "  42", { { "n" }, { "n" } } },
    { "number then line", "5\nrest\n", { { "n" }, { "l" }, { "l" } } },
    { "failed number stops the formats", "12 abc", { { "n", "n", "a" }, { "a" } } },
    { "not a number", "nan 1", { { "n" } } },
    { "big numbers", "9223372036854775807 9223372036854775808 -0x10",
      { { "n" }, { "n" }, { "n" } } },
  }
  for _, case in ipairs(cases) do
    it("reads like Lua io: " .. case[1], function()
      local want, got = read_both(case[2], case[3])
      assert.same(want, got)
    end)
  end

  it("returns a single nil at end of input", function()
    local r = pipe_with("only\n")
    assert.equal("only", r:read("l"))
    local res = table.pack(r:read("l"))
    assert.equal(1, res.n)
    assert.is_nil(res[1])
    res = table.pack(r:read(5))
    assert.equal(1, res.n)
    assert.is_nil(res[1])
    assert.equal("", r:read("a"))
    r:close()
  end)

  it("read(0) is \"\" while data remains and nil at end", function()
    local r = pipe_with("z")
    assert.equal("", r:read(0))
    assert.equal("z", r:read(1))
    assert.is_nil(r:read(0))
    r:close()
  end)

  it("is binary-safe: NULs and all 256 byte values", function()
    local data = string.rep(all_bytes(), 100)
    local r = pipe_with(data)
    assert.equal(data, r:read("a"))
    r:close()

    r = pipe_with(data)
    local parts = {}
    for _ = 1, 1000 do
      local l = r:read("L")
      if not l then break end
      parts[#parts + 1] = l
    end
    assert.equal(data, table.concat(parts))
    assert.equal(101, #parts) -- 100 newlines, then the tail after the last
    r:close()

    r = pipe_with("a\0b\nc\0\n\0")
    assert.equal("a\0b", r:read("l"))
    assert.equal("c\0", r:read("l"))
    assert.equal("\0", r:read("l"))
    assert.is_nil(r:read("l"))
    r:close()
  end)

  it("reads a 1 MiB line and a last line without newline from a child", function()
    local big = string.rep("0123456789abcdef", 65536)
    local r, pid = child_writer({ big .. "\n", 0.05, "next\nlast" })
    local line = r:read("l")
    assert.equal(#big, #line)
    assert.is_true(line == big)
    assert.equal("next", r:read("l"))
    assert.equal("last", r:read("l"))
    assert.is_nil(r:read("l"))
    r:close()
    assert_reaped_ok(pid)
  end)

  it("reads everything a child writes in pieces, whatever the counts", function()
    local chunks, want = {}, {}
    for i = 1, 40 do
      local s = string.rep(string.char(65 + i % 26), i * 997)
      chunks[#chunks + 1] = s
      want[#want + 1] = s
    end
    local r, pid = child_writer(chunks)
    local got, sizes = {}, { 1, 7, 4096, 65536, 100000, 3 }
    for i = 1, 10000 do
      local s = r:read(sizes[i % #sizes + 1])
      if not s then break end
      got[#got + 1] = s
    end
    assert.is_true(table.concat(got) == table.concat(want))
    r:close()
    assert_reaped_ok(pid)
  end)

  it("rejects an unknown format and a negative count", function()
    local r, w = pipe()
    r:settimeout(0.5)
    local msg = support.error_of(function() local _ = r:read("x") end)
    assert.truthy(msg and msg:find("bad argument #1 to 'read'", 1, true), msg)
    w:write("a line\n") -- so that the valid first format can be read
    msg = support.error_of(function() local _ = r:read("l", "*q") end)
    assert.truthy(msg and msg:find("bad argument #2 to 'read'", 1, true), msg)
    msg = support.error_of(function() local _ = r:read(-1) end)
    assert.truthy(msg and msg:find("bad argument #1 to 'read'", 1, true), msg)
    r:close(); w:close()
  end)
end)

describe("h:lines", function()
  after_each(support.cleanup)

  local cases = {
    { "default", "a\nb\n\nc", {} },
    { "L", "a\nb\n\nc", { "L" } },
    { "counts", "abcdefg", { 2 } },
    { "numbers", "1 2 0x10 4.5 -3", { "n" } },
    { "several formats", "a\nb\nc\n", { "l", "l" } },
  }
  for _, case in ipairs(cases) do
    it("iterates like Lua io: " .. case[1], function()
      local want, got = lines_both(case[2], case[3])
      assert.same(want, got)
    end)
  end

  it("works in a generic for and keeps returning nil at the end", function()
    local r = pipe_with("x\ny\nz")
    local got = {}
    for l in r:lines() do got[#got + 1] = l end
    assert.same({ "x", "y", "z" }, got)
    local it2 = r:lines()
    assert.is_nil(it2())
    assert.is_nil(it2())
    r:close()
  end)

  it("raises on an error (a timeout)", function()
    local r, w = pipe()
    w:write("first\n")
    r:settimeout(0.2)
    local it = r:lines()
    assert.equal("first", it())
    local msg = support.error_of(it)
    assert.truthy(msg and msg:find("timeout", 1, true), msg)
    r:close(); w:close()
  end)

  it("raises when its handle was closed", function()
    local r = pipe_with("x\ny\n")
    local it = r:lines()
    assert.equal("x", it())
    r:close()
    local msg = support.error_of(it)
    assert.truthy(msg and msg:find("closed", 1, true), msg)
  end)
end)

describe("h:write, h:syswrite, h:sysread", function()
  after_each(support.cleanup)

  it("writes strings and numbers as Lua io does and returns the handle", function()
    local values = { "text ", 42, " ", 1.5, " ", -0.0, " ", 2^63, " ", math.pi,
      " ", 1e100, " ", math.mininteger, " ", 3.0, "\n" }
    local path = support.tmpname(".txt")
    local f = assert(io.open(path, "wb"))
    f:write(table.unpack(values))
    f:close()
    f = assert(io.open(path, "rb"))
    local want = f:read("a")
    f:close()
    os.remove(path)

    local r, w = pipe()
    assert.equal(w, w:write(table.unpack(values)))
    assert.equal(w, w:write())
    assert.equal(w, w:write("a", "b"):write("c"))
    w:close()
    r:settimeout(5)
    assert.equal(want .. "abc", r:read("a"))
    r:close()
  end)

  it("syswrite returns the bytes written; sysread does one read of 1..n bytes", function()
    local r, w = pipe()
    r:settimeout(5)
    assert.equal(11, w:syswrite("hello world"))
    assert.equal("hello", r:sysread(5))
    assert.equal(" world", r:sysread(100))
    local data = all_bytes()
    assert.equal(256, w:syswrite(data))
    local got = {}
    repeat
      local s = r:sysread(1000)
      assert.truthy(#s >= 1 and #s <= 1000)
      got[#got + 1] = s
    until #table.concat(got) >= 256
    assert.equal(data, table.concat(got))
    w:close()
    local res = table.pack(r:sysread(10))
    assert.equal(1, res.n)
    assert.is_nil(res[1])
    r:close()
  end)

  it("sysread(0) returns \"\" without waiting", function()
    local r, w = pipe()
    r:settimeout(3)
    local t, res = timed(r.sysread, r, 0)
    assert.equal("", res[1])
    assert.is_true(t < 1)
    w:syswrite("x")
    assert.equal("", r:sysread(0))
    assert.equal("x", r:sysread(1))
    r:close(); w:close()
  end)

  it("sysread returns what a child wrote in one go, not waiting for more", function()
    local r, pid = child_writer({ "early", 5, "late" })
    local t, res = timed(r.sysread, r, 100)
    assert.equal("early", res[1])
    assert.is_true(t < 4)
    r:close()
    ipc.kill("TERM", pid)
    support.reap(pid)
  end)
end)

describe("h:setvbuf and h:flush", function()
  after_each(support.cleanup)

  -- Whether `r` becomes readable within `t` seconds.
  local function readable(r, t)
    local rd = ipc.select({ r }, {}, t)
    return #rd == 1
  end

  it("writes are unbuffered by default: the reader sees them at once", function()
    local r, w = pipe()
    w:write("x")
    assert.is_true(readable(r, 2))
    assert.equal("x", r:sysread(10))
    w:write(1, 2)
    assert.is_true(readable(r, 2))
    assert.equal("12", r:sysread(10))
    r:close(); w:close()
  end)

  it("\"full\" holds output until flush", function()
    local r, w = pipe()
    r:settimeout(5)
    w:setvbuf("full")
    assert.equal(w, w:write("hello ", 42))
    assert.is_false(readable(r, 0.2))
    assert.truthy(w:flush())
    assert.is_true(readable(r, 2))
    assert.equal("hello 42", r:sysread(100))
    r:close(); w:close()
  end)

  it("\"full\" output is written by close", function()
    local r, w = pipe()
    r:settimeout(5)
    w:setvbuf("full")
    w:write("kept until close")
    assert.is_false(readable(r, 0.2))
    assert.is_true(w:close())
    assert.equal("kept until close", r:read("a"))
    r:close()
  end)

  it("\"full\" with a size writes once the buffer would overflow", function()
    local r, w = pipe()
    r:settimeout(5)
    w:setvbuf("full", 16)
    w:write("0123456789")
    assert.is_false(readable(r, 0.2))
    w:write("abcdefghij")
    assert.is_true(readable(r, 2))
    w:flush()
    w:close()
    assert.equal("0123456789abcdefghij", r:read("a"))
    r:close()
  end)

  it("\"line\" writes at a newline", function()
    local r, w = pipe()
    r:settimeout(5)
    w:setvbuf("line")
    w:write("abc")
    assert.is_false(readable(r, 0.2))
    w:write("def\nghi")
    assert.is_true(readable(r, 2))
    local first = r:sysread(100)
    assert.equal("abcdef\n", first:sub(1, 7))
    w:flush()
    w:close()
    assert.equal("abcdef\nghi", first .. r:read("a"))
    r:close()
  end)

  it("\"no\" makes a buffered handle unbuffered again", function()
    local r, w = pipe()
    r:settimeout(5)
    w:setvbuf("full")
    w:setvbuf("no")
    w:write("now")
    assert.is_true(readable(r, 2))
    assert.equal("now", r:sysread(10))
    r:close(); w:close()
  end)

  it("pending output is flushed before a fork, so it is written once", function()
    local r, w = pipe()
    r:settimeout(5)
    w:setvbuf("full")
    w:write("once")
    local pid = support.fork(function()
      r:close()
      w:close() -- would write "once" again had the fork not flushed it
    end)
    assert.is_true(readable(r, 2))
    assert_reaped_ok(pid)
    w:close()
    assert.equal("once", r:read("a"))
    r:close()
  end)

  it("rejects unknown modes and negative sizes", function()
    local r, w = pipe()
    local msg = support.error_of(function() w:setvbuf("sometimes") end)
    assert.truthy(msg and msg:find("bad argument #1 to 'setvbuf'", 1, true), msg)
    msg = support.error_of(function() w:setvbuf("full", -1) end)
    assert.truthy(msg and msg:find("bad argument #2 to 'setvbuf'", 1, true), msg)
    r:close(); w:close()
  end)
end)

describe("h:settimeout", function()
  after_each(support.cleanup)

  local function check_timeout(s, fn, ...)
    local t, res = timed(fn, ...)
    assert.equal(3, res.n)
    assert.is_nil(res[1])
    assert.equal("timeout", res[2])
    assert.equal(ETIMEDOUT, res[3])
    assert.is_true(t >= 0.8 * s, "returned after " .. t .. " s, timeout " .. s)
    assert.is_true(t <= s + 1, "returned after " .. t .. " s, timeout " .. s)
  end

  it("makes a read that waits too long return nil, \"timeout\", ETIMEDOUT", function()
    local r, w = pipe()
    r:settimeout(0.5)
    check_timeout(0.5, r.read, r, "l")
    check_timeout(0.5, r.read, r, 4)
    check_timeout(0.5, r.read, r, "a")
    check_timeout(0.5, r.sysread, r, 4)
    r:close(); w:close()
  end)

  it("loses no partially received data", function()
    local r, w = pipe()
    r:settimeout(0.3)
    w:write("abc")
    check_timeout(0.3, r.read, r, "l")
    w:write("def\n")
    assert.equal("abcdef", r:read("l"))
    w:write("12")
    check_timeout(0.3, r.read, r, 5)
    w:write("345")
    assert.equal("12345", r:read(5))
    w:write("partial")
    check_timeout(0.3, r.read, r, "a")
    w:close()
    assert.equal("partial", r:read("a"))
    r:close()
  end)

  it("applies to writes to a full pipe", function()
    local r, w = pipe()
    w:settimeout(0.3)
    local ok, t, res = ipc.timeout(10, timed, w.write, w, string.rep("x", 4 * 1024 * 1024))
    assert.is_true(ok)
    assert.is_nil(res[1])
    assert.equal("timeout", res[2])
    assert.equal(ETIMEDOUT, res[3])
    assert.is_true(t >= 0.24 and t <= 1.3, "returned after " .. t .. " s")
    r:close(); w:close()
  end)

  it("nil waits without limit again", function()
    local r, pid = child_writer({ 0.5, "late\n" })
    r:settimeout(0.1)
    assert.equal("timeout", select(2, r:read("l")))
    r:settimeout(nil)
    local ok, line = ipc.timeout(10, r.read, r, "l")
    assert.is_true(ok)
    assert.equal("late", line)
    r:close()
    assert_reaped_ok(pid)
  end)

  it("rejects a negative timeout", function()
    local r, w = pipe()
    local msg = support.error_of(function() r:settimeout(-1) end)
    assert.truthy(msg and msg:find("bad argument #1 to 'settimeout'", 1, true), msg)
    r:close(); w:close()
  end)
end)

describe("h:setblocking", function()
  after_each(support.cleanup)

  it("false makes a read with nothing available fail with EAGAIN at once", function()
    local r, w = pipe()
    r:settimeout(5)
    r:setblocking(false)
    local t, res = timed(r.read, r, "l")
    assert.is_true(t < 0.5)
    assert.equal(3, res.n)
    assert.is_nil(res[1])
    assert.truthy(res[2]:find("Resource temporarily unavailable", 1, true), res[2])
    assert.equal(EAGAIN, res[3])
    t, res = timed(r.sysread, r, 10)
    assert.is_true(t < 0.5)
    assert.is_nil(res[1])
    assert.equal(EAGAIN, res[3])
    r:close(); w:close()
  end)

  it("keeps partial input when a non-blocking read fails", function()
    local r, w = pipe()
    r:setblocking(false)
    w:write("abc")
    local a, _, c = r:read("l")
    assert.is_nil(a)
    assert.equal(EAGAIN, c)
    w:write("\n")
    assert.equal("abc", r:read("l"))
    r:close(); w:close()
  end)

  it("true restores waiting", function()
    local r, w = pipe()
    r:setblocking(false)
    r:settimeout(0.4)
    assert.equal(EAGAIN, select(3, r:read("l")))
    r:setblocking(true)
    local t, res = timed(r.read, r, "l")
    assert.equal("timeout", res[2])
    assert.is_true(t >= 0.3)
    r:close(); w:close()
  end)

  it("false makes a write to a full pipe partial, then EAGAIN", function()
    local r, w = pipe()
    w:setblocking(false)
    local big = string.rep("y", 4 * 1024 * 1024)
    local n = w:syswrite(big)
    assert.equal("integer", math.type(n))
    assert.is_true(n > 0 and n < #big)
    local a, msg, e = w:syswrite("y")
    assert.is_nil(a)
    assert.truthy(msg:find("Resource temporarily unavailable", 1, true), msg)
    assert.equal(EAGAIN, e)
    r:close(); w:close()
  end)
end)

describe("writing to a pipe whose reader is gone", function()
  after_each(support.cleanup)

  it("returns nil, \"…Broken pipe\", EPIPE when PIPE is ignored", function()
    local out, ok, how, code, err = support.run_lua([[
      local ipc = require("unixipc")
      ipc.SIG.PIPE = "IGNORE"
      local r, w = ipc.pipe()
      r:close()
      local res = table.pack(w:write("x"))
      print(res.n, res[1], res[2], res[3] == ipc.errno.EPIPE)
      res = table.pack(w:syswrite("x"))
      print(res.n, res[1], res[2], res[3] == ipc.errno.EPIPE)
      ipc.SIG.PIPE = "DEFAULT"
      w:close()
    ]])
    assert.equal("", err)
    assert.is_true(ok, how .. " " .. tostring(code))
    local l1, l2 = out:match("^([^\n]*)\n([^\n]*)\n$")
    assert.truthy(l1, out)
    for _, l in ipairs({ l1, l2 }) do
      local n, first, msg, same = l:match("^(%d+)\t(%w+)\t(.-)\t(%w+)$")
      assert.equal("3", n, l)
      assert.equal("nil", first, l)
      assert.truthy(msg:find("Broken pipe", 1, true), l)
      assert.truthy(msg:find("^%a"), l)
      assert.equal("true", same, l)
    end
  end)

  it("kills the writer by PIPE under the default disposition", function()
    local out, ok, how, code = support.run_lua([[
      local ipc = require("unixipc")
      ipc.SIG.PIPE = "DEFAULT" -- whatever this process inherited
      local r, w = ipc.pipe()
      r:close()
      io.stdout:write("before\n"); io.stdout:flush()
      w:write("x")
      io.stdout:write("after\n")
    ]])
    assert.equal("before\n", out)
    assert.is_nil(ok)
    -- killed by signal 13, as reported by timeout(1) and the shell
    assert.truthy((how == "signal" and code == 13) or (how == "exit" and code == 141),
      tostring(how) .. " " .. tostring(code))
  end)
end)

describe("the handle's life cycle", function()
  after_each(support.cleanup)

  it("close returns true and frees the descriptor", function()
    local r, w = pipe()
    local rfd, wfd = r:fileno(), w:fileno()
    assert.is_true(r:close())
    assert.is_true(w:close())
    assert.is_false(support.fd_is_open(rfd))
    assert.is_false(support.fd_is_open(wfd))
  end)

  it("raises on any use of a closed handle, naming it closed", function()
    local r, w = pipe()
    r:close(); w:close()
    local uses = {
      read = function() local _ = r:read("l") end,
      lines = function() local it = r:lines(); local _ = it() end,
      sysread = function() local _ = r:sysread(1) end,
      write = function() local _ = w:write("x") end,
      syswrite = function() local _ = w:syswrite("x") end,
      flush = function() local _ = w:flush() end,
      close = function() local _ = r:close() end,
      fileno = function() local _ = r:fileno() end,
      setvbuf = function() local _ = w:setvbuf("full") end,
      settimeout = function() local _ = r:settimeout(1) end,
      setblocking = function() local _ = r:setblocking(false) end,
      expect = function() local _ = r:expect("x", 0.1) end,
      ["ipc.fileno"] = function() local _ = ipc.fileno(r) end,
      ["ipc.dup"] = function() local _ = ipc.dup(r) end,
      ["ipc.dup2"] = function() local _ = ipc.dup2(r, support.free_fd(60)) end,
    }
    for name, use in pairs(uses) do
      local msg = support.error_of(use)
      assert.truthy(msg, name .. " did not raise")
      assert.truthy(msg:find("closed", 1, true), name .. ": " .. msg)
    end
    assert.equal("unixipc.handle (closed)", tostring(r))
  end)

  it("closes a <close> variable at scope exit, also on error", function()
    local r, w = pipe()
    local rfd = r:fileno()
    do
      local h <close> = r
      assert.equal(rfd, h:fileno())
    end
    assert.equal("unixipc.handle (closed)", tostring(r))
    assert.is_false(support.fd_is_open(rfd))

    local wfd = w:fileno()
    local ok = pcall(function()
      local h <close> = w
      error("boom")
    end)
    assert.is_false(ok)
    assert.equal("unixipc.handle (closed)", tostring(w))
    assert.is_false(support.fd_is_open(wfd))
  end)

  it("<close> after an explicit close is harmless", function()
    local r, w = pipe()
    assert.has_no.errors(function()
      local h <close> = r
      h:close()
    end)
    w:close()
  end)

  it("__gc closes a handle nobody refers to", function()
    local rfd, wfd
    local seen = setmetatable({}, { __mode = "k" })
    do
      local r, w = pipe()
      rfd, wfd = r:fileno(), w:fileno()
      seen[r] = true
      seen[w] = true
    end
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(seen), "the handles were not collected")
    assert.is_false(support.fd_is_open(rfd))
    assert.is_false(support.fd_is_open(wfd))
  end)

  it("leaks no descriptor across 10,000 pipes", function()
    -- The descriptors open here, as "fd -> target" lines, read in-process
    -- (a listing by a child of io.popen races with popen's own descriptors;
    -- lfs.dir's directory descriptor is there both times).
    local lfs = require("lfs")
    local function listing()
      local out = {}
      for name in lfs.dir("/proc/self/fd") do
        if name:match("^%d+$") then
          local a = lfs.symlinkattributes("/proc/self/fd/" .. name)
          out[#out + 1] = name .. " -> " .. tostring(a and a.target)
        end
      end
      table.sort(out)
      return out
    end
    local n = support.memcheck() and 500 or 10000
    collectgarbage() -- what earlier tests dropped is not counted
    collectgarbage()
    local before = listing()
    for _ = 1, n do
      local r, w = ipc.pipe()
      r:close()
      w:close()
    end
    for _ = 1, n // 10 do
      local r, w = ipc.pipe()
      w:write("left for the collector")
      local _ = r
    end
    collectgarbage()
    collectgarbage()
    local after = listing()
    assert.equal(#before, #after, "before:\n" .. table.concat(before, "\n")
      .. "\nafter:\n" .. table.concat(after, "\n"))
  end)
end)

describe("h:expect", function()
  after_each(support.cleanup)

  it("returns the pattern's index, the match and the text before it", function()
    local r, w = pipe()
    r:settimeout(5)
    w:write("Welcome\nlogin: rest\n")
    local i, m, before = r:expect("password:", "login: ", 5)
    assert.equal(2, i)
    assert.equal("login: ", m)
    assert.equal("Welcome\n", before)
    assert.equal("rest", r:read("l"))
    r:close(); w:close()
  end)

  it("matches Lua patterns and consumes only through the match", function()
    local r, w = pipe()
    r:settimeout(5)
    w:write("id=4711;next=12;")
    local i, m, before = r:expect("id=%d+;", 5)
    assert.equal(1, i)
    assert.equal("id=4711;", m)
    assert.equal("", before)
    i, m, before = r:expect("=%d+", 5)
    assert.equal(1, i)
    assert.equal("=12", m)
    assert.equal("next", before)
    w:close()
    assert.equal(";", r:read("a"))
    r:close()
  end)

  it("waits for a prompt arriving in pieces from a child", function()
    local r, pid = child_writer({ "Password for ", 0.1, "us", 0.1, "er: ", 0.1, "after\n" })
    local i, m, before = r:expect("user: ", "denied", 5)
    assert.equal(1, i)
    assert.equal("user: ", m)
    assert.equal("Password for ", before)
    assert.equal("after", r:read("l"))
    r:close()
    assert_reaped_ok(pid)
  end)

  it("times out with nil, \"timeout\", ETIMEDOUT and keeps the text", function()
    local r, w = pipe()
    r:settimeout(5)
    w:write("abc")
    local t, res = timed(r.expect, r, "zzz", 0.3)
    assert.same({ n = 3, nil, "timeout", ETIMEDOUT }, res)
    assert.is_true(t >= 0.24 and t <= 1.3, "returned after " .. t .. " s")
    w:write("zzz tail\n")
    local i, m, before = r:expect("zzz", 5)
    assert.equal(1, i)
    assert.equal("zzz", m)
    assert.equal("abc", before)
    assert.equal(" tail", r:read("l"))
    r:close(); w:close()
  end)

  it("returns a single nil at end of input without a match", function()
    local r = pipe_with("no prompt here\n")
    local res = table.pack(r:expect("zzz", 5))
    assert.equal(1, res.n)
    assert.is_nil(res[1])
    r:close()
  end)
end)

describe("ipc.dup, ipc.dup2, ipc.fdopen, ipc.fileno", function()
  after_each(support.cleanup)

  it("dup gives a new close-on-exec handle on the same pipe", function()
    local r, w = pipe()
    r:settimeout(5)
    local d = ipc.dup(w)
    assert.are_not.equal(w:fileno(), d:fileno())
    assert.is_true(support.cloexec(d:fileno()))
    w:write("one ")
    d:write("two ")
    w:close()
    d:write("three") -- the pipe stays open while the duplicate lives
    d:close()
    assert.equal("one two three", r:read("a"))
    r:close()
  end)

  it("dup2 makes a descriptor refer to the handle's file", function()
    local r1, w1 = pipe()
    local r2, w2 = pipe()
    r1:settimeout(5)
    r2:settimeout(5)
    local fd = w2:fileno()
    assert.truthy(ipc.dup2(w1, fd))
    assert.equal(fd, w2:fileno())
    w2:write("via fd ", fd) -- now writes into the first pipe
    w1:close()
    w2:close()
    assert.equal("via fd " .. fd, r1:read("a"))
    assert.equal("", r2:read("a")) -- pipe 2 lost its only writer
    r1:close(); r2:close()
  end)

  it("fdopen gives a handle owning a raw descriptor", function()
    local r, w = pipe()
    local rfd = support.free_fd(50)
    assert.truthy(ipc.dup2(r, rfd))
    local wfd = support.free_fd(rfd + 1)
    assert.truthy(ipc.dup2(w, wfd))
    r:close(); w:close()
    local hr = ipc.fdopen(rfd, "r")
    local hw = ipc.fdopen(wfd, "w")
    assert.equal(rfd, hr:fileno())
    assert.equal(wfd, ipc.fileno(hw))
    assert.equal("unixipc.handle (fd " .. rfd .. ")", tostring(hr))
    hr:settimeout(5)
    hw:write("raw\n")
    assert.equal("raw", hr:read("l"))
    assert.is_true(hw:close())
    assert.is_nil(hr:read("l"))
    assert.is_true(hr:close())
    assert.is_false(support.fd_is_open(rfd))
    assert.is_false(support.fd_is_open(wfd))
  end)

  it("fdopen rejects bad modes and bad descriptors", function()
    local r, w = pipe()
    local fd = support.free_fd(50)
    assert.truthy(ipc.dup2(r, fd))
    for _, mode in ipairs({ "x", "", "rw+x" }) do
      local msg = support.error_of(function() local _ = ipc.fdopen(fd, mode) end)
      assert.truthy(msg and msg:find("bad argument #2 to 'fdopen'", 1, true),
        tostring(mode) .. ": " .. tostring(msg))
    end
    local msg = support.error_of(function() local _ = ipc.fdopen(-1, "r") end)
    assert.truthy(msg and msg:find("bad argument #1 to 'fdopen'", 1, true), msg)
    -- a descriptor that is not open: an error, or the fail triple with
    -- EBADF; never a handle
    local unused = support.free_fd(900)
    local ok, a, b, c = pcall(ipc.fdopen, unused, "r")
    if ok then
      assert.is_nil(a)
      assert.truthy(b:find("Bad file descriptor", 1, true), b)
      assert.equal(ipc.errno.EBADF, c)
    end
    assert.is_true(ipc.fdopen(fd, "r"):close())
    r:close(); w:close()
  end)

  it("fileno takes handles and io files", function()
    local r, w = pipe()
    assert.equal(r:fileno(), ipc.fileno(r))
    assert.equal(0, ipc.fileno(io.stdin))
    assert.equal(1, ipc.fileno(io.stdout))
    assert.equal(2, ipc.fileno(io.stderr))
    local path = support.tmpname(".txt")
    local f = assert(io.open(path, "w"))
    local fd = ipc.fileno(f)
    assert.equal("integer", math.type(fd))
    assert.is_true(support.fd_is_open(fd))
    f:close()
    assert.is_false(support.fd_is_open(fd))
    os.remove(path)
    r:close(); w:close()
  end)
end)
