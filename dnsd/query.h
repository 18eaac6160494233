/*
 * query.h -- parse a DNS query packet (hot path: pure, bounded, no
 * allocation, no logging).  Fuzzed by tests/fuzz/fuzz_query.c.
 */
#ifndef ORBL_QUERY_H
#define ORBL_QUERY_H

#include <stddef.h>
#include <stdint.h>

#define QUERY_NAME_MAX		255	/* wire length, root label included */
#define QUERY_LABELS_MAX	128

enum query_result {
	QUERY_OK,	/* a well-formed standard query: answer it */
	QUERY_DROP,	/* not a query at all (too short, QR set): no reply */
	QUERY_FORMERR,	/* header readable, question or OPT malformed, or
			   a malformed COOKIE option (RFC 7873 5.2.2: the
			   OPT is kept for the reply) */
	QUERY_NOTIMP	/* opcode other than QUERY */
};

struct query {
	uint16_t	 id;
	uint16_t	 flags;		/* header flags word as received */
	uint8_t		 opcode;
	uint16_t	 qtype, qclass;
	/* The question name, lower-cased, in wire form (ends in the root). */
	uint8_t		 name[QUERY_NAME_MAX];
	uint16_t	 namelen;
	/* label i starts at name[label[i]] (its length byte); root excluded */
	uint8_t		 nlabels;
	uint8_t		 label[QUERY_LABELS_MAX];
	/* The question as received (case kept, RFC 0x20 clients): pkt[12..qend) */
	uint16_t	 qend;
	int		 has_question;	/* qdcount == 1 and parsed */
	/* EDNS0 (RFC 6891) */
	int		 edns;		/* an OPT RR was present */
	uint16_t	 edns_size;	/* requestor's UDP payload size */
	uint8_t		 edns_version;
	int		 edns_do;
	/* DNS COOKIE option (RFC 7873): client cookie (8 bytes), then the
	 * server cookie if any (8..32 bytes); cookie_len 0: none. */
	uint8_t		 cookie_len;
	uint8_t		 cookie[40];
	/* TSIG (RFC 8945): where the TSIG RR starts, 0: none.  It is the
	 * last additional record (one elsewhere is FORMERR); tsig.c reads
	 * it (a signed query is answered off the per-query path). */
	uint16_t	 tsig_off;
};

#define QUERY_COOKIE_CLIENT	8	/* client cookie length */

enum query_result query_parse(const uint8_t *pkt, size_t len, struct query *);

#endif
