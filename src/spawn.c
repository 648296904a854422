/*
 * spawn.c — starting programs: ipc.spawn and its process objects, the
 * pipe opens ipc.open and ipc.fork_open.
 *
 * A spawn is planned first (every argument checked, every handle created
 * closed), then the descriptors are made, then the child is started by
 * posix_spawn (a vfork: fast even from a big process) or, for what
 * posix_spawn cannot do, by fork and exec with the exec error sent back
 * through a close-on-exec pipe. Either way a program that cannot run is
 * an error of the spawn, and the child sees only the descriptors it was
 * given. pty.c starts its children through the same plan.
 */

/***
Spawning programs: process objects and pipe opens.
@module unixipc
*/
#include "unixipc.h"

#include <pthread.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GRACE 1.0  /* seconds between TERM and KILL when a child is put down */

/* A process object's fields for descriptors 0, 1 and 2. */
static const char *const stream_names[] = { "stdin", "stdout", "stderr" };

/* ---- plans ---- */

/* Descriptors of the plan that the parent closes once the child started. */
static void close_list(uipc_spawn_plan *pl) {
  for (int i = 0; i < pl->nclose; i++)
    close(pl->toclose[i]);
  pl->nclose = 0;
}

int uipc_plan_keep(uipc_spawn_plan *pl, int fd) {
  pl->toclose[pl->nclose++] = fd;
  return fd;
}

void uipc_plan_init(uipc_spawn_plan *pl) {
  memset(pl, 0, sizeof *pl);
  pl->pgroup = -1;
  pl->ctty = -1;
  pl->maxtarget = 2;
  for (int i = 0; i < 3; i++)
    pl->map[i].target = i, pl->map[i].source = -1;
  pl->nmap = 3;
}

void uipc_plan_map(lua_State *L, uipc_spawn_plan *pl, int target, int source) {
  for (int i = 0; i < pl->nmap; i++)
    if (pl->map[i].target == target) {
      pl->map[i].source = source;
      return;
    }
  if (pl->nmap == UIPC_PLAN_MAX)
    luaL_error(L, "too many descriptors for a child (at most %d)", UIPC_PLAN_MAX);
  pl->map[pl->nmap].target = target;
  pl->map[pl->nmap++].source = source;
  if (target > pl->maxtarget)
    pl->maxtarget = target;
}

/* A source numbered where a target will be may be overwritten by an
 * earlier dup2 in the child: move it above every target first. 0 or -1. */
static int lift_sources(uipc_spawn_plan *pl) {
  for (int i = 0; i < pl->nmap; i++) {
    int s = pl->map[i].source;
    if (s < 0 || s > pl->maxtarget || s == pl->map[i].target)
      continue;
    int fd = fcntl(s, F_DUPFD_CLOEXEC, pl->maxtarget + 1);
    if (fd < 0)
      return -1;
    for (int j = i; j < pl->nmap; j++)
      if (pl->map[j].source == s)
        pl->map[j].source = fd;
    uipc_plan_keep(pl, fd);
  }
  return 0;
}

/* ---- the fork path ---- */

enum { STEP_SETSID, STEP_SETPGID, STEP_CTTY, STEP_DUP, STEP_CHDIR, STEP_EXEC };
static const char *const step_names[] = { "setsid", "setpgid", "ioctl TIOCSCTTY",
                                          "dup2", "chdir", "exec" };

/* Every descriptor from `low` up becomes close-on-exec. */
static void cloexec_from(int low) {
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (syscall(SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  for (int fd = low; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* In the child: put the plan into effect and exec; returns the step that
 * failed (errno set). Only async-signal-safe calls. */
static int child_steps(const uipc_spawn_plan *pl) {
  if (pl->sigdefault)
    for (int sig = 1; sig < NSIG; sig++)
      if (sigismember(&pl->sigdefs, sig) == 1)
        signal(sig, SIG_DFL);
  if (pl->setsid && setsid() < 0)
    return STEP_SETSID;
  if (pl->pgroup >= 0 && setpgid(0, pl->pgroup) < 0)
    return STEP_SETPGID;
  if (pl->ctty >= 0 && ioctl(pl->ctty, TIOCSCTTY, 0) < 0)
    return STEP_CTTY;
  for (int i = 0; i < pl->nmap; i++) {
    const uipc_spawn_fd *m = &pl->map[i];
    if (m->source < 0)
      continue;
    if (m->source == m->target ? fcntl(m->target, F_SETFD, 0) < 0
                               : dup2(m->source, m->target) < 0)
      return STEP_DUP;
  }
  for (int fd = 3; fd <= pl->maxtarget; fd++) {
    int wanted = 0;
    for (int i = 0; i < pl->nmap; i++)
      wanted |= pl->map[i].target == fd;
    if (!wanted)
      close(fd);
  }
  cloexec_from(pl->maxtarget + 1);
  if (pl->cwd && chdir(pl->cwd) < 0)
    return STEP_CHDIR;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvpe(pl->argv[0], pl->argv, pl->envp ? pl->envp : environ);
  return STEP_EXEC;
}

/* Fork and exec: the child's pid, or -1 with *step and errno saying what
 * failed (in the child or here). */
static pid_t fork_exec(lua_State *L, uipc_spawn_plan *pl, int *step) {
  int p[2];
  *step = STEP_EXEC;
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  for (int i = 0; i < 2; i++)  /* out of the way of every target */
    if (p[i] <= pl->maxtarget) {
      int fd = fcntl(p[i], F_DUPFD_CLOEXEC, pl->maxtarget + 1);
      close(p[i]);
      p[i] = fd;
    }
  if (p[0] < 0 || p[1] < 0) {
    int err = errno;
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    errno = err;
    return -1;
  }
  pid_t pid = uipc_fork(L);
  if (pid == 0) {
    int report[2];
    report[0] = child_steps(pl);
    report[1] = errno;
    ssize_t ignored = write(p[1], report, sizeof report);
    (void)ignored;
    _exit(127);
  }
  int err = errno;
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    errno = err;
    return -1;
  }
  /* The child is alive: nothing may raise until it is reaped or returned.
   * The read sees EOF at the exec, or the report; it is short. */
  int report[2];
  ssize_t n;
  do
    n = read(p[0], report, sizeof report);
  while (n < 0 && errno == EINTR);
  close(p[0]);
  if (n != (ssize_t)sizeof report)
    return pid;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  *step = report[0];
  errno = report[1];
  return -1;
}

/* ---- the posix_spawn path ---- */

static int spawn_actions(const uipc_spawn_plan *pl, posix_spawn_file_actions_t *fa) {
  int rc = 0;
  for (int i = 0; i < pl->nmap && rc == 0; i++)
    if (pl->map[i].source >= 0)
      rc = posix_spawn_file_actions_adddup2(fa, pl->map[i].source, pl->map[i].target);
  for (int fd = 3; fd <= pl->maxtarget && rc == 0; fd++) {
    int wanted = 0;
    for (int i = 0; i < pl->nmap; i++)
      wanted |= pl->map[i].target == fd;
    if (!wanted)
      rc = posix_spawn_file_actions_addclose(fa, fd);
  }
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(fa, pl->maxtarget + 1);
  if (rc == 0 && pl->cwd)
    rc = posix_spawn_file_actions_addchdir_np(fa, pl->cwd);
  return rc;
}

static int spawn_attrs(const uipc_spawn_plan *pl, posix_spawnattr_t *at) {
  short flags = POSIX_SPAWN_SETSIGMASK;
  sigset_t set;
  sigemptyset(&set);
  int rc = posix_spawnattr_setsigmask(at, &set);
  if (rc == 0 && pl->sigdefault) {
    flags |= POSIX_SPAWN_SETSIGDEF;
    rc = posix_spawnattr_setsigdefault(at, &pl->sigdefs);
  }
  if (rc == 0 && pl->setsid)
    flags |= POSIX_SPAWN_SETSID;
  if (rc == 0 && pl->pgroup >= 0) {
    flags |= POSIX_SPAWN_SETPGROUP;
    rc = posix_spawnattr_setpgroup(at, pl->pgroup);
  }
  return rc ? rc : posix_spawnattr_setflags(at, flags);
}

/* posix_spawn: the child's pid, or -1 with errno. */
static pid_t vfork_exec(const uipc_spawn_plan *pl) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  pid_t pid = -1;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  rc = posix_spawnattr_init(&at);
  if (rc == 0) {
    rc = spawn_actions(pl, &fa);
    if (rc == 0)
      rc = spawn_attrs(pl, &at);
    if (rc == 0)
      rc = posix_spawnp(&pid, pl->argv[0], &fa, &at, pl->argv,
                        pl->envp ? pl->envp : environ);
    posix_spawnattr_destroy(&at);
  }
  posix_spawn_file_actions_destroy(&fa);
  errno = rc;
  return rc == 0 ? pid : -1;
}

pid_t uipc_plan_run(lua_State *L, uipc_spawn_plan *pl) {
  int step = STEP_EXEC;
  pid_t pid = -1;
  /* valgrind runs posix_spawn's vfork as a fork, which loses the exec
   * error: the fork path reports it there. */
  int must_fork = pl->ctty >= 0 || UIPC_UNDER_VALGRIND();
  if (lift_sources(pl) == 0)
    pid = must_fork ? fork_exec(L, pl, &step) : vfork_exec(pl);
  else
    step = STEP_DUP;
  int err = errno;
  close_list(pl);
  if (pid > 0) {
    uipc_child_started(L, pid);
    return pid;
  }
  if (step == STEP_EXEC && pl->cwd && access(pl->cwd, X_OK) < 0)
    step = STEP_CHDIR, err = errno;  /* posix_spawn does not say which */
  const char *target = step == STEP_CHDIR ? pl->cwd : step == STEP_EXEC ? pl->argv[0] : NULL;
  uipc_fail_errno(L, err, step_names[step], target);
  return -1;
}

/* Flush C stdio and every handle before a child starts (nothing written
 * twice, output in order); before any descriptor is made, since a signal
 * handler may run and raise while a flush waits. */
static void flush_before_start(lua_State *L) {
  fflush(NULL);
  uipc_flush_all(L);
}

/* ---- redirections ---- */

/* Where one of a child's descriptors comes from: a handle or io file or
 * descriptor (its number), or one of the words. */
enum { R_INHERIT = -1, R_NULL = -2, R_PIPE = -3, R_STDOUT = -4 };

static int check_redirect(lua_State *L, int tbl, const char *key, int may_merge) {
  int type = lua_getfield(L, tbl, key);
  int r = R_INHERIT;
  if (type == LUA_TSTRING) {
    static const char *const words[] = { "inherit", "null", "pipe", "stdout", NULL };
    const char *s = lua_tostring(L, -1);
    int k = 0;
    while (words[k] && strcmp(words[k], s) != 0)
      k++;
    if (!words[k] || (k == 3 && !may_merge))
      luaL_argerror(L, 1, lua_pushfstring(L, "%s: invalid redirection '%s'", key, s));
    r = -1 - k;
  } else if (type != LUA_TNIL) {
    r = uipc_tofd(L, -1, NULL, NULL);
    if (r == -2)
      luaL_argerror(L, 1, lua_pushfstring(L, "%s: attempt to use a closed handle", key));
    if (r < 0)
      luaL_argerror(L, 1, lua_pushfstring(L, "%s: \"pipe\", \"null\", \"inherit\", "
                                             "handle, io file or descriptor expected, got %s",
                                          key, luaL_typename(L, -1)));
  }
  lua_pop(L, 1);
  return r;
}

/* ---- process objects ---- */

#define PROCESS_MT "unixipc.process"

typedef struct {
  pid_t pid;
  int done;    /* reaped: status is final */
  int status;
} process;

static process *check_process(lua_State *L, int arg) {
  return (process *)luaL_checkudata(L, arg, PROCESS_MT);
}

/* A new process object (no child yet); its user value holds the fields
 * (stdin, stdout, stderr, pty). */
static process *process_new(lua_State *L) {
  process *p = (process *)lua_newuserdatauv(L, sizeof *p, 1);
  memset(p, 0, sizeof *p);
  luaL_setmetatable(L, PROCESS_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
  return p;
}

/* Ask whether the child ended (without waiting when nohang): 1 ended,
 * 0 not yet, -1 error. */
static int process_reap(lua_State *L, process *p, int nohang, double deadline) {
  if (p->done)
    return 1;
  int r = uipc_child_wait(L, p->pid, &p->status, nohang, deadline);
  if (r > 0)
    p->done = 1;
  return r;
}

static int fail_pid(lua_State *L, int err, const char *what, pid_t pid) {
  lua_pushfstring(L, "%d", (int)pid);
  return uipc_fail_errno(L, err, what, lua_tostring(L, -1));
}

/***
Wait for the process to end.
@function process:wait
@number[opt] timeout seconds; without it, waits as long as it takes
@treturn[1] true|nil true for exit code 0
@treturn[1] string "exit" or "signal"
@treturn[1] int exit code or signal number
@return[2] nil, "timeout", ETIMEDOUT (the child goes on running), or nil, message, errno
@usage local ok, how, code = p:wait(5)
*/
static int p_wait(lua_State *L) {
  process *p = check_process(L, 1);
  double deadline = uipc_deadline(uipc_opttimeout(L, 2));
  int r = process_reap(L, p, 0, deadline);
  if (r < 0)
    return fail_pid(L, errno, "waitpid", p->pid);
  if (r == 0)
    return uipc_fail_timeout(L);
  return uipc_push_status(L, p->status, 1);
}

/***
Whether the process has ended, without waiting.
@function process:poll
@return[1] nil while it runs
@return[2] the exit-status triple once it ended
*/
static int p_poll(lua_State *L) {
  process *p = check_process(L, 1);
  int r = process_reap(L, p, 1, -1);
  if (r < 0)
    return fail_pid(L, errno, "waitpid", p->pid);
  if (r == 0) {
    lua_pushnil(L);
    return 1;
  }
  return uipc_push_status(L, p->status, 1);
}

/***
Send the process a signal (never to a pid it no longer owns: once it has
ended, this fails with ESRCH).
@function process:kill
@param[opt="TERM"] sig signal name or number
@treturn[1] boolean true
@return[2] nil
@treturn[2] string message
@treturn[2] int errno
*/
static int p_kill(lua_State *L) {
  process *p = check_process(L, 1);
  int sig = lua_isnoneornil(L, 2) ? SIGTERM : uipc_checksignal(L, 2);
  if (process_reap(L, p, 1, -1) != 0)  /* ended, or reaped by someone else */
    return fail_pid(L, ESRCH, "kill", p->pid);
  if (kill(p->pid, sig) < 0)
    return fail_pid(L, errno, "kill", p->pid);
  lua_pushboolean(L, 1);
  return 1;
}

/* TERM, then KILL after the grace period, and reap. No Lua handler runs
 * here (it is also the cleanup of an error on its way out). */
static void put_down(lua_State *L, process *p, double grace) {
  if (p->pid <= 0 || process_reap(L, p, 1, -1) != 0)
    return;  /* never signal a pid that may have been given to another */
  kill(p->pid, SIGTERM);
  double kill_at = uipc_monotime() + grace;
  struct timespec step = { 0, 2000000 };
  while (process_reap(L, p, 1, -1) == 0) {
    if (kill_at >= 0 && uipc_monotime() >= kill_at) {
      kill(p->pid, SIGKILL);
      kill_at = -1;
    }
    nanosleep(&step, NULL);
  }
}

/***
End the process: TERM, then KILL if it is still there after `grace`
seconds; reaps it.
@function process:terminate
@number[opt=1] grace seconds
@treturn[1] true|nil
@treturn[1] string "exit" or "signal"
@treturn[1] int exit code or signal number
@return[2] nil, message, errno (ECHILD: reaped by someone else with waitpid)
*/
static int p_terminate(lua_State *L) {
  process *p = check_process(L, 1);
  double grace = uipc_opttimeout(L, 2);
  put_down(L, p, grace < 0 ? GRACE : grace);
  if (!p->done)
    return fail_pid(L, errno, "waitpid", p->pid);
  return uipc_push_status(L, p->status, 1);
}

/* ---- communicate ---- */

/* The guard of a communicate: closing it while armed (an error or timeout
 * passing through) puts the child down and closes its pipes. Its user
 * value is the process's fields table. */
typedef struct {
  process *p;
} guard;

static int guard_close(lua_State *L) {
  guard *g = (guard *)lua_touserdata(L, 1);
  if (g->p == NULL)
    return 0;
  put_down(L, g->p, GRACE);
  g->p = NULL;
  lua_getiuservalue(L, 1, 1);
  for (int i = 0; i < 3; i++) {
    lua_getfield(L, -1, stream_names[i]);
    uipc_handle *h = luaL_testudata(L, -1, UIPC_HANDLE_MT);
    if (h && h->closef) {
      lua_getfield(L, -1, "close");
      lua_rotate(L, -2, 1);
      lua_pcall(L, 1, 0, 0);  /* a plain close: nothing to report */
    } else {
      lua_pop(L, 1);
    }
  }
  return 0;
}

static void push_guard(lua_State *L, process *p, int fields) {
  guard *g = (guard *)lua_newuserdatauv(L, sizeof *g, 1);
  g->p = p;
  lua_pushvalue(L, fields);
  lua_setiuservalue(L, -2, 1);
  if (luaL_newmetatable(L, "unixipc.process.guard")) {
    lua_pushcfunction(L, guard_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, guard_close);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_toclose(L, -1);
}

/* One stream of a communicate. */
typedef struct {
  uipc_handle *h;   /* NULL when the stream is not a pipe, or done */
  int chunks;       /* index of the table collecting what was read */
  lua_Integer n;
} stream;

static void stream_open(lua_State *L, int fields, const char *name, stream *s) {
  lua_getfield(L, fields, name);
  uipc_handle *h = luaL_testudata(L, -1, UIPC_HANDLE_MT);
  s->h = h && h->closef ? h : NULL;
  lua_newtable(L);
  lua_replace(L, -2);  /* the fields table keeps the handle */
  s->chunks = lua_gettop(L);
  s->n = 0;
  if (s->h)
    fcntl(s->h->fd, F_SETFL, fcntl(s->h->fd, F_GETFL) | O_NONBLOCK);
}

/* Close a stream's handle by its close method. */
static void stream_close(lua_State *L, int fields, const char *name, stream *s) {
  if (!s->h)
    return;
  s->h = NULL;
  lua_getfield(L, fields, name);
  lua_getfield(L, -1, "close");
  lua_rotate(L, -2, 1);
  lua_call(L, 1, 0);
}

/* Unread input the handle already holds goes first. */
static void stream_take_buffered(lua_State *L, stream *s) {
  uipc_handle *h = s->h;
  if (h && h->rlen > h->rpos) {
    lua_pushlstring(L, h->rbuf + h->rpos, h->rlen - h->rpos);
    lua_rawseti(L, s->chunks, ++s->n);
    h->rpos = h->rlen = 0;
  }
}

/* Read what is there: 1 more may come, 0 end of input, -1 error. */
static int stream_read(lua_State *L, stream *s) {
  char buf[65536];
  ssize_t r = read(s->h->fd, buf, sizeof buf);
  if (r > 0) {
    lua_pushlstring(L, buf, (size_t)r);
    lua_rawseti(L, s->chunks, ++s->n);
    return 1;
  }
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return 1;
  return r == 0 ? 0 : -1;
}

static void stream_result(lua_State *L, stream *s, int piped) {
  if (!piped) {
    lua_pushnil(L);
    return;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (lua_Integer i = 1; i <= s->n; i++) {
    lua_rawgeti(L, s->chunks, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
}

typedef struct {
  stream in, out, err;
  const char *input;
  size_t inlen, inpos;
} exchange;

/* A write that cannot raise SIGPIPE whatever PIPE's disposition: the
 * signal is blocked in this thread around it, and the one the write
 * generated is taken back (unless one was pending already). A child that
 * stops reading must not kill the process that communicates with it. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n) {
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  int was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t w = write(fd, buf, n);
  int err = errno;
  if (w < 0 && err == EPIPE && !was_pending) {
    struct timespec zero = { 0, 0 };
    sigtimedwait(&pipe_set, NULL, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = err;
  return w;
}

/* Feed stdin as far as it takes now: 1 go on, -1 error. EPIPE ends the
 * input (the child stopped reading). */
static int feed(exchange *x) {
  ssize_t w = write_nosigpipe(x->in.h->fd, x->input + x->inpos, x->inlen - x->inpos);
  if (w >= 0)
    x->inpos += (size_t)w;
  else if (errno == EPIPE)
    x->inpos = x->inlen;
  else if (errno != EAGAIN && errno != EINTR)
    return -1;
  return 1;
}

/* Move data both ways until stdin is written and the outputs end:
 * 1 done, 0 timeout, -1 error (errno; *what names it). */
static int exchange_run(lua_State *L, int fields, exchange *x, double deadline,
                        const char **what) {
  for (;;) {
    if (x->in.h && x->inpos == x->inlen)
      stream_close(L, fields, "stdin", &x->in);
    struct pollfd fds[4];
    stream *who[3];
    nfds_t n = 0;
    stream *all[3] = { &x->in, &x->out, &x->err };
    for (int i = 0; i < 3; i++)
      if (all[i]->h) {
        fds[n].fd = all[i]->h->fd;
        fds[n].events = i == 0 ? POLLOUT : POLLIN;
        fds[n].revents = 0;
        who[n++] = all[i];
      }
    if (n == 0)
      return 1;
    int r = uipc_poll(L, fds, n, deadline);
    if (r <= 0) {
      *what = "poll";
      return r;
    }
    for (nfds_t i = 0; i < n; i++) {
      if (!fds[i].revents || !who[i]->h)
        continue;
      int rc = who[i] == &x->in ? feed(x) : stream_read(L, who[i]);
      if (rc < 0) {
        *what = who[i] == &x->in ? "write" : "read";
        return -1;
      }
      if (rc == 0)
        stream_close(L, fields, who[i] == &x->out ? "stdout" : "stderr", who[i]);
    }
  }
}

/***
Send `input` to the process's stdin, read its stdout and stderr to the end
and wait for it, all at once, so no size either way can deadlock. A
timeout or an error on the way puts the child down (TERM, then KILL),
reaps it and closes its pipes.
@function process:communicate
@string[opt] input written to stdin, which is then closed
@number[opt] timeout seconds for the whole exchange
@treturn[1] string|nil stdout (nil when not a pipe)
@treturn[1] string|nil stderr (nil when not a pipe)
@treturn[1] true|nil true for exit code 0
@treturn[1] string "exit" or "signal"
@treturn[1] int exit code or signal number
@return[2] nil, "timeout", ETIMEDOUT, or nil, message, errno
@usage local out, err, ok = ipc.open3("sort"):communicate("b\na\n", 10)
*/
static int p_communicate(lua_State *L) {
  process *p = check_process(L, 1);
  exchange x;
  x.input = luaL_optlstring(L, 2, NULL, &x.inlen);
  x.inpos = 0;
  double deadline = uipc_deadline(uipc_opttimeout(L, 3));
  lua_settop(L, 3);
  lua_getiuservalue(L, 1, 1);
  int fields = lua_gettop(L);
  stream_open(L, fields, "stdin", &x.in);
  luaL_argcheck(L, x.input == NULL || x.in.h != NULL, 2, "the process has no stdin pipe");
  if (x.input == NULL)
    x.inlen = 0;
  stream_open(L, fields, "stdout", &x.out);
  stream_open(L, fields, "stderr", &x.err);
  int piped_out = x.out.h != NULL, piped_err = x.err.h != NULL;
  stream_take_buffered(L, &x.out);
  stream_take_buffered(L, &x.err);
  if (x.in.h && x.in.h->wlen > 0) {  /* what the user wrote before goes first */
    lua_getfield(L, fields, "stdin");
    lua_getfield(L, -1, "flush");
    lua_rotate(L, -2, 1);
    lua_call(L, 1, 0);
  }
  push_guard(L, p, fields);
  const char *what = NULL;
  int r = exchange_run(L, fields, &x, deadline, &what);
  int err = errno;
  if (r > 0)
    r = process_reap(L, p, 0, deadline);
  if (r <= 0) {  /* the guard puts the child down */
    lua_closeslot(L, -1);
    return r == 0 ? uipc_fail_timeout(L) : uipc_fail_errno(L, err, what ? what : "waitpid", NULL);
  }
  ((guard *)lua_touserdata(L, -1))->p = NULL;
  stream_close(L, fields, "stdout", &x.out);
  stream_close(L, fields, "stderr", &x.err);
  stream_result(L, &x.out, piped_out);
  stream_result(L, &x.err, piped_err);
  return 2 + uipc_push_status(L, p->status, 1);
}

/* ---- process object metamethods ---- */

static int p_index(lua_State *L) {
  process *p = check_process(L, 1);
  const char *key = lua_tostring(L, 2);
  if (key && strcmp(key, "pid") == 0) {
    lua_pushinteger(L, p->pid);
    return 1;
  }
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)  /* a method */
    return 1;
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

/* Collected without waiting: a child still running is left to whoever
 * reaps it, and its status is not kept. */
static int p_gc(lua_State *L) {
  process *p = check_process(L, 1);
  if (p->pid > 0 && process_reap(L, p, 1, -1) == 0)
    uipc_child_orphaned(L, p->pid);
  return 0;
}

static int p_tostring(lua_State *L) {
  process *p = check_process(L, 1);
  if (!p->done) {
    lua_pushfstring(L, "unixipc.process (pid %d)", (int)p->pid);
    return 1;
  }
  lua_pushfstring(L, "unixipc.process (pid %d, ", (int)p->pid);
  uipc_push_status(L, p->status, 0);
  lua_pushfstring(L, "%s %d)", lua_tostring(L, -2), (int)lua_tointeger(L, -1));
  lua_replace(L, -3);
  lua_pop(L, 1);
  lua_concat(L, 2);
  return 1;
}

/* ---- ipc.spawn ---- */

static const char *const spawn_keys[] = {
  "env", "stdin", "stdout", "stderr", "cwd", "setsid", "pgroup", "fds", "signals", NULL
};

static void check_keys(lua_State *L) {
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -1);
      int i = 0;
      while (spawn_keys[i] && strcmp(spawn_keys[i], k) != 0)
        i++;
      if (!spawn_keys[i])
        luaL_argerror(L, 1, lua_pushfstring(L, "unknown option '%s'", k));
    }
  }
}

/* A new handle for the parent's end of a "pipe" redirection, stored in the
 * process's fields. */
static void plan_pipe_handle(lua_State *L, int fields, const char *name) {
  uipc_handle_new(L);
  lua_setfield(L, fields, name);
}

/* The number of the signal at 1 (raising as uipc_checksignal does). */
static int signum_of(lua_State *L) {
  lua_pushinteger(L, uipc_checksignal(L, 1));
  return 1;
}

/* signals = "default" (all of them) or an array of signals: what the
 * child gets back at the default disposition. */
static void check_sigdefs(lua_State *L, int idx, uipc_spawn_plan *pl) {
  pl->sigdefault = 1;
  if (lua_type(L, idx) == LUA_TSTRING && strcmp(lua_tostring(L, idx), "default") == 0) {
    sigfillset(&pl->sigdefs);
    return;
  }
  luaL_argcheck(L, lua_istable(L, idx), 1, "signals must be \"default\" or an array of signals");
  sigemptyset(&pl->sigdefs);
  lua_Integer n = luaL_len(L, idx);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_pushcfunction(L, signum_of);
    lua_geti(L, idx, i);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
      luaL_argerror(L, 1, lua_pushfstring(L, "signals[%d]: signal name or number expected", (int)i));
    sigaddset(&pl->sigdefs, (int)lua_tointeger(L, -1));
    lua_pop(L, 1);
  }
}

static void check_options(lua_State *L, uipc_spawn_plan *pl) {
  lua_getfield(L, 1, "cwd");
  pl->cwd = lua_isnil(L, -1) ? NULL : lua_tostring(L, -1);
  luaL_argcheck(L, lua_isnil(L, -1) || lua_type(L, -1) == LUA_TSTRING, 1, "cwd must be a string");
  uipc_check_nonul(L, -1, 1, "cwd");
  lua_pop(L, 1);  /* the table keeps the string */
  lua_getfield(L, 1, "setsid");
  pl->setsid = lua_toboolean(L, -1);
  lua_getfield(L, 1, "pgroup");
  if (!lua_isnil(L, -1)) {
    lua_Integer g = lua_tointeger(L, -1);
    luaL_argcheck(L, lua_isinteger(L, -1) && g >= 0 && g <= 0x7fffffff, 1,
                  "pgroup must be a process group id (0: a new one)");
    luaL_argcheck(L, !pl->setsid, 1, "setsid and pgroup exclude each other");
    pl->pgroup = (pid_t)g;
  }
  lua_getfield(L, 1, "signals");
  if (!lua_isnil(L, -1))
    check_sigdefs(L, lua_gettop(L), pl);
  lua_pop(L, 3);
}

static void check_fds(lua_State *L, uipc_spawn_plan *pl) {
  if (lua_getfield(L, 1, "fds") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  luaL_argcheck(L, lua_istable(L, -1), 1, "fds must be a table");
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_Integer target = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : -1;
    luaL_argcheck(L, target >= 3 && target < 65536, 1, "fds keys must be descriptor numbers >= 3");
    int src = uipc_tofd(L, -1, NULL, NULL);
    if (src < 0)
      luaL_argerror(L, 1, lua_pushfstring(L, "fds[%d]: %s", (int)target, src == -2
                    ? "attempt to use a closed handle" : "handle, io file or descriptor expected"));
    uipc_plan_map(L, pl, (int)target, src);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* The redirections as planned: words stay negative until made. */
typedef struct {
  int how[3];
} redirs;

static void check_redirs(lua_State *L, int fields, uipc_spawn_plan *pl, redirs *rd) {
  for (int i = 0; i < 3; i++) {
    rd->how[i] = check_redirect(L, 1, stream_names[i], i == 2);
    if (rd->how[i] == R_PIPE)
      plan_pipe_handle(L, fields, stream_names[i]);
    else if (rd->how[i] >= 0)
      pl->map[i].source = rd->how[i];
  }
}

/* Make the descriptors the redirections need: the child's ends go on the
 * close list, the parent's ends of pipes into parent_fd. 0, or -1 with
 * errno. */
static int make_redirs(uipc_spawn_plan *pl, const redirs *rd, int parent_fd[3]) {
  int null_fd = -1, rc = 0;
  for (int i = 0; i < 3 && rc == 0; i++) {
    if (rd->how[i] == R_NULL) {
      if (null_fd < 0 && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0)
        uipc_plan_keep(pl, null_fd);
      rc = null_fd < 0 ? -1 : 0;
      pl->map[i].source = null_fd;
    } else if (rd->how[i] == R_PIPE) {
      int p[2];
      rc = pipe2(p, O_CLOEXEC);
      if (rc == 0) {
        parent_fd[i] = p[i == 0];
        pl->map[i].source = uipc_plan_keep(pl, p[i != 0]);
      }
    } else if (rd->how[i] == R_STDOUT) {
      pl->map[i].source = pl->map[1].source >= 0 ? pl->map[1].source : 1;
    }
  }
  return rc;
}

void uipc_process_new(lua_State *L) {
  process_new(L);
}

int uipc_process_run(lua_State *L, int obj, uipc_spawn_plan *pl) {
  process *p = check_process(L, obj);
  pid_t pid = uipc_plan_run(L, pl);
  if (pid < 0)
    return -1;
  p->pid = pid;
  return 1;
}

/***
Start a program. The command is a table of strings; one string alone
follows Perl's rule (a shell when it holds shell metacharacters, else its
words). The child sees only descriptors 0, 1, 2 and those `fds` passes,
starts with no signal blocked and keeps ignored signals ignored unless
`signals = "default"` (or an array of the signals to reset).
@function spawn
@tparam table cmd `{prog, arg..., env=, stdin=, stdout=, stderr=, cwd=,
setsid=, pgroup=, fds=, signals=}`; stdin/stdout/stderr are `"pipe"`,
`"null"`, `"inherit"` (default), a handle, an io file or a descriptor, and
stderr may be `"stdout"`; `fds = {[3] = h}` passes more
@treturn[1] process with `pid`, `stdin`, `stdout`, `stderr` (handles for "pipe")
@return[2] nil (the program could not be started; no child is left)
@treturn[2] string message
@treturn[2] int errno
@usage local p = ipc.spawn{"sort", stdin = "pipe", stdout = "pipe"}
*/
static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  check_keys(L);
  uipc_spawn_plan pl;
  uipc_plan_init(&pl);
  pl.argv = uipc_check_argv(L, 1, 1, &pl.envp);  /* pushes 2 */
  check_options(L, &pl);
  process_new(L);
  int obj = lua_gettop(L);
  lua_getiuservalue(L, obj, 1);
  int fields = lua_gettop(L);
  redirs rd;
  check_redirs(L, fields, &pl, &rd);
  check_fds(L, &pl);
  flush_before_start(L);
  /* From here on descriptors exist: nothing raises. */
  int parent_fd[3] = { -1, -1, -1 };
  int ok = make_redirs(&pl, &rd, parent_fd) == 0;
  if (!ok) {
    uipc_fail(L, "pipe", NULL);
    close_list(&pl);
  }
  if (!ok || uipc_process_run(L, obj, &pl) < 0) {
    for (int i = 0; i < 3; i++)
      if (parent_fd[i] >= 0)
        close(parent_fd[i]);
    return 3;
  }
  for (int i = 0; i < 3; i++)
    if (parent_fd[i] >= 0) {
      lua_getfield(L, fields, stream_names[i]);
      uipc_handle_attach((uipc_handle *)lua_touserdata(L, -1), parent_fd[i], NULL);
      lua_pop(L, 1);
    }
  lua_settop(L, obj);
  return 1;
}

/* ---- pipe opens ---- */

/* The close strategy of a pipe to a process: close, wait, report. When it
 * may not wait (the handle was collected), a child still running is left
 * to be reaped later, as a collected process object's is. */
static int close_wait(lua_State *L, uipc_handle *h, int fd, int may_wait) {
  close(fd);
  int status;
  if (!may_wait) {
    if (uipc_child_wait(L, h->pid, &status, 1, -1) == 0)
      uipc_child_orphaned(L, h->pid);
    return 0;
  }
  int r = uipc_child_wait(L, h->pid, &status, 0, -1);
  if (r <= 0)
    return fail_pid(L, errno, "waitpid", h->pid);
  return uipc_push_status(L, status, 1);
}

static int check_pipe_mode(lua_State *L, int arg) {
  static const char *const modes[] = { "-|", "r", "|-", "w", NULL };
  return luaL_checkoption(L, arg, NULL, modes) < 2;
}

/***
Perl's pipe open: start a command with its stdout (`"-|"`, `"r"`) or stdin
(`"|-"`, `"w"`) on a pipe. One string follows Perl's rule (a shell only
when it holds shell metacharacters, else its words, executed directly);
several strings are executed directly, never through a shell.
@function open
@string mode `"-|"` or `"r"` to read, `"|-"` or `"w"` to write
@string cmd ... the command
@treturn[1] handle whose `close` waits and returns the exit-status triple;
`h:pid()` is the child. A handle collected (or to-be-closed) without
`close` does not wait: a child still running is reaped once it ends, the
next time unixipc starts a child
@return[2] nil (the program could not be started; no child is left)
@treturn[2] string message
@treturn[2] int errno
@usage local h = ipc.open("-|", "ls", "-l"); local text = h:read("a"); h:close()
*/
static int l_open(lua_State *L) {
  int reading = check_pipe_mode(L, 1);
  int n = lua_gettop(L);
  luaL_argcheck(L, n >= 2, 2, "command expected");
  lua_createtable(L, n - 1, 0);
  for (int i = 2; i <= n; i++) {
    luaL_checktype(L, i, LUA_TSTRING);
    lua_pushvalue(L, i);
    lua_rawseti(L, -2, i - 1);
  }
  uipc_spawn_plan pl;
  uipc_plan_init(&pl);
  pl.argv = uipc_check_argv(L, n + 1, 2, &pl.envp);
  uipc_handle *h = uipc_handle_new(L);
  int hidx = lua_gettop(L);
  flush_before_start(L);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return uipc_fail(L, "pipe", NULL);
  int mine = p[reading ? 0 : 1], theirs = p[reading ? 1 : 0];
  pl.map[reading ? 1 : 0].source = uipc_plan_keep(&pl, theirs);
  pid_t pid = uipc_plan_run(L, &pl);
  if (pid < 0) {
    close(mine);
    return 3;
  }
  uipc_handle_attach(h, mine, close_wait);
  h->pid = pid;
  lua_settop(L, hidx);
  return 1;
}

/***
Fork to yourself with a pipe between parent and child (Perl's
`open(my $fh, "-|")`): in the child, stdout (`"-|"`) or stdin (`"|-"`)
is the pipe.
@function fork_open
@string mode `"-|"`/`"r"`: the parent reads what the child prints;
`"|-"`/`"w"`: the parent writes the child's stdin
@treturn[1] int the child's pid (in the parent)
@treturn[1] handle the parent's end; `close` waits and returns the exit-status triple
@treturn[2] int 0 in the child
@return[3] nil
@treturn[3] string message
@treturn[3] int errno
*/
static int l_fork_open(lua_State *L) {
  int reading = check_pipe_mode(L, 1);
  uipc_handle *h = uipc_handle_new(L);
  flush_before_start(L);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return uipc_fail(L, "pipe", NULL);
  int mine = p[reading ? 0 : 1], theirs = p[reading ? 1 : 0];
  pid_t pid = uipc_fork(L);
  if (pid == 0) {
    dup2(theirs, reading ? 1 : 0);
    close(theirs);
    close(mine);
    lua_pushinteger(L, 0);
    return 1;
  }
  int err = errno;
  close(theirs);
  if (pid < 0) {
    close(mine);
    return uipc_fail_errno(L, err, "fork", NULL);
  }
  uipc_child_started(L, pid);
  uipc_handle_attach(h, mine, close_wait);
  h->pid = pid;
  lua_pushinteger(L, pid);
  lua_rotate(L, -2, 1);
  return 2;
}

/***
The process at the other end of a pipe open.
@function handle:pid
@treturn int|nil the child's pid, nil for a handle that is no pipe open
*/
static int h_pid(lua_State *L) {
  uipc_handle *h = (uipc_handle *)luaL_checkudata(L, 1, UIPC_HANDLE_MT);
  if (h->pid > 0)
    lua_pushinteger(L, h->pid);
  else
    luaL_pushfail(L);
  return 1;
}

static const luaL_Reg process_methods[] = {
  { "wait", p_wait },   { "poll", p_poll },           { "kill", p_kill },
  { "terminate", p_terminate }, { "communicate", p_communicate },
  { NULL, NULL }
};

static const luaL_Reg funcs[] = {
  { "spawn", l_spawn }, { "open", l_open }, { "fork_open", l_fork_open },
  { NULL, NULL }
};

int uipc_spawn_open(lua_State *L) {
  if (luaL_newmetatable(L, PROCESS_MT)) {
    lua_pushcfunction(L, p_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, p_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, process_methods);
    lua_pushcclosure(L, p_index, 1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  luaL_getmetatable(L, UIPC_HANDLE_MT);
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, h_pid);
  lua_setfield(L, -2, "pid");
  lua_pop(L, 2);
  uipc_register(L, funcs);
  return 0;
}
