/*
 * conf.h -- the one configuration format for every orbl program.
 *
 * "key = value" lines, '#' comments, blank lines.  Keys are the union of
 * what all programs use (one file serves them all); an unknown key is an
 * error naming the key and the line.  Every key has a built-in default,
 * so every program runs with no file at all.  conf_keys[] is the table the
 * parser runs on and the README's reference is generated from.
 */
#ifndef ORBL_CONF_H
#define ORBL_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define CONF_MAX_LIST	16	/* repeatable keys: at most this many */
#define CONF_SET_WORDS	4	/* room for 256 keys in conf.set */
#define CONF_BIT_ISSET(c, i)	(((c)->set[(i) / 64] >> ((i) % 64)) & 1)
#define CONF_BIT_SET(c, i)	((c)->set[(i) / 64] |= 1ULL << ((i) % 64))

struct conf_listen {
	char		 host[64];	/* "127.0.0.1", "::1" */
	uint16_t	 port;
};

struct conf {
	char		*database;
	char		*zones[CONF_MAX_LIST];
	int		 nzones;
	struct conf_listen dns_listen[CONF_MAX_LIST];
	int		 ndns_listen;
	char		*user;
	char		*ns[CONF_MAX_LIST];	/* NS names at the apex */
	int		 nns;
	char		*soa_mname;		/* "" = first NS */
	char		*soa_rname;		/* "hostmaster.<zone>" if "" */
	long long	 ttl;			/* positive answers */
	long long	 neg_ttl;		/* SOA minimum, RFC 2308 */
	long long	 soa_refresh, soa_retry, soa_expire;
	long long	 tcp_idle_timeout;
	long long	 tcp_max_clients;
	long long	 stats_interval;
	long long	 workers;		/* 0 = number of cores */
	char		*default_reason;	/* TXT when an entry has none */
	/* orbl-prober */
	struct conf_listen sink_listen[CONF_MAX_LIST];
	int		 nsink_listen;
	long long	 sink_max_per_peer, sink_session_timeout;
	char		*sink_domain, *sink_local, *helo_name, *from_local;
	char		*cookie_key;		/* "" = derived, see conf.c */
	char		*probe_allow[CONF_MAX_LIST];	/* CIDRs */
	int		 nprobe_allow;
	char		*probe_deny[CONF_MAX_LIST];	/* do-not-test CIDRs */
	int		 nprobe_deny;
	long long	 connect_timeout, smtp_timeout, probe_timeout;
	long long	 arrival_wait, probe_batch_wait, cookie_lifetime;
	long long	 tempfail_retry, tempfail_tries;
	long long	 retest_interval, relist_retest;
	long long	 probe_concurrency, probe_max_accepted, probe_max_rejects;
	long long	 submit_limit, prefix_limit;	/* per hour */
	long long	 prefix_len4, prefix_len6;	/* prefix_limit's nets */
	int		 probe_ports[CONF_MAX_LIST];	/* public submissions */
	int		 nprobe_ports;
	long long	 request_tries, request_contact_limit;
	long long	 queue_warn, queue_crit;	/* orblctl queue-check */
	/* orbl-web */
	struct conf_listen web_listen[CONF_MAX_LIST];
	int		 nweb_listen;
	char		*web_admin_token;	/* "" = no admin API */
	long long	 web_rate_limit;	/* POSTs per client per hour */
	char		*web_base_url;		/* "" = relative links */
	long long	 web_max_clients;	/* connections at once */
	char		*web_trust_proxy[CONF_MAX_LIST];	/* CIDRs */
	int		 nweb_trust_proxy;
	char		*web_check_lists[CONF_MAX_LIST];	/* ZONE[@IP:PORT] */
	int		 nweb_check_lists;
	long long	 web_check_timeout;
	/* orbl-dnsd on the open internet: RRL and query access rules */
	long long	 rrl_rate, rrl_slip, rrl_prefix4, rrl_prefix6;
	char		*rrl_exempt[CONF_MAX_LIST];	/* CIDRs */
	int		 nrrl_exempt;
	char		*query_allow[CONF_MAX_LIST];	/* CIDRs */
	int		 nquery_allow;
	char		*query_deny[CONF_MAX_LIST];	/* CIDRs */
	int		 nquery_deny;
	char		*query_deny_action;	/* refuse|drop|blocked */
	long long	 query_daily_limit;	/* 0: off */
	/* mirrors: zone transfers, NOTIFY, TSIG, the journal's horizon */
	char		*tsig_key[CONF_MAX_LIST];	/* NAME ALG SECRET */
	int		 ntsig_key;
	char		*xfr_allow[CONF_MAX_LIST];	/* CIDR [KEYNAME] */
	int		 nxfr_allow;
	long long	 xfr_max_clients;
	char		*notify[CONF_MAX_LIST];		/* ADDR:PORT [KEYNAME] */
	int		 nnotify;
	long long	 journal_keep;			/* s, 0: forever */
	/* submissions by mail, through the sink */
	char		*report_local, *selftest_local;
	char		*report_trust[CONF_MAX_LIST];	/* CIDRs */
	int		 nreport_trust;
	long long	 report_limit;		/* per sender, per peer, per hour */
	/* Prometheus /metrics listeners, one per daemon (none: off) */
	struct conf_listen dnsd_metrics_listen[CONF_MAX_LIST];
	int		 ndnsd_metrics_listen;
	struct conf_listen prober_metrics_listen[CONF_MAX_LIST];
	int		 nprober_metrics_listen;
	struct conf_listen web_metrics_listen[CONF_MAX_LIST];
	int		 nweb_metrics_listen;
	/* which keys were set by the file (bit i = conf_keys[i]) */
	uint64_t	 set[CONF_SET_WORDS];
};

enum conf_type {
	CONF_STR, CONF_STRLIST, CONF_LISTEN, CONF_DURATION, CONF_UINT,
	CONF_PORTS	/* port numbers, several per line, repeatable */
};

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* into struct conf */
	size_t		 countoff;	/* lists: the count member */
	const char	*dflt;		/* default, as config text ("" none) */
	const char	*help;
};

extern const struct conf_key conf_keys[];

/* Defaults for every key. */
void	 conf_init(struct conf *);
/*
 * Read FILE over the defaults.  Returns 0, or -1 with "FILE:LINE: reason"
 * in err (only the first problem).
 */
int	 conf_load(struct conf *, const char *path, char *err, size_t errlen);
/* One "key = value" line; for tests and command-line overrides. */
int	 conf_set(struct conf *, const char *key, const char *value,
	    char *err, size_t errlen);
/* Is key set explicitly (by a file or conf_set)? */
int	 conf_isset(const struct conf *, const char *key);
void	 conf_free(struct conf *);
/* Print the key table as a markdown table (for the README). */
void	 conf_print_reference(void);
/* Print orbl.conf(5), an mdoc page, from the same table. */
void	 conf_print_man(FILE *);

/* "host:port" / "[v6]:port" / "host" (default port) to a conf_listen. */
int	 conf_parse_listen(const char *, uint16_t defport, struct conf_listen *,
	    char *err, size_t errlen);

#endif
