/*
 * test_policy.c -- unit tests for core/policy.c: the rules every front
 * end applies to a submission (ports, submit_limit, target_check, a recent
 * verdict that stands, per port) and to a delisting request (only a relay
 * test's listing, the re-test's not_before from the evidence's ports, the
 * contact cap, one open request per address), the politeness limit per
 * network, and the probe_ports helpers.
 *
 * Every test runs on a fresh database file in its own temporary directory,
 * removed afterwards, with a configuration over the defaults that allows
 * the documentation ranges (192.0.2.0/24, 2001:db8::/32) to be probed.
 * Times are fixed (NOW): a run's finish time is set through
 * db_probe_finish; its start time, which db_probe_begin takes from the
 * clock, is set behind the layer's back (started_at) where it matters.
 * NOW lies in the past on purpose: submissions and requests are stamped
 * with the clock, so they are always "in the last hour" of NOW.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "addr.h"
#include "conf.h"
#include "db.h"
#include "dbfix.h"
#include "policy.h"

#define NOW		INT64_C(1700000000)
#define HOUR		INT64_C(3600)
#define DAY		INT64_C(86400)

struct fixture {
	struct dbfix	 d;
	struct conf	 c;
};

static void
cset(struct fixture *f, const char *key, const char *value)
{
	char	 err[256];

	if (conf_set(&f->c, key, value, err, sizeof(err)) == -1)
		fail_msg("conf_set %s = %s: %s", key, value, err);
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[512] = "";

	if (f == NULL || dbfix_setup(&f->d, "policy") == -1) {
		free(f);
		return -1;
	}
	conf_init(&f->c);
	if (conf_set(&f->c, "probe_allow", "192.0.2.0/24", err,
	    sizeof(err)) == -1 || conf_set(&f->c, "probe_allow",
	    "2001:db8::/32", err, sizeof(err)) == -1) {
		fprintf(stderr, "setup: conf_set: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	conf_free(&f->c);
	dbfix_teardown(&f->d);
	free(f);
	return 0;
}

/* Set a run's start time (db_probe_begin takes the clock's). */
static void
started_at(struct fixture *f, int64_t id, int64_t when)
{
	dbfix_exec(&f->d, "UPDATE probe SET started = %lld WHERE id = %lld",
	    (long long)when, (long long)id);
	assert_int_equal(sqlite3_changes(f->d.raw), 1);
}

/* A listing of cidr from source ("probe", "manual"). */
static struct listing
L(const char *cidr, const char *source, int64_t probe_id)
{
	struct listing	 l;

	memset(&l, 0, sizeof(l));
	l.net = dbfix_addr(cidr);
	l.code = DB_CODE_DEFAULT;
	l.source = source;
	l.probe_id = probe_id;
	l.actor = strcmp(source, "probe") ? "admin" : "prober";
	return l;
}

static int64_t
begin(struct fixture *f, const char *addr, int port)
{
	int64_t	 id = -1;

	if (db_probe_begin(f->d.db, addr, port, 0, 0, &id) != 0)
		fail_msg("db_probe_begin: %s", db_errmsg(f->d.db));
	assert_true(id > 0);
	return id;
}

/* A run on addr:port finished at 'finished' with verdict; a confirmed
 * one lists addr (source probe: evidence for port). */
static int64_t
run(struct fixture *f, const char *addr, int port, const char *verdict,
    int64_t finished)
{
	struct listing	 l;
	struct probe	 p;
	int64_t		 id = begin(f, addr, port);

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.addr = addr;
	p.port = port;
	p.verdict = verdict;
	p.finished = finished;
	l = L(addr, "probe", id);
	if (db_probe_finish(f->d.db, &p, NULL, 0, strcmp(verdict, "confirmed") ?
	    NULL : &l, "test") != 0)
		fail_msg("db_probe_finish: %s", db_errmsg(f->d.db));
	return id;
}

/* A run started at 'started' (the politeness limit counts starts). */
static int64_t
run_at(struct fixture *f, const char *addr, int64_t started)
{
	int64_t	 id = run(f, addr, 25, "closed", started + 60);

	started_at(f, id, started);
	return id;
}

static int64_t
queued(struct fixture *f)
{
	int64_t	 counts[4];

	if (db_submission_counts(f->d.db, counts) != 0)
		fail_msg("db_submission_counts: %s", db_errmsg(f->d.db));
	return counts[0];
}

static int
count_cb(const struct delist_request *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
requests(struct fixture *f)
{
	int	 n = 0;

	if (db_request_foreach(f->d.db, NULL, NULL, count_cb, &n) != 0)
		fail_msg("db_request_foreach: %s", db_errmsg(f->d.db));
	return n;
}

static int
not_before_cb(const struct delist_request *r, void *arg)
{
	*(int64_t *)arg = r->not_before;
	return 0;
}

/* The not_before stored with request id. */
static int64_t
stored_not_before(struct fixture *f, int64_t id)
{
	int64_t	 nb = -1;

	if (db_request_get(f->d.db, id, not_before_cb, &nb) != 0)
		fail_msg("db_request_get %lld: %s", (long long)id,
		    db_errmsg(f->d.db));
	return nb;
}

static int
submit(struct fixture *f, const char *addr, int port, const char *submitter,
    int flags, struct policy_submit *out, char *err, size_t errlen)
{
	err[0] = '\0';
	return policy_submit(&f->c, f->d.db, addr, port, submitter,
	    "203.0.113.9", "test", flags, NOW, out, err, errlen);
}

static int
delist_req(struct fixture *f, const char *addr, const char *contact,
    struct policy_request *out, char *err, size_t errlen)
{
	err[0] = '\0';
	return policy_delist_request(&f->c, f->d.db, addr, contact, "fixed",
	    "test", NOW, out, err, errlen);
}

static int
recent(struct fixture *f, const char *addr, int port, struct policy_submit *o)
{
	memset(o, 0, sizeof(*o));
	return policy_recent_verdict(&f->c, f->d.db, addr, port, NOW, o);
}

/* ------------------------------------------------------------------ */
/* probe_ports */

static void
test_ports(void **state)
{
	struct fixture	*f = *state;

	assert_string_equal(policy_ports_text(&f->c), "25, 587");
	assert_int_equal(policy_port_public(&f->c, 25), 1);
	assert_int_equal(policy_port_public(&f->c, 587), 1);
	assert_int_equal(policy_port_public(&f->c, 2525), 0);
	assert_int_equal(policy_port_public(&f->c, 0), 0);
	assert_int_equal(policy_port_public(&f->c, -25), 0);

	/* An explicit list replaces the default. */
	cset(f, "probe_ports", "2525, 465 25");
	assert_string_equal(policy_ports_text(&f->c), "2525, 465, 25");
	assert_int_equal(policy_port_public(&f->c, 2525), 1);
	assert_int_equal(policy_port_public(&f->c, 587), 0);

	/* One port: no separator. */
	conf_free(&f->c);
	conf_init(&f->c);
	cset(f, "probe_ports", "25");
	assert_string_equal(policy_ports_text(&f->c), "25");

	/* The longest list fits. */
	conf_free(&f->c);
	conf_init(&f->c);
	cset(f, "probe_ports", "65520 65521 65522 65523 65524 65525 65526 "
	    "65527 65528 65529 65530 65531 65532 65533 65534 65535");
	assert_int_equal(f->c.nprobe_ports, CONF_MAX_LIST);
	assert_string_equal(policy_ports_text(&f->c), "65520, 65521, 65522, "
	    "65523, 65524, 65525, 65526, 65527, 65528, 65529, 65530, 65531, "
	    "65532, 65533, 65534, 65535");
	assert_int_equal(policy_port_public(&f->c, 65535), 1);
}

/* ------------------------------------------------------------------ */
/* policy_submit */

/* A public caller names only probe_ports; the operator any port. */
static void
test_submit_port(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	char			 err[256];

	assert_int_equal(submit(f, "192.0.2.10", 2525, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "2525"));
	assert_non_null(strstr(err, "(ports: 25, 587)"));
	assert_int_equal(o.queued, 0);
	assert_int_equal(o.submission_id, 0);
	assert_int_equal(queued(f), 0);

	/* The message follows the configuration. */
	cset(f, "probe_ports", "25 465");
	assert_int_equal(submit(f, "192.0.2.10", 587, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "(ports: 25, 465)"));
	assert_int_equal(submit(f, "192.0.2.10", 465, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 1);
	assert_int_equal(queued(f), 1);

	/* orblctl: any port (a recent verdict on another port is no
	 * answer for this one). */
	assert_int_equal(submit(f, "192.0.2.10", 2525, "orblctl",
	    POLICY_OPERATOR, &o, err, sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 1);
	assert_true(o.submission_id > 0);
	assert_string_equal(o.addr, "192.0.2.10");
	assert_int_equal(queued(f), 2);

	/* Out of range is out of range, for the operator too. */
	assert_int_equal(submit(f, "192.0.2.10", 0, "orblctl",
	    POLICY_OPERATOR, &o, err, sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(submit(f, "192.0.2.10", 65536, "orblctl",
	    POLICY_OPERATOR | POLICY_FORCE, &o, err, sizeof(err)),
	    POLICY_REFUSED);
	assert_int_equal(queued(f), 2);
}

/* submit_limit per submitter and hour; POLICY_FORCE is not limited. */
static void
test_submit_limit(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	char			 err[256];

	cset(f, "submit_limit", "3");
	assert_int_equal(submit(f, "192.0.2.1", 25, "web:203.0.113.1", 0, &o,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(submit(f, "192.0.2.2", 25, "web:203.0.113.1", 0, &o,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(submit(f, "192.0.2.3", 587, "web:203.0.113.1", 0, &o,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(queued(f), 3);

	assert_int_equal(submit(f, "192.0.2.4", 25, "web:203.0.113.1", 0, &o,
	    err, sizeof(err)), POLICY_LIMITED);
	assert_non_null(strstr(err, "web:203.0.113.1 submitted 3 servers"));
	assert_non_null(strstr(err, "the limit is 3"));
	assert_int_equal(o.queued, 0);
	assert_int_equal(o.submission_id, 0);
	assert_int_equal(queued(f), 3);
	/* The operator flag alone is no way around it. */
	assert_int_equal(submit(f, "192.0.2.4", 25, "web:203.0.113.1",
	    POLICY_OPERATOR, &o, err, sizeof(err)), POLICY_LIMITED);

	/* Another submitter has a limit of its own. */
	assert_int_equal(submit(f, "192.0.2.4", 25, "web:203.0.113.2", 0, &o,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 1);

	/* Forced: queued, over the limit. */
	assert_int_equal(submit(f, "192.0.2.5", 25, "web:203.0.113.1",
	    POLICY_FORCE, &o, err, sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 1);
	assert_true(o.submission_id > 0);
	assert_int_equal(queued(f), 5);

	/* A submitter with no name (NULL) is one submitter too. */
	assert_int_equal(submit(f, "192.0.2.6", 25, NULL, 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(submit(f, "192.0.2.7", 25, NULL, 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(submit(f, "192.0.2.8", 25, NULL, 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(submit(f, "192.0.2.9", 25, NULL, 0, &o, err,
	    sizeof(err)), POLICY_LIMITED);
	assert_non_null(strstr(err, "this submitter submitted 3"));
}

/* target_check decides first: a refused target is refused whatever the
 * flags, and nothing is queued. */
static void
test_submit_target(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	char			 err[256];

	assert_int_equal(submit(f, "10.0.0.1", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "10.0.0.1 is in a private range"));
	assert_non_null(strstr(err, "probe_allow"));
	assert_int_equal(submit(f, "10.0.0.1", 25, "orblctl",
	    POLICY_OPERATOR | POLICY_FORCE, &o, err, sizeof(err)),
	    POLICY_REFUSED);
	/* Reserved, and not in probe_allow. */
	assert_int_equal(submit(f, "198.51.100.7", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "198.51.100.7"));
	assert_int_equal(submit(f, "::1", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_REFUSED);
	/* A range, and no address at all. */
	assert_int_equal(submit(f, "192.0.2.0/24", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_REFUSED);
	assert_int_equal(submit(f, "mail.example.org", 25, "web:a", 0, &o,
	    err, sizeof(err)), POLICY_REFUSED);
	assert_true(err[0] != '\0');
	assert_int_equal(queued(f), 0);

	/* probe_allow covering it: taken, the address canonical. */
	assert_int_equal(submit(f, "2001:DB8:0::0:1", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_string_equal(o.addr, "2001:db8::1");
	assert_int_equal(o.queued, 1);
	cset(f, "probe_allow", "10.0.0.0/8");
	assert_int_equal(submit(f, "10.0.0.1", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(queued(f), 2);
}

/* A recent conclusive verdict on the port stands: not queued, the answer
 * is that run.  On another port, or forced, it is queued. */
static void
test_submit_stands(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	char			 err[256];
	int64_t			 p;

	p = run(f, "192.0.2.20", 25, "confirmed", NOW - HOUR);
	assert_int_equal(submit(f, "192.0.2.20", 25, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 0);
	assert_int_equal(o.submission_id, 0);
	assert_int_equal(o.last_probe, p);
	assert_int_equal(o.last_finished, NOW - HOUR);
	assert_string_equal(o.last_verdict, "confirmed");
	assert_string_equal(o.addr, "192.0.2.20");
	assert_int_equal(queued(f), 0);

	assert_int_equal(submit(f, "192.0.2.20", 587, "web:a", 0, &o, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 1);
	assert_int_equal(o.last_probe, 0);

	assert_int_equal(submit(f, "192.0.2.20", 25, "orblctl", POLICY_FORCE |
	    POLICY_OPERATOR, &o, err, sizeof(err)), POLICY_OK);
	assert_int_equal(o.queued, 1);
	assert_int_equal(queued(f), 2);
}

/* ------------------------------------------------------------------ */
/* policy_recent_verdict */

/* A conclusive verdict stands retest_interval, on its own port. */
static void
test_recent_conclusive(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	int64_t			 p1, p2;

	assert_int_equal(f->c.retest_interval, DAY);
	assert_int_equal(recent(f, "192.0.2.30", 25, &o), 0);

	p1 = run(f, "192.0.2.30", 25, "closed", NOW - 600);
	assert_int_equal(recent(f, "192.0.2.30", 25, &o), 1);
	assert_int_equal(o.last_probe, p1);
	assert_int_equal(o.last_finished, NOW - 600);
	assert_string_equal(o.last_verdict, "closed");
	assert_int_equal(recent(f, "192.0.2.30", 587, &o), 0);
	assert_int_equal(o.last_probe, 0);
	assert_int_equal(recent(f, "192.0.2.30", 0, &o), 1);
	assert_int_equal(o.last_probe, p1);
	/* Another address is another address. */
	assert_int_equal(recent(f, "192.0.2.31", 25, &o), 0);

	p2 = run(f, "192.0.2.32", 25, "confirmed", NOW - 600);
	assert_int_equal(recent(f, "192.0.2.32", 25, &o), 1);
	assert_int_equal(o.last_probe, p2);
	assert_string_equal(o.last_verdict, "confirmed");
	assert_int_equal(recent(f, "192.0.2.32", 587, &o), 0);

	/* The boundary: stands until retest_interval has passed. */
	run(f, "192.0.2.33", 25, "closed", NOW - DAY + 1);
	assert_int_equal(recent(f, "192.0.2.33", 25, &o), 1);
	run(f, "192.0.2.34", 25, "closed", NOW - DAY);
	assert_int_equal(recent(f, "192.0.2.34", 25, &o), 0);
	run(f, "192.0.2.35", 25, "confirmed", NOW - 2 * DAY);
	assert_int_equal(recent(f, "192.0.2.35", 25, &o), 0);
	assert_int_equal(recent(f, "192.0.2.35", 0, &o), 0);

	/* A verdict on 587 says nothing about 25, and port 0 sees it. */
	run(f, "192.0.2.36", 587, "closed", NOW - 600);
	assert_int_equal(recent(f, "192.0.2.36", 25, &o), 0);
	assert_int_equal(recent(f, "192.0.2.36", 587, &o), 1);
	assert_int_equal(recent(f, "192.0.2.36", 0, &o), 1);

	/* The interval follows the configuration. */
	cset(f, "retest_interval", "5m");
	assert_int_equal(recent(f, "192.0.2.30", 25, &o), 0);
	assert_int_equal(recent(f, "192.0.2.33", 25, &o), 0);
}

/* An inconclusive verdict stands tempfail_retry (resubmitting does not
 * hammer the server), and no longer. */
static void
test_recent_inconclusive(void **state)
{
	static const char *const verdicts[] = { "unreachable", "timeout",
	    "tempfail" };
	struct fixture		*f = *state;
	struct policy_submit	 o;
	struct policy_submit	 s;
	char			 a[ADDR_STRLEN], err[256];
	int64_t			 retry = 30 * 60, p;
	size_t			 i;

	assert_int_equal(f->c.tempfail_retry, retry);
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		snprintf(a, sizeof(a), "192.0.2.%zu", 40 + 3 * i);
		p = run(f, a, 25, verdicts[i], NOW - retry + 1);
		assert_int_equal(recent(f, a, 25, &o), 1);
		assert_int_equal(o.last_probe, p);
		assert_string_equal(o.last_verdict, verdicts[i]);
		assert_int_equal(recent(f, a, 587, &o), 0);
		assert_int_equal(recent(f, a, 0, &o), 1);
		/* Resubmitted: not queued, rate-limited by the verdict. */
		assert_int_equal(submit(f, a, 25, "web:a", 0, &s, err,
		    sizeof(err)), POLICY_OK);
		assert_int_equal(s.queued, 0);
		assert_string_equal(s.last_verdict, verdicts[i]);

		snprintf(a, sizeof(a), "192.0.2.%zu", 41 + 3 * i);
		run(f, a, 25, verdicts[i], NOW - retry);
		assert_int_equal(recent(f, a, 25, &o), 0);
		assert_int_equal(recent(f, a, 0, &o), 0);
		assert_int_equal(submit(f, a, 25, "web:a", 0, &s, err,
		    sizeof(err)), POLICY_OK);
		assert_int_equal(s.queued, 1);

		/* Well inside retest_interval: an inconclusive verdict does
		 * not stand that long. */
		snprintf(a, sizeof(a), "192.0.2.%zu", 42 + 3 * i);
		run(f, a, 587, verdicts[i], NOW - 2 * HOUR);
		assert_int_equal(recent(f, a, 587, &o), 0);
	}
}

/* The newest finished run on the port decides; a run still going is no
 * verdict. */
static void
test_recent_newest(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	int64_t			 p;

	/* Confirmed two hours ago, then a timeout an hour ago: the timeout
	 * is the last verdict, and it no longer stands. */
	run(f, "192.0.2.50", 25, "confirmed", NOW - 2 * HOUR);
	run(f, "192.0.2.50", 25, "timeout", NOW - HOUR);
	assert_int_equal(recent(f, "192.0.2.50", 25, &o), 0);

	/* Tempfail, then closed: closed stands. */
	run(f, "192.0.2.51", 25, "tempfail", NOW - 2 * HOUR);
	p = run(f, "192.0.2.51", 25, "closed", NOW - HOUR);
	assert_int_equal(recent(f, "192.0.2.51", 25, &o), 1);
	assert_int_equal(o.last_probe, p);

	/* A newer run on another port does not hide this port's verdict. */
	p = run(f, "192.0.2.52", 25, "closed", NOW - 2 * HOUR);
	run(f, "192.0.2.52", 587, "timeout", NOW - 2 * HOUR + 10);
	assert_int_equal(recent(f, "192.0.2.52", 25, &o), 1);
	assert_int_equal(o.last_probe, p);
	assert_int_equal(recent(f, "192.0.2.52", 587, &o), 0);
	assert_int_equal(recent(f, "192.0.2.52", 0, &o), 0);

	/* Started, not finished: no verdict yet. */
	begin(f, "192.0.2.53", 25);
	assert_int_equal(recent(f, "192.0.2.53", 25, &o), 0);
	assert_int_equal(recent(f, "192.0.2.53", 0, &o), 0);
}

/*
 * Many runs on another port do not hide this port's last run.  Both
 * policy_recent_verdict and policy_delist_request read only the 50 newest
 * runs of the address (any port) and filter by port afterwards: the 51st
 * run on 2525 pushes the run on 25 out of sight, a recent verdict on 25
 * stops standing, and a delisting request need not wait.
 */
static void
test_many_runs_other_port(void **state)
{
	struct fixture		*f = *state;
	struct policy_submit	 o;
	struct policy_request	 r;
	char			 err[512];
	int64_t			 p;
	int			 i;

	p = run(f, "192.0.2.55", 25, "confirmed", NOW - 2 * HOUR);
	for (i = 0; i < 50; i++)
		run(f, "192.0.2.55", 2525, "timeout", NOW - HOUR + i);
	assert_int_equal(recent(f, "192.0.2.55", 25, &o), 1);
	assert_int_equal(o.last_probe, p);
	assert_int_equal(delist_req(f, "192.0.2.55", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(r.not_before, NOW - 2 * HOUR + DAY);
}

/* ------------------------------------------------------------------ */
/* Politeness */

static int
polite(struct fixture *f, const char *addr)
{
	int	 rc = policy_politeness(&f->c, f->d.db, addr, NOW);

	assert_true(rc == 0 || rc == 1);
	return rc;
}

static void
test_politeness_v4(void **state)
{
	struct fixture	*f = *state;
	int64_t		 old;

	cset(f, "prefix_limit", "3");
	assert_int_equal(f->c.prefix_len4, 24);
	assert_int_equal(polite(f, "192.0.2.1"), 0);
	run_at(f, "192.0.2.1", NOW - 600);
	run_at(f, "192.0.2.2", NOW - 60);
	/* Another /24, any number of runs: not this one's. */
	run_at(f, "192.0.3.1", NOW - 60);
	run_at(f, "192.0.3.2", NOW - 60);
	run_at(f, "192.0.1.255", NOW - 60);
	/* An hour and a second ago: gone from the window. */
	old = run_at(f, "192.0.2.3", NOW - HOUR - 1);
	assert_int_equal(polite(f, "192.0.2.200"), 0);
	assert_int_equal(polite(f, "192.0.2.1"), 0);

	/* Exactly an hour ago is still in it: three. */
	started_at(f, old, NOW - HOUR);
	assert_int_equal(polite(f, "192.0.2.200"), 1);
	assert_int_equal(polite(f, "192.0.2.0"), 1);
	assert_int_equal(polite(f, "192.0.2.255"), 1);
	assert_int_equal(polite(f, "192.0.3.1"), 0);
	assert_int_equal(polite(f, "192.0.1.1"), 0);
	/* Whatever started them: a run on another port counts as well. */
	started_at(f, old, NOW - HOUR - 1);
	assert_int_equal(polite(f, "192.0.2.200"), 0);
	started_at(f, run(f, "192.0.2.4", 2525, "timeout", NOW), NOW - 1);
	assert_int_equal(polite(f, "192.0.2.200"), 1);

	/* A /16: the runs in 192.0.3.0/24 and 192.0.1.0/24 count too. */
	cset(f, "prefix_len4", "16");
	assert_int_equal(polite(f, "192.0.3.1"), 1);
	assert_int_equal(polite(f, "192.0.200.1"), 1);
	assert_int_equal(polite(f, "192.1.0.1"), 0);
	/* IPv4 runs are nothing to an IPv6 network. */
	assert_int_equal(polite(f, "::ffff:0:0"), 0);
	assert_int_equal(polite(f, "2001:db8::1"), 0);

	/* The limit follows the configuration. */
	cset(f, "prefix_len4", "24");
	cset(f, "prefix_limit", "4");
	assert_int_equal(polite(f, "192.0.2.200"), 0);
	/* Not an address: nothing to wait for. */
	assert_int_equal(polite(f, "not-an-address"), 0);
}

static void
test_politeness_v6(void **state)
{
	struct fixture	*f = *state;

	cset(f, "prefix_limit", "2");
	assert_int_equal(f->c.prefix_len6, 64);
	run_at(f, "2001:db8:1:2::1", NOW - 60);
	assert_int_equal(polite(f, "2001:db8:1:2::99"), 0);
	run_at(f, "2001:db8:1:2:ffff:ffff:ffff:ffff", NOW - 60);
	run_at(f, "2001:db8:1:3::1", NOW - 60);
	run_at(f, "2001:db8:2:2::1", NOW - 60);
	run_at(f, "2001:db8:1:2::5", NOW - 2 * HOUR);
	assert_int_equal(polite(f, "2001:db8:1:2::99"), 1);
	assert_int_equal(polite(f, "2001:db8:1:2::1"), 1);
	/* Another /64: one run there. */
	assert_int_equal(polite(f, "2001:db8:1:3::99"), 0);
	assert_int_equal(polite(f, "2001:db8:1:4::1"), 0);
	/* IPv6 runs are nothing to an IPv4 network. */
	assert_int_equal(polite(f, "32.1.13.184"), 0);

	/* A /48: 2001:db8:1::/48 has three. */
	cset(f, "prefix_len6", "48");
	assert_int_equal(polite(f, "2001:db8:1:3::99"), 1);
	assert_int_equal(polite(f, "2001:db8:1:ffff::1"), 1);
	/* 2001:db8:2::/48 has one. */
	assert_int_equal(polite(f, "2001:db8:2:2::99"), 0);
	/* A /32: all four. */
	cset(f, "prefix_len6", "32");
	assert_int_equal(polite(f, "2001:db8:ffff::1"), 1);
}

static const char *
net_of(struct fixture *f, const char *addr)
{
	static char	 buf[ADDR_STRLEN];
	struct addr	 a = dbfix_addr(addr), net;

	memset(&net, 0xa5, sizeof(net));
	policy_politeness_net(&f->c, &a, &net);
	assert_int_equal(net.family, a.family);
	return addr_format(&net, buf, sizeof(buf));
}

static void
test_politeness_net(void **state)
{
	struct fixture	*f = *state;

	assert_string_equal(net_of(f, "192.0.2.77"), "192.0.2.0/24");
	assert_string_equal(net_of(f, "192.0.2.0"), "192.0.2.0/24");
	assert_string_equal(net_of(f, "2001:db8:1:2:3:4:5:6"),
	    "2001:db8:1:2::/64");
	assert_string_equal(net_of(f, "2001:db8:1:2::"), "2001:db8:1:2::/64");
	cset(f, "prefix_len4", "16");
	cset(f, "prefix_len6", "48");
	assert_string_equal(net_of(f, "192.0.2.77"), "192.0.0.0/16");
	assert_string_equal(net_of(f, "203.0.255.255"), "203.0.0.0/16");
	assert_string_equal(net_of(f, "2001:db8:1:2:3:4:5:6"),
	    "2001:db8:1::/48");
	/* Not on a byte boundary. */
	cset(f, "prefix_len4", "20");
	cset(f, "prefix_len6", "52");
	assert_string_equal(net_of(f, "192.0.31.77"), "192.0.16.0/20");
	assert_string_equal(net_of(f, "2001:db8:1:fedc::1"),
	    "2001:db8:1:f000::/52");
	/* The whole address (formatted without "/32"), and nothing of
	 * it. */
	cset(f, "prefix_len4", "32");
	cset(f, "prefix_len6", "0");
	assert_string_equal(net_of(f, "192.0.2.77"), "192.0.2.77");
	assert_string_equal(net_of(f, "2001:db8::1"), "::/0");
	{
		struct addr	 a = dbfix_addr("192.0.2.77"), net;

		policy_politeness_net(&f->c, &a, &net);
		assert_int_equal(net.prefix, 32);
		assert_memory_equal(net.a, a.a, 4);
	}
}

/* ------------------------------------------------------------------ */
/* policy_delist_request */

/* Only a relay test's listing: not an unlisted address, not the
 * operator's entry.  Nothing recorded. */
static void
test_delist_not_listed(void **state)
{
	struct fixture		*f = *state;
	struct policy_request	 r;
	struct listing		 m;
	char			 err[512];

	assert_int_equal(delist_req(f, "192.0.2.60", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "192.0.2.60 is not listed by a relay "
	    "test"));
	assert_int_equal(r.id, 0);

	m = L("192.0.2.61", "manual", 0);
	assert_int_equal(db_listing_put(f->d.db, &m, "spam", NULL), 0);
	assert_int_equal(delist_req(f, "192.0.2.61", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "not listed by a relay test"));

	/* A run that found nothing lists nothing. */
	run(f, "192.0.2.62", 25, "closed", NOW - DAY * 2);
	assert_int_equal(delist_req(f, "192.0.2.62", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "not listed by a relay test"));

	/* A probe listing of the /24 is not a listing of this address. */
	m = L("192.0.2.0/24", "probe", 0);
	assert_int_equal(db_listing_put(f->d.db, &m, "test", NULL), 0);
	assert_int_equal(delist_req(f, "192.0.2.63", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_REFUSED);
	assert_int_equal(requests(f), 0);
}

/* Bad input is refused before the database is asked. */
static void
test_delist_input(void **state)
{
	struct fixture		*f = *state;
	struct policy_request	 r;
	char			 err[512], note[POLICY_NOTE_MAX + 2];

	run(f, "192.0.2.64", 25, "confirmed", NOW - 2 * DAY);
	assert_int_equal(delist_req(f, "192.0.2.64", "owner", &r, err,
	    sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "not a mail address"));
	assert_int_equal(delist_req(f, "192.0.2.0/24", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_REFUSED);
	assert_non_null(strstr(err, "not a range"));
	assert_int_equal(delist_req(f, "192.0.2.300", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_REFUSED);
	memset(note, 'x', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	assert_int_equal(policy_delist_request(&f->c, f->d.db, "192.0.2.64",
	    "owner@example.org", note, "test", NOW, &r, err, sizeof(err)),
	    POLICY_REFUSED);
	assert_int_equal(requests(f), 0);
	note[POLICY_NOTE_MAX] = '\0';
	assert_int_equal(policy_delist_request(&f->c, f->d.db, "192.0.2.64",
	    "owner@example.org", note, "test", NOW, &r, err, sizeof(err)),
	    POLICY_OK);
	assert_int_equal(requests(f), 1);
}

/* A probe listing with evidence: taken; nothing ran lately, so the
 * re-test need not wait. */
static void
test_delist_accepted(void **state)
{
	struct fixture		*f = *state;
	struct policy_request	 r;
	int			 ports[POLICY_PORTS_MAX], n = -1;
	char			 err[512];

	run(f, "2001:db8::70", 25, "confirmed", NOW - 2 * DAY);
	assert_int_equal(db_evidence_ports(f->d.db, "2001:db8::70", ports,
	    POLICY_PORTS_MAX, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 25);

	assert_int_equal(delist_req(f, "2001:DB8:0::70", "owner@example.org",
	    &r, err, sizeof(err)), POLICY_OK);
	assert_string_equal(r.addr, "2001:db8::70");
	assert_true(r.id > 0);
	assert_int_equal(r.existing, 0);
	assert_int_equal(r.not_before, 0);
	assert_int_equal(stored_not_before(f, r.id), 0);
	assert_int_equal(requests(f), 1);
}

/* not_before: retest_interval after the last run on the evidence's
 * ports; a run on another port does not delay the re-test. */
static void
test_delist_not_before(void **state)
{
	struct fixture		*f = *state;
	struct policy_request	 r;
	struct listing		 l;
	char			 err[512];

	/* Proved on 25 two days ago; closed on 587 just now. */
	run(f, "192.0.2.71", 25, "confirmed", NOW - 2 * DAY);
	run(f, "192.0.2.71", 587, "closed", NOW);
	assert_int_equal(delist_req(f, "192.0.2.71", "a@example.org", &r, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(r.not_before, 0);
	assert_int_equal(stored_not_before(f, r.id), 0);

	/* A run on 25 (any verdict) an hour ago: wait a day from it. */
	run(f, "192.0.2.72", 25, "confirmed", NOW - 2 * DAY);
	run(f, "192.0.2.72", 25, "tempfail", NOW - HOUR);
	run(f, "192.0.2.72", 587, "closed", NOW - 60);
	assert_int_equal(delist_req(f, "192.0.2.72", "b@example.org", &r, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(r.not_before, NOW - HOUR + DAY);
	assert_int_equal(stored_not_before(f, r.id), NOW - HOUR + DAY);

	/* The proving run itself is a run on the evidence port. */
	run(f, "192.0.2.73", 587, "confirmed", NOW - 600);
	assert_int_equal(delist_req(f, "192.0.2.73", "c@example.org", &r, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(r.not_before, NOW - 600 + DAY);

	/* Evidence on two ports: the newest run on either counts, not a
	 * newer one on a third. */
	run(f, "192.0.2.74", 25, "confirmed", NOW - 3 * HOUR);
	run(f, "192.0.2.74", 587, "confirmed", NOW - 2 * HOUR);
	run(f, "192.0.2.74", 2525, "closed", NOW - HOUR);
	assert_int_equal(delist_req(f, "192.0.2.74", "a@example.org", &r, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(r.not_before, NOW - 2 * HOUR + DAY);

	/* Exactly retest_interval ago: due now. */
	run(f, "192.0.2.75", 25, "confirmed", NOW - DAY);
	assert_int_equal(delist_req(f, "192.0.2.75", "d@example.org", &r, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(r.not_before, 0);

	/* A probe listing without evidence (made before schema 2): every
	 * run counts. */
	l = L("192.0.2.76", "probe", 0);
	assert_int_equal(db_listing_put(f->d.db, &l, "test", NULL), 0);
	run(f, "192.0.2.76", 2525, "closed", NOW - 60);
	assert_int_equal(delist_req(f, "192.0.2.76", "e@example.org", &r, err,
	    sizeof(err)), POLICY_OK);
	assert_int_equal(r.existing, 0);
	assert_int_equal(r.not_before, NOW - 60 + DAY);
}

/* request_contact_limit open requests per contact (any case). */
static void
test_delist_contact_limit(void **state)
{
	struct fixture		*f = *state;
	struct policy_request	 r;
	char			 err[512];

	cset(f, "request_contact_limit", "2");
	run(f, "192.0.2.80", 25, "confirmed", NOW - 2 * DAY);
	run(f, "192.0.2.81", 25, "confirmed", NOW - 2 * DAY);
	run(f, "192.0.2.82", 25, "confirmed", NOW - 2 * DAY);
	assert_int_equal(delist_req(f, "192.0.2.80", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(delist_req(f, "192.0.2.81", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(delist_req(f, "192.0.2.82", "Owner@Example.ORG", &r,
	    err, sizeof(err)), POLICY_LIMITED);
	assert_non_null(strstr(err, "open requests"));
	assert_non_null(strstr(err, "the limit is 2"));
	assert_int_equal(requests(f), 2);
	/* Another contact is not limited by this one. */
	assert_int_equal(delist_req(f, "192.0.2.82", "other@example.org", &r,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(r.existing, 0);
	assert_int_equal(requests(f), 3);
	/* A closed request no longer counts. */
	assert_int_equal(db_request_set(f->d.db, 1, "delisted", 0, 0, "closed",
	    "test"), 0);
	run(f, "192.0.2.83", 25, "confirmed", NOW - 2 * DAY);
	assert_int_equal(delist_req(f, "192.0.2.83", "owner@example.org", &r,
	    err, sizeof(err)), POLICY_OK);
}

/* One open request per address: a second one gets the open one. */
static void
test_delist_existing(void **state)
{
	struct fixture		*f = *state;
	struct policy_request	 r1, r2;
	char			 err[512];

	cset(f, "request_contact_limit", "1");
	run(f, "192.0.2.90", 25, "confirmed", NOW - HOUR);
	assert_int_equal(delist_req(f, "192.0.2.90", "owner@example.org", &r1,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(r1.existing, 0);
	assert_int_equal(r1.not_before, NOW - HOUR + DAY);

	assert_int_equal(delist_req(f, "192.0.2.90", "owner@example.org", &r2,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(r2.existing, 1);
	assert_int_equal(r2.id, r1.id);
	assert_int_equal(r2.not_before, 0);
	assert_string_equal(r2.addr, "192.0.2.90");
	/* Another contact gets it too (its own cap is not in the way). */
	assert_int_equal(delist_req(f, "192.0.2.90", "other@example.org", &r2,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(r2.existing, 1);
	assert_int_equal(r2.id, r1.id);
	assert_int_equal(requests(f), 1);
	/* Once it is answered, a new request is a new one. */
	assert_int_equal(db_request_set(f->d.db, r1.id, "refused", 0, 0,
	    "still relays", "test"), 0);
	assert_int_equal(delist_req(f, "192.0.2.90", "owner@example.org", &r2,
	    err, sizeof(err)), POLICY_OK);
	assert_int_equal(r2.existing, 0);
	assert_true(r2.id != r1.id);
	assert_int_equal(requests(f), 2);
}

int
main(void)
{
#define U(t)	cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		U(test_ports),
		U(test_submit_port),
		U(test_submit_limit),
		U(test_submit_target),
		U(test_submit_stands),
		U(test_recent_conclusive),
		U(test_recent_inconclusive),
		U(test_recent_newest),
		U(test_many_runs_other_port),
		U(test_politeness_v4),
		U(test_politeness_v6),
		U(test_politeness_net),
		U(test_delist_not_listed),
		U(test_delist_input),
		U(test_delist_accepted),
		U(test_delist_not_before),
		U(test_delist_contact_limit),
		U(test_delist_existing),
	};
#undef U

	return cmocka_run_group_tests(tests, NULL, NULL);
}
