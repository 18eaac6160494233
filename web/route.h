/*
 * route.h -- orbl-web's routes: which page or API call a request path
 * names, the methods it takes, and what a POST there must carry (the
 * form token of which form, or the admin bearer token); and URLs to them
 * under web_base_url.
 *
 * Pure: no libevent, no I/O, no logging.  server.c maps a route's id to
 * its handler and answers 404 (no route) and 405 (a method the route does
 * not take) from what route_find and route_allows say.  The path is the
 * one evhttp gives, still percent-encoded: "/%6cookup" is no route, and
 * neither is "//" or "/lookup/".
 */
#ifndef ORBL_WEB_ROUTE_H
#define ORBL_WEB_ROUTE_H

#include <stddef.h>
#include <stdint.h>

enum route_id {
	ROUTE_INDEX,			/* GET / */
	ROUTE_LOOKUP,			/* GET /lookup */
	ROUTE_SUBMIT,			/* POST /submit */
	ROUTE_SUBMISSION,		/* GET /submission/ID */
	ROUTE_DELIST,			/* POST /delist */
	ROUTE_REQUEST,			/* GET /request/ID */
	ROUTE_API_STATUS,		/* GET /api/v1/status */
	ROUTE_API_LOOKUP,		/* GET /api/v1/lookup */
	ROUTE_API_SUBMIT,		/* POST /api/v1/submissions */
	ROUTE_API_SUBMISSION,		/* GET /api/v1/submissions/ID */
	ROUTE_API_DELIST,		/* POST /api/v1/delist-requests */
	ROUTE_API_REQUEST,		/* GET /api/v1/delist-requests/ID */
	ROUTE_API_ADMIN_REMOVE,		/* POST /api/v1/admin/remove */
	ROUTE_CHECK,			/* GET /check */
	ROUTE_API_CHECK,		/* GET /api/v1/check */
	ROUTE_COUNT
};

/* Methods, as a route takes them. */
#define ROUTE_GET	0x1		/* GET and HEAD */
#define ROUTE_POST	0x2

/* The longest ID a path may carry: 15 digits, no leading zero. */
#define ROUTE_ID_DIGITS	15

struct route {
	enum route_id	 id;
	const char	*name;		/* for the metrics: a label value */
	const char	*path;		/* with_id: the prefix */
	int		 with_id;	/* an ID follows the path */
	int		 methods;	/* ROUTE_GET, ROUTE_POST */
	const char	*form;		/* POST: the form token's name */
	int		 admin;		/* POST: the admin bearer token
					   instead of a form token */
};

/* The path a request is answered for: evhttp's, "/" when it has none. */
const char	*route_path(const char *path);
/* Under /api/: the answer, errors included, is JSON. */
int		 route_is_api(const char *path);
/*
 * The route of path, or NULL (404).  *id is the number after the prefix
 * of a route with an ID (1 to 15 digits, no leading zero, nothing after
 * it), else 0.
 */
const struct route *route_find(const char *path, int64_t *id);
/* The route's name ("lookup", "api_submit", ...); "none" for
 * ROUTE_COUNT, which counts the requests that matched no route. */
const char	*route_name(enum route_id);
/* Does the route take method (ROUTE_GET for GET and HEAD, ROUTE_POST;
 * anything else, 0 say, never)? */
int		 route_allows(const struct route *, int method);
/* For a 405: the Allow header ("GET, HEAD" or "POST") and the method
 * to name ("GET" or "POST"). */
const char	*route_allow_header(const struct route *);
const char	*route_method_name(const struct route *);
/* base (web_base_url, trailing slashes dropped) + path into buf. */
char		*route_url(const char *base, const char *path, char *buf,
		    size_t len);

#endif
