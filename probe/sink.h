/*
 * sink.h -- the prober's own SMTP server: where every test message is
 * addressed, and where it arrives only if the tested server relayed it.
 *
 * It accepts mail for its mailboxes (sink_local@sink_domain, the test
 * mailbox; and, when set, the report and self-test mailboxes: see
 * enum sink_box), also with the domain as an address literal of its own
 * address, and refuses every other recipient.  It never relays and never sends mail.  Everything a
 * client sends is bounded (line length, message size, session time,
 * number of sessions).  For each message it received, it inspects it
 * (bounce or not, the cookie, the Received chain) and hands the result
 * to its owner; it stores nothing itself.
 */
#ifndef ORBL_SINK_H
#define ORBL_SINK_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sink;

struct sink_conf {
	const char	*host;		/* listen address, "127.0.0.1" */
	uint16_t	 port;		/* 0: any free port (tests) */
	const char	*domain;	/* sink_domain */
	const char	*local;		/* the test mailbox's local part */
	const char	*report_local;	/* report_local; NULL or "": none */
	const char	*selftest_local; /* selftest_local; NULL or "": none */
	const char	*hostname;	/* for the banner and Received */
	size_t		 max_message;	/* bytes of DATA kept (default 256 KiB) */
	int		 timeout;	/* seconds per command (default 60) */
	int		 max_sessions;	/* at once (default 256) */
	/* long long as in struct conf; past INT_MAX taken as INT_MAX */
	long long	 max_per_peer;	/* at once from one address (16) */
	long long	 session_timeout; /* seconds in all (default 300) */
};

/*
 * Zero in a sink_conf means the default; host NULL is "127.0.0.1",
 * hostname NULL is "localhost"; domain and local are required.
 *
 * Time: a connection waits at most timeout seconds for each command (or
 * piece of message text), and lives at most session_timeout seconds in
 * all, however busy it is; either way it then gets 421 and at most 5 s
 * (or timeout, if less) to read it before it is closed.
 *
 * Connections: at most max_per_peer at once from one address (the text
 * form; an IPv4-mapped IPv6 address is its IPv4 address), the next gets
 * "421 4.7.0 ... Too many connections from your address" and is closed.
 * At max_sessions, a newcomer whose address holds k sessions closes the
 * session idle the longest (no complete line received for the longest)
 * among those whose address holds at least k + 2, so shares even out; a
 * session whose address holds only one is never closed this way.  When
 * there is none, the newcomer gets "421 4.7.0 ... Too many connections"
 * and is closed.
 *
 * Input: a line (command, or text without its LF) is at most
 * SINK_LINE_MAX bytes; 10 errors are allowed per connection (the 11th
 * gets 421); a message takes at most SINK_RCPT_MAX recipients.
 */
#define SINK_LINE_MAX		1000
#define SINK_PATH_MAX		256	/* RFC 5321 4.5.3.1.3 */
#define SINK_ERRORS_MAX		10
#define SINK_RCPT_MAX		100

/*
 * What inspecting one received message found (pure: sink_inspect).  A
 * bounce carries the test message inside it (attached or quoted); the
 * test message at the top level is the relayed one, whatever its envelope
 * sender or Auto-Submitted say (the rule: sink_inspect.c).
 */
struct sink_inspection {
	int		 bounce;	/* returned, not the relayed test mail */
	const char	*bounce_why;	/* "cookie only in an attached
					   message", "cookie only in quoted
					   text", "cookie only in the Subject
					   and an attached message", "cookie
					   only in the Subject and quoted
					   text"; NULL when not a bounce */
	const char	*cookie;	/* the cookie where our message puts
					   it, at the top level: Subject, else
					   Message-ID "<cookie@", else a body
					   line "Cookie: cookie"; or NULL */
	size_t		 cookielen;
	/* The first cookie in returned content: an attached message
	   (message/rfc822, message/global, text/rfc822-headers), else
	   quoted text; attributes a bounce to its test.  Set whenever
	   bounce is. */
	const char	*attached_cookie;
	size_t		 attached_cookielen;
	/* The values of the Received: headers, top to bottom, unfolded
	   (white space runs made one space, other control and non-ASCII
	   bytes '?'), one per line, NUL ended; what does not fit is left
	   out (received_truncated set). */
	char		 received[2048];
	int		 received_truncated;
	/* The work it did, in bytes examined (a byte once each time it is
	   looked at): the same however loaded the machine is, for the
	   tests.  Never more than SINK_INSPECT_WORK_MAX(len). */
	uint64_t	 work;
};
#define SINK_INSPECT_WORK_MAX(len)	(64 * (uint64_t)(len) + 64)

/*
 * Inspect a message: mail_from is the envelope sender without brackets
 * ("" for the null sender, NULL if unknown); data is the message as
 * received (headers, blank line, body; dot-unstuffed, CRLF or LF).  Pure,
 * bounded work (linear in len: SINK_INSPECT_WORK_MAX; MIME nesting at
 * most 3 deep, at most 64 parts).  The cookie pointers point into data.
 */
void	 sink_inspect(const char *mail_from, const char *data, size_t len,
	    struct sink_inspection *);

/*
 * Which mailbox a message is for.  One message, one mailbox: a RCPT for
 * another mailbox than the transaction's first gets "452 4.5.3" (a
 * client sends it again in a transaction of its own, RFC 5321 3.3), so
 * a report never doubles as test mail nor a test mail as a report.
 */
enum sink_box {
	SINK_BOX_TEST,		/* sink_local: the relay tests' mail */
	SINK_BOX_REPORT,	/* report_local: a spam sample */
	SINK_BOX_SELFTEST	/* selftest_local: "test the sender" */
};
#define SINK_REPLY_MAX	512	/* a reply line, CR LF included (RFC 5321
				   4.5.3.1.5) */

struct sink_message {
	enum sink_box	 box;
	const char	*peer;		/* address that delivered it */
	const char	*helo;
	const char	*mail_from;	/* without brackets */
	const char	*rcpt;		/* the (first) accepted recipient, as
					   sent (a source route kept) */
	const char	*queue_id;	/* in the 250 reply to the "." */
	const char	*data;		/* as received, bounded */
	size_t		 datalen;
	int		 truncated;	/* more than max_message arrived */
	struct sink_inspection insp;
	/* The owner may write the reply to the final "." here (one line,
	 * code first: "250 2.0.0 ...", "550 5.7.1 ..."); left empty, the
	 * sink answers "250 2.0.0 Ok: queued as ID".  Control bytes become
	 * '?', the line is cut to fit. */
	char		*reply;
	size_t		 replylen;	/* SINK_REPLY_MAX - 2 */
};

/* Counters since sink_new (the owner dumps them; the sink logs nothing). */
struct sink_stats {
	uint64_t	 connections;	/* accepted into a session */
	uint64_t	 refused;	/* 421 at once: max_sessions reached,
					   nobody to close */
	uint64_t	 refused_peer;	/* 421 at once: max_per_peer reached */
	uint64_t	 evicted;	/* closed at max_sessions for a peer
					   holding fewer */
	uint64_t	 messages;	/* handed to the owner */
	uint64_t	 truncated;	/* of those, cut at max_message */
	uint64_t	 rcpt_denied;	/* 550 relaying denied */
	uint64_t	 errors;	/* 5xx replies to commands */
	uint64_t	 too_many_errors; /* closed after SINK_ERRORS_MAX */
	uint64_t	 too_long;	/* closed for a line too long */
	uint64_t	 timeouts;	/* closed: no command within timeout */
	uint64_t	 expired;	/* closed at session_timeout */
	uint64_t	 accept_errors;	/* accept() failed (EMFILE...) */
	uint64_t	 deferred;	/* 451 after DATA: the owner could
					   not keep the message */
	int		 active;	/* sessions open now */
};

/* NULL + err on failure (bind).  cb runs on base's thread for each
 * message, before the reply to the final "."; the message is borrowed for
 * the call.  cb returns 0 (the sender gets 250) or -1 when it could not
 * keep the message now (451: the sender tries again later).  cb must not
 * call sink_free() (stop the loop instead). */
struct sink	*sink_new(struct event_base *, const struct sink_conf *,
		    int (*cb)(const struct sink_message *, void *), void *arg,
		    char *err, size_t errlen);
uint16_t	 sink_port(const struct sink *);
void		 sink_stats(const struct sink *, struct sink_stats *);
/* Closes every connection at once (a message in progress is dropped). */
void		 sink_free(struct sink *);

#endif
