/*
 * api.c -- orbl-web's JSON API under /api/v1/: the same readings (view.c)
 * and the same actions (action.c) as the HTML pages, as documents with
 * stable keys.  Times are Unix seconds, absent values null.  Errors are
 * {"error": TEXT, "status": CODE} (server.c).  docs/WEB.md has the
 * reference.
 */
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "db.h"
#include "lookup.h"
#include "version.h"
#include "view.h"
#include "web.h"

#define JSON	"application/json"

/* ,"key": */
static void
key(struct wreq *r, const char *k)
{
	out_printf(r, ",\"%s\":", k);
}

static void
url(struct wreq *r, const char *k, const char *path)
{
	char	 buf[1024];

	key(r, k);
	out_json(r, web_url(r->w, path, buf, sizeof(buf)));
}

static void
bool_(struct wreq *r, const char *k, int v)
{
	key(r, k);
	out_raw(r, v ? "true" : "false");
}

static void
str(struct wreq *r, const char *k, const char *v)
{
	key(r, k);
	out_json(r, v);
}

static void
num(struct wreq *r, const char *k, int64_t v)
{
	key(r, k);
	out_json_int(r, v);
}

static char *
fmt_code(uint32_t c, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", c >> 24, (c >> 16) & 0xff,
	    (c >> 8) & 0xff, c & 0xff);
	return buf;
}

/* A probe object; with its tests and transcript when full. */
static void
probe_json(struct wreq *r, const struct view_probe *p, int full)
{
	const struct view_test	*t;
	size_t			 i;

	out_printf(r, "{\"probe\":%lld,\"port\":%d", (long long)p->id,
	    p->port);
	num(r, "started", p->started);
	num(r, "finished", p->finished);
	str(r, "verdict", p->verdict);
	str(r, "hops", p->hops);
	num(r, "relayed_test", p->relayed_test);
	str(r, "output_addr", p->output_addr);
	if (full) {
		str(r, "transcript", p->transcript);
		out_raw(r, ",\"tests\":[");
		for (i = 0; i < p->ntests; i++) {
			t = &p->tests[i];
			out_printf(r, "%s{\"test\":%d", i ? "," : "",
			    t->test_id);
			str(r, "name", t->name);
			str(r, "mail_from", t->mail_from);
			str(r, "rcpt_to", t->rcpt_to);
			str(r, "mail_reply", t->mail_reply);
			str(r, "rcpt_reply", t->rcpt_reply);
			str(r, "data_reply", t->data_reply);
			str(r, "result", t->verdict);
			num(r, "arrived", t->arrived);
			str(r, "arrived_from", t->arrived_from);
			str(r, "received", t->received);
			out_raw(r, "}");
		}
		out_raw(r, "]");
	}
	out_raw(r, "}");
}

void
api_status(struct wreq *r)
{
	struct db	*db;
	uint32_t	 serial;

	if ((db = web_db(r)) == NULL || db_serial(db, &serial) == -1) {
		web_db_error(r, NULL);
		return;
	}
	out_raw(r, "{\"ok\":true");
	str(r, "version", ORBL_VERSION);
	str(r, "database", "ok");
	out_printf(r, ",\"serial\":%u}\n", serial);
	web_send(r, 200, JSON);
}

static void
lookup_json(struct wreq *r, const struct view *v)
{
	const struct lookup	*lk = v->lk;
	const struct listing	*d = lk->decides ? &lk->decides->l : NULL;
	const struct listing	*c;
	const char		*verdict = NULL;
	char			 cidr[ADDR_STRLEN], code[32], path[96];
	size_t			 i;

	out_raw(r, "{\"address\":");
	out_json(r, lk->addr);
	bool_(r, "listed", lk->listed);
	str(r, "entry", d ? addr_format(&d->net, cidr, sizeof(cidr)) : NULL);
	bool_(r, "exclude", d && d->exclude);
	str(r, "code", lk->listed ? fmt_code(lk->code, code, sizeof(code)) :
	    NULL);
	str(r, "reason", lk->listed ? lk->txt : NULL);
	str(r, "why", lk->why);
	str(r, "source", lk->source);
	num(r, "created", d ? d->created : 0);
	num(r, "expires", d ? d->expires : 0);
	out_raw(r, ",\"covering\":[");
	for (i = 0; i < lk->ncovering; i++) {
		c = &lk->covering[i].l;
		out_printf(r, "%s{\"cidr\":", i ? "," : "");
		out_json(r, addr_format(&c->net, cidr, sizeof(cidr)));
		bool_(r, "exclude", c->exclude);
		str(r, "code", fmt_code(c->code, code, sizeof(code)));
		str(r, "reason", c->reason);
		str(r, "source", c->source);
		num(r, "created", c->created);
		num(r, "expires", c->expires);
		bool_(r, "expired", lk->covering[i].expired);
		out_raw(r, "}");
	}
	out_raw(r, "],\"history\":[");
	for (i = 0; i < lk->nhistory; i++) {
		out_printf(r, "%s{\"serial\":%u,\"ts\":%lld", i ? "," : "",
		    lk->history[i].serial, (long long)lk->history[i].ts);
		str(r, "op", lk->history[i].op);
		str(r, "entry", addr_format(&lk->history[i].net, cidr,
		    sizeof(cidr)));
		str(r, "actor", view_public_actor(lk->history[i].actor));
		str(r, "why", lk->history[i].why);
		out_raw(r, "}");
	}
	out_raw(r, "]");
	for (i = 0; i < v->nprobes && verdict == NULL; i++)
		if (v->probes[i].finished)
			verdict = v->probes[i].verdict;
	str(r, "verdict", verdict);
	out_raw(r, ",\"probes\":[");
	for (i = 0; i < v->nprobes; i++) {
		if (i)
			out_raw(r, ",");
		probe_json(r, &v->probes[i], 0);
	}
	out_raw(r, "],\"evidence\":");
	if (v->probe)
		probe_json(r, v->probe, 1);
	else
		out_raw(r, "null");
	out_raw(r, ",\"events\":[");
	for (i = 0; i < v->nevents; i++) {
		out_printf(r, "%s{\"ts\":%lld", i ? "," : "",
		    (long long)v->events[i].ts);
		str(r, "kind", v->events[i].kind);
		out_printf(r, ",\"ref\":%lld", (long long)v->events[i].ref);
		str(r, "what", v->events[i].what);
		str(r, "actor", view_public_actor(v->events[i].actor));
		str(r, "why", v->events[i].why);
		out_raw(r, "}");
	}
	out_raw(r, "],\"requests\":[");
	for (i = 0; i < v->nreqs; i++) {
		out_printf(r, "%s{\"request\":%lld", i ? "," : "",
		    (long long)v->reqs[i].id);
		str(r, "state", v->reqs[i].state);
		num(r, "created", v->reqs[i].created);
		num(r, "decided", v->reqs[i].decided);
		str(r, "decision", v->reqs[i].decision);
		snprintf(path, sizeof(path), "/api/v1/delist-requests/%lld",
		    (long long)v->reqs[i].id);
		url(r, "url", path);
		out_raw(r, "}");
	}
	out_raw(r, "]");
	snprintf(path, sizeof(path), "/?ip=%s#delist", lk->addr);
	if (lk->listed && !lk->testpoint)
		url(r, "delist_url", path);
	else
		str(r, "delist_url", NULL);
	out_raw(r, "}\n");
}

void
api_lookup(struct wreq *r)
{
	struct view	 v;
	struct addr	 ip;
	struct db	*db;
	const char	*text = web_param_addr(&r->query);
	char		 err[512];

	if (text == NULL || *text == '\0') {
		web_error(r, 400, "give an address: /api/v1/lookup?ip=ADDR");
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
	lookup_json(r, &v);
	view_clear(&v);
	web_send(r, 200, JSON);
}

void
api_submit(struct wreq *r)
{
	struct policy_submit	 ps;
	char			 err[512], path[96], loc[1024];
	int64_t			 retry;
	int			 port, st;

	st = action_submit(r, &r->body, &port, &ps, &retry, err, sizeof(err));
	if (st >= 300) {
		action_fail(r, st, retry, err);
		return;
	}
	out_raw(r, "{\"address\":");
	out_json(r, ps.addr);
	out_printf(r, ",\"port\":%d", port);
	bool_(r, "queued", ps.queued);
	if (ps.queued) {
		snprintf(path, sizeof(path), "/api/v1/submissions/%lld",
		    (long long)ps.submission_id);
		out_printf(r, ",\"submission\":%lld",
		    (long long)ps.submission_id);
		str(r, "state", "queued");
		url(r, "url", path);
		snprintf(path, sizeof(path), "/submission/%lld",
		    (long long)ps.submission_id);
		url(r, "page", path);
		snprintf(path, sizeof(path), "/api/v1/submissions/%lld",
		    (long long)ps.submission_id);
		web_header(r, "Location", web_url(r->w, path, loc,
		    sizeof(loc)));
	} else {
		str(r, "state", "done");
		str(r, "verdict", ps.last_verdict);
		num(r, "probe", ps.last_probe);
		num(r, "tested", ps.last_finished);
		snprintf(path, sizeof(path), "/api/v1/lookup?ip=%s", ps.addr);
		url(r, "lookup", path);
	}
	out_raw(r, "}\n");
	web_send(r, st, JSON);
}

void
api_submission(struct wreq *r)
{
	struct view	 v;
	struct view_sub	*s = &v.sub;
	struct db	*db;
	char		 path[96];
	int		 rc, done;

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
	out_printf(r, "{\"submission\":%lld", (long long)s->id);
	str(r, "address", s->addr);
	out_printf(r, ",\"port\":%d", s->port);
	str(r, "state", s->state);
	bool_(r, "done", done);
	str(r, "verdict", done ? s->result : NULL);
	num(r, "probe", s->probe_id);
	num(r, "created", s->created);
	num(r, "updated", s->updated);
	num(r, "not_before", s->not_before);
	out_printf(r, ",\"tries\":%d", s->tries);
	snprintf(path, sizeof(path), "/api/v1/lookup?ip=%s", s->addr);
	url(r, "lookup", path);
	out_raw(r, ",\"evidence\":");
	if (done && v.probe)
		probe_json(r, v.probe, 1);
	else
		out_raw(r, "null");
	out_raw(r, "}\n");
	view_clear(&v);
	web_send(r, 200, JSON);
}

void
api_delist(struct wreq *r)
{
	struct policy_request	 pr;
	char			 err[512], path[96], loc[1024];
	int64_t			 retry;
	int			 st;

	st = action_delist(r, &r->body, &pr, &retry, err, sizeof(err));
	if (st >= 300) {
		action_fail(r, st, retry, err);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/delist-requests/%lld",
	    (long long)pr.id);
	web_header(r, "Location", web_url(r->w, path, loc, sizeof(loc)));
	out_printf(r, "{\"request\":%lld", (long long)pr.id);
	str(r, "address", pr.addr);
	str(r, "state", "pending");
	bool_(r, "existing", pr.existing);
	num(r, "not_before", pr.not_before);
	url(r, "url", path);
	snprintf(path, sizeof(path), "/request/%lld", (long long)pr.id);
	url(r, "page", path);
	out_raw(r, "}\n");
	web_send(r, st, JSON);
}

void
api_request(struct wreq *r)
{
	struct view	 v;
	struct view_req	*q = &v.req;
	struct db	*db;
	char		 contact[POLICY_CONTACT_MAX + 8];
	int		 rc;

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
	view_mask_contact(q->contact, contact, sizeof(contact));
	out_printf(r, "{\"request\":%lld", (long long)q->id);
	str(r, "address", q->addr);
	str(r, "contact", contact);
	str(r, "state", q->state);
	num(r, "created", q->created);
	num(r, "not_before", q->not_before);
	bool_(r, "waiting", strcmp(q->state, "pending") == 0 &&
	    q->not_before > r->now);
	out_printf(r, ",\"tries\":%d", q->tries);
	num(r, "probe", q->probe_id);
	num(r, "decided", q->decided);
	str(r, "decision", q->decision);
	out_raw(r, ",\"retest\":");
	if (v.probe)
		probe_json(r, v.probe, 1);
	else
		out_raw(r, "null");
	out_raw(r, "}\n");
	view_clear(&v);
	web_send(r, 200, JSON);
}

void
api_admin_remove(struct wreq *r)
{
	struct action_remove	 ar;
	char			 err[512];
	int			 i, st;

	if ((st = action_remove(r, &r->body, &ar, err, sizeof(err))) >= 300) {
		action_fail(r, st, 0, err);
		return;
	}
	out_raw(r, "{\"removed\":");
	out_json(r, ar.cidr);
	out_raw(r, ",\"requests_answered\":[");
	for (i = 0; i < ar.nanswered; i++)
		out_printf(r, "%s%lld", i ? "," : "", (long long)ar.answered[i]);
	out_raw(r, "]}\n");
	web_send(r, 200, JSON);
}
