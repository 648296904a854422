-- R08 — perlipc "Deferred Signals (Safe Signals)".
--
-- When a signal arrives, the C level only records it; the Lua handler runs
-- later at a safe point: between Lua instructions, or inside a unixipc call
-- that was waiting. A blocking read is never failed with EINTR: the handler
-- runs, and the read goes on (or ends with the handler's error, the safe form
-- of perlipc's "die to longjmp out of the handler").
-- Usage: unixipc examples/signals/deferred.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/signals/deferred.lua\n",
                  "  (no arguments: shows handlers running at safe points)\n")
  os.exit(2)
end

local parent = ipc.getpid()

-- Fork a child that runs fn and leaves without returning here.
local function child(fn)
  local pid = assert(ipc.fork())
  if pid == 0 then
    local ok, err = pcall(fn)
    if not ok then io.stderr:write("child: ", tostring(err), "\n") end
    ipc._exit(ok and 0 or 1)
  end
  return pid
end

-- 1. A handler that returns: the blocked read goes on and gets its data.
print("1. a blocking read while a child sends USR1 three times, then writes")
local kid
local ran = 0
ipc.SIG.USR1 = function(name, info)
  ran = ran + 1
  print(string.format("   handler %d: got SIG%s from %s", ran, name,
    info.pid == kid and "the child" or "pid " .. tostring(info.pid)))
end
local r, w = assert(ipc.pipe())
kid = child(function()
  r:close()
  for _ = 1, 3 do
    ipc.sleep(0.1)
    assert(ipc.kill("USR1", parent))
  end
  ipc.sleep(0.1)
  assert(w:write("hello from the child\n"))
  w:close()
end)
w:close()
local line, msg = r:read("l")
r:close()
ipc.waitpid(kid)
if line then
  print(string.format('   read completed: "%s"', line))
else
  print("   read failed: " .. tostring(msg))
end
print(string.format("   the handler ran %d times during the read; EINTR never reached Lua", ran))
ipc.SIG.USR1 = "DEFAULT"

-- 2. A handler that raises: the error ends the blocked read.
print("2. a blocking read on a pipe nobody writes, with an ALRM handler that raises")
r, w = assert(ipc.pipe())
ipc.SIG.ALRM = function() error("alarm clock restart", 0) end
ipc.alarm(0.3)
local ok, err = pcall(r.read, r, "l")
ipc.alarm(0)
ipc.SIG.ALRM = "DEFAULT"
r:close()
w:close()
if ok then
  print("   the read returned: " .. tostring(err))
else
  print("   the read ended with the handler's error: " .. tostring(err))
end

-- 3. Safe points are between Lua instructions: a busy loop sees the handler.
print("3. a busy loop that only a handler can end")
local flag = false
ipc.SIG.USR2 = function() flag = true end
kid = child(function()
  ipc.sleep(0.1)
  assert(ipc.kill("USR2", parent))
end)
local t0 = os.clock()
local spins = 0
while not flag do
  spins = spins + 1
  if spins % 1048576 == 0 and os.clock() - t0 > 5 then break end
end
ipc.waitpid(kid)
ipc.SIG.USR2 = "DEFAULT"
if flag then
  print("   the handler ran between two instructions of the loop and ended it")
else
  print("   the handler did not run within 5 s")
  os.exit(1)
end
