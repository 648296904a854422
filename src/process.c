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
  /* not in the status cache: a bare child has no object to ask for its
   * status later, and a forking server reaping with waitpid(-1) would
   * grow the cache by one entry per child */
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
  if (luaL_newmetatable(L, "unixipc.fdbox")) {
    lua_pushcfunction(L, closefd_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, closefd_gc);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, -2);
  lua_toclose(L, -1);  /* an error raised by a handler closes it at once */
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

/* ---- the status cache ---- */

/* Registry table: pid -> true (started, owner waiting), false (started,
 * owner gone) or the status reaped for it by someone else. Field 0 holds
 * the pid of the process it belongs to: a forked child starts afresh. */
static int started_key;

static int started_table(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &started_key) == LUA_TTABLE) {
    lua_rawgeti(L, -1, 0);
    int mine = lua_tointeger(L, -1) == getpid();
    lua_pop(L, 1);
    if (mine)
      return lua_gettop(L);
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushinteger(L, getpid());
  lua_rawseti(L, -2, 0);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &started_key);
  return lua_gettop(L);
}

/* Reap, without waiting, the orphans of table t that have ended (or that
 * someone else reaped: ECHILD). */
static void reap_orphans(lua_State *L, int t) {
  int err = errno;
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
      pid_t pid = (pid_t)lua_tointeger(L, -2), r;
      int status;
      while ((r = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR)
        ;
      if (r == pid || (r < 0 && errno == ECHILD)) {
        lua_pushvalue(L, -2);
        lua_pushnil(L);
        lua_rawset(L, t);  /* clearing a field is allowed during lua_next */
      }
    }
    lua_pop(L, 1);
  }
  errno = err;
}

void uipc_child_started(lua_State *L, pid_t pid) {
  int t = started_table(L);
  reap_orphans(L, t);
  lua_pushboolean(L, 1);
  lua_rawseti(L, t, pid);
  lua_pop(L, 1);
}

void uipc_child_orphaned(lua_State *L, pid_t pid) {
  int t = started_table(L);
  int type = lua_rawgeti(L, t, pid);
  lua_pop(L, 1);
  if (type == LUA_TBOOLEAN)
    lua_pushboolean(L, 0);
  else
    lua_pushnil(L);  /* a kept status nobody will ask for */
  lua_rawseti(L, t, pid);
  lua_pop(L, 1);
}

/* Someone reaped `pid` with `status`: keep it if unixipc started it and
 * its owner may still ask. */
static void status_reaped(lua_State *L, pid_t pid, int status) {
  int t = started_table(L);
  int type = lua_rawgeti(L, t, pid);
  int owned = type == LUA_TBOOLEAN && lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (type != LUA_TNIL) {
    if (owned)
      lua_pushinteger(L, status);
    else
      lua_pushnil(L);
    lua_rawseti(L, t, pid);
  }
  lua_pop(L, 1);
}

/* A status kept for `pid`, taken out of the cache: 1 if there was one. */
static int status_take(lua_State *L, pid_t pid, int *status) {
  int t = started_table(L);
  int found = lua_rawgeti(L, t, pid) == LUA_TNUMBER;
  if (found) {
    *status = (int)lua_tointeger(L, -1);
    lua_pushnil(L);
    lua_rawseti(L, t, pid);
  }
  lua_pop(L, 2);
  return found;
}

static void status_forget(lua_State *L, pid_t pid) {
  int t = started_table(L);
  lua_pushnil(L);
  lua_rawseti(L, t, pid);
  lua_pop(L, 1);
}

int uipc_child_wait(lua_State *L, pid_t pid, int *status, int nohang, double deadline) {
  if (status_take(L, pid, status))
    return 1;
  pid_t r = wait_child(L, pid, status, nohang ? WNOHANG : 0, deadline);
  if (r > 0) {
    status_forget(L, pid);
    return 1;
  }
  if (r == 0)
    return 0;
  int err = errno;  /* ECHILD: a handler may have reaped it while we waited */
  if (err == ECHILD && status_take(L, pid, status))
    return 1;
  errno = err;
  return -1;
}

/***
Wait for a child; interruptible by signals like every blocking call. A
child of unixipc's that someone else reaped (say a CHLD handler calling
`waitpid(-1)`) still reports its status here.
@function waitpid
@int pid a child, -1 for any, 0 or -pgid for a group
@param[opt] opts "nohang", "untraced", "continued", or an array of them
@treturn[1] int pid (0 with "nohang" when none is ready)
@treturn[1] string "exit", "signal", "stop" or "continue"
@treturn[1] int exit code or signal number
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
@usage ipc.SIG.CHLD = function()
  while (ipc.waitpid(-1, "nohang") or 0) > 0 do end
end
*/
static int l_waitpid(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  int opts = wait_options(L, 2);
  int status = 0;
  pid_t r;
  lua_settop(L, 2);
  if (pid > 0 && !(opts & (WUNTRACED | WCONTINUED))) {
    int got = uipc_child_wait(L, (pid_t)pid, &status, opts & WNOHANG, -1);
    r = got > 0 ? (pid_t)pid : got;
  } else {
    r = wait_child(L, (pid_t)pid, &status, opts, -1);
    if (r > 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
      status_reaped(L, r, status);
  }
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
@treturn[1] int pid
@treturn[1] string "exit" or "signal"
@treturn[1] int exit code or signal number
@return[2] nil
@treturn[2] string message (ECHILD when there is no child)
@treturn[2] int errno
*/
static int l_wait(lua_State *L) {
  lua_settop(L, 0);
  lua_pushinteger(L, -1);
  return l_waitpid(L);
}

/* ---- exec ---- */

static void *array_box(lua_State *L, size_t n) {
  char **a = (char **)lua_newuserdatauv(L, (n + 1) * sizeof(char *), 1);
  a[n] = NULL;
  return a;
}

/* envp from the table at idx: "K=V" for string keys, the strings of the
 * array part as they are. Pushes the array box, whose user value keeps
 * the strings. */
static char **check_env(lua_State *L, int idx, int arg) {
  size_t n = 0;
  lua_newtable(L);  /* the "K=V" strings */
  int strings = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, arg, lua_pushfstring(L, "env values must be strings, got %s",
                                            luaL_typename(L, -1)));
    uipc_check_nonul(L, -1, arg, "env value");
    if (lua_type(L, -2) == LUA_TSTRING)
      uipc_check_nonul(L, -2, arg, "env name");
    if (lua_type(L, -2) == LUA_TSTRING)
      lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
    else if (lua_isinteger(L, -2))
      lua_pushvalue(L, -1);
    else
      luaL_argerror(L, arg, "env keys must be names or array indices");
    lua_rawseti(L, strings, (lua_Integer)++n);
    lua_pop(L, 1);
  }
  char **envp = array_box(L, n);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, strings, (lua_Integer)i + 1);
    envp[i] = (char *)lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lua_rotate(L, strings, 1);  /* box below... */
  lua_setiuservalue(L, -2, 1);  /* ...keeps the strings */
  return envp;
}

/* Perl's rule for a command given as one string: a shell when it holds
 * shell metacharacters or starts with a variable assignment, else its
 * words. */
static int has_shell_meta(const char *s) {
  s += strspn(s, " \t");
  size_t first = strcspn(s, " \t\n");
  if ((first == 1 && s[0] == '.') || (first == 4 && strncmp(s, "exec", 4) == 0))
    return 1;  /* shell builtins Perl sends to the shell too */
  return strpbrk(s, "$&*(){}[]'\";\\|?<>~`\n") != NULL || memchr(s, '=', first) != NULL;
}

/* The words of a one-string command, as argv; the strings stay in the
 * box's user value. */
static char **one_string_argv(lua_State *L, int arg, const char *cmd) {
  static const char *const space = " \t\n\r\f\v";
  lua_newtable(L);
  int words = lua_gettop(L), n = 0;
  if (has_shell_meta(cmd)) {
    lua_pushliteral(L, "/bin/sh");
    lua_rawseti(L, words, ++n);
    lua_pushliteral(L, "-c");
    lua_rawseti(L, words, ++n);
    lua_pushstring(L, cmd);
    lua_rawseti(L, words, ++n);
  } else {
    for (const char *p = cmd + strspn(cmd, space); *p; p += strspn(p, space)) {
      size_t len = strcspn(p, space);
      lua_pushlstring(L, p, len);
      lua_rawseti(L, words, ++n);
      p += len;
    }
  }
  luaL_argcheck(L, n > 0, arg, "empty command");
  char **argv = array_box(L, (size_t)n);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, words, i + 1);
    argv[i] = (char *)lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lua_rotate(L, words, 1);
  lua_setiuservalue(L, -2, 1);
  return argv;
}

char **uipc_check_argv(lua_State *L, int idx, int arg, char ***envp) {
  idx = lua_absindex(L, idx);
  lua_Integer n = luaL_len(L, idx);
  luaL_argcheck(L, n >= 1, arg, "empty command");
  luaL_argcheck(L, n < 0x100000, arg, "too many arguments");
  char **argv;
  if (n == 1 && lua_geti(L, idx, 1) == LUA_TSTRING) {
    uipc_check_nonul(L, -1, arg, "command");
    const char *cmd = lua_tostring(L, -1);
    lua_pop(L, 1);
    argv = one_string_argv(L, arg, cmd);
  } else {
    if (n == 1)
      lua_pop(L, 1);
    argv = array_box(L, (size_t)n);
    for (lua_Integer i = 1; i <= n; i++) {
      if (lua_geti(L, idx, i) != LUA_TSTRING)
        luaL_argerror(L, arg, lua_pushfstring(L, "command word %d: string expected, got %s",
                                              (int)i, luaL_typename(L, -1)));
      uipc_check_nonul(L, -1, arg, "command word");
      argv[i - 1] = (char *)lua_tostring(L, -1);  /* kept alive by the table */
      lua_pop(L, 1);
    }
    luaL_argcheck(L, argv[0][0] != '\0', arg, "empty command");
  }
  *envp = NULL;
  if (lua_getfield(L, idx, "env") == LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushnil(L);
  } else {
    luaL_argcheck(L, lua_istable(L, -1), arg, "env must be a table");
    int env = lua_gettop(L);
    *envp = check_env(L, env, arg);
    lua_remove(L, env);
  }
  return argv;
}

/* The arguments at 1..top as a command table. */
static void args_table(lua_State *L) {
  int n = lua_gettop(L);
  lua_createtable(L, n, 0);
  for (int i = 1; i <= n; i++) {
    lua_pushvalue(L, i);
    lua_rawseti(L, -2, i);
  }
}

/***
Replace this process with a program, searching PATH (execvp). Signals
start unblocked in the new program; ignored ones stay ignored.
@function exec
@tparam string|table prog the program, or a table `{prog, arg..., env = {NAME = value}}`
@string ... arguments
@return[1] only on failure: nil
@treturn[1] string message
@treturn[1] int errno
@usage ipc.exec("ls", "-l")   -- or ipc.exec{"env", env = {A = "1"}}
*/
static int l_exec(lua_State *L) {
  if (lua_istable(L, 1)) {
    luaL_argcheck(L, lua_gettop(L) == 1, 2, "no arguments after a command table");
  } else {
    int n = lua_gettop(L);
    luaL_checktype(L, 1, LUA_TSTRING);
    for (int i = 2; i <= n; i++)
      luaL_checktype(L, i, LUA_TSTRING);
    args_table(L);
    lua_replace(L, 1);
    lua_settop(L, 1);
  }
  char **envp;
  char **argv = uipc_check_argv(L, 1, 1, &envp);
  fflush(NULL);
  uipc_flush_all(L);
  sigset_t none, old;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, &old);
  execvpe(argv[0], argv, envp ? envp : environ);
  int err = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  return uipc_fail_errno(L, err, "exec", argv[0]);
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
  const char *dir = uipc_checkpath(L, 1);
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
  { "waitpid", l_waitpid }, { "wait", l_wait },       { "exec", l_exec },
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
