/*
 * run.c -- see run.h.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "cookie.h"
#include "cookie_key.h"
#include "db.h"
#include "log.h"
#include "relay_tests.h"
#include "run.h"
#include "sink.h"
#include "smtp_session.h"
#include "target.h"
#include "xmalloc.h"

/*
 * A waiting run looks at its deadline every RUN_POLL_USEC, and in the
 * database for arrivals every RUN_POLL_EVERY looks (and when the wait is
 * over): this process's sink tells its runs at once (runs_arrival), so
 * the database is only for arrivals another process's sink recorded, and
 * ten thousand waiting runs must not make 40,000 queries a second.
 */
#define RUN_POLL_USEC		250000
#define RUN_POLL_EVERY		4
#define RUN_HASH		4096	/* buckets of runs by probe id */
#define RUN_RETRY_USEC		250000	/* the database was locked */
/*
 * Runs that decided are recorded from a queue, RUN_RECORD_BATCH to a
 * transaction, for a part of each pass of the event loop: a quarter of
 * the time since the last pass (the busier the sessions keep the loop,
 * the more the queue gets, or it would only grow), at least
 * RUN_RECORD_MIN_USEC and at most RUN_RECORD_MAX_USEC, so that a
 * thousand runs ending together (they start together, and stay in step)
 * never stall the other sessions for the whole batch.  A queued run
 * still counts as active: the queue holds no more than the concurrency.
 */
#define RUN_RECORD_MIN_USEC	3000
#define RUN_RECORD_MAX_USEC	15000
#define RUN_RECORD_BATCH	16	/* runs recorded in one transaction */
#define COOKIE_KEY_MAX		64
#define OWNER_MAX		64

/*
 * What the sink may store that does not confirm anything (bounces,
 * repeats of a confirmed test, arrivals that cannot confirm): enough for
 * evidence, bounded so that somebody mailing cookies back cannot grow the
 * database or the work of a waiting run.  The first confirming arrival of
 * a run, and a run's first arrival of any kind (its first bounce decides
 * "bounced"), are always kept.
 */
#define ARRIVALS_PER_TEST	3	/* rows per cookie (probe, test) */
#define ARRIVALS_PER_RUN	60	/* rows per probe run */
#define RUN_TESTS_MAX		64	/* battery size bound (25 today) */
#define RUN_TRANSCRIPT_MAX	(256 * 1024)	/* all batches together */
#define ARRIVALS_PER_PEER_MIN	30	/* rows per delivering peer a minute */
#define ARRIVALS_PER_MIN	300	/* rows a minute in all */
#define ARRIVAL_PEERS		64	/* peers counted per minute */

/* R_QUEUED: decided, waiting in the record queue; R_RECORD: its record
 * met a locked database, tried again by its timer. */
enum run_state { R_SESSION, R_WAIT, R_QUEUED, R_RECORD, R_DONE };

/*
 * A test's evidence while the run lives: its strings as offsets into the
 * run's arena (0: ""), not struct session_test's fixed buffers (1.4 KB a
 * test, 35 KB a battery, held by every waiting run).
 */
enum run_str { RS_MAIL_FROM, RS_RCPT_TO, RS_MAIL_REPLY, RS_RCPT_REPLY,
	RS_DATA_REPLY, RS_COOKIE, RS_COUNT };
struct run_test {
	int			 test_id;
	enum test_outcome	 outcome;
	uint32_t		 str[RS_COUNT];
};

struct run {
	TAILQ_ENTRY(run)	 entry;
	LIST_ENTRY(run)		 hentry;	/* in rs->hash */
	unsigned		 looks;		/* run_timer_cb while waiting */
	TAILQ_ENTRY(run)	 qentry;	/* in the record queue */
	struct runs		*rs;
	enum run_state		 state;
	int64_t			 probe_id, submission_id, request_id;
	char			 addr[ADDR_STRLEN];
	int			 port;
	struct smtp_session	*sess;		/* while R_SESSION */
	/* What the session found (copied: its result is borrowed). */
	enum verdict		 sverdict;
	char			 why[256];
	struct run_test		*tests;
	size_t			 ntests, naccepted;
	char			*strs;		/* "\0", then the tests' */
	size_t			 strslen, strscap;
	char			*transcript;
	size_t			 transcriptlen;
	/*
	 * Batches: a session stops after probe_max_accepted accepted
	 * messages (a real relay must not get a flood of test mail).  If
	 * none of them arrives within the batch wait, those forms did not
	 * relay, and the forms not yet sent go out in the next session,
	 * until the battery is done or a message arrives.
	 */
	int			 batch;		/* sessions started */
	int			 more;		/* R_WAIT before the next */
	/* What the sink found. */
	int			 confirmed, relayed_test, bounces;
	char			 output_addr[ADDR_STRLEN];
	int64_t			 wait_until;
	int64_t			 last_arrival;	/* id read up to */
	int			 decided;	/* verdict computed once */
	int			 recording;	/* retrying its record */
	struct event		*timer;
	int			(*record)(const struct run_result *,
				    struct db *, void *);
	void			(*done)(const struct run_result *, void *);
	void			*arg;
	void			(*trace)(char, const char *, void *);
	void			*targ;
};
TAILQ_HEAD(run_list, run);

struct runs {
	const struct conf	*conf;
	struct db		*db;
	struct event_base	*base;
	uint8_t			 key[COOKIE_KEY_MAX];
	size_t			 keylen;
	struct run_list		 list;
	size_t			 n;
	struct run_list		 recq;		/* decided, to record */
	LIST_HEAD(, run)	 hash[RUN_HASH];	/* by probe id */
	struct event		*ev_rec;	/* records from recq */
	int64_t			 rec_last;	/* the last pass ended (us) */
	int			 stopping;	/* runs_stop_all: shutdown */
	char			 owner[OWNER_MAX];	/* of the claims */
	/* arrival bounds: this minute's counts */
	int64_t			 minute;
	int			 nminute;
	struct {
		char		 peer[ADDR_STRLEN];
		int		 n;
	}			 peers[ARRIVAL_PEERS];
	int			 npeers;
	uint64_t		 dropped, ignored;	/* this minute */
	struct runs_stats	 st;
};

#define AR_NAME(e, s) s,
static const char *const arrival_result_names[] = {
	ARRIVAL_RESULTS(AR_NAME)
};
#undef AR_NAME

static void	run_session_done(struct smtp_session *,
		    const struct session_result *, void *);
static void	run_timer_cb(evutil_socket_t, short, void *);
static void	run_finish(struct run *);
static void	run_finish_later(struct run *);
static void	run_finish_batch(struct run **, size_t);
static void	runs_record_cb(evutil_socket_t, short, void *);
static int	still_listed_cb(const struct listing *, void *);

const char *
arrival_result_name(enum arrival_result a)
{
	if ((unsigned)a >= ARRIVAL_RESULT_COUNT)
		return "?";
	return arrival_result_names[a];
}

/* A call on the database failed: count it if a lock was the reason.
 * Only right after a call that returned -1 (the flag is the last
 * failure's). */
static void
runs_db_failed(struct runs *rs)
{
	if (db_busy(rs->db))
		rs->st.db_busy++;
}

/* The cookie key (cookie_key.c: configured, from a file, or made once
 * and kept beside the database, mode 0600). */
static int
runs_key(struct runs *rs, char *err, size_t errlen)
{
	char	 warn[1024];

	warn[0] = '\0';
	if (cookie_key_load(rs->conf, rs->db, rs->key, &rs->keylen,
	    sizeof(rs->key), warn, sizeof(warn), err, errlen) == -1)
		return -1;
	if (warn[0] != '\0')
		log_warnx("%s", warn);
	return 0;
}

struct runs *
runs_new(const struct conf *conf, struct db *db, struct event_base *base,
    char *err, size_t errlen)
{
	struct runs	*rs = xcalloc(1, sizeof(*rs));
	size_t		 i;

	rs->conf = conf;
	rs->db = db;
	rs->base = base;
	orbl_strlcpy(rs->owner, "prober", sizeof(rs->owner));
	TAILQ_INIT(&rs->list);
	TAILQ_INIT(&rs->recq);
	for (i = 0; i < RUN_HASH; i++)
		LIST_INIT(&rs->hash[i]);
	if (runs_key(rs, err, errlen) == -1) {
		free(rs);
		return NULL;
	}
	if ((rs->ev_rec = evtimer_new(base, runs_record_cb, rs)) == NULL)
		fatalx("evtimer_new");
	return rs;
}

static void
run_free(struct run *r)
{
	if (r->state == R_QUEUED)
		TAILQ_REMOVE(&r->rs->recq, r, qentry);
	TAILQ_REMOVE(&r->rs->list, r, entry);
	LIST_REMOVE(r, hentry);
	r->rs->n--;
	if (r->timer)
		event_free(r->timer);
	free(r->tests);
	free(r->strs);
	free(r->transcript);
	free(r);
}

void
runs_free(struct runs *rs)
{
	struct run	*r;

	if (rs == NULL)
		return;
	runs_stop_all(rs);
	/* What decided is recorded, now that no loop runs. */
	while ((r = TAILQ_FIRST(&rs->recq)) != NULL) {
		TAILQ_REMOVE(&rs->recq, r, qentry);
		r->state = R_RECORD;
		run_finish(r);
	}
	while (!TAILQ_EMPTY(&rs->list))
		run_free(TAILQ_FIRST(&rs->list));
	event_free(rs->ev_rec);
	free(rs);
}

size_t
runs_active(const struct runs *rs)
{
	return rs->n;
}

const struct runs_stats *
runs_stats(const struct runs *rs)
{
	return &rs->st;
}

void
runs_set_owner(struct runs *rs, const char *owner)
{
	orbl_strlcpy(rs->owner, owner, sizeof(rs->owner));
}

const char *
runs_owner(const struct runs *rs)
{
	return rs->owner;
}

/* The session's parameters (the strings are r's and the config's). */
static void
run_params(const struct run *r, struct session_params *sp)
{
	const struct conf	*c = r->rs->conf;

	memset(sp, 0, sizeof(*sp));
	sp->target = r->addr;
	sp->port = (uint16_t)r->port;
	sp->helo_name = c->helo_name;
	sp->sink_domain = c->sink_domain;
	sp->sink_local = c->sink_local;
	sp->from_local = c->from_local;
	sp->cookie_key = r->rs->key;
	sp->cookie_keylen = r->rs->keylen;
	sp->run_id = r->probe_id;
	sp->cookie_expires = time(NULL) + c->cookie_lifetime;
	sp->connect_timeout = (int)c->connect_timeout;
	sp->reply_timeout = (int)c->smtp_timeout;
	sp->total_timeout = (int)c->probe_timeout;
	sp->max_rejects = (int)c->probe_max_rejects;
	sp->max_connections = 8;
	sp->max_accepted = (int)c->probe_max_accepted;
	sp->trace = r->trace;
	sp->trace_arg = r->targ;
}

int
runs_start(struct runs *rs, const char *addr, int port, int64_t submission_id,
    int64_t request_id,
    int (*record)(const struct run_result *, struct db *, void *),
    void (*done)(const struct run_result *, void *), void *arg,
    void (*trace)(char, const char *, void *), void *targ)
{
	struct session_params	 sp;
	struct run		*r;

	r = xcalloc(1, sizeof(*r));
	r->rs = rs;
	orbl_strlcpy(r->addr, addr, sizeof(r->addr));
	r->port = port;
	r->submission_id = submission_id;
	r->request_id = request_id;
	r->record = record;
	r->done = done;
	r->arg = arg;
	r->trace = trace;
	r->targ = targ;
	if (db_probe_begin(rs->db, addr, port, submission_id, request_id,
	    &r->probe_id) == -1) {
		runs_db_failed(rs);
		log_warnx("probe %s: %s", addr, db_errmsg(rs->db));
		free(r);
		return -1;
	}
	TAILQ_INSERT_TAIL(&rs->list, r, entry);
	LIST_INSERT_HEAD(&rs->hash[(uint64_t)r->probe_id % RUN_HASH], r,
	    hentry);
	rs->n++;
	rs->st.started++;
	if ((r->timer = evtimer_new(rs->base, run_timer_cb, r)) == NULL)
		fatalx("evtimer_new");

	run_params(r, &sp);
	log_info("probe #%lld %s port %d: started", (long long)r->probe_id,
	    addr, port);
	r->state = R_SESSION;
	r->batch = 1;
	if ((r->sess = smtp_session_start(rs->base, &sp, run_session_done,
	    r)) == NULL) {
		r->sverdict = VERDICT_PROTO;
		orbl_strlcpy(r->why, "cannot start the SMTP session",
		    sizeof(r->why));
		run_finish(r);
	} else
		rs->st.sessions++;
	return 0;
}

void
runs_stop_all(struct runs *rs)
{
	struct run	*r, *next;

	rs->stopping = 1;
	for (r = TAILQ_FIRST(&rs->list); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->state == R_SESSION && r->sess != NULL)
			smtp_session_stop(r->sess);
		else if (r->state == R_WAIT)
			run_finish(r);
	}
}

/*
 * The session's tests into the run's: the first session's are the
 * battery (one per test, in order, "not-run" where it stopped); a later
 * batch's replace the entries of the tests it ran.
 */
/* A string into the arena: its offset (0 for ""). */
static uint32_t
run_str_add(struct run *r, const char *str)
{
	size_t		 n = strlen(str) + 1;
	uint32_t	 off;

	if (n == 1)
		return 0;
	if (r->strslen == 0)
		r->strslen = 1;		/* offset 0 is "" */
	if (r->strslen + n > r->strscap) {
		if (r->strscap == 0)
			r->strscap = 1024;
		while (r->strslen + n > r->strscap)
			r->strscap *= 2;
		r->strs = xreallocarray(r->strs, 1, r->strscap);
		r->strs[0] = '\0';
	}
	off = (uint32_t)r->strslen;
	memcpy(r->strs + off, str, n);
	r->strslen += n;
	return off;
}

static const char *
run_str(const struct run *r, const struct run_test *t, enum run_str which)
{
	return t->str[which] ? r->strs + t->str[which] : "";
}

static void
run_test_set(struct run *r, struct run_test *t, const struct session_test *st)
{
	t->test_id = st->test_id;
	t->outcome = st->outcome;
	t->str[RS_MAIL_FROM] = run_str_add(r, st->mail_from);
	t->str[RS_RCPT_TO] = run_str_add(r, st->rcpt_to);
	t->str[RS_MAIL_REPLY] = run_str_add(r, st->mail_reply);
	t->str[RS_RCPT_REPLY] = run_str_add(r, st->rcpt_reply);
	t->str[RS_DATA_REPLY] = run_str_add(r, st->data_reply);
	t->str[RS_COOKIE] = run_str_add(r, st->cookie);
}

/* (A replaced test's strings stay in the arena: each test is run in one
 * batch only, so that is bounded by one battery.) */
static void
run_merge_tests(struct run *r, const struct session_result *res)
{
	size_t	 i, j;

	if (r->tests == NULL) {
		r->tests = xcalloc(res->ntests ? res->ntests : 1,
		    sizeof(*r->tests));
		for (j = 0; j < res->ntests; j++)
			run_test_set(r, &r->tests[j], &res->tests[j]);
		r->ntests = res->ntests;
		return;
	}
	for (j = 0; j < res->ntests; j++) {
		if (res->tests[j].outcome == TO_NOT_RUN)
			continue;
		for (i = 0; i < r->ntests; i++)
			if (r->tests[i].test_id == res->tests[j].test_id) {
				run_test_set(r, &r->tests[i], &res->tests[j]);
				break;
			}
	}
}

/* Append to the run's transcript, bounded (RUN_TRANSCRIPT_MAX). */
static void
run_transcript_add(struct run *r, const char *text, size_t len)
{
	static const char	 cut[] = "* transcript cut here (too long)\n";
	size_t			 room;

	if (r->transcriptlen >= RUN_TRANSCRIPT_MAX)
		return;
	room = RUN_TRANSCRIPT_MAX - r->transcriptlen;
	if (len > room)
		len = room;
	r->transcript = xreallocarray(r->transcript, r->transcriptlen + len +
	    sizeof(cut), 1);
	memcpy(r->transcript + r->transcriptlen, text, len);
	r->transcriptlen += len;
	if (r->transcriptlen == RUN_TRANSCRIPT_MAX) {
		memcpy(r->transcript + r->transcriptlen, cut, sizeof(cut));
		r->transcriptlen += sizeof(cut) - 1;
	}
	r->transcript[r->transcriptlen] = '\0';
}

/* A note ("* ...") in the transcript and the live trace. */
static void
run_note(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
run_note(struct run *r, const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;
	size_t	 len;

	line[0] = '*';
	line[1] = ' ';
	va_start(ap, fmt);
	/* room left for the newline */
	if (vsnprintf(line + 2, sizeof(line) - 3, fmt, ap) < 0)
		line[2] = '\0';
	va_end(ap);
	if (r->trace)
		r->trace('*', line + 2, r->targ);
	len = strlen(line);
	line[len++] = '\n';
	run_transcript_add(r, line, len);
}

/* The forms the battery has not sent yet (ids into out): how many. */
static size_t
run_not_run(const struct run *r, int *out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < r->ntests && n < max; i++)
		if (r->tests[i].outcome == TO_NOT_RUN)
			out[n++] = r->tests[i].test_id;
	return n;
}

static void
run_session_done(struct smtp_session *sess, const struct session_result *res,
    void *arg)
{
	struct run		*r = arg;
	const struct conf	*c = r->rs->conf;
	struct timeval		 tv = { 0, RUN_POLL_USEC };
	const struct relay_test	*rt;
	int			 i, ids[RUN_TESTS_MAX];
	size_t			 nleft;
	int64_t			 wait;

	(void)sess;
	r->sess = NULL;
	for (i = 0; i < CONN_RESULT_COUNT; i++)
		r->rs->st.conns[i] += res->conns[i];
	run_merge_tests(r, res);
	if (res->transcript != NULL)
		run_transcript_add(r, res->transcript, res->transcriptlen);
	r->naccepted += res->naccepted;
	if (r->batch == 1 || res->verdict == VERDICT_ACCEPTED) {
		r->sverdict = res->verdict;
		orbl_strlcpy(r->why, res->why, sizeof(r->why));
	}
	/* A later batch that accepted nothing changes nothing: messages
	 * were accepted before it, and the sink has the last word. */
	if (r->batch > 1 && r->sverdict == VERDICT_ACCEPTED) {
		rt = NULL;
		for (i = 0; i < (int)r->ntests; i++)
			if (r->tests[i].outcome == TO_ACCEPTED) {
				rt = relay_test_by_id(r->tests[i].test_id);
				break;
			}
		snprintf(r->why, sizeof(r->why), "%zu test message%s accepted "
		    "in %d batches (first: test %d, %s)", r->naccepted,
		    r->naccepted > 1 ? "s" : "", r->batch, rt ? rt->id : 0,
		    rt ? rt->name : "?");
	}
	/* The reason quotes the server's last reply, which may echo our
	 * Message-ID: it goes to logs and decisions, never a whole token. */
	cookie_redact(r->why);
	if (r->confirmed || r->sverdict != VERDICT_ACCEPTED) {
		run_finish_later(r);
		return;
	}
	/* "250" proves nothing: wait for the mail at the sink.  Stopped
	 * by the limit with forms left: wait a batch, then send those. */
	nleft = run_not_run(r, ids, RUN_TESTS_MAX);
	r->more = res->verdict == VERDICT_ACCEPTED && nleft > 0 &&
	    c->probe_max_accepted > 0 &&
	    res->naccepted >= (size_t)c->probe_max_accepted;
	wait = c->arrival_wait;
	if (r->more && c->probe_batch_wait < wait)
		wait = c->probe_batch_wait;
	r->state = R_WAIT;
	r->wait_until = time(NULL) + wait;
	if (r->more)
		run_note(r, "batch %d: %zu accepted so far; waiting up to "
		    "%lld s for test mail before the %zu forms not sent yet",
		    r->batch, r->naccepted, (long long)wait, nleft);
	else if (r->trace)
		r->trace('*', "waiting for test mail at the sink", r->targ);
	evtimer_add(r->timer, &tv);
}

/*
 * No test mail in the batch wait: the forms sent did not relay (or not
 * yet: a late one still confirms).  Send the ones not sent yet.
 */
static void
run_next_batch(struct run *r)
{
	struct session_params	 sp;
	int			 ids[RUN_TESTS_MAX];
	size_t			 n;

	n = run_not_run(r, ids, RUN_TESTS_MAX);
	r->more = 0;
	r->batch++;
	run_note(r, "no test mail yet: batch %d, tests %d..%d (%zu forms)",
	    r->batch, ids[0], ids[n - 1], n);
	log_info("probe #%lld %s port %d: no test mail after %zu accepted; "
	    "batch %d with %zu forms not sent yet", (long long)r->probe_id,
	    r->addr, r->port, r->naccepted, r->batch, n);
	run_params(r, &sp);
	sp.tests = ids;
	sp.ntests = n;
	r->state = R_SESSION;
	if ((r->sess = smtp_session_start(r->rs->base, &sp, run_session_done,
	    r)) == NULL) {
		/* Cannot happen with ids from the battery; decide anyway. */
		log_warnx("probe #%lld: cannot start batch %d",
		    (long long)r->probe_id, r->batch);
		run_finish(r);
	} else
		r->rs->st.sessions++;
}

static int
poll_arrival_cb(const struct arrival *a, void *arg)
{
	struct run	*r = arg;

	if (a->id > r->last_arrival)
		r->last_arrival = a->id;
	if (a->confirmed && !r->confirmed) {
		r->confirmed = 1;
		r->relayed_test = a->test_id;
		orbl_strlcpy(r->output_addr, a->peer, sizeof(r->output_addr));
	}
	if (a->bounce)
		r->bounces++;
	return 0;
}

/* What arrived for r since the last look (bounded per run anyway). */
static void
run_poll(struct run *r)
{
	if (db_arrivals_since(r->rs->db, r->probe_id, r->last_arrival,
	    poll_arrival_cb, r) == -1) {
		runs_db_failed(r->rs);
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(r->rs->db));
	}
}

/*
 * r decided: record it from the queue (RUN_RECORD_BUDGET_USEC).  While
 * stopping, at once: an undecided run is only re-queued, and the
 * shutdown waits for the runs to be gone.
 */
static void
run_finish_later(struct run *r)
{
	struct runs	*rs = r->rs;
	struct timeval	 now = { 0, 0 };

	if (rs->stopping) {
		run_finish(r);
		return;
	}
	evtimer_del(r->timer);
	r->decided = 1;		/* a shutdown before its turn records it */
	r->state = R_QUEUED;
	TAILQ_INSERT_TAIL(&rs->recq, r, qentry);
	if (!evtimer_pending(rs->ev_rec, NULL))
		evtimer_add(rs->ev_rec, &now);
}

/* Record queued runs for up to RUN_RECORD_BUDGET_USEC, then let the
 * sessions have the loop again. */
static void
runs_record_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct runs	*rs = arg;
	struct run	*r, *rv[RUN_RECORD_BATCH];
	struct timeval	 now = { 0, 0 };
	int64_t		 t0 = clock_mono_usec(), budget;
	size_t		 n;

	(void)fd;
	(void)ev;
	budget = rs->rec_last > 0 ? (t0 - rs->rec_last) / 4 : 0;
	if (budget < RUN_RECORD_MIN_USEC)
		budget = RUN_RECORD_MIN_USEC;
	if (budget > RUN_RECORD_MAX_USEC)
		budget = RUN_RECORD_MAX_USEC;
	while (!TAILQ_EMPTY(&rs->recq)) {
		for (n = 0; n < RUN_RECORD_BATCH &&
		    (r = TAILQ_FIRST(&rs->recq)) != NULL; n++) {
			TAILQ_REMOVE(&rs->recq, r, qentry);
			r->state = R_RECORD;
			rv[n] = r;
		}
		run_finish_batch(rv, n);
		if (clock_mono_usec() - t0 >= budget)
			break;
	}
	rs->rec_last = clock_mono_usec();
	if (!TAILQ_EMPTY(&rs->recq))
		evtimer_add(rs->ev_rec, &now);
	else
		rs->rec_last = 0;	/* the next burst starts afresh */
}

static void
run_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct run	*r = arg;
	struct timeval	 tv = { 0, RUN_POLL_USEC };

	(void)fd;
	(void)ev;
	if (r->state == R_RECORD) {
		run_finish(r);
		return;
	}
	if (++r->looks % RUN_POLL_EVERY == 0 || time(NULL) >= r->wait_until)
		run_poll(r);
	if (!r->confirmed && r->more && time(NULL) >= r->wait_until &&
	    !r->rs->stopping) {
		run_next_batch(r);
		return;
	}
	if (r->confirmed || time(NULL) >= r->wait_until) {
		run_finish_later(r);
		return;
	}
	evtimer_add(r->timer, &tv);
}

/* Attach what arrived to the tests (evidence), while finishing. */
struct finish_ctx {
	struct run		*r;
	struct probe_test_row	*rows;
	char			 notes[4096];
	size_t			 notelen;
};

static int
finish_arrival_cb(const struct arrival *a, void *arg)
{
	struct finish_ctx	*f = arg;
	struct run		*r = f->r;
	size_t			 i;
	int			 n;

	for (i = 0; i < r->ntests; i++) {
		if (r->tests[i].test_id != a->test_id || f->rows[i].arrived)
			continue;
		/* Copies: a's strings live only during this call. */
		f->rows[i].arrived = a->ts;
		f->rows[i].arrived_from = xstrdup(a->peer ? a->peer : "");
		f->rows[i].received = xstrdup(a->received ? a->received : "");
		if (a->bounce)
			f->rows[i].verdict = "bounced";
		else if (a->confirmed)
			f->rows[i].verdict = "relayed";
	}
	if (a->bounce)
		r->bounces++;
	n = snprintf(f->notes + f->notelen, sizeof(f->notes) - f->notelen,
	    "* sink: test %d mail from %s (envelope <%s>)%s%s\n", a->test_id,
	    a->peer, a->mail_from, a->bounce ? ": a bounce, " : "",
	    a->bounce ? (a->bounce_why ? a->bounce_why : "") : "");
	if (n > 0 && (size_t)n < sizeof(f->notes) - f->notelen)
		f->notelen += (size_t)n;
	return 0;
}

/* Queue the output of a multi-hop relay for a probe of its own. */
static void
queue_output(struct run *r)
{
	struct addr	 a;
	char		 err[256], who[128];
	int64_t		 id;

	if (target_check(r->rs->conf, r->output_addr, &a, err,
	    sizeof(err)) == -1) {
		log_info("probe #%lld: multi-hop output %s not queued: %s",
		    (long long)r->probe_id, r->output_addr, err);
		return;
	}
	snprintf(who, sizeof(who), "orbl-prober: multi-hop output of %s",
	    r->addr);
	if (db_submission_add(r->rs->db, r->output_addr, 25, who, NULL,
	    "prober", &id) == -1) {
		runs_db_failed(r->rs);
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(r->rs->db));
	} else
		log_info("probe #%lld: queued the multi-hop output %s as "
		    "submission %lld", (long long)r->probe_id, r->output_addr,
		    (long long)id);
}

/* What every end of a run reports about it. */
static void
run_result_init(const struct run *r, struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	res->probe_id = r->probe_id;
	res->submission_id = r->submission_id;
	res->request_id = r->request_id;
	res->addr = r->addr;
	res->port = r->port;
}

/*
 * The listing of a relay confirmed by test mail from hops ("single-hop",
 * "multi-hop") for test of run probe_id: its reason (always written, it
 * is the run's record too) and, unless addr is not an address (-1), the
 * entry.
 */
static int
relay_listing(struct listing *l, char *reason, size_t len, const char *addr,
    const char *hops, int test, int64_t probe_id, time_t now, int late)
{
	const struct relay_test	*rt = relay_test_by_id(test);
	char			 day[32], err[128];

	strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
	snprintf(reason, len, "open relay (%s): test %d, %s, relayed on %s%s; "
	    "evidence: probe #%lld", hops, test, rt ? rt->name : "?", day,
	    late ? " (late arrival)" : "", (long long)probe_id);
	memset(l, 0, sizeof(*l));
	if (addr_parse(addr, &l->net, err, sizeof(err)) == -1)
		return -1;
	l->code = DB_CODE_DEFAULT;
	l->reason = reason;
	l->source = "probe";
	l->probe_id = probe_id;
	l->actor = "prober";
	return 0;
}

/*
 * Stopped by a shutdown before it could decide: no verdict (a battery cut
 * short proves nothing); the owner's record hook puts the submission or
 * request back in the queue and the claim is released, in one
 * transaction.  The probe stays unfinished.  If that cannot be written
 * now, the claim stays: the next start of this owner, or the lease,
 * releases it.
 */
static void
run_interrupted(struct run *r)
{
	struct run_result	 res;
	struct db		*db = r->rs->db;

	r->state = R_DONE;
	evtimer_del(r->timer);
	r->rs->st.interrupted++;
	run_result_init(r, &res);
	res.verdict = VERDICT_NONE;
	res.why = "interrupted";
	res.interrupted = 1;
	if (db_begin(db) == -1 ||
	    (r->record != NULL && r->record(&res, db, r->arg) == -1) ||
	    db_claim_release(db, r->addr, r->rs->owner) == -1 ||
	    db_commit(db) == -1) {
		runs_db_failed(r->rs);
		log_warnx("probe #%lld %s: interrupted; cannot re-queue it now "
		    "(%s): the next start does", (long long)r->probe_id,
		    r->addr, db_errmsg(db));
		db_rollback(db);
	} else
		log_info("probe #%lld %s: interrupted, re-queued",
		    (long long)r->probe_id, r->addr);
	if (r->done)
		r->done(&res, r->arg);
	run_free(r);
}

static void
finish_rows_free(struct finish_ctx *f)
{
	size_t	 i;

	for (i = 0; i < f->r->ntests; i++) {
		free((char *)f->rows[i].arrived_from);
		free((char *)f->rows[i].received);
	}
	free(f->rows);
}

/* What run_write worked out, for run_after once it is committed. */
struct finish_out {
	struct run_result	 res;
	enum verdict		 v;
	int			 listed;
};

/*
 * The verdict, written with everything it justifies, inside the caller's
 * transaction: the run and its tests; the listing and its evidence
 * (confirmed); the removal of this port's evidence, and of the listing
 * when none is left (closed); the owner's record hook (the submission's
 * or request's next state); the release of the claim.  Nothing but the
 * database changes here (and what a retry recomputes the same), so a
 * transaction that is rolled back can be written again.  0, or -1.
 */
static int
run_write(struct run *r, struct finish_out *o)
{
	struct finish_ctx	 f;
	struct probe		 p;
	struct listing		 l;
	struct run_result	*res = &o->res;
	const struct relay_test	*rt;
	struct db		*db = r->rs->db;
	char			 reason[512], err[128], *transcript;
	enum verdict		 v;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 listed = 0, ok, nleft = 0;

	memset(&f, 0, sizeof(f));
	f.r = r;
	f.rows = xcalloc(r->ntests ? r->ntests : 1, sizeof(*f.rows));
	for (i = 0; i < r->ntests; i++) {
		const struct run_test *t = &r->tests[i];

		rt = relay_test_by_id(t->test_id);
		f.rows[i].test_id = t->test_id;
		f.rows[i].name = rt ? rt->name : "";
		f.rows[i].mail_from = run_str(r, t, RS_MAIL_FROM);
		f.rows[i].rcpt_to = run_str(r, t, RS_RCPT_TO);
		f.rows[i].mail_reply = run_str(r, t, RS_MAIL_REPLY);
		f.rows[i].rcpt_reply = run_str(r, t, RS_RCPT_REPLY);
		f.rows[i].data_reply = run_str(r, t, RS_DATA_REPLY);
		f.rows[i].cookie = t->str[RS_COOKIE] ?
		    run_str(r, t, RS_COOKIE) : NULL;
		f.rows[i].verdict = test_outcome_name(t->outcome);
	}
	/* One more look: a message may have arrived since the last poll. */
	run_poll(r);

	run_result_init(r, res);
	if (r->confirmed)
		v = VERDICT_CONFIRMED;
	else if (r->sverdict == VERDICT_ACCEPTED)
		v = VERDICT_ACCEPTED;	/* may become "bounced" below */
	else
		v = r->sverdict;
	res->hops = r->confirmed ? (strcmp(r->output_addr, r->addr) == 0 ?
	    "single-hop" : "multi-hop") : NULL;

	memset(&p, 0, sizeof(p));
	p.id = r->probe_id;
	p.addr = r->addr;
	p.port = r->port;
	p.finished = now;
	p.hops = res->hops;
	p.relayed_test = r->confirmed ? r->relayed_test : 0;
	p.output_addr = r->confirmed ? r->output_addr : NULL;
	r->bounces = 0;
	if (db_arrivals(db, r->probe_id, finish_arrival_cb, &f) == -1) {
		runs_db_failed(r->rs);
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(db));
	}
	if (v == VERDICT_ACCEPTED && r->bounces > 0)
		v = VERDICT_BOUNCED;
	p.verdict = verdict_name(v);
	xasprintf(&transcript, "%s%s", r->transcript ? r->transcript : "",
	    f.notes);
	p.transcript = transcript;

	memset(&l, 0, sizeof(l));
	if (r->confirmed)
		listed = relay_listing(&l, reason, sizeof(reason), r->addr,
		    res->hops, r->relayed_test, r->probe_id, now, 0) == 0;
	if (run_verdict_closed(v))
		snprintf(reason, sizeof(reason), "re-test (probe #%lld, port "
		    "%d): %s, %s", (long long)r->probe_id, r->port,
		    verdict_name(v), r->why);

	res->verdict = v;
	res->relayed_test = r->confirmed ? r->relayed_test : 0;
	res->output_addr = r->confirmed ? r->output_addr : NULL;
	res->why = r->confirmed ? "test mail arrived at the sink" : r->why;
	res->listed = listed;

	ok = db_probe_finish(db, &p, f.rows, r->ntests, listed ? &l : NULL,
	    r->confirmed ? reason : r->why) == 0 &&
	    (!run_verdict_closed(v) || db_probe_delist(db, r->addr, r->port,
	    reason, &res->delisted) == 0) &&
	    db_evidence_ports(db, r->addr, NULL, 0, &nleft) == 0;
	if (ok) {
		res->evidence_left = nleft;
		res->still_listed = 0;
		if (addr_parse(r->addr, &l.net, err, sizeof(err)) == 0)
			ok = db_listing_covering(db, &l.net, still_listed_cb,
			    &res->still_listed) == 0;
	}
	ok = ok && (r->record == NULL || r->record(res, db, r->arg) == 0) &&
	    db_claim_release(db, r->addr, r->rs->owner) == 0;
	free(transcript);
	finish_rows_free(&f);
	o->v = v;
	o->listed = listed;
	return ok ? 0 : -1;
}

/* After the record (committed: ok; or lost to an error): say it, queue a
 * multi-hop output, tell the owner, free the run. */
static void
run_after(struct run *r, struct finish_out *o, int ok)
{
	struct run_result	*res = &o->res;
	enum verdict		 v = o->v;

	if (!ok) {
		res->listed = 0;
		res->delisted = 0;
	}
	if (r->recording)
		log_info("probe #%lld %s: recorded after the database was free "
		    "again", (long long)r->probe_id, r->addr);
	if (res->delisted)
		log_info("probe #%lld %s: delisted (the relay is closed)",
		    (long long)r->probe_id, r->addr);
	log_info("probe #%lld %s port %d: %s%s%s (%s)", (long long)r->probe_id,
	    r->addr, r->port, verdict_name(v), res->hops ? ", " : "",
	    res->hops ? res->hops : "", r->confirmed ? "test mail arrived" :
	    r->why);
	if (ok && r->confirmed && strcmp(res->hops, "multi-hop") == 0)
		queue_output(r);
	r->state = R_DONE;
	r->rs->st.verdicts[v]++;
	if (r->done)
		r->done(res, r->arg);
	run_free(r);
}

/*
 * The verdict, recorded in one transaction (run_write).  A locked
 * database is retried every RUN_RETRY_USEC with nothing lost or
 * half-written.
 */
static void
run_finish(struct run *r)
{
	struct finish_out	 o;
	struct db		*db = r->rs->db;
	struct timeval		 retry = { 0, RUN_RETRY_USEC };
	int			 ok;

	if (r->rs->stopping && !r->confirmed && !r->decided) {
		run_interrupted(r);
		return;
	}
	r->decided = 1;
	r->state = R_DONE;
	evtimer_del(r->timer);
	memset(&o, 0, sizeof(o));
	ok = db_begin(db) == 0 && run_write(r, &o) == 0 &&
	    db_commit(db) == 0;
	if (!ok) {
		int	 busy = db_busy(db);

		runs_db_failed(r->rs);
		db_rollback(db);
		if (busy) {
			/* Nothing was written: try the whole record again. */
			if (!r->recording)
				log_warnx("probe #%lld %s: %s: recording again "
				    "until it is free", (long long)r->probe_id,
				    r->addr, db_errmsg(db));
			r->recording = 1;
			r->state = R_RECORD;
			evtimer_add(r->timer, &retry);
			return;
		}
		log_warnx("probe #%lld %s: cannot record the run: %s (the "
		    "claim's lease puts it back in the queue)",
		    (long long)r->probe_id, r->addr, db_errmsg(db));
	}
	run_after(r, &o, ok);
}

/*
 * Up to n decided runs recorded in one transaction: one commit (its
 * locks, its WAL pages) for all of them.  If any write fails, nothing of
 * the batch stays and each run is recorded alone (run_finish: retries, a
 * lost record said).  Called with the runs out of the queue.
 */
static void
run_finish_batch(struct run **rv, size_t n)
{
	struct finish_out	 ov[RUN_RECORD_BATCH];
	struct db		*db;
	size_t			 i;
	int			 ok;

	if (n == 0)
		return;
	if (n == 1) {
		run_finish(rv[0]);
		return;
	}
	db = rv[0]->rs->db;
	memset(ov, 0, sizeof(ov));
	ok = db_begin(db) == 0;
	for (i = 0; ok && i < n; i++) {
		rv[i]->decided = 1;
		rv[i]->state = R_DONE;
		evtimer_del(rv[i]->timer);
		ok = run_write(rv[i], &ov[i]) == 0;
	}
	if (ok && db_commit(db) == 0) {
		for (i = 0; i < n; i++)
			run_after(rv[i], &ov[i], 1);
		return;
	}
	runs_db_failed(rv[0]->rs);
	db_rollback(db);
	for (i = 0; i < n; i++)
		run_finish(rv[i]);
}

int
run_verdict_closed(enum verdict v)
{
	return v == VERDICT_CLOSED || v == VERDICT_REFUSED ||
	    v == VERDICT_ACCEPTED || v == VERDICT_BOUNCED;
}

/* Does an entry still list a (most specific entry wins; test points
 * aside, which are never probed)? */
static int
still_listed_cb(const struct listing *l, void *arg)
{
	int	*listed = arg;

	*listed = !l->exclude && (l->expires == 0 || l->expires > time(NULL));
	return 0;
}

static struct run *
run_find(struct runs *rs, int64_t probe_id)
{
	struct run	*r;

	LIST_FOREACH(r, &rs->hash[(uint64_t)probe_id % RUN_HASH], hentry)
		if (r->probe_id == probe_id)
			return r;
	return NULL;
}

struct probe_copy {
	int		 found, confirmed;
	char		 addr[ADDR_STRLEN];
	int64_t		 started, finished;
};

static int
probe_copy_cb(const struct probe *p, void *arg)
{
	struct probe_copy	*c = arg;

	c->found = 1;
	c->confirmed = p->verdict && strcmp(p->verdict, "confirmed") == 0;
	orbl_strlcpy(c->addr, p->addr, sizeof(c->addr));
	c->started = p->started;
	c->finished = p->finished;
	return 0;
}

/* Count a message we did not store; say so once a minute. */
static void
arrival_window(struct runs *rs, int64_t now)
{
	if (now / 60 == rs->minute)
		return;
	if (rs->dropped > 0 || rs->ignored > 0)
		log_info("sink: the last minute: %llu arrival%s not stored "
		    "(limits per cookie, run, peer and minute), %llu message%s "
		    "without a valid cookie", (unsigned long long)rs->dropped,
		    rs->dropped == 1 ? "" : "s",
		    (unsigned long long)rs->ignored,
		    rs->ignored == 1 ? "" : "s");
	rs->minute = now / 60;
	rs->nminute = 0;
	rs->npeers = 0;
	rs->dropped = 0;
	rs->ignored = 0;
}

/*
 * May a non-confirming arrival from peer for (run, test) be stored?
 * Counts it when it may.  -1: database error.
 */
static int
arrival_room(struct runs *rs, const char *peer, int64_t run, int test)
{
	int64_t	 n;
	int	 i;

	/* A run's first arrival is always kept (its first bounce decides
	 * "bounced"): one row per run, bounded by the runs themselves, so a
	 * flood of other cookies cannot hide it. */
	if (db_arrival_count(rs->db, run, 0, &n) == -1)
		return -1;
	if (n == 0)
		return 1;
	if (rs->nminute >= ARRIVALS_PER_MIN)
		return 0;
	for (i = 0; i < rs->npeers; i++)
		if (strcmp(rs->peers[i].peer, peer) == 0)
			break;
	if (i < rs->npeers && rs->peers[i].n >= ARRIVALS_PER_PEER_MIN)
		return 0;
	if (db_arrival_count(rs->db, run, test, &n) == -1)
		return -1;
	if (n >= ARRIVALS_PER_TEST)
		return 0;
	if (db_arrival_count(rs->db, run, 0, &n) == -1)
		return -1;
	if (n >= ARRIVALS_PER_RUN)
		return 0;
	if (i == rs->npeers && rs->npeers < ARRIVAL_PEERS) {
		orbl_strlcpy(rs->peers[i].peer, peer,
		    sizeof(rs->peers[i].peer));
		rs->peers[i].n = 0;
		rs->npeers++;
	}
	if (i < rs->npeers)
		rs->peers[i].n++;
	rs->nminute++;
	return 1;
}

/* A database call of runs_arrival failed: 451 if a lock was the reason
 * (the sender tries again), else the message is lost (logged). */
static enum arrival_result
arrival_db_failed(struct runs *rs)
{
	runs_db_failed(rs);
	return db_busy(rs->db) ? ARRIVAL_TEMPFAIL : ARRIVAL_ERROR;
}

/* runs_arrival's work; *confirms = 1 when the arrival confirmed a run
 * (recorded so). */
static enum arrival_result
arrival_take(struct runs *rs, const struct sink_message *m, int *confirms)
{
	const struct sink_inspection	*in = &m->insp;
	enum arrival_result		 ar;
	struct probe_copy		 pc;
	struct cookie			 ck;
	struct arrival			 a;
	struct listing			 l;
	struct run			*r;
	const char			*hops;
	char				 token[COOKIE_MAX], reason[512];
	int				 confirmed, vr, stale, late, room;
	int				 accepted = 0, intx, rc = 0;
	int64_t				 now = time(NULL);

	const char			*tok = in->cookie;
	size_t				 toklen = in->cookielen;

	arrival_window(rs, now);
	/* A bounce quotes our test mail: its cookie, wherever it is,
	 * tells which run the bounce belongs to (it never confirms). */
	if (tok == NULL && in->bounce) {
		tok = in->attached_cookie;
		toklen = in->attached_cookielen;
	}
	/* Nothing a peer sent is logged as it was: a token is shown by its
	 * run and test only (the MAC is the proof and stays here). */
	if (tok == NULL || toklen >= sizeof(token)) {
		if (rs->ignored++ == 0)
			log_info("sink: message from %s without a cookie: "
			    "ignored", m->peer);
		return ARRIVAL_NO_COOKIE;
	}
	memcpy(token, tok, toklen);
	token[toklen] = '\0';
	memset(&pc, 0, sizeof(pc));
	if (cookie_parse(token, toklen, &ck) == -1 ||
	    (rc = db_probe_get(rs->db, ck.run, probe_copy_cb, &pc)) == -1 ||
	    !pc.found) {
		/* db_busy only after the call failed: it is the last
		 * failure's, and a malformed cookie made no call. */
		if (rc == -1 && db_busy(rs->db))
			return arrival_db_failed(rs);
		if (rs->ignored++ == 0)
			log_info("sink: message from %s with a cookie of no "
			    "known run: ignored", m->peer);
		return rc == -1 ? ARRIVAL_ERROR : ARRIVAL_BAD_COOKIE;
	}
	vr = cookie_verify(rs->key, rs->keylen, token, toklen, pc.addr,
	    now, &ck);
	if (vr != 0) {
		if (rs->ignored++ == 0)
			log_info("sink: message from %s with a %s cookie for "
			    "probe #%lld: ignored", m->peer, vr == -2 ?
			    "expired" : "forged", (long long)ck.run);
		return ARRIVAL_BAD_COOKIE;
	}
	r = run_find(rs, ck.run);
	/*
	 * A run that is not in memory: another process's live run (it polls
	 * the database), or a run that ended or died.  Late mail confirms an
	 * ended run only for a test whose message the target accepted.
	 */
	stale = pc.started < now - rs->conf->probe_timeout -
	    rs->conf->arrival_wait - 60;
	late = r == NULL && (pc.finished != 0 || stale);
	if (late && !pc.confirmed && !in->bounce &&
	    db_probe_test_accepted(rs->db, ck.run, ck.test, &accepted) == -1)
		return arrival_db_failed(rs);
	memset(&a, 0, sizeof(a));
	a.ts = now;
	a.probe_id = ck.run;
	a.test_id = ck.test;
	a.peer = m->peer;
	a.mail_from = m->mail_from;
	a.rcpt = m->rcpt;
	a.bounce = in->bounce;
	a.bounce_why = in->bounce_why;
	a.received = in->received;
	a.cookie = token;
	/* Only the first delivery confirms the run; later ones (more tests
	 * relayed, replays) are kept as evidence, within bounds. */
	a.confirmed = !in->bounce && !pc.confirmed && !(r && r->confirmed) &&
	    (!late || accepted);
	if (!a.confirmed) {
		if ((room = arrival_room(rs, m->peer, ck.run, ck.test)) == -1)
			return arrival_db_failed(rs);
		if (room == 0) {
			rs->dropped++;
			return ARRIVAL_DROPPED;
		}
	}
	/* A late confirmation: the arrival and the listing together. */
	intx = late && a.confirmed;
	if (intx && db_begin(rs->db) == -1)
		return arrival_db_failed(rs);
	if (db_arrival_add(rs->db, &a, &confirmed) == -1) {
		if (intx)
			db_rollback(rs->db);
		log_warnx("sink: cannot record an arrival for probe #%lld: %s%s",
		    (long long)ck.run, db_errmsg(rs->db), db_busy(rs->db) ?
		    " (the sender is asked to try again)" : "");
		return arrival_db_failed(rs);
	}
	log_info("sink: probe #%lld test %d: %s from %s%s", (long long)ck.run,
	    ck.test, in->bounce ? "bounce" : "test mail", m->peer,
	    in->bounce ? "" : confirmed ? " (confirms)" : late && !accepted &&
	    !pc.confirmed ? " (the target did not accept this test's "
	    "message: it cannot confirm the run later)" :
	    " (the run is confirmed already)");
	if (intx && !confirmed && db_commit(rs->db) == -1) {
		ar = arrival_db_failed(rs);
		db_rollback(rs->db);
		return ar;
	}
	if (!confirmed)
		return ARRIVAL_RECORDED;
	if (!intx)
		*confirms = 1;		/* written (no transaction open) */
	if (r != NULL) {
		r->confirmed = 1;
		r->relayed_test = ck.test;
		orbl_strlcpy(r->output_addr, m->peer, sizeof(r->output_addr));
		if (r->trace)
			r->trace('*', "test mail arrived at the sink", r->targ);
		if (r->state == R_SESSION && r->sess != NULL)
			smtp_session_stop(r->sess);	/* finishes in done */
		else if (r->state == R_WAIT)
			run_finish(r);
		return ARRIVAL_RECORDED;
	}
	if (!late)
		return ARRIVAL_RECORDED; /* another process's run: it polls */
	hops = strcmp(m->peer, pc.addr) == 0 ? "single-hop" : "multi-hop";
	if (relay_listing(&l, reason, sizeof(reason), pc.addr, hops, ck.test,
	    ck.run, (time_t)now, 1) == -1) {
		db_rollback(rs->db);
		return ARRIVAL_ERROR;
	}
	if (db_probe_confirm(rs->db, ck.run, hops, ck.test, m->peer, &l,
	    reason) == -1 || db_commit(rs->db) == -1) {
		log_warnx("sink: probe #%lld: %s", (long long)ck.run,
		    db_errmsg(rs->db));
		ar = arrival_db_failed(rs);	/* 451: the relay retries */
		db_rollback(rs->db);
		return ar;
	}
	*confirms = 1;
	log_info("probe #%lld %s: confirmed by a late arrival, listed",
	    (long long)ck.run, pc.addr);
	return ARRIVAL_RECORDED;
}

int
runs_arrival(struct runs *rs, const struct sink_message *m)
{
	enum arrival_result	 ar;
	int			 confirms = 0;

	ar = arrival_take(rs, m, &confirms);
	rs->st.arrivals[ar]++;
	rs->st.confirmations += (uint64_t)confirms;
	return ar == ARRIVAL_TEMPFAIL ? -1 : 0;
}
