/*
 * sentinel_watch.h - internal to redis_conn: the `+switch-master`
 * subscription shared by a loop's connections to one Sentinel-managed
 * master (sentinel_watch.c).
 */
#ifndef ORCH_SENTINEL_WATCH_H
#define ORCH_SENTINEL_WATCH_H

#include <uv.h>

#include "config.h"

struct redis_conn;

/* Registers c (whose target has Sentinels) with the loop's watch for t's
 * master, subscribing when it is the first. 0 or ORCH_ENOMEM. */
int sentinel_watch_add(uv_loop_t *loop, struct redis_conn *c, const struct redis_target *t);
/* Unregisters c; the last one ends the subscription. */
void sentinel_watch_remove(struct redis_conn *c);
/* In redis_conn.c: the master is now host:port; c drops and resolves again
 * unless it is ready on that address. */
void redis_conn_master_switched(struct redis_conn *c, const char *host, int port);

#endif
