/*
 * counter.h -- the query path's counters: written by one thread each (a
 * UDP worker, or the main thread for TCP), read by the main thread for
 * the stats line and /metrics.
 *
 * A counter is a C11 atomic so that the reader's load is not a data race,
 * but the writer never pays for one: with a single writer, an increment
 * is a relaxed load and a relaxed store, which on x86-64 and arm64 is the
 * same plain load, add and store as a non-atomic ++ (no locked
 * read-modify-write).  A reader sees each counter whole, at most a batch
 * old; a snapshot of several is not taken at one instant.
 */
#ifndef ORBL_COUNTER_H
#define ORBL_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t dnsd_counter;

/* Only the counter's one writer may call these two. */
static inline void
counter_add(dnsd_counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static inline void
counter_inc(dnsd_counter *c)
{
	counter_add(c, 1);
}

/* Any thread. */
static inline uint64_t
counter_get(const dnsd_counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
