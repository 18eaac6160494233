/*
 * reload.c -- see reload.h.  Control path: allocates, logs, talks SQLite
 * (through db.h), never on the query thread.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "db.h"
#include "dnsd.h"
#include "log.h"
#include "reload.h"
#include "xmalloc.h"

#define RELOAD_POLL_MS	200

struct reload {
	const struct conf	*conf;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	int			 quit, force;
	struct dnsd_data	*pending;	/* built, not yet taken */
	int			 pipefd[2];
	struct event		*ev;
	void			(*cb)(struct dnsd_data *, void *);
	void			*cbarg;
	/* loader thread only */
	struct db		*db;
	dev_t			 dev;
	ino_t			 ino;
	uint32_t		 serial;
	int			 loaded;	/* serial is a real load */
	int64_t			 next_expiry;
	char			 problem[512];	/* last problem logged */
};

static void	*reload_main(void *);
static void	 reload_pipe_cb(evutil_socket_t, short, void *);

void
dnsd_data_free(struct dnsd_data *d)
{
	if (d == NULL)
		return;
	zone_index_free(d->idx);
	zone_conf_free(d->zc);
	free(d);
}

static double
now_secs(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct build_ctx {
	struct zone_index_builder	*b;
	size_t				 n;
};

static int
build_add_cb(const struct listing *l, void *arg)
{
	struct build_ctx	*c = arg;

	/* Rows come from the db layer's checks; a bad one is skipped. */
	if (zone_index_builder_add(c->b, &l->net, l->exclude, l->code,
	    l->reason) == 0)
		c->n++;
	return 0;
}

/* Read the zone settings an rbldnsd import left in meta. */
static void
read_meta(struct db *db, char *soa, size_t soalen, char *ns, size_t nslen,
    struct zone_meta *m)
{
	char	 ttl[64];

	memset(m, 0, sizeof(*m));
	m->ttl = -1;
	if (db_meta_get(db, "soa", soa, soalen) == 0)
		m->soa = soa;
	if (db_meta_get(db, "ns", ns, nslen) == 0)
		m->ns = ns;
	if (db_meta_get(db, "ttl", ttl, sizeof(ttl)) == 0) {
		long long	 v;

		if (addr_duration_parse(ttl, &v) == 0)
			m->ttl = v;
	}
}

static struct dnsd_data *
build_from_db(struct db *db, const struct conf *conf, char *err,
    size_t errlen)
{
	struct dnsd_data	*d;
	struct build_ctx	 c;
	struct zone_meta	 meta;
	char			 soa[512], ns[512];
	int64_t			 now = time(NULL);
	double			 t0 = now_secs();

	d = xcalloc(1, sizeof(*d));
	c.b = zone_index_builder_new();
	c.n = 0;
	if (db_read_begin(db) == -1)
		goto dbfail;
	if (db_serial(db, &d->serial) == -1 ||
	    db_listing_foreach(db, DB_ACTIVE | DB_LEAN, now, build_add_cb,
	    &c) == -1 ||
	    db_listing_next_expiry(db, now, &d->next_expiry) == -1) {
		db_read_end(db);
		goto dbfail;
	}
	read_meta(db, soa, sizeof(soa), ns, sizeof(ns), &meta);
	db_read_end(db);
	d->entries = c.n;
	d->loaded = 1;
	d->idx = zone_index_builder_finish(c.b, conf->default_reason);
	if ((d->zc = zone_conf_new(conf, &meta, d->serial, err,
	    errlen)) == NULL) {
		dnsd_data_free(d);
		return NULL;
	}
	d->build_secs = now_secs() - t0;
	return d;
 dbfail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	zone_index_builder_free(c.b);
	free(d);
	return NULL;
}

struct dnsd_data *
reload_build_empty(const struct conf *conf, char *err, size_t errlen)
{
	struct dnsd_data	*d = xcalloc(1, sizeof(*d));

	d->idx = zone_index_builder_finish(zone_index_builder_new(),
	    conf->default_reason);
	if ((d->zc = zone_conf_new(conf, NULL, 0, err, errlen)) == NULL) {
		dnsd_data_free(d);
		return NULL;
	}
	return d;
}

struct dnsd_data *
reload_build(const struct conf *conf, char *err, size_t errlen)
{
	struct db		*db;
	struct dnsd_data	*d;

	if ((db = db_open(conf->database, DB_RDONLY, err, errlen)) == NULL)
		return NULL;
	d = build_from_db(db, conf, err, errlen);
	db_close(db);
	return d;
}

/* Log a problem once; a different one, or its end, is logged again. */
static void
reload_problem(struct reload *r, const char *msg)
{
	if (msg == NULL) {
		if (r->problem[0] != '\0')
			log_info("database readable again");
		r->problem[0] = '\0';
		return;
	}
	if (strcmp(msg, r->problem) != 0) {
		log_warnx("%s; serving the last good data (serial %u)", msg,
		    r->serial);
		orbl_strlcpy(r->problem, msg, sizeof(r->problem));
	}
}

/* One poll: returns new data to publish, or NULL. */
static struct dnsd_data *
reload_check(struct reload *r, int force)
{
	struct stat		 sb;
	struct dnsd_data	*d;
	uint32_t		 serial;
	char			 err[512], msg[600];
	int64_t			 now = time(NULL);

	if (stat(r->conf->database, &sb) == -1) {
		/* Worded as db_open() words it, so that a problem already
		 * logged at start is not logged again. */
		snprintf(msg, sizeof(msg), "%s: %s%s", r->conf->database,
		    strerror(errno), errno == ENOENT ?
		    " (run 'orblctl init')" : "");
		reload_problem(r, msg);
		db_close(r->db);
		r->db = NULL;
		return NULL;
	}
	/* Replaced underneath us (restore from a backup): reopen. */
	if (r->db != NULL && (sb.st_dev != r->dev || sb.st_ino != r->ino)) {
		db_close(r->db);
		r->db = NULL;
		force = 1;
	}
	if (r->db == NULL) {
		if ((r->db = db_open(r->conf->database, DB_RDONLY, err,
		    sizeof(err))) == NULL) {
			reload_problem(r, err);
			return NULL;
		}
		/* A different file than the one loaded: build it. */
		if (sb.st_dev != r->dev || sb.st_ino != r->ino)
			force = 1;
		r->dev = sb.st_dev;
		r->ino = sb.st_ino;
	}
	if (db_serial(r->db, &serial) == -1) {
		snprintf(msg, sizeof(msg), "database %s: %s",
		    r->conf->database, db_errmsg(r->db));
		reload_problem(r, msg);
		db_close(r->db);	/* corrupt or replaced: start afresh */
		r->db = NULL;
		return NULL;
	}
	if (!force && r->loaded && serial == r->serial &&
	    (r->next_expiry == 0 || now < r->next_expiry))
		return NULL;
	if ((d = build_from_db(r->db, r->conf, err, sizeof(err))) == NULL) {
		snprintf(msg, sizeof(msg), "database %s: %s",
		    r->conf->database, err);
		reload_problem(r, msg);
		db_close(r->db);
		r->db = NULL;
		return NULL;
	}
	reload_problem(r, NULL);
	r->serial = d->serial;
	r->loaded = 1;
	r->next_expiry = d->next_expiry;
	return d;
}

static void *
reload_main(void *arg)
{
	struct reload		*r = arg;
	struct dnsd_data	*d;
	struct timespec		 ts;
	int			 force;

	pthread_mutex_lock(&r->mtx);
	while (!r->quit) {
		if (!r->force) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += RELOAD_POLL_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->cond, &r->mtx, &ts);
		}
		if (r->quit)
			break;
		force = r->force;
		r->force = 0;
		pthread_mutex_unlock(&r->mtx);

		d = reload_check(r, force);

		pthread_mutex_lock(&r->mtx);
		if (d != NULL) {
			dnsd_data_free(r->pending);	/* never taken */
			r->pending = d;
			if (write(r->pipefd[1], "", 1) == -1 && errno != EAGAIN)
				log_warn("reload: pipe");
		}
	}
	pthread_mutex_unlock(&r->mtx);
	db_close(r->db);
	r->db = NULL;
	return NULL;
}

static void
reload_pipe_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct reload		*r = arg;
	struct dnsd_data	*d;
	char			 buf[64];

	(void)ev;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&r->mtx);
	d = r->pending;
	r->pending = NULL;
	pthread_mutex_unlock(&r->mtx);
	if (d != NULL)
		r->cb(d, r->cbarg);
}

struct reload *
reload_start(const struct conf *conf, struct event_base *base,
    const struct dnsd_data *cur, const char *problem, void (*cb)(struct dnsd_data *, void *),
    void *arg)
{
	struct reload	*r = xcalloc(1, sizeof(*r));
	int		 i;

	r->conf = conf;
	r->cb = cb;
	r->cbarg = arg;
	if (problem != NULL)
		orbl_strlcpy(r->problem, problem, sizeof(r->problem));
	if (cur != NULL && cur->loaded) {
		struct stat	 sb;

		r->serial = cur->serial;
		r->loaded = 1;
		r->next_expiry = cur->next_expiry;
		if (stat(conf->database, &sb) == 0) {
			r->dev = sb.st_dev;
			r->ino = sb.st_ino;
		}
	}
	if (pipe(r->pipefd) == -1)
		fatal("pipe");
	for (i = 0; i < 2; i++) {
		fcntl(r->pipefd[i], F_SETFL, O_NONBLOCK);
		fcntl(r->pipefd[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->ev = event_new(base, r->pipefd[0], EV_READ | EV_PERSIST,
	    reload_pipe_cb, r);
	if (r->ev == NULL || event_add(r->ev, NULL) == -1)
		fatalx("reload: event_add");
	if ((errno = pthread_create(&r->thread, NULL, reload_main, r)) != 0)
		fatal("pthread_create");
	return r;
}

void
reload_request(struct reload *r)
{
	pthread_mutex_lock(&r->mtx);
	r->force = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
}

void
reload_stop(struct reload *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mtx);
	r->quit = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mtx);
	pthread_join(r->thread, NULL);
	event_free(r->ev);
	close(r->pipefd[0]);
	close(r->pipefd[1]);
	dnsd_data_free(r->pending);
	pthread_mutex_destroy(&r->mtx);
	pthread_cond_destroy(&r->cond);
	free(r);
}
