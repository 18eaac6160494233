/*
 * reason.h -- the one rule for a listing's reason text (its TXT record,
 * or the why of a removal), whoever writes it: orblctl add/remove, import
 * lines.  Pure.
 */
#ifndef ORBL_REASON_H
#define ORBL_REASON_H

#include <stddef.h>

#define REASON_MAX	255	/* bytes: one TXT character-string */

/*
 * Trim blanks around s and copy it into buf (REASON_MAX + 1 bytes).
 * Returns 1 (a reason in buf), 0 (none: s NULL or blank; buf ""), or -1
 * with the reason in err (longer than REASON_MAX, or a control
 * character).
 */
int	 reason_check(const char *s, char *buf, char *err, size_t errlen);

#endif
