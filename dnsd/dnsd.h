/*
 * dnsd.h -- program-wide state of orbl-dnsd.
 */
#ifndef ORBL_DNSD_H
#define ORBL_DNSD_H

#include <stdint.h>

#include "answer.h"
#include "zone_index.h"

/*
 * What queries are answered from: the index and the pre-rendered zone
 * data of one database state, built together and swapped as a unit.
 * Immutable once published.
 */
struct dnsd_data {
	struct zone_index	*idx;
	struct zone_conf	*zc;
	uint32_t		 serial;
	int64_t			 next_expiry;	/* 0: none */
	size_t			 entries;	/* rows loaded */
	int			 loaded;	/* from a database (not empty) */
	int			 patched;	/* a patch of the last data,
						   not a build */
	double			 build_secs;
	/* Main thread only: zone transfers reading this data (xfr.c), and
	 * whether it was retired meanwhile (the last transfer frees it). */
	int			 xfr_pins;
	int			 retired;
};

void	 dnsd_data_free(struct dnsd_data *);

#endif
