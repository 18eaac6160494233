/*
 * tsig.h -- TSIG (RFC 8945) with hmac-sha256 and hmac-sha512, the HMAC
 * from libcrypto.  Keys come from the configuration (`tsig_key`).
 *
 * tsig_find() reads untrusted bytes: pure, bounded, no allocation
 * (fuzzed by tests/fuzz/fuzz_tsig.c).  The rest works on messages the
 * caller built or already checked.
 *
 * A transfer is one tsig_ctx: tsig_verify_request() fills it from the
 * signed request, then tsig_sign() signs each message of the answer in
 * order (the first one over the request's MAC, the later ones over the
 * previous MAC and the timers only, RFC 8945 5.3.1).  When the request
 * failed (ctx->error set), tsig_sign() appends the error TSIG the RFC
 * asks for instead (BADKEY and BADSIG unsigned, BADTIME signed with the
 * server's time in other data); the caller sets the rcode to NOTAUTH.
 *
 * Truncated MACs (RFC 8945 5.2.2.1): one longer than the hash, or shorter
 * than max(10, hash/2) octets, is malformed (tsig_find: -1, FORMERR); one
 * in between is checked and then refused with BADTRUNC (signed): our
 * policy is the full length, and everything we send has the full MAC.
 * The "last Time Signed per key" cache of RFC 8945 5.2.3 (a SHOULD) is
 * not kept: replays inside the fudge are possible, as with most servers.
 */
#ifndef ORBL_TSIG_H
#define ORBL_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define TSIG_ALG_SHA256		1
#define TSIG_ALG_SHA512		2
#define TSIG_MAC_MAX		64
#define TSIG_SECRET_MAX		256
#define TSIG_NAME_MAX		255	/* wire */
#define TSIG_FUDGE		300	/* s, what we send; a request is checked
					   against its own fudge (5.2.3) */
/*
 * Room a TSIG RR of ours takes at most, keywirelen being ctx->keynamelen
 * (or the key's wirelen): key name, type..rdlength (10), then the larger
 * of two rdatas: a signed one (algorithm name 13, time/fudge/maclen 10,
 * MAC 64, orig id/error/other len 6, other data 6: 99) and an unsigned
 * BADKEY answer, which echoes the request's algorithm name, whatever it
 * is (up to 255, 10, no MAC, 6: 271).
 */
#define TSIG_SPACE(keywirelen)	((keywirelen) + 10 + TSIG_NAME_MAX + 16)

/* TSIG errors (in the TSIG RR's error field) */
#define TSIG_OK			0
#define TSIG_BADSIG		16
#define TSIG_BADKEY		17
#define TSIG_BADTIME		18
#define TSIG_BADTRUNC		22
#define RCODE_NOTAUTH		9

struct tsig_key {
	char		 name[TSIG_NAME_MAX + 1];	/* text, lower case,
							   no final dot */
	uint8_t		 wire[TSIG_NAME_MAX];		/* lower case */
	size_t		 wirelen;
	int		 alg;				/* TSIG_ALG_* */
	uint8_t		 secret[TSIG_SECRET_MAX];
	size_t		 secretlen;
};

struct tsig_keys {
	struct tsig_key	 k[CONF_MAX_LIST];
	int		 n;
};

/*
 * The conf's tsig_key lines ("NAME ALGORITHM SECRET" or "NAME ALGORITHM
 * file:PATH").  Returns 0, or -1 with "tsig_key NAME: reason" in err (a
 * bad name, algorithm, base64, an unreadable file, a duplicate name).
 */
int	 tsig_keys_load(struct tsig_keys *, const struct conf *, char *err,
	    size_t errlen);
/* By text name (case-insensitive, a final dot ignored); NULL: none. */
const struct tsig_key *tsig_key_find(const struct tsig_keys *,
	    const char *name);
/* Wipe the secrets. */
void	 tsig_keys_clear(struct tsig_keys *);

/* A TSIG RR as found in a message; pointers into the message. */
struct tsig_rr {
	size_t		 off;		/* where the RR starts */
	uint8_t		 name[TSIG_NAME_MAX];	/* key name, lower case */
	size_t		 namelen;
	uint8_t		 alg[TSIG_NAME_MAX];	/* algorithm, lower case */
	size_t		 alglen;
	uint64_t	 time_signed;	/* 48 bits */
	uint16_t	 fudge;
	const uint8_t	*mac;
	uint16_t	 maclen;
	uint16_t	 orig_id;
	uint16_t	 error;
	const uint8_t	*other;
	uint16_t	 otherlen;
};

/*
 * Does the message end in a TSIG RR (the last additional record, class
 * ANY, TTL 0)?  1: yes, *t filled; 0: no TSIG; -1: malformed message or
 * TSIG (FORMERR): a TSIG that is not the last record, bytes after it, a
 * MAC size hmac-sha256/512 does not allow (above; 0 only with an error
 * set).  The names may be compressed in the message; *t has them whole.
 */
int	 tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *t);

struct tsig_ctx {
	const struct tsig_key *key;	/* NULL: unknown key (BADKEY) */
	uint16_t	 error;		/* TSIG_* of the request */
	uint64_t	 req_time;	/* the request's time signed */
	uint8_t		 mac[TSIG_MAC_MAX];	/* the last MAC: the request's,
					   then each message's we signed
					   (or verified) */
	size_t		 maclen;
	int		 nsigned;	/* messages signed (server) or
					   verified (client) so far */
	uint8_t		 keyname[TSIG_NAME_MAX];	/* as in the request,
					   for the error answers */
	size_t		 keynamelen;
	uint8_t		 alg[TSIG_NAME_MAX];
	size_t		 alglen;
};

/*
 * Check the request msg (len bytes, t its TSIG from tsig_find) at time
 * now (time(NULL)), in the RFC's order: key, MAC, time, truncation.
 * Fills ctx; returns its error: TSIG_OK, TSIG_BADKEY (no such key, or not
 * with that algorithm; ctx->key NULL), TSIG_BADSIG (wrong MAC),
 * TSIG_BADTIME (outside the request's time signed +- its fudge) or
 * TSIG_BADTRUNC (a truncated MAC that was right).  The message's ID may
 * differ from the TSIG's original ID (the MAC is over the original).
 */
int	 tsig_verify_request(const struct tsig_keys *, const uint8_t *msg,
	    size_t len, const struct tsig_rr *t, int64_t now,
	    struct tsig_ctx *ctx);
/*
 * Sign the response message msg (len bytes, room for cap): append the
 * TSIG RR and count it in ARCOUNT.  Returns the new length, 0 if it does
 * not fit (TSIG_SPACE(ctx->keynamelen) bytes of room always do, within
 * 65535).  With ctx->error set: the error TSIG (see above); BADTIME's is
 * signed with the request's time signed and ours in other data (as BIND
 * and Knot do, so the client can check it).  msg's ID must be the
 * request's original ID; every message of a transfer is signed.
 */
size_t	 tsig_sign(struct tsig_ctx *, uint8_t *msg, size_t len, size_t cap,
	    int64_t now);

/*
 * Sign a request of ours (NOTIFY) with key: ctx is set up to check the
 * answer.  Returns the new length, 0 if it does not fit.
 */
size_t	 tsig_sign_request(const struct tsig_key *, struct tsig_ctx *,
	    uint8_t *msg, size_t len, size_t cap, int64_t now);
/*
 * Check the answer to a request signed with ctx (or, message after
 * message, a multi-message answer: each must be signed).  TSIG_OK, or an
 * error: an unsigned answer is TSIG_BADSIG, another key TSIG_BADKEY; an
 * unsigned error TSIG gives its error; a signed one that verifies gives
 * its error too (BADTIME).  ctx moves on only when the MAC was right.
 */
int	 tsig_verify_response(struct tsig_ctx *, const uint8_t *msg,
	    size_t len, int64_t now);

#endif
