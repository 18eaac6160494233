/*
 * policy.h -- the rules for taking a submission or a delisting request,
 * in one place for every front end (orblctl, orbl-web):
 *
 *  - submission: the target must pass target_check; a submitter may
 *    submit submit_limit servers an hour; an address tested less than
 *    retest_interval ago with a conclusive verdict is not queued again
 *    (the last verdict is the answer);
 *  - delisting request: only for an address listed by a relay test (a
 *    re-test cannot change an operator's entry, and an unlisted address
 *    needs no test); a plausible contact address; one open request per
 *    address (a second one gets the open one); request_contact_limit
 *    open requests per contact; the re-test waits until retest_interval
 *    after the last run on the evidence's ports (and the answer says
 *    until when).
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

/* policy_submit flags */
#define POLICY_FORCE	0x01	/* operator: no rate limit, no "stands" */
#define POLICY_OPERATOR	0x02	/* operator: any port */

#define POLICY_PORTS_MAX	16	/* evidence ports looked at */
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
 * Was addr tested on port (0: any port) less than retest_interval before
 * now with a conclusive verdict (not tempfail, unreachable or timeout),
 * or less than tempfail_retry before now with an inconclusive one?  Then
 * that verdict stands: 1 with last_probe, last_finished and last_verdict
 * of out set; 0 if a new run is due; -1 on a database error.  A verdict
 * on one port says nothing about another.
 */
int	 policy_recent_verdict(const struct conf *, struct db *,
	    const char *addr, int port, int64_t now, struct policy_submit *out);

/*
 * Take a submission of addr:port.  flags: POLICY_OPERATOR (orblctl: any
 * port; a public front end may name only probe_ports), POLICY_FORCE (no
 * submit_limit, queue even when a recent verdict stands).
 */
int	 policy_submit(const struct conf *, struct db *, const char *addr,
	    int port, const char *submitter, const char *client,
	    const char *actor, int flags, int64_t now,
	    struct policy_submit *, char *err, size_t errlen);
/* Is port one a public submission may name (probe_ports)? */
int	 policy_port_public(const struct conf *, int port);
/* probe_ports as text, "25, 587" (a static buffer). */
const char *policy_ports_text(const struct conf *);
/* The politeness network of a: a's /prefix_len4 or /prefix_len6. */
void	 policy_politeness_net(const struct conf *, const struct addr *a,
	    struct addr *net);
/* Have prefix_limit runs started in addr's politeness network in the last
 * hour (whatever started them)?  1 yes (wait), 0 no, -1 database error. */
int	 policy_politeness(const struct conf *, struct db *, const char *addr,
	    int64_t now);

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
