/*
 * relay_tests.h -- the relay test battery: the historical address tricks
 * (nmap smtp-open-relay, the abuse.net relay test, DSBL relaytest,
 * rlytest).  Each test has a stable id that the evidence names.  Every
 * recipient routes to the sink mailbox and nowhere else.
 */
#ifndef ORBL_RELAY_TESTS_H
#define ORBL_RELAY_TESTS_H

#include <stddef.h>

/* The values the templates are expanded with. */
struct relay_params {
	const char	*sink_domain;	/* S: the sink's mail domain */
	const char	*sink_local;	/* P: the sink mailbox local part */
	const char	*target_domain;	/* T: from the banner, or NULL/"" */
	const char	*target_ip;	/* the target address, "192.0.2.1" or
					   "2001:db8::1" (IP = "[...]" or
					   "[IPv6:...]" is derived) */
	const char	*from_local;	/* F: sender local part */
	const char	*prober_domain;	/* Q: the prober's own domain */
};

struct relay_test {
	int		 id;		/* stable: 1..N */
	const char	*name;		/* "percent hack via own domain" */
	const char	*mail_from;	/* template, e.g. "<F@IP>" */
	const char	*rcpt_to;	/* template, e.g. "<P%S@T>";
					   upper case letters are
					   placeholders: S P T IP F Q */
};

/* The battery, in the order it is run. */
size_t			 relay_test_count(void);
/* NULL past the end / for an unknown id. */
const struct relay_test	*relay_test_at(size_t i);
const struct relay_test	*relay_test_by_id(int id);

/*
 * Does d look like a domain name: dot-separated labels of letters, digits
 * and inner '-', each 1..63 bytes, 253 in all, no trailing dot, and a last
 * label that is not all digits (so "192.0.2.1" is not one)?  The session
 * checks the banner's domain with it and passes NULL for T when it fails.
 */
int	 relay_domain_valid(const char *d);
/*
 * Is l a safe local part: 1..64 bytes of letters, digits, '-', '_', '+',
 * '=' and inner single dots (nothing that routes: no @ % ! : " < >)?
 */
int	 relay_local_valid(const char *l);

/*
 * Expand a test's templates into the literal arguments of "MAIL FROM:"
 * and "RCPT TO:" (brackets and quotes included, as sent).  When T is
 * unknown, the IP literal stands in for it.  Returns 0, or -1 (from and
 * rcpt set to "") if a result would not fit or a parameter is missing or
 * unsafe: S, P, F, Q and the target IP are required, T optional; domains
 * must pass relay_domain_valid(), local parts relay_local_valid(), the
 * target IP must be an IPv4 or IPv6 address.  So no parameter can carry
 * CR, LF, NUL, space, '<', '>', non-ASCII or a routing character.
 */
int	 relay_test_expand(const struct relay_test *,
	    const struct relay_params *, char *from, size_t fromlen,
	    char *rcpt, size_t rcptlen);

#endif
