/*
 * clock.c - the decision clock (see clock.h): wall time, or in replay mode
 * the highest event time observed, so replays are deterministic.
 */
#include "clock.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "orch.h"

static _Atomic int mode = CLOCK_MODE_WALL;
static _Atomic int64_t event_ms;

void clock_set_mode(enum clock_mode m)
{
	atomic_store(&mode, (int)m);
}

int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
	if (atomic_load(&mode) == CLOCK_MODE_EVENT)
		return atomic_load(&event_ms);
	return clock_wall_ms();
}

void clock_observe_ms(int64_t ms)
{
	if (atomic_load(&mode) != CLOCK_MODE_EVENT)
		return;
	int64_t cur = atomic_load(&event_ms);
	while (ms > cur && !atomic_compare_exchange_weak(&event_ms, &cur, ms))
		;
}

int64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}
