/*
 * api_json.c -- see api_json.h.
 *
 * Every jansson call that can fail is checked: set() and push() mark a
 * document bad when a value could not be made (NULL) or not be added,
 * and the builder then frees it and returns NULL.  jansson takes the
 * value either way (json_object_set_new, json_array_append_new).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "action.h"
#include "advice.h"
#include "api_json.h"
#include "dnsbl_check.h"
#include "esc.h"
#include "fmt.h"
#include "esc_json.h"
#include "lookup.h"
#include "policy.h"
#include "route.h"
#include "view.h"


/* s as a JSON string, null for NULL (esc_json.h). */
static json_t *
jstr(const char *s)
{
	return esc_json_string(s);
}

/* A number that the API shows as null when 0 (times, optional IDs). */
static json_t *
jnum0(int64_t v)
{
	return v == 0 ? json_null() : json_integer((json_int_t)v);
}

/* base + path as a JSON string. */
static json_t *
jurl(const char *base, const char *path)
{
	char	 buf[1024];

	return jstr(route_url(base, path, buf, sizeof(buf)));
}

static void
set(json_t *o, const char *key, json_t *v, int *bad)
{
	if (json_object_set_new(o, key, v) == -1)
		*bad = 1;
}

static void
push(json_t *a, json_t *v, int *bad)
{
	if (json_array_append_new(a, v) == -1)
		*bad = 1;
}

static json_t *
done(json_t *o, int bad)
{
	if (o == NULL || bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
api_json_error(const char *msg, int status)
{
	json_t	*o = json_object();
	int	 bad = 0;

	set(o, "error", jstr(msg), &bad);
	set(o, "status", json_integer(status), &bad);
	return done(o, bad);
}

json_t *
api_json_status(const char *version, uint32_t serial)
{
	json_t	*o = json_object();
	int	 bad = 0;

	set(o, "ok", json_true(), &bad);
	set(o, "version", jstr(version), &bad);
	set(o, "database", jstr("ok"), &bad);
	set(o, "serial", json_integer(serial), &bad);
	return done(o, bad);
}

static json_t *
test_json(const struct view_test *t)
{
	json_t	*o = json_object();
	int	 bad = 0;

	set(o, "test", json_integer(t->test_id), &bad);
	set(o, "name", jstr(t->name), &bad);
	set(o, "mail_from", jstr(t->mail_from), &bad);
	set(o, "rcpt_to", jstr(t->rcpt_to), &bad);
	set(o, "mail_reply", jstr(t->mail_reply), &bad);
	set(o, "rcpt_reply", jstr(t->rcpt_reply), &bad);
	set(o, "data_reply", jstr(t->data_reply), &bad);
	set(o, "result", jstr(t->verdict), &bad);
	set(o, "arrived", jnum0(t->arrived), &bad);
	set(o, "arrived_from", jstr(t->arrived_from), &bad);
	set(o, "received", jstr(t->received), &bad);
	return done(o, bad);
}

json_t *
api_json_probe(const struct view_probe *p, int full)
{
	json_t	*o = json_object(), *a;
	size_t	 i;
	int	 bad = 0;

	set(o, "probe", json_integer(p->id), &bad);
	set(o, "port", json_integer(p->port), &bad);
	set(o, "started", jnum0(p->started), &bad);
	set(o, "finished", jnum0(p->finished), &bad);
	set(o, "verdict", jstr(p->verdict), &bad);
	set(o, "hops", jstr(p->hops), &bad);
	set(o, "relayed_test", jnum0(p->relayed_test), &bad);
	set(o, "output_addr", jstr(p->output_addr), &bad);
	if (full) {
		set(o, "transcript", jstr(p->transcript), &bad);
		a = json_array();
		for (i = 0; i < p->ntests; i++)
			push(a, test_json(&p->tests[i]), &bad);
		set(o, "tests", a, &bad);
	}
	return done(o, bad);
}

/* The probe, or null. */
static json_t *
probe_or_null(const struct view_probe *p)
{
	return p != NULL ? api_json_probe(p, 1) : json_null();
}

static json_t *
covering_json(const struct lookup_entry *e)
{
	const struct listing	*c = &e->l;
	json_t			*o = json_object();
	char			 cidr[ADDR_STRLEN], code[32];
	int			 bad = 0;

	set(o, "cidr", jstr(addr_format(&c->net, cidr, sizeof(cidr))), &bad);
	set(o, "exclude", json_boolean(c->exclude), &bad);
	set(o, "code", jstr(fmt_code(c->code, code, sizeof(code))), &bad);
	set(o, "reason", jstr(c->reason), &bad);
	set(o, "source", jstr(c->source), &bad);
	set(o, "created", jnum0(c->created), &bad);
	set(o, "expires", jnum0(c->expires), &bad);
	set(o, "expired", json_boolean(e->expired), &bad);
	return done(o, bad);
}

static json_t *
history_json(const struct lookup_hist *h)
{
	json_t	*o = json_object();
	char	 cidr[ADDR_STRLEN];
	int	 bad = 0;

	set(o, "serial", json_integer(h->serial), &bad);
	set(o, "ts", json_integer(h->ts), &bad);
	set(o, "op", jstr(h->op), &bad);
	set(o, "entry", jstr(addr_format(&h->net, cidr, sizeof(cidr))), &bad);
	set(o, "actor", jstr(view_public_actor(h->actor)), &bad);
	set(o, "why", jstr(h->why), &bad);
	return done(o, bad);
}

static json_t *
event_json(const struct view_event *e)
{
	json_t	*o = json_object();
	int	 bad = 0;

	set(o, "ts", json_integer(e->ts), &bad);
	set(o, "kind", jstr(e->kind), &bad);
	set(o, "ref", json_integer(e->ref), &bad);
	set(o, "what", jstr(e->what), &bad);
	set(o, "actor", jstr(view_public_actor(e->actor)), &bad);
	set(o, "why", jstr(e->why), &bad);
	return done(o, bad);
}

static json_t *
lookup_req_json(const struct view_req *q, const char *base)
{
	json_t	*o = json_object();
	char	 path[96];
	int	 bad = 0;

	set(o, "request", json_integer(q->id), &bad);
	set(o, "state", jstr(q->state), &bad);
	set(o, "created", jnum0(q->created), &bad);
	set(o, "decided", jnum0(q->decided), &bad);
	set(o, "decision", jstr(q->decision), &bad);
	snprintf(path, sizeof(path), "/api/v1/delist-requests/%lld",
	    (long long)q->id);
	set(o, "url", jurl(base, path), &bad);
	return done(o, bad);
}

json_t *
api_json_lookup(const struct view *v, const char *base, const char *contact)
{
	const struct lookup	*lk = v->lk;
	const struct listing	*d = lk->decides ? &lk->decides->l : NULL;
	const char		*verdict = NULL;
	json_t			*o = json_object(), *a;
	char			 cidr[ADDR_STRLEN], code[32], path[96];
	enum advice		 adv;
	size_t			 i;
	int			 bad = 0;

	set(o, "address", jstr(lk->addr), &bad);
	set(o, "listed", json_boolean(lk->listed), &bad);
	set(o, "entry", jstr(d ? addr_format(&d->net, cidr, sizeof(cidr)) :
	    NULL), &bad);
	set(o, "exclude", json_boolean(d && d->exclude), &bad);
	set(o, "code", jstr(lk->listed ? fmt_code(lk->code, code,
	    sizeof(code)) : NULL), &bad);
	set(o, "reason", jstr(lk->listed ? lk->txt : NULL), &bad);
	set(o, "why", jstr(lk->why), &bad);
	set(o, "source", jstr(lk->source), &bad);
	set(o, "created", jnum0(d ? d->created : 0), &bad);
	set(o, "expires", jnum0(d ? d->expires : 0), &bad);
	a = json_array();
	for (i = 0; i < lk->ncovering; i++)
		push(a, covering_json(&lk->covering[i]), &bad);
	set(o, "covering", a, &bad);
	a = json_array();
	for (i = 0; i < lk->nhistory; i++)
		push(a, history_json(&lk->history[i]), &bad);
	set(o, "history", a, &bad);
	/* The newest finished run's. */
	for (i = 0; i < v->nprobes && verdict == NULL; i++)
		if (v->probes[i].finished)
			verdict = v->probes[i].verdict;
	set(o, "verdict", jstr(verdict), &bad);
	a = json_array();
	for (i = 0; i < v->nprobes; i++)
		push(a, api_json_probe(&v->probes[i], 0), &bad);
	set(o, "probes", a, &bad);
	set(o, "evidence", probe_or_null(v->probe), &bad);
	a = json_array();
	for (i = 0; i < v->nevents; i++)
		push(a, event_json(&v->events[i]), &bad);
	set(o, "events", a, &bad);
	a = json_array();
	for (i = 0; i < v->nreqs; i++)
		push(a, lookup_req_json(&v->reqs[i], base), &bad);
	set(o, "requests", a, &bad);
	/* A re-test removes a listing of a relay test only: other entries
	 * get the operator's address instead (advice.h). */
	adv = advice_of(lk);
	snprintf(path, sizeof(path), "/?ip=%s#delist", lk->addr);
	set(o, "delist_url", adv == ADVICE_RETEST ? jurl(base, path) :
	    json_null(), &bad);
	set(o, "advice", jstr(advice_name(adv)), &bad);
	set(o, "contact", jstr((adv == ADVICE_OPERATOR ||
	    adv == ADVICE_RANGE) && contact && *contact ? contact : NULL),
	    &bad);
	snprintf(path, sizeof(path), "/api/v1/check?ip=%s", lk->addr);
	set(o, "check_url", jurl(base, path), &bad);
	return done(o, bad);
}

static json_t *
check_row(const char *zone, const char *source, const char *server,
    int listed, const uint32_t *codes, int ncodes, char *const *txt,
    int ntxt, const char *error, int64_t ms)
{
	json_t	*o = json_object(), *a;
	char	 code[32];
	int	 k, bad = 0;

	set(o, "zone", jstr(zone), &bad);
	set(o, "source", jstr(source), &bad);
	set(o, "server", jstr(server), &bad);
	set(o, "listed", json_boolean(listed), &bad);
	a = json_array();
	/* The codes as orblctl check --json gives them: an error code too. */
	for (k = 0; k < ncodes; k++)
		push(a, jstr(fmt_code(codes[k], code, sizeof(code))), &bad);
	set(o, "codes", a, &bad);
	a = json_array();
	for (k = 0; listed && k < ntxt; k++)
		push(a, jstr(txt[k]), &bad);
	set(o, "txt", a, &bad);
	set(o, "error", jstr(error), &bad);
	set(o, "ms", json_integer(ms), &bad);
	return done(o, bad);
}

json_t *
api_json_check(const char *addr, const struct lookup *lk, const char *zone,
    const char *own_err, const struct dnsbl_check *dc, const char *base)
{
	const struct dnsbl_list	*l;
	json_t			*o = json_object(), *a = json_array();
	char			 path[96], sb[80], *txt[1] = { NULL };
	uint32_t		 code[1] = { 0 };
	int			 i, bad = 0, answered, listed, n = 0, na = 0;

	answered = lk != NULL;
	listed = lk != NULL && lk->listed;
	if (lk != NULL) {
		code[0] = lk->code;
		txt[0] = (char *)lk->txt;
	}
	push(a, check_row(zone, "orbl", NULL, listed, code, listed, txt,
	    listed, lk ? NULL : own_err, 0), &bad);
	for (i = 0; dc != NULL && i < dc->nlists; i++) {
		l = &dc->lists[i];
		push(a, check_row(l->zone, "dns", l->nsrv ? dnsq_srv_fmt(
		    &l->srv[0], sb, sizeof(sb)) : NULL, l->listed, l->codes,
		    l->ncodes, l->txt, l->ntxt, l->err[0] ? l->err : NULL,
		    l->ms), &bad);
	}
	if (dc != NULL)
		dnsbl_check_count(dc, &na, &n);
	set(o, "address", jstr(addr), &bad);
	set(o, "listed", json_boolean(listed + n > 0), &bad);
	set(o, "listed_in", json_integer(listed + n), &bad);
	set(o, "answered", json_integer(answered + na), &bad);
	set(o, "lists", a, &bad);
	snprintf(path, sizeof(path), "/api/v1/lookup?ip=%s", addr);
	set(o, "lookup", jurl(base, path), &bad);
	return done(o, bad);
}

json_t *
api_json_submitted(const struct policy_submit *ps, int port,
    const char *base)
{
	json_t	*o = json_object();
	char	 path[96];
	int	 bad = 0;

	set(o, "address", jstr(ps->addr), &bad);
	set(o, "port", json_integer(port), &bad);
	set(o, "queued", json_boolean(ps->queued), &bad);
	if (ps->queued) {
		set(o, "submission", json_integer(ps->submission_id), &bad);
		set(o, "state", jstr("queued"), &bad);
		snprintf(path, sizeof(path), "/api/v1/submissions/%lld",
		    (long long)ps->submission_id);
		set(o, "url", jurl(base, path), &bad);
		snprintf(path, sizeof(path), "/submission/%lld",
		    (long long)ps->submission_id);
		set(o, "page", jurl(base, path), &bad);
	} else {
		set(o, "state", jstr("done"), &bad);
		set(o, "verdict", jstr(ps->last_verdict), &bad);
		set(o, "probe", jnum0(ps->last_probe), &bad);
		set(o, "tested", jnum0(ps->last_finished), &bad);
		snprintf(path, sizeof(path), "/api/v1/lookup?ip=%s", ps->addr);
		set(o, "lookup", jurl(base, path), &bad);
	}
	return done(o, bad);
}

json_t *
api_json_submission(const struct view *v, const char *base)
{
	const struct view_sub	*s = &v->sub;
	json_t			*o = json_object();
	char			 path[96];
	int			 bad = 0, isdone;

	isdone = strcmp(s->state, "done") == 0 ||
	    strcmp(s->state, "failed") == 0;
	set(o, "submission", json_integer(s->id), &bad);
	set(o, "address", jstr(s->addr), &bad);
	set(o, "port", json_integer(s->port), &bad);
	set(o, "state", jstr(s->state), &bad);
	set(o, "done", json_boolean(isdone), &bad);
	set(o, "verdict", jstr(isdone ? s->result : NULL), &bad);
	set(o, "probe", jnum0(s->probe_id), &bad);
	set(o, "created", jnum0(s->created), &bad);
	set(o, "updated", jnum0(s->updated), &bad);
	set(o, "not_before", jnum0(s->not_before), &bad);
	set(o, "tries", json_integer(s->tries), &bad);
	snprintf(path, sizeof(path), "/api/v1/lookup?ip=%s", s->addr);
	set(o, "lookup", jurl(base, path), &bad);
	set(o, "evidence", probe_or_null(isdone ? v->probe : NULL), &bad);
	return done(o, bad);
}

json_t *
api_json_delisted(const struct policy_request *pr, const char *base)
{
	json_t	*o = json_object();
	char	 path[96];
	int	 bad = 0;

	set(o, "request", json_integer(pr->id), &bad);
	set(o, "address", jstr(pr->addr), &bad);
	set(o, "state", jstr("pending"), &bad);
	set(o, "existing", json_boolean(pr->existing), &bad);
	set(o, "not_before", jnum0(pr->not_before), &bad);
	snprintf(path, sizeof(path), "/api/v1/delist-requests/%lld",
	    (long long)pr->id);
	set(o, "url", jurl(base, path), &bad);
	snprintf(path, sizeof(path), "/request/%lld", (long long)pr->id);
	set(o, "page", jurl(base, path), &bad);
	return done(o, bad);
}

json_t *
api_json_request(const struct view *v, int64_t now)
{
	const struct view_req	*q = &v->req;
	json_t			*o = json_object();
	char			 contact[POLICY_CONTACT_MAX + 8];
	int			 bad = 0;

	view_mask_contact(q->contact, contact, sizeof(contact));
	set(o, "request", json_integer(q->id), &bad);
	set(o, "address", jstr(q->addr), &bad);
	set(o, "contact", jstr(contact), &bad);
	set(o, "state", jstr(q->state), &bad);
	set(o, "created", jnum0(q->created), &bad);
	set(o, "not_before", jnum0(q->not_before), &bad);
	set(o, "waiting", json_boolean(q->state != NULL &&
	    strcmp(q->state, "pending") == 0 && q->not_before > now), &bad);
	set(o, "tries", json_integer(q->tries), &bad);
	set(o, "probe", jnum0(q->probe_id), &bad);
	set(o, "decided", jnum0(q->decided), &bad);
	set(o, "decision", jstr(q->decision), &bad);
	set(o, "retest", probe_or_null(v->probe), &bad);
	return done(o, bad);
}

json_t *
api_json_removed(const struct action_remove *ar)
{
	json_t	*o = json_object(), *a;
	int	 bad = 0, i;

	set(o, "removed", jstr(ar->cidr), &bad);
	a = json_array();
	for (i = 0; i < ar->nanswered; i++)
		push(a, json_integer(ar->answered[i]), &bad);
	set(o, "requests_answered", a, &bad);
	return done(o, bad);
}

/* ------------------------------------------------------------------ */
/* The text. */

/* "\u" and four hex digits, lower case, at o. */
static size_t
put_u(char *o, unsigned int c)
{
	snprintf(o, 7, "\\u%04x", c);
	return 6;
}

char *
api_json_dump(const json_t *doc, size_t *lenp)
{
	const unsigned char	*p;
	char			*raw, *out;
	size_t			 len, i, o, k;
	int			 instr = 0;

	/* Measured, then written: the text is ours (malloc), whatever
	 * allocator jansson has. */
	if (doc == NULL || (len = json_dumpb(doc, NULL, 0, JSON_COMPACT)) == 0)
		return NULL;
	if ((raw = malloc(len)) == NULL)
		return NULL;
	if (json_dumpb(doc, raw, len, JSON_COMPACT) != len) {
		free(raw);
		return NULL;
	}
	/* At worst every byte becomes six ("\u003c"). */
	if (len > (SIZE_MAX - 2) / 6 || (out = malloc(len * 6 + 2)) == NULL) {
		free(raw);
		return NULL;
	}
	p = (const unsigned char *)raw;
	/*
	 * Outside strings jansson writes only ASCII punctuation, digits and
	 * words: whatever is rewritten below is in a string.  Inside one it
	 * writes every escape whole (a backslash and its character, or \u
	 * and four hex digits).
	 */
	for (i = o = 0; i < len; i++) {
		if (!instr) {
			instr = p[i] == '"';
			out[o++] = (char)p[i];
			continue;
		}
		switch (p[i]) {
		case '"':
			instr = 0;
			out[o++] = '"';
			break;
		case '\\':
			if (i + 1 < len && p[i + 1] == 'u' && i + 5 < len) {
				out[o++] = '\\';
				out[o++] = 'u';
				for (k = 2; k < 6; k++)
					out[o++] = (char)(p[i + k] >= 'A' &&
					    p[i + k] <= 'F' ? p[i + k] + 32 :
					    p[i + k]);
				i += 5;
			} else if (i + 1 < len && p[i + 1] == 'b') {
				o += put_u(out + o, '\b');
				i++;
			} else if (i + 1 < len && p[i + 1] == 'f') {
				o += put_u(out + o, '\f');
				i++;
			} else if (i + 1 < len) {
				out[o++] = '\\';
				out[o++] = (char)p[++i];
			}
			break;
		case '<':
		case '>':
		case '&':
		case 0x7f:
			o += put_u(out + o, p[i]);
			break;
		case 0xe2:
			if (i + 2 < len && p[i + 1] == 0x80 &&
			    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				o += put_u(out + o, p[i + 2] == 0xa8 ?
				    0x2028 : 0x2029);
				i += 2;
				break;
			}
			out[o++] = (char)p[i];
			break;
		default:
			out[o++] = (char)p[i];
		}
	}
	out[o++] = '\n';
	out[o] = '\0';
	free(raw);
	*lenp = o;
	return out;
}
