/*
 * view.c -- see view.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "db.h"
#include "lookup.h"
#include "view.h"
#include "xmalloc.h"

/*
 * A copy owned by the view (NULL stays NULL), with every probe cookie's
 * MAC redacted (cookie_redact): whatever a peer echoed into a reply, a
 * Received header or a reason, nothing the view hands to HTML or JSON is
 * a token the sink would accept.  Every string copied from the database
 * goes through here.
 */
static char *
vdup(struct view *v, const char *s)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if (v->nown == v->capown) {
		v->capown = v->capown ? v->capown * 2 : 64;
		v->own = xreallocarray(v->own, v->capown, sizeof(*v->own));
	}
	d = xstrdup(s);
	cookie_redact(d);
	return v->own[v->nown++] = d;
}

static void
probe_copy(struct view *v, struct view_probe *d, const struct probe *p)
{
	memset(d, 0, sizeof(*d));
	d->id = p->id;
	d->started = p->started;
	d->finished = p->finished;
	d->submission_id = p->submission_id;
	d->request_id = p->request_id;
	d->port = p->port;
	d->relayed_test = p->relayed_test;
	d->verdict = vdup(v, p->verdict);
	d->hops = vdup(v, p->hops);
	d->output_addr = vdup(v, p->output_addr);
	d->transcript = vdup(v, p->transcript);
}

struct probes_ctx {
	struct view	*v;
	size_t		 max;
};

static int
probes_cb(const struct probe *p, void *arg)
{
	struct probes_ctx	*c = arg;
	struct view		*v = c->v;

	if (v->nprobes >= c->max)
		return 1;
	v->probes = xreallocarray(v->probes, v->nprobes + 1,
	    sizeof(*v->probes));
	probe_copy(v, &v->probes[v->nprobes++], p);
	return 0;
}

static int
one_probe_cb(const struct probe *p, void *arg)
{
	struct view	*v = arg;

	v->probe = xcalloc(1, sizeof(*v->probe));
	probe_copy(v, v->probe, p);
	return 0;
}

static int
test_cb(const struct probe_test_row *t, void *arg)
{
	struct view		*v = arg;
	struct view_probe	*p = v->probe;
	struct view_test	*d;

	p->tests = xreallocarray(p->tests, p->ntests + 1, sizeof(*p->tests));
	d = &p->tests[p->ntests++];
	memset(d, 0, sizeof(*d));
	d->test_id = t->test_id;
	d->name = vdup(v, t->name);
	d->mail_from = vdup(v, t->mail_from);
	d->rcpt_to = vdup(v, t->rcpt_to);
	d->mail_reply = vdup(v, t->mail_reply);
	d->rcpt_reply = vdup(v, t->rcpt_reply);
	d->data_reply = vdup(v, t->data_reply);
	d->verdict = vdup(v, t->verdict);
	d->arrived = t->arrived;
	d->arrived_from = vdup(v, t->arrived_from);
	d->received = vdup(v, t->received);
	return 0;
}

/* v->probe := probe id with its tests. */
static int
load_probe(struct view *v, struct db *db, int64_t id)
{
	int	 rc;

	if ((rc = db_probe_get(db, id, one_probe_cb, v)) == -1)
		return -1;
	if (rc == DB_NOTFOUND || v->probe == NULL)
		return 0;
	return db_probe_tests(db, id, test_cb, v) == -1 ? -1 : 0;
}

static int
event_cb(const struct db_event *e, void *arg)
{
	struct view		*v = arg;
	struct view_event	*d;

	v->events = xreallocarray(v->events, v->nevents + 1,
	    sizeof(*v->events));
	d = &v->events[v->nevents++];
	d->ts = e->ts;
	d->ref = e->ref;
	d->kind = vdup(v, e->kind);
	d->what = vdup(v, e->what);
	d->actor = vdup(v, e->actor);
	/* A queued submission's "why" is its submitter, a new request's
	 * its note: neither is for the public. */
	if ((e->kind && e->what && strcmp(e->kind, "submission") == 0 &&
	    strcmp(e->what, "queued") == 0) ||
	    (e->kind && strcmp(e->kind, "request") == 0 &&
	    e->what && strcmp(e->what, "pending") == 0))
		d->why = NULL;
	else
		d->why = vdup(v, e->why);
	return 0;
}

static void
req_copy(struct view *v, struct view_req *d, const struct delist_request *r)
{
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	d->created = r->created;
	d->updated = r->updated;
	d->not_before = r->not_before;
	d->probe_id = r->probe_id;
	d->decided = r->decided;
	d->tries = r->tries;
	d->addr = vdup(v, r->addr);
	d->contact = vdup(v, r->contact);
	d->state = vdup(v, r->state);
	d->decision = vdup(v, r->decision);
}

static int
reqs_cb(const struct delist_request *r, void *arg)
{
	struct view	*v = arg;

	if (v->nreqs >= VIEW_REQUESTS)
		return 1;
	v->reqs = xreallocarray(v->reqs, v->nreqs + 1, sizeof(*v->reqs));
	req_copy(v, &v->reqs[v->nreqs++], r);
	return 0;
}

/*
 * The lookup's own copies from the database (lookup.c: reasons, the TXT
 * made of one, journal "why"s, which can quote a peer's reply) bypass
 * vdup: redacted here, in place -- they are the lookup's to change.
 */
static void
redact_lookup(struct lookup *lk)
{
	size_t	 i;

	cookie_redact(lk->txt);
	for (i = 0; i < lk->ncovering; i++)
		cookie_redact((char *)lk->covering[i].l.reason);
	for (i = 0; i < lk->nhistory; i++) {
		cookie_redact(lk->history[i].actor);
		cookie_redact(lk->history[i].why);
	}
}

int
view_lookup(struct view *v, struct db *db, const struct addr *ip,
    const char *default_reason, int64_t now, char *err, size_t errlen)
{
	struct probes_ctx	 pc = { v, VIEW_PROBES };
	const struct listing	*dec;
	int64_t			 evidence = 0;
	size_t			 i;

	memset(v, 0, sizeof(*v));
	if ((v->lk = lookup_new(db, ip, default_reason, now, err,
	    errlen)) == NULL)
		return -1;
	redact_lookup(v->lk);
	if (db_probe_foreach_addr(db, v->lk->addr, VIEW_PROBES, probes_cb,
	    &pc) == -1 ||
	    db_events_addr(db, v->lk->addr, event_cb, v) == -1 ||
	    db_request_foreach(db, NULL, v->lk->addr, reqs_cb, v) == -1)
		goto fail;
	if (v->nevents > VIEW_EVENTS) {
		memmove(v->events, v->events + (v->nevents - VIEW_EVENTS),
		    VIEW_EVENTS * sizeof(*v->events));
		v->nevents = VIEW_EVENTS;
	}
	/* The evidence: the probe behind the deciding entry, else the
	 * newest finished run. */
	dec = v->lk->decides ? &v->lk->decides->l : NULL;
	if (dec && !dec->exclude && dec->probe_id != 0)
		evidence = dec->probe_id;
	for (i = 0; evidence == 0 && i < v->nprobes; i++)
		if (v->probes[i].finished && v->probes[i].verdict)
			evidence = v->probes[i].id;
	if (evidence && load_probe(v, db, evidence) == -1)
		goto fail;
	return 0;
 fail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	return -1;
}

static int
sub_cb(const struct submission *s, void *arg)
{
	struct view	*v = arg;
	struct view_sub	*d = &v->sub;

	d->id = s->id;
	d->created = s->created;
	d->updated = s->updated;
	d->not_before = s->not_before;
	d->probe_id = s->probe_id;
	d->port = s->port;
	d->tries = s->tries;
	d->addr = vdup(v, s->addr);
	d->state = vdup(v, s->state);
	d->result = vdup(v, s->result);
	return 0;
}

int
view_submission(struct view *v, struct db *db, int64_t id)
{
	int	 rc;

	memset(v, 0, sizeof(*v));
	if ((rc = db_submission_get(db, id, sub_cb, v)) != 0)
		return rc;
	if (v->sub.addr == NULL)
		return DB_NOTFOUND;
	if (v->sub.probe_id && load_probe(v, db, v->sub.probe_id) == -1)
		return -1;
	return 0;
}

static int
req_cb(const struct delist_request *r, void *arg)
{
	struct view	*v = arg;

	req_copy(v, &v->req, r);
	return 0;
}

int
view_request(struct view *v, struct db *db, int64_t id)
{
	int	 rc;

	memset(v, 0, sizeof(*v));
	if ((rc = db_request_get(db, id, req_cb, v)) != 0)
		return rc;
	if (v->req.addr == NULL)
		return DB_NOTFOUND;
	if (v->req.probe_id && load_probe(v, db, v->req.probe_id) == -1)
		return -1;
	return 0;
}

void
view_clear(struct view *v)
{
	size_t	 i;

	lookup_free(v->lk);
	for (i = 0; i < v->nown; i++)
		free(v->own[i]);
	free(v->own);
	if (v->probe)
		free(v->probe->tests);
	free(v->probe);
	free(v->probes);
	free(v->events);
	free(v->reqs);
	memset(v, 0, sizeof(*v));
}

void
view_mask_contact(const char *s, char *buf, size_t len)
{
	const char	*at;

	if (s == NULL || (at = strrchr(s, '@')) == NULL || at == s) {
		snprintf(buf, len, "(hidden)");
		return;
	}
	snprintf(buf, len, "%c***%s", s[0], at);
}

const char *
view_public_actor(const char *actor)
{
	if (actor == NULL)
		return "?";
	if (strncmp(actor, "web:", 4) == 0 || strcmp(actor, "web") == 0)
		return "web";
	if (strcmp(actor, "prober") == 0)
		return "prober";
	return "operator";
}

const char *
view_verdict_words(const char *v)
{
	static const struct {
		const char	*verdict, *words;
	} w[] = {
		{ "confirmed", "open relay: a test message came through" },
		{ "closed", "closed: it refused to relay" },
		{ "refused", "refused the session" },
		{ "tempfail", "temporary failure (4xx): to be tried again" },
		{ "accepted-not-delivered", "accepted test messages, none "
		    "arrived: not proven open" },
		{ "bounced", "accepted, then bounced: not an open relay" },
		{ "timeout", "too slow: the test timed out" },
		{ "unreachable", "unreachable: no SMTP connection" },
		{ "protocol-error", "did not speak SMTP properly" },
		{ "not-allowed", "not allowed as a target" },
		{ NULL, NULL }
	};
	int	 i;

	if (v == NULL)
		return "no verdict yet";
	for (i = 0; w[i].verdict; i++)
		if (strcmp(w[i].verdict, v) == 0)
			return w[i].words;
	return v;
}
