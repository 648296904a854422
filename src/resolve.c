/*
 * resolve.c — the resolver off the Lua thread. getaddrinfo and getnameinfo
 * may wait seconds for a name server, and the kernel never interrupts them
 * for good: glibc retries its poll after EINTR. So each lookup that may ask
 * the network runs in a thread of its own (all signals blocked there), and
 * the Lua thread waits for its end through wait.c like for any descriptor:
 * Lua signal handlers run meanwhile, ipc.timeout and deadlines end the wait.
 *
 * A lookup the caller gives up on (a deadline, an error raised by a handler)
 * is not stopped — a thread in the resolver cannot be — but finishes alone.
 * The job's state, under its lock, says who frees it: the waiter once the
 * thread is done, or the thread when it finds the job abandoned. The
 * waiter closes the wake-up descriptor at once either way (the thread
 * writes it under the lock, only while the job is not abandoned), so a
 * lookup given up on holds no descriptor of the process.
 *
 * A numeric host (or none) asks no name server: getaddrinfo is first tried
 * with AI_NUMERICHOST on the Lua thread (a service name is looked up in
 * the local services file).
 */
#include "unixipc.h"

#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef UIPC_HAVE_EVENTFD
#include <sys/eventfd.h>
#endif

enum { RUNNING, DONE, ABANDONED };

typedef struct {
  pthread_mutex_t lock;
  int state;              /* under the lock */
  int has_thread;
  pthread_t thread;
  int wake_rd, wake_wr;   /* written once, when done (one eventfd, or a pipe) */
  int reverse;            /* getnameinfo, else getaddrinfo */
  int rc, err;            /* the call's result, and errno for EAI_SYSTEM */
  /* getaddrinfo */
  const char *host, *service;
  struct addrinfo hints, *res;
  /* getnameinfo */
  uipc_sockaddr addr;
  int flags;
  char name[NI_MAXHOST], serv[NI_MAXSERV];
  char text[];            /* host and service strings */
} job;

static void close_wake(job *j) {
  if (j->wake_rd >= 0)
    close(j->wake_rd);
  if (j->wake_wr >= 0 && j->wake_wr != j->wake_rd)
    close(j->wake_wr);
  j->wake_rd = j->wake_wr = -1;
}

static void job_free(job *j) {
  if (j->res != NULL)
    freeaddrinfo(j->res);
  close_wake(j);
  pthread_mutex_destroy(&j->lock);
  free(j);
}

/* The waiter is done with the job: when the thread is done (or there was
 * none), join it — its exit closes what the resolver kept open in it, so
 * nothing outlives the call — and free the job; else leave the job to the
 * thread, detached, without its descriptor. */
static void job_leave(job *j) {
  pthread_mutex_lock(&j->lock);
  int running = j->state == RUNNING, has_thread = j->has_thread;
  pthread_t thread = j->thread;
  j->state = ABANDONED;
  close_wake(j);
  pthread_mutex_unlock(&j->lock);
  if (running) {
    pthread_detach(thread);  /* it frees the job */
    return;
  }
  if (has_thread)
    pthread_join(thread, NULL);  /* done already: only its exit is left */
  job_free(j);
}

static void job_call(job *j) {
  if (j->reverse)
    j->rc = getnameinfo(UIPC_SA(&j->addr), j->addr.len, j->name, sizeof j->name,
                        j->serv, sizeof j->serv, j->flags);
  else
    j->rc = getaddrinfo(j->host, j->service, &j->hints, &j->res);
  j->err = errno;
}

static void *job_thread(void *arg) {
  job *j = arg;
  job_call(j);
  pthread_mutex_lock(&j->lock);
  if (j->state == ABANDONED) {
    pthread_mutex_unlock(&j->lock);
    job_free(j);
    return NULL;
  }
  j->state = DONE;
#ifdef UIPC_HAVE_EVENTFD
  uint64_t one = 1;
#else
  char one = 1;
#endif
  ssize_t w = write(j->wake_wr, &one, sizeof one);
  (void)w;  /* cannot fail: a fresh eventfd or pipe, written once */
  pthread_mutex_unlock(&j->lock);
  return NULL;
}

/* The waiter's reference, in a box: dropped by box_done when the wait
 * ends, or by __gc if a handler's error left the wait. */
static void box_release(job **box) {
  if (*box != NULL) {
    job_leave(*box);
    *box = NULL;
  }
}

static int box_gc(lua_State *L) {
  box_release(lua_touserdata(L, 1));
  return 0;
}

/* Done with the job whose box is on the stack top: release it now (its
 * descriptor must not wait for a collection) and pop the box. */
static void box_done(lua_State *L) {
  box_release(lua_touserdata(L, -1));
  lua_pop(L, 1);
}

static job **box_new(lua_State *L) {
  job **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  if (luaL_newmetatable(L, "unixipc.resolver_job")) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return box;
}

/* A thread with every signal blocked (the process's handlers must run on
 * the Lua thread, never on this one). 0 or an error number. */
static int start_thread(job *j) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&j->thread, NULL, job_thread, j);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  j->has_thread = rc == 0;
  return rc;
}

static int make_wake(job *j) {
#ifdef UIPC_HAVE_EVENTFD
  j->wake_rd = j->wake_wr = eventfd(0, EFD_CLOEXEC);
  return j->wake_rd >= 0 ? 0 : (j->wake_rd = j->wake_wr = -1);
#else
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  j->wake_rd = p[0];
  j->wake_wr = p[1];
  return 0;
#endif
}

/* Run the job in its thread and wait for it: 0 with its results, or
 * UIPC_RESOLVE_TIMEOUT, or EAI_SYSTEM when the wait failed. Where no thread
 * can be had (descriptors or threads exhausted), the call is made here,
 * blocking, as it always was. */
static int job_run(lua_State *L, job *j, double deadline) {
  if (make_wake(j) == 0 && start_thread(j) == 0) {
    for (;;) {
      int r = uipc_wait_fd(L, j->wake_rd, POLLIN, deadline);
      if (r == 0)
        return UIPC_RESOLVE_TIMEOUT;  /* the thread finishes alone */
      if (r < 0)
        return EAI_SYSTEM;  /* cannot wait (errno set): likewise */
      pthread_mutex_lock(&j->lock);  /* the results, as the thread left them */
      int done = j->state == DONE;
      pthread_mutex_unlock(&j->lock);
      if (done)
        return 0;
    }
  }
  j->state = DONE;  /* no thread: the call is made here, as it always was */
  job_call(j);
  return 0;
}

/* A job with room for the strings, in a fresh box on the stack. */
static job *job_new(lua_State *L, const char *host, const char *service) {
  size_t hl = host ? strlen(host) + 1 : 0, sl = service ? strlen(service) + 1 : 0;
  job **box = box_new(L);
  job *j = calloc(1, sizeof *j + hl + sl);
  if (j == NULL)
    luaL_error(L, "not enough memory");
  pthread_mutex_init(&j->lock, NULL);
  j->state = RUNNING;
  j->wake_rd = j->wake_wr = -1;
  *box = j;
  if (host)
    j->host = memcpy(j->text, host, hl);
  if (service)
    j->service = memcpy(j->text + hl, service, sl);
  return j;
}

int uipc_getaddrinfo(lua_State *L, const char *host, const char *service,
                     const struct addrinfo *hints, struct addrinfo **res, double deadline) {
  struct addrinfo numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  int rc = getaddrinfo(host, service, &numeric, res);
  if (rc != EAI_NONAME)
    return rc;  /* answered without a name server, either way */
  job *j = job_new(L, host, service);
  j->hints = *hints;
  rc = job_run(L, j, deadline);
  if (rc == 0) {
    rc = j->rc;
    errno = j->err;
    *res = j->res;
    j->res = NULL;
  }
  box_done(L);
  return rc;
}

int uipc_getnameinfo(lua_State *L, const uipc_sockaddr *a, char *host, size_t hostlen,
                     char *serv, size_t servlen, int flags, double deadline) {
  job *j = job_new(L, NULL, NULL);
  j->reverse = 1;
  j->addr = *a;
  j->flags = flags;
  int rc = job_run(L, j, deadline);
  if (rc == 0) {
    rc = j->rc;
    errno = j->err;
    snprintf(host, hostlen, "%s", j->name);
    snprintf(serv, servlen, "%s", j->serv);
  }
  box_done(L);
  return rc;
}
