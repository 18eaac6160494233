/*
 * dbfix.h -- the fixture of the db-layer unit tests (test_db*.c,
 * test_policy.c): a fresh database file in its own temporary directory,
 * and a raw sqlite3 connection to the same file that looks behind the
 * layer's back (printf-style SQL; a failure fails the test through
 * cmocka's fail_msg); and what those tests all read through it or the
 * layer: an event trail as text, the journal serial, an address.
 *
 * Each test file is one translation unit and includes this after
 * <cmocka.h> (and its <stdarg.h>, <stddef.h>, <setjmp.h>): the functions
 * are static, and unused ones are no error.
 *
 * Ownership: the struct dbfix is the test file's (allocated by its cmocka
 * setup, alone or inside its own fixture).  f->db and f->raw belong to
 * the fixture: a test may close either itself and set it to NULL, or put
 * another connection there (to another file in f->dir), and
 * dbfix_teardown() closes whatever is left.  Other files a test makes in
 * f->dir are its file's to remove before dbfix_teardown(), which removes
 * only f->path (and -wal, -shm, -journal) and the directory.  Text from
 * dbfix_text() and dbfix_events() is a static buffer, good until the next
 * call.
 */
#ifndef ORBL_TEST_DBFIX_H
#define ORBL_TEST_DBFIX_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"

#define DBFIX_UNUSED	__attribute__((unused))

struct dbfix {
	char		 dir[64];	/* /tmp/orbl-test-<prefix>.XXXXXX */
	char		 path[96];	/* dir/orbl.db */
	struct db	*db;		/* NULL after dbfix_dir() */
	sqlite3		*raw;		/* NULL until dbfix_raw() */
};

static int	dbfix_dir(struct dbfix *, const char *) DBFIX_UNUSED;
static int	dbfix_setup(struct dbfix *, const char *) DBFIX_UNUSED;
static void	dbfix_close(struct dbfix *) DBFIX_UNUSED;
static void	dbfix_unlink(const char *) DBFIX_UNUSED;
static void	dbfix_teardown(struct dbfix *) DBFIX_UNUSED;
static int	dbfix_new(void **, const char *, int) DBFIX_UNUSED;
static int	dbfix_free(void **) DBFIX_UNUSED;
static sqlite3	*dbfix_raw(struct dbfix *) DBFIX_UNUSED;
static sqlite3_stmt *dbfix_prepare(struct dbfix *, const char *) DBFIX_UNUSED;
static void	dbfix_exec(struct dbfix *, const char *, ...) DBFIX_UNUSED
		    __attribute__((format(printf, 2, 3)));
static int64_t	dbfix_int(struct dbfix *, const char *, ...) DBFIX_UNUSED
		    __attribute__((format(printf, 2, 3)));
static const char *dbfix_text(struct dbfix *, const char *, ...)
		    DBFIX_UNUSED __attribute__((format(printf, 2, 3)));
static const char *dbfix_events(struct dbfix *, const char *, int64_t)
		    DBFIX_UNUSED;
static struct addr dbfix_addr(const char *) DBFIX_UNUSED;
static struct listing dbfix_listing(const char *) DBFIX_UNUSED;
static uint32_t	dbfix_serial(struct db *) DBFIX_UNUSED;
static const char *dbfix_net(const char *) DBFIX_UNUSED;

/* The directory and the path, no database yet (f zeroed by the caller).
 * 0, or -1 with a message on stderr. */
static int
dbfix_dir(struct dbfix *f, const char *prefix)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/orbl-test-%s.XXXXXX", prefix);
	if (mkdtemp(f->dir) == NULL) {
		fprintf(stderr, "setup: mkdtemp %s: %s\n", f->dir,
		    strerror(errno));
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/orbl.db", f->dir);
	return 0;
}

/* dbfix_dir() and the database created (DB_CREATE) in f->db. */
static int
dbfix_setup(struct dbfix *f, const char *prefix)
{
	char	 err[512] = "";

	if (dbfix_dir(f, prefix) == -1)
		return -1;
	if ((f->db = db_open(f->path, DB_CREATE, err, sizeof(err))) == NULL) {
		fprintf(stderr, "setup: db_open: %s\n", err);
		rmdir(f->dir);
		return -1;
	}
	return 0;
}

/* Close both connections (either may be NULL already). */
static void
dbfix_close(struct dbfix *f)
{
	db_close(f->db);
	f->db = NULL;
	if (f->raw)
		sqlite3_close(f->raw);
	f->raw = NULL;
}

/* A database file and what SQLite puts beside it. */
static void
dbfix_unlink(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char	 p[160];
	size_t	 i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

/* Close, remove f->path and f->dir; says so if the directory stays. */
static void
dbfix_teardown(struct dbfix *f)
{
	dbfix_close(f);
	dbfix_unlink(f->path);
	if (rmdir(f->dir) == -1)
		fprintf(stderr, "teardown: %s left behind\n", f->dir);
}

/*
 * cmocka's setup and teardown where the state is a struct dbfix alone:
 * allocated, with the database created (create 1, dbfix_setup()) or not
 * yet (0, dbfix_dir()); and torn down and freed.
 */
static int
dbfix_new(void **state, const char *prefix, int create)
{
	struct dbfix	*f = calloc(1, sizeof(*f));

	if (f == NULL || (create ? dbfix_setup(f, prefix) :
	    dbfix_dir(f, prefix)) == -1) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
dbfix_free(void **state)
{
	dbfix_teardown(*state);
	free(*state);
	return 0;
}

/* The raw connection, opened on first use. */
static sqlite3 *
dbfix_raw(struct dbfix *f)
{
	if (f->raw == NULL) {
		assert_int_equal(sqlite3_open(f->path, &f->raw), SQLITE_OK);
		sqlite3_busy_timeout(f->raw, 5000);
	}
	return f->raw;
}

static void
dbfix_exec(struct dbfix *f, const char *fmt, ...)
{
	char	 sql[1024], *msg = NULL;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(dbfix_raw(f), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* A query on the raw connection, prepared. */
static sqlite3_stmt *
dbfix_prepare(struct dbfix *f, const char *sql)
{
	sqlite3_stmt	*s;

	if (sqlite3_prepare_v2(dbfix_raw(f), sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(f->raw));
	return s;
}

/* The first column of the first row, which must be there. */
static int64_t
dbfix_int(struct dbfix *f, const char *fmt, ...)
{
	sqlite3_stmt	*s;
	char		 sql[1024];
	int64_t		 v;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	s = dbfix_prepare(f, sql);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The first column of the first row as text ("(null)", "(none)"). */
static const char *
dbfix_text(struct dbfix *f, const char *fmt, ...)
{
	static char	 buf[1024];
	sqlite3_stmt	*s;
	char		 sql[1024];
	const char	*t;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	s = dbfix_prepare(f, sql);
	if (sqlite3_step(s) != SQLITE_ROW)
		snprintf(buf, sizeof(buf), "(none)");
	else {
		t = (const char *)sqlite3_column_text(s, 0);
		snprintf(buf, sizeof(buf), "%s", t ? t : "(null)");
	}
	sqlite3_finalize(s);
	return buf;
}

/* Events about one submission, request or probe (kind, ref), "what/why
 * what/why ..." in order ("-" for no why). */
static const char *
dbfix_events(struct dbfix *f, const char *kind, int64_t ref)
{
	return dbfix_text(f, "SELECT coalesce(group_concat(what || '/' || "
	    "coalesce(why, '-'), ' '), '') FROM (SELECT what, why FROM event "
	    "WHERE kind = '%s' AND ref = %lld ORDER BY id)", kind,
	    (long long)ref);
}

/* An address or network that must parse. */
static struct addr
dbfix_addr(const char *s)
{
	struct addr	 a;
	char		 err[256];

	if (addr_parse(s, &a, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return a;
}

/* A plain manual listing of cidr (code 127.0.0.2, no reason). */
static struct listing
dbfix_listing(const char *cidr)
{
	struct listing	 l;

	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr(cidr);
	l.code = DB_CODE_DEFAULT;
	l.source = "manual";
	l.actor = "test";
	return l;
}

/*
 * The key of listing.net and journal.net for an address or network as an
 * SQL blob literal (schema.sql: family byte, 4 or 16 address bytes,
 * prefix byte), for the raw queries: "x'04c000020520'".  One of four
 * static buffers, so a query can name a few.
 */
static const char *
dbfix_net(const char *s)
{
	static char	 buf[4][48];
	static int	 next;
	struct addr	 a = dbfix_addr(s);
	char		*p = buf[next++ % 4];
	int		 i, n = a.family == 4 ? 4 : 16, o;

	o = snprintf(p, 48, "x'%02x", a.family);
	for (i = 0; i < n; i++)
		o += snprintf(p + o, (size_t)(48 - o), "%02x", a.a[i]);
	snprintf(p + o, (size_t)(48 - o), "%02x'", a.prefix);
	return p;
}

/* The journal's serial through the layer (12345 would mean untouched). */
static uint32_t
dbfix_serial(struct db *db)
{
	uint32_t	 s = 12345;

	if (db_serial(db, &s) != 0)
		fail_msg("db_serial: %s", db_errmsg(db));
	return s;
}

#endif
