#!/usr/bin/perl
# 90-demo.t -- scripts/demo (make demo), so that the first run a newcomer
# sees does not rot: it exits 0 and its output shows the whole job in
# order (listed, A 127.0.0.2 and the TXT in DNS, the relay refusing after
# the admin's fix, the request delisted, NXDOMAIN); it stops everything
# it started and removes its state folder, after a normal end and after
# a Ctrl-C (SIGINT to its process group, as a terminal sends it); without
# the programs it says what to do and starts nothing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(wait_until);
use Postfix qw(find_prog);

plan skip_all => 'needs root (the demo runs a private Postfix instance)'
    if $> != 0;
plan skip_all => 'postfix or dig missing (run scripts/deps)'
    unless find_prog('postfix') && find_prog('dig');

my $DEMO = "$FindBin::Bin/../../scripts/demo";
my $BIN = Orbl::bindir();
# The demo makes its state folder under TMPDIR: this test's own folder,
# so that what it leaves behind can be seen (and removed).  The folder
# must be traversable by Postfix's daemons (user postfix).
my $tmp = tempdir('demo-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $tmp);

my $n = 0;
# Starts the demo in its own process group (as a shell starts a job);
# returns (pid, stdout file, stderr file).
sub launch {
	my (%env) = @_;
	$n++;
	my ($of, $ef) = ("$tmp/demo$n.out", "$tmp/demo$n.err");
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		setpgrp(0, 0);
		$ENV{TMPDIR} = $tmp;
		$ENV{ORBL_BIN} = $BIN;
		delete $ENV{ORBL_KEEP};
		@ENV{keys %env} = values %env;
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $of);
		open(STDERR, '>', $ef);
		{ exec('perl', $DEMO) };
		print STDERR "exec perl: $!\n";
		_exit(127);
	}
	return ($pid, $of, $ef);
}

# Waits (up to $secs) for the demo to exit: its exit code (128 + signal
# if killed), or undef after killing its group on timeout.
sub finish {
	my ($pid, $secs) = @_;
	my $st;
	my $ok = wait_until($secs, 0.1, sub {
		return 0 unless waitpid($pid, WNOHANG) == $pid;
		$st = $?;
		return 1;
	});
	unless (defined $ok) {
		kill('KILL', -$pid);
		waitpid($pid, 0);
		return undef;
	}
	return $st & 127 ? 128 + ($st & 127) : $st >> 8;
}

# Processes whose command line names a path under $tmp (orbl-dnsd -c,
# orbl-prober -c, Postfix's master -c): "pid cmdline" each.
sub leftovers {
	my @l;
	for my $f (glob('/proc/[0-9]*/cmdline')) {
		open(my $fh, '<', $f) or next;
		local $/;
		my $c = <$fh> // '';
		close($fh);
		$c =~ tr/\0/ /;
		next unless index($c, $tmp) >= 0;
		my ($pid) = $f =~ m{/proc/(\d+)/};
		push(@l, "$pid $c");
	}
	return @l;
}

# Kills what a failed run left behind (so that the next run starts clean).
sub kill_leftovers {
	for my $l (leftovers()) {
		my ($pid) = split(' ', $l);
		kill('KILL', $pid);
	}
}

sub state_dirs { glob("$tmp/orbl-demo-*") }

sub check_clean {
	my ($what) = @_;
	my @procs;
	# The daemons were stopped before the demo exited; a Postfix
	# child may still be on its way out of the process table.
	wait_until(10, 0.1, sub { @procs = leftovers(); !@procs });
	is(scalar(@procs), 0, "$what: nothing it started is still running") or
	    diag(join("\n", @procs));
	my @d = state_dirs();
	is(scalar(@d), 0, "$what: its state folder is removed") or
	    diag("@d");
	kill_leftovers();
}

sub slurp { Orbl::slurp($_[0]) }

# -- the whole job
{
	my ($pid, $of, $ef) = launch();
	my $rc = finish($pid, 240);
	my ($out, $err) = (slurp($of), slurp($ef));
	is($rc, 0, 'demo: exit 0') or diag("stdout:\n$out\nstderr:\n$err");
	is($err, '', 'demo: nothing on stderr');
	my $q = qr/25\.0\.0\.127\.bl\.orbl\.test\.\s+\d+\s+IN/;
	my @want = (
	    [submitted => qr/^\s+submission \d+: 127\.0\.0\.25 port \d+ queued/m],
	    [confirmed => qr/probe #\d+ 127\.0\.0\.25 port \d+: confirmed/],
	    [listed => qr/^\s+127\.0\.0\.25 is listed by 127\.0\.0\.25$/m],
	    ['A 127.0.0.2' => qr/^\s+$q\s+A\s+127\.0\.0\.2$/m],
	    [TXT => qr/^\s+$q\s+TXT\s+"open relay/m],
	    ['the relay refuses after the fix' =>
		qr/^\s+554 5\.7\.1 \S+ Relay access denied$/m],
	    ['request filed' => qr/^\s+request (\d+) for 127\.0\.0\.25 recorded/m],
	    [delisted => qr/^\s+request \d+: 127\.0\.0\.25, delisted$/m],
	    [NXDOMAIN => qr/^\s+status: NXDOMAIN$/m],
	    ['not listed' => qr/^\s+127\.0\.0\.25 is not listed/m],
	);
	my $at = 0;
	for my $w (@want) {
		my ($name, $re) = @$w;
		my $rest = substr($out, $at);
		ok($rest =~ $re, "demo output shows: $name (in order)") or next;
		$at += $+[0];
	}
	like($out, qr/^\s+decision: .*closed \(all \d+ tests rejected\); delisted$/m,
	    'the decision says the re-test found it closed');
	unlike($out, qr/status: NXDOMAIN.*IN\s+A\s+127\.0\.0\.2/s,
	    'no A 127.0.0.2 after the NXDOMAIN');
	like($out, qr/stopped orbl-dnsd, orbl-prober, Postfix\n\s+removed \S+\n\z/,
	    'demo says it stopped everything and removed its folder');
	check_clean('after the end');
}

# -- Ctrl-C in the middle: SIGINT to the process group
{
	my ($pid, $of, $ef) = launch();
	my $t = wait_until(120, 0.05, sub {
		return 1 if waitpid($pid, WNOHANG) == $pid;
		return slurp($of) =~ /^== 3\. /m;
	});
	ok(defined $t && kill(0, $pid), 'demo: under way (step 3)') or
	    diag(slurp($of), slurp($ef));
	my @procs = leftovers();
	ok((grep { /orbl-dnsd/ } @procs) && (grep { /orbl-prober/ } @procs) &&
	    (grep { /master/ } @procs), '... its daemons and Postfix run ' .
	    '(seen by what check_clean looks for)') or diag(join("\n", @procs));
	kill('INT', -$pid);
	my $rc = finish($pid, 60);
	my $err = slurp($ef);
	is($rc, 130, 'demo after Ctrl-C: exit 130') or diag($err);
	like($err, qr/^demo: interrupted$/m, '... says it was interrupted');
	like($err, qr/^demo: stopped .*Postfix$/m, '... and what it stopped');
	check_clean('after Ctrl-C');
}

# -- without the programs: what to do, and nothing started
{
	my ($pid, $of, $ef) = launch(ORBL_BIN => "$tmp/nowhere");
	my $rc = finish($pid, 60);
	is($rc, 1, 'demo without the programs: exit 1');
	like(slurp($ef), qr{\Q$tmp\E/nowhere/orbl-dnsd is missing: build first},
	    '... saying what is missing and what to do');
	is(slurp($of), '', '... before anything else');
	check_clean('without the programs');
}

done_testing();
