/*
 * test_mailq.c -- unit tests for tools/mailq.c, the mailq output parser:
 * every recorded output in tests/data/mailq parsed with exact messages,
 * ids, sizes, senders, recipients and statuses (fed whole, in 7-byte
 * pieces and byte by byte: the same result); format detection; counted
 * garbage; bounded memory on 5 MB of garbage and on a million generated
 * messages.  And tools/mailq_top.c, the Space-Saving top-N counter
 * queue-check counts with: exact below capacity, ranking, cut keys, the
 * error bound and the guarantee for heavy keys, deletion from its hash
 * under eviction.  Both come from libtools.a.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mailq.h"
#include "mailq_top.h"

#define DATADIR		"tests/data/mailq"
#define KEEP_MSGS	16
#define KEEP_RCPTS	8

struct kmsg {
	char		 id[64], arrival[64], sender[128], reason[256];
	int		 has_reason;
	uint64_t	 size;
	enum mailq_status status;
	size_t		 nrcpt, nrcpt_total;
	char		 rcpt[KEEP_RCPTS][128];
	int		 delivered[KEEP_RCPTS];
};

struct coll {
	size_t		 n;
	struct kmsg	 m[KEEP_MSGS];
};

static void
collect_cb(const struct mailq_msg *m, void *arg)
{
	struct coll	*c = arg;
	struct kmsg	*k;
	size_t		 i;

	if (c->n >= KEEP_MSGS) {
		c->n++;
		return;
	}
	k = &c->m[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", m->id);
	snprintf(k->arrival, sizeof(k->arrival), "%s", m->arrival);
	snprintf(k->sender, sizeof(k->sender), "%s", m->sender);
	if (m->reason) {
		k->has_reason = 1;
		snprintf(k->reason, sizeof(k->reason), "%s", m->reason);
	}
	k->size = m->size;
	k->status = m->status;
	k->nrcpt = m->nrcpt;
	k->nrcpt_total = m->nrcpt_total;
	for (i = 0; i < m->nrcpt && i < KEEP_RCPTS; i++) {
		snprintf(k->rcpt[i], sizeof(k->rcpt[i]), "%s", m->rcpt[i].addr);
		k->delivered[i] = m->rcpt[i].delivered;
	}
}

static char *
slurp(const char *name, size_t *len)
{
	char	 path[256], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", getenv("ORBL_MAILQ_DATA") ?
	    getenv("ORBL_MAILQ_DATA") : DATADIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open (run from the source root)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parse text fed in pieces of `piece` bytes (0: all at once). */
static int
parse_pieces(const char *text, size_t len, size_t piece, struct coll *c,
    struct mailq_stats *st, char *err, size_t errlen)
{
	struct mailq	*q;
	size_t		 off, n;
	int		 rc;

	memset(c, 0, sizeof(*c));
	assert_non_null(q = mailq_new(collect_cb, c));
	if (piece == 0)
		piece = len ? len : 1;
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		mailq_feed(q, text + off, n);
	}
	rc = mailq_finish(q, err, errlen);
	*st = *mailq_stats(q);
	mailq_free(q);
	return rc;
}

/*
 * Parse a data file three ways; all three must agree.  Returns finish's
 * result, the messages in c and the counters in st.
 */
static int
parse_file(const char *name, struct coll *c, struct mailq_stats *st)
{
	static const size_t	 pieces[] = { 0, 7, 1 };
	struct coll		 c2;
	struct mailq_stats	 st2;
	char			 err[256], err2[256];
	char			*text;
	size_t			 len, i;
	int			 rc, rc2;

	text = slurp(name, &len);
	err[0] = '\0';
	rc = parse_pieces(text, len, pieces[0], c, st, err, sizeof(err));
	for (i = 1; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		err2[0] = '\0';
		rc2 = parse_pieces(text, len, pieces[i], &c2, &st2, err2,
		    sizeof(err2));
		assert_int_equal(rc2, rc);
		assert_string_equal(err2, err);
		assert_memory_equal(&st2, st, sizeof(st2));
		assert_int_equal(c2.n, c->n);
		assert_memory_equal(c2.m, c->m, sizeof(c2.m));
	}
	free(text);
	return rc;
}

static void
assert_rcpts(const struct kmsg *k, size_t n, ...)
{
	va_list	 ap;
	size_t	 i;

	assert_int_equal(k->nrcpt, n);
	assert_int_equal(k->nrcpt_total, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(k->rcpt[i], va_arg(ap, const char *));
	va_end(ap);
}

/* --- recorded outputs ---------------------------------------------------- */

static void
test_postfix_empty(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("postfix-empty.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_POSTFIX);
	assert_int_equal(st.messages, 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(st.reported, 0);
	assert_int_equal(st.garbage, 0);
	assert_int_equal(st.lines, 1);
}

static void
test_postfix_small(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("postfix-small.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_POSTFIX);
	assert_int_equal(st.messages, 3);
	assert_int_equal(c.n, 3);
	assert_int_equal(st.reported, 3);
	assert_int_equal(st.garbage, 0);
	assert_int_equal(st.recipients, 5);
	assert_int_equal(st.bytes, 2310 + 1877 + 4096);
	assert_int_equal(st.status[MAILQ_ACTIVE], 1);
	assert_int_equal(st.status[MAILQ_DEFERRED], 1);
	assert_int_equal(st.status[MAILQ_HOLD], 1);
	assert_int_equal(st.status[MAILQ_QUEUED], 0);

	assert_string_equal(c.m[0].id, "4F2A1C0D3B");
	assert_int_equal(c.m[0].size, 2310);
	assert_string_equal(c.m[0].arrival, "Tue Mar  5 09:14:02");
	assert_string_equal(c.m[0].sender, "alice@office.example");
	assert_int_equal(c.m[0].status, MAILQ_ACTIVE);
	assert_false(c.m[0].has_reason);
	assert_rcpts(&c.m[0], 2, "bob@partner.example",
	    "carol@partner.example");

	/* MAILER-DAEMON is the null sender; the first reason is kept */
	assert_string_equal(c.m[1].id, "8C31E0A9F7");
	assert_int_equal(c.m[1].size, 1877);
	assert_string_equal(c.m[1].sender, "");
	assert_int_equal(c.m[1].status, MAILQ_DEFERRED);
	assert_true(c.m[1].has_reason);
	assert_string_equal(c.m[1].reason, "connect to "
	    "mx.bounce.example[198.51.100.25]:25: Connection timed out");
	assert_rcpts(&c.m[1], 2, "dave@bounce.example", "gus@slow.example");

	assert_string_equal(c.m[2].id, "B7D9204E11");
	assert_int_equal(c.m[2].status, MAILQ_HOLD);
	assert_string_equal(c.m[2].arrival, "Mon Mar  4 23:02:17");
	assert_string_equal(c.m[2].sender, "erin@office.example");
	assert_rcpts(&c.m[2], 1, "frank@client.example");
}

static void
test_sendmail_empty(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("sendmail-empty.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_SENDMAIL);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.reported, 0);
	assert_int_equal(st.garbage, 0);
}

static void
test_sendmail_small(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("sendmail-small.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_SENDMAIL);
	assert_int_equal(st.messages, 4);
	assert_int_equal(c.n, 4);
	assert_int_equal(st.reported, 4);	/* the two Total lines */
	assert_int_equal(st.garbage, 0);
	assert_int_equal(st.recipients, 5);
	assert_int_equal(st.status[MAILQ_ACTIVE], 1);
	assert_int_equal(st.status[MAILQ_DEFERRED], 2);
	assert_int_equal(st.status[MAILQ_HOLD], 1);

	assert_string_equal(c.m[0].id, "x2R8dKp4011873");
	assert_int_equal(c.m[0].size, 1523);
	assert_string_equal(c.m[0].arrival, "Wed Mar 27 08:39");
	assert_string_equal(c.m[0].sender, "alice@office.example");
	assert_int_equal(c.m[0].status, MAILQ_ACTIVE);
	assert_rcpts(&c.m[0], 1, "bob@partner.example");

	assert_string_equal(c.m[1].id, "x2R7xQ7u011520");
	assert_int_equal(c.m[1].status, MAILQ_DEFERRED);
	assert_string_equal(c.m[1].reason,
	    "Deferred: Connection refused by mx.partner.example.");
	assert_rcpts(&c.m[1], 2, "dave@partner.example",
	    "erin@Client.Example");

	assert_string_equal(c.m[2].sender, "");
	assert_int_equal(c.m[2].size, 512);
	assert_string_equal(c.m[2].reason,
	    "host map: lookup (bogus.example): deferred");
	assert_rcpts(&c.m[2], 1, "frank@bogus.example");

	/* '-' (too young) is not a status; QUARANTINE is a hold */
	assert_string_equal(c.m[3].id, "x2Q22Lm9031102");
	assert_int_equal(c.m[3].size, 18234);
	assert_int_equal(c.m[3].status, MAILQ_HOLD);
	assert_string_equal(c.m[3].reason, "held for review by postmaster");
	assert_rcpts(&c.m[3], 1, "hank@client.example");
}

static void
test_sendmail_old(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("sendmail-old.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_SENDMAIL);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.reported, 2);	/* "Mail Queue (2 requests)" */
	assert_int_equal(st.garbage, 0);
	assert_string_equal(c.m[0].id, "RAA01234");
	assert_string_equal(c.m[0].sender, "root");
	assert_int_equal(c.m[0].status, MAILQ_ACTIVE);
	assert_rcpts(&c.m[0], 1, "alice@partner.example");
	assert_string_equal(c.m[1].id, "RAA01240");
	assert_int_equal(c.m[1].status, MAILQ_DEFERRED);
	assert_rcpts(&c.m[1], 1, "dave@far.example");
}

static void
test_exim_empty(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("exim-empty.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_EXIM);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.reported, -1);
	assert_int_equal(st.lines, 0);
}

static void
test_exim_small(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	assert_int_equal(parse_file("exim-small.txt", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_EXIM);
	assert_int_equal(st.messages, 3);
	assert_int_equal(st.garbage, 0);
	assert_int_equal(st.recipients, 6);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.status[MAILQ_FROZEN], 1);
	assert_int_equal(st.status[MAILQ_QUEUED], 2);

	assert_string_equal(c.m[0].id, "1uKq7T-000Bc4-Qm");
	assert_int_equal(c.m[0].size, 2969);		/* 2.9K */
	assert_string_equal(c.m[0].arrival, "25m");
	assert_string_equal(c.m[0].sender, "alice@office.example");
	assert_int_equal(c.m[0].status, MAILQ_QUEUED);
	assert_rcpts(&c.m[0], 2, "bob@partner.example",
	    "carol@partner.example");
	assert_int_equal(c.m[0].delivered[0], 0);
	assert_int_equal(c.m[0].delivered[1], 1);

	assert_string_equal(c.m[1].id, "1uKmZ0-0007Xr-2P");
	assert_int_equal(c.m[1].size, 12 * 1024);
	assert_string_equal(c.m[1].sender, "");
	assert_int_equal(c.m[1].status, MAILQ_FROZEN);
	assert_rcpts(&c.m[1], 1, "newsletter-bounces@lists.far.example");

	/* Exim 4.97's longer message ids */
	assert_string_equal(c.m[2].id, "1uJ3Lw-00000004Tq8-1d3E");
	assert_int_equal(c.m[2].size, 11 * 1024 * 1024 / 10);	/* 1.1M */
	assert_string_equal(c.m[2].arrival, "2d");
	assert_rcpts(&c.m[2], 3, "erin@client.example",
	    "frank@client.example", "gina@slow.example");
	assert_int_equal(c.m[2].delivered[0], 1);
	assert_int_equal(c.m[2].delivered[1], 0);
}

static void
test_garbage_file(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;
	char			 err[256];
	char			*text;
	size_t			 len;

	(void)state;
	assert_int_equal(parse_file("garbage.txt", &c, &st), -1);
	assert_int_equal(st.format, MAILQ_FMT_UNKNOWN);
	assert_int_equal(st.messages, 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(st.lines, 15);
	assert_int_equal(st.garbage, 14);	/* all but the blank one */
	text = slurp("garbage.txt", &len);
	err[0] = '\0';
	assert_int_equal(mailq_parse(text, len, NULL, NULL, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown mailq output format"));
	free(text);
}

/* --- detection and robustness -------------------------------------------- */

static int
parse_str(const char *s, struct coll *c, struct mailq_stats *st)
{
	char	 err[256];

	return parse_pieces(s, strlen(s), 0, c, st, err, sizeof(err));
}

static void
test_detect(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;

	(void)state;
	/* junk before the Postfix header is counted, then ignored */
	assert_int_equal(parse_str("postqueue: warning: Mail system is down "
	    "-- accessing queue directly\r\n"
	    "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient---\r\n"
	    "4Q1XyZ3kQXz1wL     858 Mon Nov 30 12:10:15  a@b.example\r\n"
	    "                                         c@d.example\r\n"
	    "a line that means nothing\r\n"
	    "-- 0 Kbytes in 1 Request.", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_POSTFIX);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.garbage, 2);
	assert_int_equal(st.reported, 1);
	assert_string_equal(c.m[0].id, "4Q1XyZ3kQXz1wL");	/* long id */
	assert_rcpts(&c.m[0], 1, "c@d.example");

	/* a Postfix entry without the header is not Postfix */
	assert_int_equal(parse_str("4F2A1C0D3B*    2310 Tue Mar  5 09:14:02  "
	    "a@b.example\n", &c, &st), -1);

	/* one Exim line is enough; no trailing newline */
	assert_int_equal(parse_str(" 0m   512 1uKq7T-000Bc4-Qm <a@b.example>\n"
	    "          c@d.example", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_EXIM);
	assert_int_equal(st.messages, 1);
	assert_rcpts(&c.m[0], 1, "c@d.example");

	/* Sendmail's "is empty" alone, and its -v priority column */
	assert_int_equal(parse_str("/var/spool/mqueue is empty\n", &c, &st),
	    0);
	assert_int_equal(st.format, MAILQ_FMT_SENDMAIL);
	assert_int_equal(st.reported, 0);
	assert_int_equal(parse_str("\t\t/var/spool/mqueue (1 request)\n"
	    "-----Q-ID----- --Size-- -Priority- ---Q-Time--- ---Sender---\n"
	    "x2R8dKp4011873X    1523      30125 Mar 27 08:39 <a@b.example>\n"
	    "                 (Deferred: 421 try later)\n"
	    "                                         <c@d.example>\n",
	    &c, &st), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.garbage, 0);
	assert_string_equal(c.m[0].arrival, "Mar 27 08:39");
	assert_int_equal(c.m[0].status, MAILQ_DEFERRED);
	assert_int_equal(st.reported, 1);

	/* white space only: Exim's empty queue */
	assert_int_equal(parse_str("\n  \n\t\n", &c, &st), 0);
	assert_int_equal(st.format, MAILQ_FMT_EXIM);
	assert_int_equal(st.messages, 0);

	/* the trailer may disagree with what is listed: both are kept */
	assert_int_equal(parse_str("-Queue ID- --Size--\n"
	    "ABCDEF0123     100 Mon Nov 30 12:10:15  a@b.example\n"
	    "                                         c@d.example\n\n"
	    "-- 1 Kbytes in 5 Requests.\n", &c, &st), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.reported, 5);
}

/* One message with more recipients than are listed; an overlong line. */
static void
test_message_limits(void **state)
{
	struct coll		 c;
	struct mailq_stats	 st;
	struct mailq		*q;
	char			 line[128], err[128];
	static char		 longline[MAILQ_LINE_MAX * 2];
	int			 i;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_non_null(q = mailq_new(collect_cb, &c));
	snprintf(line, sizeof(line), "-Queue ID-\nABCDEF0123     100 Mon Nov "
	    "30 12:10:15  list@b.example\n");
	mailq_feed(q, line, strlen(line));
	memset(longline, 'x', sizeof(longline) - 2);
	longline[0] = ' ';
	longline[sizeof(longline) - 2] = '\n';
	mailq_feed(q, longline, sizeof(longline) - 1);
	for (i = 0; i < 10000; i++) {
		snprintf(line, sizeof(line), "%41su%d@d%d.example\n", "", i,
		    i % 7);
		mailq_feed(q, line, strlen(line));
	}
	assert_int_equal(mailq_finish(q, err, sizeof(err)), 0);
	st = *mailq_stats(q);
	mailq_free(q);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.garbage, 1);	/* the overlong line */
	assert_int_equal(st.recipients, 10000);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(c.m[0].nrcpt, MAILQ_RCPT_MAX);
	assert_int_equal(c.m[0].nrcpt_total, 10000);
	assert_string_equal(c.m[0].rcpt[0], "u0@d0.example");
	assert_string_equal(c.m[0].sender, "list@b.example");
}

static size_t
heap_in_use(void)
{
	struct mallinfo2	 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* 5 MB of garbage with NULs and huge lines: an error, bounded. */
static void
test_garbage_5mb(void **state)
{
	struct mailq		*q;
	const struct mailq_stats *st;
	char			 chunk[65536], err[256];
	size_t			 total = 0, i, base, lines = 0;
	uint32_t		 x = 12345;
	clock_t			 t0 = clock();

	(void)state;
	assert_non_null(q = mailq_new(NULL, NULL));
	base = heap_in_use();
	while (total < 5 * 1024 * 1024) {
		for (i = 0; i < sizeof(chunk); i++) {
			x = x * 1103515245 + 12345;
			chunk[i] = (char)(x >> 16);
			/* random lines, and one overlong line per chunk */
			if (i < 20000 && chunk[i] == '\n')
				chunk[i] = 'n';
			if (chunk[i] == '\n')
				lines++;
		}
		mailq_feed(q, chunk, sizeof(chunk));
		total += sizeof(chunk);
	}
	assert_int_equal(mailq_finish(q, err, sizeof(err)), -1);
	st = mailq_stats(q);
	assert_int_equal(st->format, MAILQ_FMT_UNKNOWN);
	assert_int_equal(st->messages, 0);
	assert_true(st->garbage > 1000);
	assert_true(st->lines >= lines && st->lines <= lines + 1);
	assert_true(st->garbage <= st->lines);
	assert_true(heap_in_use() <= base + 4096);	/* nothing allocated */
	mailq_free(q);
	(void)t0;	/* bounded work is checked by memory, not by time */
}

/*
 * A relaying spam queue, the seed's picture: N Postfix messages, 60 %
 * deferred to three big freemail domains, the rest spread over
 * `ndomains` small ones, a quarter of them bounces (backscatter).
 * Streamed through the parser in 64 KB pieces, counted with two top-N
 * tables.
 */
struct spam_count {
	struct mailq_top	*dom, *snd;
	uint64_t		 msgs;
};

static void
spam_cb(const struct mailq_msg *m, void *arg)
{
	struct spam_count	*sc = arg;
	char			 d[MAILQ_TOP_KEY_MAX];
	size_t			 i;

	sc->msgs++;
	mailq_top_add(sc->snd, m->sender, strlen(m->sender));
	for (i = 0; i < m->nrcpt; i++)
		if (mailq_addr_domain(m->rcpt[i].addr, d, sizeof(d)))
			mailq_top_add(sc->dom, d, strlen(d));
}

static const char *const big3[] = { "hotmail.example", "yahoo.example",
    "aol.example" };

static void
spam_stream(uint64_t n, uint64_t ndomains, struct spam_count *sc,
    struct mailq_stats *out)
{
	struct mailq	*q;
	char		 buf[65536 + 512], err[256];
	size_t		 len = 0;
	uint64_t	 i;
	size_t		 base;

	assert_non_null(q = mailq_new(spam_cb, sc));
	base = heap_in_use();
	len = (size_t)snprintf(buf, sizeof(buf), "-Queue ID-  --Size-- "
	    "----Arrival Time---- -Sender/Recipient-------\n");
	for (i = 0; i < n; i++) {
		const char	*dom, *snd;
		char		 sndbuf[64], dombuf[64];

		if (i % 10 < 6)
			dom = big3[i % 10 % 3];
		else {
			snprintf(dombuf, sizeof(dombuf), "isp%llu.example",
			    (unsigned long long)(i % ndomains));
			dom = dombuf;
		}
		if (i % 4 == 0)
			snd = "MAILER-DAEMON";
		else if (i % 4 == 1)
			snd = "promo@cheap-meds.example";
		else {
			snprintf(sndbuf, sizeof(sndbuf), "u%llu@forged.example",
			    (unsigned long long)i);
			snd = sndbuf;
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%010llX%c %7llu Tue Mar 12 02:%02llu:%02llu  %s\n"
		    "%18s(connect to mx.%s[203.0.113.5]:25: Connection timed "
		    "out)\n%41suser%llu@%s\n\n",
		    (unsigned long long)i * 2654435761ULL % 0xFFFFFFFFFFULL,
		    i % 97 == 0 ? '*' : ' ',
		    (unsigned long long)(1000 + i % 5000),
		    (unsigned long long)(i / 60 % 60),
		    (unsigned long long)(i % 60), snd, "", dom, "",
		    (unsigned long long)i, dom);
		if (len > 65536) {
			mailq_feed(q, buf, len);
			len = 0;
		}
	}
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
	    "-- %llu Kbytes in %llu Requests.\n",
	    (unsigned long long)n * 3, (unsigned long long)n);
	mailq_feed(q, buf, len);
	assert_int_equal(mailq_finish(q, err, sizeof(err)), 0);
	*out = *mailq_stats(q);
	assert_true(heap_in_use() <= base + 4096);
	mailq_free(q);
}

static void
test_spam_queue(void **state)
{
	struct spam_count	 sc;
	struct mailq_stats	 st;
	struct mailq_top_entry	 e[5];

	(void)state;
	memset(&sc, 0, sizeof(sc));
	assert_non_null(sc.dom = mailq_top_new(1024, 42));
	assert_non_null(sc.snd = mailq_top_new(1024, 43));
	spam_stream(2500, 150, &sc, &st);
	assert_int_equal(st.format, MAILQ_FMT_POSTFIX);
	assert_int_equal(st.messages, 2500);
	assert_int_equal(sc.msgs, 2500);
	assert_int_equal(st.reported, 2500);
	assert_int_equal(st.garbage, 0);
	assert_int_equal(st.status[MAILQ_ACTIVE], 26);	/* 0, 97, ... 2425 */
	assert_int_equal(st.status[MAILQ_DEFERRED], 2500 - 26);
	/* 1500 to the big three: 500 each; 1000 over 150 domains */
	assert_int_equal(mailq_top_get(sc.dom, e, 5), 5);
	assert_true(mailq_top_exact(sc.dom));
	assert_string_equal(e[0].key, "aol.example");
	assert_int_equal(e[0].count, 500);
	assert_string_equal(e[1].key, "hotmail.example");
	assert_string_equal(e[2].key, "yahoo.example");
	assert_int_equal(e[2].count, 500);
	/* 150 domains, but only the 60 with i % 10 >= 6 get mail */
	assert_int_equal(e[3].count, 17);
	assert_int_equal(mailq_top_total(sc.dom), 2500);
	assert_int_equal(mailq_top_get(sc.snd, e, 3), 3);
	assert_string_equal(e[0].key, "");	/* MAILER-DAEMON */
	assert_int_equal(e[0].count, 625);
	assert_string_equal(e[1].key, "promo@cheap-meds.example");
	assert_int_equal(e[1].count, 625);
	/* 1250 forged senders in 1022 counters: a few counts overestimated */
	assert_false(mailq_top_exact(sc.snd));
	assert_true(e[2].count <= 2 && e[2].count - e[2].error == 1);
	mailq_top_free(sc.dom);
	mailq_top_free(sc.snd);
}

/* A million messages to a million domains: same memory as three. */
static void
test_million(void **state)
{
	struct spam_count	 sc;
	struct mailq_stats	 st;
	struct mailq_top_entry	 e[4];
	clock_t			 t0 = clock();

	(void)state;
	memset(&sc, 0, sizeof(sc));
	assert_non_null(sc.dom = mailq_top_new(4096, 1));
	assert_non_null(sc.snd = mailq_top_new(4096, 2));
	spam_stream(1000000, 400000, &sc, &st);
	assert_int_equal(st.messages, 1000000);
	assert_int_equal(st.reported, 1000000);
	assert_int_equal(st.garbage, 0);
	assert_int_equal(mailq_top_get(sc.dom, e, 4), 4);
	assert_false(mailq_top_exact(sc.dom));
	/* the heavy hitters survive every eviction, counts within error */
	assert_string_equal(e[0].key, "aol.example");
	assert_true(e[0].count >= 200000 && e[0].count - e[0].error <= 200000);
	assert_string_equal(e[2].key, "yahoo.example");
	assert_true(e[3].count < 1000);
	mailq_top_free(sc.dom);
	mailq_top_free(sc.snd);
	(void)t0;	/* bounded work is checked by memory, not by time */
}

/* --- top N and domains ---------------------------------------------------- */

static void
add_n(struct mailq_top *t, const char *k, int n)
{
	while (n-- > 0)
		mailq_top_add(t, k, strlen(k));
}

static void
test_top(void **state)
{
	struct mailq_top	*t;
	struct mailq_top_entry	 e[10];
	char			 k[32], big[600];
	int			 i;

	(void)state;
	assert_null(mailq_top_new(0, 0));
	mailq_top_free(NULL);

	/* exact below capacity; order: count, then key */
	assert_non_null(t = mailq_top_new(16, 7));
	assert_int_equal(mailq_top_get(t, e, 10), 0);
	add_n(t, "b.example", 3);
	add_n(t, "a.example", 3);
	add_n(t, "c.example", 5);
	add_n(t, "d.example", 1);
	assert_int_equal(mailq_top_get(t, e, 10), 4);
	assert_string_equal(e[0].key, "c.example");
	assert_int_equal(e[0].count, 5);
	assert_string_equal(e[1].key, "a.example");
	assert_string_equal(e[2].key, "b.example");
	assert_string_equal(e[3].key, "d.example");
	assert_int_equal(e[3].error, 0);
	assert_int_equal(mailq_top_get(t, e, 2), 2);
	assert_string_equal(e[1].key, "a.example");
	assert_int_equal(mailq_top_get(t, e, 0), 0);
	assert_true(mailq_top_exact(t));
	assert_int_equal(mailq_top_total(t), 12);
	/* keys are cut to MAILQ_TOP_KEY_MAX - 1 bytes: two long keys merge */
	memset(big, 'x', sizeof(big));
	mailq_top_add(t, big, 500);
	mailq_top_add(t, big, 600);
	assert_int_equal(mailq_top_get(t, e, 1), 1);
	assert_int_equal(e[0].count, 5);
	assert_int_equal(mailq_top_get(t, e, 10), 5);
	assert_int_equal(strlen(e[3].key), MAILQ_TOP_KEY_MAX - 1);
	assert_int_equal(e[3].count, 2);
	mailq_top_free(t);

	/*
	 * 16 counters, three heavy keys among 20000 one-off keys: 31500
	 * adds, so any key seen more than 31500 / 16 times must be kept.
	 */
	assert_non_null(t = mailq_top_new(16, 99));
	for (i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "one-off-%d", i);
		mailq_top_add(t, k, strlen(k));
		if (i % 4 == 0)
			mailq_top_add(t, "heavy1", 6);
		if (i % 5 == 0)
			mailq_top_add(t, "heavy2", 6);
		if (i % 8 == 0)
			mailq_top_add(t, "heavy3", 6);
	}
	assert_false(mailq_top_exact(t));
	assert_int_equal(mailq_top_get(t, e, 3), 3);
	assert_string_equal(e[0].key, "heavy1");
	assert_true(e[0].count >= 5000 && e[0].count - e[0].error <= 5000);
	assert_string_equal(e[1].key, "heavy2");
	assert_true(e[1].count >= 4000 && e[1].count - e[1].error <= 4000);
	assert_string_equal(e[2].key, "heavy3");
	assert_true(e[2].count >= 2500 && e[2].count - e[2].error <= 2500);
	mailq_top_free(t);
}

/*
 * The Space-Saving guarantees on a skewed stream much larger than the
 * table, checked against exact counts kept here: every counter bounds
 * its key's true count (count - error <= true <= count), the counters
 * add up to the stream length, every key seen more than total/capacity
 * times is kept, and no key is in the table twice (the hash finds a key
 * again after thousands of evictions moved its neighbours).
 */
#define SS_KEYS		3000
#define SS_CAP		32

static void
test_top_bounds(void **state)
{
	static uint64_t		 truth[SS_KEYS];
	struct mailq_top	*t;
	struct mailq_top_entry	 e[SS_CAP + 8];
	char			 k[32];
	uint64_t		 sum = 0, total = 0;
	uint32_t		 x = 2463534242u;
	size_t			 i, j, got;
	int			 key, heavy = 0;

	(void)state;
	memset(truth, 0, sizeof(truth));
	assert_non_null(t = mailq_top_new(SS_CAP, 12345));
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		/* low keys more often, and three heavy hitters */
		key = (int)((x % SS_KEYS) * ((x >> 12) % SS_KEYS) / SS_KEYS);
		if (i % 7 == 0)
			key = (int)(i % 3);
		snprintf(k, sizeof(k), "k%d.example", key);
		mailq_top_add(t, k, strlen(k));
		truth[key]++;
		total++;
	}
	assert_int_equal(mailq_top_total(t), total);
	assert_false(mailq_top_exact(t));
	got = mailq_top_get(t, e, SS_CAP + 8);
	assert_int_equal(got, SS_CAP);
	for (i = 0; i < got; i++) {
		assert_int_equal(sscanf(e[i].key, "k%d.example", &key), 1);
		assert_true(e[i].count - e[i].error <= truth[key]);
		assert_true(truth[key] <= e[i].count);
		for (j = 0; j < i; j++)
			assert_string_not_equal(e[i].key, e[j].key);
		if (i > 0)
			assert_true(e[i].count <= e[i - 1].count);
		sum += e[i].count;
	}
	assert_int_equal(sum, total);
	for (key = 0; key < SS_KEYS; key++) {
		if (truth[key] * SS_CAP <= total)
			continue;
		heavy++;
		snprintf(k, sizeof(k), "k%d.example", key);
		for (i = 0; i < got && strcmp(e[i].key, k) != 0; i++)
			;
		if (i == got)
			fail_msg("%s seen %llu of %llu times: not kept", k,
			    (unsigned long long)truth[key],
			    (unsigned long long)total);
	}
	assert_int_equal(heavy, 3);
	mailq_top_free(t);
}

/* The edges: one counter, ties ranked by key, asking for more than there
 * is, sizes refused, keys that differ only past the cut. */
static void
test_top_edges(void **state)
{
	struct mailq_top	*t;
	struct mailq_top_entry	 e[8];
	char			 a[MAILQ_TOP_KEY_MAX + 10];
	char			 b[MAILQ_TOP_KEY_MAX + 10];

	(void)state;
	assert_null(mailq_top_new((1U << 24) + 1, 0));

	/* One counter: the newest key takes it over, error = old count. */
	assert_non_null(t = mailq_top_new(1, 5));
	add_n(t, "x.example", 3);
	assert_true(mailq_top_exact(t));
	add_n(t, "y.example", 1);
	assert_false(mailq_top_exact(t));
	assert_int_equal(mailq_top_get(t, e, 8), 1);
	assert_string_equal(e[0].key, "y.example");
	assert_int_equal(e[0].count, 4);
	assert_int_equal(e[0].error, 3);
	assert_int_equal(mailq_top_total(t), 4);
	mailq_top_free(t);

	/* Ties: by key; n larger than the table; n 0. */
	assert_non_null(t = mailq_top_new(8, 6));
	add_n(t, "d", 2);
	add_n(t, "b", 2);
	add_n(t, "c", 2);
	add_n(t, "a", 1);
	add_n(t, "e", 2);
	assert_int_equal(mailq_top_get(t, e, 8), 5);
	assert_string_equal(e[0].key, "b");
	assert_string_equal(e[1].key, "c");
	assert_string_equal(e[2].key, "d");
	assert_string_equal(e[3].key, "e");
	assert_string_equal(e[4].key, "a");
	assert_int_equal(mailq_top_get(t, e, 0), 0);
	/* the empty key is a key (the null sender is counted as one) */
	mailq_top_add(t, "", 0);
	assert_int_equal(mailq_top_get(t, e, 8), 6);
	assert_string_equal(e[4].key, "");
	assert_string_equal(e[5].key, "a");
	mailq_top_free(t);

	/* Keys equal up to the cut are one key. */
	assert_non_null(t = mailq_top_new(4, 7));
	memset(a, 'a', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[MAILQ_TOP_KEY_MAX] = 'b';		/* past the cut */
	mailq_top_add(t, a, sizeof(a));
	mailq_top_add(t, b, sizeof(b));
	b[MAILQ_TOP_KEY_MAX - 2] = 'b';		/* before it */
	mailq_top_add(t, b, sizeof(b));
	assert_int_equal(mailq_top_get(t, e, 8), 2);
	assert_int_equal(e[0].count, 2);
	assert_int_equal(strlen(e[0].key), MAILQ_TOP_KEY_MAX - 1);
	assert_int_equal(e[1].count, 1);
	mailq_top_free(t);
}

static void
test_addr_domain(void **state)
{
	char	 b[64], small[5];

	(void)state;
	assert_string_equal(mailq_addr_domain("bob@Partner.Example", b,
	    sizeof(b)), "partner.example");
	assert_string_equal(mailq_addr_domain("<a@b.example.>", b, sizeof(b)),
	    "b.example");
	assert_string_equal(mailq_addr_domain("x%y@z@relay.example", b,
	    sizeof(b)), "relay.example");
	assert_string_equal(mailq_addr_domain("a@[192.0.2.1]", b, sizeof(b)),
	    "[192.0.2.1]");
	assert_null(mailq_addr_domain("root", b, sizeof(b)));
	assert_null(mailq_addr_domain("", b, sizeof(b)));
	assert_null(mailq_addr_domain("a@", b, sizeof(b)));
	assert_string_equal(mailq_addr_domain("a@long.example", small,
	    sizeof(small)), "long");
	assert_string_equal(mailq_format_name(MAILQ_FMT_SENDMAIL), "sendmail");
	assert_string_equal(mailq_status_name(MAILQ_FROZEN), "frozen");
	assert_string_equal(mailq_status_name(MAILQ_NSTATUS), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix_empty),
		cmocka_unit_test(test_postfix_small),
		cmocka_unit_test(test_sendmail_empty),
		cmocka_unit_test(test_sendmail_small),
		cmocka_unit_test(test_sendmail_old),
		cmocka_unit_test(test_exim_empty),
		cmocka_unit_test(test_exim_small),
		cmocka_unit_test(test_garbage_file),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_message_limits),
		cmocka_unit_test(test_garbage_5mb),
		cmocka_unit_test(test_spam_queue),
		cmocka_unit_test(test_million),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_top_bounds),
		cmocka_unit_test(test_top_edges),
		cmocka_unit_test(test_addr_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
