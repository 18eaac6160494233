/*
 * smtp_session.h -- one run of the relay battery against one server: an
 * SMTP client on libevent, an explicit state machine with a deadline per
 * state (OpenSMTPD's smtp client is the model).
 *
 * connect -> banner -> EHLO (HELO if refused) -> per test: MAIL, RCPT,
 * and when RCPT is accepted DATA, the message with the cookie, "." ->
 * RSET -> next test ... -> QUIT.  After max_rejects rejected tests on one
 * connection it QUITs and reconnects (servers slow down or drop clients
 * after several errors), at most max_connections times.  It stops after
 * max_accepted messages were accepted, when the owner calls
 * smtp_session_stop(), or when the whole run's deadline passes.  "250"
 * proves nothing: the session only reports what was accepted; whether a
 * message really went through is the sink's to say.
 */
#ifndef ORBL_SMTP_SESSION_H
#define ORBL_SMTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "cookie.h"
#include "relay_tests.h"
#include "verdict.h"

struct event_base;
struct smtp_session;

#define SESSION_REPLY_MAX	256	/* per stored reply, in the evidence */
#define SESSION_TRANSCRIPT_MAX	(64 * 1024)

#define TEST_OUTCOMES(X)						\
	X(TO_NOT_RUN,		"not-run")				\
	X(TO_MAIL_REJECTED,	"mail-rejected")			\
	X(TO_RCPT_REJECTED,	"rcpt-rejected")			\
	X(TO_TEMPFAIL,		"tempfail")				\
	X(TO_DATA_REJECTED,	"data-rejected")			\
	X(TO_ACCEPTED,		"accepted")	/* 250 after the body */	\
	X(TO_ERROR,		"error")	/* connection lost, timeout, \
						   421, stopped */
#define TO_ENUM(e, s) e,
enum test_outcome { TEST_OUTCOMES(TO_ENUM) TO_COUNT };
#undef TO_ENUM
const char	*test_outcome_name(enum test_outcome);

/*
 * How a connection attempt ended (counted per session, for metrics):
 * connected; failed (refused, unreachable, any error while connecting);
 * timeout (no answer in connect_timeout); cut (still connecting when the
 * run was stopped or its deadline passed).
 */
#define CONN_RESULTS(X)							\
	X(CONN_CONNECTED,	"connected")				\
	X(CONN_FAILED,		"failed")				\
	X(CONN_TIMEOUT,		"timeout")				\
	X(CONN_CUT,		"cut")
#define CONN_ENUM(e, s) e,
enum conn_result { CONN_RESULTS(CONN_ENUM) CONN_RESULT_COUNT };
#undef CONN_ENUM
const char	*conn_result_name(enum conn_result);

struct session_test {
	int		 test_id;
	enum test_outcome outcome;
	char		 mail_from[256];	/* as sent, e.g. "<F@[1.2.3.4]>" */
	char		 rcpt_to[256];
	char		 mail_reply[SESSION_REPLY_MAX];	/* "250 2.1.0 Ok" */
	char		 rcpt_reply[SESSION_REPLY_MAX];
	char		 data_reply[SESSION_REPLY_MAX];	/* after "." */
	char		 cookie[COOKIE_MAX];	/* in the message, if sent */
};

struct session_params {
	const char	*target;	/* IP address text */
	uint16_t	 port;
	const char	*helo_name;	/* also Q, the prober's domain */
	const char	*sink_domain, *sink_local, *from_local;
	const uint8_t	*cookie_key;
	size_t		 cookie_keylen;
	int64_t		 run_id;	/* the probe id: in every cookie */
	int64_t		 cookie_expires;
	/* Limits; 0 means the default in parentheses. */
	int		 connect_timeout;	/* seconds (30) */
	int		 reply_timeout;		/* per reply (60) */
	int		 total_timeout;		/* the whole run (600) */
	int		 max_rejects;		/* per connection (5) */
	int		 max_connections;	/* (8) */
	int		 max_accepted;		/* messages per run (3) */
	const int	*tests;		/* test ids to run, NULL: all */
	size_t		 ntests;
	/* Optional: each transcript line as it happens ('>' sent, '<'
	 * received, '*' a note), e.g. orblctl probe's live output. */
	void		(*trace)(char dir, const char *line, void *arg);
	void		*trace_arg;
};

struct session_result {
	/*
	 * What the session alone can tell (the rule: session_verdict.h).
	 * VERDICT_ACCEPTED means at least one message was accepted: the
	 * owner waits for the sink.
	 */
	enum verdict		 verdict;
	char			 why[256];
	char			 banner[SESSION_REPLY_MAX];
	char			 target_domain[256];	/* T, "" if unknown */
	const struct session_test *tests;	/* one per test of the run */
	size_t			 ntests;
	size_t			 naccepted;
	size_t			 nconnections;	/* attempts */
	/* The attempts by how they ended (they add up to nconnections). */
	size_t			 conns[CONN_RESULT_COUNT];
	const char		*transcript;	/* bounded; '>'/'<' lines */
	size_t			 transcriptlen;
};

/*
 * Start a run.  done is called exactly once, from the event loop (never
 * from inside smtp_session_start or smtp_session_stop); the result is
 * borrowed for the call, and the session is freed when done returns.
 * Returns NULL only if params are unusable (then done is not called):
 * target not an IPv4/IPv6 address, port 0, a name or local part that
 * relay_test_expand() refuses, no key, an unknown test id, a negative
 * limit.  params and its strings are copied.  Cookies are made over
 * params->target exactly as given.  The program must ignore SIGPIPE (a
 * server may close while we write).
 */
struct smtp_session *smtp_session_start(struct event_base *,
	    const struct session_params *,
	    void (*done)(struct smtp_session *, const struct session_result *,
	    void *), void *arg);
/* Finish early (the sink confirmed a relay): QUIT if connected, then
 * done.  Safe to call once done is pending. */
void	 smtp_session_stop(struct smtp_session *);

#endif
