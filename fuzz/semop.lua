-- Fuzz target: semop operation lists (sysv_sem.c: check_ops and the call)
-- on a real private semaphore set of 4, with arbitrary triples: numbers in
-- and out of range, strings, floats, missing fields, the flag names and
-- numbers, too many operations for the stack array. Every call has a zero
-- timeout, so an operation that would wait fails at once.
--
-- The oracle is semop(2)'s specification, simulated here: a list is valid
-- if every triple is {num 0..65535, op -32768..32767, flags nil, "undo",
-- "nowait" or 0..32767} (integers, or strings and floats that convert
-- exactly, as Lua's lua_tointegerx does); a valid list either applies as a
-- whole, in order, giving exactly the simulated values, or fails (EFBIG for
-- a number past the set, ERANGE past SEMVMX or the undo bound SEMAEM,
-- EAGAIN/timeout for a wait) changing nothing. An invalid one raises an
-- argument error naming op and changes nothing.
--
-- Input: the initial values, then the triples.
local ipc = require("unixipc")
local fuzzinput = require("fuzzinput")
local fail, show = fuzzinput.fail, fuzzinput.show

local NSEMS, SEMVMX, SEMAEM = 4, 32767, 32767
local E = ipc.errno

local function toint(v)
  if type(v) == "string" then v = tonumber(v) end
  return math.type(v) and math.tointeger(v)
end

local function in_range(v, lo, hi)
  local n = toint(v)
  return n ~= nil and n >= lo and n <= hi
end

local function valid_triple(t)
  if type(t) ~= "table" then return false end
  local flags = t[3]
  local flags_ok = flags == nil or flags == "undo" or flags == "nowait"
    or (type(flags) ~= "string" and in_range(flags, 0, 32767))
  return in_range(t[1], 0, 65535) and in_range(t[2], -32768, 32767) and flags_ok
end

-- The outcome of a valid list on `values`: the new values, or nil and the
-- kind of failure ("EFBIG", "ERANGE", "wait").
local function simulate(ops, values)
  for _, t in ipairs(ops) do
    if toint(t[1]) >= NSEMS then return nil, "EFBIG" end
  end
  local v, undo = { table.unpack(values) }, { 0, 0, 0, 0 }
  for _, t in ipairs(ops) do
    local n, op = toint(t[1]) + 1, toint(t[2])
    local flags = t[3] == "undo" and ipc.SEM_UNDO or t[3] == "nowait" and ipc.IPC_NOWAIT or toint(t[3]) or 0
    if op == 0 then
      if v[n] ~= 0 then return nil, "wait" end
    else
      if v[n] + op < 0 then return nil, "wait" end
      if v[n] + op > SEMVMX then return nil, "ERANGE" end
      if flags & ipc.SEM_UNDO ~= 0 then
        undo[n] = undo[n] - op
        if undo[n] < -SEMAEM - 1 or undo[n] > SEMAEM then return nil, "ERANGE" end
      end
      v[n] = v[n] + op
    end
  end
  return v
end

-- Mostly nil (the plausible value stays), sometimes a hostile one.
local function field(c)
  local how = c:u8() - 240
  if how < 10 then return nil end
  if how == 10 then return c:s8() * 1000 end
  if how == 11 then return c:pick({ 1.5, -0.0, 2.0, 1e300, 0 / 0, math.maxinteger, math.mininteger }) end
  if how == 12 then return tostring(c:s8()) end
  if how == 13 then return c:pick({ "undo", "nowait", "0x10", " 3 ", "", "1e2" }) end
  if how == 14 then return c:pick({ true, {}, print }) end
  return c:bytes(c:u8() % 4)
end

local function triple(c)
  local how = c:u8() % 64
  if how == 0 then return c:pick({ "x", 1, false }) end
  local n = c:u8()
  local t = { n < 248 and n % NSEMS or NSEMS + n % 3, c:s8() % 7 - 3, c:pick({ nil, 0, "undo", "nowait", ipc.SEM_UNDO | ipc.IPC_NOWAIT }) }
  if how == 1 then t[2] = c:s8() * 300 end
  for i = 1, 3 do
    local v = field(c)
    if v ~= nil then t[i] = v end
  end
  if how == 2 then t[3] = nil t[2] = nil end
  return t
end

local function run(c, sem)
  local values = {}
  for i = 1, NSEMS do
    local b = c:u8()
    values[i] = b < 240 and b % 5 or SEMVMX - b % 8
  end
  assert(sem:setall(values))
  local ops = {}
  for i = 1, c:u8() % 20 do ops[i] = triple(c) end
  local valid = #ops > 0
  for _, t in ipairs(ops) do valid = valid and valid_triple(t) end

  local ok, res, msg, code = pcall(function() return sem:op(ops, 0) end)
  local now = assert(sem:getall())
  local function same(a)
    return table.concat(a, ",") == table.concat(now, ",")
  end
  local shown = {}
  for i, t in ipairs(ops) do
    shown[i] = type(t) == "table" and string.format("{%s, %s, %s}", show(t[1]), show(t[2]), show(t[3])) or show(t)
  end
  local case = string.format("values {%s}, ops {%s}", table.concat(values, ","), table.concat(shown, ", "))

  if not ok then
    if valid then fail("%s: raised %s", case, show(res)) end
    if not tostring(res):find("bad argument #1 to 'op'", 1, true) then fail("%s: raised %s", case, show(res)) end
    if not same(values) then fail("%s: raised, yet the values are {%s}", case, table.concat(now, ",")) end
    return
  end
  if not valid then fail("%s: accepted, gave %s, %s", case, show(res), show(msg)) end
  local want, why = simulate(ops, values)
  if res == true then
    if not want then fail("%s: succeeded, %s expected; values {%s}", case, why, table.concat(now, ",")) end
    if not same(want) then fail("%s: values {%s}, expected {%s}", case, table.concat(now, ","), table.concat(want, ",")) end
    return
  end
  if want then fail("%s: failed (%s), expected values {%s}", case, show(msg), table.concat(want, ",")) end
  local codes = { EFBIG = { E.EFBIG }, ERANGE = { E.ERANGE }, wait = { E.EAGAIN, E.ETIMEDOUT } }
  local expected = false
  for _, e in ipairs(codes[why]) do expected = expected or code == e end
  if res ~= nil or not expected then fail("%s: gave %s, %s, %s; expected %s", case, show(res), show(msg), show(code), why) end
  if not same(values) then fail("%s: failed, yet the values are {%s}", case, table.concat(now, ",")) end
end

return function(data)
  local sem = assert(ipc.sem("private", NSEMS))
  local ok, err = pcall(run, fuzzinput.new(data), sem)
  assert(sem:remove())
  if not ok then error(err, 0) end
end
