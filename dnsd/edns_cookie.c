/*
 * edns_cookie.c -- see edns_cookie.h.
 */
#include <string.h>

#include "edns_cookie.h"

/* RFC 9018 4.2: the hash input is the client cookie, the first 8 bytes of
 * the server cookie and the client's address (4 or 16 bytes). */
static void
server_cookie(const uint8_t secret[SIPHASH_KEYLEN], const uint8_t *cc,
    const struct src *s, uint32_t ts, uint8_t out[COOKIE_SERVER_LEN])
{
	uint8_t		 in[QUERY_COOKIE_CLIENT + 8 + 16];
	size_t		 alen = s->family == 6 ? 16 : 4;
	uint64_t	 h;
	int		 i;

	out[0] = 1;			/* version */
	out[1] = out[2] = out[3] = 0;	/* reserved */
	out[4] = (uint8_t)(ts >> 24);
	out[5] = (uint8_t)(ts >> 16);
	out[6] = (uint8_t)(ts >> 8);
	out[7] = (uint8_t)ts;
	memcpy(in, cc, QUERY_COOKIE_CLIENT);
	memcpy(in + QUERY_COOKIE_CLIENT, out, 8);
	memcpy(in + QUERY_COOKIE_CLIENT + 8, s->ip, alen);
	h = siphash24(secret, in, QUERY_COOKIE_CLIENT + 8 + alen);
	for (i = 0; i < 8; i++)		/* SipHash's output, little-endian */
		out[8 + i] = (uint8_t)(h >> (8 * i));
}

enum cookie_state
edns_cookie(const uint8_t secret[SIPHASH_KEYLEN], const struct query *q,
    const struct src *s, uint32_t now,
    uint8_t out[QUERY_COOKIE_CLIENT + COOKIE_SERVER_LEN], uint8_t *outlen)
{
	const uint8_t	*sc = q->cookie + QUERY_COOKIE_CLIENT;
	uint8_t		 want[COOKIE_SERVER_LEN];
	uint32_t	 ts, age;
	enum cookie_state st = COOKIE_CLIENT;

	*outlen = 0;
	if (q->cookie_len < QUERY_COOKIE_CLIENT)
		return COOKIE_NONE;
	memcpy(out, q->cookie, QUERY_COOKIE_CLIENT);
	*outlen = QUERY_COOKIE_CLIENT + COOKIE_SERVER_LEN;
	if (q->cookie_len == QUERY_COOKIE_CLIENT + COOKIE_SERVER_LEN &&
	    sc[0] == 1) {
		ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 |
		    (uint32_t)sc[6] << 8 | sc[7];
		age = now - ts;		/* serial arithmetic: wraps fine */
		if ((age <= COOKIE_MAXAGE || -age <= COOKIE_FUTURE)) {
			server_cookie(secret, q->cookie, s, ts, want);
			if (memcmp(want, sc, COOKIE_SERVER_LEN) == 0) {
				st = COOKIE_VALID;
				if (age < COOKIE_REFRESH) {
					memcpy(out + QUERY_COOKIE_CLIENT, sc,
					    COOKIE_SERVER_LEN);
					return st;
				}
			}
		}
	}
	server_cookie(secret, q->cookie, s, now, out + QUERY_COOKIE_CLIENT);
	return st;
}
