/*
 * sysv.c — SysV IPC: what the three kinds share, the constants, ftok, and
 * shared memory. Message queues are in sysv_msg.c, semaphores in sysv_sem.c.
 *
 * perlfunc's low-level functions without pack strings: ids are integers,
 * stat structures are tables, a semop is an array of {num, op, flags}
 * triples and a message is its type and its text. The objects ipc.shm,
 * ipc.sem and ipc.msg are tables {id = n} whose methods are these same
 * functions with the object's id put in place of self, so an argument
 * error names the method and counts the arguments as the caller wrote them.
 */

/***
SysV IPC: shared memory, semaphores and message queues (perlfunc's
shmget/semget/msgget family, without pack strings).
@module unixipc
*/
#include "unixipc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

/* ---- what the three kinds share ---- */

key_t uipc_sysv_checkkey(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TSTRING) {
    const char *s = lua_tostring(L, arg);
    if (strcmp(s, "private") != 0)
      luaL_argerror(L, arg, lua_pushfstring(L, "integer key or \"private\" expected, got '%s'", s));
    return IPC_PRIVATE;
  }
  lua_Integer k = luaL_checkinteger(L, arg);
  /* ftok's keys are 32 bits: accept them as signed or unsigned numbers */
  luaL_argcheck(L, k >= INT32_MIN && k <= (lua_Integer)UINT32_MAX, arg, "key out of range");
  return (key_t)(int32_t)(uint32_t)k;
}

int uipc_sysv_checkid(lua_State *L, int arg) {
  lua_Integer id = luaL_checkinteger(L, arg);
  luaL_argcheck(L, id >= 0 && id <= INT_MAX, arg, "invalid id");
  return (int)id;
}

int uipc_sysv_checkint(lua_State *L, int arg, lua_Integer lo, lua_Integer hi,
                       const char *what) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < lo || v > hi)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s out of range", what));
  return (int)v;
}

size_t uipc_sysv_checkextent(lua_State *L, int arg, const char *what) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < 0)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s must not be negative", what));
  return (size_t)v;
}

int uipc_sysv_optflags(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg))
    return 0;
  return uipc_sysv_checkint(L, arg, 0, INT_MAX, "flags");
}

int uipc_sysv_optmsgflags(lua_State *L, int arg) {
  if (lua_type(L, arg) != LUA_TSTRING)
    return uipc_sysv_optflags(L, arg);
  const char *s = lua_tostring(L, arg);
  if (strcmp(s, "nowait") == 0)
    return IPC_NOWAIT;
  if (strcmp(s, "noerror") == 0)
    return MSG_NOERROR;
  return luaL_argerror(L, arg, lua_pushfstring(L, "unknown flag '%s' (\"nowait\" or \"noerror\")", s));
}

static const struct { const char *name, *brief; int cmd; } commands[] = {
  { "IPC_STAT", "stat", IPC_STAT }, { "IPC_SET", "set", IPC_SET },
  { "IPC_RMID", "rmid", IPC_RMID }, { "GETVAL", "getval", GETVAL },
  { "SETVAL", "setval", SETVAL },   { "GETALL", "getall", GETALL },
  { "SETALL", "setall", SETALL },   { "GETNCNT", "getncnt", GETNCNT },
  { "GETZCNT", "getzcnt", GETZCNT }, { "GETPID", "getpid", GETPID },
};

/* Whether cmd is one of the first n of `commands` (the ones a function takes). */
static int command_known(int cmd, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (commands[i].cmd == cmd)
      return 1;
  return 0;
}

int uipc_sysv_checkcmd(lua_State *L, int arg, int sem) {
  size_t n = sem ? sizeof commands / sizeof commands[0] : 3;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Integer cmd = luaL_checkinteger(L, arg);
    if (cmd < INT_MIN || cmd > INT_MAX || !command_known((int)cmd, n))
      luaL_argerror(L, arg, lua_pushfstring(L, "unknown command %I", cmd));
    return (int)cmd;
  }
  const char *s = luaL_checkstring(L, arg);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s, commands[i].name) == 0 || strcmp(s, commands[i].brief) == 0)
      return commands[i].cmd;
  return luaL_argerror(L, arg, lua_pushfstring(L, "unknown command '%s'", s));
}

void uipc_sysv_setfield(lua_State *L, const char *field, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, field);
}

void uipc_sysv_pushperm(lua_State *L, const struct ipc_perm *perm, time_t ctime) {
  lua_createtable(L, 0, 12);
  uipc_sysv_setfield(L, "key", (lua_Integer)(uint32_t)perm->__key);
  uipc_sysv_setfield(L, "uid", perm->uid);
  uipc_sysv_setfield(L, "gid", perm->gid);
  uipc_sysv_setfield(L, "cuid", perm->cuid);
  uipc_sysv_setfield(L, "cgid", perm->cgid);
  uipc_sysv_setfield(L, "mode", perm->mode & 0777);
  uipc_sysv_setfield(L, "ctime", (lua_Integer)ctime);
}

int uipc_sysv_optfield(lua_State *L, int arg, const char *field, lua_Integer hi,
                       unsigned long *out) {
  int t = lua_getfield(L, arg, field);
  int isint = 0;
  lua_Integer v = lua_tointegerx(L, -1, &isint);
  lua_pop(L, 1);
  if (t == LUA_TNIL)
    return 0;
  if (!isint || v < 0 || v > hi)
    luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must be an integer in 0..%I", field, hi));
  *out = (unsigned long)v;
  return 1;
}

void uipc_sysv_checkset(lua_State *L, int arg, struct ipc_perm *perm) {
  luaL_checktype(L, arg, LUA_TTABLE);
  unsigned long v;
  if (uipc_sysv_optfield(L, arg, "uid", UINT32_MAX - 1, &v))
    perm->uid = (uid_t)v;
  if (uipc_sysv_optfield(L, arg, "gid", UINT32_MAX - 1, &v))
    perm->gid = (gid_t)v;
  if (uipc_sysv_optfield(L, arg, "mode", 0777, &v))
    perm->mode = (unsigned short)((perm->mode & ~0777u) | v);
}

int uipc_sysv_fail(lua_State *L, long r, const char *what, int id) {
  int err = errno;
  if (r == UIPC_SYSV_TIMEOUT)
    return uipc_fail_timeout(L);
  char target[16];
  snprintf(target, sizeof target, "%d", id);
  return uipc_fail_errno(L, err, what, target);
}

long uipc_sysv_blocking(lua_State *L, double deadline, uipc_sysv_attempt attempt,
                        void *ctx, int try_first) {
  /* with a deadline too: a timeout of 0 still takes what is there. A
   * semtimedop with a zero timeout may still be interrupted (EINTR): like
   * "would wait", that goes to the loop, which runs the handlers and ends
   * at the deadline; EINTR never reaches Lua. */
  if (try_first || deadline >= 0) {
    long r = attempt(ctx, 1);
    if (r >= 0 || (errno != EAGAIN && errno != ENOMSG && errno != EINTR))  /* ENOMSG: msgrcv */
      return r;
  }
  for (;;) {
    int go = uipc_call_begin(L, deadline);
    if (go == 0)
      return UIPC_SYSV_TIMEOUT;
    if (go < 0)
      return -1;
    long r = attempt(ctx, 0);
    int err = errno;
    uipc_call_end();
    /* never restarted by the kernel (signal(7)): the handlers ran in
     * uipc_call_begin, go round again */
    if (r >= 0 || err != EINTR) {
      errno = err;
      return r;
    }
  }
}

int uipc_sysv_true(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

/* ---- objects: ipc.shm, ipc.sem, ipc.msg ---- */

/* "unixipc.msg (id 5)" */
static int object_tostring(lua_State *L) {
  luaL_getmetafield(L, 1, "__name");
  lua_getfield(L, 1, "id");
  const char *id = luaL_tolstring(L, -1, NULL);
  lua_pushfstring(L, "%s (id %s)", lua_tostring(L, -3), id);
  return 1;
}

void uipc_sysv_newclass(lua_State *L, const char *mt) {
  luaL_newmetatable(L, mt);
  lua_pushcfunction(L, object_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

/* The methods are closures bound to their object, with two upvalues: the
 * id, so a call costs no lookup, and the object, to check self against. */
int uipc_sysv_newobject(lua_State *L, int id, const char *mt, const luaL_Reg *methods) {
  lua_createtable(L, 0, 12);
  lua_pushinteger(L, id);
  lua_setfield(L, -2, "id");
  for (; methods->name != NULL; methods++) {
    lua_pushinteger(L, id);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, methods->func, 2);
    lua_setfield(L, -2, methods->name);
  }
  luaL_setmetatable(L, mt);
  return 1;
}

static int bad_self(lua_State *L) {
  luaL_getmetafield(L, lua_upvalueindex(2), "__name");
  const char *kind = lua_tostring(L, -1);
  if (lua_getmetatable(L, 1) && lua_getmetatable(L, lua_upvalueindex(2)) &&
      lua_rawequal(L, -1, -2))
    return luaL_argerror(L, 1, lua_pushfstring(L, "a method of another %s", kind));
  return luaL_typeerror(L, 1, kind);
}

int uipc_sysv_self(lua_State *L) {
  if (lua_topointer(L, 1) != lua_topointer(L, lua_upvalueindex(2)))
    bad_self(L);
  return (int)lua_tointeger(L, lua_upvalueindex(1));
}

int uipc_sysv_optmode(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg))
    return S_IRUSR | S_IWUSR;
  return uipc_sysv_checkint(L, arg, 0, INT_MAX, "mode");
}

/* ---- constants and ftok ---- */

static const struct { const char *name; lua_Integer value; } constants[] = {
#define C(x) { #x, x },
  C(IPC_PRIVATE) C(IPC_CREAT) C(IPC_EXCL) C(IPC_NOWAIT) C(IPC_RMID) C(IPC_SET)
  C(IPC_STAT) C(SEM_UNDO) C(MSG_NOERROR) C(GETVAL) C(SETVAL) C(GETALL)
  C(SETALL) C(GETNCNT) C(GETZCNT) C(GETPID) C(S_IRUSR) C(S_IWUSR) C(S_IRGRP)
  C(S_IWGRP) C(S_IROTH) C(S_IWOTH)
#undef C
};

/***
A key for msgget, semget and shmget derived from an existing file and a
project id (ftok(3)).
@function ftok
@string path an existing file
@tparam[opt=1] int|string id 1..255, or a one-character string
@treturn[1] int the key
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local q = ipc.msg(ipc.ftok("/etc/passwd", "Q"))
*/
static int l_ftok(lua_State *L) {
  const char *path = uipc_checkpath(L, 1);
  int id = 1;
  if (lua_type(L, 2) == LUA_TSTRING) {
    size_t len;
    const char *s = lua_tolstring(L, 2, &len);
    luaL_argcheck(L, len == 1, 2, "one character expected");
    id = (unsigned char)s[0];
  } else if (!lua_isnoneornil(L, 2)) {
    id = uipc_sysv_checkint(L, 2, 1, 255, "id");
  }
  luaL_argcheck(L, id != 0, 2, "id must not be zero");
  key_t key = ftok(path, id);
  if (key == (key_t)-1)
    return uipc_fail(L, "ftok", path);
  lua_pushinteger(L, (lua_Integer)(uint32_t)key);
  return 1;
}

/* ---- shared memory ---- */

/* A segment's size (IPC_STAT), or -1 with errno. */
static long shm_size(int id) {
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) < 0)
    return -1;
  return (long)ds.shm_segsz;
}

/***
Get or create a shared memory segment (shmget(2)).
@function shmget
@tparam int|string key an integer, or "private" (IPC_PRIVATE)
@int size bytes (0 to get an existing segment)
@int[opt=0] flags permission bits and IPC_CREAT, IPC_EXCL
@treturn[1] int the segment's id
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local id = ipc.shmget("private", 2000, ipc.S_IRUSR | ipc.S_IWUSR)
*/
static int l_shmget(lua_State *L) {
  key_t key = uipc_sysv_checkkey(L, 1);
  size_t size = uipc_sysv_checkextent(L, 2, "size");
  int id = shmget(key, size, uipc_sysv_optflags(L, 3));
  if (id < 0)
    return uipc_fail(L, "shmget", NULL);
  lua_pushinteger(L, id);
  return 1;
}

/* Whether [pos, pos + size) lies in segment id; sets errno (EFAULT past
 * the end, as Perl answers) when not. */
static int shm_fits(int id, size_t pos, size_t size) {
  long segsz = shm_size(id);
  if (segsz < 0)
    return 0;
  if (pos > (size_t)segsz || size > (size_t)segsz - pos) {
    errno = EFAULT;
    return 0;
  }
  return 1;
}

/* shmread with the id given; the other arguments from 2 on. */
static int shmread_on(lua_State *L, int id) {
  size_t pos = uipc_sysv_checkextent(L, 2, "position");
  size_t size = uipc_sysv_checkextent(L, 3, "size");
  if (!shm_fits(id, pos, size))
    return uipc_sysv_fail(L, -1, "shmread", id);
  luaL_Buffer b;
  char *dst = luaL_buffinitsize(L, &b, size);  /* allocate before attaching */
  void *seg = shmat(id, NULL, SHM_RDONLY);
  if (seg == (void *)-1)
    return uipc_sysv_fail(L, -1, "shmat", id);
  memcpy(dst, (char *)seg + pos, size);
  shmdt(seg);
  luaL_pushresultsize(&b, size);
  return 1;
}

/***
Read `size` bytes at `pos` of a segment (Perl's shmread, returning the data).
The segment is attached for the copy only.
@function shmread
@int id
@int pos offset from 0
@int size bytes
@treturn[1] string exactly `size` bytes (unwritten bytes are NULs)
@return[2] nil (EFAULT when the range passes the segment's end)
@treturn[2] string message
@treturn[2] int errno
*/
static int l_shmread(lua_State *L) {
  return shmread_on(L, uipc_sysv_checkid(L, 1));
}

/* shmwrite with the id given; the other arguments from 2 on. */
static int shmwrite_on(lua_State *L, int id) {
  size_t len;
  const char *str = luaL_checklstring(L, 2, &len);
  size_t pos = uipc_sysv_checkextent(L, 3, "position");
  size_t size = lua_isnoneornil(L, 4) ? len : uipc_sysv_checkextent(L, 4, "size");
  if (!shm_fits(id, pos, size))
    return uipc_sysv_fail(L, -1, "shmwrite", id);
  void *seg = shmat(id, NULL, 0);
  if (seg == (void *)-1)
    return uipc_sysv_fail(L, -1, "shmat", id);
  size_t n = len < size ? len : size;
  memcpy((char *)seg + pos, str, n);
  memset((char *)seg + pos + n, 0, size - n);
  shmdt(seg);
  return uipc_sysv_true(L);
}

/***
Write a string into a segment at `pos` (Perl's shmwrite): a longer string
is cut to `size` bytes, a shorter one padded with NULs to `size`.
@function shmwrite
@int id
@string str
@int pos offset from 0
@int[opt=#str] size bytes written
@treturn[1] boolean true
@return[2] nil (EFAULT when the range passes the segment's end)
@treturn[2] string message
@treturn[2] int errno
*/
static int l_shmwrite(lua_State *L) {
  return shmwrite_on(L, uipc_sysv_checkid(L, 1));
}

static int shm_pushstat(lua_State *L, const struct shmid_ds *ds) {
  uipc_sysv_pushperm(L, &ds->shm_perm, ds->shm_ctime);
  uipc_sysv_setfield(L, "segsz", (lua_Integer)ds->shm_segsz);
  uipc_sysv_setfield(L, "size", (lua_Integer)ds->shm_segsz);
  uipc_sysv_setfield(L, "nattch", (lua_Integer)ds->shm_nattch);
  uipc_sysv_setfield(L, "cpid", ds->shm_cpid);
  uipc_sysv_setfield(L, "lpid", ds->shm_lpid);
  uipc_sysv_setfield(L, "atime", (lua_Integer)ds->shm_atime);
  uipc_sysv_setfield(L, "dtime", (lua_Integer)ds->shm_dtime);
  return 1;
}

/* shmctl with the IPC_SET table (if any) at argi. */
static int shm_ctl(lua_State *L, int id, int cmd, int argi) {
  struct shmid_ds ds;
  memset(&ds, 0, sizeof ds);
  if (cmd == IPC_SET) {
    luaL_checktype(L, argi, LUA_TTABLE);
    if (shmctl(id, IPC_STAT, &ds) < 0)
      return uipc_sysv_fail(L, -1, "shmctl", id);
    uipc_sysv_checkset(L, argi, &ds.shm_perm);
  }
  if (shmctl(id, cmd, &ds) < 0)
    return uipc_sysv_fail(L, -1, "shmctl", id);
  return cmd == IPC_STAT ? shm_pushstat(L, &ds) : uipc_sysv_true(L);
}

/***
Control a segment (shmctl(2)).
@function shmctl
@int id
@tparam int|string cmd IPC_STAT, IPC_SET or IPC_RMID (also by name: "IPC_STAT" or "stat")
@tparam[opt] table arg for IPC_SET: any of `uid`, `gid`, `mode`
@treturn[1] table|boolean IPC_STAT: `{key, uid, gid, cuid, cgid, mode, segsz, size, nattch, cpid, lpid, atime, dtime, ctime}`; else true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage ipc.shmctl(id, ipc.IPC_RMID)
*/
static int l_shmctl(lua_State *L) {
  int id = uipc_sysv_checkid(L, 1);
  return shm_ctl(L, id, uipc_sysv_checkcmd(L, 2, 0), 3);
}

#define SHM_MT "unixipc.shm"

/* seg:read(pos, len) and seg:write(str, pos) are shmread and shmwrite. */
static int m_shm_read(lua_State *L) {
  return shmread_on(L, uipc_sysv_self(L));
}

static int m_shm_write(lua_State *L) {
  lua_settop(L, 3);  /* the size is the string's */
  return shmwrite_on(L, uipc_sysv_self(L));
}

static int m_shm_stat(lua_State *L) {
  return shm_ctl(L, uipc_sysv_self(L), IPC_STAT, 0);
}

static int m_shm_remove(lua_State *L) {
  return shm_ctl(L, uipc_sysv_self(L), IPC_RMID, 0);
}

static const luaL_Reg shm_methods[] = {
  { "read", m_shm_read }, { "write", m_shm_write },
  { "stat", m_shm_stat }, { "remove", m_shm_remove },
  { NULL, NULL }
};

/***
A shared memory segment as an object: gets the segment of `key`, creating
it when there is none.
@function shm
@tparam int|string key an integer, or "private" for a new segment
@int size bytes
@int[opt=0600] mode permission bits; with IPC_EXCL or-ed in, fail (EEXIST) when it exists
@treturn[1] table the segment: `.id`, `.size` (the segment's real size),
`:read(pos, len)`, `:write(str, pos)`, `:stat()`, `:remove()`
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage local seg = ipc.shm("private", 4096); seg:write("hello", 0)
*/
static int l_shm(lua_State *L) {
  key_t key = uipc_sysv_checkkey(L, 1);
  size_t size = uipc_sysv_checkextent(L, 2, "size");
  int id = shmget(key, size, IPC_CREAT | uipc_sysv_optmode(L, 3));
  if (id < 0)
    return uipc_fail(L, "shmget", NULL);
  long segsz = shm_size(id);
  if (segsz < 0)
    return uipc_sysv_fail(L, -1, "shmctl", id);
  uipc_sysv_newobject(L, id, SHM_MT, shm_methods);
  lua_pushinteger(L, segsz);
  lua_setfield(L, -2, "size");
  return 1;
}

static const luaL_Reg funcs[] = {
  { "ftok", l_ftok },         { "shmget", l_shmget }, { "shmread", l_shmread },
  { "shmwrite", l_shmwrite }, { "shmctl", l_shmctl }, { "shm", l_shm },
  { NULL, NULL }
};

int uipc_sysv_open(lua_State *L) {
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    lua_pushinteger(L, constants[i].value);
    lua_setfield(L, -2, constants[i].name);
  }
  uipc_register(L, funcs);
  uipc_sysv_newclass(L, SHM_MT);
  uipc_sysv_msg_open(L);
  uipc_sysv_sem_open(L);
  return 0;
}
