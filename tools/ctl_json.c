/*
 * ctl_json.c -- orblctl's JSON documents with jansson (ctl_json.h).
 *
 * Key order is insertion order (jansson >= 2.8 keeps it), so a document
 * reads in the order the code below builds it; the system tests and the
 * scripts of operators rely on names and types, people on the order.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"
#include "db.h"
#include "esc.h"
#include "esc_json.h"
#include "fmt.h"
#include "lookup.h"
#include "mailq.h"
#include "mailq_top.h"
#include "policy.h"
#include "xmalloc.h"

json_t *
cj_str(const char *s)
{
	return esc_json_string(s);
}

json_t *
cj_int(int64_t v)
{
	return json_integer((json_int_t)v);
}

json_t *
cj_uint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? (json_int_t)INT64_MAX :
	    (json_int_t)v);
}

json_t *
cj_int_or_null(int64_t v)
{
	return v == 0 ? json_null() : cj_int(v);
}

json_t *
cj_bool(int b)
{
	return json_boolean(b);
}

int
cj_set(json_t *obj, const char *key, json_t *v)
{
	if (obj == NULL || v == NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(obj, key, v);	/* takes v either way */
}

int
cj_push(json_t *arr, json_t *v)
{
	if (arr == NULL || v == NULL) {
		json_decref(v);
		return -1;
	}
	return json_array_append_new(arr, v);
}

int
cj_write(FILE *f, const json_t *v, int nl)
{
	if (v == NULL ||
	    json_dumpf(v, f, JSON_COMPACT | JSON_ENCODE_ANY) == -1)
		return -1;
	if (nl && putc('\n', f) == EOF)
		return -1;
	return ferror(f) ? -1 : 0;
}

/* The code as a dotted quad string. */
static json_t *
code_str(uint32_t code)
{
	char	 b[16];

	return cj_str(fmt_code(code, b, sizeof(b)));
}

static json_t *
net_str(const struct addr *net)
{
	char	 b[ADDR_STRLEN];

	return cj_str(addr_format(net, b, sizeof(b)));
}

/* Finish an encoder: o, or NULL (and o freed) when a step failed. */
static json_t *
done(json_t *o, int failed)
{
	if (failed || o == NULL) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
cj_listing(const struct listing *l, int64_t now)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "cidr", net_str(&l->net)) ||
	    cj_set(o, "exclude", cj_bool(l->exclude)) ||
	    cj_set(o, "code", code_str(l->code)) ||
	    cj_set(o, "reason", cj_str(l->reason)) ||
	    cj_set(o, "source", cj_str(l->source)) ||
	    cj_set(o, "actor", cj_str(l->actor)) ||
	    cj_set(o, "created", cj_int(l->created)) ||
	    cj_set(o, "updated", cj_int(l->updated)) ||
	    cj_set(o, "expires", cj_int_or_null(l->expires)) ||
	    cj_set(o, "expired", cj_bool(l->expires != 0 &&
	    l->expires <= now)));
}

static json_t *
history(const struct lookup_hist *h)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "serial", cj_int(h->serial)) ||
	    cj_set(o, "ts", cj_int(h->ts)) ||
	    cj_set(o, "op", cj_str(h->op)) ||
	    cj_set(o, "entry", net_str(&h->net)) ||
	    cj_set(o, "actor", cj_str(h->actor)) ||
	    cj_set(o, "why", cj_str(h->why)));
}

json_t *
cj_lookup(const struct lookup *lk, int64_t now)
{
	const struct lookup_entry	*dec = lk->decides;
	json_t				*o = json_object(), *cov, *hist;
	size_t				 i;
	int				 bad;

	bad = cj_set(o, "address", cj_str(lk->addr)) ||
	    cj_set(o, "listed", cj_bool(lk->listed)) ||
	    cj_set(o, "entry", dec ? net_str(&dec->l.net) : json_null()) ||
	    cj_set(o, "exclude", cj_bool(dec && dec->l.exclude)) ||
	    cj_set(o, "code", lk->listed ? code_str(lk->code) : json_null()) ||
	    cj_set(o, "reason", cj_str(lk->listed ? lk->txt : NULL)) ||
	    cj_set(o, "why", cj_str(lk->why)) ||
	    cj_set(o, "source", cj_str(lk->source)) ||
	    cj_set(o, "created", cj_int_or_null(dec ? dec->l.created : 0)) ||
	    cj_set(o, "expires", cj_int_or_null(dec ? dec->l.expires : 0));
	cov = json_array();
	for (i = 0; !bad && i < lk->ncovering; i++)
		bad = cj_push(cov, cj_listing(&lk->covering[i].l, now));
	bad |= cj_set(o, "covering", cov);
	hist = json_array();
	for (i = 0; !bad && i < lk->nhistory; i++)
		bad = cj_push(hist, history(&lk->history[i]));
	bad |= cj_set(o, "history", hist);
	return done(o, bad);
}

json_t *
cj_run(const struct cj_run *r)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "probe", cj_int(r->id)) ||
	    cj_set(o, "port", cj_int(r->port)) ||
	    cj_set(o, "started", cj_int(r->started)) ||
	    cj_set(o, "finished", cj_int_or_null(r->finished)) ||
	    cj_set(o, "verdict", cj_str(r->verdict)) ||
	    cj_set(o, "hops", cj_str(r->hops[0] ? r->hops : NULL)) ||
	    cj_set(o, "relayed_test", cj_int_or_null(r->relayed_test)) ||
	    cj_set(o, "output_addr", cj_str(r->output[0] ? r->output :
	    NULL)));
}

json_t *
cj_probe_test(const struct probe_test_row *t)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "test", cj_int(t->test_id)) ||
	    cj_set(o, "name", cj_str(t->name)) ||
	    cj_set(o, "mail_from", cj_str(t->mail_from)) ||
	    cj_set(o, "rcpt_to", cj_str(t->rcpt_to)) ||
	    cj_set(o, "mail_reply", cj_str(t->mail_reply)) ||
	    cj_set(o, "rcpt_reply", cj_str(t->rcpt_reply)) ||
	    cj_set(o, "data_reply", cj_str(t->data_reply)) ||
	    cj_set(o, "result", cj_str(t->verdict)) ||
	    cj_set(o, "arrived", cj_int_or_null(t->arrived)) ||
	    cj_set(o, "arrived_from", cj_str(t->arrived_from)) ||
	    cj_set(o, "received", cj_str(t->received)));
}

json_t *
cj_event(const struct db_event *e)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "ts", cj_int(e->ts)) ||
	    cj_set(o, "kind", cj_str(e->kind)) ||
	    cj_set(o, "ref", cj_int(e->ref)) ||
	    cj_set(o, "what", cj_str(e->what)) ||
	    cj_set(o, "actor", cj_str(e->actor)) ||
	    cj_set(o, "why", cj_str(e->why)));
}

json_t *
cj_submit(const struct policy_submit *ps, int port)
{
	json_t	*o = json_object();

	if (ps->queued)
		return done(o, cj_set(o, "address", cj_str(ps->addr)) ||
		    cj_set(o, "port", cj_int(port)) ||
		    cj_set(o, "submission", cj_int(ps->submission_id)) ||
		    cj_set(o, "state", cj_str("queued")) ||
		    cj_set(o, "queued", cj_bool(1)));
	return done(o, cj_set(o, "address", cj_str(ps->addr)) ||
	    cj_set(o, "state", cj_str("done")) ||
	    cj_set(o, "verdict", cj_str(ps->last_verdict)) ||
	    cj_set(o, "probe", cj_int(ps->last_probe)) ||
	    cj_set(o, "queued", cj_bool(0)));
}

json_t *
cj_delist(const struct policy_request *pr)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "request", cj_int(pr->id)) ||
	    cj_set(o, "address", cj_str(pr->addr)) ||
	    cj_set(o, "state", cj_str("pending")) ||
	    cj_set(o, "existing", cj_bool(pr->existing)) ||
	    cj_set(o, "not_before", cj_int_or_null(pr->not_before)));
}

json_t *
cj_request(const struct delist_request *r)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "request", cj_int(r->id)) ||
	    cj_set(o, "address", cj_str(r->addr)) ||
	    cj_set(o, "contact", cj_str(r->contact)) ||
	    cj_set(o, "note", cj_str(r->note)) ||
	    cj_set(o, "state", cj_str(r->state)) ||
	    cj_set(o, "created", cj_int(r->created)) ||
	    cj_set(o, "not_before", cj_int_or_null(r->not_before)) ||
	    cj_set(o, "tries", cj_int(r->tries)) ||
	    cj_set(o, "probe", cj_int_or_null(r->probe_id)) ||
	    cj_set(o, "decided", cj_int_or_null(r->decided)) ||
	    cj_set(o, "decision", cj_str(r->decision)));
}

json_t *
cj_retest(const struct probe *p)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "probe", cj_int(p->id)) ||
	    cj_set(o, "verdict", cj_str(p->verdict)) ||
	    cj_set(o, "transcript", cj_str(p->transcript)));
}

static int
in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

json_t *
cj_group(const struct cj_kv *kv, int nkv, const char *group,
    const char *const *fixed)
{
	json_t	*o = json_object();
	int64_t	 n;
	int	 i, k, bad = 0;

	for (k = 0; !bad && fixed && fixed[k]; k++) {
		for (n = 0, i = 0; i < nkv; i++)
			if (strcmp(kv[i].group, group) == 0 &&
			    strcmp(kv[i].key, fixed[k]) == 0) {
				n = kv[i].n;
				break;
			}
		bad = cj_set(o, fixed[k], cj_int(n));
	}
	for (i = 0; !bad && i < nkv; i++) {
		if (strcmp(kv[i].group, group) != 0 ||
		    in_list(fixed, kv[i].key))
			continue;
		/* A key is text from the database: it must be UTF-8 to be a
		 * key at all (jansson refuses it otherwise). */
		if (!esc_utf8_valid(kv[i].key))
			continue;
		bad = cj_set(o, kv[i].key, cj_int(kv[i].n));
	}
	return done(o, bad);
}

json_t *
cj_stats(const struct cj_stats *s)
{
	json_t	*o = json_object(), *lst = json_object(), *sub = json_object();
	int	 bad = 0;

	bad |= cj_set(lst, "listed", cj_int(s->listed));
	bad |= cj_set(lst, "excluded", cj_int(s->excluded));
	bad |= cj_set(lst, "by_source", cj_group(s->kv, s->nkv, "source",
	    s->sources));
	bad |= cj_set(lst, "by_age", cj_group(s->kv, s->nkv, "age", s->ages));
	bad |= cj_set(o, "listings", lst);
	bad |= cj_set(o, "serial", cj_int(s->serial));
	bad |= cj_set(sub, "queued", cj_int(s->sub[0]));
	bad |= cj_set(sub, "probing", cj_int(s->sub[1]));
	bad |= cj_set(sub, "done", cj_int(s->sub[2]));
	bad |= cj_set(sub, "failed", cj_int(s->sub[3]));
	bad |= cj_set(o, "submissions", sub);
	bad |= cj_set(o, "requests", cj_group(s->kv, s->nkv, "requests",
	    s->requests));
	bad |= cj_set(o, "probes_last_day", cj_group(s->kv, s->nkv, "probes",
	    NULL));
	return done(o, bad);
}

static json_t *
check_list(const struct cj_check_list *l)
{
	json_t	*o = json_object(), *codes = json_array(), *txt = json_array();
	int	 k, bad = 0;

	for (k = 0; !bad && k < l->ncodes; k++)
		bad = cj_push(codes, code_str(l->codes[k]));
	for (k = 0; !bad && l->listed && k < l->ntxt; k++)
		bad = cj_push(txt, cj_str(l->txt[k]));
	/* One statement each: every built value is taken by cj_set. */
	bad |= cj_set(o, "zone", cj_str(l->zone));
	bad |= cj_set(o, "server", cj_str(l->server));
	bad |= cj_set(o, "listed", cj_bool(l->listed));
	bad |= cj_set(o, "codes", codes);
	bad |= cj_set(o, "txt", txt);
	bad |= cj_set(o, "error", cj_str(l->error));
	bad |= cj_set(o, "ms", cj_int(l->ms));
	return done(o, bad);
}

json_t *
cj_check(const char *address, int listed, int answered,
    const struct cj_check_list *lists, int n)
{
	json_t	*o = json_object(), *arr = json_array();
	int	 i, bad = 0;

	for (i = 0; !bad && i < n; i++)
		bad = cj_push(arr, check_list(&lists[i]));
	bad |= cj_set(o, "address", cj_str(address));
	bad |= cj_set(o, "listed", cj_bool(listed));
	bad |= cj_set(o, "answered", cj_int(answered));
	bad |= cj_set(o, "lists", arr);
	return done(o, bad);
}

json_t *
cj_top(const struct mailq_top_entry *e, size_t n, const char *keyname)
{
	json_t	*arr = json_array(), *o;
	size_t	 i;
	int	 bad = 0;

	for (i = 0; !bad && i < n; i++) {
		o = json_object();
		bad = cj_set(o, keyname, cj_str(e[i].key)) ||
		    cj_set(o, "count", cj_uint(e[i].count));
		bad = cj_push(arr, done(o, bad));
	}
	return done(arr, bad);
}

json_t *
cj_queue(const struct cj_queue *q)
{
	const struct mailq_stats	*st = q->st;
	json_t				*o = json_object();

	return done(o, cj_set(o, "status", cj_str(q->status)) ||
	    cj_set(o, "summary", cj_str(q->summary)) ||
	    cj_set(o, "messages", cj_uint(q->messages)) ||
	    cj_set(o, "format", cj_str(mailq_format_name(st->format))) ||
	    cj_set(o, "listed", cj_uint(st->messages)) ||
	    cj_set(o, "reported", st->reported >= 0 ? cj_int(st->reported) :
	    json_null()) ||
	    cj_set(o, "deferred", cj_uint(st->status[MAILQ_DEFERRED])) ||
	    cj_set(o, "frozen", cj_uint(st->status[MAILQ_FROZEN])) ||
	    cj_set(o, "hold", cj_uint(st->status[MAILQ_HOLD])) ||
	    cj_set(o, "active", cj_uint(st->status[MAILQ_ACTIVE])) ||
	    cj_set(o, "queued", cj_uint(st->status[MAILQ_QUEUED])) ||
	    cj_set(o, "recipients", cj_uint(st->recipients)) ||
	    cj_set(o, "bytes", cj_uint(st->bytes)) ||
	    cj_set(o, "garbage_lines", cj_uint(st->garbage)) ||
	    cj_set(o, "warn", cj_int(q->warn)) ||
	    cj_set(o, "crit", cj_int(q->crit)) ||
	    cj_set(o, "exact", cj_bool(q->exact)) ||
	    cj_set(o, "top_recipient_domains", cj_top(q->dom, q->ndom,
	    "domain")) ||
	    cj_set(o, "top_senders", cj_top(q->snd, q->nsnd, "sender")));
}

json_t *
cj_queue_unknown(const char *summary, const char *error, long long warn,
    long long crit)
{
	json_t	*o = json_object();

	return done(o, cj_set(o, "status", cj_str("UNKNOWN")) ||
	    cj_set(o, "summary", cj_str(summary)) ||
	    cj_set(o, "error", cj_str(error)) ||
	    cj_set(o, "messages", json_null()) ||
	    cj_set(o, "format", json_null()) ||
	    cj_set(o, "warn", cj_int(warn)) ||
	    cj_set(o, "crit", cj_int(crit)));
}
