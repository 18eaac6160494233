/*
 * esc.h -- escaping text for HTML and JSON output.  Whatever goes into a
 * page or a JSON document passes through here: SMTP transcripts can hold
 * anything a hostile server sent.
 *
 * HTML: & < > " ' become entities (safe in text and in quoted attribute
 * values); bytes that are not valid UTF-8 and control characters other
 * than tab and newline become U+FFFD (a carriage return is dropped).
 * JSON: a quoted string (RFC 8259) or null for NULL; invalid UTF-8
 * becomes \ufffd; < > & and U+2028/U+2029 are written as \u escapes, so
 * the text is also safe inside a <script> block or a JavaScript string.
 *
 * Pure functions: no allocation (except the _dup forms), no logging.
 */
#ifndef ORBL_ESC_H
#define ORBL_ESC_H

#include <stddef.h>

/* Where escaped text goes: n bytes at p. */
typedef void	esc_put_fn(void *arg, const char *p, size_t n);

void	 esc_html_put(const char *s, esc_put_fn *put, void *arg);
void	 esc_json_put(const char *s, esc_put_fn *put, void *arg);

/*
 * Into a buffer, like snprintf: writes at most len bytes including the
 * terminating NUL and returns the length the whole escaped text needs
 * (>= len: it was cut).  s NULL: "" for HTML, null for JSON.
 */
size_t	 esc_html(char *dst, size_t len, const char *s);
size_t	 esc_json(char *dst, size_t len, const char *s);

/* The same, allocated (xmalloc: never NULL). */
char	*esc_html_dup(const char *s);
char	*esc_json_dup(const char *s);

/* Length of the valid UTF-8 sequence at s (0: not valid UTF-8). */
size_t	 esc_utf8_len(const unsigned char *s);
/* Is all of s valid UTF-8? */
int	 esc_utf8_valid(const char *s);
/*
 * A copy of s with every byte that does not start valid UTF-8 replaced by
 * U+FFFD, its length in *lenp.  NULL when out of memory (malloc: a caller
 * that tests allocation failure sees it).
 */
char	*esc_utf8_repair(const char *s, size_t *lenp);

#endif
