-- R01 — perlipc "Signals": trap an interrupt with a handler that raises.
--
--   sub catch_zap {
--       my $signame = shift;
--       $shucks++;
--       die "Somebody sent me a SIG$signame";
--   }
--   $SIG{INT} = \&catch_zap;
--
-- The script sends itself INT, then reports the error the handler raised.
-- Usage: unixipc examples/signals/catch_zap.lua
local ipc = ipc or require("unixipc")

if #arg > 0 then
  io.stderr:write("usage: unixipc examples/signals/catch_zap.lua\n",
                  "  (no arguments: sends itself INT and reports what the handler raised)\n")
  os.exit(2)
end

local shucks = 0

local function catch_zap(signame)
  shucks = shucks + 1
  error("Somebody sent me a SIG" .. signame, 0)
end

ipc.SIG.INT = catch_zap

local ok, err = pcall(function()
  print("sending myself INT")
  assert(ipc.kill("INT", ipc.getpid()))
  -- The handler runs at the next safe point; its error ends this sleep at once.
  ipc.sleep(5)
  print("the handler never ran")
end)

ipc.SIG.INT = "DEFAULT"
if ok then os.exit(1) end
print("caught: " .. tostring(err))
print("shucks = " .. shucks)
