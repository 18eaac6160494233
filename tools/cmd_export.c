/*
 * cmd_export.c -- orblctl export: rbldnsd data (re-importable: entries,
 * codes, reasons, exclusions and the $SOA/$NS/$TTL an import kept), a
 * plain list of the listed entries, or a zone file (cmd_zone.c).  With
 * stderr on a terminal (and the output elsewhere), a progress line there
 * (progress.h).
 *
 * --follow FILE keeps an rbldnsd mirror's data file current: the list as
 * rbldnsd must be told it to answer as orbl-dnsd does (see
 * serve_write), replaced atomically (a temporary beside it, fsync,
 * rename, fsync of the directory) whenever the serial moves, polled every
 * FOLLOW_POLL_MS, until SIGTERM or SIGINT.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"
#include "db.h"
#include "fmt.h"
#include "progress.h"
#include "xmalloc.h"

#define FOLLOW_POLL_MS	200	/* how often the serial is looked at */
#define FOLLOW_BUSY_MS	1000	/* a read waits this long for a lock */

enum exp_fmt { EF_RBLDNSD, EF_PLAIN, EF_ZONE };

struct exp_state {
	FILE		*f;
	enum exp_fmt	 fmt;
	size_t		 n, skipped;
	struct progress	 pg;
};

static int
export_cb(const struct listing *l, void *arg)
{
	struct exp_state	*es = arg;
	char			 cidr[ADDR_STRLEN], code[32];

	addr_format(&l->net, cidr, sizeof(cidr));
	if (es->fmt == EF_PLAIN) {
		if (l->exclude)
			es->skipped++;
		else
			fprintf(es->f, "%s\n", cidr);
	} else if (l->exclude) {
		fprintf(es->f, "!%s", cidr);
		if (l->reason)
			fprintf(es->f, " :%s:%s", fmt_code(DB_CODE_DEFAULT,
			    code, sizeof(code)), l->reason);
		fputc('\n', es->f);
	} else if (l->code == DB_CODE_DEFAULT && l->reason == NULL)
		fprintf(es->f, "%s\n", cidr);
	else
		fprintf(es->f, "%s :%s:%s\n", cidr, fmt_code(l->code, code,
		    sizeof(code)), l->reason ? l->reason : "");
	es->n++;
	progress_step(&es->pg, es->n, es->n);
	return ferror(es->f) ? -1 : 0;
}

/*
 * The zone's apex as orbl-dnsd serves it (dnsd/zone_conf.c, zone_setup):
 * the configuration where it sets a key, else the $SOA/$NS/$TTL lines an
 * rbldnsd import left in meta, else the defaults (ns.<zone>,
 * hostmaster.<zone>).  Names are absolute, with the final dot.
 */
#define APEX_NAME	300

struct apex {
	long long	 ttl, soa_ttl, ns_ttl;
	long long	 refresh, retry, expire, minimum;
	char		 mname[APEX_NAME], rname[APEX_NAME];
	char		 ns[CONF_MAX_LIST][APEX_NAME];
	int		 nns;
};

/* The meta lines, parsed as orbl-dnsd parses them (else ignored). */
struct apex_meta {
	int		 soa, nns;
	long long	 soa_ttl, ns_ttl, ttl;	/* ttl -1: no $TTL */
	long long	 refresh, retry, expire, minimum;
	char		 mname[APEX_NAME], rname[APEX_NAME];
	char		 ns[CONF_MAX_LIST][APEX_NAME];
};

/* Split s (modified) into at most max words; -1 if more; a '#' or ';'
 * word ends the line. */
static int
apex_words(char *s, char **w, int max)
{
	char	*save = NULL, *t;
	int	 n = 0;

	for (t = strtok_r(s, " \t\r\n", &save); t != NULL;
	    t = strtok_r(NULL, " \t\r\n", &save)) {
		if (*t == '#' || *t == ';')
			break;
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

/* name with the final dot; "user@example.org" as the mailbox name
 * "user.example.org." (dots of the local part escaped). */
static void
apex_name(char *buf, size_t len, const char *name)
{
	const char	*at = strchr(name, '@');
	size_t		 o = 0;

	if (at != NULL) {
		for (; name < at && o + 3 < len; name++) {
			if (*name == '.')
				buf[o++] = '\\';
			buf[o++] = *name;
		}
		if (o + 1 < len)
			buf[o++] = '.';
		name = at + 1;
	}
	snprintf(buf + o, len - o, "%s%s", name, *name != '\0' &&
	    name[strlen(name) - 1] == '.' ? "" : ".");
}

static int
apex_duration(const char *s, long long *v)
{
	return addr_duration_parse(s, v) == -1 || *v > INT32_MAX ? -1 : 0;
}

static void
apex_meta_soa(char *line, struct apex_meta *m)
{
	char		*w[12];
	int		 n, i;

	n = apex_words(line, w, 12);
	i = n > 0 && strcasecmp(w[0], "$SOA") == 0;
	/* ttl origin person serial refresh retry expire minttl; the
	 * serial is always ours */
	if (n - i != 8 || apex_duration(w[i], &m->soa_ttl) == -1 ||
	    apex_duration(w[i + 4], &m->refresh) == -1 ||
	    apex_duration(w[i + 5], &m->retry) == -1 ||
	    apex_duration(w[i + 6], &m->expire) == -1 ||
	    apex_duration(w[i + 7], &m->minimum) == -1)
		return;
	apex_name(m->mname, sizeof(m->mname), w[i + 1]);
	apex_name(m->rname, sizeof(m->rname), w[i + 2]);
	m->soa = 1;
}

static void
apex_meta_ns(char *line, struct apex_meta *m)
{
	char		*w[CONF_MAX_LIST + 2];
	int		 n, i, k;

	n = apex_words(line, w, CONF_MAX_LIST + 2);
	i = n > 0 && strcasecmp(w[0], "$NS") == 0;
	if (i < n && apex_duration(w[i], &m->ns_ttl) == 0)
		i++;
	if (n - i < 1 || n - i > CONF_MAX_LIST)
		return;
	for (k = 0; i < n; i++, k++)
		apex_name(m->ns[k], sizeof(m->ns[k]), w[i]);
	m->nns = k;
}

/* The meta lines of db (in the caller's read snapshot): 0 or -1. */
static int
apex_meta_read(struct db *db, struct apex_meta *m)
{
	char	 buf[1024];
	int	 r;

	memset(m, 0, sizeof(*m));
	m->ttl = -1;
	if ((r = db_meta_get(db, "soa", buf, sizeof(buf))) == -1)
		return -1;
	if (r == 0)
		apex_meta_soa(buf, m);
	if ((r = db_meta_get(db, "ns", buf, sizeof(buf))) == -1)
		return -1;
	if (r == 0)
		apex_meta_ns(buf, m);
	if ((r = db_meta_get(db, "ttl", buf, sizeof(buf))) == -1)
		return -1;
	if (r == 0 && apex_duration(buf, &m->ttl) == -1)
		m->ttl = -1;
	return 0;
}

static void
apex_compute(const struct conf *c, const char *zone,
    const struct apex_meta *m, struct apex *ap)
{
	char	 word[APEX_NAME];
	int	 i, setttl = conf_isset(c, "ttl"), nosoa;

	memset(ap, 0, sizeof(*ap));
	ap->ttl = !setttl && m->ttl >= 0 ? m->ttl : c->ttl;
	ap->soa_ttl = !setttl && m->soa && m->soa_ttl > 0 ? m->soa_ttl :
	    ap->ttl;
	ap->ns_ttl = !setttl && m->nns && m->ns_ttl > 0 ? m->ns_ttl : ap->ttl;
	nosoa = !m->soa;
	ap->refresh = conf_isset(c, "soa_refresh") || nosoa ?
	    c->soa_refresh : m->refresh;
	ap->retry = conf_isset(c, "soa_retry") || nosoa ? c->soa_retry :
	    m->retry;
	ap->expire = conf_isset(c, "soa_expire") || nosoa ? c->soa_expire :
	    m->expire;
	ap->minimum = conf_isset(c, "neg_ttl") || nosoa ? c->neg_ttl :
	    m->minimum;
	if (conf_isset(c, "ns") || m->nns == 0) {
		/* an `ns` value is "NAME [ADDR...]" */
		for (i = 0; i < c->nns; i++) {
			snprintf(word, sizeof(word), "%.*s",
			    (int)strcspn(c->ns[i], " \t"), c->ns[i]);
			apex_name(ap->ns[i], sizeof(ap->ns[i]), word);
		}
		ap->nns = c->nns;
	} else {
		memcpy(ap->ns, m->ns, sizeof(ap->ns[0]) * (size_t)m->nns);
		ap->nns = m->nns;
	}
	if (ap->nns == 0) {
		snprintf(ap->ns[0], sizeof(ap->ns[0]), "ns.%s.", zone);
		ap->nns = 1;
	}
	if (conf_isset(c, "soa_mname") || nosoa) {
		if (*c->soa_mname == '\0')
			memcpy(ap->mname, ap->ns[0], sizeof(ap->mname));
		else
			apex_name(ap->mname, sizeof(ap->mname), c->soa_mname);
	} else
		memcpy(ap->mname, m->mname, sizeof(ap->mname));
	if (conf_isset(c, "soa_rname") || nosoa) {
		if (*c->soa_rname == '\0')
			snprintf(ap->rname, sizeof(ap->rname),
			    "hostmaster.%s.", zone);
		else
			apex_name(ap->rname, sizeof(ap->rname), c->soa_rname);
	} else
		memcpy(ap->rname, m->rname, sizeof(ap->rname));
}

/*
 * The rbldnsd data file of a mirror, one `combined` dataset (rbldnsd
 * -b ADDR/PORT ZONE:combined:FILE): rbldnsd types hold one family each,
 * so the IPv4 entries are an ip4trie and the IPv6 ones an ip6trie (both
 * answer the most specific entry, as orbl-dnsd does).  What orbl-dnsd
 * decides by itself is written out for rbldnsd:
 *  - the apex: $SOA with the journal serial, $NS, $TTL (struct apex);
 *  - the default A and TXT (default_reason) of entries without them;
 *  - the RFC 5782 test points: 127.0.0.2 always listed (a 127.0.0.2/32
 *    entry keeps its code, and its reason if it has one), 127.0.0.1
 *    never, and ::ffff:127.0.0.2 as 127.0.0.2;
 *  - an IPv6 entry inside ::ffff:0:0/96 is the IPv4 entry it maps.
 * Left as rbldnsd has it: other IPv4-mapped IPv6 names are not listed
 * (orbl-dnsd answers them from the IPv4 data), and in a reason "$$",
 * "$=" and "$" before a digit are rbldnsd's own substitutions.
 */
struct serve {
	FILE		*f, *f6;	/* the file; the IPv6 lines until the
					   IPv4 ones are written */
	size_t		 n;
	int		 tp_seen;	/* 127.0.0.2/32 listed in the data */
	uint32_t	 tp_code;
	char		*tp_reason;
	volatile sig_atomic_t *stop;	/* set: give up the write */
};

static void
serve_line(FILE *f, const struct addr *net, int exclude, uint32_t code,
    const char *reason)
{
	char	 cidr[ADDR_STRLEN], cbuf[32];

	addr_format(net, cidr, sizeof(cidr));
	if (exclude)
		fprintf(f, "!%s\n", cidr);
	else if (reason != NULL && *reason != '\0')
		fprintf(f, "%s :%s:%s\n", cidr, fmt_code(code, cbuf,
		    sizeof(cbuf)), reason);
	else if (code != DB_CODE_DEFAULT)	/* the default TXT */
		fprintf(f, "%s :%s\n", cidr, fmt_code(code, cbuf,
		    sizeof(cbuf)));
	else
		fprintf(f, "%s\n", cidr);
}

static int
serve_cb(const struct listing *l, void *arg)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	struct serve		*sv = arg;
	struct addr		 a = l->net;
	uint32_t		 v4;

	if (*sv->stop)
		return -1;
	if (a.family == 6 && a.prefix >= 96 &&
	    memcmp(a.a, mapped, sizeof(mapped)) == 0) {
		memmove(a.a, a.a + 12, 4);
		memset(a.a + 4, 0, 12);
		a.family = 4;
		a.prefix -= 96;
	}
	sv->n++;
	if (a.family == 6) {
		serve_line(sv->f6, &a, l->exclude, l->code, l->reason);
		return ferror(sv->f6) ? -1 : 0;
	}
	v4 = (uint32_t)a.a[0] << 24 | (uint32_t)a.a[1] << 16 |
	    (uint32_t)a.a[2] << 8 | a.a[3];
	if (a.prefix == 32 && v4 == RFC5782_TP_NEVER)
		return 0;		/* never listed: written once below */
	if (a.prefix == 32 && v4 == RFC5782_TP_LISTED) {
		if (!l->exclude) {	/* the last one wins, as in dnsd */
			sv->tp_seen = 1;
			sv->tp_code = l->code;
			free(sv->tp_reason);
			sv->tp_reason = l->reason && *l->reason ?
			    xstrdup(l->reason) : NULL;
		}
		return 0;		/* written once below */
	}
	serve_line(sv->f, &a, l->exclude, l->code, l->reason);
	return ferror(sv->f) ? -1 : 0;
}

/* Copy the IPv6 lines kept aside into the file. */
static int
serve_copy(FILE *from, FILE *to)
{
	char	 buf[8192];
	size_t	 n;

	if (fflush(from) == EOF || fseek(from, 0, SEEK_SET) == -1)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return -1;
	return ferror(from) ? -1 : 0;
}

/*
 * Write the mirror's data to f from one read snapshot of db; *serial and
 * *entries say what went out, *next_expiry when the next entry expires
 * (0: none), after which the file must be written again.  0, or
 * SERVE_DB (the reason in db_errmsg), SERVE_IO (errno) or SERVE_STOP
 * (*stop was set).
 */
#define SERVE_DB	-1
#define SERVE_IO	-2
#define SERVE_STOP	-3

static int
serve_write(struct ctl *ctl, struct db *db, FILE *f,
    volatile sig_atomic_t *stop, uint32_t *serial, size_t *entries,
    int64_t *next_expiry)
{
	struct serve		 sv;
	struct apex_meta	 m;
	struct apex		 ap;
	struct addr		 tp;
	const char		*zone;
	const char		*dflt = ctl->conf.default_reason;
	char			 cbuf[32], t[32];
	int64_t			 now = time(NULL);
	int			 i, rc;

	memset(&sv, 0, sizeof(sv));
	sv.f = f;
	sv.stop = stop;
	zone = ctl->conf.nzones > 0 ? ctl->conf.zones[0] : "bl.invalid";
	if ((sv.f6 = tmpfile()) == NULL)
		return SERVE_IO;
	if (db_read_begin(db) == -1) {
		fclose(sv.f6);
		return SERVE_DB;
	}
	if (db_serial(db, serial) == -1 || apex_meta_read(db, &m) == -1 ||
	    db_listing_next_expiry(db, now, next_expiry) == -1) {
		rc = SERVE_DB;
		goto out;
	}
	apex_compute(&ctl->conf, zone, &m, &ap);
	fprintf(f, "# orbl rbldnsd data for mirrors (orblctl export --follow),"
	    " serial %" PRIu32 ", %s\n# rbldnsd -b ADDR/PORT %s:combined:FILE"
	    "\n", *serial, fmt_time_iso(now, t, sizeof(t)), zone);
	fprintf(f, "$SOA %lld %s %s %" PRIu32 " %lld %lld %lld %lld\n",
	    ap.soa_ttl, ap.mname, ap.rname, *serial, ap.refresh, ap.retry,
	    ap.expire, ap.minimum);
	fprintf(f, "$NS %lld", ap.ns_ttl);
	for (i = 0; i < ap.nns; i++)
		fprintf(f, " %s", ap.ns[i]);
	fprintf(f, "\n$TTL %lld\n$DATASET ip4trie:orbl-ipv4 @\n:%s:%s\n",
	    ap.ttl, fmt_code(DB_CODE_DEFAULT, cbuf, sizeof(cbuf)), dflt);
	fprintf(sv.f6, "$DATASET ip6trie:orbl-ipv6 @\n:%s:%s\n"
	    "!::ffff:0:0/96\n", cbuf, dflt);
	if (db_listing_foreach(db, DB_ACTIVE | DB_ORDERED, now, serve_cb,
	    &sv) != 0) {
		rc = *stop ? SERVE_STOP : ferror(f) || ferror(sv.f6) ?
		    SERVE_IO : SERVE_DB;
		goto out;
	}
	/* The test points, in IPv4 and IPv4-mapped IPv6. */
	addr_set_v4(&tp, RFC5782_TP_LISTED, 32);
	serve_line(f, &tp, 0, sv.tp_seen ? sv.tp_code : DB_CODE_DEFAULT,
	    sv.tp_reason ? sv.tp_reason : CTL_TESTPOINT_REASON);
	addr_set_v4(&tp, RFC5782_TP_NEVER, 32);
	serve_line(f, &tp, 1, 0, NULL);
	fprintf(sv.f6, "::ffff:7f00:2 :%s:%s\n", fmt_code(sv.tp_seen ?
	    sv.tp_code : DB_CODE_DEFAULT, cbuf, sizeof(cbuf)), sv.tp_reason ?
	    sv.tp_reason : CTL_TESTPOINT_REASON);
	rc = serve_copy(sv.f6, f) == -1 || ferror(f) ? SERVE_IO : 0;
	*entries = sv.n;
 out:
	db_read_end(db);
	fclose(sv.f6);
	free(sv.tp_reason);
	return rc;
}

/*
 * The follower: the database (reopened when it goes away or is
 * replaced), the serial and the expiry the file was written for, and the
 * trouble last said (said once, and its end).
 */
struct follow {
	struct ctl	*ctl;
	const char	*path;
	char		*tmp;		/* path.tmp, beside it */
	char		*dir;		/* path's directory */
	struct db	*db;
	dev_t		 dev;		/* the database file opened */
	ino_t		 ino;
	int		 written;	/* path is ours, for serial */
	time_t		 mtime;		/* its modification time */
	uint32_t	 serial;
	int64_t		 next_expiry;
	char		 trouble[600];	/* "" when all is well */
};

static volatile sig_atomic_t	 follow_stop;

static void
follow_sig(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void
follow_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
follow_log(const char *fmt, ...)
{
	va_list	 ap;
	char	 t[32];

	fprintf(stderr, "orblctl: %s ", fmt_time_iso(time(NULL), t,
	    sizeof(t)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Something keeps the file from being written: said once while it
 * lasts (and again if it changes). */
static void
follow_trouble(struct follow *fw, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
follow_trouble(struct follow *fw, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[sizeof(fw->trouble)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, fw->trouble) == 0)
		return;
	snprintf(fw->trouble, sizeof(fw->trouble), "%s", msg);
	follow_log("%s: %s; %s %s, trying again", fw->path, msg,
	    fw->written ? "keeping" : "not yet writing", fw->path);
}

static void
follow_fine(struct follow *fw)
{
	if (fw->trouble[0] == '\0')
		return;
	follow_log("%s: %s: over", fw->path, fw->trouble);
	fw->trouble[0] = '\0';
}

static void
follow_close(struct follow *fw)
{
	db_close(fw->db);
	fw->db = NULL;
}

/* Open the database if needed, or drop it if its file went away or was
 * replaced: 0 with fw->db open, or -1 (the trouble said). */
static int
follow_db(struct follow *fw)
{
	const char	*dbpath = fw->ctl->conf.database;
	struct stat	 st;
	char		 err[1024];

	if (stat(dbpath, &st) == -1) {
		follow_close(fw);
		follow_trouble(fw, "database %s: %s", dbpath,
		    strerror(errno));
		return -1;
	}
	if (fw->db != NULL && (st.st_dev != fw->dev || st.st_ino != fw->ino))
		follow_close(fw);	/* replaced (a restore): reopen */
	if (fw->db != NULL)
		return 0;
	if ((fw->db = db_open(dbpath, DB_RDONLY, err, sizeof(err))) == NULL) {
		follow_trouble(fw, "%s", err);
		return -1;
	}
	db_set_busy_timeout(fw->db, FOLLOW_BUSY_MS);
	fw->dev = st.st_dev;
	fw->ino = st.st_ino;
	return 0;
}

/* fsync the directory, so that the rename is on disk. */
static int
follow_sync_dir(const char *dir)
{
	int	 fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write the file anew: 0, or -1 (the trouble said, the old file kept). */
static int
follow_write(struct follow *fw)
{
	FILE		*f;
	struct stat	 st;
	uint32_t	 serial = 0;
	size_t		 n = 0;
	int64_t		 next = 0, t0 = clock_mono_msec();
	int		 fd, rc;

	if ((fd = open(fw->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		follow_trouble(fw, "%s: %s", fw->tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fchmod(fd, 0644);	/* rbldnsd runs as another user */
	rc = serve_write(fw->ctl, fw->db, f, &follow_stop, &serial, &n,
	    &next);
	if (rc == 0 && (fflush(f) == EOF || ferror(f) || fstat(fd, &st) == -1))
		rc = SERVE_IO;
	if (rc == 0 && fw->written && st.st_mtime <= fw->mtime) {
		/* a second write within the second of the last one: one
		 * second later, so that rbldnsd and rsync see it */
		struct timespec	 tv[2];

		tv[0].tv_sec = tv[1].tv_sec = fw->mtime + 1;
		tv[0].tv_nsec = tv[1].tv_nsec = 0;
		if (futimens(fd, tv) == -1)
			rc = SERVE_IO;
		st.st_mtime = fw->mtime + 1;
	}
	if (rc == 0 && fsync(fd) == -1)
		rc = SERVE_IO;
	if (fclose(f) == EOF && rc == 0)
		rc = SERVE_IO;
	if (rc == 0 && rename(fw->tmp, fw->path) == -1)
		rc = SERVE_IO;
	if (rc != 0) {
		if (rc == SERVE_DB)
			follow_trouble(fw, "%s", db_errmsg(fw->db));
		else if (rc == SERVE_IO)
			follow_trouble(fw, "%s: %s", fw->tmp, strerror(errno));
		unlink(fw->tmp);
		return -1;
	}
	if (follow_sync_dir(fw->dir) == -1)
		follow_log("%s: fsync: %s", fw->dir, strerror(errno));
	fw->written = 1;
	fw->mtime = st.st_mtime;
	fw->serial = serial;
	fw->next_expiry = next;
	follow_fine(fw);
	follow_log("%s: serial %" PRIu32 ", %zu entries, written in %lld ms",
	    fw->path, serial, n, (long long)(clock_mono_msec() - t0));
	return 0;
}

/*
 * One look at the database: write the file if the serial moved, an
 * entry expired since, or it was never written.  rbldnsd (and rsync) see
 * a new file by its mtime, in whole seconds, and would miss a second
 * write within the second they loaded: a write within the second of the
 * last one gets the next second as its mtime (follow_write), at most one
 * second ahead of the clock; past that the write waits for the clock.
 * A change is written within a poll (200 ms), or within a second in a
 * burst.
 */
static void
follow_poll(struct follow *fw)
{
	uint32_t	 serial;

	if (follow_db(fw) == -1)
		return;
	if (db_serial(fw->db, &serial) == -1) {
		follow_trouble(fw, "%s", db_errmsg(fw->db));
		if (!db_busy(fw->db))
			follow_close(fw);	/* reopen next time */
		return;
	}
	if (fw->written && serial == fw->serial && (fw->next_expiry == 0 ||
	    time(NULL) < fw->next_expiry)) {
		follow_fine(fw);
		return;
	}
	if (fw->written && time(NULL) < fw->mtime)
		return;		/* the file is a second ahead: wait */
	if (follow_write(fw) == -1 && !db_busy(fw->db))
		follow_close(fw);
}

static int
export_follow(struct ctl *ctl, const char *path)
{
	struct follow		 fw;
	struct sigaction	 sa;
	struct timespec		 ts = { 0, FOLLOW_POLL_MS * 1000000L };
	char			*slash;

	memset(&fw, 0, sizeof(fw));
	fw.ctl = ctl;
	fw.path = path;
	xasprintf(&fw.tmp, "%s.tmp", path);
	fw.dir = xstrdup(path);
	if ((slash = strrchr(fw.dir, '/')) == NULL) {
		free(fw.dir);
		fw.dir = xstrdup(".");
	} else if (slash == fw.dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_sig;	/* no SA_RESTART: the sleep ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	follow_log("%s: following %s (every %d ms)", path,
	    ctl->conf.database, FOLLOW_POLL_MS);
	while (!follow_stop) {
		follow_poll(&fw);
		if (!follow_stop)
			nanosleep(&ts, NULL);
	}
	follow_log("%s: stopped by a signal (serial %" PRIu32 ")", path,
	    fw.serial);
	unlink(fw.tmp);
	follow_close(&fw);
	free(fw.tmp);
	free(fw.dir);
	return CTL_OK;
}

int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	const char		*fmt = NULL, *zone = NULL, *out = NULL;
	const char		*follow = NULL;
	int			 noprog = 0;
	struct ctl_opt		 opts[] = {
		{ "format", 1, &fmt, NULL },
		{ "follow", 1, &follow, NULL },
		{ "zone", 1, &zone, NULL },
		{ "o", 1, &out, NULL },
		{ "output", 1, &out, NULL },
		{ "no-progress", 0, NULL, &noprog },
		{ NULL, 0, NULL, NULL }
	};
	struct exp_state	 es;
	struct db		*db;
	char			*pos[1], *tmp, buf[1024];
	uint32_t		 serial;
	const char		*keys[] = { "soa", "ns", "ttl" };
	const char		*specials[] = { "$SOA", "$NS", "$TTL" };
	int64_t			 nlisted, nexcluded;
	uint64_t		 total;
	int			 npos, i, ok = 0;

	if (ctl_getopt("export", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	memset(&es, 0, sizeof(es));
	if (fmt == NULL)
		return ctl_usage_err("export", "export: --format "
		    "rbldnsd|plain|zone is required");
	if (strcmp(fmt, "rbldnsd") == 0)
		es.fmt = EF_RBLDNSD;
	else if (strcmp(fmt, "plain") == 0)
		es.fmt = EF_PLAIN;
	else if (strcmp(fmt, "zone") == 0)
		es.fmt = EF_ZONE;
	else
		return ctl_usage_err("export", "export: unknown format '%s' "
		    "(rbldnsd, plain or zone)", fmt);
	if (zone != NULL && es.fmt != EF_ZONE)
		return ctl_usage_err("export", "export: --zone only goes with "
		    "--format zone");
	if (follow != NULL && (es.fmt != EF_RBLDNSD || out != NULL))
		return ctl_usage_err("export", "export: --follow goes with "
		    "--format rbldnsd, without -o");
	if (follow != NULL && (*follow == '\0' || strcmp(follow, "-") == 0))
		return ctl_usage_err("export", "export: --follow needs a file "
		    "name");
	if (follow != NULL)
		return export_follow(ctl, follow);
	if (zone == NULL)
		zone = ctl->conf.nzones > 0 ? ctl->conf.zones[0] : NULL;
	if (es.fmt == EF_ZONE && (zone == NULL || *zone == '\0' ||
	    strlen(zone) > 200 || strspn(zone, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(zone)))
		return ctl_usage_err("export", "export: bad zone name '%s'",
		    zone ? zone : "");
	if ((db = ctl_db_open(ctl, DB_RDONLY)) == NULL)
		return CTL_FAIL;
	if ((es.f = ctl_out_open(out, &tmp)) == NULL) {
		db_close(db);
		return CTL_FAIL;
	}
	/* Not when the rows themselves go to that terminal. */
	progress_init(&es.pg, progress_wanted(noprog) && !(es.f == stdout &&
	    isatty(STDOUT_FILENO)));
	/* The total: every entry, also expired ones not yet removed, so
	 * the count may end a little short of 100% (0: unknown). */
	total = 0;
	if (es.pg.on && db_listing_count(db, &nlisted, &nexcluded) == 0 &&
	    nlisted >= 0 && nexcluded >= 0)
		total = (uint64_t)nlisted + (uint64_t)nexcluded;
	if (es.fmt == EF_ZONE) {
		ok = zone_export(ctl, db, zone, es.f, &es.pg, total) == 0;
		goto done;
	}
	progress_phase(&es.pg, "exporting", "entries", total, 0, 0);
	if (db_serial(db, &serial) == -1) {
		ctl_err("%s", db_errmsg(db));
		goto done;
	}
	fprintf(es.f, "# orbl export (%s), serial %u\n", es.fmt == EF_PLAIN ?
	    "plain list: listed entries only" : "rbldnsd ip4set/ip6trie data",
	    serial);
	for (i = 0; es.fmt == EF_RBLDNSD && i < 3; i++) {
		int r = db_meta_get(db, keys[i], buf, sizeof(buf));

		if (r == -1) {
			ctl_err("%s", db_errmsg(db));
			goto done;
		}
		if (r == 0)
			fprintf(es.f, "%s %s\n", specials[i], buf);
	}
	if (db_listing_foreach(db, DB_ACTIVE | DB_ORDERED, ctl->now,
	    export_cb, &es) != 0) {
		if (ferror(es.f))
			ctl_err("write error: %s", strerror(errno));
		else
			ctl_err("%s", db_errmsg(db));
		goto done;
	}
	if (es.skipped)
		fprintf(es.f, "# %zu exclusions not representable in a plain "
		    "list were left out\n", es.skipped);
	ok = 1;
 done:
	progress_clear(&es.pg);
	db_close(db);
	return ctl_out_finish(es.f, out, tmp, ok);
}
