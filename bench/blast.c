/*
 * blast.c -- saturating closed-loop DNS load generator for `make bench`.
 *
 * Reads "name TYPE" lines (TYPE A or TXT; dnsperf's input format), encodes
 * them once, then keeps up to WINDOW queries outstanding on one connected
 * UDP socket for SECONDS, sending and receiving in batches with
 * sendmmsg/recvmmsg.  It costs far less per query than dnsperf, so it can
 * saturate a server that dnsperf cannot.  While the window has room it
 * polls without blocking (spinning its own CPU by design); when the window
 * is full it blocks for the next answer, and after 200 ms with no answer
 * counts everything outstanding as lost and starts over.  Only answers
 * whose ID is outstanding count.  Prints one line:
 *   blast: sent=N answered=N lost=N outstanding=N stray=N elapsed=S
 *          qps=N noerror=N nxdomain=N other=N window=N batch=N queries=N
 * (outstanding: sent, not answered yet when time was up; not lost).
 *   blast [-w window] [-b batch] ADDR PORT QUERYFILE SECONDS
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLAST_MAXBATCH	64
#define BLAST_QMAX	300	/* longest encoded query we keep */
#define BLAST_LOST_MS	200

struct qset {
	uint8_t		*wire;	/* queries back to back */
	uint32_t	*off;	/* start of query i; off[n] = end */
	size_t		 n;
};

static double
now_secs(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Encode "name TYPE" as a DNS query (ID 0, RD clear) into q; length or 0. */
static size_t
query_encode(const char *name, const char *type, uint8_t *q)
{
	size_t	 o = 12, l;
	uint16_t t;

	if (strcmp(type, "A") == 0)
		t = 1;
	else if (strcmp(type, "TXT") == 0)
		t = 16;
	else if (strcmp(type, "AAAA") == 0)
		t = 28;
	else
		return 0;
	memset(q, 0, 12);
	q[5] = 1;		/* QDCOUNT */
	while (*name != '\0') {
		const char *dot = strchr(name, '.');

		l = dot ? (size_t)(dot - name) : strlen(name);
		if (l == 0 || l > 63 || o + l + 1 + 5 > BLAST_QMAX)
			return 0;
		q[o++] = (uint8_t)l;
		memcpy(q + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	q[o++] = 0;
	q[o++] = (uint8_t)(t >> 8);
	q[o++] = (uint8_t)t;
	q[o++] = 0;
	q[o++] = 1;		/* IN */
	return o;
}

static int
qset_load(struct qset *qs, const char *path)
{
	FILE	*f;
	char	 line[1024], name[512], type[16];
	size_t	 cap = 1 << 16, bytes = 0, bcap = 1 << 22, len;
	uint8_t	 q[BLAST_QMAX];

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "blast: %s: %s\n", path, strerror(errno));
		return -1;
	}
	qs->n = 0;
	qs->off = malloc((cap + 1) * sizeof(*qs->off));
	qs->wire = malloc(bcap);
	while (qs->off && qs->wire && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%511s %15s", name, type) != 2 ||
		    (len = query_encode(name, type, q)) == 0)
			continue;
		if (qs->n == cap) {
			cap *= 2;
			qs->off = realloc(qs->off, (cap + 1) * sizeof(*qs->off));
		}
		if (bytes + len > bcap) {
			bcap *= 2;
			qs->wire = realloc(qs->wire, bcap);
		}
		if (qs->off == NULL || qs->wire == NULL)
			break;
		memcpy(qs->wire + bytes, q, len);
		qs->off[qs->n++] = (uint32_t)bytes;
		bytes += len;
	}
	fclose(f);
	if (qs->off == NULL || qs->wire == NULL) {
		fprintf(stderr, "blast: out of memory\n");
		return -1;
	}
	if (qs->n == 0) {
		fprintf(stderr, "blast: %s: no queries\n", path);
		return -1;
	}
	qs->off[qs->n] = (uint32_t)bytes;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: blast [-w window] [-b batch] ADDR PORT "
	    "QUERYFILE SECONDS\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static uint8_t		 pending[65536];
	static uint8_t		 sbuf[BLAST_MAXBATCH][BLAST_QMAX];
	static uint8_t		 rbuf[BLAST_MAXBATCH][512];
	struct mmsghdr		 sm[BLAST_MAXBATCH], rm[BLAST_MAXBATCH];
	struct iovec		 siov[BLAST_MAXBATCH], riov[BLAST_MAXBATCH];
	struct sockaddr_in	 sin;
	struct timeval		 tv = { 0, BLAST_LOST_MS * 1000 };
	struct qset		 qs;
	unsigned long long	 sent = 0, answered = 0, lost = 0, stray = 0;
	unsigned long long	 rcode[16] = { 0 };
	double			 dur, t0, end, elapsed;
	size_t			 next = 0;
	long			 inflight = 0, window = 128, batch = 32;
	uint16_t		 id = 0;
	int			 fd, ch, i, n, rb = 4 << 20;

	while ((ch = getopt(argc, argv, "b:w:")) != -1) {
		switch (ch) {
		case 'b':
			batch = atol(optarg);
			break;
		case 'w':
			window = atol(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4 || batch < 1 || batch > BLAST_MAXBATCH || window < 1 ||
	    window > 30000 || (dur = atof(argv[3])) <= 0)
		usage();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	if (inet_pton(AF_INET, argv[0], &sin.sin_addr) != 1) {
		fprintf(stderr, "blast: bad address %s\n", argv[0]);
		return 2;
	}
	if (qset_load(&qs, argv[2]) == -1)
		return 1;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		fprintf(stderr, "blast: connect: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(sm, 0, sizeof(sm));
	memset(rm, 0, sizeof(rm));
	for (i = 0; i < BLAST_MAXBATCH; i++) {
		siov[i].iov_base = sbuf[i];
		sm[i].msg_hdr.msg_iov = &siov[i];
		sm[i].msg_hdr.msg_iovlen = 1;
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = now_secs();
	end = t0 + dur;
	for (;;) {
		long room = window - inflight;

		if (room > batch)
			room = batch;
		if (room > 0) {
			for (i = 0; i < room; i++) {
				size_t len = qs.off[next + 1] - qs.off[next];

				memcpy(sbuf[i], qs.wire + qs.off[next], len);
				sbuf[i][0] = (uint8_t)(id >> 8);
				sbuf[i][1] = (uint8_t)id;
				pending[id++] = 1;
				siov[i].iov_len = len;
				if (++next == qs.n)
					next = 0;
			}
			n = sendmmsg(fd, sm, (unsigned)room, 0);
			if (n < 0)
				n = 0;
			/* Unsent ones: take their IDs and queries back. */
			for (i = (int)room - 1; i >= n; i--) {
				pending[--id] = 0;
				next = next == 0 ? qs.n - 1 : next - 1;
			}
			sent += (unsigned long long)n;
			inflight += n;
		}
		n = recvmmsg(fd, rm, (unsigned)batch,
		    inflight >= window ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
		if (n > 0) {
			for (i = 0; i < n; i++) {
				uint8_t *p = rbuf[i];
				uint16_t rid;

				if (rm[i].msg_len < 12 || !(p[2] & 0x80)) {
					stray++;
					continue;
				}
				rid = (uint16_t)(p[0] << 8 | p[1]);
				if (!pending[rid]) {
					stray++;
					continue;
				}
				pending[rid] = 0;
				answered++;
				inflight--;
				rcode[p[3] & 15]++;
			}
		} else if (n == -1 && inflight >= window &&
		    (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Nothing for BLAST_LOST_MS: the rest is lost. */
			lost += (unsigned long long)inflight;
			inflight = 0;
			memset(pending, 0, sizeof(pending));
		}
		if (now_secs() >= end)
			break;
	}
	elapsed = now_secs() - t0;
	printf("blast: sent=%llu answered=%llu lost=%llu outstanding=%ld "
	    "stray=%llu elapsed=%.3f qps=%.0f noerror=%llu nxdomain=%llu "
	    "other=%llu window=%ld batch=%ld queries=%zu\n", sent, answered,
	    lost, inflight, stray, elapsed, (double)answered / elapsed,
	    rcode[0], rcode[3], answered - rcode[0] - rcode[3], window, batch,
	    qs.n);
	free(qs.off);
	free(qs.wire);
	close(fd);
	return 0;
}
