/*
 * check.c -- the multi-list check (/check?ip=ADDR, /api/v1/check?ip=ADDR):
 * orbl's own answer, from the database by the lookup page's decision
 * (core/lookup.c), and each web_check_lists entry asked over DNS by the
 * code orblctl check runs (core/dnsbl_check.c), all at once.
 *
 * The DNS part runs on orbl-web's own event base: the handler sends the
 * queries and returns (web_defer keeps the request), evhttp goes on
 * serving other requests, and the reply is written when every list has
 * answered or timed out (web_check_timeout bounds each query from the
 * start, so the whole check too).  At most WEB_CHECKS_MAX checks wait at
 * once (503 beyond), and each client gets web_rate_limit checks an hour
 * (a rate limit of its own, beside the one on POSTs): a check makes
 * orbl-web query other people's servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api_json.h"
#include "db.h"
#include "dnsbl_check.h"
#include "fmt.h"
#include "guard.h"
#include "log.h"
#include "lookup.h"
#include "page.h"
#include "web.h"
#include "xmalloc.h"

struct web_check {
	struct web_check	*next, *prev;
	struct web		*w;
	struct wreq		*r;		/* deferred */
	struct dnsbl_check	*dc;		/* NULL: no other list */
	struct lookup		*lk;		/* NULL: see own_err */
	char			 own_err[256];
	char			 addr[ADDR_STRLEN];
};

/* ------------------------------------------------------------------ */
/* The configuration. */

/* Is zone (zlen bytes) a name a check can ask under? */
static int
zone_ok(const char *zone, size_t zlen)
{
	ldns_rdf	*d = NULL;
	char		 qn[DNSBL_ZONEMAX + 32];
	int		 ok;

	if (zlen > 0 && zone[zlen - 1] == '.')
		zlen--;
	if (zlen == 0 || zlen > DNSBL_ZONEMAX || zone[0] == '.')
		return 0;
	/* The longest question: an IPv6 address's 64 bytes of nibbles. */
	snprintf(qn, sizeof(qn), "%.*s.%.*s.", 63,
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
	    (int)zlen, zone);
	ok = ldns_str2rdf_dname(&d, qn) == LDNS_STATUS_OK;
	ldns_rdf_deep_free(d);
	return ok;
}

int
web_check_conf(struct web *w, const struct conf *c)
{
	struct web_check_list	*l;
	struct dnsq_srv		 sys[DNSQ_MAXSRV], one;
	const char		*zone;
	char			 err[256], syserr[128] = "";
	size_t			 zlen;
	int			 i, has, nsys = -2, bad = 0;

	if (c->web_check_timeout < 1 ||
	    c->web_check_timeout > WEB_CHECK_TIMEOUT_MAX) {
		fprintf(stderr, "orbl-web: web_check_timeout must be 1 s to "
		    "%d s\n", WEB_CHECK_TIMEOUT_MAX);
		bad = 1;
	}
	w->ncheck_lists = 0;
	for (i = 0; i < c->nweb_check_lists; i++) {
		const char	*spec = c->web_check_lists[i];

		l = &w->check_lists[w->ncheck_lists];
		memset(l, 0, sizeof(*l));
		if (dnsbl_spec_parse(spec, strlen(spec), "", &zone, &zlen,
		    &one, &has, err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-web: web_check_lists: %s\n", err);
			bad = 1;
			continue;
		}
		if (!zone_ok(zone, zlen)) {
			fprintf(stderr, "orbl-web: web_check_lists: bad zone "
			    "name '%.*s'\n", (int)(zlen > 200 ? 200 : zlen),
			    zone);
			bad = 1;
			continue;
		}
		memcpy(l->zone, zone, zlen);
		l->zone[zlen] = '\0';
		if (has) {
			l->srv[0] = one;
			l->nsrv = 1;
		} else {
			/* A list by name alone: the system's resolvers,
			 * read once. */
			if (nsys == -2)
				nsys = dnsq_srv_system(sys, DNSQ_MAXSRV,
				    syserr, sizeof(syserr));
			if (nsys > 0) {
				memcpy(l->srv, sys, sizeof(sys[0]) *
				    (size_t)nsys);
				l->nsrv = nsys;
			} else
				snprintf(l->why, sizeof(l->why), "%s",
				    syserr);
		}
		w->ncheck_lists++;
	}
	return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The answer. */

/* The zone orbl answers under, for its row. */
static const char *
own_zone(const struct web *w)
{
	return w->conf.nzones > 0 ? w->conf.zones[0] : "orbl";
}

static void
counts(const struct web_check *wc, int *total, int *answered, int *listed)
{
	int	 a = 0, n = 0;

	*total = 1;
	*answered = wc->lk != NULL;
	*listed = wc->lk != NULL && wc->lk->listed;
	if (wc->dc != NULL) {
		dnsbl_check_count(wc->dc, &a, &n);
		*total += wc->dc->nlists;
		*answered += a;
		*listed += n;
	}
}

static void
row_begin(struct wreq *r, const char *zone, int listed, int error,
    const char *note)
{
	const char	*cls = listed ? "listed" : error ? "error" : "clear";

	out_printf(r, "<tr class=\"%s\" data-result=\"%s\" data-zone=\"", cls,
	    cls);
	out_html(r, zone);
	out_raw(r, "\"><td>");
	out_html(r, zone);
	if (note != NULL)
		out_printf(r, " <small>%s</small>", note);
	out_printf(r, "</td><td>%s</td>", listed ? "<strong>LISTED</strong>" :
	    error ? "error" : "not listed");
}

/* orbl's own row: the database's answer. */
static void
row_own(struct wreq *r, const struct web_check *wc)
{
	const struct lookup	*lk = wc->lk;
	char			 code[32];

	row_begin(r, own_zone(r->w), lk && lk->listed, lk == NULL,
	    "(orbl, this site)");
	if (lk == NULL) {
		out_raw(r, "<td></td><td>");
		out_html(r, wc->own_err);
		out_raw(r, "</td>");
	} else if (lk->listed) {
		out_printf(r, "<td>%s</td><td>", fmt_code(lk->code, code,
		    sizeof(code)));
		out_html(r, lk->txt);
		out_raw(r, "</td>");
	} else
		out_raw(r, "<td></td><td></td>");
	out_raw(r, "<td></td></tr>\n");
}

static void
row_list(struct wreq *r, const struct dnsbl_list *l)
{
	char	 code[32];
	int	 k;

	row_begin(r, l->zone, l->listed, l->err[0] != '\0', NULL);
	out_raw(r, "<td>");
	for (k = 0; l->listed && k < l->ncodes; k++)
		out_printf(r, "%s%s", k ? ", " : "", fmt_code(l->codes[k], code,
		    sizeof(code)));
	out_raw(r, "</td><td>");
	if (l->err[0] != '\0')
		out_html(r, l->err);
	for (k = 0; l->listed && k < l->ntxt; k++) {
		if (k)
			out_raw(r, "<br>");
		out_html(r, l->txt[k]);
	}
	out_printf(r, "</td><td>%lld ms</td></tr>\n", (long long)l->ms);
}

static void
check_page(struct wreq *r, const struct web_check *wc, const char *addr)
{
	char	 title[128], path[128];
	int	 i, total, answered, listed;

	counts(wc, &total, &answered, &listed);
	snprintf(title, sizeof(title), "%s on the blocklists", addr);
	page_begin(r, title, 0);
	out_raw(r, "<h1>");
	out_html(r, title);
	out_raw(r, "</h1>\n");
	out_printf(r, "<p class=\"status %s\" id=\"state\" role=\"status\" "
	    "data-listed=\"%d\" data-answered=\"%d\">", listed ? "listed" :
	    "clear", listed, answered);
	out_html(r, addr);
	if (answered == 0)
		out_raw(r, ": no list answered");
	else if (listed)
		out_printf(r, " is listed in %d of the %d list%s that "
		    "answered", listed, answered, answered == 1 ? "" : "s");
	else
		out_printf(r, " is not listed in %s%d list%s that answered",
		    answered == 1 ? "the " : "any of the ", answered,
		    answered == 1 ? "" : "s");
	if (answered < total)
		out_printf(r, " (%d did not answer)", total - answered);
	out_raw(r, ".</p>\n<table id=\"lists\">\n<thead><tr><th>list</th>"
	    "<th>result</th><th>answer</th><th>reason (TXT) or error</th>"
	    "<th>time</th></tr></thead>\n<tbody>\n");
	row_own(r, wc);
	for (i = 0; wc->dc != NULL && i < wc->dc->nlists; i++)
		row_list(r, &wc->dc->lists[i]);
	out_raw(r, "</tbody>\n</table>\n");
	out_raw(r, "<h2 id=\"next\">What next</h2>\n<ul>\n<li><a "
	    "id=\"lookup-link\" href=\"");
	snprintf(path, sizeof(path), "/lookup?ip=%s", addr);
	page_href(r, path);
	out_raw(r, "\">orbl's entry for ");
	out_html(r, addr);
	out_raw(r, "</a>: why it is listed, the evidence, how to get "
	    "delisted.</li>\n<li><a href=\"");
	snprintf(path, sizeof(path), "/?ip=%s#submit", addr);
	page_href(r, path);
	out_raw(r, "\">Test the server for relaying</a>: close the relay "
	    "first, or it will be listed again.</li>\n<li>Every other list "
	    "decides on its own: after the fix, ask each list that lists the "
	    "address for removal, as its TXT reason or its web site "
	    "says.</li>\n</ul>\n");
	page_end(r, 200);
}

static void
check_answer(struct web_check *wc, struct wreq *r)
{
	if (r->route == ROUTE_API_CHECK)
		web_send_json(r, 200, api_json_check(wc->addr, wc->lk,
		    own_zone(r->w), wc->own_err, wc->dc,
		    r->w->conf.web_base_url));
	else
		check_page(r, wc, wc->addr);
}

/* ------------------------------------------------------------------ */
/* The run. */

static void
check_free(struct web_check *wc)
{
	dnsbl_check_free(wc->dc);
	lookup_free(wc->lk);
	free(wc);
}

static void
check_unlink(struct web_check *wc)
{
	struct web	*w = wc->w;

	if (wc->prev != NULL)
		wc->prev->next = wc->next;
	else
		w->checks = wc->next;
	if (wc->next != NULL)
		wc->next->prev = wc->prev;
	w->nchecks--;
}

/* Every list answered or gave up: the reply. */
static void
check_end(struct dnsbl_check *dc, void *arg)
{
	struct web_check	*wc = arg;
	struct wreq		*r = wc->r;

	(void)dc;
	check_unlink(wc);
	check_answer(wc, r);
	web_deferred_free(r);
	check_free(wc);
}

void
web_check_stop(struct web *w)
{
	struct web_check	*wc;

	while ((wc = w->checks) != NULL) {
		check_unlink(wc);
		web_deferred_free(wc->r);
		check_free(wc);
	}
}

static void
check_begin(struct wreq *r, const char *usage)
{
	struct web		*w = r->w;
	struct web_check	*wc;
	struct web_check_list	*l;
	struct addr		 ip;
	struct db		*db;
	const char		*text = web_param_addr(&r->query);
	char			 err[512];
	int64_t			 retry;
	int			 i;

	if (text == NULL || *text == '\0') {
		web_error(r, 400, "give an address to check: %s", usage);
		return;
	}
	if (lookup_parse(text, &ip, err, sizeof(err)) == -1) {
		web_error(r, 400, "%s", err);
		return;
	}
	if ((retry = guard_rate(w->check_guard, r->ratekey, r->now)) != 0) {
		web_limited(r, retry, "too many checks from your address: try "
		    "again later");
		return;
	}
	if (w->nchecks >= WEB_CHECKS_MAX) {
		web_header(r, "Retry-After", "5");
		web_error(r, 503, "too many checks are running: try again in "
		    "a few seconds");
		return;
	}
	wc = xcalloc(1, sizeof(*wc));
	wc->w = w;
	/* orbl's own answer first: the database, now. */
	if ((db = web_db(r)) == NULL)
		snprintf(wc->own_err, sizeof(wc->own_err), "the database is "
		    "not available right now");
	else if ((wc->lk = lookup_new(db, &ip, w->conf.default_reason,
	    r->now, err, sizeof(err))) == NULL) {
		log_warnx("%s: database: %s", r->path, err);
		snprintf(wc->own_err, sizeof(wc->own_err), "the database is "
		    "busy or not available right now");
	}
	/* As the lookup page writes it (RFC 5952), when it could. */
	if (wc->lk != NULL)
		snprintf(wc->addr, sizeof(wc->addr), "%s", wc->lk->addr);
	else
		addr_format_ip(&ip, wc->addr, sizeof(wc->addr));
	if (w->ncheck_lists == 0) {
		check_answer(wc, r);
		check_free(wc);
		return;
	}
	wc->dc = dnsbl_check_new(w->base, &ip, w->conf.web_check_timeout *
	    1000);
	for (i = 0; i < w->ncheck_lists; i++) {
		l = &w->check_lists[i];
		/* Checked at start (web_check_conf): cannot fail. */
		if (dnsbl_check_add(wc->dc, l->zone, strlen(l->zone), l->srv,
		    l->nsrv, l->why, err, sizeof(err)) == -1)
			log_warnx("web_check_lists: %s", err);
	}
	wc->r = web_defer(r);
	wc->next = w->checks;
	if (w->checks != NULL)
		w->checks->prev = wc;
	w->checks = wc;
	w->nchecks++;
	dnsbl_check_start(wc->dc, check_end, wc);
}

void
page_check(struct wreq *r)
{
	check_begin(r, "/check?ip=ADDR");
}

void
api_check(struct wreq *r)
{
	check_begin(r, "/api/v1/check?ip=ADDR");
}
