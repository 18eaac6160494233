/*
 * test_guard.c -- unit tests for web/guard.c: guard_client, the client
 * address behind trusted reverse proxies (one and several
 * X-Forwarded-For lines, spoofed entries left of the proxy's, chains of
 * proxies, malformed entries, the bounds), and, briefly, the form tokens
 * and the rate limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "guard.h"

#define PEER_PROXY	"127.0.0.1"
#define PEER_OTHER	"127.0.0.9"

/* Trusted: the peer proxy, an inner network of proxies, one IPv6. */
static const char *const PROXIES[] = { "127.0.0.1", "10.0.0.0/8",
    "2001:db8:ffff::/48" };
#define NPROXIES	((int)(sizeof(PROXIES) / sizeof(PROXIES[0])))

static struct addr	 proxies[NPROXIES];

static int
setup(void **state)
{
	char	 err[128];
	int	 i;

	(void)state;
	for (i = 0; i < NPROXIES; i++)
		assert_int_equal(addr_parse(PROXIES[i], &proxies[i], err,
		    sizeof(err)), 0);
	return 0;
}

static struct addr
A(const char *s)
{
	struct addr	 a;
	char		 err[128];

	assert_int_equal(addr_parse(s, &a, err, sizeof(err)), 0);
	return a;
}

/* guard_client from peer with the lines xff[0..n-1]: its verdict, and
 * the client as text in buf. */
static int
client(const char *peer, const char *const *xff, size_t n, char *buf,
    size_t len)
{
	struct addr	 p = A(peer), c;
	int		 how;

	memset(&c, 0xa5, sizeof(c));
	how = guard_client(&p, xff, n, proxies, NPROXIES, &c);
	addr_format_ip(&c, buf, len);
	return how;
}

#define CHECK(peer, lines, want_how, want) do {				\
	char	 buf_[ADDR_STRLEN];					\
	assert_int_equal(client(peer, lines,				\
	    sizeof(lines) / sizeof(lines[0]), buf_, sizeof(buf_)),	\
	    want_how);							\
	assert_string_equal(buf_, want);				\
} while (0)

static void
test_untrusted_peer(void **state)
{
	const char *const	 x[] = { "198.51.100.44" };
	const char *const	 x2[] = { "10.0.0.1", "198.51.100.44" };
	struct addr		 p = A(PEER_OTHER), c;

	(void)state;
	/* Whatever it writes, a peer that is no proxy is the client. */
	CHECK(PEER_OTHER, x, GUARD_CLIENT_PEER, PEER_OTHER);
	CHECK(PEER_OTHER, x2, GUARD_CLIENT_PEER, PEER_OTHER);
	/* No proxies configured: the same. */
	assert_int_equal(guard_client(&p, x, 1, NULL, 0, &c),
	    GUARD_CLIENT_PEER);
	assert_int_equal(addr_cmp(&c, &p), 0);
	p = A(PEER_PROXY);
	assert_int_equal(guard_client(&p, x, 1, NULL, 0, &c),
	    GUARD_CLIENT_PEER);
	assert_int_equal(addr_cmp(&c, &p), 0);
}

static void
test_no_header(void **state)
{
	const char *const	 nul[] = { NULL, NULL };
	struct addr		 p = A(PEER_PROXY), c;

	(void)state;
	assert_int_equal(guard_client(&p, NULL, 0, proxies, NPROXIES, &c),
	    GUARD_CLIENT_PEER);
	assert_int_equal(addr_cmp(&c, &p), 0);
	CHECK(PEER_PROXY, nul, GUARD_CLIENT_PEER, PEER_PROXY);
}

static void
test_one_line(void **state)
{
	const char *const	 x1[] = { "198.51.100.44" };
	const char *const	 x2[] = { "203.0.113.7, 198.51.100.44" };
	const char *const	 x3[] = { "203.0.113.7,198.51.100.44" };
	const char *const	 x4[] = { " \t198.51.100.44 \t" };
	const char *const	 x5[] = { "2001:db8::7" };
	const char *const	 x6[] = { "::ffff:198.51.100.7" };
	const char *const	 x7[] = { "203.0.113.7,,198.51.100.44" };

	(void)state;
	CHECK(PEER_PROXY, x1, GUARD_CLIENT_XFF, "198.51.100.44");
	/* What the client wrote left of the proxy's entry is not believed. */
	CHECK(PEER_PROXY, x2, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x3, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x4, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x5, GUARD_CLIENT_XFF, "2001:db8::7");
	CHECK(PEER_PROXY, x6, GUARD_CLIENT_XFF, "198.51.100.7");
	/* An empty entry left of the client is never reached. */
	CHECK(PEER_PROXY, x7, GUARD_CLIENT_XFF, "198.51.100.44");
}

/* The defect: the client's own line first, the proxy's after it. */
static void
test_two_lines(void **state)
{
	const char *const	 x1[] = { "6.6.6.6", "198.51.100.44" };
	const char *const	 x2[] = { "6.6.6.6, 7.7.7.7", "198.51.100.44" };
	/* A client that names a trusted proxy gains nothing. */
	const char *const	 x3[] = { "6.6.6.6, 10.0.0.1", "198.51.100.44" };
	const char *const	 x4[] = { "10.0.0.1", "198.51.100.44" };
	const char *const	 x5[] = { "garbage", "198.51.100.44" };
	const char *const	 x6[] = { "", "198.51.100.44" };
	const char *const	 x7[] = { "6.6.6.6", NULL, "198.51.100.44" };
	const char *const	 x8[] = { "6.6.6.6", "198.51.100.44", "10.2.3.4" };

	(void)state;
	CHECK(PEER_PROXY, x1, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x2, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x3, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x4, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x5, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x6, GUARD_CLIENT_XFF, "198.51.100.44");
	CHECK(PEER_PROXY, x7, GUARD_CLIENT_XFF, "198.51.100.44");
	/* An inner proxy's line after it: a hop, walked past. */
	CHECK(PEER_PROXY, x8, GUARD_CLIENT_XFF, "198.51.100.44");
}

static void
test_chain(void **state)
{
	const char *const	 x1[] = { "6.6.6.6, 198.51.100.9, 10.1.2.3" };
	const char *const	 x2[] = { "198.51.100.9", "10.1.2.3",
	    "10.4.5.6, 127.0.0.1" };
	const char *const	 x3[] = { "2001:db8::9, 2001:db8:ffff::1" };
	const char *const	 x4[] = { "10.0.0.1, 10.0.0.2" };
	const char *const	 x5[] = { "10.0.0.1", "127.0.0.1" };

	(void)state;
	CHECK(PEER_PROXY, x1, GUARD_CLIENT_XFF, "198.51.100.9");
	CHECK(PEER_PROXY, x2, GUARD_CLIENT_XFF, "198.51.100.9");
	CHECK(PEER_PROXY, x3, GUARD_CLIENT_XFF, "2001:db8::9");
	/* Proxies only: the left-most, the last hop. */
	CHECK(PEER_PROXY, x4, GUARD_CLIENT_HOP, "10.0.0.1");
	CHECK(PEER_PROXY, x5, GUARD_CLIENT_HOP, "10.0.0.1");
	/* An IPv6 peer that is a trusted proxy. */
	CHECK("2001:db8:ffff::5", x1, GUARD_CLIENT_XFF, "198.51.100.9");
}

/* Malformed entries stop the walk at the last trusted hop. */
static void
test_malformed(void **state)
{
	const char *const	 m1[] = { "198.51.100.9, unknown" };
	const char *const	 m2[] = { "198.51.100.9," };
	const char *const	 m3[] = { "198.51.100.9, " };
	const char *const	 m4[] = { "" };
	const char *const	 m5[] = { "198.51.100.9", "" };
	const char *const	 m6[] = { "198.51.100.0/24" };
	const char *const	 m7[] = { "198.51.100.9:4711" };
	const char *const	 m8[] = { "[2001:db8::9]" };
	const char *const	 m9[] = { "198.51.100.9\xff" };
	const char *const	 m10[] = { "198.51.100.9 198.51.100.10" };
	const char *const	 m11[] = { "198.51.100.9, unknown, 10.1.2.3" };
	const char *const	 m12[] = { "198.51.100.9", "unknown",
	    "10.1.2.3" };
	const char *const	 m13[] = { "198.51.100.9, 10.1.2.3,,10.4.5.6" };
	const char *const	 m14[] = { "0.0.0.0/0" };
	const char *const	 m15[] = { "198.51.100.9;" };

	(void)state;
	CHECK(PEER_PROXY, m1, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m2, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m3, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m4, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m5, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m6, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m7, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m8, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m9, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m10, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m11, GUARD_CLIENT_HOP, "10.1.2.3");
	CHECK(PEER_PROXY, m12, GUARD_CLIENT_HOP, "10.1.2.3");
	CHECK(PEER_PROXY, m13, GUARD_CLIENT_HOP, "10.4.5.6");
	CHECK(PEER_PROXY, m14, GUARD_CLIENT_HOP, PEER_PROXY);
	CHECK(PEER_PROXY, m15, GUARD_CLIENT_HOP, PEER_PROXY);
}

/* Entry length: up to GUARD_XFF_ITEM_MAX bytes, white space counted. */
static void
test_item_length(void **state)
{
	char		 item[GUARD_XFF_ITEM_MAX + 2], *big;
	const char	*x[1];
	char		 buf[ADDR_STRLEN];
	size_t		 n;

	(void)state;
	n = strlen("198.51.100.44");
	memset(item, ' ', sizeof(item));
	memcpy(item + GUARD_XFF_ITEM_MAX - n, "198.51.100.44", n);
	item[GUARD_XFF_ITEM_MAX] = '\0';
	x[0] = item;
	assert_int_equal(client(PEER_PROXY, x, 1, buf, sizeof(buf)),
	    GUARD_CLIENT_XFF);
	assert_string_equal(buf, "198.51.100.44");
	/* One byte more (a space in front) is too long. */
	memmove(item + 1, item, GUARD_XFF_ITEM_MAX + 1);
	item[0] = ' ';
	assert_int_equal(strlen(item), GUARD_XFF_ITEM_MAX + 1);
	assert_int_equal(client(PEER_PROXY, x, 1, buf, sizeof(buf)),
	    GUARD_CLIENT_HOP);
	assert_string_equal(buf, PEER_PROXY);

	/* A megabyte without a comma: refused after GUARD_XFF_ITEM_MAX. */
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, '1', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	x[0] = big;
	assert_int_equal(client(PEER_PROXY, x, 1, buf, sizeof(buf)),
	    GUARD_CLIENT_HOP);
	assert_string_equal(buf, PEER_PROXY);
	/* ... the same with a good client right of it. */
	memcpy(big + (1 << 20) - 16, ",198.51.100.44\0", 15);
	assert_int_equal(client(PEER_PROXY, x, 1, buf, sizeof(buf)),
	    GUARD_CLIENT_XFF);
	assert_string_equal(buf, "198.51.100.44");
	free(big);
}

/* No more than GUARD_XFF_MAX entries are read, over any number of lines. */
static void
test_bound(void **state)
{
	char		*line, *p, buf[ADDR_STRLEN];
	const char	*lines[3 * GUARD_XFF_MAX];
	size_t		 i;

	(void)state;
	/* GUARD_XFF_MAX - 1 hops, then the client: found. */
	line = malloc(16 * (GUARD_XFF_MAX + 2));
	assert_non_null(line);
	p = line + sprintf(line, "198.51.100.44");
	for (i = 0; i < GUARD_XFF_MAX - 1; i++)
		p += sprintf(p, ", 10.0.0.%zu", i + 1);
	lines[0] = line;
	assert_int_equal(client(PEER_PROXY, lines, 1, buf, sizeof(buf)),
	    GUARD_CLIENT_XFF);
	assert_string_equal(buf, "198.51.100.44");
	/* One hop more: the client is not reached, the last hop is it. */
	p = line + sprintf(line, "198.51.100.44");
	for (i = 0; i < GUARD_XFF_MAX; i++)
		p += sprintf(p, ", 10.0.0.%zu", i + 1);
	assert_int_equal(client(PEER_PROXY, lines, 1, buf, sizeof(buf)),
	    GUARD_CLIENT_HOP);
	assert_string_equal(buf, "10.0.0.1");
	free(line);

	/* The same over lines, one entry each. */
	lines[0] = "198.51.100.44";
	for (i = 1; i < GUARD_XFF_MAX; i++)
		lines[i] = "10.0.0.7";
	assert_int_equal(client(PEER_PROXY, lines, GUARD_XFF_MAX, buf,
	    sizeof(buf)), GUARD_CLIENT_XFF);
	assert_string_equal(buf, "198.51.100.44");
	for (i = 1; i < 3 * GUARD_XFF_MAX; i++)
		lines[i] = "10.0.0.7";
	assert_int_equal(client(PEER_PROXY, lines, 3 * GUARD_XFF_MAX, buf,
	    sizeof(buf)), GUARD_CLIENT_HOP);
	assert_string_equal(buf, "10.0.0.7");
}

static void
test_token(void **state)
{
	struct guard	*g;
	char		 err[128], tok[GUARD_TOKEN_LEN], bad[GUARD_TOKEN_LEN];
	int64_t		 now = 1700000000;

	(void)state;
	g = guard_new(2, err, sizeof(err));
	assert_non_null(g);
	guard_token(g, "submit", "198.51.100.44", now, tok, sizeof(tok));
	assert_true(guard_token_ok(g, "submit", "198.51.100.44", tok, now));
	assert_true(guard_token_ok(g, "submit", "198.51.100.44", tok,
	    now + GUARD_WINDOW));
	assert_false(guard_token_ok(g, "submit", "198.51.100.44", tok,
	    now + 2 * GUARD_WINDOW));
	assert_false(guard_token_ok(g, "delist", "198.51.100.44", tok, now));
	assert_false(guard_token_ok(g, "submit", "6.6.6.6", tok, now));
	assert_false(guard_token_ok(g, "submit", "198.51.100.44", NULL, now));
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[strlen(bad) - 1] ^= 1;
	assert_false(guard_token_ok(g, "submit", "198.51.100.44", bad, now));
	guard_free(g);
}

static void
test_rate(void **state)
{
	struct guard	*g;
	char		 err[128];
	int64_t		 now = 1700000000;

	(void)state;
	g = guard_new(2, err, sizeof(err));
	assert_non_null(g);
	assert_int_equal(guard_rate(g, "198.51.100.44", now), 0);
	assert_int_equal(guard_rate(g, "198.51.100.44", now + 10), 0);
	assert_int_equal(guard_rate(g, "198.51.100.44", now + 20),
	    GUARD_WINDOW - 20);
	assert_int_equal(guard_rate(g, "6.6.6.6", now + 20), 0);
	assert_int_equal(guard_rate(g, "198.51.100.44", now + GUARD_WINDOW),
	    0);
	assert_int_equal(guard_clients(g), 2);
	guard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untrusted_peer),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_two_lines),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_item_length),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
