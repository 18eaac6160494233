/*
 * relay_tests.c -- the relay test battery and its template expansion.
 *
 * Templates use upper-case placeholders: S (sink domain), P (sink
 * mailbox), T (target domain, or its IP literal when unknown), IP (the
 * target's address literal), F (sender local part), Q (the prober's
 * domain).  Everything else in a template is copied as is.  Parameters
 * are checked before use so that no parameter can add an address
 * delimiter (@ % ! : " < > space) and route a recipient anywhere but the
 * sink.
 *
 * Sender of the recipient tricks: <F@T> when the trick goes through the
 * target's own domain, <F@IP> otherwise (nmap's choice), so that a relay
 * that trusts senders of its own domain is tried either way.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "relay_tests.h"

#define DOMAIN_MAX	253
#define LABEL_MAX	63
#define LOCAL_MAX	64
#define IPLIT_MAX	(sizeof("[IPv6:]") + INET6_ADDRSTRLEN)

static const struct relay_test battery[] = {
	/* Senders, each with the plain recipient. */
	{ 1, "null sender", "<>", "<P@S>" },
	{ 2, "sender in the sink domain", "<F@S>", "<P@S>" },
	{ 3, "sender in the target's own domain", "<F@T>", "<P@S>" },
	{ 4, "sender at the target's IP literal", "<F@IP>", "<P@S>" },
	{ 5, "sender in the prober's domain", "<F@Q>", "<P@S>" },
	{ 6, "unqualified sender", "<F>", "<P@S>" },
	{ 7, "sender at localhost", "<F@localhost>", "<P@S>" },
	{ 8, "sender at the loopback literal", "<F@[127.0.0.1]>", "<P@S>" },
	{ 9, "bang path sender via the prober's domain", "<Q!F>", "<P@S>" },
	{ 10, "bang path sender via own domain", "<T!F>", "<P@S>" },
	/* Recipient tricks. */
	{ 11, "quoted recipient", "<F@IP>", "<\"P@S\">" },
	{ 12, "quoted percent hack", "<F@IP>", "<\"P%S\">" },
	{ 13, "percent hack via own domain", "<F@T>", "<P%S@T>" },
	{ 14, "percent hack via IP literal", "<F@IP>", "<P%S@IP>" },
	{ 15, "unqualified percent hack", "<F@IP>", "<P%S>" },
	{ 16, "double at via own domain", "<F@T>", "<P@S@T>" },
	{ 17, "double at via IP literal", "<F@IP>", "<P@S@IP>" },
	{ 18, "quoted recipient via own domain", "<F@T>", "<\"P@S\"@T>" },
	{ 19, "quoted recipient via IP literal", "<F@IP>", "<\"P@S\"@IP>" },
	{ 20, "source route via own domain", "<F@T>", "<@T:P@S>" },
	{ 21, "source route via IP literal", "<F@IP>", "<@IP:P@S>" },
	{ 22, "bang path", "<F@IP>", "<S!P>" },
	{ 23, "bang path via own domain", "<F@T>", "<S!P@T>" },
	{ 24, "bang path via IP literal", "<F@IP>", "<S!P@IP>" },
	{ 25, "recipient without angle brackets", "<F@IP>", "P@S" },
};

#define BATTERY_N	(sizeof(battery) / sizeof(battery[0]))

size_t
relay_test_count(void)
{
	return BATTERY_N;
}

const struct relay_test *
relay_test_at(size_t i)
{
	return i < BATTERY_N ? &battery[i] : NULL;
}

const struct relay_test *
relay_test_by_id(int id)
{
	size_t	 i;

	for (i = 0; i < BATTERY_N; i++)
		if (battery[i].id == id)
			return &battery[i];
	return NULL;
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

int
relay_domain_valid(const char *d)
{
	size_t	 len, lab = 0, i;
	int	 alldigits = 1;

	if (d == NULL || (len = strlen(d)) == 0 || len > DOMAIN_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		if (d[i] == '.' || d[i] == '\0') {
			/* Empty label, or a label starting/ending with '-'. */
			if (lab == 0 || d[i - lab] == '-' || d[i - 1] == '-')
				return 0;
			if (d[i] == '\0')
				break;
			lab = 0;
			alldigits = 1;
			continue;
		}
		if (!is_alnum((unsigned char)d[i]) && d[i] != '-')
			return 0;
		if (d[i] < '0' || d[i] > '9')
			alldigits = 0;
		if (++lab > LABEL_MAX)
			return 0;
	}
	/* "192.0.2.1" is an address, not a domain: no top-level label is
	 * all digits. */
	return !alldigits;
}

int
relay_local_valid(const char *l)
{
	size_t	 len, i;

	if (l == NULL || (len = strlen(l)) == 0 || len > LOCAL_MAX)
		return 0;
	if (l[0] == '.' || l[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (is_alnum((unsigned char)l[i]) || l[i] == '-' ||
		    l[i] == '_' || l[i] == '+' || l[i] == '=')
			continue;
		if (l[i] == '.' && l[i + 1] != '.')
			continue;
		return 0;
	}
	return 1;
}

/*
 * The target's address literal: "[192.0.2.1]" or "[IPv6:2001:db8::1]",
 * from the address in its canonical text form.  Returns 0, or -1.
 */
static int
ip_literal(const char *ip, char *out, size_t outlen)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	char		 txt[INET6_ADDRSTRLEN];
	const char	*pre;
	size_t		 n;

	if (ip == NULL || strlen(ip) >= sizeof(txt))
		return -1;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		if (inet_ntop(AF_INET, &a4, txt, sizeof(txt)) == NULL)
			return -1;
		pre = "[";
	} else if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (inet_ntop(AF_INET6, &a6, txt, sizeof(txt)) == NULL)
			return -1;
		pre = "[IPv6:";
	} else
		return -1;
	n = strlen(pre) + strlen(txt) + 1;
	if (n + 1 > outlen)
		return -1;
	memcpy(out, pre, strlen(pre));
	memcpy(out + strlen(pre), txt, strlen(txt));
	out[n - 1] = ']';
	out[n] = '\0';
	return 0;
}

struct vals {
	const char	*s, *p, *t, *ip, *f, *q;
};

/* Copy template tpl with the placeholders replaced.  0, or -1. */
static int
expand(const char *tpl, const struct vals *v, char *out, size_t outlen)
{
	const char	*val;
	size_t		 o = 0, n;
	char		 c;

	if (outlen == 0)
		return -1;
	while ((c = *tpl++) != '\0') {
		switch (c) {
		case 'S':
			val = v->s;
			break;
		case 'P':
			val = v->p;
			break;
		case 'T':
			val = v->t;
			break;
		case 'F':
			val = v->f;
			break;
		case 'Q':
			val = v->q;
			break;
		case 'I':
			if (*tpl++ != 'P')
				return -1;
			val = v->ip;
			break;
		default:
			if (c >= 'A' && c <= 'Z')
				return -1;	/* a typo in the table */
			val = NULL;
			break;
		}
		n = val != NULL ? strlen(val) : 1;
		if (n >= outlen - o)
			return -1;
		if (val != NULL)
			memcpy(out + o, val, n);
		else
			out[o] = c;
		o += n;
	}
	out[o] = '\0';
	return 0;
}

int
relay_test_expand(const struct relay_test *rt, const struct relay_params *p,
    char *from, size_t fromlen, char *rcpt, size_t rcptlen)
{
	struct vals	 v;
	char		 iplit[IPLIT_MAX];

	if (from != NULL && fromlen > 0)
		from[0] = '\0';
	if (rcpt != NULL && rcptlen > 0)
		rcpt[0] = '\0';
	if (rt == NULL || p == NULL || from == NULL || rcpt == NULL)
		return -1;
	if (!relay_domain_valid(p->sink_domain) ||
	    !relay_local_valid(p->sink_local) ||
	    !relay_local_valid(p->from_local) ||
	    !relay_domain_valid(p->prober_domain) ||
	    ip_literal(p->target_ip, iplit, sizeof(iplit)) == -1)
		return -1;
	if (p->target_domain != NULL && p->target_domain[0] != '\0' &&
	    !relay_domain_valid(p->target_domain))
		return -1;

	v.s = p->sink_domain;
	v.p = p->sink_local;
	v.ip = iplit;
	v.t = p->target_domain != NULL && p->target_domain[0] != '\0' ?
	    p->target_domain : iplit;
	v.f = p->from_local;
	v.q = p->prober_domain;
	if (expand(rt->mail_from, &v, from, fromlen) == -1 ||
	    expand(rt->rcpt_to, &v, rcpt, rcptlen) == -1) {
		from[0] = '\0';
		rcpt[0] = '\0';
		return -1;
	}
	return 0;
}
