/*
 * xfr.c -- see xfr.h.  Control path: allocates, logs, reads SQLite (on
 * the transfer threads only).
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "dnsd.h"
#include "log.h"
#include "net.h"
#include "xfr.h"
#include "xfr_req.h"
#include "xmalloc.h"
#include "zone_conf.h"
#include "zone_render.h"

#define HDRLEN		12
#define F_QR		0x8000
#define F_AA		0x0400
#define RC_FORMERR	1
#define RC_SERVFAIL	2
#define RC_NOTAUTH	9
#define RC_REFUSED	5
#define T_A		1
#define T_NS		2
#define T_SOA		6
#define T_TXT		16
#define T_AAAA		28
#define C_IN		1

#define XFR_MSG_MAX	32768		/* bytes per message */
#define XFR_QUEUE_HIGH	(256 * 1024)	/* made, not yet taken: wait */
#define XFR_OUT_HIGH	(256 * 1024)	/* in the connection's output */
/*
 * A transfer thread's nice value, the loader's (reload.c): on a busy core
 * the query threads keep about nine tenths of it and a transfer still
 * progresses.  Answers come first; a secondary can wait a little longer.
 */
#define XFR_NICE	10

struct xfr_acl {
	struct addr		 net;
	const struct tsig_key	*key;	/* NULL: no key needed */
};

struct xfr {
	const struct conf	*conf;
	struct tsig_keys	 keys;
	struct xfr_acl		 acl[CONF_MAX_LIST];
	int			 nacl;
	int			 pipefd[2];
	struct event		*pipe_ev;
	LIST_HEAD(, xfr_job)	 jobs;
	int			 njobs;
	/* main thread, except signed_queries (atomic: any thread) */
	struct xfr_stats	 st;
	_Atomic unsigned long long signed_queries;
};

enum xfr_kind { XK_AXFR, XK_IXFR, XK_IXFR_FULL };

struct xfr_job {
	LIST_ENTRY(xfr_job)	 entry;
	struct xfr		*x;
	struct dnsd_data	*d;
	const struct zone	*z;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct evbuffer		*q;		/* made, not yet taken (mtx) */
	size_t			 qbytes;	/* (mtx) */
	int			 done, cancel;	/* (mtx) */
	int			 failed;	/* thread: an error */
	struct bufferevent	*bev;		/* main thread; NULL: gone */
	void			(*done_cb)(void *, int);
	void			*arg;
	/* the request */
	uint16_t		 id;
	uint16_t		 qtype;
	uint8_t			 question[HDRLEN + 255 + 4];
	size_t			 qlen;		/* question section bytes */
	uint32_t		 client_serial;
	int			 sign;
	struct tsig_ctx		 tctx;
	char			 peer[64];
	/* the thread's */
	enum xfr_kind		 kind;
	uint8_t			 msg[2 + XFR_MSG_MAX + TSIG_SPACE(TSIG_NAME_MAX)];
	size_t			 len;		/* of msg + 2 */
	uint16_t		 ancount;
	uint64_t		 records, messages, bytes;
	uint64_t		 ndel, nadd;
	uint32_t		 horizon;
	int			 ixfr_phase;	/* 0 deletions, 1 additions */
	uint64_t		 start_usec;
	char			 why[320];
};

static int	 serial_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ------------------------------------------------------------------ */
/* Set-up */

static int
acl_parse(struct xfr *x, const char *line, struct xfr_acl *a, char *err,
    size_t errlen)
{
	char	 buf[256], *sp, *kn;
	char	 aerr[128];

	if (strlen(line) >= sizeof(buf)) {
		snprintf(err, errlen, "xfr_allow %s: too long", line);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", line);
	sp = buf + strcspn(buf, " \t");
	kn = sp + strspn(sp, " \t");
	*sp = '\0';
	if (addr_parse(buf, &a->net, aerr, sizeof(aerr)) == -1) {
		snprintf(err, errlen, "xfr_allow %s: %s", line, aerr);
		return -1;
	}
	a->key = NULL;
	if (*kn != '\0') {
		kn[strcspn(kn, " \t")] = '\0';
		if ((a->key = tsig_key_find(&x->keys, kn)) == NULL) {
			snprintf(err, errlen, "xfr_allow %s: no tsig_key named "
			    "%s", line, kn);
			return -1;
		}
	}
	return 0;
}

struct xfr *
xfr_new(const struct conf *conf, char *err, size_t errlen)
{
	struct xfr	*x = xcalloc(1, sizeof(*x));
	int		 i;

	x->conf = conf;
	x->pipefd[0] = x->pipefd[1] = -1;
	LIST_INIT(&x->jobs);
	if (tsig_keys_load(&x->keys, conf, err, errlen) == -1)
		goto fail;
	for (i = 0; i < conf->nxfr_allow; i++)
		if (acl_parse(x, conf->xfr_allow[i], &x->acl[x->nacl++], err,
		    errlen) == -1)
			goto fail;
	return x;
fail:
	tsig_keys_clear(&x->keys);
	free(x);
	return NULL;
}

const struct tsig_keys *
xfr_keys(const struct xfr *x)
{
	return &x->keys;
}

static void	 pipe_cb(evutil_socket_t, short, void *);

int
xfr_start(struct xfr *x, struct event_base *base)
{
	if (pipe2(x->pipefd, O_CLOEXEC) == -1)
		return -1;
	x->pipe_ev = event_new(base, x->pipefd[0], EV_READ | EV_PERSIST,
	    pipe_cb, x);
	if (x->pipe_ev == NULL || event_add(x->pipe_ev, NULL) == -1)
		return -1;
	return 0;
}

void
xfr_stats(const struct xfr *x, struct xfr_stats *st)
{
	*st = x->st;
	st->signed_queries = atomic_load(&((struct xfr *)x)->signed_queries);
	st->running = x->njobs;
}

/* ------------------------------------------------------------------ */
/* Messages */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A whole answer in one message: header, question, rcode, no records. */
static size_t
short_answer(uint8_t *out, size_t cap, uint16_t id, uint16_t reqflags,
    const uint8_t *question, size_t qlen, int rcode)
{
	if (cap < HDRLEN + qlen)
		return 0;
	put16(out, id);
	put16(out + 2, (uint16_t)(F_QR | (reqflags & 0x7900) | rcode));
	put16(out + 4, qlen > 0 ? 1 : 0);
	memset(out + 6, 0, 6);
	memcpy(out + HDRLEN, question, qlen);
	return HDRLEN + qlen;
}

/* The zone of ours whose apex is the question's name, or NULL. */
static const struct zone *
find_zone(const struct zone_conf *zc, const uint8_t *name, size_t len)
{
	int	 i;

	for (i = 0; i < zc->nzones; i++)
		if (zc->zones[i].apexlen == len &&
		    memcmp(zc->zones[i].apex, name, len) == 0)
			return &zc->zones[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Signed ordinary queries (the secondaries' SOA checks) */

size_t
xfr_signed_answer(struct xfr *x, const struct dnsd_data *d,
    const uint8_t *pkt, size_t len, const struct query *q, int tcp,
    uint8_t *out, size_t outcap, struct answer_stats *as, int *keyed)
{
	struct tsig_rr	 t;
	struct tsig_ctx	 ctx;
	size_t		 n, room;
	int64_t		 now = time(NULL);

	*keyed = 0;
	atomic_fetch_add(&x->signed_queries, 1);
	if (tsig_find(pkt, len, &t) != 1)
		return short_answer(out, outcap, q->id, q->flags, pkt + HDRLEN,
		    q->qend > HDRLEN ? q->qend - HDRLEN : 0, RC_FORMERR);
	if (tsig_verify_request(&x->keys, pkt, len, &t, now, &ctx) !=
	    TSIG_OK) {
		n = short_answer(out, outcap, q->id, q->flags, pkt + HDRLEN,
		    q->qend - HDRLEN, RC_NOTAUTH);
		return n ? tsig_sign(&ctx, out, n, outcap, now) : 0;
	}
	*keyed = 1;
	room = TSIG_SPACE(ctx.keynamelen);
	if (outcap < 512 + room)
		return 0;
	n = answer_build(d->zc, d->idx, pkt, t.off, q, QUERY_OK, tcp, out,
	    outcap - room, as);
	return n ? tsig_sign(&ctx, out, n, outcap, now) : 0;
}

/* May the peer transfer, with the key the request verified with? */
static int	 allowed(const struct xfr *, const struct addr *,
		    const struct tsig_key *);

/*
 * IXFR over UDP (RFC 1995 2): to a secondary that may transfer, our SOA
 * alone, which tells it the serial and to ask over TCP for the rest; to
 * anyone else REFUSED.  Signed when the request was.
 */
size_t
xfr_udp_ixfr(struct xfr *x, const struct dnsd_data *d, const uint8_t *pkt,
    size_t len, const void *peer, uint8_t *out, size_t outcap, int *keyed)
{
	struct xfr_req		 r;
	struct tsig_ctx		 ctx, *cp = NULL;
	const struct zone	*z;
	struct addr		 pa;
	char			 ip[64], err[64];
	size_t			 n, qlen, rdlen, need;
	uint8_t			*p;
	int64_t			 now = time(NULL);
	int			 rcode = 0;

	*keyed = 0;
	if (xfr_req_parse(pkt, len, &r) != XFR_REQ_OK || len < HDRLEN)
		return 0;	/* query_parse said it was well formed */
	qlen = r.qend - HDRLEN;
	if (r.has_tsig) {
		cp = &ctx;
		if (tsig_verify_request(&x->keys, pkt, len, &r.tsig, now,
		    &ctx) != TSIG_OK)
			rcode = RC_NOTAUTH;
		else
			*keyed = 1;
	}
	if (rcode == 0 && (net_sockaddr_ip(peer, ip, sizeof(ip)) == NULL ||
	    addr_parse(ip, &pa, err, sizeof(err)) == -1 ||
	    (z = find_zone(d->zc, r.qname, r.qnamelen)) == NULL ||
	    r.qclass != C_IN || !allowed(x, &pa, r.has_tsig ? ctx.key : NULL)))
		rcode = RC_REFUSED;
	n = short_answer(out, outcap, r.id, (uint16_t)(pkt[2] << 8 | pkt[3]),
	    pkt + HDRLEN, qlen, rcode);
	if (n == 0)
		return 0;
	if (rcode == 0) {
		rdlen = z->mname.len + z->rname.len + 20;
		need = 2 + 10 + rdlen;
		if (n + need + TSIG_SPACE(TSIG_NAME_MAX) > outcap)
			return 0;
		p = out + n;
		*p++ = 0xc0;
		*p++ = HDRLEN;
		put16(p, T_SOA);
		put16(p + 2, C_IN);
		put32(p + 4, z->soa_ttl);
		put16(p + 8, (uint16_t)rdlen);
		p += 10;
		memcpy(p, z->mname.wire, z->mname.len);
		p += z->mname.len;
		memcpy(p, z->rname.wire, z->rname.len);
		p += z->rname.len;
		memcpy(p, z->soa_tail, 20);
		put32(p, d->serial);
		n += need;
		put16(out + 2, (uint16_t)(F_QR | F_AA));
		put16(out + 6, 1);
	}
	return cp != NULL ? tsig_sign(cp, out, n, outcap, now) : n;
}

/* ------------------------------------------------------------------ */
/* The transfer thread: records into messages */

static void
msg_begin(struct xfr_job *j)
{
	uint8_t	*m = j->msg + 2;

	put16(m, j->id);
	put16(m + 2, F_QR | F_AA);
	put16(m + 4, 1);
	memset(m + 6, 0, 6);
	memcpy(m + HDRLEN, j->question, j->qlen);
	j->len = HDRLEN + j->qlen;
	j->ancount = 0;
}

/* Hand a finished message to the main thread (wait while it is behind). */
static int
msg_flush(struct xfr_job *j)
{
	uint8_t	*m = j->msg + 2;
	size_t	 n;
	int	 wake;

	put16(m + 6, j->ancount);
	n = j->len;
	if (j->sign && (n = tsig_sign(&j->tctx, m, n,
	    sizeof(j->msg) - 2, time(NULL))) == 0) {
		j->failed = 1;
		return -1;
	}
	put16(j->msg, (uint16_t)n);
	pthread_mutex_lock(&j->mtx);
	while (j->qbytes > XFR_QUEUE_HIGH && !j->cancel)
		pthread_cond_wait(&j->cond, &j->mtx);
	if (j->cancel) {
		pthread_mutex_unlock(&j->mtx);
		return -1;
	}
	wake = j->qbytes == 0;
	evbuffer_add(j->q, j->msg, n + 2);
	j->qbytes += n + 2;
	pthread_mutex_unlock(&j->mtx);
	if (wake && write(j->x->pipefd[1], &j, sizeof(j)) != sizeof(j))
		log_warn("xfr: wake");
	j->messages++;
	j->bytes += n + 2;
	msg_begin(j);
	return 0;
}

/*
 * One RR: owner (labels below the apex, then a pointer to the apex in
 * the question; or a whole wire name), type, TTL, rdata.
 */
static int
put_rr(struct xfr_job *j, const char *const *label, int nlabels,
    const uint8_t *wname, size_t wnamelen, uint16_t type, uint32_t ttl,
    const uint8_t *rdata, size_t rdlen)
{
	size_t	 need = 2 + 10 + rdlen, i;
	uint8_t	*p;

	for (i = 0; i < (size_t)nlabels; i++)
		need += 1 + strlen(label[i]);
	need += wname ? wnamelen : 0;
	if (j->len + need > XFR_MSG_MAX && j->ancount > 0 &&
	    msg_flush(j) == -1)
		return -1;
	if (j->len + need > XFR_MSG_MAX) {
		j->failed = 1;
		return -1;
	}
	p = j->msg + 2 + j->len;
	if (wname != NULL) {
		memcpy(p, wname, wnamelen);
		p += wnamelen;
	} else {
		for (i = 0; i < (size_t)nlabels; i++) {
			size_t l = strlen(label[i]);

			*p++ = (uint8_t)l;
			memcpy(p, label[i], l);
			p += l;
		}
		*p++ = 0xc0;		/* the apex: the question's name */
		*p++ = HDRLEN;
	}
	put16(p, type);
	put16(p + 2, C_IN);
	put32(p + 4, ttl);
	put16(p + 8, (uint16_t)rdlen);
	memcpy(p + 10, rdata, rdlen);
	p += 10 + rdlen;
	j->len = (size_t)(p - (j->msg + 2));
	j->ancount++;
	j->records++;
	return 0;
}

static int
put_soa(struct xfr_job *j, uint32_t serial)
{
	const struct zone	*z = j->z;
	uint8_t			 rd[255 * 2 + 20];
	size_t			 n = 0;

	memcpy(rd, z->mname.wire, z->mname.len);
	n += z->mname.len;
	memcpy(rd + n, z->rname.wire, z->rname.len);
	n += z->rname.len;
	memcpy(rd + n, z->soa_tail, 20);
	put32(rd + n, serial);
	n += 20;
	return put_rr(j, NULL, 0, NULL, 0, T_SOA, z->soa_ttl, rd, n);
}

/* Is the wire name under (or at) the apex of z? */
static int
in_zone(const struct zone *z, const uint8_t *w, size_t len)
{
	size_t	 off = 0;

	while (off < len) {
		if (len - off == z->apexlen)
			return memcmp(w + off, z->apex, z->apexlen) == 0;
		if (w[off] == 0)
			break;
		off += 1u + w[off];
	}
	return 0;
}

/* The apex NS RRset and the addresses of the NS hosts inside the zone. */
static int
put_apex(struct xfr_job *j)
{
	const struct zone	*z = j->z;
	const struct zone_conf	*zc = j->d->zc;
	int			 i, k, h;

	if (put_soa(j, j->d->serial) == -1)
		return -1;
	for (i = 0; i < z->nns; i++)
		if (put_rr(j, NULL, 0, NULL, 0, T_NS, z->ns_ttl, z->ns[i].wire,
		    z->ns[i].len) == -1)
			return -1;
	for (i = 0; i < z->nns; i++) {
		if ((h = z->ns_host[i]) < 0)
			continue;
		const struct ns_host *nh = &zc->hosts[h];

		if (!in_zone(z, nh->name.wire, nh->name.len))
			continue;
		for (k = 0; k < nh->nv4; k++)
			if (put_rr(j, NULL, 0, nh->name.wire, nh->name.len,
			    T_A, z->ns_ttl, nh->v4[k], 4) == -1)
				return -1;
		for (k = 0; k < nh->nv6; k++)
			if (put_rr(j, NULL, 0, nh->name.wire, nh->name.len,
			    T_AAAA, z->ns_ttl, nh->v6[k], 16) == -1)
				return -1;
	}
	return 0;
}

/* A record of the list (zone_render.c) into the transfer. */
static int
emit_rr(const struct zr_rr *rr, void *arg)
{
	struct xfr_job	*j = arg;
	uint8_t		 rd[ZR_TXT_MAX + ZR_TXT_MAX / 255 + 2];
	size_t		 n = 0, off, k;

	if (rr->type == ZR_TYPE_A) {
		put32(rd, rr->a);
		return put_rr(j, rr->label, rr->nlabels, NULL, 0, T_A,
		    j->z->ttl, rd, 4);
	}
	for (off = 0; off < rr->txtlen || off == 0; off += k) {
		k = rr->txtlen - off > 255 ? 255 : rr->txtlen - off;
		if (n + 1 + k > sizeof(rd))
			break;
		rd[n++] = (uint8_t)k;
		memcpy(rd + n, rr->txt + off, k);
		n += k;
		if (k == 0)
			break;
	}
	return put_rr(j, rr->label, rr->nlabels, NULL, 0, T_TXT, j->z->ttl,
	    rd, n);
}

static int
index_add_cb(const struct addr *net, int exclude, uint32_t code,
    const char *reason, void *arg)
{
	return zr_add(arg, net, exclude, code, reason) == -1 ? -1 : 0;
}

/*
 * The whole zone, one top block at a time: the apex has no wildcard, so a
 * top block renders alike from its own entries (zone_render.h), and the
 * transfer holds the entries of one block at a time, never a copy of the
 * whole list.  The records come in the order of a whole render.
 */
static int
send_axfr(struct xfr_job *j)
{
	struct zr	*zr;
	uint8_t		 tops[ZR_TOPS];
	int		 t, rc = 0;

	if (put_apex(j) == -1)
		return -1;
	memset(tops, 0, sizeof(tops));
	for (t = 0; t < ZR_TOPS && rc == 0; t++) {
		tops[t] = 1;
		zr = zr_new(j->x->conf->default_reason);
		if (zone_index_foreach(j->d->idx, tops, index_add_cb, zr) != 0 ||
		    zr_render(zr, tops, emit_rr, j) != 0)
			rc = -1;
		zr_free(zr);
		tops[t] = 0;
	}
	if (rc == 0)
		rc = put_soa(j, j->d->serial);
	return rc;
}

/* ------------------------------------------------------------------ */
/* IXFR */

struct touched {
	struct addr	*net;
	size_t		 n, cap;
	size_t		 rows;
	uint32_t	 upto;
};

static int
addr_cmp_v(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

static int
touched_cb(const struct journal_entry *e, void *arg)
{
	struct touched	*t = arg;

	if (serial_lt(t->upto, e->serial))
		return 1;		/* past the data's serial: done */
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->net = xreallocarray(t->net, t->cap, sizeof(*t->net));
	}
	t->net[t->n++] = e->net;
	t->rows++;
	return 0;
}

static int
is_touched(const struct touched *t, const struct addr *net)
{
	return bsearch(net, t->net, t->n, sizeof(*t->net), addr_cmp_v) !=
	    NULL;
}

struct old_add {
	struct zr		*zr;
	const struct touched	*t;
};

static int
old_index_cb(const struct addr *net, int exclude, uint32_t code,
    const char *reason, void *arg)
{
	struct old_add	*o = arg;

	if (is_touched(o->t, net))
		return 0;
	return zr_add(o->zr, net, exclude, code, reason) == -1 ? -1 : 0;
}

static int
old_state_cb(const struct journal_entry *e, void *arg)
{
	return zr_add(arg, &e->net, e->exclude, e->code, e->reason) == -1 ?
	    -1 : 0;
}

static int
ixfr_del(const struct zr_rr *rr, void *arg)
{
	struct xfr_job	*j = arg;

	j->ndel++;
	return emit_rr(rr, j);
}

static int
ixfr_add(const struct zr_rr *rr, void *arg)
{
	struct xfr_job	*j = arg;

	if (j->ixfr_phase == 0) {
		if (put_soa(j, j->d->serial) == -1)
			return -1;
		j->ixfr_phase = 1;
	}
	j->nadd++;
	return emit_rr(rr, j);
}

/*
 * The difference from the client's serial to the data's.  Returns 0
 * (sent), 1 (the whole zone is due instead), -1 (failed).
 */
static int
send_ixfr_diff(struct xfr_job *j, struct db *db)
{
	struct touched	 t;
	struct zone_index_stats zs;
	struct zr	*zold = NULL, *znew = NULL;
	struct old_add	 oa;
	uint8_t		 tops[ZR_TOPS], *subs = NULL;
	size_t		 i, k;
	int		 rc = -1, r;

	memset(&t, 0, sizeof(t));
	t.upto = j->d->serial;
	if (db_journal_horizon(db, &j->horizon) == -1)
		return 1;
	if (serial_lt(j->client_serial, j->horizon)) {
		snprintf(j->why, sizeof(j->why), "behind the journal horizon "
		    "%u", j->horizon);
		return 1;
	}
	r = db_journal_since(db, j->client_serial, touched_cb, &t);
	if (r == -1) {
		free(t.net);
		return 1;
	}
	zone_index_stats(j->d->idx, &zs);
	if (t.rows > zs.entries + 16) {
		snprintf(j->why, sizeof(j->why), "%zu changes, more than the "
		    "zone's %zu entries", t.rows, zs.entries);
		free(t.net);
		return 1;
	}
	qsort(t.net, t.n, sizeof(*t.net), addr_cmp_v);
	for (i = k = 0; i < t.n; i++)	/* unique */
		if (k == 0 || addr_cmp(&t.net[k - 1], &t.net[i]) != 0)
			t.net[k++] = t.net[i];
	t.n = k;
	memset(tops, 0, sizeof(tops));
	subs = xcalloc(ZR_TOPS, ZR_SUBS);
	for (i = 0; i < t.n; i++) {
		zr_mark_tops(&t.net[i], tops);
		zr_mark_subs(&t.net[i], subs);
	}

	znew = zr_new(j->x->conf->default_reason);
	zold = zr_new(j->x->conf->default_reason);
	oa.zr = zold;
	oa.t = &t;
	if (zone_index_foreach(j->d->idx, tops, index_add_cb, znew) != 0 ||
	    zone_index_foreach(j->d->idx, tops, old_index_cb, &oa) != 0)
		goto out;
	for (i = 0; i < t.n; i++) {
		r = db_journal_state_at(db, &t.net[i], j->client_serial,
		    old_state_cb, zold);
		if (r != 0 && r != DB_NOTFOUND)
			goto out;
	}
	if (put_soa(j, j->d->serial) == -1 ||
	    put_soa(j, j->client_serial) == -1)
		goto out;
	j->ixfr_phase = 0;
	if (zr_diff_subs(zold, znew, subs, ixfr_del, ixfr_add, j) != 0)
		goto out;
	if (j->ixfr_phase == 0 && put_soa(j, j->d->serial) == -1)
		goto out;
	if (put_soa(j, j->d->serial) == -1)
		goto out;
	snprintf(j->why, sizeof(j->why), "%zu journal rows, %zu prefixes",
	    t.rows, t.n);
	rc = 0;
out:
	zr_free(zold);
	zr_free(znew);
	free(subs);
	free(t.net);
	return rc;
}

static int
send_ixfr(struct xfr_job *j)
{
	struct db	*db;
	char		 err[256];
	int		 r;

	if (!serial_lt(j->client_serial, j->d->serial)) {
		/* RFC 1995 2: the same or a newer version: our SOA */
		j->kind = XK_IXFR;
		snprintf(j->why, sizeof(j->why), "up to date");
		return put_soa(j, j->d->serial);
	}
	if ((db = db_open(j->x->conf->database, DB_RDONLY, err,
	    sizeof(err))) == NULL) {
		snprintf(j->why, sizeof(j->why), "journal: %s", err);
		r = 1;
	} else {
		if (db_read_begin(db) == -1)
			r = 1;
		else {
			r = send_ixfr_diff(j, db);
			db_read_end(db);
		}
		db_close(db);
	}
	if (r == 1) {
		if (j->why[0] == '\0')
			snprintf(j->why, sizeof(j->why), "journal unreadable");
		j->kind = XK_IXFR_FULL;
		return send_axfr(j);
	}
	j->kind = XK_IXFR;
	return r;
}

static void *
job_main(void *arg)
{
	struct xfr_job	*j = arg;
	int		 rc;

	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), XFR_NICE) ==
	    -1)
		log_debug("xfr: setpriority: %s", strerror(errno));
	msg_begin(j);
	if (j->qtype == XFR_T_AXFR)
		rc = send_axfr(j);
	else
		rc = send_ixfr(j);
	if (rc == 0 && j->ancount > 0)
		rc = msg_flush(j);
	if (rc != 0)
		j->failed = 1;
	pthread_mutex_lock(&j->mtx);
	j->done = 1;
	pthread_mutex_unlock(&j->mtx);
	if (write(j->x->pipefd[1], &j, sizeof(j)) != sizeof(j))
		log_warn("xfr: wake");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The main thread's side */

static void
job_free(struct xfr_job *j)
{
	struct xfr	*x = j->x;
	double		 secs;

	pthread_join(j->thread, NULL);
	LIST_REMOVE(j, entry);
	x->njobs--;
	secs = (double)(clock_mono_usec() - j->start_usec) / 1e6;
	if (j->failed || j->cancel) {
		x->st.failed++;
		log_warnx("xfr: %s serial %u to %s cut off after %llu "
		    "records", j->qtype == XFR_T_AXFR ? "AXFR" : "IXFR",
		    j->d->serial, j->peer, (unsigned long long)j->records);
	} else {
		switch (j->kind) {
		case XK_AXFR:
			x->st.axfr++;
			break;
		case XK_IXFR:
			x->st.ixfr++;
			if (j->ndel + j->nadd == 0 && j->records == 1)
				x->st.ixfr_current++;
			break;
		case XK_IXFR_FULL:
			x->st.ixfr_full++;
			break;
		}
		x->st.messages += j->messages;
		x->st.bytes += j->bytes;
		if (j->kind == XK_AXFR)
			log_info("xfr: AXFR serial %u to %s%s: %llu records, "
			    "%llu messages, %llu bytes, %.3f s", j->d->serial,
			    j->peer, j->sign ? " (TSIG)" : "",
			    (unsigned long long)j->records,
			    (unsigned long long)j->messages,
			    (unsigned long long)j->bytes, secs);
		else if (j->kind == XK_IXFR)
			log_info("xfr: IXFR %u -> %u to %s%s: %s, %llu "
			    "deletions, %llu additions, %llu bytes, %.3f s",
			    j->client_serial, j->d->serial, j->peer,
			    j->sign ? " (TSIG)" : "", j->why,
			    (unsigned long long)j->ndel,
			    (unsigned long long)j->nadd,
			    (unsigned long long)j->bytes, secs);
		else
			log_info("xfr: IXFR %u -> %u to %s%s: whole zone (%s): "
			    "%llu records, %llu bytes, %.3f s",
			    j->client_serial, j->d->serial, j->peer,
			    j->sign ? " (TSIG)" : "", j->why,
			    (unsigned long long)j->records,
			    (unsigned long long)j->bytes, secs);
	}
	if (--j->d->xfr_pins == 0 && j->d->retired)
		dnsd_data_free(j->d);
	evbuffer_free(j->q);
	pthread_mutex_destroy(&j->mtx);
	pthread_cond_destroy(&j->cond);
	free(j);
}

/* Move what the thread made into the connection, as far as it takes. */
static void
job_pump(struct xfr_job *j)
{
	struct evbuffer	*out;
	size_t		 have, room, n;
	int		 done;

	pthread_mutex_lock(&j->mtx);
	if (j->bev == NULL) {
		evbuffer_drain(j->q, j->qbytes);
		j->qbytes = 0;
	} else {
		out = bufferevent_get_output(j->bev);
		have = evbuffer_get_length(out);
		room = have < XFR_OUT_HIGH ? XFR_OUT_HIGH - have : 0;
		n = j->qbytes < room ? j->qbytes : room;
		if (n > 0) {
			evbuffer_remove_buffer(j->q, out, n);
			j->qbytes -= n;
		}
	}
	pthread_cond_signal(&j->cond);
	done = j->done && j->qbytes == 0;
	pthread_mutex_unlock(&j->mtx);
	if (!done)
		return;
	/* a half-sent transfer (failed): the connection cannot go on */
	if (j->bev != NULL && j->done_cb != NULL)
		j->done_cb(j->arg, !j->failed);
	job_free(j);
}

static void
pipe_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct xfr	*x = arg;
	struct xfr_job	*jobs[64], *j;
	ssize_t		 n;
	int		 i, k;

	(void)ev;
	if ((n = read(fd, jobs, sizeof(jobs))) <= 0)
		return;
	for (i = 0; i < n / (ssize_t)sizeof(jobs[0]); i++) {
		/* a job may be named twice, and freed by the first */
		for (k = 0; k < i; k++)
			if (jobs[k] == jobs[i])
				break;
		if (k < i)
			continue;
		LIST_FOREACH(j, &x->jobs, entry)
			if (j == jobs[i])
				break;
		if (j != NULL)
			job_pump(j);
	}
}

void
xfr_job_pull(struct xfr_job *j)
{
	job_pump(j);
}

void
xfr_job_cancel(struct xfr_job *j)
{
	pthread_mutex_lock(&j->mtx);
	j->cancel = 1;
	j->bev = NULL;
	j->done_cb = NULL;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->mtx);
	job_pump(j);	/* frees it if the thread is done */
}

/* May the peer transfer, with the key the request verified with? */
static int
allowed(const struct xfr *x, const struct addr *peer,
    const struct tsig_key *key)
{
	int	 i;

	for (i = 0; i < x->nacl; i++) {
		if (!addr_contains(&x->acl[i].net, peer))
			continue;
		if (x->acl[i].key == NULL || x->acl[i].key == key)
			return 1;
	}
	return 0;
}

/* Answer at once: rcode, signed when the request was (and verified). */
static struct xfr_job *
refuse(struct bufferevent *bev, const uint8_t *pkt, const struct xfr_req *r,
    int rcode, struct tsig_ctx *ctx, int *rcodep)
{
	uint8_t		 out[2 + HDRLEN + 255 + 4 + TSIG_SPACE(255)];
	size_t		 n;
	uint16_t	 flags = (uint16_t)(pkt[2] << 8 | pkt[3]);

	*rcodep = rcode;
	n = short_answer(out + 2, sizeof(out) - 2, r->id, flags, pkt + HDRLEN,
	    r->qend > HDRLEN ? r->qend - HDRLEN : 0, rcode);
	if (n > 0 && ctx != NULL)
		n = tsig_sign(ctx, out + 2, n, sizeof(out) - 2, time(NULL));
	if (n == 0)
		return NULL;
	put16(out, (uint16_t)n);
	evbuffer_add(bufferevent_get_output(bev), out, n + 2);
	return NULL;
}

struct xfr_job *
xfr_begin(struct xfr *x, struct dnsd_data *d, const uint8_t *pkt,
    size_t len, const void *peer, struct bufferevent *bev,
    void (*done)(void *, int), void *arg, int *rcode)
{
	struct xfr_req		 r;
	struct xfr_job		*j;
	struct tsig_ctx		 ctx, *cp = NULL;
	const struct zone	*z;
	struct addr		 pa;
	char			 ip[64], err[64];
	int			 e;

	if (xfr_req_parse(pkt, len, &r) != XFR_REQ_OK) {
		r.id = len >= 2 ? (uint16_t)(pkt[0] << 8 | pkt[1]) : 0;
		if (len < HDRLEN)
			return NULL;
		r.qend = HDRLEN;	/* no question echoed */
		return refuse(bev, pkt, &r, RC_FORMERR, NULL, rcode);
	}
	if (net_sockaddr_ip(peer, ip, sizeof(ip)) == NULL ||
	    addr_parse(ip, &pa, err, sizeof(err)) == -1)
		return refuse(bev, pkt, &r, RC_REFUSED, NULL, rcode);
	if (r.has_tsig) {
		e = tsig_verify_request(&x->keys, pkt, len, &r.tsig,
		    time(NULL), &ctx);
		cp = &ctx;
		if (e != TSIG_OK) {
			x->st.notauth++;
			log_info("xfr: %s from %s: TSIG error %d, NOTAUTH",
			    r.qtype == XFR_T_AXFR ? "AXFR" : "IXFR", ip, e);
			return refuse(bev, pkt, &r, RC_NOTAUTH, cp, rcode);
		}
	}
	if ((z = find_zone(d->zc, r.qname, r.qnamelen)) == NULL ||
	    r.qclass != C_IN ||
	    !allowed(x, &pa, r.has_tsig ? ctx.key : NULL)) {
		x->st.refused++;
		log_info("xfr: %s from %s%s%s: refused", r.qtype == XFR_T_AXFR ?
		    "AXFR" : "IXFR", ip, r.has_tsig ? " key " : "",
		    r.has_tsig ? ctx.key->name : "");
		return refuse(bev, pkt, &r, RC_REFUSED, cp, rcode);
	}
	if (!d->loaded) {
		/* only the test points (no database read yet): never hand
		 * that out as the list; the secondary keeps what it has */
		x->st.refused++;
		log_warnx("xfr: %s from %s: no database loaded yet, SERVFAIL",
		    r.qtype == XFR_T_AXFR ? "AXFR" : "IXFR", ip);
		return refuse(bev, pkt, &r, RC_SERVFAIL, cp, rcode);
	}
	if (x->njobs >= x->conf->xfr_max_clients) {
		x->st.refused++;
		log_warnx("xfr: %s from %s: %d transfers running, refused",
		    r.qtype == XFR_T_AXFR ? "AXFR" : "IXFR", ip, x->njobs);
		return refuse(bev, pkt, &r, RC_REFUSED, cp, rcode);
	}
	*rcode = 0;
	j = xcalloc(1, sizeof(*j));
	j->x = x;
	j->d = d;
	j->z = z;
	j->bev = bev;
	j->done_cb = done;
	j->arg = arg;
	j->id = r.id;
	j->qtype = r.qtype;
	j->qlen = r.qend - HDRLEN;
	memcpy(j->question, pkt + HDRLEN, j->qlen);
	j->client_serial = r.serial;
	j->kind = r.qtype == XFR_T_AXFR ? XK_AXFR : XK_IXFR;
	if (r.has_tsig) {
		j->sign = 1;
		j->tctx = ctx;
	}
	snprintf(j->peer, sizeof(j->peer), "%s", ip);
	if ((j->q = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	pthread_mutex_init(&j->mtx, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->start_usec = clock_mono_usec();
	d->xfr_pins++;
	LIST_INSERT_HEAD(&x->jobs, j, entry);
	x->njobs++;
	if ((errno = pthread_create(&j->thread, NULL, job_main, j)) != 0)
		fatal("xfr: pthread_create");
	return j;
}

void
xfr_free(struct xfr *x)
{
	struct xfr_job	*j;

	if (x == NULL)
		return;
	while ((j = LIST_FIRST(&x->jobs)) != NULL) {
		pthread_mutex_lock(&j->mtx);
		j->cancel = 1;
		j->bev = NULL;
		pthread_cond_signal(&j->cond);
		pthread_mutex_unlock(&j->mtx);
		job_free(j);	/* joins */
	}
	if (x->pipe_ev)
		event_free(x->pipe_ev);
	if (x->pipefd[0] != -1)
		close(x->pipefd[0]);
	if (x->pipefd[1] != -1)
		close(x->pipefd[1]);
	tsig_keys_clear(&x->keys);
	free(x);
}
