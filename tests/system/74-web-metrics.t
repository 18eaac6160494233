#!/usr/bin/perl
# 74-web-metrics.t -- orbl-web's Prometheus metrics (web_metrics_listen):
# served at /metrics on their own address only, never on web_listen (a
# config that would is refused, at -n and at start; /metrics there is a
# 404); the exposition parses with the reference parser
# (python3-prometheus-client, lib/promparse.py); every counter moves by
# exactly what was sent: pages, API calls, a 404, a 405, bad POSTs (400),
# submissions and delisting requests by result, POSTs past web_rate_limit
# (429), a locked database (503, busy) and a missing one (503, open);
# scrapes are not requests; the connections gauge follows an open
# connection; web_max_clients pauses the listeners (a pause counted, the
# accepting gauge 0); the stats log line (SIGUSR1) agrees; no listener at
# all when the key is unset.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;

use Orbl qw(wait_until free_port);
use Web;
use Metrics qw(prom_parse deltas_are listening_ports);

my $o = Orbl->new(conf => {
	probe_allow => '127.0.0.0/8',
	probe_ports => '25 2525',
	submit_limit => 1000,
	request_contact_limit => 10,
});
my $dir = $o->dir;
my $mport = free_port();
my $w = Web->new($o, conffile => "$dir/web.conf", conf => {
    web_rate_limit => 6, web_metrics_listen => "127.0.0.1:$mport" });
my $bin = Orbl::bindir() . '/orbl-web';
my $nparse = 0;

# GET /metrics on port; the response.
sub scrape_raw {
	my ($port) = @_;
	return HTTP::Tiny->new(timeout => 15)->get(
	    "http://127.0.0.1:$port/metrics");
}

sub parse { prom_parse($o, $_[0], numeric => 1) }

# A scrape that must answer and parse: its samples.
sub scrape {
	my ($port, $name) = @_;
	my $r = scrape_raw($port);
	is($r->{status}, 200, "$name: /metrics answers 200") or
	    diag($r->{content});
	my $s = parse($r->{content} // '');
	ok($s, "$name: the exposition parses (prometheus_client)");
	return $s // {};
}


# The requests_total sample of route and status.
sub req {
	my ($route, $status) = @_;
	return "orbl_web_requests_total{route=\"$route\",status=\"$status\"}";
}


# -- the metrics never on the public listener: refused -------------------
{
	my $r = $o->run_cmd([$bin, '-n', '-c', $w->{conffile}]);
	is($r->{rc}, 0, 'orbl-web -n with web_metrics_listen on its own port: OK')
	    or diag($r->{err});
	my $port = $w->port;
	my $bad = "$dir/same.conf";
	$o->write_conf({ %{$w->{conf}},
	    web_metrics_listen => "127.0.0.1:$port" }, $bad);
	$r = $o->run_cmd([$bin, '-n', '-c', $bad]);
	is($r->{rc}, 1, 'web_metrics_listen equal to web_listen: -n exits 1');
	like($r->{err}, qr/^orbl-web: web_metrics_listen 127\.0\.0\.1 port $port is also web_listen 127\.0\.0\.1 port $port: the metrics must not be served on the public listener$/m,
	    '... saying which and why');
	$r = $o->run_cmd([$bin, '-d', '-c', $bad]);
	is($r->{rc}, 1, '... and it does not start either: exit 1');
	like($r->{err}, qr/web_metrics_listen 127\.0\.0\.1 port $port is also web_listen/,
	    '... with the same message');
	$o->write_conf({ %{$w->{conf}},
	    web_metrics_listen => ["127.0.0.1:$mport", "0.0.0.0:$port"] }, $bad);
	$r = $o->run_cmd([$bin, '-n', '-c', $bad]);
	is($r->{rc}, 1, 'a wildcard on the public port (0.0.0.0): refused');
	like($r->{err}, qr/web_metrics_listen 0\.0\.0\.0 port $port is also web_listen 127\.0\.0\.1 port $port/,
	    '... naming both');
	unlike($r->{err}, qr/web_metrics_listen 127\.0\.0\.1 port $mport/,
	    '... and not the good one');
}

ok($w->start, 'orbl-web up on ' . $w->base . " with metrics on $mport") or
    BAIL_OUT('no orbl-web');
like($w->log_text, qr{metrics on http://127\.0\.0\.1:$mport/metrics},
    'the metrics listener is logged');
is_deeply([listening_ports($w->pid)], [sort { $a <=> $b } $w->port, $mport],
    'it listens on web_listen and web_metrics_listen, nothing else');

# -- the exposition -------------------------------------------------------
my $m0;
{
	my $r = scrape_raw($mport);
	is($r->{status}, 200, 'GET /metrics: 200');
	like($r->{headers}{'content-type'} // '', qr{^text/plain; version=0\.0\.4},
	    'text exposition format 0.0.4');
	my $text = $r->{content} // '';
	my %type = (orbl_web_requests_total => 'counter',
	    orbl_web_rate_limited_total => 'counter',
	    orbl_web_database_errors_total => 'counter',
	    orbl_web_submissions_total => 'counter',
	    orbl_web_delisting_requests_total => 'counter',
	    orbl_web_connections => 'gauge',
	    orbl_web_connections_total => 'counter',
	    orbl_web_accept_errors_total => 'counter',
	    orbl_web_accept_pauses_total => 'counter',
	    orbl_web_accepting => 'gauge',
	    orbl_web_rate_limit_clients => 'gauge',
	    orbl_web_database_open => 'gauge',
	    orbl_web_build_info => 'gauge');
	for my $f (sort keys %type) {
		like($text, qr/^# HELP $f \S.*\n# TYPE $f $type{$f}$/m,
		    "$f: HELP and TYPE $type{$f}");
	}
	$m0 = parse($text);
	ok($m0, 'the exposition parses (prometheus_client)') or BAIL_OUT('no parse');
	ok(($m0->{req('index', 200)} // 0) >= 1,
	    'the start-up probes of GET / are counted: index, 200');
	for my $k (qw(open busy other)) {
		is($m0->{"orbl_web_database_errors_total{kind=\"$k\"}"}, 0,
		    "database errors, $k: 0");
	}
	for my $k (qw(queued stands refused limited error)) {
		is($m0->{"orbl_web_submissions_total{result=\"$k\"}"}, 0,
		    "submissions, $k: 0");
	}
	for my $k (qw(created existing refused limited error)) {
		is($m0->{"orbl_web_delisting_requests_total{result=\"$k\"}"}, 0,
		    "delisting requests, $k: 0");
	}
	is($m0->{'orbl_web_accepting{}'}, 1, 'accepting: 1');
	is($m0->{'orbl_web_database_open{}'}, 1, 'database open: 1');
	my @info = grep { /^orbl_web_build_info\{/ } keys %$m0;
	is(scalar(@info), 1, 'one build_info');
	like($info[0] // '', qr/^orbl_web_build_info\{version="\d+\.\d+[^"]*"\}$/,
	    '... with the version');
	is($m0->{$info[0] // ''}, 1, '... and the value 1');
	my $again = scrape($mport, 'a second scrape');
	deltas_are($m0, $again, {}, 'scrapes are not requests');
	$m0 = $again;
	is($w->request('HEAD', "http://127.0.0.1:$mport/metrics")->{status}, 200,
	    'HEAD /metrics: 200');
	is(scrape_raw($mport)->{status}, 200, '(and once more)');
	$m0 = scrape($mport, 'baseline');
}

# -- known requests, and what they count --------------------------------------
$o->probe_listed('192.0.2.1');
{
	my $C = '127.0.0.9';
	my @sent;
	my $send = sub {
		my ($what, $r, $code) = @_;
		push @sent, $what;
		is($r->{status}, $code, "$what: $code") or
		    diag(substr($r->{content} // '', 0, 400));
	};
	$send->('lookup page', $w->get('/lookup?ip=192.0.2.1', from => $C), 200);
	$send->('API lookup', $w->get('/api/v1/lookup?ip=192.0.2.1', from => $C),
	    200);
	$send->('no such page', $w->get('/nonexistent', from => $C), 404);
	$send->('/metrics on the public listener', $w->get('/metrics', from => $C),
	    404);
	$send->('GET /submit', $w->get('/submit', from => $C), 405);
	# Six POSTs (web_rate_limit 6), then two more.
	$send->('a POST that is not JSON', $w->post_json('/api/v1/submissions',
	    '{not json', from => $C), 400);
	$send->('a submission of no address', $w->post_json('/api/v1/submissions',
	    { ip => 'bogus' }, from => $C), 400);
	$send->('a submission', $w->post_json('/api/v1/submissions',
	    { ip => '127.0.0.50', port => 2525 }, from => $C), 201);
	$send->('a delisting request', $w->post_json('/api/v1/delist-requests',
	    { ip => '192.0.2.1', contact => 'ops@example.org' }, from => $C),
	    201);
	$send->('the same again', $w->post_json('/api/v1/delist-requests',
	    { ip => '192.0.2.1', contact => 'ops@example.org' }, from => $C),
	    200);
	$send->('a delisting request without contact',
	    $w->post_json('/api/v1/delist-requests', { ip => '192.0.2.1' },
	    from => $C), 400);
	my $r = $w->post_json('/api/v1/submissions', { ip => '127.0.0.51' },
	    from => $C);
	$send->('a seventh POST', $r, 429);
	ok($r->{headers}{'retry-after'}, '... with Retry-After');
	$send->('an eighth POST (a form)', $w->post_form('/delist',
	    { ip => '192.0.2.1' }, from => $C), 429);

	my $m1 = scrape($mport, 'after the requests');
	deltas_are($m0, $m1, {
		req('lookup', 200) => 1,
		req('api_lookup', 200) => 1,
		req('none', 404) => 2,
		req('submit', 405) => 1,
		req('api_submit', 400) => 2,
		req('api_submit', 201) => 1,
		req('api_delist', 201) => 1,
		req('api_delist', 200) => 1,
		req('api_delist', 400) => 1,
		req('api_submit', 429) => 1,
		req('delist', 429) => 1,
		'orbl_web_rate_limited_total{}' => 2,
		'orbl_web_submissions_total{result="refused"}' => 1,
		'orbl_web_submissions_total{result="queued"}' => 1,
		'orbl_web_delisting_requests_total{result="created"}' => 1,
		'orbl_web_delisting_requests_total{result="existing"}' => 1,
		'orbl_web_delisting_requests_total{result="refused"}' => 1,
		'orbl_web_connections_total{}' => scalar(@sent),
	}, scalar(@sent) . ' requests');
	ok($m1->{'orbl_web_rate_limit_clients{}'} >= 1,
	    'the rate limit counts a client');
	$m0 = $m1;
}

# -- the connections gauge ------------------------------------------------------
{
	my $gauge = sub {
		my $s = parse(scrape_raw($mport)->{content} // '') // {};
		return $s->{'orbl_web_connections{}'} // -1;
	};
	ok(defined wait_until(15, 0.05, sub { $gauge->() == 0 }),
	    'connections: 0 once the clients have gone');
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $w->port, Proto => 'tcp');
	ok($c, 'a connection to web_listen, no request on it');
	ok(defined wait_until(15, 0.05, sub { $gauge->() == 1 }),
	    'connections: 1 while it is open');
	close($c);
	ok(defined wait_until(15, 0.05, sub { $gauge->() == 0 }),
	    'connections: 0 after it closed');
	my $m = scrape($mport, 'after the connection');
	deltas_are($m0, $m, { 'orbl_web_connections_total{}' => 1 },
	    'one connection');
	$m0 = $m;
}

# -- a locked database: 503, kind busy --------------------------------------------
{
	my $lock = $o->lock_db(key => 'lock');
	ok($lock, 'an sqlite3 holds the write lock');
	my $r = $w->post_json('/api/v1/submissions',
	    { ip => '127.0.0.52', port => 2525 }, from => '127.0.0.10');
	is($r->{status}, 503, 'a submission while it is locked: 503');
	$o->unlock_db($lock);
	my $m = scrape($mport, 'after the lock');
	deltas_are($m0, $m, {
		req('api_submit', 503) => 1,
		'orbl_web_database_errors_total{kind="busy"}' => 1,
		'orbl_web_submissions_total{result="error"}' => 1,
		'orbl_web_connections_total{}' => 1,
	}, 'a locked database');
	$m0 = $m;
}

# -- the stats line agrees ----------------------------------------------------------
{
	my $m = scrape($mport, 'before SIGUSR1');
	kill 'USR1', $w->pid;
	my $line;
	ok(defined wait_until(20, 0.05, sub {
		($line) = $w->log_text =~ /(stats \(SIGUSR1\).*)/;
		defined $line }), 'SIGUSR1: a stats line') or diag($w->log_text);
	$line //= '';
	my %n;
	$n{$1} = $2 while $line =~ /(requests|2xx|3xx|4xx|5xx|rate-limited|database errors|connections) (\d+)/g;
	my %sum;
	for my $k (keys %$m) {
		next unless $k =~ /^orbl_web_requests_total\{route="[^"]+",status="(\d)\d\d"\}$/;
		$sum{requests} += $m->{$k};
		$sum{"${1}xx"} += $m->{$k};
	}
	my $dberr = 0;
	$dberr += $m->{$_} for grep { /^orbl_web_database_errors_total/ } keys %$m;
	is($n{requests}, $sum{requests}, "the line's requests: the metrics' sum");
	is($n{$_}, $sum{$_} // 0, "the line's $_: the metrics'") for qw(2xx 3xx
	    4xx 5xx);
	is($n{'rate-limited'}, $m->{'orbl_web_rate_limited_total{}'},
	    "the line's rate-limited: the metrics'");
	is($n{'database errors'}, $dberr, "the line's database errors: the metrics'");
	is($n{connections}, $m->{'orbl_web_connections_total{}'},
	    "the line's connections: the metrics'");
}
$w->stop;
is(scrape_raw($mport)->{status}, 599,
    'after the stop, nothing answers on the metrics port');

# -- no database: 503, kind open -----------------------------------------------------
{
	my $mport2 = free_port();
	my $w2 = Web->new($o, conffile => "$dir/web2.conf", conf => {
	    database => "$dir/missing.db", web_max_clients => 2,
	    web_metrics_listen => "127.0.0.1:$mport2" });
	ok($w2->start, 'orbl-web without a database');
	# Connections counted open (the start-up probes' closes may not have
	# been seen yet) would make the next one a pause at the cap.
	my $state = sub {
		my $s = parse(scrape_raw($mport2)->{content} // '') // {};
		return ($s->{'orbl_web_connections{}'} // -1) . '/' .
		    ($s->{'orbl_web_accepting{}'} // -1);
	};
	ok(defined wait_until(15, 0.05, sub { $state->() eq '0/1' }),
	    'the start-up connections have closed');
	my $m1 = scrape($mport2, 'no database');
	is($m1->{'orbl_web_database_open{}'}, 0, 'database open: 0');
	is($w2->get('/api/v1/status')->{status}, 503, 'status: 503');
	my $m2 = scrape($mport2, 'after the 503');
	deltas_are($m1, $m2, {
		req('api_status', 503) => 1,
		'orbl_web_database_errors_total{kind="open"}' => 1,
		'orbl_web_connections_total{}' => 1,
	}, 'a missing database');

	# web_max_clients 2: two connections pause the listeners.
	ok(defined wait_until(15, 0.05, sub { $state->() eq '0/1' }),
	    'no connections open, accepting');
	$m1 = scrape($mport2, 'before the cap');
	my @c = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $w2->port, Proto => 'tcp') } 1 .. 2;
	ok($c[0] && $c[1], 'two connections (web_max_clients 2)');
	ok(defined wait_until(15, 0.05, sub { $state->() eq '2/0' }),
	    'connections 2, accepting 0: at the cap');
	close($_) for @c;
	ok(defined wait_until(15, 0.05, sub { $state->() eq '0/1' }),
	    'connections 0, accepting 1: below it again');
	$m2 = scrape($mport2, 'after the cap');
	deltas_are($m1, $m2, {
		'orbl_web_connections_total{}' => 2,
		'orbl_web_accept_pauses_total{}' => 1,
	}, 'the cap');
	$w2->stop;
}

# -- the key unset: no metrics listener ------------------------------------------------
{
	my $w3 = Web->new($o, conffile => "$dir/web3.conf");
	ok(!exists $w3->{conf}{web_metrics_listen}, 'a config without the key');
	ok($w3->start, 'orbl-web without web_metrics_listen');
	is_deeply([listening_ports($w3->pid)], [$w3->port],
	    'it listens on web_listen only');
	unlike($w3->log_text, qr/metrics on/, 'no metrics listener logged');
	is($w3->get('/metrics')->{status}, 404, '/metrics on web_listen: 404');
	$w3->stop;
}

done_testing();
