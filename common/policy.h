/*
 * policy.h - the PolicyStore: one versioned JSON document on Redis,
 * compatible with the original system's PolicyStore v2.
 *
 * Key {prefix}:policy:current holds the document (original schema:
 * active_mode, modes{...}, version, last_updated, updated_by, emergency_mode,
 * allow_new_trades, emergency_reason, emergency_activated_at; extra keys we
 * add are ignored by the original's models).
 *
 * Unlike the original's read-modify-SET, every write is one Lua call that
 * compares `version`, optionally checks a fencing token against the highest
 * one seen ({prefix}:policy:fence), stores the new document with version+1,
 * appends it to the capped history stream {prefix}:policy:history and
 * publishes policy.updated on {prefix}:stream:policy.updated with the
 * original's payload plus `version`, all atomically; a writer's own
 * records (the CEO's ceo_mode_switch) can go in the same script
 * (policy_cas_records).
 *
 * A local cache follows policy.updated (plain XREAD on its own connection,
 * every instance sees every change), re-reads on reconnect and every
 * refresh_ms (writers that never publish policy.updated, like the
 * original's PolicyStore, are seen within that time); it never moves to a
 * version older than one it has seen. With `create`, a missing document is
 * created from the defaults (CAS on absence); without, the store waits for
 * its owner. A key that holds another Redis type (the original's live
 * trading path keeps a HASH at quantum:policy:current) is never written:
 * the store reports it, is not ready, and checks again.
 *
 * Data loss: a document gone after it existed, or back at a lower version
 * than one seen, is reported (policy_state) and the cache keeps the last
 * known document; the next write (policy_cas) stores a version above every
 * one seen, and policy_restore_doc() gives a writer that has nothing of its
 * own to change the document to write back (a lost document only by the
 * key's owner, the store with `create`). With a snapshot file, a
 * service starts read-only on the last known document while Redis is down.
 *
 * Single-threaded: every call on the loop thread.
 */
#ifndef ORCH_POLICY_H
#define ORCH_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"

struct policy;
struct bus_record;

struct policy_config {
	const char *prefix;        /* "quantum" */
	const char *key;           /* the document's key; NULL/"" = {prefix}:policy:current */
	const char *writer;        /* default updated_by, e.g. "ai_ceo" */
	const char *snapshot_path; /* NULL/"" = none */
	int create;                /* 1: create the default document when none exists */
	int refresh_ms;            /* re-read every this often; 0 = on changes and reconnects only */
	long history_maxlen;       /* default 1000 */
	int block_ms;              /* change-stream XREAD BLOCK, default 2000 */
};

/* What the store knows of the document in Redis. */
enum policy_state {
	POLICY_OK,        /* loaded, and not older than anything seen */
	POLICY_LOADING,   /* nothing read yet */
	POLICY_ABSENT,    /* no document, and this store does not create one */
	POLICY_LOST,      /* the document is gone after it existed: Redis lost data */
	POLICY_REGRESSED, /* the document is older than one seen: Redis lost data or was restored */
	POLICY_WRONGTYPE, /* the key holds another Redis type: never written */
	POLICY_INVALID,   /* the stored document fails the schema */
};

/* The document changed (or was first loaded). doc is borrowed and valid
 * until the next callback or policy_free(). */
typedef void (*policy_change_cb)(const json_t *doc, int64_t version, void *data);

/* Write result: 0 (new_version set; with ORCH_REDIS_WAIT_REPLICAS > 0 only
 * once that many replicas acknowledged it), ORCH_ECONFLICT (version moved
 * on; current_version set; the cache re-reads the document and calls the
 * change callback when it is newer), ORCH_EFENCED (token lower than the
 * highest seen), ORCH_ENOTDURABLE (on the master as current_version, but
 * not replicated in time: a failover could lose it), ORCH_EWRONGTYPE (the
 * key holds another type), ORCH_ENOTCONN, ORCH_EREDIS, ORCH_EINVAL
 * (document fails validation). */
typedef void (*policy_write_cb)(int status, int64_t new_version, int64_t current_version, void *data);

/* Returns a new default document (version 1, updated_by "system"); caller
 * owns the reference. Defaults from the original's DEFAULT_POLICIES. */
json_t *policy_default_doc(int64_t now_ms);
/* Checks the original schema's types and ranges; writes "field: reason". */
int policy_validate(const json_t *doc, char *err, size_t errlen);

int policy_new(struct policy **out, uv_loop_t *loop, const struct policy_config *cfg,
	       const struct redis_target *target);
void policy_on_change(struct policy *p, policy_change_cb cb, void *data);
/* Connects, loads (creating the default document when absent), follows changes. */
int policy_start(struct policy *p);

/* Cached document (borrowed; the last known one when Redis lost it) and
 * the version a compare-and-set must expect (what Redis holds now: 0 when
 * the document is gone). NULL before the first load. */
const json_t *policy_current(const struct policy *p, int64_t *version);
/* The store's state; buf (may be NULL) gets a sentence naming the key and
 * what to do, for readiness and the global state. */
enum policy_state policy_state(const struct policy *p, char *buf, size_t len);
/* After data loss (POLICY_LOST, POLICY_REGRESSED): the last known
 * document, keeping an emergency stop that the stored one holds. New
 * reference; NULL when there is nothing to restore. */
json_t *policy_restore_doc(const struct policy *p);
/* 1 while serving a snapshot-file document without a live Redis copy. */
int policy_is_stale(const struct policy *p);

/* Readiness (service_check_fn shape; data is the store): 1 once a document
 * from Redis is loaded and in POLICY_OK. buf gets "version 7", "snapshot
 * only, version 7 (Redis unreachable)" or policy_state()'s sentence. */
int policy_check_ready(void *store, char *buf, size_t len);

/*
 * Writes `doc` (borrowed; version/last_updated/updated_by are set by the
 * store) if the stored version equals expected_version (0: no document).
 * The new version is one above both that and every version this store has
 * seen. fence = 0 means no fencing; otherwise it must be >= the highest
 * token the store has seen. trace_id may be NULL. Refused without a write:
 * ORCH_EWRONGTYPE when the key holds another Redis type; ORCH_ENOENT for
 * expected_version 0 by a store without `create` (only the key's owner
 * puts a document where there is none, after data loss included).
 */
int policy_cas(struct policy *p, const json_t *doc, int64_t expected_version, uint64_t fence, const char *updated_by,
	       const char *trace_id, policy_write_cb cb, void *data);

#define POLICY_MAX_RECORDS 4

/*
 * policy_cas() that also appends recs (borrowed, at most
 * POLICY_MAX_RECORDS; bus_record_encode() made them) to their streams in
 * the same script: they land with the document or not at all (the CEO's
 * ceo_mode_switch and ceo_mode_history beside its mode). A record stream
 * that holds another Redis type refuses the whole write (ORCH_EREDIS).
 */
int policy_cas_records(struct policy *p, const json_t *doc, int64_t expected_version, uint64_t fence,
		       const char *updated_by, const char *trace_id, const struct bus_record *recs, size_t n_recs,
		       policy_write_cb cb, void *data);

void policy_free(struct policy *p);

#endif
