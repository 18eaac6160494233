/*
 * db.c -- orbl's SQLite access layer: db/ is the only code that includes
 * sqlite3.h.  This file has the connection (open, close, the schema and
 * its migrations, the busy handler), transactions, meta, and the
 * statement machinery every other db/ file runs its queries through;
 * listings and the journal are in db_listing.c, the bulk import in
 * db_import.c, the prober's tables in db_probe.c, delisting requests in
 * db_request.c, claims in db_claim.c.
 *
 * Statements are prepared on first use with SQLITE_PREPARE_PERSISTENT and
 * kept for the life of the connection; column text is handed to callbacks
 * as borrowed pointers valid only during the call.  Nothing here logs:
 * errors are left in db->err for the caller (db_errmsg).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

extern const char	 db_schema_sql[];
extern const char *const db_migrations[];
extern const int	 db_nmigrations;

#define DB_BUSY_TIMEOUT_MS	5000

/* The staging of the bulk import: DB_IMP_BATCH (64) rows a statement. */
#define IMP_V1	"(?, ?, ?, ?)"
#define IMP_V4	IMP_V1 ", " IMP_V1 ", " IMP_V1 ", " IMP_V1
#define IMP_V16	IMP_V4 ", " IMP_V4 ", " IMP_V4 ", " IMP_V4
#define IMP_V64	IMP_V16 ", " IMP_V16 ", " IMP_V16 ", " IMP_V16

/* Listing and journal rows with their texts (str) joined back in. */
#define LISTING_COLS "l.net, l.exclude, l.code, r.s, l.source, l.probe_id, " \
	"a.s, l.created, l.updated, l.expires"
#define LISTING_FROM " FROM listing l LEFT JOIN str r ON r.id = l.reason " \
	"LEFT JOIN str a ON a.id = l.actor "
#define JOURNAL_COLS "j.serial, j.ts, j.op, j.net, j.exclude, j.code, r.s, " \
	"j.source, a.s, w.s, j.expires"
#define JOURNAL_FROM " FROM journal j LEFT JOIN str r ON r.id = j.reason " \
	"LEFT JOIN str a ON a.id = j.actor LEFT JOIN str w ON w.id = j.why "

/*
 * Every statement of the layer, in one table here rather than one per
 * file: the connection caches them in one array indexed by enum stmt
 * (db_int.h), several are run from more than one file (ST_SUB_GET and
 * ST_REQ_GET by the claims, ST_SUB_SET by a probe's start, ST_EVIDENCE_DEL
 * by a listing's removal), and one table is where a reader checks every
 * query against schema.sql and its indexes.  The groups follow the file
 * that mostly runs them, as the enum does.
 */
static const char *const stmt_sql[ST_COUNT] = {
	/* db.c: transactions, the connection, meta */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_BEGIN_READ] = "BEGIN DEFERRED",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_META_DELETE] = "DELETE FROM meta WHERE key = ?1",
	/* db_listing.c: listings and the journal */
	[ST_SERIAL] = "SELECT seq FROM sqlite_sequence WHERE name = 'journal'",
	[ST_LISTING_GET] = "SELECT " LISTING_COLS LISTING_FROM
	    "WHERE l.net = ?1",
	[ST_LISTING_UPSERT] = "INSERT INTO listing (net, exclude, code, reason, "
	    "source, probe_id, actor, created, updated, expires) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) ON CONFLICT (net) DO UPDATE "
	    "SET exclude = excluded.exclude, code = excluded.code, "
	    "reason = excluded.reason, source = excluded.source, "
	    "probe_id = excluded.probe_id, actor = excluded.actor, "
	    "updated = excluded.updated, expires = excluded.expires",
	[ST_LISTING_DELETE] = "DELETE FROM listing WHERE net = ?1",
	[ST_LISTING_ALL] = "SELECT " LISTING_COLS LISTING_FROM,
	[ST_LISTING_ALL_ORDERED] = "SELECT " LISTING_COLS LISTING_FROM
	    "ORDER BY l.net",
	[ST_LISTING_ACTIVE] = "SELECT " LISTING_COLS LISTING_FROM
	    "WHERE l.expires IS NULL OR l.expires > ?1",
	[ST_LISTING_ACTIVE_ORDERED] = "SELECT " LISTING_COLS LISTING_FROM
	    "WHERE l.expires IS NULL OR l.expires > ?1 ORDER BY l.net",
	[ST_LISTING_NEXT_EXPIRY] = "SELECT min(expires) FROM listing "
	    "WHERE expires > ?1",
	[ST_LISTING_COUNT] = "SELECT count(*) FILTER (WHERE exclude = 0), "
	    "count(*) FILTER (WHERE exclude = 1) FROM listing",
	/* The reason as its id: the loader turns ids into texts once each
	 * (db_listing.c), not once per row. */
	[ST_LISTING_LEAN] = "SELECT net, exclude, code, reason, expires "
	    "FROM listing WHERE expires IS NULL OR expires > ?1",
	[ST_JOURNAL_ADD] = "INSERT INTO journal (ts, op, net, exclude, code, "
	    "reason, source, expires, actor, why) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10)",
	[ST_JOURNAL_AT] = "SELECT " JOURNAL_COLS JOURNAL_FROM
	    "WHERE j.net = ?1",
	[ST_JOURNAL_SINCE] = "SELECT " JOURNAL_COLS JOURNAL_FROM
	    "WHERE j.serial > ?1 ORDER BY j.serial",
	[ST_STR_GET] = "SELECT id FROM str WHERE s = ?1",
	[ST_STR_ADD] = "INSERT INTO str (s) VALUES (?1) RETURNING id",
	[ST_STR_TEXT] = "SELECT s FROM str WHERE id = ?1",
	/* db_import.c: the bulk import's staging table (temp.imp, made by
	 * db_import_begin) and its writes in key order */
	[ST_IMP_STAGE] = "INSERT INTO temp.imp (net, exclude, code, reason) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_IMP_STAGE_BATCH] = "INSERT INTO temp.imp (net, exclude, code, "
	    "reason) VALUES " IMP_V64,
	/* The last of each address (SQLite: the bare columns of a max()
	 * row are that row's), sorted once, keyed; st: 1 new, 0 the same
	 * as the listing already there, 2 different. */
	[ST_IMP_WINNERS] = "INSERT INTO temp.impw (net, seq, exclude, code, "
	    "reason, st) SELECT net, max(rowid), exclude, code, reason, 1 "
	    "FROM temp.imp GROUP BY net ORDER BY net",
	/* The same as db_listing_put sees it: an import has no expiry and
	 * no probe. */
	[ST_IMP_CLASSIFY] = "UPDATE temp.impw SET st = CASE WHEN "
	    "l.exclude = impw.exclude AND l.code IS impw.code AND "
	    "l.reason IS impw.reason AND l.source = 'import' AND "
	    "l.probe_id IS NULL AND l.expires IS NULL THEN 0 ELSE 2 END "
	    "FROM listing l WHERE l.net = impw.net",
	[ST_IMP_INSERT] = "INSERT INTO listing (net, exclude, code, reason, "
	    "source, actor, created, updated) SELECT net, exclude, code, "
	    "reason, 'import', ?1, ?2, ?2 FROM temp.impw WHERE st = 1 "
	    "ORDER BY net",
	[ST_IMP_UPDATE] = "UPDATE listing SET exclude = w.exclude, "
	    "code = w.code, reason = w.reason, source = 'import', "
	    "probe_id = NULL, actor = ?1, updated = ?2, expires = NULL "
	    "FROM temp.impw w WHERE w.st = 2 AND listing.net = w.net",
	[ST_IMP_JOURNAL] = "INSERT INTO journal (ts, op, net, exclude, code, "
	    "reason, source, expires, actor, why) SELECT ?2, 'add', net, "
	    "exclude, code, reason, 'import', NULL, ?1, ?3 FROM temp.impw "
	    "WHERE st > 0 ORDER BY net",
	[ST_IMP_COUNTS] = "SELECT count(*) FILTER (WHERE st = 1), "
	    "count(*) FILTER (WHERE st = 2), count(*) FILTER (WHERE st = 0) "
	    "FROM temp.impw",
	/* Lines of an address given again: unchanged if the same as the
	 * last one for it, else updated (it was written, then the last). */
	[ST_IMP_DUPS] = "SELECT count(*) FILTER (WHERE i.exclude = w.exclude "
	    "AND i.code IS w.code AND i.reason IS w.reason), count(*) "
	    "FROM temp.imp i JOIN temp.impw w ON w.net = i.net "
	    "WHERE i.rowid <> w.seq",
	[ST_IMP_STALE] = "INSERT INTO temp.imp_stale (net) SELECT net FROM "
	    "listing WHERE source = 'import' AND net NOT IN (SELECT net FROM "
	    "temp.impw) ORDER BY net",
	[ST_IMP_STALE_NEXT] = "SELECT net FROM temp.imp_stale ORDER BY rowid",
	/* db_probe.c: submissions, probes, their tests, arrivals, events */
#define SUB_COLS "id, addr, port, submitter, client, state, created, " \
	"updated, not_before, tries, probe_id, result"
	[ST_SUB_ADD] = "INSERT INTO submission (addr, port, submitter, client, "
	    "state, created, updated) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
	[ST_SUB_GET] = "SELECT " SUB_COLS " FROM submission WHERE id = ?1",
	[ST_SUB_ALL] = "SELECT " SUB_COLS " FROM submission "
	    "ORDER BY id DESC LIMIT ?1",
	[ST_SUB_STATE] = "SELECT " SUB_COLS " FROM submission "
	    "WHERE state = ?2 ORDER BY id DESC LIMIT ?1",
	[ST_SUB_CLAIMABLE] = "SELECT min(id) FROM submission "
	    "WHERE state = 'queued' AND coalesce(not_before, 0) <= ?1 "
	    "AND addr NOT IN (SELECT addr FROM claim) "
	    "GROUP BY addr ORDER BY 1 LIMIT ?2",
	[ST_SUB_CLAIM] = "UPDATE submission SET state = 'probing', "
	    "tries = tries + 1, updated = ?2 WHERE id = ?1 "
	    "AND state = 'queued' RETURNING " SUB_COLS,
	[ST_SUB_SET] = "UPDATE submission SET state = ?2, result = ?3, "
	    "probe_id = coalesce(?4, probe_id), not_before = ?5, "
	    "updated = ?6 WHERE id = ?1 RETURNING addr",
	[ST_REQ_COUNTS] = "SELECT count(*) FILTER (WHERE state = 'pending'), "
	    "count(*) FILTER (WHERE state = 'retesting'), "
	    "count(*) FILTER (WHERE state = 'delisted'), "
	    "count(*) FILTER (WHERE state = 'refused') FROM delist_request",
	[ST_SUB_COUNTS] = "SELECT count(*) FILTER (WHERE state = 'queued'), "
	    "count(*) FILTER (WHERE state = 'probing'), "
	    "count(*) FILTER (WHERE state = 'done'), "
	    "count(*) FILTER (WHERE state = 'failed') FROM submission",
	[ST_SUB_COUNT_SINCE] = "SELECT count(*) FROM submission "
	    "WHERE submitter IS ?1 AND created >= ?2",
	[ST_EVENT_ADD] = "INSERT INTO event (ts, kind, ref, addr, actor, what, "
	    "why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
#define PROBE_COLS "id, addr, port, submission_id, request_id, started, " \
	"finished, verdict, hops, relayed_test, output_addr, transcript"
	[ST_PROBE_BEGIN] = "INSERT INTO probe (addr, port, submission_id, "
	    "request_id, started, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_PROBE_FINISH] = "UPDATE probe SET finished = ?2, verdict = ?3, "
	    "hops = ?4, relayed_test = ?5, output_addr = ?6, transcript = ?7 "
	    "WHERE id = ?1 RETURNING submission_id",
	[ST_PROBE_CONFIRM] = "UPDATE probe SET finished = coalesce(finished, "
	    "?2), verdict = 'confirmed', hops = ?3, relayed_test = ?4, "
	    "output_addr = ?5 WHERE id = ?1 RETURNING submission_id",
	[ST_PROBE_GET] = "SELECT " PROBE_COLS " FROM probe WHERE id = ?1",
	[ST_PROBE_ADDR] = "SELECT " PROBE_COLS " FROM probe WHERE addr = ?1 "
	    "ORDER BY started DESC, id DESC LIMIT ?2",
	[ST_PROBE_TESTS_DEL] = "DELETE FROM probe_test WHERE probe_id = ?1",
	[ST_PROBE_TEST_ADD] = "INSERT INTO probe_test (probe_id, test_id, name, "
	    "mail_from, rcpt_to, mail_reply, rcpt_reply, data_reply, cookie, "
	    "verdict, arrived, arrived_from, received) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_PROBE_TESTS] = "SELECT probe_id, test_id, name, mail_from, rcpt_to, "
	    "mail_reply, rcpt_reply, data_reply, cookie, verdict, arrived, "
	    "arrived_from, received FROM probe_test WHERE probe_id = ?1 "
	    "ORDER BY test_id",
	[ST_ARRIVAL_USED] = "SELECT count(*) FROM arrival WHERE probe_id = ?1 "
	    "AND test_id = ?2 AND confirmed = 1",
	[ST_ARRIVAL_ADD] = "INSERT INTO arrival (ts, probe_id, test_id, peer, "
	    "mail_from, rcpt, bounce, bounce_why, received, cookie, confirmed) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* db_request.c: delisting requests, events by address, re-tests */
#define REQ_COLS "id, addr, contact, note, state, created, updated, " \
	"not_before, tries, probe_id, decided, decision"
	[ST_REQ_OPEN_ADDR] = "SELECT id FROM delist_request WHERE addr = ?1 "
	    "AND state IN ('pending', 'retesting') ORDER BY id LIMIT 1",
	[ST_REQ_OPEN_CONTACT] = "SELECT count(*) FROM delist_request WHERE "
	    "contact = ?1 COLLATE NOCASE AND state IN ('pending', 'retesting')",
	[ST_REQ_ADD] = "INSERT INTO delist_request (addr, contact, note, state, "
	    "created, updated, not_before) VALUES (?1, ?2, ?3, 'pending', ?4, "
	    "?4, ?5)",
	[ST_REQ_GET] = "SELECT " REQ_COLS " FROM delist_request WHERE id = ?1",
	[ST_REQ_ALL] = "SELECT " REQ_COLS " FROM delist_request WHERE "
	    "(?1 IS NULL OR state = ?1) AND (?2 IS NULL OR addr = ?2) "
	    "ORDER BY id DESC",
	[ST_REQ_CLAIMABLE] = "SELECT id FROM delist_request WHERE state = "
	    "'pending' AND coalesce(not_before, 0) <= ?1 AND addr NOT IN "
	    "(SELECT addr FROM claim) ORDER BY id LIMIT ?2",
	[ST_REQ_CLAIM] = "UPDATE delist_request SET state = 'retesting', "
	    "tries = tries + 1, updated = ?2 WHERE id = ?1 AND state = "
	    "'pending' RETURNING " REQ_COLS,
	[ST_REQ_SET] = "UPDATE delist_request SET state = ?2, not_before = ?3, "
	    "probe_id = coalesce(?4, probe_id), decided = ?5, decision = "
	    "coalesce(?6, decision), updated = ?7 WHERE id = ?1 RETURNING addr",
	[ST_EVENTS_ADDR] = "SELECT id, ts, ref, kind, addr, actor, what, why "
	    "FROM event WHERE addr = ?1 ORDER BY ts, id",
	/* Probe listings (by their evidence) whose newest run on that port
	 * finished before ?1, with nothing queued, probing or claimed. */
	[ST_RETEST_DUE] = "SELECT e.addr, e.port FROM evidence e JOIN listing l "
	    "ON l.net = orbl_net_text(e.addr) AND l.source = 'probe' AND "
	    "l.exclude = 0 "
	    "WHERE coalesce((SELECT max(finished) FROM probe p WHERE "
	    "p.addr = e.addr AND p.port = e.port), 0) < ?1 AND "
	    "e.addr NOT IN (SELECT addr FROM submission WHERE state IN "
	    "('queued', 'probing')) AND e.addr NOT IN (SELECT addr FROM claim) "
	    "ORDER BY e.addr, e.port LIMIT ?2",
	[ST_STATS] = "SELECT 'source', source, count(*) FROM listing "
	    "WHERE exclude = 0 GROUP BY source "
	    "UNION ALL SELECT 'age', CASE WHEN created >= ?1 - 86400 THEN '1d' "
	    "WHEN created >= ?1 - 7 * 86400 THEN '7d' WHEN created >= "
	    "?1 - 30 * 86400 THEN '30d' ELSE 'older' END, count(*) FROM "
	    "listing WHERE exclude = 0 GROUP BY 2 "
	    "UNION ALL SELECT 'requests', state, count(*) FROM delist_request "
	    "GROUP BY state "
	    "UNION ALL SELECT 'probes', coalesce(verdict, 'none'), count(*) "
	    "FROM probe WHERE finished >= ?2 GROUP BY 2",
	/* db_claim.c: claims, evidence, the bounded reads of a run */
	[ST_CLAIM_TAKE] = "INSERT INTO claim (addr, kind, ref, owner, taken, "
	    "lease_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (addr) DO NOTHING",
	[ST_CLAIM_RELEASE] = "DELETE FROM claim WHERE addr = ?1 AND "
	    "(?2 IS NULL OR owner = ?2)",
	[ST_CLAIM_EXPIRED] = "DELETE FROM claim WHERE lease_until < ?1 OR "
	    "owner = ?2 RETURNING addr, kind, ref, owner",
	[ST_CLAIM_GET] = "SELECT kind, ref, owner, lease_until FROM claim "
	    "WHERE addr = ?1",
	[ST_SUB_UNCLAIM] = "UPDATE submission SET state = 'queued', "
	    "updated = ?2 WHERE id = ?1 AND state = 'probing'",
	[ST_REQ_UNCLAIM] = "UPDATE delist_request SET state = 'pending', "
	    "updated = ?2 WHERE id = ?1 AND state = 'retesting'",
	[ST_EVIDENCE_PUT] = "INSERT INTO evidence (addr, port, probe_id) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (addr, port) DO UPDATE SET "
	    "probe_id = excluded.probe_id",
	[ST_EVIDENCE_PUT_PROBE] = "INSERT INTO evidence (addr, port, probe_id) "
	    "SELECT addr, port, id FROM probe WHERE id = ?1 "
	    "ON CONFLICT (addr, port) DO UPDATE SET probe_id = excluded.probe_id",
	[ST_EVIDENCE_DEL] = "DELETE FROM evidence WHERE addr = ?1 AND "
	    "(?2 IS NULL OR port = ?2)",
	[ST_EVIDENCE_PORTS] = "SELECT port, probe_id FROM evidence "
	    "WHERE addr = ?1 ORDER BY port",
	[ST_PROBE_COUNT_NET] = "SELECT count(*) FROM probe WHERE ip >= ?1 "
	    "AND ip <= ?2 AND started >= ?3",
	[ST_ARRIVALS_SINCE] = "SELECT id, ts, probe_id, test_id, peer, "
	    "mail_from, rcpt, bounce, bounce_why, received, cookie, confirmed "
	    "FROM arrival WHERE probe_id = ?1 AND id > ?2 ORDER BY id",
	[ST_ARRIVAL_COUNT] = "SELECT count(*) FROM arrival WHERE probe_id = ?1 "
	    "AND (?2 = 0 OR test_id = ?2)",
	[ST_PROBE_TEST_ACCEPTED] = "SELECT data_reply FROM probe_test WHERE "
	    "probe_id = ?1 AND test_id = ?2",
};

void
db_seterr(struct db *db, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	db->busy = 0;
}

/* Record SQLite's reason for a failure of 'what'. */
int
db_fail(struct db *db, const char *what)
{
	int	 rc = sqlite3_extended_errcode(db->h);

	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		db_seterr(db, "%s: database is locked (another writer held "
		    "it for more than %d ms)", what, db->busy_ms);
		db->busy = 1;
		db->busy_given_up++;
	}
	else if ((rc & 0xff) == SQLITE_READONLY)
		db_seterr(db, "%s: database is read-only: %s", what,
		    sqlite3_errmsg(db->h));
	else
		db_seterr(db, "%s: %s", what, sqlite3_errmsg(db->h));
	return -1;
}

const char *
db_errmsg(const struct db *db)
{
	return db->err;
}

int
db_busy(const struct db *db)
{
	return db->busy;
}

/*
 * The busy handler: the schedule of SQLite's own busy timeout (short
 * sleeps first, then 100 ms at a time, until busy_ms is spent), kept here
 * so that the layer can count what it did (busy_calls, busy_waited: a
 * test proves a locked call waited out its timeout by them, not by the
 * clock).  n counts the calls for the one lock being waited for.
 */
static int
db_busy_wait(void *arg, int n)
{
	static const int	 delays[] = { 1, 2, 5, 10, 15, 20, 25, 25, 25,
				    50, 50, 100 };
	static const int	 totals[] = { 0, 1, 3, 8, 18, 33, 53, 78, 103,
				    128, 178, 228 };
	const int		 nd = (int)(sizeof(delays) / sizeof(delays[0]));
	struct db		*db = arg;
	int			 delay, prior;

	db->busy_calls++;
	if (n < nd) {
		delay = delays[n];
		prior = totals[n];
	} else {
		delay = delays[nd - 1];
		prior = totals[nd - 1] + delay * (n - (nd - 1));
	}
	if (n == 0) {
		db->busy_waited = 0;
		db->busy_locks++;
	}
	if (prior + delay > db->busy_ms) {
		delay = db->busy_ms - prior;
		if (delay <= 0)
			return 0;	/* give up: SQLITE_BUSY */
	}
	sqlite3_sleep(delay);
	db->busy_waited = prior + delay;
	db->busy_slept_ms += (uint64_t)delay;
	return 1;
}

void
db_busy_counts(const struct db *db, struct db_busy_counts *c)
{
	c->locks = db->busy_locks;
	c->given_up = db->busy_given_up;
	c->slept_ms = db->busy_slept_ms;
}

void
db_set_busy_timeout(struct db *db, int ms)
{
	db->busy_ms = ms;
}

int
db_version_found(const struct db *db)
{
	return db->version_found;
}

sqlite3_stmt *
db_stmt(struct db *db, enum stmt i)
{
	if (db->st[i] == NULL && sqlite3_prepare_v3(db->h, stmt_sql[i], -1,
	    SQLITE_PREPARE_PERSISTENT, &db->st[i], NULL) != SQLITE_OK) {
		db_fail(db, "prepare");
		db->st[i] = NULL;
		return NULL;
	}
	sqlite3_reset(db->st[i]);
	sqlite3_clear_bindings(db->st[i]);
	return db->st[i];
}

/* Run a statement that returns no rows. */
int
db_step_done(struct db *db, sqlite3_stmt *s, const char *what)
{
	int	 rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, what);
	return 0;
}

int
db_step_int(struct db *db, sqlite3_stmt *s, int64_t *v, const char *what)
{
	int	 rc = sqlite3_step(s);

	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, what);
}

int
db_step_counts(struct db *db, enum stmt st, int64_t *counts, int n,
    const char *what)
{
	sqlite3_stmt	*s;
	int		 i, rc;

	if ((s = db_stmt(db, st)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	for (i = 0; i < n; i++)
		counts[i] = rc == SQLITE_ROW ? sqlite3_column_int64(s, i) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : db_fail(db, what);
}

int
db_step_dup(struct db *db, sqlite3_stmt *s, int col, char **out,
    const char *what)
{
	int	 rc = sqlite3_step(s);

	*out = rc == SQLITE_ROW ? xstrdup_null(db_col_text(s, col)) : NULL;
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_fail(db, what);
}

static int
db_exec(struct db *db, const char *sql, const char *what)
{
	char	*msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_fail(db, what);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
db_pragma_int(struct db *db, const char *sql, int64_t *v)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, sql);
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, sql);
	return 0;
}

/* Create the schema or migrate it; refuse a database newer than us. */
static int
db_schema(struct db *db, int create)
{
	int64_t	 version, ntables;
	char	 sql[64];
	int	 v;

	if (db_pragma_int(db, "PRAGMA user_version", &version) == -1)
		return -1;
	db->version_found = (int)version;
	if (version > DB_SCHEMA_VERSION) {
		db_seterr(db, "database schema version %lld is newer than "
		    "this orbl (%d): upgrade orbl", (long long)version,
		    DB_SCHEMA_VERSION);
		return -1;
	}
	if (version == DB_SCHEMA_VERSION)
		return 0;
	if (db->rdonly) {
		db_seterr(db, version == 0 ? "not an orbl database (run "
		    "'orblctl init')" : "database schema version %lld is "
		    "older than this orbl (%d): run 'orblctl init' to "
		    "upgrade it", (long long)version, DB_SCHEMA_VERSION);
		return -1;
	}
	if (db_exec(db, "BEGIN IMMEDIATE", "schema") == -1)
		return -1;
	if (version == 0) {
		if (db_pragma_int(db, "SELECT count(*) FROM sqlite_master",
		    &ntables) == -1)
			goto fail;
		if (ntables > 0) {
			db_seterr(db, "not an orbl database (it has tables "
			    "but no orbl schema version)");
			goto fail;
		}
		if (!create) {
			db_seterr(db, "database is empty (run 'orblctl init')");
			goto fail;
		}
		if (db_exec(db, db_schema_sql, "create schema") == -1)
			goto fail;
	} else {
		for (v = (int)version + 1; v <= DB_SCHEMA_VERSION; v++) {
			if (v >= db_nmigrations || db_migrations[v] == NULL) {
				db_seterr(db, "no migration to schema "
				    "version %d", v);
				goto fail;
			}
			if (db_exec(db, db_migrations[v], "migrate") == -1)
				goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    DB_SCHEMA_VERSION);
	if (db_exec(db, sql, "schema version") == -1 ||
	    db_exec(db, "COMMIT", "schema") == -1)
		goto fail;
	return 0;
 fail:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct db *
db_open(const char *path, int flags, char *err, size_t errlen)
{
	struct db	*db;
	struct stat	 sb;
	int		 oflags, fd;

	if (stat(path, &sb) == -1) {
		if (errno != ENOENT || !(flags & DB_CREATE)) {
			snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			    errno == ENOENT ? " (run 'orblctl init')" : "");
			return NULL;
		}
		/*
		 * Created here, mode 0600, before SQLite sees it: SQLite
		 * would make it 0644, and it gives -wal and -shm the main
		 * file's mode.  EEXIST: another process was first; fine.
		 */
		if ((fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (fd != -1)
			close(fd);
	} else if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->rdonly = (flags & DB_RDONLY) != 0;
	oflags = db->rdonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | ((flags & DB_CREATE) ? SQLITE_OPEN_CREATE : 0);
	oflags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : "cannot open");
		db_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db->h, 1);
	db->busy_ms = DB_BUSY_TIMEOUT_MS;
	sqlite3_busy_handler(db->h, db_busy_wait, db);
	if (db_exec(db, "PRAGMA foreign_keys = ON", "open") == -1 ||
	    db_listing_functions(db) == -1)
		goto fail;
	/* Schema check first: a file that is not ours is left as it was. */
	if (db_schema(db, (flags & DB_CREATE) != 0) == -1)
		goto fail;
	if (!db->rdonly &&
	    (db_exec(db, "PRAGMA journal_mode = WAL", "open") == -1 ||
	    db_exec(db, "PRAGMA synchronous = NORMAL", "open") == -1))
		goto fail;
	return db;
 fail:
	snprintf(err, errlen, "%s: %s", path, db->err);
	db_close(db);
	return NULL;
}

int
db_file_mode(const struct db *db)
{
	const char	*path;
	struct stat	 sb;

	if (db == NULL || db->h == NULL ||
	    (path = sqlite3_db_filename(db->h, "main")) == NULL ||
	    *path == '\0' || stat(path, &sb) == -1)
		return -1;
	return (int)(sb.st_mode & 07777);
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	db_str_forget(db);
	if (db->h)
		sqlite3_close(db->h);
	free(db);
}

/* BEGIN IMMEDIATE (write) or DEFERRED (read): one at a time. */
static int
db_begin_with(struct db *db, enum stmt how)
{
	sqlite3_stmt	*s;

	if (db->in_tx) {
		db_seterr(db, "transaction already open");
		return -1;
	}
	if ((s = db_stmt(db, how)) == NULL ||
	    db_step_done(db, s, "begin") == -1)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
db_begin(struct db *db)
{
	return db_begin_with(db, ST_BEGIN);
}

int
db_commit(struct db *db)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_COMMIT)) == NULL ||
	    db_step_done(db, s, "commit") == -1)
		return -1;
	db->in_tx = 0;
	return 0;
}

int
db_rollback(struct db *db)
{
	sqlite3_stmt	*s;
	int		 rc = 0;

	db->in_tx = 0;
	db_str_forget(db);
	if (!sqlite3_get_autocommit(db->h) &&
	    ((s = db_stmt(db, ST_ROLLBACK)) == NULL ||
	    db_step_done(db, s, "rollback") == -1))
		rc = -1;
	return rc;
}

int
db_read_begin(struct db *db)
{
	return db_begin_with(db, ST_BEGIN_READ);
}

int
db_read_end(struct db *db)
{
	return db_commit(db) == -1 ? (db_rollback(db), -1) : 0;
}

/* Open a transaction for one call unless the caller has one open. */
int
db_tx_enter(struct db *db, int *own)
{
	*own = !db->in_tx;
	return *own ? db_begin(db) : 0;
}

int
db_tx_leave(struct db *db, int own, int rc)
{
	if (!own)
		return rc;
	if (rc == 0)
		return db_commit(db) == -1 ? (db_rollback(db), -1) : 0;
	db_rollback(db);
	return rc;
}

int
db_tx_answer(struct db *db, int own, int rc)
{
	if (rc != DB_NOTFOUND && rc != DB_CLAIMED)
		return db_tx_leave(db, own, rc);
	db_tx_leave(db, own, 0);
	return rc;
}

int
db_data_version(struct db *db, int64_t *v)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_DATA_VERSION)) == NULL)
		return -1;
	return db_step_int(db, s, v, "data_version");
}

const char *
db_col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

void
db_bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t != NULL)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

void
db_bind_int_or_null(sqlite3_stmt *s, int i, int64_t v)
{
	if (v != 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

int
db_meta_get(struct db *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt	*s;
	const char	*v;
	int		 rc;

	if ((s = db_stmt(db, ST_META_GET)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = db_col_text(s, 0);
		orbl_strlcpy(buf, v ? v : "", len);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return DB_NOTFOUND;
	return db_fail(db, "meta");
}

int
db_meta_set(struct db *db, const char *key, const char *value)
{
	sqlite3_stmt	*s;
	int		 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_META_SET)) == NULL)
		rc = -1;
	else {
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
		rc = db_step_done(db, s, "meta");
	}
	return db_tx_leave(db, own, rc);
}

int
db_meta_delete(struct db *db, const char *key)
{
	sqlite3_stmt	*s;
	int64_t		 secure = 0;
	char		 sql[40];
	int		 own, rc, changes = 0;

	/* Overwrite the freed bytes (a key must not linger in free pages);
	 * the connection's setting is restored afterwards. */
	if (db_pragma_int(db, "PRAGMA secure_delete", &secure) == -1 ||
	    db_exec(db, "PRAGMA secure_delete = 1", "meta") == -1)
		return -1;
	if (db_tx_enter(db, &own) == -1)
		rc = -1;
	else {
		if ((s = db_stmt(db, ST_META_DELETE)) == NULL)
			rc = -1;
		else {
			sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
			rc = db_step_done(db, s, "meta");
			changes = sqlite3_changes(db->h);
		}
		rc = db_tx_leave(db, own, rc);
	}
	snprintf(sql, sizeof(sql), "PRAGMA secure_delete = %lld",
	    (long long)secure);
	sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	if (rc == 0 && changes == 0)
		return DB_NOTFOUND;
	return rc;
}
