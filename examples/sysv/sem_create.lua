-- R39 — perlipc "SysV IPC": a semaphore set, created.
--
--   my $IPC_KEY = 1234;
--   my $id = semget($IPC_KEY, 10, 0666 | IPC_CREAT);
--   defined($id) || die "semget: $!";
--   print "sem id $id\n";
--
-- Then run sem_take.lua in more than one process, and sem_give.lua to let
-- the next one go on. Remove the set with `ipcrm -s ID` when done.
-- Usage: unixipc examples/sysv/sem_create.lua [KEY=1234]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"

local USAGE = "unixipc examples/sysv/sem_create.lua [KEY=1234]  (KEY: decimal, 1 to 2147483647)"
local IPC_KEY = recipe.sysv_key(USAGE)

-- Ten semaphores, all 0, readable and writable by everyone (0666).
local id, err = ipc.semget(IPC_KEY, 10, tonumber("666", 8) | ipc.IPC_CREAT)
if not id then
  io.stderr:write(err, "\n")
  os.exit(1)
end
print("sem id " .. id)
