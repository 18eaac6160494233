/*
 * queue.c -- orbl-prober's tick: claims submissions and delisting
 * requests from the database, starts their runs (at most
 * probe_concurrency at once, one run per address), writes what each run
 * made of the work that asked for it, releases dead claims and queues the
 * periodic re-tests.  What to do is core/schedule's to decide; this file
 * looks up the facts it asks for, writes the decisions and logs them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "policy.h"
#include "prober.h"
#include "run.h"
#include "schedule.h"
#include "target.h"
#include "xmalloc.h"

/*
 * Submissions claimed per pass of the tick.  Each claim costs a few
 * queries and the run's first row (some 0.3 ms): thousands in one
 * callback stalled every session for seconds.  A pass takes what fits in
 * half the time since the last one (the busier the sessions keep the
 * loop, the more a pass may take, or thousands of sessions would slow
 * the start of the others to a crawl), between CLAIM_MIN_USEC and
 * CLAIM_MAX_USEC, at the cost per
 * claim measured so far; a full pass brings the next one at once, after
 * the loop has served the sessions.  (File statics: one prober.)
 */
#define CLAIM_MIN_USEC	3000
#define CLAIM_MAX_USEC	20000
#define CLAIM_MIN	4
static int64_t	 claim_cost_us = 300;	/* per claim, a moving average */
static int64_t	 claim_last_us;		/* the last full pass ended */

/* One pass of submission claims. */
struct claim_pass {
	struct prober	*p;
	int		 n;		/* claimed (started or not) */
};

/* How many to claim in this pass (at most room). */
static int
claim_chunk(int room, int64_t now_us)
{
	int64_t	 budget, n;

	budget = claim_last_us > 0 ? (now_us - claim_last_us) / 2 : 0;
	if (budget < CLAIM_MIN_USEC)
		budget = CLAIM_MIN_USEC;
	if (budget > CLAIM_MAX_USEC)
		budget = CLAIM_MAX_USEC;
	n = budget / (claim_cost_us > 0 ? claim_cost_us : 1);
	if (n < CLAIM_MIN)
		n = CLAIM_MIN;
	return n < room ? (int)n : room;
}

struct job {
	struct prober	*p;
	int64_t		 submission_id;
	int64_t		 request_id;
	int		 tries;
	int64_t		 backoff;	/* tempfail: next try in */
	char		 why[512];	/* a request's decision */
};

static void	run_done_cb(const struct run_result *, void *);
static int	request_record_cb(const struct run_result *, struct db *,
		    void *);
static void	request_done_cb(const struct run_result *, void *);

void
prober_db_failed(struct prober *p)
{
	if (db_busy(p->db))
		p->db_busy++;
}

/*
 * A claimed unit of work that will not run now: its next state and the
 * release of its claim, in one transaction.  If the database is locked,
 * the claim stays and its lease (or the next start) releases it.
 */
static void
unit_put_back(struct prober *p, const char *addr, int64_t submission_id,
    int64_t request_id, const struct sched_state *next)
{
	int	 rc;

	if (db_begin(p->db) == -1) {
		prober_db_failed(p);
		log_warnx("%s: %s", addr, db_errmsg(p->db));
		return;
	}
	if (submission_id > 0)
		rc = db_submission_set(p->db, submission_id, next->state,
		    next->result, 0, next->not_before, "prober", next->why);
	else
		rc = db_request_set(p->db, request_id, next->state,
		    next->not_before, 0, next->why, "prober");
	if (rc == -1 || db_claim_release(p->db, addr, "prober") == -1 ||
	    db_commit(p->db) == -1) {
		prober_db_failed(p);
		log_warnx("%s: %s", addr, db_errmsg(p->db));
		db_rollback(p->db);
	}
}

/* What the scheduler needs to know of a run. */
static void
run_facts(const struct run_result *res, const struct job *job,
    struct sched_run *r)
{
	memset(r, 0, sizeof(*r));
	r->interrupted = res->interrupted;
	r->verdict = res->verdict;
	r->closed = run_verdict_closed(res->verdict);
	r->probe_id = res->probe_id;
	r->port = res->port;
	r->relayed_test = res->relayed_test;
	r->hops = res->hops;
	r->why = res->why;
	r->evidence_left = res->evidence_left;
	r->still_listed = res->still_listed;
	r->delisted = res->delisted;
	r->tries = job->tries;
	r->stopping = job->p->stopping;
}

/* The next state of a submission, in its run's transaction. */
static int
run_record_cb(const struct run_result *res, struct db *db, void *arg)
{
	struct job		*job = arg;
	struct sched_run	 r;
	struct sched_state	 next;
	int64_t			 backoff;

	run_facts(res, job, &r);
	sched_submission_result(&job->p->conf, &r, time(NULL), &next,
	    &backoff);
	/* For run_done_cb's log line.  Set, never cleared: when this
	 * transaction is tried again (the database was locked), the line
	 * is the first try's. */
	if (backoff > 0)
		job->backoff = backoff;
	if (next.state == NULL)
		return 0;
	return db_submission_set(db, job->submission_id, next.state,
	    next.result, next.probe_id, next.not_before, "prober", next.why);
}

/* Does the most specific entry covering the address list it? */
static int
listed_cb(const struct listing *l, void *arg)
{
	int	*listed = arg;

	*listed = sched_lists(l->exclude, l->expires, time(NULL));
	return 0;
}

/* Look up the fact a claim's decision asks for; a failure is logged
 * here, and the decision knows what to do about it. */
static void
claim_fact(struct prober *p, const char *addr, const struct addr *a,
    int port, int64_t now, enum sched_fact what, struct sched_facts *f)
{
	int	 rc = 0;

	switch (what) {
	case SCHED_FACT_RECENT:
		rc = f->recent = policy_recent_verdict(&p->conf, p->db, addr,
		    port, now, &f->last);
		break;
	case SCHED_FACT_EVIDENCE:
		f->nports = 0;
		if ((rc = db_evidence_ports(p->db, addr, f->ports,
		    POLICY_PORTS_MAX, &f->nports)) == -1)
			f->nports = -1;
		break;
	case SCHED_FACT_LISTED:
		f->listed = 0;
		if ((rc = db_listing_covering(p->db, a, listed_cb,
		    &f->listed)) == -1)
			f->listed = -1;
		break;
	case SCHED_FACT_POLITE:
		rc = f->polite = policy_politeness(&p->conf, p->db, addr, now);
		break;
	case SCHED_FACT_NONE:
		break;
	}
	if (rc == -1) {
		prober_db_failed(p);
		log_warnx("%s", db_errmsg(p->db));
	}
}

/* A new job for a unit whose run starts now. */
static struct job *
job_new(struct prober *p, int64_t submission_id, int64_t request_id,
    int tries)
{
	struct job	*job = xcalloc(1, sizeof(*job));

	job->p = p;
	job->submission_id = submission_id;
	job->request_id = request_id;
	job->tries = tries;
	return job;
}

/* One claimed submission: check it, then start its run. */
static int
claim_cb(const struct submission *s, void *arg)
{
	struct claim_pass	*cp = arg;
	struct prober		*p = cp->p;
	struct sched_facts	 f;
	struct sched_claim	 d;
	struct addr		 a;
	struct job		*job;
	char			 err[256];
	const char		*deny;
	int64_t			 now = time(NULL);

	cp->n++;
	memset(&a, 0, sizeof(a));
	if (target_check(&p->conf, s->addr, &a, err, sizeof(err)) == -1) {
		deny = target_denied_by(&p->conf, &a);
		log_info("submission %lld: %s%s%s", (long long)s->id, err,
		    deny ? ": probe_deny " : "", deny ? deny : "");
		sched_facts_init(&f, err);
	} else
		sched_facts_init(&f, NULL);
	for (sched_claim_submission(&f, now, &d); d.act == SCHED_ASK;
	    sched_claim_submission(&f, now, &d))
		claim_fact(p, s->addr, &a, s->port, now, d.ask, &f);
	switch (d.act) {
	case SCHED_STANDS:
		if (db_begin(p->db) == 0 &&
		    db_submission_set(p->db, s->id, d.next.state,
		    d.next.result, d.next.probe_id, d.next.not_before,
		    "prober", d.next.why) == 0 &&
		    db_claim_release(p->db, s->addr, "prober") == 0 &&
		    db_commit(p->db) == 0)
			return 0;
		prober_db_failed(p);
		log_warnx("%s", db_errmsg(p->db));
		db_rollback(p->db);
		return 0;
	case SCHED_PUT_BACK:
		unit_put_back(p, s->addr, s->id, 0, &d.next);
		return 0;
	default:
		break;
	}
	job = job_new(p, s->id, 0, s->tries);
	if (runs_start(p->runs, s->addr, s->port, s->id, 0, run_record_cb,
	    run_done_cb, job, NULL, NULL) == -1) {
		free(job);
		sched_start_failed(0, now, &d.next);
		unit_put_back(p, s->addr, s->id, 0, &d.next);
		return 0;
	}
	return 0;
}

static void
run_done_cb(const struct run_result *res, void *arg)
{
	struct job	*job = arg;
	struct prober	*p = job->p;

	if (res->interrupted) {
		free(job);
		return;
	}
	if (res->listed)
		p->listed++;
	if (res->delisted)
		p->delisted++;
	if (job->backoff > 0)
		log_info("submission %lld %s: tempfail, next try in %lld s",
		    (long long)job->submission_id, res->addr,
		    (long long)job->backoff);
	free(job);
}

/* A delisting request whose re-test may run now. */
static int
request_claim_cb(const struct delist_request *rq, void *arg)
{
	struct prober		*p = arg;
	struct sched_facts	 f;
	struct sched_claim	 d;
	struct addr		 a;
	struct job		*job;
	char			 err[256];
	int64_t			 now = time(NULL);

	memset(&a, 0, sizeof(a));
	sched_facts_init(&f, target_check(&p->conf, rq->addr, &a, err,
	    sizeof(err)) == -1 ? err : NULL);
	for (sched_claim_request(&f, now, &d); d.act == SCHED_ASK;
	    sched_claim_request(&f, now, &d))
		claim_fact(p, rq->addr, &a, 0, now, d.ask, &f);
	if (d.act != SCHED_START) {
		unit_put_back(p, rq->addr, 0, rq->id, &d.next);
		return 0;
	}
	job = job_new(p, 0, rq->id, rq->tries);
	if (runs_start(p->runs, rq->addr, d.port, 0, rq->id,
	    request_record_cb, request_done_cb, job, NULL, NULL) == -1) {
		free(job);
		sched_start_failed(1, now, &d.next);
		unit_put_back(p, rq->addr, 0, rq->id, &d.next);
		return 0;
	}
	log_info("delisting request %lld %s: re-testing port %d (try %d)",
	    (long long)rq->id, rq->addr, d.port, rq->tries);
	return 0;
}

/* The re-test of a delisting request decided, in the run's transaction
 * (sched_request_result says how). */
static int
request_record_cb(const struct run_result *res, struct db *db, void *arg)
{
	struct job		*job = arg;
	struct sched_run	 r;
	struct sched_state	 next;

	run_facts(res, job, &r);
	sched_request_result(&job->p->conf, &r, time(NULL), job->why,
	    sizeof(job->why), &next);
	return db_request_set(db, job->request_id, next.state,
	    next.not_before, next.probe_id, next.why, "prober");
}

static void
request_done_cb(const struct run_result *res, void *arg)
{
	struct job	*job = arg;
	struct prober	*p = job->p;

	if (!res->interrupted) {
		if (res->delisted)
			p->delisted++;
		log_info("delisting request %lld %s: %s", (long long)
		    job->request_id, res->addr, job->why);
	}
	free(job);
}

struct retest_ctx {
	struct prober		*p;
	struct sched_scan	 scan;
};

/* Probe-confirmed listings due for their periodic re-test, per evidence
 * port.  Addresses on the do-not-test list are skipped (never queued). */
static int
retest_due_cb(const char *addr, int port, void *arg)
{
	struct retest_ctx	*c = arg;
	struct prober		*p = c->p;
	struct addr		 a;
	char			 err[256];
	int64_t			 id;

	if (!sched_scan_take(&c->scan, target_check(&p->conf, addr, &a, err,
	    sizeof(err)) == -1 ? err : NULL))
		return 0;
	if (db_submission_add(p->db, addr, port, "orbl-prober: periodic "
	    "re-test", NULL, "prober", &id) == -1) {
		prober_db_failed(p);
		log_warnx("%s", db_errmsg(p->db));
		return 1;
	}
	log_info("%s port %d: listed since the last run more than %lld s "
	    "ago: re-test queued (submission %lld)", addr, port,
	    p->conf.relist_retest, (long long)id);
	return sched_scan_queued(&c->scan);
}

/* A claim failed: the error, or (a lock held by another writer) that it
 * is tried again every tick, once. */
static void
db_trouble(struct prober *p, const char *what)
{
	prober_db_failed(p);
	switch (sched_db_trouble(&p->db_locked, db_busy(p->db))) {
	case SCHED_SAY_ERROR:
		log_warnx("%s: %s", what, db_errmsg(p->db));
		break;
	case SCHED_SAY_LOCKED:
		log_warnx("%s: %s: trying again every tick", what,
		    db_errmsg(p->db));
		break;
	case SCHED_SAY_NOTHING:
		break;
	}
}

static void
db_fine(struct prober *p)
{
	int	 ticks;

	if ((ticks = sched_db_fine(&p->db_locked)) > 0)
		log_info("the database is free again (locked for %d ticks)",
		    ticks);
}

void
prober_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct prober		*p = arg;
	struct timeval		 tv = { 0, PROBER_TICK_USEC };
	struct retest_ctx	 rc;
	struct claim_pass	 cp;
	int64_t			 now, t0, t1;
	int			 room, n, chunk;

	(void)fd;
	(void)ev;
	if (p->stopping) {
		if (sched_stop_done(runs_active(p->runs), time(NULL),
		    p->stop_deadline))
			event_base_loopexit(p->base, NULL);
		else
			evtimer_add(p->tick, &tv);
		return;
	}
	/* Owners waiting for their delisting come first. */
	room = sched_room(p->conf.probe_concurrency, runs_active(p->runs));
	now = time(NULL);
	if (sched_expire_due(now, &p->next_expire)) {
		if (db_claim_expire(p->db, now, NULL, "prober", &n) == -1) {
			prober_db_failed(p);
			log_warnx("releasing expired claims: %s",
			    db_errmsg(p->db));
		} else if (n > 0)
			log_info("released %d claim%s whose lease passed", n,
			    n == 1 ? "" : "s");
	}
	if (room > 0) {
		now = time(NULL);
		if (db_request_claim(p->db, now, sched_lease_until(&p->conf,
		    now), "prober", room, request_claim_cb, p) == -1)
			db_trouble(p, "claiming requests");
		else
			db_fine(p);
	}
	room = sched_room(p->conf.probe_concurrency, runs_active(p->runs));
	now = time(NULL);
	memset(&cp, 0, sizeof(cp));
	cp.p = p;
	t0 = clock_mono_usec();
	chunk = claim_chunk(room, t0);
	if (chunk > 0 && db_submission_claim(p->db, now,
	    sched_lease_until(&p->conf, now), "prober", chunk, claim_cb,
	    &cp) == -1)
		db_trouble(p, "claiming submissions");
	t1 = clock_mono_usec();
	if (cp.n > 0)
		claim_cost_us = (3 * claim_cost_us + (t1 - t0) / cp.n) / 4;
	/* A full pass: more may be waiting, and there may be room. */
	if (cp.n > 0 && cp.n == chunk && sched_room(p->conf.probe_concurrency,
	    runs_active(p->runs)) > 0) {
		claim_last_us = t1;
		tv.tv_usec = 0;
		evtimer_add(p->tick, &tv);
		return;
	}
	claim_last_us = 0;	/* the next burst starts afresh */
	now = time(NULL);
	if (sched_scan_due(&p->conf, now, &p->next_retest_scan)) {
		memset(&rc, 0, sizeof(rc));
		rc.p = p;
		if (db_listing_retest_due(p->db, sched_scan_before(&p->conf,
		    now), SCHED_RETEST_SCAN, retest_due_cb, &rc) == -1) {
			prober_db_failed(p);
			log_warnx("periodic re-tests: %s", db_errmsg(p->db));
		}
		/* Listed addresses the policy keeps from tests are never
		 * queued; said once, and again when their number changes. */
		if (sched_scan_say_skipped(&rc.scan, &p->retest_skipped))
			log_info("periodic re-tests: %d listed address%s not "
			    "tested by policy (skipped)", rc.scan.skipped,
			    rc.scan.skipped == 1 ? "" : "es");
	}
	evtimer_add(p->tick, &tv);
}
