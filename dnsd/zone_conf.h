/*
 * zone_conf.h -- the zones' apex data, pre-rendered to wire form once per
 * reload (control path) and read by answer.c (hot path).  zone_conf_new()
 * and its kin are for the control path (reload.c); the struct layout is
 * for answer.c.
 */
#ifndef ORBL_ZONE_CONF_H
#define ORBL_ZONE_CONF_H

#include <stddef.h>
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

/* Zone settings read from the database's meta table ($SOA/$NS/$TTL of an
 * imported rbldnsd file); the config file wins where it sets a key. */
struct zone_meta {
	const char	*soa;	/* rbldnsd "$SOA" value line, or NULL */
	const char	*ns;	/* rbldnsd "$NS" value line, or NULL */
	long long	 ttl;	/* rbldnsd "$TTL", or -1 */
};

/*
 * Render the zones of conf (with meta's settings where conf has none) for
 * serial.  NULL, with the reason in err, if a setting is bad.
 */
struct zone_conf *zone_conf_new(const struct conf *, const struct zone_meta *,
	    uint32_t serial, char *err, size_t errlen);
void	 zone_conf_free(struct zone_conf *);
uint32_t zone_conf_serial(const struct zone_conf *);

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
