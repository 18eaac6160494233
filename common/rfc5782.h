/*
 * rfc5782.h -- the DNSBL conventions of RFC 5782 that every part of orbl
 * shares: the test points and the default answer.  Constants only.
 *
 * RFC 5782 section 5: an IPv4 DNSxL MUST list 127.0.0.2 and MUST NOT list
 * 127.0.0.1; an IPv6 one MUST list ::FFFF:7F00:2 and MUST NOT list
 * ::FFFF:7F00:1 (orbl stores IPv4-mapped addresses as IPv4, so the same
 * two entries serve both).  Section 2.1: the A record of a listing is in
 * 127.0.0.0/8, 127.0.0.2 by convention.
 */
#ifndef ORBL_RFC5782_H
#define ORBL_RFC5782_H

/* Host-order IPv4 test points. */
#define RFC5782_TP_LISTED	0x7f000002U	/* 127.0.0.2: always listed */
#define RFC5782_TP_NEVER	0x7f000001U	/* 127.0.0.1: never listed */

/* The TXT orbl answers at the test point (and its lookup reports). */
#define RFC5782_TP_REASON	"RFC 5782 test point: always listed"
#define RFC5782_TP_NEVER_WHY	"RFC 5782 test point: never listed"

/* The customary A record of a listed address (section 2.1). */
#define RFC5782_DEFAULT_A	0x7f000002U

#endif
