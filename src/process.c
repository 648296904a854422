/*
 * process.c — processes: fork, exit, wait, ids and clocks.
 *
 * Waiting for a child goes through wait.c like every blocking call: on a
 * pidfd where the kernel has them (the child's exit makes it readable),
 * else by polling waitpid(WNOHANG) between wake-ups, so a signal handler
 * or ipc.timeout can always break in.
 */

/***
Processes: fork, exit, wait, ids and clocks.
@module unixipc
*/
#include "unixipc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The one exit-status decoder: pushes "exit"|"signal"|"stop"|"continue",
 * code; with `triple`, preceded by true (exit 0) or nil, as Lua's
 * os.execute and io.popen():close() answer. Returns values pushed. */
int uipc_push_status(lua_State *L, int status, int triple) {
  const char *how = "exit";
  int code = 0;
  if (WIFEXITED(status)) {
    code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    how = "signal";
    code = WTERMSIG(status);
  } else if (WIFSTOPPED(status)) {
    how = "stop";
    code = WSTOPSIG(status);
  } else if (WIFCONTINUED(status)) {
    how = "continue";
    code = SIGCONT;
  }
  if (triple) {
    if (*how == 'e' && code == 0)
      lua_pushboolean(L, 1);
    else
      luaL_pushfail(L);
  }
  lua_pushstring(L, how);
  lua_pushinteger(L, code);
  return triple ? 3 : 2;
}

/***
Fork, after flushing C stdio and every handle's pending output. The child
gets an empty signal queue and its own wake-up descriptor.
@function fork
@treturn[1] int the child's pid in the parent, 0 in the child
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_fork(lua_State *L) {
  pid_t pid = uipc_fork(L);
  if (pid < 0)
    return uipc_fail(L, "fork", NULL);
  lua_pushinteger(L, pid);
  return 1;
}

static int exit_code(lua_State *L, int arg) {
  if (lua_isboolean(L, arg))
    return lua_toboolean(L, arg) ? EXIT_SUCCESS : EXIT_FAILURE;
  return (int)luaL_optinteger(L, arg, EXIT_SUCCESS);
}

/***
Flush C stdio and every handle, then exit.
@function exit
@tparam[opt=0] int|boolean code
*/
static int l_exit(lua_State *L) {
  int code = exit_code(L, 1);
  uipc_flush_all(L);
  exit(code);
  return 0;
}

/***
Exit at once, flushing nothing (a forked child's way out).
@function _exit
@tparam[opt=0] int|boolean code
*/
static int l__exit(lua_State *L) {
  _exit(exit_code(L, 1));
  return 0;
}

static int wait_options(lua_State *L, int arg) {
  static const char *const names[] = { "nohang", "untraced", "continued", NULL };
  static const int flags[] = { WNOHANG, WUNTRACED, WCONTINUED };
  if (lua_isnoneornil(L, arg))
    return 0;
  if (lua_type(L, arg) != LUA_TTABLE)
    return flags[luaL_checkoption(L, arg, NULL, names)];
  int opts = 0;
  lua_Integer n = luaL_len(L, arg);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, arg, i);
    const char *s = lua_tostring(L, -1);
    int k = 0;
    while (s != NULL && names[k] != NULL && strcmp(names[k], s) != 0)
      k++;
    if (s == NULL || names[k] == NULL)
      return luaL_argerror(L, arg, lua_pushfstring(L, "invalid option '%s'",
                                                   s ? s : luaL_typename(L, -1)));
    opts |= flags[k];
    lua_pop(L, 1);
  }
  return opts;
}

/* A descriptor that becomes readable when the child exits, or -1. */
static int pidfd_of(pid_t pid) {
#ifdef SYS_pidfd_open
  static int unsupported;  /* older kernels, valgrind: ask once */
  if (unsupported)
    return -1;
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 && errno == ENOSYS)
    unsupported = 1;
  return fd;
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

/* waitpid that blocks only through uipc_poll: the pid reaped (0 = none yet
 * with WNOHANG), or -1 with errno. The pidfd lives in a userdata box so an
 * error raised by a handler cannot leak it. */
static int closefd_gc(lua_State *L) {
  int *fd = (int *)lua_touserdata(L, 1);
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
  return 0;
}

static pid_t wait_child(lua_State *L, pid_t pid, int *status, int opts, double deadline) {
  pid_t r = waitpid(pid, status, opts | WNOHANG);
  if (r != 0 || (opts & WNOHANG))
    return r;
  int *box = lua_newuserdatauv(L, sizeof(int), 0);
  *box = -1;
  lua_newtable(L);
  lua_pushcfunction(L, closefd_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  if (pid > 0 && !(opts & (WUNTRACED | WCONTINUED)))
    *box = pidfd_of(pid);
  double step = 0.001;
  for (;;) {
    if (*box >= 0) {
      if (uipc_wait_fd(L, *box, POLLIN, deadline) == 0)
        break;
    } else {
      double until = uipc_monotime() + step;
      if (deadline >= 0 && until > deadline)
        until = deadline;
      uipc_sleep_until(L, until);
      if (step < 0.05)
        step *= 2;
    }
    r = waitpid(pid, status, opts | WNOHANG);
    if (r != 0 || (deadline >= 0 && uipc_monotime() >= deadline))
      break;
  }
  int err = errno;
  if (*box >= 0)
    close(*box);
  *box = -1;
  lua_pop(L, 1);
  errno = err;
  return r;
}

/***
Wait for a child; interruptible by signals like every blocking call.
@function waitpid
@int pid a child, -1 for any, 0 or -pgid for a group
@param[opt] opts "nohang", "untraced", "continued", or an array of them
@treturn[1] int pid (0 with "nohang" when none is ready)
@treturn[1] string "exit", "signal", "stop" or "continue"
@treturn[1] int exit code or signal number
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_waitpid(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  int opts = wait_options(L, 2);
  int status = 0;
  lua_settop(L, 2);
  pid_t r = wait_child(L, (pid_t)pid, &status, opts, -1);
  if (r < 0)
    return uipc_fail(L, "waitpid", lua_tostring(L, 1));
  lua_pushinteger(L, r);
  if (r == 0)
    return 1;
  return 1 + uipc_push_status(L, status, 0);
}

/***
Wait for any child: `waitpid(-1)`.
@function wait
*/
static int l_wait(lua_State *L) {
  lua_settop(L, 0);
  lua_pushinteger(L, -1);
  return l_waitpid(L);
}

/* ---- ids and sessions ---- */

#define ID_GETTER(name, call) \
  static int l_##name(lua_State *L) { \
    lua_pushinteger(L, (lua_Integer)call()); \
    return 1; \
  }
ID_GETTER(getpid, getpid)
ID_GETTER(getppid, getppid)
ID_GETTER(getpgrp, getpgrp)
ID_GETTER(getuid, getuid)
ID_GETTER(geteuid, geteuid)
ID_GETTER(getgid, getgid)
ID_GETTER(getegid, getegid)
#undef ID_GETTER

static lua_Integer checkid(lua_State *L, int arg) {
  lua_Integer id = luaL_checkinteger(L, arg);
  luaL_argcheck(L, id >= 0 && id <= 0x7fffffff, arg, "invalid id");
  return id;
}

/* setuid(uid) and its kin: true, or nil, msg, errno. */
static int set_id(lua_State *L, int (*set)(unsigned), const char *what) {
  if (set((unsigned)checkid(L, 1)) < 0)
    return uipc_fail(L, what, lua_tostring(L, 1));
  lua_pushboolean(L, 1);
  return 1;
}

static int setuid_(unsigned id) { return setuid((uid_t)id); }
static int setgid_(unsigned id) { return setgid((gid_t)id); }
static int seteuid_(unsigned id) { return seteuid((uid_t)id); }
static int setegid_(unsigned id) { return setegid((gid_t)id); }
static int l_setuid(lua_State *L) { return set_id(L, setuid_, "setuid"); }
static int l_setgid(lua_State *L) { return set_id(L, setgid_, "setgid"); }
static int l_seteuid(lua_State *L) { return set_id(L, seteuid_, "seteuid"); }
static int l_setegid(lua_State *L) { return set_id(L, setegid_, "setegid"); }

/***
Effective user and group ids become the real ones (perlipc's `($>, $)) = ($<, $()`).
@function drop_privileges
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_drop_privileges(lua_State *L) {
  if (setregid(getgid(), getgid()) < 0)
    return uipc_fail(L, "setregid", NULL);
  if (setreuid(getuid(), getuid()) < 0)
    return uipc_fail(L, "setreuid", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/***
Set a process group (setpgid(2)).
@function setpgid
@int[opt=0] pid
@int[opt=0] pgid
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_setpgid(lua_State *L) {
  if (setpgid((pid_t)luaL_optinteger(L, 1, 0), (pid_t)luaL_optinteger(L, 2, 0)) < 0)
    return uipc_fail(L, "setpgid", NULL);
  lua_pushboolean(L, 1);
  return 1;
}

/***
Start a new session.
@function setsid
@treturn[1] int the session id
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_setsid(lua_State *L) {
  pid_t sid = setsid();
  if (sid < 0)
    return uipc_fail(L, "setsid", NULL);
  lua_pushinteger(L, sid);
  return 1;
}

/***
Set or read the file mode creation mask.
@function umask
@int[opt] mask without it, only reads
@treturn int the previous mask
*/
static int l_umask(lua_State *L) {
  mode_t old;
  if (lua_isnoneornil(L, 1)) {
    old = umask(022);
    umask(old);
  } else {
    lua_Integer m = luaL_checkinteger(L, 1);
    luaL_argcheck(L, m >= 0 && m <= 0777, 1, "mode out of range");
    old = umask((mode_t)m);
  }
  lua_pushinteger(L, old);
  return 1;
}

/***
Change the working directory.
@function chdir
@string dir
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int l_chdir(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  if (chdir(dir) < 0)
    return uipc_fail(L, "chdir", dir);
  lua_pushboolean(L, 1);
  return 1;
}

/***
The host's name.
@function hostname
@treturn string
*/
static int l_hostname(lua_State *L) {
  char name[256];
  if (gethostname(name, sizeof name) < 0)
    return uipc_fail(L, "gethostname", NULL);
  name[sizeof name - 1] = '\0';
  lua_pushstring(L, name);
  return 1;
}

/***
Seconds on CLOCK_MONOTONIC, for deadlines and timing.
@function monotime
@treturn number
*/
static int l_monotime(lua_State *L) {
  lua_pushnumber(L, uipc_monotime());
  return 1;
}

/***
The wall clock in seconds, with sub-second precision.
@function time
@treturn number
*/
static int l_time(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
  return 1;
}

static const luaL_Reg funcs[] = {
  { "fork", l_fork },       { "exit", l_exit },     { "_exit", l__exit },
  { "waitpid", l_waitpid }, { "wait", l_wait },
  { "getpid", l_getpid },   { "getppid", l_getppid },   { "getpgrp", l_getpgrp },
  { "getuid", l_getuid },   { "geteuid", l_geteuid },   { "getgid", l_getgid },
  { "getegid", l_getegid }, { "setuid", l_setuid },     { "setgid", l_setgid },
  { "seteuid", l_seteuid }, { "setegid", l_setegid },   { "setpgid", l_setpgid },
  { "setsid", l_setsid },   { "umask", l_umask },       { "chdir", l_chdir },
  { "hostname", l_hostname }, { "drop_privileges", l_drop_privileges },
  { "monotime", l_monotime }, { "time", l_time },
  { NULL, NULL }
};

int uipc_process_open(lua_State *L) {
  uipc_register(L, funcs);
  return 0;
}
