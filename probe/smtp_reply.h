/*
 * smtp_reply.h -- parse SMTP server replies (RFC 5321 4.2), one line at a
 * time.  Pure, bounded, no allocation, no logging; fuzzed by
 * tests/fuzz/fuzz_smtp_reply.c.  Everything a hostile server sends is
 * bounded: line length, number of lines, total text kept.
 *
 * A reply is "ddd-text" continuation lines then one "ddd text" or bare
 * "ddd" last line.  The code is three digits, the first 2..5, the second
 * 0..5, the third any digit; every line of one reply carries the same
 * code.  The caller splits the stream into lines (and limits how much it
 * buffers while waiting for a line end: a line longer than SMTP_LINE_MAX
 * is an error here too, but only once the caller has it whole).
 *
 * End of stream in the middle of a reply (after "250-", say) is the
 * caller's concern: smtp_reply_feed() returned SMTP_REPLY_MORE for the
 * last line it saw, and the caller treats EOF in that state as a
 * protocol error.  Nothing here waits or times out.
 */
#ifndef ORBL_SMTP_REPLY_H
#define ORBL_SMTP_REPLY_H

#include <stddef.h>

#define SMTP_LINE_MAX		1000	/* RFC 5321 says 512; be lenient */
#define SMTP_REPLY_LINES_MAX	100	/* more is an endless reply */
#define SMTP_REPLY_TEXT_MAX	1024	/* text kept; the rest is counted
					   (the evidence keeps 256 bytes of a
					   reply; one is held per session) */

enum smtp_reply_status {
	SMTP_REPLY_MORE,	/* a continuation line: feed the next one */
	SMTP_REPLY_DONE,	/* the last line: code and text are ready */
	SMTP_REPLY_ERROR	/* malformed or too long: err says why */
};

struct smtp_reply {
	int	 code;			/* 200..599 */
	int	 nlines;
	size_t	 textlen;		/* bytes in text (without the NUL) */
	int	 truncated;		/* text was cut at SMTP_REPLY_TEXT_MAX */
	char	 text[SMTP_REPLY_TEXT_MAX];	/* lines without the code,
						   joined by '\n', NUL ended;
						   control bytes, NUL and
						   non-ASCII replaced by '?' */
	char	 err[128];		/* NUL ended, printable ASCII only */
	int	 done;			/* internal: the last line was seen */
};

/* Start a new reply (call before the first line of each reply). */
void	 smtp_reply_init(struct smtp_reply *);
/*
 * Feed one line without its CRLF (len bytes, may contain NULs; a CR left
 * inside is just a control byte).  Every line of one reply must carry the
 * same code; "250-" continues, "250 " or a bare "250" ends it.  Errors
 * are sticky, and a line fed after SMTP_REPLY_DONE without a new
 * smtp_reply_init() is an error ("reply already complete").  The error
 * texts "reply line too long" and "endless multi-line reply" are exact;
 * the others name the offending line (bounded, sanitized).
 */
enum smtp_reply_status smtp_reply_feed(struct smtp_reply *, const char *line,
	    size_t len);

#endif
