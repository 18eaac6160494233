/*
 * fuzz_mailq.c -- libFuzzer target for the mailq output parser (what a
 * mail server's queue listing, i.e. text others' mail put there, makes
 * orblctl queue-check read).  The input is parsed in one piece
 * (mailq_parse) and again fed in chunks cut at places taken from the input
 * itself; both must hand the same messages to the callback (compared by a
 * hash of every field) and end with the same counters.  Checked for every
 * message: its fields are set and within mailq.h's bounds; for the stats:
 * they add up; mailq_addr_domain and mailq_top (tools/mailq_top.c, the
 * counter queue-check feeds) on the senders stay bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailq.h"
#include "mailq_top.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct seen {
	uint64_t	 h, n, rcpt;
	struct mailq_top *top;
};

static void
hash(uint64_t *h, const void *p, size_t n)
{
	const unsigned char	*s = p;

	while (n-- > 0)
		*h = (*h ^ *s++) * 0x100000001b3ULL;
}

static void
hstr(uint64_t *h, const char *s)
{
	if (s == NULL)
		s = "(null)";
	hash(h, s, strlen(s) + 1);
}

static void
cb(const struct mailq_msg *m, void *arg)
{
	struct seen	*sn = arg;
	char		 dom[64];
	size_t		 i;

	if (m->id == NULL || m->arrival == NULL || m->sender == NULL ||
	    strlen(m->id) >= MAILQ_LINE_MAX || (unsigned)m->status >=
	    MAILQ_NSTATUS || m->nrcpt > MAILQ_RCPT_MAX ||
	    m->nrcpt > m->nrcpt_total || (m->nrcpt > 0 && m->rcpt == NULL))
		abort();
	hstr(&sn->h, m->id);
	hstr(&sn->h, m->arrival);
	hstr(&sn->h, m->sender);
	hstr(&sn->h, m->reason);
	hash(&sn->h, &m->size, sizeof(m->size));
	hash(&sn->h, &m->status, sizeof(m->status));
	hash(&sn->h, &m->nrcpt_total, sizeof(m->nrcpt_total));
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i].addr == NULL)
			abort();
		hstr(&sn->h, m->rcpt[i].addr);
		hash(&sn->h, &m->rcpt[i].delivered, sizeof(int));
	}
	if (mailq_addr_domain(m->sender, dom, sizeof(dom)) != NULL) {
		if (strlen(dom) >= sizeof(dom) || dom[0] == '\0')
			abort();
		if (sn->top != NULL)
			mailq_top_add(sn->top, dom, strlen(dom));
	}
	sn->n++;
	sn->rcpt += m->nrcpt_total;
}

static void
same_stats(const struct mailq_stats *a, const struct mailq_stats *b)
{
	if (a->format != b->format || a->messages != b->messages ||
	    memcmp(a->status, b->status, sizeof(a->status)) != 0 ||
	    a->recipients != b->recipients || a->delivered != b->delivered ||
	    a->bytes != b->bytes || a->lines != b->lines ||
	    a->garbage != b->garbage || a->truncated != b->truncated ||
	    a->reported != b->reported)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen		 a = { 0xcbf29ce484222325ULL, 0, 0, NULL };
	struct seen		 b = { 0xcbf29ce484222325ULL, 0, 0, NULL };
	struct mailq_stats	 st;
	struct mailq_top_entry	 top[8];
	struct mailq		*q;
	char			 err[256], err2[256];
	size_t			 off, n, i, k;
	uint64_t		 sum = 0;
	int			 rc;

	if (size > 1 << 20)
		return 0;
	a.top = mailq_top_new(4, 1);
	rc = mailq_parse((const char *)data, size, cb, &a, &st, err,
	    sizeof(err));
	if (rc == -1 && (err[0] == '\0' || st.format != MAILQ_FMT_UNKNOWN))
		abort();
	for (i = 0; i < MAILQ_NSTATUS; i++)
		sum += st.status[i];
	if (rc == 0 && (st.messages != a.n || sum != a.n ||
	    st.recipients != a.rcpt || st.garbage > st.lines ||
	    st.truncated > st.messages || st.reported < -1))
		abort();
	if (a.top != NULL) {
		n = mailq_top_get(a.top, top, 8);
		if (n > 4)
			abort();
		for (i = 1; i < n; i++)
			if (top[i].count > top[i - 1].count)
				abort();
		mailq_top_free(a.top);
	}

	/* The same text in chunks: cut after data[k] % 97 + 1 bytes. */
	if ((q = mailq_new(cb, &b)) == NULL)
		return 0;
	for (off = 0, k = 0; off < size; off += n, k++) {
		n = (size_t)data[k % size] % 97 + 1;
		if (n > size - off)
			n = size - off;
		mailq_feed(q, (const char *)data + off, n);
	}
	if (mailq_finish(q, err2, sizeof(err2)) != rc || a.h != b.h ||
	    a.n != b.n || (rc == -1 && strcmp(err, err2) != 0))
		abort();
	if (rc == 0)
		same_stats(&st, mailq_stats(q));
	mailq_free(q);
	return 0;
}
