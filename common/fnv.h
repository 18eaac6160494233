/*
 * fnv.h -- FNV-1a, 32 bits: a fast unkeyed hash for in-memory tables (the
 * interned reasons of the zone index and the zone renderer, the web
 * guard's buckets).  Where every packet's source picks the key, a keyed
 * hash is used instead (SipHash: dnsd/siphash.h, RRL and the daily limit).
 */
#ifndef ORBL_FNV_H
#define ORBL_FNV_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t
fnv1a32(const void *p, size_t len)
{
	const uint8_t	*s = p;
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619U;
	return h;
}

#endif
