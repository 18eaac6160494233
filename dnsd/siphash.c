/*
 * siphash.c -- see siphash.h.
 */
#include <string.h>

#include "siphash.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
le64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct sip {
	uint64_t	 v0, v1, v2, v3;
};

static void
sipround(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

/* One 8-byte word: 2 compression rounds. */
static void
sipword(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

uint64_t
siphash24(const uint8_t key[SIPHASH_KEYLEN], const void *data, size_t len)
{
	const uint8_t	*p = data;
	struct sip	 s;
	uint64_t	 k0 = le64(key), k1 = le64(key + 8), last;
	uint8_t		 tail[8];
	size_t		 i, left = len % 8;

	s.v0 = k0 ^ 0x736f6d6570736575ULL;	/* "somepseudorandomly" */
	s.v1 = k1 ^ 0x646f72616e646f6dULL;	/* "generatedbytes" */
	s.v2 = k0 ^ 0x6c7967656e657261ULL;
	s.v3 = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8)
		sipword(&s, le64(p + i));
	/* The last word: the remaining bytes, the length's low byte on top. */
	memset(tail, 0, sizeof(tail));
	if (left > 0)
		memcpy(tail, p + i, left);
	last = le64(tail) | (uint64_t)(len & 0xff) << 56;
	sipword(&s, last);
	/* 4 finalization rounds */
	s.v2 ^= 0xff;
	sipround(&s);
	sipround(&s);
	sipround(&s);
	sipround(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
