/*
 * test_db_migrate.c -- the migration from schema 2 to schema 3 (issue
 * #15: compact listings and journal).  A schema 2 database is built from
 * tests/unit/data/schema_v2.sql (schema.sql as the release before it had
 * it) with the rows that release wrote: listings of every kind (probe,
 * manual, import; excluded, expiring, a code and a reason of their own,
 * IPv6), journal rows with a pruned head and tail (the serial sequence
 * ahead of the last row), a probe with its tests, a submission, events.
 * Opened through the layer, it must be migrated in place with every row
 * and the serial kept, read back the same through the layer, and work on.
 *
 * Run from the top of the tree, like every unit test.
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

#define SCHEMA_V2	"tests/unit/data/schema_v2.sql"

static int
setup(void **state)
{
	return dbfix_new(state, "dbm", 0);
}

static int
teardown(void **state)
{
	return dbfix_free(state);
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("%s: cannot open (run from the top of the tree)",
		    path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((len = ftell(fp)) > 0);
	rewind(fp);
	assert_non_null(buf = malloc((size_t)len + 1));
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

static void
v2_exec(sqlite3 *h, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("schema 2: %s", msg ? msg : "?");
}

/* The rows of the schema 2 database; extra is run after them. */
static void
v2_create(const char *path, const char *extra)
{
	sqlite3	*h;
	char	*schema = slurp(SCHEMA_V2);

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	v2_exec(h, "PRAGMA journal_mode = WAL");
	v2_exec(h, "PRAGMA foreign_keys = ON");
	v2_exec(h, schema);
	free(schema);
	v2_exec(h,
	    "INSERT INTO probe (id, addr, port, started, finished, verdict, "
	    "hops, relayed_test, output_addr, transcript, ip) VALUES "
	    "(1, '192.0.2.5', 25, 100, 110, 'confirmed', 'single-hop', 2, "
	    "'192.0.2.5', '<- 220 hi', X'04C0000205000000000000000000000000');"
	    "INSERT INTO probe_test (probe_id, test_id, name, verdict) VALUES "
	    "(1, 1, 'plain', 'refused'), (1, 2, 'percent-hack', 'relayed');"
	    "INSERT INTO submission (id, addr, port, state, created, updated, "
	    "tries, probe_id, result) VALUES "
	    "(1, '192.0.2.5', 25, 'done', 90, 110, 1, 1, 'confirmed');"
	    "INSERT INTO event (ts, kind, ref, addr, actor, what) VALUES "
	    "(90, 'submission', 1, '192.0.2.5', 'web', 'queued'), "
	    "(110, 'probe', 1, '192.0.2.5', 'prober', 'confirmed');"
	    "INSERT INTO evidence (addr, port, probe_id) VALUES "
	    "('192.0.2.5', 25, 1);"
	    "INSERT INTO listing (family, net, prefix, cidr, exclude, code, "
	    "reason, source, probe_id, actor, created, updated, expires) "
	    "VALUES "
	    "(4, X'C0000205000000000000000000000000', 32, '192.0.2.5', 0, "
	    "2130706434, NULL, 'probe', 1, 'prober', 110, 110, NULL), "
	    "(4, X'C6336400000000000000000000000000', 24, '198.51.100.0/24', "
	    "0, 2130706435, 'dial-up', 'import', NULL, 'cli:root', 5, 6, "
	    "4000000000), "
	    "(4, X'C6336407000000000000000000000000', 32, '198.51.100.7', 1, "
	    "2130706434, NULL, 'manual', NULL, 'admin', 7, 7, NULL), "
	    "(6, X'20010DB8000000000000000000000000', 32, '2001:db8::/32', 0, "
	    "2130706434, 'Open relay, see $', 'manual', NULL, 'admin', 8, 8, "
	    "NULL);"
	    /* Serials 1-2 pruned, 3-6 kept, 7 handed out and pruned: the
	     * sequence says 7. */
	    "INSERT INTO journal (serial, ts, op, family, net, prefix, cidr, "
	    "exclude, code, reason, source, expires, actor, why) VALUES "
	    "(3, 5, 'add', 4, X'C6336400000000000000000000000000', 24, "
	    "'198.51.100.0/24', 0, 2130706435, 'dial-up', 'import', "
	    "4000000000, 'cli:root', 'import x'), "
	    "(4, 7, 'add', 4, X'C6336407000000000000000000000000', 32, "
	    "'198.51.100.7', 1, 2130706434, NULL, 'manual', NULL, 'admin', "
	    "NULL), "
	    "(5, 8, 'add', 6, X'20010DB8000000000000000000000000', 32, "
	    "'2001:db8::/32', 0, 2130706434, 'Open relay, see $', 'manual', "
	    "NULL, 'admin', 'spam source'), "
	    "(6, 110, 'add', 4, X'C0000205000000000000000000000000', 32, "
	    "'192.0.2.5', 0, 2130706434, NULL, 'probe', NULL, 'prober', "
	    "'test 2 arrived'), "
	    "(7, 111, 'remove', 4, X'CB007100000000000000000000000000', 24, "
	    "'203.0.113.0/24', 0, 2130706434, 'gone', 'manual', NULL, "
	    "'admin', 'repaired');"
	    "DELETE FROM journal WHERE serial = 7;"
	    "INSERT INTO meta (key, value) VALUES ('ttl', '2100');"
	    "PRAGMA user_version = 2");
	if (extra != NULL)
		v2_exec(h, extra);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

/* Callbacks writing what they see as text, one row a line. */
struct out {
	char	 buf[2048];
	size_t	 len;
};

static void
out_add(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_add(struct out *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(o->buf) - o->len);
	o->len += (size_t)n;
}

#define S(x)	((x) ? (x) : "-")

static int
listing_cb(const struct listing *l, void *arg)
{
	char	 a[ADDR_STRLEN];

	out_add(arg, "%s x%d %08x %s %s %lld %s %lld %lld %lld\n",
	    addr_format(&l->net, a, sizeof(a)), l->exclude, l->code,
	    S(l->reason), S(l->source), (long long)l->probe_id, S(l->actor),
	    (long long)l->created, (long long)l->updated,
	    (long long)l->expires);
	return 0;
}

static int
lean_cb(const struct listing *l, void *arg)
{
	char	 a[ADDR_STRLEN];

	out_add(arg, "%s x%d %08x %s %lld\n",
	    addr_format(&l->net, a, sizeof(a)), l->exclude, l->code,
	    S(l->reason), (long long)l->expires);
	return 0;
}

static int
journal_cb(const struct journal_entry *j, void *arg)
{
	char	 a[ADDR_STRLEN];

	out_add(arg, "%u %lld %s %s x%d %08x %s %s %s %s %lld\n", j->serial,
	    (long long)j->ts, S(j->op), addr_format(&j->net, a, sizeof(a)),
	    j->exclude, j->code, S(j->reason), S(j->source), S(j->actor),
	    S(j->why), (long long)j->expires);
	return 0;
}

static const char *want_listings =
    "192.0.2.5 x0 7f000002 - probe 1 prober 110 110 0\n"
    "198.51.100.0/24 x0 7f000003 dial-up import 0 cli:root 5 6 4000000000\n"
    "198.51.100.7 x1 7f000002 - manual 0 admin 7 7 0\n"
    "2001:db8::/32 x0 7f000002 Open relay, see $ manual 0 admin 8 8 0\n";

static const char *want_journal =
    "3 5 add 198.51.100.0/24 x0 7f000003 dial-up import cli:root import x "
    "4000000000\n"
    "4 7 add 198.51.100.7 x1 7f000002 - manual admin - 0\n"
    "5 8 add 2001:db8::/32 x0 7f000002 Open relay, see $ manual admin "
    "spam source 0\n"
    "6 110 add 192.0.2.5 x0 7f000002 - probe prober test 2 arrived 0\n";

static void
test_v2_to_v3(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 l;
	struct out	 o;
	struct addr	 ip;
	uint32_t	 serial;
	char		 err[512] = "";
	int		 changed;

	v2_create(f->path, NULL);

	/* Read-only: refused, left at version 2. */
	assert_null(db_open(f->path, DB_RDONLY, err, sizeof(err)));
	assert_non_null(strstr(err, "older"));
	assert_int_equal(dbfix_int(f, "PRAGMA user_version"), 2);
	sqlite3_close(f->raw);
	f->raw = NULL;

	assert_non_null(f->db = db_open(f->path, 0, err, sizeof(err)));
	assert_int_equal(db_version_found(f->db), 2);
	assert_int_equal(dbfix_int(f, "PRAGMA user_version"),
	    DB_SCHEMA_VERSION);

	/* Every listing, in address order, as it was. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(db_listing_foreach(f->db, DB_ALL | DB_ORDERED, 0,
	    listing_cb, &o), 0);
	assert_string_equal(o.buf, want_listings);
	/* The loader's scan: the same, reasons by id turned into text. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(db_listing_foreach(f->db, DB_ACTIVE | DB_LEAN, 1000,
	    lean_cb, &o), 0);
	assert_non_null(strstr(o.buf, "198.51.100.0/24 x0 7f000003 dial-up "
	    "4000000000\n"));
	assert_non_null(strstr(o.buf, "2001:db8::/32 x0 7f000002 Open relay, "
	    "see $ 0\n"));
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 4);

	/* Every journal row, and the sequence: the next serial is 8. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(db_journal_since(f->db, 0, journal_cb, &o), 0);
	assert_string_equal(o.buf, want_journal);
	assert_int_equal(db_serial(f->db, &serial), 0);
	assert_int_equal(serial, 7);
	memset(&o, 0, sizeof(o));
	ip = dbfix_addr("198.51.100.7");
	assert_int_equal(db_journal_covering(f->db, &ip, journal_cb, &o), 0);
	assert_string_equal(o.buf, "3 5 add 198.51.100.0/24 x0 7f000003 "
	    "dial-up import cli:root import x 4000000000\n"
	    "4 7 add 198.51.100.7 x1 7f000002 - manual admin - 0\n");

	/* Each text once; the default code as NULL. */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM str"), 8);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing WHERE "
	    "code IS NULL"), 3);

	/* The rest untouched. */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM probe"), 1);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM probe_test"), 2);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM submission WHERE "
	    "state = 'done' AND probe_id = 1"), 1);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM event"), 2);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM evidence"), 1);
	assert_string_equal(dbfix_text(f, "SELECT value FROM meta WHERE "
	    "key = 'ttl'"), "2100");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM sqlite_master "
	    "WHERE name LIKE '%%_v2'"), 0);
	assert_string_equal(dbfix_text(f, "PRAGMA integrity_check"), "ok");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM "
	    "pragma_foreign_key_check"), 0);

	/* It works on: a new listing takes serial 8, an old one goes. */
	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr("203.0.113.0/24");
	l.source = "manual";
	l.actor = "admin";
	l.code = DB_CODE_DEFAULT;
	l.reason = "dial-up";
	assert_int_equal(db_listing_put(f->db, &l, "again", &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(db_serial(f->db, &serial), 0);
	assert_int_equal(serial, 8);
	ip = dbfix_addr("192.0.2.5");
	assert_int_equal(db_listing_remove(f->db, &ip, "admin", "repaired"),
	    0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM evidence"), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM str"), 10);

	/* Opened again: nothing to do. */
	db_close(f->db);
	assert_non_null(f->db = db_open(f->path, 0, err, sizeof(err)));
	assert_int_equal(db_version_found(f->db), DB_SCHEMA_VERSION);
}

/* An empty schema 2 database (no journal row ever): migrated, and the
 * first serial is 1. */
static void
test_v2_empty(void **state)
{
	struct dbfix	*f = *state;
	sqlite3		*h;
	char		*schema = slurp(SCHEMA_V2), err[512] = "";
	uint32_t	 serial = 99;

	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	v2_exec(h, schema);
	v2_exec(h, "PRAGMA user_version = 2");
	free(schema);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
	assert_non_null(f->db = db_open(f->path, 0, err, sizeof(err)));
	assert_int_equal(db_serial(f->db, &serial), 0);
	assert_int_equal(serial, 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 0);
}

/* A row the migration cannot convert: nothing changes, the database stays
 * at version 2 and the reason is given. */
static void
test_v2_bad_row(void **state)
{
	struct dbfix	*f = *state;
	char		 err[512] = "";

	v2_create(f->path, "PRAGMA ignore_check_constraints = 1;"
	    "INSERT INTO listing (family, net, prefix, cidr, source, actor, "
	    "created, updated) VALUES (4, X'C000', 32, 'x', 'manual', 'a', "
	    "1, 1)");
	assert_null(f->db = db_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "orbl_net"));
	assert_int_equal(dbfix_int(f, "PRAGMA user_version"), 2);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 5);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal"), 4);
}

int
main(void)
{
#define U(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		U(test_v2_to_v3),
		U(test_v2_empty),
		U(test_v2_bad_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
