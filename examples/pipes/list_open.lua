-- R20 — perlipc "Safe Pipe Opens": the list form of a pipe open.
--
--   my @grep_args = ("egrep", "-i", $some_pattern, @many_files);
--   open(my $grep_pipe, "-|", @grep_args)
--                       || die "can't open @grep_args|: $!";
--
-- Several strings are executed directly, never through a shell: the
-- pattern and the file names may hold any shell metacharacters and still
-- reach grep as they are. ("grep -E" is what egrep has become.)
-- Usage: unixipc examples/pipes/list_open.lua PATTERN FILE...
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg < 2 then recipe.usage("unixipc examples/pipes/list_open.lua PATTERN FILE...") end

local grep_args = { "grep", "-E", "-i", table.unpack(arg, 1) }
local grep_pipe, err = ipc.open("-|", table.unpack(grep_args))
if not grep_pipe then
  io.stderr:write(string.format("can't open %s|: %s\n", table.concat(grep_args, " "), err))
  os.exit(1)
end
for line in grep_pipe:lines() do print(line) end
-- grep's status is ours: 0 some line matched, 1 none did, 2 trouble.
local _, how, code = grep_pipe:close()
os.exit(how == "exit" and code or 2)
