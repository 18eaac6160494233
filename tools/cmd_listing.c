/*
 * cmd_listing.c -- orblctl verbs on single entries and the whole list:
 * init, add, remove, lookup, list, stats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pwd.h>
#include <unistd.h>

#include "cookie_key.h"
#include "ctl.h"
#include "ctl_json.h"
#include "db.h"
#include "fmt.h"
#include "policy.h"
#include "lookup.h"
#include "xmalloc.h"

/* A listing copied out of a db callback: l's strings point into own. */
struct lcopy {
	struct listing	 l;
	char		*own[3];
};

struct lvec {
	struct lcopy	*v;
	size_t		 n, cap;
};

static int
lvec_add_cb(const struct listing *l, void *arg)
{
	struct lvec	*lv = arg;
	struct lcopy	*c;

	if (lv->n == lv->cap) {
		lv->cap = lv->cap ? lv->cap * 2 : 8;
		lv->v = xreallocarray(lv->v, lv->cap, sizeof(*lv->v));
	}
	c = &lv->v[lv->n++];
	c->l = *l;
	c->l.reason = c->own[0] = xstrdup_null(l->reason);
	c->l.source = c->own[1] = xstrdup_null(l->source);
	c->l.actor = c->own[2] = xstrdup_null(l->actor);
	return 0;
}

static void
lvec_free(struct lvec *lv)
{
	size_t	 i;

	for (i = 0; i < lv->n; i++) {
		free(lv->v[i].own[0]);
		free(lv->v[i].own[1]);
		free(lv->v[i].own[2]);
	}
	free(lv->v);
	memset(lv, 0, sizeof(*lv));
}

/* mkdir -p of the directory part of path. */
static int
mkdir_parents(const char *path)
{
	char	*p, *s;
	int	 rc = 0;

	p = xstrdup(path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			rc = ctl_err("%s: %s", p, strerror(errno));
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/*
 * Run as root with `user` set, init gives the state files (the database,
 * its -wal and -shm, the generated key) to that user: they are 0600, and
 * the daemons drop to it before they open them.
 */
static int
state_owner(const struct ctl *ctl)
{
	static const char *const sfx[] = { "", "-wal", "-shm",
	    COOKIE_KEY_SUFFIX };
	struct passwd	*pw;
	char		 path[4096];
	size_t		 i;

	if (geteuid() != 0 || ctl->conf.user == NULL || *ctl->conf.user == '\0')
		return 0;
	if ((pw = getpwnam(ctl->conf.user)) == NULL) {
		ctl_err("user %s: no such user", ctl->conf.user);
		return -1;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", ctl->conf.database, sfx[i]);
		if (chown(path, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT) {
			ctl_err("chown %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
cmd_init(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_opt	 opts[] = { { NULL, 0, NULL, NULL } };
	struct db			*db;
	char				*pos[1];
	uint32_t			 serial;
	int				 npos, found;

	if (ctl_getopt("init", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	if (mkdir_parents(ctl->conf.database) != 0)
		return CTL_FAIL;
	if ((db = ctl_db_open(ctl, DB_CREATE)) == NULL)
		return CTL_FAIL;
	found = db_version_found(db);
	if (db_serial(db, &serial) == -1) {
		ctl_err("%s", db_errmsg(db));
		db_close(db);
		return CTL_FAIL;
	}
	/* The cookie key is made now, by the operator, so that the daemons
	 * (and orblctl probe) find it; a configured one is checked. */
	{
		uint8_t	 key[64];
		size_t	 keylen;
		char	 warn[512], err[512];

		if (cookie_key_load(&ctl->conf, db, key, &keylen, sizeof(key),
		    warn, sizeof(warn), err, sizeof(err)) == -1) {
			ctl_err("%s", err);
			db_close(db);
			return CTL_FAIL;
		}
		explicit_bzero(key, sizeof(key));
		if (warn[0] != '\0')
			fprintf(stderr, "orblctl: warning: %s\n", warn);
	}
	if (state_owner(ctl) == -1) {
		db_close(db);
		return CTL_FAIL;
	}
	if (found == 0)
		printf("%s: created, schema version %d\n",
		    ctl->conf.database, DB_SCHEMA_VERSION);
	else if (found < DB_SCHEMA_VERSION)
		printf("%s: upgraded from schema version %d to %d\n",
		    ctl->conf.database, found, DB_SCHEMA_VERSION);
	else
		printf("%s: already initialised, schema version %d, serial "
		    "%u\n", ctl->conf.database, DB_SCHEMA_VERSION, serial);
	db_close(db);
	return CTL_OK;
}

static int
parse_net(const char *verb, const char *s, struct addr *a)
{
	char	 err[256];

	if (addr_parse(s, a, err, sizeof(err)) == -1)
		return ctl_usage_err(verb, "%s: %s", verb, err);
	return 0;
}

static int
covering_listed_cb(const struct listing *l, void *arg)
{
	int	*n = arg;

	if (!l->exclude)
		(*n)++;
	return 0;
}

int
cmd_add(struct ctl *ctl, int argc, char **argv)
{
	const char	*code_s = NULL, *reason_s = NULL, *exp_s = NULL;
	int		 exclude = 0;
	struct ctl_opt	 opts[] = {
		{ "code", 1, &code_s, NULL },
		{ "reason", 1, &reason_s, NULL },
		{ "expires", 1, &exp_s, NULL },
		{ "exclude", 0, NULL, &exclude },
		{ NULL, 0, NULL, NULL }
	};
	struct listing	 l;
	struct lvec	 old = { NULL, 0, 0 };
	struct db	*db;
	char		*pos[1], reason[CTL_REASON_MAX + 1], err[256];
	char		 cidr[ADDR_STRLEN], buf[64];
	long long	 secs = 0;
	int		 npos, changed, rc, enclosing = 0;

	if (ctl_getopt("add", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("add", "add: missing ADDR|CIDR");
	memset(&l, 0, sizeof(l));
	if (parse_net("add", pos[0], &l.net))
		return CTL_USAGE;
	l.code = DB_CODE_DEFAULT;
	if (code_s != NULL && exclude)
		return ctl_usage_err("add", "add: --code makes no sense with "
		    "--exclude (an exclusion is never answered)");
	if (code_s != NULL && ctl_parse_code(code_s, &l.code, err,
	    sizeof(err)) == -1)
		return ctl_usage_err("add", "add: %s", err);
	if ((rc = reason_check(reason_s, reason, err, sizeof(err))) == -1)
		return ctl_usage_err("add", "add: %s", err);
	if (exp_s != NULL && (addr_duration_parse(exp_s, &secs) == -1 ||
	    secs == 0))
		return ctl_usage_err("add", "add: bad duration '%s' for "
		    "--expires (use e.g. 3600, 30m, 12h, 30d, 1w)", exp_s);
	l.exclude = exclude;
	l.reason = rc ? reason : NULL;
	l.source = "manual";
	l.actor = ctl->actor;
	l.created = l.updated = ctl->now;
	l.expires = secs ? ctl->now + secs : 0;
	addr_format(&l.net, cidr, sizeof(cidr));

	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	if (db_begin(db) == -1)
		goto fail;
	rc = db_listing_get(db, &l.net, lvec_add_cb, &old);
	if (rc == -1 || db_listing_put(db, &l, l.reason ? l.reason :
	    "manual add", &changed) == -1)
		goto fail;
	if (exclude && db_listing_covering(db, &l.net, covering_listed_cb,
	    &enclosing) == -1)
		goto fail;
	if (db_commit(db) == -1)
		goto fail;
	db_close(db);

	if (!changed)
		printf("unchanged %s\n", cidr);
	else {
		printf("%s %s%s", old.n ? "updated" : "added",
		    exclude ? "exclusion " : "", cidr);
		if (!exclude)
			printf(" code %s", fmt_code(l.code, buf,
			    sizeof(buf)));
		if (l.reason)
			printf(" reason \"%s\"", l.reason);
		printf(" expires %s", fmt_time_iso(l.expires, buf,
		    sizeof(buf)));
		if (exclude && enclosing == 0)
			printf(" (note: no listed entry encloses it yet)");
		putchar('\n');
	}
	lvec_free(&old);
	return CTL_OK;
 fail:
	ctl_err("%s: %s", cidr, db_errmsg(db));
	db_rollback(db);
	db_close(db);
	lvec_free(&old);
	return CTL_FAIL;
}

int
cmd_remove(struct ctl *ctl, int argc, char **argv)
{
	const char	*reason_s = NULL;
	struct ctl_opt	 opts[] = {
		{ "reason", 1, &reason_s, NULL },
		{ NULL, 0, NULL, NULL }
	};
	struct addr	 net;
	struct db	*db;
	char		*pos[1], why[CTL_REASON_MAX + 1], err[256];
	const char	*whytext;
	char		 cidr[ADDR_STRLEN];
	int64_t		 answered[64];
	int		 npos, rc, i, nanswered;

	if (ctl_getopt("remove", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("remove", "remove: missing ADDR|CIDR");
	if (parse_net("remove", pos[0], &net))
		return CTL_USAGE;
	if ((rc = reason_check(reason_s, why, err, sizeof(err))) == -1)
		return ctl_usage_err("remove", "remove: %s", err);
	addr_format(&net, cidr, sizeof(cidr));
	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	whytext = rc ? why : "manual remove";
	rc = policy_operator_remove(db, &net, ctl->actor, whytext, answered,
	    (int)(sizeof(answered) / sizeof(answered[0])), &nanswered);
	if (rc == DB_NOTFOUND)
		ctl_err("%s: no such entry (remove takes the exact address "
		    "or CIDR of an entry: see 'orblctl lookup' or 'list')",
		    cidr);
	else if (rc != 0)
		ctl_err("%s: %s", cidr, db_errmsg(db));
	else {
		printf("removed %s\n", cidr);
		for (i = 0; i < nanswered; i++)
			printf("request %lld answered: delisted\n",
			    (long long)answered[i]);
	}
	db_close(db);
	return rc == 0 ? CTL_OK : CTL_FAIL;
}

int
cmd_lookup(struct ctl *ctl, int argc, char **argv)
{
	int		 json = 0;
	struct ctl_opt	 opts[] = {
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	const struct lookup_entry *dec;
	struct lookup	*lk;
	struct addr	 ip;
	struct db	*db;
	char		*pos[1], cidr[ADDR_STRLEN], err[1024];
	char		 code[32], t1[32], t2[32];
	size_t		 i;
	int		 npos, listed, testpoint;

	if (ctl_getopt("lookup", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("lookup", "lookup: missing ADDR");
	if (parse_net("lookup", pos[0], &ip))
		return CTL_USAGE;
	if (!addr_is_single(&ip))
		return ctl_usage_err("lookup", "lookup: %s: give one address, "
		    "not a range", pos[0]);
	if ((db = ctl_db_open(ctl, DB_RDONLY)) == NULL)
		return CTL_FAIL;
	/* The decision is core/lookup.c's, shared with orbl-web. */
	lk = lookup_new(db, &ip, ctl->conf.default_reason, ctl->now, err,
	    sizeof(err));
	db_close(db);
	if (lk == NULL)
		return ctl_err("%s", err);
	dec = lk->decides;
	listed = lk->listed;
	testpoint = lk->testpoint;

	if (json) {
		json_t	*doc = cj_lookup(lk, ctl->now);

		if (doc != NULL && probe_evidence_json(ctl, lk->addr,
		    doc) == -1) {
			json_decref(doc);
			doc = NULL;
		}
		if (ctl_json_print("lookup", doc) != CTL_OK) {
			lookup_free(lk);
			return CTL_FAIL;
		}
	} else {
		if (testpoint)
			printf("%s is %s (%s)\n", lk->addr, listed ? "listed" :
			    "not listed", lk->why);
		else if (dec == NULL)
			printf("%s is not listed (no entry covers it)\n",
			    lk->addr);
		else
			printf("%s is %s by %s\n", lk->addr, listed ? "listed" :
			    "not listed: excluded", addr_format(&dec->l.net,
			    cidr, sizeof(cidr)));
		if (listed)
			printf("  code:    %s\n  reason:  %s\n",
			    fmt_code(lk->code, code, sizeof(code)), lk->txt);
		if (dec)
			printf("  source:  %s, created %s, expires %s\n",
			    dec->l.source, fmt_time_iso(dec->l.created, t1,
			    sizeof(t1)), fmt_time_iso(dec->l.expires, t2,
			    sizeof(t2)));
		if (lk->ncovering)
			printf("covering entries (least specific first):\n");
		for (i = 0; i < lk->ncovering; i++) {
			const struct listing *c = &lk->covering[i].l;

			printf("  %-20s %-8s %-11s %-7s expires %s%s\n",
			    addr_format(&c->net, cidr, sizeof(cidr)),
			    c->exclude ? "excluded" : "listed",
			    fmt_code(c->code, code, sizeof(code)),
			    c->source, fmt_time_iso(c->expires, t1,
			    sizeof(t1)), lk->covering[i].expired ?
			    " (expired)" : "");
		}
		if (lk->nhistory)
			printf("history:\n");
		for (i = 0; i < lk->nhistory; i++) {
			const struct lookup_hist *h = &lk->history[i];

			printf("  %s  %-6s %-20s %s%s%s\n",
			    fmt_time_iso(h->ts, t1, sizeof(t1)), h->op,
			    addr_format(&h->net, cidr, sizeof(cidr)),
			    h->actor ? h->actor : "?", h->why ? ": " : "",
			    h->why ? h->why : "");
		}
		probe_evidence(ctl, lk->addr, stdout);
	}
	lookup_free(lk);
	return listed ? CTL_OK : CTL_FAIL;
}

enum list_fmt { LF_TEXT, LF_CSV, LF_JSON };

struct list_state {
	const struct ctl *ctl;
	enum list_fmt	 fmt;
	size_t		 n;
	int		 bad;	/* JSON: jansson or the write failed */
};

static int
list_cb(const struct listing *l, void *arg)
{
	struct list_state	*ls = arg;
	char			 cidr[ADDR_STRLEN], code[32], t1[32], t2[32];
	json_t			*o;

	addr_format(&l->net, cidr, sizeof(cidr));
	fmt_code(l->code, code, sizeof(code));
	switch (ls->fmt) {
	case LF_TEXT:
		printf("%-20s %-8s %-11s %-6s %-20s %-20s %s\n", cidr,
		    l->exclude ? "excluded" : "listed", code, l->source,
		    fmt_time_iso(l->created, t1, sizeof(t1)),
		    fmt_time_iso(l->expires, t2, sizeof(t2)),
		    l->reason ? l->reason : "-");
		break;
	case LF_CSV:
		printf("%s,%d,%s,", cidr, l->exclude ? 1 : 0, code);
		ctl_csv_field(stdout, l->reason);
		printf(",%s,%s,%s\r\n", l->source, fmt_time_iso(l->created,
		    t1, sizeof(t1)), l->expires ? fmt_time_iso(l->expires,
		    t2, sizeof(t2)) : "");
		break;
	case LF_JSON:
		/* One object per line, written as it comes: a list of a
		 * million entries is never held in memory. */
		printf("%s\n ", ls->n ? "," : "");
		if ((o = cj_listing(l, ls->ctl->now)) == NULL ||
		    cj_write(stdout, o, 0) == -1) {
			json_decref(o);
			ls->bad = 1;
			return 1;	/* stop */
		}
		json_decref(o);
		break;
	}
	ls->n++;
	return 0;
}

int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	const char		*fmt_s = "text";
	struct ctl_opt		 opts[] = {
		{ "format", 1, &fmt_s, NULL },
		{ NULL, 0, NULL, NULL }
	};
	struct list_state	 ls;
	struct db		*db;
	char			*pos[1];
	int			 npos, rc;

	if (ctl_getopt("list", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	memset(&ls, 0, sizeof(ls));
	ls.ctl = ctl;
	if (strcmp(fmt_s, "text") == 0)
		ls.fmt = LF_TEXT;
	else if (strcmp(fmt_s, "csv") == 0)
		ls.fmt = LF_CSV;
	else if (strcmp(fmt_s, "json") == 0)
		ls.fmt = LF_JSON;
	else
		return ctl_usage_err("list", "list: unknown format '%s' (text, "
		    "csv or json)", fmt_s);
	if ((db = ctl_db_open(ctl, DB_RDONLY)) == NULL)
		return CTL_FAIL;
	if (ls.fmt == LF_TEXT)
		printf("%-20s %-8s %-11s %-6s %-20s %-20s %s\n", "CIDR",
		    "STATE", "CODE", "SOURCE", "CREATED", "EXPIRES", "REASON");
	else if (ls.fmt == LF_CSV)
		printf("cidr,exclude,code,reason,source,created,expires\r\n");
	else
		printf("[");
	rc = db_listing_foreach(db, DB_ALL | DB_ORDERED, ctl->now, list_cb,
	    &ls);
	if (ls.bad) {
		db_close(db);
		return ctl_err("list: cannot write the JSON list: %s",
		    ferror(stdout) ? strerror(errno) : "out of memory");
	}
	if (rc != 0) {
		ctl_err("%s", db_errmsg(db));
		db_close(db);
		return CTL_FAIL;
	}
	if (ls.fmt == LF_JSON)
		printf("%s]\n", ls.n ? "\n" : "");
	db_close(db);
	return CTL_OK;
}
