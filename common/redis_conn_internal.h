/*
 * redis_conn_internal.h - what redis_conn.c (the connection's life) and
 * redis_command.c (commands, scripts, WAIT) share. Not a public header:
 * nothing outside those two files includes it.
 */
#ifndef ORCH_REDIS_CONN_INTERNAL_H
#define ORCH_REDIS_CONN_INTERNAL_H

#include <hiredis/async.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "redis_conn.h"

enum conn_state { ST_IDLE, ST_RESOLVING, ST_CONNECTING, ST_HANDSHAKE, ST_READY, ST_WAITING, ST_CLOSED };

struct redis_conn {
	uv_loop_t *loop;
	struct redis_target target;
	char name[64];
	int stall_timeout_ms;
	int max_inflight;
	redis_conn_state_cb on_state;
	void *data;

	enum conn_state state;
	redisAsyncContext *ac;    /* live context, or NULL */
	redisAsyncContext *dying; /* detached, freed by drop_timer */
	int attempt;              /* consecutive failures, for backoff; a connection
				     that stayed up backoff_max_ms clears it */
	int64_t ready_ms;         /* when the connection last became ready */
	int handshake_left;       /* handshake replies still expected */
	long long client_id;      /* CLIENT ID of this connection, 0 = unknown */
	int inflight;             /* user commands awaiting replies */
	int64_t progress_ms;      /* last reply, or when inflight left 0 */

	uv_timer_t timer;      /* connect watchdog, backoff, stall check */
	uv_timer_t drop_timer; /* frees `dying` outside hiredis callbacks */
	uv_work_t work;        /* address resolution */
	int work_busy;
	struct redis_endpoint resolved;
	char resolve_err[256];
	int handles_open;

	struct metric *m_connects, *m_drops, *m_up, *m_switches;
};

/* Detaches the live context and reconnects after a backoff (failed: count
 * the attempt). */
void redis_conn__drop(struct redis_conn *c, const char *why, int failed);

#endif
