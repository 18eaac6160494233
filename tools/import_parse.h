/*
 * import_parse.h -- the import formats of orblctl import, read into
 * memory: rbldnsd ip4set/ip6trie data ("1.2.3.4", "10.0.0.0/8", ranges
 * "10.0.0.1-10.0.0.9", "!" exclusions, ":A:TXT" values and defaults,
 * $SOA/$NS/$TTL) and plain lists ("ADDR|CIDR [reason]").  Entries are
 * collected in memory (v), or, with an entry function, handed to it one
 * by one as they are read (orblctl import: constant memory; it stages
 * them in its transaction, so a bad line still changes nothing).
 *
 * Pure apart from reading the FILE: no database, no output (a warning
 * goes to the caller's warn function), so tests/fuzz/fuzz_import.c runs
 * it on any bytes.
 */
#ifndef ORBL_IMPORT_PARSE_H
#define ORBL_IMPORT_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define IMP_LINE_MAX	65536	/* longer lines are an error */

/* One entry of the file. */
struct imp_entry {
	struct addr	 net;		/* masked */
	uint8_t		 exclude;
	uint32_t	 code;		/* 127.0.0.0/8; DB_CODE_DEFAULT for
					 * an exclusion */
	const char	*reason;	/* in the string pool, or NULL */
	size_t		 seq;		/* position in the file */
};

/* A line the parser skipped (msg: "$FOO ignored"). */
typedef void	imp_warn_fn(void *arg, unsigned long lineno, const char *msg);
/* Every IMP_TICK_LINES lines: how many so far and their bytes (for a
 * progress meter; a counter test per line, no clock here). */
typedef void	imp_tick_fn(void *arg, unsigned long lineno, uint64_t bytes);

#define IMP_TICK_LINES	1024	/* a power of two */

/* An entry as it is read, borrowed for the call (the reason too): 0 to go
 * on, -1 to stop imp_parse (which returns -1; the function sets err). */
typedef int	imp_entry_fn(void *arg, const struct imp_entry *);

struct imp {
	const char	*name;		/* the file, for the caller's messages */
	unsigned long	 lineno;	/* lines read; on error the bad one */
	char		 err[512];	/* why imp_parse failed */
	struct imp_entry *v;		/* in file order (no entry function) */
	size_t		 n, cap;	/* entries read; v's size */
	imp_entry_fn	*entry;		/* NULL: collect them in v */
	void		*entryarg;
	int		 failed;	/* the entry function said stop */
	/* reasons: one copy per distinct run of equal strings */
	char		**pool;
	size_t		 npool, poolcap;
	const char	*last;
	/* rbldnsd scope default (":A:TXT" line) */
	uint32_t	 defcode;
	const char	*deftxt;
	/* the first $SOA, $NS, $TTL values (malloc'd), or NULL */
	char		*soa, *ns, *ttl;
	unsigned long	 nwarn;		/* special lines ignored */
	imp_warn_fn	*warn;		/* NULL: not told */
	void		*warnarg;
	uint64_t	 bytes;		/* read so far */
	imp_tick_fn	*tick;		/* NULL: not told */
	void		*tickarg;
};

/* Before imp_parse: everything empty, the default code 127.0.0.2. */
void	 imp_init(struct imp *, const char *name);
/* Read f to its end as rbldnsd data (rbldnsd 1) or a plain list: 0, or
 * -1 with the reason in err and the line in lineno. */
int	 imp_parse(struct imp *, FILE *f, int rbldnsd);
void	 imp_free(struct imp *);

#endif
