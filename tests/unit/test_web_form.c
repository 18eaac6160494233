/*
 * test_web_form.c -- unit tests for web/form.c: the parameters of a
 * request as a query string or urlencoded body and as a JSON body (read
 * by jansson): good input, a name twice, nesting, wrong types, the
 * bounds (fields, name and value length), truncated input, NUL bytes,
 * control characters and bad UTF-8; and the error text a 400 answer
 * carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "form.h"

/* Parse n bytes of s (urlencoded or JSON); on failure check that f was
 * left empty and the error is a string. */
static int
parse(int json, const char *s, size_t n, struct form *f, char *err,
    size_t errlen)
{
	int	 rc;

	memset(f, 0xa5, sizeof(*f));
	err[0] = '\0';
	rc = json ? form_parse_json(f, s, n, err, errlen) :
	    form_parse_urlencoded(f, s, n, err, errlen);
	if (rc != 0) {
		assert_int_equal(rc, -1);
		assert_int_equal(f->n, 0);
		assert_non_null(memchr(err, '\0', errlen));
		assert_true(err[0] != '\0');
	} else
		assert_true(f->n >= 0 && f->n <= FORM_FIELDS_MAX);
	return rc;
}

/* s must be refused with exactly want. */
static void
refused(int json, const char *s, size_t n, const char *want)
{
	struct form	 f;
	char		 err[256];

	if (parse(json, s, n, &f, err, sizeof(err)) == 0) {
		form_clear(&f);
		fail_msg("accepted: %.*s", (int)n, s);
	}
	assert_string_equal(err, want);
}

#define U_BAD(s, want)	refused(0, s, strlen(s), want)
#define J_BAD(s, want)	refused(1, s, strlen(s), want)

/* s must parse into exactly the n name/value pairs of want. */
static void
accepted(int json, const char *s, size_t len, const char *const *want,
    int n)
{
	struct form	 f;
	char		 err[256];
	int		 i;

	if (parse(json, s, len, &f, err, sizeof(err)) != 0)
		fail_msg("refused (%s): %.*s", err, (int)len, s);
	assert_int_equal(f.n, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(f.name[i], want[2 * i]);
		assert_string_equal(f.value[i], want[2 * i + 1]);
		assert_ptr_equal(form_get(&f, want[2 * i]), f.value[i]);
	}
	form_clear(&f);
	assert_int_equal(f.n, 0);
}

#define U_OK(s, ...) do {						\
	const char *const w_[] = { __VA_ARGS__ };			\
	accepted(0, s, strlen(s), w_, (int)(sizeof(w_) / sizeof(w_[0]) / 2)); \
} while (0)
#define J_OK(s, ...) do {						\
	const char *const w_[] = { __VA_ARGS__ };			\
	accepted(1, s, strlen(s), w_, (int)(sizeof(w_) / sizeof(w_[0]) / 2)); \
} while (0)

static void
test_urlencoded_good(void **state)
{
	struct form	 f;
	char		 err[256];

	(void)state;
	U_OK("ip=192.0.2.1&port=25", "ip", "192.0.2.1", "port", "25");
	U_OK("note=a+b%20c%2Bd%26e%3d", "note", "a b c+d&e=");
	U_OK("&&ip=1&&", "ip", "1");
	U_OK("flag&x=", "flag", "", "x", "");
	U_OK("a=%C3%A9%e2%82%ac", "a", "\xc3\xa9\xe2\x82\xac");
	U_OK("a=x%09y%0D%0Az", "a", "x\ty\r\nz");
	U_OK("a-b_9=1", "a-b_9", "1");
	U_OK("a=1=2", "a", "1=2");
	assert_int_equal(parse(0, "", 0, &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, 0);
	assert_null(form_get(&f, "ip"));
	form_clear(&f);
}

static void
test_urlencoded_bad(void **state)
{
	(void)state;
	U_BAD("a=1&a=2", "parameter 'a' given twice");
	U_BAD("a=1&%61=2", "parameter 'a' given twice");
	U_BAD("a=%zz", "bad %-escape in the parameters");
	U_BAD("a=%4", "bad %-escape in the parameters");
	U_BAD("a=1&b=%", "bad %-escape in the parameters");
	U_BAD("A=1", "bad parameter name");
	U_BAD("=1", "bad parameter name");
	U_BAD("a.b=1", "bad parameter name");
	U_BAD("%00=1", "bad parameter name");
	U_BAD("a%00b=1", "bad parameter name");
	U_BAD("a=%00", "parameter 'a' contains a NUL byte");
	U_BAD("a=%01", "parameter 'a' contains a control character");
	U_BAD("a=%7f", "parameter 'a' contains a control character");
	U_BAD("a=%ff", "parameter 'a' is not UTF-8");
	U_BAD("a=%c0%80", "parameter 'a' is not UTF-8");	/* overlong */
	U_BAD("a=%ed%a0%80", "parameter 'a' is not UTF-8");	/* surrogate */
	U_BAD("a=%c3", "parameter 'a' is not UTF-8");	/* cut short */
	/* A NUL byte in the raw input, not escaped. */
	refused(0, "a=b\0c", 5, "parameter 'a' contains a NUL byte");
}

static void
test_urlencoded_bounds(void **state)
{
	char		 buf[FORM_VALUE_MAX + 64], name[FORM_NAME_MAX + 8];
	struct form	 f;
	char		 err[256];
	int		 i, o;

	(void)state;
	memset(name, 'n', sizeof(name));
	snprintf(buf, sizeof(buf), "%.*s=1", FORM_NAME_MAX, name);
	assert_int_equal(parse(0, buf, strlen(buf), &f, err, sizeof(err)), 0);
	form_clear(&f);
	snprintf(buf, sizeof(buf), "%.*s=1", FORM_NAME_MAX + 1, name);
	U_BAD(buf, "bad parameter name");

	o = snprintf(buf, sizeof(buf), "v=");
	memset(buf + o, 'x', FORM_VALUE_MAX);
	buf[o + FORM_VALUE_MAX] = '\0';
	assert_int_equal(parse(0, buf, strlen(buf), &f, err, sizeof(err)), 0);
	assert_int_equal(strlen(form_get(&f, "v")), FORM_VALUE_MAX);
	form_clear(&f);
	buf[o + FORM_VALUE_MAX] = 'x';
	buf[o + FORM_VALUE_MAX + 1] = '\0';
	U_BAD(buf, "parameter 'v' is too long (at most 4096 bytes)");

	for (o = 0, i = 0; i < FORM_FIELDS_MAX; i++)
		o += snprintf(buf + o, sizeof(buf) - (size_t)o, "%sp%d=%d",
		    i ? "&" : "", i, i);
	assert_int_equal(parse(0, buf, strlen(buf), &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, FORM_FIELDS_MAX);
	assert_string_equal(form_get(&f, "p15"), "15");
	form_clear(&f);
	snprintf(buf + o, sizeof(buf) - (size_t)o, "&p99=1");
	U_BAD(buf, "too many parameters (at most 16)");
}

static void
test_json_good(void **state)
{
	struct form	 f;
	char		 err[256];

	(void)state;
	J_OK("{\"ip\":\"192.0.2.1\",\"port\":25}", "ip", "192.0.2.1", "port",
	    "25");
	J_OK(" \n{ \"port\" : 2526 , \"ip\" : \"::1\" }\r\n\t", "port", "2526",
	    "ip", "::1");
	/* true/false as words, null absent, the order kept. */
	J_OK("{\"b\":true,\"x\":null,\"a\":false,\"c\":\"\"}", "b", "true",
	    "a", "false", "c", "");
	/* Numbers: an integer as its digits, anything else never so. */
	J_OK("{\"a\":-7,\"b\":-0,\"c\":25.0,\"d\":1e2,\"e\":2.5,\"f\":1E20}",
	    "a", "-7", "b", "0", "c", "25.0", "d", "100.0", "e", "2.5",
	    "f", "1e+20");
	/* Escapes, a surrogate pair, raw UTF-8, the allowed controls. */
	J_OK("{\"a\":\"\\\"\\\\\\/\\u00e9\\ud83d\\ude00\xe2\x82\xac\","
	    "\"b\":\"\\t\\r\\n\"}", "a",
	    "\"\\/\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac", "b", "\t\r\n");
	assert_int_equal(parse(1, "{}", 2, &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, 0);
	form_clear(&f);
	/* Only nulls: nothing. */
	assert_int_equal(parse(1, "{\"ip\":null}", 11, &f, err, sizeof(err)),
	    0);
	assert_int_equal(f.n, 0);
	form_clear(&f);
}

static void
test_json_duplicates(void **state)
{
	(void)state;
	J_BAD("{\"ip\":\"a\",\"ip\":\"b\"}", "parameter 'ip' given twice");
	J_BAD("{\"ip\":\"a\",\"port\":1,\"ip\":2}",
	    "parameter 'ip' given twice");
	/* Twice even if one is null, and however it is spelt. */
	J_BAD("{\"ip\":null,\"ip\":\"b\"}", "parameter 'ip' given twice");
	J_BAD("{\"ip\":1, \"i\\u0070\" :2}", "parameter 'ip' given twice");
	J_BAD("{\"\\u00e9\\\"\":1,\"\\u00e9\\\"\":2}", "bad parameter name");
	J_BAD("{\"IP\":1,\"IP\":2}", "bad parameter name");
}

static void
test_json_nested(void **state)
{
	char	*deep;
	size_t	 i, n = 5000;

	(void)state;
	J_BAD("{\"ip\":[\"192.0.2.1\"]}", "nested objects and arrays are not "
	    "accepted: give strings and numbers");
	J_BAD("{\"ip\":{\"a\":1}}", "nested objects and arrays are not "
	    "accepted: give strings and numbers");
	J_BAD("{\"ip\":[]}", "nested objects and arrays are not "
	    "accepted: give strings and numbers");
	/* Deeper than jansson goes. */
	deep = malloc(n + 8);
	assert_non_null(deep);
	memcpy(deep, "{\"a\":", 5);
	for (i = 5; i < n; i++)
		deep[i] = '[';
	refused(1, deep, n, "nested objects and arrays are not accepted: "
	    "give strings and numbers");
	free(deep);
}

static void
test_json_not_an_object(void **state)
{
	(void)state;
	J_BAD("", "the body is not a JSON object (at byte 0)");
	J_BAD("[1]", "the body is not a JSON object (at byte 0)");
	J_BAD("[]", "the body is not a JSON object (at byte 0)");
	J_BAD("\"ip\"", "the body is not a JSON object (at byte 4)");
	J_BAD("25", "the body is not a JSON object (at byte 2)");
	J_BAD("null", "the body is not a JSON object (at byte 4)");
	J_BAD("ip=1", "the body is not a JSON object (at byte 2)");
	/* Truncated. */
	J_BAD("{\"ip\": \"127.0.0.54\",",
	    "the body is not a JSON object (at byte 20)");
	J_BAD("{", "the body is not a JSON object (at byte 1)");
	J_BAD("{\"ip\":\"127.0", "the body is not a JSON object (at byte 12)");
	J_BAD("{\"ip\"", "the body is not a JSON object (at byte 5)");
	/* Trailing bytes, and JSON that is not quite. */
	J_BAD("{} x", "the body is not a JSON object (at byte 4)");
	J_BAD("{}{}", "the body is not a JSON object (at byte 3)");
	J_BAD("{\"a\":1,}", "the body is not a JSON object (at byte 8)");
	J_BAD("{'a':1}", "the body is not a JSON object (at byte 2)");
	J_BAD("{\"a\":tru}", "the body is not a JSON object (at byte 8)");
	J_BAD("{\"a\":01}", "the body is not a JSON object (at byte 6)");
	J_BAD("{\"a\":\"\\x\"}", "the body is not a JSON object (at byte 8)");
	/* A lone surrogate, a raw control character in a string. */
	J_BAD("{\"a\":\"\\udc00\"}",
	    "the body is not a JSON object (at byte 13)");
	J_BAD("{\"a\":\"x\x01y\"}",
	    "the body is not a JSON object (at byte 7)");
	J_BAD("{\"port\":99999999999999999999}",
	    "a number in the body is out of range (at byte 28)");
}

static void
test_json_fields(void **state)
{
	static char	 buf[FORM_VALUE_MAX * 3 + 64];
	struct form	 f;
	char		 err[256];
	int		 i, o;

	(void)state;
	J_BAD("{\"Ip\":\"x\"}", "bad parameter name");
	J_BAD("{\"\":\"x\"}", "bad parameter name");
	J_BAD("{\"a b\":\"x\"}", "bad parameter name");
	J_BAD("{\"abcdefghijklmnopqrstuvwxyz0123456\":1}",
	    "bad parameter name");
	/* NUL: in a value it is named, in a key jansson stops it. */
	J_BAD("{\"a\":\"x\\u0000y\"}", "parameter 'a' contains a NUL byte");
	J_BAD("{\"a\\u0000\":1}", "bad parameter name");
	refused(1, "{\"a\":1}\0", 8,
	    "the body is not a JSON object (at byte 8)");
	refused(1, "{\"a\":\"x\0\"}", 10,
	    "the body is not a JSON object (at byte 7)");
	J_BAD("{\"a\":\"\\u0001\"}",
	    "parameter 'a' contains a control character");
	J_BAD("{\"a\":\"\\u007f\"}",
	    "parameter 'a' contains a control character");
	/* Bad UTF-8: jansson refuses the body. */
	J_BAD("{\"a\":\"\xff\"}", "the body is not UTF-8 (at byte 6)");
	J_BAD("{\"a\":\"\xc0\x80\"}", "the body is not UTF-8 (at byte 6)");
	J_BAD("{\"\xe9\":1}", "the body is not UTF-8 (at byte 2)");

	o = snprintf(buf, sizeof(buf), "{\"v\":\"");
	memset(buf + o, 'x', FORM_VALUE_MAX + 1);
	snprintf(buf + o + FORM_VALUE_MAX + 1, 4, "\"}");
	J_BAD(buf, "parameter 'v' is too long (at most 4096 bytes)");
	/* \u escapes count as the bytes they stand for: 2048 e-acutes are
	 * 4096 bytes, one more is too many. */
	o = snprintf(buf, sizeof(buf), "{\"v\":\"");
	for (i = 0; i < FORM_VALUE_MAX / 2; i++)
		o += snprintf(buf + o, sizeof(buf) - (size_t)o, "\\u00e9");
	snprintf(buf + o, sizeof(buf) - (size_t)o, "\"}");
	assert_int_equal(parse(1, buf, strlen(buf), &f, err, sizeof(err)), 0);
	assert_int_equal(strlen(form_get(&f, "v")), FORM_VALUE_MAX);
	form_clear(&f);
	snprintf(buf + o, sizeof(buf) - (size_t)o, "\\u00e9\"}");
	J_BAD(buf, "parameter 'v' is too long (at most 4096 bytes)");
}

static void
test_json_bounds(void **state)
{
	char		 buf[2048];
	struct form	 f;
	char		 err[256];
	int		 i, o;

	(void)state;
	o = snprintf(buf, sizeof(buf), "{");
	for (i = 0; i < FORM_FIELDS_MAX; i++)
		o += snprintf(buf + o, sizeof(buf) - (size_t)o, "%s\"p%d\":%d",
		    i ? "," : "", i, i);
	snprintf(buf + o, sizeof(buf) - (size_t)o, "}");
	assert_int_equal(parse(1, buf, strlen(buf), &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, FORM_FIELDS_MAX);
	assert_string_equal(form_get(&f, "p0"), "0");
	form_clear(&f);
	/* Nulls do not count. */
	snprintf(buf + o, sizeof(buf) - (size_t)o, ",\"x\":null}");
	assert_int_equal(parse(1, buf, strlen(buf), &f, err, sizeof(err)), 0);
	assert_int_equal(f.n, FORM_FIELDS_MAX);
	form_clear(&f);
	snprintf(buf + o, sizeof(buf) - (size_t)o, ",\"x\":1}");
	J_BAD(buf, "too many parameters (at most 16)");
	/* A short err buffer: cut, still a string. */
	assert_int_equal(form_parse_json(&f, "{\"ip\":[1]}", 10, err, 8), -1);
	assert_int_equal(strlen(err), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencoded_good),
		cmocka_unit_test(test_urlencoded_bad),
		cmocka_unit_test(test_urlencoded_bounds),
		cmocka_unit_test(test_json_good),
		cmocka_unit_test(test_json_duplicates),
		cmocka_unit_test(test_json_nested),
		cmocka_unit_test(test_json_not_an_object),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
