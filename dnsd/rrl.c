/*
 * rrl.c -- see rrl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rrl.h"
#include "xmalloc.h"

/* A slot word: tag (24 bits) | second (16 bits) | count (24 bits). */
#define W_TAG(w)	((uint32_t)((w) >> 40))
#define W_SEC(w)	((uint32_t)((w) >> 24) & 0xffff)
#define W_CNT(w)	((uint32_t)(w) & RRL_COUNT_MAX)
#define W_MAKE(t, s, c)	((uint64_t)(t) << 40 | (uint64_t)((s) & 0xffff) << 24 | \
			    (uint64_t)(c))
#define CAS_TRIES	4

int
rrl_init(struct rrl *r, const struct conf *c, int alloc, char *err,
    size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (c->rrl_rate < 0 || c->rrl_rate > RRL_COUNT_MAX / 2) {
		snprintf(err, errlen, "rrl_rate: %lld out of range (0..%d)",
		    c->rrl_rate, RRL_COUNT_MAX / 2);
		return -1;
	}
	if (c->rrl_slip < 0 || c->rrl_slip > 100) {
		snprintf(err, errlen, "rrl_slip: %lld out of range (0..100)",
		    c->rrl_slip);
		return -1;
	}
	if (c->rrl_prefix4 < 1 || c->rrl_prefix4 > 32) {
		snprintf(err, errlen, "rrl_prefix4: %lld out of range (1..32)",
		    c->rrl_prefix4);
		return -1;
	}
	if (c->rrl_prefix6 < 1 || c->rrl_prefix6 > 128) {
		snprintf(err, errlen, "rrl_prefix6: %lld out of range "
		    "(1..128)", c->rrl_prefix6);
		return -1;
	}
	if (cidr_list_parse(&r->exempt, "rrl_exempt", c->rrl_exempt,
	    c->nrrl_exempt, err, errlen) == -1)
		return -1;
	r->rate = (uint32_t)c->rrl_rate;
	r->slip = (uint32_t)c->rrl_slip;
	r->prefix4 = (int)c->rrl_prefix4;
	r->prefix6 = (int)c->rrl_prefix6;
	if (!alloc)
		return 0;
	if (RAND_bytes(r->key, sizeof(r->key)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		return -1;
	}
	if (r->rate > 0)
		r->slots = xcalloc(RRL_SLOTS, sizeof(r->slots[0]));
	return 0;
}

void
rrl_free(struct rrl *r)
{
	free(r->slots);
	r->slots = NULL;
}

uint64_t
rrl_src_hash(const struct rrl *r, const struct src *s)
{
	uint8_t	 b[17];
	int	 bits = s->family == 4 ? r->prefix4 : r->prefix6;
	int	 full = bits / 8, rest = bits % 8;

	memset(b, 0, sizeof(b));
	b[0] = (uint8_t)s->family;
	memcpy(b + 1, s->ip, (size_t)full);
	if (rest)
		b[1 + full] = s->ip[full] & (uint8_t)(0xff << (8 - rest));
	return siphash24(r->key, b, sizeof(b));
}

enum rrl_class
rrl_classify(const uint8_t *reply)
{
	int	 rcode = reply[3] & 0x0f;

	if (rcode == 3)
		return RRL_NXDOMAIN;
	if (rcode != 0)
		return RRL_ERROR;
	return (reply[6] | reply[7]) ? RRL_ANSWER : RRL_NODATA;
}

enum rrl_verdict
rrl_account(struct rrl *r, uint64_t h, enum rrl_class c, uint32_t now)
{
	_Atomic uint64_t	*slot;
	uint64_t		 hc, w[2], old;
	uint32_t		 tag, idx, cnt = 0, over;
	int			 k, try, v;

	if (r->rate == 0 || r->slots == NULL)
		return RRL_SEND;
	hc = h ^ (uint64_t)(c + 1) * 0x9e3779b97f4a7c15ULL;
	hc ^= hc >> 29;
	idx = (uint32_t)hc & (RRL_SLOTS - 1);
	if ((tag = (uint32_t)(hc >> 40)) == 0)
		tag = 1;			/* 0 is an empty slot */
	now &= 0xffff;
	for (try = 0; try < CAS_TRIES; try++) {
		for (k = 0, v = -1; k < 2; k++) {
			w[k] = atomic_load_explicit(&r->slots[idx ^ k],
			    memory_order_relaxed);
			if (W_TAG(w[k]) == tag)
				v = k;
		}
		if (v == -1) {
			/* Take the slot not counting this second, else the
			 * one with the fewer responses. */
			if (W_SEC(w[0]) != now)
				v = 0;
			else if (W_SEC(w[1]) != now)
				v = 1;
			else
				v = W_CNT(w[1]) < W_CNT(w[0]);
			cnt = 0;
		} else
			cnt = W_SEC(w[v]) == now ? W_CNT(w[v]) : 0;
		if (cnt < RRL_COUNT_MAX)
			cnt++;
		slot = &r->slots[idx ^ (uint32_t)v];
		old = w[v];
		if (atomic_compare_exchange_weak_explicit(slot, &old,
		    W_MAKE(tag, now, cnt), memory_order_relaxed,
		    memory_order_relaxed))
			break;
	}
	if (try == CAS_TRIES || cnt <= r->rate)
		return RRL_SEND;
	/* Every slip-th response over the rate goes out truncated, among
	 * the first `rate` over it: at most rate + rate / slip replies leave
	 * per second, however hard the flood. */
	over = cnt - r->rate;
	if (r->slip > 0 && over <= r->rate && over % r->slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}
