-- R16 — perlipc "Safe Pipe Opens": fork a child to write a file with the
-- privileges dropped, retrying while fork fails.
--
--   do {
--       $pid = open($kid_to_write, "|-");
--       unless (defined $pid) {
--           warn "cannot fork: $!";
--           die "bailing out" if $sleep_count++ > 6;
--           sleep 10;
--       }
--   } until defined $pid;
--   if ($pid) {                 # I am the parent
--       print $kid_to_write @some_data;
--       close($kid_to_write)    || warn "kid exited $?";
--   } else {                    # I am the child
--       ($>, $)) = ($<, $();
--       open (my $outfile, ">", $PRECIOUS) || die "can't open $PRECIOUS: $!";
--       while (<STDIN>) { print $outfile; }
--       close($outfile)         || die "can't close $PRECIOUS: $!";
--       exit(0);                # don't forget this!!
--   }
--
-- In a setuid program the child opens FILE with the real ids only, so it
-- cannot write where the invoking user could not.
-- Usage: unixipc examples/pipes/safe_write.lua FILE
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"
local ipc = ipc or require("unixipc")

if #arg ~= 1 or arg[1] == "" then recipe.usage("unixipc examples/pipes/safe_write.lua FILE") end
local PRECIOUS = arg[1]
local some_data = { "first precious line\n", "second precious line\n", "third precious line\n" }

local pid, kid_to_write
local sleep_count = 0
repeat
  pid, kid_to_write = ipc.fork_open("|-")  -- on failure: nil, message
  if not pid then
    io.stderr:write("cannot fork: ", kid_to_write, "\n")
    if sleep_count > 6 then io.stderr:write("bailing out\n") os.exit(1) end
    sleep_count = sleep_count + 1
    ipc.sleep(10)
  end
until pid

if pid > 0 then  -- I am the parent
  -- A kid that died early (say it could not open FILE) would kill us with
  -- PIPE on this write; ignored, the write fails and close tells why.
  ipc.SIG.PIPE = "IGNORE"
  kid_to_write:write(table.unpack(some_data))
  local ok, how, code = kid_to_write:close()  -- the child's end of input; waits for it
  if not ok then
    io.stderr:write(string.format("kid exited %s %s\n", how, code))
    os.exit(1)
  end
  print(string.format("parent: the kid wrote %s and exited 0", PRECIOUS))
else  -- I am the child: stdin is the pipe from the parent
  local uid, gid = ipc.geteuid(), ipc.getegid()
  local dropped, why = ipc.drop_privileges()
  if not dropped then
    io.stderr:write("can't drop privileges: ", why, "\n")
    ipc.exit(1)
  end
  print(string.format("child: effective uid %d gid %d -> %d %d (the real ids)",
    uid, gid, ipc.geteuid(), ipc.getegid()))
  local outfile, err = io.open(PRECIOUS, "w")
  if not outfile then
    io.stderr:write("can't open ", err, "\n")
    ipc.exit(1)
  end
  local lines = 0
  for line in io.lines(nil, "L") do
    outfile:write(line)
    lines = lines + 1
  end
  local ok, cerr = outfile:close()
  if not ok then io.stderr:write("can't close ", PRECIOUS, ": ", cerr, "\n") ipc.exit(1) end
  print(string.format("child: wrote %d lines to %s", lines, PRECIOUS))
  ipc.exit(0)  -- don't forget this!! (else the child runs the parent's code)
end
