/*
 * addr.c -- see addr.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int
addr_maxprefix(const struct addr *a)
{
	return a->family == 4 ? 32 : 128;
}

int
addr_is_single(const struct addr *a)
{
	return a->prefix == addr_maxprefix(a);
}

void
addr_mask(struct addr *a)
{
	int	 i, bits = a->prefix;

	for (i = 0; i < 16; i++) {
		if (bits >= 8)
			bits -= 8;
		else if (bits > 0) {
			a->a[i] &= (uint8_t)(0xff << (8 - bits));
			bits = 0;
		} else
			a->a[i] = 0;
	}
	if (a->family == 4)
		memset(a->a + 4, 0, 12);
}

int
addr_parse(const char *s, struct addr *out, char *err, size_t errlen)
{
	char		 buf[ADDR_STRLEN];
	const char	*slash;
	size_t		 n;
	long		 plen = -1;
	struct addr	 masked;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (slash) {
		char	*end;

		if (!isdigit((unsigned char)slash[1])) {
			snprintf(err, errlen, "%s: bad prefix length", s);
			return -1;
		}
		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (*end != '\0' || errno || plen < 0 || plen > 128) {
			snprintf(err, errlen, "%s: bad prefix length", s);
			return -1;
		}
	}
	if (inet_pton(AF_INET, buf, out->a) == 1) {
		out->family = 4;
		if (plen > 32) {
			snprintf(err, errlen, "%s: IPv4 prefix longer than 32", s);
			return -1;
		}
		out->prefix = plen < 0 ? 32 : (uint8_t)plen;
	} else if (inet_pton(AF_INET6, buf, out->a) == 1) {
		out->family = 6;
		out->prefix = plen < 0 ? 128 : (uint8_t)plen;
		if (memcmp(out->a, v4mapped, 12) == 0 && out->prefix >= 96) {
			memmove(out->a, out->a + 12, 4);
			memset(out->a + 4, 0, 12);
			out->family = 4;
			out->prefix -= 96;
		}
	} else {
		snprintf(err, errlen, "%s: not an IPv4 or IPv6 address", s);
		return -1;
	}
	masked = *out;
	addr_mask(&masked);
	if (memcmp(masked.a, out->a, 16) != 0) {
		char	 net[ADDR_STRLEN];

		snprintf(err, errlen, "%s: host bits set past /%d (did you mean "
		    "%s?)", s, out->prefix, addr_format(&masked, net, sizeof(net)));
		return -1;
	}
	return 0;
}

char *
addr_format_ip(const struct addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf,
	    (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
	return buf;
}

char *
addr_format(const struct addr *a, char *buf, size_t len)
{
	char	 ip[ADDR_STRLEN];

	addr_format_ip(a, ip, sizeof(ip));
	if (addr_is_single(a))
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, "%s/%d", ip, a->prefix);
	return buf;
}

int
addr_contains(const struct addr *net, const struct addr *a)
{
	struct addr	 t;

	if (net->family != a->family || a->prefix < net->prefix)
		return 0;
	t = *a;
	t.prefix = net->prefix;
	addr_mask(&t);
	return memcmp(t.a, net->a, 16) == 0;
}

int
addr_cmp(const struct addr *x, const struct addr *y)
{
	int	 c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if ((c = memcmp(x->a, y->a, 16)) != 0)
		return c;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return 0;
}

uint32_t
addr_v4(const struct addr *a)
{
	return (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 |
	    (uint32_t)a->a[2] << 8 | a->a[3];
}

void
addr_set_v4(struct addr *a, uint32_t v, int prefix)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->prefix = (uint8_t)prefix;
	a->a[0] = (uint8_t)(v >> 24);
	a->a[1] = (uint8_t)(v >> 16);
	a->a[2] = (uint8_t)(v >> 8);
	a->a[3] = (uint8_t)v;
}

char *
addr_revname(const struct addr *a, char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;
	size_t			 o = 0;

	if (a->family == 4) {
		snprintf(buf, len, "%u.%u.%u.%u", a->a[3], a->a[2], a->a[1],
		    a->a[0]);
		return buf;
	}
	if (len < 64) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	for (i = 15; i >= 0; i--) {
		buf[o++] = hex[a->a[i] & 0xf];
		buf[o++] = '.';
		buf[o++] = hex[a->a[i] >> 4];
		buf[o++] = i ? '.' : '\0';
	}
	return buf;
}

int
addr_duration_parse(const char *s, long long *secs)
{
	char		*end;
	long long	 v, mul = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < 0)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 7 * 86400; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > (long long)1e12 / mul)
		return -1;
	*secs = v * mul;
	return 0;
}
