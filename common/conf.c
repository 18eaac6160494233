/*
 * conf.c -- see conf.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "xmalloc.h"

#define OFF(m)	offsetof(struct conf, m)

const struct conf_key conf_keys[] = {
	{ "database", CONF_STR, OFF(database), 0, "/var/lib/orbl/orbl.db",
	  "SQLite database shared by all programs" },
	{ "zone", CONF_STRLIST, OFF(zones), OFF(nzones), "bl.orbl.test",
	  "DNSBL zone served (repeatable; every zone serves the same list)" },
	{ "dns_listen", CONF_LISTEN, OFF(dns_listen), OFF(ndns_listen),
	  "127.0.0.1:5353", "UDP+TCP address:port for orbl-dnsd "
	  "(repeatable; [::1]:53 for IPv6)" },
	{ "user", CONF_STR, OFF(user), 0, "",
	  "drop privileges to this user after binding (empty: stay)" },
	{ "ns", CONF_STRLIST, OFF(ns), OFF(nns), "",
	  "NS name at the zone apex, then its addresses if it is inside the "
	  "zone, e.g. ns1.<zone> 192.0.2.53 2001:db8::53 (repeatable; default "
	  "ns.<zone>, without an address)" },
	{ "soa_mname", CONF_STR, OFF(soa_mname), 0, "",
	  "SOA MNAME (default: the first NS)" },
	{ "soa_rname", CONF_STR, OFF(soa_rname), 0, "",
	  "SOA RNAME, mailbox as a name (default hostmaster.<zone>)" },
	{ "ttl", CONF_DURATION, OFF(ttl), 0, "35m",
	  "TTL of A/TXT answers, SOA and NS" },
	{ "neg_ttl", CONF_DURATION, OFF(neg_ttl), 0, "5m",
	  "SOA MINIMUM: negative caching TTL (RFC 2308)" },
	{ "soa_refresh", CONF_DURATION, OFF(soa_refresh), 0, "1h",
	  "SOA REFRESH" },
	{ "soa_retry", CONF_DURATION, OFF(soa_retry), 0, "10m", "SOA RETRY" },
	{ "soa_expire", CONF_DURATION, OFF(soa_expire), 0, "7d", "SOA EXPIRE" },
	{ "tcp_idle_timeout", CONF_DURATION, OFF(tcp_idle_timeout), 0, "10s",
	  "close a DNS TCP connection idle this long" },
	{ "tcp_max_clients", CONF_UINT, OFF(tcp_max_clients), 0, "256",
	  "DNS TCP connections at once; at the cap the oldest idle one is "
	  "closed" },
	{ "stats_interval", CONF_DURATION, OFF(stats_interval), 0, "1h",
	  "log the counters this often (0: only on SIGUSR1)" },
	{ "workers", CONF_UINT, OFF(workers), 0, "0",
	  "UDP query threads of orbl-dnsd, each with its own SO_REUSEPORT "
	  "socket (0: one per core)" },
	{ "default_reason", CONF_STR, OFF(default_reason), 0,
	  "$ is listed by orbl as an open mail relay",
	  "TXT for entries without a reason ($ = queried address)" },
	{ "sink_listen", CONF_LISTEN, OFF(sink_listen), OFF(nsink_listen),
	  "127.0.0.1:2525", "orbl-prober's SMTP sink: where test mail arrives "
	  "(port 25 of the host sink_domain's MX names, in production)" },
	{ "sink_max_per_peer", CONF_UINT, OFF(sink_max_per_peer), 0, "16",
	  "sink connections at once from one address (a relay delivering test "
	  "mail needs one or two)" },
	{ "sink_session_timeout", CONF_DURATION, OFF(sink_session_timeout), 0,
	  "5m", "the longest a sink connection lives in all, however busy" },
	{ "sink_domain", CONF_STR, OFF(sink_domain), 0, "sink.orbl.test",
	  "mail domain of the sink: every test recipient routes here" },
	{ "sink_local", CONF_STR, OFF(sink_local), 0, "relaytest",
	  "local part of the sink mailbox" },
	{ "helo_name", CONF_STR, OFF(helo_name), 0, "prober.orbl.test",
	  "EHLO/HELO name of the prober, and its own domain in tests" },
	{ "from_local", CONF_STR, OFF(from_local), 0, "orbl-relaytest",
	  "local part of the test senders" },
	{ "cookie_key", CONF_STR, OFF(cookie_key), 0, "",
	  "secret for the test-mail cookies (HMAC key): at least 32 characters "
	  "of random text (openssl rand -hex 32), or file:PATH of a file holding "
	  "one; empty: a random key is made once and kept in DATABASE.key "
	  "(mode 0600)" },
	{ "probe_allow", CONF_STRLIST, OFF(probe_allow), OFF(nprobe_allow), "",
	  "CIDR (repeatable) where private, loopback or reserved targets may be "
	  "probed anyway (tests: 127.0.0.0/8)" },
	{ "probe_deny", CONF_STRLIST, OFF(probe_deny), OFF(nprobe_deny), "",
	  "CIDR (repeatable) never to be probed (do-not-test list)" },
	{ "connect_timeout", CONF_DURATION, OFF(connect_timeout), 0, "30s",
	  "SMTP connect timeout" },
	{ "smtp_timeout", CONF_DURATION, OFF(smtp_timeout), 0, "60s",
	  "wait at most this long for each SMTP reply" },
	{ "probe_timeout", CONF_DURATION, OFF(probe_timeout), 0, "10m",
	  "a whole battery run against one server" },
	{ "arrival_wait", CONF_DURATION, OFF(arrival_wait), 0, "5m",
	  "after a message was accepted, wait this long for it at the sink" },
	{ "cookie_lifetime", CONF_DURATION, OFF(cookie_lifetime), 0, "2d",
	  "a test mail arriving this late still confirms the relay" },
	{ "tempfail_retry", CONF_DURATION, OFF(tempfail_retry), 0, "30m",
	  "first back-off after a 4xx answer (doubles each try)" },
	{ "tempfail_tries", CONF_UINT, OFF(tempfail_tries), 0, "4",
	  "runs of one submission before it ends as tempfail" },
	{ "retest_interval", CONF_DURATION, OFF(retest_interval), 0, "1d",
	  "minimum time between runs against one address" },
	{ "relist_retest", CONF_DURATION, OFF(relist_retest), 0, "30d",
	  "re-test probe-confirmed listings this often" },
	{ "probe_concurrency", CONF_UINT, OFF(probe_concurrency), 0, "100",
	  "probe runs at once (global cap)" },
	{ "probe_max_accepted", CONF_UINT, OFF(probe_max_accepted), 0, "3",
	  "test messages a run may get accepted before it stops" },
	{ "probe_batch_wait", CONF_DURATION, OFF(probe_batch_wait), 0, "1m",
	  "after probe_max_accepted accepted test messages and no arrival, "
	  "wait this long (at most arrival_wait) before sending the forms not "
	  "sent yet; the last batch waits arrival_wait" },
	{ "probe_max_rejects", CONF_UINT, OFF(probe_max_rejects), 0, "5",
	  "rejected tests per connection before reconnecting" },
	{ "submit_limit", CONF_UINT, OFF(submit_limit), 0, "60",
	  "submissions per submitter per hour" },
	{ "prefix_limit", CONF_UINT, OFF(prefix_limit), 0, "10",
	  "probe runs per network (IPv4 /prefix_len4, IPv6 /prefix_len6) per "
	  "hour, whatever started them" },
	{ "prefix_len4", CONF_UINT, OFF(prefix_len4), 0, "24",
	  "IPv4 network size for prefix_limit" },
	{ "prefix_len6", CONF_UINT, OFF(prefix_len6), 0, "64",
	  "IPv6 network size for prefix_limit" },
	{ "probe_ports", CONF_PORTS, OFF(probe_ports), OFF(nprobe_ports),
	  "25 587",
	  "ports a public submission may name (repeatable, or several on one "
	  "line); orblctl submit/probe --port is not limited" },
	{ "request_tries", CONF_UINT, OFF(request_tries), 0, "5",
	  "inconclusive re-tests of a delisting request before it is refused" },
	{ "request_contact_limit", CONF_UINT, OFF(request_contact_limit), 0,
	  "3", "open delisting requests per contact address" },
	{ "queue_warn", CONF_UINT, OFF(queue_warn), 0, "100",
	  "orblctl queue-check: WARNING at this many queued messages" },
	{ "queue_crit", CONF_UINT, OFF(queue_crit), 0, "1000",
	  "orblctl queue-check: CRITICAL (probably relaying spam) at this many" },
	{ "web_listen", CONF_LISTEN, OFF(web_listen), OFF(nweb_listen),
	  "127.0.0.1:8080", "orbl-web's HTTP address:port (repeatable; put a "
	  "TLS reverse proxy in front of it)" },
	{ "web_admin_token", CONF_STR, OFF(web_admin_token), 0, "",
	  "bearer token for orbl-web's admin API (empty: no admin API)" },
	{ "web_rate_limit", CONF_UINT, OFF(web_rate_limit), 0, "20",
	  "orbl-web: POSTs per client address (IPv6: per /64) per hour "
	  "(0: no limit)" },
	{ "web_base_url", CONF_STR, OFF(web_base_url), 0, "",
	  "orbl-web: public URL prefix for links, e.g. https://orbl.example "
	  "(empty: relative links)" },
	{ "web_max_clients", CONF_UINT, OFF(web_max_clients), 0, "256",
	  "orbl-web: HTTP connections at once; at the cap (or out of file "
	  "descriptors) it stops accepting until one closes" },
	{ "web_trust_proxy", CONF_STRLIST, OFF(web_trust_proxy),
	  OFF(nweb_trust_proxy), "", "orbl-web: CIDR (repeatable) of reverse "
	  "proxies whose X-Forwarded-For names the client (empty: trust none)" },
	{ "web_check_lists", CONF_STRLIST, OFF(web_check_lists),
	  OFF(nweb_check_lists), "", "orbl-web: other DNSBL (repeatable) its "
	  "check page asks besides orbl, as ZONE or ZONE@IP:PORT (empty: orbl "
	  "only)" },
	{ "web_check_timeout", CONF_DURATION, OFF(web_check_timeout), 0, "5s",
	  "orbl-web: the longest the check page waits for all lists" },
	{ "rrl_rate", CONF_UINT, OFF(rrl_rate), 0, "0",
	  "orbl-dnsd: UDP responses per second per source prefix and response "
	  "class (0: no rate limiting)" },
	{ "rrl_slip", CONF_UINT, OFF(rrl_slip), 0, "2",
	  "orbl-dnsd: one in N of the responses over the rate goes out "
	  "truncated (TC) instead of dropped, at most rate/N a second (0: "
	  "never)" },
	{ "rrl_prefix4", CONF_UINT, OFF(rrl_prefix4), 0, "24",
	  "orbl-dnsd: IPv4 prefix length that rate limiting counts together" },
	{ "rrl_prefix6", CONF_UINT, OFF(rrl_prefix6), 0, "56",
	  "orbl-dnsd: IPv6 prefix length that rate limiting counts together" },
	{ "rrl_exempt", CONF_STRLIST, OFF(rrl_exempt), OFF(nrrl_exempt), "",
	  "orbl-dnsd: CIDR (repeatable) never rate limited (your own "
	  "resolvers)" },
	{ "query_allow", CONF_STRLIST, OFF(query_allow), OFF(nquery_allow), "",
	  "orbl-dnsd: CIDR (repeatable) that may query (empty: everyone not "
	  "denied)" },
	{ "query_deny", CONF_STRLIST, OFF(query_deny), OFF(nquery_deny), "",
	  "orbl-dnsd: CIDR (repeatable) that may not query" },
	{ "query_deny_action", CONF_STR, OFF(query_deny_action), 0, "refuse",
	  "orbl-dnsd: what a source not allowed gets: refuse (REFUSED), drop "
	  "(no reply) or blocked (A 127.255.255.254 and a TXT saying why, for "
	  "every name in the zone)" },
	{ "query_daily_limit", CONF_UINT, OFF(query_daily_limit), 0, "0",
	  "orbl-dnsd: queries per source prefix per day; beyond it the answer "
	  "is 127.255.255.255 over TCP or with a valid DNS cookie, TC over "
	  "plain UDP (0: no limit)" },
	{ "tsig_key", CONF_STRLIST, OFF(tsig_key), OFF(ntsig_key), "",
	  "TSIG key (repeatable): NAME ALGORITHM SECRET, ALGORITHM hmac-sha256 "
	  "or hmac-sha512, SECRET in base64 as tsig-keygen prints it, or "
	  "file:PATH of a file holding only that secret" },
	{ "xfr_allow", CONF_STRLIST, OFF(xfr_allow), OFF(nxfr_allow), "",
	  "orbl-dnsd: CIDR [KEYNAME] (repeatable) that may transfer the zone "
	  "(AXFR, IXFR), only with that TSIG key when one is named (none: "
	  "nobody)" },
	{ "xfr_max_clients", CONF_UINT, OFF(xfr_max_clients), 0, "8",
	  "orbl-dnsd: zone transfers at once; one more is refused" },
	{ "notify", CONF_STRLIST, OFF(notify), OFF(nnotify), "",
	  "orbl-dnsd: ADDR:PORT [KEYNAME] (repeatable) sent a NOTIFY when the "
	  "serial moves, signed with that TSIG key when one is named" },
	{ "journal_keep", CONF_DURATION, OFF(journal_keep), 0, "0",
	  "orbl-prober: drop journal rows older than this, keeping what IXFR "
	  "needs for secondaries within it (one further behind gets a full "
	  "transfer; 0: keep everything)" },
	{ "report_local", CONF_STR, OFF(report_local), 0, "report",
	  "local part (at sink_domain) taking forwarded spam: its Received "
	  "chain names the relay to test" },
	{ "selftest_local", CONF_STR, OFF(selftest_local), 0, "selftest",
	  "local part (at sink_domain) where mail from a server queues a test of "
	  "that server" },
	{ "report_trust", CONF_STRLIST, OFF(report_trust), OFF(nreport_trust),
	  "", "CIDR (repeatable) of reporters' own mail servers, skipped when "
	  "reading a reported Received chain" },
	{ "report_limit", CONF_UINT, OFF(report_limit), 0, "10",
	  "reports and self-tests by mail per envelope sender and per "
	  "connecting address per hour (0: no limit)" },
	{ "dnsd_metrics_listen", CONF_LISTEN, OFF(dnsd_metrics_listen),
	  OFF(ndnsd_metrics_listen), "", "orbl-dnsd: address:port "
	  "(repeatable) serving Prometheus metrics at /metrics (empty: off)" },
	{ "prober_metrics_listen", CONF_LISTEN, OFF(prober_metrics_listen),
	  OFF(nprober_metrics_listen), "", "orbl-prober: address:port "
	  "(repeatable) serving Prometheus metrics at /metrics (empty: off)" },
	{ "web_metrics_listen", CONF_LISTEN, OFF(web_metrics_listen),
	  OFF(nweb_metrics_listen), "", "orbl-web: address:port (repeatable) "
	  "serving Prometheus metrics at /metrics, never one of web_listen "
	  "(empty: off)" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static int
conf_index(const char *key)
{
	int	 i;

	for (i = 0; conf_keys[i].name; i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			return i;
	return -1;
}

int
conf_parse_listen(const char *s, uint16_t defport, struct conf_listen *l,
    char *err, size_t errlen)
{
	const char	*host = s, *port = NULL;
	size_t		 hlen;
	char		*end;
	long		 p;
	struct addr	 a;
	char		 tmp[64];

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL) {
			snprintf(err, errlen, "%s: missing ']'", s);
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(rb - host);
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0') {
			snprintf(err, errlen, "%s: junk after ']'", s);
			return -1;
		}
	} else {
		const char *c = strrchr(s, ':');

		if (c && strchr(s, ':') != c) {
			snprintf(err, errlen, "%s: write IPv6 as [addr]:port", s);
			return -1;
		}
		hlen = c ? (size_t)(c - s) : strlen(s);
		port = c ? c + 1 : NULL;
	}
	if (hlen == 0 || hlen >= sizeof(l->host)) {
		snprintf(err, errlen, "%s: bad address", s);
		return -1;
	}
	memcpy(tmp, host, hlen);
	tmp[hlen] = '\0';
	if (addr_parse(tmp, &a, err, errlen) == -1 || !addr_is_single(&a)) {
		snprintf(err, errlen, "%s: not an IP address", s);
		return -1;
	}
	memcpy(l->host, tmp, hlen + 1);
	if (port == NULL) {
		l->port = defport;
		return 0;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (!isdigit((unsigned char)*port) || *end != '\0' || errno ||
	    p < 1 || p > 65535) {
		snprintf(err, errlen, "%s: bad port", s);
		return -1;
	}
	l->port = (uint16_t)p;
	return 0;
}

/* The port of an address written without one, by what listens there. */
static uint16_t
listen_port(const char *key)
{
	if (strcmp(key, "sink_listen") == 0)
		return 25;
	if (strcmp(key, "web_listen") == 0)
		return 8080;
	if (strstr(key, "_metrics_listen") != NULL)
		return 9100;
	return 53;
}

static int
conf_apply(struct conf *c, int i, const char *v, int fromdefault, char *err,
    size_t errlen)
{
	const struct conf_key	*k = &conf_keys[i];
	char			*base = (char *)c;
	int			*count = (int *)(base + k->countoff);
	long long		 n;
	char			*end;

	switch (k->type) {
	case CONF_STR: {
		char **p = (char **)(base + k->off);

		free(*p);
		*p = xstrdup(v);
		break;
	}
	case CONF_STRLIST: {
		char **p = (char **)(base + k->off);

		/* The first explicit value replaces the default list; an
		 * explicit empty value leaves it empty. */
		if (!fromdefault && !CONF_BIT_ISSET(c, i)) {
			while (*count > 0)
				free(p[--*count]);
		}
		if (*v == '\0')
			break;
		if (*count >= CONF_MAX_LIST) {
			snprintf(err, errlen, "%s: more than %d values",
			    k->name, CONF_MAX_LIST);
			return -1;
		}
		p[(*count)++] = xstrdup(v);
		break;
	}
	case CONF_LISTEN: {
		struct conf_listen *p = (struct conf_listen *)(base + k->off);

		if (!fromdefault && !CONF_BIT_ISSET(c, i))
			*count = 0;
		/* An empty value (or default) leaves the list empty: off. */
		if (*v == '\0')
			break;
		if (*count >= CONF_MAX_LIST) {
			snprintf(err, errlen, "%s: more than %d values",
			    k->name, CONF_MAX_LIST);
			return -1;
		}
		if (conf_parse_listen(v, listen_port(k->name), &p[*count], err,
		    errlen) == -1)
			return -1;
		(*count)++;
		break;
	}
	case CONF_PORTS: {
		int		*p = (int *)(base + k->off);
		const char	*q = v;

		if (!fromdefault && !CONF_BIT_ISSET(c, i))
			*count = 0;
		while (*q != '\0') {
			if (*q == ' ' || *q == ',' || *q == '\t') {
				q++;
				continue;
			}
			errno = 0;
			n = strtoll(q, &end, 10);
			if (!isdigit((unsigned char)*q) || errno || n < 1 ||
			    n > 65535 || (*end != '\0' && *end != ' ' &&
			    *end != ',' && *end != '\t')) {
				snprintf(err, errlen, "%s: bad port in '%s'",
				    k->name, v);
				return -1;
			}
			if (*count >= CONF_MAX_LIST) {
				snprintf(err, errlen, "%s: more than %d values",
				    k->name, CONF_MAX_LIST);
				return -1;
			}
			p[(*count)++] = (int)n;
			q = end;
		}
		break;
	}
	case CONF_DURATION:
		if (addr_duration_parse(v, &n) == -1) {
			snprintf(err, errlen, "%s: bad duration '%s' (use e.g. "
			    "30s, 10m, 2h, 30d)", k->name, v);
			return -1;
		}
		*(long long *)(base + k->off) = n;
		break;
	case CONF_UINT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || errno) {
			snprintf(err, errlen, "%s: bad number '%s'", k->name, v);
			return -1;
		}
		*(long long *)(base + k->off) = n;
		break;
	}
	if (!fromdefault)
		CONF_BIT_SET(c, i);
	return 0;
}

void
conf_init(struct conf *c)
{
	char	 err[256];
	int	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; conf_keys[i].name; i++)
		if (conf_apply(c, i, conf_keys[i].dflt, 1, err, sizeof(err)))
			abort();	/* a bad built-in default is a bug */
}

int
conf_set(struct conf *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	int	 i = conf_index(key);

	if (i == -1) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	return conf_apply(c, i, value, 0, err, errlen);
}

int
conf_isset(const struct conf *c, const char *key)
{
	int	 i = conf_index(key);

	return i >= 0 && CONF_BIT_ISSET(c, i);
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * A comment starts with '#' at the start of a line or after white space,
 * outside double quotes: "token = Zx9k#8wY" keeps its '#' (a secret cut
 * there silently would open with its prefix).  -1 for an unterminated
 * quote.
 */
static int
cut_comment(char *line, char *why, size_t whylen)
{
	char	*p;
	int	 inq = 0;

	for (p = line; *p != '\0'; p++) {
		if (inq && *p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		else if (!inq && *p == '#' && (p == line ||
		    isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return 0;
		}
	}
	if (inq) {
		snprintf(why, whylen, "unterminated '\"'");
		return -1;
	}
	return 0;
}

/*
 * A value in double quotes is taken as written between them ('#' and
 * white space kept; \" and \\ for a quote and a backslash).  Text after
 * the closing quote is an error.
 */
static int
unquote(char *val, char *why, size_t whylen)
{
	char	*r, *w;

	if (*val != '"')
		return 0;
	for (r = val + 1, w = val; *r != '\0' && *r != '"'; r++) {
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	if (*r != '"' || r[1] != '\0') {
		snprintf(why, whylen, "%s", *r == '"' ? "text after the closing "
		    "'\"'" : "unterminated '\"'");
		return -1;
	}
	*w = '\0';
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	 line[4096], why[512];
	int	 lineno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char	*p, *eq, *key, *val;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
			    lineno);
			fclose(f);
			return -1;
		}
		if (cut_comment(line, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			fclose(f);
			return -1;
		}
		p = trim(line);
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'",
			    path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (unquote(val, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, lineno, key,
			    why);
			fclose(f);
			return -1;
		}
		if (conf_set(c, key, val, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

void
conf_free(struct conf *c)
{
	int	 i, j;

	if (c == NULL)
		return;
	for (i = 0; conf_keys[i].name; i++) {
		char	*base = (char *)c;

		if (conf_keys[i].type == CONF_STR)
			free(*(char **)(base + conf_keys[i].off));
		else if (conf_keys[i].type == CONF_STRLIST) {
			char	**p = (char **)(base + conf_keys[i].off);
			int	  n = *(int *)(base + conf_keys[i].countoff);

			for (j = 0; j < n; j++)
				free(p[j]);
		}
	}
	memset(c, 0, sizeof(*c));
}

void
conf_print_reference(void)
{
	static const char *tn[] = { "string", "string, repeatable",
	    "addr:port, repeatable", "duration", "number",
	    "ports, repeatable" };
	int	 i;

	printf("| key | type | default | meaning |\n|---|---|---|---|\n");
	for (i = 0; conf_keys[i].name; i++)
		printf("| `%s` | %s | %s%s%s | %s |\n", conf_keys[i].name,
		    tn[conf_keys[i].type], *conf_keys[i].dflt ? "`" : "",
		    *conf_keys[i].dflt ? conf_keys[i].dflt : "(none)",
		    *conf_keys[i].dflt ? "`" : "", conf_keys[i].help);
}

/* Text for an mdoc line: backslashes escaped, no leading control dot. */
static void
man_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

void
conf_print_man(FILE *f)
{
	static const char *tn[] = { "string", "string", "addr:port",
	    "duration", "number", "ports" };
	int	 i;

	fputs(".\\\" Generated by orblctl conf-reference --man from the key table\n"
	    ".\\\" in common/conf.c: edit that, not this page.\n"
	    ".Dd December 6, 2026\n.Dt ORBL.CONF 5\n.Os\n"
	    ".Sh NAME\n.Nm orbl.conf\n"
	    ".Nd configuration of the orbl programs\n"
	    ".Sh DESCRIPTION\n"
	    "One file configures every orbl program:\n"
	    ".Xr orbl-dnsd 8 ,\n.Xr orbl-prober 8 ,\n.Xr orbl-web 8\nand\n"
	    ".Xr orblctl 8 .\n"
	    "Each line is\n.Dl key = value\n"
	    "A\n.Ql #\n"
	    "starts a comment at the start of a line or after white space; a\n"
	    ".Ql #\n"
	    "inside a value is kept.\n"
	    "A value in double quotes is taken as written, with\n"
	    ".Ql \\e\"\n"
	    "and\n.Ql \\e\\e\n"
	    "inside it.\n"
	    "An unknown key, a bad value or an unterminated quote is an error\n"
	    "naming the file, the line and the key.\n"
	    "Every key has a default, so every program runs with no file at all.\n"
	    "A repeatable key may be given on several lines; an empty value empties\n"
	    "its default.\n"
	    "Durations are written\n.Ql 45\n(seconds),\n.Ql 30s ,\n"
	    ".Ql 10m ,\n.Ql 2h ,\n.Ql 30d\nor\n.Ql 1w .\n"
	    ".Ss Keys\n.Bl -tag -width Ds\n", f);
	for (i = 0; conf_keys[i].name; i++) {
		const struct conf_key	*k = &conf_keys[i];

		fprintf(f, ".It Ic %s Ar %s\n", k->name, tn[k->type]);
		man_text(f, k->help);
		fputs(".\n", f);
		if (*k->dflt) {
			fputs("Default:\n.Ql ", f);
			man_text(f, k->dflt);
			fputs(" .\n", f);
		} else
			fputs("No default.\n", f);
	}
	fputs(".El\n"
	    ".Sh FILES\n.Bl -tag -width Ds -compact\n"
	    ".It Pa /etc/orbl/orbl.conf\nthe file the installed services read\n"
	    ".El\n"
	    ".Sh EXAMPLES\n.Bd -literal -offset indent\n"
	    "database = /var/lib/orbl/orbl.db\n"
	    "zone = bl.example.org\n"
	    "dns_listen = 192.0.2.53:53\n"
	    "dns_listen = [2001:db8::53]:53\n"
	    "user = orbl\n"
	    "sink_domain = sink.example.org\n"
	    "sink_listen = 192.0.2.25:25\n"
	    "cookie_key = file:/etc/orbl/cookie.key\n"
	    ".Ed\n"
	    ".Sh SEE ALSO\n"
	    ".Xr orbl-dnsd 8 ,\n.Xr orbl-prober 8 ,\n.Xr orbl-web 8 ,\n"
	    ".Xr orblctl 8\n", f);
}
