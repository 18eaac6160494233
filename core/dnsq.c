/*
 * dnsq.c -- many DNS queries at once over UDP (TCP when truncated) on a
 * libevent base, and the reading of their replies (dnsq.h).
 *
 * The events: one persistent read event per UDP socket (one socket per
 * address family), one per TCP connection (write while connecting and
 * sending, read after), and one timer for the whole run, set to the
 * earliest retry, deadline or tick.  Whatever fires, sweep() then looks
 * at every query (a run has a few dozen): gives up the overdue ones,
 * resends the ones due, and sets the timer again.  The end callback runs
 * from an event of its own, so that no caller's code is on the stack of
 * a callback that frees the run.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "dnsq.h"
#include "log.h"
#include "net.h"
#include "xmalloc.h"

#define DNSQ_RBUF	65536

/* --- servers ---------------------------------------------------------- */

int
dnsq_srv_set(struct dnsq_srv *s, const char *ip, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	return net_sockaddr(ip, port, &s->ss, &s->len);
}

int
dnsq_srv_parse(const char *str, struct dnsq_srv *s, char *err,
    size_t errlen)
{
	struct conf_listen	 l;

	/* A bare address first: "::1" is no host:port. */
	if (dnsq_srv_set(s, str, 53) == 0)
		return 0;
	if (conf_parse_listen(str, 53, &l, err, errlen) == -1)
		return -1;
	if (dnsq_srv_set(s, l.host, l.port) == -1) {
		snprintf(err, errlen, "%s: not an IP address", str);
		return -1;
	}
	return 0;
}

char *
dnsq_srv_fmt(const struct dnsq_srv *s, char *buf, size_t len)
{
	char		 h[INET6_ADDRSTRLEN];
	uint16_t	 port;

	if (s->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&s->ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%u", h, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)&s->ss;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%u", h, port);
	}
	return buf;
}

int
dnsq_srv_system(struct dnsq_srv *v, int max, char *err, size_t errlen)
{
	ldns_resolver		*res;
	ldns_rdf		**ns;
	struct sockaddr_storage	*ss;
	ldns_status		 st;
	size_t			 i, sz;
	int			 n = 0;

	if ((st = ldns_resolver_new_frm_file(&res, NULL)) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "no system resolver: %s",
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	ns = ldns_resolver_nameservers(res);
	for (i = 0; i < ldns_resolver_nameserver_count(res) && n < max;
	    i++) {
		ss = ldns_rdf2native_sockaddr_storage(ns[i],
		    ldns_resolver_port(res), &sz);
		if (ss == NULL)
			continue;
		if (sz <= sizeof(v[n].ss)) {
			memset(&v[n], 0, sizeof(v[n]));
			memcpy(&v[n].ss, ss, sz);
			v[n].len = (socklen_t)sz;
			n++;
		}
		free(ss);
	}
	ldns_resolver_deep_free(res);
	if (n == 0)
		snprintf(err, errlen, "no nameserver in /etc/resolv.conf");
	return n == 0 ? -1 : n;
}

int
dnsq_timeout_parse(const char *s, int64_t def, int64_t *ms)
{
	char	*end;
	double	 v;

	if (s == NULL) {
		*ms = def;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v <= 0 ||
	    v * 1000 > DNSQ_TIMEOUT_MAX)
		return -1;
	*ms = (int64_t)(v * 1000 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

/* --- replies ------------------------------------------------------------ */

void
dnsq_answer_free(struct dnsq_answer *a)
{
	int	 i;

	for (i = 0; i < a->ntxt; i++)
		free(a->txt[i]);
	memset(a, 0, sizeof(*a));
}

/* The RR's character-strings joined, control bytes shown as '?'. */
static char *
txt_join(const ldns_rr *rr)
{
	const ldns_rdf	*f;
	const uint8_t	*d;
	char		*s;
	size_t		 i, k, n = 0, cap = 1;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		cap += ldns_rdf_size(ldns_rr_rdf(rr, i));
	s = xmalloc(cap);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		d = ldns_rdf_data(f);
		if (ldns_rdf_size(f) == 0 || d[0] >= ldns_rdf_size(f))
			continue;
		for (k = 1; k <= d[0]; k++)
			s[n++] = d[k] < 0x20 || d[k] == 0x7f ? '?' : (char)d[k];
	}
	s[n] = '\0';
	return s;
}

static void
answer_records(const ldns_pkt *p, ldns_rr_type type, struct dnsq_answer *a)
{
	const ldns_rr_list	*an = ldns_pkt_answer(p);
	const ldns_rr		*rr;
	const ldns_rdf		*f;
	const uint8_t		*d;
	size_t			 i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		if (type == LDNS_RR_TYPE_A && a->ncodes < DNSQ_MAXRR) {
			f = ldns_rr_rdf(rr, 0);
			if (f == NULL || ldns_rdf_size(f) != 4)
				continue;
			d = ldns_rdf_data(f);
			a->codes[a->ncodes++] = (uint32_t)d[0] << 24 |
			    (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
		} else if (type == LDNS_RR_TYPE_TXT && a->ntxt < DNSQ_MAXRR)
			a->txt[a->ntxt++] = txt_join(rr);
	}
}

enum dnsq_reply
dnsq_reply_read(const uint8_t *buf, size_t len, uint16_t id,
    const ldns_rdf *qname, ldns_rr_type type, int tcp,
    struct dnsq_answer *ans, char *why, size_t whylen)
{
	ldns_pkt		*p = NULL;
	const ldns_rr		*qr;
	ldns_lookup_table	*lt;
	ldns_pkt_rcode		 rc;
	enum dnsq_reply		 r;

	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
		snprintf(why, whylen, "a malformed reply");
		return DNSQ_IGNORE;
	}
	rc = ldns_pkt_get_rcode(p);
	qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if (ldns_pkt_id(p) != id || !ldns_pkt_qr(p)) {
		snprintf(why, whylen, "a reply that did not match");
		r = DNSQ_IGNORE;
	} else if (qr == NULL ? rc == LDNS_RCODE_NOERROR ||
	    rc == LDNS_RCODE_NXDOMAIN :
	    ldns_rr_get_type(qr) != type ||
	    ldns_dname_compare(ldns_rr_owner(qr), qname) != 0) {
		/* An answer must say what it answers; an error need not. */
		snprintf(why, whylen, "a reply to another question");
		r = DNSQ_IGNORE;
	} else if (ldns_pkt_tc(p) && !tcp)
		r = DNSQ_TRUNCATED;
	else if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) {
		answer_records(p, type, ans);
		r = DNSQ_ANSWERED;
	} else {
		if ((lt = ldns_lookup_by_id(ldns_rcodes, (int)rc)) != NULL)
			snprintf(why, whylen, "%s", lt->name);
		else
			snprintf(why, whylen, "RCODE %d", (int)rc);
		r = DNSQ_RCODE;
	}
	ldns_pkt_free(p);
	return r;
}

/* --- the run ------------------------------------------------------------ */

enum qstate { Q_NEW, Q_UDP, Q_CONNECT, Q_WRITE, Q_READ, Q_DONE };

struct dnsq_query {
	struct dnsq		*d;
	ldns_rdf		*qname;
	ldns_rr_type		 type;
	struct dnsq_srv		 srv[DNSQ_MAXSRV];
	int			 nsrv;
	dnsq_done_fn		*done;
	void			*arg;
	uint16_t		 id;
	enum qstate		 state;
	uint8_t			*wire;		/* the query (ldns allocated) */
	size_t			 wlen;
	int			 tries;		/* UDP sends */
	int64_t			 retry_at, deadline;
	char			 note[64];	/* an ignored reply, for the
						 * timeout */
	int			 fd;		/* TCP, -1 */
	struct event		*tev;		/* TCP: its event */
	short			 twhat;		/* ... EV_READ or EV_WRITE */
	int			 tsrv;		/* TCP: index of the server */
	uint8_t			*tbuf;		/* TCP: framed query, then
						 * the reply */
	size_t			 tlen, toff;
};

struct dnsq {
	struct event_base	*base;
	struct dnsq_query	**q;
	size_t			 nq, capq;
	int			 fd4, fd6;
	struct event		*ev4, *ev6;	/* the UDP sockets' reads */
	struct event		*timer;		/* retries, deadlines, tick */
	struct event		*fin;		/* runs end */
	int64_t			 t0, timeout;
	size_t			 pending;	/* queries not Q_DONE */
	int			 started, ended;
	uint8_t			*rbuf;		/* UDP receive buffer */
	void			(*end)(void *);
	void			*endarg;
	void			(*tick)(void *);
	void			*tickarg;
	int64_t			 tick_every, tick_at;
};

static void	sweep(struct dnsq *, int64_t);

struct dnsq *
dnsq_new(struct event_base *base, int64_t timeout_ms)
{
	struct dnsq	*d = xcalloc(1, sizeof(*d));

	d->base = base;
	d->fd4 = d->fd6 = -1;
	d->timeout = timeout_ms;
	return d;
}

void
dnsq_free(struct dnsq *d)
{
	struct dnsq_query	*q;
	size_t			 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nq; i++) {
		q = d->q[i];
		if (q->tev != NULL)
			event_free(q->tev);
		if (q->fd != -1)
			close(q->fd);
		free(q->tbuf);
		free(q->wire);
		ldns_rdf_deep_free(q->qname);
		free(q);
	}
	if (d->ev4 != NULL)
		event_free(d->ev4);
	if (d->ev6 != NULL)
		event_free(d->ev6);
	if (d->timer != NULL)
		event_free(d->timer);
	if (d->fin != NULL)
		event_free(d->fin);
	if (d->fd4 != -1)
		close(d->fd4);
	if (d->fd6 != -1)
		close(d->fd6);
	free(d->q);
	free(d->rbuf);
	free(d);
}

void
dnsq_set_tick(struct dnsq *d, int64_t every_ms, void (*fn)(void *),
    void *arg)
{
	d->tick = fn;
	d->tickarg = arg;
	d->tick_every = every_ms > 0 ? every_ms : 1;
}

struct dnsq_query *
dnsq_add(struct dnsq *d, const ldns_rdf *qname, ldns_rr_type type,
    const struct dnsq_srv *srv, int nsrv, dnsq_done_fn *done, void *arg)
{
	struct dnsq_query	*q;

	if (nsrv < 1 || nsrv > DNSQ_MAXSRV)
		fatalx("%s: %d servers", __func__, nsrv);
	if (d->started)
		fatalx("%s: the run has started", __func__);
	if (d->nq == d->capq) {
		d->capq = d->capq ? d->capq * 2 : 16;
		d->q = xreallocarray(d->q, d->capq, sizeof(*d->q));
	}
	q = xcalloc(1, sizeof(*q));
	if ((q->qname = ldns_rdf_clone(qname)) == NULL)
		fatalx("%s: out of memory", __func__);
	q->d = d;
	q->type = type;
	memcpy(q->srv, srv, sizeof(*srv) * (size_t)nsrv);
	q->nsrv = nsrv;
	q->done = done;
	q->arg = arg;
	q->fd = -1;
	q->state = Q_NEW;
	d->q[d->nq++] = q;
	return q;
}

size_t
dnsq_pending(const struct dnsq *d)
{
	return d->pending;
}

static uint16_t
unique_id(const struct dnsq *d)
{
	uint16_t	 id;
	size_t		 i;
	int		 dup;

	do {
		arc4random_buf(&id, sizeof(id));
		dup = 0;
		for (i = 0; i < d->nq && !dup; i++)
			dup = d->q[i]->wire != NULL && d->q[i]->id == id;
	} while (dup);
	return id;
}

static void
query_build(struct dnsq *d, struct dnsq_query *q)
{
	ldns_pkt	*p;
	ldns_rdf	*name;

	if ((name = ldns_rdf_clone(q->qname)) == NULL ||
	    (p = ldns_pkt_query_new(name, q->type, LDNS_RR_CLASS_IN,
	    LDNS_RD)) == NULL)
		fatalx("%s: out of memory", __func__);
	q->id = unique_id(d);
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_edns_udp_size(p, DNSQ_EDNS);
	if (ldns_pkt2wire(&q->wire, p, &q->wlen) != LDNS_STATUS_OK)
		fatalx("%s: cannot write a query", __func__);
	ldns_pkt_free(p);
}

/* Every query ended: end runs from the loop, once. */
static void
run_check_end(struct dnsq *d)
{
	if (d->started && !d->ended && d->pending == 0) {
		d->ended = 1;
		if (d->timer != NULL)
			evtimer_del(d->timer);
		event_active(d->fin, EV_TIMEOUT, 0);
	}
}

static void
query_close(struct dnsq *d, struct dnsq_query *q)
{
	/* Freeing the event of the callback that runs is allowed; nothing
	 * touches it after. */
	if (q->tev != NULL)
		event_free(q->tev);
	q->tev = NULL;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
	free(q->tbuf);
	q->tbuf = NULL;
	if (q->state != Q_NEW && q->state != Q_DONE)
		d->pending--;
	q->state = Q_DONE;
	run_check_end(d);
}

void
dnsq_cancel(struct dnsq *d, struct dnsq_query *q)
{
	if (q->state != Q_DONE)
		query_close(d, q);
}

/* End q: answered (ans) or not (err); then its done. */
static void
query_end(struct dnsq *d, struct dnsq_query *q, int64_t now,
    const struct dnsq_answer *ans, const char *err)
{
	struct dnsq_result	 r;

	if (q->state == Q_DONE)
		return;
	query_close(d, q);
	memset(&r, 0, sizeof(r));
	r.answered = ans != NULL;
	r.ans = ans;
	r.err = err;
	r.ms = now - d->t0;
	if (q->done)
		q->done(&r, q->arg);
}

static void
query_fail(struct dnsq *d, struct dnsq_query *q, int64_t now,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
query_fail(struct dnsq *d, struct dnsq_query *q, int64_t now,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 err[160];

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	query_end(d, q, now, NULL, err);
}

static void	udp_cb(evutil_socket_t, short, void *);

static int
udp_socket(struct dnsq *d, int family)
{
	int		*fd = family == AF_INET6 ? &d->fd6 : &d->fd4;
	struct event	**ev = family == AF_INET6 ? &d->ev6 : &d->ev4;

	if (*fd != -1)
		return *fd;
	if ((*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if ((*ev = event_new(d->base, *fd, EV_READ | EV_PERSIST, udp_cb,
	    d)) == NULL || event_add(*ev, NULL) == -1)
		fatalx("%s: cannot set up an event", __func__);
	return *fd;
}

static void
query_send(struct dnsq *d, struct dnsq_query *q, int64_t now)
{
	const struct dnsq_srv	*s = &q->srv[q->tries % q->nsrv];
	int			 fd;

	q->tries++;
	if ((fd = udp_socket(d, s->ss.ss_family)) == -1 ||
	    sendto(fd, q->wire, q->wlen, 0, (const struct sockaddr *)&s->ss,
	    s->len) == -1)
		query_fail(d, q, now, "send: %s", strerror(errno));
}

static void	tcp_cb(evutil_socket_t, short, void *);

/* q's TCP event waits for what its state needs. */
static void
tcp_arm(struct dnsq *d, struct dnsq_query *q)
{
	short	 what = q->state == Q_READ ? EV_READ : EV_WRITE;

	if (q->fd == -1 || (q->tev != NULL && q->twhat == what))
		return;
	if (q->tev != NULL)
		event_free(q->tev);
	q->twhat = what;
	if ((q->tev = event_new(d->base, q->fd, what | EV_PERSIST, tcp_cb,
	    q)) == NULL || event_add(q->tev, NULL) == -1)
		fatalx("%s: cannot set up an event", __func__);
}

static void
tcp_start(struct dnsq *d, struct dnsq_query *q, int si, int64_t now)
{
	const struct dnsq_srv	*s = &q->srv[si];
	int			 fd;

	q->tsrv = si;
	q->state = Q_CONNECT;
	if ((fd = socket(s->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		query_fail(d, q, now, "tcp: %s", strerror(errno));
		return;
	}
	q->fd = fd;
	q->tlen = q->wlen + 2;
	q->toff = 0;
	q->tbuf = xmalloc(q->tlen);
	q->tbuf[0] = (uint8_t)(q->wlen >> 8);
	q->tbuf[1] = (uint8_t)q->wlen;
	memcpy(q->tbuf + 2, q->wire, q->wlen);
	if (connect(fd, (const struct sockaddr *)&s->ss, s->len) == 0)
		q->state = Q_WRITE;
	else if (errno != EINPROGRESS) {
		query_fail(d, q, now, "tcp: %s", strerror(errno));
		return;
	}
	tcp_arm(d, q);
}

/* A reply for q (from server si; over TCP or not). */
static void
query_reply(struct dnsq *d, struct dnsq_query *q, const uint8_t *buf,
    size_t len, int si, int tcp, int64_t now)
{
	struct dnsq_answer	 ans;
	char			 why[64];

	memset(&ans, 0, sizeof(ans));
	switch (dnsq_reply_read(buf, len, q->id, q->qname, q->type, tcp, &ans,
	    why, sizeof(why))) {
	case DNSQ_IGNORE:
		/* Kept for the timeout: "timeout (after a malformed reply)". */
		snprintf(q->note, sizeof(q->note), "%s", why);
		if (tcp)
			query_fail(d, q, now, "%s over TCP", why);
		break;
	case DNSQ_TRUNCATED:
		tcp_start(d, q, si, now);
		break;
	case DNSQ_ANSWERED:
		query_end(d, q, now, &ans, NULL);
		dnsq_answer_free(&ans);
		break;
	case DNSQ_RCODE:
		query_fail(d, q, now, "%s", why);
		break;
	}
}

static struct dnsq_query *
query_by_id(struct dnsq *d, uint16_t id)
{
	size_t	 i;

	for (i = 0; i < d->nq; i++)
		if (d->q[i]->state == Q_UDP && d->q[i]->id == id)
			return d->q[i];
	return NULL;
}

/* Index of the query's server that ss is, or -1. */
static int
srv_index(const struct dnsq_query *q, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*a4 = (const void *)ss, *b4;
	const struct sockaddr_in6	*a6 = (const void *)ss, *b6;
	int				 i;

	for (i = 0; i < q->nsrv; i++) {
		if (q->srv[i].ss.ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET) {
			b4 = (const void *)&q->srv[i].ss;
			if (a4->sin_port == b4->sin_port &&
			    a4->sin_addr.s_addr == b4->sin_addr.s_addr)
				return i;
		} else {
			b6 = (const void *)&q->srv[i].ss;
			if (a6->sin6_port == b6->sin6_port &&
			    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0)
				return i;
		}
	}
	return -1;
}

/* Every datagram waiting on fd (a few at most: bounded by the queries
 * of the run, each answered at most twice, plus strays). */
static void
udp_read(struct dnsq *d, int fd, int64_t now)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct dnsq_query	*q;
	ssize_t			 n;
	int			 si;

	for (;;) {
		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		n = recvfrom(fd, d->rbuf, DNSQ_RBUF, 0,
		    (struct sockaddr *)&ss, &sl);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;		/* EAGAIN; errors: the timeout says */
		if (n < 12 || (q = query_by_id(d, (uint16_t)(d->rbuf[0] << 8 |
		    d->rbuf[1]))) == NULL || (si = srv_index(q, &ss)) == -1)
			continue;
		query_reply(d, q, d->rbuf, (size_t)n, si, 0, now);
	}
}

static void
udp_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsq	*d = arg;
	int64_t		 now = clock_mono_msec();

	(void)ev;
	udp_read(d, fd, now);
	sweep(d, now);
}

static void
tcp_event(struct dnsq *d, struct dnsq_query *q, int writable, int64_t now)
{
	ssize_t		 n;
	size_t		 need;
	int		 e;
	socklen_t	 el = sizeof(e);

	if (q->state == Q_CONNECT) {
		if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
		if (e != 0) {
			query_fail(d, q, now, "tcp: %s", strerror(e));
			return;
		}
		if (!writable)
			return;
		q->state = Q_WRITE;
	}
	if (q->state == Q_WRITE) {
		n = send(q->fd, q->tbuf + q->toff, q->tlen - q->toff,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == -1) {
			query_fail(d, q, now, "tcp: %s", strerror(errno));
			return;
		}
		if ((q->toff += (size_t)n) < q->tlen)
			return;
		free(q->tbuf);
		q->tbuf = xmalloc(65535 + 2);
		q->toff = 0;
		q->state = Q_READ;
		tcp_arm(d, q);
		return;
	}
	if (q->state != Q_READ)
		return;
	need = q->toff < 2 ? 2 : 2 + (size_t)(q->tbuf[0] << 8 | q->tbuf[1]);
	n = recv(q->fd, q->tbuf + q->toff, need - q->toff, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		query_fail(d, q, now, "tcp: %s", n == 0 ?
		    "connection closed" : strerror(errno));
		return;
	}
	q->toff += (size_t)n;
	if (q->toff == 2 && need == 2 && (q->tbuf[0] | q->tbuf[1]) == 0)
		query_fail(d, q, now, "tcp: empty reply");
	else if (q->toff == need && need > 2)
		query_reply(d, q, q->tbuf + 2, need - 2, q->tsrv, 1, now);
}

static void
tcp_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsq_query	*q = arg;
	struct dnsq		*d = q->d;
	int64_t			 now = clock_mono_msec();

	(void)fd;
	tcp_event(d, q, (ev & EV_WRITE) != 0, now);
	sweep(d, now);
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	sweep(arg, clock_mono_msec());
}

static void
fin_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct dnsq	*d = arg;

	(void)fd;
	(void)ev;
	/* The last thing: end may free d. */
	if (d->end != NULL)
		d->end(d->endarg);
}

/*
 * Give up the overdue queries, resend the ones due, tick, and set the
 * timer for the next of these.
 */
static void
sweep(struct dnsq *d, int64_t now)
{
	struct dnsq_query	*q;
	struct timeval		 tv;
	int64_t			 next;
	size_t			 i;

	if (d->ended)
		return;
	next = now + d->timeout;
	for (i = 0; i < d->nq; i++) {
		q = d->q[i];
		if (q->state == Q_DONE || q->state == Q_NEW)
			continue;
		if (now >= q->deadline) {
			if (q->note[0])
				query_fail(d, q, now, "timeout (after %s)",
				    q->note);
			else
				query_fail(d, q, now, "timeout");
			continue;
		}
		if (q->state == Q_UDP && q->tries == 1 && now >= q->retry_at)
			query_send(d, q, now);
		if (q->state == Q_DONE)
			continue;
		if (q->deadline < next)
			next = q->deadline;
		if (q->state == Q_UDP && q->tries == 1 && q->retry_at < next)
			next = q->retry_at;
	}
	if (d->ended || d->pending == 0)
		return;
	if (d->tick != NULL) {
		if (now >= d->tick_at) {
			d->tick(d->tickarg);
			d->tick_at = now + d->tick_every;
		}
		if (d->tick_at < next)
			next = d->tick_at;
	}
	if (next < now)
		next = now;
	tv.tv_sec = (time_t)((next - now) / 1000);
	tv.tv_usec = (suseconds_t)((next - now) % 1000 * 1000);
	evtimer_add(d->timer, &tv);
}

void
dnsq_start(struct dnsq *d, void (*end)(void *), void *arg)
{
	struct dnsq_query	*q;
	int64_t			 now;
	size_t			 i;

	if (d->started)
		fatalx("%s: started twice", __func__);
	d->end = end;
	d->endarg = arg;
	if ((d->timer = evtimer_new(d->base, timer_cb, d)) == NULL ||
	    (d->fin = event_new(d->base, -1, 0, fin_cb, d)) == NULL)
		fatalx("%s: cannot set up events", __func__);
	if (d->rbuf == NULL)
		d->rbuf = xmalloc(DNSQ_RBUF);
	d->t0 = now = clock_mono_msec();
	d->tick_at = now + d->tick_every;
	for (i = 0; i < d->nq; i++) {
		q = d->q[i];
		if (q->state != Q_NEW)
			continue;
		query_build(d, q);
		q->state = Q_UDP;
		q->retry_at = now + d->timeout / 2;
		q->deadline = now + d->timeout;
		d->pending++;
	}
	d->started = 1;
	/* All built first: every id is unique before the first reply. */
	for (i = 0; i < d->nq; i++)
		if (d->q[i]->state == Q_UDP && d->q[i]->tries == 0)
			query_send(d, d->q[i], now);
	run_check_end(d);
	sweep(d, now);
}

void
dnsq_run(struct dnsq *d)
{
	dnsq_start(d, NULL, NULL);
	while (!d->ended)
		if (event_base_loop(d->base, EVLOOP_ONCE) == -1)
			fatalx("%s: the event loop failed", __func__);
}
