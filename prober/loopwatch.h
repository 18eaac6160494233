/*
 * loopwatch.h -- a measure for benchmarks: how long the event loop went
 * without running its timers (a stall: every session waits that long).
 * On only when ORBL_LOOPWATCH_MS is set in the environment (a timer every
 * that many milliseconds, 1..1000); off, it costs nothing.
 */
#ifndef ORBL_LOOPWATCH_H
#define ORBL_LOOPWATCH_H

#include <stddef.h>

struct event_base;

/* Start the watch if asked for (the environment); 0, or -1 bad value. */
int	 loopwatch_start(struct event_base *);
void	 loopwatch_stop(void);
/* "; loop stall max N ms (M over 20 ms), CPU in one C ms (K over)"
 * into buf, or "" when off. */
void	 loopwatch_say(char *buf, size_t len);

#endif
