/*
 * fuzz_smtp_reply.c -- libFuzzer target for what a hostile SMTP server or
 * a relayed message can make the prober parse: the input is split at
 * '\n' (a trailing '\r' stripped) and fed line by line to smtp_reply_feed()
 * (a new reply after each DONE or ERROR), with the parser's invariants
 * checked after every line; then cookie_find() runs over the whole input
 * and whatever it finds must parse, and re-make/verify.
 * tests/fuzz/replay.c runs the corpus through the same entry point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "smtp_reply.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	 fuzz_key[] = "fuzz key";

static int
printable(char c)
{
	return c >= 0x20 && c < 0x7f;
}

static void
check_reply(const struct smtp_reply *r, enum smtp_reply_status st,
    const char *line, size_t len)
{
	size_t	 i, n, tl;
	int	 code;

	if (r->textlen >= SMTP_REPLY_TEXT_MAX || r->text[r->textlen] != '\0' ||
	    strlen(r->text) != r->textlen)
		abort();
	for (i = 0; i < r->textlen; i++)
		if (!printable(r->text[i]) && r->text[i] != '\n')
			abort();
	if (memchr(r->err, '\0', sizeof(r->err)) == NULL)
		abort();
	for (i = 0; r->err[i]; i++)
		if (!printable(r->err[i]))
			abort();
	if (r->nlines < 0 || r->nlines > SMTP_REPLY_LINES_MAX)
		abort();
	switch (st) {
	case SMTP_REPLY_ERROR:
		if (r->err[0] == '\0')
			abort();
		return;
	case SMTP_REPLY_MORE:
	case SMTP_REPLY_DONE:
		break;
	default:
		abort();
	}
	if (r->err[0] != '\0' || len > SMTP_LINE_MAX || len < 3 ||
	    r->nlines < 1)
		abort();
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->code != code || code < 200 || code > 559 || code % 100 > 59)
		abort();
	if ((st == SMTP_REPLY_MORE) != (len > 3 && line[3] == '-'))
		abort();
	if (len > 3 && line[3] != '-' && line[3] != ' ')
		abort();
	if (r->truncated)
		return;
	/* Not truncated: the text ends with this line's text, sanitized. */
	n = len > 4 ? len - 4 : 0;
	tl = r->textlen;
	if (n > tl || (r->nlines > 1 && (n + 1 > tl || r->text[tl - n - 1] !=
	    '\n')))
		abort();
	for (i = 0; i < n; i++) {
		char	 c = line[4 + i];

		if (r->text[tl - n + i] != (printable(c) ? c : '?'))
			abort();
	}
}

static void
check_cookies(const uint8_t *data, size_t size)
{
	struct cookie	 c;
	const char	*p;
	char		 tok[COOKIE_MAX];
	size_t		 n = 0;

	(void)cookie_parse((const char *)data, size, &c);
	p = cookie_find((const char *)data, size, &n);
	if (p == NULL)
		return;
	if (p < (const char *)data || n == 0 || n >= COOKIE_MAX ||
	    (size_t)(p - (const char *)data) + n > size)
		abort();
	if (cookie_parse(p, n, &c) != 0)
		abort();
	/* Nobody can forge our MAC without the key. */
	if (cookie_verify(fuzz_key, sizeof(fuzz_key) - 1, p, n, "192.0.2.1",
	    0, NULL) == 0)
		abort();
	/* The fields make a token of the same shape that verifies. */
	if (cookie_make(fuzz_key, sizeof(fuzz_key) - 1, &c, "192.0.2.1", tok,
	    sizeof(tok)) != 0 || strlen(tok) != n ||
	    memcmp(tok, p, n - 32) != 0 ||
	    cookie_verify(fuzz_key, sizeof(fuzz_key) - 1, tok, n, "192.0.2.1",
	    c.expires, NULL) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply	 r;
	const char			*p = (const char *)data;
	const char			*end = p + size, *nl;
	enum smtp_reply_status		 st;
	char				*line;
	size_t				 len;

	smtp_reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		/* Each line in a buffer of its own exact size (for ASan). */
		if ((line = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(line, p, len);
		st = smtp_reply_feed(&r, line, len);
		check_reply(&r, st, line, len);
		free(line);
		if (st != SMTP_REPLY_MORE)
			smtp_reply_init(&r);
		p = nl != NULL ? nl + 1 : end;
	}
	check_cookies(data, size);
	return 0;
}
