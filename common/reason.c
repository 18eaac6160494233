/*
 * reason.c -- see reason.h.
 */
#include <stdio.h>
#include <string.h>

#include "reason.h"

int
reason_check(const char *s, char *buf, char *err, size_t errlen)
{
	const char	*e;
	size_t		 n;

	buf[0] = '\0';
	if (s == NULL)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((n = (size_t)(e - s)) == 0)
		return 0;
	if (n > REASON_MAX) {
		snprintf(err, errlen, "reason too long (%zu bytes, at most %d)",
		    n, REASON_MAX);
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (e = buf; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f) {
			snprintf(err, errlen, "reason contains a control "
			    "character");
			return -1;
		}
	return 1;
}
