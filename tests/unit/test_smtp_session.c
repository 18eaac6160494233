/*
 * test_smtp_session.c -- unit tests for probe/smtp_session.c: real
 * sessions over loopback TCP against scripted SMTP servers written here
 * (a blocking server in a thread on 127.0.0.1 or ::1, port 0, answering
 * each command from a small script).  Open relay, closed server,
 * reconnects, percent-only relay, greylisting, refusing and closing
 * greetings, no listener, tarpit, endless replies, huge lines, garbage,
 * drops after 354, HELO fallback, stop, the run's deadline.  Every test
 * is bounded by a guard timer on the session side and poll timeouts on
 * the server side; none asserts how long anything took: a deadline is
 * shown by what the session says (its reason, its state) and by what
 * the server heard.  And the pure parts: the test message (smtp_msg.c)
 * and the verdict rule (session_verdict.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include <event2/event.h>

#include "cookie.h"
#include "relay_tests.h"
#include "session_verdict.h"
#include "smtp_msg.h"
#include "smtp_session.h"
#include "verdict.h"

#define HELO		"prober.example.net"
#define SINK_DOMAIN	"sink.example.org"
#define SINK_LOCAL	"sink"
#define FROM_LOCAL	"probe"
#define BANNER_OK	"220 relay.example.com ESMTP fake"
#define RUN_ID		77
#define EXPIRES		1999999999
#define GUARD_SEC	20	/* no session test may take longer */

static const uint8_t	 KEY[] = "session test key";
#define KEYLEN		 (sizeof(KEY) - 1)

/*
 * The scripted server.
 */

#define LOG_MAX		65536
#define MSG_MAX		8
#define MSG_SIZE	8192

struct srv;
/* The reply to one command line (without CRLF; "." ends a message):
 * lines separated by CRLF, no final CRLF.  NULL: close the connection;
 * "": say nothing. */
typedef const char *(*srv_reply_fn)(struct srv *, int conn, const char *);

struct srv {
	int		 lfd;
	int		 family;
	uint16_t	 port;
	pthread_t	 th;
	atomic_int	 stop;
	/* The script. */
	const char	*banner;	/* NULL: none */
	int		 close_after_banner;
	srv_reply_fn	 reply;
	int		 delay_ms;	/* before each reply */
	int		 drop_after_354_conn;	/* close after 354 there */
	void		(*custom)(struct srv *, int fd, int conn);
	int		 dribble;	/* replies in 1-byte writes, LF
					   only after the last line */
	/* What happened (read after srv_stop). */
	int		 nconn;
	size_t		 tarpit_sent;	/* custom_tarpit: bytes of greeting */
	size_t		 tarpit_heard;	/* bytes the client sent it */
	int		 tarpit_closed;	/* the client closed first */
	char		 log[LOG_MAX];	/* "conn command\n" ... */
	size_t		 loglen;
	char		 msg[MSG_MAX][MSG_SIZE];	/* raw DATA, stuffed */
	size_t		 msglen[MSG_MAX];
	int		 nmsg;
};

static int
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
srv_send(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One send per line: two small ones would meet Nagle and delayed ACK. */
static int
srv_sendline(int fd, const char *s)
{
	char	 buf[2048];
	size_t	 n = strlen(s);

	if (n + 2 > sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	memcpy(buf + n, "\r\n", 2);
	return srv_send(fd, buf, n + 2);
}

struct rbuf {
	char	 b[4096];
	size_t	 n;
};

/*
 * One line (CRLF or LF stripped) into out.  Returns its length, or -1 on
 * EOF, error, stop, or 10 s without a line.
 */
static int
srv_readline(struct srv *sv, int fd, struct rbuf *rb, char *out,
    size_t outlen)
{
	struct pollfd	 pfd;
	char		*nl;
	size_t		 n;
	ssize_t		 r;
	int		 deadline = now_ms() + 10000;

	for (;;) {
		if ((nl = memchr(rb->b, '\n', rb->n)) != NULL) {
			n = (size_t)(nl - rb->b);
			if (n > 0 && rb->b[n - 1] == '\r')
				n--;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, rb->b, n);
			out[n] = '\0';
			n = (size_t)(nl - rb->b) + 1;
			memmove(rb->b, rb->b + n, rb->n - n);
			rb->n -= n;
			return (int)strlen(out);
		}
		if (rb->n == sizeof(rb->b))
			return -1;
		if (atomic_load(&sv->stop) || now_ms() > deadline)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((r = recv(fd, rb->b + rb->n, sizeof(rb->b) - rb->n, 0)) <= 0)
			return -1;
		rb->n += (size_t)r;
	}
}

static void
srv_log(struct srv *sv, int conn, const char *line)
{
	int	 n;

	n = snprintf(sv->log + sv->loglen, sizeof(sv->log) - sv->loglen,
	    "%d %s\n", conn, line);
	if (n > 0 && (size_t)n < sizeof(sv->log) - sv->loglen)
		sv->loglen += (size_t)n;
}

/* Wait (bounded) until the client closes. */
static void
srv_drain(struct srv *sv, int fd)
{
	struct pollfd	 pfd;
	char		 buf[4096];
	int		 deadline = now_ms() + 10000;

	while (!atomic_load(&sv->stop) && now_ms() < deadline) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if (recv(fd, buf, sizeof(buf), 0) <= 0)
			return;
	}
}

/*
 * A reply in pieces: one byte per write, a pause every few, TCP_NODELAY,
 * the last line ended by a bare LF: the client must put lines together
 * from many reads, and take LF alone as a line end.
 */
static int
srv_dribble(int fd, const char *s)
{
	int	 one = 1, i;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; s[i] != '\0'; i++) {
		if (srv_send(fd, s + i, 1) == -1)
			return -1;
		if (i % 8 == 7)
			sleep_ms(1);
	}
	return srv_send(fd, "\n", 1);
}

static int
srv_reply_send(struct srv *sv, int fd, const char *s)
{
	return sv->dribble ? srv_dribble(fd, s) : srv_sendline(fd, s);
}

static void
srv_dialogue(struct srv *sv, int fd, int conn)
{
	struct rbuf	 rb;
	char		 line[2048];
	const char	*rep;
	int		 indata = 0, m = -1;

	rb.n = 0;
	if (sv->banner != NULL && srv_reply_send(sv, fd, sv->banner) == -1)
		return;
	if (sv->close_after_banner)
		return;
	while (srv_readline(sv, fd, &rb, line, sizeof(line)) >= 0) {
		if (indata) {
			if (m >= 0 && sv->msglen[m] + strlen(line) + 2 <
			    MSG_SIZE) {
				memcpy(sv->msg[m] + sv->msglen[m], line,
				    strlen(line));
				sv->msglen[m] += strlen(line);
				memcpy(sv->msg[m] + sv->msglen[m], "\r\n", 2);
				sv->msglen[m] += 2;
			}
			if (strcmp(line, ".") != 0)
				continue;
			indata = 0;
		}
		srv_log(sv, conn, line);
		rep = sv->reply(sv, conn, line);
		if (rep == NULL)
			return;
		if (sv->delay_ms > 0)
			sleep_ms(sv->delay_ms);
		if (*rep != '\0' && srv_reply_send(sv, fd, rep) == -1)
			return;
		if (strncasecmp(line, "DATA", 4) == 0 &&
		    strncmp(rep, "354", 3) == 0) {
			if (conn == sv->drop_after_354_conn)
				return;
			indata = 1;
			if (sv->nmsg < MSG_MAX)
				m = sv->nmsg++;
			else
				m = -1;
		}
		if (strncasecmp(line, "QUIT", 4) == 0)
			return;
	}
}

static void *
srv_main(void *arg)
{
	struct srv	*sv = arg;
	struct pollfd	 pfd;
	int		 fd;

	while (!atomic_load(&sv->stop)) {
		pfd.fd = sv->lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((fd = accept(sv->lfd, NULL, NULL)) == -1)
			continue;
		sv->nconn++;
		if (sv->custom != NULL)
			sv->custom(sv, fd, sv->nconn);
		else
			srv_dialogue(sv, fd, sv->nconn);
		close(fd);
	}
	return NULL;
}

/* Default replies: an open relay. */
static const char *
reply_open(struct srv *sv, int conn, const char *cmd)
{
	(void)sv;
	(void)conn;
	if (strncasecmp(cmd, "EHLO", 4) == 0)
		return "250-relay.example.com\r\n250-PIPELINING\r\n250 8BITMIME";
	if (strncasecmp(cmd, "HELO", 4) == 0)
		return "250 relay.example.com";
	if (strncasecmp(cmd, "MAIL", 4) == 0)
		return "250 2.1.0 Ok";
	if (strncasecmp(cmd, "RCPT", 4) == 0)
		return "250 2.1.5 Ok";
	if (strncasecmp(cmd, "DATA", 4) == 0)
		return "354 End data with <CR><LF>.<CR><LF>";
	if (strcmp(cmd, ".") == 0)
		return "250 2.0.0 Ok: queued as 4AB2C";
	if (strncasecmp(cmd, "RSET", 4) == 0)
		return "250 2.0.0 Ok";
	if (strncasecmp(cmd, "QUIT", 4) == 0)
		return "221 2.0.0 Bye";
	return "502 5.5.2 Error: command not recognized";
}

static const char *
reply_closed(struct srv *sv, int conn, const char *cmd)
{
	if (strncasecmp(cmd, "RCPT", 4) == 0)
		return "550 5.7.1 Relay access denied";
	return reply_open(sv, conn, cmd);
}

static const char *
reply_percent(struct srv *sv, int conn, const char *cmd)
{
	if (strcmp(cmd, "RCPT TO:<sink%sink.example.org@relay.example.com>") ==
	    0)
		return "250 2.1.5 Ok";
	return reply_closed(sv, conn, cmd);
}

static const char *
reply_greylist(struct srv *sv, int conn, const char *cmd)
{
	if (strncasecmp(cmd, "RCPT", 4) == 0)
		return "450 4.2.0 Greylisted, try again in 5 minutes";
	return reply_open(sv, conn, cmd);
}

static const char *
reply_no_ehlo(struct srv *sv, int conn, const char *cmd)
{
	if (strncasecmp(cmd, "EHLO", 4) == 0)
		return "502 5.5.2 Error: command not recognized";
	return reply_closed(sv, conn, cmd);
}

static const char *
reply_silent_rcpt(struct srv *sv, int conn, const char *cmd)
{
	if (strncasecmp(cmd, "RCPT", 4) == 0)
		return "";
	return reply_open(sv, conn, cmd);
}

static const char *
reply_data_rejected(struct srv *sv, int conn, const char *cmd)
{
	if (strcmp(cmd, ".") == 0)
		return "554 5.7.1 Message rejected";
	if (strncasecmp(cmd, "MAIL FROM:<>", 12) == 0)
		return "451 4.3.0 Try again";
	return reply_open(sv, conn, cmd);
}

/* Exim's way: 421 and close after two rejected recipients. */
static const char *
reply_exim(struct srv *sv, int conn, const char *cmd)
{
	static int	 rejected[16];

	if (strncasecmp(cmd, "RCPT", 4) == 0) {
		if (rejected[conn % 16]++ == 2)
			return "421 4.7.0 Too many errors, closing connection";
		return "550 5.7.1 Relay not permitted";
	}
	if (strncasecmp(cmd, "RSET", 4) == 0 && rejected[conn % 16] > 2)
		return NULL;
	return reply_open(sv, conn, cmd);
}

/* Start a server on 127.0.0.1 (or ::1), port 0.  NULL if ::1 is absent. */
static struct srv *
srv_start(int family, const char *banner, srv_reply_fn reply)
{
	struct srv		*sv;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 one = 1;

	sv = calloc(1, sizeof(*sv));
	assert_non_null(sv);
	sv->family = family;
	sv->banner = banner;
	sv->reply = reply != NULL ? reply : reply_open;
	atomic_init(&sv->stop, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	}
	sv->lfd = socket(family, SOCK_STREAM, 0);
	assert_true(sv->lfd >= 0);
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sv->lfd, (struct sockaddr *)&ss, len) == -1) {
		assert_int_equal(family, AF_INET6);
		close(sv->lfd);
		free(sv);
		return NULL;
	}
	assert_int_equal(listen(sv->lfd, 16), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&ss, &len),
	    0);
	sv->port = ntohs(family == AF_INET6 ? sin6->sin6_port :
	    sin->sin_port);
	return sv;
}

static void
srv_run(struct srv *sv)
{
	assert_int_equal(pthread_create(&sv->th, NULL, srv_main, sv), 0);
}

static void
srv_stop(struct srv *sv)
{
	atomic_store(&sv->stop, 1);
	pthread_join(sv->th, NULL);
	close(sv->lfd);
}

/* How many logged commands start with prefix. */
static int
log_count(const struct srv *sv, const char *prefix)
{
	const char	*p = sv->log, *sp;
	int		 n = 0;

	while (p < sv->log + sv->loglen) {
		sp = strchr(p, ' ');
		if (sp != NULL && strncmp(sp + 1, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n') + 1;
	}
	return n;
}

/*
 * Hostile servers.
 */

/*
 * The greeting at one byte every TARPIT_MS: 34 bytes, 8.5 s, all of it
 * well within the run's deadline.  Between bytes, whatever the client
 * sends is counted, and its close ends the trickle.
 */
#define TARPIT_MS	250

static void
custom_tarpit(struct srv *sv, int fd, int conn)
{
	const char	*b = BANNER_OK "\r\n";
	struct pollfd	 pfd;
	char		 buf[512];
	ssize_t		 r;

	(void)conn;
	for (; *b != '\0' && !atomic_load(&sv->stop); b++) {
		if (srv_send(fd, b, 1) == -1)
			return;
		sv->tarpit_sent++;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TARPIT_MS) <= 0)
			continue;
		if ((r = recv(fd, buf, sizeof(buf), 0)) <= 0) {
			sv->tarpit_closed = r == 0;
			return;
		}
		sv->tarpit_heard += (size_t)r;
	}
	srv_drain(sv, fd);
}

/* "250-" after EHLO, without end. */
static void
custom_endless(struct srv *sv, int fd, int conn)
{
	struct rbuf	 rb = { .n = 0 };
	char		 line[1024];
	int		 i;

	(void)conn;
	srv_sendline(fd, BANNER_OK);
	if (srv_readline(sv, fd, &rb, line, sizeof(line)) < 0)
		return;
	srv_log(sv, conn, line);
	for (i = 0; i < 200000 && !atomic_load(&sv->stop); i++)
		if (srv_sendline(fd, "250-still going") == -1)
			return;
}

/* 100 KB of greeting without a line end. */
static void
custom_hugeline(struct srv *sv, int fd, int conn)
{
	static char	 buf[100 * 1024];

	(void)conn;
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "220 ", 4);
	srv_send(fd, buf, sizeof(buf));
	srv_drain(sv, fd);
}

/* Binary garbage for a greeting. */
static void
custom_garbage(struct srv *sv, int fd, int conn)
{
	unsigned char	 buf[600];
	unsigned	 x = 12345;
	size_t		 i;

	(void)conn;
	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
	buf[3] = '\0';
	buf[100] = '\n';
	buf[101] = 0x1b;
	buf[300] = '\n';
	srv_send(fd, (const char *)buf, sizeof(buf));
	srv_drain(sv, fd);
}

/* A greeting of ~90 KB in 99 lines: fits the parser, not the transcript. */
static void
custom_long_banner(struct srv *sv, int fd, int conn)
{
	char	 line[1000];
	int	 i;

	memset(line, 'y', sizeof(line));
	memcpy(line, "220-", 4);
	line[900] = '\0';
	for (i = 0; i < 98; i++)
		if (srv_sendline(fd, line) == -1)
			return;
	sv->banner = BANNER_OK;
	srv_dialogue(sv, fd, conn);
}

/*
 * The session side.
 */

static struct {
	int			 ndone;
	enum verdict		 verdict;
	char			 why[256];
	char			 banner[SESSION_REPLY_MAX];
	char			 target_domain[256];
	struct session_test	 tests[32];
	size_t			 ntests, naccepted, nconnections;
	char			*tr;
	size_t			 trlen;
	int			 guard;		/* the guard timer fired */
} G;

static struct event_base	*base;

static void
done_cb(struct smtp_session *s, const struct session_result *r, void *arg)
{
	struct timeval	 tv = { 0, 100000 };

	(void)s;
	(void)arg;
	G.ndone++;
	G.verdict = r->verdict;
	snprintf(G.why, sizeof(G.why), "%s", r->why);
	snprintf(G.banner, sizeof(G.banner), "%s", r->banner);
	snprintf(G.target_domain, sizeof(G.target_domain), "%s",
	    r->target_domain);
	assert_true(r->ntests <= 32);
	G.ntests = r->ntests;
	memcpy(G.tests, r->tests, r->ntests * sizeof(*r->tests));
	G.naccepted = r->naccepted;
	G.nconnections = r->nconnections;
	assert_non_null(r->transcript);
	assert_int_equal(strlen(r->transcript), r->transcriptlen);
	free(G.tr);
	G.tr = malloc(r->transcriptlen + 1);
	assert_non_null(G.tr);
	memcpy(G.tr, r->transcript, r->transcriptlen + 1);
	G.trlen = r->transcriptlen;
	if (getenv("SESSION_TEST_VERBOSE") != NULL)
		fprintf(stderr, "%s--- %s: %s\n", G.tr,
		    verdict_name(r->verdict), r->why);
	/* Let the loop run a little longer: a second done would show. */
	event_base_loopexit(base, &tv);
}

static void
guard_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	G.guard = 1;
	event_base_loopbreak(base);
}

static void
params_init(struct session_params *p, const struct srv *sv)
{
	memset(p, 0, sizeof(*p));
	p->target = sv == NULL || sv->family == AF_INET ? "127.0.0.1" : "::1";
	p->port = sv != NULL ? sv->port : 25;
	p->helo_name = HELO;
	p->sink_domain = SINK_DOMAIN;
	p->sink_local = SINK_LOCAL;
	p->from_local = FROM_LOCAL;
	p->cookie_key = KEY;
	p->cookie_keylen = KEYLEN;
	p->run_id = RUN_ID;
	p->cookie_expires = EXPIRES;
	p->connect_timeout = 5;
	p->reply_timeout = 5;
	p->total_timeout = 15;
	p->max_rejects = 5;
	p->max_connections = 8;
	p->max_accepted = 3;
}

/* Run one session to its end; G holds the result. */
static void
run(const struct session_params *p)
{
	struct smtp_session	*s;
	struct event		*guard;
	struct timeval		 tv = { GUARD_SEC, 0 };

	free(G.tr);
	memset(&G, 0, sizeof(G));
	base = event_base_new();
	assert_non_null(base);
	guard = evtimer_new(base, guard_cb, NULL);
	evtimer_add(guard, &tv);
	s = smtp_session_start(base, p, done_cb, NULL);
	assert_non_null(s);
	assert_int_equal(G.ndone, 0);	/* never from inside start */
	event_base_dispatch(base);
	event_free(guard);
	event_base_free(base);
	base = NULL;
	assert_false(G.guard);
	assert_int_equal(G.ndone, 1);
}

static const struct session_test *
gtest(int id)
{
	size_t	 i;

	for (i = 0; i < G.ntests; i++)
		if (G.tests[i].test_id == id)
			return &G.tests[i];
	fail_msg("test %d not in the result", id);
	return NULL;
}

/* How often needle occurs in the transcript. */
static int
tr_count(const char *needle)
{
	const char	*p = G.tr;
	int		 n = 0;

	while (p != NULL && (p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void
assert_transcript_clean(void)
{
	size_t	 i;

	assert_true(G.trlen <= SESSION_TRANSCRIPT_MAX);
	for (i = 0; i < G.trlen; i++)
		assert_true(G.tr[i] == '\n' ||
		    (G.tr[i] >= 0x20 && G.tr[i] < 0x7f));
}

/* The run ended by something else than a deadline: neither a reply's
 * nor the whole run's fired. */
static void
assert_no_deadline(void)
{
	assert_int_equal(tr_count("timeout"), 0);
	assert_int_equal(tr_count("longer than"), 0);
	assert_null(strstr(G.why, "longer than"));
}

/*
 * A session with the default parameters (reply_timeout, if not 0)
 * against a server that runs custom on each connection.  Returns the
 * server, stopped, for what it saw; G holds the result.
 */
static struct srv *
run_custom(void (*custom)(struct srv *, int, int), int reply_timeout)
{
	struct session_params	 p;
	struct srv		*sv;

	sv = srv_start(AF_INET, NULL, NULL);
	sv->custom = custom;
	srv_run(sv);
	params_init(&p, sv);
	if (reply_timeout != 0)
		p.reply_timeout = reply_timeout;
	run(&p);
	srv_stop(sv);
	return sv;
}

static void
expect_cookie(int test, const char *target, char *out)
{
	struct cookie	 c = { RUN_ID, test, EXPIRES };

	assert_int_equal(cookie_make(KEY, KEYLEN, &c, target, out,
	    COOKIE_MAX), 0);
}

/*
 * The tests.
 */

static void
test_open_relay(void **state)
{
	static const char *const expect_log =
	    "1 EHLO " HELO "\n"
	    "1 MAIL FROM:<>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "1 DATA\n"
	    "1 .\n"
	    "1 RSET\n"
	    "1 MAIL FROM:<probe@sink.example.org>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "1 DATA\n"
	    "1 .\n"
	    "1 RSET\n"
	    "1 MAIL FROM:<probe@relay.example.com>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "1 DATA\n"
	    "1 .\n"
	    "1 QUIT\n";
	struct session_params	 p;
	struct srv		*sv;
	char			 cookie[COOKIE_MAX], hdr[256], *m, *line;
	size_t			 i;
	int			 k, dotted;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_open);
	srv_run(sv);
	params_init(&p, sv);
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_ACCEPTED);
	assert_int_equal(G.naccepted, 3);	/* max_accepted */
	assert_int_equal(G.nconnections, 1);
	assert_int_equal(sv->nconn, 1);
	assert_int_equal(G.ntests, relay_test_count());
	assert_string_equal(G.target_domain, "relay.example.com");
	assert_string_equal(G.banner, BANNER_OK);
	assert_string_equal(sv->log, expect_log);
	for (i = 0; i < G.ntests; i++) {
		assert_int_equal(G.tests[i].test_id, relay_test_at(i)->id);
		assert_int_equal(G.tests[i].outcome,
		    i < 3 ? TO_ACCEPTED : TO_NOT_RUN);
	}
	assert_string_equal(gtest(1)->mail_from, "<>");
	assert_string_equal(gtest(1)->rcpt_to, "<sink@sink.example.org>");
	assert_string_equal(gtest(1)->mail_reply, "250 2.1.0 Ok");
	assert_string_equal(gtest(1)->rcpt_reply, "250 2.1.5 Ok");
	assert_string_equal(gtest(1)->data_reply,
	    "250 2.0.0 Ok: queued as 4AB2C");
	assert_string_equal(gtest(4)->cookie, "");

	/* The messages: the cookie in Subject, Message-ID and body. */
	assert_int_equal(sv->nmsg, 3);
	for (k = 0; k < 3; k++) {
		m = sv->msg[k];
		m[sv->msglen[k]] = '\0';
		expect_cookie(k + 1, "127.0.0.1", cookie);
		assert_string_equal(G.tests[k].cookie, cookie);
		snprintf(hdr, sizeof(hdr), "\r\nSubject: orbl relay test %d "
		    "%s\r\n", k + 1, cookie);
		assert_non_null(strstr(m, hdr));
		snprintf(hdr, sizeof(hdr), "\r\nMessage-ID: <%s@" HELO ">\r\n",
		    cookie);
		assert_non_null(strstr(m, hdr));
		snprintf(hdr, sizeof(hdr), "\r\nCookie: %s\r\n", cookie);
		assert_non_null(strstr(strstr(m, "\r\n\r\n"), hdr));
		assert_true(strncmp(m, "From: <probe@" HELO ">\r\n",
		    strlen("From: <probe@" HELO ">\r\n")) == 0);
		assert_non_null(strstr(m, "\r\nTo: <sink@sink.example.org>"
		    "\r\n"));
		assert_non_null(strstr(m, "\r\nDate: "));
		/* The body names the test and the target. */
		snprintf(hdr, sizeof(hdr), "Test: %d (%s)", k + 1,
		    relay_test_at((size_t)k)->name);
		assert_non_null(strstr(m, hdr));
		assert_non_null(strstr(m, "127.0.0.1"));
		/* Dot-stuffed: every line starting with '.' has two, but
		 * the final "." alone. */
		dotted = 0;
		for (line = m; *line != '\0'; line = strstr(line, "\r\n") + 2) {
			if (strcmp(line, ".\r\n") == 0)
				break;
			if (*line == '.') {
				assert_int_equal(line[1], '.');
				dotted++;
			}
		}
		assert_true(dotted >= 1);
		assert_string_equal(line, ".\r\n");
		assert_non_null(strstr(m, "\r\n..This line starts with a dot"));
	}
	/* Never in the envelope. */
	assert_null(strstr(sv->log, "orbl1-"));

	/* The transcript: both directions, the message only as a note. */
	assert_transcript_clean();
	assert_non_null(strstr(G.tr, "< " BANNER_OK "\n"));
	assert_non_null(strstr(G.tr, "> MAIL FROM:<>\n"));
	assert_non_null(strstr(G.tr, "< 250-relay.example.com\n"));
	/* The transcript is published: no cookie in it (TS_COOKIE has it). */
	assert_non_null(strstr(G.tr, "> [message for test 1]\n"));
	assert_null(strstr(G.tr, "orbl1-"));
	assert_null(strstr(G.tr, "Subject:"));
	assert_null(strstr(G.tr, "transparency"));
	free(sv);
}

/*
 * The same relay, every reply in one-byte writes and ended by a bare LF:
 * the same dialogue, the same evidence, nothing lost between reads.
 */
static void
test_dribble(void **state)
{
	struct session_params	 p;
	struct srv		*sv, *ref;
	char			 log[LOG_MAX];
	size_t			 i;

	(void)state;
	ref = srv_start(AF_INET, BANNER_OK, reply_open);
	srv_run(ref);
	params_init(&p, ref);
	run(&p);
	srv_stop(ref);
	memcpy(log, ref->log, sizeof(log));

	sv = srv_start(AF_INET, BANNER_OK, reply_open);
	sv->dribble = 1;
	srv_run(sv);
	params_init(&p, sv);
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_ACCEPTED);
	assert_int_equal(G.naccepted, 3);
	assert_int_equal(G.nconnections, 1);
	assert_string_equal(G.banner, BANNER_OK);
	assert_string_equal(G.target_domain, "relay.example.com");
	assert_string_equal(sv->log, log);
	assert_int_equal(sv->nmsg, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(G.tests[i].outcome, TO_ACCEPTED);
		assert_true(strncmp(G.tests[i].data_reply, "250", 3) == 0);
	}
	assert_no_deadline();
	assert_transcript_clean();
	assert_non_null(strstr(G.tr, "< " BANNER_OK "\n"));
	free(ref);
	free(sv);
}

static void
test_closed_reconnects(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_closed);
	srv_run(sv);
	params_init(&p, sv);
	p.max_rejects = 3;
	p.max_connections = 10;
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_CLOSED);
	assert_int_equal(G.naccepted, 0);
	assert_int_equal(G.ntests, 25);
	for (i = 0; i < G.ntests; i++) {
		assert_int_equal(G.tests[i].outcome, TO_RCPT_REJECTED);
		assert_string_equal(G.tests[i].rcpt_reply,
		    "550 5.7.1 Relay access denied");
		assert_string_equal(G.tests[i].data_reply, "");
		assert_string_equal(G.tests[i].cookie, "");	/* not sent */
	}
	/* 25 tests, a new connection every 3 rejections. */
	assert_int_equal(sv->nconn, 9);
	assert_int_equal(G.nconnections, 9);
	assert_int_equal(log_count(sv, "EHLO"), 9);
	assert_int_equal(log_count(sv, "MAIL"), 25);
	assert_int_equal(log_count(sv, "RCPT"), 25);
	assert_int_equal(log_count(sv, "DATA"), 0);
	assert_int_equal(log_count(sv, "RSET"), 16);
	assert_int_equal(log_count(sv, "QUIT"), 9);
	assert_non_null(strstr(sv->log, "1 MAIL FROM:<probe@relay.example.com>"
	    "\n1 RCPT TO:<sink@sink.example.org>\n1 QUIT\n2 EHLO"));
	/* Every expanded address as the battery says. */
	assert_non_null(strstr(sv->log, "RCPT TO:sink@sink.example.org\n"));
	assert_non_null(strstr(sv->log,
	    "RCPT TO:<@relay.example.com:sink@sink.example.org>\n"));
	assert_non_null(strstr(sv->log, "MAIL FROM:<probe@[127.0.0.1]>\n"));
	assert_non_null(strstr(G.why, "all 25 tests rejected"));
	free(sv);
}

static void
test_closed_max_connections(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_closed);
	srv_run(sv);
	params_init(&p, sv);
	p.max_connections = 2;
	p.max_rejects = 4;
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_CLOSED);
	assert_int_equal(sv->nconn, 2);
	assert_int_equal(G.nconnections, 2);
	for (i = 0; i < G.ntests; i++)
		assert_int_equal(G.tests[i].outcome,
		    i < 8 ? TO_RCPT_REJECTED : TO_NOT_RUN);
	assert_int_equal(log_count(sv, "QUIT"), 2);
	assert_non_null(strstr(G.why, "17 could not be run"));
	free(sv);
}

static void
test_percent_only(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_percent);
	srv_run(sv);
	params_init(&p, sv);
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_ACCEPTED);
	assert_int_equal(G.naccepted, 1);
	for (i = 0; i < G.ntests; i++)
		assert_int_equal(G.tests[i].outcome,
		    G.tests[i].test_id == 13 ? TO_ACCEPTED : TO_RCPT_REJECTED);
	assert_string_equal(gtest(13)->rcpt_to,
	    "<sink%sink.example.org@relay.example.com>");
	assert_int_equal(sv->nmsg, 1);
	assert_int_equal(log_count(sv, "DATA"), 1);
	assert_non_null(strstr(G.why, "test 13"));
	/* 24 rejections: 5 + 5 + 5 (around the accepted one) + 5 + 4. */
	assert_int_equal(sv->nconn, 5);
	free(sv);
}

static void
test_greylisting(void **state)
{
	static const int	 ids[] = { 1, 2, 3 };
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_greylist);
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 3;
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_TEMPFAIL);
	assert_int_equal(G.ntests, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(G.tests[i].test_id, ids[i]);
		assert_int_equal(G.tests[i].outcome, TO_TEMPFAIL);
	}
	assert_non_null(strstr(G.why, "450 4.2.0 Greylisted"));
	assert_int_equal(log_count(sv, "RSET"), 2);
	assert_int_equal(log_count(sv, "QUIT"), 1);
	free(sv);
}

static void
test_data_rejected(void **state)
{
	static const int	 ids[] = { 1, 2 };
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_data_rejected);
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 2;
	run(&p);
	srv_stop(sv);

	/* 4xx to MAIL makes the run a tempfail even with a rejection. */
	assert_int_equal(G.verdict, VERDICT_TEMPFAIL);
	assert_int_equal(gtest(1)->outcome, TO_TEMPFAIL);
	assert_string_equal(gtest(1)->mail_reply, "451 4.3.0 Try again");
	assert_int_equal(gtest(2)->outcome, TO_DATA_REJECTED);
	assert_string_equal(gtest(2)->data_reply,
	    "554 5.7.1 Message rejected");
	assert_int_equal(G.naccepted, 0);
	free(sv);
}

static void
test_banner_554(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i;

	(void)state;
	sv = srv_start(AF_INET, "554 5.7.1 No SMTP service here", NULL);
	srv_run(sv);
	params_init(&p, sv);
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_REFUSED);
	assert_string_equal(G.banner, "554 5.7.1 No SMTP service here");
	assert_non_null(strstr(G.why, "554 5.7.1 No SMTP service here"));
	assert_int_equal(sv->nconn, 1);
	assert_string_equal(sv->log, "1 QUIT\n");
	for (i = 0; i < G.ntests; i++)
		assert_int_equal(G.tests[i].outcome, TO_NOT_RUN);
	assert_int_equal(G.target_domain[0], '\0');
	free(sv);
}

static void
test_banner_421(void **state)
{
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, "421 4.3.2 mx.example.com busy, try later",
	    NULL);
	sv->close_after_banner = 1;
	srv_run(sv);
	params_init(&p, sv);
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_TEMPFAIL);
	assert_non_null(strstr(G.why, "421 4.3.2"));
	assert_int_equal(sv->nconn, 1);
	assert_int_equal(G.nconnections, 1);
	/* Ended by the 421 and the server's close, not by a deadline. */
	assert_no_deadline();
	free(sv);
}

static void
test_unreachable(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i;

	(void)state;
	/* A port that was just free: nobody listens there. */
	sv = srv_start(AF_INET, BANNER_OK, NULL);
	close(sv->lfd);
	params_init(&p, sv);
	run(&p);

	assert_int_equal(G.verdict, VERDICT_UNREACHABLE);
	/* Refused at once, not given up by the connect deadline. */
	assert_non_null(strstr(G.why, "refused"));
	assert_no_deadline();
	assert_int_equal(G.nconnections, 1);
	for (i = 0; i < G.ntests; i++)
		assert_int_equal(G.tests[i].outcome, TO_NOT_RUN);
	assert_non_null(strstr(G.why, "connect"));
	free(sv);
}

static void
test_closed_before_banner(void **state)
{
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, NULL, NULL);
	sv->close_after_banner = 1;
	srv_run(sv);
	params_init(&p, sv);
	run(&p);
	srv_stop(sv);

	/* The first connection never worked: no second try. */
	assert_int_equal(G.verdict, VERDICT_UNREACHABLE);
	assert_int_equal(sv->nconn, 1);
	assert_non_null(strstr(G.why, "closed"));
	free(sv);
}

static void
test_tarpit(void **state)
{
	struct srv	*sv;

	(void)state;
	sv = run_custom(custom_tarpit, 2);

	/*
	 * The per-reply deadline (2 s for the whole greeting) fired, though
	 * bytes kept coming: the session says so, in the state it was in,
	 * and the run's 15 s deadline did not.  An idle timer reset by each
	 * byte would have let the whole greeting in (8.5 s) and gone on to
	 * EHLO.
	 */
	assert_int_equal(G.verdict, VERDICT_TIMEOUT);
	assert_string_equal(G.why, "no greeting: timeout in BANNER: no reply "
	    "in 2 s");
	assert_int_equal(tr_count("* timeout in BANNER: no reply in 2 s\n"), 1);
	assert_int_equal(tr_count("longer than"), 0);
	assert_string_equal(G.banner, "");
	/* The peer: one connection, closed by the client in the middle of
	 * the greeting, without a word from it (no EHLO, no QUIT). */
	assert_int_equal(sv->nconn, 1);
	assert_int_equal(G.nconnections, 1);
	assert_true(sv->tarpit_sent >= 1);
	assert_true(sv->tarpit_sent < strlen(BANNER_OK "\r\n"));
	assert_int_equal(sv->tarpit_closed, 1);
	assert_int_equal(sv->tarpit_heard, 0);
	free(sv);
}

static void
test_endless_reply(void **state)
{
	struct srv	*sv;

	(void)state;
	sv = run_custom(custom_endless, 0);

	assert_int_equal(G.verdict, VERDICT_PROTO);
	assert_non_null(strstr(G.why, "endless multi-line reply"));
	/* The reply parser gave up, not a deadline. */
	assert_no_deadline();
	assert_transcript_clean();
	free(sv);
}

static void
test_huge_line(void **state)
{
	struct srv	*sv;

	(void)state;
	sv = run_custom(custom_hugeline, 0);

	assert_int_equal(G.verdict, VERDICT_PROTO);
	assert_non_null(strstr(G.why, "reply line too long"));
	/* The reply parser gave up, not a deadline. */
	assert_no_deadline();
	/* Nothing of the line was kept. */
	assert_true(G.trlen < 1024);
	assert_transcript_clean();
	free(sv);
}

static void
test_garbage(void **state)
{
	struct srv	*sv;

	(void)state;
	sv = run_custom(custom_garbage, 0);

	assert_int_equal(G.verdict, VERDICT_PROTO);
	/* The reply parser gave up, not a deadline. */
	assert_non_null(strstr(G.why, "no reply code"));
	assert_no_deadline();
	assert_transcript_clean();
	assert_non_null(strstr(G.tr, "< "));	/* the line, sanitised */
	free(sv);
}

static void
test_transcript_bounded(void **state)
{
	static const int	 ids[] = { 2 };
	struct session_params	 p;
	struct srv		*sv;
	const char		*t;
	size_t			 n = strlen("* transcript truncated\n");

	(void)state;
	sv = srv_start(AF_INET, NULL, reply_closed);
	sv->custom = custom_long_banner;
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 1;
	run(&p);
	srv_stop(sv);

	/* The reply is fine, the transcript stops at its bound, once. */
	assert_int_equal(G.verdict, VERDICT_CLOSED);
	assert_int_equal(gtest(2)->outcome, TO_RCPT_REJECTED);
	assert_true(G.trlen <= SESSION_TRANSCRIPT_MAX);
	assert_true(G.trlen > SESSION_TRANSCRIPT_MAX - 2000);
	t = strstr(G.tr, "* transcript truncated\n");
	assert_non_null(t);
	assert_null(strstr(t + 1, "* transcript truncated"));
	assert_int_equal((size_t)(t - G.tr) + n, G.trlen);
	assert_transcript_clean();
	/* T came from the first line of the greeting: not a domain. */
	assert_string_equal(G.target_domain, "");
	assert_string_equal(gtest(2)->mail_from, "<probe@sink.example.org>");
	free(sv);
}

static void
test_drop_after_354(void **state)
{
	static const int	 ids[] = { 1, 2, 3 };
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_open);
	sv->drop_after_354_conn = 1;
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 3;
	run(&p);
	srv_stop(sv);

	assert_int_equal(gtest(1)->outcome, TO_ERROR);
	assert_int_equal(gtest(2)->outcome, TO_ACCEPTED);
	assert_int_equal(gtest(3)->outcome, TO_ACCEPTED);
	assert_int_equal(G.verdict, VERDICT_ACCEPTED);
	assert_int_equal(G.naccepted, 2);
	assert_int_equal(sv->nconn, 2);
	assert_int_equal(G.nconnections, 2);
	assert_non_null(strstr(sv->log, "1 DATA\n2 EHLO"));
	free(sv);
}

static void
test_421_mid_battery(void **state)
{
	static const int	 ids[] = { 1, 2, 3, 4, 5 };
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_exim);
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 5;
	run(&p);
	srv_stop(sv);

	/* Test 3 lost to the 421, the battery goes on over connection 2. */
	assert_int_equal(gtest(1)->outcome, TO_RCPT_REJECTED);
	assert_int_equal(gtest(2)->outcome, TO_RCPT_REJECTED);
	assert_int_equal(gtest(3)->outcome, TO_ERROR);
	assert_string_equal(gtest(3)->rcpt_reply,
	    "421 4.7.0 Too many errors, closing connection");
	assert_int_equal(gtest(4)->outcome, TO_RCPT_REJECTED);
	assert_int_equal(gtest(5)->outcome, TO_RCPT_REJECTED);
	assert_int_equal(G.verdict, VERDICT_CLOSED);
	assert_int_equal(sv->nconn, 2);
	assert_int_equal(G.nconnections, 2);
	free(sv);
}

static void
test_helo_fallback(void **state)
{
	static const int	 ids[] = { 4 };
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_no_ehlo);
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 1;
	run(&p);
	srv_stop(sv);

	assert_string_equal(sv->log,
	    "1 EHLO " HELO "\n"
	    "1 HELO " HELO "\n"
	    "1 MAIL FROM:<probe@[127.0.0.1]>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "1 QUIT\n");
	assert_int_equal(G.verdict, VERDICT_CLOSED);
	assert_int_equal(gtest(4)->outcome, TO_RCPT_REJECTED);
	free(sv);
}

static struct smtp_session	*stop_me;

static void
trace_stop_at_rcpt(char dir, const char *line, void *arg)
{
	(void)arg;
	if (dir == '>' && strncmp(line, "RCPT", 4) == 0 && stop_me != NULL) {
		smtp_session_stop(stop_me);
		assert_int_equal(G.ndone, 0);	/* never from inside stop */
		smtp_session_stop(stop_me);	/* twice is harmless */
	}
}

static void
test_stop_in_the_middle(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	struct event		*guard;
	struct timeval		 tv = { GUARD_SEC, 0 };

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_open);
	srv_run(sv);
	params_init(&p, sv);
	p.trace = trace_stop_at_rcpt;
	free(G.tr);
	memset(&G, 0, sizeof(G));
	base = event_base_new();
	guard = evtimer_new(base, guard_cb, NULL);
	evtimer_add(guard, &tv);
	stop_me = smtp_session_start(base, &p, done_cb, NULL);
	assert_non_null(stop_me);
	event_base_dispatch(base);
	stop_me = NULL;
	event_free(guard);
	event_base_free(base);
	srv_stop(sv);

	assert_false(G.guard);
	assert_int_equal(G.ndone, 1);
	/* Ended by the stop, not by a deadline. */
	assert_non_null(strstr(G.why, "stopped"));
	assert_no_deadline();
	/* QUIT right after RCPT; the RCPT reply still recorded. */
	assert_string_equal(sv->log,
	    "1 EHLO " HELO "\n"
	    "1 MAIL FROM:<>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "1 QUIT\n");
	assert_string_equal(gtest(1)->rcpt_reply, "250 2.1.5 Ok");
	assert_int_equal(gtest(1)->outcome, TO_ERROR);
	assert_int_equal(gtest(2)->outcome, TO_NOT_RUN);
	assert_int_equal(sv->nmsg, 0);
	free(sv);
}

static void
test_stop_before_connect(void **state)
{
	struct session_params	 p;
	struct smtp_session	*s;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_open);
	srv_run(sv);
	params_init(&p, sv);
	free(G.tr);
	memset(&G, 0, sizeof(G));
	base = event_base_new();
	s = smtp_session_start(base, &p, done_cb, NULL);
	assert_non_null(s);
	smtp_session_stop(s);
	assert_int_equal(G.ndone, 0);
	event_base_dispatch(base);
	event_base_free(base);
	srv_stop(sv);

	assert_int_equal(G.ndone, 1);
	assert_int_equal(sv->nconn, 0);
	assert_int_equal(G.nconnections, 0);
	assert_int_equal(G.verdict, VERDICT_UNREACHABLE);
	free(sv);
}

static void
test_total_timeout(void **state)
{
	struct session_params	 p;
	struct srv		*sv;
	size_t			 i, notrun = 0;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_closed);
	sv->delay_ms = 300;
	srv_run(sv);
	params_init(&p, sv);
	p.total_timeout = 2;
	run(&p);
	srv_stop(sv);

	/*
	 * The total deadline fired, and the session says so (no reply
	 * deadline: each reply came after 300 ms); the battery was cut
	 * short, on its one connection, by one QUIT, after which the peer
	 * heard nothing more.
	 */
	assert_int_equal(G.verdict, VERDICT_TIMEOUT);
	assert_string_equal(G.why, "the run took longer than 2 s");
	assert_int_equal(tr_count("* the run took longer than 2 s: stopping\n"),
	    1);
	assert_int_equal(tr_count("timeout in"), 0);
	for (i = 0; i < G.ntests; i++)
		if (G.tests[i].outcome == TO_NOT_RUN)
			notrun++;
	assert_true(notrun > 15);
	assert_int_equal(G.nconnections, 1);
	assert_int_equal(sv->nconn, 1);
	assert_int_equal(log_count(sv, "QUIT"), 1);
	assert_true(sv->loglen >= strlen("1 QUIT\n"));
	assert_string_equal(sv->log + sv->loglen - strlen("1 QUIT\n"),
	    "1 QUIT\n");
	free(sv);
}

static void
test_reply_timeout_reconnects(void **state)
{
	static const int	 ids[] = { 1, 2, 3 };
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	sv = srv_start(AF_INET, BANNER_OK, reply_silent_rcpt);
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 3;
	p.reply_timeout = 1;
	p.max_connections = 2;
	run(&p);
	srv_stop(sv);

	assert_int_equal(gtest(1)->outcome, TO_ERROR);
	assert_int_equal(gtest(2)->outcome, TO_ERROR);
	assert_int_equal(gtest(3)->outcome, TO_NOT_RUN);
	assert_int_equal(G.nconnections, 2);
	assert_int_equal(sv->nconn, 2);
	assert_int_equal(G.verdict, VERDICT_TIMEOUT);
	/* Each connection given up by its own 1 s reply deadline, not by
	 * the 15 s total deadline: the session says so, and the peer heard
	 * nothing after the RCPT it left unanswered, neither RSET nor QUIT
	 * (nor DATA). */
	assert_string_equal(G.why, "timeout in RCPT: no reply in 1 s");
	assert_int_equal(tr_count("* timeout in RCPT: no reply in 1 s\n"), 2);
	assert_int_equal(tr_count("longer than"), 0);
	assert_string_equal(sv->log,
	    "1 EHLO " HELO "\n"
	    "1 MAIL FROM:<>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "2 EHLO " HELO "\n"
	    "2 MAIL FROM:<probe@sink.example.org>\n"
	    "2 RCPT TO:<sink@sink.example.org>\n");
	free(sv);
}

static void
test_ipv6(void **state)
{
	static const int	 ids[] = { 4, 14 };
	struct session_params	 p;
	struct srv		*sv;

	(void)state;
	/* Only registered when ::1 can be bound (main: have_ipv6()). */
	sv = srv_start(AF_INET6, BANNER_OK, reply_closed);
	assert_non_null(sv);
	srv_run(sv);
	params_init(&p, sv);
	p.tests = ids;
	p.ntests = 2;
	run(&p);
	srv_stop(sv);

	assert_int_equal(G.verdict, VERDICT_CLOSED);
	assert_string_equal(sv->log,
	    "1 EHLO " HELO "\n"
	    "1 MAIL FROM:<probe@[IPv6:::1]>\n"
	    "1 RCPT TO:<sink@sink.example.org>\n"
	    "1 RSET\n"
	    "1 MAIL FROM:<probe@[IPv6:::1]>\n"
	    "1 RCPT TO:<sink%sink.example.org@[IPv6:::1]>\n"
	    "1 QUIT\n");
	free(sv);
}

static void
test_bad_params(void **state)
{
	static const int	 bad_id[] = { 1, 999 };
	struct session_params	 p, q;
	struct event_base	*b;

	(void)state;
	b = event_base_new();
	params_init(&p, NULL);
	q = p;
	q.target = "mx.example.com";
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.port = 0;
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.helo_name = "bad name";
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.sink_local = "a@b";
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.sink_domain = NULL;
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.cookie_keylen = 0;
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.tests = bad_id;
	q.ntests = 2;
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	q = p;
	q.reply_timeout = -1;
	assert_null(smtp_session_start(b, &q, done_cb, NULL));
	assert_null(smtp_session_start(b, &p, NULL, NULL));
	smtp_session_stop(NULL);
	event_base_free(b);
	assert_string_equal(test_outcome_name(TO_RCPT_REJECTED),
	    "rcpt-rejected");
	assert_string_equal(test_outcome_name(TO_NOT_RUN), "not-run");
}

/*
 * The test message (smtp_msg.c), byte for byte: headers, body, the
 * cookie in its three places, CRLF, the dot-stuffed last line, the end.
 */
static void
test_message(void **state)
{
	static const char	*const want =
	    "From: <probe@" HELO ">\r\n"
	    "To: <sink%sink.example.org@[192.0.2.1]>\r\n"
	    "Subject: orbl relay test 14 orbl1-77-14-1999999999-x\r\n"
	    "Message-ID: <orbl1-77-14-1999999999-x@" HELO ">\r\n"
	    "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
	    "\r\n"
	    "This message tests whether the mail server at 192.0.2.1 port "
	    "2525\r\n"
	    "relays mail for anyone (an open relay).  It was sent by the\r\n"
	    "orbl relay prober at " HELO " to the prober's own mailbox; if "
	    "it\r\n"
	    "reached anyone else, please tell postmaster@" HELO ".\r\n"
	    "\r\n"
	    "Test: 14 (percent hack via IP literal)\r\n"
	    "Target: 192.0.2.1 port 2525\r\n"
	    "Cookie: orbl1-77-14-1999999999-x\r\n"
	    "\r\n"
	    "..This line starts with a dot (SMTP transparency, RFC 5321 "
	    "4.5.2).\r\n"
	    ".\r\n";
	struct smtp_msg	 m;
	char		 buf[SMTP_MSG_MAX], date[64], big[600];
	int		 n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.from_local = FROM_LOCAL;
	m.helo = HELO;
	m.rcpt_to = "<sink%sink.example.org@[192.0.2.1]>";
	m.test_id = 14;
	m.test_name = "percent hack via IP literal";
	m.cookie = "orbl1-77-14-1999999999-x";
	m.target = "192.0.2.1";
	m.port = 2525;
	m.date = 1767225600;	/* 2026-01-01, a Thursday */
	n = smtp_msg_make(&m, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));

	/* Too small a buffer: -1 and "", never a cut message. */
	assert_int_equal(smtp_msg_make(&m, buf, strlen(want)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(smtp_msg_make(&m, buf, strlen(want) + 1), n);
	/* Too long a text: -1. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m.helo = big;
	m.test_name = big;
	m.rcpt_to = big;
	m.from_local = big;
	m.cookie = big;
	assert_int_equal(smtp_msg_make(&m, buf, sizeof(buf)), -1);

	smtp_msg_date(0, date, sizeof(date));
	assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 +0000");
	smtp_msg_date(951782400 + 86399, date, sizeof(date));
	assert_string_equal(date, "Tue, 29 Feb 2000 23:59:59 +0000");
}

/* The rule from a session's facts to its verdict, case by case. */
static void
test_verdict_rule(void **state)
{
	struct session_facts	 f, base_f;
	char			 why[256];

	(void)state;
	memset(&base_f, 0, sizeof(base_f));
	base_f.nbanners = 1;
	base_f.nrejected = 25;

	/* All rejected: closed; some lost or not run: said so. */
	f = base_f;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_CLOSED);
	assert_string_equal(why, "all 25 tests rejected");
	f.nrejected = 20;
	f.nlost = 2;
	f.nnotrun = 3;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_CLOSED);
	assert_string_equal(why, "20 tests rejected, 2 lost with the "
	    "connection, 3 could not be run");

	/* Accepted wins over everything else. */
	f = base_f;
	f.naccepted = 2;
	f.first_accepted = 13;
	f.refused = f.tempfail = f.proto = f.timed_out = 1;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_ACCEPTED);
	assert_string_equal(why, "2 test messages accepted (first: test 13, "
	    "percent hack via own domain)");
	f.naccepted = 1;
	(void)session_verdict(&f, why, sizeof(why));
	assert_non_null(strstr(why, "1 test message accepted"));

	/* No greeting: garbage, then silence, then unreachable. */
	memset(&f, 0, sizeof(f));
	snprintf(f.why_unreach, sizeof(f.why_unreach), "connect: refused");
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_UNREACHABLE);
	assert_string_equal(why, "connect: refused");
	f.why_unreach[0] = '\0';
	(void)session_verdict(&f, why, sizeof(why));
	assert_string_equal(why, "stopped before connecting");
	f.timed_out = 1;
	snprintf(f.why_timeout, sizeof(f.why_timeout), "t");
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_TIMEOUT);
	assert_string_equal(why, "no greeting: t");
	f.proto = 1;
	snprintf(f.why_proto, sizeof(f.why_proto), "p");
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_PROTO);
	assert_string_equal(why, "p");
	/* ... a refusal does not count without a greeting. */
	f.refused = 1;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_PROTO);

	/* Greeted: refused, then tempfail, then a cut-short battery, then
	 * garbage. */
	f = base_f;
	f.refused = f.tempfail = f.timed_out = f.proto = 1;
	snprintf(f.why_refused, sizeof(f.why_refused), "r");
	snprintf(f.why_tempfail, sizeof(f.why_tempfail), "4");
	snprintf(f.why_timeout, sizeof(f.why_timeout), "t");
	snprintf(f.why_proto, sizeof(f.why_proto), "p");
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_REFUSED);
	assert_string_equal(why, "refused: r");
	f.refused = 0;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_TEMPFAIL);
	assert_string_equal(why, "temporary failure: 4");
	f.tempfail = 0;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_TIMEOUT);
	assert_string_equal(why, "t");
	/* A timeout after the battery was done proves nothing more. */
	f.battery_done = 1;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_PROTO);
	f.proto = 0;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_CLOSED);

	/* Greeted, but no test ever answered. */
	f = base_f;
	f.nrejected = 0;
	f.nlost = 3;
	assert_int_equal(session_verdict(&f, why, sizeof(why)),
	    VERDICT_TEMPFAIL);
	assert_string_equal(why, "no test could be completed: the connection "
	    "was lost");
	f.stopping = 1;
	(void)session_verdict(&f, why, sizeof(why));
	assert_string_equal(why, "no test could be completed: stopped");
}

/*
 * Can a TCP socket be bound to ::1?  Without IPv6, test_ipv6 is left out
 * of the run (a note says so): cmocka's skip() prints "not ok # SKIP" in
 * TAP, which the harness counts as a failure.
 */
static int
have_ipv6(void)
{
	struct sockaddr_in6	 sin6;
	int			 fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_verdict_rule),
		cmocka_unit_test(test_open_relay),
		cmocka_unit_test(test_dribble),
		cmocka_unit_test(test_closed_reconnects),
		cmocka_unit_test(test_closed_max_connections),
		cmocka_unit_test(test_percent_only),
		cmocka_unit_test(test_greylisting),
		cmocka_unit_test(test_data_rejected),
		cmocka_unit_test(test_banner_554),
		cmocka_unit_test(test_banner_421),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_closed_before_banner),
		cmocka_unit_test(test_tarpit),
		cmocka_unit_test(test_endless_reply),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_transcript_bounded),
		cmocka_unit_test(test_drop_after_354),
		cmocka_unit_test(test_421_mid_battery),
		cmocka_unit_test(test_helo_fallback),
		cmocka_unit_test(test_stop_in_the_middle),
		cmocka_unit_test(test_stop_before_connect),
		cmocka_unit_test(test_total_timeout),
		cmocka_unit_test(test_reply_timeout_reconnects),
		cmocka_unit_test(test_ipv6),	/* last: left out without ::1 */
	};
	size_t	 n = sizeof(tests) / sizeof(tests[0]);
	int	 rc;

	signal(SIGPIPE, SIG_IGN);
	if (!have_ipv6()) {
		printf("# ::1 cannot be bound here: test_ipv6 not run\n");
		fflush(stdout);
		n--;
	}
	rc = _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
	free(G.tr);
	return rc;
}
