/*
 * cmd_check.c -- orblctl check: ask several DNSBLs about one address at
 * once (the seed's multi-blacklist check page: one address, every list,
 * one answer) and print, per list, listed or not, the A codes, the TXT,
 * or the error.
 *
 * Every list's A and TXT queries go out at once (dnsq.c: one poll loop,
 * a retry at half the timeout, TCP after a truncated reply): the whole
 * run takes about the slowest list's time, never the sum.
 *
 * Where each list is asked:
 *	--lists ZONE@IP[:PORT]	that server, whatever else is given;
 *	--resolver IP[:PORT]	every other list;
 *	our own zones (zone =)	our orbl-dnsd at the first dns_listen of the
 *				configuration (a wildcard address is asked at
 *				loopback), so the check works before the zone
 *				is delegated;
 *	any other zone		the nameservers of /etc/resolv.conf.
 * Without --lists: our zones, then the well-known public lists below.
 *
 * A list answers "listed" with A records in 127.0.0.0/8.  Answers in
 * 127.255.255.0/24 are the lists' own error codes (Spamhaus: query
 * through a public resolver, over the limit) and answers outside
 * 127.0.0.0/8 mean a dead or hijacked list zone: both are errors, never
 * listings.  Exit status: 0 listed anywhere, 1 listed nowhere (also when
 * no list answered at all: "no list answered" on stderr), 2 usage.
 *
 * With stderr on a terminal, a line there names the lists still pending
 * (progress.h), at the first answer and then as answers come, at most
 * four times a second; it is blanked before the results are printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "ctl.h"
#include "ctl_json.h"
#include "dnsq.h"
#include "fmt.h"
#include "progress.h"
#include "xmalloc.h"

#define CHECK_MAXLISTS	64
#define CHECK_TIMEOUT	5000	/* ms per query, --timeout */
#define CHECK_ZONEMAX	200	/* room for the 64 bytes of an IPv6 name */

/* Queried through the system resolver when --lists is not given. */
static const char *const check_public[] = {
	"zen.spamhaus.org",
	"bl.spamcop.net",
	"b.barracudacentral.org",
	"dnsbl.sorbs.net",
	"psbl.surriel.com",
	"bl.mailspike.net",
	"dnsbl-1.uceprotect.net",
	NULL
};

struct check;

struct list {
	struct check		*c;
	char			 zone[256];
	ldns_rdf		*qname;
	struct dnsq_srv		 srv[DNSQ_MAXSRV];
	int			 nsrv;
	struct dnsq_query	*tq;		/* the TXT query */
	int			 adone, tdone;	/* A, TXT ended */
	uint32_t		 codes[DNSQ_MAXRR];
	int			 ncodes;
	char			*txt[DNSQ_MAXRR];
	int			 ntxt;
	int			 listed, done;
	int64_t			 ms;
	char			 err[160];
};

struct check {
	struct dnsq	*dq;
	struct list	*lists;
	int		 nlists;
	struct progress	 pg;		/* "waiting for: ..." on a terminal */
	int		 dirty;		/* the line is behind */
};

/* The lists still pending, as the progress line, if a frame is due. */
static void
check_show(struct check *c)
{
	const char	*names[CHECK_MAXLISTS];
	char		 line[PROGRESS_LINE_MAX];
	int		 i, n = 0;

	if (!c->dirty || !progress_due(&c->pg))
		return;
	for (i = 0; i < c->nlists; i++)
		if (!c->lists[i].done)
			names[n++] = c->lists[i].zone;
	if (n == 0)
		return;		/* the end blanks the line */
	progress_draw(&c->pg, progress_pending(line, sizeof(line),
	    c->pg.width > 1 ? (size_t)c->pg.width - 1 : 1, names, n,
	    c->nlists));
	c->dirty = 0;
}

/* dnsq's tick: a change the rate limit held back is drawn now. */
static void
check_tick(void *arg)
{
	check_show(arg);
}

/* Our orbl-dnsd: the first dns_listen, wildcards asked at loopback. */
static void
srv_ours(const struct conf *conf, struct dnsq_srv *s)
{
	const char	*h = "127.0.0.1";
	uint16_t	 port = 53;

	if (conf->ndns_listen > 0) {
		h = conf->dns_listen[0].host;
		port = conf->dns_listen[0].port;
		if (strcmp(h, "0.0.0.0") == 0)
			h = "127.0.0.1";
		else if (strcmp(h, "::") == 0)
			h = "::1";
	}
	if (dnsq_srv_set(s, h, port) == -1)
		dnsq_srv_set(s, "127.0.0.1", port);
}

/* Is the zone (zlen bytes, maybe with a trailing dot) one of ours? */
static int
is_ours(const struct ctl *ctl, const char *zone, size_t zlen)
{
	int	 i;

	if (zlen > 0 && zone[zlen - 1] == '.')
		zlen--;
	for (i = 0; i < ctl->conf.nzones; i++)
		if (strlen(ctl->conf.zones[i]) == zlen &&
		    strncasecmp(ctl->conf.zones[i], zone, zlen) == 0)
			return 1;
	return 0;
}

/*
 * Add one list: zone (a trailing dot is dropped) asked at srv[0..nsrv-1];
 * nsrv 0 with why: the list fails before it starts.  -1: bad zone name.
 */
static int
list_add(struct check *c, const char *zone, size_t zlen, const char *rev,
    const struct dnsq_srv *srv, int nsrv, const char *why, char *err,
    size_t errlen)
{
	struct list	*l;
	char		 qn[512];
	int		 i;

	if (zlen > 0 && zone[zlen - 1] == '.')
		zlen--;
	if (zlen == 0 || zlen > CHECK_ZONEMAX || zone[0] == '.') {
		snprintf(err, errlen, "bad zone name '%.*s'", (int)zlen, zone);
		return -1;
	}
	for (i = 0; i < c->nlists; i++)
		if (strlen(c->lists[i].zone) == zlen &&
		    strncasecmp(c->lists[i].zone, zone, zlen) == 0 &&
		    memcmp(c->lists[i].srv, srv, sizeof(*srv) * nsrv) == 0 &&
		    c->lists[i].nsrv == nsrv)
			return 0;	/* the same list twice */
	if (c->nlists == CHECK_MAXLISTS) {
		snprintf(err, errlen, "too many lists (at most %d)",
		    CHECK_MAXLISTS);
		return -1;
	}
	l = &c->lists[c->nlists];
	memset(l, 0, sizeof(*l));
	l->c = c;
	memcpy(l->zone, zone, zlen);
	l->zone[zlen] = '\0';
	snprintf(qn, sizeof(qn), "%s.%s.", rev, l->zone);
	if (ldns_str2rdf_dname(&l->qname, qn) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "bad zone name '%.200s'", l->zone);
		return -1;
	}
	c->nlists++;
	memcpy(l->srv, srv, sizeof(*srv) * nsrv);
	l->nsrv = nsrv;
	if (nsrv == 0) {
		l->done = 1;
		snprintf(l->err, sizeof(l->err), "%s", why);
	}
	return 0;
}

/*
 * The A query decides: failed or not listed, the list is settled (its TXT
 * query is dropped); listed, it waits for the TXT.
 */
static void
list_settle(struct list *l, int64_t ms)
{
	char	 cb[16];
	int	 i, in127 = 0, out = -1, err = -1;

	if (l->done || !l->adone)
		return;
	for (i = 0; i < l->ncodes; i++) {
		if (l->codes[i] >> 24 != 127)
			out = i;
		else if (l->codes[i] >> 8 == 0x7fffff)
			err = i;
		else
			in127 = 1;
	}
	if (out != -1)
		snprintf(l->err, sizeof(l->err), "answer %s is outside "
		    "127.0.0.0/8: the list is gone or its zone hijacked",
		    fmt_code(l->codes[out], cb, sizeof(cb)));
	else if (err != -1 && !in127)
		snprintf(l->err, sizeof(l->err), "the list refused the query "
		    "(code %s: see its return codes; often a public resolver "
		    "or a query limit)", fmt_code(l->codes[err], cb,
		    sizeof(cb)));
	else if (in127) {
		if (!l->tdone)
			return;
		l->listed = 1;
	}
	l->done = 1;
	l->ms = ms;
	if (!l->tdone) {
		dnsq_cancel(l->c->dq, l->tq);
		l->tdone = 1;
	}
	l->c->dirty = 1;
	check_show(l->c);
}

static void
a_done(const struct dnsq_result *r, void *arg)
{
	struct list	*l = arg;

	l->adone = 1;
	if (r->answered) {
		memcpy(l->codes, r->ans->codes, sizeof(l->codes));
		l->ncodes = r->ans->ncodes;
	} else
		snprintf(l->err, sizeof(l->err), "%s", r->err);
	list_settle(l, r->ms);
}

static void
txt_done(const struct dnsq_result *r, void *arg)
{
	struct list	*l = arg;
	int		 i;

	l->tdone = 1;
	for (i = 0; r->answered && i < r->ans->ntxt; i++)
		l->txt[l->ntxt++] = xstrdup(r->ans->txt[i]);
	list_settle(l, r->ms);
}

/* Every list's A and TXT queries, at once. */
static void
check_run(struct check *c)
{
	struct list	*l;
	int		 i;

	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		if (l->done)
			continue;
		dnsq_add(c->dq, l->qname, LDNS_RR_TYPE_A, l->srv, l->nsrv,
		    a_done, l);
		l->tq = dnsq_add(c->dq, l->qname, LDNS_RR_TYPE_TXT, l->srv,
		    l->nsrv, txt_done, l);
	}
	dnsq_run(c->dq);
}

static void
print_text(const struct check *c, const char *ip, int answered, int listed)
{
	const struct list	*l;
	char			 cb[16], sb[80];
	int			 i, k, w = 4;

	for (i = 0; i < c->nlists; i++)
		if ((int)strlen(c->lists[i].zone) > w)
			w = (int)strlen(c->lists[i].zone);
	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		printf("%-*s  %-10s %5lld ms", w, l->zone, l->listed ?
		    "listed" : l->err[0] ? "error" : "not listed",
		    (long long)l->ms);
		if (l->err[0] && l->nsrv > 0)
			printf("  %s (%s)", l->err, dnsq_srv_fmt(&l->srv[0], sb,
			    sizeof(sb)));
		else if (l->err[0])
			printf("  %s", l->err);
		else if (l->listed) {
			printf(" ");
			for (k = 0; k < l->ncodes; k++)
				printf("%c%s", k ? ',' : ' ',
				    fmt_code(l->codes[k], cb, sizeof(cb)));
			for (k = 0; k < l->ntxt; k++)
				printf("  \"%s\"", l->txt[k]);
		}
		printf("\n");
	}
	if (answered == 0) {
		printf("%s: no list answered\n", ip);
		return;
	}
	if (listed)
		printf("%s: listed in %d of %d list%s", ip, listed, answered,
		    answered == 1 ? "" : "s");
	else
		printf("%s: not listed in %s%d list%s", ip, answered == 1 ?
		    "" : "any of ", answered, answered == 1 ? "" : "s");
	if (answered < c->nlists)
		printf(" (%d did not answer)", c->nlists - answered);
	printf("\n");
}

static int
print_json(const struct check *c, const char *ip, int answered, int listed)
{
	struct cj_check_list	 v[CHECK_MAXLISTS];
	char			 sb[CHECK_MAXLISTS][80];
	const struct list	*l;
	int			 i;

	memset(v, 0, sizeof(v));
	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		v[i].zone = l->zone;
		v[i].server = l->nsrv ? dnsq_srv_fmt(&l->srv[0], sb[i],
		    sizeof(sb[i])) : NULL;
		v[i].listed = l->listed;
		v[i].codes = l->codes;
		v[i].ncodes = l->ncodes;
		v[i].txt = l->txt;
		v[i].ntxt = l->ntxt;
		v[i].error = l->err[0] ? l->err : NULL;
		v[i].ms = l->ms;
	}
	return ctl_json_print("check", cj_check(ip, listed, answered, v,
	    c->nlists));
}

static void
check_free(struct check *c)
{
	struct list	*l;
	int		 i, k;

	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		for (k = 0; k < l->ntxt; k++)
			free(l->txt[k]);
		ldns_rdf_deep_free(l->qname);
	}
	dnsq_free(c->dq);
	free(c->lists);
}

/*
 * The lists to ask: --lists items (ZONE or ZONE@SERVER), or our zones and
 * the public ones.  Returns 0 or -1 (usage, the reason in err).
 */
static int
check_lists(struct ctl *ctl, struct check *c, const char *lists,
    const struct dnsq_srv *resolver, const char *rev, char *err,
    size_t errlen)
{
	struct dnsq_srv	 sys[DNSQ_MAXSRV], one;
	char		 syserr[128] = "";
	const char	*p, *e, *at;
	size_t		 zlen;
	int		 i, nsys = 0, sysdone = 0;

	if (lists == NULL) {
		srv_ours(&ctl->conf, &one);
		for (i = 0; i < ctl->conf.nzones; i++)
			if (list_add(c, ctl->conf.zones[i],
			    strlen(ctl->conf.zones[i]), rev, resolver ?
			    resolver : &one, 1, NULL, err, errlen) == -1)
				return -1;
		if (resolver == NULL && (nsys = dnsq_srv_system(sys,
		    DNSQ_MAXSRV, syserr, sizeof(syserr))) == -1)
			nsys = 0;
		for (i = 0; check_public[i]; i++)
			if (list_add(c, check_public[i],
			    strlen(check_public[i]), rev, resolver ?
			    resolver : sys, resolver ? 1 : nsys, syserr, err,
			    errlen) == -1)
				return -1;
		return 0;
	}
	for (p = lists; ; p = e + 1) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		at = memchr(p, '@', (size_t)(e - p));
		zlen = (size_t)((at ? at : e) - p);
		if (at != NULL) {
			char	 s[128];

			if ((size_t)(e - at - 1) >= sizeof(s) || e == at + 1) {
				snprintf(err, errlen, "--lists: bad server "
				    "in '%.*s'", (int)(e - p), p);
				return -1;
			}
			memcpy(s, at + 1, (size_t)(e - at - 1));
			s[e - at - 1] = '\0';
			if (dnsq_srv_parse(s, &one, err, errlen) == -1)
				return -1;
			if (list_add(c, p, zlen, rev, &one, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else if (resolver != NULL) {
			if (list_add(c, p, zlen, rev, resolver, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else if (is_ours(ctl, p, zlen)) {
			srv_ours(&ctl->conf, &one);
			if (list_add(c, p, zlen, rev, &one, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else {
			if (!sysdone && (nsys = dnsq_srv_system(sys,
			    DNSQ_MAXSRV, syserr, sizeof(syserr))) == -1)
				nsys = 0;
			sysdone = 1;
			if (list_add(c, p, zlen, rev, sys, nsys, syserr, err,
			    errlen) == -1)
				return -1;
		}
		if (*e == '\0')
			break;
	}
	return 0;
}

int
cmd_check(struct ctl *ctl, int argc, char **argv)
{
	const char	*lists = NULL, *res_s = NULL, *to_s = NULL;
	int		 json = 0, noprog = 0;
	struct ctl_opt	 opts[] = {
		{ "lists", 1, &lists, NULL },
		{ "resolver", 1, &res_s, NULL },
		{ "timeout", 1, &to_s, NULL },
		{ "json", 0, NULL, &json },
		{ "no-progress", 0, NULL, &noprog },
		{ NULL, 0, NULL, NULL }
	};
	struct check	 c;
	struct dnsq_srv	 resolver;
	struct addr	 a;
	char		*pos[1], err[256], ip[ADDR_STRLEN], rev[128];
	int64_t		 timeout;
	int		 npos, i, rc, answered = 0, listed = 0;

	if (ctl_getopt("check", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("check", "check: missing ADDR");
	if (addr_parse(pos[0], &a, err, sizeof(err)) == -1)
		return ctl_usage_err("check", "check: %s", err);
	if (!addr_is_single(&a))
		return ctl_usage_err("check", "check: %s: give one address, "
		    "not a range", pos[0]);
	if (dnsq_timeout_parse(to_s, CHECK_TIMEOUT, &timeout) == -1)
		return ctl_usage_err("check", "check: --timeout %s: expected "
		    "seconds, more than 0 and at most %d", to_s,
		    DNSQ_TIMEOUT_MAX / 1000);
	if (res_s != NULL && dnsq_srv_parse(res_s, &resolver, err,
	    sizeof(err)) == -1)
		return ctl_usage_err("check", "check: --resolver %s", err);
	if (lists != NULL && *lists == '\0')
		return ctl_usage_err("check", "check: --lists is empty");
	addr_format_ip(&a, ip, sizeof(ip));
	addr_revname(&a, rev, sizeof(rev));

	memset(&c, 0, sizeof(c));
	c.lists = xcalloc(CHECK_MAXLISTS, sizeof(*c.lists));
	c.dq = dnsq_new(timeout);
	progress_init(&c.pg, progress_wanted(noprog));
	/* Drawn at the first answer, or at the first tick if none comes. */
	c.dirty = 1;
	if (c.pg.on)
		dnsq_set_tick(c.dq, PROGRESS_INTERVAL_MS, check_tick, &c);
	if (check_lists(ctl, &c, lists, res_s ? &resolver : NULL, rev, err,
	    sizeof(err)) == -1) {
		check_free(&c);
		return ctl_usage_err("check", "check: %s", err);
	}
	if (c.nlists == 0) {
		check_free(&c);
		return ctl_usage_err("check", "check: no list to ask");
	}
	check_run(&c);
	progress_clear(&c.pg);
	for (i = 0; i < c.nlists; i++) {
		if (c.lists[i].err[0] == '\0')
			answered++;
		if (c.lists[i].listed)
			listed++;
	}
	rc = CTL_OK;
	if (json)
		rc = print_json(&c, ip, answered, listed);
	else
		print_text(&c, ip, answered, listed);
	check_free(&c);
	if (rc != CTL_OK)
		return rc;
	if (answered == 0) {
		ctl_err("check: %s: no list answered", ip);
		return CTL_FAIL;
	}
	return listed ? CTL_OK : CTL_FAIL;
}
