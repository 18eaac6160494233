/*
 * net.h -- socket addresses from text.  Pure: no name resolution, no
 * logging.
 */
#ifndef ORBL_NET_H
#define ORBL_NET_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A numeric IPv4 or IPv6 address and a port as a sockaddr.  Returns 0
 * with *ss and *sslen set, or -1 when ip is not a numeric address.
 */
int	 net_sockaddr(const char *ip, uint16_t port,
	    struct sockaddr_storage *ss, socklen_t *sslen);

/* The address of sa as text (no port); an IPv4-mapped IPv6 address as
 * plain IPv4.  "?" for another family. */
char	*net_sockaddr_ip(const struct sockaddr *sa, char *buf, size_t len);

#endif
