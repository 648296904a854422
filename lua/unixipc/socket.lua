--- unixipc.socket: IO::Socket-style clients and servers, `ipc.connect{...}`
-- and `ipc.listen{...}`, composed from the socket primitives of the core.
--
-- Ports are numbers, service names (`"http"`) or Perl's `"daytime(13)"`
-- (the name, else the number); port 0 picks a free port. Without a `port`
-- option, `host` may carry it: `"localhost:daytime(13)"`, `"[::1]:80"`. A
-- host name is resolved with getaddrinfo and each address is tried in turn,
-- as IO::Socket does. Failures return `nil, message, code` (an errno, or the resolver's
-- `"EAI_..."` name); wrong options raise.
-- @module unixipc

return function(ipc, core, argerror)
  local protos = { tcp = "stream", udp = "dgram" }
  local families = { inet = true, inet6 = true, unix = true }

  -- What is wrong with the path option, or nil (the core's own check of
  -- Unix-domain paths, made before any socket exists).
  local function badpath(path)
    if type(path) ~= "string" then
      return "option 'path' must be a string, got " .. type(path)
    end
    return core._unix_path_error(path)
  end

  -- Whether a host option without a port option carries one ("h:80").
  local function carries_port(opts)
    return opts.port == nil and type(opts.host) == "string" and opts.host:find(":", 1, true) ~= nil
  end

  -- The options table of connect/listen, checked for the caller's line
  -- (argerror's level: this function is called by the public one).
  local function checkopts(fname, opts, known)
    if type(opts) ~= "table" then
      argerror(fname, 1, "table expected, got " .. type(opts))
    end
    for k in pairs(opts) do
      if not known[k] then argerror(fname, 1, "unknown option '" .. tostring(k) .. "'") end
    end
    local proto = opts.proto or "tcp"
    if not protos[proto] then
      argerror(fname, 1, "proto must be \"tcp\" or \"udp\", got '" .. tostring(proto) .. "'")
    end
    if opts.family ~= nil and not families[opts.family] then
      argerror(fname, 1, "unknown family '" .. tostring(opts.family) .. "'")
    end
    local port = tonumber(opts.port)
    if port and (port < 0 or port > 65535 or port % 1 ~= 0) then
      argerror(fname, 1, "port " .. tostring(opts.port) .. " out of range (0..65535)")
    end
    if opts.timeout ~= nil and (math.type(opts.timeout) == nil or opts.timeout < 0) then
      argerror(fname, 1, "timeout must be a non-negative number")
    end
    if opts.backlog ~= nil and math.type(opts.backlog) ~= "integer" then
      argerror(fname, 1, "backlog must be an integer")
    end
    local pathmsg = opts.path ~= nil and badpath(opts.path)
    if pathmsg then
      argerror(fname, 1, pathmsg)
    elseif opts.path == nil and fname == "connect"
        and (opts.host == nil or opts.port == nil and not carries_port(opts)) then
      argerror(fname, 1, "options 'host' and 'port' (or 'path') expected")
    end
    return protos[proto]
  end

  -- The host and port of the options: without a port option, a host
  -- "HOST:PORT" or "[v6]:PORT" carries it (IO::Socket's PeerAddr). Returns
  -- true, host, port, or false, message, errno for a malformed one.
  local function target(fname, opts, default_port)
    local host, port = opts.host, opts.port
    if carries_port(opts) then
      local msg
      host, port, msg = core.splitaddr(host)
      if not host then
        return false, fname .. ": malformed address '" .. opts.host .. "'", msg
      end
    end
    if port == nil and default_port == nil then
      return false, fname .. ": no port in '" .. opts.host .. "'", core.errno.EINVAL
    end
    return true, host, port or default_port
  end

  -- Try fn(address) over the resolved addresses of host, port; the first
  -- socket it makes wins, else the last failure.
  local function each_address(host, port, hints, fn)
    local addrs, msg, code = core.getaddrinfo(host, port, hints)
    if not addrs then return nil, msg, code end
    for _, a in ipairs(addrs) do
      local s
      s, msg, code = fn(a)
      if s then return s end
    end
    return nil, msg, code
  end

  -- A new socket, after the steps (functions of the socket) that follow;
  -- closed on the first failure.
  local function made(family, socktype, ...)
    local s, msg, code = core.socket(family, socktype)
    if not s then return nil, msg, code end
    for i = 1, select("#", ...) do
      local ok, m, c = (select(i, ...))(s)
      if not ok then
        s:close()
        return nil, m, c
      end
    end
    return s
  end

  local connect_opts = { host = true, port = true, proto = true, family = true,
    timeout = true, path = true, localport = true, localhost = true }

  --- An IO::Socket-style client: a connected socket.
  -- `{host=, port=, proto="tcp"|"udp", family=, timeout=, path=, localport=,
  -- localhost=}`; `path` makes a Unix-domain socket. `timeout` bounds the
  -- whole connect (the name lookup and every address tried); reads and
  -- writes keep no timeout unless `h:settimeout` sets one.
  -- @tparam table opts
  -- @treturn[1] handle the connected socket
  -- @return[2] nil
  -- @treturn[2] string message ("connect 127.0.0.1:9: Connection refused", "timeout")
  -- @return[2] errno, or the resolver's code ("EAI_NONAME")
  -- @usage local s = assert(ipc.connect{host = "localhost", port = "daytime(13)"})
  function ipc.connect(opts)
    local socktype = checkopts("connect", opts, connect_opts)
    local deadline = opts.timeout and core.monotime() + opts.timeout
    local function left()
      return deadline and math.max(deadline - core.monotime(), 0)
    end
    if opts.path ~= nil then
      return made("unix", socktype,
        function(s) return s:connect(opts.path, left()) end)
    end
    local ok, host, port = target("connect", opts)
    if not ok then return nil, host, port end
    return each_address(host, port, { family = opts.family, socktype = socktype, timeout = left() },
      function(a)
        local bind = function(s)
          if opts.localport == nil and opts.localhost == nil then return s end
          return s:bind(opts.localhost, opts.localport or 0)
        end
        return made(a.family, socktype, bind,
          function(s) return s:connect(a, left()) end)
      end)
  end

  local listen_opts = { host = true, port = true, proto = true, family = true,
    backlog = true, reuse = true, path = true }

  --- An IO::Socket-style server: a bound socket, listening unless UDP.
  -- `{host=, port=, proto="tcp"|"udp", family=, backlog=, reuse=true, path=}`.
  -- Without `host` it listens on every interface; port 0 (the default)
  -- picks a free port (`s:getsockname().port`). `reuse` (SO_REUSEADDR) is on
  -- unless false. A Unix-domain `path` must not exist yet.
  -- @tparam table opts
  -- @treturn[1] handle the server socket
  -- @return[2] nil
  -- @treturn[2] string message ("bind 127.0.0.1:80: Permission denied")
  -- @return[2] errno, or the resolver's code
  -- @usage local server = assert(ipc.listen{host = "127.0.0.1", port = 0})
  function ipc.listen(opts)
    local socktype = checkopts("listen", opts, listen_opts)
    local function listen(s)
      if socktype == "dgram" then return s end
      return s:listen(opts.backlog)
    end
    if opts.path ~= nil then
      return made("unix", socktype,
        function(s) return s:bind(opts.path) end, listen)
    end
    local function reuse(s)
      if opts.reuse == false then return s end
      return s:setoption("reuseaddr", true)
    end
    local ok, host, port = target("listen", opts, 0)
    if not ok then return nil, host, port end
    return each_address(host, port,
      { family = opts.family, socktype = socktype, passive = true },
      function(a)
        return made(a.family, socktype, reuse,
          function(s) return s:bind(a) end, listen)
      end)
  end
end
