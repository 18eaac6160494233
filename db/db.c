/*
 * db.c -- orbl's SQLite access layer (with db_probe.c): db/ is the only
 * code that includes sqlite3.h.
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
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

extern const char	 db_schema_sql[];
extern const char *const db_migrations[];
extern const int	 db_nmigrations;

#define DB_BUSY_TIMEOUT_MS	5000

#define LISTING_COLS "id, family, net, prefix, exclude, code, reason, " \
	"source, probe_id, actor, created, updated, expires"
#define JOURNAL_COLS "serial, ts, op, family, net, prefix, exclude, code, " \
	"reason, source, actor, why, expires"



static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_BEGIN_READ] = "BEGIN DEFERRED",
	[ST_SERIAL] = "SELECT seq FROM sqlite_sequence WHERE name = 'journal'",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_LISTING_GET] = "SELECT " LISTING_COLS " FROM listing "
	    "WHERE family = ?1 AND net = ?2 AND prefix = ?3",
	[ST_LISTING_UPSERT] = "INSERT INTO listing (family, net, prefix, cidr, "
	    "exclude, code, reason, source, probe_id, actor, created, updated, "
	    "expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, "
	    "?12) ON CONFLICT (family, net, prefix) DO UPDATE SET "
	    "exclude = excluded.exclude, code = excluded.code, "
	    "reason = excluded.reason, source = excluded.source, "
	    "probe_id = excluded.probe_id, actor = excluded.actor, "
	    "updated = excluded.updated, expires = excluded.expires",
	[ST_LISTING_DELETE] = "DELETE FROM listing WHERE id = ?1",
	[ST_LISTING_ALL] = "SELECT " LISTING_COLS " FROM listing",
	[ST_LISTING_ALL_ORDERED] = "SELECT " LISTING_COLS " FROM listing "
	    "ORDER BY family, net, prefix",
	[ST_LISTING_ACTIVE] = "SELECT " LISTING_COLS " FROM listing "
	    "WHERE expires IS NULL OR expires > ?1",
	[ST_LISTING_ACTIVE_ORDERED] = "SELECT " LISTING_COLS " FROM listing "
	    "WHERE expires IS NULL OR expires > ?1 ORDER BY family, net, prefix",
	[ST_LISTING_NEXT_EXPIRY] = "SELECT min(expires) FROM listing "
	    "WHERE expires > ?1",
	[ST_LISTING_COUNT] = "SELECT count(*) FILTER (WHERE exclude = 0), "
	    "count(*) FILTER (WHERE exclude = 1) FROM listing",
	[ST_JOURNAL_ADD] = "INSERT INTO journal (ts, op, family, net, prefix, "
	    "cidr, exclude, code, reason, source, expires, actor, why) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_JOURNAL_AT] = "SELECT " JOURNAL_COLS " FROM journal "
	    "WHERE net = ?1 AND prefix = ?2 AND family = ?3",
	[ST_JOURNAL_SINCE] = "SELECT " JOURNAL_COLS " FROM journal "
	    "WHERE serial > ?1 ORDER BY serial",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_META_DELETE] = "DELETE FROM meta WHERE key = ?1",
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
	    "ON l.cidr = e.addr AND l.source = 'probe' AND l.exclude = 0 "
	    "WHERE coalesce((SELECT max(finished) FROM probe p WHERE "
	    "p.addr = e.addr AND p.port = e.port), 0) < ?1 AND "
	    "e.addr NOT IN (SELECT addr FROM submission WHERE state IN "
	    "('queued', 'probing')) AND e.addr NOT IN (SELECT addr FROM claim) "
	    "ORDER BY e.addr, e.port LIMIT ?2",
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
	[ST_LISTING_LEAN] = "SELECT family, net, prefix, exclude, code, reason, "
	    "expires FROM listing WHERE expires IS NULL OR expires > ?1",
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
};



void
db_seterr(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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

void
db_set_busy_timeout(struct db *db, int ms)
{
	db->busy_ms = ms;
	sqlite3_busy_timeout(db->h, ms);
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
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	if (db_exec(db, "PRAGMA foreign_keys = ON", "open") == -1)
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
	if (db->h)
		sqlite3_close(db->h);
	free(db);
}

int
db_begin(struct db *db)
{
	sqlite3_stmt	*s;

	if (db->in_tx) {
		db_seterr(db, "transaction already open");
		return -1;
	}
	if ((s = db_stmt(db, ST_BEGIN)) == NULL ||
	    db_step_done(db, s, "begin") == -1)
		return -1;
	db->in_tx = 1;
	return 0;
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
	if (!sqlite3_get_autocommit(db->h) &&
	    ((s = db_stmt(db, ST_ROLLBACK)) == NULL ||
	    db_step_done(db, s, "rollback") == -1))
		rc = -1;
	return rc;
}

int
db_read_begin(struct db *db)
{
	sqlite3_stmt	*s;

	if (db->in_tx) {
		db_seterr(db, "transaction already open");
		return -1;
	}
	if ((s = db_stmt(db, ST_BEGIN_READ)) == NULL ||
	    db_step_done(db, s, "begin") == -1)
		return -1;
	db->in_tx = 1;
	return 0;
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
db_serial(struct db *db, uint32_t *serial)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_SERIAL)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*serial = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, "serial");
	return 0;
}

int
db_data_version(struct db *db, int64_t *v)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_DATA_VERSION)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return db_fail(db, "data_version");
	return 0;
}

const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
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
	l->reason = col_text(s, 6);
	l->source = col_text(s, 7);
	l->probe_id = sqlite3_column_int64(s, 8);
	l->actor = col_text(s, 9);
	l->created = sqlite3_column_int64(s, 10);
	l->updated = sqlite3_column_int64(s, 11);
	l->expires = sqlite3_column_int64(s, 12);
}

static void
row_journal(sqlite3_stmt *s, struct journal_entry *j)
{
	j->serial = (uint32_t)sqlite3_column_int64(s, 0);
	j->ts = sqlite3_column_int64(s, 1);
	j->op = col_text(s, 2);
	col_addr(s, 3, &j->net);
	j->exclude = sqlite3_column_int(s, 6);
	j->code = (uint32_t)sqlite3_column_int64(s, 7);
	j->reason = col_text(s, 8);
	j->source = col_text(s, 9);
	j->actor = col_text(s, 10);
	j->why = col_text(s, 11);
	j->expires = sqlite3_column_int64(s, 12);
}

static void
bind_net(sqlite3_stmt *s, int first, const struct addr *a)
{
	sqlite3_bind_int(s, first, a->family);
	sqlite3_bind_blob(s, first + 1, a->a, 16, SQLITE_STATIC);
	sqlite3_bind_int(s, first + 2, a->prefix);
}

void
bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t != NULL)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

void
bind_int_or_null(sqlite3_stmt *s, int i, int64_t v)
{
	if (v != 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
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
	bind_text_or_null(s, 9, l->reason);
	bind_text_or_null(s, 10, l->source);
	bind_int_or_null(s, 11, l->expires);
	sqlite3_bind_text(s, 12, actor ? actor : "unknown", -1, SQLITE_STATIC);
	bind_text_or_null(s, 13, why);
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
	bind_text_or_null(s, 7, l->reason);
	sqlite3_bind_text(s, 8, l->source, -1, SQLITE_STATIC);
	bind_int_or_null(s, 9, l->probe_id);
	sqlite3_bind_text(s, 10, l->actor ? l->actor : "unknown", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, now);
	bind_int_or_null(s, 12, l->expires);
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
	if (rc == DB_NOTFOUND) {
		db_tx_leave(db, own, 0);
		return DB_NOTFOUND;
	}
	return db_tx_leave(db, own, rc);
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
		l.reason = col_text(s, 5);
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
	int		 rc;

	if ((s = db_stmt(db, ST_LISTING_NEXT_EXPIRY)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	rc = sqlite3_step(s);
	*when = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, "expiry");
	return 0;
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

char *
dupn(const char *s)
{
	return s ? xstrdup(s) : NULL;
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
			v[n].strs[0] = dupn(v[n].j.op);
			v[n].strs[1] = dupn(v[n].j.reason);
			v[n].strs[2] = dupn(v[n].j.source);
			v[n].strs[3] = dupn(v[n].j.actor);
			v[n].strs[4] = dupn(v[n].j.why);
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

int
db_meta_get(struct db *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_META_GET)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		orbl_strlcpy(buf, col_text(s, 0) ? col_text(s, 0) : "", len);
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
