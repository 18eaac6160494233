/*
 * daemon.h -- the start every orbl daemon shares: options, configuration,
 * logging.
 *
 *   orbl-X [-dnvV] [-c file]
 *     -c file  configuration (default: built-in defaults)
 *     -d       foreground, log to stderr
 *     -n       check the configuration and exit
 *     -v       more logging (repeat)
 *     -V       print the version and exit
 */
#ifndef ORBL_DAEMON_H
#define ORBL_DAEMON_H

struct conf;

struct daemon_opts {
	const char	*conffile;
	int		 foreground;
	int		 checkonly;
	int		 verbose;
};

/*
 * Parse the options (usage() on anything else: it must not return), load
 * the configuration into conf and run check(conf, arg), which reports its
 * own problems on stderr and returns -1 on any.  Then, unless -n, start
 * logging as name.
 * Returns 1: go on; 0: done, exit 0 (-V, -n); -1: exit 1 (the reason is
 * on stderr).  conf is freed whenever it returns less than 1.
 */
int	 daemon_start(const char *name, int argc, char *argv[],
	    void (*usage)(void), struct conf *conf,
	    int (*check)(struct conf *, void *), void *arg,
	    struct daemon_opts *opts);

#endif
