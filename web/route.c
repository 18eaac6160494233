/*
 * route.c -- see route.h.
 */
#include <stdio.h>
#include <string.h>

#include "route.h"

static const struct route routes[] = {
	{ ROUTE_INDEX, "index", "/", 0, ROUTE_GET, NULL, 0 },
	{ ROUTE_LOOKUP, "lookup", "/lookup", 0, ROUTE_GET, NULL, 0 },
	{ ROUTE_SUBMIT, "submit", "/submit", 0, ROUTE_POST, "submit", 0 },
	{ ROUTE_SUBMISSION, "submission", "/submission/", 1, ROUTE_GET, NULL,
	    0 },
	{ ROUTE_DELIST, "delist", "/delist", 0, ROUTE_POST, "delist", 0 },
	{ ROUTE_REQUEST, "request", "/request/", 1, ROUTE_GET, NULL, 0 },
	{ ROUTE_API_STATUS, "api_status", "/api/v1/status", 0, ROUTE_GET,
	    NULL, 0 },
	{ ROUTE_API_LOOKUP, "api_lookup", "/api/v1/lookup", 0, ROUTE_GET,
	    NULL, 0 },
	{ ROUTE_API_SUBMIT, "api_submit", "/api/v1/submissions", 0,
	    ROUTE_POST, "submit", 0 },
	{ ROUTE_API_SUBMISSION, "api_submission", "/api/v1/submissions/", 1,
	    ROUTE_GET, NULL, 0 },
	{ ROUTE_API_DELIST, "api_delist", "/api/v1/delist-requests", 0,
	    ROUTE_POST, "delist", 0 },
	{ ROUTE_API_REQUEST, "api_request", "/api/v1/delist-requests/", 1,
	    ROUTE_GET, NULL, 0 },
	{ ROUTE_API_ADMIN_REMOVE, "api_admin_remove", "/api/v1/admin/remove",
	    0, ROUTE_POST, NULL, 1 },
	{ ROUTE_CHECK, "check", "/check", 0, ROUTE_GET, NULL, 0 },
	{ ROUTE_API_CHECK, "api_check", "/api/v1/check", 0, ROUTE_GET, NULL,
	    0 },
	{ ROUTE_COUNT, "none", NULL, 0, 0, NULL, 0 }
};

const char *
route_path(const char *path)
{
	return path == NULL || *path == '\0' ? "/" : path;
}

int
route_is_api(const char *path)
{
	return strncmp(path, "/api/", 5) == 0;
}

/* The ID that is all of p, or 0. */
static int64_t
route_id_of(const char *p)
{
	int64_t	 id;
	size_t	 i;

	if (*p < '1' || *p > '9')
		return 0;
	for (id = 0, i = 0; p[i] >= '0' && p[i] <= '9'; i++) {
		if (i == ROUTE_ID_DIGITS)
			return 0;
		id = id * 10 + (p[i] - '0');
	}
	return p[i] == '\0' ? id : 0;
}

const struct route *
route_find(const char *path, int64_t *id)
{
	const struct route	*rt;
	size_t			 n;

	*id = 0;
	for (rt = routes; rt->path != NULL; rt++) {
		if (!rt->with_id) {
			if (strcmp(path, rt->path) == 0)
				return rt;
			continue;
		}
		n = strlen(rt->path);
		if (strncmp(path, rt->path, n) == 0 &&
		    (*id = route_id_of(path + n)) != 0)
			return rt;
	}
	return NULL;
}

const char *
route_name(enum route_id id)
{
	const struct route	*rt;

	for (rt = routes; rt->path != NULL; rt++)
		if (rt->id == id)
			return rt->name;
	return "none";
}

int
route_allows(const struct route *rt, int method)
{
	return (method == ROUTE_GET || method == ROUTE_POST) &&
	    (rt->methods & method) != 0;
}

const char *
route_allow_header(const struct route *rt)
{
	return rt->methods & ROUTE_GET ? "GET, HEAD" : "POST";
}

const char *
route_method_name(const struct route *rt)
{
	return rt->methods & ROUTE_GET ? "GET" : "POST";
}

char *
route_url(const char *base, const char *path, char *buf, size_t len)
{
	size_t	 n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s%s", (int)n, base, path);
	return buf;
}
