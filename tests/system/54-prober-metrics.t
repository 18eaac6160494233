#!/usr/bin/perl
# 54-prober-metrics.t -- orbl-prober's Prometheus page (GET /metrics on
# prober_metrics_listen): it parses with the reference parser, and its
# counters move by exactly what was done -- a relay (fake, forwarding to
# the prober's own sink) confirmed, a server that refuses (5xx banner), a
# closed one, mail without a cookie, a connection over the per-peer cap,
# a database locked by another writer -- while the queue gauges show
# what is in the database and the SIGUSR1 stats line says the same.
# With the key unset there is no listener; a metrics address that cannot
# be used stops the start with a clear error.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;

use Orbl qw(wait_until free_port);
use FakeSMTP qw(smtp_send smtp_reply);
use Metrics qw(prom_parse);

plan skip_all => 'python3-prometheus-client missing (run scripts/deps)'
    unless system('/usr/bin/python3', '-c', 'import prometheus_client') == 0;

my $tmp = tempdir('metrics-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sinkport = free_port();
my $mport = free_port();
my %conf = (
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	sink_max_per_peer => 2,
	probe_allow => '127.0.0.0/8',
	cookie_key => 'a test secret, not for production',
	connect_timeout => '3s',
	smtp_timeout => '4s',
	probe_timeout => '60s',
	arrival_wait => '20s',
	prefix_limit => 1000,
	submit_limit => 1000,
	prober_metrics_listen => "127.0.0.1:$mport",
);
my $o = Orbl->new(conf => \%conf);

# GET path on the metrics port: the HTTP::Tiny response.
sub get {
	my ($path) = @_;
	return HTTP::Tiny->new(timeout => 10)->get(
	    "http://127.0.0.1:$mport$path");
}

sub parse { prom_parse($o, $_[0]) }

# One scrape, parsed (undef if it failed).
sub scrape {
	my $r = get('/metrics');
	return undef unless $r->{success};
	return parse($r->{content});
}

sub v {
	my ($m, $key) = @_;
	return $m->{$key} // 'absent';
}

sub runs { "orbl_prober_runs_total{verdict=\"$_[0]\"}" }
sub queue { "orbl_prober_queue{kind=\"$_[0]\",state=\"$_[1]\"}" }
sub msgs { "orbl_prober_sink_messages_total{result=\"$_[0]\"}" }
sub conns { "orbl_prober_smtp_connections_total{result=\"$_[0]\"}" }

my @VERDICTS = qw(confirmed closed refused tempfail accepted-not-delivered
    bounced timeout unreachable protocol-error);

# -- the configuration is checked (orbl-prober -n)
{
	my $bad = "$tmp/bad.conf";
	$o->write_conf({ %{$o->{conf}},
	    prober_metrics_listen => "127.0.0.1:$sinkport" }, $bad);
	my $r = $o->run_cmd([Orbl::bindir() . '/orbl-prober', '-n', '-c',
	    $bad]);
	isnt($r->{rc}, 0, 'orbl-prober -n: a metrics address that is the '
	    . 'sink\'s is refused');
	like($r->{err}, qr/prober_metrics_listen 127\.0\.0\.1 port $sinkport is also a sink_listen address/,
	    '... saying why') or diag($r->{err});
	$r = $o->run_cmd([Orbl::bindir() . '/orbl-prober', '-n', '-c',
	    $o->conffile]);
	is($r->{rc}, 0, 'orbl-prober -n: the test configuration is fine') or
	    diag($r->{err});
}

ok($o->start_prober, 'orbl-prober up, with prober_metrics_listen');
like(Orbl::slurp($o->prober_log),
    qr/metrics on 127\.0\.0\.1 port $mport at \/metrics/,
    '... and says where its metrics are');

# -- the page
my $m0;
{
	my $r = get('/metrics');
	is($r->{status}, 200, 'GET /metrics: 200');
	like($r->{headers}{'content-type'} // '',
	    qr{^text/plain; version=0\.0\.4}, '... in the text format 0.0.4');
	$m0 = parse($r->{content});
	ok($m0, '... which the reference parser reads') or
	    BAIL_OUT('the page does not parse');
	is(get('/')->{status}, 404, 'GET /: 404 (only /metrics)');
	# (Not the sink's connections: start_prober tried its port.)
	for my $k ('orbl_prober_runs_in_flight{}',
	    'orbl_prober_runs_started_total{}',
	    'orbl_prober_runs_interrupted_total{}',
	    'orbl_prober_sessions_total{}',
	    'orbl_prober_sink_refused_total{reason="per_peer"}',
	    'orbl_prober_sink_refused_total{reason="max_sessions"}',
	    'orbl_prober_confirmations_total{}',
	    'orbl_prober_listed_total{}',
	    'orbl_prober_database_busy_total{}',
	    'orbl_prober_database_wait_seconds_total{}',
	    'orbl_prober_database_locks_total{}',
	    (map { runs($_) } @VERDICTS),
	    (map { msgs($_) } qw(recorded no_cookie bad_cookie dropped
	    tempfail error)),
	    (map { conns($_) } qw(connected failed timeout cut)),
	    (map { queue('submission', $_) } qw(queued probing done failed)),
	    (map { queue('request', $_) } qw(pending retesting delisted refused))) {
		is(v($m0, $k), '0.0', "at start: $k 0");
	}
	ok((grep { /^orbl_prober_build_info\{version="[^"]+"\}$/ &&
	    $m0->{$_} == 1 } keys %$m0), 'orbl_prober_build_info{version} 1');
	ok(!(grep { /verdict="none"/ } keys %$m0),
	    'runs_total has no "none" (an interrupted run has no verdict)');
}

# -- the queue gauges read the database
{
	my $later = 'CAST(strftime(\'%s\', \'now\') AS INTEGER)';
	$o->sql("INSERT INTO submission (addr, port, submitter, state, " .
	    "created, updated, not_before) VALUES ('127.0.0.49', 25, " .
	    "'tests', 'queued', $later, $later, $later + 86400)");
	$o->sql("INSERT INTO delist_request (addr, contact, state, created, " .
	    "updated, not_before) VALUES ('127.0.0.49', 'owner\@example.org', " .
	    "'pending', $later, $later, $later + 86400)");
	my $m = scrape();
	is(v($m, queue('submission', 'queued')), '1.0',
	    'a submission queued for tomorrow: queue{submission,queued} 1');
	is(v($m, queue('request', 'pending')), '1.0',
	    'a delisting request pending: queue{request,pending} 1');
}

# -- three runs: a relay, a 5xx banner, a closed server
my %fake = (
	relay => FakeSMTP->new(behaviour => 'relay', listen => '127.0.0.41',
	    next_hop => "127.0.0.1:$sinkport", dir => $tmp, lifetime => 110,
	    idle => 20),
	refuse => FakeSMTP->new(behaviour => 'banner_5xx',
	    listen => '127.0.0.42', dir => $tmp, lifetime => 110, idle => 20),
	closed => FakeSMTP->new(behaviour => 'reject_data',
	    listen => '127.0.0.43', dir => $tmp, lifetime => 110, idle => 20),
);
$_->start for values %fake;
for my $t (sort keys %fake) {
	my $r = $o->ctl('submit', $fake{$t}->ip, '--port', $fake{$t}->port,
	    '--submitter', 'tests');
	is($r->{rc}, 0, "submit the $t server") or diag($r->{err});
}
my $ips = join(', ', map { "'" . $_->ip . "'" } values %fake);
my $done = wait_until(90, 0.2, sub {
	$o->sql("SELECT count(*) FROM submission WHERE addr IN ($ips) AND " .
	    "state = 'done'") == 3;
});
ok(defined $done, 'the three runs finished') or
    diag($o->sql("SELECT addr, state, result FROM submission"), "\n",
    Orbl::slurp($o->prober_log));

my $m1 = scrape();
ok($m1, 'scraped again, and it parses');
{
	my %want = (confirmed => 1, refused => 1, closed => 1);
	for my $verdict (@VERDICTS) {
		is(v($m1, runs($verdict)) - v($m0, runs($verdict)),
		    $want{$verdict} // 0, "runs_total{verdict=\"$verdict\"} " .
		    "moved by " . ($want{$verdict} // 0));
	}
	is(v($m1, 'orbl_prober_runs_started_total{}'), '3.0',
	    'runs_started_total 3');
	is(v($m1, 'orbl_prober_runs_in_flight{}'), '0.0',
	    'runs_in_flight 0');
	is(v($m1, 'orbl_prober_sessions_total{}'), '3.0',
	    'sessions_total 3 (one per run)');
	cmp_ok(v($m1, conns('connected')), '>=', 3,
	    'smtp_connections_total{connected} moved (the closed server '
	    . 'may be connected to more than once)');
	for my $r (qw(failed timeout cut)) {
		is(v($m1, conns($r)), '0.0', "smtp_connections_total{$r} 0");
	}
	is(v($m1, 'orbl_prober_confirmations_total{}'), '1.0',
	    'confirmations_total 1 (only the first arrival confirms)');
	is(v($m1, 'orbl_prober_listed_total{}'), '1.0', 'listed_total 1');
	cmp_ok(v($m1, 'orbl_prober_sink_connections_total{}'), '>=', 1,
	    'sink_connections_total moved (the relay delivered)');
	cmp_ok(v($m1, msgs('recorded')), '>=', 1,
	    'sink_messages_total{recorded} moved');
	for my $r (qw(no_cookie bad_cookie dropped tempfail error)) {
		is(v($m1, msgs($r)), '0.0', "sink_messages_total{$r} 0");
	}
	is(v($m1, queue('submission', 'done')), '3.0',
	    'queue{submission,done} 3');
	is(v($m1, queue('submission', 'queued')), '1.0',
	    'queue{submission,queued} 1 (tomorrow\'s)');
	is(v($m1, queue('submission', 'probing')), '0.0',
	    'queue{submission,probing} 0');
}

# The relay's sessions end: the gauge comes back to 0.
my $m;
ok(defined wait_until(30, 0.1, sub {
	$m = scrape();
	return $m && $m->{'orbl_prober_sink_connections{}'} == 0;
}), 'sink_connections back to 0 once the relay has gone');

# -- mail without a cookie
{
	my $before = $m;
	my $r = smtp_send(host => '127.0.0.1', port => $sinkport,
	    bind => '127.0.0.44', from => 'someone@example.org',
	    to => ['relaytest@sink.test'],
	    data => "Subject: hello\n\nno cookie here\n");
	ok($r->{ok}, 'a message without a cookie: accepted by the sink') or
	    diag(join("\n", @{$r->{transcript}}));
	my $after = scrape();
	is(v($after, msgs('no_cookie')) - v($before, msgs('no_cookie')), 1,
	    'sink_messages_total{no_cookie} moved by 1');
	is(v($after, msgs('recorded')) - v($before, msgs('recorded')), 0,
	    '... recorded did not');
	is(v($after, 'orbl_prober_sink_connections_total{}') -
	    v($before, 'orbl_prober_sink_connections_total{}'), 1,
	    'sink_connections_total moved by 1');
	is(v($after, 'orbl_prober_confirmations_total{}'),
	    v($before, 'orbl_prober_confirmations_total{}'),
	    'confirmations_total did not move');
	$m = $after;
}

# -- the per-peer cap (sink_max_per_peer 2) from one address
{
	my $before = $m;
	my @held;
	for (1 .. 2) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $sinkport, LocalAddr => '127.0.0.45',
		    Proto => 'tcp', Timeout => 5);
		my $buf = '';
		my ($code) = $s ? smtp_reply($s, \$buf, 10) : ();
		is($code, 220, "connection $_ from 127.0.0.45: banner");
		push @held, $s;
	}
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $sinkport, LocalAddr => '127.0.0.45', Proto => 'tcp',
	    Timeout => 5);
	my $buf = '';
	my ($code) = $s ? smtp_reply($s, \$buf, 10) : ();
	is($code, 421, 'the third: 421 (sink_max_per_peer)');
	close($s) if $s;
	my $mid = scrape();
	is(v($mid, 'orbl_prober_sink_refused_total{reason="per_peer"}') -
	    v($before, 'orbl_prober_sink_refused_total{reason="per_peer"}'), 1,
	    'sink_refused_total{per_peer} moved by 1');
	is(v($mid, 'orbl_prober_sink_refused_total{reason="max_sessions"}'),
	    '0.0', 'sink_refused_total{max_sessions} 0');
	is(v($mid, 'orbl_prober_sink_connections{}'), '2.0',
	    'sink_connections 2 (the two held)');
	close($_) for @held;
	ok(defined wait_until(30, 0.1, sub {
		$m = scrape();
		return $m && $m->{'orbl_prober_sink_connections{}'} == 0;
	}), '... 0 again once they are closed');
}

# -- the stats line (SIGUSR1) says what the page says
{
	my $mark = -s $o->prober_log;
	kill('USR1', $o->prober_pid);
	my $line;
	wait_until(20, 0.05, sub {
		($line) = substr(Orbl::slurp($o->prober_log), $mark) =~
		    /^(.*stats \(SIGUSR1\).*)$/m;
		return defined $line;
	});
	ok(defined $line, 'SIGUSR1: a stats line');
	my $p = scrape();
	my %s;
	$s{$1} = $2 while ($line // '') =~ /([a-z]+) (\d+)/g;
	my $finished = 0;
	$finished += $p->{runs($_)} for @VERDICTS;
	cmp_ok($s{active}, '==', $p->{'orbl_prober_runs_in_flight{}'},
	    '... active = runs_in_flight');
	cmp_ok($s{started}, '==', $p->{'orbl_prober_runs_started_total{}'},
	    '... started = runs_started_total');
	cmp_ok($s{finished}, '==', $finished,
	    '... finished = the sum of runs_total');
	cmp_ok($s{listed}, '==', $p->{'orbl_prober_listed_total{}'},
	    '... listed = listed_total');
	cmp_ok($s{delisted}, '==', $p->{'orbl_prober_delisted_total{}'},
	    '... delisted = delisted_total');
	for my $st (qw(queued probing done failed)) {
		cmp_ok($s{$st}, '==', $p->{queue('submission', $st)},
		    "... $st = queue{submission,$st}");
	}
	$m = $p;
}

# -- a database locked by another writer
{
	my $before = $m;
	my $lock = $o->lock_db;
	ok($lock, 'another writer holds the database');
	my $busy;
	ok(defined wait_until(30, 0.1, sub {
		$busy = scrape();
		return $busy && $busy->{'orbl_prober_database_busy_total{}'} >
		    $before->{'orbl_prober_database_busy_total{}'};
	}), 'database_busy_total moves (the claims meet the lock)');
	cmp_ok(v($busy, 'orbl_prober_database_wait_seconds_total{}'), '>',
	    v($before, 'orbl_prober_database_wait_seconds_total{}'),
	    '... and database_wait_seconds_total');
	cmp_ok(v($busy, 'orbl_prober_database_locks_total{}'), '>=',
	    v($busy, 'orbl_prober_database_busy_total{}') -
	    v($before, 'orbl_prober_database_busy_total{}'),
	    '... and database_locks_total, at least one per give-up');
	is(v($busy, queue('submission', 'done')), '3.0',
	    '... while the queue is still read (WAL readers)');
	$o->unlock_db($lock);
	# Free again: new work runs (another closed server: a recent
	# verdict on the first one would stand without a run).
	$fake{closed2} = FakeSMTP->new(behaviour => 'reject_data',
	    listen => '127.0.0.46', dir => $tmp, lifetime => 110, idle => 20);
	$fake{closed2}->start;
	my $r = $o->ctl('submit', $fake{closed2}->ip, '--port',
	    $fake{closed2}->port, '--submitter', 'tests');
	is($r->{rc}, 0, 'the lock is gone: submit another closed server');
	my $after;
	ok(defined wait_until(60, 0.2, sub {
		$after = scrape();
		return $after && $after->{runs('closed')} ==
		    $before->{runs('closed')} + 1 &&
		    $after->{'orbl_prober_runs_in_flight{}'} == 0;
	}), '... and its run is counted: runs_total{closed} moved by 1');
}

$o->stop_prober;

# -- no key, no listener
{
	delete $o->{conf}{prober_metrics_listen};
	$o->write_conf;
	my $mark = -s $o->prober_log;
	ok($o->start_prober, 'orbl-prober up without prober_metrics_listen');
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $mport, Proto => 'tcp', Timeout => 2);
	ok(!$c, '... nothing listens on the old metrics port');
	unlike(substr(Orbl::slurp($o->prober_log), $mark), qr/metrics on/,
	    '... and it says nothing of metrics');
	$o->stop_prober;
}

# -- a metrics address that cannot be bound: the start fails, saying why
{
	my $held = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', Listen => 1) or die "listen: $!";
	my $port = $held->sockport;
	$o->{conf}{prober_metrics_listen} = "127.0.0.1:$port";
	$o->write_conf;
	my $r = $o->run_cmd([Orbl::bindir() . '/orbl-prober', '-d', '-c',
	    $o->conffile], timeout => 20);
	is($r->{rc}, 1, 'metrics port taken: orbl-prober exits 1');
	like($r->{err}, qr/metrics listen 127\.0\.0\.1 port $port: /,
	    '... naming the address') or diag($r->{err});
	close($held);
}

$_->stop for values %fake;
done_testing();
