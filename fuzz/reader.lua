-- Fuzz target: the handle's buffered reader (handle.c: read_line,
-- read_count, read_number, read_all, sysread, expect, lines) over an
-- arbitrary byte stream in a real pipe, read through an arbitrary buffer
-- size and mode, by an arbitrary sequence of formats.
--
-- The oracle is Lua's own io library: the same bytes in a temporary file,
-- read with the same formats, must give the same values, op by op (io is
-- the contract: h:read takes "Lua 5.4's formats", h:lines is io's
-- iterator). What io does not have
-- is checked by what it must mean: sysread gives the next bytes, expect's
-- text before and match are the next bytes and the match matches, and at
-- end of input expect finds nothing only if no pattern matches the rest.
--
-- Input: buffer size, mode, op count, the ops, then the stream itself.
local ipc = require("unixipc")
local fuzzinput = require("fuzzinput")
local fail, show = fuzzinput.fail, fuzzinput.show

local COUNTS = { 0, 1, 2, 3, 7, 64, 300, 5000 }
local PATTERNS = { "\n", "%d+", "ab", "%s", "x*", "^a", "%w+%.", "\r\n", "[^%z]%z", "(.)%1" }
local MAX_STREAM = 60000  -- below a pipe's capacity: written before reading

local function same(a, b)
  if a.n ~= b.n then return false end
  for i = 1, a.n do
    if a[i] ~= b[i] or math.type(a[i]) ~= math.type(b[i]) then return false end
  end
  return true
end

local function packed(t)
  local parts = {}
  for i = 1, t.n do parts[i] = show(t[i]) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Compare one read of ours with io's on the same formats.
local function compare(what, ours, theirs)
  if not same(ours, theirs) then
    fail("%s: unixipc %s, io %s", what, packed(ours), packed(theirs))
  end
end

-- The rest of the file, leaving its position where it was.
local function peek_rest(f)
  local rest = f:read("a")
  f:seek("cur", -#rest)
  return rest
end

local function expect_op(c, r, f)
  local pats = { c:pick(PATTERNS) }
  if c:u8() % 2 == 1 then pats[2] = c:pick(PATTERNS) end
  if c:u8() % 8 == 0 then pats[#pats + 1] = c:bytes(c:u8() % 4 + 1) end  -- maybe malformed
  local args = { table.unpack(pats) }
  args[#args + 1] = 1  -- a timeout: never needed, the writer has closed
  local ok, i, match, before = pcall(function() return r:expect(table.unpack(args)) end)
  if not ok then  -- a malformed pattern, in the words of string.find
    if not tostring(i):find("bad argument #%d+ to 'expect' %(.*pattern") and
       not tostring(i):find("bad argument #%d+ to 'expect' %(.*capture") then
      fail("expect %s raised %s", show(pats[#pats]), show(i))
    end
    return
  end
  if i == nil then
    if match ~= nil then fail("expect failed with %s, %s", show(match), show(before)) end
    local rest = peek_rest(f)
    for _, p in ipairs(pats) do
      if rest:find(p) then fail("expect %s gave nil, yet it matches the rest %s", show(p), show(rest)) end
    end
    return
  end
  if math.type(i) ~= "integer" or i < 1 or i > #pats then fail("expect gave index %s", show(i)) end
  local text = f:read(#before + #match) or ""
  if before .. match ~= text then
    fail("expect: %s .. %s is not the next text %s", show(before), show(match), show(text))
  end
  if not text:find(pats[i]) then
    fail("expect: the pattern %s does not match %s", show(pats[i]), show(text))
  end
end

local function sysread_op(k, r, f)
  local s, msg = r:sysread(k)
  if k == 0 then
    if s ~= "" then fail("sysread(0) gave %s, %s", show(s), show(msg)) end
  elseif s == nil then
    if msg ~= nil or f:read(0) ~= nil then fail("sysread(%d) gave nil, %s before the end", k, show(msg)) end
  elseif #s < 1 or #s > k or f:read(#s) ~= s then
    fail("sysread(%d) gave %s, not the next bytes", k, show(s))
  end
end

return function(data)
  local c = fuzzinput.new(data)
  local size = c:u8()
  size = size < 200 and size % 64 + 1 or 4096
  local mode = c:pick({ "full", "full", "line", "no" })
  local ops = {}
  for i = 1, c:u8() % 24 do ops[i] = c:u8() end
  local stream = c:rest():sub(1, MAX_STREAM)

  local f = assert(io.tmpfile())
  f:write(stream)
  f:seek("set")
  local r, w = assert(ipc.pipe())
  assert(w:write(stream))
  assert(w:close())
  assert(r:setvbuf(mode, size))
  r:settimeout(1)  -- never waits: the whole stream is in the pipe

  local ok, err = pcall(function()
    local oc = fuzzinput.new(string.char(table.unpack(ops)))
    for step = 1, #ops do
      local b = oc:u8()
      local kind, arg = b % 9, COUNTS[(b // 9) % #COUNTS + 1]
      local what = string.format("op %d (%d)", step, b)
      if kind == 0 then compare(what .. ' read("l")', table.pack(r:read("l")), table.pack(f:read("l")))
      elseif kind == 1 then compare(what .. ' read("L")', table.pack(r:read("L")), table.pack(f:read("L")))
      elseif kind == 2 then compare(what .. " read(" .. arg .. ")", table.pack(r:read(arg)), table.pack(f:read(arg)))
      elseif kind == 3 then compare(what .. ' read("n")', table.pack(r:read("n")), table.pack(f:read("n")))
      elseif kind == 4 then
        compare(what .. ' read("l", "n", ' .. arg .. ")", table.pack(r:read("l", "n", arg)),
          table.pack(f:read("l", "n", arg)))
      elseif kind == 5 then compare(what .. ' read("a")', table.pack(r:read("a")), table.pack(f:read("a")))
      elseif kind == 6 then expect_op(oc, r, f)
      elseif kind == 7 then sysread_op(arg, r, f)
      else compare(what .. ' lines("L")()', table.pack(r:lines("L")()), table.pack(f:lines("L")()))
      end
    end
    compare('the rest, read("a")', table.pack(r:read("a")), table.pack(f:read("a")))
  end)
  r:close()
  f:close()
  if not ok then error(err, 0) end
end
