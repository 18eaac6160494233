/*
 * main.c -- orbl-prober: claims submissions from the database, runs the
 * relay battery against each (at most probe_concurrency at once, one run
 * per address), and listens on sink_listen for the test mail that open
 * relays deliver.
 */
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "policy.h"
#include "priv.h"
#include "run.h"
#include "sink.h"
#include "target.h"
#include "version.h"
#include "xmalloc.h"

#define TICK_USEC	200000		/* how often the queue is looked at */
#define RETEST_EVERY	60		/* s between looks for due re-tests */
#define CLAIM_MAX	200		/* per tick: keeps the loop responsive */
#define FD_RESERVE	64		/* descriptors besides probe sessions */
#define STOP_GRACE	10		/* seconds to record runs at exit */
#define RETEST_MAX	100		/* periodic re-tests queued per scan */
#define RETEST_SCAN	1000		/* due rows looked at per scan */
#define EXPIRE_EVERY	10		/* s between looks for dead claims */
#define PROBER_BUSY_MS	20		/* wait at most this for a lock */

struct prober {
	struct conf		 conf;
	struct event_base	*base;
	struct db		*db;
	struct runs		*runs;
	struct sink		*sinks[CONF_MAX_LIST];
	int			 nsinks;
	struct event		*tick;
	int			 stopping;
	time_t			 stop_deadline;
	time_t			 next_retest_scan, next_expire;
	int			 retest_skipped;	/* at the last scan */
	int			 db_locked;	/* ticks the claims found it
						   locked */
	uint64_t		 started, finished, listed, delisted;
};

struct job {
	struct prober	*p;
	int64_t		 submission_id;
	int64_t		 request_id;
	int		 tries;
	int64_t		 backoff;	/* tempfail: next try in */
	char		 why[512];	/* a request's decision */
};

static void	usage(void) __attribute__((noreturn));
static void	tick_cb(evutil_socket_t, short, void *);
static int	sink_cb(const struct sink_message *, void *);
static void	run_done_cb(const struct run_result *, void *);
static int	request_record_cb(const struct run_result *, struct db *,
		    void *);
static void	request_done_cb(const struct run_result *, void *);
static void	sigterm_cb(evutil_socket_t, short, void *);
static void	sigusr1_cb(evutil_socket_t, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: orbl-prober [-dhnV] [-c FILE] [-v]\n"
	    "  -c FILE  configuration (default: built-in; see README)\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more logging\n"
	    "  -V       print the version and exit\n");
	exit(2);
}

/* Problems in a configuration, printed all at once (for -n). */
static int
check_conf(const struct conf *c)
{
	struct addr	 a;
	char		 err[256];
	int		 i, bad = 0;

	if (c->nsink_listen == 0) {
		fprintf(stderr, "orbl-prober: no sink_listen address\n");
		bad = 1;
	}
	if (*c->sink_domain == '\0' || *c->sink_local == '\0' ||
	    *c->helo_name == '\0' || *c->from_local == '\0') {
		fprintf(stderr, "orbl-prober: sink_domain, sink_local, "
		    "helo_name and from_local must be set\n");
		bad = 1;
	}
	for (i = 0; i < c->nprobe_allow; i++)
		if (addr_parse(c->probe_allow[i], &a, err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-prober: probe_allow: %s\n", err);
			bad = 1;
		}
	for (i = 0; i < c->nprobe_deny; i++)
		if (addr_parse(c->probe_deny[i], &a, err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-prober: probe_deny: %s\n", err);
			bad = 1;
		}
	if (c->probe_concurrency < 1) {
		fprintf(stderr, "orbl-prober: probe_concurrency must be at "
		    "least 1\n");
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* How long a claim holds: the longest a run can take, and a margin. */
static int64_t
lease_until(const struct prober *p, int64_t now)
{
	return now + p->conf.probe_timeout + p->conf.arrival_wait + 120;
}

/*
 * A claimed unit of work that will not run now: its next state and the
 * release of its claim, in one transaction.  If the database is locked,
 * the claim stays and its lease (or the next start) releases it.
 */
static void
unit_put_back(struct prober *p, const char *addr, int64_t submission_id,
    int64_t request_id, const char *state, const char *result,
    int64_t not_before, const char *why)
{
	int	 rc;

	if (db_begin(p->db) == -1) {
		log_warnx("%s: %s", addr, db_errmsg(p->db));
		return;
	}
	if (submission_id > 0)
		rc = db_submission_set(p->db, submission_id, state, result, 0,
		    not_before, "prober", why);
	else
		rc = db_request_set(p->db, request_id, state, not_before, 0,
		    strcmp(state, "pending") ? why : NULL, "prober");
	if (rc == -1 || db_claim_release(p->db, addr, "prober") == -1 ||
	    db_commit(p->db) == -1) {
		log_warnx("%s: %s", addr, db_errmsg(p->db));
		db_rollback(p->db);
	}
}

/* The next state of a submission, in its run's transaction. */
static int
run_record_cb(const struct run_result *res, struct db *db, void *arg)
{
	struct job	*job = arg;
	struct prober	*p = job->p;
	int64_t		 backoff;

	if (res->interrupted)
		return db_submission_set(db, job->submission_id, "queued", NULL,
		    0, 0, "prober", "run interrupted: prober stopped");
	if (res->verdict == VERDICT_TEMPFAIL && !p->stopping &&
	    job->tries < p->conf.tempfail_tries) {
		backoff = p->conf.tempfail_retry << (job->tries > 1 ?
		    job->tries - 1 : 0);
		job->backoff = backoff;
		return db_submission_set(db, job->submission_id, "queued",
		    "tempfail", res->probe_id, time(NULL) + backoff, "prober",
		    "4xx: trying again later");
	}
	return 0;
}

/* One claimed submission: check it, then start its run. */
static int
claim_cb(const struct submission *s, void *arg)
{
	struct prober		*p = arg;
	struct policy_submit	 last;
	struct addr		 a;
	struct job		*job;
	char			 err[256];
	const char		*deny;
	int64_t			 now = time(NULL);

	if (target_check(&p->conf, s->addr, &a, err, sizeof(err)) == -1) {
		deny = target_denied_by(&p->conf, &a);
		log_info("submission %lld: %s%s%s", (long long)s->id, err,
		    deny ? ": probe_deny " : "", deny ? deny : "");
		unit_put_back(p, s->addr, s->id, 0, "failed", "not-allowed", 0,
		    err);
		return 0;
	}
	/* The same rule as at submission: a recent verdict on this port
	 * stands. */
	memset(&last, 0, sizeof(last));
	switch (policy_recent_verdict(&p->conf, p->db, s->addr, s->port, now,
	    &last)) {
	case -1:
		log_warnx("%s", db_errmsg(p->db));
		break;
	case 1:
		if (db_begin(p->db) == 0 &&
		    db_submission_set(p->db, s->id, "done", last.last_verdict,
		    last.last_probe, 0, "prober", "tested less than "
		    "retest_interval ago: the last verdict stands") == 0 &&
		    db_claim_release(p->db, s->addr, "prober") == 0 &&
		    db_commit(p->db) == 0)
			return 0;
		log_warnx("%s", db_errmsg(p->db));
		db_rollback(p->db);
		return 0;
	}
	switch (policy_politeness(&p->conf, p->db, s->addr, now)) {
	case -1:
		log_warnx("%s", db_errmsg(p->db));
		unit_put_back(p, s->addr, s->id, 0, "queued", NULL, now + 60,
		    "database error: retry");
		return 0;
	case 1:
		unit_put_back(p, s->addr, s->id, 0, "queued", NULL, now + 600,
		    "politeness: prefix_limit runs in this network in the "
		    "last hour");
		return 0;
	}
	job = xcalloc(1, sizeof(*job));
	job->p = p;
	job->submission_id = s->id;
	job->tries = s->tries;
	if (runs_start(p->runs, s->addr, s->port, s->id, 0, run_record_cb,
	    run_done_cb, job, NULL, NULL) == -1) {
		free(job);
		unit_put_back(p, s->addr, s->id, 0, "queued", NULL, now + 60,
		    "database error: retry");
		return 0;
	}
	p->started++;
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
	p->finished++;
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

/* Does the most specific entry covering the address list it? */
static int
listed_cb(const struct listing *l, void *arg)
{
	int	*listed = arg;

	*listed = !l->exclude && (l->expires == 0 || l->expires > time(NULL));
	return 0;
}

/* A delisting request whose re-test may run now. */
static int
request_claim_cb(const struct delist_request *rq, void *arg)
{
	struct prober	*p = arg;
	struct addr	 a;
	struct job	*job;
	char		 err[256];
	int		 ports[POLICY_PORTS_MAX], nports = 0;
	int64_t		 now = time(NULL);

	if (target_check(&p->conf, rq->addr, &a, err, sizeof(err)) == -1) {
		unit_put_back(p, rq->addr, 0, rq->id, "refused", NULL, 0, err);
		return 0;
	}
	/* Re-test on the ports of the listing's evidence, one at a time:
	 * a closed port removes its own evidence, and the next claim tests
	 * the next port.  Never on a port somebody else named. */
	if (db_evidence_ports(p->db, rq->addr, ports, POLICY_PORTS_MAX,
	    &nports) == -1) {
		log_warnx("%s", db_errmsg(p->db));
		unit_put_back(p, rq->addr, 0, rq->id, "pending", NULL, now + 60,
		    NULL);
		return 0;
	}
	if (nports == 0) {
		/* Nothing a re-test could remove: no longer listed (the
		 * operator removed it), or an entry of the operator's. */
		int	 listed = 0;

		if (db_listing_covering(p->db, &a, listed_cb, &listed) == -1) {
			log_warnx("%s", db_errmsg(p->db));
			unit_put_back(p, rq->addr, 0, rq->id, "pending", NULL,
			    now + 60, NULL);
		} else if (listed)
			unit_put_back(p, rq->addr, 0, rq->id, "refused", NULL,
			    0, "no test evidence lists this address: the "
			    "entry that lists it is the operator's; ask the "
			    "operator");
		else
			unit_put_back(p, rq->addr, 0, rq->id, "delisted", NULL,
			    0, "not listed any more: nothing to re-test");
		return 0;
	}
	switch (policy_politeness(&p->conf, p->db, rq->addr, now)) {
	case -1:
		log_warnx("%s", db_errmsg(p->db));
		/* FALLTHROUGH */
	case 1:
		unit_put_back(p, rq->addr, 0, rq->id, "pending", NULL,
		    now + 600, NULL);
		return 0;
	}
	job = xcalloc(1, sizeof(*job));
	job->p = p;
	job->request_id = rq->id;
	job->tries = rq->tries;
	if (runs_start(p->runs, rq->addr, ports[0], 0, rq->id,
	    request_record_cb, request_done_cb, job, NULL, NULL) == -1) {
		free(job);
		unit_put_back(p, rq->addr, 0, rq->id, "pending", NULL, now + 60,
		    NULL);
		return 0;
	}
	log_info("delisting request %lld %s: re-testing port %d (try %d)",
	    (long long)rq->id, rq->addr, ports[0], rq->tries);
	p->started++;
	return 0;
}

/*
 * The re-test of a delisting request decided, in the run's transaction:
 * still open -> refused with the new evidence; closed on this port -> the
 * next evidence port if there is one, else delisted (run.c removed the
 * probe listing in the same transaction); inconclusive -> again later,
 * refused after request_tries.
 */
static int
request_record_cb(const struct run_result *res, struct db *db, void *arg)
{
	struct job	*job = arg;
	struct prober	*p = job->p;
	char		*why = job->why;
	size_t		 wl = sizeof(job->why);
	char		 day[32];
	time_t		 now = time(NULL);
	int64_t		 backoff;

	if (res->interrupted)
		return db_request_set(db, job->request_id, "pending", 0,
		    res->probe_id, NULL, "prober");
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	if (res->verdict == VERDICT_CONFIRMED) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: still an open "
		    "relay (test %d relayed, %s); the listing stays",
		    (long long)res->probe_id, day, res->port, res->relayed_test,
		    res->hops ? res->hops : "");
		return db_request_set(db, job->request_id, "refused", 0,
		    res->probe_id, why, "prober");
	}
	if (run_verdict_closed(res->verdict) && res->evidence_left > 0) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: %s (%s); "
		    "%d more port%s to re-test", (long long)res->probe_id, day,
		    res->port, verdict_name(res->verdict), res->why,
		    res->evidence_left, res->evidence_left == 1 ? "" : "s");
		return db_request_set(db, job->request_id, "pending", 0,
		    res->probe_id, NULL, "prober");
	}
	if (run_verdict_closed(res->verdict) && !res->still_listed) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: %s (%s); %s",
		    (long long)res->probe_id, day, res->port,
		    verdict_name(res->verdict), res->why, res->delisted ?
		    "delisted" : "it was not listed");
		return db_request_set(db, job->request_id, "delisted", 0,
		    res->probe_id, why, "prober");
	}
	if (run_verdict_closed(res->verdict)) {
		snprintf(why, wl, "re-test #%lld on %s, port %d: %s, but an "
		    "entry set by the operator (manual, imported or a range) "
		    "still lists it: ask the operator",
		    (long long)res->probe_id, day, res->port,
		    verdict_name(res->verdict));
		return db_request_set(db, job->request_id, "refused", 0,
		    res->probe_id, why, "prober");
	}
	if (job->tries < p->conf.request_tries && !p->stopping) {
		backoff = p->conf.tempfail_retry << (job->tries > 1 ?
		    job->tries - 1 : 0);
		snprintf(why, wl, "re-test #%lld: %s (%s); trying again later",
		    (long long)res->probe_id, verdict_name(res->verdict),
		    res->why);
		return db_request_set(db, job->request_id, "pending",
		    now + backoff, res->probe_id, NULL, "prober");
	}
	snprintf(why, wl, "re-test #%lld: %s (%s) after %d tries: the server "
	    "could not be tested; fix it and ask again",
	    (long long)res->probe_id, verdict_name(res->verdict), res->why,
	    job->tries);
	return db_request_set(db, job->request_id, p->stopping ? "pending" :
	    "refused", 0, res->probe_id, p->stopping ? NULL : why, "prober");
}

static void
request_done_cb(const struct run_result *res, void *arg)
{
	struct job	*job = arg;
	struct prober	*p = job->p;

	if (!res->interrupted) {
		p->finished++;
		if (res->delisted)
			p->delisted++;
		log_info("delisting request %lld %s: %s", (long long)
		    job->request_id, res->addr, job->why);
	}
	free(job);
}

struct retest_ctx {
	struct prober	*p;
	int		 queued, skipped;
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

	if (target_check(&p->conf, addr, &a, err, sizeof(err)) == -1) {
		c->skipped++;
		return 0;
	}
	if (db_submission_add(p->db, addr, port, "orbl-prober: periodic "
	    "re-test", NULL, "prober", &id) == -1) {
		log_warnx("%s", db_errmsg(p->db));
		return 1;
	}
	log_info("%s port %d: listed since the last run more than %lld s "
	    "ago: re-test queued (submission %lld)", addr, port,
	    p->conf.relist_retest, (long long)id);
	return ++c->queued >= RETEST_MAX;
}

/*
 * A claim that failed because another writer holds the database is tried
 * again next tick: said once when it starts and once when it ends (a
 * long import or backup would otherwise fill the log), other errors every
 * time.
 */
static void
db_trouble(struct prober *p, const char *what)
{
	if (!db_busy(p->db)) {
		log_warnx("%s: %s", what, db_errmsg(p->db));
		return;
	}
	if (p->db_locked++ == 0)
		log_warnx("%s: %s: trying again every tick", what,
		    db_errmsg(p->db));
}

static void
db_fine(struct prober *p)
{
	if (p->db_locked > 0)
		log_info("the database is free again (locked for %d ticks)",
		    p->db_locked);
	p->db_locked = 0;
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct prober	*p = arg;
	struct timeval	 tv = { 0, TICK_USEC };
	long long	 room;

	(void)fd;
	(void)ev;
	if (p->stopping) {
		if (runs_active(p->runs) == 0 || time(NULL) >= p->stop_deadline)
			event_base_loopexit(p->base, NULL);
		else
			evtimer_add(p->tick, &tv);
		return;
	}
	/* Owners waiting for their delisting come first. */
	room = p->conf.probe_concurrency - (long long)runs_active(p->runs);
	if (room > CLAIM_MAX)
		room = CLAIM_MAX;
	if (time(NULL) >= p->next_expire) {
		int	 n;

		p->next_expire = time(NULL) + EXPIRE_EVERY;
		if (db_claim_expire(p->db, time(NULL), NULL, "prober",
		    &n) == -1)
			log_warnx("releasing expired claims: %s",
			    db_errmsg(p->db));
		else if (n > 0)
			log_info("released %d claim%s whose lease passed", n,
			    n == 1 ? "" : "s");
	}
	if (room > 0) {
		if (db_request_claim(p->db, time(NULL), lease_until(p,
		    time(NULL)), "prober", (int)room, request_claim_cb,
		    p) == -1)
			db_trouble(p, "claiming requests");
		else
			db_fine(p);
	}
	room = p->conf.probe_concurrency - (long long)runs_active(p->runs);
	if (room > CLAIM_MAX)
		room = CLAIM_MAX;
	if (room > 0 && db_submission_claim(p->db, time(NULL),
	    lease_until(p, time(NULL)), "prober", (int)room,
	    claim_cb, p) == -1)
		db_trouble(p, "claiming submissions");
	if (p->conf.relist_retest > 0 && time(NULL) >= p->next_retest_scan) {
		p->next_retest_scan = time(NULL) + (p->conf.relist_retest <
		    RETEST_EVERY ? p->conf.relist_retest : RETEST_EVERY);
		struct retest_ctx rc = { p, 0, 0 };

		if (db_listing_retest_due(p->db, time(NULL) -
		    p->conf.relist_retest, RETEST_SCAN, retest_due_cb,
		    &rc) == -1)
			log_warnx("periodic re-tests: %s", db_errmsg(p->db));
		/* Listed addresses the policy keeps from tests are never
		 * queued; said once, and again when their number changes. */
		if (rc.skipped != p->retest_skipped)
			log_info("periodic re-tests: %d listed address%s not "
			    "tested by policy (skipped)", rc.skipped,
			    rc.skipped == 1 ? "" : "es");
		p->retest_skipped = rc.skipped;
	}
	evtimer_add(p->tick, &tv);
}

static int
sink_cb(const struct sink_message *m, void *arg)
{
	struct prober	*p = arg;

	return runs_arrival(p->runs, m);
}

static void
sigterm_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct prober	*p = arg;

	(void)ev;
	if (p->stopping)
		return;
	log_info("signal %d: stopping %zu run%s and exiting", (int)sig,
	    runs_active(p->runs), runs_active(p->runs) == 1 ? "" : "s");
	p->stopping = 1;
	p->stop_deadline = time(NULL) + STOP_GRACE;
	runs_stop_all(p->runs);
}

/*
 * One descriptor per probe session, plus the sink's sessions and the
 * rest: raise the soft limit to the hard one, and if that is still too
 * few, run fewer probes at once (an EMFILE must never become a verdict).
 */
static void
fd_budget(struct prober *p)
{
	struct rlimit	 rl;
	long long	 need, have;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	need = p->conf.probe_concurrency + 256 + FD_RESERVE;
	if ((rlim_t)need > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    (rlim_t)need < rl.rlim_max ? (rlim_t)need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	have = (long long)rl.rlim_cur - 256 - FD_RESERVE;
	if (have < p->conf.probe_concurrency) {
		log_warnx("open-file limit %lld: probe_concurrency lowered from "
		    "%lld to %lld", (long long)rl.rlim_cur,
		    p->conf.probe_concurrency, have > 1 ? have : 1);
		p->conf.probe_concurrency = have > 1 ? have : 1;
	}
}

static void
log_stats(struct prober *p, const char *why)
{
	int64_t	 c[4] = { 0, 0, 0, 0 };

	db_submission_counts(p->db, c);
	log_info("stats (%s): runs active %zu started %llu finished %llu "
	    "listed %llu delisted %llu; submissions queued %lld probing %lld "
	    "done %lld failed %lld", why, runs_active(p->runs),
	    (unsigned long long)p->started, (unsigned long long)p->finished,
	    (unsigned long long)p->listed, (unsigned long long)p->delisted,
	    (long long)c[0], (long long)c[1], (long long)c[2],
	    (long long)c[3]);
}

static void
sigusr1_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	log_stats(arg, "SIGUSR1");
}

int
main(int argc, char *argv[])
{
	struct prober	 p;
	struct event	*ev_term, *ev_int, *ev_usr1;
	struct timeval	 tv = { 0, 0 };
	const char	*conffile = NULL;
	char		 err[1024];
	int		 ch, i, n, foreground = 0, checkonly = 0, verbose = 0;

	memset(&p, 0, sizeof(p));
	while ((ch = getopt(argc, argv, "c:dhnvV")) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 'd':
			foreground = 1;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("orbl-prober %s\n", ORBL_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	conf_init(&p.conf);
	if (conffile && conf_load(&p.conf, conffile, err, sizeof(err)) == -1) {
		fprintf(stderr, "orbl-prober: %s\n", err);
		return 1;
	}
	if (check_conf(&p.conf) == -1)
		return 1;
	if (checkonly) {
		printf("orbl-prober: configuration OK\n");
		conf_free(&p.conf);
		return 0;
	}
	log_init("orbl-prober", foreground);
	log_setverbose(verbose);
	/* The sink's own addresses (and sink_domain's mail servers) are
	 * never targets. */
	if (target_self_init(&p.conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (err[0] != '\0')
		log_warnx("%s", err);
	signal(SIGPIPE, SIG_IGN);
	if ((p.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < p.conf.nsink_listen; i++) {
		struct sink_conf sc;

		memset(&sc, 0, sizeof(sc));
		sc.host = p.conf.sink_listen[i].host;
		sc.port = p.conf.sink_listen[i].port;
		sc.domain = p.conf.sink_domain;
		sc.local = p.conf.sink_local;
		sc.hostname = p.conf.helo_name;
		sc.max_per_peer = p.conf.sink_max_per_peer;
		sc.session_timeout = p.conf.sink_session_timeout;
		if ((p.sinks[i] = sink_new(p.base, &sc, sink_cb, &p, err,
		    sizeof(err))) == NULL)
			fatalx("sink %s port %u: %s", sc.host, sc.port, err);
		p.nsinks++;
	}
	fd_budget(&p);
	priv_drop(p.conf.user);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if ((p.db = db_open(p.conf.database, 0, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((i = db_file_mode(p.db)) != -1 && (i & 077))
		log_warnx("%s is readable by group or others (mode %04o): "
		    "chmod 600 %s %s-wal %s-shm", p.conf.database, i,
		    p.conf.database, p.conf.database, p.conf.database);
	if ((p.runs = runs_new(&p.conf, p.db, p.base, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	/* Whatever the previous instance held is back in the queue: its
	 * runs ended with it (the same rule as an expired lease). */
	if (db_claim_expire(p.db, time(NULL), "prober", "prober", &n) == -1)
		fatalx("%s", db_errmsg(p.db));
	if (n > 0)
		log_info("re-queued %d unit%s of work interrupted by the last "
		    "stop", n, n == 1 ? "" : "s");
	/* From here on a lock held by another writer never stalls the
	 * sessions: calls give up fast and are tried again. */
	db_set_busy_timeout(p.db, PROBER_BUSY_MS);

	ev_term = evsignal_new(p.base, SIGTERM, sigterm_cb, &p);
	ev_int = evsignal_new(p.base, SIGINT, sigterm_cb, &p);
	ev_usr1 = evsignal_new(p.base, SIGUSR1, sigusr1_cb, &p);
	p.tick = evtimer_new(p.base, tick_cb, &p);
	if (!ev_term || !ev_int || !ev_usr1 || !p.tick ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL) ||
	    evsignal_add(ev_usr1, NULL) || evtimer_add(p.tick, &tv))
		fatalx("cannot set up events");
	log_info("sink on %s port %u for %s@%s; up to %lld runs at once",
	    p.conf.sink_listen[0].host, sink_port(p.sinks[0]),
	    p.conf.sink_local, p.conf.sink_domain,
	    p.conf.probe_concurrency);

	event_base_dispatch(p.base);

	log_stats(&p, "exit");
	runs_free(p.runs);
	for (i = 0; i < p.nsinks; i++)
		sink_free(p.sinks[i]);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	event_free(p.tick);
	db_close(p.db);
	event_base_free(p.base);
	conf_free(&p.conf);
	return 0;
}
