-- R17 — perlipc "Safe Pipe Opens": a safe backtick or pipe open for read.
--
--   my $pid = open(my $kid_to_read, "-|");
--   defined($pid)            || die "can't fork: $!";
--   if ($pid) {             # parent
--       while (<$kid_to_read>) {
--                           # do something interesting
--       }
--       close($kid_to_read)  || warn "kid exited $?";
--   } else {                # child
--       ($>, $)) = ($<, $(); # suid only
--       exec($program, @options, @args)
--                            || die "can't exec program: $!";
--       # NOTREACHED
--   }
--
-- The child execs PROGRAM with ARGS directly: no shell ever sees them, so
-- quotes, `;`, `$(...)` and `*` reach the program as they are.
-- The parent's "something interesting" here: number the lines.
-- Usage: unixipc examples/pipes/safe_read.lua PROGRAM [ARGS...]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg < 1 or arg[1] == "" then recipe.usage("unixipc examples/pipes/safe_read.lua PROGRAM [ARGS...]") end
local program = arg[1]

local pid, kid_to_read = ipc.fork_open("-|")
if not pid then
  io.stderr:write("can't fork: ", kid_to_read, "\n")
  os.exit(1)
end

if pid > 0 then  -- parent
  local n = 0
  for line in kid_to_read:lines() do
    n = n + 1
    print(string.format("%4d: %s", n, line))
  end
  local ok, how, code = kid_to_read:close()
  if not ok then
    io.stderr:write(string.format("kid exited %s %s\n", how, code))
    os.exit(1)
  end
else  -- child: stdout is the pipe
  ipc.drop_privileges()  -- suid only
  local _, err = ipc.exec(program, table.unpack(arg, 2))
  io.stderr:write("can't exec program: ", err, "\n")
  ipc._exit(127)  -- NOTREACHED when exec works
end
