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
 * most max from s[*i..len).  Returns 0 and advances *i past it, or -1
 * with *i at the byte that made it fail (the last one read, or len).
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
	if (s[j] == '0' && j + 1 < len && s[j + 1] >= '0' &&
	    s[j + 1] <= '9') {
		*i = j + 1;
		return -1;	/* leading zero */
	}
	for (d = 0; j < len && s[j] >= '0' && s[j] <= '9'; j++, d++) {
		if (d == maxdig || v > (max - (s[j] - '0')) / 10) {
			*i = j;
			return -1;
		}
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
 * Returns the token's length, or 0 if s does not start with one.  *seen
 * (if not NULL) is how many bytes of s it read: its work, see
 * cookie_find_work.
 */
static size_t
cookie_scan(const char *s, size_t len, struct cookie *c, size_t *macoff,
    size_t *seen)
{
	int64_t	 run, test, expires;
	size_t	 i, k;

	i = 0;
	if (len < COOKIE_PREFIX_LEN)
		goto fail;
	/* On failure, i is the byte that decided. */
	for (i = 0; i < COOKIE_PREFIX_LEN; i++)
		if (s[i] != COOKIE_PREFIX[i])
			goto fail;
	if (read_num(s, len, &i, DIGITS_I64, INT64_MAX, &run) == -1 ||
	    i >= len || s[i] != '-')
		goto fail;
	i++;
	if (read_num(s, len, &i, DIGITS_INT, INT_MAX, &test) == -1 ||
	    i >= len || s[i] != '-')
		goto fail;
	i++;
	if (read_num(s, len, &i, DIGITS_I64, INT64_MAX, &expires) == -1 ||
	    i >= len || s[i] != '-')
		goto fail;
	i++;
	if (len - i < COOKIE_MAC_HEX)
		goto fail;
	for (k = 0; k < COOKIE_MAC_HEX; k++)
		if (!is_lhex((unsigned char)s[i + k])) {
			i += k;
			goto fail;
		}
	if (c != NULL) {
		c->run = run;
		c->test = (int)test;
		c->expires = expires;
	}
	if (macoff != NULL)
		*macoff = i;
	if (seen != NULL)
		*seen = i + COOKIE_MAC_HEX;
	return i + COOKIE_MAC_HEX;
fail:
	if (seen != NULL)
		*seen = len < COOKIE_PREFIX_LEN ? 0 : i < len ? i + 1 : len;
	return 0;
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

	if (token == NULL ||
	    (n = cookie_scan(token, len, &tmp, NULL, NULL)) == 0 || n != len)
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
	    (n = cookie_scan(token, len, &tmp, &macoff, NULL)) == 0 ||
	    n != len)
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
	return cookie_find_work(buf, len, toklen, NULL);
}

/*
 * The work counted: what memmem passes over (up to the end of the prefix
 * it found), and what each candidate's scan reads.
 */
const char *
cookie_find_work(const char *buf, size_t len, size_t *toklen, uint64_t *work)
{
	const char	*p, *q, *end;
	uint64_t	 w = 0;
	size_t		 n, seen;

	if (buf == NULL)
		return NULL;
	end = buf + len;
	p = buf;
	q = NULL;
	/*
	 * Each candidate starts with "orbl1-", which cannot overlap itself,
	 * and its scan reads only digits, '-' and hex digits after it, so
	 * stops at the next 'o' at the latest: linear in len.
	 */
	while ((size_t)(end - p) >= COOKIE_PREFIX_LEN) {
		if ((q = memmem(p, (size_t)(end - p), COOKIE_PREFIX,
		    COOKIE_PREFIX_LEN)) == NULL) {
			w += (size_t)(end - p);
			break;
		}
		w += (size_t)(q - p) + COOKIE_PREFIX_LEN;
		n = cookie_scan(q, (size_t)(end - q), NULL, NULL, &seen);
		w += seen;
		if (n > 0 && (q + n == end || !is_word((unsigned char)q[n]))) {
			w += q + n < end;
			if (toklen != NULL)
				*toklen = n;
			break;
		}
		p = q + COOKIE_PREFIX_LEN;
		q = NULL;
	}
	if (work != NULL)
		*work += w;
	return q;
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
 * that are "orbl1-" (any case), digits, '-' and hex digits, and the one
 * that ends them; *seen is how many.
 */
static size_t
redact_scan(const char *s, size_t *hexlen, size_t *seen)
{
	size_t	 i, k;
	int	 f;

	/* On failure, i is the byte that decided. */
	for (i = 0; i < COOKIE_PREFIX_LEN; i++)
		if (lower_ascii((unsigned char)s[i]) != COOKIE_PREFIX[i])
			goto fail;
	for (f = 0; f < 3; f++) {
		if (s[i] < '0' || s[i] > '9')
			goto fail;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (s[i] != '-')
			goto fail;
		i++;
	}
	for (k = 0; is_xdigit_any((unsigned char)s[i + k]); k++)
		;
	*seen = i + k + 1;
	if (k < COOKIE_REDACT_MIN)
		return 0;
	*hexlen = k;
	return i;
fail:
	*seen = i + 1;
	return 0;
}

size_t
cookie_redact(char *s)
{
	return cookie_redact_work(s, NULL);
}

/* The work counted: each byte the copy loop reads, and what each
 * candidate's scan reads. */
size_t
cookie_redact_work(char *s, uint64_t *work)
{
	size_t		 r = 0, w = 0, off, hexlen = 0, n = 0, seen;
	uint64_t	 wk = 0;

	if (s == NULL)
		return 0;
	/*
	 * w <= r always: the replacement is no longer than the hex run it
	 * replaces.  A failed candidate is scanned over digits, '-' and hex
	 * digits only, none of which can start another candidate ('o'), so
	 * no byte is scanned by two candidates (but the one that ends a
	 * scan may start the next): linear.
	 */
	for (;;) {
		wk++;
		if (s[r] == '\0')
			break;
		if (s[r] == 'o' || s[r] == 'O') {
			off = redact_scan(s + r, &hexlen, &seen);
			wk += seen;
			if (off != 0) {
				memmove(s + w, s + r, off);
				w += off;
				memcpy(s + w, COOKIE_REDACTED,
				    COOKIE_REDACT_MIN);
				w += COOKIE_REDACT_MIN;
				r += off + hexlen;
				n++;
				continue;
			}
		}
		s[w++] = s[r++];
	}
	s[w] = '\0';
	if (work != NULL)
		*work += wk;
	return n;
}
