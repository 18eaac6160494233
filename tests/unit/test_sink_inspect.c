/*
 * test_sink_inspect.c -- unit tests for sink_inspect()
 * (probe/sink_inspect.c): where the cookie is looked for (Subject,
 * Message-ID "<cookie@", a "Cookie:" line of the first text part; never
 * other headers or attached messages), the bounce rule (our message at
 * the top level is relayed; carried inside, attached or quoted, it is
 * returned) on messages shaped like Postfix's, Exim's, Sendmail's and
 * qmail's bounces and mail programs' forwards, that no single header
 * (envelope sender, Auto-Submitted, multipart/report) moves the verdict,
 * header unfolding, the bounded Received list, CRLF and LF, and hostile
 * input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cookie.h"
#include "sink.h"
#include "smtp_msg.h"

static const uint8_t	 KEY[] = "sink inspect test key";
static char		 TOK[COOKIE_MAX];	/* test 13 of run 42 */
static char		 TOK2[COOKIE_MAX];	/* test 7 of run 42 */

static int
setup(void **state)
{
	struct cookie	 c = { 42, 13, 1767225600 };

	(void)state;
	if (cookie_make(KEY, sizeof(KEY) - 1, &c, "192.0.2.1", TOK,
	    sizeof(TOK)) == -1)
		return -1;
	c.test = 7;
	return cookie_make(KEY, sizeof(KEY) - 1, &c, "192.0.2.1", TOK2,
	    sizeof(TOK2));
}

/* printf into a fresh buffer; "%T" is not special: use TOK via %s. */
static char *
msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *
msg(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) > 0);
	va_end(ap);
	return s;
}

/* The same text with every LF made CR LF. */
static char *
crlf(const char *s)
{
	size_t	 i, n = 0;
	char	*o = malloc(2 * strlen(s) + 1);

	assert_non_null(o);
	for (i = 0; s[i]; i++) {
		if (s[i] == '\n')
			o[n++] = '\r';
		o[n++] = s[i];
	}
	o[n] = '\0';
	return o;
}

/*
 * Our test message as smtp_msg.c writes it, before stuffing (its header
 * fields after extra, which is "" or whole lines); test_message_as_sent
 * takes the real one.
 */
static char *
test_message(const char *extra, const char *tok)
{
	return msg("%s"
	    "From: <orbl-probe@prober.test>\n"
	    "To: <sink@sink.test>\n"
	    "Subject: orbl relay test 13 %s\n"
	    "Message-ID: <%s@prober.test>\n"
	    "Date: Mon, 01 Jan 2029 00:00:00 +0000\n"
	    "\n"
	    "This message tests whether the mail server at 192.0.2.1 port 25\n"
	    "relays mail for anyone (an open relay).  It was sent by the\n"
	    "orbl relay prober at prober.test to the prober's own mailbox; if "
	    "it\n"
	    "reached anyone else, please tell postmaster@prober.test.\n"
	    "\n"
	    "Test: 13 (percent hack)\n"
	    "Target: 192.0.2.1 port 25\n"
	    "Cookie: %s\n"
	    "\n"
	    ".This line starts with a dot (SMTP transparency, RFC 5321"
	    " 4.5.2).\n", extra, tok, tok, tok);
}

static void
inspect(const char *from, const char *m, struct sink_inspection *in)
{
	memset(in, 0x5a, sizeof(*in));
	sink_inspect(from, m, strlen(m), in);
}

static void
assert_cookie(const struct sink_inspection *in, const char *tok)
{
	assert_non_null(in->cookie);
	assert_int_equal(in->cookielen, strlen(tok));
	assert_memory_equal(in->cookie, tok, strlen(tok));
}

static void
assert_not_bounce(const struct sink_inspection *in)
{
	assert_int_equal(in->bounce, 0);
	assert_null(in->bounce_why);
}

static void
assert_bounce(const struct sink_inspection *in, const char *why)
{
	assert_int_equal(in->bounce, 1);
	assert_non_null(in->bounce_why);
	assert_string_equal(in->bounce_why, why);
	/* A bounce is always attributable. */
	assert_non_null(in->attached_cookie);
}

static void
assert_attached(const struct sink_inspection *in, const char *tok)
{
	assert_non_null(in->attached_cookie);
	assert_int_equal(in->attached_cookielen, strlen(tok));
	assert_memory_equal(in->attached_cookie, tok, strlen(tok));
}

/*
 * The message smtp_msg.c really composes, as the sink gets it (the final
 * "." line gone, dot-unstuffed, CRLF kept): the test mail itself, its
 * cookie at the top level.  The two files must agree on the places.
 */
static void
test_message_as_sent(void **state)
{
	struct smtp_msg		 sm;
	struct sink_inspection	 in;
	char			 wire[SMTP_MSG_MAX], data[SMTP_MSG_MAX];
	const char		*p, *nl, *end;
	size_t			 n = 0;
	int			 len;

	(void)state;
	memset(&sm, 0, sizeof(sm));
	sm.from_local = "orbl-probe";
	sm.helo = "prober.test";
	sm.rcpt_to = "<sink%sink.test@192.0.2.1>";
	sm.test_id = 13;
	sm.test_name = "percent hack";
	sm.cookie = TOK;
	sm.target = "192.0.2.1";
	sm.port = 25;
	sm.date = 1767225600;
	len = smtp_msg_make(&sm, wire, sizeof(wire));
	assert_true(len > 3);
	end = wire + len - 3;
	assert_string_equal(end, ".\r\n");
	/* Unstuffed, as the sink does. */
	for (p = wire; p < end; p = nl + 2) {
		nl = strstr(p, "\r\n");
		if (*p == '.')
			p++;
		memcpy(data + n, p, (size_t)(nl + 2 - p));
		n += (size_t)(nl + 2 - p);
	}
	data[n] = '\0';
	memset(&in, 0x5a, sizeof(in));
	sink_inspect("orbl-probe@prober.test", data, n, &in);
	assert_cookie(&in, TOK);
	assert_not_bounce(&in);
	assert_null(in.attached_cookie);
	/* The Subject's cookie, the first of the three. */
	assert_ptr_equal(in.cookie, strstr(data, "Subject: ") +
	    strlen("Subject: orbl relay test 13 "));
}

static void
test_plain_all_three(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg("Received: from relay.example (relay.example [192.0.2.1])\n"
	    "\tby sink.test; Mon, 1 Jan 2029 00:00:00 +0000\n"
	    "Received: from prober.test ([198.51.100.1])\n"
	    "  by relay.example; Mon, 1 Jan 2029 00:00:00 +0000\n"
	    "From: <probe@prober.test>\n"
	    "To: <sink@sink.test>\n"
	    "Subject: orbl relay test %s\n"
	    "Message-ID: <%s@prober.test>\n"
	    "\n"
	    "Relay test %s.\n", TOK, TOK, TOK);
	inspect("probe@prober.test", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	/* The first place: the Subject's, inside m. */
	assert_ptr_equal(in.cookie, strstr(m, "Subject:") + 25);
	assert_null(in.attached_cookie);
	assert_int_equal(in.attached_cookielen, 0);
	assert_string_equal(in.received,
	    "from relay.example (relay.example [192.0.2.1]) by sink.test; "
	    "Mon, 1 Jan 2029 00:00:00 +0000\n"
	    "from prober.test ([198.51.100.1]) by relay.example; "
	    "Mon, 1 Jan 2029 00:00:00 +0000");
	assert_int_equal(in.received_truncated, 0);
	free(m);
}

static void
test_order_subject_msgid_body(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	/* Message-ID before Subject in the header, but Subject wins. */
	m = msg("Message-ID: <%s@p>\nSubject: %s\n\n%s\n", TOK2, TOK, TOK2);
	inspect("a@b", m, &in);
	assert_cookie(&in, TOK);
	free(m);
	/* No cookie in Subject: Message-ID's, before the body's. */
	m = msg("Subject: hello\nMessage-ID: <%s@p>\n\n%s\n", TOK2, TOK);
	inspect("a@b", m, &in);
	assert_cookie(&in, TOK2);
	free(m);
}

static void
test_cookie_only_in_body(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg("From: x@y\nSubject: a test\nMessage-ID: <1@y>\n\n"
	    "some text\ncookie: %s.\nmore\n", TOK);
	inspect("x@y", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_ptr_equal(in.cookie, strstr(m, TOK));
	assert_string_equal(in.received, "");
	free(m);
}

static void
test_no_cookie(void **state)
{
	struct sink_inspection	 in;
	char			*m, bad[COOKIE_MAX + 2];

	(void)state;
	inspect("x@y", "Subject: hi\n\nnothing here\n", &in);
	assert_not_bounce(&in);
	assert_null(in.cookie);
	assert_int_equal(in.cookielen, 0);
	assert_null(in.attached_cookie);

	/* A cookie in another header is not looked at. */
	m = msg("X-Orbl: %s\nIn-Reply-To: <%s@p>\nSubject: hi\n\nbody\n",
	    TOK, TOK);
	inspect("x@y", m, &in);
	assert_null(in.cookie);
	free(m);

	/* Nor a cookie glued to a following letter (not a token). */
	snprintf(bad, sizeof(bad), "%sx", TOK);
	m = msg("Subject: %s\n\n%s\n", bad, bad);
	inspect("x@y", m, &in);
	assert_null(in.cookie);
	free(m);
}

/*
 * A relay open to null-sender mail only (the classic <> hole) relays our
 * message with MAIL FROM:<>: the message is ours at the top, relayed.
 */
static void
test_null_sender(void **state)
{
	struct sink_inspection	 in;
	const char		*from[] = { "", NULL, "a@b" };
	char			*m, *m2;
	size_t			 i;

	(void)state;
	m = test_message("Received: from relay.example by sink.test\n", TOK);
	m2 = crlf(m);
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		inspect(from[i], m, &in);
		assert_not_bounce(&in);
		assert_cookie(&in, TOK);
		assert_ptr_equal(in.cookie, strstr(m, "test 13 ") + 8);
		assert_null(in.attached_cookie);
		inspect(from[i], m2, &in);
		assert_not_bounce(&in);
		assert_cookie(&in, TOK);
	}
	free(m2);
	free(m);

	/* Subject and Message-ID rewritten by the relay: the body's line. */
	m = msg("Subject: [ext] relayed\nMessage-ID: <1@relay.example>\n\n"
	    "Test: 13 (percent hack)\nCookie: %s\n", TOK);
	inspect("", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_ptr_equal(in.cookie, strstr(m, TOK));
	free(m);
}

/* A Postfix DSN: notification, delivery-status, the original message. */
#define POSTFIX_DSN \
    "Received: by relay.example (Postfix) id 4F2A1; Mon, 1 Jan 2029\n" \
    "Date: Mon,  1 Jan 2029 00:00:01 +0000 (UTC)\n" \
    "From: MAILER-DAEMON@relay.example (Mail Delivery System)\n" \
    "Subject: Undelivered Mail Returned to Sender\n" \
    "To: probe@prober.test\n" \
    "Auto-Submitted: auto-replied\n" \
    "MIME-Version: 1.0\n" \
    "Content-Type: multipart/report; report-type=delivery-status;\n" \
    "\tboundary=\"4F2A1.1767225601/relay.example\"\n" \
    "Message-Id: <20290101000001.4F2A1@relay.example>\n" \
    "\n" \
    "This is a MIME-encapsulated message.\n" \
    "\n" \
    "--4F2A1.1767225601/relay.example\n" \
    "Content-Description: Notification\n" \
    "Content-Type: text/plain; charset=us-ascii\n" \
    "\n" \
    "This is the mail system at host relay.example.\n" \
    "<sink@sink.test>: host sink.test said: 550 5.7.1 Relaying denied\n" \
    "\n" \
    "--4F2A1.1767225601/relay.example\n" \
    "Content-Description: Delivery report\n" \
    "Content-Type: message/delivery-status\n" \
    "\n" \
    "Reporting-MTA: dns; relay.example\n" \
    "\n" \
    "Final-Recipient: rfc822; sink@sink.test\n" \
    "Action: failed\n" \
    "Status: 5.7.1\n" \
    "\n" \
    "--4F2A1.1767225601/relay.example\n" \
    "Content-Description: Undelivered Message\n" \
    "Content-Type: message/rfc822\n" \
    "\n" \
    "Received: from prober.test ([198.51.100.1])\n" \
    "Subject: orbl relay test %s\n" \
    "Message-ID: <%s@prober.test>\n" \
    "\n" \
    "Relay test %s.\n" \
    "\n" \
    "--4F2A1.1767225601/relay.example--\n"

static void
test_postfix_dsn(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg(POSTFIX_DSN, TOK, TOK, TOK);
	/* Our message attached, the top level the DSN's own: returned,
	 * whatever the envelope sender. */
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in an attached message");
	assert_null(in.cookie);
	assert_attached(&in, TOK);
	assert_ptr_equal(in.attached_cookie, strstr(m, TOK));
	/* Only the top-level Received, not the attached one. */
	assert_string_equal(in.received,
	    "by relay.example (Postfix) id 4F2A1; Mon, 1 Jan 2029");
	inspect("postmaster@relay.example", m, &in);
	assert_bounce(&in, "cookie only in an attached message");
	assert_attached(&in, TOK);
	free(m);
}

/* Cookie only inside an attachment: a bounce, whatever the rest says. */
static void
test_cookie_only_attached(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg("Subject: Returned mail\n"
	    "Content-Type: multipart/mixed; boundary=XYZ\n"
	    "\n"
	    "--XYZ\n"
	    "\n"
	    "Your message could not be delivered.\n"
	    "--XYZ\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Subject: %s\n\nbody\n"
	    "--XYZ--\n", TOK);
	inspect("mailer@relay.example", m, &in);
	assert_bounce(&in, "cookie only in an attached message");
	assert_null(in.cookie);
	assert_memory_equal(in.attached_cookie, TOK, strlen(TOK));
	free(m);

	/* text/rfc822-headers (RFC 6522) counts as attached too. */
	m = msg("Content-Type: multipart/mixed; boundary=\"b 1\"\n\n"
	    "--b 1\nContent-Type: text/plain\n\nfailed\n"
	    "--b 1\nContent-Type: Text/RFC822-Headers\n\n"
	    "Message-ID: <%s@p>\n"
	    "--b 1--\n", TOK);
	inspect("mailer@relay.example", m, &in);
	assert_bounce(&in, "cookie only in an attached message");
	assert_null(in.cookie);
	free(m);

	/* The cookie also in the top-level Subject, but the Message-ID
	 * not ours and no "Cookie:" line: the Subject was copied into a
	 * message that carries ours. */
	m = msg("Subject: %s\n"
	    "Content-Type: multipart/mixed; boundary=XYZ\n\n"
	    "--XYZ\nContent-Type: message/rfc822\n\nSubject: %s\n\nx\n"
	    "--XYZ--\n", TOK, TOK2);
	inspect("a@b", m, &in);
	assert_bounce(&in,
	    "cookie only in the Subject and an attached message");
	assert_cookie(&in, TOK);
	assert_attached(&in, TOK2);
	free(m);

	/* With our Message-ID at the top it is ours, wrapped by the relay
	 * (a filter that attaches the original): relayed. */
	m = msg("Subject: [SPAM] orbl relay test 13 %s\n"
	    "Message-ID: <%s@prober.test>\n"
	    "Content-Type: multipart/mixed; boundary=XYZ\n\n"
	    "--XYZ\nContent-Type: text/plain\n\nProbably spam.\n"
	    "--XYZ\nContent-Type: message/rfc822\n\nSubject: %s\n\nx\n"
	    "--XYZ--\n", TOK, TOK, TOK);
	inspect("a@b", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_attached(&in, TOK);
	free(m);
}

static void
test_exim_bounce(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg("Received: from mail by relay.example with local (Exim 4.96)\n"
	    "\tid 1q2w3e-0001; Mon, 01 Jan 2029 00:00:01 +0000\n"
	    "X-Failed-Recipients: sink@sink.test\n"
	    "Auto-Submitted: auto-replied\n"
	    "From: Mail Delivery System <Mailer-Daemon@relay.example>\n"
	    "To: probe@prober.test\n"
	    "Subject: Mail delivery failed: returning message to sender\n"
	    "Message-Id: <E1q2w3e-0001@relay.example>\n"
	    "\n"
	    "This message was created automatically by mail delivery "
	    "software.\n\n"
	    "  sink@sink.test\n    relaying denied\n\n"
	    "------ This is a copy of the message, including all the "
	    "headers. ------\n"
	    "Subject: orbl relay test %s\n"
	    "Message-ID: <%s@prober.test>\n\n"
	    "Relay test %s.\n", TOK, TOK, TOK);
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	assert_null(in.cookie);
	/* The first cookie after the separator: the copied Subject's. */
	assert_attached(&in, TOK);
	assert_ptr_equal(in.attached_cookie, strstr(m, "test ") + 5);
	inspect("Mailer-Daemon@relay.example", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);

	/* Exim's body-only copy (bounce_return_body, no headers). */
	m = msg("Subject: Mail delivery failed\n"
	    "Message-Id: <E1q2w3e-0002@relay.example>\n\n"
	    "  sink@sink.test\n    relaying denied\n\n"
	    "------ This is a copy of the body of the message, without the "
	    "headers. ------\n\n"
	    "Test: 13 (percent hack)\nCookie: %s\n", TOK);
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	assert_attached(&in, TOK);
	assert_null(in.cookie);
	free(m);
}

/*
 * Auto-Submitted (any value) and Precedence are headers a relay may add
 * to what it relays: they change nothing, either way.
 */
static void
test_auto_submitted(void **state)
{
	static const char	*hdr[] = {
		"Auto-Submitted: no\n",
		"auto-submitted:  No (a comment)\n",
		"AUTO-SUBMITTED: auto-generated\n",
		"Auto-Submitted: auto-replied\nPrecedence: bulk\n",
		"Auto-Submitted:\n auto-notified; owner=x\n",
		"Precedence: junk\nX-Autoreply: yes\n",
	};
	struct sink_inspection	 in, ref;
	char			*m, *dsn, *m2;
	size_t			 i;

	(void)state;
	m = test_message("", TOK);
	inspect("", m, &ref);
	dsn = msg(POSTFIX_DSN, TOK, TOK, TOK);
	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		/* Our message at the top, with the header: relayed. */
		m2 = msg("%s%s", hdr[i], m);
		inspect("", m2, &in);
		assert_not_bounce(&in);
		assert_cookie(&in, TOK);
		assert_int_equal(in.cookie - m2, ref.cookie - m +
		    (ptrdiff_t)strlen(hdr[i]));
		free(m2);
		m2 = test_message(hdr[i], TOK);
		inspect("a@b", m2, &in);
		assert_not_bounce(&in);
		free(m2);
		/* A DSN, with the header or not (it has one): returned. */
		m2 = msg("%s%s", hdr[i], dsn);
		inspect("", m2, &in);
		assert_bounce(&in, "cookie only in an attached message");
		free(m2);
	}
	/* "Auto-Submitted: no" does not make a DSN a test message. */
	m2 = msg("Auto-Submitted: no\n%s", strstr(dsn, "Date:"));
	inspect("", m2, &in);
	assert_bounce(&in, "cookie only in an attached message");
	free(m2);
	free(dsn);
	free(m);
}

/*
 * A multipart/report type at the top says nothing by itself: with our
 * Subject and Message-ID at the top it is our message (a relay, or a
 * prankster, that re-wrapped it), relayed.
 */
static void
test_report_type_ours_at_top(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg("Subject: orbl relay test 13 %s\n"
	    "Message-ID: <%s@prober.test>\n"
	    "Auto-Submitted: auto-generated\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"rr\"\n\n"
	    "--rr\nContent-Type: text/plain\n\n"
	    "Test: 13 (percent hack)\nCookie: %s\n"
	    "--rr\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; relay.example\n"
	    "--rr--\n", TOK, TOK, TOK);
	inspect("", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_null(in.attached_cookie);
	free(m);

	/* Our Message-ID at the top: relayed even with a copy attached. */
	m = msg("Subject: x\nMessage-ID: <%s@prober.test>\n"
	    "Content-Type: multipart/report; boundary=rr\n\n"
	    "--rr\nContent-Type: text/plain\n\nreport\n"
	    "--rr\nContent-Type: message/rfc822\n\nSubject: %s\n\nx\n"
	    "--rr--\n", TOK, TOK2);
	inspect("", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_attached(&in, TOK2);
	free(m);
}

/*
 * A DSN that copies our Subject into its own (as many do): its
 * Message-ID is its own, our message only attached or quoted: returned.
 */
static void
test_dsn_subject_copied(void **state)
{
	struct sink_inspection	 in;
	char			*m, *dsn;

	(void)state;
	dsn = msg(POSTFIX_DSN, TOK, TOK, TOK);
	m = msg("Subject: Undelivered: orbl relay test 13 %s\n%s", TOK,
	    strstr(dsn, "To:"));
	inspect("", m, &in);
	assert_bounce(&in,
	    "cookie only in the Subject and an attached message");
	assert_cookie(&in, TOK);	/* the Subject's */
	assert_attached(&in, TOK);
	assert_true(in.attached_cookie > in.cookie);
	free(m);
	free(dsn);

	/* The same with the message quoted (Sendmail's plain text). */
	m = msg("Subject: Returned mail: see transcript for details"
	    " (orbl relay test 13 %s)\n"
	    "Message-Id: <202901010000.x01@relay.example>\n\n"
	    "The original message was received at Mon, 1 Jan 2029\n"
	    "   ----- The following addresses had permanent fatal errors "
	    "-----\n<sink@sink.test>\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "550 5.7.1 <sink@sink.test>... Relaying denied\n\n"
	    "   ----- Original message follows -----\n\n"
	    "Return-Path: <probe@prober.test>\n"
	    "Subject: orbl relay test 13 %s\n"
	    "Message-ID: <%s@prober.test>\n\n"
	    "Cookie: %s\n", TOK, TOK, TOK, TOK);
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in the Subject and quoted text");
	assert_cookie(&in, TOK);
	assert_attached(&in, TOK);
	assert_ptr_equal(in.attached_cookie,
	    strstr(strstr(m, "follows -----"), TOK));
	free(m);

	/* The Subject only, nothing carried: ours, its Message-ID and body
	 * rewritten by the relay. */
	m = msg("Subject: orbl relay test 13 %s\n"
	    "Message-ID: <x@relay.example>\n\nrewritten\n", TOK);
	inspect("", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	free(m);
}

/* Forwards quote with '>' or after a separator: returned. */
static void
test_forward_quoted(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	m = msg("Subject: Fwd: orbl relay test 13 %s\n"
	    "Message-ID: <abc@mua.example>\n\n"
	    "What is this?\n\n"
	    "On Mon, 1 Jan 2029, orbl-probe@prober.test wrote:\n"
	    "> This message tests whether the mail server at 192.0.2.1\n"
	    ">\n"
	    "> Test: 13 (percent hack)\n"
	    "> Cookie: %s\n", TOK, TOK);
	inspect("someone@mua.example", m, &in);
	assert_bounce(&in, "cookie only in the Subject and quoted text");
	assert_attached(&in, TOK);
	assert_ptr_equal(in.attached_cookie, strstr(m, "> Cookie: ") + 10);
	free(m);

	/* No cookie in the Subject, indented quoting. */
	m = msg("Subject: look\n\n  > Cookie: %s\n", TOK);
	inspect("a@b", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	assert_null(in.cookie);
	free(m);

	/* Outlook: a separator, then a copy of the header fields. */
	m = msg("Subject: FW: test\n\nsee below\n\n"
	    "-----Original Message-----\nFrom: orbl-probe@prober.test\n"
	    "Sent: Monday\nSubject: orbl relay test 13 %s\n\n"
	    "Cookie: %s\n", TOK, TOK);
	inspect("a@b", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);

	/* Gmail, and Apple Mail's "Begin forwarded message:". */
	m = msg("Subject: x\n\n---------- Forwarded message ---------\n"
	    "Cookie: %s\n", TOK);
	inspect("a@b", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);
	m = msg("Subject: x\n\nBegin forwarded message:\n\nCookie: %s\n", TOK);
	inspect("a@b", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);

	/* qmail: "--- Below this line is a copy of the message." */
	m = msg("Subject: failure notice\n\nHi. This is the qmail-send "
	    "program at relay.example.\n\n<sink@sink.test>:\nSorry.\n\n"
	    "--- Below this line is a copy of the message.\n\n"
	    "Return-Path: <probe@prober.test>\n"
	    "Message-ID: <%s@prober.test>\n\nCookie: %s\n", TOK, TOK);
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);

	/* A copy of our headers with no separator before it. */
	m = msg("Subject: x\n\nYour mail could not be delivered:\n\n"
	    "Message-ID: <%s@prober.test>\nSubject: orbl relay test 13\n\n"
	    "Cookie: %s\n", TOK, TOK);
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);
}

/* Where exactly a cookie counts as ours at the top. */
static void
test_cookie_positions(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	/* A Message-ID that only embeds ours is not ours. */
	m = msg("Message-ID: <bounce-%s@relay.example>\n\nx\n", TOK);
	inspect("", m, &in);
	assert_null(in.cookie);
	assert_not_bounce(&in);
	free(m);
	m = msg("Message-ID: <%s.x@relay.example>\n\nx\n", TOK);
	inspect("", m, &in);
	assert_null(in.cookie);
	free(m);
	/* Folded, and in white space: still ours. */
	m = msg("Message-ID:\n  <%s@prober.test>\n\nx\n", TOK);
	inspect("", m, &in);
	assert_cookie(&in, TOK);
	assert_not_bounce(&in);
	free(m);

	/* A bounce's own words naming the cookie are not our body line. */
	m = msg("Subject: failed\n\nYour message <%s@prober.test> to "
	    "sink@sink.test was not delivered.\n", TOK);
	inspect("", m, &in);
	assert_null(in.cookie);
	assert_not_bounce(&in);
	free(m);
	/* Nor an indented "Cookie:" line, nor one with text before the
	 * token, nor a cookie glued to a word. */
	m = msg("Subject: x\n\n  Cookie: %s\nCookie: is %s\nCookie: %sz\n",
	    TOK, TOK, TOK);
	inspect("", m, &in);
	assert_null(in.cookie);
	assert_null(in.attached_cookie);
	free(m);

	/* A relay's footer after our body, even one that reads like a
	 * separator, or quoting, changes nothing. */
	m = msg("Subject: relayed\n\nCookie: %s\n\n"
	    "-- \n> Scanned; the original message was clean.\n"
	    "> %s\n", TOK, TOK2);
	inspect("", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_attached(&in, TOK2);
	free(m);

	/* A separator before our "Cookie:" line: it is quoted. */
	m = msg("Subject: x\n\n----- Original message -----\nCookie: %s\n",
	    TOK);
	inspect("", m, &in);
	assert_bounce(&in, "cookie only in quoted text");
	free(m);
}

static void
test_folded_subject(void **state)
{
	struct sink_inspection	 in;
	char			*m, *m2;

	(void)state;
	m = msg("From: a@b\nSubject: orbl relay test, a rather long subject"
	    " line that was folded\n\t%s\nTo: c@d\n\nno cookie here\n", TOK);
	inspect("a@b", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	assert_ptr_equal(in.cookie, strstr(m, TOK));
	m2 = crlf(m);
	inspect("a@b", m2, &in);
	assert_cookie(&in, TOK);
	free(m2);
	free(m);

	/* A cookie on a line after the Subject's that is not folded is
	 * a (broken) header, not the Subject. */
	m = msg("Subject: test\n%s\n\nno\n", TOK);
	inspect("a@b", m, &in);
	assert_null(in.cookie);
	free(m);
}

static void
test_received_bounded(void **state)
{
	struct sink_inspection	 in;
	char			*m, *p;
	size_t			 len, i, n;

	(void)state;
	len = 0;
	m = malloc(100 * 128 + 256);
	assert_non_null(m);
	for (i = 0; i < 100; i++)
		len += (size_t)sprintf(m + len, "Received: from h%zu.example "
		    "([192.0.2.%zu])\n\tby h%zu.example; "
		    "Mon, 1 Jan 2029 00:00:00 +0000\n", i + 1, i % 250,
		    i);
	len += (size_t)sprintf(m + len, "Subject: %s\n\nbody\n", TOK);
	memset(&in, 0x5a, sizeof(in));
	sink_inspect("a@b", m, len, &in);
	assert_cookie(&in, TOK);
	assert_int_equal(in.received_truncated, 1);
	n = strnlen(in.received, sizeof(in.received));
	assert_true(n < sizeof(in.received));
	assert_true(n > sizeof(in.received) - 100);
	/* Whole lines only, in order, starting with the first. */
	assert_int_equal(strncmp(in.received, "from h1.example ([192.0.2.0])"
	    " by h0.example; Mon, 1 Jan 2029 00:00:00 +0000\nfrom h2.", 80),
	    0);
	for (p = in.received, i = 0; (p = strchr(p, '\n')) != NULL; p++)
		i++;
	assert_true(i > 10 && i < 100);
	p = strrchr(in.received, '\n');
	assert_non_null(strstr(p, "+0000"));
	assert_string_equal(in.received + n - 5, "+0000");
	free(m);
}

static void
test_crlf_and_lf(void **state)
{
	struct sink_inspection	 a, b;
	char			*m, *m2;

	(void)state;
	m = msg(POSTFIX_DSN, TOK, TOK, TOK);
	m2 = crlf(m);
	inspect("x@y", m, &a);
	inspect("x@y", m2, &b);
	assert_int_equal(a.bounce, b.bounce);
	assert_string_equal(a.bounce_why, b.bounce_why);
	assert_memory_equal(b.attached_cookie, TOK, strlen(TOK));
	assert_string_equal(a.received, b.received);
	free(m);
	free(m2);

	/* Body-only cookie, multipart with CRLF, mixed line ends. */
	m = msg("Subject: x\r\nContent-Type: multipart/alternative;\r\n"
	    " boundary=\"=_b\"\r\n\r\n"
	    "--=_b\r\nContent-Type: text/plain\r\n\r\nCookie: %s\r\n"
	    "--=_b\nContent-Type: text/html\n\n<p>x</p>\n--=_b--\r\n", TOK);
	inspect("x@y", m, &a);
	assert_not_bounce(&a);
	assert_cookie(&a, TOK);
	free(m);
}

static void
test_mime_first_text_part(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	/* multipart/mixed > multipart/alternative > text/plain. */
	m = msg("Subject: x\nContent-Type: multipart/mixed; boundary=out\n\n"
	    "preamble %s\n"
	    "--out\nContent-Type: multipart/alternative; boundary=in\n\n"
	    "--in\nContent-Type: text/plain\n\nhello\nCookie: %s\n"
	    "--in\nContent-Type: text/html\n\nhtml\n--in--\n"
	    "--out\nContent-Type: application/pdf\n\n%s\n--out--\n"
	    "epilogue\n", TOK2, TOK, TOK2);
	inspect("a@b", m, &in);
	assert_not_bounce(&in);
	assert_cookie(&in, TOK);
	free(m);

	/* Only the first text part counts; preamble and others do not. */
	m = msg("Content-Type: multipart/mixed; boundary=out\n\n"
	    "preamble\nCookie: %s\n"
	    "--out\nContent-Type: text/plain\n\nno cookie\n"
	    "--out\nContent-Type: text/plain\n\nCookie: %s\n--out--\n",
	    TOK, TOK);
	inspect("a@b", m, &in);
	assert_null(in.cookie);
	assert_not_bounce(&in);
	free(m);

	/* A multipart with no boundary: nothing inside is looked at. */
	m = msg("Content-Type: multipart/mixed\n\nCookie: %s\n", TOK);
	inspect("a@b", m, &in);
	assert_null(in.cookie);
	free(m);
}

static void
test_mime_depth_limit(void **state)
{
	struct sink_inspection	 in;
	char			*m, *p;
	size_t			 len = 0, i, n;

	(void)state;
	/* 20 nested multiparts, the cookie at the bottom: not reached. */
	m = malloc(64 * 1024);
	assert_non_null(m);
	len += (size_t)sprintf(m, "Subject: deep\n");
	for (i = 0; i < 20; i++)
		len += (size_t)sprintf(m + len, "Content-Type: multipart/mixed;"
		    " boundary=b%zu\n\n--b%zu\n", i, i);
	len += (size_t)sprintf(m + len, "Content-Type: text/plain\n\n"
	    "Cookie: %s\n", TOK);
	for (i = 20; i-- > 0;)
		len += (size_t)sprintf(m + len, "--b%zu--\n", i);
	inspect("a@b", m, &in);
	assert_null(in.cookie);
	free(m);

	/* Two levels (top > mixed > text) are reached. */
	m = msg("Content-Type: multipart/mixed; boundary=b0\n\n--b0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n--b1\n"
	    "Content-Type: text/plain\n\nCookie: %s\n--b1--\n--b0--\n", TOK);
	inspect("a@b", m, &in);
	assert_cookie(&in, TOK);
	free(m);

	/* Thousands of parts: at most 64 looked at, the rest skipped (with
	 * 10 parts the attachment after them is seen). */
	m = malloc(200 * 1024);
	assert_non_null(m);
	for (n = 10; n <= 5000; n += 4990) {
		p = m + sprintf(m, "Content-Type: multipart/mixed; "
		    "boundary=z\n\n");
		for (i = 0; i < n; i++)
			p += sprintf(p, "--z\nContent-Type: image/png\n\nx\n");
		sprintf(p, "--z\nContent-Type: message/rfc822\n\n%s\n--z--\n",
		    TOK);
		inspect("a@b", m, &in);
		if (n == 10) {
			assert_non_null(in.attached_cookie);
			assert_bounce(&in,
			    "cookie only in an attached message");
		} else {
			assert_null(in.attached_cookie);
			assert_not_bounce(&in);
		}
	}
	free(m);
}

static void
test_odd_shapes(void **state)
{
	struct sink_inspection	 in;
	char			*m;

	(void)state;
	memset(&in, 0x5a, sizeof(in));
	sink_inspect("a@b", NULL, 0, &in);
	assert_not_bounce(&in);
	assert_null(in.cookie);
	assert_string_equal(in.received, "");
	inspect("a@b", "", &in);
	assert_null(in.cookie);
	/* Headers only, no body, no final newline. */
	m = msg("Subject: %s", TOK);
	inspect("a@b", m, &in);
	assert_cookie(&in, TOK);
	free(m);
	/* No headers at all: the whole thing is a body. */
	m = msg("\nCookie: %s\n", TOK);
	inspect("a@b", m, &in);
	assert_cookie(&in, TOK);
	free(m);
	/* The cookie at the very end of the data. */
	m = msg("Subject: x\n\nCookie:%s", TOK);
	inspect("a@b", m, &in);
	assert_cookie(&in, TOK);
	free(m);
	/* NULs in the data do not stop the search. */
	{
		char	 buf[256];
		size_t	 n;

		n = (size_t)snprintf(buf, sizeof(buf), "Subject: a\n\nx");
		buf[n++] = '\0';
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "\nCookie: %s\n", TOK);
		memset(&in, 0, sizeof(in));
		sink_inspect("a@b", buf, n, &in);
		assert_cookie(&in, TOK);
	}
}

/*
 * Inspect the first n bytes of m: the work it reports proves it linear,
 * counted rather than timed.  Every input below is read whole (no cookie
 * to stop at, a text or multipart body), so the work is at least n -- a
 * counter that counted nothing would not pass -- and it is never more
 * than SINK_INSPECT_WORK_MAX(n), 64 per byte: quadratic work would be
 * thousands per byte on a megabyte.
 */
static uint64_t
inspect_counted(const char *m, size_t n, struct sink_inspection *in)
{
	memset(in, 0x5a, sizeof(*in));
	sink_inspect("a@b", m, n, in);
	assert_true(in->work >= n);
	if (!(in->work <= SINK_INSPECT_WORK_MAX(n)))
		fail_msg("%zu bytes: %llu examined, more than %llu: not linear",
		    n, (unsigned long long)in->work,
		    (unsigned long long)SINK_INSPECT_WORK_MAX(n));
	return in->work;
}

/*
 * n bytes of one of the shapes of test_junk_megabyte: 0..3 junk (1..3
 * shaped to hit parsers), 4 the most costly message there is: text parts
 * two levels down, every line a near miss of every separator and header
 * the walk looks for.  The same bytes for the same shape, whatever n.
 */
static void
junk_fill(char *m, size_t n, int shape)
{
	static const char	 mp_report[] = "Content-Type: "
	    "multipart/report; boundary=\"\x01\"\n\n";
	static const char	 costly_hdr[] =
	    "Content-Type: multipart/mixed; boundary=\"a\"\n\n"
	    "--a\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "--b\n\n";
	static const char	 costly_end[] = "\n--b--\n--a--\n";
	static const char	 costly_line[] =
	    "Cookie: Subjec Message-I Return-Pat Receive orbl1-1-2-3-0f "
	    "original messag forwarded messag copy of th copy of you "
	    "returned messag unsent messag undelivered messag "
	    "message follow below this lin\n";
	uint32_t		 x = 12345;
	size_t			 i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		m[i] = (char)(x >> 16);
		if (shape == 1 && i % 7 == 0)
			m[i] = '\n';
		if (shape == 2 && i % 50 < 3)
			m[i] = "\n\t "[i % 50];
		if (shape == 3)
			m[i] = "-\n"[i % 37 == 0];
		if (shape == 4)
			m[i] = costly_line[i % (sizeof(costly_line) - 1)];
	}
	if (shape == 1)
		memcpy(m, mp_report, sizeof(mp_report) - 1);
	if (shape == 4) {
		memcpy(m, costly_hdr, sizeof(costly_hdr) - 1);
		/* The parts end, so that the walk goes into them. */
		memcpy(m + n - (sizeof(costly_end) - 1), costly_end,
		    sizeof(costly_end) - 1);
	}
}

/*
 * A megabyte of junk, and of the most costly shape, is linear work:
 * within the bound, and the megabyte costs about 16 times what 64 KB of
 * the same shape do (exactly its first 64 KB, but for shape 4's end), not
 * 256 times.
 */
static void
test_junk_megabyte(void **state)
{
	struct sink_inspection	 in;
	char			*m;
	size_t			 len = 1024 * 1024;
	uint64_t		 big, small;
	int			 shape;

	(void)state;
	m = malloc(len);
	assert_non_null(m);
	for (shape = 0; shape < 5; shape++) {
		junk_fill(m, len / 16, shape);
		small = inspect_counted(m, len / 16, &in);
		junk_fill(m, len, shape);
		big = inspect_counted(m, len, &in);
		if (!(big <= 20 * small))
			fail_msg("shape %d: 1 MB cost %llu, 64 KB %llu: not "
			    "linear", shape, (unsigned long long)big,
			    (unsigned long long)small);
		assert_true(strnlen(in.received, sizeof(in.received)) <
		    sizeof(in.received));
		assert_true(in.bounce == 0 || in.bounce == 1);
		if (shape == 4) {
			/* The costly walk happened: every line of the
			 * nested text part was looked at for separators. */
			assert_true(big >= 8 * (uint64_t)len);
			assert_null(in.cookie);
			assert_null(in.attached_cookie);
		}
	}
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_as_sent),
		cmocka_unit_test(test_plain_all_three),
		cmocka_unit_test(test_order_subject_msgid_body),
		cmocka_unit_test(test_cookie_only_in_body),
		cmocka_unit_test(test_no_cookie),
		cmocka_unit_test(test_null_sender),
		cmocka_unit_test(test_postfix_dsn),
		cmocka_unit_test(test_cookie_only_attached),
		cmocka_unit_test(test_exim_bounce),
		cmocka_unit_test(test_auto_submitted),
		cmocka_unit_test(test_report_type_ours_at_top),
		cmocka_unit_test(test_dsn_subject_copied),
		cmocka_unit_test(test_forward_quoted),
		cmocka_unit_test(test_cookie_positions),
		cmocka_unit_test(test_folded_subject),
		cmocka_unit_test(test_received_bounded),
		cmocka_unit_test(test_crlf_and_lf),
		cmocka_unit_test(test_mime_first_text_part),
		cmocka_unit_test(test_mime_depth_limit),
		cmocka_unit_test(test_odd_shapes),
		cmocka_unit_test(test_junk_megabyte),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
