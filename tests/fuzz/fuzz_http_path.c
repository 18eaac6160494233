/*
 * fuzz_http_path.c -- libFuzzer target for the request target of an HTTP
 * request as orbl-web sees it: the input (up to a NUL) is the URI of the
 * request line, parsed as evhttp parses it (evhttp_uri_parse_with_flags,
 * EVHTTP_URI_NONCONFORMANT, libevent 2.1), then the path defaulted as
 * request_cb does (route_path), the route found for it (route.c) and the
 * query string decoded by form_parse_urlencoded.  Checked: the path and
 * query are strings of the input's bytes; a route found is the path
 * exactly (or its prefix and an ID of 1 to 15 digits without a leading
 * zero, which prints back as the path), takes exactly one of GET and
 * POST, and is the API's exactly when the path is under /api/; the
 * decoded parameters within form.h's bounds; and both deterministic.
 * Linked with web/route.c and web/form.c (the replay binaries: libweb.a).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "form.h"
#include "route.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_form(const struct form *f)
{
	int	 i;

	if (f->n < 0 || f->n > FORM_FIELDS_MAX)
		abort();
	for (i = 0; i < f->n; i++)
		if (strlen(f->name[i]) > FORM_NAME_MAX || f->name[i][0] == '\0' ||
		    strlen(f->value[i]) > FORM_VALUE_MAX ||
		    form_get(f, f->name[i]) != f->value[i])
			abort();
}

static void
check_route(const char *path)
{
	const struct route	*rt, *rt2;
	char			 buf[64];
	int64_t			 id, id2;
	int			 api;

	rt = route_find(path, &id);
	rt2 = route_find(path, &id2);
	if (rt != rt2 || id != id2)
		abort();
	api = strncmp(path, "/api/", 5) == 0;
	if (route_is_api(path) != api)
		abort();
	if (rt == NULL) {
		if (id != 0)
			abort();
		return;
	}
	if (rt->id < 0 || rt->id >= ROUTE_COUNT ||
	    route_is_api(rt->path) != api ||
	    route_allows(rt, ROUTE_GET) == route_allows(rt, ROUTE_POST) ||
	    route_allows(rt, 0) || (rt->form != NULL && rt->admin))
		abort();
	if (!rt->with_id) {
		if (id != 0 || strcmp(path, rt->path) != 0)
			abort();
		return;
	}
	if (id < 1 || id > 999999999999999LL)
		abort();
	snprintf(buf, sizeof(buf), "%s%lld", rt->path, (long long)id);
	if (strcmp(buf, path) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evhttp_uri	*u;
	struct form		 f, g;
	const char		*path, *q;
	char			*s, err[256], err2[256];
	int			 rc;

	if (size > 8 * 1024)	/* WEB_HEADERS_MAX bounds the line */
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((u = evhttp_uri_parse_with_flags(s, EVHTTP_URI_NONCONFORMANT)) ==
	    NULL) {
		free(s);
		return 0;
	}
	path = route_path(evhttp_uri_get_path(u));
	if (strlen(path) > size + 1 || strchr(path, '?') != NULL)
		abort();
	check_route(path);
	if ((q = evhttp_uri_get_query(u)) != NULL) {
		if (strlen(q) >= size)
			abort();
		rc = form_parse_urlencoded(&f, q, strlen(q), err, sizeof(err));
		if (rc == 0)
			check_form(&f);
		else if (rc != -1 || f.n != 0 || err[0] == '\0')
			abort();
		/* The same again: same answer, same error. */
		if (form_parse_urlencoded(&g, q, strlen(q), err2,
		    sizeof(err2)) != rc || f.n != g.n ||
		    (rc == -1 && strcmp(err, err2) != 0))
			abort();
		form_clear(&f);
		form_clear(&g);
	}
	evhttp_uri_free(u);
	free(s);
	return 0;
}
