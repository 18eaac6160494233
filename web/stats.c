/*
 * stats.c -- see stats.h.  Metric names follow the Prometheus
 * conventions: orbl_web_ prefix, _total for counters, base units.
 */
#include <stddef.h>
#include <stdint.h>

#include "guard.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "stats.h"
#include "version.h"
#include "web.h"

/* The codes of the status slots, in order; the last slot is "other". */
static const struct {
	int		 code;
	const char	*label;
} statuses[WEB_STATUS_SLOTS] = {
	{ 200, "200" }, { 201, "201" }, { 303, "303" }, { 400, "400" },
	{ 403, "403" }, { 404, "404" }, { 405, "405" }, { 413, "413" },
	{ 415, "415" }, { 429, "429" }, { 500, "500" }, { 503, "503" },
	{ 0, "other" }
};

static const char *const dberr_names[WEB_DBERR_KINDS] = {
	"open", "busy", "other"
};
static const char *const submit_names[WEB_RESULTS] = {
	"queued", "stands", "refused", "limited", "error"
};
static const char *const delist_names[WEB_RESULTS] = {
	"created", "existing", "refused", "limited", "error"
};

/* A dozen comparisons: cheaper than anything that would need setting up. */
static int
status_slot(int code)
{
	int	 i;

	for (i = 0; i < WEB_STATUS_OTHER; i++)
		if (statuses[i].code == code)
			return i;
	return WEB_STATUS_OTHER;
}

void
web_stats_reply(struct web_stats *st, int route, int code)
{
	if (route < 0 || route > ROUTE_COUNT)
		route = ROUTE_COUNT;
	st->replies[route][status_slot(code)]++;
	if (code < 300)
		st->s2xx++;
	else if (code < 400)
		st->s3xx++;
	else if (code < 500)
		st->s4xx++;
	else
		st->s5xx++;
}

void
web_stats_result(uint64_t results[WEB_RESULTS], int status)
{
	switch (status) {
	case 201:
		results[WEB_RESULT_NEW]++;
		break;
	case 200:
		results[WEB_RESULT_OLD]++;
		break;
	case 429:
		results[WEB_RESULT_LIMITED]++;
		break;
	case 503:
		results[WEB_RESULT_ERROR]++;
		break;
	default:
		results[WEB_RESULT_REFUSED]++;
		break;
	}
}

static uint64_t
dberrors(const struct web_stats *st)
{
	uint64_t	 n = 0;
	int		 i;

	for (i = 0; i < WEB_DBERR_KINDS; i++)
		n += st->dberrors[i];
	return n;
}

void
web_stats_log(struct web *w, const char *why)
{
	log_info("stats (%s): requests %llu, 2xx %llu, 3xx %llu, 4xx %llu, "
	    "5xx %llu; rate-limited %llu, forbidden %llu, database errors "
	    "%llu; clients counted %zu; connections %llu, open %lld, failed "
	    "accepts %llu, pauses %llu; database %s", why,
	    (unsigned long long)w->st.requests,
	    (unsigned long long)w->st.s2xx, (unsigned long long)w->st.s3xx,
	    (unsigned long long)w->st.s4xx, (unsigned long long)w->st.s5xx,
	    (unsigned long long)w->st.limited,
	    (unsigned long long)w->st.forbidden,
	    (unsigned long long)dberrors(&w->st), guard_clients(w->guard),
	    (unsigned long long)w->st.connections, w->conns.open,
	    (unsigned long long)w->st.accept_errors,
	    (unsigned long long)w->st.pauses, w->db ? "open" : "closed");
}

void
web_stats_collect(struct metrics_buf *b, void *arg)
{
	const struct web	*w = arg;
	const struct web_stats	*st = &w->st;
	const char		*lv[5];
	int			 r, s;

	lv[0] = "version";
	lv[1] = ORBL_VERSION;
	lv[2] = NULL;
	metrics_family(b, "orbl_web_build_info", "gauge",
	    "orbl-web's version (the value is always 1)");
	metrics_u64(b, "orbl_web_build_info", 1, lv);

	/* Only the pairs seen: most routes answer a few codes only. */
	metrics_family(b, "orbl_web_requests_total", "counter",
	    "HTTP requests answered on web_listen, by route (none: no such "
	    "page) and status code");
	for (r = 0; r <= ROUTE_COUNT; r++)
		for (s = 0; s < WEB_STATUS_SLOTS; s++) {
			if (st->replies[r][s] == 0)
				continue;
			lv[0] = "route";
			lv[1] = route_name((enum route_id)r);
			lv[2] = "status";
			lv[3] = statuses[s].label;
			lv[4] = NULL;
			metrics_u64(b, "orbl_web_requests_total",
			    st->replies[r][s], lv);
		}
	metrics_one(b, "orbl_web_rate_limited_total", "counter", "requests answered "
	    "429: web_rate_limit per client, or the rules' hourly limits",
	    st->limited);
	metrics_by_label(b, "orbl_web_database_errors_total", "requests answered 503 "
	    "for the database: not open (open), locked by another writer "
	    "(busy), any other failure (other)", "kind", dberr_names,
	    st->dberrors, WEB_DBERR_KINDS);
	metrics_by_label(b, "orbl_web_submissions_total", "submissions that reached "
	    "the rules, by result", "result", submit_names, st->submissions,
	    WEB_RESULTS);
	metrics_by_label(b, "orbl_web_delisting_requests_total", "delisting requests "
	    "that reached the rules, by result", "result", delist_names,
	    st->delists, WEB_RESULTS);
	metrics_one(b, "orbl_web_connections", "gauge", "connections open now",
	    w->conns.open > 0 ? (uint64_t)w->conns.open : 0);
	metrics_one(b, "orbl_web_connections_total", "counter", "connections "
	    "accepted", st->connections);
	metrics_one(b, "orbl_web_accept_errors_total", "counter", "failed accepts "
	    "(out of file descriptors, say)", st->accept_errors);
	metrics_one(b, "orbl_web_accept_pauses_total", "counter", "times the "
	    "listeners were paused: web_max_clients reached or out of file "
	    "descriptors", st->pauses);
	metrics_one(b, "orbl_web_accepting", "gauge", "1 while the listeners accept, "
	    "0 while paused", w->conns.enabled ? 1 : 0);
	metrics_one(b, "orbl_web_rate_limit_clients", "gauge", "clients the rate "
	    "limit keeps a count for", guard_clients(w->guard));
	metrics_one(b, "orbl_web_database_open", "gauge", "1 while the database is "
	    "open, 0 while it is not (answering 503)", w->db != NULL);
}
