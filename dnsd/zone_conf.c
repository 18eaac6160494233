/*
 * zone_conf.c -- zone_conf_new(): the configuration (and an imported
 * rbldnsd file's $SOA/$NS/$TTL lines) turned into wire-form names and
 * numbers once per reload.  Control path: may allocate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "conf.h"
#include "xmalloc.h"
#include "zone_conf.h"

/* Control path: zone_conf_new and the rbldnsd meta lines. */

struct meta {
	int		 soa;		/* $SOA parsed */
	long long	 soa_ttl;	/* 0: not given */
	struct zname	 mname, rname;
	long long	 refresh, retry, expire, minimum;
	int		 nns;		/* $NS parsed: names */
	long long	 ns_ttl;	/* 0: not given */
	struct zname	 ns[CONF_MAX_LIST];
	long long	 ttl;		/* $TTL, -1: not given */
};

/*
 * Text to a lower-cased wire name; "a.b", "a.b." and "." are accepted.
 * A mailbox "user@example.org" becomes "user.example.org" (dots in the
 * local part escaped).  Returns 0 or -1.
 */
static int
name_parse(const char *s, struct zname *n)
{
	char		 buf[1024], *o = buf;
	const char	*at;
	ldns_rdf	*rdf;
	size_t		 len;

	if (s == NULL || *s == '\0' || strlen(s) >= sizeof(buf) / 2)
		return -1;
	if ((at = strchr(s, '@')) != NULL) {
		if (at == s || strchr(at + 1, '@') != NULL || at[1] == '\0')
			return -1;
		for (; s < at; s++) {
			if (*s == '.')
				*o++ = '\\';
			*o++ = *s;
		}
		*o++ = '.';
		s++;
	}
	len = strlen(s);
	memcpy(o, s, len + 1);
	if ((rdf = ldns_dname_new_frm_str(buf)) == NULL)
		return -1;
	ldns_dname2canonical(rdf);
	len = ldns_rdf_size(rdf);
	if (len < 1 || len > QUERY_NAME_MAX) {
		ldns_rdf_deep_free(rdf);
		return -1;
	}
	memset(n, 0, sizeof(*n));
	memcpy(n->wire, ldns_rdf_data(rdf), len);
	n->len = (uint16_t)len;
	ldns_rdf_deep_free(rdf);
	return 0;
}

/* Prepend one label to a wire name ("ns" + "bl.test." = "ns.bl.test."). */
static int
name_prepend(const char *label, const struct zname *base, struct zname *n)
{
	size_t	 l = strlen(label);

	if (l == 0 || l > 63 || base->len + 1 + l > QUERY_NAME_MAX)
		return -1;
	memset(n, 0, sizeof(*n));
	n->wire[0] = (uint8_t)l;
	memcpy(n->wire + 1, label, l);
	memcpy(n->wire + 1 + l, base->wire, base->len);
	n->len = (uint16_t)(base->len + 1 + l);
	return 0;
}

static int
name_labels(const uint8_t *w)
{
	int	 n = 0;

	while (*w) {
		n++;
		w += *w + 1;
	}
	return n;
}

/* Mark n compressible if the zone apex is a suffix of it. */
static void
name_relate(struct zname *n, const struct zone *z)
{
	size_t	 o = 0;

	n->under_apex = 0;
	n->prefix = 0;
	for (;;) {
		if (n->len - o == z->apexlen &&
		    memcmp(n->wire + o, z->apex, z->apexlen) == 0) {
			n->under_apex = 1;
			n->prefix = (uint16_t)o;
			return;
		}
		if (n->wire[o] == 0)
			return;
		o += n->wire[o] + 1;
	}
}

/* Split a copy of s into at most max whitespace-separated words. */
static int
words(char *s, char **w, int max)
{
	char	*save = NULL, *t;
	int	 n = 0;

	for (t = strtok_r(s, " \t\r\n", &save); t != NULL;
	    t = strtok_r(NULL, " \t\r\n", &save)) {
		if (*t == '#' || *t == ';')
			break;		/* a comment ends the line */
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

static int
meta_duration(const char *s, long long *v)
{
	if (addr_duration_parse(s, v) == -1 || *v > TTL_MAX)
		return -1;
	return 0;
}

/* "$SOA ttl origin person serial refresh retry expire minttl" */
static void
meta_soa(const char *line, struct meta *m)
{
	char		*copy, *w[12];
	int		 n, i = 0;
	long long	 v[4], ttl;

	copy = xstrdup(line);
	n = words(copy, w, 12);
	if (n > 0 && strcasecmp(w[0], "$SOA") == 0)
		i = 1;
	if (n - i != 8 || meta_duration(w[i], &ttl) == -1 ||
	    name_parse(w[i + 1], &m->mname) == -1 ||
	    name_parse(w[i + 2], &m->rname) == -1 ||
	    meta_duration(w[i + 4], &v[0]) == -1 ||
	    meta_duration(w[i + 5], &v[1]) == -1 ||
	    meta_duration(w[i + 6], &v[2]) == -1 ||
	    meta_duration(w[i + 7], &v[3]) == -1) {
		free(copy);
		return;		/* serial (w[i + 3]) is always ours */
	}
	m->soa = 1;
	m->soa_ttl = ttl;
	m->refresh = v[0];
	m->retry = v[1];
	m->expire = v[2];
	m->minimum = v[3];
	free(copy);
}

/* "$NS ttl ns1 ns2 ..." (older files: "$NS ns1 ns2 ...") */
static void
meta_ns(const char *line, struct meta *m)
{
	char		*copy, *w[CONF_MAX_LIST + 2];
	int		 n, i = 0, k;
	long long	 ttl = 0;

	copy = xstrdup(line);
	n = words(copy, w, CONF_MAX_LIST + 2);
	if (n > 0 && strcasecmp(w[0], "$NS") == 0)
		i = 1;
	if (i < n && meta_duration(w[i], &ttl) == 0)
		i++;
	if (n - i < 1 || n - i > CONF_MAX_LIST) {
		free(copy);
		return;
	}
	for (k = 0; i < n; i++, k++)
		if (name_parse(w[i], &m->ns[k]) == -1) {
			free(copy);
			return;
		}
	m->nns = k;
	m->ns_ttl = ttl;
	free(copy);
}

static void
meta_read(const struct zone_meta *zm, struct meta *m)
{
	memset(m, 0, sizeof(*m));
	m->ttl = -1;
	if (zm == NULL)
		return;
	if (zm->soa != NULL)
		meta_soa(zm->soa, m);
	if (zm->ns != NULL)
		meta_ns(zm->ns, m);
	if (zm->ttl >= 0 && zm->ttl <= TTL_MAX)
		m->ttl = zm->ttl;
}

static int
conf_u32(const char *key, long long v, uint32_t *out, char *err,
    size_t errlen)
{
	if (v < 0 || v > TTL_MAX) {
		snprintf(err, errlen, "%s: %lld out of range", key, v);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "hostmaster@example.org" from the SOA RNAME (its first label). */
static void
rname_mailbox(const struct zname *n, char *buf, size_t len)
{
	char	 dom[QUERY_NAME_MAX * 4];
	uint8_t	 l = n->wire[0];
	struct zname	 rest;

	if (l == 0 || l >= n->len) {
		snprintf(buf, len, "the list's operator");
		return;
	}
	memset(&rest, 0, sizeof(rest));
	memcpy(rest.wire, n->wire + 1 + l, n->len - 1 - l);
	rest.len = (uint16_t)(n->len - 1 - l);
	if (zone_conf_name_text(&rest, dom, sizeof(dom)) == -1) {
		snprintf(buf, len, "the list's operator");
		return;
	}
	if (snprintf(buf, len, "%.*s@%s", (int)l, (const char *)n->wire + 1,
	    dom) >= (int)len)
		snprintf(buf, len, "the list's operator");
}

/*
 * The TXT of the "blocked" and "excessive number of queries" answers:
 * what happened and whom to ask (the SOA RNAME's mailbox).
 */
static void
policy_texts(struct zone *z, const char *zname, const struct conf *c)
{
	char	 who[600];
	int	 n;

	rname_mailbox(&z->rname, who, sizeof(who));
	n = snprintf(z->blocked_txt, sizeof(z->blocked_txt), "Queries from "
	    "$ to %s are refused: this address may not query the list "
	    "(public or unregistered resolver?). Query through your own "
	    "resolver, or ask %s for access", zname, who);
	z->blocked_txtlen = (uint16_t)(n < 0 ? 0 : n >= (int)sizeof(
	    z->blocked_txt) ? (int)sizeof(z->blocked_txt) - 1 : n);
	n = snprintf(z->excess_txt, sizeof(z->excess_txt), "Excessive "
	    "number of queries from $ to %s: more than %lld today. Ask %s "
	    "for a higher limit", zname, c->query_daily_limit, who);
	z->excess_txtlen = (uint16_t)(n < 0 ? 0 : n >= (int)sizeof(
	    z->excess_txt) ? (int)sizeof(z->excess_txt) - 1 : n);
}

static int
zone_setup(struct zone *z, const char *zname, const struct conf *c,
    const struct meta *m, const struct ns_host *hosts, uint32_t serial,
    char *err, size_t errlen)
{
	struct zname	 apex;
	uint32_t	 refresh, retry, expire, minimum;
	long long	 ttl;
	int		 i;

	if (name_parse(zname, &apex) == -1) {
		snprintf(err, errlen, "zone: bad name '%s'", zname);
		return -1;
	}
	memcpy(z->apex, apex.wire, apex.len);
	z->apexlen = apex.len;
	z->nlabels = (uint8_t)name_labels(apex.wire);

	/* TTLs: the config wins where it says so, then the file's lines. */
	ttl = c->ttl;
	if (!conf_isset(c, "ttl") && m->ttl >= 0)
		ttl = m->ttl;
	if (conf_u32("ttl", ttl, &z->ttl, err, errlen) == -1)
		return -1;
	z->soa_ttl = z->ns_ttl = z->ttl;
	if (!conf_isset(c, "ttl") && m->soa && m->soa_ttl > 0)
		z->soa_ttl = (uint32_t)m->soa_ttl;
	if (!conf_isset(c, "ttl") && m->nns && m->ns_ttl > 0)
		z->ns_ttl = (uint32_t)m->ns_ttl;

	if (conf_u32("soa_refresh", conf_isset(c, "soa_refresh") || !m->soa ?
	    c->soa_refresh : m->refresh, &refresh, err, errlen) == -1 ||
	    conf_u32("soa_retry", conf_isset(c, "soa_retry") || !m->soa ?
	    c->soa_retry : m->retry, &retry, err, errlen) == -1 ||
	    conf_u32("soa_expire", conf_isset(c, "soa_expire") || !m->soa ?
	    c->soa_expire : m->expire, &expire, err, errlen) == -1 ||
	    conf_u32("neg_ttl", conf_isset(c, "neg_ttl") || !m->soa ?
	    c->neg_ttl : m->minimum, &minimum, err, errlen) == -1)
		return -1;
	put32(z->soa_tail, serial);
	put32(z->soa_tail + 4, refresh);
	put32(z->soa_tail + 8, retry);
	put32(z->soa_tail + 12, expire);
	put32(z->soa_tail + 16, minimum);
	/* RFC 2308 section 5: the negative TTL is min(SOA TTL, MINIMUM). */
	z->neg_ttl = z->soa_ttl < minimum ? z->soa_ttl : minimum;

	/* NS RRset: the conf's names were parsed into hosts[0..nns) */
	z->nns = 0;
	if (conf_isset(c, "ns") || m->nns == 0) {
		for (i = 0; i < c->nns; i++)
			z->ns[i] = hosts[i].name;
		z->nns = c->nns;
	} else {
		memcpy(z->ns, m->ns, sizeof(z->ns[0]) * (size_t)m->nns);
		z->nns = m->nns;
	}
	if (z->nns == 0) {
		if (name_prepend("ns", &apex, &z->ns[0]) == -1) {
			snprintf(err, errlen, "zone '%s': name too long for "
			    "ns.<zone>", zname);
			return -1;
		}
		z->nns = 1;
	}

	/* SOA MNAME and RNAME */
	if (conf_isset(c, "soa_mname") || !m->soa) {
		if (*c->soa_mname == '\0')
			z->mname = z->ns[0];
		else if (name_parse(c->soa_mname, &z->mname) == -1) {
			snprintf(err, errlen, "soa_mname: bad name '%s'",
			    c->soa_mname);
			return -1;
		}
	} else
		z->mname = m->mname;
	if (conf_isset(c, "soa_rname") || !m->soa) {
		if (*c->soa_rname == '\0') {
			if (name_prepend("hostmaster", &apex, &z->rname)
			    == -1) {
				snprintf(err, errlen, "zone '%s': name too "
				    "long for hostmaster.<zone>", zname);
				return -1;
			}
		} else if (name_parse(c->soa_rname, &z->rname) == -1) {
			snprintf(err, errlen, "soa_rname: bad name '%s'",
			    c->soa_rname);
			return -1;
		}
	} else
		z->rname = m->rname;

	policy_texts(z, zname, c);
	name_relate(&z->mname, z);
	name_relate(&z->rname, z);
	for (i = 0; i < z->nns; i++)
		name_relate(&z->ns[i], z);
	return 0;
}

/*
 * One `ns` value: "NAME [ADDR...]", the addresses single IPv4 or IPv6
 * ones (at most NS_ADDR_MAX of each family).
 */
static int
ns_parse(const char *s, struct ns_host *h, char *err, size_t errlen)
{
	char		*copy, *w[2 * NS_ADDR_MAX + 2], aerr[128];
	struct addr	 a;
	int		 n, i;

	memset(h, 0, sizeof(*h));
	copy = xstrdup(s);
	n = words(copy, w, 2 * NS_ADDR_MAX + 2);
	if (n < 1) {
		snprintf(err, errlen, "ns: '%s': a name, then at most %d "
		    "addresses of each family", s, NS_ADDR_MAX);
		goto bad;
	}
	if (name_parse(w[0], &h->name) == -1) {
		snprintf(err, errlen, "ns: bad name '%s'", w[0]);
		goto bad;
	}
	for (i = 1; i < n; i++) {
		if (addr_parse(w[i], &a, aerr, sizeof(aerr)) == -1 ||
		    !addr_is_single(&a)) {
			snprintf(err, errlen, "ns %s: '%s' is not an IPv4 or "
			    "IPv6 address", w[0], w[i]);
			goto bad;
		}
		if (a.family == 4 && h->nv4 < NS_ADDR_MAX)
			memcpy(h->v4[h->nv4++], a.a, 4);
		else if (a.family == 6 && h->nv6 < NS_ADDR_MAX)
			memcpy(h->v6[h->nv6++], a.a, 16);
		else {
			snprintf(err, errlen, "ns %s: more than %d addresses "
			    "of one family", w[0], NS_ADDR_MAX);
			goto bad;
		}
	}
	free(copy);
	return 0;
bad:
	free(copy);
	return -1;
}

/* Is wire name n equal to or below the apex of z? */
static int
name_under(const struct zname *n, const struct zone *z)
{
	struct zname	 t = *n;

	name_relate(&t, z);
	return t.under_apex;
}

static int
host_find(const struct zone_conf *zc, const struct zname *n)
{
	int	 i;

	for (i = 0; i < zc->nhosts; i++)
		if (zc->hosts[i].name.len == n->len &&
		    memcmp(zc->hosts[i].name.wire, n->wire, n->len) == 0)
			return i;
	return -1;
}

/*
 * After the zones: every NS name of a zone becomes a host (the conf's
 * are hosts already, with their addresses), marked inzone when a served
 * zone contains it; each zone's NS points at its host for the
 * additional section.
 */
static void
hosts_link(struct zone_conf *zc)
{
	struct zone	*z;
	int		 i, j, h;

	for (i = 0; i < zc->nzones; i++) {
		z = &zc->zones[i];
		for (j = 0; j < z->nns; j++) {
			if ((h = host_find(zc, &z->ns[j])) == -1 &&
			    zc->nhosts < (int)(sizeof(zc->hosts) /
			    sizeof(zc->hosts[0]))) {
				h = zc->nhosts++;
				memset(&zc->hosts[h], 0, sizeof(zc->hosts[h]));
				zc->hosts[h].name = z->ns[j];
			}
			z->ns_host[j] = h;
		}
	}
	for (h = 0; h < zc->nhosts; h++) {
		zc->hosts[h].name.under_apex = 0;
		zc->hosts[h].name.prefix = 0;
		for (i = 0; i < zc->nzones; i++)
			if (name_under(&zc->hosts[h].name, &zc->zones[i]))
				zc->hosts[h].inzone = 1;
	}
	for (i = 0; i < zc->nzones; i++) {
		z = &zc->zones[i];
		for (j = 0; j < z->nns; j++)
			if (z->ns_host[j] >= 0 && !zc->hosts[z->ns_host[j]].inzone)
				z->ns_host[j] = -1;
	}
}

int
zone_conf_name_text(const struct zname *n, char *buf, size_t len)
{
	size_t	 o = 0, k = 0;
	uint8_t	 l;

	if (len < 2)
		return -1;
	if (n->len <= 1) {
		snprintf(buf, len, ".");
		return 0;
	}
	while (o < n->len && (l = n->wire[o]) != 0) {
		if (o + 1 + l > n->len || k + l + 1 >= len)
			return -1;
		memcpy(buf + k, n->wire + o + 1, l);
		k += l;
		buf[k++] = '.';
		o += 1 + l;
	}
	buf[k > 0 ? k - 1 : 0] = '\0';
	return 0;
}

struct zone_conf *
zone_conf_new(const struct conf *c, const struct zone_meta *zm,
    uint32_t serial, char *err, size_t errlen)
{
	struct zone_conf	*zc;
	struct meta		*m;
	int			 i;

	if (c->nzones < 1 || c->nzones > CONF_MAX_LIST) {
		snprintf(err, errlen, "zone: none configured");
		return NULL;
	}
	zc = xcalloc(1, sizeof(*zc));
	zc->serial = serial;
	for (i = 0; i < c->nns; i++)
		if (ns_parse(c->ns[i], &zc->hosts[i], err, errlen) == -1) {
			free(zc);
			return NULL;
		}
	zc->nhosts = c->nns;
	m = xmalloc(sizeof(*m));
	meta_read(zm, m);
	for (i = 0; i < c->nzones; i++) {
		if (zone_setup(&zc->zones[i], c->zones[i], c, m, zc->hosts,
		    serial, err, errlen) == -1) {
			free(m);
			free(zc);
			return NULL;
		}
	}
	zc->nzones = c->nzones;
	free(m);
	hosts_link(zc);
	return zc;
}

void
zone_conf_free(struct zone_conf *zc)
{
	free(zc);
}

uint32_t
zone_conf_serial(const struct zone_conf *zc)
{
	return zc->serial;
}

