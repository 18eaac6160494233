/*
 * cmd_check.c -- orblctl check: ask several DNSBLs about one address at
 * once (the seed's multi-blacklist check page: one address, every list,
 * one answer) and print, per list, listed or not, the A codes, the TXT,
 * or the error.
 *
 * The asking and the reading of the answers are core/dnsbl_check.c's
 * (the same code as orbl-web's check page): every list's A and TXT
 * queries go out at once (core/dnsq.c, here on a private event base; a
 * retry at half the timeout, TCP after a truncated reply), so the whole
 * run takes about the slowest list's time, never the sum.  This file is
 * the command line: which lists, where, and the printing.
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
 * A list answers "listed" with A records in 127.0.0.0/8; the lists' own
 * error codes (127.255.255.0/24) and answers outside 127.0.0.0/8 are
 * errors, never listings (dnsbl_classify).  Exit status: 0 listed anywhere, 1 listed nowhere (also when
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

#include <event2/event.h>

#include "ctl.h"
#include "ctl_json.h"
#include "dnsbl_check.h"
#include "dnsq.h"
#include "fmt.h"
#include "log.h"
#include "progress.h"
#include "xmalloc.h"

#define CHECK_TIMEOUT	5000	/* ms per query, --timeout */

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

struct check {
	struct dnsbl_check	*dc;
	struct progress		 pg;	/* "waiting for: ..." on a terminal */
	int			 dirty;	/* the line is behind */
};

/* The lists still pending, as the progress line, if a frame is due. */
static void
check_show(struct check *c)
{
	const char	*names[DNSBL_MAXLISTS];
	char		 line[PROGRESS_LINE_MAX];
	int		 i, n = 0;

	if (!c->dirty || !progress_due(&c->pg))
		return;
	for (i = 0; i < c->dc->nlists; i++)
		if (!c->dc->lists[i].done)
			names[n++] = c->dc->lists[i].zone;
	if (n == 0)
		return;		/* the end blanks the line */
	progress_draw(&c->pg, progress_pending(line, sizeof(line),
	    c->pg.width > 1 ? (size_t)c->pg.width - 1 : 1, names, n,
	    c->dc->nlists));
	c->dirty = 0;
}

/* dnsq's tick: a change the rate limit held back is drawn now. */
static void
check_tick(void *arg)
{
	check_show(arg);
}

/* A list settled: the line is behind. */
static void
check_change(struct dnsbl_check *dc, void *arg)
{
	struct check	*c = arg;

	(void)dc;
	c->dirty = 1;
	check_show(c);
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

static void
print_text(const struct dnsbl_check *c, const char *ip, int answered,
    int listed)
{
	const struct dnsbl_list	*l;
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
print_json(const struct dnsbl_check *c, const char *ip, int answered,
    int listed)
{
	struct cj_check_list	 v[DNSBL_MAXLISTS];
	char			 sb[DNSBL_MAXLISTS][80];
	const struct dnsbl_list	*l;
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

/*
 * The lists to ask: --lists items (ZONE or ZONE@SERVER), or our zones and
 * the public ones.  Returns 0 or -1 (usage, the reason in err).
 */
static int
check_lists(struct ctl *ctl, struct dnsbl_check *c, const char *lists,
    const struct dnsq_srv *resolver, char *err, size_t errlen)
{
	struct dnsq_srv	 sys[DNSQ_MAXSRV], one;
	char		 syserr[128] = "";
	const char	*p, *e, *zone;
	size_t		 zlen;
	int		 i, nsys = 0, sysdone = 0, has_srv;

	if (lists == NULL) {
		srv_ours(&ctl->conf, &one);
		for (i = 0; i < ctl->conf.nzones; i++)
			if (dnsbl_check_add(c, ctl->conf.zones[i],
			    strlen(ctl->conf.zones[i]), resolver ? resolver :
			    &one, 1, NULL, err, errlen) == -1)
				return -1;
		if (resolver == NULL && (nsys = dnsq_srv_system(sys,
		    DNSQ_MAXSRV, syserr, sizeof(syserr))) == -1)
			nsys = 0;
		for (i = 0; check_public[i]; i++)
			if (dnsbl_check_add(c, check_public[i],
			    strlen(check_public[i]), resolver ? resolver : sys,
			    resolver ? 1 : nsys, syserr, err, errlen) == -1)
				return -1;
		return 0;
	}
	for (p = lists; ; p = e + 1) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (dnsbl_spec_parse(p, (size_t)(e - p), "--lists: ", &zone,
		    &zlen, &one, &has_srv, err, errlen) == -1)
			return -1;
		if (has_srv || resolver != NULL) {
			if (dnsbl_check_add(c, zone, zlen, has_srv ? &one :
			    resolver, 1, NULL, err, errlen) == -1)
				return -1;
		} else if (is_ours(ctl, zone, zlen)) {
			srv_ours(&ctl->conf, &one);
			if (dnsbl_check_add(c, zone, zlen, &one, 1, NULL, err,
			    errlen) == -1)
				return -1;
		} else {
			if (!sysdone && (nsys = dnsq_srv_system(sys,
			    DNSQ_MAXSRV, syserr, sizeof(syserr))) == -1)
				nsys = 0;
			sysdone = 1;
			if (dnsbl_check_add(c, zone, zlen, sys, nsys, syserr,
			    err, errlen) == -1)
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
	struct check		 c;
	struct event_base	*base;
	struct dnsq_srv		 resolver;
	struct addr		 a;
	char			*pos[1], err[256], ip[ADDR_STRLEN];
	int64_t			 timeout;
	int			 npos, rc, answered, listed;

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

	/* A private base: orblctl has no other events to run. */
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	memset(&c, 0, sizeof(c));
	c.dc = dnsbl_check_new(base, &a, timeout);
	progress_init(&c.pg, progress_wanted(noprog));
	/* Drawn at the first answer, or at the first tick if none comes. */
	c.dirty = 1;
	dnsbl_check_on_change(c.dc, check_change, &c);
	if (c.pg.on)
		dnsq_set_tick(c.dc->dq, PROGRESS_INTERVAL_MS, check_tick, &c);
	rc = check_lists(ctl, c.dc, lists, res_s ? &resolver : NULL, err,
	    sizeof(err));
	if (rc == 0 && c.dc->nlists == 0) {
		snprintf(err, sizeof(err), "no list to ask");
		rc = -1;
	}
	if (rc == -1) {
		dnsbl_check_free(c.dc);
		event_base_free(base);
		return ctl_usage_err("check", "check: %s", err);
	}
	dnsbl_check_run(c.dc);
	progress_clear(&c.pg);
	dnsbl_check_count(c.dc, &answered, &listed);
	rc = CTL_OK;
	if (json)
		rc = print_json(c.dc, ip, answered, listed);
	else
		print_text(c.dc, ip, answered, listed);
	dnsbl_check_free(c.dc);
	event_base_free(base);
	if (rc != CTL_OK)
		return rc;
	if (answered == 0) {
		ctl_err("check: %s: no list answered", ip);
		return CTL_FAIL;
	}
	return listed ? CTL_OK : CTL_FAIL;
}
