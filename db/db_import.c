/*
 * db_import.c -- the bulk import of orblctl import (db.h): part of the db
 * layer.  The statements are in db.c's table.
 *
 * Why a staging table: a list's file is in no useful order, and writing
 * ten million entries into the listing B-tree in file order touches a
 * random page per entry; once the tree outgrows the page cache every
 * entry costs a read and, in one transaction, a spilled page again and
 * again.  Staged first (appended: a cheap, sequential write) and sorted
 * once (SQLite's sorter merges on disk past its memory), the entries go
 * into listing, and their journal rows' index, page after page.  The
 * parsed file is never held in memory.
 *
 * Why whole statements (INSERT ... SELECT) and not a statement per
 * entry: a statement run once per row pays for its start, its cursors'
 * descent from the root and its reset every time, several times the cost
 * of the row itself (measured: 8.7 us an entry row by row, the same work
 * in five statements a fraction of it); one statement keeps its cursor
 * on the page it appends to.  The staging too goes DB_IMP_BATCH entries
 * to a statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"

/* The import's page cache, and with it the sorter's run size
 * (KiB: SQLite's negative cache_size). */
#define IMP_CACHE_KIB	32768

static int
imp_exec(struct db *db, const char *sql)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "import");
	return 0;
}

int
db_import_begin(struct db *db)
{
	char	 sql[64];

	if (!db->in_tx) {
		db_seterr(db, "import: no transaction open");
		return -1;
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", IMP_CACHE_KIB);
	db->imp_staged = 0;
	db->imp_nbuf = 0;
	return imp_exec(db, sql) == -1 ||
	    imp_exec(db, "DROP TABLE IF EXISTS temp.imp") == -1 ||
	    imp_exec(db, "DROP TABLE IF EXISTS temp.imp_stale") == -1 ||
	    imp_exec(db, "DROP TABLE IF EXISTS temp.impw") == -1 ||
	    imp_exec(db, "CREATE TEMP TABLE imp (net BLOB NOT NULL, "
	    "exclude INTEGER NOT NULL, code INTEGER, reason INTEGER)") == -1 ||
	    imp_exec(db, "CREATE TEMP TABLE impw (net BLOB PRIMARY KEY, "
	    "seq INTEGER NOT NULL, exclude INTEGER NOT NULL, code INTEGER, "
	    "reason INTEGER, st INTEGER NOT NULL) WITHOUT ROWID") == -1 ||
	    imp_exec(db, "CREATE TEMP TABLE imp_stale (net BLOB NOT NULL)") ==
	    -1 ? -1 : 0;
}

/* Bind staged entry e at parameters first..first+3. */
static void
imp_bind(sqlite3_stmt *s, int first, const struct imp_row *e)
{
	sqlite3_bind_blob(s, first, e->k, e->klen, SQLITE_STATIC);
	sqlite3_bind_int(s, first + 1, e->exclude);
	db_bind_code(s, first + 2, e->code);
	db_bind_int_or_null(s, first + 3, e->reason);
}

/* Write the entries buffered by db_import_stage: a full buffer in one
 * statement, a partial one (the end of the file) row by row. */
static int
imp_flush(struct db *db)
{
	sqlite3_stmt	*s;
	int		 i;

	if (db->imp_nbuf == DB_IMP_BATCH) {
		if ((s = db_stmt(db, ST_IMP_STAGE_BATCH)) == NULL)
			return -1;
		for (i = 0; i < DB_IMP_BATCH; i++)
			imp_bind(s, 1 + 4 * i, &db->imp_buf[i]);
		if (db_step_done(db, s, "import") == -1)
			return -1;
	} else
		for (i = 0; i < db->imp_nbuf; i++) {
			if ((s = db_stmt(db, ST_IMP_STAGE)) == NULL)
				return -1;
			imp_bind(s, 1, &db->imp_buf[i]);
			if (db_step_done(db, s, "import") == -1)
				return -1;
		}
	db->imp_nbuf = 0;
	return 0;
}

int
db_import_stage(struct db *db, const struct addr *net, int exclude,
    uint32_t code, const char *reason)
{
	struct imp_row	*e;
	struct addr	 m = *net;

	addr_mask(&m);
	if ((net->family != 4 && net->family != 6) ||
	    net->prefix > addr_maxprefix(net) ||
	    memcmp(m.a, net->a, 16) != 0) {
		db_seterr(db, "malformed address");
		return -1;
	}
	e = &db->imp_buf[db->imp_nbuf];
	if (db_str_id(db, reason, &e->reason) == -1)
		return -1;
	e->klen = db_net_key(net, e->k);
	e->exclude = exclude ? 1 : 0;
	e->code = code;
	db->imp_staged++;
	if (++db->imp_nbuf == DB_IMP_BATCH)
		return imp_flush(db);
	return 0;
}

/* --replace: the listings of an earlier import the file no longer has. */
static int
imp_stale(struct db *db, const char *actor, const char *why,
    struct db_import_counts *c)
{
	sqlite3_stmt	*s;
	struct addr	 a;
	int		 rc;

	if ((s = db_stmt(db, ST_IMP_STALE)) == NULL ||
	    db_step_done(db, s, "import") == -1 ||
	    (s = db_stmt(db, ST_IMP_STALE_NEXT)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (db_net_unkey(sqlite3_column_blob(s, 0),
		    sqlite3_column_bytes(s, 0), &a) == -1) {
			sqlite3_reset(s);
			db_seterr(db, "import: a malformed key in listing");
			return -1;
		}
		if (db_listing_remove(db, &a, actor, why) != 0) {
			sqlite3_reset(s);
			return -1;
		}
		c->removed++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "import");
}

/* Run statement st with the actor (?1), the time (?2) and the why (?3)
 * bound where it has them. */
static int
imp_run(struct db *db, enum stmt st, int64_t actor, int64_t now,
    int64_t why)
{
	sqlite3_stmt	*s;
	int		 n;

	if ((s = db_stmt(db, st)) == NULL)
		return -1;
	n = sqlite3_bind_parameter_count(s);
	if (n >= 1)
		sqlite3_bind_int64(s, 1, actor);
	if (n >= 2)
		sqlite3_bind_int64(s, 2, now);
	if (n >= 3)
		db_bind_int_or_null(s, 3, why);
	return db_step_done(db, s, "import");
}

int
db_import_apply(struct db *db, const char *actor, const char *why,
    const char *why_replace, struct db_import_counts *c,
    void (*tick)(void *, uint64_t, uint64_t), void *arg)
{
	static const enum stmt	 steps[] = { ST_IMP_WINNERS, ST_IMP_CLASSIFY,
				    ST_IMP_INSERT, ST_IMP_UPDATE,
				    ST_IMP_JOURNAL };
	const size_t		 nsteps = sizeof(steps) / sizeof(steps[0]);
	int64_t			 aid, wid, now = time(NULL), v[3], d[2];
	size_t			 i;

	memset(c, 0, sizeof(*c));
	c->staged = db->imp_staged;
	if (imp_flush(db) == -1 ||
	    db_str_id(db, actor ? actor : "unknown", &aid) == -1 ||
	    db_str_id(db, why, &wid) == -1)
		return -1;
	for (i = 0; i < nsteps; i++) {
		if (imp_run(db, steps[i], aid, now, wid) == -1)
			return -1;
		if (tick != NULL)
			tick(arg, c->staged * (i + 1) / nsteps, c->staged);
	}
	if (db_step_counts(db, ST_IMP_COUNTS, v, 3, "import") == -1)
		return -1;
	c->added = (uint64_t)v[0];
	c->updated = (uint64_t)v[1];
	c->unchanged = (uint64_t)v[2];
	if (c->added + c->updated + c->unchanged < c->staged) {
		if (db_step_counts(db, ST_IMP_DUPS, d, 2, "import") == -1)
			return -1;
		c->unchanged += (uint64_t)d[0];
		c->updated += (uint64_t)(d[1] - d[0]);
	}
	if (why_replace != NULL)
		return imp_stale(db, actor, why_replace, c);
	return 0;
}

void
db_import_end(struct db *db)
{
	/* Gone with a rollback already; otherwise dropped here. */
	sqlite3_exec(db->h, "DROP TABLE IF EXISTS temp.imp", NULL, NULL,
	    NULL);
	sqlite3_exec(db->h, "DROP TABLE IF EXISTS temp.imp_stale", NULL,
	    NULL, NULL);
	sqlite3_exec(db->h, "DROP TABLE IF EXISTS temp.impw", NULL, NULL,
	    NULL);
	db->imp_staged = 0;
	db->imp_nbuf = 0;
}
