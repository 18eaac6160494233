/*
 * db_request.c -- delisting requests, the audit trail by address, and
 * the queries behind re-tests (part of the db layer; see db.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

static void
row_request(sqlite3_stmt *s, struct delist_request *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->addr = db_col_text(s, 1);
	r->contact = db_col_text(s, 2);
	r->note = db_col_text(s, 3);
	r->state = db_col_text(s, 4);
	r->created = sqlite3_column_int64(s, 5);
	r->updated = sqlite3_column_int64(s, 6);
	r->not_before = sqlite3_column_int64(s, 7);
	r->tries = sqlite3_column_int(s, 8);
	r->probe_id = sqlite3_column_int64(s, 9);
	r->decided = sqlite3_column_int64(s, 10);
	r->decision = db_col_text(s, 11);
}

static int
request_rows(struct db *db, sqlite3_stmt *s,
    int (*cb)(const struct delist_request *, void *), void *arg, int *n)
{
	struct delist_request	 r;
	int			 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_request(s, &r);
		if (n)
			(*n)++;
		if ((rc = cb(&r, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "request");
}

int
db_request_add(struct db *db, const char *addr, const char *contact,
    const char *note, int64_t not_before, int contact_limit,
    const char *actor, int64_t *id, int *existing)
{
	sqlite3_stmt	*s;
	int64_t		 now = time(NULL), open = 0;
	int		 own, rc;

	*existing = 0;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_REQ_OPEN_ADDR)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*existing = 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = db_fail(db, "request");
		goto out;
	}
	rc = 0;
	if (*existing)
		goto out;
	if ((s = db_stmt(db, ST_REQ_OPEN_CONTACT)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(s, 1, contact, -1, SQLITE_STATIC);
	if ((rc = db_step_int(db, s, &open, "request")) != 0)
		goto out;
	if (contact_limit > 0 && open >= contact_limit) {
		db_seterr(db, "%s has %lld open requests already (the limit "
		    "is %d)", contact, (long long)open, contact_limit);
		rc = -1;
		goto out;
	}
	if ((s = db_stmt(db, ST_REQ_ADD)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, contact, -1, SQLITE_STATIC);
	db_bind_text_or_null(s, 3, note);
	sqlite3_bind_int64(s, 4, now);
	db_bind_int_or_null(s, 5, not_before);
	if ((rc = db_step_done(db, s, "request")) != 0)
		goto out;
	*id = sqlite3_last_insert_rowid(db->h);
	rc = db_event_add(db, "request", *id, addr, actor, "pending", note);
 out:
	return db_tx_leave(db, own, rc);
}

int
db_request_get(struct db *db, int64_t id,
    int (*cb)(const struct delist_request *, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 n = 0, rc;

	if ((s = db_stmt(db, ST_REQ_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = request_rows(db, s, cb, arg, &n);
	return rc == 0 && n == 0 ? DB_NOTFOUND : rc;
}

int
db_request_foreach(struct db *db, const char *state, const char *addr,
    int (*cb)(const struct delist_request *, void *), void *arg)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_REQ_ALL)) == NULL)
		return -1;
	db_bind_text_or_null(s, 1, state);
	db_bind_text_or_null(s, 2, addr);
	return request_rows(db, s, cb, arg, NULL);
}

/* A request copied out of SQLite (claim calls back after commit). */
struct reqcopy {
	struct delist_request	 r;
	char			*addr, *contact, *note;
};

struct reqclaim {
	struct reqcopy		*v;
	int			 n;
};

/* db_claim_batch()'s take: the claimed row into the next copy. */
static const char *
request_take(sqlite3_stmt *s, void *arg)
{
	struct reqclaim	*c = arg;
	struct reqcopy	*p = &c->v[c->n++];

	row_request(s, &p->r);
	p->r.addr = p->addr = xstrdup_null(p->r.addr);
	p->r.contact = p->contact = xstrdup_null(p->r.contact);
	p->r.note = p->note = xstrdup_null(p->r.note);
	p->r.decision = NULL;
	p->r.state = db_kind_request.running;
	return p->addr;
}

int
db_request_claim(struct db *db, int64_t now, int64_t lease_until,
    const char *owner, int max,
    int (*cb)(const struct delist_request *, void *), void *arg)
{
	struct reqclaim	 c;
	int		 i, rc;

	if (max <= 0)
		return 0;
	c.v = xcalloc((size_t)max, sizeof(*c.v));
	c.n = 0;
	rc = db_claim_batch(db, &db_kind_request, now, lease_until, owner,
	    max, request_take, &c);
	for (i = 0; i < c.n && rc == 0; i++)
		rc = cb(&c.v[i].r, arg);
	for (i = 0; i < c.n; i++) {
		free(c.v[i].addr);
		free(c.v[i].contact);
		free(c.v[i].note);
	}
	free(c.v);
	return rc;
}

int
db_request_set(struct db *db, int64_t id, const char *state,
    int64_t not_before, int64_t probe_id, const char *decision,
    const char *actor)
{
	sqlite3_stmt	*s;
	char		*addr = NULL;
	int64_t		 now = time(NULL);
	int		 own, rc, final;

	final = strcmp(state, "delisted") == 0 || strcmp(state, "refused") == 0;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_REQ_SET)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	db_bind_int_or_null(s, 3, not_before);
	db_bind_int_or_null(s, 4, probe_id);
	db_bind_int_or_null(s, 5, final ? now : 0);
	db_bind_text_or_null(s, 6, decision);
	sqlite3_bind_int64(s, 7, now);
	if ((rc = db_step_dup(db, s, 0, &addr, "request")) == 0)
		rc = db_event_add(db, "request", id, addr, actor, state,
		    decision);
 out:
	free(addr);
	return db_tx_answer(db, own, rc);
}

int
db_events_addr(struct db *db, const char *addr,
    int (*cb)(const struct db_event *, void *), void *arg)
{
	sqlite3_stmt	*s;
	struct db_event	 e;
	int		 rc;

	if ((s = db_stmt(db, ST_EVENTS_ADDR)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(s, 0);
		e.ts = sqlite3_column_int64(s, 1);
		e.ref = sqlite3_column_int64(s, 2);
		e.kind = db_col_text(s, 3);
		e.addr = db_col_text(s, 4);
		e.actor = db_col_text(s, 5);
		e.what = db_col_text(s, 6);
		e.why = db_col_text(s, 7);
		if ((rc = cb(&e, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "events");
}

struct delist_ctx {
	int	 found, probe;
};

static int
delist_cb(const struct listing *l, void *arg)
{
	struct delist_ctx	*c = arg;

	c->found = 1;
	c->probe = !l->exclude && l->source && strcmp(l->source, "probe") == 0;
	return 0;
}

int
db_probe_delist(struct db *db, const char *addr, int port, const char *why,
    int *removed)
{
	struct delist_ctx	 c = { 0, 0 };
	struct addr		 a;
	sqlite3_stmt		*s;
	char			 err[128];
	int			 own, rc, had, left;

	*removed = 0;
	if (addr_parse(addr, &a, err, sizeof(err)) == -1) {
		db_seterr(db, "%s", err);
		return -1;
	}
	if (db_tx_enter(db, &own) == -1)
		return -1;
	/* Only the evidence of this port goes: a closed port says nothing
	 * about another one. */
	if ((s = db_stmt(db, ST_EVIDENCE_DEL)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, port);
	if ((rc = db_step_done(db, s, "evidence")) != 0)
		goto out;
	had = sqlite3_changes(db->h) > 0;
	if ((rc = db_evidence_ports(db, addr, NULL, 0, &left)) != 0)
		goto out;
	if (!had || left > 0) {
		rc = 0;
		goto out;
	}
	rc = db_listing_get(db, &a, delist_cb, &c);
	if (rc == DB_NOTFOUND || (rc == 0 && !c.probe)) {
		rc = 0;
		goto out;
	}
	if (rc == 0 && (rc = db_listing_remove(db, &a, "prober", why)) == 0)
		*removed = 1;
 out:
	return db_tx_leave(db, own, rc);
}

int
db_listing_retest_due(struct db *db, int64_t before, int max,
    int (*cb)(const char *addr, int port, void *), void *arg)
{
	sqlite3_stmt	*s;
	char		**addrs;
	int		*ports, n = 0, i, rc;

	if (max <= 0)
		return 0;
	if ((s = db_stmt(db, ST_RETEST_DUE)) == NULL)
		return -1;
	addrs = xcalloc((size_t)max, sizeof(*addrs));
	ports = xcalloc((size_t)max, sizeof(*ports));
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max) {
		addrs[n] = xstrdup_null(db_col_text(s, 0));
		ports[n++] = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(db, "retest");
	/* Called after the statement is reset: cb may write. */
	for (i = 0; i < n && rc == 0; i++)
		rc = cb(addrs[i], ports[i], arg);
	for (i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
	free(ports);
	return rc;
}

int
db_stats(struct db *db, int64_t now, int64_t since,
    int (*cb)(const char *, const char *, int64_t, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_STATS)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = cb(db_col_text(s, 0), db_col_text(s, 1),
		    sqlite3_column_int64(s, 2), arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "stats");
}

int
db_request_counts(struct db *db, int64_t counts[4])
{
	return db_step_counts(db, ST_REQ_COUNTS, counts, 4, "request counts");
}
