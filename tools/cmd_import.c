/*
 * cmd_import.c -- orblctl import: rbldnsd ip4set/ip6trie data or a plain
 * list.  The whole file is parsed first (import_parse.c), so a bad line
 * changes nothing; then it is written in one transaction (with --replace,
 * entries an earlier import made that the file no longer has are removed
 * in it too).  On a terminal, stderr shows how far each step is
 * (progress.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "db.h"
#include "import_parse.h"
#include "progress.h"
#include "xmalloc.h"

#define IMP_WARN_SHOWN	5
#define IMP_WRITE_EVERY	256	/* entries written between clock reads */

/* The parser's callbacks get both. */
struct imp_run {
	struct imp	 im;
	struct progress	 pg;
};

/* The first few lines the parser skipped, on stderr (not inside the
 * progress line). */
static void
imp_warn(void *arg, unsigned long lineno, const char *msg)
{
	struct imp_run	*run = arg;

	if (run->im.nwarn <= IMP_WARN_SHOWN) {
		progress_clear(&run->pg);
		fprintf(stderr, "orblctl: warning: %s:%lu: %s\n",
		    run->im.name, lineno, msg);
	}
}

static void
imp_tick(void *arg, unsigned long lineno, uint64_t bytes)
{
	struct imp_run	*run = arg;

	progress_poll(&run->pg, lineno, bytes);
}

/* By address, then file order (the last of duplicates wins): writing in
 * index order keeps SQLite's B-tree inserts local, several times faster
 * than file order on a large list. */
static int
ient_cmp(const void *x, const void *y)
{
	const struct imp_entry	*a = x, *b = y;
	int			 c;

	if ((c = addr_cmp(&a->net, &b->net)) != 0)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* What the database held before the import. */
struct xent {
	struct addr	 net;
	uint8_t		 import, seen;
};

struct xvec {
	struct xent	*v;
	size_t		 n, cap;
};

static int
xvec_add_cb(const struct listing *l, void *arg)
{
	struct xvec	*xv = arg;

	if (xv->n == xv->cap) {
		xv->cap = xv->cap ? xv->cap * 2 : 1024;
		xv->v = xreallocarray(xv->v, xv->cap, sizeof(*xv->v));
	}
	xv->v[xv->n].net = l->net;
	xv->v[xv->n].import = l->source && strcmp(l->source, "import") == 0;
	xv->v[xv->n].seen = 0;
	xv->n++;
	return 0;
}

static int
xent_cmp(const void *x, const void *y)
{
	return addr_cmp(&((const struct xent *)x)->net,
	    &((const struct xent *)y)->net);
}

static int
addr_cmp_v(const void *x, const void *y)
{
	return addr_cmp(x, y);
}

struct imp_counts {
	size_t	 added, updated, unchanged, removed;
};

static int
imp_write(struct ctl *ctl, struct db *db, struct imp *im, int replace,
    struct progress *pg, struct imp_counts *c)
{
	struct xvec	 xv = { NULL, 0, 0 };
	struct xent	 key, *x;
	struct addr	*fresh = NULL;
	struct listing	 l;
	char		*why, *label = NULL;
	size_t		 i, nfresh = 0, uniq;
	int		 changed, rc = -1;

	xasprintf(&why, "import %s", im->name);
	/* Only --replace needs to know every entry already there; a small
	 * import into a big list must not read the whole list. */
	if (replace &&
	    db_listing_foreach(db, DB_ALL, ctl->now, xvec_add_cb, &xv) != 0)
		goto out;
	if (xv.n > 0)
		qsort(xv.v, xv.n, sizeof(*xv.v), xent_cmp);
	if (im->n > 0)
		qsort(im->v, im->n, sizeof(*im->v), ient_cmp);
	fresh = xreallocarray(NULL, im->n ? im->n : 1, sizeof(*fresh));
	memset(&l, 0, sizeof(l));
	l.source = "import";
	l.actor = ctl->actor;
	l.created = l.updated = ctl->now;
	xasprintf(&label, "writing %s", im->name);
	progress_phase(pg, label, "entries", im->n, 0, IMP_WRITE_EVERY);
	for (i = 0; i < im->n; i++) {
		progress_step(pg, i, i);
		l.net = im->v[i].net;
		l.exclude = im->v[i].exclude;
		l.code = im->v[i].code;
		l.reason = im->v[i].reason;
		if (db_listing_put(db, &l, why, &changed) == -1)
			goto out;
		key.net = l.net;
		if (xv.n > 0 && (x = bsearch(&key, xv.v, xv.n,
		    sizeof(*xv.v), xent_cmp)) != NULL)
			x->seen = 1;
		if (changed == 1)
			fresh[nfresh++] = l.net;
		else if (changed == 2)
			c->updated++;
		else
			c->unchanged++;
	}
	/* An entry new to the db but twice in the file is added once. */
	if (nfresh > 0)
		qsort(fresh, nfresh, sizeof(*fresh), addr_cmp_v);
	for (i = uniq = 0; i < nfresh; i++)
		if (i == 0 || addr_cmp(&fresh[i - 1], &fresh[i]) != 0)
			uniq++;
	c->added = uniq;
	c->updated += nfresh - uniq;
	if ((im->soa && db_meta_set(db, "soa", im->soa) == -1) ||
	    (im->ns && db_meta_set(db, "ns", im->ns) == -1) ||
	    (im->ttl && db_meta_set(db, "ttl", im->ttl) == -1))
		goto out;
	if (replace) {
		free(why);
		xasprintf(&why, "import --replace %s: not in the file",
		    im->name);
		progress_phase(pg, "removing stale entries",
		    "entries", xv.n, 0, IMP_WRITE_EVERY);
		for (i = 0; i < xv.n; i++) {
			progress_step(pg, i, i);
			if (!xv.v[i].import || xv.v[i].seen)
				continue;
			if (db_listing_remove(db, &xv.v[i].net, ctl->actor,
			    why) != 0)
				goto out;
			c->removed++;
		}
	}
	rc = 0;
 out:
	free(why);
	free(label);
	free(fresh);
	free(xv.v);
	return rc;
}

int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	const char		*fmt = NULL;
	int			 replace = 0, noprog = 0;
	struct ctl_opt		 opts[] = {
		{ "format", 1, &fmt, NULL },
		{ "replace", 0, NULL, &replace },
		{ "no-progress", 0, NULL, &noprog },
		{ NULL, 0, NULL, NULL }
	};
	struct imp_run		 run;
	struct imp		*im = &run.im;
	struct progress		*pg = &run.pg;
	struct imp_counts	 c;
	struct db		*db;
	struct stat		 sb;
	FILE			*f;
	char			*pos[1], *label;
	int			 npos, rbldnsd, rc;

	if (ctl_getopt("import", argc, argv, opts, pos, 1, &npos))
		return CTL_USAGE;
	if (npos != 1)
		return ctl_usage_err("import", "import: missing FILE (- for "
		    "standard input)");
	if (fmt == NULL)
		return ctl_usage_err("import", "import: --format rbldnsd|plain "
		    "is required");
	if (strcmp(fmt, "rbldnsd") == 0)
		rbldnsd = 1;
	else if (strcmp(fmt, "plain") == 0)
		rbldnsd = 0;
	else
		return ctl_usage_err("import", "import: unknown format '%s' "
		    "(rbldnsd or plain)", fmt);
	memset(&c, 0, sizeof(c));
	if (strcmp(pos[0], "-") == 0) {
		f = stdin;
		imp_init(im, "stdin");
	} else if ((f = fopen(pos[0], "r")) == NULL)
		return ctl_err("%s: %s", pos[0], strerror(errno));
	else
		imp_init(im, pos[0]);
	/* Not over lines being typed at the same terminal. */
	progress_init(pg, progress_wanted(noprog) &&
	    !(f == stdin && isatty(STDIN_FILENO)));
	im->warn = imp_warn;
	im->warnarg = &run;
	im->tick = imp_tick;
	im->tickarg = &run;
	/* How far along: the bytes read of a regular file's size. */
	xasprintf(&label, "reading %s", im->name);
	progress_phase(pg, label, "lines", 0, fstat(fileno(f), &sb) == 0 &&
	    S_ISREG(sb.st_mode) && sb.st_size > 0 ? (uint64_t)sb.st_size : 0,
	    0);
	free(label);
	rc = imp_parse(im, f, rbldnsd);
	if (f != stdin)
		fclose(f);
	if (rc == -1) {
		progress_clear(pg);
		ctl_err("%s:%lu: %s", im->name, im->lineno, im->err);
		imp_free(im);
		return CTL_FAIL;
	}
	progress_clear(pg);
	if ((db = ctl_db_open(ctl, 0)) == NULL) {
		imp_free(im);
		return CTL_FAIL;
	}
	if (db_begin(db) == -1 ||
	    imp_write(ctl, db, im, replace, pg, &c) == -1 ||
	    db_commit(db) == -1) {
		progress_clear(pg);
		ctl_err("%s: nothing imported: %s", im->name, db_errmsg(db));
		db_rollback(db);
		db_close(db);
		imp_free(im);
		return CTL_FAIL;
	}
	db_close(db);
	progress_clear(pg);
	printf("imported %s: %lu lines, %zu entries: %zu added, %zu updated, "
	    "%zu unchanged, %zu removed", im->name, im->lineno, im->n,
	    c.added, c.updated, c.unchanged, c.removed);
	if (im->nwarn)
		printf(", %lu special lines ignored", im->nwarn);
	putchar('\n');
	imp_free(im);
	return CTL_OK;
}
