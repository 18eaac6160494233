/*
 * test_zone_render.c -- unit tests for the zone as records
 * (core/zone_render.c): wildcards for ranges, an exclusion inside a range
 * (a name with only the "not listed" TXT), the RFC 5782 test points, IPv6,
 * IPv4-mapped IPv6 rendered as IPv4, '$' expansion, a render restricted to
 * some top labels against the same part of a full render, zr_diff against
 * the set difference of two full renders (also from indexes through
 * zone_index_foreach, the way orbl-dnsd's IXFR builds them), and
 * zone_index_foreach against the entries an index was built from.
 * Random data comes from a fixed seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "rfc5782.h"
#include "zone_index.h"
#include "zone_render.h"

#define C2	0x7f000002U
#define C3	0x7f000003U
#define C4	0x7f000004U
#define C5	0x7f000005U
#define DEFR	"listed: $"

/* Records as text: "owner A 127.0.0.x" or "owner TXT text". */
struct recs {
	char	**s;
	int	 *top;
	size_t	  n, cap;
	size_t	  stop_after;	/* 0: never stop */
	char	  phase;	/* zr_diff: 'd' while deleting, then 'a' */
	int	  bad_order;	/* a deletion came after an addition */
};

static char *
rr_text(const struct zr_rr *rr)
{
	char	 buf[ZR_LABELS_MAX * 4 + ZR_TXT_MAX + 32];
	size_t	 o = 0;
	int	 i;

	for (i = 0; i < rr->nlabels; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i > 0 ? "." : "", rr->label[i]);
	if (rr->type == ZR_TYPE_A)
		snprintf(buf + o, sizeof(buf) - o, " A %u.%u.%u.%u",
		    rr->a >> 24, (rr->a >> 16) & 0xff, (rr->a >> 8) & 0xff,
		    rr->a & 0xff);
	else
		snprintf(buf + o, sizeof(buf) - o, " TXT %.*s",
		    (int)rr->txtlen, rr->txt);
	return strdup(buf);
}

static void
recs_put(struct recs *r, char *s, int top)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->s = realloc(r->s, r->cap * sizeof(*r->s));
		r->top = realloc(r->top, r->cap * sizeof(*r->top));
		assert_non_null(r->s);
		assert_non_null(r->top);
	}
	r->s[r->n] = s;
	r->top[r->n++] = top;
}

/* The top label's number, from the name: it must agree with rr->top. */
static int
label_top(const char *l)
{
	if (l[0] >= 'a' && l[0] <= 'f')
		return 256 + l[0] - 'a';
	return atoi(l);
}

static int
collect(const struct zr_rr *rr, void *arg)
{
	struct recs	*r = arg;

	assert_true(rr->nlabels >= 1 && rr->nlabels <= 33);
	assert_int_equal(rr->top, label_top(rr->label[rr->nlabels - 1]));
	assert_true(rr->type == ZR_TYPE_A || rr->type == ZR_TYPE_TXT);
	recs_put(r, rr_text(rr), rr->top);
	if (r->stop_after != 0 && r->n == r->stop_after)
		return 7;
	return 0;
}

static int
collect_del(const struct zr_rr *rr, void *arg)
{
	struct recs	*r = arg;

	if (r->phase == 'a')
		r->bad_order = 1;
	r->phase = 'd';
	recs_put(r, rr_text(rr), rr->top);
	return 0;
}

static int
collect_add(const struct zr_rr *rr, void *arg)
{
	struct recs	*r = arg;

	r->phase = 'a';
	recs_put(r, rr_text(rr), -1 - rr->top);	/* negative: an addition */
	return 0;
}

static void
recs_free(struct recs *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		free(r->s[i]);
	free(r->s);
	free(r->top);
	memset(r, 0, sizeof(*r));
}

static int
has(const struct recs *r, const char *s)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->s[i], s) == 0)
			return 1;
	return 0;
}

static void
expect(const struct recs *r, const char *s)
{
	size_t	 i;

	if (has(r, s))
		return;
	for (i = 0; i < r->n && i < 40; i++)
		print_message("  %s\n", r->s[i]);
	fail_msg("no record '%s'", s);
}

static void
expect_not(const struct recs *r, const char *s)
{
	if (has(r, s))
		fail_msg("unexpected record '%s'", s);
}

static void
add(struct zr *z, const char *cidr, int excl, uint32_t code,
    const char *reason)
{
	struct addr	 a;
	char		 err[128];

	if (addr_parse(cidr, &a, err, sizeof(err)) == -1)
		fail_msg("addr_parse %s: %s", cidr, err);
	assert_int_equal(zr_add(z, &a, excl, code, reason), 0);
}

static void
render(struct zr *z, const uint8_t *tops, struct recs *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(zr_render(z, tops, collect, r), 0);
}

/* The 32 labels of an IPv6 address, most specific first (no zone). */
static void
name6(const char *ip, char *buf, size_t len)
{
	struct addr	 a;
	char		 err[128];

	if (addr_parse(ip, &a, err, sizeof(err)) == -1)
		fail_msg("addr_parse %s: %s", ip, err);
	addr_revname(&a, buf, len);
}

static void
test_ranges(void **state)
{
	struct zr	*z;
	struct recs	 r;
	char		 s[64];
	int		 i;

	(void)state;
	z = zr_new(DEFR);
	add(z, "10.1.0.0/16", 0, C3, "sixteen");
	add(z, "10.2.0.0/20", 0, C4, NULL);
	add(z, "10.3.3.0/28", 0, C2, "r $");
	render(z, NULL, &r);
	expect(&r, "*.1.10 A 127.0.0.3");
	expect(&r, "*.1.10 TXT sixteen");
	for (i = 0; i < 16; i++) {
		snprintf(s, sizeof(s), "*.%d.2.10 A 127.0.0.4", i);
		expect(&r, s);
		/* '$' in a wildcard: the entry's CIDR */
		snprintf(s, sizeof(s), "*.%d.2.10 TXT listed: 10.2.0.0/20", i);
		expect(&r, s);
	}
	expect_not(&r, "*.16.2.10 A 127.0.0.4");
	for (i = 0; i < 16; i++) {
		snprintf(s, sizeof(s), "%d.3.3.10 TXT r 10.3.3.%d", i, i);
		expect(&r, s);
	}
	expect_not(&r, "16.3.3.10 A 127.0.0.2");
	/* no more records after the first render */
	{
		struct addr	 a;

		addr_set_v4(&a, 0x0b000000U, 8);
		assert_int_equal(zr_add(z, &a, 0, C2, NULL), -1);
	}
	recs_free(&r);
	zr_free(z);
}

static void
test_exclusion(void **state)
{
	struct zr	*z;
	struct recs	 r;
	size_t		 nrec, iv4, iv6;

	(void)state;
	z = zr_new(DEFR);
	add(z, "10.1.0.0/16", 0, C3, "sixteen");
	add(z, "10.1.2.3", 1, 0, NULL);
	render(z, NULL, &r);
	expect(&r, "*.1.10 A 127.0.0.3");
	expect(&r, "*.2.1.10 A 127.0.0.3");	/* its own wildcard */
	expect(&r, "3.2.1.10 TXT " ZR_EXCLUDED_TXT);
	expect_not(&r, "3.2.1.10 A 127.0.0.3");
	zr_counts(z, &nrec, &iv4, &iv6);
	assert_int_equal(nrec, r.n);
	assert_true(iv4 >= 5);		/* .. 10.1/16 excl 10.1/16 .. tp .. */
	assert_true(iv6 >= 3);
	recs_free(&r);

	/* an excluded /24 in a /16: one name, no wildcard below it */
	z = (zr_free(z), zr_new(DEFR));
	add(z, "10.1.0.0/16", 0, C3, "sixteen");
	add(z, "10.1.2.0/24", 1, 0, NULL);
	render(z, NULL, &r);
	expect(&r, "2.1.10 TXT " ZR_EXCLUDED_TXT);
	expect_not(&r, "*.2.1.10 A 127.0.0.3");
	recs_free(&r);
	zr_free(z);
}

static void
test_testpoints(void **state)
{
	struct zr	*z;
	struct recs	 r;
	char		 tp6[128], s[300];

	(void)state;
	/* addr_parse makes ::ffff:7f00:2 IPv4: the mapped name by hand */
	snprintf(tp6, sizeof(tp6), "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.0.0.0");
	z = zr_new(DEFR);
	render(z, NULL, &r);
	assert_int_equal(r.n, 4);
	expect(&r, "2.0.0.127 A 127.0.0.2");
	expect(&r, "2.0.0.127 TXT " RFC5782_TP_REASON);
	snprintf(s, sizeof(s), "%s A 127.0.0.2", tp6);
	expect(&r, s);
	snprintf(s, sizeof(s), "%s TXT %s", tp6, RFC5782_TP_REASON);
	expect(&r, s);
	recs_free(&r);
	zr_free(z);

	/* whatever the data says: 127.0.0.1 never, 127.0.0.2 always; a
	 * listed 127.0.0.2 keeps its code and reason (as orbl-dnsd's
	 * index answers it: zone_index.h) */
	z = zr_new(DEFR);
	add(z, "127.0.0.0/8", 0, C3, "loopback");
	add(z, "127.0.0.2", 0, C5, "mine");
	add(z, "127.0.0.1", 0, C4, "listed?");
	render(z, NULL, &r);
	expect(&r, "*.127 A 127.0.0.3");
	expect(&r, "2.0.0.127 A 127.0.0.5");
	expect(&r, "2.0.0.127 TXT mine");
	expect(&r, "1.0.0.127 TXT " ZR_EXCLUDED_TXT);
	expect_not(&r, "1.0.0.127 A 127.0.0.4");
	expect_not(&r, "2.0.0.127 A 127.0.0.2");
	snprintf(s, sizeof(s), "%s A 127.0.0.5", tp6);
	expect(&r, s);
	recs_free(&r);
	zr_free(z);

	/* a listed 127.0.0.2 without a reason: the test point's; an
	 * excluded one: listed all the same */
	z = zr_new(DEFR);
	add(z, "127.0.0.2", 0, C4, NULL);
	render(z, NULL, &r);
	expect(&r, "2.0.0.127 A 127.0.0.4");
	expect(&r, "2.0.0.127 TXT " RFC5782_TP_REASON);
	recs_free(&r);
	zr_free(z);
	z = zr_new(DEFR);
	add(z, "127.0.0.2", 1, 0, NULL);
	render(z, NULL, &r);
	expect(&r, "2.0.0.127 A 127.0.0.2");
	recs_free(&r);
	zr_free(z);
}

static void
test_ipv6(void **state)
{
	struct zr	*z;
	struct recs	 r;
	char		 n[128], s[400];

	(void)state;
	z = zr_new(DEFR);
	add(z, "2001:db8:a::/48", 0, C5, "six");
	add(z, "2001:db8:a::9", 1, 0, NULL);
	add(z, "2001:db8:b::1", 0, C3, "one $");
	add(z, "2.0.0.0/8", 0, C4, "two");
	render(z, NULL, &r);
	expect(&r, "*.a.0.0.0.8.b.d.0.1.0.0.2 A 127.0.0.5");
	expect(&r, "*.a.0.0.0.8.b.d.0.1.0.0.2 TXT six");
	name6("2001:db8:a::9", n, sizeof(n));
	snprintf(s, sizeof(s), "%s TXT " ZR_EXCLUDED_TXT, n);
	expect(&r, s);
	snprintf(s, sizeof(s), "%s A 127.0.0.5", n);
	expect_not(&r, s);
	name6("2001:db8:b::1", n, sizeof(n));
	snprintf(s, sizeof(s), "%s A 127.0.0.3", n);
	expect(&r, s);
	snprintf(s, sizeof(s), "%s TXT one 2001:db8:b::1", n);
	expect(&r, s);
	/* "2" is an IPv4 /8 and an IPv6 /4 at once: its wildcard is the
	 * commonest answer, the IPv6 blocks below it that differ exist */
	expect(&r, "*.2 A 127.0.0.4");
	expect(&r, "f.2 TXT " ZR_EXCLUDED_TXT);
	expect(&r, "a.0.0.2 TXT " ZR_EXCLUDED_TXT);
	expect(&r, "*.0.0.2 A 127.0.0.4");
	expect_not(&r, "*.200.2 A 127.0.0.4");
	recs_free(&r);
	zr_free(z);
}

static void
free_eq(struct recs *a, struct recs *b)
{
	size_t	 i;

	if (a->n != b->n) {
		for (i = 0; (i < a->n || i < b->n) && i < 40; i++)
			print_message("  %s | %s\n", i < a->n ? a->s[i] : "",
			    i < b->n ? b->s[i] : "");
		fail_msg("%zu records, expected %zu", a->n, b->n);
	}
	for (i = 0; i < a->n; i++)
		assert_string_equal(a->s[i], b->s[i]);
	recs_free(a);
	recs_free(b);
}

static void
test_mapped(void **state)
{
	struct zr	*z4, *z6;
	struct recs	 r4, r6;
	struct addr	 a;

	(void)state;
	z4 = zr_new(DEFR);
	z6 = zr_new(DEFR);
	add(z4, "10.0.0.0/8", 0, C3, NULL);
	add(z4, "10.9.9.9", 1, 0, NULL);
	add(z4, "1.2.3.4", 0, C4, "one $");
	/* the same as IPv4-mapped IPv6 (addr_parse would make them IPv4) */
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 10;
	a.prefix = 104;
	assert_int_equal(zr_add(z6, &a, 0, C3, NULL), 0);
	a.a[13] = a.a[14] = a.a[15] = 9;
	a.prefix = 128;
	assert_int_equal(zr_add(z6, &a, 1, 0, NULL), 0);
	a.a[12] = 1, a.a[13] = 2, a.a[14] = 3, a.a[15] = 4;
	assert_int_equal(zr_add(z6, &a, 0, C4, "one $"), 0);
	/* a mapped test point in the data changes nothing */
	a.a[12] = 127, a.a[13] = 0, a.a[14] = 0, a.a[15] = 1;
	assert_int_equal(zr_add(z6, &a, 0, C4, NULL), 0);
	render(z4, NULL, &r4);
	render(z6, NULL, &r6);
	expect(&r6, "*.10 TXT listed: 10.0.0.0/8");
	expect(&r6, "4.3.2.1 TXT one 1.2.3.4");
	free_eq(&r6, &r4);
	zr_free(z4);
	zr_free(z6);
}

static void
test_stop(void **state)
{
	struct zr	*z;
	struct recs	 r;

	(void)state;
	z = zr_new(DEFR);
	add(z, "10.0.0.0/24", 0, C3, NULL);
	memset(&r, 0, sizeof(r));
	r.stop_after = 3;
	assert_int_equal(zr_render(z, NULL, collect, &r), 7);
	assert_int_equal(r.n, 3);
	recs_free(&r);
	zr_free(z);
}

/* Random entries (fixed seed). */

struct tent {
	struct addr	 net;
	int		 excl;
	uint32_t	 code;
	const char	*reason;
};

static uint64_t	 rng_state;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const char *const reasons[] = { NULL, "plain", "r $", "other $ $",
    "q \"x\"" };

static void
rand_entry(struct tent *e)
{
	static const int	 p4[] = { 8, 12, 16, 20, 23, 24, 26, 28, 31, 32,
	    32, 32 };
	static const int	 p6[] = { 4, 8, 16, 32, 48, 64, 65, 120, 124,
	    127, 128, 128 };
	static const uint8_t	 o1[] = { 2, 10, 11, 200, 127 };
	static const uint8_t	 n1[] = { 0x20, 0x2f, 0x10, 0xa0, 0xf0 };
	int			 i;

	memset(e, 0, sizeof(*e));
	if (rnd(10) < 6) {
		e->net.family = 4;
		e->net.a[0] = o1[rnd(5)];
		e->net.a[1] = (uint8_t)rnd(3);
		e->net.a[2] = (uint8_t)rnd(3);
		e->net.a[3] = (uint8_t)rnd(256);
		e->net.prefix = (uint8_t)p4[rnd(12)];
	} else {
		e->net.family = 6;
		e->net.a[0] = n1[rnd(5)];
		e->net.a[1] = 0x01;
		e->net.a[2] = 0x0d;
		e->net.a[3] = (uint8_t)rnd(2);
		for (i = 4; i < 16; i++)
			e->net.a[i] = (uint8_t)(rnd(4) == 0 ? rnd(256) : 0);
		e->net.prefix = (uint8_t)p6[rnd(12)];
	}
	addr_mask(&e->net);
	if (e->net.family == 4 && e->net.prefix == 32 && e->net.a[0] == 127)
		e->net.prefix = 31;	/* no test point: test_foreach */
	addr_mask(&e->net);
	e->excl = rnd(10) < 3;
	if (!e->excl) {
		e->code = C2 + rnd(3);
		e->reason = reasons[rnd(5)];
	}
}

/* n random entries, distinct prefixes. */
static size_t
rand_entries(struct tent *e, size_t n)
{
	size_t	 k = 0, i;

	while (k < n) {
		rand_entry(&e[k]);
		for (i = 0; i < k; i++)
			if (addr_cmp(&e[i].net, &e[k].net) == 0)
				break;
		if (i == k)
			k++;
	}
	return k;
}

static struct zr *
zr_from(const struct tent *e, size_t n)
{
	struct zr	*z = zr_new(DEFR);
	size_t		 i;

	for (i = 0; i < n; i++)
		assert_int_equal(zr_add(z, &e[i].net, e[i].excl, e[i].code,
		    e[i].reason), 0);
	return z;
}

static void
test_tops(void **state)
{
	struct tent	 e[300];
	struct zr	*z;
	struct recs	 full, part, want;
	uint8_t		 tops[ZR_TOPS];
	size_t		 n, i;
	int		 round, t, last = -1;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	n = rand_entries(e, 300);
	z = zr_from(e, n);
	render(z, NULL, &full);
	assert_true(full.n > 300);
	for (i = 0; i < full.n; i++) {	/* top by top, in order */
		assert_true(full.top[i] >= last);
		last = full.top[i];
	}
	for (round = 0; round < 6; round++) {
		memset(tops, 0, sizeof(tops));
		for (t = 0; t < ZR_TOPS; t++)
			tops[t] = rnd(4) == 0;
		if (round == 0) {
			memset(tops, 0, sizeof(tops));
			tops[2] = 1;	/* an IPv4 /8 and an IPv6 /4 */
		}
		render(z, tops, &part);
		memset(&want, 0, sizeof(want));
		for (i = 0; i < full.n; i++)
			if (tops[full.top[i]])
				recs_put(&want, strdup(full.s[i]),
				    full.top[i]);
		if (round == 0)
			assert_true(want.n > 0);
		free_eq(&part, &want);
	}
	recs_free(&full);
	zr_free(z);
}

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* What zr_diff should give: old - new, then new - old (as "+" lines). */
static void
set_diff(struct recs *o, struct recs *n, struct recs *out)
{
	size_t	 i;

	if (o->n > 1)
		qsort(o->s, o->n, sizeof(*o->s), str_cmp);
	if (n->n > 1)
		qsort(n->s, n->n, sizeof(*n->s), str_cmp);
	memset(out, 0, sizeof(*out));
	for (i = 0; i < o->n; i++)
		if (n->n == 0 || bsearch(&o->s[i], n->s, n->n, sizeof(*n->s),
		    str_cmp) == NULL)
			recs_put(out, strdup(o->s[i]), 0);
	for (i = 0; i < n->n; i++)
		if (o->n == 0 || bsearch(&n->s[i], o->s, o->n,
		    sizeof(*o->s), str_cmp) == NULL) {
			char	*s;

			assert_true(asprintf(&s, "+%s", n->s[i]) > 0);
			recs_put(out, s, 0);
		}
}

/* zr_diff's records in the same form, sorted within each part. */
static void
diff_text(struct recs *d)
{
	size_t	 i, ndel = 0;
	char	*s;

	assert_false(d->bad_order);
	for (i = 0; i < d->n; i++) {
		if (d->top[i] >= 0) {
			ndel++;
			continue;
		}
		assert_true(asprintf(&s, "+%s", d->s[i]) > 0);
		free(d->s[i]);
		d->s[i] = s;
	}
	if (ndel > 1)
		qsort(d->s, ndel, sizeof(*d->s), str_cmp);
	if (d->n - ndel > 1)
		qsort(d->s + ndel, d->n - ndel, sizeof(*d->s), str_cmp);
}

static int
fe_add(const struct addr *net, int exclude, uint32_t code,
    const char *reason, void *arg)
{
	return zr_add(arg, net, exclude, code, reason) == 0 ? 0 : 99;
}

static struct zone_index *
index_from(const struct tent *e, size_t n)
{
	struct zone_index_builder	*b = zone_index_builder_new();
	size_t				 i;

	for (i = 0; i < n; i++)
		assert_int_equal(zone_index_builder_add(b, &e[i].net,
		    e[i].excl, e[i].code, e[i].reason), 0);
	return zone_index_builder_finish(b, DEFR);
}

/* One change from e (n entries) to f: zr_diff against two renders. */
static void
check_change(const struct tent *e, size_t n, const struct tent *f,
    size_t m, const struct addr *changed, int must)
{
	struct zr		*zo, *zn;
	struct zone_index	*io, *in;
	struct recs		 ro, rn, want, got;
	uint8_t			 tops[ZR_TOPS], *subs;
	size_t			 i;
	int			 pass, rc;

	zo = zr_from(e, n);
	zn = zr_from(f, m);
	render(zo, NULL, &ro);
	render(zn, NULL, &rn);
	set_diff(&ro, &rn, &want);
	if (must)
		assert_true(want.n > 0);
	memset(tops, 0, sizeof(tops));
	zr_mark_tops(changed, tops);
	subs = calloc(ZR_TOPS, ZR_SUBS);
	assert_non_null(subs);
	zr_mark_subs(changed, subs);
	io = index_from(e, n);
	in = index_from(f, m);
	/* 0: zr_diff of everything; 1: of the marked tops; 2: the same
	 * from the entries of those tops only (as an IXFR); 3: as 2, by
	 * zr_diff_subs and the marked second-level blocks */
	for (pass = 0; pass < 4; pass++) {
		struct zr	*a = zo, *b = zn;

		memset(&got, 0, sizeof(got));
		if (pass >= 2) {
			/* as an IXFR: only the entries of the marked tops */
			a = zr_new(DEFR);
			b = zr_new(DEFR);
			assert_int_equal(zone_index_foreach(io, tops, fe_add,
			    a), 0);
			assert_int_equal(zone_index_foreach(in, tops, fe_add,
			    b), 0);
		}
		if (pass < 3)
			rc = zr_diff(a, b, pass == 0 ? NULL : tops,
			    collect_del, collect_add, &got);
		else
			rc = zr_diff_subs(a, b, subs, collect_del, collect_add,
			    &got);
		assert_int_equal(rc, 0);
		diff_text(&got);
		if (got.n != want.n) {
			for (i = 0; (i < got.n || i < want.n) && i < 40;
			    i++)
				print_message("  %s | %s\n",
				    i < got.n ? got.s[i] : "",
				    i < want.n ? want.s[i] : "");
			fail_msg("pass %d: %zu records, expected %zu", pass,
			    got.n, want.n);
		}
		for (i = 0; i < got.n; i++)
			assert_string_equal(got.s[i], want.s[i]);
		recs_free(&got);
		if (pass >= 2) {
			zr_free(a);
			zr_free(b);
		}
	}
	recs_free(&ro);
	recs_free(&rn);
	recs_free(&want);
	zr_free(zo);
	zr_free(zn);
	zone_index_free(io);
	zone_index_free(in);
	free(subs);
}

static void
set_entry(struct tent *t, const char *cidr, int excl, uint32_t code,
    const char *reason)
{
	char	 err[128];

	memset(t, 0, sizeof(*t));
	if (addr_parse(cidr, &t->net, err, sizeof(err)) == -1)
		fail_msg("addr_parse %s: %s", cidr, err);
	t->excl = excl;
	t->code = code;
	t->reason = reason;
}

static void
test_diff(void **state)
{
	struct tent	 e[202], f[202];
	size_t		 n, i, k;
	int		 round;

	(void)state;
	rng_state = 0x243f6a8885a308d3ULL;
	n = rand_entries(e, 150);
	/* a range with an exclusion in it, and one to change */
	set_entry(&e[n++], "11.7.0.0/16", 0, C3, "range");
	set_entry(&e[n++], "11.7.7.7", 1, 0, NULL);

	/* add a single address */
	memcpy(f, e, n * sizeof(*e));
	set_entry(&f[n], "11.9.9.9", 0, C4, "new $");
	check_change(e, n, f, n + 1, &f[n].net, 1);
	/* add an IPv6 one under a shared top */
	set_entry(&f[n], "2001:db8::77", 0, C4, NULL);
	check_change(e, n, f, n + 1, &f[n].net, 1);
	/* add a range */
	set_entry(&f[n], "200.5.0.0/20", 0, C5, "a range");
	check_change(e, n, f, n + 1, &f[n].net, 1);
	/* a new exclusion inside a range */
	set_entry(&f[n], "11.7.1.2", 1, 0, NULL);
	check_change(e, n, f, n + 1, &f[n].net, 1);
	/* remove the exclusion inside the range */
	check_change(e, n, e, n - 1, &e[n - 1].net, 1);
	/* remove the range (its exclusion stays) */
	memcpy(f, e, n * sizeof(*e));
	f[n - 2] = f[n - 1];
	check_change(e, n, f, n - 1, &e[n - 2].net, 1);
	/* change a range's code */
	memcpy(f, e, n * sizeof(*e));
	f[n - 2].code = C5;
	check_change(e, n, f, n, &e[n - 2].net, 1);
	/* random removals and code changes */
	for (round = 0; round < 8; round++) {
		k = rnd((uint32_t)n - 2);
		memcpy(f, e, n * sizeof(*e));
		if (round % 2 == 0) {
			for (i = k; i + 1 < n; i++)
				f[i] = f[i + 1];
			check_change(e, n, f, n - 1, &e[k].net, 0);
		} else {
			f[k].excl = !f[k].excl;
			f[k].code = C4;
			f[k].reason = "changed";
			check_change(e, n, f, n, &e[k].net, 0);
		}
	}
}

static void
test_mark_tops(void **state)
{
	uint8_t		 tops[ZR_TOPS];
	struct addr	 a;
	char		 err[128];
	int		 t, n;

	(void)state;
	memset(tops, 0, sizeof(tops));
	assert_int_equal(addr_parse("10.1.0.0/16", &a, err, sizeof(err)), 0);
	zr_mark_tops(&a, tops);
	for (t = 0, n = 0; t < ZR_TOPS; t++)
		n += tops[t];
	assert_int_equal(n, 1);
	assert_true(tops[10]);
	memset(tops, 0, sizeof(tops));
	assert_int_equal(addr_parse("8.0.0.0/6", &a, err, sizeof(err)), 0);
	zr_mark_tops(&a, tops);
	assert_true(tops[8] && tops[9] && tops[10] && tops[11]);
	assert_false(tops[7] || tops[12]);
	memset(tops, 0, sizeof(tops));
	assert_int_equal(addr_parse("c000::/2", &a, err, sizeof(err)), 0);
	zr_mark_tops(&a, tops);
	for (t = 0, n = 0; t < ZR_TOPS; t++)
		n += tops[t];
	assert_int_equal(n, 4);
	assert_true(tops[258] && tops[259] && tops[260] && tops[261]);
	memset(tops, 0, sizeof(tops));
	assert_int_equal(addr_parse("2001:db8::/32", &a, err, sizeof(err)),
	    0);
	zr_mark_tops(&a, tops);
	assert_true(tops[2]);
	/* IPv4-mapped: its IPv4 tops */
	memset(tops, 0, sizeof(tops));
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.prefix = 104;
	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 77;
	zr_mark_tops(&a, tops);
	for (t = 0, n = 0; t < ZR_TOPS; t++)
		n += tops[t];
	assert_int_equal(n, 1);
	assert_true(tops[77]);
}

/* zone_index_foreach gives back the entries. */
struct fe {
	struct tent	*t;
	size_t		 n, cap;
};

static int
fe_collect(const struct addr *net, int exclude, uint32_t code,
    const char *reason, void *arg)
{
	struct fe	*f = arg;
	struct tent	*t;

	assert_true(f->n < f->cap);
	t = &f->t[f->n++];
	t->net = *net;
	t->excl = exclude;
	t->code = exclude ? 0 : code;
	t->reason = reason;
	return 0;
}

static int
tent_cmp(const void *x, const void *y)
{
	return addr_cmp(&((const struct tent *)x)->net,
	    &((const struct tent *)y)->net);
}

static void
same_entries(struct tent *a, size_t n, struct tent *b, size_t m)
{
	size_t	 i;
	char	 s[ADDR_STRLEN];

	assert_int_equal(n, m);
	qsort(a, n, sizeof(*a), tent_cmp);
	qsort(b, m, sizeof(*b), tent_cmp);
	for (i = 0; i < n; i++) {
		if (addr_cmp(&a[i].net, &b[i].net) != 0)
			fail_msg("entry %zu: %s", i, addr_format(&a[i].net, s,
			    sizeof(s)));
		assert_int_equal(a[i].excl, b[i].excl);
		assert_int_equal(a[i].excl ? 0 : a[i].code,
		    b[i].excl ? 0 : b[i].code);
		if (a[i].reason == NULL || b[i].reason == NULL)
			assert_ptr_equal(a[i].reason, b[i].reason);
		else
			assert_string_equal(a[i].reason, b[i].reason);
	}
}

static void
test_foreach(void **state)
{
	struct tent		 e[410], want[410];
	struct fe		 f;
	struct zone_index	*zi;
	uint8_t			 tops[ZR_TOPS], mark[ZR_TOPS];
	struct addr		 a;
	size_t			 n, i, k;
	int			 t, hit, round;

	(void)state;
	rng_state = 0x13198a2e03707344ULL;
	n = rand_entries(e, 400);
	/* a mapped one comes back as IPv4; the data's test points stay */
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.prefix = 120;
	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 99;
	a.a[13] = 1;
	a.a[14] = 2;
	e[n].net = a;
	e[n].excl = 0;
	e[n].code = C4;
	e[n++].reason = "mapped";
	set_entry(&e[n++], "127.0.0.1", 1, 0, NULL);
	set_entry(&e[n++], "127.0.0.2", 0, C2, NULL);
	zi = index_from(e, n);

	f.t = calloc(n + 10, sizeof(*f.t));
	f.cap = n + 10;
	f.n = 0;
	assert_int_equal(zone_index_foreach(zi, NULL, fe_collect, &f), 0);
	memcpy(want, e, n * sizeof(*e));
	set_entry(&want[n - 3], "99.1.2.0/24", 0, C4, "mapped");
	same_entries(f.t, f.n, want, n);

	/* tops: the entries touching a marked top, no other */
	for (round = 0; round < 4; round++) {
		memset(tops, 0, sizeof(tops));
		for (t = 0; t < ZR_TOPS; t++)
			tops[t] = rnd(3) == 0;
		f.n = 0;
		assert_int_equal(zone_index_foreach(zi, tops, fe_collect, &f),
		    0);
		for (i = 0, k = 0; i < n; i++) {
			memset(mark, 0, sizeof(mark));
			zr_mark_tops(&want[i].net, mark);
			for (t = 0, hit = 0; t < ZR_TOPS; t++)
				hit |= mark[t] && tops[t];
			if (hit)
				e[k++] = want[i];
		}
		same_entries(f.t, f.n, e, k);
	}

	/* without the test points in the data, they do not come */
	zone_index_free(zi);
	zi = index_from(want, 0);
	f.n = 0;
	assert_int_equal(zone_index_foreach(zi, NULL, fe_collect, &f), 0);
	assert_int_equal(f.n, 0);
	free(f.t);
	zone_index_free(zi);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_exclusion),
		cmocka_unit_test(test_testpoints),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_tops),
		cmocka_unit_test(test_mark_tops),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
