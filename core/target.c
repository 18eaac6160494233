/*
 * target.c -- see target.h.  Ranges from the IANA special-purpose address
 * registries (RFC 6890 and updates).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "conf.h"
#include "target.h"

/* The sink's own addresses (target_self_init); read-only after start. */
static struct addr		 self[TARGET_SELF_MAX];
static int			 nself;

static int	mx_lookup_ldns(const char *, struct addr *, int, char *,
		    size_t);
static target_mx_lookup_fn	 mx_lookup = mx_lookup_ldns;

/*
 * Every block of the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890, updated by RFC 8190; registry names) that is not
 * globally reachable, and multicast and the deprecated blocks that are no
 * unicast destination.  The few globally reachable assignments inside a
 * refused block (192.0.0.9/32, 2001:1::1/128, ...) stay refused: no mail
 * server lives there.  IPv4 inside 6to4 (2002::/16) and IPv4-compatible
 * (::/96) addresses is judged by the IPv4 rows (target_reserved).
 */
static const struct {
	const char	*cidr;
	const char	*what;
	const char	*rfc;
} reserved[] = {
	{ "0.0.0.0/8",		"\"this network\"", "RFC 791" },
	{ "10.0.0.0/8",		"a private range", "RFC 1918" },
	{ "100.64.0.0/10",	"shared address space", "RFC 6598" },
	{ "127.0.0.0/8",	"loopback", "RFC 1122" },
	{ "169.254.0.0/16",	"link-local", "RFC 3927" },
	{ "172.16.0.0/12",	"a private range", "RFC 1918" },
	{ "192.0.0.0/24",	"IETF protocol assignments", "RFC 6890" },
	{ "192.0.2.0/24",	"documentation, TEST-NET-1", "RFC 5737" },
	{ "192.88.99.0/24",	"deprecated 6to4 relay anycast", "RFC 7526" },
	{ "192.168.0.0/16",	"a private range", "RFC 1918" },
	{ "198.18.0.0/15",	"benchmarking", "RFC 2544" },
	{ "198.51.100.0/24",	"documentation, TEST-NET-2", "RFC 5737" },
	{ "203.0.113.0/24",	"documentation, TEST-NET-3", "RFC 5737" },
	{ "224.0.0.0/4",	"multicast", "RFC 5771" },
	{ "240.0.0.0/4",	"reserved", "RFC 1112" },
	{ "255.255.255.255/32",	"limited broadcast", "RFC 919" },
	{ "::/127",		"unspecified or loopback", "RFC 4291" },
	{ "::/96",		"deprecated IPv4-compatible", "RFC 4291" },
	{ "::ffff:0:0:0/96",	"IPv4-translated, SIIT", "RFC 6052" },
	{ "64:ff9b::/96",	"IPv4-IPv6 translation", "RFC 6052" },
	{ "64:ff9b:1::/48",	"local-use IPv4/IPv6 translation", "RFC 8215" },
	{ "100::/64",		"discard-only", "RFC 6666" },
	{ "2001::/23",		"IETF protocol assignments", "RFC 2928" },
	{ "2001:db8::/32",	"documentation", "RFC 3849" },
	{ "3fff::/20",		"documentation", "RFC 9637" },
	{ "5f00::/16",		"segment routing SIDs", "RFC 9602" },
	{ "fc00::/7",		"unique local (private)", "RFC 4193" },
	{ "fe80::/10",		"link-local unicast", "RFC 4291" },
	{ "fec0::/10",		"deprecated site-local", "RFC 3879" },
	{ "ff00::/8",		"multicast", "RFC 4291" },
};

static const char *
reserved_row(const struct addr *a, const char **what)
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

const char *
target_reserved(const struct addr *a, const char **what)
{
	static const uint8_t	 zero[12];
	struct addr		 v4;
	const char		*r;

	if ((r = reserved_row(a, what)) != NULL || a->family != 6)
		return r;
	/* IPv4 inside: 6to4 2002:AABB:CCDD::/48 and IPv4-compatible
	 * ::A.B.C.D (deprecated, RFC 4291 2.5.5.1) go by the IPv4 rules. */
	memset(&v4, 0, sizeof(v4));
	v4.family = 4;
	v4.prefix = 32;
	if (a->a[0] == 0x20 && a->a[1] == 0x02)
		memcpy(v4.a, a->a + 2, 4);
	else if (memcmp(a->a, zero, 12) == 0)
		memcpy(v4.a, a->a + 12, 4);
	else
		return NULL;
	if ((r = reserved_row(&v4, what)) != NULL)
		return a->a[0] == 0x20 ? "2002::/16" : "::/96";
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

const char *
target_denied_by(const struct conf *c, const struct addr *a)
{
	return in_list(c->probe_deny, c->nprobe_deny, a);
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
	if (target_self(a)) {
		snprintf(err, errlen, "%s is orbl's own mail sink: never tested",
		    text);
		return -1;
	}
	if (target_denied_by(c, a) != NULL) {
		snprintf(err, errlen, "%s is not tested by policy", text);
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

/* -- the sink's own addresses */

int
target_self_add(const struct addr *a)
{
	struct addr	 n = *a;
	int		 i;

	addr_mask(&n);
	for (i = 0; i < nself; i++)
		if (addr_cmp(&self[i], &n) == 0)
			return 0;
	if (nself >= TARGET_SELF_MAX)
		return -1;
	self[nself++] = n;
	return 0;
}

void
target_self_clear(void)
{
	nself = 0;
}

int
target_self(const struct addr *a)
{
	int	 i;

	for (i = 0; i < nself; i++)
		if (addr_contains(&self[i], a))
			return 1;
	return 0;
}

int
target_self_count(void)
{
	return nself;
}

void
target_self_set_lookup(target_mx_lookup_fn fn)
{
	mx_lookup = fn != NULL ? fn : mx_lookup_ldns;
}

int
target_special_use(const char *name)
{
	static const char *const special[] = {
		"test", "example", "example.com", "example.net", "example.org",
		"invalid", "localhost", "local", "onion", "home.arpa",
	};
	char	 buf[256];
	size_t	 len, slen, i;

	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return len == 0;	/* the root: nothing to ask about */
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		slen = strlen(special[i]);
		if (len == slen && strcmp(buf, special[i]) == 0)
			return 1;
		if (len > slen && buf[len - slen - 1] == '.' &&
		    strcmp(buf + len - slen, special[i]) == 0)
			return 1;
	}
	return 0;
}

/* A sockaddr or raw address bytes as a single struct addr (normalised by
   addr_parse: an IPv4-mapped IPv6 address becomes IPv4). */
static int
addr_from_bytes(int af, const void *p, struct addr *a)
{
	char	 buf[INET6_ADDRSTRLEN], err[128];

	if (inet_ntop(af, p, buf, sizeof(buf)) == NULL)
		return -1;
	return addr_parse(buf, a, err, sizeof(err));
}

/* The number of leading one bits of a netmask of len bytes. */
static int
mask_len(const uint8_t *m, size_t len)
{
	size_t	 i;
	int	 n = 0, b;

	for (i = 0; i < len; i++)
		for (b = 7; b >= 0; b--) {
			if (!(m[i] >> b & 1))
				return n;
			n++;
		}
	return n;
}

/* Every address of the host's interfaces; a loopback's whole network. */
static int
self_add_interfaces(char *err, size_t errlen)
{
	struct ifaddrs	*ifa, *i;
	struct addr	 a;
	const void	*p, *m;
	size_t		 mlen;
	int		 rc = 0, af;

	if (getifaddrs(&ifa) == -1) {
		snprintf(err, errlen, "the host's interface addresses "
		    "(getifaddrs): %s", strerror(errno));
		return -1;
	}
	for (i = ifa; i != NULL && rc == 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		af = i->ifa_addr->sa_family;
		if (af == AF_INET) {
			p = &((struct sockaddr_in *)(void *)i->ifa_addr)->
			    sin_addr;
			m = i->ifa_netmask ? &((struct sockaddr_in *)(void *)
			    i->ifa_netmask)->sin_addr : NULL;
			mlen = 4;
		} else if (af == AF_INET6) {
			p = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->
			    sin6_addr;
			m = i->ifa_netmask ? &((struct sockaddr_in6 *)(void *)
			    i->ifa_netmask)->sin6_addr : NULL;
			mlen = 16;
		} else
			continue;
		if (addr_from_bytes(af, p, &a) == -1)
			continue;
		/* Linux delivers a loopback's whole network locally. */
		if ((i->ifa_flags & IFF_LOOPBACK) && m != NULL &&
		    a.family == (af == AF_INET ? 4 : 6))
			a.prefix = (uint8_t)mask_len(m, mlen);
		if (target_self_add(&a) == -1)
			rc = -1;
	}
	freeifaddrs(ifa);
	if (rc == -1)
		snprintf(err, errlen, "more than %d own addresses of the sink",
		    TARGET_SELF_MAX);
	return rc;
}

/* 0.0.0.0 or ::, a wildcard listen address? */
static int
unspecified(const struct addr *a)
{
	size_t	 i;

	for (i = 0; i < sizeof(a->a); i++)
		if (a->a[i] != 0)
			return 0;
	return addr_is_single(a);
}

int
target_self_init(const struct conf *c, char *err, size_t errlen)
{
	struct addr	 a, mx[TARGET_SELF_MAX];
	char		 why[256], note[256];
	int		 i, n, wildcard = 0;

	if (errlen > 0)
		err[0] = '\0';
	target_self_clear();
	/* Connecting to the unspecified address reaches this host. */
	if (addr_parse("0.0.0.0", &a, why, sizeof(why)) == 0)
		target_self_add(&a);
	if (addr_parse("::", &a, why, sizeof(why)) == 0)
		target_self_add(&a);
	for (i = 0; i < c->nsink_listen; i++) {
		if (addr_parse(c->sink_listen[i].host, &a, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "sink_listen %s: %s",
			    c->sink_listen[i].host, why);
			return -1;
		}
		if (unspecified(&a))
			wildcard = 1;
		else if (target_self_add(&a) == -1) {
			snprintf(err, errlen, "more than %d own addresses of "
			    "the sink", TARGET_SELF_MAX);
			return -1;
		}
	}
	if (wildcard && self_add_interfaces(err, errlen) == -1)
		return -1;

	if (c->sink_domain == NULL || target_special_use(c->sink_domain))
		return 0;
	note[0] = '\0';
	n = mx_lookup(c->sink_domain, mx, TARGET_SELF_MAX, note, sizeof(note));
	for (i = 0; i < n && i < TARGET_SELF_MAX; i++)
		if (target_self_add(&mx[i]) == -1) {
			snprintf(err, errlen, "more than %d own addresses of "
			    "the sink", TARGET_SELF_MAX);
			return -1;
		}
	if (note[0] != '\0')
		snprintf(err, errlen, "the mail servers of sink_domain %s: %s "
		    "(they are not refused as targets)", c->sink_domain, note);
	return 0;
}

/* -- the ldns lookup of sink_domain's mail servers */

/* Ask res for name's records of type; NULL with a note on failure. */
static ldns_pkt *
ask(ldns_resolver *res, const ldns_rdf *name, ldns_rr_type type,
    char *note, size_t notelen)
{
	ldns_pkt		*p;
	ldns_pkt_rcode		 rc;
	char			*s;

	p = ldns_resolver_query(res, name, type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (p != NULL) {
		rc = ldns_pkt_get_rcode(p);
		if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN)
			return p;
		ldns_pkt_free(p);
	}
	if (note[0] == '\0') {
		s = ldns_rdf2str(name);
		snprintf(note, notelen, "%s %s: %s", s ? s : "?",
		    type == LDNS_RR_TYPE_MX ? "MX" : type == LDNS_RR_TYPE_A ?
		    "A" : "AAAA", p == NULL ? "no answer" : "lookup failed");
		free(s);
	}
	return NULL;
}

/* Append the A and AAAA addresses of host to out[*n..max). */
static void
host_addrs(ldns_resolver *res, const ldns_rdf *host, struct addr *out,
    int *n, int max, char *note, size_t notelen)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A,
	    LDNS_RR_TYPE_AAAA };
	ldns_rr_list	*l;
	ldns_rdf	*r;
	ldns_pkt	*p;
	size_t		 t, j;

	for (t = 0; t < 2; t++) {
		if ((p = ask(res, host, types[t], note, notelen)) == NULL)
			continue;
		l = ldns_pkt_rr_list_by_type(p, types[t],
		    LDNS_SECTION_ANSWER);
		for (j = 0; l != NULL && j < ldns_rr_list_rr_count(l); j++) {
			r = ldns_rr_rdf(ldns_rr_list_rr(l, j), 0);
			if (r == NULL)
				continue;
			if (*n >= max) {
				if (note[0] == '\0')
					snprintf(note, notelen, "more than "
					    "%d addresses", max);
				break;
			}
			if ((ldns_rdf_size(r) == 4 || ldns_rdf_size(r) == 16) &&
			    addr_from_bytes(ldns_rdf_size(r) == 4 ? AF_INET :
			    AF_INET6, ldns_rdf_data(r), &out[*n]) == 0)
				(*n)++;
		}
		ldns_rr_list_deep_free(l);
		ldns_pkt_free(p);
	}
}

static int
mx_lookup_ldns(const char *domain, struct addr *out, int max, char *note,
    size_t notelen)
{
	ldns_resolver	*res;
	ldns_rdf	*name, *x;
	ldns_rr_list	*l = NULL;
	ldns_pkt	*p;
	ldns_status	 st;
	size_t		 j;
	int		 n = 0;

	note[0] = '\0';
	if ((st = ldns_resolver_new_frm_file(&res, NULL)) != LDNS_STATUS_OK) {
		snprintf(note, notelen, "no system resolver: %s",
		    ldns_get_errorstr_by_id(st));
		return 0;
	}
	/* 2 s a try, one retry at once: ldns counts tries, not retries. */
	ldns_resolver_set_timeout(res, (struct timeval){ 2, 0 });
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_retrans(res, 0);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_dnsrch(res, false);
	if ((name = ldns_dname_new_frm_str(domain)) == NULL) {
		snprintf(note, notelen, "not a domain name");
		ldns_resolver_deep_free(res);
		return 0;
	}
	if ((p = ask(res, name, LDNS_RR_TYPE_MX, note, notelen)) != NULL) {
		if (ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN)
			snprintf(note, notelen, "no such domain");
		else if ((l = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_MX,
		    LDNS_SECTION_ANSWER)) == NULL ||
		    ldns_rr_list_rr_count(l) == 0)
			/* No MX: the domain is its own mail server. */
			host_addrs(res, name, out, &n, max, note, notelen);
		for (j = 0; l != NULL && j < ldns_rr_list_rr_count(l); j++) {
			x = ldns_rr_mx_exchange(ldns_rr_list_rr(l, j));
			/* A null MX (RFC 7505), ".", names no server. */
			if (x == NULL || ldns_rdf_size(x) <= 1)
				continue;
			host_addrs(res, x, out, &n, max, note, notelen);
		}
		ldns_rr_list_deep_free(l);
		ldns_pkt_free(p);
	}
	ldns_rdf_deep_free(name);
	ldns_resolver_deep_free(res);
	return n;
}
