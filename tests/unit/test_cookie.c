/*
 * test_cookie.c -- unit tests for core/cookie.c: make/verify round trip,
 * the MAC input format (against an independent HMAC), every way a token
 * can be wrong, cookie_find over headers, bodies and hostile buffers, and
 * cookie_redact: nothing it leaves is found or accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cookie.h"

static const uint8_t	 KEY[] = "a secret key from the config file";
#define KEYLEN		 (sizeof(KEY) - 1)
#define TARGET		 "192.0.2.1"
#define EXPIRES		 1767225600

static const struct cookie	 C = { 42, 13, EXPIRES };

static void
make(const struct cookie *c, const char *target, char *tok, size_t len)
{
	assert_int_equal(cookie_make(KEY, KEYLEN, c, target, tok, len), 0);
}

static int
verify(const char *tok, const char *target, int64_t now, struct cookie *c)
{
	return cookie_verify(KEY, KEYLEN, tok, strlen(tok), target, now, c);
}

static void
test_round_trip(void **state)
{
	char		 tok[COOKIE_MAX], tok2[COOKIE_MAX];
	struct cookie	 c;
	size_t		 i;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	assert_int_equal(strncmp(tok, "orbl1-42-13-1767225600-", 23), 0);
	assert_int_equal(strlen(tok), 23 + 32);
	for (i = 0; tok[i]; i++)
		assert_true((tok[i] >= 'a' && tok[i] <= 'z') ||
		    (tok[i] >= '0' && tok[i] <= '9') || tok[i] == '-');

	memset(&c, 0xff, sizeof(c));
	assert_int_equal(verify(tok, TARGET, EXPIRES - 86400, &c), 0);
	assert_int_equal(c.run, 42);
	assert_int_equal(c.test, 13);
	assert_int_equal(c.expires, EXPIRES);
	assert_int_equal(verify(tok, TARGET, EXPIRES, NULL), 0);

	/* deterministic; every field changes the MAC */
	make(&C, TARGET, tok2, sizeof(tok2));
	assert_string_equal(tok, tok2);
	c = C;
	c.run = 43;
	make(&c, TARGET, tok2, sizeof(tok2));
	assert_memory_not_equal(tok + 23, tok2 + 23, 32);
	c = C;
	c.test = 14;
	make(&c, TARGET, tok2, sizeof(tok2));
	assert_memory_not_equal(tok + 23, tok2 + 23, 32);
	make(&C, "192.0.2.2", tok2, sizeof(tok2));
	assert_memory_not_equal(tok + 23, tok2 + 23, 32);

	/* zeroes and the largest values */
	c.run = 0;
	c.test = 0;
	c.expires = 0;
	make(&c, "2001:db8::1", tok, sizeof(tok));
	assert_int_equal(strncmp(tok, "orbl1-0-0-0-", 12), 0);
	assert_int_equal(verify(tok, "2001:db8::1", 0, &c), 0);
	c.run = INT64_MAX;
	c.test = 2147483647;
	c.expires = INT64_MAX;
	make(&c, "2001:db8::1", tok, sizeof(tok));
	assert_true(strlen(tok) < COOKIE_MAX);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cookie_parse(tok, strlen(tok), &c), 0);
	assert_true(c.run == INT64_MAX && c.expires == INT64_MAX);
	assert_int_equal(c.test, 2147483647);
	assert_int_equal(verify(tok, "2001:db8::1", EXPIRES, NULL), 0);
}

/* The MAC input, pinned: HMAC-SHA256("run\0target\0test\0expires"). */
static void
test_mac_format(void **state)
{
	static const char	 msg[] = "orbl1\0" "42\0" TARGET "\0" "13\0"
				    "1767225600";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, k;
	char			 tok[COOKIE_MAX], hex[33];

	(void)state;
	assert_non_null(HMAC(EVP_sha256(), KEY, (int)KEYLEN,
	    (const unsigned char *)msg, sizeof(msg) - 1, md, &mdlen));
	assert_int_equal(mdlen, 32);
	for (k = 0; k < 16; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
	make(&C, TARGET, tok, sizeof(tok));
	assert_string_equal(tok + 23, hex);
}

static void
test_wrong_key_target(void **state)
{
	static const uint8_t	 key2[] = "a secret key from the config filf";
	char			 tok[COOKIE_MAX];
	struct cookie		 c;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	assert_int_equal(cookie_verify(key2, sizeof(key2) - 1, tok,
	    strlen(tok), TARGET, EXPIRES, &c), -1);
	assert_int_equal(c.run, 0);	/* zeroed on -1 */
	assert_int_equal(cookie_verify(KEY, KEYLEN - 1, tok, strlen(tok),
	    TARGET, EXPIRES, NULL), -1);
	assert_int_equal(cookie_verify(KEY, 0, tok, strlen(tok), TARGET,
	    EXPIRES, NULL), -1);
	assert_int_equal(cookie_verify(NULL, KEYLEN, tok, strlen(tok), TARGET,
	    EXPIRES, NULL), -1);
	assert_int_equal(verify(tok, "192.0.2.10", EXPIRES, NULL), -1);
	assert_int_equal(verify(tok, "192.0.2.", EXPIRES, NULL), -1);
	assert_int_equal(verify(tok, "192.0.2.2", EXPIRES, NULL), -1);
	assert_int_equal(verify(tok, "", EXPIRES, NULL), -1);
	assert_int_equal(verify(tok, NULL, EXPIRES, NULL), -1);
}

/* Replace the field "from" at its first place in tok by "to". */
static void
tamper(const char *tok, const char *from, const char *to, char *out,
    size_t outlen)
{
	const char	*p = strstr(tok, from);

	assert_non_null(p);
	assert_true(strlen(tok) - strlen(from) + strlen(to) < outlen);
	snprintf(out, outlen, "%.*s%s%s", (int)(p - tok), tok, to,
	    p + strlen(from));
}

static void
test_tampered(void **state)
{
	char		 tok[COOKIE_MAX], bad[COOKIE_MAX + 16];
	struct cookie	 c;
	size_t		 i;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	tamper(tok, "-42-", "-41-", bad, sizeof(bad));
	assert_int_equal(verify(bad, TARGET, EXPIRES, NULL), -1);
	tamper(tok, "-13-", "-12-", bad, sizeof(bad));
	assert_int_equal(verify(bad, TARGET, EXPIRES, NULL), -1);
	tamper(tok, "-1767225600-", "-1767225601-", bad, sizeof(bad));
	assert_int_equal(verify(bad, TARGET, EXPIRES, NULL), -1);
	/* pushing expiry back cannot turn -1 into -2 either */
	tamper(tok, "-1767225600-", "-1-", bad, sizeof(bad));
	assert_int_equal(verify(bad, TARGET, EXPIRES, NULL), -1);
	/* every MAC digit matters */
	for (i = 23; i < strlen(tok); i++) {
		memcpy(bad, tok, strlen(tok) + 1);
		bad[i] = bad[i] == '0' ? '1' : '0';
		assert_int_equal(verify(bad, TARGET, EXPIRES, NULL), -1);
	}
	/* upper-case MAC: malformed */
	memcpy(bad, tok, strlen(tok) + 1);
	for (i = 23; bad[i]; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	if (strcmp(bad, tok) != 0)
		assert_int_equal(verify(bad, TARGET, EXPIRES, NULL), -1);

	/* expired: -2 with the fields filled in */
	memset(&c, 0, sizeof(c));
	assert_int_equal(verify(tok, TARGET, EXPIRES + 1, &c), -2);
	assert_int_equal(c.run, 42);
	assert_int_equal(c.test, 13);
	assert_int_equal(verify(tok, TARGET, INT64_MAX, NULL), -2);
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"orbl1-",
		"orbl1-42-13-1767225600-",
		"orbl1-42-13-1767225600",
		"orbl2-42-13-1767225600-00112233445566778899aabbccddeeff",
		"ORBL1-42-13-1767225600-00112233445566778899aabbccddeeff",
		"orbl1--42-13-1767225600-00112233445566778899aabbccddeeff",
		"orbl1-+42-13-1767225600-00112233445566778899aabbccddeeff",
		"orbl1-042-13-1767225600-00112233445566778899aabbccddeeff",
		"orbl1-42-013-1767225600-00112233445566778899aabbccddeeff",
		"orbl1-42-13-01767225600-00112233445566778899aabbccddeeff",
		"orbl1-42--1767225600-00112233445566778899aabbccddeeff",
		"orbl1-42-13-1767225600-00112233445566778899aabbccddeef",
		"orbl1-42-13-1767225600-00112233445566778899aabbccddeeff0",
		"orbl1-42-13-1767225600-00112233445566778899aabbccddeefg",
		"orbl1-42-13-1767225600-00112233445566778899aabbccddeeff ",
		" orbl1-42-13-1767225600-00112233445566778899aabbccddeeff",
		"orbl1-42-13-1767225600_00112233445566778899aabbccddeeff",
		"orbl1-42-13-1767225600-1767225600-00112233445566778899aabbccddeeff",
		("orbl1-9223372036854775808-13-1767225600-"
		    "00112233445566778899aabbccddeeff"),
		"orbl1-42-2147483648-1767225600-00112233445566778899aabbccddeeff",
		"orbl1-42-13-9223372036854775808-00112233445566778899aabbccddeeff",
		"orbl1-42-13-99999999999999999999-00112233445566778899aabbccddeeff",
		"orbl1-42-13-1767225600-00112233445566778899aabbccddeeff\n",
	};
	static const char good[] =
	    "orbl1-42-13-1767225600-00112233445566778899aabbccddeeff";
	static const char nul[] =
	    "orbl1-42-13\0-1767225600-00112233445566778899aabbccddeeff";
	struct cookie	 c;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cookie_parse(bad[i], strlen(bad[i]), &c) != -1)
			fail_msg("parsed: \"%s\"", bad[i]);
		assert_int_equal(verify(bad[i], TARGET, 0, NULL), -1);
	}
	assert_int_equal(cookie_parse(nul, sizeof(nul) - 1, &c), -1);
	assert_int_equal(cookie_parse(NULL, 10, &c), -1);
	assert_int_equal(cookie_parse(good, strlen(good), &c), 0);
	assert_int_equal(c.run, 42);
	assert_int_equal(cookie_parse(good, strlen(good), NULL), 0);
	/* the length given is the token: one short, one long */
	assert_int_equal(cookie_parse(good, strlen(good) - 1, &c), -1);
	assert_int_equal(cookie_parse(good, strlen(good) + 1, &c), -1);
	/* well-formed, but not ours */
	assert_int_equal(verify(good, TARGET, 0, NULL), -1);
}

static void
test_make_errors(void **state)
{
	char		 tok[COOKIE_MAX], longt[300];
	struct cookie	 c;
	size_t		 n;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	n = strlen(tok);
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, TARGET, tok, n + 1), 0);
	memset(tok, 'x', sizeof(tok));
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, TARGET, tok, n), -1);
	assert_string_equal(tok, "");
	assert_int_equal(tok[n], 'x');
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, TARGET, tok, 0), -1);
	assert_int_equal(cookie_make(KEY, 0, &C, TARGET, tok, sizeof(tok)),
	    -1);
	assert_int_equal(cookie_make(NULL, KEYLEN, &C, TARGET, tok,
	    sizeof(tok)), -1);
	assert_int_equal(cookie_make(KEY, KEYLEN, NULL, TARGET, tok,
	    sizeof(tok)), -1);
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, NULL, tok, sizeof(tok)),
	    -1);
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, "", tok, sizeof(tok)),
	    -1);
	memset(longt, 'a', sizeof(longt));
	longt[255] = '\0';
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, longt, tok,
	    sizeof(tok)), 0);
	assert_int_equal(verify(tok, longt, 0, NULL), 0);
	longt[255] = 'a';
	longt[256] = '\0';
	assert_int_equal(cookie_make(KEY, KEYLEN, &C, longt, tok,
	    sizeof(tok)), -1);
	c = C;
	c.run = -1;
	assert_int_equal(cookie_make(KEY, KEYLEN, &c, TARGET, tok,
	    sizeof(tok)), -1);
	c = C;
	c.test = -1;
	assert_int_equal(cookie_make(KEY, KEYLEN, &c, TARGET, tok,
	    sizeof(tok)), -1);
	c = C;
	c.expires = -1;
	assert_int_equal(cookie_make(KEY, KEYLEN, &c, TARGET, tok,
	    sizeof(tok)), -1);
}

/* cookie_find must return exactly tok, at its place in buf. */
static void
assert_found(const char *buf, size_t len, const char *tok)
{
	const char	*p;
	size_t		 n = 0;

	p = cookie_find(buf, len, &n);
	assert_non_null(p);
	assert_true(p >= buf && p + n <= buf + len);
	assert_int_equal(n, strlen(tok));
	assert_memory_equal(p, tok, n);
	assert_int_equal(cookie_verify(KEY, KEYLEN, p, n, TARGET, EXPIRES,
	    NULL), 0);
}

static void
test_find(void **state)
{
	char		 tok[COOKIE_MAX], buf[2048], tok2[COOKIE_MAX];
	const char	*p;
	size_t		 n;
	struct cookie	 c2 = { 7, 1, EXPIRES };

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	make(&c2, TARGET, tok2, sizeof(tok2));

	snprintf(buf, sizeof(buf), "From: <>\r\nSubject: orbl relay test "
	    "%s\r\nTo: x\r\n", tok);
	assert_found(buf, strlen(buf), tok);

	snprintf(buf, sizeof(buf), "Subject: an open relay test for you, "
	    "please ignore this\r\n\t%s\r\n\r\n", tok);
	assert_found(buf, strlen(buf), tok);

	snprintf(buf, sizeof(buf), "Message-ID: <%s@prober.example.org>\r\n",
	    tok);
	assert_found(buf, strlen(buf), tok);

	/* junk and near misses before the real one */
	snprintf(buf, sizeof(buf), "\x01\xff garbage orbl1- orbl1-1-2 "
	    "orbl1-99-1-5-zzzz orbl1-orbl1-01-1-1-"
	    "00112233445566778899aabbccddeeff %sX orbl1-%s--\n%s\n", tok2, tok,
	    tok);
	assert_found(buf, strlen(buf), tok);
	/* it was the first well-formed one, not merely a valid one */
	snprintf(buf, sizeof(buf), "body %s and %s", tok2, tok);
	p = cookie_find(buf, strlen(buf), &n);
	assert_ptr_equal(p, buf + 5);
	assert_int_equal(n, strlen(tok2));

	/* followed by a hex digit or letter: part of a longer word */
	snprintf(buf, sizeof(buf), "%s0", tok);
	assert_null(cookie_find(buf, strlen(buf), &n));
	snprintf(buf, sizeof(buf), "%sg", tok);
	assert_null(cookie_find(buf, strlen(buf), &n));
	/* followed by '-', '.', '>' or NUL: fine */
	snprintf(buf, sizeof(buf), "%s-x", tok);
	assert_found(buf, strlen(buf), tok);
	snprintf(buf, sizeof(buf), "%s", tok);
	assert_found(buf, strlen(buf) + 1, tok);

	/* a NUL inside the body does not stop the search */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 100, tok, strlen(tok));
	assert_found(buf, sizeof(buf), tok);

	/* not found */
	assert_null(cookie_find("no cookie here", 14, &n));
	assert_null(cookie_find("", 0, &n));
	assert_null(cookie_find(NULL, 0, &n));
	assert_null(cookie_find(tok, 5, &n));

	/* truncated at the end of the buffer, for every cut */
	for (n = 0; n < strlen(tok); n++) {
		size_t	 m;

		snprintf(buf, sizeof(buf), "Subject: %s", tok);
		assert_null(cookie_find(buf, 9 + n, &m));
	}
	snprintf(buf, sizeof(buf), "Subject: %s", tok);
	assert_found(buf, 9 + strlen(tok), tok);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * cookie_find over len bytes of buf, through cookie_find_work: the same
 * answer as cookie_find, and work that proves it linear.  Where nothing
 * is found every byte had to be looked at (but a tail too short for a
 * token), so the count is at least about len -- a counter that counted
 * nothing would not pass; it is never more than COOKIE_WORK_MAX(len), 3
 * per byte, where quadratic work would be about len per byte.
 */
static const char *
find_counted(const char *buf, size_t len, size_t *toklen)
{
	const char	*p;
	uint64_t	 work = 0;
	size_t		 n = 0, n2 = 0;

	p = cookie_find_work(buf, len, &n, &work);
	assert_ptr_equal(p, cookie_find(buf, len, &n2));
	if (p != NULL) {
		assert_int_equal(n, n2);
		/* Up to the token and the token itself. */
		assert_true(work >= (uint64_t)(p - buf) + n);
	} else
		assert_true(work + COOKIE_MAX >= len);
	if (!(work <= COOKIE_WORK_MAX(len)))
		fail_msg("cookie_find examined %llu bytes of %zu: more than "
		    "%llu, not linear", (unsigned long long)work, len,
		    (unsigned long long)COOKIE_WORK_MAX(len));
	*toklen = n;
	return p;
}

static void
test_find_big(void **state)
{
	const size_t	 sz = 1024 * 1024;
	char		*buf, tok[COOKIE_MAX];
	const char	*p, *pat;
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL, wsmall = 0, wbig = 0;
	size_t		 i, n, pl;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	/* exactly sz bytes, so ASan sees any read past the end */
	buf = malloc(sz);
	assert_non_null(buf);

	/* random bytes: no crash, nothing found */
	for (i = 0; i < sz; i++)
		buf[i] = (char)rnd(&seed);
	assert_null(find_counted(buf, sz, &n));
	/* random bytes with the token at the very end */
	memcpy(buf + sz - strlen(tok), tok, strlen(tok));
	p = find_counted(buf, sz, &n);
	assert_ptr_equal(p, buf + sz - strlen(tok));

	/* random over the token's alphabet, seeded with many prefixes */
	for (i = 0; i < sz; i++)
		buf[i] = "orbl1-0123456789abcdef"[rnd(&seed) % 22];
	p = find_counted(buf, sz, &n);
	if (p != NULL)
		assert_int_equal(cookie_parse(p, n, NULL), 0);

	/* the worst cases: near-miss prefixes back to back, all the way */
	pat = "orbl1-1234567890123456789-1234567890-1234567890123456789-"
	    "0123456789abcdef0123456789abcde-";
	pl = strlen(pat);
	for (i = 0; i < sz; i++)
		buf[i] = pat[i % pl];
	assert_null(find_counted(buf, sz, &n));
	/*
	 * Linear, not quadratic, counted rather than timed: every candidate
	 * is scanned to its end, and the whole buffer costs 8 times what an
	 * eighth of it does (give or take the candidate cut at the end), not
	 * 64 times.
	 */
	assert_null(cookie_find_work(buf, sz / 8, &n, &wsmall));
	assert_null(cookie_find_work(buf, sz, &n, &wbig));
	assert_true(wsmall >= 3 * (sz / 8) / 2);
	assert_true(wbig >= 8 * wsmall - 2 * pl);
	assert_true(wbig <= 8 * wsmall + 2 * pl);
	for (i = 0; i < sz; i++)
		buf[i] = "orbl1-"[i % 6];
	assert_null(find_counted(buf, sz, &n));
	for (i = 0; i < sz; i++)
		buf[i] = i % 100 < 6 ? "orbl1-"[i % 100] : '9';
	assert_null(find_counted(buf, sz, &n));
	free(buf);
}

/* Redact a copy of in; it must equal want and have n replacements. */
static void
assert_redacted(const char *in, const char *want, size_t n)
{
	char	*s = strdup(in);

	assert_non_null(s);
	assert_int_equal(cookie_redact(s), n);
	assert_string_equal(s, want);
	/* What is left is never a token, and redacting again is a no-op. */
	assert_null(cookie_find(s, strlen(s), NULL));
	assert_int_equal(cookie_redact(s), 0);
	assert_string_equal(s, want);
	free(s);
}

static void
test_redact(void **state)
{
	char		 tok[COOKIE_MAX], tok2[COOKIE_MAX], in[1024], want[1024];
	char		 up[COOKIE_MAX], pre[COOKIE_MAX], pre2[COOKIE_MAX];
	const char	*mac;
	struct cookie	 c2 = { 7, 1, EXPIRES };
	size_t		 i;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	make(&c2, TARGET, tok2, sizeof(tok2));
	/* "orbl1-42-13-1767225600-" and "orbl1-7-1-1767225600-" */
	mac = strrchr(tok, '-') + 1;
	snprintf(pre, sizeof(pre), "%.*s", (int)(mac - tok), tok);
	snprintf(pre2, sizeof(pre2), "%.*s",
	    (int)(strrchr(tok2, '-') + 1 - tok2), tok2);

	/* The token alone, and the example of the header comment. */
	snprintf(want, sizeof(want), "%s[redacted]", pre);
	assert_redacted(tok, want, 1);
	assert_string_equal(want, "orbl1-42-13-1767225600-[redacted]");

	/* Glued to '<' '@' '>' as in our Message-ID, echoed by a peer. */
	snprintf(in, sizeof(in), "250 2.6.0 <%s@prober.orbl.test> Queued mail "
	    "for delivery", tok);
	snprintf(want, sizeof(want), "250 2.6.0 <%s[redacted]@prober.orbl.test>"
	    " Queued mail for delivery", pre);
	assert_redacted(in, want, 1);

	/* Several, back to back and in a Received chain, with newlines. */
	snprintf(in, sizeof(in), "%s%s\nReceived: from x by y id %s;\n"
	    "Subject: orbl relay test %s (%s)", tok, tok2, tok2, tok, tok);
	snprintf(want, sizeof(want), "%s[redacted]%s[redacted]\nReceived: "
	    "from x by y id %s[redacted];\nSubject: orbl relay test "
	    "%s[redacted] (%s[redacted])", pre, pre2, pre2, pre, pre);
	assert_redacted(in, want, 5);

	/*
	 * Wider than cookie_find: forms the sink refuses but a person can
	 * mend -- upper case, inside a word, followed by a letter or a
	 * digit, leading zeros, more hex digits than a MAC.
	 */
	for (i = 0; tok[i] != '\0'; i++)
		up[i] = (tok[i] >= 'a' && tok[i] <= 'z') ? tok[i] - 'a' + 'A' :
		    tok[i];
	up[i] = '\0';
	snprintf(in, sizeof(in), "%s", up);
	snprintf(want, sizeof(want), "ORBL1-42-13-1767225600-[redacted]");
	assert_redacted(in, want, 1);
	snprintf(in, sizeof(in), "x%sg %s0 %s0123", tok, tok, tok);
	snprintf(want, sizeof(want), "x%s[redacted]g %s[redacted] "
	    "%s[redacted]", pre, pre, pre);
	assert_redacted(in, want, 3);
	snprintf(in, sizeof(in), "orbl1-042-013-01767225600-%s", mac);
	assert_redacted(in, "orbl1-042-013-01767225600-[redacted]", 1);
	/* A MAC cut short: 10 hex digits are still redacted ... */
	snprintf(in, sizeof(in), "%s%.10s.", pre, mac);
	snprintf(want, sizeof(want), "%s[redacted].", pre);
	assert_redacted(in, want, 1);
	/* ... 9 are not: 23 unknown digits, nothing to be made of them. */
	snprintf(in, sizeof(in), "%s%.9s.", pre, mac);
	assert_redacted(in, in, 0);

	/* Near misses are left alone. */
	assert_redacted("orbl1- orbl1-1-2 orbl1-1-2-3 orbl1-1-2-3- "
	    "orbl1-x-2-3-00112233445566778899aabbccddeeff "
	    "orbl1-1-2-3-zz112233445566778899aabbccddeeff "
	    "orbl1--2-3-00112233445566778899aabbccddeeff "
	    "orbl1-1-2-3_00112233445566778899aabbccddeeff "
	    "orbl2-1-2-3-00112233445566778899aabbccddeeff "
	    "orbl1-1-2-00112233445566778899aabbccddeeff",
	    "orbl1- orbl1-1-2 orbl1-1-2-3 orbl1-1-2-3- "
	    "orbl1-x-2-3-00112233445566778899aabbccddeeff "
	    "orbl1-1-2-3-zz112233445566778899aabbccddeeff "
	    "orbl1--2-3-00112233445566778899aabbccddeeff "
	    "orbl1-1-2-3_00112233445566778899aabbccddeeff "
	    "orbl2-1-2-3-00112233445566778899aabbccddeeff "
	    "orbl1-1-2-00112233445566778899aabbccddeeff", 0);
	/* ... a near miss right before a real one does not hide it. */
	snprintf(in, sizeof(in), "orbl1-1-2-orbl1-%s", tok);
	snprintf(want, sizeof(want), "orbl1-1-2-orbl1-%s[redacted]", pre);
	assert_redacted(in, want, 1);
	snprintf(in, sizeof(in), "orbl1-orbl1-1-%s", tok);
	snprintf(want, sizeof(want), "orbl1-orbl1-1-%s[redacted]", pre);
	assert_redacted(in, want, 1);

	/* Trivial inputs. */
	assert_redacted("", "", 0);
	assert_redacted("no cookie here", "no cookie here", 0);
	assert_int_equal(cookie_redact(NULL), 0);
}

/* A token cut at every place, followed by the string's end. */
static void
test_redact_cut(void **state)
{
	char	 tok[COOKIE_MAX], s[COOKIE_MAX];
	size_t	 n, len, k;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	len = strlen(tok);
	for (n = 0; n <= len; n++) {
		memcpy(s, tok, n);
		s[n] = '\0';
		k = cookie_redact(s);
		/* redacted from the 10th MAC digit on; the prefix stays */
		assert_int_equal(k, n >= len - 32 + 10 ? 1 : 0);
		if (k)
			assert_string_equal(s,
			    "orbl1-42-13-1767225600-[redacted]");
		else
			assert_memory_equal(s, tok, n);
	}
}

/*
 * cookie_redact of s through cookie_redact_work: the same result as
 * cookie_redact on a copy, and work that proves it linear: at least every
 * byte and the NUL once, never more than COOKIE_WORK_MAX(strlen(s)).
 * Returns the number of MACs replaced.
 */
static size_t
redact_counted(char *s)
{
	char		*copy = strdup(s);
	uint64_t	 work = 0;
	size_t		 len = strlen(s), n;

	assert_non_null(copy);
	n = cookie_redact_work(s, &work);
	assert_int_equal(cookie_redact(copy), n);
	assert_string_equal(s, copy);
	free(copy);
	assert_true(work >= len + 1);
	if (!(work <= COOKIE_WORK_MAX(len)))
		fail_msg("cookie_redact examined %llu bytes of %zu: more than "
		    "%llu, not linear", (unsigned long long)work, len,
		    (unsigned long long)COOKIE_WORK_MAX(len));
	return n;
}

/* Hostile input: linear, nothing left that the sink would find. */
static void
test_redact_big(void **state)
{
	const size_t	 sz = 1024 * 1024;
	char		*buf, tok[COOKIE_MAX];
	const char	*pat;
	uint64_t	 seed = 0x2545f4914f6cdd1dULL, wsmall = 0, wbig = 0;
	size_t		 i, pl, n;

	(void)state;
	make(&C, TARGET, tok, sizeof(tok));
	buf = malloc(sz + 1);
	assert_non_null(buf);

	/* random over the token's alphabet: whatever is left is no token */
	for (i = 0; i < sz; i++)
		buf[i] = "orbl1-0123456789abcdef"[rnd(&seed) % 22];
	buf[sz] = '\0';
	redact_counted(buf);
	assert_null(cookie_find(buf, strlen(buf), &n));

	/* tokens back to back, all the way: every one redacted */
	pl = strlen(tok);
	for (i = 0; i + pl <= sz; i += pl)
		memcpy(buf + i, tok, pl);
	buf[i] = '\0';
	assert_int_equal(redact_counted(buf), sz / pl);
	assert_null(cookie_find(buf, strlen(buf), &n));

	/* the worst near misses: long numbers, hex runs one short */
	pat = "orbl1-1234567890123456789-1234567890-1234567890123456789-"
	    "012345678-";
	pl = strlen(pat);
	for (i = 0; i < sz; i++)
		buf[i] = pat[i % pl];
	buf[sz] = '\0';
	/*
	 * Linear, not quadratic (which would take hours), counted rather
	 * than timed: every candidate is scanned to its end, and the
	 * megabyte costs 16 times what its first 64 KB do (give or take the
	 * candidate cut at the end), not 256 times.
	 */
	buf[sz / 16] = '\0';
	assert_int_equal(cookie_redact_work(buf, &wsmall), 0);
	buf[sz / 16] = pat[(sz / 16) % pl];
	assert_int_equal(cookie_redact_work(buf, &wbig), 0);
	assert_true(wsmall >= 3 * (sz / 16) / 2);
	assert_true(wbig >= 16 * wsmall - 2 * pl);
	assert_true(wbig <= 16 * wsmall + 2 * pl);
	assert_int_equal(redact_counted(buf), 0);
	/* the most work there is: every byte starts a candidate */
	for (i = 0; i < sz; i++)
		buf[i] = "oO"[i % 2];
	assert_int_equal(redact_counted(buf), 0);
	for (i = 0; i < sz; i++)
		buf[i] = "orbl1-"[i % 6];
	buf[sz] = '\0';
	assert_int_equal(redact_counted(buf), 0);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mac_format),
		cmocka_unit_test(test_wrong_key_target),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_make_errors),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_big),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_redact_cut),
		cmocka_unit_test(test_redact_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
