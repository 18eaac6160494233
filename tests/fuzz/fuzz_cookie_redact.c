/*
 * fuzz_cookie_redact.c -- libFuzzer target for cookie_redact(), which
 * orbl-web runs over every string it publishes (transcripts, replies,
 * Received chains a hostile server wrote).  Checked after each call: the
 * text never grows, it is still NUL ended, and nothing left in it is a
 * token the sink would take (cookie_find finds none whose MAC survived);
 * and both are linear: their work stays within COOKIE_WORK_MAX.
 * tests/fuzz/replay.c runs the corpus through the same entry point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p;
	char		*s;
	uint64_t	 work = 0;
	size_t		 len, n, tok;

	if (size > 1 << 16)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);		/* the string ends at the first NUL */
	cookie_redact_work(s, &work);
	if (strlen(s) > len || work < len + 1 || work > COOKIE_WORK_MAX(len))
		abort();
	/* No sink-acceptable token is left anywhere in it, and looking for
	 * one is linear too. */
	n = strlen(s);
	work = 0;
	if (cookie_find_work(s, n, &tok, &work) != NULL ||
	    work + COOKIE_MAX < n || work > COOKIE_WORK_MAX(n))
		abort();
	for (p = s; (p = cookie_find(p, n - (size_t)(p - s), &tok)) != NULL;
	    p += tok)
		abort();
	/* On the raw input too (NULs and all). */
	work = 0;
	p = cookie_find_work((const char *)data, size, &tok, &work);
	if (p != cookie_find((const char *)data, size, &n) ||
	    work > COOKIE_WORK_MAX(size) ||
	    (p == NULL && work + COOKIE_MAX < size))
		abort();
	/* Idempotent: a second pass changes nothing. */
	{
		char	*t = strdup(s);

		if (t == NULL) {
			free(s);
			return 0;
		}
		cookie_redact(t);
		if (strcmp(s, t) != 0)
			abort();
		free(t);
	}
	free(s);
	return 0;
}
