/*
 * session_verdict.c -- the rule from a session's facts to its verdict
 * (see session_verdict.h).
 */
#include <stdio.h>

#include "relay_tests.h"
#include "session_verdict.h"

enum verdict
session_verdict(const struct session_facts *f, char *why, size_t len)
{
	const struct relay_test	*rt;

	if (f->naccepted > 0) {
		rt = relay_test_by_id(f->first_accepted);
		snprintf(why, len, "%zu test message%s accepted (first: test "
		    "%d, %s)", f->naccepted, f->naccepted > 1 ? "s" : "",
		    f->first_accepted, rt != NULL ? rt->name : "?");
		return VERDICT_ACCEPTED;
	}
	if (f->nbanners == 0) {
		if (f->proto) {
			snprintf(why, len, "%s", f->why_proto);
			return VERDICT_PROTO;
		}
		if (f->timed_out) {
			snprintf(why, len, "no greeting: %s", f->why_timeout);
			return VERDICT_TIMEOUT;
		}
		snprintf(why, len, "%s", f->why_unreach[0] ? f->why_unreach :
		    "stopped before connecting");
		return VERDICT_UNREACHABLE;
	}
	if (f->refused) {
		snprintf(why, len, "refused: %s", f->why_refused);
		return VERDICT_REFUSED;
	}
	if (f->tempfail) {
		snprintf(why, len, "temporary failure: %s", f->why_tempfail);
		return VERDICT_TEMPFAIL;
	}
	if (!f->battery_done && f->timed_out) {
		snprintf(why, len, "%s", f->why_timeout);
		return VERDICT_TIMEOUT;
	}
	if (f->proto) {
		snprintf(why, len, "%s", f->why_proto);
		return VERDICT_PROTO;
	}
	if (f->nrejected == 0) {
		snprintf(why, len, "no test could be completed: %s",
		    f->stopping ? "stopped" : "the connection was lost");
		return VERDICT_TEMPFAIL;
	}
	if (f->nnotrun == 0 && f->nlost == 0)
		snprintf(why, len, "all %zu tests rejected", f->nrejected);
	else
		snprintf(why, len, "%zu tests rejected, %zu lost with the "
		    "connection, %zu could not be run", f->nrejected, f->nlost,
		    f->nnotrun);
	return VERDICT_CLOSED;
}
