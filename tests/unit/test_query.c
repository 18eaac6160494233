/*
 * test_query.c -- unit tests for dnsd/query.c (the query parser).
 * Packets are built by hand so every byte is under the test's control.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "query.h"
#include "pktfix.h"

static void
header(struct pkt *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
    uint16_t ns, uint16_t ar)
{
	p->len = 0;
	put16(p, id);
	put16(p, flags);
	put16(p, qd);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
}

/* OPT RR: size, version, DO, rdata (options) of rdlen bytes. */
static void
opt(struct pkt *p, uint16_t size, uint8_t version, int dobit,
    const uint8_t *rdata, uint16_t rdlen)
{
	put8(p, 0);
	put16(p, 41);
	put16(p, size);
	pkt_put32(p, (uint32_t)version << 16 | (dobit ? 0x8000 : 0));
	put16(p, rdlen);
	if (rdlen > 0)
		memcpy(p->b + p->len, rdata, rdlen);
	p->len += rdlen;
}

static void
simple(struct pkt *p, const char *name, uint16_t qtype)
{
	header(p, 0x1234, 0x0100, 1, 0, 0, 0);
	putname(p, name);
	put16(p, qtype);
	put16(p, 1);
}

static void
test_valid(void **state)
{
	struct pkt	 p;
	struct query	 q;

	(void)state;
	simple(&p, "2.0.0.127.Bl.TEST", 16);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, 0x0100);
	assert_int_equal(q.opcode, 0);
	assert_int_equal(q.qtype, 16);
	assert_int_equal(q.qclass, 1);
	assert_true(q.has_question);
	assert_int_equal(q.qend, p.len);
	assert_int_equal(q.namelen, 19);
	assert_memory_equal(q.name, "\0012\0010\0010\003127\002bl\004test\0", 19);
	assert_int_equal(q.nlabels, 6);
	assert_int_equal(q.label[0], 0);
	assert_int_equal(q.label[3], 6);
	assert_int_equal(q.label[4], 10);
	assert_int_equal(q.label[5], 13);
	assert_false(q.edns);
}

static void
test_drop(void **state)
{
	struct pkt	 p;
	struct query	 q;

	(void)state;
	simple(&p, "bl.test", 6);
	assert_int_equal(query_parse(p.b, 5, &q), QUERY_DROP);
	assert_int_equal(query_parse(p.b, 11, &q), QUERY_DROP);
	assert_int_equal(query_parse(p.b, 0, &q), QUERY_DROP);
	p.b[2] |= 0x80;		/* QR: a response */
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_DROP);
}

static void
test_notimp(void **state)
{
	struct pkt	 p;
	struct query	 q;

	(void)state;
	simple(&p, "Bl.test", 6);
	p.b[2] = (uint8_t)(4 << 3);		/* NOTIFY */
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_NOTIMP);
	assert_int_equal(q.opcode, 4);
	assert_true(q.has_question);
	assert_int_equal(q.qend, p.len);
	assert_memory_equal(q.name, "\002bl\004test\0", 9);

	p.b[2] = (uint8_t)(2 << 3) | 1;		/* STATUS, RD */
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_NOTIMP);
	assert_int_equal(q.opcode, 2);
	assert_true(q.has_question);

	/* no question: still NOTIMP, nothing to echo */
	header(&p, 1, 5 << 11, 0, 0, 0, 0);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_NOTIMP);
	assert_false(q.has_question);
}

static void
test_qdcount(void **state)
{
	struct pkt	 p;
	struct query	 q;

	(void)state;
	header(&p, 1, 0, 0, 0, 0, 0);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_false(q.has_question);

	simple(&p, "bl.test", 1);
	p.b[5] = 2;
	putname(&p, "bl.test");
	put16(&p, 1);
	put16(&p, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_false(q.has_question);
}

static void
test_pointer_in_question(void **state)
{
	struct pkt	 p;
	struct query	 q;

	(void)state;
	header(&p, 1, 0, 1, 0, 0, 0);
	put8(&p, 1);
	put8(&p, 'x');
	put16(&p, 0xc00c);		/* pointer: not allowed here */
	put16(&p, 1);
	put16(&p, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_false(q.has_question);

	/* a pointer to itself (a loop) */
	header(&p, 1, 0, 1, 0, 0, 0);
	put16(&p, 0xc00c);
	put16(&p, 1);
	put16(&p, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);

	/* extended label types (0x40, 0x80) are errors too */
	header(&p, 1, 0, 1, 0, 0, 0);
	put8(&p, 0x41);
	put8(&p, 0);
	put16(&p, 1);
	put16(&p, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
}

static void
test_truncated_question(void **state)
{
	struct pkt	 p;
	struct query	 q;
	size_t		 cut;

	(void)state;
	simple(&p, "2.0.0.127.bl.test", 1);
	for (cut = 12; cut < p.len; cut++)
		assert_int_equal(query_parse(p.b, cut, &q), QUERY_FORMERR);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
}

static void
test_name_limits(void **state)
{
	struct pkt	 p;
	struct query	 q;
	char		 name[600];
	int		 i;

	(void)state;
	/* a 63-byte label is fine, 64 is not */
	memset(name, 'a', 63);
	strcpy(name + 63, ".bl.test");
	simple(&p, name, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	memset(name, 'a', 64);
	strcpy(name + 64, ".bl.test");
	simple(&p, name, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);

	/* 127 one-byte labels: 254 bytes + root = 255: the maximum */
	for (i = 0; i < 127; i++) {
		name[2 * i] = 'a';
		name[2 * i + 1] = '.';
	}
	name[2 * 127 - 1] = '\0';
	simple(&p, name, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_int_equal(q.namelen, 255);
	assert_int_equal(q.nlabels, 127);
	assert_int_equal(q.label[126], 252);
	/* one more label: 257 bytes */
	name[2 * 127 - 1] = '.';
	name[2 * 127] = 'a';
	name[2 * 127 + 1] = '\0';
	simple(&p, name, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);

	/* the root itself */
	header(&p, 1, 0, 1, 0, 0, 0);
	put8(&p, 0);
	put16(&p, 2);
	put16(&p, 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_int_equal(q.namelen, 1);
	assert_int_equal(q.nlabels, 0);
}

static void
test_edns(void **state)
{
	struct pkt	 p;
	struct query	 q;
	const uint8_t	 cookie[12] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	opt(&p, 4096, 0, 1, cookie, sizeof(cookie));
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 4096);
	assert_int_equal(q.edns_version, 0);
	assert_true(q.edns_do);

	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	opt(&p, 100, 1, 0, NULL, 0);	/* small size: 512; version 1 */
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 512);
	assert_int_equal(q.edns_version, 1);
	assert_false(q.edns_do);
}

static void
test_edns_errors(void **state)
{
	struct pkt	 p;
	struct query	 q;
	const uint8_t	 badopt[6] = { 0, 10, 0, 8, 1, 2 };	/* overruns */
	size_t		 cut, full;

	(void)state;
	/* two OPT RRs */
	simple(&p, "bl.test", 6);
	p.b[11] = 2;
	opt(&p, 1232, 0, 0, NULL, 0);
	opt(&p, 1232, 0, 0, NULL, 0);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_true(q.has_question);	/* question parsed: can be echoed */
	assert_false(q.edns);		/* ... but no OPT in the reply */

	/* OPT owned by a name other than the root */
	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	putname(&p, "x");
	put16(&p, 41);
	put16(&p, 1232);
	pkt_put32(&p, 0);
	put16(&p, 0);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);

	/* option length past the RDATA */
	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	opt(&p, 1232, 0, 0, badopt, sizeof(badopt));
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);

	/* every cut of the OPT RR */
	simple(&p, "bl.test", 6);
	full = p.len;
	p.b[11] = 1;
	opt(&p, 1232, 0, 0, NULL, 0);
	for (cut = full; cut < p.len; cut++)
		assert_int_equal(query_parse(p.b, cut, &q), QUERY_FORMERR);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);

	/* arcount says 2, only one RR there */
	p.b[11] = 2;
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
}

static void
test_other_sections(void **state)
{
	struct pkt	 p;
	struct query	 q;
	size_t		 full;

	(void)state;
	/* an answer RR (compressed owner), an authority RR, then OPT */
	simple(&p, "bl.test", 6);
	p.b[7] = 1;
	p.b[9] = 1;
	p.b[11] = 2;
	put16(&p, 0xc00c);
	put16(&p, 1);
	put16(&p, 1);
	pkt_put32(&p, 60);
	put16(&p, 4);
	pkt_put32(&p, 0x7f000002);
	put8(&p, 1);
	put8(&p, 'x');
	put16(&p, 0xc00c);
	put16(&p, 2);
	put16(&p, 1);
	pkt_put32(&p, 60);
	put16(&p, 2);
	put16(&p, 0xc0ff);	/* a pointer to nowhere: not followed */
	putname(&p, "foo");	/* a non-OPT additional RR */
	put16(&p, 16);
	put16(&p, 1);
	pkt_put32(&p, 0);
	put16(&p, 0);
	opt(&p, 1400, 0, 1, NULL, 0);
	full = p.len;
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 1400);
	assert_int_equal(q.qend, 12 + 9 + 4);

	/* trailing garbage after the records is ignored */
	pkt_put32(&p, 0xdeadbeef);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);

	/* rdlength overrunning the packet */
	p.len = full;
	p.b[12 + 13 + 10] = 0xff;	/* first answer RR's rdlength */
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);

	/* counts promising more than there is */
	simple(&p, "bl.test", 6);
	p.b[6] = 0xff;
	p.b[7] = 0xff;
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_true(q.has_question);
}

static void
test_lowercase(void **state)
{
	struct pkt	 p;
	struct query	 q;

	(void)state;
	simple(&p, "AbCdEfGhIjKlMnOpQrStUvWxYz.@[`{.TEST", 1);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_memory_equal(q.name,
	    "\032abcdefghijklmnopqrstuvwxyz\004@[`{\004test\0", 38);
	/* the packet itself is untouched */
	assert_memory_equal(p.b + 13, "AbCdEf", 6);
}

/* The COOKIE option (RFC 7873): 8 or 16..40 bytes, once; anything else
 * is FORMERR with the OPT kept for the reply (5.2.2). */
static void
test_cookie(void **state)
{
	struct pkt	 p;
	struct query	 q;
	uint8_t		 rd[64];
	int		 len, i;

	(void)state;
	for (i = 0; i < (int)sizeof(rd); i++)
		rd[i] = (uint8_t)(0xa0 + i);
	for (len = 0; len <= 44; len++) {
		rd[0] = 0;
		rd[1] = 10;
		rd[2] = 0;
		rd[3] = (uint8_t)len;
		simple(&p, "bl.test", 6);
		p.b[11] = 1;
		opt(&p, 1232, 0, 0, rd, (uint16_t)(4 + len));
		if (len == 8 || (len >= 16 && len <= 40)) {
			assert_int_equal(query_parse(p.b, p.len, &q),
			    QUERY_OK);
			assert_int_equal(q.cookie_len, len);
			assert_memory_equal(q.cookie, rd + 4, (size_t)len);
		} else {
			assert_int_equal(query_parse(p.b, p.len, &q),
			    QUERY_FORMERR);
			assert_int_equal(q.cookie_len, 0);
			assert_true(q.edns);	/* the reply has an OPT */
		}
	}
	/* two COOKIE options: FORMERR */
	memcpy(rd + 12, rd, 12);
	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	rd[3] = 8;
	memcpy(rd + 12, rd, 12);
	opt(&p, 1232, 0, 0, rd, 24);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_true(q.edns);
	/* a COOKIE after another option is found; no OPT: no cookie */
	rd[0] = 0;
	rd[1] = 3;	/* NSID, empty */
	rd[2] = rd[3] = 0;
	rd[4] = 0;
	rd[5] = 10;
	rd[6] = 0;
	rd[7] = 8;
	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	opt(&p, 1232, 0, 0, rd, 16);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_int_equal(q.cookie_len, 8);
	assert_memory_equal(q.cookie, rd + 8, 8);
	simple(&p, "bl.test", 6);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_int_equal(q.cookie_len, 0);
	/* a truncated option is a broken OPT: FORMERR without OPT */
	rd[3] = 30;
	simple(&p, "bl.test", 6);
	p.b[11] = 1;
	opt(&p, 1232, 0, 0, rd, 16);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_false(q.edns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_notimp),
		cmocka_unit_test(test_qdcount),
		cmocka_unit_test(test_pointer_in_question),
		cmocka_unit_test(test_truncated_question),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_edns_errors),
		cmocka_unit_test(test_other_sections),
		cmocka_unit_test(test_lowercase),
		cmocka_unit_test(test_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
