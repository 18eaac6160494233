/*
 * dnsq.h -- a small DNS client on libevent: many queries at once, each to
 * its own server(s), driven by the caller's event_base.  orblctl check
 * runs it on a private base until it is done (dnsq_run); orbl-web's check
 * page runs it on the server's base beside the HTTP traffic (dnsq_start:
 * nothing blocks, a callback says when every query has ended).
 *
 * Every query is sent over UDP when the run starts (one socket per
 * address family, replies matched by id, server and question), sent
 * again after half the timeout (to the next server when there are
 * several) and given up at the timeout; a truncated reply moves it to
 * TCP.  So a run takes about the slowest query's time, never the sum,
 * and never longer than the timeout.
 *
 * The reading of a reply (dnsq_reply_read) is pure: no I/O, no clock.
 */
#ifndef ORBL_DNSQ_H
#define ORBL_DNSQ_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#define DNSQ_MAXSRV		3	/* servers per query */
#define DNSQ_MAXRR		16	/* A codes and TXT strings kept */
#define DNSQ_EDNS		1232	/* our EDNS0 UDP size */
#define DNSQ_TIMEOUT_MAX	60000	/* ms: the longest timeout */

/* --- servers ---------------------------------------------------------- */

struct dnsq_srv {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

/* A numeric address and a port: 0, or -1 if ip is not an IP address. */
int	 dnsq_srv_set(struct dnsq_srv *, const char *ip, uint16_t port);
/* "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address (port 53):
 * 0, or -1 with the reason in err. */
int	 dnsq_srv_parse(const char *str, struct dnsq_srv *, char *err,
	    size_t errlen);
/* "192.0.2.1:53", "[2001:db8::1]:53"; returns buf. */
char	*dnsq_srv_fmt(const struct dnsq_srv *, char *buf, size_t len);
/* The nameservers of /etc/resolv.conf, at most max: how many (>= 1),
 * or -1 with the reason in err. */
int	 dnsq_srv_system(struct dnsq_srv *, int max, char *err,
	    size_t errlen);

/*
 * A timeout in seconds as text ("5", "1.5", "0.25"): more than 0 and at
 * most DNSQ_TIMEOUT_MAX ms, at least 1 ms.  s NULL: def.  0, or -1.
 */
int	 dnsq_timeout_parse(const char *s, int64_t def, int64_t *ms);

/* --- replies (pure) ----------------------------------------------------- */

/* The records of an answer of the type asked for, class IN. */
struct dnsq_answer {
	uint32_t	 codes[DNSQ_MAXRR];	/* A, host order */
	int		 ncodes;
	char		*txt[DNSQ_MAXRR];	/* TXT: one RR's strings joined,
						 * control bytes as '?' */
	int		 ntxt;
};
void	 dnsq_answer_free(struct dnsq_answer *);

enum dnsq_reply {
	DNSQ_IGNORE,		/* not a reply to the query: why says which */
	DNSQ_TRUNCATED,		/* TC over UDP: ask again over TCP */
	DNSQ_ANSWERED,		/* NOERROR or NXDOMAIN: the records in ans */
	DNSQ_RCODE		/* another RCODE: why is its name */
};

/*
 * Read buf (len bytes, a DNS message without the TCP length) as a reply
 * to the query with id asking type for qname, received over TCP or not.
 * ans must be zeroed; it is filled only for DNSQ_ANSWERED (then free it
 * with dnsq_answer_free).
 */
enum dnsq_reply dnsq_reply_read(const uint8_t *buf, size_t len, uint16_t id,
	    const ldns_rdf *qname, ldns_rr_type type, int tcp,
	    struct dnsq_answer *ans, char *why, size_t whylen);

/* --- a run of queries --------------------------------------------------- */

struct dnsq;
struct dnsq_query;
struct event_base;

/* How a query ended. */
struct dnsq_result {
	int				 answered;	/* NOERROR, NXDOMAIN */
	const struct dnsq_answer	*ans;		/* answered: records */
	const char			*err;		/* else: "timeout",
							 * "SERVFAIL", ... */
	int64_t				 ms;		/* since the run began */
};
typedef void	dnsq_done_fn(const struct dnsq_result *, void *arg);

/* A run on base where each query gives up after timeout_ms. */
struct dnsq	*dnsq_new(struct event_base *, int64_t timeout_ms);
/* Also in the middle of a run (from its end callback, say): what is
 * still pending is dropped without a callback. */
void		 dnsq_free(struct dnsq *);
/*
 * Ask type for qname (copied) of srv[0..nsrv-1] (copied; 1 to
 * DNSQ_MAXSRV): done is called once when the query ends, answered or
 * not, unless it is cancelled first.  Before dnsq_start only.
 */
struct dnsq_query *dnsq_add(struct dnsq *, const ldns_rdf *qname,
		    ldns_rr_type type, const struct dnsq_srv *srv, int nsrv,
		    dnsq_done_fn *done, void *arg);
/* Call fn(arg) every every_ms while the run goes on, also when no
 * reply comes (a progress line that must not wait for the next answer).
 * Before dnsq_start only. */
void		 dnsq_set_tick(struct dnsq *, int64_t every_ms,
		    void (*fn)(void *), void *arg);
/* End a query now without calling its done (e.g. from another's). */
void		 dnsq_cancel(struct dnsq *, struct dnsq_query *);
/*
 * Send every query and return: the base's loop does the rest.  end(arg)
 * is called once, from the loop (never from inside dnsq_start or a done
 * callback), when every query has ended; it may dnsq_free the run.
 * end may be NULL.
 */
void		 dnsq_start(struct dnsq *, void (*end)(void *), void *arg);
/* Queries not ended yet. */
size_t		 dnsq_pending(const struct dnsq *);
/* dnsq_start, then run the base until every query has ended (a private
 * base: its other events run too). */
void		 dnsq_run(struct dnsq *);

#endif
