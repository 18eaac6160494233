/*
 * main.c -- orbl-web: the public web interface (look an address up,
 * submit a server for testing, request delisting; the same as a JSON API)
 * served by libevent's evhttp on web_listen (loopback by default: put a
 * reverse proxy in front of it for TLS).  Arguments, configuration,
 * privilege drop, signals; server.c does the HTTP.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "conf.h"
#include "daemon.h"
#include "db.h"
#include "guard.h"
#include "log.h"
#include "metrics.h"
#include "priv.h"
#include "target.h"
#include "version.h"
#include "web.h"

#define STATS_EVERY	3600	/* s between stats lines */

static void	usage(void) __attribute__((noreturn));
static void	sigterm_cb(evutil_socket_t, short, void *);
static void	sighup_cb(evutil_socket_t, short, void *);
static void	sigusr1_cb(evutil_socket_t, short, void *);
static void	stats_cb(evutil_socket_t, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: orbl-web [-dhnvV] [-c FILE]\n"
	    "  -c FILE  configuration (default: built-in; see README)\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       more logging (-v: every request)\n"
	    "  -V       print the version and exit\n"
	    "  -h       this help\n");
	exit(2);
}

/* Is a 0.0.0.0 or ::, all the addresses of its family (:: also IPv4's on a
 * dual-stack host)? */
static int
unspecified(const struct addr *a)
{
	int	 i;

	for (i = 0; i < 16; i++)
		if (a->a[i] != 0)
			return 0;
	return 1;
}

/*
 * Would a listener on m take connections meant for l, or the other way
 * round: the same port, and the same address or a wildcard that covers
 * the other.  Then the metrics would be on the public listener, or
 * neither would start.
 */
static int
listen_overlap(const struct conf_listen *m, const struct conf_listen *l)
{
	struct addr	 am, al;
	char		 err[128];

	if (m->port != l->port)
		return 0;
	if (addr_parse(m->host, &am, err, sizeof(err)) == -1 ||
	    addr_parse(l->host, &al, err, sizeof(err)) == -1)
		return strcmp(m->host, l->host) == 0;
	if (addr_cmp(&am, &al) == 0)
		return 1;
	return (unspecified(&am) && (am.family == al.family ||
	    am.family == 6)) || (unspecified(&al) &&
	    (al.family == am.family || al.family == 6));
}

/* Problems in a configuration, printed all at once (for -n); keeps the
 * trusted proxies in the struct web (arg). */
static int
check_conf(struct conf *c, void *arg)
{
	struct web		*w = arg;
	const struct conf_listen *m, *l;
	const char		*u = c->web_base_url, *p;
	char			 err[256];
	int			 i, j, bad = 0;

	if (c->nweb_listen == 0) {
		fprintf(stderr, "orbl-web: no web_listen address\n");
		bad = 1;
	}
	if (*u && strncmp(u, "http://", 7) != 0 &&
	    strncmp(u, "https://", 8) != 0) {
		fprintf(stderr, "orbl-web: web_base_url must start with "
		    "http:// or https://\n");
		bad = 1;
	}
	for (p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '\'' || *p == '\\' || *p == 0x7f) {
			fprintf(stderr, "orbl-web: web_base_url contains a "
			    "character that has no place in a URL\n");
			bad = 1;
			break;
		}
	if (*c->web_admin_token && strlen(c->web_admin_token) < 16) {
		fprintf(stderr, "orbl-web: web_admin_token is too short (at "
		    "least 16 characters)\n");
		bad = 1;
	}
	/* The metrics are for the operator's scraper, never the public. */
	for (i = 0; i < c->nweb_metrics_listen; i++)
		for (j = 0; j < c->nweb_listen; j++) {
			m = &c->web_metrics_listen[i];
			l = &c->web_listen[j];
			if (!listen_overlap(m, l))
				continue;
			fprintf(stderr, "orbl-web: web_metrics_listen %s port "
			    "%u is also web_listen %s port %u: the metrics "
			    "must not be served on the public listener\n",
			    m->host, m->port, l->host, l->port);
			bad = 1;
		}
	w->nproxies = 0;
	for (i = 0; i < c->nweb_trust_proxy; i++)
		if (addr_parse(c->web_trust_proxy[i],
		    &w->proxies[w->nproxies], err, sizeof(err)) == -1) {
			fprintf(stderr, "orbl-web: web_trust_proxy: %s\n", err);
			bad = 1;
		} else
			w->nproxies++;
	if (web_check_conf(w, c) == -1)
		bad = 1;
	return bad ? -1 : 0;
}

static void
sigterm_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct web	*w = arg;

	(void)ev;
	log_info("signal %d: exiting", (int)sig);
	event_base_loopexit(w->base, NULL);
}

/* HUP: close the database; the next request opens it again (after a
 * restore from a backup, say). */
static void
sighup_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct web	*w = arg;

	(void)sig;
	(void)ev;
	log_info("SIGHUP: reopening the database");
	db_close(w->db);
	w->db = NULL;
	w->db_next_try = 0;
}

static void
sigusr1_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	web_stats_log(arg, "SIGUSR1");
}

static void
stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	web_stats_log(arg, "hourly");
}

int
main(int argc, char *argv[])
{
	struct web		 w;
	struct daemon_opts	 opts;
	struct event		*ev_term, *ev_int, *ev_hup, *ev_usr1, *ev_stats;
	struct timeval		 tv = { STATS_EVERY, 0 };
	char			 err[1024];
	int			 rc, i;

	memset(&w, 0, sizeof(w));
	/* Options, configuration, check, logging; the conf is freed unless
	 * it says go on. */
	if ((rc = daemon_start("orbl-web", argc, argv, usage, &w.conf,
	    check_conf, &w, &opts)) < 1)
		return rc == 0 ? 0 : 1;
	if (target_self_init(&w.conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (err[0] != '\0')
		log_warnx("%s", err);
	signal(SIGPIPE, SIG_IGN);
	if ((w.guard = guard_new(w.conf.web_rate_limit, err,
	    sizeof(err))) == NULL ||
	    (w.check_guard = guard_new(w.conf.web_rate_limit, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((w.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (web_server_start(&w, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (w.conf.nweb_metrics_listen > 0) {
		if ((w.metrics = metrics_server_new(w.base,
		    w.conf.web_metrics_listen, w.conf.nweb_metrics_listen,
		    web_stats_collect, &w, err, sizeof(err))) == NULL)
			fatalx("%s", err);
		for (i = 0; i < w.conf.nweb_metrics_listen; i++)
			log_info("metrics on http://%s%s%s:%u/metrics",
			    strchr(w.conf.web_metrics_listen[i].host, ':') ?
			    "[" : "", w.conf.web_metrics_listen[i].host,
			    strchr(w.conf.web_metrics_listen[i].host, ':') ?
			    "]" : "", w.conf.web_metrics_listen[i].port);
	}
	priv_drop(w.conf.user);
	if (!opts.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		if (event_reinit(w.base) == -1)
			fatalx("event_reinit");
	}
	/* Read-write: it queues submissions.  Not there yet, locked or
	 * broken: pages that need it answer 503 until it opens. */
	if ((w.db = db_open(w.conf.database, 0, err, sizeof(err))) == NULL) {
		log_warnx("database: %s (answering 503 until it opens)", err);
		w.db_down_logged = 1;
	}
	ev_term = evsignal_new(w.base, SIGTERM, sigterm_cb, &w);
	ev_int = evsignal_new(w.base, SIGINT, sigterm_cb, &w);
	ev_hup = evsignal_new(w.base, SIGHUP, sighup_cb, &w);
	ev_usr1 = evsignal_new(w.base, SIGUSR1, sigusr1_cb, &w);
	ev_stats = event_new(w.base, -1, EV_PERSIST, stats_cb, &w);
	if (!ev_term || !ev_int || !ev_hup || !ev_usr1 || !ev_stats ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL) ||
	    evsignal_add(ev_hup, NULL) || evsignal_add(ev_usr1, NULL) ||
	    event_add(ev_stats, &tv))
		fatalx("cannot set up events");
	log_info("orbl-web %s: database %s, %lld POSTs per client per hour, "
	    "%lld connections at once%s; check page: %d other list%s",
	    ORBL_VERSION, w.conf.database, w.conf.web_rate_limit,
	    w.conf.web_max_clients, *w.conf.web_admin_token ?
	    ", admin API enabled" : "", w.ncheck_lists,
	    w.ncheck_lists == 1 ? "" : "s");

	event_base_dispatch(w.base);

	web_stats_log(&w, "exit");
	metrics_server_free(w.metrics);
	web_server_stop(&w);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_free(ev_usr1);
	event_free(ev_stats);
	db_close(w.db);
	guard_free(w.guard);
	guard_free(w.check_guard);
	event_base_free(w.base);
	conf_free(&w.conf);
	return 0;
}
