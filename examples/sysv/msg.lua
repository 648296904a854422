-- R40 — perlipc "SysV IPC": message queues.
--
-- Without arguments, the manual's demo: a private queue, one message of
-- type 1234 sent and received back, "okay" when it is the same, and the
-- queue removed. The two halves also run apart, on the queue of KEY:
--   msg.lua send KEY [MESSAGE...]   one message of type 1234 per MESSAGE
--   msg.lua recv KEY [COUNT=1]      COUNT messages of any type, then remove the queue
-- A message's type is a C long, as Perl's pack("l! a*", $type, $text) makes
-- it, so C programs and Perl scripts on the same queue understand it.
-- Usage: unixipc examples/sysv/msg.lua [send KEY [MESSAGE...] | recv KEY [COUNT=1]]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"

local USAGE = "unixipc examples/sysv/msg.lua [send KEY [MESSAGE...] | recv KEY [COUNT=1]]"
local TYPE, MAXLEN = 1234, 60

local die = recipe.die

-- The queue of key (an integer or "private"), created if there is none.
local function queue(key)
  local id, err = ipc.msgget(key, ipc.IPC_CREAT | ipc.S_IRUSR | ipc.S_IWUSR)
  if not id then die(err) end
  return id
end

local function remove(id)
  local ok, err = ipc.msgctl(id, ipc.IPC_RMID)
  if not ok then die(err) end
end

-- KEY: decimal, a C int, not 0 (that is IPC_PRIVATE: a new queue each time).
local function key_arg()
  local key = arg[2] and arg[2]:match("^%d+$") and math.tointeger(tonumber(arg[2]))
  if not key or key == 0 or key > 0x7fffffff then recipe.usage(USAGE) end
  return key
end

local command = arg[1]
if command == nil then
  local id = queue("private")
  local sent = "message"
  local ok, err = ipc.msgsnd(id, TYPE, sent)
  if not ok then remove(id); die(err) end
  local rcvd, type_rcvd = ipc.msgrcv(id, MAXLEN)
  if not rcvd then remove(id); die(type_rcvd) end
  if rcvd == sent and type_rcvd == TYPE then
    print("okay")
  else
    print("not okay")
  end
  remove(id)
elseif command == "send" then
  local id = queue(key_arg())
  for i = 3, math.max(#arg, 3) do
    local text = arg[i] or "message"
    local ok, err = ipc.msgsnd(id, TYPE, text)
    if not ok then die(err) end
    print(string.format("sent type %d: %s", TYPE, text))
  end
elseif command == "recv" and #arg <= 3 then
  local key = key_arg()
  local count = recipe.number(3, 1, USAGE)
  local id = queue(key)
  for _ = 1, count do
    -- Waits for a message of any type (0); MSG_NOERROR cuts one longer
    -- than MAXLEN instead of failing with E2BIG and leaving it queued.
    local text, type_rcvd = ipc.msgrcv(id, MAXLEN, 0, ipc.MSG_NOERROR)
    if not text then die(type_rcvd) end
    print(string.format("received type %d: %s", type_rcvd, text))
    io.stdout:flush()
  end
  remove(id)
else
  recipe.usage(USAGE)
end
