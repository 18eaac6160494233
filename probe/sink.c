/*
 * sink.c -- the prober's SMTP sink: a small SMTP server (libevent
 * evconnlistener + one bufferevent per connection) that accepts mail for
 * its mailboxes only (sink.h, enum sink_box) and hands each message, inspected by sink_inspect()
 * (sink_inspect.c: bounce or test mail, the cookie, the Received chain),
 * to its owner.
 *
 * The server is the twin of the client in smtp_session.c: an explicit
 * state machine fed one line at a time, thin callbacks, one free path
 * (session_free) reached only from the timer, write and event callbacks,
 * from the accept callback (closing another session at the cap) and from
 * sink_free, never from the line handlers (they only move to
 * SK_CLOSING).  Every input is bounded: line length, path length, message
 * size, recipients, errors, pending output, time per command and per
 * connection, and the number of connections, in all and per address.
 * Nothing is logged; counters are in sink_stats.
 *
 * Connections per address: a list of peer records (address, sessions),
 * each session pointing to its own.  Linear: there are at most
 * max_sessions records (256), looked up once per accept; a record is
 * freed with its last session.  The sessions list is kept in order of
 * activity (head: idle the longest), so the victim at max_sessions is the
 * first one of an eligible peer.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "log.h"
#include "net.h"
#include "sink.h"
#include "xmalloc.h"

#define SINK_DEF_MAX_MESSAGE	(256 * 1024)
#define SINK_DEF_TIMEOUT	60
#define SINK_DEF_SESSIONS	256
#define SINK_DEF_PER_PEER	16
#define SINK_DEF_LIFETIME	300		/* s, session_timeout */
#define SINK_HELO_MAX		255
#define SINK_OUTBUF_MAX		(16 * 1024)	/* stop reading past this */
#define SINK_INBUF_MAX		(64 * 1024)	/* read high-water mark */
#define SINK_CLOSE_GRACE	5		/* s to flush a last reply */
#define SINK_ACCEPT_PAUSE	1		/* s after accept() failed */

#define SK_STATES(X)							\
	X(SK_HELO)	/* banner sent, waiting for EHLO/HELO */	\
	X(SK_MAIL)	/* greeted, no transaction */			\
	X(SK_RCPT)	/* MAIL accepted: RCPT, DATA */			\
	X(SK_BODY)	/* after 354: message lines until "." */	\
	X(SK_CLOSING)	/* last reply queued: flush, then free */
#define SK_ENUM(s) s,
enum sk_state { SK_STATES(SK_ENUM) SK_NSTATES };
#undef SK_ENUM
#define SK_NAME(s) #s,
static const char *const sk_state_name[] = { SK_STATES(SK_NAME) };
#undef SK_NAME

/* The sessions from one address. */
struct sink_peer {
	LIST_ENTRY(sink_peer)	 entry;		/* sink->peers */
	char			 addr[INET6_ADDRSTRLEN];
	int			 n;		/* sessions, > 0 */
};

struct sink_session {
	TAILQ_ENTRY(sink_session) entry;	/* sink->sessions */
	struct sink		*sink;
	struct sink_peer	*p;
	struct bufferevent	*bev;
	struct event		*timer;		/* per command; grace */
	struct event		*life;		/* session_timeout, once */
	enum sk_state		 state;
	int			 paused;	/* reading off: output full */
	int			 errors;
	struct sockaddr_storage	 local;		/* our end, for [a.b.c.d] */
	char			 peer[INET6_ADDRSTRLEN];
	char			 helo[SINK_HELO_MAX + 1];
	char			 mail_from[SINK_PATH_MAX + 1];
	char			 rcpt[SINK_PATH_MAX + 1];
	int			 nrcpt;
	enum sink_box		 box;		/* the first RCPT's */
	char			*data;		/* max_message + 1 at most */
	size_t			 datalen, datacap;
	int			 truncated;
	int			 midline;	/* body: inside an over-long line */
	char			 line[SINK_LINE_MAX + 3];
};
TAILQ_HEAD(sink_sessions, sink_session);
LIST_HEAD(sink_peers, sink_peer);

struct sink {
	struct event_base	*base;
	struct evconnlistener	*listener;
	struct event		*accept_timer;	/* re-enable after EMFILE */
	char			*host, *domain, *local, *hostname;
	char			*boxes[3];	/* local parts by sink_box;
						   NULL: none */
	struct sockaddr_storage	 bound;
	size_t			 max_message;
	int			 timeout, max_sessions, max_per_peer;
	int			 lifetime;
	int			(*cb)(const struct sink_message *, void *);
	void			*arg;
	struct sink_sessions	 sessions;	/* head: no complete line
						   for the longest */
	struct sink_peers	 peers;
	struct sink_stats	 stats;
	uint64_t		 qid;
};

static void	 sink_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	 sink_accept_error_cb(struct evconnlistener *, void *);
static void	 sink_accept_timer_cb(evutil_socket_t, short, void *);
static void	 session_read_cb(struct bufferevent *, void *);
static void	 session_write_cb(struct bufferevent *, void *);
static void	 session_event_cb(struct bufferevent *, short, void *);
static void	 session_timer_cb(evutil_socket_t, short, void *);
static void	 session_life_cb(evutil_socket_t, short, void *);

static void	 session_input(struct sink_session *);
static int	 session_line(struct sink_session *, char *, size_t);
static int	 session_vreply(struct sink_session *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static int	 session_reply(struct sink_session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 session_error(struct sink_session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 session_close(struct sink_session *, const char *);
static void	 session_free(struct sink_session *);

/* ---------------------------------------------------------------------
 * The listener and the sessions' life.
 */

/* Two local parts naming one mailbox (RFC 5321: compared as we match
 * them, without case). */
static int
same_local(const char *a, const char *b)
{
	return a != NULL && b != NULL && a[0] != '\0' &&
	    strcasecmp(a, b) == 0;
}

struct sink *
sink_new(struct event_base *base, const struct sink_conf *conf,
    int (*cb)(const struct sink_message *, void *), void *arg,
    char *err, size_t errlen)
{
	struct sink		*sk;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*host;

	host = conf->host != NULL ? conf->host : "127.0.0.1";
	if (conf->domain == NULL || conf->domain[0] == '\0' ||
	    conf->local == NULL || conf->local[0] == '\0') {
		snprintf(err, errlen, "sink: domain and local part required");
		return NULL;
	}
	if (strlen(conf->domain) + strlen(conf->local) + 1 > SINK_PATH_MAX ||
	    (conf->report_local != NULL && strlen(conf->domain) +
	    strlen(conf->report_local) + 1 > SINK_PATH_MAX) ||
	    (conf->selftest_local != NULL && strlen(conf->domain) +
	    strlen(conf->selftest_local) + 1 > SINK_PATH_MAX)) {
		snprintf(err, errlen, "sink: mailbox too long");
		return NULL;
	}
	if (same_local(conf->local, conf->report_local) ||
	    same_local(conf->local, conf->selftest_local) ||
	    same_local(conf->report_local, conf->selftest_local)) {
		snprintf(err, errlen, "sink: the test, report and self-test "
		    "mailboxes must differ");
		return NULL;
	}
	if (net_sockaddr(host, conf->port, &ss, &sslen) == -1) {
		snprintf(err, errlen, "sink: bad listen address \"%s\"", host);
		return NULL;
	}
	sk = xcalloc(1, sizeof(*sk));
	sk->base = base;
	sk->host = xstrdup(host);
	sk->domain = xstrdup(conf->domain);
	sk->local = xstrdup(conf->local);
	sk->boxes[SINK_BOX_TEST] = sk->local;
	if (conf->report_local != NULL && conf->report_local[0] != '\0')
		sk->boxes[SINK_BOX_REPORT] = xstrdup(conf->report_local);
	if (conf->selftest_local != NULL && conf->selftest_local[0] != '\0')
		sk->boxes[SINK_BOX_SELFTEST] = xstrdup(conf->selftest_local);
	sk->hostname = xstrdup(conf->hostname != NULL && conf->hostname[0] ?
	    conf->hostname : "localhost");
	sk->max_message = conf->max_message > 0 ? conf->max_message :
	    SINK_DEF_MAX_MESSAGE;
	sk->timeout = conf->timeout > 0 ? conf->timeout : SINK_DEF_TIMEOUT;
	sk->max_sessions = conf->max_sessions > 0 ? conf->max_sessions :
	    SINK_DEF_SESSIONS;
	sk->max_per_peer = conf->max_per_peer <= 0 ? SINK_DEF_PER_PEER :
	    conf->max_per_peer > INT_MAX ? INT_MAX : (int)conf->max_per_peer;
	sk->lifetime = conf->session_timeout <= 0 ? SINK_DEF_LIFETIME :
	    conf->session_timeout > INT_MAX ? INT_MAX :
	    (int)conf->session_timeout;
	TAILQ_INIT(&sk->sessions);
	LIST_INIT(&sk->peers);
	sk->cb = cb;
	sk->arg = arg;
	sk->bound = ss;

	sk->listener = evconnlistener_new_bind(base, sink_accept_cb, sk,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, (int)sslen);
	if (sk->listener == NULL) {
		snprintf(err, errlen, "sink: listen on %s port %u: %s", host,
		    conf->port, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
		sink_free(sk);
		return NULL;
	}
	evconnlistener_set_error_cb(sk->listener, sink_accept_error_cb);
	sk->accept_timer = evtimer_new(base, sink_accept_timer_cb, sk);
	if (sk->accept_timer == NULL)
		fatalx("%s: evtimer_new", __func__);
	return sk;
}

uint16_t
sink_port(const struct sink *sk)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	evutil_socket_t		 fd;

	memset(&ss, 0, sizeof(ss));
	fd = evconnlistener_get_fd(sk->listener);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void
sink_stats(const struct sink *sk, struct sink_stats *st)
{
	*st = sk->stats;
}

void
sink_free(struct sink *sk)
{
	struct sink_session	*s;

	if (sk == NULL)
		return;
	while ((s = TAILQ_FIRST(&sk->sessions)) != NULL)
		session_free(s);
	if (sk->listener != NULL)
		evconnlistener_free(sk->listener);
	if (sk->accept_timer != NULL)
		event_free(sk->accept_timer);
	free(sk->host);
	free(sk->domain);
	free(sk->local);
	free(sk->boxes[SINK_BOX_REPORT]);
	free(sk->boxes[SINK_BOX_SELFTEST]);
	free(sk->hostname);
	free(sk);
}

/* (Re)arm the timer for the next command, or for a last reply.  The
 * session's whole life is the other timer's (session_life_cb). */
static void
session_arm(struct sink_session *s, int secs)
{
	struct timeval	 tv;

	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(s->timer, &tv);
}

/* Input came: a new command timer, and the end of the idle order. */
static void
session_touch(struct sink_session *s)
{
	struct sink	*sk = s->sink;

	session_arm(s, sk->timeout);
	if (TAILQ_NEXT(s, entry) != NULL) {
		TAILQ_REMOVE(&sk->sessions, s, entry);
		TAILQ_INSERT_TAIL(&sk->sessions, s, entry);
	}
}

/* Time to flush a last reply to a client that may not read it. */
static int
session_grace(const struct sink_session *s)
{
	return s->sink->timeout < SINK_CLOSE_GRACE ? s->sink->timeout :
	    SINK_CLOSE_GRACE;
}

/* A connection not taken: one 421 line if the socket takes it, close. */
static void
sink_refuse(struct sink *sk, evutil_socket_t fd, const char *why)
{
	char	 msg[300];
	int	 n;

	n = snprintf(msg, sizeof(msg), "421 4.7.0 %s %s\r\n", sk->hostname,
	    why);
	if (n > 0 && (size_t)n < sizeof(msg))
		(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	evutil_closesocket(fd);
}

static struct sink_peer *
peer_find(struct sink *sk, const char *addr)
{
	struct sink_peer	*p;

	LIST_FOREACH(p, &sk->peers, entry)
		if (strcmp(p->addr, addr) == 0)
			return p;
	return NULL;
}

/*
 * At max_sessions, for a newcomer whose address holds k sessions: the
 * session idle the longest among addresses holding k + 2 or more (after
 * the swap they still hold more than the newcomer's), or NULL.
 */
static struct sink_session *
session_victim(struct sink *sk, int k)
{
	struct sink_session	*s;

	TAILQ_FOREACH(s, &sk->sessions, entry)
		if (s->p->n >= k + 2)
			return s;
	return NULL;
}

/* Close a session now, with a 421 if its socket takes it. */
static void
session_evict(struct sink_session *s)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	size_t		 n;

	s->sink->stats.evicted++;
	if (s->state != SK_CLOSING)
		session_reply(s, "421 4.7.0 %s Too many connections from your "
		    "address, closing connection", s->sink->hostname);
	/* Pending replies first; bounded: reading stops at
	   SINK_OUTBUF_MAX. */
	n = evbuffer_get_length(out);
	(void)send(bufferevent_getfd(s->bev), evbuffer_pullup(out, -1), n,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	session_free(s);
}

static void
sink_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct sink		*sk = arg;
	struct sink_session	*s, *victim;
	struct sink_peer	*p;
	struct timeval		 tv;
	socklen_t		 len;
	char			 addr[INET6_ADDRSTRLEN];
	int			 k;

	(void)lev;
	(void)salen;
	net_sockaddr_ip(sa, addr, sizeof(addr));
	p = peer_find(sk, addr);
	k = p != NULL ? p->n : 0;
	if (k >= sk->max_per_peer) {
		sk->stats.refused_peer++;
		sink_refuse(sk, fd, "Too many connections from your address, "
		    "try again later");
		return;
	}
	if (sk->stats.active >= sk->max_sessions) {
		if ((victim = session_victim(sk, k)) == NULL) {
			sk->stats.refused++;
			sink_refuse(sk, fd, "Too many connections, try again "
			    "later");
			return;
		}
		/* Not p's: it holds k + 2 or more, p holds k. */
		session_evict(victim);
	}
	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		memcpy(p->addr, addr, sizeof(p->addr));
		LIST_INSERT_HEAD(&sk->peers, p, entry);
	}
	p->n++;

	s = xcalloc(1, sizeof(*s));
	s->sink = sk;
	s->p = p;
	s->state = SK_HELO;
	memcpy(s->peer, addr, sizeof(s->peer));
	len = sizeof(s->local);
	if (getsockname(fd, (struct sockaddr *)&s->local, &len) == -1)
		s->local.ss_family = AF_UNSPEC;
	s->bev = bufferevent_socket_new(sk->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(sk->base, session_timer_cb, s);
	s->life = evtimer_new(sk->base, session_life_cb, s);
	if (s->bev == NULL || s->timer == NULL || s->life == NULL)
		fatalx("%s: bufferevent_socket_new", __func__);
	TAILQ_INSERT_TAIL(&sk->sessions, s, entry);
	sk->stats.active++;
	sk->stats.connections++;

	bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
	    session_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, SINK_INBUF_MAX);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	tv.tv_sec = sk->lifetime;
	tv.tv_usec = 0;
	evtimer_add(s->life, &tv);
	session_arm(s, sk->timeout);
	session_reply(s, "220 %s ESMTP orbl sink", sk->hostname);
}

static void
sink_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct sink	*sk = arg;
	struct timeval	 tv = { SINK_ACCEPT_PAUSE, 0 };

	/* EMFILE and friends: the socket stays readable, so pause. */
	sk->stats.accept_errors++;
	evconnlistener_disable(lev);
	evtimer_add(sk->accept_timer, &tv);
}

static void
sink_accept_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sink	*sk = arg;

	(void)fd;
	(void)ev;
	evconnlistener_enable(sk->listener);
}

static void
session_free(struct sink_session *s)
{
	struct sink	*sk = s->sink;

	TAILQ_REMOVE(&sk->sessions, s, entry);
	if (--s->p->n == 0) {
		LIST_REMOVE(s->p, entry);
		free(s->p);
	}
	sk->stats.active--;
	bufferevent_free(s->bev);
	event_free(s->timer);
	event_free(s->life);
	free(s->data);
	free(s);
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	session_input(arg);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct sink_session	*s = arg;

	/* Called when the output has drained. */
	if (s->state == SK_CLOSING) {
		session_free(s);
		return;
	}
	if (s->paused) {
		s->paused = 0;
		bufferevent_enable(bev, EV_READ);
		session_input(s);
	}
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sink_session	*s = arg;

	/* The client went away: let a queued reply go if it can. */
	if ((what & BEV_EVENT_EOF) && s->state != SK_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		s->state = SK_CLOSING;
		bufferevent_disable(bev, EV_READ);
		session_arm(s, session_grace(s));
		return;
	}
	session_free(s);
}

static void
session_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sink_session	*s = arg;

	(void)fd;
	(void)ev;
	if (s->state == SK_CLOSING) {
		/* The client does not read its last reply. */
		session_free(s);
		return;
	}
	s->sink->stats.timeouts++;
	session_close(s, "421 4.4.2 Timeout exceeded, closing connection");
}

/* session_timeout since the accept, however busy the session is. */
static void
session_life_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sink_session	*s = arg;

	(void)fd;
	(void)ev;
	if (s->state == SK_CLOSING)
		return;		/* its grace timer ends it */
	s->sink->stats.expired++;
	session_close(s, "421 4.4.2 Session too long, closing connection");
}

/* ---------------------------------------------------------------------
 * Replies and the state machine.
 */

static int
session_vreply(struct sink_session *s, const char *fmt, va_list ap)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);

	evbuffer_add_vprintf(out, fmt, ap);
	evbuffer_add(out, "\r\n", 2);
	return 0;
}

static int
session_reply(struct sink_session *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vreply(s, fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * A 5xx reply that counts against the client.  Returns -1 (and queues
 * 421) when it was one too many.
 */
static int
session_error(struct sink_session *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vreply(s, fmt, ap);
	va_end(ap);
	s->sink->stats.errors++;
	if (++s->errors > SINK_ERRORS_MAX) {
		s->sink->stats.too_many_errors++;
		return session_close(s,
		    "421 4.7.0 Too many errors, closing connection");
	}
	return 0;
}

/* Queue the last reply; the write callback frees the session. */
static int
session_close(struct sink_session *s, const char *reply)
{
	session_reply(s, "%s", reply);
	s->state = SK_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	session_arm(s, session_grace(s));
	return -1;
}

static void
session_reset(struct sink_session *s)
{
	s->mail_from[0] = '\0';
	s->rcpt[0] = '\0';
	s->nrcpt = 0;
	s->box = SINK_BOX_TEST;
	s->datalen = 0;
	s->truncated = 0;
	s->midline = 0;
}

/* Keep what fits of the message, count the rest. */
static void
session_append(struct sink_session *s, const char *p, size_t n)
{
	size_t	 max = s->sink->max_message, room, want;

	room = max - s->datalen;
	if (n > room) {
		n = room;
		s->truncated = 1;
	}
	if (n == 0)
		return;
	if (s->datalen + n + 1 > s->datacap) {
		want = s->datacap < 4096 ? 4096 : s->datacap * 2;
		while (want < s->datalen + n + 1)
			want *= 2;
		if (want > max + 1)
			want = max + 1;
		s->data = xreallocarray(s->data, want, 1);
		s->datacap = want;
	}
	memcpy(s->data + s->datalen, p, n);
	s->datalen += n;
}

/*
 * Split the input into lines and feed them to the machine.  Commands and
 * text lines are at most SINK_LINE_MAX bytes before their LF; message
 * lines may be longer (taken in pieces), commands may not.
 */
static void
session_input(struct sink_session *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct evbuffer		*out = bufferevent_get_output(s->bev);
	struct evbuffer_ptr	 eol;
	size_t			 n, avail;

	while (s->state != SK_CLOSING) {
		if (evbuffer_get_length(out) >= SINK_OUTBUF_MAX) {
			/* The client does not read: wait for it. */
			s->paused = 1;
			bufferevent_disable(s->bev, EV_READ);
			return;
		}
		avail = evbuffer_get_length(in);
		if (avail == 0)
			return;
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		n = eol.pos == -1 ? avail : (size_t)eol.pos + 1;
		if (eol.pos != -1 && n <= SINK_LINE_MAX + 2) {
			evbuffer_remove(in, s->line, n);
			if (session_line(s, s->line, n) == -1)
				return;
			continue;
		}
		if (eol.pos == -1 && n <= SINK_LINE_MAX + 1)
			return;		/* wait for the rest of the line */
		if (s->state != SK_BODY) {
			s->sink->stats.too_long++;
			session_close(s, "500 5.5.0 Line too long");
			return;
		}
		/* A long message line: take a piece, no dot handling. */
		n = SINK_LINE_MAX;
		evbuffer_copyout(in, s->line, n);
		if (s->line[n - 1] == '\r')
			n--;		/* keep CR LF together */
		evbuffer_drain(in, n);
		session_append(s, s->line, n);
		s->midline = 1;
		session_touch(s);
	}
}

static int	 cmd_helo(struct sink_session *, char *, int);
static int	 cmd_mail(struct sink_session *, char *);
static int	 cmd_rcpt(struct sink_session *, char *);
static int	 cmd_data(struct sink_session *, char *);
static int	 body_line(struct sink_session *, char *, size_t, size_t);

/*
 * One line (n bytes with its LF).  Returns 0, or -1 when the session is
 * closing.
 */
static int
session_line(struct sink_session *s, char *line, size_t n)
{
	size_t	 len = n, vlen;
	char	*arg;

	if (s->state == SK_CLOSING)
		fatalx("%s: line in state %s", __func__,
		    sk_state_name[s->state]);
	session_touch(s);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (s->state == SK_BODY)
		return body_line(s, line, n, len);

	line[len] = '\0';
	if (memchr(line, '\0', len) != NULL)
		return session_error(s, "500 5.5.2 Error: bad characters");
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		;
	arg = line + vlen;
	while (*arg == ' ')
		arg++;
	line[vlen] = '\0';

	if (strcasecmp(line, "EHLO") == 0)
		return cmd_helo(s, arg, 1);
	if (strcasecmp(line, "HELO") == 0)
		return cmd_helo(s, arg, 0);
	if (strcasecmp(line, "MAIL") == 0)
		return cmd_mail(s, arg);
	if (strcasecmp(line, "RCPT") == 0)
		return cmd_rcpt(s, arg);
	if (strcasecmp(line, "DATA") == 0)
		return cmd_data(s, arg);
	if (strcasecmp(line, "RSET") == 0) {
		session_reset(s);
		if (s->state != SK_HELO)
			s->state = SK_MAIL;
		return session_reply(s, "250 2.0.0 Ok");
	}
	if (strcasecmp(line, "NOOP") == 0)
		return session_reply(s, "250 2.0.0 Ok");
	if (strcasecmp(line, "QUIT") == 0) {
		session_close(s, "221 2.0.0 Bye");
		return -1;
	}
	if (strcasecmp(line, "VRFY") == 0)
		return session_reply(s, "252 2.5.2 Cannot VRFY user; "
		    "try RCPT to attempt delivery");
	if (strcasecmp(line, "HELP") == 0 || strcasecmp(line, "EXPN") == 0 ||
	    strcasecmp(line, "STARTTLS") == 0 ||
	    strcasecmp(line, "AUTH") == 0 || strcasecmp(line, "BDAT") == 0 ||
	    strcasecmp(line, "ETRN") == 0 || strcasecmp(line, "TURN") == 0)
		return session_error(s, "502 5.5.1 Error: command not "
		    "implemented");
	return session_error(s, "500 5.5.2 Error: command not recognized");
}

static int
cmd_helo(struct sink_session *s, char *arg, int ehlo)
{
	struct sink	*sk = s->sink;
	size_t		 i;

	if (*arg == '\0')
		return session_error(s, "501 5.5.4 Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
	for (i = 0; i < SINK_HELO_MAX && arg[i] != '\0'; i++)
		s->helo[i] = (unsigned char)arg[i] >= 0x20 &&
		    (unsigned char)arg[i] < 0x7f ? arg[i] : '?';
	s->helo[i] = '\0';
	session_reset(s);
	s->state = SK_MAIL;
	if (!ehlo)
		return session_reply(s, "250 %s", sk->hostname);
	return session_reply(s, "250-%s\r\n250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 SIZE %zu", sk->hostname,
	    sk->max_message);
}

/*
 * Parse "<path> [params]" (or a bare path up to a space) into out
 * without the brackets.  A '>' inside a quoted string does not end the
 * path.  Returns 0, or -1: unterminated, too long, control or non-ASCII
 * bytes.
 */
static int
parse_path(const char *p, char *out, size_t outlen)
{
	const char	*start, *end;
	int		 quoted = 0;
	size_t		 n;

	while (*p == ' ')
		p++;
	if (*p == '<') {
		start = ++p;
		for (; *p != '\0'; p++) {
			if (quoted && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == '>')
				break;
		}
		if (*p != '>')
			return -1;
		end = p;
		/* Parameters (SIZE=, BODY=, ...) follow a space. */
		if (p[1] != '\0' && p[1] != ' ')
			return -1;
	} else {
		start = p;
		end = p + strcspn(p, " ");
	}
	n = (size_t)(end - start);
	if (n > SINK_PATH_MAX || n + 1 > outlen)
		return -1;
	for (p = start; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	return 0;
}

/* "FROM:" / "TO:" then the path; returns what follows the keyword. */
static char *
cmd_keyword(char *arg, const char *kw)
{
	size_t	 n = strlen(kw);

	if (strncasecmp(arg, kw, n) != 0)
		return NULL;
	return arg + n;
}

static int
cmd_mail(struct sink_session *s, char *arg)
{
	char	*p;

	if (s->state == SK_HELO)
		return session_error(s, "503 5.5.1 Error: send HELO/EHLO "
		    "first");
	if (s->state == SK_RCPT)
		return session_error(s, "503 5.5.1 Error: nested MAIL "
		    "command");
	if ((p = cmd_keyword(arg, "FROM:")) == NULL)
		return session_error(s, "501 5.5.4 Syntax: MAIL "
		    "FROM:<address>");
	session_reset(s);
	if (parse_path(p, s->mail_from, sizeof(s->mail_from)) == -1) {
		s->mail_from[0] = '\0';
		return session_error(s, "501 5.1.7 Bad sender address "
		    "syntax");
	}
	s->state = SK_RCPT;
	return session_reply(s, "250 2.1.0 Ok");
}

/* Is the literal "[a.b.c.d]" / "[IPv6:x::y]" an address of ours? */
static int
literal_is_ours(const struct sink_session *s, const char *dom, size_t len)
{
	const struct sockaddr_storage *ours[2];
	char		 buf[INET6_ADDRSTRLEN + 8];
	uint8_t		 a[16];
	const uint8_t	*b;
	int		 af, alen, i;

	if (len < 3 || dom[0] != '[' || dom[len - 1] != ']' ||
	    len - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, dom + 1, len - 2);
	buf[len - 2] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, buf + 5, a) != 1)
			return 0;
		af = AF_INET6;
		alen = 16;
	} else {
		if (inet_pton(AF_INET, buf, a) != 1)
			return 0;
		af = AF_INET;
		alen = 4;
	}
	ours[0] = &s->local;
	ours[1] = &s->sink->bound;
	for (i = 0; i < 2; i++) {
		if (ours[i]->ss_family != af)
			continue;
		if (af == AF_INET)
			b = (const uint8_t *)&((const struct sockaddr_in *)
			    ours[i])->sin_addr;
		else
			b = ((const struct sockaddr_in6 *)ours[i])->
			    sin6_addr.s6_addr;
		if (memcmp(a, b, (size_t)alen) == 0)
			return 1;
	}
	return 0;
}

/*
 * One of our mailboxes and nothing else: local part equal to one of ours
 * (no quoting, case-insensitive), domain ours or a literal of our
 * address.  A source route ("@a,@b:") is ignored (RFC 5321 C).  Returns
 * the mailbox (enum sink_box), or -1.
 */
static int
rcpt_box(const struct sink_session *s, const char *path)
{
	const struct sink	*sk = s->sink;
	const char		*at, *dom;
	size_t			 llen, dlen;
	int			 box;

	if (path[0] == '@') {
		if ((path = strchr(path, ':')) == NULL)
			return -1;
		path++;
	}
	if ((at = strrchr(path, '@')) == NULL)
		return -1;
	llen = (size_t)(at - path);
	for (box = SINK_BOX_SELFTEST; box >= 0; box--)
		if (sk->boxes[box] != NULL && llen == strlen(sk->boxes[box]) &&
		    strncasecmp(path, sk->boxes[box], llen) == 0)
			break;
	if (box < 0)
		return -1;
	dom = at + 1;
	dlen = strlen(dom);
	if (dlen > 1 && dom[dlen - 1] == '.')
		dlen--;
	if (dlen == strlen(sk->domain) && strncasecmp(dom, sk->domain,
	    dlen) == 0)
		return box;
	return literal_is_ours(s, dom, strlen(dom)) ? box : -1;
}

static int
cmd_rcpt(struct sink_session *s, char *arg)
{
	char	 path[SINK_PATH_MAX + 1], *p;
	int	 box;

	if (s->state != SK_RCPT)
		return session_error(s, "503 5.5.1 Error: need MAIL command");
	if ((p = cmd_keyword(arg, "TO:")) == NULL)
		return session_error(s, "501 5.5.4 Syntax: RCPT TO:<address>");
	if (parse_path(p, path, sizeof(path)) == -1 || path[0] == '\0')
		return session_error(s, "501 5.1.3 Bad recipient address "
		    "syntax");
	if (s->nrcpt >= SINK_RCPT_MAX)
		return session_reply(s, "452 4.5.3 Error: too many "
		    "recipients");
	if ((box = rcpt_box(s, path)) == -1) {
		s->sink->stats.rcpt_denied++;
		return session_error(s, "550 5.7.1 Relaying denied");
	}
	/* One mailbox per message: the client sends the others again in
	 * a transaction of their own. */
	if (s->nrcpt > 0 && (enum sink_box)box != s->box)
		return session_reply(s, "452 4.5.3 Error: <%s> takes a "
		    "message of its own: send it separately", path);
	if (s->nrcpt++ == 0) {
		memcpy(s->rcpt, path, strlen(path) + 1);
		s->box = (enum sink_box)box;
	}
	return session_reply(s, "250 2.1.5 Ok");
}

static int
cmd_data(struct sink_session *s, char *arg)
{
	if (*arg != '\0')
		return session_error(s, "501 5.5.4 Syntax: DATA");
	if (s->state != SK_RCPT)
		return session_error(s, "503 5.5.1 Error: need MAIL command");
	if (s->nrcpt == 0)
		return session_error(s, "554 5.5.1 Error: no valid "
		    "recipients");
	s->datalen = 0;
	s->truncated = 0;
	s->midline = 0;
	s->state = SK_BODY;
	return session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

static int
message_done(struct sink_session *s)
{
	struct sink		*sk = s->sink;
	struct sink_message	 m;
	char			 qid[32], reply[SINK_REPLY_MAX - 2];
	size_t			 i;

	if (s->data == NULL) {
		s->data = xmalloc(1);
		s->datacap = 1;
	}
	s->data[s->datalen] = '\0';
	snprintf(qid, sizeof(qid), "%llX%06llX", (unsigned long long)time(NULL),
	    (unsigned long long)(++sk->qid & 0xffffff));

	memset(&m, 0, sizeof(m));
	reply[0] = '\0';
	m.box = s->box;
	m.reply = reply;
	m.replylen = sizeof(reply);
	m.peer = s->peer;
	m.helo = s->helo;
	m.mail_from = s->mail_from;
	m.rcpt = s->rcpt;
	m.queue_id = qid;
	m.data = s->data;
	m.datalen = s->datalen;
	m.truncated = s->truncated;
	sink_inspect(s->mail_from, s->data, s->datalen, &m.insp);
	sk->stats.messages++;
	if (s->truncated)
		sk->stats.truncated++;
	/* The owner records it first: evidence it could not keep (a locked
	 * database) is asked for again (451), never lost after a 250. */
	if (sk->cb != NULL && sk->cb(&m, sk->arg) == -1) {
		sk->stats.deferred++;
		session_reply(s, "451 4.3.0 Cannot keep the message now: try "
		    "again later");
	} else if (reply[0] != '\0') {
		/* The owner's words: one line, whatever it wrote. */
		reply[sizeof(reply) - 1] = '\0';
		for (i = 0; reply[i] != '\0'; i++)
			if ((unsigned char)reply[i] < 0x20 ||
			    (unsigned char)reply[i] >= 0x7f)
				reply[i] = '?';
		session_reply(s, "%s", reply);
	} else
		session_reply(s, "250 2.0.0 Ok: queued as %s", qid);
	session_reset(s);
	s->state = SK_MAIL;
	return 0;
}

/* One message line: n bytes with the line end, len without. */
static int
body_line(struct sink_session *s, char *line, size_t n, size_t len)
{
	if (s->midline) {
		/* The end of a long line: text, whatever it starts with. */
		s->midline = 0;
		session_append(s, line, n);
		return 0;
	}
	if (len == 1 && line[0] == '.')
		return message_done(s);
	if (line[0] == '.') {
		line++;
		n--;
	}
	session_append(s, line, n);
	return 0;
}
