-- sysv_msg: ROUNDS round trips of SIZE-byte messages between two processes
-- on one SysV queue (ipc.msg): the parent sends type 1, the child answers
-- with the same text as type 2. Each side checks every message.
--   usage: unixipc sysv_msg.lua [ROUNDS] [SIZE]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "bench"

local rounds = bench.arg(1, 100000)
local size = bench.arg(2, 64)
local q = bench.try(ipc.msg("private"))
local chars = {}
for i = 0, size - 1 do chars[#chars + 1] = string.char(97 + i % 26) end
local text = table.concat(chars)

local t0 = bench.now()
local pid = bench.try(ipc.fork())
if pid == 0 then
  for _ = 1, rounds do
    local got = q:recv(nil, 1)
    if got ~= text or not q:send(2, got) then ipc._exit(1) end
  end
  ipc._exit(0)
end
for i = 1, rounds do
  local ok, err = q:send(1, text)
  if not ok then bench.fail("send: %s", err) end
  local got, why = q:recv(nil, 2)
  if got ~= text then bench.fail("round %d: wrong answer (%s)", i, tostring(why)) end
end
bench.wait_ok(pid)
local t1 = bench.now()
q:remove()
bench.report(t0, t1)
