/*
 * test_lookup.c -- unit tests for core/lookup.c: the lookup decision
 * (orblctl lookup, orbl-web) must answer what orbl-dnsd answers.  A
 * randomized comparison (fixed seed): entry sets over a small address
 * space (127.0.0.0/24 with the RFC 5782 test points, a documentation
 * range, IPv6, IPv4-compatible and IPv4-mapped IPv6 prefixes), with
 * ranges, exclusions, codes, reasons (none, empty, with '$') and expired
 * entries, are put in a temporary database; orbl-dnsd's index is built
 * from it as the loader does, and for every query address the A and TXT
 * replies of answer_build() are compared with lookup_new().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "answer.h"
#include "conf.h"
#include "db.h"
#include "lookup.h"
#include "query.h"
#include "zone_conf.h"
#include "zone_index.h"

/* Sets per run: 200 in make check (every kind of disagreement the test
 * found before the fix shows up in the first few dozen); more with
 * ORBL_LOOKUP_SETS=N. */
#define NSETS		200
#define NENTRIES	20
#define DEFREASON	"default for $ here"
#define ZONE		"bl.test"

#define T_A	1
#define T_TXT	16

static uint64_t	 rng = 0x6f72626c2d6c6b75ULL;	/* fixed seed */

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static struct addr
mk(const char *text)
{
	struct addr	 a;
	char		 err[128];

	if (addr_parse(text, &a, err, sizeof(err)) == -1)
		fail_msg("addr_parse %s: %s", text, err);
	return a;
}

/* ::ffff:a, family 6 (addr_parse would make it IPv4). */
static struct addr
mapped(const struct addr *v4, int prefix)
{
	struct addr	 a;

	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.prefix = (uint8_t)prefix;
	a.a[10] = a.a[11] = 0xff;
	memcpy(a.a + 12, v4->a, 4);
	addr_mask(&a);
	return a;
}

/* The prefix as orbl-dnsd keys it: IPv4 for ::ffff:0:0/96 and longer. */
static struct addr
norm(const struct addr *net)
{
	static const uint8_t	 pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct addr		 a = *net;

	if (a.family == 6 && a.prefix >= 96 && memcmp(a.a, pfx, 12) == 0) {
		memmove(a.a, a.a + 12, 4);
		memset(a.a + 4, 0, 12);
		a.family = 4;
		a.prefix -= 96;
	}
	return a;
}

/* ------------------------------------------------------------------ */
/* Entry sets */

static const char *v4base[] = {
	"127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4",
	"127.0.0.6", "127.0.0.255", "192.0.2.0", "192.0.2.1", "192.0.2.2",
	"192.0.2.5",
};
static const int v4pfx[] = { 8, 16, 24, 29, 30, 31, 32, 32, 32 };
static const char *v6base[] = {
	"2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::1:0",
	"::102:304", "::", "::fffe:0:0",
};
static const int v6pfx[] = { 0, 32, 64, 80, 96, 112, 126, 127, 128, 128 };

struct ent {
	struct addr	 net;
	int		 exclude;
	uint32_t	 code;
	const char	*reason;
	int64_t		 expires;
};

static const char *reasons[] = {
	NULL, NULL, NULL, "", "listed $", "r1", "two: $ and $", "no dollar",
	"$",
};

static size_t
gen(struct ent *e, size_t max, int64_t now)
{
	struct addr	 b, na, nb;
	size_t		 n = 0, i, tries;
	uint32_t	 k;

	for (tries = 0; n < max && tries < 4 * max; tries++) {
		k = rnd(10);
		if (k < 5) {
			b = mk(v4base[rnd(sizeof(v4base) / sizeof(*v4base))]);
			b.prefix = (uint8_t)v4pfx[rnd(sizeof(v4pfx) /
			    sizeof(*v4pfx))];
			addr_mask(&b);
		} else if (k < 8) {		/* IPv4 as ::ffff:a.b.c.d/n */
			b = mk(v4base[rnd(sizeof(v4base) / sizeof(*v4base))]);
			b = mapped(&b, 96 + v4pfx[rnd(sizeof(v4pfx) /
			    sizeof(*v4pfx))]);
		} else {
			b = mk(v6base[rnd(sizeof(v6base) / sizeof(*v6base))]);
			b.prefix = (uint8_t)v6pfx[rnd(sizeof(v6pfx) /
			    sizeof(*v6pfx))];
			addr_mask(&b);
		}
		/* One entry per prefix as orbl-dnsd sees it (see DESIGN). */
		na = norm(&b);
		for (i = 0; i < n; i++) {
			nb = norm(&e[i].net);
			if (addr_cmp(&na, &nb) == 0)
				break;
		}
		if (i < n)
			continue;
		e[n].net = b;
		e[n].exclude = rnd(4) == 0;
		e[n].code = 0x7f000000U | (rnd(8) + 2);
		e[n].reason = reasons[rnd(sizeof(reasons) / sizeof(*reasons))];
		k = rnd(10);
		e[n].expires = k < 6 ? 0 : k < 8 ? now - 1 - rnd(100) :
		    now + 3600;
		n++;
	}
	return n;
}

static void
print_set(const struct ent *e, size_t n, int64_t now)
{
	char	 cidr[ADDR_STRLEN];
	size_t	 i;

	for (i = 0; i < n; i++)
		print_message("  %s%s code 127.0.0.%u reason %s%s%s%s\n",
		    addr_format(&e[i].net, cidr, sizeof(cidr)),
		    e[i].exclude ? " exclude" : "", e[i].code & 0xff,
		    e[i].reason ? "\"" : "", e[i].reason ? e[i].reason : "NULL",
		    e[i].reason ? "\"" : "",
		    e[i].expires == 0 ? "" : e[i].expires <= now ? " expired" :
		    " expires later");
}

/* ------------------------------------------------------------------ */
/* orbl-dnsd: the index as the loader builds it, and real replies */

static int
build_cb(const struct listing *l, void *arg)
{
	/* as dnsd/reload.c's build_add_cb */
	(void)zone_index_builder_add(arg, &l->net, l->exclude, l->code,
	    l->reason);
	return 0;
}

static struct zone_index *
build(struct db *db, int64_t now)
{
	struct zone_index_builder	*b = zone_index_builder_new();

	assert_int_equal(db_listing_foreach(db, DB_ACTIVE | DB_LEAN, now,
	    build_cb, b), 0);
	return zone_index_builder_finish(b, DEFREASON);
}

struct pkt {
	uint8_t	 b[512];
	size_t	 len;
};

static void
mkquery(struct pkt *p, const char *name, uint16_t qtype)
{
	const char	*s = name, *dot;
	size_t		 l;
	static const uint8_t hdr[12] = { 0xbe, 0xef, 0x01, 0, 0, 1, 0, 0,
	    0, 0, 0, 0 };

	memcpy(p->b, hdr, sizeof(hdr));
	p->len = sizeof(hdr);
	while (*s) {
		dot = strchr(s, '.');
		l = dot ? (size_t)(dot - s) : strlen(s);
		assert_true(p->len + l + 6 < sizeof(p->b));
		p->b[p->len++] = (uint8_t)l;
		memcpy(p->b + p->len, s, l);
		p->len += l;
		s += l + (dot != NULL);
	}
	p->b[p->len++] = 0;
	p->b[p->len++] = 0;
	p->b[p->len++] = (uint8_t)qtype;
	p->b[p->len++] = 0;
	p->b[p->len++] = 1;
}

struct dnsd_says {
	int		 listed;
	uint32_t	 code;
	char		 txt[4096];
};

/* The one answer record of a reply to q (NULL: none). */
static const uint8_t *
answer_rr(const struct zone_conf *zc, const struct zone_index *zi,
    const char *name, uint16_t qtype, uint8_t *out, size_t outcap,
    uint16_t *rdlen)
{
	struct pkt		 p;
	struct query		 q;
	struct answer_stats	 st;
	enum query_result	 qr;
	size_t			 len;
	const uint8_t		*rr;

	memset(&st, 0, sizeof(st));
	mkquery(&p, name, qtype);
	qr = query_parse(p.b, p.len, &q);
	assert_int_equal(qr, QUERY_OK);
	len = answer_build(zc, zi, p.b, p.len, &q, qr, 1, out, outcap, &st);
	assert_true(len >= p.len);
	if ((out[6] << 8 | out[7]) == 0)
		return NULL;
	assert_int_equal(out[3] & 0x0f, 0);	/* NOERROR */
	rr = out + p.len;			/* the question, then the RR */
	assert_true(rr + 12 <= out + len);
	assert_int_equal(rr[2] << 8 | rr[3], qtype);
	*rdlen = (uint16_t)(rr[10] << 8 | rr[11]);
	assert_true(rr + 12 + *rdlen <= out + len);
	return rr + 12;
}

static void
dnsd_ask(const struct zone_conf *zc, const struct zone_index *zi,
    const struct addr *ip, struct dnsd_says *d)
{
	static uint8_t	 out[65535];
	char		 rev[128], name[160];
	const uint8_t	*rd;
	uint16_t	 rdlen, i;
	size_t		 o = 0;

	memset(d, 0, sizeof(*d));
	snprintf(name, sizeof(name), "%s.%s",
	    addr_revname(ip, rev, sizeof(rev)), ZONE);
	if ((rd = answer_rr(zc, zi, name, T_A, out, sizeof(out),
	    &rdlen)) != NULL) {
		assert_int_equal(rdlen, 4);
		d->listed = 1;
		d->code = (uint32_t)rd[0] << 24 | (uint32_t)rd[1] << 16 |
		    (uint32_t)rd[2] << 8 | rd[3];
	}
	rd = answer_rr(zc, zi, name, T_TXT, out, sizeof(out), &rdlen);
	assert_int_equal(rd != NULL, d->listed);
	for (i = 0; rd != NULL && i < rdlen; i += (uint16_t)(1 + rd[i])) {
		assert_true(i + 1 + rd[i] <= rdlen);
		assert_true(o + rd[i] < sizeof(d->txt));
		memcpy(d->txt + o, rd + i + 1, rd[i]);
		o += rd[i];
	}
	d->txt[o] = '\0';
}

/* ------------------------------------------------------------------ */

static void
rm_db(const char *path)
{
	char	 p[128];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static const char *queries[] = {
	"127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4",
	"127.0.0.7", "127.0.0.255", "127.1.0.0", "192.0.2.1", "192.0.2.2",
	"192.0.2.5", "2001:db8::", "2001:db8::1", "2001:db8::2",
	"2001:db8::1:0", "2001:db8::ff", "::102:304", "::1", "1.2.3.4",
};

static int
compare(struct db *db, const struct zone_conf *zc,
    const struct zone_index *zi, const struct addr *ip, int64_t now)
{
	struct dnsd_says	 d;
	struct lookup		*lk;
	char			 err[256], text[ADDR_STRLEN];
	int			 bad;

	dnsd_ask(zc, zi, ip, &d);
	lk = lookup_new(db, ip, DEFREASON, now, err, sizeof(err));
	if (lk == NULL)
		fail_msg("lookup_new: %s", err);
	bad = lk->listed != d.listed || (d.listed && (lk->code != d.code ||
	    strcmp(lk->txt, d.txt) != 0));
	if (bad) {
		addr_format_ip(ip, text, sizeof(text));
		print_message("%s (family %d): orbl-dnsd %s 127.0.0.%u \"%s\""
		    ", lookup %s 127.0.0.%u \"%s\" (%s)\n", text, ip->family,
		    d.listed ? "listed" : "not listed", d.code & 0xff, d.txt,
		    lk->listed ? "listed" : "not listed", lk->code & 0xff,
		    lk->txt, lk->why);
	}
	lookup_free(lk);
	return bad;
}

static void
test_random(void **state)
{
	struct ent		 e[NENTRIES];
	struct listing		 l;
	struct zone_index	*zi;
	struct zone_conf	*zc;
	struct conf		 cf;
	struct db		*db;
	struct addr		 ip, m;
	/* In memory where there is a tmpfs: a database per set, and the
	 * disk's syncs would be most of the run. */
	char			 dir[] = "/dev/shm/test_lookup.XXXXXX", path[64];
	char			 err[256];
	int64_t			 now = time(NULL);
	size_t			 s, i, n, nq = 0, nbad = 0, badsets = 0;
	size_t			 nsets = NSETS;
	const char		*env = getenv("ORBL_LOOKUP_SETS");
	int			 bad;

	(void)state;
	if (env != NULL && atoi(env) > 0)
		nsets = (size_t)atoi(env);
	conf_init(&cf);
	assert_int_equal(conf_set(&cf, "zone", ZONE, err, sizeof(err)), 0);
	if ((zc = zone_conf_new(&cf, NULL, 1, err, sizeof(err))) == NULL)
		fail_msg("zone_conf_new: %s", err);
	if (mkdtemp(dir) == NULL) {
		memcpy(dir, "/tmp/test_lookup.XXXXXX",
		    sizeof("/tmp/test_lookup.XXXXXX"));
		assert_non_null(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/orbl.db", dir);
	for (s = 0; s < nsets; s++) {
		/* a new database each time: the journal stays short */
		if ((db = db_open(path, DB_CREATE, err, sizeof(err))) == NULL)
			fail_msg("db_open: %s", err);
		n = gen(e, NENTRIES, now);
		for (i = 0; i < n; i++) {
			memset(&l, 0, sizeof(l));
			l.net = e[i].net;
			l.exclude = e[i].exclude;
			l.code = e[i].code;
			l.reason = e[i].reason;
			l.source = "manual";
			l.actor = "test";
			l.expires = e[i].expires;
			if (db_listing_put(db, &l, "test", NULL) == -1)
				fail_msg("db_listing_put: %s", db_errmsg(db));
		}
		zi = build(db, now);
		bad = 0;
		for (i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
			ip = mk(queries[i]);
			bad += compare(db, zc, zi, &ip, now);
			nq++;
			if (ip.family == 4) {	/* and as ::ffff:a.b.c.d */
				m = mapped(&ip, 128);
				bad += compare(db, zc, zi, &m, now);
				nq++;
			}
		}
		if (bad) {
			print_message("set %zu: %d disagreement(s); entries:\n",
			    s, bad);
			print_set(e, n, now);
			nbad += (size_t)bad;
			badsets++;
		}
		zone_index_free(zi);
		db_close(db);
		rm_db(path);
	}
	print_message("%zu sets, %zu queries: %zu disagreement(s) in %zu "
	    "set(s)\n", nsets, nq, nbad, badsets);
	rmdir(dir);
	zone_conf_free(zc);
	conf_free(&cf);
	assert_int_equal(nbad, 0);
}

/* The cases the issue named, spelled out. */
static void
test_testpoint_own_entry(void **state)
{
	struct listing	 l;
	struct lookup	*lk;
	struct db	*db;
	struct addr	 ip;
	char		 dir[] = "/tmp/test_lookup.XXXXXX", path[64];
	char		 err[256];
	int64_t		 now = time(NULL);

	(void)state;
	if (mkdtemp(dir) == NULL) {
		memcpy(dir, "/tmp/test_lookup.XXXXXX",
		    sizeof("/tmp/test_lookup.XXXXXX"));
		assert_non_null(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/orbl.db", dir);
	if ((db = db_open(path, DB_CREATE, err, sizeof(err))) == NULL)
		fail_msg("db_open: %s", err);
	memset(&l, 0, sizeof(l));
	l.source = "manual";
	l.net = mk("127.0.0.0/8");
	l.code = 0x7f000009;
	l.reason = "loopback";
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);

	/* only a range: the test point's own answer */
	ip = mk("127.0.0.2");
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_true(lk->listed && lk->testpoint);
	assert_int_equal(lk->code, 0x7f000002);
	assert_string_equal(lk->txt, RFC5782_TP_REASON);
	assert_null(lk->decides);
	lookup_free(lk);

	/* its own /32 keeps its code and reason */
	l.net = mk("127.0.0.2");
	l.code = 0x7f000005;
	l.reason = "own $";
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_true(lk->listed && lk->testpoint);
	assert_int_equal(lk->code, 0x7f000005);
	assert_string_equal(lk->txt, "own 127.0.0.2");
	assert_non_null(lk->decides);
	assert_int_equal(lk->decides->l.code, 0x7f000005);
	lookup_free(lk);

	/* no reason of its own: the test-point reason, not the default */
	l.reason = NULL;
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_int_equal(lk->code, 0x7f000005);
	assert_string_equal(lk->txt, RFC5782_TP_REASON);
	lookup_free(lk);

	/* as ::ffff:127.0.0.2 too, '$' in the form asked */
	l.reason = "$";
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);
	ip = mapped(&ip, 128);
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_true(lk->listed && lk->testpoint);
	assert_int_equal(lk->code, 0x7f000005);
	assert_string_equal(lk->txt, "::ffff:127.0.0.2");
	lookup_free(lk);

	/* an excluded or expired own entry: the plain test point */
	l.exclude = 1;
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);
	ip = mk("127.0.0.2");
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_true(lk->listed);
	assert_int_equal(lk->code, 0x7f000002);
	assert_string_equal(lk->txt, RFC5782_TP_REASON);
	lookup_free(lk);
	l.exclude = 0;
	l.expires = now - 1;
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_int_equal(lk->code, 0x7f000002);
	lookup_free(lk);

	/* 127.0.0.1 never, even with its own /32 */
	l.net = mk("127.0.0.1");
	l.expires = 0;
	assert_int_equal(db_listing_put(db, &l, NULL, NULL), 0);
	ip = mk("127.0.0.1");
	assert_non_null(lk = lookup_new(db, &ip, DEFREASON, now, err,
	    sizeof(err)));
	assert_true(!lk->listed && lk->testpoint);
	assert_string_equal(lk->txt, "");
	lookup_free(lk);

	db_close(db);
	rm_db(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_testpoint_own_entry),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
