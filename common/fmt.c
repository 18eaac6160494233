/*
 * fmt.c -- shared value formats (fmt.h).
 */
#include <stdio.h>
#include <time.h>

#include "fmt.h"

char *
fmt_code(uint32_t code, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", code >> 24, (code >> 16) & 0xff,
	    (code >> 8) & 0xff, code & 0xff);
	return buf;
}

/* t in UTC as ISO (RFC 3339) or for people; "never" for 0. */
static char *
fmt_time(int64_t t, int iso, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (len == 0)
		return buf;
	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "never");
	else if (strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%SZ" :
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

char *
fmt_time_iso(int64_t t, char *buf, size_t len)
{
	return fmt_time(t, 1, buf, len);
}

char *
fmt_time_human(int64_t t, char *buf, size_t len)
{
	return fmt_time(t, 0, buf, len);
}
