/*
 * sweep.c -- orbl-prober's upkeep of the served data for mirrors: the
 * expiry sweep and the journal's compaction, on a timer of its own.
 *
 * orbl-dnsd stops answering for an expired listing by itself, but a DNS
 * secondary (AXFR/IXFR) follows the journal alone: the serial must move
 * when a listing expires.
 * The sweep removes what has expired, each with a 'remove' journal row
 * (why "expired"), at start, at the next expiry and at least every
 * SWEEP_EVERY seconds; when another program wrote, the next expiry is
 * looked up again (a listing added with a short expiry).  Each pass is
 * one short write transaction (the db layer removes at most a batch); a
 * pass that removed some is followed by another at once, after the loop
 * has served the sessions.
 *
 * With journal_keep set, the journal is compacted at start and every
 * PRUNE_EVERY seconds (db_journal_prune): rows older than journal_keep go,
 * except what IXFR still needs.  A locked database is tried again a
 * second later, said once; another failure is said and tried at the
 * usual time.
 */
#include <inttypes.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "prober.h"

#define SWEEP_EVERY	60	/* s: the longest wait between sweeps */
#define SWEEP_TICK	1	/* s: the timer; a lock is retried then */
#define SWEEP_LOOK	5	/* s: the least time between two looks for
				   the next expiry after others wrote */
#define PRUNE_EVERY	3600	/* s: journal compaction */

/*
 * When the next sweep is due, at now: when the next listing expires
 * (next, 0: none), at most SWEEP_EVERY from now.
 */
static int64_t
sweep_due(int64_t now, int64_t next)
{
	if (next > 0 && next < now + SWEEP_EVERY)
		return next;
	return now + SWEEP_EVERY;
}

/* A failed call: 1 if it was a lock (tried again a second later), said
 * once a streak; 0 for any other failure, said each time (the caller
 * tries again at the usual time). */
static int
sweep_failed(struct prober *p, const char *what)
{
	prober_db_failed(p);
	if (db_busy(p->db)) {
		if (!p->sweep_locked)
			log_warnx("%s: %s: trying again every second", what,
			    db_errmsg(p->db));
		p->sweep_locked = 1;
		return 1;
	}
	log_warnx("%s: %s", what, db_errmsg(p->db));
	return 0;
}

/* Compact the journal if due: 0, or 1 when a lock stopped it. */
static int
sweep_prune(struct prober *p, int64_t now)
{
	uint64_t	 deleted;
	uint32_t	 horizon;
	int64_t		 t0;

	if (p->conf.journal_keep <= 0 || now < p->next_prune)
		return 0;
	t0 = clock_mono_usec();
	if (db_journal_prune(p->db, now - p->conf.journal_keep, &deleted,
	    &horizon) == -1) {
		if (sweep_failed(p, "journal compaction"))
			return 1;
		p->next_prune = now + PRUNE_EVERY;
		return 0;
	}
	p->next_prune = now + PRUNE_EVERY;
	if (deleted > 0)
		log_info("journal: %" PRIu64 " row%s older than %llds "
		    "dropped in %" PRId64 " ms; IXFR from serial %" PRIu32,
		    deleted, deleted == 1 ? "" : "s",
		    (long long)p->conf.journal_keep,
		    (clock_mono_usec() - t0) / 1000, horizon);
	return 0;
}

/*
 * Another program wrote (PRAGMA data_version moved): it may have added a
 * listing that expires before the sweep now due.  Looked at no more than
 * every SWEEP_LOOK seconds (the look reads every listing's expiry).
 */
static void
sweep_look(struct prober *p, int64_t now)
{
	int64_t	 dv, next = 0;

	if (now < p->sweep_look || db_data_version(p->db, &dv) == -1 ||
	    dv == p->sweep_dv)
		return;
	/* From 0: one that expired since counts too. */
	if (db_listing_next_expiry(p->db, 0, &next) == -1) {
		prober_db_failed(p);
		return;
	}
	p->sweep_dv = dv;
	p->sweep_look = now + SWEEP_LOOK;
	if (next > 0 && next < p->sweep_next)
		p->sweep_next = next;
}

static void
sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct prober	*p = arg;
	struct timeval	 tv = { SWEEP_TICK, 0 };
	int64_t		 now, next = 0;
	uint64_t	 n;
	uint32_t	 serial;

	(void)fd;
	(void)ev;
	if (p->stopping)
		return;
	now = time(NULL);
	sweep_look(p, now);
	if (now < p->sweep_next)
		goto again;
	if (db_listing_expire(p->db, now, "prober", &n) == -1) {
		/* A lock: a second later; else at the usual time. */
		if (!sweep_failed(p, "expiry sweep"))
			p->sweep_next = now + SWEEP_EVERY;
		goto again;
	}
	if (n > 0) {
		if (db_serial(p->db, &serial) == -1)
			serial = 0;
		log_info("expired %" PRIu64 " listing%s (serial %" PRIu32 ")",
		    n, n == 1 ? "" : "s", serial);
		/* Perhaps more than a batch: again, once the loop has
		 * served the sessions. */
		tv.tv_sec = 0;
		evtimer_add(p->sweep, &tv);
		return;
	}
	if (sweep_prune(p, now))
		goto again;
	if (p->sweep_locked) {
		log_info("expiry sweep: the database is free again");
		p->sweep_locked = 0;
	}
	/* What others write from here on is looked at (sweep_look). */
	if (db_data_version(p->db, &p->sweep_dv) == -1 ||
	    db_listing_next_expiry(p->db, now, &next) == -1) {
		prober_db_failed(p);
		next = 0;
	}
	p->sweep_next = sweep_due(now, next);
 again:
	evtimer_add(p->sweep, &tv);
}

void
prober_sweep_start(struct prober *p)
{
	struct timeval	 tv = { 0, 0 };

	if ((p->sweep = evtimer_new(p->base, sweep_cb, p)) == NULL ||
	    evtimer_add(p->sweep, &tv) == -1)
		fatalx("%s: evtimer_new", __func__);
	if (p->conf.journal_keep > 0)
		log_info("journal: rows older than %llds are dropped every "
		    "%ds (journal_keep)", (long long)p->conf.journal_keep,
		    PRUNE_EVERY);
}

void
prober_sweep_stop(struct prober *p)
{
	if (p->sweep != NULL)
		event_free(p->sweep);
	p->sweep = NULL;
}
