/*
 * test_relay_tests.c -- unit tests for probe/relay_tests.c: the battery's
 * ids and literal expansions, T unknown, IPv6 targets, overflow, unsafe
 * parameters, and -- with a small interpreter of the historical routing
 * rules -- that every recipient of every test ends at the sink mailbox.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "relay_tests.h"

#define S	"sink.test"
#define P	"orbl-sink"
#define T	"mx.target.test"
#define IPV4	"192.0.2.25"
#define F	"orbl-probe"
#define Q	"prober.test"
#define SINK	P "@" S

static const struct relay_params params = { S, P, T, IPV4, F, Q };

/* The whole battery expanded with params, literally. */
static const struct {
	int		 id;
	const char	*from, *rcpt;
} expect[] = {
	{ 1, "<>", "<orbl-sink@sink.test>" },
	{ 2, "<orbl-probe@sink.test>", "<orbl-sink@sink.test>" },
	{ 3, "<orbl-probe@mx.target.test>", "<orbl-sink@sink.test>" },
	{ 4, "<orbl-probe@[192.0.2.25]>", "<orbl-sink@sink.test>" },
	{ 5, "<orbl-probe@prober.test>", "<orbl-sink@sink.test>" },
	{ 6, "<orbl-probe>", "<orbl-sink@sink.test>" },
	{ 7, "<orbl-probe@localhost>", "<orbl-sink@sink.test>" },
	{ 8, "<orbl-probe@[127.0.0.1]>", "<orbl-sink@sink.test>" },
	{ 9, "<prober.test!orbl-probe>", "<orbl-sink@sink.test>" },
	{ 10, "<mx.target.test!orbl-probe>", "<orbl-sink@sink.test>" },
	{ 11, "<orbl-probe@[192.0.2.25]>", "<\"orbl-sink@sink.test\">" },
	{ 12, "<orbl-probe@[192.0.2.25]>", "<\"orbl-sink%sink.test\">" },
	{ 13, "<orbl-probe@mx.target.test>",
	    "<orbl-sink%sink.test@mx.target.test>" },
	{ 14, "<orbl-probe@[192.0.2.25]>",
	    "<orbl-sink%sink.test@[192.0.2.25]>" },
	{ 15, "<orbl-probe@[192.0.2.25]>", "<orbl-sink%sink.test>" },
	{ 16, "<orbl-probe@mx.target.test>",
	    "<orbl-sink@sink.test@mx.target.test>" },
	{ 17, "<orbl-probe@[192.0.2.25]>",
	    "<orbl-sink@sink.test@[192.0.2.25]>" },
	{ 18, "<orbl-probe@mx.target.test>",
	    "<\"orbl-sink@sink.test\"@mx.target.test>" },
	{ 19, "<orbl-probe@[192.0.2.25]>",
	    "<\"orbl-sink@sink.test\"@[192.0.2.25]>" },
	{ 20, "<orbl-probe@mx.target.test>",
	    "<@mx.target.test:orbl-sink@sink.test>" },
	{ 21, "<orbl-probe@[192.0.2.25]>",
	    "<@[192.0.2.25]:orbl-sink@sink.test>" },
	{ 22, "<orbl-probe@[192.0.2.25]>", "<sink.test!orbl-sink>" },
	{ 23, "<orbl-probe@mx.target.test>",
	    "<sink.test!orbl-sink@mx.target.test>" },
	{ 24, "<orbl-probe@[192.0.2.25]>",
	    "<sink.test!orbl-sink@[192.0.2.25]>" },
	{ 25, "<orbl-probe@[192.0.2.25]>", "orbl-sink@sink.test" },
};
#define NEXPECT	(sizeof(expect) / sizeof(expect[0]))

/* s with every "from" replaced by "to", into out. */
static void
replace_all(const char *s, const char *from, const char *to, char *out,
    size_t outlen)
{
	size_t	 o = 0, fl = strlen(from), tl = strlen(to);

	while (*s) {
		if (strncmp(s, from, fl) == 0) {
			assert_true(o + tl < outlen);
			memcpy(out + o, to, tl);
			o += tl;
			s += fl;
		} else {
			assert_true(o + 1 < outlen);
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
}

/*
 * Where does a recipient go, by the usual historical rules?  Strip the
 * angle brackets; a source route "@a,@b:rest" goes to a, then rest;
 * quotes are dropped (the next hop re-parses the local part); with '@',
 * the mail goes to the rightmost domain, and a local part that still
 * holds '@', '%' or '!' is routed again from there; "x%y" becomes "x@y"
 * at the rightmost '%'; a bang path "x!y" becomes "y@x".  The final
 * mailbox goes into final, every intermediate domain into hops.  Returns
 * 0, or -1 for an address that goes nowhere (unqualified, malformed).
 */
#define HOPS_MAX	8
struct route {
	char	 final[256];
	char	 hops[HOPS_MAX][256];
	int	 nhops;
};

static int
route_hop(struct route *rt, const char *d, size_t n)
{
	if (rt->nhops == HOPS_MAX || n == 0 || n >= sizeof(rt->hops[0]))
		return -1;
	memcpy(rt->hops[rt->nhops], d, n);
	rt->hops[rt->nhops++][n] = '\0';
	return 0;
}

static int
route(const char *addr, struct route *rt)
{
	char	 w[512], tmp[512], *at, *p, *q, *colon;
	size_t	 n;
	int	 iter;

	memset(rt, 0, sizeof(*rt));
	n = strlen(addr);
	if (n >= sizeof(w))
		return -1;
	if (addr[0] == '<') {
		if (n < 2 || addr[n - 1] != '>')
			return -1;
		memcpy(w, addr + 1, n - 2);
		w[n - 2] = '\0';
	} else
		memcpy(w, addr, n + 1);

	for (iter = 0; iter < 16; iter++) {
		if (w[0] == '@') {		/* source route */
			/* the first ':' outside an address literal */
			for (colon = w, n = 0; *colon; colon++) {
				if (*colon == '[')
					n++;
				else if (*colon == ']' && n > 0)
					n--;
				else if (*colon == ':' && n == 0)
					break;
			}
			if (*colon != ':')
				return -1;
			*colon = '\0';
			for (p = w; p != NULL; p = q) {
				if (*p != '@')
					return -1;
				q = strchr(p, ',');
				if (q != NULL)
					*q++ = '\0';
				if (route_hop(rt, p + 1, strlen(p + 1)) == -1)
					return -1;
			}
			memmove(w, colon + 1, strlen(colon + 1) + 1);
			continue;
		}
		for (p = q = w; *p; p++)	/* drop quotes */
			if (*p != '"')
				*q++ = *p;
		*q = '\0';
		if ((at = strrchr(w, '@')) != NULL) {
			*at = '\0';
			if (w[0] == '\0' || at[1] == '\0')
				return -1;
			if (strpbrk(w, "@%!") == NULL) {
				if (snprintf(rt->final, sizeof(rt->final),
				    "%s@%s", w, at + 1) >= (int)sizeof(rt->final))
					return -1;
				return 0;
			}
			if (route_hop(rt, at + 1, strlen(at + 1)) == -1)
				return -1;
			continue;		/* the local part, again */
		}
		if ((p = strrchr(w, '%')) != NULL) {
			*p = '@';
			continue;
		}
		if ((p = strchr(w, '!')) != NULL) {
			*p = '\0';
			if (snprintf(tmp, sizeof(tmp), "%s@%s", p + 1, w) >=
			    (int)sizeof(tmp))
				return -1;
			memcpy(w, tmp, sizeof(w));
			continue;
		}
		return -1;			/* unqualified */
	}
	return -1;
}

/* The interpreter itself, on known answers (so the real check can fail). */
static void
test_route_interpreter(void **state)
{
	struct route	 rt;

	(void)state;
	assert_int_equal(route("<a@b>", &rt), 0);
	assert_string_equal(rt.final, "a@b");
	assert_int_equal(rt.nhops, 0);
	assert_int_equal(route("<a%b@c>", &rt), 0);
	assert_string_equal(rt.final, "a@b");
	assert_int_equal(rt.nhops, 1);
	assert_string_equal(rt.hops[0], "c");
	assert_int_equal(route("<a%evil@c>", &rt), 0);
	assert_string_equal(rt.final, "a@evil");
	assert_int_equal(route("<@x,@y:a@b>", &rt), 0);
	assert_string_equal(rt.final, "a@b");
	assert_int_equal(rt.nhops, 2);
	assert_string_equal(rt.hops[1], "y");
	assert_int_equal(route("<b!a@c>", &rt), 0);
	assert_string_equal(rt.final, "a@b");
	assert_int_equal(route("<x!b!a>", &rt), 0);
	assert_string_equal(rt.final, "a@b");	/* first hop x, then b */
	assert_int_equal(rt.nhops, 1);
	assert_string_equal(rt.hops[0], "x");
	assert_int_equal(route("<@[IPv6:2001:db8::1]:a@b>", &rt), 0);
	assert_string_equal(rt.final, "a@b");
	assert_string_equal(rt.hops[0], "[IPv6:2001:db8::1]");
	assert_int_equal(route("<\"a@b\"@c>", &rt), 0);
	assert_string_equal(rt.final, "a@b");
	assert_int_equal(route("a%b%c", &rt), 0);
	assert_string_equal(rt.final, "a@b");	/* via c */
	assert_string_equal(rt.hops[0], "c");
	assert_int_equal(route("<a>", &rt), -1);
	assert_int_equal(route("<a@b", &rt), -1);
}

static void
test_ids_stable_unique(void **state)
{
	const struct relay_test	*rt, *rt2;
	size_t			 i, j;

	(void)state;
	assert_int_equal(relay_test_count(), NEXPECT);
	for (i = 0; i < relay_test_count(); i++) {
		rt = relay_test_at(i);
		assert_non_null(rt);
		assert_int_equal(rt->id, (int)i + 1);
		assert_int_equal(rt->id, expect[i].id);
		assert_ptr_equal(relay_test_by_id(rt->id), rt);
		assert_non_null(rt->name);
		assert_true(strlen(rt->name) > 5);
		for (j = 0; j < i; j++) {
			rt2 = relay_test_at(j);
			assert_int_not_equal(rt2->id, rt->id);
			assert_string_not_equal(rt2->name, rt->name);
		}
	}
	assert_null(relay_test_at(relay_test_count()));
	assert_null(relay_test_by_id(0));
	assert_null(relay_test_by_id(-1));
	assert_null(relay_test_by_id((int)relay_test_count() + 1));
	/* the issue's example, "relayed test 13: percent hack via own domain" */
	assert_string_equal(relay_test_by_id(13)->name,
	    "percent hack via own domain");
}

static void
test_expansion_table(void **state)
{
	char	 from[256], rcpt[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < NEXPECT; i++) {
		assert_int_equal(relay_test_expand(relay_test_at(i), &params,
		    from, sizeof(from), rcpt, sizeof(rcpt)), 0);
		if (strcmp(from, expect[i].from) != 0 ||
		    strcmp(rcpt, expect[i].rcpt) != 0)
			fail_msg("test %d: got %s / %s, want %s / %s",
			    expect[i].id, from, rcpt, expect[i].from,
			    expect[i].rcpt);
	}
}

static void
check_unknown_t(const char *tval)
{
	struct relay_params	 p = params;
	char			 from[256], rcpt[256], wf[256], wr[256];
	size_t			 i;

	p.target_domain = tval;
	for (i = 0; i < NEXPECT; i++) {
		replace_all(expect[i].from, T, "[" IPV4 "]", wf, sizeof(wf));
		replace_all(expect[i].rcpt, T, "[" IPV4 "]", wr, sizeof(wr));
		assert_int_equal(relay_test_expand(relay_test_at(i), &p,
		    from, sizeof(from), rcpt, sizeof(rcpt)), 0);
		assert_string_equal(from, wf);
		assert_string_equal(rcpt, wr);
	}
}

static void
test_target_unknown(void **state)
{
	char	 from[256], rcpt[256];

	(void)state;
	check_unknown_t(NULL);
	check_unknown_t("");
	/* spot check, literally */
	{
		struct relay_params p = params;

		p.target_domain = NULL;
		assert_int_equal(relay_test_expand(relay_test_by_id(13), &p,
		    from, sizeof(from), rcpt, sizeof(rcpt)), 0);
		assert_string_equal(from, "<orbl-probe@[192.0.2.25]>");
		assert_string_equal(rcpt,
		    "<orbl-sink%sink.test@[192.0.2.25]>");
		assert_int_equal(relay_test_expand(relay_test_by_id(10), &p,
		    from, sizeof(from), rcpt, sizeof(rcpt)), 0);
		assert_string_equal(from, "<[192.0.2.25]!orbl-probe>");
	}
}

static void
test_ipv6_target(void **state)
{
	struct relay_params	 p = params;
	char			 from[256], rcpt[256];

	(void)state;
	p.target_ip = "2001:DB8:0::0:1";	/* canonicalised */
	assert_int_equal(relay_test_expand(relay_test_by_id(4), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(from, "<orbl-probe@[IPv6:2001:db8::1]>");
	assert_int_equal(relay_test_expand(relay_test_by_id(21), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(rcpt, "<@[IPv6:2001:db8::1]:orbl-sink@sink.test>");
	assert_int_equal(relay_test_expand(relay_test_by_id(13), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(rcpt, "<orbl-sink%sink.test@mx.target.test>");

	p.target_domain = NULL;
	assert_int_equal(relay_test_expand(relay_test_by_id(13), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(from, "<orbl-probe@[IPv6:2001:db8::1]>");
	assert_string_equal(rcpt, "<orbl-sink%sink.test@[IPv6:2001:db8::1]>");

	p.target_ip = "::ffff:192.0.2.1";
	assert_int_equal(relay_test_expand(relay_test_by_id(4), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(from, "<orbl-probe@[IPv6:::ffff:192.0.2.1]>");

	/* IPv4 is canonical too */
	p.target_ip = "192.0.2.1";
	assert_int_equal(relay_test_expand(relay_test_by_id(14), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(rcpt, "<orbl-sink%sink.test@[192.0.2.1]>");
}

static void
test_overflow(void **state)
{
	const struct relay_test	*rt = relay_test_by_id(18);
	char			 from[256], rcpt[256];
	size_t			 fl, rl;

	(void)state;
	fl = strlen(expect[17].from);
	rl = strlen(expect[17].rcpt);
	/* exactly enough */
	assert_int_equal(relay_test_expand(rt, &params, from, fl + 1, rcpt,
	    rl + 1), 0);
	assert_string_equal(from, expect[17].from);
	assert_string_equal(rcpt, expect[17].rcpt);
	/* one byte short, either buffer: -1 and both emptied */
	memset(from, 'x', sizeof(from));
	memset(rcpt, 'x', sizeof(rcpt));
	assert_int_equal(relay_test_expand(rt, &params, from, fl, rcpt,
	    sizeof(rcpt)), -1);
	assert_string_equal(from, "");
	assert_string_equal(rcpt, "");
	memset(from, 'x', sizeof(from));
	memset(rcpt, 'x', sizeof(rcpt));
	assert_int_equal(relay_test_expand(rt, &params, from, sizeof(from),
	    rcpt, rl), -1);
	assert_string_equal(from, "");
	assert_string_equal(rcpt, "");
	/* nothing written past the given length */
	memset(rcpt, 'x', sizeof(rcpt));
	assert_int_equal(relay_test_expand(rt, &params, from, sizeof(from),
	    rcpt, 10), -1);
	assert_int_equal(rcpt[10], 'x');
	/* no room at all */
	assert_int_equal(relay_test_expand(rt, &params, from, 0, rcpt,
	    sizeof(rcpt)), -1);
	assert_int_equal(relay_test_expand(rt, &params, from, sizeof(from),
	    rcpt, 0), -1);
	/* NULLs */
	assert_int_equal(relay_test_expand(NULL, &params, from, sizeof(from),
	    rcpt, sizeof(rcpt)), -1);
	assert_int_equal(relay_test_expand(rt, NULL, from, sizeof(from),
	    rcpt, sizeof(rcpt)), -1);
}

enum field { F_S, F_P, F_T, F_IP, F_F, F_Q };

static void
set_field(struct relay_params *p, enum field f, const char *v)
{
	switch (f) {
	case F_S: p->sink_domain = v; break;
	case F_P: p->sink_local = v; break;
	case F_T: p->target_domain = v; break;
	case F_IP: p->target_ip = v; break;
	case F_F: p->from_local = v; break;
	case F_Q: p->prober_domain = v; break;
	}
}

static void
test_unsafe_params(void **state)
{
	static const char *bad_any[] = {
		"a b", "a\r\nRCPT TO:<x@evil.example>", "a\n", "a\r",
		"a<b", "a>b", "caf\xc3\xa9", "a@evil.example", "a%evil",
		"a!b", "a:b", "\"a\"", "a,b", "a\\b", "a\tb", "a;b", "a(b)",
		"[127.0.0.1]",
	};
	static const char *bad_domain[] = {
		"-a.test", "a-.test", "a..test", "a.test.", ".a", "192.0.2.1",
		"a.123", "a_b.test", "a.b-",
	};
	static const char *bad_local[] = { ".a", "a.", "a..b", };
	static const char *bad_ip[] = {
		"1.2.3", "1.2.3.4.5", "::g", "example.test", "[1.2.3.4]",
		"1.2.3.4 ", " 1.2.3.4", "IPv6:::1", "",
	};
	static const enum field all[] = { F_S, F_P, F_T, F_IP, F_F, F_Q };
	static const enum field domains[] = { F_S, F_T, F_Q };
	static const enum field locals[] = { F_P, F_F };
	struct relay_params	 p;
	char			 from[256], rcpt[256], longlab[80], longdom[300];
	size_t			 i, j, k;

	(void)state;
#define EXPECT_FAIL(field, val) do {					\
		const char *v_ = (val);					\
		p = params;						\
		set_field(&p, (field), v_);				\
		strcpy(from, "junk");					\
		strcpy(rcpt, "junk");					\
		if (relay_test_expand(relay_test_at(k), &p, from,	\
		    sizeof(from), rcpt, sizeof(rcpt)) != -1)		\
			fail_msg("test %zu: field %d = \"%s\" accepted",\
			    k, (int)(field), v_ ? v_ : "(null)");	\
		assert_string_equal(from, "");				\
		assert_string_equal(rcpt, "");				\
	} while (0)

	memset(longlab, 'a', 64);
	strcpy(longlab + 64, ".test");
	for (i = 0; i < 300 - 1; i++)
		longdom[i] = i % 2 ? '.' : 'a';
	longdom[254] = '\0';		/* 254 bytes: one too many */
	/* Every test checks every parameter, whether it uses it or not. */
	for (k = 0; k < relay_test_count(); k++) {
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			for (j = 0; j < sizeof(bad_any) / sizeof(bad_any[0]);
			    j++)
				EXPECT_FAIL(all[i], bad_any[j]);
		for (i = 0; i < 3; i++) {
			for (j = 0; j < sizeof(bad_domain) /
			    sizeof(bad_domain[0]); j++)
				EXPECT_FAIL(domains[i], bad_domain[j]);
			EXPECT_FAIL(domains[i], longlab);
			EXPECT_FAIL(domains[i], longdom);
		}
		for (i = 0; i < 2; i++) {
			for (j = 0; j < sizeof(bad_local) /
			    sizeof(bad_local[0]); j++)
				EXPECT_FAIL(locals[i], bad_local[j]);
			EXPECT_FAIL(locals[i], "");
			EXPECT_FAIL(locals[i], NULL);
			EXPECT_FAIL(locals[i], longlab);	/* > 64 */
		}
		for (j = 0; j < sizeof(bad_ip) / sizeof(bad_ip[0]); j++)
			EXPECT_FAIL(F_IP, bad_ip[j]);
		EXPECT_FAIL(F_IP, NULL);
		EXPECT_FAIL(F_S, NULL);
		EXPECT_FAIL(F_S, "");
		EXPECT_FAIL(F_Q, NULL);
	}
#undef EXPECT_FAIL

	/* the edges that are fine */
	strcpy(longlab + 63, ".test");	/* a 63-byte label */
	longdom[253] = '\0';		/* 253 bytes */
	p = params;
	p.target_domain = longlab;
	assert_int_equal(relay_test_expand(relay_test_at(0), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	p.target_domain = longdom;
	assert_int_equal(relay_test_expand(relay_test_at(0), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	p.target_domain = "mail";	/* single label */
	assert_int_equal(relay_test_expand(relay_test_by_id(13), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(rcpt, "<orbl-sink%sink.test@mail>");
	p.target_domain = "1a.x-y.2b";
	p.sink_local = "a.b+c=d_e-f";
	assert_int_equal(relay_test_expand(relay_test_by_id(1), &p, from,
	    sizeof(from), rcpt, sizeof(rcpt)), 0);
	assert_string_equal(rcpt, "<a.b+c=d_e-f@sink.test>");

	assert_true(relay_domain_valid("example.org"));
	assert_false(relay_domain_valid("192.0.2.1"));
	assert_false(relay_domain_valid(NULL));
	assert_true(relay_local_valid("postmaster"));
	assert_false(relay_local_valid("a%b"));
}

/* Every recipient of every test, in every kind of setting, ends at P@S. */
static void
test_every_recipient_routes_to_sink(void **state)
{
	static const struct {
		const char	*t, *ip, *lit;
	} sets[] = {
		{ T, IPV4, "[" IPV4 "]" },
		{ NULL, IPV4, "[" IPV4 "]" },
		{ "", "198.51.100.7", "[198.51.100.7]" },
		{ T, "2001:db8::25", "[IPv6:2001:db8::25]" },
		{ NULL, "2001:db8::25", "[IPv6:2001:db8::25]" },
	};
	struct relay_params	 p;
	struct route		 rt;
	char			 from[256], rcpt[256];
	const char		*tt;
	size_t			 i, s;
	int			 h;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		p = params;
		p.target_domain = sets[s].t;
		p.target_ip = sets[s].ip;
		tt = sets[s].t && *sets[s].t ? sets[s].t : sets[s].lit;
		for (i = 0; i < relay_test_count(); i++) {
			assert_int_equal(relay_test_expand(relay_test_at(i),
			    &p, from, sizeof(from), rcpt, sizeof(rcpt)), 0);
			if (route(rcpt, &rt) == -1)
				fail_msg("test %zu: %s routes nowhere", i + 1,
				    rcpt);
			if (strcmp(rt.final, SINK) != 0)
				fail_msg("test %zu: %s routes to %s", i + 1,
				    rcpt, rt.final);
			/* and only through the target itself */
			for (h = 0; h < rt.nhops; h++)
				if (strcmp(rt.hops[h], tt) != 0 &&
				    strcmp(rt.hops[h], sets[s].lit) != 0)
					fail_msg("test %zu: %s goes via %s",
					    i + 1, rcpt, rt.hops[h]);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_interpreter),
		cmocka_unit_test(test_ids_stable_unique),
		cmocka_unit_test(test_expansion_table),
		cmocka_unit_test(test_target_unknown),
		cmocka_unit_test(test_ipv6_target),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_unsafe_params),
		cmocka_unit_test(test_every_recipient_routes_to_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
