/*
 * run.c -- see run.h.
 */
#include <sys/queue.h>
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "addr.h"
#include "conf.h"
#include "cookie.h"
#include "db.h"
#include "log.h"
#include "relay_tests.h"
#include "run.h"
#include "sink.h"
#include "smtp_session.h"
#include "target.h"
#include "xmalloc.h"

#define RUN_POLL_USEC		250000	/* arrivals recorded elsewhere */
#define COOKIE_KEY_MAX		64

enum run_state { R_SESSION, R_WAIT, R_DONE };

struct run {
	TAILQ_ENTRY(run)	 entry;
	struct runs		*rs;
	enum run_state		 state;
	int64_t			 probe_id, submission_id, request_id;
	char			 addr[ADDR_STRLEN];
	int			 port;
	struct smtp_session	*sess;		/* while R_SESSION */
	/* What the session found (copied: its result is borrowed). */
	enum verdict		 sverdict;
	char			 why[256];
	struct session_test	*tests;
	size_t			 ntests, naccepted;
	char			*transcript;
	/* What the sink found. */
	int			 confirmed, relayed_test, bounces;
	char			 output_addr[ADDR_STRLEN];
	int64_t			 wait_until;
	struct event		*timer;
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
	int			 stopping;	/* runs_stop_all: shutdown */
};

static void	run_session_done(struct smtp_session *,
		    const struct session_result *, void *);
static void	run_timer_cb(evutil_socket_t, short, void *);
static void	run_finish(struct run *);
static int	still_listed_cb(const struct listing *, void *);

/*
 * The cookie key: the configured secret, or a random one made once per
 * database (kept in meta), so that every process probing with that
 * database -- the daemon, orblctl probe -- verifies the same cookies.
 */
static int
runs_key(struct runs *rs, char *err, size_t errlen)
{
	char	 hex[2 * COOKIE_KEY_MAX + 1];
	size_t	 i;

	if (rs->conf->cookie_key[0] != '\0') {
		rs->keylen = strlen(rs->conf->cookie_key);
		if (rs->keylen > COOKIE_KEY_MAX)
			rs->keylen = COOKIE_KEY_MAX;
		memcpy(rs->key, rs->conf->cookie_key, rs->keylen);
		return 0;
	}
	if (db_meta_get(rs->db, "cookie_key", hex, sizeof(hex)) == 0 &&
	    strlen(hex) == 64) {
		for (i = 0; i < 32; i++) {
			unsigned int	 b;

			if (sscanf(hex + 2 * i, "%2x", &b) != 1)
				break;
			rs->key[i] = (uint8_t)b;
		}
		if (i == 32) {
			rs->keylen = 32;
			return 0;
		}
	}
	if (getrandom(rs->key, 32, 0) != 32) {
		snprintf(err, errlen, "getrandom failed");
		return -1;
	}
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", rs->key[i]);
	if (db_meta_set(rs->db, "cookie_key", hex) == -1) {
		snprintf(err, errlen, "cannot keep the cookie key: %s",
		    db_errmsg(rs->db));
		return -1;
	}
	rs->keylen = 32;
	return 0;
}

struct runs *
runs_new(const struct conf *conf, struct db *db, struct event_base *base,
    char *err, size_t errlen)
{
	struct runs	*rs = xcalloc(1, sizeof(*rs));

	rs->conf = conf;
	rs->db = db;
	rs->base = base;
	TAILQ_INIT(&rs->list);
	if (runs_key(rs, err, errlen) == -1) {
		free(rs);
		return NULL;
	}
	return rs;
}

static void
run_free(struct run *r)
{
	TAILQ_REMOVE(&r->rs->list, r, entry);
	r->rs->n--;
	if (r->timer)
		event_free(r->timer);
	free(r->tests);
	free(r->transcript);
	free(r);
}

void
runs_free(struct runs *rs)
{
	if (rs == NULL)
		return;
	runs_stop_all(rs);
	while (!TAILQ_EMPTY(&rs->list))
		run_free(TAILQ_FIRST(&rs->list));
	free(rs);
}

size_t
runs_active(const struct runs *rs)
{
	return rs->n;
}

int
runs_start(struct runs *rs, const char *addr, int port, int64_t submission_id,
    int64_t request_id, void (*done)(const struct run_result *, void *),
    void *arg, void (*trace)(char, const char *, void *), void *targ)
{
	const struct conf	*c = rs->conf;
	struct session_params	 sp;
	struct run		*r;

	r = xcalloc(1, sizeof(*r));
	r->rs = rs;
	orbl_strlcpy(r->addr, addr, sizeof(r->addr));
	r->port = port;
	r->submission_id = submission_id;
	r->request_id = request_id;
	r->done = done;
	r->arg = arg;
	r->trace = trace;
	r->targ = targ;
	if (db_probe_begin(rs->db, addr, port, submission_id, request_id,
	    &r->probe_id) == -1) {
		log_warnx("probe %s: %s", addr, db_errmsg(rs->db));
		free(r);
		return -1;
	}
	TAILQ_INSERT_TAIL(&rs->list, r, entry);
	rs->n++;
	if ((r->timer = evtimer_new(rs->base, run_timer_cb, r)) == NULL)
		fatalx("evtimer_new");

	memset(&sp, 0, sizeof(sp));
	sp.target = r->addr;
	sp.port = (uint16_t)port;
	sp.helo_name = c->helo_name;
	sp.sink_domain = c->sink_domain;
	sp.sink_local = c->sink_local;
	sp.from_local = c->from_local;
	sp.cookie_key = rs->key;
	sp.cookie_keylen = rs->keylen;
	sp.run_id = r->probe_id;
	sp.cookie_expires = time(NULL) + c->cookie_lifetime;
	sp.connect_timeout = (int)c->connect_timeout;
	sp.reply_timeout = (int)c->smtp_timeout;
	sp.total_timeout = (int)c->probe_timeout;
	sp.max_rejects = (int)c->probe_max_rejects;
	sp.max_connections = 8;
	sp.max_accepted = (int)c->probe_max_accepted;
	sp.trace = trace;
	sp.trace_arg = targ;
	log_info("probe #%lld %s port %d: started", (long long)r->probe_id,
	    addr, port);
	r->state = R_SESSION;
	if ((r->sess = smtp_session_start(rs->base, &sp, run_session_done,
	    r)) == NULL) {
		r->sverdict = VERDICT_PROTO;
		orbl_strlcpy(r->why, "cannot start the SMTP session",
		    sizeof(r->why));
		run_finish(r);
	}
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

static void
run_session_done(struct smtp_session *sess, const struct session_result *res,
    void *arg)
{
	struct run	*r = arg;
	struct timeval	 tv = { 0, RUN_POLL_USEC };

	(void)sess;
	r->sess = NULL;
	r->sverdict = res->verdict;
	orbl_strlcpy(r->why, res->why, sizeof(r->why));
	r->ntests = res->ntests;
	r->naccepted = res->naccepted;
	r->tests = xcalloc(res->ntests ? res->ntests : 1, sizeof(*r->tests));
	memcpy(r->tests, res->tests, res->ntests * sizeof(*r->tests));
	r->transcript = xstrndup(res->transcript ? res->transcript : "",
	    res->transcriptlen);
	if (r->confirmed || res->verdict != VERDICT_ACCEPTED) {
		run_finish(r);
		return;
	}
	/* "250" proves nothing: wait for the mail at the sink. */
	r->state = R_WAIT;
	r->wait_until = time(NULL) + r->rs->conf->arrival_wait;
	if (r->trace)
		r->trace('*', "waiting for test mail at the sink", r->targ);
	evtimer_add(r->timer, &tv);
}

static int
poll_arrival_cb(const struct arrival *a, void *arg)
{
	struct run	*r = arg;

	if (a->confirmed && !r->confirmed) {
		r->confirmed = 1;
		r->relayed_test = a->test_id;
		orbl_strlcpy(r->output_addr, a->peer, sizeof(r->output_addr));
	}
	if (a->bounce)
		r->bounces++;
	return 0;
}

static void
run_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct run	*r = arg;
	struct timeval	 tv = { 0, RUN_POLL_USEC };

	(void)fd;
	(void)ev;
	r->bounces = 0;
	if (db_arrivals(r->rs->db, r->probe_id, poll_arrival_cb, r) == -1)
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(r->rs->db));
	if (r->confirmed || time(NULL) >= r->wait_until) {
		run_finish(r);
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
	    "prober", &id) == -1)
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(r->rs->db));
	else
		log_info("probe #%lld: queued the multi-hop output %s as "
		    "submission %lld", (long long)r->probe_id, r->output_addr,
		    (long long)id);
}

/*
 * Stopped by a shutdown before it could decide: no verdict (a battery cut
 * short proves nothing); the submission or request goes back to the
 * queue and the probe stays unfinished, so late mail still counts.
 */
static void
run_interrupted(struct run *r)
{
	struct run_result	 res;
	struct db		*db = r->rs->db;

	r->state = R_DONE;
	evtimer_del(r->timer);
	if (r->submission_id > 0 && db_submission_set(db, r->submission_id,
	    "queued", NULL, 0, 0, "prober", "run interrupted: prober "
	    "stopped") == -1)
		log_warnx("%s", db_errmsg(db));
	if (r->request_id > 0 && db_request_set(db, r->request_id, "pending",
	    0, r->probe_id, NULL, "prober") == -1)
		log_warnx("%s", db_errmsg(db));
	log_info("probe #%lld %s: interrupted, re-queued",
	    (long long)r->probe_id, r->addr);
	memset(&res, 0, sizeof(res));
	res.probe_id = r->probe_id;
	res.submission_id = r->submission_id;
	res.addr = r->addr;
	res.verdict = VERDICT_NONE;
	res.why = "interrupted";
	res.interrupted = 1;
	if (r->done)
		r->done(&res, r->arg);
	run_free(r);
}

static void
run_finish(struct run *r)
{
	struct finish_ctx	 f;
	struct probe		 p;
	struct listing		 l;
	struct run_result	 res;
	const struct relay_test	*rt;
	char			 reason[512], day[32], err[128], *transcript;
	enum verdict		 v;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 listed = 0;

	if (r->rs->stopping && !r->confirmed) {
		run_interrupted(r);
		return;
	}
	r->state = R_DONE;
	evtimer_del(r->timer);
	memset(&f, 0, sizeof(f));
	f.r = r;
	f.rows = xcalloc(r->ntests ? r->ntests : 1, sizeof(*f.rows));
	for (i = 0; i < r->ntests; i++) {
		const struct session_test *t = &r->tests[i];

		rt = relay_test_by_id(t->test_id);
		f.rows[i].test_id = t->test_id;
		f.rows[i].name = rt ? rt->name : "";
		f.rows[i].mail_from = t->mail_from;
		f.rows[i].rcpt_to = t->rcpt_to;
		f.rows[i].mail_reply = t->mail_reply;
		f.rows[i].rcpt_reply = t->rcpt_reply;
		f.rows[i].data_reply = t->data_reply;
		f.rows[i].cookie = t->cookie[0] ? t->cookie : NULL;
		f.rows[i].verdict = test_outcome_name(t->outcome);
	}
	/* One more look: a message may have arrived since the last poll. */
	r->bounces = 0;
	if (db_arrivals(r->rs->db, r->probe_id, poll_arrival_cb, r) == -1)
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(r->rs->db));
	r->bounces = 0;

	memset(&res, 0, sizeof(res));
	if (r->confirmed)
		v = VERDICT_CONFIRMED;
	else if (r->sverdict == VERDICT_ACCEPTED)
		v = VERDICT_ACCEPTED;	/* may become "bounced" below */
	else
		v = r->sverdict;
	res.hops = r->confirmed ? (strcmp(r->output_addr, r->addr) == 0 ?
	    "single-hop" : "multi-hop") : NULL;

	memset(&p, 0, sizeof(p));
	p.id = r->probe_id;
	p.addr = r->addr;
	p.port = r->port;
	p.finished = now;
	p.hops = res.hops;
	p.relayed_test = r->confirmed ? r->relayed_test : 0;
	p.output_addr = r->confirmed ? r->output_addr : NULL;
	if (db_arrivals(r->rs->db, r->probe_id, finish_arrival_cb, &f) == -1)
		log_warnx("probe #%lld: %s", (long long)r->probe_id,
		    db_errmsg(r->rs->db));
	if (v == VERDICT_ACCEPTED && r->bounces > 0)
		v = VERDICT_BOUNCED;
	p.verdict = verdict_name(v);
	xasprintf(&transcript, "%s%s", r->transcript ? r->transcript : "",
	    f.notes);
	p.transcript = transcript;

	if (r->confirmed) {
		rt = relay_test_by_id(r->relayed_test);
		strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
		snprintf(reason, sizeof(reason), "open relay (%s): test %d, %s, "
		    "relayed on %s; evidence: probe #%lld", res.hops,
		    r->relayed_test, rt ? rt->name : "?", day,
		    (long long)r->probe_id);
		memset(&l, 0, sizeof(l));
		if (addr_parse(r->addr, &l.net, err, sizeof(err)) == 0) {
			l.code = DB_CODE_DEFAULT;
			l.reason = reason;
			l.source = "probe";
			l.probe_id = r->probe_id;
			l.actor = "prober";
			listed = 1;
		}
	}
	/*
	 * One transaction: the run, its tests, and the listing change it
	 * justifies -- listed when confirmed; a probe listing removed when
	 * the re-test shows the relay closed.
	 */
	if (run_verdict_closed(v))
		snprintf(reason, sizeof(reason), "re-test (probe #%lld): %s, "
		    "%s", (long long)r->probe_id, verdict_name(v), r->why);
	if (db_begin(r->rs->db) == -1 ||
	    db_probe_finish(r->rs->db, &p, f.rows, r->ntests,
	    listed ? &l : NULL, r->confirmed ? reason : r->why) == -1 ||
	    (run_verdict_closed(v) && db_probe_delist(r->rs->db, r->addr,
	    reason, &res.delisted) == -1) || db_commit(r->rs->db) == -1) {
		log_warnx("probe #%lld %s: cannot record the run: %s",
		    (long long)r->probe_id, r->addr, db_errmsg(r->rs->db));
		db_rollback(r->rs->db);
		listed = 0;
		res.delisted = 0;
	}
	if (addr_parse(r->addr, &l.net, err, sizeof(err)) == 0)
		db_listing_covering(r->rs->db, &l.net, still_listed_cb,
		    &res.still_listed);
	if (res.delisted)
		log_info("probe #%lld %s: delisted (the relay is closed)",
		    (long long)r->probe_id, r->addr);
	free(transcript);
	for (i = 0; i < r->ntests; i++) {
		free((char *)f.rows[i].arrived_from);
		free((char *)f.rows[i].received);
	}
	free(f.rows);
	log_info("probe #%lld %s: %s%s%s (%s)", (long long)r->probe_id,
	    r->addr, verdict_name(v), res.hops ? ", " : "",
	    res.hops ? res.hops : "", r->confirmed ? "test mail arrived" :
	    r->why);
	if (r->confirmed && strcmp(res.hops, "multi-hop") == 0)
		queue_output(r);

	res.probe_id = r->probe_id;
	res.submission_id = r->submission_id;
	res.addr = r->addr;
	res.verdict = v;
	res.relayed_test = r->confirmed ? r->relayed_test : 0;
	res.output_addr = r->confirmed ? r->output_addr : NULL;
	res.why = r->confirmed ? "test mail arrived at the sink" : r->why;
	res.listed = listed;
	if (r->done)
		r->done(&res, r->arg);
	run_free(r);
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

	TAILQ_FOREACH(r, &rs->list, entry)
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

void
runs_arrival(struct runs *rs, const struct sink_message *m)
{
	const struct sink_inspection	*in = &m->insp;
	struct probe_copy		 pc;
	struct cookie			 ck;
	struct arrival			 a;
	struct listing			 l;
	struct run			*r;
	char				 token[COOKIE_MAX], reason[512], err[128];
	int				 confirmed, vr, stale;
	int64_t				 now = time(NULL);

	const char			*tok = in->cookie;
	size_t				 toklen = in->cookielen;

	/* A bounce quotes our test mail: its cookie, wherever it is,
	 * tells which run the bounce belongs to (it never confirms). */
	if (tok == NULL && in->bounce) {
		tok = in->attached_cookie;
		toklen = in->attached_cookielen;
	}
	if (tok == NULL || toklen >= sizeof(token)) {
		log_info("sink: message from %s <%s> without a cookie: ignored",
		    m->peer, m->mail_from);
		return;
	}
	memcpy(token, tok, toklen);
	token[toklen] = '\0';
	memset(&pc, 0, sizeof(pc));
	if (cookie_parse(token, toklen, &ck) == -1 ||
	    db_probe_get(rs->db, ck.run, probe_copy_cb, &pc) == -1 ||
	    !pc.found) {
		log_info("sink: message from %s with an unknown cookie %s: "
		    "ignored", m->peer, token);
		return;
	}
	vr = cookie_verify(rs->key, rs->keylen, token, toklen, pc.addr,
	    now, &ck);
	if (vr != 0) {
		log_info("sink: message from %s with a %s cookie for probe "
		    "#%lld: ignored", m->peer, vr == -2 ? "expired" : "forged",
		    (long long)ck.run);
		return;
	}
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
	 * relayed, replays) are kept as evidence. */
	r = run_find(rs, ck.run);
	a.confirmed = !in->bounce && !pc.confirmed && !(r && r->confirmed);
	if (db_arrival_add(rs->db, &a, &confirmed) == -1) {
		log_warnx("sink: cannot record an arrival for probe #%lld: %s",
		    (long long)ck.run, db_errmsg(rs->db));
		return;
	}
	log_info("sink: probe #%lld test %d: %s from %s%s", (long long)ck.run,
	    ck.test, in->bounce ? "bounce" : "test mail", m->peer,
	    in->bounce ? "" : confirmed ? " (confirms)" :
	    " (the run is confirmed already)");
	if (!confirmed)
		return;
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
		return;
	}
	/*
	 * Not ours in memory.  A run another process is still doing (orblctl
	 * probe beside the daemon) sees the arrival by polling; a run that
	 * ended, or died with its prober, is confirmed here: late mail
	 * counts while its cookie is valid.
	 */
	stale = pc.started < now - rs->conf->probe_timeout -
	    rs->conf->arrival_wait - 60;
	if ((pc.finished == 0 && !stale) || pc.confirmed)
		return;
	memset(&l, 0, sizeof(l));
	if (addr_parse(pc.addr, &l.net, err, sizeof(err)) == -1)
		return;
	{
		const struct relay_test	*rt = relay_test_by_id(ck.test);
		const char		*hops = strcmp(m->peer, pc.addr) == 0 ?
		    "single-hop" : "multi-hop";
		char			 day[32];
		time_t			 t = (time_t)now;

		strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&t));
		snprintf(reason, sizeof(reason), "open relay (%s): test %d, %s, "
		    "relayed on %s (late arrival); evidence: probe #%lld", hops,
		    ck.test, rt ? rt->name : "?", day, (long long)ck.run);
		l.code = DB_CODE_DEFAULT;
		l.reason = reason;
		l.source = "probe";
		l.probe_id = ck.run;
		l.actor = "prober";
		if (db_probe_confirm(rs->db, ck.run, hops, ck.test, m->peer, &l,
		    reason) == -1)
			log_warnx("sink: probe #%lld: %s", (long long)ck.run,
			    db_errmsg(rs->db));
		else
			log_info("probe #%lld %s: confirmed by a late arrival, "
			    "listed", (long long)ck.run, pc.addr);
	}
}
