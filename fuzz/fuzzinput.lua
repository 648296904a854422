-- The bytes of one fuzz input, taken from the front as small decisions
-- (u8, a signed byte, a choice) by the targets in this directory. Past the
-- end every decision reads 0, so any input, even the empty one, is a case.
local fuzzinput = {}
fuzzinput.__index = fuzzinput

function fuzzinput.new(data)
  return setmetatable({ data = data, pos = 1 }, fuzzinput)
end

function fuzzinput:u8()
  local b = self.data:byte(self.pos) or 0
  self.pos = self.pos + 1
  return b
end

function fuzzinput:s8()
  local b = self:u8()
  return b >= 128 and b - 256 or b
end

-- An element of the array t.
function fuzzinput:pick(t)
  return t[self:u8() % #t + 1]
end

-- Up to n bytes as a string.
function fuzzinput:bytes(n)
  local s = self.data:sub(self.pos, self.pos + n - 1)
  self.pos = self.pos + n
  return s
end

function fuzzinput:rest()
  local s = self.data:sub(self.pos)
  self.pos = #self.data + 1
  return s
end

-- Raise a failure of the target's invariant: the fuzzer turns it into a
-- crash with this message, the replay spec into a failed case.
function fuzzinput.fail(fmt, ...)
  error("fuzz invariant: " .. string.format(fmt, ...), 2)
end

-- %q of any value, for messages.
function fuzzinput.show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

return fuzzinput
