/*
 * test_smtp_reply.c -- unit tests for probe/smtp_reply.c (the SMTP reply
 * parser): well-formed replies, every error, and hostile input (endless
 * replies, huge lines, NULs, control and non-ASCII bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_reply.h"

static struct smtp_reply	 R;

static enum smtp_reply_status
feed(const char *line)
{
	return smtp_reply_feed(&R, line, strlen(line));
}

/* err must be NUL-terminated printable ASCII and start with prefix. */
static void
assert_err(const char *prefix)
{
	size_t	 i, n;

	n = strnlen(R.err, sizeof(R.err));
	assert_true(n > 0 && n < sizeof(R.err));
	for (i = 0; i < n; i++)
		assert_true(R.err[i] >= 0x20 && R.err[i] < 0x7f);
	if (strncmp(R.err, prefix, strlen(prefix)) != 0)
		fail_msg("err \"%s\" does not start with \"%s\"", R.err, prefix);
}

static void
test_single_line(void **state)
{
	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(feed("220 mail.example.org ESMTP Postfix"),
	    SMTP_REPLY_DONE);
	assert_int_equal(R.code, 220);
	assert_int_equal(R.nlines, 1);
	assert_string_equal(R.text, "mail.example.org ESMTP Postfix");
	assert_int_equal(R.textlen, strlen(R.text));
	assert_int_equal(R.truncated, 0);
	assert_string_equal(R.err, "");

	smtp_reply_init(&R);
	assert_int_equal(feed("554 5.7.1 <x@y>: Relay access denied"),
	    SMTP_REPLY_DONE);
	assert_int_equal(R.code, 554);
	assert_string_equal(R.text, "5.7.1 <x@y>: Relay access denied");
}

static void
test_multi_line(void **state)
{
	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(feed("250-mail.example.org"), SMTP_REPLY_MORE);
	assert_int_equal(R.code, 250);
	assert_int_equal(feed("250-PIPELINING"), SMTP_REPLY_MORE);
	assert_int_equal(feed("250-SIZE 10240000"), SMTP_REPLY_MORE);
	assert_int_equal(feed("250 8BITMIME"), SMTP_REPLY_DONE);
	assert_int_equal(R.code, 250);
	assert_int_equal(R.nlines, 4);
	assert_string_equal(R.text,
	    "mail.example.org\nPIPELINING\nSIZE 10240000\n8BITMIME");
	assert_int_equal(R.textlen, strlen(R.text));
}

static void
test_bare_code(void **state)
{
	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(feed("250"), SMTP_REPLY_DONE);
	assert_int_equal(R.code, 250);
	assert_string_equal(R.text, "");
	assert_int_equal(R.textlen, 0);

	smtp_reply_init(&R);
	assert_int_equal(feed("221 "), SMTP_REPLY_DONE);
	assert_int_equal(R.code, 221);
	assert_string_equal(R.text, "");

	/* Empty continuation lines keep their place in the text. */
	smtp_reply_init(&R);
	assert_int_equal(feed("250-"), SMTP_REPLY_MORE);
	assert_int_equal(feed("250-"), SMTP_REPLY_MORE);
	assert_int_equal(feed("250 x"), SMTP_REPLY_DONE);
	assert_string_equal(R.text, "\n\nx");
	assert_int_equal(R.nlines, 3);
}

/*
 * "250-" then end of stream: the parser only says MORE; the session
 * treats EOF in that state as a protocol error (see smtp_reply.h).
 */
static void
test_continuation_then_eof(void **state)
{
	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(feed("250-"), SMTP_REPLY_MORE);
	assert_int_equal(R.code, 250);
	assert_int_equal(R.nlines, 1);
	assert_string_equal(R.err, "");
}

static void
test_codes(void **state)
{
	static const struct {
		const char	*line;
		int		 code;	/* 0: error */
		const char	*err;
	} t[] = {
		{ "200 ok", 200, NULL },
		{ "259 lenient third digit", 259, NULL },
		{ "559 x", 559, NULL },
		{ "599 x", 0, "bad reply code" },
		{ "421 4.3.2 shutting down", 421, NULL },
		{ "199 x", 0, "bad reply code" },
		{ "100 x", 0, "bad reply code" },
		{ "600 x", 0, "bad reply code" },
		{ "260 x", 0, "bad reply code" },
		{ "290 x", 0, "bad reply code" },
		{ "000", 0, "bad reply code" },
		{ "2500 x", 0, "bad separator after reply code: \"2500 x\"" },
		{ "250x", 0, "bad separator after reply code" },
		{ "250\tok", 0, "bad separator after reply code" },
		{ "250_ok", 0, "bad separator after reply code" },
		{ "25x", 0, "no reply code: \"25x\"" },
		{ "25", 0, "no reply code: \"25\"" },
		{ "2", 0, "no reply code" },
		{ "x250 ok", 0, "no reply code" },
		{ " 250 ok", 0, "no reply code" },
		{ "HTTP/1.1 400 Bad Request", 0,
		    "no reply code: \"HTTP/1.1 400 Bad Request\"" },
		{ "", 0, "empty reply line" },
	};
	size_t	 i;
	int	 rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		smtp_reply_init(&R);
		rc = feed(t[i].line);
		if (t[i].code) {
			if (rc != SMTP_REPLY_DONE || R.code != t[i].code)
				fail_msg("\"%s\": rc %d code %d", t[i].line, rc,
				    R.code);
		} else {
			if (rc != SMTP_REPLY_ERROR)
				fail_msg("\"%s\": rc %d, want error", t[i].line,
				    rc);
			assert_err(t[i].err);
		}
	}
}

static void
test_mixed_codes(void **state)
{
	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(feed("250-a"), SMTP_REPLY_MORE);
	assert_int_equal(feed("251 b"), SMTP_REPLY_ERROR);
	assert_err("mixed reply codes 250 and 251");

	/* Same code, different class of separator: still one reply. */
	smtp_reply_init(&R);
	assert_int_equal(feed("550-a"), SMTP_REPLY_MORE);
	assert_int_equal(feed("450-b"), SMTP_REPLY_ERROR);
	assert_err("mixed reply codes 550 and 450");
}

static void
test_errors_sticky_and_done(void **state)
{
	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(feed("junk"), SMTP_REPLY_ERROR);
	assert_err("no reply code");
	assert_int_equal(feed("250 ok"), SMTP_REPLY_ERROR);
	assert_err("no reply code");	/* the first error is kept */

	smtp_reply_init(&R);
	assert_int_equal(feed("250 ok"), SMTP_REPLY_DONE);
	assert_int_equal(feed("250 again"), SMTP_REPLY_ERROR);
	assert_err("reply already complete");

	/* init makes the struct fresh again */
	smtp_reply_init(&R);
	assert_string_equal(R.err, "");
	assert_int_equal(feed("354 go ahead"), SMTP_REPLY_DONE);
	assert_int_equal(R.code, 354);
	assert_string_equal(R.text, "go ahead");
	assert_int_equal(R.nlines, 1);
}

static void
test_thousand_lines(void **state)
{
	int	 i, rc;

	(void)state;
	smtp_reply_init(&R);
	for (i = 0; i < 1000; i++) {
		rc = feed("250-endless");
		if (i < SMTP_REPLY_LINES_MAX)
			assert_int_equal(rc, SMTP_REPLY_MORE);
		else
			assert_int_equal(rc, SMTP_REPLY_ERROR);
	}
	assert_string_equal(R.err, "endless multi-line reply");
	assert_int_equal(R.nlines, SMTP_REPLY_LINES_MAX);

	/* Exactly the maximum number of lines is fine. */
	smtp_reply_init(&R);
	for (i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++)
		assert_int_equal(feed("250-x"), SMTP_REPLY_MORE);
	assert_int_equal(feed("250 x"), SMTP_REPLY_DONE);
	assert_int_equal(R.nlines, SMTP_REPLY_LINES_MAX);
	assert_int_equal(R.textlen, 2 * SMTP_REPLY_LINES_MAX - 1);
}

static void
test_line_length(void **state)
{
	char	*big;
	size_t	 bigsz = 10 * 1024 * 1024;

	(void)state;
	big = malloc(bigsz);
	assert_non_null(big);
	memset(big, 'A', bigsz);
	memcpy(big, "250 ", 4);

	smtp_reply_init(&R);
	assert_int_equal(smtp_reply_feed(&R, big, SMTP_LINE_MAX),
	    SMTP_REPLY_DONE);
	assert_int_equal(R.textlen, SMTP_LINE_MAX - 4);

	smtp_reply_init(&R);
	assert_int_equal(smtp_reply_feed(&R, big, SMTP_LINE_MAX + 1),
	    SMTP_REPLY_ERROR);
	assert_string_equal(R.err, "reply line too long");
	assert_int_equal(R.textlen, 0);

	/* 10 MB in one line: refused without copying anything. */
	smtp_reply_init(&R);
	assert_int_equal(smtp_reply_feed(&R, big, bigsz), SMTP_REPLY_ERROR);
	assert_string_equal(R.err, "reply line too long");
	assert_int_equal(R.textlen, 0);

	/* A too-long continuation line ends the reply in error, too. */
	smtp_reply_init(&R);
	assert_int_equal(feed("250-first"), SMTP_REPLY_MORE);
	big[3] = '-';
	assert_int_equal(smtp_reply_feed(&R, big, SMTP_LINE_MAX + 1),
	    SMTP_REPLY_ERROR);
	assert_string_equal(R.err, "reply line too long");
	free(big);
}

static void
test_text_truncated(void **state)
{
	char	 line[SMTP_LINE_MAX];
	size_t	 i;
	int	 n;

	(void)state;
	memset(line, 'b', sizeof(line));
	memcpy(line, "250-", 4);
	smtp_reply_init(&R);
	for (n = 0; n < 10; n++)
		assert_int_equal(smtp_reply_feed(&R, line, sizeof(line)),
		    SMTP_REPLY_MORE);
	line[3] = ' ';
	assert_int_equal(smtp_reply_feed(&R, line, sizeof(line)),
	    SMTP_REPLY_DONE);
	assert_int_equal(R.truncated, 1);
	assert_int_equal(R.textlen, SMTP_REPLY_TEXT_MAX - 1);
	assert_int_equal(strlen(R.text), R.textlen);
	assert_int_equal(R.nlines, 11);
	/* line 1 is 996 b's, then '\n', and so on */
	assert_int_equal(R.text[996], '\n');
	for (i = 0; i < 996; i++)
		assert_int_equal(R.text[i], 'b');

	/* Exactly full is not truncated. */
	_Static_assert(SMTP_REPLY_TEXT_MAX > 996 + 1 + 1,
	    "the test wants a full line and more to fit");
	smtp_reply_init(&R);
	memset(line, 'c', sizeof(line));
	memcpy(line, "250-", 4);
	assert_int_equal(smtp_reply_feed(&R, line, sizeof(line)),
	    SMTP_REPLY_MORE);		/* 996 bytes of text */
	line[3] = ' ';
	/* what is left after 996 and a newline fits exactly */
	assert_int_equal(smtp_reply_feed(&R, line, 4 + (SMTP_REPLY_TEXT_MAX -
	    1 - 996 - 1)), SMTP_REPLY_DONE);
	assert_int_equal(R.textlen, SMTP_REPLY_TEXT_MAX - 1);
	assert_int_equal(R.truncated, 0);
}

static void
test_nul_control_nonascii(void **state)
{
	static const char	 nul[] = "250 a\0b\0";
	static const char	 cr[] = "250 a\rb";
	static const char	 hi[] = "250 caf\xc3\xa9 \x7f\x01\t\x1b[31m";
	static const char	 codenul[] = "2\0\0 x";

	(void)state;
	smtp_reply_init(&R);
	assert_int_equal(smtp_reply_feed(&R, nul, sizeof(nul) - 1),
	    SMTP_REPLY_DONE);
	assert_int_equal(R.textlen, 4);
	assert_memory_equal(R.text, "a?b?", 5);

	smtp_reply_init(&R);
	assert_int_equal(feed(cr), SMTP_REPLY_DONE);
	assert_string_equal(R.text, "a?b");

	/* A CR the caller did not strip is just a control byte. */
	smtp_reply_init(&R);
	assert_int_equal(feed("250 ok\r"), SMTP_REPLY_DONE);
	assert_string_equal(R.text, "ok?");

	smtp_reply_init(&R);
	assert_int_equal(feed(hi), SMTP_REPLY_DONE);
	assert_string_equal(R.text, "caf?? ????[31m");

	/* NULs where the code should be: error, sanitized in err. */
	smtp_reply_init(&R);
	assert_int_equal(smtp_reply_feed(&R, codenul, sizeof(codenul) - 1),
	    SMTP_REPLY_ERROR);
	assert_err("no reply code: \"2?? x\"");
}

static void
test_garbage_err_bounded(void **state)
{
	char	 junk[600];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37 + 11);
	junk[0] = 'G';
	smtp_reply_init(&R);
	assert_int_equal(smtp_reply_feed(&R, junk, sizeof(junk)),
	    SMTP_REPLY_ERROR);
	assert_err("no reply code: \"G");
	assert_non_null(strstr(R.err, "...\""));
	assert_true(strlen(R.err) < sizeof(R.err));
	assert_int_equal(R.textlen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_line),
		cmocka_unit_test(test_multi_line),
		cmocka_unit_test(test_bare_code),
		cmocka_unit_test(test_continuation_then_eof),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_mixed_codes),
		cmocka_unit_test(test_errors_sticky_and_done),
		cmocka_unit_test(test_thousand_lines),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_text_truncated),
		cmocka_unit_test(test_nul_control_nonascii),
		cmocka_unit_test(test_garbage_err_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
