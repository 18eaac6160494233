/*
 * floor.c -- the benchmark's floor: the cheapest UDP DNS responder there
 * is, to measure what the kernel's socket path alone costs per query.
 *
 * One thread, one socket, recvmmsg/sendmmsg in batches of 32 (orbl-dnsd's
 * batch), no parsing beyond skipping the question: every query gets the
 * same answer, its own header and question back with QR and AA set and
 * RCODE NXDOMAIN, no records.  Stops on SIGTERM or SIGINT and prints how
 * many queries it answered.
 *   floor ADDR PORT
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOR_BATCH	32
#define FLOOR_PKT	4096

static volatile sig_atomic_t	 quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/*
 * Turn the query in p (n bytes) into the fixed reply, in place.
 * Returns the reply's length, or 0 to drop (not a query, no question).
 */
static size_t
floor_reply(uint8_t *p, size_t n)
{
	size_t	 off = 12;

	if (n < 12 || (p[2] & 0x80) || p[4] != 0 || p[5] != 1)
		return 0;
	while (off < n && p[off] != 0) {
		if (p[off] & 0xc0)
			return 0;
		off += (size_t)p[off] + 1;
	}
	off += 1 + 4;		/* root label, QTYPE, QCLASS */
	if (off > n)
		return 0;
	p[2] = (uint8_t)(0x80 | (p[2] & 0x79) | 0x04);	/* QR, opcode, AA, RD */
	p[3] = 3;					/* NXDOMAIN */
	memset(p + 6, 0, 6);				/* AN, NS, AR */
	return off;
}

int
main(int argc, char *argv[])
{
	static uint8_t		 buf[FLOOR_BATCH][FLOOR_PKT];
	struct sockaddr_in	 sin, from[FLOOR_BATCH];
	struct iovec		 iov[FLOOR_BATCH];
	struct mmsghdr		 in[FLOOR_BATCH], out[FLOOR_BATCH];
	struct sigaction	 sa;
	unsigned long long	 answered = 0;
	int			 fd, i, n, k, s;

	if (argc != 3) {
		fprintf(stderr, "usage: floor ADDR PORT\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "floor: bad address %s\n", argv[1]);
		return 2;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		fprintf(stderr, "floor: bind %s port %s: %s\n", argv[1],
		    argv[2], strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: recvmmsg returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "floor: answering NXDOMAIN on %s port %s\n", argv[1],
	    argv[2]);

	while (!quit) {
		memset(in, 0, sizeof(in));
		for (i = 0; i < FLOOR_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = FLOOR_PKT;
			in[i].msg_hdr.msg_iov = &iov[i];
			in[i].msg_hdr.msg_iovlen = 1;
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		if ((n = recvmmsg(fd, in, FLOOR_BATCH, MSG_WAITFORONE,
		    NULL)) <= 0)
			continue;
		for (i = k = 0; i < n; i++) {
			size_t len = floor_reply(buf[i], in[i].msg_len);

			if (len == 0)
				continue;
			iov[i].iov_len = len;
			out[k].msg_hdr = in[i].msg_hdr;
			out[k].msg_len = 0;
			k++;
		}
		for (s = 0; s < k; ) {
			int m = sendmmsg(fd, out + s, (unsigned)(k - s), 0);

			if (m <= 0)
				break;
			s += m;
		}
		answered += (unsigned long long)s;
	}
	fprintf(stderr, "floor: answered %llu\n", answered);
	close(fd);
	return 0;
}
