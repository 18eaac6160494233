/*
 * acl.c -- see acl.h.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "acl.h"

int
cidr_list_parse(struct cidr_list *l, const char *key, char *const *values,
    int n, char *err, size_t errlen)
{
	char	 e[128];
	int	 i;

	memset(l, 0, sizeof(*l));
	if (n > CONF_MAX_LIST)
		n = CONF_MAX_LIST;
	for (i = 0; i < n; i++) {
		if (addr_parse(values[i], &l->net[i], e, sizeof(e)) == -1) {
			snprintf(err, errlen, "%s: '%s': %s", key, values[i],
			    e);
			return -1;
		}
	}
	l->n = n;
	return 0;
}

static int
prefix_match(const struct addr *net, const struct src *s)
{
	int	 full = net->prefix / 8, rest = net->prefix % 8;
	uint8_t	 mask;

	if (net->family != s->family)
		return 0;
	if (memcmp(net->a, s->ip, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (net->a[full] & mask) == (s->ip[full] & mask);
}

int
cidr_match(const struct cidr_list *l, const struct src *s)
{
	int	 i;

	for (i = 0; i < l->n; i++)
		if (prefix_match(&l->net[i], s))
			return 1;
	return 0;
}

int
acl_init(struct acl *a, const struct conf *c, char *err, size_t errlen)
{
	const char	*act = c->query_deny_action ? c->query_deny_action :
			    "refuse";

	memset(a, 0, sizeof(*a));
	if (cidr_list_parse(&a->allow, "query_allow", c->query_allow,
	    c->nquery_allow, err, errlen) == -1 ||
	    cidr_list_parse(&a->deny, "query_deny", c->query_deny,
	    c->nquery_deny, err, errlen) == -1)
		return -1;
	if (strcmp(act, "refuse") == 0)
		a->action = ACL_REFUSE;
	else if (strcmp(act, "drop") == 0)
		a->action = ACL_DROP;
	else if (strcmp(act, "blocked") == 0)
		a->action = ACL_BLOCKED;
	else {
		snprintf(err, errlen, "query_deny_action: '%s': not refuse, "
		    "drop or blocked", act);
		return -1;
	}
	a->active = a->allow.n > 0 || a->deny.n > 0;
	return 0;
}

void
src_from_sockaddr(struct src *s, const void *sa)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const struct sockaddr_in	*in4 = sa;
	const struct sockaddr_in6	*in6 = sa;

	memset(s, 0, sizeof(*s));
	if (in4->sin_family == AF_INET) {
		s->family = 4;
		memcpy(s->ip, &in4->sin_addr, 4);
	} else if (in6->sin6_family == AF_INET6) {
		if (memcmp(&in6->sin6_addr, mapped, sizeof(mapped)) == 0) {
			s->family = 4;
			memcpy(s->ip, (const uint8_t *)&in6->sin6_addr + 12,
			    4);
		} else {
			s->family = 6;
			memcpy(s->ip, &in6->sin6_addr, 16);
		}
	}
}

size_t
src_format(const struct src *s, char *buf, size_t len)
{
	if (s->family == 0 || inet_ntop(s->family == 4 ? AF_INET : AF_INET6,
	    s->ip, buf, (socklen_t)len) == NULL) {
		snprintf(buf, len, "?");
		return strlen(buf);
	}
	return strlen(buf);
}
