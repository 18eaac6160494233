#!/usr/bin/perl
# 30-dnsd-tcp-edns.t -- EDNS0 and TCP of a real orbl-dnsd: OPT echo,
# BADVERS, RFC 7766 framing and pipelining, idle timeout, connection cap
# (the oldest idle connection makes room), the IPv6 listener.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);

use Net::DNS;
use Orbl qw(rev4 rev6 wait_until answer_of dns_header make_query);

my $o = Orbl->new(conf => { tcp_idle_timeout => '2s', tcp_max_clients => 4 });
$o->ctl_ok('add', '192.0.2.1', '--reason', 'listed $');
$o->ctl_ok('add', '2001:db8::1');
unless (ok($o->start, 'orbl-dnsd starts and answers an apex SOA query')) {
	done_testing;
	exit 1;
}

my $LISTED = rev4('192.0.2.1') . '.bl.test';
my $UNLISTED = rev4('192.0.2.2') . '.bl.test';

# -- EDNS0
{
	my $p = $o->query($LISTED, 'A', edns => 4096);
	my ($opt) = grep { $_->type eq 'OPT' } $p ? $p->additional : ();
	ok($opt, 'EDNS query: OPT in the reply');
	is($opt && $opt->size, 1232, 'OPT: UDP payload size 1232');
	is($opt && $opt->version, 0, 'OPT: version 0');
	is($p && $p->header->rcode, 'NOERROR', 'EDNS query: NOERROR');
	is(join(',', map { $_->address } answer_of($p, 'A')), '127.0.0.2',
	    'EDNS query: answered');
	is(scalar(grep { $_->type eq 'OPT' } $p ? $p->additional : ()), 1,
	    'exactly one OPT');

	$p = $o->query($LISTED, 'A');
	ok($p && !grep({ $_->type eq 'OPT' } $p->additional),
	    'no OPT in the reply to a query without one');

	$p = $o->query($UNLISTED, 'A', edns => 1232);
	($opt) = grep { $_->type eq 'OPT' } $p ? $p->additional : ();
	ok($p && $p->header->rcode eq 'NXDOMAIN' && $opt,
	    'NXDOMAIN with EDNS: OPT too');

	my $q = Net::DNS::Packet->new($LISTED, 'A');
	$q->edns->size(1232);
	$q->edns->version(1);
	$p = $o->query($q);
	($opt) = grep { $_->type eq 'OPT' } $p ? $p->additional : ();
	ok($opt, 'EDNS version 1: OPT in the reply');
	is($p && $p->header->rcode, 'BADVERS', 'EDNS version 1: BADVERS (16)');
	is($opt && $opt->version, 0, 'BADVERS reply says version 0');
	is($p && $p->header->ancount, 0, 'BADVERS: no answer');

	# The same by hand, to read the extended rcode bits ourselves.
	my $opt_rr = "\x00" . pack('nnNn', 41, 1232, 0x00010000, 0);
	my $r = $o->raw_udp(make_query(id => 99, name => $LISTED,
	    arcount => 1, extra => $opt_rr));
	my $h = dns_header($r);
	ok($h && $h->{ar} == 1, 'raw EDNS version 1: one additional');
	if ($h && $h->{ar} == 1) {
		# OPT is the last RR: ... TYPE CLASS TTL RDLEN (no options)
		my ($type, $size, $ttl) = unpack('nnN', substr($r, -10, 8));
		is($type, 41, 'raw: OPT last');
		is(($ttl >> 24) << 4 | $h->{rcode}, 16,
		    'raw: extended rcode = 16 (BADVERS)');
	}

	# Two OPT records: FORMERR (RFC 6891 6.1.1).
	$r = $o->raw_udp(make_query(id => 100, name => $LISTED, arcount => 2,
	    extra => "\x00" . pack('nnNn', 41, 1232, 0, 0) .
	    "\x00" . pack('nnNn', 41, 1232, 0, 0)));
	$h = dns_header($r);
	is($h && $h->{rcode}, 1, 'two OPT records: FORMERR');
}

# -- TCP: framing, pipelining
{
	my @q = map { Net::DNS::Packet->new($_->[0], $_->[1]) }
	    ([$LISTED, 'A'], [$LISTED, 'TXT'], [$UNLISTED, 'A'],
	     ['bl.test', 'SOA'], ['example.com', 'A'], [$LISTED, 'MX']);
	my %want = (0 => 'NOERROR/1', 1 => 'NOERROR/1', 2 => 'NXDOMAIN/0',
	    3 => 'NOERROR/1', 4 => 'REFUSED/0', 5 => 'NOERROR/0');
	$q[$_]->header->id(1000 + $_) for 0 .. $#q;
	my $s = $o->tcp_connect;
	ok($s, 'TCP connect') or do { done_testing; exit 1 };
	my $all = join('', map { my $d = $_->data; pack('n', length $d) . $d } @q);
	is(syswrite($s, $all), length($all), "@{[scalar @q]} pipelined queries in one write");
	my %got;
	for (1 .. @q) {
		my $m = Orbl::tcp_read_msg($s, 3);
		last unless defined $m && length $m;
		my $p = Net::DNS::Packet->new(\$m);
		next unless $p;
		$got{$p->header->id - 1000} = $p->header->rcode . '/' .
		    $p->header->ancount;
	}
	is_deeply(\%got, \%want, 'every pipelined query answered, IDs matching');

	# One query split across writes: inside the length, then the body.
	my $d = Net::DNS::Packet->new($LISTED, 'TXT');
	$d->header->id(4321);
	my $m = pack('n', length $d->data) . $d->data;
	syswrite($s, substr($m, 0, 1));
	sleep(0.15);
	syswrite($s, substr($m, 1, 7));
	sleep(0.15);
	syswrite($s, substr($m, 8));
	my $r = Orbl::tcp_read_msg($s, 3);
	my $p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 4321, 'query split across three writes: answered');
	my ($t) = answer_of($p, 'TXT');
	is($t && join('', $t->txtdata), 'listed 192.0.2.1', 'and right');

	# A big answer over TCP and then EOF from us: the answer still comes.
	$d = Net::DNS::Packet->new('bl.test', 'NS');
	$d->header->id(4322);
	syswrite($s, pack('n', length $d->data) . $d->data);
	shutdown($s, 1);
	$r = Orbl::tcp_read_msg($s, 3);
	$p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 4322, 'query then half-close: still answered');
	ok(defined Orbl::wait_eof($s, 3), 'then the server closes');
	close($s);

	# A zero length message: the connection is closed.
	$s = $o->tcp_connect;
	syswrite($s, "\0\0");
	my $e = Orbl::wait_eof($s, 1.5);
	ok(defined $e, 'zero-length TCP message: connection closed');
	close($s);

	# Garbage over TCP: no answer, the connection is closed (not hung).
	$s = $o->tcp_connect;
	syswrite($s, "\0\5" . "\xff" x 5);
	$e = Orbl::wait_eof($s, 1.5);
	ok(defined $e, 'garbage over TCP: connection closed');
	close($s);

	# A query over TCP through Net::DNS.
	$p = $o->query($LISTED, 'A', tcp => 1);
	is(join(',', map { $_->address } answer_of($p, 'A')), '127.0.0.2',
	    'Net::DNS over TCP: answered');
}

sleep(0.2);	# let the server see our closes

# -- idle timeout (tcp_idle_timeout = 2s)
{
	my $s = $o->tcp_connect;
	my $t0 = time;
	my $e = Orbl::wait_eof($s, 5);
	ok(defined $e, 'idle connection closed by the server');
	ok(defined $e && $e >= 1.0 && $e <= 3.5,
	    sprintf('... after ~2 s (%.2f s)', $e // -1));
	close($s);

	# Idle after an answer: the timer restarts at the answer.
	$s = $o->tcp_connect;
	sleep(1.2);
	my $d = Net::DNS::Packet->new($LISTED, 'A');
	syswrite($s, pack('n', length $d->data) . $d->data);
	my $r = Orbl::tcp_read_msg($s, 2);
	ok(defined $r && length $r, 'query after 1.2 s idle: answered');
	$e = Orbl::wait_eof($s, 5);
	ok(defined $e && $e >= 1.0,
	    sprintf('idle timer restarted by the query (closed %.2f s after the answer)',
	    $e // -1));
	close($s);

	# A client trickling a partial message is idle too.
	$s = $o->tcp_connect;
	syswrite($s, "\0\x20\0\1");
	$e = Orbl::wait_eof($s, 5);
	ok(defined $e && $e <= 3.5, sprintf('partial message: closed after '
	    . 'the idle timeout (%.2f s)', $e // -1));
	close($s);
}

sleep(0.2);

# -- the connection cap (tcp_max_clients = 4)
{
	my @c;
	for my $i (1 .. 4) {
		push @c, $o->tcp_connect;
		sleep(0.05);
	}
	is(scalar(grep { defined } @c), 4, '4 idle connections open');
	my $t0 = time;
	my $s5 = $o->tcp_connect;
	ok($s5, '5th connection accepted');
	my $d = Net::DNS::Packet->new($LISTED, 'A');
	$d->header->id(555);
	syswrite($s5, pack('n', length $d->data) . $d->data);
	my $r = Orbl::tcp_read_msg($s5, 1.5);
	my $p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 555, '5th connection at the cap gets an answer');
	ok(time - $t0 < 1, 'promptly (before any idle timeout)');
	ok(Orbl::is_closed($c[0], 0.3), 'the oldest idle connection was closed');
	my @open = grep { !Orbl::is_closed($c[$_], 0) } 1 .. 3;
	is(scalar(@open), 3, 'the other three are still open');
	# The 2nd is alive: a query on it is answered.
	$d->header->id(556);
	syswrite($c[1], pack('n', length $d->data) . $d->data);
	$r = Orbl::tcp_read_msg($c[1], 1);
	$p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 556, 'a surviving connection still answers');
	close($_) for grep { defined } @c, $s5;
}

sleep(0.2);

# -- silent clients do not block others
{
	my @idle = map { $o->tcp_connect } 1 .. 3;
	syswrite($idle[2], "\0\x40");		# a length, then nothing
	my $t0 = time;
	my $p = $o->query($LISTED, 'A', timeout => 1);
	ok($p && $p->header->ancount, 'UDP answered while TCP clients sit silent');
	$p = $o->query($LISTED, 'A', tcp => 1, timeout => 1);
	ok($p && $p->header->ancount, 'TCP answered while TCP clients sit silent');
	ok(time - $t0 < 1, 'both promptly');
	close($_) for @idle;
}

# -- IPv6 listener
SKIP: {
	skip('::1 not available on this host', 6) unless $o->has_ipv6;
	my $p = $o->query($LISTED, 'A', server => '::1');
	is(join(',', map { $_->address } answer_of($p, 'A')), '127.0.0.2',
	    '[::1] UDP: IPv4 listing answered');
	$p = $o->query(rev6('2001:db8::1') . '.bl.test', 'A', server => '::1');
	is(join(',', map { $_->address } answer_of($p, 'A')), '127.0.0.2',
	    '[::1] UDP: IPv6 listing answered');
	ok($p && $p->header->aa, '[::1] UDP: AA');
	$p = $o->query($LISTED, 'TXT', server => '::1', tcp => 1);
	my ($t) = answer_of($p, 'TXT');
	is($t && join('', $t->txtdata), 'listed 192.0.2.1', '[::1] TCP: answered');
	$p = $o->query($UNLISTED, 'A', server => '::1', tcp => 1);
	is($p && $p->header->rcode, 'NXDOMAIN', '[::1] TCP: NXDOMAIN');
	my $r = $o->raw_udp(pack('C*', 1, 2, 3, 4, 5), server => '::1',
	    timeout => 0.5);
	ok(!defined $r, '[::1] garbage: no reply');
}

$o->stop;
done_testing;
