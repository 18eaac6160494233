/*
 * test_db_mode.c -- the database's file modes (db/db.c): a database that
 * db_open creates is mode 0600 whatever the umask, and so are the -wal
 * and -shm files SQLite makes beside it; an existing file's mode is left
 * alone and reported by db_file_mode().
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "dbfix.h"

/* The directory only: each test opens f->path under its own umask. */
static int
setup(void **state)
{
	return dbfix_new(state, "dbmode", 0);
}

static int
teardown(void **state)
{
	return dbfix_free(state);
}

static int
mode_of(const char *path, const char *suffix)
{
	struct stat	 sb;
	char		 p[128];

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	if (stat(p, &sb) == -1)
		return -1;
	return (int)(sb.st_mode & 07777);
}

static void
test_created_0600(void **state)
{
	struct dbfix	*f = *state;
	struct db	*db, *db2;
	char		 err[512] = "";
	mode_t		 um;

	/* The loosest umask: the modes come from db_open, not from it. */
	um = umask(0);
	db = db_open(f->path, DB_CREATE, err, sizeof(err));
	umask(um);
	if (db == NULL)
		fail_msg("db_open: %s", err);
	assert_int_equal(mode_of(f->path, ""), 0600);
	assert_int_equal(db_file_mode(db), 0600);
	/* A write: the WAL and its index exist now, while db is open. */
	assert_int_equal(db_meta_set(db, "k", "v"), 0);
	assert_int_equal(mode_of(f->path, "-wal"), 0600);
	assert_int_equal(mode_of(f->path, "-shm"), 0600);
	/* A second connection (another program) changes nothing. */
	um = umask(0);
	db2 = db_open(f->path, 0, err, sizeof(err));
	umask(um);
	assert_non_null(db2);
	assert_int_equal(db_meta_set(db2, "k", "w"), 0);
	assert_int_equal(mode_of(f->path, "-wal"), 0600);
	assert_int_equal(mode_of(f->path, "-shm"), 0600);
	db_close(db2);
	db_close(db);
}

/* An existing file is not chmod'ed: its mode is reported for a warning. */
static void
test_existing_reported(void **state)
{
	struct dbfix	*f = *state;
	struct db	*db;
	char		 err[512] = "";

	db = db_open(f->path, DB_CREATE, err, sizeof(err));
	assert_non_null(db);
	db_close(db);
	assert_int_equal(chmod(f->path, 0644), 0);
	db = db_open(f->path, 0, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(db_file_mode(db), 0644);
	assert_true(db_file_mode(db) & 077);
	assert_int_equal(mode_of(f->path, ""), 0644);
	/* SQLite follows the main file for new -wal and -shm files. */
	assert_int_equal(db_meta_set(db, "k", "v"), 0);
	assert_int_equal(mode_of(f->path, "-wal"), 0644);
	db_close(db);
	assert_int_equal(db_file_mode(NULL), -1);
}

/* db_meta_delete: gone, DB_NOTFOUND the second time. */
static void
test_meta_delete(void **state)
{
	struct dbfix	*f = *state;
	struct db	*db;
	char		 err[512] = "", buf[64];

	db = db_open(f->path, DB_CREATE, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(db_meta_set(db, "cookie_key", "v"), 0);
	assert_int_equal(db_meta_set(db, "other", "o"), 0);
	assert_int_equal(db_meta_delete(db, "cookie_key"), 0);
	assert_int_equal(db_meta_get(db, "cookie_key", buf, sizeof(buf)),
	    DB_NOTFOUND);
	assert_int_equal(db_meta_delete(db, "cookie_key"), DB_NOTFOUND);
	assert_int_equal(db_meta_get(db, "other", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "o");
	/* Inside an explicit transaction, too (rolled back with it). */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_meta_delete(db, "other"), 0);
	assert_int_equal(db_rollback(db), 0);
	assert_int_equal(db_meta_get(db, "other", buf, sizeof(buf)), 0);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_0600, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_existing_reported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_meta_delete, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
