/*
 * redis_conn.c - one self-healing hiredis 0.14 async connection on libuv.
 *
 * Life of a connection: RESOLVE (thread pool: Sentinel discovery or DNS to a
 * numeric address, so the loop never blocks) -> CONNECT (hiredis async, our
 * own uv_poll glue, connect watchdog) -> HANDSHAKE (AUTH, SELECT, CLIENT
 * SETNAME, ROLE when discovered through Sentinel) -> READY -> on any loss,
 * back to RESOLVE after an exponential, jittered backoff.
 *
 * hiredis 0.14 rules this file lives by: the context is freed by hiredis
 * right after a failed connect or a disconnect callback; it must not be
 * freed from inside the connect callback; every pending callback runs with
 * a NULL reply when the context goes away. We never free a context inline:
 * redis_conn__drop() detaches it and a zero-delay timer frees it.
 */
#include "redis_conn.h"

#include <hiredis/async.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "redis_conn_internal.h"
#include "redis_uv.h"
#include "rng.h"
#include "sentinel_watch.h"

static void conn_schedule(struct redis_conn *c, int delay_ms);

int redis_conn_backoff_ms(int attempt, int min_ms, int max_ms, double rnd)
{
	double d = min_ms;
	for (int i = 0; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	return (int)(d * (0.5 + rnd / 2));
}

int redis_reply_is_error(const redisReply *r, const char *prefix)
{
	return r && r->type == REDIS_REPLY_ERROR && r->str && strncmp(r->str, prefix, strlen(prefix)) == 0;
}

static void resolve_work(uv_work_t *w)
{
	struct redis_conn *c = w->data;
	struct redis_endpoint ep = c->target.addr;
	c->resolve_err[0] = 0;
	if (c->target.n_sentinels > 0 &&
	    redis_conn_resolve_master(&c->target, &ep, c->resolve_err, sizeof(c->resolve_err)) != 0) {
		c->resolved.port = 0;
		return;
	}
	if (redis_resolve_host(ep.host, ep.port, &c->resolved, c->resolve_err, sizeof(c->resolve_err)) != 0)
		c->resolved.port = 0;
}

/* ---- handles and lifetime ---- */

static void conn_handle_closed(uv_handle_t *h)
{
	struct redis_conn *c = h->data;
	if (--c->handles_open == 0 && !c->work_busy)
		free(c);
}

static void drop_timer_cb(uv_timer_t *t)
{
	struct redis_conn *c = t->data;
	redisAsyncContext *ac = c->dying;
	if (ac) {
		c->dying = NULL;
		redisAsyncFree(ac);
	}
}

static void set_ready(struct redis_conn *c, int ready)
{
	metrics_set(c->m_up, ready);
	if (c->on_state)
		c->on_state(c, ready, c->data);
}

/* Moves the live context to `dying`: it no longer reaches us, and is
 * freed outside hiredis callbacks (its pending callbacks then see NULL). */
static void conn_detach(struct redis_conn *c)
{
	if (!c->ac)
		return;
	if (c->dying)
		redisAsyncFree(c->dying);
	c->dying = c->ac;
	c->ac->data = NULL;
	c->ac = NULL;
}

/* Detaches the live context and schedules a reconnect. failed=1 counts
 * towards backoff. */
void redis_conn__drop(struct redis_conn *c, const char *why, int failed)
{
	int was_ready = c->state == ST_READY;
	/* only a connection that lasted proves the server healthy: one that a
	 * server accepts and then refuses at once (out of memory, busy) keeps
	 * its count, so the backoff grows */
	if (was_ready && clock_mono_ms() - c->ready_ms >= c->target.backoff_max_ms)
		c->attempt = 0;
	if (c->ac) {
		conn_detach(c);
		uv_timer_start(&c->drop_timer, drop_timer_cb, 0, 0);
	}
	if (c->state == ST_CLOSED)
		return;
	metrics_inc(c->m_drops);
	if (why)
		log_warn("redis %s: connection lost (%s)", c->name, why);
	if (failed)
		c->attempt++;
	c->state = ST_WAITING;
	conn_schedule(
		c, redis_conn_backoff_ms(c->attempt, c->target.backoff_min_ms, c->target.backoff_max_ms, rng_unit()));
	if (was_ready)
		set_ready(c, 0);
}

/* ---- connect, handshake ---- */

static void handshake_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct redis_conn *c = ac->data;
	redisReply *reply = r;
	const char *what = priv;
	if (!c || c->state != ST_HANDSHAKE)
		return;
	if (strcmp(what, "CLIENT ID") == 0) {
		/* optional (an ACL may refuse it): only a stop's CLIENT KILL uses it */
		c->client_id = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
	} else if (!reply || reply->type == REDIS_REPLY_ERROR) {
		char why[300];
		snprintf(why, sizeof(why), "%s failed: %s", what, reply ? reply->str : "no reply");
		log_error("redis %s: %s", c->name, why);
		redis_conn__drop(c, NULL, 1);
		return;
	}
	if (strcmp(what, "ROLE") == 0) {
		int master = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
			     reply->element[0]->type == REDIS_REPLY_STRING &&
			     strcmp(reply->element[0]->str, "master") == 0;
		if (!master) {
			redis_conn__drop(c, "server is not the master (stale Sentinel answer)", 1);
			return;
		}
	}
	if (--c->handshake_left > 0)
		return;
	uv_timer_stop(&c->timer);
	c->state = ST_READY;
	c->ready_ms = c->progress_ms = clock_mono_ms();
	metrics_inc(c->m_connects);
	log_info("redis %s: connected to %s:%d", c->name, c->resolved.host, c->resolved.port);
	conn_schedule(c, 0);
	set_ready(c, 1);
}

static void handshake_send(struct redis_conn *c, const char *what, int argc, const char **argv)
{
	c->handshake_left++;
	redisAsyncCommandArgv(c->ac, handshake_cb, (void *)what, argc, argv, NULL);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_conn *c = ac->data;
	if (!c)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context when this returns. */
		char why[300];
		snprintf(why,
			 sizeof(why),
			 "connect to %s:%d failed: %s",
			 c->resolved.host,
			 c->resolved.port,
			 ac->errstr);
		c->ac = NULL;
		ac->data = NULL;
		redis_conn__drop(c, why, 1);
		return;
	}
	redisEnableKeepAlive(&ac->c);
	c->state = ST_HANDSHAKE;
	c->handshake_left = 0;
	if (c->target.password[0]) {
		if (c->target.user[0]) {
			const char *a[] = {"AUTH", c->target.user, c->target.password};
			handshake_send(c, "AUTH", 3, a);
		} else {
			const char *a[] = {"AUTH", c->target.password};
			handshake_send(c, "AUTH", 2, a);
		}
	}
	char db[16];
	snprintf(db, sizeof(db), "%d", c->target.db);
	const char *sel[] = {"SELECT", db};
	handshake_send(c, "SELECT", 2, sel);
	const char *setname[] = {"CLIENT", "SETNAME", c->name};
	handshake_send(c, "CLIENT SETNAME", 3, setname);
	const char *id[] = {"CLIENT", "ID"};
	c->client_id = 0;
	handshake_send(c, "CLIENT ID", 2, id);
	if (c->target.n_sentinels > 0) {
		const char *role[] = {"ROLE"};
		handshake_send(c, "ROLE", 1, role);
	}
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_conn *c = ac->data;
	(void)status;
	if (!c)
		return;
	/* hiredis frees the context when this returns. */
	char why[300];
	snprintf(why, sizeof(why), "%s", ac->errstr[0] ? ac->errstr : "closed by server");
	c->ac = NULL;
	ac->data = NULL;
	redis_conn__drop(c, why, c->state != ST_READY);
}

static void resolve_done(uv_work_t *w, int status)
{
	struct redis_conn *c = w->data;
	c->work_busy = 0;
	if (c->state == ST_CLOSED) {
		if (c->handles_open == 0)
			free(c);
		return;
	}
	if (status != 0 || c->resolved.port == 0) {
		log_warn("redis %s: %s", c->name, c->resolve_err[0] ? c->resolve_err : "resolution cancelled");
		redis_conn__drop(c, NULL, 1);
		return;
	}
	redisAsyncContext *ac = redisAsyncConnect(c->resolved.host, c->resolved.port);
	if (!ac || ac->err) {
		log_warn("redis %s: connect to %s:%d failed: %s",
			 c->name,
			 c->resolved.host,
			 c->resolved.port,
			 ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		redis_conn__drop(c, NULL, 1);
		return;
	}
	if (redis_uv_attach(c->loop, ac) != 0) {
		redisAsyncFree(ac);
		redis_conn__drop(c, "cannot watch socket", 1);
		return;
	}
	ac->data = c;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	c->ac = ac;
	c->state = ST_CONNECTING;
	conn_schedule(c, c->target.connect_timeout_ms);
}

static void conn_begin(struct redis_conn *c)
{
	c->state = ST_RESOLVING;
	c->work.data = c;
	c->work_busy = 1;
	if (uv_queue_work(c->loop, &c->work, resolve_work, resolve_done) != 0) {
		c->work_busy = 0;
		redis_conn__drop(c, "cannot queue address resolution", 1);
	}
}

/* One timer serves every state: backoff expiry, connect watchdog, and the
 * stall check while ready. */
static void timer_cb(uv_timer_t *t)
{
	struct redis_conn *c = t->data;
	switch (c->state) {
	case ST_WAITING:
	case ST_IDLE:
		conn_begin(c);
		break;
	case ST_CONNECTING:
	case ST_HANDSHAKE:
		redis_conn__drop(c, "connect timed out", 1);
		break;
	case ST_READY:
		if (c->inflight > 0 && clock_mono_ms() - c->progress_ms > c->stall_timeout_ms) {
			redis_conn__drop(c, "no reply within the stall timeout", 1);
			break;
		}
		conn_schedule(c, 0);
		break;
	default:
		break;
	}
}

static void conn_schedule(struct redis_conn *c, int delay_ms)
{
	if (c->state == ST_READY) {
		int period = c->stall_timeout_ms / 4;
		uv_timer_start(&c->timer, timer_cb, period < 50 ? 50 : period, 0);
		return;
	}
	uv_timer_start(&c->timer, timer_cb, delay_ms < 0 ? 0 : delay_ms, 0);
}

/* ---- public API ---- */

int redis_conn_new(struct redis_conn **out, uv_loop_t *loop, const struct redis_target *target,
		   const struct redis_conn_opts *opts)
{
	struct redis_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return ORCH_ENOMEM;
	c->loop = loop;
	c->target = *target;
	if (c->target.connect_timeout_ms <= 0)
		c->target.connect_timeout_ms = 2000;
	if (c->target.backoff_min_ms <= 0)
		c->target.backoff_min_ms = 100;
	if (c->target.backoff_max_ms < c->target.backoff_min_ms)
		c->target.backoff_max_ms = c->target.backoff_min_ms * 50;
	snprintf(c->name, sizeof(c->name), "%s", opts && opts->name ? opts->name : "orch");
	c->stall_timeout_ms = opts && opts->stall_timeout_ms > 0 ? opts->stall_timeout_ms : 10000;
	c->max_inflight = opts && opts->max_inflight > 0 ? opts->max_inflight : 100000;
	c->on_state = opts ? opts->on_state : NULL;
	c->data = opts ? opts->data : NULL;
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->drop_timer);
	c->timer.data = c;
	c->drop_timer.data = c;
	c->handles_open = 2;
	char labels[96];
	snprintf(labels, sizeof(labels), "conn=\"%s\"", c->name);
	c->m_connects = metrics_counter("orch_redis_connects_total", labels, "Successful Redis connections");
	c->m_drops = metrics_counter("orch_redis_disconnects_total", labels, "Redis connections lost or refused");
	c->m_up = metrics_gauge("orch_redis_connected", labels, "1 while the Redis connection is ready");
	c->m_switches = metrics_counter("orch_redis_master_switches_total",
					labels,
					"Connections moved by a Sentinel +switch-master announcement");
	if (c->target.n_sentinels > 0 && sentinel_watch_add(loop, c, &c->target) != 0)
		log_warn("redis %s: no +switch-master subscription (out of memory); READONLY still moves it", c->name);
	*out = c;
	return 0;
}

void redis_conn_master_switched(struct redis_conn *c, const char *host, int port)
{
	if (c->state != ST_READY || (strcmp(c->resolved.host, host) == 0 && c->resolved.port == port))
		return;
	metrics_inc(c->m_switches);
	redis_conn__drop(c, "Sentinel announced +switch-master", 0);
}

int redis_conn_is_started(const struct redis_conn *c)
{
	return c->state != ST_IDLE && c->state != ST_CLOSED;
}

int redis_conn_start(struct redis_conn *c)
{
	if (c->state != ST_IDLE)
		return ORCH_EINVAL;
	conn_begin(c);
	return 0;
}

int redis_conn_is_connected(const struct redis_conn *c)
{
	return c->state == ST_READY;
}

void redis_conn_reset(struct redis_conn *c, const char *why)
{
	if (c->state == ST_CLOSED)
		return;
	if (c->state == ST_READY || c->state == ST_CONNECTING || c->state == ST_HANDSHAKE)
		redis_conn__drop(c, why, 1);
}

long long redis_conn_client_id(const struct redis_conn *c)
{
	return c && c->state == ST_READY ? c->client_id : 0;
}

void redis_conn_free(struct redis_conn *c)
{
	if (!c || c->state == ST_CLOSED)
		return;
	if (c->target.n_sentinels > 0)
		sentinel_watch_remove(c);
	int was_ready = c->state == ST_READY;
	c->state = ST_CLOSED;
	conn_detach(c);
	if (was_ready)
		metrics_set(c->m_up, 0);
	uv_timer_stop(&c->timer);
	/* Free the detached context now unless a hiredis callback of it is on
	 * the stack (then hiredis defers the free itself). */
	if (c->dying) {
		redisAsyncContext *ac = c->dying;
		c->dying = NULL;
		redisAsyncFree(ac);
	}
	uv_timer_stop(&c->drop_timer);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->drop_timer, conn_handle_closed);
}
