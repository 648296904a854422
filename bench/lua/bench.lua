-- bench.lua — what the Lua programs of bench/ share: the clock, the result
-- line, and dying loudly when the work did not check out. Used by the
-- unixipc programs (bench/lua/, global `ipc`) and by the stock lua5.4 ones
-- (bench/lua5.4/), which have no monotonic clock and ask date(1) instead.
--
-- Protocol (the same in C and Perl): print "seconds=<elapsed>" on stdout and
-- exit 0, or complain on stderr and exit non-zero.
local bench = {}

local ipc = rawget(_G, "ipc")

-- Monotonic seconds with unixipc; wall-clock seconds from date(1) in stock
-- Lua (one fork+exec, about a millisecond, outside the timed work).
function bench.now()
  if ipc then return ipc.monotime() end
  local f = assert(io.popen("date +%s.%N"))
  local t = tonumber(f:read("l"))
  f:close()
  return t
end

-- Leave at once, even from a forked child (no unwinding into the parent's code).
function bench.fail(fmt, ...)
  io.stderr:write("bench: ", string.format(fmt, ...), "\n")
  io.stderr:flush()
  if ipc and ipc._exit then ipc._exit(1) end
  os.exit(1)
end

function bench.check(ok, fmt, ...)
  if not ok then bench.fail(fmt, ...) end
end

-- The value of a call that returns value or nil, message.
function bench.try(v, msg, ...)
  if v == nil and msg ~= nil then bench.fail("%s", msg) end
  return v, msg, ...
end

-- Reap pid and insist it exited 0 (the child verifies its half of the work).
function bench.wait_ok(pid)
  local p, how, code = ipc.waitpid(pid)
  bench.check(p == pid, "waitpid: %s", tostring(how))
  bench.check(how == "exit" and code == 0, "child %d failed (%s %s)", pid, how, code)
end

-- The result line: the seconds from t0 to t1.
function bench.report(t0, t1)
  io.write(string.format("seconds=%.6f\n", t1 - t0))
end

-- arg[i] as a positive count, or the default.
function bench.arg(i, default)
  local s = arg[i]
  if s == nil then return default end
  local v = math.tointeger(tonumber(s))
  bench.check(v and v > 0, "bad argument %s", s)
  return v
end

-- line_read's text: lines "line %d of the benchmark\n" for 1..n.
bench.LINE = "line %d of the benchmark\n"

function bench.make_lines(n)
  local t, fmt = {}, string.format
  for i = 1, n do t[i] = fmt(bench.LINE, i) end
  return table.concat(t)
end

-- The byte count of make_lines(n), computed, not made.
function bench.lines_bytes(n)
  local fixed = #bench.LINE - 2          -- without "%d"
  local bytes, digits, from = n * fixed, 1, 1
  while from <= n do
    local to = math.min(n, from * 10 - 1)
    bytes = bytes + (to - from + 1) * digits
    from, digits = from * 10, digits + 1
  end
  return bytes
end

return bench
