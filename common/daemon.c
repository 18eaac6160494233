/*
 * daemon.c -- the shared start of the orbl daemons (daemon.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "version.h"

int
daemon_start(const char *name, int argc, char *argv[], void (*usage)(void),
    struct conf *conf, int (*check)(struct conf *, void *), void *arg,
    struct daemon_opts *o)
{
	char	 err[1024];
	int	 ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt(argc, argv, "c:dhnvV")) != -1) {
		switch (ch) {
		case 'c':
			o->conffile = optarg;
			break;
		case 'd':
			o->foreground = 1;
			break;
		case 'n':
			o->checkonly = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("%s %s\n", name, ORBL_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	conf_init(conf);
	if (o->conffile != NULL &&
	    conf_load(conf, o->conffile, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", name, err);
		conf_free(conf);
		return -1;
	}
	if (check != NULL && check(conf, arg) == -1) {
		conf_free(conf);
		return -1;
	}
	if (o->checkonly) {
		printf("%s: configuration OK\n", name);
		conf_free(conf);
		return 0;
	}
	log_init(name, o->foreground);
	log_setverbose(o->verbose);
	return 1;
}
