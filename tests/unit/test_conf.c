/*
 * test_conf.c -- unit tests for common/conf.c: built-in defaults, the
 * "key = value" file format and its errors, repeatable keys, listen
 * addresses.  Config files are written to temporary files and removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"

struct fixture {
	char		 path[64];
	struct conf	 c;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	int		 fd;

	if (f == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/orbl-test-conf.XXXXXX");
	if ((fd = mkstemp(f->path)) == -1) {
		free(f);
		return -1;
	}
	close(fd);
	conf_init(&f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	conf_free(&f->c);
	unlink(f->path);
	free(f);
	return 0;
}

/* Replace the fixture's file with text. */
static void
write_file(struct fixture *f, const char *text)
{
	FILE	*fp;

	assert_non_null(fp = fopen(f->path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Load text, which must fail with exactly "FILE:LINE: want". */
static void
load_bad(struct fixture *f, const char *text, int line, const char *want)
{
	char	 err[512] = "", exp[512];

	write_file(f, text);
	if (conf_load(&f->c, f->path, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", text);
	snprintf(exp, sizeof(exp), "%s:%d: %s", f->path, line, want);
	if (strncmp(err, exp, strlen(exp)) != 0)
		fail_msg("error \"%s\", want \"%s...\"", err, exp);
}

static void
test_defaults(void **state)
{
	struct fixture	*f = *state;
	struct conf	*c = &f->c;
	int		 i;

	assert_string_equal(c->database, "/var/lib/orbl/orbl.db");
	assert_int_equal(c->nzones, 1);
	assert_string_equal(c->zones[0], "bl.orbl.test");
	assert_int_equal(c->ndns_listen, 1);
	assert_string_equal(c->dns_listen[0].host, "127.0.0.1");
	assert_int_equal(c->dns_listen[0].port, 5353);
	assert_string_equal(c->user, "");
	assert_int_equal(c->nns, 0);
	assert_string_equal(c->soa_mname, "");
	assert_string_equal(c->soa_rname, "");
	assert_int_equal(c->ttl, 2100);
	assert_int_equal(c->neg_ttl, 300);
	assert_int_equal(c->soa_refresh, 3600);
	assert_int_equal(c->soa_retry, 600);
	assert_int_equal(c->soa_expire, 7 * 86400);
	assert_int_equal(c->tcp_idle_timeout, 10);
	assert_int_equal(c->tcp_max_clients, 256);
	assert_int_equal(c->stats_interval, 3600);
	assert_int_equal(c->workers, 0);
	assert_string_equal(c->default_reason, "$ is listed by orbl as an open mail relay");
	/* Nothing is "set" by defaults. */
	for (i = 0; i < CONF_SET_WORDS; i++)
		assert_int_equal(c->set[i], 0);
	for (i = 0; conf_keys[i].name; i++)
		assert_false(conf_isset(c, conf_keys[i].name));
	/* The key table fits the 'set' bitmask and every key has help. */
	assert_true(i <= 64 * CONF_SET_WORDS);
	for (i = 0; conf_keys[i].name; i++) {
		assert_non_null(conf_keys[i].dflt);
		assert_non_null(conf_keys[i].help);
	}
}

static void
test_load(void **state)
{
	struct fixture	*f = *state;
	struct conf	*c = &f->c;
	char		 err[512] = "";

	write_file(f,
	    "# orbl test configuration\n"
	    "\n"
	    "database = /tmp/x.db\n"
	    "   \t\n"
	    "  zone=a.example   # trailing comment\n"
	    "zone = b.example\n"
	    "\t# indented comment\n"
	    "dns_listen = [::1]:53\n"
	    "dns_listen = 127.0.0.1:5353\n"
	    "dns_listen = 127.0.0.2\n"
	    "ttl = 2h\n"
	    "neg_ttl = 45\n"
	    "tcp_max_clients = 1000\n"
	    "user = _orbl\n"
	    "default_reason = see http://example.org/lookup?ip=$\n"
	    "ns = ns1.example\n"
	    "ns = ns2.example");		/* no final newline */
	if (conf_load(c, f->path, err, sizeof(err)) != 0)
		fail_msg("conf_load: %s", err);
	assert_string_equal(c->database, "/tmp/x.db");
	assert_int_equal(c->nzones, 2);
	assert_string_equal(c->zones[0], "a.example");
	assert_string_equal(c->zones[1], "b.example");
	assert_int_equal(c->ndns_listen, 3);
	assert_string_equal(c->dns_listen[0].host, "::1");
	assert_int_equal(c->dns_listen[0].port, 53);
	assert_string_equal(c->dns_listen[1].host, "127.0.0.1");
	assert_int_equal(c->dns_listen[1].port, 5353);
	assert_string_equal(c->dns_listen[2].host, "127.0.0.2");
	assert_int_equal(c->dns_listen[2].port, 53);
	assert_int_equal(c->ttl, 7200);
	assert_int_equal(c->neg_ttl, 45);
	assert_int_equal(c->tcp_max_clients, 1000);
	assert_string_equal(c->user, "_orbl");
	assert_string_equal(c->default_reason,
	    "see http://example.org/lookup?ip=$");
	assert_int_equal(c->nns, 2);
	assert_string_equal(c->ns[1], "ns2.example");
	/* Keys not in the file keep their defaults. */
	assert_int_equal(c->soa_retry, 600);
	assert_int_equal(c->workers, 0);

	assert_true(conf_isset(c, "database"));
	assert_true(conf_isset(c, "zone"));
	assert_true(conf_isset(c, "dns_listen"));
	assert_true(conf_isset(c, "ttl"));
	assert_true(conf_isset(c, "ns"));
	assert_false(conf_isset(c, "soa_retry"));
	assert_false(conf_isset(c, "workers"));
	assert_false(conf_isset(c, "no_such_key"));
}

static void
test_list_replaces_default(void **state)
{
	struct fixture	*f = *state;
	struct conf	*c = &f->c;
	char		 err[256];

	/* The first explicit value replaces the default... */
	assert_int_equal(conf_set(c, "zone", "x.example", err, sizeof(err)), 0);
	assert_int_equal(c->nzones, 1);
	assert_string_equal(c->zones[0], "x.example");
	assert_int_equal(conf_set(c, "dns_listen", "[::1]:5300", err,
	    sizeof(err)), 0);
	assert_int_equal(c->ndns_listen, 1);
	assert_string_equal(c->dns_listen[0].host, "::1");
	assert_int_equal(c->dns_listen[0].port, 5300);
	/* ...later ones add to it. */
	assert_int_equal(conf_set(c, "zone", "y.example", err, sizeof(err)), 0);
	assert_int_equal(c->nzones, 2);
	assert_string_equal(c->zones[0], "x.example");
	assert_string_equal(c->zones[1], "y.example");
	/* A plain string key is replaced each time (no leak under ASan). */
	assert_int_equal(conf_set(c, "database", "/a", err, sizeof(err)), 0);
	assert_int_equal(conf_set(c, "database", "/b", err, sizeof(err)), 0);
	assert_string_equal(c->database, "/b");
	assert_int_equal(conf_set(c, "nope", "1", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown key 'nope'");
	/* An explicit empty value empties the default list; the next value
	 * is then the only one (the default zone is not served along). */
	conf_free(c);
	conf_init(c);
	assert_int_equal(conf_set(c, "zone", "", err, sizeof(err)), 0);
	assert_int_equal(c->nzones, 0);
	assert_int_equal(conf_set(c, "zone", "a.example", err, sizeof(err)), 0);
	assert_int_equal(c->nzones, 1);
	assert_string_equal(c->zones[0], "a.example");
}

static void
test_too_many_values(void **state)
{
	struct fixture	*f = *state;
	char		 text[4096] = "", line[64];
	int		 i;

	for (i = 0; i <= CONF_MAX_LIST; i++) {
		snprintf(line, sizeof(line), "zone = z%d.example\n", i);
		strcat(text, line);
	}
	load_bad(f, text, CONF_MAX_LIST + 1, "zone: more than 16 values");
	assert_int_equal(f->c.nzones, CONF_MAX_LIST);

	conf_free(&f->c);
	conf_init(&f->c);
	text[0] = '\0';
	for (i = 0; i <= CONF_MAX_LIST; i++) {
		snprintf(line, sizeof(line), "dns_listen = 127.0.0.1:%d\n",
		    5300 + i);
		strcat(text, line);
	}
	load_bad(f, text, CONF_MAX_LIST + 1, "dns_listen: more than 16 values");
	assert_int_equal(f->c.ndns_listen, CONF_MAX_LIST);
	assert_int_equal(f->c.dns_listen[CONF_MAX_LIST - 1].port, 5315);
}

static void
listen_ok(const char *s, const char *host, uint16_t port)
{
	struct conf_listen	 l;
	char			 err[256] = "";

	memset(&l, 0, sizeof(l));
	if (conf_parse_listen(s, 53, &l, err, sizeof(err)) != 0)
		fail_msg("conf_parse_listen(\"%s\"): %s", s, err);
	assert_string_equal(l.host, host);
	assert_int_equal(l.port, port);
}

static void
listen_bad(const char *s)
{
	struct conf_listen	 l;
	char			 err[256] = "";

	if (conf_parse_listen(s, 53, &l, err, sizeof(err)) != -1)
		fail_msg("conf_parse_listen(\"%s\") accepted", s);
	/* The message names the input. */
	if (strstr(err, s) == NULL)
		fail_msg("conf_parse_listen(\"%s\"): \"%s\"", s, err);
}

static void
test_listen(void **state)
{
	(void)state;
	listen_ok("[::1]:53", "::1", 53);
	listen_ok("127.0.0.1:5353", "127.0.0.1", 5353);
	listen_ok("127.0.0.1", "127.0.0.1", 53);
	listen_ok("[::1]", "::1", 53);
	listen_ok("[2001:db8::53]:65535", "2001:db8::53", 65535);
	listen_ok("0.0.0.0:1", "0.0.0.0", 1);
	listen_bad("::1:53");			/* v6 needs brackets */
	listen_bad("::1");
	listen_bad("[::1");
	listen_bad("[::1]53");
	listen_bad("[::1]:");
	listen_bad("[]:53");
	listen_bad("127.0.0.1:");
	listen_bad("127.0.0.1:0");
	listen_bad("127.0.0.1:65536");
	listen_bad("127.0.0.1:-5");
	listen_bad("127.0.0.1:53x");
	listen_bad("127.0.0.1: 53");
	listen_bad("127.0.0.1:+53");
	listen_bad("[::1]: 53");
	listen_bad(":53");
	listen_bad("");
	listen_bad("localhost:53");		/* names are not resolved */
	listen_bad("127.0.0.0/8:53");
	listen_bad("127.0.0:53");
	listen_bad("[127.0.0.1:53");
}

static void
test_errors(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "# ok\nzone = a.example\nx = 1\n", 3, "unknown key 'x'");
	load_bad(f, "\n\nttl = 10x\n", 3,
	    "ttl: bad duration '10x' (use e.g. 30s, 10m, 2h, 30d)");
	load_bad(f, "neg_ttl = -5\n", 1, "neg_ttl: bad duration '-5'");
	load_bad(f, "ttl =\n", 1, "ttl: bad duration ''");
	load_bad(f, "tcp_max_clients = 12x\n", 1,
	    "tcp_max_clients: bad number '12x'");
	load_bad(f, "workers = -1\n", 1, "workers: bad number '-1'");
	load_bad(f, "workers = 99999999999999999999999\n", 1,
	    "workers: bad number");
	load_bad(f, "workers =\n", 1, "workers: bad number ''");
	load_bad(f, "database /tmp/x.db\n", 1, "expected 'key = value'");
	load_bad(f, "\n  zone\n", 2, "expected 'key = value'");
	load_bad(f, "= value\n", 1, "unknown key ''");
	load_bad(f, "dns_listen = ::1:53\n", 1, "::1:53: write IPv6 as");
	load_bad(f, "dns_listen = 127.0.0.1:99999\n", 1,
	    "127.0.0.1:99999: bad port");
	/* A value with several words is one value: for a duration, bad. */
	load_bad(f, "ttl = 30s 10m\n", 1, "ttl: bad duration '30s 10m'");
	load_bad(f, "web_admin_token = \"abc\n", 1, "unterminated '\"'");
	load_bad(f, "web_admin_token = \"abc\" def\n", 1,
	    "web_admin_token: text after the closing '\"'");
	load_bad(f, "probe_ports = 25 x\n", 1, "probe_ports: bad port");
	load_bad(f, "probe_ports = 0\n", 1, "probe_ports: bad port");
}

/*
 * A '#' starts a comment only at a line's start or after white space:
 * a secret with a '#' inside is never cut silently.  Quotes keep
 * anything.
 */
static void
test_hash_and_quotes(void **state)
{
	struct fixture	*f = *state;
	struct conf	*c = &f->c;
	char		 err[512] = "";

	write_file(f,
	    "web_admin_token = Zx9kQ2pL7vBmN4tR#8wYc2gH5jD\n"
	    "default_reason = \"listed #1: see \\\"x\\\" \\\\ $\"  # comment\n"
	    "sink_local = relay#test\t# a comment after a tab\n"
	    "helo_name = \"\"\n"
	    "probe_ports = 25, 2525 587\n"
	    "probe_ports = 465\n");
	if (conf_load(c, f->path, err, sizeof(err)) != 0)
		fail_msg("conf_load: %s", err);
	assert_string_equal(c->web_admin_token, "Zx9kQ2pL7vBmN4tR#8wYc2gH5jD");
	assert_string_equal(c->default_reason, "listed #1: see \"x\" \\ $");
	assert_string_equal(c->sink_local, "relay#test");
	assert_string_equal(c->helo_name, "");
	assert_int_equal(c->nprobe_ports, 4);
	assert_int_equal(c->probe_ports[0], 25);
	assert_int_equal(c->probe_ports[1], 2525);
	assert_int_equal(c->probe_ports[2], 587);
	assert_int_equal(c->probe_ports[3], 465);
}

static void
test_missing_file(void **state)
{
	struct fixture	*f = *state;
	char		 err[512] = "";

	unlink(f->path);
	assert_int_equal(conf_load(&f->c, f->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "No such file"));
}

static void
test_long_line(void **state)
{
	struct fixture	*f = *state;
	char		*text;
	size_t		 n = 5000, o;

	assert_non_null(text = malloc(n + 64));
	strcpy(text, "# ok\ndatabase = /");
	o = strlen(text);
	memset(text + o, 'a', n);
	strcpy(text + o + n, "\nzone = a.example\n");
	load_bad(f, text, 2, "line too long");
	free(text);
}

static void
test_conf_free_all(void **state)
{
	struct conf	 c;
	char		 err[256];

	(void)state;
	/* Defaults alone, then after overrides: ASan reports any leak. */
	conf_init(&c);
	conf_free(&c);
	assert_null(c.database);
	assert_int_equal(c.nzones, 0);
	conf_free(&c);		/* twice is harmless after the reset */
	conf_free(NULL);

	conf_init(&c);
	assert_int_equal(conf_set(&c, "zone", "a.example", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "zone", "b.example", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "ns", "ns.example", err, sizeof(err)), 0);
	assert_int_equal(conf_set(&c, "user", "nobody", err, sizeof(err)), 0);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_replaces_default,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_values, setup,
		    teardown),
		cmocka_unit_test(test_listen),
		cmocka_unit_test_setup_teardown(test_hash_and_quotes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test(test_conf_free_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
