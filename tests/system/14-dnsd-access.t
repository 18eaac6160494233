#!/usr/bin/perl
# 14-dnsd-access.t -- the query access rules of a real orbl-dnsd:
# query_allow / query_deny with each query_deny_action (refuse, drop,
# blocked: A 127.255.255.254 and a TXT saying why) and query_daily_limit
# (127.255.255.255 "excessive number of queries"), over UDP and TCP, from
# allowed and denied sources on different loopback addresses (127.0.0.x
# and ::1).  Also the NS names' addresses (ns = NAME ADDR...) and the -n
# checks of the new keys.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::IP;

use Net::DNS;
use Orbl qw(rev4 answer_of txt_of);

# A key of ours (a secondary's): a query it signs proves its source.
my $SECRET = 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=';
my $o = Orbl->new(conf => {
	ns => ['ns1.bl.test 192.0.2.53 2001:db8::53', 'ns2.orbl.example'],
	query_allow => ['127.0.0.0/25', '::1'],
	query_deny => '127.0.0.66',
	query_deny_action => 'refuse',
	tsig_key => "xfr.key hmac-sha256 $SECRET",
});
$o->ctl_ok('add', '192.0.2.1', '--reason', 'listed $');
my $LISTED = rev4('192.0.2.1') . '.bl.test';
my $UNLISTED = rev4('192.0.2.2') . '.bl.test';

# One query from source address $src; the reply packet, or undef when
# none came within $o{timeout} (a "no reply" is confirmed by a counter).
sub ask {
	my ($src, $name, $type, %o) = @_;
	my $server = $src =~ /:/ ? '::1' : '127.0.0.1';
	my $q = Net::DNS::Packet->new($name, $type // 'A');
	$q->header->rd(0);
	$q->sign_tsig(Net::DNS::RR->new(name => $o{sign}[0], type => 'TSIG',
	    algorithm => 'hmac-sha256', key => $o{sign}[1])) if $o{sign};
	my $data = $q->data;
	my $buf;
	if ($o{tcp}) {
		my $s = IO::Socket::IP->new(LocalHost => $src,
		    PeerHost => $server, PeerPort => $o->port, Proto => 'tcp',
		    Timeout => 10) or die "tcp from $src: $!";
		print $s pack('n', length($data)) . $data;
		my $hdr = Orbl::read_n($s, 2, $o{timeout} // 10);
		return undef unless defined $hdr && length($hdr) == 2;
		$buf = Orbl::read_n($s, unpack('n', $hdr), 10);
	} else {
		my $s = IO::Socket::IP->new(LocalHost => $src,
		    PeerHost => $server, PeerPort => $o->port, Proto => 'udp')
		    or die "udp from $src: $!";
		send($s, $data, 0) or die "send: $!";
		return undef unless IO::Select->new($s)->can_read($o{timeout} // 10);
		recv($s, $buf, 65535, 0) // return undef;
	}
	return defined $buf && length $buf ? Net::DNS::Packet->new(\$buf) :
	    undef;
}

sub a_of {
	my ($p) = @_;
	return join(',', map { $_->address } answer_of($p, 'A'));
}

# -- configuration checks (-n): bad values are errors naming the key
{
	my $bin = Orbl::bindir() . '/orbl-dnsd';
	my $r = $o->run_cmd([$bin, '-n', '-c', $o->conffile]);
	is($r->{rc}, 0, '-n: the test configuration is fine') or diag($r->{err});
	unlike($r->{err}, qr/warning/, '-n: no warning: the in-zone NS has an '
	    . 'address');
	my %bad = (
		query_allow => ['10.0.0.0/33', qr/query_allow.*10\.0\.0\.0\/33/],
		query_deny => ['not-an-address', qr/query_deny.*not-an-address/],
		query_deny_action => ['maybe', qr/query_deny_action.*maybe/],
		rrl_prefix4 => ['33', qr/rrl_prefix4.*33/],
		rrl_prefix6 => ['0', qr/rrl_prefix6/],
		rrl_exempt => ['192.0.2.1/8', qr/rrl_exempt/],
		ns => ['ns1.bl.test 192.0.2.300', qr/ns.*192\.0\.2\.300/],
	);
	for my $k (sort keys %bad) {
		my $f = $o->dir . "/bad-$k.conf";
		$o->write_conf({ %{$o->{conf}}, $k => $bad{$k}[0] }, $f);
		$r = $o->run_cmd([$bin, '-n', '-c', $f]);
		isnt($r->{rc}, 0, "-n: bad $k rejected");
		like($r->{err}, $bad{$k}[1], "-n: the message names $k");
	}
	my $f = $o->dir . '/warn.conf';
	$o->write_conf({ %{$o->{conf}}, ns => 'ns.bl.test' }, $f);
	$r = $o->run_cmd([$bin, '-n', '-c', $f]);
	is($r->{rc}, 0, '-n: an in-zone NS without an address is not an error');
	like($r->{err}, qr/warning: NS ns\.bl\.test is inside.*no address/,
	    '-n: ... but a warning');
}

# -- refuse
unless (ok($o->start, 'orbl-dnsd starts (query_deny_action = refuse)')) {
	done_testing;
	exit 1;
}
{
	my $p = ask('127.0.0.1', $LISTED);
	is($p && $p->header->rcode, 'NOERROR', 'allowed 127.0.0.1: NOERROR');
	is(a_of($p), '127.0.0.2', 'allowed 127.0.0.1: the listing');
	for my $src ('127.0.0.66', '127.0.0.200') {
		$p = ask($src, $LISTED);
		is($p && $p->header->rcode, 'REFUSED', "denied $src: REFUSED");
		is($p && $p->header->ancount, 0, "denied $src: no answer");
		$p = ask($src, $LISTED, 'A', tcp => 1);
		is($p && $p->header->rcode, 'REFUSED', "denied $src over TCP: "
		    . 'REFUSED');
	}
	$p = ask('127.0.0.1', $LISTED, 'A', tcp => 1);
	is(a_of($p), '127.0.0.2', 'allowed over TCP: the listing');
	if ($o->has_ipv6) {
		$p = ask('::1', $LISTED);
		is(a_of($p), '127.0.0.2', 'allowed ::1: the listing');
	}
	# The NS host's addresses
	$p = ask('127.0.0.1', 'ns1.bl.test', 'A');
	is(a_of($p), '192.0.2.53', 'ns1.bl.test A: its configured address');
	ok($p && $p->header->aa, 'ns1.bl.test A: authoritative');
	$p = ask('127.0.0.1', 'ns1.bl.test', 'AAAA');
	is(join(',', map { $_->address_short } answer_of($p, 'AAAA')),
	    '2001:db8::53', 'ns1.bl.test AAAA: its configured address');
	$p = ask('127.0.0.1', 'bl.test', 'NS');
	is(scalar(answer_of($p, 'NS')), 2, 'apex NS: both names');
	is(join(',', map { $_->name . '=' . $_->address }
	    answer_of($p, 'A', 'additional')), 'ns1.bl.test=192.0.2.53',
	    'apex NS: the in-zone name\'s A in the additional section');
	my $s = $o->stats;
	is($s && $s->{denied}, 4, 'stats: 4 queries denied');
	$o->stop;
}

# -- drop
$o->{conf}{query_deny_action} = 'drop';
$o->write_conf;
unless (ok($o->start, 'orbl-dnsd starts (query_deny_action = drop)')) {
	done_testing;
	exit 1;
}
{
	my $p = ask('127.0.0.66', $LISTED, 'A', timeout => 3);
	ok(!defined $p, 'drop: no reply to a denied source');
	my $s = $o->stats;
	is($s && $s->{denied}, 1, 'drop: the query was received and denied');
	$p = ask('127.0.0.66', $LISTED, 'A', tcp => 1, timeout => 10);
	ok(!defined $p, 'drop over TCP: closed without a reply');
	$s = $o->stats;
	is($s && $s->{denied}, 2, 'drop over TCP: denied');
	$p = ask('127.0.0.1', $LISTED);
	is(a_of($p), '127.0.0.2', 'drop: the allowed source is answered');
	# a TSIG that does not verify proves nothing: dropped all the same
	# (no NOTAUTH for a denied source); one that does is a secondary of
	# ours, answered (and signed) wherever it stands
	$p = ask('127.0.0.66', 'bl.test', 'SOA', timeout => 3,
	    sign => ['xfr.key', 'd3JvbmdzZWNyZXR3cm9uZ3NlY3JldHdyb25nc2VjcmV0']);
	ok(!defined $p, 'drop: a wrong TSIG from a denied source: no reply');
	$p = ask('127.0.0.66', 'bl.test', 'SOA', timeout => 3,
	    sign => ['nobody.key', $SECRET]);
	ok(!defined $p, 'drop: an unknown key from a denied source: no reply');
	$s = $o->stats;
	is($s && $s->{denied}, 4, 'drop: both denied');
	$p = ask('127.0.0.66', 'bl.test', 'SOA', sign => ['xfr.key', $SECRET]);
	ok($p && $p->header->rcode eq 'NOERROR' && answer_of($p, 'SOA') &&
	    grep({ $_->type eq 'TSIG' } $p->additional),
	    'drop: the key of ours from a denied source: answered, signed');
	$o->stop;
}

# -- blocked (::1 no longer allowed)
$o->{conf}{query_deny_action} = 'blocked';
$o->{conf}{query_allow} = '127.0.0.0/25';
$o->write_conf;
unless (ok($o->start, 'orbl-dnsd starts (query_deny_action = blocked)')) {
	done_testing;
	exit 1;
}
{
	for my $src ('127.0.0.66', '127.0.0.200') {
		for my $name ($LISTED, $UNLISTED, 'anything.bl.test') {
			my $p = ask($src, $name);
			is(a_of($p), '127.255.255.254',
			    "blocked $src: $name A 127.255.255.254");
		}
		my $p = ask($src, $UNLISTED, 'TXT');
		my ($t) = answer_of($p, 'TXT');
		like($t && txt_of($t), qr/\Q$src\E.*refused.*ask hostmaster\@orbl\.example/,
		    "blocked $src: the TXT says who, why and whom to ask");
		$p = ask($src, $LISTED, 'MX');
		is($p && $p->header->rcode . '/' . $p->header->ancount,
		    'NOERROR/0', "blocked $src: MX NODATA");
		$p = ask($src, 'bl.test', 'SOA');
		is(scalar(answer_of($p, 'SOA')), 1, "blocked $src: apex SOA "
		    . 'answered as usual');
		$p = ask($src, $LISTED, 'A', tcp => 1);
		is(a_of($p), '127.255.255.254', "blocked $src over TCP");
	}
	if ($o->has_ipv6) {
		my $p = ask('::1', $LISTED);
		is(a_of($p), '127.255.255.254', 'blocked ::1: 127.255.255.254');
		$p = ask('::1', $LISTED, 'TXT', tcp => 1);
		my ($t) = answer_of($p, 'TXT');
		like($t && txt_of($t), qr/^Queries from ::1 to bl\.test are refused/,
		    'blocked ::1 over TCP: the TXT names the IPv6 source');
	}
	my $p = ask('127.0.0.1', $LISTED);
	is(a_of($p), '127.0.0.2', 'blocked: the allowed source gets the listing');
	$p = ask('127.0.0.1', $UNLISTED);
	is($p && $p->header->rcode, 'NXDOMAIN', 'blocked: ... and NXDOMAIN');
	$o->stop;
}

# -- daily limit: per /32 here (rrl_prefix4), UDP and TCP together
delete $o->{conf}{$_} for qw(query_allow query_deny query_deny_action);
$o->{conf}{query_daily_limit} = 5;
$o->{conf}{rrl_prefix4} = 32;
$o->write_conf;
unless (ok($o->start, 'orbl-dnsd starts (query_daily_limit = 5)')) {
	done_testing;
	exit 1;
}
{
	# start() asked SOA from 127.0.0.1 until answered: use other sources.
	# UDP without a valid DNS cookie proves nothing of its source: it
	# has a count of its own and, beyond the limit, gets TC; only TCP
	# (or a valid cookie) is ever told 127.255.255.255.  So a spoofer
	# cannot spend a resolver's quota for it.
	my @a = map { a_of(ask('127.0.0.7', $LISTED, 'A')) } 1 .. 5;
	is(join(' ', @a), join(' ', ('127.0.0.2') x 5),
	    'daily limit: 5 UDP queries answered');
	my $p = ask('127.0.0.7', $LISTED);
	ok($p && $p->header->tc && !answer_of($p, 'A'),
	    'daily limit: the 6th over UDP (no cookie) gets TC, no answer');
	@a = map { a_of(ask('127.0.0.7', $LISTED, 'A', tcp => 1)) } 1 .. 5;
	is(join(' ', @a), join(' ', ('127.0.0.2') x 5),
	    'daily limit: ... over TCP the same source is answered (5 queries: '
	    . 'the UDP ones are not counted against it)');
	$p = ask('127.0.0.7', $LISTED, 'A', tcp => 1);
	is(a_of($p), '127.255.255.255', 'daily limit: the 6th over TCP gets '
	    . '127.255.255.255');
	$p = ask('127.0.0.7', $UNLISTED, 'TXT', tcp => 1);
	my ($t) = answer_of($p, 'TXT');
	like($t && txt_of($t), qr/^Excessive number of queries from 127\.0\.0\.7/,
	    'daily limit: the TXT');
	$p = ask('127.0.0.7', $LISTED);
	ok($p && $p->header->tc, 'daily limit: UDP from it still gets TC');
	$p = ask('127.0.0.8', $LISTED);
	is(a_of($p), '127.0.0.2', 'daily limit: another source is answered');
	my $s = $o->stats;
	is($s && $s->{excessive}, 2, 'stats: 2 excessive queries');
	is($s && $s->{'excessive-tc'}, 2, 'stats: 2 truncated for the limit');
	$o->stop;
}

done_testing;
