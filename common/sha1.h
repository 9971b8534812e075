/*
 * sha1.h - SHA-1 of a buffer as 40 lowercase hex digits. Used only to name
 * Lua scripts for EVALSHA (Redis identifies cached scripts by SHA-1).
 */
#ifndef ORCH_SHA1_H
#define ORCH_SHA1_H

#include <stddef.h>

/* hex must hold 41 bytes. */
void sha1_hex(const void *data, size_t len, char *hex);

#endif
