/*
 * main.c -- orbl-dnsd: arguments, configuration, privilege drop, signals,
 * the swap of the data the queries are answered from, and the numbers
 * (stats line, /metrics).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "acl.h"
#include "conf.h"
#include "daemon.h"
#include "dnsd.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "priv.h"
#include "quota.h"
#include "reload.h"
#include "rrl.h"
#include "notify.h"
#include "server.h"
#include "stats.h"
#include "xfr.h"
#include "zone_conf.h"

struct dnsd {
	struct conf		 conf;
	struct event_base	*base;
	struct server		*srv;
	struct reload		*rl;
	struct metrics_server	*ms;
	struct notify		*nt;	/* NOTIFY to the secondaries */
	/* Main thread only. */
	uint64_t		 builds, patches;	/* data swapped in */
	double			 last_load;	/* wall clock; 0: never */
	double			 build_secs, patch_secs; /* < 0: none yet */
	uint64_t		 polls;		/* the loader's, after it stopped */
	uint64_t		 errors;	/* the same */
};

static void	usage(void) __attribute__((noreturn));
static void	data_ready_cb(struct dnsd_data *, void *);
static void	sighup_cb(evutil_socket_t, short, void *);
static void	sigusr1_cb(evutil_socket_t, short, void *);
static void	sigterm_cb(evutil_socket_t, short, void *);
static void	stats_cb(evutil_socket_t, short, void *);
static void	metrics_cb(struct metrics_buf *, void *);
static int	check_conf(struct conf *, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: orbl-dnsd [-dhnV] [-c FILE] [-v]\n"
	    "  -c FILE  configuration (default: built-in; see README)\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more logging\n"
	    "  -V       print the version and exit\n");
	exit(2);
}

static double
wall_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every number, now (main thread). */
static void
snapshot(struct dnsd *d, struct dnsd_stats *s)
{
	struct zone_index_stats	 zs;
	struct xfr_stats	 xs;
	struct notify_stats	 ns;
	const struct dnsd_data	*data = server_data(d->srv);

	memset(s, 0, sizeof(*s));
	server_stats(d->srv, s);
	zone_index_stats(data->idx, &zs);
	s->serial = data->serial;
	s->entries = data->entries;
	s->index_bytes = zs.bytes;
	s->builds = d->builds;
	s->patches = d->patches;
	s->polls = d->rl ? reload_polls(d->rl) : d->polls;
	s->loader_errors = d->rl ? reload_errors(d->rl) : d->errors;
	s->loader_failing = reload_failing(d->rl);
	s->db_serial = reload_db_serial(d->rl);
	s->last_load = d->last_load;
	s->build_secs = d->build_secs;
	s->patch_secs = d->patch_secs;
	s->scrapes = d->ms ? metrics_server_scrapes(d->ms) : 0;
	xfr_stats(server_xfr(d->srv), &xs);
	s->xfr_axfr = xs.axfr;
	s->xfr_ixfr = xs.ixfr;
	s->xfr_ixfr_full = xs.ixfr_full;
	s->xfr_refused = xs.refused;
	s->xfr_notauth = xs.notauth;
	s->xfr_failed = xs.failed;
	s->xfr_bytes = xs.bytes;
	s->xfr_running = (uint64_t)xs.running;
	s->tsig_queries = xs.signed_queries;
	if (d->nt != NULL) {
		notify_stats(d->nt, &ns);
		s->notify_sent = ns.sent;
		s->notify_answered = ns.answered;
		s->notify_failed = ns.failed;
	}
}

static void
log_stats(struct dnsd *d, const char *why)
{
	struct dnsd_stats	 s;

	snapshot(d, &s);
	stats_log(&s, why);
}

/* A scrape of /metrics (main thread: the event loop). */
static void
metrics_cb(struct metrics_buf *b, void *arg)
{
	struct dnsd_stats	 s;

	snapshot(arg, &s);
	stats_metrics(&s, b);
}

/* Runs on the main thread; the server frees the old data when no
 * worker can hold it any more. */
static void
data_ready_cb(struct dnsd_data *nd, void *arg)
{
	struct dnsd		*d = arg;

	if (nd->patched) {
		d->patches++;
		d->patch_secs = nd->build_secs;
	} else {
		d->builds++;
		d->build_secs = nd->build_secs;
	}
	d->last_load = wall_now();
	log_info("serving serial %u: %zu entries (ready in %.3f s)",
	    nd->serial, nd->entries, nd->build_secs);
	server_set_data(d->srv, nd);
	notify_serial(d->nt, nd->serial);
}

static void
sighup_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct dnsd	*d = arg;

	(void)sig;
	(void)ev;
	log_info("SIGHUP: re-reading the database");
	reload_request(d->rl);
}

static void
sigusr1_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	log_stats(arg, "SIGUSR1");
}

static void
sigterm_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct dnsd	*d = arg;

	(void)ev;
	log_info("signal %d: exiting", (int)sig);
	event_base_loopexit(d->base, NULL);
}

static void
stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	log_stats(arg, "periodic");
}

/*
 * Would a and b take the same TCP port: the same port, and the same
 * address or a wildcard (0.0.0.0, ::) on either side.  Compared as
 * addresses: "::1" is "0::1".
 */
static int
same_listen(const struct conf_listen *a, const struct conf_listen *b)
{
	struct sockaddr_storage	 ss[2];
	socklen_t		 len[2];
	const uint8_t		*ip[2];
	size_t			 n[2], k;
	int			 i, any = 0;

	if (a->port != b->port ||
	    net_sockaddr(a->host, a->port, &ss[0], &len[0]) == -1 ||
	    net_sockaddr(b->host, b->port, &ss[1], &len[1]) == -1)
		return 0;
	for (i = 0; i < 2; i++) {
		if (ss[i].ss_family == AF_INET) {
			ip[i] = (const uint8_t *)
			    &((struct sockaddr_in *)&ss[i])->sin_addr;
			n[i] = sizeof(struct in_addr);
		} else {
			ip[i] = (const uint8_t *)
			    &((struct sockaddr_in6 *)&ss[i])->sin6_addr;
			n[i] = sizeof(struct in6_addr);
		}
		for (k = 0; k < n[i] && ip[i][k] == 0; k++)
			;
		if (k == n[i])
			any = 1;
	}
	return any || (n[0] == n[1] && memcmp(ip[0], ip[1], n[0]) == 0);
}

/*
 * Warnings, not errors: an NS name inside the zone without an address
 * cannot be reached by resolvers that start at the parent (they need
 * glue, which needs the address), and addresses of a name outside every
 * zone are never served.
 */
static void
check_ns(const struct zone_conf *zc)
{
	const struct ns_host	*h;
	char			 name[1024];
	int			 i;

	for (i = 0; i < zc->nhosts; i++) {
		h = &zc->hosts[i];
		if (zone_conf_name_text(&h->name, name, sizeof(name)) == -1)
			continue;
		if (h->inzone && h->nv4 + h->nv6 == 0)
			fprintf(stderr, "orbl-dnsd: warning: NS %s is inside "
			    "a zone served here but has no address: write "
			    "'ns = %s ADDRESS...' (its A/AAAA queries get "
			    "NODATA)\n", name, name);
		else if (!h->inzone && h->nv4 + h->nv6 > 0)
			fprintf(stderr, "orbl-dnsd: warning: NS %s is not "
			    "inside a zone served here: its addresses are not "
			    "served\n", name);
	}
}

/* Problems in a configuration, printed all at once (for -n). */
static int
check_conf(struct conf *c, void *arg)
{
	struct dnsd_data	*d;
	struct acl		 acl;
	struct rrl		 rrl;
	struct quota		 quota;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct xfr		*x;
	struct notify		*nt = NULL;
	struct event_base	*b = NULL;
	char			 err[512];
	int			 bad = 0, i, j;

	(void)arg;
	if (c->nzones == 0) {
		fprintf(stderr, "orbl-dnsd: no zone configured\n");
		bad = 1;
	}
	if (c->ndns_listen == 0) {
		fprintf(stderr, "orbl-dnsd: no dns_listen address\n");
		bad = 1;
	}
	if ((d = reload_build_empty(c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "orbl-dnsd: %s\n", err);
		bad = 1;
	} else
		check_ns(d->zc);
	dnsd_data_free(d);
	if (acl_init(&acl, c, err, sizeof(err)) == -1 ||
	    rrl_init(&rrl, c, 0, err, sizeof(err)) == -1 ||
	    quota_init(&quota, c, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "orbl-dnsd: %s\n", err);
		bad = 1;
	}
	/* TSIG keys, xfr_allow, notify: as the daemon will read them */
	if ((x = xfr_new(c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "orbl-dnsd: %s\n", err);
		bad = 1;
	} else {
		if ((b = event_base_new()) == NULL ||
		    (nt = notify_new(b, c, xfr_keys(x), err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "orbl-dnsd: %s\n", err);
			bad = 1;
		}
		notify_free(nt);
		if (b != NULL)
			event_base_free(b);
		xfr_free(x);
	}
	for (i = 0; i < c->ndnsd_metrics_listen; i++) {
		const struct conf_listen *m = &c->dnsd_metrics_listen[i];

		if (net_sockaddr(m->host, m->port, &ss, &sslen) == -1) {
			fprintf(stderr, "orbl-dnsd: dnsd_metrics_listen %s: "
			    "not a numeric address\n", m->host);
			bad = 1;
			continue;
		}
		for (j = 0; j < c->ndns_listen; j++) {
			if (!same_listen(m, &c->dns_listen[j]))
				continue;
			fprintf(stderr, "orbl-dnsd: dnsd_metrics_listen %s "
			    "port %u is also dns_listen %s port %u: the "
			    "metrics must have a port of their own\n",
			    m->host, m->port, c->dns_listen[j].host,
			    c->dns_listen[j].port);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	struct dnsd		 d;
	struct dnsd_data	*data;
	struct daemon_opts	 opts;
	struct event		*ev_hup, *ev_usr1, *ev_term, *ev_int, *ev_stats;
	char			 err[1024], problem[1024];
	int			 rc, i;

	memset(&d, 0, sizeof(d));
	/* Options, configuration, check, logging; the conf is freed unless
	 * it says go on. */
	if ((rc = daemon_start("orbl-dnsd", argc, argv, usage, &d.conf,
	    check_conf, NULL, &opts)) < 1)
		return rc == 0 ? 0 : 1;
	if ((d.srv = server_new(&d.conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	/* The metrics listener binds here too, before the privilege drop
	 * and in the foreground, so that a bind error is the exit status;
	 * the event loop is reinitialized in the daemon's child. */
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (d.conf.ndnsd_metrics_listen > 0 && (d.ms = metrics_server_new(
	    d.base, d.conf.dnsd_metrics_listen, d.conf.ndnsd_metrics_listen,
	    metrics_cb, &d, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	priv_drop(d.conf.user);
	if (!opts.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		if (event_reinit(d.base) == -1)
			fatalx("event_reinit");
	}

	/* The first load runs before we answer: cold start is this build. */
	problem[0] = '\0';
	if ((data = reload_build(&d.conf, err, sizeof(err))) == NULL) {
		log_warnx("%s; serving only the test points until it can be "
		    "read", err);
		snprintf(problem, sizeof(problem), "%s", err);
		if ((data = reload_build_empty(&d.conf, err,
		    sizeof(err))) == NULL)
			fatalx("%s", err);
	} else
		log_info("loaded serial %u: %zu entries in %.3f s",
		    data->serial, data->entries, data->build_secs);
	d.build_secs = data->loaded ? data->build_secs : -1;
	d.patch_secs = -1;
	d.last_load = data->loaded ? wall_now() : 0;

	signal(SIGPIPE, SIG_IGN);
	ev_hup = evsignal_new(d.base, SIGHUP, sighup_cb, &d);
	ev_usr1 = evsignal_new(d.base, SIGUSR1, sigusr1_cb, &d);
	ev_term = evsignal_new(d.base, SIGTERM, sigterm_cb, &d);
	ev_int = evsignal_new(d.base, SIGINT, sigterm_cb, &d);
	ev_stats = event_new(d.base, -1, EV_PERSIST, stats_cb, &d);
	if (!ev_hup || !ev_usr1 || !ev_term || !ev_int || !ev_stats ||
	    evsignal_add(ev_hup, NULL) || evsignal_add(ev_usr1, NULL) ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL))
		fatalx("cannot set up signal events");
	if (d.conf.stats_interval > 0) {
		struct timeval tv = { (time_t)d.conf.stats_interval, 0 };

		event_add(ev_stats, &tv);
	}
	d.rl = reload_start(&d.conf, d.base, data,
	    problem[0] ? problem : NULL, data_ready_cb, &d);
	if ((d.nt = notify_new(d.base, &d.conf, xfr_keys(server_xfr(d.srv)),
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);
	notify_serial(d.nt, data->serial);
	server_start(d.srv, d.base, data);	/* the server owns data */
	log_info("serving %d zone%s (%s%s) on %d address%s (%s port %u%s), "
	    "%d UDP worker%s",
	    d.conf.nzones, d.conf.nzones == 1 ? "" : "s", d.conf.zones[0],
	    d.conf.nzones > 1 ? ", ..." : "", d.conf.ndns_listen,
	    d.conf.ndns_listen == 1 ? "" : "es", d.conf.dns_listen[0].host,
	    d.conf.dns_listen[0].port, d.conf.ndns_listen > 1 ? ", ..." : "",
	    server_nworkers(d.srv), server_nworkers(d.srv) == 1 ? "" : "s");
	for (i = 0; i < d.conf.ndnsd_metrics_listen; i++) {
		const struct conf_listen *m = &d.conf.dnsd_metrics_listen[i];
		int v6 = strchr(m->host, ':') != NULL;

		log_info("metrics on http://%s%s%s:%u/metrics", v6 ? "[" : "",
		    m->host, v6 ? "]" : "", m->port);
	}

	event_base_dispatch(d.base);

	d.polls = reload_polls(d.rl);	/* the loader's counts, kept */
	d.errors = reload_errors(d.rl);
	reload_stop(d.rl);
	d.rl = NULL;
	server_stop(d.srv);
	log_stats(&d, "exit");
	notify_free(d.nt);
	d.nt = NULL;
	server_free(d.srv);
	metrics_server_free(d.ms);
	d.ms = NULL;
	event_free(ev_hup);
	event_free(ev_usr1);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_stats);
	event_base_free(d.base);
	conf_free(&d.conf);
	return 0;
}
