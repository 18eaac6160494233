/*
 * fuzz_dnsq_reply.c -- libFuzzer target for what another list's DNS
 * server (or anyone who can send a UDP datagram to orblctl check's or
 * orbl-web's check socket) makes dnsq_reply_read parse.
 *
 * Input: one byte of flags (bit 0: TXT, else A; bit 1: over TCP; bit 2:
 * the expected id is not the message's own), then the message.  The
 * query is for 2.0.0.127.bl.test (the seeds are replies to it), with the
 * message's own id unless bit 2 says otherwise, so most inputs get past
 * the id check and reach the records.  Checked: the result is one of the
 * four, read twice it is the same, the answer stays within DNSQ_MAXRR, a
 * TXT string has no control byte, "why" stays terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsq.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static ldns_rdf	*qname;

static enum dnsq_reply
read_once(const uint8_t *msg, size_t len, uint16_t id, ldns_rr_type type,
    int tcp, struct dnsq_answer *ans, char *why, size_t whylen)
{
	enum dnsq_reply	 r;
	int		 i;

	memset(ans, 0, sizeof(*ans));
	memset(why, 0, whylen);
	r = dnsq_reply_read(msg, len, id, qname, type, tcp, ans, why, whylen);
	if (r != DNSQ_IGNORE && r != DNSQ_TRUNCATED && r != DNSQ_ANSWERED &&
	    r != DNSQ_RCODE)
		abort();
	if (why[whylen - 1] != '\0')
		abort();
	if (r != DNSQ_ANSWERED) {
		if (ans->ncodes != 0 || ans->ntxt != 0)
			abort();
		return r;
	}
	if (ans->ncodes < 0 || ans->ncodes > DNSQ_MAXRR || ans->ntxt < 0 ||
	    ans->ntxt > DNSQ_MAXRR)
		abort();
	for (i = 0; i < ans->ntxt; i++) {
		const unsigned char *p = (const unsigned char *)ans->txt[i];

		if (p == NULL)
			abort();
		for (; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				abort();
	}
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsq_answer	 a1, a2;
	char			 w1[256], w2[256];
	enum dnsq_reply		 r1, r2;
	ldns_rr_type		 type;
	uint16_t		 id;
	int			 tcp, i;

	if (qname == NULL &&
	    ldns_str2rdf_dname(&qname, "2.0.0.127.bl.test.") != LDNS_STATUS_OK)
		abort();
	if (size < 1)
		return 0;
	type = data[0] & 1 ? LDNS_RR_TYPE_TXT : LDNS_RR_TYPE_A;
	tcp = (data[0] & 2) != 0;
	data++;
	size--;
	id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	if (data[-1] & 4)
		id ^= 0x5a5a;
	r1 = read_once(data, size, id, type, tcp, &a1, w1, sizeof(w1));
	r2 = read_once(data, size, id, type, tcp, &a2, w2, sizeof(w2));
	if (r1 != r2 || strcmp(w1, w2) != 0 || a1.ncodes != a2.ncodes ||
	    a1.ntxt != a2.ntxt ||
	    memcmp(a1.codes, a2.codes, sizeof(a1.codes[0]) *
	    (size_t)a1.ncodes) != 0)
		abort();
	for (i = 0; i < a1.ntxt; i++)
		if (strcmp(a1.txt[i], a2.txt[i]) != 0)
			abort();
	if (r1 == DNSQ_ANSWERED) {
		dnsq_answer_free(&a1);
		dnsq_answer_free(&a2);
	}
	return 0;
}
