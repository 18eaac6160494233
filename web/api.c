/*
 * api.c -- orbl-web's JSON API under /api/v1/: the same readings (view.c)
 * and the same actions (action.c) as the HTML pages, as documents with
 * stable keys (api_json.c builds them).  Times are Unix seconds, absent
 * values null.  Errors are {"error": TEXT, "status": CODE} (server.c).
 * docs/WEB.md has the reference.
 */
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "advice.h"
#include "api_json.h"
#include "db.h"
#include "lookup.h"
#include "version.h"
#include "view.h"
#include "web.h"

void
api_status(struct wreq *r)
{
	struct db	*db;
	uint32_t	 serial;

	if ((db = web_db(r)) == NULL || db_serial(db, &serial) == -1) {
		web_db_error(r, NULL);
		return;
	}
	web_send_json(r, 200, api_json_status(ORBL_VERSION, serial));
}

void
api_lookup(struct wreq *r)
{
	struct view	 v;
	struct addr	 ip;
	struct db	*db;
	const char	*text = web_param_addr(&r->query);
	char		 err[512], contact[256];

	if (text == NULL || *text == '\0') {
		web_error(r, 400, "give an address: /api/v1/lookup?ip=ADDR");
		return;
	}
	if (lookup_parse(text, &ip, err, sizeof(err)) == -1) {
		web_error(r, 400, "%s", err);
		return;
	}
	if ((db = web_db(r)) == NULL) {
		web_db_error(r, NULL);
		return;
	}
	if (view_lookup(&v, db, &ip, r->w->conf.default_reason, r->now, err,
	    sizeof(err)) == -1) {
		view_clear(&v);
		web_db_error(r, err);
		return;
	}
	web_send_json(r, 200, api_json_lookup(&v, r->w->conf.web_base_url,
	    advice_contact(&r->w->conf, contact, sizeof(contact))));
	view_clear(&v);
}

void
api_submit(struct wreq *r)
{
	struct policy_submit	 ps;
	char			 err[512], path[96], loc[1024];
	int64_t			 retry;
	int			 port, st;

	st = action_submit(r, &r->body, &port, &ps, &retry, err, sizeof(err));
	if (st >= 300) {
		action_fail(r, st, retry, err);
		return;
	}
	if (ps.queued) {
		snprintf(path, sizeof(path), "/api/v1/submissions/%lld",
		    (long long)ps.submission_id);
		web_header(r, "Location", web_url(r->w, path, loc,
		    sizeof(loc)));
	}
	web_send_json(r, st, api_json_submitted(&ps, port,
	    r->w->conf.web_base_url));
}

void
api_submission(struct wreq *r)
{
	struct view	 v;
	struct db	*db;
	int		 rc;

	if ((db = web_db(r)) == NULL) {
		web_db_error(r, NULL);
		return;
	}
	if ((rc = view_submission(&v, db, r->id)) != 0) {
		view_clear(&v);
		if (rc == DB_NOTFOUND)
			web_error(r, 404, "no submission #%lld",
			    (long long)r->id);
		else
			web_db_error(r, NULL);
		return;
	}
	web_send_json(r, 200, api_json_submission(&v,
	    r->w->conf.web_base_url));
	view_clear(&v);
}

void
api_delist(struct wreq *r)
{
	struct policy_request	 pr;
	char			 err[512], path[96], loc[1024];
	int64_t			 retry;
	int			 st;

	st = action_delist(r, &r->body, &pr, &retry, err, sizeof(err));
	if (st >= 300) {
		action_fail(r, st, retry, err);
		return;
	}
	snprintf(path, sizeof(path), "/api/v1/delist-requests/%lld",
	    (long long)pr.id);
	web_header(r, "Location", web_url(r->w, path, loc, sizeof(loc)));
	web_send_json(r, st, api_json_delisted(&pr,
	    r->w->conf.web_base_url));
}

void
api_request(struct wreq *r)
{
	struct view	 v;
	struct db	*db;
	int		 rc;

	if ((db = web_db(r)) == NULL) {
		web_db_error(r, NULL);
		return;
	}
	if ((rc = view_request(&v, db, r->id)) != 0) {
		view_clear(&v);
		if (rc == DB_NOTFOUND)
			web_error(r, 404, "no delisting request #%lld",
			    (long long)r->id);
		else
			web_db_error(r, NULL);
		return;
	}
	web_send_json(r, 200, api_json_request(&v, r->now));
	view_clear(&v);
}

void
api_admin_remove(struct wreq *r)
{
	struct action_remove	 ar;
	char			 err[512];
	int			 st;

	if ((st = action_remove(r, &r->body, &ar, err, sizeof(err))) >= 300) {
		action_fail(r, st, 0, err);
		return;
	}
	web_send_json(r, 200, api_json_removed(&ar));
}
