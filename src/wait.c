/*
 * wait.c — the one place where unixipc blocks.
 *
 * Every wait goes through ppoll(), with deadlines on CLOCK_MONOTONIC, and
 * registers its timeout with sigqueue.c first: a delivery in this thread
 * zeroes it (before the ppoll) or interrupts it (inside), and one in
 * another thread writes the wake-up descriptor, which is then polled too.
 * That is what makes every blocking call interruptible whatever SA_RESTART
 * says: the Lua handlers run here, and either one raises (the error leaves
 * the blocking call) or the wait goes on with what is left of its timeout
 * (PEP 475). EINTR never leaves this file.
 */
#include "unixipc.h"

#include <time.h>

double uipc_monotime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void uipc_time_left(double deadline, struct timespec *ts) {
  double left = deadline < 0 ? 86400 : deadline - uipc_monotime();
  if (left < 0)
    left = 0;
  if (left > 86400)
    left = 86400;
  ts->tv_sec = (time_t)left;
  ts->tv_nsec = (long)((left - (double)ts->tv_sec) * 1e9);
  if (ts->tv_nsec >= 1000000000L)
    ts->tv_nsec = 999999999L;
}

int uipc_poll_once(lua_State *L, struct pollfd *fds, nfds_t n, double deadline) {
  if (uipc_sig_dispatch(L) > 0)
    return 0;  /* handlers ran: the caller looks again before any wait */
  struct timespec ts;
  uipc_time_left(deadline, &ts);
  nfds_t total = n;
  if (uipc_sigq_needs_wakefd()) {
    fds[n].fd = uipc_sig_wakefd();
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    total = n + 1;
  }
  uipc_sigq_waiting(&ts);
  if (uipc_sigq_pending()) {  /* came after the dispatch: go round again */
    uipc_sigq_waiting(NULL);
    return 0;
  }
  int r = ppoll(fds, total, &ts, NULL);
  int err = errno;
  uipc_sigq_waiting(NULL);
  if (r < 0) {
    errno = err;
    return err == EINTR ? 0 : -1;
  }
  if (total > n && fds[n].revents) {
    uipc_sig_drainwake();
    r--;
  }
  if (r > 0 && uipc_sigq_pending())
    uipc_sigq_arm(L);  /* came after the ppoll: run it at the next instruction */
  return r;
}

int uipc_poll(lua_State *L, struct pollfd *fds, nfds_t n, double deadline) {
  for (;;) {
    int r = uipc_poll_once(L, fds, n, deadline);
    if (r != 0)
      return r;
    if (deadline >= 0 && uipc_monotime() >= deadline)
      return 0;
  }
}

int uipc_call_begin(lua_State *L, double deadline) {
  for (;;) {
    uipc_sig_dispatch(L);
    struct timespec left;
    uipc_time_left(deadline, &left);
    if (deadline >= 0 && left.tv_sec == 0 && left.tv_nsec == 0)
      return 0;
    if (uipc_sigq_call_begin(deadline >= 0 ? &left : NULL) < 0)
      return -1;
    if (!uipc_sigq_pending())
      return 1;
    uipc_sigq_call_end();  /* came meanwhile: run it first */
  }
}

void uipc_call_end(void) {
  uipc_sigq_call_end();
}

int uipc_wait_fd(lua_State *L, int fd, short events, double deadline) {
  struct pollfd fds[2];
  fds[0].fd = fd;
  fds[0].events = events;
  fds[0].revents = 0;
  int r = uipc_poll(L, fds, 1, deadline);
  return r > 0 ? fds[0].revents : r;
}

void uipc_sleep_until(lua_State *L, double deadline) {
  struct pollfd fds[1];
  while (uipc_poll(L, fds, 0, deadline) != 0)
    ;
}
