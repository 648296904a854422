/*
 * sysv_msg.c — SysV message queues: msgget, msgsnd, msgrcv, msgctl.
 *
 * A message is a native long type and its text, and its size is the text's
 * alone (the C msgsz), so a queue carries the same bytes whether C, Perl's
 * IPC::SysV or unixipc sends them (luaposix's trap was to count the type in
 * the size). msgsnd on a full queue and msgrcv on an empty one cannot be
 * polled: they go through uipc_sysv_blocking, so signal handlers and
 * timeouts reach them.
 */

/***
SysV message queues.
@module unixipc
*/
#include "unixipc.h"

#include <limits.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

/* The msgbuf of <sys/msg.h> with room for any length. */
typedef struct {
  long mtype;
  char mtext[];
} msgbuf_t;

/* Messages up to the kernel's default MSGMAX are built on the C stack;
 * larger ones in a userdata, which the GC reclaims even when a signal
 * handler raises out of the call. */
enum { MSG_STACK = 8192 };
typedef union {
  msgbuf_t m;
  char room[sizeof(msgbuf_t) + MSG_STACK];
} msg_stackbuf;

/* A buffer for `len` bytes of text: `stack` if it fits, else a userdata
 * pushed on the stack. */
static msgbuf_t *msg_buffer(lua_State *L, size_t len, msg_stackbuf *stack) {
  if (len <= MSG_STACK)
    return &stack->m;
  return lua_newuserdatauv(L, sizeof(msgbuf_t) + len, 0);
}

typedef struct {
  int id, flags;
  msgbuf_t *m;
  size_t len;
} msg_call;

static long msg_send(void *ctx, int nowait) {
  msg_call *c = ctx;
  return msgsnd(c->id, c->m, c->len, c->flags | (nowait ? IPC_NOWAIT : 0));
}

static long msg_receive(void *ctx, int nowait) {
  msg_call *c = ctx;
  return (long)msgrcv(c->id, c->m, c->len, c->m->mtype, c->flags | (nowait ? IPC_NOWAIT : 0));
}

/***
Get or create a message queue (msgget(2)).
@function msgget
@tparam int|string key an integer, or "private" (IPC_PRIVATE)
@int[opt=0] flags permission bits and IPC_CREAT, IPC_EXCL
@treturn[1] int the queue's id
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local id = ipc.msgget("private", ipc.IPC_CREAT | ipc.S_IRUSR | ipc.S_IWUSR)
*/
static int l_msgget(lua_State *L) {
  key_t key = uipc_sysv_checkkey(L, 1);
  int id = msgget(key, uipc_sysv_optflags(L, 2));
  if (id < 0)
    return uipc_fail(L, "msgget", NULL);
  lua_pushinteger(L, id);
  return 1;
}

/* msgsnd with the id given; the other arguments from 2 on. */
static int msgsnd_on(lua_State *L, int id) {
  lua_Integer type = luaL_checkinteger(L, 2);
  luaL_argcheck(L, type > 0 && type <= LONG_MAX, 2, "message type must be positive");
  size_t len;
  const char *data = luaL_checklstring(L, 3, &len);
  msg_call c = { id, uipc_sysv_optmsgflags(L, 4), NULL, len };
  double deadline = uipc_deadline(uipc_opttimeout(L, 5));
  msg_stackbuf stack;
  c.m = msg_buffer(L, len, &stack);
  c.m->mtype = (long)type;
  memcpy(c.m->mtext, data, len);
  /* a queue seldom is full: try without waiting first */
  long r = uipc_sysv_blocking(L, deadline, msg_send, &c, !(c.flags & IPC_NOWAIT));
  if (r < 0)
    return uipc_sysv_fail(L, r, "msgsnd", id);
  return uipc_sysv_true(L);
}

/***
Send a message (msgsnd(2)): its type and its text, which may hold any
bytes and be empty. On a full queue it waits, interruptibly, unless
IPC_NOWAIT.
@function msgsnd
@int id
@int type a positive message type
@string data the text; its length is the message's size
@tparam[opt=0] int|string flags IPC_NOWAIT (or "nowait")
@number[opt] timeout seconds to wait on a full queue
@treturn[1] boolean true
@return[2] nil (EAGAIN with IPC_NOWAIT on a full queue, EIDRM when the queue was removed, "timeout")
@treturn[2] string message
@treturn[2] int errno
@usage ipc.msgsnd(id, 1234, "message")
*/
static int l_msgsnd(lua_State *L) {
  return msgsnd_on(L, uipc_sysv_checkid(L, 1));
}

/* msgrcv for a message of any size: start with the stack buffer and grow
 * while the kernel answers E2BIG (it leaves the message queued then). */
static long receive_any(lua_State *L, msg_call *c, double deadline, msg_stackbuf *stack) {
  long type = c->m->mtype;
  for (;;) {
    long r = uipc_sysv_blocking(L, deadline, msg_receive, c, 0);
    if (r >= 0 || errno != E2BIG || c->len >= (size_t)INT_MAX / 2)
      return r;
    c->len = c->len * 2;
    c->m = msg_buffer(L, c->len, stack);
    c->m->mtype = type;
  }
}

/* msgrcv with the id given; the other arguments from 2 on. */
static int msgrcv_on(lua_State *L, int id) {
  int any = lua_isnoneornil(L, 2);
  size_t maxlen = any ? MSG_STACK : uipc_sysv_checkextent(L, 2, "size");
  luaL_argcheck(L, maxlen <= INT_MAX, 2, "size too large");
  lua_Integer type = luaL_optinteger(L, 3, 0);
  luaL_argcheck(L, type >= LONG_MIN && type <= LONG_MAX, 3, "type out of range");
  msg_call c = { id, uipc_sysv_optmsgflags(L, 4), NULL, maxlen };
  double deadline = uipc_deadline(uipc_opttimeout(L, 5));
  msg_stackbuf stack;
  c.m = msg_buffer(L, c.len, &stack);
  c.m->mtype = (long)type;
  long r = any ? receive_any(L, &c, deadline, &stack)
               : uipc_sysv_blocking(L, deadline, msg_receive, &c, 0);
  if (r < 0)
    return uipc_sysv_fail(L, r, "msgrcv", id);
  lua_pushlstring(L, c.m->mtext, (size_t)r);
  lua_pushinteger(L, c.m->mtype);
  return 2;
}

/***
Receive a message (msgrcv(2)). `type` 0 takes the first message, a positive
one the first of that type, a negative one the first of the lowest type up
to its absolute value. On an empty queue it waits, interruptibly, unless
IPC_NOWAIT.
@function msgrcv
@int id
@int[opt] maxlen the largest text taken; without it, a message of any size.
A longer message fails with E2BIG and stays queued, or is cut to maxlen
with MSG_NOERROR.
@int[opt=0] type
@tparam[opt=0] int|string flags IPC_NOWAIT, MSG_NOERROR (or one of "nowait", "noerror")
@number[opt] timeout seconds to wait on an empty queue
@treturn[1] string the text
@treturn[1] int its type
@return[2] nil (ENOMSG with IPC_NOWAIT on an empty queue, EIDRM when the queue was removed, "timeout")
@treturn[2] string message
@treturn[2] int errno
@usage local data, type = ipc.msgrcv(id, 60)
*/
static int l_msgrcv(lua_State *L) {
  return msgrcv_on(L, uipc_sysv_checkid(L, 1));
}

static int msg_pushstat(lua_State *L, const struct msqid_ds *ds) {
  uipc_sysv_pushperm(L, &ds->msg_perm, ds->msg_ctime);
  uipc_sysv_setfield(L, "qnum", (lua_Integer)ds->msg_qnum);
  uipc_sysv_setfield(L, "qbytes", (lua_Integer)ds->msg_qbytes);
  uipc_sysv_setfield(L, "cbytes", (lua_Integer)ds->__msg_cbytes);
  uipc_sysv_setfield(L, "lspid", ds->msg_lspid);
  uipc_sysv_setfield(L, "lrpid", ds->msg_lrpid);
  uipc_sysv_setfield(L, "stime", (lua_Integer)ds->msg_stime);
  uipc_sysv_setfield(L, "rtime", (lua_Integer)ds->msg_rtime);
  return 1;
}

/* msgctl with the IPC_SET table (if any) at argi. */
static int msg_ctl(lua_State *L, int id, int cmd, int argi) {
  struct msqid_ds ds;
  memset(&ds, 0, sizeof ds);
  if (cmd == IPC_SET) {
    luaL_checktype(L, argi, LUA_TTABLE);
    if (msgctl(id, IPC_STAT, &ds) < 0)
      return uipc_sysv_fail(L, -1, "msgctl", id);
    uipc_sysv_checkset(L, argi, &ds.msg_perm);
    unsigned long qbytes;
    if (uipc_sysv_optfield(L, argi, "qbytes", INT_MAX, &qbytes))
      ds.msg_qbytes = (msglen_t)qbytes;
  }
  if (msgctl(id, cmd, &ds) < 0)
    return uipc_sysv_fail(L, -1, "msgctl", id);
  return cmd == IPC_STAT ? msg_pushstat(L, &ds) : uipc_sysv_true(L);
}

/***
Control a message queue (msgctl(2)).
@function msgctl
@int id
@tparam int|string cmd IPC_STAT, IPC_SET or IPC_RMID (also by name: "IPC_STAT" or "stat")
@tparam[opt] table arg for IPC_SET: any of `uid`, `gid`, `mode`, `qbytes`
@treturn[1] table|boolean IPC_STAT: `{key, uid, gid, cuid, cgid, mode, qnum, qbytes, cbytes, lspid, lrpid, stime, rtime, ctime}`; else true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage ipc.msgctl(id, "IPC_RMID")
*/
static int l_msgctl(lua_State *L) {
  int id = uipc_sysv_checkid(L, 1);
  return msg_ctl(L, id, uipc_sysv_checkcmd(L, 2, 0), 3);
}

#define MSG_MT "unixipc.msg"

static int m_msg_send(lua_State *L) {
  return msgsnd_on(L, uipc_sysv_self(L));
}

static int m_msg_recv(lua_State *L) {
  return msgrcv_on(L, uipc_sysv_self(L));
}

static int m_msg_stat(lua_State *L) {
  return msg_ctl(L, uipc_sysv_self(L), IPC_STAT, 0);
}

static int m_msg_remove(lua_State *L) {
  return msg_ctl(L, uipc_sysv_self(L), IPC_RMID, 0);
}

static const luaL_Reg msg_methods[] = {
  { "send", m_msg_send }, { "recv", m_msg_recv },
  { "stat", m_msg_stat }, { "remove", m_msg_remove },
  { NULL, NULL }
};

/***
A message queue as an object: gets the queue of `key`, creating it when
there is none.
@function msg
@tparam int|string key an integer, or "private" for a new queue
@int[opt=0600] mode permission bits; with IPC_EXCL or-ed in, fail (EEXIST) when it exists
@treturn[1] table the queue: `.id`, `:send(type, data, [flags], [timeout])`
(msgsnd), `:recv([maxlen], [type], [flags], [timeout])` → `data, type`
(msgrcv), `:stat()`, `:remove()`
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local q = ipc.msg("private"); q:send(1, "hi"); print(q:recv())
*/
static int l_msg(lua_State *L) {
  key_t key = uipc_sysv_checkkey(L, 1);
  int id = msgget(key, IPC_CREAT | uipc_sysv_optmode(L, 2));
  if (id < 0)
    return uipc_fail(L, "msgget", NULL);
  return uipc_sysv_newobject(L, id, MSG_MT, msg_methods);
}

static const luaL_Reg funcs[] = {
  { "msgget", l_msgget }, { "msgsnd", l_msgsnd }, { "msgrcv", l_msgrcv },
  { "msgctl", l_msgctl }, { "msg", l_msg },
  { NULL, NULL }
};

int uipc_sysv_msg_open(lua_State *L) {
  uipc_register(L, funcs);
  uipc_sysv_newclass(L, MSG_MT);
  return 0;
}
