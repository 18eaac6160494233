/*
 * target.h -- may this address be probed?  The one rule every front end
 * (orblctl submit and probe, orbl-web) and orbl-prober apply: a single
 * IPv4/IPv6 address, never one of orbl's own mail sink, not in the
 * do-not-test list, and not private, loopback, link-local, multicast or
 * otherwise reserved unless the configuration allows it (probe_allow).
 *
 * The sink's own addresses live in a module-level table filled once per
 * process by target_self_init() (at start, before any thread that calls
 * target_check() exists) and only read afterwards.  Everything else is
 * pure.  Nothing here logs: problems come back in err for the caller.
 */
#ifndef ORBL_TARGET_H
#define ORBL_TARGET_H

#include <stddef.h>

#include "addr.h"

struct conf;

/* Room in the own-address table (entries are addresses or prefixes). */
#define TARGET_SELF_MAX	256

/*
 * Returns 0 with *a set, or -1 with a one-line public reason in err:
 *   "10.0.0.1 is in a private range (10.0.0.0/8): not probed unless
 *    probe_allow covers it"
 *   "192.0.2.77 is orbl's own mail sink: never tested"  (any port;
 *    probe_allow does not override it)
 *   "198.51.100.7 is not tested by policy"  (probe_deny; the message
 *    never names the list or the entry: see target_denied_by)
 * Checked in that order after parsing: own sink, probe_deny, reserved.
 */
int	 target_check(const struct conf *, const char *text, struct addr *a,
	    char *err, size_t errlen);
/* The special-purpose range containing a, or NULL (RFC 6890 registry). */
const char *target_reserved(const struct addr *a, const char **what);
/*
 * The probe_deny entry (as written in the configuration) containing a,
 * or NULL.  For operator-side messages only (the prober's log, orblctl):
 * public answers must not reveal the do-not-test list.
 */
const char *target_denied_by(const struct conf *, const struct addr *a);

/*
 * Collect orbl's own mail sink addresses into the table (after clearing
 * it); call once per process at start, after the configuration is loaded:
 *  (a) every sink_listen address;
 *  (b) for a wildcard sink_listen (0.0.0.0 or ::), every address of the
 *      host's interfaces (getifaddrs), and the whole network of a
 *      loopback interface (127.0.0.0/8: any of it reaches a wildcard
 *      listener); 0.0.0.0 and :: themselves are always in the table
 *      (connecting to them reaches this host);
 *  (c) the addresses of the mail servers sink_domain's MX records name
 *      (its own A/AAAA when it has no MX, the RFC 5321 implicit MX; none
 *      for a null MX), looked up through /etc/resolv.conf with a 2 s
 *      timeout and 1 retry per query.  No query at all when sink_domain
 *      is, or is under, a special-use name (RFC 6761, 6762, 7686, 8375:
 *      test, example, example.com/.net/.org, invalid, localhost, local,
 *      onion, home.arpa).
 * Until it is called the table is empty and no address is refused as the
 * sink's.  A resolver that does not answer costs about 4 s a query.
 * Returns 0 when the rule can be kept: err is "" or, when (c) failed or
 * was incomplete, a note to log as a warning (the table then holds (a)
 * and (b) and what (c) found).  Returns -1 with the reason in err when it
 * cannot (getifaddrs failed, more than TARGET_SELF_MAX entries): the
 * caller must not take or run probes then.
 */
int	 target_self_init(const struct conf *, char *err, size_t errlen);
/*
 * Add an address or a prefix to the table (tests; callers that know more
 * of the sink's addresses).  Returns 0 (also when already there), or -1
 * when the table is full.
 */
int	 target_self_add(const struct addr *);
void	 target_self_clear(void);
/* Is a (a single address) one of the sink's own addresses? */
int	 target_self(const struct addr *a);
/* The number of table entries (tests, start-up log). */
int	 target_self_count(void);

/*
 * The lookup of (c), replaceable for tests: store at most max addresses
 * of domain's mail servers in out and return how many; put a note in
 * note ("" when complete) for a failed or partial lookup.
 * target_self_set_lookup(NULL) restores the ldns implementation.
 */
typedef int (*target_mx_lookup_fn)(const char *domain, struct addr *out,
    int max, char *note, size_t notelen);
void	 target_self_set_lookup(target_mx_lookup_fn);
/* Is name (a domain, with or without the final dot) special-use? */
int	 target_special_use(const char *name);

#endif
