-- R23 — perlipc "Bidirectional Communication with Yourself": pipe1,
-- bidirectional communication using two pipe pairs (for the
-- socketpair-challenged).
--
-- Each side closes the ends it does not use at once: a reader sees end of
-- input only when every copy of the writing end is closed, in every process.
-- Usage: unixipc examples/bidi/pipe1.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/bidi/pipe1.lua\n",
                  "  (no arguments: parent and child talk through two pipes)\n")
  os.exit(2)
end

local parent_rdr, child_wtr = assert(ipc.pipe())
local child_rdr, parent_wtr = assert(ipc.pipe())

local pid, err = ipc.fork()
if not pid then
  io.stderr:write("cannot fork: ", err, "\n")
  os.exit(1)
end

if pid > 0 then
  parent_rdr:close()
  parent_wtr:close()
  child_wtr:write(string.format("Parent Pid %d is sending this\n", ipc.getpid()))
  local line = child_rdr:read("l")
  print(string.format("Parent Pid %d just read this: '%s'", ipc.getpid(), line))
  child_rdr:close()
  child_wtr:close()
  ipc.waitpid(pid)
else
  child_rdr:close()
  child_wtr:close()
  local line = parent_rdr:read("l")
  print(string.format("Child Pid %d just read this: '%s'", ipc.getpid(), line))
  io.stdout:flush()  -- before the parent prints its line
  parent_wtr:write(string.format("Child Pid %d is sending this\n", ipc.getpid()))
  parent_rdr:close()
  parent_wtr:close()
  ipc._exit(0)  -- leave without running the parent's code
end
