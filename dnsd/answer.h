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

#include "counter.h"
#include "query.h"
#include "zone_index.h"

struct zone_conf;

#define ANSWER_EDNS_SIZE	1232	/* our UDP payload size (DNS flag day 2020) */

/*
 * Replies counted by query type and response code: a fixed array indexed
 * by these small numbers (no hashing, no allocation on the query path).
 * The names are answer_qtype_names[] and answer_rcode_names[].
 */
enum answer_qtype {
	ANSWER_QT_A, ANSWER_QT_NS, ANSWER_QT_SOA, ANSWER_QT_MX, ANSWER_QT_TXT,
	ANSWER_QT_AAAA, ANSWER_QT_ANY, ANSWER_QT_AXFR, ANSWER_QT_IXFR,
	ANSWER_QT_OTHER,	/* any other type, or no question */
	ANSWER_QT_N
};
enum answer_rcode {	/* the DNS numbers, BADVERS (16) last */
	ANSWER_RC_NOERROR, ANSWER_RC_FORMERR, ANSWER_RC_SERVFAIL,
	ANSWER_RC_NXDOMAIN, ANSWER_RC_NOTIMP, ANSWER_RC_REFUSED,
	ANSWER_RC_BADVERS,
	ANSWER_RC_N
};
extern const char *const answer_qtype_names[ANSWER_QT_N];
extern const char *const answer_rcode_names[ANSWER_RC_N];

/*
 * What answer_build() did, counted into its caller's counters (one
 * writer each, counter.h).  noerror counts answers with data, nodata the
 * NOERROR replies without; every reply is also counted once in
 * queries[qtype][rcode].  listed and not_listed count the lookups of a
 * whole IPv4 or IPv6 address under a zone, whatever the query type.
 */
struct answer_stats {
	dnsd_counter	 noerror, nxdomain, nodata, refused, formerr, notimp,
			 servfail, badvers, truncated, dropped;
	dnsd_counter	 listed, not_listed;
	dnsd_counter	 queries[ANSWER_QT_N][ANSWER_RC_N];
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

/*
 * What the query access rules (acl.h, quota.h) decided for the source.
 * REFUSE: REFUSED for every query.  BLOCKED and EXCESSIVE: names below a
 * zone's apex answer A 127.255.255.254 (blocked) or 127.255.255.255
 * (excessive number of queries) and a TXT saying why, other types NODATA;
 * the apex (SOA, NS) and the NS hosts answer as usual, so that resolvers
 * keep a working delegation.
 */
enum answer_mode {
	ANSWER_NORMAL, ANSWER_REFUSE, ANSWER_BLOCKED, ANSWER_EXCESSIVE
};
#define ANSWER_BLOCKED_A	0x7ffffffeU	/* 127.255.255.254 */
#define ANSWER_EXCESSIVE_A	0x7fffffffU	/* 127.255.255.255 */

struct answer_opts {
	enum answer_mode mode;
	const char	*src;		/* the source as text ('$' in the TXT) */
	size_t		 srclen;
	/* the COOKIE option to send (client + server cookie), or NULL */
	const uint8_t	*cookie;
	size_t		 cookielen;
};

/* answer_build() with the access rules' decision (opts NULL: normal). */
size_t	 answer_build_ex(const struct zone_conf *, const struct zone_index *,
	    const uint8_t *pkt, size_t len, const struct query *q,
	    enum query_result qr, int tcp, uint8_t *out, size_t outcap,
	    struct answer_stats *, const struct answer_opts *opts);

/*
 * RRL's slip: cut the reply in out (len bytes, built for q with opts) to
 * its header, question and OPT with TC set, so that a real resolver
 * retries over TCP.  With badcookie, BADCOOKIE (23) instead of TC: a
 * client that sent a cookie retries with the fresh server cookie in the
 * OPT, which exempts it from RRL (RFC 7873 5.2.3).  Returns the new
 * length.
 */
size_t	 answer_slip(uint8_t *out, size_t len, const struct query *q,
	    const struct answer_opts *opts, int badcookie);

#endif
