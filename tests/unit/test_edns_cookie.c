/*
 * test_edns_cookie.c -- unit tests for DNS cookies: dnsd/edns_cookie.c
 * against RFC 9018's test vectors (appendix A.1, A.2), every way a server cookie
 * is not valid, and the replies (answer.c): the COOKIE option in the OPT,
 * BADCOOKIE and TC from answer_slip().
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acl.h"
#include "answer.h"
#include "conf.h"
#include "edns_cookie.h"
#include "query.h"
#include "zone_conf.h"
#include "zone_index.h"

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	size_t		 i;
	unsigned int	 v;

	assert_int_equal(strlen(h), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
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
with_cookie(struct query *q, const char *hex)
{
	memset(q, 0, sizeof(*q));
	q->edns = 1;
	q->cookie_len = (uint8_t)(strlen(hex) / 2);
	unhex(hex, q->cookie, q->cookie_len);
}

/* RFC 9018 appendix A */
static void
test_rfc9018_vectors(void **state)
{
	uint8_t		 secret[16], out[24], want[24];
	uint8_t		 outlen;
	struct query	 q;
	struct src	 c1 = mksrc("198.51.100.100");

	(void)state;
	unhex("e5e973e5a6b2a43f48e7dc849e37bfcf", secret, 16);
	/* A.1: a client cookie only: a new server cookie */
	with_cookie(&q, "2464c4abcf10c957");
	assert_int_equal(edns_cookie(secret, &q, &c1, 1559731985, out,
	    &outlen), COOKIE_CLIENT);
	assert_int_equal(outlen, 24);
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", want, 24);
	assert_memory_equal(out, want, 24);
	/* A.2: the same, 40 minutes later: valid, and renewed (> 30 min) */
	with_cookie(&q, "2464c4abcf10c957010000005cf79f111f8130c3eee29480");
	assert_int_equal(edns_cookie(secret, &q, &c1, 1559734385, out,
	    &outlen), COOKIE_VALID);
	unhex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77", want, 24);
	assert_memory_equal(out, want, 24);
}

static void
test_cookie_validity(void **state)
{
	uint8_t		 secret[16], out[24], first[24];
	uint8_t		 outlen;
	struct query	 q;
	struct src	 a = mksrc("192.0.2.1"), b = mksrc("192.0.2.2");
	uint32_t	 now = 1800000000;
	char		 hex[49];
	int		 i;

	(void)state;
	memset(secret, 0x5a, sizeof(secret));
	memset(&q, 0, sizeof(q));
	assert_int_equal(edns_cookie(secret, &q, &a, now, out, &outlen),
	    COOKIE_NONE);
	assert_int_equal(outlen, 0);

	with_cookie(&q, "0102030405060708");
	assert_int_equal(edns_cookie(secret, &q, &a, now, first, &outlen),
	    COOKIE_CLIENT);
	for (i = 0; i < 24; i++)
		snprintf(hex + 2 * i, 3, "%02x", first[i]);
	/* back within 30 minutes: valid, echoed as it is */
	with_cookie(&q, hex);
	assert_int_equal(edns_cookie(secret, &q, &a, now + 1799, out,
	    &outlen), COOKIE_VALID);
	assert_memory_equal(out, first, 24);
	/* 5 minutes of clock skew the other way: still valid */
	assert_int_equal(edns_cookie(secret, &q, &a, now - 300, out,
	    &outlen), COOKIE_VALID);
	/* older than an hour, or from further ahead: a new one */
	assert_int_equal(edns_cookie(secret, &q, &a, now + 3601, out,
	    &outlen), COOKIE_CLIENT);
	assert_memory_not_equal(out + 8, first + 8, 16);
	assert_int_equal(edns_cookie(secret, &q, &a, now - 301, out,
	    &outlen), COOKIE_CLIENT);
	/* another address, another secret: not ours */
	assert_int_equal(edns_cookie(secret, &q, &b, now, out, &outlen),
	    COOKIE_CLIENT);
	secret[0] ^= 1;
	assert_int_equal(edns_cookie(secret, &q, &a, now, out, &outlen),
	    COOKIE_CLIENT);
	secret[0] ^= 1;
	/* any byte changed */
	for (i = 8; i < 24; i++) {
		with_cookie(&q, hex);
		q.cookie[i] ^= 0x10;
		assert_int_equal(edns_cookie(secret, &q, &a, now, out,
		    &outlen), COOKIE_CLIENT);
		assert_memory_equal(out, first, 8);	/* client echoed */
	}
	/* a server cookie of another length (8..32 is legal) */
	with_cookie(&q, "01020304050607080102030405060708");
	assert_int_equal(edns_cookie(secret, &q, &a, now, out, &outlen),
	    COOKIE_CLIENT);
	assert_int_equal(outlen, 24);
}

/* ------------------------------------------------------------------ */
/* Replies */

static struct zone_index	*zi;
static struct zone_conf		*zc;
static struct conf		 cf;

static int
setup(void **state)
{
	char	 err[256];

	(void)state;
	zi = zone_index_builder_finish(zone_index_builder_new(), "x $");
	conf_init(&cf);
	assert_int_equal(conf_set(&cf, "zone", "bl.test", err, sizeof(err)),
	    0);
	zc = zone_conf_new(&cf, NULL, 1, err, sizeof(err));
	assert_non_null(zc);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	zone_conf_free(zc);
	zone_index_free(zi);
	conf_free(&cf);
	return 0;
}

/* "2.0.0.127.bl.test" A, EDNS 1232, COOKIE with the client cookie. */
static size_t
cookie_query(uint8_t *b)
{
	static const uint8_t q[] = {
		0xbe, 0xef, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		1, '2', 1, '0', 1, '0', 3, '1', '2', '7', 2, 'b', 'l',
		4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12,
		0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8
	};

	memcpy(b, q, sizeof(q));
	return sizeof(q);
}

static void
test_reply_cookie(void **state)
{
	uint8_t			 pkt[512], out[1232], ck[24];
	struct query		 q;
	struct answer_stats	 st;
	struct answer_opts	 o = { ANSWER_NORMAL, NULL, 0, NULL, 0 };
	size_t			 len, n, m;
	enum query_result	 qr;
	int			 i;

	(void)state;
	memset(&st, 0, sizeof(st));
	len = cookie_query(pkt);
	qr = query_parse(pkt, len, &q);
	assert_int_equal(qr, QUERY_OK);
	assert_int_equal(q.cookie_len, 8);
	for (i = 0; i < 24; i++)
		ck[i] = (uint8_t)(i < 8 ? i + 1 : 0xc0 + i);
	o.cookie = ck;
	o.cookielen = 24;
	n = answer_build_ex(zc, zi, pkt, len, &q, qr, 0, out, sizeof(out),
	    &st, &o);
	assert_true(n > 0);
	assert_int_equal(out[3] & 0x0f, 0);
	assert_int_equal(out[7], 1);		/* the A answer */
	assert_int_equal(out[11], 1);		/* OPT */
	/* OPT last: ... RDLEN 28, COOKIE 10, length 24, the cookie */
	assert_int_equal(out[n - 30], 0);
	assert_int_equal(out[n - 29], 28);
	assert_int_equal(out[n - 28], 0);
	assert_int_equal(out[n - 27], 10);
	assert_int_equal(out[n - 25], 24);
	assert_memory_equal(out + n - 24, ck, 24);

	/* RRL slip: header, question, the OPT with the cookie; TC */
	m = answer_slip(out, n, &q, &o, 0);
	assert_int_equal(m, q.qend + 11 + 28);
	assert_true(out[2] & 0x02);
	assert_int_equal(out[7] | out[9], 0);
	assert_int_equal(out[11], 1);
	assert_memory_equal(out + m - 24, ck, 24);

	/* BADCOOKIE instead: rcode 23 = extended 1, header 7; no TC */
	n = answer_build_ex(zc, zi, pkt, len, &q, qr, 0, out, sizeof(out),
	    &st, &o);
	m = answer_slip(out, n, &q, &o, 1);
	assert_false(out[2] & 0x02);
	assert_int_equal(out[3] & 0x0f, 7);
	assert_int_equal(out[q.qend + 5], 1);
	assert_int_equal(out[7], 0);
	assert_memory_equal(out + m - 24, ck, 24);

	/* a malformed cookie: FORMERR, OPT without a cookie */
	pkt[len - 9] = 9;
	pkt[len - 13] = 13;	/* the OPT's RDLENGTH */
	pkt[len++] = 9;
	qr = query_parse(pkt, len, &q);
	assert_int_equal(qr, QUERY_FORMERR);
	n = answer_build_ex(zc, zi, pkt, len, &q, qr, 0, out, sizeof(out),
	    &st, NULL);
	assert_int_equal(out[3] & 0x0f, 1);
	assert_int_equal(out[11], 1);
	assert_int_equal(n, q.qend + 11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9018_vectors),
		cmocka_unit_test(test_cookie_validity),
		cmocka_unit_test_setup_teardown(test_reply_cookie, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
