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
 */
#ifndef ORBL_WEB_GUARD_H
#define ORBL_WEB_GUARD_H

#include <stddef.h>
#include <stdint.h>

#define GUARD_WINDOW		3600
#define GUARD_TOKEN_LEN		96	/* buffer for a token */
#define GUARD_CLIENTS_MAX	65536

struct guard;

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

#endif
