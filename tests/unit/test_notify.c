/*
 * test_notify.c -- unit tests for dnsd/notify.c: a notifier on a private
 * event_base sends to a UDP socket of the test's on 127.0.0.1, which
 * answers (or not, or wrongly) from the same loop.  The loop is driven
 * until the counters show the outcome, with a 10 s watchdog; timings are
 * shortened with notify_set_timing(), nothing sleeps.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "conf.h"
#include "log.h"
#include "notify.h"
#include "tsig.h"

#define K256	"orbl-test-key hmac-sha256 " \
		"KYEW6HGWVqz83QeEqvd03TLg9Nb0pLL0Q62lCWX3I9c="
#define KWRONG	"orbl-test-key hmac-sha256 YWJjZGVm"

enum peer_mode {
	PEER_ANSWER,		/* NOERROR */
	PEER_SILENT,
	PEER_REFUSE,		/* REFUSED */
	PEER_HOLD		/* keep the first, answer the rest */
};

struct peer {
	int			 fd;
	uint16_t		 port;
	struct event		*ev;
	enum peer_mode		 mode;
	const struct tsig_keys	*keys;	/* sign answers with them */
	int			 nrecv;
	uint8_t			 last[1024];
	size_t			 lastlen;
	uint8_t			 held[1024];
	size_t			 heldlen;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	int			 tsig_ok;	/* requests that verified */
};

struct fixture {
	struct event_base	*base;
	struct event		*watchdog;
	int			 expired;
	struct peer		 peer;
	struct tsig_keys	 keys, wrong;
	struct conf		 conf;
	struct notify		*n;
};

static void
peer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer		*p = arg;
	struct tsig_rr		 t;
	struct tsig_ctx		 ctx;
	uint8_t			 q[1024], a[1024];
	ssize_t			 r;
	size_t			 len;
	int			 found;

	(void)ev;
	p->fromlen = sizeof(p->from);
	r = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&p->from,
	    &p->fromlen);
	if (r <= 0)
		return;
	p->nrecv++;
	memcpy(p->last, q, (size_t)r);
	p->lastlen = (size_t)r;
	if (p->mode == PEER_SILENT)
		return;
	found = tsig_find(q, (size_t)r, &t);
	assert_true(found >= 0);
	len = found == 1 ? t.off : (size_t)r;
	memcpy(a, q, len);
	if (found == 1)
		a[11]--;			/* the TSIG taken off */
	a[2] |= 0x80;				/* QR */
	if (p->mode == PEER_REFUSE)
		a[3] = (a[3] & 0xf0) | 5;
	if (found == 1 && p->keys != NULL) {
		if (tsig_verify_request(p->keys, q, (size_t)r, &t, time(NULL),
		    &ctx) == TSIG_OK)
			p->tsig_ok++;
		len = tsig_sign(&ctx, a, len, sizeof(a), time(NULL));
		assert_true(len > 0);
	}
	if (p->mode == PEER_HOLD && p->heldlen == 0) {
		memcpy(p->held, a, len);
		p->heldlen = len;
		return;
	}
	assert_int_equal(sendto(fd, a, len, 0, (struct sockaddr *)&p->from,
	    p->fromlen), (ssize_t)len);
}

static void
watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct fixture	*f = arg;

	(void)fd;
	(void)ev;
	f->expired = 1;
}

static int
setup(void **state)
{
	struct fixture		*f;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	struct timeval		 tv = { 10, 0 };
	char			 err[256];

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	log_init("test_notify", 1);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->watchdog = evtimer_new(f->base, watchdog_cb, f);
	evtimer_add(f->watchdog, &tv);
	f->peer.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->peer.fd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->peer.fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	assert_int_equal(getsockname(f->peer.fd, (struct sockaddr *)&sin,
	    &sl), 0);
	f->peer.port = ntohs(sin.sin_port);
	f->peer.ev = event_new(f->base, f->peer.fd, EV_READ | EV_PERSIST,
	    peer_cb, &f->peer);
	event_add(f->peer.ev, NULL);
	conf_init(&f->conf);
	assert_int_equal(conf_set(&f->conf, "zone", "bl.example", err,
	    sizeof(err)), 0);
	f->conf.tsig_key[0] = (char *)K256;
	f->conf.ntsig_key = 1;
	assert_int_equal(tsig_keys_load(&f->keys, &f->conf, err,
	    sizeof(err)), 0);
	f->conf.tsig_key[0] = (char *)KWRONG;
	assert_int_equal(tsig_keys_load(&f->wrong, &f->conf, err,
	    sizeof(err)), 0);
	f->conf.tsig_key[0] = NULL;
	f->conf.ntsig_key = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	notify_free(f->n);
	event_free(f->peer.ev);
	close(f->peer.fd);
	event_free(f->watchdog);
	event_base_free(f->base);
	conf_free(&f->conf);
	free(f);
	return 0;
}

/* A notifier for one target, the peer, with key keyname if not NULL. */
static void
start(struct fixture *f, const char *keyname)
{
	char	 line[128], err[256];

	snprintf(line, sizeof(line), "127.0.0.1:%u%s%s", f->peer.port,
	    keyname ? " " : "", keyname ? keyname : "");
	assert_int_equal(conf_set(&f->conf, "notify", line, err,
	    sizeof(err)), 0);
	f->n = notify_new(f->base, &f->conf, &f->keys, err, sizeof(err));
	if (f->n == NULL)
		fail_msg("notify_new: %s", err);
	notify_set_timing(f->n, 1, 20, 5);
}

enum what { SENT, ANSWERED, FAILED, RECEIVED };

static uint64_t
count(struct fixture *f, enum what w)
{
	struct notify_stats	 st;

	notify_stats(f->n, &st);
	switch (w) {
	case SENT:
		return st.sent;
	case ANSWERED:
		return st.answered;
	case FAILED:
		return st.failed;
	default:
		return (uint64_t)f->peer.nrecv;
	}
}

/* Run the loop until counter w reaches want (the watchdog: fail). */
static void
drive(struct fixture *f, enum what w, uint64_t want)
{
	while (count(f, w) < want) {
		if (f->expired)
			fail_msg("timed out waiting for counter %d to reach "
			    "%llu (at %llu)", (int)w, (unsigned long long)want,
			    (unsigned long long)count(f, w));
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	assert_int_equal(count(f, w), want);
}

static void
test_answered(void **state)
{
	struct fixture	*f = *state;
	static const uint8_t q[] = "\2bl\7example\0\0\6\0\1";

	start(f, NULL);
	notify_serial(f->n, 1);		/* the first: recorded only */
	notify_serial(f->n, 2);
	drive(f, ANSWERED, 1);
	assert_int_equal(count(f, SENT), 1);
	assert_int_equal(count(f, FAILED), 0);
	/* opcode NOTIFY, AA, one question: bl.example SOA IN */
	assert_int_equal(f->peer.last[2], 0x24);
	assert_int_equal(f->peer.last[3], 0);
	assert_memory_equal(f->peer.last + 4, "\0\1\0\0\0\0\0\0", 8);
	assert_int_equal(f->peer.lastlen, 12 + sizeof(q) - 1);
	assert_memory_equal(f->peer.last + 12, q, sizeof(q) - 1);
	/* a burst of changes: one more NOTIFY */
	notify_serial(f->n, 3);
	notify_serial(f->n, 4);
	notify_serial(f->n, 5);
	notify_serial(f->n, 5);
	drive(f, ANSWERED, 2);
	assert_int_equal(count(f, SENT), 2);
	assert_int_equal(count(f, RECEIVED), 2);
	/* the same serial again: nothing */
	notify_serial(f->n, 5);
	assert_int_equal(count(f, SENT), 2);
}

static void
test_give_up(void **state)
{
	struct fixture	*f = *state;

	f->peer.mode = PEER_SILENT;
	start(f, NULL);
	notify_serial(f->n, 1);
	notify_serial(f->n, 2);
	drive(f, FAILED, 1);
	assert_int_equal(count(f, SENT), 5);
	assert_int_equal(count(f, RECEIVED), 5);
	assert_int_equal(count(f, ANSWERED), 0);
	/* the next change starts again */
	f->peer.mode = PEER_ANSWER;
	notify_serial(f->n, 3);
	drive(f, ANSWERED, 1);
	assert_int_equal(count(f, SENT), 6);
}

static void
test_refused(void **state)
{
	struct fixture	*f = *state;

	f->peer.mode = PEER_REFUSE;
	start(f, NULL);
	notify_serial(f->n, 1);
	notify_serial(f->n, 2);
	drive(f, FAILED, 1);
	assert_int_equal(count(f, SENT), 1);
	assert_int_equal(count(f, ANSWERED), 0);
}

static void
test_tsig(void **state)
{
	struct fixture	*f = *state;
	struct tsig_rr	 t;

	f->peer.keys = &f->keys;
	start(f, "ORBL-test-key.");
	notify_serial(f->n, 1);
	notify_serial(f->n, 2);
	drive(f, ANSWERED, 1);
	assert_int_equal(f->peer.tsig_ok, 1);
	assert_int_equal(tsig_find(f->peer.last, f->peer.lastlen, &t), 1);
	assert_int_equal(f->peer.last[11], 1);
	/* a peer with another secret (unsigned BADSIG answers): not
	 * taken, given up */
	f->peer.keys = &f->wrong;
	notify_serial(f->n, 3);
	drive(f, FAILED, 1);
	assert_int_equal(count(f, ANSWERED), 1);
	assert_int_equal(count(f, SENT), 6);
	/* unsigned answers: not taken either */
	f->peer.keys = NULL;
	notify_serial(f->n, 4);
	drive(f, FAILED, 2);
	assert_int_equal(count(f, ANSWERED), 1);
}

/* The answer to a NOTIFY that carried an older serial: one more. */
static void
test_serial_moved(void **state)
{
	struct fixture	*f = *state;

	f->peer.mode = PEER_HOLD;
	start(f, NULL);
	notify_set_timing(f->n, 1, 5000, 5);
	notify_serial(f->n, 1);
	notify_serial(f->n, 2);
	drive(f, RECEIVED, 1);
	notify_serial(f->n, 3);		/* while serial 2's is out */
	assert_int_equal(sendto(f->peer.fd, f->peer.held, f->peer.heldlen, 0,
	    (struct sockaddr *)&f->peer.from, f->peer.fromlen),
	    (ssize_t)f->peer.heldlen);
	drive(f, ANSWERED, 2);
	assert_int_equal(count(f, SENT), 2);
	assert_int_equal(count(f, FAILED), 0);
}

/* Answers from elsewhere, or with another ID: ignored. */
static void
test_stray(void **state)
{
	struct fixture		*f = *state;
	struct sockaddr_in	 sin;
	uint8_t			 a[512];
	int			 fd;

	f->peer.mode = PEER_HOLD;
	start(f, NULL);
	notify_set_timing(f->n, 1, 5000, 5);
	notify_serial(f->n, 1);
	notify_serial(f->n, 2);
	drive(f, RECEIVED, 1);
	memcpy(a, f->peer.held, f->peer.heldlen);
	/* the right answer from another socket */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sendto(fd, a, f->peer.heldlen, 0, (struct sockaddr *)&f->peer.from,
	    f->peer.fromlen);
	/* another ID, then not an answer (no QR), from the peer */
	a[1] ^= 1;
	sendto(f->peer.fd, a, f->peer.heldlen, 0,
	    (struct sockaddr *)&f->peer.from, f->peer.fromlen);
	a[1] ^= 1;
	a[2] &= 0x7f;
	sendto(f->peer.fd, a, f->peer.heldlen, 0,
	    (struct sockaddr *)&f->peer.from, f->peer.fromlen);
	/* then the answer: the first counted */
	sendto(f->peer.fd, f->peer.held, f->peer.heldlen, 0,
	    (struct sockaddr *)&f->peer.from, f->peer.fromlen);
	drive(f, ANSWERED, 1);
	close(fd);
	assert_int_equal(count(f, SENT), 1);
}

static void
test_conf(void **state)
{
	struct fixture	*f = *state;
	char		 err[256];

	/* no notify lines: nothing to do, nothing sent */
	f->n = notify_new(f->base, &f->conf, &f->keys, err, sizeof(err));
	assert_non_null(f->n);
	notify_serial(f->n, 1);
	notify_serial(f->n, 2);
	assert_int_equal(count(f, SENT), 0);
	notify_free(f->n);
	f->n = NULL;
	conf_set(&f->conf, "notify", "ns.example.org:53", err, sizeof(err));
	assert_null(notify_new(f->base, &f->conf, &f->keys, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "not a numeric ADDR:PORT"));
	conf_free(&f->conf);
	conf_init(&f->conf);
	conf_set(&f->conf, "notify", "127.0.0.1:5301 nokey", err,
	    sizeof(err));
	assert_null(notify_new(f->base, &f->conf, &f->keys, err,
	    sizeof(err)));
	assert_string_equal(err, "notify 127.0.0.1:5301 nokey: no tsig_key "
	    "nokey");
	conf_free(&f->conf);
	conf_init(&f->conf);
	conf_set(&f->conf, "notify", "127.0.0.1:5301 orbl-test-key x", err,
	    sizeof(err));
	assert_null(notify_new(f->base, &f->conf, &f->keys, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "want ADDR:PORT [KEYNAME]"));
	conf_free(&f->conf);
	conf_init(&f->conf);
	conf_set(&f->conf, "notify", "[::1]:5301 orbl-test-key", err,
	    sizeof(err));
	f->n = notify_new(f->base, &f->conf, &f->keys, err, sizeof(err));
	assert_non_null(f->n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_give_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsig, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_moved, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stray, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
