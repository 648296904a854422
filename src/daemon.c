/*
 * daemon.c — perlipc's "Complete Dissociation of Child from Parent".
 *
 * The original process forks; the child starts a new session (it cannot
 * be a process group leader, which is why the fork comes first) and forks
 * again, so the daemon is not a session leader and can never acquire a
 * controlling terminal by opening one. The daemon puts its stdio on
 * /dev/null, writes the pidfile, changes directory and umask, then reports
 * through a pipe: its pid, or the step that failed and errno. The original
 * waits for that report, so when it exits (or returns, with keep_parent)
 * the daemon is ready and its pidfile in place, and a failure is returned
 * as nil, msg, errno instead of vanishing with a daemon nobody sees.
 */

/***
Daemons: perlipc's complete dissociation of a child from its parent.
@module unixipc
*/
#include "unixipc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  const char *dir;      /* NULL: stay where we are */
  const char *stdio;    /* NULL: keep stdin, stdout, stderr */
  const char *pidfile;  /* NULL: none */
  int umask;            /* -1: leave it */
  int keep_parent;
} daemon_opts;

/* The steps that can fail, in the order they are taken. */
enum { STEP_NONE, STEP_SETSID, STEP_FORK, STEP_STDIN, STEP_STDOUT, STEP_PIDFILE,
       STEP_PIDWRITE, STEP_CHDIR };

/* What the daemon (or the session leader, if it failed) tells the original. */
typedef struct {
  int err;    /* 0: the daemon is ready */
  int step;   /* STEP_* that failed */
  pid_t pid;  /* the daemon's */
} daemon_report;

/* A string field of the options: absent gives `def`, false gives NULL.
 * The value stays on the stack, which keeps the string alive even if a
 * signal handler changes the table while daemonize waits. */
static const char *opt_string(lua_State *L, const char *field, const char *def) {
  int t = lua_getfield(L, 1, field);
  const char *s = def;
  if (t == LUA_TSTRING) {
    uipc_check_nonul(L, -1, 1, field);
    s = lua_tostring(L, -1);
  }
  else if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
    s = NULL;
  else if (t != LUA_TNIL)
    luaL_argerror(L, 1, lua_pushfstring(L, "field '%s' must be a string or false", field));
  return s;
}

static void check_opts(lua_State *L, daemon_opts *o) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  o->dir = opt_string(L, "chdir", "/");
  o->stdio = opt_string(L, "stdio", "/dev/null");
  o->pidfile = opt_string(L, "pidfile", NULL);
  o->umask = -1;
  if (lua_getfield(L, 1, "umask") != LUA_TNIL) {
    int isint;
    lua_Integer m = lua_tointegerx(L, -1, &isint);
    luaL_argcheck(L, isint && m >= 0 && m <= 0777, 1, "field 'umask' must be a mode (0 to 0777)");
    o->umask = (int)m;
  }
  lua_getfield(L, 1, "keep_parent");
  o->keep_parent = lua_toboolean(L, -1);
  lua_pop(L, 2);
}

/* Send the report; the pipe is tiny and empty, so the write is whole. */
static void report(int fd, int err, int step) {
  daemon_report r = { err, step, getpid() };
  ssize_t n;
  do
    n = write(fd, &r, sizeof r);
  while (n < 0 && errno == EINTR);
}

/* Point descriptor `target` at `path`; 0 or -1 with errno. */
static int reopen(const char *path, int flags, int target) {
  int fd = open(path, flags | O_CLOEXEC, 0666);
  if (fd < 0)
    return -1;
  int r = dup2(fd, target);  /* dup2 clears close-on-exec on the target */
  int err = errno;
  close(fd);
  errno = err;
  return r < 0 ? -1 : 0;
}

/* Write "pid\n" to the pidfile: STEP_NONE, or the failed step with errno set. */
static int write_pidfile(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return STEP_PIDFILE;
  char text[32];
  int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
  ssize_t n = write(fd, text, (size_t)len);
  int err = n < 0 ? errno : EIO;  /* a short write to a full disk */
  close(fd);
  errno = err;
  return n == len ? STEP_NONE : STEP_PIDWRITE;
}

/* The daemon's own setup: STEP_NONE when ready, else the failed step (errno set).
 * Relative paths (stdio, pidfile) are taken from where the program was
 * started, so the chdir comes last. */
static int settle(const daemon_opts *o) {
  if (o->stdio != NULL) {
    if (reopen("/dev/null", O_RDONLY, 0) < 0)
      return STEP_STDIN;
    if (reopen(o->stdio, O_WRONLY | O_CREAT | O_APPEND, 1) < 0 || dup2(1, 2) < 0)
      return STEP_STDOUT;
  }
  if (o->pidfile != NULL) {
    int step = write_pidfile(o->pidfile);
    if (step)
      return step;
  }
  if (o->dir != NULL && chdir(o->dir) < 0)
    return STEP_CHDIR;
  if (o->umask >= 0)
    umask((mode_t)o->umask);
  return STEP_NONE;
}

/* The first child: a new session, then the daemon; never returns but in
 * the daemon, where it returns once the daemon is ready. */
static void become_daemon(lua_State *L, const daemon_opts *o, int fd) {
  if (setsid() < 0) {
    report(fd, errno, STEP_SETSID);
    _exit(EXIT_FAILURE);
  }
  pid_t pid = uipc_fork(L);
  if (pid != 0) {
    if (pid < 0)
      report(fd, errno, STEP_FORK);
    _exit(pid < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
  }
  int step = settle(o);
  report(fd, step ? errno : 0, step);
  close(fd);
  if (step)
    _exit(EXIT_FAILURE);
}

/* The first child forks and exits at once, so this wait is short; it is
 * made before anything that a signal handler could abort, so no zombie
 * is left behind whatever happens next. */
static void reap_session_leader(pid_t pid) {
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* Read the report through the handle at `idx` (which owns the read end):
 * 1 when one came, 0 if the daemon vanished first. Handlers run while it
 * waits; one that raises leaves the handle to close the descriptor. */
static int read_report(lua_State *L, uipc_handle *h, daemon_report *r) {
  for (;;) {
    if (uipc_wait_fd(L, h->fd, POLLIN, -1) < 0)
      return 0;
    ssize_t n = read(h->fd, r, sizeof *r);
    if (n == (ssize_t)sizeof *r)
      return 1;
    if (n >= 0 || errno != EINTR)
      return 0;
  }
}

static void close_handle(lua_State *L, int idx) {
  lua_getfield(L, idx, "close");
  lua_pushvalue(L, idx);
  lua_call(L, 1, 0);
}

/* nil, "<op> <target>: strerror", errno for a step the daemon failed. */
static int fail_step(lua_State *L, const daemon_opts *o, const daemon_report *r) {
  switch (r->step) {
    case STEP_SETSID: return uipc_fail_errno(L, r->err, "setsid", NULL);
    case STEP_FORK: return uipc_fail_errno(L, r->err, "fork", NULL);
    case STEP_STDIN: return uipc_fail_errno(L, r->err, "open", "/dev/null");
    case STEP_STDOUT: return uipc_fail_errno(L, r->err, "open", o->stdio);
    case STEP_PIDFILE: return uipc_fail_errno(L, r->err, "open", o->pidfile);
    case STEP_PIDWRITE: return uipc_fail_errno(L, r->err, "write", o->pidfile);
    default: return uipc_fail_errno(L, r->err, "chdir", o->dir);
  }
}

/***
Become a daemon, as perlipc's "Complete Dissociation of Child from Parent"
does it, forking twice so that the daemon is not a session leader: fork,
setsid, fork, stdin from /dev/null, stdout and stderr to `stdio`, the
pidfile written with the daemon's pid (relative paths are taken from the
starting directory), chdir and umask. The original
process waits until all that is done, then exits 0 (flushing first), or
with `keep_parent` returns the daemon's pid (the daemon is not its child:
it cannot wait for it). C stdio and handles are flushed before the fork.
@function daemonize
@tparam[opt] table opts
`chdir` (default "/", false stays),
`umask` (an integer; default unchanged),
`stdio` (where stdout and stderr go, appended; default "/dev/null", false
keeps all three),
`pidfile` (a path; default none),
`keep_parent` (default false)
@treturn[1] int 0 in the daemon; the daemon's pid in the original with `keep_parent`
@return[2] nil (in the original process: the daemon could not be made ready and is gone)
@treturn[2] string message, e.g. "chdir /srv: No such file or directory"
@treturn[2] int errno
@usage ipc.daemonize{pidfile = "/run/user/1000/myd.pid", umask = 0}
-- from here on, the daemon
*/
static int l_daemonize(lua_State *L) {
  daemon_opts o;
  check_opts(L, &o);
  fflush(NULL);
  uipc_flush_all(L);  /* may wait and raise: done before any descriptor exists */
  uipc_handle *h = uipc_handle_new(L);
  int idx = lua_gettop(L);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return uipc_fail(L, "pipe", NULL);
  uipc_handle_attach(h, fds[0], NULL);
  pid_t pid = uipc_fork(L);
  int err = errno;
  if (pid == 0) {
    close_handle(L, idx);
    become_daemon(L, &o, fds[1]);
    lua_pushinteger(L, 0);
    return 1;
  }
  close(fds[1]);
  if (pid < 0) {
    close_handle(L, idx);
    return uipc_fail_errno(L, err, "fork", NULL);
  }
  reap_session_leader(pid);
  daemon_report r;
  int reported = read_report(L, h, &r);
  close_handle(L, idx);
  if (!reported)
    return uipc_fail_errno(L, ECHILD, "daemonize", NULL);
  if (r.err != 0)
    return fail_step(L, &o, &r);
  if (!o.keep_parent) {
    uipc_flush_all(L);
    exit(EXIT_SUCCESS);
  }
  lua_pushinteger(L, r.pid);
  return 1;
}

static const luaL_Reg funcs[] = {
  { "daemonize", l_daemonize },
  { NULL, NULL }
};

int uipc_daemon_open(lua_State *L) {
  uipc_register(L, funcs);
  return 0;
}
