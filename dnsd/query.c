/*
 * query.c -- parse a DNS query packet (hot path).
 *
 * Pure and bounded: one pass over the packet with a sticky-error reader,
 * no allocation, no logging.  The question is copied lower-cased into
 * struct query; the answer and authority sections are skipped with their
 * bounds checked; the additional section is searched for an EDNS0 OPT RR
 * (RFC 6891).
 */
#include <string.h>

#include "query.h"

#define DNS_HDRLEN	12
#define DNS_FLAG_QR	0x8000
#define DNS_TYPE_OPT	41
#define DNS_TYPE_TSIG	250
#define EDNS_MIN_SIZE	512
#define EDNS_DO		0x8000
#define EDNS_OPT_COOKIE	10

/* Knot-style reader: once err is set every read returns 0. */
struct rd {
	const uint8_t	*p, *end;
	int		 err;
};

static uint8_t
rd_u8(struct rd *r)
{
	if (r->err || r->end - r->p < 1) {
		r->err = 1;
		return 0;
	}
	return *r->p++;
}

static uint16_t
rd_u16(struct rd *r)
{
	if (r->err || r->end - r->p < 2) {
		r->err = 1;
		return 0;
	}
	r->p += 2;
	return (uint16_t)(r->p[-2] << 8 | r->p[-1]);
}

static uint32_t
rd_u32(struct rd *r)
{
	uint32_t	 hi;

	hi = rd_u16(r);
	return hi << 16 | rd_u16(r);
}

static void
rd_skip(struct rd *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = 1;
		return;
	}
	r->p += n;
}

/*
 * The question name: plain labels only (a compression pointer in the
 * question is an error), copied lower-cased with its label offsets.
 */
static void
rd_qname(struct rd *r, struct query *q)
{
	uint8_t	 c, len, i;

	q->namelen = 0;
	q->nlabels = 0;
	for (;;) {
		len = rd_u8(r);
		if (r->err)
			return;
		if (len == 0)
			break;
		if (len > 63 || q->namelen + 1 + len + 1 > QUERY_NAME_MAX ||
		    (size_t)(r->end - r->p) < len) {
			/* pointer, extended label type, too long, truncated */
			r->err = 1;
			return;
		}
		q->label[q->nlabels++] = (uint8_t)q->namelen;
		q->name[q->namelen++] = len;
		for (i = 0; i < len; i++) {
			c = *r->p++;
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			q->name[q->namelen++] = c;
		}
	}
	q->name[q->namelen++] = 0;
}

/*
 * Skip a name in the answer, authority or additional section: a
 * compression pointer ends it (its target is not followed, so loops
 * cannot hurt).  Sets *root if the name is the root itself.
 */
static void
rd_skipname(struct rd *r, int *root)
{
	uint8_t	 len;
	int	 total = 0;

	*root = 0;
	for (;;) {
		len = rd_u8(r);
		if (r->err)
			return;
		if (len == 0) {
			*root = total == 0;
			return;
		}
		if ((len & 0xc0) == 0xc0) {
			rd_skip(r, 1);
			return;
		}
		if (len > 63) {
			r->err = 1;
			return;
		}
		total += 1 + len;
		if (total + 1 > QUERY_NAME_MAX) {
			r->err = 1;
			return;
		}
		rd_skip(r, len);
	}
}

/*
 * Check the OPT RDATA: a sequence of {code, length, data} options.  A
 * COOKIE option is copied into q; a malformed or second one sets
 * *badcookie (FORMERR, RFC 7873 5.2.2) without failing the OPT.
 */
static void
rd_edns_options(struct rd *r, uint16_t rdlen, struct query *q,
    int *badcookie)
{
	struct rd	 o;
	uint16_t	 code, olen;

	if (r->err || (size_t)(r->end - r->p) < rdlen) {
		r->err = 1;
		return;
	}
	o.p = r->p;
	o.end = r->p + rdlen;
	o.err = 0;
	while (!o.err && o.p < o.end) {
		code = rd_u16(&o);
		olen = rd_u16(&o);
		if (!o.err && code == EDNS_OPT_COOKIE &&
		    (size_t)(o.end - o.p) >= olen) {
			/* 8: client cookie only; 16..40: with a server
			 * cookie of 8..32 bytes */
			if (q->cookie_len > 0 || *badcookie ||
			    (olen != QUERY_COOKIE_CLIENT &&
			    (olen < 16 || olen > 40)))
				*badcookie = 1;
			else {
				memcpy(q->cookie, o.p, olen);
				q->cookie_len = (uint8_t)olen;
			}
		}
		rd_skip(&o, olen);
	}
	if (o.err)
		r->err = 1;
	r->p += rdlen;
}

/* The answer and authority RRs (skipped) and the additional RRs. */
static void
rd_records(struct rd *r, struct query *q, const uint8_t *pkt,
    unsigned int skip, unsigned int arcount, int *badcookie)
{
	const uint8_t	*rr;
	unsigned int	 i;
	uint16_t	 type, size, rdlen;
	uint32_t	 ttl;
	int		 root;

	for (i = 0; i < skip && !r->err; i++) {
		rd_skipname(r, &root);
		rd_skip(r, 8);			/* type, class, ttl */
		rd_skip(r, rd_u16(r));		/* rdata */
	}
	for (i = 0; i < arcount && !r->err; i++) {
		rr = r->p;
		rd_skipname(r, &root);
		type = rd_u16(r);
		if (type == DNS_TYPE_TSIG) {
			/* RFC 8945 5.1: the last record, or FORMERR */
			if (i + 1 != arcount || rr - pkt > UINT16_MAX) {
				r->err = 1;
				return;
			}
			q->tsig_off = (uint16_t)(rr - pkt);
		}
		if (type != DNS_TYPE_OPT) {
			rd_skip(r, 6);
			rd_skip(r, rd_u16(r));
			continue;
		}
		if (!root || q->edns) {
			/* OPT owner must be the root; at most one OPT */
			r->err = 1;
			return;
		}
		size = rd_u16(r);
		ttl = rd_u32(r);
		rdlen = rd_u16(r);
		rd_edns_options(r, rdlen, q, badcookie);
		if (r->err)
			return;
		q->edns = 1;
		q->edns_size = size < EDNS_MIN_SIZE ? EDNS_MIN_SIZE : size;
		q->edns_version = (uint8_t)(ttl >> 16);
		q->edns_do = (ttl & EDNS_DO) != 0;
	}
}

static void
query_reset_edns(struct query *q)
{
	q->edns = 0;
	q->edns_size = 0;
	q->edns_version = 0;
	q->edns_do = 0;
	q->cookie_len = 0;
	q->tsig_off = 0;
}

enum query_result
query_parse(const uint8_t *pkt, size_t len, struct query *q)
{
	struct rd	 r;
	uint16_t	 qdcount, ancount, nscount, arcount;
	int		 badcookie = 0;

	q->has_question = 0;
	q->namelen = 0;
	q->nlabels = 0;
	q->qend = 0;
	q->qtype = q->qclass = 0;
	query_reset_edns(q);
	if (pkt == NULL || len < DNS_HDRLEN)
		return QUERY_DROP;
	if (len > 65535)
		len = 65535;	/* more than TCP can frame: ignore the rest */

	r.p = pkt;
	r.end = pkt + len;
	r.err = 0;
	q->id = rd_u16(&r);
	q->flags = rd_u16(&r);
	q->opcode = (uint8_t)((q->flags >> 11) & 0x0f);
	if (q->flags & DNS_FLAG_QR)
		return QUERY_DROP;
	qdcount = rd_u16(&r);
	ancount = rd_u16(&r);
	nscount = rd_u16(&r);
	arcount = rd_u16(&r);

	if (qdcount != 1)
		return q->opcode != 0 ? QUERY_NOTIMP : QUERY_FORMERR;
	rd_qname(&r, q);
	q->qtype = rd_u16(&r);
	q->qclass = rd_u16(&r);
	if (r.err) {
		q->namelen = 0;
		q->nlabels = 0;
		return q->opcode != 0 ? QUERY_NOTIMP : QUERY_FORMERR;
	}
	q->qend = (uint16_t)(r.p - pkt);
	q->has_question = 1;

	rd_records(&r, q, pkt, (unsigned int)ancount + nscount, arcount,
	    &badcookie);
	if (r.err) {
		/* a broken OPT (or RR before it) is answered without OPT */
		query_reset_edns(q);
		return q->opcode != 0 ? QUERY_NOTIMP : QUERY_FORMERR;
	}
	if (badcookie) {
		/* the OPT is sound: FORMERR with OPT, no cookie echoed */
		q->cookie_len = 0;
		return q->opcode != 0 ? QUERY_NOTIMP : QUERY_FORMERR;
	}
	return q->opcode != 0 ? QUERY_NOTIMP : QUERY_OK;
}
