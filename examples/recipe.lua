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

--- Print the arguments and a newline on stderr and exit 1 (perl's die).
function recipe.die(...)
  io.stderr:write(...)
  io.stderr:write("\n")
  os.exit(1)
end

--- The network status command of perlipc's pipe recipes: `netstat -an`,
-- or `ss -an` (its successor) where netstat is not installed, as on a
-- default Debian.
function recipe.netstat()
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local f = io.open(dir .. "/netstat")
    if f then
      f:close()
      return "netstat -an"
    end
  end
  return "ss -an"
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

--- The SysV KEY of the semaphore recipes: the only argument, decimal, a C
-- int and not 0 (that would be IPC_PRIVATE, a new object each time).
function recipe.sysv_key(usage_line)
  local key = recipe.number(1, 1234, usage_line)
  if #arg > 1 or (arg[1] and not arg[1]:match("^%d+$")) or key == 0 or key > 0x7fffffff then
    recipe.usage(usage_line)
  end
  return key
end

--- The id of the semaphore set sem_create.lua made for `key`, or exit 1.
function recipe.semaphore_set(key)
  local id, err = ipc.semget(key, 0, 0)
  if not id then
    io.stderr:write(err, " (key ", key, ": run sem_create.lua first?)\n")
    os.exit(1)
  end
  return id
end

--- A `HOST[:PORT]` argument ("localhost", "host:37", "[::1]:37") split
-- with ipc.splitaddr: host and port, the port `default` when absent. A
-- malformed one, or a port that is not a number 0..65535 unless
-- `services` allows names ("http", "daytime(13)"), is a usage error.
function recipe.hostport(a, default, usage_line, services)
  local host, port = ipc.splitaddr(a)
  if not host or host == "" then recipe.usage(usage_line) end
  if port == nil then return host, default end
  if math.type(port) ~= "integer" and (not services or tonumber(port)) then
    recipe.usage(usage_line)  -- a name where numbers only go, or out of range
  end
  return host, port
end

--- Every argument as a peer `{label = arg, host =, port =}` (recipe.hostport
-- with numeric ports); none at all is a usage error.
function recipe.peers(default, usage_line)
  local peers = {}
  for i, a in ipairs(arg) do
    local host, port = recipe.hostport(a, default, usage_line)
    peers[i] = { label = a, host = host, port = port }
  end
  if #peers == 0 then recipe.usage(usage_line) end
  return peers
end

--- A server's start line, flushed before it accepts: perlipc's
-- "$0 $$: server started on port N at TIME" prefix.
function recipe.started(where)
  io.stdout:write(string.format("%s %d: server started on %s at %s\n",
    arg[0], ipc.getpid(), where, os.date()))
  io.stdout:flush()
end

--- A server's log line: perlipc's logmsg, "$0 $$: MESSAGE at TIME".
function recipe.logmsg(fmt, ...)
  recipe.log("%s %d: %s at %s", arg[0], ipc.getpid(), string.format(fmt, ...), os.date())
end

--- A TCP server on loopback `port` (0: any free one), or exit 1 saying why.
-- Perl's servers bind INADDR_ANY; the demos stay on 127.0.0.1. listen{}
-- sets SO_REUSEADDR and listens with SOMAXCONN.
function recipe.listen(port)
  local server, err = ipc.listen{ host = "127.0.0.1", port = port }
  if not server then recipe.die(err) end
  return server
end

--- TERM or INT: log "caught SIGTERM, shutting down" and exit 0. The handler
-- runs at a safe point, even while accept() waits.
function recipe.exit_on_term()
  for _, sig in ipairs{ "TERM", "INT" } do
    ipc.SIG[sig] = function(name)
      recipe.logmsg("caught SIG%s, shutting down", name)
      os.exit(0)
    end
  end
end

--- Log a line on stdout, flushed (servers' logs are read while they run).
function recipe.log(fmt, ...)
  io.stdout:write(string.format(fmt, ...), "\n")
  io.stdout:flush()
end

return recipe
