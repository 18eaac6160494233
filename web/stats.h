/*
 * stats.h -- orbl-web's counters: what the stats log line says (SIGUSR1,
 * hourly, at exit) and what the Prometheus /metrics listener serves
 * (web_metrics_listen; common/metrics.c).
 *
 * Counting is an increment into fixed arrays: no allocation, no lookup
 * but a switch on the status code.  The counters are only read when a
 * line is logged or a scrape arrives.  The metrics listener is a separate
 * evhttp on its own addresses: its scrapes are not requests here.
 */
#ifndef ORBL_WEB_STATS_H
#define ORBL_WEB_STATS_H

#include <stdint.h>

#include "route.h"

struct metrics_buf;
struct web;

/*
 * The status codes orbl-web answers with, each a slot of the per-route
 * table; WEB_STATUS_OTHER counts any other (none today: a code added to
 * the handlers belongs in the table in stats.c).
 */
#define WEB_STATUS_SLOTS	13
#define WEB_STATUS_OTHER	(WEB_STATUS_SLOTS - 1)

/* Why a request was answered 503 for the database. */
enum web_dberr {
	WEB_DBERR_OPEN,		/* not open: it could not be opened */
	WEB_DBERR_BUSY,		/* locked by another writer past the busy
				   timeout */
	WEB_DBERR_OTHER,	/* any other failure */
	WEB_DBERR_KINDS
};

/* What became of a submission or a delisting request that reached the
 * rules (action.c; the rate limit, the form token and a bad body are
 * answered before that and are not counted here). */
enum web_result {
	WEB_RESULT_NEW,		/* queued / a new request: 201 */
	WEB_RESULT_OLD,		/* the verdict stands / an open request
				   was there already: 200 */
	WEB_RESULT_REFUSED,	/* the parameters or the rules say no */
	WEB_RESULT_LIMITED,	/* submit_limit, prefix_limit,
				   request_contact_limit: 429 */
	WEB_RESULT_ERROR,	/* the database: 503 */
	WEB_RESULTS
};

struct web_stats {
	uint64_t	 requests, s2xx, s3xx, s4xx, s5xx;
	uint64_t	 limited, forbidden;
	uint64_t	 dberrors[WEB_DBERR_KINDS];
	uint64_t	 connections, accept_errors, pauses;
	/* Replies by route (ROUTE_COUNT: no route) and status slot. */
	uint64_t	 replies[ROUTE_COUNT + 1][WEB_STATUS_SLOTS];
	uint64_t	 submissions[WEB_RESULTS];
	uint64_t	 delists[WEB_RESULTS];
};

/* A reply with code went out for route (ROUTE_COUNT: none). */
void	 web_stats_reply(struct web_stats *, int route, int code);
/* An action (action.c) returned status: count it in results. */
void	 web_stats_result(uint64_t results[WEB_RESULTS], int status);
/* The stats line, to the log. */
void	 web_stats_log(struct web *, const char *why);
/* metrics_server_new's collect callback; arg is the struct web. */
void	 web_stats_collect(struct metrics_buf *, void *arg);

#endif
