# sysv_msg: ROUNDS round trips of SIZE-byte messages between two processes
# on one SysV queue (core msgsnd/msgrcv, pack "l! a*"): the parent sends
# type 1, the child answers with the same text as type 2. Both check.
#   usage: perl sysv_msg.pl [ROUNDS] [SIZE]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_RMID S_IRUSR S_IWUSR);

my $rounds = arg(0, 100000);
my $size   = arg(1, 64);
my $id     = msgget(IPC_PRIVATE, IPC_CREAT | S_IRUSR | S_IWUSR) // fail("msgget: $!");
my $text   = join "", map { chr(ord("a") + $_ % 26) } 0 .. $size - 1;
my $buf;

my $t0  = now();
my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  for (1 .. $rounds) {
    msgrcv($id, $buf, 8192, 1, 0) or POSIX::_exit(1);
    my ($type, $got) = unpack("l! a*", $buf);
    $got eq $text or POSIX::_exit(1);
    msgsnd($id, pack("l! a*", 2, $got), 0) or POSIX::_exit(1);
  }
  POSIX::_exit(0);
}
my $out = pack("l! a*", 1, $text);
for my $i (1 .. $rounds) {
  msgsnd($id, $out, 0) or fail("msgsnd: $!");
  msgrcv($id, $buf, 8192, 2, 0) or fail("msgrcv: $!");
  my ($type, $got) = unpack("l! a*", $buf);
  $got eq $text or fail("round $i: wrong answer");
}
wait_ok($pid);
my $t1 = now();
msgctl($id, IPC_RMID, 0);
report($t0, $t1);
