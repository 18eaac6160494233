/*
 * rrl.h -- response rate limiting (rrl_rate, rrl_slip, rrl_prefix4/6,
 * rrl_exempt) and the source-prefix hash it shares with the daily limit.
 *
 * A fixed table of RRL_SLOTS 64-bit words, one per (source prefix,
 * response class): a tag, the second it counts and the responses counted
 * in it.  All UDP workers share it and update a word with one
 * compare-and-swap: no lock, and the limit holds per prefix however the
 * kernel spreads a flood's datagrams over the workers' SO_REUSEPORT
 * sockets (per-worker tables would let a flood through N times over).
 * A new prefix takes the staler or quieter of two slots, so a flood of
 * random sources cannot grow the table nor push a heavy hitter out.
 */
#ifndef ORBL_RRL_H
#define ORBL_RRL_H

#include <stdatomic.h>
#include <stdint.h>

#include "acl.h"
#include "conf.h"
#include "siphash.h"

#define RRL_SLOTS	(1 << 16)	/* 512 KiB */
#define RRL_COUNT_MAX	0xffffff

enum rrl_class { RRL_ANSWER, RRL_NODATA, RRL_NXDOMAIN, RRL_ERROR };
enum rrl_verdict { RRL_SEND, RRL_DROP, RRL_SLIP };

struct rrl {
	uint32_t		 rate, slip;	/* rate 0: off */
	int			 prefix4, prefix6;
	struct cidr_list	 exempt;
	uint8_t			 key[SIPHASH_KEYLEN];
	_Atomic uint64_t	*slots;		/* RRL_SLOTS, when rate > 0 */
};

/*
 * Check and set up from the configuration; with alloc, the table and a
 * random key (0, or -1 with the key named in err).
 */
int	 rrl_init(struct rrl *, const struct conf *, int alloc, char *err,
	    size_t errlen);
void	 rrl_free(struct rrl *);
/* The keyed hash of s's prefix (rrl_prefix4 / rrl_prefix6 bits). */
uint64_t rrl_src_hash(const struct rrl *, const struct src *);
/* The class of a reply, from its header. */
enum rrl_class rrl_classify(const uint8_t *reply);
/*
 * Count one response of class c to the prefix hashed h, in second now:
 * send it (the first `rate` of the second), send it truncated (every
 * slip-th of the next `rate`: RRL slip), or drop it.  A prefix gets at
 * most rate + rate / slip replies of a class per second.
 */
enum rrl_verdict rrl_account(struct rrl *, uint64_t h, enum rrl_class c,
	    uint32_t now);

#endif
