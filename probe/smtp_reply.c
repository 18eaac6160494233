/*
 * smtp_reply.c -- the SMTP reply parser (RFC 5321 4.2).
 *
 * Pure and bounded: each call looks at one line the caller already has,
 * copies at most SMTP_REPLY_TEXT_MAX bytes of text in total, allocates
 * nothing and logs nothing.  Whatever a server sends ends up either in
 * text (sanitized) or counted as truncated.
 */
#include <stdio.h>
#include <string.h>

#include "smtp_reply.h"

#define ERR_SNIPPET	40	/* bytes of a bad line quoted in err */

/* Printable ASCII stays, everything else becomes '?'. */
static char
reply_safe(unsigned char c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

/*
 * Set err to why, followed by the first bytes of the offending line (if
 * any), quoted and sanitized.
 */
static enum smtp_reply_status
reply_fail(struct smtp_reply *r, const char *why, const char *line,
    size_t len)
{
	char	 snip[ERR_SNIPPET + 1];
	size_t	 i, n;

	if (line == NULL) {
		snprintf(r->err, sizeof(r->err), "%s", why);
		return SMTP_REPLY_ERROR;
	}
	n = len < ERR_SNIPPET ? len : ERR_SNIPPET;
	for (i = 0; i < n; i++)
		snip[i] = reply_safe((unsigned char)line[i]);
	snip[n] = '\0';
	snprintf(r->err, sizeof(r->err), "%s: \"%s%s\"", why, snip,
	    len > ERR_SNIPPET ? "..." : "");
	return SMTP_REPLY_ERROR;
}

/*
 * Append a line's text (sanitized), after a '\n' unless it is the first
 * line, and note when something does not fit.
 */
static void
reply_append(struct smtp_reply *r, int sep, const char *s, size_t n)
{
	size_t	 room, i;

	room = sizeof(r->text) - 1 - r->textlen;
	if (sep) {
		if (room == 0) {
			r->truncated = 1;
			return;
		}
		r->text[r->textlen++] = '\n';
		room--;
	}
	if (n > room) {
		r->truncated = 1;
		n = room;
	}
	for (i = 0; i < n; i++)
		r->text[r->textlen++] = reply_safe((unsigned char)s[i]);
	r->text[r->textlen] = '\0';
}

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->textlen = 0;
	r->truncated = 0;
	r->text[0] = '\0';
	r->err[0] = '\0';
	r->done = 0;
}

enum smtp_reply_status
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	const unsigned char	*u = (const unsigned char *)line;
	int			 code;

	if (r->err[0] != '\0')
		return SMTP_REPLY_ERROR;
	if (r->done)
		return reply_fail(r, "reply already complete", NULL, 0);
	if (len > SMTP_LINE_MAX)
		return reply_fail(r, "reply line too long", NULL, 0);
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return reply_fail(r, "endless multi-line reply", NULL, 0);
	if (len == 0)
		return reply_fail(r, "empty reply line", NULL, 0);

	if (len < 3 || u[0] < '0' || u[0] > '9' || u[1] < '0' ||
	    u[1] > '9' || u[2] < '0' || u[2] > '9')
		return reply_fail(r, "no reply code", line, len);
	if (u[0] < '2' || u[0] > '5' || u[1] > '5')
		return reply_fail(r, "bad reply code", line, len);
	if (len > 3 && u[3] != ' ' && u[3] != '-')
		return reply_fail(r, "bad separator after reply code", line,
		    len);
	code = (u[0] - '0') * 100 + (u[1] - '0') * 10 + (u[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		snprintf(r->err, sizeof(r->err),
		    "mixed reply codes %d and %d in one reply", r->code, code);
		return SMTP_REPLY_ERROR;
	}

	r->code = code;
	if (len > 4)
		reply_append(r, r->nlines > 0, line + 4, len - 4);
	else
		reply_append(r, r->nlines > 0, line, 0);
	r->nlines++;
	if (len > 3 && u[3] == '-')
		return SMTP_REPLY_MORE;
	r->done = 1;
	return SMTP_REPLY_DONE;
}
