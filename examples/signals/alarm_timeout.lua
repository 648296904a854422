-- R06 — perlipc "Signals": an alarm timeout around a blocking flock.
--
--   my $ALARM_EXCEPTION = "alarm clock restart";
--   eval {
--       local $SIG{ALRM} = sub { die $ALARM_EXCEPTION };
--       alarm 10;
--       flock($fh, 2)    # blocking write lock
--                       || die "cannot flock: $!";
--       alarm 0;
--   };
--   if ($@ && $@ !~ quotemeta($ALARM_EXCEPTION)) { die }
--
-- The handler raises; the error ends the blocked flock and is caught by
-- pcall, Lua's eval. (ipc.timeout(SECONDS, ipc.flock, fh, "ex") packages
-- this idiom.)
-- Usage: unixipc examples/signals/alarm_timeout.lua FILE [SECONDS=10]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require("recipe")

local USAGE = "unixipc examples/signals/alarm_timeout.lua FILE [SECONDS=10]"
if #arg < 1 or #arg > 2 then recipe.usage(USAGE) end
local file = arg[1]
local seconds = recipe.number(2, 10, USAGE)   -- 0: no timeout, as `alarm 0`

-- Append mode: locking must not truncate the file.
local fh, err = io.open(file, "a")
if not fh then
  io.stderr:write(arg[0], ": ", err, "\n")
  os.exit(1)
end

local ALARM_EXCEPTION = "alarm clock restart"
local started = ipc.monotime()
local ok, why = pcall(ipc.with_signal, "ALRM", function() error(ALARM_EXCEPTION, 0) end,
  function()
    ipc.alarm(seconds)
    local locked, msg = ipc.flock(fh, "ex")   -- blocking write lock
    if not locked then error("cannot flock: " .. msg, 0) end
    ipc.alarm(0)
  end)
ipc.alarm(0)   -- an error other than the alarm's may leave it set
local waited = ipc.monotime() - started

if ok then
  print(string.format("got the write lock on %s after %.1f s", file, waited))
  ipc.flock(fh, "un")
elseif tostring(why):find(ALARM_EXCEPTION, 1, true) then
  print(string.format("timed out after %.1f s waiting for the write lock on %s: %s",
    waited, file, why))
else
  io.stderr:write(arg[0], ": ", tostring(why), "\n")   -- Perl's bare `die`
end
fh:close()
os.exit(ok and 0 or 1)
