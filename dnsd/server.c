/*
 * server.c -- see server.h.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "answer.h"
#include "conf.h"
#include "dnsd.h"
#include "query.h"
#include "server.h"
#include "xmalloc.h"

#define UDP_BATCH	32
#define UDP_RECV_MAX	4096		/* bigger queries are not queries */
#define UDP_SEND_MAX	4096
#define TCP_MSG_MAX	65535
#define TCP_OUT_HIGH	(256 * 1024)	/* stop reading a client that
					   does not read its answers */

struct tcp_conn {
	TAILQ_ENTRY(tcp_conn)	 entry;	/* LRU: head = longest idle */
	struct server		*srv;
	struct bufferevent	*bev;
	int			 closing;	/* EOF seen: flush, then close */
};
TAILQ_HEAD(tcp_conns, tcp_conn);

struct listen_sock {
	struct server		*srv;
	int			 udp_fd, tcp_fd;
	struct event		*udp_ev;
	struct evconnlistener	*lev;
	char			 name[80];
};

struct server {
	const struct conf	*conf;
	struct dnsd_data *const	*datap;
	struct listen_sock	 socks[CONF_MAX_LIST];
	int			 nsocks;
	struct tcp_conns	 conns;
	long long		 nconns;
	struct server_stats	 st;
	struct answer_stats	 ast;
	/* Pre-allocated I/O buffers: the query path allocates nothing. */
	uint8_t			 rbuf[UDP_BATCH][UDP_RECV_MAX];
	uint8_t			 wbuf[UDP_BATCH][UDP_SEND_MAX];
	struct sockaddr_storage	 from[UDP_BATCH];
	struct iovec		 riov[UDP_BATCH], wiov[UDP_BATCH];
	struct mmsghdr		 rmsg[UDP_BATCH], wmsg[UDP_BATCH];
	uint8_t			 tcp_in[TCP_MSG_MAX];
	uint8_t			 tcp_out[2 + TCP_MSG_MAX];
};

static void	udp_read_cb(evutil_socket_t, short, void *);
static void	tcp_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	tcp_read_cb(struct bufferevent *, void *);
static void	tcp_write_cb(struct bufferevent *, void *);
static void	tcp_event_cb(struct bufferevent *, short, void *);

static int
sock_addr(const struct conf_listen *l, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, l->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(l->port);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, l->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(l->port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int
sock_bind(const struct conf_listen *l, int type, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, on = 1;

	if (sock_addr(l, &ss, &sslen) == -1) {
		snprintf(err, errlen, "%s: bad address", l->host);
		return -1;
	}
	if ((fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
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

struct server *
server_new(const struct conf *conf, char *err, size_t errlen)
{
	struct server	*s = xcalloc(1, sizeof(*s));
	int		 i;

	s->conf = conf;
	TAILQ_INIT(&s->conns);
	for (i = 0; i < conf->ndns_listen; i++) {
		struct listen_sock *ls = &s->socks[i];

		ls->srv = s;
		ls->tcp_fd = -1;
		snprintf(ls->name, sizeof(ls->name), "%s port %u",
		    conf->dns_listen[i].host, conf->dns_listen[i].port);
		s->nsocks++;
		if ((ls->udp_fd = sock_bind(&conf->dns_listen[i], SOCK_DGRAM,
		    err, errlen)) == -1 ||
		    (ls->tcp_fd = sock_bind(&conf->dns_listen[i], SOCK_STREAM,
		    err, errlen)) == -1) {
			server_free(s);
			return NULL;
		}
	}
	for (i = 0; i < UDP_BATCH; i++) {
		s->riov[i].iov_base = s->rbuf[i];
		s->riov[i].iov_len = sizeof(s->rbuf[i]);
		s->wiov[i].iov_base = s->wbuf[i];
	}
	return s;
}

void
server_start(struct server *s, struct event_base *base,
    struct dnsd_data *const *datap)
{
	int	 i;

	s->datap = datap;
	for (i = 0; i < s->nsocks; i++) {
		struct listen_sock *ls = &s->socks[i];

		ls->udp_ev = event_new(base, ls->udp_fd, EV_READ | EV_PERSIST,
		    udp_read_cb, ls);
		if (ls->udp_ev == NULL || event_add(ls->udp_ev, NULL) == -1)
			abort();
		ls->lev = evconnlistener_new(base, tcp_accept_cb, ls,
		    LEV_OPT_CLOSE_ON_FREE, -1, ls->tcp_fd);
		if (ls->lev == NULL)
			abort();
		ls->tcp_fd = -1;	/* owned by the listener now */
	}
}

static void
tcp_conn_free(struct tcp_conn *c)
{
	TAILQ_REMOVE(&c->srv->conns, c, entry);
	c->srv->nconns--;
	bufferevent_free(c->bev);
	free(c);
}

void
server_free(struct server *s)
{
	int	 i;

	if (s == NULL)
		return;
	while (!TAILQ_EMPTY(&s->conns))
		tcp_conn_free(TAILQ_FIRST(&s->conns));
	for (i = 0; i < s->nsocks; i++) {
		struct listen_sock *ls = &s->socks[i];

		if (ls->udp_ev)
			event_free(ls->udp_ev);
		if (ls->udp_fd != -1)
			close(ls->udp_fd);
		if (ls->lev)
			evconnlistener_free(ls->lev);
		else if (ls->tcp_fd != -1)
			close(ls->tcp_fd);
	}
	free(s);
}

void
server_stats(const struct server *s, struct server_stats *st,
    struct answer_stats *ast)
{
	*st = s->st;
	*ast = s->ast;
}

/*
 * Hot path: one UDP batch.  Receive up to UDP_BATCH datagrams, answer
 * each into its pre-allocated buffer, send the replies in one call.
 */
static void
udp_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct listen_sock	*ls = arg;
	struct server		*s = ls->srv;
	const struct dnsd_data	*d = *s->datap;
	struct query		 q;
	enum query_result	 qr;
	int			 i, n, nout = 0, sent;
	size_t			 len;

	(void)ev;
	for (i = 0; i < UDP_BATCH; i++) {
		memset(&s->rmsg[i].msg_hdr, 0, sizeof(s->rmsg[i].msg_hdr));
		s->rmsg[i].msg_hdr.msg_name = &s->from[i];
		s->rmsg[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
		s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
		s->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(fd, s->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		s->st.udp_in++;
		if (s->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			s->st.udp_dropped++;
			continue;
		}
		qr = query_parse(s->rbuf[i], s->rmsg[i].msg_len, &q);
		len = answer_build(d->zc, d->idx, s->rbuf[i],
		    s->rmsg[i].msg_len, &q, qr, 0, s->wbuf[nout],
		    sizeof(s->wbuf[nout]), &s->ast);
		if (len == 0) {
			s->st.udp_dropped++;
			continue;
		}
		s->wiov[nout].iov_len = len;
		memset(&s->wmsg[nout].msg_hdr, 0, sizeof(s->wmsg[nout].msg_hdr));
		s->wmsg[nout].msg_hdr.msg_name = &s->from[i];
		s->wmsg[nout].msg_hdr.msg_namelen = s->rmsg[i].msg_hdr.msg_namelen;
		s->wmsg[nout].msg_hdr.msg_iov = &s->wiov[nout];
		s->wmsg[nout].msg_hdr.msg_iovlen = 1;
		nout++;
	}
	for (i = 0; i < nout; i += sent) {
		sent = sendmmsg(fd, s->wmsg + i, (unsigned)(nout - i),
		    MSG_DONTWAIT);
		if (sent <= 0) {
			/* Socket buffer full or the client is gone: drop
			 * this one and go on with the rest. */
			s->st.udp_dropped++;
			sent = 1;
		} else
			s->st.udp_out += (uint64_t)sent;
	}
}

/* At the cap, make room by closing the connection idle the longest. */
static void
tcp_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listen_sock	*ls = arg;
	struct server		*s = ls->srv;
	struct tcp_conn		*c;
	struct timeval		 tv;
	int			 on = 1;

	(void)sa;
	(void)salen;
	if (s->nconns >= s->conf->tcp_max_clients) {
		if (TAILQ_EMPTY(&s->conns)) {	/* tcp_max_clients = 0 */
			close(fd);
			return;
		}
		tcp_conn_free(TAILQ_FIRST(&s->conns));
		s->st.tcp_evicted++;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->bev = bufferevent_socket_new(evconnlistener_get_base(lev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->nconns++;
	s->st.tcp_accepted++;
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
	const struct dnsd_data	*d = *s->datap;
	struct query		 q;
	enum query_result	 qr;
	uint8_t			 hdr[2];
	size_t			 mlen, len;

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
			s->st.tcp_bad++;
			tcp_conn_free(c);
			return;
		}
		if (evbuffer_get_length(in) < 2 + mlen)
			break;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, s->tcp_in, mlen);
		s->st.tcp_in++;
		qr = query_parse(s->tcp_in, mlen, &q);
		len = answer_build(d->zc, d->idx, s->tcp_in, mlen, &q, qr, 1,
		    s->tcp_out + 2, sizeof(s->tcp_out) - 2, &s->ast);
		if (len == 0) {
			/* Not a DNS query: nothing sane to say on TCP. */
			s->st.tcp_bad++;
			tcp_conn_free(c);
			return;
		}
		s->tcp_out[0] = (uint8_t)(len >> 8);
		s->tcp_out[1] = (uint8_t)len;
		evbuffer_add(out, s->tcp_out, len + 2);
		s->st.tcp_out++;
		TAILQ_REMOVE(&s->conns, c, entry);
		TAILQ_INSERT_TAIL(&s->conns, c, entry);
	}
}

static void
tcp_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn	*c = arg;

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
		c->srv->st.tcp_idle_closed++;
	tcp_conn_free(c);
}
