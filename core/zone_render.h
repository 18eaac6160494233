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
 * (as orbl-dnsd answers it); a shorter IPv6 prefix (/95 or less) that
 * covers that block still covers it with its wildcards (orbl-dnsd answers
 * those names from the IPv4 data).  The RFC 5782 test points are forced
 * as orbl-dnsd's index forces them: 127.0.0.2 and ::ffff:127.0.0.2 are
 * always listed (RFC5782_DEFAULT_A with RFC5782_TP_REASON, or the code and
 * reason of a listed 127.0.0.2/32 in the data), 127.0.0.1 and
 * ::ffff:127.0.0.1 are "not listed".  A TXT template's '$' is the address for an explicit
 * name and the entry's CIDR for a wildcard (a zone cannot vary it per
 * query), expanded as lookup_expand() does, cut at ZR_TXT_MAX - 1 bytes.
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

/* The TXT of a name that exists only to say "not listed" (an exclusion
 * inside a wildcard's block, RFC 4592): no A record goes with it. */
#define ZR_EXCLUDED_TXT	"not listed"

/* One record, borrowed for the duration of the callback. */
struct zr_rr {
	int		 nlabels;	/* labels below the apex */
	const char	*label[ZR_LABELS_MAX];	/* most specific first,
					   label[0] may be "*" */
	int		 top;		/* the top label's number */
	uint16_t	 type;		/* ZR_TYPE_A or ZR_TYPE_TXT */
	uint32_t	 a;		/* A: 127.0.0.x, host order */
	const char	*txt;		/* TXT: the expanded text (no quoting,
					   not split in 255-byte strings),
					   NUL-terminated */
	size_t		 txtlen;
};

/* Returns 0 to go on; anything else stops the render and is returned.
 * The callback must not render the same struct zr. */
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
 * (tops NULL), or only those under the top labels whose tops[n] is set
 * (the same records, in the same order, as that part of a full render).
 * Entries can no longer be added after the first render (zr_add then
 * returns -1).  A struct zr is not for two renders at once.
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
 * records of new that old does not have (each set in a canonical order:
 * by top label, then by the bytes of owner, type and rdata).  This is
 * IXFR's condensed difference.  old or new NULL: an empty zone.  Both
 * need only hold the entries that touch the marked tops (see
 * zone_index_foreach).  Memory: the records of one top of old and new,
 * plus the additions.  Returns 0, or what a callback returned.
 */
int	 zr_diff(struct zr *old, struct zr *new, const uint8_t *tops,
	    zr_emit_fn del, zr_emit_fn add, void *arg);

/*
 * The same difference, finer: subs[ZR_TOPS * ZR_SUBS] marks second-level
 * blocks (top label t, child slot c: subs[t * ZR_SUBS + c]; slots
 * 0..255 for labels "0".."255", 256..261 for "a".."f"), an IPv4 /16 or an
 * IPv6 /8 each.  Where a top answers the same before and after (its own
 * records, the wildcard its children inherit), only the marked blocks
 * are rendered; elsewhere the whole top is.  What it emits is what
 * zr_diff emits for the tops of the marked blocks, when every change
 * lies inside the marked blocks.
 */
#define ZR_SUBS		262
void	 zr_mark_subs(const struct addr *net, uint8_t *subs);
int	 zr_diff_subs(struct zr *old, struct zr *new, const uint8_t *subs,
	    zr_emit_fn del, zr_emit_fn add, void *arg);

#endif
