/*
 * page_lookup.c -- the lookup page: listed or not and by which entry,
 * since when, the code and the TXT; the evidence (the probe that
 * confirmed the relay: which address form was relayed, the SMTP replies,
 * when and from where the test mail arrived, its Received chain, the
 * transcript); the recent probes and delisting requests; the history
 * (journal and events, oldest first); and how to get delisted, which
 * depends on how the address is listed (advice.h): a relay test's listing
 * is removed by a re-test, an operator's entry or a range only by the
 * operator.  Every answer links to the multi-list check.  Also the
 * evidence block on its own (page_probe) for the request page.
 */
#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "db.h"
#include "fmt.h"
#include "lookup.h"
#include "page.h"
#include "view.h"
#include "web.h"

static void
td(struct wreq *r, const char *s)
{
	out_raw(r, "<td>");
	out_html(r, s ? s : "");
	out_raw(r, "</td>");
}

static void
td_time(struct wreq *r, int64_t ts)
{
	char	 t[64];

	out_printf(r, "<td>%s</td>", ts ? fmt_time_human(ts, t, sizeof(t)) :
	    "");
}

static void
pre(struct wreq *r, const char *s)
{
	out_raw(r, "<pre>");
	out_html(r, s);
	out_raw(r, "</pre>\n");
}


/* "tests 13, 14, 16-25": the n tests of p never run, as runs of ids. */
static void
not_run_list(struct wreq *r, const struct view_probe *p, size_t n)
{
	size_t	 i, j;
	int	 first = 1;

	for (i = 0; i < p->ntests; i = j) {
		j = i + 1;
		if (!p->tests[i].verdict ||
		    strcmp(p->tests[i].verdict, "not-run") != 0)
			continue;
		while (j < p->ntests && p->tests[j].verdict &&
		    strcmp(p->tests[j].verdict, "not-run") == 0 &&
		    p->tests[j].test_id == p->tests[j - 1].test_id + 1)
			j++;
		out_printf(r, "%s%d", !first ? ", " : n == 1 ? "test " :
		    "tests ", p->tests[i].test_id);
		if (j - i > 1)
			out_printf(r, "&ndash;%d", p->tests[j - 1].test_id);
		first = 0;
	}
}

static void
reply_line(struct wreq *r, const char *cmd, const char *arg,
    const char *reply)
{
	if (reply == NULL || *reply == '\0')
		return;
	out_raw(r, "<li><code>");
	out_html(r, cmd);
	out_html(r, arg ? arg : "");
	out_raw(r, "</code> &rarr; <code>");
	out_html(r, reply);
	out_raw(r, "</code></li>\n");
}

void
page_probe(struct wreq *r, const struct view_probe *p, int heading)
{
	const struct view_test	*t, *relayed = NULL;
	char			 tb[64], tb2[64];
	size_t			 i, notrun = 0;

	if (heading)
		out_printf(r, "<h2 id=\"evidence\">Evidence: probe #%lld</h2>\n",
		    (long long)p->id);
	out_printf(r, "<p>Probe #%lld against port %d, started %s, ",
	    (long long)p->id, p->port, fmt_time_human(p->started, tb,
	    sizeof(tb)));
	if (p->finished)
		out_printf(r, "finished %s.", fmt_time_human(p->finished, tb2,
		    sizeof(tb2)));
	else
		out_raw(r, "not finished.");
	out_raw(r, " Verdict: <strong id=\"verdict\">");
	out_html(r, p->verdict ? p->verdict : "none yet");
	out_raw(r, "</strong> (");
	out_html(r, view_verdict_words(p->verdict));
	out_raw(r, ")");
	if (p->hops) {
		out_raw(r, ", ");
		out_html(r, p->hops);
	}
	out_raw(r, ".</p>\n");
	for (i = 0; i < p->ntests; i++)
		if (p->tests[i].test_id == p->relayed_test && p->relayed_test)
			relayed = &p->tests[i];
	if (relayed) {
		t = relayed;
		out_printf(r, "<div id=\"relayed\">\n<p><strong>Test %d relayed"
		    "</strong> (", t->test_id);
		out_html(r, t->name);
		out_raw(r, "): the server took this test message and delivered "
		    "it to orbl's own mailbox.</p>\n<ul>\n");
		reply_line(r, "MAIL FROM:", t->mail_from, t->mail_reply);
		reply_line(r, "RCPT TO:", t->rcpt_to, t->rcpt_reply);
		reply_line(r, "end of DATA", "", t->data_reply);
		out_raw(r, "</ul>\n");
		if (t->arrived) {
			out_printf(r, "<p>The test message arrived at the sink "
			    "on %s from <code>", fmt_time_human(t->arrived, tb,
			    sizeof(tb)));
			out_html(r, t->arrived_from ? t->arrived_from : "?");
			out_raw(r, "</code>");
			if (p->output_addr && p->hops &&
			    strcmp(p->hops, "multi-hop") == 0) {
				out_raw(r, " (it left through <code>");
				out_html(r, p->output_addr);
				out_raw(r, "</code>)");
			}
			out_raw(r, ".</p>\n");
		}
		if (t->received && *t->received) {
			out_raw(r, "<h3>Its Received chain</h3>\n");
			pre(r, t->received);
		}
		out_raw(r, "</div>\n");
	}
	if (p->ntests) {
		out_raw(r, "<h3>The tests</h3>\n<table>\n<thead><tr><th>#</th>"
		    "<th>test</th><th>MAIL FROM</th><th>RCPT TO</th>"
		    "<th>replies (MAIL / RCPT / DATA)</th><th>result</th>"
		    "<th>arrived</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < p->ntests; i++) {
			t = &p->tests[i];
			if (t->verdict && strcmp(t->verdict, "not-run") == 0) {
				notrun++;
				continue;
			}
			out_printf(r, "<tr%s><td>%d</td>", t == relayed ?
			    " class=\"relayed\"" : "", t->test_id);
			td(r, t->name);
			td(r, t->mail_from);
			td(r, t->rcpt_to);
			out_raw(r, "<td>");
			out_html(r, t->mail_reply ? t->mail_reply : "-");
			out_raw(r, "<br>");
			out_html(r, t->rcpt_reply ? t->rcpt_reply : "-");
			out_raw(r, "<br>");
			out_html(r, t->data_reply ? t->data_reply : "-");
			out_raw(r, "</td>");
			td(r, t->verdict);
			td_time(r, t->arrived);
			out_raw(r, "</tr>\n");
		}
		out_raw(r, "</tbody>\n</table>\n");
		if (notrun) {
			out_printf(r, "<p class=\"notrun\">Never reached: "
			    "%zu form%s (", notrun, notrun == 1 ? "" : "s");
			not_run_list(r, p, notrun);
			out_raw(r, "). The battery stops when a test message "
			    "arrives, or when the run ended for another "
			    "reason; a server that accepts test messages "
			    "without delivering them gets the next forms in "
			    "batches.</p>\n");
		}
	}
	if (p->transcript && *p->transcript) {
		out_raw(r, "<details><summary>The SMTP transcript</summary>\n");
		pre(r, p->transcript);
		out_raw(r, "</details>\n");
	}
}

static void
summary(struct wreq *r, const struct lookup *lk)
{
	const struct listing	*d = lk->decides ? &lk->decides->l : NULL;
	char			 t[64], code[32], cidr[ADDR_STRLEN];

	out_printf(r, "<p class=\"status %s\" id=\"state\" role=\"status\" "
	    "data-listed=\"%s\">", lk->listed ? "listed" : "clear",
	    lk->listed ? "true" : "false");
	out_html(r, lk->addr);
	out_raw(r, lk->listed ? " is listed" : " is not listed");
	out_raw(r, "</p>\n<dl>\n");
	if (lk->testpoint) {
		out_raw(r, "<dt>Why</dt><dd>");
		out_html(r, lk->why);
		out_raw(r, "</dd>\n");
	} else if (d) {
		out_raw(r, "<dt>Entry</dt><dd>");
		out_html(r, addr_format(&d->net, cidr, sizeof(cidr)));
		out_raw(r, d->exclude ? " (an exclusion: never listed)" : "");
		out_printf(r, "</dd>\n<dt>Since</dt><dd id=\"since\">%s</dd>\n",
		    fmt_time_human(d->created, t, sizeof(t)));
		out_raw(r, "<dt>Source</dt><dd>");
		out_html(r, d->source);
		out_raw(r, "</dd>\n");
		if (d->expires)
			out_printf(r, "<dt>Expires</dt><dd>%s</dd>\n",
			    fmt_time_human(d->expires, t, sizeof(t)));
	} else
		out_raw(r, "<dt>Why</dt><dd>No entry covers it.</dd>\n");
	if (lk->listed) {
		fmt_code(lk->code, code, sizeof(code));
		out_printf(r, "<dt>DNS answer</dt><dd id=\"code\">%s</dd>\n"
		    "<dt>Reason (TXT)</dt><dd id=\"reason\">", code);
		out_html(r, lk->txt);
		out_raw(r, "</dd>\n");
	}
	out_raw(r, "</dl>\n");
}

static void
history(struct wreq *r, const struct view *v)
{
	const struct lookup	*lk = v->lk;
	const struct lookup_hist *h;
	const struct view_event	*e;
	char			 cidr[ADDR_STRLEN], path[64], t[64];
	size_t			 i = 0, j = 0;

	if (lk->nhistory == 0 && v->nevents == 0)
		return;
	out_raw(r, "<h2 id=\"history\">History</h2>\n<table>\n<thead><tr>"
	    "<th>when</th><th>what</th><th>by</th><th>details</th></tr>"
	    "</thead>\n<tbody>\n");
	while (i < lk->nhistory || j < v->nevents) {
		if (j >= v->nevents || (i < lk->nhistory &&
		    lk->history[i].ts <= v->events[j].ts)) {
			h = &lk->history[i++];
			out_printf(r, "<tr><td>%s</td><td>listing: ",
			    fmt_time_human(h->ts, t, sizeof(t)));
			out_html(r, strcmp(h->op, "add") == 0 ? "added " :
			    "removed ");
			out_html(r, addr_format(&h->net, cidr, sizeof(cidr)));
			out_raw(r, "</td>");
			td(r, view_public_actor(h->actor));
			td(r, h->why);
			out_raw(r, "</tr>\n");
			continue;
		}
		e = &v->events[j++];
		out_printf(r, "<tr><td>%s</td><td>", fmt_time_human(e->ts, t,
		    sizeof(t)));
		path[0] = '\0';
		if (e->kind && strcmp(e->kind, "submission") == 0)
			snprintf(path, sizeof(path), "/submission/%lld",
			    (long long)e->ref);
		else if (e->kind && strcmp(e->kind, "request") == 0)
			snprintf(path, sizeof(path), "/request/%lld",
			    (long long)e->ref);
		if (path[0]) {
			out_raw(r, "<a href=\"");
			page_href(r, path);
			out_raw(r, "\">");
		}
		out_html(r, e->kind);
		out_printf(r, " #%lld", (long long)e->ref);
		out_raw(r, path[0] ? "</a> " : " ");
		out_html(r, e->what);
		out_raw(r, "</td>");
		td(r, view_public_actor(e->actor));
		td(r, e->why);
		out_raw(r, "</tr>\n");
	}
	out_raw(r, "</tbody>\n</table>\n");
}

static void
lists(struct wreq *r, const struct view *v)
{
	char	 path[64];
	size_t	 i;

	if (v->nprobes) {
		out_raw(r, "<h2 id=\"probes\">Tests of this address</h2>\n"
		    "<table>\n<thead><tr><th>probe</th><th>started</th>"
		    "<th>port</th><th>verdict</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < v->nprobes; i++) {
			out_printf(r, "<tr><td>#%lld</td>",
			    (long long)v->probes[i].id);
			td_time(r, v->probes[i].started);
			out_printf(r, "<td>%d</td>", v->probes[i].port);
			td(r, v->probes[i].verdict ? v->probes[i].verdict :
			    v->probes[i].finished ? "none" : "running");
			out_raw(r, "</tr>\n");
		}
		out_raw(r, "</tbody>\n</table>\n");
	}
	if (v->nreqs) {
		out_raw(r, "<h2 id=\"requests\">Delisting requests</h2>\n"
		    "<table>\n<thead><tr><th>request</th><th>made</th>"
		    "<th>state</th><th>decision</th></tr></thead>\n<tbody>\n");
		for (i = 0; i < v->nreqs; i++) {
			snprintf(path, sizeof(path), "/request/%lld",
			    (long long)v->reqs[i].id);
			out_raw(r, "<tr><td><a href=\"");
			page_href(r, path);
			out_printf(r, "\">#%lld</a></td>",
			    (long long)v->reqs[i].id);
			td_time(r, v->reqs[i].created);
			td(r, v->reqs[i].state);
			td(r, v->reqs[i].decision);
			out_raw(r, "</tr>\n");
		}
		out_raw(r, "</tbody>\n</table>\n");
	}
}

/* A link to path (escaped), with id and text. */
static void
a_link(struct wreq *r, const char *id, const char *path, const char *text)
{
	out_raw(r, "<a");
	if (id != NULL)
		out_printf(r, " id=\"%s\"", id);
	out_raw(r, " href=\"");
	page_href(r, path);
	out_raw(r, "\">");
	out_html(r, text);
	out_raw(r, "</a>");
}

/* The operator's entry or range: why, who to ask. */
static void
advice_operator(struct wreq *r, const struct lookup *lk, enum advice a)
{
	const struct listing	*d = &lk->decides->l;
	char			 contact[256], cidr[ADDR_STRLEN];

	out_printf(r, "<p id=\"advice\" data-advice=\"%s\">", advice_name(a));
	if (a == ADVICE_RANGE) {
		out_raw(r, "The address is in a listed range, <code>");
		out_html(r, addr_format(&d->net, cidr, sizeof(cidr)));
		out_raw(r, "</code>: the whole range is listed by a decision of "
		    "this list's operator, not because a test found this "
		    "server relaying.");
	} else {
		out_raw(r, "This entry was made by this list's operator (source: ");
		out_html(r, d->source ? d->source : "unknown");
		out_raw(r, "), not by a relay test.");
	}
	out_raw(r, " A re-test will not remove it, so there is no re-test "
	    "to request.</p>\n<dl>\n<dt>Why it is listed</dt><dd "
	    "id=\"why-listed\">");
	out_html(r, lk->txt[0] ? lk->txt : "no reason given");
	out_raw(r, "</dd>\n<dt>Who to ask</dt><dd id=\"contact\">");
	advice_contact(&r->w->conf, contact, sizeof(contact));
	if (*contact) {
		out_raw(r, "The operator of this list: <a href=\"mailto:");
		out_html(r, contact);
		out_raw(r, "\">");
		out_html(r, contact);
		out_raw(r, "</a>. ");
	} else
		out_raw(r, "The operator of this list. ");
	out_raw(r, "Name the address, the entry and why it should no longer "
	    "be listed.</dd>\n</dl>\n");
}

/* How to get delisted (or what next), by how the address is listed. */
static void
advice(struct wreq *r, const struct lookup *lk)
{
	enum advice	 a = advice_of(lk);
	char		 path[128];

	switch (a) {
	case ADVICE_RETEST:
		snprintf(path, sizeof(path), "/?ip=%s#delist", lk->addr);
		out_raw(r, "<h2 id=\"how\">How to get delisted</h2>\n<ol "
		    "id=\"advice\" data-advice=\"retest\">\n<li>Close the "
		    "relay: the server must refuse mail from outside for "
		    "domains it does not serve, whatever address form is used "
		    "(the evidence below shows the one that got through).</li>"
		    "\n<li>");
		a_link(r, "delist-link", path, "Request delisting");
		out_raw(r, ". orbl tests the server again and removes it when "
		    "the test shows it closed.</li>\n</ol>\n");
		break;
	case ADVICE_OPERATOR:
	case ADVICE_RANGE:
		out_raw(r, "<h2 id=\"how\">How to get delisted</h2>\n");
		advice_operator(r, lk, a);
		break;
	case ADVICE_NOT_LISTED:
		out_raw(r, "<h2 id=\"how\">What next</h2>\n<p id=\"advice\" "
		    "data-advice=\"not-listed\">orbl does not list ");
		out_html(r, lk->addr);
		out_raw(r, ": there is nothing to remove here. Suspect the "
		    "server anyway? ");
		snprintf(path, sizeof(path), "/?ip=%s#submit", lk->addr);
		a_link(r, "submit-link", path, "Test it for relaying");
		out_raw(r, ".</p>\n");
		break;
	case ADVICE_TESTPOINT:
		break;
	}
	snprintf(path, sizeof(path), "/check?ip=%s", lk->addr);
	out_raw(r, "<p>");
	a_link(r, "check-link", path, "Check the other blocklists too");
	out_raw(r, ": orbl's answer beside the other lists' for ");
	out_html(r, lk->addr);
	out_raw(r, ".</p>\n");
}

void
page_lookup(struct wreq *r)
{
	struct view	 v;
	struct addr	 ip;
	struct db	*db;
	const char	*text = web_param_addr(&r->query);
	char		 err[512], title[128];

	if (text == NULL || *text == '\0') {
		web_error(r, 400, "give an address to look up: /lookup?ip=ADDR");
		return;
	}
	if (lookup_parse(text, &ip, err, sizeof(err)) == -1) {
		web_error(r, 400, "%s", err);
		return;
	}
	if ((db = web_db(r)) == NULL) {
		web_db_error(r, NULL);
		return;
	}
	if (view_lookup(&v, db, &ip, r->w->conf.default_reason, r->now, err,
	    sizeof(err)) == -1) {
		view_clear(&v);
		web_db_error(r, err);
		return;
	}
	snprintf(title, sizeof(title), "%s: %s", v.lk->addr, v.lk->listed ?
	    "listed" : "not listed");
	page_begin(r, title, 0);
	out_raw(r, "<h1>");
	out_html(r, v.lk->addr);
	out_raw(r, "</h1>\n");
	summary(r, v.lk);
	advice(r, v.lk);
	if (v.probe)
		page_probe(r, v.probe, 1);
	lists(r, &v);
	history(r, &v);
	page_end(r, 200);
	view_clear(&v);
}
