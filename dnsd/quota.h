/*
 * quota.h -- query_daily_limit: queries per source prefix (the
 * rrl_prefix4 / rrl_prefix6 widths, the same prefix RRL counts) per UTC
 * day, approximately.
 *
 * A count-min sketch: QUOTA_ROWS rows of QUOTA_COLS 64-bit cells (day |
 * count), each query adds one to a cell in each row chosen by the
 * prefix's keyed hash, and the smallest of them is the estimate.
 * Collisions can only overestimate, so a quiet prefix sharing both
 * cells with heavy ones may be limited early; with 2 x 32768 cells that
 * takes two coincidences.  Fixed memory (512 KiB) whatever the number of
 * sources; a cell of an earlier day counts as zero (the daily reset,
 * without a sweep).  Shared by the workers, updated by compare-and-swap.
 */
#ifndef ORBL_QUOTA_H
#define ORBL_QUOTA_H

#include <stdatomic.h>
#include <stdint.h>

#include "conf.h"

#define QUOTA_ROWS	2
#define QUOTA_COLS	(1 << 15)

struct quota {
	uint64_t		 limit;		/* 0: off */
	_Atomic uint64_t	*cells;		/* QUOTA_ROWS * QUOTA_COLS */
};

int	 quota_init(struct quota *, const struct conf *, int alloc,
	    char *err, size_t errlen);
void	 quota_free(struct quota *);
/* Count one query of the prefix hashed h on day (Unix time / 86400);
 * 1 if that puts it beyond the limit. */
int	 quota_count(struct quota *, uint64_t h, uint32_t day);

#endif
