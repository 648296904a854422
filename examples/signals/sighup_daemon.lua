-- R07 — perlipc "Handling the SIGHUP Signal in Daemons": a daemon that
-- restarts itself (re-reading its configuration) on HUP.
--
--   $| = 1;
--   my $SELF = catfile($FindBin::Bin, $script);
--   # POSIX unmasks the sigprocmask properly
--   $SIG{HUP} = sub {
--       print "got SIGHUP\n";
--       exec($SELF, @ARGV)        || die "$0: couldn't restart: $!";
--   };
--   code();
--   sub code {
--       print "PID: $$\n";
--       print "ARGV: @ARGV\n";
--       my $count = 0;
--       while (1) {
--           sleep 2;
--           print ++$count, "\n";
--       }
--   }
--
-- The exec keeps the pid and starts the script afresh. Stop it with TERM.
-- Usage: unixipc examples/signals/sighup_daemon.lua [args...]
local ipc = ipc or require("unixipc")

io.stdout:setvbuf("line")   -- $| = 1: each line shows at once, even in a pipe

-- The command line that started us: the interpreter with its options
-- (arg[-1], arg[-2], ...), this script, then its arguments.
local self = {}
local first = 0
while arg[first - 1] do first = first - 1 end
for i = first, #arg do self[#self + 1] = arg[i] end

-- The handler runs at a safe point, outside the C signal handler, so HUP is
-- not blocked when we exec: the new program can take the next HUP.
ipc.SIG.HUP = function()
  print("got SIGHUP")
  local _, msg = ipc.exec(table.unpack(self))   -- returns only on failure
  io.stderr:write(arg[0], ": couldn't restart: ", msg, "\n")
  os.exit(1)
end

local function code()
  print("PID: " .. ipc.getpid())
  print("ARGV: " .. table.concat(arg, " "))
  local count = 0
  while true do
    ipc.sleep(2)
    count = count + 1
    print(count)
  end
end

code()
