/*
 * clock.h -- the monotonic clock, for intervals and deadlines (never for
 * dates: those are time(NULL)).
 */
#ifndef ORBL_CLOCK_H
#define ORBL_CLOCK_H

#include <stdint.h>

/* Microseconds on CLOCK_MONOTONIC (from an arbitrary start). */
int64_t	 clock_mono_usec(void);
/* The same in milliseconds. */
int64_t	 clock_mono_msec(void);

#endif
