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

/* gmtime of t, or NULL (with "never" in buf) for 0 or out of range. */
static struct tm *
fmt_tm(int64_t t, struct tm *tm, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;

	if (t != 0 && gmtime_r(&tt, tm) != NULL)
		return tm;
	snprintf(buf, len, "never");
	return NULL;
}

char *
fmt_time_iso(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (len > 0 && fmt_tm(t, &tm, buf, len) != NULL &&
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

char *
fmt_time_human(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (len > 0 && fmt_tm(t, &tm, buf, len) != NULL &&
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		buf[0] = '\0';
	return buf;
}
