/*
 * test_esc.c -- unit tests for common/esc.c: HTML and JSON escaping of
 * hostile text (markup, quotes, control characters, invalid UTF-8), and
 * the snprintf-like buffer contract.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "esc.h"

static void
test_html(void **state)
{
	char	*s;

	(void)state;
	s = esc_html_dup("<script>alert('x')</script> & \"q\"");
	assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
	    " &amp; &quot;q&quot;");
	free(s);
	s = esc_html_dup("a\r\nb\tc\x01" "d\x7f");
	assert_string_equal(s, "a\nb\tc\xef\xbf\xbd" "d\xef\xbf\xbd");
	free(s);
	/* Invalid UTF-8 (a lone continuation byte, an overlong form, a
	 * surrogate) becomes U+FFFD; valid UTF-8 passes. */
	s = esc_html_dup("\x80" "x\xc0\xaf" "y\xed\xa0\x80" "z\xc3\xa9");
	assert_string_equal(s, "\xef\xbf\xbd" "x\xef\xbf\xbd\xef\xbf\xbd"
	    "y\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "z\xc3\xa9");
	free(s);
	s = esc_html_dup(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void
test_json(void **state)
{
	char	*s;

	(void)state;
	s = esc_json_dup("say \"hi\" \\ <b>&</b>\n\x01");
	assert_string_equal(s, "\"say \\\"hi\\\" \\\\ \\u003cb\\u003e\\u0026"
	    "\\u003c/b\\u003e\\n\\u0001\"");
	free(s);
	s = esc_json_dup("\xff" "a\xe2\x80\xa8" "b\xc3\xa9");
	assert_string_equal(s, "\"\\ufffda\\u2028b\xc3\xa9\"");
	free(s);
	s = esc_json_dup(NULL);
	assert_string_equal(s, "null");
	free(s);
}

static void
test_buffer(void **state)
{
	char	 buf[8];
	size_t	 n;

	(void)state;
	n = esc_html(buf, sizeof(buf), "<<<<");
	assert_int_equal(n, 16);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "&lt;&lt;", 7);
	n = esc_json(buf, sizeof(buf), "ab");
	assert_int_equal(n, 4);
	assert_string_equal(buf, "\"ab\"");
	assert_int_equal(esc_html(NULL, 0, "a&b"), 7);
}

/* esc_utf8_valid / esc_utf8_repair: what jansson is given. */
static void
test_utf8_repair(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xff", "\xef\xbf\xbd" },
		{ "a\xc3", "a\xef\xbf\xbd" },		/* cut sequence */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },	/* 4 bytes */
	};
	size_t	 i, n;
	char	*d;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(esc_utf8_valid(t[i].in),
		    strcmp(t[i].in, t[i].out) == 0);
		d = esc_utf8_repair(t[i].in, &n);
		assert_non_null(d);
		assert_string_equal(d, t[i].out);
		assert_int_equal(n, strlen(t[i].out));
		assert_true(esc_utf8_valid(d));
		free(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_utf8_repair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
