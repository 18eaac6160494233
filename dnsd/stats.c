/*
 * stats.c -- see stats.h.  Runs on the main thread, from a snapshot: it
 * never touches a counter itself.
 */
#include <stdio.h>

#include "log.h"
#include "metrics.h"
#include "stats.h"
#include "version.h"

void
stats_log(const struct dnsd_stats *s, const char *why)
{
	log_info("stats (%s): serial %u entries %zu index %zu bytes "
	    "reloads %llu polls %llu udp in %llu out %llu dropped %llu "
	    "tcp accepted %llu queries %llu evicted %llu idle-closed %llu "
	    "bad %llu noerror %llu nxdomain %llu nodata %llu refused %llu "
	    "formerr %llu notimp %llu badvers %llu truncated %llu "
	    "denied %llu excessive %llu excessive-tc %llu rrl-dropped %llu rrl-slipped %llu "
	    "cookies-valid %llu cookies-new %llu badcookie %llu "
	    "axfr %llu ixfr %llu ixfr-full %llu xfr-denied %llu "
	    "xfr-failed %llu notify-sent %llu notify-answered %llu "
	    "notify-failed %llu",
	    why,
	    s->serial, s->entries, s->index_bytes,
	    (unsigned long long)(s->builds + s->patches),
	    (unsigned long long)s->polls, (unsigned long long)s->udp_in,
	    (unsigned long long)s->udp_out,
	    (unsigned long long)s->udp_dropped,
	    (unsigned long long)s->tcp_accepted,
	    (unsigned long long)s->tcp_in, (unsigned long long)s->tcp_evicted,
	    (unsigned long long)s->tcp_idle_closed,
	    (unsigned long long)s->tcp_bad, (unsigned long long)s->noerror,
	    (unsigned long long)s->nxdomain, (unsigned long long)s->nodata,
	    (unsigned long long)s->refused, (unsigned long long)s->formerr,
	    (unsigned long long)s->notimp, (unsigned long long)s->badvers,
	    (unsigned long long)s->truncated,
	    (unsigned long long)(s->acl_refused + s->acl_dropped +
	    s->acl_blocked), (unsigned long long)s->excessive,
	    (unsigned long long)s->excessive_tc,
	    (unsigned long long)s->rrl_dropped,
	    (unsigned long long)s->rrl_slipped,
	    (unsigned long long)s->cookie_valid,
	    (unsigned long long)s->cookie_new,
	    (unsigned long long)s->cookie_bad,
	    (unsigned long long)s->xfr_axfr, (unsigned long long)s->xfr_ixfr,
	    (unsigned long long)s->xfr_ixfr_full,
	    (unsigned long long)(s->xfr_refused + s->xfr_notauth),
	    (unsigned long long)s->xfr_failed,
	    (unsigned long long)s->notify_sent,
	    (unsigned long long)s->notify_answered,
	    (unsigned long long)s->notify_failed);
}

void
stats_metrics(const struct dnsd_stats *s, struct metrics_buf *b)
{
	const char	*name;
	int		 t, r;

	metrics_family(b, "orbl_dns_build_info", "gauge",
	    "orbl-dnsd's version (the value is always 1)");
	metrics_u64(b, "orbl_dns_build_info", 1,
	    (const char *const[]){ "version", ORBL_VERSION, NULL });

	/* Only the combinations that occurred: most never do. */
	name = "orbl_dns_queries_total";
	metrics_family(b, name, "counter", "Queries answered (UDP and TCP), "
	    "by query type and response code");
	for (t = 0; t < ANSWER_QT_N; t++)
		for (r = 0; r < ANSWER_RC_N; r++)
			if (s->queries[t][r] > 0)
				metrics_u64(b, name, s->queries[t][r],
				    (const char *const[]){
				    "qtype", answer_qtype_names[t],
				    "rcode", answer_rcode_names[r], NULL });
	name = "orbl_dns_answers_total";
	metrics_family(b, name, "counter", "Lookups of a whole IPv4 or IPv6 "
	    "address under a zone, by whether it is listed");
	metrics_u64(b, name, s->listed,
	    (const char *const[]){ "result", "listed", NULL });
	metrics_u64(b, name, s->not_listed,
	    (const char *const[]){ "result", "not_listed", NULL });
	metrics_one(b, "orbl_dns_truncated_total", "counter", "Replies cut to the "
	    "question with TC set (too big for the client's UDP size)",
	    s->truncated);

	name = "orbl_dns_access_denied_total";
	metrics_family(b, name, "counter", "Queries from sources that "
	    "query_allow / query_deny do not allow, by query_deny_action");
	metrics_u64(b, name, s->acl_refused,
	    (const char *const[]){ "action", "refuse", NULL });
	metrics_u64(b, name, s->acl_dropped,
	    (const char *const[]){ "action", "drop", NULL });
	metrics_u64(b, name, s->acl_blocked,
	    (const char *const[]){ "action", "blocked", NULL });
	metrics_one(b, "orbl_dns_daily_limit_exceeded_total", "counter",
	    "Queries beyond query_daily_limit from proven sources (TCP, a "
	    "valid DNS cookie), answered 127.255.255.255", s->excessive);
	metrics_one(b, "orbl_dns_daily_limit_truncated_total", "counter",
	    "UDP queries beyond query_daily_limit from sources not proven "
	    "(no valid DNS cookie), answered TC (or BADCOOKIE) so that they "
	    "prove themselves", s->excessive_tc);
	metrics_one(b, "orbl_dns_rrl_dropped_total", "counter", "UDP replies "
	    "not sent by response rate limiting", s->rrl_dropped);
	metrics_one(b, "orbl_dns_rrl_slipped_total", "counter", "UDP replies "
	    "sent truncated (TC) by response rate limiting instead of dropped",
	    s->rrl_slipped);
	name = "orbl_dns_cookies_total";
	metrics_family(b, name, "counter", "Queries with a DNS cookie (RFC "
	    "7873): with a valid server cookie of ours, given a new one, or "
	    "answered BADCOOKIE instead of an RRL slip");
	metrics_u64(b, name, s->cookie_valid,
	    (const char *const[]){ "result", "valid", NULL });
	metrics_u64(b, name, s->cookie_new,
	    (const char *const[]){ "result", "new", NULL });
	metrics_u64(b, name, s->cookie_bad,
	    (const char *const[]){ "result", "badcookie", NULL });

	metrics_one(b, "orbl_dns_udp_received_total", "counter",
	    "UDP datagrams received", s->udp_in);
	metrics_one(b, "orbl_dns_udp_sent_total", "counter", "UDP replies sent",
	    s->udp_out);
	metrics_one(b, "orbl_dns_udp_dropped_total", "counter", "UDP datagrams not "
	    "answered: not a query, too big, or the reply could not be sent",
	    s->udp_dropped);
	metrics_one(b, "orbl_dns_udp_workers", "gauge", "UDP query threads",
	    (uint64_t)s->workers);
	metrics_one(b, "orbl_dns_tcp_connections_total", "counter",
	    "TCP connections accepted", s->tcp_accepted);
	metrics_one(b, "orbl_dns_tcp_open_connections", "gauge",
	    "TCP connections open now", s->tcp_open);
	metrics_one(b, "orbl_dns_tcp_evicted_total", "counter", "TCP connections "
	    "closed to make room at tcp_max_clients (the longest idle)",
	    s->tcp_evicted);
	metrics_one(b, "orbl_dns_tcp_idle_closed_total", "counter",
	    "TCP connections closed after tcp_idle_timeout",
	    s->tcp_idle_closed);
	metrics_one(b, "orbl_dns_tcp_received_total", "counter",
	    "DNS messages received over TCP", s->tcp_in);
	metrics_one(b, "orbl_dns_tcp_sent_total", "counter",
	    "DNS replies sent over TCP", s->tcp_out);
	metrics_one(b, "orbl_dns_tcp_bad_total", "counter", "TCP connections closed "
	    "on a message that is not a DNS query", s->tcp_bad);

	metrics_one(b, "orbl_dns_soa_serial", "gauge", "SOA serial of the data "
	    "serving (the database's journal serial)", s->serial);
	metrics_one(b, "orbl_dns_database_serial", "gauge", "The journal serial the "
	    "loader last read from the database: ahead of orbl_dns_soa_serial "
	    "while a change waits to be served (0: not read yet)",
	    s->db_serial);
	metrics_one(b, "orbl_dns_index_entries", "gauge",
	    "Listings and exclusions in the index serving", s->entries);
	metrics_one(b, "orbl_dns_index_bytes", "gauge",
	    "Memory of the index serving, in bytes", s->index_bytes);
	name = "orbl_dns_last_load_timestamp_seconds";
	metrics_family(b, name, "gauge", "When the data serving was swapped "
	    "in, Unix time (0: no database loaded yet)");
	metrics_double(b, name, s->last_load, NULL);
	name = "orbl_dns_last_load_duration_seconds";
	metrics_family(b, name, "gauge", "Time the last full build or the "
	    "last patch from the journal took");
	if (s->build_secs >= 0)
		metrics_double(b, name, s->build_secs,
		    (const char *const[]){ "kind", "build", NULL });
	if (s->patch_secs >= 0)
		metrics_double(b, name, s->patch_secs,
		    (const char *const[]){ "kind", "patch", NULL });
	name = "orbl_dns_reloads_total";
	metrics_family(b, name, "counter", "New data swapped in since the "
	    "start: full builds and patches from the journal");
	metrics_u64(b, name, s->builds,
	    (const char *const[]){ "kind", "build", NULL });
	metrics_u64(b, name, s->patches,
	    (const char *const[]){ "kind", "patch", NULL });
	metrics_one(b, "orbl_dns_loader_polls_total", "counter",
	    "Looks of the loader at the database", s->polls);
	metrics_one(b, "orbl_dns_loader_errors_total", "counter", "Looks at the "
	    "database that failed (missing, locked, corrupt): the last good "
	    "data keeps serving", s->loader_errors);
	metrics_one(b, "orbl_dns_loader_failing", "gauge", "1 while the database "
	    "cannot be read, else 0", (uint64_t)(s->loader_failing != 0));
	metrics_one(b, "orbl_dns_metrics_scrapes_total", "counter",
	    "Scrapes of this endpoint, this one included", s->scrapes);

	name = "orbl_dns_xfr_total";
	metrics_family(b, name, "counter", "Zone transfers served: AXFR, "
	    "IXFR as a difference, IXFR answered with the whole zone");
	metrics_u64(b, name, s->xfr_axfr,
	    (const char *const[]){ "kind", "axfr", NULL });
	metrics_u64(b, name, s->xfr_ixfr,
	    (const char *const[]){ "kind", "ixfr", NULL });
	metrics_u64(b, name, s->xfr_ixfr_full,
	    (const char *const[]){ "kind", "ixfr_full", NULL });
	name = "orbl_dns_xfr_denied_total";
	metrics_family(b, name, "counter", "Transfer requests denied: not "
	    "allowed by xfr_allow (refused), or TSIG failed (notauth)");
	metrics_u64(b, name, s->xfr_refused,
	    (const char *const[]){ "why", "refused", NULL });
	metrics_u64(b, name, s->xfr_notauth,
	    (const char *const[]){ "why", "notauth", NULL });
	metrics_one(b, "orbl_dns_xfr_failed_total", "counter", "Transfers cut "
	    "off before the end (the secondary went away, an error)",
	    s->xfr_failed);
	metrics_one(b, "orbl_dns_xfr_bytes_total", "counter", "Bytes of the "
	    "transfers served", s->xfr_bytes);
	metrics_one(b, "orbl_dns_xfr_running", "gauge", "Transfers under way",
	    s->xfr_running);
	metrics_one(b, "orbl_dns_tsig_queries_total", "counter", "TSIG-signed "
	    "queries other than transfers (secondaries' SOA checks)",
	    s->tsig_queries);
	name = "orbl_dns_notify_total";
	metrics_family(b, name, "counter", "NOTIFY messages sent (retries "
	    "included), answered, and given up after the last try");
	metrics_u64(b, name, s->notify_sent,
	    (const char *const[]){ "result", "sent", NULL });
	metrics_u64(b, name, s->notify_answered,
	    (const char *const[]){ "result", "answered", NULL });
	metrics_u64(b, name, s->notify_failed,
	    (const char *const[]){ "result", "failed", NULL });
}
