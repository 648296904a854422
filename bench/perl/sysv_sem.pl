# sysv_sem: PAIRS semaphore P/V pairs (semop -1, then +1, pack "s!s!s!")
# on one SysV semaphore that starts at 1; it must be 1 again at the end.
#   usage: perl sysv_sem.pl [PAIRS]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_RMID SETVAL GETVAL S_IRUSR S_IWUSR);

my $pairs = arg(0, 1000000);
my $id    = semget(IPC_PRIVATE, 1, IPC_CREAT | S_IRUSR | S_IWUSR) // fail("semget: $!");
semctl($id, 0, SETVAL, 1) or fail("semctl SETVAL: $!");
my $p = pack("s!s!s!", 0, -1, 0);
my $v = pack("s!s!s!", 0, 1, 0);

my $t0 = now();
for (1 .. $pairs) {
  semop($id, $p) or fail("semop P: $!");
  semop($id, $v) or fail("semop V: $!");
}
my $t1    = now();
my $value = semctl($id, 0, GETVAL, 0);
semctl($id, 0, IPC_RMID, 0);
$value == 1 or fail("value $value at the end, expected 1");
report($t0, $t1);
