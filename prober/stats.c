/*
 * stats.c -- what orbl-prober tells about itself: the stats line (on
 * SIGUSR1 and at exit) and, when prober_metrics_listen is set, the
 * Prometheus page at /metrics.  Both read the same counters: the runs'
 * (runs_stats), the sinks' (sink_stats), the queue's (struct prober),
 * and the queue's depth from the database (one count per kind, at the
 * time of the line or the scrape).  Nothing here counts anything.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "loopwatch.h"
#include "metrics.h"
#include "prober.h"
#include "run.h"
#include "sink.h"
#include "verdict.h"
#include "version.h"

#define NAMES_MAX	16	/* label values of one family at most */
_Static_assert(VERDICT_COUNT <= NAMES_MAX &&
    CONN_RESULT_COUNT <= NAMES_MAX && ARRIVAL_RESULT_COUNT <= NAMES_MAX,
    "NAMES_MAX is too small");

/* The submission states of db_submission_counts, in its order. */
static const char *const sub_states[4] = {
	"queued", "probing", "done", "failed"
};
/* The request states of db_request_counts, in its order. */
static const char *const req_states[4] = {
	"pending", "retesting", "delisted", "refused"
};

/* Runs finished with a verdict (interrupted runs have none). */
static uint64_t
runs_finished(const struct runs_stats *st)
{
	uint64_t	 n = 0;
	int		 v;

	for (v = 0; v < VERDICT_COUNT; v++)
		n += st->verdicts[v];
	return n;
}

static void
sinks_sum(const struct prober *p, struct sink_stats *sum)
{
	struct sink_stats	 s;
	int			 i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < p->nsinks; i++) {
		sink_stats(p->sinks[i], &s);
		sum->connections += s.connections;
		sum->refused += s.refused;
		sum->refused_peer += s.refused_peer;
		sum->evicted += s.evicted;
		sum->messages += s.messages;
		sum->truncated += s.truncated;
		sum->rcpt_denied += s.rcpt_denied;
		sum->errors += s.errors;
		sum->too_many_errors += s.too_many_errors;
		sum->too_long += s.too_long;
		sum->timeouts += s.timeouts;
		sum->expired += s.expired;
		sum->accept_errors += s.accept_errors;
		sum->deferred += s.deferred;
		sum->active += s.active;
	}
}

void
prober_log_stats(struct prober *p, const char *why)
{
	const struct runs_stats	*st = runs_stats(p->runs);
	int64_t			 c[4] = { 0, 0, 0, 0 };
	char			 lw[160];

	if (db_submission_counts(p->db, c) == -1)
		prober_db_failed(p);
	loopwatch_say(lw, sizeof(lw));
	log_info("stats (%s): runs active %zu started %llu finished %llu "
	    "listed %llu delisted %llu; submissions queued %lld probing %lld "
	    "done %lld failed %lld%s", why, runs_active(p->runs),
	    (unsigned long long)st->started,
	    (unsigned long long)runs_finished(st),
	    (unsigned long long)p->listed, (unsigned long long)p->delisted,
	    (long long)c[0], (long long)c[1], (long long)c[2],
	    (long long)c[3], lw);
}

static void
queue_samples(struct metrics_buf *b, struct prober *p)
{
	const char	*lv[5];
	int64_t		 sc[4], rc[4];
	int		 i;

	metrics_family(b, "orbl_prober_queue", "gauge", "work in the "
	    "database by kind and state, at the time of the scrape: "
	    "submissions (queued, probing, done, failed) and delisting "
	    "requests (pending, retesting, delisted, refused)");
	lv[0] = "kind";
	lv[2] = "state";
	lv[4] = NULL;
	/* A read that fails leaves its samples out (a lock is counted). */
	if (db_submission_counts(p->db, sc) == 0) {
		lv[1] = "submission";
		for (i = 0; i < 4; i++) {
			lv[3] = sub_states[i];
			metrics_u64(b, "orbl_prober_queue", (uint64_t)sc[i],
			    lv);
		}
	} else
		prober_db_failed(p);
	if (db_request_counts(p->db, rc) == 0) {
		lv[1] = "request";
		for (i = 0; i < 4; i++) {
			lv[3] = req_states[i];
			metrics_u64(b, "orbl_prober_queue", (uint64_t)rc[i],
			    lv);
		}
	} else
		prober_db_failed(p);
}

void
prober_metrics(struct metrics_buf *b, void *arg)
{
	struct prober		*p = arg;
	const struct runs_stats	*st = runs_stats(p->runs);
	struct sink_stats	 sk;
	struct db_busy_counts	 bc;
	const char		*names[NAMES_MAX];
	const char		*lv[3];
	uint64_t		 v[4];
	int			 i;

	lv[0] = "version";
	lv[1] = ORBL_VERSION;
	lv[2] = NULL;
	metrics_family(b, "orbl_prober_build_info", "gauge",
	    "orbl-prober's version (the value is always 1)");
	metrics_u64(b, "orbl_prober_build_info", 1, lv);

	/* Runs. */
	metrics_one(b, "orbl_prober_runs_in_flight", "gauge", "probe runs under way "
	    "(in the SMTP session, waiting for test mail, or recording)",
	    runs_active(p->runs));
	metrics_one(b, "orbl_prober_runs_started_total", "counter", "probe runs "
	    "started", st->started);
	/* Every verdict a finished run may have ("none" is only an
	 * interrupted run's, counted apart). */
	for (i = VERDICT_NONE + 1; i < VERDICT_COUNT; i++)
		names[i] = verdict_name((enum verdict)i);
	metrics_by_label(b, "orbl_prober_runs_total", "probe runs finished, by "
	    "verdict", "verdict", names + VERDICT_NONE + 1,
	    st->verdicts + VERDICT_NONE + 1, VERDICT_COUNT - 1);
	metrics_one(b, "orbl_prober_runs_interrupted_total", "counter", "probe runs "
	    "stopped by a shutdown before a verdict (their work is queued "
	    "again)", st->interrupted);
	metrics_one(b, "orbl_prober_listed_total", "counter", "runs that listed "
	    "their address (a confirmed relay)", p->listed);
	metrics_one(b, "orbl_prober_delisted_total", "counter", "runs that removed "
	    "their address's probe listing (the relay is closed now)",
	    p->delisted);

	/* The SMTP client. */
	metrics_one(b, "orbl_prober_sessions_total", "counter", "SMTP client "
	    "sessions started (one per run; a session may connect several "
	    "times)", st->sessions);
	for (i = 0; i < CONN_RESULT_COUNT; i++)
		names[i] = conn_result_name((enum conn_result)i);
	metrics_by_label(b, "orbl_prober_smtp_connections_total", "connections "
	    "attempted to tested servers, by how the attempt ended: "
	    "connected, failed (refused, unreachable), timeout "
	    "(connect_timeout), cut (the run ended first)", "result", names,
	    st->conns, CONN_RESULT_COUNT);

	/* The sink. */
	sinks_sum(p, &sk);
	metrics_one(b, "orbl_prober_sink_connections", "gauge", "sessions open on "
	    "the sink now", sk.active > 0 ? (uint64_t)sk.active : 0);
	metrics_one(b, "orbl_prober_sink_connections_total", "counter", "sessions "
	    "accepted by the sink", sk.connections);
	names[0] = "per_peer";
	names[1] = "max_sessions";
	v[0] = sk.refused_peer;
	v[1] = sk.refused;
	metrics_by_label(b, "orbl_prober_sink_refused_total", "connections the sink "
	    "refused at once (421): sink_max_per_peer reached for the "
	    "address (per_peer), or all sessions taken and none to close "
	    "(max_sessions)", "reason", names, v, 2);
	metrics_one(b, "orbl_prober_sink_evicted_total", "counter", "sink sessions "
	    "closed at max sessions for a newcomer from an address holding "
	    "fewer", sk.evicted);
	names[0] = "timeout";
	names[1] = "session_timeout";
	names[2] = "too_many_errors";
	names[3] = "line_too_long";
	v[0] = sk.timeouts;
	v[1] = sk.expired;
	v[2] = sk.too_many_errors;
	v[3] = sk.too_long;
	metrics_by_label(b, "orbl_prober_sink_closed_total", "sink sessions closed "
	    "by the sink: no command in time (timeout), "
	    "sink_session_timeout reached (session_timeout), too many "
	    "errors, a line too long", "reason", names, v, 4);
	metrics_one(b, "orbl_prober_sink_accept_errors_total", "counter", "failed "
	    "accepts on the sink (out of file descriptors, say)",
	    sk.accept_errors);
	metrics_one(b, "orbl_prober_sink_recipients_denied_total", "counter",
	    "recipients the sink refused (550: not its mailbox)",
	    sk.rcpt_denied);
	for (i = 0; i < ARRIVAL_RESULT_COUNT; i++)
		names[i] = arrival_result_name((enum arrival_result)i);
	metrics_by_label(b, "orbl_prober_sink_messages_total", "messages received "
	    "by the sink, by what became of them: recorded (as an arrival), "
	    "no_cookie, bad_cookie (of no known run, forged, expired: "
	    "ignored), dropped (over the storage bounds), tempfail (the "
	    "database locked: 451), error (accepted, not recorded)",
	    "result", names, st->arrivals, ARRIVAL_RESULT_COUNT);
	metrics_one(b, "orbl_prober_sink_truncated_total", "counter", "messages "
	    "received longer than the sink keeps (cut)", sk.truncated);
	metrics_one(b, "orbl_prober_confirmations_total", "counter", "arrivals that "
	    "confirmed a run: its test mail came back through the tested "
	    "server", st->confirmations);

	/* The database. */
	queue_samples(b, p);
	db_busy_counts(p->db, &bc);
	metrics_one(b, "orbl_prober_database_busy_total", "counter", "database "
	    "calls that gave up on another writer's lock, after waiting "
	    "for it as long as the busy timeout allows (most are tried "
	    "again: the claims the next tick, a run's record, an arrival by "
	    "its sender after 451)", bc.given_up);
	metrics_one(b, "orbl_prober_database_locks_total", "counter", "locks of "
	    "another writer met (waited for, whether or not the call then "
	    "went through)", bc.locks);
	metrics_family(b, "orbl_prober_database_wait_seconds_total",
	    "counter", "time spent waiting for another writer's lock");
	metrics_double(b, "orbl_prober_database_wait_seconds_total",
	    (double)bc.slept_ms / 1000.0, NULL);
}
