/*
 * test_db_claim.c -- unit tests for db/db_claim.c and what schema 2
 * changed around it: claims (one run per address whatever started it,
 * leases, taking back a dead run's work), the evidence ports of probe
 * listings and the delisting they decide, the periodic re-test by port,
 * the bounded reads of a waiting run (arrivals since, counts, accepted
 * tests), a locked database (db_busy), and the migration from schema 1.
 *
 * Every test runs on a fresh database file in its own temporary directory,
 * removed afterwards.  A raw sqlite3 connection looks behind the layer's
 * back (claim, evidence, journal and event rows) and builds the schema 1
 * database from tests/unit/data/schema_v1.sql (run from the top of the
 * tree, like every unit test).
 */
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

#define SCHEMA_V1	"tests/unit/data/schema_v1.sql"
#define LEASE		600

static int
setup(void **state)
{
	return dbfix_new(state, "dbc", 1);
}

static int
teardown(void **state)
{
	struct dbfix	*f = *state;
	char		 p[128];

	dbfix_close(f);		/* test_migration_v1 leaves v1.db open */
	snprintf(p, sizeof(p), "%s/v1.db", f->dir);
	dbfix_unlink(p);
	dbfix_teardown(f);
	free(f);
	return 0;
}

/* Every claim, "kind:ref:addr:owner ..." by address. */
static const char *
claims(struct dbfix *f)
{
	return dbfix_text(f, "SELECT coalesce(group_concat(kind || ':' || "
	    "ref || ':' || addr || ':' || owner, ' '), '') FROM (SELECT * FROM "
	    "claim ORDER BY addr)");
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

/* Is there a listing for exactly cidr? */
static int
listed(struct dbfix *f, const char *cidr)
{
	return (int)dbfix_int(f, "SELECT count(*) FROM listing WHERE "
	    "net = %s", dbfix_net(cidr));
}

/* ------------------------------------------------------------------ */
/* Units of work */

static int64_t
sub_add(struct db *db, const char *addr)
{
	int64_t	 id = -1;

	if (db_submission_add(db, addr, 25, NULL, NULL, "web", &id) != 0)
		fail_msg("db_submission_add: %s", db_errmsg(db));
	assert_true(id > 0);
	return id;
}

static int64_t
req_add(struct db *db, const char *addr)
{
	int64_t	 id = -1;
	int	 existing = -1;

	if (db_request_add(db, addr, "owner@example.net", NULL, 0, 0, "web",
	    &id, &existing) != 0)
		fail_msg("db_request_add: %s", db_errmsg(db));
	assert_int_equal(existing, 0);
	assert_true(id > 0);
	return id;
}

/* Ids seen by a callback, "1 2 3". */
struct ids {
	char	 s[512];
	int	 n;
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
	ids_add(arg, x->id);
	return 0;
}

static int
ids_req(const struct delist_request *r, void *arg)
{
	ids_add(arg, r->id);
	return 0;
}

/* Claim submissions / requests at now for owner; the ids claimed. */
static const char *
sub_claim(struct db *db, int64_t now, const char *owner)
{
	static struct ids	 v;

	memset(&v, 0, sizeof(v));
	if (db_submission_claim(db, now, now + LEASE, owner, 10, ids_sub,
	    &v) != 0)
		fail_msg("db_submission_claim: %s", db_errmsg(db));
	return v.s;
}

static const char *
req_claim(struct db *db, int64_t now, const char *owner)
{
	static struct ids	 v;

	memset(&v, 0, sizeof(v));
	if (db_request_claim(db, now, now + LEASE, owner, 10, ids_req,
	    &v) != 0)
		fail_msg("db_request_claim: %s", db_errmsg(db));
	return v.s;
}

struct state {
	char	 s[32];
	int	 tries;
};

static int
sub_state_cb(const struct submission *x, void *arg)
{
	struct state	*st = arg;

	snprintf(st->s, sizeof(st->s), "%s", x->state);
	st->tries = x->tries;
	return 0;
}

static int
req_state_cb(const struct delist_request *r, void *arg)
{
	struct state	*st = arg;

	snprintf(st->s, sizeof(st->s), "%s", r->state);
	st->tries = r->tries;
	return 0;
}

/* "state/tries" of a submission or a request. */
static const char *
sub_state(struct db *db, int64_t id)
{
	static char	 buf[48];
	struct state	 st = { "", -1 };

	if (db_submission_get(db, id, sub_state_cb, &st) != 0)
		fail_msg("db_submission_get: %s", db_errmsg(db));
	snprintf(buf, sizeof(buf), "%s/%d", st.s, st.tries);
	return buf;
}

static const char *
req_state(struct db *db, int64_t id)
{
	static char	 buf[48];
	struct state	 st = { "", -1 };

	if (db_request_get(db, id, req_state_cb, &st) != 0)
		fail_msg("db_request_get: %s", db_errmsg(db));
	snprintf(buf, sizeof(buf), "%s/%d", st.s, st.tries);
	return buf;
}

/* The owner of the claim on addr, or "-". */
static const char *
owner_of(struct db *db, const char *addr)
{
	static char	 owner[64];
	int64_t		 lease = -1;
	int		 rc;

	rc = db_claim_get(db, addr, owner, sizeof(owner), &lease);
	if (rc == DB_NOTFOUND)
		return "-";
	if (rc != 0)
		fail_msg("db_claim_get: %s", db_errmsg(db));
	assert_true(lease > 0);
	return owner;
}

/* A submission's claim blocks a request and a manual claim on its
 * address, and the other way round: one run per address. */
static void
test_one_run_per_address(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL), lease = 0;
	char		 owner[8];

	/* A submission runs: the request for its address waits. */
	assert_int_equal(sub_add(f->db, "192.0.2.1"), 1);
	assert_string_equal(sub_claim(f->db, now, "prober"), "1");
	assert_int_equal(req_add(f->db, "192.0.2.1"), 1);
	assert_string_equal(req_claim(f->db, now, "prober"), "");
	assert_string_equal(req_state(f->db, 1), "pending/0");
	assert_int_equal(db_claim_take(f->db, "192.0.2.1", "orblctl:1", now,
	    now + LEASE), DB_CLAIMED);
	assert_string_equal(claims(f), "submission:1:192.0.2.1:prober");

	/* A request runs: a submission for its address waits. */
	assert_int_equal(req_add(f->db, "192.0.2.2"), 2);
	assert_string_equal(req_claim(f->db, now, "prober"), "2");
	assert_string_equal(req_state(f->db, 2), "retesting/1");
	assert_string_equal(dbfix_events(f, "request", 2),
	    "pending/- retesting/-");
	assert_int_equal(sub_add(f->db, "192.0.2.2"), 2);
	assert_string_equal(sub_claim(f->db, now, "prober"), "");
	assert_string_equal(sub_state(f->db, 2), "queued/0");
	assert_int_equal(db_claim_take(f->db, "192.0.2.2", "orblctl:1", now,
	    now + LEASE), DB_CLAIMED);

	/* orblctl probe runs: neither kind starts. */
	assert_int_equal(db_claim_take(f->db, "192.0.2.3", "orblctl:1", now,
	    now + LEASE), 0);
	assert_int_equal(sub_add(f->db, "192.0.2.3"), 3);
	assert_int_equal(req_add(f->db, "192.0.2.3"), 3);
	assert_string_equal(sub_claim(f->db, now, "prober"), "");
	assert_string_equal(req_claim(f->db, now, "prober"), "");
	assert_int_equal(db_claim_take(f->db, "192.0.2.3", "orblctl:2", now,
	    now + LEASE), DB_CLAIMED);
	assert_string_equal(claims(f), "submission:1:192.0.2.1:prober "
	    "request:2:192.0.2.2:prober manual:0:192.0.2.3:orblctl:1");
	assert_string_equal(owner_of(f->db, "192.0.2.3"), "orblctl:1");
	assert_string_equal(owner_of(f->db, "192.0.2.4"), "-");
	/* The owner is truncated to the buffer, the lease copied. */
	assert_int_equal(db_claim_get(f->db, "192.0.2.3", owner,
	    sizeof(owner), &lease), 0);
	assert_string_equal(owner, "orblctl");
	assert_int_equal(lease, now + LEASE);
	assert_int_equal(db_claim_get(f->db, "192.0.2.3", NULL, 0, NULL), 0);

	/* Another owner's release leaves the claim alone. */
	assert_int_equal(db_claim_release(f->db, "192.0.2.3", "orblctl:2"), 0);
	assert_string_equal(owner_of(f->db, "192.0.2.3"), "orblctl:1");
	/* Released, each address is free for the waiting kind. */
	assert_int_equal(db_claim_release(f->db, "192.0.2.3", "orblctl:1"), 0);
	assert_int_equal(db_submission_set(f->db, 1, "done", "closed", 0, 0,
	    "prober", NULL), 0);
	assert_int_equal(db_claim_release(f->db, "192.0.2.1", NULL), 0);
	assert_int_equal(db_request_set(f->db, 2, "refused", 0, 0, "still open",
	    "prober"), 0);
	assert_int_equal(db_claim_release(f->db, "192.0.2.2", "prober"), 0);
	assert_string_equal(claims(f), "");
	/* Requests first here: each takes its address, the submission for
	 * the same address waits again. */
	assert_string_equal(req_claim(f->db, now, "prober"), "1 3");
	assert_string_equal(sub_claim(f->db, now, "prober"), "2");
	assert_string_equal(sub_state(f->db, 3), "queued/0");
	assert_string_equal(claims(f), "request:1:192.0.2.1:prober "
	    "submission:2:192.0.2.2:prober request:3:192.0.2.3:prober");
	/* Releasing what nobody holds is no error. */
	assert_int_equal(db_claim_release(f->db, "192.0.2.9", NULL), 0);
}

/* One claim per address also inside one claim call (the request queue
 * holds one open request per address, but nothing stops a second). */
static void
test_claim_request_duplicate(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL);

	assert_int_equal(req_add(f->db, "192.0.2.1"), 1);
	dbfix_exec(f, "INSERT INTO delist_request (addr, contact, state, "
	    "created, updated) VALUES ('192.0.2.1', 'x@example.net', "
	    "'pending', 1, 1)");
	assert_string_equal(req_claim(f->db, now, "prober"), "1");
	assert_string_equal(req_state(f->db, 2), "pending/0");
	assert_string_equal(claims(f), "request:1:192.0.2.1:prober");
}

#define RELEASED	"claim released: the run that held it did not " \
			"finish (its process stopped or died)"

/* Expiry by lease and by owner, submissions and requests together. */
static void
test_expire_both_kinds(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL);
	struct ids	 v;
	int		 n = -1;

	sub_add(f->db, "192.0.2.1");				/* s1 */
	sub_add(f->db, "192.0.2.2");				/* s2 */
	req_add(f->db, "192.0.2.3");				/* r1 */
	req_add(f->db, "192.0.2.4");				/* r2 */
	/* The old prober: s1, r1 with a lease still running. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_submission_claim(f->db, now, now + LEASE, "prober",
	    1, ids_sub, &v), 0);
	assert_string_equal(v.s, "1");
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_request_claim(f->db, now, now + LEASE, "prober",
	    1, ids_req, &v), 0);
	assert_string_equal(v.s, "1");
	/* Another one's: s2 and r2, leases past by now + 100. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_submission_claim(f->db, now, now + 50, "prober-b",
	    1, ids_sub, &v), 0);
	assert_string_equal(v.s, "2");
	memset(&v, 0, sizeof(v));
	assert_int_equal(db_request_claim(f->db, now, now + 50, "prober-b",
	    1, ids_req, &v), 0);
	assert_string_equal(v.s, "2");
	assert_string_equal(req_state(f->db, 2), "retesting/1");
	assert_string_equal(dbfix_events(f, "request", 2),
	    "pending/- retesting/-");
	assert_string_equal(dbfix_text(f, "SELECT actor FROM event WHERE "
	    "kind = 'request' AND ref = 2 AND what = 'retesting'"), "prober-b");

	/* Nothing expired yet, and no owner named: nothing happens. */
	assert_int_equal(db_claim_expire(f->db, now + 50, NULL, "prober", &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 4);

	/* By lease: prober-b's two go, whoever asks. */
	assert_int_equal(db_claim_expire(f->db, now + 100, "nobody", "prober",
	    &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sub_state(f->db, 2), "queued/1");
	assert_string_equal(req_state(f->db, 2), "pending/1");
	assert_string_equal(dbfix_events(f, "request", 2),
	    "pending/- retesting/- pending/" RELEASED);
	assert_string_equal(dbfix_events(f, "submission", 2),
	    "queued/- probing/- queued/" RELEASED);
	assert_string_equal(dbfix_text(f, "SELECT actor || ' ' || addr FROM "
	    "event WHERE kind = 'request' AND ref = 2 ORDER BY id DESC "
	    "LIMIT 1"), "prober 192.0.2.4");
	assert_string_equal(claims(f), "submission:1:192.0.2.1:prober "
	    "request:1:192.0.2.3:prober");
	assert_int_equal(dbfix_int(f, "SELECT updated FROM delist_request "
	    "WHERE id = 2"), now + 100);

	/* By owner: the prober restarts and takes back its own. */
	assert_int_equal(db_claim_expire(f->db, now + 100, "prober", "prober",
	    &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sub_state(f->db, 1), "queued/1");
	assert_string_equal(req_state(f->db, 1), "pending/1");
	assert_string_equal(dbfix_events(f, "request", 1),
	    "pending/- retesting/- pending/" RELEASED);
	assert_string_equal(claims(f), "");

	/* All claimable again; the try counts go on. */
	assert_string_equal(req_claim(f->db, now + 100, "prober"), "1 2");
	assert_string_equal(sub_claim(f->db, now + 100, "prober"), "1 2");
	assert_string_equal(req_state(f->db, 2), "retesting/2");
	assert_string_equal(sub_state(f->db, 1), "probing/2");

	/* A request decided before its claim was released: the claim goes,
	 * the decision stays, nothing counted. */
	assert_int_equal(db_request_set(f->db, 1, "delisted", 0, 0, "closed",
	    "prober"), 0);
	assert_int_equal(db_claim_expire(f->db, now + 100, "prober", "prober",
	    &n), 0);
	assert_int_equal(n, 3);				/* s1, s2, r2 */
	assert_string_equal(req_state(f->db, 1), "delisted/2");
	assert_string_equal(dbfix_events(f, "request", 1), "pending/- "
	    "retesting/- pending/" RELEASED " retesting/- delisted/closed");
	assert_string_equal(claims(f), "");
}

/* Expiry inside the caller's transaction joins it. */
static void
test_expire_in_transaction(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 now = time(NULL);
	int		 n = -1;

	sub_add(f->db, "192.0.2.1");
	assert_string_equal(sub_claim(f->db, now, "prober"), "1");
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_claim_expire(f->db, now, "prober", "prober", &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(db_rollback(f->db), 0);
	assert_string_equal(sub_state(f->db, 1), "probing/1");
	assert_string_equal(owner_of(f->db, "192.0.2.1"), "prober");
	assert_string_equal(dbfix_events(f, "submission", 1),
	    "queued/- probing/-");
}

/* ------------------------------------------------------------------ */
/* Evidence */

static int64_t
probe_begin(struct db *db, const char *addr, int port)
{
	int64_t	 id = -1;

	if (db_probe_begin(db, addr, port, 0, 0, &id) != 0)
		fail_msg("db_probe_begin: %s", db_errmsg(db));
	assert_true(id > 0);
	return id;
}

static struct probe
P(int64_t id, const char *addr, int port, const char *verdict)
{
	struct probe	 p;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.addr = addr;
	p.port = port;
	p.verdict = verdict;
	return p;
}

/* A finished run on addr:port; with a listing when it is confirmed. */
static int64_t
run(struct db *db, const char *addr, int port, const char *verdict,
    int64_t finished)
{
	struct listing	 l;
	struct probe	 p;
	int64_t		 id = probe_begin(db, addr, port);

	p = P(id, addr, port, verdict);
	p.finished = finished;
	l = L(addr, id);
	if (db_probe_finish(db, &p, NULL, 0, strcmp(verdict, "confirmed") ?
	    NULL : &l, "test") != 0)
		fail_msg("db_probe_finish: %s", db_errmsg(db));
	return id;
}

/* The evidence ports of addr, "25 587". */
static const char *
ports(struct db *db, const char *addr)
{
	static char	 buf[256];
	int		 v[16], n = -1, i, all = -1;
	size_t		 o = 0;

	if (db_evidence_ports(db, addr, v, 16, &n) != 0 ||
	    db_evidence_ports(db, addr, NULL, 0, &all) != 0)
		fail_msg("db_evidence_ports: %s", db_errmsg(db));
	assert_int_equal(n, all);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%d",
		    i ? " " : "", v[i]);
	return buf;
}

static int
delist(struct db *db, const char *addr, int port)
{
	int	 removed = -1, rc;

	if ((rc = db_probe_delist(db, addr, port, "closed", &removed)) != 0)
		fail_msg("db_probe_delist(%s, %d) = %d: %s", addr, port, rc,
		    db_errmsg(db));
	assert_true(removed == 0 || removed == 1);
	return removed;
}

static void
test_evidence_ports(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 l;
	int64_t		 p1, p2, p3;
	uint32_t	 s0;
	char		 buf[256];

	assert_string_equal(ports(f->db, "192.0.2.5"), "");
	/* Proved on 25: listed, evidence {25}. */
	p1 = run(f->db, "192.0.2.5", 25, "confirmed", 0);
	assert_int_equal(listed(f, "192.0.2.5"), 1);
	assert_string_equal(ports(f->db, "192.0.2.5"), "25");
	assert_int_equal(dbfix_int(f, "SELECT probe_id FROM evidence WHERE "
	    "addr = '192.0.2.5' AND port = 25"), p1);
	s0 = dbfix_serial(f->db);

	/* A closed re-test on 2525, where nothing was proved: nothing
	 * goes. */
	p2 = run(f->db, "192.0.2.5", 2525, "closed", 0);
	assert_int_equal(delist(f->db, "192.0.2.5", 2525), 0);
	assert_int_equal(listed(f, "192.0.2.5"), 1);
	assert_string_equal(ports(f->db, "192.0.2.5"), "25");
	assert_int_equal(dbfix_serial(f->db), s0);
	(void)p2;

	/* Proved on 587 too, by a late arrival. */
	p3 = probe_begin(f->db, "192.0.2.5", 587);
	{
		struct probe	 p = P(p3, "192.0.2.5", 587,
		    "accepted-not-delivered");

		assert_int_equal(db_probe_finish(f->db, &p, NULL, 0, NULL,
		    NULL), 0);
	}
	assert_string_equal(ports(f->db, "192.0.2.5"), "25");
	l = L("192.0.2.5", p3);
	assert_int_equal(db_probe_confirm(f->db, p3, "single-hop", 1, NULL, &l,
	    "late arrival"), 0);
	assert_string_equal(ports(f->db, "192.0.2.5"), "25 587");
	assert_int_equal(dbfix_int(f, "SELECT probe_id FROM evidence WHERE "
	    "port = 587"), p3);
	/* At most max ports are written; n says how many were. */
	{
		int	 one[1] = { -1 }, n = -1;

		assert_int_equal(db_evidence_ports(f->db, "192.0.2.5", one, 1,
		    &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(one[0], 25);
	}
	s0 = dbfix_serial(f->db);

	/* Closed on 25: that evidence goes, the listing stays on 587. */
	assert_int_equal(delist(f->db, "192.0.2.5", 25), 0);
	assert_int_equal(listed(f, "192.0.2.5"), 1);
	assert_string_equal(ports(f->db, "192.0.2.5"), "587");
	assert_int_equal(dbfix_serial(f->db), s0);
	/* Closed on 25 again: nothing left there to remove. */
	assert_int_equal(delist(f->db, "192.0.2.5", 25), 0);
	assert_int_equal(listed(f, "192.0.2.5"), 1);

	/* Closed on 587, the last: the listing goes, with a journal row. */
	assert_int_equal(delist(f->db, "192.0.2.5", 587), 1);
	assert_int_equal(listed(f, "192.0.2.5"), 0);
	assert_string_equal(ports(f->db, "192.0.2.5"), "");
	assert_int_equal(dbfix_serial(f->db), s0 + 1);
	snprintf(buf, sizeof(buf), "%s", dbfix_text(f, "SELECT op || ' ' || "
	    "hex(net) || ' ' || a.s || ' ' || w.s FROM journal "
	    "JOIN str a ON a.id = actor JOIN str w ON w.id = why "
	    "ORDER BY serial DESC LIMIT 1"));
	assert_string_equal(buf, "remove 04C000020520 prober closed");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM evidence"), 0);
	/* And once more: nothing there, nothing done. */
	assert_int_equal(delist(f->db, "192.0.2.5", 587), 0);
	assert_int_equal(dbfix_serial(f->db), s0 + 1);
	(void)p1;
}

/* Evidence is per address: another address's is not touched. */
static void
test_evidence_per_address(void **state)
{
	struct dbfix	*f = *state;

	run(f->db, "192.0.2.5", 25, "confirmed", 0);
	run(f->db, "192.0.2.6", 25, "confirmed", 0);
	run(f->db, "2001:db8::25", 25, "confirmed", 0);
	assert_int_equal(delist(f->db, "192.0.2.6", 25), 1);
	assert_string_equal(ports(f->db, "192.0.2.5"), "25");
	assert_string_equal(ports(f->db, "192.0.2.6"), "");
	assert_string_equal(ports(f->db, "2001:db8::25"), "25");
	assert_int_equal(listed(f, "192.0.2.5"), 1);
	assert_int_equal(delist(f->db, "2001:db8::25", 25), 1);
	assert_int_equal(listed(f, "2001:db8::25"), 0);
	/* The same proof twice is one row, the newest run. */
	run(f->db, "192.0.2.5", 25, "confirmed", 0);
	assert_string_equal(ports(f->db, "192.0.2.5"), "25");
	assert_int_equal(dbfix_int(f, "SELECT probe_id FROM evidence WHERE "
	    "addr = '192.0.2.5'"), 4);
}

/* The operator's removal of a probe listing takes its evidence along. */
static void
test_listing_remove_clears_evidence(void **state)
{
	struct dbfix	*f = *state;
	struct addr	 a = dbfix_addr("192.0.2.5");

	run(f->db, "192.0.2.5", 25, "confirmed", 0);
	run(f->db, "192.0.2.5", 587, "confirmed", 0);
	run(f->db, "192.0.2.6", 25, "confirmed", 0);
	assert_string_equal(ports(f->db, "192.0.2.5"), "25 587");
	assert_int_equal(db_listing_remove(f->db, &a, "admin", "fixed"), 0);
	assert_string_equal(ports(f->db, "192.0.2.5"), "");
	assert_string_equal(ports(f->db, "192.0.2.6"), "25");
	/* Not there: DB_NOTFOUND, nothing else touched. */
	assert_int_equal(db_listing_remove(f->db, &a, "admin", "fixed"),
	    DB_NOTFOUND);
	assert_string_equal(ports(f->db, "192.0.2.6"), "25");
	/* Listed again later: the old ports do not come back with it. */
	run(f->db, "192.0.2.5", 2525, "confirmed", 0);
	assert_string_equal(ports(f->db, "192.0.2.5"), "2525");
}

/* Manual and imported listings are the operator's: a closed re-test
 * never removes them. */
static void
test_delist_not_manual(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 m;
	int64_t		 p;
	uint32_t	 s0;

	p = probe_begin(f->db, "192.0.2.7", 25);
	m = L("192.0.2.7", 0);
	m.source = "manual";
	assert_int_equal(db_listing_put(f->db, &m, "spam", NULL), 0);
	assert_int_equal(db_evidence_put(f->db, "192.0.2.7", 25, p), 0);
	m = L("192.0.2.8", 0);
	m.source = "import";
	assert_int_equal(db_listing_put(f->db, &m, "import", NULL), 0);
	assert_int_equal(db_evidence_put(f->db, "192.0.2.8", 25, p), 0);
	s0 = dbfix_serial(f->db);

	assert_int_equal(delist(f->db, "192.0.2.7", 25), 0);
	assert_int_equal(delist(f->db, "192.0.2.8", 25), 0);
	assert_int_equal(listed(f, "192.0.2.7"), 1);
	assert_int_equal(listed(f, "192.0.2.8"), 1);
	assert_int_equal(dbfix_serial(f->db), s0);
	/* Without evidence at all. */
	assert_int_equal(delist(f->db, "192.0.2.7", 25), 0);
	assert_int_equal(listed(f, "192.0.2.7"), 1);
	/* A probe listing of the /24 is not "exactly addr" either. */
	m = L("192.0.2.0/24", p);
	assert_int_equal(db_listing_put(f->db, &m, NULL, NULL), 0);
	assert_int_equal(db_evidence_put(f->db, "192.0.2.9", 25, p), 0);
	assert_int_equal(delist(f->db, "192.0.2.9", 25), 0);
	assert_int_equal(listed(f, "192.0.2.0/24"), 1);
	/* A bad address: an error. */
	{
		int	 removed = -1;

		assert_int_equal(db_probe_delist(f->db, "192.0.2.300", 25,
		    NULL, &removed), -1);
		assert_int_equal(removed, 0);
	}
}

/* ------------------------------------------------------------------ */
/* The periodic re-test */

static int
due_cb(const char *addr, int port, void *arg)
{
	char	*s = arg;
	size_t	 o = strlen(s);

	snprintf(s + o, 512 - o, "%s%s:%d", o ? " " : "", addr, port);
	return 0;
}

static const char *
due(struct db *db, int64_t before, int max)
{
	static char	 s[512];

	s[0] = '\0';
	if (db_listing_retest_due(db, before, max, due_cb, s) != 0)
		fail_msg("db_listing_retest_due: %s", db_errmsg(db));
	return s;
}

static void
test_retest_due_per_port(void **state)
{
	struct dbfix	*f = *state;
	struct listing	 m;
	int64_t		 p;

	assert_string_equal(due(f->db, 1000000, 10), "");
	/* 192.0.2.5: proved on 25 at 1000, on 587 at 5000. */
	run(f->db, "192.0.2.5", 25, "confirmed", 1000);
	run(f->db, "192.0.2.5", 587, "confirmed", 5000);
	assert_string_equal(due(f->db, 1000, 10), "");
	assert_string_equal(due(f->db, 3000, 10), "192.0.2.5:25");
	/* A recent run on another port says nothing about 25. */
	run(f->db, "192.0.2.5", 2525, "closed", 9000);
	assert_string_equal(due(f->db, 3000, 10), "192.0.2.5:25");
	assert_string_equal(due(f->db, 6000, 10),
	    "192.0.2.5:25 192.0.2.5:587");
	/* A newer run on 25 (still open, say) makes 25 not due. */
	run(f->db, "192.0.2.5", 25, "timeout", 4000);
	assert_string_equal(due(f->db, 3000, 10), "");
	assert_string_equal(due(f->db, 4001, 10), "192.0.2.5:25");
	/* A run still going (no finish) does not count. */
	probe_begin(f->db, "192.0.2.5", 25);
	assert_string_equal(due(f->db, 4001, 10), "192.0.2.5:25");

	/* A claim on the address, of any kind: not due. */
	assert_int_equal(db_claim_take(f->db, "192.0.2.5", "orblctl:1", 1,
	    2), 0);
	assert_string_equal(due(f->db, 6000, 10), "");
	assert_int_equal(db_claim_release(f->db, "192.0.2.5", NULL), 0);
	assert_string_equal(due(f->db, 6000, 10),
	    "192.0.2.5:25 192.0.2.5:587");
	/* A queued submission: not due (it will run anyway). */
	assert_int_equal(sub_add(f->db, "192.0.2.5"), 1);
	assert_string_equal(due(f->db, 6000, 10), "");
	assert_int_equal(db_submission_set(f->db, 1, "done", "closed", 0, 0,
	    "prober", NULL), 0);
	assert_string_equal(due(f->db, 6000, 10),
	    "192.0.2.5:25 192.0.2.5:587");

	/* By address then port, at most max; another address. */
	run(f->db, "192.0.2.4", 25, "confirmed", 100);
	assert_string_equal(due(f->db, 6000, 10),
	    "192.0.2.4:25 192.0.2.5:25 192.0.2.5:587");
	assert_string_equal(due(f->db, 6000, 2), "192.0.2.4:25 192.0.2.5:25");
	assert_string_equal(due(f->db, 6000, 0), "");
	/* Delisted on 25: only 587 is left to re-test. */
	assert_int_equal(delist(f->db, "192.0.2.5", 25), 0);
	assert_string_equal(due(f->db, 6000, 10),
	    "192.0.2.4:25 192.0.2.5:587");

	/* Evidence under a listing that is not a probe's: not due. */
	p = probe_begin(f->db, "192.0.2.7", 25);
	m = L("192.0.2.7", 0);
	m.source = "manual";
	assert_int_equal(db_listing_put(f->db, &m, NULL, NULL), 0);
	assert_int_equal(db_evidence_put(f->db, "192.0.2.7", 25, p), 0);
	assert_string_equal(due(f->db, 6000, 10),
	    "192.0.2.4:25 192.0.2.5:587");
}

/* ------------------------------------------------------------------ */
/* What a waiting run and the sink read */

static void
arrival_add(struct db *db, int64_t probe_id, int test_id)
{
	struct arrival	 a;
	int		 c = -1;

	memset(&a, 0, sizeof(a));
	a.probe_id = probe_id;
	a.test_id = test_id;
	a.ts = 1000 + test_id;
	a.peer = "192.0.2.5";
	a.mail_from = "<probe@sink.example>";
	a.rcpt = "<relaytest@sink.example>";
	a.cookie = "k";
	if (db_arrival_add(db, &a, &c) != 0)
		fail_msg("db_arrival_add: %s", db_errmsg(db));
	assert_int_equal(c, 0);
}

struct seen {
	char	 s[512];
	int64_t	 last;
	int	 stop;
};

static int
since_cb(const struct arrival *a, void *arg)
{
	struct seen	*v = arg;
	size_t		 o = strlen(v->s);

	assert_true(a->id > v->last);
	v->last = a->id;
	snprintf(v->s + o, sizeof(v->s) - o, "%s%lld:%d", o ? " " : "",
	    (long long)a->probe_id, a->test_id);
	return v->stop;
}

/* Arrivals of probe since after; v->last = the last id seen. */
static const char *
since(struct db *db, int64_t probe, struct seen *v)
{
	v->s[0] = '\0';
	if (db_arrivals_since(db, probe, v->last, since_cb, v) != 0)
		fail_msg("db_arrivals_since: %s", db_errmsg(db));
	return v->s;
}

static void
test_arrivals_since(void **state)
{
	struct dbfix	*f = *state;
	struct seen	 v;
	int64_t		 p, q;

	p = probe_begin(f->db, "192.0.2.5", 25);
	q = probe_begin(f->db, "192.0.2.6", 25);
	memset(&v, 0, sizeof(v));
	assert_string_equal(since(f->db, p, &v), "");
	arrival_add(f->db, p, 1);			/* 1 */
	arrival_add(f->db, q, 1);			/* 2 */
	arrival_add(f->db, p, 2);			/* 3 */
	/* The first read: all of p's, in order. */
	assert_string_equal(since(f->db, p, &v), "1:1 1:2");
	assert_int_equal(v.last, 3);
	/* Nothing new. */
	assert_string_equal(since(f->db, p, &v), "");
	assert_int_equal(v.last, 3);
	/* Only what came after. */
	arrival_add(f->db, q, 2);			/* 4 */
	arrival_add(f->db, p, 3);			/* 5 */
	arrival_add(f->db, p, 1);			/* 6: again */
	assert_string_equal(since(f->db, p, &v), "1:3 1:1");
	assert_int_equal(v.last, 6);
	/* From an id in the middle. */
	v.last = 2;
	assert_string_equal(since(f->db, p, &v), "1:2 1:3 1:1");
	v.last = 0;
	assert_string_equal(since(f->db, q, &v), "2:1 2:2");
	assert_string_equal(since(f->db, q + 1, &v), "");
	/* A callback's non-zero return stops and comes back. */
	memset(&v, 0, sizeof(v));
	v.stop = 9;
	assert_int_equal(db_arrivals_since(f->db, p, 0, since_cb, &v), 9);
	assert_string_equal(v.s, "1:1");
	/* The statement was reset: the next read starts over. */
	v.stop = 0;
	v.last = 0;
	assert_string_equal(since(f->db, p, &v), "1:1 1:2 1:3 1:1");
}

static int64_t
count(struct db *db, int64_t probe, int test)
{
	int64_t	 n = -1;

	if (db_arrival_count(db, probe, test, &n) != 0)
		fail_msg("db_arrival_count: %s", db_errmsg(db));
	return n;
}

static void
test_arrival_count(void **state)
{
	struct dbfix	*f = *state;
	int64_t		 p, q;

	p = probe_begin(f->db, "192.0.2.5", 25);
	q = probe_begin(f->db, "192.0.2.6", 25);
	assert_int_equal(count(f->db, p, 0), 0);
	assert_int_equal(count(f->db, p, 1), 0);
	arrival_add(f->db, p, 1);
	arrival_add(f->db, p, 1);
	arrival_add(f->db, p, 2);
	arrival_add(f->db, q, 1);
	/* Per test, and the whole run with test 0. */
	assert_int_equal(count(f->db, p, 1), 2);
	assert_int_equal(count(f->db, p, 2), 1);
	assert_int_equal(count(f->db, p, 3), 0);
	assert_int_equal(count(f->db, p, 0), 3);
	assert_int_equal(count(f->db, q, 0), 1);
	assert_int_equal(count(f->db, q, 1), 1);
	assert_int_equal(count(f->db, q + 1, 0), 0);
}

static int
accepted(struct db *db, int64_t probe, int test)
{
	int	 a = -1;

	if (db_probe_test_accepted(db, probe, test, &a) != 0)
		fail_msg("db_probe_test_accepted: %s", db_errmsg(db));
	assert_true(a == 0 || a == 1);
	return a;
}

static void
test_probe_test_accepted(void **state)
{
	struct dbfix	*f = *state;
	struct probe_test_row	 t[5];
	struct probe	 pr;
	int64_t		 p;
	int		 i;

	p = probe_begin(f->db, "192.0.2.5", 25);
	/* Nothing recorded yet (the run is going). */
	assert_int_equal(accepted(f->db, p, 1), 0);
	memset(t, 0, sizeof(t));
	for (i = 0; i < 5; i++) {
		t[i].test_id = i + 1;
		t[i].name = "t";
	}
	t[0].data_reply = "250 2.0.0 Ok: queued as 4F2A";
	t[1].data_reply = "554 5.7.1 Relay access denied";
	t[2].data_reply = NULL;			/* refused before DATA */
	t[3].data_reply = "451 4.3.0 try later";
	t[4].data_reply = "";
	pr = P(p, "192.0.2.5", 25, "accepted-not-delivered");
	assert_int_equal(db_probe_finish(f->db, &pr, t, 5, NULL, NULL), 0);
	assert_int_equal(accepted(f->db, p, 1), 1);
	assert_int_equal(accepted(f->db, p, 2), 0);
	assert_int_equal(accepted(f->db, p, 3), 0);
	assert_int_equal(accepted(f->db, p, 4), 0);
	assert_int_equal(accepted(f->db, p, 5), 0);
	/* No such test, no such probe. */
	assert_int_equal(accepted(f->db, p, 6), 0);
	assert_int_equal(accepted(f->db, p + 1, 1), 0);
}

/* ------------------------------------------------------------------ */
/* A locked database */

static void
test_busy(void **state)
{
	struct dbfix	*f = *state;
	struct db	*other;
	char		 err[512], buf[16];

	assert_int_equal(db_busy(f->db), 0);
	if ((other = db_open(f->path, 0, err, sizeof(err))) == NULL)
		fail_msg("db_open: %s", err);
	/* The other connection holds the write lock. */
	assert_int_equal(db_begin(other), 0);
	assert_int_equal(db_meta_set(other, "k", "other"), 0);
	db_set_busy_timeout(f->db, 10);

	assert_int_equal(db_meta_set(f->db, "k", "first"), -1);
	assert_int_equal(db_busy(f->db), 1);
	assert_non_null(strstr(db_errmsg(f->db), "locked"));
	assert_int_equal(db_claim_take(f->db, "192.0.2.1", "orblctl:1", 1, 2),
	    -1);
	assert_int_equal(db_busy(f->db), 1);
	/* Reading still works (WAL), and sees only what was committed. */
	assert_int_equal(db_meta_get(f->db, "k", buf, sizeof(buf)),
	    DB_NOTFOUND);
	/* No transaction was left open on the first connection. */
	assert_int_equal(db_begin(f->db), -1);
	assert_int_equal(db_busy(f->db), 1);

	assert_int_equal(db_commit(other), 0);
	assert_int_equal(db_meta_set(f->db, "k", "first"), 0);
	assert_int_equal(db_meta_get(f->db, "k", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "first");
	assert_int_equal(db_claim_take(f->db, "192.0.2.1", "orblctl:1", 1, 2),
	    0);
	/* Another kind of failure is not "busy". */
	{
		struct probe	 pr = P(99, "192.0.2.1", 25, "closed");

		assert_int_equal(db_probe_finish(f->db, &pr, NULL, 0, NULL,
		    NULL), -1);
		assert_int_equal(db_busy(f->db), 0);
	}

	/* The other way round, with the default timeout on the other side
	 * set short too. */
	assert_int_equal(db_begin(f->db), 0);
	db_set_busy_timeout(other, 10);
	assert_int_equal(db_claim_take(other, "192.0.2.2", "orblctl:2", 1, 2),
	    -1);
	assert_int_equal(db_busy(other), 1);
	assert_int_equal(db_rollback(f->db), 0);
	assert_int_equal(db_claim_take(other, "192.0.2.2", "orblctl:2", 1, 2),
	    0);
	db_close(other);
}

/* ------------------------------------------------------------------ */
/* The migration from schema 1 */

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
v1_exec(sqlite3 *h, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("schema 1: %s", msg ? msg : "?");
}

/* A schema 1 database at path: listings proved on 587 and on 25 (and a
 * manual one), a run going and a re-test going, as the old prober left
 * them. */
static void
v1_create(const char *path)
{
	sqlite3	*h;
	char	*schema = slurp(SCHEMA_V1);

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	v1_exec(h, "PRAGMA journal_mode = WAL");
	v1_exec(h, "PRAGMA foreign_keys = ON");
	v1_exec(h, schema);
	free(schema);
	v1_exec(h,
	    "INSERT INTO probe (id, addr, port, started, finished, verdict) "
	    "VALUES (1, '192.0.2.5', 587, 100, 110, 'confirmed'), "
	    "(2, '192.0.2.6', 25, 200, 210, 'confirmed'), "
	    "(3, '192.0.2.9', 25, 300, NULL, NULL);"
	    "INSERT INTO listing (family, net, prefix, cidr, source, probe_id, "
	    "actor, created, updated) VALUES "
	    "(4, X'C0000205000000000000000000000000', 32, '192.0.2.5', "
	    "'probe', 1, 'prober', 110, 110), "
	    "(4, X'C0000206000000000000000000000000', 32, '192.0.2.6', "
	    "'probe', 2, 'prober', 210, 210), "
	    "(4, X'C6336400000000000000000000000000', 24, '198.51.100.0/24', "
	    "'manual', NULL, 'admin', 1, 1);"
	    "INSERT INTO submission (id, addr, port, state, created, updated, "
	    "tries, probe_id) VALUES "
	    "(1, '192.0.2.9', 25, 'probing', 290, 300, 1, 3), "
	    "(2, '192.0.2.10', 25, 'queued', 291, 291, 0, NULL), "
	    "(3, '192.0.2.6', 25, 'done', 190, 210, 1, 2);"
	    "INSERT INTO delist_request (id, addr, contact, state, created, "
	    "updated, tries) VALUES "
	    "(1, '192.0.2.5', 'a@example.net', 'retesting', 400, 410, 1), "
	    "(2, '192.0.2.6', 'b@example.net', 'pending', 400, 400, 0), "
	    "(3, '192.0.2.7', 'c@example.net', 'refused', 300, 310, 1);"
	    "PRAGMA user_version = 1");
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static void
test_migration_v1(void **state)
{
	struct dbfix	*f = *state;
	struct db	*db;
	char		 path[128], err[512] = "";
	int		 removed = -1;

	/* The fixture's database is not needed: the raw helpers look at
	 * the migrated one instead. */
	db_close(f->db);
	f->db = NULL;
	dbfix_unlink(f->path);
	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	v1_create(path);

	/* Read-only: refused, left at version 1. */
	assert_null(db_open(path, DB_RDONLY, err, sizeof(err)));
	assert_non_null(strstr(err, "older"));

	assert_non_null(db = f->db = db_open(path, 0, err, sizeof(err)));
	assert_int_equal(db_version_found(db), 1);
	assert_int_equal(sqlite3_open(path, &f->raw), SQLITE_OK);
	assert_int_equal(dbfix_int(f, "PRAGMA user_version"),
	    DB_SCHEMA_VERSION);

	/* The probe listing proved on 587 has that evidence; the others
	 * theirs; the manual one none. */
	assert_string_equal(ports(db, "192.0.2.5"), "587");
	assert_string_equal(ports(db, "192.0.2.6"), "25");
	assert_string_equal(dbfix_text(f, "SELECT group_concat(addr || ':' || "
	    "port || ':' || probe_id, ' ') FROM (SELECT * FROM evidence "
	    "ORDER BY addr)"), "192.0.2.5:587:1 192.0.2.6:25:2");
	/* Work the old prober held is nobody's now: back in the queue. */
	assert_string_equal(sub_state(db, 1), "queued/1");
	assert_string_equal(sub_state(db, 2), "queued/0");
	assert_string_equal(sub_state(db, 3), "done/1");
	assert_string_equal(req_state(db, 1), "pending/1");
	assert_string_equal(req_state(db, 2), "pending/0");
	assert_string_equal(req_state(db, 3), "refused/1");
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM claim"), 0);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM probe WHERE ip IS "
	    "NOT NULL"), 0);
	/* Nothing else moved. */
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM listing"), 3);
	assert_int_equal(dbfix_int(f, "SELECT count(*) FROM probe"), 3);

	/* The layer works on it: claims, re-tests by port, delisting. */
	assert_string_equal(sub_claim(db, 1000, "prober"), "1 2");
	assert_string_equal(req_claim(db, 1000, "prober"), "1 2");
	assert_string_equal(due(db, 1000, 10), "");
	assert_int_equal(db_claim_expire(db, 1000, "prober", "prober",
	    &removed), 0);
	assert_int_equal(removed, 4);
	assert_string_equal(due(db, 1000, 10), "192.0.2.5:587 192.0.2.6:25");
	assert_int_equal(db_probe_delist(db, "192.0.2.5", 25, NULL, &removed),
	    0);
	assert_int_equal(removed, 0);
	assert_int_equal(db_probe_delist(db, "192.0.2.5", 587, NULL, &removed),
	    0);
	assert_int_equal(removed, 1);
	assert_int_equal(listed(f, "192.0.2.5"), 0);

	/* Opened again: the current version found, nothing to do. */
	db_close(db);
	f->db = NULL;
	assert_non_null(db = f->db = db_open(path, 0, err, sizeof(err)));
	assert_int_equal(db_version_found(db), DB_SCHEMA_VERSION);
	sqlite3_close(f->raw);
	f->raw = NULL;
	/* teardown removes v1.db; f->path is gone already. */
}

int
main(void)
{
#define U(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		U(test_one_run_per_address),
		U(test_claim_request_duplicate),
		U(test_expire_both_kinds),
		U(test_expire_in_transaction),
		U(test_evidence_ports),
		U(test_evidence_per_address),
		U(test_listing_remove_clears_evidence),
		U(test_delist_not_manual),
		U(test_retest_due_per_port),
		U(test_arrivals_since),
		U(test_arrival_count),
		U(test_probe_test_accepted),
		U(test_busy),
		U(test_migration_v1),
	};
#undef U

	return cmocka_run_group_tests(tests, NULL, NULL);
}
