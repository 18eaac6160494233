/*
 * form.c -- see form.h.  JSON bodies are read by jansson; what it
 * accepts then passes the same checks as a form's fields (form_add).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"
#include "form.h"
#include "xmalloc.h"

#define NAME_CHAR(c)	(((c) >= 'a' && (c) <= 'z') || \
			 ((c) >= '0' && (c) <= '9') || (c) == '_' || (c) == '-')

void
form_clear(struct form *f)
{
	int	 i;

	for (i = 0; i < f->n; i++) {
		free(f->name[i]);
		free(f->value[i]);
	}
	memset(f, 0, sizeof(*f));
}

const char *
form_get(const struct form *f, const char *name)
{
	int	 i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

/* Check a decoded field (nlen/vlen bytes, NULs counted) and keep it.
 * Takes ownership of name and value. */
static int
form_add(struct form *f, char *name, size_t nlen, char *value, size_t vlen,
    char *err, size_t errlen)
{
	const unsigned char	*p;
	size_t			 i, n;

	if (nlen == 0 || nlen > FORM_NAME_MAX || strlen(name) != nlen) {
		snprintf(err, errlen, "bad parameter name");
		goto bad;
	}
	for (i = 0; i < nlen; i++)
		if (!NAME_CHAR(name[i])) {
			snprintf(err, errlen, "bad parameter name");
			goto bad;
		}
	if (form_get(f, name) != NULL) {
		snprintf(err, errlen, "parameter '%s' given twice", name);
		goto bad;
	}
	if (vlen > FORM_VALUE_MAX) {
		snprintf(err, errlen, "parameter '%s' is too long (at most %d "
		    "bytes)", name, FORM_VALUE_MAX);
		goto bad;
	}
	if (strlen(value) != vlen) {
		snprintf(err, errlen, "parameter '%s' contains a NUL byte",
		    name);
		goto bad;
	}
	for (p = (const unsigned char *)value; *p; p += n) {
		if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') ||
		    *p == 0x7f) {
			snprintf(err, errlen, "parameter '%s' contains a "
			    "control character", name);
			goto bad;
		}
		if ((n = esc_utf8_len(p)) == 0) {
			snprintf(err, errlen, "parameter '%s' is not UTF-8",
			    name);
			goto bad;
		}
	}
	if (f->n == FORM_FIELDS_MAX) {
		snprintf(err, errlen, "too many parameters (at most %d)",
		    FORM_FIELDS_MAX);
		goto bad;
	}
	f->name[f->n] = name;
	f->value[f->n++] = value;
	return 0;
 bad:
	free(name);
	free(value);
	return -1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..len) ('+' is a space) into a new string; *outlen
 * gets the decoded length (NULs included).  NULL on a bad escape. */
static char *
urldecode(const char *s, size_t len, size_t *outlen)
{
	char	*d = xmalloc(len + 1);
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			d[o++] = ' ';
		else if (s[i] != '%')
			d[o++] = s[i];
		else {
			if (i + 2 >= len) {
				free(d);
				return NULL;
			}
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				free(d);
				return NULL;
			}
			d[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	d[o] = '\0';
	*outlen = o;
	return d;
}

int
form_parse_urlencoded(struct form *f, const char *s, size_t len, char *err,
    size_t errlen)
{
	const char	*end = s + len, *seg, *amp, *eq;
	char		*name, *value;
	size_t		 nlen, vlen;

	memset(f, 0, sizeof(*f));
	for (seg = s; seg < end; seg = amp + 1) {
		if ((amp = memchr(seg, '&', (size_t)(end - seg))) == NULL)
			amp = end;
		if (amp == seg)
			continue;
		if ((eq = memchr(seg, '=', (size_t)(amp - seg))) == NULL)
			eq = amp;
		name = urldecode(seg, (size_t)(eq - seg), &nlen);
		value = eq < amp ? urldecode(eq + 1, (size_t)(amp - eq - 1),
		    &vlen) : urldecode("", 0, &vlen);
		if (name == NULL || value == NULL) {
			free(name);
			free(value);
			snprintf(err, errlen, "bad %%-escape in the parameters");
			form_clear(f);
			return -1;
		}
		if (form_add(f, name, nlen, value, vlen, err, errlen) == -1) {
			form_clear(f);
			return -1;
		}
		if (amp == end)
			break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* A flat JSON object, read by jansson. */

/*
 * The name of the key jansson found twice: it stops just past the second
 * one's closing quote, at byte pos.  Inside a JSON string every '"' is
 * escaped, so the opening quote is the first one to the left that an
 * even number of backslashes precede.  A new string, or NULL.
 */
static char *
dup_key(const char *s, size_t len, size_t pos)
{
	json_error_t	 e;
	json_t		*k;
	char		*name = NULL;
	size_t		 i, bs;

	if (pos < 2 || pos > len || s[pos - 1] != '"')
		return NULL;
	for (i = pos - 1; i-- > 0;) {
		if (s[i] != '"')
			continue;
		for (bs = 0; bs < i && s[i - 1 - bs] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			break;
	}
	if (i == (size_t)-1)
		return NULL;
	k = json_loadb(s + i, pos - i, JSON_DECODE_ANY, &e);
	if (k != NULL && json_is_string(k))
		name = xstrndup(json_string_value(k), json_string_length(k));
	json_decref(k);
	return name;
}

/* Why jansson refused s, in the words of a 400 answer.  -1, or
 * FORM_NOMEM when it ran out of memory. */
static int
json_refused(const json_error_t *e, const char *s, size_t len, char *err,
    size_t errlen)
{
	char	*name;
	size_t	 pos = e->position > 0 ? (size_t)e->position : 0, i;

	switch (json_error_code(e)) {
	case json_error_out_of_memory:
		snprintf(err, errlen, "out of memory");
		return FORM_NOMEM;
	case json_error_stack_overflow:
		/* Deeper than jansson goes: nested all the same. */
		snprintf(err, errlen, "nested objects and arrays are not "
		    "accepted: give strings and numbers");
		return -1;
	case json_error_null_byte_in_key:
		snprintf(err, errlen, "bad parameter name");
		return -1;
	case json_error_duplicate_key:
		/* As form_add would say: a bad name first, then twice. */
		if ((name = dup_key(s, len, pos)) == NULL) {
			snprintf(err, errlen, "a parameter is given twice");
			return -1;
		}
		for (i = 0; name[i] != '\0'; i++)
			if (!NAME_CHAR(name[i]))
				break;
		if (i == 0 || i > FORM_NAME_MAX || name[i] != '\0')
			snprintf(err, errlen, "bad parameter name");
		else
			snprintf(err, errlen, "parameter '%s' given twice",
			    name);
		free(name);
		return -1;
	case json_error_invalid_utf8:
		snprintf(err, errlen, "the body is not UTF-8 (at byte %zu)",
		    pos);
		return -1;
	case json_error_numeric_overflow:
		snprintf(err, errlen, "a number in the body is out of range "
		    "(at byte %zu)", pos);
		return -1;
	default:
		snprintf(err, errlen, "the body is not a JSON object (at byte "
		    "%zu)", pos);
		return -1;
	}
}

int
form_parse_json(struct form *f, const char *s, size_t len, char *err,
    size_t errlen)
{
	json_error_t	 e;
	json_t		*root, *v;
	const char	*key;
	char		 text[64];
	size_t		 klen;
	int		 rc = -1;

	memset(f, 0, sizeof(*f));
	/* NULs inside strings get through, for form_add to name the
	 * parameter; every other limit is form_add's. */
	if ((root = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &e)) == NULL)
		return json_refused(&e, s, len, err, errlen);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the body is not a JSON object (at byte "
		    "0)");
		goto out;
	}
	json_object_keylen_foreach(root, key, klen, v) {
		switch (json_typeof(v)) {
		case JSON_OBJECT:
		case JSON_ARRAY:
			snprintf(err, errlen, "nested objects and arrays are "
			    "not accepted: give strings and numbers");
			goto out;
		case JSON_NULL:		/* absent */
			continue;
		case JSON_STRING:
			if (form_add(f, xstrndup(key, klen), klen,
			    xstrndup(json_string_value(v),
			    json_string_length(v)), json_string_length(v),
			    err, errlen) == -1)
				goto out;
			continue;
		case JSON_INTEGER:
			snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
			break;
		case JSON_REAL:
			/* Never the text of an integer: 25.0 is no port. */
			snprintf(text, sizeof(text), "%.15g", json_real_value(v));
			if (strpbrk(text, ".eEn") == NULL)
				orbl_strlcat(text, ".0", sizeof(text));
			break;
		case JSON_TRUE:
			snprintf(text, sizeof(text), "true");
			break;
		case JSON_FALSE:
			snprintf(text, sizeof(text), "false");
			break;
		}
		if (form_add(f, xstrndup(key, klen), klen, xstrdup(text),
		    strlen(text), err, errlen) == -1)
			goto out;
	}
	rc = 0;
 out:
	json_decref(root);
	if (rc == -1)
		form_clear(f);
	return rc;
}
