--- Processes composed from the C primitives: `system`, `capture`, `open2`,
-- `open3`. All of them start the child with `ipc.spawn` (posix_spawn, a
-- program that cannot run is `nil, msg, errno` at once) and never leave it
-- behind: an error or timeout passing through them puts the child down
-- (TERM, then KILL) and reaps it.
-- @module unixipc
local pack, unpack = table.pack, table.unpack

-- argerror: init.lua's, luaL_argerror's words at the user's call site
-- (for a check called by the public function).
return function(ipc, core, argerror)
  local spawn = core.spawn

  -- The command table of a public function's arguments: strings, or one
  -- table (copied: its array and options).
  local function command(fname, ...)
    local n = select("#", ...)
    local first = ...
    local cmd = {}
    local words = { ... }
    if n == 1 and type(first) == "table" then
      for k, v in pairs(first) do cmd[k] = v end
      words, n = first, #first
    end
    if n == 0 then argerror(fname, 1, words == first and "empty command" or "command expected") end
    for i = 1, n do  -- checked here, so that errors name fname, not spawn
      local word, arg = words[i], words == first and 1 or i
      if type(word) ~= "string" then
        argerror(fname, arg, "string expected, got " .. (word == nil and "nil" or type(word)))
      elseif word:find("\0", 1, true) then
        argerror(fname, arg, "command word contains a NUL byte")
      end
      cmd[i] = word
    end
    if n == 1 and not words[1]:find("%S") then argerror(fname, 1, "empty command") end
    return cmd
  end

  -- A setting read from ipc.signal that can be given back to it.
  local function restorable(setting)
    if setting == "OTHER" then return "DEFAULT" end
    return setting
  end

  -- Start cmd and wait for it with INT and QUIT ignored here; the child
  -- gets back those that were not ignored before (system(3)'s way: no
  -- window where a Control-C meant for the child kills this process).
  local function start_and_wait(cmd, int, quit)
    if cmd.signals == nil then
      local reset = {}
      if int ~= "IGNORE" then reset[#reset + 1] = "INT" end
      if quit ~= "IGNORE" then reset[#reset + 1] = "QUIT" end
      cmd.signals = reset
    end
    local p, msg, err = spawn(cmd)
    if not p then return nil, msg, err end
    local res = pack(pcall(p.wait, p))
    if not res[1] then
      p:terminate()
      error(res[2], 0)
    end
    return unpack(res, 2, res.n)
  end

  --- Run a command and wait for it, as system(3) does: INT and QUIT are
  -- ignored in this process while it waits (restored after, also on error).
  -- One string follows Perl's rule (a shell only for shell metacharacters).
  -- An error or timeout passing through (say from `ipc.timeout`) puts the
  -- child down and reaps it.
  -- @param ... the command: strings, or one table as `spawn` takes
  -- @return true|nil, "exit"|"signal", code; or nil, msg, errno if it could not start
  -- @usage local ok, how, code = ipc.system("make", "-s")
  function ipc.system(...)
    local cmd = command("system", ...)
    local int = core.signal("INT", "IGNORE")
    local quit = core.signal("QUIT", "IGNORE")
    local res = pack(pcall(start_and_wait, cmd, int, quit))
    core.signal("INT", restorable(int))
    core.signal("QUIT", restorable(quit))
    if not res[1] then error(res[2], 0) end
    return unpack(res, 2, res.n)
  end

  --- Perl's backticks: run a command and collect its standard output.
  -- @param ... the command: strings, or one table as `spawn` takes
  -- @return output, "exit"|"signal", code; or nil, msg, errno if it could
  -- not start
  -- @usage local text = ipc.capture("uname", "-a")
  function ipc.capture(...)
    local cmd = command("capture", ...)
    cmd.stdout = "pipe"
    local p, msg, err = spawn(cmd)
    if not p then return nil, msg, err end
    local out, err, _, how, code = p:communicate()
    if out == nil then return nil, err, _ end  -- communicate's nil, msg, errno
    return out, how, code
  end

  -- spawn with pipes for the streams named.
  local function piped(fname, streams, ...)
    local cmd = command(fname, ...)
    for _, name in ipairs(streams) do cmd[name] = "pipe" end
    return spawn(cmd)
  end

  --- Start a command with pipes to its stdin and from its stdout (IPC::Open2).
  -- @param ... the command: strings, or one table as `spawn` takes
  -- @return a process object with `stdin` and `stdout` handles; or nil, msg, errno
  -- @usage local p = ipc.open2("bc"); p.stdin:write("2+2\n"); print(p.stdout:read("l"))
  function ipc.open2(...)
    return piped("open2", { "stdin", "stdout" }, ...)
  end

  --- Start a command with pipes to its stdin and from its stdout and stderr
  -- (IPC::Open3).
  -- @param ... the command: strings, or one table as `spawn` takes
  -- @return a process object with `stdin`, `stdout` and `stderr` handles; or nil, msg, errno
  -- @usage local out, err, ok = ipc.open3("sort"):communicate("b\na\n", 10)
  function ipc.open3(...)
    return piped("open3", { "stdin", "stdout", "stderr" }, ...)
  end
end
