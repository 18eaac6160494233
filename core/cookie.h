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

/*
 * Make the token for c and target into out (COOKIE_MAX bytes suffice).
 * run, test and expires must be >= 0, target 1..255 bytes, keylen > 0.
 * Returns 0, or -1 (out set to "" when it has room).
 */
int	 cookie_make(const uint8_t *key, size_t keylen, const struct cookie *,
	    const char *target, char *out, size_t outlen);
/*
 * Parse a token's fields (no verification): exactly len bytes, numbers in
 * canonical decimal (no sign, no leading zero), 32 lower-case hex digits
 * of MAC.  Returns 0, or -1.
 */
int	 cookie_parse(const char *token, size_t len, struct cookie *);
/*
 * Verify token against target and key at time now: 0 valid, -1 bad MAC
 * or malformed, -2 expired (now > expires; the MAC is checked first, so a
 * forged expired token is -1).  Constant-time MAC comparison.  The fields
 * are stored in the cookie (if not NULL) for 0 and -2, zeroed for -1.
 */
int	 cookie_verify(const uint8_t *key, size_t keylen, const char *token,
	    size_t len, const char *target, int64_t now, struct cookie *);
/*
 * Find the first cookie-shaped token in buf (len bytes, any content): one
 * that cookie_parse() accepts and that is not followed by a letter or a
 * digit.  Work is linear in len.  Returns a pointer into buf and its
 * length in *toklen, or NULL.  Nothing is verified.
 */
const char *cookie_find(const char *buf, size_t len, size_t *toklen);
/*
 * Make s (NUL-terminated, changed in place) safe to publish: the MAC of
 * every cookie-like token is replaced by COOKIE_REDACTED, so that what
 * remains shows run, test and expiry but nothing the sink would accept,
 * e.g. "<orbl1-42-13-1767225600-[redacted]@prober.orbl.test>".
 *
 * Wider than cookie_find(), on purpose: anything a person could turn into
 * an accepted token by hand is caught -- "orbl1-" in any case, at any
 * place (also inside a word), three decimal numbers (any length, leading
 * zeros allowed) each followed by '-', then a run of at least
 * COOKIE_REDACT_MIN hex digits in either case, whatever follows it; the
 * whole hex run is replaced.  A shorter hex run is left alone: with 22 of
 * the MAC's 32 digits unknown nothing can be made of it (and the text
 * never grows).  Tokens missing a field, "orbl2-", etc. are left alone.
 *
 * Linear in the length of s, no allocation, no locale.  s may be NULL.
 * Returns the number of MACs replaced.
 */
#define COOKIE_REDACTED		"[redacted]"
#define COOKIE_REDACT_MIN	(sizeof(COOKIE_REDACTED) - 1)	/* 10 */
size_t	 cookie_redact(char *s);

/*
 * cookie_find() and cookie_redact() that also add to *work (when not
 * NULL) how many bytes they examined, a byte once each time it is looked
 * at (a search passes over a byte once): their work, counted the same
 * however loaded the machine is, for the tests.  On n bytes of input (len,
 * or strlen(s)) it is never more than COOKIE_WORK_MAX(n): linear.
 */
#define COOKIE_WORK_MAX(n)	(3 * (uint64_t)(n) + 1)
const char *cookie_find_work(const char *buf, size_t len, size_t *toklen,
	    uint64_t *work);
size_t	 cookie_redact_work(char *s, uint64_t *work);

#endif
