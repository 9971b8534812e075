/*
 * rng.h - the process's one source of random numbers for ids and jitter:
 * xorshift64* seeded from getrandom() (from the monotonic clock if that
 * fails), so that two processes started together never draw the same
 * backoffs. Thread-safe. Not for secrets.
 */
#ifndef ORCH_RNG_H
#define ORCH_RNG_H

#include <stdint.h>

/* 64 random bits. */
uint64_t rng_u64(void);
/* Uniform in [0, 1). */
double rng_unit(void);

#endif
