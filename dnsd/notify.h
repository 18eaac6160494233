/*
 * notify.h -- NOTIFY (RFC 1996) to the configured secondaries (`notify`)
 * when the zone's serial moves.  Runs on orbl-dnsd's main event loop,
 * one UDP socket per address family.
 *
 * Batched: a serial change starts a short delay, so a burst of changes is
 * one NOTIFY per zone and target; a change while a NOTIFY is unanswered
 * only moves the serial the next try carries.  Each NOTIFY is retried
 * (2 s, then doubling) until answered, given up after 5 tries; each
 * answer and each give-up is logged.  Signed with the target's TSIG key
 * when it names one; an answer that does not verify counts as none.  An
 * answer with an error rcode (REFUSED, NOTAUTH) ends the NOTIFY as failed
 * at once.  When the serial moved after the answered NOTIFY was sent, a
 * new one goes out.  The NOTIFY carries the zone's SOA question only (no
 * SOA in the answer section): the secondary asks for the serial.
 */
#ifndef ORBL_NOTIFY_H
#define ORBL_NOTIFY_H

#include <stdint.h>
#include <stddef.h>

struct conf;
struct event_base;
struct tsig_keys;
struct notify;

struct notify_stats {
	uint64_t	 sent;		/* NOTIFY messages, retries included */
	uint64_t	 answered;	/* acknowledged (NOERROR, verified) */
	uint64_t	 failed;	/* given up after the last try, or
					   refused with an error rcode */
};

/*
 * The conf's `notify` lines ("ADDR:PORT [KEYNAME]", keys from keys,
 * which must outlive the notifier) for conf's zones.  NULL with the
 * reason in err for a bad line or an unknown key.  With no `notify`
 * lines: a notifier that does nothing.
 */
struct notify *notify_new(struct event_base *, const struct conf *,
	    const struct tsig_keys *, char *err, size_t errlen);
/* The serial now served (the first call only records it; a change
 * starts the batch delay). */
void	 notify_serial(struct notify *, uint32_t serial);
/* Tests: the batch delay, the first retry's wait (then doubling) and the
 * tries (default 150 ms, 2000 ms, 5). */
void	 notify_set_timing(struct notify *, int delay_msec, int retry_msec,
	    int tries);
void	 notify_stats(const struct notify *, struct notify_stats *);
/* Closes the sockets, cancels what is pending; NULL is a no-op. */
void	 notify_free(struct notify *);

#endif
