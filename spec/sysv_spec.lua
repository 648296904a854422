-- SysV IPC (src/sysv.c, sysv_msg.c, sysv_sem.c): message queues,
-- semaphores and shared memory, low level and as objects, against real
-- kernel objects and real processes, a C peer compiled here and Perl.
-- Every object a test makes is removed after it, even when it fails; every
-- child is reaped; every wait is bounded. Keys are IPC_PRIVATE or found
-- free with IPC_EXCL, so two runs side by side never meet.
local ipc = require("unixipc")
local support = require("support")

local E = ipc.errno
local slack = support.slack

-- ---- bookkeeping: what each test made, removed after it ----

local made = {}      -- {kind, id}
local children = {}  -- pid -> true while not reaped

local function track(kind, obj)
  if obj then made[#made + 1] = { kind, type(obj) == "table" and obj.id or obj } end
  return obj
end

local ctl = { msg = ipc.msgctl, shm = ipc.shmctl,
  sem = function(id, cmd) return ipc.semctl(id, 0, cmd) end }

after_each(function()
  for pid in pairs(children) do
    ipc.kill("KILL", pid)
    support.reap(pid, 5)
    children[pid] = nil
  end
  for i = #made, 1, -1 do
    ctl[made[i][1]](made[i][2], ipc.IPC_RMID)
    made[i] = nil
  end
  support.cleanup()
end)

local function msgq(mode) return track("msg", assert(ipc.msg("private", mode))) end
local function semset(n, mode) return track("sem", assert(ipc.sem("private", n, mode))) end
local function segment(size, mode) return track("shm", assert(ipc.shm("private", size, mode))) end

-- A key nobody uses, with a new object of `kind` made on it (IPC_EXCL
-- proves it is ours). Returns key, id.
local function fresh_key(kind)
  for _ = 1, 100 do
    local key = math.random(0x10000, 0x7ffffff0)
    local flags = ipc.IPC_CREAT | ipc.IPC_EXCL | 384
    local id
    if kind == "msg" then id = ipc.msgget(key, flags)
    elseif kind == "sem" then id = ipc.semget(key, 1, flags)
    else id = ipc.shmget(key, 64, flags) end
    if id then
      track(kind, id)
      return key, id
    end
  end
  error("no free SysV key found")
end

-- Fork a child running fn (in this interpreter); returns its pid and a
-- function that waits for it (bounded), checks it exited 0 and gives fn's
-- results as strings.
local function start(fn)
  local r, w = assert(ipc.pipe())
  local pid = support.fork(function()
    r:close()
    local res = table.pack(fn())
    for i = 1, res.n do res[i] = tostring(res[i]) end
    assert(w:write(table.concat(res, "\t", 1, res.n)))
    w:close()
  end)
  children[pid] = true
  w:close()
  return pid, function()
    r:settimeout(slack(10))
    local out = r:read("a")
    r:close()
    local _, how, code = support.reap(pid, slack(10))
    children[pid] = nil
    assert.same({ "exit", 0 }, { how, code })
    local res = {}
    for field in ((out or "") .. "\t"):gmatch("(.-)\t") do res[#res + 1] = field end
    return res
  end
end

-- Whether process pid sleeps in the kernel function named like `what`
-- ("msgrcv", "semtimedop"), within a few seconds.
local function blocked_in(pid, what)
  return support.wait_until(function()
    local f = io.open("/proc/" .. pid .. "/wchan")
    if not f then return false end
    local wchan = f:read("a")
    f:close()
    return wchan:find(what, 1, true) ~= nil
  end, slack(5))
end

local function fail_triple(errno, op, ...)
  local v, msg, code = ...
  assert.is_nil(v)
  assert.is_string(msg)
  assert.truthy(msg:find("^" .. op .. " %d+: "), msg)
  assert.equal(errno, code, msg)
end

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local ALL_BYTES = (function()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  return table.concat(t)
end)()

describe("SysV constants and ftok", function()
  it("exports the constants with the platform's values", function()
    assert.equal(0, ipc.IPC_PRIVATE)
    assert.equal(512, ipc.IPC_CREAT)
    assert.equal(1024, ipc.IPC_EXCL)
    assert.equal(2048, ipc.IPC_NOWAIT)
    assert.equal(0, ipc.IPC_RMID)
    assert.equal(1, ipc.IPC_SET)
    assert.equal(2, ipc.IPC_STAT)
    assert.equal(4096, ipc.SEM_UNDO)
    assert.equal(4096, ipc.MSG_NOERROR)
    for name, v in pairs { GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14,
                           GETZCNT = 15, SETVAL = 16, SETALL = 17 } do
      assert.equal(v, ipc[name], name)
    end
    assert.equal(384, ipc.S_IRUSR | ipc.S_IWUSR)
    assert.equal(438, ipc.S_IRUSR | ipc.S_IWUSR | ipc.S_IRGRP | ipc.S_IWGRP | ipc.S_IROTH | ipc.S_IWOTH)
  end)

  it("ftok derives the same key from the same file and id, another from another id", function()
    local path = support.tmpname()
    assert(io.open(path, "w")):close()
    local k1 = assert(ipc.ftok(path, 1))
    assert.equal(k1, ipc.ftok(path, 1))
    assert.equal(k1, ipc.ftok(path))
    assert.are_not.equal(k1, ipc.ftok(path, 2))
    assert.equal(ipc.ftok(path, 65), ipc.ftok(path, "A"))
    local v, msg, code = ipc.ftok(path .. ".none", 1)
    assert.is_nil(v)
    assert.truthy(msg:find("^ftok /"), msg)
    assert.equal(E.ENOENT, code)
  end)

  it("a key may be an ftok key, an integer or \"private\"", function()
    local path = support.tmpname()
    assert(io.open(path, "w")):close()
    local key = assert(ipc.ftok(path, math.random(1, 255)))
    local id = track("msg", ipc.msgget(key, ipc.IPC_CREAT | 384))
    if id then assert.equal(key, ipc.msgctl(id, "stat").key) end
    local a, b = msgq(), msgq()
    assert.are_not.equal(a.id, b.id)
    assert.equal(0, a:stat().key)
  end)
end)

describe("message queues", function()
  it("carry binary data with NULs, zero-length messages and the type, byte for byte", function()
    local q = msgq()
    assert.is_true(q:send(1, "a\0b\0"))
    assert.is_true(q:send(2, ""))
    assert.is_true(q:send(3, ALL_BYTES))
    assert.same({ "a\0b\0", 1 }, { q:recv() })
    assert.same({ "", 2 }, { q:recv() })
    assert.same({ ALL_BYTES, 3 }, { q:recv(256) })
    local st = q:stat()
    assert.equal(0, st.qnum)
    assert.equal(ipc.getpid(), st.lspid)
    assert.equal(ipc.getpid(), st.lrpid)
  end)

  it("count a message's size as its text alone (msg_cbytes)", function()
    local q = msgq()
    assert(q:send(7, string.rep("x", 64)))
    assert(q:send(7, ""))
    local st = q:stat()
    assert.equal(2, st.qnum)
    assert.equal(64, st.cbytes)
  end)

  it("receive by type: 0 the first, positive that type, negative the lowest up to it", function()
    local q = msgq()
    for _, t in ipairs { 5, 3, 9, 3 } do assert(q:send(t, "m" .. t)) end
    assert.same({ "m9", 9 }, { q:recv(nil, 9) })
    assert.same({ "m3", 3 }, { q:recv(nil, -4) })
    assert.same({ "m5", 5 }, { q:recv(nil, 0) })
    assert.same({ "m3", 3 }, { q:recv(nil, -100) })
    fail_triple(E.ENOMSG, "msgrcv", q:recv(nil, 0, "nowait"))
  end)

  it("a type is a native long: large types go through", function()
    local q = msgq()
    local big = math.maxinteger
    assert(q:send(big, "big"))
    assert.same({ "big", big }, { q:recv(10, big) })
  end)

  it("E2BIG leaves a longer message queued; MSG_NOERROR cuts it", function()
    local q = msgq()
    assert(q:send(1, "0123456789"))
    fail_triple(E.E2BIG, "msgrcv", q:recv(4))
    assert.equal(1, q:stat().qnum)
    assert.same({ "0123", 1 }, { q:recv(4, 0, ipc.MSG_NOERROR) })
    assert(q:send(1, "abcdef"))
    assert.same({ "abc", 1 }, { ipc.msgrcv(q.id, 3, 0, "noerror") })
    assert(q:send(1, "x"))
    assert.same({ "", 1 }, { q:recv(0, 0, "noerror") })
  end)

  it("a message of msgmax bytes goes through; one byte more gets the kernel's answer", function()
    local f = io.open("/proc/sys/kernel/msgmax")
    local msgmax = f and tonumber(f:read("l")) or 8192
    if f then f:close() end
    local q = msgq()
    ipc.msgctl(q.id, "set", { qbytes = math.max(q:stat().qbytes, 2 * msgmax) })
    local data = string.rep("\0\255", msgmax // 2) .. string.rep("z", msgmax % 2)
    assert.is_true(q:send(1, data))
    local got = q:recv()
    assert.equal(msgmax, #got)
    assert.is_true(got == data)
    local v, msg, code = q:send(1, data .. "!")
    assert.is_nil(v)
    assert.truthy(msg:find("^msgsnd %d+: "), msg)
    assert.truthy(code == E.EINVAL or code == E.E2BIG, msg)
  end)

  it("nowait: msgrcv on an empty queue gives ENOMSG, msgsnd on a full one EAGAIN", function()
    local q = msgq()
    fail_triple(E.ENOMSG, "msgrcv", q:recv(100, 0, "nowait"))
    fail_triple(E.ENOMSG, "msgrcv", ipc.msgrcv(q.id, 100, 0, ipc.IPC_NOWAIT))
    assert.is_true(ipc.msgctl(q.id, ipc.IPC_SET, { qbytes = 100 }))
    assert.equal(100, q:stat().qbytes)
    assert(q:send(1, string.rep("a", 64), "nowait"))
    fail_triple(E.EAGAIN, "msgsnd", q:send(1, string.rep("b", 64), "nowait"))
    fail_triple(E.EAGAIN, "msgsnd", ipc.msgsnd(q.id, 1, string.rep("b", 64), ipc.IPC_NOWAIT))
  end)

  it("a timeout ends a receive on an empty queue and a send on a full one", function()
    local q = msgq()
    local t0 = ipc.monotime()
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { q:recv(nil, 0, nil, 0.15) })
    local took = ipc.monotime() - t0
    assert.truthy(took >= 0.14 and took < slack(2), took)
    assert(ipc.msgctl(q.id, "set", { qbytes = 10 }))
    assert(q:send(1, "0123456789"))
    t0 = ipc.monotime()
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { q:send(1, "more", 0, 0.1) })
    assert.truthy(ipc.monotime() - t0 >= 0.09)
    assert(q:send(2, "", 0, 0.1))  -- an empty message fits a full queue
    assert.same({ "0123456789", 1 }, { q:recv(nil, 0, nil, 1) })
  end)

  it("a timeout of 0 takes a message already there, else times out at once", function()
    local q = msgq()
    assert(q:send(3, "there", 0, 0))
    assert.same({ "there", 3 }, { q:recv(nil, 0, nil, 0) })
    local t0 = ipc.monotime()
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { q:recv(nil, 0, nil, 0) })
    assert.truthy(ipc.monotime() - t0 < slack(0.5))
    local s = semset(1)
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { s:op({ { 0, -1 } }, 0) })
    assert(s:setval(0, 1))
    assert.is_true(s:op({ { 0, -1 } }, 0))
  end)

  it("a receiver blocked in another process gets a message sent later", function()
    local q = msgq()
    local pid, finish = start(function()
      local data, t = q:recv(nil, 2)
      return data, t
    end)
    assert.is_true(blocked_in(pid, "msgrcv"))
    assert(q:send(1, "not for you"))
    assert(q:send(2, "for you"))
    assert.same({ "for you", "2" }, finish())
    assert.same({ "not for you", 1 }, { q:recv(nil, 0, "nowait") })
  end)

  it("a sender blocked on a full queue goes on when a receiver makes room", function()
    local q = msgq()
    assert(ipc.msgctl(q.id, "set", { qbytes = 64 }))
    assert(q:send(1, string.rep("a", 64)))
    local pid, finish = start(function() return q:send(1, string.rep("b", 64)) end)
    assert.is_true(blocked_in(pid, "msgsnd"))
    assert.equal(string.rep("a", 64), (q:recv()))
    assert.same({ "true" }, finish())
    assert.equal(string.rep("b", 64), (q:recv(nil, 0, nil, 5)))
  end)

  it("EIDRM reaches a msgrcv blocked in another process when the queue is removed", function()
    local q = msgq()
    local pid, finish = start(function() return q:recv() end)
    assert.is_true(blocked_in(pid, "msgrcv"))
    assert.is_true(q:remove())
    local res = finish()
    assert.equal("nil", res[1])
    assert.truthy(res[2]:find("^msgrcv %d+: "), res[2])
    assert.equal(tostring(E.EIDRM), res[3])
  end)

  it("default permissions are 0600; a mode is honoured", function()
    assert.equal(384, msgq():stat().mode)
    assert.equal(416, msgq(416):stat().mode)  -- 0640
    local q = msgq()
    assert.is_true(ipc.msgctl(q.id, "IPC_SET", { mode = 420 }))
    assert.equal(420, q:stat().mode)
  end)

  it("EEXIST with IPC_CREAT|IPC_EXCL on a key in use", function()
    local key, id = fresh_key("msg")
    local v, msg, code = ipc.msgget(key, ipc.IPC_CREAT | ipc.IPC_EXCL | 384)
    assert.is_nil(v)
    assert.truthy(msg:find("^msgget: "), msg)
    assert.equal(E.EEXIST, code)
    assert.same({ nil, msg, E.EEXIST }, { ipc.msg(key, 384 | ipc.IPC_EXCL) })
    local q = assert(ipc.msg(key))
    assert.equal(id, q.id)
    assert.equal(id, ipc.msgget(key, 0))
  end)

  it("EACCES for a process that dropped to an unprivileged uid against a 0600 queue", function()
    if ipc.getuid() ~= 0 then
      pending("needs root to drop to uid 65534")
      return
    end
    local key, id = fresh_key("msg")
    assert(ipc.msgsnd(id, 1, "secret"))
    local _, finish = start(function()
      assert(ipc.setgid(65534))
      assert(ipc.setuid(65534))
      local _, m1, e1 = ipc.msgsnd(id, 1, "x", "nowait")
      local _, m2, e2 = ipc.msgrcv(id, 100, 0, "nowait")
      local _, m3, e3 = ipc.msg(key)
      return e1, e2, e3, m1, m2, m3
    end)
    local res = finish()
    local eacces = tostring(E.EACCES)
    assert.same({ eacces, eacces, eacces }, { res[1], res[2], res[3] })
    assert.truthy(res[4]:find("^msgsnd %d+: "), res[4])
    assert.truthy(res[6]:find("^msgget: "), res[6])
    assert.same({ "secret", 1 }, { ipc.msgrcv(id, 100) })
  end)

  it("operations on a removed queue fail with EINVAL or EIDRM", function()
    local q = msgq()
    assert.is_true(q:remove())
    local v, msg, code = q:send(1, "x")
    assert.is_nil(v)
    assert.truthy(code == E.EINVAL or code == E.EIDRM, msg)
    fail_triple(code, "msgctl", q:stat())
  end)

  it("objects print their kind and id", function()
    local q = msgq()
    assert.equal("unixipc.msg (id " .. q.id .. ")", tostring(q))
  end)
end)

describe("message queues with a C peer", function()
  local peer

  -- The peer: `peer send ID TYPE:HEX...` sends those messages; `peer recv ID
  -- N` receives N (type 0, room for 8192 bytes) and prints "TYPE LEN HEX".
  local source = [[
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
struct message { long type; char text[8192]; };
static int unhex(const char *s, char *out) {
  int n = 0;
  for (; s[0] && s[1]; s += 2) {
    unsigned v;
    sscanf(s, "%2x", &v);
    out[n++] = (char)v;
  }
  return n;
}
int main(int argc, char **argv) {
  static struct message m;
  int id = atoi(argv[2]);
  if (strcmp(argv[1], "send") == 0) {
    for (int i = 3; i < argc; i++) {
      char *colon = strchr(argv[i], ':');
      m.type = strtol(argv[i], NULL, 10);
      int len = unhex(colon + 1, m.text);
      if (msgsnd(id, &m, (size_t)len, 0) < 0) { perror("msgsnd"); return 1; }
    }
    return 0;
  }
  for (int k = atoi(argv[3]); k > 0; k--) {
    ssize_t len = msgrcv(id, &m, sizeof m.text, 0, 0);
    if (len < 0) { perror("msgrcv"); return 1; }
    printf("%ld %zd ", m.type, len);
    for (ssize_t i = 0; i < len; i++) printf("%02x", (unsigned char)m.text[i]);
    printf("\n");
  }
  return 0;
}
]]

  local function compile()
    if peer then return peer end
    local src = support.tmpname(".c")
    local bin = support.tmpname("")
    local f = assert(io.open(src, "w"))
    f:write(source)
    f:close()
    local ok = os.execute(string.format("cc -O0 -o %s %s", support.shell_quote(bin),
      support.shell_quote(src)))
    assert.is_true(ok, "the system's cc could not build the C peer")
    peer = bin
    return bin
  end

  local function run(cmd)
    local p = assert(io.popen("timeout " .. math.ceil(slack(10)) .. " " .. cmd))
    local out = p:read("a")
    local ok, how, code = p:close()
    assert.is_true(ok, string.format("%s: %s %s", cmd, tostring(how), tostring(code)))
    return out
  end

  after_each(function() peer = nil end)  -- support.cleanup removed it

  local messages = {
    { 1, "hello" }, { 2, "" }, { 3, ALL_BYTES }, { 1 << 40, "long type" },
    { 4, string.rep("\0", 64) }, { 5, string.rep("x", 8192) },
  }

  it("C sends, unixipc receives byte for byte", function()
    local bin = compile()
    local q = msgq()
    local args = {}
    for i, m in ipairs(messages) do args[i] = string.format("%d:%s", m[1], hex(m[2])) end
    run(string.format("%s send %d %s", bin, q.id, table.concat(args, " ")))
    for _, m in ipairs(messages) do
      local data, t = q:recv(nil, 0, "nowait")
      assert.equal(m[1], t)
      assert.equal(#m[2], #data)
      assert.is_true(data == m[2], "message of type " .. m[1] .. " differs")
    end
    assert.equal(0, q:stat().qnum)
  end)

  it("unixipc sends, C receives byte for byte", function()
    local bin = compile()
    local q = msgq()
    local want = {}
    for i, m in ipairs(messages) do
      assert(q:send(m[1], m[2]))
      want[i] = string.format("%d %d %s", m[1], #m[2], hex(m[2]))
    end
    local out = run(string.format("%s recv %d %d", bin, q.id, #messages))
    assert.equal(table.concat(want, "\n") .. "\n", out)
  end)

  it("Perl's msgsnd/msgrcv with pack(\"l! a*\") talk to unixipc the same way", function()
    local q = msgq()
    assert(q:send(77, "from\0lua"))
    local out = run(string.format([[perl -e 'msgrcv(%d, my $b, 100, 0, 0) or die $!;
      my ($t, $d) = unpack("l! a*", $b); print "$t ", length($d), " ", unpack("H*", $d);
      msgsnd(%d, pack("l! a*", 88, "from\0perl\xff"), 0) or die $!']], q.id, q.id))
    assert.equal("77 8 " .. hex("from\0lua"), out)
    assert.same({ "from\0perl\255", 88 }, { q:recv(nil, 0, "nowait") })
  end)
end)

describe("message queues and signals", function()
  local function child(code)
    local r = support.child(code)
    if r.error then error("child chunk raised: " .. r.error .. "\nstderr: " .. r._err, 2) end
    assert.same({ "exit", 0 }, { r._how, r._code }, r._err)
    return r
  end

  it("a semop with a zero timeout under a signal storm never returns EINTR", function()
    -- An op that would wait, with another op's IPC_NOWAIT, under a zero
    -- timeout is a semtimedop with a zero timeout: the kernel may still
    -- report EINTR for a signal that lands in it (make fuzz found one). It
    -- must come back as a timeout, the handler having run. Bounded: a
    -- second of calls while another process sends USR1 without pause.
    local r = child [[
      local s = assert(ipc.sem("private", 1))
      local handled = 0
      ipc.SIG.USR1 = function() handled = handled + 1 end
      local me = ipc.getpid()
      local pid = fork(function() while ipc.kill("USR1", me) do end end)
      local codes, calls = {}, 0
      local stop = ipc.monotime() + 1 * SLOW
      while ipc.monotime() < stop do
        local ok, _, code = s:op({ { 0, -1, "nowait" }, { 0, -1 } }, 0)
        calls = calls + 1
        if not ok then codes[code] = (codes[code] or 0) + 1 end
      end
      ipc.kill("KILL", pid)
      reap(pid)
      ipc.SIG.USR1 = "DEFAULT"
      s:remove()
      return { codes = codes, calls = calls, handled = handled }
    ]]
    for code in pairs(r.codes) do
      assert.truthy(code == ipc.errno.EAGAIN or code == ipc.errno.ETIMEDOUT, ipc.errno[code])
    end
    assert.truthy(r.calls > 0 and r.handled > 0, r.handled)
  end)

  it("ipc.timeout ends a msgrcv and a semop that would block forever", function()
    local r = child [[
      local q = assert(ipc.msg("private"))
      local s = assert(ipc.sem("private", 1))
      local ok, res = pcall(function()
        local t1, _, a, b, c = timed(ipc.timeout, 0.2, function() return q:recv() end)
        local t2, _, d, e, f = timed(ipc.timeout, 0.2, function() return s:op { { 0, -1 } } end)
        local t3, _, g, h = timed(ipc.timeout, 2, function() return s:op { { 0, 0 } } end)
        return { t1 = t1, a = a, b = b, c = c, t2 = t2, d = d, e = e, f = f, t3 = t3, g = g, h = h,
                 alrm = ipc.SIG.ALRM }
      end)
      q:remove(); s:remove()
      if not ok then error(res, 0) end
      return res
    ]]
    assert.same({ nil, "timeout", ipc.errno.ETIMEDOUT }, { r.a, r.b, r.c })
    assert.same({ nil, "timeout", ipc.errno.ETIMEDOUT }, { r.d, r.e, r.f })
    assert.truthy(r.t1 >= 0.19 and r.t1 < slack(3), r.t1)
    assert.truthy(r.t2 >= 0.19 and r.t2 < slack(3), r.t2)
    assert.same({ true, true }, { r.g, r.h })  -- waiting for zero on a zero: at once
    assert.truthy(r.t3 < slack(1))
    assert.equal("DEFAULT", r.alrm)
  end)

  it("a handler runs during a blocked semop, which goes on and completes when given", function()
    local r = child [[
      local s = assert(ipc.sem("private", 1))
      local ok, res = pcall(function()
        local ran = 0
        ipc.SIG.USR1 = function() ran = ran + 1 end
        local parent = ipc.getpid()
        local pid = fork(function()
          ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent)
          ipc.sleep(0.2 * SLOW); assert(s:op { { 0, 1 } })
        end)
        local t, okop, a, b = timed(s.op, s, { { 0, -1 } }, 10 * SLOW)
        local how, code = reap(pid)
        return { t = t, okop = okop, a = a, b = b, ran = ran, how = how, code = code,
                 value = s:getval(0) }
      end)
      s:remove()
      if not ok then error(res, 0) end
      return res
    ]]
    assert.same({ true, true }, { r.okop, r.a }, tostring(r.b))
    assert.equal(1, r.ran)
    assert.truthy(r.t >= 0.25, r.t)
    assert.same({ "exit", 0, 0 }, { r.how, r.code, r.value })
  end)

  it("a handler runs during a blocked msgrcv, which goes on; one that raises ends it", function()
    local r = child [[
      local q = assert(ipc.msg("private"))
      local ok, res = pcall(function()
        local ran = 0
        ipc.SIG.USR1 = function() ran = ran + 1 end
        local parent = ipc.getpid()
        local pid = fork(function()
          ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent)
          ipc.sleep(0.2 * SLOW); assert(q:send(1, "after the signal"))
        end)
        local data = q:recv(nil, 0, nil, 10 * SLOW)
        local how, code = reap(pid)
        ipc.SIG.USR1 = function() error("handler says stop") end
        pid = fork(function() ipc.sleep(0.1 * SLOW); ipc.kill("USR1", parent) end)
        local t, okr, err = timed(q.recv, q, nil, 0, nil, 10 * SLOW)
        local how2 = reap(pid)
        return { data = data, ran = ran, how = how, code = code, okr = okr,
                 err = tostring(err), t = t, how2 = how2 }
      end)
      q:remove()
      if not ok then error(res, 0) end
      return res
    ]]
    assert.equal("after the signal", r.data)
    assert.equal(1, r.ran)
    assert.same({ "exit", 0 }, { r.how, r.code })
    assert.is_false(r.okr)
    assert.truthy(r.err:find("handler says stop", 1, true), r.err)
    assert.truthy(r.t < slack(5))
    assert.equal("exit", r.how2)
  end)
end)

describe("semaphores", function()
  it("start at 0; setval/getval/setall/getall number them from 0", function()
    local s = semset(3)
    assert.same({ 0, 0, 0 }, s:getall())
    assert.is_true(s:setval(0, 7))
    assert.equal(7, s:getval(0))
    assert.same({ 7, 0, 0 }, s:getall())
    assert.is_true(s:setall { 1, 2, 3 })
    assert.same({ 1, 2, 3 }, s:getall())
    assert.equal(3, s:getval(2))
    assert.same({ 1, 2, 3 }, ipc.semctl(s.id, 0, ipc.GETALL))
    assert.equal(2, ipc.semctl(s.id, 1, "GETVAL"))
    assert.is_true(ipc.semctl(s.id, 1, "setval", 9))
    assert.equal(9, ipc.semctl(s.id, 1, ipc.GETVAL))
    local st = s:stat()
    assert.equal(3, st.nsems)
    assert.equal(384, st.mode)
    assert.equal(ipc.getuid(), st.uid)
  end)

  it("apply several operations atomically: all or none", function()
    local s = semset(2)
    assert(s:setall { 1, 0 })
    fail_triple(E.EAGAIN, "semop", s:op { { 0, -1, 0 }, { 1, -1, ipc.IPC_NOWAIT } })
    assert.same({ 1, 0 }, s:getall())   -- the first was not applied
    assert.is_true(s:op { { 0, -1 }, { 1, 2 } })
    assert.same({ 0, 2 }, s:getall())
    assert.equal(ipc.getpid(), s:getpid(1))
    assert.is_true(ipc.semop(s.id, { { 1, -2, "nowait" }, { 0, 0, 0 } }))
    assert.same({ 0, 0 }, s:getall())
  end)

  it("nowait gives EAGAIN; a timeout gives \"timeout\"", function()
    local s = semset(1)
    fail_triple(E.EAGAIN, "semop", s:op { { 0, -1, "nowait" } })
    local t0 = ipc.monotime()
    fail_triple(E.EAGAIN, "semop", s:op({ { 0, -1, "nowait" } }, slack(5)))  -- nowait wins
    assert.truthy(ipc.monotime() - t0 < slack(1))
    t0 = ipc.monotime()
    assert.same({ nil, "timeout", E.ETIMEDOUT }, { s:op({ { 0, -1 } }, 0.1) })
    assert.truthy(ipc.monotime() - t0 >= 0.09)
    assert(s:setval(0, 1))
    assert.is_true(s:op({ { 0, -1 } }, 0.1))
  end)

  it("perlipc's take/give between two processes: take blocks until give", function()
    local s = semset(1)
    local take = { { 0, 0, 0 }, { 0, 1, 0 } }    -- wait for zero, then hold
    local give = { { 0, -1, 0 } }
    assert.is_true(s:op(take))
    local pid, finish = start(function()
      local t0 = ipc.monotime()
      assert(s:op(take, 10))
      local waited = ipc.monotime() - t0
      assert(s:op(give))
      return waited
    end)
    assert.truthy(support.wait_until(function() return s:getzcnt(0) == 1 end, slack(5)),
      "the child never waited for zero")
    assert.is_true(blocked_in(pid, "sem"))
    ipc.sleep(0.1)
    assert.equal(1, s:getval(0))
    assert.is_true(s:op(give))
    local waited = tonumber(finish()[1])
    assert.truthy(waited >= 0.1, waited)
    assert.equal(0, s:getval(0))
    assert.equal(0, s:getzcnt(0))
  end)

  it("SEM_UNDO gives back what a holder took when it dies by SIGKILL", function()
    local s = semset(1)
    assert(s:setval(0, 1))
    local r, w = assert(ipc.pipe())
    local pid = support.fork(function()
      r:close()
      assert(s:op { { 0, -1, ipc.SEM_UNDO } })
      assert(w:write("held\n"))
      ipc.sleep(60)
    end)
    children[pid] = true
    w:close()
    r:settimeout(slack(10))
    assert.equal("held", r:read("l"))
    r:close()
    assert.equal(0, s:getval(0))
    -- a waiter in another process gets the semaphore once the holder is killed
    local waiter, finish = start(function() return s:op({ { 0, -1 } }, 10) end)
    assert.truthy(support.wait_until(function() return s:getncnt(0) == 1 end, slack(5)))
    assert.is_true(blocked_in(waiter, "sem"))
    assert.equal(1, ipc.kill("KILL", pid))
    local _, how, code = support.reap(pid, slack(5))
    children[pid] = nil
    assert.same({ "signal", 9 }, { how, code })
    assert.same({ "true" }, finish())
    assert.equal(0, s:getval(0))
    assert.is_true(s:setval(0, 1))  -- and with nobody waiting, the value is back
    assert.equal(1, s:getval(0))
  end)

  it("SEM_UNDO as the name \"undo\" works the same; without it the value stays", function()
    local s = semset(2)
    assert(s:setall { 1, 1 })
    local _, finish = start(function()
      assert(s:op { { 0, -1, "undo" }, { 1, -1 } })
      return "took"
    end)
    assert.same({ "took" }, finish())
    assert.same({ 1, 0 }, s:getall())
  end)

  it("getncnt counts the processes waiting; removing the set gives them EIDRM", function()
    local s = semset(1)
    local _, finish = start(function() return s:op { { 0, -1 } } end)
    assert.truthy(support.wait_until(function() return s:getncnt(0) == 1 end, slack(5)),
      "the child never waited")
    assert.is_true(s:remove())
    local res = finish()
    assert.equal("nil", res[1])
    assert.truthy(res[2]:find("^semop %d+: "), res[2])
    assert.equal(tostring(E.EIDRM), res[3])
  end)

  it("EEXIST with IPC_CREAT|IPC_EXCL; semget finds an existing set by key", function()
    local key, id = fresh_key("sem")
    local v, msg, code = ipc.semget(key, 1, ipc.IPC_CREAT | ipc.IPC_EXCL | 384)
    assert.is_nil(v)
    assert.truthy(msg:find("^semget: "), msg)
    assert.equal(E.EEXIST, code)
    assert.equal(id, ipc.semget(key, 0, 0))
    assert.equal(id, ipc.sem(key, 1).id)
  end)
end)

describe("shared memory", function()
  it("reads and writes at offsets; a short write is padded with NULs, a long one cut", function()
    local seg = segment(100)
    assert.equal(100, seg.size)
    assert.equal(string.rep("\0", 100), seg:read(0, 100))
    assert.is_true(seg:write("hello\0world", 10))
    assert.equal("hello\0world", seg:read(10, 11))
    assert.is_true(ipc.shmwrite(seg.id, "abc", 10, 6))   -- padded
    assert.equal("abc\0\0\0world", seg:read(10, 11))
    assert.is_true(ipc.shmwrite(seg.id, "0123456789", 0, 4))  -- cut
    assert.equal("0123\0", ipc.shmread(seg.id, 0, 5))
    assert.is_true(seg:write("end", 97))
    assert.equal("end", seg:read(97, 3))
    assert.equal("", seg:read(100, 0))
  end)

  it("past the end returns EFAULT, as Perl answers, and writes nothing", function()
    local seg = segment(64)
    fail_triple(E.EFAULT, "shmread", seg:read(60, 5))
    fail_triple(E.EFAULT, "shmread", seg:read(65, 0))
    fail_triple(E.EFAULT, "shmwrite", seg:write("12345", 60))
    fail_triple(E.EFAULT, "shmread", ipc.shmread(seg.id, math.maxinteger, 1))
    assert.equal(string.rep("\0", 64), seg:read(0, 64))
  end)

  it("is shared between processes", function()
    local seg = segment(4096)
    local _, finish = start(function()
      assert(seg:write("from the child", 1000))
      return seg:read(0, 5)
    end)
    assert(seg:write("hello", 0))
    -- the child may read before or after the parent writes: only check its write
    finish()
    assert.equal("from the child", seg:read(1000, 14))
  end)

  it("stat shows size, owner, mode and the attach count; remove removes", function()
    local seg = segment(1000, 416)
    local st = seg:stat()
    assert.equal(1000, st.size)
    assert.equal(1000, st.segsz)
    assert.equal(ipc.getuid(), st.uid)
    assert.equal(416, st.mode)
    assert.equal(0, st.nattch)
    assert.equal(ipc.getpid(), st.cpid)
    assert.is_true(ipc.shmctl(seg.id, "set", { mode = 384 }))
    assert.equal(384, ipc.shmctl(seg.id, ipc.IPC_STAT).mode)
    assert.is_true(seg:remove())
    local v, msg, code = seg:read(0, 1)
    assert.is_nil(v)
    assert.truthy(code == E.EINVAL or code == E.EIDRM, msg)
  end)

  it("the low-level shmget with perlipc's flags", function()
    local id = track("shm", assert(ipc.shmget(ipc.IPC_PRIVATE, 2000, ipc.S_IRUSR | ipc.S_IWUSR)))
    assert(ipc.shmwrite(id, "Message #1", 0, 60))
    local buff = ipc.shmread(id, 0, 60)
    assert.equal(60, #buff)
    assert.equal("Message #1", buff:sub(1, buff:find("\0", 1, true) - 1))
    assert.is_true(ipc.shmctl(id, ipc.IPC_RMID, 0))
  end)
end)

describe("SysV bad arguments raise errors naming the function and argument", function()
  local function raises(pattern, fn, ...)
    local err = support.error_of(fn, ...)
    assert.is_string(err, "did not raise")
    assert.truthy(err:find(pattern), err)
  end

  it("negative sizes and offsets", function()
    local seg = segment(10)
    local q = msgq()
    raises("bad argument #2 to '[%w.]*shmget' %(size must not be negative%)", ipc.shmget, "private", -1, 384)
    raises("bad argument #2 to '[%w.]*semget' %(size must not be negative%)", ipc.semget, "private", -1, 384)
    raises("bad argument #2 to '[%w.]*msgrcv' %(size must not be negative%)", ipc.msgrcv, q.id, -1)
    raises("bad argument #2 to '[%w.]*shmread' %(position must not be negative%)", ipc.shmread, seg.id, -1, 1)
    raises("bad argument #3 to '[%w.]*shmread' %(size must not be negative%)", ipc.shmread, seg.id, 0, -1)
    raises("bad argument #4 to '[%w.]*shmwrite' %(size must not be negative%)", ipc.shmwrite, seg.id, "x", 0, -1)
    raises("bad argument #2 to '[%w.]*shm' %(size must not be negative%)", ipc.shm, "private", -5)
    raises("bad argument #2 to '[%w.]*sem' %(size must not be negative%)", ipc.sem, "private", -5)
    raises("bad argument #1 to 'read' %(position must not be negative%)", function() return seg:read(-1, 1) end)
    raises("bad argument #1 to 'recv' %(size must not be negative%)", function() return q:recv(-1) end)
  end)

  it("unknown command names and numbers", function()
    local s = semset(1)
    raises("bad argument #2 to '[%w.]*msgctl' %(unknown command 'IPC_BOGUS'%)", ipc.msgctl, 1, "IPC_BOGUS")
    raises("bad argument #2 to '[%w.]*shmctl' %(unknown command 'getval'%)", ipc.shmctl, 1, "getval")
    raises("bad argument #3 to '[%w.]*semctl' %(unknown command 99%)", ipc.semctl, s.id, 0, 99)
    raises("bad argument #4 to '[%w.]*semctl' %(table expected", ipc.semctl, s.id, 0, "IPC_SET")
    raises("bad argument #4 to '[%w.]*semctl' %(1 values expected, got 2%)", ipc.semctl, s.id, 0, "setall", { 1, 2 })
  end)

  it("semop operations that are not triples", function()
    local s = semset(1)
    raises("bad argument #2 to '[%w.]*semop' %(operation 1 is not a {num, op, flags} triple %(got number%)%)",
      ipc.semop, s.id, { 0, -1, 0 })
    raises("operation 2 is not a {num, op, flags} triple %(op is not an integer%)",
      ipc.semop, s.id, { { 0, 1 }, { 0 } })
    raises("operation 1 has unknown flag 'later'", ipc.semop, s.id, { { 0, 1, "later" } })
    raises("operation 1 has its op out of range", ipc.semop, s.id, { { 0, 40000 } })
    raises("at least one {num, op, flags} triple expected", ipc.semop, s.id, {})
    raises("bad argument #1 to 'op' %(table expected, got string%)", function() return s:op("take") end)
    assert.same({ 0 }, s:getall())  -- nothing was applied
  end)

  it("keys, types, flags and selves", function()
    local q = msgq()
    raises("bad argument #1 to '[%w.]*msg' %(integer key or \"private\" expected, got 'public'%)", ipc.msg, "public")
    raises("bad argument #1 to '[%w.]*msgget' %(key out of range%)", ipc.msgget, 1 << 40, 0)
    raises("bad argument #1 to 'send' %(message type must be positive%)", function() return q:send(0, "x") end)
    raises("bad argument #2 to 'send' %(string expected, got no value%)", function() return q:send(1) end)
    raises("bad argument #3 to 'recv' %(unknown flag 'soon'", function() return q:recv(10, 0, "soon") end)
    raises("bad argument #4 to 'recv' %(timeout must not be negative%)", function() return q:recv(10, 0, 0, -1) end)
    raises("bad argument #1 to 'recv' %(unixipc.msg expected, got table%)", function()
      local fake = { id = q.id }
      return q.recv(fake)
    end)
    raises("bad argument #1 to 'recv' %(a method of another unixipc.msg%)", function()
      return q.recv(msgq())
    end)
    raises("bad argument #2 to '[%w.]*ftok' %(id out of range%)", ipc.ftok, "/", 256)
    raises("bad argument #3 to '[%w.]*msgctl' %(field 'qbytes' must be an integer", ipc.msgctl, q.id, "set", { qbytes = -1 })
  end)
end)
