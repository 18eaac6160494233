/*
 * advice.c -- see advice.h.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "advice.h"
#include "conf.h"
#include "lookup.h"

enum advice
advice_of(const struct lookup *lk)
{
	const struct listing	*d;

	if (lk->testpoint)
		return ADVICE_TESTPOINT;
	if (!lk->listed || lk->decides == NULL)
		return ADVICE_NOT_LISTED;
	d = &lk->decides->l;
	if (!addr_is_single(&d->net))
		return ADVICE_RANGE;
	if (d->source != NULL && strcmp(d->source, "probe") == 0)
		return ADVICE_RETEST;
	return ADVICE_OPERATOR;
}

const char *
advice_name(enum advice a)
{
	switch (a) {
	case ADVICE_NOT_LISTED:
		return "not-listed";
	case ADVICE_TESTPOINT:
		return "test-point";
	case ADVICE_RETEST:
		return "retest";
	case ADVICE_OPERATOR:
		return "operator";
	case ADVICE_RANGE:
		return "range";
	}
	return "not-listed";
}

/* An RNAME ("hostmaster.bl.example", "first\.last.example") as a mailbox:
 * the first unescaped dot is the '@', "\." a dot, a trailing dot
 * dropped. */
static char *
rname_mailbox(const char *rname, char *buf, size_t len)
{
	size_t	 o = 0, i, n = strlen(rname);
	int	 at = 0;

	if (n > 0 && rname[n - 1] == '.' && (n < 2 || rname[n - 2] != '\\'))
		n--;
	for (i = 0; i < n && o + 1 < len; i++) {
		if (rname[i] == '\\' && i + 1 < n) {
			buf[o++] = rname[++i];
			continue;
		}
		if (rname[i] == '.' && !at) {
			buf[o++] = '@';
			at = 1;
			continue;
		}
		buf[o++] = rname[i];
	}
	buf[o] = '\0';
	/* No domain after the '@', or none at all: no mailbox. */
	if (!at || buf[o - 1] == '@' || buf[0] == '@')
		buf[0] = '\0';
	return buf;
}

char *
advice_contact(const struct conf *c, char *buf, size_t len)
{
	char	 rname[512];

	if (c->soa_rname != NULL && *c->soa_rname != '\0')
		return rname_mailbox(c->soa_rname, buf, len);
	if (c->nzones == 0) {
		if (len > 0)
			buf[0] = '\0';
		return buf;
	}
	snprintf(rname, sizeof(rname), "hostmaster.%s", c->zones[0]);
	return rname_mailbox(rname, buf, len);
}
