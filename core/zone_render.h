/*
 * zone_render.h -- the list as DNS records: what `orblctl export --format
 * zone` writes as text and what orbl-dnsd sends in AXFR and IXFR, from
 * this one code.
 *
 * DNS has no "this CIDR range": the entries (most specific wins, RFC 5782
 * test points forced) become a partition of the address space into
 * intervals of equal answer, and one walk down the label tree emits
 * wildcards for blocks that answer alike and explicit names where RFC 4592
 * needs them (see zone_render.c).  Control path: allocates.
 *
 * The records are those below the apex only (A and TXT); the apex (SOA,
 * NS) and the NS hosts' addresses are the caller's.
 *
 * The zone carries no IPv4-mapped IPv6 names except the test points: an
 * IPv6 entry inside ::ffff:0:0/96 is rendered as the IPv4 entry it maps
 * (as orbl-dnsd answers it).  A TXT template's '$' is the address for an
 * explicit name and the entry's CIDR for a wildcard: a zone cannot vary it
 * per query.
 *
 * Top blocks: the apex has no wildcard, so the subtree below each label
 * right under the apex is rendered independently of the others.  The top
 * labels are "0".."255" (IPv4 /8s) and "0".."9", "a".."f" (IPv6 /4s);
 * "0".."9" hold an IPv4 /8 and an IPv6 /4 at once.  A top label is
 * numbered 0..255 for "0".."255" and 256..261 for "a".."f".
 */
#ifndef ORBL_ZONE_RENDER_H
#define ORBL_ZONE_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define ZR_TOPS		262	/* top labels: 0..255, then a..f */
#define ZR_LABELS_MAX	34	/* 32 nibbles, a wildcard, spare */
#define ZR_TXT_MAX	1024	/* an expanded TXT, longer is cut */

#define ZR_TYPE_A	1
#define ZR_TYPE_TXT	16

/* One record, borrowed for the duration of the callback. */
struct zr_rr {
	int		 nlabels;	/* labels below the apex */
	const char	*label[ZR_LABELS_MAX];	/* most specific first,
					   label[0] may be "*" */
	int		 top;		/* the top label's number */
	uint16_t	 type;		/* ZR_TYPE_A or ZR_TYPE_TXT */
	uint32_t	 a;		/* A: 127.0.0.x, host order */
	const char	*txt;		/* TXT: the expanded text (no quoting,
					   not split in 255-byte strings) */
	size_t		 txtlen;
};

/* Returns 0 to go on; anything else stops the render and is returned. */
typedef int	(*zr_emit_fn)(const struct zr_rr *, void *arg);

struct zr;

/* default_reason: the TXT of entries without a reason ('$' allowed). */
struct zr *zr_new(const char *default_reason);
/*
 * One entry (any order; the last one added for a prefix wins).  reason
 * NULL or "": the default; copied.  Returns 0, -1 if malformed.
 */
int	 zr_add(struct zr *, const struct addr *net, int exclude,
	    uint32_t code, const char *reason);
/*
 * Emit every record below the apex, top label by top label in order
 * (tops NULL), or only those under the top labels whose tops[n] is set.
 * Entries can no longer be added after the first render.
 * Returns 0, or what emit returned.
 */
int	 zr_render(struct zr *, const uint8_t *tops, zr_emit_fn, void *arg);
/* Records emitted by renders so far, and answer intervals (IPv4, IPv6). */
void	 zr_counts(const struct zr *, size_t *records, size_t *iv4,
	    size_t *iv6);
void	 zr_free(struct zr *);

/*
 * Mark in tops[ZR_TOPS] the top labels whose subtree net touches (one
 * for an IPv4 prefix of /8 or longer, several for a shorter one; IPv6
 * likewise by /4; an IPv4-mapped prefix marks its IPv4 tops).
 */
void	 zr_mark_tops(const struct addr *net, uint8_t *tops);

/*
 * The records that differ between two renders of the tops marked in
 * tops: del gets the records of old that new does not have, then add the
 * records of new that old does not have (each set in a canonical order).
 * This is IXFR's condensed difference.  Returns 0, or what a callback
 * returned.
 */
int	 zr_diff(struct zr *old, struct zr *new, const uint8_t *tops,
	    zr_emit_fn del, zr_emit_fn add, void *arg);

#endif
