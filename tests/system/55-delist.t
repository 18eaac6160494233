#!/usr/bin/perl
# 55-delist.t -- the loop that makes the list fair, with real daemons and
# real Postfix instances: an open relay is listed; its owner fixes it
# (the instance is replaced by a closed one on the same address) and asks
# for removal; the re-test waits for the re-test interval, finds the
# relay closed, and the address leaves the DNS answers.  A relay still
# open is refused with new evidence; one request per address; a cap per
# contact; an operator's remove answers open requests; a periodic re-test
# delists a listing whose relay was closed without anybody asking.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 wait_until free_port);
use Postfix qw(find_prog);

plan skip_all => 'needs root (private Postfix instances)' if $> != 0;
plan skip_all => 'postfix missing (run scripts/deps)'
    unless find_prog('postfix');

my $tmp = tempdir('delist-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $tmp);	# Postfix's daemons run as postfix below it
my $sinkport = free_port();
my $SINK = "[127.0.0.1]:$sinkport";
my %conf = (
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	connect_timeout => '3s',
	smtp_timeout => '4s',
	arrival_wait => '15s',
	retest_interval => '6s',
	relist_retest => '1h',
	tempfail_retry => '2s',
	request_contact_limit => 2,
	prefix_limit => 1000,
	submit_limit => 1000,
);
my $o = Orbl->new(conf => \%conf);

my %pf;
sub postfix {
	my ($name, $mode, $ip, $port) = @_;
	my $p = Postfix->new(mode => $mode, listen => $port ? "$ip:$port" : $ip,
	    relayhost => $SINK, dir => "$tmp/$name-$mode");
	my $ok = $p->start;
	ok($ok, "Postfix $name ($mode) on " . $p->ip . ' port ' . $p->port) or
	    diag($p->error, $p->log);
	$pf{$name} = $p;
	return $p;
}
# The daemons first: the sink's port is bound before a Postfix picks a
# "free" port of its own on 127.0.0.1.
ok($o->start, 'orbl-dnsd up');
ok($o->start_prober, 'orbl-prober up');
postfix('a', 'open', '127.0.0.31');
postfix('b', 'open', '127.0.0.32');
postfix('c', 'open', '127.0.0.33');


sub json_of {
	my ($r) = @_;
	return eval { decode_json($r->{out}) } // {};
}
sub a_of {
	my ($ip) = @_;
	my $p = $o->query(rev4($ip) . '.bl.test', 'A') or return 'no answer';
	my ($a) = grep { $_->type eq 'A' } $p->answer;
	return $a ? $a->address : $p->header->rcode;
}
sub listed_in_dns {
	my ($ip, $want, $secs) = @_;
	return defined wait_until($secs // 20, 0.05, sub {
		(a_of($ip) eq '127.0.0.2') == $want
	});
}
sub request {
	my ($id) = @_;
	return json_of($o->ctl('request', 'show', $id, '--json'));
}
sub flush { $_->flush for values %pf }
# After a Postfix is stopped: wait (up to 30 s) until nothing listens on
# its address any more (its smtpd children gone too), so that the next
# instance there does not share the port with a dying one (Postfix binds
# with SO_REUSEPORT).  A plain bind succeeds only then.
sub port_freed {
	my ($ip, $port) = @_;
	return defined wait_until(30, 0.05, sub {
		my $s = IO::Socket::INET->new(LocalAddr => $ip,
		    LocalPort => $port, Proto => 'tcp', Listen => 1,
		    ReuseAddr => 1) or return 0;
		close($s);
		return 1;
	});
}

# -- list three open relays
for my $n (qw(a b c)) {
	my $r = $o->ctl('submit', $pf{$n}->ip, '--port', $pf{$n}->port);
	is($r->{rc}, 0, "submit $n");
}
for my $n (qw(a b c)) {
	my $ip = $pf{$n}->ip;
	ok(defined(wait_until(40, 0.3, sub { flush(); a_of($ip) eq '127.0.0.2' })),
	    "$n: confirmed and listed");
}

# -- A is fixed: the owner asks; the re-test waits for the interval
my $t_req = time;
my $ra = json_of($o->ctl('delist-request', $pf{a}->ip, '--contact',
    'owner@a.example', '--note', 'fixed the relay config', '--json'));
ok($ra->{request}, "delist-request A: request $ra->{request}");
is($ra->{state}, 'pending', 'pending');
ok($ra->{not_before} && $ra->{not_before} > time, 'inside the re-test ' .
    'interval: it waits, and says until when');
like($o->ctl('request', 'show', $ra->{request})->{out}, qr/not before/,
    'request show says when the re-test may run');
my $dup = json_of($o->ctl('delist-request', $pf{a}->ip, '--contact',
    'someone@else.example', '--json'));
is($dup->{request}, $ra->{request}, 'a second request for A: the open one');
ok($dup->{existing}, '... marked existing');

# The owner really fixed it: a closed Postfix replaces the open one.
my ($aip, $aport) = ($pf{a}->ip, $pf{a}->port);
$pf{a}->stop;
ok(port_freed($aip, $aport), 'the open Postfix of A is gone from its port');
postfix('a', 'closed', $aip, $aport);

my $probes_before = $o->sql("SELECT count(*) FROM probe WHERE addr = '$aip'");
my $rq;
my $t = wait_until(60, 0.3, sub {
	$rq = request($ra->{request});
	($rq->{state} // '') =~ /^(delisted|refused)$/;
});
ok(defined $t, "A's request decided ($rq->{state})");
is($rq->{state}, 'delisted', 'A: delisted') or diag(explain($rq));
like($rq->{decision} // '', qr/closed/, "decision: $rq->{decision}");
ok($rq->{retest} && $rq->{retest}{transcript}, 'the re-test transcript is kept');
my $first_retest = $o->sql("SELECT min(started) FROM probe WHERE addr = " .
    "'$aip' AND id > (SELECT max(id) FROM probe WHERE addr = '$aip' " .
    "AND verdict = 'confirmed')");
ok($first_retest >= $ra->{not_before}, 'no re-test before the interval ' .
    'allowed it');
ok(listed_in_dns($aip, 0), 'A left the DNS answers');
my $lk = json_of($o->ctl('lookup', $aip, '--json'));
ok(!$lk->{listed}, 'lookup A: not listed');
ok((grep { $_->{op} eq 'remove' && $_->{actor} eq 'prober' }
    @{$lk->{history}}), 'history: removed by the prober') or
    diag(explain($lk->{history}));
ok((grep { $_->{kind} eq 'request' && $_->{what} eq 'delisted' }
    @{$lk->{events}}), 'events: the request and its decision');

# -- B is still open: refused, with the new evidence; the listing stays
my $bip = $pf{b}->ip;
my $rb = json_of($o->ctl('delist-request', $bip, '--contact',
    'owner@b.example', '--json'));
$t = wait_until(60, 0.3, sub {
	flush();
	$rq = request($rb->{request});
	($rq->{state} // '') =~ /^(delisted|refused)$/;
});
is($rq->{state}, 'refused', 'B (still open): refused') or diag(explain($rq));
like($rq->{decision} // '', qr/still an open relay/, 'the decision says why');
like($rq->{retest}{transcript} // '', qr/250/, 'with the new transcript');
ok(listed_in_dns($bip, 1), 'B is still listed');
$lk = json_of($o->ctl('lookup', $bip, '--json'));
is($lk->{probes}[0]{probe}, $rq->{retest}{probe},
    'the listing evidence is the new re-test');

# -- no test for an address that a test did not list
{
	my $r = $o->ctl('delist-request', '127.0.0.40', '--contact',
	    'owner@example.org');
	is($r->{rc}, 1, 'a request for an address that is not listed: refused');
	like($r->{err}, qr/not listed by a relay test/, '... saying why');
	$o->ctl_ok('add', '127.0.0.40', '--reason', 'the operator says so');
	$r = $o->ctl('delist-request', '127.0.0.40', '--contact',
	    'owner@example.org');
	is($r->{rc}, 1, "an operator's entry: refused, no re-test");
	like($r->{err}, qr/the entry is the operator's/, '... saying why');
	is($o->sql("SELECT count(*) FROM delist_request WHERE addr = " .
	    "'127.0.0.40'"), 0, 'no request recorded, no run queued');
	$o->ctl_ok('remove', '127.0.0.40', '--reason', 'test done');
}

# -- a cap on open requests per contact
{
	$o->probe_listed($_, 25) for qw(127.0.0.41 127.0.0.42 127.0.0.43);
	my $c = 'busy@owner.example';
	my $r1 = $o->ctl('delist-request', '127.0.0.41', '--contact', $c);
	my $r2 = $o->ctl('delist-request', '127.0.0.42', '--contact', $c);
	my $r3 = $o->ctl('delist-request', '127.0.0.43', '--contact', $c);
	is($r1->{rc} + $r2->{rc}, 0, 'two open requests for one contact');
	is($r3->{rc}, 1, 'a third is refused');
	like($r3->{err}, qr/open requests/, '... saying why');
	my $bad = $o->ctl('delist-request', '127.0.0.44', '--contact', 'nobody');
	is($bad->{rc}, 2, 'a contact that is not a mail address: usage error');
	$o->ctl_ok('remove', $_, '--reason', 'test done')
	    for qw(127.0.0.41 127.0.0.42 127.0.0.43);
}

# -- the operator's override answers the open request.  The prober is
# stopped meanwhile: B is still an open relay, and a re-test of the new
# request could otherwise decide it (refused) before the operator's
# remove does -- a race a loaded machine loses.
{
	$o->stop_prober;
	my $r = json_of($o->ctl('delist-request', $bip, '--contact',
	    'owner@b.example', '--json'));
	ok($r->{request} && !$r->{existing}, 'a new request for B');
	my $rm = $o->ctl('remove', $bip, '--reason', 'owner proved the fix');
	is($rm->{rc}, 0, 'orblctl remove B --reason ...');
	like($rm->{out}, qr/request $r->{request} answered: delisted/,
	    'the open request is answered');
	$rq = request($r->{request});
	is($rq->{state}, 'delisted', 'state delisted');
	like($rq->{decision}, qr/removed by the operator.*owner proved/,
	    'decision names the operator and the reason');
	ok(listed_in_dns($bip, 0), 'B left the DNS answers');
	$lk = json_of($o->ctl('lookup', $bip, '--json'));
	ok((grep { $_->{op} eq 'remove' && $_->{actor} =~ /^cli:/ &&
	    ($_->{why} // '') eq 'owner proved the fix' } @{$lk->{history}}),
	    'history: the operator, with the reason');
	ok($o->start_prober, 'orbl-prober started again');
}

# -- the periodic re-test delists C once its relay is closed
{
	my ($cip, $cport) = ($pf{c}->ip, $pf{c}->port);
	$pf{c}->stop;
	ok(port_freed($cip, $cport), 'the open Postfix of C is gone from its port');
	postfix('c', 'closed', $cip, $cport);
	$o->stop_prober;
	$o->write_conf({ %{$o->{conf}}, relist_retest => '2s' });
	ok($o->start_prober, 'orbl-prober restarted with relist_retest = 2s');
	ok(listed_in_dns($cip, 0, 40), 'C delisted by its periodic re-test');
	like($o->sql("SELECT s FROM journal JOIN str ON str.id = why WHERE " .
	    "net = " . Orbl::net_key($cip) . " AND op = 'remove'"),
	    qr/re-test.*closed/, 'the journal says why');
	my $sub = $o->sql("SELECT submitter FROM submission WHERE addr = " .
	    "'$cip' ORDER BY id DESC LIMIT 1");
	like($sub, qr/periodic re-test/, 'queued by the periodic re-test');
}

# -- requests list
{
	my $r = $o->ctl('requests', '--state', 'delisted', '--json');
	my $l = eval { decode_json($r->{out}) } // [];
	ok(@$l >= 2, 'requests --state delisted');
	is($o->ctl('requests', '--state', 'bogus')->{rc}, 2,
	    'requests --state bogus: usage error');
	is($o->ctl('request', 'show', '99999')->{rc}, 1,
	    'request show of a missing id: exit 1');
	my $st = json_of($o->ctl('stats', '--json'));
	ok($st->{requests}{delisted} >= 2, 'stats: requests by state');
	ok($st->{probes_last_day}{confirmed} >= 3 &&
	    $st->{probes_last_day}{closed} >= 2, 'stats: runs of the last day ' .
	    'by verdict') or diag(explain($st));
	is($st->{listings}{by_source}{probe}, 0, 'stats: listings by source ' .
	    '(every probe listing was delisted)');
}

$o->stop_prober;
$o->stop;
$_->stop for values %pf;
done_testing();
