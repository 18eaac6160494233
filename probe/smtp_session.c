/*
 * smtp_session.c -- the SMTP client that runs the relay battery against
 * one server (see smtp_session.h): the state machine.  The test message
 * it sends is composed in smtp_msg.c; what its facts mean in the end is
 * the rule in session_verdict.c.
 *
 * One non-blocking socket per connection, read and written directly (no
 * bufferevent: at thousands of sessions its extra system calls -- an
 * epoll_ctl on and off around every write, an ioctl before every read --
 * were most of the prober's CPU), one explicit state machine.  Every
 * callback is thin: it turns a libevent event (bytes, EOF, error, a
 * deadline) into an input of the machine.  Whatever may finish the
 * session returns -1 and its caller returns at once: the session is freed
 * in one place, session_finish(), right after done was called.
 *
 * Nothing the server sends is trusted beyond its bounds: one read takes at
 * most SESSION_READ_HIGH bytes, a line without LF longer than
 * SMTP_LINE_MAX is an error before it is copied, every line goes through
 * the pure reply parser (bounded lines, lines per reply, text), and the
 * transcript is bounded.  Deadlines are our own timers, not bufferevent
 * timeouts, so a server sending one byte a second cannot stretch them.
 *
 * Memory: the per-test results are kept compact while the run lives (an
 * outcome and offsets into one string arena); the struct session_test
 * array of the result is built only for the done call.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "log.h"
#include "net.h"
#include "xmalloc.h"
#include "session_verdict.h"
#include "smtp_msg.h"
#include "smtp_reply.h"
#include "smtp_session.h"

/* Defaults for parameters left at 0. */
#define DEF_CONNECT_TIMEOUT	30
#define DEF_REPLY_TIMEOUT	60
#define DEF_TOTAL_TIMEOUT	600
#define DEF_MAX_REJECTS		5
#define DEF_MAX_CONNECTIONS	8
#define DEF_MAX_ACCEPTED	3

#define QUIT_WAIT		2	/* seconds we wait for "221" */
/* Bytes taken by one read; a partial line kept between reads is at most
 * SESSION_PART_MAX (a longer one without LF is an error). */
#define SESSION_READ_HIGH	4096
#define SESSION_PART_MAX	(SMTP_LINE_MAX + 1)
#define TR_TRUNCATED		"* transcript truncated\n"
#define TR_STEP			1024	/* the transcript grows by this */
#define STRS_STEP		512	/* the tests' strings grow by this */

#define SS_STATES(X)							\
	X(SS_CONNECT)	/* TCP connect in progress */			\
	X(SS_BANNER)	/* waiting for the greeting */			\
	X(SS_EHLO)							\
	X(SS_HELO)	/* EHLO was refused */				\
	X(SS_MAIL)							\
	X(SS_RCPT)							\
	X(SS_DATA)	/* waiting for 354 */				\
	X(SS_BODY)	/* message sent, waiting for the reply to "." */ \
	X(SS_RSET)							\
	X(SS_QUIT)							\
	X(SS_IDLE)	/* no connection */
#define SS_ENUM(s) s,
enum ss_state { SS_STATES(SS_ENUM) SS_NSTATES };
#undef SS_ENUM
#define SS_NAME(s) #s,
static const char *const ss_state_name[] = { SS_STATES(SS_NAME) };
#undef SS_NAME

#define TO_NAME(e, s) s,
static const char *const test_outcome_names[] = { TEST_OUTCOMES(TO_NAME) };
static const char *const conn_result_names[] = { CONN_RESULTS(TO_NAME) };
#undef TO_NAME

/* What to do once the QUIT exchange is over. */
enum after_quit {
	AFTER_FINISH,
	AFTER_RECONNECT
};

/* Why a connection was lost. */
enum loss {
	LOSS_CONNECT,	/* connect failed or timed out */
	LOSS_DROP,	/* closed by the server, socket error */
	LOSS_TIMEOUT	/* no reply in time */
};

/* Strings kept per test, as offsets into the session's arena. */
enum test_str {
	TS_MAIL_FROM,
	TS_RCPT_TO,
	TS_MAIL_REPLY,
	TS_RCPT_REPLY,
	TS_DATA_REPLY,
	TS_COOKIE,
	TS_COUNT
};

struct test_rec {
	int		 id;
	enum test_outcome outcome;
	uint32_t	 str[TS_COUNT];	/* 0: "" */
};

struct smtp_session {
	struct event_base	*base;
	int			 fd;		/* -1 between connections */
	struct event		*ev_rd;		/* fd readable (persistent) */
	struct event		*ev_wr;		/* connected, or room for out */
	char			*part;		/* a line's start, no LF yet */
	size_t			 partlen;
	char			*out;		/* what send() did not take */
	size_t			 outlen, outoff;
	int			 io_err;	/* a send failed: errno, for
						   the read side to report */
	struct event		*ev_state;	/* the current state's deadline */
	struct event		*ev_total;	/* the whole run's deadline */
	struct event		*ev_kick;	/* zero timeout: connect, finish */
	int			 kick_finish;	/* what ev_kick does */
	enum ss_state		 state;
	enum ss_state		 quit_pending;	/* in SS_QUIT: whose reply is
						   still due (SS_QUIT: none) */
	enum after_quit		 after_quit;
	int			 awaiting;	/* a reply is due */
	struct smtp_reply	 reply;		/* being read */

	/* Parameters, copied. */
	char			*target, *helo, *sink_domain, *sink_local;
	char			*from_local;
	uint8_t			*key;
	size_t			 keylen;
	uint16_t		 port;
	int64_t			 run_id, cookie_expires;
	int			 connect_timeout, reply_timeout;
	int			 total_timeout;
	int			 max_rejects, max_connections, max_accepted;
	void			(*trace)(char, const char *, void *);
	void			*trace_arg;
	struct sockaddr_storage	 sa;
	socklen_t		 salen;

	/* The battery. */
	struct test_rec		*recs;
	size_t			 ntests;
	size_t			 next;		/* next test to start */
	size_t			 cur;		/* the test in progress */
	int			 in_test;
	char			 cookie[COOKIE_MAX];	/* the current test's */
	char			*strs;		/* "\0" then NUL-ended strings */
	size_t			 strslen, strscap;

	/* What happened: the facts the verdict rests on (also the
	 * machine's own state: f.stopping, smtp_session_stop or the run's
	 * deadline, means only QUIT now; f.battery_done, no test is left to
	 * start). */
	struct session_facts	 f;
	int			 nconn;		/* connection attempts */
	/* How they ended (CONN_CUT is worked out at the end). */
	size_t			 conns[CONN_RESULT_COUNT];
	int			 rejects_conn;	/* on this connection */
	int			 finishing;
	char			 banner[SESSION_REPLY_MAX];
	char			 target_domain[256];

	char			*tr;		/* the transcript */
	size_t			 trlen, trcap;
	int			 trtrunc;

	void			(*done)(struct smtp_session *,
				    const struct session_result *, void *);
	void			*done_arg;
};

static void	session_read_cb(evutil_socket_t, short, void *);
static void	session_write_cb(evutil_socket_t, short, void *);
static void	session_event(struct smtp_session *, int eof, int err);
static void	session_state_timeout_cb(evutil_socket_t, short, void *);
static void	session_total_timeout_cb(evutil_socket_t, short, void *);
static void	session_kick_cb(evutil_socket_t, short, void *);

static int	session_connect(struct smtp_session *);
static int	session_enter(struct smtp_session *, enum ss_state);
static int	session_on_reply(struct smtp_session *,
		    const struct smtp_reply *);
static int	session_next_test(struct smtp_session *);
static int	session_lost(struct smtp_session *, enum loss, const char *);
static int	session_protocol_error(struct smtp_session *, const char *);
static void	session_quit(struct smtp_session *, enum after_quit);
static int	session_quit_done(struct smtp_session *);
static int	session_finish(struct smtp_session *);
static void	session_finish_later(struct smtp_session *);
static void	session_note(struct smtp_session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

const char *
conn_result_name(enum conn_result r)
{
	if ((unsigned)r >= CONN_RESULT_COUNT)
		return "?";
	return conn_result_names[r];
}

const char *
test_outcome_name(enum test_outcome o)
{
	if ((unsigned)o >= TO_COUNT)
		return "error";
	return test_outcome_names[o];
}

/*
 * The transcript.
 */

/*
 * Append raw bytes (already sanitized) to the transcript, growing it by
 * TR_STEP at a time, not doubling: a battery's transcript is some 6 KB,
 * and thousands of sessions at once should not each hold up to half of
 * that again unused.
 */
static void
tr_append(struct smtp_session *s, const char *p, size_t n)
{
	size_t	 need, cap;

	need = s->trlen + n + 1;
	if (need > s->trcap) {
		cap = (need + TR_STEP - 1) / TR_STEP * TR_STEP;
		if (cap > SESSION_TRANSCRIPT_MAX + 1)
			cap = SESSION_TRANSCRIPT_MAX + 1;
		s->tr = xreallocarray(s->tr, 1, cap);
		s->trcap = cap;
	}
	memcpy(s->tr + s->trlen, p, n);
	s->trlen += n;
	s->tr[s->trlen] = '\0';
}

/*
 * One transcript line: dir ('>' sent, '<' received, '*' note) and text
 * (len bytes, any content).  Control bytes and non-ASCII become '?'; a
 * line is cut at SMTP_LINE_MAX bytes.  Also handed to the trace callback,
 * which may call smtp_session_stop(): callers log last.
 */
static void
session_log(struct smtp_session *s, char dir, const char *text, size_t len)
{
	char	 buf[SMTP_LINE_MAX + 8];
	size_t	 i, n;

	buf[0] = dir;
	buf[1] = ' ';
	n = len < SMTP_LINE_MAX ? len : SMTP_LINE_MAX;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[2 + i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	n += 2;
	if (len > SMTP_LINE_MAX) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '\n';
	buf[n] = '\0';

	if (!s->trtrunc) {
		if (s->trlen + n + sizeof(TR_TRUNCATED) - 1 >
		    SESSION_TRANSCRIPT_MAX) {
			tr_append(s, TR_TRUNCATED, sizeof(TR_TRUNCATED) - 1);
			s->trtrunc = 1;
		} else
			tr_append(s, buf, n);
	}
	if (s->trace != NULL) {
		buf[n - 1] = '\0';
		s->trace(dir, buf + 2, s->trace_arg);
	}
}

static void
session_note(struct smtp_session *s, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	session_log(s, '*', buf, strlen(buf));
}

static void
why_set(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* A reply as evidence: "550 5.7.1 text", lines joined by a space. */
static void
reply_format(const struct smtp_reply *r, char *buf, size_t len)
{
	char	*p;

	snprintf(buf, len, "%d%s%s", r->code, r->textlen ? " " : "",
	    r->text);
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
}

/*
 * The per-test records.
 */

static void
rec_set(struct smtp_session *s, size_t i, enum test_str which,
    const char *str)
{
	size_t	 n = strlen(str) + 1;

	if (n > SESSION_REPLY_MAX)
		n = SESSION_REPLY_MAX;	/* every field holds that much */
	if (s->strslen + n > s->strscap) {
		s->strscap = (s->strslen + n + STRS_STEP - 1) / STRS_STEP *
		    STRS_STEP;
		s->strs = xreallocarray(s->strs, 1, s->strscap);
	}
	memcpy(s->strs + s->strslen, str, n - 1);
	s->strs[s->strslen + n - 1] = '\0';
	s->recs[i].str[which] = (uint32_t)s->strslen;
	s->strslen += n;
}

static const char *
rec_get(const struct smtp_session *s, size_t i, enum test_str which)
{
	return s->strs + s->recs[i].str[which];
}

static void
rec_reply(struct smtp_session *s, enum test_str which,
    const struct smtp_reply *r)
{
	char	 buf[SESSION_REPLY_MAX];

	reply_format(r, buf, sizeof(buf));
	rec_set(s, s->cur, which, buf);
}

/*
 * The states of a test's commands: where the reply is kept and what a
 * refusal of the command makes of the test.  0 for any other state.
 */
static int
test_step(enum ss_state st, enum test_str *slot, enum test_outcome *refused)
{
	switch (st) {
	case SS_MAIL:
		*slot = TS_MAIL_REPLY;
		*refused = TO_MAIL_REJECTED;
		return 1;
	case SS_RCPT:
		*slot = TS_RCPT_REPLY;
		*refused = TO_RCPT_REJECTED;
		return 1;
	case SS_DATA:
	case SS_BODY:
		*slot = TS_DATA_REPLY;
		*refused = TO_DATA_REJECTED;
		return 1;
	default:
		return 0;
	}
}

/* How a reply that did not let a test go on ends it: 4xx, try later. */
static enum test_outcome
refusal(const struct smtp_reply *r, enum test_outcome refused)
{
	return r->code / 100 == 4 ? TO_TEMPFAIL : refused;
}

/*
 * Sending.
 */

/*
 * Write to the server: straight to the socket (almost always all of it:
 * one command, or one message of a few KB); what it does not take waits
 * in out for EV_WRITE.  A failure is not handled here, in the middle of
 * the machine: it is kept for the read side, which is woken to report it
 * (the socket is lost anyway, and the read sees EOF or the error too).
 */
static void
session_write(struct smtp_session *s, const void *buf, size_t len)
{
	ssize_t	 n = 0;

	if (s->fd == -1 || s->io_err)
		return;
	if (s->outlen == s->outoff) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				s->io_err = errno;
				event_active(s->ev_rd, EV_READ, 0);
				return;
			}
			n = 0;
		}
		if ((size_t)n == len)
			return;
	}
	/* Compact, then append the rest (bounded by what we send: a few
	 * commands and one message at most). */
	if (s->outoff > 0) {
		memmove(s->out, s->out + s->outoff, s->outlen - s->outoff);
		s->outlen -= s->outoff;
		s->outoff = 0;
	}
	s->out = xreallocarray(s->out, 1, s->outlen + len - (size_t)n);
	memcpy(s->out + s->outlen, (const char *)buf + n, len - (size_t)n);
	s->outlen += len - (size_t)n;
	event_add(s->ev_wr, NULL);
}

/* Send one command line (CRLF added) and log it. */
static void
session_send(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
session_send(struct smtp_session *s, const char *fmt, ...)
{
	char	 line[SMTP_LINE_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		fatalx("%s: command too long", __func__);
	memcpy(line + n, "\r\n", 3);
	session_write(s, line, (size_t)n + 2);
	/* Last: the trace callback may stop the session. */
	session_log(s, '>', line, (size_t)n);
}

/*
 * The test message after 354 (smtp_msg.c: headers, body, the cookie in
 * the Subject, the Message-ID and the body, never in the envelope).
 */
static void
session_send_message(struct smtp_session *s)
{
	const struct relay_test	*rt = relay_test_by_id(s->recs[s->cur].id);
	struct smtp_msg		 m;
	char			 wire[SMTP_MSG_MAX], note[64];
	int			 n;

	memset(&m, 0, sizeof(m));
	m.from_local = s->from_local;
	m.helo = s->helo;
	m.rcpt_to = rec_get(s, s->cur, TS_RCPT_TO);
	m.test_id = rt->id;
	m.test_name = rt->name;
	m.cookie = s->cookie;
	m.target = s->target;
	m.port = s->port;
	m.date = time(NULL);
	if ((n = smtp_msg_make(&m, wire, sizeof(wire))) == -1)
		fatalx("%s: message too long", __func__);
	session_write(s, wire, (size_t)n);
	rec_set(s, s->cur, TS_COOKIE, s->cookie);
	/* Not the message itself: the transcript says what was sent.  Not
	 * the cookie either: the transcript is published (TS_COOKIE is not). */
	n = snprintf(note, sizeof(note), "[message for test %d]", rt->id);
	session_log(s, '>', note, (size_t)n);
}

/*
 * The machine.
 */

static int
state_timeout(const struct smtp_session *s, enum ss_state st)
{
	switch (st) {
	case SS_CONNECT:
		return s->connect_timeout;
	case SS_QUIT:
		return s->reply_timeout < QUIT_WAIT ? s->reply_timeout :
		    QUIT_WAIT;
	default:
		return s->reply_timeout;
	}
}

static void
session_arm(struct smtp_session *s, int seconds)
{
	struct timeval	 tv = { seconds, 0 };

	evtimer_add(s->ev_state, &tv);
}

/*
 * Enter state st: arm its deadline, send its command.  The deadline is
 * armed and the state set before sending, since sending logs and the
 * trace callback may stop the session.  Returns 0 (-1 is reserved for a
 * state whose command could finish the session; none does today).
 */
static int
session_enter(struct smtp_session *s, enum ss_state st)
{
	s->state = st;
	s->awaiting = 1;
	session_arm(s, state_timeout(s, st));

	switch (st) {
	case SS_BANNER:
		break;
	case SS_EHLO:
		session_send(s, "EHLO %s", s->helo);
		break;
	case SS_HELO:
		session_send(s, "HELO %s", s->helo);
		break;
	case SS_MAIL:
		session_send(s, "MAIL FROM:%s",
		    rec_get(s, s->cur, TS_MAIL_FROM));
		break;
	case SS_RCPT:
		session_send(s, "RCPT TO:%s",
		    rec_get(s, s->cur, TS_RCPT_TO));
		break;
	case SS_DATA:
		session_send(s, "DATA");
		break;
	case SS_BODY:
		session_send_message(s);
		break;
	case SS_RSET:
		session_send(s, "RSET");
		break;
	case SS_QUIT:
		session_send(s, "QUIT");
		break;
	default:
		fatalx("%s: cannot enter %s", __func__, ss_state_name[st]);
	}
	return 0;
}

/* Close the connection (if any) and disarm the state's deadline. */
static void
session_close(struct smtp_session *s)
{
	if (s->fd != -1) {
		event_free(s->ev_rd);
		event_free(s->ev_wr);
		s->ev_rd = s->ev_wr = NULL;
		close(s->fd);
		s->fd = -1;
	}
	free(s->part);
	free(s->out);
	s->part = s->out = NULL;
	s->partlen = s->outlen = s->outoff = 0;
	s->io_err = 0;
	evtimer_del(s->ev_state);
	s->state = SS_IDLE;
}

/* Start a connection attempt.  Returns 0, or -1 if finished. */
static int
session_connect(struct smtp_session *s)
{
	char	 err[160];
	int	 fd;

	s->nconn++;
	s->rejects_conn = 0;
	s->state = SS_CONNECT;
	s->awaiting = 0;
	smtp_reply_init(&s->reply);
	session_arm(s, state_timeout(s, SS_CONNECT));
	/* A connect that ends at once (refused on loopback) ends here; one
	 * in progress, or done, is seen writable in session_write_cb. */
	if ((fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 || (connect(fd, (struct sockaddr *)&s->sa,
	    s->salen) == -1 && errno != EINPROGRESS)) {
		snprintf(err, sizeof(err), "connect: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		s->conns[CONN_FAILED]++;
		return session_lost(s, LOSS_CONNECT, err);
	}
	s->fd = fd;
	if ((s->ev_rd = event_new(s->base, fd, EV_READ | EV_PERSIST,
	    session_read_cb, s)) == NULL ||
	    (s->ev_wr = event_new(s->base, fd, EV_WRITE | EV_PERSIST,
	    session_write_cb, s)) == NULL)
		fatalx("%s: event_new", __func__);
	event_add(s->ev_wr, NULL);
	session_note(s, "connection %d to %s port %u", s->nconn, s->target,
	    s->port);
	return 0;
}

/*
 * The connection is gone (or never came): the test in progress ends in
 * TO_ERROR.  Reconnect when the server ever worked, tests are left and
 * connections remain; otherwise finish.  Returns 0, or -1 if finished.
 */
static int
session_lost(struct smtp_session *s, enum loss kind, const char *why)
{
	const char	*st = ss_state_name[s->state] + 3;

	session_close(s);
	if (s->in_test) {
		s->recs[s->cur].outcome = TO_ERROR;
		s->in_test = 0;
	}
	s->f.timed_out = kind == LOSS_TIMEOUT;
	if (kind == LOSS_TIMEOUT)
		why_set(s->f.why_timeout, sizeof(s->f.why_timeout), "%s", why);
	else if (s->f.nbanners == 0)
		why_set(s->f.why_unreach, sizeof(s->f.why_unreach), "%s", why);
	if (kind == LOSS_TIMEOUT)
		session_note(s, "%s", why);	/* names the state */
	else
		session_note(s, "%s (in %s)", why, st);
	if (s->f.nbanners == 0 || s->f.refused || s->f.stopping)
		return session_finish(s);
	if (s->next >= s->ntests) {
		s->f.battery_done = 1;
		return session_finish(s);
	}
	if (s->nconn >= s->max_connections) {
		session_note(s, "no connection left (%d made): %zu tests not "
		    "run", s->nconn, s->ntests - s->next);
		return session_finish(s);
	}
	return session_connect(s);
}

static int
session_protocol_error(struct smtp_session *s, const char *why)
{
	if (s->state == SS_QUIT) {
		session_note(s, "after QUIT: %s", why);
		return session_quit_done(s);
	}
	if (s->in_test) {
		s->recs[s->cur].outcome = TO_ERROR;
		s->in_test = 0;
	}
	s->f.proto = 1;
	why_set(s->f.why_proto, sizeof(s->f.why_proto), "%s (in %s)", why,
	    ss_state_name[s->state] + 3);
	session_close(s);
	session_note(s, "protocol error: %s", why);
	return session_finish(s);
}

/*
 * Send QUIT; then (after its reply, EOF or QUIT_WAIT seconds) finish or
 * reconnect.  If the reply to the previous command is still due (the
 * owner stopped us, or the run's deadline passed), QUIT goes right after
 * it and that reply is recorded when it comes.  Never finishes the
 * session itself.
 */
static void
session_quit(struct smtp_session *s, enum after_quit then)
{
	if (s->state == SS_QUIT) {
		if (then == AFTER_FINISH)
			s->after_quit = AFTER_FINISH;
		return;
	}
	s->after_quit = then;
	s->quit_pending = s->awaiting ? s->state : SS_QUIT;
	session_enter(s, SS_QUIT);
}

/* The QUIT exchange is over (reply, EOF, error or deadline). */
static int
session_quit_done(struct smtp_session *s)
{
	session_close(s);
	if (s->after_quit == AFTER_RECONNECT && !s->f.stopping)
		return session_connect(s);
	return session_finish(s);
}

/*
 * A test got its last reply (o is not TO_NOT_RUN): record it and go on
 * with RSET, a new connection, or QUIT.  Returns 0, or -1 if finished.
 */
static int
session_test_done(struct smtp_session *s, enum test_outcome o,
    const struct smtp_reply *r)
{
	struct test_rec	*t = &s->recs[s->cur];

	t->outcome = o;
	s->in_test = 0;
	if (o == TO_TEMPFAIL) {
		if (!s->f.tempfail)
			reply_format(r, s->f.why_tempfail,
			    sizeof(s->f.why_tempfail));
		s->f.tempfail = 1;
	}
	if (o == TO_ACCEPTED) {
		s->f.naccepted++;
		session_note(s, "test %d accepted", t->id);
		if (s->f.naccepted >= (size_t)s->max_accepted) {
			session_note(s, "%zu messages accepted: enough",
			    s->f.naccepted);
			s->f.battery_done = 1;
			session_quit(s, AFTER_FINISH);
			return 0;
		}
	} else {
		s->f.nrejected++;
		s->rejects_conn++;
	}
	if (s->f.stopping) {
		session_quit(s, AFTER_FINISH);
		return 0;
	}
	if (s->next >= s->ntests) {
		s->f.battery_done = 1;
		session_quit(s, AFTER_FINISH);
		return 0;
	}
	if (s->rejects_conn >= s->max_rejects) {
		if (s->nconn >= s->max_connections) {
			session_note(s, "%d tests rejected on this connection "
			    "and no connection left: %zu tests not run",
			    s->rejects_conn, s->ntests - s->next);
			session_quit(s, AFTER_FINISH);
		} else {
			session_note(s, "%d tests rejected on this connection: "
			    "reconnecting", s->rejects_conn);
			session_quit(s, AFTER_RECONNECT);
		}
		return 0;
	}
	return session_enter(s, SS_RSET);
}

/* Start the next test of the battery, or QUIT when none is left. */
static int
session_next_test(struct smtp_session *s)
{
	const struct relay_test	*rt;
	struct relay_params	 rp;
	struct cookie		 c;
	char			 from[sizeof(((struct session_test *)0)->mail_from)];
	char			 rcpt[sizeof(((struct session_test *)0)->rcpt_to)];
	size_t			 i;

	memset(&rp, 0, sizeof(rp));
	rp.sink_domain = s->sink_domain;
	rp.sink_local = s->sink_local;
	rp.target_domain = s->target_domain[0] ? s->target_domain : NULL;
	rp.target_ip = s->target;
	rp.from_local = s->from_local;
	rp.prober_domain = s->helo;

	while (s->next < s->ntests) {
		i = s->next++;
		rt = relay_test_by_id(s->recs[i].id);
		c.run = s->run_id;
		c.test = rt->id;
		c.expires = s->cookie_expires;
		if (relay_test_expand(rt, &rp, from, sizeof(from), rcpt,
		    sizeof(rcpt)) == -1 || cookie_make(s->key, s->keylen, &c,
		    s->target, s->cookie, sizeof(s->cookie)) == -1) {
			s->recs[i].outcome = TO_ERROR;
			session_note(s, "test %d: cannot expand its addresses",
			    rt->id);
			continue;
		}
		s->cur = i;
		rec_set(s, i, TS_MAIL_FROM, from);
		rec_set(s, i, TS_RCPT_TO, rcpt);
		session_note(s, "test %d: %s", rt->id, rt->name);
		if (s->f.stopping)
			return 0;	/* the trace stopped us: not run */
		s->in_test = 1;
		return session_enter(s, SS_MAIL);
	}
	s->f.battery_done = 1;
	session_quit(s, AFTER_FINISH);
	return 0;
}

/* T: the first word of the greeting, if it is a domain name. */
static void
banner_domain(struct smtp_session *s, const struct smtp_reply *r)
{
	char	 word[256];
	size_t	 n;

	if (s->target_domain[0] != '\0')
		return;
	n = strcspn(r->text, " \n");
	if (n == 0 || n >= sizeof(word))
		return;
	memcpy(word, r->text, n);
	word[n] = '\0';
	if (relay_domain_valid(word))
		orbl_strlcpy(s->target_domain, word,
		    sizeof(s->target_domain));
}

/*
 * In SS_QUIT, the reply to the command before QUIT came: record what it
 * says about the test in progress.  Returns 1 if the exchange is over
 * (354: the server now reads our QUIT as message text).
 */
static int
session_quit_pending(struct smtp_session *s, const struct smtp_reply *r)
{
	struct test_rec		*t = &s->recs[s->cur];
	enum ss_state		 st = s->quit_pending;
	enum test_str		 slot;
	enum test_outcome	 refused;
	int			 c = r->code / 100;

	s->quit_pending = SS_QUIT;
	if (!s->in_test || !test_step(st, &slot, &refused))
		return 0;
	rec_reply(s, slot, r);
	if (st == SS_DATA && r->code == 354)
		return 1;
	if (st == SS_BODY && c == 2) {
		t->outcome = TO_ACCEPTED;
		s->f.naccepted++;
	} else if (c != 2 || st == SS_DATA)
		t->outcome = refusal(r, refused);
	if (t->outcome == TO_TEMPFAIL)
		s->f.tempfail = 1;
	s->in_test = 0;
	return 0;
}

/*
 * The greeting, EHLO/HELO or a 421 turned us away: refused (5xx, the
 * evidence after what), or try later (4xx).  QUIT, and the run ends.
 */
static void
session_turned_away(struct smtp_session *s, const struct smtp_reply *r,
    const char *what)
{
	size_t	 n;

	if (r->code / 100 == 5) {
		s->f.refused = 1;
		n = (size_t)snprintf(s->f.why_refused,
		    sizeof(s->f.why_refused), "%s", what);
		reply_format(r, s->f.why_refused + n,
		    sizeof(s->f.why_refused) - n);
	} else {
		s->f.tempfail = 1;
		reply_format(r, s->f.why_tempfail, sizeof(s->f.why_tempfail));
	}
	session_quit(s, AFTER_FINISH);
}

/*
 * 421 outside the greeting: the server is closing the connection (RFC
 * 5321 3.8), e.g. Exim after a few rejected addresses.  Not a verdict on
 * the test in progress: it ends in TO_ERROR and the battery goes on over
 * a new connection.  Refused at EHLO/HELO, no test can run: tempfail.
 */
static int
session_on_421(struct smtp_session *s, const struct smtp_reply *r)
{
	char			 why[SESSION_REPLY_MAX + 32];
	enum test_str		 slot;
	enum test_outcome	 refused;

	if (s->state == SS_EHLO || s->state == SS_HELO) {
		session_turned_away(s, r, "");
		return 0;
	}
	if (test_step(s->state, &slot, &refused))
		rec_reply(s, slot, r);
	snprintf(why, sizeof(why), "server closing: ");
	reply_format(r, why + strlen(why), sizeof(why) - strlen(why));
	return session_lost(s, LOSS_DROP, why);
}

/*
 * The reply to a command of the test in progress: the next command, or
 * the end of the test.  Returns 0, or -1 if finished.
 */
static int
session_test_reply(struct smtp_session *s, const struct smtp_reply *r)
{
	enum test_str		 slot;
	enum test_outcome	 refused;

	if (!test_step(s->state, &slot, &refused))
		fatalx("%s: state %s", __func__, ss_state_name[s->state]);
	if (s->state == SS_DATA && r->code == 354)
		return session_enter(s, SS_BODY);
	rec_reply(s, slot, r);
	if (r->code / 100 == 2) {
		switch (s->state) {
		case SS_MAIL:
			return session_enter(s, SS_RCPT);
		case SS_RCPT:
			/* A 250 proves nothing: only mail that reaches the
			 * sink. */
			return session_enter(s, SS_DATA);
		case SS_BODY:
			return session_test_done(s, TO_ACCEPTED, r);
		default:
			break;	/* DATA wants 354: other codes refuse */
		}
	}
	return session_test_done(s, refusal(r, refused), r);
}

/* A complete reply in the current state.  Returns 0, or -1 if finished. */
static int
session_on_reply(struct smtp_session *s, const struct smtp_reply *r)
{
	int	 c = r->code / 100;

	if (r->code == 421 && s->state != SS_BANNER && s->state != SS_QUIT)
		return session_on_421(s, r);
	switch (s->state) {
	case SS_BANNER:
		s->f.nbanners++;
		if (s->banner[0] == '\0' || c != 2)
			reply_format(r, s->banner, sizeof(s->banner));
		if (c == 2) {
			banner_domain(s, r);
			return session_enter(s, SS_EHLO);
		}
		session_turned_away(s, r, "");
		return 0;
	case SS_EHLO:
		if (c == 2)
			return session_next_test(s);
		return session_enter(s, SS_HELO);
	case SS_HELO:
		if (c == 2)
			return session_next_test(s);
		session_turned_away(s, r, "HELO refused: ");
		return 0;
	case SS_MAIL:
	case SS_RCPT:
	case SS_DATA:
	case SS_BODY:
		return session_test_reply(s, r);
	case SS_RSET:
		/* Whatever it says: a confused server fails the next MAIL. */
		if (s->f.stopping) {
			session_quit(s, AFTER_FINISH);
			return 0;
		}
		return session_next_test(s);
	case SS_QUIT:
		if (s->quit_pending != SS_QUIT &&
		    session_quit_pending(s, r) == 0)
			return 0;
		return session_quit_done(s);
	default:
		fatalx("%s: reply in state %s", __func__,
		    ss_state_name[s->state]);
	}
}

/*
 * The callbacks: events in, machine inputs out.
 */

/*
 * One line of a reply, without its line end: into the transcript and the
 * parser, and a whole reply into the machine.  Returns 0 to go on with
 * the next line, 1 when the connection changed (the trace stopped us, a
 * reply moved the machine to a new connection or ended it: what is left
 * of the old one's bytes is dropped), -1 if finished (s is gone).
 */
static int
session_line(struct smtp_session *s, const char *line, size_t len)
{
	enum smtp_reply_status	 rc;
	int			 fd = s->fd, conn = s->nconn;

	session_log(s, '<', line, len);
	if (s->fd != fd)
		return 1;		/* the trace stopped us */
	rc = smtp_reply_feed(&s->reply, line, len);
	if (rc == SMTP_REPLY_ERROR)
		return session_protocol_error(s, s->reply.err) == -1 ? -1 : 1;
	if (rc == SMTP_REPLY_DONE) {
		s->awaiting = 0;
		if (session_on_reply(s, &s->reply) == -1)
			return -1;
		smtp_reply_init(&s->reply);
		if (s->fd != fd || s->nconn != conn)
			return 1;
	}
	return 0;
}

/*
 * Readable: one read of at most SESSION_READ_HIGH bytes after the start
 * of a line kept from the last one, split into lines (LF, or CRLF).
 * Only a partial line is kept, on the heap and only while it lasts: a
 * session waiting for a reply holds no input buffer.
 */
static void
session_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;
	char			 buf[SESSION_PART_MAX + SESSION_READ_HIGH];
	char			*p, *end, *nl;
	size_t			 have, len;
	ssize_t			 n;
	int			 eof = 0, err = 0;

	(void)ev;
	have = s->partlen;
	if (have > 0)
		memcpy(buf, s->part, have);
	if ((n = recv(fd, buf + have, SESSION_READ_HIGH, 0)) == 0)
		eof = 1;
	else if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			err = errno;
		else if (!s->io_err)
			return;
		n = 0;
	}
	have += (size_t)n;
	p = buf;
	end = buf + have;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		/* The guard before the copy: never more than one line. */
		if (len > SMTP_LINE_MAX) {
			session_protocol_error(s, "reply line too long");
			return;
		}
		if (session_line(s, p, len) != 0)
			return;
		p = nl + 1;
	}
	have = (size_t)(end - p);
	if (have > SESSION_PART_MAX) {
		session_protocol_error(s, "reply line too long");
		return;
	}
	if (have > 0) {
		s->part = xreallocarray(s->part, 1, have);
		memcpy(s->part, p, have);
	} else {
		free(s->part);
		s->part = NULL;
	}
	s->partlen = have;
	if (!eof && err == 0)
		err = s->io_err;	/* a send failed: the socket is lost */
	if (eof || err != 0)
		session_event(s, eof, err);
}

/* Writable: connected (or not: SO_ERROR), or room for what waits. */
static void
session_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;
	socklen_t		 len;
	ssize_t			 n;
	int			 e = 0;

	(void)ev;
	if (s->state == SS_CONNECT) {
		len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		if (e == EINPROGRESS)
			return;
		event_del(s->ev_wr);
		if (e != 0) {
			session_event(s, 0, e);
			return;
		}
		event_add(s->ev_rd, NULL);
		s->conns[CONN_CONNECTED]++;
		session_enter(s, SS_BANNER);
		session_note(s, "connected");
		return;
	}
	if (s->outoff < s->outlen) {
		n = send(fd, s->out + s->outoff, s->outlen - s->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			s->io_err = errno;
			event_active(s->ev_rd, EV_READ, 0);
			n = 0;
			s->outoff = s->outlen;
		}
		s->outoff += (size_t)n;
	}
	if (s->outoff >= s->outlen) {
		free(s->out);
		s->out = NULL;
		s->outlen = s->outoff = 0;
		event_del(s->ev_wr);
	}
}

/* The connection failed, ended (eof) or broke (err, an errno). */
static void
session_event(struct smtp_session *s, int eof, int err)
{
	char	 why[160];

	if (!eof && err != 0)
		snprintf(why, sizeof(why), "%s: %s",
		    s->state == SS_CONNECT ? "connect" : "connection lost",
		    strerror(err));
	else
		snprintf(why, sizeof(why), "connection closed by the server");

	switch (s->state) {
	case SS_CONNECT:
		s->conns[CONN_FAILED]++;
		session_lost(s, LOSS_CONNECT, why);
		return;
	case SS_QUIT:
		session_quit_done(s);
		return;
	default:
		if (s->reply.nlines > 0 && !s->reply.done) {
			session_protocol_error(s,
			    "connection closed in the middle of a reply");
			return;
		}
		session_lost(s, LOSS_DROP, why);
		return;
	}
}

static void
session_state_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;
	char			 why[160];

	(void)fd;
	(void)ev;
	switch (s->state) {
	case SS_QUIT:
		session_note(s, "no reply to QUIT");
		session_quit_done(s);
		return;
	case SS_CONNECT:
		snprintf(why, sizeof(why), "connect: no answer in %d s",
		    s->connect_timeout);
		s->conns[CONN_TIMEOUT]++;
		session_lost(s, LOSS_CONNECT, why);
		return;
	default:
		snprintf(why, sizeof(why), "timeout in %s: no reply in %d s",
		    ss_state_name[s->state] + 3, s->reply_timeout);
		session_lost(s, LOSS_TIMEOUT, why);
		return;
	}
}

static void
session_total_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;

	(void)fd;
	(void)ev;
	if (!s->f.battery_done) {
		s->f.timed_out = 1;
		why_set(s->f.why_timeout, sizeof(s->f.why_timeout),
		    "the run took longer than %d s", s->total_timeout);
	}
	if (s->in_test)
		s->recs[s->cur].outcome = TO_ERROR;	/* unless its reply
							   still comes */
	s->f.stopping = 1;
	session_note(s, "the run took longer than %d s: stopping",
	    s->total_timeout);
	if (s->fd == -1 || s->state == SS_CONNECT) {
		session_close(s);
		session_finish(s);
		return;
	}
	session_quit(s, AFTER_FINISH);
}

static void
session_kick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smtp_session	*s = arg;

	(void)fd;
	(void)ev;
	if (s->kick_finish)
		session_finish(s);
	else
		session_connect(s);
}

/*
 * Finishing.
 */

static void
session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	session_close(s);
	if (s->ev_state != NULL)
		event_free(s->ev_state);
	if (s->ev_total != NULL)
		event_free(s->ev_total);
	if (s->ev_kick != NULL)
		event_free(s->ev_kick);
	free(s->target);
	free(s->helo);
	free(s->sink_domain);
	free(s->sink_local);
	free(s->from_local);
	free(s->key);
	free(s->recs);
	free(s->strs);
	free(s->tr);
	free(s);
}

/* Report to the owner and free.  The one place a session ends: -1. */
static int
session_finish(struct smtp_session *s)
{
	struct session_result	 res;
	struct session_test	*tests;
	size_t			 i;
	int			 j;

	s->finishing = 1;
	session_close(s);
	evtimer_del(s->ev_total);
	evtimer_del(s->ev_kick);

	/* The tests' part of the facts, as they ended. */
	s->f.nlost = s->f.nnotrun = 0;
	s->f.first_accepted = s->ntests > 0 ? s->recs[0].id : 0;
	for (i = s->ntests; i-- > 0; ) {
		if (s->recs[i].outcome == TO_NOT_RUN)
			s->f.nnotrun++;
		else if (s->recs[i].outcome == TO_ERROR)
			s->f.nlost++;
		else if (s->recs[i].outcome == TO_ACCEPTED)
			s->f.first_accepted = s->recs[i].id;
	}
	memset(&res, 0, sizeof(res));
	res.verdict = session_verdict(&s->f, res.why, sizeof(res.why));
	session_note(s, "verdict: %s (%s)", verdict_name(res.verdict),
	    res.why);
	orbl_strlcpy(res.banner, s->banner, sizeof(res.banner));
	orbl_strlcpy(res.target_domain, s->target_domain,
	    sizeof(res.target_domain));
	tests = xcalloc(s->ntests, sizeof(*tests));
	for (i = 0; i < s->ntests; i++) {
		tests[i].test_id = s->recs[i].id;
		tests[i].outcome = s->recs[i].outcome;
		for (j = 0; j < TS_COUNT; j++) {
			static const size_t off[TS_COUNT] = {
				offsetof(struct session_test, mail_from),
				offsetof(struct session_test, rcpt_to),
				offsetof(struct session_test, mail_reply),
				offsetof(struct session_test, rcpt_reply),
				offsetof(struct session_test, data_reply),
				offsetof(struct session_test, cookie),
			};
			static const size_t size[TS_COUNT] = {
				sizeof(tests->mail_from),
				sizeof(tests->rcpt_to),
				sizeof(tests->mail_reply),
				sizeof(tests->rcpt_reply),
				sizeof(tests->data_reply),
				sizeof(tests->cookie),
			};
			orbl_strlcpy((char *)&tests[i] + off[j],
			    rec_get(s, i, (enum test_str)j), size[j]);
		}
	}
	res.tests = tests;
	res.ntests = s->ntests;
	res.naccepted = s->f.naccepted;
	res.nconnections = (size_t)s->nconn;
	/* An attempt that did not end one of the ways counted is cut. */
	memcpy(res.conns, s->conns, sizeof(res.conns));
	res.conns[CONN_CUT] = res.nconnections - s->conns[CONN_CONNECTED] -
	    s->conns[CONN_FAILED] - s->conns[CONN_TIMEOUT];
	res.transcript = s->tr != NULL ? s->tr : "";
	res.transcriptlen = s->trlen;

	s->done(s, &res, s->done_arg);
	free(tests);
	session_free(s);
	return -1;
}

/* Finish from the event loop, soon (never inside start or stop). */
static void
session_finish_later(struct smtp_session *s)
{
	struct timeval	 tv = { 0, 0 };

	session_close(s);
	s->kick_finish = 1;
	evtimer_add(s->ev_kick, &tv);
}

/*
 * The interface.
 */

/* Are the parameters usable: a target address, valid names, a key? */
static int
params_valid(const struct session_params *p)
{
	struct sockaddr_storage	 ss;
	struct relay_params	 rp;
	struct cookie		 c;
	socklen_t		 len;
	char			 from[256], rcpt[256], cookie[COOKIE_MAX];
	size_t			 i;

	if (p->target == NULL || p->port == 0 ||
	    net_sockaddr(p->target, p->port, &ss, &len) == -1)
		return 0;
	if (p->helo_name == NULL || !relay_domain_valid(p->helo_name) ||
	    strlen(p->helo_name) > 200)
		return 0;
	if (p->cookie_key == NULL || p->cookie_keylen == 0 ||
	    p->run_id < 0 || p->cookie_expires < 0)
		return 0;
	if (p->tests != NULL) {
		if (p->ntests == 0)
			return 0;
		for (i = 0; i < p->ntests; i++)
			if (relay_test_by_id(p->tests[i]) == NULL)
				return 0;
	}
	if (p->connect_timeout < 0 || p->reply_timeout < 0 ||
	    p->total_timeout < 0 || p->max_rejects < 0 ||
	    p->max_connections < 0 || p->max_accepted < 0)
		return 0;
	/* Every name and local part, as the battery will use them. */
	memset(&rp, 0, sizeof(rp));
	rp.sink_domain = p->sink_domain;
	rp.sink_local = p->sink_local;
	rp.target_ip = p->target;
	rp.from_local = p->from_local;
	rp.prober_domain = p->helo_name;
	if (relay_test_expand(relay_test_at(0), &rp, from, sizeof(from),
	    rcpt, sizeof(rcpt)) == -1)
		return 0;
	c.run = p->run_id;
	c.test = 1;
	c.expires = p->cookie_expires;
	return cookie_make(p->cookie_key, p->cookie_keylen, &c, p->target,
	    cookie, sizeof(cookie)) == 0;
}

struct smtp_session *
smtp_session_start(struct event_base *base, const struct session_params *p,
    void (*done)(struct smtp_session *, const struct session_result *,
    void *), void *arg)
{
	struct smtp_session	*s;
	struct timeval		 tv;
	size_t			 i;

	if (base == NULL || p == NULL || done == NULL || !params_valid(p))
		return NULL;

	s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	s->base = base;
	s->done = done;
	s->done_arg = arg;
	s->target = xstrdup(p->target);
	s->helo = xstrdup(p->helo_name);
	s->sink_domain = xstrdup(p->sink_domain);
	s->sink_local = xstrdup(p->sink_local);
	s->from_local = xstrdup(p->from_local);
	s->key = xmalloc(p->cookie_keylen);
	memcpy(s->key, p->cookie_key, p->cookie_keylen);
	s->keylen = p->cookie_keylen;
	s->port = p->port;
	s->run_id = p->run_id;
	s->cookie_expires = p->cookie_expires;
#define DEF(v, d)	((v) > 0 ? (v) : (d))
	s->connect_timeout = DEF(p->connect_timeout, DEF_CONNECT_TIMEOUT);
	s->reply_timeout = DEF(p->reply_timeout, DEF_REPLY_TIMEOUT);
	s->total_timeout = DEF(p->total_timeout, DEF_TOTAL_TIMEOUT);
	s->max_rejects = DEF(p->max_rejects, DEF_MAX_REJECTS);
	s->max_connections = DEF(p->max_connections, DEF_MAX_CONNECTIONS);
	s->max_accepted = DEF(p->max_accepted, DEF_MAX_ACCEPTED);
#undef DEF
	s->trace = p->trace;
	s->trace_arg = p->trace_arg;
	(void)net_sockaddr(s->target, s->port, &s->sa, &s->salen);

	s->ntests = p->tests != NULL ? p->ntests : relay_test_count();
	s->recs = xcalloc(s->ntests, sizeof(*s->recs));
	for (i = 0; i < s->ntests; i++) {
		s->recs[i].id = p->tests != NULL ? p->tests[i] :
		    relay_test_at(i)->id;
		s->recs[i].outcome = TO_NOT_RUN;
	}
	s->strs = xmalloc(512);
	s->strscap = 512;
	s->strs[0] = '\0';
	s->strslen = 1;
	s->state = SS_IDLE;
	s->quit_pending = SS_QUIT;

	if ((s->ev_state = evtimer_new(base, session_state_timeout_cb,
	    s)) == NULL ||
	    (s->ev_total = evtimer_new(base, session_total_timeout_cb,
	    s)) == NULL ||
	    (s->ev_kick = evtimer_new(base, session_kick_cb, s)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	tv.tv_sec = s->total_timeout;
	tv.tv_usec = 0;
	evtimer_add(s->ev_total, &tv);
	/* Connect from the loop: a failure there may finish the session. */
	tv.tv_sec = 0;
	evtimer_add(s->ev_kick, &tv);
	return s;
}

void
smtp_session_stop(struct smtp_session *s)
{
	if (s == NULL || s->finishing || s->f.stopping)
		return;
	s->f.stopping = 1;
	s->f.battery_done = 1;	/* the owner has what it needs */
	if (s->in_test)
		s->recs[s->cur].outcome = TO_ERROR;	/* unless its reply
							   still comes */
	session_note(s, "stopped by the owner");
	if (s->finishing)
		return;
	if (s->fd == -1 || s->state == SS_CONNECT) {
		session_finish_later(s);
		return;
	}
	session_quit(s, AFTER_FINISH);
}
