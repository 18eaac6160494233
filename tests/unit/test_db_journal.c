/*
 * test_db_journal.c -- unit tests for the mirrors' side of db/db_listing.c:
 * the expiry sweep (db_listing_expire), journal compaction
 * (db_journal_prune, db_journal_horizon) and the state of a prefix at a
 * serial (db_journal_state_at).
 *
 * The central one is a random churn of adds, updates and removes over a
 * few dozen prefixes, with a snapshot of the listing table after every
 * serial; after each compaction, the state db_journal_state_at derives
 * for every prefix at every serial from the horizon on must be the
 * snapshot's.  Journal times are set by hand (raw SQL) so that a cut can
 * fall between any two serials.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "addr.h"
#include "db.h"
#include "dbfix.h"

#define CHURN_NETS	40
#define CHURN_OPS	1500
#define STATE_LEN	160

static int
setup(void **state)
{
	return dbfix_new(state, "journal", 1);
}

static int
teardown(void **state)
{
	return dbfix_free(state);
}


static void
put(struct db *db, const struct listing *l)
{
	if (db_listing_put(db, l, NULL, NULL) != 0)
		fail_msg("db_listing_put: %s", db_errmsg(db));
}

/* A listing or a journal add as one line of text. */
static void
state_text(char *buf, size_t len, int exclude, uint32_t code,
    const char *reason, int64_t expires)
{
	snprintf(buf, len, "add ex=%d code=%08x reason=%s expires=%lld",
	    exclude, code, reason ? reason : "(null)", (long long)expires);
}

static int
listing_text_cb(const struct listing *l, void *arg)
{
	state_text(arg, STATE_LEN, l->exclude, l->code, l->reason,
	    l->expires);
	return 0;
}

static int
journal_text_cb(const struct journal_entry *j, void *arg)
{
	assert_string_equal(j->op, "add");
	state_text(arg, STATE_LEN, j->exclude, j->code, j->reason,
	    j->expires);
	return 0;
}

/* What the listing table says of net now: a line, or "none". */
static void
now_state(struct db *db, const struct addr *net, char *buf)
{
	int	 rc;

	snprintf(buf, STATE_LEN, "none");
	rc = db_listing_get(db, net, listing_text_cb, buf);
	if (rc != 0 && rc != DB_NOTFOUND)
		fail_msg("db_listing_get: %s", db_errmsg(db));
}

/* What the journal says of net at serial: a line, or "none". */
static void
state_at(struct db *db, const struct addr *net, uint32_t serial, char *buf)
{
	int	 rc;

	snprintf(buf, STATE_LEN, "none");
	rc = db_journal_state_at(db, net, serial, journal_text_cb, buf);
	if (rc == DB_NOTFOUND)
		assert_string_equal(buf, "none");
	else if (rc != 0)
		fail_msg("db_journal_state_at: %s", db_errmsg(db));
}

static uint32_t
horizon(struct db *db)
{
	uint32_t	 h = 12345;

	if (db_journal_horizon(db, &h) != 0)
		fail_msg("db_journal_horizon: %s", db_errmsg(db));
	return h;
}

/* --- the expiry sweep ---------------------------------------------------- */

static void
test_expire(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 l;
	int64_t		 now = time(NULL);
	uint64_t	 n = 99;
	uint32_t	 s0;
	char		 buf[STATE_LEN];

	l = dbfix_listing("192.0.2.1");
	l.expires = now - 10;
	l.reason = "gone soon";
	put(f->db, &l);
	l = dbfix_listing("2001:db8::/48");
	l.expires = now;		/* expires <= now: expired */
	put(f->db, &l);
	l = dbfix_listing("192.0.2.2");
	l.expires = now + 3600;
	put(f->db, &l);
	put(f->db, &(struct listing){ .net = dbfix_addr("192.0.2.3"),
	    .code = DB_CODE_DEFAULT, .source = "manual", .actor = "test" });
	s0 = dbfix_serial(f->db);
	assert_int_equal(s0, 4);

	assert_int_equal(db_listing_expire(f->db, now, "sweeper", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dbfix_serial(f->db), s0 + 2);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 2);
	now_state(f->db, &(struct addr){ .family = 4, .prefix = 32,
	    .a = { 192, 0, 2, 1 } }, buf);
	assert_string_equal(buf, "none");
	/* Each a remove row with why "expired" and the actor, and the
	 * listing's values as the remove rows of db_listing_remove. */
	assert_string_equal(dbfix_text(f, "SELECT group_concat(op || '/' || "
	    "a.s || '/' || w.s || '/' || coalesce(r.s, '-'), ' ') FROM "
	    "(SELECT * FROM journal WHERE serial > %u ORDER BY serial) j "
	    "JOIN str a ON a.id = j.actor JOIN str w ON w.id = j.why "
	    "LEFT JOIN str r ON r.id = j.reason", s0),
	    "remove/sweeper/expired/gone soon remove/sweeper/expired/-");
	/* Nothing more: no row, the serial stays. */
	assert_int_equal(db_listing_expire(f->db, now, "sweeper", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dbfix_serial(f->db), s0 + 2);
	/* The one expiring later goes at its time. */
	assert_int_equal(db_listing_expire(f->db, now + 3600, "sweeper", NULL),
	    0);
	assert_int_equal(dbfix_serial(f->db), s0 + 3);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 1);
}

/* A batch a call: one short transaction each, the caller goes on. */
static void
test_expire_batches(void **state)
{
	struct dbfix	*f = *state;
	uint64_t	 n, total = 0;
	int		 calls = 0;

	struct listing	 l = dbfix_listing("10.0.0.0/32");
	int		 i;

	/* 10,050 listings in 10.0.0.0/8, expired at 100. */
	assert_int_equal(db_begin(f->db), 0);
	for (i = 0; i < 10050; i++) {
		l.net.a[1] = (uint8_t)(i >> 16);
		l.net.a[2] = (uint8_t)(i >> 8);
		l.net.a[3] = (uint8_t)i;
		l.expires = 100;
		put(f->db, &l);
	}
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 10050);
	do {
		assert_int_equal(db_listing_expire(f->db, 200, "sweeper", &n),
		    0);
		assert_true(n <= 10000);
		total += n;
		calls++;
	} while (n > 0);
	assert_int_equal(total, 10050);
	assert_int_equal(calls, 3);	/* 10000, 50, 0 */
	assert_int_equal(dbfix_serial(f->db), 2 * 10050);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 0);
}

/* --- state at a serial ---------------------------------------------------- */

static void
test_state_at(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 l = dbfix_listing("198.51.100.0/24");
	struct addr	 never = dbfix_addr("203.0.113.9");
	char		 buf[STATE_LEN];

	/* A net the journal never saw: not listed at any serial. */
	state_at(f->db, &never, 0, buf);
	assert_string_equal(buf, "none");
	state_at(f->db, &never, UINT32_MAX, buf);
	assert_string_equal(buf, "none");

	l.reason = "first";
	put(f->db, &l);				/* 1 */
	put(f->db, &(struct listing){ .net = dbfix_addr("198.51.100.0/25"),
	    .code = DB_CODE_DEFAULT, .source = "manual", .actor = "t" });
	l.reason = "second";
	l.code = 0x7f000004;
	put(f->db, &l);				/* 3 */
	assert_int_equal(db_listing_remove(f->db, &l.net, "t", "gone"), 0);
	l.reason = NULL;
	l.code = DB_CODE_DEFAULT;
	l.exclude = 1;
	put(f->db, &l);				/* 5 */

	state_at(f->db, &l.net, 0, buf);
	assert_string_equal(buf, "none");
	state_at(f->db, &l.net, 1, buf);
	assert_string_equal(buf, "add ex=0 code=7f000002 reason=first "
	    "expires=0");
	state_at(f->db, &l.net, 2, buf);	/* the /25's row: not ours */
	assert_string_equal(buf, "add ex=0 code=7f000002 reason=first "
	    "expires=0");
	state_at(f->db, &l.net, 3, buf);
	assert_string_equal(buf, "add ex=0 code=7f000004 reason=second "
	    "expires=0");
	state_at(f->db, &l.net, 4, buf);	/* removed */
	assert_string_equal(buf, "none");
	state_at(f->db, &l.net, 5, buf);
	assert_string_equal(buf, "add ex=1 code=7f000002 reason=(null) "
	    "expires=0");
	state_at(f->db, &l.net, 99, buf);
	assert_string_equal(buf, "add ex=1 code=7f000002 reason=(null) "
	    "expires=0");
	/* Exactly net: the covering /24 says nothing about a /26. */
	never = dbfix_addr("198.51.100.0/26");
	state_at(f->db, &never, 5, buf);
	assert_string_equal(buf, "none");
}

/* --- compaction ----------------------------------------------------------- */

/* Journal row serial s was written at 1000 + s (its real time is now). */
static void
journal_times(struct dbfix *f)
{
	dbfix_exec(f, "UPDATE journal SET ts = 1000 + serial");
}

static void
prune_ok(struct db *db, int64_t before, uint64_t *deleted, uint32_t *h)
{
	if (db_journal_prune(db, before, deleted, h) != 0)
		fail_msg("db_journal_prune: %s", db_errmsg(db));
}

static void
test_horizon(void **state)
{
	struct dbfix	*f = *state;
	uint64_t	 del = 99;
	uint32_t	 h = 99;
	int		 i;
	char		 cidr[32];

	assert_int_equal(horizon(f->db), 0);	/* never pruned */
	/* Nothing to prune yet. */
	prune_ok(f->db, 5000, &del, &h);
	assert_int_equal(del, 0);
	assert_int_equal(h, 0);
	assert_int_equal(horizon(f->db), 0);
	for (i = 1; i <= 10; i++) {
		snprintf(cidr, sizeof(cidr), "192.0.2.%d", i);
		put(f->db, &(struct listing){ .net = dbfix_addr(cidr),
		    .code = DB_CODE_DEFAULT, .source = "manual",
		    .actor = "t" });
	}
	for (i = 1; i <= 5; i++) {
		struct addr a;

		snprintf(cidr, sizeof(cidr), "192.0.2.%d", i);
		a = dbfix_addr(cidr);
		assert_int_equal(db_listing_remove(f->db, &a, "t", NULL), 0);
	}
	journal_times(f);			/* serials 1..15 */
	/* Before 1008: the cut is serial 7; 1..5 are adds still in force
	 * (removed only after the cut), 6, 7 too: nothing can go. */
	prune_ok(f->db, 1008, &del, &h);
	assert_int_equal(del, 0);
	assert_int_equal(h, 7);
	assert_int_equal(horizon(f->db), 7);
	/* Before 1014: cut 13; the adds of 1..3 and their removes go. */
	prune_ok(f->db, 1014, &del, &h);
	assert_int_equal(del, 6);
	assert_int_equal(h, 13);
	assert_int_equal(horizon(f->db), 13);
	/* An earlier cut never lowers it. */
	prune_ok(f->db, 1003, &del, &h);
	assert_int_equal(del, 0);
	assert_int_equal(h, 13);
	assert_int_equal(horizon(f->db), 13);
	assert_string_equal(dbfix_text(f, "SELECT value FROM meta WHERE key "
	    "= 'journal_horizon'"), "13");
	/* Everything: only the adds in force are left; the serial stays. */
	prune_ok(f->db, 1 << 30, &del, &h);
	assert_int_equal(h, 15);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal"), 5);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal WHERE "
	    "op = 'add'"), 5);
	assert_int_equal(dbfix_serial(f->db), 15);
	/* NULL out-parameters are fine. */
	assert_int_equal(db_journal_prune(f->db, 1 << 30, NULL, NULL), 0);
}

/* The last row of a prefix is a remove: it goes, and the serial stays
 * (it is sqlite_sequence's, not max(serial)). */
static void
test_prune_all(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 l = dbfix_listing("2001:db8::/32");
	uint64_t	 del;
	uint32_t	 h;
	char		 buf[STATE_LEN];

	put(f->db, &l);
	assert_int_equal(db_listing_remove(f->db, &l.net, "t", NULL), 0);
	journal_times(f);
	prune_ok(f->db, 5000, &del, &h);
	assert_int_equal(del, 2);
	assert_int_equal(h, 2);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal"), 0);
	assert_int_equal(dbfix_serial(f->db), 2);
	state_at(f->db, &l.net, 2, buf);
	assert_string_equal(buf, "none");
	/* The next change takes the next serial. */
	put(f->db, &l);
	assert_int_equal(dbfix_serial(f->db), 3);
	assert_int_equal(horizon(f->db), 2);
}

/* A tiny deterministic generator (no dependence on libc's rand). */
static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void
churn_nets(struct addr *nets)
{
	char	 cidr[64];
	int	 i;

	for (i = 0; i < CHURN_NETS; i++) {
		if (i % 3 == 2)
			snprintf(cidr, sizeof(cidr), "2001:db8:%x::/48", i);
		else
			snprintf(cidr, sizeof(cidr), "10.%d.%d.0/%d", i % 7,
			    i, 24 + i % 9);
		nets[i] = dbfix_addr(cidr);
		addr_mask(&nets[i]);
	}
}

/* One random change to one of nets; returns whether it was written. */
static void
churn_op(struct db *db, const struct addr *nets, uint32_t *seed)
{
	static const char *const reasons[] = { NULL, "spam", "relay $",
	    "other" };
	struct listing	 l;
	int		 k = (int)(rnd(seed) % CHURN_NETS), rc;

	if (rnd(seed) % 3 == 0) {
		rc = db_listing_remove(db, &nets[k], "churn", "random");
		assert_true(rc == 0 || rc == DB_NOTFOUND);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.net = nets[k];
	l.exclude = rnd(seed) % 5 == 0;
	l.code = 0x7f000002 + rnd(seed) % 3;
	l.reason = reasons[rnd(seed) % 4];
	l.expires = rnd(seed) % 4 == 0 ? 4000000000LL + rnd(seed) % 9 : 0;
	l.source = "manual";
	l.actor = "churn";
	put(db, &l);
}

/*
 * Random churn with a snapshot per serial; prune at several cuts; after
 * each, every prefix at every serial from the horizon on is what the
 * snapshot says.
 */
static void
test_churn(void **state)
{
	struct dbfix	*f = *state;
	struct addr	 nets[CHURN_NETS];
	char		(*snap)[CHURN_NETS][STATE_LEN];
	char		 got[STATE_LEN];
	uint32_t	 seed = 48, s, first, last, h, prev_h = 0;
	uint64_t	 del, deleted = 0;
	int64_t		 rows0;
	int		 op, i, cut, k;
	static const int cuts[] = { 100, 600, 450, 1200, 0 };

	churn_nets(nets);
	snap = calloc(CHURN_OPS + 2, sizeof(*snap));
	assert_non_null(snap);
	first = dbfix_serial(f->db);
	assert_int_equal(first, 0);
	for (i = 0; i < CHURN_NETS; i++)
		snprintf(snap[0][i], STATE_LEN, "none");
	for (op = 0; op < CHURN_OPS; op++) {
		churn_op(f->db, nets, &seed);
		s = dbfix_serial(f->db);
		assert_true(s <= (uint32_t)CHURN_OPS);
		for (i = 0; i < CHURN_NETS; i++)
			now_state(f->db, &nets[i], snap[s][i]);
	}
	last = dbfix_serial(f->db);
	assert_true(last > CHURN_OPS / 2);
	journal_times(f);
	rows0 = dbfix_int(f, "SELECT count(*) FROM journal");
	assert_int_equal(rows0, last);
	/* Before any prune, too: every serial from 0. */
	for (s = 0; s <= last; s += 7)
		for (i = 0; i < CHURN_NETS; i++) {
			state_at(f->db, &nets[i], s, got);
			assert_string_equal(got, snap[s][i]);
		}
	for (k = 0; cuts[k] != 0; k++) {
		cut = cuts[k];
		prune_ok(f->db, 1000 + cut, &del, &h);
		deleted += del;
		/* The last serial before the cut, never lower than before. */
		assert_int_equal(h, (uint32_t)(cut - 1) > prev_h ?
		    (uint32_t)(cut - 1) : prev_h);
		assert_int_equal(horizon(f->db), h);
		prev_h = h;
		assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal"),
		    rows0 - (int64_t)deleted);
		assert_int_equal(dbfix_serial(f->db), last);
		for (s = h; s <= last; s++)
			for (i = 0; i < CHURN_NETS; i++) {
				state_at(f->db, &nets[i], s, got);
				if (strcmp(got, snap[s][i]) != 0)
					fail_msg("cut %d: net %d at serial %u: "
					    "journal \"%s\", table \"%s\"", cut,
					    i, s, got, snap[s][i]);
			}
		/* At most one row per prefix is left at or below h. */
		assert_true(dbfix_int(f, "SELECT count(*) FROM journal WHERE "
		    "serial <= %u", h) <= CHURN_NETS);
		assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal "
		    "WHERE serial <= %u AND op = 'remove'", h), 0);
	}
	assert_true(deleted > 0);
	free(snap);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_expire),
		T(test_expire_batches),
		T(test_state_at),
		T(test_horizon),
		T(test_prune_all),
		T(test_churn),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
