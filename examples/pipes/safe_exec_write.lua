-- R18 — perlipc "Safe Pipe Opens": a safe pipe open for writing.
--
--   my $pid = open(my $kid_to_write, "|-");
--   defined($pid)            || die "can't fork: $!";
--   $SIG{PIPE} = sub { die "whoops, $program pipe broke" };
--   if ($pid) {             # parent
--       print $kid_to_write @data;
--       close($kid_to_write) || warn "kid exited $?";
--   } else {                # child
--       ($>, $)) = ($<, $();
--       exec($program, @options, @args)
--                            || die "can't exec program: $!";
--       # NOTREACHED
--   }
--
-- @data is 10000 numbered lines, more than a pipe holds (64 KiB): a program
-- that stops reading early (try `head -n 3`) surely breaks the pipe, and the
-- PIPE handler turns that into an error instead of a silent death.
-- Usage: unixipc examples/pipes/safe_exec_write.lua PROGRAM [ARGS...]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg < 1 or arg[1] == "" then
  recipe.usage("unixipc examples/pipes/safe_exec_write.lua PROGRAM [ARGS...]")
end
local program = arg[1]

local pid, kid_to_write = ipc.fork_open("|-")
if not pid then
  io.stderr:write("can't fork: ", kid_to_write, "\n")
  os.exit(1)
end

if pid > 0 then  -- parent
  ipc.SIG.PIPE = function() error("whoops, " .. program .. " pipe broke", 0) end
  local ok, err = pcall(function()
    for i = 1, 10000 do kid_to_write:write("line ", i, "\n") end
  end)
  local done, how, code = kid_to_write:close()  -- always reap the kid
  if not ok then
    io.stderr:write(err, "\n")
    os.exit(1)
  end
  if not done then
    io.stderr:write(string.format("kid exited %s %s\n", how, code))
    os.exit(1)
  end
else  -- child: stdin is the pipe
  ipc.drop_privileges()
  local _, err = ipc.exec(program, table.unpack(arg, 2))
  io.stderr:write("can't exec program: ", err, "\n")
  ipc._exit(127)  -- NOTREACHED when exec works
end
