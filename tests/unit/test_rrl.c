/*
 * test_rrl.c -- unit tests for the query path's limits: SipHash-2-4
 * (dnsd/siphash.c, against the paper's vector and libcrypto's EVP_MAC
 * "SIPHASH"), response rate limiting (dnsd/rrl.c: rate, slip, classes,
 * prefixes, a random-source flood), the daily limit (dnsd/quota.c) and the
 * access lists (dnsd/acl.c).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "acl.h"
#include "conf.h"
#include "quota.h"
#include "rrl.h"
#include "siphash.h"

/* ------------------------------------------------------------------ */
/* SipHash-2-4 */

static uint64_t
ossl_siphash(const uint8_t key[16], const uint8_t *m, size_t len)
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 p[2];
	size_t		 size = 8, outl = 0;
	uint8_t		 out[8];
	uint64_t	 v = 0;
	int		 i;

	mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	assert_non_null(mac);
	ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	p[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
	p[1] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_MAC_init(ctx, key, 16, p), 1);
	assert_int_equal(EVP_MAC_update(ctx, m, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &outl, sizeof(out)), 1);
	assert_int_equal(outl, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (i = 7; i >= 0; i--)	/* little-endian output */
		v = v << 8 | out[i];
	return v;
}

static void
test_siphash(void **state)
{
	uint8_t		 key[16], m[80];
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	/* The paper's appendix A: 15 bytes 00..0e, key 00..0f. */
	assert_true(siphash24(key, m, 15) == 0xa129ca6149be45e5ULL);
	for (len = 0; len < sizeof(m); len++)
		assert_true(siphash24(key, m, len) == ossl_siphash(key, m,
		    len));
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa5 ^ i * 37);
	for (len = 0; len < sizeof(m); len += 7)
		assert_true(siphash24(key, m, len) == ossl_siphash(key, m,
		    len));
}

/* ------------------------------------------------------------------ */
/* RRL */

static void
rrl_conf(struct conf *c, const char *rate, const char *slip)
{
	char	 err[256];

	conf_init(c);
	assert_int_equal(conf_set(c, "rrl_rate", rate, err, sizeof(err)), 0);
	assert_int_equal(conf_set(c, "rrl_slip", slip, err, sizeof(err)), 0);
}

static struct src
mksrc(const char *text)
{
	struct src	 s;

	memset(&s, 0, sizeof(s));
	if (inet_pton(AF_INET, text, s.ip) == 1)
		s.family = 4;
	else {
		assert_int_equal(inet_pton(AF_INET6, text, s.ip), 1);
		s.family = 6;
	}
	return s;
}

static void
test_rrl_rate_slip(void **state)
{
	struct conf	 c;
	struct rrl	 r;
	struct src	 a = mksrc("192.0.2.1"), b = mksrc("192.0.2.200"),
			 x = mksrc("192.0.3.1");
	char		 err[256];
	int		 i, n[3] = { 0, 0, 0 };
	uint64_t	 h;

	(void)state;
	rrl_conf(&c, "5", "2");
	assert_int_equal(rrl_init(&r, &c, 1, err, sizeof(err)), 0);
	h = rrl_src_hash(&r, &a);
	/* the same /24: the same prefix */
	assert_true(h == rrl_src_hash(&r, &b));
	assert_true(h != rrl_src_hash(&r, &x));
	for (i = 0; i < 20; i++)
		n[rrl_account(&r, h, RRL_ANSWER, 100)]++;
	assert_int_equal(n[RRL_SEND], 5);
	/* every 2nd of the first 5 over the rate; the rest dropped */
	assert_int_equal(n[RRL_SLIP], 2);
	assert_int_equal(n[RRL_DROP], 13);
	/* other classes and prefixes have their own buckets */
	assert_int_equal(rrl_account(&r, h, RRL_NXDOMAIN, 100), RRL_SEND);
	assert_int_equal(rrl_account(&r, rrl_src_hash(&r, &x), RRL_ANSWER,
	    100), RRL_SEND);
	/* the next second: a full bucket again */
	for (i = 0; i < 5; i++)
		assert_int_equal(rrl_account(&r, h, RRL_ANSWER, 101), RRL_SEND);
	assert_int_equal(rrl_account(&r, h, RRL_ANSWER, 101), RRL_DROP);
	rrl_free(&r);
	conf_free(&c);

	/* slip 0: never truncated; rate 0: off */
	rrl_conf(&c, "1", "0");
	assert_int_equal(rrl_init(&r, &c, 1, err, sizeof(err)), 0);
	assert_int_equal(rrl_account(&r, 7, RRL_ERROR, 5), RRL_SEND);
	for (i = 0; i < 50; i++)
		assert_int_equal(rrl_account(&r, 7, RRL_ERROR, 5), RRL_DROP);
	rrl_free(&r);
	conf_free(&c);
	rrl_conf(&c, "0", "2");
	assert_int_equal(rrl_init(&r, &c, 1, err, sizeof(err)), 0);
	assert_null(r.slots);
	for (i = 0; i < 50; i++)
		assert_int_equal(rrl_account(&r, 7, RRL_ERROR, 5), RRL_SEND);
	rrl_free(&r);
	conf_free(&c);
}

/* A flood of random sources neither grows the table nor frees the heavy
 * hitter: it stays limited while they come. */
static void
test_rrl_random_flood(void **state)
{
	struct conf	 c;
	struct rrl	 r;
	char		 err[256];
	uint64_t	 heavy = 0x123456789abcdef0ULL, rnd = 88172645463325252ULL;
	int		 i, sent = 0;

	(void)state;
	rrl_conf(&c, "10", "0");
	assert_int_equal(rrl_init(&r, &c, 1, err, sizeof(err)), 0);
	for (i = 0; i < 400000; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		(void)rrl_account(&r, rnd, RRL_ANSWER, 9);
		if (i % 4 == 0 &&
		    rrl_account(&r, heavy, RRL_ANSWER, 9) == RRL_SEND)
			sent++;
	}
	assert_true(sent >= 10);
	assert_true(sent <= 12);
	rrl_free(&r);
	conf_free(&c);
}

static void
test_rrl_classify_conf(void **state)
{
	uint8_t		 h[12] = { 0 };
	struct conf	 c;
	struct rrl	 r;
	char		 err[256];

	(void)state;
	assert_int_equal(rrl_classify(h), RRL_NODATA);
	h[7] = 1;
	assert_int_equal(rrl_classify(h), RRL_ANSWER);
	h[3] = 3;
	assert_int_equal(rrl_classify(h), RRL_NXDOMAIN);
	h[3] = 5;
	assert_int_equal(rrl_classify(h), RRL_ERROR);

	conf_init(&c);
	assert_int_equal(conf_set(&c, "rrl_prefix4", "33", err, sizeof(err)),
	    0);
	assert_int_equal(rrl_init(&r, &c, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "rrl_prefix4"));
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "rrl_prefix6", "129", err, sizeof(err)),
	    0);
	assert_int_equal(rrl_init(&r, &c, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "rrl_prefix6"));
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "rrl_exempt", "10.0.0.1/8", err,
	    sizeof(err)), 0);
	assert_int_equal(rrl_init(&r, &c, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "rrl_exempt"));
	conf_free(&c);
}

/* ------------------------------------------------------------------ */
/* Daily limit */

static void
test_quota(void **state)
{
	struct conf	 c;
	struct quota	 q;
	char		 err[256];
	int		 i;

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_set(&c, "query_daily_limit", "3", err,
	    sizeof(err)), 0);
	assert_int_equal(quota_init(&q, &c, 1, err, sizeof(err)), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(quota_count(&q, 42, 20000), 0);
	assert_int_equal(quota_count(&q, 42, 20000), 1);
	assert_int_equal(quota_count(&q, 42, 20000), 1);
	assert_int_equal(quota_count(&q, 0xdeadbeef12345ULL, 20000), 0);
	/* a new day starts from zero */
	assert_int_equal(quota_count(&q, 42, 20001), 0);
	quota_free(&q);
	conf_free(&c);

	conf_init(&c);
	assert_int_equal(quota_init(&q, &c, 1, err, sizeof(err)), 0);
	assert_null(q.cells);
	for (i = 0; i < 10; i++)
		assert_int_equal(quota_count(&q, 42, 20000), 0);
	conf_free(&c);
}

/* ------------------------------------------------------------------ */
/* Access lists */

static void
test_acl(void **state)
{
	struct conf		 c;
	struct acl		 a;
	struct src		 s;
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	char			 err[256], buf[64];

	(void)state;
	conf_init(&c);
	assert_int_equal(acl_init(&a, &c, err, sizeof(err)), 0);
	assert_false(a.active);
	s = mksrc("192.0.2.1");
	assert_true(acl_allowed(&a, &s));
	assert_int_equal(a.action, ACL_REFUSE);

	assert_int_equal(conf_set(&c, "query_allow", "192.0.2.0/25", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "query_allow", "2001:db8::/32", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "query_deny", "192.0.2.66", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "query_deny_action", "blocked", err,
	    sizeof(err)), 0);
	assert_int_equal(acl_init(&a, &c, err, sizeof(err)), 0);
	assert_int_equal(a.action, ACL_BLOCKED);
	s = mksrc("192.0.2.1");
	assert_true(acl_allowed(&a, &s));
	s = mksrc("192.0.2.66");	/* deny wins */
	assert_false(acl_allowed(&a, &s));
	s = mksrc("192.0.2.128");	/* not in query_allow */
	assert_false(acl_allowed(&a, &s));
	s = mksrc("2001:db8:ffff::1");
	assert_true(acl_allowed(&a, &s));
	s = mksrc("2001:db9::1");
	assert_false(acl_allowed(&a, &s));
	conf_free(&c);

	conf_init(&c);
	assert_int_equal(conf_set(&c, "query_deny_action", "maybe", err,
	    sizeof(err)), 0);
	assert_int_equal(acl_init(&a, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "query_deny_action"));
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "query_deny", "192.0.2.1/24", err,
	    sizeof(err)), 0);
	assert_int_equal(acl_init(&a, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "query_deny"));
	conf_free(&c);

	/* an IPv4-mapped IPv6 source is the IPv4 address */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.9",
	    &sin6.sin6_addr), 1);
	src_from_sockaddr(&s, &sin6);
	assert_int_equal(s.family, 4);
	src_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.9");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000042);
	src_from_sockaddr(&s, &sin);
	src_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.66");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash),
		cmocka_unit_test(test_rrl_rate_slip),
		cmocka_unit_test(test_rrl_random_flood),
		cmocka_unit_test(test_rrl_classify_conf),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_acl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
