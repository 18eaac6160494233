/*
 * mailq_top.h -- the most frequent keys of a stream, in bounded memory:
 * the Space-Saving algorithm (Metwally, Agrawal, El Abbadi 2005) over
 * `capacity` counters.  While there are at most `capacity` distinct keys
 * every count is exact; beyond that, a key whose true count exceeds
 * total/capacity is always kept, and a count may be too high by at most
 * its `error`.  orblctl queue-check counts recipient domains and senders
 * of a mail queue with it.  Pure: no I/O, no allocation after
 * mailq_top_new.
 */
#ifndef ORBL_MAILQ_TOP_H
#define ORBL_MAILQ_TOP_H

#include <stddef.h>
#include <stdint.h>

#define MAILQ_TOP_KEY_MAX	256	/* keys are cut to this - 1 bytes */

struct mailq_top_entry {
	const char	*key;		/* borrowed: until the next add/free */
	uint64_t	 count;
	uint64_t	 error;		/* count - error <= true count */
};

struct mailq_top;

/* malloc'd, about capacity * 300 bytes; NULL if out of memory.  The seed
 * randomises the hash (against crafted collisions). */
struct mailq_top *mailq_top_new(size_t capacity, uint64_t seed);
void		 mailq_top_free(struct mailq_top *);
/* Count key (len bytes; cut to MAILQ_TOP_KEY_MAX - 1) once more. */
void		 mailq_top_add(struct mailq_top *, const char *key, size_t len);
/*
 * The n largest counts, largest first (ties: by key), into out.
 * Returns how many were written.
 */
size_t		 mailq_top_get(const struct mailq_top *,
		    struct mailq_top_entry *out, size_t n);
/* 1 while every count is exact (no key was ever evicted). */
int		 mailq_top_exact(const struct mailq_top *);
/* Keys added in all (the stream length). */
uint64_t	 mailq_top_total(const struct mailq_top *);

#endif
