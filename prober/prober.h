/*
 * prober.h -- orbl-prober's state, shared by main.c (start, sinks,
 * signals, stats) and queue.c (the tick: claims, runs, their results, the
 * periodic re-test scan).  Every decision they act on is core/schedule's.
 */
#ifndef ORBL_PROBER_H
#define ORBL_PROBER_H

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "conf.h"

struct db;
struct runs;
struct sink;

#define PROBER_TICK_USEC	200000	/* how often the queue is looked at */

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
	int64_t			 next_retest_scan, next_expire;
	int			 retest_skipped;	/* at the last scan */
	int			 db_locked;	/* ticks the claims found it
						   locked */
	uint64_t		 started, finished, listed, delisted;
};

/* The tick (an evtimer, arg the prober): claim what may run, start it;
 * while stopping, end the loop once the runs are recorded. */
void	 prober_tick(evutil_socket_t, short, void *);

#endif
