#!/usr/bin/perl
# 82-bounces-arrivals.t -- what a bounce is, and what the sink may store.
#
# 1. A message is a bounce only when our test message is carried inside it
#    (attached, or quoted), never because of its envelope sender or one
#    header: a relay open to MAIL FROM:<> only, and relays that add
#    Auto-Submitted / Precedence to what they pass on, are confirmed and
#    listed, and stay listed when re-tested; real bounces (a DSN with the
#    message attached, Exim's inline copy) still end "bounced".
# 2. Arrivals are bounded: the owner of an accept-and-drop server reads the
#    cookies of the test messages it got and floods the sink with them
#    (DSNs, Exim bounces, quoted copies, plain copies, forged cookies) from
#    many loopback addresses.  At most 3 rows per cookie, 60 per run, 30
#    per peer a minute, 300 a minute; the first confirming arrival is kept;
#    the excess is counted and logged once a minute; the sink keeps
#    answering; verdicts do not move.
#
# Real orbl-prober and orbl-dnsd, two private Postfix instances, scripted
# FakeSMTP peers; everything on 127.0.0.0/8 (this file's peers on
# 127.0.82.N).  ORBL_KEEP=1 keeps the temporary directories.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 wait_until free_port);
use Postfix qw(find_prog);
use FakeSMTP qw(smtp_reply smtp_send);

plan skip_all => 'needs root (private Postfix instances)' if $> != 0;
plan skip_all => 'postfix missing (run scripts/deps)'
    unless find_prog('postfix');

my $tmp = tempdir('bounces-XXXXXX', TMPDIR => 1,
    CLEANUP => !$ENV{ORBL_KEEP});
chmod(0755, $tmp);	# Postfix's cleanup (user postfix) reads a table here
diag("temporary directory: $tmp") if $ENV{ORBL_KEEP};
my $sinkport = free_port();
my $SINK = "[127.0.0.1]:$sinkport";
my $NEXT = "127.0.0.1:$sinkport";
my $RCPT = 'relaytest@sink.test';
my $o = Orbl->new(conf => {
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	cookie_key => 'a test secret, not for production',
	connect_timeout => '3s',
	smtp_timeout => '4s',
	probe_timeout => '40s',
	arrival_wait => '8s',
	retest_interval => '3s',
	relist_retest => '1h',
	tempfail_retry => '5s',
	tempfail_tries => 2,
	prefix_limit => 1000,
	submit_limit => 1000,
	probe_concurrency => 50,
	# Every test message of the battery is sent (default 3): the owner
	# of an accept-and-drop server then holds 25 cookies of a run, which
	# is what the bounds per run and per minute need to be reached.
	probe_max_accepted => 25,
});
diag('orbl temporary directory: ' . $o->dir) if $ENV{ORBL_KEEP};

ok($o->start, 'orbl-dnsd up') or BAIL_OUT('orbl-dnsd did not start');
ok($o->start_prober, 'orbl-prober up (its sink listens)') or
    BAIL_OUT('orbl-prober did not start');

# -- the peers
# A real Postfix that relays only null-sender mail (every other sender:
# 554 Relay access denied at RCPT), and one that relays everything but
# prepends Auto-Submitted and Precedence (header_checks) to it.
Postfix::spew("$tmp/autosubmitted.regexp",
    "/^Subject:/ PREPEND Auto-Submitted: auto-generated\n" .
    "/^Message-ID:/ PREPEND Precedence: bulk\n");
my %pf = (
	null => Postfix->new(mode => 'open', listen => '127.0.82.1',
	    relayhost => $SINK, dir => $tmp, main => {
		smtpd_relay_restrictions =>
		    'check_sender_access inline:{<>=OK}, reject' }),
	auto => Postfix->new(mode => 'open', listen => '127.0.82.2',
	    relayhost => $SINK, dir => $tmp, main => {
		header_checks => "regexp:$tmp/autosubmitted.regexp" }),
);
ok(Postfix::start_all(values %pf), 'two private Postfix instances up') or
    BAIL_OUT('Postfix did not start: ' . join("\n", map { $_->error }
    values %pf));

my %fake;
sub fake {
	my ($name, %a) = @_;
	my $f = FakeSMTP->new(dir => $tmp, lifetime => 240, idle => 20, %a);
	$f->start;
	$fake{$name} = $f;
	return $f;
}
# A FakeSMTP relay that accepts every sender but relays only <> (drops
# the rest); and a plain relay whose owner, once listed, starts adding
# Auto-Submitted and Precedence to what it relays (1(c) below).
fake('null', behaviour => 'relay', listen => '127.0.82.3', next_hop => $NEXT,
    relay_only_null_sender => 1);
fake('auto', behaviour => 'relay', listen => '127.0.82.4', next_hop => $NEXT);
# Real bounces: a DSN with the message attached; Exim's inline copy.
fake('dsn', behaviour => 'bounce', listen => '127.0.82.5', next_hop => $NEXT,
    bounce_to => $RCPT);
fake('exim', behaviour => 'bounce', listen => '127.0.82.6', next_hop => $NEXT,
    bounce_to => $RCPT, bounce_style => 'exim');
# Accept-and-drop servers whose owner keeps what they got (the cookies).
my @D = map { "d$_" } 1 .. 7;
fake($D[$_ - 1], behaviour => 'accept_discard', listen => '127.0.82.' .
    (10 + $_), save => 1) for 1 .. 7;
fake('self', behaviour => 'accept_discard', listen => '127.0.82.18',
    save => 1);
# A bounce run started while the flood has used up the minute's room.
fake('late_dsn', behaviour => 'bounce', listen => '127.0.82.7',
    next_hop => $NEXT, bounce_to => $RCPT);

my %target = (
	pf_null => $pf{null}, pf_auto => $pf{auto},
	map { $_ => $fake{$_} } grep { $_ ne 'late_dsn' } keys %fake,
);

sub submit {
	my ($t, @more) = @_;
	my $r = $o->ctl('submit', $t->ip, '--port', $t->port, '--submitter',
	    'tests', @more);
	return $r;
}
for my $k (sort keys %target) {
	my $r = submit($target{$k});
	is($r->{rc}, 0, "submit $k (" . $target{$k}->address . ')') or
	    diag($r->{err});
}

sub json_of {
	my ($r) = @_;
	return eval { decode_json($r->{out}) } // {};
}

# The newest probe row of an address: {id, verdict, relayed_test, ...}.
sub last_probe {
	my ($ip, $where) = @_;
	$where //= '';
	my $row = $o->sql("SELECT id, coalesce(verdict, ''), " .
	    "coalesce(relayed_test, 0), coalesce(request_id, 0) FROM probe " .
	    "WHERE addr = '$ip' AND finished IS NOT NULL $where " .
	    "ORDER BY id DESC LIMIT 1");
	return undef if $row eq '';
	my ($id, $v, $rt, $rq) = split(/\|/, $row);
	return { id => $id, verdict => $v, relayed_test => $rt,
	    request_id => $rq };
}

sub a_of {
	my ($ip) = @_;
	my $p = $o->query(rev4($ip) . '.bl.test', 'A') or return 'no answer';
	my ($a) = grep { $_->type eq 'A' } $p->answer;
	return $a ? $a->address : $p->header->rcode;
}

sub listed_in_dns {
	my ($ip, $want) = @_;
	return defined wait_until(3, 0.05, sub {
		(a_of($ip) eq '127.0.0.2') == $want
	});
}

my %want = (
	pf_null => 'confirmed', null => 'confirmed',
	pf_auto => 'confirmed', auto => 'confirmed',
	dsn => 'bounced', exim => 'bounced',
	self => 'accepted-not-delivered',
	map { $_ => 'accepted-not-delivered' } @D,
);
my %probe;
my $t = wait_until(60, 0.3, sub {
	$_->flush for values %pf;
	for my $k (keys %target) {
		$probe{$k} //= last_probe($target{$k}->ip);
	}
	return !grep { !defined $probe{$_} } keys %target;
});
ok(defined $t, 'every target got a verdict') or
    diag(explain(\%probe), `tail -40 ${\$o->prober_log}`);
for my $k (sort keys %want) {
	is($probe{$k} && $probe{$k}{verdict}, $want{$k}, "$k: $want{$k}");
}

# -- 1(a): relays open to the null sender only
for my $k (qw(pf_null null)) {
	my $ip = $target{$k}->ip;
	my $p = $probe{$k} or next;
	ok(listed_in_dns($ip, 1), "$k: listed, orbl-dnsd answers 127.0.0.2");
	is($p->{relayed_test}, 1, "$k: confirmed by test 1 (MAIL FROM:<>)");
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $p->{id} " .
	    "AND confirmed = 1 AND bounce = 0 AND mail_from = ''"), 1,
	    "$k: the confirming arrival has the null envelope sender");
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $p->{id} " .
	    "AND mail_from <> ''"), 0, "$k: nothing else arrived from it");
}
# The fixture itself: pf_null refuses a remote recipient from any other
# sender (asked directly: the run may have stopped at its confirmation
# before it reached another sender's RCPT).
{
	my $r = smtp_send(host => $pf{null}->ip, port => $pf{null}->port,
	    from => 'orbl-relaytest@prober.test',
	    to => ['someone@elsewhere.test'], data => "Subject: x\n\nx\n");
	ok(!$r->{ok} && join("\n", @{$r->{transcript}}) =~
	    /^> RCPT TO:[^\n]*\n< 5\d\d [^\n]*Access denied/m,
	    'pf_null: Postfix refuses another sender at RCPT') or
	    diag(join("\n", @{$r->{transcript}}), $r->{error} // '');
}

# -- 1(b): relays that add Auto-Submitted and Precedence
for my $k (qw(pf_auto auto)) {
	my $p = $probe{$k} or next;
	ok(listed_in_dns($target{$k}->ip, 1), "$k: listed");
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $p->{id} " .
	    "AND confirmed = 1 AND bounce = 0"), 1,
	    "$k: its test mail confirmed" . ($k eq 'auto' ? '' :
	    ' (not taken for a bounce)'));
}
like($pf{auto}->log, qr/prepend: header Subject: .*Auto-Submitted: auto-generated/,
    'pf_auto: Postfix did prepend Auto-Submitted to what it relayed');

# -- 1(d), 1(e): real bounces still end "bounced", not listed
for my $k (qw(dsn exim)) {
	my $p = $probe{$k} or next;
	ok(listed_in_dns($target{$k}->ip, 0), "$k: not listed (NXDOMAIN)");
	my $why = $k eq 'dsn' ? 'cookie only in an attached message' :
	    'cookie only in quoted text';
	ok($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $p->{id} " .
	    "AND bounce = 1 AND bounce_why = '$why'") >= 1,
	    "$k: its bounces were attributed to the run ($why)");
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $p->{id} " .
	    "AND confirmed = 1"), 0, "$k: no arrival confirms");
}
like($fake{exim}->log, qr/exim bounce of \S+: to \S+ from \S+: delivered/,
    'the Exim-style bounces reached the sink');

# -- 1(c): the listed relays re-tested: still listed.  pf_auto's owner asks
# for removal (the re-test waits for retest_interval, 3 s).  auto's owner
# now adds Auto-Submitted and Precedence (same address and port, still
# relaying everything), and it is submitted again with --force.  Decided
# while the flood below runs.
{
	my $port = $fake{auto}->port;
	$fake{auto}->stop;
	fake('auto', behaviour => 'relay', listen => "127.0.82.4:$port",
	    next_hop => $NEXT, add_headers => ['Auto-Submitted: auto-generated',
	    'Precedence: bulk']);
}
my $auto_mark = length($fake{auto}->log);
my $req = json_of($o->ctl('delist-request', $pf{auto}->ip, '--contact',
    'owner@auto.example', '--note', 'we only mark our mail auto-generated',
    '--json'));
ok($req->{request}, "delist-request pf_auto: request $req->{request}") or
    diag(explain($req));
is(submit($fake{auto}, '--force')->{rc}, 0, 'auto submitted again (--force)');

# -- 2: the flood.  The owner of d1..d7 and self reads the test messages
# its servers kept.
my %msg;	# name => { test => { cookie, data } }
for my $k (@D, 'self') {
	for my $f (glob($fake{$k}->store . '/*.eml')) {
		my $data = FakeSMTP::slurp($f);
		my ($ck) = $data =~ /^Cookie: (orbl1-[0-9a-f-]+)\r?$/m or next;
		my ($test) = $ck =~ /^orbl1-\d+-(\d+)-/;
		$msg{$k}{$test} = { cookie => $ck, data => $data };
	}
}
for my $k (@D, 'self') {
	my $n = keys %{$msg{$k} // {}};
	ok($n >= 21, "$k: its owner has $n test messages with cookies " .
	    '(more than 60 / 3 = 20)');
}

# Bounces and copies of a test message, as a flooder makes them.
my $nq = 0;
sub dsn_of {
	my ($data) = @_;
	my $env = { qid => sprintf('F%06d', ++$nq), rcpt => [$RCPT],
	    from => 'x@y' };
	return ['', $fake{dsn}->dsn($env, $RCPT, $data)];
}
sub exim_of {
	my ($data) = @_;
	my $env = { qid => sprintf('E%06d', ++$nq), rcpt => [$RCPT],
	    from => 'x@y' };
	return ['', $fake{exim}->exim_bounce($env, $RCPT, $data)];
}
sub quoted_of {
	my ($data) = @_;
	(my $q = $data) =~ s/^/> /mg;
	$q =~ s/> \z//;
	return ['owner@flood.test', "From: <owner\@flood.test>\r\n" .
	    "To: <$RCPT>\r\nSubject: Re: your test message\r\n" .
	    'Message-ID: <q' . ++$nq . "\@flood.test>\r\n\r\n" .
	    "You wrote:\r\n$q"];
}
sub plain_of {
	my ($data) = @_;
	return ['owner@flood.test', $data];
}
my @STYLE = (\&dsn_of, \&exim_of, \&quoted_of);

# One SMTP connection to the sink from $bind, the messages [from, data]
# one after the other (as fast as the sink takes them).  Returns the
# number of 250s to the end of DATA, and an error (undef: none).
sub blast {
	my ($bind, $msgs) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $sinkport, LocalAddr => $bind, Proto => 'tcp',
	    Timeout => 10) or return (0, "connect from $bind: $@");
	my $buf = '';
	my $n = 0;
	my $step = sub {
		my ($cmd, $want) = @_;
		syswrite($s, "$cmd\r\n") // die "write: $!\n" if defined $cmd;
		my ($code, $text) = smtp_reply($s, \$buf, 30);
		die(($text // 'no reply') . "\n") unless defined $code;
		die "unexpected reply $text" unless $code =~ $want;
		return 1;
	};
	my $err;
	eval {
		$step->(undef, qr/^220$/);
		$step->('EHLO flood.test', qr/^250$/);
		for my $m (@$msgs) {
			my ($from, $data) = @$m;
			$step->("MAIL FROM:<$from>", qr/^250$/);
			$step->("RCPT TO:<$RCPT>", qr/^250$/);
			$step->('DATA', qr/^354$/);
			(my $d = $data) =~ s/^\./../mg;
			$d .= "\r\n" unless $d =~ /\r\n\z/;
			syswrite($s, "$d.\r\n") // die "write: $!\n";
			$step->(undef, qr/^250$/);
			$n++;
		}
		$step->('QUIT', qr/^221$/);
	};
	$err = "$bind: $@" if $@;
	close($s);
	return ($n, $err);
}

# blast() from several addresses at once (a process each); waits for all
# (bounded).  Calls $during->() while they run.  Returns (sent, errors).
sub blast_parallel {
	my ($jobs, $during) = @_;	# [ [bind, msgs], ... ]
	my %kid;
	for my $j (@$jobs) {
		my $res = "$tmp/blast-$j->[0]-" . ++$nq;
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			my ($n, $e) = blast(@$j);
			if (open(my $fh, '>', $res)) {
				print $fh "$n\n" . ($e // '');
				close($fh);
			}
			_exit(0);
		}
		$kid{$pid} = $res;
	}
	my %left = %kid;
	$during->(sub { scalar(keys %left) }, sub {
		for my $p (keys %left) {
			delete $left{$p} if waitpid($p, WNOHANG) == $p;
		}
	}) if $during;
	wait_until(120, 0.05, sub {
		for my $p (keys %left) {
			delete $left{$p} if waitpid($p, WNOHANG) == $p;
		}
		return !%left;
	}) // do { kill('KILL', keys %left); waitpid($_, 0) for keys %left };
	my ($sent, @err) = (0);
	for my $res (values %kid) {
		my ($n, $e) = split(/\n/, FakeSMTP::slurp($res), 2);
		$sent += $n // 0;
		push(@err, $e) if $e;
	}
	return ($sent, @err);
}

# The sink answers a new connection: banner, then EHLO (no time bound,
# just an answer within a generous 20 s).
sub sink_answers {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $sinkport, Proto => 'tcp', Timeout => 20) or return 0;
	my $buf = '';
	my ($c1) = smtp_reply($s, \$buf, 20);
	syswrite($s, "EHLO check.test\r\n");
	my ($c2) = smtp_reply($s, \$buf, 20);
	syswrite($s, "QUIT\r\n");
	close($s);
	return ($c1 // '') eq '220' && ($c2 // '') eq '250';
}

my %pid_of = map { $_ => $probe{$_}{id} } grep { $probe{$_} } @D, 'self';
my @d_tests = map { [sort { $a <=> $b } keys %{$msg{$_} // {}}] } @D;
my $peer = sub { '127.0.82.' . (100 + $_[0]) };
my $sent_valid = 0;

# The flood starts 15 to 25 s before a minute ends: its phases (about 2 s
# here) and late_dsn's bounces below fall in one minute, where the counts
# per minute are exact; and the minute's summary, which the first message
# after the minute writes, comes soon after.  (A bounded wait for the
# clock, not a synchronisation.)
wait_until(60, 0.2, sub { my $s = time() % 60; $s >= 35 && $s < 45 });
my $t0 = time();
my $m0 = int($t0 / 60);
my $mark0 = -s $o->prober_log;
unlike(substr(Orbl::slurp($o->prober_log), 0, $mark0), qr/: ignored$/m,
    'nothing was ignored before the flood (the forged line is the first)');

# Phase 0: 50 forged cookies (one hex digit of the MAC changed), as DSNs.
my ($ft) = @{$d_tests[0]};
my $fdata = $msg{d1}{$ft}{data};
my $ck = $msg{d1}{$ft}{cookie};
(my $forged = $ck) =~ s/([0-9a-f])$/$1 eq '0' ? '1' : '0'/e;
(my $fd = $fdata) =~ s/\Q$ck\E/$forged/g;
my ($n, $err) = blast($peer->(0), [map { dsn_of($fd) } 1 .. 50]);
is($n, 50, 'phase 0: 50 DSNs with a forged cookie taken (250)') or diag($err);
my $mf = int(time() / 60);
my $seg = substr(Orbl::slurp($o->prober_log), $mark0);
my $forged_lines = () = $seg =~ /with a forged cookie for probe #\d+: ignored/g;
my $ignored_lines = () = $seg =~ /: ignored$/mg;
ok($forged_lines >= 1 && $forged_lines <= 1 + $mf - $m0,
    "the forged cookies are logged once a minute: $forged_lines line(s) " .
    'for 50 messages in ' . (1 + $mf - $m0) . ' minute(s)') or diag($seg);
is($ignored_lines, $forged_lines, 'and no other ignored line');
is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $pid_of{d1} " .
    "AND test_id = $ft"), 0, 'no forged arrival stored');

# Phase A, per cookie: 10 DSNs of one test of d1 from one peer.
my $at = $d_tests[0][1];
($n, $err) = blast($peer->(1), [map { dsn_of($msg{d1}{$at}{data}) } 1 .. 10]);
$sent_valid += $n;
is($n, 10, 'phase A: 10 bounces of one cookie taken') or diag($err);
my $rows_a = $o->sql("SELECT count(*) FROM arrival WHERE probe_id = " .
    "$pid_of{d1} AND test_id = $at");
is($rows_a, 3, 'phase A: 3 rows stored for that cookie');

# Phase B, per run: 4 copies of each test of d2 (3 styles), from 4 peers
# (25 each: under the peer limit).
my @jobs = map { [$peer->(2 + $_), []] } 0 .. 3;
my $i = 0;
for my $copy (1 .. 4) {
	for my $tt (@{$d_tests[1]}) {
		push(@{$jobs[$i++ % 4][1]},
		    $STYLE[$i % 3]->($msg{d2}{$tt}{data}));
	}
}
my @e;
($n, @e) = blast_parallel(\@jobs);
$sent_valid += $n;
is($n, 4 * @{$d_tests[1]}, "phase B: $n bounces for one run taken") or
    diag(@e);
is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $pid_of{d2}"), 60,
    'phase B: 60 rows stored for the run');

# Phase C, per peer: 3 copies of each test of d3 from one peer.
my $pc = $peer->(6);
($n, $err) = blast($pc, [map { my $tt = $_; map { $STYLE[$_]->(
    $msg{d3}{$tt}{data}) } 0 .. 2 } @{$d_tests[2]}]);
$sent_valid += $n;
is($n, 3 * @{$d_tests[2]}, "phase C: $n bounces from one peer taken") or
    diag($err);
my $mc = int(time() / 60);
# A run's first arrival is kept outside the bounds (its first bounce
# decides "bounced"): the per-peer and per-minute counts leave it out.
my $NOT_FIRST = 'id NOT IN (SELECT min(id) FROM arrival GROUP BY probe_id)';
my $rows_c = $o->sql("SELECT count(*) FROM arrival WHERE peer = '$pc' " .
    "AND $NOT_FIRST");
if ($mc == $m0) {
	is($rows_c, 30, 'phase C: 30 rows stored for the peer this minute');
} else {
	ok($rows_c <= 60, "phase C: $rows_c rows for the peer in 2 minutes");
}

# Phase D, per minute: 3 copies of every test of d4..d7 from 12 peers
# (room: 4 runs x 60 = 240 rows, plus the phases above, > 300).
@jobs = map { [$peer->(7 + $_), []] } 0 .. 11;
$i = 0;
for my $r (3 .. 6) {
	for my $tt (@{$d_tests[$r]}) {
		push(@{$jobs[$i++ % 12][1]}, $STYLE[$_]->($msg{$D[$r]}{$tt}{data}))
		    for 0 .. 2;
	}
}
($n, @e) = blast_parallel(\@jobs);
$sent_valid += $n;
ok($n >= 4 * 3 * 21, "phase D: $n bounces for 4 runs taken") or diag(@e);

# Phase E, pressure: 400 more from 20 peers at once, every kind, while a
# new client checks that the sink still answers; then the owner of
# "self" replays plain copies of its test messages.
@jobs = map { [$peer->($_), []] } 0 .. 19;
for my $k (0 .. 399) {
	my $r = $D[$k % 7];
	my @tt = keys %{$msg{$r}};
	push(@{$jobs[$k % 20][1]},
	    $STYLE[$k % 3]->($msg{$r}{$tt[$k % @tt]}{data}));
}
my ($checks, $answered) = (0, 0);
($n, @e) = blast_parallel(\@jobs, sub {
	my ($left, $reap) = @_;
	do {
		$checks++;
		$answered++ if sink_answers();
		$reap->();
	} while ($left->() && $checks < 50);
});
$sent_valid += $n;
is($n, 400, 'phase E: 400 more taken') or diag(@e);
ok($checks >= 1 && $answered == $checks, "the sink answered banner and " .
    "EHLO of a new connection during the flood ($answered of $checks)");
my @self_tests = sort { $a <=> $b } keys %{$msg{self}};
($n, $err) = blast($peer->(20), [map { plain_of($msg{self}{$_}{data}) }
    (@self_tests) x 2]);
$sent_valid += $n;
is($n, 2 * @self_tests, "phase E: $n plain copies of self's messages " .
    'taken') or diag($err);
my $t1 = time();
my $m1 = int($t1 / 60);
my $one_minute = $m1 == $m0;
note("the flood: $sent_valid messages with valid cookies, 50 forged, in " .
    (1 + $m1 - $m0) . ' minute(s)');
ok(sink_answers(), 'the sink answers banner and EHLO after the flood');
ok(kill(0, $o->prober_pid), 'orbl-prober is alive');

# The bounds, by the database.
is($o->sql("SELECT count(*) FROM (SELECT 1 FROM arrival WHERE confirmed = 0 " .
    "GROUP BY probe_id, test_id HAVING count(*) > 3)"), 0,
    'at most 3 rows per cookie (probe, test)');
is($o->sql("SELECT count(*) FROM (SELECT 1 FROM arrival WHERE confirmed = 0 " .
    "GROUP BY probe_id HAVING count(*) > 60)"), 0, 'at most 60 rows per run');
is($o->sql("SELECT count(*) FROM (SELECT 1 FROM arrival WHERE confirmed = 0 " .
    "AND $NOT_FIRST GROUP BY peer, ts / 60 HAVING count(*) > 30)"), 0,
    'at most 30 rows per delivering peer a minute');
is($o->sql("SELECT count(*) FROM (SELECT 1 FROM arrival WHERE confirmed = 0 " .
    "AND $NOT_FIRST GROUP BY ts / 60 HAVING count(*) > 300)"), 0,
    'at most 300 rows a minute');
my $flood_rows = $o->sql("SELECT count(*) FROM arrival WHERE peer LIKE " .
    "'127.0.82.1__'");
ok($flood_rows < $sent_valid / 2, "$flood_rows rows stored of $sent_valid " .
    'valid flood messages');
if ($one_minute) {
	# The room of the minute is used up (the flood offers far more
	# than 300), never exceeded; which messages get it depends on the
	# order the per-peer and per-cookie limits meet them.
	my $nm = $o->sql("SELECT count(*) FROM arrival WHERE confirmed = 0 " .
	    "AND ts / 60 = $m0 AND $NOT_FIRST");
	ok($nm >= 250 && $nm <= 300, "the minute of the flood: $nm rows, " .
	    'the room of 300 used and not exceeded (runs\' first arrivals ' .
	    'aside)');
} else {
	note('the flood spanned a minute boundary: exact per-minute counts ' .
	    'not checked');
}
is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $pid_of{self} " .
    "AND confirmed = 1"), 1, "self: its owner's first plain copy " .
    'confirms (late arrival), even with the room used up');
if ($one_minute) {
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = " .
	    "$pid_of{self}"), 1, 'self: and nothing else of it was stored');
}
for my $k (@D) {
	my $p = last_probe($target{$k}->ip);
	is($p && $p->{verdict}, 'accepted-not-delivered',
	    "$k: the flood did not change its verdict");
	is($o->sql("SELECT count(*) FROM arrival WHERE probe_id = $pid_of{$k} " .
	    "AND confirmed = 1"), 0, "$k: nothing confirms it");
	ok(listed_in_dns($target{$k}->ip, 0), "$k: not listed");
}

# A bounce run whose bounces come while the minute's room is used up:
# the first bounce of a run is still seen.
my $ld = $fake{late_dsn};
is(submit($ld)->{rc}, 0, 'submit late_dsn (bounces, during the flood minute)');
ok(defined wait_until(30, 0.1, sub {
	$ld->log =~ /bounce of \S+: to \S+ from \S+: delivered/ }),
    'late_dsn: its first bounce was delivered to the sink');
my $m2 = int(time() / 60);
note(sprintf('flood from second %d of the minute; %.1f s to the end of ' .
    'the flood, %.1f s to late_dsn\'s first bounce', $t0 % 60, $t1 - $t0,
    time() - $t0));
my $pl;
ok(defined wait_until(40, 0.3, sub { $pl = last_probe($ld->ip) }),
    'late_dsn: a verdict');
is($pl && $pl->{verdict}, 'bounced', 'late_dsn: bounced (' .
    ($m2 == $m0 ? 'in the minute of the flood' : 'after it') . ')') or
    diag(`grep -n 'probe #$pl->{id}' ${\$o->prober_log}`);

# -- 1(c), decided meanwhile: the re-tests confirm, the listings stay.
my $rq;
ok(defined wait_until(60, 0.3, sub {
	$pf{auto}->flush;
	$rq = json_of($o->ctl('request', 'show', $req->{request}, '--json'));
	($rq->{state} // '') =~ /^(delisted|refused)$/;
}), 'pf_auto: the delisting request was decided');
is($rq->{state}, 'refused', 'pf_auto: refused (still relays, with ' .
    'Auto-Submitted)') or diag(explain($rq));
ok(listed_in_dns($pf{auto}->ip, 1), 'pf_auto: still listed');
my $pr;
ok(defined wait_until(40, 0.3, sub {
	$pr = last_probe($fake{auto}->ip, "AND id > $probe{auto}{id}") }),
    'auto: re-tested');
like(substr($fake{auto}->log, $auto_mark),
    qr/relay \S+: to \S+ from \S+: delivered/,
    'auto: the re-test\'s mail went through the relay that adds the headers');
is($pr && $pr->{verdict}, 'confirmed', 'auto: the re-test confirms');
ok(listed_in_dns($fake{auto}->ip, 1), 'auto: still listed');

# -- the summary, once the minute of the flood is over (the next message
# after the minute ends writes it).
ok(defined wait_until(65, 0.2, sub { int(time() / 60) > $m1 }),
    'a minute boundary passed since the flood');
my $mark1 = -s $o->prober_log;
($n, $err) = blast($peer->(0), [dsn_of($fd)]);
is($n, 1, 'one more message after the minute boundary');
my $sum;
ok(defined wait_until(10, 0.1, sub {
	my $s = substr(Orbl::slurp($o->prober_log), $mark0);
	my @l = $s =~ /^.*sink: the last minute: \d+ arrivals? not stored .*$/mg;
	($sum) = grep { /(\d+) messages? without a valid cookie/ && $1 >= 50 } @l
	    if $one_minute;
	$sum //= $l[-1];
	return defined $sum;
}), 'the prober logged the last minute\'s summary') or
    diag(`tail -30 ${\$o->prober_log}`);
if ($sum && $sum =~ /(\d+) arrivals? not stored .*?(\d+) messages?/) {
	note($sum);
	ok($1 > 0, "$1 arrivals counted as not stored");
	if ($one_minute) {
		ok($1 >= 400, 'the flood minute: at least the 400 of phase E ' .
		    'not stored');
		ok($2 >= 50, 'the flood minute: the 50 forged counted');
	}
}
my $lines = () = Orbl::slurp($o->prober_log) =~ /: (test mail|bounce) from 127\.0\.82\.1\d\d/g;
ok($lines <= $flood_rows, "one log line per stored flood arrival at most " .
    "($lines), none per dropped one");

ok(kill(0, $o->prober_pid), 'orbl-prober is still alive');
$o->stop_prober;
$o->stop;
$_->stop for values %fake;
$_->stop for values %pf;
done_testing();
