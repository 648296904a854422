/* sysv_msg: ROUNDS round trips of SIZE-byte messages between two processes
 * on one SysV queue: the parent sends type 1, the child answers with the
 * same text as type 2. Each side checks every message it receives.
 *   usage: sysv_msg [ROUNDS] [SIZE] */
#include "bench.h"
#include <sys/ipc.h>
#include <sys/msg.h>

struct message { long type; char text[8192]; };

static void fill(char *text, long size, long round) {
  for (long i = 0; i < size; i++) text[i] = (char)('a' + (round + i) % 26);
}

int main(int argc, char **argv) {
  long rounds = bench_arg(argc, argv, 1, 100000);
  long size = bench_arg(argc, argv, 2, 64);
  if (size > 8192) bench_die("size %ld too large", size);
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  bench_check(id >= 0, "msgget");
  static struct message out, in;
  fill(out.text, size, 0);

  double t0 = bench_now();
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    for (long i = 0; i < rounds; i++) {
      ssize_t n = msgrcv(id, &in, sizeof in.text, 1, 0);
      if (n != size || memcmp(in.text, out.text, (size_t)size) != 0) _exit(1);
      in.type = 2;
      if (msgsnd(id, &in, (size_t)n, 0) < 0) _exit(1);
    }
    _exit(0);
  }
  out.type = 1;
  for (long i = 0; i < rounds; i++) {
    bench_check(msgsnd(id, &out, (size_t)size, 0) == 0, "msgsnd");
    ssize_t n = msgrcv(id, &in, sizeof in.text, 2, 0);
    bench_check(n >= 0, "msgrcv");
    if (n != size || memcmp(in.text, out.text, (size_t)size) != 0)
      bench_die("round %ld: wrong answer", i);
  }
  bench_wait_ok(pid);
  double t1 = bench_now();
  msgctl(id, IPC_RMID, NULL);
  bench_report(t0, t1);
  return 0;
}
