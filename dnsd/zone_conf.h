/*
 * zone_conf.h -- the zones' apex data, pre-rendered to wire form once per
 * reload (control path) and read by answer.c (hot path).  Private to
 * orbl-dnsd; the public part is in answer.h.
 */
#ifndef ORBL_ZONE_CONF_H
#define ORBL_ZONE_CONF_H

#include <stdint.h>

#include "conf.h"
#include "query.h"

#define TTL_MAX		0x7fffffffLL

/* A name of ours in wire form, compressible against the zone apex. */
struct zname {
	uint8_t		 wire[QUERY_NAME_MAX];
	uint16_t	 len;
	uint16_t	 prefix;	/* bytes before the apex suffix */
	int		 under_apex;	/* wire = prefix + apex */
};

struct zone {
	uint8_t		 apex[QUERY_NAME_MAX];
	uint16_t	 apexlen;
	uint8_t		 nlabels;
	uint32_t	 ttl;		/* A and TXT */
	uint32_t	 soa_ttl, ns_ttl, neg_ttl;
	struct zname	 mname, rname;
	uint8_t		 soa_tail[20];	/* serial refresh retry expire minimum */
	struct zname	 ns[CONF_MAX_LIST];
	int		 nns;
};

struct zone_conf {
	uint32_t	 serial;
	int		 nzones;
	struct zone	 zones[CONF_MAX_LIST];
};

/* ------------------------------------------------------------------ */

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
