#!/usr/bin/perl
# 85-crash.t -- crashes and locks with real processes: orbl-prober killed
# with SIGKILL just after claiming, mid-run, while writing a result (the
# database locked by another writer) and during a delisting re-test; the
# database write-locked under a live prober (its sessions and sink keep
# answering, a test message is deferred with 451, nothing is stranded);
# orblctl killed in the middle of a large import.  After every restart
# nothing committed is lost, every unit of work is decided exactly once,
# no claim is left behind, and the index orbl-dnsd serves matches the
# database (same serial, same answers).
#
# Waits are bounded polls of observable state (a log line, a row, a DNS
# answer, a file size); nothing sleeps to synchronise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(hmac_sha256_hex);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IPC::Open2;
use JSON::PP;
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 wait_until free_port);
use FakeSMTP qw(smtp_send);

my $tmp = tempdir('crash-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{ORBL_KEEP});
my $sinkport = free_port();
my $KEY = 'crash-test key 7f3a9c1e5b2d8046 (85-crash.t)';
my $o = Orbl->new(conf => {
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	cookie_key => $KEY,
	connect_timeout => '2s',
	smtp_timeout => '5s',
	probe_timeout => '30s',
	arrival_wait => '10s',
	retest_interval => '1s',
	relist_retest => '1h',
	tempfail_retry => '2s',
	tempfail_tries => 2,
	request_tries => 3,
	prefix_limit => 1000,
	submit_limit => 1000,
	probe_concurrency => 20,
});
ok($o->start, 'orbl-dnsd up');
ok($o->start_prober, 'orbl-prober up') or BAIL_OUT('no prober');

my %kids;	# pid => 1: helpers of ours (gates, lock holders, orblctl)
END {
	local $?;
	for my $pid (keys %kids) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
}

# ---------------------------------------------------------------------
# Helpers.

sub q1 { my ($sql) = @_; return $o->sql($sql) }
sub plog { Orbl::slurp($o->prober_log) }
sub plog_mark { -s $o->prober_log // 0 }
sub plog_since { substr(plog(), $_[0]) }

# Wait for a line matching $re in the prober log written after $mark.
sub wait_log {
	my ($mark, $re, $secs) = @_;
	return defined wait_until($secs // 15, 0.05, sub {
		plog_since($mark) =~ $re });
}

my $N = 10;
my %fake;
sub fake {
	my ($name, %a) = @_;
	my $f = FakeSMTP->new(listen => $a{listen} // '127.0.85.' . $N++,
	    dir => $tmp, lifetime => 110, idle => 20, %a);
	$f->start;
	$fake{$name} = $f;
	return $f;
}

# A server that takes TCP connections at once (the kernel's backlog) but
# says nothing until opened: then every session gets "554" (a refused
# verdict).  So a run is in flight, and ends, exactly when the test says.
sub gate {
	my ($ip) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 0,
	    Proto => 'tcp', Listen => 16, ReuseAddr => 1) or die "gate: $@";
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		Orbl::die_with_parent();
		close($w);
		my $go;
		sysread($r, $go, 1);
		while (my $c = $l->accept) {
			syswrite($c, "554 5.7.1 gate.test: no SMTP service here\r\n");
			my $sel = IO::Select->new($c);
			my $buf = '';
			while ($sel->can_read(5)) {
				my $n = sysread($c, $buf, 512, length $buf);
				last unless $n;
				if ($buf =~ /^QUIT/mi) {
					syswrite($c, "221 2.0.0 bye\r\n");
					last;
				}
				syswrite($c, "503 5.5.1 no service\r\n")
				    while $buf =~ s/^[^\n]*\n//;
			}
			close($c);
		}
		_exit(0);
	}
	close($r);
	my $port = $l->sockport;
	close($l);
	$kids{$pid} = 1;
	return { pid => $pid, w => $w, ip => $ip, port => $port };
}
sub gate_open { my ($g) = @_; syswrite($g->{w}, 'g'); }
sub gate_stop {
	my ($g) = @_;
	kill 'KILL', $g->{pid};
	waitpid($g->{pid}, 0);
	delete $kids{$g->{pid}};
}

# Another writer holds the database's write lock (sqlite3 CLI, BEGIN
# IMMEDIATE, then blocked on its stdin) until released.
sub lock_db {
	my ($in, $out);
	my $pid = open2($out, $in, 'sqlite3', '-batch', $o->db);
	$kids{$pid} = 1;
	print $in ".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n";
	$in->flush;
	my $sel = IO::Select->new($out);
	my $line = $sel->can_read(15) ? <$out> : undef;
	die "could not take the write lock\n" unless ($line // '') =~ /locked/;
	return { pid => $pid, in => $in, out => $out };
}
sub unlock_db {
	my ($lk) = @_;
	kill 'KILL', $lk->{pid};	# its locks go with it; nothing written
	waitpid($lk->{pid}, 0);
	delete $kids{$lk->{pid}};
}
# Is the write lock taken by somebody right now?
sub db_locked {
	my $r = $o->run_cmd(['sqlite3', '-batch', $o->db,
	    'PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK;']);
	return $r->{rc} != 0 && $r->{err} =~ /locked/;
}

# One SMTP session with the prober's sink: banner and EHLO (QUIT).
sub sink_answers {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $sinkport, Proto => 'tcp', Timeout => 10) or return 0;
	my $buf = '';
	my ($c1) = FakeSMTP::smtp_reply($s, \$buf, 10);
	syswrite($s, "EHLO client.test\r\n");
	my ($c2) = FakeSMTP::smtp_reply($s, \$buf, 10);
	syswrite($s, "QUIT\r\n");
	my ($c3) = FakeSMTP::smtp_reply($s, \$buf, 10);
	close($s);
	return ($c1 // '') eq '220' && ($c2 // '') eq '250' &&
	    ($c3 // '') eq '221';
}

# Where the prober is blocked right now: 'sleep' (nanosleep: SQLite's
# busy handler), 'poll' (its event loop), 'other'.
my %SLEEP = (x86_64 => [35, 230], aarch64 => [101, 115]);
my %POLL = (x86_64 => [7, 23, 232, 270, 281, 441],
    aarch64 => [22, 72, 73, 441]);
sub prober_blocked_in {
	my ($arch) = (POSIX::uname())[4];
	my $s = Orbl::slurp('/proc/' . $o->prober_pid . '/syscall');
	my ($nr) = $s =~ /^(\d+)/ or return 'other';
	return 'sleep' if grep { $_ == $nr } @{$SLEEP{$arch} // []};
	return 'poll' if grep { $_ == $nr } @{$POLL{$arch} // []};
	return 'other';
}

# A test message for run $run / test $test to target $addr, with a cookie
# made the way cookie.c makes it (HMAC-SHA256 of the fields, our key).
sub cookie_for {
	my ($run, $addr, $test) = @_;
	my $exp = int(time) + 3600;
	my $mac = substr(hmac_sha256_hex("orbl1\0$run\0$addr\0$test\0$exp",
	    $KEY), 0, 32);
	return "orbl1-$run-$test-$exp-$mac";
}
sub send_test_mail {
	my ($cookie, $test) = @_;
	return smtp_send(host => '127.0.0.1', port => $sinkport,
	    from => 'orbl-relaytest@prober.test', to => ['relaytest@sink.test'],
	    timeout => 15, data => "From: <orbl-relaytest\@prober.test>\n" .
	    "To: relaytest\@sink.test\nSubject: orbl relay test $test $cookie\n" .
	    "Message-ID: <$cookie\@prober.test>\n\nTest: $test\n" .
	    "Cookie: $cookie\n");
}

# The reply to the end of DATA in an smtp_send() transcript.
sub data_reply {
	my ($r) = @_;
	my @t = @{$r->{transcript}};
	for my $i (0 .. $#t - 1) {
		return $1 if $t[$i] =~ /^> <message/ && $t[$i + 1] =~ /^< (\d{3})/;
	}
	return 'none';
}

sub sub_state {
	my ($id) = @_;
	return q1("SELECT state FROM submission WHERE id = $id");
}
sub submit {
	my ($ip, $port) = @_;
	my $r = $o->ctl('submit', $ip, '--port', $port, '--submitter',
	    '85-crash', '--json');
	my $j = eval { decode_json($r->{out}) } // {};
	ok($r->{rc} == 0 && $j->{submission}, "submit $ip port $port") or
	    diag($r->{out}, $r->{err});
	return $j->{submission} //
	    q1("SELECT max(id) FROM submission WHERE addr = '$ip'");
}
# The run of submission $id that is in flight: its probe id, or undef.
sub wait_in_flight {
	my ($id, $secs) = @_;
	my $pid;
	wait_until($secs // 15, 0.02, sub {
		$pid = q1("SELECT p.id FROM probe p JOIN submission s ON " .
		    "s.id = p.submission_id WHERE s.id = $id AND s.state = " .
		    "'probing' AND p.finished IS NULL ORDER BY p.id DESC LIMIT 1");
		return $pid ne '';
	});
	return $pid eq '' ? undef : $pid;
}
sub wait_sub_done {
	my ($id, $secs) = @_;
	return defined wait_until($secs // 30, 0.1, sub {
		sub_state($id) =~ /^(done|failed)$/ });
}

# The index orbl-dnsd serves matches the database: its SOA serial is the
# journal's, and each address answers as `listing` says.
sub a_of {
	my ($ip) = @_;
	my $p = $o->query(rev4($ip) . '.bl.test', 'A') or return 'no answer';
	my ($a) = grep { $_->type eq 'A' } $p->answer;
	return $a ? $a->address : $p->header->rcode;
}
sub soa_serial {
	my $p = $o->query('bl.test', 'SOA') or return -1;
	my ($s) = grep { $_->type eq 'SOA' } $p->answer;
	return $s ? $s->serial : -1;
}
sub db_listed {
	my ($ip) = @_;
	return q1("SELECT count(*) FROM listing WHERE net = " .
	    Orbl::net_key($ip) . " AND " .
	    "exclude = 0 AND (expires IS NULL OR expires > " .
	    "CAST(strftime('%s', 'now') AS INTEGER))") > 0;
}
sub index_matches_db {
	my ($what, @ips) = @_;
	my $serial = $o->serial;
	ok(defined(wait_until(10, 0.05, sub { soa_serial() == $serial })),
	    "$what: orbl-dnsd serves the journal's serial $serial") or
	    diag('SOA serial ' . soa_serial());
	for my $ip (@ips) {
		my $want = db_listed($ip) ? '127.0.0.2' : 'NXDOMAIN';
		is(a_of($ip), $want, "$what: $ip answers $want, as listing says");
	}
}

sub no_claims {
	my ($what) = @_;
	is(q1("SELECT count(*) FROM claim"), 0, "$what: no claim is left") or
	    diag(q1("SELECT * FROM claim"));
}

# ---------------------------------------------------------------------
# 1. Killed just after claiming: the claim's commit (submission
# 'probing' + a claim row of owner 'prober') and no probe row yet.
my ($s1, $ip1);
{
	my $f = fake('refuse1', behaviour => 'banner_5xx');
	$ip1 = $f->ip;
	$o->kill_prober;
	$s1 = submit($ip1, $f->port);
	my $now = int(time);
	q1("BEGIN; UPDATE submission SET state = 'probing', updated = $now " .
	    "WHERE id = $s1; INSERT INTO claim (addr, kind, ref, owner, taken, " .
	    "lease_until) VALUES ('$ip1', 'submission', $s1, 'prober', $now, " .
	    ($now + 3600) . "); COMMIT;");
	is(q1("SELECT count(*) FROM probe WHERE submission_id = $s1"), 0,
	    'claimed, killed before its run started (no probe row)');
	my $mark = plog_mark();
	ok($o->start_prober, 'orbl-prober restarted');
	ok(wait_log($mark, qr/re-queued 1 unit of work interrupted by the last stop/),
	    'log: re-queued 1 unit of work interrupted by the last stop') or
	    diag(plog_since($mark));
	like(q1("SELECT what || ': ' || why FROM event WHERE kind = " .
	    "'submission' AND ref = $s1 AND actor = 'prober' ORDER BY id " .
	    "LIMIT 1"), qr/^queued: claim released/,
	    'the submission went back to queued (event)');
	ok(wait_sub_done($s1), 'and was run and decided') or
	    diag(plog_since($mark));
	is(sub_state($s1), 'done', "submission $s1: done");
	is(q1("SELECT count(*) || ' ' || group_concat(verdict) FROM probe " .
	    "WHERE submission_id = $s1 AND finished IS NOT NULL"), '1 refused',
	    'exactly one finished run, refused');
	no_claims('after the claim crash');
	index_matches_db('after the claim crash', $ip1);
}

# ---------------------------------------------------------------------
# 2. Killed mid-run (a tarpit keeps the run in flight).
{
	my $f = fake('tarpit2', behaviour => 'tarpit', tarpit_delay => 1);
	my $ip = $f->ip;
	my $id = submit($ip, $f->port);
	my $p1 = wait_in_flight($id);
	ok($p1, "run #" . ($p1 // '?') . " is in flight") or
	    diag(plog());
	$o->kill_prober;
	is(sub_state($id), 'probing', 'SIGKILL mid-run: still probing');
	is(q1("SELECT owner || ' ' || kind || ' ' || ref FROM claim WHERE " .
	    "addr = '$ip'"), "prober submission $id", '... its claim is held');
	my $mark = plog_mark();
	ok($o->start_prober, 'orbl-prober restarted');
	ok(wait_log($mark, qr/re-queued 1 unit of work interrupted/),
	    'the interrupted run was re-queued') or diag(plog_since($mark));
	ok(wait_sub_done($id, 40), 'and decided after the restart') or
	    diag(plog_since($mark));
	is(q1("SELECT finished IS NULL FROM probe WHERE id = $p1"), 1,
	    "the killed run #$p1 stays unfinished (no verdict from a cut " .
	    'battery)');
	my $after = q1("SELECT count(*) || ' ' || group_concat(verdict) FROM " .
	    "probe WHERE submission_id = $id AND finished IS NOT NULL");
	is($after, '1 timeout', 'a new run decided it: one finished run');
	ok(q1("SELECT probe_id FROM submission WHERE id = $id") > $p1,
	    'the submission points at the new run');
	no_claims('after the mid-run crash');
	index_matches_db('after the mid-run crash', $ip);
	$f->stop;
}

# ---------------------------------------------------------------------
# 3a. The database locked while a run records its result; the prober
# keeps answering; killed in that state.
{
	my $g = gate('127.0.85.30');
	my $id = submit($g->{ip}, $g->{port});
	my $p1 = wait_in_flight($id);
	ok($p1, 'a run against the gate is in flight');
	my $mark = plog_mark();
	my $lk = lock_db();
	gate_open($g);		# the run ends now (refused): record it
	ok(wait_log($mark, qr/probe #$p1 \Q$g->{ip}\E: .*recording again until it is free/),
	    'log: the run waits for the lock ("recording again until it is ' .
	    'free")') or diag(plog_since($mark));
	ok(sink_answers(), 'while the lock is held the sink answers a new ' .
	    'connection: 220, EHLO 250, QUIT 221');
	my %n = (sleep => 0, poll => 0, other => 0);
	for (1 .. 50) {
		$n{prober_blocked_in()}++;
		sleep(0.02);	# sampling, not synchronisation
	}
	ok($n{sleep} < 30, "while locked the prober waits in its event " .
	    "loop, not in SQLite's busy handler ($n{poll} poll, $n{sleep} " .
	    "sleep, $n{other} other of 50 samples)");
	ok(db_locked(), '... and the lock was held throughout');
	is(q1("SELECT finished IS NULL FROM probe WHERE id = $p1"), 1,
	    'nothing of the run is written under the lock');
	{
		my $n = () = plog_since($mark) =~
		    /probe #$p1 [^\n]*recording again/g;
		is($n, 1, 'the wait is logged once, not at every retry');
	}
	$o->kill_prober;
	unlock_db($lk);
	is(q1("SELECT count(*) FROM probe WHERE submission_id = $id AND " .
	    "finished IS NOT NULL"), 0, 'killed while writing: no finished run');
	is(sub_state($id), 'probing', '... the submission is still probing');
	$mark = plog_mark();
	ok($o->start_prober, 'orbl-prober restarted');
	ok(wait_log($mark, qr/re-queued 1 unit of work interrupted/),
	    'the unit is re-queued') or diag(plog_since($mark));
	ok(wait_sub_done($id), 'and decided') or diag(plog_since($mark));
	is(q1("SELECT count(*) || ' ' || group_concat(verdict) FROM probe " .
	    "WHERE submission_id = $id AND finished IS NOT NULL"), '1 refused',
	    'exactly once: one finished run, after the restart');
	is(q1("SELECT finished IS NULL FROM probe WHERE id = $p1"), 1,
	    "the run #$p1 killed while recording stays unfinished");
	no_claims('after the crash while writing');
	index_matches_db('after the crash while writing', $g->{ip});
	gate_stop($g);
}

# ---------------------------------------------------------------------
# 3b. The same lock, the prober not killed: released, the run is
# recorded; a test message that arrives under the lock is deferred (451),
# and its retry after the release is kept (250).
{
	my $g = gate('127.0.85.31');
	my $id = submit($g->{ip}, $g->{port});
	my $p1 = wait_in_flight($id);
	ok($p1, 'a run against the gate is in flight');
	my $p0 = q1("SELECT probe_id FROM submission WHERE id = $s1");
	my $cookie = cookie_for($p0, $ip1, 3);
	my $mark = plog_mark();
	my $lk = lock_db();
	gate_open($g);
	ok(wait_log($mark, qr/probe #$p1 \Q$g->{ip}\E: .*recording again until it is free/),
	    'locked: the run waits to record its result') or
	    diag(plog_since($mark));
	my $r = send_test_mail($cookie, 3);
	is(data_reply($r), 451, "a test message (cookie of run #$p0) under the " .
	    'lock: 451, not 250') or diag(join("\n", @{$r->{transcript}}));
	is(q1("SELECT count(*) FROM arrival WHERE probe_id = $p0"), 0,
	    '... and nothing was recorded');
	ok(sink_answers(), 'the sink answers a new connection under the lock');
	is(sub_state($id), 'probing', 'under the lock: still probing');
	unlock_db($lk);
	ok(wait_sub_done($id), 'released: the run is recorded') or
	    diag(plog_since($mark));
	ok(wait_log($mark, qr/probe #$p1 \Q$g->{ip}\E: recorded after the database was free again/),
	    'log: recorded after the database was free again');
	is(q1("SELECT count(*) || ' ' || group_concat(verdict) FROM probe " .
	    "WHERE submission_id = $id AND finished IS NOT NULL"), '1 refused',
	    "the run #$p1 itself, once");
	is(q1("SELECT probe_id FROM submission WHERE id = $id"), $p1,
	    'the submission points at it');
	$r = send_test_mail($cookie, 3);
	is(data_reply($r), 250, 'the retry after the release: 250') or
	    diag(join("\n", @{$r->{transcript}}));
	is(q1("SELECT count(*) || ' ' || confirmed FROM arrival WHERE " .
	    "probe_id = $p0"), '1 0', '... the arrival is kept once (it ' .
	    'confirms nothing: the target never accepted that test)');
	no_claims('after the lock was released');
	index_matches_db('after the lock', $g->{ip}, $ip1);
	gate_stop($g);
}

# ---------------------------------------------------------------------
# 4. Killed during a delisting re-test.
{
	# A real relay gets listed (the evidence is on its port).
	my $relay = fake('relay4', behaviour => 'relay',
	    next_hop => "127.0.0.1:$sinkport");
	my ($ip, $port) = ($relay->ip, $relay->port);
	my $sid = submit($ip, $port);
	ok(wait_sub_done($sid), 'the relay was tested');
	is(q1("SELECT result FROM submission WHERE id = $sid"), 'confirmed',
	    'confirmed');
	ok(defined(wait_until(5, 0.05, sub { a_of($ip) eq '127.0.0.2' })),
	    "$ip is listed and answered");
	# The owner "fixes" it slowly: a tarpit on the same address and port.
	$relay->stop;
	my $tp = fake('tarpit4', behaviour => 'tarpit', tarpit_delay => 1,
	    listen => "$ip:$port");
	my $r = $o->ctl('delist-request', $ip, '--contact', 'owner@crash.test',
	    '--json');
	my $rq = (eval { decode_json($r->{out}) } // {})->{request};
	ok($rq, "delist-request $ip: request " . ($rq // '?')) or
	    diag($r->{out}, $r->{err});
	my $p1;
	wait_until(15, 0.02, sub {
		$p1 = q1("SELECT p.id FROM probe p JOIN delist_request r ON " .
		    "r.id = p.request_id WHERE r.id = $rq AND r.state = " .
		    "'retesting' AND p.finished IS NULL");
		return $p1 ne '';
	});
	ok($p1, "the re-test #$p1 is in flight");
	$o->kill_prober;
	is(q1("SELECT state FROM delist_request WHERE id = $rq"), 'retesting',
	    'SIGKILL during the re-test: the request is retesting');
	is(q1("SELECT owner || ' ' || kind || ' ' || ref FROM claim WHERE " .
	    "addr = '$ip'"), "prober request $rq", '... its claim is held');
	# The owner really fixed it now: a closed server on that port.
	$tp->stop;
	fake('closed4', behaviour => 'reject_data', listen => "$ip:$port");
	my $mark = plog_mark();
	ok($o->start_prober, 'orbl-prober restarted');
	ok(wait_log($mark, qr/re-queued 1 unit of work interrupted/),
	    'the interrupted re-test was re-queued') or diag(plog_since($mark));
	like(q1("SELECT what || ': ' || why FROM event WHERE kind = 'request' " .
	    "AND ref = $rq AND why LIKE 'claim released%'"),
	    qr/^pending: claim released/, 'the request went back to pending');
	# A new request now gets the open one, in a state that is true (the
	# re-test may already have decided it: then there is none to get).
	$r = $o->ctl('delist-request', $ip, '--contact', 'owner@crash.test',
	    '--json');
	my $again = eval { decode_json($r->{out}) } // {};
	my $st = q1("SELECT state FROM delist_request WHERE id = $rq");
	if ($r->{rc} == 0 && ($again->{request} // 0) == $rq) {
		ok($again->{existing}, "a new request after the restart: the " .
		    "open one ($st)");
		ok($st eq 'pending' || q1("SELECT count(*) FROM probe WHERE " .
		    "request_id = $rq AND id > $p1") > 0, "... $st, not the " .
		    'stranded re-test') or diag(plog_since($mark));
	} elsif ($r->{rc} == 0) {
		# The re-test's commit fell between the request's "is it
		# listed" check and its insert (two transactions): a new
		# request, which the prober answers without a run.
		like($st, qr/^(delisted|refused)$/, 'a new request after the ' .
		    "restart: a new one, because the old was decided ($st) " .
		    'meanwhile') or diag(explain($again));
		note("request $again->{request} was taken for $ip while " .
		    "request $rq was being decided");
	} else {
		like($r->{err}, qr/not listed/, 'a new request after the ' .
		    "restart: the old one was decided already ($st)");
		like($st, qr/^(delisted|refused)$/, "... it was ($st)");
	}
	ok(defined(wait_until(30, 0.1, sub {
		q1("SELECT state FROM delist_request WHERE id = $rq") =~
		    /^(delisted|refused)$/ })), 'the request was decided') or
	    diag(plog_since($mark));
	is(q1("SELECT state FROM delist_request WHERE id = $rq"), 'delisted',
	    'delisted (the relay is closed now)') or
	    diag(q1("SELECT decision FROM delist_request WHERE id = $rq"));
	is(q1("SELECT finished IS NULL FROM probe WHERE id = $p1"), 1,
	    "the killed re-test #$p1 stays unfinished");
	is(q1("SELECT count(*) || ' ' || group_concat(verdict) FROM probe " .
	    "WHERE request_id = $rq AND finished IS NOT NULL"), '1 closed',
	    'one re-test decided it, closed');
	is(q1("SELECT probe_id FROM delist_request WHERE id = $rq") > $p1, 1,
	    'the decision names the new re-test');
	ok(!db_listed($ip), 'the probe listing is gone');
	like(q1("SELECT op || ' ' || s FROM journal JOIN str ON str.id = " .
	    "actor WHERE net = " . Orbl::net_key($ip) . " ORDER BY serial " .
	    "DESC LIMIT 1"), qr/^remove prober/,
	    'the journal says so');
	$r = $o->ctl('delist-request', $ip, '--contact', 'owner@crash.test');
	is($r->{rc}, 1, 'a new request after the decision: refused ...');
	like($r->{err}, qr/not listed/, '... because it is not listed');
	ok(defined(wait_until(15, 0.1, sub { q1("SELECT count(*) FROM " .
	    "delist_request WHERE addr = '$ip' AND state IN ('pending', " .
	    "'retesting')") == 0 })), 'no open request is left') or
	    diag(q1("SELECT * FROM delist_request WHERE addr = '$ip'"));
	no_claims('after the crash during the re-test');
	index_matches_db('after the crash during the re-test', $ip, $ip1);
}

$o->stop_prober;

# ---------------------------------------------------------------------
# 5. orblctl import killed while writing, orbl-dnsd serving.
{
	my $n = 300_000;
	my $file = "$tmp/big.txt";
	open(my $fh, '>', $file) or die "$file: $!";
	print $fh "# 85-crash.t: $n addresses\n";
	for my $i (0 .. $n - 1) {
		printf $fh "10.%d.%d.%d\n", $i >> 16, ($i >> 8) & 255, $i & 255;
	}
	close($fh);
	my @in = map { sprintf('10.%d.%d.%d', $_ >> 16, ($_ >> 8) & 255,
	    $_ & 255) } (0, 1, 4097, 65536 * 2 + 77, $n - 1);
	my @out = ('10.200.0.1', '11.0.0.1', sprintf('10.%d.%d.%d',
	    $n >> 16, ($n >> 8) & 255, $n & 255));
	my $wal = $o->db . '-wal';
	my $serial0 = $o->serial;
	my $before = -s $wal // 0;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open(STDOUT, '>', "$tmp/import1.out");
		open(STDERR, '>', "$tmp/import1.err");
		{ exec(Orbl::bindir() . '/orblctl', '-c', $o->conffile, 'import',
		    $file, '--format', 'plain') };
		_exit(127);
	}
	$kids{$pid} = 1;
	my $exited;
	my $grew = wait_until(60, 0.002, sub {
		if (waitpid($pid, WNOHANG) == $pid) {
			$exited = $?;
			return 1;
		}
		return (-s $wal // 0) > $before + (2 << 20);
	});
	ok(defined $grew && !defined $exited, 'the import is writing (the ' .
	    'WAL grew by 2 MB beyond its size)') or
	    diag("exit status " . ($exited // 'none') . ': ' .
	    Orbl::slurp("$tmp/import1.err"));
	kill 'KILL', $pid;
	waitpid($pid, 0);
	my $st = $exited // $?;
	delete $kids{$pid};
	is($st & 127, 9, 'orblctl import killed with SIGKILL') or
	    diag(Orbl::slurp("$tmp/import1.out"));
	is(q1('PRAGMA integrity_check'), 'ok', 'integrity_check: ok');
	my $cnt = q1("SELECT count(*) FROM listing WHERE source = 'import'");
	my $jadd = q1("SELECT count(*) FROM journal WHERE source = 'import'");
	ok($cnt == 0 || $cnt == $n, "the import is all or nothing " .
	    "($cnt of $n listed)");
	is($cnt, 0, '... nothing: it was killed before its commit');
	is($jadd, $cnt, 'the journal agrees with listing');
	is($o->serial, $serial0, 'the serial did not move');
	index_matches_db('after the killed import', @in, @out, $ip1);
	# 300,000 entries: minutes under a sanitizer on a loaded box, so a
	# bound far above the default 30 s.
	my $r = $o->run_cmd([Orbl::bindir() . '/orblctl', '-c', $o->{conffile},
	    'import', $file, '--format', 'plain'], timeout => 900);
	is($r->{rc}, 0, 'a second import completes') or diag($r->{err});
	is(q1("SELECT count(*) FROM listing WHERE source = 'import'"), $n,
	    "all $n entries listed");
	is(q1("SELECT count(*) FROM journal WHERE source = 'import' AND " .
	    "op = 'add'"), $n, '... with one journal row each');
	is(q1('PRAGMA integrity_check'), 'ok', 'integrity_check: ok');
	index_matches_db('after the second import', @in, @out);
}

$o->stop;
$_->stop for values %fake;
done_testing();
