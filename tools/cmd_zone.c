/*
 * cmd_zone.c -- export the list as a DNS master zone file (NSD, Knot, BIND).
 *
 * DNS has no "this CIDR range": ranges become wildcards at label
 * boundaries (octets for IPv4, nibbles for IPv6) and single addresses
 * explicit names.  The catch is RFC 4592: a wildcard only answers below
 * its closest encloser, so any name that exists under a node (an explicit
 * name, or an empty non-terminal on the way to one) hides the wildcards
 * above it for everything below that node.
 *
 * So the export works from what each address must answer, not from the
 * entries: the entries (most specific wins; RFC 5782 test points forced)
 * become a partition of the address space into intervals of equal answer.
 * Then one walk down the label tree: a node whose whole block answers the
 * same is one record (a wildcard "*.N", or "N" with only a TXT, which
 * exists and so stops the wildcards above: NXDOMAIN below it), or nothing
 * when its parent already answers that way; any other node gets its own
 * wildcard for the commonest answer of its children and the walk goes on
 * into the children that answer otherwise.  IPv4 names (4 labels) and
 * IPv6 names (32 labels) share the labels 0-9 near the apex, so a node may
 * stand for an IPv4 block and an IPv6 block at once and must suit both.
 *
 * A TXT template's '$' is the address for an explicit name and the
 * entry's CIDR for a wildcard (a zone file cannot vary it per query).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "db.h"
#include "fmt.h"
#include "progress.h"
#include "xmalloc.h"

typedef unsigned __int128 u128;

#define U128_MAX	(~(u128)0)

/* What an address answers when listed; NULL pointers mean "not listed". */
struct zval {
	uint32_t	 code;
	const char	*tmpl;		/* TXT template, default applied */
	struct addr	 net;		/* the deciding entry, for '$' */
};

struct zent {
	u128		 lo, hi;
	int		 prefix;
	size_t		 vidx;		/* while loading: w->vals index + 1 */
	const struct zval *val;		/* NULL: exclusion */
};

struct ziv {
	u128		 lo, hi;
	const struct zval *val;
};

struct zfam {
	int		 bits, lbits, depth;	/* 32/8/4 or 128/4/32 */
	struct zent	*e;
	size_t		 ne, cape;
	struct ziv	*iv;
	size_t		 niv, capiv;
};

struct znode {
	int		 d;
	int		 has4, has6;
	u128		 lo4, lo6;
};

struct zw {
	struct ctl	*ctl;
	FILE		*f;
	struct zfam	 f4, f6;
	struct zval	*vals;		/* one per listed entry */
	size_t		 nvals, capvals;
	char		**strs;		/* interned templates */
	size_t		 nstrs, capstrs;
	struct zval	 testpoint;
	char		 lab[33][4];	/* labels of the current path */
	size_t		 nrecords;
	struct progress	*pg;
	size_t		 nload;		/* entries read */
};

static int
zval_eq(const struct zval *a, const struct zval *b)
{
	if (a == b)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	/* A '$' differs per entry; otherwise equal answers are equal. */
	return a->code == b->code && strcmp(a->tmpl, b->tmpl) == 0 &&
	    strchr(a->tmpl, '$') == NULL;
}

static u128
span(const struct zfam *fm, int prefix)
{
	int	 host = fm->bits - prefix;

	return host >= 128 ? U128_MAX : ((u128)1 << host) - 1;
}

static u128
addr_u128(const struct addr *a)
{
	u128	 v = 0;
	int	 i;

	if (a->family == 4)
		return addr_v4(a);
	for (i = 0; i < 16; i++)
		v = v << 8 | a->a[i];
	return v;
}

static void
u128_addr(u128 v, int family, struct addr *a)
{
	int	 i;

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == 4) {
		addr_set_v4(a, (uint32_t)v, 32);
		return;
	}
	a->prefix = 128;
	for (i = 15; i >= 0; i--, v >>= 8)
		a->a[i] = (uint8_t)v;
}

static const char *
zw_intern(struct zw *w, const char *s)
{
	if (w->nstrs > 0 && strcmp(w->strs[w->nstrs - 1], s) == 0)
		return w->strs[w->nstrs - 1];
	if (w->nstrs == w->capstrs) {
		w->capstrs = w->capstrs ? w->capstrs * 2 : 64;
		w->strs = xreallocarray(w->strs, w->capstrs, sizeof(*w->strs));
	}
	return w->strs[w->nstrs++] = xstrdup(s);
}

static void
zfam_add(struct zfam *fm, const struct addr *net, size_t vidx,
    const struct zval *val)
{
	struct zent	*e;

	if (fm->ne == fm->cape) {
		fm->cape = fm->cape ? fm->cape * 2 : 1024;
		fm->e = xreallocarray(fm->e, fm->cape, sizeof(*fm->e));
	}
	e = &fm->e[fm->ne++];
	e->lo = addr_u128(net);
	e->hi = e->lo | span(fm, net->prefix);
	e->prefix = net->prefix;
	e->vidx = vidx;
	e->val = val;
}

static int
is_testpoint(const struct addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (!addr_is_single(a))
		return 0;
	if (a->family == 4)
		return addr_v4(a) == RFC5782_TP_NEVER ||
		    addr_v4(a) == RFC5782_TP_LISTED;
	return memcmp(a->a, mapped, 12) == 0 && a->a[12] == 127 &&
	    a->a[13] == 0 && a->a[14] == 0 && (a->a[15] == 1 || a->a[15] == 2);
}

/*
 * Listed entries keep an index into w->vals while it may still grow;
 * zw_fix() turns them into pointers once loading is done.
 */
static int
zw_load_cb(const struct listing *l, void *arg)
{
	struct zw	*w = arg;
	struct zfam	*fm = l->net.family == 4 ? &w->f4 : &w->f6;
	struct zval	*v;

	w->nload++;
	progress_step(w->pg, w->nload, w->nload);
	if (is_testpoint(&l->net))
		return 0;		/* forced below, whatever the data */
	if (l->exclude) {
		zfam_add(fm, &l->net, 0, NULL);
		return 0;
	}
	if (w->nvals == w->capvals) {
		w->capvals = w->capvals ? w->capvals * 2 : 1024;
		w->vals = xreallocarray(w->vals, w->capvals, sizeof(*w->vals));
	}
	v = &w->vals[w->nvals++];
	v->code = l->code;
	v->tmpl = zw_intern(w, l->reason ? l->reason :
	    w->ctl->conf.default_reason);
	v->net = l->net;
	zfam_add(fm, &l->net, w->nvals, NULL);
	return 0;
}

static void
zw_fix(struct zw *w, struct zfam *fm)
{
	size_t	 i;

	for (i = 0; i < fm->ne; i++)
		if (fm->e[i].vidx != 0)
			fm->e[i].val = &w->vals[fm->e[i].vidx - 1];
}

static int
zent_cmp(const void *x, const void *y)
{
	const struct zent	*a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->prefix > b->prefix) - (a->prefix < b->prefix);
}

static void
iv_emit(struct zfam *fm, u128 lo, u128 hi, const struct zval *val)
{
	struct ziv	*last;

	if (fm->niv > 0) {
		last = &fm->iv[fm->niv - 1];
		if (zval_eq(last->val, val)) {
			last->hi = hi;
			return;
		}
	}
	if (fm->niv == fm->capiv) {
		fm->capiv = fm->capiv ? fm->capiv * 2 : 1024;
		fm->iv = xreallocarray(fm->iv, fm->capiv, sizeof(*fm->iv));
	}
	fm->iv[fm->niv].lo = lo;
	fm->iv[fm->niv].hi = hi;
	fm->iv[fm->niv].val = val;
	fm->niv++;
}

/*
 * Entries (CIDRs: nested or disjoint) to the partition of the family's
 * space by the answer of the most specific entry.
 */
static void
zfam_intervals(struct zfam *fm)
{
	const struct zent	*stack[130];
	u128			 cur = 0, max = span(fm, 0);
	size_t			 i;
	int			 sp = 0, done = 0;

	qsort(fm->e, fm->ne, sizeof(*fm->e), zent_cmp);
	for (i = 0; i < fm->ne; i++) {
		const struct zent *e = &fm->e[i];

		while (sp > 0 && stack[sp - 1]->hi < e->lo) {
			const struct zent *t = stack[--sp];

			iv_emit(fm, cur, t->hi, t->val);
			cur = t->hi + 1;
		}
		if (cur < e->lo)
			iv_emit(fm, cur, e->lo - 1, sp ? stack[sp - 1]->val :
			    NULL);
		cur = e->lo;
		stack[sp++] = e;
	}
	while (sp > 0 && !done) {
		const struct zent *t = stack[--sp];

		if (cur <= t->hi)
			iv_emit(fm, cur, t->hi, t->val);
		if (t->hi == max)
			done = 1;
		else
			cur = t->hi + 1;
	}
	if (!done)
		iv_emit(fm, cur, max, NULL);
}

/* The interval holding x. */
static const struct ziv *
iv_find(const struct zfam *fm, u128 x)
{
	size_t	 lo = 0, hi = fm->niv;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (fm->iv[mid].lo <= x)
			lo = mid;
		else
			hi = mid;
	}
	return &fm->iv[lo];
}

/* How many blocks of 2^cbits from base+j on (up to jmax) answer alike. */
static unsigned int
zfam_run(const struct zfam *fm, u128 base, int cbits, unsigned int j,
    unsigned int jmax, const struct zval **val)
{
	u128			 csize = (u128)1 << cbits, clo, k;
	const struct ziv	*iv;

	clo = base + (u128)j * csize;
	iv = iv_find(fm, clo);
	if (iv->hi < clo + (csize - 1))
		return 0;
	*val = iv->val;
	k = (iv->hi - clo) / csize + ((iv->hi - clo) % csize == csize - 1);
	if (k > jmax - j + 1)
		k = jmax - j + 1;
	return (unsigned int)k;
}

static int
zfam_uniform(const struct zfam *fm, u128 lo, int d, const struct zval **val)
{
	const struct ziv	*iv = iv_find(fm, lo);

	*val = iv->val;
	return iv->hi >= (lo | span(fm, d * fm->lbits));
}

static int
node_uniform(const struct zw *w, const struct znode *n,
    const struct zval **val)
{
	const struct zval	*v4 = NULL, *v6 = NULL;

	if (n->has4 && !zfam_uniform(&w->f4, n->lo4, n->d, &v4))
		return 0;
	if (n->has6 && !zfam_uniform(&w->f6, n->lo6, n->d, &v6))
		return 0;
	if (n->has4 && n->has6 && !zval_eq(v4, v6))
		return 0;
	*val = n->has4 ? v4 : v6;
	return 1;
}

static int
node_desc(const struct zw *w, const struct znode *n)
{
	return (n->has4 && n->d < w->f4.depth) ||
	    (n->has6 && n->d < w->f6.depth);
}

static int
node_self(const struct zw *w, const struct znode *n)
{
	return (n->has4 && n->d == w->f4.depth) ||
	    (n->has6 && n->d == w->f6.depth);
}

static void
put_name(struct zw *w, const struct znode *n, int wild)
{
	int	 i;

	if (wild)
		fputs("*.", w->f);
	for (i = n->d; i >= 1; i--)
		fprintf(w->f, "%s%s", w->lab[i], i > 1 ? "." : "");
}

static void
put_txt(struct zw *w, const char *s)
{
	size_t	 n = 0;

	fputs("TXT \"", w->f);
	for (; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (n > 0 && n % 255 == 0)
			fputs("\" \"", w->f);
		if (c == '"' || c == '\\')
			fprintf(w->f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(w->f, "\\%03u", c);
		else
			fputc(c, w->f);
	}
	fputs("\"\n", w->f);
}

/* name [*.]N: A + TXT for a listed value, only a TXT for "not listed". */
static void
put_rrs(struct zw *w, const struct znode *n, int wild, const struct zval *v)
{
	char		 code[32], what[ADDR_STRLEN], txt[1024];
	struct addr	 a;

	if (v == NULL) {
		put_name(w, n, wild);
		fputc(' ', w->f);
		put_txt(w, CTL_EXCLUDED_TXT);
		w->nrecords++;
		progress_step(w->pg, w->nrecords, 0);
		return;
	}
	if (wild)
		addr_format(&v->net, what, sizeof(what));
	else {
		u128_addr(n->has4 ? n->lo4 : n->lo6, n->has4 ? 4 : 6, &a);
		addr_format_ip(&a, what, sizeof(what));
	}
	put_name(w, n, wild);
	fprintf(w->f, " A %s\n", fmt_code(v->code, code, sizeof(code)));
	put_name(w, n, wild);
	fputc(' ', w->f);
	put_txt(w, ctl_expand_reason(v->tmpl, what, txt, sizeof(txt)));
	w->nrecords += 2;
	progress_step(w->pg, w->nrecords, 0);
}

/* The IPv4 answer of a node that is itself an IPv4 name. */
static const struct zval *
node_self_val(const struct zw *w, const struct znode *n)
{
	return n->has4 ? iv_find(&w->f4, n->lo4)->val :
	    iv_find(&w->f6, n->lo6)->val;
}

enum ckind { CK_SHARED, CK_V4, CK_V6 };

static void
mkchild(struct zw *w, const struct znode *n, enum ckind k, unsigned int j,
    struct znode *c)
{
	memset(c, 0, sizeof(*c));
	c->d = n->d + 1;
	if (k != CK_V6) {
		c->has4 = 1;
		c->lo4 = n->lo4 + ((u128)j << (32 - 8 * c->d));
	}
	if (k != CK_V4) {
		c->has6 = 1;
		c->lo6 = n->lo6 + ((u128)j << (128 - 4 * c->d));
	}
	if (k == CK_V6 && j >= 10)
		snprintf(w->lab[c->d], sizeof(w->lab[c->d]), "%c",
		    (char)('a' + j - 10));
	else
		snprintf(w->lab[c->d], sizeof(w->lab[c->d]), "%u", j);
}

/*
 * Visit the children of n in runs: cb(run of cnt children from label j
 * of kind k, all answering *val if uniform, else one non-uniform child).
 */
typedef void	(*child_cb)(struct zw *, const struct znode *, enum ckind,
		    unsigned int j, unsigned int cnt, int uniform,
		    const struct zval *, void *);

static void
children(struct zw *w, const struct znode *n, child_cb cb, void *arg)
{
	const struct zval	*v;
	struct znode		 c;
	unsigned int		 j, k, first = 0;
	int			 kids4, kids6;

	kids4 = n->has4 && n->d < w->f4.depth;
	kids6 = n->has6 && n->d < w->f6.depth;
	if (kids4 && kids6) {
		for (j = 0; j < 10; j++) {
			mkchild(w, n, CK_SHARED, j, &c);
			if (node_uniform(w, &c, &v))
				cb(w, n, CK_SHARED, j, 1, 1, v, arg);
			else
				cb(w, n, CK_SHARED, j, 1, 0, NULL, arg);
		}
		first = 10;
	}
	for (j = first; kids4 && j <= 255; j += k) {
		k = zfam_run(&w->f4, n->lo4, 32 - 8 * (n->d + 1), j, 255, &v);
		cb(w, n, CK_V4, j, k ? k : 1, k != 0, k ? v : NULL, arg);
		k = k ? k : 1;
	}
	for (j = first; kids6 && j <= 15; j += k) {
		k = zfam_run(&w->f6, n->lo6, 128 - 4 * (n->d + 1), j, 15, &v);
		cb(w, n, CK_V6, j, k ? k : 1, k != 0, k ? v : NULL, arg);
		k = k ? k : 1;
	}
}

struct tally {
	const struct zval *val[270];
	unsigned int	 cnt[270];
	int		 n;
};

static void
tally_cb(struct zw *w, const struct znode *n, enum ckind k, unsigned int j,
    unsigned int cnt, int uniform, const struct zval *v, void *arg)
{
	struct tally	*t = arg;
	int		 i;

	(void)w, (void)n, (void)k, (void)j;
	if (!uniform)
		return;
	for (i = 0; i < t->n; i++)
		if (zval_eq(t->val[i], v)) {
			t->cnt[i] += cnt;
			return;
		}
	if (t->n < 270) {
		t->val[t->n] = v;
		t->cnt[t->n++] = cnt;
	}
}

static void	 walk(struct zw *, const struct znode *, const struct zval *);

static void
walk_cb(struct zw *w, const struct znode *n, enum ckind k, unsigned int j,
    unsigned int cnt, int uniform, const struct zval *v, void *arg)
{
	const struct zval	*wv = arg;
	struct znode		 c;
	unsigned int		 i;

	if (uniform && zval_eq(v, wv))
		return;		/* the wildcard (or NXDOMAIN) of n answers */
	for (i = j; i < j + cnt; i++) {
		mkchild(w, n, k, i, &c);
		walk(w, &c, wv);
	}
}

/* ctx: what names below n answer if nothing at or below n exists. */
static void
walk(struct zw *w, const struct znode *n, const struct zval *ctx)
{
	const struct zval	*v, *wv = NULL, *sv;
	struct tally		 t;
	int			 i;
	unsigned int		 best = 0;

	if (n->d > 0 && node_uniform(w, n, &v)) {
		if (zval_eq(v, ctx))
			return;
		if (node_desc(w, n)) {
			put_rrs(w, n, v != NULL, v);
			if (v == NULL)	/* n exists, no wildcard: NXDOMAIN */
				return;
		}
		if (node_self(w, n))
			put_rrs(w, n, 0, v);
		return;
	}
	if (n->d > 0) {		/* no wildcard at the apex */
		memset(&t, 0, sizeof(t));
		children(w, n, tally_cb, &t);
		for (i = 0; i < t.n; i++)
			if (t.cnt[i] > best || (t.cnt[i] == best &&
			    t.val[i] == NULL)) {
				best = t.cnt[i];
				wv = t.val[i];
			}
	}
	if (wv != NULL)
		put_rrs(w, n, 1, wv);
	if (node_self(w, n) && (sv = node_self_val(w, n)) != NULL)
		put_rrs(w, n, 0, sv);
	children(w, n, walk_cb, (void *)(uintptr_t)wv);
}

static void
fqdn(char *buf, size_t len, const char *name, const char *dflt,
    const char *zone)
{
	if (name == NULL || *name == '\0')
		snprintf(buf, len, "%s.%s.", dflt, zone);
	else
		snprintf(buf, len, "%s%s", name,
		    name[strlen(name) - 1] == '.' ? "" : ".");
}

static void
zw_free(struct zw *w)
{
	size_t	 i;

	for (i = 0; i < w->nstrs; i++)
		free(w->strs[i]);
	free(w->strs);
	free(w->vals);
	free(w->f4.e);
	free(w->f4.iv);
	free(w->f6.e);
	free(w->f6.iv);
}

int
zone_export(struct ctl *ctl, struct db *db, const char *zone, FILE *f,
    struct progress *pg, uint64_t total)
{
	const struct conf	*c = &ctl->conf;
	struct zw		 w;
	struct znode		 root;
	struct addr		 a;
	char			 mname[300], rname[300], ns[300], t[32];
	uint32_t		 serial;
	int			 i;

	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	w.f = f;
	w.pg = pg;
	progress_phase(pg, "reading the list", "entries", total, 0, 0);
	w.f4.bits = 32, w.f4.lbits = 8, w.f4.depth = 4;
	w.f6.bits = 128, w.f6.lbits = 4, w.f6.depth = 32;
	w.testpoint.code = DB_CODE_DEFAULT;
	w.testpoint.tmpl = CTL_TESTPOINT_REASON;
	if (db_serial(db, &serial) == -1 ||
	    db_listing_foreach(db, DB_ACTIVE, ctl->now, zw_load_cb, &w) != 0) {
		ctl_err("%s", db_errmsg(db));
		zw_free(&w);
		return -1;
	}
	zw_fix(&w, &w.f4);
	zw_fix(&w, &w.f6);
	/* RFC 5782 test points, in IPv4 and as IPv4-mapped IPv6. */
	addr_set_v4(&a, RFC5782_TP_LISTED, 32);
	w.testpoint.net = a;
	zfam_add(&w.f4, &a, 0, &w.testpoint);
	addr_set_v4(&a, RFC5782_TP_NEVER, 32);
	zfam_add(&w.f4, &a, 0, NULL);
	u128_addr((u128)0xffff7f000002ULL, 6, &a);
	zfam_add(&w.f6, &a, 0, &w.testpoint);
	u128_addr((u128)0xffff7f000001ULL, 6, &a);
	zfam_add(&w.f6, &a, 0, NULL);
	zfam_intervals(&w.f4);
	zfam_intervals(&w.f6);

	fqdn(mname, sizeof(mname), c->soa_mname[0] ? c->soa_mname :
	    c->nns > 0 ? c->ns[0] : NULL, "ns", zone);
	fqdn(rname, sizeof(rname), c->soa_rname, "hostmaster", zone);
	fprintf(f, "; orbl zone export: %s, serial %u, %s\n", zone, serial,
	    fmt_time_iso(ctl->now, t, sizeof(t)));
	fprintf(f, "$ORIGIN %s.\n$TTL %lld\n", zone, c->ttl);
	fprintf(f, "@ SOA %s %s %u %lld %lld %lld %lld\n", mname, rname, serial,
	    c->soa_refresh, c->soa_retry, c->soa_expire, c->neg_ttl);
	for (i = 0; i < c->nns; i++) {
		fqdn(ns, sizeof(ns), c->ns[i], "ns", zone);
		fprintf(f, "@ NS %s\n", ns);
	}
	if (c->nns == 0) {
		fqdn(ns, sizeof(ns), NULL, "ns", zone);
		fprintf(f, "@ NS %s\n", ns);
	}
	memset(&root, 0, sizeof(root));
	root.has4 = root.has6 = 1;
	progress_phase(pg, "writing the zone", "records", 0, 0, 0);
	walk(&w, &root, NULL);
	fprintf(f, "; %zu records for %zu IPv4 and %zu IPv6 answer ranges\n",
	    w.nrecords, w.f4.niv, w.f6.niv);
	zw_free(&w);
	if (ferror(f)) {
		ctl_err("write error");
		return -1;
	}
	return 0;
}
