/*
 * addr.h -- IPv4/IPv6 addresses and CIDR prefixes, as text and as bits.
 *
 * One representation everywhere: family 4 or 6, the address in network
 * byte order (IPv4 in a[0..3], the rest zero) and a prefix length.  An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is turned into IPv4 on parse:
 * orbl stores and answers an address once.  Pure functions, no logging.
 */
#ifndef ORBL_ADDR_H
#define ORBL_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN	64	/* enough for "ffff:...:ffff/128" */

struct addr {
	uint8_t	 family;	/* 4 or 6 */
	uint8_t	 prefix;	/* 0..32 or 0..128 */
	uint8_t	 a[16];		/* network order; bits past prefix are zero */
};

/*
 * Parse "1.2.3.4", "1.2.3.0/24", "2001:db8::1", "2001:db8::/32",
 * "::ffff:1.2.3.4".  A single address gets the full prefix.  Host bits set
 * past the prefix are an error (the message suggests the network).
 * Returns 0, or -1 with a reason in err.
 */
int	 addr_parse(const char *, struct addr *, char *err, size_t errlen);

/* "1.2.3.4" for a full-length prefix, "1.2.3.0/24" otherwise. */
char	*addr_format(const struct addr *, char *buf, size_t len);
/* The address only, never a "/len" suffix. */
char	*addr_format_ip(const struct addr *, char *buf, size_t len);

int	 addr_maxprefix(const struct addr *);
int	 addr_is_single(const struct addr *);
/* Does net (a prefix) contain a (any prefix, compared by its bits)? */
int	 addr_contains(const struct addr *net, const struct addr *a);
/* Clear the bits past a->prefix. */
void	 addr_mask(struct addr *);
/* Order: family, address bits, prefix. */
int	 addr_cmp(const struct addr *, const struct addr *);

/* IPv4 as a host-order integer (family must be 4). */
uint32_t addr_v4(const struct addr *);
void	 addr_set_v4(struct addr *, uint32_t host_order, int prefix);

/*
 * The DNSBL query name for an address, relative to the zone (no trailing
 * dot): "4.3.2.1" or the 32 nibbles of an IPv6 address (RFC 5782 2.1, 2.4).
 */
char	*addr_revname(const struct addr *, char *buf, size_t len);

/*
 * Parse a duration: "45" (seconds), "30s", "10m", "2h", "30d", "1w".
 * Returns 0 with *secs set, or -1.
 */
int	 addr_duration_parse(const char *, long long *secs);

#endif
