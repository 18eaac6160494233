/*
 * test_dnsq.c -- unit tests for core/dnsq.c, the DNS client of orblctl
 * check and orbl-web's check page, and core/dnsbl_check.c's pure parts
 * (the reading of a list's A answer, a list as configured).
 * The reading of replies (pure): A codes and TXT strings of the type
 * asked for only, NXDOMAIN as an answer, RCODE names, replies to another
 * id or question ignored with the reason the timeout will give, TC over
 * UDP (to TCP) but not over TCP, malformed messages, the cap on records
 * kept.  The --timeout and server parsers.  And a run on loopback: a
 * responder in a child process answers one query, a silent socket lets
 * another time out, a cancelled query never reports; the same run
 * started on a base that serves other events meanwhile (the check page
 * in orbl-web's loop): they run while the queries wait, and the end
 * callback comes once, from the loop, and may free the run.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ldns/ldns.h>
#include <event2/event.h>

#include "dnsbl_check.h"
#include "dnsq.h"

#define QNAME	"1.2.0.192.bl.test."
#define QID	0x4242

static ldns_rdf *
dname(const char *s)
{
	ldns_rdf	*r = NULL;

	assert_int_equal(ldns_str2rdf_dname(&r, s), LDNS_STATUS_OK);
	return r;
}

/*
 * A reply to (name, type) with id, rcode and the RRs given as text
 * (NULL-terminated); flags: qr, tc.  Wire form in *buf (free it).
 */
static size_t
reply(uint8_t **buf, uint16_t id, const char *name, ldns_rr_type type,
    ldns_pkt_rcode rcode, int qr, int tc, ...)
{
	ldns_pkt	*p;
	ldns_rr		*rr;
	va_list		 ap;
	const char	*s;
	size_t		 len;

	assert_non_null(p = ldns_pkt_query_new(dname(name), type,
	    LDNS_RR_CLASS_IN, LDNS_RD));
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, qr);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	va_start(ap, tc);
	while ((s = va_arg(ap, const char *)) != NULL) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, s, 60, NULL, NULL),
		    LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr));
	}
	va_end(ap);
	assert_int_equal(ldns_pkt2wire(buf, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return len;
}

/* Read the reply as one to (QID, QNAME, type). */
static enum dnsq_reply
read_as(const uint8_t *buf, size_t len, ldns_rr_type type, int tcp,
    struct dnsq_answer *a, char *why, size_t whylen)
{
	ldns_rdf	*q = dname(QNAME);
	enum dnsq_reply	 r;

	memset(a, 0, sizeof(*a));
	why[0] = '\0';
	r = dnsq_reply_read(buf, len, QID, q, type, tcp, a, why, whylen);
	ldns_rdf_deep_free(q);
	return r;
}

static void
test_answer_a(void **state)
{
	struct dnsq_answer	 a;
	uint8_t			*b;
	size_t			 n;
	char			 why[64];

	(void)state;
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 1, 0,
	    QNAME " 60 IN A 127.0.0.2", QNAME " 60 IN TXT \"not asked\"",
	    QNAME " 60 IN A 127.255.255.254", QNAME " 60 CH A 127.0.0.9",
	    (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_ANSWERED);
	assert_int_equal(a.ncodes, 2);		/* IN A only */
	assert_int_equal(a.codes[0], 0x7f000002);
	assert_int_equal(a.codes[1], 0x7fffffFE);
	assert_int_equal(a.ntxt, 0);
	dnsq_answer_free(&a);
	free(b);

	/* NXDOMAIN is an answer: not listed. */
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 1, 0,
	    (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_ANSWERED);
	assert_int_equal(a.ncodes, 0);
	free(b);
}

static void
test_answer_txt(void **state)
{
	struct dnsq_answer	 a;
	uint8_t			*b;
	size_t			 n;
	char			 why[64];

	(void)state;
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, 1, 0,
	    QNAME " 60 IN TXT \"via tcp\" \"joined\"",
	    QNAME " 60 IN TXT \"bell\\007 and\\010 \\\"q\\\" caf\\195\\169\"",
	    QNAME " 60 IN A 127.0.0.2", (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_TXT, 0, &a, why,
	    sizeof(why)), DNSQ_ANSWERED);
	assert_int_equal(a.ncodes, 0);
	assert_int_equal(a.ntxt, 2);
	assert_string_equal(a.txt[0], "via tcpjoined");
	/* control bytes shown as '?'; quotes and UTF-8 kept */
	assert_string_equal(a.txt[1], "bell? and? \"q\" caf\xc3\xa9");
	dnsq_answer_free(&a);
	assert_int_equal(a.ntxt, 0);
	free(b);
}

/* At most DNSQ_MAXRR records of a kind are kept. */
static void
test_answer_cap(void **state)
{
	struct dnsq_answer	 a;
	ldns_pkt		*p;
	ldns_rr			*rr;
	uint8_t			*b;
	size_t			 n;
	char			 s[128], why[64];
	int			 i;

	(void)state;
	assert_non_null(p = ldns_pkt_query_new(dname(QNAME), LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, LDNS_RD));
	ldns_pkt_set_id(p, QID);
	ldns_pkt_set_qr(p, 1);
	for (i = 0; i < DNSQ_MAXRR + 4; i++) {
		snprintf(s, sizeof(s), QNAME " 60 IN A 127.0.0.%d", i + 1);
		assert_int_equal(ldns_rr_new_frm_str(&rr, s, 60, NULL, NULL),
		    LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr));
	}
	assert_int_equal(ldns_pkt2wire(&b, p, &n), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_ANSWERED);
	assert_int_equal(a.ncodes, DNSQ_MAXRR);
	assert_int_equal(a.codes[DNSQ_MAXRR - 1], 0x7f000000 | DNSQ_MAXRR);
	free(b);
}

static void
test_rcode(void **state)
{
	struct dnsq_answer	 a;
	uint8_t			*b;
	size_t			 n;
	char			 why[64];

	(void)state;
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, 1, 0,
	    (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_RCODE);
	assert_string_equal(why, "SERVFAIL");
	free(b);
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_REFUSED, 1, 0,
	    (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_RCODE);
	assert_string_equal(why, "REFUSED");
	free(b);
	/* An RCODE without a name. */
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, 13, 1, 0, (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_RCODE);
	assert_string_equal(why, "RCODE 13");
	free(b);
}

/* What is not a reply to the query is ignored, with the reason. */
static void
test_ignored(void **state)
{
	struct dnsq_answer	 a;
	uint8_t			*b, junk[16];
	size_t			 n;
	char			 why[64];

	(void)state;
	n = reply(&b, QID + 1, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 1,
	    0, QNAME " 60 IN A 127.0.0.2", (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a reply that did not match");
	assert_int_equal(a.ncodes, 0);
	free(b);
	/* our own query coming back (QR clear) */
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 0, 0,
	    (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a reply that did not match");
	free(b);
	/* another name, another type */
	n = reply(&b, QID, "2.2.0.192.bl.test.", LDNS_RR_TYPE_A,
	    LDNS_RCODE_NOERROR, 1, 0, (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a reply to another question");
	free(b);
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, 1, 0,
	    (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a reply to another question");
	free(b);
	/* the name compares without case */
	n = reply(&b, QID, "1.2.0.192.BL.Test.", LDNS_RR_TYPE_A,
	    LDNS_RCODE_NXDOMAIN, 1, 0, (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_ANSWERED);
	free(b);

	/* A header that promises a question it does not hold. */
	memset(junk, 0, sizeof(junk));
	junk[0] = QID >> 8;
	junk[1] = QID & 0xff;
	junk[2] = 0x81;
	junk[3] = 0x80;
	junk[5] = 1;		/* QDCOUNT 1 */
	junk[12] = 0x3f;	/* a label running past the end */
	assert_int_equal(read_as(junk, 14, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a malformed reply");
	assert_int_equal(read_as(junk, 3, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a malformed reply");
}

/* An empty question section: an error may say nothing of the question,
 * an answer must. */
static void
test_no_question(void **state)
{
	struct dnsq_answer	 a;
	uint8_t			 m[12];
	char			 why[64];

	(void)state;
	memset(m, 0, sizeof(m));
	m[0] = QID >> 8;
	m[1] = QID & 0xff;
	m[2] = 0x80;		/* QR */
	m[3] = 0x02;		/* SERVFAIL */
	assert_int_equal(read_as(m, sizeof(m), LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_RCODE);
	assert_string_equal(why, "SERVFAIL");
	m[3] = 0x00;		/* NOERROR */
	assert_int_equal(read_as(m, sizeof(m), LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
	assert_string_equal(why, "a reply to another question");
	m[3] = 0x03;		/* NXDOMAIN */
	assert_int_equal(read_as(m, sizeof(m), LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_IGNORE);
}

static void
test_truncated(void **state)
{
	struct dnsq_answer	 a;
	uint8_t			*b;
	size_t			 n;
	char			 why[64];

	(void)state;
	n = reply(&b, QID, QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 1, 1,
	    QNAME " 60 IN A 127.0.0.9", (char *)NULL);
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 0, &a, why,
	    sizeof(why)), DNSQ_TRUNCATED);
	assert_int_equal(a.ncodes, 0);
	/* over TCP a TC bit changes nothing: what came is the answer */
	assert_int_equal(read_as(b, n, LDNS_RR_TYPE_A, 1, &a, why,
	    sizeof(why)), DNSQ_ANSWERED);
	assert_int_equal(a.ncodes, 1);
	free(b);
}

static void
test_timeout_parse(void **state)
{
	static const char *const bad[] = { "", "0", "-1", "0.0", "abc",
	    "5s", "1e3", "61", "60.001", "nan", "inf", "0x", NULL };
	int64_t	 ms;
	int	 i;

	(void)state;
	assert_int_equal(dnsq_timeout_parse(NULL, 5000, &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(dnsq_timeout_parse("2", 5000, &ms), 0);
	assert_int_equal(ms, 2000);
	/* fractions are kept, not rounded to whole seconds */
	assert_int_equal(dnsq_timeout_parse("1.5", 5000, &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(dnsq_timeout_parse("0.5", 5000, &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(dnsq_timeout_parse("0.25", 5000, &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(dnsq_timeout_parse("0.0001", 5000, &ms), 0);
	assert_int_equal(ms, 1);
	assert_int_equal(dnsq_timeout_parse("60", 5000, &ms), 0);
	assert_int_equal(ms, 60000);
	for (i = 0; bad[i]; i++)
		if (dnsq_timeout_parse(bad[i], 5000, &ms) != -1)
			fail_msg("--timeout '%s' accepted", bad[i]);
}

static void
test_srv(void **state)
{
	struct dnsq_srv	 s;
	char		 b[80], err[128];

	(void)state;
	assert_int_equal(dnsq_srv_parse("127.0.0.1", &s, err, sizeof(err)), 0);
	assert_string_equal(dnsq_srv_fmt(&s, b, sizeof(b)), "127.0.0.1:53");
	assert_int_equal(dnsq_srv_parse("192.0.2.1:5353", &s, err,
	    sizeof(err)), 0);
	assert_string_equal(dnsq_srv_fmt(&s, b, sizeof(b)), "192.0.2.1:5353");
	assert_int_equal(dnsq_srv_parse("::1", &s, err, sizeof(err)), 0);
	assert_string_equal(dnsq_srv_fmt(&s, b, sizeof(b)), "[::1]:53");
	assert_int_equal(dnsq_srv_parse("[2001:db8::1]:5300", &s, err,
	    sizeof(err)), 0);
	assert_string_equal(dnsq_srv_fmt(&s, b, sizeof(b)),
	    "[2001:db8::1]:5300");
	assert_int_equal(s.len, sizeof(struct sockaddr_in6));
	assert_int_equal(dnsq_srv_parse("resolver.example", &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not an IP"));
	assert_int_equal(dnsq_srv_parse("127.0.0.1:99999", &s, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "bad port"));
	assert_int_equal(dnsq_srv_set(&s, "192.0.2.300", 53), -1);
	assert_int_equal(dnsq_srv_set(&s, "10.1.2.3", 1), 0);
	assert_int_equal(s.len, sizeof(struct sockaddr_in));
}

/* --- a run on loopback ------------------------------------------------ */

struct got {
	int	 calls, answered, ncodes;
	uint32_t code;
	char	 err[160];
};

static void
got_cb(const struct dnsq_result *r, void *arg)
{
	struct got	*g = arg;

	g->calls++;
	g->answered = r->answered;
	if (r->answered) {
		g->ncodes = r->ans->ncodes;
		g->code = r->ans->ncodes ? r->ans->codes[0] : 0;
	} else
		snprintf(g->err, sizeof(g->err), "%s", r->err);
	assert_true(r->ms >= 0);
}

/* A UDP socket on loopback (port in *port). */
static int
udp_on_loopback(uint16_t *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd;

	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* The child: answer every A query with 127.0.0.7, forever. */
static void
responder(int fd)
{
	uint8_t			 buf[512], *out;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	ldns_pkt		*q, *r;
	ldns_rr			*rr;
	ssize_t			 n;
	size_t			 len;
	char			 s[300], *name;

	for (;;) {
		sl = sizeof(ss);
		if ((n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&ss, &sl)) <= 0)
			continue;
		if (ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
			continue;
		rr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
		name = ldns_rdf2str(ldns_rr_owner(rr));
		r = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(rr)),
		    ldns_rr_get_type(rr), LDNS_RR_CLASS_IN, LDNS_RD);
		ldns_pkt_set_id(r, ldns_pkt_id(q));
		ldns_pkt_set_qr(r, 1);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A) {
			snprintf(s, sizeof(s), "%s 60 IN A 127.0.0.7", name);
			if (ldns_rr_new_frm_str(&rr, s, 60, NULL, NULL) ==
			    LDNS_STATUS_OK)
				ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
		}
		if (ldns_pkt2wire(&out, r, &len) == LDNS_STATUS_OK) {
			sendto(fd, out, len, 0, (struct sockaddr *)&ss, sl);
			free(out);
		}
		free(name);
		ldns_pkt_free(q);
		ldns_pkt_free(r);
	}
}

static void
test_run(void **state)
{
	struct event_base	*base;
	struct dnsq		*d;
	struct dnsq_query	*txt;
	struct dnsq_srv		 live, dead;
	struct got		 ga, gt, gd, gdt;
	ldns_rdf		*q = dname(QNAME);
	uint16_t		 lport, dport;
	pid_t			 pid;
	int			 lfd, dfd, st;

	(void)state;
	lfd = udp_on_loopback(&lport);
	dfd = udp_on_loopback(&dport);		/* nobody reads it */
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(dfd);
		responder(lfd);
		_exit(0);
	}
	close(lfd);
	assert_int_equal(dnsq_srv_set(&live, "127.0.0.1", lport), 0);
	assert_int_equal(dnsq_srv_set(&dead, "127.0.0.1", dport), 0);
	memset(&ga, 0, sizeof(ga));
	memset(&gt, 0, sizeof(gt));
	memset(&gd, 0, sizeof(gd));
	memset(&gdt, 0, sizeof(gdt));

	assert_non_null(base = event_base_new());
	d = dnsq_new(base, 400);
	dnsq_add(d, q, LDNS_RR_TYPE_A, &live, 1, got_cb, &ga);
	txt = dnsq_add(d, q, LDNS_RR_TYPE_TXT, &live, 1, got_cb, &gt);
	dnsq_add(d, q, LDNS_RR_TYPE_A, &dead, 1, got_cb, &gd);
	dnsq_add(d, q, LDNS_RR_TYPE_TXT, &dead, 1, got_cb, &gdt);
	dnsq_cancel(d, txt);		/* before the run: never sent */
	dnsq_run(d);
	assert_int_equal(dnsq_pending(d), 0);
	dnsq_free(d);
	event_base_free(base);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	/* every query that was not cancelled ended exactly once */
	assert_int_equal(ga.calls, 1);
	assert_true(ga.answered);
	assert_int_equal(ga.ncodes, 1);
	assert_int_equal(ga.code, 0x7f000007);
	assert_int_equal(gt.calls, 0);
	assert_int_equal(gd.calls, 1);
	assert_false(gd.answered);
	assert_string_equal(gd.err, "timeout");
	assert_int_equal(gdt.calls, 1);
	assert_string_equal(gdt.err, "timeout");

	/* The silent server got each query twice: the first send and the
	 * retry (at half the timeout); then the queries were given up. */
	{
		uint8_t	 buf[512];
		int	 nq = 0;

		while (recv(dfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			nq++;
		assert_true(nq >= 2 && nq <= 4);
	}
	close(dfd);
	ldns_rdf_deep_free(q);
}

/* --- the same run inside a loop that serves other things --------------- */

struct loop {
	struct event_base	*base;
	struct dnsq		*d;
	struct event		*other;
	int			 others;	/* the other event's runs */
	int			 others_at_end;
	int			 ends;
	struct got		 g;
};

/* Another user of the loop (an HTTP request, say): runs every 20 ms. */
static void
other_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct loop	*l = arg;

	(void)fd;
	(void)ev;
	l->others++;
}

static void
end_cb(void *arg)
{
	struct loop	*l = arg;

	l->ends++;
	l->others_at_end = l->others;
	assert_int_equal(dnsq_pending(l->d), 0);
	/* The end may free the run. */
	dnsq_free(l->d);
	l->d = NULL;
	event_del(l->other);
}

static void
test_start_in_loop(void **state)
{
	struct loop		 l;
	struct dnsq_srv		 dead;
	struct timeval		 tv = { 0, 20000 };
	ldns_rdf		*q = dname(QNAME);
	uint16_t		 dport;
	int			 dfd;

	(void)state;
	memset(&l, 0, sizeof(l));
	dfd = udp_on_loopback(&dport);		/* nobody answers */
	assert_int_equal(dnsq_srv_set(&dead, "127.0.0.1", dport), 0);
	assert_non_null(l.base = event_base_new());
	assert_non_null(l.other = event_new(l.base, -1, EV_PERSIST, other_cb,
	    &l));
	assert_int_equal(event_add(l.other, &tv), 0);
	l.d = dnsq_new(l.base, 300);
	dnsq_add(l.d, q, LDNS_RR_TYPE_A, &dead, 1, got_cb, &l.g);
	dnsq_start(l.d, end_cb, &l);
	/* dnsq_start returned at once: nothing ended yet. */
	assert_int_equal(l.g.calls, 0);
	assert_int_equal(l.ends, 0);
	assert_int_equal(dnsq_pending(l.d), 1);
	/* The loop runs until nothing is left: the other event is removed
	 * by the end callback. */
	assert_int_not_equal(event_base_dispatch(l.base), -1);
	assert_int_equal(l.ends, 1);
	assert_int_equal(l.g.calls, 1);
	assert_string_equal(l.g.err, "timeout");
	/* The other event kept running while the query waited: 300 ms of
	 * timeout at 20 ms a turn (a loaded machine runs fewer, never 0). */
	assert_true(l.others_at_end >= 1);
	assert_null(l.d);
	event_free(l.other);
	event_base_free(l.base);
	close(dfd);
	ldns_rdf_deep_free(q);
}

/* A run with nothing to ask ends, from the loop, at once. */
static void
test_start_empty(void **state)
{
	struct loop	 l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_non_null(l.base = event_base_new());
	assert_non_null(l.other = event_new(l.base, -1, 0, other_cb, &l));
	l.d = dnsq_new(l.base, 300);
	dnsq_start(l.d, end_cb, &l);
	assert_int_equal(l.ends, 0);	/* not from inside dnsq_start */
	assert_int_not_equal(event_base_dispatch(l.base), -1);
	assert_int_equal(l.ends, 1);
	event_free(l.other);
	event_base_free(l.base);
}

/* --- dnsbl_check's pure parts ---------------------------------------------- */

static void
test_classify(void **state)
{
	uint32_t	 c[4] = { 0, 0, 0, 0 };
	char		 err[DNSBL_ERRMAX];

	(void)state;
	assert_int_equal(dnsbl_classify(c, 0, err, sizeof(err)), DNSBL_CLEAR);
	c[0] = 0x7f000002;
	assert_int_equal(dnsbl_classify(c, 1, err, sizeof(err)),
	    DNSBL_LISTED);
	/* a list's own error code: an error, never a listing */
	c[0] = 0x7ffffffe;
	err[0] = '\0';
	assert_int_equal(dnsbl_classify(c, 1, err, sizeof(err)), DNSBL_ERROR);
	assert_non_null(strstr(err, "refused the query (code "
	    "127.255.255.254"));
	c[0] = 0x7fffff0a;
	assert_int_equal(dnsbl_classify(c, 1, err, sizeof(err)), DNSBL_ERROR);
	/* with a real code beside it, the real code counts */
	c[0] = 0x7ffffffe;
	c[1] = 0x7f00000a;
	assert_int_equal(dnsbl_classify(c, 2, err, sizeof(err)),
	    DNSBL_LISTED);
	/* outside 127/8: whatever else came, the zone is not a list now */
	c[2] = 0xc0000263;
	err[0] = '\0';
	assert_int_equal(dnsbl_classify(c, 3, err, sizeof(err)), DNSBL_ERROR);
	assert_non_null(strstr(err, "192.0.2.99 is outside 127.0.0.0/8"));
}

static void
test_spec(void **state)
{
	struct dnsq_srv	 s;
	const char	*z, *spec;
	char		 err[256], b[80];
	size_t		 zl;
	int		 has;

	(void)state;
	spec = "bl.example.org";
	assert_int_equal(dnsbl_spec_parse(spec, strlen(spec), "x: ", &z, &zl,
	    &s, &has, err, sizeof(err)), 0);
	assert_int_equal(has, 0);
	assert_int_equal(zl, strlen(spec));
	spec = "bl.test@127.0.0.1:5353,next";
	assert_int_equal(dnsbl_spec_parse(spec, 22, "x: ", &z, &zl, &s, &has,
	    err, sizeof(err)), 0);
	assert_int_equal(has, 1);
	assert_int_equal(zl, 7);
	assert_memory_equal(z, "bl.test", 7);
	assert_string_equal(dnsq_srv_fmt(&s, b, sizeof(b)), "127.0.0.1:5353");
	spec = "v6.test@[::1]:53";
	assert_int_equal(dnsbl_spec_parse(spec, strlen(spec), "x: ", &z, &zl,
	    &s, &has, err, sizeof(err)), 0);
	assert_string_equal(dnsq_srv_fmt(&s, b, sizeof(b)), "[::1]:53");
	spec = "bl.test@";
	assert_int_equal(dnsbl_spec_parse(spec, strlen(spec), "--lists: ", &z,
	    &zl, &s, &has, err, sizeof(err)), -1);
	assert_string_equal(err, "--lists: bad server in 'bl.test@'");
	spec = "bl.test@resolver.example";
	assert_int_equal(dnsbl_spec_parse(spec, strlen(spec), "", &z, &zl, &s,
	    &has, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an IP"));
}

/* dnsbl_check_add: bad zone names, the same list twice, the cap. */
static void
test_check_add(void **state)
{
	struct event_base	*base;
	struct dnsbl_check	*c;
	struct dnsq_srv		 s;
	struct addr		 a;
	char			 err[256], z[300];
	int			 i;

	(void)state;
	assert_non_null(base = event_base_new());
	assert_int_equal(addr_parse("192.0.2.1", &a, err, sizeof(err)), 0);
	assert_int_equal(dnsq_srv_set(&s, "127.0.0.1", 53), 0);
	c = dnsbl_check_new(base, &a, 1000);
	assert_int_equal(dnsbl_check_add(c, "bl.test.", 8, &s, 1, NULL, err,
	    sizeof(err)), 0);
	assert_string_equal(c->lists[0].zone, "bl.test");
	assert_int_equal(dnsbl_check_add(c, "BL.test", 7, &s, 1, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(c->nlists, 1);
	assert_int_equal(dnsbl_check_add(c, ".x", 2, &s, 1, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(dnsbl_check_add(c, "a..b", 4, &s, 1, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "bad zone name"));
	memset(z, 'a', sizeof(z));
	assert_int_equal(dnsbl_check_add(c, z, sizeof(z), &s, 1, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(dnsbl_check_add(c, "none.test", 9, NULL, 0,
	    "no resolver", err, sizeof(err)), 0);
	assert_true(c->lists[1].done);
	assert_string_equal(c->lists[1].err, "no resolver");
	for (i = c->nlists; i < DNSBL_MAXLISTS; i++) {
		snprintf(z, sizeof(z), "l%d.test", i);
		assert_int_equal(dnsbl_check_add(c, z, strlen(z), &s, 1, NULL,
		    err, sizeof(err)), 0);
	}
	assert_int_equal(dnsbl_check_add(c, "over.test", 9, &s, 1, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "too many lists"));
	assert_string_equal(c->rev, "1.2.0.192");
	dnsbl_check_free(c);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_a),
		cmocka_unit_test(test_answer_txt),
		cmocka_unit_test(test_answer_cap),
		cmocka_unit_test(test_rcode),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_no_question),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_timeout_parse),
		cmocka_unit_test(test_srv),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_start_in_loop),
		cmocka_unit_test(test_start_empty),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_check_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
