/*
 * clock.c -- the monotonic clock (clock.h).
 */
#include <time.h>

#include "clock.h"

int64_t
clock_mono_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_mono_msec(void)
{
	return clock_mono_usec() / 1000;
}
