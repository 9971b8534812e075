/*
 * redis_conn.h - one self-healing hiredis 0.14 async connection on a libuv loop.
 *
 * Our own libuv glue replaces hiredis' stock adapter (which drops connect
 * errors), adds a connect watchdog, a stall watchdog for commands that get no
 * reply (half-open TCP), TCP keepalive, AUTH (password or ACL user+password),
 * SELECT, CLIENT SETNAME, optional Sentinel discovery on every (re)connect
 * (with a ROLE check), and reconnect with exponential backoff and jitter.
 * READONLY / MASTERDOWN / LOADING replies are treated as "master moved":
 * the connection drops and re-resolves.
 *
 * Everything above this module talks to Redis only through it. All calls
 * must be made on the loop thread. Roles get separate connections: commands
 * on one, each blocking reader on its own.
 */
#ifndef ORCH_REDIS_CONN_H
#define ORCH_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"

struct redis_conn;

/* Connected (1) or lost (0). Called on the loop thread after AUTH/SELECT
 * succeeded, and once per loss. */
typedef void (*redis_conn_state_cb)(struct redis_conn *c, int connected, void *data);

/* Reply callback. reply is NULL when the connection dropped before a reply
 * came (the command may or may not have run). The reply is owned by hiredis
 * and freed after the callback returns: copy what you keep. */
typedef void (*redis_conn_reply_cb)(struct redis_conn *c, redisReply *reply, void *privdata);

struct redis_conn_opts {
	const char *name;     /* for logs, metrics and CLIENT SETNAME */
	int stall_timeout_ms; /* drop the connection when the oldest command has
				 waited this long for its reply; 0 = 10000.
				 A blocking reader sets BLOCK + margin. */
	int max_inflight;     /* commands awaiting replies; 0 = 100000 */
	redis_conn_state_cb on_state;
	void *data;
};

/* Allocates a connection (not started). Free with redis_conn_free(). */
int redis_conn_new(struct redis_conn **out, uv_loop_t *loop, const struct redis_target *target,
		   const struct redis_conn_opts *opts);
/* Starts connecting; reconnects on its own until freed. ORCH_EINVAL when
 * already started. */
int redis_conn_start(struct redis_conn *c);
/* 1 once started (connected or not), until freed. */
int redis_conn_is_started(const struct redis_conn *c);
int redis_conn_is_connected(const struct redis_conn *c);

/* Sends argv (binary-safe; lens may be NULL for NUL-terminated strings).
 * Returns ORCH_ENOTCONN when not connected (nothing sent, cb not called),
 * ORCH_EBUSY above max_inflight; otherwise cb is called exactly once. */
int redis_conn_command(struct redis_conn *c, redis_conn_reply_cb cb, void *privdata, int argc, const char **argv,
		       const size_t *lens);

/* EVALSHA with a transparent NOSCRIPT -> SCRIPT LOAD + retry. `script` must
 * stay valid for the connection's lifetime (static text). Same contract as
 * redis_conn_command; argv holds keys then args (numkeys of them are keys). */
int redis_conn_eval(struct redis_conn *c, redis_conn_reply_cb cb, void *privdata, const char *script, int numkeys,
		    int argc, const char **argv, const size_t *lens);

/* Drops the current connection now (pending callbacks get NULL) and
 * reconnects through discovery after backoff; a reset counts as a failure
 * (repeated ones back off further) unless the connection had stayed up
 * ORCH_REDIS_BACKOFF_MAX_MS. */
void redis_conn_reset(struct redis_conn *c, const char *why);

/* Stops reconnecting, fails pending callbacks with NULL, frees everything
 * once libuv has closed its handles. Safe to call from any callback. */
void redis_conn_free(struct redis_conn *c);

/* Backoff for attempt n (0-based): min(max, min_ms * 2^n) scaled by a
 * random factor in [0.5, 1.0]; `rnd` in [0,1). Pure, for tests. */
int redis_conn_backoff_ms(int attempt, int min_ms, int max_ms, double rnd);

/* Sentinel discovery with the synchronous hiredis API (runs on the libuv
 * thread pool when used by redis_conn). Fills `out` with the master's
 * address; `err` gets a reason on failure. Exposed for tools and tests. */
int redis_conn_resolve_master(const struct redis_target *t, struct redis_endpoint *out, char *err, size_t errlen);

/*
 * Durability of the writes just sent on c: `WAIT replicas
 * target.wait_timeout_ms` (at most half the stall timeout). cb gets the
 * reply (an integer: how many replicas have every write of this
 * connection so far). Returns 0, or like redis_conn_command.
 */
int redis_conn_wait(struct redis_conn *c, int replicas, redis_conn_reply_cb cb, void *privdata);
/* target.wait_replicas of c: 0 when writes need not wait. */
int redis_conn_wait_replicas(const struct redis_conn *c);

/* The server's CLIENT ID for this connection while it is ready, else 0
 * (also when the server refused to tell). */
long long redis_conn_client_id(const struct redis_conn *c);

/* Reply helpers: 1 if reply is an error whose text starts with prefix. */
int redis_reply_is_error(const redisReply *r, const char *prefix);
/* 1 if reply says the server cannot serve as our master right now
 * (READONLY, MASTERDOWN, LOADING, UNBLOCKED by a failover): the connection
 * is dropped before the callback runs, and the command is worth sending
 * again once it is back. */
int redis_reply_is_unavailable(const redisReply *r);

#endif
