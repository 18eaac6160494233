/*
 * policy.h -- the rules for taking a submission or a delisting request,
 * in one place for every front end (orblctl, orbl-web):
 *
 *  - submission: the target must pass target_check; a submitter may
 *    submit submit_limit servers an hour; an address tested less than
 *    retest_interval ago with a conclusive verdict is not queued again
 *    (the last verdict is the answer);
 *  - delisting request: a plausible contact address; one open request
 *    per address (a second one gets the open one); request_contact_limit
 *    open requests per contact; the re-test waits until retest_interval
 *    after the last run (and the answer says until when).
 */
#ifndef ORBL_POLICY_H
#define ORBL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct conf;
struct db;

#define POLICY_OK	0
#define POLICY_REFUSED	-1	/* the rules say no: err says why */
#define POLICY_ERROR	-2	/* the database failed: err says why */
#define POLICY_LIMITED	-3	/* a rate limit: err says why; try again
				   later (HTTP 429) */

#define POLICY_CONTACT_MAX	254
#define POLICY_NOTE_MAX		1000

struct policy_submit {
	char		 addr[ADDR_STRLEN];	/* canonical */
	int		 queued;		/* 0: the last verdict stands */
	int64_t		 submission_id;
	int64_t		 last_probe;		/* when not queued */
	int64_t		 last_finished;
	char		 last_verdict[32];
};

/*
 * Was addr tested less than retest_interval before now with a
 * conclusive verdict (not tempfail, unreachable or timeout)?  Then that
 * verdict stands: 1 with last_probe, last_finished and last_verdict of
 * out set; 0 if a new run is due; -1 on a database error.
 */
int	 policy_recent_verdict(const struct conf *, struct db *,
	    const char *addr, int64_t now, struct policy_submit *out);

int	 policy_submit(const struct conf *, struct db *, const char *addr,
	    int port, const char *submitter, const char *client,
	    const char *actor, int force, int64_t now,
	    struct policy_submit *, char *err, size_t errlen);

struct policy_request {
	char		 addr[ADDR_STRLEN];
	int64_t		 id;
	int		 existing;	/* an open request was there already */
	int64_t		 not_before;	/* the re-test waits until then (0) */
};

int	 policy_delist_request(const struct conf *, struct db *,
	    const char *addr, const char *contact, const char *note,
	    const char *actor, int64_t now, struct policy_request *,
	    char *err, size_t errlen);
/*
 * An operator removes the entry for exactly net: the removal (journal:
 * actor, why) and the answer "delisted" to every open delisting request
 * for that entry, in one transaction.  The ids of the answered requests
 * go to answered[] (at most max; *nanswered).  Returns 0, DB_NOTFOUND,
 * or -1 (db_errmsg).
 */
int	 policy_operator_remove(struct db *, const struct addr *net,
	    const char *actor, const char *why, int64_t *answered, int max,
	    int *nanswered);

/* A plausible mailbox: local@domain.tld, printable, no spaces. */
int	 policy_contact_ok(const char *);

#endif
