/*
 * stats.h -- orbl-dnsd's numbers, taken at one time into a plain struct
 * (server_stats(), main.c), then written as the stats log line or as
 * Prometheus metrics: both from the same snapshot, so they agree.
 */
#ifndef ORBL_STATS_H
#define ORBL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "answer.h"

struct metrics_buf;

struct dnsd_stats {
	/* The sockets (server.c), summed over the UDP workers. */
	uint64_t	 udp_in, udp_out, udp_dropped;
	uint64_t	 tcp_accepted, tcp_evicted, tcp_idle_closed, tcp_in,
			 tcp_out, tcp_bad;
	uint64_t	 tcp_open;		/* connections open now */
	/* The access rules and RRL (server.c). */
	uint64_t	 acl_refused, acl_dropped, acl_blocked, excessive,
			 excessive_tc,
			 rrl_dropped, rrl_slipped;
	uint64_t	 cookie_valid, cookie_new, cookie_bad;
	int		 workers;
	/* The replies (answer.c); see struct answer_stats. */
	uint64_t	 noerror, nxdomain, nodata, refused, formerr, notimp,
			 servfail, badvers, truncated, dropped;
	uint64_t	 listed, not_listed;
	uint64_t	 queries[ANSWER_QT_N][ANSWER_RC_N];
	/* The data serving. */
	uint32_t	 serial;
	size_t		 entries, index_bytes;
	/* Loads (main.c, reload.c). */
	uint64_t	 builds, patches;	/* swapped in since the start */
	uint64_t	 polls, loader_errors;
	int		 loader_failing;	/* the last poll failed */
	uint32_t	 db_serial;	/* the journal's, as last read */
	double		 last_load;		/* wall clock; 0: never */
	double		 build_secs, patch_secs; /* the last; < 0: none */
	uint64_t	 scrapes;
	/* Zone transfers and NOTIFY (xfr.c, notify.c). */
	uint64_t	 xfr_axfr, xfr_ixfr, xfr_ixfr_full, xfr_refused,
			 xfr_notauth, xfr_failed, xfr_bytes, tsig_queries;
	uint64_t	 xfr_running;
	uint64_t	 notify_sent, notify_answered, notify_failed;
};

/* The "stats (why): ..." line at level info. */
void	 stats_log(const struct dnsd_stats *, const char *why);
/* The orbl_dns_* metrics (README, "Metrics"). */
void	 stats_metrics(const struct dnsd_stats *, struct metrics_buf *);

#endif
