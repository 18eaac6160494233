#!/usr/bin/perl
# 65-queue-check.t -- orblctl queue-check as a Nagios plugin: every
# recorded mailq output (tests/data/mailq) on stdin and through --command,
# status lines and exit codes 0/1/2/3 at the thresholds (options and the
# queue_warn/queue_crit config keys), a generated spam queue (the seed's
# "thousands of queued messages"), --json read with JSON::PP, a missing
# command, a hanging command killed at --command-timeout, usage errors as
# UNKNOWN, and, when Postfix is installed, a real Postfix queue read with
# postqueue -p.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use CtlTest qw(slurp spew find_prog);

my $data = "$FindBin::Bin/../data/mailq";
my $t = CtlTest->new;
my $r;

sub qc_stdin {
	my ($text, @args) = @_;
	return $t->ctl_opt({ stdin => $text }, 'queue-check', @args, '-');
}

sub first_line { (split(/\n/, $_[0]{out}))[0] // '' }

# The status line without the perfdata.
sub status_line {
	my ($r) = @_;
	my $l = first_line($r);
	$l =~ s/ \| .*//;
	return $l;
}

# --- recorded outputs on stdin -------------------------------------------
my %want = (
	'postfix-empty'  => [0, 'QUEUE OK: 0 messages', 'postfix'],
	'postfix-small'  => [0, 'QUEUE OK: 3 messages', 'postfix'],
	'sendmail-empty' => [0, 'QUEUE OK: 0 messages', 'sendmail'],
	'sendmail-small' => [0, 'QUEUE OK: 4 messages', 'sendmail'],
	'sendmail-old'   => [0, 'QUEUE OK: 2 messages', 'sendmail'],
	'exim-empty'     => [0, 'QUEUE OK: 0 messages', 'exim'],
	'exim-small'     => [0, 'QUEUE OK: 3 messages', 'exim'],
);
for my $name (sort keys %want) {
	my ($rc, $line, $fmt) = @{$want{$name}};
	my $text = slurp("$data/$name.txt");
	ok(defined $text, "$name.txt exists") or next;
	$r = qc_stdin($text);
	is($r->{rc}, $rc, "$name: exit $rc") or diag($r->{err});
	is(status_line($r), $line, "$name: status line");
	like(first_line($r), qr/ \| messages=\d+;100;1000;0 /,
	    "$name: Nagios perfdata with the default thresholds");
	like($r->{out}, qr/^format $fmt: /m, "$name: format $fmt detected");
	is($r->{err}, '', "$name: nothing on stderr");
}

$r = qc_stdin(slurp("$data/garbage.txt"));
is($r->{rc}, 3, 'garbage: exit 3 (UNKNOWN)');
like(first_line($r), qr/^QUEUE UNKNOWN: unknown mailq output format/,
    'garbage: says the format is unknown');
is(scalar(split(/\n/, $r->{out})), 1, 'garbage: one line only');

# What the small queues hold, in the human report.
$r = qc_stdin(slurp("$data/postfix-small.txt"));
like($r->{out}, qr/^format postfix: 3 messages, 5 recipients, 8283 bytes; (?x)
    deferred\ 1,\ frozen\ 0,\ hold\ 1,\ active\ 1$/m, 'postfix-small: counts');
like($r->{out}, qr/^top recipient domains:\n\s+2  partner\.example\n/m,
    'postfix-small: top recipient domain');
like($r->{out}, qr/^top senders:\n\s+1  <>\n/m,
    'postfix-small: MAILER-DAEMON shown as the null sender <>');
$r = qc_stdin(slurp("$data/exim-small.txt"));
like($r->{out}, qr/frozen 1/, 'exim-small: one frozen');
like($r->{out}, qr/^\s+1  client\.example$/m,
    'exim-small: client.example once (erin was delivered, frank waits)');

# --- JSON -----------------------------------------------------------------
$r = qc_stdin(slurp("$data/sendmail-small.txt"), '--json');
is($r->{rc}, 0, 'sendmail-small --json: exit 0');
my $j = eval { decode_json($r->{out}) };
ok($j, 'sendmail-small --json: valid JSON') or diag($@, $r->{out});
is($j->{status}, 'OK', 'json: status');
is($j->{messages}, 4, 'json: messages');
is($j->{format}, 'sendmail', 'json: format');
is($j->{deferred}, 2, 'json: deferred');
is($j->{frozen}, 0, 'json: frozen');
is($j->{hold}, 1, 'json: hold (quarantined)');
is_deeply($j->{top_recipient_domains}, [
	{ domain => 'client.example', count => 2 },
	{ domain => 'partner.example', count => 2 },
	{ domain => 'bogus.example', count => 1 } ],
    'json: top recipient domains, lower-cased, by count then name');
is(scalar(@{$j->{top_senders}}), 4, 'json: four senders');
is($j->{top_senders}[0]{sender}, '<>', 'json: null sender first (ties by name)');
is($j->{top_senders}[0]{count}, 1, 'json: with its count');

$r = qc_stdin(slurp("$data/postfix-small.txt"), '--json', '--top', '1');
$j = decode_json($r->{out});
is(scalar(@{$j->{top_recipient_domains}}), 1, '--top 1: one domain');
is(scalar(@{$j->{top_senders}}), 1, '--top 1: one sender');
$r = qc_stdin(slurp("$data/postfix-small.txt"), '--top', '0');
unlike($r->{out}, qr/^top /m, '--top 0: no top lists');

$r = qc_stdin(slurp("$data/garbage.txt"), '--json');
is($r->{rc}, 3, 'garbage --json: exit 3');
$j = eval { decode_json($r->{out}) };
ok($j, 'garbage --json: still valid JSON') or diag($r->{out});
is($j->{status}, 'UNKNOWN', 'garbage --json: status UNKNOWN');
like($j->{error}, qr/unknown mailq output format/, 'garbage --json: error');
ok(!defined $j->{messages}, 'garbage --json: messages null');

# --- thresholds ------------------------------------------------------------
# A generated Postfix queue: N messages, as a server relaying spam has.
sub postfix_queue {
	my ($n) = @_;
	my @big = qw(hotmail.example yahoo.example aol.example);
	my $s = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
	for my $i (0 .. $n - 1) {
		my $dom = $i % 10 < 6 ? $big[$i % 10 % 3] :
		    sprintf('isp%d.example', $i % 150);
		my $snd = $i % 4 == 0 ? 'MAILER-DAEMON' :
		    $i % 4 == 1 ? 'promo@cheap-meds.example' :
		    "u$i\@forged$i.example";
		$s .= sprintf("%010X%s %7d Tue Mar 12 02:%02d:%02d  %s\n",
		    ($i * 2654435761) % 1099511627775, $i % 97 ? ' ' : '*',
		    1000 + $i % 5000, int($i / 60) % 60, $i % 60, $snd);
		$s .= sprintf("%79s\n", "(connect to mx.$dom\[203.0.113.5]:25: " .
		    'Connection timed out)') if $i % 97;
		$s .= (' ' x 41) . "user$i\@$dom\n\n";
	}
	return $s . sprintf("-- %d Kbytes in %d Requests.\n", $n * 3, $n);
}

my $spam = postfix_queue(2500);
$r = qc_stdin($spam);
is($r->{rc}, 2, 'spam queue (2500): exit 2 (CRITICAL)');
is(status_line($r), "QUEUE CRITICAL: 2500 messages (>= 1000): probably " .
    "relaying spam \x{e2}\x{80}\x{94} check the top recipient domains",
    'spam queue: the CRITICAL line names the likely cause');
like($r->{out}, qr/^top recipient domains:\n\s+500  aol\.example\n/m,
    'spam queue: the flooded domains on top');
like($r->{out}, qr/^\s+500  hotmail\.example\n\s+500  yahoo\.example\n/m,
    'spam queue: the three flooded domains on top');
like($r->{out}, qr/^top senders:\n\s+625  <>\n\s+625  promo\@cheap-meds\.example\n/m,
    'spam queue: backscatter and the spammer on top');
like($r->{out}, qr/deferred 2474, frozen 0, hold 0, active 26/,
    'spam queue: deferred and active counts');
$r = qc_stdin($spam, '--json', '--top', '3');
$j = decode_json($r->{out});
is($j->{status}, 'CRITICAL', 'spam --json: CRITICAL');
is($j->{messages}, 2500, 'spam --json: messages');
is($j->{deferred}, 2474, 'spam --json: deferred');
is_deeply([ map { "$_->{domain}=$_->{count}" } @{$j->{top_recipient_domains}} ],
    [ 'aol.example=500', 'hotmail.example=500', 'yahoo.example=500' ],
    'spam --json: top recipient domains');
is($j->{top_senders}[1]{sender}, 'promo@cheap-meds.example',
    'spam --json: top senders');

$r = qc_stdin(postfix_queue(250));
is($r->{rc}, 1, '250 messages: exit 1 (WARNING)');
is(status_line($r), 'QUEUE WARNING: 250 messages (>= 100)',
    '250 messages: the WARNING line');
$r = qc_stdin(postfix_queue(99));
is($r->{rc}, 0, '99 messages: OK (below 100)');
$r = qc_stdin(postfix_queue(100));
is($r->{rc}, 1, '100 messages: WARNING (>= 100)');

# Thresholds from the options and from the config file.
my $small = slurp("$data/postfix-small.txt");
$r = qc_stdin($small, '--warn', '2', '--crit', '10');
is($r->{rc}, 1, '--warn 2: 3 messages is a WARNING');
is(status_line($r), 'QUEUE WARNING: 3 messages (>= 2)', '--warn 2: line');
$r = qc_stdin($small, '--warn', '2', '--crit', '3');
is($r->{rc}, 2, '--crit 3: 3 messages is CRITICAL');
like(first_line($r), qr/^QUEUE CRITICAL: 3 messages \(>= 3\)/, '--crit 3: line');
like(first_line($r), qr/\| messages=3;2;3;0 /, '--crit 3: perfdata thresholds');
my $tc = CtlTest->new(extra => "queue_warn = 2\nqueue_crit = 4\n");
$r = $tc->ctl_opt({ stdin => $small }, 'queue-check', '-');
is($r->{rc}, 1, 'queue_warn = 2 from the config: WARNING');
$r = $tc->ctl_opt({ stdin => slurp("$data/sendmail-small.txt") },
    'queue-check', '-');
is($r->{rc}, 2, 'queue_crit = 4 from the config: 4 messages CRITICAL');
$r = $tc->ctl_opt({ stdin => $small }, 'queue-check', '--warn', '4', '-');
is($r->{rc}, 0, '--warn overrides the config');
$r = $tc->ctl_opt({ stdin => $small }, 'queue-check', '--crit', '50',
    '--json', '-');
$j = decode_json($r->{out});
is("$j->{warn}/$j->{crit}", '2/50', 'json shows the thresholds used');
is($j->{status}, 'WARNING', '--crit 50 with queue_warn = 2: WARNING');
# warn above crit makes no sense: UNKNOWN, not a silent OK
$r = $tc->ctl_opt({ stdin => $small }, 'queue-check', '--warn', '50',
    '--crit', '40', '-');
is($r->{rc}, 3, 'warn > crit: UNKNOWN');
like(first_line($r), qr/^QUEUE UNKNOWN: thresholds/, 'warn > crit: says so');
my $tb = CtlTest->new(extra => "queue_warn = lots\n");
$r = $tb->ctl('queue-check', '-');
is($r->{rc}, 1, 'a bad queue_warn in the config is a config error');
like($r->{err}, qr/queue_warn: bad number 'lots'/, 'config error names the key');

# --- usage errors are UNKNOWN (a monitor reads 2 as CRITICAL) -------------
for my $args (['--warn', 'x', '-'], ['--crit', '0', '-'], ['--bogus'],
    ['--top', '5000', '-'], ['extra'], ['-', '--command', 'true'],
    ['--command', ''], ['--command-timeout', '0s', '--command', 'true']) {
	$r = qc_stdin($small, @$args);
	is($r->{rc}, 3, "usage error (@$args): exit 3");
	like(first_line($r), qr/^QUEUE UNKNOWN: /, "usage error (@$args): " .
	    'an UNKNOWN line');
	like($r->{err}, qr/^orblctl: /, "usage error (@$args): reason on stderr");
}
$r = $t->ctl('queue-check', '-h');
is($r->{rc}, 0, '-h: exit 0');
like($r->{out}, qr/queue-check \[--command CMD \| -\]/, '-h: usage');

# --- --command --------------------------------------------------------------
for my $name (qw(postfix-small sendmail-small exim-small postfix-empty)) {
	$r = $t->ctl('queue-check', '--command', "cat '$data/$name.txt'");
	is($r->{rc}, 0, "--command cat $name: exit 0") or diag($r->{err});
	is(status_line($r), $want{$name}[1], "--command cat $name: status");
}
spew($t->dir . '/spam.txt', $spam);
$r = $t->ctl('queue-check', '--command', 'cat ' . $t->dir . '/spam.txt',
    '--json');
is($r->{rc}, 2, '--command with the spam queue: CRITICAL');
is(decode_json($r->{out})->{messages}, 2500, '--command: all 2500 read');
$r = $t->ctl('queue-check', '--command', "cat '$data/garbage.txt'");
is($r->{rc}, 3, '--command printing garbage: UNKNOWN');

$r = $t->ctl('queue-check', '--command', 'orbl-no-such-mailq-command');
is($r->{rc}, 3, 'a command that does not exist: exit 3');
like(first_line($r), qr/^QUEUE UNKNOWN: 'orbl-no-such-mailq-command': (?x)
    command\ not\ found/, 'missing command: says so');
like(first_line($r), qr/not found$/, 'missing command: with the shell\'s words');

$r = $t->ctl('queue-check', '--command', 'echo "mailq: cannot read queue" >&2; exit 75');
is($r->{rc}, 3, 'a failing command: exit 3');
like(first_line($r), qr/exited with status 75: mailq: cannot read queue$/,
    'failing command: status and its stderr');

# (Killed at the limit, not waited for: the command is gone when orblctl
# has answered, and 100 s never passed -- proved by the process table and
# the answer, not by a clock.)
my $hang = 'sleep 100.' . int(rand(1e6)) . $$;
$r = $t->ctl('queue-check', '--command', $hang, '--command-timeout', '1');
is($r->{rc}, 3, 'a hanging command: exit 3');
like(first_line($r), qr/^QUEUE UNKNOWN: '\Q$hang\E' did not finish within 1 s/,
    'hanging command: says it was killed');
is(scalar(grep { /\Q$hang\E/ } `ps -eo args`), 0,
    'hanging command: no longer running when orblctl answers');
# Its children too: a background job holding stdout open.
my $mark = 'sleep 100.' . int(rand(1e6)) . $$;
$r = $t->ctl('queue-check', '--command',
    "cat '$data/postfix-small.txt'; $mark &",
    '--command-timeout', '1');
is($r->{rc}, 3, 'output held open by a child: exit 3 at the time limit');
my $left = grep { /\Q$mark\E/ } `ps -eo args`;
is($left, 0, 'the whole process group was killed');

# The default command is mailq: whatever it says here, the answer is one
# of the four states with a status line (no mail system: UNKNOWN).
$r = $t->ctl('queue-check', '--command-timeout', '10');
ok($r->{rc} >= 0 && $r->{rc} <= 3, "default mailq: exit $r->{rc} (0..3)");
like(first_line($r), qr/^QUEUE (OK|WARNING|CRITICAL|UNKNOWN): /,
    'default mailq: a status line');

# --- a real Postfix queue ----------------------------------------------------
SKIP: {
	my $postqueue = find_prog('postqueue');
	my $ok = $postqueue && eval { require Postfix; 1 };
	skip('no Postfix installed', 7) unless $ok && $> == 0;
	my $dead = Postfix::free_port('127.0.0.1');	# nothing listens
	my $pf = Postfix->new(mode => 'open', listen => '127.0.0.1',
	    relayhost => "[127.0.0.1]:$dead", dir => $t->dir, lifetime => 120);
	skip('Postfix did not start: ' . $pf->error, 7) unless $pf->start;
	my @ids;
	for my $m (['alice@office.example', 'bob@partner.example',
	    'carol@partner.example'], ['', 'dave@bounce.example'],
	    ['erin@office.example', 'frank@client.example']) {
		push(@ids, smtp_send($pf, @$m));
	}
	is(scalar(grep { defined } @ids), 3, 'real Postfix: 3 messages queued');
	# Wait until all three were tried (deferred, with a reason).
	my $cmd = "$postqueue -c " . $pf->conf_dir . ' -p';
	my $deferred = 0;
	for (1 .. 100) {
		$r = $t->ctl('queue-check', '--command', $cmd, '--json');
		my $jj = eval { decode_json($r->{out}) } // {};
		$deferred = $jj->{deferred} // 0;
		last if $deferred == 3;
		select(undef, undef, undef, 0.2);
	}
	is($deferred, 3, 'real Postfix: all three deferred (a reason each)');
	system(find_prog('postsuper') . ' -c ' . $pf->conf_dir .
	    " -h $ids[0] >/dev/null 2>&1");
	$r = $t->ctl('queue-check', '--command', $cmd, '--json');
	$j = eval { decode_json($r->{out}) } // {};
	is($r->{rc}, 0, 'real Postfix: exit 0');
	is($j->{messages}, 3, 'real Postfix: 3 messages');
	is($j->{hold}, 1, 'real Postfix: one on hold (postsuper -h)');
	is($j->{top_recipient_domains}[0]{domain}, 'partner.example',
	    'real Postfix: top recipient domain');
	is($j->{garbage_lines}, 0, 'real Postfix: every line understood');
	$pf->stop;
}

# One SMTP transaction; returns the queue id or undef.
sub smtp_send {
	my ($pf, $from, @rcpt) = @_;
	require IO::Socket::INET;
	my $s = IO::Socket::INET->new(PeerAddr => $pf->ip,
	    PeerPort => $pf->port, Timeout => 5) or return undef;
	my $reply = sub {
		my $l = <$s> // '';
		$l = <$s> // '' while $l =~ /^\d{3}-/;
		return $l;
	};
	$reply->();
	my @cmds = ("EHLO client.test", "MAIL FROM:<$from>",
	    map({ "RCPT TO:<$_>" } @rcpt), 'DATA');
	for my $c (@cmds) {
		print $s "$c\r\n";
		return undef unless $reply->() =~ /^[23]/;
	}
	print $s "Subject: queue-check test\r\n\r\n" .
	    ("a line of text\r\n" x 20) . ".\r\n";
	my ($id) = $reply->() =~ /queued as (\w+)/;
	print $s "QUIT\r\n";
	close($s);
	return $id;
}

done_testing();
