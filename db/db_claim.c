/*
 * db_claim.c -- claims (one run per address, leases that make every
 * kind of work recoverable by one rule), the evidence ports of probe
 * listings, and the bounded reads a waiting run and the sink need (part
 * of the db layer; see db.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

int
db_claim_insert(struct db *db, const char *addr, const char *kind,
    int64_t ref, const char *owner, int64_t now, int64_t lease_until)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_CLAIM_TAKE)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ref);
	sqlite3_bind_text(s, 4, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, lease_until);
	if (db_step_done(db, s, "claim") == -1)
		return -1;
	return sqlite3_changes(db->h) == 1 ? 0 : 1;
}

const struct claim_kind db_kind_submission = {
	"submission", "queued", "probing",
	ST_SUB_GET, ST_SUB_CLAIMABLE, ST_SUB_CLAIM, ST_SUB_UNCLAIM
};

const struct claim_kind db_kind_request = {
	"request", "pending", "retesting",
	ST_REQ_GET, ST_REQ_CLAIMABLE, ST_REQ_CLAIM, ST_REQ_UNCLAIM
};

/* The kind a claim row names; NULL for a manual claim (nothing queued). */
static const struct claim_kind *
claim_kind_of(const char *name)
{
	if (strcmp(name, db_kind_submission.name) == 0)
		return &db_kind_submission;
	if (strcmp(name, db_kind_request.name) == 0)
		return &db_kind_request;
	return NULL;
}

/* The claim on the address of unit id of kind k: 0 taken, 1 held by
 * another run (or the unit is gone), -1 error. */
static int
claim_unit(struct db *db, const struct claim_kind *k, int64_t id,
    const char *owner, int64_t now, int64_t lease_until)
{
	sqlite3_stmt	*s;
	char		*addr;
	int		 rc;

	if ((s = db_stmt(db, k->get)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = db_step_dup(db, s, 1, &addr, "claim")) != 0)
		return rc == DB_NOTFOUND ? 1 : -1;
	if (addr == NULL)
		return 1;
	rc = db_claim_insert(db, addr, k->name, id, owner, now, lease_until);
	free(addr);
	return rc;
}

int
db_claim_batch(struct db *db, const struct claim_kind *k, int64_t now,
    int64_t lease_until, const char *owner, int max,
    const char *(*take)(sqlite3_stmt *, void *), void *arg)
{
	sqlite3_stmt	*s;
	const char	*addr;
	int64_t		*ids;
	int		 nids = 0, i, rc;

	if (max <= 0)
		return 0;
	if (db_begin(db) == -1)
		return -1;
	ids = xcalloc((size_t)max, sizeof(*ids));
	if ((s = db_stmt(db, k->claimable)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && nids < max)
		ids[nids++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = db_fail(db, "claim");
		goto out;
	}
	rc = 0;
	for (i = 0; i < nids && rc == 0; i++) {
		/* Its address held already (by another run, or by an
		 * earlier unit of this batch at the same address), or the
		 * unit is gone: the next one. */
		if ((rc = claim_unit(db, k, ids[i], owner, now,
		    lease_until)) == 1) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		if ((s = db_stmt(db, k->claim)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, now);
		addr = NULL;
		if ((rc = sqlite3_step(s)) == SQLITE_ROW)
			addr = take(s, arg);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			rc = db_fail(db, "claim");
		else if (rc == SQLITE_ROW)
			rc = db_event_add(db, k->name, ids[i], addr, owner,
			    k->running, NULL);
		else
			rc = 0;
	}
 out:
	free(ids);
	return db_tx_leave(db, 1, rc);
}

int
db_claim_take(struct db *db, const char *addr, const char *owner,
    int64_t now, int64_t lease_until)
{
	int	 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	rc = db_claim_insert(db, addr, "manual", 0, owner, now, lease_until);
	return db_tx_answer(db, own, rc == 1 ? DB_CLAIMED : rc);
}

int
db_claim_release(struct db *db, const char *addr, const char *owner)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_CLAIM_RELEASE)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	db_bind_text_or_null(s, 2, owner);
	return db_step_done(db, s, "claim");
}

struct freed {
	char		*addr, *kind;
	int64_t		 ref;
};

int
db_claim_expire(struct db *db, int64_t now, const char *owner,
    const char *actor, int *n)
{
	sqlite3_stmt	*s;
	struct freed	*v = NULL;
	size_t		 cnt = 0, cap = 0, i;
	int		 own, rc;

	*n = 0;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_CLAIM_EXPIRED)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, now);
	db_bind_text_or_null(s, 2, owner);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[cnt].addr = xstrdup_null(db_col_text(s, 0));
		v[cnt].kind = xstrdup_null(db_col_text(s, 1));
		v[cnt++].ref = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, "claim");
	for (i = 0; i < cnt && rc == 0; i++) {
		const struct claim_kind	*k = claim_kind_of(v[i].kind);

		if (k == NULL)
			continue;	/* manual: nothing queued */
		if ((s = db_stmt(db, k->unclaim)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, v[i].ref);
		sqlite3_bind_int64(s, 2, now);
		if ((rc = db_step_done(db, s, "claim")) == 0 &&
		    sqlite3_changes(db->h) > 0) {
			rc = db_event_add(db, k->name, v[i].ref, v[i].addr,
			    actor, k->waiting, "claim released: the run that "
			    "held it did not finish (its process stopped or "
			    "died)");
			(*n)++;
		}
	}
 out:
	for (i = 0; i < cnt; i++) {
		free(v[i].addr);
		free(v[i].kind);
	}
	free(v);
	return db_tx_leave(db, own, rc);
}

int
db_claim_get(struct db *db, const char *addr, char *owner, size_t ownerlen,
    int64_t *lease_until)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_CLAIM_GET)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (owner)
			snprintf(owner, ownerlen, "%s", db_col_text(s, 2));
		if (lease_until)
			*lease_until = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return DB_NOTFOUND;
	return rc == SQLITE_ROW ? 0 : db_fail(db, "claim");
}

int
db_evidence_ports(struct db *db, const char *addr, int *ports, int max,
    int *n)
{
	sqlite3_stmt	*s;
	int		 rc;

	*n = 0;
	if ((s = db_stmt(db, ST_EVIDENCE_PORTS)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (ports != NULL && *n < max)
			ports[*n] = sqlite3_column_int(s, 0);
		(*n)++;
	}
	sqlite3_reset(s);
	if (ports != NULL && *n > max)
		*n = max;
	return rc == SQLITE_DONE ? 0 : db_fail(db, "evidence");
}

int
db_evidence_put(struct db *db, const char *addr, int port, int64_t probe_id)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_EVIDENCE_PUT)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, port);
	sqlite3_bind_int64(s, 3, probe_id);
	return db_step_done(db, s, "evidence");
}

int
db_evidence_put_probe(struct db *db, int64_t probe_id)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_EVIDENCE_PUT_PROBE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, probe_id);
	return db_step_done(db, s, "evidence");
}

int
db_probe_count_net_since(struct db *db, const struct addr *net,
    int64_t since, int64_t *n)
{
	sqlite3_stmt	*s;
	uint8_t		 lo[17], hi[17];
	int		 i, bits = net->prefix;

	/* The family byte, then the address: the range never leaves the
	 * family.  IPv4 addresses fill the first 4 bytes; the rest stay
	 * zero. */
	lo[0] = hi[0] = net->family;
	memcpy(lo + 1, net->a, 16);
	memcpy(hi + 1, net->a, 16);
	for (i = 0; i < (net->family == 4 ? 32 : 128); i++) {
		if (i < bits)
			continue;
		lo[1 + i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		hi[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
	if ((s = db_stmt(db, ST_PROBE_COUNT_NET)) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, lo, 17, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, hi, 17, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, since);
	return db_step_int(db, s, n, "count");
}

int
db_arrivals_since(struct db *db, int64_t probe_id, int64_t after_id,
    int (*cb)(const struct arrival *, void *), void *arg)
{
	sqlite3_stmt	*s;
	struct arrival	 a;
	int		 rc;

	if ((s = db_stmt(db, ST_ARRIVALS_SINCE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, probe_id);
	sqlite3_bind_int64(s, 2, after_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		a.ts = sqlite3_column_int64(s, 1);
		a.probe_id = sqlite3_column_int64(s, 2);
		a.test_id = sqlite3_column_int(s, 3);
		a.peer = db_col_text(s, 4);
		a.mail_from = db_col_text(s, 5);
		a.rcpt = db_col_text(s, 6);
		a.bounce = sqlite3_column_int(s, 7);
		a.bounce_why = db_col_text(s, 8);
		a.received = db_col_text(s, 9);
		a.cookie = db_col_text(s, 10);
		a.confirmed = sqlite3_column_int(s, 11);
		if ((rc = cb(&a, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "arrivals");
}

int
db_arrival_count(struct db *db, int64_t probe_id, int test_id, int64_t *n)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_ARRIVAL_COUNT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, probe_id);
	sqlite3_bind_int(s, 2, test_id);
	return db_step_int(db, s, n, "arrivals");
}

int
db_probe_test_accepted(struct db *db, int64_t probe_id, int test_id,
    int *accepted)
{
	sqlite3_stmt	*s;
	const char	*r;
	int		 rc;

	*accepted = 0;
	if ((s = db_stmt(db, ST_PROBE_TEST_ACCEPTED)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, probe_id);
	sqlite3_bind_int(s, 2, test_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (r = db_col_text(s, 0)) != NULL)
		*accepted = r[0] == '2';
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    db_fail(db, "probe test");
}
