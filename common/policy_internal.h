/*
 * policy_internal.h - what the PolicyStore's two files share: policy.c
 * (lifecycle, writes, what the cache tells) and policy_load.c (loading,
 * following changes, re-reading, noticing data loss). Not a public header.
 */
#ifndef ORCH_POLICY_INTERNAL_H
#define ORCH_POLICY_INTERNAL_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "policy.h"
#include "redis_conn.h"

struct metric;

/* With the refresh off, how often a key that is not usable is read again. */
#define POLICY_RECHECK_MS 1000

struct policy {
	uv_loop_t *loop;
	char prefix[64], writer[64], snapshot[512];
	long history_maxlen;
	int block_ms, create, refresh_ms;
	char k_doc[160], k_fence[160], k_hist[160], k_changes[160];
	struct redis_conn *cmd, *rd;
	uv_timer_t closer;   /* frees the store in libuv's close phase */
	uv_timer_t refresh;  /* re-reads every refresh_ms (or POLICY_RECHECK_MS) */
	uv_timer_t retry;    /* the next attempt to create the default document */
	int create_failures; /* in a row, for the backoff */
	json_t *doc;         /* the last known document (never older than one seen) */
	int64_t version;     /* what Redis holds: a CAS expects it; 0 = no document */
	int64_t max_version; /* the highest version seen */
	enum policy_state state;
	char state_detail[160]; /* the wrong type, the schema error, the lost version */
	char run_id[48];        /* Redis's run_id at the last connect */
	int stale, loading, reading, closed;
	char last_id[64]; /* change stream position; "" until the first load */
	policy_change_cb on_change;
	void *change_data;
	struct metric *m_ok, *m_conflict, *m_fenced, *m_error, *m_not_durable, *m_wrongtype, *m_version, *m_stale,
		*m_state, *m_losses, *m_restarts;
};

/* policy_load.c */
/* Reads the document again (and the change stream's position first). */
void policy__load(struct policy *p);
/* Issues the next blocking read of the change stream. */
void policy__follow(struct policy *p);
/* The command connection came up: learn Redis's run_id, then load. */
void policy__on_connect(struct policy *p);

#endif
