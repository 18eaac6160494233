/*
 * db_probe.c -- the prober's part of the db layer: submissions, probe
 * runs and their tests, arrivals at the sink, and the event trail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

int
db_event_add(struct db *db, const char *kind, int64_t ref, const char *addr,
    const char *actor, const char *what, const char *why)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_EVENT_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, time(NULL));
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ref);
	db_bind_text_or_null(s, 4, addr);
	sqlite3_bind_text(s, 5, actor ? actor : "unknown", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, what, -1, SQLITE_STATIC);
	db_bind_text_or_null(s, 7, why);
	return db_step_done(db, s, "event");
}

static void
row_submission(sqlite3_stmt *s, struct submission *x)
{
	x->id = sqlite3_column_int64(s, 0);
	x->addr = db_col_text(s, 1);
	x->port = sqlite3_column_int(s, 2);
	x->submitter = db_col_text(s, 3);
	x->client = db_col_text(s, 4);
	x->state = db_col_text(s, 5);
	x->created = sqlite3_column_int64(s, 6);
	x->updated = sqlite3_column_int64(s, 7);
	x->not_before = sqlite3_column_int64(s, 8);
	x->tries = sqlite3_column_int(s, 9);
	x->probe_id = sqlite3_column_int64(s, 10);
	x->result = db_col_text(s, 11);
}

int
db_submission_add(struct db *db, const char *addr, int port,
    const char *submitter, const char *client, const char *actor,
    int64_t *id)
{
	sqlite3_stmt	*s;
	int		 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_SUB_ADD)) == NULL)
		rc = -1;
	else {
		sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, port);
		db_bind_text_or_null(s, 3, submitter);
		db_bind_text_or_null(s, 4, client);
		sqlite3_bind_int64(s, 5, time(NULL));
		rc = db_step_done(db, s, "submission");
	}
	if (rc == 0) {
		*id = sqlite3_last_insert_rowid(db->h);
		rc = db_event_add(db, "submission", *id, addr, actor, "queued",
		    submitter);
	}
	return db_tx_leave(db, own, rc);
}

static int
submission_rows(struct db *db, sqlite3_stmt *s,
    int (*cb)(const struct submission *, void *), void *arg, int *n)
{
	struct submission	 x;
	int			 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_submission(s, &x);
		if (n)
			(*n)++;
		if ((rc = cb(&x, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "submission");
}

int
db_submission_get(struct db *db, int64_t id,
    int (*cb)(const struct submission *, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 n = 0, rc;

	if ((s = db_stmt(db, ST_SUB_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = submission_rows(db, s, cb, arg, &n);
	return rc == 0 && n == 0 ? DB_NOTFOUND : rc;
}

int
db_submission_foreach(struct db *db, const char *state, int limit,
    int (*cb)(const struct submission *, void *), void *arg)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, state ? ST_SUB_STATE : ST_SUB_ALL)) == NULL)
		return -1;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	if (state)
		sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	return submission_rows(db, s, cb, arg, NULL);
}

/* A submission copied out of SQLite (claim calls back after commit). */
struct subcopy {
	struct submission	 x;
	char			*addr, *submitter, *client, *result;
};

struct subclaim {
	struct subcopy		*v;
	int			 n;
};

/* db_claim_batch()'s take: the claimed row into the next copy. */
static const char *
submission_take(sqlite3_stmt *s, void *arg)
{
	struct subclaim	*c = arg;
	struct subcopy	*p = &c->v[c->n++];

	row_submission(s, &p->x);
	p->x.addr = p->addr = xstrdup_null(p->x.addr);
	p->x.submitter = p->submitter = xstrdup_null(p->x.submitter);
	p->x.client = p->client = xstrdup_null(p->x.client);
	p->x.result = p->result = xstrdup_null(p->x.result);
	p->x.state = db_kind_submission.running;
	return p->addr;
}

int
db_submission_claim(struct db *db, int64_t now, int64_t lease_until,
    const char *owner, int max, int (*cb)(const struct submission *, void *),
    void *arg)
{
	struct subclaim	 c;
	int		 i, rc;

	if (max <= 0)
		return 0;
	c.v = xcalloc((size_t)max, sizeof(*c.v));
	c.n = 0;
	rc = db_claim_batch(db, &db_kind_submission, now, lease_until, owner,
	    max, submission_take, &c);
	for (i = 0; i < c.n && rc == 0; i++)
		rc = cb(&c.v[i].x, arg);
	for (i = 0; i < c.n; i++) {
		free(c.v[i].addr);
		free(c.v[i].submitter);
		free(c.v[i].client);
		free(c.v[i].result);
	}
	free(c.v);
	return rc;
}

int
db_submission_set(struct db *db, int64_t id, const char *state,
    const char *result, int64_t probe_id, int64_t not_before,
    const char *actor, const char *why)
{
	sqlite3_stmt	*s;
	char		*addr = NULL;
	int		 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_SUB_SET)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	db_bind_text_or_null(s, 3, result);
	db_bind_int_or_null(s, 4, probe_id);
	db_bind_int_or_null(s, 5, not_before);
	sqlite3_bind_int64(s, 6, time(NULL));
	if ((rc = db_step_dup(db, s, 0, &addr, "submission")) == 0)
		rc = db_event_add(db, "submission", id, addr, actor, state,
		    why ? why : result);
 out:
	free(addr);
	return db_tx_answer(db, own, rc);
}

int
db_submission_counts(struct db *db, int64_t counts[4])
{
	return db_step_counts(db, ST_SUB_COUNTS, counts, 4, "counts");
}

int
db_submission_count_since(struct db *db, const char *submitter,
    int64_t since, int64_t *n)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_SUB_COUNT_SINCE)) == NULL)
		return -1;
	db_bind_text_or_null(s, 1, submitter);
	sqlite3_bind_int64(s, 2, since);
	return db_step_int(db, s, n, "count");
}

int
db_probe_begin(struct db *db, const char *addr, int port,
    int64_t submission_id, int64_t request_id, int64_t *id)
{
	sqlite3_stmt	*s;
	struct addr	 ip;
	uint8_t		 key[17];
	char		 err[128];
	int		 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_PROBE_BEGIN)) == NULL)
		rc = -1;
	else {
		sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, port);
		db_bind_int_or_null(s, 3, submission_id);
		db_bind_int_or_null(s, 4, request_id);
		sqlite3_bind_int64(s, 5, time(NULL));
		/* The family first: an IPv4 address must not sort inside an
		 * IPv6 network that starts with the same bits. */
		if (addr_parse(addr, &ip, err, sizeof(err)) == 0) {
			key[0] = ip.family;
			memcpy(key + 1, ip.a, 16);
			sqlite3_bind_blob(s, 6, key, 17, SQLITE_TRANSIENT);
		}
		rc = db_step_done(db, s, "probe");
	}
	if (rc == 0) {
		*id = sqlite3_last_insert_rowid(db->h);
		rc = db_event_add(db, "probe", *id, addr, "prober", "started",
		    NULL);
		if (rc == 0 && submission_id > 0) {
			if ((s = db_stmt(db, ST_SUB_SET)) == NULL)
				rc = -1;
			else {
				sqlite3_bind_int64(s, 1, submission_id);
				sqlite3_bind_text(s, 2, "probing", -1,
				    SQLITE_STATIC);
				sqlite3_bind_null(s, 3);
				sqlite3_bind_int64(s, 4, *id);
				sqlite3_bind_null(s, 5);
				sqlite3_bind_int64(s, 6, time(NULL));
				rc = db_step_done(db, s, "submission");
			}
		}
	}
	return db_tx_leave(db, own, rc);
}

static int
probe_tests_write(struct db *db, int64_t probe_id,
    const struct probe_test_row *t, size_t n)
{
	sqlite3_stmt	*s;
	size_t		 i;
	int		 rc;

	if ((s = db_stmt(db, ST_PROBE_TESTS_DEL)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, probe_id);
	if ((rc = db_step_done(db, s, "probe tests")) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((s = db_stmt(db, ST_PROBE_TEST_ADD)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, probe_id);
		sqlite3_bind_int(s, 2, t[i].test_id);
		sqlite3_bind_text(s, 3, t[i].name ? t[i].name : "", -1,
		    SQLITE_STATIC);
		db_bind_text_or_null(s, 4, t[i].mail_from);
		db_bind_text_or_null(s, 5, t[i].rcpt_to);
		db_bind_text_or_null(s, 6, t[i].mail_reply);
		db_bind_text_or_null(s, 7, t[i].rcpt_reply);
		db_bind_text_or_null(s, 8, t[i].data_reply);
		db_bind_text_or_null(s, 9, t[i].cookie);
		db_bind_text_or_null(s, 10, t[i].verdict);
		db_bind_int_or_null(s, 11, t[i].arrived);
		db_bind_text_or_null(s, 12, t[i].arrived_from);
		db_bind_text_or_null(s, 13, t[i].received);
		if ((rc = db_step_done(db, s, "probe test")) != 0)
			return rc;
	}
	return 0;
}

/* Run an UPDATE ... RETURNING submission_id; *sub = 0 if none. */
static int
step_returning_id(struct db *db, sqlite3_stmt *s, int64_t *sub, int *found)
{
	int	 rc = sqlite3_step(s);

	*found = rc == SQLITE_ROW;
	*sub = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    db_fail(db, "probe");
}

int
db_probe_finish(struct db *db, const struct probe *p,
    const struct probe_test_row *tests, size_t ntests,
    const struct listing *l, const char *why)
{
	sqlite3_stmt	*s;
	int64_t		 sub;
	int		 own, rc, found;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_PROBE_FINISH)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, p->id);
	sqlite3_bind_int64(s, 2, p->finished ? p->finished : time(NULL));
	db_bind_text_or_null(s, 3, p->verdict);
	db_bind_text_or_null(s, 4, p->hops);
	db_bind_int_or_null(s, 5, p->relayed_test);
	db_bind_text_or_null(s, 6, p->output_addr);
	db_bind_text_or_null(s, 7, p->transcript);
	if ((rc = step_returning_id(db, s, &sub, &found)) != 0)
		goto out;
	if (!found) {
		db_seterr(db, "probe %lld: no such probe", (long long)p->id);
		rc = -1;
		goto out;
	}
	if ((rc = probe_tests_write(db, p->id, tests, ntests)) != 0)
		goto out;
	if ((rc = db_event_add(db, "probe", p->id, p->addr, "prober",
	    p->verdict ? p->verdict : "finished", why)) != 0)
		goto out;
	if (l != NULL && ((rc = db_listing_put(db, l, why, NULL)) != 0 ||
	    (rc = db_evidence_put(db, p->addr, p->port, p->id)) != 0))
		goto out;
	if (sub > 0)
		rc = db_submission_set(db, sub, "done", p->verdict, p->id, 0,
		    "prober", why);
 out:
	return db_tx_leave(db, own, rc);
}

int
db_probe_confirm(struct db *db, int64_t probe_id, const char *hops,
    int relayed_test, const char *output_addr, const struct listing *l,
    const char *why)
{
	sqlite3_stmt	*s;
	int64_t		 sub;
	char		*addr = NULL;
	int		 own, rc, found;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_PROBE_CONFIRM)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, probe_id);
	sqlite3_bind_int64(s, 2, time(NULL));
	db_bind_text_or_null(s, 3, hops);
	db_bind_int_or_null(s, 4, relayed_test);
	db_bind_text_or_null(s, 5, output_addr);
	if ((rc = step_returning_id(db, s, &sub, &found)) != 0)
		goto out;
	if (!found) {
		db_seterr(db, "probe %lld: no such probe", (long long)probe_id);
		rc = -1;
		goto out;
	}
	/* The event goes under the probed address, not output_addr. */
	if ((s = db_stmt(db, ST_PROBE_GET)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, probe_id);
	if ((rc = db_step_dup(db, s, 1, &addr, "probe")) != 0) {
		if (rc == DB_NOTFOUND)
			db_seterr(db, "probe %lld: no such probe",
			    (long long)probe_id);
		rc = -1;
		goto out;
	}
	if ((rc = db_event_add(db, "probe", probe_id, addr, "prober",
	    "confirmed", why)) != 0)
		goto out;
	if (l != NULL && ((rc = db_listing_put(db, l, why, NULL)) != 0 ||
	    (rc = db_evidence_put_probe(db, probe_id)) != 0))
		goto out;
	if (sub > 0)
		rc = db_submission_set(db, sub, "done", "confirmed", probe_id,
		    0, "prober", why);
 out:
	free(addr);
	return db_tx_leave(db, own, rc);
}

static void
row_probe(sqlite3_stmt *s, struct probe *p)
{
	p->id = sqlite3_column_int64(s, 0);
	p->addr = db_col_text(s, 1);
	p->port = sqlite3_column_int(s, 2);
	p->submission_id = sqlite3_column_int64(s, 3);
	p->request_id = sqlite3_column_int64(s, 4);
	p->started = sqlite3_column_int64(s, 5);
	p->finished = sqlite3_column_int64(s, 6);
	p->verdict = db_col_text(s, 7);
	p->hops = db_col_text(s, 8);
	p->relayed_test = sqlite3_column_int(s, 9);
	p->output_addr = db_col_text(s, 10);
	p->transcript = db_col_text(s, 11);
}

static int
probe_rows(struct db *db, sqlite3_stmt *s,
    int (*cb)(const struct probe *, void *), void *arg, int *n)
{
	struct probe	 p;
	int		 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_probe(s, &p);
		if (n)
			(*n)++;
		if ((rc = cb(&p, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "probe");
}

int
db_probe_get(struct db *db, int64_t id,
    int (*cb)(const struct probe *, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 n = 0, rc;

	if ((s = db_stmt(db, ST_PROBE_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = probe_rows(db, s, cb, arg, &n);
	return rc == 0 && n == 0 ? DB_NOTFOUND : rc;
}

int
db_probe_foreach_addr(struct db *db, const char *addr, int limit,
    int (*cb)(const struct probe *, void *), void *arg)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_PROBE_ADDR)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	return probe_rows(db, s, cb, arg, NULL);
}

int
db_probe_tests(struct db *db, int64_t probe_id,
    int (*cb)(const struct probe_test_row *, void *), void *arg)
{
	sqlite3_stmt		*s;
	struct probe_test_row	 t;
	int			 rc;

	if ((s = db_stmt(db, ST_PROBE_TESTS)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, probe_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		t.probe_id = sqlite3_column_int64(s, 0);
		t.test_id = sqlite3_column_int(s, 1);
		t.name = db_col_text(s, 2);
		t.mail_from = db_col_text(s, 3);
		t.rcpt_to = db_col_text(s, 4);
		t.mail_reply = db_col_text(s, 5);
		t.rcpt_reply = db_col_text(s, 6);
		t.data_reply = db_col_text(s, 7);
		t.cookie = db_col_text(s, 8);
		t.verdict = db_col_text(s, 9);
		t.arrived = sqlite3_column_int64(s, 10);
		t.arrived_from = db_col_text(s, 11);
		t.received = db_col_text(s, 12);
		if ((rc = cb(&t, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "probe tests");
}


int
db_arrival_add(struct db *db, const struct arrival *a, int *confirmed)
{
	sqlite3_stmt	*s;
	int64_t		 used = 0;
	int		 own, rc;

	*confirmed = 0;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if (a->confirmed) {
		if ((s = db_stmt(db, ST_ARRIVAL_USED)) == NULL) {
			rc = -1;
			goto out;
		}
		sqlite3_bind_int64(s, 1, a->probe_id);
		sqlite3_bind_int(s, 2, a->test_id);
		if ((rc = db_step_int(db, s, &used, "count")) != 0)
			goto out;
	}
	if ((s = db_stmt(db, ST_ARRIVAL_ADD)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, a->ts ? a->ts : time(NULL));
	sqlite3_bind_int64(s, 2, a->probe_id);
	sqlite3_bind_int(s, 3, a->test_id);
	sqlite3_bind_text(s, 4, a->peer ? a->peer : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->mail_from ? a->mail_from : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 6, a->rcpt ? a->rcpt : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, a->bounce ? 1 : 0);
	db_bind_text_or_null(s, 8, a->bounce_why);
	db_bind_text_or_null(s, 9, a->received);
	sqlite3_bind_text(s, 10, a->cookie ? a->cookie : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(s, 11, a->confirmed && used == 0);
	if ((rc = db_step_done(db, s, "arrival")) == 0)
		*confirmed = a->confirmed && used == 0;
 out:
	return db_tx_leave(db, own, rc);
}

int
db_arrivals(struct db *db, int64_t probe_id,
    int (*cb)(const struct arrival *, void *), void *arg)
{
	return db_arrivals_since(db, probe_id, 0, cb, arg);
}

