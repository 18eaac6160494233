/*
 * schedule.h -- orbl-prober's decisions, apart from its event loop so a
 * unit test can reach every one: which claimed submission or delisting
 * request starts now and which goes back (and until when), the re-test of
 * a listing's evidence ports one at a time, what a run's result makes of
 * the work that asked for it, the periodic re-test scan, leases, how many
 * units to claim, and when to say that the database is locked.
 *
 * Nothing here reads the database, the clock or the network, or logs:
 * the facts come in as values (the caller looks them up, in the order a
 * decision asks for them), the time as now, and the decision comes back
 * as a value for the caller to write and log.
 *
 * (Not "sched.h": the include path of every folder above core/ would put
 * it in front of the system's <sched.h>, which <pthread.h> includes.)
 */
#ifndef ORBL_SCHEDULE_H
#define ORBL_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "verdict.h"

struct conf;

#define SCHED_CLAIM_MAX		200	/* units claimed per tick: keeps the
					   loop responsive */
#define SCHED_EXPIRE_EVERY	10	/* s between looks for dead claims */
#define SCHED_RETEST_EVERY	60	/* s between looks for due re-tests */
#define SCHED_RETEST_MAX	100	/* periodic re-tests queued per scan */
#define SCHED_RETEST_SCAN	1000	/* due rows looked at per scan */
#define SCHED_STOP_GRACE	10	/* s to record runs at exit */
#define SCHED_LEASE_MARGIN	120	/* s a lease holds beyond a run */
#define SCHED_RETRY_ERROR	60	/* s: a unit put back after an error */
#define SCHED_RETRY_POLITE	600	/* s: a unit put back by politeness */
#define SCHED_FD_SINK		256	/* descriptors for the sink's sessions */
#define SCHED_FD_RESERVE	64	/* descriptors besides the sessions */

/* A fact not looked up (yet). */
#define SCHED_UNKNOWN		(-2)

/* The end of the lease of a claim taken at now: the longest a run can
 * take (probe_timeout, arrival_wait) and a margin. */
int64_t	 sched_lease_until(const struct conf *, int64_t now);
/* How many units to claim now: room under probe_concurrency, at most
 * SCHED_CLAIM_MAX; 0 (never less) when there is none. */
int	 sched_room(long long concurrency, size_t active);
/* The wait before the next try of work that tried tries times (this one
 * included): tempfail_retry, doubled from the second try on. */
int64_t	 sched_backoff(long long tempfail_retry, int tries);

/*
 * The next state of a submission or a delisting request, as the prober
 * writes it (db_submission_set / db_request_set, actor "prober").
 */
struct sched_state {
	const char	*state;		/* NULL: nothing to write */
	const char	*result;	/* submission: its result, or NULL */
	int64_t		 probe_id;	/* 0: leave it alone */
	int64_t		 not_before;
	const char	*why;		/* submission: the event's why;
					   request: the decision, or NULL */
};

/*
 * A claimed unit of work: start it, or put it back.  The decision looks
 * at facts in a fixed order and asks for each only when it gets to it
 * (act SCHED_ASK, ask): the caller looks that one up, stores it in the
 * facts and calls again.  A lookup that failed (-1) is the caller's to
 * log; the decision then knows what to do with the unit.
 */
enum sched_fact {
	SCHED_FACT_NONE,
	SCHED_FACT_RECENT,	/* recent, last: policy_recent_verdict */
	SCHED_FACT_EVIDENCE,	/* nports, ports: db_evidence_ports */
	SCHED_FACT_LISTED,	/* listed: the most specific entry covering
				   the address lists it (sched_lists) */
	SCHED_FACT_POLITE,	/* polite: policy_politeness */
};

struct sched_facts {
	const char	*refused;	/* target_check's reason; NULL: the
					   address may be tested */
	int		 recent;	/* 1 the last verdict stands, 0 a run
					   is due, -1 error */
	struct policy_submit last;	/* recent 1: the verdict that stands */
	int		 nports;	/* evidence ports, -1 error */
	int		 ports[POLICY_PORTS_MAX];	/* ascending */
	int		 listed;	/* 1, 0, -1 error */
	int		 polite;	/* 1 wait, 0 go, -1 error */
};

enum sched_act {
	SCHED_ASK,		/* look up ask, then decide again */
	SCHED_START,		/* start the run now */
	SCHED_PUT_BACK,		/* write next, release the claim */
	SCHED_STANDS,		/* submission: the last verdict stands;
				   write next, release the claim */
};

struct sched_claim {
	enum sched_act	 act;
	enum sched_fact	 ask;		/* SCHED_ASK */
	int		 port;		/* SCHED_START, a request: the
					   evidence port to re-test */
	struct sched_state next;	/* SCHED_PUT_BACK, SCHED_STANDS */
};

/* Every fact SCHED_UNKNOWN; refused as target_check said. */
void	 sched_facts_init(struct sched_facts *, const char *refused);
/*
 * A claimed submission: refused by the target rule -> failed
 * (not-allowed); tested recently (recent 1) -> done, the last verdict
 * stands; politeness -> queued, SCHED_RETRY_POLITE later; a lookup
 * failed -> queued SCHED_RETRY_ERROR later (a failed recent-verdict
 * lookup only means the run is not skipped); else start.
 */
void	 sched_claim_submission(const struct sched_facts *, int64_t now,
	    struct sched_claim *);
/*
 * A claimed delisting request: refused by the target rule -> refused;
 * no evidence port -> delisted when nothing lists the address any more,
 * refused when an operator's entry does (a re-test cannot change it);
 * politeness or a failed politeness lookup -> pending, SCHED_RETRY_POLITE
 * later; another failed lookup -> pending, SCHED_RETRY_ERROR later; else
 * start on the lowest evidence port: a closed port removes its own
 * evidence, and the next claim tests the next one.
 */
void	 sched_claim_request(const struct sched_facts *, int64_t now,
	    struct sched_claim *);
/* The run of a claimed unit could not start (a database error):
 * submission -> queued, request -> pending, SCHED_RETRY_ERROR later. */
void	 sched_start_failed(int request, int64_t now, struct sched_state *);
/* Does an entry (the most specific covering an address) list it at
 * now?  Not an exclusion, and not expired. */
int	 sched_lists(int exclude, int64_t expires, int64_t now);

/*
 * What a run found, as the work that asked for it needs it (probe/run.h's
 * struct run_result, and the unit's own tries).
 */
struct sched_run {
	int		 interrupted;	/* stopped before a verdict */
	enum verdict	 verdict;
	int		 closed;	/* run_verdict_closed(verdict) */
	int64_t		 probe_id;
	int		 port;
	int		 relayed_test;
	const char	*hops;		/* NULL: none */
	const char	*why;		/* the run's reason */
	int		 evidence_left;	/* ports with evidence after it */
	int		 still_listed;	/* an operator's entry lists it */
	int		 delisted;	/* this run removed the listing */
	int		 tries;		/* the unit's tries, this one too */
	int		 stopping;	/* the prober is stopping */
};

/*
 * The next state of a submission after its run: interrupted -> queued
 * again; tempfail with tries left (tempfail_tries) and not stopping ->
 * queued after sched_backoff (*backoff, else 0); otherwise nothing to
 * write (next->state NULL: recording the run set it done).
 */
void	 sched_submission_result(const struct conf *, const struct sched_run *,
	    int64_t now, struct sched_state *next, int64_t *backoff);

/* How a delisting request's re-test decided it (sched_request_result). */
enum sched_answer {
	SCHED_ANS_INTERRUPTED,	/* pending again, nothing said */
	SCHED_ANS_OPEN,		/* still relays: refused, new evidence */
	SCHED_ANS_NEXT_PORT,	/* closed here, evidence left: pending */
	SCHED_ANS_DELISTED,	/* closed, nothing lists it any more */
	SCHED_ANS_OPERATOR,	/* closed, an operator's entry lists it:
				   refused */
	SCHED_ANS_AGAIN,	/* inconclusive: pending after a back-off */
	SCHED_ANS_GIVE_UP,	/* inconclusive request_tries times:
				   refused */
	SCHED_ANS_STOPPED,	/* inconclusive while stopping: pending */
};

/*
 * The next state of a delisting request after its re-test, and what to
 * log about it in text (not for SCHED_ANS_INTERRUPTED: text untouched).
 * next->why (the decision) is text for the answers that close the
 * request (refused, delisted), else NULL.
 */
enum sched_answer sched_request_result(const struct conf *,
	    const struct sched_run *, int64_t now, char *text, size_t textlen,
	    struct sched_state *next);

/*
 * The periodic re-test of probe listings: when to scan (relist_retest
 * set, at most every SCHED_RETEST_EVERY), which due rows to queue, when
 * to stop, and when to say how many the policy keeps from tests.
 */
struct sched_scan {
	int		 queued, skipped;
};
/* Is a scan due at now?  Then the next one is set in *next. */
int	 sched_scan_due(const struct conf *, int64_t now, int64_t *next);
/* A scan at now looks at listings whose last run finished before this. */
int64_t	 sched_scan_before(const struct conf *, int64_t now);
/* A due row whose address target_check refused (refused not NULL) is
 * skipped and counted: 0.  Else 1, queue it. */
int	 sched_scan_take(struct sched_scan *, const char *refused);
/* One more queued: 1 when the scan has queued its SCHED_RETEST_MAX. */
int	 sched_scan_queued(struct sched_scan *);
/* The scan ended: 1 to say how many were skipped (the number changed
 * since the last scan, *last); *last becomes it. */
int	 sched_scan_say_skipped(const struct sched_scan *, int *last);

/* Is a look for expired claims due at now?  Then the next is in *next. */
int	 sched_expire_due(int64_t now, int64_t *next);
/* Stopping: may the loop end (no run left, or the grace is over)? */
int	 sched_stop_done(size_t active, int64_t now, int64_t deadline);

/*
 * A claim that failed because another writer holds the database is
 * tried again next tick: said when it starts and when it ends (a long
 * import or backup would otherwise fill the log); other errors every
 * time.  locked counts the ticks it has been locked.
 */
enum sched_say {
	SCHED_SAY_NOTHING,
	SCHED_SAY_ERROR,	/* the error */
	SCHED_SAY_LOCKED,	/* locked: trying again every tick */
};
enum sched_say sched_db_trouble(int *locked, int busy);
/* A claim worked: the ticks it was locked before (0: nothing to say);
 * *locked becomes 0. */
int	 sched_db_fine(int *locked);

/* Descriptors needed for concurrency probe sessions, the sink and the
 * rest. */
long long sched_fd_need(long long concurrency);
/* Is an open-file limit of limit too low for *concurrency sessions
 * besides the rest?  Then 1, and *concurrency is what it allows (at
 * least 1); else 0. */
int	 sched_fd_lower(long long limit, long long *concurrency);

#endif
