/* pipe_bulk: TOTAL bytes parent -> child through a pipe in BLOCK-byte
 * writes; the child reads BLOCK at a time, counts, and exits 0 iff it got
 * exactly TOTAL bytes.   usage: pipe_bulk [TOTAL [BLOCK]] */
#include "bench.h"

static void reader(int fd, long block, long total) {
  char *buf = malloc((size_t)block);
  long got = 0;
  ssize_t n;
  bench_check(buf != NULL, "malloc");
  while ((n = read(fd, buf, (size_t)block)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    bench_check(n > 0, "read");
    got += n;
  }
  if (got != total) bench_die("child read %ld bytes, expected %ld", got, total);
  _exit(0);
}

int main(int argc, char **argv) {
  long total = bench_arg(argc, argv, 1, 256L << 20);
  long block = bench_arg(argc, argv, 2, 65536);
  char *buf = malloc((size_t)block);
  int p[2];
  bench_check(buf != NULL, "malloc");
  memset(buf, 'x', (size_t)block);
  bench_check(pipe(p) == 0, "pipe");

  double t0 = bench_now();
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    close(p[1]);
    reader(p[0], block, total);
  }
  close(p[0]);
  for (long left = total; left > 0; left -= block)
    bench_write_all(p[1], buf, (size_t)(left < block ? left : block));
  close(p[1]);
  bench_wait_ok(pid);
  bench_report(t0, bench_now());
  return 0;
}
