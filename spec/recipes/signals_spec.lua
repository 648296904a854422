-- End to end: each perlipc recipe in examples/ run by the host
-- (build/bin/unixipc examples/<dir>/<name>.lua), its output checked.
local support = require("support")
local lines, has_line, check_usage = support.lines, support.has_line, support.check_usage

after_each(function() support.cleanup() end)

describe("R01 signals/catch_zap.lua", function()
  it("traps INT with a handler that raises and reports the caught error", function()
    local out, ok, how, code, err = support.run_example("signals/catch_zap.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.truthy(out:match("\ncaught: [^\n]*Somebody sent me a SIGINT\n"), out)
    assert.is_true(has_line(out, "shucks = 1"), out)
    assert.is_false(has_line(out, "the handler never ran"))
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("signals/catch_zap.lua")
  end)
end)

describe("R02 signals/signames.lua", function()
  it("lists the names as kill -l does, then signal #17 and SIGALRM", function()
    local p = assert(io.popen("bash -c 'kill -l'"))
    local names = {}
    for name in p:read("a"):gmatch("%d+%) SIG([%w+-]+)") do names[#names + 1] = name end
    p:close()
    local out, ok, how, code, err = support.run_example("signals/signames.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    assert.same({ table.concat(names, " "), "signal #17 = CHLD", "SIGALRM is 14" }, lines(out))
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("signals/signames.lua")
  end)
end)

describe("R08 signals/deferred.lua", function()
  it("runs handlers at safe points: the read completes, a raising handler ends it, a busy loop sees the flag", function()
    local out, ok, how, code, err = support.run_example("signals/deferred.lua")
    assert.same({ true, "exit", 0 }, { ok, how, code }, err)
    for _, l in ipairs({
      "   handler 1: got SIGUSR1 from the child",
      "   handler 2: got SIGUSR1 from the child",
      "   handler 3: got SIGUSR1 from the child",
      '   read completed: "hello from the child"',
      "   the handler ran 3 times during the read; EINTR never reached Lua",
      "   the read ended with the handler's error: alarm clock restart",
      "   the handler ran between two instructions of the loop and ended it",
    }) do
      assert.is_true(has_line(out, l), "missing line: " .. l .. "\n" .. out)
    end
    -- the handler lines come before the read completes: they ran during it
    assert.is_true(out:find("handler 3:", 1, true) < out:find("read completed", 1, true))
  end)

  it("answers arguments with a usage line and exit 2", function()
    check_usage("signals/deferred.lua")
  end)
end)
