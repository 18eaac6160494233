/*
 * form.h -- the parameters of an HTTP request: a query string or an
 * application/x-www-form-urlencoded body, or a flat JSON object body.
 *
 * Pure and bounded: at most FORM_FIELDS_MAX fields, names of at most
 * FORM_NAME_MAX characters from [a-z0-9_-], values of at most
 * FORM_VALUE_MAX bytes of valid UTF-8 without NUL or control characters
 * other than tab, CR and LF.  A name given twice is an error (no guessing
 * which one counts).  JSON (read by jansson): one object whose values are
 * strings, numbers (an integer as its decimal text, any other number as
 * text that is not an integer's: 25.0, 1e+20), true/false ("true"/
 * "false") or null (absent); nested objects and arrays are refused, and
 * so is a key given twice (even if one is null).  No logging; errors come
 * back as text for a 400 answer.
 */
#ifndef ORBL_WEB_FORM_H
#define ORBL_WEB_FORM_H

#include <stddef.h>

#define FORM_FIELDS_MAX	16
#define FORM_NAME_MAX	32
#define FORM_VALUE_MAX	4096

struct form {
	int	 n;
	char	*name[FORM_FIELDS_MAX];
	char	*value[FORM_FIELDS_MAX];
};

#define FORM_NOMEM	(-2)	/* out of memory: a 500, not the input */

/* Both return 0, or -1 with a reason in err (FORM_NOMEM: JSON only); f
 * is left empty on failure. */
int		 form_parse_urlencoded(struct form *, const char *s, size_t len,
		    char *err, size_t errlen);
int		 form_parse_json(struct form *, const char *s, size_t len,
		    char *err, size_t errlen);
/* The value of name, or NULL. */
const char	*form_get(const struct form *, const char *name);
/* Free the fields; f is empty (and reusable) afterwards. */
void		 form_clear(struct form *);

#endif
