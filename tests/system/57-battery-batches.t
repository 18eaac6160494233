#!/usr/bin/perl
# 57-battery-batches.t -- a server that accepts every recipient still gets
# the whole battery.  A run stops sending after probe_max_accepted (3)
# accepted messages; if none of them reaches the sink within the batch
# wait, those forms did not relay, and the next session sends the forms
# not sent yet, until one arrives or the battery is done.
#
#	acceptall  a real Postfix that accepts every RCPT, discards
#		   everything except the percent-hack forms, which it relays
#		   to the sink: the run ends confirmed, with a percent-hack
#		   form as the evidence, the forms after it never sent;
#	discard	   a server that accepts and drops everything: the run ends
#		   accepted-not-delivered after the whole battery, every form
#		   tried, at most one message per form.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use Test::More;

use Orbl qw(wait_until free_port);
use Postfix qw(find_prog);
use FakeSMTP;
use Web;

plan skip_all => 'needs root (private Postfix instances)' if $> != 0;
plan skip_all => 'postfix missing (run scripts/deps)'
    unless find_prog('postfix');

my $BATTERY = 25;		# probe/relay_tests.c
my $PER_BATCH = 3;		# probe_max_accepted
my %PERCENT = map { $_ => 1 } (12, 13, 14, 15);	# the percent-hack forms

my $tmp = tempdir('batches-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sinkport = free_port();
my $o = Orbl->new(conf => {
	sink_listen => "127.0.0.1:$sinkport",
	sink_domain => 'sink.test',
	sink_local => 'relaytest',
	helo_name => 'prober.test',
	probe_allow => '127.0.0.0/8',
	cookie_key => 'a test secret, not for production',
	connect_timeout => '5s',
	smtp_timeout => '10s',
	probe_timeout => '120s',
	probe_max_accepted => $PER_BATCH,
	probe_batch_wait => '2s',
	arrival_wait => '15s',
	prefix_limit => 1000,
	submit_limit => 1000,
});
ok($o->start, 'orbl-dnsd up');
ok($o->start_prober, 'orbl-prober up (its sink listens)');

my $pf = Postfix->new(mode => 'acceptall', listen => '127.0.0.71',
    relayhost => "[127.0.0.1]:$sinkport", dir => $tmp);
ok(Postfix::start_all($pf), 'a private Postfix that accepts everything') or
    BAIL_OUT('Postfix did not start: ' . ($pf->error // ''));
my $fake = FakeSMTP->new(listen => '127.0.0.72', dir => $tmp,
    behaviour => 'accept_discard', save => 1, lifetime => 300, idle => 60);
$fake->start;

my %target = (acceptall => [$pf->ip, $pf->port],
    discard => [$fake->ip, $fake->port]);
for my $t (sort keys %target) {
	my ($ip, $port) = @{$target{$t}};
	my $r = $o->ctl('submit', $ip, '--port', $port, '--submitter', 'tests');
	is($r->{rc}, 0, "submit $t ($ip port $port)") or diag($r->{err});
}

sub newest_run {
	my ($ip) = @_;
	my $r = $o->ctl('lookup', $ip, '--json');
	my $j = eval { decode_json($r->{out}) } or return undef;
	for my $p (@{$j->{probes} // []}) {
		return $p if defined $p->{finished};
	}
	return undef;
}

my %run;
my $done = wait_until(240, 0.5, sub {
	$pf->flush;
	for my $k (keys %target) {
		$run{$k} //= newest_run($target{$k}[0]);
	}
	return (grep { defined $run{$_} } keys %target) == keys(%target);
});
ok(defined $done, 'both runs finished') or
    diag(Orbl::slurp($o->prober_log), $pf->log);

sub results { map { $_->{test} => $_->{result} } @{$_[0]{tests} // []} }

# -- the accept-all front end that relays one late form
SKIP: {
	my $p = $run{acceptall} or skip('no run', 8);
	is($p->{verdict}, 'confirmed', 'acceptall: confirmed') or
	    diag(explain($p));
	ok($PERCENT{$p->{relayed_test} // 0},
	    "... by a percent-hack form (test $p->{relayed_test})");
	my %r = results($p);
	is(scalar(keys %r), $BATTERY, '... the evidence has every form');
	my @before = grep { $_ < $p->{relayed_test} } 1 .. $BATTERY;
	is(scalar(grep { $r{$_} eq 'accepted' } @before), scalar(@before),
	    '... every form before it was accepted (and discarded)');
	is($r{$p->{relayed_test}}, 'relayed', '... the form that relayed');
	my @never = grep { $r{$_} eq 'not-run' } 1 .. $BATTERY;
	ok(@never > 0 && !grep({ $_ < $p->{relayed_test} } @never),
	    '... the forms after its batch were never sent (' .
	    scalar(@never) . ' not-run)');
	my $tr = $o->sql("SELECT transcript FROM probe WHERE id = " .
	    "$p->{probe}");
	like($tr, qr/no test mail yet: batch 2, tests 4\.\./,
	    '... the transcript says when and why it went on');
	my ($ip) = @{$target{acceptall}};
	is($o->ctl('lookup', $ip)->{rc}, 0, '... and it is listed');
	# The lookup page names the forms never reached.
	my $w = Web->new($o);
	ok($w->start, 'orbl-web up');
	my $r = $w->get("/lookup?ip=$ip");
	is($r->{status}, 200, "GET /lookup?ip=$ip");
	my $last = $p->{relayed_test} + 1;
	my $n = $BATTERY - $p->{relayed_test};
	like($r->{content}, qr/Never reached: $n forms \(tests $last&ndash;$BATTERY\)/,
	    '... the page names the forms never reached') or
	    diag($r->{content} =~ /(Never reached[^<]*)/);
	$w->stop;
}

# -- the accept-and-drop-everything server: the whole battery, bounded
SKIP: {
	my $p = $run{discard} or skip('no run', 6);
	is($p->{verdict}, 'accepted-not-delivered',
	    'discard: accepted-not-delivered') or diag(explain($p));
	my %r = results($p);
	is(scalar(keys %r), $BATTERY, '... the evidence has every form');
	is(scalar(grep { $_ eq 'not-run' } values %r), 0,
	    '... every form was tried');
	my $accepted = grep { $_ eq 'accepted' } values %r;
	is($accepted, $BATTERY, '... and accepted (250 proves nothing)');
	my $sent = () = $fake->log =~ /saved a copy of/g;
	is($sent, $accepted, "... one message per form: $sent messages");
	my $tr = $o->sql("SELECT transcript FROM probe WHERE id = " .
	    "$p->{probe}");
	my $batches = () = $tr =~ /no test mail yet: batch \d+/g;
	is($batches + 1, int(($BATTERY + $PER_BATCH - 1) / $PER_BATCH),
	    "... in batches of $PER_BATCH (" . ($batches + 1) . ' sessions)');
	my ($ip) = @{$target{discard}};
	is($o->ctl('lookup', $ip)->{rc}, 1, '... and it is not listed');
}

$fake->stop;
$pf->stop;
$o->stop_prober;
$o->stop;
done_testing();
