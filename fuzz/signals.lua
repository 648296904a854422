-- Fuzz target: signal names and numbers (signals.c: the name table and its
-- hash, uipc_checksignal, the sets of sigblock) with arbitrary strings,
-- near-misses of real names ("sigint", "RTMIN+99", "INT\0", " HUP") and
-- arbitrary numbers.
--
-- The oracle is the other direction: ipc.signame(n) for every number
-- (the kill -l names, a separate table) and the three classic aliases.
-- signum must give exactly those, "SIG" prefixed or not, nil for anything
-- else; getsignal must accept exactly those and raise naming itself for the
-- rest; sigblock must block exactly what it was given (KILL and STOP
-- aside, which the kernel refuses) and give back the mask it replaced.
--
-- Input: a series of cases, each a kind byte then its bytes.
local ipc = require("unixipc")
local fuzzinput = require("fuzzinput")
local fail, show = fuzzinput.fail, fuzzinput.show

local NSIG = 65
local EXPECT, NAMES = {}, {}
for n = 1, NSIG + 2 do
  local name = ipc.signame(n)
  if name then
    EXPECT[name], EXPECT["SIG" .. name] = n, n
    NAMES[#NAMES + 1] = name
  end
end
for alias, of in pairs { IOT = "ABRT", CLD = "CHLD", POLL = "IO" } do
  if EXPECT[of] then EXPECT[alias], EXPECT["SIG" .. alias] = EXPECT[of], EXPECT[of] end
end
do  -- signals() is the same list, in number order
  local listed = ipc.signals()
  if table.concat(listed, " ") ~= table.concat(NAMES, " ") then
    fail("signals() %s differs from signame's %s", table.concat(listed, " "), table.concat(NAMES, " "))
  end
end

local UNBLOCKABLE = { KILL = true, STOP = true }

-- A candidate name: raw bytes, or a real name bent a little.
local function candidate(c)
  local how = c:u8() % 8
  if how == 0 then return c:bytes(c:u8() % 12) end
  local name = c:pick(NAMES)
  if how == 1 then return "SIG" .. name end
  if how == 2 then return name:lower() end
  if how == 3 then return name .. c:bytes(1) end
  if how == 4 then return name:sub(1, c:u8() % (#name + 1)) end
  if how == 5 then return c:pick({ "RTMIN+", "RTMAX-", "SIGRTMIN+" }) .. c:s8() end
  if how == 6 then return c:pick({ " ", "SIG", "\0", "sig" }) .. name end
  return name
end

local function check_name(s)
  local want = EXPECT[s]
  local got = ipc.signum(s)
  if got ~= want then fail("signum(%s) = %s, expected %s", show(s), show(got), show(want)) end
  local ok, err = pcall(function() return ipc.getsignal(s) end)
  if ok ~= (want ~= nil) then
    fail("getsignal(%s) %s: %s", show(s), ok and "accepted it" or "raised", show(err))
  end
  if not ok and not tostring(err):find("bad argument #1 to 'getsignal' (unknown signal", 1, true) then
    fail("getsignal(%s) raised %s", show(s), show(err))
  end
end

local function check_number(n)
  local name = ipc.signame(n)
  local want = (n >= 1 and n < NSIG) and name ~= nil and n or nil
  if ipc.signum(n) ~= want then fail("signum(%d) = %s", n, show(ipc.signum(n))) end
  if name ~= nil and EXPECT[name] ~= n then fail("signame(%d) = %s, a name of %s", n, name, show(EXPECT[name])) end
end

-- A set of 0..5 signals, some maybe wrong: sigblock blocks exactly the
-- valid ones, or raises (naming itself and the element) and blocks nothing.
local function check_set(c)
  local list, valid = {}, true
  for i = 1, c:u8() % 6 do
    if c:u8() % 4 == 0 then
      list[i] = c:s8()
      valid = valid and list[i] >= 1 and list[i] < NSIG
    else
      list[i] = candidate(c)
      valid = valid and EXPECT[list[i]] ~= nil
    end
  end
  local before = table.concat(ipc.sigmask(), " ")
  local ok, previous = pcall(function() return ipc.sigblock(list) end)
  local inside = ipc.sigmask()
  if ok then ipc.sigsetmask(previous) end
  local after = table.concat(ipc.sigmask(), " ")
  if ok ~= valid then fail("sigblock(%s) %s: %s", show(table.concat(list, ",")), ok and "accepted it" or "raised", show(previous)) end
  if after ~= before then fail("sigblock/sigsetmask did not restore the mask: %s, then %s", before, after) end
  if not ok then
    if not tostring(previous):find("bad argument #1 to 'sigblock' (element ", 1, true) then
      fail("sigblock raised %s", show(previous))
    end
    return
  end
  if table.concat(previous, " ") ~= before then fail("sigblock gave back %s, not %s", table.concat(previous, " "), before) end
  local blocked = {}
  for _, name in ipairs(inside) do blocked[EXPECT[name]] = true end
  for _, sig in ipairs(list) do
    local n = math.type(sig) == "integer" and sig or EXPECT[sig]
    local name = ipc.signame(n)
    if name and not UNBLOCKABLE[name] and not blocked[n] then
      fail("sigblock(%s) left %s unblocked", show(table.concat(list, ",")), name)
    end
  end
end

return function(data)
  local c = fuzzinput.new(data)
  while c.pos <= #data do
    local kind = c:u8() % 4
    if kind == 0 then
      check_name(c:bytes(c:u8() % 16))
    elseif kind == 1 then
      check_name(candidate(c))
    elseif kind == 2 then
      local n = c:s8()
      check_number(c:u8() % 2 == 0 and n or n * 16777216 + c:u8())
    else
      check_set(c)
    end
  end
end
