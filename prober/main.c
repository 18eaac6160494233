/*
 * main.c -- orbl-prober: claims submissions from the database, runs the
 * relay battery against each (at most probe_concurrency at once, one run
 * per address), and listens on sink_listen for the test mail that open
 * relays deliver, and for spam reports and self-tests by mail
 * (probe/sink_report.c).  This file starts it (options, configuration, sinks,
 * the metrics listener, privileges, the database) and answers signals;
 * the work is queue.c's, the expiry sweep and journal compaction
 * sweep.c's, the stats line and /metrics stats.c's.
 */
#include <sys/resource.h>
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "loopwatch.h"
#include "metrics.h"
#include "net.h"
#include "priv.h"
#include "prober.h"
#include "run.h"
#include "schedule.h"
#include "sink.h"
#include "sink_report.h"
#include "target.h"

/* What the sinks' callback reaches. */
struct sinks_arg {
	struct prober		*p;
	struct sink_report	*reports;
};

static void	usage(void) __attribute__((noreturn));
static int	sink_cb(const struct sink_message *, void *);
static void	sigterm_cb(evutil_socket_t, short, void *);
static void	sigusr1_cb(evutil_socket_t, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: orbl-prober [-dhnV] [-c FILE] [-v]\n"
	    "  -c FILE  configuration (default: built-in; see README)\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more logging\n"
	    "  -V       print the version and exit\n");
	exit(2);
}

/* A prober_metrics_listen address that cannot work (said why). */
static int
metrics_listen_bad(const struct conf *c, const struct conf_listen *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 i;

	if (net_sockaddr(l->host, l->port, &ss, &sslen) == -1) {
		fprintf(stderr, "orbl-prober: prober_metrics_listen %s: not a "
		    "numeric address\n", l->host);
		return 1;
	}
	for (i = 0; i < c->nsink_listen; i++)
		if (c->sink_listen[i].port == l->port &&
		    strcmp(c->sink_listen[i].host, l->host) == 0) {
			fprintf(stderr, "orbl-prober: prober_metrics_listen "
			    "%s port %u is also a sink_listen address\n",
			    l->host, l->port);
			return 1;
		}
	return 0;
}

/* Problems in a configuration, printed all at once (for -n). */
static int
check_conf(struct conf *c, void *arg)
{
	struct addr	 a;
	char		 err[256];
	int		 i, bad = 0;

	(void)arg;
	if (c->nsink_listen == 0) {
		fprintf(stderr, "orbl-prober: no sink_listen address\n");
		bad = 1;
	}
	if (*c->sink_domain == '\0' || *c->sink_local == '\0' ||
	    *c->helo_name == '\0' || *c->from_local == '\0') {
		fprintf(stderr, "orbl-prober: sink_domain, sink_local, "
		    "helo_name and from_local must be set\n");
		bad = 1;
	}
	for (i = 0; i < c->nprobe_allow; i++)
		if (addr_parse(c->probe_allow[i], &a, err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-prober: probe_allow: %s\n", err);
			bad = 1;
		}
	for (i = 0; i < c->nprobe_deny; i++)
		if (addr_parse(c->probe_deny[i], &a, err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-prober: probe_deny: %s\n", err);
			bad = 1;
		}
	for (i = 0; i < c->nreport_trust; i++)
		if (addr_parse(c->report_trust[i], &a, err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-prober: report_trust: %s\n", err);
			bad = 1;
		}
	if (strcmp(c->report_local, c->sink_local) == 0 ||
	    strcmp(c->selftest_local, c->sink_local) == 0 ||
	    (c->report_local[0] != '\0' &&
	    strcmp(c->report_local, c->selftest_local) == 0)) {
		fprintf(stderr, "orbl-prober: sink_local, report_local and "
		    "selftest_local must differ\n");
		bad = 1;
	}
	for (i = 0; i < c->nprober_metrics_listen; i++)
		if (metrics_listen_bad(c, &c->prober_metrics_listen[i]))
			bad = 1;
	if (c->probe_concurrency < 1) {
		fprintf(stderr, "orbl-prober: probe_concurrency must be at "
		    "least 1\n");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
sink_cb(const struct sink_message *m, void *arg)
{
	struct sinks_arg	*a = arg;
	const char		*what;

	if (m->box == SINK_BOX_TEST)
		return runs_arrival(a->p->runs, m);
	what = m->box == SINK_BOX_REPORT ? "report" : "self-test";
	if (sink_report_handle(a->reports, a->p->db, m, time(NULL)) == -1) {
		prober_db_failed(a->p);
		log_warnx("%s from <%s> [%s]: the database is busy (451, the "
		    "sender tries again): %s", what, m->mail_from, m->peer,
		    db_errmsg(a->p->db));
		return -1;
	}
	log_info("%s from <%s> [%s]: %s", what, m->mail_from, m->peer,
	    m->reply);
	return 0;
}

static void
sigterm_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct prober	*p = arg;

	(void)ev;
	if (p->stopping)
		return;
	log_info("signal %d: stopping %zu run%s and exiting", (int)sig,
	    runs_active(p->runs), runs_active(p->runs) == 1 ? "" : "s");
	p->stopping = 1;
	p->stop_deadline = time(NULL) + SCHED_STOP_GRACE;
	runs_stop_all(p->runs);
}

/*
 * One descriptor per probe session, plus the sink's sessions and the
 * rest: raise the soft limit to the hard one, and if that is still too
 * few, run fewer probes at once (an EMFILE must never become a verdict).
 */
static void
fd_budget(struct prober *p)
{
	struct rlimit	 rl;
	long long	 need, was = p->conf.probe_concurrency;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	need = sched_fd_need(p->conf.probe_concurrency);
	if ((rlim_t)need > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    (rlim_t)need < rl.rlim_max ? (rlim_t)need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (sched_fd_lower((long long)rl.rlim_cur,
	    &p->conf.probe_concurrency))
		log_warnx("open-file limit %lld: probe_concurrency lowered from "
		    "%lld to %lld", (long long)rl.rlim_cur, was,
		    p->conf.probe_concurrency);
}

static void
sigusr1_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	prober_log_stats(arg, "SIGUSR1");
}

int
main(int argc, char *argv[])
{
	struct prober		 p;
	struct sinks_arg	 sa;
	struct daemon_opts	 o;
	struct event		*ev_term, *ev_int, *ev_usr1;
	struct timeval		 tv = { 0, 0 };
	char			 err[1024];
	int			 i, n;

	memset(&p, 0, sizeof(p));
	switch (daemon_start("orbl-prober", argc, argv, usage, &p.conf,
	    check_conf, NULL, &o)) {
	case -1:
		return 1;
	case 0:
		return 0;
	}
	/* The sink's own addresses (and sink_domain's mail servers) are
	 * never targets. */
	if (target_self_init(&p.conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (err[0] != '\0')
		log_warnx("%s", err);
	signal(SIGPIPE, SIG_IGN);
	if ((p.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	sa.p = &p;
	if ((sa.reports = sink_report_new(&p.conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	for (i = 0; i < p.conf.nsink_listen; i++) {
		struct sink_conf sc;

		memset(&sc, 0, sizeof(sc));
		sc.host = p.conf.sink_listen[i].host;
		sc.port = p.conf.sink_listen[i].port;
		sc.domain = p.conf.sink_domain;
		sc.local = p.conf.sink_local;
		sc.report_local = p.conf.report_local;
		sc.selftest_local = p.conf.selftest_local;
		sc.hostname = p.conf.helo_name;
		sc.max_per_peer = p.conf.sink_max_per_peer;
		sc.session_timeout = p.conf.sink_session_timeout;
		if ((p.sinks[i] = sink_new(p.base, &sc, sink_cb, &sa, err,
		    sizeof(err))) == NULL)
			fatalx("sink %s port %u: %s", sc.host, sc.port, err);
		p.nsinks++;
	}
	/* Bound before the privileges go, like the sinks.  It answers only
	 * once the loop runs, when the runs and the database are there. */
	if (p.conf.nprober_metrics_listen > 0 &&
	    (p.metrics = metrics_server_new(p.base,
	    p.conf.prober_metrics_listen, p.conf.nprober_metrics_listen,
	    prober_metrics, &p, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	fd_budget(&p);
	priv_drop(p.conf.user);
	if (!o.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if ((p.db = db_open(p.conf.database, 0, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((i = db_file_mode(p.db)) != -1 && (i & 077))
		log_warnx("%s is readable by group or others (mode %04o): "
		    "chmod 600 %s %s-wal %s-shm", p.conf.database, i,
		    p.conf.database, p.conf.database, p.conf.database);
	if ((p.runs = runs_new(&p.conf, p.db, p.base, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	/* Whatever the previous instance held is back in the queue: its
	 * runs ended with it (the same rule as an expired lease). */
	if (db_claim_expire(p.db, time(NULL), "prober", "prober", &n) == -1)
		fatalx("%s", db_errmsg(p.db));
	if (n > 0)
		log_info("re-queued %d unit%s of work interrupted by the last "
		    "stop", n, n == 1 ? "" : "s");
	/* From here on a lock held by another writer never stalls the
	 * sessions: calls give up fast and are tried again. */
	db_set_busy_timeout(p.db, PROBER_BUSY_MS);

	ev_term = evsignal_new(p.base, SIGTERM, sigterm_cb, &p);
	ev_int = evsignal_new(p.base, SIGINT, sigterm_cb, &p);
	ev_usr1 = evsignal_new(p.base, SIGUSR1, sigusr1_cb, &p);
	p.tick = evtimer_new(p.base, prober_tick, &p);
	if (!ev_term || !ev_int || !ev_usr1 || !p.tick ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL) ||
	    evsignal_add(ev_usr1, NULL) || evtimer_add(p.tick, &tv))
		fatalx("cannot set up events");
	/* Expired listings leave with a journal row (mirrors follow). */
	prober_sweep_start(&p);
	log_info("sink on %s port %u for %s@%s; up to %lld runs at once",
	    p.conf.sink_listen[0].host, sink_port(p.sinks[0]),
	    p.conf.sink_local, p.conf.sink_domain,
	    p.conf.probe_concurrency);
	if (p.conf.report_local[0] != '\0' || p.conf.selftest_local[0] != '\0')
		log_info("reports to %s@%s, self-tests to %s@%s",
		    p.conf.report_local[0] ? p.conf.report_local : "(none)",
		    p.conf.sink_domain, p.conf.selftest_local[0] ?
		    p.conf.selftest_local : "(none)", p.conf.sink_domain);
	for (i = 0; i < p.conf.nprober_metrics_listen; i++)
		log_info("metrics on %s port %u at /metrics",
		    p.conf.prober_metrics_listen[i].host,
		    p.conf.prober_metrics_listen[i].port);

	(void)loopwatch_start(p.base);
	event_base_dispatch(p.base);

	prober_log_stats(&p, "exit");
	loopwatch_stop();
	prober_sweep_stop(&p);
	metrics_server_free(p.metrics);
	runs_free(p.runs);
	for (i = 0; i < p.nsinks; i++)
		sink_free(p.sinks[i]);
	sink_report_free(sa.reports);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	event_free(p.tick);
	db_close(p.db);
	event_base_free(p.base);
	conf_free(&p.conf);
	return 0;
}
