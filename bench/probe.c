/*
 * probe.c -- one DNS query every INTERVAL, each answer timed and checked.
 *
 * Two uses in `make bench`:
 *  - readiness / cold start (-u): query NAME every 2 ms until an answer
 *    matches, print the time since T0 (the server's spawn), exit 0; exit 1
 *    when SECONDS pass without one.
 *  - latency during an update: query NAME every 1 ms for SECONDS (under
 *    load from another generator), then print the latency distribution,
 *    the largest latency and when it happened, and when NAME first
 *    answered as expected (the update became visible).
 * A reply "matches" with -m listed (default) when it is NOERROR with an
 * answer (and, with -a, an A record holding that address); with -m any,
 * every reply matches.  Times printed are CLOCK_REALTIME seconds, so a
 * shell script can compare them with `date +%s.%N`.
 *   probe [-u] [-m any|listed] [-a A.B.C.D] [-t A|TXT] [-i usec]
 *         [-l seconds] [-T t0] [-o timeline] ADDR PORT NAME
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_WAIT_END	1.0	/* seconds to wait for the last answers */

struct sample {
	double	 sent;		/* monotonic */
	double	 sent_rt;	/* realtime */
	double	 lat;		/* seconds; < 0: no answer */
	int	 match;
};

struct probe {
	int		 fd;
	uint8_t		 q[300];
	size_t		 qlen;
	int		 any;
	int		 want_a;
	uint8_t		 a[4];
	struct sample	*s;
	size_t		 ns, cap;
	size_t		 nans;		/* answered so far */
	double		 mono0, real0;	/* to turn monotonic into realtime */
};

static double
clock_secs(clockid_t c)
{
	struct timespec	 ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
query_encode(const char *name, uint16_t type, uint8_t *q, size_t qsize)
{
	size_t	 o = 12, l;

	memset(q, 0, 12);
	q[5] = 1;
	while (*name != '\0') {
		const char *dot = strchr(name, '.');

		l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > 63 || o + l + 6 > qsize)
			return 0;
		q[o++] = (uint8_t)l;
		memcpy(q + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	q[o++] = 0;
	q[o++] = (uint8_t)(type >> 8);
	q[o++] = (uint8_t)type;
	q[o++] = 0;
	q[o++] = 1;
	return o;
}

/* Skip a (possibly compressed) name; new offset or 0. */
static size_t
name_skip(const uint8_t *p, size_t n, size_t o)
{
	while (o < n) {
		if (p[o] == 0)
			return o + 1;
		if ((p[o] & 0xc0) == 0xc0)
			return o + 2 <= n ? o + 2 : 0;
		if (p[o] & 0xc0)
			return 0;
		o += (size_t)p[o] + 1;
	}
	return 0;
}

static int
reply_matches(const struct probe *pr, const uint8_t *p, size_t n)
{
	size_t	 o = 12;
	unsigned qd, an, i;

	if (pr->any)
		return 1;
	if (n < 12 || (p[3] & 15) != 0)
		return 0;
	qd = (unsigned)(p[4] << 8 | p[5]);
	an = (unsigned)(p[6] << 8 | p[7]);
	if (an == 0)
		return 0;
	if (!pr->want_a)
		return 1;
	for (i = 0; i < qd; i++)
		if ((o = name_skip(p, n, o)) == 0 || (o += 4) > n)
			return 0;
	for (i = 0; i < an; i++) {
		unsigned type, rdlen;

		if ((o = name_skip(p, n, o)) == 0 || o + 10 > n)
			return 0;
		type = (unsigned)(p[o] << 8 | p[o + 1]);
		rdlen = (unsigned)(p[o + 8] << 8 | p[o + 9]);
		o += 10;
		if (o + rdlen > n)
			return 0;
		if (type == 1 && rdlen == 4 && memcmp(p + o, pr->a, 4) == 0)
			return 1;
		o += rdlen;
	}
	return 0;
}

static void
probe_send(struct probe *pr)
{
	uint16_t	 id = (uint16_t)pr->ns;
	struct sample	*s;

	if (pr->ns == pr->cap) {
		pr->cap = pr->cap ? pr->cap * 2 : 4096;
		if ((pr->s = realloc(pr->s, pr->cap * sizeof(*pr->s))) ==
		    NULL) {
			fprintf(stderr, "probe: out of memory\n");
			exit(1);
		}
	}
	s = &pr->s[pr->ns++];
	pr->q[0] = (uint8_t)(id >> 8);
	pr->q[1] = (uint8_t)id;
	s->sent = clock_secs(CLOCK_MONOTONIC);
	s->sent_rt = pr->real0 + (s->sent - pr->mono0);
	s->lat = -1;
	s->match = 0;
	(void)send(pr->fd, pr->q, pr->qlen, 0);	/* refused: no server yet */
}

/* Read every waiting reply; returns how many matched. */
static int
probe_recv(struct probe *pr)
{
	uint8_t		 buf[4096];
	ssize_t		 n;
	int		 matched = 0;

	while ((n = recv(pr->fd, buf, sizeof(buf), MSG_DONTWAIT)) != -1 ||
	    errno == ECONNREFUSED) {
		double	 t = clock_secs(CLOCK_MONOTONIC);
		size_t	 seq;
		uint16_t id;

		if (n < (ssize_t)pr->qlen || !(buf[2] & 0x80))
			continue;
		id = (uint16_t)(buf[0] << 8 | buf[1]);
		/* The newest query with this ID (IDs wrap after 65536). */
		if (pr->ns == 0)
			continue;
		seq = pr->ns - 1 - (uint16_t)((uint16_t)(pr->ns - 1) - id);
		if (seq >= pr->ns || pr->s[seq].lat >= 0 ||
		    memcmp(buf + 12, pr->q + 12, pr->qlen - 12) != 0)
			continue;
		pr->s[seq].lat = t - pr->s[seq].sent;
		pr->nans++;
		if ((pr->s[seq].match = reply_matches(pr, buf, (size_t)n)))
			matched++;
	}
	return matched;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: probe [-u] [-m any|listed] [-a A.B.C.D] "
	    "[-t A|TXT] [-i usec] [-l seconds]\n"
	    "             [-T t0] [-o timeline] ADDR PORT NAME\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct probe		 pr;
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	struct timespec		 ts;
	const char		*timeline = NULL;
	double			 interval = 0.001, dur = 10, t0 = -1;
	double			 start, end, next, t, *lat;
	double			 first_match = -1, last_unmatched = -1;
	double			 max = 0, max_at = -1;
	size_t			 i, nans = 0, nmatch = 0;
	uint16_t		 qtype = 1;
	int			 ch, until = 0;

	memset(&pr, 0, sizeof(pr));
	while ((ch = getopt(argc, argv, "a:i:l:m:o:T:t:u")) != -1) {
		switch (ch) {
		case 'a':
			if (inet_pton(AF_INET, optarg, pr.a) != 1)
				usage();
			pr.want_a = 1;
			break;
		case 'i':
			interval = atof(optarg) / 1e6;
			break;
		case 'l':
			dur = atof(optarg);
			break;
		case 'm':
			if (strcmp(optarg, "any") == 0)
				pr.any = 1;
			else if (strcmp(optarg, "listed") != 0)
				usage();
			break;
		case 'o':
			timeline = optarg;
			break;
		case 'T':
			t0 = atof(optarg);
			break;
		case 't':
			if (strcmp(optarg, "TXT") == 0)
				qtype = 16;
			else if (strcmp(optarg, "A") != 0)
				usage();
			break;
		case 'u':
			until = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 || interval < 1e-5 || dur <= 0)
		usage();
	if ((pr.qlen = query_encode(argv[2], qtype, pr.q, sizeof(pr.q))) ==
	    0) {
		fprintf(stderr, "probe: bad name %s\n", argv[2]);
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	if (inet_pton(AF_INET, argv[0], &sin.sin_addr) != 1)
		usage();
	if ((pr.fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(pr.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		fprintf(stderr, "probe: connect: %s\n", strerror(errno));
		return 1;
	}
	pr.real0 = clock_secs(CLOCK_REALTIME);
	pr.mono0 = clock_secs(CLOCK_MONOTONIC);
	if (t0 < 0)
		t0 = pr.real0;
	start = pr.mono0;
	end = start + dur;
	next = start;
	pfd.fd = pr.fd;
	pfd.events = POLLIN;
	for (;;) {
		t = clock_secs(CLOCK_MONOTONIC);
		if (t >= next && t < end) {
			probe_send(&pr);
			/* No catching up after a stall: one query per tick. */
			next += interval;
			if (next < t)
				next = t + interval;
		}
		if (t >= end + (until ? 0 : PROBE_WAIT_END))
			break;
		if (!until && t >= end && pr.nans == pr.ns)
			break;
		t = (t < end ? next : end + PROBE_WAIT_END) - t;
		if (t < 0)
			t = 0;
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
		if (ppoll(&pfd, 1, &ts, NULL) > 0 && probe_recv(&pr) > 0 &&
		    until) {
			t = clock_secs(CLOCK_MONOTONIC);
			printf("probe: match elapsed=%.4f queries=%zu\n",
			    pr.real0 + (t - pr.mono0) - t0, pr.ns);
			return 0;
		}
	}
	if (until) {
		printf("probe: no match within %.1f s (%zu queries)\n", dur,
		    pr.ns);
		return 1;
	}

	if ((lat = calloc(pr.ns + 1, sizeof(*lat))) == NULL) {
		fprintf(stderr, "probe: out of memory\n");
		return 1;
	}
	for (nans = 0, i = 0; i < pr.ns; i++) {
		struct sample *s = &pr.s[i];

		if (s->lat < 0)
			continue;
		lat[nans++] = s->lat;
		if (s->lat > max) {
			max = s->lat;
			max_at = s->sent_rt;
		}
		if (s->match) {
			nmatch++;
			if (first_match < 0)
				first_match = s->sent_rt + s->lat;
		} else
			last_unmatched = s->sent_rt;
	}
	if (timeline != NULL) {
		FILE *f = fopen(timeline, "w");

		if (f == NULL)
			fprintf(stderr, "probe: %s: %s\n", timeline,
			    strerror(errno));
		else {
			for (i = 0; i < pr.ns; i++)
				fprintf(f, "%.6f %.1f %d\n", pr.s[i].sent_rt,
				    pr.s[i].lat < 0 ? -1 : pr.s[i].lat * 1e6,
				    pr.s[i].match);
			fclose(f);
		}
	}
	qsort(lat, nans, sizeof(*lat), dbl_cmp);
#define PCT(p)	(nans ? lat[(size_t)((double)(nans - 1) * (p))] * 1e6 : -1)
	printf("probe: sent=%zu answered=%zu lost=%zu matched=%zu "
	    "lat_med_us=%.1f lat_p99_us=%.1f lat_p999_us=%.1f "
	    "lat_max_us=%.1f max_over_med=%.2f max_at=%.6f first_match=%.6f "
	    "last_unmatched=%.6f\n", pr.ns, nans, pr.ns - nans, nmatch,
	    PCT(0.5), PCT(0.99), PCT(0.999), max * 1e6,
	    nans && PCT(0.5) > 0 ? max * 1e6 / PCT(0.5) : -1, max_at,
	    first_match, last_unmatched);
#undef PCT
	free(lat);
	free(pr.s);
	close(pr.fd);
	return 0;
}
