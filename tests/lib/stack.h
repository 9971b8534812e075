/*
 * stack.h - helpers for the tests that run the services' binaries against
 * a private redis-server: write events as the original producers do, wait
 * for the events the services publish, read keys and /metrics.
 */
#ifndef TEST_STACK_H
#define TEST_STACK_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdint.h>

/* XADDs an EventBus v2 entry (event_type, payload, trace_id, timestamp,
 * source "test") to {prefix}:stream:{type}; timestamp NULL = now. Returns
 * 0 or -1. */
int stack_publish(redisContext *c, const char *prefix, const char *type, const char *payload, const char *timestamp);

/* The newest payload among the last 100 entries of {prefix}:stream:{type}
 * for which pred holds (pred NULL: any), polling up to timeout_ms. NULL
 * when none came; the caller decrefs. */
json_t *stack_wait_payload(redisContext *c, const char *prefix, const char *type,
			   int (*pred)(json_t *payload, const void *arg), const void *arg, int timeout_ms);

/* The same among entries after the entry id `after` (NULL: any). */
json_t *stack_wait_payload_after(redisContext *c, const char *prefix, const char *type, const char *after,
				 int (*pred)(json_t *payload, const void *arg), const void *arg, int timeout_ms);

/* A predicate for stack_wait_payload: arg is {"field", "value"}, true when
 * the payload's string field equals value. */
int stack_field_is(json_t *payload, const void *arg);

/* GET key as a string (caller frees) or JSON (caller decrefs); NULL when
 * absent. */
char *stack_get(redisContext *c, const char *key);
json_t *stack_get_json(redisContext *c, const char *key);

/* 1 when `group` of `stream` has read at least n entries and has none
 * pending. */
int stack_group_done(redisContext *c, const char *stream, const char *group, long n);

/* 1 once 127.0.0.1:port answers /readyz with 200, polling every 25 ms for
 * up to timeout_ms; else 0. */
int stack_wait_ready(int port, int timeout_ms);

/* Publishes ceo_command `payload` (JSON text of an object) under prefix,
 * signed with key at signed_at_ms (key NULL: as given, unsigned). 0 or -1. */
int stack_publish_command(redisContext *c, const char *prefix, const char *payload, const char *key,
			  int64_t signed_at_ms);

/* Publishes ceo_command {"request_id": id, <body>} under prefix, signed now
 * with HARNESS_COMMAND_KEY, and returns the CEO's ceo_command_reply to it
 * within 10 s, or NULL (caller decrefs). */
json_t *stack_command(redisContext *c, const char *prefix, const char *id, const char *body);

/* Writes the header and the first `days` rows of the bundled prices
 * (${ORCH_TEST_SRCDIR:-.}/data/eustockmarkets.csv) to path. 0 or -1. */
int stack_write_prices(const char *path, int days);

/* The value of the metric line `name` (with its labels, e.g.
 * orch_ceo_mode{mode="GROWTH"}) on /metrics of 127.0.0.1:port, or -1. */
double stack_metric(int port, const char *name);

#endif
