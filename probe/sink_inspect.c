/*
 * sink_inspect.c -- what a message that reached the sink is: the test
 * mail (and its cookie), or a bounce of it; and its Received chain.
 * Pure and bounded: minimal MIME (3 levels, 64 parts), no allocation.
 *
 * Relayed or returned is decided on where the cookie is, never on one
 * header.  Our test message (smtp_msg.c) puts its cookie in three
 * places: the Subject ("orbl relay test N <cookie>"), the Message-ID
 * ("<cookie@helo>") and a body line "Cookie: <cookie>".
 * A relay passes that message on with them in place, whatever it adds; a
 * bounce (or a forward) is a new message that carries ours inside it.
 * The evidence, all at the top level (never inside an attached message):
 *
 *   S  the Subject holds a cookie, anywhere in it;
 *   M  the Message-ID is "<cookie@...";
 *   B  the first text part has an unquoted line "Cookie: <cookie>";
 *   R  a cookie is returned content: in an attached message
 *      (message/rfc822, message/global, text/rfc822-headers and the
 *      -headers types), or quoted in a text part: a line starting with
 *      '>', or any line from a separator on ("----- Original message
 *      -----", Exim's "------ This is a copy of the message, including
 *      all the headers. ------", qmail's "--- Below this line is a copy
 *      of the message.", "Forwarded message", ...) or from a copy of a
 *      header of ours (a body line starting "Subject:", "Message-ID:",
 *      "From:", "To:", "Date:", "Received:", "Return-Path:"; our body has
 *      none) to the end of that part.
 *
 * M or B: relayed.  A bounce or a forward is a message of its own: its
 *   Message-ID is its own, and our "Cookie:" line is in it only attached
 *   or quoted.
 * Else S and R: a bounce.  DSNs and forwards copy the Subject
 *   ("Undelivered: orbl relay test ...", "Fwd: ..."), so the Subject
 *   cannot tell the two apart; the Message-ID is not ours and the body
 *   carries our message inside: it came back, it was not relayed.
 * Else S: relayed (a relay that rewrote the Message-ID and the body but
 *   kept the Subject: nothing says the message is returned).
 * Else R: a bounce.  Else: no cookie, not a bounce (nothing to attribute).
 *
 * The envelope sender, Auto-Submitted, Precedence and a multipart/report
 * type play no part: each is one header (or the envelope) that a relay
 * may add or that a hole may need (a relay open to MAIL FROM:<> only
 * relays null-sender mail), and none may move a verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cookie.h"
#include "sink.h"


#define MIME_DEPTH_MAX	3	/* top, its parts, their parts */
#define MIME_PARTS_MAX	64	/* parts looked at in all */
#define HDR_MAX		1000	/* header fields per entity */
#define BOUNDARY_MAX	200	/* RFC 2046 says 70: be lenient */
#define CTYPE_MAX	64
#define MARK_LINE_MAX	200	/* longer lines are never separators */

struct span {
	const char	*p;
	size_t		 len;
};

struct hdr {
	struct span	 name;
	struct span	 value;	/* after the ':', folded lines included */
};

struct ctype {
	char	 type[CTYPE_MAX];	/* "multipart/report", lower case */
	char	 boundary[BOUNDARY_MAX + 1];
};

struct walk {
	const char	*body_cookie;	/* B: "Cookie:" line, first text part */
	const char	*att_cookie;	/* R: in an attached message */
	const char	*quoted_cookie;	/* R: in quoted text */
	size_t		 body_len, att_len, quoted_len;
	int		 text_seen;
	int		 nparts;
	uint64_t	 work;		/* sink_inspection.work */
};

/*
 * Body lines from which on the rest of a text part is a copy of another
 * message: separators that MTAs and mail programs write before one
 * (matched anywhere in a short line, any case), and the header fields a
 * copy of our message starts with (at the start of a line).  Our own
 * body has none of them.
 */
static const char *const copy_marks[] = {
	"original message",	/* Sendmail, Outlook, Thunderbird */
	"forwarded message",	/* Gmail, Thunderbird, Apple Mail */
	"copy of the",		/* Exim (message, body), qmail */
	"copy of your",
	"returned message",
	"unsent message",
	"undelivered message",
	"message follows",
	"below this line",
	NULL
};
static const char *const copy_fields[] = {
	"Subject:", "Message-ID:", "From:", "To:", "Date:", "Received:",
	"Return-Path:", NULL
};

/*
 * The work: every helper that looks at the message's bytes adds how many
 * it looked at to *work (sink_inspection.work); what they then do with a
 * bounded copy (a Content-Type value) is not counted.
 */

/*
 * The next line from *pp (before end): its text without CR LF in line.
 * Advances *pp past the LF.  Returns 0 at the end.
 */
static int
line_next(const char **pp, const char *end, struct span *line,
    uint64_t *work)
{
	const char	*p = *pp, *nl;
	size_t		 len;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
	*pp = nl != NULL ? nl + 1 : end;
	*work += (size_t)(*pp - p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	line->p = p;
	line->len = len;
	return 1;
}

/* Headers up to the first empty line; the body after it. */
static void
entity_split(const char *p, size_t len, struct span *hdrs, struct span *body,
    uint64_t *work)
{
	const char	*cur = p, *end = p + len, *start;
	struct span	 line;

	hdrs->p = p;
	for (;;) {
		start = cur;
		if (!line_next(&cur, end, &line, work)) {
			hdrs->len = len;
			body->p = end;
			body->len = 0;
			return;
		}
		if (line.len == 0)
			break;
	}
	hdrs->len = (size_t)(start - p);
	body->p = cur;
	body->len = (size_t)(end - cur);
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The next header field in *pp..end.  Lines that are not a field (no
 * colon, a stray continuation) are skipped.  Returns 0 at the end.
 */
static int
hdr_next(const char **pp, const char *end, struct hdr *h, uint64_t *work)
{
	struct span	 line, more;
	const char	*colon, *save;
	size_t		 n;

	while (line_next(pp, end, &line, work)) {
		if (line.len == 0 || is_wsp(line.p[0]))
			continue;
		colon = memchr(line.p, ':', line.len);
		*work += colon != NULL ? (size_t)(colon - line.p) + 1 :
		    line.len;
		if (colon == NULL)
			continue;
		n = (size_t)(colon - line.p);
		while (n > 0 && is_wsp(line.p[n - 1])) {
			n--;
			(*work)++;
		}
		h->name.p = line.p;
		h->name.len = n;
		h->value.p = colon + 1;
		h->value.len = line.len - (size_t)(colon + 1 - line.p);
		for (;;) {
			save = *pp;
			if (!line_next(pp, end, &more, work) || more.len == 0 ||
			    !is_wsp(more.p[0])) {
				*pp = save;
				break;
			}
			h->value.len = (size_t)(more.p + more.len - h->value.p);
		}
		return 1;
	}
	return 0;
}

static int
hdr_is(const struct hdr *h, const char *name, uint64_t *work)
{
	if (h->name.len != strlen(name))
		return 0;
	*work += h->name.len;
	return strncasecmp(h->name.p, name, h->name.len) == 0;
}

/*
 * Unfold v into buf (buflen > 0): line ends dropped, white space runs
 * made one space and trimmed, other control and non-ASCII bytes '?'.
 * Returns the length; *cut set when it did not fit.
 */
static size_t
unfold(const struct span *v, char *buf, size_t buflen, int *cut,
    uint64_t *work)
{
	size_t		 i, n = 0;
	int		 space = 0;
	unsigned char	 c;

	*cut = 0;
	for (i = 0; i < v->len; i++) {
		c = (unsigned char)v->p[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == ' ' || c == '\t') {
			space = n > 0;
			continue;
		}
		if (n + space + 1 >= buflen) {
			*cut = 1;
			i++;
			break;
		}
		if (space)
			buf[n++] = ' ';
		space = 0;
		buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	*work += i;
	buf[n] = '\0';
	return n;
}

/* type/subtype (lower case) and the boundary parameter. */
static void
ctype_parse(const struct span *v, struct ctype *ct, uint64_t *work)
{
	char		 buf[1024], *p, *name, *val, *eq;
	size_t		 n, i;
	int		 cut;

	ct->type[0] = '\0';
	ct->boundary[0] = '\0';
	unfold(v, buf, sizeof(buf), &cut, work);
	p = buf;
	while (*p == ' ')
		p++;
	for (i = 0; p[i] != '\0' && p[i] != ';' && p[i] != ' ' &&
	    p[i] != '('; i++) {
		if (i + 1 >= sizeof(ct->type)) {
			i = 0;		/* too long: no type */
			break;
		}
		ct->type[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ?
		    p[i] - 'A' + 'a' : p[i]);
	}
	ct->type[i] = '\0';
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ')
			p++;
		name = p;
		n = strcspn(p, "=;");
		if (p[n] != '=')
			continue;
		eq = p + n;
		*eq = '\0';
		while (n > 0 && name[n - 1] == ' ')
			name[--n] = '\0';
		p = eq + 1;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			val = ++p;
			for (i = 0; p[i] != '\0' && p[i] != '"'; i++)
				;
			n = i;
			p += p[i] == '"' ? i + 1 : i;
		} else {
			val = p;
			n = strcspn(p, "; ");
			p += n;
		}
		if (strcasecmp(name, "boundary") == 0 && n > 0 &&
		    n <= BOUNDARY_MAX) {
			memcpy(ct->boundary, val, n);
			ct->boundary[n] = '\0';
		}
	}
}

static int
ctype_is_attached(const char *type)
{
	return strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0 ||
	    strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/rfc822-headers") == 0 ||
	    strcmp(type, "message/global-headers") == 0;
}

static void	 entity_walk(struct walk *, const struct ctype *,
		    const struct span *, int);

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * Does s (n bytes, anything) hold w (lower case), in any case?  Two
 * matches of one of our words cannot overlap by more than a letter (no
 * word's first letter recurs in it but "returned"'s 'r', followed by
 * 'n'), so this reads about 2 n bytes at most.
 */
static int
ci_contains(const char *s, size_t n, const char *w, uint64_t *work)
{
	size_t	 wl = strlen(w), i, j;

	for (i = 0; i + wl <= n; i++) {
		for (j = 0; j < wl &&
		    lower((unsigned char)s[i + j]) == w[j]; j++)
			;
		*work += j < wl ? j + 1 : j;
		if (j == wl)
			return 1;
	}
	return 0;
}

/* Does line start with w, in any case? */
static int
ci_prefix(const struct span *line, const char *w, uint64_t *work)
{
	size_t	 i, n = strlen(w);

	if (line->len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)line->p[i]) !=
		    lower((unsigned char)w[i])) {
			*work += i + 1;
			return 0;
		}
	*work += n;
	return 1;
}

/* Does line start a copy of another message (see copy_marks)? */
static int
copy_starts(const struct span *line, uint64_t *work)
{
	size_t	 i;

	for (i = 0; copy_fields[i] != NULL; i++)
		if (ci_prefix(line, copy_fields[i], work))
			return 1;
	/* Short lines only: a separator is one, and the cost stays small
	 * on hostile long lines. */
	if (line->len > MARK_LINE_MAX)
		return 0;
	for (i = 0; copy_marks[i] != NULL; i++)
		if (ci_contains(line->p, line->len, copy_marks[i], work))
			return 1;
	return 0;
}

/* A quoted line: '>' first, after any white space. */
static int
is_quote(const struct span *line, uint64_t *work)
{
	size_t	 i;

	for (i = 0; i < line->len && is_wsp(line->p[i]); i++)
		;
	*work += i < line->len ? i + 1 : i;
	return i < line->len && line->p[i] == '>';
}

/*
 * Our body's cookie line, "Cookie: <cookie>" from the first column (an
 * indented one may be quoted): the token, or NULL.
 */
static const char *
cookie_line(const struct span *line, size_t *n, uint64_t *work)
{
	const char	*p = line->p + 7, *end = line->p + line->len, *c;

	if (!ci_prefix(line, "Cookie:", work))
		return NULL;
	while (p < end && is_wsp(*p))
		p++;
	*work += (size_t)(p - (line->p + 7));
	c = cookie_find_work(p, (size_t)(end - p), n, work);
	return c == p ? c : NULL;
}

/*
 * A text part, line by line: quoted lines and everything from the start
 * of a copy on are returned content; the first text part's other lines
 * may hold our "Cookie:" line.  Other unquoted text is not looked at: a
 * bounce's own words may name the cookie (its Message-ID, say).
 */
static void
text_walk(struct walk *w, const struct span *body, int first)
{
	const char	*cur = body->p, *end = body->p + body->len, *c;
	struct span	 line;
	size_t		 n;
	int		 copy = 0;

	while (line_next(&cur, end, &line, &w->work)) {
		if (!copy)
			copy = copy_starts(&line, &w->work);
		if (copy || is_quote(&line, &w->work)) {
			if (w->quoted_cookie == NULL &&
			    (c = cookie_find_work(line.p, line.len, &n,
			    &w->work)) != NULL) {
				w->quoted_cookie = c;
				w->quoted_len = n;
			}
		} else if (first && w->body_cookie == NULL &&
		    (c = cookie_line(&line, &n, &w->work)) != NULL) {
			w->body_cookie = c;
			w->body_len = n;
		}
		/* Nothing more this part can tell. */
		if (w->quoted_cookie != NULL &&
		    (copy || !first || w->body_cookie != NULL))
			break;
	}
}

/*
 * Is line a delimiter of boundary b?  Returns 1 for "--b", 2 for the
 * close "--b--", 0 otherwise (trailing white space allowed).
 */
static int
mime_delimiter(const struct span *line, const char *b, size_t blen,
    uint64_t *work)
{
	size_t	 i;
	int	 kind = 1;

	if (line->len < blen + 2)
		return 0;
	*work += blen + 2;
	if (line->p[0] != '-' || line->p[1] != '-' ||
	    memcmp(line->p + 2, b, blen) != 0)
		return 0;
	i = blen + 2;
	if (line->len >= i + 2 && line->p[i] == '-' && line->p[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < line->len; i++) {
		(*work)++;
		if (!is_wsp(line->p[i]))
			return 0;
	}
	return kind;
}

/* The parts of a multipart body, each walked at depth + 1. */
static void
multipart_walk(struct walk *w, const struct ctype *ct, const struct span *body,
    int depth)
{
	const char	*cur = body->p, *end = body->p + body->len, *start;
	const char	*part = NULL, *pe;
	struct span	 line, ph, pb;
	struct ctype	 pct;
	struct hdr	 h;
	size_t		 blen = strlen(ct->boundary);
	int		 kind, nh;
	const char	*hc;

	for (;;) {
		start = cur;
		if (!line_next(&cur, end, &line, &w->work))
			return;		/* no close delimiter: drop the rest */
		if ((kind = mime_delimiter(&line, ct->boundary, blen,
		    &w->work)) == 0)
			continue;
		if (part != NULL) {
			/* The line end before the delimiter is its own. */
			pe = start;
			if (pe > part && pe[-1] == '\n')
				pe--;
			if (pe > part && pe[-1] == '\r')
				pe--;
			if (w->nparts++ >= MIME_PARTS_MAX)
				return;
			entity_split(part, (size_t)(pe - part), &ph, &pb,
			    &w->work);
			pct.type[0] = '\0';
			pct.boundary[0] = '\0';
			hc = ph.p;
			for (nh = 0; nh < HDR_MAX &&
			    hdr_next(&hc, ph.p + ph.len, &h, &w->work); nh++)
				if (hdr_is(&h, "Content-Type", &w->work)) {
					ctype_parse(&h.value, &pct, &w->work);
					break;
				}
			if (pct.type[0] == '\0')
				snprintf(pct.type, sizeof(pct.type), "%s",
				    strcmp(ct->type, "multipart/digest") == 0 ?
				    "message/rfc822" : "text/plain");
			entity_walk(w, &pct, &pb, depth + 1);
		}
		if (kind == 2)
			return;
		part = cur;
	}
}

static void
entity_walk(struct walk *w, const struct ctype *ct, const struct span *body,
    int depth)
{
	const char	*c;
	size_t		 n;

	if (strncmp(ct->type, "multipart/", 10) == 0) {
		if (depth + 1 < MIME_DEPTH_MAX && ct->boundary[0] != '\0')
			multipart_walk(w, ct, body, depth);
		return;
	}
	if (ctype_is_attached(ct->type)) {
		if (w->att_cookie == NULL &&
		    (c = cookie_find_work(body->p, body->len, &n,
		    &w->work)) != NULL) {
			w->att_cookie = c;
			w->att_len = n;
		}
		return;
	}
	if (ct->type[0] == '\0' || strncmp(ct->type, "text/", 5) == 0) {
		text_walk(w, body, !w->text_seen);
		w->text_seen = 1;
	}
}

/* Append one Received value to the list, whole or not at all. */
static void
received_add(struct sink_inspection *in, size_t *used, const struct span *v,
    uint64_t *work)
{
	char	 buf[sizeof(in->received)];
	size_t	 n, need;
	int	 cut;

	if (in->received_truncated)
		return;
	n = unfold(v, buf, sizeof(buf), &cut, work);
	if (n == 0 && !cut)
		return;		/* an empty field adds no line */
	need = n + (*used > 0 ? 1 : 0);
	if (cut || *used + need + 1 > sizeof(in->received)) {
		in->received_truncated = 1;
		return;
	}
	if (*used > 0)
		in->received[(*used)++] = '\n';
	memcpy(in->received + *used, buf, n);
	*used += n;
	in->received[*used] = '\0';
}

/* M: the Message-ID is ours, "<cookie@...": the token, or NULL. */
static const char *
msgid_cookie(const struct span *v, size_t *n, uint64_t *work)
{
	const char	*p = v->p, *end = v->p + v->len, *c;

	while (p < end && (is_wsp(*p) || *p == '\r' || *p == '\n'))
		p++;
	*work += (size_t)(p - v->p) + (p < end);
	if (p >= end || *p++ != '<')
		return NULL;
	c = cookie_find_work(p, (size_t)(end - p), n, work);
	if (c != p || (size_t)(end - c) <= *n || c[*n] != '@')
		return NULL;
	return c;
}

void
sink_inspect(const char *mail_from, const char *data, size_t len,
    struct sink_inspection *in)
{
	struct span	 hdrs, body, subject = { NULL, 0 }, msgid = { NULL, 0 };
	struct ctype	 ct;
	struct walk	 w;
	struct hdr	 h;
	const char	*cur, *sc = NULL, *mc = NULL;
	size_t		 used = 0, sn = 0, mn = 0;
	int		 nh, have_ct = 0;

	/* The envelope sender says nothing about what the message is. */
	(void)mail_from;
	memset(in, 0, sizeof(*in));
	memset(&w, 0, sizeof(w));
	ct.type[0] = '\0';
	ct.boundary[0] = '\0';
	if (data == NULL)
		len = 0;
	if (data == NULL)
		data = "";

	entity_split(data, len, &hdrs, &body, &w.work);
	cur = hdrs.p;
	for (nh = 0; nh < HDR_MAX &&
	    hdr_next(&cur, hdrs.p + hdrs.len, &h, &w.work); nh++) {
		if (hdr_is(&h, "Received", &w.work))
			received_add(in, &used, &h.value, &w.work);
		else if (hdr_is(&h, "Subject", &w.work) && subject.p == NULL)
			subject = h.value;
		else if (hdr_is(&h, "Message-ID", &w.work) && msgid.p == NULL)
			msgid = h.value;
		else if (hdr_is(&h, "Content-Type", &w.work) && !have_ct) {
			have_ct = 1;
			ctype_parse(&h.value, &ct, &w.work);
		}
	}
	if (subject.p != NULL)
		sc = cookie_find_work(subject.p, subject.len, &sn, &w.work);
	if (msgid.p != NULL)
		mc = msgid_cookie(&msgid, &mn, &w.work);
	entity_walk(&w, &ct, &body, 0);
	in->work = w.work;

	if (sc != NULL) {
		in->cookie = sc;
		in->cookielen = sn;
	} else if (mc != NULL) {
		in->cookie = mc;
		in->cookielen = mn;
	} else if (w.body_cookie != NULL) {
		in->cookie = w.body_cookie;
		in->cookielen = w.body_len;
	}
	/* Either kind of returned content attributes a bounce. */
	if (w.att_cookie != NULL) {
		in->attached_cookie = w.att_cookie;
		in->attached_cookielen = w.att_len;
	} else if (w.quoted_cookie != NULL) {
		in->attached_cookie = w.quoted_cookie;
		in->attached_cookielen = w.quoted_len;
	}

	/* The rule in the comment at the top of this file. */
	if (mc != NULL || w.body_cookie != NULL)
		in->bounce_why = NULL;
	else if (w.att_cookie != NULL)
		in->bounce_why = sc != NULL ?
		    "cookie only in the Subject and an attached message" :
		    "cookie only in an attached message";
	else if (w.quoted_cookie != NULL)
		in->bounce_why = sc != NULL ?
		    "cookie only in the Subject and quoted text" :
		    "cookie only in quoted text";
	in->bounce = in->bounce_why != NULL;
}
