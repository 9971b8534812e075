/*
 * policy_writer.h - keeps the PolicyStore document holding what one writer
 * wants (the CEO's mode and limits, the Strategy Officer's disabled set).
 *
 * The owner asks for a write (policy_writer_request) whenever what it wants
 * may have changed, and again from its policy change callback; the writer
 * builds the document from the cached one through the owner's build
 * callback and stores it by compare-and-set, carrying the owner's fencing
 * token. A conflict (a concurrent writer got there first) is retried on the
 * newer document after a jittered backoff that doubles up to a cap, so two
 * writers never spin; other failures are retried after a second. Nothing
 * is ever written over a document the writer has not read, nor over a key
 * of another type, an invalid document or an absent one. When Redis lost
 * the document (policy_state POLICY_LOST or POLICY_REGRESSED), a write
 * puts it back above every version seen: the owner's, or the last known
 * document when the owner has nothing to change. Records the build
 * attaches (policy_writer_attach) are stored in the same script as the
 * document.
 *
 * Single-threaded: every call on the loop thread. build runs inside
 * policy_writer_request(), and so may done when nothing needs writing or
 * the write cannot be sent.
 */
#ifndef ORCH_POLICY_WRITER_H
#define ORCH_POLICY_WRITER_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "policy.h"

struct policy_writer;

/*
 * Builds the document to store from current (borrowed). Returns 0 with
 * *doc a new reference (write it) or NULL (current already holds what is
 * wanted), or ORCH_EAGAIN when the owner may not write now (not the leader,
 * not ready): the writer then waits for the next request.
 */
typedef int (*policy_writer_build_fn)(const json_t *current, json_t **doc, void *data);
/*
 * The outcome of what the last build asked for: status 0 with written 1
 * (stored as version) or 0 (already held: nothing was written);
 * ORCH_EFENCED (another holder leads: the writer stops until the next
 * request with a new token); any other code (the writer retries), also
 * when the store takes no write now: ORCH_EWRONGTYPE (the key holds
 * another type), ORCH_EINVAL (the stored document fails the schema),
 * ORCH_ENOENT (no document and none to create), ORCH_ENOTCONN (only the
 * snapshot file read, Redis unreachable). policy_writer_failures() counts
 * them all. Before anything was read the writer waits without a word.
 */
typedef void (*policy_writer_done_fn)(int status, int written, int64_t version, void *data);

struct policy_writer_config {
	const char *updated_by; /* e.g. "ai_ceo" */
	int conflict_min_ms;    /* first retry after a conflict, e.g. 20 */
	int conflict_max_ms;    /* cap of the doubling, e.g. 2000 */
	int retry_ms;           /* after any other failure, e.g. 1000 */
};

/* Creates a writer on p (borrowed; must outlive the writer). Free with
 * policy_writer_free(). Returns 0, ORCH_EINVAL or ORCH_ENOMEM. */
int policy_writer_new(struct policy_writer **out, uv_loop_t *loop, struct policy *p,
		      const struct policy_writer_config *cfg, policy_writer_build_fn build, policy_writer_done_fn done,
		      void *data);
/* Inside build only: stores rec with the document build returns, in the
 * same script (policy_cas_records): both land or neither. Steals rec's
 * contents (rec is left empty, also on error). Returns 0, ORCH_EFULL (more
 * than POLICY_MAX_RECORDS) or ORCH_EINVAL (outside build). Records of a
 * build that returns no document, or whose write is not sent or fails,
 * are dropped: the next build attaches them again. */
int policy_writer_attach(struct policy_writer *w, struct bus_record *rec);
/* What the owner wants may have changed: build and write as soon as
 * possible, with fence as the fencing token (0 = none). */
void policy_writer_request(struct policy_writer *w, uint64_t fence);
/* 1 while a write is in flight or wanted and not yet done. */
int policy_writer_busy(const struct policy_writer *w);
/* Failed or refused writes in a row since the last success (for alerts
 * and for logging only the first). */
int policy_writer_failures(const struct policy_writer *w);
/* Stops retrying; a write in flight still completes (done is not called
 * for it). Then frees the writer once its timer has closed. NULL is a
 * no-op. */
void policy_writer_free(struct policy_writer *w);

#endif
