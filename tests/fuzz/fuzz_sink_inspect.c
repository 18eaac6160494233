/*
 * fuzz_sink_inspect.c -- libFuzzer target for what any SMTP client can
 * make the sink parse: the input is a message as received, given whole to
 * sink_inspect().  Checked after each call: every pointer it returns lies
 * in the input and is a cookie, bounce and bounce_why agree, a bounce is
 * always attributable, the Received list is NUL ended and clean, the work
 * is linear (within SINK_INSPECT_WORK_MAX).  And the
 * verdict's rule: no single header moves it, so the envelope sender
 * (null, none, some) and an added "Auto-Submitted: auto-replied" at the
 * top change nothing.
 * tests/fuzz/replay.c runs the corpus through the same entry point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "sink.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	 autosub[] = "Auto-Submitted: auto-replied\n";

/* A token sink_inspect() returned: inside data, cookie-shaped. */
static void
check_token(const char *data, size_t size, const char *p, size_t n)
{
	struct cookie	 c;

	if (p == NULL) {
		if (n != 0)
			abort();
		return;
	}
	if (p < data || n == 0 || n >= COOKIE_MAX ||
	    (size_t)(p - data) > size || size - (size_t)(p - data) < n)
		abort();
	if (cookie_parse(p, n, &c) != 0)
		abort();
}

static void
check(const char *data, size_t size, const struct sink_inspection *in)
{
	size_t	 i, n;

	if (in->bounce != 0 && in->bounce != 1)
		abort();
	if (in->bounce != (in->bounce_why != NULL))
		abort();
	if (in->bounce && in->attached_cookie == NULL)
		abort();
	check_token(data, size, in->cookie, in->cookielen);
	check_token(data, size, in->attached_cookie, in->attached_cookielen);
	n = strnlen(in->received, sizeof(in->received));
	if (n == sizeof(in->received))
		abort();
	for (i = 0; i < n; i++)
		if ((in->received[i] < 0x20 || in->received[i] >= 0x7f) &&
		    in->received[i] != '\n')
			abort();
	if (n > 0 && (in->received[0] == '\n' || in->received[n - 1] == '\n'))
		abort();
	if (in->received_truncated != 0 && in->received_truncated != 1)
		abort();
	if (in->work > SINK_INSPECT_WORK_MAX(size))
		abort();
}

/*
 * b is a's result for the same message: a's input at abase, b's at bbase
 * with off bytes more before it.
 */
static int
same_token(const char *abase, const char *ap, const char *bbase,
    const char *bp, size_t off)
{
	if (ap == NULL || bp == NULL)
		return ap == bp;
	return (size_t)(ap - abase) + off == (size_t)(bp - bbase);
}

static void
same(const char *abase, const struct sink_inspection *a, const char *bbase,
    const struct sink_inspection *b, size_t off)
{
	if (a->bounce != b->bounce ||
	    (a->bounce_why == NULL) != (b->bounce_why == NULL) ||
	    (a->bounce_why != NULL && strcmp(a->bounce_why, b->bounce_why)))
		abort();
	if (!same_token(abase, a->cookie, bbase, b->cookie, off) ||
	    a->cookielen != b->cookielen)
		abort();
	if (!same_token(abase, a->attached_cookie, bbase, b->attached_cookie,
	    off) || a->attached_cookielen != b->attached_cookielen)
		abort();
	if (strcmp(a->received, b->received) != 0 ||
	    a->received_truncated != b->received_truncated)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sink_inspection	 a, b;
	const char			*d = (const char *)data;
	char				*m;
	size_t				 i, lines = 0;

	sink_inspect("", d, size, &a);
	check(d, size, &a);

	/* The envelope sender plays no part. */
	sink_inspect(NULL, d, size, &b);
	check(d, size, &b);
	same(d, &a, d, &b, 0);
	sink_inspect("probe@prober.test", d, size, &b);
	same(d, &a, d, &b, 0);

	/* Nor does Auto-Submitted at the top (while the header field cap
	 * cannot drop one of the message's own fields). */
	for (i = 0; i < size; i++)
		lines += d[i] == '\n';
	if (lines >= 900)
		return 0;
	/* Exactly its size, so ASan sees any read past its end. */
	if ((m = malloc(sizeof(autosub) - 1 + size)) == NULL)
		abort();
	memcpy(m, autosub, sizeof(autosub) - 1);
	if (size > 0)
		memcpy(m + sizeof(autosub) - 1, d, size);
	sink_inspect("", m, sizeof(autosub) - 1 + size, &b);
	check(m, sizeof(autosub) - 1 + size, &b);
	same(d, &a, m, &b, sizeof(autosub) - 1);
	free(m);
	return 0;
}
