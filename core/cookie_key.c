/*
 * cookie_key.c -- the cookie HMAC key: checked when configured, made once
 * and kept in "<database>.key" (mode 0600) when not.  See cookie_key.h.
 *
 * The generated key file appears complete or not at all: it is written to
 * a temporary file (mkostemp: mode 0600) in the same directory, synced,
 * and link()ed into place, which fails with EEXIST if another process was
 * first -- the loser then reads the winner's file.  So two processes
 * starting at once on a new database agree on one key.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "cookie_key.h"
#include "db.h"

#define KEY_TEXT_MAX	4096	/* file:PATH: at most this many bytes read */
#define KEY_HEX		(2 * COOKIE_KEY_GEN)
#define KEY_DISTINCT	10	/* different characters in a key text */
#define KEY_PERIOD	16	/* refuse patterns repeating this often */
#define META_KEY	"cookie_key"	/* where orbl kept it before */
#define MODE_OPEN	(S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)

static void	 seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 addwarn(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
seterr(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Append a warning to buf, "; " between two. */
static void
addwarn(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;

	if (buf == NULL || len == 0)
		return;
	n = strlen(buf);
	if (n > 0 && n + 2 < len) {
		memcpy(buf + n, "; ", 3);
		n += 2;
	}
	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static int
lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Does s (len bytes) contain word (lower case), ignoring ASCII case? */
static int
has_word(const char *s, size_t len, const char *word)
{
	size_t	 wl = strlen(word), i, k;

	for (i = 0; i + wl <= len; i++) {
		for (k = 0; k < wl; k++)
			if (lower_ascii((unsigned char)s[i + k]) != word[k])
				break;
		if (k == wl)
			return 1;
	}
	return 0;
}

int
cookie_key_check(const char *text, size_t len, const char *what, char *err,
    size_t errlen)
{
	static const char *const words[] = { "change", "placeholder",
	    "example", "replace", "password", NULL };
	unsigned char	 seen[256];
	size_t		 i, p, distinct = 0;
	int		 w;

	if (what == NULL)
		what = "cookie_key";
	if (text == NULL || len < COOKIE_KEY_MIN) {
		seterr(err, errlen, "%s is too short (%zu characters, at least "
		    "%d): %s", what, text ? len : 0, COOKIE_KEY_MIN,
		    COOKIE_KEY_HOWTO);
		return -1;
	}
	for (w = 0; words[w] != NULL; w++)
		if (has_word(text, len, words[w])) {
			seterr(err, errlen, "%s is a placeholder, not a "
			    "secret: %s", what, COOKIE_KEY_HOWTO);
			return -1;
		}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < len; i++)
		if (!seen[(unsigned char)text[i]]++)
			distinct++;
	if (distinct < KEY_DISTINCT) {
		seterr(err, errlen, "%s has too few different characters (%zu, "
		    "at least %d): %s", what, distinct, KEY_DISTINCT,
		    COOKIE_KEY_HOWTO);
		return -1;
	}
	for (p = 1; p <= KEY_PERIOD && p < len; p++) {
		for (i = p; i < len && text[i] == text[i - p]; i++)
			;
		if (i == len) {
			seterr(err, errlen, "%s is a short pattern repeated: %s",
			    what, COOKIE_KEY_HOWTO);
			return -1;
		}
	}
	return 0;
}

/*
 * Read all of the regular file path (at most max - 1 bytes) into buf,
 * NUL-terminated; its length in *len, its mode in *mode.  Returns 0, 1 if
 * it does not exist (ENOENT), or -1 with err set.
 */
static int
read_small(const char *path, char *buf, size_t max, size_t *len,
    mode_t *mode, char *err, size_t errlen)
{
	struct stat	 sb;
	ssize_t		 r;
	size_t		 n = 0;
	int		 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return 1;
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		e = errno;
		close(fd);
		seterr(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		seterr(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	for (;;) {
		r = read(fd, buf + n, max - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == max - 1)
			break;
	}
	e = errno;
	close(fd);
	buf[n] = '\0';
	if (r == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	*len = n;
	*mode = sb.st_mode;
	return 0;
}

/* cookie_key = "file:PATH": the first line of PATH is the key text. */
static int
load_file(const char *path, uint8_t *key, size_t *keylen, size_t keymax,
    char *warn, size_t warnlen, char *err, size_t errlen)
{
	char		 buf[KEY_TEXT_MAX], what[64 + PATH_MAX];
	const char	*nl;
	size_t		 n = 0, line;
	mode_t		 mode = 0;
	int		 rc;

	if (*path == '\0') {
		seterr(err, errlen, "cookie_key: file: without a path");
		return -1;
	}
	if ((rc = read_small(path, buf, sizeof(buf), &n, &mode, what,
	    sizeof(what))) != 0) {
		if (rc == 1)
			seterr(err, errlen, "cookie_key: %s: %s", path,
			    strerror(ENOENT));
		else
			seterr(err, errlen, "cookie_key: %s", what);
		return -1;
	}
	nl = memchr(buf, '\n', n);
	line = nl != NULL ? (size_t)(nl - buf) : n;
	if (nl == NULL && n == sizeof(buf) - 1) {
		seterr(err, errlen, "cookie_key: %s: first line too long",
		    path);
		goto fail;
	}
	if (memchr(buf, '\0', line) != NULL) {
		seterr(err, errlen, "cookie_key: %s: a NUL byte in the key",
		    path);
		goto fail;
	}
	while (line > 0 && (buf[line - 1] == '\r' || buf[line - 1] == ' ' ||
	    buf[line - 1] == '\t'))
		line--;
	snprintf(what, sizeof(what), "the cookie key in %s", path);
	if (cookie_key_check(buf, line, what, err, errlen) == -1)
		goto fail;
	*keylen = line < keymax ? line : keymax;
	memcpy(key, buf, *keylen);
	explicit_bzero(buf, sizeof(buf));
	if (mode & MODE_OPEN)
		addwarn(warn, warnlen, "cookie key file %s can be read or "
		    "written by group or others (mode %04o): chmod 600 %s",
		    path, (unsigned)(mode & 07777), path);
	return 0;
 fail:
	explicit_bzero(buf, sizeof(buf));
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower_ascii(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* KEY_HEX hex digits at s into COOKIE_KEY_GEN bytes.  0, or -1. */
static int
unhex(const char *s, uint8_t *out)
{
	int	 i, hi, lo;

	for (i = 0; i < COOKIE_KEY_GEN; i++) {
		if ((hi = hexval((unsigned char)s[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)s[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * The generated key file: exactly KEY_HEX hex digits and an optional
 * newline.  Returns 0, 1 if there is none, or -1 with err set.
 */
static int
read_keyfile(const char *path, uint8_t *out, mode_t *mode, char *err,
    size_t errlen)
{
	char	 buf[KEY_HEX + 8];
	size_t	 n = 0;
	int	 rc;

	if ((rc = read_small(path, buf, sizeof(buf), &n, mode, err,
	    errlen)) != 0)
		return rc;
	if (n > KEY_HEX && buf[n - 1] == '\n')
		n--;
	if (n != KEY_HEX || unhex(buf, out) == -1) {
		explicit_bzero(buf, sizeof(buf));
		seterr(err, errlen, "%s: not a cookie key (%d hex digits): "
		    "remove it to make a new one", path, KEY_HEX);
		return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* fsync the directory holding path (the new name must survive). */
static void
sync_dir(const char *path)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');
	int		 fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Create path holding the key k (COOKIE_KEY_GEN bytes) in hex, mode 0600,
 * whole or not at all.  Returns 0, 1 if path exists already (another
 * process was first), or -1 with err set.
 */
static int
create_keyfile(const char *path, const uint8_t *k, char *err, size_t errlen)
{
	static const char	 digits[] = "0123456789abcdef";
	char			 tmp[PATH_MAX], hex[KEY_HEX + 1];
	size_t			 off = 0;
	ssize_t			 w;
	int			 fd, i, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		seterr(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		seterr(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < COOKIE_KEY_GEN; i++) {
		hex[2 * i] = digits[k[i] >> 4];
		hex[2 * i + 1] = digits[k[i] & 0xf];
	}
	hex[KEY_HEX] = '\n';
	while (off < sizeof(hex)) {
		if ((w = write(fd, hex + off, sizeof(hex) - off)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			if (w == 0)
				errno = EIO;
			break;
		}
		off += (size_t)w;
	}
	explicit_bzero(hex, sizeof(hex));
	if (off < sizeof(hex) || fchmod(fd, S_IRUSR | S_IWUSR) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		seterr(err, errlen, "cannot write %s: %s", tmp, strerror(e));
		return -1;
	}
	if (close(fd) == -1) {
		e = errno;
		unlink(tmp);
		seterr(err, errlen, "cannot write %s: %s", tmp, strerror(e));
		return -1;
	}
	if (link(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		if (e == EEXIST)
			return 1;
		seterr(err, errlen, "cannot create %s: %s", path, strerror(e));
		return -1;
	}
	unlink(tmp);
	sync_dir(path);
	return 0;
}

static int
get_random(uint8_t *out, size_t len, char *err, size_t errlen)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n < len) {
		if ((r = getrandom(out + n, len - n, 0)) == -1) {
			if (errno == EINTR)
				continue;
			seterr(err, errlen, "getrandom: %s", strerror(errno));
			return -1;
		}
		n += (size_t)r;
	}
	return 0;
}

/* cookie_key unset: "<database>.key", made (or moved from meta) once. */
static int
load_generated(const char *database, struct db *db, uint8_t *key,
    size_t *keylen, char *warn, size_t warnlen, char *err, size_t errlen)
{
	char	 path[PATH_MAX], meta[KEY_HEX + 2];
	uint8_t	 k[COOKIE_KEY_GEN], old[COOKIE_KEY_GEN];
	mode_t	 mode = 0;
	int	 rc, tries, have_old = 0, made = 0, moved = 0, inmeta = 0;

	if (database == NULL || *database == '\0' ||
	    (size_t)snprintf(path, sizeof(path), "%s%s", database,
	    COOKIE_KEY_SUFFIX) >= sizeof(path) - 8) {
		seterr(err, errlen, "cookie_key is unset and there is no "
		    "database path to keep a key beside: set cookie_key (%s)",
		    COOKIE_KEY_HOWTO);
		return -1;
	}
	/* An older orbl kept the key in the database: take it along. */
	if (db != NULL) {
		rc = db_meta_get(db, META_KEY, meta, sizeof(meta));
		if (rc == -1) {
			seterr(err, errlen, "cannot read the database: %s",
			    db_errmsg(db));
			return -1;
		}
		if (rc == 0) {
			inmeta = 1;
			have_old = strlen(meta) == KEY_HEX &&
			    unhex(meta, old) == 0;
		}
		explicit_bzero(meta, sizeof(meta));
	}
	rc = -1;
	for (tries = 0; tries < 3; tries++) {
		if ((rc = read_keyfile(path, k, &mode, err, errlen)) != 1)
			break;
		if (have_old)
			memcpy(k, old, sizeof(k));
		else if (get_random(k, sizeof(k), err, errlen) == -1) {
			rc = -1;
			break;
		}
		if ((rc = create_keyfile(path, k, err, errlen)) != 1) {
			made = rc == 0;
			moved = made && have_old;
			break;
		}
		/* Another process made it first: read that one. */
		rc = 1;
	}
	if (rc == 1)
		seterr(err, errlen, "%s: created and removed again while "
		    "starting: giving up", path);
	if (rc != 0)
		goto fail;
	if (!made && (mode & MODE_OPEN))
		addwarn(warn, warnlen, "cookie key file %s can be read or "
		    "written by group or others (mode %04o): chmod 600 %s",
		    path, (unsigned)(mode & 07777), path);
	/* The database is no place for the key: remove the old copy. */
	if (inmeta && db_meta_delete(db, META_KEY) == -1) {
		seterr(err, errlen, "cannot remove the old cookie key from the "
		    "database: %s", db_errmsg(db));
		goto fail;
	}
	if (moved)
		addwarn(warn, warnlen, "the cookie key was moved from the "
		    "database into %s; if the database was ever readable by "
		    "others, remove %s and restart to make a new key (test "
		    "mail already sent then no longer confirms)", path, path);
	else if (have_old && memcmp(old, k, sizeof(k)) != 0)
		addwarn(warn, warnlen, "an old cookie key in the database "
		    "differed from %s and was removed", path);
	memcpy(key, k, sizeof(k));
	*keylen = sizeof(k);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(old, sizeof(old));
	return 0;
 fail:
	explicit_bzero(k, sizeof(k));
	explicit_bzero(old, sizeof(old));
	return -1;
}

int
cookie_key_load(const struct conf *conf, struct db *db, uint8_t *key,
    size_t *keylen, size_t keymax, char *warn, size_t warnlen, char *err,
    size_t errlen)
{
	const char	*ck;
	size_t		 len;
	int		 rc;

	if (warn != NULL && warnlen > 0)
		warn[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (keylen != NULL)
		*keylen = 0;
	if (conf == NULL || key == NULL || keylen == NULL ||
	    keymax < COOKIE_KEY_MIN) {
		seterr(err, errlen, "cookie_key_load: bad arguments");
		return -1;
	}
	ck = conf->cookie_key != NULL ? conf->cookie_key : "";
	if (strncmp(ck, "file:", 5) == 0)
		rc = load_file(ck + 5, key, keylen, keymax, warn, warnlen,
		    err, errlen);
	else if (*ck == '\0')
		rc = load_generated(conf->database, db, key, keylen, warn,
		    warnlen, err, errlen);
	else if ((rc = cookie_key_check(ck, len = strlen(ck), "cookie_key",
	    err, errlen)) == 0) {
		*keylen = len < keymax ? len : keymax;
		memcpy(key, ck, *keylen);
	}
	if (rc != 0) {
		explicit_bzero(key, keymax);
		*keylen = 0;
		return -1;
	}
	return 0;
}
