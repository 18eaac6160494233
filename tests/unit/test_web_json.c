/*
 * test_web_json.c -- unit tests for web/api_json.c: the JSON API's
 * documents, built from hand-made views, as the exact text orbl-web
 * sends (keys, their order, value types, null for absent values, URLs
 * under web_base_url); the escapes of the text (the same bytes as
 * esc_json for every string, so < > & never appear raw); bad UTF-8; and
 * every builder under an allocator that fails at each allocation in turn
 * (NULL, nothing leaked, never a crash).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "action.h"
#include "api_json.h"
#include "dnsbl_check.h"
#include "esc.h"
#include "lookup.h"
#include "policy.h"
#include "view.h"

#define BASE	"https://orbl.example/"

/* doc (taken) as text must be want. */
static void
dumps_as(json_t *doc, const char *want)
{
	char	*text;
	size_t	 len;

	assert_non_null(doc);
	text = api_json_dump(doc, &len);
	json_decref(doc);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text, want);
	free(text);
}

/* Like dumps_as, for the last strlen(want) bytes only. */
static void
dumps_as_tail(json_t *doc, const char *want)
{
	char	*text;
	size_t	 len, n = strlen(want);

	assert_non_null(doc);
	text = api_json_dump(doc, &len);
	json_decref(doc);
	assert_non_null(text);
	assert_true(len >= n);
	assert_string_equal(text + len - n, want);
	free(text);
}

static struct view_test tests2[] = {
	{ 1, "plain", "<a@b>", "<c@d>", "250 ok", "250 ok", "250 queued",
	    "relayed", 1700000200, "192.0.2.9", "from x\nby y" },
	{ 2, "percent", NULL, NULL, "550 no", NULL, NULL, "refused", 0,
	    NULL, NULL },
};

static struct view_probe probe_full = {
	.id = 7, .started = 1700000000, .finished = 1700000100,
	.submission_id = 3, .request_id = 0, .port = 25, .relayed_test = 1,
	.verdict = "confirmed", .hops = "1", .output_addr = "192.0.2.9",
	.transcript = "S: 220 <script>x</script>\r\n",
	.tests = tests2, .ntests = 2,
};

static struct view_probe probe_running = {
	.id = 8, .started = 1700000300, .port = 587,
};

#define PROBE_FULL_JSON	"{\"probe\":7,\"port\":25,\"started\":1700000000," \
	"\"finished\":1700000100,\"verdict\":\"confirmed\",\"hops\":\"1\"," \
	"\"relayed_test\":1,\"output_addr\":\"192.0.2.9\",\"transcript\":" \
	"\"S: 220 \\u003cscript\\u003ex\\u003c/script\\u003e\\r\\n\"," \
	"\"tests\":[{\"test\":1,\"name\":\"plain\",\"mail_from\":" \
	"\"\\u003ca@b\\u003e\",\"rcpt_to\":\"\\u003cc@d\\u003e\"," \
	"\"mail_reply\":\"250 ok\",\"rcpt_reply\":\"250 ok\",\"data_reply\":" \
	"\"250 queued\",\"result\":\"relayed\",\"arrived\":1700000200," \
	"\"arrived_from\":\"192.0.2.9\",\"received\":\"from x\\nby y\"}," \
	"{\"test\":2,\"name\":\"percent\",\"mail_from\":null,\"rcpt_to\":null," \
	"\"mail_reply\":\"550 no\",\"rcpt_reply\":null,\"data_reply\":null," \
	"\"result\":\"refused\",\"arrived\":null,\"arrived_from\":null," \
	"\"received\":null}]}"
#define PROBE_SHORT_JSON "{\"probe\":7,\"port\":25,\"started\":1700000000," \
	"\"finished\":1700000100,\"verdict\":\"confirmed\",\"hops\":\"1\"," \
	"\"relayed_test\":1,\"output_addr\":\"192.0.2.9\"}"
#define PROBE_RUNNING_JSON "{\"probe\":8,\"port\":587,\"started\":" \
	"1700000300,\"finished\":null,\"verdict\":null,\"hops\":null," \
	"\"relayed_test\":null,\"output_addr\":null}"

static void
test_small(void **state)
{
	struct action_remove	 ar;

	(void)state;
	dumps_as(api_json_error("no such page: /<x>", 404),
	    "{\"error\":\"no such page: /\\u003cx\\u003e\",\"status\":404}\n");
	dumps_as(api_json_error(NULL, 500),
	    "{\"error\":null,\"status\":500}\n");
	dumps_as(api_json_status("1.2.3", 4294967295U),
	    "{\"ok\":true,\"version\":\"1.2.3\",\"database\":\"ok\","
	    "\"serial\":4294967295}\n");
	memset(&ar, 0, sizeof(ar));
	snprintf(ar.cidr, sizeof(ar.cidr), "192.0.2.0/24");
	dumps_as(api_json_removed(&ar),
	    "{\"removed\":\"192.0.2.0/24\",\"requests_answered\":[]}\n");
	ar.answered[0] = 5;
	ar.answered[1] = 123456789012LL;
	ar.nanswered = 2;
	dumps_as(api_json_removed(&ar), "{\"removed\":\"192.0.2.0/24\","
	    "\"requests_answered\":[5,123456789012]}\n");
}

static void
test_probe(void **state)
{
	(void)state;
	dumps_as(api_json_probe(&probe_full, 1), PROBE_FULL_JSON "\n");
	dumps_as(api_json_probe(&probe_full, 0), PROBE_SHORT_JSON "\n");
	dumps_as(api_json_probe(&probe_running, 0), PROBE_RUNNING_JSON "\n");
	dumps_as(api_json_probe(&probe_running, 1), "{\"probe\":8,\"port\":587,"
	    "\"started\":1700000300,\"finished\":null,\"verdict\":null,"
	    "\"hops\":null,\"relayed_test\":null,\"output_addr\":null,"
	    "\"transcript\":null,\"tests\":[]}\n");
}

static struct addr
A(const char *s)
{
	struct addr	 a;
	char		 err[128];

	assert_int_equal(addr_parse(s, &a, err, sizeof(err)), 0);
	return a;
}

/* A listed address: two covering entries, history, two runs (the newest
 * still running), events and a request. */
static void
lookup_view(struct view *v, struct lookup *lk, struct lookup_entry *cov,
    struct lookup_hist *hist, struct view_probe *probes,
    struct view_event *ev, struct view_req *reqs)
{
	memset(v, 0, sizeof(*v));
	memset(lk, 0, sizeof(*lk));
	lk->ip = A("192.0.2.1");
	snprintf(lk->addr, sizeof(lk->addr), "192.0.2.1");
	lk->listed = 1;
	lk->code = 0x7f000002;
	lk->why = "listed";
	lk->source = "probe";
	snprintf(lk->txt, sizeof(lk->txt), "<b>relay</b> 192.0.2.1");
	memset(cov, 0, 2 * sizeof(*cov));
	cov[0].l.net = A("192.0.2.0/24");
	cov[0].l.exclude = 0;
	cov[0].l.code = 0x7f00000a;
	cov[0].l.reason = NULL;
	cov[0].l.source = "import";
	cov[0].l.created = 1600000000;
	cov[0].l.expires = 1650000000;
	cov[0].expired = 1;
	cov[1].l.net = A("192.0.2.1/32");
	cov[1].l.code = 0x7f000002;
	cov[1].l.reason = "<b>relay</b> $";
	cov[1].l.source = "probe";
	cov[1].l.created = 1700000150;
	lk->covering = cov;
	lk->ncovering = 2;
	lk->decides = &cov[1];
	memset(hist, 0, sizeof(*hist));
	hist->serial = 42;
	hist->ts = 1700000150;
	snprintf(hist->op, sizeof(hist->op), "add");
	hist->net = A("192.0.2.1/32");
	hist->actor = "web:198.51.100.7";
	hist->why = "confirmed by probe 7";
	lk->history = hist;
	lk->nhistory = 1;
	v->lk = lk;
	probes[0] = probe_running;
	probes[1] = probe_full;
	v->probes = probes;
	v->nprobes = 2;
	v->probe = &probe_full;
	memset(ev, 0, sizeof(*ev));
	ev->ts = 1700000160;
	ev->ref = 0;
	ev->kind = "listing";
	ev->what = "added";
	ev->actor = "alice";
	ev->why = NULL;
	v->events = ev;
	v->nevents = 1;
	memset(reqs, 0, sizeof(*reqs));
	reqs->id = 11;
	reqs->created = 1700000500;
	reqs->state = "pending";
	v->reqs = reqs;
	v->nreqs = 1;
}

static void
test_lookup(void **state)
{
	struct view		 v;
	struct lookup		 lk;
	struct lookup_entry	 cov[2];
	struct lookup_hist	 hist;
	struct view_probe	 probes[2];
	struct view_event	 ev;
	struct view_req		 req;

	(void)state;
	lookup_view(&v, &lk, cov, &hist, probes, &ev, &req);
	dumps_as(api_json_lookup(&v, BASE, "hostmaster@bl.example"),
	    "{\"address\":\"192.0.2.1\",\"listed\":true,\"entry\":"
	    "\"192.0.2.1\",\"exclude\":false,\"code\":\"127.0.0.2\","
	    "\"reason\":\"\\u003cb\\u003erelay\\u003c/b\\u003e 192.0.2.1\","
	    "\"why\":\"listed\",\"source\":\"probe\",\"created\":1700000150,"
	    "\"expires\":null,\"covering\":[{\"cidr\":\"192.0.2.0/24\","
	    "\"exclude\":false,\"code\":\"127.0.0.10\",\"reason\":null,"
	    "\"source\":\"import\",\"created\":1600000000,\"expires\":"
	    "1650000000,\"expired\":true},{\"cidr\":\"192.0.2.1\","
	    "\"exclude\":false,\"code\":\"127.0.0.2\",\"reason\":"
	    "\"\\u003cb\\u003erelay\\u003c/b\\u003e $\",\"source\":\"probe\","
	    "\"created\":1700000150,\"expires\":null,\"expired\":false}],"
	    "\"history\":[{\"serial\":42,\"ts\":1700000150,\"op\":\"add\","
	    "\"entry\":\"192.0.2.1\",\"actor\":\"web\",\"why\":"
	    "\"confirmed by probe 7\"}],"
	    "\"verdict\":\"confirmed\",\"probes\":[" PROBE_RUNNING_JSON ","
	    PROBE_SHORT_JSON "],\"evidence\":" PROBE_FULL_JSON ","
	    "\"events\":[{\"ts\":1700000160,\"kind\":\"listing\",\"ref\":0,"
	    "\"what\":\"added\",\"actor\":\"operator\",\"why\":null}],"
	    "\"requests\":[{\"request\":11,\"state\":\"pending\",\"created\":"
	    "1700000500,\"decided\":null,\"decision\":null,\"url\":"
	    "\"https://orbl.example/api/v1/delist-requests/11\"}],"
	    "\"delist_url\":\"https://orbl.example/?ip=192.0.2.1#delist\","
	    "\"advice\":\"retest\",\"contact\":null,\"check_url\":"
	    "\"https://orbl.example/api/v1/check?ip=192.0.2.1\"}\n");

	/* The operator's entry: no delisting link, the operator's address. */
	cov[1].l.source = "manual";
	dumps_as_tail(api_json_lookup(&v, BASE, "hostmaster@bl.example"),
	    "\"delist_url\":null,\"advice\":\"operator\",\"contact\":"
	    "\"hostmaster@bl.example\",\"check_url\":"
	    "\"https://orbl.example/api/v1/check?ip=192.0.2.1\"}\n");
	/* A range decides: the same, as a range. */
	lk.decides = &cov[0];
	dumps_as_tail(api_json_lookup(&v, BASE, "hostmaster@bl.example"),
	    "\"delist_url\":null,\"advice\":\"range\",\"contact\":"
	    "\"hostmaster@bl.example\",\"check_url\":"
	    "\"https://orbl.example/api/v1/check?ip=192.0.2.1\"}\n");

	/* Not listed, nothing known: nulls and empty lists; a test point
	 * has no delisting link even when listed. */
	memset(&v, 0, sizeof(v));
	memset(&lk, 0, sizeof(lk));
	snprintf(lk.addr, sizeof(lk.addr), "2001:db8::1");
	lk.why = "not listed";
	v.lk = &lk;
	dumps_as(api_json_lookup(&v, "", "hostmaster@bl.example"),
	    "{\"address\":\"2001:db8::1\",\"listed\":false,\"entry\":null,"
	    "\"exclude\":false,\"code\":null,\"reason\":null,\"why\":"
	    "\"not listed\",\"source\":null,\"created\":null,\"expires\":null,"
	    "\"covering\":[],\"history\":[],\"verdict\":null,\"probes\":[],"
	    "\"evidence\":null,\"events\":[],\"requests\":[],"
	    "\"delist_url\":null,\"advice\":\"not-listed\",\"contact\":null,"
	    "\"check_url\":\"/api/v1/check?ip=2001:db8::1\"}\n");
	snprintf(lk.addr, sizeof(lk.addr), "127.0.0.2");
	lk.listed = 1;
	lk.testpoint = 1;
	lk.code = 0x7f000002;
	lk.why = "test point";
	lk.source = "test-point";
	dumps_as(api_json_lookup(&v, "", NULL),
	    "{\"address\":\"127.0.0.2\",\"listed\":true,\"entry\":null,"
	    "\"exclude\":false,\"code\":\"127.0.0.2\",\"reason\":\"\","
	    "\"why\":\"test point\",\"source\":\"test-point\",\"created\":null,"
	    "\"expires\":null,\"covering\":[],\"history\":[],\"verdict\":null,"
	    "\"probes\":[],\"evidence\":null,\"events\":[],\"requests\":[],"
	    "\"delist_url\":null,\"advice\":\"test-point\",\"contact\":null,"
	    "\"check_url\":\"/api/v1/check?ip=127.0.0.2\"}\n");
}

/* GET /api/v1/check: orbl's row from the lookup, then each list's; a
 * hostile TXT stays intact but for the escapes, only listed rows carry
 * codes and TXT, errors are errors. */
static void
test_check(void **state)
{
	struct lookup		 lk;
	struct dnsbl_check	 dc;
	struct dnsbl_list	 l[3];
	char			 t0[] = "<script>x</script>";

	(void)state;
	memset(&lk, 0, sizeof(lk));
	snprintf(lk.addr, sizeof(lk.addr), "192.0.2.1");
	lk.listed = 1;
	lk.code = 0x7f000002;
	snprintf(lk.txt, sizeof(lk.txt), "open relay");
	memset(&dc, 0, sizeof(dc));
	memset(l, 0, sizeof(l));
	dc.lists = l;
	dc.nlists = 3;
	snprintf(l[0].zone, sizeof(l[0].zone), "other.test");
	assert_int_equal(dnsq_srv_set(&l[0].srv[0], "127.0.0.1", 5353), 0);
	l[0].nsrv = 1;
	l[0].listed = 1;
	l[0].codes[0] = 0x7f00000a;
	l[0].ncodes = 1;
	l[0].txt[0] = t0;
	l[0].ntxt = 1;
	l[0].ms = 12;
	snprintf(l[1].zone, sizeof(l[1].zone), "clean.test");
	l[1].ms = 3;
	snprintf(l[2].zone, sizeof(l[2].zone), "err.test");
	l[2].codes[0] = 0x7ffffffe;
	l[2].ncodes = 1;
	snprintf(l[2].err, sizeof(l[2].err), "timeout");
	l[2].ms = 500;
	dumps_as(api_json_check("192.0.2.1", &lk, "bl.test", "", &dc, BASE),
	    "{\"address\":\"192.0.2.1\",\"listed\":true,\"listed_in\":2,"
	    "\"answered\":3,\"lists\":[{\"zone\":\"bl.test\",\"source\":"
	    "\"orbl\",\"server\":null,\"listed\":true,\"codes\":"
	    "[\"127.0.0.2\"],\"txt\":[\"open relay\"],\"error\":null,\"ms\":0},"
	    "{\"zone\":\"other.test\",\"source\":\"dns\",\"server\":"
	    "\"127.0.0.1:5353\",\"listed\":true,\"codes\":[\"127.0.0.10\"],"
	    "\"txt\":[\"\\u003cscript\\u003ex\\u003c/script\\u003e\"],"
	    "\"error\":null,\"ms\":12},{\"zone\":\"clean.test\",\"source\":"
	    "\"dns\",\"server\":null,\"listed\":false,\"codes\":[],\"txt\":[],"
	    "\"error\":null,\"ms\":3},{\"zone\":\"err.test\",\"source\":"
	    "\"dns\",\"server\":null,\"listed\":false,\"codes\":"
	    "[\"127.255.255.254\"],\"txt\":[],\"error\":\"timeout\",\"ms\":500}],\"lookup\":"
	    "\"https://orbl.example/api/v1/lookup?ip=192.0.2.1\"}\n");
	/* No database, no other list: orbl's row is the error. */
	dumps_as(api_json_check("192.0.2.1", NULL, "bl.test", "no database",
	    NULL, ""),
	    "{\"address\":\"192.0.2.1\",\"listed\":false,\"listed_in\":0,"
	    "\"answered\":0,\"lists\":[{\"zone\":\"bl.test\",\"source\":"
	    "\"orbl\",\"server\":null,\"listed\":false,\"codes\":[],\"txt\":[],"
	    "\"error\":\"no database\",\"ms\":0}],\"lookup\":"
	    "\"/api/v1/lookup?ip=192.0.2.1\"}\n");
}

static void
test_submissions(void **state)
{
	struct policy_submit	 ps;
	struct view		 v;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	snprintf(ps.addr, sizeof(ps.addr), "192.0.2.25");
	ps.queued = 1;
	ps.submission_id = 17;
	dumps_as(api_json_submitted(&ps, 2526, BASE),
	    "{\"address\":\"192.0.2.25\",\"port\":2526,\"queued\":true,"
	    "\"submission\":17,\"state\":\"queued\",\"url\":"
	    "\"https://orbl.example/api/v1/submissions/17\",\"page\":"
	    "\"https://orbl.example/submission/17\"}\n");
	ps.queued = 0;
	ps.last_probe = 9;
	ps.last_finished = 1700000100;
	snprintf(ps.last_verdict, sizeof(ps.last_verdict), "closed");
	dumps_as(api_json_submitted(&ps, 25, ""),
	    "{\"address\":\"192.0.2.25\",\"port\":25,\"queued\":false,"
	    "\"state\":\"done\",\"verdict\":\"closed\",\"probe\":9,"
	    "\"tested\":1700000100,\"lookup\":"
	    "\"/api/v1/lookup?ip=192.0.2.25\"}\n");

	memset(&v, 0, sizeof(v));
	v.sub.id = 17;
	v.sub.addr = "192.0.2.25";
	v.sub.port = 25;
	v.sub.state = "probing";
	v.sub.result = "confirmed";	/* not shown until done */
	v.sub.probe_id = 7;
	v.sub.created = 1700000000;
	v.sub.updated = 1700000001;
	v.sub.tries = 1;
	v.probe = &probe_full;		/* nor is the evidence */
	dumps_as(api_json_submission(&v, ""),
	    "{\"submission\":17,\"address\":\"192.0.2.25\",\"port\":25,"
	    "\"state\":\"probing\",\"done\":false,\"verdict\":null,"
	    "\"probe\":7,\"created\":1700000000,\"updated\":1700000001,"
	    "\"not_before\":null,\"tries\":1,\"lookup\":"
	    "\"/api/v1/lookup?ip=192.0.2.25\",\"evidence\":null}\n");
	v.sub.state = "done";
	v.sub.not_before = 1700000002;
	dumps_as(api_json_submission(&v, BASE),
	    "{\"submission\":17,\"address\":\"192.0.2.25\",\"port\":25,"
	    "\"state\":\"done\",\"done\":true,\"verdict\":\"confirmed\","
	    "\"probe\":7,\"created\":1700000000,\"updated\":1700000001,"
	    "\"not_before\":1700000002,\"tries\":1,\"lookup\":"
	    "\"https://orbl.example/api/v1/lookup?ip=192.0.2.25\","
	    "\"evidence\":" PROBE_FULL_JSON "}\n");
	v.sub.state = "failed";
	v.sub.result = NULL;
	v.probe = NULL;
	v.sub.tries = 0;
	dumps_as(api_json_submission(&v, ""),
	    "{\"submission\":17,\"address\":\"192.0.2.25\",\"port\":25,"
	    "\"state\":\"failed\",\"done\":true,\"verdict\":null,"
	    "\"probe\":7,\"created\":1700000000,\"updated\":1700000001,"
	    "\"not_before\":1700000002,\"tries\":0,\"lookup\":"
	    "\"/api/v1/lookup?ip=192.0.2.25\",\"evidence\":null}\n");
}

static void
test_requests(void **state)
{
	struct policy_request	 pr;
	struct view		 v;

	(void)state;
	memset(&pr, 0, sizeof(pr));
	snprintf(pr.addr, sizeof(pr.addr), "192.0.2.1");
	pr.id = 11;
	pr.not_before = 1700003600;
	dumps_as(api_json_delisted(&pr, BASE),
	    "{\"request\":11,\"address\":\"192.0.2.1\",\"state\":\"pending\","
	    "\"existing\":false,\"not_before\":1700003600,\"url\":"
	    "\"https://orbl.example/api/v1/delist-requests/11\",\"page\":"
	    "\"https://orbl.example/request/11\"}\n");
	pr.existing = 1;
	pr.not_before = 0;
	dumps_as(api_json_delisted(&pr, ""),
	    "{\"request\":11,\"address\":\"192.0.2.1\",\"state\":\"pending\","
	    "\"existing\":true,\"not_before\":null,\"url\":"
	    "\"/api/v1/delist-requests/11\",\"page\":\"/request/11\"}\n");

	memset(&v, 0, sizeof(v));
	v.req.id = 11;
	v.req.addr = "192.0.2.1";
	v.req.contact = "postmaster@example.org";
	v.req.state = "pending";
	v.req.created = 1700000000;
	v.req.not_before = 1700003600;
	dumps_as(api_json_request(&v, 1700000001),
	    "{\"request\":11,\"address\":\"192.0.2.1\",\"contact\":"
	    "\"p***@example.org\",\"state\":\"pending\",\"created\":1700000000,"
	    "\"not_before\":1700003600,\"waiting\":true,\"tries\":0,"
	    "\"probe\":null,\"decided\":null,\"decision\":null,"
	    "\"retest\":null}\n");
	/* The interval is over: not waiting. */
	dumps_as(api_json_request(&v, 1700003600),
	    "{\"request\":11,\"address\":\"192.0.2.1\",\"contact\":"
	    "\"p***@example.org\",\"state\":\"pending\",\"created\":1700000000,"
	    "\"not_before\":1700003600,\"waiting\":false,\"tries\":0,"
	    "\"probe\":null,\"decided\":null,\"decision\":null,"
	    "\"retest\":null}\n");
	v.req.contact = "nobody";
	v.req.state = "refused";
	v.req.tries = 2;
	v.req.probe_id = 8;
	v.req.decided = 1700004000;
	v.req.decision = "still an open relay & <b>";
	v.probe = &probe_running;
	dumps_as(api_json_request(&v, 1700000001),
	    "{\"request\":11,\"address\":\"192.0.2.1\",\"contact\":"
	    "\"(hidden)\",\"state\":\"refused\",\"created\":1700000000,"
	    "\"not_before\":1700003600,\"waiting\":false,\"tries\":2,"
	    "\"probe\":8,\"decided\":1700004000,\"decision\":"
	    "\"still an open relay \\u0026 \\u003cb\\u003e\",\"retest\":"
	    "{\"probe\":8,\"port\":587,\"started\":1700000300,\"finished\":null,"
	    "\"verdict\":null,\"hops\":null,\"relayed_test\":null,"
	    "\"output_addr\":null,\"transcript\":null,\"tests\":[]}}\n");
}

/* s in a document must come out exactly as esc_json writes it. */
static void
same_as_esc(const char *s)
{
	json_t	*o;
	char	*want, *e;
	size_t	 n;

	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "k", json_string(s)) == -1)
		fail_msg("jansson");
	e = esc_json_dup(s);
	n = strlen(e) + 8;
	want = malloc(n);
	assert_non_null(want);
	snprintf(want, n, "{\"k\":%s}\n", e);
	dumps_as(o, want);
	free(want);
	free(e);
}

static void
test_escapes(void **state)
{
	static const char *const odd[] = {
		"", "<script>alert('x')</script>", "a&b", "\"\\/",
		"\b\f\n\r\t\x01\x1f\x7f", "\xe2\x80\xa8\xe2\x80\xa9",
		"\xe2\x80\xaa", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		"\xef\xbf\xbd", "}\",\"x\":\"", "\\u003c", "\\\\\"<",
	};
	char	 s[4];
	size_t	 i;
	int	 c, d;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		same_as_esc(odd[i]);
	/* Every ASCII byte, alone and before another. */
	for (c = 1; c < 0x80; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		same_as_esc(s);
		for (d = 1; d < 0x80; d += 7) {
			s[1] = (char)d;
			s[2] = '\0';
			same_as_esc(s);
		}
	}
}

/* Not UTF-8: U+FFFD for each bad byte (as the raw character; esc_json
 * writes it as \ufffd, the same string). */
static void
test_bad_utf8(void **state)
{
	struct view_probe	 p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.verdict = "a\xff" "b\xc3\x28" "\xed\xa0\x80" "c\xc3";
	dumps_as(api_json_probe(&p, 0), "{\"probe\":1,\"port\":0,"
	    "\"started\":null,\"finished\":null,\"verdict\":"
	    "\"a\xef\xbf\xbd" "b\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd" "c\xef\xbf\xbd\",\"hops\":null,"
	    "\"relayed_test\":null,\"output_addr\":null}\n");
	dumps_as(api_json_error("/\xc0\xaf", 404),
	    "{\"error\":\"/\xef\xbf\xbd\xef\xbf\xbd\",\"status\":404}\n");
	assert_null(api_json_dump(NULL, &(size_t){ 0 }));
}

/* ------------------------------------------------------------------ */
/* Out of memory: jansson's allocations fail from the nth on. */

static long	 alloc_left;	/* allocations that still succeed */
static long	 alloc_live;	/* not freed yet */

static void *
fail_malloc(size_t n)
{
	void	*p;

	if (alloc_left == 0)
		return NULL;
	alloc_left--;
	if ((p = malloc(n)) != NULL)
		alloc_live++;
	return p;
}

static void
fail_free(void *p)
{
	if (p != NULL)
		alloc_live--;
	free(p);
}

/* Build with the nth allocation failing, for every n until one build
 * gets through: each failure must be a clean NULL. */
static void
each_failure(json_t *(*build)(void *), void *arg, const char *name)
{
	json_t	*doc;
	char	*text;
	size_t	 len;
	long	 n;

	for (n = 0;; n++) {
		alloc_left = n;
		alloc_live = 0;
		json_set_alloc_funcs(fail_malloc, fail_free);
		doc = build(arg);
		text = doc ? api_json_dump(doc, &len) : NULL;
		json_decref(doc);
		json_set_alloc_funcs(malloc, free);
		if (alloc_live != 0)
			fail_msg("%s: %ld allocations leaked after %ld", name,
			    alloc_live, n);
		if (text != NULL) {
			free(text);
			break;
		}
		if (n > 100000)
			fail_msg("%s: never built", name);
	}
	assert_true(n > 0);
}

static json_t *
b_lookup(void *arg)
{
	return api_json_lookup(arg, BASE, "hostmaster@bl.example");
}

static json_t *
b_error(void *arg)
{
	(void)arg;
	return api_json_error("bad <input>", 400);
}

static json_t *
b_request(void *arg)
{
	return api_json_request(arg, 1700000001);
}

static json_t *
b_submission(void *arg)
{
	return api_json_submission(arg, BASE);
}

static json_t *
b_removed(void *arg)
{
	return api_json_removed(arg);
}

static void
test_out_of_memory(void **state)
{
	struct view		 v, w;
	struct lookup		 lk;
	struct lookup_entry	 cov[2];
	struct lookup_hist	 hist;
	struct view_probe	 probes[2];
	struct view_event	 ev;
	struct view_req		 req;
	struct action_remove	 ar;

	(void)state;
	lookup_view(&v, &lk, cov, &hist, probes, &ev, &req);
	each_failure(b_lookup, &v, "lookup");
	each_failure(b_error, NULL, "error");
	memset(&w, 0, sizeof(w));
	w.req.id = 1;
	w.req.addr = "192.0.2.1";
	w.req.state = "refused";
	w.probe = &probe_full;
	each_failure(b_request, &w, "request");
	memset(&w, 0, sizeof(w));
	w.sub.id = 1;
	w.sub.addr = "192.0.2.1";
	w.sub.state = "done";
	w.probe = &probe_full;
	each_failure(b_submission, &w, "submission");
	memset(&ar, 0, sizeof(ar));
	snprintf(ar.cidr, sizeof(ar.cidr), "192.0.2.1/32");
	ar.nanswered = 3;
	each_failure(b_removed, &ar, "removed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_submissions),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
