/*
 * lookup.h -- the lookup decision, in one place for every front end
 * (orblctl lookup, orbl-web): the entries covering an address, which one
 * decides (the most specific one still in force: an expired entry no
 * longer counts), the RFC 5782 test points (127.0.0.2 always listed,
 * 127.0.0.1 never, whatever the data says; a listed 127.0.0.2/32 in force
 * keeps its code, and its reason if it has one), the answered code and
 * the TXT with '$' replaced by the address, and the journal rows about
 * the covering prefixes.  Not the same rules as orbl-dnsd's but its code:
 * the answer comes from a dnsd index (zone_index.h) of the covering
 * entries in force, so the two cannot disagree (tests/unit/test_lookup.c
 * compares them).  An IPv4 address also finds entries stored as
 * ::ffff:a.b.c.d/96+n, as orbl-dnsd does.
 *
 * Reads the database, never logs.  A lookup owns copies of everything it
 * read: it stays valid after the database is closed.
 */
#ifndef ORBL_LOOKUP_H
#define ORBL_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "db.h"

#define LOOKUP_TXT_MAX	1024

struct lookup_entry {
	struct listing	 l;		/* strings owned by the lookup */
	int		 expired;	/* expires <= now */
};

struct lookup_hist {
	uint32_t	 serial;
	int64_t		 ts;
	char		 op[8];		/* "add", "remove" */
	struct addr	 net;
	char		*actor, *why;	/* may be NULL */
};

struct lookup {
	struct addr		 ip;
	char			 addr[ADDR_STRLEN];	/* as orbl-dnsd writes
						   it for '$': RFC 5952, a
						   mapped ip as ::ffff:a.b.c.d */
	int			 listed;
	int			 testpoint;	/* 127.0.0.1 or 127.0.0.2 */
	/* The entry in force that decides (NULL: none, or a test point
	 * other than 127.0.0.2 answered from its own listed /32). */
	const struct lookup_entry *decides;
	uint32_t		 code;		/* A answered (when listed) */
	const char		*why;		/* "listed", "excluded", ... */
	const char		*source;	/* "test-point", the entry's
						   source, or NULL */
	char			 txt[LOOKUP_TXT_MAX];	/* "" if not listed */
	struct lookup_entry	*covering;	/* least specific first */
	size_t			 ncovering;
	struct lookup_hist	*history;	/* oldest first */
	size_t			 nhistory;
};

/*
 * One address (not a range) from text: 0, or -1 with a reason in err
 * ("give one address, not a range" for a prefix).
 */
int		 lookup_parse(const char *text, struct addr *ip, char *err,
		    size_t errlen);
/*
 * Look ip up in db at time now; default_reason is the TXT of entries
 * without one (conf.default_reason).  NULL on a database error, with
 * db_errmsg(db) in err.
 */
struct lookup	*lookup_new(struct db *, const struct addr *ip,
		    const char *default_reason, int64_t now, char *err,
		    size_t errlen);
void		 lookup_free(struct lookup *);

/* Expand '$' in a TXT template with what (cut to len); returns buf. */
char		*lookup_expand(const char *tmpl, const char *what, char *buf,
		    size_t len);

#endif
