/*
 * cookie_key.h -- where the cookie HMAC key (cookie.h) comes from, and the
 * rules it must meet.  The key is the whole of a confirmation's secrecy:
 * whoever has it can forge test mail that lists any address.
 *
 * Three sources, by conf->cookie_key:
 *   "<text>"     the text itself is the key (its bytes, as before);
 *   "file:PATH"  the first line of PATH is the key text;
 *   "" (unset)   a random 32-byte key kept as 64 hex digits in the file
 *                "<database>.key" beside the database, created mode 0600
 *                on first use; every process using that database (the
 *                prober, orblctl probe) shares it.  A key that an older
 *                orbl kept in the database (meta "cookie_key") is moved
 *                into that file, so cookies already sent stay valid, and
 *                deleted from the database.
 * A key text (inline or file:) must be at least COOKIE_KEY_MIN characters,
 * not a known placeholder ("change-me...", anything with "change",
 * "placeholder", "example", "replace" or "password" in it), with at least
 * 10 different characters and no short repeated pattern.
 *
 * Pure except for file I/O, getrandom and the db calls; never logs, and
 * never puts the key (or any part of it) into warn or err.
 */
#ifndef ORBL_COOKIE_KEY_H
#define ORBL_COOKIE_KEY_H

#include <stddef.h>
#include <stdint.h>

#define COOKIE_KEY_MIN		32	/* characters: 128 bits as hex */
#define COOKIE_KEY_GEN		32	/* bytes of a generated key */
#define COOKIE_KEY_SUFFIX	".key"	/* beside the database */
#define COOKIE_KEY_HOWTO	"make one with: openssl rand -hex 32"

struct conf;
struct db;

/*
 * Load the key configured by conf (cookie_key, database) into key (at most
 * keymax bytes, keymax >= COOKIE_KEY_MIN; a longer key text is cut to
 * keymax bytes) and its length into *keylen.  db (may be NULL: no
 * migration) is an open read-write connection to conf->database, used
 * only to move an old key out of meta (db_meta_get/db_meta_delete).
 *
 * Returns 0 with warn set to "" or to a message the caller logs as a
 * warning (a key file group/others can read or write, a key just moved
 * out of the database; several are joined by "; "), or -1 with the reason
 * in err (a weak or placeholder key, naming COOKIE_KEY_HOWTO; an unreadable
 * or malformed key file; getrandom or file creation failed) and key
 * zeroed, *keylen 0.  warn and err may be NULL when their length is 0.
 */
int	 cookie_key_load(const struct conf *conf, struct db *db, uint8_t *key,
	    size_t *keylen, size_t keymax, char *warn, size_t warnlen,
	    char *err, size_t errlen);

/*
 * Check a key text of len bytes against the rules above (what = its
 * source for the message, e.g. "cookie_key").  Returns 0, or -1 with the
 * reason and COOKIE_KEY_HOWTO in err (the key itself is never quoted).
 */
int	 cookie_key_check(const char *text, size_t len, const char *what,
	    char *err, size_t errlen);

#endif
