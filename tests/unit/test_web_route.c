/*
 * test_web_route.c -- unit tests for web/route.c: every route and the
 * methods it takes, the IDs in a path (bounds, leading zeros, what may
 * follow), paths that name no route ("//", "%2e%2e", a trailing slash,
 * other case, very long ones), the default path, which paths are the
 * API's, and URLs under web_base_url.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "route.h"

/* The route of path: its id, or -1 for none; *id the ID. */
static int
find(const char *path, int64_t *id)
{
	const struct route	*rt;

	*id = -1;
	rt = route_find(path, id);
	if (rt == NULL) {
		assert_int_equal(*id, 0);
		return -1;
	}
	return (int)rt->id;
}

static const struct {
	const char	*path;
	enum route_id	 id;
	int		 methods;
	const char	*form;
	int		 admin;
} every[] = {
	{ "/", ROUTE_INDEX, ROUTE_GET, NULL, 0 },
	{ "/lookup", ROUTE_LOOKUP, ROUTE_GET, NULL, 0 },
	{ "/submit", ROUTE_SUBMIT, ROUTE_POST, "submit", 0 },
	{ "/submission/1", ROUTE_SUBMISSION, ROUTE_GET, NULL, 0 },
	{ "/delist", ROUTE_DELIST, ROUTE_POST, "delist", 0 },
	{ "/request/1", ROUTE_REQUEST, ROUTE_GET, NULL, 0 },
	{ "/api/v1/status", ROUTE_API_STATUS, ROUTE_GET, NULL, 0 },
	{ "/api/v1/lookup", ROUTE_API_LOOKUP, ROUTE_GET, NULL, 0 },
	{ "/api/v1/submissions", ROUTE_API_SUBMIT, ROUTE_POST, "submit", 0 },
	{ "/api/v1/submissions/1", ROUTE_API_SUBMISSION, ROUTE_GET, NULL, 0 },
	{ "/api/v1/delist-requests", ROUTE_API_DELIST, ROUTE_POST, "delist",
	    0 },
	{ "/api/v1/delist-requests/1", ROUTE_API_REQUEST, ROUTE_GET, NULL,
	    0 },
	{ "/api/v1/admin/remove", ROUTE_API_ADMIN_REMOVE, ROUTE_POST, NULL,
	    1 },
	{ "/check", ROUTE_CHECK, ROUTE_GET, NULL, 0 },
	{ "/api/v1/check", ROUTE_API_CHECK, ROUTE_GET, NULL, 0 },
};
#define NEVERY	(sizeof(every) / sizeof(every[0]))

static void
test_every_route(void **state)
{
	const struct route	*rt;
	int64_t			 id;
	size_t			 i;
	int			 seen[ROUTE_COUNT] = { 0 };

	(void)state;
	assert_int_equal(NEVERY, ROUTE_COUNT);
	for (i = 0; i < NEVERY; i++) {
		rt = route_find(every[i].path, &id);
		assert_non_null(rt);
		assert_int_equal(rt->id, every[i].id);
		assert_int_equal(rt->methods, every[i].methods);
		assert_int_equal(id, rt->with_id ? 1 : 0);
		if (every[i].form == NULL)
			assert_null(rt->form);
		else
			assert_string_equal(rt->form, every[i].form);
		assert_int_equal(rt->admin, every[i].admin);
		assert_int_equal(route_is_api(every[i].path),
		    strncmp(every[i].path, "/api/", 5) == 0);
		seen[rt->id]++;
	}
	for (i = 0; i < ROUTE_COUNT; i++)
		assert_int_equal(seen[i], 1);
}

static void
test_methods(void **state)
{
	const struct route	*rt;
	int64_t			 id;
	size_t			 i;
	int			 get;

	(void)state;
	for (i = 0; i < NEVERY; i++) {
		rt = route_find(every[i].path, &id);
		assert_non_null(rt);
		get = every[i].methods == ROUTE_GET;
		assert_int_equal(route_allows(rt, ROUTE_GET), get);
		assert_int_equal(route_allows(rt, ROUTE_POST), !get);
		/* PUT, DELETE, OPTIONS, ...: never. */
		assert_false(route_allows(rt, 0));
		assert_false(route_allows(rt, ROUTE_GET | ROUTE_POST));
		assert_false(route_allows(rt, 0x80));
		assert_string_equal(route_allow_header(rt), get ? "GET, HEAD" :
		    "POST");
		assert_string_equal(route_method_name(rt), get ? "GET" :
		    "POST");
	}
}

static void
test_ids(void **state)
{
	int64_t	 id;

	(void)state;
	assert_int_equal(find("/submission/42", &id), ROUTE_SUBMISSION);
	assert_int_equal(id, 42);
	assert_int_equal(find("/request/9", &id), ROUTE_REQUEST);
	assert_int_equal(id, 9);
	assert_int_equal(find("/api/v1/delist-requests/1234567", &id),
	    ROUTE_API_REQUEST);
	assert_int_equal(id, 1234567);
	/* 15 digits at most. */
	assert_int_equal(find("/submission/999999999999999", &id),
	    ROUTE_SUBMISSION);
	assert_int_equal(id, 999999999999999LL);
	assert_int_equal(find("/api/v1/submissions/100000000000000", &id),
	    ROUTE_API_SUBMISSION);
	assert_int_equal(id, 100000000000000LL);
	assert_int_equal(find("/submission/1000000000000000", &id), -1);
	assert_int_equal(find("/submission/99999999999999999999999", &id),
	    -1);
	/* No ID, zero, leading zeros, signs, other characters. */
	assert_int_equal(find("/submission/", &id), -1);
	assert_int_equal(find("/submission", &id), -1);
	assert_int_equal(find("/submission/0", &id), -1);
	assert_int_equal(find("/submission/01", &id), -1);
	assert_int_equal(find("/submission/-1", &id), -1);
	assert_int_equal(find("/submission/+1", &id), -1);
	assert_int_equal(find("/submission/ 1", &id), -1);
	assert_int_equal(find("/submission/1x", &id), -1);
	assert_int_equal(find("/submission/1/", &id), -1);
	assert_int_equal(find("/submission/1.0", &id), -1);
	assert_int_equal(find("/submission/0x1f", &id), -1);
	assert_int_equal(find("/submission/%31", &id), -1);
	assert_int_equal(find("/request/1?x", &id), -1);
	/* The API's list routes take no ID, its ID routes need one. */
	assert_int_equal(find("/api/v1/submissions/", &id), -1);
	assert_int_equal(find("/api/v1/delist-requests/", &id), -1);
	assert_int_equal(find("/api/v1/status/1", &id), -1);
	assert_int_equal(find("/lookup/1", &id), -1);
}

static void
test_odd_paths(void **state)
{
	static const char *const none[] = {
		"", "//", "///", "/./", "/..", "/../lookup", "/%2e%2e",
		"/%2e%2e/lookup", "/%2E%2E/api/v1/status", "/lookup/",
		"/lookup//", "//lookup", "/LOOKUP", "/Lookup", "/lookup%00",
		"/%6cookup", "/lookup;x", "/lookup.html", "/api", "/api/",
		"/api/v1", "/api/v1/", "/api/v2/status", "/api/v1//status",
		"/api/v1/status/", "/API/v1/status", "/api/v1/admin",
		"/api/v1/admin/remove/", "/api/v1/admin/remove/1", "/index",
		"/index.html", "submit", "lookup", "*", "/\xc3\xa9",
		"/submit\n", " /",
	};
	char	*big;
	int64_t	 id;
	size_t	 i, n = 100000;

	(void)state;
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (find(none[i], &id) != -1)
			fail_msg("a route for \"%s\"", none[i]);
	/* Very long: a prefix and many digits, or just length. */
	big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, "/submission/", 12);
	memset(big + 12, '7', n - 12);
	big[n] = '\0';
	assert_int_equal(find(big, &id), -1);
	memset(big, '/', n);
	assert_int_equal(find(big, &id), -1);
	memcpy(big, "/lookup", 7);
	memset(big + 7, 'x', n - 7);
	assert_int_equal(find(big, &id), -1);
	free(big);
}

static void
test_path_and_api(void **state)
{
	(void)state;
	assert_string_equal(route_path(NULL), "/");
	assert_string_equal(route_path(""), "/");
	assert_string_equal(route_path("/lookup"), "/lookup");
	assert_string_equal(route_path("//"), "//");
	assert_true(route_is_api("/api/"));
	assert_true(route_is_api("/api/v1/nothing"));
	assert_false(route_is_api("/api"));
	assert_false(route_is_api("/API/v1/status"));
	assert_false(route_is_api("/"));
	assert_false(route_is_api("//api/v1/status"));
}

static void
test_url(void **state)
{
	char	 buf[64], small[8];

	(void)state;
	assert_string_equal(route_url("", "/lookup?ip=1", buf, sizeof(buf)),
	    "/lookup?ip=1");
	assert_string_equal(route_url("https://orbl.example", "/x", buf,
	    sizeof(buf)), "https://orbl.example/x");
	assert_string_equal(route_url("https://orbl.example///", "/x", buf,
	    sizeof(buf)), "https://orbl.example/x");
	assert_string_equal(route_url("https://o.example/orbl/", "/", buf,
	    sizeof(buf)), "https://o.example/orbl/");
	/* Cut to the buffer, always a string. */
	assert_string_equal(route_url("https://orbl.example", "/x", small,
	    sizeof(small)), "https:/");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_odd_paths),
		cmocka_unit_test(test_path_and_api),
		cmocka_unit_test(test_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
