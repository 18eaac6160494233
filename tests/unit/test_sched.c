/*
 * test_sched.c -- unit tests for core/schedule.c: orbl-prober's
 * decisions without its event loop.  Which claimed submission or
 * delisting request starts and which goes back (and the order in which
 * the facts are asked for: none looked up that the decision does not
 * need), the evidence port a re-test uses, the next state of a
 * submission and (table-driven) of a delisting request after a run, the
 * periodic re-test scan, leases, room, back-off, the locked-database
 * log rule and the descriptor budget -- with their boundaries.
 *
 * Most tests are pure: the facts are values.  A few run the decisions on
 * facts read from a real database (the dbfix.h fixture), the way the
 * prober reads them: the lease against db_claim_expire, the politeness
 * limit per /24 and per /64, and the evidence ports.  Times are fixed
 * (NOW).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "addr.h"
#include "conf.h"
#include "db.h"
#include "dbfix.h"
#include "policy.h"
#include "run.h"
#include "schedule.h"
#include "verdict.h"

#define NOW		INT64_C(1700000000)	/* 2023-11-14 22:13:20 UTC */
#define DAY_TEXT	"2023-11-14 22:13 UTC"
#define HOUR		INT64_C(3600)

/* -- leases, room, back-off ------------------------------------------ */

static void
test_lease_until(void **state)
{
	struct conf	 c;

	(void)state;
	conf_init(&c);
	c.probe_timeout = 300;
	c.arrival_wait = 120;
	assert_int_equal(sched_lease_until(&c, NOW), NOW + 300 + 120 + 120);
	c.probe_timeout = 0;
	c.arrival_wait = 0;
	assert_int_equal(sched_lease_until(&c, NOW), NOW + SCHED_LEASE_MARGIN);
	conf_free(&c);
}

static void
test_room(void **state)
{
	(void)state;
	assert_int_equal(sched_room(10, 0), 10);
	assert_int_equal(sched_room(10, 9), 1);
	/* At the limit, and past it (probe_concurrency lowered while runs
	 * are active): none, never a negative number. */
	assert_int_equal(sched_room(10, 10), 0);
	assert_int_equal(sched_room(10, 11), 0);
	assert_int_equal(sched_room(1, 0), 1);
	/* At most SCHED_CLAIM_MAX a tick. */
	assert_int_equal(sched_room(SCHED_CLAIM_MAX, 0), SCHED_CLAIM_MAX);
	assert_int_equal(sched_room(SCHED_CLAIM_MAX + 1, 0), SCHED_CLAIM_MAX);
	assert_int_equal(sched_room(SCHED_CLAIM_MAX + 1, 1), SCHED_CLAIM_MAX);
	assert_int_equal(sched_room(SCHED_CLAIM_MAX + 1, 2),
	    SCHED_CLAIM_MAX - 1);
	assert_int_equal(sched_room(100000, 0), SCHED_CLAIM_MAX);
}

static void
test_backoff(void **state)
{
	(void)state;
	/* tries counts this one: the first two wait tempfail_retry, then
	 * it doubles. */
	assert_int_equal(sched_backoff(300, 0), 300);
	assert_int_equal(sched_backoff(300, 1), 300);
	assert_int_equal(sched_backoff(300, 2), 600);
	assert_int_equal(sched_backoff(300, 3), 1200);
	assert_int_equal(sched_backoff(300, 5), 4800);
	assert_int_equal(sched_backoff(0, 4), 0);
}

/* -- claims: the facts asked for, and the decision --------------------- */

/* What a fake lookup answers: one value per fact, and the facts asked
 * for, in order ("recent polite"). */
struct world {
	int		 recent;
	const char	*verdict;
	int64_t		 probe;
	int		 nports;
	int		 ports[4];
	int		 listed;
	int		 polite;
	char		 asked[128];
};

static const char *
fact_name(enum sched_fact f)
{
	switch (f) {
	case SCHED_FACT_RECENT:
		return "recent";
	case SCHED_FACT_EVIDENCE:
		return "evidence";
	case SCHED_FACT_LISTED:
		return "listed";
	case SCHED_FACT_POLITE:
		return "polite";
	case SCHED_FACT_NONE:
		break;
	}
	return "none";
}

static void
look_up(struct world *w, enum sched_fact what, struct sched_facts *f)
{
	int	 i;

	snprintf(w->asked + strlen(w->asked), sizeof(w->asked) -
	    strlen(w->asked), "%s%s", w->asked[0] ? " " : "",
	    fact_name(what));
	switch (what) {
	case SCHED_FACT_RECENT:
		assert_int_equal(f->recent, SCHED_UNKNOWN);	/* once */
		f->recent = w->recent;
		if (w->recent == 1) {
			snprintf(f->last.last_verdict,
			    sizeof(f->last.last_verdict), "%s", w->verdict);
			f->last.last_probe = w->probe;
		}
		break;
	case SCHED_FACT_EVIDENCE:
		assert_int_equal(f->nports, SCHED_UNKNOWN);
		f->nports = w->nports;
		for (i = 0; i < w->nports && i < 4; i++)
			f->ports[i] = w->ports[i];
		break;
	case SCHED_FACT_LISTED:
		assert_int_equal(f->listed, SCHED_UNKNOWN);
		f->listed = w->listed;
		break;
	case SCHED_FACT_POLITE:
		assert_int_equal(f->polite, SCHED_UNKNOWN);
		f->polite = w->polite;
		break;
	case SCHED_FACT_NONE:
		fail_msg("asked for no fact");
	}
}

/* Decide a claimed submission (request 0) or request (1) the way the
 * prober does: ask, look up, decide again. */
static void
decide(int request, struct world *w, const char *refused,
    struct sched_facts *f, struct sched_claim *d)
{
	int	 n;

	sched_facts_init(f, refused);
	for (n = 0; ; n++) {
		if (request)
			sched_claim_request(f, NOW, d);
		else
			sched_claim_submission(f, NOW, d);
		if (d->act != SCHED_ASK)
			return;
		assert_true(n < 4);	/* four facts at most */
		look_up(w, d->ask, f);
	}
}

static void
assert_put_back(const struct sched_claim *d, const char *state,
    const char *result, int64_t not_before, const char *why)
{
	assert_int_equal(d->act, SCHED_PUT_BACK);
	assert_string_equal(d->next.state, state);
	if (result == NULL)
		assert_null(d->next.result);
	else
		assert_string_equal(d->next.result, result);
	assert_int_equal(d->next.probe_id, 0);
	assert_int_equal(d->next.not_before, not_before);
	if (why == NULL)
		assert_null(d->next.why);
	else
		assert_string_equal(d->next.why, why);
}

static void
test_facts_init(void **state)
{
	struct sched_facts	 f;

	(void)state;
	sched_facts_init(&f, "why");
	assert_string_equal(f.refused, "why");
	assert_int_equal(f.recent, SCHED_UNKNOWN);
	assert_int_equal(f.nports, SCHED_UNKNOWN);
	assert_int_equal(f.listed, SCHED_UNKNOWN);
	assert_int_equal(f.polite, SCHED_UNKNOWN);
	sched_facts_init(&f, NULL);
	assert_null(f.refused);
}

static void
test_submission_refused(void **state)
{
	struct world		 w = { .recent = 0, .polite = 0 };
	struct sched_facts	 f;
	struct sched_claim	 d;
	const char		*err = "198.51.100.7 is not tested by policy";

	(void)state;
	decide(0, &w, err, &f, &d);
	assert_put_back(&d, "failed", "not-allowed", 0, err);
	assert_ptr_equal(d.next.why, err);
	assert_string_equal(w.asked, "");	/* nothing looked up */
}

static void
test_submission_stands(void **state)
{
	struct world		 w = { .recent = 1, .verdict = "closed",
				    .probe = 77, .polite = 1 };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	decide(0, &w, NULL, &f, &d);
	assert_int_equal(d.act, SCHED_STANDS);
	assert_string_equal(d.next.state, "done");
	assert_string_equal(d.next.result, "closed");
	assert_int_equal(d.next.probe_id, 77);
	assert_int_equal(d.next.not_before, 0);
	assert_string_equal(d.next.why, "tested less than retest_interval "
	    "ago: the last verdict stands");
	/* Politeness is not spent on a run that does not happen. */
	assert_string_equal(w.asked, "recent");
}

static void
test_submission_start(void **state)
{
	struct world		 w = { .recent = 0, .polite = 0 };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	decide(0, &w, NULL, &f, &d);
	assert_int_equal(d.act, SCHED_START);
	assert_string_equal(w.asked, "recent polite");
	/* Without the recent verdict (a database error) the run goes on. */
	memset(&w, 0, sizeof(w));
	w.recent = -1;
	decide(0, &w, NULL, &f, &d);
	assert_int_equal(d.act, SCHED_START);
	assert_string_equal(w.asked, "recent polite");
}

static void
test_submission_polite(void **state)
{
	struct world		 w = { .recent = 0, .polite = 1 };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	decide(0, &w, NULL, &f, &d);
	assert_put_back(&d, "queued", NULL, NOW + SCHED_RETRY_POLITE,
	    "politeness: prefix_limit runs in this network in the last hour");
	assert_int_equal(SCHED_RETRY_POLITE, 600);
	/* The politeness lookup failed: again soon. */
	memset(&w, 0, sizeof(w));
	w.polite = -1;
	decide(0, &w, NULL, &f, &d);
	assert_put_back(&d, "queued", NULL, NOW + SCHED_RETRY_ERROR,
	    "database error: retry");
	assert_int_equal(SCHED_RETRY_ERROR, 60);
	assert_string_equal(w.asked, "recent polite");
}

static void
test_request_refused(void **state)
{
	struct world		 w = { .nports = 1, .ports = { 25 } };
	struct sched_facts	 f;
	struct sched_claim	 d;
	const char		*err = "192.0.2.1 is orbl's own mail sink: "
				    "never tested";

	(void)state;
	decide(1, &w, err, &f, &d);
	assert_put_back(&d, "refused", NULL, 0, err);
	assert_string_equal(w.asked, "");
}

static void
test_request_no_evidence(void **state)
{
	struct world		 w = { .nports = 0, .listed = 0 };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	/* Not listed any more (the operator removed it). */
	decide(1, &w, NULL, &f, &d);
	assert_put_back(&d, "delisted", NULL, 0, "not listed any more: "
	    "nothing to re-test");
	assert_string_equal(w.asked, "evidence listed");
	/* Listed by an entry of the operator's: no re-test can help. */
	memset(&w, 0, sizeof(w));
	w.listed = 1;
	decide(1, &w, NULL, &f, &d);
	assert_put_back(&d, "refused", NULL, 0, "no test evidence lists this "
	    "address: the entry that lists it is the operator's; ask the "
	    "operator");
	assert_string_equal(w.asked, "evidence listed");
	/* The listing lookup failed: pending, soon. */
	memset(&w, 0, sizeof(w));
	w.listed = -1;
	decide(1, &w, NULL, &f, &d);
	assert_put_back(&d, "pending", NULL, NOW + SCHED_RETRY_ERROR, NULL);
	assert_string_equal(w.asked, "evidence listed");
}

static void
test_request_evidence_error(void **state)
{
	struct world		 w = { .nports = -1, .polite = 0 };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	decide(1, &w, NULL, &f, &d);
	assert_put_back(&d, "pending", NULL, NOW + SCHED_RETRY_ERROR, NULL);
	assert_string_equal(w.asked, "evidence");
}

static void
test_request_ports(void **state)
{
	struct world		 w = { .nports = 1, .ports = { 587 } };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	/* One port: that one; the listing is not looked up. */
	decide(1, &w, NULL, &f, &d);
	assert_int_equal(d.act, SCHED_START);
	assert_int_equal(d.port, 587);
	assert_string_equal(w.asked, "evidence polite");
	/* Many: the first (db_evidence_ports gives them ascending), one
	 * at a time. */
	memset(&w, 0, sizeof(w));
	w.nports = 3;
	w.ports[0] = 25;
	w.ports[1] = 465;
	w.ports[2] = 587;
	decide(1, &w, NULL, &f, &d);
	assert_int_equal(d.act, SCHED_START);
	assert_int_equal(d.port, 25);
	assert_string_equal(w.asked, "evidence polite");
}

static void
test_request_polite(void **state)
{
	struct world		 w = { .nports = 2, .ports = { 25, 587 },
				    .polite = 1 };
	struct sched_facts	 f;
	struct sched_claim	 d;

	(void)state;
	decide(1, &w, NULL, &f, &d);
	assert_put_back(&d, "pending", NULL, NOW + SCHED_RETRY_POLITE, NULL);
	/* Unsure (the lookup failed): the same wait. */
	w.polite = -1;
	w.asked[0] = '\0';
	decide(1, &w, NULL, &f, &d);
	assert_put_back(&d, "pending", NULL, NOW + SCHED_RETRY_POLITE, NULL);
	assert_string_equal(w.asked, "evidence polite");
}

static void
test_start_failed(void **state)
{
	struct sched_state	 s;

	(void)state;
	sched_start_failed(0, NOW, &s);
	assert_string_equal(s.state, "queued");
	assert_null(s.result);
	assert_int_equal(s.probe_id, 0);
	assert_int_equal(s.not_before, NOW + SCHED_RETRY_ERROR);
	assert_string_equal(s.why, "database error: retry");
	sched_start_failed(1, NOW, &s);
	assert_string_equal(s.state, "pending");
	assert_int_equal(s.not_before, NOW + SCHED_RETRY_ERROR);
	assert_null(s.why);
}

static void
test_lists(void **state)
{
	(void)state;
	assert_int_equal(sched_lists(0, 0, NOW), 1);	/* never expires */
	assert_int_equal(sched_lists(1, 0, NOW), 0);	/* an exclusion */
	assert_int_equal(sched_lists(0, NOW + 1, NOW), 1);
	assert_int_equal(sched_lists(0, NOW, NOW), 0);	/* expired at now */
	assert_int_equal(sched_lists(0, NOW - 1, NOW), 0);
	assert_int_equal(sched_lists(1, NOW + 1, NOW), 0);
}

/* -- after a run ----------------------------------------------------- */

static struct sched_run
R(enum verdict v, int tries)
{
	struct sched_run	 r;

	memset(&r, 0, sizeof(r));
	r.verdict = v;
	r.closed = run_verdict_closed(v);
	r.probe_id = 42;
	r.port = 25;
	r.why = "550 relay denied";
	r.tries = tries;
	return r;
}

static void
test_submission_result(void **state)
{
	struct conf		 c;
	struct sched_state	 s;
	struct sched_run	 r;
	int64_t			 b;

	(void)state;
	conf_init(&c);
	c.tempfail_retry = 300;
	c.tempfail_tries = 3;

	r = R(VERDICT_TEMPFAIL, 1);
	r.interrupted = 1;
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_string_equal(s.state, "queued");
	assert_null(s.result);
	assert_int_equal(s.probe_id, 0);
	assert_int_equal(s.not_before, 0);
	assert_string_equal(s.why, "run interrupted: prober stopped");
	assert_int_equal(b, 0);

	r = R(VERDICT_TEMPFAIL, 1);
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_string_equal(s.state, "queued");
	assert_string_equal(s.result, "tempfail");
	assert_int_equal(s.probe_id, 42);
	assert_int_equal(s.not_before, NOW + 300);
	assert_string_equal(s.why, "4xx: trying again later");
	assert_int_equal(b, 300);

	/* The last try allowed: tries 2 of 3 still queues, doubled. */
	r = R(VERDICT_TEMPFAIL, 2);
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_string_equal(s.state, "queued");
	assert_int_equal(s.not_before, NOW + 600);
	assert_int_equal(b, 600);
	/* tries == tempfail_tries: the tempfail is the result. */
	r = R(VERDICT_TEMPFAIL, 3);
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_null(s.state);
	assert_int_equal(b, 0);
	/* Stopping: no further try. */
	r = R(VERDICT_TEMPFAIL, 1);
	r.stopping = 1;
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_null(s.state);
	assert_int_equal(b, 0);
	/* Any other verdict: recording the run said it all. */
	r = R(VERDICT_CLOSED, 1);
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_null(s.state);
	r = R(VERDICT_CONFIRMED, 1);
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_null(s.state);
	r = R(VERDICT_TIMEOUT, 1);
	sched_submission_result(&c, &r, NOW, &s, &b);
	assert_null(s.state);
	conf_free(&c);
}

/* The request outcome rule, one row per case. */
struct rq_row {
	const char	*name;
	enum verdict	 v;
	int		 interrupted, evidence_left, still_listed, delisted;
	int		 tries, stopping;
	const char	*hops;
	enum sched_answer ans;
	const char	*state;
	int64_t		 wait;		/* not_before - NOW, or 0 */
	int		 decided;	/* next.why is the text */
	const char	*text;		/* NULL: left untouched */
};

static const struct rq_row rq_rows[] = {
	{ "interrupted", VERDICT_NONE, 1, 0, 0, 0, 1, 0, NULL,
	    SCHED_ANS_INTERRUPTED, "pending", 0, 0, NULL },
	{ "interrupted while stopping", VERDICT_NONE, 1, 1, 0, 0, 3, 1, NULL,
	    SCHED_ANS_INTERRUPTED, "pending", 0, 0, NULL },
	{ "still open", VERDICT_CONFIRMED, 0, 1, 0, 0, 1, 0, "single-hop",
	    SCHED_ANS_OPEN, "refused", 0, 1,
	    "re-test #42 on " DAY_TEXT ", port 25: still an open relay "
	    "(test 3 relayed, single-hop); the listing stays" },
	{ "still open, no hops, stopping", VERDICT_CONFIRMED, 0, 0, 0, 0, 5,
	    1, NULL, SCHED_ANS_OPEN, "refused", 0, 1,
	    "re-test #42 on " DAY_TEXT ", port 25: still an open relay "
	    "(test 3 relayed, ); the listing stays" },
	{ "closed, one port left", VERDICT_CLOSED, 0, 1, 0, 0, 1, 0, NULL,
	    SCHED_ANS_NEXT_PORT, "pending", 0, 0,
	    "re-test #42 on " DAY_TEXT ", port 25: closed (550 relay "
	    "denied); 1 more port to re-test" },
	{ "refused, two ports left, an operator's entry too", VERDICT_REFUSED,
	    0, 2, 1, 0, 1, 0, NULL, SCHED_ANS_NEXT_PORT, "pending", 0, 0,
	    "re-test #42 on " DAY_TEXT ", port 25: refused (550 relay "
	    "denied); 2 more ports to re-test" },
	{ "closed, the last port: delisted", VERDICT_CLOSED, 0, 0, 0, 1, 1, 0,
	    NULL, SCHED_ANS_DELISTED, "delisted", 0, 1,
	    "re-test #42 on " DAY_TEXT ", port 25: closed (550 relay "
	    "denied); delisted" },
	{ "bounced, not listed", VERDICT_BOUNCED, 0, 0, 0, 0, 2, 1, NULL,
	    SCHED_ANS_DELISTED, "delisted", 0, 1,
	    "re-test #42 on " DAY_TEXT ", port 25: bounced (550 relay "
	    "denied); it was not listed" },
	{ "accepted-not-delivered, an operator's entry", VERDICT_ACCEPTED, 0,
	    0, 1, 1, 1, 0, NULL, SCHED_ANS_OPERATOR, "refused", 0, 1,
	    "re-test #42 on " DAY_TEXT ", port 25: accepted-not-delivered, "
	    "but an entry set by the operator (manual, imported or a range) "
	    "still lists it: ask the operator" },
	{ "tempfail, first try", VERDICT_TEMPFAIL, 0, 1, 0, 0, 1, 0, NULL,
	    SCHED_ANS_AGAIN, "pending", 300, 0,
	    "re-test #42: tempfail (550 relay denied); trying again later" },
	{ "timeout, second try: doubled", VERDICT_TIMEOUT, 0, 1, 0, 0, 2, 0,
	    NULL, SCHED_ANS_AGAIN, "pending", 600, 0,
	    "re-test #42: timeout (550 relay denied); trying again later" },
	{ "unreachable, the last try: refused", VERDICT_UNREACHABLE, 0, 1, 0,
	    0, 3, 0, NULL, SCHED_ANS_GIVE_UP, "refused", 0, 1,
	    "re-test #42: unreachable (550 relay denied) after 3 tries: the "
	    "server could not be tested; fix it and ask again" },
	{ "protocol error, past the last try", VERDICT_PROTO, 0, 0, 0, 0, 4,
	    0, NULL, SCHED_ANS_GIVE_UP, "refused", 0, 1,
	    "re-test #42: protocol-error (550 relay denied) after 4 tries: "
	    "the server could not be tested; fix it and ask again" },
	{ "tempfail while stopping: open", VERDICT_TEMPFAIL, 0, 1, 0, 0, 1, 1,
	    NULL, SCHED_ANS_STOPPED, "pending", 0, 0,
	    "re-test #42: tempfail (550 relay denied) after 1 tries: the "
	    "server could not be tested; fix it and ask again" },
};

/* A row's check failed: say which row. */
#define ROW_FAIL(row, what, want, got)					\
	fail_msg("%s: %s: want \"%s\", got \"%s\"", (row)->name, what,	\
	    want, got)

static void
test_request_result(void **state)
{
	struct conf		 c;
	struct sched_state	 s;
	struct sched_run	 r;
	const struct rq_row	*row;
	enum sched_answer	 ans;
	char			 text[512], want[32], got[32];
	const char		*wtext;
	size_t			 i;

	(void)state;
	conf_init(&c);
	c.tempfail_retry = 300;
	c.request_tries = 3;
	for (i = 0; i < sizeof(rq_rows) / sizeof(rq_rows[0]); i++) {
		row = &rq_rows[i];
		r = R(row->v, row->tries);
		r.interrupted = row->interrupted;
		r.evidence_left = row->evidence_left;
		r.still_listed = row->still_listed;
		r.delisted = row->delisted;
		r.stopping = row->stopping;
		r.hops = row->hops;
		r.relayed_test = row->v == VERDICT_CONFIRMED ? 3 : 0;
		snprintf(text, sizeof(text), "untouched");
		ans = sched_request_result(&c, &r, NOW, text, sizeof(text), &s);
		if (ans != row->ans) {
			snprintf(want, sizeof(want), "%d", (int)row->ans);
			snprintf(got, sizeof(got), "%d", (int)ans);
			ROW_FAIL(row, "answer", want, got);
		}
		if (s.state == NULL || strcmp(s.state, row->state) != 0)
			ROW_FAIL(row, "state", row->state, s.state ? s.state :
			    "(null)");
		if (s.result != NULL || s.probe_id != 42)
			ROW_FAIL(row, "result, probe", "(null), 42",
			    s.result ? s.result : "(null)");
		if (s.not_before != (row->wait ? NOW + row->wait : 0)) {
			snprintf(want, sizeof(want), "%lld", (long long)
			    (row->wait ? NOW + row->wait : 0));
			snprintf(got, sizeof(got), "%lld",
			    (long long)s.not_before);
			ROW_FAIL(row, "not_before", want, got);
		}
		if (row->decided ? s.why != text : s.why != NULL)
			ROW_FAIL(row, "decision", row->decided ? "the text" :
			    "(null)", s.why ? s.why : "(null)");
		wtext = row->text ? row->text : "untouched";
		if (strcmp(text, wtext) != 0)
			ROW_FAIL(row, "text", wtext, text);
	}
	conf_free(&c);
}

/* A text longer than the buffer is cut, never overrun. */
static void
test_request_result_short(void **state)
{
	struct conf		 c;
	struct sched_state	 s;
	struct sched_run	 r = R(VERDICT_CLOSED, 1);
	char			 text[16 + 1];

	(void)state;
	conf_init(&c);
	text[16] = 'X';
	assert_int_equal(sched_request_result(&c, &r, NOW, text, 16, &s),
	    SCHED_ANS_DELISTED);
	assert_string_equal(text, "re-test #42 on ");
	assert_int_equal(text[16], 'X');
	conf_free(&c);
}

/* -- the periodic re-test scan, timers ------------------------------- */

static void
test_scan_due(void **state)
{
	struct conf	 c;
	int64_t		 next = 0;

	(void)state;
	conf_init(&c);
	c.relist_retest = 0;	/* off */
	assert_int_equal(sched_scan_due(&c, NOW, &next), 0);
	assert_int_equal(next, 0);

	c.relist_retest = 7 * 86400;
	assert_int_equal(sched_scan_due(&c, NOW, &next), 1);
	assert_int_equal(next, NOW + SCHED_RETEST_EVERY);
	assert_int_equal(sched_scan_due(&c, next - 1, &next), 0);
	assert_int_equal(next, NOW + SCHED_RETEST_EVERY);
	/* Exactly at the next scan's time: due. */
	assert_int_equal(sched_scan_due(&c, next, &next), 1);
	assert_int_equal(next, NOW + 2 * SCHED_RETEST_EVERY);
	assert_int_equal(sched_scan_before(&c, NOW), NOW - 7 * 86400);

	/* A re-test interval shorter than the scan period sets it. */
	c.relist_retest = 30;
	next = 0;
	assert_int_equal(sched_scan_due(&c, NOW, &next), 1);
	assert_int_equal(next, NOW + 30);
	c.relist_retest = SCHED_RETEST_EVERY;
	assert_int_equal(sched_scan_due(&c, NOW + 30, &next), 1);
	assert_int_equal(next, NOW + 30 + SCHED_RETEST_EVERY);
	conf_free(&c);
}

static void
test_scan_rows(void **state)
{
	struct sched_scan	 s;
	int			 i, last = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(sched_scan_take(&s, NULL), 1);
	assert_int_equal(sched_scan_take(&s, "not tested by policy"), 0);
	assert_int_equal(sched_scan_take(&s, "not tested by policy"), 0);
	assert_int_equal(s.skipped, 2);
	assert_int_equal(s.queued, 0);
	/* Stops at SCHED_RETEST_MAX queued, not one before. */
	for (i = 1; i < SCHED_RETEST_MAX; i++)
		assert_int_equal(sched_scan_queued(&s), 0);
	assert_int_equal(sched_scan_queued(&s), 1);
	assert_int_equal(s.queued, SCHED_RETEST_MAX);

	/* Skipped addresses: said when the number changes. */
	assert_int_equal(sched_scan_say_skipped(&s, &last), 1);
	assert_int_equal(last, 2);
	assert_int_equal(sched_scan_say_skipped(&s, &last), 0);
	s.skipped = 0;
	assert_int_equal(sched_scan_say_skipped(&s, &last), 1);
	assert_int_equal(last, 0);
	assert_int_equal(sched_scan_say_skipped(&s, &last), 0);
}

static void
test_expire_stop(void **state)
{
	int64_t	 next = 0;

	(void)state;
	assert_int_equal(sched_expire_due(NOW, &next), 1);
	assert_int_equal(next, NOW + SCHED_EXPIRE_EVERY);
	assert_int_equal(sched_expire_due(next - 1, &next), 0);
	assert_int_equal(sched_expire_due(next, &next), 1);
	assert_int_equal(next, NOW + 2 * SCHED_EXPIRE_EVERY);

	assert_int_equal(sched_stop_done(0, NOW, NOW + SCHED_STOP_GRACE), 1);
	assert_int_equal(sched_stop_done(1, NOW, NOW + SCHED_STOP_GRACE), 0);
	assert_int_equal(sched_stop_done(5, NOW + SCHED_STOP_GRACE - 1,
	    NOW + SCHED_STOP_GRACE), 0);
	assert_int_equal(sched_stop_done(5, NOW + SCHED_STOP_GRACE,
	    NOW + SCHED_STOP_GRACE), 1);
}

static void
test_db_say(void **state)
{
	int	 locked = 0;

	(void)state;
	/* Not a lock: every time, the count untouched. */
	assert_int_equal(sched_db_trouble(&locked, 0), SCHED_SAY_ERROR);
	assert_int_equal(sched_db_trouble(&locked, 0), SCHED_SAY_ERROR);
	assert_int_equal(locked, 0);
	assert_int_equal(sched_db_fine(&locked), 0);
	/* Locked: said on the first tick only. */
	assert_int_equal(sched_db_trouble(&locked, 1), SCHED_SAY_LOCKED);
	assert_int_equal(sched_db_trouble(&locked, 1), SCHED_SAY_NOTHING);
	assert_int_equal(sched_db_trouble(&locked, 1), SCHED_SAY_NOTHING);
	assert_int_equal(sched_db_trouble(&locked, 0), SCHED_SAY_ERROR);
	assert_int_equal(locked, 3);
	/* Free again: how long, once. */
	assert_int_equal(sched_db_fine(&locked), 3);
	assert_int_equal(locked, 0);
	assert_int_equal(sched_db_fine(&locked), 0);
	assert_int_equal(sched_db_trouble(&locked, 1), SCHED_SAY_LOCKED);
}

static void
test_fd(void **state)
{
	long long	 conc;

	(void)state;
	assert_int_equal(sched_fd_need(100), 100 + SCHED_FD_SINK +
	    SCHED_FD_RESERVE);
	/* Exactly enough: unchanged. */
	conc = 100;
	assert_int_equal(sched_fd_lower(sched_fd_need(100), &conc), 0);
	assert_int_equal(conc, 100);
	conc = 100;
	assert_int_equal(sched_fd_lower(sched_fd_need(100) + 1000, &conc), 0);
	assert_int_equal(conc, 100);
	/* One short: one fewer. */
	conc = 100;
	assert_int_equal(sched_fd_lower(sched_fd_need(100) - 1, &conc), 1);
	assert_int_equal(conc, 99);
	/* Far too few: still one at a time. */
	conc = 100;
	assert_int_equal(sched_fd_lower(64, &conc), 1);
	assert_int_equal(conc, 1);
	conc = 1;
	assert_int_equal(sched_fd_lower(64, &conc), 1);
	assert_int_equal(conc, 1);
}

/* -- decisions on facts from a real database --------------------------- */

struct fixture {
	struct dbfix	 d;
	struct conf	 c;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL || dbfix_setup(&f->d, "sched") == -1) {
		free(f);
		return -1;
	}
	conf_init(&f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	conf_free(&f->c);
	dbfix_teardown(&f->d);
	free(f);
	return 0;
}

/* A run on addr:port that started at 'started' and finished with verdict
 * (a confirmed one lists addr: evidence for port). */
static int64_t
run_at(struct fixture *f, const char *addr, int port, const char *verdict,
    int64_t started)
{
	struct listing	 l;
	struct probe	 p;
	int64_t		 id = -1;

	if (db_probe_begin(f->d.db, addr, port, 0, 0, &id) != 0)
		fail_msg("db_probe_begin: %s", db_errmsg(f->d.db));
	memset(&p, 0, sizeof(p));
	p.id = id;
	p.addr = addr;
	p.port = port;
	p.verdict = verdict;
	p.finished = started + 60;
	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr(addr);
	l.code = DB_CODE_DEFAULT;
	l.source = "probe";
	l.probe_id = id;
	l.actor = "prober";
	if (db_probe_finish(f->d.db, &p, NULL, 0, strcmp(verdict,
	    "confirmed") ? NULL : &l, "test") != 0)
		fail_msg("db_probe_finish: %s", db_errmsg(f->d.db));
	dbfix_exec(&f->d, "UPDATE probe SET started = %lld WHERE id = %lld",
	    (long long)started, (long long)id);
	return id;
}

static int
one_sub(const struct submission *s, void *arg)
{
	*(int64_t *)arg = s->id;
	return 0;
}

/* A claim lives until its lease end, inclusive, and not a second more. */
static void
test_lease_boundary(void **state)
{
	struct fixture	*f = *state;
	int64_t		 id, got = 0, lease;
	int		 n = -1;

	f->c.probe_timeout = 300;
	f->c.arrival_wait = 60;
	lease = sched_lease_until(&f->c, NOW);
	assert_int_equal(db_submission_add(f->d.db, "192.0.2.10", 25, "t",
	    NULL, "test", &id), 0);
	assert_int_equal(db_submission_claim(f->d.db, NOW, lease, "prober", 1,
	    one_sub, &got), 0);
	assert_int_equal(got, id);
	assert_int_equal(dbfix_int(&f->d, "SELECT lease_until FROM claim "
	    "WHERE addr = '192.0.2.10'"), NOW + 300 + 60 + SCHED_LEASE_MARGIN);

	assert_int_equal(db_claim_expire(f->d.db, lease, NULL, "prober", &n),
	    0);
	assert_int_equal(n, 0);
	assert_string_equal(dbfix_text(&f->d, "SELECT state FROM submission "
	    "WHERE id = %lld", (long long)id), "probing");
	assert_int_equal(db_claim_expire(f->d.db, lease + 1, NULL, "prober",
	    &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(dbfix_text(&f->d, "SELECT state FROM submission "
	    "WHERE id = %lld", (long long)id), "queued");
}

/* The submission decision with the politeness fact read as the prober
 * reads it. */
static enum sched_act
polite_decision(struct fixture *f, const char *addr, int64_t now)
{
	struct sched_facts	 facts;
	struct sched_claim	 d;

	sched_facts_init(&facts, NULL);
	facts.recent = 0;
	sched_claim_submission(&facts, now, &d);
	assert_int_equal(d.act, SCHED_ASK);
	assert_int_equal(d.ask, SCHED_FACT_POLITE);
	facts.polite = policy_politeness(&f->c, f->d.db, addr, now);
	sched_claim_submission(&facts, now, &d);
	return d.act;
}

static void
test_politeness_limit(void **state)
{
	struct fixture	*f = *state;
	int64_t		 id;

	f->c.prefix_limit = 2;
	/* One run in the /24 in the last hour: under the limit. */
	run_at(f, "192.0.2.1", 25, "closed", NOW - 10);
	assert_int_equal(polite_decision(f, "192.0.2.77", NOW), SCHED_START);
	/* Two, the older exactly an hour ago: at the limit, wait. */
	id = run_at(f, "192.0.2.2", 25, "closed", NOW - HOUR);
	assert_int_equal(polite_decision(f, "192.0.2.77", NOW),
	    SCHED_PUT_BACK);
	/* Its own address counts too. */
	assert_int_equal(polite_decision(f, "192.0.2.2", NOW),
	    SCHED_PUT_BACK);
	/* A second later that run is out of the hour. */
	assert_int_equal(polite_decision(f, "192.0.2.77", NOW + 1),
	    SCHED_START);
	dbfix_exec(&f->d, "UPDATE probe SET started = %lld WHERE id = %lld",
	    (long long)(NOW - HOUR - 1), (long long)id);
	assert_int_equal(polite_decision(f, "192.0.2.77", NOW), SCHED_START);
	/* Another /24 is another network. */
	run_at(f, "198.51.100.1", 25, "closed", NOW - 10);
	run_at(f, "198.51.100.2", 25, "closed", NOW - 10);
	assert_int_equal(polite_decision(f, "198.51.100.3", NOW),
	    SCHED_PUT_BACK);
	assert_int_equal(polite_decision(f, "198.51.101.3", NOW),
	    SCHED_START);
	/* IPv6: per /64. */
	run_at(f, "2001:db8::1", 25, "closed", NOW - 10);
	assert_int_equal(polite_decision(f, "2001:db8::ffff", NOW),
	    SCHED_START);
	run_at(f, "2001:db8::2", 25, "closed", NOW - 10);
	assert_int_equal(polite_decision(f, "2001:db8::ffff", NOW),
	    SCHED_PUT_BACK);
	assert_int_equal(polite_decision(f, "2001:db8:0:1::1", NOW),
	    SCHED_START);
}

static int
listed_cb(const struct listing *l, void *arg)
{
	*(int *)arg = sched_lists(l->exclude, l->expires, NOW);
	return 0;
}

/* The request decision with the facts read as the prober reads them. */
static void
request_decision(struct fixture *f, const char *addr, char *asked,
    size_t len, struct sched_claim *d)
{
	struct sched_facts	 facts;
	struct addr		 a = dbfix_addr(addr);

	asked[0] = '\0';
	sched_facts_init(&facts, NULL);
	for (sched_claim_request(&facts, NOW, d); d->act == SCHED_ASK;
	    sched_claim_request(&facts, NOW, d)) {
		snprintf(asked + strlen(asked), len - strlen(asked), "%s%s",
		    asked[0] ? " " : "", fact_name(d->ask));
		switch (d->ask) {
		case SCHED_FACT_EVIDENCE:
			assert_int_equal(db_evidence_ports(f->d.db, addr,
			    facts.ports, POLICY_PORTS_MAX, &facts.nports), 0);
			break;
		case SCHED_FACT_LISTED:
			facts.listed = 0;
			assert_int_equal(db_listing_covering(f->d.db, &a,
			    listed_cb, &facts.listed), 0);
			break;
		case SCHED_FACT_POLITE:
			facts.polite = policy_politeness(&f->c, f->d.db, addr,
			    NOW);
			break;
		default:
			fail_msg("asked for %s", fact_name(d->ask));
		}
	}
}

static void
test_evidence_ports_db(void **state)
{
	struct fixture		*f = *state;
	struct sched_claim	 d;
	struct listing		 l;
	char			 asked[64];

	f->c.prefix_limit = 1000;
	/* Zero ports, not listed: delisted without a run. */
	request_decision(f, "192.0.2.20", asked, sizeof(asked), &d);
	assert_int_equal(d.act, SCHED_PUT_BACK);
	assert_string_equal(d.next.state, "delisted");
	assert_string_equal(asked, "evidence listed");
	/* Zero ports, an operator's entry (a range) lists it: refused. */
	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr("192.0.2.0/28");
	l.code = DB_CODE_DEFAULT;
	l.source = "manual";
	l.actor = "admin";
	assert_int_equal(db_listing_put(f->d.db, &l, "test", NULL), 0);
	request_decision(f, "192.0.2.3", asked, sizeof(asked), &d);
	assert_int_equal(d.act, SCHED_PUT_BACK);
	assert_string_equal(d.next.state, "refused");
	/* One port of evidence: that one. */
	run_at(f, "192.0.2.21", 587, "confirmed", NOW - 2 * HOUR);
	request_decision(f, "192.0.2.21", asked, sizeof(asked), &d);
	assert_int_equal(d.act, SCHED_START);
	assert_int_equal(d.port, 587);
	assert_string_equal(asked, "evidence polite");
	/* Many, recorded in any order: the lowest first. */
	run_at(f, "192.0.2.21", 465, "confirmed", NOW - 2 * HOUR);
	run_at(f, "192.0.2.21", 25, "confirmed", NOW - 2 * HOUR);
	run_at(f, "192.0.2.21", 2525, "confirmed", NOW - 2 * HOUR);
	request_decision(f, "192.0.2.21", asked, sizeof(asked), &d);
	assert_int_equal(d.act, SCHED_START);
	assert_int_equal(d.port, 25);
	/* A closed re-test on 25 removes its evidence: then 465. */
	assert_int_equal(db_probe_delist(f->d.db, "192.0.2.21", 25, "test",
	    &(int){ 0 }), 0);
	request_decision(f, "192.0.2.21", asked, sizeof(asked), &d);
	assert_int_equal(d.act, SCHED_START);
	assert_int_equal(d.port, 465);
}

int
main(void)
{
#define T(t)	cmocka_unit_test(t)
#define U(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_lease_until),
		T(test_room),
		T(test_backoff),
		T(test_facts_init),
		T(test_submission_refused),
		T(test_submission_stands),
		T(test_submission_start),
		T(test_submission_polite),
		T(test_request_refused),
		T(test_request_no_evidence),
		T(test_request_evidence_error),
		T(test_request_ports),
		T(test_request_polite),
		T(test_start_failed),
		T(test_lists),
		T(test_submission_result),
		T(test_request_result),
		T(test_request_result_short),
		T(test_scan_due),
		T(test_scan_rows),
		T(test_expire_stop),
		T(test_db_say),
		T(test_fd),
		U(test_lease_boundary),
		U(test_politeness_limit),
		U(test_evidence_ports_db),
	};
#undef T
#undef U

	return cmocka_run_group_tests(tests, NULL, NULL);
}
