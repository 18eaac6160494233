/*
 * db_int.h -- private to the db layer (db.c, db_probe.c): the connection,
 * the statement table and the helpers every query uses.
 */
#ifndef ORBL_DB_INT_H
#define ORBL_DB_INT_H

#include <sqlite3.h>

#include "db.h"

enum stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BEGIN_READ,
	ST_SERIAL, ST_DATA_VERSION,
	ST_LISTING_GET, ST_LISTING_UPSERT, ST_LISTING_DELETE,
	ST_LISTING_ALL, ST_LISTING_ALL_ORDERED, ST_LISTING_ACTIVE,
	ST_LISTING_ACTIVE_ORDERED, ST_LISTING_NEXT_EXPIRY, ST_LISTING_COUNT,
	ST_JOURNAL_ADD, ST_JOURNAL_AT, ST_JOURNAL_SINCE,
	ST_META_GET, ST_META_SET, ST_META_DELETE,
	ST_SUB_ADD, ST_SUB_GET, ST_SUB_ALL, ST_SUB_STATE, ST_SUB_CLAIMABLE,
	ST_SUB_CLAIM, ST_SUB_SET, ST_SUB_COUNTS,
	ST_SUB_COUNT_SINCE, ST_EVENT_ADD,
	ST_PROBE_BEGIN, ST_PROBE_FINISH, ST_PROBE_CONFIRM, ST_PROBE_GET,
	ST_PROBE_ADDR, ST_PROBE_TESTS_DEL, ST_PROBE_TEST_ADD, ST_PROBE_TESTS,
	ST_ARRIVAL_USED, ST_ARRIVAL_ADD,
	ST_REQ_OPEN_ADDR, ST_REQ_OPEN_CONTACT, ST_REQ_ADD, ST_REQ_GET,
	ST_REQ_ALL, ST_REQ_CLAIMABLE, ST_REQ_CLAIM, ST_REQ_SET, ST_EVENTS_ADDR,
	ST_RETEST_DUE, ST_STATS, ST_LISTING_LEAN,
	/* db_claim.c and the evidence of probe listings */
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
	int		 busy_ms;	/* busy_timeout in force */
	char		 err[512];
};

void		 db_seterr(struct db *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 db_fail(struct db *, const char *what);
sqlite3_stmt	*db_stmt(struct db *, enum stmt);
int		 db_step_done(struct db *, sqlite3_stmt *, const char *what);
int		 db_tx_enter(struct db *, int *own);
int		 db_tx_leave(struct db *, int own, int rc);
const char	*col_text(sqlite3_stmt *, int);
void		 bind_text_or_null(sqlite3_stmt *, int, const char *);
void		 bind_int_or_null(sqlite3_stmt *, int, int64_t);
char		*dupn(const char *);
/* Take the claim on addr for a unit of work inside the open transaction:
 * 0 taken, 1 another holds it, -1 error. */
int		 db_claim_insert(struct db *, const char *addr,
		    const char *kind, int64_t ref, const char *owner,
		    int64_t now, int64_t lease_until);
/* The same for the address of submission or request id (kind): 0 taken,
 * 1 held by another run (or the unit is gone), -1 error. */
int		 db_claim_unit(struct db *, const char *kind, int64_t id,
		    const char *owner, int64_t now, int64_t lease_until);
int		 db_event_add(struct db *, const char *kind, int64_t ref,
		    const char *addr, const char *actor, const char *what,
		    const char *why);

#endif
