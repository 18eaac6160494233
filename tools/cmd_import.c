/*
 * cmd_import.c -- orblctl import: rbldnsd ip4set/ip6trie data or a plain
 * list.  The whole file is parsed first, so a bad line changes nothing;
 * then it is written in one transaction (with --replace, entries an
 * earlier import made that the file no longer has are removed in it too).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "db.h"
#include "xmalloc.h"

#define IMP_LINE_MAX	65536
#define IMP_WARN_SHOWN	5

/* One entry parsed from the file. */
struct ient {
	struct addr	 net;
	uint8_t		 exclude;
	uint32_t	 code;
	const char	*reason;	/* in the string pool, or NULL */
	size_t		 seq;		/* position in the file */
};

struct imp {
	const char	*name;		/* for messages */
	unsigned long	 lineno;
	char		 err[512];
	struct ient	*v;
	size_t		 n, cap;
	/* reasons: one copy per distinct run of equal strings */
	char		**pool;
	size_t		 npool, poolcap;
	const char	*last;
	/* rbldnsd scope default (":A:TXT" line) */
	uint32_t	 defcode;
	const char	*deftxt;
	char		*soa, *ns, *ttl;
	unsigned long	 nwarn;
};

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

static void
imp_add(struct imp *im, const struct addr *net, int exclude, uint32_t code,
    const char *reason)
{
	struct ient	*e;

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

static void
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
	char	 r[CTL_REASON_MAX + 1], err[256];
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
		if (im->nwarn++ < IMP_WARN_SHOWN)
			fprintf(stderr, "orblctl: warning: %s:%lu: $%s "
			    "ignored\n", im->name, im->lineno, kw);
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

static int
imp_parse(struct imp *im, FILE *f, int rbldnsd)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	int	 rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
		im->lineno++;
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
	}
	if (rc == 0 && ferror(f)) {
		im->lineno++;
		rc = imp_error(im, "read error: %s", strerror(errno));
	}
	free(line);
	return rc;
}

/* By address, then file order (the last of duplicates wins): writing in
 * index order keeps SQLite's B-tree inserts local, several times faster
 * than file order on a large list. */
static int
ient_cmp(const void *x, const void *y)
{
	const struct ient	*a = x, *b = y;
	int			 c;

	if ((c = addr_cmp(&a->net, &b->net)) != 0)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* What the database held before the import. */
struct xent {
	struct addr	 net;
	uint8_t		 import, seen;
};

struct xvec {
	struct xent	*v;
	size_t		 n, cap;
};

static int
xvec_add_cb(const struct listing *l, void *arg)
{
	struct xvec	*xv = arg;

	if (xv->n == xv->cap) {
		xv->cap = xv->cap ? xv->cap * 2 : 1024;
		xv->v = xreallocarray(xv->v, xv->cap, sizeof(*xv->v));
	}
	xv->v[xv->n].net = l->net;
	xv->v[xv->n].import = l->source && strcmp(l->source, "import") == 0;
	xv->v[xv->n].seen = 0;
	xv->n++;
	return 0;
}

static int
xent_cmp(const void *x, const void *y)
{
	return addr_cmp(&((const struct xent *)x)->net,
	    &((const struct xent *)y)->net);
}

static int
addr_cmp_v(const void *x, const void *y)
{
	return addr_cmp(x, y);
}

struct imp_counts {
	size_t	 added, updated, unchanged, removed;
};

static int
imp_write(struct ctl *ctl, struct db *db, struct imp *im, int replace,
    struct imp_counts *c)
{
	struct xvec	 xv = { NULL, 0, 0 };
	struct xent	 key, *x;
	struct addr	*fresh = NULL;
	struct listing	 l;
	char		*why;
	size_t		 i, nfresh = 0, uniq;
	int		 changed, rc = -1;

	xasprintf(&why, "import %s", im->name);
	/* Only --replace needs to know every entry already there; a small
	 * import into a big list must not read the whole list. */
	if (replace &&
	    db_listing_foreach(db, DB_ALL, ctl->now, xvec_add_cb, &xv) != 0)
		goto out;
	if (xv.n > 0)
		qsort(xv.v, xv.n, sizeof(*xv.v), xent_cmp);
	if (im->n > 0)
		qsort(im->v, im->n, sizeof(*im->v), ient_cmp);
	fresh = xreallocarray(NULL, im->n ? im->n : 1, sizeof(*fresh));
	memset(&l, 0, sizeof(l));
	l.source = "import";
	l.actor = ctl->actor;
	l.created = l.updated = ctl->now;
	for (i = 0; i < im->n; i++) {
		l.net = im->v[i].net;
		l.exclude = im->v[i].exclude;
		l.code = im->v[i].code;
		l.reason = im->v[i].reason;
		if (db_listing_put(db, &l, why, &changed) == -1)
			goto out;
		key.net = l.net;
		if (xv.n > 0 && (x = bsearch(&key, xv.v, xv.n,
		    sizeof(*xv.v), xent_cmp)) != NULL)
			x->seen = 1;
		if (changed == 1)
			fresh[nfresh++] = l.net;
		else if (changed == 2)
			c->updated++;
		else
			c->unchanged++;
	}
	/* An entry new to the db but twice in the file is added once. */
	if (nfresh > 0)
		qsort(fresh, nfresh, sizeof(*fresh), addr_cmp_v);
	for (i = uniq = 0; i < nfresh; i++)
		if (i == 0 || addr_cmp(&fresh[i - 1], &fresh[i]) != 0)
			uniq++;
	c->added = uniq;
	c->updated += nfresh - uniq;
	if ((im->soa && db_meta_set(db, "soa", im->soa) == -1) ||
	    (im->ns && db_meta_set(db, "ns", im->ns) == -1) ||
	    (im->ttl && db_meta_set(db, "ttl", im->ttl) == -1))
		goto out;
	if (replace) {
		free(why);
		xasprintf(&why, "import --replace %s: not in the file",
		    im->name);
		for (i = 0; i < xv.n; i++) {
			if (!xv.v[i].import || xv.v[i].seen)
				continue;
			if (db_listing_remove(db, &xv.v[i].net, ctl->actor,
			    why) != 0)
				goto out;
			c->removed++;
		}
	}
	rc = 0;
 out:
	free(why);
	free(fresh);
	free(xv.v);
	return rc;
}

int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	const char		*fmt = NULL;
	int			 replace = 0;
	struct ctl_opt		 opts[] = {
		{ "format", 1, &fmt, NULL },
		{ "replace", 0, NULL, &replace },
		{ NULL, 0, NULL, NULL }
	};
	struct imp		 im;
	struct imp_counts	 c;
	struct db		*db;
	FILE			*f;
	char			*pos[1];
	int			 npos, rbldnsd, rc;

	if (ctl_getopt("import", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("import", "import: missing FILE (- for "
		    "standard input)");
	if (fmt == NULL)
		return ctl_usage_err("import", "import: --format rbldnsd|plain "
		    "is required");
	if (strcmp(fmt, "rbldnsd") == 0)
		rbldnsd = 1;
	else if (strcmp(fmt, "plain") == 0)
		rbldnsd = 0;
	else
		return ctl_usage_err("import", "import: unknown format '%s' "
		    "(rbldnsd or plain)", fmt);
	memset(&im, 0, sizeof(im));
	memset(&c, 0, sizeof(c));
	im.defcode = DB_CODE_DEFAULT;
	if (strcmp(pos[0], "-") == 0) {
		f = stdin;
		im.name = "stdin";
	} else if ((f = fopen(pos[0], "r")) == NULL)
		return ctl_err("%s: %s", pos[0], strerror(errno));
	else
		im.name = pos[0];
	rc = imp_parse(&im, f, rbldnsd);
	if (f != stdin)
		fclose(f);
	if (rc == -1) {
		ctl_err("%s:%lu: %s", im.name, im.lineno, im.err);
		imp_free(&im);
		return CTL_FAIL;
	}
	if ((db = ctl_db_open(ctl, 0)) == NULL) {
		imp_free(&im);
		return CTL_FAIL;
	}
	if (db_begin(db) == -1 || imp_write(ctl, db, &im, replace, &c) == -1 ||
	    db_commit(db) == -1) {
		ctl_err("%s: nothing imported: %s", im.name, db_errmsg(db));
		db_rollback(db);
		db_close(db);
		imp_free(&im);
		return CTL_FAIL;
	}
	db_close(db);
	printf("imported %s: %lu lines, %zu entries: %zu added, %zu updated, "
	    "%zu unchanged, %zu removed", im.name, im.lineno, im.n, c.added,
	    c.updated, c.unchanged, c.removed);
	if (im.nwarn)
		printf(", %lu special lines ignored", im.nwarn);
	putchar('\n');
	imp_free(&im);
	return CTL_OK;
}
