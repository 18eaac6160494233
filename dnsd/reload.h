/*
 * reload.h -- follow the database and build the next dnsd_data off the
 * query thread.
 *
 * A loader thread (at a lower CPU priority) polls the journal serial
 * (every 200 ms, and at once on reload_request()).  When it moved, the
 * loader reads the journal rows since the data it built last and patches
 * that data's index with them (zone_index_patch); it builds from all the
 * listings instead on the first load, on reload_request() (SIGHUP), for a
 * new database file, when a listing expired, when journal rows are
 * missing, for more than 200,000 changes, and after any error.  It hands
 * the result to the query thread through a pipe that the event loop
 * watches: the query thread swaps the pointer and frees the old data, so
 * queries never wait for a build.  Each build or patch is logged with
 * its time and the loader's CPU time.  A database that is
 * missing, locked or corrupt leaves the last good data serving; the
 * problem is logged once, and its end too.
 */
#ifndef ORBL_RELOAD_H
#define ORBL_RELOAD_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct event_base;
struct dnsd_data;
struct reload;

/*
 * Build data from the database now (the caller's thread).  NULL with a
 * reason in err if the database cannot be read.
 */
struct dnsd_data *reload_build(const struct conf *, char *err, size_t errlen);
/* Data with no listings but the test points (no database yet). */
struct dnsd_data *reload_build_empty(const struct conf *, char *err,
	    size_t errlen);

/*
 * Start the loader thread.  cb runs on the event loop's thread with each
 * new data, which it then owns.  cur: the data already serving; problem:
 * why the database could not be read at start (already logged), or NULL.
 */
struct reload *reload_start(const struct conf *, struct event_base *,
	    const struct dnsd_data *cur, const char *problem,
	    void (*cb)(struct dnsd_data *, void *), void *arg);
void	 reload_request(struct reload *);
/* How many times the loader has looked at the database (for the stats
 * line: a test waits for the loader by this count, never by time). */
uint64_t reload_polls(struct reload *);
/* Looks at the database that failed (each is counted, the problem logged
 * once), and whether the last one did (or the start's, before any). */
uint64_t reload_errors(struct reload *);
int	 reload_failing(struct reload *);
/* The journal serial the loader last read from the database (0: none
 * yet); ahead of the serving serial while a change waits to be served. */
uint32_t reload_db_serial(struct reload *);
/* Stop and join the thread, free everything. */
void	 reload_stop(struct reload *);

#endif
