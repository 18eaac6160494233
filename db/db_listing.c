/*
 * db_listing.c -- the listings (what orbl-dnsd serves) and their journal
 * (every change, the source of the zone serial and of IXFR-style
 * history): part of the db layer, see db.h.  The statements are in db.c's
 * table.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

int
db_serial(struct db *db, uint32_t *serial)
{
	sqlite3_stmt	*s;
	int64_t		 v;
	int		 rc;

	if ((s = db_stmt(db, ST_SERIAL)) == NULL)
		return -1;
	rc = db_step_int(db, s, &v, "serial");
	*serial = (uint32_t)v;
	return rc;
}

static void
col_addr(sqlite3_stmt *s, int fcol, struct addr *a)
{
	const void	*blob = sqlite3_column_blob(s, fcol + 1);
	int		 n = sqlite3_column_bytes(s, fcol + 1);

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)sqlite3_column_int(s, fcol);
	a->prefix = (uint8_t)sqlite3_column_int(s, fcol + 2);
	if (blob && n == 16)
		memcpy(a->a, blob, 16);
}

/* Read a row of LISTING_COLS. */
static void
row_listing(sqlite3_stmt *s, struct listing *l)
{
	l->id = sqlite3_column_int64(s, 0);
	col_addr(s, 1, &l->net);
	l->exclude = sqlite3_column_int(s, 4);
	l->code = (uint32_t)sqlite3_column_int64(s, 5);
	l->reason = db_col_text(s, 6);
	l->source = db_col_text(s, 7);
	l->probe_id = sqlite3_column_int64(s, 8);
	l->actor = db_col_text(s, 9);
	l->created = sqlite3_column_int64(s, 10);
	l->updated = sqlite3_column_int64(s, 11);
	l->expires = sqlite3_column_int64(s, 12);
}

static void
row_journal(sqlite3_stmt *s, struct journal_entry *j)
{
	j->serial = (uint32_t)sqlite3_column_int64(s, 0);
	j->ts = sqlite3_column_int64(s, 1);
	j->op = db_col_text(s, 2);
	col_addr(s, 3, &j->net);
	j->exclude = sqlite3_column_int(s, 6);
	j->code = (uint32_t)sqlite3_column_int64(s, 7);
	j->reason = db_col_text(s, 8);
	j->source = db_col_text(s, 9);
	j->actor = db_col_text(s, 10);
	j->why = db_col_text(s, 11);
	j->expires = sqlite3_column_int64(s, 12);
}

static void
bind_net(sqlite3_stmt *s, int first, const struct addr *a)
{
	sqlite3_bind_int(s, first, a->family);
	sqlite3_bind_blob(s, first + 1, a->a, 16, SQLITE_STATIC);
	sqlite3_bind_int(s, first + 2, a->prefix);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
journal_add(struct db *db, const char *op, const struct listing *l,
    const char *actor, const char *why, int64_t now)
{
	sqlite3_stmt	*s;
	char		 cidr[ADDR_STRLEN];

	if ((s = db_stmt(db, ST_JOURNAL_ADD)) == NULL)
		return -1;
	addr_format(&l->net, cidr, sizeof(cidr));
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, op, -1, SQLITE_STATIC);
	bind_net(s, 3, &l->net);
	sqlite3_bind_text(s, 6, cidr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 7, l->exclude ? 1 : 0);
	sqlite3_bind_int64(s, 8, l->code);
	db_bind_text_or_null(s, 9, l->reason);
	db_bind_text_or_null(s, 10, l->source);
	db_bind_int_or_null(s, 11, l->expires);
	sqlite3_bind_text(s, 12, actor ? actor : "unknown", -1, SQLITE_STATIC);
	db_bind_text_or_null(s, 13, why);
	return db_step_done(db, s, "journal");
}

static int
listing_check(struct db *db, const struct listing *l)
{
	struct addr	 m = l->net;

	addr_mask(&m);
	if ((l->net.family != 4 && l->net.family != 6) ||
	    l->net.prefix > addr_maxprefix(&l->net) ||
	    memcmp(m.a, l->net.a, 16) != 0) {
		db_seterr(db, "malformed address");
		return -1;
	}
	if (l->source == NULL || (strcmp(l->source, "probe") &&
	    strcmp(l->source, "manual") && strcmp(l->source, "import"))) {
		db_seterr(db, "listing source must be probe, manual or import");
		return -1;
	}
	return 0;
}

int
db_listing_put(struct db *db, const struct listing *l, const char *why,
    int *changed)
{
	sqlite3_stmt	*s;
	char		 cidr[ADDR_STRLEN];
	int64_t		 now = time(NULL);
	int		 own, rc, same = 0, existed = 0;

	if (changed)
		*changed = 0;
	if (listing_check(db, l) == -1)
		return -1;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_LISTING_GET)) == NULL) {
		rc = -1;
		goto out;
	}
	bind_net(s, 1, &l->net);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct listing	 old;

		existed = 1;
		row_listing(s, &old);
		same = old.exclude == (l->exclude != 0) &&
		    old.code == l->code && str_eq(old.reason, l->reason) &&
		    old.expires == l->expires &&
		    str_eq(old.source, l->source) &&
		    old.probe_id == l->probe_id;
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(s);
		rc = db_fail(db, "listing");
		goto out;
	}
	sqlite3_reset(s);
	rc = 0;
	if (same)
		goto out;
	if ((s = db_stmt(db, ST_LISTING_UPSERT)) == NULL) {
		rc = -1;
		goto out;
	}
	addr_format(&l->net, cidr, sizeof(cidr));
	bind_net(s, 1, &l->net);
	sqlite3_bind_text(s, 4, cidr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 5, l->exclude ? 1 : 0);
	sqlite3_bind_int64(s, 6, l->code);
	db_bind_text_or_null(s, 7, l->reason);
	sqlite3_bind_text(s, 8, l->source, -1, SQLITE_STATIC);
	db_bind_int_or_null(s, 9, l->probe_id);
	sqlite3_bind_text(s, 10, l->actor ? l->actor : "unknown", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, now);
	db_bind_int_or_null(s, 12, l->expires);
	if ((rc = db_step_done(db, s, "listing")) == 0 &&
	    (rc = journal_add(db, "add", l, l->actor, why, now)) == 0 &&
	    changed)
		*changed = existed ? 2 : 1;
 out:
	return db_tx_leave(db, own, rc);
}

int
db_listing_remove(struct db *db, const struct addr *net, const char *actor,
    const char *why)
{
	sqlite3_stmt	*s;
	struct listing	 old;
	int		 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_LISTING_GET)) == NULL) {
		rc = -1;
		goto out;
	}
	bind_net(s, 1, net);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = DB_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		rc = db_fail(db, "listing");
		goto out;
	}
	row_listing(s, &old);
	/* The journal copies old's text now, before the row goes. */
	rc = journal_add(db, "remove", &old, actor, why, time(NULL));
	sqlite3_reset(s);
	if (rc == 0 && (s = db_stmt(db, ST_LISTING_DELETE)) != NULL) {
		sqlite3_bind_int64(s, 1, old.id);
		rc = db_step_done(db, s, "remove");
	} else
		rc = -1;
	/* The evidence of a removed listing goes with it. */
	if (rc == 0 && (s = db_stmt(db, ST_EVIDENCE_DEL)) != NULL) {
		char	 cidr[ADDR_STRLEN];

		addr_format(net, cidr, sizeof(cidr));
		sqlite3_bind_text(s, 1, cidr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_null(s, 2);
		rc = db_step_done(db, s, "evidence");
	} else if (rc == 0)
		rc = -1;
 out:
	return db_tx_answer(db, own, rc);
}

/* Step s, calling cb per row; returns 0, cb's non-zero, or -1. */
static int
listing_rows(struct db *db, sqlite3_stmt *s,
    int (*cb)(const struct listing *, void *), void *arg, int *nrows)
{
	struct listing	 l;
	int		 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_listing(s, &l);
		if (nrows)
			(*nrows)++;
		if ((rc = cb(&l, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, "listing");
	return 0;
}

int
db_listing_get(struct db *db, const struct addr *net,
    int (*cb)(const struct listing *, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 n = 0, rc;

	if ((s = db_stmt(db, ST_LISTING_GET)) == NULL)
		return -1;
	bind_net(s, 1, net);
	rc = listing_rows(db, s, cb, arg, &n);
	if (rc == 0 && n == 0)
		return DB_NOTFOUND;
	return rc;
}

/* The DNS loader's scan: seven columns, the rest of l zero. */
static int
listing_lean(struct db *db, int64_t now,
    int (*cb)(const struct listing *, void *), void *arg)
{
	sqlite3_stmt	*s;
	struct listing	 l;
	int		 rc;

	if ((s = db_stmt(db, ST_LISTING_LEAN)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	memset(&l, 0, sizeof(l));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		col_addr(s, 0, &l.net);
		l.exclude = sqlite3_column_int(s, 3);
		l.code = (uint32_t)sqlite3_column_int64(s, 4);
		l.reason = db_col_text(s, 5);
		l.expires = sqlite3_column_int64(s, 6);
		if ((rc = cb(&l, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "listing");
}

int
db_listing_foreach(struct db *db, int flags, int64_t now,
    int (*cb)(const struct listing *, void *), void *arg)
{
	sqlite3_stmt	*s;
	enum stmt	 which;

	if ((flags & (DB_ACTIVE | DB_LEAN | DB_ORDERED)) ==
	    (DB_ACTIVE | DB_LEAN))
		return listing_lean(db, now, cb, arg);
	if (flags & DB_ACTIVE)
		which = (flags & DB_ORDERED) ? ST_LISTING_ACTIVE_ORDERED :
		    ST_LISTING_ACTIVE;
	else
		which = (flags & DB_ORDERED) ? ST_LISTING_ALL_ORDERED :
		    ST_LISTING_ALL;
	if ((s = db_stmt(db, which)) == NULL)
		return -1;
	if (flags & DB_ACTIVE)
		sqlite3_bind_int64(s, 1, now);
	return listing_rows(db, s, cb, arg, NULL);
}

int
db_listing_covering(struct db *db, const struct addr *ip,
    int (*cb)(const struct listing *, void *), void *arg)
{
	struct addr	 net;
	int		 p, rc;

	for (p = 0; p <= ip->prefix; p++) {
		net = *ip;
		net.prefix = (uint8_t)p;
		addr_mask(&net);
		rc = db_listing_get(db, &net, cb, arg);
		if (rc != 0 && rc != DB_NOTFOUND)
			return rc;
	}
	return 0;
}

int
db_listing_next_expiry(struct db *db, int64_t now, int64_t *when)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_LISTING_NEXT_EXPIRY)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	return db_step_int(db, s, when, "expiry");
}

int
db_listing_count(struct db *db, int64_t *listed, int64_t *excluded)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_LISTING_COUNT)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*listed = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	*excluded = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return db_fail(db, "count");
	return 0;
}

/* Journal rows copied out of SQLite, to be sorted across prefixes. */
struct jcopy {
	struct journal_entry	 j;
	char			*strs[5];
};

static int
jcopy_cmp(const void *x, const void *y)
{
	const struct jcopy	*a = x, *b = y;

	return a->j.serial < b->j.serial ? -1 : a->j.serial > b->j.serial;
}

int
db_journal_covering(struct db *db, const struct addr *ip,
    int (*cb)(const struct journal_entry *, void *), void *arg)
{
	struct jcopy	*v = NULL;
	size_t		 n = 0, cap = 0, i;
	struct addr	 net;
	sqlite3_stmt	*s;
	int		 p, rc = 0, k;

	for (p = 0; p <= ip->prefix && rc == 0; p++) {
		net = *ip;
		net.prefix = (uint8_t)p;
		addr_mask(&net);
		if ((s = db_stmt(db, ST_JOURNAL_AT)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_blob(s, 1, net.a, 16, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, p);
		sqlite3_bind_int(s, 3, net.family);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			row_journal(s, &v[n].j);
			v[n].strs[0] = xstrdup_null(v[n].j.op);
			v[n].strs[1] = xstrdup_null(v[n].j.reason);
			v[n].strs[2] = xstrdup_null(v[n].j.source);
			v[n].strs[3] = xstrdup_null(v[n].j.actor);
			v[n].strs[4] = xstrdup_null(v[n].j.why);
			v[n].j.op = v[n].strs[0];
			v[n].j.reason = v[n].strs[1];
			v[n].j.source = v[n].strs[2];
			v[n].j.actor = v[n].strs[3];
			v[n].j.why = v[n].strs[4];
			n++;
		}
		sqlite3_reset(s);
		rc = rc == SQLITE_DONE ? 0 : db_fail(db, "journal");
	}
	if (rc == 0 && n > 0) {		/* qsort(NULL, 0) is UB */
		qsort(v, n, sizeof(*v), jcopy_cmp);
		for (i = 0; i < n && rc == 0; i++)
			rc = cb(&v[i].j, arg);
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < 5; k++)
			free(v[i].strs[k]);
	free(v);
	return rc;
}

int
db_journal_since(struct db *db, uint32_t since,
    int (*cb)(const struct journal_entry *, void *), void *arg)
{
	sqlite3_stmt		*s;
	struct journal_entry	 j;
	int			 rc;

	if ((s = db_stmt(db, ST_JOURNAL_SINCE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_journal(s, &j);
		if ((rc = cb(&j, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, "journal");
	return 0;
}
