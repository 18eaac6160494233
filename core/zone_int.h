/*
 * zone_int.h -- the zone index's internals, shared by its three parts:
 * zone_build.c (the builder, and zi_assemble() that lays out every
 * index), zone_patch.c (a new index from an old one plus changes) and
 * zone_index.c (the lookup, orbl-dnsd's per-query path).  Only
 * core/zone_*.c include it; the API is zone_index.h.
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
 * the values they use), which zi_assemble() lays out: the builder sorts
 * what was added (a radix sort for the IPv4 singles; stable, so the last
 * entry added for a prefix is found last and wins), and a patch merges
 * the sorted changes into the entries of an existing index, one linear
 * pass each.
 */
#ifndef ORBL_ZONE_INT_H
#define ORBL_ZONE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "zone_index.h"

__extension__ typedef unsigned __int128 u128;

#define VAL_NONE	UINT32_MAX	/* interval map: not listed */
#define VAL_EXCL	UINT32_MAX	/* entries: an exclusion */
#define S4_BUCKETS	65536
#define ARENA_MAX	(UINT32_MAX - 2 * (size_t)UINT16_MAX)
#define MAPPED_HI	((u128)0xffff)	/* ::ffff:0:0/96 >> 32 */

_Static_assert(_Alignof(u128) <= _Alignof(max_align_t),
    "malloc does not align __int128");
_Static_assert(VAL_NONE == VAL_EXCL,
    "an excluded entry flattens to a not listed interval as it is");

struct b4s {			/* IPv4 /32 */
	uint32_t	 ip;
	uint32_t	 val;		/* value index, or VAL_EXCL */
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

/*
 * What zi_assemble() lays out: sorted, duplicate-free entries whose values
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
	struct b4r	*r4ent;		/* entries r4start/r4val came from */
	u128		*s6key;
	uint32_t	*s6val;
	u128		*r6start;
	uint32_t	*r6val;
	struct b6r	*r6ent;
	char		*strs;
};

/* zone_build.c: the tables and steps the builder and a patch share. */
void		*zi_grow(void *, size_t *, size_t, size_t);
uint32_t	 zi_strtab_intern(struct strtab *, const char *);
void		 zi_strtab_clear(struct strtab *);
uint32_t	 zi_valtab_intern(struct valtab *, uint32_t, uint32_t);
void		 zi_valtab_clear(struct valtab *);
int		 zi_norm(const struct addr *, struct addr *, u128 *);
size_t		 zi_sort_last(void *, size_t, size_t,
		    int (*)(const void *, const void *),
		    int (*)(const void *, const void *));
struct zone_index *zi_assemble(const struct parts *);

/*
 * Small helpers, static inline: load128 and hostmask6 also serve the
 * per-query path, which must not make a call into another file.
 */

static inline u128
load128(const uint8_t *a)
{
	u128	 x = 0;
	int	 i;

	for (i = 0; i < 16; i++)
		x = x << 8 | a[i];
	return x;
}

static inline u128
hostmask6(int prefix)
{
	return prefix == 0 ? ~(u128)0 : ((u128)1 << (128 - prefix)) - 1;
}

/* An entry's value through a value map; an exclusion stays one. */
static inline uint32_t
map_val(uint32_t val, const uint32_t *map)
{
	return val == VAL_EXCL ? VAL_EXCL : map[val];
}

/* How (a1, a2, a3) orders against (b1, b2, b3): -1, 0 or 1. */
static inline int
order3(u128 a1, int a2, uint32_t a3, u128 b1, int b2, uint32_t b3)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return a3 < b3 ? -1 : a3 > b3;
}

#endif
