/*
 * loopwatch.c -- see loopwatch.h.  A timer re-armed every period notes
 * how late it fired against the monotonic clock: the loop was busy in
 * some callback (a batch of runs recorded, a burst of claims) for about
 * that long.  The lateness includes the kernel's scheduling of this
 * process, so on a loaded machine it is an upper bound: the process's CPU
 * time over the same span tells how much of it was the prober's own work
 * (the figure a quiet machine would see).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "loopwatch.h"

#define LOOPWATCH_ENV		"ORBL_LOOPWATCH_MS"
#define LOOPWATCH_SLOW_MS	20	/* a stall worth counting */

static struct {
	struct event	*ev;
	int64_t		 period_us;
	int64_t		 due_us;	/* when it should fire */
	int64_t		 cpu_us;	/* CPU time when armed */
	int64_t		 max_us;	/* the longest lateness */
	int64_t		 maxcpu_us;	/* the most CPU time in one */
	uint64_t	 slow;		/* stalls over LOOPWATCH_SLOW_MS */
	uint64_t	 slowcpu;	/* of them, with that much CPU */
} lw;

static int64_t
clock_us(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static void
loopwatch_arm(void)
{
	struct timeval	 tv = { 0, (suseconds_t)lw.period_us };

	lw.due_us = mono_us() + lw.period_us;
	lw.cpu_us = clock_us(CLOCK_PROCESS_CPUTIME_ID);
	evtimer_add(lw.ev, &tv);
}

static void
loopwatch_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 late = mono_us() - lw.due_us;
	int64_t	 cpu = clock_us(CLOCK_PROCESS_CPUTIME_ID) - lw.cpu_us;

	(void)fd;
	(void)ev;
	(void)arg;
	if (late < 0)
		late = 0;
	/* The CPU spent in the stall: at most its span past the period. */
	cpu -= lw.period_us;
	if (cpu > late)
		cpu = late;
	if (late > lw.max_us)
		lw.max_us = late;
	if (cpu > lw.maxcpu_us)
		lw.maxcpu_us = cpu;
	if (cpu > LOOPWATCH_SLOW_MS * 1000)
		lw.slowcpu++;
	if (late > LOOPWATCH_SLOW_MS * 1000) {
		lw.slow++;
		log_info("loop watch: a stall of %.1f ms, %.1f ms of it CPU",
		    (double)late / 1000, cpu > 0 ? (double)cpu / 1000 : 0.0);
	}
	loopwatch_arm();
}

int
loopwatch_start(struct event_base *base)
{
	const char	*v = getenv(LOOPWATCH_ENV);
	char		*end;
	long		 ms;

	if (v == NULL || *v == '\0')
		return 0;
	ms = strtol(v, &end, 10);
	if (*end != '\0' || ms < 1 || ms > 1000) {
		log_warnx("%s=%s: not 1..1000 (ms): no loop watch",
		    LOOPWATCH_ENV, v);
		return -1;
	}
	if ((lw.ev = evtimer_new(base, loopwatch_cb, NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	lw.period_us = ms * 1000;
	loopwatch_arm();
	log_info("loop watch: a timer every %ld ms", ms);
	return 0;
}

void
loopwatch_stop(void)
{
	if (lw.ev != NULL)
		event_free(lw.ev);
	lw.ev = NULL;
}

void
loopwatch_say(char *buf, size_t len)
{
	if (lw.ev == NULL) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "; loop stall max %.1f ms (%llu over %d ms), "
	    "CPU in one %.1f ms (%llu over)", (double)lw.max_us / 1000,
	    (unsigned long long)lw.slow, LOOPWATCH_SLOW_MS,
	    (double)lw.maxcpu_us / 1000, (unsigned long long)lw.slowcpu);
}
