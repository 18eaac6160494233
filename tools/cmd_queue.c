/*
 * cmd_queue.c -- orblctl queue-check: how many messages wait in the local
 * MTA's queue, who sends them and where they go, as a Nagios plugin
 * (status line, exit 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN).
 *
 * A small office's server normally holds 0 to 10 queued messages, a big
 * provider's a few hundred; thousands mean it is probably relaying spam,
 * and the top recipient domains show to whom.  The input is the output of
 * `mailq` (Postfix, Sendmail or Exim; mailq.c parses it as a stream, in
 * bounded memory; mailq_top.c counts domains and senders) from a command
 * run with a time limit, or stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "ctl_json.h"
#include "mailq.h"
#include "mailq_top.h"

enum qc_state { QC_OK, QC_WARNING, QC_CRITICAL, QC_UNKNOWN };
static const char *const qc_state_name[] = { "OK", "WARNING", "CRITICAL",
    "UNKNOWN" };

#define QC_TOP_CAP	4096	/* counters per top table (Space-Saving) */
#define QC_TOP_MAX	1000	/* --top at most */
#define QC_TOP_DEFAULT	10
#define QC_TIMEOUT	30	/* seconds for the command, by default */
#define QC_ERRLINE	240	/* kept of the command's stderr */
#define QC_LOCAL	"(local)"	/* recipients without a domain */
#define QC_NULLSENDER	"<>"

struct qc {
	struct mailq_top	*dom, *snd;
	/* the command */
	const char		*cmd;
	long long		 timeout;
	char			 errline[QC_ERRLINE + 1];
	size_t			 errlen;
	int			 errdone;	/* saw the end of line 1 */
};

static void
qc_msg_cb(const struct mailq_msg *m, void *arg)
{
	struct qc	*qc = arg;
	char		 d[MAILQ_TOP_KEY_MAX];
	size_t		 i;

	if (*m->sender == '\0')
		mailq_top_add(qc->snd, QC_NULLSENDER, strlen(QC_NULLSENDER));
	else
		mailq_top_add(qc->snd, m->sender, strlen(m->sender));
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i].delivered)
			continue;
		if (mailq_addr_domain(m->rcpt[i].addr, d, sizeof(d)) == NULL)
			mailq_top_add(qc->dom, QC_LOCAL, strlen(QC_LOCAL));
		else
			mailq_top_add(qc->dom, d, strlen(d));
	}
}

/* Keep the first line of the command's stderr, printable. */
static void
qc_keep_err(struct qc *qc, const char *buf, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && !qc->errdone; i++) {
		if (buf[i] == '\n') {
			if (qc->errlen > 0)
				qc->errdone = 1;
			continue;
		}
		if (qc->errlen >= QC_ERRLINE)
			continue;
		qc->errline[qc->errlen++] = (unsigned char)buf[i] < 0x20 ||
		    buf[i] == 0x7f ? '?' : buf[i];
		qc->errline[qc->errlen] = '\0';
	}
}

static void
qc_kill(pid_t pid)
{
	int	 st;

	kill(-pid, SIGKILL);	/* its own process group: sh and children */
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
}

/*
 * Run the command (sh -c) in its own process group, feed its stdout to
 * the parser, keep the first line of its stderr.  The whole run, output
 * and exit, must fit in qc->timeout seconds, or the group is killed.
 * Returns 0, or -1 with the reason in err.
 */
static int
qc_run(struct qc *qc, struct mailq *q, char *err, size_t errlen)
{
	int		 out[2], ep[2], st, nopen, i;
	pid_t		 pid, w;
	struct pollfd	 pfd[2];
	char		 buf[65536];
	ssize_t		 r;
	long long	 deadline, left;

	if (pipe2(out, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		int	 nul;

		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if ((nul = open("/dev/null", O_RDONLY)) != -1)
			dup2(nul, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(ep[1], STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", qc->cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: no race with the kill below */
	close(out[1]);
	close(ep[1]);
	deadline = (long long)clock_mono_msec() + qc->timeout * 1000;
	pfd[0].fd = out[0];
	pfd[1].fd = ep[0];
	pfd[0].events = pfd[1].events = POLLIN;
	nopen = 2;
	while (nopen > 0) {
		if ((left = deadline - (long long)clock_mono_msec()) <= 0)
			goto timeout;
		if (poll(pfd, 2, left > 1000 ? 1000 : (int)left) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto fail;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;	/* poll ignores it */
				nopen--;
			} else if (i == 0)
				mailq_feed(q, buf, (size_t)r);
			else
				qc_keep_err(qc, buf, (size_t)r);
		}
	}
	/* Output closed: the command has a moment left to exit. */
	for (;;) {
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		if (w == -1 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
		if ((long long)clock_mono_msec() >= deadline)
			goto timeout;
		usleep(10000);
	}
	if (WIFSIGNALED(st)) {
		snprintf(err, errlen, "'%s' was killed by signal %d%s%s",
		    qc->cmd, WTERMSIG(st), qc->errlen ? ": " : "", qc->errline);
		return -1;
	}
	if (WEXITSTATUS(st) == 127) {
		snprintf(err, errlen, "'%s': command not found (exit 127)%s%s",
		    qc->cmd, qc->errlen ? ": " : "", qc->errline);
		return -1;
	}
	if (WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "'%s' exited with status %d%s%s",
		    qc->cmd, WEXITSTATUS(st), qc->errlen ? ": " : "",
		    qc->errline);
		return -1;
	}
	return 0;

timeout:
	snprintf(err, errlen, "'%s' did not finish within %lld s: killed",
	    qc->cmd, qc->timeout);
fail:
	for (i = 0; i < 2; i++)
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
	qc_kill(pid);
	return -1;
}

static int
qc_read_stdin(struct mailq *q, char *err, size_t errlen)
{
	char	 buf[65536];
	ssize_t	 r;

	for (;;) {
		r = read(STDIN_FILENO, buf, sizeof(buf));
		if (r == 0)
			return 0;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "stdin: %s", strerror(errno));
			return -1;
		}
		mailq_feed(q, buf, (size_t)r);
	}
}

/* A count option: 0 or -1 (usage message printed). */
static int
qc_number(const char *opt, const char *s, long long min, long long max,
    long long *v)
{
	char	*end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || *v < min ||
	    *v > max) {
		ctl_usage_err("queue-check", "queue-check: --%s %s: expected a "
		    "number from %lld to %lld", opt, s, min, max);
		return -1;
	}
	return 0;
}

static int
qc_unknown(int json, const char *why, long long warn, long long crit)
{
	char	 summary[1100];

	snprintf(summary, sizeof(summary), "QUEUE UNKNOWN: %s", why);
	if (json)
		ctl_json_print("queue-check", cj_queue_unknown(summary, why,
		    warn, crit));
	else
		printf("%s\n", summary);
	return QC_UNKNOWN;
}

static void
qc_top_text(const char *title, struct mailq_top *t, size_t n)
{
	struct mailq_top_entry	 e[QC_TOP_MAX];
	size_t			 i, got;

	got = mailq_top_get(t, e, n);
	if (got == 0)
		return;
	printf("top %s:\n", title);
	for (i = 0; i < got; i++)
		printf("  %8llu  %s\n", (unsigned long long)e[i].count,
		    e[i].key);
}

static int
qc_report(struct qc *qc, const struct mailq_stats *st, long long warn,
    long long crit, size_t top, int json)
{
	enum qc_state	 s;
	uint64_t	 n = st->messages;
	char		 summary[512];
	int		 exact;

	/* Sendmail may list fewer than it counts ("only N printed"). */
	if (st->reported > 0 && (uint64_t)st->reported > n)
		n = (uint64_t)st->reported;
	if (n >= (uint64_t)crit) {
		s = QC_CRITICAL;
		snprintf(summary, sizeof(summary), "QUEUE CRITICAL: %llu "
		    "messages (>= %lld): probably relaying spam \xe2\x80\x94 "
		    "check the top recipient domains", (unsigned long long)n,
		    crit);
	} else if (n >= (uint64_t)warn) {
		s = QC_WARNING;
		snprintf(summary, sizeof(summary), "QUEUE WARNING: %llu "
		    "messages (>= %lld)", (unsigned long long)n, warn);
	} else {
		s = QC_OK;
		snprintf(summary, sizeof(summary), "QUEUE OK: %llu message%s",
		    (unsigned long long)n, n == 1 ? "" : "s");
	}
	exact = mailq_top_exact(qc->dom) && mailq_top_exact(qc->snd);
	if (json) {
		struct mailq_top_entry	 dom[QC_TOP_MAX], snd[QC_TOP_MAX];
		struct cj_queue		 cq;

		memset(&cq, 0, sizeof(cq));
		cq.status = qc_state_name[s];
		cq.summary = summary;
		cq.messages = n;
		cq.st = st;
		cq.warn = warn;
		cq.crit = crit;
		cq.exact = exact;
		cq.dom = dom;
		cq.ndom = mailq_top_get(qc->dom, dom, top);
		cq.snd = snd;
		cq.nsnd = mailq_top_get(qc->snd, snd, top);
		/* A report that cannot be written is no report: UNKNOWN. */
		return ctl_json_print("queue-check", cj_queue(&cq)) ==
		    CTL_OK ? (int)s : QC_UNKNOWN;
	}
	/* Nagios: the first line is the status, perfdata after '|'. */
	printf("%s | messages=%llu;%lld;%lld;0 deferred=%llu;;;0 "
	    "frozen=%llu;;;0\n", summary, (unsigned long long)n, warn, crit,
	    (unsigned long long)st->status[MAILQ_DEFERRED],
	    (unsigned long long)st->status[MAILQ_FROZEN]);
	printf("format %s: %llu messages, %llu recipients, %llu bytes; "
	    "deferred %llu, frozen %llu, hold %llu, active %llu\n",
	    mailq_format_name(st->format), (unsigned long long)st->messages,
	    (unsigned long long)st->recipients, (unsigned long long)st->bytes,
	    (unsigned long long)st->status[MAILQ_DEFERRED],
	    (unsigned long long)st->status[MAILQ_FROZEN],
	    (unsigned long long)st->status[MAILQ_HOLD],
	    (unsigned long long)st->status[MAILQ_ACTIVE]);
	qc_top_text("recipient domains", qc->dom, top);
	qc_top_text("senders", qc->snd, top);
	if (st->reported >= 0 && (uint64_t)st->reported != st->messages)
		printf("note: the output counts %lld messages and lists %llu\n",
		    (long long)st->reported, (unsigned long long)st->messages);
	if (st->garbage > 0)
		printf("note: %llu lines not understood\n",
		    (unsigned long long)st->garbage);
	if (st->truncated > 0)
		printf("note: %llu messages have more recipients than were "
		    "counted (%d each)\n", (unsigned long long)st->truncated,
		    MAILQ_RCPT_MAX);
	if (!exact)
		printf("note: more than %d distinct domains or senders: the "
		    "counts above may be too high by a little\n", QC_TOP_CAP);
	if (qc->errlen > 0)
		printf("note: the command said: %s\n", qc->errline);
	return s;
}

int
cmd_queue_check(struct ctl *ctl, int argc, char **argv)
{
	const char		*cmd = NULL, *warn_s = NULL, *crit_s = NULL;
	const char		*top_s = NULL, *tmo_s = NULL;
	int			 json = 0, npos, rc;
	struct ctl_opt		 opts[] = {
		{ "command", 1, &cmd, NULL },
		{ "warn", 1, &warn_s, NULL },
		{ "crit", 1, &crit_s, NULL },
		{ "top", 1, &top_s, NULL },
		{ "command-timeout", 1, &tmo_s, NULL },
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	char			*pos[1], err[1024];
	long long		 warn, crit, top = QC_TOP_DEFAULT;
	struct qc		 qc;
	struct mailq		*q;
	struct timespec		 ts;
	uint64_t		 seed;

	/* Usage errors are UNKNOWN too: a monitor reads 2 as CRITICAL. */
	if (ctl_getopt("queue-check", argc, argv, opts, pos, 1, &npos))
		return qc_unknown(json, "bad arguments (orblctl queue-check "
		    "-h)", ctl->conf.queue_warn, ctl->conf.queue_crit);
	memset(&qc, 0, sizeof(qc));
	qc.cmd = "mailq";
	qc.timeout = QC_TIMEOUT;
	if (npos == 1 && strcmp(pos[0], "-") != 0) {
		ctl_usage_err("queue-check", "queue-check: unexpected argument "
		    "'%s' (use --command CMD, or - for stdin)", pos[0]);
		return qc_unknown(json, "bad arguments", ctl->conf.queue_warn,
		    ctl->conf.queue_crit);
	}
	if (npos == 1 && (cmd != NULL || tmo_s != NULL)) {
		ctl_usage_err("queue-check", "queue-check: - (stdin) and "
		    "--command/--command-timeout exclude each other");
		return qc_unknown(json, "bad arguments", ctl->conf.queue_warn,
		    ctl->conf.queue_crit);
	}
	if (cmd != NULL) {
		if (*cmd == '\0') {
			ctl_usage_err("queue-check", "queue-check: --command: "
			    "empty");
			return qc_unknown(json, "bad arguments",
			    ctl->conf.queue_warn, ctl->conf.queue_crit);
		}
		qc.cmd = cmd;
	}
	warn = ctl->conf.queue_warn;
	crit = ctl->conf.queue_crit;
	if ((warn_s && qc_number("warn", warn_s, 1, 1LL << 40, &warn)) ||
	    (crit_s && qc_number("crit", crit_s, 1, 1LL << 40, &crit)) ||
	    (top_s && qc_number("top", top_s, 0, QC_TOP_MAX, &top)))
		return qc_unknown(json, "bad arguments", warn, crit);
	if (tmo_s && (addr_duration_parse(tmo_s, &qc.timeout) == -1 ||
	    qc.timeout < 1 || qc.timeout > 86400)) {
		ctl_usage_err("queue-check", "queue-check: --command-timeout "
		    "%s: expected a duration from 1s to 1d", tmo_s);
		return qc_unknown(json, "bad arguments", warn, crit);
	}
	if (warn < 1 || crit < warn) {
		snprintf(err, sizeof(err), "thresholds: need 1 <= warn (%lld) "
		    "<= crit (%lld) (--warn/--crit or queue_warn/queue_crit)",
		    warn, crit);
		return qc_unknown(json, err, warn, crit);
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)getpid() << 40;
	qc.dom = mailq_top_new(QC_TOP_CAP, seed);
	qc.snd = mailq_top_new(QC_TOP_CAP, seed * 31 + 7);
	q = mailq_new(qc_msg_cb, &qc);
	if (qc.dom == NULL || qc.snd == NULL || q == NULL) {
		rc = qc_unknown(json, "out of memory", warn, crit);
		goto out;
	}
	err[0] = '\0';
	if ((npos == 1 ? qc_read_stdin(q, err, sizeof(err)) :
	    qc_run(&qc, q, err, sizeof(err))) == -1 ||
	    mailq_finish(q, err, sizeof(err)) == -1) {
		rc = qc_unknown(json, err, warn, crit);
		goto out;
	}
	rc = qc_report(&qc, mailq_stats(q), warn, crit, (size_t)top, json);
out:
	mailq_free(q);
	mailq_top_free(qc.dom);
	mailq_top_free(qc.snd);
	return rc;
}
