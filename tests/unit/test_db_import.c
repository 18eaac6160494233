/*
 * test_db_import.c -- unit tests for db/db_import.c, the bulk import of
 * orblctl import: staged entries written in key order with the same
 * outcome as db_listing_put per entry (added, updated, unchanged; one
 * journal row per change; the last of duplicates wins), --replace, and
 * a rollback leaving nothing behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "addr.h"
#include "db.h"
#include "dbfix.h"

static int
setup(void **state)
{
	return dbfix_new(state, "dbi", 1);
}

static int
teardown(void **state)
{
	return dbfix_free(state);
}

static void
stage(struct db *db, const char *cidr, int exclude, uint32_t code,
    const char *reason)
{
	struct addr	 a = dbfix_addr(cidr);

	if (db_import_stage(db, &a, exclude, code, reason) != 0)
		fail_msg("stage %s: %s", cidr, db_errmsg(db));
}

static void
put(struct db *db, const char *cidr, const char *source, const char *reason)
{
	struct listing	 l;
	int		 changed;

	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr(cidr);
	l.source = source;
	l.actor = "admin";
	l.code = DB_CODE_DEFAULT;
	l.reason = reason;
	if (db_listing_put(db, &l, "before", &changed) != 0)
		fail_msg("put %s: %s", cidr, db_errmsg(db));
}

/* Every listing as "cidr:code:reason:source" in order. */
static int
row_cb(const struct listing *l, void *arg)
{
	char	*buf = arg, a[ADDR_STRLEN];
	size_t	 n = strlen(buf);

	snprintf(buf + n, 1024 - n, "%s%s:%x:%s:%s", n ? " " : "",
	    addr_format(&l->net, a, sizeof(a)), l->code & 0xff,
	    l->reason ? l->reason : "-", l->source);
	return 0;
}

static const char *
listings(struct db *db)
{
	static char	 buf[1024];

	buf[0] = '\0';
	assert_int_equal(db_listing_foreach(db, DB_ALL | DB_ORDERED, 0,
	    row_cb, buf), 0);
	return buf;
}

static void
test_import_counts(void **state)
{
	struct dbfix		*f = *state;
	struct db_import_counts	 c;
	uint32_t		 s0;

	put(f->db, "192.0.2.1", "import", NULL);	/* the same: unchanged */
	put(f->db, "192.0.2.2", "manual", NULL);	/* becomes an import */
	put(f->db, "192.0.2.3", "import", "old");	/* another reason */
	s0 = dbfix_serial(f->db);

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_import_begin(f->db), 0);
	stage(f->db, "198.51.100.0/24", 0, 0x7f000003, "dial-up");
	stage(f->db, "192.0.2.3", 0, DB_CODE_DEFAULT, "new");
	stage(f->db, "192.0.2.1", 0, DB_CODE_DEFAULT, NULL);
	stage(f->db, "192.0.2.9", 0, DB_CODE_DEFAULT, "first");
	stage(f->db, "192.0.2.2", 0, DB_CODE_DEFAULT, NULL);
	stage(f->db, "192.0.2.9", 0, DB_CODE_DEFAULT, "last");	/* wins */
	stage(f->db, "192.0.2.9", 0, DB_CODE_DEFAULT, "last");
	stage(f->db, "2001:db8::/32", 1, DB_CODE_DEFAULT, NULL);
	assert_int_equal(db_import_apply(f->db, "cli:root", "import t", NULL,
	    &c, NULL, NULL), 0);
	assert_int_equal(db_commit(f->db), 0);
	db_import_end(f->db);

	assert_int_equal(c.staged, 8);
	/* New: the /24, .9, the IPv6 one.  Updated: .2 (source), .3
	 * (reason), the first .9 (overtaken).  Unchanged: .1, the second
	 * "last" .9. */
	assert_int_equal(c.added, 3);
	assert_int_equal(c.updated, 3);
	assert_int_equal(c.unchanged, 2);
	assert_int_equal(c.removed, 0);
	assert_string_equal(listings(f->db),
	    "192.0.2.1:2:-:import 192.0.2.2:2:-:import 192.0.2.3:2:new:import "
	    "192.0.2.9:2:last:import 198.51.100.0/24:3:dial-up:import "
	    "2001:db8::/32:2:-:import");
	/* One journal row per change, in address order, after s0. */
	assert_int_equal(dbfix_serial(f->db), s0 + 5);
	assert_string_equal(dbfix_text(f, "SELECT group_concat(hex(net), ' ') "
	    "FROM (SELECT net FROM journal WHERE serial > %u ORDER BY serial)",
	    s0), "04C000020220 04C000020320 04C000020920 04C633640018 "
	    "0620010DB800000000000000000000000020");
}

/* More than a staging batch (64), duplicates across batches, the last
 * partial batch: every entry written once, in order, the last one wins. */
static void
test_import_batches(void **state)
{
	struct dbfix		*f = *state;
	struct db_import_counts	 c;
	char			 a[32];
	int			 i;

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_import_begin(f->db), 0);
	for (i = 299; i >= 0; i--) {	/* backwards: the sort must work */
		snprintf(a, sizeof(a), "10.0.%d.%d", i / 256, i % 256);
		stage(f->db, a, 0, DB_CODE_DEFAULT, i % 2 ? "odd" : "even");
	}
	stage(f->db, "10.0.0.63", 0, 0x7f000005, "again");	/* 2nd batch */
	stage(f->db, "10.0.1.42", 0, DB_CODE_DEFAULT, "even");	/* same */
	assert_int_equal(db_import_apply(f->db, "cli:root", "import t", NULL,
	    &c, NULL, NULL), 0);
	assert_int_equal(db_commit(f->db), 0);
	db_import_end(f->db);
	assert_int_equal(c.staged, 302);
	assert_int_equal(c.added, 300);
	assert_int_equal(c.updated, 1);		/* the first 10.0.0.63 */
	assert_int_equal(c.unchanged, 1);	/* the second 10.0.1.42 */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 300);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal"), 300);
	assert_string_equal(dbfix_text(f, "SELECT code || ' ' || s FROM "
	    "listing JOIN str ON str.id = reason WHERE net = %s",
	    dbfix_net("10.0.0.63")), "2130706437 again");
	/* The journal in address order: serials follow the keys. */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal a JOIN "
	    "journal b ON b.serial = a.serial + 1 WHERE b.net < a.net"), 0);
}

static void
test_import_replace(void **state)
{
	struct dbfix		*f = *state;
	struct db_import_counts	 c;
	char			 err[64];

	put(f->db, "192.0.2.1", "import", NULL);
	put(f->db, "192.0.2.2", "import", NULL);	/* not in the file */
	put(f->db, "192.0.2.3", "manual", NULL);	/* not an import */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_import_begin(f->db), 0);
	stage(f->db, "192.0.2.1", 0, DB_CODE_DEFAULT, NULL);
	assert_int_equal(db_import_apply(f->db, "cli:root", "import t",
	    "replaced", &c, NULL, NULL), 0);
	assert_int_equal(db_commit(f->db), 0);
	db_import_end(f->db);
	assert_int_equal(c.unchanged, 1);
	assert_int_equal(c.removed, 1);
	assert_string_equal(listings(f->db),
	    "192.0.2.1:2:-:import 192.0.2.3:2:-:manual");
	assert_string_equal(dbfix_text(f, "SELECT op || ' ' || s FROM journal "
	    "JOIN str ON str.id = why ORDER BY serial DESC LIMIT 1"),
	    "remove replaced");
	(void)err;
}

/* A failure half way: the rollback takes the staging and the writes. */
static void
test_import_rollback(void **state)
{
	struct dbfix	*f = *state;
	struct addr	 bad = dbfix_addr("192.0.2.0/24");

	put(f->db, "192.0.2.1", "manual", NULL);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_import_begin(f->db), 0);
	stage(f->db, "198.51.100.1", 0, DB_CODE_DEFAULT, "a new reason");
	bad.a[3] = 1;		/* host bits past the prefix */
	assert_int_equal(db_import_stage(f->db, &bad, 0, DB_CODE_DEFAULT,
	    NULL), -1);
	assert_non_null(strstr(db_errmsg(f->db), "malformed"));
	assert_int_equal(db_rollback(f->db), 0);
	db_import_end(f->db);
	assert_string_equal(listings(f->db), "192.0.2.1:2:-:manual");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM str WHERE "
	    "s = 'a new reason'"), 0);
	/* And the connection imports again afterwards. */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_import_begin(f->db), 0);
	stage(f->db, "198.51.100.1", 0, DB_CODE_DEFAULT, "a new reason");
	{
		struct db_import_counts	 c;

		assert_int_equal(db_import_apply(f->db, "x", "y", NULL, &c,
		    NULL, NULL), 0);
		assert_int_equal(c.added, 1);
	}
	assert_int_equal(db_commit(f->db), 0);
	db_import_end(f->db);
	assert_string_equal(listings(f->db), "192.0.2.1:2:-:manual "
	    "198.51.100.1:2:a new reason:import");
}

int
main(void)
{
#define U(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		U(test_import_counts),
		U(test_import_batches),
		U(test_import_replace),
		U(test_import_rollback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
