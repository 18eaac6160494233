#!/usr/bin/perl
# 60-check.t -- orblctl check: one address asked of several DNSBLs at once.
# Two real orbl-dnsd with different data (the second reached through a
# per-list server, ZONE@IP:PORT), a UDP black hole and a closed port (the
# timeout holds per list), REFUSED from a zone the server does not serve,
# and a small fake server (TC over UDP -> TCP, SERVFAIL, a dropped first
# query -> the retry, a bogus answer outside 127/8, a list's own error
# code 127.255.255.254, and a gate: lists it answers only once it has
# seen the queries of all of them, so they are answered only when every
# list is asked before any answer comes -- in parallel, not one after the
# other).  Nothing here measures time: what each server received, and in
# what order, shows how orblctl asked.  Exit codes 0/1/2, JSON, IPv4 and
# IPv6.  Every query goes to 127.0.0.1.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(_exit);
use Test::More;

use Net::DNS;
use Orbl qw(free_port);

my $a = Orbl->new(zones => ['bl.test', 'relays.test']);
$a->ctl_ok('add', '192.0.2.1', '--code', '127.0.0.3', '--reason',
    'open relay $ tested');
$a->ctl_ok('add', '2001:db8::5', '--code', '127.0.0.4');
my $b = Orbl->new(zones => ['other.test'], ipv6 => 0);
$b->ctl_ok('add', '198.51.100.7', '--reason', 'other list');
ok($a->start, 'orbl-dnsd A (bl.test, relays.test) answers') or BAIL_OUT('no dnsd');
ok($b->start, 'orbl-dnsd B (other.test) answers') or BAIL_OUT('no dnsd');
my ($ap, $bp) = ($a->port, $b->port);
my $res = "127.0.0.1:$ap";
my $other = "other.test\@127.0.0.1:$bp";

# A UDP socket nobody reads: queries vanish.  A port nobody listens on.
my $hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'udp') or die "udp: $!";
my $hp = $hole->sockport;
my $closed = free_port(0);

# --- a fake DNS server on UDP and TCP ----------------------------------
# The gate's lists: their queries are held, unanswered, until the A query
# of each of them has arrived; silent.test is one of them and is never
# answered at all.
my @GATE = qw(gate1.test gate2.test silent.test);

my $fp = free_port(0);
my $flog = $a->dir . '/fake.log';
my $fpid = fake_server($fp, $flog);
my $fake = "127.0.0.1:$fp";

# The reply to query $q: a Net::DNS::Packet, 'junk', 'hold' (the gate is
# shut: answer later) or undef (no answer).
sub fake_answer {
	my ($q, $tcp, $seen) = @_;
	my ($qq) = $q->question;
	my ($name, $type) = ($qq->qname, $qq->qtype);
	my $r = $q->reply;
	$r->header->aa(1);
	$r->header->rcode('NOERROR');	# reply() starts at FORMERR
	my $add = sub { $r->push(answer => Net::DNS::RR->new("$name 60 IN $_[0]")) };
	if ($name =~ /\.silent\.test$/) {
		return undef;
	} elsif ($name =~ /\.(gate\d\.test)$/) {
		return 'hold' if !$seen->{'gate open'};
		$add->('A 127.0.0.11') if $type eq 'A';
		$add->("TXT \"through the gate\"") if $type eq 'TXT';
	} elsif ($name =~ /\.refused\.test$/) {
		$r->header->rcode('REFUSED');
	} elsif ($name =~ /\.tc\.test$/) {
		if (!$tcp) {
			$r->header->tc(1);
			return $r;
		}
		$add->('A 127.0.0.9') if $type eq 'A';
		$add->('TXT "via tcp" "joined"') if $type eq 'TXT';
	} elsif ($name =~ /\.fail\.test$/) {
		$r->header->rcode('SERVFAIL');
	} elsif ($name =~ /\.retry\.test$/) {
		return undef if !$tcp && !$seen->{"$name/$type"}++;
		$add->('A 127.0.0.10') if $type eq 'A';
		$add->('TXT "second try"') if $type eq 'TXT';
	} elsif ($name =~ /\.bogus\.test$/) {
		$add->('A 192.0.2.99') if $type eq 'A';
	} elsif ($name =~ /\.limit\.test$/) {
		$add->('A 127.255.255.254') if $type eq 'A';
	} elsif ($name =~ /\.junk\.test$/) {
		return 'junk';
	} else {
		$r->header->rcode('NXDOMAIN');
	}
	return $r;
}

sub fake_server {
	my ($port, $log) = @_;
	my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port, Proto => 'udp') or die "fake udp: $!";
	my $t = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port, Proto => 'tcp', Listen => 5, ReuseAddr => 1)
	    or die "fake tcp: $!";
	my $pid = fork // die "fork: $!";
	return $pid if $pid;
	Orbl::die_with_parent();
	$SIG{TERM} = sub { _exit(0) };
	open(my $lf, '>>', $log) or _exit(1);
	$lf->autoflush(1);
	my (%seen, @held);
	my $sel = IO::Select->new($u, $t);
	for (;;) {
		for my $s ($sel->can_read(1)) {
			my ($buf, $tcp, $c) = ('', 0, undef);
			if ($s == $u) {
				my $peer = recv($u, $buf, 65535, 0) // next;
				$c = $peer;
			} else {
				$c = $t->accept or next;
				$tcp = 1;
				my $l = Orbl::read_n($c, 2, 2) // next;
				next if $l eq '';
				$buf = Orbl::read_n($c, unpack('n', $l), 2) // next;
			}
			my $q = eval { Net::DNS::Packet->new(\$buf) } or next;
			my ($qq) = $q->question;
			printf $lf "%s %s %s edns=%d rd=%d\n", $tcp ? 'tcp' : 'udp',
			    $qq->qname, $qq->qtype, $q->edns->size // 0,
			    $q->header->rd;
			$seen{gate}{$1} = 1 if $qq->qtype eq 'A' &&
			    $qq->qname =~ /\.([^.]+\.test)$/ &&
			    grep { $_ eq $1 } @GATE;
			my $r = fake_answer($q, $tcp, \%seen);
			my $hold = defined $r && !ref $r && $r eq 'hold';
			push @held, [$q, $c] if $hold;
			if (!$seen{'gate open'} &&
			    !grep { !$seen{gate}{$_} } @GATE) {
				# Every gated list was asked and none answered
				# yet: now answer what was held.
				$seen{'gate open'} = 1;
				print $lf "gate open\n";
				for my $h (splice @held) {
					my $hr = fake_answer($h->[0], 0, \%seen);
					send($u, $hr->data, 0, $h->[1]);
				}
			}
			next if !defined $r || $hold;
			# junk: the right id, a header, then a label past the end
			my $wire = ref $r ? $r->data : substr($buf, 0, 2) .
			    pack('n5', 0x8180, 1, 1, 0, 0) . "\x3fabc";
			if ($tcp) {
				print $c pack('n', length $wire) . $wire;
				close($c);
			} else {
				send($u, $wire, 0, $c);
			}
		}
	}
}

# --- helpers -------------------------------------------------------------
sub clean {
	my ($r, $name) = @_;
	unlike($r->{err}, qr/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/,
	    "$name: no sanitizer report") or diag($r->{err});
}

# check ARGS --json: (result, decoded JSON or undef)
sub check_json {
	my (@args) = @_;
	my $r = $a->ctl('check', @args, '--json');
	clean($r, "check @args");
	my $j = eval { decode_json($r->{out}) };
	ok($j, "check @args --json: parses") or
	    diag("rc $r->{rc}\nstdout: $r->{out}\nstderr: $r->{err}");
	return ($r, $j // {});
}

sub list_of {
	my ($j, $zone) = @_;
	my ($l) = grep { $_->{zone} eq $zone } @{$j->{lists} // []};
	return $l // {};
}

# --- listed in one list, not in another --------------------------------
my ($r, $j) = check_json('192.0.2.1', '--resolver', $res, '--lists',
    "bl.test,$other");
is($r->{rc}, 0, 'listed somewhere: exit 0');
is($j->{address}, '192.0.2.1', 'json: address');
ok($j->{listed}, 'json: listed is true');
is(scalar @{$j->{lists}}, 2, 'json: two lists, in the order given');
is($j->{lists}[0]{zone}, 'bl.test', 'json: first list first');
is_deeply([sort keys %$j], [qw(address answered listed lists)],
    'json: top-level keys');
is_deeply([sort keys %{$j->{lists}[0]}],
    [qw(codes error listed ms server txt zone)], 'json: per-list keys');
my $l = list_of($j, 'bl.test');
ok($l->{listed}, 'bl.test: listed');
is_deeply($l->{codes}, ['127.0.0.3'], 'bl.test: the A code');
is_deeply($l->{txt}, ['open relay 192.0.2.1 tested'], 'bl.test: the TXT');
is($l->{error}, undef, 'bl.test: no error');
is($l->{server}, $res, 'bl.test: asked at --resolver');
$l = list_of($j, 'other.test');
ok(!$l->{listed}, 'other.test: not listed (different data)');
is_deeply([$l->{codes}, $l->{txt}, $l->{error}], [[], [], undef],
    'other.test: no codes, no TXT, no error');
is($l->{server}, "127.0.0.1:$bp", 'other.test: asked at its own server');
is($j->{answered}, 2, 'json: both answered');

$r = $a->ctl('check', '192.0.2.1', '--resolver', $res, '--lists',
    "bl.test,$other,relays.test");
clean($r, 'text');
is($r->{rc}, 0, 'text: exit 0');
like($r->{out}, qr/^bl\.test\s+listed\s+\d+ ms\s+127\.0\.0\.3\s+"open relay 192\.0\.2\.1 tested"$/m,
    'text: listed line with code and TXT');
like($r->{out}, qr/^other\.test\s+not listed\s+\d+ ms$/m, 'text: not listed line');
like($r->{out}, qr/^relays\.test\s+listed\s+\d+ ms\s+127\.0\.0\.3 /m,
    'text: a second zone of the same server');
like($r->{out}, qr/^192\.0\.2\.1: listed in 2 of 3 lists$/m, 'text: summary');
my @cols = map { /^(\S+\s+)/ ? length $1 : -1 } grep { /ms/ } split /\n/, $r->{out};
ok(@cols == 3 && !grep({ $_ != $cols[0] } @cols), 'text: columns aligned')
    or diag($r->{out});

($r, $j) = check_json('198.51.100.7', '--resolver', $res, '--lists',
    "bl.test,$other");
is($r->{rc}, 0, 'listed only in the second list: exit 0');
ok(list_of($j, 'other.test')->{listed} && !list_of($j, 'bl.test')->{listed},
    'other.test listed, bl.test not');
is_deeply(list_of($j, 'other.test')->{txt}, ['other list'], 'its TXT');

($r, $j) = check_json('192.0.2.50', '--resolver', $res, '--lists',
    "bl.test,$other");
is($r->{rc}, 1, 'listed nowhere: exit 1');
ok(!$j->{listed} && $j->{answered} == 2, 'json: not listed, both answered');
is($r->{err}, '', 'listed nowhere is not an error: stderr empty');

# --- IPv6, IPv4-mapped, test points -----------------------------------
($r, $j) = check_json('2001:db8::5', '--resolver', $res, '--lists',
    "bl.test,$other");
is($r->{rc}, 0, 'IPv6 listed: exit 0');
is($j->{address}, '2001:db8::5', 'IPv6: address');
is_deeply(list_of($j, 'bl.test')->{codes}, ['127.0.0.4'],
    'IPv6: nibble name answered with its code');
ok(!list_of($j, 'other.test')->{listed}, 'IPv6: not in the other list');
($r, $j) = check_json('2001:db8::6', '--resolver', $res, '--lists', 'bl.test');
is($r->{rc}, 1, 'IPv6 not listed: exit 1');
($r, $j) = check_json('::ffff:192.0.2.1', '--resolver', $res, '--lists', 'bl.test');
is($r->{rc}, 0, 'IPv4-mapped IPv6 asked as IPv4: listed');
is($j->{address}, '192.0.2.1', 'IPv4-mapped: shown as IPv4');
($r, $j) = check_json('127.0.0.2', '--resolver', $res, '--lists',
    "bl.test,$other");
ok($r->{rc} == 0 && list_of($j, 'other.test')->{listed} &&
    list_of($j, 'bl.test')->{listed}, 'RFC 5782 test point 127.0.0.2: listed everywhere');
($r, $j) = check_json('127.0.0.1', '--resolver', $res, '--lists',
    "bl.test,$other");
is($r->{rc}, 1, 'test point 127.0.0.1: listed nowhere');

SKIP: {
	skip('no IPv6 on loopback', 3) unless $a->has_ipv6;
	($r, $j) = check_json('192.0.2.1', '--resolver', "[::1]:$ap",
	    '--lists', "bl.test,relays.test\@[::1]:$ap");
	is($r->{rc}, 0, 'servers on ::1: listed');
	is(list_of($j, 'bl.test')->{server}, "[::1]:$ap", '--resolver [::1]:PORT');
	ok(list_of($j, 'relays.test')->{listed}, 'ZONE@[::1]:PORT');
}

# --- silent and closed servers: the timeout, per list, in parallel -----
# What the black hole received since the last call: "NAME TYPE" => count.
sub hole_queries {
	my %n;
	$hole->blocking(0);
	while (defined(recv($hole, my $buf, 65535, 0))) {
		my $q = eval { Net::DNS::Packet->new(\$buf) } or next;
		my ($qq) = $q->question;
		$n{$qq->qname . ' ' . $qq->qtype}++;
	}
	$hole->blocking(1);
	return \%n;
}

# Seven lists, three of them behind the fake server's gate (answered only
# once the A queries of all three have arrived; silent.test never).  A
# client that waited for one list before asking the next could not get
# the gated lists answered, and would take the sum of the timeouts.
hole_queries();
($r, $j) = check_json('192.0.2.1', '--resolver', $res, '--timeout', '1.5',
    '--lists', "bl.test,dead.test\@127.0.0.1:$hp," .
    "closed.test\@127.0.0.1:$closed,$other,gate1.test\@$fake," .
    "silent.test\@$fake,gate2.test\@$fake");
is($r->{rc}, 0, 'dead lists do not hide a listing: exit 0');
for my $z (qw(gate1.test gate2.test)) {
	$l = list_of($j, $z);
	ok($l->{listed} && !defined $l->{error},
	    "$z: answered, so every list was asked before any answer came");
	is_deeply($l->{txt}, ['through the gate'], "$z: its TXT too");
}
my $fl = Orbl::slurp($flog);
my ($before) = $fl =~ /\A(.*?)^gate open$/ms;
ok(defined $before && (grep { $before =~ /^udp 1\.2\.0\.192\.$_ A /m }
    qw(gate1.test gate2.test silent.test)) == 3,
    'the fake server saw the queries of all gated lists before it answered')
    or diag($fl);
for my $z (qw(dead.test closed.test silent.test)) {
	$l = list_of($j, $z);
	is($l->{error}, 'timeout', "$z: error timeout");
	ok(!$l->{listed}, "$z: not listed");
}
my $hq = hole_queries();
my $zq = '1.2.0.192.dead.test';
ok($hq->{"$zq A"} && $hq->{"$zq TXT"},
    'dead.test: its A and TXT queries reached the silent server')
    or diag(explain($hq));
ok(($hq->{"$zq A"} // 0) <= 2 && ($hq->{"$zq TXT"} // 0) <= 2,
    'dead.test: each asked at most twice (one retry), then given up')
    or diag(explain($hq));
my $nsilent = () = $fl =~ /^udp 1\.2\.0\.192\.silent\.test A /mg;
ok($nsilent >= 1 && $nsilent <= 2, "silent.test: A asked once or twice ($nsilent), then given up");
ok(list_of($j, 'bl.test')->{listed}, 'bl.test answered meanwhile');
ok(!defined list_of($j, 'other.test')->{error}, 'other.test answered meanwhile');
is($j->{answered}, 4, 'json: 4 of 7 answered');

$r = $a->ctl('check', '192.0.2.50', '--resolver', $res, '--timeout', '0.5',
    '--lists', "bl.test,dead.test\@127.0.0.1:$hp");
clean($r, 'text timeout');
is($r->{rc}, 1, 'not listed, one list dead: exit 1');
like($r->{out}, qr/^dead\.test\s+error\s+\d+ ms\s+timeout \(127\.0\.0\.1:$hp\)$/m,
    'text: the error and the server');
like($r->{out}, qr/: not listed in 1 list \(1 did not answer\)$/m,
    'text: summary counts the dead list');

# A fractional --timeout is a timeout, not a usage error (that 0.5 means
# 500 ms is tests/unit/test_dnsq.c's).
($r, $j) = check_json('192.0.2.1', '--timeout', '0.5', '--lists',
    "dead.test\@127.0.0.1:$hp,closed.test\@127.0.0.1:$closed");
is($r->{rc}, 1, 'no list answered: exit 1');
like($r->{err}, qr/^orblctl: check: 192\.0\.2\.1: no list answered$/,
    'no list answered: said on stderr');
ok(!$j->{listed} && $j->{answered} == 0, 'json: answered 0');
is_deeply([map { list_of($j, $_)->{error} } qw(dead.test closed.test)],
    ['timeout', 'timeout'], '--timeout 0.5: both lists time out');

# --- REFUSED -----------------------------------------------------------
($r, $j) = check_json('192.0.2.1', '--resolver', $res, '--lists',
    'nothere.test,bl.test');
is($r->{rc}, 0, 'REFUSED list beside a listing: exit 0');
is(list_of($j, 'nothere.test')->{error}, 'REFUSED',
    'a zone the server does not serve: REFUSED');
($r, $j) = check_json('192.0.2.1', '--resolver', $res, '--lists', 'nothere.test');
is($r->{rc}, 1, 'only REFUSED: exit 1');

# --- the fake server: TCP fallback, SERVFAIL, retry, odd answers -------
my $logged = length Orbl::slurp($flog);
($r, $j) = check_json('192.0.2.1', '--resolver', $fake, '--timeout', '2',
    '--lists', 'tc.test,fail.test,retry.test,bogus.test,limit.test,junk.test,nx.test,refused.test');
is($r->{rc}, 0, 'fake server: listed (tc.test, retry.test): exit 0');
$l = list_of($j, 'tc.test');
ok($l->{listed}, 'truncated UDP reply: asked again over TCP, listed');
is_deeply($l->{codes}, ['127.0.0.9'], 'tc.test: code from the TCP answer');
is_deeply($l->{txt}, ['via tcpjoined'], 'tc.test: TXT strings of one RR joined');
is(list_of($j, 'fail.test')->{error}, 'SERVFAIL', 'SERVFAIL reported');
$l = list_of($j, 'retry.test');
ok($l->{listed}, 'first query dropped: the retry is answered');
$l = list_of($j, 'bogus.test');
ok(!$l->{listed}, 'an answer outside 127/8 is not a listing');
like($l->{error} // '', qr/192\.0\.2\.99 is outside 127\.0\.0\.0\/8/, 'bogus: said why');
$l = list_of($j, 'limit.test');
ok(!$l->{listed}, '127.255.255.254 is not a listing');
like($l->{error} // '', qr/refused the query \(code 127\.255\.255\.254/,
    'limit: the list refused the query');
like(list_of($j, 'junk.test')->{error} // '', qr/^timeout \(after a malformed reply\)$/,
    'garbage replies are ignored; the timeout says so');
$l = list_of($j, 'nx.test');
ok(!$l->{listed} && !defined $l->{error}, 'NXDOMAIN: not listed');
is(list_of($j, 'refused.test')->{error}, 'REFUSED', 'REFUSED reported');
is($j->{answered}, 3, 'fake server: 3 lists answered');
$fl = substr(Orbl::slurp($flog), $logged);
like($fl, qr/^tcp 1\.2\.0\.192\.tc\.test A /m, 'fake server saw the TCP query');
like($fl, qr/^udp 1\.2\.0\.192\.tc\.test A edns=1232 rd=1$/m,
    'queries carry EDNS0 (1232) and RD');
my $nretry = () = $fl =~ /^udp 1\.2\.0\.192\.retry\.test A /mg;
is($nretry, 2, 'retry.test A: asked twice over UDP');
my $nnx = () = $fl =~ /^udp 1\.2\.0\.192\.nx\.test /mg;
is($nnx, 2, 'nx.test: A and TXT asked once each');
my $nref = () = $fl =~ /^udp 1\.2\.0\.192\.refused\.test A /mg;
is($nref, 1, 'refused.test: REFUSED ends the list at once (no retry)');
# The retry is a second round: it comes after the first query of every
# list (all sent at the start), not in the same burst.
my @lines = split /\n/, $fl;
my @retry = grep { $lines[$_] =~ /^udp 1\.2\.0\.192\.retry\.test A / } 0 .. $#lines;
my $first_round = -1;
for my $z (qw(tc fail retry bogus limit junk nx refused)) {
	for my $t (qw(A TXT)) {
		my ($i) = grep { $lines[$_] =~ /^udp 1\.2\.0\.192\.$z\.test $t / } 0 .. $#lines;
		$first_round = $i if defined $i && $i > $first_round;
	}
}
ok(@retry == 2 && $retry[1] > $first_round,
    'retry.test: asked again only after every list\'s first query') or diag($fl);

# --- default lists ------------------------------------------------------
# Without --lists: our zones plus the public lists; --resolver sends them
# all to our dnsd here (which refuses the public zones).
($r, $j) = check_json('192.0.2.1', '--resolver', $res, '--timeout', '2');
is($r->{rc}, 0, 'default lists: exit 0');
my @z = map { $_->{zone} } @{$j->{lists}};
is_deeply([@z[0, 1]], ['bl.test', 'relays.test'], 'default lists: our zones first');
ok((grep { $_ eq 'zen.spamhaus.org' } @z) && @z > 4, 'default lists: public lists too');
is(list_of($j, 'zen.spamhaus.org')->{error}, 'REFUSED',
    'public list asked at --resolver (our dnsd refuses it)');
# Our zones without --resolver: at our dnsd, the config's first dns_listen.
($r, $j) = check_json('192.0.2.1', '--lists', 'bl.test,relays.test.');
is($r->{rc}, 0, 'our zones without --resolver: asked at dns_listen');
is(list_of($j, 'bl.test')->{server}, $res, 'server: the first dns_listen');
is(list_of($j, 'relays.test')->{server}, $res,
    'a trailing dot is dropped (relays.test.)');

# --- usage errors: exit 2, one reason line, nothing on stdout -----------
my @usage = (
	[ ['192.0.2'], qr/not an IPv4 or IPv6 address/ ],
	[ ['example.com'], qr/not an IPv4 or IPv6 address/ ],
	[ ['192.0.2.0/24'], qr/give one address/ ],
	[ [], qr/missing ADDR/ ],
	[ ['192.0.2.1', '--timeout', '0'], qr/--timeout 0/ ],
	[ ['192.0.2.1', '--timeout', 'abc'], qr/--timeout abc/ ],
	[ ['192.0.2.1', '--timeout', '61'], qr/--timeout 61/ ],
	[ ['192.0.2.1', '--resolver', 'resolver.example'], qr/--resolver .*not an IP/ ],
	[ ['192.0.2.1', '--resolver', '127.0.0.1:99999'], qr/--resolver .*bad port/ ],
	[ ['192.0.2.1', '--lists', ''], qr/--lists is empty/ ],
	[ ['192.0.2.1', '--lists', 'bl.test,,x.test'], qr/bad zone name/ ],
	[ ['192.0.2.1', '--lists', 'a..b'], qr/bad zone name/ ],
	[ ['192.0.2.1', '--lists', 'bl.test@'], qr/bad server/ ],
	[ ['192.0.2.1', '--lists', 'bl.test@nowhere:53'], qr/not an IP/ ],
	[ ['192.0.2.1', '--bogus'], qr/unknown option/ ],
);
for my $u (@usage) {
	my @args = @{$u->[0]};
	$r = $a->ctl('check', @args, '--resolver', $res);
	$r = $a->ctl('check', @args) if grep { $_ eq '--resolver' } @args;
	my ($first) = split /\n/, $r->{err};
	is($r->{rc}, 2, "usage: check @args: exit 2");
	like($first // '', qr/^orblctl: check: .*$u->[1]/, "usage: check @args: says why");
	is($r->{out}, '', "usage: check @args: nothing on stdout");
}
$r = $a->ctl('check', '-h');
like($r->{out}, qr/^usage: orblctl \[-c FILE\] check ADDR/, 'check -h: usage');

kill 'TERM', $fpid;
waitpid($fpid, 0);
$a->stop;
$b->stop;
done_testing;
