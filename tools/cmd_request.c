/*
 * cmd_request.c -- orblctl delist-request, requests, request show: a
 * server owner's request to be delisted, and what became of it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "db.h"
#include "policy.h"
#include "xmalloc.h"

int
cmd_delist_request(struct ctl *ctl, int argc, char **argv)
{
	const char	*contact = NULL, *note = NULL;
	int		 json = 0;
	struct ctl_opt	 opts[] = {
		{ "contact", 1, &contact, NULL },
		{ "note", 1, &note, NULL },
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	struct policy_request pr;
	struct addr	 a;
	struct db	*db;
	char		*pos[1], err[512], t[32];
	int		 npos, rc;

	if (ctl_getopt("delist-request", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("delist-request", "delist-request: "
		    "missing ADDR");
	if (contact == NULL)
		return ctl_usage_err("delist-request", "delist-request: "
		    "--contact EMAIL is required");
	/* Bad input is a usage error here, before the database. */
	if (!policy_contact_ok(contact))
		return ctl_usage_err("delist-request", "delist-request: "
		    "--contact %s: not a mail address", contact);
	if (addr_parse(pos[0], &a, err, sizeof(err)) == -1)
		return ctl_usage_err("delist-request", "delist-request: %s",
		    err);
	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	rc = policy_delist_request(&ctl->conf, db, pos[0], contact, note,
	    ctl->actor, ctl->now, &pr, err, sizeof(err));
	db_close(db);
	if (rc != POLICY_OK)
		return ctl_err("delist-request: %s", err);
	if (json) {
		printf("{\"request\":%lld,\"address\":\"%s\",\"state\":"
		    "\"pending\",\"existing\":%s,\"not_before\":",
		    (long long)pr.id, pr.addr, pr.existing ? "true" : "false");
		if (pr.not_before)
			printf("%lld}\n", (long long)pr.not_before);
		else
			printf("null}\n");
	} else if (pr.existing)
		printf("request %lld for %s is already open: it will be "
		    "decided by its re-test (orblctl request show %lld)\n",
		    (long long)pr.id, pr.addr, (long long)pr.id);
	else if (pr.not_before)
		printf("request %lld for %s recorded; the last test was less "
		    "than the re-test interval ago, so the re-test waits until "
		    "%s\n", (long long)pr.id, pr.addr,
		    ctl_fmt_time(pr.not_before, t, sizeof(t)));
	else
		printf("request %lld for %s recorded: the re-test runs "
		    "shortly\n", (long long)pr.id, pr.addr);
	return CTL_OK;
}

static char *
sdup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The request as a JSON object, left open when close is 0. */
static void
request_json(FILE *f, const struct delist_request *r, int close)
{
	fprintf(f, "{\"request\":%lld,\"address\":", (long long)r->id);
	ctl_json_str(f, r->addr);
	fprintf(f, ",\"contact\":");
	ctl_json_str(f, r->contact);
	fprintf(f, ",\"note\":");
	ctl_json_str(f, r->note);
	fprintf(f, ",\"state\":");
	ctl_json_str(f, r->state);
	fprintf(f, ",\"created\":%lld,\"not_before\":", (long long)r->created);
	if (r->not_before)
		fprintf(f, "%lld", (long long)r->not_before);
	else
		fprintf(f, "null");
	fprintf(f, ",\"tries\":%d,\"probe\":", r->tries);
	if (r->probe_id)
		fprintf(f, "%lld", (long long)r->probe_id);
	else
		fprintf(f, "null");
	fprintf(f, ",\"decided\":");
	if (r->decided)
		fprintf(f, "%lld", (long long)r->decided);
	else
		fprintf(f, "null");
	fprintf(f, ",\"decision\":");
	ctl_json_str(f, r->decision);
	if (close)
		fputc('}', f);
}

struct list_ctx {
	int	 json, n;
};

static int
list_cb(const struct delist_request *r, void *arg)
{
	struct list_ctx	*c = arg;
	char		 t[32];

	if (c->json) {
		printf("%s", c->n ? "," : "");
		request_json(stdout, r, 1);
	} else
		printf("%-6lld %-20s %-10s %-16s %s%s%s\n", (long long)r->id,
		    r->addr, r->state, ctl_fmt_time(r->created, t, sizeof(t)),
		    r->contact, r->decision ? "  -- " : "",
		    r->decision ? r->decision : "");
	c->n++;
	return 0;
}

static const char *const states[] = { "pending", "retesting", "delisted",
    "refused", NULL };

int
cmd_requests(struct ctl *ctl, int argc, char **argv)
{
	const char	*state = NULL;
	int		 json = 0, i;
	struct ctl_opt	 opts[] = {
		{ "state", 1, &state, NULL },
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	struct list_ctx	 c = { 0, 0 };
	struct db	*db;
	char		*pos[1];
	int		 npos, rc;

	if (ctl_getopt("requests", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	if (state) {
		for (i = 0; states[i] && strcmp(states[i], state); i++)
			;
		if (states[i] == NULL)
			return ctl_usage_err("requests", "requests: --state %s:"
			    " one of pending, retesting, delisted, refused",
			    state);
	}
	if ((db = ctl_db_open(ctl, DB_RDONLY)) == NULL)
		return CTL_FAIL;
	c.json = json;
	if (json)
		printf("[");
	else
		printf("%-6s %-20s %-10s %-16s %s\n", "id", "address", "state",
		    "created", "contact -- decision");
	rc = db_request_foreach(db, state, NULL, list_cb, &c);
	if (json)
		printf("]\n");
	if (rc == -1) {
		ctl_err("%s", db_errmsg(db));
		db_close(db);
		return CTL_FAIL;
	}
	db_close(db);
	return CTL_OK;
}

struct show_ctx {
	int			 found;
	struct delist_request	 r;
	char			*addr, *contact, *note, *state, *decision;
};

static int
show_cb(const struct delist_request *r, void *arg)
{
	struct show_ctx	*c = arg;

	c->found = 1;
	c->r = *r;
	c->r.addr = c->addr = sdup(r->addr);
	c->r.contact = c->contact = sdup(r->contact);
	c->r.note = c->note = sdup(r->note);
	c->r.state = c->state = sdup(r->state);
	c->r.decision = c->decision = sdup(r->decision);
	return 0;
}

struct transcript_ctx {
	int	 json;
};

static int
transcript_cb(const struct probe *p, void *arg)
{
	struct transcript_ctx	*c = arg;
	char			 t[32];

	if (c->json) {
		printf(",\"retest\":{\"probe\":%lld,\"verdict\":",
		    (long long)p->id);
		ctl_json_str(stdout, p->verdict);
		printf(",\"transcript\":");
		ctl_json_str(stdout, p->transcript);
		printf("}");
	} else {
		printf("re-test: probe #%lld, %s, %s\n", (long long)p->id,
		    ctl_fmt_time(p->started, t, sizeof(t)),
		    p->verdict ? p->verdict : "running");
		printf("transcript:\n%s\n", p->transcript ? p->transcript :
		    "(none yet)");
	}
	return 0;
}

int
cmd_request(struct ctl *ctl, int argc, char **argv)
{
	int		 json = 0;
	struct ctl_opt	 opts[] = {
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	struct transcript_ctx tc;
	struct show_ctx	 c;
	struct db	*db;
	char		*pos[2], *end, t1[32], t2[32];
	long long	 id;
	int		 npos, rc;

	if (ctl_getopt("request", argc, argv, opts, pos, 2, &npos))
		return CTL_USAGE;
	if (npos != 2 || strcmp(pos[0], "show") != 0)
		return ctl_usage_err("request", "request: expected 'show ID'");
	errno = 0;
	id = strtoll(pos[1], &end, 10);
	if (*pos[1] == '\0' || *end || errno || id <= 0)
		return ctl_usage_err("request", "request show %s: not a "
		    "request id", pos[1]);
	if ((db = ctl_db_open(ctl, DB_RDONLY)) == NULL)
		return CTL_FAIL;
	memset(&c, 0, sizeof(c));
	rc = db_request_get(db, id, show_cb, &c);
	if (rc == DB_NOTFOUND) {
		db_close(db);
		return ctl_err("request %lld: no such request", id);
	}
	if (rc == -1) {
		ctl_err("%s", db_errmsg(db));
		db_close(db);
		return CTL_FAIL;
	}
	tc.json = json;
	if (json) {
		request_json(stdout, &c.r, 0);
	} else {
		printf("request %lld: %s, %s\n", id, c.r.addr, c.r.state);
		printf("  contact:  %s\n", c.r.contact);
		if (c.r.note)
			printf("  note:     %s\n", c.r.note);
		printf("  created:  %s\n", ctl_fmt_time(c.r.created, t1,
		    sizeof(t1)));
		if (c.r.not_before && !c.r.decided)
			printf("  re-test:  not before %s\n",
			    ctl_fmt_time(c.r.not_before, t2, sizeof(t2)));
		printf("  tries:    %d\n", c.r.tries);
		if (c.r.decision)
			printf("  decision: %s\n", c.r.decision);
	}
	if (c.r.probe_id)
		db_probe_get(db, c.r.probe_id, transcript_cb, &tc);
	if (json)
		printf("}\n");
	db_close(db);
	free(c.addr);
	free(c.contact);
	free(c.note);
	free(c.state);
	free(c.decision);
	return CTL_OK;
}
