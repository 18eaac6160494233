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

/*
 * A name server host of ours: an `ns` name with the addresses the
 * configuration gives it (`ns = ns1.bl.example.org 192.0.2.53
 * 2001:db8::53`).  Every NS name inside a served zone is one, with or
 * without addresses: its A/AAAA queries are answered from here (NODATA
 * when it has none), never as an RFC 5782 name.
 */
#define NS_ADDR_MAX	8	/* per family */

struct ns_host {
	struct zname	 name;
	int		 inzone;	/* under one of the served zones */
	int		 nv4, nv6;
	uint8_t		 v4[NS_ADDR_MAX][4];
	uint8_t		 v6[NS_ADDR_MAX][16];
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
	/* TXT of the access rules' answers (answer.h), '$' = the source */
	char		 blocked_txt[512], excess_txt[512];
	uint16_t	 blocked_txtlen, excess_txtlen;
	int		 ns_host[CONF_MAX_LIST];	/* in hosts[], -1: none
							   with addresses */
	int		 nns;
};

struct zone_conf {
	uint32_t	 serial;
	int		 nzones;
	struct zone	 zones[CONF_MAX_LIST];
	/* conf `ns` names (with their addresses) and the NS names inside a
	 * zone: at most CONF_MAX_LIST per zone plus the conf's */
	int		 nhosts;
	struct ns_host	 hosts[CONF_MAX_LIST * (CONF_MAX_LIST + 1)];
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
/* A wire name as text without the final dot ("." for the root); -1 if
 * it does not fit. */
int	 zone_conf_name_text(const struct zname *, char *, size_t);
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
