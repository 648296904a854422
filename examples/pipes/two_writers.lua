-- R19 — perlipc "Safe Pipe Opens" / "Avoiding Pipe Deadlocks": one reader,
-- two writers, built from pipe, fork and dup.
--
--   pipe(my $reader, my $writer)   || die "pipe failed: $!";
--   my $pid = fork();
--   if ($pid) {
--       close $reader;
--       if (my $sub_pid = fork()) {
--           close($writer)         || die "can't close writer: $!";
--           # now do something else...
--       } else {
--           # write to $writer...
--           close($writer)         || die "can't close writer: $!";
--       }
--   } else {
--       open(STDIN, "<&", $reader) || die "can't reopen STDIN: $!";
--       close($writer)             || die "can't close writer: $!";
--       # do something...
--   }
--
-- Had the writer come from a pipe open ("|-"), the parent's close would
-- wait for the reader, which waits for end of input, which needs that very
-- close: deadlock. A plain pipe's close only closes. And every process
-- closes the ends it does not use: the reader sees end of input only once
-- the last copy of the write end is closed.
-- Here the parent writes a line, forks the second writer, and closes.
-- Usage: unixipc examples/pipes/two_writers.lua
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 0 then recipe.usage("unixipc examples/pipes/two_writers.lua", "  (no arguments)\n") end

local reader, writer = assert(ipc.pipe())
local pid = assert(ipc.fork())
if pid == 0 then  -- the reader: its stdin is the pipe
  assert(ipc.dup2(reader, 0))
  reader:close()
  writer:close()  -- or it would wait for end of input from itself forever
  for line in io.lines() do print("reader got: " .. line) end
  print("reader: end of input, every write end is closed")
  ipc.exit(0)
end

reader:close()
writer:write("a line from the parent\n")
local sub_pid = assert(ipc.fork())
if sub_pid == 0 then  -- the second writer
  for i = 1, 3 do writer:write("line ", i, " from the writer child\n") end
  writer:close()
  ipc.exit(0)
end
writer:close()  -- returns at once: nothing to wait for
recipe.log("parent: closed its write end without waiting; now doing something else")

-- Reap both children, boundedly: a leaked write end would hang the reader.
for _, child in ipairs({ { sub_pid, "writer" }, { pid, "reader" } }) do
  local ok, p, how, code = ipc.timeout(10, ipc.waitpid, child[1])
  if not ok then
    ipc.kill("KILL", pid, sub_pid)
    io.stderr:write("the ", child[2], " hung: some write end was left open\n")
    os.exit(1)
  end
  recipe.log("parent: reaped the %s: %s %d", child[2], how, code)
end
