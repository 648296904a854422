/*
 * wait.c — the one place where unixipc blocks.
 *
 * Every wait goes through ppoll() together with the signal wake-up
 * descriptor, with deadlines on CLOCK_MONOTONIC. That is what makes every
 * blocking call interruptible whatever SA_RESTART says: a delivery wakes
 * the poll, the Lua handlers run here, and either one raises (the error
 * leaves the blocking call) or the wait goes on with what is left of its
 * timeout (PEP 475). EINTR never leaves this file.
 */
#include "unixipc.h"

#include <math.h>
#include <time.h>

double uipc_monotime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double uipc_deadline(double timeout) {
  return timeout < 0 ? -1 : uipc_monotime() + timeout;
}

/* Time left until the deadline as a timespec; NULL for no deadline. */
static struct timespec *time_left(double deadline, struct timespec *ts) {
  if (deadline < 0)
    return NULL;
  double left = deadline - uipc_monotime();
  if (left < 0)
    left = 0;
  if (left > 1e9)  /* a deadline centuries away is no deadline */
    return NULL;
  ts->tv_sec = (time_t)left;
  ts->tv_nsec = (long)((left - (double)ts->tv_sec) * 1e9);
  if (ts->tv_nsec >= 1000000000L)
    ts->tv_nsec = 999999999L;
  return ts;
}

int uipc_poll(lua_State *L, struct pollfd *fds, nfds_t n, double deadline) {
  int wakefd = uipc_sig_wakefd();
  for (;;) {
    uipc_sig_dispatch(L);  /* handlers queued before the wait run first */
    struct timespec ts, *tsp = time_left(deadline, &ts);
    fds[n].fd = wakefd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    int r = ppoll(fds, n + 1, tsp, NULL);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (fds[n].revents) {
      uipc_sig_drainwake();
      r--;
    }
    if (r > 0)
      return r;
    if (tsp != NULL && uipc_monotime() >= deadline)
      return 0;
  }
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
