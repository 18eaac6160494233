/*
 * edns_cookie.h -- DNS cookies (RFC 7873) with the interoperable server
 * cookie of RFC 9018: version 1, 3 reserved bytes, a 32-bit timestamp
 * and an 8-byte SipHash-2-4 of (client cookie, version, reserved,
 * timestamp, client address) under a 16-byte secret.
 *
 * The secret is random per process start (RAND_bytes, server.c): a
 * restart invalidates the cookies handed out, which costs a client one
 * round trip with a fresh one, and needs no configuration.  SipHash is
 * what RFC 9018 specifies, and our own implementation (siphash.c) needs
 * no context or allocation per query, unlike libcrypto's EVP_MAC.
 *
 * Pure functions: the hot path calls them with the query's parsed
 * COOKIE option.
 */
#ifndef ORBL_EDNS_COOKIE_H
#define ORBL_EDNS_COOKIE_H

#include <stdint.h>

#include "acl.h"
#include "query.h"
#include "siphash.h"

#define COOKIE_SERVER_LEN	16	/* ours, RFC 9018 */
#define COOKIE_MAXAGE		3600	/* older server cookies are invalid */
#define COOKIE_FUTURE		300	/* so are ones from further ahead */
#define COOKIE_REFRESH		1800	/* echo a valid one younger than this */

enum cookie_state {
	COOKIE_NONE,		/* no COOKIE option */
	COOKIE_CLIENT,		/* a client cookie only, or a server cookie
				   that is not valid (not ours, expired) */
	COOKIE_VALID		/* a server cookie of ours: the source is
				   not spoofed */
};

/*
 * Look at q's COOKIE option from s at time now (Unix seconds) and write
 * the cookie to send back into out (client cookie + server cookie, *outlen
 * bytes; 0 when the query had none).
 */
enum cookie_state edns_cookie(const uint8_t secret[SIPHASH_KEYLEN],
	    const struct query *q, const struct src *s, uint32_t now,
	    uint8_t out[QUERY_COOKIE_CLIENT + COOKIE_SERVER_LEN],
	    uint8_t *outlen);

#endif
