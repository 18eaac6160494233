/*
 * pktfix.h -- DNS messages built by hand for the unit tests of the
 * parsers and the answers (test_query, test_answer, test_xfr_req): every
 * byte under the test's control.  Include after <cmocka.h>.
 */
#ifndef ORBL_PKTFIX_H
#define ORBL_PKTFIX_H

#include <stdint.h>
#include <string.h>

#define PKTFIX_UNUSED	__attribute__((unused))

struct pkt {
	uint8_t	 b[1024];
	size_t	 len;
};

static void	put8(struct pkt *, uint8_t) PKTFIX_UNUSED;
static void	put16(struct pkt *, uint16_t) PKTFIX_UNUSED;
static void	pkt_put32(struct pkt *, uint32_t) PKTFIX_UNUSED;
static void	putname(struct pkt *, const char *) PKTFIX_UNUSED;

static void
put8(struct pkt *p, uint8_t v)
{
	assert_true(p->len < sizeof(p->b));
	p->b[p->len++] = v;
}

static void
put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void
pkt_put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

/* "a.b.c" (case kept) to wire form, root appended. */
static void
putname(struct pkt *p, const char *name)
{
	const char	*s = name, *dot;
	size_t		 l;

	while (*s) {
		dot = strchr(s, '.');
		l = dot ? (size_t)(dot - s) : strlen(s);
		put8(p, (uint8_t)l);
		memcpy(p->b + p->len, s, l);
		p->len += l;
		s += l;
		if (*s == '.')
			s++;
	}
	put8(p, 0);
}

#endif
