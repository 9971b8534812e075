/*
 * lease.h - leader election for a singleton role with fencing tokens.
 *
 * Key {prefix}:lease:{role} holds "<holder>|<token>" with a TTL. Acquire is
 * SET NX PX with the token taken from INCR {prefix}:lease:{role}:fence (one
 * Lua call); the holder renews every ttl/3 by compare-and-pexpire in Lua.
 * The holder steps down on its own when no renewal succeeded within the ttl
 * (measured from when the last successful renewal was sent), so losing
 * Redis for longer than the ttl means losing leadership and two leaders
 * never coexist. The token is passed to PolicyStore writes as the fence.
 *
 * Single-threaded: every call on the loop thread.
 */
#ifndef ORCH_LEASE_H
#define ORCH_LEASE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"

struct lease;

struct lease_config {
	const char *prefix; /* "quantum" */
	const char *role;   /* e.g. "ceo" */
	const char *holder; /* unique per instance */
	int ttl_ms;         /* default 10000 */
};

/* The key of role's lease, "{prefix}:lease:{role}", into buf. Returns 0
 * or ORCH_EINVAL when it does not fit. */
int lease_key(char *buf, size_t len, const char *prefix, const char *role);
/* Splits a lease's value "holder|token" (token may be NULL). Returns 0 or
 * ORCH_EMALFORMED. */
int lease_parse(const char *value, char *holder, size_t holderlen, uint64_t *token);

/* leader = 1 with the fencing token when acquired, 0 when lost. */
typedef void (*lease_cb)(int leader, uint64_t token, void *data);

int lease_new(struct lease **out, uv_loop_t *loop, const struct lease_config *cfg, const struct redis_target *target,
	      lease_cb cb, void *data);
int lease_start(struct lease *l);
/* 1 when leader (token set), else 0. */
int lease_is_leader(const struct lease *l, uint64_t *token);
/* Readiness (service_check_fn shape; data is the lease): 1 while its Redis
 * connection is up, leader or standby alike. buf gets "leader, token 12",
 * "standby" or "Redis unreachable". */
int lease_check_ready(void *lease, char *buf, size_t len);
/* Gives the lease up (deletes the key if still ours), then frees. */
void lease_free(struct lease *l);

#endif
