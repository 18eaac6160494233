/*
 * guard.h -- orbl-web's defences that keep state: the per-form tokens
 * against cross-site requests and the per-client rate limit on POSTs.
 *
 * Form token: "<window>.<hex>", where hex is an HMAC-SHA256 (libcrypto)
 * with a random per-process key over (form name, window, client address)
 * and window = now / GUARD_WINDOW.  A token is good in its window and
 * the next one (one to two hours), for that form and that client only.
 * Another site cannot read it from our page, so it cannot make a
 * visitor's browser post a form that passes.  A restart makes new keys:
 * an open page then gets a "reload the page" answer.
 *
 * Rate limit: at most `limit` POSTs per client key per hour, counted in
 * fixed one-hour windows that start with the client's first POST; kept in
 * memory (bounded: GUARD_CLIENTS_MAX clients; when full, expired entries
 * go and, if none did, the oldest).
 *
 * Client address: who a request is from, when reverse proxies stand in
 * between (guard_client).
 */
#ifndef ORBL_WEB_GUARD_H
#define ORBL_WEB_GUARD_H

#include <stddef.h>
#include <stdint.h>

#define GUARD_WINDOW		3600
#define GUARD_TOKEN_LEN		96	/* buffer for a token */
#define GUARD_CLIENTS_MAX	65536
#define GUARD_XFF_MAX		32	/* X-Forwarded-For entries looked at */
#define GUARD_XFF_ITEM_MAX	63	/* bytes of one entry, spaces too */

struct guard;
struct addr;

/* NULL if no random key could be made (err says why). */
struct guard	*guard_new(long long limit, char *err, size_t errlen);
void		 guard_free(struct guard *);

void		 guard_token(struct guard *, const char *form,
		    const char *client, int64_t now, char *buf, size_t len);
/* 1 if token is good for (form, client) at now. */
int		 guard_token_ok(struct guard *, const char *form,
		    const char *client, const char *token, int64_t now);

/*
 * Count one POST of client: 0 if allowed, else the seconds until the
 * client may post again (the POST is not counted then).
 */
int64_t		 guard_rate(struct guard *, const char *client, int64_t now);
/* Entries counted right now (for the stats). */
size_t		 guard_clients(const struct guard *);

/* Constant-time comparison of a presented secret with the configured
 * one: 1 if equal. */
int		 guard_secret_eq(const char *given, const char *want);

/*
 * The client of a request that came from peer, with the values of its
 * X-Forwarded-For header lines xff[0..nxff-1] in the order received, and
 * the trusted proxies (CIDRs) proxies[0..nproxies-1].  Pure: no state.
 *
 * A peer that is not a trusted proxy is the client, whatever it wrote.
 * Otherwise the entries of all lines, taken as one list (the last line's
 * last entry is the right-most), are walked from the right: a trusted
 * proxy is a hop and the walk goes on; the first address that is not one
 * is the client.  Each hop appends what it received from, so everything
 * left of that address was written by the client or someone it chose, and
 * is not believed.  The walk stops at an entry that is empty, not one
 * address (a port, "unknown", a range, over GUARD_XFF_ITEM_MAX bytes)
 * or past the GUARD_XFF_MAX-th; the client is then the last trusted hop
 * (the peer if no entry was read): a proxy that wrote something we cannot
 * read vouches for no one, and an address further left could be anyone's
 * writing, so the requests are charged to the hop, which no client can
 * choose.  The same when every entry is a trusted proxy.
 *
 * Sets *client and returns GUARD_CLIENT_PEER (the peer, not a trusted
 * proxy, or one with no entries), GUARD_CLIENT_XFF (an address from the
 * header) or GUARD_CLIENT_HOP (the walk stopped on a trusted hop: the
 * peer or an entry).  NULL entries in xff are skipped.
 */
#define GUARD_CLIENT_PEER	0
#define GUARD_CLIENT_XFF	1
#define GUARD_CLIENT_HOP	2
int		 guard_client(const struct addr *peer,
		    const char *const *xff, size_t nxff,
		    const struct addr *proxies, int nproxies,
		    struct addr *client);

#endif
