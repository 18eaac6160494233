/*
 * test_web_advice.c -- unit tests for web/advice.c: which advice the
 * lookup page gives by how an address is listed (a relay test's /32, an
 * operator's or an import's entry, a range, an exclusion, nothing, a
 * test point), and the operator's mailbox from the SOA RNAME (soa_rname
 * or hostmaster.<first zone>; escaped dots, a trailing dot, names that
 * make no mailbox).
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
#include "advice.h"
#include "conf.h"
#include "lookup.h"

static enum advice
advice_for(const char *cidr, const char *source, int listed, int testpoint)
{
	struct lookup		 lk;
	struct lookup_entry	 e;
	char			 err[128];

	memset(&lk, 0, sizeof(lk));
	memset(&e, 0, sizeof(e));
	lk.listed = listed;
	lk.testpoint = testpoint;
	if (cidr != NULL) {
		assert_int_equal(addr_parse(cidr, &e.l.net, err, sizeof(err)),
		    0);
		e.l.source = source;
		lk.decides = &e;
	}
	return advice_of(&lk);
}

static void
test_kinds(void **state)
{
	(void)state;
	assert_int_equal(advice_for("192.0.2.1", "probe", 1, 0),
	    ADVICE_RETEST);
	assert_int_equal(advice_for("2001:db8::1", "probe", 1, 0),
	    ADVICE_RETEST);
	assert_int_equal(advice_for("192.0.2.1", "manual", 1, 0),
	    ADVICE_OPERATOR);
	assert_int_equal(advice_for("192.0.2.1", "import", 1, 0),
	    ADVICE_OPERATOR);
	assert_int_equal(advice_for("192.0.2.1", NULL, 1, 0),
	    ADVICE_OPERATOR);
	/* a range, whoever made it: no re-test of one server removes it */
	assert_int_equal(advice_for("192.0.2.0/24", "manual", 1, 0),
	    ADVICE_RANGE);
	assert_int_equal(advice_for("192.0.2.0/31", "probe", 1, 0),
	    ADVICE_RANGE);
	assert_int_equal(advice_for("2001:db8::/48", "import", 1, 0),
	    ADVICE_RANGE);
	/* an exclusion decides: not listed */
	assert_int_equal(advice_for("192.0.2.9", "manual", 0, 0),
	    ADVICE_NOT_LISTED);
	assert_int_equal(advice_for(NULL, NULL, 0, 0), ADVICE_NOT_LISTED);
	assert_int_equal(advice_for(NULL, NULL, 1, 1), ADVICE_TESTPOINT);
	assert_int_equal(advice_for("127.0.0.2", "manual", 1, 1),
	    ADVICE_TESTPOINT);
	assert_string_equal(advice_name(ADVICE_RETEST), "retest");
	assert_string_equal(advice_name(ADVICE_OPERATOR), "operator");
	assert_string_equal(advice_name(ADVICE_RANGE), "range");
	assert_string_equal(advice_name(ADVICE_NOT_LISTED), "not-listed");
	assert_string_equal(advice_name(ADVICE_TESTPOINT), "test-point");
}

static const char *
contact(const char *rname, const char *zone)
{
	static char	 buf[256];
	struct conf	 c;
	char		 err[128];

	conf_init(&c);
	if (rname != NULL)
		assert_int_equal(conf_set(&c, "soa_rname", rname, err,
		    sizeof(err)), 0);
	if (zone != NULL)
		assert_int_equal(conf_set(&c, "zone", zone, err, sizeof(err)),
		    0);
	advice_contact(&c, buf, sizeof(buf));
	conf_free(&c);
	return buf;
}

static void
test_contact(void **state)
{
	(void)state;
	assert_string_equal(contact(NULL, "bl.example.org"),
	    "hostmaster@bl.example.org");
	assert_string_equal(contact("abuse.example.net.", "bl.example.org"),
	    "abuse@example.net");
	assert_string_equal(contact("first\\.last.example.net",
	    "bl.example.org"), "first.last@example.net");
	/* no domain: no mailbox */
	assert_string_equal(contact("root", "bl.example.org"), "");
	assert_string_equal(contact("root.", "bl.example.org"), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_contact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
