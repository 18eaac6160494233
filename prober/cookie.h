/*
 * cookie.h -- the unguessable token a test message carries (Subject,
 * Message-ID, body; never the envelope).  An HMAC-SHA256 (libcrypto)
 * over the probe run id, the target address, the test id and an expiry,
 * with a key from the configuration.  Pure functions.
 *
 * Text form: "orbl1-<run>-<test>-<expires>-<mac>" with run, test and
 * expires in decimal and mac the first 16 bytes of the HMAC in lower-case
 * hex (e.g. orbl1-42-13-1767225600-0f1e...).  Letters, digits and '-'
 * only, so it survives Subject folding, Message-ID syntax and MTAs that
 * rewrite headers.
 */
#ifndef ORBL_COOKIE_H
#define ORBL_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#define COOKIE_MAX	96

struct cookie {
	int64_t	 run;		/* probe id */
	int	 test;		/* relay test id */
	int64_t	 expires;	/* Unix time */
};

/* Make the token for c and target into out.  Returns 0, or -1. */
int	 cookie_make(const uint8_t *key, size_t keylen, const struct cookie *,
	    const char *target, char *out, size_t outlen);
/* Parse a token's fields (no verification).  Returns 0, or -1. */
int	 cookie_parse(const char *token, size_t len, struct cookie *);
/*
 * Verify token against target and key at time now: 0 valid, -1 bad MAC
 * or malformed, -2 expired.  Constant-time MAC comparison.
 */
int	 cookie_verify(const uint8_t *key, size_t keylen, const char *token,
	    size_t len, const char *target, int64_t now, struct cookie *);
/*
 * Find the first cookie-shaped token in buf (len bytes, any content).
 * Returns a pointer into buf and its length in *toklen, or NULL.
 */
const char *cookie_find(const char *buf, size_t len, size_t *toklen);

#endif
