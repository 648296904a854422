-- R39 — perlipc "SysV IPC": "take" the semaphore. Run it in more than one
-- process: the first takes it at once, the others wait for a "give".
--
--   my $id = semget($IPC_KEY, 0, 0);
--   # wait for semaphore to be zero, then increment the semaphore count
--   my $opstring1 = pack("s!s!s!", $semnum, 0, $semflag);
--   my $opstring2 = pack("s!s!s!", $semnum, 1, $semflag);
--   semop($id, $opstring1 . $opstring2) || die "semop: $!";
--
-- Both operations are one semop: the kernel applies them together or not
-- at all, so no other process can slip in between the wait and the taking.
-- Usage: unixipc examples/sysv/sem_take.lua [KEY=1234]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"

local USAGE = "unixipc examples/sysv/sem_take.lua [KEY=1234]  (KEY: decimal, 1 to 2147483647)"
local IPC_KEY = recipe.sysv_key(USAGE)
local id = recipe.semaphore_set(IPC_KEY)  -- the set sem_create.lua made

local semnum, semflag = 0, 0
local ok, msg = ipc.semop(id, {
  { semnum, 0, semflag },  -- wait for semaphore to be zero
  { semnum, 1, semflag },  -- increment the semaphore count
})
if not ok then
  io.stderr:write(msg, "\n")
  os.exit(1)
end
print(string.format("took semaphore %d of sem id %d", semnum, id))
