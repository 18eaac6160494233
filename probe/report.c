/*
 * report.c -- see report.h.  A spam report is a message whose sample
 * (attached, or its headers pasted inline) carries a Received chain; the
 * walk down that chain stops at the first hop the reporter's own servers
 * did not add.
 *
 * Nothing here trusts the sample: every length is bounded, every copy is
 * into a fixed buffer, a literal is an address only if addr_parse says
 * so, and the address found is only a candidate: the caller puts it
 * through the same rules as any other submission (policy_submit), so a
 * forged chain can name no target that the web form could not.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "report.h"

#define MIME_DEPTH_MAX	3	/* top, its parts, their parts */
#define BOUNDARY_MAX	200
#define CTYPE_MAX	64
#define COMMENTS_MAX	4	/* comments kept from a from clause */
#define FIELD_NAME_MAX	76	/* a pasted line "Name: ..." */
#define LIMIT_WINDOW	3600

struct span {
	const char	*p;
	size_t		 len;
};

struct ctype {
	char	 type[CTYPE_MAX];	/* lower case, "" if none */
	char	 boundary[BOUNDARY_MAX + 1];
	int	 encoded;		/* base64 / quoted-printable */
};

struct find {
	int		 nparts;
	int		 encoded;	/* an attachment we could not read */
	struct span	 attached;	/* the sample's whole text */
	struct span	 inline_block;	/* pasted header block */
	int		 have_attached, have_inline;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Does s (n bytes) start with w, in any case? */
static int
ci_prefix(const char *s, size_t n, const char *w)
{
	size_t	 i, wl = strlen(w);

	if (n < wl)
		return 0;
	for (i = 0; i < wl; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)w[i]))
			return 0;
	return 1;
}

static int
ci_equal(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && ci_prefix(s, n, w);
}

/* The next line of *pp..end without its CR LF; 0 at the end. */
static int
line_next(const char **pp, const char *end, struct span *line)
{
	const char	*p = *pp, *nl;
	size_t		 len;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
	*pp = nl != NULL ? nl + 1 : end;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	line->p = p;
	line->len = len;
	return 1;
}

/* Headers up to the first empty line, the body after it. */
static void
entity_split(const struct span *e, struct span *hdrs, struct span *body)
{
	const char	*cur = e->p, *end = e->p + e->len, *start;
	struct span	 line;

	hdrs->p = e->p;
	for (;;) {
		start = cur;
		if (!line_next(&cur, end, &line)) {
			hdrs->len = e->len;
			body->p = end;
			body->len = 0;
			return;
		}
		if (line.len == 0)
			break;
	}
	hdrs->len = (size_t)(start - e->p);
	body->p = cur;
	body->len = (size_t)(end - cur);
}

/* A line that starts a header field: "Name:", Name printable, no space. */
static int
field_start(const struct span *line)
{
	size_t	 i;

	for (i = 0; i < line->len && i <= FIELD_NAME_MAX; i++) {
		if (line->p[i] == ':')
			return i > 0;
		if ((unsigned char)line->p[i] <= 0x20 ||
		    (unsigned char)line->p[i] >= 0x7f)
			return 0;
	}
	return 0;
}

/*
 * The next header field of *pp..end: name and value (the value runs over
 * its continuation lines).  flowed: a line ending in a space also
 * continues on the next (a pasted header wrapped by a mail program,
 * RFC 3676).  Lines that are not a field are skipped.  0 at the end.
 */
static int
hdr_next(const char **pp, const char *end, int flowed, struct span *name,
    struct span *value)
{
	struct span	 line, more;
	const char	*colon, *save;
	int		 soft;

	while (line_next(pp, end, &line)) {
		if (line.len == 0 || is_wsp(line.p[0]) || !field_start(&line))
			continue;
		colon = memchr(line.p, ':', line.len);
		name->p = line.p;
		name->len = (size_t)(colon - line.p);
		value->p = colon + 1;
		value->len = line.len - name->len - 1;
		soft = flowed && line.len > 0 && line.p[line.len - 1] == ' ';
		for (;;) {
			save = *pp;
			if (!line_next(pp, end, &more) || more.len == 0 ||
			    (!is_wsp(more.p[0]) && !soft)) {
				*pp = save;
				break;
			}
			value->len = (size_t)(more.p + more.len - value->p);
			soft = flowed && more.p[more.len - 1] == ' ';
		}
		return 1;
	}
	return 0;
}

/*
 * v into buf (buflen > 0): line ends and white space runs made one space,
 * trimmed, other control and non-ASCII bytes '?'.  What does not fit is
 * cut.  Returns the length.
 */
static size_t
unfold(const struct span *v, char *buf, size_t buflen)
{
	size_t		 i, n = 0;
	int		 space = 0;
	unsigned char	 c;

	for (i = 0; i < v->len; i++) {
		c = (unsigned char)v->p[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = n > 0;
			continue;
		}
		if (n + (size_t)space + 1 >= buflen)
			break;
		if (space)
			buf[n++] = ' ';
		space = 0;
		buf[n++] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[n] = '\0';
	return n;
}

/* Content-Type's type (lower case) and boundary. */
static void
ctype_parse(const struct span *v, struct ctype *ct)
{
	char	 buf[1024], *p, *val;
	size_t	 i, n;

	unfold(v, buf, sizeof(buf));
	for (i = 0; buf[i] != '\0' && buf[i] != ';' && buf[i] != ' ' &&
	    i + 1 < sizeof(ct->type); i++)
		ct->type[i] = (char)lower((unsigned char)buf[i]);
	ct->type[i] = '\0';
	for (p = buf; (p = strchr(p, ';')) != NULL; ) {
		p++;
		while (*p == ' ')
			p++;
		if (!ci_prefix(p, strlen(p), "boundary"))
			continue;
		p += 8;
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			val = ++p;
			n = strcspn(p, "\"");
		} else {
			val = p;
			n = strcspn(p, "; ");
		}
		if (n > 0 && n <= BOUNDARY_MAX) {
			memcpy(ct->boundary, val, n);
			ct->boundary[n] = '\0';
		}
		break;
	}
}

/* The entity's Content-Type and Content-Transfer-Encoding. */
static void
entity_ctype(const struct span *hdrs, struct ctype *ct)
{
	struct span	 name, value;
	const char	*cur = hdrs->p;
	char		 cte[32];
	int		 n, have = 0;

	memset(ct, 0, sizeof(*ct));
	for (n = 0; n < REPORT_HDR_MAX && hdr_next(&cur, hdrs->p + hdrs->len,
	    0, &name, &value); n++) {
		if (!have && ci_equal(name.p, name.len, "Content-Type")) {
			ctype_parse(&value, ct);
			have = 1;
		} else if (ci_equal(name.p, name.len,
		    "Content-Transfer-Encoding")) {
			unfold(&value, cte, sizeof(cte));
			ct->encoded = strcasecmp(cte, "base64") == 0 ||
			    strcasecmp(cte, "quoted-printable") == 0;
		}
	}
}

static int
ctype_is_message(const char *type)
{
	return strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0 ||
	    strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/rfc822-headers") == 0;
}

/*
 * A pasted header block in a text body: from the first line that starts
 * "Received:" to the line before the first that is neither a field, a
 * continuation nor a wrapped line's rest (an empty line included).
 */
static int
inline_find(const struct span *body, struct span *block)
{
	const char	*cur = body->p, *end = body->p + body->len;
	struct span	 line;
	int		 in = 0, soft = 0;

	while (line_next(&cur, end, &line)) {
		if (!in) {
			if (!ci_prefix(line.p, line.len, "Received:"))
				continue;
			in = 1;
			block->p = line.p;
		} else if (line.len == 0 || (!is_wsp(line.p[0]) && !soft &&
		    !field_start(&line))) {
			block->len = (size_t)(line.p - block->p);
			return 1;
		}
		soft = line.len > 0 && line.p[line.len - 1] == ' ';
	}
	if (in)
		block->len = (size_t)(end - block->p);
	return in;
}

static void	 entity_find(struct find *, const struct ctype *,
		    const struct span *body, int depth);

/*
 * The parts of a multipart body.  A part without its close delimiter
 * (a message cut at max_message) runs to the end.
 */
static void
multipart_find(struct find *f, const struct ctype *ct,
    const struct span *body, int depth)
{
	const char	*cur = body->p, *end = body->p + body->len, *start;
	const char	*part = NULL, *pe;
	struct span	 line, e, ph, pb;
	struct ctype	 pct;
	size_t		 blen = strlen(ct->boundary);
	int		 close;

	for (;;) {
		start = cur;
		close = 0;
		if (!line_next(&cur, end, &line))
			start = end;
		else if (line.len < blen + 2 || line.p[0] != '-' ||
		    line.p[1] != '-' || memcmp(line.p + 2, ct->boundary,
		    blen) != 0)
			continue;
		else
			close = line.len >= blen + 4 && line.p[blen + 2] ==
			    '-' && line.p[blen + 3] == '-';
		if (part != NULL) {
			pe = start;
			if (pe > part && pe[-1] == '\n')
				pe--;
			if (pe > part && pe[-1] == '\r')
				pe--;
			if (f->nparts++ >= REPORT_PARTS_MAX)
				return;
			e.p = part;
			e.len = (size_t)(pe - part);
			entity_split(&e, &ph, &pb);
			entity_ctype(&ph, &pct);
			if (pct.type[0] == '\0')
				snprintf(pct.type, sizeof(pct.type), "%s",
				    strcmp(ct->type, "multipart/digest") == 0 ?
				    "message/rfc822" : "text/plain");
			entity_find(f, &pct, &pb, depth + 1);
			if (f->have_attached)
				return;
		}
		if (close || start == end)
			return;
		part = cur;
	}
}

static void
entity_find(struct find *f, const struct ctype *ct, const struct span *body,
    int depth)
{
	if (strncmp(ct->type, "multipart/", 10) == 0) {
		if (depth + 1 < MIME_DEPTH_MAX && ct->boundary[0] != '\0')
			multipart_find(f, ct, body, depth);
		return;
	}
	if (ctype_is_message(ct->type)) {
		if (ct->encoded) {
			f->encoded = 1;
			return;
		}
		f->attached = *body;
		f->have_attached = 1;
		return;
	}
	if (!f->have_inline && (ct->type[0] == '\0' ||
	    strcmp(ct->type, "text/plain") == 0) && !ct->encoded)
		f->have_inline = inline_find(body, &f->inline_block);
}

/* ---------------------------------------------------------------------
 * One Received field.
 */

/* Copy a host name, lower case, without a trailing dot. */
static void
name_copy(char *dst, const char *p, size_t n)
{
	size_t	 i;

	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n > REPORT_NAME_MAX)
		n = REPORT_NAME_MAX;
	for (i = 0; i < n; i++)
		dst[i] = (char)lower((unsigned char)p[i]);
	dst[n] = '\0';
}

static void
name_add(struct report_hop *h, const char *p, size_t n)
{
	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || p[0] == '[' || ci_equal(p, n, "unknown") ||
	    h->nnames >= REPORT_NAMES)
		return;
	name_copy(h->names[h->nnames++], p, n);
}

/*
 * An address literal: "[1.2.3.4]", "[IPv6:2001:db8::1]", "[2001:db8::1]"
 * (a ":port" after the bracket ignored); bare ("1.2.3.4") only when
 * bracket is 0.  Canonical text into out; 0, or -1.
 */
static int
literal_addr(const char *p, size_t n, int bracket, char *out, size_t outlen)
{
	struct addr	 a;
	const char	*close;
	char		 tmp[ADDR_STRLEN], err[128];
	size_t		 i;

	if (n > 0 && p[0] == '[') {
		if ((close = memchr(p, ']', n)) == NULL)
			return -1;
		n = (size_t)(close - p - 1);
		p++;
	} else if (bracket)
		return -1;
	if (ci_prefix(p, n, "IPv6:")) {
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' &&
		    p[i] <= 'f') || (p[i] >= 'A' && p[i] <= 'F') ||
		    p[i] == '.' || p[i] == ':'))
			return -1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (addr_parse(tmp, &a, err, sizeof(err)) == -1 ||
	    !addr_is_single(&a))
		return -1;
	addr_format_ip(&a, out, outlen);
	return 0;
}

/* Is the literal at c[i] the HELO argument ("helo=[...]", "HELO [...]")? */
static int
after_helo(const struct span *c, size_t i)
{
	return i >= 5 && (ci_prefix(c->p + i - 5, 5, "helo=") ||
	    ci_prefix(c->p + i - 5, 5, "helo ") ||
	    ci_prefix(c->p + i - 5, 5, "ehlo=") ||
	    ci_prefix(c->p + i - 5, 5, "ehlo "));
}

/* The word before c[i] (skipping spaces), or an empty span. */
static struct span
word_before(const struct span *c, size_t i)
{
	struct span	 w = { c->p, 0 };
	size_t		 e;

	while (i > 0 && c->p[i - 1] == ' ')
		i--;
	e = i;
	while (i > 0 && c->p[i - 1] != ' ')
		i--;
	w.p = c->p + i;
	w.len = e - i;
	return w;
}

/* The HELO argument named in a comment ("helo=x", "HELO x"), as a name. */
static void
comment_helo(struct report_hop *h, const struct span *c)
{
	size_t	 i, n;

	for (i = 0; i + 5 <= c->len; i++) {
		if (!ci_prefix(c->p + i, 5, "helo=") &&
		    !ci_prefix(c->p + i, 5, "helo "))
			continue;
		if (i > 0 && c->p[i - 1] != ' ')
			continue;
		i += 5;
		for (n = 0; i + n < c->len && c->p[i + n] != ' '; n++)
			;
		name_add(h, c->p + i, n);
		return;
	}
}

/*
 * The sender's address in one comment of the from clause: the first
 * literal that is not the HELO argument ("(rdns [ip])", "([ip]:port
 * helo=x)"), else the whole comment when it is a bare address ("(ip)").
 */
static int
comment_addr(struct report_hop *h, const struct span *c)
{
	struct span	 w;
	size_t		 i;

	for (i = 0; i < c->len; i++) {
		if (c->p[i] != '[' || after_helo(c, i))
			continue;
		if (literal_addr(c->p + i, c->len - i, 1, h->addr,
		    sizeof(h->addr)) == -1)
			continue;
		w = word_before(c, i);
		name_add(h, w.p, w.len);
		return 0;
	}
	return literal_addr(c->p, c->len, 0, h->addr, sizeof(h->addr));
}

static int
keyword(const char *p, size_t n)
{
	return ci_equal(p, n, "by") || ci_equal(p, n, "via") ||
	    ci_equal(p, n, "with") || ci_equal(p, n, "id") ||
	    ci_equal(p, n, "for");
}

enum clause { CL_NONE, CL_FROM, CL_BY, CL_OTHER };

int
report_hop_parse(const char *value, size_t len, struct report_hop *h)
{
	char		 buf[REPORT_FIELD_MAX];
	struct span	 v = { value, len }, comm[COMMENTS_MAX];
	struct span	 t0 = { NULL, 0 }, extra = { NULL, 0 };
	enum clause	 cl = CL_NONE;
	const char	*p, *q;
	int		 ncomm = 0, nwords = 0, depth, i;

	memset(h, 0, sizeof(*h));
	if (value == NULL)
		return -1;
	unfold(&v, buf, sizeof(buf));
	for (p = buf; *p != '\0' && *p != ';'; p = q) {
		if (*p == ' ') {
			q = p + 1;
			continue;
		}
		if (*p == '(') {
			/* A comment, nested, with quoted pairs. */
			for (q = p + 1, depth = 1; *q != '\0' && depth > 0;
			    q++) {
				if (*q == '\\' && q[1] != '\0')
					q++;
				else if (*q == '(')
					depth++;
				else if (*q == ')')
					depth--;
			}
			if (cl == CL_FROM && ncomm < COMMENTS_MAX) {
				comm[ncomm].p = p + 1;
				comm[ncomm].len = (size_t)(q - p - 1 -
				    (depth == 0));
				ncomm++;
			}
			continue;
		}
		for (q = p; *q != '\0' && *q != ' ' && *q != '(' && *q != ';';
		    q++)
			;
		if (cl == CL_NONE && nwords == 0 &&
		    ci_equal(p, (size_t)(q - p), "from")) {
			cl = CL_FROM;
			h->has_from = 1;
		} else if (keyword(p, (size_t)(q - p)))
			cl = ci_equal(p, (size_t)(q - p), "by") ? CL_BY :
			    CL_OTHER;
		else if (cl == CL_FROM && t0.p == NULL) {
			t0.p = p;
			t0.len = (size_t)(q - p);
		} else if (cl == CL_FROM && extra.p == NULL && *p == '[') {
			extra.p = p;
			extra.len = (size_t)(q - p);
		} else if (cl == CL_BY && h->by[0] == '\0')
			name_copy(h->by, p, (size_t)(q - p));
		nwords++;
	}
	if (!h->has_from)
		return -1;
	if (t0.p != NULL)
		name_add(h, t0.p, t0.len);
	for (i = 0; i < ncomm; i++)
		if (comment_addr(h, &comm[i]) == 0)
			break;
	if (h->addr[0] == '\0' && extra.p != NULL)
		literal_addr(extra.p, extra.len, 1, h->addr, sizeof(h->addr));
	if (h->addr[0] == '\0' && t0.p != NULL)
		literal_addr(t0.p, t0.len, 1, h->addr, sizeof(h->addr));
	for (i = 0; i < ncomm; i++)
		comment_helo(h, &comm[i]);
	return h->addr[0] != '\0' ? 0 : -1;
}

/* ---------------------------------------------------------------------
 * The walk.
 */

static int
trusted_addr(const struct report_trust *t, const char *text)
{
	struct addr	 a, peer;
	char		 err[128];
	int		 i;

	if (addr_parse(text, &a, err, sizeof(err)) == -1)
		return 0;
	if (t->peer != NULL && addr_parse(t->peer, &peer, err,
	    sizeof(err)) == 0 && addr_cmp(&peer, &a) == 0)
		return 1;
	for (i = 0; i < t->nnets; i++)
		if (addr_contains(&t->nets[i], &a))
			return 1;
	return 0;
}

static int
names_writer(const struct report_hop *h, const char *writer)
{
	int	 i;

	if (writer[0] == '\0')
		return 0;
	for (i = 0; i < h->nnames; i++)
		if (strcmp(h->names[i], writer) == 0)
			return 1;
	return 0;
}

static void
received_walk(const struct span *block, int flowed,
    const struct report_trust *t, struct report *r)
{
	struct report_hop	 h;
	struct span		 name, value;
	const char		*cur = block->p;
	char			 above[REPORT_NAME_MAX + 1] = "";
	int			 n;

	for (n = 0; n < REPORT_HDR_MAX && r->nhops < REPORT_HOPS_MAX &&
	    hdr_next(&cur, block->p + block->len, flowed, &name, &value);
	    n++) {
		if (!ci_equal(name.p, name.len, "Received"))
			continue;
		r->nhops++;
		if (report_hop_parse(value.p, value.len, &h) == -1)
			r->noaddr++;
		else if (trusted_addr(t, h.addr) || names_writer(&h, above))
			r->trusted++;
		else {
			r->status = REPORT_FOUND;
			r->hop = r->nhops;
			memcpy(r->addr, h.addr, sizeof(r->addr));
			memcpy(r->by, h.by, sizeof(r->by));
			return;
		}
		memcpy(above, h.by, sizeof(above));
	}
	r->status = r->nhops == 0 ? REPORT_NO_RECEIVED : REPORT_ALL_TRUSTED;
}

void
report_parse(const char *data, size_t len, const struct report_trust *t,
    struct report *r)
{
	struct span	 msg, hdrs, body, sh, sb;
	struct ctype	 ct;
	struct find	 f;

	static const struct report_trust none = { NULL, NULL, 0 };

	if (t == NULL)
		t = &none;
	memset(r, 0, sizeof(*r));
	memset(&f, 0, sizeof(f));
	r->status = REPORT_NO_SAMPLE;
	msg.p = data != NULL ? data : "";
	msg.len = data != NULL ? len : 0;
	entity_split(&msg, &hdrs, &body);
	entity_ctype(&hdrs, &ct);
	entity_find(&f, &ct, &body, 0);
	if (f.have_attached) {
		r->where = REPORT_ATTACHED;
		entity_split(&f.attached, &sh, &sb);
		received_walk(&sh, 0, t, r);
	} else if (f.have_inline) {
		r->where = REPORT_INLINE;
		received_walk(&f.inline_block, 1, t, r);
	} else if (f.encoded)
		r->status = REPORT_ENCODED;
}

const char *
report_status_text(enum report_status s)
{
	switch (s) {
	case REPORT_FOUND:
		return "found";
	case REPORT_NO_SAMPLE:
		return "no sample found: attach the spam as a message "
		    "(message/rfc822) or paste its full headers into the body";
	case REPORT_ENCODED:
		return "the attached message is base64 or quoted-printable "
		    "encoded: attach it as is (message/rfc822) or paste its "
		    "headers into the body";
	case REPORT_NO_RECEIVED:
		return "no Received chain in the sample";
	case REPORT_ALL_TRUSTED:
		return "only trusted hops in the sample's Received chain";
	}
	return "?";
}

/* ---------------------------------------------------------------------
 * Hourly counters.
 */

void
report_limit_init(struct report_limit *l, struct report_limit_entry *e,
    size_t cap)
{
	l->e = e;
	l->cap = cap;
	l->used = 0;
}

static struct report_limit_entry *
limit_find(const struct report_limit *l, const char *key)
{
	size_t	 i;

	for (i = 0; i < l->used; i++)
		if (strcmp(l->e[i].key, key) == 0)
			return &l->e[i];
	return NULL;
}

long long
report_limit_count(const struct report_limit *l, const char *key,
    int64_t now)
{
	const struct report_limit_entry	*e = limit_find(l, key);

	if (e == NULL || now - e->start >= LIMIT_WINDOW || now < e->start)
		return 0;
	return e->n;
}

void
report_limit_add(struct report_limit *l, const char *key, int64_t now)
{
	struct report_limit_entry	*e = limit_find(l, key);
	size_t				 i;

	if (e != NULL && now - e->start < LIMIT_WINDOW && now >= e->start) {
		e->n++;
		return;
	}
	if (e == NULL && l->cap == 0)
		return;
	if (e == NULL && l->used < l->cap)
		e = &l->e[l->used++];
	else if (e == NULL) {
		/* Full: the window that started first ends first. */
		e = &l->e[0];
		for (i = 1; i < l->used; i++)
			if (l->e[i].start < e->start)
				e = &l->e[i];
	}
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->start = now;
	e->n = 1;
}
