/*
 * cmd_export.c -- orblctl export: rbldnsd data (re-importable: entries,
 * codes, reasons, exclusions and the $SOA/$NS/$TTL an import kept), a
 * plain list of the listed entries, or a zone file (cmd_zone.c).  With
 * stderr on a terminal (and the output elsewhere), a progress line there
 * (progress.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "db.h"
#include "fmt.h"
#include "progress.h"

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

int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	const char		*fmt = NULL, *zone = NULL, *out = NULL;
	int			 noprog = 0;
	struct ctl_opt		 opts[] = {
		{ "format", 1, &fmt, NULL },
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
