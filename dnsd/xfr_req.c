/*
 * xfr_req.c -- see xfr_req.h.
 */
#include <string.h>

#include "xfr_req.h"

#define HDRLEN		12
#define F_QR		0x8000
#define OPCODE(f)	(((f) >> 11) & 0x0f)

struct rd {
	const uint8_t	*p, *end;
	int		 err;
};

static uint16_t
rd16(struct rd *r)
{
	uint16_t	 v;

	if (r->err || r->end - r->p < 2) {
		r->err = 1;
		return 0;
	}
	v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static uint32_t
rd32(struct rd *r)
{
	uint32_t	 hi = rd16(r);

	return hi << 16 | rd16(r);
}

static void
rdskip(struct rd *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = 1;
		return;
	}
	r->p += n;
}

/* A name, uncompressed (the question) into out (lower case) if out. */
static void
rdname(struct rd *r, uint8_t *out, size_t *outlen)
{
	size_t	 n = 0;
	uint8_t	 l;

	for (;;) {
		if (r->err || r->p >= r->end) {
			r->err = 1;
			return;
		}
		l = *r->p;
		if (l >= 0xc0) {	/* a pointer ends the name */
			if (out != NULL) {	/* not in a question */
				r->err = 1;
				return;
			}
			rdskip(r, 2);
			return;
		}
		if (l > 63 || n + 1 + l > 255 ||
		    (size_t)(r->end - r->p) < 1u + l) {
			r->err = 1;
			return;
		}
		if (out != NULL) {
			size_t i;

			out[n] = l;
			for (i = 1; i <= l; i++) {
				uint8_t c = r->p[i];

				out[n + i] = c >= 'A' && c <= 'Z' ?
				    (uint8_t)(c + 32) : c;
			}
		}
		n += 1u + l;
		r->p += 1u + l;
		if (l == 0)
			break;
	}
	if (outlen != NULL)
		*outlen = n;
}

enum xfr_req_result
xfr_req_parse(const uint8_t *msg, size_t len, struct xfr_req *q)
{
	struct rd	 r = { msg, msg + len, 0 };
	uint16_t	 flags, qd, an, ns, type, rdlen;
	const uint8_t	*rdata;
	unsigned int	 i;

	memset(q, 0, sizeof(*q));
	if (len < HDRLEN || len > 65535)
		return XFR_REQ_FORMERR;
	q->id = rd16(&r);
	flags = rd16(&r);
	qd = rd16(&r);
	an = rd16(&r);
	ns = rd16(&r);
	(void)rd16(&r);
	if ((flags & F_QR) || OPCODE(flags) != 0 || qd != 1)
		return XFR_REQ_NOTXFR;
	rdname(&r, q->qname, &q->qnamelen);
	q->qtype = rd16(&r);
	q->qclass = rd16(&r);
	if (r.err)
		return XFR_REQ_FORMERR;
	q->qend = (size_t)(r.p - msg);
	if (q->qtype != XFR_T_AXFR && q->qtype != XFR_T_IXFR)
		return XFR_REQ_NOTXFR;
	/* answer RRs (none expected), then the authority: IXFR's SOA */
	for (i = 0; i < (unsigned int)an + ns && !r.err; i++) {
		rdname(&r, NULL, NULL);
		type = rd16(&r);
		rdskip(&r, 6);
		rdlen = rd16(&r);
		rdata = r.p;
		rdskip(&r, rdlen);
		if (r.err)
			break;
		if (i >= an && type == XFR_T_SOA && !q->has_serial) {
			struct rd s = { rdata, rdata + rdlen, 0 };

			rdname(&s, NULL, NULL);		/* MNAME */
			rdname(&s, NULL, NULL);		/* RNAME */
			q->serial = rd32(&s);
			rdskip(&s, 16);
			if (s.err || s.p != s.end)
				return XFR_REQ_FORMERR;
			q->has_serial = 1;
		}
	}
	if (r.err)
		return XFR_REQ_FORMERR;
	if (q->qtype == XFR_T_IXFR && !q->has_serial)
		return XFR_REQ_FORMERR;		/* RFC 1995 3 */
	switch (tsig_find(msg, len, &q->tsig)) {
	case 1:
		q->has_tsig = 1;
		break;
	case 0:
		break;
	default:
		return XFR_REQ_FORMERR;
	}
	return XFR_REQ_OK;
}
