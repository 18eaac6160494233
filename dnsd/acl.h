/*
 * acl.h -- who may query orbl-dnsd: the query_allow / query_deny CIDR
 * lists and what a denied source gets (query_deny_action), plus the CIDR
 * list matcher that rrl_exempt shares.
 *
 * Built once from the configuration (control path); acl_allowed() and
 * cidr_match() are the hot path: a scan of at most CONF_MAX_LIST
 * prefixes, no allocation, no lock.
 */
#ifndef ORBL_ACL_H
#define ORBL_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"

/* A query's source address: family 4 or 6, network order. */
struct src {
	int		 family;
	uint8_t		 ip[16];	/* IPv4 in ip[0..3] */
};

struct cidr_list {
	struct addr	 net[CONF_MAX_LIST];
	int		 n;
};

enum acl_action {
	ACL_REFUSE,	/* REFUSED */
	ACL_DROP,	/* no reply */
	ACL_BLOCKED	/* A 127.255.255.254 + TXT for names in the zone */
};

struct acl {
	struct cidr_list allow, deny;
	enum acl_action	 action;
	int		 active;	/* any list set: check each query */
};

/*
 * Parse the n CIDRs of key (a configuration key's values) into l.
 * Returns 0, or -1 with the key and the bad value in err.
 */
int	 cidr_list_parse(struct cidr_list *l, const char *key,
	    char *const *values, int n, char *err, size_t errlen);
/* Does any prefix of l contain s? */
int	 cidr_match(const struct cidr_list *l, const struct src *s);

/* From query_allow, query_deny, query_deny_action.  0, or -1 + err. */
int	 acl_init(struct acl *, const struct conf *, char *err, size_t errlen);
/*
 * May s query: not in query_deny and, when query_allow is set, in it.
 * (Deny wins: an operator denies a part of an allowed network.)
 */
static inline int
acl_allowed(const struct acl *a, const struct src *s)
{
	if (!a->active)
		return 1;
	if (cidr_match(&a->deny, s))
		return 0;
	return a->allow.n == 0 || cidr_match(&a->allow, s);
}

/* A source from a socket address (IPv4-mapped IPv6 becomes IPv4). */
void	 src_from_sockaddr(struct src *, const void *sa);
/* Its text for the TXT answers' '$'. */
size_t	 src_format(const struct src *, char *buf, size_t len);

#endif
