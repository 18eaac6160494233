/*
 * dnsbl_check.c -- see dnsbl_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dnsbl_check.h"
#include "dnsq.h"
#include "fmt.h"
#include "xmalloc.h"

enum dnsbl_verdict
dnsbl_classify(const uint32_t *codes, int n, char *err, size_t errlen)
{
	char	 cb[16];
	int	 i, in127 = 0, out = -1, own = -1;

	for (i = 0; i < n; i++) {
		if (codes[i] >> 24 != 127)
			out = i;
		else if (codes[i] >> 8 == 0x7fffff)
			own = i;
		else
			in127 = 1;
	}
	if (out != -1) {
		snprintf(err, errlen, "answer %s is outside 127.0.0.0/8: the "
		    "list is gone or its zone hijacked", fmt_code(codes[out],
		    cb, sizeof(cb)));
		return DNSBL_ERROR;
	}
	if (own != -1 && !in127) {
		snprintf(err, errlen, "the list refused the query (code %s: "
		    "see its return codes; often a public resolver or a query "
		    "limit)", fmt_code(codes[own], cb, sizeof(cb)));
		return DNSBL_ERROR;
	}
	return in127 ? DNSBL_LISTED : DNSBL_CLEAR;
}

int
dnsbl_spec_parse(const char *spec, size_t len, const char *what,
    const char **zone, size_t *zlen, struct dnsq_srv *srv, int *has_srv,
    char *err, size_t errlen)
{
	const char	*at = memchr(spec, '@', len), *e = spec + len;
	char		 s[128];

	*zone = spec;
	*zlen = (size_t)((at ? at : e) - spec);
	*has_srv = 0;
	if (at == NULL)
		return 0;
	if ((size_t)(e - at - 1) >= sizeof(s) || e == at + 1) {
		snprintf(err, errlen, "%sbad server in '%.*s'", what,
		    (int)(len > 200 ? 200 : len), spec);
		return -1;
	}
	memcpy(s, at + 1, (size_t)(e - at - 1));
	s[e - at - 1] = '\0';
	if (dnsq_srv_parse(s, srv, err, errlen) == -1)
		return -1;
	*has_srv = 1;
	return 0;
}

struct dnsbl_check *
dnsbl_check_new(struct event_base *base, const struct addr *ip,
    int64_t timeout_ms)
{
	struct dnsbl_check	*c = xcalloc(1, sizeof(*c));

	c->lists = xcalloc(DNSBL_MAXLISTS, sizeof(*c->lists));
	c->dq = dnsq_new(base, timeout_ms);
	addr_revname(ip, c->rev, sizeof(c->rev));
	return c;
}

void
dnsbl_check_free(struct dnsbl_check *c)
{
	struct dnsbl_list	*l;
	int			 i, k;

	if (c == NULL)
		return;
	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		for (k = 0; k < l->ntxt; k++)
			free(l->txt[k]);
		ldns_rdf_deep_free(l->qname);
	}
	dnsq_free(c->dq);
	free(c->lists);
	free(c);
}

int
dnsbl_check_add(struct dnsbl_check *c, const char *zone, size_t zlen,
    const struct dnsq_srv *srv, int nsrv, const char *why, char *err,
    size_t errlen)
{
	struct dnsbl_list	*l;
	char			 qn[512];
	int			 i;

	if (zlen > 0 && zone[zlen - 1] == '.')
		zlen--;
	if (zlen == 0 || zlen > DNSBL_ZONEMAX || zone[0] == '.') {
		snprintf(err, errlen, "bad zone name '%.*s'",
		    (int)(zlen > DNSBL_ZONEMAX ? DNSBL_ZONEMAX : zlen), zone);
		return -1;
	}
	for (i = 0; i < c->nlists; i++)
		if (strlen(c->lists[i].zone) == zlen &&
		    strncasecmp(c->lists[i].zone, zone, zlen) == 0 &&
		    c->lists[i].nsrv == nsrv && (nsrv == 0 ||
		    memcmp(c->lists[i].srv, srv, sizeof(*srv) * nsrv) == 0))
			return 0;	/* the same list twice */
	if (c->nlists == DNSBL_MAXLISTS) {
		snprintf(err, errlen, "too many lists (at most %d)",
		    DNSBL_MAXLISTS);
		return -1;
	}
	l = &c->lists[c->nlists];
	memset(l, 0, sizeof(*l));
	l->c = c;
	memcpy(l->zone, zone, zlen);
	l->zone[zlen] = '\0';
	snprintf(qn, sizeof(qn), "%s.%s.", c->rev, l->zone);
	if (ldns_str2rdf_dname(&l->qname, qn) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "bad zone name '%.200s'", l->zone);
		return -1;
	}
	c->nlists++;
	if (nsrv > 0)	/* srv may be NULL then: no memcpy from NULL */
		memcpy(l->srv, srv, sizeof(*srv) * nsrv);
	l->nsrv = nsrv;
	if (nsrv == 0) {
		l->done = 1;
		snprintf(l->err, sizeof(l->err), "%s", why ? why : "no server");
	}
	return 0;
}

void
dnsbl_check_on_change(struct dnsbl_check *c, dnsbl_fn *fn, void *arg)
{
	c->change = fn;
	c->changearg = arg;
}

/* The A query decides; listed, the list waits for its TXT. */
static void
list_settle(struct dnsbl_list *l, int64_t ms)
{
	struct dnsbl_check	*c = l->c;

	if (l->done || !l->adone)
		return;
	if (l->err[0] == '\0') {
		switch (dnsbl_classify(l->codes, l->ncodes, l->err,
		    sizeof(l->err))) {
		case DNSBL_LISTED:
			if (!l->tdone)
				return;
			l->listed = 1;
			break;
		case DNSBL_CLEAR:
		case DNSBL_ERROR:
			break;
		}
	}
	l->done = 1;
	l->ms = ms;
	if (!l->tdone) {
		dnsq_cancel(c->dq, l->tq);
		l->tdone = 1;
	}
	if (c->change != NULL)
		c->change(c, c->changearg);
}

static void
a_done(const struct dnsq_result *r, void *arg)
{
	struct dnsbl_list	*l = arg;

	l->adone = 1;
	if (r->answered) {
		memcpy(l->codes, r->ans->codes, sizeof(l->codes));
		l->ncodes = r->ans->ncodes;
	} else
		snprintf(l->err, sizeof(l->err), "%s", r->err);
	list_settle(l, r->ms);
}

static void
txt_done(const struct dnsq_result *r, void *arg)
{
	struct dnsbl_list	*l = arg;
	int			 i;

	l->tdone = 1;
	for (i = 0; r->answered && i < r->ans->ntxt; i++)
		l->txt[l->ntxt++] = xstrdup(r->ans->txt[i]);
	list_settle(l, r->ms);
}

static void
check_end(void *arg)
{
	struct dnsbl_check	*c = arg;

	if (c->end != NULL)
		c->end(c, c->endarg);
}

/* Every list's A and TXT queries, at once. */
static void
check_queries(struct dnsbl_check *c)
{
	struct dnsbl_list	*l;
	int			 i;

	for (i = 0; i < c->nlists; i++) {
		l = &c->lists[i];
		if (l->done)
			continue;
		dnsq_add(c->dq, l->qname, LDNS_RR_TYPE_A, l->srv, l->nsrv,
		    a_done, l);
		l->tq = dnsq_add(c->dq, l->qname, LDNS_RR_TYPE_TXT, l->srv,
		    l->nsrv, txt_done, l);
	}
}

void
dnsbl_check_start(struct dnsbl_check *c, dnsbl_fn *end, void *arg)
{
	c->end = end;
	c->endarg = arg;
	check_queries(c);
	dnsq_start(c->dq, check_end, c);
}

void
dnsbl_check_run(struct dnsbl_check *c)
{
	check_queries(c);
	dnsq_run(c->dq);
}

void
dnsbl_check_count(const struct dnsbl_check *c, int *answered, int *listed)
{
	int	 i;

	*answered = *listed = 0;
	for (i = 0; i < c->nlists; i++) {
		if (c->lists[i].err[0] == '\0')
			(*answered)++;
		if (c->lists[i].listed)
			(*listed)++;
	}
}
