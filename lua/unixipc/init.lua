--- unixipc: everything perlipc teaches, for Lua 5.4.
--
-- Signals with deferred ("safe") delivery, pipes, processes, sockets and
-- SysV IPC on one buffered handle type. This front module composes the
-- primitives of the C module `unixipc.core`; every function of the core is
-- also a function of this table.
--
-- Conventions: a failed system call returns `nil, message, errno`; a
-- timeout returns `nil, "timeout", ipc.errno.ETIMEDOUT`; a programming error
-- (wrong type, unknown name, negative size, closed handle) raises.
-- @module unixipc
-- @usage local ipc = require "unixipc"
local core = require "unixipc.core"

local private = { _guarded_pcall = true, _unix_path_error = true }
local ipc = {}
for name, value in pairs(core) do
  if not private[name] then ipc[name] = value end
end

local pack, unpack = table.pack, table.unpack
local ETIMEDOUT = core.errno.ETIMEDOUT

-- A setting that can be given back to ipc.signal: a C handler unixipc did
-- not install cannot be reinstalled from Lua, so it comes back as DEFAULT.
local function restorable(setting)
  if setting == "OTHER" then return "DEFAULT" end
  return setting
end

--- Signal settings as a table, like Perl's `%SIG`.
-- Reading gives the current setting (a function, `"IGNORE"`, `"DEFAULT"`,
-- or `"OTHER"` for a C handler installed by other code); assigning a
-- function, `"IGNORE"`, `"DEFAULT"` or nil sets it.
-- @table SIG
-- @usage ipc.SIG.INT = function(name) error("Somebody sent me a SIG" .. name) end
-- A key of ipc.SIG, checked at the user's line.
local function sigkey(sig)
  if not (type(sig) == "string" or math.type(sig) == "integer") or not core.signum(sig) then
    error(string.format("ipc.SIG: unknown signal '%s'", tostring(sig)), 3)
  end
  return sig
end

local settings = { IGNORE = true, DEFAULT = true }

ipc.SIG = setmetatable({}, {
  __index = function(_, sig) return core.getsignal(sigkey(sig)) end,
  __newindex = function(_, sig, handler)
    sigkey(sig)
    if handler ~= nil and type(handler) ~= "function" and not settings[handler] then
      error(string.format('ipc.SIG.%s: function, "IGNORE", "DEFAULT" or nil expected, got %s',
        tostring(sig), type(handler) == "string" and ("'" .. handler .. "'") or type(handler)), 2)
    end
    local ok, err = pcall(core.signal, sig, handler)
    if not ok then  -- e.g. a handler for SEGV: say it in SIG's words
      error(string.format("ipc.SIG.%s: %s", tostring(sig),
        tostring(err):gsub("^bad argument #%d+ to '[^']*' %((.*)%)$", "%1")), 2)
    end
  end,
  __pairs = function()
    local names, i = core.signals(), 0
    return function()
      i = i + 1
      local name = names[i]
      if name then return name, core.getsignal(name) end
    end
  end,
})

-- Argument errors in the style of luaL_argerror, at the user's call site
-- (level 4: argerror, the check, the public function, its caller).
local function argerror(fname, arg, msg)
  error(string.format("bad argument #%d to '%s' (%s)", arg, fname, msg), 4)
end

local function checknumber(fname, arg, v)
  if math.type(v) == nil then
    argerror(fname, arg, "number expected, got " .. type(v))
  elseif v ~= v then
    argerror(fname, arg, "timeout must be a number, not NaN")
  elseif v < 0 then
    argerror(fname, arg, "timeout must not be negative")
  elseif v >= 1e9 then
    argerror(fname, arg, "timeout must be below 1e9 seconds")
  end
end

local function checkcallable(fname, arg, fn)
  local mt = getmetatable(fn)
  if type(fn) ~= "function" and not (type(mt) == "table" and mt.__call) then
    argerror(fname, arg, "function expected, got " .. type(fn))
  end
end

-- Check a signal argument (or an array of them) in the caller's name.
local function checksignals(fname, arg, sigs)
  local list = type(sigs) == "table" and sigs or { sigs }
  for _, sig in ipairs(list) do
    local t = type(sig)
    if t ~= "string" and math.type(sig) ~= "integer" then
      argerror(fname, arg, "signal name or number expected, got " ..
        (t == "number" and "a non-integral number" or t))
    elseif not core.signum(sig) then
      argerror(fname, arg, "unknown signal '" .. tostring(sig) .. "'")
    end
  end
end

-- Raise the error a protected call caught, or return its results.
local function finish(res)
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, res.n)
end

--- Run `fn(...)` with `handler` set for `sig`, restoring the previous setting
-- on return and on error (Perl's `local $SIG{X}`).
-- @param sig signal name or number
-- @param handler function, "IGNORE" or "DEFAULT"
-- @tparam function fn
-- @return fn's results; an error of fn is raised again
-- @usage ipc.with_signal("HUP", "IGNORE", ipc.kill, "HUP", -ipc.getpgrp())
function ipc.with_signal(sig, handler, fn, ...)
  checksignals("with_signal", 1, sig)
  if handler ~= nil and type(handler) ~= "function" and not settings[handler] then
    argerror("with_signal", 2, 'function, "IGNORE", "DEFAULT" or nil expected, got ' ..
      (type(handler) == "string" and "'" .. handler .. "'" or type(handler)))
  end
  checkcallable("with_signal", 3, fn)
  local previous = core.signal(sig, handler)
  local res = pack(pcall(fn, ...))
  core.signal(sig, restorable(previous))
  return finish(res)
end

--- Run `fn(...)` with the signals `sigs` blocked; what arrived meanwhile is
-- delivered after, before this returns.
-- @param sigs a signal name or an array of names
-- @tparam function fn
-- @return fn's results
function ipc.blocked(sigs, fn, ...)
  checksignals("blocked", 1, sigs)
  checkcallable("blocked", 2, fn)
  local previous = core.sigblock(sigs)
  local res = pack(pcall(fn, ...))
  core.sigsetmask(previous)
  core.dispatch()
  return finish(res)
end

--- The perlipc alarm idiom: run `fn(...)` for at most `seconds`.
-- The ALRM handler is installed without SA_RESTART, so it also breaks out
-- of a stock `io.read`. An earlier alarm and ALRM handler are restored (the
-- earlier alarm with the time it has left).
-- @number seconds
-- @tparam function fn
-- @return true and fn's results, or nil, "timeout", ETIMEDOUT; another
-- error of fn is raised again after restoring
-- @usage local ok = ipc.timeout(10, ipc.flock, fh, "ex")
function ipc.timeout(seconds, fn, ...)
  checknumber("timeout", 1, seconds)
  checkcallable("timeout", 2, fn)
  local started = core.monotime()
  local earlier = core.alarm(0)
  local guard = {}
  local token = setmetatable({}, { __tostring = function() return "timeout" end })
  local previous = core.signal("ALRM", function()
    if not guard.done then error(token, 0) end
  end, { restart = false })
  local res = pack(core._guarded_pcall(guard, seconds > 0 and seconds or 1e-6, fn, ...))
  core.alarm(0)
  local dispatched = pack(pcall(core.dispatch))  -- a ring that came late
  -- Give ALRM back with it blocked, and take back a ring of ours that is
  -- still on its way (valgrind delivers signals late): it must not reach
  -- the previous setting, which may be the default action (death).
  local mask = core.sigblock("ALRM")
  core.signal("ALRM", restorable(previous))
  core.sigwait("ALRM", 0)
  core.sigsetmask(mask)
  if earlier > 0 then
    core.alarm(math.max(earlier - (core.monotime() - started), 1e-6))
  end
  finish(dispatched)
  if not res[1] and res[2] == token then
    return nil, "timeout", ETIMEDOUT
  end
  return true, finish(res)
end

-- The areas that compose primitives in Lua add their functions here.
for _, area in ipairs { "process", "socket" } do
  require("unixipc." .. area)(ipc, core, argerror)
end

return ipc
