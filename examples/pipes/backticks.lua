-- R13 — perlipc "Using open() for IPC": backticks vs reading a line at a time.
--
--   print grep { !/^(tcp|udp)/ } `netstat -an 2>&1`;
--   die "bad netstatus ($?)" if $?;
--
-- Both ways print the same lines. Backticks (ipc.capture) hold the whole
-- output in memory; the pipe open (ipc.open) holds one line, and could stop
-- the child early.
-- Usage: unixipc examples/pipes/backticks.lua [COMMAND="netstat -an"]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 1 then recipe.usage("unixipc examples/pipes/backticks.lua [COMMAND=\"netstat -an\"]") end

local die = recipe.die

-- netstat is missing on a default Debian: ss is its successor.
local command = (arg[1] or recipe.netstat()) .. " 2>&1"

local function wanted(line) return not (line:find("^tcp") or line:find("^udp")) end

print("== backticks: " .. command)
local out, how, code = ipc.capture(command)
if not out then die("can't run: " .. how) end
for line in out:gmatch("[^\n]*\n?") do
  if line ~= "" and wanted(line) then io.write(line) end
end
if code ~= 0 then die(string.format("bad netstatus (%s %s)", how, code)) end

print("== one line at a time: " .. command)
local status, err = ipc.open("-|", command)
if not status then die("can't fork: " .. err) end
for line in status:lines("L") do
  if wanted(line) then io.write(line) end
end
local ok
ok, how, code = status:close()
if not ok then die(string.format("bad netstatus (%s %s)", how, code)) end
