/*
 * fmt.h -- the few value formats every front end shows the same way.
 * Pure; each returns buf.
 */
#ifndef ORBL_FMT_H
#define ORBL_FMT_H

#include <stddef.h>
#include <stdint.h>

/* A DNSBL answer code (host order) as a dotted quad: "127.0.0.2". */
char	*fmt_code(uint32_t code, char *buf, size_t len);
/* A Unix time as RFC 3339 UTC ("2026-12-06T22:55:27Z"); 0: "never". */
char	*fmt_time_iso(int64_t t, char *buf, size_t len);
/* A Unix time for people ("2026-12-06 22:55:27 UTC"); 0: "never". */
char	*fmt_time_human(int64_t t, char *buf, size_t len);

#endif
