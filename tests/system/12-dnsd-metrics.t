#!/usr/bin/perl
# 12-dnsd-metrics.t -- orbl-dnsd's Prometheus metrics (dnsd_metrics_listen):
# served at /metrics on a port of their own (a config that would share a
# DNS port is refused, at -n and at start; a port taken makes the start
# fail); the exposition parses with the reference parser
# (python3-prometheus-client, lib/promparse.py); every counter moves by
# exactly what was sent, by query type and response code, summed over
# several UDP workers and TCP: listed and unlisted addresses, TXT, NODATA,
# an out-of-zone name (REFUSED), a truncated reply, FORMERR, NOTIMP,
# BADVERS, garbage (dropped), AXFR and pipelined queries over TCP; the
# stats log line (SIGUSR1) agrees; an orblctl add moves the serial and the
# index (a patch), SIGHUP a build; a database gone shows as loader errors;
# /other is a 404, POST a 405; no listener at all when the key is unset.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;

use Orbl qw(rev4 wait_until answer_of dns_header make_query free_port);
use Metrics qw(prom_parse deltas_are listening_ports);

my $bin = Orbl::bindir() . '/orbl-dnsd';

# Several UDP workers: the counters are per worker, summed on a scrape.
# A default reason long enough that its TXT needs more than 512 bytes.
my $LONG = '$ ' . join(' ', map { sprintf('word%03d', $_) } 1 .. 74) . ' $';
my $o = Orbl->new(conf => { workers => 3, default_reason => $LONG });
my $dir = $o->dir;
my $mport;
do { $mport = free_port() } while ($mport == $o->port);
$o->{conf}{dnsd_metrics_listen} = "127.0.0.1:$mport";
$o->write_conf;

$o->ctl_ok('add', '192.0.2.1', '--reason', 'listed');
$o->ctl_ok('add', '192.0.2.77');	# the long default reason

my $nparse = 0;
my $nscrape = 0;

# GET (or another method) on port at path; the response.
sub http {
	my ($port, $path, $method) = @_;
	$nscrape++ if ($path // '/metrics') eq '/metrics' &&
	    ($method // 'GET') eq 'GET';
	return HTTP::Tiny->new(timeout => 15)->request($method // 'GET',
	    "http://127.0.0.1:$port" . ($path // '/metrics'));
}

sub parse { prom_parse($o, $_[0], numeric => 1) }

# A scrape that must answer and parse: its samples.
sub scrape {
	my ($name) = @_;
	my $r = http($mport);
	is($r->{status}, 200, "$name: /metrics answers 200") or
	    diag($r->{content});
	my $s = parse($r->{content} // '');
	ok($s, "$name: the exposition parses (prometheus_client)");
	return $s // {};
}

# The same without test lines (for bounded waits).
sub peek {
	my $r = http($mport);
	return $r->{status} == 200 ? parse($r->{content}) : undef;
}

sub q_ { "orbl_dns_queries_total{qtype=\"$_[0]\",rcode=\"$_[1]\"}" }
sub v { $_[0]{"$_[1]\{}"} }

# Every counter moved by what %want says; the loader's polls go on.
sub deltas { deltas_are(@_[0 .. 3], qr/^orbl_dns_loader_polls_total/) }


# -- configurations refused ----------------------------------------------
{
	my $r = $o->run_cmd([$bin, '-n', '-c', $o->conffile]);
	is($r->{rc}, 0, 'orbl-dnsd -n with dnsd_metrics_listen on its own port: OK')
	    or diag($r->{err});
	my $port = $o->port;
	my $bad = "$dir/same.conf";
	$o->write_conf({ %{$o->{conf}},
	    dnsd_metrics_listen => "127.0.0.1:$port" }, $bad);
	$r = $o->run_cmd([$bin, '-n', '-c', $bad]);
	is($r->{rc}, 1, 'dnsd_metrics_listen equal to dns_listen: -n exits 1');
	like($r->{err}, qr/^orbl-dnsd: dnsd_metrics_listen 127\.0\.0\.1 port $port is also dns_listen 127\.0\.0\.1 port $port: the metrics must have a port of their own$/m,
	    '... saying which and why');
	$r = $o->run_cmd([$bin, '-d', '-c', $bad]);
	is($r->{rc}, 1, '... and it does not start either: exit 1');
	like($r->{err}, qr/dnsd_metrics_listen 127\.0\.0\.1 port $port is also dns_listen/,
	    '... with the same message');
	$o->write_conf({ %{$o->{conf}},
	    dnsd_metrics_listen => ["127.0.0.1:$mport", "0.0.0.0:$port"] },
	    $bad);
	$r = $o->run_cmd([$bin, '-n', '-c', $bad]);
	is($r->{rc}, 1, 'a wildcard on the DNS port (0.0.0.0): refused');
	like($r->{err}, qr/dnsd_metrics_listen 0\.0\.0\.0 port $port is also dns_listen 127\.0\.0\.1 port $port/,
	    '... naming both');
	unlike($r->{err}, qr/dnsd_metrics_listen 127\.0\.0\.1 port $mport/,
	    '... and not the good one');

	# The metrics port taken by someone else: no start (the bind comes
	# before the daemon goes to the background).
	my $held = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $mport, Proto => 'tcp', Listen => 1, ReuseAddr => 1);
	ok($held, "hold port $mport") or diag("listen: $!");
	$r = $o->run_cmd([$bin, '-d', '-c', $o->conffile]);
	is($r->{rc}, 1, 'the metrics port taken: orbl-dnsd exits 1');
	like($r->{err}, qr/metrics listen 127\.0\.0\.1 port $mport: Address already in use/,
	    '... saying so');
	close($held) if $held;
}

unless (ok($o->start, "orbl-dnsd starts with metrics on $mport")) {
	done_testing;
	exit 1;
}
like($o->log_text, qr{metrics on http://127\.0\.0\.1:$mport/metrics},
    'the metrics listener is logged');
isnt($mport, $o->port, 'the metrics port is not the DNS port');
is_deeply([listening_ports($o->pid)], [sort { $a <=> $b } $o->port, $mport],
    'it listens on dns_listen (TCP) and dnsd_metrics_listen, nothing else');

# -- the exposition -------------------------------------------------------
my %TYPE = (
	orbl_dns_build_info => 'gauge',
	orbl_dns_queries_total => 'counter',
	orbl_dns_answers_total => 'counter',
	orbl_dns_truncated_total => 'counter',
	orbl_dns_udp_received_total => 'counter',
	orbl_dns_udp_sent_total => 'counter',
	orbl_dns_udp_dropped_total => 'counter',
	orbl_dns_udp_workers => 'gauge',
	orbl_dns_tcp_connections_total => 'counter',
	orbl_dns_tcp_open_connections => 'gauge',
	orbl_dns_tcp_evicted_total => 'counter',
	orbl_dns_tcp_idle_closed_total => 'counter',
	orbl_dns_tcp_received_total => 'counter',
	orbl_dns_tcp_sent_total => 'counter',
	orbl_dns_tcp_bad_total => 'counter',
	orbl_dns_soa_serial => 'gauge',
	orbl_dns_database_serial => 'gauge',
	orbl_dns_index_entries => 'gauge',
	orbl_dns_index_bytes => 'gauge',
	orbl_dns_last_load_timestamp_seconds => 'gauge',
	orbl_dns_last_load_duration_seconds => 'gauge',
	orbl_dns_reloads_total => 'counter',
	orbl_dns_loader_polls_total => 'counter',
	orbl_dns_loader_errors_total => 'counter',
	orbl_dns_loader_failing => 'gauge',
	orbl_dns_metrics_scrapes_total => 'counter',
	orbl_dns_access_denied_total => 'counter',
	orbl_dns_daily_limit_exceeded_total => 'counter',
	orbl_dns_daily_limit_truncated_total => 'counter',
	orbl_dns_rrl_dropped_total => 'counter',
	orbl_dns_rrl_slipped_total => 'counter',
	orbl_dns_cookies_total => 'counter',
	orbl_dns_xfr_total => 'counter',
	orbl_dns_xfr_denied_total => 'counter',
	orbl_dns_xfr_failed_total => 'counter',
	orbl_dns_xfr_bytes_total => 'counter',
	orbl_dns_xfr_running => 'gauge',
	orbl_dns_tsig_queries_total => 'counter',
	orbl_dns_notify_total => 'counter',
);
my $m0;
{
	my $r = http($mport);
	is($r->{status}, 200, 'GET /metrics: 200');
	is($r->{headers}{'content-type'} // '',
	    'text/plain; version=0.0.4; charset=utf-8',
	    'text exposition format 0.0.4');
	my $text = $r->{content} // '';
	for my $f (sort keys %TYPE) {
		like($text, qr/^# HELP $f \S.*\n# TYPE $f $TYPE{$f}$/m,
		    "$f: HELP and TYPE $TYPE{$f}");
	}
	my @fam = $text =~ /^# TYPE (\S+) /mg;
	is_deeply([sort @fam], [sort keys %TYPE], 'no other family');
	like($text, qr/^orbl_dns_rrl_dropped_total 0$/m,
	    'RRL off: nothing dropped');
	$m0 = parse($text);
	ok($m0, 'the exposition parses (prometheus_client)') or
	    BAIL_OUT('no parse');
	is(v($m0, 'orbl_dns_udp_workers'), 3, 'udp workers: 3');
	is(v($m0, 'orbl_dns_database_serial'), $o->serial,
	    'database serial: the journal serial, as the loader read it');
	is(v($m0, 'orbl_dns_soa_serial'), $o->serial,
	    'soa serial: the journal serial (' . $o->serial . ')');
	is(v($m0, 'orbl_dns_index_entries'), 2, 'index entries: 2');
	ok(v($m0, 'orbl_dns_index_bytes') > 0, 'index bytes: some');
	ok(v($m0, 'orbl_dns_last_load_timestamp_seconds') > 0,
	    'last load timestamp: set (the start built the index)');
	ok(defined $m0->{'orbl_dns_last_load_duration_seconds{kind="build"}'},
	    'last load duration: the build at start');
	ok(!defined $m0->{'orbl_dns_last_load_duration_seconds{kind="patch"}'},
	    '... and no patch yet');
	is($m0->{'orbl_dns_reloads_total{kind="build"}'}, 0, 'reloads, build: 0');
	is($m0->{'orbl_dns_reloads_total{kind="patch"}'}, 0, 'reloads, patch: 0');
	is(v($m0, 'orbl_dns_loader_errors_total'), 0, 'loader errors: 0');
	is(v($m0, 'orbl_dns_loader_failing'), 0, 'loader failing: 0');
	my @info = grep { /^orbl_dns_build_info\{/ } keys %$m0;
	is(scalar(@info), 1, 'one build_info');
	like($info[0] // '', qr/^orbl_dns_build_info\{version="\d+\.\d+\.\d+[^"]*"\}$/,
	    'build_info carries the version');
	# The start-up probes (apex SOA over UDP) were counted.
	ok(($m0->{q_('SOA', 'NOERROR')} // 0) >= 1,
	    'the start-up SOA queries are counted: SOA, NOERROR');
}

# -- /other, POST -----------------------------------------------------------
{
	my $r = http($mport, '/other');
	is($r->{status}, 404, 'GET /other: 404');
	$r = http($mport, '/metrics', 'POST');
	is($r->{status}, 405, 'POST /metrics: 405');
}

# -- queries of known kinds -------------------------------------------------
sub nm { rev4($_[0]) . '.bl.test' }

my %want;
my ($udp_sent, $udp_in, $udp_dropped) = (0, 0, 0);

# One query through Net::DNS: its rcode, counted in %want.
sub ask {
	my ($name, $type, $rcode, $result, %opt) = @_;
	my $p = $o->query($name, $type, %opt);
	is($p && $p->header->rcode, $rcode, "$type $name: $rcode");
	$want{q_($type, $rcode)}++;
	$want{"orbl_dns_answers_total{result=\"$result\"}"}++ if $result;
	if ($opt{tcp}) {
		$want{'orbl_dns_tcp_connections_total{}'}++;
		$want{'orbl_dns_tcp_received_total{}'}++;
		$want{'orbl_dns_tcp_sent_total{}'}++;
	} else {
		$udp_in++;
		$udp_sent++;
	}
	return $p;
}

# One raw UDP packet; the reply's header (undef: no reply).
sub raw {
	my ($bytes, $what, %o) = @_;
	my $r = $o->raw_udp($bytes, timeout => $o{timeout} // 2);
	$udp_in++;
	if (defined $r) {
		$udp_sent++;
	} else {
		$udp_dropped++;
	}
	return dns_header($r);
}

my $m1;
{
	ask(nm('192.0.2.1'), 'A', 'NOERROR', 'listed');
	ask(nm('192.0.2.2'), 'A', 'NXDOMAIN', 'not_listed');
	ask(nm('192.0.2.2'), 'A', 'NXDOMAIN', 'not_listed');
	ask(nm('192.0.2.1'), 'TXT', 'NOERROR', 'listed');
	my $p = ask(nm('192.0.2.1'), 'AAAA', 'NOERROR', 'listed');
	is(scalar(answer_of($p, 'AAAA')), 0, 'AAAA of a listed address: NODATA');
	ask(nm('127.0.0.2'), 'A', 'NOERROR', 'listed');	# the test point
	ask(nm('192.0.2.3'), 'MX', 'NXDOMAIN', 'not_listed');
	ask('example.com', 'A', 'REFUSED');
	ask('bl.test', 'NS', 'NOERROR');

	# A TXT too big for 512 bytes: truncated (TC), still NOERROR.
	my $h = raw(make_query(name => nm('192.0.2.77'), qtype => 16),
	    'long TXT');
	ok($h && $h->{tc}, 'long TXT over UDP without EDNS: TC=1');
	is($h && $h->{rcode}, 0, '... NOERROR');
	$want{q_('TXT', 'NOERROR')}++;
	$want{'orbl_dns_answers_total{result="listed"}'}++;
	$want{'orbl_dns_truncated_total{}'}++;

	# No question: FORMERR, type "other".
	$h = raw(make_query(qdcount => 0, question => ''), 'no question');
	is($h && $h->{rcode}, 1, 'no question: FORMERR');
	$want{q_('other', 'FORMERR')}++;

	# NOTIFY: NOTIMP, of the question's type.
	$h = raw(make_query(opcode => 4, name => 'bl.test', qtype => 6),
	    'NOTIFY');
	is($h && $h->{rcode}, 4, 'NOTIFY: NOTIMP');
	$want{q_('SOA', 'NOTIMP')}++;

	# EDNS version 1: BADVERS (16: 0 in the header, 1 in the OPT).
	$h = raw(make_query(name => nm('192.0.2.1'), qtype => 1,
	    arcount => 1, extra => "\0" . pack('nnNn', 41, 1232, 1 << 16, 0)),
	    'EDNS version 1');
	ok($h && $h->{rcode} == 0 && $h->{ar} == 1, 'EDNS version 1: BADVERS');
	$want{q_('A', 'BADVERS')}++;

	# Garbage: no reply, dropped.
	$h = raw("\x01\x02\x03\x04\x05", 'garbage', timeout => 0.5);
	ok(!$h, '5 bytes of garbage: no reply');

	# TCP: the long TXT whole; AXFR refused; two pipelined queries.
	$p = ask(nm('192.0.2.77'), 'TXT', 'NOERROR', 'listed', tcp => 1);
	ok($p && !$p->header->tc, 'long TXT over TCP: complete');
	my $c = $o->tcp_connect;
	ok($c, 'a TCP connection') or BAIL_OUT('no TCP');
	my $axfr = make_query(id => 252, name => 'bl.test', qtype => 252);
	print $c pack('n', length($axfr)) . $axfr;
	$h = dns_header(Orbl::tcp_read_msg($c, 5));
	is($h && $h->{rcode}, 5, 'AXFR over TCP: REFUSED');
	close($c);
	$want{q_('AXFR', 'REFUSED')}++;
	$want{'orbl_dns_xfr_denied_total{why="refused"}'}++;
	$c = $o->tcp_connect;
	my $q1 = make_query(id => 1, name => nm('192.0.2.1'), qtype => 1);
	my $q2 = make_query(id => 2, name => nm('192.0.2.4'), qtype => 1);
	print $c pack('n', length($q1)) . $q1 . pack('n', length($q2)) . $q2;
	my $h1 = dns_header(Orbl::tcp_read_msg($c, 5));
	my $h2 = dns_header(Orbl::tcp_read_msg($c, 5));
	is($h1 && $h1->{rcode}, 0, 'pipelined 1: NOERROR');
	is($h2 && $h2->{rcode}, 3, 'pipelined 2: NXDOMAIN');
	close($c);
	$want{q_('A', 'NOERROR')}++;
	$want{q_('A', 'NXDOMAIN')}++;
	$want{'orbl_dns_answers_total{result="listed"}'}++;
	$want{'orbl_dns_answers_total{result="not_listed"}'}++;
	$want{'orbl_dns_tcp_connections_total{}'} += 2;
	$want{'orbl_dns_tcp_received_total{}'} += 3;
	$want{'orbl_dns_tcp_sent_total{}'} += 3;

	$want{'orbl_dns_udp_received_total{}'} = $udp_in;
	$want{'orbl_dns_udp_dropped_total{}'} = $udp_dropped;
	$want{'orbl_dns_udp_sent_total{}'} = $udp_sent;

	# A worker thread counts a reply as sent once sendmmsg returned,
	# which can be just after the client read it: wait (bounded) for
	# that count, then take the scrape under test.
	my $n0 = $nscrape;
	ok(defined wait_until(20, 0.05, sub {
		my $s = peek() or return 0;
		return v($s, 'orbl_dns_udp_sent_total') -
		    v($m0, 'orbl_dns_udp_sent_total') >= $udp_sent;
	}), "the UDP workers counted the $udp_sent replies sent");
	$m1 = scrape('after the queries');
	$want{'orbl_dns_metrics_scrapes_total{}'} = $nscrape - $n0;
	deltas($m0, $m1, \%want, 'after the queries');
	is($m1->{q_('other', 'FORMERR')}, 1,
	    'a combination that occurred once has its sample');
	ok(!exists $m1->{q_('MX', 'NOERROR')},
	    'a combination that never occurred has none');
}

# -- the stats line agrees ------------------------------------------------
{
	ok($o->wait_tcp_closed(30), 'orbl-dnsd saw every TCP close');
	my $st = $o->stats;
	ok($st, 'SIGUSR1: a stats line') or diag($o->log_tail(5));
	my $m = scrape('with the stats line');
	$st //= {};
	my %sum;
	for my $k (keys %$m) {
		$sum{$1} += $m->{$k} if $k =~ /^orbl_dns_queries_total\{.*rcode="(\w+)"/;
	}
	my $reloads = $m->{'orbl_dns_reloads_total{kind="build"}'} +
	    $m->{'orbl_dns_reloads_total{kind="patch"}'};
	my @pairs = (
		[serial => v($m, 'orbl_dns_soa_serial')],
		[entries => v($m, 'orbl_dns_index_entries')],
		[index => v($m, 'orbl_dns_index_bytes')],
		[reloads => $reloads],
		[in => v($m, 'orbl_dns_udp_received_total')],
		[out => v($m, 'orbl_dns_udp_sent_total')],
		[dropped => v($m, 'orbl_dns_udp_dropped_total')],
		[accepted => v($m, 'orbl_dns_tcp_connections_total')],
		[queries => v($m, 'orbl_dns_tcp_received_total')],
		[evicted => v($m, 'orbl_dns_tcp_evicted_total')],
		['idle-closed' => v($m, 'orbl_dns_tcp_idle_closed_total')],
		[bad => v($m, 'orbl_dns_tcp_bad_total')],
		[nxdomain => $sum{NXDOMAIN} // 0],
		[refused => $sum{REFUSED} // 0],
		[formerr => $sum{FORMERR} // 0],
		[notimp => $sum{NOTIMP} // 0],
		[badvers => $sum{BADVERS} // 0],
		[truncated => v($m, 'orbl_dns_truncated_total')],
	);
	for my $p (@pairs) {
		is($st->{$p->[0]}, $p->[1], "stats line $p->[0] = the metric");
	}
	is(($st->{noerror} // 0) + ($st->{nodata} // 0), $sum{NOERROR} // 0,
	    'stats line noerror + nodata = the NOERROR queries');
	is(v($m, 'orbl_dns_tcp_open_connections'), 0,
	    'no TCP connection open now');
}

# -- an add: the serial and the index move (a patch); SIGHUP: a build -------
{
	my $before = peek();
	$o->ctl_ok('add', '192.0.2.9');
	my $serial = $o->serial;
	my $m;
	ok(defined wait_until(30, 0.05, sub {
		$m = peek() or return 0;
		return v($m, 'orbl_dns_soa_serial') == $serial;
	}), "the serial metric moves to the new serial $serial");
	is(v($m, 'orbl_dns_database_serial'), $serial,
	    'database serial: the same (nothing waits to be served)');
	is(v($m, 'orbl_dns_index_entries'), v($before, 'orbl_dns_index_entries') + 1,
	    'index entries: one more');
	is($m->{'orbl_dns_reloads_total{kind="patch"}'}, 1, 'reloads, patch: 1');
	is($m->{'orbl_dns_reloads_total{kind="build"}'}, 0, 'reloads, build: 0');
	ok(defined $m->{'orbl_dns_last_load_duration_seconds{kind="patch"}'},
	    'last load duration: a patch now');
	isnt(v($m, 'orbl_dns_last_load_timestamp_seconds'),
	    v($before, 'orbl_dns_last_load_timestamp_seconds'),
	    'last load timestamp: changed');
	my $p = $o->query(nm('192.0.2.9'), 'A');
	is($p && $p->header->rcode, 'NOERROR', 'and the new listing answers');

	kill 'HUP', $o->pid;
	ok(defined wait_until(30, 0.05, sub {
		$m = peek() or return 0;
		return $m->{'orbl_dns_reloads_total{kind="build"}'} == 1;
	}), 'SIGHUP: reloads, build: 1');
	is(v($m, 'orbl_dns_soa_serial'), $serial, '... same serial');
	is(v($m, 'orbl_dns_index_entries'), 3, '... same entries');
}

# -- the database gone: loader errors -------------------------------------
{
	my $db = $o->db;
	rename($db, "$db.away") or die "rename: $!";
	my $m;
	ok(defined wait_until(30, 0.05, sub {
		$m = peek() or return 0;
		return v($m, 'orbl_dns_loader_failing') == 1 &&
		    v($m, 'orbl_dns_loader_errors_total') >= 1;
	}), 'database gone: loader failing 1, loader errors counted');
	my $p = $o->query(nm('192.0.2.9'), 'A');
	is($p && $p->header->rcode, 'NOERROR', 'the last data still answers');
	rename("$db.away", $db) or die "rename: $!";
	ok(defined wait_until(30, 0.05, sub {
		$m = peek() or return 0;
		return v($m, 'orbl_dns_loader_failing') == 0;
	}), 'database back: loader failing 0');
}

$o->stop;
unlike($o->log_text, qr/ThreadSanitizer/, 'no ThreadSanitizer report');

# -- the key unset: no metrics listener -----------------------------------
{
	my $n = Orbl->new;
	ok(!exists $n->{conf}{dnsd_metrics_listen}, 'a config without the key');
	ok($n->start, 'orbl-dnsd starts without dnsd_metrics_listen');
	is_deeply([listening_ports($n->pid)], [$n->port],
	    'it listens on its DNS port only: no metrics listener');
	unlike($n->log_text, qr/metrics on/, 'and logs no metrics listener');
	$n->stop;
}

done_testing;
