/*
 * siphash.h -- SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed
 * 64-bit hash: the RRL and daily-limit tables' index (a random key per
 * process, so a flood cannot aim at one slot) and the DNS server cookie
 * (RFC 9018).  Written from the paper; tests/unit/test_rrl.c checks it
 * against libcrypto's EVP_MAC "SIPHASH".  Pure, no allocation: libcrypto's
 * EVP_MAC needs a context per call, which the query path cannot afford.
 */
#ifndef ORBL_SIPHASH_H
#define ORBL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEYLEN	16

uint64_t siphash24(const uint8_t key[SIPHASH_KEYLEN], const void *, size_t);

#endif
