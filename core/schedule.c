/*
 * schedule.c -- see schedule.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "schedule.h"

int64_t
sched_lease_until(const struct conf *c, int64_t now)
{
	return now + c->probe_timeout + c->arrival_wait + SCHED_LEASE_MARGIN;
}

int
sched_room(long long concurrency, size_t active)
{
	long long	 room = concurrency - (long long)active;

	if (room > SCHED_CLAIM_MAX)
		room = SCHED_CLAIM_MAX;
	return room > 0 ? (int)room : 0;
}

int64_t
sched_backoff(long long tempfail_retry, int tries)
{
	return tempfail_retry << (tries > 1 ? tries - 1 : 0);
}

static void
put_back(struct sched_claim *d, const char *state, const char *result,
    int64_t not_before, const char *why)
{
	d->act = SCHED_PUT_BACK;
	d->next.state = state;
	d->next.result = result;
	d->next.probe_id = 0;
	d->next.not_before = not_before;
	d->next.why = why;
}

static void
ask(struct sched_claim *d, enum sched_fact f)
{
	d->act = SCHED_ASK;
	d->ask = f;
}

void
sched_facts_init(struct sched_facts *f, const char *refused)
{
	memset(f, 0, sizeof(*f));
	f->refused = refused;
	f->recent = SCHED_UNKNOWN;
	f->nports = SCHED_UNKNOWN;
	f->listed = SCHED_UNKNOWN;
	f->polite = SCHED_UNKNOWN;
}

void
sched_claim_submission(const struct sched_facts *f, int64_t now,
    struct sched_claim *d)
{
	memset(d, 0, sizeof(*d));
	if (f->refused != NULL) {
		put_back(d, "failed", "not-allowed", 0, f->refused);
		return;
	}
	/* The same rule as at submission: a recent verdict on this port
	 * stands.  Without the answer (a database error) the run goes on:
	 * a test too many is better than none. */
	if (f->recent == SCHED_UNKNOWN) {
		ask(d, SCHED_FACT_RECENT);
		return;
	}
	if (f->recent == 1) {
		d->act = SCHED_STANDS;
		d->next.state = "done";
		d->next.result = f->last.last_verdict;
		d->next.probe_id = f->last.last_probe;
		d->next.why = "tested less than retest_interval ago: the last "
		    "verdict stands";
		return;
	}
	if (f->polite == SCHED_UNKNOWN) {
		ask(d, SCHED_FACT_POLITE);
		return;
	}
	if (f->polite == -1) {
		put_back(d, "queued", NULL, now + SCHED_RETRY_ERROR,
		    "database error: retry");
		return;
	}
	if (f->polite == 1) {
		put_back(d, "queued", NULL, now + SCHED_RETRY_POLITE,
		    "politeness: prefix_limit runs in this network in the "
		    "last hour");
		return;
	}
	d->act = SCHED_START;
}

void
sched_claim_request(const struct sched_facts *f, int64_t now,
    struct sched_claim *d)
{
	memset(d, 0, sizeof(*d));
	if (f->refused != NULL) {
		put_back(d, "refused", NULL, 0, f->refused);
		return;
	}
	/* Re-test on the ports of the listing's evidence, one at a time:
	 * a closed port removes its own evidence, and the next claim tests
	 * the next port.  Never on a port somebody else named. */
	if (f->nports == SCHED_UNKNOWN) {
		ask(d, SCHED_FACT_EVIDENCE);
		return;
	}
	if (f->nports == -1) {
		put_back(d, "pending", NULL, now + SCHED_RETRY_ERROR, NULL);
		return;
	}
	if (f->nports == 0) {
		/* Nothing a re-test could remove: no longer listed (the
		 * operator removed it), or an entry of the operator's. */
		if (f->listed == SCHED_UNKNOWN)
			ask(d, SCHED_FACT_LISTED);
		else if (f->listed == -1)
			put_back(d, "pending", NULL, now + SCHED_RETRY_ERROR,
			    NULL);
		else if (f->listed)
			put_back(d, "refused", NULL, 0, "no test evidence "
			    "lists this address: the entry that lists it is "
			    "the operator's; ask the operator");
		else
			put_back(d, "delisted", NULL, 0, "not listed any "
			    "more: nothing to re-test");
		return;
	}
	if (f->polite == SCHED_UNKNOWN) {
		ask(d, SCHED_FACT_POLITE);
		return;
	}
	/* Unsure about politeness: wait as if it said so (the owner waits
	 * a little longer rather than the network getting one run too
	 * many). */
	if (f->polite == -1 || f->polite == 1) {
		put_back(d, "pending", NULL, now + SCHED_RETRY_POLITE, NULL);
		return;
	}
	d->act = SCHED_START;
	d->port = f->ports[0];
}

void
sched_start_failed(int request, int64_t now, struct sched_state *next)
{
	memset(next, 0, sizeof(*next));
	next->state = request ? "pending" : "queued";
	next->not_before = now + SCHED_RETRY_ERROR;
	next->why = request ? NULL : "database error: retry";
}

int
sched_lists(int exclude, int64_t expires, int64_t now)
{
	return !exclude && (expires == 0 || expires > now);
}

void
sched_submission_result(const struct conf *c, const struct sched_run *r,
    int64_t now, struct sched_state *next, int64_t *backoff)
{
	memset(next, 0, sizeof(*next));
	*backoff = 0;
	if (r->interrupted) {
		next->state = "queued";
		next->why = "run interrupted: prober stopped";
		return;
	}
	/* A stopping prober queues no further try: the submission ends
	 * done, tempfail. */
	if (r->verdict == VERDICT_TEMPFAIL && !r->stopping &&
	    r->tries < c->tempfail_tries) {
		*backoff = sched_backoff(c->tempfail_retry, r->tries);
		next->state = "queued";
		next->result = "tempfail";
		next->probe_id = r->probe_id;
		next->not_before = now + *backoff;
		next->why = "4xx: trying again later";
	}
}

/*
 * Still open -> refused with the new evidence; closed on this port -> the
 * next evidence port if there is one, else delisted (recording the run
 * removed the probe listing in the same transaction); inconclusive ->
 * again later, refused after request_tries.
 */
enum sched_answer
sched_request_result(const struct conf *c, const struct sched_run *r,
    int64_t now, char *why, size_t wl, struct sched_state *next)
{
	struct tm	 tm;
	time_t		 t = (time_t)now;
	char		 day[32];

	memset(next, 0, sizeof(*next));
	next->probe_id = r->probe_id;
	next->state = "pending";
	if (r->interrupted)
		return SCHED_ANS_INTERRUPTED;
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
	if (r->verdict == VERDICT_CONFIRMED) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: still an open "
		    "relay (test %d relayed, %s); the listing stays",
		    (long long)r->probe_id, day, r->port, r->relayed_test,
		    r->hops ? r->hops : "");
		next->state = "refused";
		next->why = why;
		return SCHED_ANS_OPEN;
	}
	if (r->closed && r->evidence_left > 0) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: %s (%s); "
		    "%d more port%s to re-test", (long long)r->probe_id, day,
		    r->port, verdict_name(r->verdict), r->why,
		    r->evidence_left, r->evidence_left == 1 ? "" : "s");
		return SCHED_ANS_NEXT_PORT;
	}
	if (r->closed && !r->still_listed) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: %s (%s); %s",
		    (long long)r->probe_id, day, r->port,
		    verdict_name(r->verdict), r->why, r->delisted ?
		    "delisted" : "it was not listed");
		next->state = "delisted";
		next->why = why;
		return SCHED_ANS_DELISTED;
	}
	if (r->closed) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: %s, but an "
		    "entry set by the operator (manual, imported or a range) "
		    "still lists it: ask the operator",
		    (long long)r->probe_id, day, r->port,
		    verdict_name(r->verdict));
		next->state = "refused";
		next->why = why;
		return SCHED_ANS_OPERATOR;
	}
	if (r->tries < c->request_tries && !r->stopping) {
		snprintf(why, wl, "re-test #%lld: %s (%s); trying again later",
		    (long long)r->probe_id, verdict_name(r->verdict), r->why);
		next->not_before = now + sched_backoff(c->tempfail_retry,
		    r->tries);
		return SCHED_ANS_AGAIN;
	}
	snprintf(why, wl, "re-test #%lld: %s (%s) after %d tries: the server "
	    "could not be tested; fix it and ask again",
	    (long long)r->probe_id, verdict_name(r->verdict), r->why,
	    r->tries);
	/* A stopping prober leaves the request open: the next start tries
	 * again rather than refusing on a run cut short. */
	if (r->stopping)
		return SCHED_ANS_STOPPED;
	next->state = "refused";
	next->why = why;
	return SCHED_ANS_GIVE_UP;
}

int
sched_scan_due(const struct conf *c, int64_t now, int64_t *next)
{
	if (c->relist_retest <= 0 || now < *next)
		return 0;
	*next = now + (c->relist_retest < SCHED_RETEST_EVERY ?
	    c->relist_retest : SCHED_RETEST_EVERY);
	return 1;
}

int64_t
sched_scan_before(const struct conf *c, int64_t now)
{
	return now - c->relist_retest;
}

int
sched_scan_take(struct sched_scan *s, const char *refused)
{
	if (refused != NULL) {
		s->skipped++;
		return 0;
	}
	return 1;
}

int
sched_scan_queued(struct sched_scan *s)
{
	return ++s->queued >= SCHED_RETEST_MAX;
}

int
sched_scan_say_skipped(const struct sched_scan *s, int *last)
{
	int	 say = s->skipped != *last;

	*last = s->skipped;
	return say;
}

int
sched_expire_due(int64_t now, int64_t *next)
{
	if (now < *next)
		return 0;
	*next = now + SCHED_EXPIRE_EVERY;
	return 1;
}

int
sched_stop_done(size_t active, int64_t now, int64_t deadline)
{
	return active == 0 || now >= deadline;
}

enum sched_say
sched_db_trouble(int *locked, int busy)
{
	if (!busy)
		return SCHED_SAY_ERROR;
	return (*locked)++ == 0 ? SCHED_SAY_LOCKED : SCHED_SAY_NOTHING;
}

int
sched_db_fine(int *locked)
{
	int	 was = *locked;

	*locked = 0;
	return was;
}

long long
sched_fd_need(long long concurrency)
{
	return concurrency + SCHED_FD_SINK + SCHED_FD_RESERVE;
}

int
sched_fd_lower(long long limit, long long *concurrency)
{
	long long	 have = limit - SCHED_FD_SINK - SCHED_FD_RESERVE;

	if (have >= *concurrency)
		return 0;
	*concurrency = have > 1 ? have : 1;
	return 1;
}
