-- R24 — perlipc "Bidirectional Communication with Yourself": pipe2,
-- bidirectional communication using socketpair ("the best ones always go
-- both ways").
--
-- One socketpair does the work of pipe1's two pipes: each end reads and
-- writes. The parent keeps one end, the child the other.
-- Usage: unixipc examples/bidi/pipe2.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/bidi/pipe2.lua\n",
                  "  (no arguments: parent and child talk through a socketpair)\n")
  os.exit(2)
end

local child, parent = assert(ipc.socketpair())  -- Unix-domain, stream

local pid, err = ipc.fork()
if not pid then
  io.stderr:write("cannot fork: ", err, "\n")
  os.exit(1)
end

if pid > 0 then
  parent:close()
  child:write(string.format("Parent Pid %d is sending this\n", ipc.getpid()))
  local line = child:read("l")
  print(string.format("Parent Pid %d just read this: '%s'", ipc.getpid(), line))
  child:close()
  ipc.waitpid(pid)
else
  child:close()
  local line = parent:read("l")
  print(string.format("Child Pid %d just read this: '%s'", ipc.getpid(), line))
  io.stdout:flush()  -- before the parent prints its line
  parent:write(string.format("Child Pid %d is sending this\n", ipc.getpid()))
  parent:close()
  ipc._exit(0)  -- leave without running the parent's code
end
