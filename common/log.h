/*
 * log.h -- logging for the daemons and tools (OpenSMTPD's API).
 *
 * stderr in the foreground (-d), syslog otherwise.  Every function keeps
 * errno.  Parsers and the db layer never call these: they return an error
 * and the caller, who knows the context, logs once.
 */
#ifndef ORBL_LOG_H
#define ORBL_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int foreground);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
