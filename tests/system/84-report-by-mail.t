#!/usr/bin/perl
# 84-report-by-mail.t -- submissions by mail (issue #17): the sink's
# report mailbox reads a forwarded spam sample's Received chain and queues
# the relay it names; its self-test mailbox queues a test of the server
# that sent the mail.  Through a real Postfix (what a reporter's server
# is): a sample forwarded as a message/rfc822 attachment and one pasted
# inline, each queuing the right address, the end-of-DATA reply (in
# Postfix's delivery status) carrying the submission's URL; a self-test
# from Postfix's own address queuing that address; forged chains naming a
# private and a denied address refused with a 5xx that says why, nothing
# queued.  Straight to the sink (the reply read at once): report_limit
# per envelope sender (from many addresses) and per connecting address
# (with many senders), no report from the null sender, and one mailbox
# per message (452 for the second).
#
# Real orbl-prober and a private Postfix instance; everything on
# 127.0.0.0/8 (this file's peers on 127.0.84.N).  The queued addresses are
# loopback ones where nothing listens on port 25 (probe_allow): the runs
# that follow end "unreachable" at once.  ORBL_KEEP=1 keeps the
# temporary directories.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;

use Orbl qw(wait_until free_port);
use Postfix qw(find_prog);
use FakeSMTP qw(smtp_send);

plan skip_all => 'needs root (a private Postfix instance)' if $> != 0;
plan skip_all => 'postfix missing (run scripts/deps)'
    unless find_prog('postfix');

my $tmp = tempdir('report-XXXXXX', TMPDIR => 1,
    CLEANUP => !$ENV{ORBL_KEEP});
chmod(0755, $tmp);
my $sinkport = free_port();
my $LIMIT = 6;
my $BASE = 'https://orbl.example/';	# the reply's link drops the '/'
my $o = Orbl->new(conf => {
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	report_local => 'report',
	selftest_local => 'selftest',
	report_trust => '127.0.84.200/32',
	report_limit => $LIMIT,
	web_base_url => $BASE,
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	probe_deny => '127.0.84.250/32',
	cookie_key => 'a test secret, not for production',
	connect_timeout => '3s',
	smtp_timeout => '4s',
	probe_timeout => '30s',
	arrival_wait => '3s',
	prefix_limit => 1000,
	submit_limit => 1000,
});
diag('orbl temporary directory: ' . $o->dir) if $ENV{ORBL_KEEP};
ok($o->start_prober, 'orbl-prober up (its sink listens)') or
    BAIL_OUT('orbl-prober did not start');

my $pf = Postfix->new(mode => 'open', listen => '127.0.84.1',
    relayhost => "[127.0.0.1]:$sinkport", dir => $tmp,
    hostname => 'mx.reporter.test');
ok($pf->start, 'a private Postfix up (the reporter\'s server)') or
    BAIL_OUT('Postfix did not start: ' . $pf->error . $pf->log);
my $PF = $pf->ip;

# -- messages

sub sample {
	my (@hops) = @_;
	return join('', map { "Received: $_\r\n" } @hops) .
	    "From: <spammer\@bad.test>\r\nTo: <alice\@reporter.test>\r\n" .
	    "Subject: cheap pills\r\nMessage-ID: <spam1\@bad.test>\r\n\r\n" .
	    "Buy now.\r\n";
}

# The reporter's server received the spam from the relay (the sample's
# top hop is Postfix's own address: the connecting address, skipped).
sub chain {
	my ($relay) = @_;
	return ("from mx.reporter.test (mx.reporter.test [$PF])\r\n" .
	    "\tby mbox.reporter.test (Postfix) with ESMTP id 4XyZ1\r\n" .
	    "\tfor <alice\@reporter.test>; Mon, 6 Jan 2025 10:00:02 +0000",
	    "from relay.bad.test (relay.bad.test [$relay])\r\n" .
	    "\tby mx.reporter.test (Postfix) with ESMTP id 4XyZ0\r\n" .
	    "\tfor <alice\@reporter.test>; Mon, 6 Jan 2025 10:00:01 +0000",
	    "from [10.1.1.1] (dialup.bad.test [127.0.84.66]) by " .
	    "relay.bad.test with SMTP; Mon, 6 Jan 2025 10:00:00 +0000");
}

sub attached {
	my ($from, $sample) = @_;
	return "From: <$from>\r\nTo: <report\@sink.test>\r\n" .
	    "Subject: Fwd: cheap pills\r\nMIME-Version: 1.0\r\n" .
	    "Content-Type: multipart/mixed; boundary=\"=-b84\"\r\n\r\n" .
	    "--=-b84\r\nContent-Type: text/plain\r\n\r\nSpam, see attached.\r\n" .
	    "--=-b84\r\nContent-Type: message/rfc822\r\n" .
	    "Content-Disposition: attachment\r\n\r\n$sample" .
	    "--=-b84--\r\n";
}

sub inline {
	my ($from, $headers) = @_;
	return "From: <$from>\r\nTo: <report\@sink.test>\r\n" .
	    "Subject: spam from the relay\r\n\r\nHello, its headers:\r\n\r\n" .
	    "Return-Path: <spammer\@bad.test>\r\n$headers\r\nThanks.\r\n";
}

# Sends through Postfix; returns Postfix's queue ID for the message.
sub via_postfix {
	my ($from, $to, $data) = @_;
	my $r = smtp_send(host => $PF, port => $pf->port, from => $from,
	    to => [$to], data => $data, helo => 'client.reporter.test');
	ok($r->{ok}, "Postfix took the mail from <$from> to <$to>") or
	    diag(explain($r));
	my ($qid) = join("\n", @{$r->{transcript}}) =~ /queued as (\w+)/;
	return $qid // 'none';
}

# The delivery status Postfix logged for queue ID qid: the sink's reply.
sub status_of {
	my ($qid) = @_;
	my $st;
	wait_until(90, 0.3, sub {
		($st) = $pf->log =~ /\Q$qid\E: to=<[^>]*>, .*status=(\w+ \(.*\))$/m;
		return defined $st;
	});
	return $st // '';
}

sub rows {
	my ($where) = @_;
	return $o->sql("SELECT id, addr, port, submitter, client FROM " .
	    "submission WHERE $where ORDER BY id");
}

# -- through Postfix: an attachment, pasted headers, a self-test, forged
# chains.  All sent first (Postfix delivers them side by side).
my %q;
$q{att} = via_postfix('alice@reporter.test', 'report@sink.test',
    attached('alice@reporter.test', sample(chain('127.0.84.7'))));
$q{inl} = via_postfix('bob@reporter.test', 'report@sink.test',
    inline('bob@reporter.test', join('', map { "Received: $_\r\n" }
    # The top hop: a server of the reporter's in report_trust.
    "from gw.reporter.test (gw.reporter.test [127.0.84.200]) by " .
    "mbox.reporter.test with ESMTP id 77; Mon, 6 Jan 2025 10:00:03 +0000",
    (chain('127.0.84.8'))[1, 2])));
$q{self} = via_postfix('postmaster@reporter.test', 'selftest@sink.test',
    "From: <postmaster\@reporter.test>\r\nSubject: test me\r\n\r\nHi.\r\n");
$q{priv} = via_postfix('dave@reporter.test', 'report@sink.test',
    attached('dave@reporter.test', sample(chain('10.20.30.40'))));
$q{deny} = via_postfix('dave@reporter.test', 'report@sink.test',
    attached('dave@reporter.test', sample(chain('127.0.84.250'))));
$q{none} = via_postfix('dave@reporter.test', 'report@sink.test',
    "From: <dave\@reporter.test>\r\nSubject: spam\r\n\r\nI got spam.\r\n");

{
	my $st = status_of($q{att});
	like($st, qr{^sent\ \(250\ 2\.0\.0\ submission\ (\d+)\ for\ 127\.0\.84\.7
	    \ queued:\ https://orbl\.example/submission/\1\)$}x,
	    'attached sample: 250 with the submission\'s URL') or
	    diag($pf->log, Orbl::slurp($o->prober_log));
	my ($id) = $st =~ /submission (\d+)/;
	is(rows("id = " . ($id // 0)),
	    join('|', $id // 0, '127.0.84.7', 25, 'mail:alice@reporter.test',
	    $PF), '... that submission: the relay, port 25, the sender, the ' .
	    'connecting address');
	like(Orbl::slurp($o->prober_log), qr/report\ from\ <alice\@reporter\.test>
	    \ \[\Q$PF\E\]:\ 250\ 2\.0\.0\ submission/x, '... and logged');
}
{
	my $st = status_of($q{inl});
	like($st, qr{^sent\ \(250\ 2\.0\.0\ submission\ (\d+)\ for\ 127\.0\.84\.8
	    \ queued:\ https://orbl\.example/submission/\1\)$}x,
	    'inline headers: the hop after report_trust\'s is queued') or
	    diag($pf->log);
	like(rows("addr = '127.0.84.8'"), qr/^\d+\|127\.0\.84\.8\|25\|
	    mail:bob\@reporter\.test\|\Q$PF\E\z/x, '... once, from the sender');
}
{
	my $st = status_of($q{self});
	like($st, qr{^sent\ \(250\ 2\.0\.0\ submission\ (\d+)\ for\ \Q$PF\E
	    \ queued:\ https://orbl\.example/submission/\1\)$}x,
	    'self-test: Postfix\'s own address is queued') or diag($pf->log);
	like(rows("addr = '$PF'"), qr/\|\Q$PF\E\|25\|mail:postmaster\@/,
	    '... on port 25, the sender as submitter');
}
{
	my $st = status_of($q{priv});
	like($st, qr{^bounced\ \(.*said:\ 550\ 5\.7\.1\ nothing\ taken\ from
	    \ Received\ field\ 2:\ 10\.20\.30\.40\ is\ in\ a\ private\ range}x,
	    'a chain naming a private address: 550 saying why') or
	    diag($pf->log);
	is(rows("addr = '10.20.30.40'"), '', '... nothing queued');
	$st = status_of($q{deny});
	like($st, qr{^bounced\ \(.*said:\ 550\ 5\.7\.1\ nothing\ taken\ from
	    \ Received\ field\ 2:\ 127\.0\.84\.250\ is\ not\ tested\ by
	    \ policy}x,
	    'a chain naming a denied address: 550 saying why') or
	    diag($pf->log);
	is(rows("addr = '127.0.84.250'"), '', '... nothing queued');
	$st = status_of($q{none});
	like($st, qr{^bounced \(.*said: 554 5\.6\.0 nothing taken: no sample},
	    'no sample: 554 saying what to send') or diag($pf->log);
}

# -- straight to the sink: the limits, the null sender, one mailbox

sub direct {
	my (%a) = @_;
	my $r = smtp_send(host => '127.0.0.1', port => $sinkport,
	    from => $a{from}, to => $a{to} // ['report@sink.test'],
	    bind => $a{bind}, data => $a{data}, helo => 'mx.reporter.test');
	return $r;
}

# One sender from $LIMIT + 1 addresses: the last is refused.
for my $i (1 .. $LIMIT + 1) {
	my $relay = "127.0.84." . (100 + $i);
	my $r = direct(from => 'erin@reporter.test', bind => "127.0.84." .
	    (20 + $i), data => attached('erin@reporter.test',
	    sample((chain($relay))[1, 2])));
	my $end = join("\n", @{$r->{transcript}});
	if ($i <= $LIMIT) {
		like($end, qr/^< 250 2\.0\.0 submission \d+ for \Q$relay\E /m,
		    "sender limit: report $i from another address queued");
	} else {
		like($end, qr/^<\ 550\ 5\.7\.1\ nothing\ taken:\ erin\@reporter\.test
		    \ sent\ $LIMIT\ reports\ and\ self-tests\ in\ the\ last\ hour
		    \ \(the\ limit\ is\ $LIMIT\)/mx,
		    "... report $i: 550 naming the sender and the limit") or
		    diag($end);
		is(rows("addr = '$relay'"), '', '... nothing queued');
	}
}
# One address with $LIMIT + 1 senders.
for my $i (1 .. $LIMIT + 1) {
	my $relay = "127.0.84." . (120 + $i);
	my $r = direct(from => "f$i\@reporter.test", bind => '127.0.84.30',
	    data => attached("f$i\@reporter.test",
	    sample((chain($relay))[1, 2])));
	my $end = join("\n", @{$r->{transcript}});
	if ($i <= $LIMIT) {
		like($end, qr/^< 250 2\.0\.0 submission \d+ for \Q$relay\E /m,
		    "address limit: report $i from another sender queued");
	} else {
		like($end, qr/^<\ 550\ 5\.7\.1\ nothing\ taken:\ \[127\.0\.84\.30\]
		    \ sent\ $LIMIT\ reports/mx,
		    "... report $i: 550 naming the address") or diag($end);
		is(rows("addr = '$relay'"), '', '... nothing queued');
	}
}
{
	my $r = direct(from => '', bind => '127.0.84.31',
	    data => attached('x@reporter.test', sample((chain('127.0.84.9'))[1, 2])));
	like(join("\n", @{$r->{transcript}}), qr/^<\ 550\ 5\.7\.1\ nothing\ taken:
	    \ a\ report\ or\ self-test\ needs\ a\ sender\ address/mx,
	    'the null sender: 550');
	is(rows("addr = '127.0.84.9'"), '', '... nothing queued');
}
{
	my $r = direct(from => 'gina@reporter.test', bind => '127.0.84.32',
	    to => ['report@sink.test', 'relaytest@sink.test',
	    'selftest@[127.0.0.1]', 'REPORT@sink.test'],
	    data => attached('gina@reporter.test', sample((chain('127.0.84.10'))[1, 2])));
	my $t = join("\n", @{$r->{transcript}});
	like($t, qr/^<\ 452\ 4\.5\.3\ Error:\ <relaytest\@sink\.test>\ takes\ a
	    \ message\ of\ its\ own/mx, 'a second mailbox in one message: 452');
	like($t, qr/^< 452 4\.5\.3 Error: <selftest\@\[127\.0\.0\.1\]> takes/m,
	    '... the self-test one too (as an address literal)');
	like($t, qr/^< 250 2\.0\.0 submission \d+ for 127\.0\.84\.10 /m,
	    '... the report itself is taken once') or diag($t);
	like(rows("addr = '127.0.84.10'"), qr/^\d+\|[^\n]*\z/,
	    '... one submission');
}

$pf->stop;
$o->stop_prober;
done_testing();
