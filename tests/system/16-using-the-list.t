#!/usr/bin/perl
# 16-using-the-list.t -- the README's "Using the list" snippets work as
# written.  Each snippet is taken out of README.md (the fenced block after
# its `<!-- snippet: NAME -->` marker) and used verbatim; the only
# substitution is the orbl-dnsd port in the unbound stub-zone (5353 in
# the README, a free port here).  The zone is the README's, bl.orbl.test.
#
# Setup: a real orbl-dnsd (its database made with orblctl: listings with
# reasons and codes), a private unbound with the README's stub-zone on
# 127.0.53.N port 53, and the whole test in a private mount namespace
# (unshare --mount, re-executed at start) where /etc/resolv.conf is a
# bind mount naming that unbound: the MTAs use the system resolver, and
# the machine's own resolv.conf is never touched.  Then, per peer (each
# skipped with its reason when its program is missing):
#   a. unbound answers every name as orbl-dnsd does (A, TXT, NXDOMAIN);
#   b. Postfix: reject_rbl_client rejects a listed client with the TXT,
#      accepts an unlisted one and one answered 127.255.255.254;
#      postscreen rejects a listed client, passes an unlisted one;
#   c. rspamd: the rbl rule's symbols (and scores) for a listed sender,
#      none for an unlisted one, ORBL_BLOCKED for 127.255.255.254;
#   d. SpamAssassin: the rules hit for a listed relay in the Received
#      chain, not for an unlisted one, nor for a listed loopback relay;
#   e. Exim (unpacked by scripts/peer-exim, never installed): -bh with
#      the dnslists ACL rejects a listed client with $dnslist_text.
# The 127.255.255.254 answer ("blocked") is produced here by an entry
# with that code (orblctl add --code), so the filters' treatment of it is
# checked whatever orbl-dnsd's access rules do.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;

my $top = "$FindBin::Bin/../..";

BEGIN {
	# Re-run inside a private mount namespace (root only).
	if (!$ENV{ORBL_16_NAMESPACE}) {
		if ($> != 0) {
			print "1..0 # SKIP needs root (a private mount namespace)\n";
			exit 0;
		}
		if (system('unshare --mount --propagation private true ' .
		    '>/dev/null 2>&1') != 0) {
			print "1..0 # SKIP unshare --mount fails here\n";
			exit 0;
		}
		$ENV{ORBL_16_NAMESPACE} = 1;
		exec('unshare', '--mount', '--propagation', 'private', $^X,
		    (map { "-I$_" } grep { !ref } @INC), $0, @ARGV);
		die "exec unshare: $!";
	}
}

use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(time);

use Orbl qw(rev4 rev6 txt_of wait_until);
use Postfix qw(find_prog);
use Unbound;

my $T0 = time;
my $ZONE = 'bl.orbl.test';
my $tmp = tempdir('using-list-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{ORBL_KEEP});
chmod(0755, $tmp);	# Postfix and unbound's users traverse it

# --- The README's snippets ------------------------------------------------

sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or die "$f: $!";
	local $/;
	return scalar <$fh>;
}

sub spew {
	my ($f, $text) = @_;
	open(my $fh, '>', $f) or die "$f: $!";
	print $fh $text;
	close($fh) or die "$f: $!";
}

my $readme = slurp("$top/README.md");
my ($section) = $readme =~ /^## Using the list\n(.*?)^## /ms;
ok(defined $section, 'README has a "Using the list" section') or
    BAIL_OUT('no "## Using the list" section in README.md');

my %snip;
while ($section =~ /^<!-- snippet: ([a-z0-9-]+) -->\n```[a-z]*\n(.*?)^```$/mgs) {
	$snip{$1} = $2;
}
for my $n (qw(postfix-main postfix-postscreen exim-acl spamassassin-local
    rspamd-rbl rspamd-group unbound-stub)) {
	ok(defined $snip{$n}, "README snippet $n") or
	    BAIL_OUT("README.md has no snippet $n");
}

# The README's example names are the RFC 5782 names of its addresses.
like($section, qr/192\.0\.2\.25 is\s+`\Q${\ rev4('192.0.2.25')}.$ZONE\E`/,
    'README: the IPv4 example name is right');
like($section, qr/2001:db8::25 is\s+`\Q${\ rev6('2001:db8::25')}.$ZONE\E`/,
    'README: the IPv6 example name is right');

# --- orbl-dnsd --------------------------------------------------------------

my %A = (
	listed => '192.0.2.25',		# 127.0.0.2 with a reason
	code3 => '198.51.100.20',	# 127.0.0.3, default_reason
	blocked => '198.51.100.30',	# 127.255.255.254 (as if blocked)
	unlisted => '203.0.113.5',
	v6 => '2001:db8::25',
	lo_listed => '127.0.0.77',	# for the MTAs: real connections
	lo_blocked => '127.0.0.79',
	lo_unlisted => '127.0.0.78',
);
my $o = Orbl->new(zones => [$ZONE], ipv6 => 0);
$o->ctl_ok('add', $A{listed}, '--reason', 'open relay: $ relayed test mail');
$o->ctl_ok('add', $A{code3}, '--code', '127.0.0.3');
$o->ctl_ok('add', $A{blocked}, '--code', '127.255.255.254', '--reason',
    'queries through public resolvers are refused');
$o->ctl_ok('add', $A{v6}, '--reason', 'open relay: $ relayed test mail');
$o->ctl_ok('add', $A{lo_listed}, '--reason', 'open relay: $ relayed test mail');
$o->ctl_ok('add', $A{lo_blocked}, '--code', '127.255.255.254', '--reason',
    'queries through public resolvers are refused');
ok($o->start(timeout => 30), 'orbl-dnsd serves the zone') or
    BAIL_OUT('orbl-dnsd did not start');

# --- unbound with the stub-zone snippet ---------------------------------------

my $stub = $snip{'unbound-stub'};
my $port = $o->port;
like($stub, qr/\@5353$/m, 'unbound snippet: stub-addr names port 5353');
$stub =~ s/\@5353$/\@$port/m;
my $ub = Unbound->new(dir => $tmp, conf => $stub, zones => [$ZONE]);
my $ub_ok = $ub->start(probe_name => "2.0.0.127.$ZONE");
ok($ub_ok, 'unbound starts with the stub-zone snippet') or
    diag($ub->error);
BAIL_OUT('no resolver') unless $ub_ok;

spew("$tmp/resolv.conf", "nameserver " . $ub->ip . "\noptions timeout:5 attempts:2\n");
is(system('mount', '--bind', "$tmp/resolv.conf", '/etc/resolv.conf'), 0,
    '/etc/resolv.conf names unbound (bind mount, this namespace only)') or
    BAIL_OUT('cannot bind-mount resolv.conf');

# a. unbound answers as orbl-dnsd does.
sub summary {
	my ($p) = @_;
	return 'no reply' unless $p;
	my @a = sort map { $_->address } grep { $_->type eq 'A' } $p->answer;
	my @t = sort map { txt_of($_) } grep { $_->type eq 'TXT' } $p->answer;
	return join(' ', $p->header->rcode, @a, map { "\"$_\"" } @t);
}
my @names = (
	[rev4($A{listed}), 'A', "NOERROR 127.0.0.2"],
	[rev4($A{listed}), 'TXT', "NOERROR \"open relay: $A{listed} relayed test mail\""],
	[rev4($A{code3}), 'A', 'NOERROR 127.0.0.3'],
	[rev4($A{code3}), 'TXT', "NOERROR \"$A{code3} is listed by orbl as an open mail relay\""],
	[rev4($A{unlisted}), 'A', 'NXDOMAIN'],
	[rev4($A{unlisted}), 'TXT', 'NXDOMAIN'],
	['2.0.0.127', 'A', 'NOERROR 127.0.0.2'],
	['2.0.0.127', 'TXT', 'NOERROR "RFC 5782 test point: always listed"'],
	['1.0.0.127', 'A', 'NXDOMAIN'],
	[rev6('::ffff:7f00:2'), 'A', 'NOERROR 127.0.0.2'],
	[rev6('::ffff:7f00:1'), 'A', 'NXDOMAIN'],
	[rev6($A{v6}), 'A', 'NOERROR 127.0.0.2'],
	[rev6($A{v6}), 'TXT', "NOERROR \"open relay: $A{v6} relayed test mail\""],
	[rev4($A{listed}), 'AAAA', 'NOERROR'],
);
for my $n (@names) {
	my ($name, $type, $want) = @$n;
	my $direct = summary($o->query("$name.$ZONE", $type, timeout => 5));
	my $via = summary($ub->query("$name.$ZONE", $type));
	is($direct, $want, "orbl-dnsd: $name $type");
	is($via, $direct, "unbound: $name $type as orbl-dnsd answers");
}
# How long resolvers keep what they were told: a listing up to ttl, an
# NXDOMAIN up to neg_ttl (the SOA's TTL and MINIMUM in the authority
# section, RFC 2308), as the README says.  Orbl.pm's config: 10m, 2m.
{
	my $pos = $o->query(rev4($A{listed}) . ".$ZONE", 'A', timeout => 5);
	my $neg = $o->query(rev4($A{unlisted}) . ".$ZONE", 'A', timeout => 5);
	my ($a) = grep { $_->type eq 'A' } ($pos ? $pos->answer : ());
	my ($soa) = grep { $_->type eq 'SOA' } ($neg ? $neg->authority : ());
	is($a ? $a->ttl : -1, 600, 'a listing is answered with TTL = ttl');
	is($soa ? $soa->ttl . '/' . $soa->minimum : '-', '120/120',
	    'an NXDOMAIN carries the SOA with TTL and MINIMUM = neg_ttl');
	my $vpos = $ub->query(rev4($A{listed}) . ".$ZONE", 'A');
	my ($va) = grep { $_->type eq 'A' } ($vpos ? $vpos->answer : ());
	ok($va && $va->ttl > 0 && $va->ttl <= 600,
	    'unbound hands on the listing with at most ttl left');
	my $vneg = $ub->query(rev4($A{unlisted}) . ".$ZONE", 'A');
	my ($vsoa) = grep { $_->type eq 'SOA' } ($vneg ? $vneg->authority : ());
	ok($vsoa && $vsoa->ttl <= 120,
	    'unbound hands on the NXDOMAIN with at most neg_ttl left');
}

# The MTAs ask through the C library: getaddrinfo on the A name.
my @gai = `getent ahostsv4 ${\ rev4($A{listed})}.$ZONE 2>/dev/null`;
like("@gai", qr/^127\.0\.0\.2\s/m,
    'the system resolver (libc, resolv.conf) sees the listing');

# --- Small runners ----------------------------------------------------------

sub run {
	my ($argv, %opt) = @_;
	my $r = $o->run_cmd($argv, timeout => $opt{timeout} // 120,
	    ($opt{stdin} ? (stdin => $opt{stdin}) : ()));
	return $r;
}

# The reply to CMD in a swaks transcript.
sub reply_to {
	my ($out, $cmd) = @_;
	return $1 if $out =~ /^ -> \Q$cmd\E[^\n]*\n(?:[<*][-*] +|<\*\* +)(\d{3}[ -][^\n]*)/m;
	return '';
}

sub swaks_rcpt {
	my ($pf, $from_ip) = @_;
	my $r = run(['swaks', '--server', $pf->ip, '--port', $pf->port,
	    '--local-interface', $from_ip, '--helo', 'relay.example.net',
	    '--from', 'someone@example.net', '--to', 'user@dest.test',
	    '--quit-after', 'RCPT', '--timeout', 60], timeout => 90);
	return reply_to($r->{out}, 'RCPT TO:');
}

# --- b. Postfix ------------------------------------------------------------------

SKIP: {
	skip 'postfix or swaks missing (run scripts/deps)', 9
	    unless find_prog('postfix') && find_prog('swaks');

	# Test-only settings: the clients on 127.0.0.N (N > 1) are outside
	# mynetworks, and dest.test is a domain this server takes mail for
	# (relayed to nowhere: the sessions end after RCPT).
	my %main = (mynetworks => '127.0.0.1/32',
	    smtpd_relay_restrictions => 'permit_mynetworks, reject_unauth_destination',
	    relay_domains => 'dest.test');
	my $smtpd = Postfix->new(mode => 'open', listen => '127.0.0.1',
	    relayhost => '[127.0.0.1]:9', dir => $tmp, main => {%main},
	    hostname => 'mx.dest.test');
	my $ps = Postfix->new(mode => 'open', listen => '127.0.0.1',
	    relayhost => '[127.0.0.1]:9', dir => $tmp, main => {%main},
	    hostname => 'screen.dest.test');
	# The snippets, appended as written (later main.cf lines win).
	for ([$smtpd, 'postfix-main'], [$ps, 'postfix-postscreen']) {
		my ($pf, $n) = @$_;
		open(my $fh, '>>', $pf->conf_dir . '/main.cf') or die $!;
		print $fh "# README snippet $n\n$snip{$n}";
		close($fh);
	}
	# postscreen in front of smtpd, as in Debian's master.cf.
	my $mcf = slurp($ps->conf_dir . '/master.cf');
	my $addr = $ps->address;
	my $screen = "$addr inet n - n - 1 postscreen\n" .
	    "smtpd pass - - n - - smtpd\n" .
	    "dnsblog unix - - n - 0 dnsblog\n" .
	    "tlsproxy unix - - n - 0 tlsproxy";
	ok($mcf =~ s/^\Q$addr\E inet n - n - - smtpd$/$screen/m,
	    'master.cf: postscreen in front of smtpd');
	spew($ps->conf_dir . '/master.cf', $mcf);

	my $up = Postfix::start_all($smtpd, $ps);
	ok($up, 'Postfix instances (smtpd, postscreen) start') or
	    diag($smtpd->error . $ps->error);
	skip 'Postfix did not start', 7 unless $up;

	my $r = swaks_rcpt($smtpd, $A{lo_listed});
	like($r, qr/^554 5\.7\.1 .*blocked using \Q$ZONE\E; open relay: \Q$A{lo_listed}\E relayed test mail$/,
	    'Postfix reject_rbl_client: a listed client is refused, with the TXT') or
	    diag($smtpd->log);
	$r = swaks_rcpt($smtpd, $A{lo_unlisted});
	like($r, qr/^250 /, 'Postfix reject_rbl_client: an unlisted client is accepted') or
	    diag($smtpd->log);
	$r = swaks_rcpt($smtpd, $A{lo_blocked});
	like($r, qr/^250 /, 'Postfix reject_rbl_client: a 127.255.255.254 answer rejects nothing (=127.0.0.2)') or
	    diag($smtpd->log);

	# postscreen waits for the DNSBL answer up to postscreen_greet_wait
	# (6 s) before it decides: that is its design, not a sleep here.
	$r = swaks_rcpt($ps, $A{lo_listed});
	like($r, qr/^550 5\.7\.1 Service unavailable; client \[\Q$A{lo_listed}\E\] blocked using \Q$ZONE\E$/,
	    'postscreen: a listed client is refused (its own text, no TXT)') or
	    diag($ps->log);
	like($ps->log, qr/dnsblog\[\d+\]: addr \Q$A{lo_listed}\E listed by domain \Q$ZONE\E as 127\.0\.0\.2/,
	    'postscreen: dnsblog logs the listing');
	$r = swaks_rcpt($ps, $A{lo_unlisted});
	like($r, qr/^250 /, 'postscreen: an unlisted client passes to smtpd') or
	    diag($ps->log);
	ok($smtpd->stop && $ps->stop, 'Postfix instances stop');
}

# --- c. rspamd -------------------------------------------------------------------

SKIP: {
	my $rspamd = find_prog('rspamd');
	my $rspamc = find_prog('rspamc');
	skip 'rspamd or rspamc missing (apt-get install rspamd)', 6
	    unless $rspamd && $rspamc && -d '/etc/rspamd';

	my $d = "$tmp/rspamd";
	mkdir($_) for $d, "$d/local", "$d/local/local.d", "$d/db", "$d/run",
	    "$d/log";
	my ($p1, $p2) = (Postfix::free_port('127.0.0.1'), Postfix::free_port('127.0.0.1'));
	# The stock configuration (/etc/rspamd) with our own sockets,
	# directories and resolver; LOCAL_CONFDIR holds the snippets.
	spew("$d/rspamd.conf", <<"EOT");
.include "\$CONFDIR/common.conf"
options {
    pidfile = "\$RUNDIR/rspamd.pid";
    .include "\$CONFDIR/options.inc"
    .include(try=true; priority=1,duplicate=merge) "\$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
    type = "file";
    filename = "\$LOGDIR/rspamd.log";
    level = "info";
}
worker "normal" {
    bind_socket = "127.0.0.1:$p1";
    count = 1;
    .include "\$CONFDIR/worker-normal.inc"
}
worker "controller" {
    bind_socket = "127.0.0.1:$p2";
    count = 1;
    .include "\$CONFDIR/worker-controller.inc"
}
EOT
	spew("$d/local/local.d/options.inc",
	    "dns {\n    nameserver = [\"" . $ub->ip . ":53\"];\n}\n");
	spew("$d/local/local.d/rbl.conf", $snip{'rspamd-rbl'});
	spew("$d/local/local.d/rbl_group.conf", $snip{'rspamd-group'});
	spew("$d/msg", "From: someone\@example.net\nTo: user\@example.org\n" .
	    "Subject: using the list\nDate: Mon, 7 Dec 2026 01:00:00 +0000\n" .
	    "Message-ID: <rspamd-16\@example.net>\n\nhello\n");

	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		POSIX::setsid();
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', "$d/rspamd.out");
		open(STDERR, '>&', \*STDOUT);
		exec($rspamd, '-f', '-i', '-c', "$d/rspamd.conf",
		    '--var', "LOCAL_CONFDIR=$d/local", '--var', "DBDIR=$d/db",
		    '--var', "RUNDIR=$d/run", '--var', "LOGDIR=$d/log") or
		    POSIX::_exit(127);
	}
	my $scan = sub {
		my ($ip) = @_;
		my $r = run([$rspamc, '-h', "127.0.0.1:$p1", '-t', 60, '--ip', $ip,
		    'symbols'], stdin => "$d/msg", timeout => 90);
		return $r->{rc} == 0 ? $r->{out} : '';
	};
	# Ready: a scan of the listed sender shows the rule's symbol (rspamd
	# loads the whole stock configuration first; minutes on a loaded box).
	my $out = '';
	my $ready = wait_until(240, 0.5, sub {
		return 1 if waitpid($pid, POSIX::WNOHANG()) == $pid;
		$out = $scan->($A{listed});
		return $out =~ /ORBL/;
	});
	like($out, qr/^Symbol: ORBL_OPEN_RELAY \(4\.00\)\[\Q$A{listed}\E:from\]/m,
	    'rspamd: ORBL_OPEN_RELAY (score 4) for a listed sender') or
	    diag("rspamc:\n$out\nrspamd:\n" . Postfix::slurp("$d/rspamd.out") .
	    join('', (split /^/, Postfix::slurp("$d/log/rspamd.log"))[-30 .. -1]));
	SKIP: {
		skip 'rspamd not ready', 4 unless defined $ready && $out =~ /ORBL/;
		$out = $scan->($A{unlisted});
		like($out, qr/^Symbol: /m, 'rspamd: the unlisted sender is scanned');
		unlike($out, qr/ORBL/, 'rspamd: no ORBL symbol for an unlisted sender');
		$out = $scan->($A{code3});
		like($out, qr/^Symbol: ORBL \(0\.00\)\[\Q$A{code3}\E:from:127\.0\.0\.3\]/m,
		    'rspamd: another code gives the rule\'s own symbol, with the code');
		$out = $scan->($A{blocked});
		like($out, qr/^Symbol: ORBL_BLOCKED \(0\.00\)/m,
		    'rspamd: 127.255.255.254 is ORBL_BLOCKED, not a listing');
	}
	$out = $scan->($A{lo_listed});
	unlike($out, qr/ORBL/, 'rspamd: a loopback sender is never looked up');
	kill('TERM', $pid);
	my $gone = wait_until(60, 0.1, sub { waitpid($pid, POSIX::WNOHANG()) == $pid });
	unless (defined $gone) {
		kill('KILL', -$pid);
		waitpid($pid, 0);
	}
	kill('KILL', -$pid);	# any worker left behind
}

# --- d. SpamAssassin -------------------------------------------------------------

SKIP: {
	skip 'spamassassin missing (apt-get install spamassassin)', 5
	    unless find_prog('spamassassin');
	my $d = "$tmp/sa";
	mkdir($_) for $d, "$d/rules", "$d/site", "$d/home";
	# A minimal rule set of our own (the stock rules would ask public
	# lists): the plugins the snippet needs, a report listing the hits.
	spew("$d/rules/init.pre", "loadplugin Mail::SpamAssassin::Plugin::Check\n" .
	    "loadplugin Mail::SpamAssassin::Plugin::DNSEval\n");
	spew("$d/rules/10-report.cf", "required_score 5\nclear_report_template\n" .
	    "report HITS=_TESTS(,)_\n");
	spew("$d/site/00-resolver.cf", "dns_server " . $ub->ip . "\ndns_available yes\n");
	spew("$d/site/local.cf", $snip{'spamassassin-local'});
	spew("$d/home/prefs", "");
	my $sa = sub {
		my ($relay) = @_;
		spew("$d/msg", <<"EOT");
Received: from relay.example.net (relay.example.net [$relay])
	by mx.example.org (Postfix) with ESMTP id 4F00D1234
	for <user\@example.org>; Mon, 7 Dec 2026 01:00:00 +0000
From: someone\@example.net
To: user\@example.org
Subject: using the list
Date: Mon, 7 Dec 2026 01:00:00 +0000
Message-ID: <sa-16\@example.net>

hello
EOT
		local $ENV{HOME} = "$d/home";
		my $r = run(['spamassassin', '-t', '-C', "$d/rules",
		    '--siteconfigpath', "$d/site", '-p', "$d/home/prefs"],
		    stdin => "$d/msg", timeout => 180);
		my ($hits) = $r->{out} =~ /^HITS=(.*)$/m;
		diag("spamassassin: rc $r->{rc}\n$r->{err}") unless defined $hits;
		return $hits // 'no report';
	};
	is($sa->($A{listed}), 'RCVD_IN_ORBL,RCVD_IN_ORBL_TXT',
	    'SpamAssassin: a listed relay hits the code and TXT rules');
	is($sa->($A{code3}), 'RCVD_IN_ORBL_TXT',
	    'SpamAssassin: another code misses check_rbl_sub 127.0.0.2 (the TXT still matches)');
	is($sa->($A{blocked}), 'RCVD_IN_ORBL_BLOCKED',
	    'SpamAssassin: 127.255.255.254 hits only the BLOCKED rule');
	is($sa->($A{unlisted}), 'none', 'SpamAssassin: an unlisted relay hits nothing');
	is($sa->($A{lo_listed}), 'none',
	    'SpamAssassin: a listed loopback relay is never looked up');
}

# --- e. Exim ---------------------------------------------------------------------

SKIP: {
	my $r = run(['sh', "$top/scripts/peer-exim", "$top/build/peer/exim"],
	    timeout => 600);
	chomp(my $exim = $r->{out});
	skip "no Exim: scripts/peer-exim failed: $r->{err}", 4
	    if $r->{rc} != 0 || !-x $exim;
	my $d = "$tmp/exim";
	mkdir($_) for $d, "$d/spool";
	chmod(0777, "$d/spool");
	# The ACL around the snippet: accept mail for dest.test, nothing else.
	spew("$d/exim.conf", <<"EOT");
primary_hostname = mx.dest.test
spool_directory = $d/spool
log_file_path = $d/%slog
keep_environment =
domainlist local_domains = dest.test
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
$snip{'exim-acl'}
  accept  domains = +local_domains
  deny    message = relay not permitted
EOT
	spew("$d/smtp", "HELO relay.example.net\r\nMAIL FROM:<someone\@example.net>\r\n" .
	    "RCPT TO:<user\@dest.test>\r\nQUIT\r\n");
	my $bh = sub {
		my ($ip) = @_;
		my $x = run([$exim, '-C', "$d/exim.conf", '-bh', $ip],
		    stdin => "$d/smtp", timeout => 120);
		# Replies, a multi-line one joined ("550-a" "550 b": "550 a b").
		my (@replies, $cur);
		for (split /\r?\n/, $x->{out}) {
			next unless /^(\d{3})([ -])(.*)$/;
			$cur = defined $cur ? "$cur $3" : "$1 $3";
			next if $2 eq '-';
			push(@replies, $cur);
			undef $cur;
		}
		diag("exim -bh $ip: rc $x->{rc}\n$x->{out}$x->{err}") unless @replies >= 4;
		return $replies[3] // '';	# 220, HELO, MAIL, RCPT
	};
	like($bh->($A{listed}), qr/^550 \Q$A{listed}\E is listed in \Q$ZONE\E: open relay: \Q$A{listed}\E relayed test mail$/,
	    'Exim dnslists: a listed client is refused with $dnslist_text');
	like($bh->($A{unlisted}), qr/^250 /, 'Exim dnslists: an unlisted client is accepted');
	like($bh->($A{code3}), qr/^250 /, 'Exim dnslists: =127.0.0.2 ignores another code');
	like($bh->($A{blocked}), qr/^250 /, 'Exim dnslists: a 127.255.255.254 answer rejects nothing');
}

ok($ub->stop, 'unbound stops (exit status 0)');
$o->stop;
diag(sprintf('16-using-the-list: %.0f s', time - $T0)) if $ENV{ORBL_TIMING};
done_testing();
