/*
 * test_zone_index.c -- unit tests for the zone index as built
 * (core/zone_build.c) and looked up (core/zone_index.c): most specific
 * entry wins, exclusions, RFC 5782 test points, IPv4-mapped IPv6, has4 /
 * has6 for empty non-terminals, value dedup (values no address answers
 * are dropped), the entry count, and a randomized comparison against a
 * naive model (linear scan, fixed seed).  zone_index_patch() has its own
 * tests in test_zone_patch.c.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "addr.h"
#include "zone_index.h"

__extension__ typedef unsigned __int128 u128;

#define C2	0x7f000002U
#define C3	0x7f000003U
#define C4	0x7f000004U
#define C10	0x7f00000aU
#define DEFR	"listed: see https://example.org/$"

static void
add(struct zone_index_builder *b, const char *cidr, int excl, uint32_t code,
    const char *reason)
{
	struct addr	 a;
	char		 err[128];

	if (addr_parse(cidr, &a, err, sizeof(err)) == -1)
		fail_msg("addr_parse %s: %s", cidr, err);
	assert_int_equal(zone_index_builder_add(b, &a, excl, code, reason), 0);
}

static uint32_t
ip4(const char *s)
{
	struct in_addr	 in;

	if (inet_pton(AF_INET, s, &in) != 1)
		fail_msg("inet_pton %s", s);
	return ntohl(in.s_addr);
}

static const uint8_t *
ip6(const char *s)
{
	static uint8_t	 buf[8][16];
	static int	 n;
	uint8_t		*p = buf[n++ % 8];

	if (inet_pton(AF_INET6, s, p) != 1)
		fail_msg("inet_pton %s", s);
	return p;
}

static const struct zi_value *
lk4(const struct zone_index *zi, const char *s)
{
	return zone_index_lookup4(zi, ip4(s));
}

static const struct zi_value *
lk6(const struct zone_index *zi, const char *s)
{
	return zone_index_lookup6(zi, ip6(s));
}

static int
has4(const struct zone_index *zi, const char *s, int prefix)
{
	return zone_index_has4(zi, ip4(s), prefix);
}

static int
has6(const struct zone_index *zi, const char *s, int prefix)
{
	return zone_index_has6(zi, ip6(s), prefix);
}

/* Listed with this code (0 = not listed). */
static void
expect4(const struct zone_index *zi, const char *s, uint32_t code)
{
	const struct zi_value	*v = lk4(zi, s);

	if (code == 0 && v != NULL)
		fail_msg("%s: listed (0x%08x), expected not listed", s, v->code);
	if (code != 0 && v == NULL)
		fail_msg("%s: not listed, expected 0x%08x", s, code);
	if (code != 0 && v->code != code)
		fail_msg("%s: code 0x%08x, expected 0x%08x", s, v->code, code);
}

static void
expect6(const struct zone_index *zi, const char *s, uint32_t code)
{
	const struct zi_value	*v = lk6(zi, s);

	if (code == 0 && v != NULL)
		fail_msg("%s: listed (0x%08x), expected not listed", s, v->code);
	if (code != 0 && v == NULL)
		fail_msg("%s: not listed, expected 0x%08x", s, code);
	if (code != 0 && v->code != code)
		fail_msg("%s: code 0x%08x, expected 0x%08x", s, v->code, code);
}

static void
test_testpoints(void **state)
{
	struct zone_index	*zi;
	struct zone_index_stats	 st;
	const struct zi_value	*v;

	(void)state;
	zi = zone_index_builder_finish(zone_index_builder_new(), DEFR);
	v = lk4(zi, "127.0.0.2");
	assert_non_null(v);
	assert_int_equal(v->code, C2);
	assert_string_equal(v->txt, RFC5782_TP_REASON);
	assert_int_equal(v->txtlen, strlen(RFC5782_TP_REASON));
	assert_null(lk4(zi, "127.0.0.1"));
	assert_null(lk4(zi, "127.0.0.3"));
	assert_null(lk4(zi, "127.0.0.0"));
	assert_null(lk4(zi, "0.0.0.0"));
	assert_null(lk4(zi, "255.255.255.255"));
	assert_ptr_equal(lk6(zi, "::ffff:7f00:2"), v);
	assert_null(lk6(zi, "::ffff:7f00:1"));
	assert_null(lk6(zi, "::7f00:2"));	/* IPv4-compatible: not mapped */
	assert_null(lk6(zi, "::"));
	assert_null(lk6(zi, "2001:db8::1"));

	assert_true(has4(zi, "0.0.0.0", 0));
	assert_true(has4(zi, "127.0.0.0", 8));
	assert_true(has4(zi, "127.0.0.0", 16));
	assert_true(has4(zi, "127.0.0.0", 24));
	assert_true(has4(zi, "127.0.0.2", 32));
	assert_true(has4(zi, "127.0.0.2", 31));
	assert_false(has4(zi, "127.0.0.0", 31));
	assert_false(has4(zi, "127.0.0.1", 32));
	assert_false(has4(zi, "127.0.0.3", 32));
	assert_false(has4(zi, "127.0.1.0", 24));
	assert_false(has4(zi, "10.0.0.0", 8));
	assert_false(has4(zi, "128.0.0.0", 1));
	assert_true(has4(zi, "0.0.0.0", 1));
	assert_false(has4(zi, "0.0.0.0", 33));
	assert_false(has4(zi, "0.0.0.0", -1));

	assert_true(has6(zi, "::", 0));
	assert_true(has6(zi, "::", 80));
	assert_true(has6(zi, "::ffff:0:0", 96));
	assert_true(has6(zi, "::ffff:7f00:0", 104));
	assert_true(has6(zi, "::ffff:7f00:0", 120));
	assert_true(has6(zi, "::ffff:7f00:2", 128));
	assert_false(has6(zi, "::ffff:7f00:0", 127));
	assert_false(has6(zi, "::ffff:7f00:1", 128));
	assert_false(has6(zi, "::ffff:a00:0", 104));
	assert_false(has6(zi, "::", 96));
	assert_false(has6(zi, "2001:db8::", 32));
	assert_false(has6(zi, "8000::", 1));
	assert_false(has6(zi, "::", 129));

	zone_index_stats(zi, &st);
	assert_int_equal(st.v4_single, 1);
	assert_int_equal(st.v6_single, 0);
	assert_int_equal(st.values, 1);
	assert_true(st.bytes > 0);
	zone_index_free(zi);
	zone_index_free(NULL);
	zone_index_builder_free(NULL);
}

static void
test_testpoints_data(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct zone_index_stats		 st;
	const struct zi_value		*v;

	(void)state;
	/* 127.0.0.0/8 listed leaves 127.0.0.1 unlisted, .2 a test point. */
	b = zone_index_builder_new();
	add(b, "127.0.0.0/8", 0, C4, "loopback");
	add(b, "127.0.0.1", 0, C4, "one");
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "127.0.0.0", C4);
	expect4(zi, "127.0.0.1", 0);
	expect4(zi, "127.0.0.3", C4);
	expect4(zi, "127.255.255.255", C4);
	v = lk4(zi, "127.0.0.2");
	assert_int_equal(v->code, C2);
	assert_string_equal(v->txt, RFC5782_TP_REASON);
	expect6(zi, "::ffff:7f00:1", 0);
	expect6(zi, "::ffff:7f00:2", C2);
	expect6(zi, "::ffff:7f00:3", C4);
	assert_true(has4(zi, "127.0.0.0", 31));
	assert_false(has4(zi, "127.0.0.1", 32));
	zone_index_stats(zi, &st);
	assert_int_equal(st.entries, 2);	/* 127.0.0.1 counts */
	zone_index_free(zi);

	/* A listed 127.0.0.2/32 of the data keeps its code and reason. */
	b = zone_index_builder_new();
	add(b, "127.0.0.2", 0, C10, "own reason");
	zi = zone_index_builder_finish(b, DEFR);
	v = lk4(zi, "127.0.0.2");
	assert_int_equal(v->code, C10);
	assert_string_equal(v->txt, "own reason");
	zone_index_free(zi);

	/* ... without a reason of its own it gets the test point's. */
	b = zone_index_builder_new();
	add(b, "127.0.0.2", 0, C10, NULL);
	add(b, "127.0.0.3", 0, C10, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	v = lk4(zi, "127.0.0.2");
	assert_int_equal(v->code, C10);
	assert_string_equal(v->txt, RFC5782_TP_REASON);
	assert_string_equal(lk4(zi, "127.0.0.3")->txt, DEFR);
	zone_index_free(zi);

	/* Excluding a test point changes nothing. */
	b = zone_index_builder_new();
	add(b, "127.0.0.2", 0, C10, "own reason");
	add(b, "127.0.0.2", 1, 0, NULL);
	add(b, "127.0.0.0/24", 1, 0, NULL);
	add(b, "127.0.0.0/30", 0, C3, NULL);
	add(b, "127.0.0.1", 0, C3, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	v = lk4(zi, "127.0.0.2");
	assert_int_equal(v->code, C2);
	assert_string_equal(v->txt, RFC5782_TP_REASON);
	expect4(zi, "127.0.0.0", C3);
	expect4(zi, "127.0.0.1", 0);
	expect4(zi, "127.0.0.3", C3);
	expect4(zi, "127.0.0.4", 0);
	zone_index_stats(zi, &st);
	assert_int_equal(st.entries, 4);
	/* "own reason" and C3/DEFR for 127.0.0.1 answer nothing */
	assert_int_equal(st.values, 2);
	zone_index_free(zi);
}

static void
test_single(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct zone_index_stats		 st;

	(void)state;
	b = zone_index_builder_new();
	add(b, "192.0.2.1", 0, C3, "relay");
	add(b, "192.0.2.3", 0, C2, NULL);
	add(b, "198.51.100.0", 0, C2, NULL);
	add(b, "2001:db8::25", 0, C4, "v6 relay");
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "192.0.2.1", C3);
	assert_string_equal(lk4(zi, "192.0.2.1")->txt, "relay");
	expect4(zi, "192.0.2.0", 0);
	expect4(zi, "192.0.2.2", 0);
	expect4(zi, "192.0.2.3", C2);
	expect4(zi, "192.0.2.4", 0);
	expect4(zi, "192.0.3.1", 0);
	expect4(zi, "193.0.2.1", 0);
	expect4(zi, "198.51.100.0", C2);
	expect4(zi, "198.51.99.255", 0);
	expect4(zi, "198.51.100.1", 0);
	expect6(zi, "2001:db8::25", C4);
	expect6(zi, "2001:db8::24", 0);
	expect6(zi, "2001:db8::26", 0);
	expect6(zi, "2001:db8:0:1::25", 0);
	expect6(zi, "::ffff:192.0.2.1", C3);
	expect6(zi, "::ffff:192.0.2.2", 0);
	assert_true(has4(zi, "192.0.2.0", 24));
	assert_true(has4(zi, "192.0.0.0", 16));
	assert_true(has4(zi, "192.0.0.0", 8));
	assert_true(has4(zi, "192.0.2.0", 31));
	assert_false(has4(zi, "192.0.3.0", 24));
	assert_false(has4(zi, "192.0.2.0", 32));
	assert_true(has6(zi, "2001:db8::20", 124));
	assert_true(has6(zi, "2001:db8::", 32));
	assert_false(has6(zi, "2001:db8::30", 124));
	assert_false(has6(zi, "2001:db8:0:1::", 64));
	zone_index_stats(zi, &st);
	assert_int_equal(st.v4_single, 4);	/* with 127.0.0.2 */
	assert_int_equal(st.v6_single, 1);
	zone_index_free(zi);
}

/* One listed range: first, last, and the addresses just outside. */
static void
check_range4(const char *cidr, const char *before, const char *first,
    const char *last, const char *after)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	b = zone_index_builder_new();
	add(b, cidr, 0, C3, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	if (before != NULL)
		expect4(zi, before, 0);
	expect4(zi, first, C3);
	expect4(zi, last, C3);
	if (after != NULL)
		expect4(zi, after, 0);
	zone_index_free(zi);
}

static void
check_range6(const char *cidr, const char *before, const char *first,
    const char *last, const char *after)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	b = zone_index_builder_new();
	add(b, cidr, 0, C3, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	if (before != NULL)
		expect6(zi, before, 0);
	expect6(zi, first, C3);
	expect6(zi, last, C3);
	if (after != NULL)
		expect6(zi, after, 0);
	zone_index_free(zi);
}

static void
test_ranges4(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	(void)state;
	check_range4("0.0.0.0/0", NULL, "0.0.0.0", "255.255.255.255", NULL);
	check_range4("0.0.0.0/1", NULL, "0.0.0.0", "127.255.255.255",
	    "128.0.0.0");
	check_range4("128.0.0.0/1", "127.255.255.255", "128.0.0.0",
	    "255.255.255.255", NULL);
	check_range4("10.0.0.0/8", "9.255.255.255", "10.0.0.0",
	    "10.255.255.255", "11.0.0.0");
	check_range4("172.16.0.0/16", "172.15.255.255", "172.16.0.0",
	    "172.16.255.255", "172.17.0.0");
	check_range4("192.0.2.0/24", "192.0.1.255", "192.0.2.0",
	    "192.0.2.255", "192.0.3.0");
	check_range4("192.0.2.6/31", "192.0.2.5", "192.0.2.6", "192.0.2.7",
	    "192.0.2.8");
	check_range4("192.0.2.6/32", "192.0.2.5", "192.0.2.6", "192.0.2.6",
	    "192.0.2.7");
	check_range4("0.0.0.0/32", NULL, "0.0.0.0", "0.0.0.0", "0.0.0.1");
	check_range4("255.255.255.255/32", "255.255.255.254",
	    "255.255.255.255", "255.255.255.255", NULL);
	check_range4("255.255.255.0/24", "255.255.254.255",
	    "255.255.255.0", "255.255.255.255", NULL);

	/* /0 listed: the test points still hold; has4 everywhere but .1. */
	b = zone_index_builder_new();
	add(b, "0.0.0.0/0", 0, C3, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "127.0.0.1", 0);
	expect4(zi, "127.0.0.2", C2);
	expect4(zi, "127.0.0.0", C3);
	assert_true(has4(zi, "10.0.0.0", 8));
	assert_true(has4(zi, "255.255.255.0", 24));
	assert_true(has4(zi, "127.0.0.0", 31));
	assert_false(has4(zi, "127.0.0.1", 32));
	expect6(zi, "::ffff:10.0.0.1", C3);
	expect6(zi, "::ffff:7f00:1", 0);
	expect6(zi, "2001:db8::1", 0);		/* IPv4 data only */
	assert_false(has6(zi, "2001:db8::", 32));
	assert_true(has6(zi, "::ffff:a00:0", 104));
	zone_index_free(zi);
}

static void
test_ranges6(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	(void)state;
	check_range6("2001:db8::1/128", "2001:db8::", "2001:db8::1",
	    "2001:db8::1", "2001:db8::2");
	check_range6("2001:db8::2/127", "2001:db8::1", "2001:db8::2",
	    "2001:db8::3", "2001:db8::4");
	check_range6("2001:db8:1:2::/64", "2001:db8:1:1:ffff:ffff:ffff:ffff",
	    "2001:db8:1:2::", "2001:db8:1:2:ffff:ffff:ffff:ffff",
	    "2001:db8:1:3::");
	check_range6("2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	    "2001:db9::");
	check_range6("::/128", NULL, "::", "::", "::1");
	check_range6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL);
	check_range6("8000::/1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL);

	/* ::/0 listed: every IPv6 address but the IPv4-mapped ones. */
	b = zone_index_builder_new();
	add(b, "::/0", 0, C4, "all of v6");
	zi = zone_index_builder_finish(b, DEFR);
	expect6(zi, "::", C4);
	expect6(zi, "::fffe:ffff:ffff", C4);
	expect6(zi, "::ffff:0:0", 0);
	expect6(zi, "::ffff:10.1.2.3", 0);
	expect6(zi, "::ffff:ffff:ffff", 0);
	expect6(zi, "::1:0:0:0", C4);
	expect6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", C4);
	expect6(zi, "::ffff:7f00:2", C2);
	expect4(zi, "10.1.2.3", 0);
	assert_true(has6(zi, "::", 0));
	assert_true(has6(zi, "::", 96));
	assert_false(has6(zi, "::ffff:a00:0", 104));
	assert_false(has6(zi, "::ffff:c000:0", 100));
	assert_false(has6(zi, "::ffff:ffff:ff00", 120));
	assert_true(has6(zi, "::ffff:7f00:0", 104));
	assert_true(has6(zi, "::1:0:0:0", 96));
	assert_true(has6(zi, "2001:db8::", 32));
	zone_index_free(zi);
}

static void
test_adjacent(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	(void)state;
	b = zone_index_builder_new();
	add(b, "10.0.0.0/24", 0, C3, NULL);
	add(b, "10.0.1.0/24", 0, C4, NULL);
	add(b, "10.0.2.0/23", 0, C4, NULL);	/* same value: merges */
	add(b, "10.0.4.0/32", 0, C3, NULL);
	add(b, "10.0.4.1/32", 1, 0, NULL);
	add(b, "10.0.4.2/31", 0, C3, NULL);
	add(b, "2001:db8::/64", 0, C3, NULL);
	add(b, "2001:db8:0:1::/64", 0, C4, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "9.255.255.255", 0);
	expect4(zi, "10.0.0.0", C3);
	expect4(zi, "10.0.0.255", C3);
	expect4(zi, "10.0.1.0", C4);
	expect4(zi, "10.0.1.255", C4);
	expect4(zi, "10.0.2.0", C4);
	expect4(zi, "10.0.3.255", C4);
	expect4(zi, "10.0.4.0", C3);
	expect4(zi, "10.0.4.1", 0);
	expect4(zi, "10.0.4.2", C3);
	expect4(zi, "10.0.4.3", C3);
	expect4(zi, "10.0.4.4", 0);
	assert_true(has4(zi, "10.0.4.0", 31));
	assert_false(has4(zi, "10.0.4.1", 32));
	assert_true(has4(zi, "10.0.4.0", 24));
	assert_false(has4(zi, "10.0.5.0", 24));
	expect6(zi, "2001:db8::ffff", C3);
	expect6(zi, "2001:db8:0:0:ffff:ffff:ffff:ffff", C3);
	expect6(zi, "2001:db8:0:1::", C4);
	expect6(zi, "2001:db8:0:1:ffff:ffff:ffff:ffff", C4);
	expect6(zi, "2001:db8:0:2::", 0);
	expect6(zi, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0);
	zone_index_free(zi);
}

static void
test_nested(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	(void)state;
	b = zone_index_builder_new();
	/* Added in a scrambled order: the prefix decides, not the order. */
	add(b, "10.1.2.0/24", 0, C3, NULL);
	add(b, "10.0.0.0/8", 0, C2, NULL);
	add(b, "10.1.2.200", 0, C10, NULL);
	add(b, "10.1.0.0/16", 1, 0, NULL);
	add(b, "10.1.2.128/25", 1, 0, NULL);
	add(b, "10.1.2.0", 1, 0, NULL);
	add(b, "8.0.0.0/6", 1, 0, NULL);
	add(b, "10.1.2.255", 0, C4, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	/* 8.0.0.0/6 excluded, nothing listed around it but 10/8 */
	expect4(zi, "7.255.255.255", 0);
	expect4(zi, "8.0.0.0", 0);
	expect4(zi, "9.255.255.255", 0);
	/* 10/8 listed */
	expect4(zi, "10.0.0.0", C2);
	expect4(zi, "10.0.255.255", C2);
	expect4(zi, "10.255.255.255", C2);
	expect4(zi, "11.0.0.0", 0);
	/* 10.1/16 excluded */
	expect4(zi, "10.1.0.0", 0);
	expect4(zi, "10.1.1.255", 0);
	expect4(zi, "10.1.255.255", 0);
	expect4(zi, "10.2.0.0", C2);
	/* 10.1.2/24 listed, 10.1.2.0 excluded */
	expect4(zi, "10.1.2.0", 0);
	expect4(zi, "10.1.2.1", C3);
	expect4(zi, "10.1.2.127", C3);
	expect4(zi, "10.1.3.0", 0);
	/* 10.1.2.128/25 excluded, with /32 listings inside */
	expect4(zi, "10.1.2.128", 0);
	expect4(zi, "10.1.2.199", 0);
	expect4(zi, "10.1.2.200", C10);
	expect4(zi, "10.1.2.201", 0);
	expect4(zi, "10.1.2.254", 0);
	expect4(zi, "10.1.2.255", C4);
	/* has4 at every octet boundary */
	assert_true(has4(zi, "0.0.0.0", 0));
	assert_false(has4(zi, "8.0.0.0", 8));
	assert_true(has4(zi, "10.0.0.0", 8));
	assert_true(has4(zi, "10.1.0.0", 16));
	assert_true(has4(zi, "10.1.2.0", 24));
	assert_false(has4(zi, "10.1.1.0", 24));
	assert_false(has4(zi, "10.1.3.0", 24));
	assert_false(has4(zi, "10.1.2.0", 32));
	assert_true(has4(zi, "10.1.2.1", 32));
	assert_true(has4(zi, "10.1.2.200", 32));
	assert_false(has4(zi, "10.1.2.201", 32));
	assert_false(has4(zi, "10.1.2.128", 26));	/* .128-.191 */
	assert_true(has4(zi, "10.1.2.192", 26));
	assert_false(has4(zi, "10.1.2.192", 29));	/* .192-.199 */
	assert_true(has4(zi, "10.1.2.200", 29));
	zone_index_free(zi);

	/* IPv6: the same staircase. */
	b = zone_index_builder_new();
	add(b, "2001:db8::/32", 0, C2, NULL);
	add(b, "2001:db8:1::/48", 1, 0, NULL);
	add(b, "2001:db8:1:2::/64", 0, C3, NULL);
	add(b, "2001:db8:1:2::/65", 1, 0, NULL);
	add(b, "2001:db8:1:2::5", 0, C4, NULL);
	add(b, "2001:db8:1:2:8000::", 1, 0, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect6(zi, "2001:db8::", C2);
	expect6(zi, "2001:db8:0:ffff:ffff:ffff:ffff:ffff", C2);
	expect6(zi, "2001:db8:1::", 0);
	expect6(zi, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 0);
	expect6(zi, "2001:db8:2::", C2);
	expect6(zi, "2001:db8:1:2::", 0);
	expect6(zi, "2001:db8:1:2::5", C4);
	expect6(zi, "2001:db8:1:2:7fff:ffff:ffff:ffff", 0);
	expect6(zi, "2001:db8:1:2:8000::", 0);
	expect6(zi, "2001:db8:1:2:8000::1", C3);
	expect6(zi, "2001:db8:1:2:ffff:ffff:ffff:ffff", C3);
	expect6(zi, "2001:db8:1:3::", 0);
	assert_true(has6(zi, "2001:db8:1::", 48));
	assert_false(has6(zi, "2001:db8:1:1::", 64));
	assert_true(has6(zi, "2001:db8:1:2::", 64));
	assert_true(has6(zi, "2001:db8:1:2::", 124));
	assert_false(has6(zi, "2001:db8:1:2::10", 124));
	assert_false(has6(zi, "2001:db8:1:2:8000::", 128));
	assert_true(has6(zi, "2001:db8:1:2:8000::", 124));
	zone_index_free(zi);
}

/*
 * Blocks nested down to the last address of the family: when the
 * interval map closes them there is no address after their end to start
 * another interval at.
 */
static void
test_nested_top(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	(void)state;
	b = zone_index_builder_new();
	add(b, "255.255.255.255", 1, 0, NULL);
	add(b, "255.255.255.0/24", 1, 0, NULL);
	add(b, "0.0.0.0/0", 0, C2, NULL);
	add(b, "255.0.0.0/8", 0, C3, NULL);
	add(b, "255.255.255.254", 0, C4, NULL);
	add(b, "128.0.0.0/1", 1, 0, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "0.0.0.0", C2);
	expect4(zi, "127.255.255.255", C2);
	expect4(zi, "128.0.0.0", 0);
	expect4(zi, "254.255.255.255", 0);
	expect4(zi, "255.0.0.0", C3);
	expect4(zi, "255.255.254.255", C3);
	expect4(zi, "255.255.255.0", 0);
	expect4(zi, "255.255.255.253", 0);
	expect4(zi, "255.255.255.254", C4);
	expect4(zi, "255.255.255.255", 0);
	assert_true(has4(zi, "255.255.255.0", 24));
	assert_false(has4(zi, "255.255.255.0", 25));
	assert_true(has4(zi, "255.255.255.254", 31));
	assert_false(has4(zi, "255.255.255.255", 32));
	assert_false(has4(zi, "128.0.0.0", 2));
	zone_index_free(zi);

	b = zone_index_builder_new();
	add(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, 0, NULL);
	add(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", 1, 0, NULL);
	add(b, "::/0", 0, C2, NULL);
	add(b, "ffff::/16", 0, C3, NULL);
	add(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 0, C4, NULL);
	add(b, "8000::/1", 1, 0, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect6(zi, "::1", C2);
	expect6(zi, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", C2);
	expect6(zi, "8000::", 0);
	expect6(zi, "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0);
	expect6(zi, "ffff::", C3);
	expect6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff", C3);
	expect6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", 0);
	expect6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd", 0);
	expect6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", C4);
	expect6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0);
	assert_true(has6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", 120));
	assert_false(has6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", 121));
	assert_false(has6(zi, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128));
	assert_false(has6(zi, "8000::", 2));
	zone_index_free(zi);
}

static void
test_duplicates(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct zone_index_stats		 st;

	(void)state;
	b = zone_index_builder_new();
	add(b, "10.0.0.0/16", 0, C3, NULL);
	add(b, "10.0.0.0/16", 1, 0, NULL);		/* excluded */
	add(b, "10.1.0.0/16", 1, 0, NULL);
	add(b, "10.1.0.0/16", 0, C4, NULL);		/* listed */
	add(b, "10.2.0.0/16", 0, C3, NULL);
	add(b, "10.2.0.0/16", 0, C10, "again");	/* new code */
	add(b, "10.3.0.1", 0, C3, NULL);
	add(b, "10.3.0.1", 1, 0, NULL);
	add(b, "10.3.0.2", 1, 0, NULL);
	add(b, "10.3.0.2", 0, C4, NULL);
	add(b, "10.3.0.3", 0, C3, NULL);
	add(b, "10.3.0.3", 0, C4, NULL);
	add(b, "2001:db8::/48", 0, C3, NULL);
	add(b, "2001:db8::/48", 1, 0, NULL);
	add(b, "2001:db8::1", 0, C3, NULL);
	add(b, "2001:db8::1", 1, 0, NULL);
	add(b, "2001:db8:1::1", 1, 0, NULL);
	add(b, "2001:db8:1::1", 0, C4, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "10.0.0.0", 0);
	expect4(zi, "10.0.255.255", 0);
	expect4(zi, "10.1.0.0", C4);
	expect4(zi, "10.1.255.255", C4);
	expect4(zi, "10.2.3.4", C10);
	assert_string_equal(lk4(zi, "10.2.3.4")->txt, "again");
	expect4(zi, "10.3.0.1", 0);
	expect4(zi, "10.3.0.2", C4);
	expect4(zi, "10.3.0.3", C4);
	assert_false(has4(zi, "10.0.0.0", 16));
	assert_false(has4(zi, "10.3.0.0", 31));
	assert_true(has4(zi, "10.3.0.0", 30));
	expect6(zi, "2001:db8::2", 0);
	expect6(zi, "2001:db8::1", 0);
	expect6(zi, "2001:db8:1::1", C4);
	assert_false(has6(zi, "2001:db8::", 48));
	assert_true(has6(zi, "2001:db8::", 32));
	zone_index_stats(zi, &st);
	assert_int_equal(st.entries, 9);	/* each prefix once */
	/* C4/DEFR, C10/again, C2 test point; C3/DEFR lost every time */
	assert_int_equal(st.values, 3);
	zone_index_free(zi);
}

static void
test_mapped(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct addr			 a;

	(void)state;
	b = zone_index_builder_new();
	add(b, "10.0.0.0/8", 0, C3, NULL);
	add(b, "10.9.0.0/16", 1, 0, NULL);
	/* IPv6 entries in ::ffff:0:0/96, built by hand (addr_parse would
	 * already have made them IPv4): they are IPv4 data. */
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.prefix = 112;
	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 192;
	a.a[13] = 168;
	assert_int_equal(zone_index_builder_add(b, &a, 0, C4, NULL), 0);
	a.prefix = 128;
	a.a[14] = 1;
	a.a[15] = 1;
	assert_int_equal(zone_index_builder_add(b, &a, 1, 0, NULL), 0);
	/* An IPv6 range around the mapped block decides only outside it. */
	add(b, "::/64", 0, C10, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	expect6(zi, "::ffff:10.1.2.3", C3);
	expect6(zi, "::ffff:10.9.2.3", 0);
	expect6(zi, "::ffff:11.0.0.0", 0);
	expect6(zi, "::ffff:192.168.0.0", C4);
	expect6(zi, "::ffff:192.168.1.1", 0);
	expect4(zi, "192.168.255.255", C4);
	expect4(zi, "192.168.1.1", 0);
	expect6(zi, "::fffe:ffff:ffff", C10);
	expect6(zi, "::1:0:0:0", C10);
	expect6(zi, "::1:0:0:0:0", 0);
	expect6(zi, "::ffff:7f00:2", C2);
	expect6(zi, "::ffff:7f00:1", 0);
	assert_true(has6(zi, "::ffff:a00:0", 104));
	assert_true(has6(zi, "::ffff:a09:0", 108));	/* 10.9.0.0/12 */
	assert_false(has6(zi, "::ffff:a09:0", 112));
	assert_false(has6(zi, "::ffff:b00:0", 104));
	assert_true(has6(zi, "::ffff:c0a8:0", 120));
	assert_true(has6(zi, "::ffff:c0a8:100", 120));
	assert_false(has6(zi, "::ffff:c0a8:101", 128));
	assert_false(has6(zi, "::ffff:c0a9:0", 112));
	assert_true(has4(zi, "192.168.0.0", 16));
	zone_index_free(zi);

	/* ::ffff:0:0/96 itself is 0.0.0.0/0. */
	b = zone_index_builder_new();
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.prefix = 96;
	a.a[10] = a.a[11] = 0xff;
	assert_int_equal(zone_index_builder_add(b, &a, 0, C4, NULL), 0);
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "8.8.8.8", C4);
	expect6(zi, "::ffff:808:808", C4);
	expect6(zi, "::fffe:808:808", 0);
	expect6(zi, "::1:0:808:808", 0);
	assert_true(has4(zi, "8.0.0.0", 8));
	assert_false(has6(zi, "::fffe:0:0", 96));
	zone_index_free(zi);
}

/* has6 at every nibble boundary along a path (RFC 5782 2.4 names). */
static void
test_has6_nibbles(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	const uint8_t			*in, *out, *mid;
	int				 p;

	(void)state;
	b = zone_index_builder_new();
	add(b, "2001:db8:1234:5678:9abc:def0:1234:5678/127", 0, C3, NULL);
	add(b, "2001:db8:1234:5678:9abc:def0:1234:5679", 1, 0, NULL);
	add(b, "2001:db8:aaaa::8/125", 0, C3, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	in = ip6("2001:db8:1234:5678:9abc:def0:1234:5678");
	out = ip6("2001:db8:1234:5678:9abc:def0:1234:5679");
	for (p = 0; p <= 128; p += 4) {
		if (!zone_index_has6(zi, in, p))
			fail_msg("has6 /%d of the listed address: false", p);
		/* out shares in's path down to /124 */
		if (zone_index_has6(zi, out, p) != (p < 128))
			fail_msg("has6 /%d of the excluded address", p);
	}
	mid = ip6("2001:db8:1234:5678:9abc:def0:1234:5600");
	assert_true(zone_index_has6(zi, mid, 120));
	assert_false(zone_index_has6(zi, mid, 124));
	/* A range that starts inside a nibble. */
	assert_true(has6(zi, "2001:db8:aaaa::", 124));
	assert_true(has6(zi, "2001:db8:aaaa::8", 125));
	assert_false(has6(zi, "2001:db8:aaaa::", 125));
	assert_false(has6(zi, "2001:db8:aaaa::10", 124));
	assert_true(has6(zi, "2001:db8:aaaa::", 120));
	assert_false(has6(zi, "2001:db8:aaab::", 48));
	assert_true(has6(zi, "2001:db8::", 32));
	assert_false(has6(zi, "2001:db9::", 32));
	zone_index_free(zi);
}

static void
test_has4_tricky(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;

	(void)state;
	b = zone_index_builder_new();
	/* a range that starts inside a /24 */
	add(b, "10.0.0.128/25", 0, C3, NULL);
	/* a listed /24 entirely excluded by two /25s */
	add(b, "10.1.0.0/24", 0, C3, NULL);
	add(b, "10.1.0.0/25", 1, 0, NULL);
	add(b, "10.1.0.128/25", 1, 0, NULL);
	/* a listed /30 entirely excluded by /32s */
	add(b, "10.2.0.0/30", 0, C3, NULL);
	add(b, "10.2.0.0", 1, 0, NULL);
	add(b, "10.2.0.1", 1, 0, NULL);
	add(b, "10.2.0.2", 1, 0, NULL);
	add(b, "10.2.0.3", 1, 0, NULL);
	/* three of four excluded */
	add(b, "10.3.0.0/30", 0, C3, NULL);
	add(b, "10.3.0.0", 1, 0, NULL);
	add(b, "10.3.0.1", 1, 0, NULL);
	add(b, "10.3.0.2", 1, 0, NULL);
	/* a /16 listed, excluded at the /8 above: the /16 wins */
	add(b, "20.0.0.0/8", 1, 0, NULL);
	add(b, "20.1.0.0/16", 0, C3, NULL);
	/* listed /8 with the last /24 excluded */
	add(b, "30.0.0.0/8", 0, C3, NULL);
	add(b, "30.255.255.0/24", 1, 0, NULL);
	zi = zone_index_builder_finish(b, DEFR);

	assert_true(has4(zi, "10.0.0.0", 8));
	assert_true(has4(zi, "10.0.0.0", 16));
	assert_true(has4(zi, "10.0.0.0", 24));
	assert_false(has4(zi, "10.0.0.0", 32));
	assert_false(has4(zi, "10.0.0.127", 32));
	assert_true(has4(zi, "10.0.0.128", 32));
	assert_true(has4(zi, "10.0.0.255", 32));
	assert_false(has4(zi, "10.0.1.0", 24));
	assert_false(has4(zi, "10.0.0.0", 25));

	assert_false(has4(zi, "10.1.0.0", 16));
	assert_false(has4(zi, "10.1.0.0", 24));
	assert_false(has4(zi, "10.1.0.5", 32));
	assert_false(has4(zi, "10.2.0.0", 16));
	assert_false(has4(zi, "10.2.0.0", 24));
	assert_true(has4(zi, "10.3.0.0", 16));
	assert_true(has4(zi, "10.3.0.0", 24));
	assert_false(has4(zi, "10.3.0.0", 31));
	assert_true(has4(zi, "10.3.0.2", 31));
	assert_true(has4(zi, "10.3.0.3", 32));
	assert_false(has4(zi, "10.3.0.4", 30));

	assert_true(has4(zi, "20.0.0.0", 8));
	assert_false(has4(zi, "20.0.0.0", 16));
	assert_true(has4(zi, "20.1.0.0", 16));
	assert_true(has4(zi, "20.1.255.0", 24));
	assert_false(has4(zi, "20.2.0.0", 16));
	assert_false(has4(zi, "19.0.0.0", 8));

	assert_true(has4(zi, "30.0.0.0", 8));
	assert_true(has4(zi, "30.255.0.0", 16));
	assert_false(has4(zi, "30.255.255.0", 24));
	assert_false(has4(zi, "30.255.255.255", 32));
	assert_true(has4(zi, "30.255.254.255", 32));
	assert_false(has4(zi, "31.0.0.0", 8));
	/* host bits past the prefix are ignored */
	assert_true(has4(zi, "30.255.255.255", 16));
	zone_index_free(zi);
}

static void
test_reasons(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct zone_index_stats		 st;
	const struct zi_value		*v;
	char				 r1[32], r2[32];

	(void)state;
	snprintf(r1, sizeof(r1), "open relay");
	snprintf(r2, sizeof(r2), "open relay");
	b = zone_index_builder_new();
	add(b, "192.0.2.1", 0, C2, NULL);
	add(b, "192.0.2.2", 0, C2, "");
	add(b, "192.0.2.3", 0, C2, DEFR);	/* same text as the default */
	add(b, "192.0.2.4", 0, C2, r1);
	add(b, "10.0.0.0/8", 0, C2, r2);	/* same text, other buffer */
	add(b, "2001:db8::/32", 0, C2, "open relay");
	add(b, "192.0.2.5", 0, C3, r1);		/* other code */
	add(b, "192.0.2.6", 0, C2, "Open relay");
	add(b, "192.0.2.7", 0, C3, NULL);
	zi = zone_index_builder_finish(b, DEFR);
	v = lk4(zi, "192.0.2.1");
	assert_string_equal(v->txt, DEFR);
	assert_int_equal(v->txtlen, strlen(DEFR));
	assert_ptr_equal(lk4(zi, "192.0.2.2"), v);
	assert_ptr_equal(lk4(zi, "192.0.2.3"), v);
	v = lk4(zi, "192.0.2.4");
	assert_string_equal(v->txt, "open relay");
	assert_int_equal(v->txtlen, 10);
	assert_ptr_equal(lk4(zi, "10.1.2.3"), v);
	assert_ptr_equal(lk6(zi, "2001:db8::1"), v);
	assert_ptr_not_equal(lk4(zi, "192.0.2.5"), v);
	assert_int_equal(lk4(zi, "192.0.2.5")->code, C3);
	assert_string_equal(lk4(zi, "192.0.2.5")->txt, "open relay");
	assert_ptr_not_equal(lk4(zi, "192.0.2.6"), v);
	assert_string_equal(lk4(zi, "192.0.2.7")->txt, DEFR);
	zone_index_stats(zi, &st);
	/* DEFR/C2, relay/C2, relay/C3, Open/C2, DEFR/C3, test point */
	assert_int_equal(st.values, 6);
	zone_index_free(zi);

	/* No default reason: an empty TXT template. */
	b = zone_index_builder_new();
	add(b, "192.0.2.1", 0, C2, NULL);
	zi = zone_index_builder_finish(b, NULL);
	v = lk4(zi, "192.0.2.1");
	assert_string_equal(v->txt, "");
	assert_int_equal(v->txtlen, 0);
	zone_index_free(zi);
}

static void
test_bad_input(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct addr			 a;

	(void)state;
	b = zone_index_builder_new();
	memset(&a, 0, sizeof(a));
	a.family = 5;
	assert_int_equal(zone_index_builder_add(b, &a, 0, C2, NULL), -1);
	a.family = 4;
	a.prefix = 33;
	assert_int_equal(zone_index_builder_add(b, &a, 0, C2, NULL), -1);
	a.family = 6;
	a.prefix = 129;
	assert_int_equal(zone_index_builder_add(b, &a, 0, C2, NULL), -1);
	assert_int_equal(zone_index_builder_add(b, NULL, 0, C2, NULL), -1);
	/* host bits past the prefix are cleared */
	a.family = 4;
	a.prefix = 24;
	a.a[0] = 192;
	a.a[2] = 2;
	a.a[3] = 77;
	assert_int_equal(zone_index_builder_add(b, &a, 0, C3, NULL), 0);
	zi = zone_index_builder_finish(b, DEFR);
	expect4(zi, "192.0.2.0", C3);
	expect4(zi, "192.0.2.255", C3);
	expect4(zi, "192.0.3.0", 0);
	zone_index_free(zi);

	/* A builder that is never finished. */
	b = zone_index_builder_new();
	add(b, "192.0.2.0/24", 0, C3, "x");
	add(b, "2001:db8::1", 0, C3, "y");
	zone_index_builder_free(b);
}

/* More values than a uint16_t index holds. */
static void
test_many_values(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct zone_index_stats		 st;
	const struct zi_value		*v;
	struct addr			 a;
	uint32_t			 i;

	(void)state;
	b = zone_index_builder_new();
	for (i = 0; i < 70000; i++) {
		addr_set_v4(&a, 0x0a000000U + i * 7, 32);
		assert_int_equal(zone_index_builder_add(b, &a, 0, i, NULL), 0);
	}
	zi = zone_index_builder_finish(b, DEFR);
	zone_index_stats(zi, &st);
	assert_int_equal(st.values, 70001);
	assert_int_equal(st.v4_single, 70001);
	for (i = 0; i < 70000; i++) {
		v = zone_index_lookup4(zi, 0x0a000000U + i * 7);
		assert_non_null(v);
		assert_int_equal(v->code, i);
		assert_null(zone_index_lookup4(zi, 0x0a000000U + i * 7 + 1));
	}
	zone_index_free(zi);
}

/* ---- randomized comparison against a naive model ---- */

static uint64_t	 rng_state;

static uint64_t
rng(void)
{
	uint64_t	 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t
rnd(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

struct ment {
	int		 family;
	int		 prefix;
	u128		 net;	/* IPv4 in the low 32 bits */
	int		 excl;
	uint32_t	 code;
	const char	*reason;
	int		 seq;
	int		 testpoint;	/* for m_has only */
};

static struct ment	*ments;
static size_t		 nments;

static u128
mask_of(int family, int prefix)
{
	int	 bits = family == 4 ? 32 : 128;

	if (prefix == 0)
		return 0;
	return (~(u128)0 << (bits - prefix)) &
	    (family == 4 ? (u128)UINT32_MAX : ~(u128)0);
}

static u128
last_of(const struct ment *e)
{
	return e->net | (~mask_of(e->family, e->prefix) &
	    (e->family == 4 ? (u128)UINT32_MAX : ~(u128)0));
}

static int
m_contains(const struct ment *e, int family, u128 x)
{
	return e->family == family && (x & mask_of(family, e->prefix)) == e->net;
}

static int
m_better(const struct ment *e, const struct ment *best)
{
	return best == NULL || e->prefix > best->prefix ||
	    (e->prefix == best->prefix && e->seq > best->seq);
}

static const struct ment *
m_decide(int family, u128 x)
{
	const struct ment	*best = NULL;
	size_t			 i;

	for (i = 0; i < nments; i++)
		if (!ments[i].testpoint && m_contains(&ments[i], family, x) &&
		    m_better(&ments[i], best))
			best = &ments[i];
	return best;
}

static int
is_mapped(u128 x)
{
	return x >> 32 == 0xffff;
}

/* 1 and code/reason set if listed.  Reason NULL: default. */
static int
m_lookup(int family, u128 x, uint32_t *code, const char **reason)
{
	const struct ment	*e;

	if (family == 6 && is_mapped(x)) {
		family = 4;
		x &= UINT32_MAX;
	}
	e = m_decide(family, x);
	if (family == 4 && x == 0x7f000001U)
		return 0;
	if (family == 4 && x == 0x7f000002U) {
		if (e != NULL && e->prefix == 32 && !e->excl) {
			*code = e->code;
			*reason = e->reason && *e->reason ? e->reason :
			    RFC5782_TP_REASON;
		} else {
			*code = C2;
			*reason = RFC5782_TP_REASON;
		}
		return 1;
	}
	if (e == NULL || e->excl)
		return 0;
	*code = e->code;
	*reason = e->reason && *e->reason ? e->reason : DEFR;
	return 1;
}

static int	m_has_top(int, u128, int);

/*
 * Is any address of block (family, lo, prefix) listed?  If no entry lies
 * strictly inside the block, one entry (or none) decides all of it;
 * otherwise ask both halves.  cand: entries that meet the block.
 */
static int
m_has(int family, u128 lo, int prefix, const size_t *cand, size_t ncand)
{
	const struct ment	*best = NULL, *e;
	int			 inside = 0, r, h, bits = family == 4 ? 32 : 128;
	size_t			*sub, nsub, i;
	struct ment		 blk;
	u128			 half;

	if (family == 6 && prefix >= 96 && is_mapped(lo))
		return m_has_top(4, lo & UINT32_MAX, prefix - 96);
	memset(&blk, 0, sizeof(blk));
	blk.family = family;
	blk.prefix = prefix;
	blk.net = lo;
	/* the mapped block inside an IPv6 block is a different answer */
	if (family == 6 && prefix < 96 && m_contains(&blk, 6,
	    (u128)0xffff << 32))
		inside = 1;
	for (i = 0; i < ncand; i++) {
		e = &ments[cand[i]];
		if (e->prefix > prefix)
			inside = 1;
		else if (m_better(e, best))
			best = e;
	}
	if (!inside)
		return best != NULL && !best->excl;
	half = (u128)1 << (bits - prefix - 1);
	sub = malloc((ncand + 1) * sizeof(*sub));
	for (h = 0, r = 0; h < 2 && !r; h++) {
		blk.prefix = prefix + 1;
		blk.net = lo + (h ? half : 0);
		for (i = 0, nsub = 0; i < ncand; i++) {
			e = &ments[cand[i]];
			if (m_contains(e, family, blk.net) ||
			    m_contains(&blk, family, e->net))
				sub[nsub++] = cand[i];
		}
		r = m_has(family, blk.net, prefix + 1, sub, nsub);
	}
	free(sub);
	return r;
}

static int
m_has_top(int family, u128 x, int prefix)
{
	struct ment	 blk;
	size_t		*cand, n = 0, i;
	int		 r;

	memset(&blk, 0, sizeof(blk));
	blk.family = family;
	blk.prefix = prefix;
	blk.net = x & mask_of(family, prefix);
	cand = malloc((nments + 1) * sizeof(*cand));
	for (i = 0; i < nments; i++)
		if (ments[i].family == family &&
		    (m_contains(&ments[i], family, blk.net) ||
		    m_contains(&blk, family, ments[i].net)))
			cand[n++] = i;
	r = m_has(family, blk.net, prefix, cand, n);
	free(cand);
	return r;
}

static void
to_bytes(u128 x, uint8_t out[16])
{
	int	 i;

	for (i = 15; i >= 0; i--) {
		out[i] = (uint8_t)x;
		x >>= 8;
	}
}

static u128
rand128(void)
{
	u128	 hi = rng();	/* two statements: a fixed order */

	return hi << 64 | rng();
}

static const char *reasons[] = {
	NULL, "", "open relay", "manual: $ relayed spam", "import", DEFR,
};

static void
test_random(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	const struct zi_value		*v;
	u128				 anchors4[12], anchors6[12], x, lowbits;
	struct addr			 a;
	struct ment			*e;
	uint32_t			 code;
	const char			*reason;
	uint8_t				 bytes[16];
	int				 i, fam, prefix, listed, bits, want;
	size_t				 hits = 0, hastrue = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	nments = 0;
	ments = calloc(2100, sizeof(*ments));
	for (i = 0; i < 12; i++) {
		anchors4[i] = rng() & UINT32_MAX;
		anchors6[i] = rand128();
	}
	anchors4[0] = 0x7f000000U;
	anchors4[1] = 0;
	anchors4[2] = UINT32_MAX;
	anchors6[0] = (u128)0x20010db8U << 96;
	anchors6[1] = 0;
	anchors6[2] = ~(u128)0;
	anchors6[3] = (u128)0xffff << 32;	/* mapped */
	anchors6[4] = (u128)0xfffe << 32;	/* just below it */
	anchors6[5] = (u128)1 << 48;		/* just above it */

	b = zone_index_builder_new();
	for (i = 0; i < 2000; i++) {
		e = &ments[nments];
		if (i > 10 && rnd(100) < 5) {
			/* the same prefix again: last one wins */
			*e = ments[rnd((uint32_t)nments)];
			e->excl = !e->excl;
			e->code = C2 + rnd(4);
		} else {
			fam = rnd(100) < 55 ? 4 : 6;
			bits = fam == 4 ? 32 : 128;
			if (rnd(100) < 3)
				prefix = (int)rnd((uint32_t)bits / 4);
			else if (fam == 4)
				prefix = 8 + (int)rnd(25);
			else
				prefix = 16 + (int)rnd(113);
			x = fam == 4 ? anchors4[rnd(12)] : anchors6[rnd(12)];
			/* perturb some low bits, so entries nest and overlap */
			lowbits = ((u128)1 << rnd((uint32_t)bits -
			    (fam == 4 ? 8 : 40))) - 1;
			x ^= rand128() & lowbits;
			if (fam == 4)
				x &= UINT32_MAX;
			e->family = fam;
			e->prefix = prefix;
			e->net = x & mask_of(fam, prefix);
			e->excl = rnd(100) < 40;
			e->code = C2 + rnd(4);
			e->reason = reasons[rnd(6)];
		}
		e->seq = i;
		memset(&a, 0, sizeof(a));
		a.family = (uint8_t)e->family;
		a.prefix = (uint8_t)e->prefix;
		if (e->family == 4) {
			addr_set_v4(&a, (uint32_t)e->net, e->prefix);
		} else
			to_bytes(e->net, a.a);
		assert_int_equal(zone_index_builder_add(b, &a, e->excl,
		    e->code, e->reason), 0);
		/* the model keeps IPv4-mapped entries as IPv4, like addr.h */
		if (e->family == 6 && e->prefix >= 96 && is_mapped(e->net)) {
			e->family = 4;
			e->prefix -= 96;
			e->net &= UINT32_MAX;
		}
		nments++;
	}
	zi = zone_index_builder_finish(b, DEFR);
	/* for m_has: 127.0.0.1 never listed, 127.0.0.2 always */
	for (i = 0; i < 2; i++) {
		e = &ments[nments++];
		e->family = 4;
		e->prefix = 32;
		e->net = 0x7f000001U + (unsigned)i;
		e->excl = i == 0;
		e->seq = 1 << 30;
		e->testpoint = 1;
	}

	for (i = 0; i < 20000; i++) {
		fam = rnd(100) < 50 ? 4 : 6;
		bits = fam == 4 ? 32 : 128;
		switch (rnd(4)) {
		case 0:		/* an entry's edge, or just outside it */
		case 1:
			e = &ments[rnd((uint32_t)nments)];
			fam = e->family;
			bits = fam == 4 ? 32 : 128;
			switch (rnd(5)) {
			case 0: x = e->net - 1; break;
			case 1: x = e->net; break;
			case 2: x = last_of(e); break;
			case 3: x = last_of(e) + 1; break;
			default: x = e->net | (rand128() &
			    (last_of(e) - e->net)); break;
			}
			break;
		case 2:		/* near an anchor */
			x = fam == 4 ? anchors4[rnd(12)] : anchors6[rnd(12)];
			lowbits = ((u128)1 << rnd((uint32_t)bits)) - 1;
			x ^= rand128() & lowbits;
			break;
		default:
			x = rand128();
			break;
		}
		if (fam == 4)
			x &= UINT32_MAX;
		/* now and then ask for IPv4 through its mapped address */
		if (fam == 4 && rnd(100) < 15) {
			fam = 6;
			bits = 128;
			x |= (u128)0xffff << 32;
		}
		if (rnd(2))
			prefix = (int)rnd((uint32_t)bits / (fam == 4 ? 8 : 4)
			    + 1) * (fam == 4 ? 8 : 4);
		else
			prefix = (int)rnd((uint32_t)bits + 1);

		listed = m_lookup(fam, x, &code, &reason);
		if (fam == 4)
			v = zone_index_lookup4(zi, (uint32_t)x);
		else {
			to_bytes(x, bytes);
			v = zone_index_lookup6(zi, bytes);
		}
		if (listed != (v != NULL))
			fail_msg("query %d: IPv%d %016llx%016llx: listed %d, "
			    "model %d", i, fam, (unsigned long long)(x >> 64),
			    (unsigned long long)x, v != NULL, listed);
		if (listed) {
			hits++;
			assert_int_equal(v->code, code);
			assert_string_equal(v->txt, reason);
			assert_int_equal(v->txtlen, strlen(reason));
		}

		want = m_has_top(fam, x, prefix);
		if (fam == 4)
			listed = zone_index_has4(zi, (uint32_t)x, prefix);
		else
			listed = zone_index_has6(zi, bytes, prefix);
		if (listed != want)
			fail_msg("query %d: has%d %016llx%016llx/%d: %d, "
			    "model %d", i, fam, (unsigned long long)(x >> 64),
			    (unsigned long long)x, prefix, listed, want);
		hastrue += want;
	}
	/* The test is only worth something if both answers occur often. */
	assert_true(hits > 2000 && hits < 18000);
	assert_true(hastrue > 2000 && hastrue < 18000);
	print_message("random: %zu of 20000 listed, %zu has() true\n", hits,
	    hastrue);
	zone_index_free(zi);
	free(ments);
	ments = NULL;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Many singles and ranges: checked against a sorted copy; timing printed. */
static void
test_bulk(void **state)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	struct zone_index_stats		 st;
	struct addr			 a;
	struct timespec			 t0, t1;
	uint32_t			*ips, x;
	size_t				 i, n = 200000;

	(void)state;
	rng_state = 12345;
	ips = malloc(n * sizeof(*ips));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b = zone_index_builder_new();
	for (i = 0; i < n; i++) {
		/* singles in 100.0.0.0/6; ranges in 200.0.0.0/8 */
		ips[i] = 0x64000000U | (uint32_t)(rng() & 0x03ffffffU);
		addr_set_v4(&a, ips[i], 32);
		assert_int_equal(zone_index_builder_add(b, &a, 0, C2,
		    NULL), 0);
	}
	for (i = 0; i < 2000; i++) {
		addr_set_v4(&a, 0xc8000000U | (uint32_t)i << 8, 24);
		assert_int_equal(zone_index_builder_add(b, &a, i & 1, C3,
		    NULL), 0);
	}
	zi = zone_index_builder_finish(b, DEFR);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	zone_index_stats(zi, &st);
	print_message("bulk: %zu adds + finish in %.1f ms, %zu bytes, "
	    "%zu singles, %zu ranges\n", n + 2000,
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	    st.bytes, st.v4_single, st.v4_ranges);
	for (i = 0; i < n; i++)
		assert_non_null(zone_index_lookup4(zi, ips[i]));
	qsort(ips, n, sizeof(*ips), u32_cmp);
	for (i = 0; i < 100000; i++) {
		x = 0x64000000U | (uint32_t)(rng() & 0x03ffffffU);
		assert_int_equal(zone_index_lookup4(zi, x) != NULL,
		    bsearch(&x, ips, n, sizeof(*ips), u32_cmp) != NULL);
	}
	for (i = 0; i < 2000; i++) {
		x = 0xc8000000U | (uint32_t)i << 8;
		if (i & 1)
			assert_null(zone_index_lookup4(zi, x | 77));
		else
			assert_int_equal(zone_index_lookup4(zi, x | 77)->code,
			    C3);
		assert_int_equal(zone_index_has4(zi, x, 24), !(i & 1));
	}
	assert_false(zone_index_has4(zi, 0x68000000U, 8));
	assert_true(zone_index_has4(zi, 0x64000000U, 8));
	free(ips);
	zone_index_free(zi);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_testpoints),
		cmocka_unit_test(test_testpoints_data),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_ranges4),
		cmocka_unit_test(test_ranges6),
		cmocka_unit_test(test_adjacent),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nested_top),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_has6_nibbles),
		cmocka_unit_test(test_has4_tricky),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_many_values),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_bulk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
