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

#define DB_SCHEMA_VERSION	1

#define DB_RDONLY	0x01	/* read-only connection (orbl-dnsd) */
#define DB_CREATE	0x02	/* create the file and schema if missing */

#define DB_NOTFOUND	1

#define DB_CODE_DEFAULT	0x7f000002u	/* 127.0.0.2 */

struct db;

struct db	*db_open(const char *path, int flags, char *err, size_t errlen);
void		 db_close(struct db *);
const char	*db_errmsg(const struct db *);
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
	int64_t		 id;
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
 * journal).  An identical entry already there is left alone: *changed = 0
 * and no journal row.  changed may be NULL.
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

/* meta: small key/value settings.  get: DB_NOTFOUND if absent; the value
 * is copied into buf (truncated to len). */
int	 db_meta_get(struct db *, const char *key, char *buf, size_t len);
int	 db_meta_set(struct db *, const char *key, const char *value);

#endif
