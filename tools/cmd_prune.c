/*
 * cmd_prune.c -- orblctl prune: what orbl-prober does on its own for
 * mirrors, by hand.  First the expiry sweep (every listing expired now is
 * removed with a journal row, so the serial moves and secondaries and
 * rbldnsd mirrors follow), then the journal's compaction: rows older than
 * --keep (else journal_keep; 0 there keeps everything, --keep 0 only
 * this second's rows) go, except what IXFR still needs; the horizon is
 * the oldest serial IXFR can start from.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "db.h"

int
cmd_prune(struct ctl *ctl, int argc, char **argv)
{
	const char	*keep_s = NULL;
	struct ctl_opt	 opts[] = {
		{ "keep", 1, &keep_s, NULL },
		{ NULL, 0, NULL, NULL }
	};
	struct db	*db;
	char		*pos[1];
	long long	 keep;
	uint64_t	 n, expired = 0, deleted;
	uint32_t	 horizon, serial;
	int		 npos, rc = CTL_FAIL;

	if (ctl_getopt("prune", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	keep = ctl->conf.journal_keep;
	if (keep_s != NULL && addr_duration_parse(keep_s, &keep) == -1)
		return ctl_usage_err("prune", "prune: bad duration '%s' for "
		    "--keep (use e.g. 3600, 12h, 30d, 1w)", keep_s);
	if ((db = ctl_db_open(ctl, 0)) == NULL)
		return CTL_FAIL;
	/* The sweep goes a batch a transaction: to the end. */
	do {
		if (db_listing_expire(db, ctl->now, ctl->actor, &n) == -1) {
			ctl_err("expiry sweep: %s", db_errmsg(db));
			goto out;
		}
		expired += n;
	} while (n > 0);
	printf("expired: %" PRIu64 " listing%s removed\n", expired,
	    expired == 1 ? "" : "s");
	/* journal_keep 0 keeps everything; --keep 0 keeps nothing older
	 * than now. */
	if (keep_s == NULL && keep <= 0) {
		if (db_journal_horizon(db, &horizon) == -1) {
			ctl_err("%s", db_errmsg(db));
			goto out;
		}
		printf("journal: nothing to prune (journal_keep is 0: keep "
		    "everything; or give --keep); horizon serial %" PRIu32
		    "\n", horizon);
	} else {
		if (db_journal_prune(db, ctl->now - keep, &deleted,
		    &horizon) == -1) {
			ctl_err("journal: %s", db_errmsg(db));
			goto out;
		}
		printf("journal: %" PRIu64 " row%s older than %llds deleted; "
		    "horizon serial %" PRIu32 "\n", deleted, deleted == 1 ?
		    "" : "s", keep, horizon);
	}
	if (db_serial(db, &serial) == -1) {
		ctl_err("%s", db_errmsg(db));
		goto out;
	}
	printf("serial: %" PRIu32 "\n", serial);
	rc = CTL_OK;
 out:
	db_close(db);
	return rc;
}
