-- R22 — perlipc (older editions) "Bidirectional Communication": Comm.pl's
-- open_proc runs a command on a pseudo-terminal, so it line-buffers its
-- output as it would for a user at a terminal.
--
--   require 'Comm.pl';
--   $ph = open_proc('cat -n');
--   for (1..10) {
--       print $ph "a line\n";
--       print "got back ", scalar <$ph>;
--   }
--
-- cat -n on a pipe would hold its output until it exits; on a terminal it
-- answers each line at once. The terminal also echoes what we type, so each
-- line comes back twice: first the echo, then cat's numbered line. Perl's
-- loop reads them alternately; here expect() skips the echo.
-- Usage: unixipc examples/bidi/pty_cat.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/bidi/pty_cat.lua\n",
                  "  (no arguments: talks to cat -n on a pseudo-terminal, 10 lines)\n")
  os.exit(2)
end

local p, err = ipc.pty_spawn("cat", "-n")
if not p then
  io.stderr:write("pty_spawn: ", err, "\n")
  os.exit(1)
end

local ok = true
for _ = 1, 10 do
  p.pty:write("a line\n")
  -- cat's line: a tab after the number; the terminal ends lines with CR LF.
  local i, line = p.pty:expect("[^\n]*\t[^\n]*\n", 5)
  if not i then
    io.stderr:write("no answer from cat -n: ", tostring(line or "end of input"), "\n")
    ok = false
    break
  end
  io.write("got back ", (line:gsub("\r\n$", "\n")))
end

-- Control-D at the start of a line is end of input for the program on the
-- terminal: cat ends, and the master reads as end of input.
p.pty:write("\4")
local done, how, code = p:wait(5)
if not done and how == "timeout" then
  p:kill("KILL")
  p:wait()
end
p.pty:close()
os.exit(ok and done and 0 or 1)
