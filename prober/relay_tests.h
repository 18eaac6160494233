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
	const char	*rcpt_to;	/* template, e.g. "<P%S@T>" */
};

/* The battery, in the order it is run. */
size_t			 relay_test_count(void);
const struct relay_test	*relay_test_at(size_t i);
const struct relay_test	*relay_test_by_id(int id);

/*
 * Expand a test's templates into the literal arguments of "MAIL FROM:"
 * and "RCPT TO:" (brackets and quotes included, as sent).  When T is
 * unknown, the IP literal stands in for it.  Returns 0, or -1 if a result
 * would not fit or a parameter is missing or unsafe (CR, LF, NUL, space
 * or non-ASCII in a parameter).
 */
int	 relay_test_expand(const struct relay_test *,
	    const struct relay_params *, char *from, size_t fromlen,
	    char *rcpt, size_t rcptlen);

#endif
