/*
 * action.h -- the changes orbl-web makes, for the HTML forms and the JSON
 * API alike: submit a server and request delisting (by core/policy.c's
 * rules, the same code orblctl runs), and the operator's remove (the
 * admin API; the same db call as orblctl remove, journal actor
 * "web-admin").
 *
 * Each validates its parameters and returns an HTTP status: 200/201 done,
 * 4xx refused (err says why, for the visitor), 429 limited (*retry
 * seconds), 503 database trouble (err has the database's message).  They
 * send nothing: the caller answers in its own language.
 */
#ifndef ORBL_WEB_ACTION_H
#define ORBL_WEB_ACTION_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct form;
struct wreq;

#define ACTION_REMOVE_IDS	64

struct action_remove {
	char		 cidr[ADDR_STRLEN];
	int64_t		 answered[ACTION_REMOVE_IDS];	/* requests closed */
	int		 nanswered;
};

int	 action_submit(struct wreq *, const struct form *, int *port,
	    struct policy_submit *, int64_t *retry, char *err, size_t errlen);
int	 action_delist(struct wreq *, const struct form *,
	    struct policy_request *, int64_t *retry, char *err,
	    size_t errlen);
int	 action_remove(struct wreq *, const struct form *,
	    struct action_remove *, char *err, size_t errlen);

/* Answer a failed action (status and err as returned). */
void	 action_fail(struct wreq *, int status, int64_t retry,
	    const char *err);

#endif
