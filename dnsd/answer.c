/*
 * answer.c -- the reply writer (hot path).  The zone data it writes from
 * is pre-rendered by zone_conf.c.
 *
 * answer_build() writes a complete reply into the caller's buffer: no
 * allocation, no lock, no logging; outcomes are counted in answer_stats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "answer.h"
#include "conf.h"
#include "xmalloc.h"
#include "zone_conf.h"

#define DNS_HDRLEN	12
#define DNS_MAXMSG	65535

#define F_QR		0x8000
#define F_AA		0x0400
#define F_TC		0x0200
#define F_RD		0x0100
#define F_CD		0x0010

#define RCODE_NOERROR	0
#define RCODE_FORMERR	1
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define RCODE_NOTIMP	4
#define RCODE_REFUSED	5
#define RCODE_BADVERS	16	/* extended: needs OPT */
#define RCODE_BADCOOKIE	23	/* the same */
#define EDNS_OPT_COOKIE	10

#define T_A		1
#define T_NS		2
#define T_SOA		6
#define T_MX		15
#define T_TXT		16
#define T_AAAA		28
#define T_OPT		41
#define T_IXFR		251
#define T_AXFR		252
#define T_ANY		255
#define C_IN		1
#define C_ANY		255

const char *const answer_qtype_names[ANSWER_QT_N] = {
	"A", "NS", "SOA", "MX", "TXT", "AAAA", "ANY", "AXFR", "IXFR", "other"
};
const char *const answer_rcode_names[ANSWER_RC_N] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"BADVERS"
};

/* ------------------------------------------------------------------ */
/* Hot path: the reply writer. */

static enum answer_qtype
qtype_index(uint16_t qtype)
{
	switch (qtype) {
	case T_A:
		return ANSWER_QT_A;
	case T_NS:
		return ANSWER_QT_NS;
	case T_SOA:
		return ANSWER_QT_SOA;
	case T_MX:
		return ANSWER_QT_MX;
	case T_TXT:
		return ANSWER_QT_TXT;
	case T_AAAA:
		return ANSWER_QT_AAAA;
	case T_ANY:
		return ANSWER_QT_ANY;
	case T_AXFR:
		return ANSWER_QT_AXFR;
	case T_IXFR:
		return ANSWER_QT_IXFR;
	default:
		return ANSWER_QT_OTHER;
	}
}

/* Sticky-error writer: a write past end sets err and writes nothing. */
struct wr {
	uint8_t		*base, *p, *end;
	int		 err;
};

static void
wr_bytes(struct wr *w, const void *src, size_t n)
{
	if (w->err || (size_t)(w->end - w->p) < n) {
		w->err = 1;
		return;
	}
	memcpy(w->p, src, n);
	w->p += n;
}

static void
wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void
wr_u16(struct wr *w, uint16_t v)
{
	uint8_t	 b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, 2);
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	uint8_t	 b[4];

	put32(b, v);
	wr_bytes(w, b, 4);
}

static void
wr_zname(struct wr *w, const struct zname *n, uint16_t apexoff)
{
	if (!n->under_apex) {
		wr_bytes(w, n->wire, n->len);
		return;
	}
	wr_bytes(w, n->wire, n->prefix);
	wr_u16(w, (uint16_t)(0xc000 | apexoff));
}

/* RR header with a compressed owner; returns where RDLENGTH goes. */
static uint8_t *
wr_rrhead(struct wr *w, uint16_t owner, uint16_t type, uint32_t ttl)
{
	uint8_t	*rdlen;

	wr_u16(w, (uint16_t)(0xc000 | owner));
	wr_u16(w, type);
	wr_u16(w, C_IN);
	wr_u32(w, ttl);
	rdlen = w->p;
	wr_u16(w, 0);
	return rdlen;
}

static void
wr_rdlen(struct wr *w, uint8_t *rdlen)
{
	size_t	 n;

	if (w->err)
		return;
	n = (size_t)(w->p - rdlen - 2);
	if (n > 0xffff) {
		w->err = 1;
		return;
	}
	rdlen[0] = (uint8_t)(n >> 8);
	rdlen[1] = (uint8_t)n;
}

static void
wr_soa(struct wr *w, const struct zone *z, uint16_t apexoff, uint32_t ttl)
{
	uint8_t	*rdlen;

	rdlen = wr_rrhead(w, apexoff, T_SOA, ttl);
	wr_zname(w, &z->mname, apexoff);
	wr_zname(w, &z->rname, apexoff);
	wr_bytes(w, z->soa_tail, sizeof(z->soa_tail));
	wr_rdlen(w, rdlen);
}

/* The NS RRset; nameoff[i] is where the i-th NS name was written. */
static void
wr_ns(struct wr *w, const struct zone *z, uint16_t apexoff,
    uint16_t *nameoff)
{
	uint8_t	*rdlen;
	int	 i;

	for (i = 0; i < z->nns; i++) {
		rdlen = wr_rrhead(w, apexoff, T_NS, z->ns_ttl);
		nameoff[i] = (uint16_t)(w->p - w->base);
		wr_zname(w, &z->ns[i], apexoff);
		wr_rdlen(w, rdlen);
	}
}

/* The addresses of host h, owner compressed to offset owner. */
static int
wr_host(struct wr *w, const struct ns_host *h, uint16_t owner, int v4,
    int v6, uint32_t ttl)
{
	uint8_t	*rdlen;
	int	 i, n = 0;

	for (i = 0; v4 && i < h->nv4; i++, n++) {
		rdlen = wr_rrhead(w, owner, T_A, ttl);
		wr_bytes(w, h->v4[i], 4);
		wr_rdlen(w, rdlen);
	}
	for (i = 0; v6 && i < h->nv6; i++, n++) {
		rdlen = wr_rrhead(w, owner, T_AAAA, ttl);
		wr_bytes(w, h->v6[i], 16);
		wr_rdlen(w, rdlen);
	}
	return n;
}

/*
 * The in-zone NS names' addresses after an NS answer, as far as they fit
 * in front of the OPT (reserve bytes): the additional section is
 * optional, so what does not fit is left out rather than truncating.
 */
static int
wr_glue(struct wr *w, const struct zone_conf *zc, const struct zone *z,
    const uint16_t *nameoff, size_t reserve)
{
	uint8_t		*start = w->p, *end = w->end;
	int		 i, n = 0;

	if (w->err || (size_t)(w->end - w->p) < reserve)
		return 0;
	w->end -= reserve;
	for (i = 0; i < z->nns; i++)
		if (z->ns_host[i] >= 0 && nameoff[i] < 0x3fff)
			n += wr_host(w, &zc->hosts[z->ns_host[i]],
			    nameoff[i], 1, 1, z->ns_ttl);
	w->end = end;
	if (w->err) {
		w->err = 0;
		w->p = start;
		n = 0;
	}
	return n;
}

/* A query for one of our NS names inside the zone (hot path: the
 * lengths differ for almost every name). */
static const struct ns_host *
host_match(const struct zone_conf *zc, const struct query *q)
{
	const struct ns_host	*h;
	int			 i;

	for (i = 0; i < zc->nhosts; i++) {
		h = &zc->hosts[i];
		if (h->inzone && h->name.len == q->namelen &&
		    memcmp(h->name.wire, q->name, q->namelen) == 0)
			return h;
	}
	return NULL;
}

/* TXT state: split the text into character-strings of <= 255 bytes. */
struct txt {
	struct wr	*w;
	uint8_t		*lenp;		/* length byte of the current string */
};

static void
txt_start(struct txt *t)
{
	t->lenp = t->w->p;
	wr_u8(t->w, 0);
	if (t->w->err)
		t->lenp = NULL;
}

static void
txt_put(struct txt *t, const char *s, size_t n)
{
	size_t	 room, k;

	while (n > 0 && !t->w->err) {
		room = 255 - *t->lenp;
		if (room == 0) {
			txt_start(t);
			if (t->w->err)
				return;
			room = 255;
		}
		k = n < room ? n : room;
		wr_bytes(t->w, s, k);
		if (t->w->err)
			return;
		*t->lenp = (uint8_t)(*t->lenp + k);
		s += k;
		n -= k;
	}
}

static void
wr_txt(struct wr *w, const struct zi_value *v, const char *addr,
    size_t addrlen, uint32_t ttl)
{
	struct txt	 t;
	uint8_t		*rdlen;
	const char	*s, *e, *d;

	rdlen = wr_rrhead(w, DNS_HDRLEN, T_TXT, ttl);
	t.w = w;
	txt_start(&t);
	if (w->err)
		return;
	s = v->txt != NULL ? v->txt : "";
	e = s + (v->txt != NULL ? v->txtlen : 0);
	while (s < e) {
		if ((d = memchr(s, '$', (size_t)(e - s))) == NULL)
			d = e;
		txt_put(&t, s, (size_t)(d - s));
		if (d < e) {
			txt_put(&t, addr, addrlen);
			d++;
		}
		s = d;
	}
	wr_rdlen(w, rdlen);
}

/* Address text for '$': dotted quad, or RFC 5952 IPv6. */
static size_t
fmt_u8(char *b, unsigned int v)
{
	size_t	 n = 0;

	if (v >= 100)
		b[n++] = (char)('0' + v / 100);
	if (v >= 10)
		b[n++] = (char)('0' + v / 10 % 10);
	b[n++] = (char)('0' + v % 10);
	return n;
}

static size_t
fmt_ip4(char *b, const uint8_t a[4])
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < 4; i++) {
		if (i)
			b[n++] = '.';
		n += fmt_u8(b + n, a[i]);
	}
	return n;
}

static size_t
fmt_ip6(char *b, const uint8_t a[16])
{
	static const char	 hex[] = "0123456789abcdef";
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	unsigned int		 g[8];
	int			 i, best = -1, bestlen = 0, run, shift;
	size_t			 n = 0;

	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		memcpy(b, "::ffff:", 7);
		return 7 + fmt_ip4(b + 7, a + 12);
	}
	for (i = 0; i < 8; i++)
		g[i] = (unsigned int)(a[2 * i] << 8 | a[2 * i + 1]);
	/* RFC 5952 4.2: the longest run of >= 2 zero groups, first wins */
	for (i = 0; i < 8; i += run > 0 ? run : 1) {
		for (run = 0; i + run < 8 && g[i + run] == 0; run++)
			;
		if (run >= 2 && run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			b[n++] = ':';
			if (i == 0)
				b[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		for (shift = 12; shift > 0 && (g[i] >> shift) == 0; shift -= 4)
			;
		for (; shift >= 0; shift -= 4)
			b[n++] = hex[(g[i] >> shift) & 0xf];
		if (i < 7)
			b[n++] = ':';
	}
	return n;
}

static const struct zone *
zone_match(const struct zone_conf *zc, const struct query *q)
{
	const struct zone	*z, *best = NULL;
	const uint8_t		*suffix;
	int			 i;

	if (zc == NULL)
		return NULL;
	for (i = 0; i < zc->nzones; i++) {
		z = &zc->zones[i];
		if (z->nlabels > q->nlabels ||
		    (best != NULL && z->nlabels <= best->nlabels))
			continue;
		suffix = z->nlabels == 0 ? q->name + q->namelen - 1 :
		    q->name + q->label[q->nlabels - z->nlabels];
		if ((size_t)(q->name + q->namelen - suffix) == z->apexlen &&
		    memcmp(suffix, z->apex, z->apexlen) == 0)
			best = z;
	}
	return best;
}

/* One canonical decimal octet label: "0".."255", no leading zeros. */
static int
label_dec(const uint8_t *l, unsigned int *v)
{
	unsigned int	 n = 0;
	int		 i;

	if (l[0] < 1 || l[0] > 3 || (l[0] > 1 && l[1] == '0'))
		return 0;
	for (i = 1; i <= l[0]; i++) {
		if (l[i] < '0' || l[i] > '9')
			return 0;
		n = n * 10 + (unsigned int)(l[i] - '0');
	}
	if (n > 255)
		return 0;
	*v = n;
	return 1;
}

/* One nibble label (the name is lower-cased already). */
static int
label_nib(const uint8_t *l, unsigned int *v)
{
	if (l[0] != 1)
		return 0;
	if (l[1] >= '0' && l[1] <= '9')
		*v = (unsigned int)(l[1] - '0');
	else if (l[1] >= 'a' && l[1] <= 'f')
		*v = (unsigned int)(l[1] - 'a' + 10);
	else
		return 0;
	return 1;
}

enum outcome { OUT_ANSWER, OUT_NODATA, OUT_NXDOMAIN, OUT_SERVFAIL };

/* Below the apex: an RFC 5782 name, listed or not. */
static enum outcome
answer_listing(struct wr *w, const struct zone *z,
    const struct zone_index *zi, const struct query *q, int *ancount,
    struct answer_stats *st)
{
	const struct zi_value	*v = NULL;
	uint8_t			 ip4[4] = { 0 }, ip6[16] = { 0 };
	unsigned int		 d, k, r;
	int			 dec = 1, nib = 1, i, ent;
	char			 text[64];
	size_t			 textlen = 0;
	uint32_t		 ip;

	r = (unsigned int)(q->nlabels - z->nlabels);
	for (i = 0; i < (int)r && (dec || nib); i++) {
		const uint8_t *l = q->name + q->label[i];

		k = r - 1 - (unsigned int)i;	/* 0 = most significant */
		if (dec && k < 4 && label_dec(l, &d))
			ip4[k] = (uint8_t)d;
		else
			dec = 0;
		if (nib && k < 32 && label_nib(l, &d))
			ip6[k / 2] |= (uint8_t)(k % 2 ? d : d << 4);
		else
			nib = 0;
	}
	if ((!dec || r > 4) && (!nib || r > 32))
		return OUT_NXDOMAIN;
	if (zi == NULL)
		return OUT_SERVFAIL;	/* no index loaded yet */
	ip = (uint32_t)ip4[0] << 24 | (uint32_t)ip4[1] << 16 |
	    (uint32_t)ip4[2] << 8 | ip4[3];
	if (dec && r == 4) {
		v = zone_index_lookup4(zi, ip);
		textlen = v ? fmt_ip4(text, ip4) : 0;
	} else if (nib && r == 32) {
		v = zone_index_lookup6(zi, ip6);
		textlen = v ? fmt_ip6(text, ip6) : 0;
	}
	if ((dec && r == 4) || (nib && r == 32))
		counter_inc(v != NULL ? &st->listed : &st->not_listed);
	if (v == NULL) {
		ent = (dec && r < 4 && zone_index_has4(zi, ip, (int)(8 * r))) ||
		    (nib && r < 32 && zone_index_has6(zi, ip6, (int)(4 * r)));
		return ent ? OUT_NODATA : OUT_NXDOMAIN;
	}
	switch (q->qtype) {
	case T_A:
	case T_ANY:		/* RFC 8482: minimal, the A record only */
		wr_u16(w, 0xc000 | DNS_HDRLEN);
		wr_u16(w, T_A);
		wr_u16(w, C_IN);
		wr_u32(w, z->ttl);
		wr_u16(w, 4);
		wr_u32(w, v->code);
		*ancount = 1;
		return OUT_ANSWER;
	case T_TXT:
		wr_txt(w, v, text, textlen, z->ttl);
		*ancount = 1;
		return OUT_ANSWER;
	default:
		return OUT_NODATA;
	}
}

/* The access rules' answer for a name below the apex. */
static enum outcome
answer_policy(struct wr *w, const struct zone *z, const struct query *q,
    const struct answer_opts *o, int *ancount)
{
	struct zi_value	 v;

	if (o->mode == ANSWER_BLOCKED) {
		v.code = ANSWER_BLOCKED_A;
		v.txt = z->blocked_txt;
		v.txtlen = z->blocked_txtlen;
	} else {
		v.code = ANSWER_EXCESSIVE_A;
		v.txt = z->excess_txt;
		v.txtlen = z->excess_txtlen;
	}
	switch (q->qtype) {
	case T_A:
	case T_ANY:
		wr_u16(w, 0xc000 | DNS_HDRLEN);
		wr_u16(w, T_A);
		wr_u16(w, C_IN);
		wr_u32(w, z->neg_ttl);
		wr_u16(w, 4);
		wr_u32(w, v.code);
		*ancount = 1;
		return OUT_ANSWER;
	case T_TXT:
		wr_txt(w, &v, o->src ? o->src : "", o->src ? o->srclen : 0,
		    z->neg_ttl);
		*ancount = 1;
		return OUT_ANSWER;
	default:
		return OUT_NODATA;
	}
}

static void
wr_header(uint8_t *out, const struct query *q, unsigned int flags,
    int qd, int an, int ns, int ar)
{
	/* RD and CD are defined for QUERY only: another opcode's reply
	 * echoes neither (genreport's opcodeflg test). */
	flags |= F_QR | (unsigned int)(q->opcode & 0x0f) << 11;
	if (q->opcode == 0)
		flags |= q->flags & (F_RD | F_CD);
	out[0] = (uint8_t)(q->id >> 8);
	out[1] = (uint8_t)q->id;
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[4] = 0;
	out[5] = (uint8_t)qd;
	out[6] = (uint8_t)(an >> 8);
	out[7] = (uint8_t)an;
	out[8] = (uint8_t)(ns >> 8);
	out[9] = (uint8_t)ns;
	out[10] = (uint8_t)(ar >> 8);
	out[11] = (uint8_t)ar;
}

static const struct answer_opts	 opts_normal = { ANSWER_NORMAL, NULL, 0,
				    NULL, 0 };

static size_t
opt_len(const struct query *q, const struct answer_opts *o)
{
	if (!q->edns)
		return 0;
	return 11 + (o->cookie != NULL ? 4 + o->cookielen : 0);
}

static void
wr_opt(struct wr *w, const struct query *q, int rcode,
    const struct answer_opts *o)
{
	wr_u8(w, 0);			/* root owner */
	wr_u16(w, T_OPT);
	wr_u16(w, ANSWER_EDNS_SIZE);
	wr_u8(w, (uint8_t)(rcode >> 4));
	wr_u8(w, 0);			/* version */
	wr_u16(w, q->edns_do ? 0x8000 : 0);
	if (o->cookie == NULL) {
		wr_u16(w, 0);
		return;
	}
	wr_u16(w, (uint16_t)(4 + o->cookielen));
	wr_u16(w, EDNS_OPT_COOKIE);
	wr_u16(w, (uint16_t)o->cookielen);
	wr_bytes(w, o->cookie, o->cookielen);
}

size_t
answer_build(const struct zone_conf *zc, const struct zone_index *zi,
    const uint8_t *pkt, size_t len, const struct query *q,
    enum query_result qr, int tcp, uint8_t *out, size_t outcap,
    struct answer_stats *st)
{
	return answer_build_ex(zc, zi, pkt, len, q, qr, tcp, out, outcap, st,
	    NULL);
}

size_t
answer_slip(uint8_t *out, size_t len, const struct query *q,
    const struct answer_opts *opts, int badcookie)
{
	size_t	 qend = DNS_HDRLEN, optlen;

	optlen = opt_len(q, opts != NULL ? opts : &opts_normal);

	if (len < DNS_HDRLEN)
		return len;
	if (out[5] == 1 && q->has_question)
		qend = q->qend;
	if (len < qend + optlen)
		return len;
	memmove(out + qend, out + len - optlen, optlen);
	if (badcookie && optlen > 0) {
		out[3] = (uint8_t)((out[3] & 0xf0) | (RCODE_BADCOOKIE & 0x0f));
		out[qend + 5] = RCODE_BADCOOKIE >> 4;
	} else
		out[2] |= F_TC >> 8;
	memset(out + 6, 0, 4);
	out[10] = 0;
	out[11] = q->edns ? 1 : 0;
	return qend + optlen;
}

size_t
answer_build_ex(const struct zone_conf *zc, const struct zone_index *zi,
    const uint8_t *pkt, size_t len, const struct query *q,
    enum query_result qr, int tcp, uint8_t *out, size_t outcap,
    struct answer_stats *st, const struct answer_opts *opts)
{
	const struct zone	*z = NULL;
	struct wr		 w;
	size_t			 limit, qlen = 0;
	uint8_t			*sections;
	unsigned int		 flags = 0;
	int			 rcode = RCODE_NOERROR, an = 0, ns = 0;
	int			 qd = 0, soa_auth = 0;
	uint16_t		 apexoff = 0;
	enum outcome		 o;
	const struct ns_host	*h;
	uint16_t		 nameoff[CONF_MAX_LIST];
	int			 ar = 0;

	if (opts == NULL)
		opts = &opts_normal;
	if (qr == QUERY_DROP || q == NULL || out == NULL) {
		counter_inc(&st->dropped);
		return 0;
	}
	if (tcp)
		limit = DNS_MAXMSG;
	else if (q->edns) {
		limit = q->edns_size < ANSWER_EDNS_SIZE ? q->edns_size :
		    ANSWER_EDNS_SIZE;
		if (limit < 512)
			limit = 512;
	} else
		limit = 512;
	if (limit > outcap)
		limit = outcap;

	if (q->has_question && q->qend > DNS_HDRLEN && q->qend <= len) {
		qd = 1;
		qlen = q->qend - DNS_HDRLEN;
	}
	if (limit < DNS_HDRLEN + qlen + opt_len(q, opts)) {
		/* the caller's buffer is below 512 bytes */
		counter_inc(&st->dropped);
		return 0;
	}
	w.base = out;
	w.p = out + DNS_HDRLEN;
	w.end = out + limit;
	w.err = 0;
	wr_bytes(&w, pkt + DNS_HDRLEN, qlen);
	sections = w.p;

	switch (qr) {
	case QUERY_FORMERR:
		rcode = RCODE_FORMERR;
		counter_inc(&st->formerr);
		goto finish;
	case QUERY_NOTIMP:
		rcode = RCODE_NOTIMP;
		counter_inc(&st->notimp);
		goto finish;
	default:
		break;
	}
	if (!qd) {		/* QUERY_OK always has its question */
		rcode = RCODE_FORMERR;
		counter_inc(&st->formerr);
		goto finish;
	}
	if (q->edns && q->edns_version > 0) {
		rcode = RCODE_BADVERS;
		counter_inc(&st->badvers);
		goto finish;
	}
	if (opts->mode == ANSWER_REFUSE) {
		rcode = RCODE_REFUSED;
		counter_inc(&st->refused);
		goto finish;
	}
	if ((q->qclass != C_IN && q->qclass != C_ANY) ||
	    (z = zone_match(zc, q)) == NULL ||
	    q->qtype == T_AXFR || q->qtype == T_IXFR) {
		rcode = RCODE_REFUSED;
		counter_inc(&st->refused);
		goto finish;
	}
	flags |= F_AA;
	apexoff = (uint16_t)(DNS_HDRLEN + (z->nlabels == 0 ?
	    q->namelen - 1 : q->label[q->nlabels - z->nlabels]));

	if (q->nlabels == z->nlabels) {
		switch (q->qtype) {
		case T_SOA:
		case T_ANY:	/* RFC 8482: minimal, the SOA only */
			wr_soa(&w, z, apexoff, z->soa_ttl);
			an = 1;
			o = OUT_ANSWER;
			break;
		case T_NS:
			wr_ns(&w, z, apexoff, nameoff);
			an = z->nns;
			ar = wr_glue(&w, zc, z, nameoff, opt_len(q, opts));
			o = OUT_ANSWER;
			break;
		default:
			o = OUT_NODATA;
			break;
		}
	} else if ((h = host_match(zc, q)) != NULL) {
		an = wr_host(&w, h, DNS_HDRLEN, q->qtype == T_A ||
		    q->qtype == T_ANY, q->qtype == T_AAAA || q->qtype == T_ANY,
		    z->ns_ttl);
		o = an > 0 ? OUT_ANSWER : OUT_NODATA;
	} else if (opts->mode != ANSWER_NORMAL)
		o = answer_policy(&w, z, q, opts, &an);
	else
		o = answer_listing(&w, z, zi, q, &an, st);

	switch (o) {
	case OUT_ANSWER:
		counter_inc(&st->noerror);
		break;
	case OUT_NODATA:
		counter_inc(&st->nodata);
		soa_auth = 1;
		break;
	case OUT_NXDOMAIN:
		rcode = RCODE_NXDOMAIN;
		counter_inc(&st->nxdomain);
		soa_auth = 1;
		break;
	case OUT_SERVFAIL:
		rcode = RCODE_SERVFAIL;
		flags &= ~(unsigned int)F_AA;
		counter_inc(&st->servfail);
		break;
	}
	if (soa_auth) {
		wr_soa(&w, z, apexoff, z->neg_ttl);
		ns = 1;
	}

finish:
	if (q->edns)
		wr_opt(&w, q, rcode, opts);
	if (w.err) {
		/* Does not fit: header, question and OPT, with TC set. */
		w.err = 0;
		w.p = sections;
		an = ns = ar = 0;
		flags |= F_TC;
		counter_inc(&st->truncated);
		if (q->edns)
			wr_opt(&w, q, rcode, opts);
	}
	counter_inc(&st->queries[qd ? qtype_index(q->qtype) :
	    ANSWER_QT_OTHER][rcode == RCODE_BADVERS ? ANSWER_RC_BADVERS :
	    rcode]);
	wr_header(out, q, flags | (rcode & 0x0f), qd, an, ns,
	    ar + (q->edns ? 1 : 0));
	return (size_t)(w.p - out);
}
