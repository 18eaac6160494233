/*
 * metrics.c -- Prometheus text exposition and its /metrics listener
 * (metrics.h).  Format: https://prometheus.io/docs/instrumenting/
 * exposition_formats/ (text format 0.0.4).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "metrics.h"
#include "net.h"

struct metrics_server {
	struct evhttp	*http;
	void		(*collect)(struct metrics_buf *, void *);
	void		*arg;
	uint64_t	 scrapes;
};

static void
buf_add(struct metrics_buf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_str(struct metrics_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* HELP text escapes backslash and newline; label values also '"'. */
static void
buf_escaped(struct metrics_buf *b, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_str(b, "\\\\");
		else if (*s == '\n')
			buf_str(b, "\\n");
		else if (*s == '"' && quote)
			buf_str(b, "\\\"");
		else
			buf_add(b, s, 1);
	}
}

void
metrics_family(struct metrics_buf *b, const char *name, const char *type,
    const char *help)
{
	buf_str(b, "# HELP ");
	buf_str(b, name);
	buf_str(b, " ");
	buf_escaped(b, help, 0);
	buf_str(b, "\n# TYPE ");
	buf_str(b, name);
	buf_str(b, " ");
	buf_str(b, type);
	buf_str(b, "\n");
}

static void
sample_head(struct metrics_buf *b, const char *name,
    const char *const *labels)
{
	int	 i;

	buf_str(b, name);
	if (labels == NULL || labels[0] == NULL)
		return;
	buf_str(b, "{");
	for (i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
		if (i > 0)
			buf_str(b, ",");
		buf_str(b, labels[i]);
		buf_str(b, "=\"");
		buf_escaped(b, labels[i + 1], 1);
		buf_str(b, "\"");
	}
	buf_str(b, "}");
}

void
metrics_u64(struct metrics_buf *b, const char *name, uint64_t v,
    const char *const *labels)
{
	char	 num[32];

	sample_head(b, name, labels);
	snprintf(num, sizeof(num), " %" PRIu64 "\n", v);
	buf_str(b, num);
}

void
metrics_double(struct metrics_buf *b, const char *name, double v,
    const char *const *labels)
{
	char	 num[64];

	sample_head(b, name, labels);
	if (isnan(v))
		snprintf(num, sizeof(num), " NaN\n");
	else if (isinf(v))
		snprintf(num, sizeof(num), " %sInf\n", v < 0 ? "-" : "+");
	else
		snprintf(num, sizeof(num), " %.17g\n", v);
	buf_str(b, num);
}

void
metrics_one(struct metrics_buf *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_family(b, name, type, help);
	metrics_u64(b, name, v, NULL);
}

void
metrics_by_label(struct metrics_buf *b, const char *name, const char *help,
    const char *label, const char *const *values, const uint64_t *v, int n)
{
	const char	*lv[3];
	int		 i;

	metrics_family(b, name, "counter", help);
	lv[0] = label;
	lv[2] = NULL;
	for (i = 0; i < n; i++) {
		lv[1] = values[i];
		metrics_u64(b, name, v[i], lv);
	}
}

void
metrics_buf_free(struct metrics_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_server	*ms = arg;
	struct metrics_buf	 b;
	struct evbuffer		*out;
	const char		*path;

	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics here");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		/* RFC 9110 15.5.6: a 405 lists the methods allowed
		 * (evhttp_send_error would drop the header). */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
		return;
	}
	memset(&b, 0, sizeof(b));
	ms->scrapes++;
	ms->collect(&b, ms->arg);
	if (b.failed || (out = evbuffer_new()) == NULL) {
		metrics_buf_free(&b);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	/* evhttp sends the body of a reply to HEAD too: not ours. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET)
		evbuffer_add(out, b.s != NULL ? b.s : "", b.len);
	metrics_buf_free(&b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

struct metrics_server *
metrics_server_new(struct event_base *base, const struct conf_listen *ls,
    int n, void (*collect)(struct metrics_buf *, void *), void *arg,
    char *err, size_t errlen)
{
	struct metrics_server	*ms;
	struct sockaddr_storage	 ss;
	struct evconnlistener	*l;
	socklen_t		 sslen;
	int			 i;

	if ((ms = calloc(1, sizeof(*ms))) == NULL ||
	    (ms->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		free(ms);
		return NULL;
	}
	ms->collect = collect;
	ms->arg = arg;
	/* Every method reaches metrics_cb, which answers 405 with Allow. */
	evhttp_set_allowed_methods(ms->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(ms->http, 8192);
	evhttp_set_max_body_size(ms->http, 0);
	evhttp_set_timeout(ms->http, 10);
	evhttp_set_gencb(ms->http, metrics_cb, ms);
	for (i = 0; i < n; i++) {
		if (net_sockaddr(ls[i].host, ls[i].port, &ss, &sslen) == -1) {
			snprintf(err, errlen, "metrics listen %s: not a "
			    "numeric address", ls[i].host);
			goto fail;
		}
		l = evconnlistener_new_bind(base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
		    LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&ss, sslen);
		if (l == NULL) {
			snprintf(err, errlen, "metrics listen %s port %u: %s",
			    ls[i].host, ls[i].port, strerror(errno));
			goto fail;
		}
		if (evhttp_bind_listener(ms->http, l) == NULL) {
			evconnlistener_free(l);
			snprintf(err, errlen, "metrics listen %s port %u: "
			    "cannot serve HTTP", ls[i].host, ls[i].port);
			goto fail;
		}
	}
	return ms;
fail:
	metrics_server_free(ms);
	return NULL;
}

void
metrics_server_free(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	evhttp_free(ms->http);
	free(ms);
}

uint64_t
metrics_server_scrapes(const struct metrics_server *ms)
{
	return ms->scrapes;
}
