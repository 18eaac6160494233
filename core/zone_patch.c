/*
 * zone_patch.c -- a new zone index from an existing one plus the journal's
 * changes (control path: may allocate).  The changes are sorted as the
 * entries are, then merged into the base's entries in one linear pass
 * each, giving the same parts a build of the final entries would;
 * zi_assemble() (zone_build.c) lays them out.  The base is only read.
 */
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "zone_index.h"
#include "zone_int.h"

#define VAL_DEL		(UINT32_MAX - 1)	/* a remove */

/* A change of a patch, normalized. */
struct pchg {
	u128		 key;		/* IPv4: the address in the low bits */
	uint32_t	 seq;
	uint32_t	 val;		/* value, VAL_EXCL or VAL_DEL */
	uint8_t		 family, prefix;
};

/* What a patch works with besides the parts it fills in. */
struct patch {
	const struct zone_index	*zi;
	const uint32_t		*oldmap;	/* base value -> patch value */
	uint32_t		 tpval;		/* 127.0.0.2 without data */
};

static int	 pchg_cmp(const void *, const void *);
static int	 pchg_same(const void *, const void *);
static int	 is_tp(const struct pchg *);
static struct b4s *merge_s4(const struct patch *, const struct pchg *,
		    size_t, size_t *);
static struct b6s *merge_s6(const struct patch *, const struct pchg *,
		    size_t, size_t *);
static uint32_t	 range_val(const struct pchg *, int);
static int	 range_cmp(u128, int, const struct pchg *);
static struct b4r *merge_r4(const struct patch *, const struct pchg *,
		    size_t, size_t *);
static struct b6r *merge_r6(const struct patch *, const struct pchg *,
		    size_t, size_t *);

/* By family, bits, prefix, then order of the changes. */
static int
pchg_cmp(const void *pa, const void *pb)
{
	const struct pchg	*a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return order3(a->key, a->prefix, a->seq, b->key, b->prefix, b->seq);
}

static int
pchg_same(const void *pa, const void *pb)
{
	const struct pchg	*a = pa, *b = pb;

	return a->family == b->family && a->key == b->key &&
	    a->prefix == b->prefix;
}

/* Is c (an IPv4 change) one to a test point, 127.0.0.1/32 or .2/32? */
static int
is_tp(const struct pchg *c)
{
	return c->prefix == 32 && ((uint32_t)c->key == RFC5782_TP_NEVER ||
	    (uint32_t)c->key == RFC5782_TP_LISTED);
}

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
	return order3(net, prefix, 0, c->key, c->prefix, 0);
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
		if (j < nc && is_tp(&c[j])) {
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
			o[k].val = map_val(o[k].val, pa->oldmap);
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
			o[k].val = map_val(o[k].val, pa->oldmap);
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
	uint32_t		*oldmap, rsn;
	size_t			 i, n4;
	const char		*reason;

	memset(&vt, 0, sizeof(vt));
	memset(&st, 0, sizeof(st));
	memset(&p, 0, sizeof(p));
	if (n >= UINT32_MAX)
		return NULL;

	/* The base's values first, then the changes' (by value). */
	p.defsid = zi_strtab_intern(&st, zi->defrsn);
	p.tpsid = zi_strtab_intern(&st, zi->tprsn);
	oldmap = xreallocarray(NULL, zi->nvalues + 1, sizeof(*oldmap));
	for (i = 0; i < zi->nvalues; i++)
		oldmap[i] = zi_valtab_intern(&vt, zi->values[i].code,
		    zi_strtab_intern(&st, zi->values[i].txt));
	pa.zi = zi;
	pa.oldmap = oldmap;
	pa.tpval = zi_valtab_intern(&vt, RFC5782_TP_LISTED, p.tpsid);
	c = xreallocarray(NULL, n + 1, sizeof(*c));
	memset(c, 0, (n + 1) * sizeof(*c));
	for (i = 0; i < n; i++) {
		if (zi_norm(&ch[i].net, &a, &c[i].key) == -1)
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
				rsn = zi_strtab_intern(&st, reason);
			} else if (a.family == 4 && a.prefix == 32 &&
			    c[i].key == RFC5782_TP_LISTED)
				rsn = p.tpsid;
			else
				rsn = p.defsid;
			c[i].val = zi_valtab_intern(&vt, ch[i].code, rsn);
		}
	}

	/* Sorted as the entries are, the last change for a prefix wins. */
	n = zi_sort_last(c, n, sizeof(*c), pchg_cmp, pchg_same);
	for (n4 = 0; n4 < n && c[n4].family == 4; n4++)
		;
	p.tp1 = zi->tp1;
	p.tp2 = zi->tp2;
	for (i = 0; i < n4; i++) {
		if (!is_tp(&c[i]))
			continue;
		if ((uint32_t)c[i].key == RFC5782_TP_NEVER)
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
	out = zi_assemble(&p);
 out:
	free(s4);
	free(r4);
	free(s6);
	free(r6);
	free(c);
	free(oldmap);
	zi_valtab_clear(&vt);
	zi_strtab_clear(&st);
	return out;
}
