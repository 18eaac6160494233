/*
 * cmd_stats.c -- orblctl stats: what the list holds and what the prober
 * did: listings (listed, excluded, by source, by age), the serial,
 * submissions and delisting requests by state, runs of the last day by
 * verdict.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_json.h"
#include "db.h"
#include "xmalloc.h"

#define STATS_KEYS	32

struct stats {
	struct cj_kv	 v[STATS_KEYS * 4];
	int		 n;
};

static int
stats_cb(const char *group, const char *key, int64_t n, void *arg)
{
	struct stats	*st = arg;

	if (st->n == (int)(sizeof(st->v) / sizeof(st->v[0])))
		return 0;
	orbl_strlcpy(st->v[st->n].group, group, sizeof(st->v[0].group));
	orbl_strlcpy(st->v[st->n].key, key ? key : "", sizeof(st->v[0].key));
	st->v[st->n++].n = n;
	return 0;
}

static int64_t
get(const struct stats *st, const char *group, const char *key)
{
	int	 i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->v[i].group, group) == 0 &&
		    strcmp(st->v[i].key, key) == 0)
			return st->v[i].n;
	return 0;
}

static void
text_group(const struct stats *st, const char *group,
    const char *const *fixed)
{
	int	 i, j, known;

	for (i = 0; fixed && fixed[i]; i++)
		printf(" %s %lld", fixed[i], (long long)get(st, group,
		    fixed[i]));
	for (i = 0; i < st->n; i++) {
		if (strcmp(st->v[i].group, group) != 0)
			continue;
		for (known = 0, j = 0; fixed && fixed[j]; j++)
			known |= strcmp(fixed[j], st->v[i].key) == 0;
		if (!known)
			printf(" %s %lld", st->v[i].key,
			    (long long)st->v[i].n);
	}
	printf("\n");
}

int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	static const char *const sources[] = { "probe", "manual", "import",
	    NULL };
	static const char *const ages[] = { "1d", "7d", "30d", "older", NULL };
	static const char *const reqs[] = { "pending", "retesting",
	    "delisted", "refused", NULL };
	int		 json = 0;
	struct ctl_opt	 opts[] = {
		{ "json", 0, NULL, &json },
		{ NULL, 0, NULL, NULL }
	};
	struct stats	 st;
	struct db	*db;
	char		*pos[1];
	int64_t		 listed, excluded, sub[4];
	uint32_t	 serial;
	int		 npos;

	if (ctl_getopt("stats", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	if ((db = ctl_db_open(ctl, DB_RDONLY)) == NULL)
		return CTL_FAIL;
	memset(&st, 0, sizeof(st));
	if (db_listing_count(db, &listed, &excluded) == -1 ||
	    db_serial(db, &serial) == -1 ||
	    db_submission_counts(db, sub) == -1 ||
	    db_stats(db, ctl->now, ctl->now - 86400, stats_cb, &st) == -1) {
		ctl_err("%s", db_errmsg(db));
		db_close(db);
		return CTL_FAIL;
	}
	db_close(db);
	if (json) {
		struct cj_stats	 cs;

		memset(&cs, 0, sizeof(cs));
		cs.listed = listed;
		cs.excluded = excluded;
		cs.serial = serial;
		memcpy(cs.sub, sub, sizeof(cs.sub));
		cs.kv = st.v;
		cs.nkv = st.n;
		cs.sources = sources;
		cs.ages = ages;
		cs.requests = reqs;
		return ctl_json_print("stats", cj_stats(&cs));
	}
	printf("listings:    %lld listed, %lld excluded\n", (long long)listed,
	    (long long)excluded);
	printf("  by source:");
	text_group(&st, "source", sources);
	printf("  by age:   ");
	text_group(&st, "age", ages);
	printf("serial:      %u\n", serial);
	printf("submissions: %lld queued, %lld probing, %lld done, %lld "
	    "failed\n", (long long)sub[0], (long long)sub[1],
	    (long long)sub[2], (long long)sub[3]);
	printf("requests:   ");
	text_group(&st, "requests", reqs);
	printf("runs in the last day by verdict:");
	text_group(&st, "probes", NULL);
	return CTL_OK;
}
