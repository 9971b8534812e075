/*
 * hmac.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for signing
 * operator commands (command_auth.h). Pure: no I/O, no state between
 * calls.
 */
#ifndef ORCH_HMAC_H
#define ORCH_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	unsigned char block[64];
	size_t fill; /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);

/* HMAC-SHA256 of msg under key (any length), as 64 lowercase hex digits;
 * hex must hold 65 bytes. */
void hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen, char *hex);
/* 1 when the n bytes of a and b are equal, in time independent of where
 * they differ. */
int hmac_equal(const void *a, const void *b, size_t n);

#endif
