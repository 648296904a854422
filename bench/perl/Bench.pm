# Bench.pm — what the Perl programs of bench/ share (core modules only):
# the clock, the result line, and dying loudly when the work did not check out.
# Protocol: print "seconds=<elapsed>" on stdout and exit 0, or complain on
# stderr and exit non-zero.
package Bench;
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Exporter 'import';
our @EXPORT = qw(now fail wait_ok report arg);

sub now { clock_gettime(CLOCK_MONOTONIC) }

# In a forked child, die() would unwind into the parent's code: leave at once.
sub fail { print STDERR "bench: @_\n"; POSIX::_exit(1) }

sub wait_ok {
  my ($pid) = @_;
  waitpid($pid, 0) == $pid or fail("waitpid: $!");
  $? == 0 or fail(sprintf "child %d failed (status 0x%x)", $pid, $?);
}

# The result line: the seconds from $t0 to $t1 (default: now).
sub report {
  my ($t0, $t1) = @_;
  printf "seconds=%.6f\n", ($t1 // now()) - $t0;
}

# $ARGV[i] as a positive count, or the default.
sub arg {
  my ($i, $def) = @_;
  my $v = $ARGV[$i] // return $def;
  $v =~ /^[1-9][0-9]*$/ or fail("bad argument $v");
  return $v;
}

1;
