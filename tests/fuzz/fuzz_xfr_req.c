/*
 * fuzz_xfr_req.c -- zone transfer requests as orbl-dnsd reads them
 * (xfr_req_parse: question, IXFR's SOA, TSIG) on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xfr_req.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfr_req	 q;
	volatile size_t	 sink = 0;

	if (xfr_req_parse(data, size, &q) == XFR_REQ_OK) {
		sink += q.qnamelen + q.qend + q.serial;
		if (q.has_tsig)
			sink += q.tsig.maclen + q.tsig.otherlen +
			    q.tsig.namelen + q.tsig.alglen;
	}
	(void)sink;
	return 0;
}
