/*
 * test_xfr_req.c -- unit tests for dnsd/xfr_req.c (zone transfer
 * requests) and the TSIG mark query.c leaves for a signed query.
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
#include "xfr_req.h"

static void
header(struct pkt *p, uint16_t flags, uint16_t qd, uint16_t an,
    uint16_t ns, uint16_t ar)
{
	p->len = 0;
	put16(p, 0x1234);
	put16(p, flags);
	put16(p, qd);
	put16(p, an);
	put16(p, ns);
	put16(p, ar);
}

static void
soa_x(struct pkt *p, uint32_t serial, int extra)
{
	size_t	 rdl;

	put8(p, 0xc0);
	put8(p, 12);
	put16(p, 6);
	put16(p, 1);
	pkt_put32(p, 0);
	rdl = p->len;
	put16(p, 0);
	putname(p, "ns.bl.test");
	putname(p, "hostmaster.bl.test");
	pkt_put32(p, serial);
	pkt_put32(p, 3600);
	pkt_put32(p, 600);
	pkt_put32(p, 86400);
	pkt_put32(p, 300);
	if (extra)
		put8(p, 0);
	p->b[rdl] = (uint8_t)((p->len - rdl - 2) >> 8);
	p->b[rdl + 1] = (uint8_t)(p->len - rdl - 2);
}

static void
soa(struct pkt *p, uint32_t serial)
{
	soa_x(p, serial, 0);
}

static void
test_axfr(void **state)
{
	struct pkt	 p;
	struct xfr_req	 r;

	(void)state;
	header(&p, 0, 1, 0, 0, 0);
	putname(&p, "BL.Test");
	put16(&p, XFR_T_AXFR);
	put16(&p, 1);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_OK);
	assert_int_equal(r.id, 0x1234);
	assert_int_equal(r.qtype, XFR_T_AXFR);
	assert_int_equal(r.qnamelen, 9);
	assert_memory_equal(r.qname, "\2bl\4test", 9);	/* lower case */
	assert_int_equal(r.qend, p.len);
	assert_false(r.has_serial);
	assert_false(r.has_tsig);
}

static void
test_ixfr_serial(void **state)
{
	struct pkt	 p;
	struct xfr_req	 r;

	(void)state;
	header(&p, 0, 1, 0, 1, 0);
	putname(&p, "bl.test");
	put16(&p, XFR_T_IXFR);
	put16(&p, 1);
	soa(&p, 4000000001u);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_OK);
	assert_int_equal(r.qtype, XFR_T_IXFR);
	assert_true(r.has_serial);
	assert_int_equal(r.serial, 4000000001u);

	/* IXFR without the secondary's SOA: FORMERR (RFC 1995 3) */
	header(&p, 0, 1, 0, 0, 0);
	putname(&p, "bl.test");
	put16(&p, XFR_T_IXFR);
	put16(&p, 1);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_FORMERR);
}

static void
test_not_xfr(void **state)
{
	struct pkt	 p;
	struct xfr_req	 r;

	(void)state;
	header(&p, 0, 1, 0, 0, 0);
	putname(&p, "bl.test");
	put16(&p, 6);
	put16(&p, 1);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_NOTXFR);
	header(&p, 0x8000, 1, 0, 0, 0);		/* a response */
	putname(&p, "bl.test");
	put16(&p, XFR_T_AXFR);
	put16(&p, 1);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_NOTXFR);
}

static void
test_malformed(void **state)
{
	struct pkt	 p;
	struct xfr_req	 r;
	size_t		 n, full;

	(void)state;
	header(&p, 0, 1, 0, 1, 0);
	putname(&p, "bl.test");
	put16(&p, XFR_T_IXFR);
	put16(&p, 1);
	soa(&p, 7);
	full = p.len;
	/* every truncation is FORMERR, never a read past the end */
	for (n = 0; n < full; n++)
		assert_int_equal(xfr_req_parse(p.b, n, &r), XFR_REQ_FORMERR);
	/* a compression pointer in the question */
	header(&p, 0, 1, 0, 0, 0);
	put8(&p, 0xc0);
	put8(&p, 12);
	put16(&p, XFR_T_AXFR);
	put16(&p, 1);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_FORMERR);
	/* an SOA with trailing bytes in its rdata */
	header(&p, 0, 1, 0, 1, 0);
	putname(&p, "bl.test");
	put16(&p, XFR_T_IXFR);
	put16(&p, 1);
	soa_x(&p, 7, 1);
	assert_int_equal(xfr_req_parse(p.b, p.len, &r), XFR_REQ_FORMERR);
}

/* query.c marks a TSIG only as the last additional record. */
static void
test_query_tsig_mark(void **state)
{
	struct pkt	 p;
	struct query	 q;
	size_t		 at;

	(void)state;
	header(&p, 0, 1, 0, 0, 1);
	putname(&p, "bl.test");
	put16(&p, 6);
	put16(&p, 1);
	at = p.len;
	putname(&p, "key");
	put16(&p, 250);
	put16(&p, 255);
	pkt_put32(&p, 0);
	put16(&p, 0);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_OK);
	assert_int_equal(q.tsig_off, at);

	/* a TSIG followed by another record: FORMERR, no mark */
	header(&p, 0, 1, 0, 0, 2);
	putname(&p, "bl.test");
	put16(&p, 6);
	put16(&p, 1);
	putname(&p, "key");
	put16(&p, 250);
	put16(&p, 255);
	pkt_put32(&p, 0);
	put16(&p, 0);
	put8(&p, 0);
	put16(&p, 41);
	put16(&p, 1232);
	pkt_put32(&p, 0);
	put16(&p, 0);
	assert_int_equal(query_parse(p.b, p.len, &q), QUERY_FORMERR);
	assert_int_equal(q.tsig_off, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_axfr),
		cmocka_unit_test(test_ixfr_serial),
		cmocka_unit_test(test_not_xfr),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_query_tsig_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
