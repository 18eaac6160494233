#!/usr/bin/perl
# 48-rbldnsd-follow.t -- an rbldnsd mirror: `orblctl export --format
# rbldnsd --follow FILE` keeps FILE current, stock rbldnsd serves it, and
# rbldnsd answers as orbl-dnsd does on the same database: for a few
# hundred names (listed, unlisted, ranges, exclusions inside ranges and
# listings inside exclusions, codes, reasons with '$', IPv6, the RFC 5782
# test points), before and after changes by orblctl add/remove, and after
# an entry expires and `orblctl prune` sweeps it (the serial moves).  The
# follower keeps its file while the database is away and picks up again
# when it is back, and stops cleanly on SIGTERM.
#
# What is compared for each name: the rcode, the A records (address and
# TTL) and the TXT strings; and the apex SOA (every field) and NS set.
# Not compared (rbldnsd and orbl-dnsd differ there by design):
#  - the authority section of negative answers (rbldnsd's SOA TTL there is
#    the SOA's own, orbl-dnsd's min(TTL, MINIMUM) as RFC 2308 says; rbldnsd
#    adds NS records to positive answers, orbl-dnsd does not);
#  - IPv4-mapped IPv6 names other than the test points: orbl-dnsd answers
#    them from the IPv4 data, the mirror file says "not listed" for them;
#  - an IPv4 name whose four labels are nibbles of IPv6 space holding
#    an entry ("0.0.0.0", "1.0.0.2" = 2001::/16): orbl-dnsd answers NODATA
#    (it is an empty non-terminal of the IPv6 names, RFC 8020), rbldnsd
#    NXDOMAIN;
#  - '$' in a TXT asked by an IPv4-mapped name (rbldnsd writes the address
#    as ::ffff:7f00:2, orbl-dnsd as ::ffff:127.0.0.2): the test points'
#    reason has no '$'.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time);
use Net::DNS;
use Orbl qw(rev4 rev6 wait_until free_port answer_of txt_of);

my $RBLDNSD = '/usr/sbin/rbldnsd';
plan skip_all => "no $RBLDNSD (apt-get install rbldnsd)" unless -x $RBLDNSD;
my $bin = Orbl::bindir();
plan skip_all => "no $bin/orblctl or orbl-dnsd (build first)"
    unless -x "$bin/orblctl" && -x "$bin/orbl-dnsd";

my $ZONE = 'bl.test';
my $o = Orbl->new(zones => [$ZONE], conf => {
	ttl => '10m', neg_ttl => '2m', soa_refresh => '1h',
	soa_retry => '10m', soa_expire => '1w',
	sink_listen => '127.0.0.1:' . free_port(0),
});

# The mirror's directory: rbldnsd drops root, the file must be readable.
my $mdir = tempdir('orbl-mirror-XXXXXX', TMPDIR => 1,
    CLEANUP => !$ENV{ORBL_KEEP});
chmod(0755, $mdir);
my $FILE = "$mdir/bl.test.rbldnsd";
my $flog = $o->dir . '/follow.log';
my $rlog = $o->dir . '/rbldnsd.log';
my %pids;			# name => pid, killed if the test dies

sub spawn {
	my ($name, $log, @argv) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		Orbl::die_with_parent();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>>', $log);
		{ exec(@argv) };
		print STDERR "exec $argv[0]: $!\n";
		_exit(127);
	}
	$pids{$name} = $pid;
	Orbl::live($pid);	# killed at exit if the test dies first
	return $pid;
}

# SIGTERM, wait (15 s at most); the exit status.
sub stop {
	my ($name) = @_;
	my $pid = delete $pids{$name} or return undef;
	my $st = Orbl::stop_pid($pid, 15);
	Orbl::dead($pid);
	return $st // -1;
}

sub file_serial {
	open(my $fh, '<', $FILE) or return undef;
	my $head = <$fh>;
	return $head && $head =~ /serial (\d+)/ ? $1 : undef;
}

# --- the data ------------------------------------------------------------
my @add = (
	['10.0.0.0/8', '--reason', 'ten: $ is in 10/8'],
	['10.1.0.0/16', '--exclude'],
	['10.1.2.0/24', '--code', '127.0.0.3'],
	['10.1.2.128/25', '--exclude'],
	['10.1.2.192/26', '--code', '127.0.0.5', '--reason', 'deep $'],
	['10.2.0.0/15', '--code', '127.0.0.4', '--reason', 'two: $ (code 4)'],
	['192.0.2.0/24'],
	['192.0.2.7', '--code', '127.0.0.5', '--reason', 'single # with ; marks'],
	['192.0.2.9', '--exclude'],
	['198.51.100.0/22', '--reason', 'documentation block'],
	['203.0.113.77', '--code', '127.0.0.10'],
	['127.0.0.0/24', '--code', '127.0.0.3', '--reason', 'loopback $'],
	['2001:db8::/32', '--code', '127.0.0.6'],
	['2001:db8:1::/48', '--exclude'],
	['2001:db8:1:2::/64', '--reason', 'v6 $ inside an exclusion'],
	['2001:db8:ff00::/40', '--code', '127.0.0.7', '--reason', 'v6 /40'],
	['2a00:1450:4001:82a::200e', '--reason', 'one v6 host $'],
);
$o->ctl_ok('add', @$_) for @add;

# Names: inside, at the edges of and around every entry, the test
# points, and random addresses (fixed seed).
srand(48);
my @v4 = qw(10.0.0.0 10.0.0.1 10.0.255.255 10.1.0.0 10.1.0.1 10.1.2.0
    10.1.2.1 10.1.2.127 10.1.2.128 10.1.2.191 10.1.2.192 10.1.2.255
    10.1.3.0 10.1.255.255 10.2.0.0 10.3.255.255 10.4.0.0 10.255.255.255
    11.0.0.0 9.255.255.255 192.0.2.0 192.0.2.6 192.0.2.7 192.0.2.8
    192.0.2.9 192.0.2.10 192.0.2.255 192.0.3.0 198.51.99.255 198.51.100.0
    198.51.103.255 198.51.104.0 203.0.113.76 203.0.113.77 203.0.113.78
    127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.255 127.0.1.0 1.2.3.4
    255.255.255.255 0.0.0.1);
push @v4, join('.', 10, map { int(rand(256)) } 1 .. 3) for 1 .. 80;
push @v4, join('.', 10, 1, 2, int(rand(256))) for 1 .. 30;
push @v4, join('.', 192, 0, 2, int(rand(256))) for 1 .. 20;
push @v4, join('.', map { int(rand(256)) } 1 .. 4) for 1 .. 40;
# Not the IPv6 empty non-terminals (see the top).
@v4 = grep { !/^[0-9]\.[0-9]\.[0-9]\.[0-9]$/ } @v4;
my @v6 = qw(2001:db8:: 2001:db8::1 2001:db8:0:ffff::1 2001:db8:1::
    2001:db8:1::1 2001:db8:1:2:: 2001:db8:1:2::5 2001:db8:1:3::1
    2001:db8:2::1 2001:db8:ff00::1 2001:db8:ffff:ffff::1 2001:db9::1
    2001:db7:ffff::1 2a00:1450:4001:82a::200e 2a00:1450:4001:82a::200f
    ::1 ::ffff:7f00:2 ::ffff:7f00:1);
push @v6, sprintf('2001:db8:%x:%x::%x', int(rand(65536)), int(rand(65536)),
    int(rand(65536))) for 1 .. 40;
push @v6, sprintf('2001:db8:1:2:%x::%x', int(rand(65536)),
    int(rand(65536))) for 1 .. 10;
push @v6, sprintf('2001:db8:ff%02x::%x', int(rand(256)),
    int(rand(65536))) for 1 .. 10;
my %seen;
my @names = grep { !$seen{$_}++ } ((map { rev4($_) . ".$ZONE" } @v4),
    (map { rev6($_) . ".$ZONE" } @v6));
cmp_ok(scalar @names, '>=', 250, scalar(@names) . ' names to compare');

# --- the follower, rbldnsd, orbl-dnsd ------------------------------------
spawn('follow', $flog, "$bin/orblctl", '-c', $o->conffile, 'export',
    '--format', 'rbldnsd', '--follow', $FILE);
ok(defined wait_until(20, 0.05, sub {
	(file_serial() // -1) == $o->serial }),
    'the follower writes the file at the database serial') or
    diag(Orbl::slurp($flog));
is((stat($FILE))[2] & 0777, 0644, 'the file is readable by rbldnsd (0644)');
ok(!-e "$FILE.tmp", 'no temporary left beside it');
my $data = Orbl::slurp($FILE);
like($data, qr/^\$SOA 600 ns1\.orbl\.example\. hostmaster\.orbl\.example\. \d+ 3600 600 604800 120$/m,
    'the file has the zone\'s $SOA (the config\'s, with the serial)');
like($data, qr/^\$NS 600 ns1\.orbl\.example\. ns2\.orbl\.example\.$/m,
    'and its $NS');
like($data, qr/^\$TTL 600$/m, 'and its $TTL');
like(Orbl::slurp($flog), qr/serial \d+, \d+ entries, written in \d+ ms/,
    'the rewrite is logged');

my $rport = free_port(0);
my @rargs = ('-n', '-b', "127.0.0.1/$rport", '-c', '1');
push @rargs, '-u', (getpwnam('rbldns') ? 'rbldns' : 'nobody') if $> == 0;
spawn('rbldnsd', $rlog, $RBLDNSD, @rargs, "$ZONE:combined:$FILE");

my $rres = Net::DNS::Resolver->new(nameservers => ['127.0.0.1'],
    port => $rport, recurse => 0, retry => 1, retrans => 1,
    udp_timeout => 2, tcp_timeout => 2, udppacketsize => 0, dnssec => 0,
    defnames => 0, dnsrch => 0, force_v4 => 1);
sub rq { my ($n, $t) = @_; return $rres->send($n, $t, 'IN') }
sub rserial {
	my $p = rq($ZONE, 'SOA') or return undef;
	my ($s) = answer_of($p, 'SOA');
	return $s ? $s->serial : undef;
}

ok(defined wait_until(20, 0.1, sub { defined rserial() }),
    'rbldnsd serves the file') or diag(Orbl::slurp($rlog));
ok($o->start, 'orbl-dnsd starts on the same database');

# One name's answer, as text: rcode, A (address/TTL), TXT.
sub answer_text {
	my ($q, $name) = @_;
	my @out;
	for my $type (qw(A TXT)) {
		my $p = $q->($name, $type);
		unless ($p) {
			push @out, "$type: no reply";
			next;
		}
		my $s = "$type " . $p->header->rcode;
		$s .= ' ' . join(',', sort map { $_->address . '/' . $_->ttl }
		    answer_of($p, 'A')) if $type eq 'A';
		$s .= ' ' . join(',', sort map { '"' . txt_of($_) . '"/' .
		    $_->ttl } answer_of($p, 'TXT')) if $type eq 'TXT';
		push @out, $s;
	}
	return join('; ', @out);
}

my $dq = sub { $o->query($_[0], $_[1]) };
my $rbl = sub { rq(@_) };

sub compare {
	my ($what) = @_;
	my (@bad, $listed);
	for my $n (@names) {
		my $a = answer_text($dq, $n);
		my $b = answer_text($rbl, $n);
		$listed++ if $a =~ /^A NOERROR \d/;
		push @bad, "$n\n  orbl-dnsd: $a\n  rbldnsd:   $b" if $a ne $b;
	}
	is(scalar @bad, 0, "$what: rbldnsd answers as orbl-dnsd for " .
	    scalar(@names) . " names ($listed listed)") or
	    diag(join("\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]));
	# The apex: SOA fields and NS set.
	my ($sa) = answer_of($o->query($ZONE, 'SOA'), 'SOA');
	my ($sb) = answer_of(rq($ZONE, 'SOA'), 'SOA');
	my $soa = sub { my $s = shift; return 'none' unless $s;
	    return join(' ', lc $s->mname, lc $s->rname, $s->serial,
	    $s->refresh, $s->retry, $s->expire, $s->minimum, $s->ttl) };
	is($soa->($sb), $soa->($sa), "$what: the same SOA");
	my $ns = sub { join(' ', sort map { lc $_->nsdname }
	    answer_of($_[0], 'NS')) };
	is($ns->(rq($ZONE, 'NS')), $ns->($o->query($ZONE, 'NS')),
	    "$what: the same NS set");
}

# Wait until the file and rbldnsd are at the database's serial.
sub synced {
	my ($what) = @_;
	my $want = $o->serial;
	my $t = wait_until(20, 0.1, sub {
		(file_serial() // -1) == $want && (rserial() // -1) == $want });
	ok(defined $t, "$what: file and rbldnsd at serial $want") or
	    diag("file " . (file_serial() // 'none') . ", rbldnsd " .
	    (rserial() // 'none') . "\n" . Orbl::slurp($flog) .
	    Orbl::slurp($rlog));
}

synced('start');
compare('start');

# --- changes ---------------------------------------------------------------
my $mt0 = (stat($FILE))[9];
$o->ctl_ok('add', '10.3.0.0/16', '--code', '127.0.0.8', '--reason', 'new $');
$o->ctl_ok('remove', '192.0.2.7');
$o->ctl_ok('add', '10.1.2.0/24', '--code', '127.0.0.9', '--reason', 'changed');
$o->ctl_ok('add', '2001:db8:1:2::/64', '--exclude');
$o->ctl_ok('add', '198.51.100.128/25', '--exclude');
$o->ctl_ok('remove', '2001:db8:ff00::/40');
push @names, map { rev4($_) . ".$ZONE" } qw(10.3.0.1 10.3.255.255 10.4.0.1
    198.51.100.127 198.51.100.128 198.51.100.255);
synced('after add/remove');
cmp_ok((stat($FILE))[9], '>', $mt0, 'the file\'s mtime moved');
compare('after add/remove');

# --- expiry: the sweep writes a journal row, the serial moves --------------
$o->ctl_ok('add', '100.64.9.9', '--expires', '2s', '--reason', 'short $');
my $name = rev4('100.64.9.9') . ".$ZONE";
synced('a short listing');
like(answer_text($rbl, $name), qr/^A NOERROR 127\.0\.0\.2/,
    'the short listing is served by rbldnsd');
my $s0 = $o->serial;
my $swept;
ok(defined wait_until(20, 0.2, sub {
	my $r = $o->ctl('prune', '--keep', '1000d');
	$swept = $r if $r->{out} =~ /^expired: 1 listing removed$/m;
	return $swept }), 'orblctl prune --keep 1000d sweeps it once expired');
like($swept->{out}, qr/^journal: 0 rows older than 86400000s deleted; horizon serial 0$/m,
    'nothing in the journal is that old') if $swept;
cmp_ok($o->serial, '>', $s0, 'the sweep moved the serial');
is($o->sql("SELECT op || ' ' || s.s FROM journal j JOIN str s ON " .
    "s.id = j.why ORDER BY serial DESC LIMIT 1"), 'remove expired',
    'a remove row, why "expired"');
synced('after the sweep');
is(answer_text($rbl, $name), answer_text($dq, $name),
    'the expired entry: the same answer from both');
like(answer_text($rbl, $name), qr/^A NXDOMAIN/, '... not listed');

# --- orbl-prober sweeps on its own, at the entry's expiry ------------------
ok($o->start_prober, 'orbl-prober starts');
$o->ctl_ok('add', '100.64.7.7', '--expires', '2s', '--reason', 'prober $');
$name = rev4('100.64.7.7') . ".$ZONE";
synced('a short listing, the prober running');
like(answer_text($rbl, $name), qr/^A NOERROR 127\.0\.0\.2/,
    'served by rbldnsd');
$s0 = $o->serial;
ok(defined wait_until(20, 0.1, sub {
	Orbl::slurp($o->prober_log) =~ /expired 1 listing \(serial (\d+)\)/ }),
    'orbl-prober removes it when it expires, and says so') or
    diag(Orbl::slurp($o->prober_log));
cmp_ok($o->serial, '>', $s0, '... the serial moved');
synced('after the prober\'s sweep');
like(answer_text($rbl, $name), qr/^A NXDOMAIN/,
    'rbldnsd no longer lists it');
$o->stop_prober;

# --- the database goes away and comes back ---------------------------------
my $before = Orbl::slurp($FILE);
my $fmark = -s $flog;
rename($o->db, $o->db . '.away') or die "rename: $!";
ok(defined wait_until(10, 0.05, sub {
	substr(Orbl::slurp($flog), $fmark) =~ /No such file or directory; keeping/ }),
    'the follower says the database is missing, once, and keeps the file')
    or diag(Orbl::slurp($flog));
is(Orbl::slurp($FILE), $before, 'the file is untouched meanwhile');
rename($o->db . '.away', $o->db) or die "rename: $!";
$o->ctl_ok('add', '10.77.0.0/16', '--reason', 'after the outage');
synced('after the database came back');
like(substr(Orbl::slurp($flog), $fmark), qr/No such file or directory: over/,
    'and says so when it is back');
my @said = substr(Orbl::slurp($flog), $fmark) =~ /(No such file or directory; keeping)/g;
is(scalar @said, 1, 'the trouble was said once');
push @names, rev4('10.77.1.2') . ".$ZONE";
compare('after the outage');

# --- stop -----------------------------------------------------------------
is(stop('follow'), 0, 'the follower exits 0 on SIGTERM');
like(Orbl::slurp($flog), qr/stopped by a signal/, '... and says so');
ok(-s $FILE && !-e "$FILE.tmp", 'the file stays, no temporary');
is(stop('rbldnsd'), 0, 'rbldnsd exits 0');
$o->stop;
done_testing();
