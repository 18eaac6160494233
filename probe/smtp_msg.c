/*
 * smtp_msg.c -- the test message (see smtp_msg.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smtp_msg.h"

void
smtp_msg_date(time_t t, char *buf, size_t len)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Append n bytes at *off; -1 when they and a NUL do not fit. */
static int
put(char *buf, size_t len, size_t *off, const char *p, size_t n)
{
	if (n >= len - *off)
		return -1;
	memcpy(buf + *off, p, n);
	*off += n;
	buf[*off] = '\0';
	return 0;
}

/*
 * The body says, for whoever finds this message where it should not be,
 * what it is and whom to tell.  Its last line starts with a dot, so that
 * every message exercises the server's transparency (and a server that
 * does not unstuff shows in the evidence).
 */
int
smtp_msg_make(const struct smtp_msg *m, char *buf, size_t len)
{
	char		 text[SMTP_MSG_TEXT_MAX], date[64];
	const char	*p, *nl;
	size_t		 off = 0;
	int		 n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	smtp_msg_date(m->date, date, sizeof(date));
	n = snprintf(text, sizeof(text),
	    "From: <%s@%s>\n"
	    "To: %s\n"
	    "Subject: orbl relay test %d %s\n"
	    "Message-ID: <%s@%s>\n"
	    "Date: %s\n"
	    "\n"
	    "This message tests whether the mail server at %s port %u\n"
	    "relays mail for anyone (an open relay).  It was sent by the\n"
	    "orbl relay prober at %s to the prober's own mailbox; if it\n"
	    "reached anyone else, please tell postmaster@%s.\n"
	    "\n"
	    "Test: %d (%s)\n"
	    "Target: %s port %u\n"
	    "Cookie: %s\n"
	    "\n"
	    ".This line starts with a dot (SMTP transparency, RFC 5321"
	    " 4.5.2).\n",
	    m->from_local, m->helo,
	    m->rcpt_to,
	    m->test_id, m->cookie,
	    m->cookie, m->helo,
	    date,
	    m->target, (unsigned)m->port, m->helo, m->helo,
	    m->test_id, m->test_name,
	    m->target, (unsigned)m->port,
	    m->cookie);
	if (n < 0 || (size_t)n >= sizeof(text))
		goto fail;

	/* CRLF line ends; a line that starts with a dot gets one more. */
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);	/* never: text ends in \n */
		if ((*p == '.' && put(buf, len, &off, ".", 1) == -1) ||
		    put(buf, len, &off, p, (size_t)(nl - p)) == -1 ||
		    put(buf, len, &off, "\r\n", 2) == -1)
			goto fail;
		if (*nl == '\0')
			break;
	}
	if (put(buf, len, &off, ".\r\n", 3) == -1)
		goto fail;
	return (int)off;
fail:
	buf[0] = '\0';
	return -1;
}
