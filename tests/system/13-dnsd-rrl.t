#!/usr/bin/perl
# 13-dnsd-rrl.t -- response rate limiting of a real orbl-dnsd (two UDP
# workers sharing one table): a flood for one name from one /24 far above
# rrl_rate gets at most rate + rate/slip replies per second (counted, TC
# replies included), a bystander in another /24 is answered every time
# meanwhile, an rrl_exempt source and TCP are never limited, and the
# counters say what happened.
#
# Count-based: the replies are counted per one-second window of arrival.
# A window of ours may straddle two of the server's seconds, so a window
# may hold up to twice the per-second bound; the whole flood may hold the
# bound times its length in seconds plus two.  Nothing here asserts how
# fast anything is.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Socket qw(MSG_DONTWAIT);
use Time::HiRes qw(time);
use POSIX qw(floor);

use Net::DNS;
use Orbl qw(rev4 answer_of wait_until);

my ($RATE, $SLIP) = (20, 2);
my $BOUND = $RATE + int($RATE / $SLIP);		# replies per second
my $FLOOD = '127.0.5.10';			# the flooded /24
my $BYSTANDER = '127.0.6.1';			# another /24
my $EXEMPT = '127.0.7.7';

my $SECRET = 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=';
my $o = Orbl->new(conf => { rrl_rate => $RATE, rrl_slip => $SLIP,
    rrl_exempt => "$EXEMPT/32", workers => 2,
    tsig_key => "xfr.key hmac-sha256 $SECRET" });
$o->ctl_ok('add', '192.0.2.1');
my $NAME = rev4('192.0.2.1') . '.bl.test';
unless (ok($o->start, 'orbl-dnsd starts with rrl_rate = 20')) {
	done_testing;
	exit 1;
}

sub udp_from {
	my ($src) = @_;
	my $s = IO::Socket::IP->new(LocalHost => $src, PeerHost => '127.0.0.1',
	    PeerPort => $o->port, Proto => 'udp') or die "udp from $src: $!";
	return $s;
}

my $ID = 0;
sub query_bytes {
	my ($name) = @_;
	my $q = Net::DNS::Packet->new($name, 'A');
	$q->header->rd(0);
	$q->header->id(++$ID & 0xffff);
	return $q->data;
}

# One query and its reply (undef: none within $timeout s, 10).
sub ask {
	my ($s, $name, $timeout) = @_;
	send($s, query_bytes($name), 0) or die "send: $!";
	return undef unless IO::Select->new($s)->can_read($timeout // 10);
	my $buf;
	recv($s, $buf, 65535, 0) // return undef;
	return Net::DNS::Packet->new(\$buf);
}

# -- the flood: 8 sockets (8 source ports: the kernel spreads them over
# the two workers' SO_REUSEPORT sockets), sent as fast as we can, replies
# collected as they come; the bystander asks now and then.
my @fs = map { udp_from($FLOOD) } 1 .. 8;
my $sel = IO::Select->new(@fs);
my $by = udp_from($BYSTANDER);
my (@arrivals, $tc, $total_sent, $by_asked, $by_answered);
($tc, $total_sent, $by_asked, $by_answered) = (0, 0, 0, 0);
my $t0 = time;
my $q = query_bytes($NAME);

sub drain {
	for my $s (@fs) {
		my $buf;
		while (defined(recv($s, $buf, 65535, MSG_DONTWAIT))) {
			last unless length $buf;
			push @arrivals, time - $t0;
			$tc++ if (unpack('n', substr($buf, 2, 2)) >> 9) & 1;
		}
	}
}

my $N = 6000;
for my $i (1 .. $N) {
	send($fs[$i % @fs], $q, 0) and $total_sent++;
	drain() if $i % 16 == 0;
	if ($i % 600 == 0) {		# 10 bystander queries in all
		$by_asked++;
		# Like a resolver, it asks again when no reply came: the
		# kernel may drop a datagram when the flood fills the
		# server's socket buffer, which is no business of RRL's.
		my $p;
		for (1 .. 5) {
			last if $p = ask($by, $NAME, 2);
		}
		$by_answered++ if $p && !$p->header->tc &&
		    join(',', map { $_->address } answer_of($p, 'A')) eq
		    '127.0.0.2';
	}
}
my $t_sent = time - $t0;
# Wait until the server has read every datagram that reached it: its
# counter of datagrams in stops moving (the kernel may have dropped some
# of the flood, so it need not reach what we sent).
my $last = -1;
wait_until(60, 0.1, sub {
	drain();
	my $st = $o->stats or return 0;
	my $done = $st->{in} == $last;
	$last = $st->{in};
	return $done;
});
# A last look: nothing more arrives within two seconds.
while ($sel->can_read(2)) {
	drain();
}
my $dur = (@arrivals ? $arrivals[-1] : 0) > $t_sent ? $arrivals[-1] : $t_sent;
my %win;
$win{floor($_)}++ for @arrivals;
my ($worst) = sort { $b <=> $a } values %win;
$worst //= 0;
my $n = scalar @arrivals;
diag(sprintf("flood: %d queries in %.2f s, %d replies (%d TC), "
    . "per window: %s", $total_sent, $t_sent, $n, $tc,
    join(' ', map { "$_:$win{$_}" } sort { $a <=> $b } keys %win)));

cmp_ok($total_sent, '>=', $N * 0.9, 'the flood was sent');
cmp_ok($last, '>=', 5 * $n, 'the server received the flood far above the '
    . 'rate: 5 x more queries than it answered');
cmp_ok($n, '>', 0, 'the flood got replies (the limit lets some through)');
cmp_ok($worst, '<=', 2 * $BOUND, "no one-second window got more than "
    . "2 x (rate + rate/slip) = " . 2 * $BOUND . " replies");
cmp_ok($n, '<=', (floor($dur) + 2) * $BOUND, 'the whole flood got at most '
    . '(rate + rate/slip) per second it lasted, plus one second each side');
cmp_ok($tc, '>', 0, 'slip: some replies came truncated (TC)');
cmp_ok($n - $tc, '<=', (floor($dur) + 2) * $RATE,
    'full answers: at most rrl_rate per second');
is($by_answered, $by_asked, "the bystander in another /24 was answered "
    . "every time ($by_asked queries)");

my $s = $o->stats;
cmp_ok($s && $s->{'rrl-dropped'}, '>', 0, 'stats: rrl-dropped counted');
cmp_ok($s && $s->{'rrl-slipped'}, '>', 0, 'stats: rrl-slipped counted');
cmp_ok($s && $s->{'rrl-dropped'} + $s->{'rrl-slipped'}, '<=', $total_sent,
    'stats: no more limited than sent');

# -- exempt: a burst of 100 at once, all answered in full
{
	my @rs = burst($EXEMPT, query_bytes($NAME), 100);
	my $ok = grep { $_->{an} == 1 && !$_->{tc} && $_->{rcode} == 0 } @rs;
	is($ok, 100, 'rrl_exempt source: a burst of 100 all answered in full');
}

# -- DNS cookies: a valid server cookie exempts its source (it cannot be
# spoofed); a client cookie alone gets BADCOOKIE with a fresh server
# cookie where a cookie-less query would get a TC slip.
sub cookie_query {
	my ($cookie) = @_;
	my $q = query_bytes($NAME);
	substr($q, 10, 2) = pack('n', 1);		# ARCOUNT
	return $q . "\0" . pack('nnNn', 41, 1232, 0, 4 + length($cookie)) .
	    pack('nn', 10, length($cookie)) . $cookie;
}

# A raw reply: {rcode (extended), an, tc, cookie (the COOKIE option's
# data, when the OPT ends with it)}.
sub parse_reply {
	my ($buf) = @_;
	my ($f, $an, $ar) = (unpack('n6', $buf))[1, 3, 5];
	my %r = (an => $an, tc => ($f >> 9) & 1, rcode => $f & 15);
	if ($ar && length($buf) >= 12 + 28 &&
	    unpack('n', substr($buf, -28, 2)) == 10) {
		$r{cookie} = substr($buf, -24);
		# the OPT's TTL starts with the extended rcode, before RDLENGTH
		$r{rcode} |= unpack('C', substr($buf, -34, 1)) << 4;
	}
	return \%r;
}

# A burst of $n queries (bytes $q) from $src over 4 sockets, without
# waiting; the replies parsed, as many as came.
sub burst {
	my ($src, $q, $n) = @_;
	my @ss = map { udp_from($src) } 1 .. 4;
	my $bsel = IO::Select->new(@ss);
	send($ss[$_ % 4], $q, 0) for 1 .. $n;
	my @r;
	while (@r < $n && $bsel->can_read(3)) {
		for my $s2 ($bsel->can_read(0)) {
			my $buf;
			push @r, parse_reply($buf)
			    if defined recv($s2, $buf, 65535, MSG_DONTWAIT);
		}
	}
	return @r;
}

{
	my $src = '127.0.9.1';
	my $cc = pack('N2', 0x01020304, 0x05060708);
	my $p = ask(udp_from($src), $NAME);	# warm up: an ordinary query
	my $s1 = udp_from($src);
	send($s1, cookie_query($cc), 0);
	my $buf;
	my $r = IO::Select->new($s1)->can_read(10) && recv($s1, $buf, 65535, 0);
	$r = defined $buf ? parse_reply($buf) : {};
	is($r->{cookie} && length($r->{cookie}), 24, 'a client cookie: our '
	    . 'cookie in the reply');
	ok($r->{cookie} && substr($r->{cookie}, 0, 8) eq $cc,
	    '... starting with the client cookie');
	my $full = $r->{cookie} // $cc;
	my $before = $o->stats;
	my @rs = burst($src, cookie_query($full), 100);
	my $ok = grep { $_->{an} == 1 && !$_->{tc} && $_->{rcode} == 0 } @rs;
	is($ok, 100, 'valid server cookie: a burst of 100 all answered in full');
	my $after = $o->stats;
	cmp_ok($after->{'cookies-valid'} - $before->{'cookies-valid'}, '>=',
	    100, 'stats: 100 valid cookies');
	# the control: the same burst from the same /24 without the cookie
	@rs = burst('127.0.9.2', query_bytes($NAME), 100);
	$ok = grep { $_->{an} == 1 && !$_->{tc} } @rs;
	cmp_ok($ok, '<=', 2 * $RATE, 'the same burst without a cookie: '
	    . 'limited (control)');
	# a client cookie only, from a fresh /24: BADCOOKIE, no TC
	@rs = burst('127.0.10.1', cookie_query(pack('N2', 7, 8)), 100);
	my @bad = grep { $_->{rcode} == 23 } @rs;
	cmp_ok(scalar(@bad), '>', 0, 'client cookie only, over the rate: '
	    . 'BADCOOKIE replies');
	is(scalar(grep { $_->{tc} } @rs), 0, '... instead of TC');
	ok(!grep({ !$_->{cookie} || length($_->{cookie}) != 24 } @bad),
	    '... each with a fresh server cookie');
	cmp_ok(scalar(@rs), '<=', 2 * $BOUND, '... and the bound holds');
	$after = $o->stats;
	cmp_ok($after->{badcookie}, '>=', scalar(@bad), 'stats: badcookie');
}

# -- TSIG: a signature that verifies proves its source (a secondary of
# ours): not limited, like a valid cookie.  One that does not proves
# nothing: its NOTAUTH replies are limited like any others, so a forged
# TSIG is no way to reflect unlimited replies at a spoofed address.
sub signed_query {
	my ($key, $secret) = @_;
	my $q = Net::DNS::Packet->new($NAME, 'A');
	$q->header->rd(0);
	$q->header->id(++$ID & 0xffff);
	$q->sign_tsig(Net::DNS::RR->new(name => $key, type => 'TSIG',
	    algorithm => 'hmac-sha256', key => $secret));
	return $q->data;
}
{
	my @rs = burst('127.0.11.1', signed_query('xfr.key', $SECRET), 100);
	my $ok = grep { $_->{an} == 1 && !$_->{tc} && $_->{rcode} == 0 } @rs;
	is($ok, 100, 'a valid TSIG: a burst of 100 all answered in full');
	@rs = burst('127.0.12.1', signed_query('nobody.key', $SECRET), 100);
	my $notauth = grep { $_->{rcode} == 9 && !$_->{tc} } @rs;
	cmp_ok($notauth, '>', 0, 'an unknown key: NOTAUTH replies');
	cmp_ok(scalar(@rs), '<=', 2 * $BOUND, '... limited: at most twice '
	    . "the per-second bound ($BOUND) of 100");
}

# -- TCP is never limited: the flooded prefix, 100 pipelined queries
{
	my $t = IO::Socket::IP->new(LocalHost => $FLOOD, PeerHost => '127.0.0.1',
	    PeerPort => $o->port, Proto => 'tcp', Timeout => 10)
	    or die "tcp: $!";
	my $out = '';
	$out .= pack('n', length($_)) . $_ for map { query_bytes($NAME) } 1 .. 100;
	print $t $out;
	my $ok = 0;
	for (1 .. 100) {
		my $m = Orbl::tcp_read_msg($t, 20);
		last unless defined $m && length $m;
		my $p = Net::DNS::Packet->new(\$m);
		$ok++ if $p && $p->header->ancount == 1 && !$p->header->tc;
	}
	is($ok, 100, 'TCP from the flooded prefix: 100 of 100 answered');
}

$o->stop;
done_testing;
