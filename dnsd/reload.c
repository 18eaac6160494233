/*
 * reload.c -- see reload.h.  Control path: allocates, logs, talks SQLite
 * (through db.h), never on the query thread.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "db.h"
#include "dnsd.h"
#include "log.h"
#include "reload.h"
#include "xmalloc.h"
#include "zone_conf.h"

#define RELOAD_POLL_MS	200
#define RELOAD_PATCH_MAX 200000	/* more journal rows: a full build */
#define RELOAD_FULL_EVERY 3600	/* s: a full build now and then, so that a
				   database restored in place (same inode,
				   other history) is never patched for long */
/*
 * The loader thread's nice value.  On a busy core the scheduler then
 * gives a build about a tenth of what a nice-0 query thread gets (CFS
 * weights 110 : 1024), so queries keep their core, and a build still
 * progresses under 100% query load.  SCHED_IDLE (or nice 19, 15 : 1024)
 * would protect the queries a little more but let a saturated server
 * go on answering from stale data for many seconds.
 */
#define RELOAD_NICE	10

struct reload {
	const struct conf	*conf;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	int			 quit, force;
	uint64_t		 polls;		/* looks at the database (mtx) */
	/* Written by the loader, read by the main thread (/metrics). */
	atomic_ullong		 errors;	/* looks that failed */
	atomic_int		 failing;	/* the last one failed */
	atomic_uint		 db_serial;	/* the journal's, last read */
	struct dnsd_data	*pending;	/* built, not yet taken */
	int			 pipefd[2];
	struct event		*ev;
	void			(*cb)(struct dnsd_data *, void *);
	void			*cbarg;
	/* loader thread only */
	struct db		*db;
	/*
	 * The newest data this thread built (or the data serving at
	 * start): the base of the next patch.  It stays valid without a
	 * reference count: the query thread frees a dnsd_data only after a
	 * newer one has been swapped in, newer ones come only from this
	 * thread, and this thread publishes one only after it has finished
	 * reading its base, then makes it the new base.  A pending data
	 * replaced before the query thread took it is freed here, after the
	 * data replacing it (built from it) has become the base.
	 */
	const struct dnsd_data	*base;
	dev_t			 dev;
	ino_t			 ino;
	uint32_t		 serial;
	int			 loaded;	/* serial is a real load */
	int64_t			 next_expiry;
	int64_t			 last_full;	/* time of the last full build */
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

/* CPU time of the calling thread. */
static double
cpu_secs(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == -1)
		return 0;
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
	double			 t0 = (clock_mono_usec() / 1e6);

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
	d->build_secs = (clock_mono_usec() / 1e6) - t0;
	return d;
 dbfail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	zone_index_builder_free(c.b);
	free(d);
	return NULL;
}

/* The journal rows since the base, as index changes. */
struct journal_ctx {
	struct zi_change	*c;
	size_t			 n, cap;
	uint32_t		 next;		/* the serial expected next */
	const char		*stop;		/* why the rows cannot be used */
};

static int
journal_row_cb(const struct journal_entry *j, void *arg)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	struct journal_ctx	*x = arg;
	struct zi_change	*c;

	if (j->serial != x->next) {
		x->stop = "journal rows missing (pruned)";
		return 1;
	}
	if (x->n == RELOAD_PATCH_MAX) {
		x->stop = "too many changes";
		return 1;
	}
	if (j->op == NULL || (strcmp(j->op, "add") != 0 &&
	    strcmp(j->op, "remove") != 0)) {
		x->stop = "unknown journal operation";
		return 1;
	}
	/*
	 * The index holds ::ffff:a.b.c.d and a.b.c.d as one entry, the
	 * database as two rows (orbl's parsers never write the first), so
	 * removing one of them says nothing about the other: build.
	 */
	if (j->net.family == 6 && j->net.prefix >= 96 &&
	    memcmp(j->net.a, mapped, sizeof(mapped)) == 0) {
		x->stop = "an IPv4-mapped IPv6 entry changed";
		return 1;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		x->c = xreallocarray(x->c, x->cap, sizeof(*x->c));
	}
	c = &x->c[x->n++];
	memset(c, 0, sizeof(*c));
	c->remove = strcmp(j->op, "remove") == 0;
	c->net = j->net;
	c->exclude = j->exclude;
	c->code = j->code;
	c->reason = j->reason ? xstrdup(j->reason) : NULL;
	c->expires = j->expires;
	x->next++;
	return 0;
}

static void
journal_ctx_clear(struct journal_ctx *x)
{
	size_t	 i;

	for (i = 0; i < x->n; i++)
		free((char *)(uintptr_t)x->c[i].reason);
	free(x->c);
	memset(x, 0, sizeof(*x));
}

/*
 * The next data from the base and the journal rows since its serial, in
 * one read snapshot.  NULL with the reason in why when the rows cannot
 * be used or anything fails: the caller then builds from scratch.
 */
static struct dnsd_data *
patch_from_db(struct reload *r, int64_t now, char *why, size_t whylen)
{
	const struct dnsd_data	*base = r->base;
	struct journal_ctx	 x;
	struct dnsd_data	*d;
	struct zone_meta	 meta;
	struct zone_index_stats	 s0, s1;
	char			 soa[512], ns[512];
	uint32_t		 serial;
	size_t			 i;
	int			 rc;

	memset(&x, 0, sizeof(x));
	x.next = base->serial + 1;
	if (db_read_begin(r->db) == -1) {
		snprintf(why, whylen, "%s", db_errmsg(r->db));
		return NULL;
	}
	if (db_serial(r->db, &serial) == -1) {
		snprintf(why, whylen, "%s", db_errmsg(r->db));
		db_read_end(r->db);
		return NULL;
	}
	if (serial <= base->serial || serial - base->serial >
	    RELOAD_PATCH_MAX) {
		snprintf(why, whylen, "serial %u -> %u", base->serial, serial);
		db_read_end(r->db);
		return NULL;
	}
	rc = db_journal_since(r->db, base->serial, journal_row_cb, &x);
	if (rc == -1)
		snprintf(why, whylen, "%s", db_errmsg(r->db));
	else if (rc != 0)
		snprintf(why, whylen, "%s", x.stop);
	else if (x.next - 1 != serial) {
		snprintf(why, whylen, "journal rows missing (%zu rows for "
		    "serial %u -> %u)", x.n, base->serial, serial);
		rc = 1;
	}
	if (rc == 0)
		read_meta(r->db, soa, sizeof(soa), ns, sizeof(ns), &meta);
	if (db_read_end(r->db) == -1 && rc == 0) {
		snprintf(why, whylen, "%s", db_errmsg(r->db));
		rc = -1;
	}
	if (rc != 0) {
		journal_ctx_clear(&x);
		return NULL;
	}

	d = xcalloc(1, sizeof(*d));
	if ((d->idx = zone_index_patch(base->idx, x.c, x.n, now)) == NULL) {
		snprintf(why, whylen, "a malformed change");
		journal_ctx_clear(&x);
		free(d);
		return NULL;
	}
	d->serial = serial;
	d->loaded = 1;
	d->patched = 1;
	/* Expiry: the base's next one (still ahead), or an added one. */
	d->next_expiry = base->next_expiry;
	for (i = 0; i < x.n; i++)
		if (!x.c[i].remove && x.c[i].expires > now &&
		    (d->next_expiry == 0 || x.c[i].expires < d->next_expiry))
			d->next_expiry = x.c[i].expires;
	zone_index_stats(base->idx, &s0);
	zone_index_stats(d->idx, &s1);
	d->entries = base->entries + s1.entries >= s0.entries ?
	    base->entries + s1.entries - s0.entries : 0;
	journal_ctx_clear(&x);
	if ((d->zc = zone_conf_new(r->conf, &meta, d->serial, why,
	    whylen)) == NULL) {
		dnsd_data_free(d);
		return NULL;
	}
	return d;
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

/*
 * Log a problem once; a different one, or its end, is logged again.
 * Every look that failed is counted.
 */
static void
reload_problem(struct reload *r, const char *msg)
{
	atomic_store_explicit(&r->failing, msg != NULL, memory_order_relaxed);
	if (msg == NULL) {
		if (r->problem[0] != '\0')
			log_info("database readable again");
		r->problem[0] = '\0';
		return;
	}
	atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
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
	struct dnsd_data	*d = NULL;
	uint32_t		 serial;
	char			 err[512], msg[600], why[600];
	int64_t			 now = time(NULL);
	int			 expired;
	double			 t0, c0;

	why[0] = '\0';
	if (force)
		snprintf(why, sizeof(why), "reload requested");
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
	}
	if (r->db == NULL) {
		if ((r->db = db_open(r->conf->database, DB_RDONLY, err,
		    sizeof(err))) == NULL) {
			reload_problem(r, err);
			return NULL;
		}
		/* A different file than the one loaded: build it. */
		if (sb.st_dev != r->dev || sb.st_ino != r->ino) {
			force = 1;
			snprintf(why, sizeof(why), "a new database file");
		}
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
	atomic_store_explicit(&r->db_serial, serial, memory_order_relaxed);
	expired = r->next_expiry != 0 && now >= r->next_expiry;
	if (!force && r->loaded && serial == r->serial && !expired) {
		/* Readable, and nothing new (the log waits for new data to
		 * say the problem ended). */
		atomic_store_explicit(&r->failing, 0, memory_order_relaxed);
		return NULL;
	}

	t0 = (clock_mono_usec() / 1e6);
	c0 = cpu_secs();
	if (force)
		;
	else if (!r->loaded || r->base == NULL || !r->base->loaded ||
	    r->base->serial != r->serial)
		snprintf(why, sizeof(why), "first load");
	else if (expired)
		snprintf(why, sizeof(why), "a listing expired");
	else if (serial <= r->serial)
		snprintf(why, sizeof(why), "serial went back (%u -> %u)",
		    r->serial, serial);
	else if (serial - r->serial > RELOAD_PATCH_MAX)
		snprintf(why, sizeof(why), "%u changes", serial - r->serial);
	else if (now - r->last_full >= RELOAD_FULL_EVERY)
		snprintf(why, sizeof(why), "the hourly full build");
	else if ((d = patch_from_db(r, now, why, sizeof(why))) != NULL) {
		d->build_secs = (clock_mono_usec() / 1e6) - t0;
		log_info("patched serial %u -> %u: %u changes in %.1f ms "
		    "(loader cpu %.1f ms)", r->serial, d->serial,
		    d->serial - r->serial, d->build_secs * 1e3,
		    (cpu_secs() - c0) * 1e3);
	}
	if (d == NULL) {
		if ((d = build_from_db(r->db, r->conf, err,
		    sizeof(err))) == NULL) {
			snprintf(msg, sizeof(msg), "database %s: %s",
			    r->conf->database, err);
			reload_problem(r, msg);
			db_close(r->db);
			r->db = NULL;
			return NULL;
		}
		log_info("built serial %u (%s): %zu entries in %.3f s "
		    "(loader cpu %.3f s)", d->serial, why, d->entries,
		    d->build_secs, cpu_secs() - c0);
		r->last_full = now;
	}
	reload_problem(r, NULL);
	r->serial = d->serial;
	r->loaded = 1;
	r->next_expiry = d->next_expiry;
	r->base = d;
	return d;
}

static void *
reload_main(void *arg)
{
	struct reload		*r = arg;
	struct dnsd_data	*d;
	struct timespec		 ts;
	int			 force;

	/* Linux: a nice value set on a thread id is that thread's own. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
	    RELOAD_NICE) == -1)
		log_debug("reload: setpriority: %s", strerror(errno));
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
		r->polls++;
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
	if (problem != NULL) {
		orbl_strlcpy(r->problem, problem, sizeof(r->problem));
		atomic_store(&r->failing, 1);
	}
	if (cur != NULL && cur->loaded) {
		struct stat	 sb;

		r->serial = cur->serial;
		atomic_store(&r->db_serial, cur->serial);	/* main read it */
		r->loaded = 1;
		r->base = cur;
		r->next_expiry = cur->next_expiry;
		r->last_full = time(NULL);	/* main built it */
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

uint64_t
reload_polls(struct reload *r)
{
	uint64_t	 n;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mtx);
	n = r->polls;
	pthread_mutex_unlock(&r->mtx);
	return n;
}

uint64_t
reload_errors(struct reload *r)
{
	return r == NULL ? 0 :
	    atomic_load_explicit(&r->errors, memory_order_relaxed);
}

uint32_t
reload_db_serial(struct reload *r)
{
	return r == NULL ? 0 :
	    atomic_load_explicit(&r->db_serial, memory_order_relaxed);
}

int
reload_failing(struct reload *r)
{
	return r == NULL ? 0 :
	    atomic_load_explicit(&r->failing, memory_order_relaxed);
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
