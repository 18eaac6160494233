/*
 * import_parse.c -- the import formats of orblctl import (see
 * import_parse.h): rbldnsd ip4set/ip6trie data and plain lists.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "import_parse.h"
#include "reason.h"
#include "xmalloc.h"

void
imp_init(struct imp *im, const char *name)
{
	memset(im, 0, sizeof(*im));
	im->name = name;
	im->defcode = DB_CODE_DEFAULT;
}

static const char *
imp_intern(struct imp *im, const char *s)
{
	if (s == NULL)
		return NULL;
	if (im->last != NULL && strcmp(im->last, s) == 0)
		return im->last;
	if (im->npool == im->poolcap) {
		im->poolcap = im->poolcap ? im->poolcap * 2 : 64;
		im->pool = xreallocarray(im->pool, im->poolcap,
		    sizeof(*im->pool));
	}
	im->pool[im->npool] = xstrdup(s);
	im->last = im->pool[im->npool++];
	return im->last;
}

static int
imp_error(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
imp_error(struct imp *im, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(im->err, sizeof(im->err), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * With an entry function the strings of the entries handed out are not
 * needed after the call: all but the current default and the last one go,
 * so that a file of ten million different reasons does not keep them.
 */
static void
imp_pool_trim(struct imp *im)
{
	size_t	 i, keep = 0;

	for (i = 0; i < im->npool; i++) {
		if (im->pool[i] == im->deftxt || im->pool[i] == im->last)
			im->pool[keep++] = im->pool[i];
		else
			free(im->pool[i]);
	}
	im->npool = keep;
}

static void
imp_add(struct imp *im, const struct addr *net, int exclude, uint32_t code,
    const char *reason)
{
	struct imp_entry	*e, one;

	if (im->entry != NULL) {
		if (im->failed)
			return;
		one.net = *net;
		one.exclude = (uint8_t)(exclude != 0);
		one.code = exclude ? DB_CODE_DEFAULT : code;
		one.reason = reason;
		one.seq = im->n++;
		if (im->entry(im->entryarg, &one) == -1)
			im->failed = 1;
		else if (im->npool > 64)
			imp_pool_trim(im);
		return;
	}
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 1024;
		im->v = xreallocarray(im->v, im->cap, sizeof(*im->v));
	}
	e = &im->v[im->n++];
	e->net = *net;
	e->exclude = (uint8_t)(exclude != 0);
	e->code = exclude ? DB_CODE_DEFAULT : code;
	e->reason = reason;
	e->seq = im->n - 1;
}

void
imp_free(struct imp *im)
{
	size_t	 i;

	for (i = 0; i < im->npool; i++)
		free(im->pool[i]);
	free(im->pool);
	free(im->v);
	free(im->soa);
	free(im->ns);
	free(im->ttl);
}

static char *
skipws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void
rtrim(char *s)
{
	char	*e = s + strlen(s);

	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
}

/* A TXT from the file: trimmed, checked; "" is NULL. */
static int
imp_txt(struct imp *im, char *s, const char **out)
{
	char	 r[REASON_MAX + 1], err[256];
	int	 rc;

	if ((rc = reason_check(s, r, err, sizeof(err))) == -1)
		return imp_error(im, "%s", err);
	*out = rc ? imp_intern(im, r) : NULL;
	return 0;
}

/*
 * Up to 4 decimal octets "a[.b[.c[.d]]]" at *sp; *sp is left after them.
 * Returns how many, or -1.
 */
static int
octets(const char **sp, uint8_t o[4])
{
	const char	*s = *sp;
	int		 n = 0, digits;
	unsigned int	 v;

	memset(o, 0, 4);
	for (;;) {
		v = 0;
		for (digits = 0; isdigit((unsigned char)*s); s++, digits++) {
			v = v * 10 + (unsigned int)(*s - '0');
			if (digits >= 3 || v > 255)
				return -1;
		}
		if (digits == 0 || n == 4)
			return -1;
		o[n++] = (uint8_t)v;
		if (*s != '.')
			break;
		s++;
	}
	*sp = s;
	return n;
}

static uint32_t
octets_v4(const uint8_t o[4])
{
	return (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 |
	    (uint32_t)o[2] << 8 | o[3];
}

/* An rbldnsd A value: "2" = 127.0.0.2, "1.2" = 127.0.1.2, full address. */
static int
imp_code(struct imp *im, const char *s, uint32_t *code)
{
	const char	*p = s;
	uint8_t		 o[4];
	int		 n, i;
	uint32_t	 v = 0x7f000000u;

	if ((n = octets(&p, o)) == -1 || *p != '\0')
		return imp_error(im, "bad A value '%s' (expected 127.0.0.N "
		    "or N)", s);
	for (i = 0; i < n; i++)
		v |= (uint32_t)o[i] << (8 * (n - 1 - i));
	if (n == 4)
		v = octets_v4(o);
	if ((v >> 24) != 127)
		return imp_error(im, "A value '%s' is outside 127.0.0.0/8", s);
	*code = v;
	return 0;
}

/*
 * ":A:TXT" (s is after the first colon).  No second colon: TXT is dtxt;
 * an empty A is dcode; an empty TXT after a second colon is none.
 */
static int
imp_value(struct imp *im, char *s, uint32_t dcode, const char *dtxt,
    uint32_t *code, const char **txt)
{
	char	*colon, *a;

	if ((colon = strchr(s, ':')) != NULL)
		*colon = '\0';
	a = skipws(s);
	rtrim(a);
	*code = dcode;
	if (*a != '\0' && imp_code(im, a, code) == -1)
		return -1;
	*txt = dtxt;
	if (colon != NULL)
		return imp_txt(im, skipws(colon + 1), txt);
	return 0;
}

/* The minimal CIDR blocks covering [lo, hi]. */
static void
imp_range(struct imp *im, uint64_t lo, uint64_t hi, int exclude,
    uint32_t code, const char *txt)
{
	struct addr	 a;
	int		 bits;

	while (lo <= hi) {
		for (bits = 32; bits > 0; bits--) {
			uint64_t size = 1ULL << bits;

			if ((lo & (size - 1)) == 0 && lo + size - 1 <= hi)
				break;
		}
		addr_set_v4(&a, (uint32_t)lo, 32 - bits);
		imp_add(im, &a, exclude, code, txt);
		lo += 1ULL << bits;
	}
}

/* An IPv4 entry in rbldnsd syntax: a.b.c.d, a.b.c (/24), a/8, ranges. */
static int
imp_v4(struct imp *im, const char *tok, int exclude, uint32_t code,
    const char *txt)
{
	const char	*p = tok;
	uint8_t		 o[4], r[4];
	int		 n, nr, i, plen;
	uint32_t	 lo, hi;
	struct addr	 a, m;
	char		 buf[ADDR_STRLEN];

	if ((n = octets(&p, o)) == -1)
		return imp_error(im, "'%s': not an address", tok);
	if (*p == '-') {
		p++;
		if ((nr = octets(&p, r)) == -1 || *p != '\0')
			return imp_error(im, "'%s': bad range", tok);
		lo = octets_v4(o);
		if (nr == 1) {		/* suffix of the first boundary */
			uint8_t	 suffix = r[0];

			memcpy(r, o, 4);
			r[n - 1] = suffix;
			nr = n;
		}
		for (i = nr; i < 4; i++)
			r[i] = 255;
		hi = octets_v4(r);
		if (hi < lo)
			return imp_error(im, "'%s': range ends before it "
			    "starts", tok);
		imp_range(im, lo, hi, exclude, code, txt);
		return 0;
	}
	plen = 8 * n;
	if (*p == '/') {
		char	*end;
		long	 l;

		p++;
		if (!isdigit((unsigned char)*p))
			return imp_error(im, "'%s': bad prefix length", tok);
		errno = 0;
		l = strtol(p, &end, 10);
		if (*end != '\0' || errno || l > 32)
			return imp_error(im, "'%s': bad prefix length", tok);
		plen = (int)l;
		p = end;
	}
	if (*p != '\0')
		return imp_error(im, "'%s': not an address", tok);
	addr_set_v4(&a, octets_v4(o), plen);
	m = a;
	addr_mask(&m);
	if (memcmp(m.a, a.a, 16) != 0)
		return imp_error(im, "'%s': host bits set past /%d (did you "
		    "mean %s?)", tok, plen, addr_format(&m, buf, sizeof(buf)));
	imp_add(im, &a, exclude, code, txt);
	return 0;
}

/* An IPv6 entry in ip6trie syntax: "2001:db8:1" is 2001:db8:1::/48. */
static int
imp_v6(struct imp *im, const char *tok, int exclude, uint32_t code,
    const char *txt)
{
	char		 base[ADDR_STRLEN], s[ADDR_STRLEN * 2], err[256];
	const char	*slash, *c;
	size_t		 blen;
	int		 groups = 1, plen = 128;
	struct addr	 a;

	if (strchr(tok, '-') != NULL)
		return imp_error(im, "'%s': IPv6 ranges are not supported "
		    "(use CIDR)", tok);
	slash = strchr(tok, '/');
	blen = slash ? (size_t)(slash - tok) : strlen(tok);
	if (blen == 0 || blen >= sizeof(base) - 2)
		return imp_error(im, "'%s': not an address", tok);
	memcpy(base, tok, blen);
	base[blen] = '\0';
	if (strstr(base, "::") == NULL && strchr(base, '.') == NULL) {
		for (c = base; *c; c++)
			groups += *c == ':';
		if (groups < 8) {
			memcpy(base + blen, "::", 3);
			plen = 16 * groups;
		}
	}
	if (slash)
		snprintf(s, sizeof(s), "%s%s", base, slash);
	else
		snprintf(s, sizeof(s), "%s/%d", base, plen);
	if (addr_parse(s, &a, err, sizeof(err)) == -1)
		return imp_error(im, "%s", err);
	imp_add(im, &a, exclude, code, txt);
	return 0;
}

/* "$SOA ...", "$NS ...", "$TTL ...": kept; other specials: warned. */
static int
imp_special(struct imp *im, char *s)
{
	char	*kw = s + 1, *rest, **slot = NULL;

	for (rest = kw; *rest && !isspace((unsigned char)*rest); rest++)
		;
	if (*rest)
		*rest++ = '\0';
	rest = skipws(rest);
	rtrim(rest);
	if (strcmp(kw, "SOA") == 0)
		slot = &im->soa;
	else if (strcmp(kw, "NS") == 0)
		slot = &im->ns;
	else if (strcmp(kw, "TTL") == 0)
		slot = &im->ttl;
	if (slot == NULL) {
		im->nwarn++;
		if (im->warn != NULL) {
			char	*msg;

			xasprintf(&msg, "$%s ignored", kw);
			im->warn(im->warnarg, im->lineno, msg);
			free(msg);
		}
		return 0;
	}
	if (*rest == '\0')
		return imp_error(im, "$%s without a value", kw);
	if (*slot == NULL)	/* the first one counts, as in rbldnsd */
		*slot = xstrdup(rest);
	return 0;
}

static int
is_v6_token(const char *s)
{
	char		 buf[ADDR_STRLEN];
	struct in6_addr	 in6;
	size_t		 n = strcspn(s, " \t/#;");

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &in6) == 1;
}

static int
imp_rbldnsd_line(struct imp *im, char *line)
{
	char		*p = skipws(line), *tok, *rest;
	const char	*txt;
	uint32_t	 code;
	int		 exclude = 0;

	if (*p == '\0')
		return 0;
	if (*p == '$' || ((*p == '#' || *p == ';' || *p == ':') &&
	    p[1] == '$'))
		return imp_special(im, *p == '$' ? p : p + 1);
	if (*p == '#' || *p == ';')
		return 0;
	if (*p == ':' && !is_v6_token(p))
		return imp_value(im, p + 1, DB_CODE_DEFAULT, NULL, &im->defcode,
		    &im->deftxt);
	if (*p == '!') {
		exclude = 1;
		p = skipws(p + 1);
	}
	tok = p;
	while (*p && !isspace((unsigned char)*p) && *p != '#' && *p != ';')
		p++;
	rest = *p == '#' || *p == ';' ? p + strlen(p) : skipws(p);
	*p = '\0';
	if (*tok == '\0')
		return imp_error(im, "missing address");
	code = im->defcode;
	txt = exclude ? NULL : im->deftxt;
	if (*rest == '#' || *rest == ';' || *rest == '\0')
		;
	else if (*rest == ':') {
		if (imp_value(im, rest + 1, im->defcode, txt, &code,
		    &txt) == -1)
			return -1;
	} else if (imp_txt(im, rest, &txt) == -1)
		return -1;
	if (strchr(tok, ':') != NULL)
		return imp_v6(im, tok, exclude, code, txt);
	return imp_v4(im, tok, exclude, code, txt);
}

/* Plain: "ADDR|CIDR [reason text]", '#' comments, '!' exclusions. */
static int
imp_plain_line(struct imp *im, char *line)
{
	char		*p = skipws(line), *tok, *rest, err[256];
	const char	*txt = NULL;
	struct addr	 a;
	int		 exclude = 0;

	if (*p == '\0' || *p == '#')
		return 0;
	if (*p == '!') {
		exclude = 1;
		p = skipws(p + 1);
	}
	tok = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	rest = *p ? skipws(p + 1) : p;
	*p = '\0';
	if (addr_parse(tok, &a, err, sizeof(err)) == -1)
		return imp_error(im, "%s", err);
	if (*rest != '\0' && *rest != '#' && imp_txt(im, rest, &txt) == -1)
		return -1;
	imp_add(im, &a, exclude, DB_CODE_DEFAULT, txt);
	return 0;
}

int
imp_parse(struct imp *im, FILE *f, int rbldnsd)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	int	 rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		im->lineno++;
		im->bytes += (uint64_t)len;
		if (im->tick != NULL &&
		    (im->lineno & (IMP_TICK_LINES - 1)) == 0)
			im->tick(im->tickarg, im->lineno, im->bytes);
		if (len > IMP_LINE_MAX) {
			rc = imp_error(im, "line too long");
			break;
		}
		if ((size_t)len != strlen(line)) {
			rc = imp_error(im, "NUL byte in line");
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		rc = rbldnsd ? imp_rbldnsd_line(im, line) :
		    imp_plain_line(im, line);
		if (im->failed)
			rc = -1;
	}
	if (rc == 0 && ferror(f)) {
		im->lineno++;
		rc = imp_error(im, "read error: %s", strerror(errno));
	}
	free(line);
	return rc;
}

