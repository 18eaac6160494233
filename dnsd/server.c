/*
 * server.c -- see server.h.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/rand.h>

#include "acl.h"
#include "answer.h"
#include "conf.h"
#include "counter.h"
#include "dnsd.h"
#include "edns_cookie.h"
#include "log.h"
#include "net.h"
#include "query.h"
#include "quota.h"
#include "rrl.h"
#include "server.h"
#include "stats.h"
#include "xfr.h"
#include "xfr_req.h"
#include "xmalloc.h"

#define UDP_BATCH	32
#define UDP_RECV_MAX	4096		/* bigger queries are not queries */
#define UDP_SEND_MAX	4096
#define TCP_MSG_MAX	65535
#define TCP_OUT_HIGH	(256 * 1024)	/* stop reading a client that
					   does not read its answers */
#define WORKERS_MAX	64
#define RETIRED_MAX	16
#define RECLAIM_USEC	1000

struct tcp_conn {
	TAILQ_ENTRY(tcp_conn)	 entry;	/* LRU: head = longest idle */
	struct server		*srv;
	struct bufferevent	*bev;
	int			 closing;	/* EOF seen: flush, then close */
	struct xfr_job		*job;		/* a zone transfer under way:
						   reading waits for it */
	struct sockaddr_storage	 peer;		/* for the access rules */
};
TAILQ_HEAD(tcp_conns, tcp_conn);

/* The sockets' counters: one set per UDP worker, one for TCP. */
struct sock_stats {
	dnsd_counter	 udp_in, udp_out, udp_dropped;
	dnsd_counter	 tcp_accepted, tcp_evicted, tcp_idle_closed, tcp_in,
			 tcp_out, tcp_bad;
	/* the access rules and RRL */
	dnsd_counter	 acl_refused, acl_dropped, acl_blocked, excessive,
			 excessive_tc,
			 rrl_dropped, rrl_slipped;
	/* DNS cookies: a valid server cookie came, a new one was made,
	 * BADCOOKIE sent instead of an RRL slip */
	dnsd_counter	 cookie_valid, cookie_new, cookie_bad;
};

/*
 * A UDP worker: its own sockets (SO_REUSEPORT when there are several),
 * buffers and counters.  Worker 0 runs on the main event loop, the
 * others on threads of their own.  A worker marks itself active while it
 * holds a dnsd_data pointer (one batch) and counts its batches: that is
 * all the reclaimer needs to know when an old dnsd_data is unreachable.
 */
struct udp_worker {
	struct server		*srv;
	int			 idx;
	pthread_t		 thread;
	struct event_base	*base;
	int			 fds[CONF_MAX_LIST];
	struct event		*evs[CONF_MAX_LIST];
	int			 stopfd[2];
	struct event		*stopev;
	atomic_int		 active;
	atomic_ullong		 batches;
	struct sock_stats	 st;	/* written by this worker only */
	struct answer_stats	 ast;
	/* Pre-allocated I/O buffers: the query path allocates nothing. */
	uint8_t			 rbuf[UDP_BATCH][UDP_RECV_MAX];
	uint8_t			 wbuf[UDP_BATCH][UDP_SEND_MAX];
	struct sockaddr_storage	 from[UDP_BATCH];
	struct iovec		 riov[UDP_BATCH], wiov[UDP_BATCH];
	struct mmsghdr		 rmsg[UDP_BATCH], wmsg[UDP_BATCH];
};

struct retired {
	struct dnsd_data	*d;
	unsigned long long	 snap[WORKERS_MAX];
};

struct server {
	const struct conf	*conf;
	struct acl		 acl;
	struct rrl		 rrl;
	struct quota		 quota;		/* proven sources: TCP, a
						   valid server cookie */
	struct quota		 quota_udp;	/* the others (spoofable) */
	struct xfr		*xfr;		/* transfers, TSIG */
	int			 need_src;	/* a rule looks at the source */
	uint8_t			 cookie_secret[SIPHASH_KEYLEN];
	_Atomic(struct dnsd_data *) data;
	struct retired		 retired[RETIRED_MAX];
	int			 nretired;
	struct event		*reclaim_ev;
	struct udp_worker	*w[WORKERS_MAX];
	int			 nworkers;
	int			 nlisten;
	int			 tcp_fds[CONF_MAX_LIST];
	struct evconnlistener	*lev[CONF_MAX_LIST];
	struct tcp_conns	 conns;
	long long		 nconns;
	struct sock_stats	 st;	/* TCP counters (main thread) */
	struct answer_stats	 ast;	/* TCP answers (main thread) */
	uint8_t			 tcp_in[TCP_MSG_MAX];
	uint8_t			 tcp_out[2 + TCP_MSG_MAX];
};

static void	udp_read_cb(evutil_socket_t, short, void *);
static void	worker_stop_cb(evutil_socket_t, short, void *);
static void	reclaim_cb(evutil_socket_t, short, void *);
static void	tcp_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	tcp_read_cb(struct bufferevent *, void *);
static void	tcp_write_cb(struct bufferevent *, void *);
static void	tcp_event_cb(struct bufferevent *, short, void *);
static void	tcp_xfr_done(void *, int);
static void	xfr_count(struct server *, const uint8_t *, size_t, int);

static int
sock_bind(const struct conf_listen *l, int type, int reuseport, char *err,
    size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, on = 1;

	if (net_sockaddr(l->host, l->port, &ss, &sslen) == -1) {
		snprintf(err, errlen, "%s: bad address", l->host);
		return -1;
	}
	if ((fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		snprintf(err, errlen, "bind %s %s port %u: %s",
		    type == SOCK_DGRAM ? "udp" : "tcp", l->host, l->port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 128) == -1) {
		snprintf(err, errlen, "listen %s port %u: %s", l->host,
		    l->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * With several workers every one binds its own SO_REUSEPORT socket.  A
 * plain bind first makes sure nobody else holds the port: with
 * SO_REUSEPORT alone, a second daemon of the same user would silently
 * share it.
 */
static int
udp_bind_group(struct server *s, int li, char *err, size_t errlen)
{
	const struct conf_listen	*l = &s->conf->dns_listen[li];
	int				 i, fd;

	if (s->nworkers > 1) {
		if ((fd = sock_bind(l, SOCK_DGRAM, 0, err, errlen)) == -1)
			return -1;
		close(fd);
	}
	for (i = 0; i < s->nworkers; i++)
		if ((s->w[i]->fds[li] = sock_bind(l, SOCK_DGRAM,
		    s->nworkers > 1, err, errlen)) == -1)
			return -1;
	return 0;
}

struct server *
server_new(const struct conf *conf, char *err, size_t errlen)
{
	struct server	*s = xcalloc(1, sizeof(*s));
	long		 ncpu;
	int		 i, j;

	s->conf = conf;
	TAILQ_INIT(&s->conns);
	if (acl_init(&s->acl, conf, err, errlen) == -1 ||
	    rrl_init(&s->rrl, conf, 1, err, errlen) == -1 ||
	    quota_init(&s->quota, conf, 1, err, errlen) == -1 ||
	    quota_init(&s->quota_udp, conf, 1, err, errlen) == -1) {
		rrl_free(&s->rrl);
		quota_free(&s->quota);
		free(s);
		return NULL;
	}
	s->need_src = s->acl.active || s->rrl.rate > 0 || s->quota.limit > 0;
	if ((s->xfr = xfr_new(conf, err, errlen)) == NULL) {
		rrl_free(&s->rrl);
		quota_free(&s->quota);
		quota_free(&s->quota_udp);
		free(s);
		return NULL;
	}
	/* DNS cookies' secret: per process, no configuration (a restart
	 * costs cookie clients one round trip) */
	if (RAND_bytes(s->cookie_secret, sizeof(s->cookie_secret)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		rrl_free(&s->rrl);
		quota_free(&s->quota);
		quota_free(&s->quota_udp);
		free(s);
		return NULL;
	}
	s->nworkers = (int)conf->workers;
	if (s->nworkers <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		s->nworkers = ncpu > 0 ? (int)ncpu : 1;
	}
	if (s->nworkers > WORKERS_MAX)
		s->nworkers = WORKERS_MAX;
	s->nlisten = conf->ndns_listen;
	for (j = 0; j < s->nlisten; j++)
		s->tcp_fds[j] = -1;
	for (i = 0; i < s->nworkers; i++) {
		struct udp_worker *w = xcalloc(1, sizeof(*w));

		w->srv = s;
		w->idx = i;
		w->stopfd[0] = w->stopfd[1] = -1;
		for (j = 0; j < CONF_MAX_LIST; j++)
			w->fds[j] = -1;
		for (j = 0; j < UDP_BATCH; j++) {
			w->riov[j].iov_base = w->rbuf[j];
			w->riov[j].iov_len = sizeof(w->rbuf[j]);
			w->wiov[j].iov_base = w->wbuf[j];
		}
		s->w[i] = w;
	}
	for (j = 0; j < s->nlisten; j++) {
		if (udp_bind_group(s, j, err, errlen) == -1 ||
		    (s->tcp_fds[j] = sock_bind(&conf->dns_listen[j],
		    SOCK_STREAM, 0, err, errlen)) == -1) {
			server_free(s);
			return NULL;
		}
	}
	return s;
}

static void *
worker_main(void *arg)
{
	struct udp_worker	*w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static void
worker_start(struct udp_worker *w, struct event_base *mainbase)
{
	int	 j;

	if (w->idx == 0)
		w->base = mainbase;
	else if ((w->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (j = 0; j < w->srv->nlisten; j++) {
		w->evs[j] = event_new(w->base, w->fds[j], EV_READ | EV_PERSIST,
		    udp_read_cb, w);
		if (w->evs[j] == NULL || event_add(w->evs[j], NULL) == -1)
			fatalx("udp: event_add");
	}
	if (w->idx == 0)
		return;
	/* The main thread stops a worker through this pipe. */
	if (pipe2(w->stopfd, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe");
	w->stopev = event_new(w->base, w->stopfd[0], EV_READ, worker_stop_cb,
	    w);
	if (w->stopev == NULL || event_add(w->stopev, NULL) == -1)
		fatalx("worker: event_add");
	if ((errno = pthread_create(&w->thread, NULL, worker_main, w)) != 0)
		fatal("pthread_create");
}

static void
worker_stop_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct udp_worker	*w = arg;

	(void)fd;
	(void)ev;
	event_base_loopbreak(w->base);
}

void
server_start(struct server *s, struct event_base *base,
    struct dnsd_data *data)
{
	int	 i, j;

	atomic_store(&s->data, data);
	if (xfr_start(s->xfr, base) == -1)
		fatal("xfr_start");
	s->reclaim_ev = evtimer_new(base, reclaim_cb, s);
	if (s->reclaim_ev == NULL)
		fatalx("evtimer_new");
	for (j = 0; j < s->nlisten; j++) {
		s->lev[j] = evconnlistener_new(base, tcp_accept_cb, s,
		    LEV_OPT_CLOSE_ON_FREE, -1, s->tcp_fds[j]);
		if (s->lev[j] == NULL)
			fatalx("evconnlistener_new");
		s->tcp_fds[j] = -1;	/* owned by the listener now */
	}
	for (i = 0; i < s->nworkers; i++)
		worker_start(s->w[i], base);
}

int
server_nworkers(const struct server *s)
{
	return s->nworkers;
}

const struct dnsd_data *
server_data(const struct server *s)
{
	return atomic_load(&((struct server *)s)->data);
}

/* Free what no worker can still hold. */
static void
reclaim(struct server *s)
{
	int	 r, i, busy;

	for (r = 0; r < s->nretired; ) {
		busy = 0;
		for (i = 1; i < s->nworkers && !busy; i++)
			busy = atomic_load(&s->w[i]->active) &&
			    atomic_load(&s->w[i]->batches) ==
			    s->retired[r].snap[i];
		if (busy) {
			r++;
			continue;
		}
		if (s->retired[r].d->xfr_pins > 0)
			s->retired[r].d->retired = 1;	/* xfr.c frees it */
		else
			dnsd_data_free(s->retired[r].d);
		s->retired[r] = s->retired[--s->nretired];
	}
	if (s->nretired > 0) {
		struct timeval tv = { 0, RECLAIM_USEC };

		evtimer_add(s->reclaim_ev, &tv);
	}
}

static void
reclaim_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	reclaim(arg);
}

/*
 * Publish new data (main thread).  A worker that starts a batch after the
 * exchange sees the new pointer (both sides are sequentially consistent:
 * the worker stores active then loads data; we store data then load
 * active).  One that was active with the old pointer is waited for.
 */
void
server_set_data(struct server *s, struct dnsd_data *nd)
{
	struct dnsd_data	*old = atomic_exchange(&s->data, nd);
	struct retired		*r;
	int			 i;

	if (old == NULL)
		return;
	while (s->nretired == RETIRED_MAX) {
		/* Reloads faster than a batch: wait for the workers. */
		sched_yield();
		reclaim(s);
	}
	r = &s->retired[s->nretired++];
	r->d = old;
	for (i = 0; i < s->nworkers; i++)
		r->snap[i] = atomic_load(&s->w[i]->batches);
	reclaim(s);
}

static void
tcp_conn_free(struct tcp_conn *c)
{
	if (c->job != NULL) {
		struct xfr_job *j = c->job;

		c->job = NULL;
		xfr_job_cancel(j);
	}
	TAILQ_REMOVE(&c->srv->conns, c, entry);
	c->srv->nconns--;
	bufferevent_free(c->bev);
	free(c);
}

void
server_stop(struct server *s)
{
	int	 i;

	for (i = 1; i < s->nworkers; i++) {
		struct udp_worker *w = s->w[i];

		if (w->base == NULL || w->stopfd[1] == -1)
			continue;
		if (write(w->stopfd[1], "", 1) == -1)
			fatal("worker stop");
		pthread_join(w->thread, NULL);
		close(w->stopfd[1]);
		w->stopfd[1] = -1;
	}
}

void
server_free(struct server *s)
{
	int	 i, j;

	if (s == NULL)
		return;
	server_stop(s);
	while (!TAILQ_EMPTY(&s->conns))
		tcp_conn_free(TAILQ_FIRST(&s->conns));
	xfr_free(s->xfr);	/* joins the transfers, frees pinned data */
	for (i = 0; i < s->nworkers; i++) {
		struct udp_worker *w = s->w[i];

		for (j = 0; j < CONF_MAX_LIST; j++) {
			if (w->evs[j])
				event_free(w->evs[j]);
			if (w->fds[j] != -1)
				close(w->fds[j]);
		}
		if (w->stopev)
			event_free(w->stopev);
		if (w->stopfd[0] != -1)
			close(w->stopfd[0]);
		if (w->idx > 0 && w->base)
			event_base_free(w->base);
		free(w);
	}
	for (j = 0; j < s->nlisten; j++) {
		if (s->lev[j])
			evconnlistener_free(s->lev[j]);
		else if (s->tcp_fds[j] != -1)
			close(s->tcp_fds[j]);
	}
	for (i = 0; i < s->nretired; i++)
		dnsd_data_free(s->retired[i].d);
	if (s->reclaim_ev)
		event_free(s->reclaim_ev);
	dnsd_data_free(atomic_load(&s->data));
	rrl_free(&s->rrl);
	quota_free(&s->quota);
	quota_free(&s->quota_udp);
	free(s);
}

/*
 * Main thread.  Each counter has one writer and is read with a relaxed
 * load (counter.h): a value at most a batch old, never a data race.
 */
static void
sock_sum(struct dnsd_stats *o, const struct sock_stats *x)
{
	o->udp_in += counter_get(&x->udp_in);
	o->udp_out += counter_get(&x->udp_out);
	o->udp_dropped += counter_get(&x->udp_dropped);
	o->tcp_accepted += counter_get(&x->tcp_accepted);
	o->tcp_evicted += counter_get(&x->tcp_evicted);
	o->tcp_idle_closed += counter_get(&x->tcp_idle_closed);
	o->tcp_in += counter_get(&x->tcp_in);
	o->tcp_out += counter_get(&x->tcp_out);
	o->tcp_bad += counter_get(&x->tcp_bad);
	o->acl_refused += counter_get(&x->acl_refused);
	o->acl_dropped += counter_get(&x->acl_dropped);
	o->acl_blocked += counter_get(&x->acl_blocked);
	o->excessive += counter_get(&x->excessive);
	o->excessive_tc += counter_get(&x->excessive_tc);
	o->rrl_dropped += counter_get(&x->rrl_dropped);
	o->rrl_slipped += counter_get(&x->rrl_slipped);
	o->cookie_valid += counter_get(&x->cookie_valid);
	o->cookie_new += counter_get(&x->cookie_new);
	o->cookie_bad += counter_get(&x->cookie_bad);
}

static void
answer_sum(struct dnsd_stats *o, const struct answer_stats *y)
{
	int	 t, r;

	o->noerror += counter_get(&y->noerror);
	o->nxdomain += counter_get(&y->nxdomain);
	o->nodata += counter_get(&y->nodata);
	o->refused += counter_get(&y->refused);
	o->formerr += counter_get(&y->formerr);
	o->notimp += counter_get(&y->notimp);
	o->servfail += counter_get(&y->servfail);
	o->badvers += counter_get(&y->badvers);
	o->truncated += counter_get(&y->truncated);
	o->dropped += counter_get(&y->dropped);
	o->listed += counter_get(&y->listed);
	o->not_listed += counter_get(&y->not_listed);
	for (t = 0; t < ANSWER_QT_N; t++)
		for (r = 0; r < ANSWER_RC_N; r++)
			o->queries[t][r] += counter_get(&y->queries[t][r]);
}

struct xfr *
server_xfr(struct server *s)
{
	return s->xfr;
}

void
server_stats(const struct server *s, struct dnsd_stats *o)
{
	int	 i;

	sock_sum(o, &s->st);
	answer_sum(o, &s->ast);
	for (i = 0; i < s->nworkers; i++) {
		sock_sum(o, &s->w[i]->st);
		answer_sum(o, &s->w[i]->ast);
	}
	o->tcp_open = s->nconns > 0 ? (uint64_t)s->nconns : 0;
	o->workers = s->nworkers;
}

/*
 * The clock of a batch (read once, when a query first needs it): RRL's
 * second, the daily limit's day, the cookies' Unix time.  The coarse
 * clocks are a vDSO read of the last tick.
 */
struct qclock {
	int		 set;
	uint32_t	 sec, day, now;	/* now: Unix time */
};

static const struct qclock *
qclock_get(struct qclock *c)
{
	struct timespec	 ts;

	if (c->set)
		return c;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	c->sec = (uint32_t)ts.tv_sec;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	c->now = (uint32_t)ts.tv_sec;
	c->day = (uint32_t)(ts.tv_sec / 86400);
	c->set = 1;
	return c;
}

/*
 * Hot path: one query from `from`, the access rules, the reply into out,
 * then (UDP) rate limiting.  Returns the reply length; 0 with *silent set
 * when a rule says "no reply" (query_deny_action = drop, RRL), 0 without
 * it when the packet is not a query.  Off the hot path: a TSIG-signed
 * query is verified and its answer signed (xfr.c); a zone transfer
 * request over TCP returns 0 with *silent = SERVE_XFR for the caller.
 */
#define SERVE_XFR	2
static size_t
serve(struct server *s, const struct dnsd_data *d, const uint8_t *pkt,
    size_t len, const void *from, int tcp, struct qclock *clk,
    uint8_t *out, size_t outcap, struct sock_stats *ss,
    struct answer_stats *as, int *silent)
{
	struct query		 q;
	struct src		 src;
	struct answer_opts	 o = { ANSWER_NORMAL, NULL, 0, NULL, 0 };
	enum query_result	 qr;
	enum cookie_state	 cst = COOKIE_NONE;
	uint8_t			 cookie[QUERY_COOKIE_CLIENT +
				    COOKIE_SERVER_LEN], cookielen;
	char			 text[64];
	uint64_t		 h = 0;
	int			 hashed = 0, proven, excess_tc = 0, keyed;
	size_t			 n;

	*silent = 0;
	qr = query_parse(pkt, len, &q);
	if (qr == QUERY_OK && tcp &&
	    (q.qtype == XFR_T_AXFR || q.qtype == XFR_T_IXFR)) {
		*silent = SERVE_XFR;	/* the caller starts it */
		return 0;
	}
	if (qr == QUERY_OK && (q.tsig_off != 0 || q.qtype == XFR_T_IXFR)) {
		/*
		 * A TSIG-signed query or an IXFR over UDP: xfr.c answers.  A
		 * signature that verifies proves a secondary of ours (like a
		 * valid cookie, and past the query rules, which are for
		 * resolvers).  Anything else proves nothing of its source:
		 * the drop rule and RRL apply as to any query, so a forged
		 * TSIG is no way around them.
		 */
		n = q.qtype == XFR_T_IXFR && !tcp ?
		    xfr_udp_ixfr(s->xfr, d, pkt, len, from, out, outcap,
		    &keyed) :
		    xfr_signed_answer(s->xfr, d, pkt, len, &q, tcp, out,
		    outcap, as, &keyed);
		if (keyed || tcp || n == 0)
			return n;
		src_from_sockaddr(&src, from);
		if (!acl_allowed(&s->acl, &src) && s->acl.action == ACL_DROP) {
			counter_inc(&ss->acl_dropped);
			*silent = 1;
			return 0;
		}
		goto limit;
	}
	if (qr == QUERY_DROP || (!s->need_src && q.cookie_len == 0))
		return answer_build(d->zc, d->idx, pkt, len, &q, qr, tcp, out,
		    outcap, as);
	src_from_sockaddr(&src, from);
	if (q.cookie_len > 0) {
		cst = edns_cookie(s->cookie_secret, &q, &src,
		    qclock_get(clk)->now, cookie, &cookielen);
		o.cookie = cookie;
		o.cookielen = cookielen;
		counter_inc(cst == COOKIE_VALID ? &ss->cookie_valid :
		    &ss->cookie_new);
	}
	if (!acl_allowed(&s->acl, &src)) {
		switch (s->acl.action) {
		case ACL_DROP:
			counter_inc(&ss->acl_dropped);
			*silent = 1;
			return 0;
		case ACL_REFUSE:
			counter_inc(&ss->acl_refused);
			o.mode = ANSWER_REFUSE;
			break;
		case ACL_BLOCKED:
			counter_inc(&ss->acl_blocked);
			o.mode = ANSWER_BLOCKED;
			break;
		}
	} else if (s->quota.limit > 0) {
		/*
		 * Only a proven source (TCP, a valid server cookie) is ever
		 * answered 127.255.255.255: anyone can send UDP in a
		 * resolver's name, and could otherwise spend its quota and
		 * make every answer it gets "excessive" (a code many mail
		 * filters take for a listing).  Unproven UDP has a count of
		 * its own; beyond the limit it gets TC (BADCOOKIE when it
		 * sent a cookie) and proves itself over TCP.
		 */
		h = rrl_src_hash(&s->rrl, &src);
		hashed = 1;
		proven = tcp || cst == COOKIE_VALID;
		if (quota_count(proven ? &s->quota : &s->quota_udp, h,
		    qclock_get(clk)->day)) {
			if (proven) {
				counter_inc(&ss->excessive);
				o.mode = ANSWER_EXCESSIVE;
			} else {
				counter_inc(&ss->excessive_tc);
				excess_tc = 1;
			}
		}
	}
	if (o.mode == ANSWER_BLOCKED || o.mode == ANSWER_EXCESSIVE) {
		o.srclen = src_format(&src, text, sizeof(text));
		o.src = text;
	}
	n = answer_build_ex(d->zc, d->idx, pkt, len, &q, qr, tcp, out, outcap,
	    as, &o);
	if (excess_tc && n > 0) {
		if (cst == COOKIE_CLIENT)
			counter_inc(&ss->cookie_bad);
		n = answer_slip(out, n, &q, &o, cst == COOKIE_CLIENT);
	}
	/* A valid server cookie proves the source is not spoofed: no
	 * rate limit for it (nor for TCP, nor rrl_exempt). */
limit:
	if (n == 0 || tcp || s->rrl.rate == 0 || cst == COOKIE_VALID ||
	    cidr_match(&s->rrl.exempt, &src))
		return n;
	if (!hashed)
		h = rrl_src_hash(&s->rrl, &src);
	switch (rrl_account(&s->rrl, h, rrl_classify(out),
	    qclock_get(clk)->sec)) {
	case RRL_SEND:
		return n;
	case RRL_SLIP:
		counter_inc(&ss->rrl_slipped);
		if (cst == COOKIE_CLIENT) {
			/* it can come back with the new server cookie */
			counter_inc(&ss->cookie_bad);
			return answer_slip(out, n, &q, &o, 1);
		}
		return answer_slip(out, n, &q, &o, 0);
	case RRL_DROP:
	default:
		counter_inc(&ss->rrl_dropped);
		*silent = 1;
		return 0;
	}
}

/*
 * Hot path: one UDP batch.  Receive up to UDP_BATCH datagrams, answer
 * each into its pre-allocated buffer, send the replies in one call.
 */
static void
udp_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct udp_worker	*w = arg;
	struct server		*s = w->srv;
	const struct dnsd_data	*d;
	struct qclock		 clk;
	int			 i, n, nout = 0, sent, silent;
	size_t			 len;

	(void)ev;
	for (i = 0; i < UDP_BATCH; i++) {
		memset(&w->rmsg[i].msg_hdr, 0, sizeof(w->rmsg[i].msg_hdr));
		w->rmsg[i].msg_hdr.msg_name = &w->from[i];
		w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
		w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
		w->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(fd, w->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL)) <= 0)
		return;
	clk.set = 0;
	atomic_store(&w->active, 1);
	d = atomic_load(&s->data);
	for (i = 0; i < n; i++) {
		counter_inc(&w->st.udp_in);
		if (w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			counter_inc(&w->st.udp_dropped);
			continue;
		}
		len = serve(s, d, w->rbuf[i], w->rmsg[i].msg_len, &w->from[i],
		    0, &clk, w->wbuf[nout], sizeof(w->wbuf[nout]), &w->st,
		    &w->ast, &silent);
		if (len == 0) {
			/* a rule's silence has counters of its own */
			if (!silent)
				counter_inc(&w->st.udp_dropped);
			continue;
		}
		w->wiov[nout].iov_len = len;
		memset(&w->wmsg[nout].msg_hdr, 0, sizeof(w->wmsg[nout].msg_hdr));
		w->wmsg[nout].msg_hdr.msg_name = &w->from[i];
		w->wmsg[nout].msg_hdr.msg_namelen = w->rmsg[i].msg_hdr.msg_namelen;
		w->wmsg[nout].msg_hdr.msg_iov = &w->wiov[nout];
		w->wmsg[nout].msg_hdr.msg_iovlen = 1;
		nout++;
	}
	/* Done with d: the reclaimer may free it from here on. */
	atomic_fetch_add(&w->batches, 1);
	atomic_store(&w->active, 0);
	for (i = 0; i < nout; i += sent) {
		sent = sendmmsg(fd, w->wmsg + i, (unsigned)(nout - i),
		    MSG_DONTWAIT);
		if (sent <= 0) {
			/* Socket buffer full or the client is gone: drop
			 * this one and go on with the rest. */
			counter_inc(&w->st.udp_dropped);
			sent = 1;
		} else
			counter_add(&w->st.udp_out, (uint64_t)sent);
	}
}

/* At the cap, make room by closing the connection idle the longest. */
static void
tcp_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server		*s = arg;
	struct tcp_conn		*c;
	struct timeval		 tv;
	int			 on = 1;

	if (s->nconns >= s->conf->tcp_max_clients) {
		if (TAILQ_EMPTY(&s->conns)) {	/* tcp_max_clients = 0 */
			close(fd);
			return;
		}
		tcp_conn_free(TAILQ_FIRST(&s->conns));
		counter_inc(&s->st.tcp_evicted);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	if (sa != NULL && salen > 0 && (size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	c->bev = bufferevent_socket_new(evconnlistener_get_base(lev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->nconns++;
	counter_inc(&s->st.tcp_accepted);
	tv.tv_sec = (time_t)s->conf->tcp_idle_timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setcb(c->bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/*
 * Answer every complete message in the input (RFC 7766 pipelining).  A
 * connection moves to the LRU tail only when it completes a query, so a
 * client trickling bytes stays "idle" and is the first to go at the cap.
 */
static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn		*c = arg;
	struct server		*s = c->srv;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer		*out = bufferevent_get_output(bev);
	const struct dnsd_data	*d = atomic_load(&s->data);
	struct qclock		 clk;
	uint8_t			 hdr[2];
	size_t			 mlen, len;
	int			 silent, rc;

	while (evbuffer_get_length(in) >= 2) {
		if (evbuffer_get_length(out) > TCP_OUT_HIGH) {
			/* Resume when the client has read its answers. */
			bufferevent_disable(bev, EV_READ);
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
			return;
		}
		evbuffer_copyout(in, hdr, 2);
		mlen = (size_t)hdr[0] << 8 | hdr[1];
		if (mlen == 0) {
			counter_inc(&s->st.tcp_bad);
			tcp_conn_free(c);
			return;
		}
		if (evbuffer_get_length(in) < 2 + mlen)
			break;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, s->tcp_in, mlen);
		counter_inc(&s->st.tcp_in);
		clk.set = 0;
		len = serve(s, d, s->tcp_in, mlen, &c->peer, 1, &clk,
		    s->tcp_out + 2, sizeof(s->tcp_out) - 2, &s->st, &s->ast,
		    &silent);
		if (len == 0 && silent == SERVE_XFR) {
			/* later messages wait until the transfer is sent */
			c->job = xfr_begin(s->xfr, (struct dnsd_data *)d,
			    s->tcp_in, mlen, &c->peer, bev, tcp_xfr_done, c,
			    &rc);
			xfr_count(s, s->tcp_in, mlen, rc);
			TAILQ_REMOVE(&s->conns, c, entry);
			TAILQ_INSERT_TAIL(&s->conns, c, entry);
			if (c->job != NULL) {
				bufferevent_disable(bev, EV_READ);
				return;
			}
			continue;
		}
		if (len == 0 && silent) {
			/* query_deny_action = drop: no answer, no
			 * connection either */
			tcp_conn_free(c);
			return;
		}
		if (len == 0) {
			/* Not a DNS query: nothing sane to say on TCP. */
			counter_inc(&s->st.tcp_bad);
			tcp_conn_free(c);
			return;
		}
		s->tcp_out[0] = (uint8_t)(len >> 8);
		s->tcp_out[1] = (uint8_t)len;
		evbuffer_add(out, s->tcp_out, len + 2);
		counter_inc(&s->st.tcp_out);
		TAILQ_REMOVE(&s->conns, c, entry);
		TAILQ_INSERT_TAIL(&s->conns, c, entry);
	}
}

/* Count a transfer request like any TCP reply: a transfer started as
 * one NOERROR reply (NOTAUTH has its own counter in xfr.c). */
static void
xfr_count(struct server *s, const uint8_t *pkt, size_t len, int rcode)
{
	struct query	 q;
	int		 qt;

	counter_inc(&s->st.tcp_out);
	if (query_parse(pkt, len, &q) != QUERY_OK)
		qt = ANSWER_QT_OTHER;
	else
		qt = q.qtype == XFR_T_IXFR ? ANSWER_QT_IXFR : ANSWER_QT_AXFR;
	switch (rcode) {
	case 0:
		counter_inc(&s->ast.noerror);
		break;
	case 1:
		counter_inc(&s->ast.formerr);
		break;
	case 2:
		counter_inc(&s->ast.servfail);
		break;
	case 5:
		counter_inc(&s->ast.refused);
		break;
	default:
		return;
	}
	counter_inc(&s->ast.queries[qt][rcode]);
}

/* A transfer is over: go on reading the connection, or close it. */
static void
tcp_xfr_done(void *arg, int ok)
{
	struct tcp_conn	*c = arg;

	c->job = NULL;
	if (!ok) {
		c->closing = 1;
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			tcp_conn_free(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
	tcp_read_cb(c->bev, c);
}

static void
tcp_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn	*c = arg;

	if (c->job != NULL) {
		xfr_job_pull(c->job);	/* may end it: c may be gone */
		return;
	}
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			tcp_conn_free(c);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		bufferevent_enable(bev, EV_READ);
		tcp_read_cb(bev, c);
	}
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn	*c = arg;

	/* The client closed its side after its queries: send the answers
	 * still queued, then close (the write timeout bounds this). */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->closing = 1;
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		counter_inc(&c->srv->st.tcp_idle_closed);
	tcp_conn_free(c);
}
