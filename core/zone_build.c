/*
 * zone_build.c -- building a zone index from entries (control path: may
 * allocate), and what the builder shares with zone_patch.c: the value
 * and reason tables, prefix normalization, sorting with the last entry
 * winning, and zi_assemble(), which lays out every index.  The layout is
 * described in zone_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "xmalloc.h"
#include "zone_index.h"
#include "zone_int.h"

#define RSN_DEFAULT	UINT32_MAX	/* builder: the default reason */

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
 * Flattening CIDR entries into an interval map (see flatten4): the
 * intervals so far, and the stack of the blocks still open.
 */
struct flat {
	u128		*starts;
	uint32_t	*vals;
	size_t		 k, d;		/* intervals, stack depth */
	u128		 max;		/* the last address of the family */
	struct {
		u128		 end;
		uint32_t	 val;
	}		 st[129];
};

static size_t	 free_slot(const uint32_t *, size_t, size_t);
static void	 add_r4(struct zone_index_builder *, uint32_t, int, uint32_t,
		    uint32_t);
static void	 add_r6(struct zone_index_builder *, u128, int, uint32_t,
		    uint32_t);
static int	 b4r_cmp(const void *, const void *);
static int	 b4r_same(const void *, const void *);
static int	 b6s_cmp(const void *, const void *);
static int	 b6s_same(const void *, const void *);
static int	 b6r_cmp(const void *, const void *);
static int	 b6r_same(const void *, const void *);
static void	 sort_b4s(struct b4s *, size_t);
static void	 flat_init(struct flat *, u128 *, uint32_t *, u128);
static void	 flat_emit(struct flat *, u128, uint32_t);
static void	 flat_close(struct flat *, u128, int);
static void	 flat_add(struct flat *, u128, u128, uint32_t);
static size_t	 flatten4(const struct b4r *, size_t, const uint32_t *,
		    u128 *, uint32_t *);
static size_t	 flatten6(const struct b6r *, size_t, const uint32_t *,
		    u128 *, uint32_t *);
static void	 finish_singles4(struct zone_index_builder *, struct valtab *,
		    const uint32_t *, uint32_t, struct parts *);
static void	 finish_ranges4(struct zone_index_builder *, const uint32_t *);
static void	 finish_v6(struct zone_index_builder *, const uint32_t *);
static void	*take(char *, size_t *, size_t);
static size_t	 layout(char *, struct zone_index *);

void *
zi_grow(void *p, size_t *cap, size_t need, size_t size)
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

/* Where a key whose hash is i goes in an open-addressing table. */
static size_t
free_slot(const uint32_t *h, size_t hcap, size_t i)
{
	while (h[i] != 0)
		i = (i + 1) & (hcap - 1);
	return i;
}

static uint32_t
str_hash(const char *s, size_t len)
{
	return fnv1a32(s, len);
}

static void
strtab_rehash(struct strtab *t)
{
	uint32_t	*old = t->h;
	size_t		 oldcap = t->hcap, i;
	const char	*s;

	t->hcap = oldcap ? oldcap * 2 : 64;
	t->h = xcalloc(t->hcap, sizeof(*t->h));
	for (i = 0; i < oldcap; i++) {
		if (old[i] == 0)
			continue;
		s = t->s + old[i] - 1;
		t->h[free_slot(t->h, t->hcap,
		    str_hash(s, strlen(s)) & (t->hcap - 1))] = old[i];
	}
	free(old);
}

/* The arena offset of s (cut at 65535 bytes), added if new. */
uint32_t
zi_strtab_intern(struct strtab *t, const char *s)
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
	t->s = zi_grow(t->s, &t->cap, t->n + len + 1, 1);
	off = (uint32_t)t->n;
	memcpy(t->s + off, s, len);
	t->s[off + len] = '\0';
	t->n += len + 1;
	t->h[i] = off + 1;
	t->hn++;
	return off;
}

void
zi_strtab_clear(struct strtab *t)
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

static void
valtab_rehash(struct valtab *t)
{
	size_t	 j;

	free(t->h);
	t->hcap = t->hcap ? t->hcap * 2 : 64;
	t->h = xcalloc(t->hcap, sizeof(*t->h));
	for (j = 0; j < t->n; j++)
		t->h[free_slot(t->h, t->hcap, val_hash(t->v[j].code,
		    t->v[j].rsn, t->hcap))] = (uint32_t)j + 1;
}

/* The index of (code, rsn), added if new. */
uint32_t
zi_valtab_intern(struct valtab *t, uint32_t code, uint32_t rsn)
{
	size_t		 i;
	struct bval	*e;

	if ((t->n + 1) * 2 > t->hcap)
		valtab_rehash(t);
	i = val_hash(code, rsn, t->hcap);
	while (t->h[i] != 0) {
		e = &t->v[t->h[i] - 1];
		if (e->code == code && e->rsn == rsn)
			return t->h[i] - 1;
		i = (i + 1) & (t->hcap - 1);
	}
	t->v = zi_grow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n].code = code;
	t->v[t->n].rsn = rsn;
	t->h[i] = (uint32_t)++t->n;
	return (uint32_t)t->n - 1;
}

void
zi_valtab_clear(struct valtab *t)
{
	free(t->v);
	free(t->h);
	memset(t, 0, sizeof(*t));
}

/*
 * Check and normalize a prefix: host bits cleared, an IPv4-mapped IPv6
 * prefix made the IPv4 prefix it maps (IPv4 data is stored once).  *key:
 * the bits (IPv4 in the low 32).  Returns 0, or -1 if malformed.
 */
int
zi_norm(const struct addr *net, struct addr *a, u128 *key)
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

/*
 * Sort the n elements of size bytes at v by cmp (their key, then the
 * order they were added in) and keep only the last of each run that same
 * finds equal: the last one added for a key wins.  Returns how many are
 * left.
 */
size_t
zi_sort_last(void *v, size_t n, size_t size,
    int (*cmp)(const void *, const void *),
    int (*same)(const void *, const void *))
{
	char	*p = v;
	size_t	 i, j;

	if (n > 1)
		qsort(v, n, size, cmp);
	for (i = 0, j = 0; i < n; i++) {
		if (i + 1 < n && same(p + i * size, p + (i + 1) * size))
			continue;
		if (j != i)
			memcpy(p + j * size, p + i * size, size);
		j++;
	}
	return j;
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
	zi_strtab_clear(&b->strs);
	zi_valtab_clear(&b->vals);
	free(b);
}

/* Append an IPv4 range entry (or a /32 exclusion). */
static void
add_r4(struct zone_index_builder *b, uint32_t net, int prefix, uint32_t val,
    uint32_t seq)
{
	b->r4 = zi_grow(b->r4, &b->cr4, b->nr4 + 1, sizeof(*b->r4));
	b->r4[b->nr4].net = net;
	b->r4[b->nr4].val = val;
	b->r4[b->nr4].seq = seq;
	b->r4[b->nr4++].prefix = (uint8_t)prefix;
}

/* Append an IPv6 range entry (or a /128 exclusion). */
static void
add_r6(struct zone_index_builder *b, u128 net, int prefix, uint32_t val,
    uint32_t seq)
{
	b->r6 = zi_grow(b->r6, &b->cr6, b->nr6 + 1, sizeof(*b->r6));
	b->r6[b->nr6].net = net;
	b->r6[b->nr6].val = val;
	b->r6[b->nr6].seq = seq;
	b->r6[b->nr6++].prefix = (uint8_t)prefix;
}

int
zone_index_builder_add(struct zone_index_builder *b, const struct addr *net,
    int exclude, uint32_t code, const char *reason)
{
	struct addr	 a;
	uint32_t	 val, rsn, ip;
	u128		 x;

	if (zi_norm(net, &a, &x) == -1 || b->seq == UINT32_MAX)
		return -1;
	if (exclude)
		val = VAL_EXCL;
	else {
		rsn = RSN_DEFAULT;
		if (reason != NULL && *reason != '\0') {
			if (b->strs.n > ARENA_MAX)
				return -1;
			rsn = zi_strtab_intern(&b->strs, reason);
		}
		val = zi_valtab_intern(&b->vals, code, rsn);
	}
	b->seq++;
	ip = (uint32_t)x;
	if (a.family == 4 && a.prefix == 32) {
		b->s4 = zi_grow(b->s4, &b->cs4, b->ns4 + 1, sizeof(*b->s4));
		b->s4[b->ns4].ip = ip;
		b->s4[b->ns4++].val = val;
	} else if (a.family == 4)
		add_r4(b, ip, a.prefix, val, b->seq);
	else if (a.prefix == 128) {
		b->s6 = zi_grow(b->s6, &b->cs6, b->ns6 + 1, sizeof(*b->s6));
		b->s6[b->ns6].ip = x;
		b->s6[b->ns6].val = val;
		b->s6[b->ns6++].seq = b->seq;
	} else
		add_r6(b, x, a.prefix, val, b->seq);
	return 0;
}

/* Entries of a kind order by prefix, then by when they were added. */
static int
b4r_cmp(const void *pa, const void *pb)
{
	const struct b4r	*a = pa, *b = pb;

	return order3(a->net, a->prefix, a->seq, b->net, b->prefix, b->seq);
}

static int
b4r_same(const void *pa, const void *pb)
{
	const struct b4r	*a = pa, *b = pb;

	return a->net == b->net && a->prefix == b->prefix;
}

static int
b6s_cmp(const void *pa, const void *pb)
{
	const struct b6s	*a = pa, *b = pb;

	return order3(a->ip, 0, a->seq, b->ip, 0, b->seq);
}

static int
b6s_same(const void *pa, const void *pb)
{
	const struct b6s	*a = pa, *b = pb;

	return a->ip == b->ip;
}

static int
b6r_cmp(const void *pa, const void *pb)
{
	const struct b6r	*a = pa, *b = pb;

	return order3(a->net, a->prefix, a->seq, b->net, b->prefix, b->seq);
}

static int
b6r_same(const void *pa, const void *pb)
{
	const struct b6r	*a = pa, *b = pb;

	return a->net == b->net && a->prefix == b->prefix;
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

/* Start an interval map in starts/vals; max: the family's last address. */
static void
flat_init(struct flat *f, u128 *starts, uint32_t *vals, u128 max)
{
	memset(f, 0, sizeof(*f));
	f->starts = starts;
	f->vals = vals;
	f->max = max;
	flat_emit(f, 0, VAL_NONE);
}

/*
 * Append (start, val) to the interval map, keeping starts increasing and
 * neighbours different: a second value at the same start replaces the
 * first, and a value equal to the one before extends that interval.
 */
static void
flat_emit(struct flat *f, u128 s, uint32_t v)
{
	if (f->k > 0 && f->starts[f->k - 1] == s) {
		f->vals[f->k - 1] = v;
		if (f->k > 1 && f->vals[f->k - 2] == v)
			f->k--;
	} else if (f->k == 0 || f->vals[f->k - 1] != v) {
		f->starts[f->k] = s;
		f->vals[f->k++] = v;
	}
}

/*
 * Close the open blocks that end before s (all of them if all): after
 * each, the block that encloses it decides again.
 */
static void
flat_close(struct flat *f, u128 s, int all)
{
	uint32_t	 up;

	while (f->d > 0 && (all || f->st[f->d - 1].end < s)) {
		f->d--;
		up = f->d > 0 ? f->st[f->d - 1].val : VAL_NONE;
		if (f->st[f->d].end != f->max)
			flat_emit(f, f->st[f->d].end + 1, up);
	}
}

/* Open the block [s, end], value v (VAL_NONE: excluded). */
static void
flat_add(struct flat *f, u128 s, u128 end, uint32_t v)
{
	flat_close(f, s, 0);
	f->st[f->d].end = end;
	f->st[f->d++].val = v;
	flat_emit(f, s, v);
}

/*
 * Flatten sorted, duplicate-free CIDR entries (by start, then shorter
 * prefix first) into an interval map.  CIDR blocks nest or are disjoint,
 * so a stack of the enclosing blocks tells what decides after a block
 * ends.  starts/vals hold 2 * n + 1.  Returns the number of intervals.
 */
static size_t
flatten4(const struct b4r *r, size_t n, const uint32_t *remap,
    u128 *starts, uint32_t *vals)
{
	struct flat	 f;
	size_t		 i;

	flat_init(&f, starts, vals, UINT32_MAX);
	for (i = 0; i < n; i++)
		flat_add(&f, r[i].net,
		    r[i].net + ((u128)1 << (32 - r[i].prefix)) - 1,
		    map_val(r[i].val, remap));
	flat_close(&f, 0, 1);
	return f.k;
}

static size_t
flatten6(const struct b6r *r, size_t n, const uint32_t *remap,
    u128 *starts, uint32_t *vals)
{
	struct flat	 f;
	size_t		 i;

	flat_init(&f, starts, vals, ~(u128)0);
	for (i = 0; i < n; i++)
		flat_add(&f, r[i].net, r[i].net | hostmask6(r[i].prefix),
		    map_val(r[i].val, remap));
	flat_close(&f, 0, 1);
	return f.k;
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
			if (s->ip != RFC5782_TP_LISTED)
				add_r4(b, s->ip, 32, VAL_EXCL, 0);
			continue;
		}
		v = remap[s->val];
		if (s->ip == RFC5782_TP_LISTED) {
			have_tp = 1;
			if (b->vals.v[s->val].rsn == RSN_DEFAULT)
				v = zi_valtab_intern(fin,
				    b->vals.v[s->val].code, tpsid);
		}
		b->s4[j].ip = s->ip;
		b->s4[j++].val = v;
	}
	b->ns4 = j;
	if (!have_tp) {
		b->s4 = zi_grow(b->s4, &b->cs4, b->ns4 + 1, sizeof(*b->s4));
		for (i = 0; i < b->ns4 && b->s4[i].ip < RFC5782_TP_LISTED; i++)
			;
		memmove(b->s4 + i + 1, b->s4 + i,
		    (b->ns4 - i) * sizeof(*b->s4));
		b->s4[i].ip = RFC5782_TP_LISTED;
		b->s4[i].val = zi_valtab_intern(fin, RFC5782_TP_LISTED, tpsid);
		b->ns4++;
	}
	add_r4(b, RFC5782_TP_NEVER, 32, VAL_EXCL, 0);
}

/* IPv4 ranges: the last entry for a prefix wins; final value indexes. */
static void
finish_ranges4(struct zone_index_builder *b, const uint32_t *remap)
{
	size_t	 i;

	b->nr4 = zi_sort_last(b->r4, b->nr4, sizeof(*b->r4), b4r_cmp,
	    b4r_same);
	/* the /32 exclusions from finish_singles4 are final */
	for (i = 0; i < b->nr4; i++)
		b->r4[i].val = map_val(b->r4[i].val, remap);
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

	b->ns6 = zi_sort_last(b->s6, b->ns6, sizeof(*b->s6), b6s_cmp,
	    b6s_same);
	for (i = 0, j = 0; i < b->ns6; i++) {
		if (b->s6[i].val == VAL_EXCL) {
			add_r6(b, b->s6[i].ip, 128, VAL_EXCL, 0);
			continue;
		}
		b->s6[j].ip = b->s6[i].ip;
		b->s6[j++].val = remap[b->s6[i].val];
	}
	b->ns6 = j;
	add_r6(b, MAPPED_HI << 32, 96, VAL_EXCL, UINT32_MAX);
	b->nr6 = zi_sort_last(b->r6, b->nr6, sizeof(*b->r6), b6r_cmp,
	    b6r_same);
	for (i = 0; i < b->nr6; i++)
		b->r6[i].val = map_val(b->r6[i].val, remap);
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
struct zone_index *
zi_assemble(const struct parts *p)
{
	struct valtab		 fin;
	struct strtab		 fs;
	struct zone_index	 hdr, *zi;
	const struct bval	*v;
	uint32_t		*remap, *r4v, *r6v, defsid, tpsid, x;
	uint8_t			*used;
	u128			*r4s, *r6s;
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
		defsid = zi_strtab_intern(&fs, p->strs + p->defsid);
		tpsid = zi_strtab_intern(&fs, p->strs + p->tpsid);
		for (i = 0; i < p->nvals; i++) {
			if (!used[i])
				continue;
			x = zi_strtab_intern(&fs, p->strs + p->vals[i].rsn);
			remap[i] = zi_valtab_intern(&fin, p->vals[i].code, x);
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
	for (i = 0; i < zi->nr4; i++)
		zi->r4start[i] = (uint32_t)r4s[i];
	memcpy(zi->r4val, r4v, zi->nr4 * sizeof(*r4v));
	/* r4off[k]: the interval that holds k << 16; the last one at the end */
	for (i = 0, j = 0; i < S4_BUCKETS; i++) {
		while (j + 1 < zi->nr4 &&
		    zi->r4start[j + 1] <= (uint32_t)i << 16)
			j++;
		zi->r4off[i] = (uint32_t)j;
	}
	zi->r4off[S4_BUCKETS] = (uint32_t)zi->nr4 - 1;
	for (i = 0; i < zi->r4entries; i++) {
		zi->r4ent[i] = p->r4[i];
		zi->r4ent[i].seq = 0;
		zi->r4ent[i].val = map_val(p->r4[i].val, remap);
	}
	memcpy(zi->r6start, r6s, zi->nr6 * sizeof(*r6s));
	memcpy(zi->r6val, r6v, zi->nr6 * sizeof(*r6v));
	for (i = 0; i < zi->r6entries; i++) {
		zi->r6ent[i] = p->r6[i];
		zi->r6ent[i].seq = 0;
		zi->r6ent[i].val = map_val(p->r6[i].val, remap);
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
	zi_valtab_clear(&fin);
	zi_strtab_clear(&fs);
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
	defsid = zi_strtab_intern(&b->strs,
	    default_reason ? default_reason : "");
	tpsid = zi_strtab_intern(&b->strs, RFC5782_TP_REASON);
	remap = xreallocarray(NULL, b->vals.n + 1, sizeof(*remap));
	for (i = 0; i < b->vals.n; i++) {
		rsn = b->vals.v[i].rsn;
		remap[i] = zi_valtab_intern(&fin, b->vals.v[i].code,
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
	zi = zi_assemble(&p);

	free(remap);
	zi_valtab_clear(&fin);
	zone_index_builder_free(b);
	return zi;
}
