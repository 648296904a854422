# tcp_accept: N TCP connections on 127.0.0.1 (IO::Socket::INET), accepted
# and closed by the parent; the child connects, waits for the close (EOF)
# and closes, N times.   usage: perl tcp_accept.pl [N]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;
use IO::Socket::INET;

my $n = arg(0, 10000);
my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
  Listen => 128, ReuseAddr => 1) or fail("listen: $@");
my $port = $server->sockport;

my $t0 = now();
my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  for my $i (1 .. $n) {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
      or fail("connect $i: $@");
    my $r = sysread($c, my $buf, 16) // fail("read: $!");
    $r == 0 or fail("connection $i: expected EOF");
    close $c;
  }
  POSIX::_exit(0);
}
for (1 .. $n) {
  my $c = $server->accept or fail("accept: $!");
  close $c;
}
wait_ok($pid);
report($t0);
