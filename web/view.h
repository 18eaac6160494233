/*
 * view.h -- what orbl-web shows, read from the database into plain
 * structs that the HTML pages (page.c) and the JSON API (api.c) both
 * render: one reading, two forms.
 *
 * A lookup: the decision (core/lookup.c, the same as orblctl lookup),
 * the evidence (the probe that confirmed the relay: its tests, which one
 * relayed, when the test mail arrived and from where, its Received
 * chain, the transcript), the recent probes, the events and the delisting
 * requests about the address.  A submission or a delisting request: its
 * row and the probe it led to.  Everything is copied: a view outlives the
 * database calls.  Never logs.
 */
#ifndef ORBL_WEB_VIEW_H
#define ORBL_WEB_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define VIEW_PROBES	10	/* runs listed on a lookup page */
#define VIEW_REQUESTS	10	/* delisting requests listed */
#define VIEW_EVENTS	200	/* newest events kept */

struct db;
struct lookup;

struct view_test {
	int		 test_id;
	char		*name, *mail_from, *rcpt_to;
	char		*mail_reply, *rcpt_reply, *data_reply, *verdict;
	int64_t		 arrived;
	char		*arrived_from, *received;
};

struct view_probe {
	int64_t		 id, started, finished;
	int64_t		 submission_id, request_id;
	int		 port, relayed_test;
	char		*verdict, *hops, *output_addr, *transcript;
	struct view_test *tests;	/* loaded for the evidence only */
	size_t		 ntests;
};

struct view_event {
	int64_t		 ts, ref;
	char		*kind, *what, *actor, *why;
};

struct view_sub {
	int64_t		 id, created, updated, not_before, probe_id;
	int		 port, tries;
	char		*addr, *state, *result;
};

struct view_req {
	int64_t		 id, created, updated, not_before, probe_id, decided;
	int		 tries;
	char		*addr, *contact, *state, *decision;
};

struct view {
	/* lookup */
	struct lookup		*lk;
	struct view_probe	*probes;	/* newest first */
	size_t			 nprobes;
	struct view_event	*events;	/* oldest first */
	size_t			 nevents;
	struct view_req		*reqs;		/* newest first */
	size_t			 nreqs;
	/* submission / request */
	struct view_sub		 sub;
	struct view_req		 req;
	/* The evidence of a lookup, the probe of a submission, the re-test
	 * of a request (NULL: none), with its tests. */
	struct view_probe	*probe;
	/* strings owned by the view */
	char			**own;
	size_t			 nown, capown;
};

/*
 * Fill v (zeroed first).  0, DB_NOTFOUND (no such submission or
 * request), or -1 on a database error (db_errmsg(db)).
 */
int	 view_lookup(struct view *, struct db *, const struct addr *ip,
	    const char *default_reason, int64_t now, char *err,
	    size_t errlen);
int	 view_submission(struct view *, struct db *, int64_t id);
int	 view_request(struct view *, struct db *, int64_t id);
void	 view_clear(struct view *);

/* "a***@example.org": enough for an owner to recognise, not a harvest. */
void	 view_mask_contact(const char *, char *buf, size_t len);
/* What the public sees of an actor: "web", "operator", "prober". */
const char *view_public_actor(const char *actor);
/* Verdicts and states in words for people. */
const char *view_verdict_words(const char *verdict);

#endif
