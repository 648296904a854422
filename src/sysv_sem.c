/*
 * sysv_sem.c — SysV semaphores: semget, semop, semctl.
 *
 * A semop is an array of {num, op, flags} triples, applied atomically;
 * semaphore numbers are the kernel's, from 0. semop cannot be polled: it
 * goes through uipc_sysv_blocking, so signal handlers and timeouts reach it.
 */

/***
SysV semaphores.
@module unixipc
*/
#include "unixipc.h"

#include <limits.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>

/* The caller defines it (semctl(2)). */
union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static int check_nsems(lua_State *L, int arg) {
  size_t n = uipc_sysv_checkextent(L, arg, "size");
  luaL_argcheck(L, n <= INT_MAX, arg, "size too large");
  return (int)n;
}

/***
Get or create a set of semaphores (semget(2)); new ones start at 0.
@function semget
@tparam int|string key an integer, or "private" (IPC_PRIVATE)
@int nsems how many (0 to get an existing set)
@int[opt=0] flags permission bits and IPC_CREAT, IPC_EXCL
@treturn[1] int the set's id
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local id = ipc.semget(1234, 10, 438 | ipc.IPC_CREAT)
*/
static int l_semget(lua_State *L) {
  key_t key = uipc_sysv_checkkey(L, 1);
  int id = semget(key, check_nsems(L, 2), uipc_sysv_optflags(L, 3));
  if (id < 0)
    return uipc_fail(L, "semget", NULL);
  lua_pushinteger(L, id);
  return 1;
}

/* Raise for operation i of the array at arg. */
static int bad_op(lua_State *L, int arg, lua_Integer i, const char *why) {
  return luaL_argerror(L, arg, lua_pushfstring(L, "operation %I %s", i, why));
}

static const char *const field_names[] = { "number", "op", "flags" };

/* Field k (0 num, 1 op, 2 flags) of triple i, at idx, as an integer in [lo, hi]. */
static int triple_field(lua_State *L, int arg, lua_Integer i, int idx, int k,
                        lua_Integer lo, lua_Integer hi) {
  int isint = 0;
  lua_Integer v = lua_tointegerx(L, idx, &isint);
  if (!isint)
    bad_op(L, arg, i, lua_pushfstring(L, "is not a {num, op, flags} triple (%s is not an integer)",
                                      field_names[k]));
  if (v < lo || v > hi)
    bad_op(L, arg, i, lua_pushfstring(L, "has its %s out of range", field_names[k]));
  return (int)v;
}

/* The flags of triple i, at idx, of type t: nil, a number, "undo" or "nowait". */
static short triple_flags(lua_State *L, int arg, lua_Integer i, int idx, int t) {
  if (t == LUA_TNIL)
    return 0;
  if (t != LUA_TSTRING)
    return (short)triple_field(L, arg, i, idx, 2, 0, SHRT_MAX);
  const char *s = lua_tostring(L, idx);
  if (strcmp(s, "undo") == 0)
    return SEM_UNDO;
  if (strcmp(s, "nowait") == 0)
    return IPC_NOWAIT;
  return (short)bad_op(L, arg, i, lua_pushfstring(L, "has unknown flag '%s' (\"undo\" or \"nowait\")", s));
}

/* The sembufs of the array of triples at arg; *n gets their number. Up to
 * OPS_STACK in `stack`, more in a userdata left on the stack. */
enum { OPS_STACK = 16 };
static struct sembuf *check_ops(lua_State *L, int arg, struct sembuf *stack, size_t *n) {
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_Integer count = (lua_Integer)lua_rawlen(L, arg);
  luaL_argcheck(L, count > 0, arg, "at least one {num, op, flags} triple expected");
  luaL_argcheck(L, count <= INT_MAX / (lua_Integer)sizeof(struct sembuf), arg, "too many operations");
  struct sembuf *ops = count <= OPS_STACK ? stack
      : lua_newuserdatauv(L, (size_t)count * sizeof(struct sembuf), 0);
  int top = lua_gettop(L);
  for (lua_Integer i = 1; i <= count; i++) {
    if (lua_rawgeti(L, arg, i) != LUA_TTABLE)
      bad_op(L, arg, i, lua_pushfstring(L, "is not a {num, op, flags} triple (got %s)",
                                        luaL_typename(L, -1)));
    lua_rawgeti(L, top + 1, 1);
    lua_rawgeti(L, top + 1, 2);
    int flags_type = lua_rawgeti(L, top + 1, 3);
    struct sembuf *op = &ops[i - 1];
    op->sem_num = (unsigned short)triple_field(L, arg, i, top + 2, 0, 0, USHRT_MAX);
    op->sem_op = (short)triple_field(L, arg, i, top + 3, 1, SHRT_MIN, SHRT_MAX);
    op->sem_flg = triple_flags(L, arg, i, top + 4, flags_type);
    lua_settop(L, top);
  }
  *n = (size_t)count;
  return ops;
}

typedef struct {
  int id, own_nowait;  /* own_nowait: some op has IPC_NOWAIT of its own */
  struct sembuf *ops;
  size_t n;
} sem_call;

/* With `nowait`, a semop that would wait fails with EAGAIN instead: the
 * ops get IPC_NOWAIT for the call when none has it (the cheapest way);
 * else a zero time limit does it without touching their own flags. */
static long sem_apply(void *ctx, int nowait) {
  static const struct timespec now = { 0, 0 };
  sem_call *c = ctx;
  if (!nowait)
    return semop(c->id, c->ops, c->n);
  if (c->own_nowait)
    return semtimedop(c->id, c->ops, c->n, &now);
  for (size_t i = 0; i < c->n; i++)
    c->ops[i].sem_flg |= IPC_NOWAIT;
  long r = semop(c->id, c->ops, c->n);
  for (size_t i = 0; i < c->n; i++)
    c->ops[i].sem_flg &= ~IPC_NOWAIT;
  return r;
}

/* Whether any op of the call has IPC_NOWAIT. */
static int sem_any_nowait(const sem_call *c) {
  for (size_t i = 0; i < c->n; i++)
    if (c->ops[i].sem_flg & IPC_NOWAIT)
      return 1;
  return 0;
}

/* semop with the id given; the other arguments from 2 on. */
static int semop_on(lua_State *L, int id) {
  double deadline = uipc_deadline(uipc_opttimeout(L, 3));
  struct sembuf stack[OPS_STACK];
  sem_call c = { id, 0, NULL, 0 };
  c.ops = check_ops(L, 2, stack, &c.n);
  c.own_nowait = sem_any_nowait(&c);
  /* an uncontended semop needs no wait: try it without first */
  long r = uipc_sysv_blocking(L, deadline, sem_apply, &c, !c.own_nowait);
  if (r < 0)
    return uipc_sysv_fail(L, r, "semop", id);
  return uipc_sysv_true(L);
}

/***
Apply operations to a set atomically (semop(2)): each a triple
`{num, op, flags}` — semaphore number from 0, an op that adds (positive),
takes (negative, waiting until it can) or waits for zero (0), and flags
SEM_UNDO and IPC_NOWAIT as numbers (or one of the names "undo", "nowait").
Waits interruptibly.
@function semop
@int id
@tparam table ops an array of triples
@number[opt] timeout seconds to wait
@treturn[1] boolean true
@return[2] nil (EAGAIN with IPC_NOWAIT, EIDRM when the set was removed, "timeout")
@treturn[2] string message
@treturn[2] int errno
@usage ipc.semop(id, {{0, 0, 0}, {0, 1, ipc.SEM_UNDO}})  -- perlipc's "take"
*/
static int l_semop(lua_State *L) {
  return semop_on(L, uipc_sysv_checkid(L, 1));
}

/* The number of semaphores in set id, or -1 with errno. */
static int sem_count(int id, struct semid_ds *ds) {
  union semun arg = { .buf = ds };
  if (semctl(id, 0, IPC_STAT, arg) < 0)
    return -1;
  return (int)ds->sem_nsems;
}

static int sem_getall(lua_State *L, int id) {
  struct semid_ds ds;
  int n = sem_count(id, &ds);
  if (n < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  union semun arg = { .array = lua_newuserdatauv(L, (size_t)n * sizeof(unsigned short) + 1, 0) };
  if (semctl(id, 0, GETALL, arg) < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushinteger(L, arg.array[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int sem_setall(lua_State *L, int id, int argi) {
  luaL_checktype(L, argi, LUA_TTABLE);
  struct semid_ds ds;
  int n = sem_count(id, &ds);
  if (n < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  lua_Integer given = (lua_Integer)lua_rawlen(L, argi);
  if (given != n)
    luaL_argerror(L, argi, lua_pushfstring(L, "%d values expected, got %I", n, given));
  union semun arg = { .array = lua_newuserdatauv(L, (size_t)n * sizeof(unsigned short) + 1, 0) };
  for (int i = 0; i < n; i++) {
    int isint = 0;
    lua_rawgeti(L, argi, i + 1);
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    lua_pop(L, 1);
    if (!isint || v < 0 || v > USHRT_MAX)
      luaL_argerror(L, argi, lua_pushfstring(L, "value %d is not an integer in 0..%d", i + 1, USHRT_MAX));
    arg.array[i] = (unsigned short)v;
  }
  if (semctl(id, 0, SETALL, arg) < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  return uipc_sysv_true(L);
}

static int sem_stat(lua_State *L, int id) {
  struct semid_ds ds;
  if (sem_count(id, &ds) < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  uipc_sysv_pushperm(L, &ds.sem_perm, ds.sem_ctime);
  uipc_sysv_setfield(L, "nsems", (lua_Integer)ds.sem_nsems);
  uipc_sysv_setfield(L, "otime", (lua_Integer)ds.sem_otime);
  return 1;
}

static int sem_set(lua_State *L, int id, int argi) {
  luaL_checktype(L, argi, LUA_TTABLE);
  struct semid_ds ds;
  if (sem_count(id, &ds) < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  uipc_sysv_checkset(L, argi, &ds.sem_perm);
  union semun arg = { .buf = &ds };
  if (semctl(id, 0, IPC_SET, arg) < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  return uipc_sysv_true(L);
}

/* GETVAL, GETNCNT, GETZCNT, GETPID, SETVAL (the value at argi) and
 * IPC_RMID: one int in or out. */
static int sem_scalar(lua_State *L, int id, int num, int cmd, int argi) {
  union semun arg = { .val = 0 };
  if (cmd == SETVAL)
    arg.val = uipc_sysv_checkint(L, argi, 0, INT_MAX, "value");
  int r = semctl(id, num, cmd, arg);
  if (r < 0)
    return uipc_sysv_fail(L, -1, "semctl", id);
  if (cmd == SETVAL || cmd == IPC_RMID)
    return uipc_sysv_true(L);
  lua_pushinteger(L, r);
  return 1;
}

/***
Control a set or one semaphore (semctl(2)).
@function semctl
@int id
@int num the semaphore, from 0 (ignored by the commands on the whole set)
@tparam int|string cmd GETVAL, SETVAL, GETALL, SETALL, GETNCNT, GETZCNT,
GETPID, IPC_STAT, IPC_SET or IPC_RMID (also by name: "GETVAL" or "getval")
@param[opt] arg SETVAL: the value; SETALL: an array of values (element 1 is
semaphore 0); IPC_SET: a table with any of `uid`, `gid`, `mode`
@return[1] GETVAL, GETNCNT, GETZCNT, GETPID: an integer; GETALL: an array
(element 1 is semaphore 0); IPC_STAT: `{key, uid, gid, cuid, cgid, mode,
nsems, otime, ctime}`; else true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage ipc.semctl(id, 0, ipc.SETVAL, 1)
*/
static int l_semctl(lua_State *L) {
  int id = uipc_sysv_checkid(L, 1);
  int num = uipc_sysv_checkint(L, 2, 0, USHRT_MAX, "semaphore number");
  int cmd = uipc_sysv_checkcmd(L, 3, 1);
  switch (cmd) {
    case GETALL: return sem_getall(L, id);
    case SETALL: return sem_setall(L, id, 4);
    case IPC_STAT: return sem_stat(L, id);
    case IPC_SET: return sem_set(L, id, 4);
    default: return sem_scalar(L, id, num, cmd, 4);
  }
}

#define SEM_MT "unixipc.sem"

static int m_sem_op(lua_State *L) {
  return semop_on(L, uipc_sysv_self(L));
}

/* The methods on one semaphore: n at 2, the value (setval) at 3. */
static int sem_one(lua_State *L, int cmd) {
  int id = uipc_sysv_self(L);
  int num = uipc_sysv_checkint(L, 2, 0, USHRT_MAX, "semaphore number");
  return sem_scalar(L, id, num, cmd, 3);
}

static int m_sem_getval(lua_State *L) { return sem_one(L, GETVAL); }
static int m_sem_setval(lua_State *L) { return sem_one(L, SETVAL); }
static int m_sem_getncnt(lua_State *L) { return sem_one(L, GETNCNT); }
static int m_sem_getzcnt(lua_State *L) { return sem_one(L, GETZCNT); }
static int m_sem_getpid(lua_State *L) { return sem_one(L, GETPID); }

static int m_sem_getall(lua_State *L) {
  return sem_getall(L, uipc_sysv_self(L));
}

static int m_sem_setall(lua_State *L) {
  return sem_setall(L, uipc_sysv_self(L), 2);
}

static int m_sem_stat(lua_State *L) {
  return sem_stat(L, uipc_sysv_self(L));
}

static int m_sem_remove(lua_State *L) {
  return sem_scalar(L, uipc_sysv_self(L), 0, IPC_RMID, 0);
}

static const luaL_Reg sem_methods[] = {
  { "op", m_sem_op },           { "getval", m_sem_getval },
  { "setval", m_sem_setval },   { "getall", m_sem_getall },
  { "setall", m_sem_setall },   { "getncnt", m_sem_getncnt },
  { "getzcnt", m_sem_getzcnt }, { "getpid", m_sem_getpid },
  { "stat", m_sem_stat },       { "remove", m_sem_remove },
  { NULL, NULL }
};

/***
A set of semaphores as an object: gets the set of `key`, creating it (all
at 0) when there is none.
@function sem
@tparam int|string key an integer, or "private" for a new set
@int nsems how many semaphores
@int[opt=0600] mode permission bits; with IPC_EXCL or-ed in, fail (EEXIST) when it exists
@treturn[1] table the set: `.id`, `:op(ops, [timeout])` (semop),
`:getval(n)`, `:setval(n, v)`, `:getall()`, `:setall(t)`, `:getncnt(n)`,
`:getzcnt(n)`, `:getpid(n)`, `:stat()`, `:remove()`; numbers from 0
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local s = ipc.sem("private", 1); s:setval(0, 1); s:op{{0, -1, ipc.SEM_UNDO}}
*/
static int l_sem(lua_State *L) {
  key_t key = uipc_sysv_checkkey(L, 1);
  int id = semget(key, check_nsems(L, 2), IPC_CREAT | uipc_sysv_optmode(L, 3));
  if (id < 0)
    return uipc_fail(L, "semget", NULL);
  return uipc_sysv_newobject(L, id, SEM_MT, sem_methods);
}

static const luaL_Reg funcs[] = {
  { "semget", l_semget }, { "semop", l_semop }, { "semctl", l_semctl },
  { "sem", l_sem },
  { NULL, NULL }
};

int uipc_sysv_sem_open(lua_State *L) {
  uipc_register(L, funcs);
  uipc_sysv_newclass(L, SEM_MT);
  return 0;
}
