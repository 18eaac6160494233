/*
 * cmd_import.c -- orblctl import: rbldnsd ip4set/ip6trie data or a plain
 * list.  One transaction: the file is read and each entry staged in the
 * database as it comes (import_parse.c, db_import_stage: constant memory
 * whatever the size of the file), then the entries are written in
 * address order (db_import_apply; with --replace, entries an earlier
 * import made that the file no longer has are removed in it too), then
 * committed.  A bad line rolls it all back: nothing changes.  On a
 * terminal, stderr shows how far each step is (progress.h).
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

/* The parser's callbacks get all of it. */
struct imp_run {
	struct imp	 im;
	struct progress	 pg;
	struct db	*db;
	int		 dbfail;	/* the staging failed: db_errmsg */
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

static void
imp_write_tick(void *arg, uint64_t done, uint64_t total)
{
	struct imp_run	*run = arg;

	(void)total;
	progress_poll(&run->pg, done, done);
}

/* Each entry as it is read: into the transaction's staging table. */
static int
imp_entry(void *arg, const struct imp_entry *e)
{
	struct imp_run	*run = arg;

	if (db_import_stage(run->db, &e->net, e->exclude, e->code,
	    e->reason) == -1) {
		run->dbfail = 1;
		return -1;
	}
	return 0;
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
	struct db_import_counts	 c;
	struct db		*db;
	struct stat		 sb;
	FILE			*f;
	char			*pos[1], *label, *why = NULL, *whyr = NULL;
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
	memset(&run, 0, sizeof(run));
	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	if (strcmp(pos[0], "-") == 0) {
		f = stdin;
		imp_init(im, "stdin");
	} else if ((f = fopen(pos[0], "r")) == NULL) {
		db_close(db);
		return ctl_err("%s: %s", pos[0], strerror(errno));
	} else
		imp_init(im, pos[0]);
	run.db = db;
	/* Not over lines being typed at the same terminal. */
	progress_init(pg, progress_wanted(noprog) &&
	    !(f == stdin && isatty(STDIN_FILENO)));
	im->warn = imp_warn;
	im->warnarg = &run;
	im->tick = imp_tick;
	im->tickarg = &run;
	im->entry = imp_entry;
	im->entryarg = &run;
	/* How far along: the bytes read of a regular file's size. */
	xasprintf(&label, "reading %s", im->name);
	progress_phase(pg, label, "lines", 0, fstat(fileno(f), &sb) == 0 &&
	    S_ISREG(sb.st_mode) && sb.st_size > 0 ? (uint64_t)sb.st_size : 0,
	    0);
	free(label);
	xasprintf(&why, "import %s", im->name);
	if (replace)
		xasprintf(&whyr, "import --replace %s: not in the file",
		    im->name);
	if (db_begin(db) == -1 || db_import_begin(db) == -1) {
		rc = -1;
		run.dbfail = 1;
	} else
		rc = imp_parse(im, f, rbldnsd);
	if (f != stdin)
		fclose(f);
	progress_clear(pg);
	if (rc == -1 && !run.dbfail) {
		ctl_err("%s:%lu: %s", im->name, im->lineno, im->err);
		goto fail;
	}
	if (rc == 0) {
		xasprintf(&label, "writing %s", im->name);
		progress_phase(pg, label, "entries", im->n, 0, 0);
		free(label);
	}
	if (rc == -1 ||
	    (im->soa && db_meta_set(db, "soa", im->soa) == -1) ||
	    (im->ns && db_meta_set(db, "ns", im->ns) == -1) ||
	    (im->ttl && db_meta_set(db, "ttl", im->ttl) == -1) ||
	    db_import_apply(db, ctl->actor, why, whyr, &c, imp_write_tick,
	    &run) == -1 ||
	    db_commit(db) == -1) {
		progress_clear(pg);
		ctl_err("%s: nothing imported: %s", im->name, db_errmsg(db));
		goto fail;
	}
	db_import_end(db);
	db_close(db);
	progress_clear(pg);
	printf("imported %s: %lu lines, %zu entries: %llu added, %llu updated, "
	    "%llu unchanged, %llu removed", im->name, im->lineno, im->n,
	    (unsigned long long)c.added, (unsigned long long)c.updated,
	    (unsigned long long)c.unchanged, (unsigned long long)c.removed);
	if (im->nwarn)
		printf(", %lu special lines ignored", im->nwarn);
	putchar('\n');
	imp_free(im);
	free(why);
	free(whyr);
	return CTL_OK;
 fail:
	db_rollback(db);
	db_import_end(db);
	db_close(db);
	imp_free(im);
	free(why);
	free(whyr);
	return CTL_FAIL;
}
