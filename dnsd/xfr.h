/*
 * xfr.h -- orbl-dnsd as a primary: zone transfers (AXFR, RFC 5936; IXFR,
 * RFC 1995) over TCP, TSIG (RFC 8945) on transfers and on signed queries,
 * and who may transfer (`xfr_allow = CIDR [KEYNAME]`).
 *
 * A transfer runs on a thread of its own, so queries keep being answered:
 * it renders the zone from the immutable data it was asked on (pinned
 * until it ends: dnsd.h), records by records (core/zone_render.h, the
 * code `orblctl export --format zone` writes with), packs them into
 * messages and hands them to the main thread, which writes them to the
 * connection.  At most 256 KiB wait to be written; a secondary that reads
 * slowly slows its transfer, never the server.  IXFR reads the journal
 * (its own read-only SQLite connection) from the secondary's serial to
 * the data's: the records of the top blocks the changes touch, rendered
 * before and after, give the condensed difference.  A secondary behind
 * the journal's horizon, or a difference bigger than the zone, gets the
 * whole zone (AXFR-style, RFC 1995 4).
 */
#ifndef ORBL_XFR_H
#define ORBL_XFR_H

#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "query.h"
#include "tsig.h"

struct bufferevent;
struct conf;
struct dnsd_data;
struct event_base;
struct xfr;
struct xfr_job;

struct xfr_stats {
	uint64_t	 axfr, ixfr;	/* transfers served, by kind */
	uint64_t	 ixfr_full;	/* IXFR answered with the whole zone */
	uint64_t	 ixfr_current;	/* IXFR from the current serial: SOA */
	uint64_t	 refused;	/* not allowed (REFUSED) */
	uint64_t	 notauth;	/* TSIG failed (NOTAUTH) */
	uint64_t	 failed;	/* cut off (client gone, error) */
	uint64_t	 messages, bytes;
	uint64_t	 signed_queries;	/* TSIG-signed ordinary queries */
	int		 running;
};

/* Keys and the xfr_allow rules; NULL with the reason in err. */
struct xfr *xfr_new(const struct conf *, char *err, size_t errlen);
/* Start taking finished work on base (the TCP connections' loop). */
int	 xfr_start(struct xfr *, struct event_base *);
const struct tsig_keys *xfr_keys(const struct xfr *);

/*
 * A TSIG-signed query that is not a transfer (a secondary's SOA check):
 * verify, answer as usual into out with room for the TSIG, sign.  A
 * request that fails verification gets NOTAUTH with the TSIG error.
 * *keyed: 1 if the signature verified (the source holds a key of ours).
 * Any thread.  Returns the reply length, 0 for none.
 */
size_t	 xfr_signed_answer(struct xfr *, const struct dnsd_data *,
	    const uint8_t *pkt, size_t len, const struct query *, int tcp,
	    uint8_t *out, size_t outcap, struct answer_stats *, int *keyed);

/*
 * An IXFR over UDP (RFC 1995 2): the SOA alone to a secondary that may
 * transfer (it then asks over TCP), REFUSED (NOTAUTH for a bad TSIG) to
 * anyone else.  *keyed as for xfr_signed_answer.  Any thread.  Returns
 * the reply length.
 */
size_t	 xfr_udp_ixfr(struct xfr *, const struct dnsd_data *,
	    const uint8_t *pkt, size_t len, const void *peer, uint8_t *out,
	    size_t outcap, int *keyed);

/*
 * A transfer request on a TCP connection (main thread).  Either answers
 * at once (REFUSED, NOTAUTH, FORMERR, too many transfers) into bev's
 * output and returns NULL, or starts a transfer of d and returns it:
 * the caller stops reading the connection until done(arg, ok) is called
 * (ok 0: the transfer broke off half-sent, close the connection),
 * calls xfr_job_pull() when bev's output has drained, and
 * xfr_job_cancel() if the connection goes first (done is not called
 * then).  *rcode: the rcode answered at once, or 0 for a transfer (for
 * the caller's counters).
 */
struct xfr_job *xfr_begin(struct xfr *, struct dnsd_data *d,
	    const uint8_t *pkt, size_t len, const void *peer,
	    struct bufferevent *bev, void (*done)(void *, int), void *arg,
	    int *rcode);
void	 xfr_job_pull(struct xfr_job *);
void	 xfr_job_cancel(struct xfr_job *);

void	 xfr_stats(const struct xfr *, struct xfr_stats *);
/* Stop every transfer (joins their threads) and free. */
void	 xfr_free(struct xfr *);

#endif
