/*
 * zone_index.h -- the immutable in-memory index orbl-dnsd answers from.
 *
 * Built once from the listings (control path: may allocate), then never
 * modified: readers need no locks, and the index is freed as a unit when
 * a newer one has replaced it.  Lookups are the hot path: they allocate
 * nothing, take no lock and do not log.
 *
 * Semantics:
 *  - entries are IPv4/IPv6 prefixes, listed (with a value: A code and TXT
 *    template) or excluded (carved out of an enclosing listed range);
 *  - the most specific entry containing an address decides;
 *  - RFC 5782 test points: 127.0.0.2 is always listed (code 127.0.0.2),
 *    127.0.0.1 never, whatever the data says; the IPv6 test points
 *    ::ffff:7f00:2 / ::ffff:7f00:1 follow because every IPv4-mapped IPv6
 *    address (::ffff:0:0/96) is answered from the IPv4 data.  A listed
 *    127.0.0.2/32 in the data keeps its code, and its reason if it has
 *    one (otherwise RFC5782_TP_REASON).
 */
#ifndef ORBL_ZONE_INDEX_H
#define ORBL_ZONE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "rfc5782.h"

struct zone_index;
struct zone_index_builder;

/* What a listed address answers: valid as long as its index lives. */
struct zi_value {
	uint32_t	 code;		/* A record, host order: 0x7f000002 */
	uint16_t	 txtlen;
	const char	*txt;		/* TXT template, '$' = queried address */
};


struct zone_index_builder *zone_index_builder_new(void);
/*
 * Add one entry.  reason NULL or "" means the default reason given to
 * _finish; it is copied (reasons longer than 65535 bytes are cut).  Host
 * bits past the prefix are ignored; an IPv6 prefix inside ::ffff:0:0/96 is
 * stored as the IPv4 prefix it maps.  Duplicate prefixes: the last one
 * added wins.  Returns 0, or -1 if the entry is malformed (bad
 * family/prefix) or the builder is full (2^32 - 1 entries).
 */
int	 zone_index_builder_add(struct zone_index_builder *,
	    const struct addr *net, int exclude, uint32_t code,
	    const char *reason);
/* Build the index and free the builder (default_reason NULL: "").  Never
 * returns NULL. */
struct zone_index *zone_index_builder_finish(struct zone_index_builder *,
	    const char *default_reason);
/* Free a builder that was not finished (error paths).  NULL is a no-op. */
void	 zone_index_builder_free(struct zone_index_builder *);

void	 zone_index_free(struct zone_index *);

/*
 * One change to the entries, as the journal records it: an add (new or
 * replacing the entry with the same prefix) or a remove.
 */
struct zi_change {
	int		 remove;	/* 1: remove; 0: add or replace */
	struct addr	 net;
	int		 exclude;
	uint32_t	 code;
	const char	*reason;	/* NULL or "": the default */
	int64_t		 expires;	/* 0: never */
};

/*
 * A new index: base with the changes applied in order (control path).
 * An add replaces any entry with the same prefix (an IPv4-mapped IPv6
 * prefix is its IPv4 prefix, as in _add); a remove deletes it (a missing
 * one is no error); an add that has expired (expires != 0 && expires <=
 * now) counts as a remove.  The result answers exactly like an index
 * built from the final entries with base's default reason.  base is only
 * read (readers may be using it) and stays valid.  The cost is linear in
 * the size of base plus n log n; changes to ranges and exclusions
 * re-flatten the interval maps from the entry lists the index keeps.
 * Returns NULL, building nothing, if a change is malformed (bad
 * family/prefix) or a reason does not fit.
 */
struct zone_index *zone_index_patch(const struct zone_index *base,
	    const struct zi_change *changes, size_t n, int64_t now);

/*
 * Every entry of the data (control path: AXFR and IXFR render the zone
 * from it), in no given order, with the values the index answers: an
 * IPv6 entry inside ::ffff:0:0/96 comes as the IPv4 entry it maps to, the
 * forced test points do not come unless the data has them, a reason equal
 * to the default comes as NULL.  The data's test points come as the index
 * answers them: 127.0.0.1/32 excluded, 127.0.0.2/32 listed (its reason
 * NULL when it is the default or RFC5782_TP_REASON), whatever the data
 * said.  tops (zone_render.h's top labels) NULL: all; otherwise only
 * entries touching a marked top (as zr_mark_tops would mark them).  cb
 * returns 0 to go on; anything else stops and is returned.  The net is
 * borrowed for the call; the reason lives as long as the index.
 */
int	 zone_index_foreach(const struct zone_index *, const uint8_t *tops,
	    int (*cb)(const struct addr *net, int exclude, uint32_t code,
	    const char *reason, void *arg), void *arg);

/* Hot path.  NULL: not listed (no entry, or excluded). */
const struct zi_value *zone_index_lookup4(const struct zone_index *,
	    uint32_t ip);
const struct zi_value *zone_index_lookup6(const struct zone_index *,
	    const uint8_t ip[16]);
/*
 * Hot path.  Is any address inside net/prefix listed?  This tells an empty
 * non-terminal (NOERROR/NODATA) from a name that does not exist
 * (NXDOMAIN).  has6 looks at the IPv4 data for the part of the prefix that
 * lies in ::ffff:0:0/96.  Host bits of net past prefix are ignored; a
 * prefix out of range (< 0, > 32 / 128) answers 0.  O(log n).
 */
int	 zone_index_has4(const struct zone_index *, uint32_t net, int prefix);
int	 zone_index_has6(const struct zone_index *, const uint8_t net[16],
	    int prefix);

/*
 * Counts after duplicates are resolved: *_single are listed /32 and /128
 * (with the 127.0.0.2 test point), *_ranges the other entries (shorter
 * prefixes and every exclusion, with the forced 127.0.0.1 and
 * ::ffff:0:0/96 ones), values the distinct (code, reason) pairs that
 * some address answers.
 */
struct zone_index_stats {
	size_t	 v4_single, v4_ranges, v6_single, v6_ranges, values;
	size_t	 entries;	/* distinct prefixes of the data (127.0.0.1
				   and 127.0.0.2 counted if it has them) */
	size_t	 bytes;		/* memory held by the index */
};
void	 zone_index_stats(const struct zone_index *, struct zone_index_stats *);

#endif
