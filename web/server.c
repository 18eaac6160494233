/*
 * server.c -- orbl-web's HTTP server on libevent's evhttp: the listeners
 * and their limits, the route table, and for every request the checks
 * that come before any page or API handler runs: method, parameters,
 * body size, rate limit, form token or content type, admin token.  Also
 * the output helpers and the database connection (opened on demand,
 * reopened after a failure, never fatal: 503 until it works again).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "db.h"
#include "esc.h"
#include "guard.h"
#include "log.h"
#include "web.h"
#include "xmalloc.h"

#define M_GET	0x1
#define M_POST	0x2

static const struct route {
	const char	*path;
	int		 with_id;	/* path is a prefix, a number follows */
	int		 methods;
	const char	*form;		/* POST: the form token's name */
	int		 admin;		/* bearer token instead of a form */
	void		(*fn)(struct wreq *);
} routes[] = {
	{ "/", 0, M_GET, NULL, 0, page_index },
	{ "/lookup", 0, M_GET, NULL, 0, page_lookup },
	{ "/submit", 0, M_POST, "submit", 0, page_submit },
	{ "/submission/", 1, M_GET, NULL, 0, page_submission },
	{ "/delist", 0, M_POST, "delist", 0, page_delist },
	{ "/request/", 1, M_GET, NULL, 0, page_request },
	{ "/api/v1/status", 0, M_GET, NULL, 0, api_status },
	{ "/api/v1/lookup", 0, M_GET, NULL, 0, api_lookup },
	{ "/api/v1/submissions", 0, M_POST, "submit", 0, api_submit },
	{ "/api/v1/submissions/", 1, M_GET, NULL, 0, api_submission },
	{ "/api/v1/delist-requests", 0, M_POST, "delist", 0, api_delist },
	{ "/api/v1/delist-requests/", 1, M_GET, NULL, 0, api_request },
	{ "/api/v1/admin/remove", 0, M_POST, NULL, 1, api_admin_remove },
	{ NULL, 0, 0, NULL, 0, NULL }
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
out_json(struct wreq *r, const char *s)
{
	esc_json_put(s, put_evbuffer, r->out);
}

void
out_json_int(struct wreq *r, int64_t v)
{
	if (v == 0)
		out_raw(r, "null");
	else
		out_printf(r, "%lld", (long long)v);
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
	if (code < 300)
		w->st.s2xx++;
	else if (code < 400)
		w->st.s3xx++;
	else if (code < 500)
		w->st.s4xx++;
	else
		w->st.s5xx++;
	log_debug("%s %s %s -> %d", r->client, r->method == EVHTTP_REQ_POST ?
	    "POST" : "GET", r->path, code);
	evhttp_send_reply(r->req, code, NULL, r->out);
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
	out_raw(r, "{\"error\":");
	out_json(r, msg);
	out_printf(r, ",\"status\":%d}\n", code);
	web_send(r, code, "application/json");
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
	const char	*base = w->conf.web_base_url;
	size_t		 n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s%s", (int)n, base, path);
	return buf;
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

char *
web_time(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
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

	w->st.dberrors++;
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
/* The client. */

static int
trusted_proxy(const struct web *w, const struct addr *a)
{
	int	 i;

	for (i = 0; i < w->nproxies; i++)
		if (addr_contains(&w->proxies[i], a))
			return 1;
	return 0;
}

/*
 * The peer, or, when the peer is a trusted proxy, the rightmost address
 * of X-Forwarded-For that is not one (what a proxy appended; whatever a
 * client wrote further left is not believed).
 */
static int
client_addr(struct wreq *r)
{
	const struct sockaddr	*sa;
	const char		*xff;
	char			 host[INET6_ADDRSTRLEN], err[128], item[80];
	struct addr		 a, x;
	const char		*end, *start;
	size_t			 n;

	sa = evhttp_connection_get_addr(evhttp_request_get_connection(r->req));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, host, sizeof(host));
	else
		return -1;
	if (addr_parse(host, &a, err, sizeof(err)) == -1)
		return -1;
	xff = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "X-Forwarded-For");
	if (xff != NULL && trusted_proxy(r->w, &a)) {
		end = xff + strlen(xff);
		while (end > xff) {
			for (start = end; start > xff && start[-1] != ',';
			    start--)
				;
			n = (size_t)(end - start);
			end = start > xff ? start - 1 : xff;
			while (n > 0 && isspace((unsigned char)*start))
				start++, n--;
			while (n > 0 && isspace((unsigned char)start[n - 1]))
				n--;
			if (n == 0 || n >= sizeof(item))
				break;
			memcpy(item, start, n);
			item[n] = '\0';
			if (addr_parse(item, &x, err, sizeof(err)) == -1 ||
			    !addr_is_single(&x))
				break;
			a = x;
			if (!trusted_proxy(r->w, &a))
				break;
		}
	}
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
/* Dispatch. */

static const struct route *
route_find(const char *path, int64_t *id)
{
	const struct route	*rt;
	const char		*p;
	size_t			 n;

	*id = 0;
	for (rt = routes; rt->path; rt++) {
		n = strlen(rt->path);
		if (!rt->with_id) {
			if (strcmp(path, rt->path) == 0)
				return rt;
			continue;
		}
		if (strncmp(path, rt->path, n) != 0)
			continue;
		p = path + n;
		if (*p < '1' || *p > '9' || strlen(p) > 15)
			continue;
		for (*id = 0; *p >= '0' && *p <= '9'; p++)
			*id = *id * 10 + (*p - '0');
		if (*p == '\0')
			return rt;
		*id = 0;
	}
	return NULL;
}

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
		if (form_parse_json(&r->body, data, len, err,
		    sizeof(err)) == -1) {
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
	int			 cmd;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.req = req;
	r.now = time(NULL);
	r.out = evbuffer_new();
	w->st.requests++;
	cmd = evhttp_request_get_command(req);
	r.method = cmd == EVHTTP_REQ_POST ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
	uri = evhttp_request_get_evhttp_uri(req);
	r.path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (r.path == NULL || *r.path == '\0')
		r.path = "/";
	r.api = strncmp(r.path, "/api/", 5) == 0;
	if (r.out == NULL) {
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
	if (!((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) &&
	    (rt->methods & M_GET)) &&
	    !(cmd == EVHTTP_REQ_POST && (rt->methods & M_POST))) {
		web_header(&r, "Allow", rt->methods & M_GET ? "GET, HEAD" :
		    "POST");
		web_error(&r, 405, "method not allowed here: use %s",
		    rt->methods & M_GET ? "GET" : "POST");
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
	rt->fn(&r);
 done:
	if (!r.sent) {
		log_warnx("%s: no reply from the handler", r.path);
		web_error(&r, 500, "internal error");
	}
	form_clear(&r.query);
	form_clear(&r.body);
	evbuffer_free(r.out);
}

int
server_start(struct web *w, char *err, size_t errlen)
{
	int	 i;

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
	for (i = 0; i < w->conf.nweb_listen; i++) {
		if (evhttp_bind_socket_with_handle(w->http,
		    w->conf.web_listen[i].host,
		    w->conf.web_listen[i].port) == NULL) {
			snprintf(err, errlen, "cannot listen on %s port %u",
			    w->conf.web_listen[i].host,
			    w->conf.web_listen[i].port);
			return -1;
		}
		log_info("listening on http://%s%s%s:%u/",
		    strchr(w->conf.web_listen[i].host, ':') ? "[" : "",
		    w->conf.web_listen[i].host,
		    strchr(w->conf.web_listen[i].host, ':') ? "]" : "",
		    w->conf.web_listen[i].port);
	}
	return 0;
}

void
server_stop(struct web *w)
{
	if (w->http != NULL)
		evhttp_free(w->http);
	w->http = NULL;
}

void
server_log_stats(struct web *w, const char *why)
{
	log_info("stats (%s): requests %llu, 2xx %llu, 3xx %llu, 4xx %llu, "
	    "5xx %llu; rate-limited %llu, forbidden %llu, database errors "
	    "%llu; clients counted %zu; database %s", why,
	    (unsigned long long)w->st.requests,
	    (unsigned long long)w->st.s2xx, (unsigned long long)w->st.s3xx,
	    (unsigned long long)w->st.s4xx, (unsigned long long)w->st.s5xx,
	    (unsigned long long)w->st.limited,
	    (unsigned long long)w->st.forbidden,
	    (unsigned long long)w->st.dberrors, guard_clients(w->guard),
	    w->db ? "open" : "closed");
}
