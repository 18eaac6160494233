/*
 * dnsbl_check.h -- ask several DNSBLs about one address at once (the
 * seed's multi-blacklist check: one address, every list, one answer):
 * per list, listed or not, the A codes, the TXT, or the error.  orblctl
 * check prints it; orbl-web's check page shows it beside orbl's own
 * answer.  One DNS client for both: dnsq.h, on the caller's event base.
 *
 * Every list's A and TXT queries go out at once: a check takes about
 * the slowest list's time, never the sum, and never more than the
 * timeout.  The A query decides: failed or not listed, the list is
 * settled (its TXT query dropped); listed, it waits for the TXT.
 *
 * A list answers "listed" with A records in 127.0.0.0/8.  Answers in
 * 127.255.255.0/24 are the lists' own error codes (Spamhaus: query
 * through a public resolver, over the limit) and answers outside
 * 127.0.0.0/8 mean a dead or hijacked list zone: both are errors, never
 * listings (dnsbl_classify, pure).
 */
#ifndef ORBL_DNSBL_CHECK_H
#define ORBL_DNSBL_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dnsq.h"

#define DNSBL_MAXLISTS	64
#define DNSBL_ZONEMAX	200	/* room for the 64 bytes of an IPv6 name */
#define DNSBL_ERRMAX	160

struct event_base;
struct dnsbl_check;

struct dnsbl_list {
	char			 zone[256];
	struct dnsq_srv		 srv[DNSQ_MAXSRV];	/* asked there */
	int			 nsrv;
	int			 done;
	int			 listed;
	uint32_t		 codes[DNSQ_MAXRR];	/* the A answer */
	int			 ncodes;
	char			*txt[DNSQ_MAXRR];	/* TXT, when listed */
	int			 ntxt;
	int64_t			 ms;			/* since the start */
	char			 err[DNSBL_ERRMAX];	/* "" : answered */
	/* the run's */
	struct dnsbl_check	*c;
	ldns_rdf		*qname;
	struct dnsq_query	*tq;		/* the TXT query */
	int			 adone, tdone;	/* A, TXT ended */
};

typedef void	dnsbl_fn(struct dnsbl_check *, void *arg);

struct dnsbl_check {
	struct dnsq		*dq;
	char			 rev[128];	/* the address's DNSBL name */
	struct dnsbl_list	*lists;
	int			 nlists;
	dnsbl_fn		*change, *end;
	void			*changearg, *endarg;
};

/* What an A answer of codes[0..n-1] says. */
enum dnsbl_verdict { DNSBL_CLEAR, DNSBL_LISTED, DNSBL_ERROR };
/* Pure: ERROR with the reason in err (a code outside 127/8, or only
 * the lists' own error codes 127.255.255.0/24). */
enum dnsbl_verdict dnsbl_classify(const uint32_t *codes, int n, char *err,
	    size_t errlen);

/*
 * One list as written in a configuration or on a command line: "ZONE"
 * or "ZONE@SERVER" (dnsq_srv_parse: IP, IP:PORT, [IPv6]:PORT), the len
 * bytes at spec (no NUL needed).  Sets *zone and *zlen (inside spec) and,
 * with a server, *srv and *has_srv = 1.  Pure.  0, or -1 with the reason
 * in err, prefixed by what ("--lists: ", say) for a bad server.
 */
int	 dnsbl_spec_parse(const char *spec, size_t len, const char *what,
	    const char **zone, size_t *zlen, struct dnsq_srv *srv,
	    int *has_srv, char *err, size_t errlen);

/* A check of ip on base; each query gives up after timeout_ms. */
struct dnsbl_check *dnsbl_check_new(struct event_base *, const struct addr *ip,
	    int64_t timeout_ms);
void	 dnsbl_check_free(struct dnsbl_check *);
/*
 * Add a list: zone (zlen bytes; a trailing dot is dropped) asked at
 * srv[0..nsrv-1]; nsrv 0: the list fails with why before it starts.  The
 * same list twice is added once.  0, or -1 with the reason in err (a bad
 * zone name, too many lists).  Before the start only.
 */
int	 dnsbl_check_add(struct dnsbl_check *, const char *zone, size_t zlen,
	    const struct dnsq_srv *srv, int nsrv, const char *why, char *err,
	    size_t errlen);
/* change(c, arg) after each list is settled (progress). */
void	 dnsbl_check_on_change(struct dnsbl_check *, dnsbl_fn *, void *);
/* Every list's queries at once; end(c, arg) runs from the event loop
 * once every list is settled, and may free the check. */
void	 dnsbl_check_start(struct dnsbl_check *, dnsbl_fn *end, void *arg);
/* Start, and run the base until every list is settled. */
void	 dnsbl_check_run(struct dnsbl_check *);
/* Lists that answered (no error), and of them listed. */
void	 dnsbl_check_count(const struct dnsbl_check *, int *answered,
	    int *listed);

#endif
