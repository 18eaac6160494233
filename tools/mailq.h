/*
 * mailq.h -- a streaming parser for `mailq` output (Postfix, Sendmail,
 * Exim).  What orblctl queue-check counts with it is mailq_top.h's.
 *
 * The parser is pure: no I/O, no logging, no allocation after mailq_new.
 * Feed it the output in chunks of any size (lines may be split anywhere);
 * it detects the format from the first line it recognises, hands every
 * complete message to a callback and keeps only counters, so memory stays
 * the same for 3 messages or 3 million.  Lines it does not understand are
 * counted (stats.garbage), never fatal; only output with no recognisable
 * line at all is an error ("unknown format").
 *
 * An empty input (nothing but white space) is Exim's empty queue:
 * `exim -bp` prints nothing then.
 */
#ifndef ORBL_MAILQ_H
#define ORBL_MAILQ_H

#include <stddef.h>
#include <stdint.h>

#define MAILQ_LINE_MAX	8192	/* longer lines are counted as garbage */
#define MAILQ_RCPT_MAX	4096	/* recipients listed per message */
#define MAILQ_MSG_BUF	(256 * 1024)	/* text of one message */

#define MAILQ_FORMATS(X)						\
	X(MAILQ_FMT_UNKNOWN, "unknown")					\
	X(MAILQ_FMT_POSTFIX, "postfix")					\
	X(MAILQ_FMT_SENDMAIL, "sendmail")				\
	X(MAILQ_FMT_EXIM, "exim")
#define MAILQ_STATUSES(X)						\
	X(MAILQ_QUEUED, "queued")	/* waiting, never tried or no word */ \
	X(MAILQ_ACTIVE, "active")	/* being delivered now (*) */	\
	X(MAILQ_DEFERRED, "deferred")	/* tried, has a reason */	\
	X(MAILQ_HOLD, "hold")		/* Postfix !, Sendmail quarantine */ \
	X(MAILQ_FROZEN, "frozen")	/* Exim *** frozen *** */

#define MAILQ_X(e, s)	e,
enum mailq_format { MAILQ_FORMATS(MAILQ_X) MAILQ_NFORMATS };
enum mailq_status { MAILQ_STATUSES(MAILQ_X) MAILQ_NSTATUS };
#undef MAILQ_X

struct mailq_rcpt {
	const char	*addr;		/* without <>; "" for <> */
	int		 delivered;	/* Exim "D": already done */
};

/*
 * One queued message, as the callback sees it.  Every pointer is borrowed
 * and valid only during the callback.
 */
struct mailq_msg {
	const char		*id;		/* queue id, markers removed */
	uint64_t		 size;		/* bytes (Exim: from "2.9K") */
	const char		*arrival;	/* as printed; Exim: the age */
	const char		*sender;	/* without <>; "" = null sender
						 * (<>, MAILER-DAEMON) */
	enum mailq_status	 status;
	const char		*reason;	/* first deferral reason or
						 * quarantine text, or NULL */
	const struct mailq_rcpt	*rcpt;		/* the first nrcpt */
	size_t			 nrcpt;
	size_t			 nrcpt_total;	/* as printed: > nrcpt when the
						 * list was cut (MAILQ_RCPT_MAX,
						 * MAILQ_MSG_BUF) */
};

struct mailq_stats {
	enum mailq_format	 format;
	uint64_t		 messages;
	uint64_t		 status[MAILQ_NSTATUS];
	uint64_t		 recipients;	/* all listed, delivered too */
	uint64_t		 delivered;	/* Exim D recipients */
	uint64_t		 bytes;		/* sum of sizes */
	uint64_t		 lines;
	uint64_t		 garbage;	/* lines not understood */
	uint64_t		 truncated;	/* messages with a cut list */
	int64_t			 reported;	/* the count the output states
						 * (trailer, "Total requests",
						 * "is empty"), -1 if none */
};

typedef void	(*mailq_cb)(const struct mailq_msg *, void *);

struct mailq;

/* A parser (malloc'd, about 330 KB); NULL if out of memory. */
struct mailq	*mailq_new(mailq_cb, void *arg);
void		 mailq_free(struct mailq *);
/* Parse len more bytes of output.  Never fails. */
void		 mailq_feed(struct mailq *, const char *buf, size_t len);
/*
 * End of output: the last message goes to the callback.  Returns 0, or -1
 * with a reason in err when no line was recognised (unknown format).
 */
int		 mailq_finish(struct mailq *, char *err, size_t errlen);
/* Counters so far; the pointer lives as long as the parser. */
const struct mailq_stats *mailq_stats(const struct mailq *);

/* One call for a whole text: new, feed, finish, free.  -1: unknown
 * format (err says why) or out of memory. */
int		 mailq_parse(const char *text, size_t len, mailq_cb, void *arg,
		    struct mailq_stats *, char *err, size_t errlen);

const char	*mailq_format_name(enum mailq_format);
const char	*mailq_status_name(enum mailq_status);

/*
 * The domain of an address, lower-cased, into buf: the text after the
 * last '@' (IP literals kept as "[192.0.2.1]").  Returns buf, or NULL
 * when the address has no domain (a local user, the null sender).
 */
char		*mailq_addr_domain(const char *addr, char *buf, size_t len);

#endif
