/*
 * zone_index.c -- the zone index orbl-dnsd answers from: the lookup (the
 * per-query path), stats and free.  Building an index is zone_build.c,
 * patching one zone_patch.c; the layout is described in zone_int.h.
 * Everything the lookup calls is in this file or static inline in
 * zone_int.h, so a query makes no call into another file.
 */
#include <stdlib.h>

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
