-- Hardening (issue 7): the fuzz targets of fuzz/ (make fuzz runs them under
-- libFuzzer with ASan and UBSan) replayed in the suite itself, under lua5.4,
-- the host and valgrind: every seed of fuzz/seeds/TARGET, the corpus a
-- local `make fuzz` grew (build/fuzz/corpus/TARGET, if any), and inputs
-- made here from the seeds by a seeded mutator (UNIXIPC_FUZZ_SEED). Each
-- input goes through the target's oracle (the comments at the top of each
-- fuzz/TARGET.lua say what it checks); a broken invariant fails the case
-- with the input, in Lua's %q, to replay.
local support = require("support")
local ipc = require("unixipc")

local top = os.getenv("PWD") or "."
package.path = top .. "/fuzz/?.lua;" .. package.path

local SEED = tonumber(os.getenv("UNIXIPC_FUZZ_SEED")) or 20261121
local INPUTS = support.memcheck() and 60 or 10000
local CORPUS_MAX = support.memcheck() and 0 or 3000

local function files(dir, max)
  local list = {}
  local p = io.popen("ls -1 " .. support.shell_quote(dir) .. " 2>/dev/null")
  for name in p:lines() do
    if #list < max then list[#list + 1] = dir .. "/" .. name end
  end
  p:close()
  return list
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- An input from a seed: bytes flipped, inserted, removed, repeated.
local function mutate(seed)
  local b = { seed:byte(1, -1) }
  for _ = 1, math.random(1, 8) do
    local how, at = math.random(4), math.random(#b + 1)
    if how == 1 and #b > 0 then b[math.min(at, #b)] = math.random(0, 255)
    elseif how == 2 then table.insert(b, at, math.random(0, 255))
    elseif how == 3 and #b > 0 then table.remove(b, math.min(at, #b))
    else
      local from = math.random(#b + 1)
      for i = from, math.min(#b, from + math.random(0, 16)) do b[#b + 1] = b[i] end
    end
  end
  return string.char(table.unpack(b, 1, math.min(#b, 4096)))
end

local fds_before
for _, name in ipairs { "reader", "address", "signals", "semop" } do
  describe("fuzz target " .. name, function()
    local target = require(name)
    local seeds = {}
    for i, path in ipairs(files(top .. "/fuzz/seeds/" .. name, 1000)) do seeds[i] = slurp(path) end

    local function run(input, how)
      local ok, err = pcall(target, input)
      if not ok then
        error(string.format("%s\n  input (%s): %q", tostring(err), how, input), 0)
      end
    end

    before_each(function() fds_before = support.open_fds() end)
    after_each(function()
      collectgarbage()
      assert.same(fds_before, support.open_fds())  -- nothing leaked
    end)

    it("holds for its seeds", function()
      assert.is_true(#seeds > 0)
      for i, s in ipairs(seeds) do run(s, "seed " .. i) end
    end)

    it("holds for the corpus make fuzz grew, if any", function()
      for _, path in ipairs(files(top .. "/build/fuzz/corpus/" .. name, CORPUS_MAX)) do
        run(slurp(path), path)
      end
    end)

    it(string.format("holds for %d mutated seeds (seed %d)", INPUTS, SEED), function()
      math.randomseed(SEED)
      for i = 1, INPUTS do
        run(i % 10 == 0 and "" or mutate(seeds[math.random(#seeds)]), "mutation " .. i)
      end
    end)
  end)
end

describe("fuzz targets' oracles", function()
  -- A target that cannot fail proves nothing: with the library made to lie
  -- in one small way, each target must fail on some of its seeds.
  local function caught(name, patch)
    local target = require(name)
    local restore = patch()
    local failures = 0
    for _, path in ipairs(files(top .. "/fuzz/seeds/" .. name, 1000)) do
      if not pcall(target, slurp(path)) then failures = failures + 1 end
    end
    restore()
    return failures
  end

  -- Replace field k of table t for a while.
  local function swap(t, k, v)
    return function()
      local old = t[k]
      t[k] = v(old)
      return function() t[k] = old end
    end
  end

  it("reader: a read that loses the first byte of a string", function()
    local r, w = ipc.pipe()
    local methods = getmetatable(r).__index
    r:close() w:close()
    assert.is_true(caught("reader", swap(methods, "read", function(read)
      return function(h, ...)
        local v = read(h, ...)
        return type(v) == "string" and #v > 1 and v:sub(2) or v
      end
    end)) > 0)
  end)

  it("address: splitaddr that ignores brackets", function()
    assert.is_true(caught("address", swap(ipc, "splitaddr", function(split)
      return function(s) return split((s:gsub("[%[%]]", ""))) end
    end)) > 0)
  end)

  it("signals: signum that does not know the SIG prefix", function()
    assert.is_true(caught("signals", swap(ipc, "signum", function(signum)
      return function(s)
        if type(s) == "string" and s:match("^SIG") then return nil end
        return signum(s)
      end
    end)) > 0)
  end)

  it("semop: an op that reports success without doing anything", function()
    assert.is_true(caught("semop", swap(ipc, "sem", function(sem)
      return function(...)
        local set = sem(...)
        set.op = function() return true end
        return set
      end
    end)) > 0)
  end)
end)
