/* signal_roundtrip: the parent sends USR1, the child's handler answers USR2,
 * ROUNDS times. Both signals stay blocked outside sigsuspend (blocked before
 * the fork), so none can slip in between a test and the wait.
 * Each side counts its handler runs and checks it saw exactly ROUNDS.
 *   usage: signal_roundtrip [ROUNDS] */
#include "bench.h"

static volatile sig_atomic_t got;
static pid_t peer;

static void on_usr1(int sig) {           /* child: answer at once */
  (void)sig;
  got++;
  kill(peer, SIGUSR2);
}

static void on_usr2(int sig) {           /* parent: just count */
  (void)sig;
  got++;
}

static void handle(int sig, void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  bench_check(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

int main(int argc, char **argv) {
  long rounds = bench_arg(argc, argv, 1, 20000);
  sigset_t both, waitmask;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  bench_check(sigprocmask(SIG_BLOCK, &both, &waitmask) == 0, "sigprocmask");
  sigdelset(&waitmask, SIGUSR1);
  sigdelset(&waitmask, SIGUSR2);
  handle(SIGUSR1, on_usr1);
  handle(SIGUSR2, on_usr2);

  double t0 = bench_now();
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    peer = getppid();
    while (got < rounds) sigsuspend(&waitmask);
    _exit(got == rounds ? 0 : 1);
  }
  for (long i = 1; i <= rounds; i++) {
    bench_check(kill(pid, SIGUSR1) == 0, "kill");
    while (got < i) sigsuspend(&waitmask);
  }
  bench_wait_ok(pid);
  if (got != rounds) bench_die("parent got %ld USR2, expected %ld", (long)got, rounds);
  bench_report(t0, bench_now());
  return 0;
}
