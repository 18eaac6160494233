/*
 * xfr_req.h -- read a zone transfer request (AXFR, RFC 5936; IXFR, RFC
 * 1995): the question, IXFR's SOA in the authority section (the serial
 * the secondary has), and where its TSIG is.  Pure and bounded: reads
 * untrusted bytes, allocates nothing (fuzzed by tests/fuzz/fuzz_xfr_req.c).
 */
#ifndef ORBL_XFR_REQ_H
#define ORBL_XFR_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "tsig.h"

#define XFR_T_SOA	6
#define XFR_T_IXFR	251
#define XFR_T_AXFR	252

struct xfr_req {
	uint16_t	 id;
	uint16_t	 qtype;		/* XFR_T_AXFR or XFR_T_IXFR */
	uint16_t	 qclass;
	uint8_t		 qname[255];	/* lower case, wire */
	size_t		 qnamelen;
	size_t		 qend;		/* the question is msg[12..qend) */
	int		 has_serial;	/* IXFR: an SOA in the authority */
	uint32_t	 serial;	/* the secondary's */
	int		 has_tsig;
	struct tsig_rr	 tsig;
};

enum xfr_req_result {
	XFR_REQ_OK,
	XFR_REQ_NOTXFR,		/* a well-formed message, not a transfer */
	XFR_REQ_FORMERR		/* malformed: FORMERR (or drop, no header) */
};

enum xfr_req_result xfr_req_parse(const uint8_t *msg, size_t len,
	    struct xfr_req *);

#endif
