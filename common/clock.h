/*
 * clock.h - the one clock every decision reads.
 *
 * CLOCK_WALL (default): the system's real time.
 * CLOCK_EVENT (ORCH_CLOCK=event, replay mode): time is the highest event time
 * seen so far (clock_observe), so a replay of history is deterministic and
 * cooldowns and windows mean the same as live. Before the first event, event
 * time is 0. Monotonic: observing an older time never moves it back.
 * clock_mono_ms() is for timeouts and latency only, never for decisions.
 * All functions are thread-safe.
 */
#ifndef ORCH_CLOCK_H
#define ORCH_CLOCK_H

#include <stdint.h>

enum clock_mode { CLOCK_MODE_WALL = 0, CLOCK_MODE_EVENT };

void clock_set_mode(enum clock_mode mode);
/* Decision time in milliseconds since the Unix epoch (UTC). */
int64_t clock_now_ms(void);
/* The system's real time, whatever the mode: for judging timestamps
 * (an event stamped in the future), never for decisions. */
int64_t clock_wall_ms(void);
/* Feeds an event's own time (ms since epoch); no effect in wall mode. */
void clock_observe_ms(int64_t event_ms);
/* Monotonic milliseconds, arbitrary origin. */
int64_t clock_mono_ms(void);
/* Monotonic nanoseconds, for latency measurement. */
int64_t clock_mono_ns(void);

#endif
