/*
 * db.h -- the one access layer to orbl's SQLite database.  No other file
 * includes sqlite3.h.
 *
 * Every connection: WAL, foreign_keys=ON, busy_timeout; writers use
 * BEGIN IMMEDIATE.  The schema version is PRAGMA user_version: an older
 * database is migrated on open (read-write), a newer one is refused.
 * Functions return 0 on success, DB_NOTFOUND where they say so, and -1 on
 * error with the reason in db_errmsg().  They never log.
 */
#ifndef ORBL_DB_H
#define ORBL_DB_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "rfc5782.h"

#define DB_SCHEMA_VERSION	4

#define DB_RDONLY	0x01	/* read-only connection (orbl-dnsd) */
#define DB_CREATE	0x02	/* create the file and schema if missing */

#define DB_NOTFOUND	1
#define DB_CLAIMED	2	/* another run holds the address */

#define DB_CODE_DEFAULT	RFC5782_DEFAULT_A	/* 127.0.0.2 */

struct db;

/*
 * Open path.  With DB_CREATE a missing file is created mode 0600 (less
 * under the umask) before SQLite opens it, and SQLite gives -wal and -shm
 * the same mode.  An existing file's mode is left alone: see
 * db_file_mode().  NULL on error, the reason in err.
 */
struct db	*db_open(const char *path, int flags, char *err, size_t errlen);
/*
 * The permission bits (st_mode & 07777) of the database file, or -1 if it
 * cannot be stat'ed.  The db layer never logs: a daemon opening the
 * database read-write warns at start when (mode & 077) != 0 -- the
 * database holds cookies and replies that are not for other users.
 */
int		 db_file_mode(const struct db *);
void		 db_close(struct db *);
const char	*db_errmsg(const struct db *);
/* Was the last failure a lock held by another connection (SQLITE_BUSY or
 * SQLITE_LOCKED after the busy timeout)?  Then the same call may work
 * later: callers on an event loop retry instead of giving up. */
int		 db_busy(const struct db *);
/* How long a call waits for another writer's lock (default 5000 ms).  An
 * event loop that must not stall (orbl-prober) sets a short one and
 * retries on db_busy(). */
void		 db_set_busy_timeout(struct db *, int ms);
/*
 * What the busy handler did on this connection since db_open: locks met,
 * calls that gave up on one (db_busy() set), milliseconds slept waiting.
 */
struct db_busy_counts {
	uint64_t	 locks, given_up, slept_ms;
};
void		 db_busy_counts(const struct db *, struct db_busy_counts *);
/* The schema version found when opening (before any migration). */
int		 db_version_found(const struct db *);

/* Explicit transactions for batches (import).  Single calls below run in
 * their own transaction when none is open. */
int	 db_begin(struct db *);
int	 db_commit(struct db *);
int	 db_rollback(struct db *);
/* A read snapshot (deferred BEGIN ... COMMIT): what is read between the
 * two is one consistent state, also on a DB_RDONLY connection. */
int	 db_read_begin(struct db *);
int	 db_read_end(struct db *);

/* The zone serial: the last journal serial handed out (0 if none). */
int	 db_serial(struct db *, uint32_t *);
/* PRAGMA data_version: changes when another connection commits. */
int	 db_data_version(struct db *, int64_t *);

struct listing {
	int64_t		 id;		/* always 0: since schema 3 a listing
					 * is keyed by its net alone */
	struct addr	 net;
	int		 exclude;
	uint32_t	 code;		/* host order, 0x7f000002 */
	const char	*reason;	/* NULL: the default */
	const char	*source;	/* "probe", "manual", "import" */
	int64_t		 probe_id;	/* 0: none */
	const char	*actor;
	int64_t		 created, updated;
	int64_t		 expires;	/* 0: never */
};

/*
 * Insert or update the entry for l->net (actor and why go to the
 * journal).  *changed = 1 if it was added, 2 if an entry was updated; an
 * identical entry already there is left alone: *changed = 0 and no
 * journal row.  changed may be NULL.
 */
int	 db_listing_put(struct db *, const struct listing *, const char *why,
	    int *changed);
/* Remove the entry for exactly net.  DB_NOTFOUND if there is none. */
int	 db_listing_remove(struct db *, const struct addr *net,
	    const char *actor, const char *why);
/* The entry for exactly net, borrowed for the duration of cb. */
int	 db_listing_get(struct db *, const struct addr *net,
	    int (*cb)(const struct listing *, void *), void *arg);

/* Iteration: the listing passed to cb is borrowed for the duration of the
 * call; cb returns 0 to go on, anything else stops and is returned. */
#define DB_ALL		0x00
#define DB_ACTIVE	0x01	/* skip entries expired at 'now' */
#define DB_ORDERED	0x02	/* by family, address, prefix */
#define DB_LEAN		0x04	/* with DB_ACTIVE, unordered: only net,
				   exclude, code, reason and expires are
				   read (orbl-dnsd's load: fewer columns) */
int	 db_listing_foreach(struct db *, int flags, int64_t now,
	    int (*cb)(const struct listing *, void *), void *arg);
/* Every entry containing ip (an address or a prefix: entries of prefix
 * length <= ip->prefix that contain it), least specific first. */
int	 db_listing_covering(struct db *, const struct addr *ip,
	    int (*cb)(const struct listing *, void *), void *arg);
/* Earliest expiry in the future of now (0: none). */
int	 db_listing_next_expiry(struct db *, int64_t now, int64_t *when);
/* Counts for stats. */
int	 db_listing_count(struct db *, int64_t *listed, int64_t *excluded);

/*
 * Bulk import (orblctl import) inside the caller's write transaction, in
 * constant memory whatever the size of the list: db_import_begin makes
 * an empty staging table (a temporary one: SQLite sorts it on disk past
 * its cache); db_import_stage adds an entry as the file is read;
 * db_import_apply writes them in key order (so each B-tree page is
 * written about once), the same as db_listing_put for each entry of the
 * file in (address, file position) order with source "import": an entry
 * already there and the same is left alone, one journal row per change,
 * and the last of duplicates wins.  With why_replace, listings of source
 * "import" that were not staged are then removed (db_listing_remove with
 * that why).  tick(arg, n) is called every few thousand entries.
 * db_import_end drops the staging table (a rollback does too).
 */
struct db_import_counts {
	uint64_t	 staged, added, updated, unchanged, removed;
};
int	 db_import_begin(struct db *);
int	 db_import_stage(struct db *, const struct addr *net, int exclude,
	    uint32_t code, const char *reason);
int	 db_import_apply(struct db *, const char *actor, const char *why,
	    const char *why_replace, struct db_import_counts *,
	    void (*tick)(void *, uint64_t done, uint64_t total), void *arg);
void	 db_import_end(struct db *);

struct journal_entry {
	uint32_t	 serial;
	int64_t		 ts;
	const char	*op;		/* "add" or "remove" */
	struct addr	 net;
	int		 exclude;
	uint32_t	 code;
	const char	*reason, *source, *actor, *why;
	int64_t		 expires;
};
/* Journal rows about any prefix containing ip, oldest first. */
int	 db_journal_covering(struct db *, const struct addr *ip,
	    int (*cb)(const struct journal_entry *, void *), void *arg);
/* Journal rows with serial > since, in order (IXFR, followers). */
int	 db_journal_since(struct db *, uint32_t since,
	    int (*cb)(const struct journal_entry *, void *), void *arg);

/*
 * Mirrors.  The expiry sweep: remove the listings expired at now, each
 * with a journal row (actor, why "expired"), so that the serial moves and
 * secondaries follow expiry; at most 10,000 in one write transaction, so
 * a caller repeats while *n > 0 (n may be NULL).
 */
int	 db_listing_expire(struct db *, int64_t now, const char *actor,
	    uint64_t *n);
/*
 * Compact the journal: drop the rows written before `before` (Unix
 * time) that IXFR no longer needs, keeping for every prefix its last row
 * before the cut when that row is an add (what it was at the horizon).
 * The horizon becomes the last serial written before the cut: every
 * serial from it on can still be served by IXFR.  *deleted and *horizon
 * may be NULL.
 */
int	 db_journal_prune(struct db *, int64_t before, uint64_t *deleted,
	    uint32_t *horizon);
/* The oldest serial IXFR can start from (0: the whole history). */
int	 db_journal_horizon(struct db *, uint32_t *);
/*
 * What the journal says net was right after serial: cb gets the last
 * row for exactly net with a serial <= serial when it is an add; returns
 * DB_NOTFOUND when there is none or it is a remove (not listed then).
 */
int	 db_journal_state_at(struct db *, const struct addr *net,
	    uint32_t serial,
	    int (*cb)(const struct journal_entry *, void *), void *arg);

/* Submissions: servers queued for testing. */
struct submission {
	int64_t		 id;
	const char	*addr;
	int		 port;
	const char	*submitter, *client;
	const char	*state;		/* queued probing done failed */
	int64_t		 created, updated, not_before;
	int		 tries;
	int64_t		 probe_id;	/* 0: none yet */
	const char	*result;	/* verdict word, or NULL */
};
int	 db_submission_add(struct db *, const char *addr, int port,
	    const char *submitter, const char *client, const char *actor,
	    int64_t *id);
int	 db_submission_get(struct db *, int64_t id,
	    int (*cb)(const struct submission *, void *), void *arg);
/* Newest first; state NULL = any; at most limit (0: all). */
int	 db_submission_foreach(struct db *, const char *state, int limit,
	    int (*cb)(const struct submission *, void *), void *arg);
/*
 * Move up to max queued submissions whose not_before has passed (oldest
 * first) to 'probing', tries + 1, each with a claim on its address held
 * by owner until lease_until, and call cb for each (after the commit).
 * One run per address at a time: an address claimed by any run (a
 * submission, a delisting request, orblctl probe) is left queued, and so
 * are its duplicates in the queue.
 */
int	 db_submission_claim(struct db *, int64_t now, int64_t lease_until,
	    const char *owner, int max,
	    int (*cb)(const struct submission *, void *), void *arg);
/* Set state/result/probe_id/not_before (0 = leave probe_id alone) and
 * record the change in the event table. */
int	 db_submission_set(struct db *, int64_t id, const char *state,
	    const char *result, int64_t probe_id, int64_t not_before,
	    const char *actor, const char *why);

/*
 * Claims: the one rule for work in progress.  A claim on an address is
 * held by an owner ("prober", "orblctl:PID") until its lease passes; while
 * it is held no other run starts against that address.  A run that ends
 * releases its claim in the transaction that records it.
 */
/* A claim for a run not backed by queued work (orblctl probe): 0, or
 * DB_CLAIMED if another run holds addr. */
int	 db_claim_take(struct db *, const char *addr, const char *owner,
	    int64_t now, int64_t lease_until);
/* Drop the claim on addr (owner NULL: whoever holds it). */
int	 db_claim_release(struct db *, const char *addr, const char *owner);
/*
 * Release every claim whose lease passed before now, and every claim of
 * owner (NULL: none) -- at start a daemon takes back what its previous
 * instance held.  Their submissions go back to 'queued', their requests
 * to 'pending' (an event each, by actor).  *n = units re-queued.
 */
int	 db_claim_expire(struct db *, int64_t now, const char *owner,
	    const char *actor, int *n);
/* The claim on addr: 0 with owner and lease copied out, DB_NOTFOUND. */
int	 db_claim_get(struct db *, const char *addr, char *owner,
	    size_t ownerlen, int64_t *lease_until);

/*
 * Evidence: the ports on which the relay of a probe listing was proved.
 * db_probe_finish (with a listing) and db_probe_confirm add their run's
 * port; removing the listing removes its evidence.  Ports of addr in
 * ascending order into ports (at most max; ports may be NULL); *n = how
 * many (all of them when ports is NULL).
 */
int	 db_evidence_ports(struct db *, const char *addr, int *ports, int max,
	    int *n);
int	 db_evidence_put(struct db *, const char *addr, int port,
	    int64_t probe_id);
/* The evidence of probe_id's own address and port. */
int	 db_evidence_put_probe(struct db *, int64_t probe_id);
/* counts[0..3] = queued, probing, done, failed. */
int	 db_submission_counts(struct db *, int64_t counts[4]);
/* Delisting requests by state: pending, retesting, delisted, refused. */
int	 db_request_counts(struct db *, int64_t counts[4]);
/* Submissions created since 'since' by submitter (rate limits). */
int	 db_submission_count_since(struct db *, const char *submitter,
	    int64_t since, int64_t *n);

/* Probes: one run of the battery, its tests, and what reached the sink. */
struct probe {
	int64_t		 id;
	const char	*addr;
	int		 port;
	int64_t		 submission_id, request_id;
	int64_t		 started, finished;	/* finished 0: running or
						   interrupted */
	const char	*verdict;	/* NULL while running */
	const char	*hops;		/* single-hop, multi-hop, NULL */
	int		 relayed_test;	/* 0: none */
	const char	*output_addr;
	const char	*transcript;
};
struct probe_test_row {
	int64_t		 probe_id;
	int		 test_id;
	const char	*name, *mail_from, *rcpt_to;
	const char	*mail_reply, *rcpt_reply, *data_reply;
	const char	*cookie, *verdict;
	int64_t		 arrived;	/* 0: nothing arrived */
	const char	*arrived_from, *received;
};
struct arrival {
	int64_t		 id, ts, probe_id;
	int		 test_id;
	const char	*peer, *mail_from, *rcpt;
	int		 bounce;
	const char	*bounce_why, *received, *cookie;
	int		 confirmed;
};
int	 db_probe_begin(struct db *, const char *addr, int port,
	    int64_t submission_id, int64_t request_id, int64_t *id);
/*
 * Record a finished run in one transaction: the probe's final fields
 * (p->id), its tests (replacing any recorded before), and, when l is not
 * NULL, the listing with its journal row.  The submission (if any) is
 * set to done with the verdict as result.
 */
int	 db_probe_finish(struct db *, const struct probe *p,
	    const struct probe_test_row *tests, size_t ntests,
	    const struct listing *l, const char *why);
/*
 * After a run on port found the relay closed: remove the evidence of that
 * port, and when it was the last evidence, the listing of exactly addr if
 * it came from a probe (manual and imported entries are the operator's).
 * A run on a port without evidence removes nothing.  *removed = 1 if the
 * listing went.
 */
int	 db_probe_delist(struct db *, const char *addr, int port,
	    const char *why, int *removed);
/*
 * A late arrival confirmed a run that had already finished (or was
 * interrupted): set its verdict, and list (l) in the same transaction.
 */
int	 db_probe_confirm(struct db *, int64_t probe_id, const char *hops,
	    int relayed_test, const char *output_addr,
	    const struct listing *l, const char *why);
int	 db_probe_get(struct db *, int64_t id,
	    int (*cb)(const struct probe *, void *), void *arg);
/* Runs against addr, newest first, at most limit (0: all). */
int	 db_probe_foreach_addr(struct db *, const char *addr, int limit,
	    int (*cb)(const struct probe *, void *), void *arg);
int	 db_probe_tests(struct db *, int64_t probe_id,
	    int (*cb)(const struct probe_test_row *, void *), void *arg);
/* Probes started since 'since' against an address inside net (any
 * prefix length, IPv4 or IPv6) -- the politeness limit.  Runs recorded
 * before schema 2 are not counted. */
int	 db_probe_count_net_since(struct db *, const struct addr *net,
	    int64_t since, int64_t *n);
/*
 * Record an arrival.  If a->confirmed is set and no arrival confirmed
 * this cookie (probe, test) before, it is stored as confirming and
 * *confirmed = 1; otherwise it is stored as not confirming, *confirmed = 0.
 */
int	 db_arrival_add(struct db *, const struct arrival *a, int *confirmed);
int	 db_arrivals(struct db *, int64_t probe_id,
	    int (*cb)(const struct arrival *, void *), void *arg);
/* Arrivals of probe_id with id > after_id, in order (a waiting run reads
 * only what is new). */
int	 db_arrivals_since(struct db *, int64_t probe_id, int64_t after_id,
	    int (*cb)(const struct arrival *, void *), void *arg);
/* Arrivals stored for probe_id (and test_id; 0: any test). */
int	 db_arrival_count(struct db *, int64_t probe_id, int test_id,
	    int64_t *n);
/* Did the target accept test_id's message of probe_id (2xx after DATA,
 * as recorded when the run finished)?  *accepted = 0 when not recorded. */
int	 db_probe_test_accepted(struct db *, int64_t probe_id, int test_id,
	    int *accepted);

/* Delisting requests: a server owner asks, a re-test decides. */
struct delist_request {
	int64_t		 id;
	const char	*addr, *contact, *note;
	const char	*state;		/* pending retesting delisted refused */
	int64_t		 created, updated, not_before;
	int		 tries;
	int64_t		 probe_id;	/* the latest re-test */
	int64_t		 decided;
	const char	*decision;	/* why delisted or refused */
};
/*
 * Record a request.  One open request (pending or retesting) per
 * address: if there is one, *id is it and *existing = 1.  At most
 * contact_limit open requests per contact (then -1, "too many").  The
 * re-test waits until not_before (the caller computes it from the
 * re-test interval).
 */
int	 db_request_add(struct db *, const char *addr, const char *contact,
	    const char *note, int64_t not_before, int contact_limit,
	    const char *actor, int64_t *id, int *existing);
int	 db_request_get(struct db *, int64_t id,
	    int (*cb)(const struct delist_request *, void *), void *arg);
/* Newest first; state NULL = any; addr NULL = any. */
int	 db_request_foreach(struct db *, const char *state, const char *addr,
	    int (*cb)(const struct delist_request *, void *), void *arg);
/* pending -> retesting for up to max whose not_before has passed, each
 * with a claim on its address (see db_submission_claim); cb per claimed
 * (after commit). */
int	 db_request_claim(struct db *, int64_t now, int64_t lease_until,
	    const char *owner, int max,
	    int (*cb)(const struct delist_request *, void *), void *arg);
/* Set state, not_before, the re-test probe, and (for delisted/refused)
 * the decision; records an event. */
int	 db_request_set(struct db *, int64_t id, const char *state,
	    int64_t not_before, int64_t probe_id, const char *decision,
	    const char *actor);
/* Events (the audit trail of submissions, requests, probes) about addr,
 * oldest first. */
struct db_event {
	int64_t		 id, ts, ref;
	const char	*kind, *addr, *actor, *what, *why;
};
int	 db_events_addr(struct db *, const char *addr,
	    int (*cb)(const struct db_event *, void *), void *arg);
/* Evidence ports of probe listings whose newest run on that port
 * finished before 'before', with no submission queued or probing and no
 * claim: due for the periodic re-test.  At most max rows, by address. */
int	 db_listing_retest_due(struct db *, int64_t before, int max,
	    int (*cb)(const char *addr, int port, void *), void *arg);

/* Counts for orblctl stats: one callback per (group, key, count).
 * Groups: "source" (listings by source), "age" (listings by age:
 * "1d", "7d", "30d", "older"), "requests" (by state), "probes" (runs
 * finished since 'since', by verdict). */
int	 db_stats(struct db *, int64_t now, int64_t since,
	    int (*cb)(const char *group, const char *key, int64_t n, void *),
	    void *arg);

/* meta: small key/value settings.  get: DB_NOTFOUND if absent; the value
 * is copied into buf (truncated to len). */
int	 db_meta_get(struct db *, const char *key, char *buf, size_t len);
int	 db_meta_set(struct db *, const char *key, const char *value);
/* Remove key (its bytes overwritten: secure_delete).  DB_NOTFOUND if it
 * was not there. */
int	 db_meta_delete(struct db *, const char *key);

#endif
