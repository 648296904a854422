/* spawn_rate, the C posix_spawn variant: /bin/true COUNT times through
 * posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK, no page tables
 * copied), each waited for. The limit unixipc's ipc.spawn aims at.
 *   usage: spawn_posix [COUNT [MIB]] */
#include <spawn.h>

#include "spawn_rate.h"

extern char **environ;

static pid_t spawn_one(void) {
  char *argv[] = { SPAWN_PROGRAM, NULL };
  pid_t pid;
  int err = posix_spawn(&pid, SPAWN_PROGRAM, NULL, NULL, argv, environ);
  if (err != 0)
    bench_die("posix_spawn: %s", strerror(err));
  return pid;
}
