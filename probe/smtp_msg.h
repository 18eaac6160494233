/*
 * smtp_msg.h -- the test message a relay test sends after "354": its
 * headers, its body, and where the cookie goes.  Pure: no I/O, no clock
 * (the caller gives the date).
 *
 * The cookie is in three places -- the Subject ("orbl relay test N
 * <cookie>"), the Message-ID ("<cookie@helo>") and a body line "Cookie:
 * <cookie>" -- and never in the envelope.  sink_inspect.c reads those
 * places back: the two files must agree.
 */
#ifndef ORBL_SMTP_MSG_H
#define ORBL_SMTP_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SMTP_MSG_TEXT_MAX	4096	/* the message, before stuffing */
/* On the wire at most: every line one CR and one stuffing dot more (a
 * line is at least its LF), and the final ".\r\n". */
#define SMTP_MSG_MAX		(3 * SMTP_MSG_TEXT_MAX + 4)

struct smtp_msg {
	const char	*from_local;	/* From: <from_local@helo> */
	const char	*helo;		/* Q: the prober's domain */
	const char	*rcpt_to;	/* To: the envelope recipient as
					   sent, brackets included */
	int		 test_id;
	const char	*test_name;
	const char	*cookie;
	const char	*target;	/* the target's address text */
	uint16_t	 port;
	time_t		 date;		/* the Date: header */
};

/*
 * The message as the client sends it after "354": CRLF line ends,
 * dot-stuffed (RFC 5321 4.5.2), ending with the "." line.  Writes it and
 * a NUL into buf.  Returns its length (without the NUL), or -1 when it
 * does not fit SMTP_MSG_TEXT_MAX before stuffing or len on the wire
 * (SMTP_MSG_MAX is always enough for the first).
 */
int	 smtp_msg_make(const struct smtp_msg *, char *buf, size_t len);

/* t as an RFC 5322 date, locale-independent: "Tue, 01 Jul 2025 12:00:00
 * +0000". */
void	 smtp_msg_date(time_t t, char *buf, size_t len);

#endif
