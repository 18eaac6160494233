/*
 * test_answer.c -- unit tests for dnsd/answer.c: replies built from a
 * small real zone index, checked byte by byte where it matters and
 * parsed back with ldns (which also proves the compression pointers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "answer.h"
#include "conf.h"
#include "pktfix.h"
#include "query.h"
#include "zone_conf.h"
#include "zone_index.h"

#define T_A	1
#define T_NS	2
#define T_SOA	6
#define T_MX	15
#define T_TXT	16
#define T_AAAA	28
#define T_IXFR	251
#define T_AXFR	252
#define T_ANY	255

/* ------------------------------------------------------------------ */
/* Fixture: one index, zones bl.test and x.bl.test. */

static struct zone_index	*zi;
static struct zone_conf		*zc;
static struct conf		 cf;
static char			 long600[601], long1300[1301];

static void
add(struct zone_index_builder *b, const char *net, int excl, uint32_t code,
    const char *reason)
{
	struct addr	 a;
	char		 err[128];

	if (addr_parse(net, &a, err, sizeof(err)) == -1)
		fail_msg("%s: %s", net, err);
	assert_int_equal(zone_index_builder_add(b, &a, excl, code, reason), 0);
}

static int
setup(void **state)
{
	struct zone_index_builder	*b;
	char				 err[256];

	(void)state;
	memset(long600, 'x', 600);
	memset(long1300, 'y', 1300);
	b = zone_index_builder_new();
	add(b, "192.0.2.0/24", 0, 0x7f000002, "Listed: $ see https://x.test/?$");
	add(b, "192.0.2.99", 1, 0, NULL);
	add(b, "198.51.100.7", 0, 0x7f000003, long600);
	add(b, "198.51.100.8", 0, 0x7f000003, long1300);
	add(b, "203.0.113.1", 0, 0x7f00000a, NULL);
	add(b, "2001:db8:1::/48", 0, 0x7f000004, "v6 $");
	add(b, "2001:db8::1:0:0:1", 0, 0x7f000005, "$");
	add(b, "2001:0:0:1::1", 0, 0x7f000005, "$");
	add(b, "2001:db8:0:1:1:1:1:1", 0, 0x7f000005, "$");
	add(b, "2001:db8:0:1::", 0, 0x7f000005, "[$]");
	zi = zone_index_builder_finish(b, "Default $");

	conf_init(&cf);
	assert_int_equal(conf_set(&cf, "zone", "bl.test", err, sizeof(err)),
	    0);
	assert_int_equal(conf_set(&cf, "zone", "X.bl.test.", err,
	    sizeof(err)), 0);
	zc = zone_conf_new(&cf, NULL, 42, err, sizeof(err));
	if (zc == NULL)
		fail_msg("zone_conf_new: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	zone_conf_free(zc);
	zone_index_free(zi);
	conf_free(&cf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Packet building */

#define NO_EDNS	(-1)

/* A query; edns = NO_EDNS or the UDP size to advertise. */
static void
mkquery(struct pkt *p, uint16_t flags, const char *name, uint16_t qtype,
    uint16_t qclass, int edns, uint8_t version, int dobit)
{
	p->len = 0;
	put16(p, 0xbeef);
	put16(p, flags);
	put16(p, 1);
	put16(p, 0);
	put16(p, 0);
	put16(p, edns == NO_EDNS ? 0 : 1);
	putname(p, name);
	put16(p, qtype);
	put16(p, qclass);
	if (edns != NO_EDNS) {
		put8(p, 0);
		put16(p, 41);
		put16(p, (uint16_t)edns);
		put8(p, 0);
		put8(p, version);
		put16(p, dobit ? 0x8000 : 0);
		put16(p, 0);
	}
}

/* The reply to the last query, raw and parsed. */
struct reply {
	uint8_t		 b[70000];
	size_t		 len;
	ldns_pkt	*pkt;
	struct query	 q;
};

static struct reply		 R;
static struct answer_stats	 st;

static void
reply_clear(void)
{
	if (R.pkt != NULL)
		ldns_pkt_free(R.pkt);
	R.pkt = NULL;
}

static size_t
run_with(const struct zone_conf *z, const struct zone_index *idx,
    const struct pkt *p, int tcp, size_t outcap)
{
	enum query_result	 qr;

	reply_clear();
	assert_true(outcap <= sizeof(R.b));
	qr = query_parse(p->b, p->len, &R.q);
	R.len = answer_build(z, idx, p->b, p->len, &R.q, qr, tcp, R.b, outcap,
	    &st);
	if (R.len > 0) {
		if (ldns_wire2pkt(&R.pkt, R.b, R.len) != LDNS_STATUS_OK)
			fail_msg("ldns cannot parse the reply");
		assert_true(ldns_pkt_qr(R.pkt));
		assert_false(ldns_pkt_ra(R.pkt));
		assert_int_equal(ldns_pkt_id(R.pkt), 0xbeef);
	}
	return R.len;
}

static size_t
run(const struct pkt *p, int tcp)
{
	return run_with(zc, zi, p, tcp, 65535);
}

/* Ask name/type over UDP, class IN, RD set, no EDNS. */
static void
ask(const char *name, uint16_t qtype)
{
	struct pkt	 p;

	mkquery(&p, 0x0100, name, qtype, 1, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
}

/* ------------------------------------------------------------------ */
/* Checks */

static unsigned int
rcode(void)
{
	return R.b[3] & 0x0f;
}

static unsigned int
count(int section)	/* 0 qd, 1 an, 2 ns, 3 ar */
{
	return (unsigned int)(R.b[4 + 2 * section] << 8 | R.b[5 + 2 * section]);
}

static int
flag(uint16_t f)
{
	return ((R.b[2] << 8 | R.b[3]) & f) != 0;
}

#define F_AA	0x0400
#define F_TC	0x0200
#define F_RD	0x0100
#define F_CD	0x0010

static void
assert_name(const ldns_rdf *rdf, const char *want)
{
	char	*s = ldns_rdf2str(rdf);

	assert_non_null(s);
	if (strcasecmp(s, want) != 0)
		fail_msg("name '%s', want '%s'", s, want);
	free(s);
}

static uint32_t
rdf_u32(const ldns_rdf *rdf)
{
	const uint8_t	*d = ldns_rdf_data(rdf);

	assert_int_equal(ldns_rdf_size(rdf), 4);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	    (uint32_t)d[2] << 8 | d[3];
}

static ldns_rr *
rr_at(ldns_rr_list *l, size_t i)
{
	assert_true(ldns_rr_list_rr_count(l) > i);
	return ldns_rr_list_rr(l, i);
}

/* The one answer is an A record with code. */
static void
assert_a(uint32_t code)
{
	ldns_rr	*rr;

	assert_int_equal(rcode(), 0);
	assert_true(flag(F_AA));
	assert_int_equal(count(1), 1);
	assert_int_equal(count(2), 0);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
	assert_int_equal(ldns_rr_ttl(rr), 2100);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 0)), code);
	/* owner: a pointer to the question's name */
	assert_int_equal(R.b[R.q.qend], 0xc0);
	assert_int_equal(R.b[R.q.qend + 1], 0x0c);
}

/* The one answer is a TXT record; its strings joined give want. */
static void
assert_txt(const char *want)
{
	ldns_rr	*rr;
	char	 got[2048];
	size_t	 n = 0, i, l;

	assert_int_equal(rcode(), 0);
	assert_true(flag(F_AA));
	assert_int_equal(count(1), 1);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(rr, i));

		l = d[0];
		assert_int_equal(ldns_rdf_size(ldns_rr_rdf(rr, i)), l + 1);
		assert_true(n + l < sizeof(got));
		memcpy(got + n, d + 1, l);
		n += l;
	}
	got[n] = '\0';
	assert_string_equal(got, want);
}

/* Negative answer: rcode, no answers, the zone's SOA in authority. */
static void
assert_negative(unsigned int rc, const char *zone, uint32_t negttl)
{
	ldns_rr	*rr;

	assert_int_equal(rcode(), rc);
	assert_true(flag(F_AA));
	assert_int_equal(count(0), 1);
	assert_int_equal(count(1), 0);
	assert_int_equal(count(2), 1);
	rr = rr_at(ldns_pkt_authority(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	assert_name(ldns_rr_owner(rr), zone);
	assert_int_equal(ldns_rr_ttl(rr), negttl);
}

#define assert_nodata()		assert_negative(0, "bl.test.", 300)
#define assert_nxdomain()	assert_negative(3, "bl.test.", 300)

/* ------------------------------------------------------------------ */
/* Tests */

static void
test_apex(void **state)
{
	ldns_rr	*rr;

	(void)state;
	ask("bl.test", T_SOA);
	assert_int_equal(rcode(), 0);
	assert_true(flag(F_AA));
	assert_true(flag(F_RD));
	assert_int_equal(count(1), 1);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	assert_name(ldns_rr_owner(rr), "bl.test.");
	assert_int_equal(ldns_rr_ttl(rr), 2100);
	assert_name(ldns_rr_rdf(rr, 0), "ns.bl.test.");
	assert_name(ldns_rr_rdf(rr, 1), "hostmaster.bl.test.");
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 2)), 42);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 3)), 3600);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 4)), 600);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 5)), 7 * 86400);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 6)), 300);
	assert_int_equal(zone_conf_serial(zc), 42);

	ask("bl.test", T_NS);
	assert_int_equal(rcode(), 0);
	assert_true(flag(F_AA));
	assert_int_equal(count(1), 1);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_NS);
	assert_name(ldns_rr_rdf(rr, 0), "ns.bl.test.");
	/* NS rdata compressed: "ns" then a pointer to the apex (12) */
	assert_memory_equal(R.b + R.len - 5, "\002ns\xc0\x0c", 5);

	ask("bl.test", T_ANY);		/* RFC 8482: SOA only */
	assert_int_equal(count(1), 1);
	assert_int_equal(ldns_rr_get_type(rr_at(ldns_pkt_answer(R.pkt), 0)),
	    LDNS_RR_TYPE_SOA);

	ask("bl.test", T_A);
	assert_nodata();
	ask("bl.test", T_TXT);
	assert_nodata();

	ask("bl.test", T_AXFR);
	assert_int_equal(rcode(), 5);
	assert_false(flag(F_AA));
	assert_int_equal(count(1) + count(2), 0);
	ask("bl.test", T_IXFR);
	assert_int_equal(rcode(), 5);
}

static void
test_header_bits(void **state)
{
	struct pkt	 p;

	(void)state;
	mkquery(&p, 0x0010, "2.0.0.127.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_false(flag(F_RD));
	assert_true(flag(F_CD));
	assert_true(flag(F_AA));
	assert_false(flag(F_TC));
	assert_int_equal(R.b[2] & 0x78, 0);	/* opcode QUERY */
	assert_int_equal(R.b[3] & 0x80, 0);	/* RA */
	assert_int_equal(count(3), 0);		/* no OPT without EDNS */
}

static void
test_listed_v4(void **state)
{
	(void)state;
	ask("5.2.0.192.bl.test", T_A);
	assert_a(0x7f000002);
	ask("5.2.0.192.bl.test", T_TXT);
	assert_txt("Listed: 192.0.2.5 see https://x.test/?192.0.2.5");
	ask("255.2.0.192.bl.test", T_TXT);
	assert_txt("Listed: 192.0.2.255 see https://x.test/?192.0.2.255");
	ask("1.113.0.203.bl.test", T_TXT);	/* the default reason */
	assert_txt("Default 203.0.113.1");
	ask("1.113.0.203.bl.test", T_A);
	assert_a(0x7f00000a);

	ask("5.2.0.192.bl.test", T_ANY);	/* RFC 8482: the A only */
	assert_a(0x7f000002);
	ask("5.2.0.192.bl.test", T_MX);
	assert_nodata();
	ask("5.2.0.192.bl.test", T_AAAA);
	assert_nodata();

	ask("99.2.0.192.bl.test", T_A);		/* excluded */
	assert_nxdomain();
	ask("1.2.0.193.bl.test", T_A);
	assert_nxdomain();
}

static void
test_testpoints(void **state)
{
	(void)state;
	ask("2.0.0.127.bl.test", T_A);
	assert_a(0x7f000002);
	ask("2.0.0.127.bl.test", T_TXT);
	assert_txt(RFC5782_TP_REASON);
	ask("1.0.0.127.bl.test", T_A);
	assert_nxdomain();
	ask("1.0.0.127.bl.test", T_TXT);
	assert_nxdomain();

	/* ::ffff:127.0.0.2 / ::ffff:127.0.0.1, RFC 5782 section 5 */
	ask("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "bl.test", T_A);
	assert_a(0x7f000002);
	ask("1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "bl.test", T_A);
	assert_nxdomain();
	/* a mapped address answers from the IPv4 data, '$' in IPv6 form */
	ask("5.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "bl.test", T_TXT);
	assert_txt("Listed: ::ffff:192.0.2.5 see https://x.test/?::ffff:192.0.2.5");
}

static void
test_listed_v6(void **state)
{
	(void)state;
	/* 2001:db8:1::5 */
	ask("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_A);
	assert_a(0x7f000004);
	ask("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_TXT);
	assert_txt("v6 2001:db8:1::5");
	/* upper-case nibbles are the same name */
	ask("A.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.B.D.0.1.0.0.2."
	    "bl.test", T_TXT);
	assert_txt("v6 2001:db8:1::a");
	/* RFC 5952 forms: the longest zero run, the first on a tie, no
	 * "::" for a single zero group */
	ask("1.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_TXT);
	assert_txt("2001:db8::1:0:0:1");
	ask("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.1.0.0.2."
	    "bl.test", T_TXT);
	assert_txt("2001:0:0:1::1");
	ask("1.0.0.0.1.0.0.0.1.0.0.0.1.0.0.0.1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_TXT);
	assert_txt("2001:db8:0:1:1:1:1:1");
	ask("0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_TXT);
	assert_txt("[2001:db8:0:1::]");
	/* not listed */
	ask("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_A);
	assert_nxdomain();
}

static void
test_ent(void **state)
{
	(void)state;
	/* above the 127.0.0.2 test point */
	ask("0.0.127.bl.test", T_A);
	assert_nodata();
	ask("0.127.bl.test", T_TXT);
	assert_nodata();
	ask("127.bl.test", T_A);
	assert_nodata();
	/* above 192.0.2.0/24 and 198.51.100.7 */
	ask("2.0.192.bl.test", T_A);
	assert_nodata();
	ask("100.51.198.bl.test", T_A);
	assert_nodata();
	ask("0.0.128.bl.test", T_A);
	assert_nxdomain();
	ask("10.bl.test", T_A);
	assert_nxdomain();

	/* IPv6: above 2001:db8:1::/48 */
	ask("1.0.0.0.8.b.d.0.1.0.0.2.bl.test", T_A);
	assert_nodata();
	ask("8.b.d.0.1.0.0.2.bl.test", T_A);
	assert_nodata();
	ask("2.bl.test", T_A);		/* decimal 2.x and nibble 2::/4 */
	assert_nodata();
	ask("2.0.0.0.8.b.d.0.1.0.0.2.bl.test", T_A);
	assert_nxdomain();
	/* 4 labels: not the IPv4 address 2.0.0.1, but 2001::/16 */
	ask("1.0.0.2.bl.test", T_A);
	assert_nodata();
	ask("1.0.0.3.bl.test", T_A);
	assert_nxdomain();
	/* the mapped tree: ::ffff:127.0.0.0/104 holds the test point */
	ask("f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test", T_A);
	assert_nodata();
	/* 31 nibbles above a listed /128 */
	ask("0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "bl.test", T_A);
	assert_nodata();
}

static void
test_nxdomain_garbage(void **state)
{
	static const char *names[] = {
		"foo.bl.test", "www.2.0.0.127.bl.test",
		"1.2.0.0.127.bl.test",		/* 5 decimal labels */
		"256.0.0.127.bl.test", "02.0.0.127.bl.test",
		"2.0.00.127.bl.test", "2.0.0.127x.bl.test", "-1.0.0.127.bl.test",
		"2.0.0.0127.bl.test", "g.0.0.2.bl.test",
		/* 33 nibbles */
		"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2."
		"bl.test",
		"2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.00."
		"bl.test",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ask(names[i], T_A);
		assert_nxdomain();
	}
}

static void
test_neg_ttl(void **state)
{
	struct zone_conf	*z;
	struct conf		 c;
	struct pkt		 p;
	char			 err[256];
	ldns_rr			*rr;

	(void)state;
	/* SOA TTL 60 < MINIMUM 600: negative TTL 60 (RFC 2308 section 5) */
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ttl", "60", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "neg_ttl", "10m", err, sizeof(err)), 0);
	assert_non_null(z = zone_conf_new(&c, NULL, 7, err, sizeof(err)));
	mkquery(&p, 0, "foo.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_negative(3, "bl.test.", 60);
	rr = rr_at(ldns_pkt_authority(R.pkt), 0);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 2)), 7);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 6)), 600);
	zone_conf_free(z);
	conf_free(&c);

	/* the default: SOA TTL 35m, MINIMUM 5m -> 300 */
	ask("foo.bl.test", T_A);
	rr = rr_at(ldns_pkt_authority(R.pkt), 0);
	assert_int_equal(ldns_rr_ttl(rr), 300);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 6)), 300);
}

static void
test_case_preserved(void **state)
{
	struct pkt	 p;

	(void)state;
	mkquery(&p, 0x0100, "5.2.0.192.Bl.TeSt", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_a(0x7f000002);
	assert_int_equal(R.q.qend, p.len);
	assert_memory_equal(R.b + 12, p.b + 12, p.len - 12);

	mkquery(&p, 0x0100, "nO.sUcH.bL.tEsT", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_nxdomain();
	assert_memory_equal(R.b + 12, p.b + 12, p.len - 12);
	/* the SOA's owner points at "bL.tEsT" inside the question */
	assert_int_equal(R.b[p.len], 0xc0);
	assert_int_equal(R.b[p.len + 1], 12 + 3 + 5);
}

static void
test_refused(void **state)
{
	static const char *names[] = {
		"example.com", "xbl.test", "test", "bl.test.com",
		"2.0.0.127.bl.test.evil", ".",
	};
	struct pkt	 p;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		mkquery(&p, 0x0100, strcmp(names[i], ".") ? names[i] : "",
		    T_A, 1, NO_EDNS, 0, 0);
		assert_true(run(&p, 0) > 0);
		assert_int_equal(rcode(), 5);
		assert_false(flag(F_AA));
		assert_int_equal(count(0), 1);
		assert_int_equal(count(1) + count(2) + count(3), 0);
		assert_memory_equal(R.b + 12, p.b + 12, p.len - 12);
	}
	/* CH and other classes are refused; ANY is served */
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 3, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 5);
	assert_false(flag(F_AA));
	mkquery(&p, 0, "bl.test", T_TXT, 3, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 5);
	mkquery(&p, 0, "bl.test", T_SOA, 254, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 5);
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 255, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_a(0x7f000002);
}

static void
test_longest_match(void **state)
{
	ldns_rr	*rr;

	(void)state;
	ask("2.0.0.127.x.bl.test", T_A);
	assert_a(0x7f000002);
	ask("x.bl.test", T_SOA);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_name(ldns_rr_owner(rr), "x.bl.test.");
	assert_name(ldns_rr_rdf(rr, 0), "ns.x.bl.test.");
	assert_name(ldns_rr_rdf(rr, 1), "hostmaster.x.bl.test.");
	ask("foo.x.bl.test", T_A);
	assert_negative(3, "x.bl.test.", 300);
	ask("0.127.x.bl.test", T_A);
	assert_negative(0, "x.bl.test.", 300);
	/* in bl.test, "y" is a label that is no address */
	ask("2.0.0.127.y.bl.test", T_A);
	assert_nxdomain();
	/* x.bl.test is the other zone's apex, not an ENT of bl.test */
	ask("x.bl.test", T_A);
	assert_negative(0, "x.bl.test.", 300);
}

static void
test_formerr(void **state)
{
	struct pkt	 p;

	(void)state;
	/* compression pointer in the question */
	mkquery(&p, 0x0100, "bl.test", T_A, 1, NO_EDNS, 0, 0);
	p.len = 12;
	put8(&p, 1);
	put8(&p, '2');
	put16(&p, 0xc00c);
	put16(&p, T_A);
	put16(&p, 1);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 1);
	assert_false(flag(F_AA));
	assert_true(flag(F_RD));
	assert_int_equal(R.len, 12);
	assert_int_equal(count(0) + count(1) + count(2) + count(3), 0);

	/* truncated question */
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 1, NO_EDNS, 0, 0);
	p.len -= 3;
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 1);
	assert_int_equal(R.len, 12);
	assert_int_equal(count(0), 0);

	/* two OPTs: FORMERR, question echoed, no OPT in the reply */
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 1, 1232, 0, 0);
	p.b[11] = 2;
	put8(&p, 0);
	put16(&p, 41);
	put16(&p, 1232);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 0);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 1);
	assert_int_equal(count(0), 1);
	assert_int_equal(count(1) + count(2) + count(3), 0);
	assert_memory_equal(R.b + 12, p.b + 12, R.q.qend - 12);
	assert_int_equal(R.len, R.q.qend);

	/* qdcount 0 */
	mkquery(&p, 0, "bl.test", T_A, 1, NO_EDNS, 0, 0);
	p.b[5] = 0;
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 1);
	assert_int_equal(R.len, 12);
}

static void
test_drop(void **state)
{
	struct pkt		 p;
	uint64_t		 before = st.dropped;

	(void)state;
	mkquery(&p, 0x8000, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_int_equal(run(&p, 0), 0);
	p.len = 5;
	assert_int_equal(run(&p, 0), 0);
	assert_int_equal(st.dropped, before + 2);
}

static void
test_notimp(void **state)
{
	struct pkt	 p;

	(void)state;
	mkquery(&p, 4 << 11 | 0x0400, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 4);
	assert_int_equal((R.b[2] >> 3) & 0x0f, 4);	/* opcode echoed */
	assert_false(flag(F_AA));
	assert_int_equal(count(0), 1);
	assert_int_equal(count(1) + count(2) + count(3), 0);
	assert_memory_equal(R.b + 12, p.b + 12, p.len - 12);

	mkquery(&p, 2 << 11 | 0x0100, "bl.test", T_SOA, 1, 1232, 0, 1);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 4);
	assert_int_equal((R.b[2] >> 3) & 0x0f, 2);
	assert_false(flag(F_RD));	/* RD is defined for QUERY only */
	assert_int_equal(count(3), 1);		/* OPT echoed */
	assert_true(ldns_pkt_edns_do(R.pkt));

	/* genreport's opcodeflg: opcode 15 with TC RD RA CD AD AA Z set,
	 * header only.  The reply is NOTIMP with none of them. */
	p.len = 0;
	put16(&p, 0xbeef);
	put16(&p, 15 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0040 |
	    0x0020 | 0x0010);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, 0);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 4);
	assert_int_equal((R.b[2] >> 3) & 0x0f, 15);
	assert_int_equal((R.b[2] << 8 | R.b[3]) & 0x07f0, 0);
}

static void
test_edns(void **state)
{
	struct pkt	 p;

	(void)state;
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 1, 4096, 0, 1);
	assert_true(run(&p, 0) > 0);
	assert_a(0x7f000002);
	assert_int_equal(count(3), 1);
	assert_true(ldns_pkt_edns(R.pkt));
	assert_int_equal(ldns_pkt_edns_udp_size(R.pkt), ANSWER_EDNS_SIZE);
	assert_int_equal(ldns_pkt_edns_version(R.pkt), 0);
	assert_int_equal(ldns_pkt_edns_extended_rcode(R.pkt), 0);
	assert_true(ldns_pkt_edns_do(R.pkt));
	/* the OPT RR is last: root, type 41, 1232, ttl 0/0/DO, rdlen 0 */
	assert_memory_equal(R.b + R.len - 11,
	    "\0\0\x29\x04\xd0\0\0\x80\0\0\0", 11);

	mkquery(&p, 0, "foo.bl.test", T_A, 1, 512, 0, 0);
	assert_true(run(&p, 0) > 0);
	assert_nxdomain();
	assert_int_equal(count(3), 1);
	assert_false(ldns_pkt_edns_do(R.pkt));
}

static void
test_badvers(void **state)
{
	struct pkt	 p;
	uint64_t	 before = st.badvers;

	(void)state;
	mkquery(&p, 0x0100, "2.0.0.127.bl.test", T_A, 1, 1232, 1, 1);
	assert_true(run(&p, 0) > 0);
	assert_int_equal(rcode(), 0);		/* low bits of 16 */
	assert_int_equal(count(0), 1);
	assert_int_equal(count(1) + count(2), 0);
	assert_int_equal(count(3), 1);
	assert_int_equal(R.len, p.len);		/* question + OPT, 11 bytes */
	assert_int_equal(R.b[R.len - 11 + 5], 1);	/* extended rcode 16 >> 4 */
	assert_int_equal(R.b[R.len - 11 + 6], 0);	/* version 0 */
	assert_int_equal(ldns_pkt_edns_extended_rcode(R.pkt), 1);
	assert_int_equal(st.badvers, before + 1);
}

static void
test_truncation(void **state)
{
	struct pkt	 p;
	char		 want[1301];
	ldns_rr		*rr;
	uint64_t	 before = st.truncated;
	size_t		 i;

	(void)state;
	memset(want, 'x', 600);
	want[600] = '\0';
	/* 600 bytes of reason: does not fit 512 without EDNS */
	mkquery(&p, 0, "7.100.51.198.bl.test", T_TXT, 1, NO_EDNS, 0, 0);
	assert_int_equal(run(&p, 0), p.len);
	assert_true(flag(F_TC));
	assert_true(flag(F_AA));
	assert_int_equal(rcode(), 0);
	assert_int_equal(count(0), 1);
	assert_int_equal(count(1) + count(2) + count(3), 0);
	assert_int_equal(st.truncated, before + 1);

	/* EDNS below 512 is 512: truncated, OPT kept */
	mkquery(&p, 0, "7.100.51.198.bl.test", T_TXT, 1, 100, 0, 0);
	assert_int_equal(run(&p, 0), p.len);
	assert_true(flag(F_TC));
	assert_int_equal(count(3), 1);

	/* with EDNS 1232 it fits: three strings, 255 + 255 + 90 */
	mkquery(&p, 0, "7.100.51.198.bl.test", T_TXT, 1, 1232, 0, 0);
	assert_true(run(&p, 0) > 512);
	assert_false(flag(F_TC));
	assert_txt(want);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_rd_count(rr), 3);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(rr, 0)), 256);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(rr, 1)), 256);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(rr, 2)), 91);

	/* over TCP without EDNS: fits */
	mkquery(&p, 0, "7.100.51.198.bl.test", T_TXT, 1, NO_EDNS, 0, 0);
	assert_true(run(&p, 1) > 512);
	assert_false(flag(F_TC));
	assert_txt(want);

	/* 1300 bytes: over 1232 even when the client offers 4096 */
	for (i = 0; i < 1300; i++)
		want[i] = 'y';
	want[1300] = '\0';
	mkquery(&p, 0, "8.100.51.198.bl.test", T_TXT, 1, 4096, 0, 0);
	assert_int_equal(run(&p, 0), p.len);
	assert_true(flag(F_TC));
	assert_true(run(&p, 1) > 1300);
	assert_false(flag(F_TC));
	assert_txt(want);
	/* TCP bounded by the caller's buffer */
	assert_int_equal(run_with(zc, zi, &p, 1, 1000), p.len);
	assert_true(flag(F_TC));
	/* a client size between 512 and 1232 is honoured */
	mkquery(&p, 0, "7.100.51.198.bl.test", T_TXT, 1, 600, 0, 0);
	assert_int_equal(run(&p, 0), p.len);
	assert_true(flag(F_TC));
	mkquery(&p, 0, "7.100.51.198.bl.test", T_TXT, 1, 700, 0, 0);
	assert_true(run(&p, 0) > p.len);
	assert_false(flag(F_TC));
	assert_true(R.len <= 700);
}

/* NS names with addresses: A/AAAA answered, glue after NS answers. */
static void
test_ns_hosts(void **state)
{
	struct conf		 c;
	struct zone_conf	*z;
	struct pkt		 p;
	char			 err[256];
	ldns_rr			*rr;

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns", "ns1.BL.test 192.0.2.53 "
	    "2001:db8::53", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns", "ns2.example.org", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns", "ns3.bl.test", err, sizeof(err)),
	    0);
	z = zone_conf_new(&c, NULL, 7, err, sizeof(err));
	if (z == NULL)
		fail_msg("zone_conf_new: %s", err);
	assert_int_equal(z->nhosts, 3);
	assert_true(z->hosts[0].inzone);
	assert_false(z->hosts[1].inzone);
	assert_true(z->hosts[2].inzone);

	mkquery(&p, 0, "ns1.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_int_equal(rcode(), 0);
	assert_true(flag(F_AA));
	assert_int_equal(count(1), 1);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 0)), 0xc0000235);
	assert_name(ldns_rr_owner(rr), "ns1.bl.test.");

	mkquery(&p, 0, "NS1.bl.test", T_AAAA, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_int_equal(count(1), 1);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
	assert_memory_equal(ldns_rdf_data(ldns_rr_rdf(rr, 0)),
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x53", 16);

	mkquery(&p, 0, "ns1.bl.test", T_ANY, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_int_equal(count(1), 2);

	/* other types and an address-less in-zone NS: NODATA */
	mkquery(&p, 0, "ns1.bl.test", T_TXT, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_negative(0, "bl.test.", 300);
	mkquery(&p, 0, "ns3.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_negative(0, "bl.test.", 300);
	mkquery(&p, 0, "ns4.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_negative(3, "bl.test.", 300);

	/* NS answer: the glue in the additional section, before the OPT */
	mkquery(&p, 0, "bl.test", T_NS, 1, 1232, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 1232) > 0);
	assert_int_equal(count(1), 3);
	assert_int_equal(count(3), 3);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_additional(R.pkt)), 2);
	rr = rr_at(ldns_pkt_additional(R.pkt), 0);
	assert_name(ldns_rr_owner(rr), "ns1.bl.test.");
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	rr = rr_at(ldns_pkt_additional(R.pkt), 1);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
	assert_non_null(ldns_pkt_edns(R.pkt) ? R.pkt : NULL);
	zone_conf_free(z);

	/* the default NS ns.<zone> is in the zone: NODATA, not NXDOMAIN */
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test", err, sizeof(err)), 0);
	z = zone_conf_new(&c, NULL, 7, err, sizeof(err));
	assert_non_null(z);
	mkquery(&p, 0, "ns.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_negative(0, "bl.test.", 300);
	zone_conf_free(z);

	/* bad addresses are configuration errors naming the key */
	assert_int_equal(conf_set(&c, "ns", "ns1.bl.test 300.1.1.1", err,
	    sizeof(err)), 0);
	assert_null(zone_conf_new(&c, NULL, 7, err, sizeof(err)));
	assert_non_null(strstr(err, "ns"));
	assert_non_null(strstr(err, "300.1.1.1"));
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns", "ns1.bl.test 192.0.2.0/24", err,
	    sizeof(err)), 0);
	assert_null(zone_conf_new(&c, NULL, 7, err, sizeof(err)));
	conf_free(&c);
}

static void
test_zone_conf_meta(void **state)
{
	struct zone_meta	 m;
	struct zone_conf	*z;
	struct conf		 c;
	struct pkt		 p;
	char			 err[256];
	ldns_rr			*rr;

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test.", err, sizeof(err)),
	    0);
	memset(&m, 0, sizeof(m));
	m.soa = "3600 ns1.example.org. admin@example.org 0 2h 30m 1w 600";
	m.ns = "$NS 7200 a.ns.example. B.NS.example";
	m.ttl = 900;
	assert_non_null(z = zone_conf_new(&c, &m, 9, err, sizeof(err)));
	mkquery(&p, 0, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_ttl(rr), 3600);
	assert_name(ldns_rr_rdf(rr, 0), "ns1.example.org.");
	assert_name(ldns_rr_rdf(rr, 1), "admin.example.org.");
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 2)), 9);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 3)), 7200);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 4)), 1800);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 5)), 7 * 86400);
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 6)), 600);
	mkquery(&p, 0, "bl.test", T_NS, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_int_equal(count(1), 2);
	rr = rr_at(ldns_pkt_answer(R.pkt), 1);
	assert_int_equal(ldns_rr_ttl(rr), 7200);
	assert_name(ldns_rr_rdf(rr, 0), "b.ns.example.");
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_int_equal(ldns_rr_ttl(rr_at(ldns_pkt_answer(R.pkt), 0)), 900);
	mkquery(&p, 0, "foo.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_negative(3, "bl.test.", 600);	/* min(3600, 600) */
	zone_conf_free(z);

	/* the config wins where it sets a key */
	assert_int_equal(conf_set(&c, "soa_mname", "Master.bl.test", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "soa_rname", "john.doe@example.org",
	    err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns", "ns1.bl.test.", err,
	    sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ttl", "45m", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "soa_retry", "5m", err, sizeof(err)),
	    0);
	assert_non_null(z = zone_conf_new(&c, &m, 9, err, sizeof(err)));
	mkquery(&p, 0, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_ttl(rr), 2700);
	assert_name(ldns_rr_rdf(rr, 0), "master.bl.test.");
	assert_name(ldns_rr_rdf(rr, 1), "john\\.doe.example.org.");
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 3)), 7200);	/* meta */
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 4)), 300);	/* conf */
	mkquery(&p, 0, "bl.test", T_NS, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	assert_int_equal(count(1), 1);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_name(ldns_rr_rdf(rr, 0), "ns1.bl.test.");
	assert_int_equal(ldns_rr_ttl(rr), 2700);
	zone_conf_free(z);
	conf_free(&c);

	/* bad meta lines are ignored */
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test", err, sizeof(err)),
	    0);
	m.soa = "3600 ns1.example.org. admin.example.org 0 2h 30m";
	m.ns = "7200 bad..name";
	m.ttl = -1;
	assert_non_null(z = zone_conf_new(&c, &m, 1, err, sizeof(err)));
	mkquery(&p, 0, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_true(run_with(z, zi, &p, 0, 512) > 0);
	rr = rr_at(ldns_pkt_answer(R.pkt), 0);
	assert_int_equal(ldns_rr_ttl(rr), 2100);
	assert_name(ldns_rr_rdf(rr, 0), "ns.bl.test.");
	assert_int_equal(rdf_u32(ldns_rr_rdf(rr, 3)), 3600);
	zone_conf_free(z);

	/* bad config values are errors */
	assert_int_equal(conf_set(&c, "soa_mname", "a..b", err, sizeof(err)),
	    0);
	err[0] = '\0';
	assert_null(zone_conf_new(&c, NULL, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "soa_mname"));
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bad..zone", err, sizeof(err)),
	    0);
	assert_null(zone_conf_new(&c, NULL, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "zone"));
	conf_free(&c);
	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "bl.test", err, sizeof(err)),
	    0);
	assert_int_equal(conf_set(&c, "ttl", "30000d", err, sizeof(err)), 0);
	assert_null(zone_conf_new(&c, NULL, 1, err, sizeof(err)));
	conf_free(&c);
	zone_conf_free(NULL);
}

static void
test_no_index(void **state)
{
	struct pkt	 p;

	(void)state;
	mkquery(&p, 0, "2.0.0.127.bl.test", T_A, 1, NO_EDNS, 0, 0);
	assert_true(run_with(zc, NULL, &p, 0, 512) > 0);
	assert_int_equal(rcode(), 2);
	mkquery(&p, 0, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_true(run_with(zc, NULL, &p, 0, 512) > 0);
	assert_int_equal(rcode(), 0);
	assert_int_equal(count(1), 1);
	mkquery(&p, 0, "bl.test", T_SOA, 1, NO_EDNS, 0, 0);
	assert_true(run_with(NULL, NULL, &p, 0, 512) > 0);
	assert_int_equal(rcode(), 5);
}

static void
test_stats(void **state)
{
	struct answer_stats	 s0 = st;

	(void)state;
	ask("2.0.0.127.bl.test", T_A);
	ask("bl.test", T_SOA);
	ask("1.0.0.127.bl.test", T_A);
	ask("0.127.bl.test", T_A);
	ask("example.com", T_A);
	assert_int_equal(st.noerror, s0.noerror + 2);
	assert_int_equal(st.nxdomain, s0.nxdomain + 1);
	assert_int_equal(st.nodata, s0.nodata + 1);
	assert_int_equal(st.refused, s0.refused + 1);
	assert_int_equal(st.formerr, s0.formerr);
	assert_int_equal(st.truncated, s0.truncated);
}

static int
teardown_reply(void **state)
{
	(void)state;
	reply_clear();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_apex, teardown_reply),
		cmocka_unit_test_teardown(test_header_bits, teardown_reply),
		cmocka_unit_test_teardown(test_listed_v4, teardown_reply),
		cmocka_unit_test_teardown(test_testpoints, teardown_reply),
		cmocka_unit_test_teardown(test_listed_v6, teardown_reply),
		cmocka_unit_test_teardown(test_ent, teardown_reply),
		cmocka_unit_test_teardown(test_nxdomain_garbage, teardown_reply),
		cmocka_unit_test_teardown(test_neg_ttl, teardown_reply),
		cmocka_unit_test_teardown(test_case_preserved, teardown_reply),
		cmocka_unit_test_teardown(test_refused, teardown_reply),
		cmocka_unit_test_teardown(test_longest_match, teardown_reply),
		cmocka_unit_test_teardown(test_formerr, teardown_reply),
		cmocka_unit_test_teardown(test_drop, teardown_reply),
		cmocka_unit_test_teardown(test_notimp, teardown_reply),
		cmocka_unit_test_teardown(test_edns, teardown_reply),
		cmocka_unit_test_teardown(test_badvers, teardown_reply),
		cmocka_unit_test_teardown(test_truncation, teardown_reply),
		cmocka_unit_test_teardown(test_ns_hosts, teardown_reply),
		cmocka_unit_test_teardown(test_zone_conf_meta, teardown_reply),
		cmocka_unit_test_teardown(test_no_index, teardown_reply),
		cmocka_unit_test_teardown(test_stats, teardown_reply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
