/* sysv_sem: PAIRS semaphore P/V pairs (semop -1, then +1) on one SysV
 * semaphore that starts at 1; the value must be 1 again at the end.
 *   usage: sysv_sem [PAIRS] */
#include "bench.h"
#include <sys/ipc.h>
#include <sys/sem.h>

int main(int argc, char **argv) {
  long pairs = bench_arg(argc, argv, 1, 1000000);
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  bench_check(id >= 0, "semget");
  bench_check(semctl(id, 0, SETVAL, 1) == 0, "semctl SETVAL");
  struct sembuf p = { 0, -1, 0 }, v = { 0, 1, 0 };

  double t0 = bench_now();
  for (long i = 0; i < pairs; i++) {
    bench_check(semop(id, &p, 1) == 0, "semop P");
    bench_check(semop(id, &v, 1) == 0, "semop V");
  }
  double t1 = bench_now();
  int value = semctl(id, 0, GETVAL);
  semctl(id, 0, IPC_RMID);
  if (value != 1) bench_die("value %d at the end, expected 1", value);
  bench_report(t0, t1);
  return 0;
}
