-- R38 — perlipc "SysV IPC": shared memory.
--
-- Without arguments, the manual's demo: a private 2000-byte segment, a
-- message written at 0 and read back (60 bytes, NUL-padded), "swell", and
-- the segment removed. The two halves also run apart, so two processes can
-- share the segment:
--   shm.lua write [MESSAGE]   create a segment, write MESSAGE, print its id, keep it
--   shm.lua read ID           read it back, print it and remove the segment
-- Usage: unixipc examples/sysv/shm.lua [write [MESSAGE] | read ID]
local ipc = ipc or require("unixipc")
package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
local recipe = require "recipe"

local USAGE = "unixipc examples/sysv/shm.lua [write [MESSAGE] | read ID]"
local SIZE, LEN = 2000, 60  -- the segment, and the part of it we use

local die = recipe.die

-- Create a private segment readable and writable by us only; write message.
local function write(message)
  local id, err = ipc.shmget("private", SIZE, ipc.S_IRUSR | ipc.S_IWUSR)
  if not id then die(err) end
  print("shm key " .. id)
  -- shmwrite pads to LEN bytes with NULs
  local ok, werr = ipc.shmwrite(id, message, 0, LEN)
  if not ok then
    ipc.shmctl(id, ipc.IPC_RMID)
    die(werr)
  end
  print("wrote: '" .. message .. "'")
  return id
end

-- Read LEN bytes at 0 and strip the NUL padding.
local function read(id)
  local buff, err = ipc.shmread(id, 0, LEN)
  if not buff then die(err) end
  buff = buff:gsub("%z.*$", "")
  print("read : '" .. buff .. "'")
  return buff
end

local function remove(id)
  print("deleting shm " .. id)
  local ok, err = ipc.shmctl(id, ipc.IPC_RMID)
  if not ok then die(err) end
end

local command = arg[1]
if command == nil then
  local message = "Message #1"
  local id = write(message)
  local buff = read(id)
  if buff ~= message then io.write("un") end
  print("swell")
  remove(id)
elseif command == "write" and #arg <= 2 then
  local message = arg[2] or "Message #1"
  if #message > LEN or message:find("%z") then
    recipe.usage(USAGE, "  (MESSAGE: at most 60 bytes, no NUL)\n")
  end
  write(message)
elseif command == "read" and #arg == 2 then
  local id = recipe.number(2, nil, USAGE)
  if id > 0x7fffffff then recipe.usage(USAGE) end  -- ids are C ints
  read(id)
  remove(id)
else
  recipe.usage(USAGE)
end
