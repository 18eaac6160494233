/*
 * fuzz_query.c -- libFuzzer target for the DNS hot path: query_parse()
 * then answer_build() over UDP and TCP, against a small zone index and
 * the zone "bl.test" built once (with an in-zone NS with addresses), then
 * the access rules' answers (blocked, excessive, refused) with the DNS
 * cookie edns_cookie() makes, and RRL's slip and BADCOOKIE cuts.  tests/fuzz/replay.c runs the corpus
 * through the same entry point with any compiler.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"
#include "answer.h"
#include "conf.h"
#include "edns_cookie.h"
#include "query.h"
#include "zone_conf.h"
#include "zone_index.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct zone_index	*zi;
static struct zone_conf		*zc;

static void
add(struct zone_index_builder *b, const char *net, int excl, uint32_t code,
    const char *reason)
{
	struct addr	 a;
	char		 err[128];

	if (addr_parse(net, &a, err, sizeof(err)) == -1 ||
	    zone_index_builder_add(b, &a, excl, code, reason) == -1)
		abort();
}

static void
fuzz_init(void)
{
	struct zone_index_builder	*b;
	struct conf			 c;
	char				 err[256], longtxt[700];

	memset(longtxt, '$', sizeof(longtxt) - 1);
	longtxt[sizeof(longtxt) - 1] = '\0';
	b = zone_index_builder_new();
	add(b, "192.0.2.0/24", 0, 0x7f000002, "Listed: $ see http://x/$");
	add(b, "192.0.2.99", 1, 0, NULL);
	add(b, "198.51.100.7", 0, 0x7f000003, longtxt);
	add(b, "10.0.0.0/8", 0, 0x7f000004, "");
	add(b, "2001:db8:1::/48", 0, 0x7f000005, "v6 $");
	add(b, "2001:db8::1", 0, 0x7f000006, "$$");
	zi = zone_index_builder_finish(b, "Default $");

	conf_init(&c);
	if (conf_set(&c, "zone", "bl.test", err, sizeof(err)) == -1 ||
	    conf_set(&c, "zone", "x.bl.test", err, sizeof(err)) == -1 ||
	    conf_set(&c, "ns", "ns1.bl.test 192.0.2.53 2001:db8::53", err,
	    sizeof(err)) == -1 ||
	    conf_set(&c, "ns", "ns2.bl.test", err, sizeof(err)) == -1 ||
	    (zc = zone_conf_new(&c, NULL, 1, err, sizeof(err))) == NULL)
		abort();
	conf_free(&c);
}

/*
 * Check a name at *off in msg[0..n): labels <= 63, total <= 255,
 * compression pointers only backwards (so no loops).  Returns 0 or -1.
 */
static int
check_name(const uint8_t *msg, size_t n, size_t *off)
{
	size_t	 o = *off, total = 0, limit = *off;
	int	 jumped = 0;

	for (;;) {
		if (o >= n)
			return -1;
		if ((msg[o] & 0xc0) == 0xc0) {
			size_t ptr;

			if (o + 1 >= n)
				return -1;
			ptr = (size_t)(msg[o] & 0x3f) << 8 | msg[o + 1];
			if (ptr >= limit || ptr < 12)
				return -1;
			if (!jumped)
				*off = o + 2;
			jumped = 1;
			limit = ptr;
			o = ptr;
			continue;
		}
		if (msg[o] > 63)
			return -1;
		total += (size_t)msg[o] + 1;
		if (total > 255)
			return -1;
		if (msg[o] == 0) {
			if (!jumped)
				*off = o + 1;
			return 0;
		}
		o += (size_t)msg[o] + 1;
	}
}

/* Walk the whole reply: it must end exactly where its records end. */
static int
check_reply(const uint8_t *msg, size_t n)
{
	size_t		 off = 12, rdlen, end;
	unsigned int	 i, counts, type;

	if (n < 12)
		return -1;
	if ((msg[4] << 8 | msg[5]) > 1)
		return -1;
	if (msg[5] == 1) {
		if (check_name(msg, n, &off) == -1 || off + 4 > n)
			return -1;
		off += 4;
	}
	counts = (unsigned int)(msg[6] << 8 | msg[7]) +
	    (unsigned int)(msg[8] << 8 | msg[9]) +
	    (unsigned int)(msg[10] << 8 | msg[11]);
	for (i = 0; i < counts; i++) {
		if (check_name(msg, n, &off) == -1 || off + 10 > n)
			return -1;
		type = (unsigned int)(msg[off] << 8 | msg[off + 1]);
		rdlen = (size_t)(msg[off + 8] << 8 | msg[off + 9]);
		off += 10;
		end = off + rdlen;
		if (end > n)
			return -1;
		if (type == 2 || type == 6) {	/* NS, SOA: names inside */
			if (check_name(msg, n, &off) == -1)
				return -1;
			if (type == 6 && check_name(msg, n, &off) == -1)
				return -1;
			if (off + (type == 6 ? 20 : 0) != end)
				return -1;
		}
		if (type == 16) {		/* TXT: strings fill it */
			if (rdlen == 0)
				return -1;
			while (off < end)
				off += (size_t)msg[off] + 1;
			if (off != end)
				return -1;
		}
		off = end;
	}
	return off == n ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 out[65535];
	static struct answer_stats st;
	static const uint8_t	 secret[SIPHASH_KEYLEN] = "fuzz-secret-0123";
	static const enum answer_mode modes[] = { ANSWER_NORMAL,
	    ANSWER_NORMAL, ANSWER_NORMAL, ANSWER_BLOCKED, ANSWER_EXCESSIVE,
	    ANSWER_REFUSE };
	struct query		 q;
	struct answer_opts	 o;
	struct src		 src;
	enum query_result	 qr;
	uint8_t			 cookie[QUERY_COOKIE_CLIENT +
				    COOKIE_SERVER_LEN], cookielen;
	size_t			 n, m, cap, udpmax;
	int			 run, tcp;

	if (zi == NULL)
		fuzz_init();
	qr = query_parse(data, size, &q);
	if (qr != QUERY_DROP && q.has_question &&
	    (q.qend <= 12 || q.qend > size || q.namelen < 1 ||
	    q.name[q.namelen - 1] != 0))
		abort();
	udpmax = !q.edns ? 512 : q.edns_size < ANSWER_EDNS_SIZE ?
	    q.edns_size : ANSWER_EDNS_SIZE;
	if (udpmax < 512)
		udpmax = 512;
	memset(&src, 0, sizeof(src));
	src.family = 4;
	memcpy(src.ip, "\xc0\x00\x02\x01", 4);
	memset(&o, 0, sizeof(o));
	if (qr != QUERY_DROP && edns_cookie(secret, &q, &src, 1800000000,
	    cookie, &cookielen) != COOKIE_NONE) {
		o.cookie = cookie;
		o.cookielen = cookielen;
	}
	o.src = "192.0.2.1";
	o.srclen = 9;
	/* UDP into a 512-byte buffer, UDP into a big one, TCP; then the
	 * access rules' modes with the cookie, over UDP */
	for (run = 0; run < 6; run++) {
		tcp = run == 2;
		cap = run == 0 || run == 5 ? 512 : sizeof(out);
		o.mode = modes[run];
		if (run < 3)
			n = answer_build(zc, zi, data, size, &q, qr, tcp, out,
			    cap, &st);
		else
			n = answer_build_ex(zc, zi, data, size, &q, qr, tcp,
			    out, cap, &st, &o);
		if (qr == QUERY_DROP) {
			if (n != 0)
				abort();
			continue;
		}
		if (n > cap || (!tcp && n > udpmax))
			abort();
		if (check_reply(out, n) == -1)
			abort();
		if (out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
			abort();
		if (q.has_question && memcmp(out + 12, data + 12,
		    q.qend - 12) != 0)
			abort();
		if (run < 3 || tcp)
			continue;
		/* RRL: the slip (TC) or BADCOOKIE cut of the same reply */
		m = answer_slip(out, n, &q, &o, run == 4);
		if (m > n || check_reply(out, m) == -1 ||
		    (out[6] | out[7] | out[8] | out[9]) != 0)
			abort();
	}
	return 0;
}
