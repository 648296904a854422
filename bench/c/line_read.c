/* line_read: a child writes LINES lines "line %d of the benchmark\n" through
 * a pipe; the parent reads them with getline(3) on the fdopen'd pipe and
 * checks the line and byte counts. The child makes all the text first and
 * says so on a second pipe; the clock starts then, so what is timed is the
 * reading (the child's one big write keeps ahead of any reader).
 *   usage: line_read [LINES]          the benchmark
 *          line_read --writer LINES   only write the lines to stdout, making
 *                                     them as it goes (the peer for bench/lua5.4) */
#include "bench.h"

#define LINE_FMT "line %ld of the benchmark\n"
#define LINE_MAX_LEN 64

/* Writer mode: make and write 1 MiB at a time, so the reader starts at once. */
static int writer(long lines) {
  enum { CHUNK = 1 << 20 };
  static char buf[CHUNK + LINE_MAX_LEN];
  size_t n = 0;
  for (long i = 1; i <= lines; i++) {
    n += (size_t)snprintf(buf + n, LINE_MAX_LEN, LINE_FMT, i);
    if (n >= CHUNK) { bench_write_all(1, buf, n); n = 0; }
  }
  bench_write_all(1, buf, n);
  return 0;
}

/* The child: make the text, tell the parent, send it all. */
static void child(int out, int ready, long lines) {
  size_t cap = (size_t)lines * LINE_MAX_LEN, len = 0;
  char *text = malloc(cap);
  bench_check(text != NULL, "malloc");
  for (long i = 1; i <= lines; i++)
    len += (size_t)snprintf(text + len, cap - len, LINE_FMT, i);
  bench_write_all(ready, (const char *)&len, sizeof len);
  bench_write_all(out, text, len);
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--writer") == 0)
    return writer(bench_arg(argc, argv, 2, 2000000));
  long lines = bench_arg(argc, argv, 1, 2000000);
  int p[2], ready[2];
  bench_check(pipe(p) == 0 && pipe(ready) == 0, "pipe");
  pid_t pid = fork();
  bench_check(pid >= 0, "fork");
  if (pid == 0) {
    close(p[0]);
    close(ready[0]);
    child(p[1], ready[1], lines);
  }
  close(p[1]);
  close(ready[1]);
  size_t len;
  if (read(ready[0], &len, sizeof len) != (ssize_t)sizeof len)
    bench_die("the writer did not get ready");

  double t0 = bench_now();
  FILE *f = fdopen(p[0], "r");
  bench_check(f != NULL, "fdopen");
  char *line = NULL;
  size_t cap = 0, bytes = 0;
  ssize_t n;
  long count = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    count++;
    bytes += (size_t)n;
  }
  double t1 = bench_now();
  fclose(f);
  bench_wait_ok(pid);
  if (count != lines || bytes != len)
    bench_die("read %ld lines / %zu bytes, expected %ld / %zu", count, bytes, lines, len);
  bench_report(t0, t1);
  return 0;
}
