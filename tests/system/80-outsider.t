#!/usr/bin/perl
# 80-outsider.t -- orbl as an outsider sees it: through orbl-web's pages
# and JSON API, SMTP to the prober's sink and DNS, against real daemons
# and scripted SMTP servers on 127.0.0.0/8.  Each block proves a fixed
# defect stays fixed:
#   1. no public view (HTML, JSON, DNS TXT) shows a cookie that the sink
#      would accept -- mailing back everything an outsider can read lists
#      nobody, while a real cookie (the operator's view) does;
#   2. a listing remembers the port of its evidence: a closed server on
#      another port does not delist it, a public submission may name only
#      probe_ports, and the owner's re-test goes to the evidence's port;
#   3. a delisting request for an address no relay test listed is refused
#      at once, nothing queued;
#   4. prefix_limit holds for delisting re-tests too;
#   5. a late arrival confirms only a test whose message was accepted;
#   6. a weak or placeholder cookie_key stops orbl-prober at start;
#   7. the periodic re-test never queues an address on the do-not-test list;
#   8. one run per address at a time, whatever started it.
# Each scenario uses a /24 of its own, 127.0.181-188.0/24 (prefix_limit
# counts per /24); web clients and outside senders are 127.0.189.N.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 wait_until free_port);
use Web;
use FakeSMTP qw(smtp_send);

my $COOKIE_RE = qr/orbl1-[0-9]+-[0-9]+-[0-9]+-[0-9a-f]{10,}/i;
my $ANYTOK_RE = qr/orbl1-[0-9A-Za-z\[\]-]*/i;

sub hexkey { join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32) }

my $sinkport = free_port();
# Ports of the fake servers (on addresses of their own, 127.0.18x.y):
# P1 and P2 are the public probe_ports, P3 is not one.
my ($P1, $P2, $P3) = (free_port(), free_port(), free_port());
($P2, $P3) = (free_port(), free_port()) while $P2 == $P1 || $P3 == $P1 ||
    $P3 == $P2;

my %conf = (
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	cookie_key => hexkey(),
	connect_timeout => '2s',
	smtp_timeout => '3s',
	probe_timeout => '30s',
	arrival_wait => '3s',
	retest_interval => '3s',
	tempfail_retry => '30s',
	prefix_limit => 3,
	submit_limit => 1000,
	probe_ports => "$P1 $P2",
);
my $o = Orbl->new(conf => \%conf);
my $w = Web->new($o, conf => { web_rate_limit => 0 });
my $dir = $o->dir;

ok($o->start, 'orbl-dnsd up') or BAIL_OUT('no orbl-dnsd');
ok($o->start_prober, 'orbl-prober up') or BAIL_OUT('no orbl-prober');
ok($w->start, 'orbl-web up') or BAIL_OUT('no orbl-web');

my @fakes;
sub fake {
	my (%a) = @_;
	my $f = FakeSMTP->new(dir => $dir, lifetime => 150, idle => 20, %a);
	$f->start;
	push @fakes, $f;
	return $f;
}

# -- helpers -------------------------------------------------------------

my $nclient = 0;
sub client { '127.0.189.' . (++$nclient % 250 + 1) }

sub api_submit {
	my ($ip, $port) = @_;
	my $r = $w->post_json('/api/v1/submissions', { ip => $ip,
	    port => $port }, from => client());
	return ($r, Web::json($r) // {});
}

# Wait until a submission is done (via the API); its JSON.
sub wait_submission {
	my ($id, $secs) = @_;
	my $j;
	wait_until($secs // 60, 0.2, sub {
		$j = Web::json($w->get("/api/v1/submissions/$id")) // {};
		return $j->{done};
	});
	return $j // {};
}

sub a_of {
	my ($ip) = @_;
	my $p = $o->query(rev4($ip) . '.bl.test', 'A') or return 'no answer';
	my ($a) = grep { $_->type eq 'A' } $p->answer;
	return $a ? $a->address : $p->header->rcode;
}

sub txt_of_ip {
	my ($ip) = @_;
	my $p = $o->query(rev4($ip) . '.bl.test', 'TXT') or return '';
	return join("\n", map { Orbl::txt_of($_) } grep { $_->type eq 'TXT' }
	    $p->answer);
}

# orbl-dnsd has loaded what the database holds now: its SOA serial is the
# journal's.  Then a DNS answer reflects the database, not a lag.
sub dns_synced {
	my $want = $o->serial;
	return defined wait_until(10, 0.05, sub {
		my $p = $o->query('bl.test', 'SOA') or return 0;
		my ($soa) = grep { $_->type eq 'SOA' } $p->answer;
		return $soa && $soa->serial >= $want;
	});
}

sub listed_in_db {
	my ($ip) = @_;
	return $o->sql("SELECT count(*) FROM listing WHERE net = " .
	    Orbl::net_key($ip));
}

sub plog { Orbl::slurp($o->prober_log) }
sub plog_mark { length(plog()) }
sub plog_since { substr(plog(), $_[0]) }
sub wait_log {
	my ($mark, $re, $secs) = @_;
	return defined wait_until($secs // 30, 0.1, sub {
		plog_since($mark) =~ $re
	});
}

# One message to the sink, as anybody on the Internet may send one.
sub to_sink {
	my (%m) = @_;
	my $tok = $m{token} // '';
	my $body = $m{body} // "Cookie: $tok\n";
	my $data = "From: <outsider\@example.org>\n" .
	    "To: <relaytest\@sink.test>\n" .
	    "Subject: orbl relay test 1 $tok\n" .
	    'Message-ID: <' . ($tok ne '' ? $tok : 'x' . int(rand(1e9))) .
	    "\@outsider.example.org>\n" .
	    "Date: Thu, 01 Jan 2026 00:00:00 +0000\n" .
	    "\n$body";
	return smtp_send(host => '127.0.0.1', port => $sinkport,
	    bind => $m{bind} // '127.0.189.250', helo => 'outsider.example.org',
	    from => 'outsider@example.org', to => ['relaytest@sink.test'],
	    data => $data, timeout => 10);
}

# A probe listing with its evidence, written as a finished run would
# ($age seconds ago: outside the re-test interval and prefix_limit's hour).
sub probe_listed {
	my ($oo, $ip, $port, $age) = @_;
	my @b = split(/\./, $ip);
	my $net = join('', map { sprintf('%02X', $_) } @b) . '00' x 12;
	my $t = int(time) - $age;
	$oo->sql("INSERT INTO probe (addr, port, started, finished, verdict, " .
	    "hops, ip) VALUES ('$ip', $port, $t, $t, 'confirmed', " .
	    "'single-hop', X'04$net')");
	my $pid = $oo->sql("SELECT max(id) FROM probe");
	my $why = "open relay (single-hop): evidence: probe #$pid";
	$oo->sql(Orbl::str_add_sql($why) . Orbl::str_add_sql('prober') .
	    "INSERT INTO listing (net, reason, source, probe_id, actor, " .
	    "created, updated) VALUES (" . Orbl::net_key($ip) . ", " .
	    Orbl::str_id_sql($why) . ", 'probe', $pid, " .
	    Orbl::str_id_sql('prober') . ", $t, $t)");
	$oo->sql("INSERT INTO evidence (addr, port, probe_id) VALUES " .
	    "('$ip', $port, $pid)");
	return $pid;
}

# Every public view of an address (and its submission): [name, text].
sub views {
	my ($ip, $sub) = @_;
	my @v;
	for my $path ("/lookup?ip=$ip", "/api/v1/lookup?ip=$ip",
	    ($sub ? ("/submission/$sub", "/api/v1/submissions/$sub") : ())) {
		my $r = $w->get($path);
		is($r->{status}, 200, "GET $path: 200");
		push @v, [$path, $r->{content} // ''];
	}
	push @v, ["DNS TXT $ip", txt_of_ip($ip)];
	return @v;
}

# =======================================================================
# 1. Cookie secrecy: what the public sees cannot list anybody.
# =======================================================================
my %s1;
{
	my $D = fake(behaviour => 'accept_discard', listen => "127.0.181.1:$P1");
	my $E = fake(behaviour => 'accept_discard', listen => "127.0.181.2:$P1",
	    echo_msgid => 1, name => 'exchange.fake.test');
	for my $f ($D, $E) {
		my ($r, $j) = api_submit($f->ip, $P1);
		is($r->{status}, 201, 'submit ' . $f->ip . " port $P1 via the " .
		    'API: 201') or diag($r->{content});
		$s1{$f->ip} = $j->{submission} // 0;
	}
	for my $f ($D, $E) {
		my $ip = $f->ip;
		my $j = wait_submission($s1{$ip}, 60);
		is($j->{verdict}, 'accepted-not-delivered',
		    "$ip: accepted-not-delivered (submission $s1{$ip})") or
		    diag(explain($j));
	}
	my ($Dip, $Eip) = ($D->ip, $E->ip);
	my $Dp = $o->sql("SELECT probe_id FROM submission WHERE id = " .
	    "$s1{$Dip}") || 0;
	my $Ep = $o->sql("SELECT probe_id FROM submission WHERE id = " .
	    "$s1{$Eip}") || 0;
	# The secret is really there, in the operator's data: E echoed it.
	like($E->log, qr/S: 250 2\.6\.0 <orbl1-\d+-\d+-\d+-[0-9a-f]{32}\@/,
	    'the Exchange-like server echoed the Message-ID (with the cookie)');
	ok($o->sql("SELECT count(*) FROM probe_test WHERE probe_id = $Ep AND " .
	    "data_reply LIKE '%orbl1-%'") > 0,
	    "... and the prober recorded that reply (probe #$Ep)");

	my (@all, %tokens, @transcripts);
	for my $ip ($Dip, $Eip) {
		for my $v (views($ip, $s1{$ip})) {
			push @all, $v;
			$tokens{$_} = 1 for $v->[1] =~ /($ANYTOK_RE)/g;
		}
		my $j = Web::json($w->get("/api/v1/submissions/$s1{$ip}")) // {};
		my $t = $j->{evidence}{transcript} // '';
		ok(length($t), "$ip: the public transcript");
		like($t, qr/\[message for test \d+\]/,
		    '... shows "[message for test N]" for the message');
		push @transcripts, $t;
	}
	for my $v (@all) {
		my @bad = $v->[1] =~ /($COOKIE_RE)/g;
		is(scalar @bad, 0, "$v->[0]: no cookie") or diag("@bad");
	}
	my $dt = $o->sql("SELECT transcript FROM probe WHERE id = $Dp");
	like($dt, qr/\[message for test \d+\]/,
	    'the stored transcript names the message by its test');
	unlike($dt, $COOKIE_RE, '... and holds no cookie of its own');
	ok((grep { /\[redacted\]/ } keys %tokens),
	    'the echoed Message-ID is shown, its MAC "[redacted]"') or
	    diag(explain([keys %tokens]));

	# Mail back everything an outsider could read.
	my $mark = plog_mark();
	my $sent = 0;
	for my $tok (sort keys %tokens) {
		my $r = to_sink(token => $tok);
		ok($r->{ok}, "mailed '$tok' to the sink: 250") or
		    diag(explain($r->{transcript}));
		$sent++;
	}
	for my $t (@transcripts) {
		my $r = to_sink(token => '', body => $t);
		ok($r->{ok}, 'mailed a public transcript to the sink: 250');
		$sent++;
	}
	ok($sent >= 3, "$sent messages mailed back");
	ok(wait_log($mark, qr/sink: /, 10), 'the prober logged the arrivals')
	    or diag(plog_since($mark));
	unlike(plog_since($mark), qr/confirm/,
	    'none of them confirmed anything');
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id IN ($Dp, $Ep)"),
	    0, 'no arrival recorded for either run');
	for my $ip ($Dip, $Eip) {
		is(listed_in_db($ip), 0, "$ip: no listing row");
	}
	ok(dns_synced(), 'orbl-dnsd serves the current serial');
	is(a_of($_), 'NXDOMAIN', "$_: NXDOMAIN") for ($Dip, $Eip);

	# Control: the operator's view holds the real cookie; it does list.
	my $ck = $o->sql("SELECT cookie FROM probe_test WHERE probe_id = $Dp " .
	    "AND cookie IS NOT NULL AND data_reply LIKE '250%' ORDER BY " .
	    "test_id LIMIT 1");
	like($ck, qr/^$COOKIE_RE$/, 'control: a real cookie from the database');
	$mark = plog_mark();
	my $r = to_sink(token => $ck, bind => $Dip);
	ok($r->{ok}, 'control: mailed to the sink: 250');
	ok(wait_log($mark, qr/probe #$Dp \Q$Dip\E: confirmed by a late arrival, listed/, 10),
	    'control: "confirmed by a late arrival, listed"') or
	    diag(plog_since($mark));
	is(listed_in_db($Dip), 1, 'control: listed in the database');
	ok(defined wait_until(5, 0.05, sub { a_of($Dip) eq '127.0.0.2' }),
	    'control: orbl-dnsd answers 127.0.0.2');
	# Now listed (a TXT exists): still nothing to steal anywhere.
	for my $v (views($Dip, $s1{$Dip}), views($Eip, $s1{$Eip})) {
		my @bad = $v->[1] =~ /($COOKIE_RE)/g;
		is(scalar @bad, 0, "after the listing: $v->[0]: no cookie") or
		    diag("@bad");
	}
	like(txt_of_ip($Dip), qr/late arrival/, 'the TXT is the late listing');
}

# =======================================================================
# 3. A delisting request for an address no relay test listed: refused.
# =======================================================================
{
	my $ip = '127.0.183.1';
	my $r = $w->post_json('/api/v1/delist-requests', { ip => $ip,
	    contact => 'owner@example.org' }, from => client());
	ok($r->{status} >= 400 && $r->{status} < 500,
	    "delist request for unlisted $ip: $r->{status}");
	like((Web::json($r) // {})->{error} // '',
	    qr/is not listed by a relay test/, '... "is not listed by a relay test"');
	$o->ctl_ok('add', '127.0.183.2', '--reason', 'the operator says so');
	$r = $w->post_json('/api/v1/delist-requests', { ip => '127.0.183.2',
	    contact => 'owner@example.org' }, from => client());
	ok($r->{status} >= 400 && $r->{status} < 500,
	    "delist request for an operator's entry: $r->{status}");
	like((Web::json($r) // {})->{error} // '',
	    qr/is not listed by a relay test/, '... the same reason');
	is($o->sql("SELECT count(*) FROM delist_request WHERE addr LIKE " .
	    "'127.0.183.%'"), 0, 'no request row');
	is($o->sql("SELECT count(*) FROM probe WHERE addr LIKE '127.0.183.%'"),
	    0, 'no probe');
}

# =======================================================================
# 4. prefix_limit (3) holds for delisting re-tests.
# =======================================================================
my @s4 = map { "127.0.184.$_" } 1 .. 8;
my %s4req;
{
	probe_listed($o, $_, $P3, 7200) for @s4;	# nobody listens on P3
	for my $i (0 .. $#s4) {
		my $r = $w->post_json('/api/v1/delist-requests', { ip => $s4[$i],
		    contact => "owner$i\@example.org" }, from => client());
		is($r->{status}, 201, "delist request for $s4[$i]: 201") or
		    diag($r->{content});
		$s4req{$s4[$i]} = (Web::json($r) // {})->{request};
	}
	# (checked below, after the other scenarios had time)
}

# =======================================================================
# 5. A late arrival confirms only a test whose message was accepted.
# =======================================================================
{
	# It reads each whole message (cookie and all), then says 554.
	my $R = fake(behaviour => 'reject_after_data',
	    listen => "127.0.185.1:$P1");
	my $ip = $R->ip;
	my ($r, $j) = api_submit($ip, $P1);
	is($r->{status}, 201, "submit $ip (554 at the end of DATA): 201");
	$j = wait_submission($j->{submission}, 60);
	like($j->{verdict} // '', qr/^(closed|refused)$/,
	    "$ip: $j->{verdict}");
	my $pid = $j->{probe} // 0;
	like($R->log, qr/C: <message, \d+ bytes>(?:\n.*){1,3}S: 554 /,
	    'the server read a test message, then answered 554');
	my $ck = $o->sql("SELECT cookie FROM probe_test WHERE probe_id = $pid " .
	    "AND cookie IS NOT NULL AND data_reply LIKE '554%' ORDER BY " .
	    "test_id LIMIT 1");
	like($ck, qr/^$COOKIE_RE$/, "a cookie of probe #$pid that the server " .
	    'saw (leaked)');
	my $mark = plog_mark();
	$r = to_sink(token => $ck, bind => $ip);
	ok($r->{ok}, 'mailed to the sink');
	ok(wait_log($mark, qr/sink: probe #$pid test \d+: .*the target did not accept this test's message: it cannot confirm the run later/, 10),
	    'the prober: "the target did not accept this test\'s message"')
	    or diag(plog_since($mark));
	is(listed_in_db($ip), 0, "$ip: not listed (database)");
	ok(dns_synced(), 'orbl-dnsd serves the current serial');
	is(a_of($ip), 'NXDOMAIN', "$ip: NXDOMAIN");
}

# =======================================================================
# 2. Ports: evidence on P1 is not undone by a closed server on P2.
# =======================================================================
{
	my $A = '127.0.182.1';
	fake(behaviour => 'relay', listen => "$A:$P1",
	    next_hop => "127.0.0.1:$sinkport");
	fake(behaviour => 'reject_data', listen => "$A:$P2");
	my ($r, $j) = api_submit($A, $P1);
	is($r->{status}, 201, "submit the open relay $A port $P1: 201");
	$j = wait_submission($j->{submission}, 60);
	is($j->{verdict}, 'confirmed', "$A port $P1: confirmed");
	ok(defined wait_until(5, 0.05, sub { a_of($A) eq '127.0.0.2' }),
	    "$A listed in DNS");
	is($o->sql("SELECT addr || ' ' || port FROM evidence WHERE addr = '$A'"),
	    "$A $P1", "evidence ($A, $P1)");

	($r, $j) = api_submit($A, $P2);
	is($r->{status}, 201, "an outsider submits $A port $P2: 201") or
	    diag($r->{content});
	$j = wait_submission($j->{submission}, 60);
	is($j->{verdict}, 'closed', "$A port $P2 (closed server): closed");
	is(listed_in_db($A), 1, "$A stays listed (database)");
	ok(dns_synced(), 'orbl-dnsd serves the current serial');
	is(a_of($A), '127.0.0.2', "$A stays listed (DNS)");
	is($o->sql("SELECT group_concat(addr || ' ' || port) FROM evidence " .
	    "WHERE addr = '$A'"), "$A $P1", "evidence still ($A, $P1) only");

	($r, $j) = api_submit($A, $P3);
	ok($r->{status} >= 400 && $r->{status} < 500,
	    "submission of port $P3 (not in probe_ports): $r->{status}");
	like($j->{error} // '', qr/port $P3 is not one that orbl tests/,
	    "... \"port $P3 is not one that orbl tests\"");
	is($o->sql("SELECT count(*) FROM submission WHERE port = $P3"), 0,
	    '... nothing queued');

	$r = $w->post_json('/api/v1/delist-requests', { ip => $A,
	    contact => 'owner@relay.example' }, from => client());
	is($r->{status}, 201, "the owner asks for $A to be delisted: 201") or
	    diag($r->{content});
	my $req = (Web::json($r) // {})->{request} // 0;
	my $rq;
	wait_until(60, 0.2, sub {
		$rq = Web::json($w->get("/api/v1/delist-requests/$req")) // {};
		($rq->{state} // '') =~ /^(delisted|refused)$/;
	});
	is($rq->{state}, 'refused', "request $req: refused (the relay on " .
	    "$P1 is still open)") or diag(explain($rq));
	is($o->sql("SELECT group_concat(DISTINCT port) FROM probe WHERE " .
	    "request_id = $req"), $P1, "the re-test went to port $P1, not $P2");
	is(listed_in_db($A), 1, "$A still listed");
}

# =======================================================================
# 4 (continued). At most 3 re-tests ran in 127.0.184.0/24.
# =======================================================================
{
	my $in = join(',', map { "'$_'" } @s4);
	my $ok = wait_until(30, 0.2, sub {
		my $logged = () = plog() =~
		    /delisting request \d+ 127\.0\.184\.\d+: re-test #/g;
		my $fut = $o->sql("SELECT count(*) FROM delist_request WHERE " .
		    "addr IN ($in) AND state = 'pending' AND not_before > " .
		    "strftime('%s', 'now')");
		return $logged >= 3 && $fut == 8;
	});
	ok(defined $ok, 'three re-tests decided, every request waits again') or
	    diag($o->sql("SELECT id, addr, state, not_before FROM " .
	    "delist_request WHERE addr IN ($in)"));
	is($o->sql("SELECT count(*) FROM probe WHERE addr LIKE '127.0.184.%' " .
	    "AND request_id IS NOT NULL"), 3,
	    'prefix_limit 3: three re-tests in the /24, not eight');
	is($o->sql("SELECT count(*) FROM delist_request WHERE addr IN ($in) " .
	    "AND state = 'pending' AND probe_id IS NULL"), 5,
	    'the other five are pending, never tested');
}

# =======================================================================
# 8. One run per address, whatever started it.
# =======================================================================
{
	my $A = '127.0.188.1';
	# Slow on both ports: the owner's re-test goes to P1 (the evidence),
	# the outsider's submission names P2 (no recent verdict there, so it
	# must really run).
	fake(behaviour => 'tarpit', listen => "$A:$_", tarpit_delay => 1)
	    for ($P1, $P2);
	probe_listed($o, $A, $P1, 7200);
	my $r = $w->post_json('/api/v1/delist-requests', { ip => $A,
	    contact => 'slow@example.org' }, from => client());
	is($r->{status}, 201, "delist request for $A: 201");
	my $req = (Web::json($r) // {})->{request} // 0;
	my ($rs, $js) = api_submit($A, $P2);
	is($rs->{status}, 201, "submission of $A port $P2 at the same time: 201")
	    or diag($rs->{content});
	my $sub = $js->{submission} // 0;
	my ($samples, $busy, $bad) = (0, 0, '');
	my $ok = wait_until(90, 0.1, sub {
		my ($fl, $cl, $st, $rd) = split(/\|/, $o->sql("SELECT " .
		    "(SELECT count(*) FROM probe WHERE addr = '$A' AND " .
		    "finished IS NULL), (SELECT count(*) FROM claim WHERE " .
		    "addr = '$A'), (SELECT state FROM submission WHERE id = " .
		    "$sub), (SELECT count(*) FROM probe WHERE request_id = " .
		    "$req AND finished IS NOT NULL)"));
		$samples++;
		if ($fl > 0) {
			$busy++;
			$bad .= "in flight $fl, claims $cl; " if $fl != 1 ||
			    $cl != 1;
		}
		return $st eq 'done' && $rd >= 1;
	});
	ok(defined $ok, 'both the re-test and the submission ran');
	ok($busy > 0, "a run was seen in flight ($busy of $samples samples)");
	is($bad, '', 'while a run is in flight: one run, one claim');
	my @p = map { [split /\|/] } split(/\n/, $o->sql("SELECT id, started, " .
	    "finished FROM probe WHERE addr = '$A' AND (request_id = $req OR " .
	    "submission_id = $sub)"));
	ok(@p >= 2, scalar(@p) . ' runs for the request and the submission');
	my @over;
	for my $i (0 .. $#p) {
		for my $k ($i + 1 .. $#p) {
			my ($x, $y) = ($p[$i], $p[$k]);
			push @over, "#$x->[0]/#$y->[0]" unless
			    $x->[2] <= $y->[1] || $y->[2] <= $x->[1];
		}
	}
	is("@over", '', 'no two runs against the address overlap in time') or
	    diag(explain(\@p));
}

# =======================================================================
# 6. A weak or placeholder cookie_key: orbl-prober refuses to start.
# =======================================================================
for my $key ('change-me-to-a-long-random-secret', 'abc') {
	my ($wc, $gc) = ("$dir/weak.conf", "$dir/weak-db.conf");
	my %wconf = (%{$o->{conf}}, database => "$dir/weak.db",
	    sink_listen => '127.0.0.1:' . free_port());
	# The database made with a good key; the prober then gets the bad one.
	$o->write_conf({ %wconf, cookie_key => hexkey() }, $gc);
	$o->write_conf({ %wconf, cookie_key => $key }, $wc);
	my $r = $o->run_cmd([Orbl::bindir() . '/orblctl', '-c', $gc, 'init']);
	is($r->{rc}, 0, 'a database for it') or diag($r->{err});
	$r = $o->run_cmd([Orbl::bindir() . '/orbl-prober', '-d', '-c', $wc],
	    timeout => 15);
	ok($r->{rc} > 0, "cookie_key '$key': orbl-prober exits non-zero " .
	    "($r->{rc})");
	like($r->{out} . $r->{err}, qr/openssl rand -hex 32/,
	    '... saying how to make a key');
	unlike($r->{out} . $r->{err}, qr/\Q$key\E/, '... without quoting it')
	    if length($key) > 8;
	unlink("$dir/weak.db", "$dir/weak.db-wal", "$dir/weak.db-shm");
}

# =======================================================================
# 7. The periodic re-test skips the do-not-test list.
# =======================================================================
{
	my $sink7 = free_port();
	my $o7 = Orbl->new(conf => { %conf, sink_listen => "127.0.0.1:$sink7",
	    cookie_key => hexkey(), relist_retest => '2s', prefix_limit => 100,
	    probe_deny => '127.0.187.1/32' });
	probe_listed($o7, '127.0.187.1', $P3, 600);
	probe_listed($o7, '127.0.187.2', $P3, 600);
	ok($o7->start_prober, 'a second orbl-prober with relist_retest 2s');
	my $log = sub { Orbl::slurp($o7->prober_log) };
	my $skip = qr/periodic re-tests: 1 listed address not tested by policy \(skipped\)/;
	my $pos;
	ok(defined wait_until(20, 0.1, sub {
		return 0 unless $log->() =~ $skip;
		$pos = $+[0];
		return 1;
	}), '"periodic re-tests: 1 listed address not tested by policy ' .
	    '(skipped)"') or diag($log->());
	$pos //= 0;
	ok(defined wait_until(30, 0.1, sub {
		substr($log->(), $pos) =~ /127\.0\.187\.2 port $P3: listed since .*re-test queued/
	}), 'a later scan queued the allowed address again') or diag($log->());
	is($o7->sql("SELECT count(*) FROM submission WHERE addr = '127.0.187.1'"),
	    0, 'the denied address: never queued');
	ok($o7->sql("SELECT count(*) FROM submission WHERE addr = " .
	    "'127.0.187.2'") >= 2, 'the allowed one: queued at every scan due');
	$o7->stop_prober;
}

# -- end ----------------------------------------------------------------
$w->stop;
$o->stop_prober;
$o->stop;
$_->stop for @fakes;
done_testing();
