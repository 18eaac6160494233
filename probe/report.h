/*
 * report.h -- what a spam report sent to the sink's report mailbox names:
 * the sample (an attached message/rfc822, or a header block pasted into
 * the body), its Received chain, and the first hop in it that the
 * reporter's own servers did not add: the relay to test.
 *
 * Pure and bounded: no I/O, no globals, no allocation; at most
 * REPORT_HDR_MAX header fields per header block, REPORT_HOPS_MAX Received
 * fields walked, REPORT_FIELD_MAX bytes of one Received value, MIME 3
 * levels deep and REPORT_PARTS_MAX parts.  Work is linear in the input.
 *
 * Also the hourly counters that limit reports per envelope sender and per
 * connecting address (bounded memory: a fixed table).
 */
#ifndef ORBL_REPORT_H
#define ORBL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define REPORT_HDR_MAX		500	/* header fields per block */
#define REPORT_HOPS_MAX		40	/* Received fields walked */
#define REPORT_FIELD_MAX	2048	/* bytes of one Received value */
#define REPORT_PARTS_MAX	64	/* MIME parts looked at */
#define REPORT_NAME_MAX		255	/* a host name kept from a hop */
#define REPORT_NAMES		3	/* names kept per hop's sender */

/* One Received field, parsed (report_hop_parse). */
struct report_hop {
	int		 has_from;	/* a top-level "from" clause */
	char		 addr[ADDR_STRLEN];	/* the sender's address,
						   canonical; "" none */
	char		 by[REPORT_NAME_MAX + 1];	/* who wrote it; "" */
	/* The sender's names: the word after "from", the reverse-DNS name
	 * before the address, the HELO argument ("unknown" and literals
	 * left out), lower case. */
	char		 names[REPORT_NAMES][REPORT_NAME_MAX + 1];
	int		 nnames;
};

/*
 * Parse one Received value (after the colon; folded or not; need not be
 * NUL-terminated).  Shapes: Postfix / Sendmail / Gmail "from HELO (RDNS
 * [IP])" ("[IPv6:...]", "(may be forged)"), Exim "from RDNS ([IP]:PORT
 * helo=X)" and "from [IP] (helo=X)", qmail "from unknown (HELO X)
 * (IP)", Exchange "from HOST (IP) by HOST (IP)".  A literal that is the
 * HELO argument ("helo=[IP]", "(HELO [IP])") is never the address: the
 * client chose it.  Returns 0, or -1 when the value has no top-level
 * "from" clause with an address (hop still filled in as far as it goes).
 */
int	 report_hop_parse(const char *value, size_t len, struct report_hop *);

enum report_status {
	REPORT_FOUND,		/* addr is the candidate */
	REPORT_NO_SAMPLE,	/* no attached message, no pasted headers */
	REPORT_ENCODED,		/* the attached message is base64 or
				   quoted-printable: not read */
	REPORT_NO_RECEIVED,	/* a sample without Received fields */
	REPORT_ALL_TRUSTED	/* every hop walked was the reporter's own
				   or named no address */
};

enum report_where {
	REPORT_NONE,
	REPORT_ATTACHED,	/* message/rfc822 (message/global,
				   text/rfc822-headers) part */
	REPORT_INLINE		/* a header block pasted into a text body */
};

struct report_trust {
	const char		*peer;	/* the connecting address (text) */
	const struct addr	*nets;	/* report_trust and the like */
	int			 nnets;
};

struct report {
	enum report_status	 status;
	enum report_where	 where;
	int			 nhops;		/* Received fields walked */
	int			 hop;		/* the candidate's, from 1 */
	int			 trusted;	/* hops skipped as the
						   reporter's own */
	int			 noaddr;	/* hops skipped: no address */
	char			 addr[ADDR_STRLEN];	/* REPORT_FOUND */
	char			 by[REPORT_NAME_MAX + 1];	/* who
						   recorded the candidate */
};

/*
 * Read a report (the message as received: headers, blank line, body; CRLF
 * or LF) and find the relay candidate.  The walk starts at the sample's
 * top Received field and skips, in order:
 *   - a hop that names no sender address (local submission, LMTP, "by"
 *     only);
 *   - a hop whose sender is the connecting address (the reporter's server
 *     that sent us the report) or inside one of trust->nets;
 *   - a hop whose sender (by name) is the host that wrote the hop above
 *     it: the reporter's own servers handing the message on to each
 *     other (or through a content filter and back).
 * The first hop left is the candidate: it was recorded by a server the
 * reporter trusts, so its address is what that server saw connecting.
 */
void	 report_parse(const char *data, size_t len,
	    const struct report_trust *, struct report *);
/* The status as words for a reply: "no Received chain in the sample"... */
const char *report_status_text(enum report_status);

/*
 * Hourly counters: at most `limit` events per key per hour, a key being
 * "sender" or "peer" text.  Fixed windows of an hour from a key's first
 * event.  When the table is full, the entry whose window started first
 * is reused (the memory stays bounded; at worst a key restarts early).
 */
struct report_limit_entry {
	char		 key[300];
	int64_t		 start;
	long long	 n;
};
struct report_limit {
	struct report_limit_entry *e;
	size_t		 cap, used;
};
/* e: cap entries owned by the caller (zeroed). */
void	 report_limit_init(struct report_limit *,
	    struct report_limit_entry *e, size_t cap);
/* The events of key in its current window (0 if none). */
long long report_limit_count(const struct report_limit *, const char *key,
	    int64_t now);
/* Count one event of key. */
void	 report_limit_add(struct report_limit *, const char *key,
	    int64_t now);

#endif
