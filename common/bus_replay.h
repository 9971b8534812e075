/*
 * bus_replay.h - reads back the newest entries of several event streams
 * and hands them to a callback oldest first, merged across the streams by
 * entry id, so a service that keeps windows (risk, strategy scores) can
 * rebuild them on start or on taking over a role, computing the same
 * numbers a replica that saw every event live computed.
 *
 * The streams are read with paged XREVRANGE on a connection of its own,
 * newest first, until max_per_stream entries or an entry older than
 * min_ms; a lost connection restarts the read from scratch once it is
 * back. Entries are decoded like the EventBus decodes them (same
 * envelope, same "direct" format); undecodable ones, and those stamped
 * too far ahead of the host's clock, are counted and skipped, as the
 * consumer group dead-letters them anyway. The id of the
 * newest entry read per stream is reported, so live deliveries at or
 * below it can be recognised as already applied.
 *
 * Single-threaded: every call on the loop thread.
 */
#ifndef ORCH_BUS_REPLAY_H
#define ORCH_BUS_REPLAY_H

#include <stdint.h>
#include <uv.h>

#include "bus_envelope.h"
#include "config.h"

#define BUS_REPLAY_MAX_TYPES 16
#define BUS_REPLAY_ID_LEN    48

struct bus_replay;

struct bus_replay_config {
	const char *prefix;       /* streams are {prefix}:stream:{type} */
	const char *const *types; /* 1..BUS_REPLAY_MAX_TYPES event types */
	int n_types;
	long max_per_stream; /* newest entries read per stream, >= 1 */
	int64_t min_ms;      /* skip entries whose id is older (ms); 0 = none */
	int max_future_ms;   /* skip entries stamped further ahead of the host's clock
				(bus_envelope_check_future); 0 = no check */
};

struct bus_replay_result {
	long events;      /* handed to the callback */
	long undecodable; /* skipped */
	/* newest entry id read per type ("" when the stream was empty) */
	char last_id[BUS_REPLAY_MAX_TYPES][BUS_REPLAY_ID_LEN];
};

/* One event, oldest first; ev is valid during the call only. */
typedef void (*bus_replay_event_fn)(const struct bus_event *ev, void *data);
/* The end: status 0, or ORCH_ECLOSED when cancelled (no more events). */
typedef void (*bus_replay_done_fn)(int status, const struct bus_replay_result *res, void *data);

/* Starts the replay; on_done is called exactly once, after which the
 * replay frees itself. Returns 0, ORCH_EINVAL or ORCH_ENOMEM (nothing
 * started, no callback). */
int bus_replay_start(struct bus_replay **out, uv_loop_t *loop, const struct redis_target *target,
		     const struct bus_replay_config *cfg, bus_replay_event_fn on_event, bus_replay_done_fn on_done,
		     void *data);
/* Stops a replay still running: on_done(ORCH_ECLOSED) is called now. */
void bus_replay_cancel(struct bus_replay *r);

/* Orders two stream entry ids ("ms-seq"): <0, 0, >0. An empty id is
 * older than any other. */
int bus_compare_ids(const char *a, const char *b);

#endif
