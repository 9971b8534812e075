/*
 * bus_peer.h - a small EventBus consumer/publisher used by the integration
 * tests, in-process or in a forked child (so a test can kill -9 it).
 *
 * Its handler makes the "effect" of an event visible in Redis through a
 * separate synchronous connection: SADD {ns}:effect <event_id> (idempotent,
 * what "exactly once in effect" is judged by). Every successful handler
 * call is also appended as a line "<event_id>" to {dir}/{ns}.calls, a file that survives
 * SIGKILL, to count duplicate calls (a counter in Redis could not be
 * retried safely across a Redis restart).
 */
#ifndef TEST_BUS_PEER_H
#define TEST_BUS_PEER_H

#include <hiredis/hiredis.h>
#include <sys/types.h>
#include <uv.h>

#include "bus.h"

struct bus_peer {
	uv_loop_t loop;
	struct bus *bus;
	redisContext *sync;
	int port;
	int calls_fd;       /* {dir}/{ns}.calls, O_APPEND */
	const char *ns;     /* key namespace for effects */
	int async_delay_ms; /* > 0: finish each delivery after this delay */
	int fail_poison;    /* fail every event whose payload has "poison" */
	long handled;       /* handler calls in this process */
	long poison_calls;
	uv_timer_t stop_timer;
};

/* Creates a peer subscribed to `type` with `cfg` (service/instance set by
 * the caller) on a fresh loop. Returns 0 or a negative code. */
int bus_peer_init(struct bus_peer *p, const struct bus_config *cfg, const struct redis_target *t, int redis_port,
		  const char *type, const char *ns, const char *dir);
/* Runs the loop for at most ms milliseconds (or until pred(arg) is true). */
void bus_peer_run(struct bus_peer *p, int ms, int (*pred)(void *), void *arg);
void bus_peer_close(struct bus_peer *p);

/* Forks a child that runs a consumer until killed; returns its pid. */
pid_t bus_peer_spawn(const struct bus_config *cfg, const struct redis_target *t, int redis_port, const char *type,
		     const char *ns, const char *dir, int async_delay_ms);
/* Handler calls recorded in {dir}/{ns}.calls: all of them, or only those
 * for event_id when it is not NULL. */
long bus_peer_calls(const char *dir, const char *ns, const char *event_id);

#endif
