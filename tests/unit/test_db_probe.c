/*
 * test_db_probe.c -- unit tests for db/db_probe.c, the prober's part of
 * the db layer: submissions and their claim, probe runs and their tests,
 * arrivals at the sink, and the event trail.  (Claims across kinds,
 * evidence, leases and the migration to schema 2: test_db_claim.c.)
 *
 * Every test runs on a fresh database file in its own temporary directory,
 * removed afterwards.  A raw sqlite3 connection looks behind the layer's
 * back (event and journal rows) and moves times around.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "addr.h"
#include "db.h"
#include "dbfix.h"

static int
setup(void **state)
{
	return dbfix_new(state, "dbp", 1);
}

static int
teardown(void **state)
{
	return dbfix_free(state);
}

static int64_t
nevents(struct dbfix *f)
{
	return dbfix_int(f, "SELECT count(*) FROM event");
}

static void
cp(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "(null)");
}

/* A listing of cidr that a probe found. */
static struct listing
L(const char *cidr, int64_t probe_id)
{
	struct listing	 l;

	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr(cidr);
	l.code = DB_CODE_DEFAULT;
	l.source = "probe";
	l.probe_id = probe_id;
	l.actor = "prober";
	return l;
}

/* ------------------------------------------------------------------ */
/* Submissions */

static int64_t
sub_add(struct db *db, const char *addr, const char *submitter)
{
	int64_t	 id = -1;

	if (db_submission_add(db, addr, 25, submitter, "203.0.113.9", "web",
	    &id) != 0)
		fail_msg("db_submission_add: %s", db_errmsg(db));
	assert_true(id > 0);
	return id;
}

/* A copy of one submission, every field. */
struct subrow {
	int			 n;
	struct submission	 x;
	char			 addr[64], submitter[64], client[64];
	char			 state[16], result[32];
};

static int
subrow_cb(const struct submission *x, void *arg)
{
	struct subrow	*r = arg;

	r->n++;
	r->x = *x;
	cp(r->addr, sizeof(r->addr), x->addr);
	cp(r->submitter, sizeof(r->submitter), x->submitter);
	cp(r->client, sizeof(r->client), x->client);
	cp(r->state, sizeof(r->state), x->state);
	cp(r->result, sizeof(r->result), x->result);
	r->x.addr = r->x.submitter = r->x.client = NULL;
	r->x.state = r->x.result = NULL;
	return 0;
}

static struct subrow
sub_get(struct db *db, int64_t id)
{
	struct subrow	 r;
	int		 rc;

	memset(&r, 0, sizeof(r));
	if ((rc = db_submission_get(db, id, subrow_cb, &r)) != 0)
		fail_msg("db_submission_get(%lld) = %d: %s", (long long)id, rc,
		    db_errmsg(db));
	assert_int_equal(r.n, 1);
	return r;
}

/* Ids seen by a callback, "1 2 3", and how many. */
struct ids {
	char	 s[1024];
	int	 n;
	int	 stop_after;	/* 0: never */
};

static void
ids_add(struct ids *v, int64_t id)
{
	size_t	 o = strlen(v->s);

	snprintf(v->s + o, sizeof(v->s) - o, "%s%lld", o ? " " : "",
	    (long long)id);
	v->n++;
}

static int
ids_sub(const struct submission *x, void *arg)
{
	struct ids	*v = arg;

	ids_add(v, x->id);
	return v->stop_after && v->n >= v->stop_after ? 7 : 0;
}

static const char *
sub_list(struct db *db, const char *state, int limit)
{
	static struct ids	 v;

	memset(&v, 0, sizeof(v));
	if (db_submission_foreach(db, state, limit, ids_sub, &v) != 0)
		fail_msg("db_submission_foreach: %s", db_errmsg(db));
	return v.s;
}

#define LEASE	600		/* the claims' lease in these tests */

/* Claim at now for "prober", at most max; the ids claimed, in callback
 * order. */
static const char *
claim(struct db *db, int64_t now, int max)
{
	static struct ids	 v;

	memset(&v, 0, sizeof(v));
	if (db_submission_claim(db, now, now + LEASE, "prober", max, ids_sub,
	    &v) != 0)
		fail_msg("db_submission_claim: %s", db_errmsg(db));
	return v.s;
}

/* The run on addr ended: its claim goes (as the prober does it, in the
 * run's transaction). */
static void
release(struct db *db, const char *addr)
{
	if (db_claim_release(db, addr, "prober") != 0)
		fail_msg("db_claim_release: %s", db_errmsg(db));
}

/* "owner lease_until" of the claim on addr, or "-" if none. */
static const char *
claim_of(struct db *db, const char *addr)
{
	static char	 buf[128];
	char		 owner[64];
	int64_t		 lease = 0;
	int		 rc;

	rc = db_claim_get(db, addr, owner, sizeof(owner), &lease);
	if (rc == DB_NOTFOUND)
		return "-";
	if (rc != 0)
		fail_msg("db_claim_get: %s", db_errmsg(db));
	snprintf(buf, sizeof(buf), "%s %lld", owner, (long long)lease);
	return buf;
}

static void
sub_set(struct db *db, int64_t id, const char *state, const char *result,
    int64_t probe_id, int64_t not_before, const char *why)
{
	if (db_submission_set(db, id, state, result, probe_id, not_before,
	    "test", why) != 0)
		fail_msg("db_submission_set: %s", db_errmsg(db));
}

static void
test_submission_add(void **state)
{
	struct dbfix	*f = *state;
	struct subrow	 r;
	int64_t		 id, id2, t0 = time(NULL);

	id = sub_add(f->db, "192.0.2.5", "alice@example.org");
	r = sub_get(f->db, id);
	assert_int_equal(r.x.id, id);
	assert_string_equal(r.addr, "192.0.2.5");
	assert_int_equal(r.x.port, 25);
	assert_string_equal(r.submitter, "alice@example.org");
	assert_string_equal(r.client, "203.0.113.9");
	assert_string_equal(r.state, "queued");
	assert_true(r.x.created >= t0 && r.x.created <= time(NULL));
	assert_int_equal(r.x.updated, r.x.created);
	assert_int_equal(r.x.not_before, 0);
	assert_int_equal(r.x.tries, 0);
	assert_int_equal(r.x.probe_id, 0);
	assert_string_equal(r.result, "(null)");
	/* The trail: one event, 'queued', by the actor, about the address. */
	assert_string_equal(dbfix_events(f, "submission", id),
	    "queued/alice@example.org");
	assert_string_equal(dbfix_text(f, "SELECT actor || ' ' || addr FROM "
	    "event WHERE ref = %lld", (long long)id), "web 192.0.2.5");

	/* Anonymous, other port, no client. */
	assert_int_equal(db_submission_add(f->db, "2001:db8::25", 587, NULL,
	    NULL, NULL, &id2), 0);
	assert_true(id2 > id);
	r = sub_get(f->db, id2);
	assert_int_equal(r.x.port, 587);
	assert_string_equal(r.submitter, "(null)");
	assert_string_equal(r.client, "(null)");
	assert_string_equal(dbfix_events(f, "submission", id2), "queued/-");
	assert_string_equal(dbfix_text(f, "SELECT actor FROM event WHERE "
	    "ref = %lld", (long long)id2), "unknown");
	assert_int_equal(nevents(f), 2);
}

static void
test_submission_get_notfound(void **state)
{
	struct dbfix	*f = *state;
	struct subrow	 r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(db_submission_get(f->db, 1, subrow_cb, &r),
	    DB_NOTFOUND);
	sub_add(f->db, "192.0.2.5", NULL);
	assert_int_equal(db_submission_get(f->db, 2, subrow_cb, &r),
	    DB_NOTFOUND);
	assert_int_equal(db_submission_get(f->db, 0, subrow_cb, &r),
	    DB_NOTFOUND);
	assert_int_equal(r.n, 0);
	assert_int_equal(db_submission_get(f->db, 1, subrow_cb, &r), 0);
	assert_int_equal(r.n, 1);
}

static void
test_submission_foreach(void **state)
{
	struct dbfix	*f = *state;
	struct ids	 v;
	int		 i;

	assert_string_equal(sub_list(f->db, NULL, 0), "");
	for (i = 1; i <= 5; i++)
		assert_int_equal(sub_add(f->db, "192.0.2.5", NULL), i);
	sub_set(f->db, 2, "done", "closed", 0, 0, NULL);
	sub_set(f->db, 4, "done", "refused", 0, 0, NULL);
	sub_set(f->db, 5, "failed", NULL, 0, 0, "unreachable");

	/* Newest first, all states. */
	assert_string_equal(sub_list(f->db, NULL, 0), "5 4 3 2 1");
	assert_string_equal(sub_list(f->db, NULL, 2), "5 4");
	assert_string_equal(sub_list(f->db, NULL, 5), "5 4 3 2 1");
	assert_string_equal(sub_list(f->db, NULL, 100), "5 4 3 2 1");
	assert_string_equal(sub_list(f->db, NULL, -1), "5 4 3 2 1");
	/* By state. */
	assert_string_equal(sub_list(f->db, "done", 0), "4 2");
	assert_string_equal(sub_list(f->db, "done", 1), "4");
	assert_string_equal(sub_list(f->db, "queued", 0), "3 1");
	assert_string_equal(sub_list(f->db, "failed", 0), "5");
	assert_string_equal(sub_list(f->db, "probing", 0), "");
	assert_string_equal(sub_list(f->db, "nonsense", 0), "");
	/* A callback's non-zero return stops the walk and is returned. */
	memset(&v, 0, sizeof(v));
	v.stop_after = 2;
	assert_int_equal(db_submission_foreach(f->db, NULL, 0, ids_sub, &v), 7);
	assert_string_equal(v.s, "5 4");
	/* The statement was reset: the next walk starts over. */
	assert_string_equal(sub_list(f->db, NULL, 0), "5 4 3 2 1");
}

static void
test_claim_order_and_max(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL), counts[4];
	struct subrow	 r;
	char		 lease[64], rows[128];
	int		 i;

	for (i = 1; i <= 5; i++) {
		char	 a[32];

		snprintf(a, sizeof(a), "192.0.2.%d", i);
		sub_add(f->db, a, NULL);
	}
	/* Oldest first, at most max. */
	assert_string_equal(claim(f->db, now, 2), "1 2");
	assert_int_equal(db_submission_counts(f->db, counts), 0);
	assert_int_equal(counts[0], 3);
	assert_int_equal(counts[1], 2);
	r = sub_get(f->db, 1);
	assert_string_equal(r.state, "probing");
	assert_int_equal(r.x.tries, 1);
	assert_int_equal(r.x.updated, now);
	r = sub_get(f->db, 3);
	assert_string_equal(r.state, "queued");
	assert_int_equal(r.x.tries, 0);
	/* Each claimed address has its claim: the owner and the lease. */
	snprintf(lease, sizeof(lease), "prober %lld", (long long)(now + LEASE));
	assert_string_equal(claim_of(f->db, "192.0.2.1"), lease);
	assert_string_equal(claim_of(f->db, "192.0.2.2"), lease);
	assert_string_equal(claim_of(f->db, "192.0.2.3"), "-");
	snprintf(rows, sizeof(rows), "submission:1:192.0.2.1:%lld "
	    "submission:2:192.0.2.2:%lld", (long long)now, (long long)now);
	assert_string_equal(dbfix_text(f, "SELECT group_concat(kind || ':' || "
	    "ref || ':' || addr || ':' || taken, ' ') FROM (SELECT * FROM "
	    "claim ORDER BY ref)"), rows);
	/* The rest, and then nothing. */
	assert_string_equal(claim(f->db, now, 10), "3 4 5");
	assert_string_equal(claim(f->db, now, 10), "");
	assert_int_equal(db_submission_counts(f->db, counts), 0);
	assert_int_equal(counts[0], 0);
	assert_int_equal(counts[1], 5);
	/* Each claim left one event, by the prober, about the address. */
	for (i = 1; i <= 5; i++) {
		char	 want[64];

		assert_string_equal(dbfix_events(f, "submission", i),
		    "queued/- probing/-");
		snprintf(want, sizeof(want), "prober 192.0.2.%d", i);
		assert_string_equal(dbfix_text(f, "SELECT actor || ' ' || addr "
		    "FROM event WHERE ref = %d AND what = 'probing'", i), want);
	}
}

static void
test_claim_max_zero(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 n0;

	sub_add(f->db, "192.0.2.5", NULL);
	n0 = nevents(f);
	assert_string_equal(claim(f->db, time(NULL), 0), "");
	assert_string_equal(claim(f->db, time(NULL), -3), "");
	assert_string_equal(sub_get(f->db, 1).state, "queued");
	assert_int_equal(sub_get(f->db, 1).x.tries, 0);
	assert_int_equal(nevents(f), n0);
	/* No transaction was left open. */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_rollback(f->db), 0);
}

static void
test_claim_not_before(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL);
	struct subrow	 r;

	sub_add(f->db, "192.0.2.1", NULL);
	sub_add(f->db, "192.0.2.2", NULL);
	/* Tempfail backoff: 1 waits until now + 100. */
	sub_set(f->db, 1, "queued", "tempfail", 0, now + 100, "451 later");
	r = sub_get(f->db, 1);
	assert_int_equal(r.x.not_before, now + 100);
	assert_string_equal(claim(f->db, now, 10), "2");
	assert_string_equal(claim(f->db, now + 99, 10), "");
	/* Due exactly at not_before. */
	assert_string_equal(claim(f->db, now + 100, 10), "1");
	r = sub_get(f->db, 1);
	assert_string_equal(r.state, "probing");
	assert_int_equal(r.x.tries, 1);
	assert_int_equal(r.x.updated, now + 100);
	/* The backoff of one address does not hide its eligible twin. */
	sub_add(f->db, "192.0.2.3", NULL);		/* 3 */
	sub_add(f->db, "192.0.2.3", NULL);		/* 4 */
	sub_set(f->db, 3, "queued", NULL, 0, now + 500, NULL);
	assert_string_equal(claim(f->db, now, 10), "4");
	/* ... and while 4 runs, 3 waits even when due. */
	assert_string_equal(claim(f->db, now + 500, 10), "");
}

static void
test_claim_one_per_address(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL), counts[4];

	sub_add(f->db, "192.0.2.1", NULL);		/* 1 */
	sub_add(f->db, "192.0.2.1", NULL);		/* 2: duplicate */
	sub_add(f->db, "192.0.2.2", NULL);		/* 3 */
	sub_add(f->db, "192.0.2.1", NULL);		/* 4: duplicate */
	/* Two queued for one address: only the oldest is claimed. */
	assert_string_equal(claim(f->db, now, 10), "1 3");
	assert_int_equal(db_submission_counts(f->db, counts), 0);
	assert_int_equal(counts[0], 2);
	assert_int_equal(counts[1], 2);
	/* An address being probed blocks its other queued submissions. */
	assert_string_equal(claim(f->db, now, 10), "");
	sub_add(f->db, "192.0.2.2", NULL);		/* 5 */
	assert_string_equal(claim(f->db, now, 10), "");
	/* The run ends (its state, and its claim released in the same
	 * go): the next one for that address may start.  The claim is the
	 * rule, not the state: done but still claimed blocks. */
	sub_set(f->db, 1, "done", "closed", 0, 0, NULL);
	assert_string_equal(claim(f->db, now, 10), "");
	release(f->db, "192.0.2.1");
	assert_string_equal(claim(f->db, now, 10), "2");
	assert_string_equal(claim(f->db, now, 10), "");
	sub_set(f->db, 3, "failed", NULL, 0, 0, "unreachable");
	release(f->db, "192.0.2.2");
	sub_set(f->db, 2, "done", "closed", 0, 0, NULL);
	release(f->db, "192.0.2.1");
	assert_string_equal(claim(f->db, now, 10), "4 5");
	/* One claim per address, whatever the number of runs. */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 2);
	assert_string_equal(dbfix_text(f, "SELECT group_concat(ref, ' ') FROM "
	    "(SELECT ref FROM claim ORDER BY ref)"), "4 5");
}

/*
 * The claim callback records what it sees and, on its first call, reuses
 * the layer's statements (another claim, a read): text borrowed from a
 * statement would change or be freed under it; claim's copies must not.
 */
struct claimcb {
	struct db	*db;
	int		 n;
	char		 seen[512];
	char		 nested[sizeof(((struct ids *)0)->s)];
};

static int
claim_cb(const struct submission *x, void *arg)
{
	struct claimcb	*c = arg;
	struct ids	 v;
	struct subrow	 r;
	size_t		 o = strlen(c->seen);

	snprintf(c->seen + o, sizeof(c->seen) - o, "%s%lld:%s:%s:%s:%s:%d",
	    o ? " " : "", (long long)x->id, x->addr, x->state,
	    x->submitter ? x->submitter : "(null)",
	    x->client ? x->client : "(null)", x->tries);
	if (c->n++ == 0) {
		memset(&v, 0, sizeof(v));
		memset(&r, 0, sizeof(r));
		assert_int_equal(db_submission_claim(c->db, x->updated,
		    x->updated + LEASE, "prober", 10, ids_sub, &v), 0);
		snprintf(c->nested, sizeof(c->nested), "%s", v.s);
		assert_int_equal(db_submission_get(c->db, 2, subrow_cb, &r), 0);
		assert_string_equal(r.addr, "192.0.2.2");
		/* Still ours, still right. */
		assert_string_equal(x->addr, "192.0.2.1");
		assert_string_equal(x->submitter, "alice");
		assert_string_equal(x->client, "203.0.113.9");
		assert_string_equal(x->state, "probing");
		assert_null(x->result);
	}
	return 0;
}

static void
test_claim_callback(void **state)
{
	struct dbfix	*f = *state;
	struct claimcb	 c;
	int64_t		 now = time(NULL);
	int		 n = -1;

	sub_add(f->db, "192.0.2.1", "alice");		/* 1 */
	sub_add(f->db, "192.0.2.2", NULL);		/* 2 */
	memset(&c, 0, sizeof(c));
	c.db = f->db;
	assert_int_equal(db_submission_claim(f->db, now, now + LEASE, "prober",
	    1, claim_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.seen,
	    "1:192.0.2.1:probing:alice:203.0.113.9:1");
	/* Called after the commit: the callback could claim 2 itself. */
	assert_string_equal(c.nested, "2");
	assert_string_equal(sub_get(f->db, 2).state, "probing");

	/* Again after the prober's claims were taken back: the state word
	 * and the try count. */
	assert_int_equal(db_claim_expire(f->db, now, "prober", "test", &n), 0);
	assert_int_equal(n, 2);
	memset(&c, 0, sizeof(c));
	c.db = f->db;
	assert_int_equal(db_submission_claim(f->db, now, now + LEASE, "prober",
	    1, claim_cb, &c), 0);
	assert_string_equal(c.seen,
	    "1:192.0.2.1:probing:alice:203.0.113.9:2");
	assert_string_equal(c.nested, "2");
	assert_int_equal(sub_get(f->db, 2).x.tries, 2);
	/* A result from an earlier run is handed over too. */
	sub_set(f->db, 1, "queued", "tempfail", 0, 0, NULL);
	release(f->db, "192.0.2.1");
	sub_set(f->db, 2, "done", "closed", 0, 0, NULL);
	release(f->db, "192.0.2.2");
	memset(&c, 0, sizeof(c));
	c.n = 1;			/* skip the nested checks */
	c.db = f->db;
	assert_int_equal(db_submission_claim(f->db, now, now + LEASE, "prober",
	    5, claim_cb, &c), 0);
	assert_string_equal(c.seen,
	    "1:192.0.2.1:probing:alice:203.0.113.9:3");
	assert_string_equal(sub_get(f->db, 1).result, "tempfail");
}

/* A callback's non-zero return comes back from claim; the claim stands. */
static int
claim_stop_cb(const struct submission *x, void *arg)
{
	int	*n = arg;

	(void)x;
	(*n)++;
	return 5;
}

static void
test_claim_callback_stops(void **state)
{
	struct dbfix	*f = *state;
	int		 n = 0;

	sub_add(f->db, "192.0.2.1", NULL);
	sub_add(f->db, "192.0.2.2", NULL);
	assert_int_equal(db_submission_claim(f->db, time(NULL),
	    time(NULL) + LEASE, "prober", 10, claim_stop_cb, &n), 5);
	assert_int_equal(n, 1);
	assert_string_equal(sub_get(f->db, 1).state, "probing");
	assert_string_equal(sub_get(f->db, 2).state, "probing");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 2);
}

static void
test_claim_in_transaction(void **state)
{
	struct dbfix	*f = *state;

	sub_add(f->db, "192.0.2.1", NULL);
	assert_int_equal(db_begin(f->db), 0);
	/* claim runs its own transaction: refused inside the caller's. */
	assert_int_equal(db_submission_claim(f->db, time(NULL),
	    time(NULL) + LEASE, "prober", 10, ids_sub,
	    &(struct ids){ .n = 0 }), -1);
	assert_int_equal(db_rollback(f->db), 0);
	assert_string_equal(claim_of(f->db, "192.0.2.1"), "-");
	assert_string_equal(claim(f->db, time(NULL), 10), "1");
}

static int64_t
probe_begin(struct db *db, const char *addr, int64_t sub)
{
	int64_t	 id = -1;

	if (db_probe_begin(db, addr, 25, sub, 0, &id) != 0)
		fail_msg("db_probe_begin: %s", db_errmsg(db));
	assert_true(id > 0);
	return id;
}

static void
test_submission_set(void **state)
{
	struct dbfix	*f = *state;
	struct subrow	 r;
	int64_t		 p, n0, t0 = time(NULL);

	sub_add(f->db, "192.0.2.5", NULL);
	p = probe_begin(f->db, "192.0.2.5", 0);
	sub_set(f->db, 1, "done", "closed", p, 0, "all refused");
	r = sub_get(f->db, 1);
	assert_string_equal(r.state, "done");
	assert_string_equal(r.result, "closed");
	assert_int_equal(r.x.probe_id, p);
	assert_int_equal(r.x.not_before, 0);
	assert_true(r.x.updated >= t0);
	assert_string_equal(dbfix_events(f, "submission", 1),
	    "queued/- done/all refused");
	assert_string_equal(dbfix_text(f, "SELECT actor || ' ' || addr FROM "
	    "event WHERE kind = 'submission' AND ref = 1 AND what = 'done'"),
	    "test 192.0.2.5");

	/* probe_id 0 leaves it; result and not_before are replaced. */
	sub_set(f->db, 1, "queued", NULL, 0, t0 + 600, NULL);
	r = sub_get(f->db, 1);
	assert_string_equal(r.state, "queued");
	assert_string_equal(r.result, "(null)");
	assert_int_equal(r.x.probe_id, p);
	assert_int_equal(r.x.not_before, t0 + 600);
	/* Without why, the result stands in for it in the event. */
	sub_set(f->db, 1, "failed", "unreachable", 0, 0, NULL);
	r = sub_get(f->db, 1);
	assert_string_equal(r.state, "failed");
	assert_int_equal(r.x.not_before, 0);
	assert_string_equal(dbfix_events(f, "submission", 1),
	    "queued/- done/all refused queued/- failed/unreachable");

	/* A missing id: DB_NOTFOUND, no event, no transaction left open. */
	n0 = nevents(f);
	assert_int_equal(db_submission_set(f->db, 99, "done", "closed", 0, 0,
	    "test", "x"), DB_NOTFOUND);
	assert_int_equal(nevents(f), n0);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_submission_set(f->db, 99, "done", NULL, 0, 0,
	    "test", "x"), DB_NOTFOUND);
	assert_int_equal(db_commit(f->db), 0);

	/* A state the schema does not know: an error, nothing changed. */
	assert_int_equal(db_submission_set(f->db, 1, "bogus", NULL, 0, 0,
	    "test", NULL), -1);
	assert_true(strlen(db_errmsg(f->db)) > 0);
	assert_string_equal(sub_get(f->db, 1).state, "failed");
	assert_int_equal(nevents(f), n0);
	/* A probe that does not exist (foreign key): an error. */
	assert_int_equal(db_submission_set(f->db, 1, "done", NULL, 999, 0,
	    "test", NULL), -1);
	assert_int_equal(sub_get(f->db, 1).x.probe_id, p);
}

/* Claim the oldest queued submission for owner until lease_until. */
static const char *
claim_as(struct db *db, int64_t now, int64_t lease_until, const char *owner)
{
	static struct ids	 v;

	memset(&v, 0, sizeof(v));
	if (db_submission_claim(db, now, lease_until, owner, 1, ids_sub,
	    &v) != 0)
		fail_msg("db_submission_claim: %s", db_errmsg(db));
	return v.s;
}

#define RELEASED	"queued/claim released: the run that held it did " \
			"not finish (its process stopped or died)"

/*
 * Crash and restart: db_claim_expire(now, "prober") takes back what the
 * prober held, puts it back in the queue with an event; another owner's
 * live claim stays; an expired lease goes whoever holds it.
 */
static void
test_requeue(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL), counts[4];
	char		 want[128];
	int		 n = -1;

	sub_add(f->db, "192.0.2.1", NULL);		/* 1 */
	sub_add(f->db, "192.0.2.2", NULL);		/* 2 */
	sub_add(f->db, "192.0.2.3", NULL);		/* 3 */
	sub_add(f->db, "192.0.2.4", NULL);		/* 4 */
	sub_add(f->db, "192.0.2.5", NULL);		/* 5 */
	sub_add(f->db, "192.0.2.6", NULL);		/* 6 */
	assert_string_equal(claim(f->db, now, 3), "1 2 3");
	/* 3 finished, but its claim was not released (the crash). */
	sub_set(f->db, 3, "done", "closed", 0, 0, NULL);
	/* Another prober's: 4's lease ran out a second ago, 5's is live. */
	assert_string_equal(claim_as(f->db, now - 100, now - 1, "other"), "4");
	assert_string_equal(claim_as(f->db, now, now + LEASE, "other"), "5");
	/* orblctl probe runs: a manual claim, live and one expired. */
	assert_int_equal(db_claim_take(f->db, "192.0.2.9", "orblctl:7", now,
	    now + 2 * LEASE), 0);
	assert_int_equal(db_claim_take(f->db, "192.0.2.8", "orblctl:8",
	    now - 100, now - 1), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 7);

	/* The prober restarts. */
	assert_int_equal(db_claim_expire(f->db, now, "prober", "prober", &n),
	    0);
	assert_int_equal(n, 3);				/* 1, 2, 4 */
	assert_string_equal(sub_get(f->db, 1).state, "queued");
	assert_string_equal(sub_get(f->db, 2).state, "queued");
	assert_string_equal(sub_get(f->db, 3).state, "done");
	assert_string_equal(sub_get(f->db, 4).state, "queued");
	assert_string_equal(sub_get(f->db, 5).state, "probing");
	assert_string_equal(sub_get(f->db, 6).state, "queued");
	assert_int_equal(sub_get(f->db, 1).x.tries, 1);
	assert_int_equal(sub_get(f->db, 1).x.updated, now);
	assert_string_equal(claim_of(f->db, "192.0.2.1"), "-");
	assert_string_equal(claim_of(f->db, "192.0.2.3"), "-");
	assert_string_equal(claim_of(f->db, "192.0.2.4"), "-");
	assert_string_equal(claim_of(f->db, "192.0.2.8"), "-");
	snprintf(want, sizeof(want), "other %lld", (long long)(now + LEASE));
	assert_string_equal(claim_of(f->db, "192.0.2.5"), want);
	snprintf(want, sizeof(want), "orblctl:7 %lld",
	    (long long)(now + 2 * LEASE));
	assert_string_equal(claim_of(f->db, "192.0.2.9"), want);
	assert_int_equal(db_submission_counts(f->db, counts), 0);
	assert_int_equal(counts[0], 4);
	assert_int_equal(counts[1], 1);
	assert_int_equal(counts[2], 1);
	/* An event each for what went back, by the actor, about the
	 * address; none for the finished one. */
	assert_string_equal(dbfix_events(f, "submission", 1),
	    "queued/- probing/- " RELEASED);
	assert_string_equal(dbfix_text(f, "SELECT actor || ' ' || addr FROM "
	    "event WHERE ref = 2 ORDER BY id DESC LIMIT 1"),
	    "prober 192.0.2.2");
	assert_string_equal(dbfix_events(f, "submission", 3),
	    "queued/- probing/- done/closed");
	assert_string_equal(dbfix_events(f, "submission", 4),
	    "queued/- probing/- " RELEASED);
	assert_string_equal(dbfix_text(f, "SELECT group_concat(actor, ' ') "
	    "FROM (SELECT actor FROM event WHERE ref = 4 ORDER BY id)"),
	    "web other prober");
	assert_string_equal(dbfix_events(f, "submission", 5),
	    "queued/- probing/-");

	/* Nothing left to take back. */
	assert_int_equal(db_claim_expire(f->db, now, "prober", "prober", &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(db_claim_expire(f->db, now, NULL, "prober", &n), 0);
	assert_int_equal(n, 0);
	/* And they are claimable again, oldest first; 5 is still held. */
	assert_string_equal(claim(f->db, now, 10), "1 2 4 6");
	assert_int_equal(sub_get(f->db, 1).x.tries, 2);
	assert_int_equal(sub_get(f->db, 4).x.tries, 2);

	/* A lease ending at t holds through t, and is gone after it: owner
	 * NULL takes back nobody's by name. */
	assert_int_equal(db_claim_expire(f->db, now + LEASE, NULL, "prober",
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 6);
	assert_int_equal(db_claim_expire(f->db, now + LEASE + 1, NULL,
	    "prober", &n), 0);
	assert_int_equal(n, 5);				/* 1 2 4 5 6 */
	assert_string_equal(claim_of(f->db, "192.0.2.5"), "-");
	assert_string_equal(sub_get(f->db, 5).state, "queued");
	assert_string_equal(dbfix_events(f, "submission", 5),
	    "queued/- probing/- " RELEASED);
	/* The manual claim's lease is longer. */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 1);
	assert_string_equal(dbfix_text(f, "SELECT kind || ' ' || ref || ' ' || "
	    "addr FROM claim"), "manual 0 192.0.2.9");
}

static void
test_counts(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 c[4] = { -1, -1, -1, -1 };
	int		 i;

	assert_int_equal(db_submission_counts(f->db, c), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(c[i], 0);
	for (i = 1; i <= 10; i++) {
		char	 a[32];

		snprintf(a, sizeof(a), "192.0.2.%d", i);
		sub_add(f->db, a, NULL);
	}
	assert_string_equal(claim(f->db, time(NULL), 4), "1 2 3 4");
	sub_set(f->db, 1, "done", "closed", 0, 0, NULL);
	sub_set(f->db, 2, "done", "confirmed", 0, 0, NULL);
	sub_set(f->db, 3, "failed", NULL, 0, 0, "unreachable");
	sub_set(f->db, 10, "done", "closed", 0, 0, NULL);
	assert_int_equal(db_submission_counts(f->db, c), 0);
	assert_int_equal(c[0], 5);		/* 5..9 */
	assert_int_equal(c[1], 1);		/* 4 */
	assert_int_equal(c[2], 3);		/* 1, 2, 10 */
	assert_int_equal(c[3], 1);		/* 3 */
}

static void
test_count_since(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL), n = -1;

	assert_int_equal(db_submission_count_since(f->db, "alice", 0, &n), 0);
	assert_int_equal(n, 0);
	sub_add(f->db, "192.0.2.1", "alice");		/* 1 */
	sub_add(f->db, "192.0.2.2", "alice");		/* 2 */
	sub_add(f->db, "192.0.2.3", "bob");		/* 3 */
	sub_add(f->db, "192.0.2.4", NULL);		/* 4 */
	sub_add(f->db, "192.0.2.5", NULL);		/* 5 */
	sub_add(f->db, "192.0.2.6", "alice");		/* 6 */
	/* 1 and 5 were an hour ago. */
	dbfix_exec(f, "UPDATE submission SET created = %lld WHERE id IN (1, 5)",
	    (long long)(now - 3600));

	assert_int_equal(db_submission_count_since(f->db, "alice", now - 60,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(db_submission_count_since(f->db, "alice", now - 3600,
	    &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(db_submission_count_since(f->db, "alice", now + 1,
	    &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_submission_count_since(f->db, "bob", 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_submission_count_since(f->db, "carol", 0, &n), 0);
	assert_int_equal(n, 0);
	/* NULL: the anonymous ones, not everybody's. */
	assert_int_equal(db_submission_count_since(f->db, NULL, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(db_submission_count_since(f->db, NULL, now - 60, &n),
	    0);
	assert_int_equal(n, 1);
	/* Case matters, prefixes do not match. */
	assert_int_equal(db_submission_count_since(f->db, "Alice", 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(db_submission_count_since(f->db, "ali", 0, &n), 0);
	assert_int_equal(n, 0);
}

/* ------------------------------------------------------------------ */
/* Probes */

struct proberow {
	int		 n;
	struct probe	 p;
	char		 addr[64], verdict[32], hops[32], output_addr[64];
	char		 transcript[256];
};

static int
proberow_cb(const struct probe *p, void *arg)
{
	struct proberow	*r = arg;

	r->n++;
	r->p = *p;
	cp(r->addr, sizeof(r->addr), p->addr);
	cp(r->verdict, sizeof(r->verdict), p->verdict);
	cp(r->hops, sizeof(r->hops), p->hops);
	cp(r->output_addr, sizeof(r->output_addr), p->output_addr);
	cp(r->transcript, sizeof(r->transcript), p->transcript);
	r->p.addr = r->p.verdict = r->p.hops = NULL;
	r->p.output_addr = r->p.transcript = NULL;
	return 0;
}

static struct proberow
probe_get(struct db *db, int64_t id)
{
	struct proberow	 r;
	int		 rc;

	memset(&r, 0, sizeof(r));
	if ((rc = db_probe_get(db, id, proberow_cb, &r)) != 0)
		fail_msg("db_probe_get(%lld) = %d: %s", (long long)id, rc,
		    db_errmsg(db));
	assert_int_equal(r.n, 1);
	return r;
}

/* Tests of a probe as "id:name:verdict:arrived ..." */
static int
tests_cb(const struct probe_test_row *t, void *arg)
{
	char	*s = arg;
	size_t	 o = strlen(s);

	snprintf(s + o, 1024 - o, "%s%d:%s:%s:%lld", o ? " " : "", t->test_id,
	    t->name, t->verdict ? t->verdict : "(null)", (long long)t->arrived);
	return 0;
}

static const char *
tests_of(struct db *db, int64_t probe_id)
{
	static char	 s[1024];

	s[0] = '\0';
	if (db_probe_tests(db, probe_id, tests_cb, s) != 0)
		fail_msg("db_probe_tests: %s", db_errmsg(db));
	return s;
}

static struct probe_test_row
T(int id, const char *name, const char *verdict)
{
	struct probe_test_row	 t;

	memset(&t, 0, sizeof(t));
	t.test_id = id;
	t.name = name;
	t.mail_from = "<probe@sink.example>";
	t.rcpt_to = "<relaytest@sink.example>";
	t.mail_reply = "250 ok";
	t.rcpt_reply = "550 relaying denied";
	t.verdict = verdict;
	return t;
}

static struct probe
P(int64_t id, const char *addr, const char *verdict)
{
	struct probe	 p;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.addr = addr;
	p.verdict = verdict;
	p.transcript = "<- 220 hi\n-> EHLO\n";
	return p;
}

static void
test_probe_begin(void **state)
{
	struct dbfix	*f = *state;
	struct proberow	 r;
	struct subrow	 s;
	int64_t		 p, p2, t0 = time(NULL);

	sub_add(f->db, "192.0.2.5", NULL);
	assert_string_equal(claim(f->db, t0, 1), "1");
	assert_int_equal(db_probe_begin(f->db, "192.0.2.5", 2525, 1, 0, &p),
	    0);
	r = probe_get(f->db, p);
	assert_int_equal(r.p.id, p);
	assert_string_equal(r.addr, "192.0.2.5");
	assert_int_equal(r.p.port, 2525);
	assert_int_equal(r.p.submission_id, 1);
	assert_int_equal(r.p.request_id, 0);
	assert_true(r.p.started >= t0 && r.p.started <= time(NULL));
	assert_int_equal(r.p.finished, 0);
	assert_string_equal(r.verdict, "(null)");
	assert_string_equal(r.hops, "(null)");
	assert_int_equal(r.p.relayed_test, 0);
	assert_string_equal(r.output_addr, "(null)");
	assert_string_equal(r.transcript, "(null)");
	assert_string_equal(tests_of(f->db, p), "");
	/* The submission knows its run. */
	s = sub_get(f->db, 1);
	assert_string_equal(s.state, "probing");
	assert_int_equal(s.x.probe_id, p);
	assert_string_equal(dbfix_events(f, "probe", p), "started/-");
	assert_string_equal(dbfix_text(f, "SELECT actor || ' ' || addr FROM "
	    "event WHERE kind = 'probe' AND ref = %lld", (long long)p),
	    "prober 192.0.2.5");

	/* A run without a submission (orblctl probe). */
	p2 = probe_begin(f->db, "2001:db8::25", 0);
	assert_true(p2 > p);
	r = probe_get(f->db, p2);
	assert_int_equal(r.p.submission_id, 0);
	assert_int_equal(r.p.port, 25);
	/* A submission that does not exist: refused, nothing written. */
	assert_int_equal(db_probe_begin(f->db, "192.0.2.9", 25, 42, 0, &p),
	    -1);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM probe"), 2);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM event WHERE "
	    "kind = 'probe'"), 2);
}

static void
test_probe_get_notfound(void **state)
{
	struct dbfix	*f = *state;
	struct proberow	 r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(db_probe_get(f->db, 1, proberow_cb, &r), DB_NOTFOUND);
	probe_begin(f->db, "192.0.2.5", 0);
	assert_int_equal(db_probe_get(f->db, 2, proberow_cb, &r), DB_NOTFOUND);
	assert_int_equal(r.n, 0);
	assert_int_equal(db_probe_get(f->db, 1, proberow_cb, &r), 0);
	assert_int_equal(r.n, 1);
}

static void
test_probe_finish(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t[3];
	struct proberow	 r;
	struct subrow	 s;
	struct probe	 pr;
	int64_t		 p, t0 = time(NULL);
	char		 buf[1024];

	sub_add(f->db, "192.0.2.5", "alice");
	assert_string_equal(claim(f->db, t0, 1), "1");
	p = probe_begin(f->db, "192.0.2.5", 1);
	t[0] = T(1, "plain", "refused");
	t[1] = T(2, "percent-hack", "refused");
	t[2] = T(3, "bang-path", "refused");
	t[2].cookie = "c0ffee";
	t[2].data_reply = "554 no";
	pr = P(p, "192.0.2.5", "closed");
	assert_int_equal(db_probe_finish(f->db, &pr, t, 3, NULL, "all refused"),
	    0);
	r = probe_get(f->db, p);
	assert_string_equal(r.verdict, "closed");
	assert_true(r.p.finished >= t0 && r.p.finished <= time(NULL));
	assert_string_equal(r.hops, "(null)");
	assert_int_equal(r.p.relayed_test, 0);
	assert_string_equal(r.transcript, "<- 220 hi\n-> EHLO\n");
	assert_string_equal(tests_of(f->db, p),
	    "1:plain:refused:0 2:percent-hack:refused:0 3:bang-path:refused:0");
	snprintf(buf, sizeof(buf), "%s", dbfix_text(f, "SELECT mail_from || "
	    "' ' || rcpt_to || ' ' || mail_reply || ' ' || rcpt_reply || "
	    "' ' || data_reply || ' ' || cookie FROM probe_test WHERE "
	    "test_id = 3"));
	assert_string_equal(buf, "<probe@sink.example> "
	    "<relaytest@sink.example> 250 ok 550 relaying denied 554 no "
	    "c0ffee");
	/* No listing: nothing in the journal, the serial unchanged. */
	assert_int_equal(dbfix_serial(f->db), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM journal"), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 0);
	/* The submission is done, with the verdict as its result. */
	s = sub_get(f->db, 1);
	assert_string_equal(s.state, "done");
	assert_string_equal(s.result, "closed");
	assert_int_equal(s.x.probe_id, p);
	assert_string_equal(dbfix_events(f, "probe", p),
	    "started/- closed/all refused");
	assert_string_equal(dbfix_events(f, "submission", 1),
	    "queued/alice probing/- done/all refused");

	/* A second finish replaces the tests (and the verdict). */
	t[0] = T(7, "ip-literal", "accepted");
	t[1] = T(4, "quoted", "refused");
	pr = P(p, "192.0.2.5", "accepted-not-delivered");
	pr.finished = 1234;
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, NULL, NULL), 0);
	assert_string_equal(tests_of(f->db, p),
	    "4:quoted:refused:0 7:ip-literal:accepted:0");
	r = probe_get(f->db, p);
	assert_string_equal(r.verdict, "accepted-not-delivered");
	assert_int_equal(r.p.finished, 1234);
	assert_string_equal(sub_get(f->db, 1).result,
	    "accepted-not-delivered");
	/* And no tests at all clears them. */
	assert_int_equal(db_probe_finish(f->db, &pr, NULL, 0, NULL, NULL), 0);
	assert_string_equal(tests_of(f->db, p), "");
	assert_int_equal(dbfix_serial(f->db), 0);
}

static void
test_probe_finish_lists(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t[2];
	struct listing	 l, m;
	struct proberow	 r;
	struct probe	 pr;
	int64_t		 p;
	uint32_t	 s0;
	char		 buf[256];

	/* Something listed before, so the serial is not 0. */
	m = L("198.51.100.0/24", 0);
	m.source = "manual";
	assert_int_equal(db_listing_put(f->db, &m, "spam", NULL), 0);
	s0 = dbfix_serial(f->db);
	assert_int_equal(s0, 1);

	sub_add(f->db, "192.0.2.5", NULL);
	assert_string_equal(claim(f->db, time(NULL), 1), "1");
	p = probe_begin(f->db, "192.0.2.5", 1);
	t[0] = T(1, "plain", "refused");
	t[1] = T(2, "percent-hack", "relayed");
	t[1].arrived = 5000;
	t[1].arrived_from = "192.0.2.5";
	t[1].received = "Received: from x";
	pr = P(p, "192.0.2.5", "confirmed");
	pr.hops = "single-hop";
	pr.relayed_test = 2;
	pr.output_addr = "192.0.2.5";
	l = L("192.0.2.5", p);
	l.reason = "open relay";
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l,
	    "test 2 arrived"), 0);

	r = probe_get(f->db, p);
	assert_string_equal(r.verdict, "confirmed");
	assert_string_equal(r.hops, "single-hop");
	assert_int_equal(r.p.relayed_test, 2);
	assert_string_equal(r.output_addr, "192.0.2.5");
	assert_string_equal(tests_of(f->db, p),
	    "1:plain:refused:0 2:percent-hack:relayed:5000");
	/* Listed, with a journal row: serial + 1. */
	assert_int_equal(dbfix_serial(f->db), s0 + 1);
	snprintf(buf, sizeof(buf), "%s", dbfix_text(f, "SELECT hex(net) || "
	    "' ' || source || ' ' || probe_id || ' ' || s FROM listing JOIN "
	    "str ON str.id = reason WHERE net = %s", dbfix_net("192.0.2.5")));
	assert_string_equal(buf, "04C000020520 probe 1 open relay");
	snprintf(buf, sizeof(buf), "%s", dbfix_text(f, "SELECT serial || "
	    "' ' || op || ' ' || hex(net) || ' ' || s FROM journal JOIN str "
	    "ON str.id = why ORDER BY serial DESC LIMIT 1"));
	assert_string_equal(buf, "2 add 04C000020520 test 2 arrived");
	assert_string_equal(sub_get(f->db, 1).state, "done");
	assert_string_equal(sub_get(f->db, 1).result, "confirmed");
	/* Finishing again with the same listing does not journal twice. */
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l, NULL), 0);
	assert_int_equal(dbfix_serial(f->db), s0 + 1);
}

/* The probe and its submission are as probe_begin left them. */
static void
assert_unfinished(struct dbfix *f, int64_t p, uint32_t serial0,
    int64_t nevents0)
{
	struct proberow	 r = probe_get(f->db, p);
	struct subrow	 s = sub_get(f->db, 1);

	assert_int_equal(r.p.finished, 0);
	assert_string_equal(r.verdict, "(null)");
	assert_string_equal(r.hops, "(null)");
	assert_string_equal(r.transcript, "(null)");
	assert_string_equal(tests_of(f->db, p), "");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM probe_test"), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 0);
	assert_int_equal(dbfix_serial(f->db), serial0);
	assert_string_equal(s.state, "probing");
	assert_string_equal(s.result, "(null)");
	assert_int_equal(nevents(f), nevents0);
	/* No transaction left open. */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_rollback(f->db), 0);
}

static void
test_probe_finish_atomic(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t[2];
	struct listing	 l;
	struct probe	 pr;
	int64_t		 p, n0;

	sub_add(f->db, "192.0.2.5", NULL);
	assert_string_equal(claim(f->db, time(NULL), 1), "1");
	p = probe_begin(f->db, "192.0.2.5", 1);
	n0 = nevents(f);
	t[0] = T(1, "plain", "refused");
	t[1] = T(2, "percent-hack", "relayed");
	pr = P(p, "192.0.2.5", "confirmed");
	pr.hops = "single-hop";

	/* The listing is refused by the layer: nothing of the run sticks. */
	l = L("192.0.2.5", p);
	l.source = "bogus";
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l, NULL), -1);
	assert_non_null(strstr(db_errmsg(f->db), "source"));
	assert_unfinished(f, p, 0, n0);

	/* The listing is refused by SQLite (no such probe as evidence). */
	l = L("192.0.2.5", p + 100);
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l, NULL), -1);
	assert_non_null(strstr(db_errmsg(f->db), "FOREIGN KEY"));
	assert_unfinished(f, p, 0, n0);

	/* A test row SQLite refuses (the same test twice). */
	t[1].test_id = 1;
	l = L("192.0.2.5", p);
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l, NULL), -1);
	assert_unfinished(f, p, 0, n0);
	t[1].test_id = 2;

	/* A verdict the schema does not know. */
	pr.verdict = "maybe";
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l, NULL), -1);
	assert_unfinished(f, p, 0, n0);
	pr.verdict = "confirmed";

	/* A probe that does not exist. */
	pr.id = p + 100;
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, NULL, NULL), -1);
	assert_non_null(strstr(db_errmsg(f->db), "no such probe"));
	assert_unfinished(f, p, 0, n0);
	pr.id = p;

	/* Fixed, it goes through. */
	assert_int_equal(db_probe_finish(f->db, &pr, t, 2, &l, NULL), 0);
	assert_string_equal(probe_get(f->db, p).verdict, "confirmed");
	assert_int_equal(dbfix_serial(f->db), 1);
	assert_string_equal(tests_of(f->db, p),
	    "1:plain:refused:0 2:percent-hack:relayed:0");
}

/* Inside the caller's transaction, finish joins it: rollback undoes it. */
static void
test_probe_finish_in_transaction(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t = T(1, "plain", "refused");
	struct listing	 l;
	struct probe	 pr;
	int64_t		 p, n0;

	sub_add(f->db, "192.0.2.5", NULL);
	assert_string_equal(claim(f->db, time(NULL), 1), "1");
	p = probe_begin(f->db, "192.0.2.5", 1);
	n0 = nevents(f);
	pr = P(p, "192.0.2.5", "confirmed");
	l = L("192.0.2.5", p);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_probe_finish(f->db, &pr, &t, 1, &l, NULL), 0);
	assert_int_equal(db_rollback(f->db), 0);
	assert_unfinished(f, p, 0, n0);
}

static void
test_probe_confirm(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t = T(1, "plain", "accepted");
	struct listing	 l;
	struct proberow	 r;
	struct probe	 pr;
	struct subrow	 s;
	int64_t		 p;
	char		 buf[256];

	sub_add(f->db, "192.0.2.5", NULL);
	assert_string_equal(claim(f->db, time(NULL), 1), "1");
	p = probe_begin(f->db, "192.0.2.5", 1);
	pr = P(p, "192.0.2.5", "accepted-not-delivered");
	pr.finished = 1000;
	assert_int_equal(db_probe_finish(f->db, &pr, &t, 1, NULL, NULL), 0);
	assert_string_equal(sub_get(f->db, 1).result, "accepted-not-delivered");
	assert_int_equal(dbfix_serial(f->db), 0);

	/* The test mail arrives late, through another host. */
	l = L("192.0.2.5", p);
	assert_int_equal(db_probe_confirm(f->db, p, "multi-hop", 1,
	    "198.51.100.7", &l, "late arrival"), 0);
	r = probe_get(f->db, p);
	assert_string_equal(r.verdict, "confirmed");
	assert_int_equal(r.p.finished, 1000);		/* kept */
	assert_string_equal(r.hops, "multi-hop");
	assert_int_equal(r.p.relayed_test, 1);
	assert_string_equal(r.output_addr, "198.51.100.7");
	assert_string_equal(r.transcript, "<- 220 hi\n-> EHLO\n");
	assert_string_equal(tests_of(f->db, p), "1:plain:accepted:0");
	/* Listed in the same go. */
	assert_int_equal(dbfix_serial(f->db), 1);
	snprintf(buf, sizeof(buf), "%s", dbfix_text(f, "SELECT hex(l.net) || "
	    "' ' || l.probe_id || ' ' || w.s FROM journal j JOIN listing l "
	    "USING (net) JOIN str w ON w.id = j.why"));
	assert_string_equal(buf, "04C000020520 1 late arrival");
	s = sub_get(f->db, 1);
	assert_string_equal(s.state, "done");
	assert_string_equal(s.result, "confirmed");
	assert_int_equal(s.x.probe_id, p);
	assert_string_equal(dbfix_events(f, "probe", p), "started/- "
	    "accepted-not-delivered/- confirmed/late arrival");
	/* The event is filed under the probed address (its history). */
	assert_string_equal(dbfix_text(f, "SELECT addr FROM event WHERE "
	    "kind = 'probe' AND what = 'confirmed'"), "192.0.2.5");
	assert_string_equal(dbfix_events(f, "submission", 1),
	    "queued/- probing/- done/accepted-not-delivered done/late arrival");
}

static void
test_probe_confirm_interrupted(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 l;
	struct proberow	 r;
	int64_t		 p, t0 = time(NULL), n0;

	/* A run without a submission that never finished (crash). */
	p = probe_begin(f->db, "192.0.2.5", 0);
	assert_int_equal(db_probe_confirm(f->db, p, "single-hop", 3, NULL,
	    NULL, NULL), 0);
	r = probe_get(f->db, p);
	assert_string_equal(r.verdict, "confirmed");
	assert_true(r.p.finished >= t0 && r.p.finished <= time(NULL));
	assert_string_equal(r.hops, "single-hop");
	assert_int_equal(r.p.relayed_test, 3);
	assert_string_equal(r.output_addr, "(null)");
	/* No listing given: none made. */
	assert_int_equal(dbfix_serial(f->db), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM submission"), 0);

	/* A probe that does not exist. */
	n0 = nevents(f);
	assert_int_equal(db_probe_confirm(f->db, p + 1, "single-hop", 1, NULL,
	    NULL, NULL), -1);
	assert_non_null(strstr(db_errmsg(f->db), "no such probe"));
	assert_int_equal(nevents(f), n0);
	/* A bad listing undoes the confirmation. */
	p = probe_begin(f->db, "192.0.2.6", 0);
	n0 = nevents(f);
	l = L("192.0.2.6", p);
	l.source = NULL;
	assert_int_equal(db_probe_confirm(f->db, p, "single-hop", 1, NULL, &l,
	    NULL), -1);
	r = probe_get(f->db, p);
	assert_string_equal(r.verdict, "(null)");
	assert_int_equal(r.p.finished, 0);
	assert_int_equal(nevents(f), n0);
	assert_int_equal(dbfix_serial(f->db), 0);
}

static int
ids_probe(const struct probe *p, void *arg)
{
	struct ids	*v = arg;

	ids_add(v, p->id);
	return v->stop_after && v->n >= v->stop_after ? 7 : 0;
}

static const char *
probes_of(struct db *db, const char *addr, int limit)
{
	static struct ids	 v;

	memset(&v, 0, sizeof(v));
	if (db_probe_foreach_addr(db, addr, limit, ids_probe, &v) != 0)
		fail_msg("db_probe_foreach_addr: %s", db_errmsg(db));
	return v.s;
}

static void
test_probe_foreach_addr(void **state)
{
	struct dbfix	*f = *state;
	struct ids	 v;

	assert_string_equal(probes_of(f->db, "192.0.2.5", 0), "");
	probe_begin(f->db, "192.0.2.5", 0);		/* 1 */
	probe_begin(f->db, "192.0.2.5", 0);		/* 2 */
	probe_begin(f->db, "192.0.2.50", 0);		/* 3 */
	probe_begin(f->db, "192.0.2.5", 0);		/* 4 */
	probe_begin(f->db, "192.0.2.5", 0);		/* 5 */
	/* Start times out of id order: newest by start comes first. */
	dbfix_exec(f, "UPDATE probe SET started = CASE id WHEN 1 THEN 4000 "
	    "WHEN 2 THEN 1000 WHEN 3 THEN 9000 WHEN 4 THEN 2000 "
	    "ELSE 3000 END");
	assert_string_equal(probes_of(f->db, "192.0.2.5", 0), "1 5 4 2");
	assert_string_equal(probes_of(f->db, "192.0.2.5", 2), "1 5");
	assert_string_equal(probes_of(f->db, "192.0.2.5", 4), "1 5 4 2");
	assert_string_equal(probes_of(f->db, "192.0.2.50", 0), "3");
	assert_string_equal(probes_of(f->db, "192.0.2.", 0), "");
	/* Same start: the later run first. */
	dbfix_exec(f, "UPDATE probe SET started = 5000");
	assert_string_equal(probes_of(f->db, "192.0.2.5", 0), "5 4 2 1");
	/* A callback's non-zero return stops the walk. */
	memset(&v, 0, sizeof(v));
	v.stop_after = 1;
	assert_int_equal(db_probe_foreach_addr(f->db, "192.0.2.5", 0,
	    ids_probe, &v), 7);
	assert_string_equal(v.s, "5");
}

/* Every field of every test row, one line each. */
static int
tests_full_cb(const struct probe_test_row *t, void *arg)
{
	char	*s = arg;
	size_t	 o = strlen(s);

	snprintf(s + o, 2048 - o,
	    "%lld|%d|%s|%s|%s|%s|%s|%s|%s|%s|%lld|%s|%s\n",
	    (long long)t->probe_id, t->test_id, t->name,
	    t->mail_from ? t->mail_from : "(null)",
	    t->rcpt_to ? t->rcpt_to : "(null)",
	    t->mail_reply ? t->mail_reply : "(null)",
	    t->rcpt_reply ? t->rcpt_reply : "(null)",
	    t->data_reply ? t->data_reply : "(null)",
	    t->cookie ? t->cookie : "(null)",
	    t->verdict ? t->verdict : "(null)", (long long)t->arrived,
	    t->arrived_from ? t->arrived_from : "(null)",
	    t->received ? t->received : "(null)");
	return 0;
}

static void
test_probe_tests(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t[3];
	struct probe	 pr;
	int64_t		 p, q;
	char		 s[2048];

	p = probe_begin(f->db, "192.0.2.5", 0);
	q = probe_begin(f->db, "192.0.2.6", 0);
	/* Written out of order, read back by test id. */
	t[0] = T(5, "source-route", "refused");
	t[1] = T(1, "plain", "accepted");
	t[1].data_reply = "250 queued";
	t[1].cookie = "k1";
	t[1].arrived = 777;
	t[1].arrived_from = "192.0.2.5";
	t[1].received = "Received: a\nReceived: b";
	t[2] = T(3, "", NULL);
	t[2].mail_from = t[2].rcpt_to = t[2].mail_reply = t[2].rcpt_reply =
	    NULL;
	pr = P(p, "192.0.2.5", "confirmed");
	assert_int_equal(db_probe_finish(f->db, &pr, t, 3, NULL, NULL), 0);
	pr = P(q, "192.0.2.6", "closed");
	assert_int_equal(db_probe_finish(f->db, &pr, t, 1, NULL, NULL), 0);

	assert_string_equal(tests_of(f->db, p),
	    "1:plain:accepted:777 3::(null):0 5:source-route:refused:0");
	s[0] = '\0';
	assert_int_equal(db_probe_tests(f->db, p, tests_full_cb, s), 0);
	assert_string_equal(s,
	    "1|1|plain|<probe@sink.example>|<relaytest@sink.example>|250 ok|"
	    "550 relaying denied|250 queued|k1|accepted|777|192.0.2.5|"
	    "Received: a\nReceived: b\n"
	    "1|3||(null)|(null)|(null)|(null)|(null)|(null)|(null)|0|(null)|"
	    "(null)\n"
	    "1|5|source-route|<probe@sink.example>|<relaytest@sink.example>|"
	    "250 ok|550 relaying denied|(null)|(null)|refused|0|(null)|"
	    "(null)\n");
	/* The other probe's tests are its own. */
	assert_string_equal(tests_of(f->db, q), "5:source-route:refused:0");
	assert_string_equal(tests_of(f->db, q + 1), "");
	/* A NULL name is stored as "" (the column is NOT NULL). */
	t[0].name = NULL;
	assert_int_equal(db_probe_finish(f->db, &pr, t, 1, NULL, NULL), 0);
	assert_string_equal(tests_of(f->db, q), "5::refused:0");
}

/* Runs started since 'since' against an address inside net. */
static int64_t
count_net(struct db *db, const char *net, int64_t since)
{
	struct addr	 a = dbfix_addr(net);
	int64_t		 n = -1;

	if (db_probe_count_net_since(db, &a, since, &n) != 0)
		fail_msg("db_probe_count_net_since(%s): %s", net,
		    db_errmsg(db));
	return n;
}

static void
test_count_net_since(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL);

	assert_int_equal(count_net(f->db, "192.0.2.0/24", 0), 0);
	probe_begin(f->db, "192.0.2.5", 0);		/* 1 */
	probe_begin(f->db, "192.0.20.5", 0);		/* 2 */
	probe_begin(f->db, "192.0.2.77", 0);		/* 3 */
	probe_begin(f->db, "10.192.0.2", 0);		/* 4 */
	probe_begin(f->db, "192.0.2.200", 0);		/* 5: long ago */
	probe_begin(f->db, "192.0.21.5", 0);		/* 6 */
	probe_begin(f->db, "192.0.3.0", 0);		/* 7 */
	probe_begin(f->db, "192.0.1.255", 0);		/* 8 */
	probe_begin(f->db, "192.0.2.0", 0);		/* 9 */
	probe_begin(f->db, "192.0.2.255", 0);		/* 10 */
	dbfix_exec(f, "UPDATE probe SET started = %lld WHERE id = 5",
	    (long long)(now - 86400));

	/* By the address bits, not the text: 192.0.20.5 is not in
	 * 192.0.2.0/24; the network's first and last addresses are. */
	assert_int_equal(count_net(f->db, "192.0.2.0/24", now - 60), 4);
	assert_int_equal(count_net(f->db, "192.0.2.0/24", 0), 5);
	assert_int_equal(count_net(f->db, "192.0.2.0/24", now + 1), 0);
	assert_int_equal(count_net(f->db, "192.0.20.0/24", 0), 1);
	assert_int_equal(count_net(f->db, "192.0.21.0/24", 0), 1);
	assert_int_equal(count_net(f->db, "192.0.3.0/24", 0), 1);
	assert_int_equal(count_net(f->db, "10.192.0.0/24", 0), 1);
	assert_int_equal(count_net(f->db, "192.0.4.0/24", 0), 0);
	/* Other lengths. */
	assert_int_equal(count_net(f->db, "192.0.2.0/23", 0), 6);
	assert_int_equal(count_net(f->db, "192.0.0.0/22", 0), 7);
	assert_int_equal(count_net(f->db, "192.0.0.0/16", 0), 9);
	assert_int_equal(count_net(f->db, "192.0.2.64/26", 0), 1);
	assert_int_equal(count_net(f->db, "192.0.2.5", 0), 1);
	assert_int_equal(count_net(f->db, "192.0.2.6", 0), 0);
	assert_int_equal(count_net(f->db, "0.0.0.0/0", 0), 10);
	assert_int_equal(count_net(f->db, "0.0.0.0/0", now - 60), 9);
	/* A run recorded before schema 2 has no ip: not counted. */
	dbfix_exec(f, "UPDATE probe SET ip = NULL WHERE id = 1");
	assert_int_equal(count_net(f->db, "192.0.2.0/24", now - 60), 3);
}

static void
test_count_net_since_ipv6(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL);

	probe_begin(f->db, "2001:db8:1:2::5", 0);			/* 1 */
	probe_begin(f->db, "2001:db8:1:2:ffff:ffff:ffff:ffff", 0);	/* 2 */
	probe_begin(f->db, "2001:db8:1:3::1", 0);			/* 3 */
	probe_begin(f->db, "2001:db8:1::1", 0);				/* 4 */
	probe_begin(f->db, "2001:db8:2::1", 0);				/* 5 */
	probe_begin(f->db, "2001:db8:1:ffff::1", 0);			/* 6 */
	probe_begin(f->db, "2001:db9::1", 0);				/* 7 */
	probe_begin(f->db, "2001:db8:1:2::6", 0);	/* 8: long ago */
	dbfix_exec(f, "UPDATE probe SET started = %lld WHERE id = 8",
	    (long long)(now - 86400));

	/* /64: one network of hosts. */
	assert_int_equal(count_net(f->db, "2001:db8:1:2::/64", now - 60), 2);
	assert_int_equal(count_net(f->db, "2001:db8:1:2::/64", 0), 3);
	assert_int_equal(count_net(f->db, "2001:db8:1:3::/64", 0), 1);
	assert_int_equal(count_net(f->db, "2001:db8:1::/64", 0), 1);
	assert_int_equal(count_net(f->db, "2001:db8:1:4::/64", 0), 0);
	/* /48: a site. */
	assert_int_equal(count_net(f->db, "2001:db8:1::/48", now - 60), 5);
	assert_int_equal(count_net(f->db, "2001:db8:1::/48", 0), 6);
	assert_int_equal(count_net(f->db, "2001:db8:2::/48", 0), 1);
	assert_int_equal(count_net(f->db, "2001:db8:3::/48", 0), 0);
	/* Other lengths. */
	assert_int_equal(count_net(f->db, "2001:db8::/32", 0), 7);
	assert_int_equal(count_net(f->db, "2001:db8:1:2::5", 0), 1);
	assert_int_equal(count_net(f->db, "2001:db8:1:2::/127", 0), 0);
	assert_int_equal(count_net(f->db, "2001:db8:1:2::4/126", 0), 2);
	assert_int_equal(count_net(f->db, "2001:db8:1:2::/80", now + 1), 0);
	assert_int_equal(count_net(f->db, "2001:db8:1:2:ffff::/80", 0), 1);
}

/*
 * IPv4 and IPv6 runs never count against each other's networks, even
 * where the bits line up: 32.1.13.184 is 0x20010db8, the first 32 bits of
 * 2001:db8::, and 2001:db8:: has nothing past them.
 */
static void
test_count_net_families(void **state)
{
	struct dbfix	*f = *state;

	probe_begin(f->db, "32.1.13.184", 0);			/* 1 */
	probe_begin(f->db, "2001:db8::", 0);			/* 2 */
	probe_begin(f->db, "2001:db8::1", 0);			/* 3 */
	probe_begin(f->db, "192.0.2.1", 0);			/* 4 */
	probe_begin(f->db, "::", 0);				/* 5 */
	probe_begin(f->db, "0.0.0.0", 0);			/* 6 */

	/* IPv4 networks count IPv4 runs only. */
	assert_int_equal(count_net(f->db, "32.1.13.184", 0), 1);
	assert_int_equal(count_net(f->db, "32.1.13.0/24", 0), 1);
	assert_int_equal(count_net(f->db, "32.0.0.0/8", 0), 1);
	assert_int_equal(count_net(f->db, "0.0.0.0", 0), 1);
	assert_int_equal(count_net(f->db, "0.0.0.0/0", 0), 3);
	/* IPv6 networks count IPv6 runs only. */
	assert_int_equal(count_net(f->db, "2001:db8::", 0), 1);
	assert_int_equal(count_net(f->db, "2001:db8::/64", 0), 2);
	assert_int_equal(count_net(f->db, "2001:db8::/48", 0), 2);
	assert_int_equal(count_net(f->db, "2001:db8::/32", 0), 2);
	assert_int_equal(count_net(f->db, "::", 0), 1);
	assert_int_equal(count_net(f->db, "::/64", 0), 1);
	assert_int_equal(count_net(f->db, "::/0", 0), 3);
}

/* ------------------------------------------------------------------ */
/* Arrivals */

static struct arrival
AR(int64_t probe_id, int test_id, int confirmed)
{
	struct arrival	 a;

	memset(&a, 0, sizeof(a));
	a.probe_id = probe_id;
	a.test_id = test_id;
	a.peer = "192.0.2.5";
	a.mail_from = "<probe@sink.example>";
	a.rcpt = "<relaytest@sink.example>";
	a.received = "Received: from relay";
	a.cookie = "cookie";
	a.confirmed = confirmed;
	return a;
}

static int
arrival_add(struct db *db, const struct arrival *a)
{
	int	 c = -1;

	if (db_arrival_add(db, a, &c) != 0)
		fail_msg("db_arrival_add: %s", db_errmsg(db));
	assert_true(c == 0 || c == 1);
	return c;
}

static int
arrivals_cb(const struct arrival *a, void *arg)
{
	char	*s = arg;
	size_t	 o = strlen(s);

	snprintf(s + o, 2048 - o, "%lld|%lld|%lld|%d|%s|%s|%s|%d|%s|%s|%s|%d\n",
	    (long long)a->id, (long long)a->ts, (long long)a->probe_id,
	    a->test_id, a->peer, a->mail_from, a->rcpt, a->bounce,
	    a->bounce_why ? a->bounce_why : "(null)",
	    a->received ? a->received : "(null)", a->cookie, a->confirmed);
	return 0;
}

static void
test_arrivals(void **state)
{
	struct dbfix	*f = *state;
	struct arrival	 a;
	int64_t		 p, q, t0 = time(NULL);
	char		 s[2048];
	int		 c;

	p = probe_begin(f->db, "192.0.2.5", 0);
	q = probe_begin(f->db, "192.0.2.6", 0);
	s[0] = '\0';
	assert_int_equal(db_arrivals(f->db, p, arrivals_cb, s), 0);
	assert_string_equal(s, "");

	/* The first arrival for (p, 2) confirms. */
	a = AR(p, 2, 1);
	a.ts = 1001;
	a.cookie = "k2";
	assert_int_equal(arrival_add(f->db, &a), 1);
	/* The same cookie again (a replay, a duplicate): stored, no proof. */
	a.ts = 1002;
	a.peer = "198.51.100.7";
	assert_int_equal(arrival_add(f->db, &a), 0);
	/* A bounce is stored and confirms nothing. */
	a = AR(p, 3, 0);
	a.ts = 1003;
	a.bounce = 1;
	a.bounce_why = "550 5.1.1 no such user";
	a.mail_from = "<>";
	a.received = NULL;
	a.cookie = "k3";
	assert_int_equal(arrival_add(f->db, &a), 0);
	/* ... nor does it use up the cookie: the real mail still confirms. */
	a = AR(p, 3, 1);
	a.ts = 1004;
	a.cookie = "k3";
	assert_int_equal(arrival_add(f->db, &a), 1);
	/* Another probe's test 2 is another cookie. */
	a = AR(q, 2, 1);
	assert_int_equal(arrival_add(f->db, &a), 1);

	s[0] = '\0';
	assert_int_equal(db_arrivals(f->db, p, arrivals_cb, s), 0);
	assert_string_equal(s,
	    "1|1001|1|2|192.0.2.5|<probe@sink.example>|"
	    "<relaytest@sink.example>|0|(null)|Received: from relay|k2|1\n"
	    "2|1002|1|2|198.51.100.7|<probe@sink.example>|"
	    "<relaytest@sink.example>|0|(null)|Received: from relay|k2|0\n"
	    "3|1003|1|3|192.0.2.5|<>|<relaytest@sink.example>|1|"
	    "550 5.1.1 no such user|(null)|k3|0\n"
	    "4|1004|1|3|192.0.2.5|<probe@sink.example>|"
	    "<relaytest@sink.example>|0|(null)|Received: from relay|k3|1\n");
	/* ts 0: now. */
	assert_true(dbfix_int(f, "SELECT ts FROM arrival WHERE id = 5") >= t0);
	s[0] = '\0';
	assert_int_equal(db_arrivals(f->db, q, arrivals_cb, s), 0);
	assert_int_equal(strncmp(s, "5|", 2), 0);
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM arrival WHERE "
	    "probe_id = %lld", (long long)q), 1);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM arrival WHERE "
	    "confirmed = 1"), 3);

	/* An arrival for a probe that does not exist: refused. */
	a = AR(q + 10, 1, 1);
	c = -1;
	assert_int_equal(db_arrival_add(f->db, &a, &c), -1);
	assert_int_equal(c, 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM arrival"), 5);
	/* NULL text fields are stored as "". */
	memset(&a, 0, sizeof(a));
	a.probe_id = q;
	a.test_id = 9;
	assert_int_equal(arrival_add(f->db, &a), 0);
	assert_string_equal(dbfix_text(f, "SELECT peer || '.' || mail_from || "
	    "'.' || rcpt || '.' || cookie FROM arrival WHERE test_id = 9"),
	    "...");
}

/* The schema's unique index holds even behind the layer's back. */
static void
test_arrival_unique_index(void **state)
{
	struct dbfix	*f = *state;
	struct arrival	 a;
	char		*msg = NULL;
	int64_t		 p;

	p = probe_begin(f->db, "192.0.2.5", 0);
	a = AR(p, 1, 1);
	assert_int_equal(arrival_add(f->db, &a), 1);
	assert_int_equal(sqlite3_exec(dbfix_raw(f), "INSERT INTO arrival (ts, "
	    "probe_id, test_id, peer, mail_from, rcpt, cookie, confirmed) "
	    "VALUES (1, 1, 1, 'x', 'y', 'z', 'c', 1)", NULL, NULL, &msg),
	    SQLITE_CONSTRAINT);
	sqlite3_free(msg);
	/* Not confirming, or another test: fine. */
	dbfix_exec(f, "INSERT INTO arrival (ts, probe_id, test_id, peer, "
	    "mail_from, rcpt, cookie, confirmed) VALUES (1, 1, 1, 'x', 'y', "
	    "'z', 'c', 0)");
	dbfix_exec(f, "INSERT INTO arrival (ts, probe_id, test_id, peer, "
	    "mail_from, rcpt, cookie, confirmed) VALUES (1, 1, 2, 'x', 'y', "
	    "'z', 'c', 1)");
	/* The layer sees the raw confirmation of test 2. */
	a = AR(p, 2, 1);
	assert_int_equal(arrival_add(f->db, &a), 0);
}

#define RACE_TESTS	40

/* A child: its own connection, a confirming arrival per test. */
static void
race_child(const char *path, int64_t probe_id, int go, int out)
{
	struct arrival	 a;
	struct db	*db;
	char		 err[512], b;
	int		 i, c, won = 0;

	alarm(60);
	if ((db = db_open(path, 0, err, sizeof(err))) == NULL)
		_exit(2);
	if (read(go, &b, 1) < 0)
		_exit(2);
	for (i = 1; i <= RACE_TESTS; i++) {
		a = AR(probe_id, i, 1);
		if (db_arrival_add(db, &a, &c) != 0) {
			db_close(db);
			_exit(3);
		}
		won += c;
	}
	db_close(db);
	if (write(out, &won, sizeof(won)) != sizeof(won))
		_exit(4);
	_exit(0);
}

static void
test_arrival_race(void **state)
{
	struct dbfix	*f = *state;
	int		 go[2], out[2], i, st, won, total = 0;
	pid_t		 pid[2];
	int64_t		 p;

	p = probe_begin(f->db, "192.0.2.5", 0);
	/* No connection crosses fork(). */
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(out), 0);
	for (i = 0; i < 2; i++) {
		if ((pid[i] = fork()) == 0) {
			close(go[1]);
			close(out[0]);
			race_child(f->path, p, go[0], out[1]);
		}
		assert_true(pid[i] > 0);
	}
	close(go[0]);
	close(out[1]);
	close(go[1]);				/* both start at once */
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(read(out[0], &won, sizeof(won)), sizeof(won));
		total += won;
	}
	close(out[0]);
	/* Each cookie confirmed exactly once, whoever won it. */
	assert_int_equal(total, RACE_TESTS);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM arrival"),
	    2 * RACE_TESTS);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM arrival WHERE "
	    "confirmed = 1"), RACE_TESTS);
	assert_int_equal(dbfix_int(f, "SELECT count(DISTINCT test_id) FROM "
	    "arrival WHERE confirmed = 1"), RACE_TESTS);
}

int
main(void)
{
#define U(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		U(test_submission_add),
		U(test_submission_get_notfound),
		U(test_submission_foreach),
		U(test_claim_order_and_max),
		U(test_claim_max_zero),
		U(test_claim_not_before),
		U(test_claim_one_per_address),
		U(test_claim_callback),
		U(test_claim_callback_stops),
		U(test_claim_in_transaction),
		U(test_submission_set),
		U(test_requeue),
		U(test_counts),
		U(test_count_since),
		U(test_probe_begin),
		U(test_probe_get_notfound),
		U(test_probe_finish),
		U(test_probe_finish_lists),
		U(test_probe_finish_atomic),
		U(test_probe_finish_in_transaction),
		U(test_probe_confirm),
		U(test_probe_confirm_interrupted),
		U(test_probe_foreach_addr),
		U(test_probe_tests),
		U(test_count_net_since),
		U(test_count_net_since_ipv6),
		U(test_count_net_families),
		U(test_arrivals),
		U(test_arrival_unique_index),
		U(test_arrival_race),
	};
#undef U

	return cmocka_run_group_tests(tests, NULL, NULL);
}
