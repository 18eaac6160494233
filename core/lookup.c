/*
 * lookup.c -- see lookup.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lookup.h"
#include "xmalloc.h"
#include "zone_index.h"

static int
covering_cb(const struct listing *l, void *arg)
{
	struct lookup		*lk = arg;
	struct lookup_entry	*e;

	lk->covering = xreallocarray(lk->covering, lk->ncovering + 1,
	    sizeof(*lk->covering));
	e = &lk->covering[lk->ncovering++];
	memset(e, 0, sizeof(*e));
	e->l = *l;
	e->l.reason = xstrdup_null(l->reason);
	e->l.source = xstrdup_null(l->source);
	e->l.actor = xstrdup_null(l->actor);
	return 0;
}

static int
history_cb(const struct journal_entry *j, void *arg)
{
	struct lookup		*lk = arg;
	struct lookup_hist	*h;

	lk->history = xreallocarray(lk->history, lk->nhistory + 1,
	    sizeof(*lk->history));
	h = &lk->history[lk->nhistory++];
	memset(h, 0, sizeof(*h));
	h->serial = j->serial;
	h->ts = j->ts;
	snprintf(h->op, sizeof(h->op), "%s", j->op ? j->op : "?");
	h->net = j->net;
	h->actor = xstrdup_null(j->actor);
	h->why = xstrdup_null(j->why);
	return 0;
}

static void
free_entry(struct lookup_entry *e)
{
	free((char *)e->l.reason);
	free((char *)e->l.source);
	free((char *)e->l.actor);
}

int
lookup_parse(const char *text, struct addr *ip, char *err, size_t errlen)
{
	if (addr_parse(text, ip, err, errlen) == -1)
		return -1;
	if (!addr_is_single(ip)) {
		snprintf(err, errlen, "%s: give one address, not a range",
		    text);
		return -1;
	}
	return 0;
}

/* Expand '$' in tmpl (tlen bytes, no NUL needed) as lookup_expand(). */
static char *
expand(const char *tmpl, size_t tlen, const char *what, char *buf,
    size_t len)
{
	size_t	 o = 0, i, wl = strlen(what);

	for (i = 0; i < tlen && o + 1 < len; i++) {
		if (tmpl[i] != '$') {
			buf[o++] = tmpl[i];
			continue;
		}
		if (o + wl + 1 > len)
			break;
		memcpy(buf + o, what, wl);
		o += wl;
	}
	buf[o] = '\0';
	return buf;
}

char *
lookup_expand(const char *tmpl, const char *what, char *buf, size_t len)
{
	return expand(tmpl, strlen(tmpl), what, buf, len);
}

static const uint8_t	 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

static int
is_mapped(const struct addr *a)
{
	return a->family == 6 && a->prefix >= 96 &&
	    memcmp(a->a, v4mapped, sizeof(v4mapped)) == 0;
}

/* The prefix length orbl-dnsd keys an entry by (see zone_index.h). */
static int
eff_prefix(const struct addr *a)
{
	return is_mapped(a) ? a->prefix - 96 : a->prefix;
}

/*
 * The address as orbl-dnsd writes it for '$' (dnsd/answer.c): a dotted
 * quad, "::ffff:" and a dotted quad for an IPv4-mapped address, else RFC
 * 5952 without the embedded IPv4 that inet_ntop(3) gives ::/96.
 */
static void
format_addr(const struct addr *ip, char *buf, size_t len)
{
	unsigned int	 g[8];
	int		 i, best = -1, bestlen = 0, run;
	size_t		 o = 0;

	if (ip->family == 4 || is_mapped(ip)) {
		snprintf(buf, len, "%s%u.%u.%u.%u", ip->family == 6 ?
		    "::ffff:" : "", ip->a[ip->family == 6 ? 12 : 0],
		    ip->a[ip->family == 6 ? 13 : 1],
		    ip->a[ip->family == 6 ? 14 : 2],
		    ip->a[ip->family == 6 ? 15 : 3]);
		return;
	}
	for (i = 0; i < 8; i++)
		g[i] = (unsigned int)(ip->a[2 * i] << 8 | ip->a[2 * i + 1]);
	/* RFC 5952 4.2: the longest run of >= 2 zero groups, first wins */
	for (i = 0; i < 8; i += run > 0 ? run : 1) {
		for (run = 0; i + run < 8 && g[i + run] == 0; run++)
			;
		if (run >= 2 && run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	buf[0] = '\0';
	for (i = 0; i < 8 && o < len; i++) {
		if (i == best) {
			o += (size_t)snprintf(buf + o, len - o, i == 0 ? "::" :
			    ":");
			i += bestlen - 1;
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%x%s", g[i],
		    i < 7 ? ":" : "");
	}
}

/*
 * Least specific first by the prefix orbl-dnsd keys them by (stable: the
 * IPv4 row before its ::ffff:0:0/96 twin).
 */
static void
sort_covering(struct lookup *lk)
{
	struct lookup_entry	 t;
	size_t			 i, j;

	for (i = 1; i < lk->ncovering; i++) {
		t = lk->covering[i];
		for (j = i; j > 0 && eff_prefix(&lk->covering[j - 1].l.net) >
		    eff_prefix(&t.l.net); j--)
			lk->covering[j] = lk->covering[j - 1];
		lk->covering[j] = t;
	}
}

static int
hist_cmp(const void *a, const void *b)
{
	const struct lookup_hist *x = a, *y = b;

	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/*
 * The answer, from orbl-dnsd's own code: an index of the entries in force
 * that cover the address (an index answers an address from those alone),
 * built and looked up as orbl-dnsd does.  The test points, reasons that
 * are NULL or "", IPv4-mapped IPv6 and duplicate prefixes are decided
 * there, once.
 */
static void
decide(struct lookup *lk, const struct addr *q, const char *default_reason)
{
	struct zone_index_builder	*b;
	struct zone_index		*zi;
	const struct zi_value		*v;
	const struct lookup_entry	*e;
	size_t				 i;

	b = zone_index_builder_new();
	for (i = 0; i < lk->ncovering; i++) {
		e = &lk->covering[i];
		if (!e->expired)
			(void)zone_index_builder_add(b, &e->l.net,
			    e->l.exclude, e->l.code, e->l.reason);
	}
	zi = zone_index_builder_finish(b, default_reason);
	v = q->family == 4 ? zone_index_lookup4(zi, addr_v4(q)) :
	    zone_index_lookup6(zi, q->a);
	if (v != NULL) {
		lk->listed = 1;
		lk->code = v->code;
		expand(v->txt != NULL ? v->txt : "", v->txt != NULL ?
		    v->txtlen : 0, lk->addr, lk->txt, sizeof(lk->txt));
	}
	zone_index_free(zi);
}

struct lookup *
lookup_new(struct db *db, const struct addr *ip, const char *default_reason,
    int64_t now, char *err, size_t errlen)
{
	struct lookup	*lk;
	struct addr	 q, m;
	uint32_t	 ip4;
	size_t		 i, n;

	lk = xcalloc(1, sizeof(*lk));
	lk->ip = *ip;
	format_addr(ip, lk->addr, sizeof(lk->addr));
	/* An IPv4-mapped address is its IPv4 address (the data may hold
	 * it as either: look for both). */
	q = *ip;
	if (is_mapped(&q)) {
		memmove(q.a, q.a + 12, 4);
		memset(q.a + 4, 0, 12);
		q.family = 4;
		q.prefix -= 96;
	}
	memset(&m, 0, sizeof(m));
	if (q.family == 4) {
		m.family = 6;
		m.prefix = (uint8_t)(96 + q.prefix);
		memcpy(m.a, v4mapped, sizeof(v4mapped));
		memcpy(m.a + 12, q.a, 4);
	}
	if (db_listing_covering(db, &q, covering_cb, lk) == -1 ||
	    db_journal_covering(db, &q, history_cb, lk) == -1)
		goto dbfail;
	if (q.family == 4) {
		n = lk->ncovering;
		if (db_listing_covering(db, &m, covering_cb, lk) == -1)
			goto dbfail;
		/* ::/n for n < 96 is IPv6 data: never an IPv4 answer */
		for (i = n; i < lk->ncovering; i++)
			if (lk->covering[i].l.net.prefix < 96) {
				free_entry(&lk->covering[i]);
				lk->covering[i].l.net.family = 0;
			}
		for (i = n, n = i; i < lk->ncovering; i++)
			if (lk->covering[i].l.net.family != 0)
				lk->covering[n++] = lk->covering[i];
		lk->ncovering = n;
		n = lk->nhistory;
		if (db_journal_covering(db, &m, history_cb, lk) == -1)
			goto dbfail;
		for (i = n; i < lk->nhistory; i++)
			if (lk->history[i].net.prefix < 96) {
				free(lk->history[i].actor);
				free(lk->history[i].why);
				lk->history[i].net.family = 0;
			}
		for (i = n, n = i; i < lk->nhistory; i++)
			if (lk->history[i].net.family != 0)
				lk->history[n++] = lk->history[i];
		lk->nhistory = n;
		sort_covering(lk);
		if (lk->nhistory > 1)
			qsort(lk->history, lk->nhistory,
			    sizeof(*lk->history), hist_cmp);
	}
	for (i = 0; i < lk->ncovering; i++)
		lk->covering[i].expired = lk->covering[i].l.expires != 0 &&
		    lk->covering[i].l.expires <= now;
	decide(lk, &q, default_reason);

	/* What decided, for the front ends: the most specific entry in
	 * force. */
	for (i = lk->ncovering; i-- > 0; )
		if (!lk->covering[i].expired) {
			lk->decides = &lk->covering[i];
			break;
		}
	ip4 = q.family == 4 ? addr_v4(&q) : 0;
	if (q.family == 4 && (ip4 == RFC5782_TP_NEVER || ip4 == RFC5782_TP_LISTED)) {
		lk->testpoint = 1;
		lk->why = lk->listed ? RFC5782_TP_REASON : RFC5782_TP_NEVER_WHY;
		lk->source = "test-point";
		/* 127.0.0.2's own listed /32 gives its code and reason */
		if (lk->decides != NULL && (!lk->listed ||
		    lk->decides->l.exclude ||
		    eff_prefix(&lk->decides->l.net) != 32))
			lk->decides = NULL;
	} else if (lk->decides != NULL) {
		lk->source = lk->decides->l.source;
		lk->why = lk->listed ? "listed" : "excluded";
	} else
		lk->why = "no entry covers it";
	return lk;
 dbfail:
	snprintf(err, errlen, "%s", db_errmsg(db));
	lookup_free(lk);
	return NULL;
}

void
lookup_free(struct lookup *lk)
{
	size_t	 i;

	if (lk == NULL)
		return;
	for (i = 0; i < lk->ncovering; i++)
		free_entry(&lk->covering[i]);
	for (i = 0; i < lk->nhistory; i++) {
		free(lk->history[i].actor);
		free(lk->history[i].why);
	}
	free(lk->covering);
	free(lk->history);
	free(lk);
}
