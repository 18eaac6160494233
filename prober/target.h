/*
 * target.h -- may this address be probed?  The one rule both orblctl
 * submit and orbl-prober apply: a single IPv4/IPv6 address, not in the
 * do-not-test list, and not private, loopback, link-local, multicast or
 * otherwise reserved unless the configuration allows it (probe_allow).
 * Pure.
 */
#ifndef ORBL_TARGET_H
#define ORBL_TARGET_H

#include <stddef.h>

#include "addr.h"

struct conf;

/*
 * Returns 0 with *a set, or -1 with a one-line reason in err ("10.0.0.1
 * is in a private range (10.0.0.0/8): not probed unless probe_allow
 * covers it").
 */
int	 target_check(const struct conf *, const char *text, struct addr *a,
	    char *err, size_t errlen);
/* The special-purpose range containing a, or NULL (RFC 6890 registry). */
const char *target_reserved(const struct addr *a, const char **what);

#endif
