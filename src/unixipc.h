/*
 * unixipc.h — what the C files of unixipc share.
 *
 * This header is the platform layer: it is included first by every C file,
 * sets the feature-test macros and holds the few OS shims, so the logic files
 * carry no #ifdef of their own. Everything declared here is internal: only
 * luaopen_unixipc_core is exported from the shared object.
 */
#ifndef UNIXIPC_H
#define UNIXIPC_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lua.h"
#include "lauxlib.h"

#ifdef __linux__
#define UIPC_HAVE_EVENTFD 1
#endif

/* Whether the process has only ever had one thread (glibc >= 2.32 keeps a
 * flag); without it, assume threads. */
#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define UIPC_SINGLE_THREADED() (__libc_single_threaded != 0)
#endif
#endif
#ifndef UIPC_SINGLE_THREADED
#define UIPC_SINGLE_THREADED() 0
#endif

/* Whether the process runs under valgrind, whose emulation restarts a
 * ppoll that a signal interrupted (the kernel never does). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UIPC_UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef UIPC_UNDER_VALGRIND
#define UIPC_UNDER_VALGRIND() 0
#endif

/* Bytes of input a stdio stream holds in its buffer (select counts them as
 * readable). glibc exposes its buffer pointers; elsewhere we cannot see it. */
#if defined(__GLIBC__)
#define UIPC_FILE_BUFFERED_INPUT(f) \
  ((f)->_IO_read_end > (f)->_IO_read_ptr ? (size_t)((f)->_IO_read_end - (f)->_IO_read_ptr) : 0)
#else
#define UIPC_FILE_BUFFERED_INPUT(f) ((size_t)0)
#endif

#define UIPC_VERSION "0.1.0"

#if defined(__GNUC__)
#define UIPC_HIDDEN __attribute__((visibility("hidden")))
#else
#define UIPC_HIDDEN
#endif

/* Metatable names, one per type. */
#define UIPC_HANDLE_MT "unixipc.handle"

/* ---- error.c: the two channels (raise for the programmer, fail for the world) ---- */

/* Push nil, "what[ target]: strerror(errno)", errno; returns 3. Saves errno first. */
UIPC_HIDDEN int uipc_fail(lua_State *L, const char *what, const char *target);
/* The same with an explicit error number (for APIs that return their error). */
UIPC_HIDDEN int uipc_fail_errno(lua_State *L, int err, const char *what,
                                const char *target);
/* Push nil, "timeout", ETIMEDOUT; returns 3. */
UIPC_HIDDEN int uipc_fail_timeout(lua_State *L);
/* Optional timeout argument in seconds: nil/none -> -1 (forever); negative raises. */
UIPC_HIDDEN double uipc_opttimeout(lua_State *L, int arg);
/* Optional non-negative integer (sizes, counts); negative raises. */
UIPC_HIDDEN lua_Integer uipc_optsize(lua_State *L, int arg, lua_Integer def);
/* A string that becomes a C string for the system (a path, a program, an
 * argument, an environment entry) must hold no NUL byte: the system would
 * see only what comes before it (Perl's "poison null byte"). Raises an
 * argument error for the string at idx, reported against argument arg. */
UIPC_HIDDEN void uipc_check_nonul(lua_State *L, int idx, int arg, const char *what);
/* luaL_checkstring for a path: raises if it holds a NUL byte. */
UIPC_HIDDEN const char *uipc_checkpath(lua_State *L, int arg);
/* Set the close-on-exec flag (for descriptors that came from elsewhere). */
UIPC_HIDDEN void uipc_cloexec(int fd, int on);
UIPC_HIDDEN void uipc_errno_open(lua_State *L);

/* ---- clock (wait.c) ---- */

/* CLOCK_MONOTONIC seconds. */
UIPC_HIDDEN double uipc_monotime(void);
/* Deadline for a timeout: -1 stays -1 (no deadline). Inline: every read
 * of a line asks it. */
static inline double uipc_deadline(double timeout) {
  return timeout < 0 ? -1 : uipc_monotime() + timeout;
}

/* ---- wait.c: the one place where unixipc blocks ---- */

/* Time left until a deadline, for a system call's timeout; no deadline (-1)
 * gives a day, after which the caller waits again. */
UIPC_HIDDEN void uipc_time_left(double deadline, struct timespec *ts);

/*
 * Poll fds[0..n-1] together with the signal wake-up descriptor until one of
 * them is ready or the deadline (monotonic seconds, -1 = none) passes.
 * Queued Lua signal handlers run before and on every wake-up; an error raised
 * by one propagates out of here, so callers must hold no unowned resource.
 * Returns the number of ready entries of fds (revents set), 0 on timeout, or
 * -1 with errno set. Never returns EINTR. `fds` must have room for n + 1.
 */
UIPC_HIDDEN int uipc_poll(lua_State *L, struct pollfd *fds, nfds_t n,
                          double deadline);
/* One round of uipc_poll: runs queued handlers and returns 0 if any ran;
 * else waits once, until a descriptor is ready, the deadline passes or a
 * signal comes. Returns the ready entries of fds (0 if none), or -1 with
 * errno set. */
UIPC_HIDDEN int uipc_poll_once(lua_State *L, struct pollfd *fds, nfds_t n,
                               double deadline);
/*
 * A blocking system call that cannot be polled (msgrcv, msgsnd, semop
 * without a timeout, flock, the open of a FIFO) is made like this, so that
 * signals and deadlines reach it:
 *
 *   for (;;) {
 *     int go = uipc_call_begin(L, deadline);   runs handlers; 0 = timed out
 *     if (go <= 0) ...timeout (0) or error (-1, errno)...
 *     r = msgrcv(...); int err = errno;
 *     uipc_call_end();
 *     if (r >= 0 || err != EINTR) break;      EINTR: go round again
 *   }
 *
 * The call must not be restarted by SA_RESTART (msgrcv, msgsnd, semop are
 * never restarted; flock and open are interrupted by the call timer, whose
 * signal has no SA_RESTART).
 */
UIPC_HIDDEN int uipc_call_begin(lua_State *L, double deadline);
UIPC_HIDDEN void uipc_call_end(void);
/* uipc_poll for one descriptor: revents (> 0), 0 on timeout, -1 on error. */
UIPC_HIDDEN int uipc_wait_fd(lua_State *L, int fd, short events, double deadline);
/* Sleep until the deadline, running handlers meanwhile. */
UIPC_HIDDEN void uipc_sleep_until(lua_State *L, double deadline);

/* ---- sigqueue.c: what runs in signal context ---- */

#define UIPC_SIGQ_SIZE 8192  /* power of two; the contract asks >= 4096 */

typedef struct {
  int signo, code, status, has_value;
  pid_t pid;
  uid_t uid;
  intptr_t value;  /* sigqueue's value when has_value */
} uipc_sigentry;

UIPC_HIDDEN int uipc_sigq_init(void);  /* once per process; -1 on failure */
/* Fill an entry from a siginfo (async-signal-safe). */
UIPC_HIDDEN void uipc_sigentry_set(uipc_sigentry *e, int signo, const siginfo_t *info);
/* Install the queueing C handler (SA_SIGINFO, all signals masked inside). */
UIPC_HIDDEN int uipc_sigq_install(int signo, int restart);
UIPC_HIDDEN int uipc_sigq_install_plain(int signo, void (*disposition)(int));
UIPC_HIDDEN int uipc_sigq_is_ours(const struct sigaction *sa);
/* Take the oldest written entry; 0 when there is none. */
UIPC_HIDDEN int uipc_sigq_pop(uipc_sigentry *e);
UIPC_HIDDEN int uipc_sigq_pending(void);
UIPC_HIDDEN unsigned long uipc_sigq_delivered(int signo);
UIPC_HIDDEN unsigned long uipc_sigq_dropped(int signo);
UIPC_HIDDEN void uipc_sigq_count_drop(int signo);
/* Arm the dispatch hook on a thread (from the C handler or Lua side). */
UIPC_HIDDEN void uipc_sigq_arm(lua_State *L);
UIPC_HIDDEN lua_State *uipc_sigq_owner(void);
UIPC_HIDDEN void uipc_sigq_set_owner(lua_State *main_thread);
UIPC_HIDDEN lua_State *uipc_sigq_running(void);
UIPC_HIDDEN void uipc_sigq_set_running(lua_State *co);

/* ---- signals.c ---- */

/* The hook the C handler arms: runs the queued Lua handlers. */
UIPC_HIDDEN void uipc_sig_hook(lua_State *L, lua_Debug *ar);

/* Signal argument: "INT", "SIGINT" or a number; raises on an unknown one. */
UIPC_HIDDEN int uipc_checksignal(lua_State *L, int arg);
/* Name without "SIG" ("INT", "RTMIN+3"), or NULL for a number that is none. */
UIPC_HIDDEN const char *uipc_signame(int signo);
/* The descriptor that becomes readable when a delivery is queued. */
UIPC_HIDDEN int uipc_sig_wakefd(void);
/* The same for a program's own poll loop: from now on every delivery
 * writes it. */
UIPC_HIDDEN int uipc_sig_exportfd(void);
/* Register the timeout of the ppoll this thread is about to enter (NULL
 * when it returned); see sigqueue.c. */
UIPC_HIDDEN void uipc_sigq_waiting(struct timespec *ts);
/* Whether a wait must poll the wake-up descriptor: deliveries in another
 * thread, or to a program's own loop, write it; in the one thread of a
 * process they shorten the wait through its timeout instead. */
UIPC_HIDDEN int uipc_sigq_needs_wakefd(void);
/* Around a system call that cannot be polled: arm this thread's call
 * timer for `left` (NULL: no deadline) and let deliveries poke it; -1 with
 * errno if no timer can be had. uipc_call_begin (wait.c) is the way in. */
UIPC_HIDDEN int uipc_sigq_call_begin(const struct timespec *left);
UIPC_HIDDEN void uipc_sigq_call_end(void);
/* The real-time signal the call timer took (reserved: no Lua handler can be
 * set on it), or 0 before the first such call. */
UIPC_HIDDEN int uipc_sigq_call_signal(void);
/* Read the wake-up descriptor empty. */
UIPC_HIDDEN void uipc_sig_drainwake(void);
/* Run the queued Lua handlers now; returns how many ran. May raise. */
UIPC_HIDDEN int uipc_sig_dispatch(lua_State *L);
/* fork() done right: flushes, blocks signals around the fork, and gives the
 * child an empty queue and its own wake-up descriptor. */
UIPC_HIDDEN pid_t uipc_fork(lua_State *L);
UIPC_HIDDEN int uipc_signals_open(lua_State *L);
/* The host's Control-C: while on, an INT left at its default raises
 * "interrupted!" at the next safe point instead of killing the process. */
UIPC_HIDDEN void uipc_sig_host_interrupt(lua_State *L, int on);

/* ---- handle.c: one buffered handle type for every descriptor ---- */

typedef struct uipc_handle uipc_handle;
/* How a handle gives its descriptor back: closes fd (the handle is already
 * marked closed) and pushes what close() returns; returns how many. Without
 * may_wait (__gc, __close) it must not block, and its results are dropped. */
typedef int (*uipc_closef)(lua_State *L, uipc_handle *h, int fd, int may_wait);

struct uipc_handle {
  int fd;                 /* -1 once closed (or before it is opened) */
  uipc_closef closef;     /* NULL while closed */
  int kind;               /* driver: UIPC_KIND_* */
  int flags;              /* UIPC_H_* */
  int vbuf;               /* 0 no, 1 line, 2 full */
  double timeout;         /* seconds, -1 = none */
  pid_t pid;              /* child of a pipe open, else 0 */
  char *rbuf;             /* input buffer: unread bytes are rbuf[rpos..rlen) */
  size_t rpos, rlen, rcap;
  char *wbuf;             /* pending output: wbuf[0..wlen) */
  size_t wlen, wcap;
  uipc_handle *next_pending, *prev_pending; /* list of handles with output */
  int family, socktype;   /* sockets: AF_*, SOCK_*; 0 for other descriptors */
};

enum { UIPC_KIND_PLAIN, UIPC_KIND_NOWAIT, UIPC_KIND_SOCKET };
enum {
  UIPC_H_NONBLOCK = 1,  /* O_NONBLOCK: an operation that would wait fails */
  UIPC_H_PENDING = 2,   /* on the list of handles with pending output */
  UIPC_H_EIO_EOF = 4,   /* EIO on read is end of input (a pty master) */
  UIPC_H_WAITFIRST = 8  /* the last read found nothing: wait before trying */
};

/* One attempt at an operation on a handle that must not block: the bytes
 * (or descriptor) it got, or -1 with errno (EAGAIN: would block). `ready`
 * says that poll has just reported the descriptor ready. */
typedef ssize_t (*uipc_attempt)(uipc_handle *h, void *ctx, int ready);
/* The one attempt-then-wait loop: runs `attempt` until it does not say
 * EAGAIN, waiting for `events` through wait.c in between. Returns its
 * result (>= 0), -1 with errno, or -2 on timeout; a non-blocking handle
 * fails with EAGAIN instead of waiting. `adaptive` (reads, accepts): after
 * an attempt that found nothing, the next call waits first; the caller
 * clears UIPC_H_WAITFIRST when more input may be queued. Raises if a
 * signal handler closed the handle during the wait. */
UIPC_HIDDEN ssize_t uipc_handle_io(lua_State *L, uipc_handle *h, short events,
                                   uipc_attempt attempt, void *ctx, double deadline,
                                   int adaptive);
/* Push a new, closed handle (closed first: the descriptor is attached after). */
UIPC_HIDDEN uipc_handle *uipc_handle_new(lua_State *L);
/* Give a descriptor to a handle pushed by uipc_handle_new (its kind and
 * blocking mode are looked up: fstat, fcntl). */
UIPC_HIDDEN void uipc_handle_attach(uipc_handle *h, int fd, uipc_closef closef);
/* The same for a caller that knows them (UIPC_KIND_*, O_NONBLOCK or not). */
UIPC_HIDDEN void uipc_handle_attach_kind(uipc_handle *h, int fd, uipc_closef closef,
                                         int kind, int nonblock);
/* The open handle at arg, or raise. */
UIPC_HIDDEN uipc_handle *uipc_handle_check(lua_State *L, int arg);
/* Handle, io file or non-negative integer at idx -> descriptor; -2 for a
 * closed handle or file, -1 for anything else. Never raises. */
UIPC_HIDDEN int uipc_tofd(lua_State *L, int idx, uipc_handle **h, void **f);
/* Handle, io file or integer descriptor at arg -> descriptor; raises otherwise.
 * Sets *h when it is a handle (else NULL), *f when an io file (else NULL). */
UIPC_HIDDEN int uipc_checkfd(lua_State *L, int arg, uipc_handle **h, void **f);
/* Bytes of buffered, unread input an object holds (handle or io file). */
UIPC_HIDDEN size_t uipc_buffered_input(uipc_handle *h, void *f);
/* Flush every handle with pending output (before a fork). */
UIPC_HIDDEN void uipc_flush_all(lua_State *L);
UIPC_HIDDEN int uipc_handle_open(lua_State *L);

/* ---- process.c ---- */

/* The one exit-status decoder: pushes how ("exit" "signal" "stop"
 * "continue") and code; with `triple` first true|nil as os.execute does. */
UIPC_HIDDEN int uipc_push_status(lua_State *L, int status, int triple);
/* Remember that unixipc started `pid`, so a status reaped for it by
 * ipc.waitpid/ipc.wait (say in a CHLD handler) is kept for its owner. */
UIPC_HIDDEN void uipc_child_started(lua_State *L, pid_t pid);
/* The owner of `pid` is gone: a status reaped for it need not be kept, and
 * once it ends it is reaped when unixipc next starts a child (no zombies
 * pile up in a program that drops its process objects and pipe handles). */
UIPC_HIDDEN void uipc_child_orphaned(lua_State *L, pid_t pid);
/* Wait for one child (status cache first, then wait.c): 1 with *status set,
 * 0 when it has not ended (nohang, or the deadline passed), -1 with errno.
 * Lua handlers run while it waits and may raise. */
UIPC_HIDDEN int uipc_child_wait(lua_State *L, pid_t pid, int *status, int nohang,
                                double deadline);
/* argv for exec from the table at idx (strings at 1..n; anything else
 * raises against argument `arg`), and envp from its `env` field (NULL when
 * absent). Pushes two values that own the arrays (keep them and the table
 * on the stack while the arrays are in use). */
UIPC_HIDDEN char **uipc_check_argv(lua_State *L, int idx, int arg, char ***envp);

/* ---- the other areas ---- */
UIPC_HIDDEN int uipc_select_open(lua_State *L);
UIPC_HIDDEN int uipc_process_open(lua_State *L);

/* ---- spawn.c, pty.c: spawn, exec, process objects, pseudo-terminals ---- */
UIPC_HIDDEN int uipc_spawn_open(lua_State *L);

/* How to start a child: what its descriptors receive and what it does
 * before the exec. Initialised by uipc_plan_init. */
#define UIPC_PLAN_MAX 64
typedef struct { int target, source; } uipc_spawn_fd;  /* source -1: inherit */
typedef struct {
  char **argv, **envp;          /* envp NULL: this process's environment */
  const char *cwd;              /* NULL: stay */
  int setsid;
  int sigdefault;               /* whether sigdefs holds anything */
  sigset_t sigdefs;             /* signals the child gets back at their default */
  pid_t pgroup;                 /* -1: none; 0: a group of its own */
  int ctty;                     /* a terminal to make controlling (fork path), or -1 */
  int nmap, maxtarget;
  uipc_spawn_fd map[UIPC_PLAN_MAX];  /* 0, 1, 2 first, then passed descriptors */
  int nclose;                   /* descriptors the parent closes after the start */
  int toclose[2 * UIPC_PLAN_MAX];
} uipc_spawn_plan;

UIPC_HIDDEN void uipc_plan_init(uipc_spawn_plan *pl);
/* Child descriptor `target` receives `source` (replacing an earlier one);
 * raises past UIPC_PLAN_MAX. */
UIPC_HIDDEN void uipc_plan_map(lua_State *L, uipc_spawn_plan *pl, int target, int source);
/* Close `fd` in the parent once the child started (or failed to). */
UIPC_HIDDEN int uipc_plan_keep(uipc_spawn_plan *pl, int fd);
/* Start the child: its pid (registered for the status cache), or -1 with
 * the fail triple pushed. Closes the plan's close list either way. */
UIPC_HIDDEN pid_t uipc_plan_run(lua_State *L, uipc_spawn_plan *pl);
/* Push a process object without a child; its user value 1 is the table
 * of its fields (stdin, stdout, stderr, pty). */
UIPC_HIDDEN void uipc_process_new(lua_State *L);
/* Run the plan for the process object at obj: 1, or -1 with the fail
 * triple pushed. */
UIPC_HIDDEN int uipc_process_run(lua_State *L, int obj, uipc_spawn_plan *pl);
UIPC_HIDDEN int uipc_pty_open(lua_State *L);

/* ---- file.c: mkfifo, filetype, flock ---- */
UIPC_HIDDEN int uipc_file_open(lua_State *L);

/* ---- daemon.c: daemonize ---- */
UIPC_HIDDEN int uipc_daemon_open(lua_State *L);

/* ---- socket.c, netdb.c, poller.c: sockets, names and addresses, the poller ---- */
UIPC_HIDDEN int uipc_socket_open(lua_State *L);
UIPC_HIDDEN int uipc_netdb_open(lua_State *L);
UIPC_HIDDEN int uipc_poller_open(lua_State *L);

/* The poller's backend: epoll where there is one, else poll. */
#if defined(__linux__) && !defined(UIPC_NO_EPOLL)
#define UIPC_HAVE_EPOLL 1
#endif

/* Socket states in uipc_handle.flags, checked before any system call. */
enum { UIPC_H_LISTENING = 0x100, UIPC_H_CONNECTED = 0x200 };

#include <sys/socket.h>
/* Any socket address, with its length. */
typedef struct {
  struct sockaddr_storage ss;
  socklen_t len;
} uipc_sockaddr;
#define UIPC_SA(a) ((struct sockaddr *)&(a)->ss)

/* The parsers of outside text (pure: no Lua, no system call; fuzzed through
 * fuzz/address.lua). A "HOST:PORT" argument: "host:port", "[v6 host]:port",
 * "[v6 host]", "host", or a bare IPv6 address (two colons or more: all
 * host). Fills the spans of host and port within s (port_len 0: no port);
 * returns 0 for a malformed one ("", "[::1", "[::1]x", "host:", "[]"). */
typedef struct { size_t host, host_len, port, port_len; } uipc_hostport;
UIPC_HIDDEN int uipc_split_hostport(const char *s, size_t len, uipc_hostport *out);
/* A port or service: UIPC_PORT_NUMBER ("80", "-1", "99999": *number is
 * its value, saturated, for the caller's range check), UIPC_PORT_NAMED
 * (Perl's "name(number)": *name_len and *number 0..65535) or
 * UIPC_PORT_NAME (anything else, for the services database). */
enum { UIPC_PORT_NAME, UIPC_PORT_NUMBER, UIPC_PORT_NAMED };
UIPC_HIDDEN int uipc_parse_port(const char *s, size_t len, size_t *name_len, long *number);

/* resolve.c: getaddrinfo and getnameinfo waited for through wait.c, so
 * Lua signal handlers run meanwhile and a deadline (-1: none) ends the wait
 * with UIPC_RESOLVE_TIMEOUT (uipc_fail_gai makes it the timeout triple).
 * Return the resolver's code; errno is the lookup's for EAI_SYSTEM. */
#define UIPC_RESOLVE_TIMEOUT 1
struct addrinfo;
UIPC_HIDDEN int uipc_getaddrinfo(lua_State *L, const char *host, const char *service,
                                 const struct addrinfo *hints, struct addrinfo **res,
                                 double deadline);
UIPC_HIDDEN int uipc_getnameinfo(lua_State *L, const uipc_sockaddr *a, char *host,
                                 size_t hostlen, char *serv, size_t servlen, int flags,
                                 double deadline);

/* "inet" "inet6" "unix" -> AF_*, raising on another name; and back (NULL
 * for a family without a name). */
UIPC_HIDDEN int uipc_checkfamily(lua_State *L, int arg, int def);
UIPC_HIDDEN const char *uipc_familyname(int family);
/* "stream" "dgram" "seqpacket" -> SOCK_*, raising on another name; and
 * back (NULL for another type). */
UIPC_HIDDEN int uipc_checksocktype(lua_State *L, int arg, int def);
UIPC_HIDDEN const char *uipc_socktypename(int type);
/* A protocol number or name ("tcp") -> number; raises on an unknown one. */
UIPC_HIDDEN int uipc_checkprotocol(lua_State *L, int arg);
/* Push an address as {family=, host=, port=} or {family="unix", path=}. */
UIPC_HIDDEN void uipc_addr_push(lua_State *L, const uipc_sockaddr *a);
/* The address as text for messages: "127.0.0.1:80", "[::1]:80", a path. */
UIPC_HIDDEN const char *uipc_addr_text(const uipc_sockaddr *a, char *buf, size_t size);
/* The address given at arg (a table, or host, port / a path), for a socket
 * of `family` (0: any) and `socktype`; `passive` for bind (no host: any).
 * Returns 0 with *next the first argument after it, or pushes nil, message,
 * code when the resolver fails and returns 3. Raises on a wrong address. */
UIPC_HIDDEN int uipc_addr_check(lua_State *L, int arg, int family, int socktype,
                                int passive, uipc_sockaddr *out, int *next);
/* A resolver failure: nil, "what target: gai_strerror", "EAI_..." (or the
 * errno triple for EAI_SYSTEM); returns 3. */
UIPC_HIDDEN int uipc_fail_gai(lua_State *L, int rc, const char *what, const char *target);

/* ---- sysv.c: SysV shared memory, semaphores, message queues ---- */
UIPC_HIDDEN int uipc_sysv_open(lua_State *L);
/* What sysv.c gives sysv_msg.c and sysv_sem.c. */
struct ipc_perm;
UIPC_HIDDEN int uipc_sysv_msg_open(lua_State *L);
UIPC_HIDDEN int uipc_sysv_sem_open(lua_State *L);
/* Key argument: an integer (32 bits, signed or not) or "private". */
UIPC_HIDDEN key_t uipc_sysv_checkkey(lua_State *L, int arg);
UIPC_HIDDEN int uipc_sysv_checkid(lua_State *L, int arg);
/* An integer argument in [lo, hi]; raises "<what> out of range". */
UIPC_HIDDEN int uipc_sysv_checkint(lua_State *L, int arg, lua_Integer lo,
                                   lua_Integer hi, const char *what);
/* A non-negative offset or size; raises "<what> must not be negative". */
UIPC_HIDDEN size_t uipc_sysv_checkextent(lua_State *L, int arg, const char *what);
UIPC_HIDDEN int uipc_sysv_optflags(lua_State *L, int arg);
/* The same, or one of the names "nowait", "noerror" (msgsnd, msgrcv). */
UIPC_HIDDEN int uipc_sysv_optmsgflags(lua_State *L, int arg);
/* Objects are tables {id = n, ...} with a metatable per kind (its name
 * and __tostring) and their methods as closures bound to them. */
UIPC_HIDDEN void uipc_sysv_newclass(lua_State *L, const char *mt);
UIPC_HIDDEN int uipc_sysv_newobject(lua_State *L, int id, const char *mt,
                                    const luaL_Reg *methods);
/* In a method: checks self (arg 1) is the method's object; returns its id. */
UIPC_HIDDEN int uipc_sysv_self(lua_State *L);
/* A constructor's mode: permission bits (and IPC_EXCL); default 0600. */
UIPC_HIDDEN int uipc_sysv_optmode(lua_State *L, int arg);
/* A ctl command (number or name: "IPC_STAT" or "stat"); `sem` admits the
 * semctl ones too. Raises on an unknown one. */
UIPC_HIDDEN int uipc_sysv_checkcmd(lua_State *L, int arg, int sem);
/* Push a stat table with the ipc_perm fields and ctime; add to it with
 * uipc_sysv_setfield. */
UIPC_HIDDEN void uipc_sysv_pushperm(lua_State *L, const struct ipc_perm *perm,
                                    time_t ctime);
UIPC_HIDDEN void uipc_sysv_setfield(lua_State *L, const char *field, lua_Integer v);
/* IPC_SET's table at arg: uid, gid, mode into perm; uipc_sysv_optfield
 * reads another field (1 if given, in [0, hi], else 0). */
UIPC_HIDDEN void uipc_sysv_checkset(lua_State *L, int arg, struct ipc_perm *perm);
UIPC_HIDDEN int uipc_sysv_optfield(lua_State *L, int arg, const char *field,
                                   lua_Integer hi, unsigned long *out);
/* A system call that may block, made through uipc_call_begin/end: returns
 * its result, -1 with errno, or UIPC_SYSV_TIMEOUT. The attempt makes the
 * call, with IPC_NOWAIT added when `nowait`; with `try_first` (for calls
 * that seldom wait: semop, msgsnd) or a deadline one such attempt comes
 * first, and only a call that would block takes the interruptible path. */
#define UIPC_SYSV_TIMEOUT (-2L)
typedef long (*uipc_sysv_attempt)(void *ctx, int nowait);
UIPC_HIDDEN long uipc_sysv_blocking(lua_State *L, double deadline,
                                    uipc_sysv_attempt attempt, void *ctx,
                                    int try_first);
/* The fail triple for result r of an operation on id (timeout or errno). */
UIPC_HIDDEN int uipc_sysv_fail(lua_State *L, long r, const char *what, int id);
UIPC_HIDDEN int uipc_sysv_true(lua_State *L);

/* Register funcs into the table on top (luaL_setfuncs without upvalues). */
#define uipc_register(L, funcs) luaL_setfuncs((L), (funcs), 0)

#endif
