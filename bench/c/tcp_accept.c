/* tcp_accept: N TCP connections on 127.0.0.1, accepted and closed by the
 * parent; the child connects, waits for the close (EOF) and closes, N
 * times, and checks that every connection was made.
 *   usage: tcp_accept [N] */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void client(const struct sockaddr_in *sa, long n) {
  char buf[16];
  for (long i = 0; i < n; i++) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bench_check(c >= 0, "socket");
    bench_check(connect(c, (const struct sockaddr *)sa, sizeof *sa) == 0, "connect");
    ssize_t r;
    while ((r = read(c, buf, sizeof buf)) < 0 && errno == EINTR) {}
    if (r != 0) bench_die("connection %ld: expected EOF", i);
    close(c);
  }
  _exit(0);
}

int main(int argc, char **argv) {
  long n = bench_arg(argc, argv, 1, 10000);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bench_check(lfd >= 0, "socket");
  int one = 1;
  bench_check(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "setsockopt");
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bench_check(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind");
  bench_check(listen(lfd, 128) == 0, "listen");
  bench_check(getsockname(lfd, (struct sockaddr *)&sa, &len) == 0, "getsockname");

  double t0 = bench_now();
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0)
    client(&sa, n);
  for (long i = 0; i < n; i++) {
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0 && errno == EINTR) { i--; continue; }
    bench_check(c >= 0, "accept");
    close(c);
  }
  bench_wait_ok(pid);
  bench_report(t0, bench_now());
  return 0;
}
