/*
 * pingpong.c -- the floor under an SMTP client's cost per command, for
 * `make bench-prober`: one blocking send of a command line and one recv
 * of its reply on a loopback TCP connection, N times; prints the client's
 * CPU time (user + system) per exchange in microseconds.  A forked child
 * answers every read with one reply line.  127.0.0.1 only.
 *
 *   pingpong [N]		(default 100000)
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char	 cmd[] = "MAIL FROM:<relaytest@sink.bench.test>\r\n";
static const char	 reply[] = "250 2.1.0 Ok\r\n";

static double
cpu_us(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 buf[512];
	double			 t0, t1;
	long			 i, n = argc > 1 ? atol(argv[1]) : 100000;
	pid_t			 pid;
	int			 l, c, s;

	if (n < 1) {
		fprintf(stderr, "usage: pingpong [N]\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1) {
		perror("pingpong: listen");
		return 1;
	}
	if ((pid = fork()) == -1) {
		perror("pingpong: fork");
		return 1;
	}
	if (pid == 0) {
		if ((c = accept(l, NULL, NULL)) == -1)
			_exit(1);
		while (recv(c, buf, sizeof(buf), 0) > 0)
			if (send(c, reply, sizeof(reply) - 1, MSG_NOSIGNAL) == -1)
				break;
		_exit(0);
	}
	close(l);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("pingpong: connect");
		return 1;
	}
	t0 = cpu_us();
	for (i = 0; i < n; i++)
		if (send(s, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) == -1 ||
		    recv(s, buf, sizeof(buf), 0) <= 0) {
			perror("pingpong: exchange");
			return 1;
		}
	t1 = cpu_us();
	close(s);
	waitpid(pid, NULL, 0);
	printf("%.2f\n", (t1 - t0) / (double)n);
	return 0;
}
