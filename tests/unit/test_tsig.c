/*
 * test_tsig.c -- unit tests for dnsd/tsig.c: the tsig_key lines, finding
 * a TSIG RR, and the MACs against real peers' bytes (tests/unit/data/
 * tsig/README): signed queries dig sent (accepted at their time, BADTIME
 * an hour later, BADSIG with a byte changed, BADKEY without the key), and
 * AXFRs BIND signed (each message of the chain verified, and our signer,
 * given the same messages and times, writes byte for byte what BIND
 * wrote).  Then our own round trips, the error answers RFC 8945 asks for
 * and the MAC sizes it allows.  Run from the top of the tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "tsig.h"

#define DATA	"tests/unit/data/tsig/"
#define K256	"orbl-test-key hmac-sha256 " \
		"KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c="
#define K512	"Orbl-Test-512.Example. HMAC-SHA512 " \
		"tza5HJ4qwGs4Etx/UFSI8rFJUxi7TsFBH3kgVbP33Z9V+oJK2L7rE8x2tOn" \
		"UuQ2aKEE6dXOp8TXNrt2WCN5YDQ=="
#define MAXMSG	65535

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE	*fp;
	size_t	 n;

	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("%s: cannot open (run from the top of the tree)",
		    path);
	n = fread(buf, 1, cap, fp);
	assert_true(feof(fp));
	fclose(fp);
	return n;
}

/* Load the keys from lines; -1 with err filled on failure. */
static int
load(struct tsig_keys *ks, char *err, size_t errlen, int n, ...)
{
	struct conf	 c;
	va_list		 ap;
	int		 i, rc;

	memset(&c, 0, sizeof(c));
	va_start(ap, n);
	for (i = 0; i < n; i++)
		c.tsig_key[i] = va_arg(ap, char *);
	va_end(ap);
	c.ntsig_key = n;
	err[0] = '\0';
	rc = tsig_keys_load(ks, &c, err, errlen);
	return rc;
}

static void
load_ok(struct tsig_keys *ks)
{
	char	 err[256];

	assert_int_equal(load(ks, err, sizeof(err), 2, K256, K512), 0);
	assert_int_equal(ks->n, 2);
}

static void
test_keys(void **state)
{
	struct tsig_keys	 ks;
	const struct tsig_key	*k;
	char			 err[256], line[512], path[] =
				    "/tmp/test_tsig.XXXXXX";
	FILE			*fp;
	int			 fd;

	(void)state;
	load_ok(&ks);
	k = tsig_key_find(&ks, "ORBL-test-key.");
	assert_non_null(k);
	assert_string_equal(k->name, "orbl-test-key");
	assert_int_equal(k->alg, TSIG_ALG_SHA256);
	assert_int_equal(k->secretlen, 32);
	assert_int_equal(k->wirelen, 15);
	assert_memory_equal(k->wire, "\015orbl-test-key", 15);
	k = tsig_key_find(&ks, "orbl-test-512.example");
	assert_non_null(k);
	assert_string_equal(k->name, "orbl-test-512.example");
	assert_int_equal(k->alg, TSIG_ALG_SHA512);
	assert_int_equal(k->secretlen, 64);
	assert_memory_equal(k->wire, "\015orbl-test-512\007example", 23);
	assert_null(tsig_key_find(&ks, "orbl-test"));
	tsig_keys_clear(&ks);
	assert_int_equal(ks.n, 0);
	assert_null(tsig_key_find(&ks, "orbl-test-key"));

	/* file:PATH, the secret alone and tsig-keygen's clause */
	fd = mkstemp(path);
	assert_true(fd != -1);
	fp = fdopen(fd, "w");
	fputs("\n  KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c=  \n", fp);
	fclose(fp);
	snprintf(line, sizeof(line), "a.b hmac-sha256 file:%s", path);
	assert_int_equal(load(&ks, err, sizeof(err), 1, line), 0);
	assert_int_equal(ks.k[0].secretlen, 32);
	assert_int_equal(ks.k[0].secret[0], 0x29);
	fp = fopen(path, "w");
	fputs("key \"orbl-test-key\" {\n\talgorithm hmac-sha256;\n\tsecret "
	    "\"KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c=\";\n};\n", fp);
	fclose(fp);
	assert_int_equal(load(&ks, err, sizeof(err), 1, line), 0);
	assert_int_equal(ks.k[0].secretlen, 32);
	assert_int_equal(ks.k[0].secret[31], 0xd7);
	unlink(path);
	assert_int_equal(load(&ks, err, sizeof(err), 1, line), -1);
	assert_non_null(strstr(err, "tsig_key a.b: "));
	assert_non_null(strstr(err, "No such file"));

	/* unpadded base64 is fine, short ones too */
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha512 YWJj"), 0);
	assert_int_equal(ks.k[0].secretlen, 3);
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha512 YWI"), 0);
	assert_int_equal(ks.k[0].secretlen, 2);

	/* errors, naming the key, never showing the secret */
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-md5 YWJj"), -1);
	assert_string_equal(err, "tsig_key k: algorithm hmac-md5: want "
	    "hmac-sha256 or hmac-sha512");
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha256 YW=j"), -1);
	assert_non_null(strstr(err, "not base64"));
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha256 YWJ"), -1);		/* bits left over */
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha256 Y"), -1);
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha256 ===="), -1);
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha256"), -1);
	assert_non_null(strstr(err, "want NAME ALGORITHM SECRET"));
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "k hmac-sha256 YWJj more"), -1);
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "bad..name hmac-sha256 YWJj"), -1);
	assert_non_null(strstr(err, "bad key name"));
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "b@d hmac-sha256 YWJj"), -1);
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    ". hmac-sha256 YWJj"), -1);
	assert_int_equal(load(&ks, err, sizeof(err), 1,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " hmac-sha256 YWJj"), -1);		/* a 64-byte label */
	assert_int_equal(load(&ks, err, sizeof(err), 2, K256,
	    "Orbl-Test-Key. hmac-sha512 YWJj"), -1);
	assert_string_equal(err, "tsig_key orbl-test-key: defined twice");
	assert_null(strstr(err, "YWJj"));
}

/* dig's signed query at its time, an hour later, changed, keyless */
static void
dig_query(const char *file, const char *keyname, int alg)
{
	struct tsig_keys	 ks, none;
	struct tsig_rr		 t;
	struct tsig_ctx		 ctx;
	uint8_t			 msg[512];
	size_t			 len;
	char			 err[256];

	load_ok(&ks);
	len = slurp(file, msg, sizeof(msg));
	assert_int_equal(tsig_find(msg, len, &t), 1);
	assert_int_equal(t.maclen, alg == TSIG_ALG_SHA256 ? 32 : 64);
	assert_int_equal(t.fudge, 300);
	assert_int_equal(t.error, 0);
	assert_int_equal(t.orig_id, msg[0] << 8 | msg[1]);
	assert_int_equal(tsig_key_find(&ks, keyname)->wirelen, t.namelen);

	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_OK);
	assert_ptr_equal(ctx.key, tsig_key_find(&ks, keyname));
	assert_int_equal(ctx.key->alg, alg);
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed - 300, &ctx), TSIG_OK);
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed + 300, &ctx), TSIG_OK);
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed + 3600, &ctx), TSIG_BADTIME);
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed - 301, &ctx), TSIG_BADTIME);
	/* a changed ID is restored from the TSIG's original ID (a
	 * forwarder's) */
	msg[0] ^= 0xff;
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_OK);
	msg[0] ^= 0xff;
	/* a flipped byte in the question, in the MAC */
	msg[14] ^= 0x20;
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_BADSIG);
	msg[14] ^= 0x20;
	msg[len - 7] ^= 1;	/* the MAC's last byte */
	assert_int_equal(tsig_verify_request(&ks, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_BADSIG);
	msg[len - 7] ^= 1;
	/* no such key, or not with that algorithm */
	assert_int_equal(load(&none, err, sizeof(err), 1, "other hmac-sha256 "
	    "KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c="), 0);
	assert_int_equal(tsig_verify_request(&none, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_BADKEY);
	assert_null(ctx.key);
	assert_int_equal(load(&none, err, sizeof(err), 1, alg ==
	    TSIG_ALG_SHA256 ? "orbl-test-key hmac-sha512 "
	    "KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c=" :
	    "orbl-test-512.example hmac-sha256 YWJj"), 0);
	assert_int_equal(tsig_verify_request(&none, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_BADKEY);
	/* the right name and algorithm, another secret */
	assert_int_equal(load(&none, err, sizeof(err), 1, alg ==
	    TSIG_ALG_SHA256 ? "orbl-test-key hmac-sha256 YWJj" :
	    "orbl-test-512.example hmac-sha512 YWJj"), 0);
	assert_int_equal(tsig_verify_request(&none, msg, len, &t,
	    (int64_t)t.time_signed, &ctx), TSIG_BADSIG);
	assert_non_null(ctx.key);
}

static void
test_dig_vectors(void **state)
{
	(void)state;
	dig_query(DATA "dig-soa-sha256.bin", "orbl-test-key",
	    TSIG_ALG_SHA256);
	dig_query(DATA "dig-soa-sha512.bin", "orbl-test-512.example",
	    TSIG_ALG_SHA512);
}

/*
 * BIND's AXFR: verify the request, verify BIND's signed messages in
 * order, then sign the same messages (their TSIG taken off) at the times
 * BIND signed them: the same bytes.
 */
static void
bind_axfr(const char *reqfile, const char *respfile)
{
	static uint8_t		 resp[200000], mine[MAXMSG];
	struct tsig_keys	 ks;
	struct tsig_rr		 t, rt;
	struct tsig_ctx		 server, client;
	uint8_t			 req[512];
	size_t			 reqlen, resplen, off, len, n;
	uint16_t		 ar;
	int			 nmsg = 0;

	load_ok(&ks);
	reqlen = slurp(reqfile, req, sizeof(req));
	assert_int_equal(reqlen, (size_t)(req[0] << 8 | req[1]) + 2);
	assert_int_equal(tsig_find(req + 2, reqlen - 2, &t), 1);
	assert_int_equal(tsig_verify_request(&ks, req + 2, reqlen - 2, &t,
	    (int64_t)t.time_signed, &server), TSIG_OK);
	client = server;

	resplen = slurp(respfile, resp, sizeof(resp));
	for (off = 0; off < resplen; off += 2 + len, nmsg++) {
		len = (size_t)(resp[off] << 8 | resp[off + 1]);
		assert_true(off + 2 + len <= resplen);
		/* as a client: BIND's chain verifies */
		assert_int_equal(tsig_verify_response(&client, resp + off + 2,
		    len, (int64_t)t.time_signed), TSIG_OK);
		/* as the server: the same message signed by us */
		assert_int_equal(tsig_find(resp + off + 2, len, &rt), 1);
		memcpy(mine, resp + off + 2, rt.off);
		ar = (uint16_t)((mine[10] << 8 | mine[11]) - 1);
		mine[10] = (uint8_t)(ar >> 8);
		mine[11] = (uint8_t)ar;
		n = tsig_sign(&server, mine, rt.off, sizeof(mine),
		    (int64_t)rt.time_signed);
		assert_int_equal(n, len);
		assert_memory_equal(mine, resp + off + 2, len);
	}
	assert_int_equal(nmsg, 4);
	assert_int_equal(server.nsigned, 4);
	assert_int_equal(client.nsigned, 4);

	/* the chain out of order: BADSIG */
	assert_int_equal(tsig_verify_request(&ks, req + 2, reqlen - 2, &t,
	    (int64_t)t.time_signed, &client), TSIG_OK);
	len = (size_t)(resp[0] << 8 | resp[1]);
	off = 2 + len;
	len = (size_t)(resp[off] << 8 | resp[off + 1]);
	assert_int_equal(tsig_verify_response(&client, resp + off + 2, len,
	    (int64_t)t.time_signed), TSIG_BADSIG);
	assert_int_equal(client.nsigned, 0);
	/* a byte changed in the first message: BADSIG */
	resp[40] ^= 1;
	len = (size_t)(resp[0] << 8 | resp[1]);
	assert_int_equal(tsig_verify_response(&client, resp + 2, len,
	    (int64_t)t.time_signed), TSIG_BADSIG);
	resp[40] ^= 1;
	assert_int_equal(tsig_verify_response(&client, resp + 2, len,
	    (int64_t)t.time_signed + 3600), TSIG_BADTIME);
	assert_int_equal(tsig_verify_response(&client, resp + 2, len,
	    (int64_t)t.time_signed), TSIG_OK);
}

static void
test_bind_axfr(void **state)
{
	(void)state;
	bind_axfr(DATA "bind-axfr-sha256.req", DATA "bind-axfr-sha256.resp");
	bind_axfr(DATA "bind-axfr-sha512.req", DATA "bind-axfr-sha512.resp");
}

/* A query for bl.example SOA, id 0x1234; returns its length. */
static size_t
mkquery(uint8_t *m, uint16_t opcode)
{
	static const uint8_t q[] = {
		0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'b', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0, 6, 0, 1
	};

	memcpy(m, q, sizeof(q));
	m[2] = (uint8_t)(opcode << 3);
	return sizeof(q);
}

/* The request's answer (same question, QR and AA set), id kept. */
static size_t
mkreply(const uint8_t *req, uint8_t *m)
{
	size_t	 len = mkquery(m, 0);

	m[0] = req[0];
	m[1] = req[1];
	m[2] = req[2] | 0x84;
	return len;
}

static void
test_roundtrip(void **state)
{
	struct tsig_keys	 ks;
	struct tsig_rr		 t;
	struct tsig_ctx		 cl, sv, cl2;
	uint8_t			 req[512], rep[512], rep2[512];
	size_t			 len, n, n2, i;
	const int64_t		 now = 1700000000;

	(void)state;
	load_ok(&ks);
	for (i = 0; i < 2; i++) {
		len = mkquery(req, 4);
		n = tsig_sign_request(&ks.k[i], &cl, req, len, sizeof(req),
		    now);
		assert_true(n > len);
		assert_int_equal(req[11], 1);
		assert_int_equal(tsig_find(req, n, &t), 1);
		assert_int_equal(t.off, len);
		assert_int_equal(t.fudge, TSIG_FUDGE);
		assert_int_equal(t.time_signed, now);
		assert_true(n - len <= TSIG_SPACE(ks.k[i].wirelen));
		/* the server: a signed answer of three messages */
		assert_int_equal(tsig_verify_request(&ks, req, n, &t, now + 5,
		    &sv), TSIG_OK);
		len = mkreply(req, rep);
		n = tsig_sign(&sv, rep, len, sizeof(rep), now + 5);
		assert_true(n > len);
		cl2 = cl;
		assert_int_equal(tsig_verify_response(&cl, rep, n, now),
		    TSIG_OK);
		/* the same answer to another request's MAC: BADSIG */
		assert_int_equal(tsig_verify_response(&cl, rep, n, now),
		    TSIG_BADSIG);
		len = mkreply(req, rep2);
		n2 = tsig_sign(&sv, rep2, len, sizeof(rep2), now + 6);
		assert_int_equal(tsig_verify_response(&cl, rep2, n2, now),
		    TSIG_OK);
		len = mkreply(req, rep);
		rep[3] = 7;
		n = tsig_sign(&sv, rep, len, sizeof(rep), now + 7);
		assert_int_equal(tsig_verify_response(&cl, rep, n, now),
		    TSIG_OK);
		assert_int_equal(cl.nsigned, 3);
		/* the second message first: BADSIG */
		assert_int_equal(tsig_verify_response(&cl2, rep2, n2, now),
		    TSIG_BADSIG);
		/* an unsigned answer */
		len = mkreply(req, rep);
		assert_int_equal(tsig_verify_response(&cl2, rep, len, now),
		    TSIG_BADSIG);
	}
	/* no room: 0, the message as it was */
	len = mkquery(req, 0);
	assert_int_equal(tsig_sign_request(&ks.k[0], &cl, req, len, len + 40,
	    now), 0);
	assert_int_equal(req[11], 0);
	assert_int_equal(tsig_sign_request(&ks.k[0], &cl, req, len,
	    len + TSIG_SPACE(ks.k[0].wirelen), now) > len, 1);
}

/* The unsigned answers: BADKEY and BADSIG. */
static void
test_error_unsigned(void **state)
{
	struct tsig_keys	 ks, other;
	struct tsig_rr		 t, rt;
	struct tsig_ctx		 cl, sv;
	uint8_t			 req[512], rep[512];
	size_t			 len, n;
	char			 err[256];
	const int64_t		 now = 1700000000;

	(void)state;
	load_ok(&ks);
	assert_int_equal(load(&other, err, sizeof(err), 1,
	    "orbl-test-key hmac-sha256 YWJj"), 0);
	/* BADKEY: the request's key name and algorithm, no MAC */
	len = mkquery(req, 0);
	n = tsig_sign_request(&ks.k[1], &cl, req, len, sizeof(req), now);
	assert_int_equal(tsig_find(req, n, &t), 1);
	assert_int_equal(tsig_verify_request(&other, req, n, &t, now, &sv),
	    TSIG_BADKEY);
	len = mkreply(req, rep);
	rep[3] |= RCODE_NOTAUTH;
	n = tsig_sign(&sv, rep, len, sizeof(rep), now);
	assert_int_equal(tsig_find(rep, n, &rt), 1);
	assert_int_equal(rt.error, TSIG_BADKEY);
	assert_int_equal(rt.maclen, 0);
	assert_int_equal(rt.otherlen, 0);
	assert_memory_equal(rt.name, ks.k[1].wire, ks.k[1].wirelen);
	assert_memory_equal(rt.alg, "\013hmac-sha512", 13);
	assert_int_equal(rt.orig_id, 0x1234);
	assert_int_equal(tsig_verify_response(&cl, rep, n, now),
	    TSIG_BADKEY);
	/* BADSIG */
	len = mkquery(req, 0);
	n = tsig_sign_request(&ks.k[0], &cl, req, len, sizeof(req), now);
	assert_int_equal(tsig_find(req, n, &t), 1);
	assert_int_equal(tsig_verify_request(&other, req, n, &t, now, &sv),
	    TSIG_BADSIG);
	len = mkreply(req, rep);
	n = tsig_sign(&sv, rep, len, sizeof(rep), now);
	assert_int_equal(tsig_find(rep, n, &rt), 1);
	assert_int_equal(rt.error, TSIG_BADSIG);
	assert_int_equal(rt.maclen, 0);
	assert_int_equal(tsig_verify_response(&cl, rep, n, now),
	    TSIG_BADSIG);
}

/* BADTIME: signed over the request's MAC, at the request's time, ours
 * in other data. */
static void
test_error_badtime(void **state)
{
	struct tsig_keys	 ks;
	struct tsig_rr		 t, rt;
	struct tsig_ctx		 cl, sv;
	uint8_t			 req[512], rep[512], other[6];
	size_t			 len, n;
	int			 i;
	const int64_t		 now = 1700000000;

	(void)state;
	load_ok(&ks);
	len = mkquery(req, 0);
	n = tsig_sign_request(&ks.k[0], &cl, req, len, sizeof(req), now);
	assert_int_equal(tsig_find(req, n, &t), 1);
	assert_int_equal(tsig_verify_request(&ks, req, n, &t, now + 3600,
	    &sv), TSIG_BADTIME);
	len = mkreply(req, rep);
	rep[3] |= RCODE_NOTAUTH;
	n = tsig_sign(&sv, rep, len, sizeof(rep), now + 3600);
	assert_int_equal(tsig_find(rep, n, &rt), 1);
	assert_int_equal(rt.error, TSIG_BADTIME);
	assert_int_equal(rt.maclen, 32);
	assert_int_equal(rt.time_signed, now);
	assert_int_equal(rt.otherlen, 6);
	other[0] = other[1] = 0;
	for (i = 0; i < 4; i++)
		other[2 + i] = (uint8_t)((now + 3600) >> (24 - 8 * i));
	assert_memory_equal(rt.other, other, 6);
	/* the client checks it with its own clock, and sees the error */
	assert_int_equal(tsig_verify_response(&cl, rep, n, now),
	    TSIG_BADTIME);
}

/* Rewrite a request's TSIG MAC to its first maclen bytes. */
static size_t
truncate_mac(uint8_t *m, size_t len, uint16_t maclen)
{
	struct tsig_rr	 tr, *t = &tr;
	size_t		 macoff, rdlenoff, cut;

	assert_int_equal(tsig_find(m, len, t), 1);
	macoff = (size_t)(t->mac - m);
	cut = t->maclen - maclen;

	rdlenoff = t->off + t->namelen + 8;
	m[rdlenoff] = (uint8_t)(((m[rdlenoff] << 8 | m[rdlenoff + 1]) -
	    cut) >> 8);
	m[rdlenoff + 1] = (uint8_t)(m[rdlenoff + 1] - cut);
	m[macoff - 2] = 0;
	m[macoff - 1] = (uint8_t)maclen;
	memmove(m + macoff + maclen, m + macoff + t->maclen,
	    len - macoff - t->maclen);
	return len - cut;
}

static void
test_truncation(void **state)
{
	struct tsig_keys	 ks;
	struct tsig_rr		 t, rt;
	struct tsig_ctx		 cl, sv;
	uint8_t			 req[512], copy[512], rep[512];
	size_t			 len, n, m;
	const int64_t		 now = 1700000000;

	(void)state;
	load_ok(&ks);
	len = mkquery(req, 0);
	n = tsig_sign_request(&ks.k[0], &cl, req, len, sizeof(req), now);
	assert_int_equal(tsig_find(req, n, &t), 1);
	/* 16 of 32 bytes: allowed by the RFC, checked, then BADTRUNC */
	memcpy(copy, req, n);
	m = truncate_mac(copy, n, 16);
	assert_int_equal(tsig_find(copy, m, &t), 1);
	assert_int_equal(t.maclen, 16);
	assert_int_equal(tsig_verify_request(&ks, copy, m, &t, now, &sv),
	    TSIG_BADTRUNC);
	len = mkreply(req, rep);
	n = tsig_sign(&sv, rep, len, sizeof(rep), now);
	assert_int_equal(tsig_find(rep, n, &rt), 1);
	assert_int_equal(rt.error, TSIG_BADTRUNC);
	assert_int_equal(rt.maclen, 32);
	/* truncated and wrong: BADSIG first */
	copy[m - 7] ^= 1;
	assert_int_equal(tsig_find(copy, m, &t), 1);
	assert_int_equal(tsig_verify_request(&ks, copy, m, &t, now, &sv),
	    TSIG_BADSIG);
	/* 15 of 32 (below half), 33: malformed */
	len = mkquery(req, 0);
	n = tsig_sign_request(&ks.k[0], &cl, req, len, sizeof(req), now);
	assert_int_equal(tsig_find(req, n, &t), 1);
	memcpy(copy, req, n);
	m = truncate_mac(copy, n, 15);
	assert_int_equal(tsig_find(copy, m, &rt), -1);
	memcpy(copy, req, n);
	m = truncate_mac(copy, n, 0);
	assert_int_equal(tsig_find(copy, m, &rt), -1);	/* error 0 */
	/* sha512: 32 of 64 fine, 31 not */
	len = mkquery(req, 0);
	n = tsig_sign_request(&ks.k[1], &cl, req, len, sizeof(req), now);
	assert_int_equal(tsig_find(req, n, &t), 1);
	memcpy(copy, req, n);
	m = truncate_mac(copy, n, 32);
	assert_int_equal(tsig_find(copy, m, &rt), 1);
	assert_int_equal(tsig_verify_request(&ks, copy, m, &rt, now, &sv),
	    TSIG_BADTRUNC);
	memcpy(copy, req, n);
	m = truncate_mac(copy, n, 31);
	assert_int_equal(tsig_find(copy, m, &rt), -1);
}

static void
test_find(void **state)
{
	struct tsig_keys	 ks;
	struct tsig_rr		 t;
	struct tsig_ctx		 cl, sv;
	uint8_t			 m[512], c[512];
	size_t			 len, n;
	const int64_t		 now = 1700000000;

	(void)state;
	load_ok(&ks);
	len = mkquery(m, 0);
	assert_int_equal(tsig_find(m, len, &t), 0);
	assert_int_equal(tsig_find(m, 11, &t), -1);
	/* an OPT as the last record: no TSIG */
	memcpy(m + len, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
	m[11] = 1;
	assert_int_equal(tsig_find(m, len + 11, &t), 0);
	assert_int_equal(tsig_find(m, len + 10, &t), -1);
	/* signed, then the OPT after the TSIG: not last */
	len = mkquery(m, 0);
	n = tsig_sign_request(&ks.k[0], &cl, m, len, sizeof(m), now);
	assert_int_equal(tsig_find(m, n, &t), 1);
	memcpy(c, m, n);
	memcpy(c + n, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
	c[11] = 2;
	assert_int_equal(tsig_find(c, n + 11, &t), -1);
	/* a byte after the TSIG; ARCOUNT past the end */
	c[11] = 1;
	c[n] = 0;
	assert_int_equal(tsig_find(c, n + 1, &t), -1);
	c[11] = 2;
	assert_int_equal(tsig_find(c, n, &t), -1);
	/* the class is not ANY; the TTL not 0 */
	memcpy(c, m, n);
	c[len + 15 + 3] = 1;
	assert_int_equal(tsig_find(c, n, &t), -1);
	memcpy(c, m, n);
	c[len + 15 + 7] = 1;
	assert_int_equal(tsig_find(c, n, &t), -1);
	/* the key name compressed (a pointer back to a copy of it, put in
	 * as the question): found, verifies as uncompressed */
	memcpy(c, m, 12);
	c[4] = 0;
	c[5] = 1;
	memcpy(c + 12, ks.k[0].wire, ks.k[0].wirelen);
	memcpy(c + 12 + ks.k[0].wirelen, "\0\6\0\1", 4);
	len = 12 + ks.k[0].wirelen + 4;
	c[11] = 0;
	n = tsig_sign_request(&ks.k[0], &cl, c, len, sizeof(c), now);
	assert_true(n > 0);
	memmove(c + len + 2, c + len + ks.k[0].wirelen, n - len -
	    ks.k[0].wirelen);
	c[len] = 0xc0;
	c[len + 1] = 12;
	n -= ks.k[0].wirelen - 2;
	assert_int_equal(tsig_find(c, n, &t), 1);
	assert_int_equal(t.namelen, ks.k[0].wirelen);
	assert_int_equal(tsig_verify_request(&ks, c, n, &t, now, &sv),
	    TSIG_OK);
	/* a pointer to itself, or forward: malformed */
	c[len + 1] = (uint8_t)len;
	assert_int_equal(tsig_find(c, n, &t), -1);
	c[len + 1] = (uint8_t)(len + 2);
	assert_int_equal(tsig_find(c, n, &t), -1);
	/* an unknown algorithm: found, BADKEY */
	len = mkquery(m, 0);
	n = tsig_sign_request(&ks.k[0], &cl, m, len, sizeof(m), now);
	m[len + 15 + 10 + 11] = '5';		/* hmac-sha255 */
	assert_int_equal(tsig_find(m, n, &t), 1);
	assert_int_equal(tsig_verify_request(&ks, m, n, &t, now, &sv),
	    TSIG_BADKEY);
	/* upper case in the key name, the algorithm: the same MAC */
	len = mkquery(m, 0);
	n = tsig_sign_request(&ks.k[0], &cl, m, len, sizeof(m), now);
	m[len + 1] = 'O';
	m[len + 15 + 10 + 1] = 'H';
	assert_int_equal(tsig_find(m, n, &t), 1);
	assert_int_equal(tsig_verify_request(&ks, m, n, &t, now, &sv),
	    TSIG_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_dig_vectors),
		cmocka_unit_test(test_bind_axfr),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_error_unsigned),
		cmocka_unit_test(test_error_badtime),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
