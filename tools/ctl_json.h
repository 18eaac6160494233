/*
 * ctl_json.h -- orblctl's JSON output, built with jansson.  Every JSON
 * document a verb prints is made here (cj_: "ctl JSON") and written by
 * cj_write: compact, one document on one line (list --format json writes
 * one compact object per line inside its array).
 *
 * The encoders only build: each returns a new reference, or NULL when
 * jansson fails (out of memory), and leaks nothing then.  Strings are
 * taken as they come from the database, the network or a mail queue:
 * NULL becomes null and bytes that are not UTF-8 become U+FFFD, so a
 * hostile SMTP reply or TXT record cannot make a document unprintable.
 */
#ifndef ORBL_CTL_JSON_H
#define ORBL_CTL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "addr.h"

struct db_event;
struct delist_request;
struct listing;
struct lookup;
struct mailq_stats;
struct mailq_top_entry;
struct policy_request;
struct policy_submit;
struct probe;
struct probe_test_row;

/* --- values --------------------------------------------------------- */

json_t	*cj_str(const char *);		/* NULL: null */
json_t	*cj_int(int64_t);
json_t	*cj_uint(uint64_t);		/* above INT64_MAX: INT64_MAX */
json_t	*cj_int_or_null(int64_t);	/* 0 (an unset time or id): null */
json_t	*cj_bool(int);
/*
 * Put v (a new reference, taken even on failure) into obj under key, or
 * at the end of arr.  -1 when v is NULL (an encoder failed) or jansson
 * fails, so a chain of them can end in one test.
 */
int	 cj_set(json_t *obj, const char *key, json_t *v);
int	 cj_push(json_t *arr, json_t *v);
/* v, compact, to f; then '\n' when nl.  0, or -1 (jansson or write). */
int	 cj_write(FILE *f, const json_t *v, int nl);

/* --- listings and lookup ------------------------------------------ */

/* {"cidr","exclude","code","reason","source","actor","created",
 *  "updated","expires","expired"}; expired: expires <= now. */
json_t	*cj_listing(const struct listing *, int64_t now);
/* {"address","listed","entry","exclude","code","reason","why","source",
 *  "created","expires","covering":[listing],"history":[...]}: lookup's
 * object before the probe evidence is added. */
json_t	*cj_lookup(const struct lookup *, int64_t now);

/* A probe run as lookup shows it (copied out of a db callback). */
struct cj_run {
	int64_t	 id, started, finished;
	int	 relayed_test, port;
	char	 verdict[32], hops[16], output[ADDR_STRLEN];
};
/* {"probe","port","started","finished","verdict","hops","relayed_test",
 *  "output_addr"} */
json_t	*cj_run(const struct cj_run *);
/* {"test","name","mail_from","rcpt_to","mail_reply","rcpt_reply",
 *  "data_reply","result","arrived","arrived_from","received"} */
json_t	*cj_probe_test(const struct probe_test_row *);
/* {"ts","kind","ref","what","actor","why"} */
json_t	*cj_event(const struct db_event *);

/* --- submissions and delisting requests ----------------------------- */

/* Queued: {"address","port","submission","state":"queued","queued":true};
 * else {"address","state":"done","verdict","probe","queued":false}. */
json_t	*cj_submit(const struct policy_submit *, int port);
/* {"request","address","state":"pending","existing","not_before"} */
json_t	*cj_delist(const struct policy_request *);
/* {"request","address","contact","note","state","created","not_before",
 *  "tries","probe","decided","decision"} */
json_t	*cj_request(const struct delist_request *);
/* {"probe","verdict","transcript"}: request show's "retest". */
json_t	*cj_retest(const struct probe *);

/* --- stats ------------------------------------------------------------ */

/* One count from db_stats(). */
struct cj_kv {
	char	 group[16], key[32];
	int64_t	 n;
};
/* The counts of one group as an object: the fixed keys first (always,
 * 0 when absent), then the others in the order they came. */
json_t	*cj_group(const struct cj_kv *, int nkv, const char *group,
	    const char *const *fixed);

struct cj_stats {
	int64_t			 listed, excluded;
	uint32_t		 serial;
	int64_t			 sub[4];	/* queued probing done failed */
	const struct cj_kv	*kv;
	int			 nkv;
	/* the keys always written, in this order */
	const char *const	*sources;
	const char *const	*ages;
	const char *const	*requests;
};
/* {"listings":{"listed","excluded","by_source","by_age"},"serial",
 *  "submissions":{...},"requests":{...},"probes_last_day":{...}} */
json_t	*cj_stats(const struct cj_stats *);

/* --- check -------------------------------------------------------------- */

/* One list's result. */
struct cj_check_list {
	const char	*zone;
	const char	*server;	/* NULL: none */
	int		 listed;
	const uint32_t	*codes;
	int		 ncodes;
	char *const	*txt;		/* written only when listed */
	int		 ntxt;
	const char	*error;		/* NULL: the list answered */
	int64_t		 ms;
};
/* {"address","listed","answered","lists":[{"zone","server","listed",
 *  "codes","txt","error","ms"}]} */
json_t	*cj_check(const char *address, int listed, int answered,
	    const struct cj_check_list *, int n);

/* --- queue-check ------------------------------------------------------ */

/* [{keyname: key, "count": n}] */
json_t	*cj_top(const struct mailq_top_entry *, size_t n,
	    const char *keyname);

struct cj_queue {
	const char			*status, *summary;
	uint64_t			 messages;	/* the count judged */
	const struct mailq_stats	*st;
	long long			 warn, crit;
	int				 exact;
	const struct mailq_top_entry	*dom, *snd;
	size_t				 ndom, nsnd;
};
/* {"status","summary","messages","format","listed","reported",
 *  "deferred","frozen","hold","active","queued","recipients","bytes",
 *  "garbage_lines","warn","crit","exact","top_recipient_domains",
 *  "top_senders"} */
json_t	*cj_queue(const struct cj_queue *);
/* {"status":"UNKNOWN","summary","error","messages":null,"format":null,
 *  "warn","crit"} */
json_t	*cj_queue_unknown(const char *summary, const char *error,
	    long long warn, long long crit);

#endif
