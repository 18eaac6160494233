#!/usr/bin/perl
# 72-web-hostile.t -- orbl-web under hostile load and headers: out of file
# descriptors (a low open-file limit, set with prlimit, and a hundred idle
# connections) it logs the condition once, does not spin (a handful of
# failed accepts, not millions) and answers again once they close; at
# web_max_clients it stops accepting and takes the next connection when
# one closes; behind a trusted proxy the client is the right-most
# untrusted X-Forwarded-For address over all the header's lines, so a
# client that writes a line of its own before the proxy's dodges neither
# the rate limit nor the form token's binding.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use Test::More;

use Orbl qw(wait_until);
use Web;

my $o = Orbl->new(conf => {
	probe_allow => '127.0.0.0/8',
	submit_limit => 1000,
});

# n idle connections to $w (connected: the kernel completes them even
# while orbl-web does not accept).
sub idle {
	my ($w, $n) = @_;
	my @s;
	for (1 .. $n) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $w->port, Proto => 'tcp', Timeout => 5);
		push @s, $s if $s;
	}
	return @s;
}

sub count_lines {
	my ($w, $re) = @_;
	return scalar(grep { /$re/ } split /\n/, $w->log_text);
}

# SIGUSR1, and the stats line it writes (bounded): the event loop went
# round since, and the line says how many connections are open and how
# many accepts failed.
my %nstats;
sub stats {
	my ($w) = @_;
	my $want = ++$nstats{$w->log_file};
	kill 'USR1', $w->pid;
	my $line;
	wait_until(10, 0.05, sub {
		my @l = grep { /stats \(SIGUSR1\)/ } split /\n/, $w->log_text;
		return 0 if @l < $want;
		$line = $l[-1];
		return 1;
	});
	return {} unless defined $line;
	my %st;
	$st{open} = $1 if $line =~ /\bopen (\d+)/;
	$st{failed} = $1 if $line =~ /failed accepts (\d+)/;
	$st{connections} = $1 if $line =~ /connections (\d+)/;
	return \%st;
}

sub get_ok {
	my ($w) = @_;
	my $code = 0;
	wait_until(20, 0.1, sub {
		$code = HTTP::Tiny->new(timeout => 2)->get($w->base . '/')
		    ->{status};
		return $code == 200;
	});
	return $code;
}

# -- out of file descriptors -------------------------------------------------
SKIP: {
	my $prlimit = (grep { -x "$_/prlimit" } split /:/, $ENV{PATH})[0];
	skip('no prlimit (util-linux)', 10) unless $prlimit;
	my $w = Web->new($o, conf => { web_max_clients => 1000 });
	ok($w->start, 'orbl-web up') or BAIL_OUT('no orbl-web');
	my $r = $o->run_cmd(["$prlimit/prlimit", '--pid', $w->pid,
	    '--nofile=64:64']);
	is($r->{rc}, 0, 'its open-file limit is 64 now') or diag($r->{err});

	my @idle = idle($w, 100);
	is(scalar(@idle), 100, '100 idle connections, more than it has ' .
	    'descriptors for');
	ok(defined wait_until(15, 0.05, sub {
		$w->log_text =~ /out of file descriptors/ }),
	    'out of file descriptors: logged') or diag($w->log_text);
	my $st = stats($w);
	ok(defined $st->{open} && $st->{open} > 20 && $st->{open} < 64,
	    "it holds what its descriptors allow ($st->{open} open)");
	ok(defined $st->{failed} && $st->{failed} <= 5,
	    'a handful of failed accepts (' . ($st->{failed} // '?') .
	    '), no spin');
	is(count_lines($w, qr/out of file descriptors|accept\(\)/), 1,
	    'the condition is logged once');

	close($_) for @idle;
	@idle = ();
	is(get_ok($w), 200, 'the idle ones closed: a new request is answered');
	ok(defined wait_until(15, 0.05, sub {
		$w->log_text =~ /file descriptors to spare again/ }),
	    '... and the recovery is logged');
	my $n = count_lines($w, qr/out of file descriptors|accept\(\)/);
	ok($n <= 4, "a handful of lines about it in all ($n)") or
	    diag($w->log_text);
	$w->stop;
}

# -- web_max_clients ------------------------------------------------------------
{
	my $w = Web->new($o, conf => { web_max_clients => 5 });
	ok($w->start, 'orbl-web with web_max_clients 5');
	my @idle = idle($w, 5);
	is(scalar(@idle), 5, '5 idle connections');
	ok(defined wait_until(10, 0.05, sub {
		$w->log_text =~ /at the cap: 5 connections open/ }),
	    'at the cap: logged');
	my $sixth = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $w->port, Proto => 'tcp', Timeout => 5);
	ok($sixth, 'a sixth connects (the kernel queues it)');
	print $sixth "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	my $st = stats($w);
	is($st->{open}, 5, '... but is not accepted: 5 open');
	ok(!IO::Select->new($sixth)->can_read(0), '... and not answered');
	close(shift @idle);
	my $reply = '';
	if (IO::Select->new($sixth)->can_read(15)) {
		local $/;
		$reply = <$sixth> // '';
	}
	like($reply, qr{^HTTP/1\.[01] 200 }, 'one idle closed: the sixth is ' .
	    'answered');
	close($sixth);
	close($_) for @idle;
	ok(defined wait_until(15, 0.05, sub {
		$w->log_text =~ /below the cap again/ }),
	    'below the cap again: logged');
	is(count_lines($w, qr/at the cap/), 1, 'the cap logged once');
	$w->stop;
}

# -- X-Forwarded-For over several lines --------------------------------------
{
	my $w = Web->new($o, conf => { web_trust_proxy => '127.0.0.1',
	    web_rate_limit => 2 });
	ok($w->start, 'orbl-web behind a trusted proxy (127.0.0.1)');
	my $real = '198.51.100.44';
	my $n = 0;
	my $post = sub {
		my ($lines, %a) = @_;
		$n++;
		return $w->post_json('/api/v1/submissions',
		    { ip => "127.0.3.$n" }, %a,
		    headers => { 'X-Forwarded-For' => $lines })->{status};
	};
	# The client writes a line; the proxy appends its own.
	my @st = map { $post->(["6.6.6.$_", $real]) } 1 .. 3;
	is_deeply(\@st, [201, 201, 429], 'the real client is limited, ' .
	    'whatever it writes in a line of its own');
	is($post->([$real, '198.51.100.45']), 201,
	    'naming the limited client in the first line costs another ' .
	    'nothing');
	is($post->(["6.6.6.9, 127.0.0.1", $real]), 429,
	    'a line that names the trusted proxy: still the real client');
	is($post->(["6.6.6.10", "$real, 127.0.0.1"]), 429,
	    'a trusted hop right of it: still the real client');
	is($post->(["6.6.6.11", "unknown"]), 201,
	    'a line the proxy wrote that is no address: charged to the proxy');
	is($o->sql("SELECT client FROM submission ORDER BY id LIMIT 1"), $real,
	    'the client recorded is the real one');
	is($o->sql("SELECT count(*) FROM submission WHERE client LIKE " .
	    "'6.6.6.%'"), 0, 'a spoofed address is never the client');
	# A peer that is not a trusted proxy is the client, lines or not.
	is($post->([$real, $real], from => '127.0.0.5'), 201,
	    'an untrusted peer: its own address counts');

	# The form token is bound to the real client.
	my $c = '198.51.100.46';
	my $tok = $w->token('submit', headers => { 'X-Forwarded-For' =>
	    ['6.6.6.20', $c] });
	ok($tok, 'a form token for the real client');
	my $r = $w->post_form('/submit', { token => $tok, ip => '127.0.3.90' },
	    headers => { 'X-Forwarded-For' => ['6.6.6.21', $c] });
	is($r->{status}, 303, '... good whatever the client line says');
	$r = $w->post_form('/submit', { token => $tok, ip => '127.0.3.91' },
	    headers => { 'X-Forwarded-For' => [$c, '198.51.100.47'] });
	is($r->{status}, 403, '... and not for another client that names it');
	$w->stop;
}

done_testing();
