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

static char *
dupn(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

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
	e->l.reason = dupn(l->reason);
	e->l.source = dupn(l->source);
	e->l.actor = dupn(l->actor);
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
	h->actor = dupn(j->actor);
	h->why = dupn(j->why);
	return 0;
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

char *
lookup_expand(const char *tmpl, const char *what, char *buf, size_t len)
{
	size_t	 o = 0, wl = strlen(what);

	for (; *tmpl && o + 1 < len; tmpl++) {
		if (*tmpl != '$') {
			buf[o++] = *tmpl;
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

struct lookup *
lookup_new(struct db *db, const struct addr *ip, const char *default_reason,
    int64_t now, char *err, size_t errlen)
{
	struct lookup	*lk;
	const char	*tmpl = NULL;
	uint32_t	 ip4;
	size_t		 i;

	lk = xcalloc(1, sizeof(*lk));
	lk->ip = *ip;
	addr_format_ip(ip, lk->addr, sizeof(lk->addr));
	if (db_listing_covering(db, ip, covering_cb, lk) == -1 ||
	    db_journal_covering(db, ip, history_cb, lk) == -1) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		lookup_free(lk);
		return NULL;
	}
	for (i = 0; i < lk->ncovering; i++)
		lk->covering[i].expired = lk->covering[i].l.expires != 0 &&
		    lk->covering[i].l.expires <= now;
	ip4 = ip->family == 4 ? addr_v4(ip) : 0;
	if (ip->family == 4 && (ip4 == 0x7f000001 || ip4 == 0x7f000002)) {
		lk->testpoint = 1;
		lk->listed = ip4 == 0x7f000002;
		lk->why = lk->listed ? "RFC 5782 test point: always listed" :
		    "RFC 5782 test point: never listed";
		lk->source = "test-point";
		lk->code = DB_CODE_DEFAULT;
		tmpl = lk->listed ? ZI_TESTPOINT_REASON : NULL;
	} else {
		/* Least specific first: the last one still in force
		 * decides. */
		for (i = lk->ncovering; i-- > 0; )
			if (!lk->covering[i].expired) {
				lk->decides = &lk->covering[i];
				break;
			}
		if (lk->decides != NULL) {
			lk->listed = !lk->decides->l.exclude;
			lk->source = lk->decides->l.source;
			lk->code = lk->decides->l.code;
			tmpl = lk->decides->l.reason ? lk->decides->l.reason :
			    default_reason;
			lk->why = lk->listed ? "listed" : "excluded";
		} else
			lk->why = "no entry covers it";
	}
	if (lk->listed && tmpl)
		lookup_expand(tmpl, lk->addr, lk->txt, sizeof(lk->txt));
	return lk;
}

void
lookup_free(struct lookup *lk)
{
	size_t	 i;

	if (lk == NULL)
		return;
	for (i = 0; i < lk->ncovering; i++) {
		free((char *)lk->covering[i].l.reason);
		free((char *)lk->covering[i].l.source);
		free((char *)lk->covering[i].l.actor);
	}
	for (i = 0; i < lk->nhistory; i++) {
		free(lk->history[i].actor);
		free(lk->history[i].why);
	}
	free(lk->covering);
	free(lk->history);
	free(lk);
}
