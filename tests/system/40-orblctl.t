#!/usr/bin/perl
# 40-orblctl.t -- orblctl against a temp database: init, add (single,
# CIDR, IPv4/IPv6, exclusions, codes, reasons, expiry), list in three
# formats, lookup (exit codes, JSON, most specific wins, test points),
# remove, stats, and every error: exit status, one clear line on stderr,
# and nothing changed in the database.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use IPC::Open2;
use Time::HiRes qw(time);
use CtlTest qw(spew find_prog);

my $t = CtlTest->new;
my $r;

# The single error line every runtime failure prints.
sub one_error_line {
	my ($r, $re, $name) = @_;
	my @lines = split(/\n/, $r->{err});
	ok(@lines == 1 && $lines[0] =~ /^orblctl: / && $lines[0] =~ $re,
	    "$name: one error line matching $re") or diag("stderr: $r->{err}");
}

# --- init ---------------------------------------------------------------
ok(!-e $t->db, 'no database yet (and no db/ directory)');
$r = $t->ctl('lookup', '192.0.2.1');
is($r->{rc}, 1, 'lookup without a database fails with 1');
one_error_line($r, qr/No such file.*orblctl init/, 'missing database');
ok(!-e $t->db, 'lookup did not create the database');

$r = $t->ctl('init');
is($r->{rc}, 0, 'init succeeds');
like($r->{out}, qr/^\Q${\$t->db}\E: created, schema version 4$/m,
    'init prints the path and the schema version');
ok(-f $t->db, 'init created the database and its directory');
$r = $t->ctl('init');
is($r->{rc}, 0, 'init again succeeds');
like($r->{out}, qr/already initialised, schema version 4/, 'init is idempotent');

# --- add ----------------------------------------------------------------
my @adds = (
	[ ['192.0.2.1', '--reason', 'single $ here'],
	    qr/^added 192\.0\.2\.1 code 127\.0\.0\.2 reason "single \$ here"/ ],
	[ ['198.51.100.0/24', '--code', '127.0.0.3', '--reason', 'range'],
	    qr/^added 198\.51\.100\.0\/24 code 127\.0\.0\.3/ ],
	# options may come before the address too
	[ ['--code', '127.0.0.4', '198.51.100.64/26'],
	    qr/^added 198\.51\.100\.64\/26 code 127\.0\.0\.4/ ],
	[ ['198.51.100.77', '--exclude'], qr/^added exclusion 198\.51\.100\.77/ ],
	[ ['2001:db8::1'], qr/^added 2001:db8::1 code 127\.0\.0\.2/ ],
	[ ['2001:db8:1::/48', '--code', '127.0.0.5', '--reason', 'say "hi", ok'],
	    qr/^added 2001:db8:1::\/48 code 127\.0\.0\.5/ ],
	[ ['2001:db8:1::9', '--exclude', '--reason', 'customer asked'],
	    qr/^added exclusion 2001:db8:1::9/ ],
	[ ['203.0.113.10', '--expires', '30d'], qr/^added 203\.0\.113\.10 .*expires 2/ ],
	[ ['203.0.113.9', '--expires', '2s'], qr/^added 203\.0\.113\.9 / ],
	[ ['::ffff:192.0.2.200'], qr/^added 192\.0\.2\.200 / ],
	[ ['10.99.0.1', '--exclude'], qr/no listed entry encloses it/ ],
);
for my $a (@adds) {
	$r = $t->ctl('add', @{$a->[0]});
	is($r->{rc}, 0, "add @{$a->[0]}");
	like($r->{out}, $a->[1], "add @{$a->[0]}: says what it did");
}
$r = $t->ctl('add', '198.51.100.0/24', '--code', '127.0.0.3', '--reason', 'range');
is($r->{rc}, 0, 'adding the same entry again succeeds');
is($r->{out}, "unchanged 198.51.100.0/24\n", 'and changes nothing');
$r = $t->ctl('add', '192.0.2.1', '--reason', 'single $ here', '--code', '127.0.0.6');
like($r->{out}, qr/^updated 192\.0\.2\.1 code 127\.0\.0\.6/, 'a new code updates');

# --- list ---------------------------------------------------------------
my $e = $t->entries;
is(scalar(keys %$e), 11, 'list --format json: 11 entries');
is($e->{'198.51.100.64/26'}{code}, '127.0.0.4', 'json: code');
is($e->{'192.0.2.1'}{reason}, 'single $ here', 'json: reason kept verbatim');
is($e->{'198.51.100.77'}{exclude}, JSON::PP::true, 'json: exclusion');
is($e->{'2001:db8:1::9'}{reason}, 'customer asked', 'json: exclusion note');
is($e->{'198.51.100.0/24'}{source}, 'manual', 'json: source manual');
like($e->{'198.51.100.0/24'}{actor}, qr/^cli:\S+$/, 'json: actor cli:<user>');
ok(exists $e->{'192.0.2.200'}, 'an IPv4-mapped address is stored as IPv4');
is($e->{'192.0.2.1'}{expires}, undef, 'json: no expiry is null');
my $x = $e->{'203.0.113.10'};
my $exp9 = $e->{'203.0.113.9'}{expires};
# (created is the db's clock, expires orblctl's: a second may tick between)
my $d9 = $exp9 - $e->{'203.0.113.9'}{created};
ok($d9 >= 1 && $d9 <= 2, "--expires 2s (expires - created = $d9)");
ok(abs($x->{expires} - $x->{created} - 30 * 86400) <= 2,
    '--expires 30d: expires = now + 30 days');
$r = $t->ctl('list', '--format', 'json');
my @order = map { $_->{cidr} } @{decode_json($r->{out})};
is_deeply(\@order, ['10.99.0.1', '192.0.2.1', '192.0.2.200', '198.51.100.0/24',
    '198.51.100.64/26', '198.51.100.77', '203.0.113.9', '203.0.113.10',
    '2001:db8::1', '2001:db8:1::/48', '2001:db8:1::9'],
    'list is ordered by family, address, prefix');

# RFC 4180: a small parser, so the quoting is checked, not just grepped.
sub csv_rows {
	my ($text) = @_;
	my (@rows, @f, $cur, $q);
	$cur = '';
	my @c = split(//, $text);
	for (my $i = 0; $i < @c; $i++) {
		my $ch = $c[$i];
		if ($q) {
			if ($ch eq '"' && ($c[$i + 1] // '') eq '"') {
				$cur .= '"';
				$i++;
			} elsif ($ch eq '"') {
				$q = 0;
			} else {
				$cur .= $ch;
			}
		} elsif ($ch eq '"') {
			$q = 1;
		} elsif ($ch eq ',') {
			push(@f, $cur);
			$cur = '';
		} elsif ($ch eq "\r" && ($c[$i + 1] // '') eq "\n") {
			push(@f, $cur);
			push(@rows, [@f]);
			@f = ();
			$cur = '';
			$i++;
		} else {
			$cur .= $ch;
		}
	}
	return \@rows;
}
$r = $t->ctl('list', '--format', 'csv');
is($r->{rc}, 0, 'list --format csv');
my $rows = csv_rows($r->{out});
is_deeply($rows->[0], [qw(cidr exclude code reason source created expires)],
    'csv header');
is(scalar(@$rows), 12, 'csv: header + 11 rows');
my ($v6row) = grep { $_->[0] eq '2001:db8:1::/48' } @$rows;
is($v6row->[3], 'say "hi", ok', 'csv: quotes and commas survive RFC 4180 quoting');
like($r->{out}, qr/,"say ""hi"", ok",/, 'csv: the field is quoted, quotes doubled');
my ($exrow) = grep { $_->[0] eq '198.51.100.77' } @$rows;
is($exrow->[1], '1', 'csv: exclude column');
$r = $t->ctl('list');
is($r->{rc}, 0, 'list (text)');
like($r->{out}, qr/^198\.51\.100\.64\/26\s+listed\s+127\.0\.0\.4\s+manual/m,
    'text: one line per entry');
like($r->{out}, qr/^198\.51\.100\.77\s+excluded/m, 'text: exclusion');

# --- lookup -------------------------------------------------------------
sub lookup_json {
	my ($addr) = @_;
	my $r = $t->ctl('lookup', $addr, '--json');
	my $j = eval { decode_json($r->{out}) };
	return ($r->{rc}, $j, $r);
}
my ($rc, $j) = lookup_json('198.51.100.70');
is($rc, 0, 'lookup listed address: exit 0');
is($j->{listed}, JSON::PP::true, 'json listed true');
is($j->{entry}, '198.51.100.64/26', 'the most specific entry decides');
is($j->{code}, '127.0.0.4', 'with its code');
is($j->{source}, 'manual', 'and its source');
ok($j->{created} > 0, 'created is a timestamp');
is_deeply([map { $_->{cidr} } @{$j->{covering}}],
    ['198.51.100.0/24', '198.51.100.64/26'], 'covering: every entry, widest first');
is_deeply([map { [$_->{op}, $_->{entry}] } @{$j->{history}}],
    [['add', '198.51.100.0/24'], ['add', '198.51.100.64/26']],
    'history: the journal rows about covering prefixes');
like($j->{history}[0]{actor}, qr/^cli:/, 'history: actor');
ok(exists $j->{history}[0]{why} && $j->{history}[0]{ts} > 0, 'history: why, ts');

($rc, $j) = lookup_json('198.51.100.77');
is($rc, 1, 'excluded address: exit 1');
is($j->{listed}, JSON::PP::false, 'excluded: listed false');
is($j->{entry}, '198.51.100.77', 'excluded: the exclusion decided');
is(scalar(@{$j->{covering}}), 3, 'excluded: three covering entries');

($rc, $j) = lookup_json('198.51.100.200');
is($rc, 0, 'address in the /24 only');
is($j->{code}, '127.0.0.3', 'gets the /24 code');
($rc, $j) = lookup_json('192.0.2.1');
is($j->{reason}, 'single 192.0.2.1 here', 'reason: $ becomes the address');
is($j->{code}, '127.0.0.6', 'the updated code');
($rc, $j) = lookup_json('10.9.9.9');
is($rc, 1, 'unlisted address: exit 1');
is($j->{entry}, undef, 'unlisted: entry null');
is_deeply($j->{covering}, [], 'unlisted: nothing covers it');
for my $k (qw(address listed entry code reason source created expires covering history)) {
	ok(exists $j->{$k}, "lookup json has key '$k'");
}
($rc, $j) = lookup_json('2001:db8:1::8');
is($rc, 0, 'IPv6 in a listed /48');
is($j->{code}, '127.0.0.5', 'IPv6 code');
($rc, $j) = lookup_json('2001:db8:1::9');
is($rc, 1, 'IPv6 exclusion');
($rc, $j) = lookup_json('2001:db8::1');
is($rc, 0, 'IPv6 single address');
($rc, $j) = lookup_json('::ffff:192.0.2.200');
is($rc, 0, 'IPv4-mapped lookup answers from IPv4');
is($j->{address}, '192.0.2.200', 'and says so');

# RFC 5782 test points, whatever the data says
($rc, $j) = lookup_json('127.0.0.2');
is($rc, 0, '127.0.0.2 is always listed');
is($j->{code}, '127.0.0.2', '127.0.0.2 code');
$r = $t->ctl('add', '127.0.0.0/8', '--code', '127.0.0.3');
is($r->{rc}, 0, 'list all of 127/8');
($rc, $j) = lookup_json('127.0.0.1');
is($rc, 1, '127.0.0.1 is never listed, even inside a listed range');
is($j->{listed}, JSON::PP::false, '127.0.0.1 listed false');
($rc, $j) = lookup_json('127.0.0.3');
is($rc, 0, 'but 127.0.0.3 is listed by 127/8');
is($j->{code}, '127.0.0.3', 'with the range code');
($rc, $j) = lookup_json('127.0.0.2');
is($j->{code}, '127.0.0.2', '127.0.0.2 keeps the test-point code');

$r = $t->ctl('lookup', '198.51.100.70');
like($r->{out}, qr/^198\.51\.100\.70 is listed by 198\.51\.100\.64\/26/,
    'lookup text: what decided');
like($r->{out}, qr/^history:/m, 'lookup text: history');

# expiry: the 2 s entry runs out
sleep(0.2) while time() < $exp9 + 0.5;
($rc, $j) = lookup_json('203.0.113.9');
is($rc, 1, 'an expired entry no longer lists');
is($j->{covering}[0]{expired}, JSON::PP::true, 'covering shows it as expired');
($rc, $j) = lookup_json('203.0.113.10');
is($rc, 0, 'an entry expiring in 30 days still lists');

# --- remove -------------------------------------------------------------
$r = $t->ctl('remove', '198.51.100.64/26', '--reason', 'fixed by owner');
is($r->{rc}, 0, 'remove');
is($r->{out}, "removed 198.51.100.64/26\n", 'remove says so');
($rc, $j) = lookup_json('198.51.100.70');
is($j->{entry}, '198.51.100.0/24', 'after remove the /24 decides');
my ($last) = $j->{history}[-1];
is_deeply([$last->{op}, $last->{entry}, $last->{why}],
    ['remove', '198.51.100.64/26', 'fixed by owner'], 'history: the removal and why');

# --- stats --------------------------------------------------------------
$r = $t->ctl('stats', '--json');
is($r->{rc}, 0, 'stats --json');
my $s = decode_json($r->{out});
$e = $t->entries;
is($s->{listings}{listed}, scalar(grep { !$_->{exclude} } values %$e),
    'stats: listed count');
is($s->{listings}{excluded}, scalar(grep { $_->{exclude} } values %$e),
    'stats: excluded count');
is($s->{serial}, 14, 'stats: serial = journal rows (13 changes + 1 remove)');
is_deeply($s->{submissions}, { queued => 0, probing => 0, done => 0, failed => 0 },
    'stats: submissions keys');

# --- errors: exit code, message, nothing changed ------------------------
my $before = $t->snapshot;
my @usage = (
	[ ['add', '1.2.3.256'], qr/not an IPv4 or IPv6 address/ ],
	[ ['add', 'example.com'], qr/not an IPv4 or IPv6 address/ ],
	[ ['add', '1.2.3.4/24'], qr/host bits set.*1\.2\.3\.0\/24/ ],
	[ ['add', '1.2.3.0/33'], qr/prefix/ ],
	[ ['add', '2001:db8::1/32'], qr/host bits set/ ],
	[ ['add', '1.2.3.0/24', '--code', '1.2.3.4'], qr/127\.0\.0\.0\/8/ ],
	[ ['add', '1.2.3.0/24', '--code', '127.0.0.256'], qr/bad code/ ],
	[ ['add', '1.2.3.0/24', '--code', 'x'], qr/bad code/ ],
	[ ['add', '1.2.3.4', '--expires', '3x'], qr/bad duration/ ],
	[ ['add', '1.2.3.4', '--expires', '-5'], qr/bad duration/ ],
	[ ['add', '1.2.3.4', '--expires', '0'], qr/bad duration/ ],
	[ ['add', '1.2.3.4', '--reason', "tab\there"], qr/control character/ ],
	[ ['add', '1.2.3.4', '--reason', 'x' x 256], qr/too long/ ],
	[ ['add', '1.2.3.4', '--exclude', '--code', '127.0.0.3'], qr/--exclude/ ],
	[ ['add', '1.2.3.4', '--frob'], qr/unknown option '--frob'/ ],
	[ ['add', '1.2.3.4', '--code'], qr/needs a value/ ],
	[ ['add', '1.2.3.4', '5.6.7.8'], qr/unexpected argument/ ],
	[ ['add'], qr/missing ADDR/ ],
	[ ['remove'], qr/missing ADDR/ ],
	[ ['remove', '1.2.3.4/8'], qr/host bits/ ],
	[ ['lookup', '192.0.2.0/24'], qr/one address/ ],
	[ ['lookup'], qr/missing ADDR/ ],
	[ ['list', '--format', 'xml'], qr/unknown format/ ],
	[ ['stats', '--bogus'], qr/unknown option/ ],
	[ ['frobnicate'], qr/unknown verb 'frobnicate'/ ],
	[ [], qr/no verb/ ],
);
for my $u (@usage) {
	$r = $t->ctl(@{$u->[0]});
	my $n = "@{$u->[0]}" || '(no verb)';
	is($r->{rc}, 2, "usage error: $n: exit 2");
	my ($first) = split(/\n/, $r->{err});
	like($first // '', qr/^orblctl: .*$u->[1]/, "usage error: $n: says why");
	like($r->{err}, qr/^usage: orblctl/m, "usage error: $n: shows usage");
	is($r->{out}, '', "usage error: $n: nothing on stdout");
}
is($t->snapshot, $before, 'no usage error changed the database');

$r = $t->ctl('remove', '198.51.100.64/26');
is($r->{rc}, 1, 'removing a missing entry: exit 1');
one_error_line($r, qr/198\.51\.100\.64\/26: no such entry/, 'remove missing');
$r = $t->ctl('remove', '198.51.100.70');
is($r->{rc}, 1, 'remove takes the exact entry, not a covered address');
is($t->snapshot, $before, 'failed removes changed nothing');

# a bad config file
spew($t->dir . '/bad.conf', "database = /nonexistent/x.db\nfrob = 1\n");
$r = $t->run_cmd({}, ($ENV{ORBL_BIN} // 'bin') . '/orblctl', '-c',
    $t->dir . '/bad.conf', 'stats');
is($r->{rc}, 1, 'bad config: exit 1');
one_error_line($r, qr/bad\.conf:2: unknown key 'frob'/, 'bad config');

# locked database: another writer holds BEGIN IMMEDIATE
SKIP: {
	my $sqlite = find_prog('sqlite3');
	skip('no sqlite3 shell', 5) unless $sqlite;
	my ($out, $in);
	my $pid = open2($out, $in, $sqlite, $t->db);
	print $in "BEGIN IMMEDIATE;\nSELECT 'held';\n";
	$in->flush;
	my $l = <$out>;
	is($l, "held\n", 'sqlite3 holds the write lock');
	$r = $t->ctl('add', '192.0.2.99');
	is($r->{rc}, 1, 'add while locked: exit 1');
	one_error_line($r, qr/locked/, 'locked database');
	# How long it waited is the db layer's busy handler's (test_db
	# proves its schedule by counters); here: it says which timeout.
	like($r->{err}, qr/held it for more than 5000 ms/,
	    'gave up after the busy timeout it names (5000 ms)');
	kill('TERM', $pid);
	waitpid($pid, 0);
	is($t->snapshot, $before, 'the locked add changed nothing');
}

# --- global options -----------------------------------------------------
my $ctlbin = ($ENV{ORBL_BIN} // 'bin') . '/orblctl';
$r = $t->run_cmd({}, $ctlbin, '-V');
is($r->{rc}, 0, '-V');
like($r->{out}, qr/^orblctl \d+\.\d+/, '-V prints the version');
$r = $t->run_cmd({}, $ctlbin, '-h');
is($r->{rc}, 0, '-h');
like($r->{out}, qr/^usage: orblctl/, '-h prints usage');
$r = $t->ctl('add', '-h');
like($r->{out}, qr/^usage: orblctl \[-c FILE\] add ADDR/, 'VERB -h: the verb usage');
$r = $t->run_cmd({ env => { ORBL_CONF => $t->conf } }, $ctlbin, 'lookup',
    '198.51.100.200');
is($r->{rc}, 0, 'ORBL_CONF names the config when -c is not given');
$r = $t->run_cmd({}, $ctlbin, '-n', '-c', $t->conf);
is($r->{rc}, 0, '-n checks the config');
$r = $t->ctl('conf-reference');
like($r->{out}, qr/^\| `database` \| string \|/m, 'conf-reference prints the table');

done_testing();
