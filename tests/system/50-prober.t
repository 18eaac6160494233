#!/usr/bin/perl
# 50-prober.t -- the real orbl-prober against real peers on 127.0.0.0/8:
# private Postfix instances (an open relay, a closed one, one open only to
# the percent hack) forwarding to the prober's own sink, and scripted
# fake servers (accept and discard, reject DATA, bounce, greylisting,
# tarpit, garbage, endless reply, drop mid-DATA, 5xx banner, a two-hop
# relay).  A relay is listed only when its test mail reached the sink;
# orbl-dnsd answers for it; orblctl lookup shows the evidence; a prober
# killed mid-run loses nothing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 wait_until free_port);
use Postfix qw(find_prog);
use FakeSMTP;

plan skip_all => 'needs root (private Postfix instances)' if $> != 0;
plan skip_all => 'postfix missing (run scripts/deps)'
    unless find_prog('postfix');

my $tmp = tempdir('prober-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sinkport = free_port();
my $SINK = "[127.0.0.1]:$sinkport";
my $o = Orbl->new(conf => {
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	probe_deny => '127.0.0.250/31',
	cookie_key => 'a test secret, not for production',
	connect_timeout => '3s',
	smtp_timeout => '4s',
	probe_timeout => '60s',
	arrival_wait => '20s',
	retest_interval => '1s',
	tempfail_retry => '5s',
	tempfail_tries => 2,
	prefix_limit => 1000,
	submit_limit => 1000,
	probe_concurrency => 50,
});

# The daemons first: the sink's port is bound before any peer picks a
# "free" port of its own (Postfix listens on 127.0.0.1 too).
ok($o->start, 'orbl-dnsd up');
ok($o->start_prober, 'orbl-prober up (its sink listens)');

# -- the peers
my %pf = (
	open => Postfix->new(mode => 'open', listen => '127.0.0.21',
	    relayhost => $SINK, dir => $tmp),
	closed => Postfix->new(mode => 'closed', listen => '127.0.0.22',
	    relayhost => $SINK, dir => $tmp),
	percent => Postfix->new(mode => 'percent', listen => '127.0.0.23',
	    relayhost => $SINK, dir => $tmp),
);
ok(Postfix::start_all(values %pf), 'three private Postfix instances up') or
    BAIL_OUT('Postfix did not start: ' . join("\n", map { $_->error // '' }
    values %pf));

my $N = 40;
my %fake;
sub fake {
	my ($name, %a) = @_;
	my $f = FakeSMTP->new(listen => '127.0.0.' . $N++, dir => $tmp,
	    lifetime => 110, idle => 20, %a);
	$f->start;
	$fake{$name} = $f;
	return $f;
}
fake('discard', behaviour => 'accept_discard');
fake('reject_data', behaviour => 'reject_data');
fake('bounce', behaviour => 'bounce', next_hop => "127.0.0.1:$sinkport",
    bounce_to => 'relaytest@sink.test');
fake('greylist', behaviour => 'greylist', greylist_delay => 4);
fake('tarpit', behaviour => 'tarpit', tarpit_delay => 2);
fake('garbage', behaviour => 'garbage');
fake('endless', behaviour => 'endless');
fake('drop', behaviour => 'drop_mid_data');
fake('banner5xx', behaviour => 'banner_5xx');
# Two hops: 127.0.0.60 accepts, the mail leaves from 127.0.0.61.
fake('twohop', behaviour => 'relay', listen => '127.0.0.60',
    next_hop => "127.0.0.1:$sinkport", source => '127.0.0.61');
# A slow queue: its mail reaches the sink after the run ended.  It accepts
# every form, so the run sends the whole battery in batches (1 s apart)
# and then waits arrival_wait (20 s); the first message leaves 90 s after
# it came, well after that.
fake('late', behaviour => 'relay', listen => '127.0.0.62',
    next_hop => "127.0.0.1:$sinkport", deliver_delay => 90, lifetime => 240);


# -- targets refused before anything is queued
{
	my $r = $o->ctl('submit', '10.1.2.3');
	is($r->{rc}, 1, 'submit 10.1.2.3: refused');
	like($r->{err}, qr/private range/, '... because it is private');
	$r = $o->ctl('submit', '2001:db8::25');
	is($r->{rc}, 1, 'submit 2001:db8::25: refused (documentation range)');
	$r = $o->ctl('submit', '192.0.2.0/24');
	is($r->{rc}, 1, 'submit of a range: refused');
	$r = $o->ctl('submit', '127.0.0.251');
	is($r->{rc}, 1, 'submit 127.0.0.251: refused');
	like($r->{err}, qr/not tested by policy/, '... it is not tested by policy');
	$r = $o->ctl('submit', '127.0.0.9', '--port', '99999');
	is($r->{rc}, 2, 'submit --port 99999: usage error');
}

# -- submit everything
my %target = (
	open => [$pf{open}->ip, $pf{open}->port],
	closed => [$pf{closed}->ip, $pf{closed}->port],
	percent => [$pf{percent}->ip, $pf{percent}->port],
	unreachable => ['127.0.0.99', free_port()],
	map { $_ => [$fake{$_}->ip, $fake{$_}->port] } keys %fake,
);
for my $t (sort keys %target) {
	my ($ip, $port) = @{$target{$t}};
	my $r = $o->ctl('submit', $ip, '--port', $port, '--submitter',
	    'tests', '--json');
	is($r->{rc}, 0, "submit $t ($ip port $port)") or diag($r->{err});
}

sub lookup {
	my ($ip) = @_;
	my $r = $o->ctl('lookup', $ip, '--json');
	my $j = eval { decode_json($r->{out}) };
	return ($r->{rc}, $j);
}

# The newest finished verdict for ip, or undef.
sub verdict_of {
	my ($ip) = @_;
	my ($rc, $j) = lookup($ip);
	return undef unless $j && $j->{probes};
	for my $p (@{$j->{probes}}) {
		return $p->{verdict} if defined $p->{finished};
	}
	return undef;
}

# Wait until every target has a verdict (Postfix may need a push).
my %want = (
	open => 'confirmed', closed => 'closed', percent => 'confirmed',
	unreachable => 'unreachable', discard => 'accepted-not-delivered',
	reject_data => 'closed', bounce => 'bounced', greylist => 'tempfail',
	tarpit => 'timeout', garbage => 'protocol-error',
	endless => 'protocol-error', banner5xx => 'refused',
	twohop => 'confirmed', late => 'accepted-not-delivered',
);
my %got;
my $t = wait_until(90, 0.5, sub {
	$_->flush for values %pf;
	for my $k (keys %target) {
		next if defined $got{$k};
		$got{$k} = verdict_of($target{$k}[0]);
	}
	return !grep { !defined $got{$_} } keys %target;
});
ok(defined $t, 'every target got a verdict') or
    diag(explain(\%got), `tail -50 ${\$o->prober_log}`);

for my $k (sort keys %want) {
	is($got{$k}, $want{$k}, "$k: $want{$k}");
}
note("drop mid-DATA ended as: " . ($got{drop} // 'nothing'));

# -- listed exactly when confirmed, answered by orbl-dnsd
sub a_of {
	my ($ip) = @_;
	my $p = $o->query(rev4($ip) . '.bl.test', 'A') or return '';
	my ($a) = grep { $_->type eq 'A' } $p->answer;
	return $a ? $a->address : $p->header->rcode;
}
for my $k (sort keys %target) {
	my $ip = $target{$k}[0];
	my $listed = ($got{$k} // '') eq 'confirmed';
	my $ok = wait_until(30, 0.05, sub {
		(a_of($ip) eq '127.0.0.2') == $listed
	});
	ok(defined $ok, "$k ($ip): " . ($listed ? 'listed, A 127.0.0.2' :
	    'not listed, NXDOMAIN')) or diag(a_of($ip));
}

# -- the evidence
{
	my ($rc, $j) = lookup($target{open}[0]);
	is($rc, 0, 'lookup of the open relay: exit 0 (listed)');
	is($j->{source}, 'probe', 'source: probe');
	is($j->{verdict}, 'confirmed', 'verdict: confirmed');
	my $p = $j->{probes}[0];
	is($p->{hops}, 'single-hop', 'single-hop: the mail came from it');
	ok($p->{relayed_test}, "relayed test $p->{relayed_test}");
	my ($t) = grep { $_->{test} == $p->{relayed_test} } @{$p->{tests}};
	ok($t && $t->{arrived}, 'the relayed test arrived at the sink') or
	    diag(explain($p));
	like($t->{received} // '', qr/^from .* by .*\(Postfix\)/,
	    '... with its Received chain');
	like($t->{data_reply} // '', qr/^250/, '... after 250 to the end of DATA');
	like($j->{reason}, qr/open relay.*test $p->{relayed_test}/,
	    'the TXT reason names the test');
	my $r = $o->ctl('lookup', $target{open}[0]);
	like($r->{out}, qr/evidence of probe #\d+/, 'text lookup: evidence');
	like($r->{out}, qr/arrived at the sink/, 'text lookup: the arrival');
}
{
	my ($rc, $j) = lookup($target{percent}[0]);
	my $p = $j->{probes}[0];
	my ($t) = grep { $_->{test} == ($p->{relayed_test} // 0) }
	    @{$p->{tests}};
	like($t->{name} // '', qr/percent/, "percent instance: relayed by a " .
	    "percent test ($t->{name})");
	my @acc = grep { ($_->{result} // '') =~ /accepted|relayed/ &&
	    $_->{name} !~ /percent/ } @{$p->{tests}};
	my @arr = grep { $_->{arrived} && $_->{name} !~ /percent/ }
	    @{$p->{tests}};
	is(scalar @arr, 0, 'no other form arrived at the sink');
}
{
	my ($rc, $j) = lookup($target{twohop}[0]);
	my $p = $j->{probes}[0];
	is($p->{hops}, 'multi-hop', 'two-hop relay: multi-hop');
	is($p->{output_addr}, '127.0.0.61', 'output address recorded');
	is($rc, 0, 'the tested address is listed');
	my ($rc2) = lookup('127.0.0.61');
	is($rc2, 1, 'the output address is not listed (not tested itself)');
	my $q = $o->sql("SELECT count(*) FROM submission WHERE addr = " .
	    "'127.0.0.61'");
	is($q, 1, 'the output address is queued for a probe of its own');
}
{
	my ($rc, $j) = lookup($target{discard}[0]);
	is($rc, 1, 'accept-and-discard: not listed');
	my $p = $j->{probes}[0];
	ok((grep { ($_->{result} // '') eq 'accepted' } @{$p->{tests}}),
	    'it did accept test messages (250 proves nothing)');
}
{
	my $q = $o->sql("SELECT state, not_before > 0 FROM submission WHERE " .
	    "addr = '$target{greylist}[0]' ORDER BY id LIMIT 1");
	like($q, qr/^(queued\|1|probing\|.*|done\|.*)$/,
	    "greylisting: re-queued with a back-off ($q)");
	my $ok = wait_until(30, 0.5, sub {
		$o->sql("SELECT count(*) FROM probe WHERE addr = " .
		    "'$target{greylist}[0]'") >= 2
	});
	ok(defined $ok, 'greylisting: tried again after the back-off');
}
like($fake{garbage}->log, qr/S: <binary junk, \d+ bytes>/,
    'the garbage peer really sent junk to the prober');
like($fake{endless}->log, qr/endless reply stopped after \d+ lines/,
    'the endless peer was cut off (the prober hung up, not the peer)');

# -- a late arrival still confirms (the cookie is valid for a day or two)
{
	my $ip = $target{late}[0];
	my $ok = wait_until(150, 0.5, sub { (verdict_of($ip) // '') eq 'confirmed' });
	ok(defined $ok, 'late arrival: the run turns from accepted-not-' .
	    'delivered to confirmed');
	my ($rc, $j) = lookup($ip);
	is($rc, 0, 'late arrival: listed');
	like($j->{reason} // '', qr/late arrival/, 'the reason says so');
	ok(defined wait_until(30, 0.05, sub { a_of($ip) eq '127.0.0.2' }),
	    'and orbl-dnsd answers for it');
	my $n = $o->sql("SELECT count(*) FROM arrival a JOIN probe p ON " .
	    "p.id = a.probe_id WHERE p.addr = '$ip' AND a.confirmed = 1");
	is($n, 1, 'exactly one arrival confirms, however many came');
}

# -- a second submission inside the re-test interval returns the verdict
{
	$o->write_conf({ %{$o->{conf}}, retest_interval => '1h' },
	    "$tmp/long.conf");
	my $r = $o->run_cmd([Orbl::bindir() . '/orblctl', '-c', "$tmp/long.conf",
	    'submit', $target{closed}[0], '--port', $target{closed}[1],
	    '--json']);
	my $j = eval { decode_json($r->{out}) } // {};
	is($j->{queued}, JSON::PP::false, 'resubmission inside the re-test ' .
	    'interval: not queued');
	is($j->{verdict}, 'closed', '... the last verdict is returned');
}

# -- orblctl probe in the foreground, beside the daemon (its sink is busy:
# the daemon records the arrival, orblctl sees it in the database)
{
	my $r = $o->run_cmd([Orbl::bindir() . '/orblctl', '-c', $o->conffile,
	    'probe', $target{open}[0], '--port', $target{open}[1]],
	    timeout => 60);
	is($r->{rc}, 0, 'orblctl probe of the open relay: exit 0 (confirmed)')
	    or diag($r->{out}, $r->{err});
	like($r->{out}, qr/^> MAIL FROM:/m, 'live transcript: commands');
	like($r->{out}, qr/^< 250/m, 'live transcript: replies');
	like($r->{out}, qr/verdict: confirmed/, 'verdict printed');
	$r = $o->run_cmd([Orbl::bindir() . '/orblctl', '-c', $o->conffile,
	    'probe', $target{closed}[0], '--port', $target{closed}[1]],
	    timeout => 60);
	is($r->{rc}, 1, 'orblctl probe of the closed one: exit 1');
	like($r->{out}, qr/verdict: closed/, 'verdict closed');
}

# -- killed mid-run: nothing lost
{
	my $slow = FakeSMTP->new(behaviour => 'tarpit', listen => '127.0.0.70',
	    dir => $tmp, tarpit_delay => 1, lifetime => 100);
	$slow->start;
	$o->ctl('submit', '127.0.0.70', '--port', $slow->port);
	my $ok = wait_until(10, 0.1, sub {
		$o->sql("SELECT state FROM submission WHERE addr = '127.0.0.70'")
		    eq 'probing'
	});
	ok(defined $ok, 'a slow run is in flight');
	$o->kill_prober;
	is($o->sql("SELECT state FROM submission WHERE addr = '127.0.0.70'"),
	    'probing', 'killed -9 while probing');
	ok($o->start_prober, 'orbl-prober restarted');
	# The sink listens before the database is opened: wait for the line.
	ok(defined(wait_until(5, 0.05, sub { Orbl::slurp($o->prober_log) =~
	    /re-queued \d+ units? of work interrupted/ })),
	    'the interrupted run was re-queued');
	$ok = wait_until(40, 0.5, sub {
		$o->sql("SELECT state FROM submission WHERE addr = '127.0.0.70'")
		    eq 'done'
	});
	ok(defined $ok, 'and finished after the restart');
	$slow->stop;
}

# -- a clean stop mid-run gives no verdict: the run is re-queued
{
	my $slow = FakeSMTP->new(behaviour => 'tarpit', listen => '127.0.0.71',
	    dir => $tmp, tarpit_delay => 1, lifetime => 100);
	$slow->start;
	$o->ctl('submit', '127.0.0.71', '--port', $slow->port);
	my $ok = wait_until(10, 0.1, sub {
		$o->sql("SELECT state FROM submission WHERE addr = '127.0.0.71'")
		    eq 'probing'
	});
	ok(defined $ok, 'another slow run is in flight');
	$o->stop_prober;
	is($o->sql("SELECT state FROM submission WHERE addr = '127.0.0.71'"),
	    'queued', 'SIGTERM mid-run: the submission is queued again');
	is($o->sql("SELECT count(*) FROM probe WHERE addr = '127.0.0.71' AND " .
	    "verdict IS NOT NULL"), 0, '... and no verdict was recorded');
	ok($o->start_prober, 'orbl-prober started again');
	$slow->stop;
}

# -- stats
{
	my $r = $o->ctl('stats', '--json');
	my $j = eval { decode_json($r->{out}) } // {};
	ok($j->{submissions}{done} >= 10, "stats: $j->{submissions}{done} " .
	    'submissions done');
}

$o->stop_prober;
$o->stop;
$_->stop for values %fake;
$_->stop for values %pf;
done_testing();
