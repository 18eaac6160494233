/*
 * fuzz_http_path.c -- libFuzzer target for the request target of an HTTP
 * request as orbl-web sees it: the input (up to a NUL) is the URI of the
 * request line, parsed as evhttp parses it (evhttp_uri_parse_with_flags,
 * EVHTTP_URI_NONCONFORMANT, libevent 2.1), then the path defaulted as
 * request_cb does and the query string decoded by form_parse_urlencoded.
 * Checked: the path and query are strings of the input's bytes, the
 * decoded parameters within form.h's bounds, and the parse deterministic.
 * route_find() (server.c) is static; when it moves out of server.c this
 * target should run it on the path too.  The form parser comes in by
 * #include (the replay binaries do not link libweb.a).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "../../web/form.c"

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
	path = evhttp_uri_get_path(u);
	if (path == NULL || *path == '\0')
		path = "/";
	if (strlen(path) > size + 1 || strchr(path, '?') != NULL)
		abort();
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
