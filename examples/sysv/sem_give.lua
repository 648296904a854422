-- R39 — perlipc "SysV IPC": "give" the semaphore. Run it in the process
-- that took it and you will see that a second, waiting sem_take.lua goes on.
--
--   my $id = semget($IPC_KEY, 0, 0);
--   # Decrement the semaphore count
--   my $opstring = pack("s!s!s!", $semnum, -1, $semflag);
--   semop($id, $opstring) || die "semop: $!";
--
-- Usage: unixipc examples/sysv/sem_give.lua [KEY=1234]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"

local USAGE = "unixipc examples/sysv/sem_give.lua [KEY=1234]  (KEY: decimal, 1 to 2147483647)"
local IPC_KEY = recipe.sysv_key(USAGE)
local id = recipe.semaphore_set(IPC_KEY)  -- the set sem_create.lua made

local semnum, semflag = 0, 0
local ok, msg = ipc.semop(id, { { semnum, -1, semflag } })  -- decrement the count
if not ok then
  io.stderr:write(msg, "\n")
  os.exit(1)
end
print(string.format("gave semaphore %d of sem id %d", semnum, id))
