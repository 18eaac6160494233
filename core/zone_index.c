/*
 * zone_index.c -- the zone index orbl-dnsd answers from: the lookup (the
 * per-query path), stats and free.  Building an index is zone_build.c,
 * patching one zone_patch.c; the layout is described in zone_int.h.
 * Everything the lookup calls is in this file or static inline in
 * zone_int.h, so a query makes no call into another file.
 */
#include <stdlib.h>
#include <string.h>

#include "zone_index.h"
#include "zone_int.h"

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
 * zone_index_foreach: the entries back from the layout.  IPv4 singles are
 * the listed /32s (with the forced 127.0.0.2), r4ent the other IPv4
 * entries (with every /32 exclusion and the forced 127.0.0.1), r6ent the
 * IPv6 ones (with the forced ::ffff:0:0/96 exclusion).
 */

/* Is a top label from first to last (IPv4 /8s or IPv6 /4s) marked? */
static int
fe_touch(const uint8_t *tops, unsigned int first, unsigned int last, int v6)
{
	unsigned int	 t;

	if (tops == NULL)
		return 1;
	for (t = first; t <= last; t++)
		if (tops[v6 && t >= 10 ? 256 + t - 10 : t])
			return 1;
	return 0;
}

static void
fe_addr6(u128 x, int prefix, struct addr *a)
{
	int	 i;

	memset(a, 0, sizeof(*a));
	a->family = 6;
	a->prefix = (uint8_t)prefix;
	for (i = 15; i >= 0; i--, x >>= 8)
		a->a[i] = (uint8_t)x;
}

/* One entry to cb: val an index into values, or VAL_EXCL. */
static int
fe_call(const struct zone_index *zi, const struct addr *a, uint32_t val,
    int tp, int (*cb)(const struct addr *, int, uint32_t, const char *,
    void *), void *arg)
{
	const struct zi_value	*v;
	const char		*rsn;

	if (val == VAL_EXCL)
		return cb(a, 1, 0, NULL, arg);
	v = &zi->values[val];
	rsn = v->txt;
	if (strcmp(rsn, zi->defrsn) == 0 ||
	    (tp && strcmp(rsn, zi->tprsn) == 0))
		rsn = NULL;
	return cb(a, 0, v->code, rsn, arg);
}

int
zone_index_foreach(const struct zone_index *zi, const uint8_t *tops,
    int (*cb)(const struct addr *net, int exclude, uint32_t code,
    const char *reason, void *arg), void *arg)
{
	const struct b4r	*r4;
	const struct b6r	*r6;
	struct addr		 a;
	uint32_t		 ip, hi;
	size_t			 b, i;
	int			 rc;

	for (b = 0; b < S4_BUCKETS; b++) {
		if (tops != NULL && !tops[b >> 8])
			continue;
		for (i = zi->s4off[b]; i < zi->s4off[b + 1]; i++) {
			ip = (uint32_t)b << 16 | zi->s4key[i];
			if (ip == RFC5782_TP_LISTED && !zi->tp2)
				continue;
			addr_set_v4(&a, ip, 32);
			if ((rc = fe_call(zi, &a, zi->s4v16 ? zi->s4v16[i] :
			    zi->s4v32[i], ip == RFC5782_TP_LISTED, cb,
			    arg)) != 0)
				return rc;
		}
	}
	for (i = 0; i < zi->r4entries; i++) {
		r4 = &zi->r4ent[i];
		if (r4->prefix == 32 && r4->net == RFC5782_TP_NEVER &&
		    !zi->tp1)
			continue;
		hi = r4->net | (uint32_t)(((uint64_t)1 << (32 - r4->prefix)) -
		    1);
		if (!fe_touch(tops, r4->net >> 24, hi >> 24, 0))
			continue;
		addr_set_v4(&a, r4->net, r4->prefix);
		if ((rc = fe_call(zi, &a, r4->val, 0, cb, arg)) != 0)
			return rc;
	}
	for (i = 0; i < zi->ns6; i++) {
		if (!fe_touch(tops, (unsigned int)(zi->s6key[i] >> 124),
		    (unsigned int)(zi->s6key[i] >> 124), 1))
			continue;
		fe_addr6(zi->s6key[i], 128, &a);
		if ((rc = fe_call(zi, &a, zi->s6val[i], 0, cb, arg)) != 0)
			return rc;
	}
	for (i = 0; i < zi->r6entries; i++) {
		r6 = &zi->r6ent[i];
		if (r6->prefix == 96 && r6->net == MAPPED_HI << 32)
			continue;	/* forced: the IPv4 data's block */
		if (!fe_touch(tops, (unsigned int)(r6->net >> 124),
		    (unsigned int)((r6->net | hostmask6(r6->prefix)) >> 124),
		    1))
			continue;
		fe_addr6(r6->net, r6->prefix, &a);
		if ((rc = fe_call(zi, &a, r6->val, 0, cb, arg)) != 0)
			return rc;
	}
	return 0;
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
