/*
 * sigqueue.c — everything that runs in signal context, and nothing else.
 *
 * The C handler installed for every signal that has a Lua handler does only
 * async-signal-safe work: it counts the delivery and records it (number and
 * siginfo) in a bounded lock-free queue. Then it makes sure the Lua side
 * (signals.c) takes it out at a safe point: if the Lua thread is about to
 * wait or waiting in wait.c, it zeroes that wait's timeout (inside ppoll the
 * signal gives EINTR anyway); otherwise it arms the dispatch hook on the
 * running Lua thread (lua_sethook is meant to be called from a signal
 * handler; lua.c does the same for Control-C) and, when another thread or a
 * program's own poll loop may be waiting, writes the wake-up descriptor.
 *
 * The queue is a multi-producer ring: a producer reserves a slot with a CAS
 * on the head and publishes it by storing the slot's sequence number; the
 * consumer takes the slot at the tail once its sequence says it is written.
 * A full ring counts the delivery as dropped; nothing is lost silently.
 */
#include "unixipc.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#ifdef UIPC_HAVE_EVENTFD
#include <sys/eventfd.h>
#endif

typedef struct {
  _Atomic unsigned seq;  /* round + 1 once the entry is written */
  uipc_sigentry e;
} slot_t;

static slot_t ring[UIPC_SIGQ_SIZE];
static _Atomic unsigned ring_head;  /* next slot to reserve (producers) */
static _Atomic unsigned ring_tail;  /* next slot to consume (the Lua side) */
static _Atomic unsigned long delivered[NSIG], dropped[NSIG];
static int wake_rd = -1, wake_wr = -1;  /* one descriptor with eventfd */
static lua_State *volatile owner;       /* main thread of the owning state */
/* The timeout of the ppoll that a thread is about to enter (wait.c): a
 * delivery handled in that very thread zeroes it instead of writing the
 * wake-up descriptor, which spares two system calls per signal. */
static struct timespec *_Atomic wait_timeout;
static pthread_t waiter;
/* Every delivery writes the wake-up descriptor, and every wait polls it:
 * once sigfd() was handed out, and under valgrind (see unixipc.h). */
static volatile sig_atomic_t wake_always;

/* A system call that cannot be polled (msgrcv, flock...) runs with a POSIX
 * timer of this thread armed for its deadline; a delivery that lands just
 * before the call, when nothing would interrupt it, fires the timer soon. */
static timer_t call_timer;
static pthread_t call_thread;
static int call_timer_made, call_signo;
static volatile sig_atomic_t in_call, timer_armed;
static lua_State *volatile running;     /* coroutine running, if tracked */

/* ---- the wake-up descriptor ---- */

static int wake_create(void) {
#ifdef UIPC_HAVE_EVENTFD
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0)
    return -1;
  wake_rd = wake_wr = fd;
#else
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
    return -1;
  wake_rd = p[0];
  wake_wr = p[1];
#endif
  return 0;
}

/* The child of a fork gets its own descriptor, under the same number, so a
 * sigfd() the program kept keeps working. */
static void wake_recreate(void) {
  int old_rd = wake_rd, old_wr = wake_wr;
  if (wake_create() < 0) {
    wake_rd = old_rd;  /* keep the shared one: spurious wake-ups only */
    wake_wr = old_wr;
    return;
  }
  int new_rd = wake_rd, new_wr = wake_wr;
  if (dup3(new_rd, old_rd, O_CLOEXEC) >= 0) {
    close(new_rd);
    wake_rd = old_rd;
  }
  if (new_wr == new_rd) {
    wake_wr = wake_rd;
  } else if (dup3(new_wr, old_wr, O_CLOEXEC) >= 0) {
    close(new_wr);
    wake_wr = old_wr;
  }
}

int uipc_sig_wakefd(void) {
  return wake_rd;
}

int uipc_sig_exportfd(void) {
  wake_always = 1;
  return wake_rd;
}

int uipc_sigq_needs_wakefd(void) {
  return wake_always || !UIPC_SINGLE_THREADED();
}

void uipc_sigq_waiting(struct timespec *ts) {
  if (ts != NULL)
    waiter = pthread_self();
  atomic_store(&wait_timeout, ts);
}

void uipc_sig_drainwake(void) {
#ifdef UIPC_HAVE_EVENTFD
  uint64_t count;  /* one read empties an eventfd */
  ssize_t r = read(wake_rd, &count, sizeof count);
  (void)r;
#else
  char buf[64];
  while (read(wake_rd, buf, sizeof buf) > 0)
    ;
#endif
}

/* ---- the C handler ---- */

#define HOOK_MASK (LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT)

/* Arm the dispatch hook on a thread unless it has a hook already (ours, or a
 * debugger's, which we leave alone: the handlers then run at the next
 * unixipc call). The mask is the last field lua_sethook writes, and our
 * hook clears it first, hence the test on the mask. */
void uipc_sigq_arm(lua_State *L) {
  if (L != NULL && lua_gethookmask(L) == 0)
    lua_sethook(L, uipc_sig_hook, HOOK_MASK, 1);
}

void uipc_sigentry_set(uipc_sigentry *e, int signo, const siginfo_t *info) {
  e->signo = signo;
  e->code = info->si_code;
  e->pid = info->si_pid;
  e->uid = info->si_uid;
  e->status = signo == SIGCHLD ? info->si_status : 0;
  e->has_value = info->si_code == SI_QUEUE;
  e->value = e->has_value ? (intptr_t)info->si_value.sival_ptr : 0;
}

static void enqueue(int signo, const siginfo_t *info) {
  unsigned h = atomic_load_explicit(&ring_head, memory_order_relaxed);
  for (;;) {
    if (h - atomic_load_explicit(&ring_tail, memory_order_acquire) >= UIPC_SIGQ_SIZE) {
      atomic_fetch_add_explicit(&dropped[signo], 1, memory_order_relaxed);
      return;
    }
    if (atomic_compare_exchange_weak_explicit(&ring_head, &h, h + 1,
            memory_order_acq_rel, memory_order_relaxed))
      break;
  }
  uipc_sigentry_set(&ring[h & (UIPC_SIGQ_SIZE - 1)].e, signo, info);
  atomic_store_explicit(&ring[h & (UIPC_SIGQ_SIZE - 1)].seq, h + 1, memory_order_release);
}

static void on_signal(int signo, siginfo_t *info, void *context) {
  (void)context;
  int saved_errno = errno;
  atomic_fetch_add_explicit(&delivered[signo], 1, memory_order_relaxed);
  enqueue(signo, info);
  if (in_call && pthread_equal(pthread_self(), call_thread)) {
    /* 1 ms, then every 10 ms until the call ends: one firing could come
     * before the thread is inside the call (a slow or emulated thread) */
    struct itimerspec soon = { { 0, 10000000 }, { 0, 1000000 } };
    timer_settime(call_timer, 0, &soon, NULL);  /* async-signal-safe */
    timer_armed = 1;
  }
  struct timespec *ts = atomic_load(&wait_timeout);
  if (ts != NULL && !wake_always && pthread_equal(pthread_self(), waiter)) {
    /* The Lua thread is in wait.c, which dispatches before it returns to
     * Lua: before the ppoll, it returns at once; inside, EINTR anyway. */
    ts->tv_sec = 0;
    ts->tv_nsec = 0;
  } else {
    if (uipc_sigq_needs_wakefd()) {
#ifdef UIPC_HAVE_EVENTFD
      uint64_t one = 1;
#else
      char one = 1;
#endif
      ssize_t w = write(wake_wr, &one, sizeof one);
      (void)w;  /* full or failed: the queue still holds the delivery */
    }
    lua_State *t = running;
    uipc_sigq_arm(t != NULL ? t : owner);
  }
  errno = saved_errno;
}

/* ---- system calls that cannot be polled ---- */

/* The timer's signal only interrupts the call (no SA_RESTART). */
static void on_call_timer(int signo) {
  (void)signo;
}

/* The highest real-time signal nobody uses carries the timer (chosen once
 * per process: a forked child keeps it, and makes its own timer). */
static int call_signal_take(void) {
  for (int s = SIGRTMAX; s >= SIGRTMIN; s--) {
    struct sigaction old;
    if (sigaction(s, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
        old.sa_handler == SIG_DFL) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_call_timer;
      sigemptyset(&sa.sa_mask);
      if (sigaction(s, &sa, NULL) < 0)
        return -1;
      call_signo = s;
      return 0;
    }
  }
  errno = EAGAIN;
  return -1;
}

static int call_timer_make(void) {
  if (call_signo == 0 && call_signal_take() < 0)
    return -1;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = call_signo;
  ev._sigev_un._tid = gettid();
  if (timer_create(CLOCK_MONOTONIC, &ev, &call_timer) < 0)
    return -1;
  call_thread = pthread_self();
  call_timer_made = 1;
  return 0;
}

int uipc_sigq_call_begin(const struct timespec *left) {
  if (call_timer_made && !pthread_equal(pthread_self(), call_thread)) {
    timer_delete(call_timer);  /* the state moved to another thread */
    call_timer_made = 0;
  }
  if (!call_timer_made && call_timer_make() < 0)
    return -1;
  if (left != NULL) {
    /* at the deadline, then every 10 ms, for the same reason as the poke */
    struct itimerspec at = { { 0, 10000000 }, *left };
    if (at.it_value.tv_sec == 0 && at.it_value.tv_nsec == 0)
      at.it_value.tv_nsec = 1;  /* zero would disarm */
    timer_settime(call_timer, 0, &at, NULL);
    timer_armed = 1;
  }
  in_call = 1;
  return 0;
}

void uipc_sigq_call_end(void) {
  in_call = 0;
  if (timer_armed) {
    struct itimerspec off;
    memset(&off, 0, sizeof off);
    timer_settime(call_timer, 0, &off, NULL);
    timer_armed = 0;
  }
}

int uipc_sigq_call_signal(void) {
  return call_signo;
}

/* ---- dispositions ---- */

int uipc_sigq_install(int signo, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
  sigfillset(&sa.sa_mask);  /* the handler never nests within a thread */
  return sigaction(signo, &sa, NULL);
}

int uipc_sigq_install_plain(int signo, void (*disposition)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = disposition;
  sigemptyset(&sa.sa_mask);
  return sigaction(signo, &sa, NULL);
}

int uipc_sigq_is_ours(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_signal;
}

/* ---- the consumer's side ---- */

int uipc_sigq_pop(uipc_sigentry *e) {
  unsigned t = atomic_load_explicit(&ring_tail, memory_order_relaxed);
  slot_t *slot = &ring[t & (UIPC_SIGQ_SIZE - 1)];
  if (atomic_load_explicit(&slot->seq, memory_order_acquire) != t + 1)
    return 0;  /* empty, or an entry still being written */
  *e = slot->e;
  atomic_store_explicit(&ring_tail, t + 1, memory_order_release);
  return 1;
}

int uipc_sigq_pending(void) {
  return atomic_load_explicit(&ring_head, memory_order_acquire) !=
         atomic_load_explicit(&ring_tail, memory_order_relaxed);
}

unsigned long uipc_sigq_delivered(int signo) {
  return atomic_load_explicit(&delivered[signo], memory_order_relaxed);
}

unsigned long uipc_sigq_dropped(int signo) {
  return atomic_load_explicit(&dropped[signo], memory_order_relaxed);
}

void uipc_sigq_count_drop(int signo) {
  atomic_fetch_add_explicit(&dropped[signo], 1, memory_order_relaxed);
}

lua_State *uipc_sigq_owner(void) {
  return owner;
}

void uipc_sigq_set_owner(lua_State *main_thread) {
  owner = main_thread;
  if (main_thread == NULL)
    running = NULL;
}

lua_State *uipc_sigq_running(void) {
  return running;
}

void uipc_sigq_set_running(lua_State *co) {
  running = co;
}

/* In the child of any fork: an empty queue, zero counts, its own wake-up
 * descriptor. unixipc's own fork runs this with every signal blocked. */
static void child_after_fork(void) {
  for (int i = 0; i < UIPC_SIGQ_SIZE; i++)
    atomic_store_explicit(&ring[i].seq, 0, memory_order_relaxed);
  atomic_store(&ring_head, 0);
  atomic_store(&ring_tail, 0);
  for (int s = 0; s < NSIG; s++) {
    atomic_store(&delivered[s], 0);
    atomic_store(&dropped[s], 0);
  }
  call_timer_made = 0;  /* timers are not inherited */
  in_call = timer_armed = 0;
  wake_recreate();
}

int uipc_sigq_init(void) {
  if (wake_rd >= 0)
    return 0;  /* once per process */
  if (wake_create() < 0)
    return -1;
  if (UIPC_UNDER_VALGRIND())
    wake_always = 1;
  pthread_atfork(NULL, NULL, child_after_fork);
  return 0;
}
