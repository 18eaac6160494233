/*
 * metrics.h -- Prometheus text exposition (format 0.0.4) and the small
 * HTTP listener that serves it at /metrics.
 *
 * A daemon registers one collect callback; on each scrape it writes the
 * current values into a metrics_buf with the functions below.  Nothing
 * here runs unless a scrape arrives: the counters themselves live where
 * they are counted (per worker where there are workers) and are only read
 * here.  The listener is separate from any public listener by design.
 */
#ifndef ORBL_METRICS_H
#define ORBL_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct conf_listen;
struct metrics_server;

struct metrics_buf {
	char	*s;
	size_t	 len, cap;
	int	 failed;	/* out of memory: the scrape answers 500 */
};

/* "# HELP name help" and "# TYPE name type" (counter, gauge, ...). */
void	 metrics_family(struct metrics_buf *, const char *name,
	    const char *type, const char *help);
/*
 * One sample: name{labels} value.  labels is NULL or alternating
 * key, value strings ending with NULL; values are escaped as the format
 * requires (backslash, double quote, newline).
 */
void	 metrics_u64(struct metrics_buf *, const char *name, uint64_t,
	    const char *const *labels);
void	 metrics_double(struct metrics_buf *, const char *name, double,
	    const char *const *labels);

/* A family of one unlabelled sample. */
void	 metrics_one(struct metrics_buf *, const char *name, const char *type,
	    const char *help, uint64_t);
/* A counter family with one sample per value of one label: values[i]
 * counted v[i], n of them. */
void	 metrics_by_label(struct metrics_buf *, const char *name,
	    const char *help, const char *label, const char *const *values,
	    const uint64_t *v, int n);

/* The buffer's text; metrics_buf_free releases it. */
void	 metrics_buf_free(struct metrics_buf *);

/*
 * Listen on every address of ls (n of them) and answer GET /metrics with
 * what collect writes (Content-Type text/plain; version=0.0.4), anything
 * else with 404 or 405.  Returns NULL with a reason in err.
 */
struct metrics_server *metrics_server_new(struct event_base *,
	    const struct conf_listen *ls, int n,
	    void (*collect)(struct metrics_buf *, void *), void *arg,
	    char *err, size_t errlen);
void	 metrics_server_free(struct metrics_server *);
/* Scrapes served so far. */
uint64_t metrics_server_scrapes(const struct metrics_server *);

#endif
