-- R12 — perlipc "Using open() for IPC": writing to a command that does not exist.
--
--   $SIG{PIPE} = "IGNORE";
--   open(my $fh, "|-", "bogus") || die "can't fork: $!";
--   print $fh "bang\n";         #  neither necessary nor sufficient
--                               #  to check print retval!
--   close($fh)                  || die "can't close: status=$?";
--
-- Executed directly, a missing program is reported by the open itself.
-- Through a shell the open only reflects the fork's success: the writes go
-- to a pipe nobody reads, which raises PIPE, and only close tells what
-- happened. (The shell form here redirects the shell's complaint away.)
-- Each write below is more than a pipe holds (64 KiB), so it must meet the
-- closed pipe whoever runs first; "bang\n" alone could still fit in it.
-- Usage: unixipc examples/pipes/bogus.lua
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 0 then recipe.usage("unixipc examples/pipes/bogus.lua", "  (no arguments)\n") end

local BANG = string.rep("bang\n", 20000)
local SHELL_FORM = "bogus 2>/dev/null"

-- 1. No shell: the failed exec comes back from the open.
local fh, err = ipc.open("|-", "bogus")
print("open(\"|-\", \"bogus\"): " .. (fh and "started" or "can't fork: " .. err))

-- 2. PIPE at its default: the write kills the writer. Done in a child so
--    that we live to tell.
local pid = assert(ipc.fork())
if pid == 0 then
  local h = assert(ipc.open("|-", SHELL_FORM))
  h:write(BANG)
  ipc._exit(0)  -- not reached
end
local _, how, code = ipc.waitpid(pid)
print(string.format("with PIPE at its default, the writer %s",
  how == "signal" and "was killed by SIG" .. ipc.signame(code) or how .. " " .. code))

-- 3. PIPE ignored: the write fails with EPIPE instead, and close reports
--    the shell's status (127: command not found).
ipc.SIG.PIPE = "IGNORE"
fh = assert(ipc.open("|-", SHELL_FORM))
local ok, msg = fh:write(BANG)  -- neither necessary nor sufficient to check
print("with PIPE ignored, the print " .. (ok and "succeeded" or "failed: " .. msg))
local closed, why, status = fh:close()
print(closed and "close succeeded" or string.format("can't close: status=%s %d", why, status))
