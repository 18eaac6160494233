/*
 * zone_render.c -- the list as DNS records below the apex (zone_render.h):
 * what `orblctl export --format zone` writes and orbl-dnsd's AXFR and
 * IXFR send.
 *
 * DNS has no "this CIDR range": ranges become wildcards at label
 * boundaries (octets for IPv4, nibbles for IPv6) and single addresses
 * explicit names.  The catch is RFC 4592: a wildcard only answers below
 * its closest encloser, so any name that exists under a node (an explicit
 * name, or an empty non-terminal on the way to one) hides the wildcards
 * above it for everything below that node.
 *
 * So the render works from what each address must answer, not from the
 * entries: the entries (most specific wins; RFC 5782 test points forced)
 * become a partition of the address space into intervals of equal answer.
 * Then one walk down the label tree: a node whose whole block answers the
 * same is one record (a wildcard "*.N", or "N" with only a TXT, which
 * exists and so stops the wildcards above: NXDOMAIN below it), or nothing
 * when its parent already answers that way; any other node gets its own
 * wildcard for the commonest answer of its children and the walk goes on
 * into the children that answer otherwise.  IPv4 names (4 labels) and
 * IPv6 names (32 labels) share the labels 0-9 near the apex, so a node may
 * stand for an IPv4 block and an IPv6 block at once and must suit both.
 * The apex has no wildcard, so each top label's subtree is walked on its
 * own: that is what renders only some tops (zr_render's tops) and what
 * zr_diff compares, one top at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "lookup.h"
#include "rfc5782.h"
#include "xmalloc.h"
#include "zone_render.h"

__extension__ typedef unsigned __int128 u128;

#define U128_MAX	(~(u128)0)
#define VNONE		UINT32_MAX	/* an entry's value: excluded */
#define NTALLY		270		/* children of a node, at most */

/* A TXT template, interned: equal templates are one pointer. */
struct zstr {
	uint32_t	 len;
	uint32_t	 hash;
	int		 dollar;	/* has a '$': differs per entry */
	char		 s[];
};

/* What an address answers when listed; NULL pointers mean "not listed". */
struct zval {
	const struct zstr *str;
	uint32_t	 code;
	struct addr	 net;		/* the deciding entry, for '$' */
};

struct zent {
	u128		 lo, hi;
	uint32_t	 vidx;		/* into z->vals, VNONE: exclusion */
	uint32_t	 seq;		/* order added: the last one wins */
	uint8_t		 prefix;
};

struct ziv {
	u128		 lo, hi;
	const struct zval *val;
};

struct zfam {
	int		 bits, lbits, depth;	/* 32/8/4 or 128/4/32 */
	struct zent	*e;
	size_t		 ne, cape;
	struct ziv	*iv;
	size_t		 niv, capiv;
};

struct zr {
	struct zfam	 f4, f6;
	struct zval	*vals;		/* one per listed entry, [0]: the
					   test point */
	size_t		 nvals, capvals;
	struct zstr	**strs;		/* interned templates */
	size_t		 nstrs, capstrs;
	uint32_t	*h;		/* strs index + 1, 0 = empty */
	size_t		 hcap;
	const struct zstr *defstr;
	uint32_t	 seq;
	int		 ready;
	size_t		 nrecords;
	char		 num[256][4];	/* the labels "0".."255" */
};

/* One render's walk. */
struct zwalk {
	struct zr	*z;
	const uint8_t	*tops;
	zr_emit_fn	 emit;
	void		*arg;
	int		 rc;
	int		 top;
	const char	*lab[ZR_LABELS_MAX];	/* lab[d]: label at depth d */
	size_t		 cur4, cur6;	/* the interval found last, where
					   the next search starts (iv_find) */
};

struct znode {
	int		 d;
	int		 has4, has6;
	u128		 lo4, lo6;
};

static const char *const hexlab[6] = { "a", "b", "c", "d", "e", "f" };

/* Templates. */

static uint32_t
str_hash(const char *s, size_t len)
{
	return fnv1a32(s, len);
}

static void
str_rehash(struct zr *z)
{
	size_t	 i, k;

	free(z->h);
	z->hcap = z->hcap ? z->hcap * 2 : 64;
	z->h = xcalloc(z->hcap, sizeof(*z->h));
	for (i = 0; i < z->nstrs; i++) {
		k = z->strs[i]->hash & (z->hcap - 1);
		while (z->h[k] != 0)
			k = (k + 1) & (z->hcap - 1);
		z->h[k] = (uint32_t)i + 1;
	}
}

static const struct zstr *
str_intern(struct zr *z, const char *s)
{
	size_t		 len = strlen(s), k;
	uint32_t	 hash = str_hash(s, len);
	struct zstr	*t;

	if ((z->nstrs + 1) * 2 > z->hcap)
		str_rehash(z);
	if (z->nstrs == z->capstrs) {
		z->capstrs = z->capstrs ? z->capstrs * 2 : 64;
		z->strs = xreallocarray(z->strs, z->capstrs,
		    sizeof(*z->strs));
	}
	k = hash & (z->hcap - 1);
	for (; z->h[k] != 0; k = (k + 1) & (z->hcap - 1)) {
		t = z->strs[z->h[k] - 1];
		if (t->hash == hash && t->len == len &&
		    memcmp(t->s, s, len) == 0)
			return t;
	}
	t = xmalloc(sizeof(*t) + len + 1);
	t->len = (uint32_t)len;
	t->hash = hash;
	t->dollar = memchr(s, '$', len) != NULL;
	memcpy(t->s, s, len + 1);
	z->strs[z->nstrs++] = t;
	z->h[k] = (uint32_t)z->nstrs;
	return t;
}

/* Values and entries. */

static int
zval_eq(const struct zval *a, const struct zval *b)
{
	if (a == b)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	/* A '$' differs per entry; otherwise equal answers are equal. */
	return a->code == b->code && a->str == b->str && !a->str->dollar;
}

static u128
span(const struct zfam *fm, int prefix)
{
	int	 host = fm->bits - prefix;

	return host >= 128 ? U128_MAX : ((u128)1 << host) - 1;
}

static u128
addr_u128(const struct addr *a)
{
	u128	 v = 0;
	int	 i;

	if (a->family == 4)
		return addr_v4(a);
	for (i = 0; i < 16; i++)
		v = v << 8 | a->a[i];
	return v;
}

static void
u128_addr(u128 v, int family, struct addr *a)
{
	int	 i;

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == 4) {
		addr_set_v4(a, (uint32_t)v, 32);
		return;
	}
	a->prefix = 128;
	for (i = 15; i >= 0; i--, v >>= 8)
		a->a[i] = (uint8_t)v;
}

static int
is_mapped(const struct addr *a)
{
	static const uint8_t	 pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return a->family == 6 && a->prefix >= 96 &&
	    memcmp(a->a, pfx, sizeof(pfx)) == 0;
}

/*
 * Check and normalize a prefix: host bits cleared, an IPv4-mapped IPv6
 * prefix made the IPv4 prefix it maps.  Returns 0, or -1 if malformed.
 */
static int
norm(const struct addr *net, struct addr *a)
{
	if (net == NULL || (net->family != 4 && net->family != 6) ||
	    net->prefix > (net->family == 4 ? 32 : 128))
		return -1;
	*a = *net;
	addr_mask(a);
	if (is_mapped(a)) {
		a->family = 4;
		a->prefix -= 96;
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
	}
	return 0;
}

static int
is_testpoint(const struct addr *a)
{
	return a->family == 4 && a->prefix == 32 &&
	    (addr_v4(a) == RFC5782_TP_NEVER ||
	    addr_v4(a) == RFC5782_TP_LISTED);
}

static void
zfam_add(struct zfam *fm, const struct addr *net, uint32_t vidx,
    uint32_t seq)
{
	struct zent	*e;

	if (fm->ne == fm->cape) {
		fm->cape = fm->cape ? fm->cape * 2 : 1024;
		fm->e = xreallocarray(fm->e, fm->cape, sizeof(*fm->e));
	}
	e = &fm->e[fm->ne++];
	e->lo = addr_u128(net);
	e->hi = e->lo | span(fm, net->prefix);
	e->prefix = net->prefix;
	e->vidx = vidx;
	e->seq = seq;
}

static uint32_t
val_add(struct zr *z, uint32_t code, const struct zstr *str,
    const struct addr *net)
{
	struct zval	*v;

	if (z->nvals == z->capvals) {
		z->capvals = z->capvals ? z->capvals * 2 : 1024;
		z->vals = xreallocarray(z->vals, z->capvals,
		    sizeof(*z->vals));
	}
	v = &z->vals[z->nvals];
	v->str = str;
	v->code = code;
	v->net = *net;
	return (uint32_t)z->nvals++;
}

struct zr *
zr_new(const char *default_reason)
{
	struct zr	*z = xcalloc(1, sizeof(*z));
	struct addr	 tp;
	unsigned int	 i;

	z->f4.bits = 32, z->f4.lbits = 8, z->f4.depth = 4;
	z->f6.bits = 128, z->f6.lbits = 4, z->f6.depth = 32;
	for (i = 0; i < 256; i++)
		snprintf(z->num[i], sizeof(z->num[i]), "%u", i & 0xffU);
	z->defstr = str_intern(z, default_reason ? default_reason : "");
	/* vals[0]: what the test point 127.0.0.2 answers */
	addr_set_v4(&tp, RFC5782_TP_LISTED, 32);
	val_add(z, RFC5782_DEFAULT_A, str_intern(z, RFC5782_TP_REASON), &tp);
	return z;
}

int
zr_add(struct zr *z, const struct addr *net, int exclude, uint32_t code,
    const char *reason)
{
	struct addr	 a;
	uint32_t	 vidx = VNONE;

	if (z->ready || norm(net, &a) == -1 || z->seq == UINT32_MAX - 4)
		return -1;
	if (is_testpoint(&a)) {
		/* Forced below, whatever the data, except that a listed
		 * 127.0.0.2 keeps its code and its reason (the test
		 * point's without one), as orbl-dnsd answers it. */
		if (!exclude && addr_v4(&a) == RFC5782_TP_LISTED) {
			z->vals[0].code = code;
			if (reason != NULL && *reason != '\0')
				z->vals[0].str = str_intern(z, reason);
		}
		return 0;
	}
	if (!exclude)
		vidx = val_add(z, code, reason == NULL || *reason == '\0' ?
		    z->defstr : str_intern(z, reason), &a);
	zfam_add(a.family == 4 ? &z->f4 : &z->f6, &a, vidx, ++z->seq);
	return 0;
}

void
zr_counts(const struct zr *z, size_t *records, size_t *iv4, size_t *iv6)
{
	if (records != NULL)
		*records = z->nrecords;
	if (iv4 != NULL)
		*iv4 = z->f4.niv;
	if (iv6 != NULL)
		*iv6 = z->f6.niv;
}

void
zr_free(struct zr *z)
{
	size_t	 i;

	if (z == NULL)
		return;
	for (i = 0; i < z->nstrs; i++)
		free(z->strs[i]);
	free(z->strs);
	free(z->h);
	free(z->vals);
	free(z->f4.e);
	free(z->f4.iv);
	free(z->f6.e);
	free(z->f6.iv);
	free(z);
}

/* The intervals. */

static int
zent_cmp(const void *x, const void *y)
{
	const struct zent	*a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static void
iv_emit(struct zfam *fm, u128 lo, u128 hi, const struct zval *val)
{
	struct ziv	*last;

	if (fm->niv > 0) {
		last = &fm->iv[fm->niv - 1];
		if (zval_eq(last->val, val)) {
			last->hi = hi;
			return;
		}
	}
	if (fm->niv == fm->capiv) {
		fm->capiv = fm->capiv ? fm->capiv * 2 : 1024;
		fm->iv = xreallocarray(fm->iv, fm->capiv, sizeof(*fm->iv));
	}
	fm->iv[fm->niv].lo = lo;
	fm->iv[fm->niv].hi = hi;
	fm->iv[fm->niv].val = val;
	fm->niv++;
}

static const struct zval *
ent_val(const struct zr *z, const struct zent *e)
{
	return e->vidx == VNONE ? NULL : &z->vals[e->vidx];
}

/*
 * Entries (CIDRs: nested or disjoint) to the partition of the family's
 * space by the answer of the most specific entry.  The entries are sorted
 * (the last one added for a prefix kept), then not needed any more.
 */
static void
zfam_intervals(const struct zr *z, struct zfam *fm)
{
	const struct zent	*stack[130];
	u128			 cur = 0, max = span(fm, 0);
	size_t			 i, n = 0;
	int			 sp = 0, done = 0;

	if (fm->ne > 1)
		qsort(fm->e, fm->ne, sizeof(*fm->e), zent_cmp);
	for (i = 0; i < fm->ne; i++) {
		if (i + 1 < fm->ne && fm->e[i + 1].lo == fm->e[i].lo &&
		    fm->e[i + 1].prefix == fm->e[i].prefix)
			continue;
		fm->e[n++] = fm->e[i];
	}
	fm->ne = n;
	for (i = 0; i < fm->ne; i++) {
		const struct zent *e = &fm->e[i];

		while (sp > 0 && stack[sp - 1]->hi < e->lo) {
			const struct zent *t = stack[--sp];

			iv_emit(fm, cur, t->hi, ent_val(z, t));
			cur = t->hi + 1;
		}
		if (cur < e->lo)
			iv_emit(fm, cur, e->lo - 1, sp ?
			    ent_val(z, stack[sp - 1]) : NULL);
		cur = e->lo;
		stack[sp++] = e;
	}
	while (sp > 0 && !done) {
		const struct zent *t = stack[--sp];

		if (cur <= t->hi)
			iv_emit(fm, cur, t->hi, ent_val(z, t));
		if (t->hi == max)
			done = 1;
		else
			cur = t->hi + 1;
	}
	if (!done)
		iv_emit(fm, cur, max, NULL);
	free(fm->e);
	fm->e = NULL;
	fm->ne = fm->cape = 0;
}

/* No more entries: the test points forced, the intervals built. */
static void
zr_finish(struct zr *z)
{
	struct addr	 a;

	/* RFC 5782 test points, in IPv4 and as IPv4-mapped IPv6. */
	addr_set_v4(&a, RFC5782_TP_LISTED, 32);
	zfam_add(&z->f4, &a, 0, UINT32_MAX);
	addr_set_v4(&a, RFC5782_TP_NEVER, 32);
	zfam_add(&z->f4, &a, VNONE, UINT32_MAX);
	u128_addr((u128)0xffff7f000002ULL, 6, &a);
	zfam_add(&z->f6, &a, 0, UINT32_MAX);
	u128_addr((u128)0xffff7f000001ULL, 6, &a);
	zfam_add(&z->f6, &a, VNONE, UINT32_MAX);
	zfam_intervals(z, &z->f4);
	zfam_intervals(z, &z->f6);
	z->ready = 1;
}

/*
 * The interval holding x.  The walk goes through the address space in
 * order, so the answer is nearly always at or next to the one before:
 * search outward from *cur in steps that double (a galloping search),
 * then bisect what that bracketed.  O(log distance), not O(log n) cache
 * misses: it was 42 % of a render.  iv[0].lo is 0: every x has one.
 */
static const struct ziv *
iv_find(const struct zfam *fm, u128 x, size_t *cur)
{
	size_t	 lo, hi, c = *cur < fm->niv ? *cur : 0, step = 1;

	if (fm->iv[c].lo <= x) {	/* at or after c */
		lo = c;
		for (;;) {
			hi = lo + step;
			if (hi >= fm->niv) {
				hi = fm->niv;
				break;
			}
			if (fm->iv[hi].lo > x)
				break;
			lo = hi;
			step <<= 1;
		}
	} else {			/* before c */
		hi = c;
		for (;;) {
			lo = hi > step ? hi - step : 0;
			if (fm->iv[lo].lo <= x)
				break;
			hi = lo;
			step <<= 1;
		}
	}
	/* iv[lo].lo <= x, and hi == niv or iv[hi].lo > x */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (fm->iv[mid].lo <= x)
			lo = mid;
		else
			hi = mid;
	}
	*cur = lo;
	return &fm->iv[lo];
}

/* How many blocks of 2^cbits from base+j on (up to jmax) answer alike. */
static unsigned int
zfam_run(const struct zfam *fm, size_t *cur, u128 base, int cbits,
    unsigned int j, unsigned int jmax, const struct zval **val)
{
	u128			 csize = (u128)1 << cbits, clo, k;
	const struct ziv	*iv;

	clo = base + (u128)j * csize;
	iv = iv_find(fm, clo, cur);
	if (iv->hi < clo + (csize - 1))
		return 0;
	*val = iv->val;
	k = (iv->hi - clo) / csize + ((iv->hi - clo) % csize == csize - 1);
	if (k > jmax - j + 1)
		k = jmax - j + 1;
	return (unsigned int)k;
}

static int
zfam_uniform(const struct zfam *fm, size_t *cur, u128 lo, int d,
    const struct zval **val)
{
	const struct ziv	*iv = iv_find(fm, lo, cur);

	*val = iv->val;
	return iv->hi >= (lo | span(fm, d * fm->lbits));
}

/* The walk. */

static int
node_uniform(struct zwalk *w, const struct znode *n,
    const struct zval **val)
{
	const struct zval	*v4 = NULL, *v6 = NULL;

	if (n->has4 && !zfam_uniform(&w->z->f4, &w->cur4, n->lo4, n->d, &v4))
		return 0;
	if (n->has6 && !zfam_uniform(&w->z->f6, &w->cur6, n->lo6, n->d, &v6))
		return 0;
	if (n->has4 && n->has6 && !zval_eq(v4, v6))
		return 0;
	*val = n->has4 ? v4 : v6;
	return 1;
}

static int
node_desc(const struct zwalk *w, const struct znode *n)
{
	return (n->has4 && n->d < w->z->f4.depth) ||
	    (n->has6 && n->d < w->z->f6.depth);
}

static int
node_self(const struct zwalk *w, const struct znode *n)
{
	return (n->has4 && n->d == w->z->f4.depth) ||
	    (n->has6 && n->d == w->z->f6.depth);
}

/* The IPv4 answer of a node that is itself an address. */
static const struct zval *
node_self_val(struct zwalk *w, const struct znode *n)
{
	return n->has4 ? iv_find(&w->z->f4, n->lo4, &w->cur4)->val :
	    iv_find(&w->z->f6, n->lo6, &w->cur6)->val;
}

static void
emit(struct zwalk *w, struct zr_rr *rr)
{
	if (w->rc != 0)
		return;
	w->z->nrecords++;
	w->rc = w->emit(rr, w->arg);
}

/* name [*.]N: A + TXT for a listed value, only a TXT for "not listed". */
static void
put_rrs(struct zwalk *w, const struct znode *n, int wild,
    const struct zval *v)
{
	struct zr_rr	 rr;
	char		 what[ADDR_STRLEN], txt[ZR_TXT_MAX];
	struct addr	 a;
	int		 i;

	memset(&rr, 0, sizeof(rr));
	if (wild)
		rr.label[rr.nlabels++] = "*";
	for (i = n->d; i >= 1; i--)
		rr.label[rr.nlabels++] = w->lab[i];
	rr.top = w->top;
	rr.type = ZR_TYPE_TXT;
	if (v == NULL) {
		rr.txt = ZR_EXCLUDED_TXT;
		rr.txtlen = sizeof(ZR_EXCLUDED_TXT) - 1;
		emit(w, &rr);
		return;
	}
	if (!v->str->dollar) {
		rr.txt = v->str->s;
		rr.txtlen = v->str->len < ZR_TXT_MAX ? v->str->len :
		    ZR_TXT_MAX - 1;
	} else {
		if (wild)
			addr_format(&v->net, what, sizeof(what));
		else {
			u128_addr(n->has4 ? n->lo4 : n->lo6, n->has4 ? 4 : 6,
			    &a);
			addr_format_ip(&a, what, sizeof(what));
		}
		rr.txt = lookup_expand(v->str->s, what, txt, sizeof(txt));
		rr.txtlen = strlen(txt);
	}
	rr.type = ZR_TYPE_A;
	rr.a = v->code;
	emit(w, &rr);
	rr.type = ZR_TYPE_TXT;
	rr.a = 0;
	emit(w, &rr);
}

enum ckind { CK_SHARED, CK_V4, CK_V6 };

/* The top label's number of child j (of kind k) of the apex. */
static int
top_of(enum ckind k, unsigned int j)
{
	return k == CK_V6 && j >= 10 ? 256 + (int)j - 10 : (int)j;
}

static void
mkchild(struct zwalk *w, const struct znode *n, enum ckind k, unsigned int j,
    struct znode *c)
{
	memset(c, 0, sizeof(*c));
	c->d = n->d + 1;
	if (k != CK_V6) {
		c->has4 = 1;
		c->lo4 = n->lo4 + ((u128)j << (32 - 8 * c->d));
	}
	if (k != CK_V4) {
		c->has6 = 1;
		c->lo6 = n->lo6 + ((u128)j << (128 - 4 * c->d));
	}
	w->lab[c->d] = k == CK_V6 && j >= 10 ? hexlab[j - 10] : w->z->num[j];
	if (c->d == 1)
		w->top = top_of(k, j);
}

/*
 * Visit the children of n in runs: cb(run of cnt children from label j
 * of kind k, all answering *val if uniform, else one non-uniform child).
 */
typedef void	(*child_cb)(struct zwalk *, const struct znode *, enum ckind,
		    unsigned int j, unsigned int cnt, int uniform,
		    const struct zval *, void *);

static void
children(struct zwalk *w, const struct znode *n, child_cb cb, void *arg)
{
	const struct zval	*v;
	struct znode		 c;
	unsigned int		 j, k, first = 0;
	int			 kids4, kids6;

	kids4 = n->has4 && n->d < w->z->f4.depth;
	kids6 = n->has6 && n->d < w->z->f6.depth;
	if (kids4 && kids6) {
		for (j = 0; j < 10; j++) {
			mkchild(w, n, CK_SHARED, j, &c);
			if (node_uniform(w, &c, &v))
				cb(w, n, CK_SHARED, j, 1, 1, v, arg);
			else
				cb(w, n, CK_SHARED, j, 1, 0, NULL, arg);
		}
		first = 10;
	}
	for (j = first; kids4 && j <= 255; j += k) {
		k = zfam_run(&w->z->f4, &w->cur4, n->lo4,
		    32 - 8 * (n->d + 1), j, 255, &v);
		cb(w, n, CK_V4, j, k ? k : 1, k != 0, k ? v : NULL, arg);
		k = k ? k : 1;
	}
	for (j = first; kids6 && j <= 15; j += k) {
		k = zfam_run(&w->z->f6, &w->cur6, n->lo6,
		    128 - 4 * (n->d + 1), j, 15, &v);
		cb(w, n, CK_V6, j, k ? k : 1, k != 0, k ? v : NULL, arg);
		k = k ? k : 1;
	}
}

struct tally {
	const struct zval *val[NTALLY];
	unsigned int	 cnt[NTALLY];
	int		 n;
};

static void
tally_cb(struct zwalk *w, const struct znode *n, enum ckind k,
    unsigned int j, unsigned int cnt, int uniform, const struct zval *v,
    void *arg)
{
	struct tally	*t = arg;
	int		 i;

	(void)w, (void)n, (void)k, (void)j;
	if (!uniform)
		return;
	for (i = 0; i < t->n; i++)
		if (zval_eq(t->val[i], v)) {
			t->cnt[i] += cnt;
			return;
		}
	if (t->n < NTALLY) {
		t->val[t->n] = v;
		t->cnt[t->n++] = cnt;
	}
}

static void	 walk(struct zwalk *, const struct znode *, const struct zval *);

static void
walk_cb(struct zwalk *w, const struct znode *n, enum ckind k, unsigned int j,
    unsigned int cnt, int uniform, const struct zval *v, void *arg)
{
	const struct zval	*wv = arg;
	struct znode		 c;
	unsigned int		 i;

	if (uniform && zval_eq(v, wv))
		return;		/* the wildcard (or NXDOMAIN) of n answers */
	for (i = j; i < j + cnt && w->rc == 0; i++) {
		if (n->d == 0 && w->tops != NULL && !w->tops[top_of(k, i)])
			continue;
		mkchild(w, n, k, i, &c);
		walk(w, &c, wv);
	}
}

/* ctx: what names below n answer if nothing at or below n exists. */
static void
walk(struct zwalk *w, const struct znode *n, const struct zval *ctx)
{
	const struct zval	*v, *wv = NULL, *sv;
	struct tally		 t;
	int			 i;
	unsigned int		 best = 0;

	if (w->rc != 0)
		return;
	if (n->d > 0 && node_uniform(w, n, &v)) {
		if (zval_eq(v, ctx))
			return;
		if (node_desc(w, n)) {
			put_rrs(w, n, v != NULL, v);
			if (v == NULL)	/* n exists, no wildcard: NXDOMAIN */
				return;
		}
		if (node_self(w, n))
			put_rrs(w, n, 0, v);
		return;
	}
	if (n->d > 0) {		/* no wildcard at the apex */
		t.n = 0;
		children(w, n, tally_cb, &t);
		for (i = 0; i < t.n; i++)
			if (t.cnt[i] > best || (t.cnt[i] == best &&
			    t.val[i] == NULL)) {
				best = t.cnt[i];
				wv = t.val[i];
			}
	}
	if (wv != NULL)
		put_rrs(w, n, 1, wv);
	if (node_self(w, n) && (sv = node_self_val(w, n)) != NULL)
		put_rrs(w, n, 0, sv);
	children(w, n, walk_cb, (void *)(uintptr_t)wv);
}

int
zr_render(struct zr *z, const uint8_t *tops, zr_emit_fn fn, void *arg)
{
	struct zwalk	 w;
	struct znode	 root;

	if (!z->ready)
		zr_finish(z);
	memset(&w, 0, sizeof(w));
	w.z = z;
	w.tops = tops;
	w.emit = fn;
	w.arg = arg;
	memset(&root, 0, sizeof(root));
	root.has4 = root.has6 = 1;
	walk(&w, &root, NULL);
	return w.rc;
}

void
zr_mark_tops(const struct addr *net, uint8_t *tops)
{
	struct addr	 a;
	unsigned int	 first, last, t;
	u128		 lo, hi;

	if (norm(net, &a) == -1)
		return;
	if (a.family == 4) {
		first = a.a[0];
		last = (unsigned int)((addr_v4(&a) |
		    (uint32_t)(((uint64_t)1 << (32 - a.prefix)) - 1)) >> 24);
		for (t = first; t <= last; t++)
			tops[t] = 1;
		return;
	}
	lo = addr_u128(&a);
	hi = lo | (a.prefix == 0 ? U128_MAX :
	    ((u128)1 << (128 - a.prefix)) - 1);
	first = (unsigned int)(lo >> 124);
	last = (unsigned int)(hi >> 124);
	for (t = first; t <= last; t++)
		tops[top_of(CK_V6, t)] = 1;
}

/*
 * The difference of two renders: each top's records as a sorted set of
 * (owner, type, rdata), one top at a time.  A record is kept as bytes:
 * the owner's labels joined by '.', a NUL, the type (2 bytes), the rdata
 * (A: 4 bytes; TXT: the text).
 */
struct rref {
	union {
		size_t		 off;	/* while collecting */
		const char	*p;	/* once sorted */
	}		 u;
	uint32_t	 len;
	int		 top;
};

struct rset {
	char		*buf;
	size_t		 len, cap;
	struct rref	*r;
	size_t		 n, cap_r;
};

static void
rset_put(struct rset *s, const char *p, size_t len, int top)
{
	if (s->len + len > s->cap) {
		s->cap = s->cap ? s->cap : 4096;
		while (s->len + len > s->cap)
			s->cap *= 2;
		s->buf = xreallocarray(s->buf, s->cap, 1);
	}
	if (s->n == s->cap_r) {
		s->cap_r = s->cap_r ? s->cap_r * 2 : 256;
		s->r = xreallocarray(s->r, s->cap_r, sizeof(*s->r));
	}
	memcpy(s->buf + s->len, p, len);
	s->r[s->n].u.off = s->len;
	s->r[s->n].len = (uint32_t)len;
	s->r[s->n++].top = top;
	s->len += len;
}

static int
rset_collect(const struct zr_rr *rr, void *arg)
{
	char	 b[ZR_LABELS_MAX * 4 + 8 + ZR_TXT_MAX];
	size_t	 o = 0, l;
	int	 i;

	for (i = 0; i < rr->nlabels; i++) {
		l = strlen(rr->label[i]);
		if (i > 0)
			b[o++] = '.';
		memcpy(b + o, rr->label[i], l);
		o += l;
	}
	b[o++] = '\0';
	b[o++] = (char)(rr->type >> 8);
	b[o++] = (char)rr->type;
	if (rr->type == ZR_TYPE_A) {
		b[o++] = (char)(rr->a >> 24);
		b[o++] = (char)(rr->a >> 16);
		b[o++] = (char)(rr->a >> 8);
		b[o++] = (char)rr->a;
	} else {
		l = rr->txtlen < ZR_TXT_MAX ? rr->txtlen : ZR_TXT_MAX;
		memcpy(b + o, rr->txt, l);
		o += l;
	}
	rset_put(arg, b, o, rr->top);
	return 0;
}

static int
rref_cmp(const void *x, const void *y)
{
	const struct rref	*a = x, *b = y;
	int			 c;

	if (a->top != b->top)
		return a->top < b->top ? -1 : 1;
	c = memcmp(a->u.p, b->u.p, a->len < b->len ? a->len : b->len);
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static void
rset_sort(struct rset *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		s->r[i].u.p = s->buf + s->r[i].u.off;
	if (s->n > 1)
		qsort(s->r, s->n, sizeof(*s->r), rref_cmp);
}

static void
rset_clear(struct rset *s)
{
	s->len = 0;
	s->n = 0;
}

static void
rset_free(struct rset *s)
{
	free(s->buf);
	free(s->r);
}

/* Emit one kept record as a zr_rr. */
static int
rref_emit(const struct rref *r, zr_emit_fn fn, void *arg)
{
	struct zr_rr	 rr;
	char		 owner[ZR_LABELS_MAX * 4 + 1], *p, txt[ZR_TXT_MAX + 1];
	size_t		 olen = strlen(r->u.p);
	const uint8_t	*t;

	memset(&rr, 0, sizeof(rr));
	memcpy(owner, r->u.p, olen + 1);
	rr.label[rr.nlabels++] = owner;
	for (p = owner; *p != '\0'; p++)
		if (*p == '.' && rr.nlabels < ZR_LABELS_MAX) {
			*p = '\0';
			rr.label[rr.nlabels++] = p + 1;
		}
	rr.top = r->top;
	t = (const uint8_t *)r->u.p + olen + 1;
	rr.type = (uint16_t)(t[0] << 8 | t[1]);
	if (rr.type == ZR_TYPE_A)
		rr.a = (uint32_t)t[2] << 24 | (uint32_t)t[3] << 16 |
		    (uint32_t)t[4] << 8 | t[5];
	else {
		rr.txtlen = r->len - olen - 3;
		memcpy(txt, t + 2, rr.txtlen);
		txt[rr.txtlen] = '\0';
		rr.txt = txt;
	}
	return fn(&rr, arg);
}

/*
 * Sort o and n; emit what only o has (del), keep what only n has in
 * adds (emitted after every deletion).
 */
static int
rset_diff(struct rset *o, struct rset *n, struct rset *adds,
    zr_emit_fn del, void *arg)
{
	size_t	 i, j;
	int	 c, rc = 0;

	rset_sort(o);
	rset_sort(n);
	for (i = j = 0; rc == 0 && (i < o->n || j < n->n); ) {
		if (i == o->n)
			c = 1;
		else if (j == n->n)
			c = -1;
		else
			c = rref_cmp(&o->r[i], &n->r[j]);
		if (c < 0)
			rc = rref_emit(&o->r[i++], del, arg);
		else if (c > 0) {
			rset_put(adds, n->r[j].u.p, n->r[j].len, n->r[j].top);
			j++;
		} else
			i++, j++;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/*
 * The difference by second-level blocks.  Below a top node the walk
 * gives each child the top's wildcard answer as its context and nothing
 * else (walk_cb), so when a top answers the same before and after (the
 * same records of its own, the same wildcard), the children the changes
 * did not touch render the same: only the touched ones are rendered
 * twice and compared.  Otherwise the whole top is, as zr_diff does.
 */

/* The apex's child for top label t. */
static void
top_node(struct zwalk *w, int t, struct znode *n)
{
	struct znode	 root;

	memset(&root, 0, sizeof(root));
	root.has4 = root.has6 = 1;
	if (t < 10)
		mkchild(w, &root, CK_SHARED, (unsigned int)t, n);
	else if (t < 256)
		mkchild(w, &root, CK_V4, (unsigned int)t, n);
	else
		mkchild(w, &root, CK_V6, (unsigned int)(t - 256 + 10), n);
}

/*
 * What the top node t of z answers: 1 if the whole block is uniform (its
 * value in *v), else 0 with the wildcard its children inherit in *v (as
 * walk() chooses it).
 */
static int
top_head(struct zr *z, int t, const struct zval **v)
{
	struct zwalk	 w;
	struct znode	 n;
	struct tally	 tl;
	unsigned int	 best = 0;
	int		 i;

	if (!z->ready)
		zr_finish(z);
	memset(&w, 0, sizeof(w));
	w.z = z;
	top_node(&w, t, &n);
	if (node_uniform(&w, &n, v))
		return 1;
	*v = NULL;
	tl.n = 0;
	children(&w, &n, tally_cb, &tl);
	for (i = 0; i < tl.n; i++)
		if (tl.cnt[i] > best || (tl.cnt[i] == best &&
		    tl.val[i] == NULL)) {
			best = tl.cnt[i];
			*v = tl.val[i];
		}
	return 0;
}

/* Two values of two renders answer alike (zval_eq across lists). */
static int
zval_same(const struct zval *a, const struct zval *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->code == b->code && strcmp(a->str->s, b->str->s) == 0 &&
	    (!a->str->dollar || addr_cmp(&a->net, &b->net) == 0);
}

/* Render the subtree of child slot s of top t with context ctx. */
static void
render_sub(struct zr *z, int t, int slot, const struct zval *ctx,
    struct rset *out)
{
	struct zwalk	 w;
	struct znode	 n, c;
	enum ckind	 k;
	unsigned int	 j;

	memset(&w, 0, sizeof(w));
	w.z = z;
	w.emit = rset_collect;
	w.arg = out;
	top_node(&w, t, &n);
	if (slot >= 256) {
		if (!n.has6)
			return;
		k = CK_V6;
		j = (unsigned int)(slot - 256 + 10);
	} else if (t < 10 && slot < 10) {
		k = CK_SHARED;
		j = (unsigned int)slot;
	} else if (t < 256) {
		k = CK_V4;
		j = (unsigned int)slot;
	} else {
		if (slot >= 10)
			return;		/* an IPv6 top has 16 children */
		k = CK_V6;
		j = (unsigned int)slot;
	}
	mkchild(&w, &n, k, j, &c);
	walk(&w, &c, ctx);
}

void
zr_mark_subs(const struct addr *net, uint8_t *subs)
{
	struct addr	 a;
	uint32_t	 b4, e4, x;
	u128		 lo, hi, b6, e6, y;

	if (norm(net, &a) == -1)
		return;
	if (a.family == 4) {
		b4 = addr_v4(&a) >> 16;
		e4 = (uint32_t)((addr_v4(&a) | (uint32_t)(((uint64_t)1 <<
		    (32 - a.prefix)) - 1)) >> 16);
		for (x = b4; x <= e4; x++)
			subs[(x >> 8) * ZR_SUBS + (x & 0xff)] = 1;
		return;
	}
	lo = addr_u128(&a);
	hi = lo | (a.prefix == 0 ? U128_MAX :
	    ((u128)1 << (128 - a.prefix)) - 1);
	b6 = lo >> 120;
	e6 = hi >> 120;
	for (y = b6; y <= e6; y++) {
		unsigned int t = (unsigned int)(y >> 4), c = (unsigned int)
		    (y & 15);

		subs[top_of(CK_V6, t) * ZR_SUBS + (c < 10 ? c : 256 + c - 10)] =
		    1;
	}
}

/*
 * Both differences: the tops marked in tops (NULL: all), each whole; or
 * the second-level blocks marked in subs (tops NULL), a top whole only
 * where its own records change.  An old or new of NULL is an empty list.
 */
static int
diff_run(struct zr *old, struct zr *new, const uint8_t *tops,
    const uint8_t *subs, zr_emit_fn del, zr_emit_fn add, void *arg)
{
	struct rset		 o, n, adds;
	uint8_t			 one[ZR_TOPS];
	const struct zval	*vo = NULL, *vn = NULL;
	size_t			 i;
	int			 t, sl, any, whole, rc = 0;

	memset(&o, 0, sizeof(o));
	memset(&n, 0, sizeof(n));
	memset(&adds, 0, sizeof(adds));
	memset(one, 0, sizeof(one));
	for (t = 0; t < ZR_TOPS && rc == 0; t++) {
		if (subs != NULL) {
			for (any = 0, sl = 0; sl < ZR_SUBS && !any; sl++)
				any = subs[t * ZR_SUBS + sl];
		} else
			any = tops == NULL || tops[t];
		if (!any)
			continue;
		/* (both heads are read: '|', not '||') */
		whole = subs == NULL || old == NULL || new == NULL ||
		    top_head(old, t, &vo) | top_head(new, t, &vn) ||
		    !zval_same(vo, vn);
		if (whole) {	/* the top's own records change: all of it */
			one[t] = 1;
			rset_clear(&o);
			rset_clear(&n);
			if (old != NULL)
				zr_render(old, one, rset_collect, &o);
			if (new != NULL)
				zr_render(new, one, rset_collect, &n);
			one[t] = 0;
			rc = rset_diff(&o, &n, &adds, del, arg);
			continue;
		}
		for (sl = 0; sl < ZR_SUBS && rc == 0; sl++) {
			if (!subs[t * ZR_SUBS + sl])
				continue;
			rset_clear(&o);
			rset_clear(&n);
			render_sub(old, t, sl, vo, &o);
			render_sub(new, t, sl, vn, &n);
			rc = rset_diff(&o, &n, &adds, del, arg);
		}
	}
	rset_sort(&adds);
	for (i = 0; rc == 0 && i < adds.n; i++)
		rc = rref_emit(&adds.r[i], add, arg);
	rset_free(&o);
	rset_free(&n);
	rset_free(&adds);
	return rc;
}

int
zr_diff(struct zr *old, struct zr *new, const uint8_t *tops,
    zr_emit_fn del, zr_emit_fn add, void *arg)
{
	return diff_run(old, new, tops, NULL, del, add, arg);
}

int
zr_diff_subs(struct zr *old, struct zr *new, const uint8_t *subs,
    zr_emit_fn del, zr_emit_fn add, void *arg)
{
	return diff_run(old, new, NULL, subs, del, add, arg);
}
