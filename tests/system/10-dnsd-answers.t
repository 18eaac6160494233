#!/usr/bin/perl
# 10-dnsd-answers.t -- what a real orbl-dnsd answers: listings, ranges,
# exclusions, IPv6, test points, negative answers, apex data, header
# flags, malformed and garbage packets, truncation.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 rev6 wait_until answer_of txt_of dns_header make_query);

my $LONG = '$ ' . join(' ', map { sprintf('word%03d', $_) } 1 .. 74) . ' $';
my $o = Orbl->new(zones => ['bl.test', 'relays.test'],
    conf => { default_reason => $LONG });
my @Z = $o->zones;

my $R1 = 'Open relay at $ -- see https://orbl.example/lookup?ip=$';
$o->ctl_ok('add', '192.0.2.1', '--reason', $R1);
$o->ctl_ok('add', '192.0.2.5', '--code', '127.0.0.5', '--reason', 'custom code');
$o->ctl_ok('add', '198.51.100.0/24', '--reason', 'range $');
$o->ctl_ok('add', '198.51.100.128', '--exclude');
$o->ctl_ok('add', '10.0.0.0/8', '--reason', 'ten');
$o->ctl_ok('add', '10.1.0.0/16', '--exclude');
$o->ctl_ok('add', '10.1.2.0/24', '--code', '127.0.0.3', '--reason', 'ten-one-two');
$o->ctl_ok('add', '2001:db8::1', '--reason', 'v6 single $');
$o->ctl_ok('add', '2001:db8:1:2::/64', '--code', '127.0.0.4', '--reason', 'v6 range');
$o->ctl_ok('add', '192.0.2.77');	# default reason: 600+ characters

unless (ok($o->start, 'orbl-dnsd starts and answers an apex SOA query')) {
	done_testing;
	exit 1;
}

sub nm {
	my ($ip, $zone) = @_;
	return ($ip =~ /:/ ? rev6($ip) : rev4($ip)) . ".$zone";
}

sub expand {
	my ($t, $ip) = @_;
	(my $r = $t) =~ s/\$/$ip/g;
	return $r;
}

# Listed: A = code, TXT = text (string or regexp), AA, NOERROR.
sub listed {
	my ($zone, $ip, $code, $txt, $what) = @_;
	my $name = nm($ip, $zone);
	my $a = $o->query($name, 'A');
	my $t = $o->query($name, 'TXT');

	subtest "$what: $ip listed in $zone" => sub {
		ok($a, 'A: a reply') or return;
		is($a->header->rcode, 'NOERROR', 'A: NOERROR');
		ok($a->header->aa, 'A: AA set');
		my @a = answer_of($a, 'A');
		is(scalar(@a), 1, 'A: one A record');
		is($a[0] && $a[0]->address, $code, "A: $code");
		is($a[0] && lc($a[0]->name), lc($name), 'A: owner is the qname');
		ok($t, 'TXT: a reply') or return;
		is($t->header->rcode, 'NOERROR', 'TXT: NOERROR');
		my @t = answer_of($t, 'TXT');
		is(scalar(@t), 1, 'TXT: one TXT record');
		if (ref $txt) {
			like($t[0] && txt_of($t[0]), $txt, 'TXT: reason');
		} else {
			is($t[0] && txt_of($t[0]), $txt, 'TXT: reason');
		}
	};
}

# Apex SOA of a zone (for the negative TTL checks).
my %SOA;
for my $z (@Z) {
	my $p = $o->query($z, 'SOA');
	($SOA{$z}) = answer_of($p, 'SOA');
}

# Negative: rcode, no answer, the zone's SOA in authority with the
# RFC 2308 TTL.
sub negative {
	my ($zone, $name, $rcode, $what, %o) = @_;
	my $p = $o->query($name, $o{type} // 'A');

	subtest "$what: $name -> $rcode" => sub {
		ok($p, 'a reply') or return;
		is($p->header->rcode, $rcode, $rcode);
		ok($p->header->aa, 'AA set');
		is($p->header->ancount, 0, 'no answer');
		my @soa = answer_of($p, 'SOA', 'authority');
		is(scalar(@soa), 1, 'SOA in authority');
		return unless @soa && $SOA{$zone};
		is(lc($soa[0]->name), $zone, 'SOA owner is the zone apex');
		my $min = $SOA{$zone}->ttl < $SOA{$zone}->minimum ?
		    $SOA{$zone}->ttl : $SOA{$zone}->minimum;
		is($soa[0]->ttl, $min,
		    'SOA TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308)');
		is($soa[0]->serial, $SOA{$zone}->serial, 'same serial as apex');
	};
}

my $serial = $o->serial;
for my $z (@Z) {
	# -- apex
	my $p = $o->query($z, 'SOA');
	my ($soa) = answer_of($p, 'SOA');
	ok($soa, "$z: apex SOA answered") and do {
		ok($p->header->aa, "$z: apex SOA: AA set");
		is($soa->serial, $serial, "$z: SOA serial = journal serial ($serial)");
		is(lc($soa->mname), 'ns1.orbl.example', "$z: SOA MNAME = first NS");
		is(lc($soa->rname), 'hostmaster@orbl.example',
		    "$z: SOA RNAME (Net::DNS shows it as a mailbox)");
		is($soa->minimum, 120, "$z: SOA MINIMUM = neg_ttl");
		is($soa->ttl, 600, "$z: SOA TTL = ttl");
	};
	$p = $o->query($z, 'NS');
	is_deeply([sort map { lc $_->nsdname } answer_of($p, 'NS')],
	    ['ns1.orbl.example', 'ns2.orbl.example'], "$z: apex NS");
	ok($p && $p->header->aa, "$z: apex NS: AA set");
	$p = $o->query($z, 'TXT');
	is($p && $p->header->rcode, 'NOERROR', "$z: apex TXT: NOERROR");
	is($p && $p->header->ancount, 0, "$z: apex TXT: NODATA");

	# -- listed
	listed($z, '192.0.2.1', '127.0.0.2', expand($R1, '192.0.2.1'),
	    'single IPv4, default code, $ replaced');
	listed($z, '192.0.2.5', '127.0.0.5', 'custom code', 'custom code');
	listed($z, '198.51.100.0', '127.0.0.2', 'range 198.51.100.0',
	    'CIDR first address');
	listed($z, '198.51.100.255', '127.0.0.2', 'range 198.51.100.255',
	    'CIDR last address');
	listed($z, '198.51.100.127', '127.0.0.2', 'range 198.51.100.127',
	    'CIDR next to the exclusion');
	negative($z, nm('198.51.99.255', $z), 'NXDOMAIN', 'just below the range');
	negative($z, nm('198.51.101.0', $z), 'NXDOMAIN', 'just above the range');
	negative($z, nm('198.51.100.128', $z), 'NXDOMAIN', 'exclusion in a range');
	listed($z, '10.2.3.4', '127.0.0.2', 'ten', 'outer range');
	negative($z, nm('10.1.3.4', $z), 'NXDOMAIN', 'excluded /16 in the /8');
	listed($z, '10.1.2.3', '127.0.0.3', 'ten-one-two',
	    'most specific wins: /24 in excluded /16 in /8');
	listed($z, '2001:db8::1', '127.0.0.2', 'v6 single 2001:db8::1',
	    'single IPv6');
	negative($z, nm('2001:db8::2', $z), 'NXDOMAIN', 'IPv6 next to single');
	listed($z, '2001:db8:1:2::abcd', '127.0.0.4', 'v6 range', 'IPv6 /64');
	listed($z, '2001:db8:1:2:ffff:ffff:ffff:ffff', '127.0.0.4', 'v6 range',
	    'IPv6 /64 last address');
	negative($z, nm('2001:db8:1:3::', $z), 'NXDOMAIN', 'just above the /64');
	negative($z, nm('2001:db8:1:1:ffff:ffff:ffff:ffff', $z), 'NXDOMAIN',
	    'just below the /64');
	listed($z, '::ffff:192.0.2.1', '127.0.0.2',
	    qr/^Open relay at (?:::ffff:)?(?:192\.0\.2\.1|c000:201) /,
	    'IPv4-mapped IPv6 from the IPv4 data');
	listed($z, '::ffff:10.1.2.3', '127.0.0.3', 'ten-one-two',
	    'IPv4-mapped IPv6, most specific');
	negative($z, nm('::ffff:198.51.100.128', $z), 'NXDOMAIN',
	    'IPv4-mapped IPv6 of an exclusion');

	# -- RFC 5782 test points
	listed($z, '127.0.0.2', '127.0.0.2', qr/./, 'test point');
	listed($z, '::ffff:7f00:2', '127.0.0.2', qr/./, 'IPv6 test point');
	negative($z, nm('127.0.0.1', $z), 'NXDOMAIN', 'test point never listed');
	negative($z, nm('::ffff:7f00:1', $z), 'NXDOMAIN',
	    'IPv6 test point never listed');

	# -- negative answers, empty non-terminals
	negative($z, nm('192.0.2.200', $z), 'NXDOMAIN', 'not listed');
	negative($z, nm('2001:db8:ffff::1', $z), 'NXDOMAIN', 'IPv6 not listed');
	for my $ent ("0.0.127.$z", "0.127.$z", "127.$z", "2.0.192.$z",
	    "0.192.$z", "8.b.d.0.1.0.0.2.$z") {
		negative($z, $ent, 'NOERROR', 'empty non-terminal (NODATA)');
	}
	negative($z, "5.5.5.$z", 'NXDOMAIN', 'nothing below');
	negative($z, "a.b.$z", 'NXDOMAIN', 'not an address name');
	negative($z, "1.1.1.1.1.$z", 'NXDOMAIN', 'five IPv4 labels');
	negative($z, nm('192.0.2.1', $z), 'NOERROR', 'MX at a listed name',
	    type => 'MX');
	negative($z, nm('192.0.2.1', $z), 'NOERROR', 'AAAA at a listed name',
	    type => 'AAAA');

	# -- ANY: minimal (RFC 8482)
	$p = $o->query(nm('192.0.2.1', $z), 'ANY');
	subtest "$z: ANY at a listed name: minimal non-empty answer" => sub {
		ok($p, 'a reply') or return;
		is($p->header->rcode, 'NOERROR', 'NOERROR');
		ok($p->header->ancount >= 1, 'non-empty answer');
		my %types = map { $_->type => 1 } $p->answer;
		is(scalar(keys %types), 1, 'one RRset (' .
		    join(',', sort keys %types) . ')');
		ok(!grep({ !/^(A|TXT|HINFO)$/ } keys %types),
		    'of type A, TXT or HINFO');
	};
}

# -- header flags
{
	my $n = nm('192.0.2.1', 'bl.test');
	my $p = $o->query($n, 'A', rd => 1);
	ok($p && $p->header->rd, 'RD=1 copied into the reply');
	ok($p && !$p->header->ra, 'RA not set (not a resolver)');
	$p = $o->query($n, 'A', rd => 0);
	ok($p && !$p->header->rd, 'RD=0 copied into the reply');

	for my $name ('example.com', 'test', 'xbl.test', 'bl.test.example.com',
	    'com') {
		$p = $o->query($name, 'A');
		is($p && $p->header->rcode, 'REFUSED', "outside our zones: $name -> REFUSED");
		ok($p && !$p->header->aa, "outside our zones: $name: AA clear");
	}

	# Mixed case in the question: answered, question echoed as sent.
	my $q = make_query(id => 4242, name => '1.2.0.192.Bl.TeST');
	my $r = $o->raw_udp($q);
	my $h = dns_header($r);
	ok($h && $h->{rcode} == 0 && $h->{an} >= 1,
	    'mixed-case qname answered');
	is($r && substr($r, 12, length($q) - 12), substr($q, 12),
	    'question echoed byte for byte (0x20 case kept)');
}

# -- malformed, garbage, other opcodes
{
	my $hdr = pack('n6', 0x1234, 0, 1, 0, 0, 0);
	my $r = $o->raw_udp($hdr . "\x03abc\x02bl");	# truncated name
	my $h = dns_header($r);
	ok($h, 'truncated question name: a reply');
	is($h && $h->{rcode}, 1, 'truncated question name: FORMERR');
	is($h && $h->{id}, 0x1234, 'truncated question name: ID kept');
	ok($h && $h->{qr}, 'truncated question name: QR set');

	$r = $o->raw_udp(pack('n6', 0x2345, 0, 1, 0, 0, 0) .
	    "\x02bl\x04test\x00");			# no type/class
	$h = dns_header($r);
	is($h && $h->{rcode}, 1, 'question without type and class: FORMERR');

	$r = $o->raw_udp(pack('n6', 0x3456, 0, 1, 0, 0, 0) .
	    "\xc0\x0c" . pack('nn', 1, 1));		# compression pointer
	$h = dns_header($r);
	is($h && $h->{rcode}, 1, 'compression pointer in the question: FORMERR');
	is($h && $h->{id}, 0x3456, 'compression pointer: ID kept');

	$r = $o->raw_udp(pack('n6', 0x3457, 0, 1, 0, 0, 0) .
	    "\x02bl\xc0\x0c" . pack('nn', 1, 1));	# pointer after a label
	$h = dns_header($r);
	is($h && $h->{rcode}, 1, 'compression pointer after a label: FORMERR');

	$r = $o->raw_udp(pack('C*', map { int(rand(256)) } 1 .. 5),
	    timeout => 0.7);
	ok(!defined $r, '5 random bytes: no reply');
	$r = $o->raw_udp("\x12", timeout => 0.5);
	ok(!defined $r, '1 byte: no reply');
	$r = $o->raw_udp(make_query(qr => 1, name => 'bl.test', qtype => 6),
	    timeout => 0.7);
	ok(!defined $r, 'a packet with QR=1: no reply');

	for my $op ([4, 'NOTIFY'], [2, 'STATUS'], [5, 'UPDATE']) {
		$r = $o->raw_udp(make_query(id => 777 + $op->[0],
		    opcode => $op->[0], name => 'bl.test', qtype => 6));
		$h = dns_header($r);
		is($h && $h->{rcode}, 4, "opcode $op->[1] ($op->[0]): NOTIMP");
		is($h && $h->{id}, 777 + $op->[0], "opcode $op->[1]: ID kept");
		is($h && $h->{opcode}, $op->[0], "opcode $op->[1]: opcode echoed");
	}

	listed('bl.test', '192.0.2.1', '127.0.0.2', expand($R1, '192.0.2.1'),
	    'after the garbage');
	kill 'USR1', $o->pid;
	my $line;
	wait_until(20, 0.05, sub {
		($line) = grep { /SIGUSR1/ } split /\n/, $o->log_text;
		return $line;
	});
	ok($line, 'SIGUSR1 logs the counters');
	my ($dropped) = ($line // '') =~ /dropped (\d+)/;
	ok(($dropped // 0) >= 3, 'the dropped garbage is counted (' .
	    ($dropped // 'none') . ')');
}

# -- a reply bigger than 512 bytes
{
	my $n = nm('192.0.2.77', 'bl.test');
	my $want = expand($LONG, '192.0.2.77');
	my $r = $o->raw_udp(make_query(id => 512, name => $n, qtype => 16));
	my $h = dns_header($r);
	ok($h && $h->{tc}, 'long TXT over UDP without EDNS: TC=1');
	ok($r && length($r) <= 512, 'and at most 512 bytes (' .
	    length($r // '') . ')');
	is($h && $h->{id}, 512, 'TC reply: ID kept');
	my $p = $o->query($n, 'TXT', tcp => 1);
	my ($t) = answer_of($p, 'TXT');
	ok($p && !$p->header->tc, 'long TXT over TCP: TC=0');
	is($t && txt_of($t), $want, 'long TXT over TCP: complete');
	ok($t && !grep({ length($_) > 255 } $t->txtdata),
	    'long TXT: character-strings of at most 255 bytes');
	$p = $o->query($n, 'TXT', edns => 1232);
	($t) = answer_of($p, 'TXT');
	ok($p && !$p->header->tc, 'long TXT over UDP with EDNS 1232: TC=0');
	is($t && txt_of($t), $want, 'long TXT over UDP with EDNS 1232: complete');
	$p = $o->query($n, 'A');
	is(join(',', map { $_->address } answer_of($p, 'A')), '127.0.0.2',
	    'its A record still fits without EDNS');
}

# -- test points hold against the data
{
	$o->ctl_ok('add', '127.0.0.0/8', '--code', '127.0.0.9', '--reason', 'lo');
	$o->ctl_ok('add', '127.0.0.1', '--reason', 'never');
	my $t = wait_until(30, 0.05, sub {
		my $p = $o->query(nm('127.0.0.3', 'bl.test'), 'A');
		return $p && $p->header->ancount;
	});
	ok(defined $t, '127.0.0.0/8 added: 127.0.0.3 listed');
	for my $z (@Z) {
		my $p = $o->query(nm('127.0.0.1', $z), 'A');
		is($p && $p->header->ancount, 0,
		    "$z: 127.0.0.1 not listed after adding 127/8 and 127.0.0.1");
		$p = $o->query(nm('::ffff:7f00:1', $z), 'A');
		is($p && $p->header->ancount, 0, "$z: ::ffff:7f00:1 not listed either");
		$p = $o->query(nm('127.0.0.1', $z), 'TXT');
		is($p && $p->header->ancount, 0, "$z: 127.0.0.1 has no TXT");
		listed($z, '127.0.0.2', '127.0.0.2', qr/./,
		    'test point 127.0.0.2 keeps code 127.0.0.2');
	}
}

$o->stop;
done_testing;
