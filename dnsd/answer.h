/*
 * answer.h -- write the reply to a parsed query into the caller's buffer.
 *
 * The zone data (apex names, SOA and NS RRsets with the current serial) is
 * pre-rendered to wire by zone_conf_new() (zone_conf.h) on the control
 * path (ldns may be used there); answer_build() is the hot path: no
 * allocation, no lock, no logging, no SQLite.
 */
#ifndef ORBL_ANSWER_H
#define ORBL_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "zone_index.h"

struct zone_conf;

#define ANSWER_EDNS_SIZE	1232	/* our UDP payload size (DNS flag day 2020) */

struct answer_stats {
	uint64_t	 noerror, nxdomain, nodata, refused, formerr, notimp,
			 servfail, badvers, truncated, dropped;
};

/*
 * Build the reply to pkt (len bytes, already parsed by query_parse() into
 * q with result qr) into out (outcap bytes, at least 512).  Over UDP (tcp
 * == 0) a reply may be at most max(512, min(client's EDNS size, 1232))
 * bytes; over TCP at most min(outcap, 65535).  If the reply does not fit,
 * it is cut to the header, question and OPT with TC set.  Returns the
 * reply length, or 0 for no reply (QUERY_DROP).
 */
size_t	 answer_build(const struct zone_conf *, const struct zone_index *,
	    const uint8_t *pkt, size_t len, const struct query *q,
	    enum query_result qr, int tcp, uint8_t *out, size_t outcap,
	    struct answer_stats *);

#endif
