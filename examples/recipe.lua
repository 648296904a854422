-- What the recipe scripts share. A recipe finds this file with
--   package.path = (arg[0]:match("^(.*)/[^/]+/[^/]+$") or "examples") .. "/?.lua;" .. package.path
--   local recipe = require "recipe"
local ipc = ipc or require("unixipc")

local recipe = {}

--- Print "usage: ..." on stderr and exit 2 (bad arguments, never a traceback).
function recipe.usage(line, ...)
  io.stderr:write("usage: ", line, "\n", ...)
  os.exit(2)
end

--- The numeric argument i, or `default` when absent; anything else is a
-- usage error.
function recipe.number(i, default, usage_line)
  local v = arg[i]
  if v == nil then return default end
  local n = math.tointeger(tonumber(v))
  if n == nil or n < 0 then recipe.usage(usage_line) end
  return n
end

--- A server's start line, flushed before it accepts: perlipc's
-- "$0 $$: server started on port N at TIME" prefix.
function recipe.started(where)
  io.stdout:write(string.format("%s %d: server started on %s at %s\n",
    arg[0], ipc.getpid(), where, os.date()))
  io.stdout:flush()
end

--- Log a line on stdout, flushed (servers' logs are read while they run).
function recipe.log(fmt, ...)
  io.stdout:write(string.format(fmt, ...), "\n")
  io.stdout:flush()
end

return recipe
