/*
 * quota.c -- see quota.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quota.h"
#include "xmalloc.h"

/* A cell: day (16 bits) | count (48 bits). */
#define C_DAY(c)	((uint32_t)((c) >> 48))
#define C_CNT(c)	((c) & 0xffffffffffffULL)
#define CAS_TRIES	4

int
quota_init(struct quota *q, const struct conf *c, int alloc, char *err,
    size_t errlen)
{
	memset(q, 0, sizeof(*q));
	if (c->query_daily_limit < 0) {
		snprintf(err, errlen, "query_daily_limit: %lld out of range",
		    c->query_daily_limit);
		return -1;
	}
	q->limit = (uint64_t)c->query_daily_limit;
	if (alloc && q->limit > 0)
		q->cells = xcalloc(QUOTA_ROWS * QUOTA_COLS,
		    sizeof(q->cells[0]));
	return 0;
}

void
quota_free(struct quota *q)
{
	free(q->cells);
	q->cells = NULL;
}

/* Add one to a cell; its new count (0 if the CAS kept losing). */
static uint64_t
cell_add(_Atomic uint64_t *cell, uint32_t day)
{
	uint64_t	 old, cnt;
	int		 try;

	for (try = 0; try < CAS_TRIES; try++) {
		old = atomic_load_explicit(cell, memory_order_relaxed);
		cnt = C_DAY(old) == day ? C_CNT(old) : 0;
		if (cnt < 0xffffffffffffULL)
			cnt++;
		if (atomic_compare_exchange_weak_explicit(cell, &old,
		    (uint64_t)day << 48 | cnt, memory_order_relaxed,
		    memory_order_relaxed))
			return cnt;
	}
	return 0;
}

int
quota_count(struct quota *q, uint64_t h, uint32_t day)
{
	uint64_t	 est = UINT64_MAX, n;
	int		 row;

	if (q->limit == 0 || q->cells == NULL)
		return 0;
	day &= 0xffff;
	for (row = 0; row < QUOTA_ROWS; row++) {
		n = cell_add(&q->cells[row * QUOTA_COLS +
		    (uint32_t)(h >> (row * 24)) % QUOTA_COLS], day);
		if (n < est)
			est = n;
	}
	return est > q->limit;
}
