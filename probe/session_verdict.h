/*
 * session_verdict.h -- what one run of the relay battery against a server
 * says by itself: the rule from what the server answered to a verdict.
 * smtp_session.c gathers the facts while it talks; this is only the rule,
 * pure, so that it reads (and is tested) in one place.
 *
 * The session can never say "confirmed": "250" proves nothing, only mail
 * that reaches the sink does (run.c, which turns VERDICT_ACCEPTED into
 * confirmed, bounced or accepted-not-delivered).
 */
#ifndef ORBL_SESSION_VERDICT_H
#define ORBL_SESSION_VERDICT_H

#include <stddef.h>

#include "verdict.h"

struct session_facts {
	/* The tests, by how they ended. */
	size_t	 naccepted;	/* the message got 2xx after its "." */
	size_t	 nrejected;	/* a 4xx or 5xx ended it */
	size_t	 nlost;		/* the connection went first */
	size_t	 nnotrun;	/* never started */
	int	 first_accepted;	/* relay test id, if naccepted > 0 */
	/* The connections. */
	int	 nbanners;	/* greetings received */
	int	 refused;	/* a 5xx greeting or HELO */
	int	 tempfail;	/* some 4xx: greeting, HELO or a test */
	int	 proto;		/* the server sent garbage */
	int	 timed_out;	/* the last loss was a reply deadline,
				   or the run's deadline passed */
	int	 battery_done;	/* no test left to start, or stopped on
				   purpose (enough accepted, the owner) */
	int	 stopping;	/* stopped by the owner or the deadline */
	/* The evidence each kind of end quotes ("" when none). */
	char	 why_unreach[128];
	char	 why_refused[128];
	char	 why_tempfail[128];
	char	 why_timeout[128];
	char	 why_proto[160];
};

/*
 * The verdict, and in why (len bytes) a sentence that says what it rests
 * on.  First match wins:
 *
 *   a message accepted			VERDICT_ACCEPTED (the sink has
 *					the last word)
 *   no greeting ever came:
 *     garbage				VERDICT_PROTO
 *     silence, a tarpit		VERDICT_TIMEOUT
 *     otherwise			VERDICT_UNREACHABLE
 *   a 5xx greeting or HELO		VERDICT_REFUSED
 *   some 4xx				VERDICT_TEMPFAIL (retry later)
 *   the battery cut short by a timeout	VERDICT_TIMEOUT
 *   garbage				VERDICT_PROTO
 *   no test got an answer		VERDICT_TEMPFAIL (connections kept
 *					dropping, or stopped)
 *   otherwise				VERDICT_CLOSED (tests rejected)
 */
enum verdict	 session_verdict(const struct session_facts *, char *why,
		    size_t len);

#endif
