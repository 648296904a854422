# line_read: a child writes LINES lines "line %d of the benchmark\n" through
# a pipe; the parent reads them with while (<$fh>) and checks the line and
# byte counts. The child makes all the text first and says so on a second
# pipe; the clock starts then, so what is timed is the reading.
#   usage: perl line_read.pl [LINES]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;

my $lines = arg(0, 2_000_000);
pipe(my $r, my $w) or fail("pipe: $!");
pipe(my $ready_r, my $ready_w) or fail("pipe: $!");

my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  close $r;
  close $ready_r;
  my $text = '';
  $text .= "line $_ of the benchmark\n" for 1 .. $lines;
  syswrite($ready_w, length($text) . "\n") or fail("write: $!");
  my $off = 0;
  while ($off < length $text) {
    my $n = syswrite($w, $text, length($text) - $off, $off) // fail("write: $!");
    $off += $n;
  }
  POSIX::_exit(0);
}
close $w;
close $ready_w;
my $len = <$ready_r> // fail("the writer did not get ready");
chomp $len;

my $t0 = now();
my ($count, $bytes) = (0, 0);
while (<$r>) {
  $count++;
  $bytes += length;
}
my $t1 = now();
close $r;
wait_ok($pid);
$count == $lines && $bytes == $len
  or fail("read $count lines / $bytes bytes, expected $lines / $len");
report($t0, $t1);
