# spawn_rate: /bin/true COUNT times with system(LIST) (fork, exec, wait:
# what a perlipc user has), after taking MIB MiB of touched memory.
#   usage: perl spawn_rate.pl [COUNT [MIB]]
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Bench;

my $count = arg(0, 2000);
my $mib   = @ARGV > 1 ? arg(1, 0) : 0;
my $ballast = 'x' x ($mib * 1024 * 1024);    # written, so every page is touched
my @cmd = ('/bin/true');

my $t0 = now();
for (1 .. $count) {
  system { $cmd[0] } @cmd;                   # the list form: never a shell
  $? == 0 or fail(sprintf "system: status 0x%x (%s)", $?, $!);
}
report($t0);
