#!/usr/bin/perl
# 20-dnsd-reload.t -- a real orbl-dnsd follows the database: live adds and
# removes, no lost answers during reloads, SIGHUP, a database that goes
# missing, corrupt or locked, expiry, a cold start without a database,
# configuration checks and the privilege drop.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(_exit WNOHANG);
use Time::HiRes qw(time sleep);

use Net::DNS;
use Orbl qw(rev4 wait_until answer_of);

# Four UDP workers: the reloads below must reach every one of them and
# the old data must be freed only when no worker holds it (ASan checks).
my $o = Orbl->new(conf => { workers => 4 });
my $db = $o->db;
$o->ctl_ok('add', '192.0.2.1', '--reason', 'stable');
unless (ok($o->start, 'orbl-dnsd starts and answers an apex SOA query')) {
	done_testing;
	exit 1;
}

sub nm { rev4($_[0]) . '.bl.test' }

# The A code of ip, '' when not listed, undef when no reply.
sub code_of {
	my ($inst, $ip) = @_;
	my $p = $inst->query(nm($ip), 'A', timeout => 5) or return undef;
	my ($a) = answer_of($p, 'A');
	return $a ? $a->address : '';
}

sub soa_serial {
	my $p = $o->query('bl.test', 'SOA') or return undef;
	my ($s) = answer_of($p, 'SOA');
	return $s ? $s->serial : undef;
}

# Lines written to the log since $mark about the database file.
sub db_problems {
	my ($inst, $mark) = @_;
	my $path = $inst->db;
	return grep { /\Q$path\E/ && !/readable again/ }
	    split /\n/, $inst->log_since($mark);
}

# -- nothing to do, nothing done
{
	my $mark = $o->log_mark;
	# Not a time window: the loader looked at the unchanged database
	# a few times (its polls counter, see Orbl::wait_loader_polls).
	ok($o->wait_loader_polls(4), 'the loader polled 4 times') or
	    diag('no loader thread at nice 10 found, or it did not poll');
	is(scalar(grep { /serving serial/ } split /\n/, $o->log_since($mark)), 0,
	    'no change: no rebuild (after the startup load)') or
	    diag($o->log_text);
}

# -- live add and remove
{
	my $s0 = soa_serial();
	is($s0, $o->serial, 'SOA serial = journal serial');
	my $mark = $o->log_mark;
	$o->ctl_ok('add', '192.0.2.10', '--code', '127.0.0.7');
	# Picked up by the loader's own polling (no signal; bounded, not
	# timed: the log below says how).
	my $t = wait_until(30, 0.05, sub { (code_of($o, '192.0.2.10') // '') eq '127.0.0.7' });
	ok(defined $t, sprintf('orblctl add: answered without a signal (%.3f s)', $t // -1));
	# The journal row is applied to the last index: no rebuild.
	like($o->log_since($mark), qr/patched serial $s0 -> \d+: 1 changes/,
	    'orblctl add: the index was patched') or diag($o->log_since($mark));
	unlike($o->log_since($mark), qr/built serial/, 'and not rebuilt');
	my $s1 = soa_serial();
	ok(defined $s1 && defined $s0 && $s1 > $s0, "SOA serial moved ($s0 -> " . ($s1 // 'none') . ')');
	is($s1, $o->serial, 'SOA serial = journal serial after the add');

	$o->ctl_ok('remove', '192.0.2.10');
	$t = wait_until(30, 0.05, sub { (code_of($o, '192.0.2.10') // 'x') eq '' });
	ok(defined $t, sprintf('orblctl remove: NXDOMAIN without a signal (%.3f s)', $t // -1));
	my $p = $o->query(nm('192.0.2.10'), 'A');
	is($p && $p->header->rcode, 'NXDOMAIN', 'removed: NXDOMAIN');
	ok((soa_serial() // 0) > $s1, 'SOA serial moved again');
}

# -- no lost answers while 20 changes are committed
{
	pipe(my $rd, my $wr) or die "pipe: $!";
	my $port = $o->port;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close($rd);
		my ($sent, $answered, $wrong) = (0, 0, 0);
		# Eight sockets (eight source ports) spread the queries over
		# the SO_REUSEPORT workers.
		my @socks = map { IO::Socket::INET->new(PeerAddr =>
		    '127.0.0.1', PeerPort => $port, Proto => 'udp') } 1 .. 8;
		my $end = time + 3;
		while (time < $end) {
			my $s = $socks[$sent % @socks];
			my $sel = IO::Select->new($s);
			my $q = Net::DNS::Packet->new(nm('192.0.2.1'), 'A');
			my $id = ($sent + 1) & 0xffff;
			$q->header->id($id);
			$q->header->rd(0);
			send($s, $q->data, 0);
			$sent++;
			my $wait_end = time + 1;
			while (time < $wait_end) {
				last unless $sel->can_read($wait_end - time);
				my $buf;
				recv($s, $buf, 4096, 0);
				my $p = Net::DNS::Packet->new(\$buf) or next;
				next unless $p->header->id == $id;
				$answered++;
				my ($a) = grep { $_->type eq 'A' } $p->answer;
				$wrong++ unless $p->header->rcode eq 'NOERROR' &&
				    $a && $a->address eq '127.0.0.2';
				last;
			}
			sleep(0.005);
		}
		print $wr "$sent $answered $wrong\n";
		close($wr);
		_exit(0);
	}
	close($wr);
	my $s0 = soa_serial();
	my $fails = 0;
	for my $i (1 .. 20) {
		my $r = $o->ctl('add', "203.0.113.$i", '--reason', "change $i");
		$fails++ if $r->{rc};
		sleep(0.05);
	}
	is($fails, 0, '20 changes committed with orblctl add');
	my $line = <$rd>;
	waitpid($pid, 0);
	my ($sent, $answered, $wrong) = split ' ', $line // '0 0 0';
	ok($sent >= 100, "background queries sent: $sent");
	is($sent - $answered, 0, 'zero lost answers during the reloads');
	is($wrong, 0, 'zero wrong answers during the reloads');
	my $t = wait_until(30, 0.05, sub {
		!grep { (code_of($o, "203.0.113.$_") // '') ne '127.0.0.2' } 1 .. 20
	});
	ok(defined $t, 'all 20 new listings served');
	is(soa_serial(), $o->serial, 'SOA serial = journal serial after 20 changes');
	ok(soa_serial() >= $s0 + 20, 'serial moved by at least 20');
}

# -- SIGHUP
{
	my $mark = $o->log_mark;
	kill 'HUP', $o->pid;
	my $t = wait_until(30, 0.05, sub {
		my $l = $o->log_since($mark);
		return $l =~ /SIGHUP/ && $l =~ /serving serial/;
	});
	ok(defined $t, 'SIGHUP: logged and the data re-read') or
	    diag($o->log_since($mark));
	like($o->log_since($mark), qr/built serial \d+ \(reload requested\)/,
	    'SIGHUP: a full build');
	is(code_of($o, '192.0.2.1'), '127.0.0.2', 'still answering after SIGHUP');
	ok(kill(0, $o->pid), 'still running after SIGHUP');
}

# -- database missing
{
	my $mark = $o->log_mark;
	rename($db, "$db.away") or die "rename: $!";
	my $lost = 0;
	my $ask = sub {
		$lost++ if (code_of($o, '192.0.2.1') // '') ne '127.0.0.2';
		$lost++ if (code_of($o, '203.0.113.7') // '') ne '127.0.0.2';
	};
	# Asking all along: until the loader has seen the file gone (its
	# log line), then for a few more of its polls.
	ok(defined wait_until(30, 0.1, sub { $ask->(); db_problems($o, $mark) }),
	    'database missing: the loader saw it');
	ok($o->wait_loader_polls(4, $ask), 'and polled 4 more times');
	is($lost, 0, 'database missing: still answering from the last data');
	my @p = db_problems($o, $mark);
	is(scalar(@p), 1, 'database missing: the problem is logged once') or
	    diag($o->log_since($mark));
	rename("$db.away", $db) or die "rename: $!";
	$o->ctl_ok('add', '192.0.2.11');
	my $t = wait_until(30, 0.05, sub { (code_of($o, '192.0.2.11') // '') eq '127.0.0.2' });
	ok(defined $t, sprintf('database back: a change is picked up (%.3f s)', $t // -1));
	is(soa_serial(), $o->serial, 'database back: SOA serial = journal serial');
}

# -- database corrupt
{
	$o->sql('PRAGMA wal_checkpoint(TRUNCATE)');
	$o->sql(".backup '$db.good'");
	my $mark = $o->log_mark;
	my $serial = soa_serial();
	open(my $fh, '>', "$db.bad") or die;
	print $fh 'this is not an SQLite database ' . pack('C*', map { int(rand(256)) } 1 .. 8192);
	close($fh);
	rename("$db.bad", $db) or die "rename: $!";
	my $lost = 0;
	my $ask = sub {
		$lost++ if (code_of($o, '192.0.2.1') // '') ne '127.0.0.2';
		$lost++ if (code_of($o, '192.0.2.11') // '') ne '127.0.0.2';
	};
	ok(defined wait_until(30, 0.1, sub { $ask->(); db_problems($o, $mark) }),
	    'database corrupt: the loader saw it');
	ok($o->wait_loader_polls(4, $ask), 'and polled 4 more times');
	is($lost, 0, 'database corrupt: still answering from the last data');
	is(soa_serial(), $serial, 'database corrupt: serial unchanged');
	my @p = db_problems($o, $mark);
	is(scalar(@p), 1, 'database corrupt: the problem is logged once') or
	    diag($o->log_since($mark));

	# Garbage in place (same inode) too.
	$mark = $o->log_mark;
	open($fh, '+<', $db) or die;
	print $fh 'more garbage ' x 100;
	close($fh);
	ok($o->wait_loader_polls(4), 'garbage in place: the loader polled 4 times');
	is(code_of($o, '192.0.2.1'), '127.0.0.2', 'garbage written in place: still answering');
	ok(scalar(db_problems($o, $mark)) <= 1, 'and at most one more log line');

	$mark = $o->log_mark;
	rename("$db.good", $db) or die "rename: $!";
	$o->ctl_ok('add', '192.0.2.12');
	my $t = wait_until(30, 0.05, sub { (code_of($o, '192.0.2.12') // '') eq '127.0.0.2' });
	ok(defined $t, sprintf('database restored: a change is picked up (%.3f s)', $t // -1));
	like($o->log_since($mark), qr/built serial \d+ \(a new database file\)/,
	    'database restored: a full build of the new file');
	is(code_of($o, '192.0.2.11'), '127.0.0.2', 'database restored: older data intact');
}

# -- database locked
{
	my $mark = $o->log_mark;
	# The lock is taken when the sqlite3 holding it says so.
	my $lock = $o->lock_db(mode => 'EXCLUSIVE', key => 'locktest');
	ok($lock, 'an sqlite3 holds the write lock') or diag($o->log_tail(10));
	# A writer meanwhile waits for the lock (busy timeout 5 s).
	my $w = fork // die "fork: $!";
	if ($w == 0) {
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		{ exec(Orbl::bindir() . '/orblctl', '-c', $o->conffile, 'add',
		    '192.0.2.13') };
		_exit(127);
	}
	# Queries during the lock: a fixed number, not a time window.  The
	# query path never waits on the database: every one is answered
	# while the lock is held (the writer is still waiting afterwards),
	# and the daemon's reader never even saw it locked (no "locked"
	# line in its log) -- no query duration is asserted.
	my ($n, $bad) = (0, 0);
	for (1 .. 20) {
		$bad++ if (code_of($o, '192.0.2.1') // '') ne '127.0.0.2';
		$n++;
	}
	my $early = waitpid($w, WNOHANG) == $w;
	my $st = $?;
	$o->unlock_db($lock);
	ok(!$early, 'the lock is real: a writer waits for it');
	is($n, 20, "queries while the database was locked: $n");
	is($bad, 0, 'database locked: every query answered');
	unlike($o->log_since($mark), qr/locked/,
	    'database locked: the daemon never waited on it');
	if ($early) {
		$? = $st;
	} else {
		waitpid($w, 0);
	}
	is($? >> 8, 0, 'the waiting orblctl add succeeds after the lock');
	my $t = wait_until(30, 0.05, sub { (code_of($o, '192.0.2.13') // '') eq '127.0.0.2' });
	ok(defined $t, sprintf('lock released: the change is picked up (%.3f s)', $t // -1));
}

# -- expiry
{
	my $serial = soa_serial();
	my $mark = $o->log_mark;
	$o->ctl_ok('add', '192.0.2.99', '--expires', '4s');
	my $due = $o->sql("SELECT expires FROM listing WHERE net = " .
	    Orbl::net_key('192.0.2.99'));
	# Listed until it is due (the expiry is the server-side timer this
	# waits for; 4 s leaves a loaded machine room to see it listed).
	my $t = wait_until(30, 0.05, sub {
		time < $due && (code_of($o, '192.0.2.99') // '') eq '127.0.0.2' });
	ok(defined $t && time < $due, 'expiring listing: listed');
	my $gone = wait_until(40, 0.1, sub { (code_of($o, '192.0.2.99') // 'x') eq '' });
	my $at = time;
	ok(defined $gone, sprintf('expired: NXDOMAIN with no other change ' .
	    '(%.2f s after it was due)', $at - $due));
	ok(!defined $gone || $at >= $due, 'and not before it was due');
	like($o->log_since($mark), qr/built serial \d+ \(a listing expired\)/,
	    'expiry: a full build');
	is(code_of($o, '192.0.2.1'), '127.0.0.2', 'the rest still listed after the expiry');
}

# -- the configuration: -n
{
	my $r = $o->run_cmd([Orbl::bindir() . '/orbl-dnsd', '-n', '-c', $o->conffile],
	    timeout => 10);
	is($r->{rc}, 0, 'orbl-dnsd -n with a good config: exit 0') or diag($r->{err});

	my $bad = $o->dir . '/bad.conf';
	my $text = Orbl::slurp($o->conffile);
	my $lineno = ($text =~ tr/\n//) + 2;
	open(my $fh, '>', $bad) or die;
	print $fh $text, "# a comment\nbogus_key = 1\n";
	close($fh);
	$r = $o->run_cmd([Orbl::bindir() . '/orbl-dnsd', '-n', '-c', $bad], timeout => 10);
	isnt($r->{rc}, 0, 'orbl-dnsd -n with an unknown key: non-zero exit');
	like($r->{err}, qr/bogus_key/, 'the message names the key');
	like($r->{err}, qr/\b$lineno\b/, "the message gives the line number ($lineno)");

	$r = $o->run_cmd([Orbl::bindir() . '/orbl-dnsd', '-n', '-c', $o->dir . '/nonexistent.conf'],
	    timeout => 10);
	isnt($r->{rc}, 0, 'orbl-dnsd -n with a missing file: non-zero exit');
	like($r->{err}, qr/nonexistent\.conf/, 'the message names the file');

	# A config error at start (no -n): exits at once with a message.
	open($fh, '>', $bad) or die;
	print $fh $text, "tcp_idle_timeout = soon\n";
	close($fh);
	$r = $o->run_cmd([Orbl::bindir() . '/orbl-dnsd', '-d', '-c', $bad], timeout => 10);
	ok($r->{rc} > 0, "bad duration at start: non-zero exit ($r->{rc})");
	like($r->{err}, qr/tcp_idle_timeout/, 'the message names the key');

	# The port is taken (by the running daemon): exits with a message.
	$r = $o->run_cmd([Orbl::bindir() . '/orbl-dnsd', '-d', '-c', $o->conffile],
	    timeout => 10);
	ok($r->{rc} > 0, "port in use at start: non-zero exit ($r->{rc})");
	like($r->{err}, qr/bind|in use/i, 'the message says why');
	is(code_of($o, '192.0.2.1'), '127.0.0.2', 'the running daemon is unaffected');
}

$o->stop;

# -- cold start without a database
{
	my $n = Orbl->new(init => 0);
	ok(!-e $n->db, 'no database file');
	ok($n->start, 'orbl-dnsd starts without a database');
	is(code_of($n, '127.0.0.2'), '127.0.0.2', 'no database: test point 127.0.0.2 listed');
	is(code_of($n, '192.0.2.1'), '', 'no database: others NXDOMAIN');
	is(code_of($n, '127.0.0.1'), '', 'no database: 127.0.0.1 not listed');
	my @p = db_problems($n, 0);
	ok(@p >= 1, 'no database: the problem is logged') or diag($n->log_text);
	ok($n->wait_loader_polls(5), 'no database: the loader polled 5 times');
	@p = db_problems($n, 0);
	ok(@p <= 2, 'no database: not logged over and over (' . scalar(@p) . ' lines)');
	$n->ctl_ok('init');
	$n->ctl_ok('add', '192.0.2.1', '--reason', 'cold');
	my $t = wait_until(30, 0.05, sub { (code_of($n, '192.0.2.1') // '') eq '127.0.0.2' });
	ok(defined $t, sprintf('after init + add: the new data is served (%.3f s)', $t // -1));
	my $p = $n->query('bl.test', 'SOA');
	my ($soa) = answer_of($p, 'SOA');
	is($soa && $soa->serial, $n->serial, 'and the SOA serial is the journal serial');
	$n->stop('orbl-dnsd (cold start)');
}

# -- privilege drop
SKIP: {
	skip('not running as root', 6) unless $> == 0;
	my @pw = getpwnam('nobody');
	skip('no user nobody', 6) unless @pw;
	my ($uid, $gid) = @pw[2, 3];
	my $u = Orbl->new(conf => { user => 'nobody' });
	$u->ctl_ok('add', '192.0.2.1');
	# Like an operator would: the data directory belongs to the daemon.
	chown($uid, $gid, $u->dir, glob($u->dir . '/*'));
	chmod(0755, $u->dir);
	ok($u->start, 'orbl-dnsd with user = nobody starts');
	my $st = Orbl::slurp('/proc/' . $u->pid . '/status');
	my ($uids) = $st =~ /^Uid:\s*(.*)$/m;
	my ($gids) = $st =~ /^Gid:\s*(.*)$/m;
	is_deeply([split ' ', $uids // ''], [($uid) x 4], "runs as nobody (Uid: $uids)");
	is_deeply([split ' ', $gids // ''], [($gid) x 4], "with nobody's group (Gid: $gids)");
	is(code_of($u, '192.0.2.1'), '127.0.0.2', 'as nobody: serves the data');
	$u->stop('orbl-dnsd (user nobody)');
}

done_testing;
