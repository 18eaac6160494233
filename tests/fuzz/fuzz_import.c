/*
 * fuzz_import.c -- libFuzzer target for orblctl import's line parsers
 * (rbldnsd ip4set/ip6trie data and plain lists, the file anyone may hand
 * to an operator): the input is read as a file by imp_parse() in both
 * formats.  Checked for every entry kept: a masked network, a code in
 * 127.0.0.0/8 (the default for an exclusion), a reason of 1..255 bytes
 * without control characters; a failure says why.  Round trip: the
 * entries written back as rbldnsd lines "[!]NET :A:TXT" parse the same.
 * Streaming: parsed again with an entry function (orblctl import's way,
 * the parser's strings trimmed as it goes), every entry handed out is the
 * one collected, reason text included, and the outcome is the same.
 *
 * The parser is tools/import_parse.c, linked as it is (the replay
 * binaries take it from libtools.a); the reason rule is the real one
 * (common/reason.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "import_parse.h"
#include "reason.h"
#include "xmalloc.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse size bytes as a file; 0 or -1 (im filled either way). */
static int
run(struct imp *im, const char *data, size_t size, int rbldnsd)
{
	FILE	*f;
	int	 rc;

	imp_init(im, "fuzz");		/* as cmd_import() does; no warn */
	if ((f = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		abort();
	rc = imp_parse(im, f, rbldnsd);
	fclose(f);
	return rc;
}

static void
check(const struct imp *im, int rc)
{
	struct addr	 m;
	size_t		 i, n;
	const char	*p;

	if (rc != 0) {
		if (rc != -1 || im->err[0] == '\0' || im->lineno == 0)
			abort();
		return;
	}
	for (i = 0; i < im->n; i++) {
		m = im->v[i].net;
		addr_mask(&m);
		if ((m.family != 4 && m.family != 6) ||
		    m.prefix > addr_maxprefix(&m) ||
		    memcmp(&m, &im->v[i].net, sizeof(m)) != 0 ||
		    (im->v[i].code >> 24) != 127 || im->v[i].seq != i ||
		    (im->v[i].exclude && im->v[i].code != DB_CODE_DEFAULT))
			abort();
		if ((p = im->v[i].reason) == NULL)
			continue;
		if ((n = strlen(p)) == 0 || n > REASON_MAX ||
		    p[0] == ' ' || p[n - 1] == ' ')
			abort();
		for (; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
	}
}

static void
roundtrip(const struct imp *im)
{
	struct imp	 b;
	char		*buf, *o, net[ADDR_STRLEN];
	uint32_t	 c;
	size_t		 i;

	o = buf = xmalloc(im->n * (ADDR_STRLEN + REASON_MAX + 24) + 1);
	for (i = 0; i < im->n; i++) {
		c = im->v[i].code;
		addr_format(&im->v[i].net, net, sizeof(net));
		if (im->v[i].exclude)
			o += sprintf(o, "!%s\n", net);
		else
			o += sprintf(o, "%s :%u.%u.%u.%u%s%s\n", net, c >> 24,
			    c >> 16 & 255, c >> 8 & 255, c & 255,
			    im->v[i].reason ? ":" : "",
			    im->v[i].reason ? im->v[i].reason : "");
	}
	if (o == buf || run(&b, buf, (size_t)(o - buf), 1) != 0 ||
	    b.n != im->n)
		abort();
	for (i = 0; i < im->n; i++)
		if (addr_cmp(&b.v[i].net, &im->v[i].net) != 0 ||
		    b.v[i].exclude != im->v[i].exclude ||
		    b.v[i].code != im->v[i].code || (!im->v[i].exclude &&
		    (b.v[i].reason == NULL) != (im->v[i].reason == NULL)) ||
		    (!im->v[i].exclude && b.v[i].reason != NULL &&
		    strcmp(b.v[i].reason, im->v[i].reason) != 0))
			abort();
	imp_free(&b);
	free(buf);
}

/* The collected entries, for the streamed ones to be checked against. */
struct cmp {
	const struct imp	*want;
	size_t			 n;
};

static int
cmp_entry(void *arg, const struct imp_entry *e)
{
	struct cmp		*c = arg;
	const struct imp_entry	*w;

	if (e->seq != c->n || c->n >= c->want->n)
		abort();
	w = &c->want->v[c->n++];
	if (addr_cmp(&w->net, &e->net) != 0 || w->exclude != e->exclude ||
	    w->code != e->code || (w->reason == NULL) != (e->reason == NULL) ||
	    (w->reason != NULL && strcmp(w->reason, e->reason) != 0))
		abort();
	return 0;
}

static void
streamed(const struct imp *want, int wantrc, const char *data, size_t size,
    int rbldnsd)
{
	struct imp	 im;
	struct cmp	 c = { want, 0 };
	FILE		*f;
	int		 rc;

	imp_init(&im, "fuzz");
	im.entry = cmp_entry;
	im.entryarg = &c;
	if ((f = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		abort();
	rc = imp_parse(&im, f, rbldnsd);
	fclose(f);
	if (rc != wantrc || im.lineno != want->lineno ||
	    (rc == 0 && (c.n != want->n || im.n != want->n)) || im.v != NULL)
		abort();
	imp_free(&im);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imp	 im;
	int		 rc, rbldnsd;

	if (size == 0 || size > 1 << 18)
		return 0;
	for (rbldnsd = 0; rbldnsd <= 1; rbldnsd++) {
		rc = run(&im, (const char *)data, size, rbldnsd);
		check(&im, rc);
		streamed(&im, rc, (const char *)data, size, rbldnsd);
		if (rc == 0 && im.n > 0)
			roundtrip(&im);
		imp_free(&im);
	}
	return 0;
}
