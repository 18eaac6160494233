/*
 * test_addr.c -- unit tests for common/addr.c: parsing and formatting of
 * addresses and prefixes, containment and order, masks, DNSBL reverse
 * names (RFC 5782) and durations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"

/* Parse s, which must succeed. */
static struct addr
parse_ok(const char *s)
{
	struct addr	 a;
	char		 err[256] = "";

	if (addr_parse(s, &a, err, sizeof(err)) != 0)
		fail_msg("addr_parse(\"%s\") failed: %s", s, err);
	return a;
}

/* Parse s, which must fail with a message containing want. */
static void
parse_bad(const char *s, const char *want)
{
	struct addr	 a;
	char		 err[256] = "";

	if (addr_parse(s, &a, err, sizeof(err)) != -1)
		fail_msg("addr_parse(\"%s\") accepted", s);
	if (want != NULL && strstr(err, want) == NULL)
		fail_msg("addr_parse(\"%s\"): \"%s\" lacks \"%s\"", s, err, want);
	assert_true(err[0] != '\0');
}

static const char *
fmt(const struct addr *a)
{
	static char	 buf[ADDR_STRLEN];

	return addr_format(a, buf, sizeof(buf));
}

static void
test_parse_v4(void **state)
{
	struct addr	 a;
	static const uint8_t zero[12];

	(void)state;
	a = parse_ok("192.0.2.99");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 32);
	assert_int_equal(a.a[0], 192);
	assert_int_equal(a.a[1], 0);
	assert_int_equal(a.a[2], 2);
	assert_int_equal(a.a[3], 99);
	assert_memory_equal(a.a + 4, zero, 12);
	assert_int_equal(addr_v4(&a), 0xc0000263u);
	assert_true(addr_is_single(&a));

	a = parse_ok("10.0.0.0/8");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 8);
	assert_int_equal(addr_v4(&a), 0x0a000000u);
	assert_false(addr_is_single(&a));

	a = parse_ok("0.0.0.0/0");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 0);

	a = parse_ok("198.51.100.7/32");
	assert_int_equal(a.prefix, 32);
	assert_string_equal(fmt(&a), "198.51.100.7");
}

static void
test_parse_v6(void **state)
{
	struct addr	 a;
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };

	(void)state;
	a = parse_ok("2001:db8::1");
	assert_int_equal(a.family, 6);
	assert_int_equal(a.prefix, 128);
	assert_memory_equal(a.a, want, 16);

	a = parse_ok("2001:db8::/32");
	assert_int_equal(a.family, 6);
	assert_int_equal(a.prefix, 32);
	assert_int_equal(a.a[3], 0xb8);
	assert_int_equal(a.a[15], 0);

	a = parse_ok("::/0");
	assert_int_equal(a.family, 6);
	assert_int_equal(a.prefix, 0);

	/* Upper case is fine and formats as lower case. */
	a = parse_ok("2001:DB8::ABCD/128");
	assert_string_equal(fmt(&a), "2001:db8::abcd");
}

static void
test_parse_v4mapped(void **state)
{
	struct addr	 a;

	(void)state;
	a = parse_ok("::ffff:1.2.3.4");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 32);
	assert_int_equal(addr_v4(&a), 0x01020304u);
	assert_string_equal(fmt(&a), "1.2.3.4");

	a = parse_ok("::ffff:0:0/96");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 0);
	assert_int_equal(addr_v4(&a), 0);
	assert_string_equal(fmt(&a), "0.0.0.0/0");

	a = parse_ok("::ffff:10.0.0.0/104");
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 8);
	assert_string_equal(fmt(&a), "10.0.0.0/8");

	/* Shorter than /96, the prefix is not inside the mapped space. */
	a = parse_ok("::/80");
	assert_int_equal(a.family, 6);
	/* Not mapped: ::1.2.3.4 (deprecated compatible form) stays IPv6. */
	a = parse_ok("::1.2.3.4");
	assert_int_equal(a.family, 6);
}

static void
test_parse_host_bits(void **state)
{
	(void)state;
	parse_bad("1.2.3.4/24", "1.2.3.0/24");
	parse_bad("10.1.0.0/8", "10.0.0.0/8");
	parse_bad("2001:db8::1/32", "2001:db8::/32");
	parse_bad("::ffff:1.2.3.4/120", "1.2.3.0/24");
	parse_bad("0.0.0.1/0", "0.0.0.0/0");
	parse_bad("::ffff:0:0/94", "::fffc:0:0/94");
}

static void
test_parse_errors(void **state)
{
	(void)state;
	parse_bad("", NULL);
	parse_bad(NULL, NULL);
	parse_bad("junk", NULL);
	parse_bad("1.2.3", NULL);
	parse_bad("1.2.3.4.5", NULL);
	parse_bad("256.1.1.1", NULL);
	parse_bad("1.2.3.0/33", "32");
	parse_bad("1.2.3.0/129", NULL);
	parse_bad("::/129", NULL);
	parse_bad("::/1280", NULL);
	parse_bad("1.2.3.0/", NULL);
	parse_bad("1.2.3.0/-1", NULL);
	parse_bad("1.2.3.0/+24", NULL);
	parse_bad("1.2.3.0/24x", NULL);
	parse_bad("1.2.3.0/24/24", NULL);
	parse_bad("/24", NULL);
	parse_bad(" 1.2.3.4", NULL);
	parse_bad("1.2.3.4 ", NULL);
	parse_bad("1.2.3.0/24 ", NULL);
	parse_bad("1.2.3.0/ 24", NULL);
	parse_bad(" ::1", NULL);
	parse_bad("::1 ", NULL);
	parse_bad("2001:db8:::1", NULL);
	parse_bad("2001:db8::g", NULL);
	parse_bad("1.2.3.4:53", NULL);
	parse_bad("[::1]", NULL);
	/* Longer than any address: refused, not truncated. */
	parse_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:"
	    "dddd", NULL);
}

static void
test_format_roundtrip(void **state)
{
	static const char *const canon[] = {
		"0.0.0.0", "255.255.255.255", "192.0.2.99", "10.0.0.0/8",
		"0.0.0.0/0", "203.0.113.128/25", "::", "::1", "2001:db8::/32",
		"2001:db8:1:2:3:4:567:89ab", "fe80::/10", "::/0",
		"2001:db8::8:800:200c:417a", "ff02::1:ff00:0/104",
	};
	char		 buf[ADDR_STRLEN], ip[ADDR_STRLEN];
	struct addr	 a, b;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		a = parse_ok(canon[i]);
		assert_string_equal(addr_format(&a, buf, sizeof(buf)), canon[i]);
		b = parse_ok(buf);
		assert_int_equal(addr_cmp(&a, &b), 0);
		/* addr_format_ip never has a suffix and parses back. */
		addr_format_ip(&a, ip, sizeof(ip));
		assert_null(strchr(ip, '/'));
		assert_int_equal(strncmp(ip, canon[i], strlen(ip)), 0);
		b = parse_ok(ip);
		assert_int_equal(b.family, a.family);
		assert_memory_equal(b.a, a.a, 16);
		assert_int_equal(b.prefix, addr_maxprefix(&a));
	}
	/* Non-canonical spellings format canonically. */
	a = parse_ok("2001:0db8:0000:0000:0000:0000:0000:0001");
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	a = parse_ok("10.0.0.0/08");
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "10.0.0.0/8");
	/* addr_set_v4 builds the same thing the parser does. */
	addr_set_v4(&b, 0xcb007180u, 25);
	a = parse_ok("203.0.113.128/25");
	assert_int_equal(addr_cmp(&a, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* A short buffer truncates, never overflows. */
	memset(buf, 'x', sizeof(buf));
	a = parse_ok("203.0.113.128/25");
	addr_format(&a, buf, 5);
	assert_int_equal(strlen(buf), 4);
}

static void
test_contains(void **state)
{
	struct addr	 net, a;

	(void)state;
	net = parse_ok("192.0.2.0/24");
	a = parse_ok("192.0.2.0");
	assert_true(addr_contains(&net, &a));
	a = parse_ok("192.0.2.255");
	assert_true(addr_contains(&net, &a));
	a = parse_ok("192.0.3.0");
	assert_false(addr_contains(&net, &a));
	a = parse_ok("192.0.1.255");
	assert_false(addr_contains(&net, &a));
	a = parse_ok("192.0.2.128/25");
	assert_true(addr_contains(&net, &a));
	/* A prefix contains itself but not its supernet. */
	assert_true(addr_contains(&net, &net));
	a = parse_ok("192.0.0.0/16");
	assert_false(addr_contains(&net, &a));
	assert_true(addr_contains(&a, &net));
	/* Everything v4 is inside 0/0, nothing v6. */
	net = parse_ok("0.0.0.0/0");
	a = parse_ok("255.255.255.255");
	assert_true(addr_contains(&net, &a));
	a = parse_ok("::");
	assert_false(addr_contains(&net, &a));
	/* v6 */
	net = parse_ok("2001:db8::/32");
	a = parse_ok("2001:db8:ffff::1");
	assert_true(addr_contains(&net, &a));
	a = parse_ok("2001:db9::1");
	assert_false(addr_contains(&net, &a));
	a = parse_ok("192.0.2.1");
	assert_false(addr_contains(&net, &a));
	/* ::/0 does not contain IPv4 (mapped addresses are IPv4). */
	net = parse_ok("::/0");
	a = parse_ok("::ffff:1.2.3.4");
	assert_false(addr_contains(&net, &a));
	/* Bit-level edge of an odd prefix. */
	net = parse_ok("2001:db8::/33");
	a = parse_ok("2001:db8:7fff::1");
	assert_true(addr_contains(&net, &a));
	a = parse_ok("2001:db8:8000::");
	assert_false(addr_contains(&net, &a));
}

static void
test_cmp(void **state)
{
	/* In strictly increasing order. */
	static const char *const sorted[] = {
		"0.0.0.0/0", "0.0.0.0", "1.2.3.0/24", "1.2.3.0", "1.2.3.1",
		"1.2.4.0/24", "9.255.255.255", "10.0.0.0/8", "255.255.255.255",
		"::/0", "::", "::1", "2001:db8::/32", "2001:db8::/48",
		"2001:db8::1", "ffff::",
	};
	size_t		 n = sizeof(sorted) / sizeof(sorted[0]), i, j;
	struct addr	 a, b;

	(void)state;
	for (i = 0; i < n; i++) {
		a = parse_ok(sorted[i]);
		for (j = 0; j < n; j++) {
			int	 c, want;

			b = parse_ok(sorted[j]);
			c = addr_cmp(&a, &b);
			want = i < j ? -1 : i > j;
			if ((c > 0) - (c < 0) != want)
				fail_msg("addr_cmp(%s, %s) = %d, want sign %d",
				    sorted[i], sorted[j], c, want);
		}
	}
}

/* Is bit i (0 = MSB of a[0]) set? */
static int
bit(const uint8_t *a, int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static void
test_mask(void **state)
{
	struct addr	 a;
	int		 p, i;

	(void)state;
	for (p = 0; p <= 32; p++) {
		addr_set_v4(&a, 0xffffffffu, p);
		memset(a.a + 4, 0xff, 12);	/* must be cleared for v4 */
		addr_mask(&a);
		assert_int_equal(a.prefix, p);
		for (i = 0; i < 128; i++)
			if (bit(a.a, i) != (i < p))
				fail_msg("v4 /%d: bit %d is %d", p, i, bit(a.a, i));
		if (p > 0 && p < 32)
			assert_int_equal(addr_v4(&a),
			    0xffffffffu << (32 - p) & 0xffffffffu);
	}
	for (p = 0; p <= 128; p++) {
		memset(&a, 0, sizeof(a));
		a.family = 6;
		a.prefix = (uint8_t)p;
		memset(a.a, 0xff, 16);
		addr_mask(&a);
		for (i = 0; i < 128; i++)
			if (bit(a.a, i) != (i < p))
				fail_msg("v6 /%d: bit %d is %d", p, i, bit(a.a, i));
	}
	/* Masking keeps the bits inside the prefix as they were. */
	a = parse_ok("2001:db8:abcd:1234::1");
	a.prefix = 36;
	addr_mask(&a);
	assert_string_equal(fmt(&a), "2001:db8:a000::/36");
	a = parse_ok("203.0.113.77");
	a.prefix = 27;
	addr_mask(&a);
	assert_string_equal(fmt(&a), "203.0.113.64/27");
}

static void
test_revname(void **state)
{
	char		 buf[ADDR_STRLEN], small[63];
	struct addr	 a;

	(void)state;
	/* RFC 5782 section 2.1 and 2.4 examples. */
	a = parse_ok("192.0.2.99");
	assert_string_equal(addr_revname(&a, buf, sizeof(buf)), "99.2.0.192");
	a = parse_ok("2001:db8:1:2:3:4:567:89ab");
	assert_string_equal(addr_revname(&a, buf, sizeof(buf)),
	    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2");
	a = parse_ok("::ffff:127.0.0.2");
	assert_string_equal(addr_revname(&a, buf, sizeof(buf)), "2.0.0.127");
	a = parse_ok("::");
	assert_string_equal(addr_revname(&a, buf, sizeof(buf)),
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0");
	assert_int_equal(strlen(buf), 63);
	/* A buffer too small for 32 nibbles gets "", not a partial name. */
	a = parse_ok("2001:db8::1");
	memset(small, 'x', sizeof(small));
	assert_string_equal(addr_revname(&a, small, sizeof(small)), "");
	/* IPv4 into a short buffer is truncated, NUL-terminated. */
	a = parse_ok("192.0.2.99");
	addr_revname(&a, small, 6);
	assert_string_equal(small, "99.2.");
}

static void
dur_ok(const char *s, long long want)
{
	long long	 v = -12345;

	if (addr_duration_parse(s, &v) != 0)
		fail_msg("addr_duration_parse(\"%s\") failed", s);
	if (v != want)
		fail_msg("addr_duration_parse(\"%s\") = %lld, want %lld", s, v,
		    want);
}

static void
dur_bad(const char *s)
{
	long long	 v = -12345;

	if (addr_duration_parse(s, &v) != -1)
		fail_msg("addr_duration_parse(\"%s\") accepted: %lld", s, v);
	assert_int_equal(v, -12345);	/* untouched on error */
}

static void
test_duration(void **state)
{
	(void)state;
	dur_ok("30s", 30);
	dur_ok("10m", 600);
	dur_ok("2h", 7200);
	dur_ok("30d", 30 * 86400);
	dur_ok("1w", 7 * 86400);
	dur_ok("45", 45);
	dur_ok("0", 0);
	dur_ok("0s", 0);
	dur_bad("");
	dur_bad(NULL);
	dur_bad("x");
	dur_bad("10x");
	dur_bad("-1");
	dur_bad("1m2");
	dur_bad("1mm");
	dur_bad("s");
	dur_bad(" 5");
	dur_bad("5 ");
	dur_bad("+5");
	dur_bad("99999999999999999999");
	dur_bad("9999999999999w");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_v4mapped),
		cmocka_unit_test(test_parse_host_bits),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_revname),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
