#!/usr/bin/perl
# 92-mirrors.t -- stock NSD, Knot and BIND (the Debian packages) as TSIG
# secondaries of orbl-dnsd (issue 12): they transfer the zone and then
# answer like orbl-dnsd, name by name; 1,000 changes in one commit reach
# each by NOTIFY and IXFR; a wrong key, an unknown key, no key and a
# denied address are refused; a secondary behind the journal's horizon
# gets the whole zone.
#
# orbl-dnsd always answers the reference queries (from its database).
# The primary the secondaries transfer from is orbl-dnsd, or, with
# ORBL_XFR_PRIMARY=knot, a Knot serving what `orblctl export --format
# zone` writes (reloaded after each commit): the same checks against a
# stock primary, to tell a fault of orbl-dnsd's transfers from one of
# the zone's content or of this test.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Socket qw(inet_pton inet_ntop AF_INET AF_INET6);
use Time::HiRes qw(time);

use Orbl qw(rev4 rev6 wait_until);
use Secondary;

my @KINDS = qw(nsd knot bind);
my @missing = Secondary::missing(@KINDS);
push @missing, 'kdig' unless Secondary::find_prog('kdig');
plan skip_all => "missing @missing (apt-get install nsd knot knot-dnsutils " .
    "bind9; scripts/deps)" if @missing;

my $MODE = $ENV{ORBL_XFR_PRIMARY} // 'orbl';
die "ORBL_XFR_PRIMARY: orbl or knot\n" unless $MODE =~ /^(orbl|knot)$/;
my $ZONE = 'bl.test';
srand(92);

# -- keys: hmac-sha256 for NSD and BIND, hmac-sha512 for Knot; Knot's
# given as a file (tsig_key ... file:PATH).
my %KEY = map { $_ => { name => "$_-xfr.key",
    alg => $_ eq 'knot' ? 'hmac-sha512' : 'hmac-sha256',
    secret => Secondary::secret($_ eq 'knot' ? 64 : 32) } } @KINDS;

my $o = Orbl->new(zones => [$ZONE], ipv6 => 0);
my $keyfile = $o->dir . '/knot.secret';
Secondary::spew($keyfile, "$KEY{knot}{secret}\n");
chmod(0600, $keyfile);

# The primary's address for the secondaries.
my $pport = $MODE eq 'orbl' ? $o->port : Orbl::free_port(0);

my %S;
for my $k (@KINDS) {
	$S{$k} = Secondary->new(kind => $k, zone => $ZONE,
	    primary => "127.0.0.1:$pport", key => $KEY{$k},
	    verbose => 2);
}

$o->{conf}{tsig_key} = [map { my $x = $KEY{$_};
    "$x->{name} $x->{alg} " . ($_ eq 'knot' ? "file:$keyfile" : $x->{secret}) }
    @KINDS];
$o->{conf}{xfr_allow} = [map { "127.0.0.1/32 $KEY{$_}{name}" } @KINDS];
$o->{conf}{notify} = [map { "127.0.0.1:" . $S{$_}->port . " $KEY{$_}{name}" }
    @KINDS];
$o->{conf}{journal_keep} = 0;
$o->write_conf;

# ---------------------------------------------------------------------
# The data: a model of the entries (to know which names an exclusion
# inside a range decides) and the rbldnsd file imported with --replace.

sub bits {
	my ($cidr) = @_;
	my ($ip, $len) = split m{/}, $cidr;
	my $v6 = $ip =~ /:/;
	$len //= $v6 ? 128 : 32;
	my $b = unpack('B*', inet_pton($v6 ? AF_INET6 : AF_INET, $ip));
	return ($v6 ? 6 : 4, substr($b, 0, $len));
}

# The entries containing ip, most specific first.
sub covering {
	my ($model, $ip) = @_;
	my ($fam, $ib) = bits($ip);
	my %len;
	for my $net (keys %$model) {
		my ($f, $nb) = bits($net);
		$len{$net} = length $nb if $f == $fam &&
		    substr($ib, 0, length $nb) eq $nb;
	}
	return sort { $len{$b} <=> $len{$a} } keys %len;
}

# An exclusion decides ip and a listed range around it would list it:
# the zone says "no A here" with a name of its own (NOERROR, a TXT),
# where orbl-dnsd says NXDOMAIN (RFC 4592: a wildcard cannot leave a
# name out).
sub excluded_in_range {
	my ($model, $ip) = @_;
	my @c = covering($model, $ip);
	return 0 unless @c && $model->{$c[0]}{excl};
	return scalar grep { !$model->{$_}{excl} } @c[1 .. $#c];
}

sub ip4 { join('.', @_) }
sub rand4 {
	my ($a, $b) = @_;	# first octet in [$a, $b]
	return ip4($a + int(rand($b - $a + 1)), map { int(rand(256)) } 1 .. 3);
}
sub rand6 {
	my ($prefix, $len) = @_;	# random address inside prefix/len
	my ($f, $b) = bits("$prefix/$len");
	$b .= join('', map { int(rand(2)) } 1 .. 128 - $len);
	return inet_ntop(AF_INET6, pack('B*', $b));
}
# the address n after ip (n may be negative)
sub step {
	my ($ip, $n) = @_;
	my $v6 = $ip =~ /:/;
	my $bin = inet_pton($v6 ? AF_INET6 : AF_INET, $ip);
	my @w = unpack('N*', $bin);
	my $i = $#w;
	$w[$i] += $n;
	while ($i > 0 && ($w[$i] > 0xffffffff || $w[$i] < 0)) {
		my $c = $w[$i] < 0 ? -1 : 1;
		$w[$i] -= $c * 4294967296;
		$w[--$i] += $c;
	}
	return inet_ntop($v6 ? AF_INET6 : AF_INET, pack('N*', @w));
}
# first and last address of a CIDR
sub ends {
	my ($cidr) = @_;
	my ($ip, $len) = split m{/}, $cidr;
	my $v6 = $ip =~ /:/;
	my ($f, $b) = bits($cidr);
	my $n = $v6 ? 128 : 32;
	my $lo = pack('B*', $b . ('0' x ($n - $len)));
	my $hi = pack('B*', $b . ('1' x ($n - $len)));
	my $af = $v6 ? AF_INET6 : AF_INET;
	return (inet_ntop($af, $lo), inet_ntop($af, $hi));
}
sub rand_in {
	my ($cidr) = @_;
	my ($ip, $len) = split m{/}, $cidr;
	if ($ip =~ /:/) {
		return rand6($ip, $len);
	}
	my ($f, $b) = bits($cidr);
	$b .= join('', map { int(rand(2)) } 1 .. 32 - $len);
	return inet_ntop(AF_INET, pack('B*', $b));
}

my %M;	# cidr => {excl, code, reason}
# Ranges: reasons without '$' except one (compared modulo the '$', see
# same_txt).  IPv4 /16, /20, /24, nested; IPv6 /48, /62, /64.
my @RANGES = (
	['10.20.0.0/16', '127.0.0.2', 'sixteen'],
	['10.20.9.0/24', '127.0.0.4', 'nested twenty-four'],
	['172.16.16.0/20', '127.0.0.2', 'twenty'],
	['203.0.113.0/24', '127.0.0.3', 'twenty-four'],
	['198.51.100.0/24', undef, undef],		# the default reason: '$'
	['2001:db8:1:2::/64', '127.0.0.2', 'v6 sixty-four'],
	['2001:db8:aa::/48', '127.0.0.3', 'v6 forty-eight'],
	['2001:db8:cc::/62', '127.0.0.2', 'v6 sixty-two'],
);
my @EXCL = ('10.20.7.7', '10.20.5.0/24', '172.16.20.9', '198.51.100.128',
    '2001:db8:aa:1::5', '2001:db8:1:2::ff', '192.0.2.99');	# last: alone
$M{$_->[0]} = { code => $_->[1], reason => $_->[2] } for @RANGES;
$M{$_} = { excl => 1 } for @EXCL;

my @CODES = ('127.0.0.2', '127.0.0.3', '127.0.0.5', '127.0.0.10');
sub new_single {
	my ($ip) = @_;
	my $r = int(rand(4));
	$M{$ip} = { code => $CODES[int(rand(@CODES))],
	    reason => $r == 0 ? undef : $r == 1 ? 'relay at $ -- see $' :
	    $r == 2 ? "plain reason $ip" : 'q"uote\\d ;semi' };
}
my %taken;
for (1 .. 700) {
	my $ip;
	do { $ip = rand4(11, 99) } while $taken{$ip}++;
	new_single($ip);
}
for (1 .. 100) {
	new_single(rand6('2001:db8:100::', 48));
}

sub datafile {
	my ($path) = @_;
	my $t = '';
	for my $net (sort keys %M) {
		my $e = $M{$net};
		if ($e->{excl}) {
			$t .= "!$net\n";
			next;
		}
		$t .= $net;
		$t .= " :$e->{code}:" . ($e->{reason} // '') if $e->{code};
		$t .= "\n";
	}
	Secondary::spew($path, $t);
}

# The names asked, each with the types asked: [name, type, ip].
sub names {
	my (@ips) = @_;
	my @q;
	for my $ip (@ips) {
		my $n = ($ip =~ /:/ ? rev6($ip) : rev4($ip)) . ".$ZONE";
		push @q, [$n, 'A', $ip], [$n, 'TXT', $ip];
	}
	return @q;
}

sub all_names {
	my @ips;
	for my $net (sort keys %M) {
		my $e = $M{$net};
		if ($net !~ m{/}) {
			push @ips, $net;
			push @ips, step($net, 1) if rand() < 0.3;
			next;
		}
		my ($lo, $hi) = ends($net);
		push @ips, $lo, $hi, step($lo, -1), step($hi, 1);
		push @ips, rand_in($net) for 1 .. 20;
	}
	push @ips, rand4(100, 126) for 1 .. 150;	# listed nowhere
	push @ips, rand6('2001:db8:f000::', 36) for 1 .. 40;
	# RFC 5782 test points (IPv4 and IPv6; the only IPv4-mapped names
	# asked: orbl-dnsd answers other IPv4-mapped names from its IPv4
	# data, the zone has only the test points there)
	push @ips, '127.0.0.2', '127.0.0.1', '::ffff:127.0.0.2',
	    '::ffff:127.0.0.1';
	my %seen;
	my @q = names(grep { !$seen{$_}++ } @ips);
	push @q, map { [$ZONE, $_, undef] } qw(SOA NS A TXT AAAA);
	# listed names with a type they do not have: NODATA
	push @q, map { [$_->[0], 'AAAA', $_->[2]] } @q[0 .. 9];
	return @q;
}

# ---------------------------------------------------------------------
# Comparing answers.

sub rr_key {
	my ($rr) = @_;
	(my $rd = $rr->rdstring) =~ s/;[^\n]*//g;
	return lc($rr->owner) . ' ' . $rr->ttl . ' ' . $rr->type . ' ' .
	    join(' ', split(' ', $rd));
}

# What a reply says, comparably: rcode, the answer RRs sorted, the SOA
# of the authority section of a negative answer.
sub summary {
	my ($p) = @_;
	return { rcode => 'no reply' } unless $p;
	my $s = { rcode => $p->header->rcode,
	    answer => [sort map { rr_key($_) } $p->answer] };
	$s->{auth} = [sort map { rr_key($_) } grep { $_->type eq 'SOA' }
	    $p->authority] unless $p->header->ancount;
	$s->{txt} = [sort map { join('', $_->txtdata) } grep
	    { $_->type eq 'TXT' } $p->answer];
	return $s;
}

sub show {
	my ($s) = @_;
	return "$s->{rcode} [" . join('; ', @{$s->{answer} // []}) . ']' .
	    ($s->{auth} && @{$s->{auth}} ? ' auth [' . join('; ', @{$s->{auth}}) . ']' : '');
}

# The TXT of a name a wildcard answers: a '$' of the reason is the
# entry's CIDR in the zone where orbl-dnsd says the queried address.
sub same_txt_modulo_dollar {
	my ($ref, $sec, $ip) = @_;
	return 0 unless defined $ip && @$ref == 1 && @$sec == 1;
	my @parts = split /\Q$ip\E/, $ref->[0], -1;
	return 0 if @parts < 2;
	my $re = join('([0-9a-f:.]+/\d+)', map { quotemeta } @parts);
	my @cidr = $sec->[0] =~ /^$re$/ or return 0;
	my %u = map { $_ => 1 } @cidr;
	return keys %u == 1 && (covering(\%M, $ip))[0] eq $cidr[0];
}

# Compare one secondary with orbl-dnsd for the queries @q; returns the
# mismatches (text) and counts of the accepted differences.
sub compare {
	my ($s, @q) = @_;
	my $rr = $o->resolver(edns => 4096, timeout => 3);
	my $rs = $s->resolver(edns => 4096, timeout => 3);
	my (@bad, %ok);
	for my $q (@q) {
		my ($name, $type, $ip) = @$q;
		my $a = summary($rr->send($name, $type, 'IN'));
		my $b = summary($rs->send($name, $type, 'IN'));
		my $same = $a->{rcode} eq $b->{rcode} &&
		    "@{$a->{answer}}" eq "@{$b->{answer}}" &&
		    "@{$a->{auth} // []}" eq "@{$b->{auth} // []}";
		if ($same) {
			$ok{same}++;
			next;
		}
		if ($type eq 'TXT' && $a->{rcode} eq 'NOERROR' &&
		    $b->{rcode} eq 'NOERROR' &&
		    same_txt_modulo_dollar($a->{txt}, $b->{txt}, $ip)) {
			$ok{'TXT $ of a wildcard'}++;
			next;
		}
		if (defined $ip && excluded_in_range(\%M, $ip) &&
		    $a->{rcode} eq 'NXDOMAIN' && $b->{rcode} eq 'NOERROR' &&
		    !grep({ / A / } @{$b->{answer}}) &&
		    ($type ne 'TXT' || @{$b->{txt}} == 1)) {
			$ok{'excluded in a range: NOERROR without A'}++;
			next;
		}
		push @bad, "$name $type: orbl-dnsd " . show($a) . "\n    " .
		    $s->kind . ' ' . show($b);
	}
	return (\@bad, \%ok);
}

sub compare_ok {
	my ($s, $what, @q) = @_;
	my ($bad, $ok) = compare($s, @q);
	my $n = @q;
	ok(!@$bad, $s->kind . ": answers like orbl-dnsd for $n queries " .
	    "($what)") or diag(scalar(@$bad) . " mismatches, the first 30:\n" .
	    join("\n", @$bad[0 .. ($#$bad < 29 ? $#$bad : 29)]));
	note($s->kind . ': ' . join(', ', map { "$_ $ok->{$_}" }
	    sort keys %$ok));
}

# ---------------------------------------------------------------------
# The primary.

my $knotp;	# Knot as the primary (ORBL_XFR_PRIMARY=knot)
my $zonefile = $o->dir . '/export.zone';

sub export_zone {
	my $r = $o->ctl('export', '--format', 'zone', '--no-progress', '-o',
	    "$zonefile.new");
	die "orblctl export: $r->{err}" if $r->{rc};
	rename("$zonefile.new", $zonefile) or die "rename: $!";
}

# orblctl import --replace of the model; then (knot) export and reload.
# Returns the new serial.
sub commit {
	my ($what) = @_;
	my $f = $o->dir . '/data.txt';
	datafile($f);
	my $r = $o->ctl('import', $f, '--format', 'rbldnsd', '--replace',
	    '--no-progress');
	is($r->{rc}, 0, "orblctl import --replace ($what)") or
	    diag($r->{err});
	note($r->{out});
	my $serial = $o->serial;
	# orbl-dnsd, the reference, serves it (its loader polls)
	if ($o->pid) {
		ok(defined wait_until(60, 0.02, sub { orbl_serial() == $serial }),
		    "orbl-dnsd serves serial $serial");
	}
	if ($knotp) {
		export_zone();
		ok($knotp->reload($serial, 60), "knot (primary) serves serial " .
		    "$serial") or diag($knotp->log_tail(20));
	}
	return $serial;
}

sub orbl_serial {
	my $p = $o->query($ZONE, 'SOA', timeout => 1) or return -1;
	my ($soa) = grep { $_->type eq 'SOA' } $p->answer;
	return $soa ? $soa->serial : -1;
}

sub primary_port { $knotp ? $knotp->port : $o->port }

# kdig against the primary: returns {rc, out, err} (kdig's own text).
sub kdig {
	my (@args) = @_;
	return $o->run_cmd([Secondary::find_prog('kdig'), '@127.0.0.1', '-p',
	    primary_port(), '+tcp', '+timeout=5', '+retry=0', @args],
	    timeout => 60);
}

sub ykey {
	my ($k, %o) = @_;
	return ('-y', "$k->{alg}:" . ($o{name} // $k->{name}) . ':' .
	    ($o{secret} // $k->{secret}));
}

# The records of a kdig transfer answer, [owner, type, rdata] each, in
# order (TSIG left out).
sub xfr_records {
	my ($text) = @_;
	my @r;
	for (split /\n/, $text) {
		next if /^;/ || !/\S/;
		my ($owner, $ttl, $class, $type, $rdata) = split ' ', $_, 5;
		next if $type eq 'TSIG';
		push @r, [$owner, $type, $rdata // ''];
	}
	return @r;
}

# ---------------------------------------------------------------------
# a. the data, orbl-dnsd, the primary, the secondaries.

my $serial0 = commit('the initial list');
ok($serial0 > 0, "serial $serial0");
unless (ok($o->start, 'orbl-dnsd starts')) {
	done_testing;
	exit 1;
}

if ($MODE eq 'knot') {
	export_zone();
	$knotp = Secondary->new(kind => 'knot', role => 'primary', zone => $ZONE,
	    zonefile => $zonefile, keys => [values %KEY], port => $pport,
	    notify => [map { [$S{$_}->port, $KEY{$_}] } @KINDS]);
	unless (ok($knotp->start, 'knot (primary) starts')) {
		diag($knotp->error);
		done_testing;
		exit 1;
	}
	is($knotp->serial, $serial0, "knot (primary) serves serial $serial0");
}

for my $k (@KINDS) {
	ok($S{$k}->start, "$k starts") or diag($S{$k}->error);
}

# -- b. the first transfer, then the answers
for my $k (@KINDS) {
	my $t = $S{$k}->wait_serial($serial0, 60);
	ok(defined $t, "$k: transferred the zone, serial $serial0") or
	    diag($S{$k}->log_tail(30));
	note(sprintf("%s: serial %d after %.2f s", $k, $serial0, $t // -1));
}
my @Q = all_names();
compare_ok($S{$_}, 'after the first transfer', @Q) for @KINDS;

# -- c. 1,000 changes in one commit: NOTIFY, IXFR, the same answers
{
	my @single4 = grep { !m{/|:} && !$M{$_}{excl} } sort keys %M;
	my @single6 = grep { /:/ && !m{/} && !$M{$_}{excl} } sort keys %M;
	my $n = 0;
	for my $ip (@single4[0 .. 299]) {	# 300 removed
		delete $M{$ip};
		$n++;
	}
	for my $ip (@single4[300 .. 349]) {	# 50 new codes
		$M{$ip}{code} = $M{$ip}{code} eq '127.0.0.5' ? '127.0.0.6' :
		    '127.0.0.5';
		$n++;
	}
	delete $M{$_}, $n++ for @single6[0 .. 19];	# 20 IPv6 removed
	for (1 .. 580) {				# 580 added
		my $ip;
		do { $ip = rand4(11, 99) } while $taken{$ip}++;
		new_single($ip);
		$n++;
	}
	new_single(rand6('2001:db8:100::', 48)), $n++ for 1 .. 46;
	# a range, an exclusion inside it; an exclusion in an old range
	$M{'100.100.16.0/20'} = { code => '127.0.0.2', reason => 'new twenty' };
	$M{'100.100.20.20'} = { excl => 1 };
	$M{'10.20.200.0/24'} = { excl => 1 };
	delete $M{'203.0.113.0/24'};
	$n += 4;
	is($n, 1000, '1,000 changes');
}
my %mark = map { $_ => $S{$_}->log_mark } @KINDS;
my $omark = $o->log_mark;
my $t0 = time;
my $serial1 = commit('1,000 changes');
my $commit_s = time - $t0;
ok($serial1 >= $serial0 + 1000, "the serial moved by at least 1,000 " .
    "($serial0 -> $serial1)");
my %took;
for my $k (@KINDS) {
	my $t = $S{$k}->wait_serial($serial1, 60);
	ok(defined $t, "$k: notified, serial $serial1") or
	    diag($S{$k}->log_tail(30));
	$took{$k} = $t;
}
note(sprintf('the commit took %.2f s; then serial %d at %s', $commit_s,
    $serial1, join(', ', map { sprintf('%s %.2f s', $_, $took{$_} // -1) }
    @KINDS)));
diag('not within 5 s of the commit: ' . join(', ', grep
    { !defined $took{$_} || $took{$_} + $commit_s > 5 } @KINDS))
    if grep { !defined $took{$_} || $took{$_} + $commit_s > 5 } @KINDS;

# Incremental: Knot and BIND say so in their logs.  NSD 4.6 logs no
# transfer type; it keeps what it got by IXFR (store-ixfr, never made
# from an AXFR: create-ixfr off) and serves it: an IXFR query from the
# old serial answered incrementally (SOA new, SOA old, ...) is the proof.
for my $k (qw(knot bind)) {
	my @x = $S{$k}->transfers($mark{$k});
	ok(@x && !grep({ $_->{type} ne 'IXFR' } @x),
	    "$k: its log says IXFR (" . join(' ', map { $_->{type} } @x) . ')')
	    or diag($S{$k}->log_since($mark{$k}));
}
{
	my $inc = $S{nsd}->incremental_from($serial0);
	ok($inc, "nsd: received an IXFR (it serves $serial0 -> $serial1 " .
	    "incrementally from what it stored)") or
	    diag($S{nsd}->log_since($mark{nsd}));
}
# orbl-dnsd's own account: three IXFRs of the difference
if ($MODE eq 'orbl') {
	my @l = grep { /xfr: IXFR $serial0 -> $serial1 to .*deletions/ }
	    split /\n/, $o->log_since($omark);
	is(scalar(@l), 3, "orbl-dnsd logged 3 IXFRs $serial0 -> $serial1") or
	    diag($o->log_since($omark));
}
@Q = all_names();
compare_ok($S{$_}, 'after 1,000 changes', @Q) for @KINDS;

# -- d. refusals (at the primary, with kdig; and a real secondary)
{
	my $k = $KEY{nsd};
	my $r = kdig(ykey($k), 'AXFR', $ZONE);
	my @rr = xfr_records($r->{out});
	ok(@rr > 10 && $rr[0][1] eq 'SOA' && $rr[-1][1] eq 'SOA',
	    'AXFR with the right key: SOA first and last (' . scalar(@rr) .
	    ' records)') or diag("$r->{out}\n$r->{err}");
	$r = kdig(ykey($k, secret => Secondary::secret(32)), 'AXFR', $ZONE);
	like("$r->{out}$r->{err}", qr/error 'BADSIG'/,
	    'a wrong secret: BADSIG');
	$r = kdig(ykey($k, name => 'nobody.key'), 'AXFR', $ZONE);
	like("$r->{out}$r->{err}", qr/error 'BADKEY'/,
	    'an unknown key name: BADKEY');
	$r = kdig('AXFR', $ZONE);
	like("$r->{out}$r->{err}",
	    $MODE eq 'orbl' ? qr/error 'REFUSED'/ : qr/error '(?:REFUSED|NOTAUTH)'/,
	    'no key where one is required: REFUSED');
	# (Knot says BADKEY: no rule of its ACL has that key for that
	# address)
	my $denied = $MODE eq 'orbl' ? qr/error 'REFUSED'/ :
	    qr/error '(?:REFUSED|NOTAUTH|BADKEY)'/;
	$r = kdig('-b', '127.0.0.2', ykey($k), 'AXFR', $ZONE);
	like("$r->{out}$r->{err}", $denied,
	    'AXFR from 127.0.0.2 (not in xfr_allow): REFUSED');
	$r = kdig('-b', '127.0.0.2', ykey($k), "IXFR=$serial0", $ZONE);
	like("$r->{out}$r->{err}", $denied, 'IXFR from 127.0.0.2: REFUSED');
	if ($MODE eq 'orbl') {
		# IXFR over UDP (RFC 1995 2): the SOA alone, signed, to one
		# that may transfer (it asks over TCP next); REFUSED to others
		$r = kdig(ykey($k), '+notcp', "IXFR=$serial0", $ZONE);
		@rr = xfr_records($r->{out});
		ok(@rr == 1 && $rr[0][1] eq 'SOA' &&
		    $r->{out} =~ /\bSOA\s+\S+\s+\S+\s+$serial1\b/ &&
		    $r->{out} =~ /\bTSIG\b/,
		    "IXFR over UDP: our SOA alone (serial $serial1), signed")
		    or diag("$r->{out}\n$r->{err}");
		$r = kdig('-b', '127.0.0.2', ykey($k), '+notcp',
		    "IXFR=$serial0", $ZONE);
		like("$r->{out}$r->{err}", $denied,
		    'IXFR over UDP from 127.0.0.2: REFUSED');
	}

	# An NSD with a wrong secret: the primary answers its SOA query or
	# transfer with a TSIG error, it never has the zone.
	my $w = Secondary->new(kind => 'nsd', zone => $ZONE,
	    primary => '127.0.0.1:' . primary_port(),
	    key => { %$k, secret => Secondary::secret(32) });
	ok($w->start, 'an nsd with a wrong secret starts') or diag($w->error);
	my $t = wait_until(30, 0.05, sub { $w->log_text =~
	    /bad tsig|tsig error|received error code (?:NOTAUTH|REFUSED)/i });
	ok(defined $t, 'it is refused (its log says why)') or
	    diag($w->log_text);
	is($w->serial, undef, 'it has no zone');
	$w->stop;
}

# -- e. behind the journal's horizon: a full transfer
{
	for my $k (@KINDS) {
		$S{$k}->ctl('raw', 'write', $ZONE) if $k eq 'nsd';
		$S{$k}->stop;
	}
	for (1 .. 30) {
		my $ip;
		do { $ip = rand4(11, 99) } while $taken{$ip}++;
		new_single($ip);
	}
	my $serial2 = commit('30 adds while the secondaries are down');
	if ($MODE eq 'orbl') {
		# The journal an hour old (no waiting for the clock), then
		# pruned at 30 minutes: nothing of it is kept
		$o->sql('UPDATE journal SET ts = ts - 3600');
		my $r = $o->ctl('prune', '--keep', '30m');
		is($r->{rc}, 0, 'orblctl prune --keep 30m') or diag($r->{err});
		note($r->{out});
		my ($h) = $r->{out} =~ /horizon serial (\d+)/;
		ok(defined $h && $h > $serial1, "the horizon (serial " .
		    ($h // '?') . ") is past the secondaries' $serial1") or
		    diag($r->{out});
	} else {
		# Knot forgets its journal (its own horizon): the same
		# situation for the secondaries
		my $r = $knotp->ctl('raw', 'zone-purge', '-f', $ZONE, '+journal');
		is($r->{rc}, 0, 'knotc zone-purge +journal') or diag($r->{out});
		$knotp->stop;
		ok($knotp->start, 'knot (primary) restarted without a journal');
	}
	my $r = kdig(ykey($KEY{bind}), "IXFR=$serial1", $ZONE);
	my @rr = xfr_records($r->{out});
	ok(@rr > 10 && $rr[0][1] eq 'SOA' && $rr[1][1] ne 'SOA' &&
	    $rr[-1][1] eq 'SOA', "IXFR from $serial1, behind the horizon: " .
	    'the whole zone (SOA, then not a SOA)') or
	    diag("$r->{out}\n$r->{err}");
	%mark = map { $_ => $S{$_}->log_mark } @KINDS;
	$omark = $o->log_mark;
	for my $k (@KINDS) {
		ok($S{$k}->start, "$k restarts at serial $serial1") or
		    diag($S{$k}->error);
		# (Knot asks its primary at once when it starts)
		my $s = $S{$k}->serial;
		ok(defined $s && ($s == $serial1 || $s == $serial2),
		    "$k: serves serial $serial1 (or already $serial2)");
	}
	# The NOTIFY went while they were down: they ask now (as they
	# would at their SOA refresh time)
	for my $k (@KINDS) {
		my $r = $S{$k}->ctl('refresh');
		is($r->{rc}, 0, "$k: refresh") or diag($r->{out});
	}
	for my $k (@KINDS) {
		my $t = $S{$k}->wait_serial($serial2, 60);
		ok(defined $t, "$k: caught up, serial $serial2") or
		    diag($S{$k}->log_tail(30));
	}
	for my $k (qw(knot bind)) {
		my @x = $S{$k}->transfers($mark{$k});
		ok(@x && $x[-1]{type} eq 'AXFR', "$k: its log says a full " .
		    'transfer (' . join(' ', map { $_->{type} } @x) . ')') or
		    diag($S{$k}->log_since($mark{$k}));
	}
	if ($MODE eq 'orbl') {
		# (a secondary may ask AXFR outright after its restart)
		my @l = split /\n/, $o->log_since($omark);
		my $whole = grep { /xfr: IXFR $serial1 -> $serial2 to .*whole zone/ } @l;
		my $axfr = grep { /xfr: AXFR serial $serial2 to / } @l;
		ok($whole >= 1 && $whole + $axfr >= 3, "orbl-dnsd logged " .
		    "IXFRs $serial1 -> $serial2 answered with the whole zone " .
		    "($whole) and AXFRs ($axfr)") or diag($o->log_since($omark));
	}
	my @few = @Q[grep { $_ % 5 == 0 } 0 .. $#Q];
	compare_ok($S{$_}, 'after a full transfer', @few) for @KINDS;
}

for my $k (@KINDS) {
	is($S{$k}->stop, 0, "$k stops");
}
$knotp->stop if $knotp;
$o->stop;

# -- f. no database loaded yet (missing): orbl-dnsd serves only the test
# points, and answers a transfer SERVFAIL rather than hand that out as
# the list
if ($MODE eq 'orbl') {
	my $e = Orbl->new(zones => [$ZONE], ipv6 => 0);
	$e->{conf}{database} = $e->dir . '/missing.db';
	$e->{conf}{xfr_allow} = ['127.0.0.1/32'];
	$e->write_conf;
	ok($e->start, 'an orbl-dnsd without its database starts') or
	    diag($e->log_text);
	my $r = $e->run_cmd([Secondary::find_prog('kdig'), '@127.0.0.1', '-p',
	    $e->port, '+tcp', '+timeout=5', '+retry=0', 'AXFR', $ZONE],
	    timeout => 60);
	like("$r->{out}$r->{err}", qr/error 'SERVFAIL'/,
	    'no database loaded: AXFR gets SERVFAIL');
	$e->stop;
}
done_testing;
