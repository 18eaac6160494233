/*
 * cookie.c -- the probe cookie: an HMAC-SHA256 (OpenSSL libcrypto) over
 * the run, the target, the test and the expiry, in a text form that
 * survives mail transport ("orbl1-<run>-<test>-<expires>-<mac>").
 *
 * The MAC input is unambiguous: "orbl1" NUL run NUL target NUL test NUL
 * expires, the numbers in canonical decimal (no sign, no leading zero);
 * none of the fields can contain a NUL.  Parsing insists on the same
 * canonical form, so one cookie has exactly one text.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cookie.h"

#define COOKIE_PREFIX		"orbl1-"
#define COOKIE_PREFIX_LEN	(sizeof(COOKIE_PREFIX) - 1)
#define COOKIE_MAC_BYTES	16
#define COOKIE_MAC_HEX		(2 * COOKIE_MAC_BYTES)
#define COOKIE_TARGET_MAX	255
#define DIGITS_I64		19	/* INT64_MAX has 19 digits */
#define DIGITS_INT		10	/* INT_MAX (32 bits) has 10 */

/*
 * Read a canonical non-negative decimal of at most maxdig digits and at
 * most max from s[*i..len).  Returns 0 and advances *i, or -1.
 */
static int
read_num(const char *s, size_t len, size_t *i, int maxdig, int64_t max,
    int64_t *out)
{
	size_t	 j = *i;
	int64_t	 v = 0;
	int	 d;

	if (j >= len || s[j] < '0' || s[j] > '9')
		return -1;
	if (s[j] == '0' && j + 1 < len && s[j + 1] >= '0' && s[j + 1] <= '9')
		return -1;	/* leading zero */
	for (d = 0; j < len && s[j] >= '0' && s[j] <= '9'; j++, d++) {
		if (d == maxdig)
			return -1;
		if (v > (max - (s[j] - '0')) / 10)
			return -1;
		v = v * 10 + (s[j] - '0');
	}
	*i = j;
	*out = v;
	return 0;
}

static int
is_lhex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * Parse the token's fields from s (len bytes available): the token ends
 * after its 32 hex digits.  The MAC text (32 bytes) is at s + *macoff.
 * Returns the token's length, or 0 if s does not start with one.
 */
static size_t
cookie_scan(const char *s, size_t len, struct cookie *c, size_t *macoff)
{
	int64_t	 run, test, expires;
	size_t	 i = COOKIE_PREFIX_LEN, k;

	if (len < COOKIE_PREFIX_LEN ||
	    memcmp(s, COOKIE_PREFIX, COOKIE_PREFIX_LEN) != 0)
		return 0;
	if (read_num(s, len, &i, DIGITS_I64, INT64_MAX, &run) == -1 ||
	    i >= len || s[i++] != '-' ||
	    read_num(s, len, &i, DIGITS_INT, INT_MAX, &test) == -1 ||
	    i >= len || s[i++] != '-' ||
	    read_num(s, len, &i, DIGITS_I64, INT64_MAX, &expires) == -1 ||
	    i >= len || s[i++] != '-')
		return 0;
	if (len - i < COOKIE_MAC_HEX)
		return 0;
	for (k = 0; k < COOKIE_MAC_HEX; k++)
		if (!is_lhex((unsigned char)s[i + k]))
			return 0;
	if (c != NULL) {
		c->run = run;
		c->test = (int)test;
		c->expires = expires;
	}
	if (macoff != NULL)
		*macoff = i;
	return i + COOKIE_MAC_HEX;
}

/* The MAC of c and target, in lower-case hex (33 bytes with the NUL). */
static int
cookie_mac(const uint8_t *key, size_t keylen, const struct cookie *c,
    const char *target, char hex[COOKIE_MAC_HEX + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			 msg[COOKIE_TARGET_MAX + 96];
	size_t			 tlen, n = 0;
	int			 w, k;

	if (key == NULL || keylen == 0 || keylen > INT_MAX ||
	    target == NULL || c->run < 0 || c->test < 0 || c->expires < 0)
		return -1;
	tlen = strlen(target);
	if (tlen == 0 || tlen > COOKIE_TARGET_MAX)
		return -1;
	w = snprintf(msg, sizeof(msg), "orbl1%c%lld%c", '\0',
	    (long long)c->run, '\0');
	if (w < 0 || (size_t)w >= sizeof(msg))
		return -1;
	n = (size_t)w;
	memcpy(msg + n, target, tlen);
	n += tlen;
	w = snprintf(msg + n, sizeof(msg) - n, "%c%d%c%lld", '\0', c->test,
	    '\0', (long long)c->expires);
	if (w < 0 || (size_t)w >= sizeof(msg) - n)
		return -1;
	n += (size_t)w;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    n, md, &mdlen) == NULL || mdlen < COOKIE_MAC_BYTES)
		return -1;
	for (k = 0; k < COOKIE_MAC_BYTES; k++) {
		hex[2 * k] = digits[md[k] >> 4];
		hex[2 * k + 1] = digits[md[k] & 0xf];
	}
	hex[COOKIE_MAC_HEX] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
cookie_make(const uint8_t *key, size_t keylen, const struct cookie *c,
    const char *target, char *out, size_t outlen)
{
	char	 hex[COOKIE_MAC_HEX + 1];
	int	 w;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (c == NULL || out == NULL ||
	    cookie_mac(key, keylen, c, target, hex) == -1)
		return -1;
	w = snprintf(out, outlen, COOKIE_PREFIX "%lld-%d-%lld-%s",
	    (long long)c->run, c->test, (long long)c->expires, hex);
	if (w < 0 || (size_t)w >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

int
cookie_parse(const char *token, size_t len, struct cookie *c)
{
	struct cookie	 tmp;
	size_t		 n;

	if (token == NULL || (n = cookie_scan(token, len, &tmp, NULL)) == 0 ||
	    n != len)
		return -1;
	if (c != NULL)
		*c = tmp;
	return 0;
}

int
cookie_verify(const uint8_t *key, size_t keylen, const char *token,
    size_t len, const char *target, int64_t now, struct cookie *c)
{
	struct cookie	 tmp;
	char		 hex[COOKIE_MAC_HEX + 1];
	size_t		 macoff = 0, n;
	int		 ok;

	if (c != NULL)
		memset(c, 0, sizeof(*c));
	if (token == NULL ||
	    (n = cookie_scan(token, len, &tmp, &macoff)) == 0 || n != len)
		return -1;
	if (cookie_mac(key, keylen, &tmp, target, hex) == -1)
		return -1;
	ok = CRYPTO_memcmp(hex, token + macoff, COOKIE_MAC_HEX) == 0;
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!ok)
		return -1;
	if (c != NULL)
		*c = tmp;
	return now > tmp.expires ? -2 : 0;
}

/* A byte that may not follow a token (it would be part of a longer word). */
static int
is_word(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

const char *
cookie_find(const char *buf, size_t len, size_t *toklen)
{
	const char	*p, *end;
	size_t		 n;

	if (buf == NULL)
		return NULL;
	end = buf + len;
	p = buf;
	/*
	 * Each candidate starts with "orbl1-", which cannot overlap itself,
	 * and is looked at for at most COOKIE_MAX bytes: linear in len.
	 */
	while ((size_t)(end - p) >= COOKIE_PREFIX_LEN &&
	    (p = memmem(p, (size_t)(end - p), COOKIE_PREFIX,
	    COOKIE_PREFIX_LEN)) != NULL) {
		n = cookie_scan(p, (size_t)(end - p), NULL, NULL);
		if (n > 0 && (p + n == end || !is_word((unsigned char)p[n]))) {
			if (toklen != NULL)
				*toklen = n;
			return p;
		}
		p += COOKIE_PREFIX_LEN;
	}
	return NULL;
}

/* ASCII only: the locale must not change what is redacted. */
static int
is_xdigit_any(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * If s starts a cookie-like token (see cookie_redact), return the offset
 * of its hex run and its length in *hexlen; else 0.  Reads only bytes
 * that are "orbl1-" (any case), digits, '-' and hex digits.
 */
static size_t
redact_scan(const char *s, size_t *hexlen)
{
	size_t	 i, k;
	int	 f;

	for (i = 0; i < COOKIE_PREFIX_LEN; i++)
		if (lower_ascii((unsigned char)s[i]) != COOKIE_PREFIX[i])
			return 0;
	for (f = 0; f < 3; f++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (s[i++] != '-')
			return 0;
	}
	for (k = 0; is_xdigit_any((unsigned char)s[i + k]); k++)
		;
	if (k < COOKIE_REDACT_MIN)
		return 0;
	*hexlen = k;
	return i;
}

size_t
cookie_redact(char *s)
{
	size_t	 r = 0, w = 0, off, hexlen = 0, n = 0;

	if (s == NULL)
		return 0;
	/*
	 * w <= r always: the replacement is no longer than the hex run it
	 * replaces.  A failed candidate is scanned over digits, '-' and hex
	 * digits only, none of which can start another candidate ('o'), so
	 * no byte is scanned by two candidates: linear.
	 */
	while (s[r] != '\0') {
		if ((s[r] == 'o' || s[r] == 'O') &&
		    (off = redact_scan(s + r, &hexlen)) != 0) {
			memmove(s + w, s + r, off);
			w += off;
			memcpy(s + w, COOKIE_REDACTED, COOKIE_REDACT_MIN);
			w += COOKIE_REDACT_MIN;
			r += off + hexlen;
			n++;
			continue;
		}
		s[w++] = s[r++];
	}
	s[w] = '\0';
	return n;
}
