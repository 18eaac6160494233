#!/usr/bin/perl
# 45-import-export.t -- orblctl import (rbldnsd data in every syntax form,
# plain lists, stdin, bad lines that must change nothing, --replace) and
# export (rbldnsd round trip, plain, and a zone file that stock NSD loads
# and answers exactly as the database says, RFC 4592 shadowing included).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP qw(decode_json);
use CtlTest qw(spew slurp find_prog);

my $t = CtlTest->new;
my $r;
is($t->ctl('init')->{rc}, 0, 'init');

# --- rbldnsd: every form -------------------------------------------------
my $sample = <<'EOF';
# comment
; another comment
$SOA 3600 ns1.bl.test. hostmaster.bl.test. 0 2h 1h 1w 5m
$NS 3600 ns1.bl.test.
$TTL 1800
$DATASET ip4set:foo @
198.51.100.200
:127.0.0.3:Default reason for $
198.51.100.1
198.51.100.0/28 :4:Per-entry four
10.20.30
10.21
11
12/7 ; comment after the entry
192.0.2.4-192.0.2.20
203.0.113.1-20
127.16-31
!198.51.100.5
198.51.100.6 :127.0.0.5
198.51.100.7 :6:
198.51.100.8 Just a text
198.51.100.9 # comment
   198.51.100.10	; indented
2001:db8:1
2001:db8:2::/48 :7:v6 text
!2001:db8:1::5
::1
::ffff:198.51.100.50
:2:Second default
198.51.100.11
198.51.100.12
EOF
$sample =~ s/198\.51\.100\.12\n/198.51.100.12\r\n/;	# a CRLF line too
my $D = 'Default reason for $';
my %want = (
	'198.51.100.200' => [0, '127.0.0.2', undef],
	'198.51.100.1' => [0, '127.0.0.3', $D],
	'198.51.100.0/28' => [0, '127.0.0.4', 'Per-entry four'],
	'10.20.30.0/24' => [0, '127.0.0.3', $D],
	'10.21.0.0/16' => [0, '127.0.0.3', $D],
	'11.0.0.0/8' => [0, '127.0.0.3', $D],
	'12.0.0.0/7' => [0, '127.0.0.3', $D],
	(map { $_ => [0, '127.0.0.3', $D] } qw(192.0.2.4/30 192.0.2.8/29
	    192.0.2.16/30 192.0.2.20 203.0.113.1 203.0.113.2/31 203.0.113.4/30
	    203.0.113.8/29 203.0.113.16/30 203.0.113.20 127.16.0.0/12
	    198.51.100.9 198.51.100.10 2001:db8:1::/48 ::1 198.51.100.50)),
	'198.51.100.5' => [1, '127.0.0.2', undef],
	'198.51.100.6' => [0, '127.0.0.5', $D],
	'198.51.100.7' => [0, '127.0.0.6', undef],
	'198.51.100.8' => [0, '127.0.0.3', 'Just a text'],
	'2001:db8:2::/48' => [0, '127.0.0.7', 'v6 text'],
	'2001:db8:1::5' => [1, '127.0.0.2', undef],
	'198.51.100.11' => [0, '127.0.0.2', 'Second default'],
	'198.51.100.12' => [0, '127.0.0.2', 'Second default'],
);
spew($t->dir . '/sample.ip4set', $sample);
$r = $t->ctl('import', $t->dir . '/sample.ip4set', '--format', 'rbldnsd');
is($r->{rc}, 0, 'import rbldnsd sample') or diag($r->{err});
my $n = keys %want;
like($r->{out}, qr/: 31 lines, $n entries: $n added, 0 updated, 0 unchanged, 0 removed, 1 special lines ignored$/m,
    'import summary');
like($r->{err}, qr/warning: .*sample\.ip4set:6: \$DATASET ignored/,
    'the unknown $ line is warned about');
my $e = $t->entries;
is_deeply({ map { $_ => [$e->{$_}{exclude} ? 1 : 0, $e->{$_}{code},
    $e->{$_}{reason}] } keys %$e }, \%want, 'every syntax form parsed right');
is_deeply([sort keys %{{ map { $_->{source} => 1 } values %$e }}], ['import'],
    'source is import');

$r = $t->ctl('import', $t->dir . '/sample.ip4set', '--format', 'rbldnsd');
like($r->{out}, qr/0 added, 0 updated, $n unchanged, 0 removed/,
    'importing the same file again changes nothing');

$r = $t->ctl('export', '--format', 'rbldnsd');
is($r->{rc}, 0, 'export rbldnsd');
like($r->{out}, qr/^\$SOA 3600 ns1\.bl\.test\. hostmaster\.bl\.test\. 0 2h 1h 1w 5m$/m,
    '$SOA kept from the import');
like($r->{out}, qr/^\$NS 3600 ns1\.bl\.test\.$/m, '$NS kept');
like($r->{out}, qr/^\$TTL 1800$/m, '$TTL kept');

# --- plain, stdin --------------------------------------------------------
my $plain = <<'EOF';
# plain list
192.0.2.1
192.0.2.0/24    whole test net
2001:db8:5::/64  v6 net
!192.0.2.9
   # indented comment

198.51.100.3 # trailing comment
EOF
$r = $t->ctl_opt({ stdin => $plain }, 'import', '-', '--format', 'plain');
is($r->{rc}, 0, 'import plain from stdin') or diag($r->{err});
like($r->{out}, qr/^imported stdin: 8 lines, 5 entries: 5 added/m, 'plain summary');
$e = $t->entries;
is_deeply([map { [$e->{$_}{exclude} ? 1 : 0, $e->{$_}{code}, $e->{$_}{reason}] }
    qw(192.0.2.1 192.0.2.0/24 2001:db8:5::/64 192.0.2.9 198.51.100.3)],
    [[0, '127.0.0.2', undef], [0, '127.0.0.2', 'whole test net'],
    [0, '127.0.0.2', 'v6 net'], [1, '127.0.0.2', undef],
    [0, '127.0.0.2', undef]], 'plain entries');

# --- bad lines: nothing imported ----------------------------------------
my $before = $t->snapshot;
my @bad = (
	[ 'rbldnsd', "1.2.3.4/24", qr/host bits set past \/24 \(did you mean 1\.2\.3\.0\/24\?\)/ ],
	[ 'rbldnsd', "1.2.3.9-1.2.3.1", qr/range ends before it starts/ ],
	[ 'rbldnsd', "300.1.2.3", qr/not an address/ ],
	[ 'rbldnsd', "1.2.3.4.5", qr/not an address/ ],
	[ 'rbldnsd', "1.2.3.4 :1.2.3.4:x", qr/outside 127\.0\.0\.0\/8/ ],
	[ 'rbldnsd', ":abc:x", qr/bad A value/ ],
	[ 'rbldnsd', "2001:db8::1-2001:db8::5", qr/IPv6 ranges/ ],
	[ 'rbldnsd', "2001:db8::1/129", qr/prefix/ ],
	[ 'rbldnsd', "1.2.3.4 " . ('x' x 300), qr/too long/ ],
	[ 'rbldnsd', "\$SOA", qr/\$SOA without a value/ ],
	[ 'plain', "not-an-ip", qr/not an IPv4 or IPv6 address/ ],
	[ 'plain', "10.0.0.1/8", qr/host bits/ ],
);
for my $b (@bad) {
	my ($fmt, $line, $re) = @$b;
	my $file = $t->dir . "/bad.$fmt";
	spew($file, "# good lines first\n203.0.113.77\n198.51.100.99\n$line\n192.0.2.55\n");
	$r = $t->ctl('import', $file, '--format', $fmt);
	is($r->{rc}, 1, "bad $fmt line '" . substr($line, 0, 30) . "': exit 1");
	my @l = split(/\n/, $r->{err});
	ok(@l == 1 && $l[0] =~ /^orblctl: \Q$file\E:4: / && $l[0] =~ $re,
	    "bad $fmt line: one error line FILE:4: reason") or diag($r->{err});
}
# a bad line after many good ones
spew($t->dir . '/long.ip4set', join('', map { "10.77.0.$_\n" } 0 .. 255) .
    join('', map { "10.78.$_.0/24\n" } 0 .. 255) . "10.79.0.1/16\n");
$r = $t->ctl('import', $t->dir . '/long.ip4set', '--format', 'rbldnsd');
is($r->{rc}, 1, 'a bad last line of 513');
like($r->{err}, qr/long\.ip4set:513: /, 'names line 513');
$r = $t->ctl('import', $t->dir . '/missing.ip4set', '--format', 'rbldnsd');
is($r->{rc}, 1, 'a missing file: exit 1');
like($r->{err}, qr/missing\.ip4set: No such file/, 'says so');
for my $u (['import', '-', '--format', 'csv'], ['import', '--format', 'plain'],
    ['import', 'x'], ['export', '--format', 'json'], ['export'],
    ['export', '--format', 'plain', '--zone', 'x.test']) {
	$r = $t->ctl(@$u);
	is($r->{rc}, 2, "usage error: @$u: exit 2");
}
is($t->snapshot, $before, 'no failed import changed anything');

# --- rbldnsd round trip --------------------------------------------------
$r = $t->ctl('add', '203.0.113.128/25', '--code', '127.0.0.9', '--reason',
    'quotes "x", colons a:b:c, dollar $ and # hash ; semi');
is($r->{rc}, 0, 'a manual entry with an awkward reason');
$r = $t->ctl('add', '203.0.113.130', '--exclude', '--reason', 'carved out');
is($r->{rc}, 0, 'an exclusion with a note');
my $exp = $t->dir . '/out.ip4set';
$r = $t->ctl('export', '--format', 'rbldnsd', '-o', $exp);
is($r->{rc}, 0, 'export rbldnsd -o FILE');
is($r->{out}, '', 'with -o nothing on stdout');
my $t2 = CtlTest->new;
$t2->ctl('init');
$r = $t2->ctl('import', $exp, '--format', 'rbldnsd');
is($r->{rc}, 0, 'the export imports into a fresh database') or diag($r->{err});
my $strip = sub { my $h = shift; return { map { $_ => [$h->{$_}{exclude} ?
    1 : 0, $h->{$_}{code}, $h->{$_}{reason}] } keys %$h } };
is_deeply($strip->($t2->entries), $strip->($t->entries),
    'round trip: entries, codes, reasons, exclusions all equal');
my $exp2 = $t2->ctl('export', '--format', 'rbldnsd')->{out};
(my $a1 = slurp($exp)) =~ s/^#.*\n//;
$exp2 =~ s/^#.*\n//;
is($exp2, $a1, 'and its export is the same text');

# --- plain export --------------------------------------------------------
$r = $t->ctl('export', '--format', 'plain');
is($r->{rc}, 0, 'export plain');
my @cidrs = grep { !/^#/ } split(/\n/, $r->{out});
my $all = $t->entries;
is_deeply([sort @cidrs], [sort grep { !$all->{$_}{exclude} } keys %$all],
    'plain: every listed entry, no exclusions');
like($r->{out}, qr/^# 4 exclusions not representable/m, 'plain: says what it left out');

# --- --replace -----------------------------------------------------------
my $t3 = CtlTest->new;
$t3->ctl('init');
spew($t3->dir . '/a.txt', "192.0.2.1\n192.0.2.2\n192.0.2.3\n");
spew($t3->dir . '/b.txt', "192.0.2.1\n192.0.2.4 new one\n192.0.2.4 new one\n");
$t3->ctl('import', $t3->dir . '/a.txt', '--format', 'plain');
$t3->ctl('add', '198.51.100.1');
$r = $t3->ctl('import', $t3->dir . '/b.txt', '--format', 'plain');
like($r->{out}, qr/1 added, 0 updated, 2 unchanged, 0 removed/,
    'without --replace: entries only added (a duplicate line counts once)');
is(scalar(keys %{$t3->entries}), 5, 'nothing removed');
$r = $t3->ctl('import', $t3->dir . '/b.txt', '--format', 'plain', '--replace');
is($r->{rc}, 0, 'import --replace');
like($r->{out}, qr/0 added, 0 updated, 3 unchanged, 2 removed/, '--replace summary');
is_deeply([sort keys %{$t3->entries}], ['192.0.2.1', '192.0.2.4', '198.51.100.1'],
    'imported entries not in the file are gone; the manual one stays');
my $j = decode_json($t3->ctl('lookup', '192.0.2.2', '--json')->{out});
like($j->{history}[-1]{why}, qr/--replace/, 'the journal says why');

# --- zone export, nsd-checkzone, a real NSD -----------------------------
my $z = CtlTest->new(extra => "ns = ns1.example.net\nsoa_rname = ops.example.net\n");
$z->ctl('init');
spew($z->dir . '/z.ip4set', <<'EOF');
:127.0.0.2:sixteen
10.1.0.0/16
!10.1.2.3
10.2.0.0/20 :3:
10.3.3.0/28 :4:r $
10.4.4.4 single $
2.0.0.0/8 :7:two
127.0.0.0/8 :3:loopback
2001:db8:a::/48 :5:six
!2001:db8:a::9
2001:db8:b::1 :6:one
EOF
$r = $z->ctl('import', $z->dir . '/z.ip4set', '--format', 'rbldnsd');
is($r->{rc}, 0, 'zone data imported') or diag($r->{err});
my $zf = $z->dir . '/bl.test.zone';
$r = $z->ctl('export', '--format', 'zone', '-o', $zf);
is($r->{rc}, 0, 'export zone') or diag($r->{err});
my $zt = slurp($zf);
like($zt, qr/^\$ORIGIN bl\.test\.$/m, 'zone: $ORIGIN');
like($zt, qr/^@ SOA ns1\.example\.net\. ops\.example\.net\. 10 3600 600 604800 300$/m,
    'zone: SOA from the config, serial from the db');
like($zt, qr/^@ NS ns1\.example\.net\.$/m, 'zone: NS');
like($zt, qr/^\*\.1\.10 A 127\.0\.0\.2$/m, 'a /16 is one wildcard');
is(scalar(() = $zt =~ /^\*\.\d+\.2\.10 A 127\.0\.0\.3$/mg), 16, 'a /20 is 16 wildcards');
like($zt, qr/^\*\.2\.1\.10 A /m, 'the /24 holding an exclusion has its own wildcard');
like($zt, qr/^3\.2\.1\.10 TXT "not listed"$/m, 'the exclusion has a name, no A');
like($zt, qr/^5\.3\.3\.10 TXT "r 10\.3\.3\.5"$/m, 'a /28 is explicit names, $ expanded');

SKIP: {
	my $check = find_prog('nsd-checkzone');
	skip('nsd-checkzone not installed', 2) unless $check;
	$r = $z->run_cmd({}, $check, 'bl.test', $zf);
	is($r->{rc}, 0, 'nsd-checkzone accepts the zone') or diag($r->{out} . $r->{err});
	my $empty = CtlTest->new;
	$empty->ctl('init');
	$empty->ctl('export', '--format', 'zone', '-o', $empty->dir . '/e.zone');
	$r = $empty->run_cmd({}, $check, 'bl.test', $empty->dir . '/e.zone');
	is($r->{rc}, 0, 'and the zone of an empty database');
}

sub revname {
	my ($ip) = @_;
	return join('.', reverse split(/\./, $ip)) if $ip =~ /^\d+\.\d+\.\d+\.\d+$/;
	my $p = unpack('H32', Socket::inet_pton(Socket::AF_INET6(), $ip));
	return join('.', reverse split(//, $p));
}
use Socket ();

SKIP: {
	skip('nsd not installed', 1) unless find_prog('nsd');
	my $nsd = $z->nsd_start('bl.test', $zf);
	ok($nsd, 'NSD serves the exported zone') or skip('NSD did not start', 1);
	# [address, A expected (undef: not listed), rcode, TXT]
	my @cases = (
		['10.1.9.9', '127.0.0.2', 'NOERROR', 'sixteen'],
		['10.1.2.3', undef, 'NOERROR'],		# excluded: NODATA
		['10.1.2.4', '127.0.0.2', 'NOERROR'],	# sibling of the exclusion
		['10.1.2.255', '127.0.0.2', 'NOERROR'],
		['10.1.0.0', '127.0.0.2', 'NOERROR'],
		['10.0.255.255', undef, 'NXDOMAIN'],
		['10.2.15.255', '127.0.0.3', 'NOERROR'],
		['10.2.16.0', undef, 'NXDOMAIN'],
		['10.3.3.15', '127.0.0.4', 'NOERROR', 'r 10.3.3.15'],
		['10.3.3.16', undef, 'NXDOMAIN'],
		['10.4.4.4', '127.0.0.2', 'NOERROR', 'single 10.4.4.4'],
		['10.4.4.5', undef, 'NXDOMAIN'],
		['2.0.0.1', '127.0.0.7', 'NOERROR'],	# shares labels with 2001:db8
		['2.0.13.184', '127.0.0.7', 'NOERROR'],
		['2.200.1.1', '127.0.0.7', 'NOERROR'],
		['127.0.0.1', undef, 'NOERROR'],	# test point: never listed
		['127.0.0.2', '127.0.0.2', 'NOERROR',
		    'RFC 5782 test point: always listed'],
		['127.0.0.3', '127.0.0.3', 'NOERROR'],
		['192.0.2.1', undef, 'NXDOMAIN'],
		['2001:db8:a::1', '127.0.0.5', 'NOERROR'],
		['2001:db8:a::9', undef, 'NOERROR'],
		['2001:db8:a::8', '127.0.0.5', 'NOERROR'],
		['2001:db8:a:ffff::1', '127.0.0.5', 'NOERROR'],
		['2001:db8:b::1', '127.0.0.6', 'NOERROR', 'one'],
		['2001:db8:b::2', undef, 'NXDOMAIN'],
		['::ffff:127.0.0.2', '127.0.0.2', 'NOERROR'],
	);
	for my $c (@cases) {
		my ($ip, $a, $rcode, $txt) = @$c;
		my ($rc, $as) = $z->query(revname($ip) . '.bl.test', 'A');
		is_deeply([$rc, $as], [$rcode, $a ? [$a] : []],
		    "NSD: $ip " . ($a ? "listed $a" : "not listed ($rcode)"));
		if (defined $txt) {
			my (undef, undef, $txts) = $z->query(revname($ip) . '.bl.test', 'TXT');
			is_deeply($txts, [$txt], "NSD: $ip TXT");
		}
		# and orblctl lookup agrees with what NSD answers
		my $l = $z->ctl('lookup', $ip, '--json');
		my $lj = decode_json($l->{out});
		is($lj->{listed} ? $lj->{code} : undef, $a, "lookup agrees on $ip");
	}
	is($z->nsd_stop, 0, 'NSD stopped cleanly');

	# A random nested data set: NSD and lookup must agree everywhere.
	my $rz = CtlTest->new;
	$rz->ctl('init');
	srand(4592);
	my (@lines, @probe);
	for my $i (1 .. 40) {
		my @o = (10 + int(rand(3)), int(rand(3)), int(rand(3)), int(rand(256)));
		my $p = (8, 16, 20, 23, 24, 26, 29, 31, 32, 32)[int(rand(10))];
		my $v = unpack('N', pack('C4', @o)) & ~((2 ** (32 - $p)) - 1);
		my $net = join('.', unpack('C4', pack('N', $v)));
		my $last = $v + 2 ** (32 - $p) - 1;
		push(@lines, (rand() < 0.35 ? '!' : '') . "$net/$p :" .
		    (2 + int(rand(4))) . ':r');
		push(@probe, map { join('.', unpack('C4', pack('N', $_))) }
		    grep { $_ >= 0 && $_ < 2 ** 32 }
		    ($v - 1, $v, $v + 1, $last - 1, $last, $last + 1,
		    $v + int(rand(2 ** (32 - $p)))));
	}
	my %seen;
	@probe = grep { !$seen{$_}++ } @probe;
	spew($rz->dir . '/r.ip4set', join("\n", @lines) . "\n");
	$r = $rz->ctl('import', $rz->dir . '/r.ip4set', '--format', 'rbldnsd');
	is($r->{rc}, 0, 'random data imported') or diag($r->{err});
	my $rf = $rz->dir . '/r.zone';
	$rz->ctl('export', '--format', 'zone', '-o', $rf);
	ok($rz->nsd_start('bl.test', $rf), 'NSD serves the random zone')
	    or skip('NSD did not start', 1);
	my $bad = 0;
	for my $ip (@probe) {
		my ($rc, $as) = $rz->query(revname($ip) . '.bl.test', 'A');
		my $lj = decode_json($rz->ctl('lookup', $ip, '--json')->{out});
		my $want = $lj->{listed} ? $lj->{code} : undef;
		my $got = @$as ? $as->[0] : undef;
		next if ($want // '') eq ($got // '') && @$as <= 1 &&
		    ($rc eq 'NOERROR' || ($rc eq 'NXDOMAIN' && !@$as));
		diag("$ip: lookup " . ($want // 'not listed') . ", NSD $rc " .
		    ($got // '')) if $bad++ < 5;
	}
	is($bad, 0, sprintf('NSD and lookup agree on %d addresses', scalar(@probe)));
	is($rz->nsd_stop, 0, 'NSD stopped cleanly');
}

done_testing();
