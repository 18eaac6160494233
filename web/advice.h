/*
 * advice.h -- what the lookup page tells the owner of an address to do,
 * by how it is listed (the entry's source, read by core/lookup.c):
 *
 *	retest		a relay test listed this address: close the relay,
 *			then request delisting (a re-test removes it);
 *	operator	the operator listed it by hand or by an import: a
 *			re-test changes nothing; ask the operator, who
 *			wrote the reason;
 *	range		it is in a listed range: the same, for the range;
 *	not-listed	not listed (or excluded): nothing to remove; test a
 *			server or check the other lists;
 *	test-point	127.0.0.1 and 127.0.0.2 (RFC 5782): nothing to do.
 *
 * The operator's address is the zone's SOA RNAME as a mailbox (RFC 1035
 * 8: the first label is the local part): soa_rname, else hostmaster.<the
 * first zone>, which orbl-dnsd serves.  Pure: no I/O.
 */
#ifndef ORBL_WEB_ADVICE_H
#define ORBL_WEB_ADVICE_H

#include <stddef.h>

struct conf;
struct lookup;

enum advice {
	ADVICE_NOT_LISTED,
	ADVICE_TESTPOINT,
	ADVICE_RETEST,
	ADVICE_OPERATOR,
	ADVICE_RANGE
};

enum advice	 advice_of(const struct lookup *);
/* "retest", "operator", ... (the API's words). */
const char	*advice_name(enum advice);
/* The operator's mailbox into buf ("" when the name has no second
 * label); returns buf. */
char		*advice_contact(const struct conf *, char *buf, size_t len);

#endif
