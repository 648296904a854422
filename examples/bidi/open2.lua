-- R21 — perlipc "Bidirectional Communication with Another Process": open2.
--
--   use IPC::Open2;
--   my $pid = open2(my $reader, my $writer, "cat -un");
--   print $writer "stuff\n";
--   my $got = <$reader>;
--   waitpid $pid, 0;
--
-- The process object's p.stdin is our writer, p.stdout our reader. Writes
-- to p.stdin are unbuffered, but the other program decides when its output
-- comes back: cat -u writes each line at once, most programs on a pipe do
-- not, and the read would wait for ever (a pseudo-terminal helps: see
-- pty_cat.lua).
-- Usage: unixipc examples/bidi/open2.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/bidi/open2.lua\n",
                  "  (no arguments: sends a line through cat -un and reads it back)\n")
  os.exit(2)
end

-- One string follows Perl's rule: no shell metacharacters, so "cat" is run
-- directly with the argument "-un".
local p, err = ipc.open2("cat -un")
if not p then
  io.stderr:write("open2: ", err, "\n")
  os.exit(1)
end
p.stdout:settimeout(10)  -- never wait for ever on a program that buffers

p.stdin:write("stuff\n")
local got, msg = p.stdout:read("L")
-- Close our end first: cat stops at end of input, and only then can the
-- wait return (Perl's example waits with the writer still open).
p.stdin:close()
local ok, how, code = p:wait(10)
p.stdout:close()

if not got then
  io.stderr:write("read: ", tostring(msg or "end of input"), "\n")
  os.exit(1)
end
io.write("got: ", got)
print(string.format("cat -un ended: %s %s", how, tostring(code)))
os.exit(ok and 0 or 1)
