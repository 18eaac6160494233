#!/usr/bin/perl
# 76-web-check.t -- orbl-web's multi-list check (/check, /api/v1/check)
# and the lookup page's advice by how an address is listed.  Two real
# orbl-dnsd (ours: bl.test; another list: other.test, asked at
# ZONE@IP:PORT), a small fake list server (err.test answers a list's own
# error code 127.255.255.254; gate.test answers only once the test opens
# its gate) and a UDP socket nobody reads (dead.test: the timeout).
# Rows listed / not listed / error (timeout, error code), listed rows
# marked by class and text, a hostile TXT escaped, the JSON shape, the
# rate limit, bad addresses; that orbl-web serves other requests while a
# check waits (the gate holds a list's answer: nothing here measures
# time); the advice on the lookup pages of a probe listing, an
# operator's entry, a range and an unlisted address.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(_exit);
use Test::More;

use Net::DNS;
use Orbl qw(wait_until free_port);
use Web;

my $X = q{<script>alert('txt')</script>};

# --- the lists ----------------------------------------------------------------
my $o = Orbl->new(zones => ['bl.test'], ipv6 => 0);
$o->ctl_ok('add', '192.0.2.1', '--reason', "operator says $X");
$o->ctl_ok('add', '198.51.100.0/24', '--code', '127.0.0.3', '--reason',
    'a bad neighbourhood');
$o->probe_listed('192.0.2.5');
my $b = Orbl->new(zones => ['other.test'], ipv6 => 0);
$b->ctl_ok('add', '192.0.2.1', '--code', '127.0.0.10', '--reason',
    "other list: $X");
ok($o->start, 'orbl-dnsd (bl.test) up') or BAIL_OUT('no dnsd');
ok($b->start, 'orbl-dnsd (other.test) up') or BAIL_OUT('no dnsd');

my $hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'udp') or die "udp: $!";
my $hp = $hole->sockport;

my $gate = $o->dir . '/gate-open';
my $flog = $o->dir . '/fake.log';
my $fp = free_port();
my $fpid = fake_server($fp, $flog);

# err.test: the list's own error code; gate.test: held until $gate exists.
sub fake_server {
	my ($port, $log) = @_;
	my $u = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port, Proto => 'udp') or die "fake udp: $!";
	my $pid = fork // die "fork: $!";
	return $pid if $pid;
	Orbl::die_with_parent();
	$SIG{TERM} = sub { _exit(0) };
	open(my $lf, '>>', $log) or _exit(1);
	$lf->autoflush(1);
	my @held;
	my $sel = IO::Select->new($u);
	for (;;) {
		# The gate is a file: look again every 50 ms while replies wait.
		for my $s ($sel->can_read(@held ? 0.05 : 1)) {
			my $buf = '';
			my $peer = recv($u, $buf, 65535, 0) // next;
			my $q = eval { Net::DNS::Packet->new(\$buf) } or next;
			my ($qq) = $q->question;
			print $lf $qq->qname . ' ' . $qq->qtype . "\n";
			my $r = $q->reply;
			$r->header->rcode('NOERROR');
			my ($name, $type) = ($qq->qname, $qq->qtype);
			if ($name =~ /\.err\.test$/) {
				$r->push(answer => Net::DNS::RR->new(
				    "$name 60 IN A 127.255.255.254")) if $type eq 'A';
			} elsif ($name =~ /\.gate\.test$/) {
				$r->push(answer => Net::DNS::RR->new(
				    "$name 60 IN A 127.0.0.4")) if $type eq 'A';
				$r->push(answer => Net::DNS::RR->new(
				    "$name 60 IN TXT \"through the gate\""))
				    if $type eq 'TXT';
				push @held, [$peer, $r->data];
				next;
			} else {
				$r->header->rcode('NXDOMAIN');
			}
			send($u, $r->data, 0, $peer);
		}
		if (@held && -e $gate) {
			send($u, $_->[1], 0, $_->[0]) for @held;
			@held = ();
		}
	}
}

my ($op, $bp) = ($o->port, $b->port);
my $w = Web->new($o, conf => {
	web_rate_limit => 6,
	web_check_timeout => '3s',
	web_check_lists => ["other.test\@127.0.0.1:$bp", "err.test\@127.0.0.1:$fp",
	    "dead.test\@127.0.0.1:$hp"],
});
ok($w->start, 'orbl-web up') or BAIL_OUT('no orbl-web');

# A client address per use: the rate limit counts per client.
my $nc = 0;
sub client { $nc++; return "127.3.0.$nc" }

sub row {
	my ($h, $zone) = @_;
	return $1 if $h =~ m{(<tr class="[^"]*" data-result="[^"]*" data-zone="\Q$zone\E">.*?</tr>)}s;
	return '';
}

# --- a listed address: the page ------------------------------------------------
{
	my $r = $w->get('/check?ip=192.0.2.1', from => client());
	is($r->{status}, 200, 'GET /check?ip=192.0.2.1: 200') or diag($r->{content});
	my $h = $r->{content} // '';
	like($h, qr{<title>192\.0\.2\.1 on the blocklists - orbl</title>}, 'title');
	# orbl and other.test answered; err.test's code and dead.test's
	# silence are errors.
	like($h, qr{data-listed="2" data-answered="2"}, 'listed in the 2 lists that answered');
	like($h, qr{is listed in 2 of the 2 lists that answered \(2 did not answer\)},
	    '... in words');
	my $own = row($h, 'bl.test');
	like($own, qr{class="listed"}, 'orbl row: class listed');
	like($own, qr{<strong>LISTED</strong>}, 'orbl row: LISTED in text, not colour only');
	like($own, qr{orbl, this site}, 'orbl row: says it is ours');
	like($own, qr{<td>127\.0\.0\.2</td>}, 'orbl row: the code');
	like($own, qr{operator says &lt;script&gt;alert\(&#39;txt&#39;\)&lt;/script&gt;},
	    'orbl row: the reason, escaped');
	my $other = row($h, 'other.test');
	like($other, qr{class="listed"}, 'other.test: listed');
	like($other, qr{<td>127\.0\.0\.10</td>}, 'other.test: its code');
	like($other, qr{other list: &lt;script&gt;alert}, 'other.test: its TXT, escaped');
	unlike($h, qr{<script>alert}, 'no hostile markup anywhere');
	my $err = row($h, 'err.test');
	like($err, qr{class="error"}, 'err.test: an error row, not a listing');
	like($err, qr{refused the query \(code 127\.255\.255\.254}, '... naming the code');
	unlike($err, qr{LISTED}, '... not LISTED');
	my $dead = row($h, 'dead.test');
	like($dead, qr{class="error".*<td>timeout</td>}s, 'dead.test: timeout');
	like($h, qr{href="/lookup\?ip=192\.0\.2\.1"}, 'links to the lookup');
	like($h, qr{href="/\?ip=192\.0\.2\.1#submit"}, 'and to the relay test');
}

# --- the JSON --------------------------------------------------------------------
{
	my $r = $w->get('/api/v1/check?ip=192.0.2.1', from => client());
	is($r->{status}, 200, 'GET /api/v1/check: 200');
	like($r->{headers}{'content-type'} // '', qr{^application/json}, 'JSON');
	unlike($r->{content}, qr/<script/, 'the raw JSON carries no <');
	my $j = Web::json($r) // {};
	is($j->{address}, '192.0.2.1', 'address');
	is($j->{listed}, JSON::PP::true, 'listed: true');
	is($j->{listed_in}, 2, 'listed_in 2');
	is($j->{answered}, 2, 'answered 2 (the errors are not answers)');
	is(scalar @{$j->{lists} // []}, 4, 'four rows: orbl and the three lists');
	my %l = map { $_->{zone} => $_ } @{$j->{lists} // []};
	is_deeply([map { $j->{lists}[$_]{zone} } 0 .. 3],
	    [qw(bl.test other.test err.test dead.test)], 'orbl first, then in order');
	is($l{'bl.test'}{source}, 'orbl', 'bl.test: source orbl');
	is_deeply($l{'bl.test'}{codes}, ['127.0.0.2'], 'bl.test: codes');
	is($l{'bl.test'}{txt}[0], "operator says $X", 'bl.test: TXT intact');
	is($l{'other.test'}{source}, 'dns', 'other.test: source dns');
	is($l{'other.test'}{server}, "127.0.0.1:$bp", 'other.test: its server');
	is_deeply($l{'other.test'}{codes}, ['127.0.0.10'], 'other.test: codes');
	is($l{'other.test'}{txt}[0], "other list: $X", 'other.test: TXT intact');
	is($l{'err.test'}{listed}, JSON::PP::false, 'err.test: not listed');
	like($l{'err.test'}{error} // '', qr/127\.255\.255\.254/, 'err.test: the error');
	is($l{'dead.test'}{error}, 'timeout', 'dead.test: timeout');
	for my $k (qw(zone source server listed codes txt error ms)) {
		ok(exists $l{'other.test'}{$k}, "a row has '$k'");
	}
	like($j->{lookup} // '', qr{/api/v1/lookup\?ip=192\.0\.2\.1$}, 'lookup URL');
	# orblctl check and the page read the other list the same
	my $c = eval { decode_json($o->ctl('check', '192.0.2.1', '--lists',
	    "other.test\@127.0.0.1:$bp,err.test\@127.0.0.1:$fp", '--json')->{out}) };
	is_deeply([map { [$_->{listed} ? 1 : 0, $_->{codes}, $_->{txt},
	    defined $_->{error} ? 1 : 0] } @{$c->{lists} // []}],
	    [map { [$l{$_}{listed} ? 1 : 0, $l{$_}{codes}, $l{$_}{txt},
	    defined $l{$_}{error} ? 1 : 0] } qw(other.test err.test)],
	    'orblctl check agrees (the same code)');
}

# --- not listed anywhere -------------------------------------------------------------
{
	my $j = Web::json($w->get('/api/v1/check?ip=203.0.113.5', from => client())) // {};
	is($j->{listed}, JSON::PP::false, '203.0.113.5: listed nowhere');
	is($j->{listed_in}, 0, 'listed_in 0');
	my %l = map { $_->{zone} => $_ } @{$j->{lists} // []};
	is($l{'bl.test'}{listed}, JSON::PP::false, 'orbl: not listed');
	is($l{'bl.test'}{error}, undef, 'orbl: no error');
	is($l{'other.test'}{listed}, JSON::PP::false, 'other.test: not listed');
	is($l{'other.test'}{error}, undef, 'other.test: answered');
	my $h = $w->get('/check?ip=203.0.113.5', from => client())->{content} // '';
	like(row($h, 'bl.test'), qr{class="clear".*not listed}s, 'orbl row: not listed');
	like(row($h, 'other.test'), qr{class="clear"}, 'other.test row: clear');
	like($h, qr{is not listed in any of the 2 lists that answered}, 'summary');
}

# --- bad input ----------------------------------------------------------------------
{
	for my $bad (['ip=not-an-address', qr/./], ['ip=192.0.2.0/24', qr/range/],
	    ['', qr/give an address/], ['ip=1.2.3.4&ip=1.2.3.5', qr/twice/]) {
		my $r = $w->get("/api/v1/check?$bad->[0]", from => client());
		is($r->{status}, 400, "api check ?$bad->[0]: 400");
		like((Web::json($r) // {})->{error} // '', $bad->[1], '... says why');
		$r = $w->get("/check?$bad->[0]", from => client());
		is($r->{status}, 400, "check ?$bad->[0]: 400");
		like($r->{headers}{'content-type'} // '', qr{^text/html}, '... as a page');
	}
	is($w->request('POST', '/check?ip=192.0.2.1')->{status}, 405, 'POST /check: 405');
}

# --- the rate limit ------------------------------------------------------------------
{
	my $C = '127.3.1.1';
	my @st = map { $w->get('/api/v1/check?ip=203.0.113.9', from => $C)->{status} }
	    1 .. 6;
	is_deeply(\@st, [(200) x 6], 'six checks an hour from one address');
	my $r = $w->get('/check?ip=203.0.113.9', from => $C);
	is($r->{status}, 429, 'the seventh: 429');
	like($r->{content}, qr/too many checks/, '... says why');
	ok(($r->{headers}{'retry-after'} // 0) > 3000, '... Retry-After about an hour');
	is($w->get('/api/v1/lookup?ip=203.0.113.9', from => $C)->{status}, 200,
	    'lookups are not limited by it');
	is($w->get('/api/v1/check?ip=203.0.113.9', from => '127.3.1.2')->{status},
	    200, 'another client is not limited');
	isnt($w->post_json('/api/v1/submissions', { ip => '192.0.2.200' },
	    from => $C)->{status}, 429, 'checks do not use up the POSTs');
}

# --- the advice on the lookup page ---------------------------------------------------
{
	my $h = $w->get('/lookup?ip=192.0.2.5')->{content} // '';
	like($h, qr{data-advice="retest"}, 'probe listing: re-test advice');
	like($h, qr{Close the relay}, '... close the relay');
	like($h, qr{id="delist-link" href="/\?ip=192\.0\.2\.5#delist"}, '... request delisting');
	like($h, qr{href="/check\?ip=192\.0\.2\.5"}, '... and the check page');

	$h = $w->get('/lookup?ip=192.0.2.1')->{content} // '';
	like($h, qr{data-advice="operator"}, 'manual listing: operator advice');
	like($h, qr{source: manual\), not by a relay test}, '... made by the operator');
	like($h, qr{A re-test will not remove it}, '... a re-test will not help');
	unlike($h, qr{delist-link|#delist"}, '... and no re-test form as the way out');
	like($h, qr{<dd id="why-listed">operator says &lt;script&gt;}, '... why, escaped');
	like($h, qr{href="mailto:hostmaster\@orbl\.example">hostmaster\@orbl\.example</a>},
	    '... who to contact (the SOA RNAME)');
	like($h, qr{href="/check\?ip=192\.0\.2\.1"}, '... and the check page');

	$h = $w->get('/lookup?ip=198.51.100.20')->{content} // '';
	like($h, qr{data-advice="range"}, 'range: range advice');
	like($h, qr{in a listed range, <code>198\.51\.100\.0/24</code>}, '... names the range');
	like($h, qr{<dd id="why-listed">a bad neighbourhood</dd>}, '... why');
	unlike($h, qr{delist-link|#delist"}, '... no re-test form');

	$h = $w->get('/lookup?ip=203.0.113.5')->{content} // '';
	like($h, qr{data-advice="not-listed"}, 'unlisted: says so');
	like($h, qr{orbl does not list 203\.0\.113\.5}, '... in words');
	like($h, qr{id="submit-link" href="/\?ip=203\.0\.113\.5#submit"}, '... offers the relay test');
	like($h, qr{id="check-link" href="/check\?ip=203\.0\.113\.5"}, '... and the check');

	my %adv = map { $_ => (Web::json($w->get("/api/v1/lookup?ip=$_")) // {}) }
	    qw(192.0.2.5 192.0.2.1 198.51.100.20 203.0.113.5);
	is_deeply([map { $adv{$_}{advice} } qw(192.0.2.5 192.0.2.1 198.51.100.20 203.0.113.5)],
	    [qw(retest operator range not-listed)], 'the JSON says the same');
	ok($adv{'192.0.2.5'}{delist_url}, 'JSON: a delist_url for the probe listing');
	is($adv{'192.0.2.1'}{delist_url}, undef, 'JSON: none for the operator\'s');
	is($adv{'192.0.2.1'}{contact}, 'hostmaster@orbl.example', 'JSON: the contact');
}

# --- the home page -----------------------------------------------------------------------
{
	my $h = $w->get('/')->{content} // '';
	like($h, qr{<form method="get" action="/check">}, 'home: the check form');
	like($h, qr{mailq \| wc -l}, 'home: the queue hint');
	like($h, qr{thousands mean the server is probably relaying}, '... what numbers mean');
	like($h, qr{orblctl queue-check}, '... and orblctl queue-check');
}
$w->stop;

# --- a slow list does not hold up the server ------------------------------------------------
{
	my $w2 = Web->new($o, conffile => $o->dir . '/web2.conf', conf => {
	    web_check_timeout => '60s',
	    web_check_lists => ["gate.test\@127.0.0.1:$fp"] });
	ok($w2->start, 'a second orbl-web (gate.test, 60 s timeout)');
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $w2->port,
	    Proto => 'tcp') or die "connect: $!";
	print $s "GET /api/v1/check?ip=192.0.2.1 HTTP/1.0\r\nHost: x\r\n\r\n";
	ok(defined wait_until(30, 0.05, sub {
		(Orbl::slurp($flog) // '') =~ /\.gate\.test\. A|\.gate\.test A/ }),
	    'the check asked gate.test (held there)');
	is($w2->get('/api/v1/status')->{status}, 200,
	    'another request is answered while the check waits');
	is($w2->get('/lookup?ip=192.0.2.1')->{status}, 200, '... and another');
	ok(!IO::Select->new($s)->can_read(0), 'the check has not answered yet');
	open(my $g, '>', $gate) or die;
	close($g);
	my $reply = '';
	$s->timeout(30);
	while (my $n = sysread($s, my $buf, 65536)) { $reply .= $buf }
	like($reply, qr{^HTTP/1\.[01] 200}, 'once the gate opens, the check answers');
	my ($body) = $reply =~ /\r\n\r\n(.*)$/s;
	my $j = eval { decode_json($body // '') } // {};
	my ($gl) = grep { $_->{zone} eq 'gate.test' } @{$j->{lists} // []};
	is_deeply($gl->{codes}, ['127.0.0.4'], 'with the held answer');
	is($gl->{txt}[0], 'through the gate', '... and its TXT');
	# A client that gives up before the answer: the server carries on.
	unlink($gate);
	my $s2 = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $w2->port,
	    Proto => 'tcp') or die "connect: $!";
	print $s2 "GET /check?ip=192.0.2.77 HTTP/1.0\r\nHost: x\r\n\r\n";
	ok(defined wait_until(30, 0.05, sub {
		(Orbl::slurp($flog) // '') =~ /77\.2\.0\.192\.gate\.test/ }),
	    'a second check asks');
	close($s2);
	is($w2->get('/api/v1/status')->{status}, 200, 'its client left: serving on');
	# Stopped while a check waits: a clean exit (Web.pm asserts it).
	my $s3 = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $w2->port,
	    Proto => 'tcp') or die "connect: $!";
	print $s3 "GET /check?ip=192.0.2.78 HTTP/1.0\r\nHost: x\r\n\r\n";
	ok(defined wait_until(30, 0.05, sub {
		(Orbl::slurp($flog) // '') =~ /78\.2\.0\.192\.gate\.test/ }),
	    'a third check waits at the gate');
	$w2->stop;
	close($s3);
}

kill 'TERM', $fpid;
waitpid($fpid, 0);
$o->stop;
$b->stop;
done_testing();
