-- ipc.poller (src/poller.c) and ipc.select with sockets: readiness, buffered
-- input, modify/remove, timeouts, a thousand clients served from one
-- process, descriptors above FD_SETSIZE, signals, and argument errors.
local ipc = require("unixipc")
local support = require("support")

local open_handles = {}
local function track(...)
  for _, h in ipairs({ ... }) do open_handles[#open_handles + 1] = h end
  return ...
end

local children = {}

after_each(function() support.put_down(open_handles, children) end)

local function pair()
  local a, b = track(ipc.socketpair())
  a:settimeout(5)
  b:settimeout(5)
  return a, b
end

-- The events the poller reported for h in `res` (nil if none).
local function events_of(res, h)
  for _, ev in ipairs(res) do
    if rawequal(ev[1], h) then return ev[2] end
  end
end

describe("ipc.poller", function()
  it("reports readable and writable objects as {h, events}", function()
    local p = track(ipc.poller())
    local a, b = pair()
    local r, w = track(ipc.pipe())
    assert.equal(p, p:add(a, "r"))
    p:add(b, "w")
    p:add(r, "r")
    local res = p:wait(5)
    assert.equal(1, #res)
    assert.equal("w", events_of(res, b))
    b:send("x")
    w:write("y")
    res = p:wait(5)
    assert.equal(3, #res)
    assert.equal("r", events_of(res, a))
    assert.equal("r", events_of(res, r))
    assert.equal(3, p:count())
  end)

  it("takes io files and integer descriptors, and gives them back", function()
    local p = track(ipc.poller())
    local a, b = pair()
    local f = assert(io.popen("echo from-popen"))
    assert(p:add(a:fileno(), "r"))
    b:send("z")
    assert.same({ { a:fileno(), "r" } }, p:wait(5))
    a:read(1)
    assert(p:add(f, "r"))
    local res = p:wait(5)  -- "re" once echo has exited
    assert.equal(1, #res)
    assert.equal(f, res[1][1])
    assert.matches("^re?$", res[1][2])
    assert.equal("from-popen", f:read("l"))
    p:remove(f)
    f:close()
  end)

  it("times out with an empty array after about the timeout", function()
    local p = track(ipc.poller())
    local a = pair()
    p:add(a, "r")
    local t0 = ipc.monotime()
    local res = p:wait(0.2)
    local t = ipc.monotime() - t0
    assert.same({}, res)
    assert.is_true(t >= 0.18 and t < support.slack(1), "took " .. t)
    assert.same({}, p:wait(0))
  end)

  it("reports a handle with buffered input readable at once", function()
    local p = track(ipc.poller())
    local a, b = pair()
    b:send("one\ntwo\n")
    p:add(a, "r")
    assert.equal("one", a:read("l"))  -- "two\n" is now in a's buffer only
    assert.same({ { a, "r" } }, p:wait(5))
    assert.equal("two", a:read("l"))
    assert.same({}, p:wait(0.05))
  end)

  it("modify changes the events, remove stops watching", function()
    local p = track(ipc.poller())
    local a, b = pair()
    p:add(a, "r")
    assert.same({}, p:wait(0))
    p:modify(a, "rw")
    assert.same({ { a, "w" } }, p:wait(5))
    b:send("q")
    assert.same({ { a, "rw" } }, p:wait(5))
    p:remove(a)
    assert.same({}, p:wait(0))
    assert.equal(0, p:count())
  end)

  it("says 'e' (and 'r' for a reader) when the peer hangs up", function()
    local p = track(ipc.poller())
    local r, w = track(ipc.pipe())
    p:add(r, "r")
    w:close()
    assert.same({ { r, "re" } }, p:wait(5))
  end)

  it("forgets a handle closed while watched, and remove takes it too", function()
    local p = track(ipc.poller())
    local a, b = pair()
    local c = pair()
    p:add(a, "r")
    p:add(c, "r")
    a:close()
    b:close()
    p:remove(a)
    assert.equal(1, p:count())
    c:close()
    assert.same({}, p:wait(0.05))
    local x = pair()  -- may take a number just freed
    p:add(x, "r")
    assert.same({}, p:wait(0.05))
  end)

  it("serves 1,000 simultaneous clients from one process", function()
    local n = support.memcheck() and 100 or 1000
    local srv = track(assert(ipc.listen { host = "127.0.0.1", backlog = 2048 }))
    local port = srv:getsockname().port
    srv:setblocking(false)
    local pid = support.fork(function()
      local conns = {}
      for i = 1, n do
        conns[i] = assert(ipc.connect { host = "127.0.0.1", port = port, timeout = 20 })
        conns[i]:settimeout(30)
      end
      for i = 1, n do assert(conns[i]:write("hello " .. i .. "\n")) end
      for i = 1, n do
        local line = conns[i]:read("l")
        assert(line == "HELLO " .. i, "client " .. i .. " got " .. tostring(line))
        conns[i]:close()
      end
    end)
    children[#children + 1] = pid
    local p = track(ipc.poller())
    p:add(srv, "r")
    local served, open, most = 0, 0, 0
    local deadline = ipc.monotime() + support.slack(60)
    while (served < n or open > 0) and ipc.monotime() < deadline do
      for _, ev in ipairs(p:wait(5)) do
        local h = ev[1]
        if h == srv then
          while true do
            local c = srv:accept()
            if not c then break end
            c:settimeout(5)
            p:add(c, "r")
            open = open + 1
            most = math.max(most, open)
          end
        else
          local line = h:read("l")
          if line then
            assert(h:write(line:upper(), "\n"))
            served = served + 1
          else
            p:remove(h)
            h:close()
            open = open - 1
          end
        end
      end
    end
    local _, how, code = support.reap(pid, 10)
    table.remove(children)
    assert.equal(n, served)
    assert.equal(0, open)
    assert.equal(n, most)  -- all of them were connected at once
    assert.same({ "exit", 0 }, { how, code })
  end)

  it("runs signal handlers during a wait; one that raises ends it", function()
    local res = support.child([==[
      local p = ipc.poller()
      local a, b = ipc.socketpair()
      p:add(a, "r")
      local ran = 0
      ipc.SIG.USR1 = function() ran = ran + 1 end
      local me = ipc.getpid()
      local pid = fork(function()
        ipc.sleep(0.1 * SLOW) ipc.kill("USR1", me)
        ipc.sleep(0.1 * SLOW) b:send("x")
      end)
      local got = p:wait(10)
      reap(pid)
      ipc.SIG.USR1 = function() error("wake up") end
      pid = fork(function() ipc.sleep(0.1 * SLOW) ipc.kill("USR1", me) end)
      a:read(1)
      local t, ok, err = timed(p.wait, p, 10)
      reap(pid)
      return { ran = ran, n = #got, ok = ok, err = tostring(err), t = t }
    ]==])
    assert.is_nil(res.error)
    assert.equal(1, res.ran)
    assert.equal(1, res.n)
    assert.is_false(res.ok)
    assert.matches("wake up", res.err)
    assert.is_true(res.t < 5)
  end)

  it("raises on wrong arguments", function()
    local p = track(ipc.poller())
    local a = pair()
    assert.matches("bad argument #2 to 'add' %(invalid option 'x'%)",
      support.error_of(function() p:add(a, "x") end))
    assert.matches("bad argument #1 to 'add' %(handle, io file or descriptor expected",
      support.error_of(function() p:add("a", "r") end))
    p:add(a, "r")
    assert.matches("already in the poller", support.error_of(function() p:add(a, "w") end))
    local b = pair()
    assert.matches("not in the poller", support.error_of(function() p:modify(b, "r") end))
    assert.matches("not in the poller", support.error_of(function() p:remove(b) end))
    assert.matches("negative", support.error_of(function() p:wait(-1) end))
    p:close()
    assert.matches("closed poller", support.error_of(function() p:wait(0) end))
    assert.equal("unixipc.poller (closed)", tostring(p))
  end)
end)

describe("descriptors above FD_SETSIZE", function()
  -- A socket handle on a descriptor number above 1024.
  local function high_socket(h)
    local fd = support.free_fd(1100)
    assert(ipc.dup2(h, fd))
    local hh = track(assert(ipc.fdopen(fd, "rw")))
    hh:settimeout(5)
    return hh, fd
  end

  it("select and the poller both see sockets there", function()
    local a, b = pair()
    local ha, fd = high_socket(a)
    assert.is_true(fd > 1024)
    assert.same({ "unix", "stream" }, { ha:socktype() })
    local p = track(ipc.poller())
    p:add(ha, "r")
    local rd = ipc.select({ ha }, nil, 0)
    assert.same({}, rd)
    b:send("over the limit\n")
    rd = ipc.select({ ha }, nil, 5)
    assert.equal(ha, rd[1])
    assert.same({ { ha, "r" } }, p:wait(5))
    assert.equal("over the limit", ha:read("l"))
    local _, wr = ipc.select(nil, { ha }, 5)
    assert.equal(ha, wr[1])
  end)

  it("select waits on many TCP sockets at once, up to above 1024", function()
    local n = support.memcheck() and 50 or 600
    local srv = track(assert(ipc.listen { host = "127.0.0.1" }))
    srv:settimeout(5)
    local port = srv:getsockname().port
    local clients, conns = {}, {}
    for i = 1, n do
      clients[i] = track(assert(ipc.connect { host = "127.0.0.1", port = port, timeout = 5 }))
      conns[i] = track(assert(srv:accept()))
    end
    assert.is_true(support.memcheck() or conns[n]:fileno() > 1024)
    clients[n]:send("last")
    clients[1]:send("first")
    local rd = ipc.select(conns, nil, 5)
    assert.equal(2, #rd)
    assert.equal(conns[1], rd[1])
    assert.equal(conns[n], rd[2])
  end)
end)
