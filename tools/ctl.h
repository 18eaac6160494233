/*
 * ctl.h -- orblctl's internal declarations: the shared context, the verb
 * entry points (cmd_*.c) and the small output helpers of orblctl.c.
 */
#ifndef ORBL_CTL_H
#define ORBL_CTL_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "addr.h"
#include "conf.h"
#include "reason.h"
#include "rfc5782.h"

/* Exit codes: the interface contract. */
#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	2

/* Longest reason (TXT template) accepted: one DNS character-string. */
#define CTL_REASON_MAX	REASON_MAX

/* The TXT of the RFC 5782 test point 127.0.0.2 (as orbl-dnsd answers). */
#define CTL_TESTPOINT_REASON	RFC5782_TP_REASON
/* The TXT at names that exist only to say "not listed" in zone exports. */
#define CTL_EXCLUDED_TXT	"not listed"

struct db;
struct progress;

struct ctl {
	struct conf	 conf;
	const char	*confpath;	/* NULL: built-in defaults */
	int64_t		 now;
	char		 actor[80];	/* "cli:<user>" */
};

/* One option of a verb: "--name" (or "-n" when the name is one letter). */
struct ctl_opt {
	const char	*name;
	int		 hasarg;
	const char	**val;		/* hasarg: where the value goes */
	int		*flag;		/* !hasarg: set to 1 */
};

/*
 * Split a verb's arguments into options (anywhere, also after positional
 * arguments; "--" ends them) and at most maxpos positionals.  -h/--help
 * prints the verb's usage and exits.  On a usage problem prints it (one
 * line plus the verb's usage) and returns -1.
 */
int	 ctl_getopt(const char *verb, int argc, char **argv,
	    const struct ctl_opt *opts, char **pos, int maxpos, int *npos);

/* "orblctl: <message>" on stderr; returns CTL_FAIL. */
int	 ctl_err(const char *, ...) __attribute__((format(printf, 1, 2)));
/* The same plus the verb's usage line; returns CTL_USAGE. */
int	 ctl_usage_err(const char *verb, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print a verb's usage line (NULL: the whole usage) to f. */
void	 ctl_usage(FILE *f, const char *verb);

/* Open conf.database; prints the error and returns NULL on failure. */
struct db *ctl_db_open(struct ctl *, int flags);

/* Value parsers: 0 or -1 (with a reason in err). */
int	 ctl_parse_code(const char *, uint32_t *, char *err, size_t errlen);

/* Output helpers. */
/* Print doc (ctl_json.h) on one line and free it: CTL_OK, or CTL_FAIL
 * with the reason on stderr (doc NULL: an encoder ran out of memory). */
int	 ctl_json_print(const char *verb, json_t *doc);
void	 ctl_csv_field(FILE *, const char *);	/* RFC 4180 quoting */
/* Expand '$' in a TXT template with what; returns buf. */
char	*ctl_expand_reason(const char *tmpl, const char *what, char *buf,
	    size_t len);

/* Open -o FILE (a temporary beside it) or stdout; finish renames. */
FILE	*ctl_out_open(const char *path, char **tmp);
int	 ctl_out_finish(FILE *, const char *path, char *tmp, int ok);

/* The verbs: each returns an exit code. */
int	 cmd_init(struct ctl *, int, char **);
int	 cmd_add(struct ctl *, int, char **);
int	 cmd_remove(struct ctl *, int, char **);
int	 cmd_lookup(struct ctl *, int, char **);
int	 cmd_list(struct ctl *, int, char **);
int	 cmd_stats(struct ctl *, int, char **);
int	 cmd_import(struct ctl *, int, char **);
int	 cmd_export(struct ctl *, int, char **);
int	 cmd_prune(struct ctl *, int, char **);
int	 cmd_submit(struct ctl *, int, char **);
int	 cmd_probe(struct ctl *, int, char **);
int	 cmd_queue_check(struct ctl *, int, char **);
int	 cmd_check(struct ctl *, int, char **);
int	 cmd_delist_request(struct ctl *, int, char **);
int	 cmd_requests(struct ctl *, int, char **);
int	 cmd_request(struct ctl *, int, char **);

/* The probe runs against ip and the evidence of the newest (cmd_probe.c),
 * as text to f, or as "verdict", "probes" and "events" added to lookup's
 * JSON object (-1: jansson failed). */
void	 probe_evidence(struct ctl *, const char *ip, FILE *f);
int	 probe_evidence_json(struct ctl *, const char *ip, json_t *obj);

/* Zone file export (cmd_zone.c), called by cmd_export; its progress on
 * pg (progress.h), total the entries to read (0: unknown). */
int	 zone_export(struct ctl *, struct db *, const char *zone, FILE *,
	    struct progress *pg, uint64_t total);

#endif
