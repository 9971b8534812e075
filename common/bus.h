/*
 * bus.h - the EventBus on Redis Streams, wire-compatible with the original
 * system's EventBus v2 (see bus_envelope.h for the entry format).
 *
 * Keys: stream {prefix}:stream:{type}, group {prefix}:group:{service}:{type}
 * (created at 0 with MKSTREAM), consumer {service}_{instance} (stable across
 * restarts, so a restarted instance finds its own pending entries), dead
 * letters {prefix}:dlq:{type}.
 *
 * Delivery is at-least-once: an entry is ACKed only after its handler
 * succeeded. On start each subscription first re-reads its own pending
 * entries; entries idle past the processing deadline in any consumer are
 * reclaimed (XAUTOCLAIM); after max_deliveries, or at once when malformed,
 * an entry is moved to the DLQ with a reason and ACKed in one Lua call.
 * Duplicates (same event_id) within the dedupe window are ACKed without
 * calling the handler again.
 *
 * Publishing never blocks: events wait in a bounded, ordered outbox while
 * Redis is unreachable (optionally spilled to ORCH_OUTBOX_DIR) and are sent
 * in order on reconnect; overflow is counted and logged.
 *
 * Single-threaded: every call on the loop thread.
 */
#ifndef ORCH_BUS_H
#define ORCH_BUS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bus_envelope.h"
#include "config.h"

struct bus;
struct bus_delivery;

struct bus_config {
	const char *prefix;     /* "quantum" */
	const char *service;    /* group and consumer name part */
	const char *instance;   /* consumer name part */
	const char *outbox_dir; /* NULL/"" = memory only */
	long maxlen;            /* XADD MAXLEN ~, default 10000 */
	int block_ms;           /* XREADGROUP BLOCK, default 2000 */
	int batch;              /* XREADGROUP COUNT upper bound, default 100 */
	int max_inflight;       /* handler calls not yet finished, default 256 */
	int max_deliveries;     /* DLQ after this many, default 5 */
	int claim_idle_ms;      /* processing deadline before reclaim, default 30000 */
	int claim_interval_ms;  /* reclaim scan period, default 5000 */
	int dedupe_window;      /* event ids remembered per subscription, default 65536 */
	int outbox_max;         /* events held in memory while disconnected, default 100000 */
	int publish_window;     /* XADDs in flight, default 1000 */
	int wait_replicas;      /* a publish counts once this many replicas have it
				 * (WAIT after each XADD), default 0: no waiting */
	long dlq_maxlen;        /* DLQ MAXLEN ~, default 100000 */
	int max_future_ms;      /* an event stamped more than this ahead of this host's real
				 * clock is dead-lettered; 0 = no check; default 300000 */
};
/* Fills defaults (the values above; prefix "quantum"). */
void bus_config_defaults(struct bus_config *cfg);

/*
 * Handler result: 0 = done (ACK); BUS_ASYNC = the handler keeps `d` and
 * calls bus_delivery_done() later; ORCH_EMALFORMED = dead-letter now with
 * the reason given via bus_delivery_reason(); any other negative value =
 * failed, the entry stays pending and is redelivered after claim_idle_ms
 * (dead-lettered after max_deliveries). `ev` is valid only during the call
 * (or until bus_delivery_done for BUS_ASYNC).
 */
#define BUS_ASYNC 1
typedef int (*bus_handler_fn)(struct bus_delivery *d, const struct bus_event *ev, void *data);

/* Sets the reason recorded in the DLQ for a failing/malformed delivery. */
void bus_delivery_reason(struct bus_delivery *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Completes a BUS_ASYNC delivery with a handler result as above. */
void bus_delivery_done(struct bus_delivery *d, int status);

/* Publish completion: status 0 = stored in Redis (stream id given),
 * ORCH_EREDIS = Redis refused the entry (logged, counted), ORCH_ECLOSED =
 * bus closed before it could be sent (saved to the outbox file if one is
 * configured). Optional. An event that went to the outbox file (memory
 * bound reached) reports no completion: it may be sent by a later run. */
typedef void (*bus_publish_cb)(int status, const char *stream_id, void *data);

/* Creates the bus with its own command connection and one blocking reader.
 * Free with bus_free(). */
int bus_new(struct bus **out, uv_loop_t *loop, const struct bus_config *cfg, const struct redis_target *target);
/* Registers a handler for event_type (before bus_start). */
int bus_subscribe(struct bus *b, const char *event_type, bus_handler_fn fn, void *data);
/* Events of this (subscribed) type do not move the event clock
 * (ORCH_CLOCK=event): an operator's command carries the operator's time,
 * not the data's. ORCH_ENOENT when not subscribed. */
int bus_set_untimed(struct bus *b, const char *event_type);
/* Per-type MAXLEN override for publishing. */
int bus_set_maxlen(struct bus *b, const char *event_type, long maxlen);
int bus_start(struct bus *b);

/* Queues `payload` (JSON object, borrowed) as event_type. Returns 0 when
 * accepted (sent now or held in the outbox), ORCH_EFULL when the outbox is
 * full (counted, logged), ORCH_EINVAL for a bad payload. event_id_out
 * (>= 37 bytes, may be NULL) receives the event id. */
int bus_publish(struct bus *b, const char *event_type, const json_t *payload, const struct bus_publish_meta *meta,
		bus_publish_cb cb, void *cb_data, char *event_id_out);

/* bus_publish() that takes the payload's reference and logs a refusal, for
 * fire-and-forget state events. NULL (a failed json_pack: a value JSON
 * cannot carry, or no memory) is logged as such. Returns bus_publish's
 * result or ORCH_EINVAL. */
int bus_publish_new(struct bus *b, const char *event_type, json_t *payload);

/* An event encoded as bus_publish() would store it, for a writer that
 * stores it itself in one script with other writes (the PolicyStore's
 * compare-and-set: both land or neither). */
struct bus_record {
	char stream[160];       /* {prefix}:stream:{type} */
	long maxlen;            /* XADD MAXLEN ~ of the type */
	struct bus_entry entry; /* the fields, from this bus's service */
};

/* Fills rec for payload (borrowed) as event_type. Returns 0 (release rec
 * with bus_record_release()), ORCH_EINVAL (bad payload or type) or
 * ORCH_ENOMEM; rec is then empty. */
int bus_record_encode(const struct bus *b, const char *event_type, const json_t *payload, struct bus_record *rec);
/* Frees rec's fields and leaves it empty; an empty rec is a no-op. */
void bus_record_release(struct bus_record *rec);

/* Stream key for a type into buf: {prefix}:stream:{type}. */
int bus_stream_key(const struct bus *b, const char *event_type, char *buf, size_t len);
int bus_is_connected(const struct bus *b);
/* Events waiting to be published (outbox + in flight). */
size_t bus_pending_publishes(const struct bus *b);

/* Readiness (service_check_fn shape; data is the bus): 1 when the command
 * connection and every subscription's reader are connected. buf gets e.g.
 * "connected, 0 events waiting" or "Redis unreachable, 1200 events in the
 * outbox". */
int bus_check_ready(void *bus, char *buf, size_t len);

/* Graceful stop: stop reading, wait for in-flight handlers (up to
 * timeout_ms), ACK finished ones, flush publishes; then calls done(data).
 * The bus may then be freed with bus_free(). */
void bus_stop(struct bus *b, int timeout_ms, void (*done)(void *data), void *data);
/* Stops consuming for a while (a replica that lost its lease): as
 * bus_stop (reads ended, handlers finished, this consumer's delivered
 * entries read back and handled), but publishing goes on and bus_start()
 * consumes again afterwards. done(data) runs once paused (at once when the
 * bus is not consuming). */
void bus_pause(struct bus *b, int timeout_ms, void (*done)(void *data), void *data);
/* Frees everything; pending publishes are spilled to the outbox file when
 * configured, otherwise counted as dropped and logged. */
void bus_free(struct bus *b);

#endif
