/* socket_roundtrip: N round trips of 64 bytes between parent and child,
 * first over a Unix-domain socketpair, then over TCP on 127.0.0.1
 * (TCP_NODELAY): the parent sends, the child reads 64 bytes and sends them
 * back, the parent reads and checks them. The child checks what it got.
 *   usage: socket_roundtrip [N] */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define SIZE 64

static void read_exact(int fd, char *buf) {
  size_t got = 0;
  while (got < SIZE) {
    ssize_t n = read(fd, buf + got, SIZE - got);
    if (n < 0 && errno == EINTR) continue;
    bench_check(n > 0, "read");
    got += (size_t)n;
  }
}

static void stamp(char *msg, long i) {
  memset(msg, 'm', SIZE);
  snprintf(msg, SIZE, "%ld", i);
}

static void echo(int fd, long n) {
  char buf[SIZE], want[SIZE];
  for (long i = 0; i < n; i++) {
    read_exact(fd, buf);
    stamp(want, i);
    if (memcmp(buf, want, SIZE) != 0) bench_die("child got a wrong message %ld", i);
    bench_write_all(fd, buf, SIZE);
  }
}

static void ping(int fd, long n) {
  char msg[SIZE], buf[SIZE];
  for (long i = 0; i < n; i++) {
    stamp(msg, i);
    bench_write_all(fd, msg, SIZE);
    read_exact(fd, buf);
    if (memcmp(buf, msg, SIZE) != 0) bench_die("parent got a wrong echo %ld", i);
  }
}

static void nodelay(int fd) {
  int one = 1;
  bench_check(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "setsockopt");
}

int main(int argc, char **argv) {
  long n = bench_arg(argc, argv, 1, 100000);
  int sv[2];
  bench_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bench_check(lfd >= 0, "socket");
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bench_check(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind");
  bench_check(listen(lfd, 16) == 0, "listen");
  bench_check(getsockname(lfd, (struct sockaddr *)&sa, &len) == 0, "getsockname");

  double t0 = bench_now();
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    close(sv[0]);
    echo(sv[1], n);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bench_check(c >= 0, "socket");
    bench_check(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0, "connect");
    nodelay(c);
    echo(c, n);
    _exit(0);
  }
  close(sv[1]);
  ping(sv[0], n);
  int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  bench_check(conn >= 0, "accept");
  nodelay(conn);
  ping(conn, n);
  bench_wait_ok(pid);
  bench_report(t0, bench_now());
  return 0;
}
