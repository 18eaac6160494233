/*
 * sink_report.c -- see sink_report.h.  The glue between the sink's
 * report and self-test mailboxes, the sample parser (report.c) and the
 * submission rules (policy_submit); it keeps only the hourly counters.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "db.h"
#include "fmt.h"
#include "policy.h"
#include "report.h"
#include "sink.h"
#include "sink_report.h"
#include "xmalloc.h"

#define LIMIT_KEYS	4096	/* senders and addresses counted at once */
#define SELF_PORT	25	/* a self-test and a report test port 25 */

struct sink_report {
	const struct conf		*conf;
	/* report_trust, and the host's own loopback addresses: a hop from
	 * 127.0.0.1 or ::1 is its writer handing the message to itself (a
	 * content filter), never a relay of the Internet. */
	struct addr			 nets[CONF_MAX_LIST + 2];
	int				 nnets;
	struct report_limit		 lim;
	struct report_limit_entry	*ent;
};

struct sink_report *
sink_report_new(const struct conf *c, char *err, size_t errlen)
{
	struct sink_report	*sr;
	char			 why[256];
	int			 i;

	sr = xcalloc(1, sizeof(*sr));
	sr->conf = c;
	for (i = 0; i < c->nreport_trust && i < CONF_MAX_LIST; i++)
		if (addr_parse(c->report_trust[i], &sr->nets[sr->nnets++], why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "report_trust: %s", why);
			free(sr);
			return NULL;
		}
	if (addr_parse("127.0.0.1", &sr->nets[sr->nnets++], why,
	    sizeof(why)) == -1 || addr_parse("::1", &sr->nets[sr->nnets++],
	    why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s", why);
		free(sr);
		return NULL;
	}
	sr->ent = xcalloc(LIMIT_KEYS, sizeof(*sr->ent));
	report_limit_init(&sr->lim, sr->ent, LIMIT_KEYS);
	return sr;
}

void
sink_report_free(struct sink_report *sr)
{
	if (sr == NULL)
		return;
	free(sr->ent);
	free(sr);
}

/* "s:sender" / "p:address", lower case: one counter whatever the case. */
static void
limit_key(char *buf, size_t len, char kind, const char *v)
{
	size_t	 i;

	snprintf(buf, len, "%c:%s", kind, v);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
}

/* Over report_limit: the reply says who and how many. */
static int
limited(struct sink_report *sr, const struct sink_message *m,
    const char *ks, const char *kp, int64_t now)
{
	long long	 max = sr->conf->report_limit, n;

	if (max <= 0)
		return 0;
	if ((n = report_limit_count(&sr->lim, ks, now)) >= max)
		snprintf(m->reply, m->replylen, "550 5.7.1 nothing taken: %s "
		    "sent %lld reports and self-tests in the last hour (the "
		    "limit is %lld): try again later", m->mail_from, n, max);
	else if ((n = report_limit_count(&sr->lim, kp, now)) >= max)
		snprintf(m->reply, m->replylen, "550 5.7.1 nothing taken: "
		    "[%s] sent %lld reports and self-tests in the last hour "
		    "(the limit is %lld): try again later", m->peer, n, max);
	else
		return 0;
	return 1;
}

/* The status page of a submission, as orbl-web serves it. */
static void
submission_url(const struct conf *c, int64_t id, char *buf, size_t len)
{
	const char	*base = c->web_base_url != NULL ? c->web_base_url : "";
	size_t		 n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s/submission/%lld", (int)n, base,
	    (long long)id);
}

static void
answer(struct sink_report *sr, const struct sink_message *m, int rc,
    const struct policy_submit *ps, int hop, const char *err)
{
	const struct conf	*c = sr->conf;
	char			 url[600], when[64];
	const char		*base;
	size_t			 n;

	if (rc == POLICY_OK && ps->queued) {
		submission_url(c, ps->submission_id, url, sizeof(url));
		snprintf(m->reply, m->replylen, "250 2.0.0 submission %lld for "
		    "%s queued: %s", (long long)ps->submission_id, ps->addr,
		    url);
	} else if (rc == POLICY_OK) {
		base = c->web_base_url != NULL ? c->web_base_url : "";
		for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
			;
		snprintf(m->reply, m->replylen, "250 2.0.0 %s was tested %s "
		    "(verdict %s): that result stands: %.*s/lookup?ip=%s",
		    ps->addr, fmt_time_human(ps->last_finished, when,
		    sizeof(when)), ps->last_verdict, (int)n, base, ps->addr);
	} else if (hop > 0)
		snprintf(m->reply, m->replylen, "550 5.7.1 nothing taken from "
		    "Received field %d: %s", hop, err);
	else
		snprintf(m->reply, m->replylen, "550 5.7.1 nothing taken: %s",
		    err);
}

int
sink_report_handle(struct sink_report *sr, struct db *db,
    const struct sink_message *m, int64_t now)
{
	struct report_trust	 t;
	struct policy_submit	 ps;
	struct report		 r;
	char			 ks[SINK_PATH_MAX + 8], kp[ADDR_STRLEN + 8];
	char			 who[SINK_PATH_MAX + 8], err[400];
	const char		*target;
	int			 rc, hop = 0;

	m->reply[0] = '\0';
	if (m->mail_from == NULL || m->mail_from[0] == '\0') {
		/* A bounce never makes a test, and a report needs a
		 * submitter. */
		snprintf(m->reply, m->replylen, "550 5.7.1 nothing taken: a "
		    "report or self-test needs a sender address (it is the "
		    "submitter)");
		return 0;
	}
	limit_key(ks, sizeof(ks), 's', m->mail_from);
	limit_key(kp, sizeof(kp), 'p', m->peer);
	if (limited(sr, m, ks, kp, now))
		return 0;
	if (m->box == SINK_BOX_SELFTEST)
		target = m->peer;
	else {
		t.peer = m->peer;
		t.nets = sr->nets;
		t.nnets = sr->nnets;
		report_parse(m->data, m->datalen, &t, &r);
		if (r.status != REPORT_FOUND) {
			if (r.status == REPORT_ALL_TRUSTED)
				snprintf(m->reply, m->replylen, "554 5.6.0 "
				    "nothing taken: %s (%d of %d: yours or "
				    "without an address)",
				    report_status_text(r.status), r.nhops,
				    r.nhops);
			else
				snprintf(m->reply, m->replylen, "554 5.6.0 "
				    "nothing taken: %s",
				    report_status_text(r.status));
			report_limit_add(&sr->lim, ks, now);
			report_limit_add(&sr->lim, kp, now);
			return 0;
		}
		target = r.addr;
		hop = r.hop;
	}
	snprintf(who, sizeof(who), "mail:%s", m->mail_from);
	rc = policy_submit(sr->conf, db, target, SELF_PORT, who, m->peer, who,
	    0, now, &ps, err, sizeof(err));
	if (rc == POLICY_ERROR)
		return -1;
	report_limit_add(&sr->lim, ks, now);
	report_limit_add(&sr->lim, kp, now);
	answer(sr, m, rc, &ps, hop, err);
	return 0;
}
