# pipe_bulk: TOTAL bytes parent -> child through a pipe in BLOCK-byte
# syswrites; the child sysreads BLOCK at a time and checks the count.
#   usage: perl pipe_bulk.pl [TOTAL [BLOCK]]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;

my $total = arg(0, 256 * 1024 * 1024);
my $block = arg(1, 65536);
my $data  = 'x' x $block;
pipe(my $r, my $w) or fail("pipe: $!");

my $t0  = now();
my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  close $w;
  my ($got, $buf, $n) = (0);
  while ($n = sysread($r, $buf, $block)) { $got += $n }
  defined $n or fail("read: $!");
  $got == $total or fail("child read $got bytes, expected $total");
  POSIX::_exit(0);
}
close $r;
for (my $left = $total; $left > 0; $left -= $block) {
  my $len = $left < $block ? $left : $block;
  my $off = 0;
  while ($off < $len) {
    my $n = syswrite($w, $data, $len - $off, $off) // fail("write: $!");
    $off += $n;
  }
}
close $w;
wait_ok($pid);
report($t0);
