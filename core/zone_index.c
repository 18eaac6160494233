/*
 * zone_index.c -- the immutable in-memory index orbl-dnsd answers from.
 *
 * Layout (one allocation, freed as a unit):
 *  - values: the distinct (code, reason) pairs some address answers,
 *    reasons in one string arena (with the default and test point ones);
 *  - IPv4 single listings (/32, listed): sorted, split by the top 16 bits
 *    into 65536 buckets (an offset table), each entry keeps only its low 16
 *    bits and a value index (uint16_t while there are <= 65536 values);
 *  - everything else of IPv4 (ranges, and every exclusion, /32 ones too)
 *    flattened into an interval map: sorted starts, each with the value
 *    index deciding from there up to the next start, or VAL_NONE; a second
 *    65536-entry table says which interval holds each x.y.0.0, so a search
 *    only covers the boundaries inside one /16;
 *  - IPv6 the same with 128-bit keys (plain sorted arrays, no buckets);
 *  - the range entries the interval maps were flattened from (sorted by
 *    start, then prefix), so that a patch can flatten them again.
 * A lookup searches the singles first (a /32 or /128 is the most specific
 * entry there is), then the interval map.  Adjacent intervals never share
 * a value, so after a VAL_NONE interval the next one is listed: has4/has6
 * are two searches, whatever the size of the prefix.
 *
 * Two ways lead to the same "parts" (sorted, duplicate-free entries and
 * the values they use), which assemble() lays out: the builder sorts what
 * was added (a radix sort for the IPv4 singles; stable, so the last entry
 * added for a prefix is found last and wins), and a patch merges the sorted
 * changes into the entries of an existing index, one linear pass each.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "zone_index.h"

__extension__ typedef unsigned __int128 u128;

#define VAL_NONE	UINT32_MAX	/* interval map: not listed */
#define VAL_EXCL	UINT32_MAX	/* builder: an exclusion */
#define VAL_DEL		(UINT32_MAX - 1)	/* patch: a remove */
#define RSN_DEFAULT	UINT32_MAX	/* builder: the default reason */
#define S4_BUCKETS	65536
#define ARENA_MAX	(UINT32_MAX - 2 * (size_t)UINT16_MAX)
#define MAPPED_HI	((u128)0xffff)	/* ::ffff:0:0/96 >> 32 */

_Static_assert(_Alignof(u128) <= _Alignof(max_align_t),
    "malloc does not align __int128");

struct b4s {			/* IPv4 /32 */
	uint32_t	 ip;
	uint32_t	 val;		/* builder value, or VAL_EXCL */
};

struct b4r {			/* IPv4 /0../31, later /32 exclusions */
	uint32_t	 net;
	uint32_t	 val;
	uint32_t	 seq;
	uint8_t		 prefix;
};

struct b6s {			/* IPv6 /128 */
	u128		 ip;
	uint32_t	 val;
	uint32_t	 seq;
};

struct b6r {			/* IPv6 /0../127, later /128 exclusions */
	u128		 net;
	uint32_t	 val;
	uint32_t	 seq;
	uint8_t		 prefix;
};

struct bval {
	uint32_t	 code;
	uint32_t	 rsn;		/* arena offset, or RSN_DEFAULT */
};

/* (code, reason) pairs, deduplicated with an open-addressing hash. */
struct valtab {
	struct bval	*v;
	size_t		 n, cap;
	uint32_t	*h;		/* index + 1, 0 = empty */
	size_t		 hcap;		/* power of two */
};

/* Reasons, NUL-terminated in one arena, deduplicated. */
struct strtab {
	char		*s;
	size_t		 n, cap;
	uint32_t	*h;		/* arena offset + 1, 0 = empty */
	size_t		 hcap, hn;
};

struct zone_index_builder {
	struct b4s	*s4;
	size_t		 ns4, cs4;
	struct b4r	*r4;
	size_t		 nr4, cr4;
	struct b6s	*s6;
	size_t		 ns6, cs6;
	struct b6r	*r6;
	size_t		 nr6, cr6;
	uint32_t	 seq;
	struct strtab	 strs;
	struct valtab	 vals;
};

/*
 * What assemble() lays out: sorted, duplicate-free entries whose values
 * index vals (VAL_EXCL in r4/r6: an exclusion), the test points already
 * forced, reasons as offsets into strs.
 */
struct parts {
	const struct b4s	*s4;
	size_t			 ns4;
	const struct b4r	*r4;
	size_t			 nr4;
	const struct b6s	*s6;
	size_t			 ns6;
	const struct b6r	*r6;
	size_t			 nr6;
	const struct bval	*vals;
	size_t			 nvals;
	const char		*strs;
	size_t			 nstrs;
	uint32_t		 defsid, tpsid;
	int			 tp1, tp2;	/* the data has 127.0.0.1/32,
						   127.0.0.2/32 */
};

/* A change of a patch, normalized. */
struct pchg {
	u128		 key;		/* IPv4: the address in the low bits */
	uint32_t	 seq;
	uint32_t	 val;		/* value, VAL_EXCL or VAL_DEL */
	uint8_t		 family, prefix;
};

struct zone_index {
	size_t		 bytes;
	size_t		 nvalues, ns4, nr4, ns6, nr6, nstrs;
	size_t		 r4entries, r6entries;
	int		 tp1, tp2;
	const char	*defrsn, *tprsn;
	struct zi_value	*values;
	uint32_t	*s4off;		/* S4_BUCKETS + 1 */
	uint32_t	*r4off;		/* S4_BUCKETS + 1 */
	uint16_t	*s4key;		/* low 16 bits of the address */
	uint16_t	*s4v16;		/* value index, if nvalues <= 65536 */
	uint32_t	*s4v32;		/* value index, otherwise */
	uint32_t	*r4start;
	uint32_t	*r4val;
	struct b4r	*r4ent;		/* the entries r4start/r4val came from */
	u128		*s6key;
	uint32_t	*s6val;
	u128		*r6start;
	uint32_t	*r6val;
	struct b6r	*r6ent;
	char		*strs;
};

static void	*grow(void *, size_t *, size_t, size_t);
static uint32_t	 strtab_intern(struct strtab *, const char *);
static void	 strtab_clear(struct strtab *);
static uint32_t	 valtab_intern(struct valtab *, uint32_t, uint32_t);
static void	 valtab_clear(struct valtab *);
static int	 norm(const struct addr *, struct addr *, u128 *);
static int	 b4r_cmp(const void *, const void *);
static int	 b6s_cmp(const void *, const void *);
static int	 b6r_cmp(const void *, const void *);
static int	 pchg_cmp(const void *, const void *);
static void	 sort_b4s(struct b4s *, size_t);
static void	 finish_singles4(struct zone_index_builder *, struct valtab *,
		    const uint32_t *, uint32_t, struct parts *);
static void	 finish_ranges4(struct zone_index_builder *, const uint32_t *);
static void	 finish_v6(struct zone_index_builder *, const uint32_t *);
static struct zone_index *assemble(const struct parts *);
static size_t	 layout(char *, struct zone_index *);
static size_t	 flatten4(const struct b4r *, size_t, const uint32_t *,
		    uint32_t *, uint32_t *);
static size_t	 flatten6(const struct b6r *, size_t, const uint32_t *,
		    u128 *, uint32_t *);
static u128	 load128(const uint8_t *);

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	 n;

	if (need <= *cap)
		return p;
	n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	*cap = n;
	return xreallocarray(p, n, size);
}

static uint32_t
str_hash(const char *s, size_t len)
{
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619U;
	return h;
}

static void
strtab_rehash(struct strtab *t)
{
	uint32_t	*old = t->h;
	size_t		 oldcap = t->hcap, i, j, len;
	const char	*s;

	t->hcap = oldcap ? oldcap * 2 : 64;
	t->h = xcalloc(t->hcap, sizeof(*t->h));
	for (i = 0; i < oldcap; i++) {
		if (old[i] == 0)
			continue;
		s = t->s + old[i] - 1;
		len = strlen(s);
		j = str_hash(s, len) & (t->hcap - 1);
		while (t->h[j] != 0)
			j = (j + 1) & (t->hcap - 1);
		t->h[j] = old[i];
	}
	free(old);
}

/* The arena offset of s (cut at 65535 bytes), added if new. */
static uint32_t
strtab_intern(struct strtab *t, const char *s)
{
	size_t		 len = strnlen(s, UINT16_MAX), i;
	const char	*u;
	uint32_t	 off;

	if ((t->hn + 1) * 2 > t->hcap)
		strtab_rehash(t);
	i = str_hash(s, len) & (t->hcap - 1);
	while (t->h[i] != 0) {
		u = t->s + t->h[i] - 1;
		/* strncmp stops at u's end: never reads past a shorter u */
		if (strncmp(u, s, len) == 0 && u[len] == '\0')
			return t->h[i] - 1;
		i = (i + 1) & (t->hcap - 1);
	}
	t->s = grow(t->s, &t->cap, t->n + len + 1, 1);
	off = (uint32_t)t->n;
	memcpy(t->s + off, s, len);
	t->s[off + len] = '\0';
	t->n += len + 1;
	t->h[i] = off + 1;
	t->hn++;
	return off;
}

static void
strtab_clear(struct strtab *t)
{
	free(t->s);
	free(t->h);
	memset(t, 0, sizeof(*t));
}

static size_t
val_hash(uint32_t code, uint32_t rsn, size_t hcap)
{
	uint64_t	 x = (uint64_t)code << 32 | rsn;

	x *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(x >> 32) & (hcap - 1);
}

static uint32_t
valtab_intern(struct valtab *t, uint32_t code, uint32_t rsn)
{
	size_t		 i, j;
	struct bval	*e;

	if ((t->n + 1) * 2 > t->hcap) {
		free(t->h);
		t->hcap = t->hcap ? t->hcap * 2 : 64;
		t->h = xcalloc(t->hcap, sizeof(*t->h));
		for (j = 0; j < t->n; j++) {
			i = val_hash(t->v[j].code, t->v[j].rsn, t->hcap);
			while (t->h[i] != 0)
				i = (i + 1) & (t->hcap - 1);
			t->h[i] = (uint32_t)j + 1;
		}
	}
	i = val_hash(code, rsn, t->hcap);
	while (t->h[i] != 0) {
		e = &t->v[t->h[i] - 1];
		if (e->code == code && e->rsn == rsn)
			return t->h[i] - 1;
		i = (i + 1) & (t->hcap - 1);
	}
	t->v = grow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n].code = code;
	t->v[t->n].rsn = rsn;
	t->h[i] = (uint32_t)++t->n;
	return (uint32_t)t->n - 1;
}

static void
valtab_clear(struct valtab *t)
{
	free(t->v);
	free(t->h);
	memset(t, 0, sizeof(*t));
}

static u128
load128(const uint8_t *a)
{
	u128	 x = 0;
	int	 i;

	for (i = 0; i < 16; i++)
		x = x << 8 | a[i];
	return x;
}

static u128
hostmask6(int prefix)
{
	return prefix == 0 ? ~(u128)0 : ((u128)1 << (128 - prefix)) - 1;
}

/*
 * Check and normalize a prefix: host bits cleared, an IPv4-mapped IPv6
 * prefix made the IPv4 prefix it maps (IPv4 data is stored once).  *key:
 * the bits (IPv4 in the low 32).  Returns 0, or -1 if malformed.
 */
static int
norm(const struct addr *net, struct addr *a, u128 *key)
{
	u128	 x;

	if (net == NULL || (net->family != 4 && net->family != 6) ||
	    net->prefix > (net->family == 4 ? 32 : 128))
		return -1;
	*a = *net;
	addr_mask(a);
	x = load128(a->a);
	if (a->family == 6 && a->prefix >= 96 && x >> 32 == MAPPED_HI) {
		a->family = 4;
		a->prefix -= 96;
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
	}
	*key = load128(a->a);
	if (a->family == 4)
		*key >>= 96;
	return 0;
}

struct zone_index_builder *
zone_index_builder_new(void)
{
	return xcalloc(1, sizeof(struct zone_index_builder));
}

void
zone_index_builder_free(struct zone_index_builder *b)
{
	if (b == NULL)
		return;
	free(b->s4);
	free(b->r4);
	free(b->s6);
	free(b->r6);
	strtab_clear(&b->strs);
	valtab_clear(&b->vals);
	free(b);
}

int
zone_index_builder_add(struct zone_index_builder *b, const struct addr *net,
    int exclude, uint32_t code, const char *reason)
{
	struct addr	 a;
	uint32_t	 val, rsn, ip;
	u128		 x;

	if (norm(net, &a, &x) == -1 || b->seq == UINT32_MAX)
		return -1;
	if (exclude)
		val = VAL_EXCL;
	else {
		rsn = RSN_DEFAULT;
		if (reason != NULL && *reason != '\0') {
			if (b->strs.n > ARENA_MAX)
				return -1;
			rsn = strtab_intern(&b->strs, reason);
		}
		val = valtab_intern(&b->vals, code, rsn);
	}
	b->seq++;
	ip = (uint32_t)x;
	if (a.family == 4 && a.prefix == 32) {
		b->s4 = grow(b->s4, &b->cs4, b->ns4 + 1, sizeof(*b->s4));
		b->s4[b->ns4].ip = ip;
		b->s4[b->ns4++].val = val;
	} else if (a.family == 4) {
		b->r4 = grow(b->r4, &b->cr4, b->nr4 + 1, sizeof(*b->r4));
		b->r4[b->nr4].net = ip;
		b->r4[b->nr4].val = val;
		b->r4[b->nr4].seq = b->seq;
		b->r4[b->nr4++].prefix = a.prefix;
	} else if (a.prefix == 128) {
		b->s6 = grow(b->s6, &b->cs6, b->ns6 + 1, sizeof(*b->s6));
		b->s6[b->ns6].ip = x;
		b->s6[b->ns6].val = val;
		b->s6[b->ns6++].seq = b->seq;
	} else {
		b->r6 = grow(b->r6, &b->cr6, b->nr6 + 1, sizeof(*b->r6));
		b->r6[b->nr6].net = x;
		b->r6[b->nr6].val = val;
		b->r6[b->nr6].seq = b->seq;
		b->r6[b->nr6++].prefix = a.prefix;
	}
	return 0;
}

static int
b4r_cmp(const void *pa, const void *pb)
{
	const struct b4r	*a = pa, *b = pb;

	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
b6s_cmp(const void *pa, const void *pb)
{
	const struct b6s	*a = pa, *b = pb;

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
b6r_cmp(const void *pa, const void *pb)
{
	const struct b6r	*a = pa, *b = pb;

	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* By family, bits, prefix, then order of the changes. */
static int
pchg_cmp(const void *pa, const void *pb)
{
	const struct pchg	*a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* LSD radix sort on ip, two 16-bit passes: stable (last added stays last). */
static void
sort_b4s(struct b4s *v, size_t n)
{
	size_t		*c0, *c1, i, s0 = 0, s1 = 0, t;
	struct b4s	*tmp;

	if (n < 2)
		return;
	c0 = xcalloc(S4_BUCKETS, sizeof(*c0));
	c1 = xcalloc(S4_BUCKETS, sizeof(*c1));
	tmp = xreallocarray(NULL, n, sizeof(*tmp));
	for (i = 0; i < n; i++) {
		c0[v[i].ip & 0xffff]++;
		c1[v[i].ip >> 16]++;
	}
	for (i = 0; i < S4_BUCKETS; i++) {
		t = c0[i];
		c0[i] = s0;
		s0 += t;
		t = c1[i];
		c1[i] = s1;
		s1 += t;
	}
	for (i = 0; i < n; i++)
		tmp[c0[v[i].ip & 0xffff]++] = v[i];
	for (i = 0; i < n; i++)
		v[c1[tmp[i].ip >> 16]++] = tmp[i];
	free(tmp);
	free(c0);
	free(c1);
}

/*
 * Append (start, val) to the interval map, keeping starts increasing and
 * neighbours different: a second value at the same start replaces the
 * first, and a value equal to the one before extends that interval.
 */
#define EMIT(starts, vals, n, s, v) do {				\
	if ((n) > 0 && (starts)[(n) - 1] == (s)) {			\
		(vals)[(n) - 1] = (v);					\
		if ((n) > 1 && (vals)[(n) - 2] == (v))			\
			(n)--;						\
	} else if ((n) == 0 || (vals)[(n) - 1] != (v)) {		\
		(starts)[(n)] = (s);					\
		(vals)[(n)++] = (v);					\
	}								\
} while (0)

/*
 * Flatten sorted, duplicate-free CIDR entries (by start, then shorter
 * prefix first) into an interval map.  CIDR blocks nest or are disjoint,
 * so a stack of the enclosing blocks tells what decides after a block
 * ends.  starts/vals hold 2 * n + 1.  Returns the number of intervals.
 */
static size_t
flatten4(const struct b4r *r, size_t n, const uint32_t *remap,
    uint32_t *starts, uint32_t *vals)
{
	struct {
		uint64_t	 end;
		uint32_t	 val;
	}		 st[33];
	size_t		 i, d = 0, k = 0;
	uint64_t	 s, end;
	uint32_t	 v, up;

	memset(st, 0, sizeof(st));
	EMIT(starts, vals, k, 0, VAL_NONE);
	for (i = 0; i < n; i++) {
		s = r[i].net;
		end = s + (1ULL << (32 - r[i].prefix)) - 1;
		v = r[i].val == VAL_EXCL ? VAL_NONE : remap[r[i].val];
		while (d > 0 && st[d - 1].end < s) {
			d--;
			up = d > 0 ? st[d - 1].val : VAL_NONE;
			EMIT(starts, vals, k, (uint32_t)(st[d].end + 1), up);
		}
		st[d].end = end;
		st[d++].val = v;
		EMIT(starts, vals, k, (uint32_t)s, v);
	}
	while (d > 0) {
		d--;
		up = d > 0 ? st[d - 1].val : VAL_NONE;
		if (st[d].end < UINT32_MAX)
			EMIT(starts, vals, k, (uint32_t)(st[d].end + 1), up);
	}
	return k;
}

static size_t
flatten6(const struct b6r *r, size_t n, const uint32_t *remap,
    u128 *starts, uint32_t *vals)
{
	struct {
		u128		 end;
		uint32_t	 val;
	}		 st[129];
	size_t		 i, d = 0, k = 0;
	u128		 s, end;
	uint32_t	 v, up;

	memset(st, 0, sizeof(st));
	EMIT(starts, vals, k, 0, VAL_NONE);
	for (i = 0; i < n; i++) {
		s = r[i].net;
		end = s | hostmask6(r[i].prefix);
		v = r[i].val == VAL_EXCL ? VAL_NONE : remap[r[i].val];
		while (d > 0 && st[d - 1].end < s) {
			d--;
			up = d > 0 ? st[d - 1].val : VAL_NONE;
			EMIT(starts, vals, k, st[d].end + 1, up);
		}
		st[d].end = end;
		st[d++].val = v;
		EMIT(starts, vals, k, s, v);
	}
	while (d > 0) {
		d--;
		up = d > 0 ? st[d - 1].val : VAL_NONE;
		if (st[d].end != ~(u128)0)
			EMIT(starts, vals, k, st[d].end + 1, up);
	}
	return k;
}

/*
 * IPv4 /32: the last entry for an address wins; listed ones stay singles
 * (now with final value indexes), exclusions join the ranges.  Test
 * points: 127.0.0.1 never, 127.0.0.2 always (a listed 127.0.0.2/32 of the
 * data keeps its code, and its reason if it has one of its own).
 */
static void
finish_singles4(struct zone_index_builder *b, struct valtab *fin,
    const uint32_t *remap, uint32_t tpsid, struct parts *p)
{
	struct b4s	*s;
	size_t		 i, j;
	uint32_t	 v;
	int		 have_tp = 0;

	sort_b4s(b->s4, b->ns4);
	for (i = 0, j = 0; i < b->ns4; i++) {
		s = &b->s4[i];
		if (i + 1 < b->ns4 && s[1].ip == s->ip)
			continue;
		if (s->ip == RFC5782_TP_NEVER) {
			p->tp1 = 1;
			continue;
		}
		if (s->ip == RFC5782_TP_LISTED)
			p->tp2 = 1;
		if (s->val == VAL_EXCL) {
			if (s->ip == RFC5782_TP_LISTED)
				continue;
			b->r4 = grow(b->r4, &b->cr4, b->nr4 + 1,
			    sizeof(*b->r4));
			b->r4[b->nr4].net = s->ip;
			b->r4[b->nr4].val = VAL_EXCL;
			b->r4[b->nr4].seq = 0;
			b->r4[b->nr4++].prefix = 32;
			continue;
		}
		v = remap[s->val];
		if (s->ip == RFC5782_TP_LISTED) {
			have_tp = 1;
			if (b->vals.v[s->val].rsn == RSN_DEFAULT)
				v = valtab_intern(fin, b->vals.v[s->val].code,
				    tpsid);
		}
		b->s4[j].ip = s->ip;
		b->s4[j++].val = v;
	}
	b->ns4 = j;
	if (!have_tp) {
		b->s4 = grow(b->s4, &b->cs4, b->ns4 + 1, sizeof(*b->s4));
		for (i = 0; i < b->ns4 && b->s4[i].ip < RFC5782_TP_LISTED; i++)
			;
		memmove(b->s4 + i + 1, b->s4 + i,
		    (b->ns4 - i) * sizeof(*b->s4));
		b->s4[i].ip = RFC5782_TP_LISTED;
		b->s4[i].val = valtab_intern(fin, RFC5782_TP_LISTED, tpsid);
		b->ns4++;
	}
	b->r4 = grow(b->r4, &b->cr4, b->nr4 + 1, sizeof(*b->r4));
	b->r4[b->nr4].net = RFC5782_TP_NEVER;
	b->r4[b->nr4].val = VAL_EXCL;
	b->r4[b->nr4].seq = 0;
	b->r4[b->nr4++].prefix = 32;
}

/* IPv4 ranges: the last entry for a prefix wins; final value indexes. */
static void
finish_ranges4(struct zone_index_builder *b, const uint32_t *remap)
{
	size_t	 i, j;

	if (b->nr4 > 1)
		qsort(b->r4, b->nr4, sizeof(*b->r4), b4r_cmp);
	for (i = 0, j = 0; i < b->nr4; i++) {
		if (i + 1 < b->nr4 && b->r4[i + 1].net == b->r4[i].net &&
		    b->r4[i + 1].prefix == b->r4[i].prefix)
			continue;
		b->r4[j] = b->r4[i];
		/* the /32 exclusions from finish_singles4 are final */
		if (b->r4[j].val != VAL_EXCL)
			b->r4[j].val = remap[b->r4[j].val];
		j++;
	}
	b->nr4 = j;
}

/*
 * IPv6 as IPv4, without test points.  No entry lies in ::ffff:0:0/96
 * (_add made those IPv4); that block is excluded here so the IPv6 map
 * never speaks for it, even if a shorter IPv6 prefix covers it.
 */
static void
finish_v6(struct zone_index_builder *b, const uint32_t *remap)
{
	size_t	 i, j;

	if (b->ns6 > 1)
		qsort(b->s6, b->ns6, sizeof(*b->s6), b6s_cmp);
	for (i = 0, j = 0; i < b->ns6; i++) {
		if (i + 1 < b->ns6 && b->s6[i + 1].ip == b->s6[i].ip)
			continue;
		if (b->s6[i].val == VAL_EXCL) {
			b->r6 = grow(b->r6, &b->cr6, b->nr6 + 1,
			    sizeof(*b->r6));
			b->r6[b->nr6].net = b->s6[i].ip;
			b->r6[b->nr6].val = VAL_EXCL;
			b->r6[b->nr6].seq = 0;
			b->r6[b->nr6++].prefix = 128;
			continue;
		}
		b->s6[j].ip = b->s6[i].ip;
		b->s6[j++].val = remap[b->s6[i].val];
	}
	b->ns6 = j;
	b->r6 = grow(b->r6, &b->cr6, b->nr6 + 1, sizeof(*b->r6));
	b->r6[b->nr6].net = MAPPED_HI << 32;
	b->r6[b->nr6].val = VAL_EXCL;
	b->r6[b->nr6].seq = UINT32_MAX;
	b->r6[b->nr6++].prefix = 96;
	if (b->nr6 > 1)
		qsort(b->r6, b->nr6, sizeof(*b->r6), b6r_cmp);
	for (i = 0, j = 0; i < b->nr6; i++) {
		if (i + 1 < b->nr6 && b->r6[i + 1].net == b->r6[i].net &&
		    b->r6[i + 1].prefix == b->r6[i].prefix)
			continue;
		b->r6[j] = b->r6[i];
		if (b->r6[j].val != VAL_EXCL)
			b->r6[j].val = remap[b->r6[j].val];
		j++;
	}
	b->nr6 = j;
}

/* Carve the next piece of size n (aligned for u128) out of the block. */
static void *
take(char *blk, size_t *off, size_t n)
{
	size_t	 at = *off;

	*off = (at + n + 15) & ~(size_t)15;
	return blk == NULL ? NULL : blk + at;
}

/* Lay the index out in blk (or, with blk NULL, just measure it). */
static size_t
layout(char *blk, struct zone_index *zi)
{
	size_t	 off = 0;
	int	 v16 = zi->nvalues <= 65536;

	take(blk, &off, sizeof(*zi));
	zi->values = take(blk, &off, zi->nvalues * sizeof(*zi->values));
	zi->s6key = take(blk, &off, zi->ns6 * sizeof(*zi->s6key));
	zi->r6start = take(blk, &off, zi->nr6 * sizeof(*zi->r6start));
	zi->r6ent = take(blk, &off, zi->r6entries * sizeof(*zi->r6ent));
	zi->s4off = take(blk, &off, (S4_BUCKETS + 1) * sizeof(uint32_t));
	zi->r4off = take(blk, &off, (S4_BUCKETS + 1) * sizeof(uint32_t));
	zi->s4key = take(blk, &off, zi->ns4 * sizeof(uint16_t));
	zi->s4v16 = take(blk, &off, v16 ? zi->ns4 * sizeof(uint16_t) : 0);
	zi->s4v32 = take(blk, &off, v16 ? 0 : zi->ns4 * sizeof(uint32_t));
	if (v16)
		zi->s4v32 = NULL;
	else
		zi->s4v16 = NULL;
	zi->r4start = take(blk, &off, zi->nr4 * sizeof(uint32_t));
	zi->r4val = take(blk, &off, zi->nr4 * sizeof(uint32_t));
	zi->r4ent = take(blk, &off, zi->r4entries * sizeof(*zi->r4ent));
	zi->s6val = take(blk, &off, zi->ns6 * sizeof(uint32_t));
	zi->r6val = take(blk, &off, zi->nr6 * sizeof(uint32_t));
	zi->strs = take(blk, &off, zi->nstrs);
	return off;
}

/*
 * Lay parts out as an index.  Values no entry uses are dropped (with the
 * reasons only they used), so a chain of patches does not accumulate
 * them; when every value is used the arena is taken as it is.
 */
static struct zone_index *
assemble(const struct parts *p)
{
	struct valtab		 fin;
	struct strtab		 fs;
	struct zone_index	 hdr, *zi;
	const struct bval	*v;
	uint32_t		*remap, *r4s, *r4v, *r6v, defsid, tpsid, x;
	uint8_t			*used;
	u128			*r6s;
	size_t			 i, j, nused = 0;
	const char		*strs;
	char			*blk;

	memset(&hdr, 0, sizeof(hdr));
	used = xcalloc(p->nvals + 1, 1);
	for (i = 0; i < p->ns4; i++)
		used[p->s4[i].val] = 1;
	for (i = 0; i < p->nr4; i++)
		if (p->r4[i].val != VAL_EXCL)
			used[p->r4[i].val] = 1;
	for (i = 0; i < p->ns6; i++)
		used[p->s6[i].val] = 1;
	for (i = 0; i < p->nr6; i++)
		if (p->r6[i].val != VAL_EXCL)
			used[p->r6[i].val] = 1;
	for (i = 0; i < p->nvals; i++)
		nused += used[i];

	memset(&fin, 0, sizeof(fin));
	memset(&fs, 0, sizeof(fs));
	remap = xreallocarray(NULL, p->nvals + 1, sizeof(*remap));
	if (nused == p->nvals) {
		for (i = 0; i < p->nvals; i++)
			remap[i] = (uint32_t)i;
		v = p->vals;
		strs = p->strs;
		hdr.nstrs = p->nstrs;
		defsid = p->defsid;
		tpsid = p->tpsid;
	} else {
		defsid = strtab_intern(&fs, p->strs + p->defsid);
		tpsid = strtab_intern(&fs, p->strs + p->tpsid);
		for (i = 0; i < p->nvals; i++) {
			if (!used[i])
				continue;
			x = strtab_intern(&fs, p->strs + p->vals[i].rsn);
			remap[i] = valtab_intern(&fin, p->vals[i].code, x);
		}
		v = fin.v;
		strs = fs.s;
		hdr.nstrs = fs.n;
	}
	free(used);

	r4s = xreallocarray(NULL, 2 * p->nr4 + 1, sizeof(*r4s));
	r4v = xreallocarray(NULL, 2 * p->nr4 + 1, sizeof(*r4v));
	r6s = xreallocarray(NULL, 2 * p->nr6 + 1, sizeof(*r6s));
	r6v = xreallocarray(NULL, 2 * p->nr6 + 1, sizeof(*r6v));

	hdr.nr4 = flatten4(p->r4, p->nr4, remap, r4s, r4v);
	hdr.nr6 = flatten6(p->r6, p->nr6, remap, r6s, r6v);
	hdr.nvalues = nused;
	hdr.ns4 = p->ns4;
	hdr.ns6 = p->ns6;
	hdr.r4entries = p->nr4;
	hdr.r6entries = p->nr6;
	hdr.tp1 = p->tp1;
	hdr.tp2 = p->tp2;
	hdr.bytes = layout(NULL, &hdr);
	blk = xmalloc(hdr.bytes);
	zi = (struct zone_index *)(void *)blk;
	*zi = hdr;
	layout(blk, zi);

	memcpy(zi->strs, strs, zi->nstrs);
	zi->defrsn = zi->strs + defsid;
	zi->tprsn = zi->strs + tpsid;
	for (i = 0; i < zi->nvalues; i++) {
		zi->values[i].code = v[i].code;
		zi->values[i].txt = zi->strs + v[i].rsn;
		zi->values[i].txtlen = (uint16_t)strlen(zi->values[i].txt);
	}
	memset(zi->s4off, 0, (S4_BUCKETS + 1) * sizeof(uint32_t));
	for (i = 0; i < zi->ns4; i++) {
		zi->s4off[(p->s4[i].ip >> 16) + 1]++;
		zi->s4key[i] = (uint16_t)p->s4[i].ip;
		if (zi->s4v16 != NULL)
			zi->s4v16[i] = (uint16_t)remap[p->s4[i].val];
		else
			zi->s4v32[i] = remap[p->s4[i].val];
	}
	for (i = 1; i <= S4_BUCKETS; i++)
		zi->s4off[i] += zi->s4off[i - 1];
	memcpy(zi->r4start, r4s, zi->nr4 * sizeof(*r4s));
	memcpy(zi->r4val, r4v, zi->nr4 * sizeof(*r4v));
	/* r4off[k]: the interval that holds k << 16; the last one at the end */
	for (i = 0, j = 0; i < S4_BUCKETS; i++) {
		while (j + 1 < zi->nr4 && r4s[j + 1] <= (uint32_t)i << 16)
			j++;
		zi->r4off[i] = (uint32_t)j;
	}
	zi->r4off[S4_BUCKETS] = (uint32_t)zi->nr4 - 1;
	for (i = 0; i < zi->r4entries; i++) {
		zi->r4ent[i] = p->r4[i];
		zi->r4ent[i].seq = 0;
		if (p->r4[i].val != VAL_EXCL)
			zi->r4ent[i].val = remap[p->r4[i].val];
	}
	memcpy(zi->r6start, r6s, zi->nr6 * sizeof(*r6s));
	memcpy(zi->r6val, r6v, zi->nr6 * sizeof(*r6v));
	for (i = 0; i < zi->r6entries; i++) {
		zi->r6ent[i] = p->r6[i];
		zi->r6ent[i].seq = 0;
		if (p->r6[i].val != VAL_EXCL)
			zi->r6ent[i].val = remap[p->r6[i].val];
	}
	for (i = 0; i < zi->ns6; i++) {
		zi->s6key[i] = p->s6[i].ip;
		zi->s6val[i] = remap[p->s6[i].val];
	}

	free(r4s);
	free(r4v);
	free(r6s);
	free(r6v);
	free(remap);
	valtab_clear(&fin);
	strtab_clear(&fs);
	return zi;
}

struct zone_index *
zone_index_builder_finish(struct zone_index_builder *b,
    const char *default_reason)
{
	struct valtab		 fin;
	struct parts		 p;
	struct zone_index	*zi;
	uint32_t		*remap, tpsid, defsid, rsn;
	size_t			 i;

	/* The final values: the default reason filled in, deduplicated. */
	memset(&fin, 0, sizeof(fin));
	memset(&p, 0, sizeof(p));
	defsid = strtab_intern(&b->strs, default_reason ? default_reason : "");
	tpsid = strtab_intern(&b->strs, RFC5782_TP_REASON);
	remap = xreallocarray(NULL, b->vals.n + 1, sizeof(*remap));
	for (i = 0; i < b->vals.n; i++) {
		rsn = b->vals.v[i].rsn;
		remap[i] = valtab_intern(&fin, b->vals.v[i].code,
		    rsn == RSN_DEFAULT ? defsid : rsn);
	}
	finish_singles4(b, &fin, remap, tpsid, &p);
	finish_ranges4(b, remap);
	finish_v6(b, remap);

	p.s4 = b->s4;
	p.ns4 = b->ns4;
	p.r4 = b->r4;
	p.nr4 = b->nr4;
	p.s6 = b->s6;
	p.ns6 = b->ns6;
	p.r6 = b->r6;
	p.nr6 = b->nr6;
	p.vals = fin.v;
	p.nvals = fin.n;
	p.strs = b->strs.s;
	p.nstrs = b->strs.n;
	p.defsid = defsid;
	p.tpsid = tpsid;
	zi = assemble(&p);

	free(remap);
	valtab_clear(&fin);
	zone_index_builder_free(b);
	return zi;
}

/* ---- patches ---- */

/* What a patch works with besides the parts it fills in. */
struct patch {
	const struct zone_index	*zi;
	const uint32_t		*oldmap;	/* base value -> patch value */
	uint32_t		 tpval;		/* 127.0.0.2 without data */
};

/*
 * The IPv4 singles: the base's (in bucket order, which is address order)
 * merged with the /32 changes (c: every IPv4 change, sorted).
 */
static struct b4s *
merge_s4(const struct patch *pa, const struct pchg *c, size_t nc, size_t *np)
{
	const struct zone_index	*zi = pa->zi;
	struct b4s		*o;
	size_t			 i, j = 0, k = 0, bk = 0;
	uint32_t		 ip, v;

	o = xreallocarray(NULL, zi->ns4 + nc + 1, sizeof(*o));
	for (i = 0; i <= zi->ns4; i++) {
		if (i < zi->ns4) {
			while (zi->s4off[bk + 1] <= i)
				bk++;
			ip = (uint32_t)bk << 16 | zi->s4key[i];
		} else
			ip = 0;
		/* the changes before ip (all of them after the last) */
		for (; j < nc && (i == zi->ns4 || c[j].key < ip ||
		    (c[j].key == ip && c[j].prefix < 32)); j++) {
			if (c[j].prefix != 32)
				continue;
			v = c[j].val;
			if ((uint32_t)c[j].key == RFC5782_TP_NEVER)
				continue;
			if ((uint32_t)c[j].key == RFC5782_TP_LISTED &&
			    (v == VAL_EXCL || v == VAL_DEL))
				v = pa->tpval;
			if (v == VAL_EXCL || v == VAL_DEL)
				continue;
			o[k].ip = (uint32_t)c[j].key;
			o[k++].val = v;
		}
		if (i == zi->ns4)
			break;
		if (j < nc && c[j].key == ip && c[j].prefix == 32)
			continue;	/* replaced: the change goes next */
		v = zi->s4v16 ? zi->s4v16[i] : zi->s4v32[i];
		o[k].ip = ip;
		o[k++].val = pa->oldmap[v];
	}
	*np = k;
	return o;
}

/* The IPv6 singles, as merge_s4 (c: every IPv6 change, sorted). */
static struct b6s *
merge_s6(const struct patch *pa, const struct pchg *c, size_t nc, size_t *np)
{
	const struct zone_index	*zi = pa->zi;
	struct b6s		*o;
	size_t			 i, j = 0, k = 0;
	u128			 ip;

	o = xreallocarray(NULL, zi->ns6 + nc + 1, sizeof(*o));
	memset(o, 0, (zi->ns6 + nc + 1) * sizeof(*o));
	for (i = 0; i <= zi->ns6; i++) {
		ip = i < zi->ns6 ? zi->s6key[i] : 0;
		for (; j < nc && (i == zi->ns6 || c[j].key < ip ||
		    (c[j].key == ip && c[j].prefix < 128)); j++) {
			if (c[j].prefix != 128 || c[j].val == VAL_EXCL ||
			    c[j].val == VAL_DEL)
				continue;
			o[k].ip = c[j].key;
			o[k++].val = c[j].val;
		}
		if (i == zi->ns6)
			break;
		if (j < nc && c[j].key == ip && c[j].prefix == 128)
			continue;	/* replaced: the change goes next */
		o[k].ip = ip;
		o[k++].val = pa->oldmap[zi->s6val[i]];
	}
	*np = k;
	return o;
}

/*
 * What a change leaves in the range entries: a value, VAL_EXCL, or
 * VAL_DEL for nothing (a full-length prefix is a range entry only as an
 * exclusion: listed, it is a single).
 */
static uint32_t
range_val(const struct pchg *c, int maxprefix)
{
	if (c->prefix == maxprefix && c->val != VAL_EXCL)
		return VAL_DEL;
	return c->val;
}

/* Order of a range entry (net, prefix) against a change. */
static int
range_cmp(u128 net, int prefix, const struct pchg *c)
{
	if (net != c->key)
		return net < c->key ? -1 : 1;
	if (prefix != c->prefix)
		return prefix < c->prefix ? -1 : 1;
	return 0;
}

/*
 * The IPv4 range entries: the base's merged with the changes.  The test
 * points are not the data's to change: 127.0.0.1/32 stays excluded (the
 * base has that entry), 127.0.0.2/32 is a single.
 */
static struct b4r *
merge_r4(const struct patch *pa, const struct pchg *c, size_t nc, size_t *np)
{
	const struct zone_index	*zi = pa->zi;
	const struct b4r	*e = zi->r4ent;
	struct b4r		*o;
	size_t			 i = 0, j = 0, k = 0;
	uint32_t		 v;
	int			 cmp;

	o = xreallocarray(NULL, zi->r4entries + nc + 1, sizeof(*o));
	memset(o, 0, (zi->r4entries + nc + 1) * sizeof(*o));
	while (i < zi->r4entries || j < nc) {
		if (j < nc && c[j].prefix == 32 &&
		    ((uint32_t)c[j].key == RFC5782_TP_NEVER ||
		    (uint32_t)c[j].key == RFC5782_TP_LISTED)) {
			j++;
			continue;
		}
		if (j == nc)
			cmp = -1;
		else if (i == zi->r4entries)
			cmp = 1;
		else
			cmp = range_cmp(e[i].net, e[i].prefix, &c[j]);
		if (cmp < 0) {
			o[k] = e[i++];
			if (o[k].val != VAL_NONE)
				o[k].val = pa->oldmap[o[k].val];
			k++;
			continue;
		}
		if (cmp == 0)
			i++;		/* replaced or removed */
		if ((v = range_val(&c[j], 32)) != VAL_DEL) {
			o[k].net = (uint32_t)c[j].key;
			o[k].prefix = c[j].prefix;
			o[k++].val = v;
		}
		j++;
	}
	*np = k;
	return o;
}

/* The IPv6 range entries, as merge_r4 (::ffff:0:0/96 is no change's). */
static struct b6r *
merge_r6(const struct patch *pa, const struct pchg *c, size_t nc, size_t *np)
{
	const struct zone_index	*zi = pa->zi;
	const struct b6r	*e = zi->r6ent;
	struct b6r		*o;
	size_t			 i = 0, j = 0, k = 0;
	uint32_t		 v;
	int			 cmp;

	o = xreallocarray(NULL, zi->r6entries + nc + 1, sizeof(*o));
	memset(o, 0, (zi->r6entries + nc + 1) * sizeof(*o));
	while (i < zi->r6entries || j < nc) {
		if (j == nc)
			cmp = -1;
		else if (i == zi->r6entries)
			cmp = 1;
		else
			cmp = range_cmp(e[i].net, e[i].prefix, &c[j]);
		if (cmp < 0) {
			o[k] = e[i++];
			if (o[k].val != VAL_NONE)
				o[k].val = pa->oldmap[o[k].val];
			k++;
			continue;
		}
		if (cmp == 0)
			i++;
		if ((v = range_val(&c[j], 128)) != VAL_DEL) {
			o[k].net = c[j].key;
			o[k].prefix = c[j].prefix;
			o[k++].val = v;
		}
		j++;
	}
	*np = k;
	return o;
}

struct zone_index *
zone_index_patch(const struct zone_index *zi, const struct zi_change *ch,
    size_t n, int64_t now)
{
	struct valtab		 vt;
	struct strtab		 st;
	struct patch		 pa;
	struct parts		 p;
	struct pchg		*c;
	struct addr		 a;
	struct zone_index	*out = NULL;
	struct b4s		*s4 = NULL;
	struct b4r		*r4 = NULL;
	struct b6s		*s6 = NULL;
	struct b6r		*r6 = NULL;
	uint32_t		*oldmap, rsn, ip;
	size_t			 i, j, n4;
	const char		*reason;

	memset(&vt, 0, sizeof(vt));
	memset(&st, 0, sizeof(st));
	memset(&p, 0, sizeof(p));
	if (n >= UINT32_MAX)
		return NULL;

	/* The base's values first, then the changes' (by value). */
	p.defsid = strtab_intern(&st, zi->defrsn);
	p.tpsid = strtab_intern(&st, zi->tprsn);
	oldmap = xreallocarray(NULL, zi->nvalues + 1, sizeof(*oldmap));
	for (i = 0; i < zi->nvalues; i++)
		oldmap[i] = valtab_intern(&vt, zi->values[i].code,
		    strtab_intern(&st, zi->values[i].txt));
	pa.zi = zi;
	pa.oldmap = oldmap;
	pa.tpval = valtab_intern(&vt, RFC5782_TP_LISTED, p.tpsid);
	c = xreallocarray(NULL, n + 1, sizeof(*c));
	memset(c, 0, (n + 1) * sizeof(*c));
	for (i = 0; i < n; i++) {
		if (norm(&ch[i].net, &a, &c[i].key) == -1)
			goto out;
		c[i].family = a.family;
		c[i].prefix = a.prefix;
		c[i].seq = (uint32_t)i;
		reason = ch[i].reason;
		if (ch[i].remove ||
		    (ch[i].expires != 0 && ch[i].expires <= now))
			c[i].val = VAL_DEL;
		else if (ch[i].exclude)
			c[i].val = VAL_EXCL;
		else {
			if (reason != NULL && *reason != '\0') {
				if (st.n > ARENA_MAX)
					goto out;
				rsn = strtab_intern(&st, reason);
			} else if (a.family == 4 && a.prefix == 32 &&
			    c[i].key == RFC5782_TP_LISTED)
				rsn = p.tpsid;
			else
				rsn = p.defsid;
			c[i].val = valtab_intern(&vt, ch[i].code, rsn);
		}
	}

	/* Sorted as the entries are, the last change for a prefix wins. */
	if (n > 1)
		qsort(c, n, sizeof(*c), pchg_cmp);
	for (i = 0, j = 0, n4 = 0; i < n; i++) {
		if (i + 1 < n && c[i + 1].family == c[i].family &&
		    c[i + 1].key == c[i].key && c[i + 1].prefix == c[i].prefix)
			continue;
		c[j] = c[i];
		if (c[j].family == 4)
			n4++;
		j++;
	}
	n = j;
	p.tp1 = zi->tp1;
	p.tp2 = zi->tp2;
	for (i = 0; i < n4; i++) {
		ip = (uint32_t)c[i].key;
		if (c[i].prefix != 32 || (ip != RFC5782_TP_NEVER && ip != RFC5782_TP_LISTED))
			continue;
		if (ip == RFC5782_TP_NEVER)
			p.tp1 = c[i].val != VAL_DEL;
		else
			p.tp2 = c[i].val != VAL_DEL;
	}

	p.s4 = s4 = merge_s4(&pa, c, n4, &p.ns4);
	p.r4 = r4 = merge_r4(&pa, c, n4, &p.nr4);
	p.s6 = s6 = merge_s6(&pa, c + n4, n - n4, &p.ns6);
	p.r6 = r6 = merge_r6(&pa, c + n4, n - n4, &p.nr6);
	p.vals = vt.v;
	p.nvals = vt.n;
	p.strs = st.s;
	p.nstrs = st.n;
	out = assemble(&p);
 out:
	free(s4);
	free(r4);
	free(s6);
	free(r6);
	free(c);
	free(oldmap);
	valtab_clear(&vt);
	strtab_clear(&st);
	return out;
}

void
zone_index_free(struct zone_index *zi)
{
	free(zi);
}

void
zone_index_stats(const struct zone_index *zi, struct zone_index_stats *st)
{
	st->v4_single = zi->ns4;
	st->v4_ranges = zi->r4entries;
	st->v6_single = zi->ns6;
	st->v6_ranges = zi->r6entries;
	st->values = zi->nvalues;
	/* Less the forced 127.0.0.2, 127.0.0.1/32 and ::ffff:0:0/96. */
	st->entries = zi->ns4 + zi->r4entries + zi->ns6 + zi->r6entries - 3 +
	    (size_t)zi->tp1 + (size_t)zi->tp2;
	st->bytes = zi->bytes;
}

/*
 * Hot path from here on: no allocation, no lock, no logging.  The IPv4
 * searches are branch-free (the loop trip count depends only on n), which
 * matters more than cache misses for arrays this size.
 */

/* First index in key[lo, hi) with key >= k (hi if none). */
static size_t
lower16(const uint16_t *key, size_t lo, size_t hi, uint16_t k)
{
	const uint16_t	*p = key + lo;
	size_t		 n = hi - lo, half;

	if (n == 0)
		return lo;
	while (n > 1) {
		half = n / 2;
		p = p[half] < k ? p + half : p;
		n -= half;
	}
	return (size_t)(p - key) + (*p < k);
}

/* The IPv4 interval that holds x. */
static size_t
interval4(const struct zone_index *zi, uint32_t x)
{
	const uint32_t	*p;
	size_t		 n, half;

	p = zi->r4start + zi->r4off[x >> 16];
	n = zi->r4off[(x >> 16) + 1] - zi->r4off[x >> 16] + 1;
	while (n > 1) {			/* last start <= x; p[0] <= x */
		half = n / 2;
		p = p[half] <= x ? p + half : p;
		n -= half;
	}
	return (size_t)(p - zi->r4start);
}

static size_t
interval6(const u128 *starts, size_t n, u128 x)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {		/* first start > x */
		mid = lo + (hi - lo) / 2;
		if (starts[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

static size_t
single6(const struct zone_index *zi, u128 x)
{
	size_t	 lo = 0, hi = zi->ns6, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (zi->s6key[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct zi_value *
zone_index_lookup4(const struct zone_index *zi, uint32_t ip)
{
	size_t		 i, end = zi->s4off[(ip >> 16) + 1];
	uint32_t	 v;

	i = lower16(zi->s4key, zi->s4off[ip >> 16], end, (uint16_t)ip);
	if (i < end && zi->s4key[i] == (uint16_t)ip)
		return &zi->values[zi->s4v16 ? zi->s4v16[i] : zi->s4v32[i]];
	v = zi->r4val[interval4(zi, ip)];
	return v == VAL_NONE ? NULL : &zi->values[v];
}

const struct zi_value *
zone_index_lookup6(const struct zone_index *zi, const uint8_t ip[16])
{
	u128		 x = load128(ip);
	size_t		 i;
	uint32_t	 v;

	if (x >> 32 == MAPPED_HI)
		return zone_index_lookup4(zi, (uint32_t)x);
	i = single6(zi, x);
	if (i < zi->ns6 && zi->s6key[i] == x)
		return &zi->values[zi->s6val[i]];
	v = zi->r6val[interval6(zi->r6start, zi->nr6, x)];
	return v == VAL_NONE ? NULL : &zi->values[v];
}

int
zone_index_has4(const struct zone_index *zi, uint32_t net, int prefix)
{
	uint32_t	 mask, lo, hi;
	size_t		 i, end;

	if (prefix < 0 || prefix > 32)
		return 0;
	mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
	lo = net & mask;
	hi = lo | ~mask;
	if (prefix <= 16) {		/* whole buckets */
		if (zi->s4off[(hi >> 16) + 1] > zi->s4off[lo >> 16])
			return 1;
	} else {
		end = zi->s4off[(lo >> 16) + 1];
		i = lower16(zi->s4key, zi->s4off[lo >> 16], end, (uint16_t)lo);
		if (i < end && zi->s4key[i] <= (uint16_t)hi)
			return 1;
	}
	/* Neighbours differ, so the interval after a VAL_NONE is listed. */
	i = interval4(zi, lo);
	if (zi->r4val[i] != VAL_NONE)
		return 1;
	return i + 1 < zi->nr4 && zi->r4start[i + 1] <= hi;
}

int
zone_index_has6(const struct zone_index *zi, const uint8_t net[16],
    int prefix)
{
	u128		 lo, hi;
	size_t		 i;

	if (prefix < 0 || prefix > 128)
		return 0;
	lo = load128(net) & ~hostmask6(prefix);
	hi = lo | hostmask6(prefix);
	/* The part in ::ffff:0:0/96 is IPv4 data (prefixes nest or miss). */
	if (prefix <= 96) {
		if (lo <= MAPPED_HI << 32 &&
		    (MAPPED_HI << 32 | UINT32_MAX) <= hi &&
		    zone_index_has4(zi, 0, 0))
			return 1;
	} else if (lo >> 32 == MAPPED_HI)
		return zone_index_has4(zi, (uint32_t)lo, prefix - 96);
	i = single6(zi, lo);
	if (i < zi->ns6 && zi->s6key[i] <= hi)
		return 1;
	i = interval6(zi->r6start, zi->nr6, lo);
	if (zi->r6val[i] != VAL_NONE)
		return 1;
	return i + 1 < zi->nr6 && zi->r6start[i + 1] <= hi;
}
