/*
 * run.h -- one probe run from start to verdict, shared by orbl-prober
 * (the daemon) and orblctl probe (the foreground run):
 *
 *   db_probe_begin -> smtp_session (the battery) -> if a message was
 *   accepted, wait for it at the sink (arrival_wait) -> verdict ->
 *   db_probe_finish: probe, tests, transcript and, when confirmed, the
 *   listing and its journal row in one transaction.
 *
 * Arrivals come from the sink of whichever process holds sink_listen:
 * the process that receives a message records it in the database
 * (runs_arrival), and a run polls the database for its own arrivals, so
 * a foreground orblctl probe works beside a running daemon.  An arrival
 * for a run that is no longer in memory -- it ended as "accepted, not
 * delivered", or the prober was killed -- still confirms, once per
 * cookie, while the cookie is valid.
 */
#ifndef ORBL_RUN_H
#define ORBL_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_session.h"
#include "verdict.h"

struct conf;
struct db;
struct event_base;
struct sink_message;
struct runs;

struct run_result {
	int64_t		 probe_id;
	int64_t		 submission_id, request_id;
	const char	*addr;
	int		 port;
	enum verdict	 verdict;
	const char	*hops;		/* "single-hop", "multi-hop", NULL */
	int		 relayed_test;	/* 0: none */
	const char	*output_addr;	/* where the test mail came from */
	const char	*why;
	int		 listed;	/* this run listed addr */
	int		 delisted;	/* this run removed addr's probe
					   listing (the relay is closed) */
	int		 still_listed;	/* after the run, an entry (manual,
					   import, a range) still lists addr */
	int		 evidence_left;	/* ports with evidence after the run */
	int		 interrupted;	/* stopped by runs_stop_all before a
					   verdict: re-queued, nothing else */
};

/*
 * What became of a message the sink handed over (runs_arrival): stored
 * as an arrival (confirming or not); ignored, without a cookie or with
 * one of no known run, forged or expired; not stored, over the bounds
 * (ARRIVALS_* in run.c); refused for now, the database locked (451: the
 * sender tries again); accepted but lost to another database error.
 */
#define ARRIVAL_RESULTS(X)						\
	X(ARRIVAL_RECORDED,	"recorded")				\
	X(ARRIVAL_NO_COOKIE,	"no_cookie")				\
	X(ARRIVAL_BAD_COOKIE,	"bad_cookie")				\
	X(ARRIVAL_DROPPED,	"dropped")				\
	X(ARRIVAL_TEMPFAIL,	"tempfail")				\
	X(ARRIVAL_ERROR,	"error")
#define ARRIVAL_ENUM(e, s) e,
enum arrival_result { ARRIVAL_RESULTS(ARRIVAL_ENUM) ARRIVAL_RESULT_COUNT };
#undef ARRIVAL_ENUM
const char	*arrival_result_name(enum arrival_result);

/*
 * What the runs of one process did since runs_new: plain counters,
 * bumped as things happen (no allocation), read by the owner's stats.
 */
struct runs_stats {
	uint64_t	 started;	/* runs begun (their probe row) */
	uint64_t	 sessions;	/* SMTP client sessions started */
	uint64_t	 verdicts[VERDICT_COUNT]; /* runs finished, by
					   verdict */
	uint64_t	 interrupted;	/* stopped before a verdict */
	uint64_t	 conns[CONN_RESULT_COUNT]; /* the sessions' connection
					   attempts, by how they ended */
	uint64_t	 arrivals[ARRIVAL_RESULT_COUNT]; /* runs_arrival */
	uint64_t	 confirmations;	/* arrivals that confirmed a run */
	uint64_t	 db_busy;	/* database calls that gave up on
					   another writer's lock (a run's
					   record tried again, an arrival
					   answered 451) */
};

/* Verdicts that show a server does not relay: a re-test with one of them
 * delists (probe listings only). */
int	 run_verdict_closed(enum verdict);

/* The runs of one process.  NULL + err if the cookie key is unusable. */
struct runs	*runs_new(const struct conf *, struct db *, struct event_base *,
		    char *err, size_t errlen);
void		 runs_free(struct runs *);
size_t		 runs_active(const struct runs *);
const struct runs_stats *runs_stats(const struct runs *);

/* The owner of the claims this process's runs hold ("prober" by
 * default; "orblctl:PID" for a foreground run).  Every run releases the
 * claim on its address when it is recorded. */
void	 runs_set_owner(struct runs *, const char *owner);
const char *runs_owner(const struct runs *);

/*
 * Start a run against addr:port (already checked by target_check, its
 * address claimed by this process's owner).  record, if set, is called
 * inside the transaction that records the run (also for an interrupted
 * run: interrupted set) to write the next state of the work that asked
 * for it; it only writes to db and returns 0, or -1 to abandon the
 * transaction (it is tried again when the database was locked).  done is
 * called once with the result (borrowed) after the run is recorded.
 * trace, if set, gets every transcript line as it happens.  Returns 0,
 * or -1 (database error; logged).
 */
int	 runs_start(struct runs *, const char *addr, int port,
	    int64_t submission_id, int64_t request_id,
	    int (*record)(const struct run_result *, struct db *, void *),
	    void (*done)(const struct run_result *, void *), void *arg,
	    void (*trace)(char dir, const char *line, void *), void *targ);
/* Stop every run now (shutdown).  A run that had not decided gets no
 * verdict: its submission or request is re-queued (done is called with
 * interrupted set); a confirmed one is recorded. */
void	 runs_stop_all(struct runs *);

/*
 * The sink received a message: verify its cookie, record the arrival
 * (bounded: ARRIVALS_* in run.c), confirm the run (live, or late for a
 * test whose message the target accepted).  Logs what it did, never a
 * token.  Returns 0, or -1 when the database is locked (the sink answers
 * 451 and the sender tries again).
 */
int	 runs_arrival(struct runs *, const struct sink_message *);

#endif
