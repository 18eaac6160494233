#!/usr/bin/perl
# 75-web-e2e.t -- the whole system through a real browser: orbl-dnsd,
# orbl-prober, orbl-web and an open relay (FakeSMTP's relay, forwarding
# to the prober's sink, its banner carrying a <script>), then
# tests/e2e/web.e2e.mjs in Debian's headless chromium (playwright-core
# from npm, installed into tests/e2e/node_modules from the committed
# lock file): submit, watch the status page reach "confirmed", look the
# address up and see the evidence, check it on the other lists (orbl and
# a second orbl-dnsd, other.test, that lists the relay with a hostile
# TXT), request delisting, watch the request until the re-test refuses
# it.  Screenshots: tests/e2e/artifacts/.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(rev4 wait_until free_port);
use FakeSMTP;
use Web;

my $E2E = "$FindBin::Bin/../e2e";
my $CHROMIUM = $ENV{CHROMIUM} // '/usr/bin/chromium';

sub have { my ($p) = @_; return grep { -x "$_/$p" } split(/:/, $ENV{PATH}) }
plan skip_all => "$CHROMIUM missing (scripts/deps installs chromium)"
    unless -x $CHROMIUM;
plan skip_all => 'node or npm missing (scripts/deps installs nodejs, npm)'
    unless have('node') && have('npm');
unless (-f "$E2E/node_modules/playwright-core/package.json") {
	my $out = `cd '$E2E' && timeout 180 npm ci --no-audit --no-fund 2>&1`;
	plan skip_all => 'npm ci in tests/e2e failed (no registry?): ' .
	    (split(/\n/, $out))[-1] if $?;
}

my $tmp = tempdir('web-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sinkport = free_port();
my $HOSTILE = q{<script>alert('pwned')</script>};
my $relay = FakeSMTP->new(behaviour => 'relay', listen => '127.0.0.90',
    next_hop => "127.0.0.1:$sinkport", name => $HOSTILE, dir => $tmp,
    lifetime => 115);
my $o = Orbl->new(conf => {
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	probe_ports => '25 ' . $relay->port,	# what the public may name
	connect_timeout => '3s',
	smtp_timeout => '4s',
	arrival_wait => '10s',
	retest_interval => '8s',
	relist_retest => '1h',
	tempfail_retry => '2s',
	prefix_limit => 1000,
	submit_limit => 1000,
});
$relay->start;
# A second list that already lists the relay, with a hostile TXT.
my $other = Orbl->new(zones => ['other.test'], ipv6 => 0);
$other->ctl_ok('add', $relay->ip, '--reason', "other list: $HOSTILE");
my $w = Web->new($o, conf => {
	web_check_lists => ['other.test@127.0.0.1:' . $other->port],
	web_check_timeout => '10s',
});

my $up = ok($o->start, 'orbl-dnsd up');
$up = ok($other->start, 'orbl-dnsd of the second list up') && $up;
$up = ok($o->start_prober, 'orbl-prober up') && $up;
$up = ok($w->start, 'orbl-web up on ' . $w->base) && $up;
unless ($up) {
	$w->stop if $w->pid;
	$o->stop_prober if $o->prober_pid;
	$o->stop if $o->pid;
	$other->stop if $other->pid;
	$relay->stop;
	done_testing();
	exit;
}

my $art = "$E2E/artifacts";
sub run_browser {
	local $ENV{ORBL_WEB_URL} = $w->base;
	local $ENV{ORBL_TARGET_IP} = $relay->ip;
	local $ENV{ORBL_TARGET_PORT} = $relay->port;
	local $ENV{ORBL_HOSTILE} = $HOSTILE;
	local $ENV{ORBL_ARTIFACTS} = $art;
	local $ENV{CHROMIUM} = $CHROMIUM;
	return $o->run_cmd(['node', "$E2E/web.e2e.mjs"], timeout => 100);
}
my $r = run_browser();
my $n = 0;
for my $line (split /\n/, $r->{out}) {
	if ($line =~ /^(not )?ok - (.*)$/) {
		ok(!$1, "browser: $2");
		$n++;
	} elsif ($line =~ /^# (.*)/) {
		note($1);
	}
}
ok($n >= 15, "the browser run reported its checks ($n)") or
    diag("stdout: $r->{out}\nstderr: $r->{err}");
is($r->{rc}, 0, 'the browser run passed') or diag($r->{err});
ok(-s "$art/04-lookup-listed.png", 'screenshot of the lookup page');
ok(-s "$art/04b-check.png", 'screenshot of the check page');

# What the browser saw is what the DNS answers.
my $p = $o->query(rev4($relay->ip) . '.bl.test', 'A');
my ($a) = $p ? grep { $_->type eq 'A' } $p->answer : ();
is($a ? $a->address : 'none', '127.0.0.2', 'orbl-dnsd lists the relay');
is($o->sql("SELECT submitter FROM submission ORDER BY id LIMIT 1"),
    'web:127.0.0.1', 'the submission came through orbl-web');
is($o->sql("SELECT state FROM delist_request ORDER BY id DESC LIMIT 1"),
    'refused', 'the request was refused by its re-test');

$w->stop;
$o->stop_prober;
$o->stop;
$other->stop;
$relay->stop;
done_testing();
