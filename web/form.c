/*
 * form.c -- see form.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "form.h"
#include "xmalloc.h"

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
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		    name[i] == '-')) {
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
/* A flat JSON object. */

struct jp {
	const char	*p, *end;
};

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
jp_hex4(struct jp *j, uint32_t *v)
{
	int	 i, h;

	if (j->end - j->p < 4)
		return -1;
	for (*v = 0, i = 0; i < 4; i++) {
		if ((h = hexval(j->p[i])) < 0)
			return -1;
		*v = *v << 4 | (uint32_t)h;
	}
	j->p += 4;
	return 0;
}

static size_t
utf8_put(char *d, uint32_t c)
{
	if (c < 0x80) {
		d[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (char)(0xc0 | c >> 6);
		d[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (char)(0xe0 | c >> 12);
		d[1] = (char)(0x80 | (c >> 6 & 0x3f));
		d[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | c >> 18);
	d[1] = (char)(0x80 | (c >> 12 & 0x3f));
	d[2] = (char)(0x80 | (c >> 6 & 0x3f));
	d[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* A string at j->p (which is '"'); the decoded text is new. */
static char *
jp_string(struct jp *j, size_t *outlen)
{
	const char	*start = j->p;
	char		*d;
	size_t		 o = 0;
	uint32_t	 c, lo;

	j->p++;
	/* Decoded text is never longer than its JSON form. */
	d = xmalloc((size_t)(j->end - start) + 1);
	for (;;) {
		if (j->p >= j->end)
			goto bad;
		c = (unsigned char)*j->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			d[o++] = (char)c;
			continue;
		}
		if (j->p >= j->end)
			goto bad;
		switch (*j->p++) {
		case '"':
			d[o++] = '"';
			break;
		case '\\':
			d[o++] = '\\';
			break;
		case '/':
			d[o++] = '/';
			break;
		case 'b':
			d[o++] = '\b';
			break;
		case 'f':
			d[o++] = '\f';
			break;
		case 'n':
			d[o++] = '\n';
			break;
		case 'r':
			d[o++] = '\r';
			break;
		case 't':
			d[o++] = '\t';
			break;
		case 'u':
			if (jp_hex4(j, &c) == -1)
				goto bad;
			if (c >= 0xdc00 && c <= 0xdfff)
				goto bad;
			if (c >= 0xd800 && c <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' ||
				    j->p[1] != 'u')
					goto bad;
				j->p += 2;
				if (jp_hex4(j, &lo) == -1 || lo < 0xdc00 ||
				    lo > 0xdfff)
					goto bad;
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			o += utf8_put(d + o, c);
			break;
		default:
			goto bad;
		}
	}
	d[o] = '\0';
	*outlen = o;
	return d;
 bad:
	free(d);
	return NULL;
}

static char *
jp_scalar(struct jp *j, size_t *outlen, int *isnull)
{
	const char	*s = j->p;
	static const char *const words[] = { "true", "false", "null", NULL };
	size_t		 n;
	int		 i;

	*isnull = 0;
	if (j->p < j->end && *j->p == '"')
		return jp_string(j, outlen);
	for (i = 0; words[i]; i++) {
		n = strlen(words[i]);
		if ((size_t)(j->end - j->p) >= n &&
		    memcmp(j->p, words[i], n) == 0) {
			j->p += n;
			*isnull = i == 2;
			*outlen = n;
			return xstrndup(words[i], n);
		}
	}
	/* A number: -?digits(.digits)?([eE][+-]?digits)? */
	if (j->p < j->end && *j->p == '-')
		j->p++;
	n = 0;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++, n++;
	if (n == 0)
		return NULL;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		for (n = 0; j->p < j->end && *j->p >= '0' && *j->p <= '9'; n++)
			j->p++;
		if (n == 0)
			return NULL;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		for (n = 0; j->p < j->end && *j->p >= '0' && *j->p <= '9'; n++)
			j->p++;
		if (n == 0)
			return NULL;
	}
	*outlen = (size_t)(j->p - s);
	return xstrndup(s, *outlen);
}

int
form_parse_json(struct form *f, const char *s, size_t len, char *err,
    size_t errlen)
{
	struct jp	 j = { s, s + len };
	char		*name, *value;
	size_t		 nlen, vlen;
	int		 isnull;

	memset(f, 0, sizeof(*f));
	jp_ws(&j);
	if (j.p >= j.end || *j.p++ != '{')
		goto syntax;
	jp_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto done;
	}
	for (;;) {
		jp_ws(&j);
		if (j.p >= j.end || *j.p != '"' ||
		    (name = jp_string(&j, &nlen)) == NULL)
			goto syntax;
		jp_ws(&j);
		if (j.p >= j.end || *j.p++ != ':') {
			free(name);
			goto syntax;
		}
		jp_ws(&j);
		if (j.p < j.end && (*j.p == '{' || *j.p == '[')) {
			free(name);
			snprintf(err, errlen, "nested objects and arrays are not "
			    "accepted: give strings and numbers");
			form_clear(f);
			return -1;
		}
		if ((value = jp_scalar(&j, &vlen, &isnull)) == NULL) {
			free(name);
			goto syntax;
		}
		if (isnull) {
			free(name);
			free(value);
		} else if (form_add(f, name, nlen, value, vlen, err,
		    errlen) == -1) {
			form_clear(f);
			return -1;
		}
		jp_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		goto syntax;
	}
 done:
	jp_ws(&j);
	if (j.p == j.end)
		return 0;
 syntax:
	snprintf(err, errlen, "the body is not a JSON object (at byte %zu)",
	    (size_t)(j.p - s));
	form_clear(f);
	return -1;
}
