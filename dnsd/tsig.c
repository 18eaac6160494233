/*
 * tsig.c -- TSIG (RFC 8945): the keys from the configuration, finding a
 * TSIG RR in a message (untrusted bytes: pure and bounded), and the MACs
 * of requests, responses and multi-message responses, with libcrypto's
 * HMAC (EVP_MAC "HMAC") and CRYPTO_memcmp.
 *
 * Our policy on truncated MACs (RFC 8945 5.2.2.1): a MAC shorter than
 * max(10, hash/2) octets or longer than the hash is malformed (tsig_find
 * returns -1: FORMERR); one in between is checked, then refused with
 * BADTRUNC (our local policy is the full length; the answer is signed).
 * What we send always carries the full-length MAC.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tsig.h"

#define HDRLEN		12
#define T_TSIG		250
#define C_ANY		255
#define MAC_MIN		10	/* octets, RFC 8945 5.2.2.1 */
#define KEYFILE_MAX	4096	/* bytes of a file:PATH secret */

static const struct {
	int		 id;
	const char	*name;		/* as in the conf */
	const uint8_t	*wire;		/* RFC 8945 6 */
	size_t		 wirelen;
	const char	*digest;
	size_t		 hashlen;
} algs[] = {
	{ TSIG_ALG_SHA256, "hmac-sha256",
	  (const uint8_t *)"\013hmac-sha256", 13, "SHA256", 32 },
	{ TSIG_ALG_SHA512, "hmac-sha512",
	  (const uint8_t *)"\013hmac-sha512", 13, "SHA512", 64 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

/* The TSIG variables (RFC 8945 4.3.3) of one message. */
struct tsig_vars {
	const uint8_t	*name;
	size_t		 namelen;
	const uint8_t	*alg;
	size_t		 alglen;
	uint64_t	 time;
	uint16_t	 fudge;
	uint16_t	 error;
	const uint8_t	*other;
	uint16_t	 otherlen;
};

static int	 alg_by_wire(const uint8_t *, size_t);
static int	 alg_index(int);
static int	 name_skip(const uint8_t *, size_t, size_t *);
static int	 name_read(const uint8_t *, size_t, size_t *, uint8_t *,
		    size_t *);
static int	 name_from_text(const char *, char *, uint8_t *, size_t *);
static int	 b64_decode(const char *, size_t, uint8_t *, size_t,
		    size_t *);
static int	 secret_from_file(const char *, char *, size_t, char *,
		    size_t);
static size_t	 mac_compute(const struct tsig_key *, const uint8_t *,
		    size_t, const uint8_t *, const uint8_t *, size_t,
		    const struct tsig_vars *, int, uint8_t *);
static size_t	 rr_append(uint8_t *, size_t, size_t,
		    const struct tsig_vars *, const uint8_t *, size_t);
static int	 time_ok(uint64_t, uint16_t, int64_t);

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint64_t
get48(const uint8_t *p)
{
	return (uint64_t)get16(p) << 32 | (uint64_t)get16(p + 2) << 16 |
	    get16(p + 4);
}

static inline void
set48(uint8_t *p, uint64_t v)
{
	set16(p, (uint16_t)(v >> 32));
	set16(p + 2, (uint16_t)(v >> 16));
	set16(p + 4, (uint16_t)v);
}

static int
alg_by_wire(const uint8_t *w, size_t len)
{
	size_t	 i;

	for (i = 0; i < NALGS; i++)
		if (len == algs[i].wirelen && memcmp(w, algs[i].wire, len) == 0)
			return (int)i;
	return -1;
}

static int
alg_index(int id)
{
	size_t	 i;

	for (i = 0; i < NALGS; i++)
		if (algs[i].id == id)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Keys (control path) */

/*
 * "Name.Example." to "name.example" in text and lower-cased wire form.
 * Letters, digits, '-' and '_' only (the names key files use); the root
 * is not a key name.
 */
static int
name_from_text(const char *s, char *text, uint8_t *wire, size_t *wirelen)
{
	size_t	 len = strlen(s), n = 0, lab = 0, i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (i == lab || i - lab > 63)
				return -1;
			wire[n++] = (uint8_t)(i - lab);
			for (; lab < i; lab++)
				wire[n++] = (uint8_t)tolower(
				    (unsigned char)s[lab]);
			lab = i + 1;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return -1;
	}
	wire[n++] = 0;
	*wirelen = n;
	for (i = 0; i < len; i++)
		text[i] = (char)tolower((unsigned char)s[i]);
	text[len] = '\0';
	return 0;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Base64 (RFC 4648 4) of s[0..len) into out; whitespace skipped, '='
 * padding optional but only at the end, no bits left over.  0 or -1.
 */
static int
b64_decode(const char *s, size_t len, uint8_t *out, size_t cap,
    size_t *outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, n = 0;
	int		 bits = 0, pad = 0, v;

	for (i = 0; i < len; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_val((unsigned char)s[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 2 or 4 bits left over by 2 or 3 final characters, all zero */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || pad > 2 ||
	    (pad && bits / 2 != pad))
		return -1;
	*outlen = n;
	return 0;
}

/*
 * The secret of file:PATH: the file holds the base64 secret alone, or a
 * BIND key clause (tsig-keygen's output): `secret "..."` is taken from it.
 */
static int
secret_from_file(const char *path, char *out, size_t outsz, char *why,
    size_t whylen)
{
	char		 buf[KEYFILE_MAX + 1], *p, *q;
	ssize_t		 r;
	size_t		 n = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%.200s: %s", path, strerror(errno));
		return -1;
	}
	while (n < sizeof(buf) - 1 &&
	    (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "%.200s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	if (n == sizeof(buf) - 1) {
		snprintf(why, whylen, "%.200s: longer than %d bytes", path,
		    KEYFILE_MAX);
		return -1;
	}
	buf[n] = '\0';
	if (strchr(buf, '{') != NULL) {
		/* key "name" { algorithm hmac-sha256; secret "..."; }; */
		if ((p = strstr(buf, "secret")) == NULL ||
		    (p = strchr(p, '"')) == NULL ||
		    (q = strchr(++p, '"')) == NULL) {
			snprintf(why, whylen, "%.200s: no secret "
			    "\"...\" in the key clause", path);
			return -1;
		}
		*q = '\0';
	} else
		p = buf;
	while (isspace((unsigned char)*p))
		p++;
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n == 0 || n >= outsz) {
		snprintf(why, whylen, "%.200s: %s secret", path,
		    n ? "too long a" : "no");
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* One "NAME ALGORITHM SECRET|file:PATH" line into k. */
static int
key_parse(const char *line, struct tsig_key *k, char *why, size_t whylen)
{
	char	 w[3][512], sec[KEYFILE_MAX + 1];
	char	 extra;
	int	 i, rc = -1;

	memset(k, 0, sizeof(*k));
	if (sscanf(line, "%511s %511s %511s %c", w[0], w[1], w[2],
	    &extra) != 3) {
		snprintf(why, whylen, "want NAME ALGORITHM SECRET (or "
		    "file:PATH)");
		return -1;
	}
	if (name_from_text(w[0], k->name, k->wire, &k->wirelen) == -1) {
		snprintf(why, whylen, "bad key name (letters, digits, '-', "
		    "'_' in labels of 1..63)");
		return -1;
	}
	for (i = 0; i < (int)NALGS; i++)
		if (strcasecmp(w[1], algs[i].name) == 0 ||
		    (strncasecmp(w[1], algs[i].name, 11) == 0 &&
		    strcmp(w[1] + 11, ".") == 0))
			break;
	if (i == (int)NALGS) {
		snprintf(why, whylen, "algorithm %.32s: want hmac-sha256 or "
		    "hmac-sha512", w[1]);
		return -1;
	}
	k->alg = algs[i].id;
	if (strncmp(w[2], "file:", 5) == 0) {
		if (secret_from_file(w[2] + 5, sec, sizeof(sec), why,
		    whylen) == -1)
			goto done;
	} else
		snprintf(sec, sizeof(sec), "%s", w[2]);
	if (b64_decode(sec, strlen(sec), k->secret, sizeof(k->secret),
	    &k->secretlen) == -1) {
		snprintf(why, whylen, "secret: not base64 (of at most %d "
		    "bytes)", TSIG_SECRET_MAX);
		goto done;
	}
	if (k->secretlen == 0) {
		snprintf(why, whylen, "secret: empty");
		goto done;
	}
	rc = 0;
done:
	explicit_bzero(sec, sizeof(sec));
	explicit_bzero(w[2], sizeof(w[2]));
	if (rc == -1)
		explicit_bzero(k->secret, sizeof(k->secret));
	return rc;
}

int
tsig_keys_load(struct tsig_keys *ks, const struct conf *conf, char *err,
    size_t errlen)
{
	char	 why[512], name[64];
	int	 i;

	memset(ks, 0, sizeof(*ks));
	for (i = 0; i < conf->ntsig_key && i < CONF_MAX_LIST; i++) {
		if (key_parse(conf->tsig_key[i], &ks->k[ks->n], why,
		    sizeof(why)) == -1) {
			/* the first word, never the secret */
			if (sscanf(conf->tsig_key[i], "%63s", name) != 1)
				snprintf(name, sizeof(name), "(empty)");
			snprintf(err, errlen, "tsig_key %s: %s", name, why);
			tsig_keys_clear(ks);
			return -1;
		}
		if (tsig_key_find(ks, ks->k[ks->n].name) != NULL) {
			snprintf(err, errlen, "tsig_key %s: defined twice",
			    ks->k[ks->n].name);
			tsig_keys_clear(ks);
			return -1;
		}
		ks->n++;
	}
	return 0;
}

const struct tsig_key *
tsig_key_find(const struct tsig_keys *ks, const char *name)
{
	size_t	 len = strlen(name);
	int	 i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (i = 0; i < ks->n; i++)
		if (strlen(ks->k[i].name) == len &&
		    strncasecmp(ks->k[i].name, name, len) == 0)
			return &ks->k[i];
	return NULL;
}

void
tsig_keys_clear(struct tsig_keys *ks)
{
	OPENSSL_cleanse(ks, sizeof(*ks));
	ks->n = 0;
}

/* ------------------------------------------------------------------ */
/* Reading a message (untrusted bytes) */

/* Step over a name (compressed or not) at *off. */
static int
name_skip(const uint8_t *msg, size_t len, size_t *off)
{
	size_t	 o = *off;

	for (;;) {
		if (o >= len)
			return -1;
		if ((msg[o] & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			*off = o + 2;
			return 0;
		}
		if (msg[o] & 0xc0)
			return -1;
		if (msg[o] == 0) {
			*off = o + 1;
			return 0;
		}
		o += 1 + msg[o];
	}
}

/*
 * Read the name at *off into out (uncompressed, lower case, at most
 * TSIG_NAME_MAX bytes) and step over it.  Each pointer must point before
 * the one followed last, so the walk ends.
 */
static int
name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
    size_t *outlen)
{
	size_t	 o = *off, n = 0, lowest = *off, end = 0, ptr, i;
	uint8_t	 c;

	for (;;) {
		if (o >= len)
			return -1;
		c = msg[o];
		if ((c & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			ptr = (size_t)(c & 0x3f) << 8 | msg[o + 1];
			if (ptr >= lowest)
				return -1;
			if (end == 0)
				end = o + 2;
			lowest = o = ptr;
			continue;
		}
		if (c & 0xc0)
			return -1;
		if (o + 1 + c > len || n + 1 + c + 1 > TSIG_NAME_MAX)
			return -1;
		out[n++] = c;
		for (i = 0; i < c; i++)
			out[n++] = (uint8_t)tolower(msg[o + 1 + i]);
		o += 1 + c;
		if (c == 0)
			break;
	}
	*off = end ? end : o;
	*outlen = n;
	return 0;
}

int
tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *t)
{
	size_t		 off = HDRLEN, rr, rdend;
	uint32_t	 i, nrr;
	uint16_t	 type, rdlen;
	int		 a;

	if (len < HDRLEN)
		return -1;
	if (get16(msg + 10) == 0)
		return 0;
	for (i = 0; i < get16(msg + 4); i++) {
		if (name_skip(msg, len, &off) == -1 || off + 4 > len)
			return -1;
		off += 4;
	}
	nrr = (uint32_t)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	for (i = 0; i < nrr; i++) {
		rr = off;
		if (name_skip(msg, len, &off) == -1 || off + 10 > len)
			return -1;
		type = get16(msg + off);
		rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		if (type == T_TSIG && i + 1 < nrr)
			return -1;		/* not the last one */
		if (type != T_TSIG) {
			off += rdlen;
			continue;
		}
		/* the last record: the TSIG */
		memset(t, 0, sizeof(*t));
		t->off = rr;
		off = rr;
		if (name_read(msg, len, &off, t->name, &t->namelen) == -1)
			return -1;
		if (get16(msg + off + 2) != C_ANY ||
		    get16(msg + off + 4) != 0 || get16(msg + off + 6) != 0)
			return -1;
		off += 10;
		rdend = off + rdlen;
		if (rdend != len)
			return -1;		/* bytes after the TSIG */
		if (name_read(msg, rdend, &off, t->alg, &t->alglen) == -1 ||
		    off + 10 > rdend)
			return -1;
		t->time_signed = get48(msg + off);
		t->fudge = get16(msg + off + 6);
		t->maclen = get16(msg + off + 8);
		off += 10;
		if (off + t->maclen + 6 > rdend)
			return -1;
		t->mac = msg + off;
		off += t->maclen;
		t->orig_id = get16(msg + off);
		t->error = get16(msg + off + 2);
		t->otherlen = get16(msg + off + 4);
		off += 6;
		if (off + t->otherlen != rdend)
			return -1;
		t->other = msg + off;
		/* RFC 8945 5.2.2.1: what no one may send */
		if ((a = alg_by_wire(t->alg, t->alglen)) >= 0) {
			if (t->maclen > algs[a].hashlen)
				return -1;
			if (t->maclen == 0 ? t->error == 0 :
			    t->maclen < MAC_MIN || t->maclen <
			    algs[a].hashlen / 2)
				return -1;
		}
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* MACs */

/*
 * The MAC of: prior MAC (its length, 2 bytes, then itself) if prior,
 * the message as header hdr + body, then the TSIG variables (all of them,
 * or the timers only).  Returns the MAC's length (the hash's), 0 on a
 * libcrypto failure.
 */
static size_t
mac_compute(const struct tsig_key *k, const uint8_t *prior, size_t priorlen,
    const uint8_t *hdr, const uint8_t *body, size_t bodylen,
    const struct tsig_vars *v, int timers_only, uint8_t *out)
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*c = NULL;
	OSSL_PARAM	 params[2];
	uint8_t		 b[16];
	size_t		 outlen = 0;
	int		 a, ok;

	if ((a = alg_index(k->alg)) == -1)
		return 0;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return 0;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)algs[a].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = (c = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(c, k->secret, k->secretlen, params) == 1;
	if (ok && prior != NULL) {
		set16(b, (uint16_t)priorlen);
		ok = EVP_MAC_update(c, b, 2) == 1 &&
		    EVP_MAC_update(c, prior, priorlen) == 1;
	}
	ok = ok && EVP_MAC_update(c, hdr, HDRLEN) == 1 &&
	    EVP_MAC_update(c, body, bodylen) == 1;
	if (ok && !timers_only) {
		set16(b, C_ANY);
		memset(b + 2, 0, 4);		/* TTL */
		ok = EVP_MAC_update(c, v->name, v->namelen) == 1 &&
		    EVP_MAC_update(c, b, 6) == 1 &&
		    EVP_MAC_update(c, v->alg, v->alglen) == 1;
	}
	set48(b, v->time);
	set16(b + 6, v->fudge);
	ok = ok && EVP_MAC_update(c, b, 8) == 1;
	if (ok && !timers_only) {
		set16(b, v->error);
		set16(b + 2, v->otherlen);
		ok = EVP_MAC_update(c, b, 4) == 1 &&
		    EVP_MAC_update(c, v->other, v->otherlen) == 1;
	}
	if (!ok || EVP_MAC_final(c, out, &outlen, TSIG_MAC_MAX) != 1 ||
	    outlen != algs[a].hashlen)
		outlen = 0;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
	return outlen;
}

/* Append the TSIG RR (variables v, MAC mac) to msg; count it. */
static size_t
rr_append(uint8_t *msg, size_t len, size_t cap, const struct tsig_vars *v,
    const uint8_t *mac, size_t maclen)
{
	size_t	 need, rdlen, o = len;

	rdlen = v->alglen + 10 + maclen + 6 + v->otherlen;
	need = v->namelen + 10 + rdlen;
	if (len < HDRLEN || need > cap - len || len + need > 65535 ||
	    get16(msg + 10) == 0xffff)
		return 0;
	memcpy(msg + o, v->name, v->namelen);
	o += v->namelen;
	set16(msg + o, T_TSIG);
	set16(msg + o + 2, C_ANY);
	memset(msg + o + 4, 0, 4);
	set16(msg + o + 8, (uint16_t)rdlen);
	o += 10;
	memcpy(msg + o, v->alg, v->alglen);
	o += v->alglen;
	set48(msg + o, v->time);
	set16(msg + o + 6, v->fudge);
	set16(msg + o + 8, (uint16_t)maclen);
	o += 10;
	if (maclen)
		memcpy(msg + o, mac, maclen);
	o += maclen;
	memcpy(msg + o, msg, 2);		/* original ID */
	set16(msg + o + 2, v->error);
	set16(msg + o + 4, v->otherlen);
	o += 6;
	if (v->otherlen)
		memcpy(msg + o, v->other, v->otherlen);
	o += v->otherlen;
	set16(msg + 10, (uint16_t)(get16(msg + 10) + 1));
	return o;
}

static int
time_ok(uint64_t signed_at, uint16_t fudge, int64_t now)
{
	int64_t	 t = (int64_t)signed_at;

	return now >= t - fudge && now <= t + fudge;
}

/* The header of a signed message as it was before its TSIG was added. */
static void
hdr_unsigned(const uint8_t *msg, const struct tsig_rr *t, uint8_t *hdr)
{
	memcpy(hdr, msg, HDRLEN);
	set16(hdr, t->orig_id);
	set16(hdr + 10, (uint16_t)(get16(msg + 10) - 1));
}

static void
vars_of(const struct tsig_rr *t, struct tsig_vars *v)
{
	v->name = t->name;
	v->namelen = t->namelen;
	v->alg = t->alg;
	v->alglen = t->alglen;
	v->time = t->time_signed;
	v->fudge = t->fudge;
	v->error = t->error;
	v->other = t->other;
	v->otherlen = t->otherlen;
}

int
tsig_verify_request(const struct tsig_keys *ks, const uint8_t *msg,
    size_t len, const struct tsig_rr *t, int64_t now, struct tsig_ctx *ctx)
{
	struct tsig_vars	 v;
	uint8_t			 hdr[HDRLEN], mac[TSIG_MAC_MAX];
	size_t			 maclen;
	int			 i, a;

	memset(ctx, 0, sizeof(*ctx));
	memcpy(ctx->keyname, t->name, t->namelen);
	ctx->keynamelen = t->namelen;
	memcpy(ctx->alg, t->alg, t->alglen);
	ctx->alglen = t->alglen;
	ctx->req_time = t->time_signed;
	ctx->error = TSIG_BADKEY;
	if (len < HDRLEN || t->off > len || (a = alg_by_wire(t->alg,
	    t->alglen)) == -1)
		return ctx->error;
	/* 5.2.1 key */
	for (i = 0; i < ks->n; i++)
		if (ks->k[i].alg == algs[a].id &&
		    ks->k[i].wirelen == t->namelen &&
		    memcmp(ks->k[i].wire, t->name, t->namelen) == 0)
			break;
	if (i == ks->n)
		return ctx->error;
	ctx->key = &ks->k[i];
	/* 5.2.2 MAC (tsig_find checked its length) */
	ctx->error = TSIG_BADSIG;
	if (t->maclen == 0 || t->maclen > algs[a].hashlen)
		return ctx->error;
	hdr_unsigned(msg, t, hdr);
	vars_of(t, &v);
	maclen = mac_compute(ctx->key, NULL, 0, hdr, msg + HDRLEN,
	    t->off - HDRLEN, &v, 0, mac);
	if (maclen == 0 || CRYPTO_memcmp(mac, t->mac, t->maclen) != 0)
		return ctx->error;
	memcpy(ctx->mac, t->mac, t->maclen);
	ctx->maclen = t->maclen;
	/* 5.2.3 time, 5.2.4 truncation */
	if (!time_ok(t->time_signed, t->fudge, now))
		ctx->error = TSIG_BADTIME;
	else if (t->maclen < algs[a].hashlen)
		ctx->error = TSIG_BADTRUNC;
	else
		ctx->error = TSIG_OK;
	return ctx->error;
}

size_t
tsig_sign(struct tsig_ctx *ctx, uint8_t *msg, size_t len, size_t cap,
    int64_t now)
{
	struct tsig_vars	 v;
	uint8_t			 mac[TSIG_MAC_MAX], other[6];
	size_t			 maclen, n;
	int			 a;

	if (len < HDRLEN || len > cap)
		return 0;
	memset(&v, 0, sizeof(v));
	v.name = ctx->key ? ctx->key->wire : ctx->keyname;
	v.namelen = ctx->key ? ctx->key->wirelen : ctx->keynamelen;
	v.time = (uint64_t)now;
	v.fudge = TSIG_FUDGE;
	v.error = ctx->error;
	if (ctx->key == NULL || ctx->error == TSIG_BADKEY ||
	    ctx->error == TSIG_BADSIG) {
		/* RFC 8945 5.3.2: unsigned, the request's names */
		if (ctx->error == TSIG_OK || ctx->keynamelen == 0 ||
		    ctx->alglen == 0)
			return 0;
		v.name = ctx->keyname;
		v.namelen = ctx->keynamelen;
		v.alg = ctx->alg;
		v.alglen = ctx->alglen;
		n = rr_append(msg, len, cap, &v, NULL, 0);
		if (n)
			ctx->nsigned++;
		return n;
	}
	if ((a = alg_index(ctx->key->alg)) == -1)
		return 0;
	v.alg = algs[a].wire;
	v.alglen = algs[a].wirelen;
	if (ctx->error == TSIG_BADTIME) {
		/* signed at the request's time, ours in other data, so the
		 * client can check it and see how far apart the clocks are */
		v.time = ctx->req_time;
		set48(other, (uint64_t)now);
		v.other = other;
		v.otherlen = sizeof(other);
	}
	/* the first message over the request's MAC and all variables, the
	 * later ones over the previous MAC and the timers (5.3.1) */
	maclen = mac_compute(ctx->key, ctx->mac, ctx->maclen, msg,
	    msg + HDRLEN, len - HDRLEN, &v, ctx->nsigned > 0, mac);
	if (maclen == 0)
		return 0;
	if ((n = rr_append(msg, len, cap, &v, mac, maclen)) == 0)
		return 0;
	memcpy(ctx->mac, mac, maclen);
	ctx->maclen = maclen;
	ctx->nsigned++;
	return n;
}

size_t
tsig_sign_request(const struct tsig_key *k, struct tsig_ctx *ctx,
    uint8_t *msg, size_t len, size_t cap, int64_t now)
{
	struct tsig_vars	 v;
	int			 a;
	size_t			 n;

	memset(ctx, 0, sizeof(*ctx));
	if ((a = alg_index(k->alg)) == -1 || len < HDRLEN || len > cap)
		return 0;
	memset(&v, 0, sizeof(v));
	v.name = k->wire;
	v.namelen = k->wirelen;
	v.alg = algs[a].wire;
	v.alglen = algs[a].wirelen;
	v.time = (uint64_t)now;
	v.fudge = TSIG_FUDGE;
	ctx->maclen = mac_compute(k, NULL, 0, msg, msg + HDRLEN,
	    len - HDRLEN, &v, 0, ctx->mac);
	if (ctx->maclen == 0 ||
	    (n = rr_append(msg, len, cap, &v, ctx->mac, ctx->maclen)) == 0) {
		memset(ctx, 0, sizeof(*ctx));
		return 0;
	}
	ctx->key = k;
	ctx->req_time = (uint64_t)now;
	memcpy(ctx->keyname, k->wire, k->wirelen);
	ctx->keynamelen = k->wirelen;
	memcpy(ctx->alg, v.alg, v.alglen);
	ctx->alglen = v.alglen;
	return n;
}

int
tsig_verify_response(struct tsig_ctx *ctx, const uint8_t *msg, size_t len,
    int64_t now)
{
	struct tsig_rr		 t;
	struct tsig_vars	 v;
	uint8_t			 hdr[HDRLEN], mac[TSIG_MAC_MAX];
	size_t			 maclen;
	int			 a;

	if (ctx->key == NULL || tsig_find(msg, len, &t) != 1)
		return TSIG_BADSIG;
	if ((a = alg_index(ctx->key->alg)) == -1 ||
	    t.namelen != ctx->key->wirelen ||
	    memcmp(t.name, ctx->key->wire, t.namelen) != 0 ||
	    t.alglen != algs[a].wirelen ||
	    memcmp(t.alg, algs[a].wire, t.alglen) != 0)
		return TSIG_BADKEY;
	if (t.maclen == 0)			/* an unsigned error */
		return t.error ? t.error : TSIG_BADSIG;
	if (t.maclen != algs[a].hashlen)
		return TSIG_BADTRUNC;
	hdr_unsigned(msg, &t, hdr);
	vars_of(&t, &v);
	maclen = mac_compute(ctx->key, ctx->mac, ctx->maclen, hdr,
	    msg + HDRLEN, t.off - HDRLEN, &v, ctx->nsigned > 0, mac);
	if (maclen == 0 || CRYPTO_memcmp(mac, t.mac, maclen) != 0)
		return TSIG_BADSIG;
	if (!time_ok(t.time_signed, t.fudge, now))
		return TSIG_BADTIME;
	memcpy(ctx->mac, t.mac, maclen);
	ctx->maclen = maclen;
	ctx->nsigned++;
	return t.error;
}
