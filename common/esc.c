/*
 * esc.c -- see esc.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "xmalloc.h"

#define FFFD_UTF8	"\xef\xbf\xbd"

size_t
esc_utf8_len(const unsigned char *s)
{
	size_t		 n, i;
	uint32_t	 c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

void
esc_html_put(const char *s, esc_put_fn *put, void *arg)
{
	const unsigned char	*p, *run;
	const char		*ent;
	size_t			 n;

	if (s == NULL)
		return;
	for (run = p = (const unsigned char *)s; *p; p += n) {
		n = 1;
		ent = NULL;
		switch (*p) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		case '\r':
			ent = "";
			break;
		case '\t':
		case '\n':
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				ent = FFFD_UTF8;
			else if (*p >= 0x80 && (n = esc_utf8_len(p)) == 0) {
				ent = FFFD_UTF8;
				n = 1;
			}
		}
		if (ent == NULL)
			continue;
		if (p > run)
			put(arg, (const char *)run, (size_t)(p - run));
		if (*ent)
			put(arg, ent, strlen(ent));
		run = p + n;
	}
	if (p > run)
		put(arg, (const char *)run, (size_t)(p - run));
}

void
esc_json_put(const char *s, esc_put_fn *put, void *arg)
{
	const unsigned char	*p, *run;
	char			 u[8];
	const char		*e;
	size_t			 n;

	if (s == NULL) {
		put(arg, "null", 4);
		return;
	}
	put(arg, "\"", 1);
	for (run = p = (const unsigned char *)s; *p; p += n) {
		n = 1;
		e = NULL;
		if (*p == '"')
			e = "\\\"";
		else if (*p == '\\')
			e = "\\\\";
		else if (*p == '\n')
			e = "\\n";
		else if (*p == '\r')
			e = "\\r";
		else if (*p == '\t')
			e = "\\t";
		else if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '&') {
			snprintf(u, sizeof(u), "\\u%04x", *p);
			e = u;
		} else if (*p >= 0x80) {
			if ((n = esc_utf8_len(p)) == 0) {
				e = "\\ufffd";
				n = 1;
			} else if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
			    (p[2] == 0xa8 || p[2] == 0xa9))
				e = p[2] == 0xa8 ? "\\u2028" : "\\u2029";
		}
		if (e == NULL)
			continue;
		if (p > run)
			put(arg, (const char *)run, (size_t)(p - run));
		put(arg, e, strlen(e));
		run = p + n;
	}
	if (p > run)
		put(arg, (const char *)run, (size_t)(p - run));
	put(arg, "\"", 1);
}

struct sbuf {
	char	*dst;
	size_t	 len, off;
};

static void
sbuf_put(void *arg, const char *p, size_t n)
{
	struct sbuf	*b = arg;
	size_t		 room;

	if (b->len > 0 && b->off < b->len - 1) {
		room = b->len - 1 - b->off;
		memcpy(b->dst + b->off, p, n < room ? n : room);
	}
	b->off += n;
}

static size_t
sbuf_finish(struct sbuf *b)
{
	if (b->len > 0)
		b->dst[b->off < b->len ? b->off : b->len - 1] = '\0';
	return b->off;
}

size_t
esc_html(char *dst, size_t len, const char *s)
{
	struct sbuf	 b = { dst, len, 0 };

	esc_html_put(s, sbuf_put, &b);
	return sbuf_finish(&b);
}

size_t
esc_json(char *dst, size_t len, const char *s)
{
	struct sbuf	 b = { dst, len, 0 };

	esc_json_put(s, sbuf_put, &b);
	return sbuf_finish(&b);
}

char *
esc_html_dup(const char *s)
{
	size_t	 n = esc_html(NULL, 0, s);
	char	*p = xmalloc(n + 1);

	esc_html(p, n + 1, s);
	return p;
}

char *
esc_json_dup(const char *s)
{
	size_t	 n = esc_json(NULL, 0, s);
	char	*p = xmalloc(n + 1);

	esc_json(p, n + 1, s);
	return p;
}

int
esc_utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	for (; *p != '\0'; p += n)
		if ((n = esc_utf8_len(p)) == 0)
			return 0;
	return 1;
}

char *
esc_utf8_repair(const char *s, size_t *lenp)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*d, *o;
	size_t			 n;

	/* Each byte becomes at most the 3 bytes of U+FFFD. */
	if ((d = malloc(strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (o = d; *p != '\0'; p += n) {
		if ((n = esc_utf8_len(p)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else {
			memcpy(o, p, n);
			o += n;
		}
	}
	*o = '\0';
	*lenp = (size_t)(o - d);
	return d;
}
