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
#include "ctl_json.h"
#include "db.h"
#include "fmt.h"
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
	if (json)
		return ctl_json_print("delist-request", cj_delist(&pr));
	if (pr.existing)
		printf("request %lld for %s is already open: it will be "
		    "decided by its re-test (orblctl request show %lld)\n",
		    (long long)pr.id, pr.addr, (long long)pr.id);
	else if (pr.not_before)
		printf("request %lld for %s recorded; the last test was less "
		    "than the re-test interval ago, so the re-test waits until "
		    "%s\n", (long long)pr.id, pr.addr,
		    fmt_time_iso(pr.not_before, t, sizeof(t)));
	else
		printf("request %lld for %s recorded: the re-test runs "
		    "shortly\n", (long long)pr.id, pr.addr);
	return CTL_OK;
}

struct list_ctx {
	int	 json;
	json_t	*arr;		/* --json: the requests */
	int	 bad;		/* jansson failed */
};

static int
list_cb(const struct delist_request *r, void *arg)
{
	struct list_ctx	*c = arg;
	char		 t[32];

	if (c->json) {
		if (cj_push(c->arr, cj_request(r)) == -1) {
			c->bad = 1;
			return 1;	/* stop */
		}
	} else
		printf("%-6lld %-20s %-10s %-16s %s%s%s\n", (long long)r->id,
		    r->addr, r->state, fmt_time_iso(r->created, t, sizeof(t)),
		    r->contact, r->decision ? "  -- " : "",
		    r->decision ? r->decision : "");
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
	struct list_ctx	 c = { 0, NULL, 0 };
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
	if (json && (c.arr = json_array()) == NULL) {
		db_close(db);
		return ctl_err("requests: out of memory");
	}
	if (!json)
		printf("%-6s %-20s %-10s %-16s %s\n", "id", "address", "state",
		    "created", "contact -- decision");
	rc = db_request_foreach(db, state, NULL, list_cb, &c);
	if (rc == -1 && !c.bad) {
		ctl_err("%s", db_errmsg(db));
		db_close(db);
		json_decref(c.arr);
		return CTL_FAIL;
	}
	db_close(db);
	if (json) {
		if (c.bad) {
			json_decref(c.arr);
			c.arr = NULL;	/* ctl_json_print says why */
		}
		return ctl_json_print("requests", c.arr);
	}
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
	c->r.addr = c->addr = xstrdup_null(r->addr);
	c->r.contact = c->contact = xstrdup_null(r->contact);
	c->r.note = c->note = xstrdup_null(r->note);
	c->r.state = c->state = xstrdup_null(r->state);
	c->r.decision = c->decision = xstrdup_null(r->decision);
	return 0;
}

struct transcript_ctx {
	json_t	*obj;		/* --json: request show's object */
	int	 bad;
};

static int
transcript_cb(const struct probe *p, void *arg)
{
	struct transcript_ctx	*c = arg;
	char			 t[32];

	if (c->obj != NULL) {
		if (cj_set(c->obj, "retest", cj_retest(p)) == -1)
			c->bad = 1;
	} else {
		printf("re-test: probe #%lld, %s, %s\n", (long long)p->id,
		    fmt_time_iso(p->started, t, sizeof(t)),
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
	memset(&tc, 0, sizeof(tc));
	if (json) {
		if ((tc.obj = cj_request(&c.r)) == NULL)
			tc.bad = 1;
	} else {
		printf("request %lld: %s, %s\n", id, c.r.addr, c.r.state);
		printf("  contact:  %s\n", c.r.contact);
		if (c.r.note)
			printf("  note:     %s\n", c.r.note);
		printf("  created:  %s\n", fmt_time_iso(c.r.created, t1,
		    sizeof(t1)));
		if (c.r.not_before && !c.r.decided)
			printf("  re-test:  not before %s\n",
			    fmt_time_iso(c.r.not_before, t2, sizeof(t2)));
		printf("  tries:    %d\n", c.r.tries);
		if (c.r.decision)
			printf("  decision: %s\n", c.r.decision);
	}
	if (c.r.probe_id && !tc.bad)
		db_probe_get(db, c.r.probe_id, transcript_cb, &tc);
	db_close(db);
	rc = CTL_OK;
	if (json) {
		if (tc.bad) {
			json_decref(tc.obj);
			tc.obj = NULL;	/* ctl_json_print says why */
		}
		rc = ctl_json_print("request", tc.obj);
	}
	free(c.addr);
	free(c.contact);
	free(c.note);
	free(c.state);
	free(c.decision);
	return rc;
}
