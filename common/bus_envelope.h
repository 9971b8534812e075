/*
 * bus_envelope.h - the EventBus entry format, pure (no I/O).
 *
 * Encodes and decodes Redis stream entries exactly as the original system's
 * EventBus v2 writes them: fields event_type, payload (JSON text), trace_id,
 * correlation_id, timestamp ("2025-12-24T10:15:30.123456", UTC, no zone),
 * source; we add event_id (UUIDv7) and traceparent (W3C), which the
 * original's consumers ignore. Entries without a `payload` field ("direct"
 * format, e.g. the original trade.closed producer) decode into a payload
 * object holding every field as a string. Payloads may hold Python's bare
 * NaN / Infinity (the original's json.dumps writes them): they read as null,
 * a missing value. Every field must be UTF-8.
 */
#ifndef ORCH_BUS_ENVELOPE_H
#define ORCH_BUS_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_ENVELOPE_NFIELDS 8 /* field/value pairs written by encode */

/* A decoded event. Its strings live in one block owned by the event. */
struct bus_event {
	char *event_type;
	char *event_id;       /* ours, or "<stream>:<entry id>" when absent */
	char *stream_id;      /* Redis entry id, e.g. "1700000000000-0" */
	json_t *payload;      /* object; owned (one reference) */
	char *trace_id;       /* "" when none */
	char *correlation_id; /* "" when none */
	char *timestamp;      /* as written by the producer, "" when none */
	char *source;         /* "" when none */
	char *traceparent;    /* "" when none */
	int64_t time_us;      /* parsed timestamp, or the entry id's ms * 1000 */
	int direct;           /* 1 if decoded from the flat "direct" format */
	unsigned deliveries;  /* times Redis delivered it (1 on first read) */
	char *store;          /* backing block of the strings above */
};

/* Metadata for publishing; every pointer may be NULL. */
struct bus_publish_meta {
	const char *trace_id;
	const char *correlation_id;
	const char *traceparent; /* generated when NULL */
	const char *event_id;    /* generated (UUIDv7) when NULL */
	int64_t time_us;         /* 0 = now (clock_now_ms) */
};

/* An encoded entry: field/value pairs ready for XADD. One malloc'd block;
 * free with bus_envelope_free_entry(). */
struct bus_entry {
	int nfields; /* pairs */
	const char *argv[2 * BUS_ENVELOPE_NFIELDS];
	size_t lens[2 * BUS_ENVELOPE_NFIELDS];
	char event_id[37];
	char *buf; /* backing store */
};

/* Encodes `payload` (a JSON object, borrowed) for `event_type` from `source`.
 * Returns 0, ORCH_EINVAL (payload not an object, empty type), ORCH_EENCODE
 * (a string that is not UTF-8: JSON cannot carry it) or ORCH_ENOMEM. */
int bus_envelope_encode(struct bus_entry *out, const char *event_type, const char *source, const json_t *payload,
			const struct bus_publish_meta *meta);
void bus_envelope_free_entry(struct bus_entry *e);

/* Decodes an entry given as nfields name/value pairs, interleaved in kv
 * (kv[2i] name, kv[2i+1] value; binary-safe lengths in lens), the layout
 * of both a Redis reply and struct bus_entry. stream_type is used for the
 * fallback event_id and for event_type when the entry has none. Returns 0,
 * ORCH_EMALFORMED with a reason in `why` (e.g. "payload is not a JSON
 * object"), or ORCH_ENOMEM. On success *out must be released with
 * bus_event_release(). */
int bus_envelope_decode(struct bus_event *out, const char *stream_type, const char *stream_id, size_t nfields,
			const char *const *kv, const size_t *lens, char *why, size_t whylen);
void bus_event_release(struct bus_event *ev);
/* ORCH_EMALFORMED (the reason in why) when ev is stamped more than
 * max_future_ms (> 0) ahead of wall_ms, the host's real clock: its time
 * would pin recency and, in replays, the event clock
 * (ORCH_EVENT_MAX_FUTURE_S). Else 0. */
int bus_envelope_check_future(const struct bus_event *ev, int64_t wall_ms, int max_future_ms, char *why, size_t whylen);

/* Writes a UUIDv7 ("xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx") for epoch_ms into
 * buf (>= 37 bytes). Thread-safe; unique within a process even for the same
 * millisecond (monotonic counter in the random bits). */
void bus_uuid7(int64_t epoch_ms, char *buf);
/* Writes a random UUID4 (36 characters, lowercase) into buf (>= 37 bytes),
 * the original's correlation_id. Thread-safe. */
void bus_uuid4(char *buf);
/* Writes a fresh W3C traceparent "00-<32 hex>-<16 hex>-01" (>= 56 bytes). */
void bus_traceparent_new(char *buf);

#endif
