/*
 * page.c -- orbl-web's HTML: the page frame, the front page with its
 * forms (look up, check the other lists, submit a server, request
 * delisting) and the first thing to look at (the mail queue), the answers
 * to the two POSTs, the status pages of a submission and of a delisting
 * request (they reload themselves until there is a result), and error
 * pages.  Plain server-rendered HTML with a little inline CSS: no script,
 * works in any browser and with a screen reader.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "action.h"
#include "db.h"
#include "fmt.h"
#include "guard.h"
#include "page.h"
#include "view.h"
#include "web.h"

#define SUB_REFRESH	2	/* s: a submission page while it waits */
#define REQ_REFRESH	3	/* s: a request page while it waits */
#define REQ_REFRESH_MAX	60	/* ... while it waits for the interval */

static const char css[] =
	"body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;"
	"background:#fafafa}"
	"header{background:#20303f;color:#fff;padding:.6em 1em}"
	"header a{color:#fff;font-weight:bold;text-decoration:none}"
	"main{max-width:60em;margin:0 auto;padding:1em}"
	"h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em}"
	"form{background:#fff;border:1px solid #ccc;padding:1em;"
	"margin:.5em 0 1.5em}"
	"label{display:block;font-weight:600;margin-top:.5em}"
	"input,textarea{font:inherit;padding:.3em;width:100%;max-width:30em;"
	"box-sizing:border-box}"
	"button{font:inherit;margin-top:.8em;padding:.35em 1em}"
	".status{font-size:1.3em;font-weight:bold;padding:.5em;"
	"border-left:6px solid #888}"
	".listed{border-color:#b00020;background:#fdecee}"
	".clear{border-color:#1b7f3b;background:#eaf6ee}"
	".wait{border-color:#b07a00;background:#fff7e0}"
	"table{border-collapse:collapse;width:100%;background:#fff;"
	"font-size:.92em}"
	"th,td{border:1px solid #ccc;padding:.25em .4em;text-align:left;"
	"vertical-align:top}"
	"tr.relayed{background:#fdecee}"
	"tr.listed td{background:#fdecee}tr.listed strong{color:#b00020}"
	"tr.error td{background:#fff7e0}"
	"code.cmd{display:block;background:#fff;border:1px solid #ccc;"
	"padding:.3em .5em}"
	"pre{background:#fff;border:1px solid #ccc;padding:.5em;"
	"overflow-x:auto;white-space:pre-wrap;word-break:break-all}"
	"dt{font-weight:600}dd{margin:0 0 .4em 1em}"
	"ol.steps{list-style:none;padding:0;display:flex;gap:.5em}"
	"ol.steps li{padding:.2em .7em;border:1px solid #ccc;"
	"background:#fff}"
	"ol.steps li.now{background:#20303f;color:#fff}"
	".err{border-left:6px solid #b00020;background:#fdecee;padding:.5em}"
	"footer{max-width:60em;margin:2em auto;padding:0 1em;color:#555;"
	"font-size:.85em}";

void
page_href(struct wreq *r, const char *path)
{
	char	 url[1024];

	out_html(r, web_url(r->w, path, url, sizeof(url)));
}

void
page_begin(struct wreq *r, const char *title, int refresh)
{
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	out_raw(r, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n");
	if (refresh > 0)
		out_printf(r, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    refresh);
	out_raw(r, "<title>");
	out_html(r, title);
	out_raw(r, " - orbl</title>\n<style>");
	out_raw(r, css);
	out_raw(r, "</style>\n</head>\n<body>\n<header><a href=\"");
	page_href(r, "/");
	out_raw(r, "\">orbl</a> &mdash; open relay block list</header>\n"
	    "<main>\n");
}

void
page_end(struct wreq *r, int code)
{
	out_raw(r, "</main>\n<footer>orbl lists mail servers that relay mail "
	    "for anyone, after a test message really came through them. "
	    "The same data as JSON: <code>/api/v1/</code>.</footer>\n"
	    "</body>\n</html>\n");
	web_send(r, code, "text/html; charset=utf-8");
}

void
page_error(struct wreq *r, int code, const char *msg)
{
	char	 title[64];

	snprintf(title, sizeof(title), "Error %d", code);
	page_begin(r, title, 0);
	out_printf(r, "<h1>%s</h1>\n<p class=\"err\" role=\"alert\">", title);
	out_html(r, msg);
	out_raw(r, "</p>\n<p><a href=\"");
	page_href(r, "/");
	out_raw(r, "\">Back to the front page</a></p>\n");
	page_end(r, code);
}

static void
hidden_token(struct wreq *r, const char *form)
{
	char	 tok[GUARD_TOKEN_LEN];

	guard_token(r->w->guard, form, r->client, r->now, tok, sizeof(tok));
	out_raw(r, "<input type=\"hidden\" name=\"token\" value=\"");
	out_html(r, tok);
	out_raw(r, "\">\n");
}

static void
value_attr(struct wreq *r, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	out_raw(r, " value=\"");
	out_html(r, v);
	out_raw(r, "\"");
}

void
page_index(struct wreq *r)
{
	const char	*ip = web_param_addr(&r->query);

	page_begin(r, "Look up, test, delist", 0);
	out_raw(r, "<h1 id=\"lookup\">Is a mail server listed?</h1>\n"
	    "<form method=\"get\" action=\"");
	page_href(r, "/lookup");
	out_raw(r, "\" role=\"search\">\n<label for=\"l-ip\">IP address "
	    "(IPv4 or IPv6)</label>\n<input id=\"l-ip\" name=\"ip\" "
	    "required maxlength=\"64\" autocomplete=\"off\"");
	value_attr(r, ip);
	out_raw(r, ">\n<button type=\"submit\">Look up</button>\n</form>\n");

	out_raw(r, "<h2 id=\"check\">Is it on other blocklists?</h2>\n<p>One "
	    "address, several lists at once: orbl's answer and the other "
	    "DNS blocklists this site asks. A listed row is marked "
	    "LISTED.</p>\n<form method=\"get\" action=\"");
	page_href(r, "/check");
	out_raw(r, "\">\n<label for=\"c-ip\">IP address (IPv4 or IPv6)</label>"
	    "\n<input id=\"c-ip\" name=\"ip\" required maxlength=\"64\" "
	    "autocomplete=\"off\"");
	value_attr(r, ip);
	out_raw(r, ">\n<button type=\"submit\">Check the lists</button>\n"
	    "</form>\n");

	out_raw(r, "<h2 id=\"queue\">First, look at your mail queue</h2>\n"
	    "<p>A relay that spammers found fills its queue with mail for "
	    "strangers. Count the messages waiting on your server (Postfix, "
	    "Sendmail, Exim):</p>\n<p><code class=\"cmd\">mailq | wc -l"
	    "</code></p>\n<p>A few are normal for a small office, hundreds "
	    "for a large provider; thousands mean the server is probably "
	    "relaying spam right now. Operators who run orbl's tools can let "
	    "<code>orblctl queue-check</code> count and judge it (it exits "
	    "with a monitoring status and names the top senders and "
	    "destinations).</p>\n");

	out_raw(r, "<h2 id=\"submit\">Test a server</h2>\n<p>Suspect a mail "
	    "server of relaying mail for anyone? orbl connects to it, tries "
	    "the known relay tricks with test messages addressed to itself, "
	    "and lists the server only if a test message really came "
	    "through.</p>\n<form method=\"post\" action=\"");
	page_href(r, "/submit");
	out_raw(r, "\">\n");
	hidden_token(r, "submit");
	out_raw(r, "<label for=\"s-ip\">IP address of the server</label>\n"
	    "<input id=\"s-ip\" name=\"ip\" required maxlength=\"64\" "
	    "autocomplete=\"off\"");
	value_attr(r, ip);
	out_raw(r, ">\n<label for=\"s-port\">SMTP port</label>\n<input "
	    "id=\"s-port\" name=\"port\" value=\"25\" inputmode=\"numeric\" "
	    "pattern=\"[0-9]{1,5}\" maxlength=\"5\">\n<button type=\"submit\">"
	    "Submit for testing</button>\n</form>\n");

	out_raw(r, "<h2 id=\"delist\">Request delisting</h2>\n<p>Closed the "
	    "relay on your server? Ask for removal: orbl tests the server "
	    "again, and removes it as soon as the test shows it no longer "
	    "relays. Your mail address is only used about this request.</p>\n"
	    "<form method=\"post\" action=\"");
	page_href(r, "/delist");
	out_raw(r, "\">\n");
	hidden_token(r, "delist");
	out_raw(r, "<label for=\"d-ip\">IP address of the server</label>\n"
	    "<input id=\"d-ip\" name=\"ip\" required maxlength=\"64\" "
	    "autocomplete=\"off\"");
	value_attr(r, ip);
	out_printf(r, ">\n<label for=\"d-contact\">Your mail address</label>\n"
	    "<input id=\"d-contact\" name=\"contact\" type=\"email\" required "
	    "maxlength=\"%d\" autocomplete=\"email\">\n<label for=\"d-note\">"
	    "What did you fix? (optional)</label>\n<textarea id=\"d-note\" "
	    "name=\"note\" rows=\"3\" maxlength=\"%d\"></textarea>\n<button "
	    "type=\"submit\">Request delisting</button>\n</form>\n",
	    POLICY_CONTACT_MAX, POLICY_NOTE_MAX);
	page_end(r, 200);
}

void
page_submit(struct wreq *r)
{
	struct policy_submit	 ps;
	char			 err[512], path[96], t[64];
	int64_t			 retry;
	int			 port, st;

	st = action_submit(r, &r->body, &port, &ps, &retry, err, sizeof(err));
	if (st >= 300) {
		action_fail(r, st, retry, err);
		return;
	}
	if (ps.queued) {
		snprintf(path, sizeof(path), "/submission/%lld",
		    (long long)ps.submission_id);
		web_redirect(r, path);
		return;
	}
	/* Tested less than the re-test interval ago: the verdict stands. */
	page_begin(r, "Tested recently", 0);
	out_raw(r, "<h1>");
	out_html(r, ps.addr);
	out_raw(r, " was tested recently</h1>\n<p class=\"status wait\">");
	out_html(r, ps.last_verdict);
	out_raw(r, ": ");
	out_html(r, view_verdict_words(ps.last_verdict));
	out_printf(r, "</p>\n<p>Probe #%lld finished on %s. A server is not "
	    "tested again before the re-test interval has passed; that "
	    "verdict stands until then.</p>\n<p><a href=\"",
	    (long long)ps.last_probe, fmt_time_human(ps.last_finished, t,
	    sizeof(t)));
	snprintf(path, sizeof(path), "/lookup?ip=%s", ps.addr);
	page_href(r, path);
	out_raw(r, "\">See the result and its evidence</a></p>\n");
	page_end(r, 200);
}

static void
steps(struct wreq *r, const char *const names[], int now)
{
	int	 i;

	out_raw(r, "<ol class=\"steps\" aria-label=\"progress\">");
	for (i = 0; names[i]; i++)
		out_printf(r, "<li%s>%s</li>", i == now ?
		    " class=\"now\" aria-current=\"step\"" : "", names[i]);
	out_raw(r, "</ol>\n");
}

static void
lookup_link(struct wreq *r, const char *addr, const char *text)
{
	char	 path[96];

	snprintf(path, sizeof(path), "/lookup?ip=%s", addr);
	out_raw(r, "<p><a href=\"");
	page_href(r, path);
	out_raw(r, "\">");
	out_html(r, text);
	out_raw(r, "</a></p>\n");
}

void
page_submission(struct wreq *r)
{
	static const char *const names[] = { "queued", "probing", "result",
	    NULL };
	struct view		 v;
	struct view_sub		*s = &v.sub;
	struct db		*db;
	char			 title[128], t[64];
	int			 rc, done;

	if ((db = web_db(r)) == NULL) {
		web_db_error(r, NULL);
		return;
	}
	if ((rc = view_submission(&v, db, r->id)) != 0) {
		view_clear(&v);
		if (rc == DB_NOTFOUND)
			web_error(r, 404, "no submission #%lld",
			    (long long)r->id);
		else
			web_db_error(r, NULL);
		return;
	}
	done = strcmp(s->state, "done") == 0 || strcmp(s->state, "failed") == 0;
	snprintf(title, sizeof(title), "Submission #%lld: %s", (long long)s->id,
	    s->addr);
	page_begin(r, title, done ? 0 : SUB_REFRESH);
	out_raw(r, "<h1>");
	out_html(r, title);
	out_printf(r, " port %d</h1>\n", s->port);
	steps(r, names, done ? 2 : strcmp(s->state, "probing") == 0);
	out_printf(r, "<p class=\"status %s\" id=\"state\" role=\"status\" "
	    "data-state=\"", !done ? "wait" : s->result &&
	    strcmp(s->result, "confirmed") == 0 ? "listed" : "clear");
	out_html(r, done && s->result ? s->result : s->state);
	out_raw(r, "\">");
	if (strcmp(s->state, "queued") == 0) {
		out_raw(r, "Queued: waiting for the prober");
		if (s->not_before > r->now)
			out_printf(r, " (the server answered with a temporary "
			    "failure; the next try is not before %s)",
			    fmt_time_human(s->not_before, t, sizeof(t)));
		out_raw(r, ".");
	} else if (strcmp(s->state, "probing") == 0)
		out_raw(r, "Probing: the test is running. It waits for its "
		    "test messages to arrive, which can take a few minutes.");
	else if (strcmp(s->state, "done") == 0) {
		out_raw(r, "Result: ");
		out_html(r, s->result ? s->result : "none");
		out_raw(r, " &mdash; ");
		out_html(r, view_verdict_words(s->result));
	} else {
		out_raw(r, "Not tested: ");
		out_html(r, view_verdict_words(s->result));
	}
	out_raw(r, "</p>\n");
	if (!done)
		out_printf(r, "<p>This page reloads itself every %d seconds.</p>\n",
		    SUB_REFRESH);
	out_printf(r, "<p>Submitted %s; runs so far: %d.</p>\n",
	    fmt_time_human(s->created, t, sizeof(t)), s->tries);
	if (done)
		lookup_link(r, s->addr, "Look the address up: listing, "
		    "evidence and history");
	if (done && v.probe)
		page_probe(r, v.probe, 1);
	page_end(r, 200);
	view_clear(&v);
}

void
page_delist(struct wreq *r)
{
	struct policy_request	 pr;
	char			 err[512], path[96];
	int64_t			 retry;
	int			 st;

	st = action_delist(r, &r->body, &pr, &retry, err, sizeof(err));
	if (st >= 300) {
		action_fail(r, st, retry, err);
		return;
	}
	snprintf(path, sizeof(path), "/request/%lld%s", (long long)pr.id,
	    pr.existing ? "?existing=1" : "");
	web_redirect(r, path);
}

void
page_request(struct wreq *r)
{
	static const char *const names[] = { "pending", "re-testing",
	    "decided", NULL };
	struct view		 v;
	struct view_req		*q = &v.req;
	struct db		*db;
	char			 title[128], t[64], contact[POLICY_CONTACT_MAX + 8];
	int			 rc, refresh = 0, decided, step;
	const char		*cls;

	if ((db = web_db(r)) == NULL) {
		web_db_error(r, NULL);
		return;
	}
	if ((rc = view_request(&v, db, r->id)) != 0) {
		view_clear(&v);
		if (rc == DB_NOTFOUND)
			web_error(r, 404, "no delisting request #%lld",
			    (long long)r->id);
		else
			web_db_error(r, NULL);
		return;
	}
	decided = strcmp(q->state, "delisted") == 0 ||
	    strcmp(q->state, "refused") == 0;
	step = decided ? 2 : strcmp(q->state, "retesting") == 0;
	if (!decided) {
		refresh = REQ_REFRESH;
		if (q->not_before > r->now + REQ_REFRESH)
			refresh = q->not_before - r->now > REQ_REFRESH_MAX ?
			    REQ_REFRESH_MAX : (int)(q->not_before - r->now);
	}
	snprintf(title, sizeof(title), "Delisting request #%lld: %s",
	    (long long)q->id, q->addr);
	page_begin(r, title, refresh);
	out_raw(r, "<h1>");
	out_html(r, title);
	out_raw(r, "</h1>\n");
	if (form_get(&r->query, "existing"))
		out_raw(r, "<p>A request for this address was already open: "
		    "this is it. Its re-test decides for everybody.</p>\n");
	steps(r, names, step);
	cls = !decided ? "wait" : strcmp(q->state, "delisted") == 0 ?
	    "clear" : "listed";
	out_printf(r, "<p class=\"status %s\" id=\"state\" role=\"status\" "
	    "data-state=\"", cls);
	out_html(r, q->state);
	out_raw(r, "\">");
	if (strcmp(q->state, "pending") == 0 && q->not_before > r->now)
		out_printf(r, "Pending: waiting until %s. The server was tested "
		    "less than the re-test interval ago; the re-test runs "
		    "then.", fmt_time_human(q->not_before, t, sizeof(t)));
	else if (strcmp(q->state, "pending") == 0)
		out_raw(r, "Pending: the re-test starts shortly.");
	else if (strcmp(q->state, "retesting") == 0)
		out_raw(r, "Re-testing: the prober is testing the server "
		    "again.");
	else if (strcmp(q->state, "delisted") == 0)
		out_raw(r, "Delisted.");
	else
		out_raw(r, "Refused: the address stays listed.");
	out_raw(r, "</p>\n");
	if (q->decision) {
		out_raw(r, "<p id=\"decision\"><strong>Decision:</strong> ");
		out_html(r, q->decision);
		out_raw(r, "</p>\n");
	}
	view_mask_contact(q->contact, contact, sizeof(contact));
	out_raw(r, "<dl>\n<dt>Contact</dt><dd>");
	out_html(r, contact);
	out_printf(r, "</dd>\n<dt>Requested</dt><dd>%s</dd>\n<dt>Re-tests so "
	    "far</dt><dd>%d</dd>\n", fmt_time_human(q->created, t, sizeof(t)),
	    q->tries);
	if (q->decided)
		out_printf(r, "<dt>Decided</dt><dd>%s</dd>\n",
		    fmt_time_human(q->decided, t, sizeof(t)));
	out_raw(r, "</dl>\n");
	if (refresh)
		out_printf(r, "<p>This page reloads itself every %d "
		    "seconds.</p>\n", refresh);
	lookup_link(r, q->addr, "Look the address up: listing, evidence and "
	    "history");
	if (v.probe) {
		out_raw(r, "<h2>The re-test</h2>\n");
		page_probe(r, v.probe, 0);
	}
	page_end(r, 200);
	view_clear(&v);
}
