-- Fuzz target: HOST[:PORT] and port text (netdb.c: uipc_split_hostport,
-- uipc_parse_port, port_service), through ipc.splitaddr and
-- ipc.getaddrinfo on a numeric host (no name server is asked).
--
-- The oracle is the grammar written again with Lua patterns: "[host]",
-- "[host]:port", "host:port" with exactly one colon, else all host; no
-- stray brackets; a port is an integer when it is a number 0..65535. For
-- a port string, getaddrinfo("127.0.0.1", port) gives that number, raises
-- for a number out of range or a NUL byte, and takes Perl's "name(number)"
-- as the service name when the system knows it, else as the number.
--
-- Input: a series of cases, each a kind byte then its bytes.
local ipc = require("unixipc")
local fuzzinput = require("fuzzinput")
local fail, show = fuzzinput.fail, fuzzinput.show

local function port_value(p)
  if p:match("^%-?%d+$") then
    local n = tonumber(p)
    if n and n >= 0 and n <= 65535 then return math.tointeger(n) end
  end
  return p
end

-- splitaddr by the grammar: host, port (nil when none), or false.
local function reference(s)
  if s == "" then return false end
  if s:sub(1, 1) == "[" then
    local host, rest = s:match("^%[([^%[%]]+)%](.*)$")
    if not host then return false end
    if rest == "" then return host, nil end
    local port = rest:match("^:([^%]]+)$")
    if not port then return false end
    return host, port_value(port)
  end
  if s:find("[%[%]]") then return false end
  local _, colons = s:gsub(":", "")
  if colons ~= 1 then return s, nil end
  local host, port = s:match("^([^:]*):(.*)$")
  if port == "" then return false end
  return host, port_value(port)
end

local function check_split(s)
  local host, port, code = ipc.splitaddr(s)
  local want_host, want_port = reference(s)
  if want_host == false then
    if host ~= nil or code ~= ipc.errno.EINVAL then
      fail("splitaddr(%s) = %s, %s, %s; malformed expected", show(s), show(host), show(port), show(code))
    end
  elseif host ~= want_host or port ~= want_port or math.type(port) ~= math.type(want_port) then
    fail("splitaddr(%s) = %s, %s; expected %s, %s", show(s), show(host), show(port), show(want_host), show(want_port))
  end
end

-- The port getaddrinfo must resolve p to: a number, "raise", or nil when
-- the grammar leaves it to the system (a service name).
local function expected_port(p)
  if p:find("\0", 1, true) then return "raise" end
  if p:match("^%-?%d+$") then
    local n = tonumber(p)
    return (n and n >= 0 and n <= 65535) and math.tointeger(n) or "raise"
  end
  local name, number = p:match("^(%a[%w%-]*)%((%d+)%)$")
  number = number and tonumber(number)
  if name and #name < 64 and number <= 65535 then
    return ipc.getservbyname(name, "tcp") or math.tointeger(number)
  end
  return nil
end

local function check_port(p)
  local want = expected_port(p)
  local ok, res, msg = pcall(function() return ipc.getaddrinfo("127.0.0.1", p, { socktype = "stream" }) end)
  if want == "raise" then
    if ok or not tostring(res):find("bad argument #2 to 'getaddrinfo' (port", 1, true) then
      fail("getaddrinfo(port %s): %s, %s; an argument error expected", show(p), show(res), show(msg))
    end
  elseif not ok then
    fail("getaddrinfo(port %s) raised %s", show(p), show(res))
  elseif want ~= nil and (res == nil or res[1].port ~= want) then
    fail("getaddrinfo(port %s) = %s, %s; port %d expected", show(p), show(res and res[1].port), show(msg), want)
  end
end

local PIECES = { "[", "]", ":", "::1", "127.0.0.1", "localhost", "80", "65535", "65536", "-1",
  "daytime(13)", "http", "nosuch(7)", "(", ")", "0", "\0", "fe80::1%lo" }

-- A text from pieces and bytes: closer to the grammar than bytes alone.
local function text(c)
  local parts = {}
  for i = 1, c:u8() % 6 do
    parts[i] = c:u8() % 3 == 0 and c:bytes(c:u8() % 4) or c:pick(PIECES)
  end
  return table.concat(parts)
end

return function(data)
  local c = fuzzinput.new(data)
  while c.pos <= #data do
    local kind = c:u8() % 4
    if kind == 0 then check_split(c:bytes(c:u8() % 24))
    elseif kind == 1 then check_split(text(c))
    elseif kind == 2 then check_port(c:bytes(c:u8() % 12))
    else check_port(text(c))
    end
  end
end
