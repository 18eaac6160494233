/*
 * smtpfarm.c -- a farm of fake SMTP servers for `make bench-prober`: one
 * process, one thread, one epoll loop, serving every address of a manifest
 * on one port, each reply held back by a scripted delay.
 *
 *   smtpfarm -m MANIFEST -p PORT -s STATSFILE [-d DELAY_MS] [-t TARPIT_MS]
 *       [-i IDLE_S] [-l LIFETIME_S]
 *
 * MANIFEST: one "ADDR BEHAVIOUR" a line, ADDR an IPv4 address in
 * 127.0.0.0/8 (nothing else is accepted), BEHAVIOUR one of
 *   closed    250 to EHLO, MAIL, RSET; 550 to every RCPT
 *   discard   250 to everything, 354 to DATA, 250 after the body (dropped)
 *   tarpit    every reply, the banner first, 1 byte per TARPIT_MS
 * Every reply of closed and discard is sent DELAY_MS after the command
 * (the banner DELAY_MS after the connection); commands are taken one at a
 * time, so a session lasts about (number of replies x DELAY_MS).
 *
 * Counters (per behaviour: connections, replies, scripted delay, messages;
 * each address's span from its first connection to its last close; the
 * client's reaction time, from a reply sent to its next bytes; the farm's
 * own lag behind its script) go to STATSFILE as key=value lines when the
 * farm is ready ("ready=1"), on SIGUSR1 and at exit (SIGTERM, SIGINT,
 * LIFETIME_S).  Connections idle
 * for IDLE_S are closed.  Lines are bounded (1000 bytes), bodies are only
 * scanned for the final dot, never kept.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_IN	1000		/* RFC 5321 text line, with CRLF */
#define IN_MAX		4096
#define OUT_MAX		512
#define NEV		256
#define BACKLOG		1024

enum beh { B_CLOSED, B_DISCARD, B_TARPIT, B_COUNT };
static const char *const beh_name[B_COUNT] = { "closed", "discard", "tarpit" };

enum kind { K_LISTENER, K_CONN, K_SIGNAL };

struct listener {
	enum kind	 kind;
	int		 fd;
	enum beh	 beh;
	int64_t		 first, last;	/* first accept, last close (ms) */
};

struct conn {
	enum kind	 kind;
	int		 fd;
	enum beh	 beh;
	struct listener	*l;
	int		 data;		/* reading a message body */
	int		 bol;		/* in[0] begins a line of the body */
	int		 closing;	/* close once out is flushed */
	int		 busy;		/* a reply is scheduled */
	const char	*reply;		/* the scheduled reply */
	size_t		 replyoff;	/* tarpit: bytes of it already sent */
	int		 after;		/* 1: enter DATA, 2: close */
	int64_t		 due;		/* ms, CLOCK_MONOTONIC */
	size_t		 hidx;		/* in the heap; 0 = not in it */
	int64_t		 last;		/* last activity, ms */
	char		 in[IN_MAX];
	size_t		 inlen;
	char		 out[OUT_MAX];
	size_t		 outlen;
	int		 wantout;	/* EPOLLOUT armed */
	int64_t		 sent;		/* a reply went out: the client's
					   turn (ms; 0: not its turn) */
	struct conn	*next, *prev;	/* all connections */
};

struct stats {
	uint64_t	 conns, replies, delay_ms, messages, bytes_in;
};

static int		 ep;
static struct conn	*conns;
static size_t		 nconns, peak_conns;
static struct stats	 st[B_COUNT];
static uint64_t		 errors, accept_fail;
static uint64_t		 late_n, late_sum, late_max;	/* our own lag, ms */
static const char	*statsfile;
static int		 delay_ms = 200, tarpit_ms = 1000;
static size_t		 naddrs;
static struct listener	**lis;
static size_t		 lcap;
static int64_t		 mono0;		/* now_ms() at start ... */
static double		 real0;		/* ... and the epoch time then */

/* The client's reaction time: from a reply sent to its next bytes. */
#define REACT_MAX	60000
static uint32_t		 react[B_COUNT][REACT_MAX + 1];

/* The timer heap: the conns with a reply due, earliest first (1-based). */
static struct conn	**heap;
static size_t		 hlen, hcap;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "smtpfarm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
heap_swap(size_t a, size_t b)
{
	struct conn	*t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->hidx = a;
	heap[b]->hidx = b;
}

static void
heap_up(size_t i)
{
	while (i > 1 && heap[i / 2]->due > heap[i]->due) {
		heap_swap(i, i / 2);
		i /= 2;
	}
}

static void
heap_down(size_t i)
{
	size_t	 c;

	for (;;) {
		c = 2 * i;
		if (c > hlen)
			return;
		if (c + 1 <= hlen && heap[c + 1]->due < heap[c]->due)
			c++;
		if (heap[i]->due <= heap[c]->due)
			return;
		heap_swap(i, c);
		i = c;
	}
}

static void
heap_del(struct conn *c)
{
	size_t	 i = c->hidx;

	if (i == 0)
		return;
	c->hidx = 0;
	if (i != hlen) {
		heap[i] = heap[hlen];
		heap[i]->hidx = i;
		hlen--;
		heap_up(i);
		heap_down(i);
	} else
		hlen--;
}

static void
heap_add(struct conn *c, int64_t due)
{
	heap_del(c);
	c->due = due;
	if (hlen + 1 >= hcap) {
		hcap = hcap ? hcap * 2 : 1024;
		if ((heap = realloc(heap, hcap * sizeof(*heap))) == NULL)
			die("out of memory");
	}
	heap[++hlen] = c;
	c->hidx = hlen;
	heap_up(hlen);
}

/* Percentile p (0..100) of a reaction histogram, in ms. */
static int
react_pct(const uint32_t *h, uint64_t n, double p)
{
	uint64_t	 want = (uint64_t)(n * p / 100.0), seen = 0;
	int		 i;

	if (p >= 100) {
		for (i = REACT_MAX; i > 0; i--)
			if (h[i] != 0)
				break;
		return i;
	}
	for (i = 0; i <= REACT_MAX; i++)
		if ((seen += h[i]) > want)
			return i;
	return REACT_MAX;
}

static void
write_stats(int final)
{
	char	 tmp[4096];
	FILE	*f;
	int64_t	 first = 0, last = 0, span, spanmax[B_COUNT];
	uint64_t n, sum, spans[B_COUNT], spansum[B_COUNT];
	size_t	 i;
	int	 b, j;

	snprintf(tmp, sizeof(tmp), "%s.tmp", statsfile);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "ready=1\nfinal=%d\naddrs=%zu\ndelay_ms=%d\ntarpit_ms=%d\n"
	    "conns_now=%zu\npeak_conns=%zu\nerrors=%llu\naccept_fail=%llu\n",
	    final, naddrs, delay_ms, tarpit_ms, nconns, peak_conns,
	    (unsigned long long)errors, (unsigned long long)accept_fail);
	for (b = 0; b < B_COUNT; b++)
		fprintf(f, "%s_conns=%llu\n%s_replies=%llu\n"
		    "%s_delay_ms=%llu\n%s_messages=%llu\n%s_bytes_in=%llu\n",
		    beh_name[b], (unsigned long long)st[b].conns,
		    beh_name[b], (unsigned long long)st[b].replies,
		    beh_name[b], (unsigned long long)st[b].delay_ms,
		    beh_name[b], (unsigned long long)st[b].messages,
		    beh_name[b], (unsigned long long)st[b].bytes_in);
	memset(spans, 0, sizeof(spans));
	memset(spansum, 0, sizeof(spansum));
	memset(spanmax, 0, sizeof(spanmax));
	for (i = 0; i < naddrs; i++) {
		struct listener *l = lis[i];

		if (l->first == 0)
			continue;
		if (first == 0 || l->first < first)
			first = l->first;
		if (l->last > last)
			last = l->last;
		if (l->last < l->first)
			continue;	/* still connected */
		span = l->last - l->first;
		spans[l->beh]++;
		spansum[l->beh] += (uint64_t)span;
		if (span > spanmax[l->beh])
			spanmax[l->beh] = span;
	}
	fprintf(f, "late_mean_ms=%.2f\nlate_max_ms=%llu\n",
	    late_n ? (double)late_sum / late_n : 0.0,
	    (unsigned long long)late_max);
	/* Epoch seconds of the first accept and the last close. */
	fprintf(f, "first_accept=%.3f\nlast_close=%.3f\n",
	    first ? real0 + (first - mono0) / 1000.0 : 0,
	    last ? real0 + (last - mono0) / 1000.0 : 0);
	for (b = 0; b < B_COUNT; b++) {
		/* An address's span: its first accept to its last close. */
		fprintf(f, "%s_spans=%llu\n%s_span_mean_ms=%llu\n"
		    "%s_span_max_ms=%lld\n", beh_name[b],
		    (unsigned long long)spans[b], beh_name[b],
		    (unsigned long long)(spans[b] ? spansum[b] / spans[b] : 0),
		    beh_name[b], (long long)spanmax[b]);
		for (n = 0, sum = 0, j = 0; j <= REACT_MAX; j++) {
			n += react[b][j];
			sum += (uint64_t)j * react[b][j];
		}
		fprintf(f, "%s_react_n=%llu\n%s_react_mean_ms=%.2f\n"
		    "%s_react_p50_ms=%d\n%s_react_p99_ms=%d\n"
		    "%s_react_max_ms=%d\n", beh_name[b],
		    (unsigned long long)n, beh_name[b],
		    n ? (double)sum / n : 0.0, beh_name[b],
		    n ? react_pct(react[b], n, 50) : 0, beh_name[b],
		    n ? react_pct(react[b], n, 99) : 0, beh_name[b],
		    n ? react_pct(react[b], n, 100) : 0);
	}
	if (fclose(f) == 0)
		rename(tmp, statsfile);
}

static void
conn_close(struct conn *c)
{
	c->l->last = now_ms();
	heap_del(c);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nconns--;
	free(c);
}

static void
conn_want_out(struct conn *c, int on)
{
	struct epoll_event	 e;

	if (c->wantout == on)
		return;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN | (on ? EPOLLOUT : 0);
	e.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->wantout = on;
}

/* Write what is pending.  Returns -1 if the conn was closed. */
static int
conn_flush(struct conn *c)
{
	ssize_t	 n;

	while (c->outlen > 0) {
		n = write(c->fd, c->out, c->outlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			conn_want_out(c, 1);
			return 0;
		}
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	conn_want_out(c, 0);
	if (c->closing) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static int
conn_put(struct conn *c, const char *p, size_t n)
{
	if (c->outlen + n > sizeof(c->out)) {
		errors++;
		conn_close(c);
		return -1;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return conn_flush(c);
}

/* Schedule a reply; after: 1 enter DATA once sent, 2 close once sent. */
static void
conn_schedule(struct conn *c, const char *reply, int after)
{
	int	 d = c->beh == B_TARPIT ? tarpit_ms : delay_ms;

	c->busy = 1;
	c->reply = reply;
	c->replyoff = 0;
	c->after = after;
	st[c->beh].replies++;
	st[c->beh].delay_ms += (uint64_t)d;
	heap_add(c, now_ms() + d);
}

static int	conn_process(struct conn *);

/* A timer fired: send the reply (tarpit: its next byte). */
static int
conn_due(struct conn *c)
{
	size_t	 len = strlen(c->reply);
	uint64_t late = (uint64_t)(now_ms() - c->due);

	late_n++;
	late_sum += late;
	if (late > late_max)
		late_max = late;
	if (c->beh == B_TARPIT) {
		if (conn_put(c, c->reply + c->replyoff, 1) == -1)
			return -1;
		if (++c->replyoff < len) {
			st[B_TARPIT].delay_ms += (uint64_t)tarpit_ms;
			heap_add(c, now_ms() + tarpit_ms);
			return 0;
		}
	} else if (conn_put(c, c->reply, len) == -1)
		return -1;
	c->busy = 0;
	c->sent = now_ms();
	if (c->after == 1) {
		c->data = 1;
		c->bol = 1;
	}
	if (c->after == 2) {
		c->closing = 1;
		return conn_flush(c);
	}
	return conn_process(c);
}

static void
consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

static int
verb_is(const char *line, size_t len, const char *verb)
{
	size_t	 n = strlen(verb);

	return len >= n && strncasecmp(line, verb, n) == 0 &&
	    (len == n || line[n] == ' ' || line[n] == '\r');
}

/* Take the next command (or the end of a body) from the input. */
static int
conn_process(struct conn *c)
{
	const char	*p, *end;
	size_t		 len;
	int		 isopen = c->beh == B_DISCARD;

	if (c->busy || c->closing)
		return 0;
	if (c->data) {
		/* The body began right after 354: the end is ".\r\n" at the
		 * start of a line. */
		if (c->bol && c->inlen >= 3 && memcmp(c->in, ".\r\n", 3) == 0)
			end = c->in;
		else if ((end = memmem(c->in, c->inlen, "\r\n.\r\n", 5)) !=
		    NULL)
			end += 2;
		if (end == NULL) {
			if (c->inlen > 4) {
				/* Keep what may begin the end marker. */
				c->bol = c->in[c->inlen - 5] == '\n';
				consume(c, c->inlen - 4);
			}
			return 0;
		}
		consume(c, (size_t)(end - c->in) + 3);
		c->data = 0;
		st[c->beh].messages++;
		conn_schedule(c, "250 2.0.0 Ok: queued and dropped\r\n", 0);
		return 0;
	}
	if ((p = memchr(c->in, '\n', c->inlen)) == NULL) {
		if (c->inlen >= LINE_MAX_IN) {
			errors++;
			conn_schedule(c, "500 5.5.2 Line too long\r\n", 2);
			c->inlen = 0;
		}
		return 0;
	}
	len = (size_t)(p - c->in);
	if (len > 0 && c->in[len - 1] == '\r')
		len--;
	if (c->beh == B_TARPIT)
		conn_schedule(c, "250 2.0.0 Ok\r\n", 0);
	else if (verb_is(c->in, len, "EHLO"))
		conn_schedule(c, "250-farm.bench Hello\r\n250 8BITMIME\r\n", 0);
	else if (verb_is(c->in, len, "HELO"))
		conn_schedule(c, "250 farm.bench\r\n", 0);
	else if (verb_is(c->in, len, "MAIL"))
		conn_schedule(c, "250 2.1.0 Ok\r\n", 0);
	else if (verb_is(c->in, len, "RCPT"))
		conn_schedule(c, isopen ? "250 2.1.5 Ok\r\n" :
		    "550 5.7.1 Relaying denied\r\n", 0);
	else if (verb_is(c->in, len, "DATA"))
		conn_schedule(c, isopen ? "354 End data with <CR><LF>."
		    "<CR><LF>\r\n" : "554 5.5.1 No valid recipients\r\n",
		    isopen ? 1 : 0);
	else if (verb_is(c->in, len, "RSET") || verb_is(c->in, len, "NOOP"))
		conn_schedule(c, "250 2.0.0 Ok\r\n", 0);
	else if (verb_is(c->in, len, "QUIT"))
		conn_schedule(c, "221 2.0.0 Bye\r\n", 2);
	else {
		errors++;
		conn_schedule(c, "500 5.5.2 Error: command not recognized\r\n",
		    0);
	}
	consume(c, (size_t)(p - c->in) + 1);
	return 0;
}

static void
conn_read(struct conn *c)
{
	ssize_t	 n;

	for (;;) {
		if (c->inlen == sizeof(c->in) && c->data && !c->busy)
			conn_process(c);	/* a body: scanned, dropped */
		if (c->inlen == sizeof(c->in)) {
			/* A client that runs this far ahead is broken. */
			errors++;
			conn_close(c);
			return;
		}
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->inlen += (size_t)n;
		st[c->beh].bytes_in += (uint64_t)n;
		c->last = now_ms();
		if (c->sent != 0) {
			int64_t d = c->last - c->sent;

			react[c->beh][d < REACT_MAX ? d : REACT_MAX]++;
			c->sent = 0;
		}
	}
	conn_process(c);
}

static void
do_accept(struct listener *l)
{
	struct epoll_event	 e;
	struct conn		*c;
	int			 fd, one = 1;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				accept_fail++;
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			die("out of memory");
		c->kind = K_CONN;
		c->fd = fd;
		c->beh = l->beh;
		c->l = l;
		c->last = now_ms();
		if (l->first == 0)
			l->first = c->last;
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN;
		e.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) == -1)
			die("epoll_ctl: %s", strerror(errno));
		c->next = conns;
		if (conns)
			conns->prev = c;
		conns = c;
		if (++nconns > peak_conns)
			peak_conns = nconns;
		st[c->beh].conns++;
		conn_schedule(c, c->beh == B_TARPIT ?
		    "220 farm.bench ESMTP slowly\r\n" :
		    "220 farm.bench ESMTP\r\n", 0);
	}
}

static void
add_listener(const char *addr, const char *beh, int port)
{
	struct sockaddr_in	 sin;
	struct epoll_event	 e;
	struct listener		*l;
	int			 b, one = 1;

	for (b = 0; b < B_COUNT; b++)
		if (strcmp(beh, beh_name[b]) == 0)
			break;
	if (b == B_COUNT)
		die("unknown behaviour %s", beh);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    (ntohl(sin.sin_addr.s_addr) >> 24) != 127)
		die("%s: not an address in 127.0.0.0/8", addr);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		die("out of memory");
	l->kind = K_LISTENER;
	if (naddrs == lcap) {
		lcap = lcap ? lcap * 2 : 1024;
		if ((lis = realloc(lis, lcap * sizeof(*lis))) == NULL)
			die("out of memory");
	}
	lis[naddrs] = l;
	l->beh = (enum beh)b;
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd == -1)
		die("socket: %s", strerror(errno));
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind %s port %d: %s", addr, port, strerror(errno));
	if (listen(l->fd, BACKLOG) == -1)
		die("listen: %s", strerror(errno));
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = l;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &e) == -1)
		die("epoll_ctl: %s", strerror(errno));
	naddrs++;
}

static void
usage(void)
{
	fprintf(stderr, "usage: smtpfarm -m MANIFEST -p PORT -s STATSFILE "
	    "[-d DELAY_MS] [-t TARPIT_MS] [-i IDLE_S] [-l LIFETIME_S]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 evs[NEV], e;
	struct { enum kind kind; int fd; } sig;
	struct signalfd_siginfo	 si;
	struct conn		*c, *cn;
	sigset_t		 mask;
	FILE			*mf;
	const char		*manifest = NULL;
	char			 line[256], a[64], b[32];
	int64_t			 now, start, lastsweep, idle_ms = 120000;
	int64_t			 lifetime_ms = 900000;
	int			 ch, i, n, port = 0, timeout, done = 0;

	while ((ch = getopt(argc, argv, "d:i:l:m:p:s:t:")) != -1) {
		switch (ch) {
		case 'd':
			delay_ms = atoi(optarg);
			break;
		case 'i':
			idle_ms = (int64_t)atoi(optarg) * 1000;
			break;
		case 'l':
			lifetime_ms = (int64_t)atoi(optarg) * 1000;
			break;
		case 'm':
			manifest = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			statsfile = optarg;
			break;
		case 't':
			tarpit_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (manifest == NULL || statsfile == NULL || port <= 0 ||
	    port > 65535 || delay_ms < 0 || tarpit_ms < 1 || idle_ms < 1000 ||
	    lifetime_ms < 1000)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	if ((mf = fopen(manifest, "r")) == NULL)
		die("%s: %s", manifest, strerror(errno));
	while (fgets(line, sizeof(line), mf) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%63s %31s", a, b) != 2)
			die("%s: bad line: %s", manifest, line);
		add_listener(a, b, port);
	}
	fclose(mf);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig.kind = K_SIGNAL;
	if ((sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		die("signalfd: %s", strerror(errno));
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = &sig;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sig.fd, &e) == -1)
		die("epoll_ctl: %s", strerror(errno));

	{
		struct timespec	 ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		real0 = ts.tv_sec + ts.tv_nsec / 1e9;
		mono0 = now_ms();
	}
	write_stats(0);
	start = lastsweep = now_ms();
	while (!done) {
		now = now_ms();
		timeout = 1000;
		if (hlen > 0)
			timeout = heap[1]->due <= now ? 0 :
			    (int)(heap[1]->due - now < 1000 ?
			    heap[1]->due - now : 1000);
		n = epoll_wait(ep, evs, NEV, timeout);
		if (n == -1 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			enum kind k = *(enum kind *)evs[i].data.ptr;

			if (k == K_LISTENER)
				do_accept(evs[i].data.ptr);
			else if (k == K_SIGNAL) {
				while (read(sig.fd, &si, sizeof(si)) ==
				    sizeof(si)) {
					if (si.ssi_signo == SIGUSR1)
						write_stats(0);
					else
						done = 1;
				}
			} else {
				c = evs[i].data.ptr;
				if ((evs[i].events & EPOLLOUT) &&
				    conn_flush(c) == -1)
					continue;
				if (evs[i].events & (EPOLLIN | EPOLLHUP |
				    EPOLLERR))
					conn_read(c);
			}
		}
		/* Due replies.  A conn closed above left the heap. */
		now = now_ms();
		while (hlen > 0 && heap[1]->due <= now) {
			c = heap[1];
			heap_del(c);
			conn_due(c);
		}
		if (now - lastsweep >= 1000) {
			lastsweep = now;
			for (c = conns; c != NULL; c = cn) {
				cn = c->next;
				if (!c->busy && now - c->last > idle_ms)
					conn_close(c);
			}
			if (now - start > lifetime_ms)
				done = 1;
		}
	}
	write_stats(1);
	return 0;
}
