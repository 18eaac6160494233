/*
 * server.c -- orbl-web's HTTP server on libevent's evhttp: the listeners
 * and their limits, the handler of each route (route.c says which route
 * a path is), and for every request the checks that come before any page
 * or API handler runs: method, parameters, body size, rate limit, form
 * token or content type, admin token.  Also the output helpers (JSON:
 * api_json.c's documents) and the database connection (opened on demand,
 * reopened after a failure, never fatal: 503 until it works again).
 * And the count of connections, which pauses the listeners at
 * web_max_clients or when out of file descriptors (see "Connections").
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "api_json.h"
#include "db.h"
#include "esc.h"
#include "guard.h"
#include "log.h"
#include "net.h"
#include "route.h"
#include "web.h"
#include "xmalloc.h"

#define JSON	"application/json"

/* What answers each route (route.h). */
static void (*const handlers[ROUTE_COUNT])(struct wreq *) = {
	[ROUTE_INDEX] = page_index,
	[ROUTE_LOOKUP] = page_lookup,
	[ROUTE_SUBMIT] = page_submit,
	[ROUTE_SUBMISSION] = page_submission,
	[ROUTE_DELIST] = page_delist,
	[ROUTE_REQUEST] = page_request,
	[ROUTE_API_STATUS] = api_status,
	[ROUTE_API_LOOKUP] = api_lookup,
	[ROUTE_API_SUBMIT] = api_submit,
	[ROUTE_API_SUBMISSION] = api_submission,
	[ROUTE_API_DELIST] = api_delist,
	[ROUTE_API_REQUEST] = api_request,
	[ROUTE_API_ADMIN_REMOVE] = api_admin_remove,
	[ROUTE_CHECK] = page_check,
	[ROUTE_API_CHECK] = api_check,
};

/* ------------------------------------------------------------------ */
/* Output. */

void
out_raw(struct wreq *r, const char *s)
{
	evbuffer_add(r->out, s, strlen(s));
}

void
out_printf(struct wreq *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(r->out, fmt, ap);
	va_end(ap);
}

static void
put_evbuffer(void *arg, const char *p, size_t n)
{
	evbuffer_add(arg, p, n);
}

void
out_html(struct wreq *r, const char *s)
{
	esc_html_put(s, put_evbuffer, r->out);
}

void
web_header(struct wreq *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name,
	    value);
}

void
web_send(struct wreq *r, int code, const char *ctype)
{
	struct web	*w = r->w;

	if (r->sent) {
		log_warnx("%s: a second reply (%d) suppressed", r->path, code);
		return;
	}
	r->sent = 1;
	web_header(r, "Content-Type", ctype);
	web_header(r, "Cache-Control", "no-store");
	web_header(r, "X-Content-Type-Options", "nosniff");
	web_header(r, "X-Frame-Options", "DENY");
	web_header(r, "Referrer-Policy", "same-origin");
	web_header(r, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	web_stats_reply(&w->st, r->route, code);
	log_debug("%s %s %s -> %d", r->client, r->method == EVHTTP_REQ_POST ?
	    "POST" : "GET", r->path, code);
	evhttp_send_reply(r->req, code, NULL, r->out);
}

void
web_send_json(struct wreq *r, int code, json_t *doc)
{
	char	*text;
	size_t	 len;

	text = api_json_dump(doc, &len);
	json_decref(doc);
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	if (text == NULL || evbuffer_add(r->out, text, len) == -1) {
		/* Out of memory: the least that can still be said, with
		 * nothing that came with the answer that failed. */
		free(text);
		log_warnx("%s: out of memory for a JSON answer (%d)", r->path,
		    code);
		evhttp_remove_header(evhttp_request_get_output_headers(r->req),
		    "Location");
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
		out_raw(r, "{\"error\":\"internal error: out of memory\","
		    "\"status\":500}\n");
		web_send(r, 500, JSON);
		return;
	}
	free(text);
	web_send(r, code, JSON);
}

void
web_error(struct wreq *r, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (code == 403)
		r->w->st.forbidden++;
	evbuffer_drain(r->out, evbuffer_get_length(r->out));
	if (!r->api) {
		page_error(r, code, msg);
		return;
	}
	web_send_json(r, code, api_json_error(msg, code));
}

void
web_limited(struct wreq *r, int64_t retry, const char *why)
{
	char	 s[32];

	r->w->st.limited++;
	snprintf(s, sizeof(s), "%lld", (long long)(retry > 0 ? retry : 1));
	web_header(r, "Retry-After", s);
	web_error(r, 429, "%s", why);
}

char *
web_url(const struct web *w, const char *path, char *buf, size_t len)
{
	return route_url(w->conf.web_base_url, path, buf, len);
}

void
web_redirect(struct wreq *r, const char *path)
{
	char	 url[1024];

	web_url(r->w, path, url, sizeof(url));
	web_header(r, "Location", url);
	out_raw(r, "<!doctype html><title>See other</title><p><a href=\"");
	out_html(r, url);
	out_raw(r, "\">continue</a>\n");
	web_send(r, 303, "text/html; charset=utf-8");
}

const char *
web_param_addr(const struct form *f)
{
	const char	*v = form_get(f, "ip");

	return v ? v : form_get(f, "address");
}

/* ------------------------------------------------------------------ */
/* The database. */

struct db *
web_db(struct wreq *r)
{
	struct web	*w = r->w;
	char		 err[1024];

	if (w->db != NULL)
		return w->db;
	if (r->now < w->db_next_try)
		return NULL;
	w->db_next_try = r->now + WEB_DB_RETRY;
	if ((w->db = db_open(w->conf.database, 0, err, sizeof(err))) == NULL) {
		if (!w->db_down_logged)
			log_warnx("database: %s", err);
		w->db_down_logged = 1;
		return NULL;
	}
	if (w->db_down_logged)
		log_info("database %s: open again", w->conf.database);
	w->db_down_logged = 0;
	return w->db;
}

void
web_db_error(struct wreq *r, const char *what)
{
	struct web	*w = r->w;

	/* Not open: web_db could not open it (now, or less than
	 * WEB_DB_RETRY ago). */
	w->st.dberrors[w->db == NULL ? WEB_DBERR_OPEN : db_busy(w->db) ?
	    WEB_DBERR_BUSY : WEB_DBERR_OTHER]++;
	if (w->db != NULL) {
		log_warnx("%s: database: %s", r->path, what ? what :
		    db_errmsg(w->db));
		db_close(w->db);
		w->db = NULL;
	}
	web_header(r, "Retry-After", "5");
	web_error(r, 503, "the database is busy or not available right now: "
	    "try again in a few seconds");
}

/* ------------------------------------------------------------------ */
/* Answers that come later. */

struct wreq *
web_defer(struct wreq *r)
{
	struct wreq	*h = xmalloc(sizeof(*h));

	*h = *r;
	/* The copy owns them now: request_cb frees what r still holds. */
	r->out = NULL;
	memset(&r->query, 0, sizeof(r->query));
	memset(&r->body, 0, sizeof(r->body));
	r->deferred = 1;
	return h;
}

void
web_deferred_free(struct wreq *h)
{
	if (h == NULL)
		return;
	form_clear(&h->query);
	form_clear(&h->body);
	if (h->out != NULL)
		evbuffer_free(h->out);
	free(h);
}

/* ------------------------------------------------------------------ */
/* The client. */

/*
 * The peer, or, when the peer is a trusted proxy, what guard_client makes
 * of the X-Forwarded-For lines: all of them, in the order received (the
 * last GUARD_XFF_MAX: the walk reads no more entries than that).
 */
static int
client_addr(struct wreq *r)
{
	const struct sockaddr	*sa;
	const struct evkeyvalq	*hdrs;
	const struct evkeyval	*kv;
	const char		*xff[GUARD_XFF_MAX];
	char			 host[INET6_ADDRSTRLEN], err[128];
	struct addr		 peer, a;
	size_t			 nxff = 0, total = 0, skip, i;

	sa = evhttp_connection_get_addr(evhttp_request_get_connection(r->req));
	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return -1;
	/* An IPv4 client of a dual-stack listener is an IPv4 client. */
	net_sockaddr_ip(sa, host, sizeof(host));
	if (addr_parse(host, &peer, err, sizeof(err)) == -1)
		return -1;
	hdrs = evhttp_request_get_input_headers(r->req);
	TAILQ_FOREACH(kv, hdrs, next)
		if (strcasecmp(kv->key, "X-Forwarded-For") == 0)
			total++;
	skip = total > GUARD_XFF_MAX ? total - GUARD_XFF_MAX : 0;
	i = 0;
	TAILQ_FOREACH(kv, hdrs, next)
		if (strcasecmp(kv->key, "X-Forwarded-For") == 0 &&
		    i++ >= skip)
			xff[nxff++] = kv->value;
	guard_client(&peer, xff, nxff, r->w->proxies, r->w->nproxies, &a);
	addr_format_ip(&a, r->client, sizeof(r->client));
	if (a.family == 6) {
		a.prefix = 64;
		addr_mask(&a);
		addr_format(&a, r->ratekey, sizeof(r->ratekey));
	} else
		orbl_strlcpy(r->ratekey, r->client, sizeof(r->ratekey));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connections. */

/*
 * How they are counted.  libevent 2.1's evhttp accepts on listeners of
 * its own and has neither a cap (2.2's evhttp_set_max_connections) nor a
 * hook per connection but the one that makes its bufferevent
 * (evhttp_set_bevcb).  conns_bev_cb counts a connection there and holds a
 * reference to the bufferevent until, once the listener's callback has
 * returned, conns_adopt finds the connection evhttp made around it (the
 * bufferevent's callback argument) and gives it a close callback, which
 * evhttp calls once for an incoming connection, as it closes it:
 * conns_closed counts it out.  One that evhttp gave up on before that
 * (bufferevent_free cleared its callbacks) is counted out at adoption; the
 * reference keeps the pointer good until then.  evhttp closes the socket
 * itself either way (no BEV_OPT_CLOSE_ON_FREE, like its own).
 *
 * The listeners get an error callback: when accept() fails (EMFILE) the
 * listening socket stays readable, and without one libevent logs and
 * tries again at once, for ever: a spinning core and a flood of
 * "Error from accept()" lines.
 */
static struct web *conns_web;	/* the error callback gets the evhttp */

/* The cap now: web_max_clients, lowered to the connections that were
 * open when descriptors ran out, until that is over. */
static long long
conns_cap(const struct web *w)
{
	const struct web_conns	*c = &w->conns;
	long long		 cap = w->conf.web_max_clients > 0 ?
				    w->conf.web_max_clients : LLONG_MAX;

	if (c->fd_episode && c->fd_level > 0 && c->fd_level < cap)
		cap = c->fd_level;
	return cap;
}

/* Listeners on or off, as the state says. */
static void
conns_update(struct web *w)
{
	struct web_conns	*c = &w->conns;
	int			 on, i;

	if (c->stopping)
		return;
	on = !c->fd_wait && c->open < conns_cap(w);
	if (on == c->enabled)
		return;
	c->enabled = on;
	if (!on)
		w->st.pauses++;
	for (i = 0; i < c->nlev; i++)
		if (on)
			evconnlistener_enable(c->lev[i]);
		else
			evconnlistener_disable(c->lev[i]);
}

/* One connection fewer: a descriptor is free, and maybe an episode is
 * over. */
static void
conns_gone(struct web *w)
{
	struct web_conns	*c = &w->conns;
	long long		 max = w->conf.web_max_clients;

	c->open--;
	c->fd_wait = 0;
	if (c->stopping)
		return;
	if (c->cap_episode && c->open <= max / 2) {
		c->cap_episode = 0;
		log_info("below the cap again: %lld connections open "
		    "(web_max_clients %lld)", c->open, max);
	}
	if (c->fd_episode && c->open <= c->fd_level / 2) {
		c->fd_episode = 0;
		log_info("file descriptors to spare again: accepting "
		    "(%lld connections open)", c->open);
	}
	conns_update(w);
}

static void
conns_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conns_gone(arg);
}

static struct bufferevent *
conns_bev_cb(struct event_base *base, void *arg)
{
	struct web		*w = arg;
	struct web_conns	*c = &w->conns;
	struct bufferevent	*bev;
	long long		 max = w->conf.web_max_clients;

	/* NULL: evhttp makes one itself, not counted (out of memory). */
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;
	if (c->nadopt == c->adoptcap) {
		c->adoptcap = c->adoptcap ? 2 * c->adoptcap : 16;
		c->adopt = xreallocarray(c->adopt, c->adoptcap,
		    sizeof(*c->adopt));
	}
	bufferevent_incref(bev);
	c->adopt[c->nadopt++] = bev;
	event_active(c->adopt_ev, EV_TIMEOUT, 0);
	c->open++;
	w->st.connections++;
	if (max > 0 && c->open >= max && !c->cap_episode) {
		c->cap_episode = 1;
		log_warnx("at the cap: %lld connections open (web_max_clients):"
		    " accepting no more until some close", c->open);
	}
	conns_update(w);
	return bev;
}

static void
conns_adopt(evutil_socket_t fd, short ev, void *arg)
{
	struct web		*w = arg;
	struct web_conns	*c = &w->conns;
	void			*evcon;
	size_t			 i;

	(void)fd;
	(void)ev;
	for (i = 0; i < c->nadopt; i++) {
		evcon = NULL;
		bufferevent_getcb(c->adopt[i], NULL, NULL, NULL, &evcon);
		if (evcon != NULL)
			evhttp_connection_set_closecb(evcon, conns_closed, w);
		else
			conns_gone(w);
		bufferevent_decref(c->adopt[i]);
	}
	c->nadopt = 0;
}

static void
conns_accept_error(struct evconnlistener *lev, void *arg)
{
	struct web		*w = conns_web;
	struct web_conns	*c = &w->conns;
	struct timeval		 tv = { WEB_ACCEPT_RETRY, 0 };
	int			 err = EVUTIL_SOCKET_ERROR();

	(void)lev;
	(void)arg;
	w->st.accept_errors++;
	c->fd_wait = 1;
	if (!c->fd_episode || c->open < c->fd_level)
		c->fd_level = c->open;
	if (!c->fd_episode) {
		c->fd_episode = 1;
		log_warnx("%s (accept: %s) with %lld connections open: "
		    "accepting no more until some close",
		    err == EMFILE || err == ENFILE ? "out of file descriptors" :
		    "cannot accept", strerror(err), c->open);
	}
	evtimer_add(c->retry, &tv);
	conns_update(w);
}

/* WEB_ACCEPT_RETRY after a failed accept: descriptors may have come free
 * elsewhere (the database's, say). */
static void
conns_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct web	*w = arg;

	(void)fd;
	(void)ev;
	w->conns.fd_wait = 0;
	conns_update(w);
}

/* ------------------------------------------------------------------ */
/* Dispatch. */

static int
content_type_is(const char *ct, const char *want)
{
	size_t	 n = strlen(want);

	while (ct && (*ct == ' ' || *ct == '\t'))
		ct++;
	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' ||
	    ct[n] == ';' || ct[n] == ' ');
}

/* The body of a POST: size, content type, token.  0 to go on. */
static int
post_body(struct wreq *r, const struct route *rt)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(r->req);
	size_t		 len = evbuffer_get_length(in);
	const char	*ct, *data;
	char		 err[256];
	int64_t		 retry;
	int		 rc;

	if (len > WEB_BODY_MAX) {
		web_error(r, 413, "the request body is larger than %d bytes",
		    WEB_BODY_MAX);
		return -1;
	}
	if (!rt->admin && (retry = guard_rate(r->w->guard, r->ratekey,
	    r->now)) != 0) {
		web_limited(r, retry, "too many requests from your address: "
		    "try again later");
		return -1;
	}
	ct = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Content-Type");
	data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	if (r->api && content_type_is(ct, "application/json")) {
		/* A cross-site form cannot send this type, and a cross-site
		 * script needs a CORS preflight, which is never granted. */
		if ((rc = form_parse_json(&r->body, data, len, err,
		    sizeof(err))) != 0) {
			if (rc == FORM_NOMEM)
				web_error(r, 500, "internal error: %s", err);
			else
				web_error(r, 400, "%s", err);
			return -1;
		}
		r->json_body = 1;
		return 0;
	}
	if (!content_type_is(ct, "application/x-www-form-urlencoded")) {
		web_error(r, 415, "send the parameters as application/x-www-"
		    "form-urlencoded%s", r->api ? " (with the form token) or "
		    "as application/json" : "");
		return -1;
	}
	if (form_parse_urlencoded(&r->body, data, len, err,
	    sizeof(err)) == -1) {
		web_error(r, 400, "%s", err);
		return -1;
	}
	if (rt->form != NULL && !guard_token_ok(r->w->guard, rt->form,
	    r->client, form_get(&r->body, "token"), r->now)) {
		web_error(r, 403, "the form token is missing or out of date: "
		    "reload the page and send the form again");
		return -1;
	}
	return 0;
}

/* Admin routes: a configured token, presented as "Bearer TOKEN". */
static int
admin_ok(struct wreq *r)
{
	const char	*h, *want = r->w->conf.web_admin_token;
	int64_t		 retry;

	if (want == NULL || *want == '\0') {
		web_error(r, 403, "the admin API is not enabled "
		    "(web_admin_token)");
		return 0;
	}
	h = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Authorization");
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0 &&
	    guard_secret_eq(h + 7, want))
		return 1;
	/* Guessing costs a POST of the hourly allowance. */
	if ((retry = guard_rate(r->w->guard, r->ratekey, r->now)) != 0) {
		web_limited(r, retry, "too many requests from your address: "
		    "try again later");
		return 0;
	}
	log_info("%s: admin request with a %s token refused", r->client,
	    h ? "wrong" : "missing");
	web_error(r, 403, "a valid admin token is required (Authorization: "
	    "Bearer TOKEN)");
	return 0;
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct web		*w = arg;
	struct wreq		 r;
	const struct route	*rt;
	const struct evhttp_uri	*uri;
	const char		*q;
	char			 err[256];
	int			 cmd, method;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.req = req;
	r.now = time(NULL);
	r.route = ROUTE_COUNT;
	r.out = evbuffer_new();
	w->st.requests++;
	cmd = evhttp_request_get_command(req);
	r.method = cmd == EVHTTP_REQ_POST ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
	uri = evhttp_request_get_evhttp_uri(req);
	r.path = route_path(uri ? evhttp_uri_get_path(uri) : NULL);
	r.api = route_is_api(r.path);
	if (r.out == NULL) {
		web_stats_reply(&w->st, ROUTE_COUNT, 500);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (client_addr(&r) == -1) {
		orbl_strlcpy(r.client, "unknown", sizeof(r.client));
		orbl_strlcpy(r.ratekey, "unknown", sizeof(r.ratekey));
	}
	if ((rt = route_find(r.path, &r.id)) == NULL) {
		web_error(&r, 404, "no such page: %s", r.path);
		goto done;
	}
	r.route = rt->id;
	method = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD ? ROUTE_GET :
	    cmd == EVHTTP_REQ_POST ? ROUTE_POST : 0;
	if (!route_allows(rt, method)) {
		web_header(&r, "Allow", route_allow_header(rt));
		web_error(&r, 405, "method not allowed here: use %s",
		    route_method_name(rt));
		goto done;
	}
	if ((q = evhttp_uri_get_query(uri)) != NULL &&
	    form_parse_urlencoded(&r.query, q, strlen(q), err,
	    sizeof(err)) == -1) {
		web_error(&r, 400, "%s", err);
		goto done;
	}
	if (rt->admin && !admin_ok(&r))
		goto done;
	if (cmd == EVHTTP_REQ_POST && post_body(&r, rt) == -1)
		goto done;
	handlers[rt->id](&r);
 done:
	if (!r.sent && !r.deferred) {
		log_warnx("%s: no reply from the handler", r.path);
		web_error(&r, 500, "internal error");
	}
	form_clear(&r.query);
	form_clear(&r.body);
	if (r.out != NULL)
		evbuffer_free(r.out);
}

int
web_server_start(struct web *w, char *err, size_t errlen)
{
	struct web_conns		*c = &w->conns;
	struct evhttp_bound_socket	*bound;
	struct evconnlistener		*lev;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	const struct conf_listen	*l;
	int				 i;

	if ((w->http = evhttp_new(w->base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		return -1;
	}
	/* Bodies over our limit are answered by us (413, in the route's
	 * language) up to evhttp's, which answers beyond it by itself; the
	 * lingering close reads the rest first, so the client sees the
	 * answer instead of a reset. */
	evhttp_set_max_body_size(w->http, WEB_EVHTTP_BODY_MAX);
	evhttp_set_max_headers_size(w->http, WEB_HEADERS_MAX);
	evhttp_set_timeout(w->http, WEB_TIMEOUT);
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(w->http, request_cb, w);
	evhttp_set_bevcb(w->http, conns_bev_cb, w);
	conns_web = w;
	c->adopt_ev = event_new(w->base, -1, 0, conns_adopt, w);
	c->retry = evtimer_new(w->base, conns_retry, w);
	if (c->adopt_ev == NULL || c->retry == NULL) {
		snprintf(err, errlen, "cannot set up events");
		return -1;
	}
	c->enabled = 1;
	for (i = 0; i < w->conf.nweb_listen; i++) {
		l = &w->conf.web_listen[i];
		/* The address is numeric (conf.c): no resolver.  Options and
		 * backlog as evhttp_bind_socket's own. */
		if (net_sockaddr(l->host, l->port, &ss, &sslen) == -1) {
			snprintf(err, errlen, "cannot listen on %s port %u: "
			    "not an IP address", l->host, l->port);
			return -1;
		}
		if ((lev = evconnlistener_new_bind(w->base, NULL, NULL,
		    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_CLOSE_ON_FREE, 128, (struct sockaddr *)&ss,
		    (int)sslen)) == NULL) {
			snprintf(err, errlen, "cannot listen on %s port %u: %s",
			    l->host, l->port, strerror(errno));
			return -1;
		}
		if ((bound = evhttp_bind_listener(w->http, lev)) == NULL) {
			evconnlistener_free(lev);
			snprintf(err, errlen, "cannot listen on %s port %u",
			    l->host, l->port);
			return -1;
		}
		c->lev[c->nlev] = evhttp_bound_socket_get_listener(bound);
		evconnlistener_set_error_cb(c->lev[c->nlev++],
		    conns_accept_error);
		log_info("listening on http://%s%s%s:%u/",
		    strchr(l->host, ':') ? "[" : "", l->host,
		    strchr(l->host, ':') ? "]" : "", l->port);
	}
	return 0;
}

void
web_server_stop(struct web *w)
{
	struct web_conns	*c = &w->conns;
	size_t			 i;

	/* evhttp_free frees the listeners, then closes the connections:
	 * conns_closed must not touch the listeners by then. */
	c->stopping = 1;
	c->nlev = 0;
	/* Before evhttp_free, which frees the requests they answer. */
	web_check_stop(w);
	if (w->http != NULL)
		evhttp_free(w->http);
	w->http = NULL;
	for (i = 0; i < c->nadopt; i++)
		bufferevent_decref(c->adopt[i]);
	c->nadopt = 0;
	free(c->adopt);
	c->adopt = NULL;
	if (c->adopt_ev != NULL)
		event_free(c->adopt_ev);
	if (c->retry != NULL)
		event_free(c->retry);
	c->adopt_ev = c->retry = NULL;
}
