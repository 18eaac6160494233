/*
 * main.c -- orbl-dnsd: arguments, configuration, privilege drop, signals,
 * and the swap of the data the queries are answered from.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "dnsd.h"
#include "log.h"
#include "priv.h"
#include "reload.h"
#include "server.h"

struct dnsd {
	struct conf		 conf;
	struct event_base	*base;
	struct server		*srv;
	struct reload		*rl;
	uint64_t		 reloads;
	uint64_t		 polls;		/* the loader's, after it stopped */
};

static void	usage(void) __attribute__((noreturn));
static void	data_ready_cb(struct dnsd_data *, void *);
static void	sighup_cb(evutil_socket_t, short, void *);
static void	sigusr1_cb(evutil_socket_t, short, void *);
static void	sigterm_cb(evutil_socket_t, short, void *);
static void	stats_cb(evutil_socket_t, short, void *);
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

static void
log_stats(struct dnsd *d, const char *why)
{
	struct server_stats	 s;
	struct answer_stats	 a;
	struct zone_index_stats	 zs;
	const struct dnsd_data	*data = server_data(d->srv);

	server_stats(d->srv, &s, &a);
	zone_index_stats(data->idx, &zs);
	log_info("stats (%s): serial %u entries %zu index %zu bytes "
	    "reloads %llu polls %llu udp in %llu out %llu dropped %llu tcp accepted %llu "
	    "queries %llu evicted %llu idle-closed %llu bad %llu "
	    "noerror %llu nxdomain %llu nodata %llu refused %llu formerr %llu "
	    "notimp %llu badvers %llu truncated %llu", why, data->serial,
	    data->entries, zs.bytes, (unsigned long long)d->reloads,
	    (unsigned long long)(d->rl ? reload_polls(d->rl) : d->polls),
	    (unsigned long long)s.udp_in, (unsigned long long)s.udp_out,
	    (unsigned long long)s.udp_dropped,
	    (unsigned long long)s.tcp_accepted, (unsigned long long)s.tcp_in,
	    (unsigned long long)s.tcp_evicted,
	    (unsigned long long)s.tcp_idle_closed,
	    (unsigned long long)s.tcp_bad, (unsigned long long)a.noerror,
	    (unsigned long long)a.nxdomain, (unsigned long long)a.nodata,
	    (unsigned long long)a.refused, (unsigned long long)a.formerr,
	    (unsigned long long)a.notimp, (unsigned long long)a.badvers,
	    (unsigned long long)a.truncated);
}

/* Runs on the main thread; the server frees the old data when no
 * worker can hold it any more. */
static void
data_ready_cb(struct dnsd_data *nd, void *arg)
{
	struct dnsd		*d = arg;

	d->reloads++;
	log_info("serving serial %u: %zu entries (ready in %.3f s)",
	    nd->serial, nd->entries, nd->build_secs);
	server_set_data(d->srv, nd);
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

/* Problems in a configuration, printed all at once (for -n). */
static int
check_conf(struct conf *c, void *arg)
{
	struct dnsd_data	*d;
	char			 err[512];
	int			 bad = 0;

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
	}
	dnsd_data_free(d);
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
	int			 rc;

	memset(&d, 0, sizeof(d));
	/* Options, configuration, check, logging; the conf is freed unless
	 * it says go on. */
	if ((rc = daemon_start("orbl-dnsd", argc, argv, usage, &d.conf,
	    check_conf, NULL, &opts)) < 1)
		return rc == 0 ? 0 : 1;
	if ((d.srv = server_new(&d.conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	priv_drop(d.conf.user);
	if (!opts.foreground && daemon(0, 0) == -1)
		fatal("daemon");

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

	signal(SIGPIPE, SIG_IGN);
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
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
	server_start(d.srv, d.base, data);	/* the server owns data */
	log_info("serving %d zone%s (%s%s) on %d address%s (%s port %u%s), "
	    "%d UDP worker%s",
	    d.conf.nzones, d.conf.nzones == 1 ? "" : "s", d.conf.zones[0],
	    d.conf.nzones > 1 ? ", ..." : "", d.conf.ndns_listen,
	    d.conf.ndns_listen == 1 ? "" : "es", d.conf.dns_listen[0].host,
	    d.conf.dns_listen[0].port, d.conf.ndns_listen > 1 ? ", ..." : "",
	    server_nworkers(d.srv), server_nworkers(d.srv) == 1 ? "" : "s");

	event_base_dispatch(d.base);

	d.polls = reload_polls(d.rl);	/* the loader's count, kept */
	reload_stop(d.rl);
	d.rl = NULL;
	server_stop(d.srv);
	log_stats(&d, "exit");
	server_free(d.srv);
	event_free(ev_hup);
	event_free(ev_usr1);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_stats);
	event_base_free(d.base);
	conf_free(&d.conf);
	return 0;
}
