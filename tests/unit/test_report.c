/*
 * test_report.c -- unit tests for probe/report.c: one Received field in
 * the shapes real servers write (Postfix, Sendmail, Exim, qmail,
 * Exchange / Microsoft 365, Gmail, Courier; IPv4, IPv6 literals with and
 * without "IPv6:", IPv4-mapped, "(may be forged)", "from unknown", a HELO
 * literal that is not the address); the sample found in a report
 * (message/rfc822 attachment, pasted headers, wrapped pasted headers,
 * an encoded attachment, nothing); the walk (the connecting address,
 * trusted networks, the reporter's consecutive hops, hops without an
 * address); the bounds (hops walked, fields, long values, MIME depth);
 * and the hourly counters.
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
#include "report.h"

struct shape {
	const char	*what, *value, *addr, *by, *name;
};

static const struct shape shapes[] = {
	{ "Postfix",
	  "from mail.example.com (mail.example.com [192.0.2.7])\r\n"
	  "\tby mx.example.net (Postfix) with ESMTP id 4F1A2B3C4D\r\n"
	  "\tfor <user@example.net>; Mon, 6 Jan 2025 10:00:00 +0100 (CET)",
	  "192.0.2.7", "mx.example.net", "mail.example.com" },
	{ "Postfix, a literal HELO and no reverse name",
	  "from [10.0.0.1] (unknown [192.0.2.8])\n"
	  "\tby mx.example.net (Postfix) with ESMTP id 4F1A; Mon, 6 Jan 2025",
	  "192.0.2.8", "mx.example.net", NULL },
	{ "Postfix, from unknown",
	  "from unknown (unknown [203.0.113.77]) by mx.example.net "
	  "(Postfix) with SMTP id 4F1B; Mon, 6 Jan 2025",
	  "203.0.113.77", "mx.example.net", NULL },
	{ "Postfix, IPv6",
	  "from mail6.example.com (mail6.example.com [IPv6:2001:db8::25])\n"
	  " by mx.example.net (Postfix) with ESMTPS id 4F1C",
	  "2001:db8::25", "mx.example.net", "mail6.example.com" },
	{ "Sendmail, may be forged",
	  "from relay.example.org (relay.example.org [198.51.100.23]) "
	  "(may be forged)\n\tby mail.example.net (8.15.2/8.15.2) with ESMTP "
	  "id 0A1B2C3D; Tue, 7 Jan 2025 08:00:00 GMT",
	  "198.51.100.23", "mail.example.net", "relay.example.org" },
	{ "Sendmail, ident",
	  "from host.example.org (root@host.example.org [198.51.100.24]) by "
	  "mail.example.net (8.15.2/8.15.2) with SMTP id 0A1B",
	  "198.51.100.24", "mail.example.net", "host.example.org" },
	{ "Sendmail, IPv6",
	  "from v6.example.org (v6.example.org [IPv6:2001:db8:1::5]) by "
	  "mail.example.net (8.17.1/8.17.1) with ESMTP id 0A1C",
	  "2001:db8:1::5", "mail.example.net", NULL },
	{ "Exim",
	  "from mail.example.org ([198.51.100.30]:51234 helo=mail.example.org)"
	  "\n\tby mx.example.net with esmtps  (TLS1.3) tls "
	  "TLS_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from "
	  "<a@example.org>)\n\tid 1abcDE-000123-4F\n\tfor b@example.net; "
	  "Mon, 06 Jan 2025 10:00:00 +0000",
	  "198.51.100.30", "mx.example.net", "mail.example.org" },
	{ "Exim, no reverse name, a literal HELO",
	  "from [198.51.100.31] (port=40000 helo=[10.1.1.1])\n\tby "
	  "mx.example.net with esmtp (Exim 4.94.2) id 1abcDF-0001",
	  "198.51.100.31", "mx.example.net", NULL },
	{ "Exim, a literal HELO after the address",
	  "from host.example.org ([198.51.100.32] helo=[10.2.2.2]) by "
	  "mx.example.net with esmtp (Exim 4.96) id 1abcDG-0002",
	  "198.51.100.32", "mx.example.net", "host.example.org" },
	{ "Exim, IPv6",
	  "from [2001:db8::33] (helo=foo.example) by mx.example.net with "
	  "esmtp (Exim 4.96) id 1abcDH-0003",
	  "2001:db8::33", "mx.example.net", "foo.example" },
	{ "qmail",
	  "from unknown (HELO mail.example.org) (198.51.100.40)\n  by "
	  "mx.example.net with SMTP; 6 Jan 2025 09:00:00 -0000",
	  "198.51.100.40", "mx.example.net", "mail.example.org" },
	{ "qmail, a literal HELO",
	  "from unknown (HELO [10.3.3.3]) ([198.51.100.41])\n  by "
	  "mx.example.net with SMTP; 6 Jan 2025 09:00:00 -0000",
	  "198.51.100.41", "mx.example.net", NULL },
	{ "Exchange",
	  "from EXCH01.corp.example.com (10.20.30.40) by "
	  "EXCH02.corp.example.com\r\n (10.20.30.41) with Microsoft SMTP "
	  "Server (version=TLS1_2,\r\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_"
	  "SHA384) id 15.1.2507.6; Mon, 6\r\n Jan 2025 10:00:00 +0100",
	  "10.20.30.40", "exch02.corp.example.com", "exch01.corp.example.com" },
	{ "Exchange Online, IPv6",
	  "from AM6PR04MB1234.eurprd04.prod.outlook.com (2603:10a6:20b:ae::21)"
	  " by AM6PR04MB5678.eurprd04.prod.outlook.com (2603:10a6:20b:ae::22) "
	  "with Microsoft SMTP Server (version=TLS1_2) id 15.20.8314.15",
	  "2603:10a6:20b:ae::21", "am6pr04mb5678.eurprd04.prod.outlook.com",
	  NULL },
	{ "Microsoft 365 outbound",
	  "from mail-bn8nam12on2091.outbound.protection.outlook.com "
	  "(mail-bn8nam12on2091.outbound.protection.outlook.com "
	  "[40.107.237.91]) by mx.example.net (Postfix) with ESMTPS id 4F1D",
	  "40.107.237.91", "mx.example.net", NULL },
	{ "Gmail",
	  "from mail-sor-f41.google.com (mail-sor-f41.google.com. "
	  "[209.85.220.41])\n        by mx.google.com with SMTPS id "
	  "a640c23a62f3a-aa1b2c3d4e5sor123456.66.2025.01.06.01.00.00\n"
	  "        for <x@gmail.com>\n        (Google Transport Security);\n"
	  "        Mon, 06 Jan 2025 01:00:00 -0800 (PST)",
	  "209.85.220.41", "mx.google.com", "mail-sor-f41.google.com" },
	{ "Courier",
	  "from host.example.org (host.example.org [198.51.100.50]) (AUTH: "
	  "LOGIN user) by mail.example.net with ESMTPSA; Mon, 06 Jan 2025",
	  "198.51.100.50", "mail.example.net", NULL },
	{ "IPv4-mapped",
	  "from x.example (x.example [::ffff:198.51.100.60]) by mx.example",
	  "198.51.100.60", "mx.example", NULL },
	{ "a bare literal after the name",
	  "from x.example [198.51.100.61] by mx.example with SMTP",
	  "198.51.100.61", "mx.example", NULL },
	{ "a comment left open",
	  "from x.example (unknown [198.51.100.70] by mx.example",
	  "198.51.100.70", "", NULL },
	{ "Gmail internal: no from",
	  "by 2002:a05:6a10:8a0b:b0:5a1:b2c3:d4e5 with SMTP id n11csp123;"
	  " Mon, 06 Jan 2025 01:00:01 -0800 (PST)",
	  NULL, "2002:a05:6a10:8a0b:b0:5a1:b2c3:d4e5", NULL },
	{ "Sendmail local submission",
	  "(from root@localhost) by mail.example.net (8.15.2/8.15.2/Submit) "
	  "id 0A1; Mon, 6 Jan 2025", NULL, "mail.example.net", NULL },
	{ "qmail local",
	  "(qmail 12345 invoked by uid 89); 6 Jan 2025 09:00:00 -0000",
	  NULL, "", NULL },
	{ "LMTP, a name only",
	  "from mx.example.net by mbox.example.net with LMTP id abc; Mon",
	  NULL, "mbox.example.net", "mx.example.net" },
	{ "not an address",
	  "from x ([999.1.1.1]) by y", NULL, "y", NULL },
	{ "a prefix is not an address",
	  "from x ([192.0.2.0/24]) by y", NULL, "y", NULL },
	{ "a HELO literal only",
	  "from x (HELO [192.0.2.9]) by y", NULL, "y", NULL },
	{ "from inside the date part",
	  "by y; from x ([192.0.2.10])", NULL, "y", NULL },
};

static void
test_shapes(void **state)
{
	struct report_hop	 h;
	size_t			 i;
	int			 j, rc, named;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		rc = report_hop_parse(s->value, strlen(s->value), &h);
		print_message("%s: rc %d addr \"%s\" by \"%s\"\n", s->what,
		    rc, h.addr, h.by);
		assert_int_equal(rc, s->addr != NULL ? 0 : -1);
		assert_string_equal(h.addr, s->addr != NULL ? s->addr : "");
		assert_string_equal(h.by, s->by);
		if (s->name == NULL)
			continue;
		for (j = 0, named = 0; j < h.nnames; j++)
			named |= strcmp(h.names[j], s->name) == 0;
		assert_true(named);
	}
}

/* A HELO literal, "unknown", never a name; names lower case, no dot. */
static void
test_hop_names(void **state)
{
	struct report_hop	 h;
	const char		*v = "from [10.0.0.1] (Unknown [192.0.2.8]) by "
	    "MX.Example.NET. (Postfix)";

	(void)state;
	assert_int_equal(report_hop_parse(v, strlen(v), &h), 0);
	assert_int_equal(h.nnames, 0);
	assert_string_equal(h.by, "mx.example.net");
	assert_int_equal(report_hop_parse(NULL, 0, &h), -1);
	assert_int_equal(report_hop_parse("", 0, &h), -1);
}

/* ------------------------------------------------------------------ */

static const char *const CHAIN =
    "Received: from filter.reporter.example (localhost [127.0.0.1])\n"
    "\tby mx.reporter.example (Postfix) with ESMTP id AAA1\n"
    "Received: from mx.reporter.example (mx.reporter.example "
    "[198.51.100.5])\n\tby filter.reporter.example (amavis) with ESMTP "
    "id AAA2\n"
    "Received: from relay.bad.example (relay.bad.example [192.0.2.99])\n"
    "\tby mx.reporter.example (Postfix) with ESMTP id AAA3\n"
    "Received: from [10.9.9.9] (forged [203.0.113.1]) by "
    "relay.bad.example\n"
    "From: <spammer@bad.example>\n"
    "Subject: cheap pills\n";

static char	 buf[262144];

static const char *
attached(const char *sample, const char *cte)
{
	snprintf(buf, sizeof(buf),
	    "From: <reporter@reporter.example>\r\n"
	    "To: <report@sink.test>\r\n"
	    "Subject: Fwd: cheap pills\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "Received: from text.part.example ([192.0.2.200]) by x\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "%s%s%s"
	    "\r\n"
	    "%s\r\n"
	    "body of the spam\r\n"
	    "--b1--\r\n", cte ? "Content-Transfer-Encoding: " : "",
	    cte ? cte : "", cte ? "\r\n" : "", sample);
	return buf;
}

static void
parse(const char *msg, const char *peer, const char *trust,
    struct report *r)
{
	struct addr		 nets[2];
	struct report_trust	 t;
	char			 err[128];
	int			 n = 0;

	assert_int_equal(addr_parse("127.0.0.1", &nets[n++], err,
	    sizeof(err)), 0);
	if (trust != NULL)
		assert_int_equal(addr_parse(trust, &nets[n++], err,
		    sizeof(err)), 0);
	t.peer = peer;
	t.nets = nets;
	t.nnets = n;
	report_parse(msg, strlen(msg), &t, r);
}

/* Loopback trusted, the MX named by the hop above: the relay. */
static void
test_attached(void **state)
{
	struct report	 r;

	(void)state;
	parse(attached(CHAIN, NULL), "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_int_equal(r.where, REPORT_ATTACHED);
	assert_string_equal(r.addr, "192.0.2.99");
	assert_string_equal(r.by, "mx.reporter.example");
	assert_int_equal(r.hop, 3);
	assert_int_equal(r.trusted, 2);
	assert_int_equal(r.nhops, 3);
}

/* Without the loopback hop, the MX is no writer's: it is the candidate,
 * unless it is the connecting address or in report_trust. */
static void
test_trust(void **state)
{
	struct report	 r;
	const char	*chain = strchr(CHAIN, '\n') + 1;

	(void)state;
	chain = strstr(chain, "Received: from mx.");
	parse(attached(chain, NULL), "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_string_equal(r.addr, "198.51.100.5");
	parse(attached(chain, NULL), "198.51.100.5", NULL, &r);
	assert_string_equal(r.addr, "192.0.2.99");
	assert_int_equal(r.trusted, 1);
	parse(attached(chain, NULL), "198.51.100.200", "198.51.100.0/24", &r);
	assert_string_equal(r.addr, "192.0.2.99");
	/* Everything trusted. */
	parse(attached(chain, NULL), "192.0.2.99", "198.51.100.0/24", &r);
	assert_string_equal(r.addr, "203.0.113.1");
	parse(attached(chain, NULL), "192.0.2.99", "0.0.0.0/0", &r);
	assert_int_equal(r.status, REPORT_ALL_TRUSTED);
	assert_string_equal(r.addr, "");
	assert_int_equal(r.nhops, 3);
}

static void
test_inline(void **state)
{
	struct report	 r;

	(void)state;
	snprintf(buf, sizeof(buf), "From: <reporter@reporter.example>\n"
	    "Subject: spam\n\nHello, here is one:\n\n"
	    "Return-Path: <spammer@bad.example>\n"
	    "Delivered-To: me@reporter.example\n%s\nthe spam's body\n",
	    CHAIN);
	parse(buf, "198.51.100.5", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_int_equal(r.where, REPORT_INLINE);
	assert_string_equal(r.addr, "192.0.2.99");

	/* Wrapped by a mail program: a line ending in a space goes on. */
	snprintf(buf, sizeof(buf), "Subject: spam\n\n"
	    "Received: from mx.reporter.example (mx.reporter.example \n"
	    "[198.51.100.5]) by mbox.reporter.example with LMTP\n"
	    "Received: from relay.bad.example (relay.bad.example \n"
	    "[192.0.2.98]) by mx.reporter.example with ESMTP\n"
	    "Subject: x\n\n");
	parse(buf, "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_string_equal(r.addr, "198.51.100.5");
	parse(buf, "198.51.100.5", NULL, &r);
	assert_string_equal(r.addr, "192.0.2.98");

	/* The block ends at a line that is no field: what follows is not
	 * read. */
	snprintf(buf, sizeof(buf), "Subject: spam\n\n"
	    "Received: by mbox.reporter.example with LMTP\n"
	    "this is text\n"
	    "Received: from a (a [192.0.2.97]) by b\n");
	parse(buf, "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_ALL_TRUSTED);
	assert_int_equal(r.nhops, 1);
	assert_int_equal(r.noaddr, 1);
}

/* An attachment wins over pasted text; a quoted or indented line is no
 * pasted header. */
static void
test_attached_first(void **state)
{
	struct report	 r;

	(void)state;
	parse(attached("Subject: no chain\r\n", NULL), "198.51.100.5", NULL,
	    &r);
	assert_int_equal(r.where, REPORT_ATTACHED);
	assert_int_equal(r.status, REPORT_NO_RECEIVED);
	parse("Subject: x\n\n> Received: from a (a [192.0.2.1]) by b\n"
	    " Received: from a (a [192.0.2.1]) by b\n", "198.51.100.5", NULL,
	    &r);
	assert_int_equal(r.status, REPORT_NO_SAMPLE);
	assert_int_equal(r.where, REPORT_NONE);
}

static void
test_no_sample(void **state)
{
	struct report	 r;

	(void)state;
	parse("", "198.51.100.5", NULL, &r);
	assert_int_equal(r.status, REPORT_NO_SAMPLE);
	parse("Received: from a (a [192.0.2.1]) by b\nSubject: x\n\nhello\n",
	    "198.51.100.5", NULL, &r);
	assert_int_equal(r.status, REPORT_NO_SAMPLE);	/* the report's own */
	/* An encoded attachment is not read: the pasted text is, if any. */
	parse(attached(CHAIN, "base64"), "198.51.100.5", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_int_equal(r.where, REPORT_INLINE);
	assert_string_equal(r.addr, "192.0.2.200");
	parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: message/rfc822\nContent-Transfer-Encoding: "
	    "Base64\n\nUmVjZWl2ZWQ6IGZyb20gYQ==\n--b--\n", "198.51.100.5",
	    NULL, &r);
	assert_int_equal(r.status, REPORT_ENCODED);
	parse(attached(CHAIN, "7bit"), "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	report_parse(NULL, 5, NULL, &r);
	assert_int_equal(r.status, REPORT_NO_SAMPLE);
	assert_non_null(strstr(report_status_text(REPORT_NO_RECEIVED),
	    "no Received chain"));
	assert_non_null(strstr(report_status_text(REPORT_ALL_TRUSTED),
	    "only trusted hops"));
}

/* A multipart/digest part without a type is a message; a nested
 * multipart is walked; a cut message's last part is read. */
static void
test_mime_shapes(void **state)
{
	struct report	 r;

	(void)state;
	snprintf(buf, sizeof(buf), "Content-Type: multipart/mixed; "
	    "boundary=outer\n\n--outer\nContent-Type: multipart/digest; "
	    "boundary=\"in\"\n\n--in\n\n%s\n--in--\n--outer--\n", CHAIN);
	parse(buf, "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_string_equal(r.addr, "192.0.2.99");
	snprintf(buf, sizeof(buf), "Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\nContent-Type: message/rfc822\n\n%s", CHAIN);
	parse(buf, "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_FOUND);
	assert_string_equal(r.addr, "192.0.2.99");
}

/* Bounds: hops walked, header fields, a long value, deep nesting. */
static void
test_bounds(void **state)
{
	struct report	 r;
	size_t		 n = 0;
	int		 i;

	(void)state;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "Subject: x\n\n");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "Received: from h%d (h%d [198.51.100.%d]) by x\n", i, i,
		    i % 250);
	parse(buf, "198.51.100.5", "198.51.100.0/24", &r);
	assert_int_equal(r.status, REPORT_ALL_TRUSTED);
	assert_int_equal(r.nhops, REPORT_HOPS_MAX);

	/* 600 other fields first: the Received ones are past the bound. */
	n = (size_t)snprintf(buf, sizeof(buf), "Subject: x\n\nReceived: by a"
	    "\n");
	for (i = 0; i < 600; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\n",
		    i);
	snprintf(buf + n, sizeof(buf) - n,
	    "Received: from h (h [192.0.2.1]) by x\n");
	parse(buf, "198.51.100.5", NULL, &r);
	assert_int_equal(r.status, REPORT_ALL_TRUSTED);

	/* A value longer than REPORT_FIELD_MAX: the address past it is not
	 * seen. */
	n = (size_t)snprintf(buf, sizeof(buf), "Subject: x\n\n"
	    "Received: from h (");
	for (i = 0; i < REPORT_FIELD_MAX; i++)
		buf[n++] = 'a';
	snprintf(buf + n, sizeof(buf) - n, " [192.0.2.1]) by x\n");
	parse(buf, "198.51.100.5", NULL, &r);
	assert_int_equal(r.status, REPORT_ALL_TRUSTED);

	/* Nesting past 3 levels is not walked. */
	snprintf(buf, sizeof(buf), "Content-Type: multipart/mixed; "
	    "boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n"
	    "Content-Type: message/rfc822\n\n%s\n--c--\n--b--\n--a--\n",
	    CHAIN);
	parse(buf, "198.51.100.200", NULL, &r);
	assert_int_equal(r.status, REPORT_NO_SAMPLE);
}

/* Bytes that are no text: NULs, lone CRs, 8-bit. */
static void
test_hostile(void **state)
{
	struct report	 r;
	char		 m[] = "Subject: x\n\nReceived: from a\0b (a [192.0.2."
	    "5]) by \xff\r\r\n\tx\n";

	(void)state;
	{
		struct report_trust t = { NULL, NULL, 0 };

		report_parse(m, sizeof(m) - 1, &t, &r);
	}
	assert_int_equal(r.status, REPORT_FOUND);
	assert_string_equal(r.addr, "192.0.2.5");
	assert_string_equal(r.by, "?");
}

static void
test_limit(void **state)
{
	struct report_limit_entry	 e[3];
	struct report_limit		 l;

	(void)state;
	memset(e, 0, sizeof(e));
	report_limit_init(&l, e, 3);
	assert_int_equal(report_limit_count(&l, "s:a", 1000), 0);
	report_limit_add(&l, "s:a", 1000);
	report_limit_add(&l, "s:a", 1001);
	assert_int_equal(report_limit_count(&l, "s:a", 1002), 2);
	assert_int_equal(report_limit_count(&l, "s:b", 1002), 0);
	/* The window is an hour from the first event. */
	assert_int_equal(report_limit_count(&l, "s:a", 1000 + 3599), 2);
	assert_int_equal(report_limit_count(&l, "s:a", 1000 + 3600), 0);
	report_limit_add(&l, "s:a", 1000 + 3600);
	assert_int_equal(report_limit_count(&l, "s:a", 1000 + 3600), 1);
	/* Full: the oldest window goes. */
	report_limit_add(&l, "p:1", 2000);
	report_limit_add(&l, "p:2", 3000);
	report_limit_add(&l, "p:3", 4700);
	assert_int_equal(l.used, 3);
	assert_int_equal(report_limit_count(&l, "p:1", 4700), 0);
	assert_int_equal(report_limit_count(&l, "p:2", 4700), 1);
	assert_int_equal(report_limit_count(&l, "p:3", 4700), 1);
	assert_int_equal(report_limit_count(&l, "s:a", 4700), 1);
	/* No room at all: nothing is counted, nothing breaks. */
	report_limit_init(&l, e, 0);
	report_limit_add(&l, "s:a", 1);
	assert_int_equal(report_limit_count(&l, "s:a", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_hop_names),
		cmocka_unit_test(test_attached),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_attached_first),
		cmocka_unit_test(test_no_sample),
		cmocka_unit_test(test_mime_shapes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
