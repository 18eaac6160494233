/*
 * prober.h -- orbl-prober's state, shared by main.c (start, sinks,
 * signals), queue.c (the tick: claims, runs, their results, the periodic
 * re-test scan), sweep.c (the expiry sweep and the journal's compaction)
 * and stats.c (the stats line and the /metrics page).
 * Every decision they act on is core/schedule's.
 */
#ifndef ORBL_PROBER_H
#define ORBL_PROBER_H

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "conf.h"

struct db;
struct metrics_buf;
struct metrics_server;
struct runs;
struct sink;

#define PROBER_TICK_USEC	200000	/* how often the queue is looked at */
#define PROBER_BUSY_MS		20	/* a call waits at most this for a
					   lock (then it is tried again) */

struct prober {
	struct conf		 conf;
	struct event_base	*base;
	struct db		*db;
	struct runs		*runs;
	struct sink		*sinks[CONF_MAX_LIST];
	int			 nsinks;
	struct metrics_server	*metrics;	/* NULL: no listener */
	struct event		*tick;
	struct event		*sweep;		/* sweep.c's timer */
	int64_t			 sweep_next;	/* the expiry sweep due */
	int64_t			 sweep_look;	/* next look at writes */
	int64_t			 sweep_dv;	/* data_version then */
	int64_t			 next_prune;	/* journal compaction due */
	int			 sweep_locked;	/* said the lock, not the
						   end of it yet */
	int			 stopping;
	time_t			 stop_deadline;
	int64_t			 next_retest_scan, next_expire;
	int			 retest_skipped;	/* at the last scan */
	int			 db_locked;	/* ticks the claims found it
						   locked */
	/* Finished runs that listed / delisted their address (the
	 * runs' other counters are in runs_stats). */
	uint64_t		 listed, delisted;
	/* The queue's calls that gave up on a lock (the runs' own are
	 * in runs_stats). */
	uint64_t		 db_busy;
};

/* The tick (an evtimer, arg the prober): claim what may run, start it;
 * while stopping, end the loop once the runs are recorded. */
void	 prober_tick(evutil_socket_t, short, void *);
/* The expiry sweep and journal compaction (sweep.c): the timer on
 * p->base, a first pass at once; stop frees it. */
void	 prober_sweep_start(struct prober *);
void	 prober_sweep_stop(struct prober *);
/* A call on p->db just failed: count it if a lock was the reason. */
void	 prober_db_failed(struct prober *);

/* The stats line (SIGUSR1, exit), and the /metrics page's collect
 * callback (arg the prober): the same counters. */
void	 prober_log_stats(struct prober *, const char *why);
void	 prober_metrics(struct metrics_buf *, void *);

#endif
