-- R02 — perlipc "Signals": signal names and numbers.
--
--   use Config;
--   defined $Config{sig_name} || die "No sigs?";
--   foreach $name (split(' ', $Config{sig_name})) {
--       $signo{$name} = $i;
--       $signame[$i] = $name;
--       $i++;
--   }
--   print "signal #17 = $signame[17]\n";
--   if ($signo{ALRM}) {
--       print "SIGALRM is $signo{ALRM}\n";
--   }
--
-- The names are those `kill -l` lists; the first line prints them in number
-- order, as `kill -l` does.
-- Usage: unixipc examples/signals/signames.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/signals/signames.lua\n",
                  "  (no arguments: lists the signal names and numbers)\n")
  os.exit(2)
end

local names = ipc.signals()
if #names == 0 then
  io.stderr:write("No sigs?\n")
  os.exit(1)
end

local signo, signame = {}, {}
for _, name in ipairs(names) do
  local num = ipc.signum(name)
  signo[name] = num
  signame[num] = name
end

print(table.concat(names, " "))
print("signal #17 = " .. tostring(signame[17]))
if signo.ALRM then
  print("SIGALRM is " .. signo.ALRM)
end
