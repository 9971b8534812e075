/*
 * replica.h - one active replica per role for services that keep windows
 * (risk_officer, strategy_officer): the holder of the lease {role}
 * consumes, the others wait as standbys.
 *
 * On taking the lease a replica replays the newest entries of its input
 * streams (bus_replay.h) through on_replay, so its windows hold what the
 * previous active replica's held; then the bus starts consuming the
 * group and on_active runs. replica_covered() tells the handler which
 * deliveries the replay already applied (ACK them without applying). A
 * replica that loses the lease steps down in the same process: it stops
 * consuming (bus_pause: what was delivered is handled first, and the next
 * active replica's rebuild covers it), on_standby lets the service forget
 * its windows, and it contends for the lease again. It never exits for it;
 * orch_replica_step_downs_total{role} counts the step-downs.
 *
 * Single-threaded: every call on the loop thread.
 */
#ifndef ORCH_REPLICA_H
#define ORCH_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "bus_replay.h"
#include "service.h"

struct replica;

struct replica_config {
	const char *role;         /* lease role, e.g. "risk_officer" */
	const char *const *types; /* input event types, as subscribed */
	int n_types;              /* 1..BUS_REPLAY_MAX_TYPES */
	long rebuild_max;         /* entries replayed per stream; 0 = none */
	int64_t rebuild_age_ms;   /* replay entries younger than this; 0 = all */
};

struct replica_hooks {
	void (*on_replay)(const struct bus_event *ev, void *data); /* one replayed event */
	void (*on_active)(void *data);                             /* replay done, consuming started */
	void (*on_standby)(void *data);                            /* stepped down: forget what the windows hold */
	void *data;
};

/* Creates the replica for svc (config, loop, Redis) and bus (subscribed,
 * not started). Free with replica_free(). Returns 0 or a negative code. */
int replica_new(struct replica **out, struct service *svc, struct bus *bus, const struct replica_config *cfg,
		const struct replica_hooks *hooks);
/* Starts contending for the lease. */
int replica_start(struct replica *r);
/* 1 when a delivery of types[type_index] with this stream id was applied
 * by the replay. */
int replica_covered(const struct replica *r, int type_index, const char *stream_id);
/* 1 while active (consuming). */
int replica_is_active(const struct replica *r);
/* Readiness (service_check_fn shape): a standby is ready while its lease
 * connection is up, a rebuilding replica is not, an active one when its
 * bus is. */
int replica_check_ready(void *replica, char *buf, size_t len);
/* Stops a replay still running (call on shutdown, before bus_stop). */
void replica_stop(struct replica *r);
/* Releases the lease (a standby takes over at once) and frees. */
void replica_free(struct replica *r);

#endif
