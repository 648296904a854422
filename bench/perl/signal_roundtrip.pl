# signal_roundtrip: the parent sends USR1, the child's %SIG handler answers
# USR2, ROUNDS times. Both signals stay blocked outside POSIX::sigsuspend
# (blocked before the fork), so none is lost between a test and the wait.
# Perl runs %SIG handlers deferred ("safe signals"), once sigsuspend returns.
#   usage: perl signal_roundtrip.pl [ROUNDS]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;
use POSIX qw(SIGUSR1 SIGUSR2 SIG_BLOCK);

my $rounds = arg(0, 20000);
my $got    = 0;
my $peer;
$SIG{USR1} = sub { $got++; kill 'USR2', $peer };    # child: answer at once
$SIG{USR2} = sub { $got++ };                        # parent: just count
my $waitmask = POSIX::SigSet->new;
POSIX::sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR1, SIGUSR2))
  or fail("sigprocmask: $!");

my $t0  = now();
my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  $peer = getppid();
  until ($got >= $rounds) { POSIX::sigsuspend($waitmask) }
  POSIX::_exit($got == $rounds ? 0 : 1);
}
for my $i (1 .. $rounds) {
  kill('USR1', $pid) or fail("kill: $!");
  until ($got >= $i) { POSIX::sigsuspend($waitmask) }
}
wait_ok($pid);
$got == $rounds or fail("parent got $got USR2, expected $rounds");
report($t0);
