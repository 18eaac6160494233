/*
 * mailq.c -- the mailq output parser (see mailq.h).
 *
 * What the three formats look like (columns vary; the parser goes by the
 * shape of each line, not by column numbers):
 *
 * Postfix (postqueue -p):
 *	-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *	DA877A727EE!    858 Mon Nov 30 12:10:15  alice@office.example
 *	                   (connect to mx.example[192.0.2.1]:25: Connection refused)
 *	                                         bob@partner.example
 *	<blank line>
 *	-- 2 Kbytes in 3 Requests.		("Mail queue is empty" if none)
 *   '*' after the id: active queue, '!': on hold.  A reason precedes the
 *   recipients it applies to; long ones start in column 0.
 *
 * Sendmail:
 *	MSP Queue status...			(8.12+: MSP and MTA queues)
 *			/var/spool/mqueue (2 requests)	(or "... is empty",
 *						 old: "Mail Queue (N requests)")
 *	-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
 *	x4DCtJ5p012345*    1523 Mon May 13 12:55 <alice@office.example>
 *	                 (Deferred: Connection refused by mx.partner.example.)
 *	                                         <bob@partner.example>
 *			Total requests: 2
 *   Markers after the id: '*' being processed, 'X' load too high, '-' too
 *   young; "QUARANTINE: reason" lines; -v adds a priority column.
 *
 * Exim (exim -bp): nothing at all for an empty queue, else
 *	25m  2.9K 1RwtJa-000AAn-Cb <alice@office.example> *** frozen ***
 *	          bob@partner.example
 *	        D carol@partner.example		(D: delivered already)
 *	<blank line>
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailq.h"

struct mailq {
	mailq_cb		 cb;
	void			*arg;
	struct mailq_stats	 st;
	int			 seen;		/* a non-blank line */
	/* counts the output states */
	int64_t			 rep_trailer, rep_header, rep_total;
	/* the line being assembled */
	size_t			 llen;
	int			 overlong, hasnul;
	/* the message being assembled */
	int			 inmsg;
	struct mailq_msg	 msg;
	size_t			 used;
	struct mailq_rcpt	 rcpt[MAILQ_RCPT_MAX];
	char			 line[MAILQ_LINE_MAX];
	char			 buf[MAILQ_MSG_BUF];
};

struct tok {
	const char	*s;
	size_t		 n;
};

#define MAILQ_X(e, s)	s,
static const char *const format_names[] = { MAILQ_FORMATS(MAILQ_X) };
static const char *const status_names[] = { MAILQ_STATUSES(MAILQ_X) };
#undef MAILQ_X

const char *
mailq_format_name(enum mailq_format f)
{
	return (unsigned)f < MAILQ_NFORMATS ? format_names[f] : "?";
}

const char *
mailq_status_name(enum mailq_status s)
{
	return (unsigned)s < MAILQ_NSTATUS ? status_names[s] : "?";
}

/* --- small text helpers ------------------------------------------------- */

static int
is_sp(char c)
{
	return c == ' ' || c == '\t';
}

/* The next white-space separated token from *cur (before end); 0 at end. */
static int
next_tok(const char **cur, const char *end, struct tok *t)
{
	const char	*p = *cur;

	while (p < end && is_sp(*p))
		p++;
	if (p == end) {
		*cur = p;
		return 0;
	}
	t->s = p;
	while (p < end && !is_sp(*p))
		p++;
	t->n = (size_t)(p - t->s);
	*cur = p;
	return 1;
}

static const char *
skip_sp(const char *p, const char *end)
{
	while (p < end && is_sp(*p))
		p++;
	return p;
}

/* Trim white space off both ends of [*s, *e). */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

static int
tok_eq(const struct tok *t, const char *s)
{
	return t->n == strlen(s) && memcmp(t->s, s, t->n) == 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Decimal digits to a number; -1 if not digits or too large. */
static int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t	 x = 0;
	size_t		 i;

	if (!all_digits(s, n) || n > 19)
		return -1;
	for (i = 0; i < n; i++)
		x = x * 10 + (uint64_t)(s[i] - '0');
	*v = x;
	return 0;
}

/* Does [s, s+n) begin with the C string p? */
static int
has_prefix(const char *s, size_t n, const char *p)
{
	size_t	 pl = strlen(p);

	return n >= pl && memcmp(s, p, pl) == 0;
}

static int
has_suffix(const char *s, size_t n, const char *p)
{
	size_t	 pl = strlen(p);

	return n >= pl && memcmp(s + n - pl, p, pl) == 0;
}

static int
in_list(const struct tok *t, const char *const *list)
{
	for (; *list; list++)
		if (tok_eq(t, *list))
			return 1;
	return 0;
}

static const char *const dows[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
    "Sun", NULL };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", NULL };

/* "12:55" or "12:55:03". */
static int
is_clock(const struct tok *t)
{
	const char	*s = t->s;

	if (t->n != 5 && t->n != 8)
		return 0;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return 0;
	return t->n == 5 || (s[5] == ':' && isdigit((unsigned char)s[6]) &&
	    isdigit((unsigned char)s[7]));
}

/*
 * A date at *cur: "Mon Mar  4 10:02:11", "Mon May 13 12:55" or, with
 * withdow 0 allowed, "May 13 12:55".  Sets the raw span; 0 if none.
 */
static int
parse_date(const char **cur, const char *end, int dowopt, struct tok *span)
{
	const char	*p = *cur;
	struct tok	 t, day;

	if (!next_tok(&p, end, &t))
		return 0;
	span->s = t.s;
	if (in_list(&t, dows)) {
		if (!next_tok(&p, end, &t))
			return 0;
	} else if (!dowopt)
		return 0;
	if (!in_list(&t, months) || !next_tok(&p, end, &day) ||
	    day.n > 2 || !all_digits(day.s, day.n) || !next_tok(&p, end, &t) ||
	    !is_clock(&t))
		return 0;
	span->n = (size_t)(t.s + t.n - span->s);
	*cur = p;
	return 1;
}

/* --- the message being assembled ---------------------------------------- */

/* Copy s into the message buffer; NULL when it is full. */
static const char *
msg_store(struct mailq *q, const char *s, size_t n)
{
	char	*d;

	if (n + 1 > sizeof(q->buf) - q->used)
		return NULL;
	d = q->buf + q->used;
	memcpy(d, s, n);
	d[n] = '\0';
	q->used += n + 1;
	return d;
}

/* An address as printed: surrounding <> removed. */
static void
addr_strip(const char **s, size_t *n)
{
	if (*n >= 2 && (*s)[0] == '<' && (*s)[*n - 1] == '>') {
		(*s)++;
		*n -= 2;
	}
}

static void
msg_end(struct mailq *q)
{
	struct mailq_msg	*m = &q->msg;

	if (!q->inmsg)
		return;
	q->inmsg = 0;
	q->st.messages++;
	q->st.status[m->status]++;
	q->st.recipients += m->nrcpt_total;
	q->st.bytes += m->size;
	if (m->nrcpt_total > m->nrcpt)
		q->st.truncated++;
	m->rcpt = q->rcpt;
	if (q->cb)
		q->cb(m, q->arg);
}

static void
msg_begin(struct mailq *q, const struct tok *id, uint64_t size,
    const struct tok *arrival, const char *snd, size_t sndlen,
    enum mailq_status status)
{
	struct mailq_msg	*m = &q->msg;

	msg_end(q);
	memset(m, 0, sizeof(*m));
	q->used = 0;
	q->inmsg = 1;
	/* Each is shorter than a line: they always fit. */
	m->id = msg_store(q, id->s, id->n);
	m->arrival = msg_store(q, arrival->s, arrival->n);
	addr_strip(&snd, &sndlen);
	if (sndlen == 13 && memcmp(snd, "MAILER-DAEMON", 13) == 0)
		sndlen = 0;
	m->sender = msg_store(q, snd, sndlen);
	m->size = size;
	m->status = status;
}

static void
msg_reason(struct mailq *q, const char *s, const char *e)
{
	struct mailq_msg	*m = &q->msg;

	/* s points at '(': keep what is inside the outer parentheses. */
	s++;
	if (e > s && e[-1] == ')')
		e--;
	if (m->reason == NULL)
		m->reason = msg_store(q, s, (size_t)(e - s));
	if (m->status == MAILQ_QUEUED)
		m->status = MAILQ_DEFERRED;
}

static void
msg_rcpt(struct mailq *q, const char *s, size_t n, int delivered)
{
	struct mailq_msg	*m = &q->msg;
	const char		*a;

	addr_strip(&s, &n);
	m->nrcpt_total++;
	if (delivered)
		q->st.delivered++;
	if (m->nrcpt < MAILQ_RCPT_MAX && (a = msg_store(q, s, n)) != NULL) {
		q->rcpt[m->nrcpt].addr = a;
		q->rcpt[m->nrcpt].delivered = delivered;
		m->nrcpt++;
	}
}

/* --- Postfix ------------------------------------------------------------ */

/* "DA877A727EE*    858 Mon Nov 30 12:10:15  alice@office.example" */
static int
pf_entry(struct mailq *q, const char *s, const char *e)
{
	const char		*p = s;
	struct tok		 id, sz, date;
	enum mailq_status	 st = MAILQ_QUEUED;
	uint64_t		 size;
	size_t			 i;

	if (is_sp(*s) || !next_tok(&p, e, &id))
		return 0;
	if (id.n > 1 && id.s[id.n - 1] == '*')
		st = MAILQ_ACTIVE;
	else if (id.n > 1 && id.s[id.n - 1] == '!')
		st = MAILQ_HOLD;
	if (st != MAILQ_QUEUED)
		id.n--;
	for (i = 0; i < id.n; i++)
		if (!isalnum((unsigned char)id.s[i]))
			return 0;
	if (!next_tok(&p, e, &sz) || parse_u64(sz.s, sz.n, &size) == -1 ||
	    !parse_date(&p, e, 0, &date))
		return 0;
	p = skip_sp(p, e);
	msg_begin(q, &id, size, &date, p, (size_t)(e - p), st);
	return 1;
}

/* "-- 2 Kbytes in 3 Requests." */
static int
pf_trailer(const char *s, const char *e, int64_t *n)
{
	const char	*p = s;
	struct tok	 t[6], extra;
	uint64_t	 v;
	int		 i;

	for (i = 0; i < 6; i++)
		if (!next_tok(&p, e, &t[i]))
			return 0;
	if (next_tok(&p, e, &extra) || !tok_eq(&t[0], "--") ||
	    !all_digits(t[1].s, t[1].n) || !tok_eq(&t[2], "Kbytes") ||
	    !tok_eq(&t[3], "in") || parse_u64(t[4].s, t[4].n, &v) == -1 ||
	    (!tok_eq(&t[5], "Requests.") && !tok_eq(&t[5], "Request.")))
		return 0;
	*n = (int64_t)v;
	return 1;
}

static int
pf_line(struct mailq *q, const char *s, const char *e)
{
	const char	*ts = s, *te = e, *p;
	struct tok	 t;
	int64_t		 n;

	trim(&ts, &te);
	if (has_prefix(ts, (size_t)(te - ts), "-Queue ID-")) {
		msg_end(q);
		return 1;
	}
	if ((size_t)(te - ts) == 19 && memcmp(ts, "Mail queue is empty",
	    19) == 0) {
		msg_end(q);
		q->rep_trailer = q->rep_trailer < 0 ? 0 : q->rep_trailer;
		return 1;
	}
	if (pf_trailer(ts, te, &n)) {
		msg_end(q);
		q->rep_trailer = (q->rep_trailer < 0 ? 0 : q->rep_trailer) + n;
		return 1;
	}
	if (pf_entry(q, s, e))
		return 1;
	if (!q->inmsg)
		return 0;
	if (*ts == '(') {
		msg_reason(q, ts, te);
		return 1;
	}
	p = ts;
	if (is_sp(*s) && next_tok(&p, te, &t) && p == te) {
		msg_rcpt(q, t.s, t.n, 0);
		return 1;
	}
	return 0;
}

/* --- Sendmail ----------------------------------------------------------- */

/* "/var/spool/mqueue (2 requests)", "Mail Queue (1 request)",
 * "/var/spool/mqueue (9 requests, only 5 printed)": the count, or -1. */
static int64_t
sm_request_count(const char *s, const char *e)
{
	const char	*p;
	uint64_t	 v;

	for (p = s; p < e; p++) {
		const char	*d, *q;

		if (*p != '(')
			continue;
		for (d = q = p + 1; q < e && isdigit((unsigned char)*q); q++)
			;
		if (q == d || parse_u64(d, (size_t)(q - d), &v) == -1)
			continue;
		if (has_prefix(q, (size_t)(e - q), " request)") ||
		    has_prefix(q, (size_t)(e - q), " requests)") ||
		    has_prefix(q, (size_t)(e - q), " requests,"))
			return (int64_t)v;
	}
	return -1;
}

/* A Sendmail header or summary line (ts..te trimmed)?  Updates counts. */
static int
sm_header(struct mailq *q, const char *ts, const char *te)
{
	size_t		 n = (size_t)(te - ts);
	int64_t		 c;
	uint64_t	 v;
	const char	*p;

	if (has_prefix(ts, n, "MSP Queue status") ||
	    has_prefix(ts, n, "MTA Queue status") ||
	    (*ts == '-' && memmem(ts, n, "Q-ID--", 6) != NULL))
		return 1;
	if (has_prefix(ts, n, "Total requests:")) {
		p = skip_sp(ts + 15, te);
		if (parse_u64(p, (size_t)(te - p), &v) == -1)
			return 0;
		q->rep_total = (q->rep_total < 0 ? 0 : q->rep_total) +
		    (int64_t)v;
		return 1;
	}
	if ((*ts == '/' && has_suffix(ts, n, " is empty")) ||
	    (n == 19 && memcmp(ts, "Mail queue is empty", 19) == 0)) {
		q->rep_header = q->rep_header < 0 ? 0 : q->rep_header;
		return 1;
	}
	if ((*ts == '/' || has_prefix(ts, n, "Mail Queue (")) &&
	    (c = sm_request_count(ts, te)) >= 0) {
		q->rep_header = (q->rep_header < 0 ? 0 : q->rep_header) + c;
		return 1;
	}
	return 0;
}

/* "x4DCtJ5p012345*    1523 Mon May 13 12:55 <alice@office.example>" */
static int
sm_entry(struct mailq *q, const char *ts, const char *te)
{
	const char		*p = ts, *idend, *save;
	struct tok		 id, sz, date, prio;
	enum mailq_status	 st = MAILQ_QUEUED;
	uint64_t		 size, v;

	for (idend = ts; idend < te && isalnum((unsigned char)*idend); idend++)
		;
	if (idend == ts)
		return 0;
	id.s = ts;
	id.n = (size_t)(idend - ts);
	for (p = idend; p < te && strchr("*X-?", *p) != NULL; p++)
		if (*p == '*')
			st = MAILQ_ACTIVE;
	/* The size may follow the markers with no space when it is wide. */
	if (p == idend && p < te && !is_sp(*p))
		return 0;
	if (!next_tok(&p, te, &sz) || parse_u64(sz.s, sz.n, &size) == -1)
		return 0;
	save = p;
	if (!parse_date(&p, te, 1, &date)) {
		/* sendmail -v: a priority column before the date */
		p = save;
		if (!next_tok(&p, te, &prio) ||
		    parse_u64(prio.s, prio.n, &v) == -1 ||
		    !parse_date(&p, te, 1, &date))
			return 0;
	}
	p = skip_sp(p, te);
	msg_begin(q, &id, size, &date, p, (size_t)(te - p), st);
	return 1;
}

static int
sm_line(struct mailq *q, const char *s, const char *e)
{
	const char	*ts = s, *te = e, *p;
	struct tok	 t;

	trim(&ts, &te);
	if (sm_header(q, ts, te)) {
		msg_end(q);
		return 1;
	}
	if (sm_entry(q, ts, te))
		return 1;
	if (!q->inmsg)
		return 0;
	if (*ts == '(') {
		msg_reason(q, ts, te);
		return 1;
	}
	if (has_prefix(ts, (size_t)(te - ts), "QUARANTINE:")) {
		p = skip_sp(ts + 11, te);
		q->msg.reason = msg_store(q, p, (size_t)(te - p));
		q->msg.status = MAILQ_HOLD;
		return 1;
	}
	p = ts;
	if (is_sp(*s) && next_tok(&p, te, &t) && p == te) {
		msg_rcpt(q, t.s, t.n, 0);
		return 1;
	}
	return 0;
}

/* --- Exim --------------------------------------------------------------- */

/* "25m", "2h", "3d" */
static int
ex_is_age(const struct tok *t)
{
	return t->n >= 2 && all_digits(t->s, t->n - 1) &&
	    strchr("smhdwy", t->s[t->n - 1]) != NULL;
}

/* "512", "2.9K", "12K", "1.2M": bytes, or -1. */
static int
ex_size(const struct tok *t, uint64_t *bytes)
{
	const char	*s = t->s, *e = t->s + t->n, *dot;
	uint64_t	 ip, mult = 1, frac = 0;

	if (e > s && strchr("KMG", e[-1]) != NULL) {
		mult = e[-1] == 'K' ? 1024 : e[-1] == 'M' ? 1024 * 1024 :
		    1024ULL * 1024 * 1024;
		e--;
	}
	for (dot = s; dot < e && *dot != '.'; dot++)
		;
	if (parse_u64(s, (size_t)(dot - s), &ip) == -1 || ip > 1000000)
		return -1;
	if (dot < e) {
		if (e - dot != 2 || !isdigit((unsigned char)dot[1]))
			return -1;
		frac = (uint64_t)(dot[1] - '0');
	}
	*bytes = (ip * 10 + frac) * mult / 10;
	return 0;
}

/* "1RwtJa-000AAn-Cb" (Exim < 4.97) or "1rJ9fq-00000000Zkl-1d3E". */
static int
ex_is_id(const struct tok *t)
{
	size_t	 i, part = 0, plen = 0;
	size_t	 lens[3];

	for (i = 0; i < t->n; i++) {
		if (t->s[i] == '-') {
			if (part == 2)
				return 0;
			lens[part++] = plen;
			plen = 0;
		} else if (isalnum((unsigned char)t->s[i]))
			plen++;
		else
			return 0;
	}
	if (part != 2)
		return 0;
	lens[2] = plen;
	return lens[0] == 6 && lens[1] >= 6 && lens[1] <= 11 &&
	    lens[2] >= 2 && lens[2] <= 4;
}

static int
ex_entry(struct mailq *q, const char *s, const char *e)
{
	const char		*p = s, *gt;
	struct tok		 age, sz, id;
	enum mailq_status	 st = MAILQ_QUEUED;
	uint64_t		 size;

	if (!next_tok(&p, e, &age) || !ex_is_age(&age) ||
	    !next_tok(&p, e, &sz) || ex_size(&sz, &size) == -1 ||
	    !next_tok(&p, e, &id) || !ex_is_id(&id))
		return 0;
	p = skip_sp(p, e);
	if (p == e || *p != '<' || (gt = memchr(p, '>', (size_t)(e - p))) ==
	    NULL)
		return 0;
	gt++;
	if (memmem(gt, (size_t)(e - gt), "*** frozen ***", 14) != NULL)
		st = MAILQ_FROZEN;
	msg_begin(q, &id, size, &age, p, (size_t)(gt - p), st);
	return 1;
}

static int
ex_line(struct mailq *q, const char *s, const char *e)
{
	const char	*ts = s, *te = e, *p;
	struct tok	 t;
	int		 delivered = 0;

	if (ex_entry(q, s, e))
		return 1;
	trim(&ts, &te);
	if (!q->inmsg || !is_sp(*s))
		return 0;
	p = ts;
	if (!next_tok(&p, te, &t))
		return 0;
	if (tok_eq(&t, "D") || tok_eq(&t, "+D")) {
		delivered = 1;
		if (!next_tok(&p, te, &t))
			return 0;
	}
	if (p != te)
		return 0;
	msg_rcpt(q, t.s, t.n, delivered);
	return 1;
}

/* --- lines -------------------------------------------------------------- */

/* Which format does this line announce?  Handles it if one does. */
static int
detect(struct mailq *q, const char *s, const char *e)
{
	const char	*ts = s, *te = e;
	size_t		 n;

	trim(&ts, &te);
	n = (size_t)(te - ts);
	if (has_prefix(ts, n, "-Queue ID-") ||
	    (n == 19 && memcmp(ts, "Mail queue is empty", 19) == 0)) {
		q->st.format = MAILQ_FMT_POSTFIX;
		return pf_line(q, s, e);
	}
	if (sm_header(q, ts, te)) {
		q->st.format = MAILQ_FMT_SENDMAIL;
		return 1;
	}
	if (ex_entry(q, s, e)) {
		q->st.format = MAILQ_FMT_EXIM;
		return 1;
	}
	return 0;
}

static void
line_done(struct mailq *q)
{
	const char	*s = q->line, *e = q->line + q->llen, *ts, *te;
	int		 ok = 0;

	q->st.lines++;
	if (q->llen > 0 && e[-1] == '\r')
		e--;
	if (q->overlong || q->hasnul) {
		q->st.garbage++;
		goto out;
	}
	ts = s;
	te = e;
	trim(&ts, &te);
	if (ts == te) {
		msg_end(q);	/* blank: between messages */
		goto out;
	}
	q->seen = 1;
	switch (q->st.format) {
	case MAILQ_FMT_UNKNOWN:
		ok = detect(q, s, e);
		break;
	case MAILQ_FMT_POSTFIX:
		ok = pf_line(q, s, e);
		break;
	case MAILQ_FMT_SENDMAIL:
		ok = sm_line(q, s, e);
		break;
	case MAILQ_FMT_EXIM:
		ok = ex_line(q, s, e);
		break;
	default:
		break;
	}
	if (!ok)
		q->st.garbage++;
out:
	q->llen = 0;
	q->overlong = q->hasnul = 0;
}

/* --- the interface ------------------------------------------------------ */

struct mailq *
mailq_new(mailq_cb cb, void *arg)
{
	struct mailq	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->cb = cb;
	q->arg = arg;
	q->rep_trailer = q->rep_header = q->rep_total = -1;
	q->st.reported = -1;
	return q;
}

void
mailq_free(struct mailq *q)
{
	free(q);
}

void
mailq_feed(struct mailq *q, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 n, room;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl ? (size_t)(nl - buf) : len;
		room = sizeof(q->line) - 1 - q->llen;
		if (n > room) {
			q->overlong = 1;
			memcpy(q->line + q->llen, buf, room);
			q->llen += room;
		} else {
			memcpy(q->line + q->llen, buf, n);
			q->llen += n;
		}
		if (!q->hasnul && memchr(buf, '\0', n) != NULL)
			q->hasnul = 1;
		q->line[q->llen] = '\0';
		if (nl == NULL)
			return;
		line_done(q);
		buf += n + 1;
		len -= n + 1;
	}
}

int
mailq_finish(struct mailq *q, char *err, size_t errlen)
{
	if (q->llen > 0 || q->overlong || q->hasnul)
		line_done(q);
	msg_end(q);
	if (q->st.format == MAILQ_FMT_UNKNOWN) {
		if (q->seen || q->st.garbage > 0) {
			snprintf(err, errlen, "unknown mailq output format: "
			    "none of %llu lines looks like Postfix, Sendmail "
			    "or Exim", (unsigned long long)q->st.lines);
			return -1;
		}
		q->st.format = MAILQ_FMT_EXIM;	/* nothing: Exim's empty */
	}
	if (q->rep_trailer >= 0)
		q->st.reported = q->rep_trailer;
	else if (q->rep_total >= 0)
		q->st.reported = q->rep_total;
	else
		q->st.reported = q->rep_header;
	return 0;
}

const struct mailq_stats *
mailq_stats(const struct mailq *q)
{
	return &q->st;
}

int
mailq_parse(const char *text, size_t len, mailq_cb cb, void *arg,
    struct mailq_stats *st, char *err, size_t errlen)
{
	struct mailq	*q;
	int		 rc;

	if ((q = mailq_new(cb, arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	mailq_feed(q, text, len);
	rc = mailq_finish(q, err, errlen);
	if (st)
		*st = q->st;
	mailq_free(q);
	return rc;
}

char *
mailq_addr_domain(const char *addr, char *buf, size_t len)
{
	const char	*at, *e;
	size_t		 i, n;

	if (len == 0 || (at = strrchr(addr, '@')) == NULL)
		return NULL;
	at++;
	e = at + strlen(at);
	while (e > at && (e[-1] == '>' || e[-1] == '.'))
		e--;
	if (e == at)
		return NULL;
	n = (size_t)(e - at);
	if (n > len - 1)
		n = len - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)at[i]);
	buf[n] = '\0';
	return buf;
}
