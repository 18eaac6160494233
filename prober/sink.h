/*
 * sink.h -- the prober's own SMTP server: where every test message is
 * addressed, and where it arrives only if the tested server relayed it.
 *
 * It accepts mail for one mailbox (sink_local@sink_domain, also with the
 * domain as an address literal of its own address) and refuses every
 * other recipient.  It never relays and never sends mail.  Everything a
 * client sends is bounded (line length, message size, session time,
 * number of sessions).  For each message it received, it inspects it
 * (bounce or not, the cookie, the Received chain) and hands the result
 * to its owner; it stores nothing itself.
 */
#ifndef ORBL_SINK_H
#define ORBL_SINK_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sink;

struct sink_conf {
	const char	*host;		/* listen address, "127.0.0.1" */
	uint16_t	 port;		/* 0: any free port (tests) */
	const char	*domain;	/* sink_domain */
	const char	*local;		/* the mailbox's local part */
	const char	*hostname;	/* for the banner and Received */
	size_t		 max_message;	/* bytes of DATA kept (default 256 KiB) */
	int		 timeout;	/* seconds per command (default 60) */
	int		 max_sessions;	/* at once (default 256) */
};

/* What inspecting one received message found (pure: sink_inspect). */
struct sink_inspection {
	int		 bounce;	/* a delivery report, not the test mail */
	const char	*bounce_why;	/* "null sender", "multipart/report",
					   "Auto-Submitted", "cookie only in
					   an attached message", NULL */
	const char	*cookie;	/* first cookie in a top-level Subject,
					   Message-ID or body, or NULL */
	size_t		 cookielen;
	/* The Received: header lines, unfolded, one per line, bounded. */
	char		 received[2048];
};

/*
 * Inspect a message: mail_from is the envelope sender without brackets
 * ("" for the null sender); data is the message as received (headers,
 * blank line, body; dot-unstuffed, CRLF or LF).  Pure, bounded work.
 */
void	 sink_inspect(const char *mail_from, const char *data, size_t len,
	    struct sink_inspection *);

struct sink_message {
	const char	*peer;		/* address that delivered it */
	const char	*helo;
	const char	*mail_from;	/* without brackets */
	const char	*rcpt;		/* the (first) accepted recipient */
	const char	*data;		/* as received, bounded */
	size_t		 datalen;
	int		 truncated;	/* more than max_message arrived */
	struct sink_inspection insp;
};

/* NULL + err on failure (bind).  cb runs on base's thread for each
 * message; the message is borrowed for the call. */
struct sink	*sink_new(struct event_base *, const struct sink_conf *,
		    void (*cb)(const struct sink_message *, void *), void *arg,
		    char *err, size_t errlen);
uint16_t	 sink_port(const struct sink *);
void		 sink_free(struct sink *);

#endif
