-- Helpers shared by the specs: child interpreters for process-wide
-- behaviour, temporary paths, bounded waits and descriptor counts.
local support = {}

local top = os.getenv("PWD") or "."

--- The command running this suite ("lua5.4" or the host), as a shell prefix.
function support.interpreter()
  return os.getenv("UNIXIPC_SPEC_LUA") or "lua5.4"
end

--- True when the suite runs under build/bin/unixipc.
function support.under_host()
  return support.interpreter():match("unixipc$") ~= nil
end

--- True under valgrind (make check-memory): slow, so specs scale down.
function support.memcheck()
  return os.getenv("UNIXIPC_MEMCHECK") == "1"
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
support.shell_quote = shell_quote

--- A fresh temporary path (not created); removed by support.cleanup().
local made = {}
function support.tmpname(suffix)
  local base = os.getenv("TMPDIR") or "/tmp"
  local name = string.format("%s/unixipc-spec-%d-%d-%d%s", base,
    require("unixipc").getpid(), os.time(), math.random(1, 1e9), suffix or "")
  made[#made + 1] = name
  return name
end

function support.cleanup()
  for i = #made, 1, -1 do
    os.remove(made[i])
    made[i] = nil
  end
end

--- Write `code` to a temporary script and run it in a child interpreter
-- (the one running the suite) with a timeout. Returns stdout, the exit
-- status triple of io.popen():close() (ok, how, code) and stderr.
function support.run_lua(code, opts)
  opts = opts or {}
  local script = support.tmpname(".lua")
  local errfile = support.tmpname(".err")
  local f = assert(io.open(script, "w"))
  f:write(code)
  f:close()
  local args = {}
  for i, a in ipairs(opts.args or {}) do args[i] = shell_quote(a) end
  local cmd = string.format("cd %s && timeout %d %s %s %s 2>%s", shell_quote(top),
    opts.timeout or 60, support.interpreter(), shell_quote(script),
    table.concat(args, " "), shell_quote(errfile))
  if opts.stdin then
    cmd = string.format("printf %%s %s | (%s)", shell_quote(opts.stdin), cmd)
  end
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok, how, status = p:close()
  local ef = io.open(errfile)
  local err = ef and ef:read("a") or ""
  if ef then ef:close() end
  os.remove(script)
  os.remove(errfile)
  return out, ok, how, status, err
end

--- Poll `cond` until it is true or `timeout` seconds pass; returns its value.
function support.wait_until(cond, timeout)
  local ipc = require("unixipc")
  local deadline = ipc.monotime() + (timeout or 5)
  repeat
    local v = cond()
    if v then return v end
    ipc.sleep(0.01)
  until ipc.monotime() > deadline
  return cond()
end

--- Seconds to allow for something that takes `s` seconds when nothing is
-- slow: generous, and ten times more under valgrind.
function support.slack(s)
  return (support.memcheck() and 10 or 1) * s
end

-- What every support.child script starts with: `ipc` as a global and a few
-- helpers for forking, reaping and timing, so specs stay short.
local child_prelude = [==[
ipc = require("unixipc")
-- How much longer to wait before sending a signal under valgrind.
SLOW = os.getenv("UNIXIPC_MEMCHECK") == "1" and 4 or 1
-- Fork; the child runs fn(...) and leaves with _exit (0, or 1 if fn raised,
-- or fn's integer result), never returning into the script.
function fork(fn, ...)
  local pid = assert(ipc.fork())
  if pid == 0 then
    local ok, res = pcall(fn, ...)
    if not ok then io.stderr:write("forked child: ", tostring(res), "\n") end
    io.stderr:flush()
    ipc._exit(ok and (math.type(res) == "integer" and res or 0) or 1)
  end
  return pid
end
-- Wait for pid at most `t` seconds (then KILL it); returns how, code.
function reap(pid, t)
  local deadline = ipc.monotime() + (t or 10)
  while true do
    local p, how, code = ipc.waitpid(pid, "nohang")
    if p == pid then return how, code end
    if p == nil then return nil, how end
    if ipc.monotime() > deadline then
      ipc.kill("KILL", pid)
      local _, h, c = ipc.waitpid(pid)
      return "killed:" .. tostring(h), c
    end
    ipc.sleep(0.01)
  end
end
-- Seconds fn(...) took, then its results.
function timed(fn, ...)
  local t0 = ipc.monotime()
  local r = table.pack(fn, ...)
  r = table.pack(pcall(table.unpack(r, 1, r.n)))
  return ipc.monotime() - t0, table.unpack(r, 1, r.n)
end
]==]

-- Serialise the table a child returns, read back by support.child.
local child_epilogue = [==[
local function ser(v, depth)
  local t = type(v)
  if t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    if v ~= v then return "0/0" end
    if v == math.huge then return "math.huge" end
    if v == -math.huge then return "-math.huge" end
    return string.format("%.17g", v)
  elseif t == "string" or t == "boolean" or t == "nil" then
    return string.format("%q", v)
  elseif t == "table" and depth < 8 then
    local parts = {}
    for k, x in pairs(v) do
      parts[#parts + 1] = "[" .. ser(k, depth + 1) .. "]=" .. ser(x, depth + 1)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return string.format("%q", tostring(v))
end
local body = assert(load(CHILD_CODE, "=child"))
local ok, res = xpcall(body, debug.traceback, ...)
if not ok then res = { error = tostring(res) } end
if type(res) ~= "table" then res = { value = res } end
io.stdout:write("\n@@unixipc-child-result@@\n", ser(res, 0), "\n")
io.stdout:flush()
]==]

--- Run `code` (a chunk body that returns a table) in a child interpreter with
-- `ipc` and the helpers fork, reap and timed defined; returns that table,
-- with `_out` (what the chunk printed), `_err` (stderr) and `_how`,
-- `_code` (exit). A chunk that raised gives a table with `error`. Raises
-- when the child produced no result at all (crash or timeout), showing why.
function support.child(code, opts)
  opts = opts or {}
  local script = child_prelude .. "local CHILD_CODE = " ..
    string.format("%q", code) .. "\n" .. child_epilogue
  local out, _, how, status, err = support.run_lua(script,
    { args = opts.args, stdin = opts.stdin,
      timeout = math.ceil(support.slack(opts.timeout or 30)) })
  local before, data = out:match("^(.-)\n?@@unixipc%-child%-result@@\n(.*)$")
  if not data then
    error(string.format("child interpreter gave no result (%s %s)\nstdout: %s\nstderr: %s",
      tostring(how), tostring(status), out, err), 2)
  end
  local res = assert(load("return " .. data, "=child result", "t", { math = math }))()
  res._out, res._err, res._how, res._code = before, err, how, status
  return res
end

--- Run an example with the host: `support.run_example("signals/x.lua", args)`.
-- Returns stdout, the exit-status triple (ok, how, code) and stderr.
function support.run_example(file, args, opts)
  opts = opts or {}
  local quoted = {}
  for i, a in ipairs(args or {}) do quoted[i] = shell_quote(a) end
  local errfile = support.tmpname(".err")
  local cmd = string.format("cd %s && timeout %d build/bin/unixipc %s %s 2>%s",
    shell_quote(top), math.ceil(support.slack(opts.timeout or 30)),
    shell_quote("examples/" .. file), table.concat(quoted, " "), shell_quote(errfile))
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok, how, status = p:close()
  local ef = io.open(errfile)
  local err = ef and ef:read("a") or ""
  if ef then ef:close() end
  os.remove(errfile)
  return out, ok, how, status, err
end

-- Output of the recipes (spec/recipes).

--- The lines of `s` (each ended by a newline), as an array.
function support.lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

--- True when `out` has a line equal to `line`.
function support.has_line(out, line)
  for _, l in ipairs(support.lines(out)) do
    if l == line then return true end
  end
  return false
end

--- A recipe given wrong arguments (default: one unknown option) answers
-- with a usage line and exit status 2, never a traceback.
function support.check_usage(file, args)
  local assert = require("luassert")  -- busted's, which spec files see as a global
  local out, ok, how, code, err = support.run_example(file, args or { "--bogus" })
  assert.is_nil(ok)
  assert.same({ "exit", 2 }, { how, code })
  assert.matches("usage: ", err .. out, 1, true)
  assert.not_matches("traceback", err .. out, 1, true)
end

-- Descriptors, children and errors (handle, select and conventions specs).

--- True when descriptor `fd` is open in this process.
function support.fd_is_open(fd)
  local f = io.open("/proc/self/fdinfo/" .. fd)
  if f then f:close() end
  return f ~= nil
end

--- True when `fd` has close-on-exec set (flags: octal, O_CLOEXEC 02000000).
function support.cloexec(fd)
  local f = assert(io.open("/proc/self/fdinfo/" .. fd))
  local text = f:read("a")
  f:close()
  local flags = assert(text:match("flags:%s*(%d+)"), "no flags line")
  return tonumber(flags, 8) & tonumber("2000000", 8) ~= 0
end

--- The lowest descriptor number >= `from` that is not open here.
function support.free_fd(from)
  local fd = from
  while support.fd_is_open(fd) do fd = fd + 1 end
  return fd
end

--- Fork a child that runs fn() and _exits 0, or 1 after printing the error
-- to stderr if fn raised. Returns the child's pid (to the parent only).
function support.fork(fn)
  local ipc = require("unixipc")
  local pid = assert(ipc.fork())
  if pid == 0 then
    local ok, err = pcall(fn)
    if not ok then io.stderr:write("child: ", tostring(err), "\n") end
    ipc._exit(ok and 0 or 1)
  end
  return pid
end

--- Reap child `pid`, waiting at most `timeout` seconds (default 10), then
-- killing it; returns waitpid's pid, how, code.
function support.reap(pid, timeout)
  local ipc = require("unixipc")
  local ok, p, how, code = ipc.timeout(timeout or 10, ipc.waitpid, pid)
  if ok then return p, how, code end
  ipc.kill("KILL", pid)
  return ipc.waitpid(pid)
end

--- The error message raised by fn(...), or nil when it did not raise.
function support.error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then return nil end
  return tostring(err)
end

-- Processes (process, spawn and pty specs).

--- The children of this process, from /proc: an array of
-- `{pid = n, state = "S"|"Z"|..., comm = name}`, leaving out those in
-- `except` (an earlier result), so a spec sees only what it started.
function support.children(except)
  local old = {}
  for _, c in ipairs(except or {}) do old[c.pid] = true end
  local ipc = require("unixipc")
  local me = ipc.getpid()
  local f = assert(io.open(string.format("/proc/%d/task/%d/children", me, me)))
  local list = f:read("a")
  f:close()
  local out = {}
  for pid in list:gmatch("%d+") do
    local sf = io.open("/proc/" .. pid .. "/stat")
    if sf then
      local stat = sf:read("a") or ""
      sf:close()
      local comm, state = stat:match("^%d+ %((.*)%) (%a)")
      if state and not old[tonumber(pid)] then
        out[#out + 1] = { pid = tonumber(pid), state = state, comm = comm }
      end
    end
  end
  return out
end

--- After a test: close the handles a spec file tracked, reap its children
-- (killed when still running after a second), remove its temporary paths;
-- both lists are emptied.
function support.put_down(handles, children)
  for i = #handles, 1, -1 do
    pcall(handles[i].close, handles[i])
    handles[i] = nil
  end
  for i = #children, 1, -1 do
    support.reap(children[i], 1)
    children[i] = nil
  end
  support.cleanup()
end

--- The descriptors this process has open below 4096, as a string
-- ("0 1 2 5"), to compare before and after.
function support.open_fds()
  local open = {}
  for fd = 0, 4095 do
    if support.fd_is_open(fd) then open[#open + 1] = fd end
  end
  return table.concat(open, " ")
end

-- Hardening specs: child interpreters started through a wrapper command.

--- Like support.child, but the interpreter is started through `prefix`, a
-- shell command prefix such as "prlimit --nofile=64:64" or
-- "setpriv --ruid 65534 --rgid 65534 --clear-groups".
function support.child_under(prefix, code, opts)
  local saved = support.interpreter
  support.interpreter = function() return prefix .. " " .. saved() end
  local ok, res = pcall(support.child, code, opts)
  support.interpreter = saved
  if not ok then error(res, 2) end
  return res
end

--- The octal permission bits of `path` as a string ("600"), from stat(1).
function support.perms(path)
  local p = assert(io.popen("stat -c %a " .. shell_quote(path) .. " 2>/dev/null"))
  local out = p:read("a")
  p:close()
  return (out:gsub("%s+$", ""))
end

return support
