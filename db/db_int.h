/*
 * db_int.h -- private to the db layer (db.c, db_listing.c, db_import.c,
 * db_probe.c, db_request.c, db_claim.c): the connection, the statement
 * table's indices and the helpers every query uses.
 */
#ifndef ORBL_DB_INT_H
#define ORBL_DB_INT_H

#include <sqlite3.h>

#include "db.h"

#define DB_STRC		8	/* texts interned cached per connection */
#define DB_IMP_BATCH	64	/* entries a staging statement writes */
#define DB_NET_KEYMAX	18	/* the longest key: see db_net_key */

/* Indices into the statement table (db.c), grouped by the file that
 * mostly runs them; some are shared across files. */
enum stmt {
	/* db.c: transactions, the connection, meta */
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BEGIN_READ,
	ST_DATA_VERSION,
	ST_META_GET, ST_META_SET, ST_META_DELETE,
	/* db_listing.c: listings and the journal */
	ST_SERIAL,
	ST_LISTING_GET, ST_LISTING_UPSERT, ST_LISTING_DELETE,
	ST_LISTING_ALL, ST_LISTING_ALL_ORDERED, ST_LISTING_ACTIVE,
	ST_LISTING_ACTIVE_ORDERED, ST_LISTING_NEXT_EXPIRY, ST_LISTING_COUNT,
	ST_LISTING_LEAN,
	ST_JOURNAL_ADD, ST_JOURNAL_AT, ST_JOURNAL_SINCE,
	ST_STR_GET, ST_STR_ADD, ST_STR_TEXT,
	/* db_import.c: the bulk import */
	ST_IMP_STAGE, ST_IMP_STAGE_BATCH, ST_IMP_WINNERS, ST_IMP_CLASSIFY, ST_IMP_INSERT,
	ST_IMP_UPDATE, ST_IMP_JOURNAL, ST_IMP_COUNTS, ST_IMP_DUPS,
	ST_IMP_STALE, ST_IMP_STALE_NEXT,
	/* db_probe.c: submissions, probes, their tests, arrivals, events */
	ST_SUB_ADD, ST_SUB_GET, ST_SUB_ALL, ST_SUB_STATE, ST_SUB_CLAIMABLE,
	ST_SUB_CLAIM, ST_SUB_SET, ST_SUB_COUNTS,
	ST_SUB_COUNT_SINCE, ST_EVENT_ADD,
	ST_PROBE_BEGIN, ST_PROBE_FINISH, ST_PROBE_CONFIRM, ST_PROBE_GET,
	ST_PROBE_ADDR, ST_PROBE_TESTS_DEL, ST_PROBE_TEST_ADD, ST_PROBE_TESTS,
	ST_ARRIVAL_USED, ST_ARRIVAL_ADD,
	/* db_request.c: delisting requests, events by address, re-tests */
	ST_REQ_OPEN_ADDR, ST_REQ_OPEN_CONTACT, ST_REQ_ADD, ST_REQ_GET,
	ST_REQ_ALL, ST_REQ_CLAIMABLE, ST_REQ_CLAIM, ST_REQ_SET, ST_EVENTS_ADDR,
	ST_RETEST_DUE, ST_STATS, ST_REQ_COUNTS,
	/* db_claim.c: claims, evidence, the bounded reads of a run */
	ST_CLAIM_TAKE, ST_CLAIM_RELEASE, ST_CLAIM_EXPIRED, ST_CLAIM_GET,
	ST_SUB_UNCLAIM, ST_REQ_UNCLAIM,
	ST_EVIDENCE_PUT, ST_EVIDENCE_PUT_PROBE, ST_EVIDENCE_DEL,
	ST_EVIDENCE_PORTS, ST_PROBE_COUNT_NET, ST_ARRIVALS_SINCE,
	ST_ARRIVAL_COUNT, ST_PROBE_TEST_ACCEPTED,
	ST_COUNT
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST_COUNT];
	int		 rdonly;
	int		 in_tx;		/* db_begin() is open */
	int		 version_found;
	int		 busy;		/* the last failure: locked */
	int		 busy_ms;	/* busy timeout in force */
	/*
	 * What the busy handler did (db.c, db_busy_wait), for the tests
	 * to see that a locked call waited out its own timeout:
	 * busy_calls counts every call of the handler on this connection;
	 * busy_waited is the wait its schedule added up to for the last
	 * lock met (equal to busy_ms once it gave up).
	 */
	int		 busy_calls;
	int		 busy_waited;
	/* For the daemons' metrics (db_busy_counts): locks met, calls
	 * that gave up, milliseconds slept in all. */
	uint64_t	 busy_locks, busy_given_up, busy_slept_ms;
	/*
	 * The last texts interned (db_str_id): an import writes the same
	 * reason, actor and why on every row.  Emptied by a rollback, which
	 * may have taken a new str row with it.
	 */
	struct {
		char		*s;
		int64_t		 id;
	}		 strc[DB_STRC];
	unsigned int	 strc_next;
	uint64_t	 imp_staged;	/* db_import_stage() calls */
	struct imp_row {		/* staged, not yet written */
		uint8_t		 k[DB_NET_KEYMAX];
		int		 klen, exclude;
		uint32_t	 code;
		int64_t		 reason;
	}		 imp_buf[DB_IMP_BATCH];
	int		 imp_nbuf;
	char		 err[512];
};

void		 db_seterr(struct db *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 db_fail(struct db *, const char *what);
sqlite3_stmt	*db_stmt(struct db *, enum stmt);
int		 db_step_done(struct db *, sqlite3_stmt *, const char *what);
/* Step s for one integer (column 0; 0 if no row): 0 or -1. */
int		 db_step_int(struct db *, sqlite3_stmt *, int64_t *,
		    const char *what);
/* Run the one-row statement st for n integers (columns 0..n-1; all 0
 * if no row): 0 or -1. */
int		 db_step_counts(struct db *, enum stmt st, int64_t *counts,
		    int n, const char *what);
/* Step s for one text (column col) copied into *out (NULL if the value
 * is NULL): 0, DB_NOTFOUND without a row, or -1. */
int		 db_step_dup(struct db *, sqlite3_stmt *, int col, char **out,
		    const char *what);
int		 db_tx_enter(struct db *, int *own);
int		 db_tx_leave(struct db *, int own, int rc);
/* db_tx_leave() for a call whose DB_NOTFOUND or DB_CLAIMED is an answer,
 * not a failure: what was done stands and the answer is returned. */
int		 db_tx_answer(struct db *, int own, int rc);
const char	*db_col_text(sqlite3_stmt *, int);
void		 db_bind_text_or_null(sqlite3_stmt *, int, const char *);
void		 db_bind_int_or_null(sqlite3_stmt *, int, int64_t);
/* The id of text s in str, added if new, inside the open transaction
 * (NULL: *id = 0).  0 or -1. */
int		 db_str_id(struct db *, const char *s, int64_t *id);
/* Forget the cached ids (db_str_id): after a rollback. */
void		 db_str_forget(struct db *);
/* The SQL functions of the layer (orbl_net(), orbl_net_text()): the
 * migration to schema 3 and the evidence join use them.  0 or -1. */
int		 db_listing_functions(struct db *);
/*
 * The key of listing.net and journal.net (schema.sql): the family, the
 * address bytes (4 for IPv4, 16 for IPv6), the prefix length; compared
 * as bytes it sorts as addr_cmp() does, so the table's order is the
 * export's order.  db_net_key writes it into k (DB_NET_KEYMAX bytes) and
 * returns its length; db_net_unkey reads one back: 0, or -1 (a zeroed
 * address) if the bytes are not a key.
 */
int		 db_net_key(const struct addr *, uint8_t *k);
int		 db_net_unkey(const void *, int len, struct addr *);
/* The default code is stored as NULL: 4 bytes less on every row. */
uint32_t	 db_col_code(sqlite3_stmt *, int col);
void		 db_bind_code(sqlite3_stmt *, int i, uint32_t code);
/* A journal row with its texts as str ids (0: NULL). */
struct db_jrow {
	int64_t		 ts;
	int		 exclude;
	uint32_t	 code;
	int64_t		 reason, actor, why;
	const char	*source;
	int64_t		 expires;
};
int		 db_journal_row(struct db *, const char *op, const uint8_t *k,
		    int klen, const struct db_jrow *);
int		 db_event_add(struct db *, const char *kind, int64_t ref,
		    const char *addr, const char *actor, const char *what,
		    const char *why);

/*
 * A kind of queued work that a run claims (db_claim.c): a submission
 * (queued -> probing) or a delisting request (pending -> retesting).
 */
struct claim_kind {
	const char	*name;		/* claim.kind and event.kind */
	const char	*waiting;	/* its state before a claim */
	const char	*running;	/* and while one holds it */
	enum stmt	 get;		/* by id (?1), its address column 1 */
	enum stmt	 claimable;	/* ids to claim (?1 now, ?2 at most) */
	enum stmt	 claim;		/* waiting -> running (?1 id, ?2 now),
					   RETURNING the row */
	enum stmt	 unclaim;	/* running -> waiting (?1 id, ?2 now) */
};
extern const struct claim_kind	 db_kind_submission, db_kind_request;

/* Take the claim on addr for a unit of work inside the open transaction:
 * 0 taken, 1 another holds it, -1 error. */
int		 db_claim_insert(struct db *, const char *addr,
		    const char *kind, int64_t ref, const char *owner,
		    int64_t now, int64_t lease_until);
/*
 * One claiming transaction of db_submission_claim and db_request_claim:
 * up to max units of kind k that are due at now, each with the claim on
 * its address (a unit whose address another run holds is passed over),
 * moved to k->running with an event.  take() copies each claimed row
 * (RETURNING k's columns) out of SQLite and returns the copy's address;
 * it is called inside the transaction, which is committed before this
 * returns, so the caller hands its copies to its callback after.
 * 0 or -1 (rolled back: the copies taken are not to be handed out).
 */
int		 db_claim_batch(struct db *, const struct claim_kind *k,
		    int64_t now, int64_t lease_until, const char *owner,
		    int max, const char *(*take)(sqlite3_stmt *, void *),
		    void *arg);

#endif
