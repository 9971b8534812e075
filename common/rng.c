/*
 * rng.c - xorshift64*, seeded once per process (see rng.h).
 */
#include "rng.h"

#include <pthread.h>
#include <sys/random.h>

#include "clock.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t state;

uint64_t rng_u64(void)
{
	pthread_mutex_lock(&lock);
	if (state == 0) {
		if (getrandom(&state, sizeof(state), 0) != sizeof(state) || state == 0)
			state = (uint64_t)clock_mono_ns() ^ 0x9E3779B97F4A7C15ULL;
	}
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	uint64_t r = state * 0x2545F4914F6CDD1DULL;
	pthread_mutex_unlock(&lock);
	return r;
}

double rng_unit(void)
{
	return (double)(rng_u64() >> 11) / (double)(1ULL << 53);
}
