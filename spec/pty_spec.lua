-- Pseudo-terminals (src/pty.c): ipc.openpty and ipc.pty_spawn, with
-- h:expect proven on a real terminal. Every child is reaped.
local ipc = require("unixipc")
local support = require("support")

local started = {}
local function pty_spawn(...)
  local p, msg, err = ipc.pty_spawn(...)
  if p then
    started[#started + 1] = p
    p.pty:settimeout(support.slack(10))
  end
  return p, msg, err
end

after_each(function()
  for i = #started, 1, -1 do
    local p = started[i]
    if p:poll() == nil then p:terminate(0.5) end
    if tostring(p.pty) ~= "unixipc.handle (closed)" then p.pty:close() end
    started[i] = nil
  end
end)

describe("ipc.pty_spawn", function()
  it("pty_spawn(\"cat\", \"-n\") echoes 10 lines back numbered", function()
    local p = assert(pty_spawn("cat", "-n"))
    for i = 1, 10 do
      assert.truthy(p.pty:write("line " .. i .. "\n"))
      -- the terminal echoes the line, then cat numbers it
      local idx, match = p.pty:expect("%s+" .. i .. "\tline " .. i .. "\r\n", support.slack(10))
      assert.equal(1, idx)
      assert.truthy(match:find("line " .. i, 1, true))
    end
    assert.truthy(p.pty:write("\4"))  -- end of file, typed
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
  end)

  it("gives the child a new session with the slave as controlling terminal and stdio", function()
    local p = assert(pty_spawn("sh", "-c",
      "test -t 0 && test -t 1 && test -t 2 && echo tty-ok; ps -o sid= -o tty= -p $$; tty"))
    local out = p.pty:read("a")
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
    assert.truthy(out:find("tty-ok", 1, true), out)
    local sid, tty = out:match("(%d+)%s+(pts/%d+)")
    assert.equal(p.pid, tonumber(sid))
    assert.truthy(out:find("/dev/" .. tty, 1, true), out)
  end)

  it("reads end of input (not an error) once the child is gone", function()
    local p = assert(pty_spawn("echo", "bye"))
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
    assert.equal("bye\r\n", p.pty:read("a"))
    assert.is_nil(p.pty:read("l"))
    assert.is_nil(p.pty:sysread(10))
  end)

  it("sets the window size", function()
    local p = assert(pty_spawn { "stty", "size", rows = 33, cols = 101 })
    assert.equal("33 101\r\n", p.pty:read("a"))
    p = assert(pty_spawn("stty", "size"))
    assert.equal("24 80\r\n", p.pty:read("a"))
  end)

  it("answers a program that prompts, through expect", function()
    local p = assert(pty_spawn("sh", "-c",
      'printf "login: "; read user; stty -echo; printf "Password: "; read pw; stty echo; ' ..
      'echo; echo "welcome $user ($pw)"'))
    assert.equal(1, (p.pty:expect("login: ", "Password: ")))
    p.pty:write("ann\n")
    assert.equal(2, (p.pty:expect("login: ", "Password: ")))
    p.pty:write("secret\n")
    local idx, _, before = p.pty:expect("welcome (%a+) %((%a+)%)\r\n")
    assert.equal(1, idx)
    assert.falsy(before:find("secret", 1, true))  -- echo was off for the password
    assert.same({ true, "exit", 0 }, { p:wait(support.slack(10)) })
  end)

  it("times out an expect that never matches", function()
    local p = assert(pty_spawn("sleep", "30"))
    assert.same({ nil, "timeout", ipc.errno.ETIMEDOUT }, { p.pty:expect("never", 0.2) })
    assert.is_true(p:kill("KILL"))
    assert.same({ nil, "signal", 9 }, { p:wait(support.slack(10)) })
  end)

  it("returns nil, msg, errno for a program that cannot run, with no child left", function()
    local res = support.child([[
      local r = table.pack(ipc.pty_spawn("unixipc-no-such-program"))
      return { r = r, w = table.pack(ipc.waitpid(-1, "nohang")) }
    ]])
    assert.is_nil(res.error)
    assert.same({ n = 3, nil, "exec unixipc-no-such-program: No such file or directory",
      ipc.errno.ENOENT }, res.r)
    assert.equal(ipc.errno.ECHILD, res.w[3])
  end)

  it("raises on bad arguments", function()
    for want, call in pairs {
      ["#1 to 'pty_spawn' (command expected)"] = function() ipc.pty_spawn() end,
      ["#1 to 'pty_spawn' (empty command)"] = function() ipc.pty_spawn("") end,
      ["#2 to 'pty_spawn' (string expected, got number)"] = function() ipc.pty_spawn("cat", 1) end,
      ["#1 to 'pty_spawn' (rows must be a positive integer)"] =
        function() ipc.pty_spawn { "cat", rows = -1 } end,
      ["#1 to 'pty_spawn' (cwd must be a string)"] = function() ipc.pty_spawn { "cat", cwd = 1 } end,
    } do
      local msg = support.error_of(call)
      assert.truthy(msg and msg:find("bad argument " .. want, 1, true), tostring(msg))
    end
  end)
end)

describe("ipc.openpty", function()
  it("gives a master, a slave and the slave's name; they talk", function()
    local master, slave, name = assert(ipc.openpty())
    assert.truthy(name:match("^/dev/pts/%d+$"))
    assert.truthy(support.cloexec(master:fileno()))
    assert.truthy(support.cloexec(slave:fileno()))
    master:settimeout(support.slack(10))
    slave:settimeout(support.slack(10))
    assert.truthy(master:write("to slave\n"))
    assert.equal("to slave", slave:read("l"))
    assert.truthy(slave:write("to master\n"))
    local idx = master:expect("to master\r\n")
    assert.equal(1, idx)
    slave:close()
    assert.is_nil(master:read("a") and master:read("l"))  -- EIO is end of input
    master:close()
  end)
end)
