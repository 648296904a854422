/* signal_sigwait: like signal_roundtrip, but both sides take the signals
 * synchronously with sigwaitinfo(2) (blocked before the fork, no handlers).
 * Each side checks the signal number and the sender's pid every round.
 *   usage: signal_sigwait [ROUNDS] */
#include "bench.h"

static void take(const sigset_t *set, int want, pid_t from) {
  siginfo_t si;
  int sig;
  while ((sig = sigwaitinfo(set, &si)) < 0 && errno == EINTR) {}
  bench_check(sig >= 0, "sigwaitinfo");
  if (sig != want || si.si_pid != from)
    bench_die("got signal %d from %d, expected %d from %d",
              sig, (int)si.si_pid, want, (int)from);
}

int main(int argc, char **argv) {
  long rounds = bench_arg(argc, argv, 1, 20000);
  sigset_t both, usr1, usr2;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  bench_check(sigprocmask(SIG_BLOCK, &both, NULL) == 0, "sigprocmask");

  double t0 = bench_now();
  pid_t parent = getpid();
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    for (long i = 0; i < rounds; i++) {
      take(&usr1, SIGUSR1, parent);
      bench_check(kill(parent, SIGUSR2) == 0, "kill");
    }
    _exit(0);
  }
  for (long i = 0; i < rounds; i++) {
    bench_check(kill(pid, SIGUSR1) == 0, "kill");
    take(&usr2, SIGUSR2, pid);
  }
  bench_wait_ok(pid);
  bench_report(t0, bench_now());
  return 0;
}
