/*
 * test_ctl_json.c -- unit tests for tools/ctl_json.c, orblctl's JSON
 * documents: every encoder's output written by cj_write (one compact
 * line), parsed back with jansson's json_loads and compared field by
 * field, with the key order each document promises.  Strings that a
 * hostile server or queue can put in a document (quotes, backslashes,
 * control characters, UTF-8, bytes that are not UTF-8) come back as
 * they went in, or with U+FFFD for each byte that is not UTF-8.
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

#include "ctl_json.h"
#include "db.h"
#include "lookup.h"
#include "mailq.h"
#include "mailq_top.h"
#include "policy.h"

#define FFFD	"\xef\xbf\xbd"

/* Text with everything JSON has to escape, and UTF-8 of 2, 3, 4 bytes. */
static const char hostile[] = "say \"hi\" \\ </script> & \x01\x1f\x7f"
    "\t\r\n caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\xa8 "
    "\xe2\x80\xa8";

/*
 * v written by cj_write (then freed) and parsed back: one line ending in
 * '\n', no other newline, valid JSON.  The parsed value is returned.
 */
static json_t *
roundtrip(json_t *v)
{
	json_error_t	 je;
	json_t		*back;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*f;

	assert_non_null(v);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(cj_write(f, v, 1), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 1);
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));
	back = json_loads(buf, JSON_DECODE_ANY, &je);
	if (back == NULL)
		fail_msg("json_loads: %s in %s", je.text, buf);
	assert_true(json_equal(v, back));
	json_decref(v);
	free(buf);
	return back;
}

/* The keys of o, in this order and no others. */
static void
keys_are(const json_t *o, ...)
{
	va_list		 ap;
	const char	*want;
	void		*it;

	assert_true(json_is_object(o));
	va_start(ap, o);
	for (it = json_object_iter((json_t *)o); it != NULL;
	    it = json_object_iter_next((json_t *)o, it)) {
		want = va_arg(ap, const char *);
		assert_non_null(want);
		assert_string_equal(json_object_iter_key(it), want);
	}
	assert_null(va_arg(ap, const char *));
	va_end(ap);
}

static const char *
str(const json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static long long
num(const json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void
is_null(const json_t *o, const char *key)
{
	assert_true(json_is_null(json_object_get(o, key)));
}

static void
is_bool(const json_t *o, const char *key, int b)
{
	json_t	*v = json_object_get(o, key);

	assert_true(json_is_boolean(v));
	assert_int_equal(json_is_true(v), b);
}

/* --- values ----------------------------------------------------------- */

static void
test_str(void **state)
{
	json_t	*v;

	(void)state;
	v = roundtrip(cj_str(hostile));
	assert_string_equal(json_string_value(v), hostile);
	json_decref(v);

	v = roundtrip(cj_str(""));
	assert_string_equal(json_string_value(v), "");
	json_decref(v);

	v = roundtrip(cj_str(NULL));
	assert_true(json_is_null(v));
	json_decref(v);

	/* Not UTF-8: a lone continuation byte, 0xff, an overlong '/', a
	 * surrogate, a sequence cut short; each bad byte is one U+FFFD and
	 * the valid text around it stays. */
	v = roundtrip(cj_str("a\x80" "b\xff" "c\xc0\xaf" "d\xed\xa0\x80"
	    "e\xe6\x97" "f\xc3\xa9"));
	assert_string_equal(json_string_value(v), "a" FFFD "b" FFFD "c" FFFD
	    FFFD "d" FFFD FFFD FFFD "e" FFFD FFFD "f\xc3\xa9");
	json_decref(v);
	v = roundtrip(cj_str("\xf4\x90\x80\x80"));	/* above U+10FFFF */
	assert_string_equal(json_string_value(v), FFFD FFFD FFFD FFFD);
	json_decref(v);
}

static void
test_numbers(void **state)
{
	json_t	*v;

	(void)state;
	v = roundtrip(cj_int(-5));
	assert_int_equal(json_integer_value(v), -5);
	json_decref(v);
	v = roundtrip(cj_int(INT64_MAX));
	assert_true(json_integer_value(v) == INT64_MAX);
	json_decref(v);
	v = roundtrip(cj_uint(UINT64_MAX));
	assert_true(json_integer_value(v) == INT64_MAX);
	json_decref(v);
	v = roundtrip(cj_uint(1ULL << 40));
	assert_true(json_integer_value(v) == 1LL << 40);
	json_decref(v);
	v = roundtrip(cj_int_or_null(0));
	assert_true(json_is_null(v));
	json_decref(v);
	v = roundtrip(cj_int_or_null(1796598448));
	assert_int_equal(json_integer_value(v), 1796598448);
	json_decref(v);
	v = roundtrip(cj_bool(7));
	assert_true(json_is_true(v));
	json_decref(v);
}

/* cj_set and cj_push take the value whatever happens, and say -1 for a
 * missing one, so a failed encoder cannot leave half a document. */
static void
test_set_push(void **state)
{
	json_t	*o, *a;

	(void)state;
	assert_non_null(o = json_object());
	assert_non_null(a = json_array());
	assert_int_equal(cj_set(o, "a", cj_int(1)), 0);
	assert_int_equal(cj_set(o, "b", NULL), -1);
	assert_int_equal(cj_set(NULL, "c", cj_str("x")), -1);
	assert_int_equal(cj_push(a, cj_str("x")), 0);
	assert_int_equal(cj_push(a, NULL), -1);
	assert_int_equal(cj_push(NULL, cj_int(2)), -1);
	assert_int_equal(json_object_size(o), 1);
	assert_int_equal(json_array_size(a), 1);
	json_decref(o);
	json_decref(a);
	assert_int_equal(cj_write(stdout, NULL, 1), -1);
}

/* A failed write is a failure: a full device. */
static void
test_write_error(void **state)
{
	json_t	*v;
	FILE	*f;

	(void)state;
	if ((f = fopen("/dev/full", "w")) == NULL)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	assert_non_null(v = cj_str("x"));
	assert_int_equal(cj_write(f, v, 1), -1);
	json_decref(v);
	fclose(f);
}

/* --- listings and lookup ---------------------------------------------- */

static void
fill_listing(struct listing *l, const char *cidr, const char *reason)
{
	char	 err[128];

	memset(l, 0, sizeof(*l));
	assert_int_equal(addr_parse(cidr, &l->net, err, sizeof(err)), 0);
	l->code = 0x7f000004;
	l->reason = reason;
	l->source = "manual";
	l->actor = "cli:\"root\"";
	l->created = 1000;
	l->updated = 2000;
}

static void
test_listing(void **state)
{
	struct listing	 l;
	json_t		*v;

	(void)state;
	fill_listing(&l, "2001:db8::/32", hostile);
	l.expires = 3000;
	v = roundtrip(cj_listing(&l, 2999));
	keys_are(v, "cidr", "exclude", "code", "reason", "source", "actor",
	    "created", "updated", "expires", "expired", NULL);
	assert_string_equal(str(v, "cidr"), "2001:db8::/32");
	is_bool(v, "exclude", 0);
	assert_string_equal(str(v, "code"), "127.0.0.4");
	assert_string_equal(str(v, "reason"), hostile);
	assert_string_equal(str(v, "source"), "manual");
	assert_string_equal(str(v, "actor"), "cli:\"root\"");
	assert_int_equal(num(v, "created"), 1000);
	assert_int_equal(num(v, "updated"), 2000);
	assert_int_equal(num(v, "expires"), 3000);
	is_bool(v, "expired", 0);
	json_decref(v);

	/* expired at its time; no reason, no expiry: null, never expired */
	v = roundtrip(cj_listing(&l, 3000));
	is_bool(v, "expired", 1);
	json_decref(v);
	fill_listing(&l, "192.0.2.0/24", NULL);
	l.exclude = 1;
	v = roundtrip(cj_listing(&l, 5000));
	is_bool(v, "exclude", 1);
	is_null(v, "reason");
	is_null(v, "expires");
	is_bool(v, "expired", 0);
	json_decref(v);
}

static void
test_lookup(void **state)
{
	struct lookup		 lk;
	struct lookup_entry	 cov[2];
	struct lookup_hist	 h;
	char			 err[128];
	json_t			*v, *a;

	(void)state;
	memset(&lk, 0, sizeof(lk));
	memset(cov, 0, sizeof(cov));
	memset(&h, 0, sizeof(h));
	fill_listing(&cov[0].l, "192.0.2.0/24", "net \"wide\"");
	fill_listing(&cov[1].l, "192.0.2.1", NULL);
	cov[1].l.expires = 4000;
	snprintf(lk.addr, sizeof(lk.addr), "192.0.2.1");
	lk.listed = 1;
	lk.decides = &cov[1];
	lk.code = 0x7f000003;
	lk.why = "listed";
	lk.source = "manual";
	snprintf(lk.txt, sizeof(lk.txt), "%s", hostile);
	lk.covering = cov;
	lk.ncovering = 2;
	h.serial = 7;
	h.ts = 1500;
	snprintf(h.op, sizeof(h.op), "add");
	assert_int_equal(addr_parse("192.0.2.1", &h.net, err, sizeof(err)), 0);
	h.actor = "cli:x";
	h.why = NULL;
	lk.history = &h;
	lk.nhistory = 1;

	v = roundtrip(cj_lookup(&lk, 4500));
	keys_are(v, "address", "listed", "entry", "exclude", "code", "reason",
	    "why", "source", "created", "expires", "covering", "history",
	    NULL);
	assert_string_equal(str(v, "address"), "192.0.2.1");
	is_bool(v, "listed", 1);
	assert_string_equal(str(v, "entry"), "192.0.2.1");
	is_bool(v, "exclude", 0);
	assert_string_equal(str(v, "code"), "127.0.0.3");
	assert_string_equal(str(v, "reason"), hostile);
	assert_string_equal(str(v, "why"), "listed");
	assert_int_equal(num(v, "created"), 1000);
	assert_int_equal(num(v, "expires"), 4000);
	a = json_object_get(v, "covering");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(str(json_array_get(a, 0), "reason"),
	    "net \"wide\"");
	is_bool(json_array_get(a, 1), "expired", 1);
	a = json_object_get(v, "history");
	assert_int_equal(json_array_size(a), 1);
	keys_are(json_array_get(a, 0), "serial", "ts", "op", "entry", "actor",
	    "why", NULL);
	assert_int_equal(num(json_array_get(a, 0), "serial"), 7);
	is_null(json_array_get(a, 0), "why");
	json_decref(v);

	/* Not listed, nothing decides: code, reason, entry, times null. */
	lk.listed = 0;
	lk.decides = NULL;
	lk.why = "not listed";
	lk.source = NULL;
	lk.ncovering = lk.nhistory = 0;
	v = roundtrip(cj_lookup(&lk, 4500));
	is_null(v, "code");
	is_null(v, "reason");
	is_null(v, "entry");
	is_null(v, "source");
	is_null(v, "created");
	is_null(v, "expires");
	assert_int_equal(json_array_size(json_object_get(v, "covering")), 0);
	json_decref(v);
}

/* --- probe evidence ----------------------------------------------------- */

static void
test_evidence(void **state)
{
	struct cj_run		 r;
	struct probe_test_row	 t;
	struct db_event		 e;
	json_t			*v;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 42;
	r.port = 587;
	r.started = 100;
	snprintf(r.verdict, sizeof(r.verdict), "running");
	v = roundtrip(cj_run(&r));
	keys_are(v, "probe", "port", "started", "finished", "verdict",
	    "hops", "relayed_test", "output_addr", NULL);
	assert_int_equal(num(v, "probe"), 42);
	assert_int_equal(num(v, "port"), 587);
	is_null(v, "finished");
	is_null(v, "hops");
	is_null(v, "relayed_test");
	is_null(v, "output_addr");
	json_decref(v);
	r.finished = 200;
	r.relayed_test = 3;
	snprintf(r.hops, sizeof(r.hops), "multi-hop");
	snprintf(r.output, sizeof(r.output), "2001:db8::25");
	v = roundtrip(cj_run(&r));
	assert_int_equal(num(v, "finished"), 200);
	assert_int_equal(num(v, "relayed_test"), 3);
	assert_string_equal(str(v, "hops"), "multi-hop");
	assert_string_equal(str(v, "output_addr"), "2001:db8::25");
	json_decref(v);

	/* A test row holds what the tested server said: anything. */
	memset(&t, 0, sizeof(t));
	t.test_id = 5;
	t.name = "percent hack";
	t.mail_from = "<a@b.example>";
	t.rcpt_to = "<x%y@z.example>";
	t.mail_reply = "250 ok";
	t.rcpt_reply = hostile;
	t.data_reply = "\xff\xfe 554 no";
	t.verdict = "relayed";
	t.arrived = 300;
	v = roundtrip(cj_probe_test(&t));
	keys_are(v, "test", "name", "mail_from", "rcpt_to", "mail_reply",
	    "rcpt_reply", "data_reply", "result", "arrived", "arrived_from",
	    "received", NULL);
	assert_int_equal(num(v, "test"), 5);
	assert_string_equal(str(v, "rcpt_reply"), hostile);
	assert_string_equal(str(v, "data_reply"), FFFD FFFD " 554 no");
	assert_string_equal(str(v, "result"), "relayed");
	assert_int_equal(num(v, "arrived"), 300);
	is_null(v, "arrived_from");
	is_null(v, "received");
	json_decref(v);
	t.arrived = 0;
	v = roundtrip(cj_probe_test(&t));
	is_null(v, "arrived");
	json_decref(v);

	memset(&e, 0, sizeof(e));
	e.ts = 400;
	e.kind = "request";
	e.ref = 9;
	e.what = "delisted";
	e.actor = "web:198.51.100.1";
	e.why = "re-test \"clean\"";
	v = roundtrip(cj_event(&e));
	keys_are(v, "ts", "kind", "ref", "what", "actor", "why", NULL);
	assert_int_equal(num(v, "ref"), 9);
	assert_string_equal(str(v, "why"), "re-test \"clean\"");
	json_decref(v);
}

/* --- submissions and requests ----------------------------------------- */

static void
test_submit_request(void **state)
{
	struct policy_submit	 ps;
	struct policy_request	 pr;
	struct delist_request	 r;
	struct probe		 p;
	json_t			*v;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	snprintf(ps.addr, sizeof(ps.addr), "203.0.113.5");
	ps.queued = 1;
	ps.submission_id = 17;
	v = roundtrip(cj_submit(&ps, 2525));
	keys_are(v, "address", "port", "submission", "state", "queued", NULL);
	assert_int_equal(num(v, "port"), 2525);
	assert_int_equal(num(v, "submission"), 17);
	assert_string_equal(str(v, "state"), "queued");
	is_bool(v, "queued", 1);
	json_decref(v);
	ps.queued = 0;
	ps.last_probe = 8;
	snprintf(ps.last_verdict, sizeof(ps.last_verdict), "secure");
	v = roundtrip(cj_submit(&ps, 25));
	keys_are(v, "address", "state", "verdict", "probe", "queued", NULL);
	assert_string_equal(str(v, "state"), "done");
	assert_string_equal(str(v, "verdict"), "secure");
	assert_int_equal(num(v, "probe"), 8);
	is_bool(v, "queued", 0);
	json_decref(v);

	memset(&pr, 0, sizeof(pr));
	snprintf(pr.addr, sizeof(pr.addr), "2001:db8::5");
	pr.id = 3;
	pr.existing = 1;
	v = roundtrip(cj_delist(&pr));
	keys_are(v, "request", "address", "state", "existing", "not_before",
	    NULL);
	assert_string_equal(str(v, "state"), "pending");
	is_bool(v, "existing", 1);
	is_null(v, "not_before");
	json_decref(v);

	memset(&r, 0, sizeof(r));
	r.id = 3;
	r.addr = "2001:db8::5";
	r.contact = "owner@b.example";
	r.note = hostile;
	r.state = "refused";
	r.created = 10;
	r.tries = 2;
	r.probe_id = 44;
	r.decided = 20;
	r.decision = "still relays";
	v = roundtrip(cj_request(&r));
	keys_are(v, "request", "address", "contact", "note", "state",
	    "created", "not_before", "tries", "probe", "decided", "decision",
	    NULL);
	assert_string_equal(str(v, "note"), hostile);
	is_null(v, "not_before");
	assert_int_equal(num(v, "tries"), 2);
	assert_int_equal(num(v, "probe"), 44);
	assert_int_equal(num(v, "decided"), 20);
	json_decref(v);

	memset(&p, 0, sizeof(p));
	p.id = 44;
	p.verdict = NULL;		/* still running */
	p.transcript = "> EHLO x\r\n< 250 \x01hi\xc3";
	v = roundtrip(cj_retest(&p));
	keys_are(v, "probe", "verdict", "transcript", NULL);
	is_null(v, "verdict");
	assert_string_equal(str(v, "transcript"), "> EHLO x\r\n< 250 \x01hi"
	    FFFD);
	json_decref(v);
}

/* --- stats -------------------------------------------------------------- */

static void
kv(struct cj_kv *k, const char *group, const char *key, int64_t n)
{
	snprintf(k->group, sizeof(k->group), "%s", group);
	snprintf(k->key, sizeof(k->key), "%s", key);
	k->n = n;
}

static void
test_stats(void **state)
{
	static const char *const sources[] = { "probe", "manual", "import",
	    NULL };
	static const char *const ages[] = { "1d", "7d", "30d", "older", NULL };
	static const char *const reqs[] = { "pending", "retesting",
	    "delisted", "refused", NULL };
	struct cj_kv	 k[8];
	struct cj_stats	 s;
	json_t		*v, *g;

	(void)state;
	kv(&k[0], "source", "import", 5);
	kv(&k[1], "source", "legacy", 2);	/* not a fixed key: after */
	kv(&k[2], "age", "1d", 7);
	kv(&k[3], "probes", "secure", 4);
	kv(&k[4], "probes", "confirmed", 1);
	kv(&k[5], "probes", "bad\xff", 9);	/* not UTF-8: left out */
	kv(&k[6], "requests", "refused", 3);
	kv(&k[7], "other", "x", 1);

	v = roundtrip(cj_group(k, 8, "source", sources));
	keys_are(v, "probe", "manual", "import", "legacy", NULL);
	assert_int_equal(num(v, "probe"), 0);
	assert_int_equal(num(v, "import"), 5);
	assert_int_equal(num(v, "legacy"), 2);
	json_decref(v);

	memset(&s, 0, sizeof(s));
	s.listed = 11;
	s.excluded = 1;
	s.serial = 4000000000u;
	s.sub[0] = 1;
	s.sub[3] = 4;
	s.kv = k;
	s.nkv = 8;
	s.sources = sources;
	s.ages = ages;
	s.requests = reqs;
	v = roundtrip(cj_stats(&s));
	keys_are(v, "listings", "serial", "submissions", "requests",
	    "probes_last_day", NULL);
	g = json_object_get(v, "listings");
	keys_are(g, "listed", "excluded", "by_source", "by_age", NULL);
	assert_int_equal(num(g, "listed"), 11);
	keys_are(json_object_get(g, "by_age"), "1d", "7d", "30d", "older",
	    NULL);
	assert_int_equal(num(json_object_get(g, "by_age"), "1d"), 7);
	assert_true(num(v, "serial") == 4000000000LL);
	g = json_object_get(v, "submissions");
	keys_are(g, "queued", "probing", "done", "failed", NULL);
	assert_int_equal(num(g, "failed"), 4);
	g = json_object_get(v, "requests");
	keys_are(g, "pending", "retesting", "delisted", "refused", NULL);
	assert_int_equal(num(g, "refused"), 3);
	keys_are(json_object_get(v, "probes_last_day"), "secure", "confirmed",
	    NULL);
	json_decref(v);
}

/* --- check ---------------------------------------------------------------- */

static void
test_check(void **state)
{
	static const uint32_t	 codes[] = { 0x7f000002, 0x7f00000a };
	static char		*txt[] = { (char *)hostile, (char *)"two" };
	struct cj_check_list	 l[3];
	json_t			*v, *a, *e;

	(void)state;
	memset(l, 0, sizeof(l));
	l[0].zone = "bl.test";
	l[0].server = "127.0.0.1:5300";
	l[0].listed = 1;
	l[0].codes = codes;
	l[0].ncodes = 2;
	l[0].txt = txt;
	l[0].ntxt = 2;
	l[0].ms = 12;
	l[1].zone = "other.test";
	l[1].server = "[::1]:53";
	l[1].txt = txt;			/* not listed: TXT not shown */
	l[1].ntxt = 1;
	l[2].zone = "zen.spamhaus.org";
	l[2].error = "no nameserver in /etc/resolv.conf";
	l[2].ms = 0;

	v = roundtrip(cj_check("192.0.2.1", 1, 2, l, 3));
	keys_are(v, "address", "listed", "answered", "lists", NULL);
	assert_string_equal(str(v, "address"), "192.0.2.1");
	is_bool(v, "listed", 1);
	assert_int_equal(num(v, "answered"), 2);
	a = json_object_get(v, "lists");
	assert_int_equal(json_array_size(a), 3);
	e = json_array_get(a, 0);
	keys_are(e, "zone", "server", "listed", "codes", "txt", "error", "ms",
	    NULL);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(e, "codes"), 1)), "127.0.0.10");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(e, "txt"), 0)), hostile);
	is_null(e, "error");
	assert_int_equal(num(e, "ms"), 12);
	e = json_array_get(a, 1);
	is_bool(e, "listed", 0);
	assert_int_equal(json_array_size(json_object_get(e, "txt")), 0);
	assert_int_equal(json_array_size(json_object_get(e, "codes")), 0);
	e = json_array_get(a, 2);
	is_null(e, "server");
	assert_string_equal(str(e, "error"),
	    "no nameserver in /etc/resolv.conf");
	json_decref(v);

	v = roundtrip(cj_check("2001:db8::5", 0, 0, NULL, 0));
	assert_int_equal(json_array_size(json_object_get(v, "lists")), 0);
	json_decref(v);
}

/* --- queue-check -------------------------------------------------------- */

static void
test_queue(void **state)
{
	struct mailq_top_entry	 dom[2], snd[1];
	struct mailq_stats	 st;
	struct cj_queue		 q;
	json_t			*v, *a;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.format = MAILQ_FMT_POSTFIX;
	st.messages = 3;
	st.status[MAILQ_DEFERRED] = 2;
	st.status[MAILQ_HOLD] = 1;
	st.recipients = 5;
	st.bytes = 8283;
	st.garbage = 1;
	st.reported = -1;
	dom[0].key = "partner.example";
	dom[0].count = 2;
	dom[1].key = "b\xe4" "d.example";		/* Latin-1 in a queue */
	dom[1].count = 1;
	snd[0].key = "<>";
	snd[0].count = 3;
	memset(&q, 0, sizeof(q));
	q.status = "WARNING";
	q.summary = "QUEUE WARNING: 3 messages (>= 2)";
	q.messages = 3;
	q.st = &st;
	q.warn = 2;
	q.crit = 1000;
	q.exact = 1;
	q.dom = dom;
	q.ndom = 2;
	q.snd = snd;
	q.nsnd = 1;
	v = roundtrip(cj_queue(&q));
	keys_are(v, "status", "summary", "messages", "format", "listed",
	    "reported", "deferred", "frozen", "hold", "active", "queued",
	    "recipients", "bytes", "garbage_lines", "warn", "crit", "exact",
	    "top_recipient_domains", "top_senders", NULL);
	assert_string_equal(str(v, "summary"),
	    "QUEUE WARNING: 3 messages (>= 2)");
	assert_string_equal(str(v, "format"), "postfix");
	is_null(v, "reported");
	assert_int_equal(num(v, "deferred"), 2);
	assert_int_equal(num(v, "hold"), 1);
	assert_int_equal(num(v, "garbage_lines"), 1);
	is_bool(v, "exact", 1);
	a = json_object_get(v, "top_recipient_domains");
	assert_int_equal(json_array_size(a), 2);
	keys_are(json_array_get(a, 0), "domain", "count", NULL);
	assert_string_equal(str(json_array_get(a, 1), "domain"),
	    "b" FFFD "d.example");
	a = json_object_get(v, "top_senders");
	keys_are(json_array_get(a, 0), "sender", "count", NULL);
	assert_string_equal(str(json_array_get(a, 0), "sender"), "<>");
	assert_int_equal(num(json_array_get(a, 0), "count"), 3);
	json_decref(v);

	st.reported = 0;
	q.ndom = q.nsnd = 0;
	v = roundtrip(cj_queue(&q));
	assert_int_equal(num(v, "reported"), 0);
	assert_int_equal(json_array_size(json_object_get(v,
	    "top_senders")), 0);
	json_decref(v);

	v = roundtrip(cj_queue_unknown("QUEUE UNKNOWN: 'x' said \"no\"",
	    "'x' said \"no\"", 100, 1000));
	keys_are(v, "status", "summary", "error", "messages", "format",
	    "warn", "crit", NULL);
	assert_string_equal(str(v, "status"), "UNKNOWN");
	assert_string_equal(str(v, "error"), "'x' said \"no\"");
	is_null(v, "messages");
	is_null(v, "format");
	assert_int_equal(num(v, "crit"), 1000);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_set_push),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_submit_request),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
