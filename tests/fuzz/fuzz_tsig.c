/*
 * fuzz_tsig.c -- libFuzzer target for the TSIG reader: whatever a
 * secondary sends in a transfer request, or a NOTIFY target in its
 * answer, reaches tsig_find() (dnsd/tsig.c) first.
 *
 * Input: one DNS message.  Checked: the result is -1, 0 or 1 and the
 * same when read twice; a TSIG found lies inside the message (its MAC and
 * other data, the RR's start before them), its names are whole wire names
 * of at most 255 bytes in lower case.  Then, with the seeds' keys, the
 * message goes through tsig_verify_request() at its own time and the
 * answer to it is signed (the error answers included), and it is checked
 * as the answer to a NOTIFY of ours, so the MAC code runs on what the
 * reader lets through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tsig.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tsig_keys	 keys;
static int		 loaded;

/* The unit tests' keys (tests/unit/data/tsig/README), so the seeds that
 * are real signed messages get past the key check. */
static void
load_keys(void)
{
	struct conf	 c;
	char		 err[256];

	memset(&c, 0, sizeof(c));
	c.tsig_key[0] = (char *)"orbl-test-key hmac-sha256 "
	    "KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c=";
	c.tsig_key[1] = (char *)"orbl-test-512.example hmac-sha512 "
	    "tza5HJ4qwGs4Etx/UFSI8rFJUxi7TsFBH3kgVbP33Z9V+oJK2L7rE8x2tOnUuQ2a"
	    "KEE6dXOp8TXNrt2WCN5YDQ==";
	c.ntsig_key = 2;
	if (tsig_keys_load(&keys, &c, err, sizeof(err)) == -1)
		abort();
	loaded = 1;
}

static void
check_name(const uint8_t *n, size_t len)
{
	size_t	 o = 0;

	if (len == 0 || len > TSIG_NAME_MAX)
		abort();
	while (o < len && n[o] != 0) {
		if (n[o] > 63)
			abort();
		for (size_t i = 1; i <= n[o] && o + i < len; i++)
			if (n[o + i] >= 'A' && n[o + i] <= 'Z')
				abort();
		o += 1 + n[o];
	}
	if (o != len - 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 out[65536 + 512];
	struct tsig_rr		 t1, t2;
	struct tsig_ctx		 ctx;
	uint8_t			 q[256];
	size_t			 n;
	int			 r1, r2;

	if (!loaded)
		load_keys();
	r1 = tsig_find(data, size, &t1);
	r2 = tsig_find(data, size, &t2);
	if (r1 != r2 || r1 < -1 || r1 > 1)
		abort();
	if (r1 == 1) {
		if (t1.off != t2.off || t1.maclen != t2.maclen ||
		    t1.off < 12 || t1.off >= size ||
		    t1.mac < data + t1.off ||
		    t1.mac + t1.maclen > data + size ||
		    t1.other < t1.mac + t1.maclen ||
		    t1.other + t1.otherlen != data + size)
			abort();
		check_name(t1.name, t1.namelen);
		check_name(t1.alg, t1.alglen);
		/* as a request, and the answer to it */
		tsig_verify_request(&keys, data, size, &t1,
		    (int64_t)t1.time_signed, &ctx);
		if (ctx.error == TSIG_OK && ctx.key == NULL)
			abort();
		n = t1.off < sizeof(out) - 512 ? t1.off : 12;
		memcpy(out, data, n);
		/* TSIG_SPACE is room enough for any answer */
		if (tsig_sign(&ctx, out, n, sizeof(out),
		    (int64_t)t1.time_signed) == 0 &&
		    n + TSIG_SPACE(ctx.keynamelen) <= 65535 &&
		    (out[10] != 0xff || out[11] != 0xff))
			abort();
	}
	/* as the answer to a NOTIFY of ours (bl.example SOA) */
	memset(q, 0, sizeof(q));
	memcpy(q, "\x12\x34\x20\x00\0\1\0\0\0\0\0\0\2bl\7example\0\0\6\0\1",
	    28);
	if (tsig_sign_request(&keys.k[0], &ctx, q, 28, sizeof(q), 0) == 0)
		abort();
	(void)tsig_verify_response(&ctx, data, size, 0);
	return 0;
}
