/*
 * target.c -- see target.h.  Ranges from the IANA special-purpose address
 * registries (RFC 6890 and updates).
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "target.h"

static const struct {
	const char	*cidr;
	const char	*what;
} reserved[] = {
	{ "0.0.0.0/8",		"\"this network\"" },
	{ "10.0.0.0/8",		"a private range" },
	{ "100.64.0.0/10",	"shared address space (CGN)" },
	{ "127.0.0.0/8",	"loopback" },
	{ "169.254.0.0/16",	"link-local" },
	{ "172.16.0.0/12",	"a private range" },
	{ "192.0.0.0/24",	"IETF protocol assignments" },
	{ "192.0.2.0/24",	"documentation (TEST-NET-1)" },
	{ "192.88.99.0/24",	"6to4 relay anycast" },
	{ "192.168.0.0/16",	"a private range" },
	{ "198.18.0.0/15",	"benchmarking" },
	{ "198.51.100.0/24",	"documentation (TEST-NET-2)" },
	{ "203.0.113.0/24",	"documentation (TEST-NET-3)" },
	{ "224.0.0.0/4",	"multicast" },
	{ "240.0.0.0/4",	"reserved" },
	{ "::/127",		"unspecified or loopback" },
	{ "64:ff9b::/96",	"NAT64" },
	{ "64:ff9b:1::/48",	"local NAT64" },
	{ "100::/64",		"discard-only" },
	{ "2001::/23",		"IETF protocol assignments" },
	{ "2001:db8::/32",	"documentation" },
	{ "fc00::/7",		"unique local (private)" },
	{ "fe80::/10",		"link-local" },
	{ "ff00::/8",		"multicast" },
};

const char *
target_reserved(const struct addr *a, const char **what)
{
	struct addr	 net;
	char		 err[128];
	size_t		 i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (addr_parse(reserved[i].cidr, &net, err, sizeof(err)) == -1)
			continue;	/* cannot happen: the table is ours */
		if (addr_contains(&net, a)) {
			if (what)
				*what = reserved[i].what;
			return reserved[i].cidr;
		}
	}
	return NULL;
}

/* Is a inside one of the CIDRs of list? */
static const char *
in_list(char *const *list, int n, const struct addr *a)
{
	struct addr	 net;
	char		 err[128];
	int		 i;

	for (i = 0; i < n; i++)
		if (addr_parse(list[i], &net, err, sizeof(err)) == 0 &&
		    addr_contains(&net, a))
			return list[i];
	return NULL;
}

int
target_check(const struct conf *c, const char *text, struct addr *a,
    char *err, size_t errlen)
{
	const char	*range, *what = NULL;
	char		 why[128];

	if (addr_parse(text, a, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (!addr_is_single(a)) {
		snprintf(err, errlen, "%s: a single address is probed, not a "
		    "range", text);
		return -1;
	}
	if ((range = in_list(c->probe_deny, c->nprobe_deny, a)) != NULL) {
		snprintf(err, errlen, "%s is in the do-not-test list (%s)", text,
		    range);
		return -1;
	}
	if ((range = target_reserved(a, &what)) != NULL &&
	    in_list(c->probe_allow, c->nprobe_allow, a) == NULL) {
		snprintf(err, errlen, "%s is in %s (%s): not probed unless "
		    "probe_allow covers it", text, what, range);
		return -1;
	}
	return 0;
}
