#!/usr/bin/perl
# 70-web.t -- orbl-web over HTTP: every route, HTML and JSON, with good
# and bad input: invalid and private addresses, oversized bodies (413),
# missing or wrong form tokens (403), the per-client rate limit (429 with
# Retry-After), unknown routes (404), wrong methods (405), wrong content
# types (415), the admin API without, with a wrong and with the right
# token, hostile SMTP text (a <script> in a transcript, replies, the
# Received chain, a reason) coming back escaped, the database missing or
# locked (503, and serving on), X-Forwarded-For from a trusted proxy
# only, signals and a clean exit.  The prober's progress is simulated by
# writing the database as orbl-prober would (75-web-e2e.t runs the real
# one in a browser).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Socket qw(inet_aton);
use Test::More;
use Time::HiRes qw(time sleep);

use Orbl qw(wait_until free_port);
use Web;

my $ADMIN = 'admin-secret-0123456789abcdef';
my $o = Orbl->new(conf => {
	probe_allow => '127.0.0.0/8',
	probe_ports => '25 587 2525 2526',
	submit_limit => 1000,
	retest_interval => '1h',
	request_contact_limit => 3,
	default_reason => 'listed: $',
});
my $w = Web->new($o, conf => { web_rate_limit => 6,
    web_admin_token => $ADMIN });
my $bin = Orbl::bindir() . '/orbl-web';

# -- daemon manners ------------------------------------------------------
{
	my $r = $o->run_cmd([$bin, '-V']);
	is($r->{rc}, 0, 'orbl-web -V: exit 0');
	like($r->{out}, qr/^orbl-web \d+\.\d+/, '... prints the version');
	$r = $o->run_cmd([$bin, '-h']);
	is($r->{rc}, 2, 'orbl-web -h: usage, exit 2');
	like($r->{err}, qr/usage: orbl-web/, '... on stderr');
	$r = $o->run_cmd([$bin, '-n', '-c', $o->conffile]);
	is($r->{rc}, 0, 'orbl-web -n with a good config: exit 0');
	like($r->{out}, qr/configuration OK/, '... says so');
	my $bad = $o->dir . '/bad.conf';
	$o->write_conf({ %{$o->{conf}}, web_base_url => 'ftp://x',
	    web_trust_proxy => 'not-an-address', web_admin_token => 'short' },
	    $bad);
	$r = $o->run_cmd([$bin, '-n', '-c', $bad]);
	is($r->{rc}, 1, 'orbl-web -n with a bad config: exit 1');
	like($r->{err}, qr/web_base_url/, '... names web_base_url');
	like($r->{err}, qr/web_trust_proxy/, '... and web_trust_proxy');
	like($r->{err}, qr/web_admin_token is too short/, '... and the token');
	open(my $fh, '>', $bad) or die;
	print $fh "web_listn = 127.0.0.1:1\n";
	close($fh);
	$r = $o->run_cmd([$bin, '-n', '-c', $bad]);
	is($r->{rc}, 1, 'unknown key: exit 1');
	like($r->{err}, qr/bad\.conf:1: unknown key 'web_listn'/,
	    '... with file, line and key');
}

ok($w->start, 'orbl-web up on ' . $w->base) or BAIL_OUT('no orbl-web');

sub json_ok {
	my ($r, $code, $name) = @_;
	is($r->{status}, $code, "$name: $code") or
	    diag(substr($r->{content} // '', 0, 600));
	like($r->{headers}{'content-type'} // '', qr{^application/json},
	    "$name: JSON");
	my $j = Web::json($r);
	ok($j, "$name: the body parses as JSON") or diag($r->{content});
	return $j // {};
}

sub html_ok {
	my ($r, $code, $name) = @_;
	is($r->{status}, $code, "$name: $code") or
	    diag(substr($r->{content} // '', 0, 600));
	like($r->{headers}{'content-type'} // '', qr{^text/html; charset=utf-8},
	    "$name: HTML");
	return $r->{content} // '';
}

sub api_error {
	my ($r, $code, $name, $re) = @_;
	my $j = json_ok($r, $code, $name);
	is($j->{status}, $code, "$name: error body carries the status");
	like($j->{error} // '', $re // qr/./, "$name: error says why");
	return $j;
}

# -- the front page --------------------------------------------------------
{
	my $r = $w->get('/');
	my $h = html_ok($r, 200, 'GET /');
	like($h, qr{<form method="get" action="/lookup"}, 'lookup form');
	like($h, qr{<form method="post" action="/submit">}, 'submit form');
	like($h, qr{<form method="post" action="/delist">}, 'delist form');
	like($h, qr{<label for="s-ip">}, 'labelled inputs');
	unlike($h, qr{<script}i, 'no script on the page');
	like($r->{headers}{'content-security-policy'} // '',
	    qr/default-src 'none'/, 'a Content-Security-Policy');
	is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff');
	is($r->{headers}{'x-frame-options'}, 'DENY', 'no framing');
	ok($w->token('submit') && $w->token('delist'), 'both forms carry a token');
	$h = $w->get('/?ip=192.0.2.77')->{content};
	like($h, qr{name="ip" required[^>]*value="192\.0\.2\.77"},
	    'GET /?ip= pre-fills the forms');
	$h = $w->get('/?ip=%22%3E%3Cscript%3Ex')->{content};
	unlike($h, qr{"><script>x}, 'the pre-filled value is escaped');
	like($h, qr{&quot;&gt;&lt;script&gt;x}, '... as entities');
	$r = $w->request('HEAD', '/');
	is($r->{status}, 200, 'HEAD /: 200');
	is($r->{content} // '', '', 'HEAD: no body');
}

# -- unknown routes and wrong methods ------------------------------------
{
	my $h = html_ok($w->get('/nonexistent'), 404, 'GET /nonexistent');
	like($h, qr/no such page/, '404 page says so');
	api_error($w->get('/api/v1/nonexistent'), 404, 'GET /api/v1/nonexistent');
	api_error($w->get('/api/v1/submissions/abc'), 404, 'submission id abc');
	api_error($w->get('/api/v1/submissions/0'), 404, 'submission id 0');
	api_error($w->get('/api/v1/submissions/999999'), 404, 'submission 999999',
	    qr/no submission/);
	api_error($w->get('/api/v1/delist-requests/999999'), 404,
	    'request 999999', qr/no delisting request/);
	html_ok($w->get('/submission/999999'), 404, 'GET /submission/999999');
	html_ok($w->get('/request/999999'), 404, 'GET /request/999999');
	html_ok($w->get('/submission/12x'), 404, 'GET /submission/12x');

	my $r = $w->post_form('/', { a => 1 });
	html_ok($r, 405, 'POST /');
	is($r->{headers}{allow}, 'GET, HEAD', '... Allow: GET, HEAD');
	$r = $w->get('/submit');
	html_ok($r, 405, 'GET /submit');
	is($r->{headers}{allow}, 'POST', '... Allow: POST');
	api_error($w->request('DELETE', '/api/v1/lookup?ip=192.0.2.1'), 405,
	    'DELETE /api/v1/lookup');
	api_error($w->request('PUT', '/api/v1/submissions'), 405,
	    'PUT /api/v1/submissions');
	api_error($w->request('OPTIONS', '/api/v1/submissions'), 405,
	    'OPTIONS (a CORS preflight) is never granted');
	api_error($w->get('/api/v1/admin/remove'), 405, 'GET admin/remove');
}

# -- lookups ------------------------------------------------------------------
$o->ctl_ok('add', '192.0.2.1', '--reason', '<script>alert("txt")</script> $');
$o->ctl_ok('add', '198.51.100.0/24', '--code', '127.0.0.3');
$o->ctl_ok('add', '198.51.100.9', '--exclude');
{
	for my $bad (['ip=not-an-address', qr/./], ['ip=192.0.2.0/24', qr/range/],
	    ['ip=', qr/give an address/], ['', qr/give an address/],
	    ['ip=1.2.3.4&ip=1.2.3.5', qr/twice/], ['ip=%zz', qr/escape/],
	    ['ip=1.2.3.4%00', qr/NUL/], ['IP=1.2.3.4', qr/name/]) {
		api_error($w->get("/api/v1/lookup?$bad->[0]"), 400,
		    "api lookup ?$bad->[0]", $bad->[1]);
		html_ok($w->get("/lookup?$bad->[0]"), 400, "lookup ?$bad->[0]");
	}
	my $j = json_ok($w->get('/api/v1/lookup?ip=192.0.2.1'), 200,
	    'api lookup of a listed address');
	is($j->{listed}, JSON::PP::true, 'listed: true');
	is($j->{code}, '127.0.0.2', 'code');
	is($j->{reason}, '<script>alert("txt")</script> 192.0.2.1',
	    'reason: the TXT, $ expanded, intact in JSON');
	is($j->{entry}, '192.0.2.1', 'entry');
	ok($j->{created} > 0, 'since: created');
	is($j->{history}[0]{op}, 'add', 'history: the journal');
	is($j->{history}[0]{actor}, 'operator', '... with the public actor');
	# The operator's entry: a re-test cannot remove it (76-web-check.t
	# has the advice for each kind of listing).
	is($j->{delist_url}, undef, 'delist_url: none for the operator\'s entry');
	is($j->{advice}, 'operator', 'advice: ask the operator');
	for my $k (qw(address listed entry code reason why source created
	    expires covering history verdict probes evidence events requests
	    delist_url advice contact check_url)) {
		ok(exists $j->{$k}, "lookup JSON has '$k'");
	}
	my $h = html_ok($w->get('/lookup?ip=192.0.2.1'), 200, 'lookup page');
	like($h, qr/192\.0\.2\.1 is listed/, 'says listed');
	unlike($h, qr/<script>alert/, 'the hostile reason is not markup');
	like($h, qr/&lt;script&gt;alert\(&quot;txt&quot;\)&lt;\/script&gt; 192\.0\.2\.1/,
	    '... it is shown escaped');
	like($h, qr{data-advice="operator"}, 'how to get delisted: the operator');
	like($h, qr{href="/check\?ip=192\.0\.2\.1"}, 'a link to the check page');

	$j = json_ok($w->get('/api/v1/lookup?ip=198.51.100.20'), 200,
	    'address in a listed /24');
	is($j->{entry}, '198.51.100.0/24', 'the /24 decides');
	is($j->{code}, '127.0.0.3', 'with its code');
	is($j->{reason}, 'listed: 198.51.100.20', 'default_reason, $ expanded');
	$j = json_ok($w->get('/api/v1/lookup?ip=198.51.100.9'), 200,
	    'excluded address');
	is($j->{listed}, JSON::PP::false, 'excluded: not listed');
	is($j->{exclude}, JSON::PP::true, 'exclude: true');
	$j = json_ok($w->get('/api/v1/lookup?ip=203.0.113.5'), 200,
	    'unlisted address');
	is($j->{listed}, JSON::PP::false, 'unlisted: listed false');
	is($j->{entry}, undef, 'entry null');
	is($j->{delist_url}, undef, 'no delist_url');
	$j = json_ok($w->get('/api/v1/lookup?ip=127.0.0.2'), 200, 'test point');
	is($j->{listed}, JSON::PP::true, '127.0.0.2 always listed');
	$j = json_ok($w->get('/api/v1/lookup?ip=::ffff:192.0.2.1'), 200,
	    'IPv4-mapped IPv6');
	is($j->{address}, '192.0.2.1', 'answered as IPv4');
	# orblctl lookup and orbl-web decide the same (core/lookup.c)
	for my $ip (qw(192.0.2.1 198.51.100.20 198.51.100.9 203.0.113.5
	    127.0.0.1 127.0.0.2)) {
		my $c = eval { decode_json($o->ctl('lookup', $ip, '--json')->{out}) };
		my $wj = Web::json($w->get("/api/v1/lookup?ip=$ip"));
		is_deeply([map { $wj->{$_} } qw(listed entry code reason why)],
		    [map { $c->{$_} } qw(listed entry code reason why)],
		    "$ip: orbl-web and orblctl lookup agree");
	}
}

# -- hostile evidence: what a hostile SMTP server sent, straight into the
# database as the prober records it.
my $X = q{<script>alert('x')</script>};
my $hostile = '127.0.0.66';
sub sqlq { my $s = shift; $s =~ s/'/''/g; return "'$s'" }
{
	my $now = int(time);
	$o->sql("INSERT INTO probe (addr, port, started, finished, verdict, " .
	    "hops, relayed_test, output_addr, transcript) VALUES ('$hostile', " .
	    "25, $now - 60, $now - 30, 'confirmed', 'single-hop', 3, " .
	    "'$hostile', " . sqlq("< 220 $X ESMTP\n> EHLO prober.test\n< 250 ok") .
	    ")");
	my $pid = $o->sql("SELECT max(id) FROM probe");
	$o->sql("INSERT INTO probe_test (probe_id, test_id, name, mail_from, " .
	    "rcpt_to, mail_reply, rcpt_reply, data_reply, verdict, arrived, " .
	    "arrived_from, received) VALUES ($pid, 1, 'plain', '<a\@b.test>', " .
	    "'<c\@d.test>', '250 ok', " . sqlq("554 $X") . ", NULL, 'closed', " .
	    "NULL, NULL, NULL), ($pid, 3, 'percent hack', '<x\@y.test>', " .
	    "'<relaytest%sink.test\@[$hostile]>', '250 ok', " . sqlq("250 $X") .
	    ", '250 queued', 'relayed', $now - 40, '$hostile', " .
	    sqlq("from evil ($X) by sink.test") . "), ($pid, 4, 'bang', NULL, " .
	    "NULL, NULL, NULL, NULL, 'not-run', NULL, NULL, NULL)");
	$o->ctl_ok('add', $hostile, '--reason', 'open relay (test 3)');
	$o->sql("UPDATE listing SET source = 'probe', probe_id = $pid WHERE " .
	    "net = " . Orbl::net_key($hostile));
	my $h = html_ok($w->get("/lookup?ip=$hostile"), 200,
	    'lookup page with hostile evidence');
	unlike($h, qr/<script>alert\('x'\)/, 'no hostile markup anywhere');
	my $n = () = $h =~ /&lt;script&gt;alert\(&#39;x&#39;\)&lt;\/script&gt;/g;
	ok($n >= 4, "the hostile text is shown escaped ($n places: " .
	    'transcript, replies, Received)');
	like($h, qr/Test 3 relayed/, 'which test relayed');
	like($h, qr/percent hack/, '... its address form');
	like($h, qr{relaytest%sink\.test\@\[127\.0\.0\.66\]}, '... the recipient');
	like($h, qr/arrived at the sink on \d{4}-\d\d-\d\d .* from <code>127\.0\.0\.66/,
	    'when and from where the test mail arrived');
	like($h, qr/Its Received chain/, 'the Received chain');
	like($h, qr/The SMTP transcript/, 'the transcript');
	like($h, qr/Never reached: 1 form \(test 4\)/, 'forms never reached are named');
	my $j = json_ok($w->get("/api/v1/lookup?ip=$hostile"), 200,
	    'api lookup with hostile evidence');
	is($j->{evidence}{probe}, $pid, 'evidence: the listing\'s probe');
	is($j->{evidence}{relayed_test}, 3, 'evidence: relayed test');
	my ($t3) = grep { $_->{test} == 3 } @{$j->{evidence}{tests}};
	is($t3->{rcpt_reply}, "250 $X", 'JSON keeps the hostile text intact');
	like($j->{evidence}{transcript}, qr/\Q$X\E/, '... in the transcript too');
	unlike($w->get("/api/v1/lookup?ip=$hostile")->{content}, qr/<script/,
	    'the raw JSON carries no < (\u003c instead)');
	is($j->{verdict}, 'confirmed', 'verdict: confirmed');
	is($j->{source}, 'probe', 'source: probe');
}

# -- submissions -------------------------------------------------------------
my $C1 = '127.1.0.1';
my $target = '127.0.0.50';
my $sub;
{
	my $tok = $w->token('submit', from => $C1);
	ok($tok, "a submit token for $C1");
	my $r = $w->post_form('/submit', { token => $tok, ip => $target,
	    port => 2525 }, from => $C1);
	is($r->{status}, 303, 'POST /submit: 303');
	like($r->{headers}{location} // '', qr{^/submission/(\d+)$},
	    '... to the status page');
	($sub) = ($r->{headers}{location} // '') =~ /(\d+)$/;
	is($o->sql("SELECT addr || ' ' || port || ' ' || submitter || ' ' || " .
	    "client || ' ' || state FROM submission WHERE id = $sub"),
	    "$target 2525 web:$C1 $C1 queued",
	    'queued through policy: submitter web:<client>, client recorded');
	my $h = html_ok($w->get("/submission/$sub"), 200, 'status page');
	like($h, qr/<meta http-equiv="refresh" content="2">/, 'reloads itself');
	like($h, qr/data-state="queued"/, 'state queued');
	my $j = json_ok($w->get("/api/v1/submissions/$sub"), 200, 'api submission');
	is($j->{state}, 'queued', 'api: queued');
	is($j->{done}, JSON::PP::false, 'api: not done');

	$o->sql("UPDATE submission SET state = 'probing', tries = 1 WHERE id = $sub");
	$h = $w->get("/submission/$sub")->{content};
	like($h, qr/data-state="probing"/, 'state probing');
	like($h, qr/http-equiv="refresh"/, '... still reloading');

	my $now = int(time);
	$o->sql("INSERT INTO probe (addr, port, submission_id, started, " .
	    "finished, verdict, transcript) VALUES ('$target', 2525, $sub, " .
	    "$now - 5, $now, 'closed', '< 220 fine')");
	my $pid = $o->sql("SELECT max(id) FROM probe");
	$o->sql("UPDATE submission SET state = 'done', result = 'closed', " .
	    "probe_id = $pid WHERE id = $sub");
	$h = $w->get("/submission/$sub")->{content};
	like($h, qr/data-state="closed"/, 'state: the result');
	unlike($h, qr/http-equiv="refresh"/, 'done: no more reloading');
	like($h, qr{href="/lookup\?ip=127\.0\.0\.50"}, 'link to the lookup');
	$j = json_ok($w->get("/api/v1/submissions/$sub"), 200, 'api done');
	is($j->{verdict}, 'closed', 'api: verdict');
	is($j->{evidence}{probe}, $pid, 'api: the probe');

	# Tested less than retest_interval ago: the last verdict stands.
	$tok = $w->token('submit', from => $C1);
	$r = $w->post_form('/submit', { token => $tok, ip => $target,
	    port => 2525 }, from => $C1);
	$h = html_ok($r, 200, 'resubmission inside the re-test interval');
	like($h, qr/tested recently/, '... the verdict stands');
	like($h, qr/closed/, '... which verdict');
	$j = json_ok($w->post_json('/api/v1/submissions', { ip => $target,
	    port => 2525 }, from => $C1), 200, 'api resubmission');
	is($j->{queued}, JSON::PP::false, 'api: not queued');
	is($j->{verdict}, 'closed', 'api: the last verdict');
	is($o->sql("SELECT count(*) FROM submission WHERE addr = '$target'"), 1,
	    'nothing queued twice');
}

# -- submission errors -------------------------------------------------------
{
	my $C = '127.1.0.2';
	my $tok = $w->token('submit', from => $C);
	for my $case ([{ ip => '10.1.2.3' }, qr/private/, 'a private target'],
	    [{ ip => '192.0.2.0/24' }, qr/single address|range/, 'a range'],
	    [{ ip => 'bogus' }, qr/./, 'not an address'],
	    [{ ip => '127.0.0.51', port => '99999' }, qr/port/, 'port 99999'],
	    [{ ip => '127.0.0.51', port => 2527 },
	    qr/port 2527 is not one that orbl tests \(ports: 25, 587, 2525, 2526\)/,
	    'a port outside probe_ports']) {
		my $r = $w->post_form('/submit', { token => $tok, %{$case->[0]} },
		    from => $C);
		my $h = html_ok($r, 400, "submit $case->[2]");
		like($h, $case->[1], "... says why");
	}
	my $C2 = '127.1.0.3';
	$tok = $w->token('submit', from => $C2);
	my $r = $w->post_form('/submit', { ip => '127.0.0.51' }, from => $C2);
	like(html_ok($r, 403, 'submit without a token'), qr/token/, '... token');
	$r = $w->post_form('/submit', { token => 'x' . $tok, ip => '127.0.0.51' },
	    from => $C2);
	html_ok($r, 403, 'submit with a wrong token');
	$r = $w->post_form('/submit', { token => $w->token('delist', from => $C2),
	    ip => '127.0.0.51' }, from => $C2);
	html_ok($r, 403, 'submit with the delist form\'s token');
	$r = $w->post_form('/submit', { token => $w->token('submit'),
	    ip => '127.0.0.51' }, from => $C2);
	html_ok($r, 403, 'submit with a token made for another client');
	$r = $w->post_form('/submit', { token => '1.' . ('0' x 32),
	    ip => '127.0.0.51' }, from => $C2);
	html_ok($r, 403, 'submit with an expired token');
	my $C3 = '127.1.0.4';
	$r = $w->request('POST', '/submit', from => $C3, content => 'ip=1',
	    headers => { 'Content-Type' => 'text/plain' });
	html_ok($r, 415, 'submit as text/plain');
	$r = $w->post_json('/submit', { ip => '127.0.0.51' }, from => $C3);
	html_ok($r, 415, 'JSON to the HTML form route');
	is($o->sql("SELECT count(*) FROM submission WHERE addr = '127.0.0.51'"),
	    0, 'none of these queued anything');
}

# -- the JSON API: submissions -------------------------------------------------
{
	my $C = '127.1.0.5';
	my $r = $w->post_json('/api/v1/submissions', { ip => '127.0.0.52',
	    port => 2526 }, from => $C);
	my $j = json_ok($r, 201, 'POST /api/v1/submissions (JSON)');
	ok($j->{submission}, "submission $j->{submission}");
	is($j->{state}, 'queued', 'state queued');
	is($j->{queued}, JSON::PP::true, 'queued true');
	is($r->{headers}{location}, "/api/v1/submissions/$j->{submission}",
	    'Location');
	$r = $w->post_form('/api/v1/submissions', { ip => '127.0.0.53' },
	    from => $C);
	api_error($r, 403, 'API form body without a token', qr/token/);
	$r = $w->post_form('/api/v1/submissions', { ip => '127.0.0.53',
	    token => $w->token('submit', from => $C) }, from => $C);
	$j = json_ok($r, 201, 'API form body with the token');
	is($j->{port}, 25, 'default port 25');
	$C = '127.1.0.6';
	api_error($w->post_json('/api/v1/submissions', '{"ip": "127.0.0.54",',
	    from => $C), 400, 'broken JSON', qr/JSON/);
	api_error($w->post_json('/api/v1/submissions', { ip => ['127.0.0.54'] },
	    from => $C), 400, 'nested JSON', qr/nested/);
	api_error($w->post_json('/api/v1/submissions', { port => 25 },
	    from => $C), 400, 'no address', qr/address/);
	api_error($w->post_json('/api/v1/submissions', { ip => '10.0.0.1' },
	    from => $C), 400, 'API: a private target', qr/private/);
	api_error($w->request('POST', '/api/v1/submissions', from => $C,
	    content => 'x', headers => { 'Content-Type' => 'text/plain' }),
	    415, 'API: text/plain');
}

# -- request size ---------------------------------------------------------------
{
	my $C = '127.1.0.7';
	my $big = encode_json({ ip => '127.0.0.55', note => 'x' x (20 * 1024) });
	api_error($w->post_json('/api/v1/submissions', $big, from => $C), 413,
	    'a 20 KiB body', qr/larger than/);
	my $r = $w->post_json('/api/v1/submissions',
	    encode_json({ note => 'x' x (200 * 1024) }), from => $C);
	is($r->{status}, 413, 'a 200 KiB body: 413 (from evhttp itself)');
	html_ok($w->post_form('/submit', { ip => 'x' x (20 * 1024) },
	    from => $C), 413, 'HTML form: 20 KiB');
	$r = $w->get('/?' . ('a' x (10 * 1024)) . '=1');
	ok($r->{status} >= 400 && $r->{status} < 500,
	    "a 10 KiB request line is refused ($r->{status})");
	$r = $w->get('/', headers => { 'X-Junk' => 'y' x (10 * 1024) });
	ok($r->{status} >= 400 && $r->{status} < 500,
	    "10 KiB of headers are refused ($r->{status})");
	is($w->get('/')->{status}, 200, 'and the server serves on');
}

# -- the rate limit ---------------------------------------------------------------
{
	my $C = '127.1.0.8';
	my $ok = 0;
	for my $i (1 .. 6) {
		my $r = $w->post_json('/api/v1/submissions',
		    { ip => "127.0.1.$i" }, from => $C);
		$ok++ if $r->{status} == 201;
	}
	is($ok, 6, 'six POSTs in an hour from one address (the limit)');
	my $r = $w->post_json('/api/v1/submissions', { ip => '127.0.1.7' },
	    from => $C);
	my $j = api_error($r, 429, 'the seventh', qr/too many/);
	like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After');
	ok($r->{headers}{'retry-after'} > 3000, '... about an hour');
	my $tok = $w->token('delist', from => $C);
	$r = $w->post_form('/delist', { token => $tok, ip => '127.0.1.1',
	    contact => 'a@b.example' }, from => $C);
	html_ok($r, 429, 'the HTML forms count too');
	ok($r->{headers}{'retry-after'}, '... Retry-After');
	is($o->sql("SELECT count(*) FROM submission WHERE addr = '127.0.1.7'"),
	    0, 'nothing queued over the limit');
	is($w->post_json('/api/v1/submissions', { ip => '127.0.1.7' },
	    from => '127.1.0.9')->{status}, 201,
	    'another client address is not limited');
	is($w->get('/api/v1/lookup?ip=127.0.1.1', from => $C)->{status}, 200,
	    'GETs are not limited');
}

# -- delisting requests ------------------------------------------------------------
my $req;
{
	my $C = '127.1.0.10';
	my $tok = $w->token('delist', from => $C);
	my $r = $w->post_form('/delist', { token => $tok, ip => $hostile,
	    contact => 'owner@relay.example', note => 'closed it <b>now</b>' },
	    from => $C);
	is($r->{status}, 303, 'POST /delist: 303');
	($req) = ($r->{headers}{location} // '') =~ m{^/request/(\d+)$};
	ok($req, "to /request/$req");
	is($o->sql("SELECT state || ' ' || contact FROM delist_request WHERE " .
	    "id = $req"), 'pending owner@relay.example', 'recorded by policy');
	my $h = html_ok($w->get("/request/$req"), 200, 'request page');
	like($h, qr/data-state="pending"/, 'pending');
	like($h, qr/waiting until \d{4}-/, 'waiting until the re-test interval');
	like($h, qr/http-equiv="refresh"/, 'reloads itself');
	unlike($h, qr/owner\@relay\.example/, 'the contact is not shown whole');
	like($h, qr/o\*\*\*\@relay\.example/, '... only masked');
	$r = $w->post_form('/delist', { token => $tok, ip => $hostile,
	    contact => 'other@relay.example' }, from => $C);
	is($r->{headers}{location}, "/request/$req?existing=1",
	    'a second request: the open one');
	like($w->get($r->{headers}{location})->{content}, qr/already open/,
	    '... which says so');
	for my $case ([{ ip => $hostile, contact => 'nobody' }, qr/mail address/],
	    [{ ip => 'nope', contact => 'a@b.example' }, qr/./],
	    [{ ip => $hostile, contact => 'a@b.example', note => 'n' x 1001 },
	    qr/longer than/]) {
		html_ok($w->post_form('/delist', { token => $tok,
		    %{$case->[0]} }, from => $C), 400, 'bad delist request');
	}
	# 192.0.2.1 is the operator's entry: a re-test cannot remove it.
	api_error($w->post_json('/api/v1/delist-requests', { ip => '192.0.2.1',
	    contact => 'admin@example.org' }, from => '127.1.0.11'), 400,
	    "a request for the operator's entry", qr/not listed by a relay test/);
	is($o->sql("SELECT count(*) FROM delist_request WHERE addr = " .
	    "'192.0.2.1'"), 0, '... recorded nothing');
	# From here on it is a probe listing (as a confirmed run leaves it).
	$o->probe_listed($_) for qw(192.0.2.1 192.0.2.11 192.0.2.12 192.0.2.13
	    192.0.2.14);
	my $j = json_ok($w->post_json('/api/v1/delist-requests', { ip => '192.0.2.1',
	    contact => 'admin@example.org' }, from => '127.1.0.11'), 201,
	    'POST /api/v1/delist-requests');
	ok($j->{request}, "request $j->{request}");
	is($j->{state}, 'pending', 'pending');
	is($j->{existing}, JSON::PP::false, 'not existing');
	$j = json_ok($w->get("/api/v1/delist-requests/$j->{request}"), 200,
	    'GET the request');
	is($j->{contact}, 'a***@example.org', 'contact masked in JSON too');
	is($j->{address}, '192.0.2.1', 'address');
	api_error($w->post_json('/api/v1/delist-requests', { ip => '192.0.2.1' },
	    from => '127.1.0.11'), 400, 'no contact', qr/mail address/);
	# The cap on open requests per contact (request_contact_limit 3)
	my $C2 = '127.1.0.12';
	my @st = map { $w->post_json('/api/v1/delist-requests', {
	    ip => "192.0.2.1$_", contact => 'busy@example.org' }, from => $C2)
	    ->{status} } 1 .. 4;
	is_deeply(\@st, [201, 201, 201, 429], 'a fourth open request for one ' .
	    'contact is refused');

	# The re-test decided (as orbl-prober records it), with hostile text.
	my $pid = $o->sql("SELECT max(id) FROM probe WHERE addr = '$hostile'");
	$o->sql("UPDATE delist_request SET state = 'refused', decided = " .
	    int(time) . ", probe_id = $pid, decision = " .
	    sqlq("re-test: still an open relay $X") . " WHERE id = $req");
	$h = html_ok($w->get("/request/$req"), 200, 'refused request page');
	like($h, qr/data-state="refused"/, 'refused');
	unlike($h, qr/http-equiv="refresh"/, 'decided: no reloading');
	unlike($h, qr/<script>alert/, 'decision and transcript escaped');
	like($h, qr/still an open relay &lt;script&gt;/, 'the decision is shown');
	like($h, qr/The SMTP transcript/, 'with the re-test transcript');
	$j = json_ok($w->get("/api/v1/delist-requests/$req"), 200, 'api refused');
	is($j->{state}, 'refused', 'api: refused');
	is($j->{retest}{probe}, $pid, 'api: the re-test probe');
	like($j->{retest}{transcript}, qr/\Q$X\E/, 'api: its transcript');
}

# -- the public pages do not show who submitted ----------------------------------
{
	my $h = $w->get("/lookup?ip=$target")->{content};
	unlike($h, qr/web:127\.1/, 'no client addresses on the lookup page');
	like($h, qr{<td>web</td>}, 'web actions say "web"');
	my $j = Web::json($w->get("/api/v1/lookup?ip=$hostile"));
	unlike(encode_json($j), qr/owner\@relay|closed it/,
	    'no contact or note in the lookup JSON');
}

# -- the admin API -----------------------------------------------------------------
{
	my $C = '127.1.0.13';
	my $body = { address => '192.0.2.1', reason => 'owner proved the fix' };
	api_error($w->post_json('/api/v1/admin/remove', $body, from => $C), 403,
	    'admin without a token', qr/token/);
	api_error($w->post_json('/api/v1/admin/remove', $body, from => $C,
	    headers => { Authorization => 'Bearer wrong' }), 403,
	    'admin with a wrong token');
	api_error($w->post_json('/api/v1/admin/remove', $body, from => $C,
	    headers => { Authorization => "Bearer ${ADMIN}x" }), 403,
	    'admin with a longer token');
	is($o->sql("SELECT count(*) FROM listing WHERE net = " .
	    Orbl::net_key('192.0.2.1')), 1,
	    'nothing removed');
	my $open = $o->sql("SELECT id FROM delist_request WHERE addr = " .
	    "'192.0.2.1' AND state = 'pending'");
	my $j = json_ok($w->post_json('/api/v1/admin/remove', $body, from => $C,
	    headers => { Authorization => "Bearer $ADMIN" }), 200,
	    'admin with the right token');
	is($j->{removed}, '192.0.2.1', 'removed');
	is_deeply($j->{requests_answered}, [$open], 'the open request answered');
	is($o->sql("SELECT a.s || ' ' || w.s FROM journal JOIN str a ON " .
	    "a.id = actor JOIN str w ON w.id = why WHERE net = " .
	    Orbl::net_key('192.0.2.1') . " AND op = 'remove'"),
	    'web-admin owner proved the fix',
	    'journal: actor web-admin, the reason');
	is($o->sql("SELECT state FROM delist_request WHERE id = $open"),
	    'delisted', 'the request is delisted');
	$j = Web::json($w->get('/api/v1/lookup?ip=192.0.2.1'));
	is($j->{listed}, JSON::PP::false, 'lookup: no longer listed');
	api_error($w->post_json('/api/v1/admin/remove', $body, from => $C,
	    headers => { Authorization => "Bearer $ADMIN" }), 404,
	    'removing it again', qr/no such entry/);
	api_error($w->post_json('/api/v1/admin/remove', { address => 'x' },
	    from => $C, headers => { Authorization => "Bearer $ADMIN" }), 400,
	    'admin: a bad address');
}

# -- a locked database: 503, and the server serves on ----------------------------
{
	# Taken when the sqlite3 holding it says so (not after a sleep).
	my $lock = $o->lock_db(key => 'lock');
	ok($lock, 'an sqlite3 holds the write lock');
	my $t0 = time;
	my $r = $w->post_json('/api/v1/submissions', { ip => '127.0.0.56' },
	    from => '127.1.0.14');
	my $j = api_error($r, 503, 'a write while the database is locked',
	    qr/database/);
	is($r->{headers}{'retry-after'}, 5, 'Retry-After: 5');
	note(sprintf('answered after %.1f s (busy timeout)', time - $t0));
	is($w->get('/api/v1/lookup?ip=192.0.2.1')->{status}, 200,
	    'reads still work (WAL)');
	$o->unlock_db($lock);
	$j = json_ok($w->post_json('/api/v1/submissions', { ip => '127.0.0.56' },
	    from => '127.1.0.14'), 201, 'after the lock: the write works');
}

# -- signals --------------------------------------------------------------------
{
	my $before = length($w->log_text);
	kill 'HUP', $w->pid;
	# Handled (the database closed) once its line is logged; the next
	# request is served after that, by the same event loop.
	ok(defined wait_until(20, 0.02, sub {
		substr($w->log_text, $before) =~ /SIGHUP: reopening the database/ }),
	    'SIGHUP: logged');
	is($w->get('/api/v1/lookup?ip=192.0.2.1')->{status}, 200,
	    'SIGHUP: the database is reopened');
	kill 'USR1', $w->pid;
	ok(defined wait_until(20, 0.05, sub { $w->log_text =~ /stats \(SIGUSR1\)/ }),
	    'SIGUSR1: a stats line');
	like($w->log_text, qr/rate-limited [1-9]/, '... counting the 429s');
}
$w->stop;

# -- a second orbl-web: no database yet, no admin token, behind a proxy ----------
{
	my $db2 = $o->dir . '/later.db';
	my $w2 = Web->new($o, conffile => $o->dir . '/web2.conf', conf => {
	    database => $db2, web_admin_token => '', web_rate_limit => 2,
	    web_trust_proxy => '127.0.0.1', web_base_url => 'https://orbl.example/' });
	ok($w2->start, 'orbl-web starts without a database');
	html_ok($w2->get('/'), 200, 'GET / serves');
	my $r = $w2->get('/api/v1/lookup?ip=192.0.2.1');
	api_error($r, 503, 'lookup without a database', qr/database/);
	html_ok($w2->get('/lookup?ip=192.0.2.1'), 503, 'HTML lookup: 503');
	api_error($w2->get('/api/v1/status'), 503, 'status: 503');
	api_error($w2->post_json('/api/v1/admin/remove', { address => '192.0.2.1' },
	    headers => { Authorization => 'Bearer anything' }), 403,
	    'admin API disabled without web_admin_token', qr/not enabled/);
	my $c = $o->run_cmd([Orbl::bindir() . '/orblctl', '-c',
	    $o->dir . '/web2.conf', 'init']);
	is($c->{rc}, 0, 'the database appears (orblctl init)');
	ok(defined wait_until(5, 0.2, sub {
		$w2->get('/api/v1/status')->{status} == 200 }),
	    'orbl-web opens it by itself');
	my $j = Web::json($w2->get('/api/v1/status'));
	is($j->{database}, 'ok', 'status: database ok');
	# X-Forwarded-For from a trusted proxy names the client
	my $xa = { 'X-Forwarded-For' => '203.0.113.7, 198.51.100.44' };
	my $xb = { 'X-Forwarded-For' => '198.51.100.45' };
	my @st = map { $w2->post_json('/api/v1/submissions', { ip => "127.0.2.$_" },
	    headers => $xa)->{status} } 1 .. 3;
	is_deeply(\@st, [201, 201, 429], 'the proxied client is limited');
	is($w2->post_json('/api/v1/submissions', { ip => '127.0.2.9' },
	    headers => $xb)->{status}, 201, 'another proxied client is not');
	is($o->run_cmd(['sqlite3', $db2, "SELECT client FROM submission ORDER " .
	    "BY id LIMIT 1"])->{out}, "198.51.100.44\n",
	    'the client is the rightmost address the proxy appended');
	my $tok = $w2->token('submit', headers => $xb);
	$r = $w2->post_form('/submit', { token => $tok, ip => '127.0.2.10' },
	    headers => $xb);
	is($r->{status}, 303, 'a form token is good for the same proxied client');
	is($r->{headers}{location}, 'https://orbl.example/submission/' .
	    ($o->run_cmd(['sqlite3', $db2, 'SELECT max(id) FROM submission'])->{out}
	    =~ s/\s+//r), 'links use web_base_url');
	$r = $w2->post_form('/submit', { token => $tok, ip => '127.0.2.11' },
	    headers => { 'X-Forwarded-For' => '198.51.100.46' });
	is($r->{status}, 403, '... not for another one');
	$w2->stop;
}

done_testing();
