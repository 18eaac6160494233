/*
 * test_sink.c -- the SMTP sink (probe/sink.c) as a server on 127.0.0.1
 * port 0: full conversations from a plain socket client in the same
 * thread (the test pumps the sink's own event_base between reads), the
 * recipient rules (only the sink mailbox; every relay trick refused),
 * source routes, bare LF, dot-stuffing, truncation, pipelining, garbage,
 * long lines, timeouts, max_sessions, QUIT, several messages per
 * connection and sink_free with connections open (leaks: V=asan); the
 * per-address cap, session_timeout, and the cap making room for another
 * address (clients bind 127.0.0.2 / 127.0.0.3 to be another peer); the
 * report and self-test mailboxes (one mailbox per message, the owner's
 * reply line, made printable).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "cookie.h"
#include "sink.h"

#define WAIT_MS		20000	/* bound for anything that should happen now */
#define MAXMSG		8

struct got {
	char	*peer, *helo, *mail_from, *rcpt, *data, *qid, *cookie;
	size_t	 datalen;
	int	 truncated, bounce;
	enum sink_box box;
};

struct client {
	int	 fd;
	char	 in[65536];
	size_t	 inlen, pos;
	int	 eof;
};

struct t {
	struct event_base	*base;
	struct sink		*sink;
	struct sink_conf	 conf;
	uint16_t		 port;
	struct got		 got[MAXMSG];
	int			 ngot;
	char			 tok[COOKIE_MAX];
	int			 defer;		/* the owner answers -1 */
	const char		*reply;		/* the owner's reply line */
};

static int
on_message(const struct sink_message *m, void *arg)
{
	struct t	*t = arg;
	struct got	*g;

	if (t->ngot >= MAXMSG) {
		t->ngot++;
		return 0;
	}
	g = &t->got[t->ngot++];
	g->peer = strdup(m->peer);
	g->helo = strdup(m->helo);
	g->mail_from = strdup(m->mail_from);
	g->rcpt = strdup(m->rcpt);
	g->qid = strdup(m->queue_id);
	g->data = malloc(m->datalen + 1);
	memcpy(g->data, m->data, m->datalen);
	g->data[m->datalen] = '\0';
	assert_int_equal(m->data[m->datalen], '\0');
	g->datalen = m->datalen;
	g->truncated = m->truncated;
	g->bounce = m->insp.bounce;
	g->box = m->box;
	assert_int_equal(m->reply[0], '\0');
	assert_true(m->replylen > 0 && m->replylen < SINK_REPLY_MAX);
	if (t->reply != NULL)
		snprintf(m->reply, m->replylen, "%s", t->reply);
	g->cookie = m->insp.cookie != NULL ?
	    strndup(m->insp.cookie, m->insp.cookielen) : NULL;
	return t->defer ? -1 : 0;
}

static void
t_start(struct t *t)
{
	char	 err[256];

	t->base = event_base_new();
	assert_non_null(t->base);
	t->sink = sink_new(t->base, &t->conf, on_message, t, err, sizeof(err));
	if (t->sink == NULL)
		fail_msg("sink_new: %s", err);
	t->port = sink_port(t->sink);
	assert_true(t->port > 0);
}

static int
setup(void **state)
{
	struct t	*t;
	struct cookie	 c = { 42, 13, 1767225600 };
	static const uint8_t key[] = "sink test key";

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	t->conf.host = "127.0.0.1";
	t->conf.port = 0;
	t->conf.domain = "sink.test";
	t->conf.local = "sink";
	t->conf.hostname = "mx.sink.test";
	t->conf.max_message = 64 * 1024;
	t->conf.timeout = 10;
	t->conf.max_sessions = 16;
	if (cookie_make(key, sizeof(key) - 1, &c, "127.0.0.1", t->tok,
	    sizeof(t->tok)) == -1)
		return -1;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t	*t = *state;
	int		 i;

	sink_free(t->sink);
	if (t->base != NULL)
		event_base_free(t->base);
	for (i = 0; i < t->ngot && i < MAXMSG; i++) {
		free(t->got[i].peer);
		free(t->got[i].helo);
		free(t->got[i].mail_from);
		free(t->got[i].rcpt);
		free(t->got[i].data);
		free(t->got[i].qid);
		free(t->got[i].cookie);
	}
	free(t);
	return 0;
}

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One turn of the sink's loop, then whatever the client can read. */
static void
pump(struct t *t, struct client *c)
{
	ssize_t	 n;

	event_base_loop(t->base, EVLOOP_NONBLOCK);
	if (c == NULL || c->eof)
		return;
	if (c->pos > 0) {	/* drop replies already taken */
		memmove(c->in, c->in + c->pos, c->inlen - c->pos);
		c->inlen -= c->pos;
		c->pos = 0;
		c->in[c->inlen] = '\0';
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
	    MSG_DONTWAIT);
	if (n > 0) {
		c->inlen += (size_t)n;
		c->in[c->inlen] = '\0';
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		c->eof = 1;
	else
		usleep(500);
}

/* Connect from the address from (NULL: let the kernel pick). */
static void
c_connect_from(struct t *t, struct client *c, const char *from)
{
	struct sockaddr_in	 sin;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	if (from != NULL) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, from, &sin.sin_addr), 1);
		assert_int_equal(bind(c->fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(t->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
}

static void
c_connect(struct t *t, struct client *c)
{
	c_connect_from(t, c, NULL);
}

static void
c_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void
c_sendn(struct t *t, struct client *c, const char *s, size_t len)
{
	long	 end = now_ms() + WAIT_MS;
	ssize_t	 n;

	while (len > 0) {
		n = send(c->fd, s, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			fail_msg("send: %s", strerror(errno));
		if (now_ms() > end)
			fail_msg("send: timed out");
		pump(t, c);
	}
}

static void
c_send(struct t *t, struct client *c, const char *s)
{
	c_sendn(t, c, s, strlen(s));
}

/*
 * The next whole reply: returns its code and copies its text (all its
 * lines) into text; 0 on EOF, -1 on timeout.
 */
static int
c_reply_text(struct t *t, struct client *c, char *text, size_t textlen)
{
	long	 end = now_ms() + WAIT_MS;
	char	*p, *nl;

	for (;;) {
		p = c->in + c->pos;
		while ((nl = strchr(p, '\n')) != NULL) {
			if (nl - p >= 3 && (nl - p == 3 || p[3] == ' ' ||
			    p[3] == '\r')) {
				if (text != NULL)
					snprintf(text, textlen, "%.*s",
					    (int)(nl + 1 - (c->in + c->pos)),
					    c->in + c->pos);
				c->pos = (size_t)(nl + 1 - c->in);
				return atoi(p);
			}
			p = nl + 1;
		}
		if (c->eof)
			return 0;
		if (now_ms() > end)
			return -1;
		pump(t, c);
	}
}

static int
c_reply(struct t *t, struct client *c)
{
	return c_reply_text(t, c, NULL, 0);
}

/* Wait for the server to close; returns 1 if it did. */
static int
c_wait_eof(struct t *t, struct client *c, int ms)
{
	long	 end = now_ms() + ms;

	while (!c->eof && now_ms() < end)
		pump(t, c);
	return c->eof;
}

/*
 * Run the sink's loop until n sessions are open (a closed one is freed
 * from the loop): a wait on the sink's own count, not on time; bounded,
 * it fails after WAIT_MS.
 */
static void
await_active(struct t *t, int n)
{
	struct sink_stats	 st;
	long			 end = now_ms() + WAIT_MS;

	for (;;) {
		sink_stats(t->sink, &st);
		if (st.active == n)
			return;
		if (now_ms() > end)
			fail_msg("%d sessions open, waited for %d", st.active, n);
		pump(t, NULL);
	}
}

/* Pump the loop for ms (callbacks that should not come). */
static void
settle(struct t *t, struct client *c, int ms)
{
	long	 end = now_ms() + ms;

	while (now_ms() < end)
		pump(t, c);
}

static void
expect(struct t *t, struct client *c, const char *cmd, int code)
{
	char	 text[4096];
	int	 got;

	if (cmd != NULL)
		c_send(t, c, cmd);
	got = c_reply_text(t, c, text, sizeof(text));
	if (got != code)
		fail_msg("after \"%s\": wanted %d, got %d \"%s\"",
		    cmd != NULL ? cmd : "(connect)", code, got, text);
}

static void
greet(struct t *t, struct client *c)
{
	c_connect(t, c);
	expect(t, c, NULL, 220);
	expect(t, c, "EHLO relay.example\r\n", 250);
}

/* One message on a greeted session: MAIL, RCPT, DATA, ".": 250. */
static void
deliver(struct t *t, struct client *c, const char *subject)
{
	char	 data[256];

	expect(t, c, "MAIL FROM:<probe@prober.test>\r\n", 250);
	expect(t, c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, c, "DATA\r\n", 354);
	snprintf(data, sizeof(data), "Subject: %s\r\n\r\nbody\r\n.\r\n",
	    subject);
	expect(t, c, data, 250);
}

/* The end of a session the sink closes: a 421 saying why, or EOF (the
 * 421 lost to a reset); then EOF. */
static void
expect_closed(struct t *t, struct client *c, const char *why)
{
	char	 text[512];
	int	 code;

	code = c_reply_text(t, c, text, sizeof(text));
	if (code == 421)
		assert_non_null(strstr(text, why));
	else if (code != 0)
		fail_msg("wanted 421 \"%s\" or EOF, got %d \"%s\"", why,
		    code, text);
	assert_true(c_wait_eof(t, c, WAIT_MS));
}

static void
test_full_conversation(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 text[4096], *data;
	struct sink_stats st;

	t_start(t);
	c_connect(t, &c);
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 220);
	assert_non_null(strstr(text, "220 mx.sink.test "));
	c_send(t, &c, "EHLO relay.example\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 250);
	assert_non_null(strstr(text, "250-mx.sink.test\r\n"));
	assert_non_null(strstr(text, "250-8BITMIME\r\n"));
	assert_non_null(strstr(text, "SIZE 65536\r\n"));
	assert_null(strstr(text, "PIPELINING"));
	expect(t, &c, "MAIL FROM:<probe@prober.test> SIZE=300 BODY=8BITMIME"
	    "\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	assert_int_equal(t->ngot, 0);
	if (asprintf(&data, "Received: from prober.test ([127.0.0.1])\r\n"
	    "\tby relay.example\r\nSubject: relay test %s\r\n"
	    "Message-ID: <%s@prober.test>\r\n\r\nRelay test %s.\r\n",
	    t->tok, t->tok, t->tok) == -1)
		fail();
	c_send(t, &c, data);
	c_send(t, &c, ".\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 250);
	assert_int_equal(strncmp(text, "250 2.0.0 Ok: queued as ", 24), 0);

	assert_int_equal(t->ngot, 1);
	assert_string_equal(t->got[0].peer, "127.0.0.1");
	assert_string_equal(t->got[0].helo, "relay.example");
	assert_string_equal(t->got[0].mail_from, "probe@prober.test");
	assert_string_equal(t->got[0].rcpt, "sink@sink.test");
	assert_string_equal(t->got[0].data, data);
	assert_int_equal(t->got[0].datalen, strlen(data));
	assert_int_equal(t->got[0].truncated, 0);
	assert_int_equal(t->got[0].bounce, 0);
	assert_non_null(t->got[0].cookie);
	assert_string_equal(t->got[0].cookie, t->tok);
	assert_non_null(strstr(text, t->got[0].qid));

	expect(t, &c, "QUIT\r\n", 221);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	await_active(t, 0);
	sink_stats(t->sink, &st);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.active, 0);
	assert_int_equal(t->ngot, 1);
	c_close(&c);
	free(data);
}

static void
test_relay_denied(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	struct sink_stats st;
	static const char *const denied[] = {
		"<sink@other.example>",
		"<victim@sink.test>",
		"<sink@sink.test.evil>",
		"<sink@[127.0.0.2]>",
		"<sink@[IPv6:::1]>",
		"<\"sink@sink.test\">",
		"<\"sink\"@sink.test>",
		"<sink%sink.test@[127.0.0.1]>",
		"<sink%sink.test>",
		"<sink@sink.test@relay.example>",
		"<sink.test!sink>",
		"<sink.test!sink@relay.example>",
		"<@sink.test:victim@other.example>",
		"<sink>",
		"<@sink.test>",
		"<@sink.test,sink@sink.test>",
	};
	char		 cmd[512];
	size_t		 i;

	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@relay.example>\r\n", 250);
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		if (i == 8) {	/* stay under the error limit */
			c_close(&c);
			greet(t, &c);
			expect(t, &c, "MAIL FROM:<a@relay.example>\r\n", 250);
		}
		snprintf(cmd, sizeof(cmd), "RCPT TO:%s\r\n", denied[i]);
		expect(t, &c, cmd, 550);
	}
	expect(t, &c, "DATA\r\n", 554);
	c_send(t, &c, "Subject: x\r\n\r\nx\r\n.\r\n");
	settle(t, &c, 50);
	assert_int_equal(t->ngot, 0);
	sink_stats(t->sink, &st);
	assert_int_equal(st.rcpt_denied, sizeof(denied) / sizeof(denied[0]));
	c_close(&c);
}

static void
test_accepted_forms(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	static const char *const ok[] = {
		"RCPT TO:<sink@sink.test>",
		"rcpt to:<SINK@Sink.Test>",
		"RCPT TO: <sink@sink.test.>",
		"RCPT TO:<sink@[127.0.0.1]>",
		"RCPT TO:<@relay.example,@other.example:sink@sink.test>",
		"RCPT TO:<@relay.example:sink@[127.0.0.1]> NOTIFY=NEVER",
		"RCPT TO:sink@sink.test",
	};
	char		 cmd[512];
	size_t		 i;

	t_start(t);
	greet(t, &c);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		expect(t, &c, "MAIL FROM:<>\r\n", 250);
		snprintf(cmd, sizeof(cmd), "%s\r\n", ok[i]);
		expect(t, &c, cmd, 250);
		expect(t, &c, "RSET\r\n", 250);
	}
	/* A source route is kept in what the owner sees. */
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c, "RCPT TO:<@relay.example,@x.example:sink@sink.test>\r\n",
	    250);
	expect(t, &c, "RCPT TO:<other@sink.test>\r\n", 550);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	expect(t, &c, "\r\n.\r\n", 250);
	assert_int_equal(t->ngot, 1);
	assert_string_equal(t->got[0].rcpt,
	    "@relay.example,@x.example:sink@sink.test");
	assert_string_equal(t->got[0].mail_from, "a@b");
	assert_string_equal(t->got[0].data, "\r\n");
	c_close(&c);
}

static void
test_null_sender_and_bounce(void **state)
{
	struct t	*t = *state;
	struct client	 c;

	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	expect(t, &c, "Subject: Undelivered Mail\r\n\r\nsorry\r\n.\r\n", 250);
	assert_int_equal(t->ngot, 1);
	assert_string_equal(t->got[0].mail_from, "");
	/* The null sender alone makes nothing a bounce (a relay open only
	 * to <> is still a relay); no cookie: the owner ignores it. */
	assert_int_equal(t->got[0].bounce, 0);
	assert_null(t->got[0].cookie);
	c_close(&c);
}

/* An owner that cannot keep a message (a locked database) makes the
 * sender try again: 451 after the ".", never a 250 for lost evidence. */
static void
test_owner_defers(void **state)
{
	struct t	*t = *state;
	struct client	 c;

	t_start(t);
	t->defer = 1;
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@relay.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	expect(t, &c, "Subject: x\r\n\r\nbody\r\n.\r\n", 451);
	assert_int_equal(t->ngot, 1);
	/* The session goes on: the next message is taken. */
	t->defer = 0;
	expect(t, &c, "MAIL FROM:<a@relay.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	expect(t, &c, "Subject: x\r\n\r\nbody\r\n.\r\n", 250);
	assert_int_equal(t->ngot, 2);
	c_close(&c);
}

static void
test_bare_lf_and_dots(void **state)
{
	struct t	*t = *state;
	struct client	 c;

	t_start(t);
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	expect(t, &c, "HELO relay.example\n", 250);
	expect(t, &c, "MAIL FROM:<a@b>\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\n", 250);
	expect(t, &c, "DATA\n", 354);
	/* Stuffed dots: "..x" is ".x", ".." is ".", ". " is " ". */
	c_send(t, &c, "Subject: dots\n\n..leading dot\r\n..\n. \nx.\n"
	    "...\n");
	settle(t, &c, 20);
	assert_int_equal(t->ngot, 0);	/* ".\n" not seen yet */
	expect(t, &c, ".\n", 250);
	assert_int_equal(t->ngot, 1);
	assert_string_equal(t->got[0].data,
	    "Subject: dots\n\n.leading dot\r\n.\n \nx.\n..\n");
	assert_string_equal(t->got[0].helo, "relay.example");
	c_close(&c);
}

static void
test_truncated(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		*big;
	size_t		 i, n = 20000;

	t->conf.max_message = 1000;
	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	big = malloc(n + 1);
	assert_non_null(big);
	/* Lines of 99 'x' + CRLF, and one 5000-byte line in the middle. */
	for (i = 0; i < n; i++)
		big[i] = i % 101 == 99 ? '\r' : i % 101 == 100 ? '\n' : 'x';
	big[n] = '\0';
	memcpy(big, "Subject: big\r\n\r\n", 16);
	c_send(t, &c, big);
	c_send(t, &c, "\r\n");
	memset(big, 'y', 5000);
	big[5000] = '\0';
	c_send(t, &c, big);
	c_send(t, &c, "\r\n.\r\n");
	expect(t, &c, NULL, 250);
	assert_int_equal(t->ngot, 1);
	assert_int_equal(t->got[0].truncated, 1);
	assert_int_equal(t->got[0].datalen, 1000);
	assert_int_equal(strncmp(t->got[0].data, "Subject: big\r\n\r\n", 16),
	    0);
	/* The session goes on. */
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	/* A long line is not a command: a "." after it is text. */
	big[4000] = '\0';
	c_send(t, &c, big);
	c_send(t, &c, ".\r\nsmall\r\n.\r\n");
	expect(t, &c, NULL, 250);
	assert_int_equal(t->ngot, 2);
	assert_int_equal(t->got[1].truncated, 1);
	c_close(&c);
	free(big);
}

static void
test_pipelined(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	static const int codes[] = { 250, 250, 250, 354, 250, 250, 250, 250,
	    354, 250, 221 };
	size_t		 i;

	t_start(t);
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	c_send(t, &c, "EHLO relay.example\r\nMAIL FROM:<a@b>\r\n"
	    "RCPT TO:<sink@sink.test>\r\nDATA\r\nSubject: one\r\n\r\n1\r\n"
	    ".\r\nRSET\r\nMAIL FROM:<c@d>\r\nRCPT TO:<sink@[127.0.0.1]>\r\n"
	    "DATA\r\nSubject: two\r\n\r\nQUIT\r\n.\r\nQUIT\r\n");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		expect(t, &c, NULL, codes[i]);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	assert_int_equal(t->ngot, 2);
	assert_string_equal(t->got[0].data, "Subject: one\r\n\r\n1\r\n");
	assert_string_equal(t->got[1].mail_from, "c@d");
	assert_string_equal(t->got[1].data, "Subject: two\r\n\r\nQUIT\r\n");
	c_close(&c);
}

static void
test_two_messages(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 msg[256];
	int		 i;

	t_start(t);
	greet(t, &c);
	for (i = 0; i < 2; i++) {
		expect(t, &c, i ? "MAIL FROM:<second@b>\r\n" :
		    "MAIL FROM:<first@b>\r\n", 250);
		expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
		expect(t, &c, "DATA\r\n", 354);
		snprintf(msg, sizeof(msg), "Subject: %d %s\r\n\r\nx\r\n.\r\n",
		    i, t->tok);
		expect(t, &c, msg, 250);
		assert_int_equal(t->ngot, i + 1);
	}
	assert_string_equal(t->got[0].mail_from, "first@b");
	assert_string_equal(t->got[1].mail_from, "second@b");
	assert_string_equal(t->got[1].cookie, t->tok);
	assert_string_not_equal(t->got[0].qid, t->got[1].qid);
	expect(t, &c, "QUIT\r\n", 221);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);
}

static void
test_command_errors(void **state)
{
	struct t	*t = *state;
	struct client	 c;

	t_start(t);
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 503);
	expect(t, &c, "EHLO\r\n", 501);
	expect(t, &c, "NOOP\r\n", 250);
	expect(t, &c, "HELO x\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 503);
	expect(t, &c, "DATA\r\n", 503);
	expect(t, &c, "MAIL TO:<a@b>\r\n", 501);
	expect(t, &c, "MAIL FROM:<a@b\r\n", 501);
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 503);
	expect(t, &c, "DATA\r\n", 554);		/* no recipient yet */
	expect(t, &c, "VRFY sink\r\n", 252);
	expect(t, &c, "HELP\r\n", 502);
	c_close(&c);

	/* Error 11 gets its reply, then 421 and the end. */
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	expect(t, &c, "EXPN x\r\n", 502);
	expect(t, &c, "FOO\r\n", 500);
	expect(t, &c, "BAR\r\n", 500);
	c_send(t, &c, "1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n");
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 500);
	c_send(t, &c, "BAZ\r\nNOOP\r\n");
	expect(t, &c, NULL, 500);
	expect(t, &c, NULL, 421);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);
}

static void
test_garbage(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 junk[512];
	uint32_t	 x = 7;
	size_t		 i;
	int		 code, n500 = 0;

	t_start(t);
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	/* Binary lines (NULs, 8-bit, control bytes): 500 each. */
	for (i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (char)(x >> 16);
		if (junk[i] == '\n')
			junk[i] = 0;
		if (i % 64 == 63)
			junk[i] = '\n';
	}
	c_sendn(t, &c, junk, 64 * 3);	/* three lines */
	for (i = 0; i < 3; i++) {
		code = c_reply(t, &c);
		assert_true(code == 500 || code == 502);
	}
	/* Still a working server. */
	expect(t, &c, "EHLO ok\r\n", 250);
	expect(t, &c, "MAIL FROM:<\x01\x02>\r\n", 501);
	expect(t, &c, "MAIL FROM:<\xc3\xa9@b>\r\n", 501);
	c_close(&c);

	/* A flood of junk: closed after the error limit, never stuck. */
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	c_sendn(t, &c, junk, sizeof(junk));
	c_sendn(t, &c, junk, sizeof(junk));
	while ((code = c_reply(t, &c)) == 500 || code == 502)
		n500++;
	assert_int_equal(code, 421);
	assert_int_equal(n500, 10 + 1);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);
}

static void
test_long_line(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 line[5003];
	struct sink_stats st;

	t_start(t);
	greet(t, &c);
	memset(line, 'A', 5000);
	memcpy(line + 5000, "\r\n", 3);
	c_send(t, &c, line);
	expect(t, &c, NULL, 500);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);

	/* The same without any line end: closed once 1000 bytes wait. */
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	c_sendn(t, &c, line, 1002);
	expect(t, &c, NULL, 500);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);

	/* 1000 bytes and CR LF is still a line. */
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	memcpy(line, "NOOP ", 5);
	memcpy(line + 1000, "\r\n", 3);
	c_send(t, &c, line);
	expect(t, &c, NULL, 250);
	c_close(&c);
	sink_stats(t->sink, &st);
	assert_int_equal(st.too_long, 2);
}

static void
test_idle_timeout(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	struct sink_stats st;

	t->conf.timeout = 3;
	t_start(t);
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	/* Half a command, then nothing: the per-command wait closes it
	 * (the counter says which rule did, not the clock). */
	c_send(t, &c, "EHL");
	expect(t, &c, NULL, 421);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);
	sink_stats(t->sink, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.expired, 0);

	/* Each command re-arms the wait: two pauses of 2 s outlive one
	 * wait of 3 s only because the NOOP between them re-armed it. */
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	settle(t, &c, 2000);
	expect(t, &c, "NOOP\r\n", 250);
	settle(t, &c, 2000);
	expect(t, &c, "NOOP\r\n", 250);
	expect(t, &c, NULL, 421);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	c_close(&c);
	sink_stats(t->sink, &st);
	assert_int_equal(st.timeouts, 2);
}

static void
test_max_sessions(void **state)
{
	struct t	*t = *state;
	struct client	 c1, c2, c3, c4;
	char		 text[512];
	struct sink_stats st;

	t->conf.max_sessions = 2;
	t_start(t);
	c_connect(t, &c1);
	expect(t, &c1, NULL, 220);
	c_connect(t, &c2);
	expect(t, &c2, NULL, 220);
	c_connect(t, &c3);
	assert_int_equal(c_reply_text(t, &c3, text, sizeof(text)), 421);
	assert_non_null(strstr(text, "mx.sink.test"));
	assert_true(c_wait_eof(t, &c3, WAIT_MS));
	c_close(&c3);
	sink_stats(t->sink, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.active, 2);
	/* The two still work; once one leaves, a new one gets in. */
	expect(t, &c1, "NOOP\r\n", 250);
	expect(t, &c2, "QUIT\r\n", 221);
	assert_true(c_wait_eof(t, &c2, WAIT_MS));
	c_close(&c2);
	await_active(t, 1);
	c_connect(t, &c4);
	expect(t, &c4, NULL, 220);
	c_close(&c4);
	c_close(&c1);
}

/*
 * One address at max_per_peer gets 421 for one more connection; another
 * address still gets in and delivers; a slot freed is taken again.
 */
static void
test_max_per_peer(void **state)
{
	struct t	*t = *state;
	struct client	 c1, c2, c3, r;
	char		 text[512];
	struct sink_stats st;

	t->conf.max_per_peer = 2;
	t_start(t);
	c_connect(t, &c1);
	expect(t, &c1, NULL, 220);
	c_connect(t, &c2);
	expect(t, &c2, NULL, 220);
	c_connect(t, &c3);
	assert_int_equal(c_reply_text(t, &c3, text, sizeof(text)), 421);
	assert_non_null(strstr(text, "421 4.7.0 mx.sink.test Too many "
	    "connections from your address"));
	assert_true(c_wait_eof(t, &c3, WAIT_MS));
	c_close(&c3);

	/* A relay from another address is not concerned. */
	c_connect_from(t, &r, "127.0.0.2");
	expect(t, &r, NULL, 220);
	expect(t, &r, "EHLO relay.example\r\n", 250);
	deliver(t, &r, "from another address");
	assert_int_equal(t->ngot, 1);
	assert_string_equal(t->got[0].peer, "127.0.0.2");
	sink_stats(t->sink, &st);
	assert_int_equal(st.refused_peer, 1);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.active, 3);

	/* The first address's sessions still work; one leaves, one comes. */
	expect(t, &c1, "NOOP\r\n", 250);
	expect(t, &c2, "QUIT\r\n", 221);
	assert_true(c_wait_eof(t, &c2, WAIT_MS));
	c_close(&c2);
	await_active(t, 2);
	c_connect(t, &c3);
	expect(t, &c3, NULL, 220);
	sink_stats(t->sink, &st);
	assert_int_equal(st.refused_peer, 1);
	assert_int_equal(st.connections, 4);
	c_close(&c3);
	c_close(&c1);
	c_close(&r);
}

/*
 * session_timeout ends a session however busy it is (a NOOP every 20 ms,
 * the per-command timeout far away).
 */
static void
test_session_timeout(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 text[512];
	struct sink_stats st;
	long		 end;
	int		 code, n = 0;

	t->conf.timeout = 60;
	t->conf.session_timeout = 1;
	t_start(t);
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	expect(t, &c, "EHLO relay.example\r\n", 250);
	end = now_ms() + WAIT_MS;
	for (;;) {
		settle(t, &c, 20);
		if (c.eof || c.inlen > c.pos) {	/* came unasked */
			code = c_reply_text(t, &c, text, sizeof(text));
			break;
		}
		if (now_ms() > end)
			fail_msg("session_timeout: still open after %d NOOPs",
			    n);
		c_send(t, &c, "NOOP\r\n");
		if ((code = c_reply_text(t, &c, text, sizeof(text))) != 250)
			break;
		n++;
	}
	if (code == 421)
		assert_non_null(strstr(text, "421 4.4.2 Session too long"));
	else if (code != 0)
		fail_msg("wanted 421 or EOF, got %d \"%s\"", code, text);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	assert_true(n > 0);
	c_close(&c);
	await_active(t, 0);
	sink_stats(t->sink, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.active, 0);

	/* An idle session too, long before its command timeout. */
	c_connect(t, &c);
	expect(t, &c, NULL, 220);
	expect_closed(t, &c, "421 4.4.2 Session too long");
	c_close(&c);
	await_active(t, 0);
	sink_stats(t->sink, &st);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.active, 0);
}

/*
 * At max_sessions, one address holding every slot: a relay from another
 * address gets in (the hostile address's session idle the longest is
 * closed) and delivers; the hostile address cannot take the relay's slot
 * back, nor is it refused more than its share.
 */
static void
test_max_sessions_evicts(void **state)
{
	struct t	*t = *state;
	struct client	 h[5], r, r3, r4;
	struct sink_stats st;
	char		 text[512];
	int		 i;

	t->conf.max_sessions = 4;
	t->conf.max_per_peer = 0;	/* default 16: above max_sessions */
	t_start(t);
	for (i = 0; i < 4; i++) {
		c_connect(t, &h[i]);
		expect(t, &h[i], NULL, 220);
	}
	/* h[0] is busy: h[1] is now the one idle the longest. */
	expect(t, &h[0], "NOOP\r\n", 250);

	c_connect_from(t, &r, "127.0.0.2");
	expect(t, &r, NULL, 220);
	expect_closed(t, &h[1], "421 4.7.0 mx.sink.test Too many connections "
	    "from your address");
	c_close(&h[1]);
	sink_stats(t->sink, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.active, 4);

	/* The hostile address (3 sessions) cannot take the relay's one. */
	c_connect(t, &h[4]);
	assert_int_equal(c_reply_text(t, &h[4], text, sizeof(text)), 421);
	assert_non_null(strstr(text, "Too many connections, try again"));
	assert_true(c_wait_eof(t, &h[4], WAIT_MS));
	c_close(&h[4]);

	expect(t, &r, "EHLO relay.example\r\n", 250);
	deliver(t, &r, "in through a full sink");
	assert_int_equal(t->ngot, 1);
	assert_string_equal(t->got[0].peer, "127.0.0.2");

	/* A third address: the hostile one's idle-longest goes (h[2]). */
	c_connect_from(t, &r3, "127.0.0.3");
	expect(t, &r3, NULL, 220);
	expect_closed(t, &h[2], "Too many connections from your address");
	c_close(&h[2]);
	expect(t, &h[0], "NOOP\r\n", 250);
	expect(t, &h[3], "NOOP\r\n", 250);
	expect(t, &r, "NOOP\r\n", 250);
	expect(t, &r3, "EHLO relay3.example\r\n", 250);

	/* 2 + 1 + 1: a fourth address takes h[0], idle the longest. */
	c_connect_from(t, &r4, "127.0.0.4");
	expect(t, &r4, NULL, 220);
	expect_closed(t, &h[0], "Too many connections from your address");
	c_close(&h[0]);
	/* 1 + 1 + 1 + 1: a fifth finds nobody holding 2 more. */
	c_connect_from(t, &h[4], "127.0.0.5");
	expect(t, &h[4], NULL, 421);
	assert_true(c_wait_eof(t, &h[4], WAIT_MS));
	c_close(&h[4]);
	expect(t, &h[3], "NOOP\r\n", 250);
	expect(t, &r, "NOOP\r\n", 250);
	expect(t, &r3, "NOOP\r\n", 250);
	expect(t, &r4, "NOOP\r\n", 250);
	sink_stats(t->sink, &st);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.refused_peer, 0);
	assert_int_equal(st.active, 4);
	c_close(&h[3]);
	c_close(&r);
	c_close(&r3);
	c_close(&r4);
}

/*
 * A client that pipelines without reading: the sink stops reading once
 * its output is full, and the timeout ends the session.
 */
static void
test_client_never_reads(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	struct sockaddr_in sin;
	struct sink_stats st;
	char		*noops, *p;
	size_t		 chunk = 6 * 10000, sent = 0, nok = 0;
	ssize_t		 n;
	long		 end;
	int		 rcvbuf = 4096;

	t->conf.timeout = 1;
	t_start(t);
	memset(&c, 0, sizeof(c));
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c.fd >= 0);
	assert_int_equal(setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(t->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c.fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	expect(t, &c, NULL, 220);
	noops = malloc(chunk);
	assert_non_null(noops);
	for (p = noops; p < noops + chunk; p += 6)
		memcpy(p, "NOOP\r\n", 6);
	/* Pipeline until the sink gives up on us (its own count says so),
	 * bounded. */
	end = now_ms() + WAIT_MS;
	for (;;) {
		sink_stats(t->sink, &st);
		if (st.timeouts > 0)
			break;
		if (now_ms() > end)
			fail_msg("the sink never timed the session out");
		n = send(c.fd, noops, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		pump(t, NULL);
	}
	free(noops);
	/* Now read: some replies, then the end (the 421 may be lost: the
	 * sink closes with the client's unread commands pending: RST). */
	while ((n = c_reply(t, &c)) == 250)
		nok++;
	assert_true(n == 421 || n == 0);
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	assert_true(nok < sent / 6);
	await_active(t, 0);
	sink_stats(t->sink, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.active, 0);
	c_close(&c);
}

static void
test_quit(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 text[256];

	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	c_send(t, &c, "QUIT\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 221);
	assert_string_equal(text, "221 2.0.0 Bye\r\n");
	assert_true(c_wait_eof(t, &c, WAIT_MS));
	assert_int_equal(c.inlen, c.pos);	/* nothing after */
	assert_int_equal(t->ngot, 0);
	c_close(&c);
}

static void
test_client_drops_mid_data(void **state)
{
	struct t	*t = *state;
	struct client	 c;

	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	c_send(t, &c, "Subject: half\r\n\r\nhal");
	settle(t, &c, 20);
	c_close(&c);
	await_active(t, 0);
	assert_int_equal(t->ngot, 0);
}

static void
test_free_with_connections(void **state)
{
	struct t	*t = *state;
	struct client	 c1, c2, c3;

	t_start(t);
	greet(t, &c1);
	greet(t, &c2);
	expect(t, &c2, "MAIL FROM:<a@b>\r\n", 250);
	expect(t, &c2, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c2, "DATA\r\n", 354);
	c_send(t, &c2, "Subject: x\r\n\r\nsome body\r\n");
	c_connect(t, &c3);	/* not even accepted yet */
	settle(t, &c2, 20);
	sink_free(t->sink);
	t->sink = NULL;
	/* Every client sees the end; no callback. */
	assert_true(c_wait_eof(t, &c1, WAIT_MS));
	assert_true(c_wait_eof(t, &c2, WAIT_MS));
	assert_int_equal(t->ngot, 0);
	c_close(&c1);
	c_close(&c2);
	c_close(&c3);
}

/* One message, one mailbox: the report and self-test mailboxes, the
 * test mailbox, and what the owner answers. */
static void
test_mailboxes(void **state)
{
	struct t	*t = *state;
	struct client	 c;
	char		 text[1024], big[700];

	/* Without them configured, they are strangers. */
	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@reporter.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<report@sink.test>\r\n", 550);
	expect(t, &c, "RCPT TO:<selftest@sink.test>\r\n", 550);
	c_close(&c);
	sink_free(t->sink);
	event_base_free(t->base);

	t->conf.report_local = "report";
	t->conf.selftest_local = "selftest";
	t_start(t);
	greet(t, &c);
	expect(t, &c, "MAIL FROM:<a@reporter.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<Report@sink.test>\r\n", 250);
	c_send(t, &c, "RCPT TO:<sink@sink.test>\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 452);
	assert_non_null(strstr(text, "452 4.5.3 Error: <sink@sink.test> "
	    "takes a message of its own"));
	expect(t, &c, "RCPT TO:<selftest@[127.0.0.1]>\r\n", 452);
	expect(t, &c, "RCPT TO:<report@[127.0.0.1]>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	expect(t, &c, "Subject: x\r\n\r\nbody\r\n.\r\n", 250);
	assert_int_equal(t->ngot, 1);
	assert_int_equal(t->got[0].box, SINK_BOX_REPORT);
	assert_string_equal(t->got[0].rcpt, "Report@sink.test");

	/* The owner's line, control bytes made '?'. */
	t->reply = "550 5.7.1 nothing taken: x\r\n250 ok\x7f";
	expect(t, &c, "MAIL FROM:<a@reporter.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<report@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	c_send(t, &c, "Subject: x\r\n\r\nbody\r\n.\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 550);
	assert_string_equal(text, "550 5.7.1 nothing taken: x??250 ok?\r\n");

	/* The self-test mailbox; the test mailbox refuses the others. */
	t->reply = "250 2.0.0 submission 7 for 127.0.0.1 queued: "
	    "/submission/7";
	expect(t, &c, "MAIL FROM:<postmaster@reporter.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<SELFTEST@sink.test.>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	c_send(t, &c, "Subject: test me\r\n\r\n.\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 250);
	assert_string_equal(text, "250 2.0.0 submission 7 for 127.0.0.1 "
	    "queued: /submission/7\r\n");
	assert_int_equal(t->got[2].box, SINK_BOX_SELFTEST);
	t->reply = NULL;
	expect(t, &c, "MAIL FROM:<probe@prober.test>\r\n", 250);
	expect(t, &c, "RCPT TO:<sink@sink.test>\r\n", 250);
	expect(t, &c, "RCPT TO:<report@sink.test>\r\n", 452);
	expect(t, &c, "DATA\r\n", 354);
	c_send(t, &c, "Subject: x\r\n\r\n.\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 250);
	assert_non_null(strstr(text, "Ok: queued as"));
	assert_int_equal(t->got[3].box, SINK_BOX_TEST);

	/* A reply longer than a line may be is cut. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "554 ", 4);
	t->reply = big;
	expect(t, &c, "MAIL FROM:<a@reporter.example>\r\n", 250);
	expect(t, &c, "RCPT TO:<report@sink.test>\r\n", 250);
	expect(t, &c, "DATA\r\n", 354);
	c_send(t, &c, "Subject: x\r\n\r\n.\r\n");
	assert_int_equal(c_reply_text(t, &c, text, sizeof(text)), 554);
	assert_int_equal(strlen(text), SINK_REPLY_MAX - 1);
	c_close(&c);
}

static void
test_bad_conf(void **state)
{
	struct t		*t = *state;
	struct sink_conf	 conf = t->conf;
	struct sink		*sk, *sk2;
	char			 err[256];

	t->base = event_base_new();
	assert_non_null(t->base);
	conf.domain = NULL;
	assert_null(sink_new(t->base, &conf, on_message, t, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "required"));
	conf = t->conf;
	conf.report_local = "SINK";
	assert_null(sink_new(t->base, &conf, on_message, t, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "must differ"));
	conf = t->conf;
	conf.host = "not an address";
	assert_null(sink_new(t->base, &conf, on_message, t, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "not an address"));
	/* The port is taken. */
	conf = t->conf;
	sk = sink_new(t->base, &conf, on_message, t, err, sizeof(err));
	assert_non_null(sk);
	conf.port = sink_port(sk);
	sk2 = sink_new(t->base, &conf, on_message, t, err, sizeof(err));
	assert_null(sk2);
	assert_non_null(strstr(err, "listen on 127.0.0.1"));
	sink_free(sk);
	sink_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_full_conversation),
		T(test_relay_denied),
		T(test_accepted_forms),
		T(test_null_sender_and_bounce),
		T(test_owner_defers),
		T(test_bare_lf_and_dots),
		T(test_truncated),
		T(test_pipelined),
		T(test_two_messages),
		T(test_command_errors),
		T(test_garbage),
		T(test_long_line),
		T(test_idle_timeout),
		T(test_max_sessions),
		T(test_max_per_peer),
		T(test_session_timeout),
		T(test_max_sessions_evicts),
		T(test_client_never_reads),
		T(test_quit),
		T(test_client_drops_mid_data),
		T(test_free_with_connections),
		T(test_mailboxes),
		T(test_bad_conf),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
