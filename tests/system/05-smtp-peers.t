#!/usr/bin/perl
# 05-smtp-peers.t -- the SMTP peers of the prober's tests work: real
# Postfix instances (open relay, closed, percent hack only) forward to a
# sink or refuse, checked with swaks; every scripted FakeSMTP behaviour
# does what it says, checked with swaks or a raw socket; everything
# started is stopped by PID and nothing is left running.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Test::More;
use Time::HiRes qw(time sleep);

use Postfix qw(find_prog);
use FakeSMTP;
use SinkSMTP;

plan skip_all => 'needs root (private Postfix instances)' if $> != 0;
plan skip_all => 'postfix or swaks missing (run scripts/deps)'
    unless find_prog('postfix') && find_prog('swaks');

my $tmp = tempdir('smtp-peers-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $S = 'sink.test';
my $P = 'sink';
my $RUN = sprintf('%x%04x', time(), $$);
my (@pf, @fake, @pids);

# swaks with a time limit: (exit code, transcript).
sub swaks {
	my ($host, $port, %o) = @_;
	my $out = "$tmp/swaks.out";
	my @cmd = ('swaks', '--server', $host, '--port', $port,
	    '--to', $o{to}, '--from', $o{from} // "f\@$S",
	    '--helo', 'prober.test', '--timeout', $o{timeout} // 10,
	    '--header', "Subject: peers test $o{cookie}",
	    '--body', "cookie $o{cookie}\n");
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or _exit(127);
	}
	my $deadline = time() + 25;
	while (waitpid($pid, WNOHANG) == 0) {
		if (time() > $deadline) {
			kill('KILL', $pid);
			waitpid($pid, 0);
			return (-1, "swaks timed out\n" . FakeSMTP::slurp($out));
		}
		sleep(0.02);
	}
	return ($? >> 8, FakeSMTP::slurp($out));
}

# The server's reply to the command CMD in a swaks transcript.
sub reply_to {
	my ($out, $cmd) = @_;
	return $1 if $out =~ /^ -> \Q$cmd\E[^\n]*\n(?:[<*][-*] +|<\*\* +)(\d{3}[ -][^\n]*)/m;
	return '';
}

sub cookie { "$_[0]-$RUN" }

my $sink = SinkSMTP->new(listen => '127.0.0.1', dir => $tmp);
$sink->start;
push(@pids, $sink->pid);

sub arrived {
	my ($cookie, $timeout, @flush) = @_;
	return $sink->wait_for($timeout, sub { $_[0]{data} =~ /\Q$cookie\E/ },
	    @flush ? sub { $_->flush for @flush } : undef);
}

# --- Postfix ------------------------------------------------------------

my $relayhost = '[127.0.0.1]:' . $sink->port;
my %pf = (
	open => Postfix->new(mode => 'open', listen => '127.0.0.2',
	    relayhost => $relayhost, dir => $tmp),
	closed => Postfix->new(mode => 'closed', listen => '127.0.0.3',
	    relayhost => $relayhost, dir => $tmp),
	percent => Postfix->new(mode => 'percent', listen => '127.0.0.4',
	    relayhost => $relayhost, dir => $tmp),
	defer => Postfix->new(mode => 'closed', listen => '127.0.0.6',
	    relayhost => $relayhost, dir => $tmp, defer => 1),
);
@pf = values %pf;
my $up = Postfix::start_all(@pf);
ok($up, 'four Postfix instances start side by side') or
    diag(join("\n", map { $_->mode . ': ' . $_->error . "\n" . $_->log } @pf));
unless ($up) {
	$_->stop for @pf, $sink;
	done_testing;
	exit 1;
}
push(@pids, map { $_->pid } @pf);
my %pgid = map { $_->pid => 1 } @pf;
is(scalar(keys %pgid), 4, 'four distinct master PIDs');
is(scalar(grep { kill(0, $_->pid) } @pf), 4, 'all four masters alive at once');

{
	my $pf = $pf{open};
	my $c = cookie('open');
	my ($rc, $out) = swaks($pf->ip, $pf->port, to => "$P\@$S", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^250 /, 'open: RCPT <sink@sink.test> accepted');
	like(reply_to($out, '.'), qr/^250 /, 'open: message queued');
	my $m = arrived($c, 15, $pf);
	ok($m, 'open: the message reached the sink') or diag($pf->log);
	is_deeply($m && $m->{rcpt}, ["$P\@$S"], 'open: envelope recipient');
	is($m && $m->{from}, "f\@$S", 'open: envelope sender');
	is($m && $m->{peer}, $pf->ip, 'open: delivered from the instance address');
	like($m && $m->{data}, qr/^Received: from prober\.test .*by \Q${\$pf->hostname}\E/ms,
	    'open: its Received header');
	like($pf->log, qr/status=sent/, 'open: the log file records the delivery');
}

my @never;	# cookies that must not reach the sink
{
	my $pf = $pf{closed};
	my $c = cookie('closed');
	my ($rc, $out) = swaks($pf->ip, $pf->port, to => "$P\@$S", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^554 5\.7\.1 .*Relay access denied/,
	    'closed: RCPT <sink@sink.test> refused with 554');
	isnt($rc, 0, 'closed: swaks fails');
	push(@never, $c);
	$c = cookie('closed-local');
	($rc, $out) = swaks($pf->ip, $pf->port, to => "$P\@" . $pf->domain,
	    cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^550 /,
	    'closed: no local delivery of test mail either (550)');

	$pf = $pf{defer};
	$c = cookie('defer');
	($rc, $out) = swaks($pf->ip, $pf->port, to => "$P\@$S", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^454 4\.7\.1 /,
	    'closed with defer => 1: Postfix\'s stock 454');
	push(@never, $c);
}

{
	my $pf = $pf{percent};
	my $T = $pf->domain;
	my $c = cookie('percent');
	my ($rc, $out) = swaks($pf->ip, $pf->port, to => "$P%$S\@$T",
	    cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^250 /, "percent: RCPT <$P%$S\@T> accepted");
	my $m = arrived($c, 15, $pf);
	ok($m, 'percent: the percent-hack message reached the sink')
	    or diag($pf->log);
	is_deeply($m && $m->{rcpt}, ["$P\@$S"], 'percent: rewritten to the sink mailbox');
	is($m && $m->{peer}, $pf->ip, 'percent: delivered from the instance address');

	my %refused = (
		plain => "$P\@$S",
		'double @' => "$P\@$S\@$T",
		'quoted' => "\"$P\@$S\"\@$T",
		'source route' => "\@$T:$P\@$S",
	);
	for my $k (sort keys %refused) {
		$c = cookie("percent-$k");
		($rc, $out) = swaks($pf->ip, $pf->port, to => $refused{$k},
		    cookie => $c);
		like(reply_to($out, 'RCPT TO'), qr/^554 5\.7\.1 .*Relay access denied/,
		    "percent: $k form refused");
		push(@never, $c);
	}
	# Accepted as a local user (bang paths are not swapped) and dropped.
	$c = cookie('percent-bang');
	($rc, $out) = swaks($pf->ip, $pf->port, to => "$S!$P\@$T", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^250 /, 'percent: bang path accepted ...');
	push(@never, $c);
}

# --- FakeSMTP -----------------------------------------------------------

my $N = 10;
sub fake {
	my (%o) = @_;
	my $f = FakeSMTP->new(listen => '127.0.0.' . $N++, dir => $tmp,
	    lifetime => 60, %o);
	$f->start;
	push(@fake, $f);
	push(@pids, $f->pid);
	return $f;
}

# A raw client: connect, then read what comes within SECS (at most MAX).
sub raw {
	my ($f) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $f->ip, PeerPort => $f->port,
	    Proto => 'tcp', Timeout => 5) or return;
	return $s;
}

sub read_for {
	my ($s, $secs, $max) = @_;
	my $sel = IO::Select->new($s);
	my $buf = '';
	my $end = time() + $secs;
	while (time() < $end && length($buf) < ($max // 1e6)) {
		last unless $sel->can_read($end - time());
		my $r = sysread($s, $buf, 65536, length($buf));
		last unless $r;
	}
	return $buf;
}

# What each read brought, until MAX bytes came or SECS passed; a read
# asks for all that is still wanted.
sub read_pieces {
	my ($s, $secs, $max) = @_;
	my $sel = IO::Select->new($s);
	my ($n, @pieces) = (0);
	my $end = time() + $secs;
	while (time() < $end && $n < $max) {
		last unless $sel->can_read($end - time());
		my $r = sysread($s, my $buf, $max - $n);
		last unless $r;
		push(@pieces, $buf);
		$n += $r;
	}
	return @pieces;
}

sub eof_within {
	my ($s, $secs) = @_;
	my $sel = IO::Select->new($s);
	my $end = time() + $secs;
	while (time() < $end) {
		return 0 unless $sel->can_read($end - time());
		my $r = sysread($s, my $junk, 65536);
		return 1 if defined($r) && $r == 0;
		return 1 unless defined $r;
	}
	return 0;
}

{
	my $f = fake(behaviour => 'accept_discard');
	my $c = cookie('discard');
	my ($rc, $out) = swaks($f->ip, $f->port, to => "$P\@$S", cookie => $c);
	is($rc, 0, 'accept_discard: swaks succeeds');
	like(reply_to($out, '.'), qr/^250 /, 'accept_discard: 250 to the data');
	like($f->log, qr/discarded/, 'accept_discard: logged as discarded');
	push(@never, $c);
}
{
	my $f = fake(behaviour => 'reject_data');
	my ($rc, $out) = swaks($f->ip, $f->port, to => "$P\@$S",
	    cookie => cookie('reject'));
	like(reply_to($out, 'RCPT TO'), qr/^250 /, 'reject_data: 250 to RCPT');
	like(reply_to($out, 'DATA'), qr/^554 /, 'reject_data: 554 to DATA');
	like($f->log, qr/S: 554 5\.7\.1 DATA refused/, 'reject_data: in its log');
}
{
	my $f = fake(behaviour => 'greylist');
	my $c = cookie('grey');
	my ($rc, $out) = swaks($f->ip, $f->port, to => "$P\@$S", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^450 4\.7\.1 /, 'greylist: 450 to the first RCPT');
	($rc, $out) = swaks($f->ip, $f->port, to => "$P\@$S", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^250 /, 'greylist: 250 to the retry');
	is($rc, 0, 'greylist: the retry is accepted');
	($rc, $out) = swaks($f->ip, $f->port, to => "other\@$S", cookie => $c);
	like(reply_to($out, 'RCPT TO'), qr/^450 /, 'greylist: per recipient');
	push(@never, $c);
}
{
	my $f = fake(behaviour => 'bounce', next_hop => $sink->address,
	    bounce_to => "bounces\@$S");
	my $c = cookie('bounce');
	my ($rc, $out) = swaks($f->ip, $f->port, to => "$P\@$S", cookie => $c);
	is($rc, 0, 'bounce: the message is accepted');
	my $m = arrived($c, 15);
	ok($m, 'bounce: a bounce reached the sink') or diag($f->log);
	is($m && $m->{from}, '', 'bounce: null sender');
	is_deeply($m && $m->{rcpt}, ["bounces\@$S"], 'bounce: sent to bounce_to');
	is($m && $m->{peer}, $f->ip, 'bounce: from the fake server\'s address');
	like($m && $m->{data}, qr{^Content-Type: multipart/report; report-type=delivery-status}m,
	    'bounce: multipart/report');
	like($m && $m->{data}, qr{Content-Type: message/rfc822\r\n\r\n(?s:.*)Subject: peers test \Q$c\E},
	    'bounce: the original message is attached');
	like($m && $m->{data}, qr/^Auto-Submitted: auto-replied/m, 'bounce: Auto-Submitted');
}
{
	my $f = fake(behaviour => 'relay', next_hop => $sink->address,
	    source => '127.0.0.30');
	my $c = cookie('relay');
	my ($rc, $out) = swaks($f->ip, $f->port, to => "$P\@$S", cookie => $c);
	is($rc, 0, 'relay: the message is accepted');
	my $m = arrived($c, 15);
	ok($m, 'relay: forwarded to the next hop') or diag($f->log);
	is($m && $m->{peer}, '127.0.0.30', 'relay: from its configured source address');
	is_deeply($m && $m->{rcpt}, ["$P\@$S"], 'relay: same envelope recipient');
	like($m && $m->{data}, qr/^Received: from prober\.test \(\[127\.0\.0\.1\]\)\r\n\tby \Q${\$f->name}\E/,
	    'relay: adds its Received header');

	# Two hops: fake relay -> open Postfix -> sink.
	my $g = fake(behaviour => 'relay', next_hop => $pf{open}->address);
	$c = cookie('two-hops');
	swaks($g->ip, $g->port, to => "$P\@$S", cookie => $c);
	$m = arrived($c, 15, $pf{open});
	ok($m, 'relay: two hops through the open Postfix') or diag($g->log);
	is($m && $m->{peer}, $pf{open}->ip, 'relay: arrives from the last hop');
	my @rcv = ($m ? $m->{data} : '') =~ /^Received: /mg;
	is(scalar(@rcv), 2, 'relay: two Received headers');
}
{
	my $f = fake(behaviour => 'tarpit', tarpit_delay => 1);
	my $s = raw($f);
	# The first 3 bytes, however long they take (bounded, generous).
	# The tarpit writes one byte per tarpit_delay, so each read, asking
	# for all that is still wanted, gets one byte: what arrived in each
	# piece is checked, never how long it took.
	my @got = read_pieces($s, 30, 3);
	is(join('', @got), '220', 'tarpit: the start of a 220 banner');
	is_deeply([map { length } @got], [1, 1, 1],
	    'tarpit: the banner one byte at a time');
	close($s);
}
{
	my $f = fake(behaviour => 'garbage');
	my $s = raw($f);
	my $got = read_for($s, 20, 4096);
	is(length($got), 4096, 'garbage: 4096 bytes instead of a banner');
	unlike($got, qr/^\d{3}[ -]/, 'garbage: no reply code');
	like($got, qr/\x00/, 'garbage: binary');
	syswrite($s, "EHLO prober.test\r\n");
	ok(length(read_for($s, 20, 512)) > 0, 'garbage: junk to a command too');
	close($s);
}
{
	my $f = fake(behaviour => 'endless');
	my $s = raw($f);
	like(read_for($s, 20, 1), qr/^220 /, 'endless: a normal banner');
	syswrite($s, "EHLO prober.test\r\n");
	my $got = read_for($s, 30, 300_000);
	ok(length($got) >= 300_000, 'endless: 300 KB of EHLO reply');
	my @l = split(/\r\n/, $got);
	pop(@l);
	is(scalar(grep { !/^250-/ } @l), 0, 'endless: every line a 250- continuation');
	close($s);
}
{
	my $f = fake(behaviour => 'drop_mid_data');
	my $s = raw($f);
	my $buf = '';
	my @r;
	for my $cmd (undef, 'HELO prober.test', "MAIL FROM:<f\@$S>",
	    "RCPT TO:<$P\@$S>", 'DATA') {
		syswrite($s, "$cmd\r\n") if defined $cmd;
		my ($code) = FakeSMTP::smtp_reply($s, \$buf, 5);
		push(@r, $code // 'none');
	}
	is("@r", '220 250 250 250 354', 'drop_mid_data: up to 354');
	syswrite($s, "Subject: x\r\n\r\nfirst line\r\n");
	ok(eof_within($s, 8), 'drop_mid_data: the server hangs up in the body');
	like($f->log, qr/dropping the connection in DATA/, 'drop_mid_data: in its log');
}
{
	my $f = fake(behaviour => 'banner_5xx');
	my $s = raw($f);
	my $buf = '';
	my ($code, $text) = FakeSMTP::smtp_reply($s, \$buf, 5);
	is($code, 554, 'banner_5xx: 554 banner');
	syswrite($s, "EHLO prober.test\r\n");
	($code) = FakeSMTP::smtp_reply($s, \$buf, 5);
	is($code, 503, 'banner_5xx: 503 to a command');
	syswrite($s, "QUIT\r\n");
	($code) = FakeSMTP::smtp_reply($s, \$buf, 5);
	is($code, 221, 'banner_5xx: 221 to QUIT');
}

# --- nothing that was refused or dropped arrived ------------------------

{
	# Not a time window: every Postfix is done with what it accepted
	# (its queue is empty: relayed, discarded or bounced), and only then
	# is the sink looked at.
	my %left;
	my $deadline = time() + 60;
	for (;;) {
		%left = ();
		for my $pf (@pf) {
			my $q = $pf->queue;
			$left{$pf->address} = $q unless $q =~ /Mail queue is empty/;
		}
		last if !%left || time() > $deadline;
		$_->flush for grep { $left{$_->address} } @pf;
		sleep(0.5);	# polling, bounded by the deadline
	}
	my $done = !%left;
	ok($done, 'every Postfix queue drained') or
	    diag(join("\n", map { "$_: $left{$_}" } sort keys %left));
	my @got;
	for my $m ($sink->messages) {
		push(@got, grep { $m->{data} =~ /\Q$_\E/ } @never);
	}
	is("@got", '', 'nothing refused or discarded reached the sink');
	is(scalar(grep { $_->log =~ /\] connect \(/ } @fake), scalar(@fake),
	    'every fake logs its sessions');
}

# --- everything stops ---------------------------------------------------

ok($_->stop, 'Postfix ' . $_->mode . ' stops on SIGTERM') for @pf;
ok($_->stop, 'fake ' . $_->behaviour . ' stops') for @fake;
ok($sink->stop, 'sink stops');
# Live (not zombie) processes whose process group is one of ours.
my %ours = map { $_ => 1 } @pids;
my @left;
for my $stat (glob('/proc/[0-9]*/stat')) {
	my $st = FakeSMTP::slurp($stat) or next;
	my ($state, $pgrp) = $st =~ /\) (\S) \d+ (\d+) / or next;
	push(@left, $stat =~ m{(\d+)}) if $ours{$pgrp} && $state ne 'Z';
}
is("@left", '', 'no process of a peer is left running');

done_testing;
