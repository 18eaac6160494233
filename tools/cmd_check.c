/*
 * cmd_check.c -- orblctl check: ask several DNSBLs about one address at
 * once (the seed's multi-blacklist check page: one address, every list,
 * one answer) and print, per list, listed or not, the A codes, the TXT,
 * or the error.
 *
 * One thread, one poll loop: every A and TXT query is built with ldns and
 * sent over UDP at once (one socket per address family, replies matched
 * by id, server and question), each is sent again after half the timeout
 * (to the next server when there are several) and given up at the
 * timeout, and a truncated reply moves the query to TCP.  The whole run
 * takes about the slowest list's time, never the sum.
 *
 * Where each list is asked:
 *	--lists ZONE@IP[:PORT]	that server, whatever else is given;
 *	--resolver IP[:PORT]	every other list;
 *	our own zones (zone =)	our orbl-dnsd at the first dns_listen of the
 *				configuration (a wildcard address is asked at
 *				loopback), so the check works before the zone
 *				is delegated;
 *	any other zone		the nameservers of /etc/resolv.conf.
 * Without --lists: our zones, then the well-known public lists below.
 *
 * A list answers "listed" with A records in 127.0.0.0/8.  Answers in
 * 127.255.255.0/24 are the lists' own error codes (Spamhaus: query
 * through a public resolver, over the limit) and answers outside
 * 127.0.0.0/8 mean a dead or hijacked list zone: both are errors, never
 * listings.  Exit status: 0 listed anywhere, 1 listed nowhere (also when
 * no list answered at all: "no list answered" on stderr), 2 usage.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "ctl.h"
#include "log.h"
#include "xmalloc.h"

#define CHECK_MAXLISTS	64
#define CHECK_MAXSRV	3	/* servers per list (resolv.conf) */
#define CHECK_MAXRR	16	/* A codes and TXT strings kept per list */
#define CHECK_TIMEOUT	5000	/* ms per query, --timeout */
#define CHECK_EDNS	1232	/* our EDNS0 UDP size */
#define CHECK_ZONEMAX	200	/* room for the 64 bytes of an IPv6 name */

/* Queried through the system resolver when --lists is not given. */
static const char *const check_public[] = {
	"zen.spamhaus.org",
	"bl.spamcop.net",
	"b.barracudacentral.org",
	"dnsbl.sorbs.net",
	"psbl.surriel.com",
	"bl.mailspike.net",
	"dnsbl-1.uceprotect.net",
	NULL
};

struct srv {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

enum qstate { Q_UDP, Q_CONNECT, Q_WRITE, Q_READ, Q_DONE };

struct list;

struct query {
	struct list	*list;
	ldns_rr_type	 type;
	uint16_t	 id;
	enum qstate	 state;
	uint8_t		*wire;		/* the query (ldns allocated) */
	size_t		 wlen;
	int		 tries;		/* UDP sends */
	int64_t		 retry_at, deadline, done_at;
	const char	*note;		/* ignored reply, for the timeout */
	int		 fd;		/* TCP, -1 */
	int		 tsrv;		/* TCP: index of the server */
	uint8_t		*tbuf;		/* TCP: framed query, then reply */
	size_t		 tlen, toff;
	int		 answered;	/* NOERROR or NXDOMAIN */
	char		 err[128];
};

struct list {
	char		 zone[256];
	ldns_rdf	*qname;
	struct srv	 srv[CHECK_MAXSRV];
	int		 nsrv;
	struct query	 q[2];		/* A, TXT */
	uint32_t	 codes[CHECK_MAXRR];
	int		 ncodes;
	char		*txt[CHECK_MAXRR];
	int		 ntxt;
	int		 listed, done;
	int64_t		 ms;
	char		 err[160];
};

struct check {
	struct list	*lists;
	int		 nlists;
	int		 fd4, fd6;
	int64_t		 t0, timeout;
	int		 pending;	/* queries not Q_DONE */
	uint8_t		*rbuf;		/* UDP receive buffer */
};

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
srv_fmt(const struct srv *s, char *buf, size_t len)
{
	char	 h[INET6_ADDRSTRLEN];

	if (s->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&s->ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)&s->ss;

		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(s4->sin_port));
	}
	return buf;
}

static int
srv_set(struct srv *s, const char *host, uint16_t port)
{
	struct sockaddr_in	*s4 = (void *)&s->ss;
	struct sockaddr_in6	*s6 = (void *)&s->ss;

	memset(s, 0, sizeof(*s));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s->len = sizeof(*s4);
		return 0;
	}
	memset(s, 0, sizeof(*s));
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address (port 53). */
static int
srv_parse(const char *str, struct srv *s, char *err, size_t errlen)
{
	struct conf_listen	 l;
	struct in6_addr		 in6;

	if (inet_pton(AF_INET6, str, &in6) == 1)
		return srv_set(s, str, 53);
	if (conf_parse_listen(str, 53, &l, err, errlen) == -1)
		return -1;
	if (srv_set(s, l.host, l.port) == -1) {
		snprintf(err, errlen, "%s: not an IP address", str);
		return -1;
	}
	return 0;
}

/* Our orbl-dnsd: the first dns_listen, wildcards asked at loopback. */
static void
srv_ours(const struct conf *conf, struct srv *s)
{
	const char	*h = "127.0.0.1";
	uint16_t	 port = 53;

	if (conf->ndns_listen > 0) {
		h = conf->dns_listen[0].host;
		port = conf->dns_listen[0].port;
		if (strcmp(h, "0.0.0.0") == 0)
			h = "127.0.0.1";
		else if (strcmp(h, "::") == 0)
			h = "::1";
	}
	if (srv_set(s, h, port) == -1)
		srv_set(s, "127.0.0.1", port);
}

/* The nameservers of /etc/resolv.conf (at most CHECK_MAXSRV). */
static int
srv_system(struct srv *v, char *err, size_t errlen)
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
	for (i = 0; i < ldns_resolver_nameserver_count(res) &&
	    n < CHECK_MAXSRV; i++) {
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

static int
parse_timeout(const char *s, int64_t *ms)
{
	char	*end;
	double	 v;

	if (s == NULL) {
		*ms = CHECK_TIMEOUT;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v <= 0 ||
	    v > 60)
		return -1;
	*ms = (int64_t)(v * 1000 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

/* Is the zone (zlen bytes, maybe with a trailing dot) one of ours? */
static int
is_ours(const struct ctl *ctl, const char *zone, size_t zlen)
{
	int	 i;

	if (zlen > 0 && zone[zlen - 1] == '.')
		zlen--;
	for (i = 0; i < ctl->conf.nzones; i++)
		if (strlen(ctl->conf.zones[i]) == zlen &&
		    strncasecmp(ctl->conf.zones[i], zone, zlen) == 0)
			return 1;
	return 0;
}

static uint16_t
unique_id(const struct check *c)
{
	uint16_t	 id;
	int		 i, k, dup;

	do {
		arc4random_buf(&id, sizeof(id));
		dup = 0;
		for (i = 0; i < c->nlists && !dup; i++)
			for (k = 0; k < 2; k++)
				if (c->lists[i].q[k].wire != NULL &&
				    c->lists[i].q[k].id == id)
					dup = 1;
	} while (dup);
	return id;
}

/*
 * Add one list: zone (a trailing dot is dropped) asked at srv[0..nsrv-1];
 * nsrv 0 with why: the list fails before it starts.  -1: bad zone name.
 */
static int
list_add(struct check *c, const char *zone, size_t zlen, const char *rev,
    const struct srv *srv, int nsrv, const char *why, char *err,
    size_t errlen)
{
	struct list	*l;
	char		 qn[512];
	int		 k, i;

	if (zlen > 0 && zone[zlen - 1] == '.')
		zlen--;
	if (zlen == 0 || zlen > CHECK_ZONEMAX || zone[0] == '.') {
		snprintf(err, errlen, "bad zone name '%.*s'", (int)zlen, zone);
		return -1;
	}
	for (i = 0; i < c->nlists; i++)
		if (strlen(c->lists[i].zone) == zlen &&
		    strncasecmp(c->lists[i].zone, zone, zlen) == 0 &&
		    memcmp(c->lists[i].srv, srv, sizeof(*srv) * nsrv) == 0 &&
		    c->lists[i].nsrv == nsrv)
			return 0;	/* the same list twice */
	if (c->nlists == CHECK_MAXLISTS) {
		snprintf(err, errlen, "too many lists (at most %d)",
		    CHECK_MAXLISTS);
		return -1;
	}
	l = &c->lists[c->nlists];
	memset(l, 0, sizeof(*l));
	memcpy(l->zone, zone, zlen);
	l->zone[zlen] = '\0';
	snprintf(qn, sizeof(qn), "%s.%s.", rev, l->zone);
	if (ldns_str2rdf_dname(&l->qname, qn) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "bad zone name '%.200s'", l->zone);
		return -1;
	}
	c->nlists++;
	for (k = 0; k < 2; k++) {
		l->q[k].list = l;
		l->q[k].fd = -1;
		l->q[k].type = k == 0 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_TXT;
		l->q[k].state = Q_DONE;
	}
	memcpy(l->srv, srv, sizeof(*srv) * nsrv);
	l->nsrv = nsrv;
	if (nsrv == 0) {
		l->done = 1;
		snprintf(l->err, sizeof(l->err), "%s", why);
	}
	return 0;
}

static int
query_build(struct check *c, struct query *q)
{
	ldns_pkt	*p;
	ldns_rdf	*name;

	if ((name = ldns_rdf_clone(q->list->qname)) == NULL ||
	    (p = ldns_pkt_query_new(name, q->type, LDNS_RR_CLASS_IN,
	    LDNS_RD)) == NULL)
		fatalx("%s: out of memory", __func__);
	q->id = unique_id(c);
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_edns_udp_size(p, CHECK_EDNS);
	if (ldns_pkt2wire(&q->wire, p, &q->wlen) != LDNS_STATUS_OK)
		fatalx("%s: cannot write a query", __func__);
	ldns_pkt_free(p);
	return 0;
}

static void	 list_settle(struct check *, struct list *, int64_t);

static void
query_finish(struct check *c, struct query *q, int64_t now)
{
	if (q->state == Q_DONE)
		return;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
	free(q->tbuf);
	q->tbuf = NULL;
	q->state = Q_DONE;
	q->done_at = now;
	c->pending--;
	list_settle(c, q->list, now);
}

static void
query_fail(struct check *c, struct query *q, int64_t now, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
query_fail(struct check *c, struct query *q, int64_t now, const char *fmt,
    ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	query_finish(c, q, now);
}

static int
udp_socket(struct check *c, int family)
{
	int	*fd = family == AF_INET6 ? &c->fd6 : &c->fd4;

	if (*fd == -1)
		*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	return *fd;
}

static void
query_send(struct check *c, struct query *q, int64_t now)
{
	const struct srv	*s = &q->list->srv[q->tries % q->list->nsrv];
	int			 fd;

	q->tries++;
	if ((fd = udp_socket(c, s->ss.ss_family)) == -1 ||
	    sendto(fd, q->wire, q->wlen, 0, (const struct sockaddr *)&s->ss,
	    s->len) == -1)
		query_fail(c, q, now, "send: %s", strerror(errno));
}

static void
tcp_start(struct check *c, struct query *q, int si, int64_t now)
{
	const struct srv	*s = &q->list->srv[si];
	int			 fd;

	q->tsrv = si;
	q->state = Q_CONNECT;
	if ((fd = socket(s->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		query_fail(c, q, now, "tcp: %s", strerror(errno));
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
	else if (errno != EINPROGRESS)
		query_fail(c, q, now, "tcp: %s", strerror(errno));
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
query_answer(struct query *q, const ldns_pkt *p)
{
	struct list	*l = q->list;
	const ldns_rr_list *an = ldns_pkt_answer(p);
	const ldns_rr	*rr;
	const ldns_rdf	*f;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != q->type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		if (q->type == LDNS_RR_TYPE_A && l->ncodes < CHECK_MAXRR) {
			f = ldns_rr_rdf(rr, 0);
			if (f == NULL || ldns_rdf_size(f) != 4)
				continue;
			l->codes[l->ncodes++] = (uint32_t)ldns_rdf_data(f)[0] <<
			    24 | (uint32_t)ldns_rdf_data(f)[1] << 16 |
			    (uint32_t)ldns_rdf_data(f)[2] << 8 |
			    ldns_rdf_data(f)[3];
		} else if (q->type == LDNS_RR_TYPE_TXT && l->ntxt < CHECK_MAXRR)
			l->txt[l->ntxt++] = txt_join(rr);
	}
}

/* A reply for q (from server si; over TCP or not). */
static void
query_reply(struct check *c, struct query *q, const uint8_t *buf, size_t len,
    int si, int tcp, int64_t now)
{
	ldns_pkt		*p = NULL;
	const ldns_rr		*qr;
	ldns_lookup_table	*lt;
	ldns_pkt_rcode		 rc;

	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
		q->note = "a malformed reply";
		goto ignore;
	}
	rc = ldns_pkt_get_rcode(p);
	qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if (ldns_pkt_id(p) != q->id || !ldns_pkt_qr(p)) {
		q->note = "a reply that did not match";
		goto ignore;
	}
	if (qr == NULL ? rc == LDNS_RCODE_NOERROR ||
	    rc == LDNS_RCODE_NXDOMAIN :
	    ldns_rr_get_type(qr) != q->type ||
	    ldns_dname_compare(ldns_rr_owner(qr), q->list->qname) != 0) {
		q->note = "a reply to another question";
		goto ignore;
	}
	if (ldns_pkt_tc(p) && !tcp) {
		ldns_pkt_free(p);
		tcp_start(c, q, si, now);
		return;
	}
	if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) {
		q->answered = 1;
		query_answer(q, p);
		ldns_pkt_free(p);
		query_finish(c, q, now);
		return;
	}
	ldns_pkt_free(p);
	if ((lt = ldns_lookup_by_id(ldns_rcodes, (int)rc)) != NULL)
		query_fail(c, q, now, "%s", lt->name);
	else
		query_fail(c, q, now, "RCODE %d", (int)rc);
	return;
ignore:
	ldns_pkt_free(p);
	if (tcp)
		query_fail(c, q, now, "%s over TCP", q->note);
}

/*
 * The A query decides: failed or not listed, the list is settled (its TXT
 * query is dropped); listed, it waits for the TXT.
 */
static void
list_settle(struct check *c, struct list *l, int64_t now)
{
	struct query	*a = &l->q[0], *t = &l->q[1];
	char		 cb[16];
	int		 i, in127 = 0, out = -1, err = -1;

	if (l->done || a->state != Q_DONE)
		return;
	if (!a->answered)
		snprintf(l->err, sizeof(l->err), "%s", a->err);
	for (i = 0; i < l->ncodes; i++) {
		if (l->codes[i] >> 24 != 127)
			out = i;
		else if (l->codes[i] >> 8 == 0x7fffff)
			err = i;
		else
			in127 = 1;
	}
	if (out != -1)
		snprintf(l->err, sizeof(l->err), "answer %s is outside "
		    "127.0.0.0/8: the list is gone or its zone hijacked",
		    ctl_fmt_code(l->codes[out], cb, sizeof(cb)));
	else if (err != -1 && !in127)
		snprintf(l->err, sizeof(l->err), "the list refused the query "
		    "(code %s: see its return codes; often a public resolver "
		    "or a query limit)", ctl_fmt_code(l->codes[err], cb,
		    sizeof(cb)));
	else if (in127) {
		if (t->state != Q_DONE)
			return;
		l->listed = 1;
	}
	l->done = 1;
	l->ms = now - c->t0;
	if (t->state != Q_DONE)
		query_finish(c, t, now);
}

static struct query *
query_by_id(struct check *c, uint16_t id)
{
	int	 i, k;

	for (i = 0; i < c->nlists; i++)
		for (k = 0; k < 2; k++)
			if (c->lists[i].q[k].state == Q_UDP &&
			    c->lists[i].q[k].id == id)
				return &c->lists[i].q[k];
	return NULL;
}

/* Index of the list's server that ss is, or -1. */
static int
srv_index(const struct list *l, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*a4 = (const void *)ss, *b4;
	const struct sockaddr_in6	*a6 = (const void *)ss, *b6;
	int				 i;

	for (i = 0; i < l->nsrv; i++) {
		if (l->srv[i].ss.ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET) {
			b4 = (const void *)&l->srv[i].ss;
			if (a4->sin_port == b4->sin_port &&
			    a4->sin_addr.s_addr == b4->sin_addr.s_addr)
				return i;
		} else {
			b6 = (const void *)&l->srv[i].ss;
			if (a6->sin6_port == b6->sin6_port &&
			    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0)
				return i;
		}
	}
	return -1;
}

static void
udp_read(struct check *c, int fd, int64_t now)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct query		*q;
	ssize_t			 n;
	int			 si;

	for (;;) {
		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		n = recvfrom(fd, c->rbuf, 65536, 0, (struct sockaddr *)&ss,
		    &sl);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;		/* EAGAIN; errors: the timeout says */
		if (n < 12 || (q = query_by_id(c, (uint16_t)(c->rbuf[0] << 8 |
		    c->rbuf[1]))) == NULL ||
		    (si = srv_index(q->list, &ss)) == -1)
			continue;
		query_reply(c, q, c->rbuf, (size_t)n, si, 0, now);
	}
}

static void
tcp_event(struct check *c, struct query *q, short rev, int64_t now)
{
	ssize_t		 n;
	size_t		 need;
	int		 e;
	socklen_t	 el = sizeof(e);

	if (q->state == Q_CONNECT) {
		if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
		if (e != 0) {
			query_fail(c, q, now, "tcp: %s", strerror(e));
			return;
		}
		if (!(rev & POLLOUT))
			return;
		q->state = Q_WRITE;
	}
	if (q->state == Q_WRITE) {
		n = send(q->fd, q->tbuf + q->toff, q->tlen - q->toff,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == -1) {
			query_fail(c, q, now, "tcp: %s", strerror(errno));
			return;
		}
		if ((q->toff += (size_t)n) < q->tlen)
			return;
		free(q->tbuf);
		q->tbuf = xmalloc(65535 + 2);
		q->toff = 0;
		q->state = Q_READ;
		return;
	}
	if (q->state != Q_READ)
		return;
	need = q->toff < 2 ? 2 : 2 + (size_t)(q->tbuf[0] << 8 | q->tbuf[1]);
	n = recv(q->fd, q->tbuf + q->toff, need - q->toff, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		query_fail(c, q, now, "tcp: %s", n == 0 ?
		    "connection closed" : strerror(errno));
		return;
	}
	q->toff += (size_t)n;
	if (q->toff == 2 && need == 2 && (q->tbuf[0] | q->tbuf[1]) == 0)
		query_fail(c, q, now, "tcp: empty reply");
	else if (q->toff == need && need > 2)
		query_reply(c, q, q->tbuf + 2, need - 2, q->tsrv, 1, now);
}

/* Send everything, then poll until every query is settled. */
static void
check_run(struct check *c)
{
	struct pollfd	 pfd[2 + 2 * CHECK_MAXLISTS];
	struct query	*qv[2 + 2 * CHECK_MAXLISTS], *q;
	int64_t		 now, next;
	int		 i, k, n;

	c->t0 = now = now_ms();
	for (i = 0; i < c->nlists; i++) {
		if (c->lists[i].done)
			continue;
		for (k = 0; k < 2; k++) {
			q = &c->lists[i].q[k];
			query_build(c, q);
			q->state = Q_UDP;
			q->retry_at = now + c->timeout / 2;
			q->deadline = now + c->timeout;
			c->pending++;
		}
	}
	for (i = 0; i < c->nlists; i++)
		for (k = 0; k < 2; k++)
			if (c->lists[i].q[k].state == Q_UDP)
				query_send(c, &c->lists[i].q[k], now);

	while (c->pending > 0) {
		now = now_ms();
		next = now + c->timeout;
		n = 0;
		for (i = 0; i < c->nlists; i++)
			for (k = 0; k < 2; k++) {
				q = &c->lists[i].q[k];
				if (q->state == Q_DONE)
					continue;
				if (now >= q->deadline) {
					if (q->note)
						query_fail(c, q, now, "timeout "
						    "(after %s)", q->note);
					else
						query_fail(c, q, now, "timeout");
					continue;
				}
				if (q->state == Q_UDP && q->tries == 1 &&
				    now >= q->retry_at)
					query_send(c, q, now);
				if (q->state == Q_DONE)
					continue;
				if (q->deadline < next)
					next = q->deadline;
				if (q->state == Q_UDP && q->tries == 1 &&
				    q->retry_at < next)
					next = q->retry_at;
				if (q->fd != -1) {
					pfd[n].fd = q->fd;
					pfd[n].events = q->state == Q_READ ?
					    POLLIN : POLLOUT;
					qv[n++] = q;
				}
			}
		if (c->pending == 0)
			break;
		for (k = 0; k < 2; k++) {
			pfd[n].fd = k == 0 ? c->fd4 : c->fd6;
			pfd[n].events = POLLIN;
			qv[n++] = NULL;
		}
		if (poll(pfd, (nfds_t)n, (int)(next - now)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		now = now_ms();
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (qv[i] == NULL)
				udp_read(c, pfd[i].fd, now);
			else if (qv[i]->state != Q_DONE && qv[i]->fd ==
			    pfd[i].fd)
				tcp_event(c, qv[i], pfd[i].revents, now);
		}
	}
}

static void
print_text(const struct check *c, const char *ip, int answered, int listed)
{
	const struct list	*l;
	char			 cb[16], sb[80];
	int			 i, k, w = 4;

	for (i = 0; i < c->nlists; i++)
		if ((int)strlen(c->lists[i].zone) > w)
			w = (int)strlen(c->lists[i].zone);
	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		printf("%-*s  %-10s %5lld ms", w, l->zone, l->listed ?
		    "listed" : l->err[0] ? "error" : "not listed",
		    (long long)l->ms);
		if (l->err[0] && l->nsrv > 0)
			printf("  %s (%s)", l->err, srv_fmt(&l->srv[0], sb,
			    sizeof(sb)));
		else if (l->err[0])
			printf("  %s", l->err);
		else if (l->listed) {
			printf(" ");
			for (k = 0; k < l->ncodes; k++)
				printf("%c%s", k ? ',' : ' ',
				    ctl_fmt_code(l->codes[k], cb, sizeof(cb)));
			for (k = 0; k < l->ntxt; k++)
				printf("  \"%s\"", l->txt[k]);
		}
		printf("\n");
	}
	if (answered == 0) {
		printf("%s: no list answered\n", ip);
		return;
	}
	if (listed)
		printf("%s: listed in %d of %d list%s", ip, listed, answered,
		    answered == 1 ? "" : "s");
	else
		printf("%s: not listed in %s%d list%s", ip, answered == 1 ?
		    "" : "any of ", answered, answered == 1 ? "" : "s");
	if (answered < c->nlists)
		printf(" (%d did not answer)", c->nlists - answered);
	printf("\n");
}

static void
print_json(const struct check *c, const char *ip, int answered, int listed)
{
	const struct list	*l;
	char			 cb[16], sb[80];
	int			 i, k;

	printf("{\"address\":");
	ctl_json_str(stdout, ip);
	printf(",\"listed\":%s,\"answered\":%d,\"lists\":[",
	    listed ? "true" : "false", answered);
	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		printf("%s{\"zone\":", i ? "," : "");
		ctl_json_str(stdout, l->zone);
		printf(",\"server\":");
		ctl_json_str(stdout, l->nsrv ? srv_fmt(&l->srv[0], sb,
		    sizeof(sb)) : NULL);
		printf(",\"listed\":%s,\"codes\":[", l->listed ? "true" :
		    "false");
		for (k = 0; k < l->ncodes; k++) {
			printf("%s", k ? "," : "");
			ctl_json_str(stdout, ctl_fmt_code(l->codes[k], cb,
			    sizeof(cb)));
		}
		printf("],\"txt\":[");
		for (k = 0; l->listed && k < l->ntxt; k++) {
			printf("%s", k ? "," : "");
			ctl_json_str(stdout, l->txt[k]);
		}
		printf("],\"error\":");
		ctl_json_str(stdout, l->err[0] ? l->err : NULL);
		printf(",\"ms\":%lld}", (long long)l->ms);
	}
	printf("]}\n");
}

static void
check_free(struct check *c)
{
	struct list	*l;
	int		 i, k;

	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		for (k = 0; k < 2; k++) {
			if (l->q[k].fd != -1)
				close(l->q[k].fd);
			free(l->q[k].tbuf);
			free(l->q[k].wire);
		}
		for (k = 0; k < l->ntxt; k++)
			free(l->txt[k]);
		ldns_rdf_deep_free(l->qname);
	}
	if (c->fd4 != -1)
		close(c->fd4);
	if (c->fd6 != -1)
		close(c->fd6);
	free(c->lists);
	free(c->rbuf);
}

/*
 * The lists to ask: --lists items (ZONE or ZONE@SERVER), or our zones and
 * the public ones.  Returns 0 or -1 (usage, the reason in err).
 */
static int
check_lists(struct ctl *ctl, struct check *c, const char *lists,
    const struct srv *resolver, const char *rev, char *err, size_t errlen)
{
	struct srv	 sys[CHECK_MAXSRV], one;
	char		 syserr[128] = "";
	const char	*p, *e, *at;
	size_t		 zlen;
	int		 i, nsys = 0, sysdone = 0;

	if (lists == NULL) {
		srv_ours(&ctl->conf, &one);
		for (i = 0; i < ctl->conf.nzones; i++)
			if (list_add(c, ctl->conf.zones[i],
			    strlen(ctl->conf.zones[i]), rev, resolver ?
			    resolver : &one, 1, NULL, err, errlen) == -1)
				return -1;
		if (resolver == NULL &&
		    (nsys = srv_system(sys, syserr, sizeof(syserr))) == -1)
			nsys = 0;
		for (i = 0; check_public[i]; i++)
			if (list_add(c, check_public[i],
			    strlen(check_public[i]), rev, resolver ?
			    resolver : sys, resolver ? 1 : nsys, syserr, err,
			    errlen) == -1)
				return -1;
		return 0;
	}
	for (p = lists; ; p = e + 1) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		at = memchr(p, '@', (size_t)(e - p));
		zlen = (size_t)((at ? at : e) - p);
		if (at != NULL) {
			char	 s[128];

			if ((size_t)(e - at - 1) >= sizeof(s) || e == at + 1) {
				snprintf(err, errlen, "--lists: bad server "
				    "in '%.*s'", (int)(e - p), p);
				return -1;
			}
			memcpy(s, at + 1, (size_t)(e - at - 1));
			s[e - at - 1] = '\0';
			if (srv_parse(s, &one, err, errlen) == -1)
				return -1;
			if (list_add(c, p, zlen, rev, &one, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else if (resolver != NULL) {
			if (list_add(c, p, zlen, rev, resolver, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else if (is_ours(ctl, p, zlen)) {
			srv_ours(&ctl->conf, &one);
			if (list_add(c, p, zlen, rev, &one, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else {
			if (!sysdone && (nsys = srv_system(sys, syserr,
			    sizeof(syserr))) == -1)
				nsys = 0;
			sysdone = 1;
			if (list_add(c, p, zlen, rev, sys, nsys, syserr, err,
			    errlen) == -1)
				return -1;
		}
		if (*e == '\0')
			break;
	}
	return 0;
}

int
cmd_check(struct ctl *ctl, int argc, char **argv)
{
	const char	*lists = NULL, *res_s = NULL, *to_s = NULL;
	int		 json = 0;
	struct ctl_opt	 opts[] = {
		{ "lists", 1, &lists, NULL },
		{ "resolver", 1, &res_s, NULL },
		{ "timeout", 1, &to_s, NULL },
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	struct check	 c;
	struct srv	 resolver;
	struct addr	 a;
	char		*pos[1], err[256], ip[ADDR_STRLEN], rev[128];
	int		 npos, i, answered = 0, listed = 0;

	if (ctl_getopt("check", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("check", "check: missing ADDR");
	if (addr_parse(pos[0], &a, err, sizeof(err)) == -1)
		return ctl_usage_err("check", "check: %s", err);
	if (!addr_is_single(&a))
		return ctl_usage_err("check", "check: %s: give one address, "
		    "not a range", pos[0]);
	if (parse_timeout(to_s, &c.timeout) == -1)
		return ctl_usage_err("check", "check: --timeout %s: expected "
		    "seconds, more than 0 and at most 60", to_s);
	if (res_s != NULL && srv_parse(res_s, &resolver, err,
	    sizeof(err)) == -1)
		return ctl_usage_err("check", "check: --resolver %s", err);
	if (lists != NULL && *lists == '\0')
		return ctl_usage_err("check", "check: --lists is empty");
	addr_format_ip(&a, ip, sizeof(ip));
	addr_revname(&a, rev, sizeof(rev));

	c.lists = xcalloc(CHECK_MAXLISTS, sizeof(*c.lists));
	c.nlists = 0;
	c.fd4 = c.fd6 = -1;
	c.pending = 0;
	c.rbuf = xmalloc(65536);
	if (check_lists(ctl, &c, lists, res_s ? &resolver : NULL, rev, err,
	    sizeof(err)) == -1) {
		check_free(&c);
		return ctl_usage_err("check", "check: %s", err);
	}
	if (c.nlists == 0) {
		check_free(&c);
		return ctl_usage_err("check", "check: no list to ask");
	}
	check_run(&c);
	for (i = 0; i < c.nlists; i++) {
		if (c.lists[i].err[0] == '\0')
			answered++;
		if (c.lists[i].listed)
			listed++;
	}
	if (json)
		print_json(&c, ip, answered, listed);
	else
		print_text(&c, ip, answered, listed);
	check_free(&c);
	if (answered == 0) {
		ctl_err("check: %s: no list answered", ip);
		return CTL_FAIL;
	}
	return listed ? CTL_OK : CTL_FAIL;
}
