/*
 * test_target.c -- unit tests for core/target.c: the reserved ranges and
 * probe_allow, probe_deny's public message (never the list) and
 * target_denied_by, the sink's own addresses (sink_listen, a wildcard
 * listen's interface addresses, sink_domain's mail servers) and the
 * special-use names for which no DNS lookup is made.  The MX lookup is
 * replaced for the whole file: no test sends a DNS query.
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
#include "conf.h"
#include "target.h"

/* The fake MX lookup: counts its calls, answers FAKE_MX, says note. */
static int		 lookups;
static char		 last_domain[256];
static const char	*fake_note = "";
#define FAKE_MX		 "198.18.0.25"
#define FAKE_MX6	 "2001:db8:25::25"

static int
fake_lookup(const char *domain, struct addr *out, int max, char *note,
    size_t notelen)
{
	char	 err[128];
	int	 n = 0;

	lookups++;
	snprintf(last_domain, sizeof(last_domain), "%s", domain);
	snprintf(note, notelen, "%s", fake_note);
	if (n < max && addr_parse(FAKE_MX, &out[n], err, sizeof(err)) == 0)
		n++;
	if (n < max && addr_parse(FAKE_MX6, &out[n], err, sizeof(err)) == 0)
		n++;
	return n;
}

static int
group_setup(void **state)
{
	(void)state;
	target_self_set_lookup(fake_lookup);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	target_self_clear();
	target_self_set_lookup(NULL);
	return 0;
}

/* A configuration from "key=value" pairs over the defaults. */
static void
conf_with(struct conf *c, const char *const *kv)
{
	char	 err[256], key[64];
	const char *eq;

	conf_init(c);
	for (; *kv != NULL; kv++) {
		eq = strchr(*kv, '=');
		assert_non_null(eq);
		assert_true((size_t)(eq - *kv) < sizeof(key));
		memcpy(key, *kv, (size_t)(eq - *kv));
		key[eq - *kv] = '\0';
		if (conf_set(c, key, eq + 1, err, sizeof(err)) == -1)
			fail_msg("conf_set %s: %s", *kv, err);
	}
}

/* target_self_init over c: returns its result, err in err. */
static int
self_init(const struct conf *c, char *err, size_t errlen)
{
	lookups = 0;
	last_domain[0] = '\0';
	return target_self_init(c, err, errlen);
}

static int
check(const struct conf *c, const char *text, char *err, size_t errlen)
{
	struct addr	 a;

	err[0] = '\0';
	return target_check(c, text, &a, err, errlen);
}

static void
assert_refused(const struct conf *c, const char *text, const char *want)
{
	char	 err[256];

	if (check(c, text, err, sizeof(err)) != -1)
		fail_msg("%s: accepted, want \"%s\"", text, want);
	if (strcmp(err, want) != 0)
		fail_msg("%s: \"%s\", want \"%s\"", text, err, want);
}

static void
assert_taken(const struct conf *c, const char *text)
{
	char	 err[256];

	if (check(c, text, err, sizeof(err)) != 0)
		fail_msg("%s: refused: %s", text, err);
}

static void
test_reserved(void **state)
{
	static const char *const kv[] = { NULL };
	struct conf	 c;
	struct addr	 a;
	const char	*what = NULL;
	char		 err[128];

	(void)state;
	conf_with(&c, kv);
	target_self_clear();
	assert_refused(&c, "10.1.2.3", "10.1.2.3 is in a private range "
	    "(10.0.0.0/8): not probed unless probe_allow covers it");
	assert_refused(&c, "127.0.0.5", "127.0.0.5 is in loopback "
	    "(127.0.0.0/8): not probed unless probe_allow covers "
	    "it");
	assert_refused(&c, "2001:db8::25", "2001:db8::25 is in documentation "
	    "(2001:db8::/32): not probed unless probe_allow covers "
	    "it");
	assert_refused(&c, "fe80::1", "fe80::1 is in link-local unicast "
	    "(fe80::/10): not probed unless probe_allow covers it");
	assert_refused(&c, "::ffff:192.168.1.1", "::ffff:192.168.1.1 is in a "
	    "private range (192.168.0.0/16): not probed unless "
	    "probe_allow covers it");
	assert_refused(&c, "2002:7f00:1::1", "2002:7f00:1::1 is in loopback "
	    "(2002::/16): not probed unless probe_allow covers it");
	assert_refused(&c, "192.0.2.0/24", "192.0.2.0/24: a single address "
	    "is probed, not a range");
	assert_int_equal(check(&c, "bogus", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_taken(&c, "8.8.8.8");
	assert_taken(&c, "2a00:1450:4001::1b");

	assert_int_equal(addr_parse("100.64.0.1", &a, err, sizeof(err)), 0);
	assert_string_equal(target_reserved(&a, &what), "100.64.0.0/10");
	assert_string_equal(what, "shared address space");
	assert_int_equal(addr_parse("1.1.1.1", &a, err, sizeof(err)), 0);
	assert_null(target_reserved(&a, NULL));
	conf_free(&c);
}

/*
 * The special-purpose registries, entry by entry: the first and the last
 * address of every block that is not globally reachable are refused, and
 * so are the examples (IPv4 inside 6to4 and IPv4-compatible
 * forms); global unicast neighbours are taken.
 */
static void
test_registry(void **state)
{
	static const char *const kv[] = { NULL };
	static const char *const refused[] = {
		"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255",
		"100.64.0.0", "100.127.255.255", "127.0.0.0", "127.255.255.255",
		"169.254.0.0", "169.254.255.255", "172.16.0.0",
		"172.31.255.255", "192.0.0.0", "192.0.0.255", "192.0.2.0",
		"192.0.2.255", "192.88.99.0", "192.88.99.255", "192.168.0.0",
		"192.168.255.255", "198.18.0.0", "198.19.255.255",
		"198.51.100.0", "198.51.100.255", "203.0.113.0",
		"203.0.113.255", "224.0.0.1", "239.255.255.255", "240.0.0.0",
		"255.255.255.254", "255.255.255.255",
		"::", "::1", "::2", "::ffff:ffff", "::ffff:0:1.2.3.4",
		"64:ff9b::1.2.3.4", "64:ff9b:1::1", "100::1",
		"100::ffff:ffff:ffff:ffff", "2001::1", "2001:1ff:ffff::1",
		"2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
		"3fff::1", "3fff:fff:ffff::1", "5f00::1", "5f00:ffff::1",
		"fc00::1", "fdff:ffff::1", "fe80::1", "febf:ffff::1",
		"fec0::1", "feff:ffff::1", "ff02::1", "ffff::1",
		/* the examples */
		"2002:7f00:1::1", "2002:a00:1::1", "2002:c0a8:101::1",
		"::127.0.0.1", "::10.0.0.1", "::8.8.8.8",
		NULL
	};
	static const char *const taken[] = {
		"1.0.0.1", "11.0.0.1", "100.63.255.255", "100.128.0.0",
		"126.255.255.255", "128.0.0.0", "169.253.255.255",
		"172.15.255.255", "172.32.0.0", "192.0.1.255", "192.0.3.0",
		"192.167.255.255", "192.169.0.0", "198.17.255.255",
		"198.20.0.0", "223.255.255.255",
		"2a00:1450:4001::1b", "2002:808:808::1", "2400:cb00::1",
		"3ffe:ffff::1", "4000::1", "5eff::1", "5f01::1", "fbff::1",
		NULL
	};
	struct conf	 c;
	size_t		 i;

	(void)state;
	conf_with(&c, kv);
	target_self_clear();
	for (i = 0; refused[i] != NULL; i++) {
		char	 err[256];

		if (check(&c, refused[i], err, sizeof(err)) != -1)
			fail_msg("%s: taken, should be refused", refused[i]);
		assert_non_null(strstr(err, "not probed unless probe_allow"));
	}
	for (i = 0; taken[i] != NULL; i++)
		assert_taken(&c, taken[i]);
	conf_free(&c);
}

static void
test_allow(void **state)
{
	static const char *const kv[] = { "probe_allow=127.0.0.0/8",
	    "probe_allow=fd00::/8", NULL };
	struct conf	 c;

	(void)state;
	conf_with(&c, kv);
	target_self_clear();
	assert_taken(&c, "127.0.0.5");
	assert_taken(&c, "127.255.255.254");
	assert_taken(&c, "fd12::25");
	/* Only what it covers. */
	assert_refused(&c, "10.0.0.1", "10.0.0.1 is in a private range "
	    "(10.0.0.0/8): not probed unless probe_allow covers it");
	assert_refused(&c, "fc00::1", "fc00::1 is in unique local (private) "
	    "(fc00::/7): not probed unless probe_allow covers it");
	conf_free(&c);
}

static void
test_deny(void **state)
{
	static const char *const kv[] = { "probe_allow=127.0.0.0/8",
	    "probe_deny=9.9.9.0/24", "probe_deny=127.0.0.250/31",
	    "probe_deny=2a01:4f8::/32", NULL };
	struct conf	 c;
	struct addr	 a;
	char		 err[256];

	(void)state;
	conf_with(&c, kv);
	target_self_clear();
	assert_refused(&c, "9.9.9.9", "9.9.9.9 is not tested by policy");
	/* probe_deny wins over probe_allow. */
	assert_refused(&c, "127.0.0.251", "127.0.0.251 is not tested by "
	    "policy");
	assert_refused(&c, "2a01:4f8::25", "2a01:4f8::25 is not tested by "
	    "policy");
	/* Nothing about the list or the entry. */
	assert_int_equal(check(&c, "9.9.9.10", err, sizeof(err)), -1);
	assert_null(strstr(err, "9.9.9.0"));
	assert_null(strstr(err, "/24"));
	assert_null(strstr(err, "list"));
	assert_null(strstr(err, "deny"));
	assert_taken(&c, "9.9.10.1");
	assert_taken(&c, "127.0.0.249");

	/* The operator's side names the entry. */
	assert_int_equal(addr_parse("9.9.9.9", &a, err, sizeof(err)), 0);
	assert_string_equal(target_denied_by(&c, &a), "9.9.9.0/24");
	assert_int_equal(addr_parse("127.0.0.250", &a, err, sizeof(err)), 0);
	assert_string_equal(target_denied_by(&c, &a), "127.0.0.250/31");
	assert_int_equal(addr_parse("2a01:4f8:1::1", &a, err, sizeof(err)), 0);
	assert_string_equal(target_denied_by(&c, &a), "2a01:4f8::/32");
	assert_int_equal(addr_parse("8.8.8.8", &a, err, sizeof(err)), 0);
	assert_null(target_denied_by(&c, &a));
	conf_free(&c);
}

static void
test_sink_listen(void **state)
{
	static const char *const kv[] = { "sink_listen=193.0.6.139:2525",
	    "sink_listen=[2a00:1450:4001::25]:25", "probe_allow=0.0.0.0/0",
	    "probe_allow=::/0", NULL };
	static const char *const kv2[] = { "sink_listen=127.0.0.1:2525",
	    "probe_allow=127.0.0.0/8", NULL };
	struct conf	 c;
	char		 err[256];

	(void)state;
	conf_with(&c, kv);
	assert_int_equal(self_init(&c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(lookups, 0);	/* sink.orbl.test: special-use */
	/* probe_allow does not override it; every form of the address. */
	assert_refused(&c, "193.0.6.139", "193.0.6.139 is orbl's own mail "
	    "sink: never tested");
	assert_refused(&c, "::ffff:193.0.6.139", "::ffff:193.0.6.139 is "
	    "orbl's own mail sink: never tested");
	assert_refused(&c, "2a00:1450:4001::25", "2a00:1450:4001::25 is "
	    "orbl's own mail sink: never tested");
	assert_refused(&c, "2a00:1450:4001:0::0:25", "2a00:1450:4001:0::0:25 "
	    "is orbl's own mail sink: never tested");
	/* Connecting to the unspecified address reaches this host. */
	assert_refused(&c, "0.0.0.0", "0.0.0.0 is orbl's own mail sink: "
	    "never tested");
	assert_refused(&c, "::", ":: is orbl's own mail sink: never tested");
	/* Neighbours are not the sink. */
	assert_taken(&c, "193.0.6.138");
	assert_taken(&c, "193.0.6.140");
	assert_taken(&c, "2a00:1450:4001::26");
	/* No wildcard: the host's other addresses are not in the table. */
	assert_taken(&c, "127.0.0.1");
	conf_free(&c);

	/* The tests' set-up: the sink on 127.0.0.1, the rest allowed. */
	conf_with(&c, kv2);
	assert_int_equal(self_init(&c, err, sizeof(err)), 0);
	assert_refused(&c, "127.0.0.1", "127.0.0.1 is orbl's own mail sink: "
	    "never tested");
	assert_taken(&c, "127.0.0.2");
	assert_taken(&c, "127.0.0.21");

	/* A second init starts over. */
	target_self_clear();
	assert_int_equal(target_self_count(), 0);
	assert_taken(&c, "127.0.0.1");
	conf_free(&c);
}

static void
test_wildcard(void **state)
{
	static const char *const kv4[] = { "sink_listen=0.0.0.0:2525",
	    "probe_allow=127.0.0.0/8", "probe_allow=::1/128", NULL };
	static const char *const kv6[] = { "sink_listen=[::]:2525",
	    "probe_allow=127.0.0.0/8", NULL };
	struct conf	 c;
	char		 err[256];

	(void)state;
	conf_with(&c, kv4);
	assert_int_equal(self_init(&c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* lo's address, and its whole network (all of it is local). */
	assert_refused(&c, "127.0.0.1", "127.0.0.1 is orbl's own mail sink: "
	    "never tested");
	assert_refused(&c, "127.0.0.77", "127.0.0.77 is orbl's own mail "
	    "sink: never tested");
	assert_refused(&c, "0.0.0.0", "0.0.0.0 is orbl's own mail sink: "
	    "never tested");
	assert_true(target_self_count() >= 3);
	conf_free(&c);

	conf_with(&c, kv6);
	assert_int_equal(self_init(&c, err, sizeof(err)), 0);
	assert_refused(&c, "127.0.0.1", "127.0.0.1 is orbl's own mail sink: "
	    "never tested");
	assert_refused(&c, "::", ":: is orbl's own mail sink: never tested");
	conf_free(&c);
}

static void
test_mx(void **state)
{
	static const char *const kv[] = { "sink_listen=127.0.0.1:2525",
	    "sink_domain=sink.orbl.net", "probe_allow=198.18.0.0/15",
	    "probe_allow=2001:db8::/32", NULL };
	struct conf	 c;
	char		 err[256];

	(void)state;
	conf_with(&c, kv);
	fake_note = "";
	assert_int_equal(self_init(&c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(lookups, 1);
	assert_string_equal(last_domain, "sink.orbl.net");
	assert_refused(&c, FAKE_MX, FAKE_MX " is orbl's own mail sink: never "
	    "tested");
	assert_refused(&c, FAKE_MX6, FAKE_MX6 " is orbl's own mail sink: "
	    "never tested");
	assert_refused(&c, "127.0.0.1", "127.0.0.1 is orbl's own mail sink: "
	    "never tested");
	assert_refused(&c, "127.0.0.2", "127.0.0.2 is in loopback "
	    "(127.0.0.0/8): not probed unless probe_allow covers it");
	assert_taken(&c, "198.18.0.26");

	/* A failed lookup is not fatal: a note for the log. */
	fake_note = "sink.orbl.net MX: no answer";
	assert_int_equal(self_init(&c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "sink.orbl.net MX: no answer"));
	assert_refused(&c, FAKE_MX, FAKE_MX " is orbl's own mail sink: never "
	    "tested");
	fake_note = "";
	conf_free(&c);
}

static void
test_special_use(void **state)
{
	static const char *const special[] = { "sink.orbl.test", "test",
	    "TEST.", "mx.example", "example.com", "sink.example.org",
	    "a.b.example.net.", "x.invalid", "localhost", "mail.localhost",
	    "printer.local", "Sink.Home.Arpa", "abc.onion", "" };
	static const char *const normal[] = { "orbl.net", "test.com",
	    "mytest", "sink.testing", "example.co", "notexample.com",
	    "local.example2", "arpa", "home.arpa.net", "xlocal" };
	static const char *const kv[] = { "sink_domain=placeholder", NULL };
	struct conf	 c;
	char		 err[256];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!target_special_use(special[i]))
			fail_msg("%s: not special-use", special[i]);
	for (i = 0; i < sizeof(normal) / sizeof(normal[0]); i++)
		if (target_special_use(normal[i]))
			fail_msg("%s: special-use", normal[i]);

	/* No lookup for any of them. */
	conf_with(&c, kv);
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		free(c.sink_domain);
		c.sink_domain = strdup(special[i]);
		assert_non_null(c.sink_domain);
		assert_int_equal(self_init(&c, err, sizeof(err)), 0);
		if (lookups != 0)
			fail_msg("%s: looked up", special[i]);
		assert_string_equal(err, "");
	}
	conf_free(&c);
}

static void
test_table(void **state)
{
	static const char *const kv[] = { "probe_allow=0.0.0.0/0", NULL };
	struct conf	 c;
	struct addr	 a;
	char		 err[128];
	int		 i;

	(void)state;
	conf_with(&c, kv);
	target_self_clear();
	/* A prefix covers its addresses; adding twice keeps one entry. */
	assert_int_equal(addr_parse("203.0.113.0/28", &a, err, sizeof(err)), 0);
	assert_int_equal(target_self_add(&a), 0);
	assert_int_equal(target_self_add(&a), 0);
	assert_int_equal(target_self_count(), 1);
	assert_refused(&c, "203.0.113.15", "203.0.113.15 is orbl's own mail "
	    "sink: never tested");
	assert_taken(&c, "203.0.113.16");

	/* Full: the next one is refused, never silently dropped. */
	target_self_clear();
	for (i = 0; i < TARGET_SELF_MAX; i++) {
		addr_set_v4(&a, 0x0a000000u + (uint32_t)i, 32);
		assert_int_equal(target_self_add(&a), 0);
	}
	assert_int_equal(target_self_count(), TARGET_SELF_MAX);
	addr_set_v4(&a, 0x0b000000u, 32);
	assert_int_equal(target_self_add(&a), -1);
	addr_set_v4(&a, 0x0a000000u, 32);
	assert_int_equal(target_self_add(&a), 0);	/* already there */
	target_self_clear();
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_deny),
		cmocka_unit_test(test_sink_listen),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_special_use),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
