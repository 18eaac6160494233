#!/usr/bin/perl
# 30-dnsd-tcp-edns.t -- EDNS0 and TCP of a real orbl-dnsd: OPT echo,
# BADVERS, RFC 7766 framing and pipelining, idle timeout, connection cap
# (the oldest idle connection makes room), the IPv6 listener.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);

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

# -- DNS cookies (RFC 7873, RFC 9018 server cookies), as dig sees them
SKIP: {
	my $dig = (grep { -x "$_/dig" } split(/:/, $ENV{PATH}), '/usr/bin')[0];
	skip 'no dig', 8 unless $dig;
	my @base = ("$dig/dig", '+norec', '+tries=1', '+time=5', '-p', $o->port,
	    '@127.0.0.1', $LISTED, 'A');
	my $r = $o->run_cmd([@base, '+cookie']);
	my ($cookie) = $r->{out} =~ /^; COOKIE: ([0-9a-f]+) \(good\)$/m;
	ok($cookie, 'dig +cookie: a cookie back, "good" (our client cookie)')
	    or diag($r->{out});
	$cookie //= '';
	is(length($cookie), 48, 'client cookie (8) + server cookie (16)');
	like(substr($cookie, 16), qr/^01000000[0-9a-f]{24}$/,
	    'RFC 9018 server cookie: version 1, reserved zero');
	like($r->{out}, qr/status: NOERROR.*\n(?s:.*)\s127\.0\.0\.2$/m,
	    'dig +cookie: answered');
	my $s0 = $o->stats;
	$r = $o->run_cmd([@base, "+cookie=$cookie"]);
	my ($back) = $r->{out} =~ /^; COOKIE: ([0-9a-f]+)/m;
	is($back, $cookie, 'the server cookie sent back is valid: echoed');
	my $s1 = $o->stats;
	is($s1 && $s0 && $s1->{'cookies-valid'} - $s0->{'cookies-valid'}, 1,
	    'stats: one valid cookie');
	# a wrong server cookie: a fresh one, still answered
	(my $bad = $cookie) =~ s/(.)$/$1 eq '0' ? '1' : '0'/e;
	$r = $o->run_cmd([@base, "+cookie=$bad"]);
	($back) = $r->{out} =~ /^; COOKIE: ([0-9a-f]+)/m;
	ok($back && $back ne $bad && substr($back, 0, 16) eq
	    substr($bad, 0, 16), 'a wrong server cookie: a new one instead');
	# malformed (RFC 7873 5.2.2): FORMERR
	$r = $o->run_cmd([@base, '+cookie=0011']);
	like($r->{out}, qr/status: FORMERR/, 'a 2-byte cookie: FORMERR');
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
		my $m = Orbl::tcp_read_msg($s, 20);
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
	my $r = Orbl::tcp_read_msg($s, 20);
	my $p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 4321, 'query split across three writes: answered');
	my ($t) = answer_of($p, 'TXT');
	is($t && join('', $t->txtdata), 'listed 192.0.2.1', 'and right');

	# A big answer over TCP and then EOF from us: the answer still comes.
	$d = Net::DNS::Packet->new('bl.test', 'NS');
	$d->header->id(4322);
	syswrite($s, pack('n', length $d->data) . $d->data);
	shutdown($s, 1);
	$r = Orbl::tcp_read_msg($s, 20);
	$p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 4322, 'query then half-close: still answered');
	ok(defined Orbl::wait_eof($s, 20), 'then the server closes');
	close($s);

	# A zero length message: the connection is closed.
	$s = $o->tcp_connect;
	syswrite($s, "\0\0");
	my $e = Orbl::wait_eof($s, 15);
	ok(defined $e, 'zero-length TCP message: connection closed');
	close($s);

	# Garbage over TCP: no answer, the connection is closed (not hung).
	$s = $o->tcp_connect;
	syswrite($s, "\0\5" . "\xff" x 5);
	$e = Orbl::wait_eof($s, 15);
	ok(defined $e, 'garbage over TCP: connection closed');
	close($s);

	# A query over TCP through Net::DNS.
	$p = $o->query($LISTED, 'A', tcp => 1);
	is(join(',', map { $_->address } answer_of($p, 'A')), '127.0.0.2',
	    'Net::DNS over TCP: answered');
}

# The server has seen our closes: it holds no connection any more.
ok($o->wait_tcp_closed, 'every connection closed on the server side too');

# -- idle timeout (tcp_idle_timeout = 2s).  These wait for the server's
# timer; which timer closed a connection is read from its counters, and
# which connection outlived which from the connections themselves.  No
# bound on the clock either way (a loaded machine may be slow).
{
	my $st0 = $o->stats;
	my $s = $o->tcp_connect;
	my $p = $o->query($LISTED, 'A');
	ok($p && !Orbl::is_closed($s, 0),
	    'an idle connection stays open while another query is answered');
	my $e = Orbl::wait_eof($s, 30);
	ok(defined $e, 'idle connection closed by the server');
	close($s);
	my $st1 = $o->stats;
	is($st1 && $st1->{'idle-closed'}, ($st0->{'idle-closed'} // 0) + 1,
	    '... by the idle timer (idle-closed counted)');

	# The timer restarts at every query: connection B, asking one query
	# after another, outlives connection A, silent, which the server
	# accepted after B.  A timer that kept its start would close B
	# first (libevent fires the earlier deadline first).  Waiting for
	# A's EOF is the pause between B's queries.
	local $SIG{PIPE} = 'IGNORE';
	my $accepted = sub {
		my ($n) = @_;
		return defined wait_until(30, 0.05, sub {
			my $st = $o->stats;
			$st && $st->{accepted} >= $n;
		});
	};
	my $ask = sub {
		my ($sock, $id) = @_;
		my $d = Net::DNS::Packet->new($LISTED, 'A');
		$d->header->id($id);
		syswrite($sock, pack('n', length $d->data) . $d->data) or
		    return 0;
		my $r = Orbl::tcp_read_msg($sock, 20);
		my $ans = defined $r && length $r ?
		    Net::DNS::Packet->new(\$r) : undef;
		return $ans && $ans->header->id == $id ? 1 : 0;
	};
	$st0 = $o->stats;
	my $busy = $o->tcp_connect;
	ok($accepted->($st0->{accepted} + 1), 'B (busy) accepted');
	my $silent = $o->tcp_connect;
	ok($accepted->($st0->{accepted} + 2), 'then A (silent) accepted');
	my ($n, $alive, $eof) = (0, 1, undef);
	while ($alive && $n < 1000 &&
	    !defined($eof = Orbl::wait_eof($silent, 0.1))) {
		$alive = $ask->($busy, 2000 + $n);
		$n++;
	}
	ok($alive && $n > 0, "B answered every one of its $n queries");
	ok(defined $eof, 'A closed by the server meanwhile');
	ok($alive && !Orbl::is_closed($busy, 0),
	    'B, accepted first, still open: its timer restarted at its queries');
	ok($ask->($busy, 3999), '... and it still answers');
	$st1 = $o->stats;
	is($st1 && $st1->{'idle-closed'}, $st0->{'idle-closed'} + 1,
	    'one idle close, A\'s');
	close($silent);
	close($busy);

	# A client trickling a partial message is idle too.
	$st0 = $o->stats;
	$s = $o->tcp_connect;
	syswrite($s, "\0\x20\0\1");
	$e = Orbl::wait_eof($s, 30);
	ok(defined $e, sprintf('partial message: closed (%.2f s)', $e // -1));
	close($s);
	$st1 = $o->stats;
	is($st1 && $st1->{'idle-closed'}, ($st0->{'idle-closed'} // 0) + 1,
	    '... by the idle timer');
	is($st1 && $st1->{bad}, $st0->{bad}, '... not as a bad message');
}

ok($o->wait_tcp_closed, 'no connection left on the server side');

# The connection cap and silent clients: on a second server whose idle
# timeout (60 s) cannot close anything while they run, so that what made
# room is read from its counters, not from the clock.
my $c = Orbl->new(conf => { tcp_idle_timeout => '60s', tcp_max_clients => 4 });
$c->ctl_ok('add', '192.0.2.1', '--reason', 'listed $');
ok($c->start, 'a second orbl-dnsd, tcp_idle_timeout = 60s') or do {
	done_testing;
	exit 1;
};

# -- the connection cap (tcp_max_clients = 4)
{
	my $st0 = $c->stats;
	my @c;
	push @c, $c->tcp_connect for 1 .. 4;
	is(scalar(grep { defined } @c), 4, '4 idle connections open');
	# Accepted in that order (one listener, FIFO): the server holds all
	# four before the 5th comes.
	my $acc = wait_until(30, 0.05, sub {
		my $st = $c->stats;
		$st && $st->{accepted} >= $st0->{accepted} + 4;
	});
	ok(defined $acc, 'the server accepted all four');
	my $s5 = $c->tcp_connect;
	ok($s5, '5th connection accepted');
	my $d = Net::DNS::Packet->new($LISTED, 'A');
	$d->header->id(555);
	syswrite($s5, pack('n', length $d->data) . $d->data);
	my $r = Orbl::tcp_read_msg($s5, 20);
	my $p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 555, '5th connection at the cap gets an answer');
	my $st1 = $c->stats;
	is($st1 && $st1->{evicted}, $st0->{evicted} + 1,
	    'room made by evicting one connection');
	is($st1 && $st1->{'idle-closed'}, $st0->{'idle-closed'},
	    '... not by an idle timeout');
	ok(Orbl::is_closed($c[0], 20), 'the oldest idle connection was closed');
	my @open = grep { !Orbl::is_closed($c[$_], 0) } 1 .. 3;
	is(scalar(@open), 3, 'the other three are still open');
	# The 2nd is alive: a query on it is answered.
	$d->header->id(556);
	syswrite($c[1], pack('n', length $d->data) . $d->data);
	$r = Orbl::tcp_read_msg($c[1], 20);
	$p = defined $r && length $r ? Net::DNS::Packet->new(\$r) : undef;
	is($p && $p->header->id, 556, 'a surviving connection still answers');
	close($_) for grep { defined } @c, $s5;
}

ok($c->wait_tcp_closed, 'every connection closed on the server side too');

# -- silent clients do not block others: answered while they are still
# connected and silent (nothing closed them meanwhile).
{
	my $st0 = $c->stats;
	my @idle = map { $c->tcp_connect } 1 .. 3;
	syswrite($idle[2], "\0\x40");		# a length, then nothing
	my $p = $c->query($LISTED, 'A', timeout => 10);
	ok($p && $p->header->ancount, 'UDP answered while TCP clients sit silent');
	$p = $c->query($LISTED, 'A', tcp => 1, timeout => 10);
	ok($p && $p->header->ancount, 'TCP answered while TCP clients sit silent');
	is(scalar(grep { !Orbl::is_closed($_, 0) } @idle), 3,
	    'the silent clients are still connected');
	my $st1 = $c->stats;
	is($st1 && $st1->{'idle-closed'} + $st1->{evicted},
	    $st0->{'idle-closed'} + $st0->{evicted}, 'none of them was closed');
	close($_) for @idle;
}
$c->stop('orbl-dnsd (tcp_idle_timeout = 60s)');

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
