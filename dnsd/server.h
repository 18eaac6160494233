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
struct dnsd_stats;
struct xfr;

/* Bind every dns_listen address (UDP and TCP).  NULL + err on failure. */
struct server	*server_new(const struct conf *, char *err, size_t errlen);
/*
 * Start serving: TCP and UDP worker 0 on base (the caller's thread), the
 * other UDP workers on threads of their own.  The server owns data.
 */
void		 server_start(struct server *, struct event_base *,
		    struct dnsd_data *data);
/*
 * Publish new data (caller's thread = base's thread).  Queries started
 * after this see it; the old data is freed once no worker can hold it.
 */
void		 server_set_data(struct server *, struct dnsd_data *);
const struct dnsd_data *server_data(const struct server *);
int		 server_nworkers(const struct server *);
/* Zone transfers and TSIG (keys, counters). */
struct xfr	*server_xfr(struct server *);
/* Stop and join the worker threads (their counters are final then). */
void		 server_stop(struct server *);
/* Stops the worker threads and frees everything, the data included. */
void		 server_free(struct server *);
/* Add the sockets' and the replies' counters into the snapshot (the
 * main thread; the workers go on counting meanwhile). */
void		 server_stats(const struct server *, struct dnsd_stats *);

#endif
