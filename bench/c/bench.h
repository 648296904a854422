/*
 * bench.h — what the C reference programs of bench/ share: the clock, the
 * result line, and dying loudly when the work did not check out.
 *
 * Protocol (the same in C, Perl and Lua): a program does the whole workload,
 * verifies it, prints "seconds=<elapsed>" on stdout and exits 0; anything
 * wrong goes to stderr with a non-zero exit, so a broken run never looks fast.
 */
#ifndef BENCH_H
#define BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((noreturn, format(printf, 1, 2)))
static void bench_die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  _exit(1);
}

/* die with strerror(errno) when a system call failed */
#define bench_check(ok, what) \
  do { if (!(ok)) bench_die("%s: %s", (what), strerror(errno)); } while (0)

/* Reap pid and insist it exited 0 (the child verifies its half of the work). */
static inline void bench_wait_ok(pid_t pid) {
  int st;
  pid_t r;
  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {}
  bench_check(r == pid, "waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    bench_die("child %d failed (status 0x%x)", (int)pid, st);
}

/* The result line: the seconds from t0 to t1. */
static inline void bench_report(double t0, double t1) {
  printf("seconds=%.6f\n", t1 - t0);
}

/* argv[i] as a positive count, or def when absent. */
static inline long bench_arg(int argc, char **argv, int i, long def) {
  if (argc <= i) return def;
  char *end;
  long v = strtol(argv[i], &end, 10);
  if (*end || v <= 0) bench_die("bad argument %s", argv[i]);
  return v;
}

/* write all of buf, however the kernel splits it */
static inline void bench_write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    bench_check(n > 0, "write");
    buf += n;
    len -= (size_t)n;
  }
}

#endif
