/*
 * guard.c -- see guard.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "addr.h"
#include "fnv.h"
#include "guard.h"
#include "xmalloc.h"

#define GUARD_BUCKETS	4096
#define TOKEN_MAC_BYTES	16	/* 128 bits of the HMAC are kept */

struct client {
	struct client	*next;
	int64_t		 start;		/* window start */
	long long	 count;
	char		 key[64];
};

struct guard {
	unsigned char	 key[32];
	long long	 limit;
	struct client	*bucket[GUARD_BUCKETS];
	size_t		 nclients;
};

struct guard *
guard_new(long long limit, char *err, size_t errlen)
{
	struct guard	*g = xcalloc(1, sizeof(*g));

	if (RAND_bytes(g->key, sizeof(g->key)) != 1) {
		snprintf(err, errlen, "no random bytes for the form key");
		free(g);
		return NULL;
	}
	g->limit = limit;
	return g;
}

void
guard_free(struct guard *g)
{
	struct client	*c, *next;
	size_t		 i;

	if (g == NULL)
		return;
	for (i = 0; i < GUARD_BUCKETS; i++)
		for (c = g->bucket[i]; c; c = next) {
			next = c->next;
			free(c);
		}
	OPENSSL_cleanse(g->key, sizeof(g->key));
	free(g);
}

static void
token_mac(struct guard *g, const char *form, const char *client,
    long long window, char *hex, size_t hexlen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		*msg;
	int		 n, i;

	n = xasprintf(&msg, "%s%c%lld%c%s", form, 0, window, 0, client);
	HMAC(EVP_sha256(), g->key, (int)sizeof(g->key),
	    (const unsigned char *)msg, (size_t)n, mac, &maclen);
	free(msg);
	for (i = 0; i < TOKEN_MAC_BYTES && (size_t)(2 * i + 2) < hexlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

void
guard_token(struct guard *g, const char *form, const char *client,
    int64_t now, char *buf, size_t len)
{
	char		 hex[2 * TOKEN_MAC_BYTES + 1];
	long long	 window = (long long)(now / GUARD_WINDOW);

	token_mac(g, form, client, window, hex, sizeof(hex));
	snprintf(buf, len, "%lld.%s", window, hex);
}

int
guard_token_ok(struct guard *g, const char *form, const char *client,
    const char *token, int64_t now)
{
	char		 hex[2 * TOKEN_MAC_BYTES + 1];
	const char	*dot;
	char		*end;
	long long	 window, cur = (long long)(now / GUARD_WINDOW);

	if (token == NULL || (dot = strchr(token, '.')) == NULL ||
	    strlen(dot + 1) != 2 * TOKEN_MAC_BYTES)
		return 0;
	window = strtoll(token, &end, 10);
	if (end != dot || token == dot)
		return 0;
	if (window != cur && window != cur - 1)
		return 0;
	token_mac(g, form, client, window, hex, sizeof(hex));
	return CRYPTO_memcmp(hex, dot + 1, 2 * TOKEN_MAC_BYTES) == 0;
}

static unsigned int
hash(const char *s)
{
	return fnv1a32(s, strlen(s)) % GUARD_BUCKETS;
}

/* Make room: drop expired entries; if none was, the oldest one. */
static void
guard_prune(struct guard *g, int64_t now)
{
	struct client	**pp, *c, **oldest = NULL;
	size_t		 i;

	for (i = 0; i < GUARD_BUCKETS; i++)
		for (pp = &g->bucket[i]; (c = *pp) != NULL; ) {
			if (now - c->start >= GUARD_WINDOW) {
				*pp = c->next;
				free(c);
				g->nclients--;
				continue;
			}
			if (oldest == NULL || c->start < (*oldest)->start)
				oldest = pp;
			pp = &c->next;
		}
	if (g->nclients >= GUARD_CLIENTS_MAX && oldest != NULL) {
		c = *oldest;
		*oldest = c->next;
		free(c);
		g->nclients--;
	}
}

int64_t
guard_rate(struct guard *g, const char *client, int64_t now)
{
	struct client	*c;
	unsigned int	 h = hash(client);

	if (g->limit <= 0)
		return 0;
	for (c = g->bucket[h]; c; c = c->next)
		if (strcmp(c->key, client) == 0)
			break;
	if (c == NULL) {
		if (g->nclients >= GUARD_CLIENTS_MAX)
			guard_prune(g, now);
		c = xcalloc(1, sizeof(*c));
		snprintf(c->key, sizeof(c->key), "%s", client);
		c->start = now;
		c->next = g->bucket[h];
		g->bucket[h] = c;
		g->nclients++;
	}
	if (now - c->start >= GUARD_WINDOW) {
		c->start = now;
		c->count = 0;
	}
	if (c->count >= g->limit)
		return c->start + GUARD_WINDOW - now > 0 ?
		    c->start + GUARD_WINDOW - now : 1;
	c->count++;
	return 0;
}

size_t
guard_clients(const struct guard *g)
{
	return g->nclients;
}

int
guard_secret_eq(const char *given, const char *want)
{
	unsigned char	 a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned int	 al = 0, bl = 0;

	if (given == NULL || want == NULL || *want == '\0')
		return 0;
	/* Digests first: the comparison takes the same time whatever the
	 * lengths and contents. */
	if (EVP_Digest(given, strlen(given), a, &al, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(want, strlen(want), b, &bl, EVP_sha256(), NULL) != 1 ||
	    al != bl)
		return 0;
	return CRYPTO_memcmp(a, b, al) == 0;
}

static int
trusted(const struct addr *a, const struct addr *proxies, int nproxies)
{
	int	 i;

	for (i = 0; i < nproxies; i++)
		if (addr_contains(&proxies[i], a))
			return 1;
	return 0;
}

/*
 * The entry that ends at *end (exclusive) in [line, *end): parsed into a,
 * *end moved past its comma to the left.  0: an address; -1: empty, too
 * long or not one address.  Looks at GUARD_XFF_ITEM_MAX + 1 bytes at most.
 */
static int
xff_entry(const char *line, const char **end, struct addr *a)
{
	const char	*start, *e = *end;
	char		 item[GUARD_XFF_ITEM_MAX + 1], err[128];
	size_t		 n;

	for (start = e; start > line && start[-1] != ','; start--)
		if ((size_t)(e - start) >= GUARD_XFF_ITEM_MAX)
			return -1;
	*end = start > line ? start - 1 : NULL;
	n = (size_t)(e - start);
	while (n > 0 && isspace((unsigned char)*start))
		start++, n--;
	while (n > 0 && isspace((unsigned char)start[n - 1]))
		n--;
	if (n == 0)
		return -1;
	memcpy(item, start, n);
	item[n] = '\0';
	if (addr_parse(item, a, err, sizeof(err)) == -1 ||
	    !addr_is_single(a))
		return -1;
	return 0;
}

int
guard_client(const struct addr *peer, const char *const *xff, size_t nxff,
    const struct addr *proxies, int nproxies, struct addr *client)
{
	const char	*v, *end;
	struct addr	 a;
	size_t		 line, seen = 0;

	*client = *peer;
	if (!trusted(peer, proxies, nproxies))
		return GUARD_CLIENT_PEER;
	for (line = nxff; line > 0; line--) {
		if ((v = xff[line - 1]) == NULL)
			continue;
		/* end: one past the entry to read next; NULL: line done. */
		for (end = v + strlen(v); end != NULL; ) {
			if (seen++ >= GUARD_XFF_MAX ||
			    xff_entry(v, &end, &a) == -1)
				return GUARD_CLIENT_HOP;
			*client = a;
			if (!trusted(&a, proxies, nproxies))
				return GUARD_CLIENT_XFF;
		}
	}
	return seen > 0 ? GUARD_CLIENT_HOP : GUARD_CLIENT_PEER;
}
