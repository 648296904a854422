-- R11 — perlipc "Using open() for IPC": start a child you intend to read from.
--
--   open(my $status, "-|", "netstat -an 2>&1")
--                       || die "can't fork: $!";
--   while (<$status>) {
--       next if /^(tcp|udp)/;
--       print;
--   }
--   close $status       || die "bad netstat: $! $?";
--
-- netstat is missing on a default Debian; there `ss -an`, its successor,
-- is run instead.
-- Usage: unixipc examples/pipes/status_filter.lua [COMMAND="netstat -an"]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 1 then recipe.usage("unixipc examples/pipes/status_filter.lua [COMMAND=\"netstat -an\"]") end

local die = recipe.die

local command = arg[1] or recipe.netstat()

-- "2>&1" makes it a shell command: the shell's complaints come down the pipe too.
local status, err = ipc.open("-|", command .. " 2>&1")
if not status then die("can't fork: " .. err) end
-- One line at a time: the output is never all in memory at once.
for line in status:lines("L") do
  if not (line:find("^tcp") or line:find("^udp")) then io.write(line) end
end
local ok, how, code = status:close()
if not ok then die(string.format("bad netstat: %s %s", how, code)) end
