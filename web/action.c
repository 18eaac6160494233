/*
 * action.c -- see action.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "action.h"
#include "form.h"
#include "web.h"

#define REASON_MAX	255	/* as orblctl: one DNS character-string */
#define POLICY_LIMIT_RETRY 3600	/* policy's hourly limit: try in an hour */

/* Trimmed copy of a parameter into buf; "" if absent.  -1 if too long. */
static int
param(const char *v, char *buf, size_t len)
{
	const char	*e;
	size_t		 n;

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	if ((n = (size_t)(e - v)) >= len)
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

static int
get_addr(const struct form *f, char *buf, size_t len, char *err,
    size_t errlen)
{
	if (param(web_param_addr(f), buf, len) == -1) {
		snprintf(err, errlen, "the address is too long");
		return -1;
	}
	if (buf[0] == '\0') {
		snprintf(err, errlen, "give an IPv4 or IPv6 address (ip=...)");
		return -1;
	}
	return 0;
}

/* Policy's refusals: its hourly limit is a 429, the rest a 400. */
static int
policy_status(int rc, int64_t *retry, const char *err)
{
	(void)err;
	if (rc == POLICY_ERROR)
		return 503;
	if (rc == POLICY_LIMITED) {
		*retry = POLICY_LIMIT_RETRY;
		return 429;
	}
	return 400;
}

static int
submit(struct wreq *r, const struct form *f, int *port,
    struct policy_submit *ps, int64_t *retry, char *err, size_t errlen)
{
	struct db	*db;
	char		 ip[ADDR_STRLEN], p[16], who[ADDR_STRLEN + 8], *end;
	long		 v;
	int		 rc;

	*retry = 0;
	if (get_addr(f, ip, sizeof(ip), err, errlen) == -1)
		return 400;
	*port = 25;
	if (param(form_get(f, "port"), p, sizeof(p)) == -1) {
		snprintf(err, errlen, "port: not a port number");
		return 400;
	}
	if (p[0] != '\0') {
		v = strtol(p, &end, 10);
		if (p[0] < '0' || p[0] > '9' || *end != '\0' || v < 1 ||
		    v > 65535) {
			snprintf(err, errlen, "port %s: not a port number "
			    "(1-65535)", p);
			return 400;
		}
		*port = (int)v;
	}
	if ((db = web_db(r)) == NULL) {
		snprintf(err, errlen, "the database is not available");
		return 503;
	}
	snprintf(who, sizeof(who), "web:%s", r->client);
	rc = policy_submit(&r->w->conf, db, ip, *port, who, r->client, who, 0,
	    r->now, ps, err, errlen);
	if (rc != POLICY_OK)
		return policy_status(rc, retry, err);
	return ps->queued ? 201 : 200;
}

static int
delist(struct wreq *r, const struct form *f, struct policy_request *pr,
    int64_t *retry, char *err, size_t errlen)
{
	struct db	*db;
	char		 ip[ADDR_STRLEN], contact[POLICY_CONTACT_MAX + 2];
	char		 note[POLICY_NOTE_MAX + 2], who[ADDR_STRLEN + 8];
	int		 rc;

	*retry = 0;
	if (get_addr(f, ip, sizeof(ip), err, errlen) == -1)
		return 400;
	if (param(form_get(f, "contact"), contact, sizeof(contact)) == -1 ||
	    !policy_contact_ok(contact)) {
		snprintf(err, errlen, "contact: give a mail address where we "
		    "can reach you (name@example.org)");
		return 400;
	}
	if (param(form_get(f, "note"), note, sizeof(note)) == -1) {
		snprintf(err, errlen, "the note is longer than %d characters",
		    POLICY_NOTE_MAX);
		return 400;
	}
	if ((db = web_db(r)) == NULL) {
		snprintf(err, errlen, "the database is not available");
		return 503;
	}
	snprintf(who, sizeof(who), "web:%s", r->client);
	rc = policy_delist_request(&r->w->conf, db, ip, contact, note[0] ?
	    note : NULL, who, r->now, pr, err, errlen);
	if (rc != POLICY_OK)
		return policy_status(rc, retry, err);
	return pr->existing ? 200 : 201;
}

/* The two public actions, counted by result (stats.h). */
int
action_submit(struct wreq *r, const struct form *f, int *port,
    struct policy_submit *ps, int64_t *retry, char *err, size_t errlen)
{
	int	 st;

	st = submit(r, f, port, ps, retry, err, errlen);
	web_stats_result(r->w->st.submissions, st);
	return st;
}

int
action_delist(struct wreq *r, const struct form *f,
    struct policy_request *pr, int64_t *retry, char *err, size_t errlen)
{
	int	 st;

	st = delist(r, f, pr, retry, err, errlen);
	web_stats_result(r->w->st.delists, st);
	return st;
}

int
action_remove(struct wreq *r, const struct form *f, struct action_remove *ar,
    char *err, size_t errlen)
{
	struct addr	 net;
	struct db	*db;
	char		 text[ADDR_STRLEN], why[REASON_MAX + 2];
	char		 emsg[256];
	const char	*p;
	int		 rc;

	memset(ar, 0, sizeof(*ar));
	if (get_addr(f, text, sizeof(text), err, errlen) == -1)
		return 400;
	if (addr_parse(text, &net, emsg, sizeof(emsg)) == -1) {
		snprintf(err, errlen, "%s", emsg);
		return 400;
	}
	if (param(form_get(f, "reason"), why, sizeof(why)) == -1) {
		snprintf(err, errlen, "reason too long (at most %d bytes)",
		    REASON_MAX);
		return 400;
	}
	for (p = why; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "reason contains a control "
			    "character");
			return 400;
		}
	addr_format(&net, ar->cidr, sizeof(ar->cidr));
	if ((db = web_db(r)) == NULL) {
		snprintf(err, errlen, "the database is not available");
		return 503;
	}
	rc = policy_operator_remove(db, &net, "web-admin", why[0] ? why :
	    "removed over the admin API", ar->answered, ACTION_REMOVE_IDS,
	    &ar->nanswered);
	if (rc == DB_NOTFOUND) {
		snprintf(err, errlen, "%s: no such entry (remove takes the "
		    "exact address or CIDR of an entry)", ar->cidr);
		return 404;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		return 503;
	}
	return 200;
}

void
action_fail(struct wreq *r, int status, int64_t retry, const char *err)
{
	if (status == 503)
		web_db_error(r, err);
	else if (status == 429)
		web_limited(r, retry, err);
	else
		web_error(r, status, "%s", err);
}
