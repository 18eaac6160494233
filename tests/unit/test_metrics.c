/*
 * test_metrics.c -- unit tests for common/metrics.c: the Prometheus text
 * exposition builder (family lines, label escaping, integer and floating
 * point values, the out-of-memory flag) and the /metrics listener on a
 * real loopback socket (200 with the exposition content type, 404, 405,
 * HEAD, 500 when the collector ran out of memory, bind errors).
 *
 * The listener runs on the test's own event loop: a request is written on
 * a plain socket, then the loop runs until the server has closed the
 * connection (every answer here is "Connection: close"), bounded by a
 * loop exit after 10 s so that a broken server fails instead of hanging.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "conf.h"
#include "metrics.h"

/* ------------------------------------------------------------------ */
/* The builder. */

static void
test_family(void **state)
{
	struct metrics_buf	 b;

	(void)state;
	memset(&b, 0, sizeof(b));
	metrics_family(&b, "orbl_x_total", "counter", "Things counted");
	metrics_family(&b, "orbl_y", "gauge",
	    "a \\ backslash, a \"quote\" and a\nnewline");
	assert_false(b.failed);
	/* HELP escapes backslash and newline only (not the quote). */
	assert_string_equal(b.s,
	    "# HELP orbl_x_total Things counted\n"
	    "# TYPE orbl_x_total counter\n"
	    "# HELP orbl_y a \\\\ backslash, a \"quote\" and a\\nnewline\n"
	    "# TYPE orbl_y gauge\n");
	assert_int_equal(b.len, strlen(b.s));
	metrics_buf_free(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void
test_labels(void **state)
{
	struct metrics_buf	 b;

	(void)state;
	memset(&b, 0, sizeof(b));
	metrics_u64(&b, "m", 1, NULL);
	metrics_u64(&b, "m", 2, (const char *const[]){ NULL });
	metrics_u64(&b, "m", 3, (const char *const[]){ "k", "v", NULL });
	metrics_u64(&b, "m", 4, (const char *const[]){ "a", "x", "b", "",
	    "c", "z", NULL });
	/* Label values escape backslash, double quote and newline. */
	metrics_u64(&b, "m", 5, (const char *const[]){ "k",
	    "back\\slash \"quoted\"\nline 2", NULL });
	/* A key without a value is left out, not read past. */
	metrics_u64(&b, "m", 6, (const char *const[]){ "k", "v", "odd",
	    NULL });
	assert_false(b.failed);
	assert_string_equal(b.s,
	    "m 1\n"
	    "m 2\n"
	    "m{k=\"v\"} 3\n"
	    "m{a=\"x\",b=\"\",c=\"z\"} 4\n"
	    "m{k=\"back\\\\slash \\\"quoted\\\"\\nline 2\"} 5\n"
	    "m{k=\"v\"} 6\n");
	metrics_buf_free(&b);
}

static void
test_u64(void **state)
{
	struct metrics_buf	 b;

	(void)state;
	memset(&b, 0, sizeof(b));
	metrics_u64(&b, "a", 0, NULL);
	metrics_u64(&b, "b", 4294967296ULL, NULL);
	metrics_u64(&b, "c", UINT64_MAX, NULL);
	assert_string_equal(b.s, "a 0\nb 4294967296\n"
	    "c 18446744073709551615\n");
	metrics_buf_free(&b);
}

/* The value text of the one sample in b ("name value\n"). */
static const char *
value_of(const struct metrics_buf *b)
{
	const char	*sp = strchr(b->s, ' ');

	assert_non_null(sp);
	assert_int_equal(b->s[b->len - 1], '\n');
	return sp + 1;
}

static void
test_double(void **state)
{
	static const double	 exact[] = { 0, 0.5, -2.5, 1796599483,
				    1e-3, 123456.75, 1e300 };
	struct metrics_buf	 b;
	char			*end;
	size_t			 i;
	double			 v;

	(void)state;
	memset(&b, 0, sizeof(b));
	metrics_double(&b, "n", NAN, NULL);
	metrics_double(&b, "p", INFINITY, NULL);
	metrics_double(&b, "q", -INFINITY, (const char *const[]){ "k", "v",
	    NULL });
	metrics_double(&b, "h", 0.5, NULL);
	metrics_double(&b, "t", 1796599483.0, NULL);
	/* The exposition's spellings: NaN, +Inf, -Inf. */
	assert_string_equal(b.s, "n NaN\np +Inf\nq{k=\"v\"} -Inf\nh 0.5\n"
	    "t 1796599483\n");
	metrics_buf_free(&b);

	/* Any finite value reads back as the same double. */
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		memset(&b, 0, sizeof(b));
		metrics_double(&b, "x", exact[i], NULL);
		v = strtod(value_of(&b), &end);
		assert_int_equal(*end, '\n');
		assert_true(v == exact[i]);
		metrics_buf_free(&b);
	}
	memset(&b, 0, sizeof(b));
	metrics_double(&b, "x", 0.1, NULL);
	v = strtod(value_of(&b), &end);
	assert_true(v == 0.1);
	metrics_buf_free(&b);
}

/* Past the first 4096 bytes the buffer grows and stays one string. */
static void
test_growth(void **state)
{
	struct metrics_buf	 b;
	char			 line[64], *p;
	int			 i, n;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 2000; i++)
		metrics_u64(&b, "orbl_grow", (uint64_t)i,
		    (const char *const[]){ "k", "vvvvvvvvvv", NULL });
	assert_false(b.failed);
	assert_int_equal(b.len, strlen(b.s));
	assert_true(b.cap > b.len);
	for (i = 0, p = b.s; i < 2000; i++) {
		n = snprintf(line, sizeof(line),
		    "orbl_grow{k=\"vvvvvvvvvv\"} %d\n", i);
		assert_memory_equal(p, line, (size_t)n);
		p += n;
	}
	assert_ptr_equal(p, b.s + b.len);
	metrics_buf_free(&b);
}

/*
 * Out of memory: once failed is set (by a realloc that failed) nothing
 * more is written and the text so far is left as it was; the listener
 * then answers 500 (test_server_oom).
 */
static void
test_failed(void **state)
{
	struct metrics_buf	 b;

	(void)state;
	memset(&b, 0, sizeof(b));
	b.failed = 1;
	metrics_family(&b, "x", "gauge", "help");
	metrics_u64(&b, "x", 1, NULL);
	metrics_double(&b, "x", 1.5, NULL);
	assert_null(b.s);
	assert_int_equal(b.len, 0);

	memset(&b, 0, sizeof(b));
	metrics_u64(&b, "x", 1, NULL);
	b.failed = 1;
	metrics_u64(&b, "y", 2, (const char *const[]){ "k", "v", NULL });
	assert_string_equal(b.s, "x 1\n");
	assert_int_equal(b.len, 4);
	metrics_buf_free(&b);
	assert_int_equal(b.failed, 0);
}

/* ------------------------------------------------------------------ */
/* The listener. */

struct srv {
	struct event_base	*base;
	struct metrics_server	*ms;
	struct conf_listen	 ls[2];
	int			 calls;		/* collect ran */
	int			 oom;		/* collect fails */
};

/*
 * A port free on 127.0.0.1 now: bind port 0, read the port, close.  (The
 * listener is given a port number, not a socket.)
 */
static uint16_t
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;
	uint16_t		 port;

	assert_int_not_equal(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
collect(struct metrics_buf *b, void *arg)
{
	struct srv	*t = arg;

	t->calls++;
	metrics_family(b, "orbl_test_calls_total", "counter",
	    "Calls of the collector");
	metrics_u64(b, "orbl_test_calls_total", (uint64_t)t->calls, NULL);
	metrics_u64(b, "orbl_test_label", 1,
	    (const char *const[]){ "v", "a\"b", NULL });
	if (t->oom)
		b->failed = 1;
}

static int
srv_setup(void **state)
{
	struct srv	*t = calloc(1, sizeof(*t));
	char		 err[256];
	int		 i;

	if (t == NULL || (t->base = event_base_new()) == NULL)
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(t->ls[i].host, sizeof(t->ls[i].host), "127.0.0.1");
		t->ls[i].port = free_port();
	}
	if ((t->ms = metrics_server_new(t->base, t->ls, 2, collect, t, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "metrics_server_new: %s\n", err);
		return -1;
	}
	*state = t;
	return 0;
}

static int
srv_teardown(void **state)
{
	struct srv	*t = *state;

	metrics_server_free(t->ms);
	event_base_free(t->base);
	free(t);
	return 0;
}

/* A client connection: what it read so far, and whether EOF came. */
struct client {
	struct event_base	*base;
	int			 fd;
	char			 buf[65536];
	size_t			 len;
	int			 eof;
};

static void
client_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct client	*c = arg;
	ssize_t		 n;

	(void)ev;
	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if (c->len < sizeof(c->buf) - 1)
			return;
	} else if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	c->eof = 1;
	event_base_loopbreak(c->base);
}

/*
 * Send req to the listener on port, run the loop until the server closes
 * the connection; returns the status code, the response in c.
 */
static int
http(struct srv *t, uint16_t port, const char *req, struct client *c)
{
	struct sockaddr_in	 sin;
	struct event		*ev;
	struct timeval		 bound = { 10, 0 };
	int			 code;

	memset(c, 0, sizeof(*c));
	c->base = t->base;
	assert_int_not_equal(c->fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* The listen queue takes the connection before the loop runs. */
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	assert_int_equal(write(c->fd, req, strlen(req)),
	    (ssize_t)strlen(req));
	evutil_make_socket_nonblocking(c->fd);
	ev = event_new(t->base, c->fd, EV_READ | EV_PERSIST, client_read_cb,
	    c);
	assert_non_null(ev);
	event_add(ev, NULL);
	event_base_loopexit(t->base, &bound);
	event_base_dispatch(t->base);
	event_free(ev);
	close(c->fd);
	assert_true(c->eof);	/* not the 10 s bound */
	assert_true(c->len > 12);
	assert_memory_equal(c->buf, "HTTP/1.", 7);
	code = atoi(c->buf + 9);
	return code;
}

/* The value of header name in the response (case-insensitive name). */
static const char *
header(struct client *c, const char *name)
{
	static char	 v[256];
	char		*p, *eol;
	size_t		 n = strlen(name);

	for (p = strstr(c->buf, "\r\n"); p != NULL && p[2] != '\r';
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			eol = strstr(p + 2, "\r\n");
			assert_non_null(eol);
			snprintf(v, sizeof(v), "%.*s",
			    (int)(eol - (p + 3 + n)), p + 3 + n);
			return v[0] == ' ' ? v + 1 : v;
		}
	}
	return NULL;
}

static const char *
body(struct client *c)
{
	char	*p = strstr(c->buf, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

#define GET(path)	"GET " path " HTTP/1.1\r\nHost: x\r\n" \
			"Connection: close\r\n\r\n"

static void
test_server_get(void **state)
{
	struct srv	*t = *state;
	struct client	 c;
	const char	*ct;

	assert_int_equal(http(t, t->ls[0].port, GET("/metrics"), &c), 200);
	ct = header(&c, "Content-Type");
	assert_non_null(ct);
	assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(body(&c),
	    "# HELP orbl_test_calls_total Calls of the collector\n"
	    "# TYPE orbl_test_calls_total counter\n"
	    "orbl_test_calls_total 1\n"
	    "orbl_test_label{v=\"a\\\"b\"} 1\n");
	assert_int_equal(metrics_server_scrapes(t->ms), 1);

	/* Every address given is served; a query string is no matter. */
	assert_int_equal(http(t, t->ls[1].port, GET("/metrics?x=1"), &c),
	    200);
	assert_non_null(strstr(body(&c), "orbl_test_calls_total 2\n"));
	assert_int_equal(metrics_server_scrapes(t->ms), 2);
	assert_int_equal(t->calls, 2);
}

static void
test_server_head(void **state)
{
	struct srv	*t = *state;
	struct client	 c;

	assert_int_equal(http(t, t->ls[0].port,
	    "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    &c), 200);
	assert_string_equal(header(&c, "Content-Type"),
	    "text/plain; version=0.0.4; charset=utf-8");
	/* RFC 9110 9.3.2: no content in a reply to HEAD (on a kept-alive
	 * connection it would be read as the next reply). */
	assert_string_equal(body(&c), "");
}

static void
test_server_errors(void **state)
{
	struct srv	*t = *state;
	struct client	 c;

	assert_int_equal(http(t, t->ls[0].port, GET("/other"), &c), 404);
	assert_int_equal(http(t, t->ls[0].port, GET("/"), &c), 404);
	assert_int_equal(http(t, t->ls[0].port, GET("/metrics/x"), &c), 404);
	assert_int_equal(http(t, t->ls[0].port,
	    "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", &c), 405);
	/* RFC 9110 15.5.6: a 405 says which methods are allowed. */
	assert_non_null(header(&c, "Allow"));
	assert_string_equal(header(&c, "Allow"), "GET, HEAD");
	assert_int_equal(http(t, t->ls[0].port,
	    "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", &c), 404);
	/* None of these ran the collector. */
	assert_int_equal(t->calls, 0);
	assert_int_equal(metrics_server_scrapes(t->ms), 0);
}

static void
test_server_oom(void **state)
{
	struct srv	*t = *state;
	struct client	 c;

	t->oom = 1;
	assert_int_equal(http(t, t->ls[0].port, GET("/metrics"), &c), 500);
	assert_null(strstr(c.buf, "orbl_test_calls_total"));
	t->oom = 0;
	assert_int_equal(http(t, t->ls[0].port, GET("/metrics"), &c), 200);
	assert_non_null(strstr(body(&c), "orbl_test_calls_total 2\n"));
}

static void
test_server_bind_errors(void **state)
{
	struct event_base	*base;
	struct metrics_server	*ms;
	struct conf_listen	 ls;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 err[256];
	int			 fd, one = 1;

	(void)state;
	assert_non_null(base = event_base_new());
	memset(&ls, 0, sizeof(ls));
	snprintf(ls.host, sizeof(ls.host), "localhost");
	ls.port = 9100;
	err[0] = '\0';
	ms = metrics_server_new(base, &ls, 1, collect, NULL, err, sizeof(err));
	assert_null(ms);
	assert_string_equal(err, "metrics listen localhost: not a numeric "
	    "address");

	/* A port some other socket listens on. */
	assert_int_not_equal(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(ls.host, sizeof(ls.host), "127.0.0.1");
	ls.port = ntohs(sin.sin_port);
	ms = metrics_server_new(base, &ls, 1, collect, NULL, err, sizeof(err));
	assert_null(ms);
	assert_non_null(strstr(err, "metrics listen 127.0.0.1 port "));
	assert_non_null(strstr(err, strerror(EADDRINUSE)));
	close(fd);
	metrics_server_free(NULL);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_failed),
		cmocka_unit_test_setup_teardown(test_server_get, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_head, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_errors, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_server_oom, srv_setup,
		    srv_teardown),
		cmocka_unit_test(test_server_bind_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
