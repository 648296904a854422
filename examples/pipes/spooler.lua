-- R10 — perlipc "Using open() for IPC": start a child you intend to write to.
--
--   open(my $spooler, "|-", "cat -v | lpr -h 2>/dev/null")
--                       || die "can't fork: $!";
--   local $SIG{PIPE} = sub { die "spooler pipe broke" };
--   print $spooler "stuff\n";
--   close $spooler      || die "bad spool: $! $?";
--
-- COMMAND is run by the shell when it holds shell metacharacters (Perl's
-- rule), so a pipeline like "cat -v | lpr -h 2>/dev/null" works as is.
-- Usage: unixipc examples/pipes/spooler.lua [COMMAND="cat -v"]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 1 then recipe.usage("unixipc examples/pipes/spooler.lua [COMMAND=\"cat -v\"]") end
local command = arg[1] or "cat -v"

local die = recipe.die

local spooler, err = ipc.open("|-", command)
if not spooler then die("can't fork: " .. err) end

-- Writing to a reader that has gone raises PIPE, which would kill us
-- silently; trap it (for this write only, as Perl's `local $SIG{PIPE}`).
local ok, broke = pcall(ipc.with_signal, "PIPE", function() error("spooler pipe broke", 0) end,
  function() spooler:write("stuff\n") end)
local status = table.pack(spooler:close())  -- waits for the child: always reap it
if not ok then die(broke) end
if not status[1] then die(string.format("bad spool: %s %s", status[2], status[3])) end
