/*
 * db_listing.c -- the listings (what orbl-dnsd serves) and their journal
 * (every change, the source of the zone serial and of IXFR-style
 * history): part of the db layer, see db.h.  The statements are in db.c's
 * table, except those of the mirrors' functions at the end (the expiry
 * sweep, journal compaction, a prefix's state at a serial), which are
 * prepared per call here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "xmalloc.h"

int
db_serial(struct db *db, uint32_t *serial)
{
	sqlite3_stmt	*s;
	int64_t		 v;
	int		 rc;

	if ((s = db_stmt(db, ST_SERIAL)) == NULL)
		return -1;
	rc = db_step_int(db, s, &v, "serial");
	*serial = (uint32_t)v;
	return rc;
}

/* The key of listing.net and journal.net: see db_int.h. */
int
db_net_key(const struct addr *a, uint8_t *k)
{
	int	 n = a->family == 4 ? 4 : 16;

	k[0] = a->family;
	memcpy(k + 1, a->a, (size_t)n);
	k[n + 1] = a->prefix;
	return n + 2;
}

int
db_net_unkey(const void *blob, int n, struct addr *a)
{
	const uint8_t	*k = blob;

	memset(a, 0, sizeof(*a));
	if (k == NULL || (n != 6 && n != 18) || k[0] != (n == 6 ? 4 : 6) ||
	    k[n - 1] > (n == 6 ? 32 : 128))
		return -1;
	a->family = k[0];
	memcpy(a->a, k + 1, (size_t)n - 2);
	a->prefix = k[n - 1];
	return 0;
}

static void
col_addr(sqlite3_stmt *s, int col, struct addr *a)
{
	db_net_unkey(sqlite3_column_blob(s, col), sqlite3_column_bytes(s, col),
	    a);
}

uint32_t
db_col_code(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return DB_CODE_DEFAULT;
	return (uint32_t)sqlite3_column_int64(s, col);
}

void
db_bind_code(sqlite3_stmt *s, int i, uint32_t code)
{
	if (code == DB_CODE_DEFAULT)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, code);
}

/* Read a row of LISTING_COLS. */
static void
row_listing(sqlite3_stmt *s, struct listing *l)
{
	l->id = 0;
	col_addr(s, 0, &l->net);
	l->exclude = sqlite3_column_int(s, 1);
	l->code = db_col_code(s, 2);
	l->reason = db_col_text(s, 3);
	l->source = db_col_text(s, 4);
	l->probe_id = sqlite3_column_int64(s, 5);
	l->actor = db_col_text(s, 6);
	l->created = sqlite3_column_int64(s, 7);
	l->updated = sqlite3_column_int64(s, 8);
	l->expires = sqlite3_column_int64(s, 9);
}

static void
row_journal(sqlite3_stmt *s, struct journal_entry *j)
{
	j->serial = (uint32_t)sqlite3_column_int64(s, 0);
	j->ts = sqlite3_column_int64(s, 1);
	j->op = db_col_text(s, 2);
	col_addr(s, 3, &j->net);
	j->exclude = sqlite3_column_int(s, 4);
	j->code = db_col_code(s, 5);
	j->reason = db_col_text(s, 6);
	j->source = db_col_text(s, 7);
	j->actor = db_col_text(s, 8);
	j->why = db_col_text(s, 9);
	j->expires = sqlite3_column_int64(s, 10);
}

/* Bind a's key; k holds it until the statement is reset. */
static void
bind_net(sqlite3_stmt *s, int i, const struct addr *a, uint8_t *k)
{
	sqlite3_bind_blob(s, i, k, db_net_key(a, k), SQLITE_STATIC);
}

void
db_str_forget(struct db *db)
{
	int	 i;

	for (i = 0; i < DB_STRC; i++) {
		free(db->strc[i].s);
		db->strc[i].s = NULL;
	}
}

int
db_str_id(struct db *db, const char *str, int64_t *id)
{
	sqlite3_stmt	*s;
	unsigned int	 i;
	int		 rc;

	*id = 0;
	if (str == NULL)
		return 0;
	for (i = 0; i < DB_STRC; i++)
		if (db->strc[i].s != NULL && strcmp(db->strc[i].s, str) == 0) {
			*id = db->strc[i].id;
			return 0;
		}
	if ((s = db_stmt(db, ST_STR_GET)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, str, -1, SQLITE_STATIC);
	if (db_step_int(db, s, id, "str") == -1)
		return -1;
	if (*id == 0) {
		if ((s = db_stmt(db, ST_STR_ADD)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, str, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		*id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			return db_fail(db, "str");
	}
	i = db->strc_next++ % DB_STRC;
	free(db->strc[i].s);
	db->strc[i].s = xstrdup(str);
	db->strc[i].id = *id;
	return 0;
}

/* orbl_net(family, net16, prefix): schema 2's three columns as a key. */
static void
sql_net(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct addr	 a;
	uint8_t		 k[DB_NET_KEYMAX];
	const void	*blob;

	(void)argc;
	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)sqlite3_value_int(argv[0]);
	a.prefix = (uint8_t)sqlite3_value_int(argv[2]);
	blob = sqlite3_value_blob(argv[1]);
	if ((a.family != 4 && a.family != 6) || blob == NULL ||
	    sqlite3_value_bytes(argv[1]) != 16 ||
	    a.prefix > addr_maxprefix(&a)) {
		sqlite3_result_error(cx, "orbl_net: not an address", -1);
		return;
	}
	memcpy(a.a, blob, 16);
	sqlite3_result_blob(cx, k, db_net_key(&a, k), SQLITE_TRANSIENT);
}

/* orbl_net_text('192.0.2.0/24'): the key of an address as text; NULL if
 * it is not one. */
static void
sql_net_text(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct addr	 a;
	uint8_t		 k[DB_NET_KEYMAX];
	const char	*t = (const char *)sqlite3_value_text(argv[0]);
	char		 err[128];

	(void)argc;
	if (t == NULL || addr_parse(t, &a, err, sizeof(err)) == -1) {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_blob(cx, k, db_net_key(&a, k), SQLITE_TRANSIENT);
}

int
db_listing_functions(struct db *db)
{
	const int	 f = SQLITE_UTF8 | SQLITE_DETERMINISTIC |
			    SQLITE_INNOCUOUS;

	if (sqlite3_create_function(db->h, "orbl_net", 3, f, NULL, sql_net,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db->h, "orbl_net_text", 1, f, NULL,
	    sql_net_text, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "functions");
	return 0;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
db_journal_row(struct db *db, const char *op, const uint8_t *k, int klen,
    const struct db_jrow *r)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_JOURNAL_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, r->ts);
	sqlite3_bind_text(s, 2, op, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, k, klen, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, r->exclude ? 1 : 0);
	db_bind_code(s, 5, r->code);
	db_bind_int_or_null(s, 6, r->reason);
	db_bind_text_or_null(s, 7, r->source);
	db_bind_int_or_null(s, 8, r->expires);
	sqlite3_bind_int64(s, 9, r->actor);
	db_bind_int_or_null(s, 10, r->why);
	return db_step_done(db, s, "journal");
}

static int
journal_add(struct db *db, const char *op, const struct listing *l,
    const char *actor, const char *why, int64_t now)
{
	struct db_jrow	 r;
	uint8_t		 k[DB_NET_KEYMAX];

	memset(&r, 0, sizeof(r));
	if (db_str_id(db, l->reason, &r.reason) == -1 ||
	    db_str_id(db, actor ? actor : "unknown", &r.actor) == -1 ||
	    db_str_id(db, why, &r.why) == -1)
		return -1;
	r.ts = now;
	r.exclude = l->exclude;
	r.code = l->code;
	r.source = l->source;
	r.expires = l->expires;
	return db_journal_row(db, op, k, db_net_key(&l->net, k), &r);
}

static int
listing_check(struct db *db, const struct listing *l)
{
	struct addr	 m = l->net;

	addr_mask(&m);
	if ((l->net.family != 4 && l->net.family != 6) ||
	    l->net.prefix > addr_maxprefix(&l->net) ||
	    memcmp(m.a, l->net.a, 16) != 0) {
		db_seterr(db, "malformed address");
		return -1;
	}
	if (l->source == NULL || (strcmp(l->source, "probe") &&
	    strcmp(l->source, "manual") && strcmp(l->source, "import"))) {
		db_seterr(db, "listing source must be probe, manual or import");
		return -1;
	}
	return 0;
}

int
db_listing_put(struct db *db, const struct listing *l, const char *why,
    int *changed)
{
	sqlite3_stmt	*s;
	uint8_t		 k[DB_NET_KEYMAX];
	int64_t		 now = time(NULL), rid, aid;
	int		 own, rc, same = 0, existed = 0;

	if (changed)
		*changed = 0;
	if (listing_check(db, l) == -1)
		return -1;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_LISTING_GET)) == NULL) {
		rc = -1;
		goto out;
	}
	bind_net(s, 1, &l->net, k);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct listing	 old;

		existed = 1;
		row_listing(s, &old);
		same = old.exclude == (l->exclude != 0) &&
		    old.code == l->code && str_eq(old.reason, l->reason) &&
		    old.expires == l->expires &&
		    str_eq(old.source, l->source) &&
		    old.probe_id == l->probe_id;
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(s);
		rc = db_fail(db, "listing");
		goto out;
	}
	sqlite3_reset(s);
	rc = 0;
	if (same)
		goto out;
	if (db_str_id(db, l->reason, &rid) == -1 ||
	    db_str_id(db, l->actor ? l->actor : "unknown", &aid) == -1 ||
	    (s = db_stmt(db, ST_LISTING_UPSERT)) == NULL) {
		rc = -1;
		goto out;
	}
	bind_net(s, 1, &l->net, k);
	sqlite3_bind_int(s, 2, l->exclude ? 1 : 0);
	db_bind_code(s, 3, l->code);
	db_bind_int_or_null(s, 4, rid);
	sqlite3_bind_text(s, 5, l->source, -1, SQLITE_STATIC);
	db_bind_int_or_null(s, 6, l->probe_id);
	sqlite3_bind_int64(s, 7, aid);
	sqlite3_bind_int64(s, 8, now);
	db_bind_int_or_null(s, 9, l->expires);
	if ((rc = db_step_done(db, s, "listing")) == 0 &&
	    (rc = journal_add(db, "add", l, l->actor, why, now)) == 0 &&
	    changed)
		*changed = existed ? 2 : 1;
 out:
	return db_tx_leave(db, own, rc);
}

int
db_listing_remove(struct db *db, const struct addr *net, const char *actor,
    const char *why)
{
	sqlite3_stmt	*s;
	struct listing	 old;
	uint8_t		 k[DB_NET_KEYMAX];
	int		 own, rc;

	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((s = db_stmt(db, ST_LISTING_GET)) == NULL) {
		rc = -1;
		goto out;
	}
	bind_net(s, 1, net, k);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		rc = DB_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		rc = db_fail(db, "listing");
		goto out;
	}
	row_listing(s, &old);
	/* The journal copies old's text now, before the row goes. */
	rc = journal_add(db, "remove", &old, actor, why, time(NULL));
	sqlite3_reset(s);
	if (rc == 0 && (s = db_stmt(db, ST_LISTING_DELETE)) != NULL) {
		bind_net(s, 1, net, k);
		rc = db_step_done(db, s, "remove");
	} else
		rc = -1;
	/* The evidence of a removed listing goes with it. */
	if (rc == 0 && (s = db_stmt(db, ST_EVIDENCE_DEL)) != NULL) {
		char	 cidr[ADDR_STRLEN];

		addr_format(net, cidr, sizeof(cidr));
		sqlite3_bind_text(s, 1, cidr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_null(s, 2);
		rc = db_step_done(db, s, "evidence");
	} else if (rc == 0)
		rc = -1;
 out:
	return db_tx_answer(db, own, rc);
}

/* Step s, calling cb per row; returns 0, cb's non-zero, or -1. */
static int
listing_rows(struct db *db, sqlite3_stmt *s,
    int (*cb)(const struct listing *, void *), void *arg, int *nrows)
{
	struct listing	 l;
	int		 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_listing(s, &l);
		if (nrows)
			(*nrows)++;
		if ((rc = cb(&l, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, "listing");
	return 0;
}

int
db_listing_get(struct db *db, const struct addr *net,
    int (*cb)(const struct listing *, void *), void *arg)
{
	sqlite3_stmt	*s;
	uint8_t		 k[DB_NET_KEYMAX];
	int		 n = 0, rc;

	if ((s = db_stmt(db, ST_LISTING_GET)) == NULL)
		return -1;
	bind_net(s, 1, net, k);
	rc = listing_rows(db, s, cb, arg, &n);
	if (rc == 0 && n == 0)
		return DB_NOTFOUND;
	return rc;
}

/* The texts of the reason ids the loader's scan met last: a list has a
 * handful of reasons on millions of rows. */
#define LEAN_CACHE	16

struct lean_cache {
	int64_t		 id[LEAN_CACHE];
	char		*s[LEAN_CACHE];
	unsigned int	 next;
};

/* The text of reason id (NULL for 0): 0, or -1 on error. */
static int
lean_reason(struct db *db, struct lean_cache *c, int64_t id,
    const char **text)
{
	sqlite3_stmt	*s;
	unsigned int	 i;
	int		 rc;

	*text = NULL;
	if (id == 0)
		return 0;
	for (i = 0; i < LEAN_CACHE; i++)
		if (c->s[i] != NULL && c->id[i] == id) {
			*text = c->s[i];
			return 0;
		}
	if ((s = db_stmt(db, ST_STR_TEXT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	i = c->next++ % LEAN_CACHE;
	free(c->s[i]);
	if ((rc = db_step_dup(db, s, 0, &c->s[i], "str")) == -1)
		return -1;
	c->id[i] = id;
	*text = c->s[i];
	return 0;
}

/* The DNS loader's scan: five columns, the rest of l zero. */
static int
listing_lean(struct db *db, int64_t now,
    int (*cb)(const struct listing *, void *), void *arg)
{
	sqlite3_stmt		*s;
	struct listing		 l;
	struct lean_cache	 c;
	unsigned int		 i;
	int			 rc, cbrc = 0, err = 0;

	if ((s = db_stmt(db, ST_LISTING_LEAN)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	memset(&l, 0, sizeof(l));
	memset(&c, 0, sizeof(c));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		col_addr(s, 0, &l.net);
		l.exclude = sqlite3_column_int(s, 1);
		l.code = db_col_code(s, 2);
		l.expires = sqlite3_column_int64(s, 4);
		if (lean_reason(db, &c, sqlite3_column_int64(s, 3),
		    &l.reason) == -1) {
			err = 1;
			break;
		}
		if ((cbrc = cb(&l, arg)) != 0)
			break;
	}
	sqlite3_reset(s);
	for (i = 0; i < LEAN_CACHE; i++)
		free(c.s[i]);
	if (err)
		return -1;
	if (cbrc != 0)
		return cbrc;
	return rc == SQLITE_DONE ? 0 : db_fail(db, "listing");
}

int
db_listing_foreach(struct db *db, int flags, int64_t now,
    int (*cb)(const struct listing *, void *), void *arg)
{
	sqlite3_stmt	*s;
	enum stmt	 which;

	if ((flags & (DB_ACTIVE | DB_LEAN | DB_ORDERED)) ==
	    (DB_ACTIVE | DB_LEAN))
		return listing_lean(db, now, cb, arg);
	if (flags & DB_ACTIVE)
		which = (flags & DB_ORDERED) ? ST_LISTING_ACTIVE_ORDERED :
		    ST_LISTING_ACTIVE;
	else
		which = (flags & DB_ORDERED) ? ST_LISTING_ALL_ORDERED :
		    ST_LISTING_ALL;
	if ((s = db_stmt(db, which)) == NULL)
		return -1;
	if (flags & DB_ACTIVE)
		sqlite3_bind_int64(s, 1, now);
	return listing_rows(db, s, cb, arg, NULL);
}

int
db_listing_covering(struct db *db, const struct addr *ip,
    int (*cb)(const struct listing *, void *), void *arg)
{
	struct addr	 net;
	int		 p, rc;

	for (p = 0; p <= ip->prefix; p++) {
		net = *ip;
		net.prefix = (uint8_t)p;
		addr_mask(&net);
		rc = db_listing_get(db, &net, cb, arg);
		if (rc != 0 && rc != DB_NOTFOUND)
			return rc;
	}
	return 0;
}

int
db_listing_next_expiry(struct db *db, int64_t now, int64_t *when)
{
	sqlite3_stmt	*s;

	if ((s = db_stmt(db, ST_LISTING_NEXT_EXPIRY)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	return db_step_int(db, s, when, "expiry");
}

int
db_listing_count(struct db *db, int64_t *listed, int64_t *excluded)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((s = db_stmt(db, ST_LISTING_COUNT)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*listed = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	*excluded = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return db_fail(db, "count");
	return 0;
}

/* Journal rows copied out of SQLite, to be sorted across prefixes. */
struct jcopy {
	struct journal_entry	 j;
	char			*strs[5];
};

static int
jcopy_cmp(const void *x, const void *y)
{
	const struct jcopy	*a = x, *b = y;

	return a->j.serial < b->j.serial ? -1 : a->j.serial > b->j.serial;
}

int
db_journal_covering(struct db *db, const struct addr *ip,
    int (*cb)(const struct journal_entry *, void *), void *arg)
{
	struct jcopy	*v = NULL;
	uint8_t		 key[DB_NET_KEYMAX];
	size_t		 n = 0, cap = 0, i;
	struct addr	 net;
	sqlite3_stmt	*s;
	int		 p, rc = 0, k;

	for (p = 0; p <= ip->prefix && rc == 0; p++) {
		net = *ip;
		net.prefix = (uint8_t)p;
		addr_mask(&net);
		if ((s = db_stmt(db, ST_JOURNAL_AT)) == NULL) {
			rc = -1;
			break;
		}
		bind_net(s, 1, &net, key);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			row_journal(s, &v[n].j);
			v[n].strs[0] = xstrdup_null(v[n].j.op);
			v[n].strs[1] = xstrdup_null(v[n].j.reason);
			v[n].strs[2] = xstrdup_null(v[n].j.source);
			v[n].strs[3] = xstrdup_null(v[n].j.actor);
			v[n].strs[4] = xstrdup_null(v[n].j.why);
			v[n].j.op = v[n].strs[0];
			v[n].j.reason = v[n].strs[1];
			v[n].j.source = v[n].strs[2];
			v[n].j.actor = v[n].strs[3];
			v[n].j.why = v[n].strs[4];
			n++;
		}
		sqlite3_reset(s);
		rc = rc == SQLITE_DONE ? 0 : db_fail(db, "journal");
	}
	if (rc == 0 && n > 0) {		/* qsort(NULL, 0) is UB */
		qsort(v, n, sizeof(*v), jcopy_cmp);
		for (i = 0; i < n && rc == 0; i++)
			rc = cb(&v[i].j, arg);
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < 5; k++)
			free(v[i].strs[k]);
	free(v);
	return rc;
}

int
db_journal_since(struct db *db, uint32_t since,
    int (*cb)(const struct journal_entry *, void *), void *arg)
{
	sqlite3_stmt		*s;
	struct journal_entry	 j;
	int			 rc;

	if ((s = db_stmt(db, ST_JOURNAL_SINCE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_journal(s, &j);
		if ((rc = cb(&j, arg)) != 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, "journal");
	return 0;
}

/*
 * Mirrors: the expiry sweep, journal compaction and the state of a prefix
 * at a serial.  Their statements are prepared per call (the sweep runs
 * once a minute, compaction once an hour, a state lookup costs some
 * microseconds more than with a kept statement) and finalized before
 * returning: the connection's table in db.c stays as it is.
 */

/* Listings removed per call of the sweep: one short write transaction,
 * so that a daemon's loop is never held long (it calls again). */
#define EXPIRE_BATCH	10000

/* meta key of the journal's horizon (db_journal_horizon). */
#define META_HORIZON	"journal_horizon"

static int
mirror_prepare(struct db *db, const char *sql, sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return db_fail(db, "prepare");
	}
	return 0;
}

/*
 * The keys of up to max listings expired at now, copied out (the rows
 * are removed after the scan, not while it runs).  *n keys in *keys
 * (DB_NET_KEYMAX bytes each, the length in *lens); 0 or -1.
 */
static int
expired_keys(struct db *db, int64_t now, int max, uint8_t (**keys)[
    DB_NET_KEYMAX], int **lens, int *n)
{
	sqlite3_stmt	*s;
	const void	*k;
	int		 rc, kl;

	*n = 0;
	*keys = NULL;
	*lens = NULL;
	if (mirror_prepare(db, "SELECT net FROM listing WHERE expires <= ?1 "
	    "LIMIT ?2", &s) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		k = sqlite3_column_blob(s, 0);
		kl = sqlite3_column_bytes(s, 0);
		if (k == NULL || kl < 1 || kl > DB_NET_KEYMAX)
			continue;
		if (*n % 256 == 0) {
			*keys = xreallocarray(*keys, (size_t)*n + 256,
			    sizeof(**keys));
			*lens = xreallocarray(*lens, (size_t)*n + 256,
			    sizeof(**lens));
		}
		memcpy((*keys)[*n], k, (size_t)kl);
		(*lens)[*n] = kl;
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "expired");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/*
 * At most EXPIRE_BATCH a call: *n tells how many went, and a caller that
 * got a full batch calls again (orbl-prober from its timer, orblctl prune
 * in a loop).  Each goes as db_listing_remove() removes a listing: a
 * 'remove' journal row written now (its ts the clock's, not 'now': the
 * journal's times follow its serials), the evidence with it.
 */
int
db_listing_expire(struct db *db, int64_t now, const char *actor,
    uint64_t *n)
{
	uint8_t		(*keys)[DB_NET_KEYMAX];
	int		*lens, nkeys, i, own, rc;
	uint64_t	 done = 0;
	struct addr	 net;

	if (n)
		*n = 0;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((rc = expired_keys(db, now, EXPIRE_BATCH, &keys, &lens,
	    &nkeys)) == -1)
		return db_tx_leave(db, own, -1);
	for (i = 0; i < nkeys && rc == 0; i++) {
		if (db_net_unkey(keys[i], lens[i], &net) == -1)
			continue;	/* not a key: never written by us */
		rc = db_listing_remove(db, &net, actor, "expired");
		if (rc == DB_NOTFOUND)
			rc = 0;
		else if (rc == 0)
			done++;
	}
	free(keys);
	free(lens);
	if ((rc = db_tx_leave(db, own, rc)) == 0 && n)
		*n = done;
	return rc;
}

/* *v = the integer in meta key (0 if absent): 0 or -1. */
static int
meta_u32(struct db *db, const char *key, uint32_t *v)
{
	char		 buf[32], *end;
	unsigned long	 x;
	int		 rc;

	*v = 0;
	if ((rc = db_meta_get(db, key, buf, sizeof(buf))) == DB_NOTFOUND)
		return 0;
	if (rc != 0)
		return -1;
	x = strtoul(buf, &end, 10);
	if (end == buf || *end != '\0' || x > UINT32_MAX) {
		db_seterr(db, "meta %s: not a serial: '%s'", key, buf);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int
db_journal_horizon(struct db *db, uint32_t *serial)
{
	return meta_u32(db, META_HORIZON, serial);
}

/*
 * The cut is a serial, h: the last one written before 'before'.  Rows up
 * to h go, except for each prefix its last row up to h when it is an add
 * (it says the prefix was listed at h, and how).  The state of every
 * prefix at any serial S >= h is then still its last row up to S, as
 * before (none, or a remove: not listed).  Cutting by serial rather than
 * by each row's time keeps that true when two writers' clocks disagree by
 * a second (a row written later may carry an earlier time).
 */
int
db_journal_prune(struct db *db, int64_t before, uint64_t *deleted,
    uint32_t *horizon)
{
	sqlite3_stmt	*s = NULL;
	int64_t		 h = 0;
	uint32_t	 old;
	uint64_t	 gone = 0;
	char		 buf[32];
	int		 own, rc;

	if (deleted)
		*deleted = 0;
	if (horizon)
		*horizon = 0;
	if (db_tx_enter(db, &own) == -1)
		return -1;
	if ((rc = meta_u32(db, META_HORIZON, &old)) == -1 ||
	    (rc = mirror_prepare(db, "SELECT max(serial) FROM journal "
	    "WHERE ts < ?1", &s)) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, before);
	rc = db_step_int(db, s, &h, "prune");
	sqlite3_finalize(s);
	s = NULL;
	if (rc == -1 || h <= 0)
		goto out;
	if ((rc = mirror_prepare(db, "DELETE FROM journal WHERE serial <= ?1 "
	    "AND (op = 'remove' OR EXISTS (SELECT 1 FROM journal k "
	    "WHERE k.net = journal.net AND k.serial > journal.serial "
	    "AND k.serial <= ?1))", &s)) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, h);
	if ((rc = db_step_done(db, s, "prune")) == -1)
		goto out;
	gone = (uint64_t)sqlite3_changes64(db->h);
	/* Never back: an earlier 'before' leaves the horizon where it is. */
	if ((uint32_t)h > old) {
		snprintf(buf, sizeof(buf), "%" PRIu32, (uint32_t)h);
		if ((rc = db_meta_set(db, META_HORIZON, buf)) == -1)
			goto out;
		old = (uint32_t)h;
	}
 out:
	sqlite3_finalize(s);
	if ((rc = db_tx_leave(db, own, rc)) == 0) {
		if (deleted)
			*deleted = gone;
		if (horizon)
			*horizon = old;
	}
	return rc;
}

int
db_journal_state_at(struct db *db, const struct addr *net, uint32_t serial,
    int (*cb)(const struct journal_entry *, void *), void *arg)
{
	sqlite3_stmt		*s;
	struct journal_entry	 j;
	uint8_t			 k[DB_NET_KEYMAX];
	int			 rc;

	/* journal_net (net) carries the rowid, the serial: one seek. */
	if (mirror_prepare(db, "SELECT j.serial, j.ts, j.op, j.net, "
	    "j.exclude, j.code, r.s, j.source, a.s, w.s, j.expires "
	    "FROM journal j LEFT JOIN str r ON r.id = j.reason "
	    "LEFT JOIN str a ON a.id = j.actor "
	    "LEFT JOIN str w ON w.id = j.why "
	    "WHERE j.net = ?1 AND j.serial <= ?2 "
	    "ORDER BY j.serial DESC LIMIT 1", &s) == -1)
		return -1;
	bind_net(s, 1, net, k);
	sqlite3_bind_int64(s, 2, serial);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_journal(s, &j);
		rc = strcmp(j.op, "add") == 0 ? cb(&j, arg) : DB_NOTFOUND;
	} else if (rc == SQLITE_DONE)
		rc = DB_NOTFOUND;
	else
		rc = db_fail(db, "journal");
	sqlite3_finalize(s);
	return rc;
}
