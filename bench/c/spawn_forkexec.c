/* spawn_rate, the C fork+exec variant: /bin/true COUNT times through
 * fork and execv, each waited for. fork copies the page tables of all the
 * memory the process holds, which is what makes it slow in a big one.
 *   usage: spawn_forkexec [COUNT [MIB]] */
#include "spawn_rate.h"

static pid_t spawn_one(void) {
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    char *argv[] = { SPAWN_PROGRAM, NULL };
    execv(SPAWN_PROGRAM, argv);
    _exit(127);
  }
  return pid;
}
