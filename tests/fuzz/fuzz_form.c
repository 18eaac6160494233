/*
 * fuzz_form.c -- libFuzzer target for orbl-web's request parameters: the
 * input is parsed as a query string / urlencoded body and as a JSON body.
 * Checked for whatever a parse accepts: the bounds form.h promises (field
 * count, name alphabet and length, value length, UTF-8 without NUL or
 * control characters), no name twice, and two round trips: the fields
 * percent-encoded parse back the same, and as a JSON object written with
 * esc_json (orbl-web's own escaper) too, which jansson reads back.
 * Linked with web/form.c (the replay binaries: libweb.a).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "form.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct form *f)
{
	const unsigned char	*p;
	size_t			 n;
	int			 i, j;

	if (f->n < 0 || f->n > FORM_FIELDS_MAX)
		abort();
	for (i = 0; i < f->n; i++) {
		n = strlen(f->name[i]);
		if (n == 0 || n > FORM_NAME_MAX ||
		    strspn(f->name[i], "abcdefghijklmnopqrstuvwxyz0123456789_-")
		    != n || strlen(f->value[i]) > FORM_VALUE_MAX)
			abort();
		for (p = (const unsigned char *)f->value[i]; *p; p += n)
			if ((n = esc_utf8_len(p)) == 0 || *p == 0x7f ||
			    (*p < 0x20 && !strchr("\t\r\n", *p)))
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(f->name[i], f->name[j]) == 0)
				abort();
		if (form_get(f, f->name[i]) != f->value[i])
			abort();
	}
}

static void
same(const struct form *a, const struct form *b)
{
	int	 i;

	if (a->n != b->n)
		abort();
	for (i = 0; i < a->n; i++)
		if (strcmp(a->name[i], b->name[i]) != 0 ||
		    strcmp(a->value[i], b->value[i]) != 0)
			abort();
}

static void
put_str(void *arg, const char *p, size_t n)
{
	char	**o = arg;

	memcpy(*o, p, n);
	*o += n;
}

/* f again, percent-encoded (every byte, '&' between) and as JSON. */
static void
roundtrip(const struct form *f)
{
	static char	 buf[FORM_FIELDS_MAX * (FORM_NAME_MAX + 2 +
			    FORM_VALUE_MAX * 6 + 8) + 8];
	struct form	 g;
	char		 err[256], *o;
	const char	*s;
	int		 i;

	for (o = buf, i = 0; i < f->n; i++) {
		o += sprintf(o, "%s%s=", i ? "&" : "", f->name[i]);
		for (s = f->value[i]; *s; s++)
			o += sprintf(o, "%%%02X", (unsigned char)*s);
	}
	if (form_parse_urlencoded(&g, buf, (size_t)(o - buf), err,
	    sizeof(err)) != 0)
		abort();
	same(f, &g);
	form_clear(&g);
	for (o = buf, *o++ = '{', i = 0; i < f->n; i++) {
		o += sprintf(o, "%s\"%s\":", i ? "," : "", f->name[i]);
		esc_json_put(f->value[i], put_str, &o);
	}
	*o++ = '}';
	if (form_parse_json(&g, buf, (size_t)(o - buf), err, sizeof(err)) != 0)
		abort();
	same(f, &g);
	form_clear(&g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form	 f;
	char		 err[256];
	int		 rc;

	if (size > 64 * 1024)	/* WEB_EVHTTP_BODY_MAX */
		return 0;
	rc = form_parse_urlencoded(&f, (const char *)data, size, err,
	    sizeof(err));
	if (rc == 0) {
		check(&f);
		roundtrip(&f);
	} else if (rc != -1 || f.n != 0 || memchr(err, '\0', sizeof(err)) ==
	    NULL || err[0] == '\0')
		abort();
	form_clear(&f);
	rc = form_parse_json(&f, (const char *)data, size, err, sizeof(err));
	if (rc == 0) {
		check(&f);
		roundtrip(&f);
	} else if (rc != -1 || f.n != 0 || err[0] == '\0')
		abort();
	form_clear(&f);
	return 0;
}
