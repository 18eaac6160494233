#!/usr/bin/perl
# 46-progress.t -- orblctl's progress line (tools/progress.c): import of a
# big file, export (rbldnsd, -o FILE, zone) and check with a slow list
# show it on stderr when stderr is a terminal (a pseudo-terminal from
# script(1)), and never anywhere else: with stderr on a file it is empty,
# stdout is the same bytes either way, --no-progress and ORBL_NO_PROGRESS
# turn it off on a terminal, export to the terminal itself has none.
# What stays on the screen is today's output: the terminal's bytes are
# replayed ("\r" back to column 0, characters overwrite) and compared.
# Nothing here waits on or measures time: the frames asserted are the
# ones drawn at the first clock read of each phase, which comes after a
# count of lines, and the slow list is slow by a dropped first query.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use Test::More;

use Net::DNS;
use CtlTest qw(spew slurp find_prog);
use Orbl qw(free_port);

my $script = find_prog('script') or
    plan skip_all => 'no script(1) (util-linux) for a pseudo-terminal';
delete $ENV{ORBL_NO_PROGRESS};

# Big enough for several frames (the clock is read every 1024 lines); a
# sanitizer build is 5-20 x slower, so less of it there (still enough for
# every phase, the zone's writing included, to outlast a redraw interval).
my $N = ($ENV{ORBL_BUILD} // '') =~ m{/(asan|tsan)/?$} ? 60000 : 200000;
my $RATE = qr/[\d.]+[kMGTPEZY]?/;

sub shq {
	my ($s) = @_;
	$s =~ s/'/'\\''/g;
	return "'$s'";
}

# orblctl -c CONF ARGS with stderr (and stdout unless stdout_file) on a
# pseudo-terminal.  Returns run_cmd's result with tty (what the terminal
# got) and out (the stdout file, or undef).
sub on_pty {
	my ($t, $o, @args) = @_;
	my $outf = $t->dir . '/pty.stdout';
	my $cmd = join(' ', map { shq($_) } $t->{ctl}, '-c', $t->conf, @args);
	unlink($outf);
	$cmd .= ' >' . shq($outf) if $o->{stdout_file};
	my $r = $t->run_cmd({ timeout => 300, env => $o->{env} // {} },
	    $script, '-qec', $cmd, '/dev/null');
	$r->{tty} = $r->{out};
	$r->{out} = $o->{stdout_file} ? slurp($outf) // '' : undef;
	return $r;
}

# The frames drawn: the pieces between "\r" and "\n".
sub frames {
	my ($tty) = @_;
	return grep { /\S/ } split(/[\r\n]+/, $tty);
}

# What the terminal shows at the end: "\r" returns to column 0, "\n"
# goes down (the pty's ONLCR sends "\r\n"), characters overwrite.
sub render {
	my ($tty) = @_;
	my @rows = ('');
	my $col = 0;
	for my $ch (split(//, $tty)) {
		if ($ch eq "\r") {
			$col = 0;
		} elsif ($ch eq "\n") {
			push(@rows, '');
		} else {
			my $row = \$rows[-1];
			$$row .= ' ' x ($col - length($$row)) if length($$row) < $col;
			substr($$row, $col, 1) = $ch;
			$col++;
		}
	}
	s/\s+$// for @rows;
	pop(@rows) while @rows && $rows[-1] eq '';
	return join('', map { "$_\n" } @rows);
}

# --- import ------------------------------------------------------------
my $t1 = CtlTest->new;		# stderr on a terminal
my $t2 = CtlTest->new;		# stderr on a file
my $t3 = CtlTest->new;		# --no-progress on a terminal
is($_->ctl('init')->{rc}, 0, 'init') for ($t1, $t2, $t3);
my $big = $t1->dir . '/big.txt';
my $list = join('', map { sprintf("10.%d.%d.%d\n", ($_ >> 16) & 255,
    ($_ >> 8) & 255, $_ & 255) } 0 .. $N - 1);
spew($big, $list);
my $summary = "imported $big: $N lines, $N entries: $N added, 0 updated, " .
    "0 unchanged, 0 removed\n";

my $r = on_pty($t1, { stdout_file => 1 }, 'import', $big, '--format', 'plain');
is($r->{rc}, 0, 'import on a terminal: exit 0') or diag($r->{err});
is($r->{out}, $summary, 'import on a terminal: stdout as without it');
my @f = frames($r->{tty});
my @reading = grep { /^reading \Q$big\E: \d+ lines, \d+%, $RATE lines\/s/ } @f;
ok(@reading >= 1, 'import: "reading" frames with lines, % and a rate')
    or diag(explain(\@f));
ok(!grep({ !/^reading .*: (\d+) lines/ || $1 % 1024 != 0 } @reading),
    'import: the clock is read every 1024 lines, not per line')
    or diag(explain(\@reading));
# (the rate may be cut off at the terminal's 80 columns: the path is long)
ok(grep({ /^writing \Q$big\E: \d+ of $N entries, \d+%, \d/ } @f),
    'import: "writing" frames count entries of the total')
    or diag(explain(\@f));
is(render($r->{tty}), '', 'import: the line is blanked at the end');
is($r->{err}, '', 'script(1) said nothing');

$r = $t2->ctl_opt({ timeout => 300 }, 'import', $big, '--format', 'plain');
is($r->{rc}, 0, 'import, stderr on a file: exit 0');
is($r->{out}, $summary, 'import, stderr on a file: the same stdout');
is($r->{err}, '', 'import, stderr on a file: no progress at all');

$r = on_pty($t3, { stdout_file => 1 }, 'import', $big, '--format', 'plain',
    '--no-progress');
is($r->{rc}, 0, 'import --no-progress: exit 0');
is($r->{out}, $summary, 'import --no-progress: the same stdout');
is($r->{tty}, '', 'import --no-progress on a terminal: not a byte');

# stdout on the terminal too: the screen shows exactly the summary.
my $plain2 = $t2->ctl_opt({ timeout => 300 }, 'import', $big, '--format',
    'plain');
$r = on_pty($t1, {}, 'import', $big, '--format', 'plain');
is($r->{rc}, 0, 'import again on a terminal: exit 0');
ok(scalar(grep { /^reading / } frames($r->{tty})),
    'import again: progress was drawn');
like($plain2->{out}, qr/ 0 added, 0 updated, $N unchanged, 0 removed$/,
    'import again: nothing changed');
is(render($r->{tty}), $plain2->{out},
    'import again: what stays on the screen is the plain output');

# A warning in the middle: it starts at column 0, the line comes back.
my $warnf = $t1->dir . '/warn.ip4set';
my @wl = map { sprintf("192.168.%d.%d\n", $_ >> 8, $_ & 255) } 0 .. 9999;
splice(@wl, 5000, 0, "\$FOO bar\n");
spew($warnf, join('', @wl));
$r = on_pty($t1, {}, 'import', $warnf, '--format', 'rbldnsd');
is($r->{rc}, 0, 'import with a warning on a terminal: exit 0');
ok(index($r->{tty}, "\rreading ") >= 0 &&
    index($r->{tty}, "\rreading ") < index($r->{tty}, 'orblctl: warning'),
    'the progress line was up when the warning came');
is(render($r->{tty}), "orblctl: warning: $warnf:5001: \$FOO ignored\n" .
    "imported $warnf: 10001 lines, 10000 entries: 10000 added, 0 updated, " .
    "0 unchanged, 0 removed, 1 special lines ignored\n",
    'the warning line is whole, the progress line gone');

# An error late in a big file: one clean error line, nothing imported.
my $badf = $t1->dir . '/bad.txt';
spew($badf, $list . "not-an-ip\n");
$r = on_pty($t3, {}, 'import', $badf, '--format', 'plain');
is($r->{rc}, 1, 'bad line on a terminal: exit 1');
ok(scalar(grep { /^reading / } frames($r->{tty})),
    'bad line: progress was drawn first');
like(render($r->{tty}), qr/\Aorblctl: \Q$badf\E:@{[$N + 1]}: not-an-ip: not an IPv4 or IPv6 address[^\n]*\n\z/,
    'bad line: the screen shows only the error line');

# --- export ------------------------------------------------------------
my $plain = $t2->ctl_opt({ timeout => 300 }, 'export', '--format', 'rbldnsd');
is($plain->{rc}, 0, 'export, stderr on a file: exit 0');
is($plain->{err}, '', 'export, stderr on a file: no progress at all');
my ($head, @rows) = split(/\n/, $plain->{out});
like($head, qr/^# orbl export \(rbldnsd ip4set\/ip6trie data\), serial \d+$/,
    'export: the header');
is(join('', map { "$_\n" } @rows), $list, 'export: every entry, in order');

$r = on_pty($t3, { stdout_file => 1 }, 'export', '--format', 'rbldnsd');
is($r->{rc}, 0, 'export on a terminal: exit 0');
is($r->{out}, $plain->{out}, 'export on a terminal: stdout byte-identical');
@f = frames($r->{tty});
ok(grep({ /^exporting: \d+ of $N entries, \d+%, $RATE entries\/s/ } @f),
    'export: frames count entries of the listing count, with a rate')
    or diag(explain(\@f));
is(render($r->{tty}), '', 'export: the line is blanked at the end');

$r = on_pty($t3, {}, 'export', '--format', 'rbldnsd', '-o',
    $t3->dir . '/out.txt');
is($r->{rc}, 0, 'export -o on a terminal: exit 0');
is(slurp($t3->dir . '/out.txt'), $plain->{out}, 'export -o: the same file');
ok(grep({ /^exporting: / } frames($r->{tty})), 'export -o: progress drawn');
is(render($r->{tty}), '', 'export -o: nothing stays on the screen');

$r = on_pty($t3, { stdout_file => 1 }, 'export', '--format', 'rbldnsd',
    '--no-progress');
is($r->{out}, $plain->{out}, 'export --no-progress: the same stdout');
is($r->{tty}, '', 'export --no-progress on a terminal: not a byte');
$r = on_pty($t3, { stdout_file => 1, env => { ORBL_NO_PROGRESS => 1 } },
    'export', '--format', 'rbldnsd');
is($r->{out}, $plain->{out}, 'ORBL_NO_PROGRESS: the same stdout');
is($r->{tty}, '', 'ORBL_NO_PROGRESS=1 on a terminal: not a byte');

# The rows themselves to the terminal: no progress line among them.
$r = on_pty($t3, {}, 'export', '--format', 'plain');
is($r->{rc}, 0, 'export to the terminal: exit 0');
(my $tty = $r->{tty}) =~ s/\r\n/\n/g;
my $pl = $t3->ctl('export', '--format', 'plain');
is($tty, $pl->{out}, 'export to the terminal: only the rows, no "\r"');

# Zone files: reading the list, then the records written.
my $zplain = $t3->dir . '/plain.zone';
my $zpty = $t3->dir . '/pty.zone';
$r = $t3->ctl_opt({ timeout => 300 }, 'export', '--format', 'zone', '-o',
    $zplain);
is($r->{rc}, 0, 'zone export, stderr on a file: exit 0');
is($r->{err}, '', 'zone export, stderr on a file: no progress');
$r = on_pty($t3, {}, 'export', '--format', 'zone', '-o', $zpty);
is($r->{rc}, 0, 'zone export on a terminal: exit 0');
@f = frames($r->{tty});
ok(grep({ /^reading the list: \d+ of $N entries, \d+%, $RATE entries\/s/ } @f),
    'zone export: "reading the list" frames') or diag(explain(\@f));
ok(grep({ /^writing the zone: \d+ records, $RATE records\/s$/ } @f),
    'zone export: "writing the zone" frames (no total known)')
    or diag(explain(\@f));
is(render($r->{tty}), '', 'zone export: nothing stays on the screen');
my ($za, $zb) = map { my $s = slurp($_) // ''; $s =~ s/^(; orbl zone export: .*), \S+$/$1/m; $s }
    ($zplain, $zpty);
ok(length($za) > 1000 && $za eq $zb, 'zone export: the same zone file');

# --- check: a slow list ---------------------------------------------------
# fast.test answers at once (NXDOMAIN); slow.test leaves the first query
# of each name and type unanswered and answers the retry orblctl sends
# after half the timeout: while it waits, slow.test is the pending list.
my $fp = free_port(0);
my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $fp,
    Proto => 'udp') or die "udp: $!";
my $fpid = fork // die "fork: $!";
if ($fpid == 0) {
	Orbl::die_with_parent();
	$SIG{TERM} = sub { _exit(0) };
	my %seen;
	for (;;) {
		my $buf = '';
		my $peer = recv($u, $buf, 65535, 0) // next;
		my $q = eval { Net::DNS::Packet->new(\$buf) } or next;
		my ($qq) = $q->question;
		my ($name, $type) = ($qq->qname, $qq->qtype);
		my $rp = $q->reply;
		$rp->header->aa(1);
		$rp->header->rcode('NOERROR');
		if ($name =~ /\.slow\.test$/) {
			next if !$seen{"$name/$type"}++;
			$rp->push(answer => Net::DNS::RR->new("$name 60 IN A 127.0.0.2"))
			    if $type eq 'A';
			$rp->push(answer => Net::DNS::RR->new("$name 60 IN TXT \"slow list\""))
			    if $type eq 'TXT';
		} else {
			$rp->header->rcode('NXDOMAIN');
		}
		send($u, $rp->data, 0, $peer);
	}
}
close($u);
my @check = ('check', '192.0.2.1', '--lists',
    "fast.test\@127.0.0.1:$fp,slow.test\@127.0.0.1:$fp", '--timeout', '2');
my $want = qr/\Afast\.test  not listed +\d+ ms\nslow\.test  listed +\d+ ms  127\.0\.0\.2  "slow list"\n192\.0\.2\.1: listed in 1 of 2 lists\n\z/;
sub no_ms { (my $s = $_[0] // '') =~ s/ +\d+ ms/ N ms/g; $s }

my $cplain = $t3->ctl('check', @check[1 .. $#check]);
is($cplain->{rc}, 0, 'check, stderr on a file: exit 0 (listed)');
like($cplain->{out}, $want, 'check: the slow list answered its retry');
is($cplain->{err}, '', 'check, stderr on a file: no progress at all');

$r = on_pty($t3, { stdout_file => 1 }, @check);
is($r->{rc}, 0, 'check on a terminal: exit 0');
is(no_ms($r->{out}), no_ms($cplain->{out}),
    'check on a terminal: the same stdout');
@f = frames($r->{tty});
ok(grep({ $_ eq 'waiting for: slow.test (1 of 2)' } @f),
    'check: the pending list is named while it is waited for')
    or diag(explain(\@f));
ok(!grep({ !/^waiting for: / } @f), 'check: nothing else on stderr');
is(render($r->{tty}), '', 'check: the line is blanked at the end');

$r = on_pty($t3, {}, @check);
is(no_ms(render($r->{tty})), no_ms($cplain->{out}),
    'check, all on the terminal: the screen shows the plain output');

$r = on_pty($t3, { stdout_file => 1 }, @check, '--no-progress');
is($r->{rc}, 0, 'check --no-progress: exit 0');
is($r->{tty}, '', 'check --no-progress on a terminal: not a byte');

$r = on_pty($t3, { stdout_file => 1 }, @check, '--json');
my $j = eval { decode_json($r->{out}) };
ok($j && $j->{listed} && $j->{answered} == 2,
    'check --json on a terminal: stdout is the JSON alone')
    or diag($r->{out});
ok(grep({ /^waiting for: / } frames($r->{tty})),
    'check --json: the progress went to stderr');

kill('TERM', $fpid);
waitpid($fpid, 0);
done_testing;
