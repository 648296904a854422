/*
 * spawn_rate.h — the loop shared by the two C programs of spawn_rate
 * (spawn_posix.c, spawn_forkexec.c): hold MIB MiB of touched memory, then
 * start /bin/true COUNT times, waiting for each and insisting on exit 0.
 * Only the way one child is started differs.
 *   usage: spawn_posix|spawn_forkexec [COUNT [MIB]]
 */
#ifndef SPAWN_RATE_H
#define SPAWN_RATE_H

#include "bench.h"

#define SPAWN_PROGRAM "/bin/true"

/* Start SPAWN_PROGRAM; returns its pid. */
static pid_t spawn_one(void);

/* MIB MiB of memory, every page written, so that a fork must copy the
 * page tables of all of it (what makes fork-based spawning slow in a big
 * process). Kept until the program exits; reachable through a volatile
 * pointer, or the compiler would drop the unused allocation. */
static char *volatile ballast;

static void hold_memory(long mib) {
  if (mib == 0)
    return;
  size_t size = (size_t)mib << 20;
  char *p = malloc(size);
  bench_check(p != NULL, "malloc");
  memset(p, 'x', size);
  ballast = p;
}

int main(int argc, char **argv) {
  long count = bench_arg(argc, argv, 1, 2000);
  hold_memory(argc > 2 ? bench_arg(argc, argv, 2, 0) : 0);
  double t0 = bench_now();
  for (long i = 0; i < count; i++)
    bench_wait_ok(spawn_one());
  bench_report(t0, bench_now());
  return 0;
}

#endif
