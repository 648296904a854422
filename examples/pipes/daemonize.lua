-- R15 — perlipc "Complete Dissociation of Child from Parent".
--
--   sub daemonize {
--       chdir("/")                     || die "can't chdir to /: $!";
--       open(STDIN,  "<", "/dev/null") || die "can't read /dev/null: $!";
--       open(STDOUT, ">", "/dev/null") || die "can't write /dev/null: $!";
--       defined(my $pid = fork())      || die "can't fork: $!";
--       exit if $pid;              # non-zero now means I am the parent
--       (setsid() != -1)           || die "Can't start a new session: $!";
--       open(STDERR, ">&", STDOUT) || die "can't dup stdout: $!";
--   }
--
-- ipc.daemonize does all that (forking once more after setsid, so the daemon
-- can never acquire a controlling terminal) and writes the daemon's pid to
-- PIDFILE; the original process exits once the daemon is ready. The daemon
-- then waits for TERM, removes its pidfile and exits: find it with
-- `kill $(cat PIDFILE)`.
-- Usage: unixipc examples/pipes/daemonize.lua [PIDFILE=daemonize.pid]
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg > 1 or arg[1] == "" then
  recipe.usage("unixipc examples/pipes/daemonize.lua [PIDFILE=daemonize.pid]")
end
local pidfile = arg[1] or "daemonize.pid"
-- The daemon works from /: remember where the pidfile is.
if not pidfile:find("^/") then
  pidfile = assert(ipc.capture("pwd")):gsub("\n$", "") .. "/" .. pidfile
end

print(string.format("%d: daemonizing; the daemon's pid goes to %s", ipc.getpid(), pidfile))
local stop = false
ipc.SIG.TERM = function() stop = true end  -- set before: no moment without it
local ok, err = ipc.daemonize{ chdir = "/", stdio = "/dev/null", pidfile = pidfile }
if not ok then
  io.stderr:write("can't daemonize: ", err, "\n")
  os.exit(1)
end

-- From here on, the daemon: no terminal, stdio on /dev/null, cwd /.
while not stop do ipc.pause() end
os.remove(pidfile)
