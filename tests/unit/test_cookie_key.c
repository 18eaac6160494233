/*
 * test_cookie_key.c -- unit tests for core/cookie_key.c: the generated
 * key file (mode 0600, 64 hex digits, the same key on every load, one key
 * when several processes race to make it), the move of an old key out of
 * the database, weak and placeholder keys refused with the way to make a
 * good one, the file: form, and warnings for key files others can read.
 *
 * Every test runs in its own temporary directory, removed afterwards.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
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
#include "cookie_key.h"
#include "db.h"

#define HEX64	"3f9a0c1e5b7d2468ace013579bdf02468ace13579bdf0246" \
		"8ace13579bdf0246"
#define KEYMAX	64

struct fixture {
	char		 dir[64];
	char		 path[96];	/* the database */
	char		 keypath[112];	/* beside it */
	struct conf	 conf;
	struct db	*db;
	uint8_t		 key[KEYMAX];
	size_t		 keylen;
	char		 warn[1024], err[1024];
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/orbl-test-ck.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/orbl.db", f->dir);
	snprintf(f->keypath, sizeof(f->keypath), "%s.key", f->path);
	f->conf.database = f->path;
	f->conf.cookie_key = "";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	struct dirent	*de;
	DIR		*d;
	char		 p[512];

	db_close(f->db);
	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	if (rmdir(f->dir) == -1)
		fprintf(stderr, "teardown: %s left behind\n", f->dir);
	free(f);
	return 0;
}

static void
open_db(struct fixture *f)
{
	char	 err[512] = "";

	f->db = db_open(f->path, DB_CREATE, err, sizeof(err));
	if (f->db == NULL)
		fail_msg("db_open: %s", err);
}

static int
load(struct fixture *f)
{
	memset(f->key, 0xa5, sizeof(f->key));
	return cookie_key_load(&f->conf, f->db, f->key, &f->keylen,
	    sizeof(f->key), f->warn, sizeof(f->warn), f->err, sizeof(f->err));
}

static void
load_ok(struct fixture *f)
{
	if (load(f) != 0)
		fail_msg("cookie_key_load: %s", f->err);
	assert_string_equal(f->err, "");
}

/* Must fail naming the remedy, without quoting the key. */
static void
load_refused(struct fixture *f, const char *ck)
{
	size_t	 i;

	f->conf.cookie_key = (char *)ck;
	assert_int_equal(load(f), -1);
	assert_int_equal(f->keylen, 0);
	for (i = 0; i < sizeof(f->key); i++)
		assert_int_equal(f->key[i], 0);
	assert_non_null(strstr(f->err, "openssl rand -hex 32"));
	if (strlen(ck) >= 8)
		assert_null(strstr(f->err, ck));
}

static void
write_filen(const char *path, const char *text, size_t len, mode_t mode)
{
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	write_filen(path, text, strlen(text), mode);
}

static void
read_text(const char *path, char *buf, size_t len)
{
	FILE	*fp = fopen(path, "r");
	size_t	 n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void
hex_of(const uint8_t *k, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", k[i]);
}

/* The key file: 64 lower-case hex digits and a newline, mode 0600. */
static void
assert_keyfile(struct fixture *f, const uint8_t *k)
{
	struct stat	 sb;
	char		 text[256], hex[80];

	assert_int_equal(stat(f->keypath, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	read_text(f->keypath, text, sizeof(text));
	assert_int_equal(strlen(text), 65);
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	assert_int_equal(text[64], '\n');
	hex_of(k, 32, hex);
	assert_memory_equal(text, hex, 64);
}

static void
test_generate(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 first[32];
	mode_t		 um;

	open_db(f);
	/* a loose umask does not loosen the key file */
	um = umask(0);
	load_ok(f);
	umask(um);
	assert_int_equal(f->keylen, 32);
	assert_string_equal(f->warn, "");
	assert_keyfile(f, f->key);
	memcpy(first, f->key, 32);
	/* not the 0xa5 fill, not zeros: getrandom's */
	assert_true(memcmp(first, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8) != 0);
	assert_true(memcmp(first, "\0\0\0\0\0\0\0\0", 8) != 0);

	/* The second load (another process, a restart): the same key. */
	load_ok(f);
	assert_int_equal(f->keylen, 32);
	assert_memory_equal(f->key, first, 32);
	assert_string_equal(f->warn, "");
	/* ... also without a database connection. */
	db_close(f->db);
	f->db = NULL;
	load_ok(f);
	assert_memory_equal(f->key, first, 32);
	/* Nothing went into the database. */
	open_db(f);
	{
		char	 buf[128];

		assert_int_equal(db_meta_get(f->db, "cookie_key", buf,
		    sizeof(buf)), DB_NOTFOUND);
	}
}

/* An older orbl kept the key in meta: moved into the file, same bytes. */
static void
test_migrate(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 old[32];
	char		 buf[128];
	unsigned int	 b;
	int		 i;

	open_db(f);
	assert_int_equal(db_meta_set(f->db, "cookie_key", HEX64), 0);
	for (i = 0; i < 32; i++) {
		assert_int_equal(sscanf(HEX64 + 2 * i, "%2x", &b), 1);
		old[i] = (uint8_t)b;
	}
	load_ok(f);
	assert_int_equal(f->keylen, 32);
	assert_memory_equal(f->key, old, 32);
	assert_keyfile(f, old);
	assert_non_null(strstr(f->warn, "moved"));
	assert_non_null(strstr(f->warn, f->keypath));
	assert_null(strstr(f->warn, HEX64));
	assert_int_equal(db_meta_get(f->db, "cookie_key", buf, sizeof(buf)),
	    DB_NOTFOUND);
	/* Once moved, loads are quiet and keep the key. */
	load_ok(f);
	assert_memory_equal(f->key, old, 32);
	assert_string_equal(f->warn, "");
	/* Deleting again is DB_NOTFOUND, not an error. */
	assert_int_equal(db_meta_delete(f->db, "cookie_key"), DB_NOTFOUND);
}

/* A key file and a (different) stale copy in meta: the file wins, the
 * copy is removed. */
static void
test_file_and_meta(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 first[32];
	char		 buf[128];

	open_db(f);
	load_ok(f);
	memcpy(first, f->key, 32);
	assert_int_equal(db_meta_set(f->db, "cookie_key", HEX64), 0);
	load_ok(f);
	assert_memory_equal(f->key, first, 32);
	assert_non_null(strstr(f->warn, "differed"));
	assert_int_equal(db_meta_get(f->db, "cookie_key", buf, sizeof(buf)),
	    DB_NOTFOUND);
	/* A malformed old value is removed as well, and ignored. */
	assert_int_equal(db_meta_set(f->db, "cookie_key", "short"), 0);
	load_ok(f);
	assert_memory_equal(f->key, first, 32);
	assert_int_equal(db_meta_get(f->db, "cookie_key", buf, sizeof(buf)),
	    DB_NOTFOUND);
}

/* Several processes start at once on a new database: one key. */
static void
test_race(void **state)
{
	struct fixture	*f = *state;
	enum { N = 8 };
	int		 fds[N][2], i, status;
	pid_t		 pid[N];
	char		 got[N][80], text[256];

	for (i = 0; i < N; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		if ((pid[i] = fork()) == 0) {
			uint8_t	 k[KEYMAX];
			size_t	 kl = 0;
			char	 w[512], e[512], hex[80];
			ssize_t	 n;

			close(fds[i][0]);
			if (cookie_key_load(&f->conf, NULL, k, &kl, sizeof(k),
			    w, sizeof(w), e, sizeof(e)) != 0 || kl != 32)
				_exit(1);
			hex_of(k, 32, hex);
			n = write(fds[i][1], hex, 64);
			_exit(n == 64 ? 0 : 1);
		}
		assert_true(pid[i] > 0);
		close(fds[i][1]);
	}
	for (i = 0; i < N; i++) {
		ssize_t	 n = read(fds[i][0], got[i], 64);

		assert_int_equal(n, 64);
		got[i][64] = '\0';
		close(fds[i][0]);
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	read_text(f->keypath, text, sizeof(text));
	for (i = 0; i < N; i++)
		assert_memory_equal(got[i], text, 64);
}

static void
test_keyfile_checks(void **state)
{
	struct fixture	*f = *state;

	/* Readable by others: used, with a warning naming the remedy. */
	write_file(f->keypath, HEX64 "\n", 0644);
	load_ok(f);
	assert_int_equal(f->keylen, 32);
	assert_non_null(strstr(f->warn, f->keypath));
	assert_non_null(strstr(f->warn, "chmod 600"));
	assert_null(strstr(f->warn, HEX64));
	/* Without the newline, upper case: fine. */
	write_file(f->keypath, "3F9A0C1E5B7D2468ACE013579BDF02468ACE13579BDF0246"
	    "8ACE13579BDF0246", 0600);
	load_ok(f);
	assert_string_equal(f->warn, "");
	/* Malformed: refused, not replaced. */
	write_file(f->keypath, "not a key\n", 0600);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->err, "not a cookie key"));
	write_file(f->keypath, HEX64 "00\n", 0600);
	assert_int_equal(load(f), -1);
	write_file(f->keypath, HEX64 "\n\n", 0600);
	assert_int_equal(load(f), -1);
	write_file(f->keypath, "", 0600);
	assert_int_equal(load(f), -1);
	/* No database path: nowhere to keep a key. */
	unlink(f->keypath);
	f->conf.database = "";
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->err, "openssl rand -hex 32"));
}

static void
test_inline(void **state)
{
	struct fixture	*f = *state;
	char		 longkey[200];

	/* A good key: its text is the key (as before). */
	f->conf.cookie_key = HEX64;
	load_ok(f);
	assert_int_equal(f->keylen, 64);
	assert_memory_equal(f->key, HEX64, 64);
	assert_string_equal(f->warn, "");
	/* Exactly 32 characters of random text. */
	f->conf.cookie_key = "k2P9xQ7vL4mZ8cW1rT6yB3nH5jD0fG2s";
	load_ok(f);
	assert_int_equal(f->keylen, 32);
	/* The system tests' key passes. */
	f->conf.cookie_key = "a test secret, not for production";
	load_ok(f);
	/* Longer than keymax: cut (as before). */
	memset(longkey, 0, sizeof(longkey));
	snprintf(longkey, sizeof(longkey), "%s%s%s", HEX64, HEX64, "tail");
	f->conf.cookie_key = longkey;
	load_ok(f);
	assert_int_equal(f->keylen, KEYMAX);
	assert_memory_equal(f->key, longkey, KEYMAX);
	/* No key file is made for an inline key. */
	assert_int_equal(access(f->keypath, F_OK), -1);

	/* Refused: short, placeholders, too uniform, patterns. */
	load_refused(f, "change-me");
	assert_non_null(strstr(f->err, "too short"));
	load_refused(f, "changeme");
	load_refused(f, "secret");
	load_refused(f, "example");
	load_refused(f, "3f9a0c1e5b7d2468ace013579bdf024");	/* 31 */
	/* what examples/orbl.conf ships */
	load_refused(f, "change-me-to-a-long-random-secret");
	assert_non_null(strstr(f->err, "placeholder"));
	load_refused(f, "put-your-PLACEHOLDER-value-here-0123456789");
	load_refused(f, "this-is-an-Example-key-0123456789abcdef");
	load_refused(f, "please-replace-this-0123456789abcdefghij");
	load_refused(f, "password0123456789abcdefghijklmnopq");
	load_refused(f, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_non_null(strstr(f->err, "different characters"));
	load_refused(f, "abababababababababababababababab12345");
	load_refused(f, "0123456789abcdef0123456789abcdef");
	assert_non_null(strstr(f->err, "pattern"));
	load_refused(f, "0123456789012345678901234567890123456789");

	/* keymax too small for a strong key */
	f->conf.cookie_key = HEX64;
	assert_int_equal(cookie_key_load(&f->conf, NULL, f->key, &f->keylen,
	    16, f->warn, sizeof(f->warn), f->err, sizeof(f->err)), -1);
	/* cookie_key_check on its own */
	assert_int_equal(cookie_key_check(HEX64, 64, NULL, NULL, 0), 0);
	assert_int_equal(cookie_key_check(HEX64, 31, "k", f->err,
	    sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "k is too short (31 characters"));
}

static void
test_file_form(void **state)
{
	struct fixture	*f = *state;
	char		 ck[256], kf[128];

	snprintf(kf, sizeof(kf), "%s/cookie.secret", f->dir);
	snprintf(ck, sizeof(ck), "file:%s", kf);
	f->conf.cookie_key = ck;

	/* The first line is the key text; CR and trailing blanks go. */
	write_file(kf, HEX64 " \r\nsecond line ignored\n", 0600);
	load_ok(f);
	assert_int_equal(f->keylen, 64);
	assert_memory_equal(f->key, HEX64, 64);
	assert_string_equal(f->warn, "");
	write_file(kf, HEX64, 0400);
	load_ok(f);
	assert_int_equal(f->keylen, 64);
	assert_string_equal(f->warn, "");
	/* Readable (or writable) by group or others: a warning. */
	write_file(kf, HEX64 "\n", 0644);
	load_ok(f);
	assert_non_null(strstr(f->warn, kf));
	assert_non_null(strstr(f->warn, "chmod 600"));
	assert_null(strstr(f->warn, HEX64));
	write_file(kf, HEX64 "\n", 0620);
	load_ok(f);
	assert_non_null(strstr(f->warn, "chmod 600"));
	/* The same strength rules. */
	write_file(kf, "change-me-to-a-long-random-secret\n", 0600);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->err, "openssl rand -hex 32"));
	assert_non_null(strstr(f->err, kf));
	assert_null(strstr(f->err, "change-me-to"));
	write_file(kf, "\n" HEX64 "\n", 0600);		/* empty first line */
	assert_int_equal(load(f), -1);
	write_filen(kf, "3f9a0c1e5b7d2468\0ace013579bdf02468ace13579bdf0\n",
	    48, 0600);
	assert_int_equal(load(f), -1);
	/* Missing, a directory, no path. */
	unlink(kf);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->err, kf));
	snprintf(ck, sizeof(ck), "file:%s", f->dir);
	assert_int_equal(load(f), -1);
	assert_non_null(strstr(f->err, "not a regular file"));
	f->conf.cookie_key = "file:";
	assert_int_equal(load(f), -1);
	/* No key file beside the database either way. */
	assert_int_equal(access(f->keypath, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_and_meta, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyfile_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_form, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
