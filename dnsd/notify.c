/*
 * notify.c -- NOTIFY (RFC 1996) to the configured secondaries, on
 * orbl-dnsd's main event loop (see notify.h).
 *
 * One job per zone and target: idle, or a NOTIFY out (tries > 0) with
 * its ID, its TSIG context and the retry timer.  A serial change arms the
 * batch timer; when it fires every idle job starts, a busy one carries
 * the new serial in its next try.  An answer (ID, source address, QR,
 * opcode NOTIFY, TSIG when the target has a key) ends the job; NOERROR
 * counts as answered, another rcode as failed (retrying a REFUSED is
 * pointless).  If the serial moved after the answered NOTIFY was sent,
 * the job starts over with the new one.  Each try has a new random ID; a
 * late answer to an earlier try is not taken (the next try's is).
 *
 * Control path: allocates at setup only; each datagram is read into a
 * stack buffer.  The answer's bytes are read for the header (fixed
 * offsets) and by tsig_find()/tsig_verify_response() (fuzzed).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>
#include <openssl/rand.h>

#include "conf.h"
#include "log.h"
#include "net.h"
#include "notify.h"
#include "tsig.h"
#include "xmalloc.h"

#define NOTIFY_DELAY_MSEC	150	/* batch serial changes */
#define NOTIFY_RETRY_MSEC	2000	/* first retry, then doubling */
#define NOTIFY_TRIES		5
#define OPCODE_NOTIFY		4
#define F_QR			0x8000
#define F_AA			0x0400
#define MSG_MAX			4096	/* what we send and read */

struct notify_target {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fam;		/* 0: IPv4, 1: IPv6 */
	char			 text[80];	/* "[::1]:5301" */
	const struct tsig_key	*key;
};

struct notify_zone {
	uint8_t			 wire[255];
	size_t			 wirelen;
	char			 text[256];
};

struct notify_job {
	struct notify		*n;
	int			 zone, target;
	struct event		*timer;
	int			 tries;		/* 0: idle */
	uint16_t		 id;		/* of the last try */
	uint32_t		 sent_serial;	/* in the last try */
	struct tsig_ctx		 tsig;		/* last try */
};

struct notify {
	struct event_base	*base;
	int			 fd[2];
	struct event		*ev[2];
	struct notify_target	 t[CONF_MAX_LIST];
	int			 nt;
	struct notify_zone	 z[CONF_MAX_LIST];
	int			 nz;
	struct notify_job	*jobs;		/* nz * nt */
	struct event		*batch;
	uint32_t		 serial;
	int			 have_serial;
	int			 delay_msec, retry_msec, max_tries;
	struct notify_stats	 st;
};

static void	 batch_cb(evutil_socket_t, short, void *);
static void	 retry_cb(evutil_socket_t, short, void *);
static void	 read_cb(evutil_socket_t, short, void *);
static void	 job_start(struct notify_job *);
static void	 job_send(struct notify_job *);
static void	 job_answer(struct notify_job *, const uint8_t *, size_t);

static void
msec_tv(int msec, struct timeval *tv)
{
	tv->tv_sec = msec / 1000;
	tv->tv_usec = (msec % 1000) * 1000;
}

/* "ADDR:PORT [KEYNAME]" into t. */
static int
target_parse(struct notify_target *t, const char *line,
    const struct tsig_keys *keys, char *err, size_t errlen)
{
	struct conf_listen	 l;
	char			 addr[128], key[300], extra, why[256];
	int			 nw;

	memset(t, 0, sizeof(*t));
	nw = sscanf(line, "%127s %299s %c", addr, key, &extra);
	if (nw < 1 || nw > 2) {
		snprintf(err, errlen, "notify %s: want ADDR:PORT [KEYNAME]",
		    line);
		return -1;
	}
	if (conf_parse_listen(addr, 53, &l, why, sizeof(why)) == -1 ||
	    net_sockaddr(l.host, l.port, &t->ss, &t->sslen) == -1) {
		snprintf(err, errlen, "notify %s: not a numeric ADDR:PORT "
		    "(IPv6 as [addr]:port)", line);
		return -1;
	}
	t->fam = t->ss.ss_family == AF_INET6;
	snprintf(t->text, sizeof(t->text), t->fam ? "[%s]:%u" : "%s:%u",
	    l.host, l.port);
	if (nw == 2 && (t->key = tsig_key_find(keys, key)) == NULL) {
		snprintf(err, errlen, "notify %s: no tsig_key %s", line, key);
		return -1;
	}
	return 0;
}

static int
zone_parse(struct notify_zone *z, const char *name, char *err,
    size_t errlen)
{
	ldns_rdf	*rdf = NULL;

	if (ldns_str2rdf_dname(&rdf, name) != LDNS_STATUS_OK ||
	    ldns_rdf_size(rdf) > sizeof(z->wire)) {
		ldns_rdf_deep_free(rdf);
		snprintf(err, errlen, "notify: bad zone name %s", name);
		return -1;
	}
	ldns_dname2canonical(rdf);
	z->wirelen = ldns_rdf_size(rdf);
	memcpy(z->wire, ldns_rdf_data(rdf), z->wirelen);
	snprintf(z->text, sizeof(z->text), "%s", name);
	ldns_rdf_deep_free(rdf);
	return 0;
}

static int
sock_open(struct notify *n, int fam, char *err, size_t errlen)
{
	n->fd[fam] = socket(fam ? AF_INET6 : AF_INET,
	    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd[fam] == -1) {
		snprintf(err, errlen, "notify: socket: %s", strerror(errno));
		return -1;
	}
	n->ev[fam] = event_new(n->base, n->fd[fam], EV_READ | EV_PERSIST,
	    read_cb, n);
	if (n->ev[fam] == NULL || event_add(n->ev[fam], NULL) == -1) {
		snprintf(err, errlen, "notify: event_add failed");
		return -1;
	}
	return 0;
}

struct notify *
notify_new(struct event_base *base, const struct conf *conf,
    const struct tsig_keys *keys, char *err, size_t errlen)
{
	struct notify		*n;
	struct notify_job	*j;
	int			 i, k;

	n = xcalloc(1, sizeof(*n));
	n->base = base;
	n->fd[0] = n->fd[1] = -1;
	n->delay_msec = NOTIFY_DELAY_MSEC;
	n->retry_msec = NOTIFY_RETRY_MSEC;
	n->max_tries = NOTIFY_TRIES;
	for (i = 0; i < conf->nnotify && i < CONF_MAX_LIST; i++)
		if (target_parse(&n->t[n->nt++], conf->notify[i], keys, err,
		    errlen) == -1)
			goto fail;
	if (n->nt == 0)
		return n;
	for (i = 0; i < conf->nzones && i < CONF_MAX_LIST; i++)
		if (zone_parse(&n->z[n->nz++], conf->zones[i], err,
		    errlen) == -1)
			goto fail;
	for (k = 0; k < 2; k++)
		for (i = 0; i < n->nt; i++)
			if (n->t[i].fam == k) {
				if (sock_open(n, k, err, errlen) == -1)
					goto fail;
				break;
			}
	if ((n->batch = evtimer_new(base, batch_cb, n)) == NULL) {
		snprintf(err, errlen, "notify: evtimer_new failed");
		goto fail;
	}
	if (n->nz == 0)
		return n;
	n->jobs = xcalloc((size_t)(n->nz * n->nt), sizeof(*n->jobs));
	for (i = 0; i < n->nz * n->nt; i++) {
		j = &n->jobs[i];
		j->n = n;
		j->zone = i / n->nt;
		j->target = i % n->nt;
		if ((j->timer = evtimer_new(base, retry_cb, j)) == NULL) {
			snprintf(err, errlen, "notify: evtimer_new failed");
			goto fail;
		}
	}
	return n;
fail:
	notify_free(n);
	return NULL;
}

void
notify_set_timing(struct notify *n, int delay_msec, int retry_msec,
    int tries)
{
	n->delay_msec = delay_msec;
	n->retry_msec = retry_msec;
	n->max_tries = tries;
}

void
notify_serial(struct notify *n, uint32_t serial)
{
	struct timeval	 tv;

	if (!n->have_serial) {
		n->have_serial = 1;
		n->serial = serial;
		return;
	}
	if (serial == n->serial)
		return;
	n->serial = serial;
	if (n->nt == 0 || evtimer_pending(n->batch, NULL))
		return;
	msec_tv(n->delay_msec, &tv);
	evtimer_add(n->batch, &tv);
}

void
notify_stats(const struct notify *n, struct notify_stats *st)
{
	*st = n->st;
}

void
notify_free(struct notify *n)
{
	int	 i;

	if (n == NULL)
		return;
	if (n->jobs != NULL)
		for (i = 0; i < n->nz * n->nt; i++)
			if (n->jobs[i].timer != NULL)
				event_free(n->jobs[i].timer);
	free(n->jobs);
	if (n->batch != NULL)
		event_free(n->batch);
	for (i = 0; i < 2; i++) {
		if (n->ev[i] != NULL)
			event_free(n->ev[i]);
		if (n->fd[i] != -1)
			close(n->fd[i]);
	}
	explicit_bzero(n, sizeof(*n));
	free(n);
}

static void
batch_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct notify	*n = arg;
	int		 i;

	(void)fd;
	(void)ev;
	for (i = 0; i < n->nz * n->nt; i++)
		if (n->jobs[i].tries == 0)
			job_start(&n->jobs[i]);
}

static void
job_start(struct notify_job *j)
{
	j->tries = 0;
	job_send(j);
}

/* One try: a new ID, the serial now, signed now; then the retry timer. */
static void
job_send(struct notify_job *j)
{
	struct notify		*n = j->n;
	struct notify_target	*t = &n->t[j->target];
	struct notify_zone	*z = &n->z[j->zone];
	struct timeval		 tv;
	uint8_t			 msg[MSG_MAX];
	size_t			 len;

	if (RAND_bytes((unsigned char *)&j->id, sizeof(j->id)) != 1)
		j->id = (uint16_t)arc4random();
	memset(msg, 0, 12);
	msg[0] = (uint8_t)(j->id >> 8);
	msg[1] = (uint8_t)j->id;
	msg[2] = (uint8_t)((OPCODE_NOTIFY << 11 | F_AA) >> 8);
	msg[5] = 1;					/* QDCOUNT */
	memcpy(msg + 12, z->wire, z->wirelen);
	len = 12 + z->wirelen;
	memcpy(msg + len, "\0\6\0\1", 4);		/* SOA IN */
	len += 4;
	if (t->key != NULL)
		len = tsig_sign_request(t->key, &j->tsig, msg, len,
		    sizeof(msg), time(NULL));
	j->tries++;
	j->sent_serial = n->serial;
	if (len == 0)
		log_warnx("notify %s zone %s: cannot sign", t->text, z->text);
	else if (sendto(n->fd[t->fam], msg, len, 0,
	    (struct sockaddr *)&t->ss, t->sslen) == -1)
		log_warn("notify %s zone %s: sendto", t->text, z->text);
	else {
		n->st.sent++;
		log_debug("notify %s zone %s serial %u: sent (try %d)",
		    t->text, z->text, j->sent_serial, j->tries);
	}
	msec_tv(n->retry_msec << (j->tries - 1), &tv);
	evtimer_add(j->timer, &tv);
}

static void
retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct notify_job	*j = arg;
	struct notify		*n = j->n;

	(void)fd;
	(void)ev;
	if (j->tries < n->max_tries) {
		job_send(j);
		return;
	}
	n->st.failed++;
	log_warnx("notify %s zone %s serial %u: no answer after %d tries, "
	    "giving up", n->t[j->target].text, n->z[j->zone].text,
	    j->sent_serial, j->tries);
	j->tries = 0;
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4 = (const void *)a;
	const struct sockaddr_in	*b4 = (const void *)b;
	const struct sockaddr_in6	*a6 = (const void *)a;
	const struct sockaddr_in6	*b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

static void
read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct notify		*n = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	uint8_t			 msg[MSG_MAX];
	ssize_t			 r;
	uint16_t		 id;
	int			 i, k;

	(void)ev;
	/* at most 64 datagrams a call: a flood at this port cannot hold
	 * the query thread's loop (the rest waits for the next call) */
	for (k = 0; k < 64; k++) {
		fromlen = sizeof(from);
		r = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (r == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_debug("notify: recvfrom: %s",
				    strerror(errno));
			return;
		}
		if (r < 12)
			continue;
		id = (uint16_t)(msg[0] << 8 | msg[1]);
		for (i = 0; i < n->nz * n->nt; i++) {
			struct notify_job *j = &n->jobs[i];

			if (j->tries > 0 && j->id == id &&
			    same_addr(&from, &n->t[j->target].ss)) {
				job_answer(j, msg, (size_t)r);
				break;
			}
		}
	}
}

static const char *
tsig_error_name(int e)
{
	switch (e) {
	case TSIG_BADSIG:
		return "BADSIG";
	case TSIG_BADKEY:
		return "BADKEY";
	case TSIG_BADTIME:
		return "BADTIME";
	case TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		return "error";
	}
}

static void
job_answer(struct notify_job *j, const uint8_t *msg, size_t len)
{
	struct notify		*n = j->n;
	const char		*t = n->t[j->target].text;
	const char		*z = n->z[j->zone].text;
	uint16_t		 flags = (uint16_t)(msg[2] << 8 | msg[3]);
	int			 e, rcode = flags & 0x0f;

	if (!(flags & F_QR) || ((flags >> 11) & 0x0f) != OPCODE_NOTIFY)
		return;
	if (n->t[j->target].key != NULL &&
	    (e = tsig_verify_response(&j->tsig, msg, len, time(NULL))) !=
	    TSIG_OK) {
		/* counts as no answer: the next try may get a good one */
		log_warnx("notify %s zone %s serial %u: answer's TSIG %s "
		    "(%d), ignored", t, z, j->sent_serial, tsig_error_name(e),
		    e);
		return;
	}
	event_del(j->timer);
	j->tries = 0;
	if (rcode != 0) {
		n->st.failed++;
		log_warnx("notify %s zone %s serial %u: refused (rcode %d), "
		    "giving up", t, z, j->sent_serial, rcode);
		return;
	}
	n->st.answered++;
	log_info("notify %s zone %s serial %u: answered", t, z,
	    j->sent_serial);
	if (j->sent_serial != n->serial)
		job_start(j);
}
