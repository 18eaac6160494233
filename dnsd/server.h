/*
 * server.h -- orbl-dnsd's sockets: UDP (batched recvmmsg/sendmmsg) and
 * TCP (RFC 7766 framing, pipelining, idle timeout, connection cap).
 *
 * The per-query path (server.c -> query.c -> zone_index.c -> answer.c)
 * allocates nothing, takes no lock, never calls SQLite and never logs:
 * failures are counters.  Only TCP connection setup allocates.
 */
#ifndef ORBL_SERVER_H
#define ORBL_SERVER_H

#include <stddef.h>

struct conf;
struct event_base;
struct dnsd_data;
struct server;
struct server_stats;
struct answer_stats;

/* Bind every dns_listen address (UDP and TCP).  NULL + err on failure. */
struct server	*server_new(const struct conf *, char *err, size_t errlen);
/* Start serving on base; *datap is read at each query (swapped by the
 * caller on the same thread). */
void		 server_start(struct server *, struct event_base *,
		    struct dnsd_data *const *datap);
void		 server_free(struct server *);
void		 server_stats(const struct server *, struct server_stats *,
		    struct answer_stats *);

#endif
