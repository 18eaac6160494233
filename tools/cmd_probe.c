/*
 * cmd_probe.c -- orblctl submit, probe, and the probe evidence that
 * lookup shows.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.h"
#include "ctl_json.h"
#include "db.h"
#include "fmt.h"
#include "log.h"
#include "policy.h"
#include "run.h"
#include "sink.h"
#include "target.h"
#include "xmalloc.h"

#define EVIDENCE_PROBES	5	/* runs shown by lookup */

static int
parse_port(const char *verb, const char *s, int *port)
{
	char	*end;
	long	 v;

	if (s == NULL) {
		*port = 25;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < 1 || v > 65535) {
		ctl_usage_err(verb, "%s: --port %s: not a port number", verb, s);
		return -1;
	}
	*port = (int)v;
	return 0;
}

int
cmd_submit(struct ctl *ctl, int argc, char **argv)
{
	const char	*port_s = NULL, *submitter = NULL;
	int		 json = 0, force = 0;
	struct ctl_opt	 opts[] = {
		{ "port", 1, &port_s, NULL },
		{ "submitter", 1, &submitter, NULL },
		{ "json", 0, NULL, &json },
		{ "force", 0, NULL, &force },
		{ NULL, 0, NULL, NULL }
	};
	struct policy_submit ps;
	struct db	*db;
	char		*pos[1], err[512], t[32];
	int		 npos, port, rc;

	if (ctl_getopt("submit", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("submit", "submit: missing ADDR");
	if (parse_port("submit", port_s, &port) == -1)
		return CTL_USAGE;
	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	rc = policy_submit(&ctl->conf, db, pos[0], port, submitter ? submitter :
	    ctl->actor, NULL, ctl->actor, POLICY_OPERATOR |
	    (force ? POLICY_FORCE : 0), ctl->now, &ps, err,
	    sizeof(err));
	db_close(db);
	if (rc != POLICY_OK)
		return ctl_err("submit: %s", err);
	if (json)
		return ctl_json_print("submit", cj_submit(&ps, port));
	if (ps.queued)
		printf("submission %lld: %s port %d queued for testing\n",
		    (long long)ps.submission_id, ps.addr, port);
	else
		printf("%s was tested on %s: %s (probe #%lld); not queued "
		    "again before the re-test interval\n", ps.addr,
		    fmt_time_iso(ps.last_finished, t, sizeof(t)),
		    ps.last_verdict, (long long)ps.last_probe);
	return CTL_OK;
}

/* orblctl probe: one run in the foreground with the live transcript. */
struct fg {
	struct event_base	*base;
	struct runs		*runs;
	int			 done, interrupted;
	enum verdict		 verdict;
	int			 listed;
	int64_t			 probe_id;
	char			 hops[32], output[ADDR_STRLEN];
	int			 relayed_test;
};

static void
fg_trace(char dir, const char *line, void *arg)
{
	(void)arg;
	printf("%c %s\n", dir, line);
	fflush(stdout);
}

static void
fg_done(const struct run_result *r, void *arg)
{
	struct fg	*fg = arg;

	fg->done = 1;
	fg->interrupted = r->interrupted;
	fg->verdict = r->verdict;
	fg->listed = r->listed;
	fg->probe_id = r->probe_id;
	fg->relayed_test = r->relayed_test;
	orbl_strlcpy(fg->hops, r->hops ? r->hops : "", sizeof(fg->hops));
	orbl_strlcpy(fg->output, r->output_addr ? r->output_addr : "",
	    sizeof(fg->output));
	event_base_loopexit(fg->base, NULL);
}

static int
fg_sink_cb(const struct sink_message *m, void *arg)
{
	struct fg	*fg = arg;

	return runs_arrival(fg->runs, m);
}

static void
fg_sigint_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct fg	*fg = arg;

	(void)sig;
	(void)ev;
	printf("* interrupted: stopping the run\n");
	runs_stop_all(fg->runs);
}

int
cmd_probe(struct ctl *ctl, int argc, char **argv)
{
	const char	*port_s = NULL;
	struct ctl_opt	 opts[] = {
		{ "port", 1, &port_s, NULL },
		{ NULL, 0, NULL, NULL }
	};
	struct sink_conf sc;
	struct sink	*sink = NULL;
	struct event	*ev_int = NULL;
	struct addr	 a;
	struct db	*db;
	struct fg	 fg;
	char		*pos[1], err[512], ip[ADDR_STRLEN], owner[64];
	int		 npos, port, rc;

	if (ctl_getopt("probe", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("probe", "probe: missing ADDR");
	if (parse_port("probe", port_s, &port) == -1)
		return CTL_USAGE;
	if (target_check(&ctl->conf, pos[0], &a, err, sizeof(err)) == -1)
		return ctl_err("probe: %s", err);
	addr_format_ip(&a, ip, sizeof(ip));
	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	log_init("orblctl", 1);
	memset(&fg, 0, sizeof(fg));
	if ((fg.base = event_base_new()) == NULL) {
		db_close(db);
		return ctl_err("event_base_new failed");
	}
	if ((fg.runs = runs_new(&ctl->conf, db, fg.base, err,
	    sizeof(err))) == NULL) {
		rc = ctl_err("probe: %s", err);
		goto out;
	}
	/* One run per address, whatever started it: hold the claim (the
	 * run releases it when it is recorded; if this process dies, the
	 * lease does). */
	snprintf(owner, sizeof(owner), "orblctl:%ld", (long)getpid());
	runs_set_owner(fg.runs, owner);
	switch (db_claim_take(db, ip, owner, ctl->now, ctl->now +
	    ctl->conf.probe_timeout + ctl->conf.arrival_wait + 120)) {
	case 0:
		break;
	case DB_CLAIMED:
		rc = ctl_err("probe: %s is being tested now by another run: "
		    "try again when it is done", ip);
		goto out;
	default:
		rc = ctl_err("probe: %s", db_errmsg(db));
		goto out;
	}
	memset(&sc, 0, sizeof(sc));
	sc.host = ctl->conf.sink_listen[0].host;
	sc.port = ctl->conf.sink_listen[0].port;
	sc.domain = ctl->conf.sink_domain;
	sc.local = ctl->conf.sink_local;
	sc.hostname = ctl->conf.helo_name;
	sc.max_per_peer = ctl->conf.sink_max_per_peer;
	sc.session_timeout = ctl->conf.sink_session_timeout;
	if ((sink = sink_new(fg.base, &sc, fg_sink_cb, &fg, err,
	    sizeof(err))) == NULL)
		printf("* sink %s port %u busy (%s): the running orbl-prober's "
		    "sink records the arrivals\n", sc.host, sc.port, err);
	else
		printf("* sink listening on %s port %u for %s@%s\n", sc.host,
		    sink_port(sink), sc.local, sc.domain);
	signal(SIGPIPE, SIG_IGN);
	ev_int = evsignal_new(fg.base, SIGINT, fg_sigint_cb, &fg);
	if (ev_int)
		evsignal_add(ev_int, NULL);
	if (runs_start(fg.runs, ip, port, 0, 0, NULL, fg_done, &fg, fg_trace,
	    NULL) == -1) {
		rc = ctl_err("probe: cannot start: %s", db_errmsg(db));
		db_claim_release(db, ip, owner);
		goto out;
	}
	event_base_dispatch(fg.base);
	if (!fg.done || fg.interrupted) {
		rc = ctl_err("probe: interrupted before a verdict (probe #%lld "
		    "stays unfinished; late test mail still counts)",
		    (long long)fg.probe_id);
		goto out;
	}
	printf("verdict: %s%s%s", verdict_name(fg.verdict),
	    fg.hops[0] ? ", " : "", fg.hops);
	if (fg.verdict == VERDICT_CONFIRMED)
		printf(" (test %d relayed; the test mail came from %s)",
		    fg.relayed_test, fg.output);
	printf("\nprobe #%lld recorded%s\n", (long long)fg.probe_id,
	    fg.listed ? "; the address is listed" : "");
	rc = fg.verdict == VERDICT_CONFIRMED ? CTL_OK : CTL_FAIL;
 out:
	runs_free(fg.runs);
	sink_free(sink);
	if (ev_int)
		event_free(ev_int);
	event_base_free(fg.base);
	db_close(db);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Evidence for lookup. */

struct pvec {
	struct cj_run	 v[EVIDENCE_PROBES];
	int		 n;
};

static int
pvec_cb(const struct probe *p, void *arg)
{
	struct pvec	*pv = arg;
	struct cj_run	*c;

	if (pv->n == EVIDENCE_PROBES)
		return 1;
	c = &pv->v[pv->n++];
	memset(c, 0, sizeof(*c));
	c->id = p->id;
	c->started = p->started;
	c->finished = p->finished;
	c->relayed_test = p->relayed_test;
	c->port = p->port;
	orbl_strlcpy(c->verdict, p->verdict ? p->verdict : (p->finished ?
	    "none" : "running"), sizeof(c->verdict));
	orbl_strlcpy(c->hops, p->hops ? p->hops : "", sizeof(c->hops));
	orbl_strlcpy(c->output, p->output_addr ? p->output_addr : "",
	    sizeof(c->output));
	return 0;
}

/* The runs against ip, newest first (at most EVIDENCE_PROBES), and the
 * index of the newest finished one (-1: none).  *db stays open (or NULL
 * when it cannot be opened: then there is nothing to show). */
static int
evidence_runs(struct ctl *ctl, const char *ip, struct db **db,
    struct pvec *pv)
{
	char	 err[256];
	int	 i;

	memset(pv, 0, sizeof(*pv));
	if ((*db = db_open(ctl->conf.database, DB_RDONLY, err,
	    sizeof(err))) == NULL ||
	    db_probe_foreach_addr(*db, ip, EVIDENCE_PROBES + 1, pvec_cb,
	    pv) == -1)
		pv->n = 0;
	for (i = 0; i < pv->n; i++)
		if (pv->v[i].finished)
			return i;
	return -1;
}

struct jctx {
	json_t	*arr;
	int	 bad;
};

static int
test_json_cb(const struct probe_test_row *t, void *arg)
{
	struct jctx	*c = arg;

	if (cj_push(c->arr, cj_probe_test(t)) == -1) {
		c->bad = 1;
		return 1;
	}
	return 0;
}

static int
event_json_cb(const struct db_event *e, void *arg)
{
	struct jctx	*c = arg;

	if (cj_push(c->arr, cj_event(e)) == -1) {
		c->bad = 1;
		return 1;
	}
	return 0;
}

int
probe_evidence_json(struct ctl *ctl, const char *ip, json_t *obj)
{
	struct pvec	 pv;
	struct jctx	 tc, ec;
	struct db	*db;
	json_t		*runs, *run;
	int		 i, shown, bad = 0;

	shown = evidence_runs(ctl, ip, &db, &pv);
	bad |= cj_set(obj, "verdict", cj_str(shown >= 0 ?
	    pv.v[shown].verdict : NULL));
	runs = json_array();
	for (i = 0; !bad && i < pv.n; i++) {
		run = cj_run(&pv.v[i]);
		if (run != NULL && i == shown && db != NULL) {
			memset(&tc, 0, sizeof(tc));
			tc.arr = json_array();
			db_probe_tests(db, pv.v[i].id, test_json_cb, &tc);
			if (tc.bad) {
				json_decref(tc.arr);
				tc.arr = NULL;
			}
			bad |= cj_set(run, "tests", tc.arr);
		}
		bad |= cj_push(runs, run);
	}
	bad |= cj_set(obj, "probes", runs);
	memset(&ec, 0, sizeof(ec));
	ec.arr = json_array();
	if (!bad && db != NULL)
		db_events_addr(db, ip, event_json_cb, &ec);
	if (ec.bad) {
		json_decref(ec.arr);
		ec.arr = NULL;
	}
	bad |= cj_set(obj, "events", ec.arr);
	db_close(db);
	return bad ? -1 : 0;
}

struct tctx {
	FILE	*f;
	int	 n;
};

static int
test_text_cb(const struct probe_test_row *t, void *arg)
{
	struct tctx	*c = arg;
	char		 tb[32];

	if (t->verdict && strcmp(t->verdict, "not-run") == 0) {
		c->n++;
		return 0;
	}
	fprintf(c->f, "    test %2d %-34s %s\n", t->test_id, t->name,
	    t->verdict ? t->verdict : "");
	fprintf(c->f, "            MAIL FROM:%s -> %s\n", t->mail_from ?
	    t->mail_from : "", t->mail_reply ? t->mail_reply : "-");
	if (t->rcpt_reply && *t->rcpt_reply)
		fprintf(c->f, "            RCPT TO:%s -> %s\n", t->rcpt_to ?
		    t->rcpt_to : "", t->rcpt_reply);
	if (t->data_reply && *t->data_reply)
		fprintf(c->f, "            end of DATA -> %s\n", t->data_reply);
	if (t->arrived)
		fprintf(c->f, "            arrived at the sink %s from %s\n",
		    fmt_time_iso(t->arrived, tb, sizeof(tb)), t->arrived_from ?
		    t->arrived_from : "?");
	return 0;
}

static int
event_text_cb(const struct db_event *e, void *arg)
{
	struct tctx	*c = arg;
	char		 t[32];

	if (c->n++ == 0)
		fprintf(c->f, "events:\n");
	fprintf(c->f, "  %s  %-10s %-6lld %-10s %s%s%s\n",
	    fmt_time_iso(e->ts, t, sizeof(t)), e->kind, (long long)e->ref,
	    e->what, e->actor ? e->actor : "?", e->why ? ": " : "",
	    e->why ? e->why : "");
	return 0;
}

void
probe_evidence(struct ctl *ctl, const char *ip, FILE *f)
{
	struct pvec	 pv;
	struct tctx	 tc;
	struct db	*db;
	char		 t1[32];
	int		 i, shown;

	shown = evidence_runs(ctl, ip, &db, &pv);
	if (pv.n > 0) {
		fprintf(f, "probes (newest first):\n");
		for (i = 0; i < pv.n; i++)
			fprintf(f, "  #%-5lld %s  port %d  %s%s%s%s%s\n",
			    (long long)pv.v[i].id, fmt_time_iso(pv.v[i].started,
			    t1, sizeof(t1)), pv.v[i].port, pv.v[i].verdict,
			    pv.v[i].hops[0] ? " (" : "", pv.v[i].hops,
			    pv.v[i].hops[0] ? ")" : "", pv.v[i].relayed_test ?
			    " -- the test mail arrived" : "");
		if (shown >= 0 && db) {
			fprintf(f, "evidence of probe #%lld:\n",
			    (long long)pv.v[shown].id);
			memset(&tc, 0, sizeof(tc));
			tc.f = f;
			db_probe_tests(db, pv.v[shown].id, test_text_cb, &tc);
			if (tc.n)
				fprintf(f, "    (%d test%s not run)\n", tc.n,
				    tc.n == 1 ? "" : "s");
		}
	}
	if (db) {
		memset(&tc, 0, sizeof(tc));
		tc.f = f;
		db_events_addr(db, ip, event_text_cb, &tc);
	}
	db_close(db);
}
