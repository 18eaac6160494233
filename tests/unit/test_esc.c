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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
