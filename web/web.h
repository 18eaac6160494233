/*
 * web.h -- orbl-web's program-wide state and the request context that
 * server.c builds for each HTTP request and hands to a page (page.c, HTML)
 * or an API handler (api.c, JSON), with the output helpers they share.
 */
#ifndef ORBL_WEB_H
#define ORBL_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"
#include "dnsq.h"
#include "form.h"
#include "route.h"
#include "stats.h"

#define WEB_BODY_MAX	(16 * 1024)	/* our limit on a request body */
#define WEB_EVHTTP_BODY_MAX (64 * 1024)	/* evhttp's: beyond it, evhttp's
					   own 413 */
#define WEB_HEADERS_MAX	(8 * 1024)
#define WEB_TIMEOUT	20		/* s: read/write of a connection */
#define WEB_DB_RETRY	1		/* s between attempts to open */
#define WEB_ACCEPT_RETRY 1		/* s: accept again after EMFILE */
#define WEB_CHECKS_MAX	64		/* check pages waiting for DNS at
					   once; more: 503 */
#define WEB_CHECK_TIMEOUT_MAX 60	/* s: web_check_timeout at most */

struct event_base;
struct event;
struct evconnlistener;
struct bufferevent;
struct evhttp;
struct evhttp_request;
struct evbuffer;
struct db;
struct guard;
struct json_t;
struct metrics_server;
struct web_check;

/* A web_check_lists entry, read at start (check.c): the zone and where
 * to ask it, or why it cannot be asked (no system resolver). */
struct web_check_list {
	char			 zone[256];
	struct dnsq_srv		 srv[DNSQ_MAXSRV];
	int			 nsrv;
	char			 why[128];	/* nsrv 0 */
};

/*
 * Connections (server.c): at most web_max_clients open at once (0: no
 * cap), and none accepted while accept() fails for want of descriptors.
 * Each condition is a pause of the listeners, logged when it starts and
 * when it is over: when the connections open have fallen to half the
 * level it started at, so that a server kept at its limit, accepting one
 * as one closes, logs no more.  While out of descriptors the connections
 * open then are the cap too (the next accept would fail again).
 */
struct web_conns {
	struct evconnlistener	*lev[CONF_MAX_LIST];
	int			 nlev;
	long long		 open;		/* connections open now */
	int			 cap_episode;	/* logged, not yet over */
	int			 fd_wait;	/* accept failed: wait for a
						   close or the timer */
	int			 fd_episode;	/* logged, not yet over */
	long long		 fd_level;	/* open when accept failed */
	int			 enabled;	/* listeners on */
	int			 stopping;	/* web_server_stop: hands off */
	struct event		*retry;		/* WEB_ACCEPT_RETRY after a
						   failed accept */
	struct event		*adopt_ev;	/* runs conns_adopt */
	struct bufferevent	**adopt;	/* new, not yet adopted */
	size_t			 nadopt, adoptcap;
};

struct web {
	struct conf		 conf;
	struct event_base	*base;
	struct evhttp		*http;
	struct db		*db;
	int64_t			 db_next_try;
	int			 db_down_logged;
	struct guard		*guard;
	struct addr		 proxies[CONF_MAX_LIST];
	int			 nproxies;
	struct web_stats	 st;		/* stats.h */
	struct web_conns	 conns;
	struct metrics_server	*metrics;	/* web_metrics_listen */
	/* The check page (check.c). */
	struct guard		*check_guard;	/* its rate limit */
	struct web_check_list	 check_lists[CONF_MAX_LIST];
	int			 ncheck_lists;
	struct web_check	*checks;	/* waiting for DNS */
	int			 nchecks;
};

struct wreq {
	struct web		*w;
	struct evhttp_request	*req;
	int			 method;	/* EVHTTP_REQ_GET (HEAD too),
						   EVHTTP_REQ_POST */
	const char		*path;
	int			 route;		/* its enum route_id;
						   ROUTE_COUNT: none */
	int			 api;		/* under /api/: JSON errors */
	int64_t			 id;		/* /submission/ID and the like */
	struct form		 query;		/* the query string */
	struct form		 body;		/* a POST's parameters */
	int			 json_body;	/* body was application/json */
	char			 client[ADDR_STRLEN];	/* the client address */
	char			 ratekey[ADDR_STRLEN];	/* IPv6: its /64 */
	int64_t			 now;
	struct evbuffer		*out;
	int			 sent;		/* a reply went out */
	int			 deferred;	/* handed to web_defer: the
						   reply comes later */
};

/* server.c */
int	 web_server_start(struct web *, char *err, size_t errlen);
void	 web_server_stop(struct web *);
/* The database, opened (read-write) on demand; NULL when it cannot be
 * (missing, locked, corrupt): the caller answers 503 (web_db_error). */
struct db *web_db(struct wreq *);
/* After a database error: answer 503 and reopen next time. */
void	 web_db_error(struct wreq *, const char *what);
/*
 * The handler answers later, from another event (check.c): a copy of r
 * on the heap that owns the request, its output and its parameters; r
 * is left marked deferred.  After web_send (or when giving up at
 * shutdown, unsent: evhttp_free frees the request), web_deferred_free.
 */
struct wreq *web_defer(struct wreq *);
void	 web_deferred_free(struct wreq *);

/* Output: to r->out; web_send sends it with code. */
void	 out_raw(struct wreq *, const char *);
void	 out_printf(struct wreq *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 out_html(struct wreq *, const char *);	/* escaped */
void	 web_header(struct wreq *, const char *name, const char *value);
void	 web_send(struct wreq *, int code, const char *ctype);
/* Send doc (api_json.h; the reference is taken) as application/json with
 * code; a NULL doc (out of memory building it) or no memory to write it:
 * a 500 instead. */
void	 web_send_json(struct wreq *, int code, struct json_t *doc);
/* An error in the route's language: JSON {"error", "status"} under
 * /api/, an HTML page elsewhere. */
void	 web_error(struct wreq *, int code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 web_redirect(struct wreq *, const char *path);
/* 429 with Retry-After. */
void	 web_limited(struct wreq *, int64_t retry_after, const char *why);
/* web_base_url + path into buf. */
char	*web_url(const struct web *, const char *path, char *buf, size_t len);
/* The address parameter: "ip" or "address" (NULL: neither). */
const char *web_param_addr(const struct form *);

/* page.c: the HTML routes. */
void	 page_index(struct wreq *);
void	 page_lookup(struct wreq *);
void	 page_submit(struct wreq *);
void	 page_submission(struct wreq *);
void	 page_delist(struct wreq *);
void	 page_request(struct wreq *);
void	 page_error(struct wreq *, int code, const char *msg);

/* check.c: the multi-list check, HTML and JSON.  web_check_conf reads
 * web_check_lists and web_check_timeout (-1 with the reasons printed on
 * stderr, as check_conf does); web_check_stop drops the checks still
 * waiting (shutdown, before evhttp_free). */
void	 page_check(struct wreq *);
void	 api_check(struct wreq *);
int	 web_check_conf(struct web *, const struct conf *);
void	 web_check_stop(struct web *);

/* api.c: the JSON routes. */
void	 api_status(struct wreq *);
void	 api_lookup(struct wreq *);
void	 api_submit(struct wreq *);
void	 api_submission(struct wreq *);
void	 api_delist(struct wreq *);
void	 api_request(struct wreq *);
void	 api_admin_remove(struct wreq *);

#endif
