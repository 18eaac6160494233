#!/usr/bin/perl
# 52-own-sink.t -- orbl never tests its own mail sink, and never tells the
# public what its do-not-test list holds.  The prober's sink listens on
# 127.0.0.1 (and ::1); loopback is allowed as a target (probe_allow), so
# only the sink rule refuses the sink's address: through orblctl submit
# (any port), orblctl probe, and in orbl-prober for a submission that
# reached the database some other way.  A probe_deny'd address is "not
# tested by policy", without the list's entry.  A neighbouring loopback
# address is still probed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;

use Orbl qw(wait_until free_port);

my $v6 = Orbl::ipv6_works();
my $sinkport = free_port($v6);
my $o = Orbl->new(ipv6 => $v6, conf => {
	sink_listen => ["127.0.0.1:$sinkport", ($v6 ? ("[::1]:$sinkport") : ())],
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	probe_allow => ['127.0.0.0/8', '::1/128'],
	probe_deny => '127.0.0.250/31',
	cookie_key => 'a test secret, not for production',
	connect_timeout => '3s',
	smtp_timeout => '4s',
	probe_timeout => '30s',
	arrival_wait => '5s',
	prefix_limit => 1000,
	submit_limit => 1000,
});

ok($o->start_prober, 'orbl-prober up (its sink listens)');

my $SELF = qr/is orbl's own mail sink: never tested/;

sub count_rows {
	my ($table, $addr) = @_;
	return $o->sql("SELECT count(*) FROM $table WHERE addr = '$addr'");
}

# -- orblctl submit: the sink's address, on its port and on any other
for my $port ($sinkport, 25) {
	my $r = $o->ctl('submit', '127.0.0.1', '--port', $port);
	is($r->{rc}, 1, "submit 127.0.0.1 --port $port (the sink): refused");
	like($r->{err}, qr/127\.0\.0\.1 $SELF/, '... as orbl\'s own sink') or
	    diag($r->{err});
}
is(count_rows('submission', '127.0.0.1'), 0, '... nothing was queued');
if ($v6) {
	my $r = $o->ctl('submit', '::1', '--port', $sinkport);
	is($r->{rc}, 1, 'submit ::1 (the sink\'s IPv6 address): refused');
	like($r->{err}, qr/::1 $SELF/, '... as orbl\'s own sink');
	is(count_rows('submission', '::1'), 0, '... nothing was queued');
}
{
	# An IPv4-mapped spelling is the same address.
	my $r = $o->ctl('submit', '::ffff:127.0.0.1', '--port', $sinkport);
	is($r->{rc}, 1, 'submit ::ffff:127.0.0.1: refused');
	like($r->{err}, $SELF, '... as orbl\'s own sink');
}

# -- orblctl probe (in the foreground): refused before any connection
{
	my $r = $o->ctl('probe', '127.0.0.1', '--port', $sinkport);
	is($r->{rc}, 1, 'probe 127.0.0.1 --port (the sink): refused');
	like($r->{err}, qr/127\.0\.0\.1 $SELF/, '... as orbl\'s own sink');
	is(count_rows('probe', '127.0.0.1'), 0, '... no run was recorded');
}

# -- the do-not-test list is not revealed
for my $verb (qw(submit probe)) {
	my $r = $o->ctl($verb, '127.0.0.251', '--port', $sinkport);
	is($r->{rc}, 1, "$verb 127.0.0.251 (probe_deny): refused");
	like($r->{err}, qr/127\.0\.0\.251 is not tested by policy/,
	    '... "not tested by policy"') or diag($r->{err});
	unlike($r->{err}, qr{127\.0\.0\.250|/31|do-not-test|probe_deny},
	    '... without the list or its entry');
}
is(count_rows('submission', '127.0.0.251'), 0, '... nothing was queued');

# -- orbl-prober applies the same rule to what is in its queue already
# (a row written by an older front end, or by hand).
for my $t (['127.0.0.1', $sinkport, $SELF],
    ['127.0.0.250', 25, qr/is not tested by policy/]) {
	my ($ip, $port, $why) = @$t;
	$o->sql("INSERT INTO submission (addr, port, submitter, state, " .
	    "created, updated) VALUES ('$ip', $port, 'tests', 'queued', " .
	    "CAST(strftime('%s', 'now') AS INTEGER), " .
	    "CAST(strftime('%s', 'now') AS INTEGER))");
	my $done = wait_until(20, 0.1, sub {
		$o->sql("SELECT state FROM submission WHERE addr = '$ip'") eq
		    'failed'
	});
	ok(defined $done, "queued $ip: the prober refuses it") or
	    diag($o->sql("SELECT * FROM submission WHERE addr = '$ip'"),
	    "\n", Orbl::slurp($o->prober_log));
	like(Orbl::slurp($o->prober_log), qr/\Q$ip\E $why/,
	    '... and logs why');
	is(count_rows('probe', $ip), 0, '... without a run');
}

# -- a neighbour of the sink is an ordinary target
{
	my $port = free_port();		# nothing listens there
	my $r = $o->ctl('submit', '127.0.0.9', '--port', $port, '--submitter',
	    'tests');
	is($r->{rc}, 0, 'submit 127.0.0.9 (next to the sink): taken') or
	    diag($r->{err});
	my $v;
	my $t = wait_until(30, 0.2, sub {
		$v = $o->sql("SELECT verdict FROM probe WHERE addr = " .
		    "'127.0.0.9' AND finished IS NOT NULL");
		return $v ne '';
	});
	ok(defined $t, '... and probed') or
	    diag(Orbl::slurp($o->prober_log));
	is($v, 'unreachable', '... verdict: unreachable (nothing listens)');
}

$o->stop_prober;
done_testing();
