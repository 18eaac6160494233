/*
 * orblctl.c -- the admin CLI: global options, configuration, verb
 * dispatch, and the small helpers every verb shares (option parsing,
 * error lines, writing JSON, CSV fields, output files).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_json.h"
#include "db.h"
#include "log.h"
#include "lookup.h"
#include "progress.h"
#include "target.h"
#include "version.h"
#include "xmalloc.h"

static int	 cmd_conf_reference(struct ctl *, int, char **);

static const struct verb {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;
} verbs[] = {
	{ "init", cmd_init, "init" },
	{ "add", cmd_add, "add ADDR|CIDR [--code 127.0.0.N] [--reason TEXT] "
	    "[--expires DURATION] [--exclude]" },
	{ "remove", cmd_remove, "remove ADDR|CIDR [--reason TEXT]" },
	{ "lookup", cmd_lookup, "lookup ADDR [--json]" },
	{ "list", cmd_list, "list [--format text|csv|json]" },
	{ "import", cmd_import, "import FILE|- --format rbldnsd|plain "
	    "[--replace] [--no-progress]" },
	{ "export", cmd_export, "export --format rbldnsd|plain|zone "
	    "[--zone NAME] [-o FILE | --follow FILE] [--no-progress]" },
	{ "prune", cmd_prune, "prune [--keep DURATION]" },
	{ "stats", cmd_stats, "stats [--json]" },
	{ "submit", cmd_submit, "submit ADDR [--port N] [--submitter TEXT] "
	    "[--json] [--force]" },
	{ "probe", cmd_probe, "probe ADDR [--port N]" },
	{ "check", cmd_check, "check ADDR [--lists ZONE[@IP:PORT],...] [--resolver IP[:PORT]] [--timeout S] [--json] [--no-progress]" },
	{ "delist-request", cmd_delist_request, "delist-request ADDR "
	    "--contact EMAIL [--note TEXT] [--json]" },
	{ "requests", cmd_requests, "requests [--state pending|retesting|"
	    "delisted|refused] [--json]" },
	{ "request", cmd_request, "request show ID [--json]" },
	{ "queue-check", cmd_queue_check, "queue-check [--command CMD | -] [--warn N] [--crit N] [--top N] [--command-timeout S] [--json]" },
	{ "conf-reference", cmd_conf_reference, "conf-reference [--man]" },
	{ NULL, NULL, NULL }
};

void
ctl_usage(FILE *f, const char *verb)
{
	int	 i;

	for (i = 0; verbs[i].name; i++)
		if (verb != NULL && strcmp(verb, verbs[i].name) == 0) {
			fprintf(f, "usage: orblctl [-c FILE] %s\n",
			    verbs[i].usage);
			return;
		}
	fprintf(f, "usage: orblctl [-c FILE] [-n] [-V] [-h] VERB ARGS "
	    "[--options]\nverbs:\n");
	for (i = 0; verbs[i].name; i++)
		fprintf(f, "  %s\n", verbs[i].usage);
	fprintf(f, "durations: 45 (seconds), 30s, 10m, 2h, 30d, 1w; "
	    "the config file is -c FILE, else $ORBL_CONF, else built-in "
	    "defaults\n");
}

int
ctl_err(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	progress_hide();
	fputs("orblctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAIL;
}

int
ctl_usage_err(const char *verb, const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	progress_hide();
	fputs("orblctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctl_usage(stderr, verb);
	return CTL_USAGE;
}

int
ctl_getopt(const char *verb, int argc, char **argv,
    const struct ctl_opt *opts, char **pos, int maxpos, int *npos)
{
	int		 i, k, endopts = 0, seen[32];
	const char	*tok, *name, *eq;
	size_t		 nlen;

	memset(seen, 0, sizeof(seen));
	*npos = 0;
	for (i = 0; i < argc; i++) {
		tok = argv[i];
		if (!endopts && strcmp(tok, "--") == 0) {
			endopts = 1;
			continue;
		}
		if (endopts || tok[0] != '-' || tok[1] == '\0') {
			if (*npos >= maxpos) {
				ctl_usage_err(verb, "%s: unexpected argument "
				    "'%s'", verb, tok);
				return -1;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		name = tok + (tok[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		if ((nlen == 1 && name[0] == 'h' && tok[1] != '-') ||
		    (nlen == 4 && strncmp(name, "help", 4) == 0)) {
			ctl_usage(stdout, verb);
			exit(CTL_OK);
		}
		for (k = 0; opts[k].name; k++)
			if (strlen(opts[k].name) == nlen &&
			    strncmp(opts[k].name, name, nlen) == 0 &&
			    (tok[1] == '-') == (nlen > 1))
				break;
		if (opts[k].name == NULL) {
			ctl_usage_err(verb, "%s: unknown option '%s'", verb,
			    tok);
			return -1;
		}
		if (k < 32 && seen[k]++) {
			ctl_usage_err(verb, "%s: option '%.*s' given twice",
			    verb, (int)(name - tok + nlen), tok);
			return -1;
		}
		if (!opts[k].hasarg) {
			if (eq) {
				ctl_usage_err(verb, "%s: option --%s takes no "
				    "value", verb, opts[k].name);
				return -1;
			}
			*opts[k].flag = 1;
			continue;
		}
		if (eq)
			*opts[k].val = eq + 1;
		else if (i + 1 < argc)
			*opts[k].val = argv[++i];
		else {
			ctl_usage_err(verb, "%s: option '%s' needs a value",
			    verb, tok);
			return -1;
		}
	}
	return 0;
}

struct db *
ctl_db_open(struct ctl *ctl, int flags)
{
	struct db	*db;
	char		 err[1024];

	if ((db = db_open(ctl->conf.database, flags, err, sizeof(err))) ==
	    NULL)
		ctl_err("%s", err);
	return db;
}

int
ctl_parse_code(const char *s, uint32_t *code, char *err, size_t errlen)
{
	struct in_addr	 in;
	uint32_t	 v;

	if (inet_pton(AF_INET, s, &in) != 1) {
		snprintf(err, errlen, "bad code '%s': expected 127.0.0.N", s);
		return -1;
	}
	v = ntohl(in.s_addr);
	if ((v >> 24) != 127) {
		snprintf(err, errlen, "bad code '%s': a DNSBL code must be in "
		    "127.0.0.0/8", s);
		return -1;
	}
	*code = v;
	return 0;
}

int
ctl_json_print(const char *verb, json_t *doc)
{
	int	 rc;

	if (doc == NULL)
		return ctl_err("%s: out of memory building the JSON output",
		    verb);
	rc = cj_write(stdout, doc, 1);
	json_decref(doc);
	if (rc == -1)
		return ctl_err("%s: write error: %s", verb, strerror(errno));
	return CTL_OK;
}

void
ctl_csv_field(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

char *
ctl_expand_reason(const char *tmpl, const char *what, char *buf, size_t len)
{
	return lookup_expand(tmpl, what, buf, len);
}

FILE *
ctl_out_open(const char *path, char **tmp)
{
	FILE	*f;
	int	 fd;

	*tmp = NULL;
	if (path == NULL || strcmp(path, "-") == 0)
		return stdout;
	xasprintf(tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(*tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		ctl_err("%s: %s", *tmp, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	fchmod(fd, 0644);
	return f;
}

int
ctl_out_finish(FILE *f, const char *path, char *tmp, int ok)
{
	int	 bad;

	bad = fflush(f) == EOF || ferror(f);
	if (tmp == NULL) {
		if (bad && ok)
			return ctl_err("write error: %s", strerror(errno));
		return ok ? CTL_OK : CTL_FAIL;
	}
	if (fclose(f) == EOF)
		bad = 1;
	if (ok && bad)
		ctl_err("%s: write error: %s", tmp, strerror(errno));
	else if (ok && rename(tmp, path) == -1) {
		ctl_err("%s: %s", path, strerror(errno));
		bad = 1;
	}
	if (!ok || bad)
		unlink(tmp);
	free(tmp);
	return ok && !bad ? CTL_OK : CTL_FAIL;
}

static int
cmd_conf_reference(struct ctl *ctl, int argc, char **argv)
{
	int			 man = 0;
	struct ctl_opt		 opts[] = {
		{ "man", 0, NULL, &man },
		{ NULL, 0, NULL, NULL }
	};
	char			*pos[1];
	int			 npos;

	(void)ctl;
	if (ctl_getopt("conf-reference", argc, argv, opts, pos, 0, &npos))
		return CTL_USAGE;
	/* The README's table, or orbl.conf(5): one key table, no drift. */
	if (man)
		conf_print_man(stdout);
	else
		conf_print_reference();
	return fflush(stdout) == 0 && !ferror(stdout) ? CTL_OK : CTL_FAIL;
}

static void
ctl_set_actor(struct ctl *ctl)
{
	struct passwd	*pw;
	const char	*name = NULL;

	if ((pw = getpwuid(getuid())) != NULL)
		name = pw->pw_name;
	else if ((name = getenv("USER")) == NULL || *name == '\0')
		name = NULL;
	if (name)
		snprintf(ctl->actor, sizeof(ctl->actor), "cli:%s", name);
	else
		snprintf(ctl->actor, sizeof(ctl->actor), "cli:uid%u",
		    (unsigned)getuid());
}

int
main(int argc, char **argv)
{
	struct ctl	 ctl;
	const char	*cpath = NULL;
	char		 err[1024];
	int		 ch, nflag = 0, i, rc;

	memset(&ctl, 0, sizeof(ctl));
	log_init("orblctl", 1);
	while ((ch = getopt(argc, argv, "+c:dhnV")) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'd':	/* always in the foreground */
			break;
		case 'h':
			ctl_usage(stdout, NULL);
			return CTL_OK;
		case 'n':
			nflag = 1;
			break;
		case 'V':
			printf("orblctl %s\n", ORBL_VERSION);
			return CTL_OK;
		default:
			ctl_usage(stderr, NULL);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	conf_init(&ctl.conf);
	if (cpath == NULL && (cpath = getenv("ORBL_CONF")) != NULL &&
	    *cpath == '\0')
		cpath = NULL;
	if (cpath != NULL && conf_load(&ctl.conf, cpath, err,
	    sizeof(err)) == -1) {
		ctl_err("%s", err);
		conf_free(&ctl.conf);
		return CTL_FAIL;
	}
	ctl.confpath = cpath;
	if (nflag) {
		printf("%s: configuration OK\n", cpath ? cpath :
		    "(built-in defaults)");
		conf_free(&ctl.conf);
		return CTL_OK;
	}
	if (argc == 0) {
		rc = ctl_usage_err(NULL, "no verb given");
		conf_free(&ctl.conf);
		return rc;
	}
	for (i = 0; verbs[i].name; i++)
		if (strcmp(verbs[i].name, argv[0]) == 0)
			break;
	if (verbs[i].name == NULL) {
		rc = ctl_usage_err(NULL, "unknown verb '%s'", argv[0]);
		conf_free(&ctl.conf);
		return rc;
	}
	ctl.now = time(NULL);
	ctl_set_actor(&ctl);
	/* Only the verbs that name targets need the sink's addresses (the
	 * others never wait on DNS for sink_domain's MX). */
	if (strcmp(verbs[i].name, "submit") == 0 ||
	    strcmp(verbs[i].name, "probe") == 0) {
		char	 serr[512];

		if (target_self_init(&ctl.conf, serr, sizeof(serr)) == -1) {
			rc = ctl_err("%s", serr);
			conf_free(&ctl.conf);
			return rc;
		}
		if (serr[0] != '\0')
			log_warnx("%s", serr);
	}
	rc = verbs[i].fn(&ctl, argc - 1, argv + 1);
	if (fflush(stdout) == EOF && rc == CTL_OK)
		rc = ctl_err("write error: %s", strerror(errno));
	conf_free(&ctl.conf);
	return rc;
}
