/*
 * test_zone_patch.c -- unit tests for zone_index_patch()
 * (core/zone_patch.c): a patched index answers exactly like a fresh build
 * from the same final entries.  A randomized comparison (fixed seed) over
 * random base sets and chains of random change batches, the test points,
 * expiry, values, malformed changes, a base left untouched, and a large
 * patch (timing printed, not asserted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "addr.h"
#include "zone_index.h"

__extension__ typedef unsigned __int128 u128;

#define C2	0x7f000002U
#define C3	0x7f000003U
#define DEFR	"listed: see https://example.org/$"
#define NOW	1700000000LL

/* ---- the entries, as the journal leaves them ---- */

struct ent {
	int		 family;	/* normalized: mapped IPv6 is IPv4 */
	int		 prefix;
	u128		 net;		/* IPv4 in the low 32 bits */
	int		 excl;
	uint32_t	 code;
	const char	*reason;
};

struct model {
	struct ent	*e;
	size_t		 n, cap;
};

static uint64_t	 rng_state;

static uint64_t
rng(void)
{
	uint64_t	 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t
rnd(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static u128
rand128(void)
{
	u128	 hi = rng();	/* two statements: a fixed order */

	return hi << 64 | rng();
}

static u128
mask_of(int family, int prefix)
{
	int	 bits = family == 4 ? 32 : 128;

	if (prefix == 0)
		return 0;
	return (~(u128)0 << (bits - prefix)) &
	    (family == 4 ? (u128)UINT32_MAX : ~(u128)0);
}

static u128
last_of(const struct ent *e)
{
	return e->net | (~mask_of(e->family, e->prefix) &
	    (e->family == 4 ? (u128)UINT32_MAX : ~(u128)0));
}

static int
is_mapped(u128 x)
{
	return x >> 32 == 0xffff;
}

static void
to_bytes(u128 x, uint8_t out[16])
{
	int	 i;

	for (i = 15; i >= 0; i--) {
		out[i] = (uint8_t)x;
		x >>= 8;
	}
}

/* e as an addr; IPv4 sometimes spelled as its IPv4-mapped IPv6 prefix. */
static void
ent_addr(const struct ent *e, struct addr *a, int mapped)
{
	memset(a, 0, sizeof(*a));
	if (e->family == 4 && !mapped) {
		addr_set_v4(a, (uint32_t)e->net, e->prefix);
		return;
	}
	a->family = 6;
	if (e->family == 4) {
		a->prefix = (uint8_t)(e->prefix + 96);
		to_bytes(e->net | (u128)0xffff << 32, a->a);
	} else {
		a->prefix = (uint8_t)e->prefix;
		to_bytes(e->net, a->a);
	}
}

static size_t
m_find(const struct model *m, int family, u128 net, int prefix)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].family == family && m->e[i].net == net &&
		    m->e[i].prefix == prefix)
			return i;
	return SIZE_MAX;
}

/* Apply one change to the model, as the journal means it. */
static void
m_apply(struct model *m, const struct ent *e, int remove, int64_t expires)
{
	size_t	 i = m_find(m, e->family, e->net, e->prefix);

	if (remove || (expires != 0 && expires <= NOW)) {
		if (i != SIZE_MAX)
			m->e[i] = m->e[--m->n];
		return;
	}
	if (i == SIZE_MAX) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 256;
			m->e = realloc(m->e, m->cap * sizeof(*m->e));
			assert_non_null(m->e);
		}
		i = m->n++;
	}
	m->e[i] = *e;
}

static struct zone_index *
m_build(const struct model *m)
{
	struct zone_index_builder	*b = zone_index_builder_new();
	struct addr			 a;
	size_t				 i;

	for (i = 0; i < m->n; i++) {
		ent_addr(&m->e[i], &a, 0);
		assert_int_equal(zone_index_builder_add(b, &a, m->e[i].excl,
		    m->e[i].code, m->e[i].reason), 0);
	}
	return zone_index_builder_finish(b, DEFR);
}

/* ---- random entries ---- */

static char	 uniq[1000][24];	/* rarer reasons, made once */
static const char *reasons[] = {
	NULL, "", "open relay", "manual: $ relayed spam", DEFR, "import",
};
static u128	 anchors4[12], anchors6[12];

static const char *
rand_reason(void)
{
	if (rnd(100) < 5)
		return uniq[rnd(1000)];
	return reasons[rnd(6)];
}

static void
init_anchors(void)
{
	int	 i;

	for (i = 0; i < 1000; i++)
		snprintf(uniq[i], sizeof(uniq[i]), "unique %d", i);
	for (i = 0; i < 12; i++) {
		anchors4[i] = rng() & UINT32_MAX;
		anchors6[i] = rand128();
	}
	anchors4[0] = 0x7f000000U;
	anchors4[1] = 0;
	anchors4[2] = UINT32_MAX;
	anchors4[3] = 0x7f000002U;
	anchors6[0] = (u128)0x20010db8U << 96;
	anchors6[1] = 0;
	anchors6[2] = ~(u128)0;
	anchors6[3] = (u128)0xffff << 32;	/* mapped: handled as IPv4 */
	anchors6[4] = (u128)0xfffe << 32;	/* just below it */
	anchors6[5] = (u128)1 << 48;		/* just above it */
}

/* A random entry: mostly singles, nested and overlapping ranges, /0. */
static void
rand_ent(struct ent *e)
{
	int	 fam, bits, prefix;
	u128	 x, lowbits;

	fam = rnd(100) < 55 ? 4 : 6;
	bits = fam == 4 ? 32 : 128;
	if (rnd(100) < 2)
		prefix = 0;
	else if (rnd(100) < 50)
		prefix = bits;
	else if (rnd(100) < 3)
		prefix = (int)rnd((uint32_t)bits / 4);
	else if (fam == 4)
		prefix = 8 + (int)rnd(25);
	else
		prefix = 16 + (int)rnd(113);
	x = fam == 4 ? anchors4[rnd(12)] : anchors6[rnd(12)];
	lowbits = ((u128)1 << rnd((uint32_t)bits - (fam == 4 ? 8 : 40))) - 1;
	x ^= rand128() & lowbits;
	if (fam == 4)
		x &= UINT32_MAX;
	if (rnd(100) < 3 && fam == 4) {		/* the test points */
		x = 0x7f000001U + rnd(2);
		prefix = 32;
	}
	memset(e, 0, sizeof(*e));
	e->family = fam;
	e->prefix = prefix;
	e->net = x & mask_of(fam, prefix);
	/* IPv6 inside ::ffff:0:0/96 is IPv4 data */
	if (fam == 6 && prefix >= 96 && is_mapped(e->net)) {
		e->family = 4;
		e->prefix -= 96;
		e->net &= UINT32_MAX;
	}
	e->excl = rnd(100) < 30;
	e->code = C2 + rnd(3);
	e->reason = rand_reason();
}

/* ---- comparison ---- */

static void
same_value(const struct zi_value *p, const struct zi_value *f,
    const char *what, int fam, u128 x)
{
	if ((p == NULL) != (f == NULL))
		fail_msg("%s IPv%d %016llx%016llx: patched %s, fresh %s",
		    what, fam, (unsigned long long)(x >> 64),
		    (unsigned long long)x, p ? "listed" : "not listed",
		    f ? "listed" : "not listed");
	if (p == NULL)
		return;
	if (p->code != f->code || p->txtlen != f->txtlen ||
	    strcmp(p->txt, f->txt) != 0)
		fail_msg("%s IPv%d %016llx%016llx: patched %08x \"%s\", "
		    "fresh %08x \"%s\"", what, fam,
		    (unsigned long long)(x >> 64), (unsigned long long)x,
		    p->code, p->txt, f->code, f->txt);
}

static size_t	 ncompared, nlisted;

/* lookup and has at every checked prefix length, for one address */
static void
compare_at(const struct zone_index *pz, const struct zone_index *fz,
    int fam, u128 x)
{
	uint8_t		 b[16];
	int		 len, hp, hf;

	ncompared++;
	if (fam == 4) {
		x &= UINT32_MAX;
		same_value(zone_index_lookup4(pz, (uint32_t)x),
		    zone_index_lookup4(fz, (uint32_t)x), "lookup4", 4, x);
		nlisted += zone_index_lookup4(fz, (uint32_t)x) != NULL;
		for (len = 0; len <= 32; len += 8) {
			hp = zone_index_has4(pz, (uint32_t)x, len);
			hf = zone_index_has4(fz, (uint32_t)x, len);
			if (hp != hf)
				fail_msg("has4 %08x/%d: patched %d, fresh %d",
				    (uint32_t)x, len, hp, hf);
		}
		/* and through its IPv4-mapped address */
		x |= (u128)0xffff << 32;
	}
	to_bytes(x, b);
	same_value(zone_index_lookup6(pz, b), zone_index_lookup6(fz, b),
	    "lookup6", 6, x);
	for (len = 0; len <= 128; len += 4) {
		hp = zone_index_has6(pz, b, len);
		hf = zone_index_has6(fz, b, len);
		if (hp != hf)
			fail_msg("has6 %016llx%016llx/%d: patched %d, fresh %d",
			    (unsigned long long)(x >> 64),
			    (unsigned long long)x, len, hp, hf);
	}
}

static void
compare_edges(const struct zone_index *pz, const struct zone_index *fz,
    const struct ent *e)
{
	compare_at(pz, fz, e->family, e->net - 1);
	compare_at(pz, fz, e->family, e->net);
	compare_at(pz, fz, e->family, last_of(e));
	compare_at(pz, fz, e->family, last_of(e) + 1);
}

/*
 * Patched against fresh: the stats (but bytes), every edge of every entry
 * before and after the changes, the test points, and nrand random
 * addresses (near the anchors, and anywhere).
 */
static void
compare(const struct zone_index *pz, const struct zone_index *fz,
    const struct model *before, const struct model *after, size_t nrand)
{
	struct zone_index_stats	 sp, sf;
	size_t			 i;
	int			 fam, bits;
	u128			 x;

	zone_index_stats(pz, &sp);
	zone_index_stats(fz, &sf);
	assert_int_equal(sp.v4_single, sf.v4_single);
	assert_int_equal(sp.v4_ranges, sf.v4_ranges);
	assert_int_equal(sp.v6_single, sf.v6_single);
	assert_int_equal(sp.v6_ranges, sf.v6_ranges);
	assert_int_equal(sp.values, sf.values);
	assert_int_equal(sp.entries, sf.entries);
	assert_int_equal(sf.entries, after->n);
	for (i = 0; i < before->n; i++)
		compare_edges(pz, fz, &before->e[i]);
	for (i = 0; i < after->n; i++)
		compare_edges(pz, fz, &after->e[i]);
	compare_at(pz, fz, 4, 0x7f000001U);
	compare_at(pz, fz, 4, 0x7f000002U);
	for (i = 0; i < nrand; i++) {
		fam = rnd(2) ? 4 : 6;
		bits = fam == 4 ? 32 : 128;
		if (rnd(2)) {
			x = fam == 4 ? anchors4[rnd(12)] : anchors6[rnd(12)];
			x ^= rand128() & (((u128)1 << rnd((uint32_t)bits)) - 1);
		} else
			x = rand128();
		compare_at(pz, fz, fam, x);
	}
}

/* ---- random batches ---- */

/*
 * n random changes to m (applied to the model too): adds of new and
 * existing prefixes (changed or the same), removes of existing and
 * missing ones, expired and expiring adds, IPv4 sometimes spelled
 * IPv4-mapped, a prefix changed twice in one batch.
 */
static struct zi_change *
rand_batch(struct model *m, size_t n)
{
	struct zi_change	*c = calloc(n + 1, sizeof(*c));
	struct ent		*seen = calloc(n + 1, sizeof(*seen));
	struct ent		 e;
	size_t			 i, k;

	assert_non_null(c);
	assert_non_null(seen);
	for (i = 0; i < n; i++) {
		k = rnd(100);
		if (m->n > 0 && k < 40)
			e = m->e[rnd((uint32_t)m->n)];	/* existing */
		else if (i > 0 && k < 45)
			e = seen[rnd((uint32_t)i)];	/* again */
		else
			rand_ent(&e);
		c[i].remove = rnd(100) < 30;
		if (!c[i].remove && rnd(100) < 70) {	/* changed */
			e.excl = rnd(100) < 30;
			e.code = C2 + rnd(3);
			e.reason = rand_reason();
		}
		seen[i] = e;
		ent_addr(&e, &c[i].net, e.family == 4 && rnd(100) < 10);
		c[i].exclude = e.excl;
		c[i].code = e.code;
		c[i].reason = e.reason;
		k = rnd(100);
		c[i].expires = k < 5 ? NOW - 10 : k < 8 ? NOW : k < 12 ?
		    NOW + 100 : 0;
		m_apply(m, &e, c[i].remove, c[i].expires);
	}
	free(seen);
	return c;
}

static void
model_copy(struct model *dst, const struct model *src)
{
	free(dst->e);
	dst->n = dst->cap = src->n;
	dst->e = calloc(src->n + 1, sizeof(*dst->e));
	assert_non_null(dst->e);
	if (src->n > 0)
		memcpy(dst->e, src->e, src->n * sizeof(*src->e));
}

static void
test_random_chains(void **state)
{
	struct model		 m, before;
	struct zone_index	*pz, *fz, *nz;
	struct zi_change	*c;
	struct ent		 e;
	struct zone_index_stats	 st;
	size_t			 i, nbase, nch;
	int			 round, chain;
	char			*snap;

	(void)state;
	rng_state = 0x2545f4914f6cdd1dULL;
	init_anchors();
	ncompared = nlisted = 0;
	memset(&before, 0, sizeof(before));
	for (round = 0; round < 4; round++) {
		memset(&m, 0, sizeof(m));
		nbase = round == 0 ? 0 : 200 + rnd(2000);
		for (i = 0; i < nbase; i++) {
			rand_ent(&e);
			m_apply(&m, &e, 0, 0);
		}
		pz = m_build(&m);
		for (chain = 0; chain < 4; chain++) {
			model_copy(&before, &m);
			nch = chain == 3 && round == 1 ? 0 : 1 + rnd(400);
			c = rand_batch(&m, nch);
			/* The base must not change: it may be serving.  (An
			 * index is one block of st.bytes at its address.) */
			zone_index_stats(pz, &st);
			snap = malloc(st.bytes);
			assert_non_null(snap);
			memcpy(snap, (const void *)pz, st.bytes);
			nz = zone_index_patch(pz, c, nch, NOW);
			assert_non_null(nz);
			assert_memory_equal(snap, (const void *)pz, st.bytes);
			free(snap);
			zone_index_free(pz);
			pz = nz;
			fz = m_build(&m);
			compare(pz, fz, &before, &m, 50000);
			zone_index_free(fz);
			free(c);
		}
		zone_index_free(pz);
		free(m.e);
	}
	free(before.e);
	/* Only worth something if both answers occur often. */
	assert_true(nlisted > ncompared / 20);
	assert_true(nlisted < ncompared / 2);
	print_message("random chains: %zu addresses compared, %zu listed\n",
	    ncompared, nlisted);
}

/* ---- fixed cases ---- */

static void
chg(struct zi_change *c, const char *cidr, int remove, int excl,
    uint32_t code, const char *reason, int64_t expires)
{
	char	 err[128];

	memset(c, 0, sizeof(*c));
	if (addr_parse(cidr, &c->net, err, sizeof(err)) == -1)
		fail_msg("addr_parse %s: %s", cidr, err);
	c->remove = remove;
	c->exclude = excl;
	c->code = code;
	c->reason = reason;
	c->expires = expires;
}

static const struct zi_value *
lk4(const struct zone_index *zi, uint32_t ip)
{
	return zone_index_lookup4(zi, ip);
}

static void
test_testpoints(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*z0, *z1, *z2;
	struct zi_change		 c[4];
	struct zone_index_stats		 st;

	(void)state;
	b = zone_index_builder_new();
	z0 = zone_index_builder_finish(b, DEFR);
	/* 127.0.0.1 listed: still never; 127.0.0.2 with a reason of its own */
	chg(&c[0], "127.0.0.1", 0, 0, C3, "no", 0);
	chg(&c[1], "127.0.0.2", 0, 0, C3, "mine", 0);
	chg(&c[2], "127.0.0.0/24", 0, 0, C2, NULL, 0);
	z1 = zone_index_patch(z0, c, 3, NOW);
	assert_non_null(z1);
	assert_null(lk4(z1, 0x7f000001U));
	assert_int_equal(lk4(z1, 0x7f000002U)->code, C3);
	assert_string_equal(lk4(z1, 0x7f000002U)->txt, "mine");
	assert_string_equal(lk4(z1, 0x7f000003U)->txt, DEFR);
	assert_false(zone_index_has4(z1, 0x7f000001U, 32));
	zone_index_stats(z1, &st);
	assert_int_equal(st.entries, 3);
	/* 127.0.0.2 excluded, then listed with the default reason */
	chg(&c[0], "127.0.0.2", 0, 1, 0, NULL, 0);
	z2 = zone_index_patch(z1, c, 1, NOW);
	assert_int_equal(lk4(z2, 0x7f000002U)->code, C2);
	assert_string_equal(lk4(z2, 0x7f000002U)->txt, RFC5782_TP_REASON);
	zone_index_free(z2);
	chg(&c[0], "127.0.0.2", 0, 0, C3, NULL, 0);
	z2 = zone_index_patch(z1, c, 1, NOW);
	assert_int_equal(lk4(z2, 0x7f000002U)->code, C3);
	assert_string_equal(lk4(z2, 0x7f000002U)->txt, RFC5782_TP_REASON);
	zone_index_free(z2);
	/* removed: back to the built-in test point; 127.0.0.1 gone too */
	chg(&c[0], "127.0.0.2", 1, 0, 0, NULL, 0);
	chg(&c[1], "127.0.0.1", 1, 0, 0, NULL, 0);
	chg(&c[2], "127.0.0.0/24", 1, 0, 0, NULL, 0);
	z2 = zone_index_patch(z1, c, 3, NOW);
	assert_int_equal(lk4(z2, 0x7f000002U)->code, C2);
	assert_string_equal(lk4(z2, 0x7f000002U)->txt, RFC5782_TP_REASON);
	assert_null(lk4(z2, 0x7f000003U));
	assert_null(lk4(z2, 0x7f000001U));
	zone_index_stats(z2, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.values, 1);		/* "mine" is gone */
	zone_index_free(z2);
	zone_index_free(z1);
	zone_index_free(z0);
}

static void
test_semantics(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*z0, *z1;
	struct zi_change		 c[8];
	struct addr			 a;
	const struct zi_value		*v;
	uint8_t				 m[16];

	(void)state;
	b = zone_index_builder_new();
	addr_set_v4(&a, 0xc0000201U, 32);		/* 192.0.2.1 */
	assert_int_equal(zone_index_builder_add(b, &a, 0, C3, "old"), 0);
	addr_set_v4(&a, 0x0a000000U, 8);		/* 10/8 */
	assert_int_equal(zone_index_builder_add(b, &a, 0, C2, NULL), 0);
	z0 = zone_index_builder_finish(b, DEFR);

	/* the last change for a prefix wins; expired adds remove */
	chg(&c[0], "192.0.2.1", 0, 0, C2, "first", 0);
	chg(&c[1], "192.0.2.1", 0, 0, C3, "second", 0);
	chg(&c[2], "192.0.2.2", 0, 0, C2, NULL, NOW + 1);	/* future */
	chg(&c[3], "192.0.2.3", 0, 0, C2, NULL, NOW);		/* expired */
	chg(&c[4], "10.0.0.0/8", 0, 0, C2, NULL, NOW - 1);	/* expired */
	chg(&c[5], "10.1.0.0/16", 1, 0, 0, NULL, 0);		/* missing */
	chg(&c[6], "::ffff:192.0.2.4/128", 0, 0, C3, NULL, 0);	/* mapped */
	chg(&c[7], "192.0.2.4/32", 0, 1, 0, NULL, 0);		/* same */
	z1 = zone_index_patch(z0, c, 8, NOW);
	assert_non_null(z1);
	v = lk4(z1, 0xc0000201U);
	assert_int_equal(v->code, C3);
	assert_string_equal(v->txt, "second");
	assert_string_equal(lk4(z1, 0xc0000202U)->txt, DEFR);
	assert_null(lk4(z1, 0xc0000203U));
	assert_null(lk4(z1, 0x0a010203U));
	assert_null(lk4(z1, 0xc0000204U));
	memset(m, 0, sizeof(m));
	m[10] = m[11] = 0xff;
	m[12] = 192;
	m[14] = 2;
	m[15] = 1;
	assert_string_equal(zone_index_lookup6(z1, m)->txt, "second");
	/* the base still answers as before */
	assert_string_equal(lk4(z0, 0xc0000201U)->txt, "old");
	assert_non_null(lk4(z0, 0x0a010203U));
	zone_index_free(z1);

	/* malformed: NULL, nothing built */
	chg(&c[0], "192.0.2.9", 0, 0, C2, NULL, 0);
	c[1] = c[0];
	c[1].net.prefix = 33;
	assert_null(zone_index_patch(z0, c, 2, NOW));
	c[1].net.family = 5;
	assert_null(zone_index_patch(z0, c, 2, NOW));
	/* no changes: the same answers */
	z1 = zone_index_patch(z0, NULL, 0, NOW);
	assert_string_equal(lk4(z1, 0xc0000201U)->txt, "old");
	assert_non_null(lk4(z1, 0x0a010203U));
	zone_index_free(z1);
	zone_index_free(z0);
}

/* More values than a uint16_t index holds, reached by a patch. */
static void
test_many_values(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*z0, *z1, *z2;
	struct zi_change		*c;
	struct zone_index_stats		 st;
	uint32_t			 i;

	(void)state;
	b = zone_index_builder_new();
	z0 = zone_index_builder_finish(b, DEFR);
	c = calloc(70000, sizeof(*c));
	assert_non_null(c);
	for (i = 0; i < 70000; i++) {
		addr_set_v4(&c[i].net, 0x0a000000U + i * 7, 32);
		c[i].code = i;
	}
	z1 = zone_index_patch(z0, c, 70000, NOW);
	zone_index_stats(z1, &st);
	assert_int_equal(st.values, 70001);
	for (i = 0; i < 70000; i++)
		assert_int_equal(lk4(z1, 0x0a000000U + i * 7)->code, i);
	/* and back below: removed values are dropped */
	for (i = 0; i < 70000; i++)
		c[i].remove = i >= 10;
	z2 = zone_index_patch(z1, c, 70000, NOW);
	zone_index_stats(z2, &st);
	assert_int_equal(st.values, 11);
	assert_int_equal(st.v4_single, 11);
	assert_int_equal(lk4(z2, 0x0a000000U + 9 * 7)->code, 9);
	assert_null(lk4(z2, 0x0a000000U + 10 * 7));
	zone_index_free(z2);
	zone_index_free(z1);
	zone_index_free(z0);
	free(c);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	    (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

struct big {
	uint32_t	 ip;
	uint32_t	 seq;
	int		 remove;
	const char	*reason;
};

static int
big_cmp(const void *pa, const void *pb)
{
	const struct big	*a = pa, *b = pb;

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static struct zone_index_builder *
big_ranges(void)
{
	struct zone_index_builder	*b = zone_index_builder_new();
	struct addr			 a;
	uint32_t			 i;

	for (i = 0; i < 10000; i++) {
		addr_set_v4(&a, 0xc8000000U | i << 8, 24);
		assert_int_equal(zone_index_builder_add(b, &a, i % 3 == 0,
		    C3, NULL), 0);
	}
	return b;
}

/*
 * 1,000,000 singles and 10,000 ranges, then 10,000 single-address changes
 * (new, replaced and removed), checked against a fresh build of the final
 * entries on every changed address and a sample.  Times are printed, not
 * asserted.
 */
static void
test_large(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*z0, *z1, *fz;
	struct zi_change		*c;
	struct big			*all;
	struct addr			 a;
	struct timespec			 t0;
	uint32_t			 x;
	size_t				 i, n = 1000000, nc = 10000, nall;
	double				 tbuild, tpatch, tfresh;

	(void)state;
	rng_state = 777;
	all = calloc(n + nc, sizeof(*all));
	c = calloc(nc, sizeof(*c));
	assert_non_null(all);
	assert_non_null(c);
	for (i = 0; i < n; i++) {
		all[i].ip = (uint32_t)rng();
		all[i].seq = (uint32_t)i;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b = big_ranges();
	for (i = 0; i < n; i++) {
		addr_set_v4(&a, all[i].ip, 32);
		assert_int_equal(zone_index_builder_add(b, &a, 0, C2, NULL), 0);
	}
	z0 = zone_index_builder_finish(b, DEFR);
	tbuild = ms_since(&t0);

	/* a fifth of them about existing entries, half of those removes */
	for (i = 0; i < nc; i++) {
		x = i % 5 == 0 ? all[rnd((uint32_t)n)].ip : (uint32_t)rng();
		addr_set_v4(&c[i].net, x, 32);
		c[i].remove = i % 10 == 0;
		c[i].code = C3;
		c[i].reason = i % 7 == 0 ? "batch" : NULL;
		all[n + i].ip = x;
		all[n + i].seq = (uint32_t)(n + i);
		all[n + i].remove = c[i].remove;
		all[n + i].reason = c[i].reason;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	z1 = zone_index_patch(z0, c, nc, NOW);
	tpatch = ms_since(&t0);
	assert_non_null(z1);

	/* the final entries: the last word on each address */
	qsort(all, n + nc, sizeof(*all), big_cmp);
	for (i = 0, nall = 0; i < n + nc; i++)
		if (i + 1 == n + nc || all[i + 1].ip != all[i].ip)
			all[nall++] = all[i];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b = big_ranges();
	for (i = 0; i < nall; i++) {
		if (all[i].remove)
			continue;
		addr_set_v4(&a, all[i].ip, 32);
		assert_int_equal(zone_index_builder_add(b, &a, 0,
		    all[i].seq >= n ? C3 : C2, all[i].reason), 0);
	}
	fz = zone_index_builder_finish(b, DEFR);
	tfresh = ms_since(&t0);

	for (i = 0; i < nc; i++) {
		x = addr_v4(&c[i].net);
		same_value(lk4(z1, x), lk4(fz, x), "changed", 4, x);
		same_value(lk4(z1, x + 1), lk4(fz, x + 1), "next", 4, x + 1);
	}
	for (i = 0; i < 200000; i++) {
		x = i % 2 ? all[rnd((uint32_t)nall)].ip : (uint32_t)rng();
		same_value(lk4(z1, x), lk4(fz, x), "sample", 4, x);
		assert_int_equal(zone_index_has4(z1, x, 24),
		    zone_index_has4(fz, x, 24));
	}
	print_message("large: build of %zu entries %.1f ms; patch of %zu "
	    "changes %.1f ms; fresh build of the result %.1f ms\n",
	    n + 10000, tbuild, nc, tpatch, tfresh);
	zone_index_free(fz);
	zone_index_free(z1);
	zone_index_free(z0);
	free(c);
	free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_testpoints),
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_many_values),
		cmocka_unit_test(test_random_chains),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
