# socket_roundtrip: N round trips of 64 bytes between parent and child, over
# a socketpair and then over TCP on 127.0.0.1 (IO::Socket::INET, TCP_NODELAY):
# the parent sends, the child reads 64 bytes and sends them back, the parent
# reads and checks them.   usage: perl socket_roundtrip.pl [N]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;
use IO::Socket::INET;
use Socket qw(AF_UNIX SOCK_STREAM PF_UNSPEC IPPROTO_TCP TCP_NODELAY);

my $n = arg(0, 100000);
my $SIZE = 64;

sub stamp { my $s = ($_[0]) . "\0"; $s . ('m' x ($SIZE - length $s)) }

sub read_exact {
  my ($fh) = @_;
  my ($buf, $got) = ('', 0);
  while ($got < $SIZE) {
    my $r = sysread($fh, $buf, $SIZE - $got, $got) // fail("read: $!");
    $r > 0 or fail("read: unexpected EOF");
    $got += $r;
  }
  return $buf;
}

sub echo {
  my ($fh) = @_;
  for my $i (0 .. $n - 1) {
    my $msg = read_exact($fh);
    $msg eq stamp($i) or fail("child got a wrong message $i");
    syswrite($fh, $msg) == $SIZE or fail("write: $!");
  }
}

sub ping {
  my ($fh) = @_;
  for my $i (0 .. $n - 1) {
    my $msg = stamp($i);
    syswrite($fh, $msg) == $SIZE or fail("write: $!");
    read_exact($fh) eq $msg or fail("parent got a wrong echo $i");
  }
}

socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or fail("socketpair: $!");
my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
  Listen => 16, ReuseAddr => 1) or fail("listen: $@");
my $port = $server->sockport;

my $t0 = now();
my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  close $a;
  echo($b);
  my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
    or fail("connect: $@");
  $c->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  echo($c);
  POSIX::_exit(0);
}
close $b;
ping($a);
my $conn = $server->accept or fail("accept: $!");
$conn->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
ping($conn);
wait_ok($pid);
report($t0);
