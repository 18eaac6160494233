/*
 * fuzz_sink_smtp.c -- libFuzzer target for the sink's SMTP command reader
 * (session_input / session_line / cmd_* / body_line in probe/sink.c,
 * static and tied to a bufferevent): the input is what a client sends.
 * One sink on 127.0.0.1 (any port, max_message 4096) and one event base
 * live for the whole run; each input is a new TCP connection over
 * loopback: the client writes the input, shuts down its side, and reads
 * every reply until the sink closes.  The loop runs until then (a 10 s
 * guard aborts: the session must always end).  Checked: every reply line
 * is "DDD" + ' ' or '-' + printable text + CRLF, the first is 220; each
 * message handed over is bounded, NUL ended, for our mailbox; after the
 * close no session is left.  Every third message is refused by the owner
 * (the 451 path).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "sink.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base *base;
static struct sink	*sk;
static uint16_t		 port;

static struct run {
	const uint8_t	*p;
	size_t		 left, size, got, messages;
	char		 out[16384];
	int		 done;
	struct event	*rev, *wev;
} r;

static int
msg_cb(const struct sink_message *m, void *arg)
{
	const char	*s;

	(void)arg;
	if (m->datalen > 4096 || m->datalen > r.size || m->data[m->datalen] ||
	    (m->truncated != 0 && m->truncated != 1) ||
	    strlen(m->mail_from) > SINK_PATH_MAX ||
	    strlen(m->rcpt) > SINK_PATH_MAX || strncmp(m->peer, "127.", 4) ||
	    strcasestr(m->rcpt, "relaytest@") == NULL ||
	    (m->insp.bounce != 0 && m->insp.bounce != 1))
		abort();
	for (s = m->helo; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			abort();
	return ++r.messages % 3 == 0 ? -1 : 0;
}

static void
io_cb(evutil_socket_t fd, short ev, void *arg)
{
	char		 buf[4096];
	ssize_t		 n;

	(void)arg;
	if (ev & EV_WRITE) {
		n = send(fd, r.p, r.left > 8192 ? 8192 : r.left, MSG_NOSIGNAL);
		if (n > 0) {
			r.p += n;
			r.left -= (size_t)n;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			r.left = 0;	/* the sink closed: it reads no more */
		if (r.left == 0) {
			shutdown(fd, SHUT_WR);
			event_del(r.wev);
		}
		return;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (r.got + (size_t)n <= sizeof(r.out)) {
			memcpy(r.out + r.got, buf, (size_t)n);
			r.got += (size_t)n;
		}
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		r.done = 1;
		event_base_loopbreak(base);
	}
}

static void
guard_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	abort();		/* the session did not end */
}

static void
init(void)
{
	struct sink_conf	 c;
	char			 err[256];

	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	c.host = "127.0.0.1";
	c.domain = "sink.test";
	c.local = "relaytest";
	c.hostname = "sink.test";
	c.max_message = 4096;
	if ((base = event_base_new()) == NULL ||
	    (sk = sink_new(base, &c, msg_cb, NULL, err, sizeof(err))) == NULL ||
	    (port = sink_port(sk)) == 0)
		abort();
}

/* Reply lines: "DDD" then ' ' or '-', printable, CRLF; the first 220. */
static void
check_replies(void)
{
	size_t	 i = 0, j;

	if (r.got < 4 || memcmp(r.out, "220 ", 4) != 0)
		abort();
	while (i < r.got) {
		for (j = i; j < r.got && r.out[j] != '\n'; j++)
			if ((r.out[j] < 0x20 || r.out[j] >= 0x7f) &&
			    !(r.out[j] == '\r' && j + 1 < r.got &&
			    r.out[j + 1] == '\n'))
				abort();
		if (j == r.got)
			break;		/* cut: reset, or our buffer full */
		if (j - i < 5 || r.out[j - 1] != '\r' || r.out[i] < '2' ||
		    r.out[i] > '5' || r.out[i + 1] < '0' || r.out[i + 1] > '9' ||
		    r.out[i + 2] < '0' || r.out[i + 2] > '9' ||
		    (r.out[i + 3] != ' ' && r.out[i + 3] != '-'))
			abort();
		i = j + 1;
	}
}

/*
 * A new connection to the sink.  Each run is a new connection, and its
 * closed end waits in TIME_WAIT: from one source address the ephemeral
 * ports run out after some 28,000 runs.  So the client binds a rotating
 * source (127.1.0.1 ... 127.1.255.254), each with its own ports, and
 * tries the next one if a connect still fails (the reason goes to
 * stderr; three failures in a row abort: that is not the sink's input).
 */
static evutil_socket_t
client(const struct sockaddr_in *sin)
{
	static unsigned		 nsrc;
	struct sockaddr_in	 src;
	evutil_socket_t		 fd;
	int			 tries;

	for (tries = 0; tries < 3; tries++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			break;
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		nsrc = nsrc % 65024 + 1;
		src.sin_addr.s_addr = htonl(0x7f010000u |
		    ((nsrc / 254) << 8) | (nsrc % 254 + 1));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0 &&
		    connect(fd, (const struct sockaddr *)sin,
		    sizeof(*sin)) == 0 && evutil_make_socket_nonblocking(fd) == 0)
			return fd;
		fprintf(stderr, "fuzz_sink_smtp: client: %s\n", strerror(errno));
		close(fd);
	}
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in	 sin;
	struct sink_stats	 st;
	struct event		*guard;
	struct timeval		 tv = { 10, 0 };
	evutil_socket_t		 fd;

	if (size > 64 * 1024)
		return 0;
	if (base == NULL)
		init();
	memset(&r, 0, sizeof(r));
	r.p = data;
	r.left = r.size = size;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/*
	 * Each run is a new connection, and its closed end waits in
	 * TIME_WAIT: from one source address the ephemeral ports run out
	 * after some 28,000 runs.  The client binds a rotating source
	 * (127.1.0.1 ... 127.1.255.254), each with its own ports.
	 */
	fd = client(&sin);
	if (size == 0)
		shutdown(fd, SHUT_WR);
	r.rev = event_new(base, fd, EV_READ | EV_PERSIST, io_cb, NULL);
	r.wev = event_new(base, fd, EV_WRITE | EV_PERSIST, io_cb, NULL);
	guard = evtimer_new(base, guard_cb, NULL);
	event_add(r.rev, NULL);
	if (size > 0)
		event_add(r.wev, NULL);
	evtimer_add(guard, &tv);
	while (!r.done)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	event_free(r.rev);
	event_free(r.wev);
	close(fd);
	check_replies();
	sink_stats(sk, &st);
	if (st.active != 0)
		abort();
	return 0;
}
