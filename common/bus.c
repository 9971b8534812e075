/*
 * bus.c - the EventBus's lifecycle (contract in bus.h): configuration,
 * connections, subscriptions, start, the graceful stop and freeing. How it
 * reads is bus_read.c; what happens to an entry once read, bus_consume.c;
 * publishing, bus_publish.c.
 */
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

void bus_config_defaults(struct bus_config *cfg)
{
	*cfg = (struct bus_config){.prefix = "quantum",
				   .maxlen = 10000,
				   .block_ms = 2000,
				   .batch = 100,
				   .max_inflight = 256,
				   .max_deliveries = 5,
				   .claim_idle_ms = 30000,
				   .claim_interval_ms = 5000,
				   .dedupe_window = 65536,
				   .outbox_max = 100000,
				   .publish_window = 1000,
				   .dlq_maxlen = 100000,
				   .max_future_ms = 300000};
}

int bus_stream_key(const struct bus *b, const char *event_type, char *buf, size_t len)
{
	if (!event_type || !event_type[0])
		return ORCH_EINVAL;
	int n = snprintf(buf, len, "%s:stream:%s", b->prefix, event_type);
	return n < 0 || (size_t)n >= len ? ORCH_EINVAL : 0;
}

int bus_is_connected(const struct bus *b)
{
	return redis_conn_is_connected(b->cmd);
}

int bus_check_ready(void *data, char *buf, size_t len)
{
	const struct bus *b = data;
	int up = redis_conn_is_connected(b->cmd);
	for (const struct sub *s = b->subs; s && up; s = s->next)
		up = s->reader && !s->reader_closed && redis_conn_is_connected(s->reader);
	snprintf(buf,
		 len,
		 up ? "connected, %zu events waiting" : "Redis unreachable, %zu events in the outbox",
		 bus_pending_publishes(b));
	return up;
}

static void reader_state(struct redis_conn *c, int connected, void *data)
{
	struct sub *s = data;
	(void)c;
	if (s->phase == PH_STOPPED)
		return;
	s->reading = 0;
	s->phase = connected ? PH_GROUP : PH_DOWN;
	if (connected)
		bus__read(s);
}

static void cmd_state(struct redis_conn *c, int connected, void *data)
{
	struct bus *b = data;
	(void)c;
	for (struct sub *s = b->subs; s; s = s->next) {
		s->claiming = 0;
		if (connected)
			bus__flush_acks(s);
	}
	bus__pub_on_state(b, connected);
	bus__check_stopped(b);
}

/* Frees the bus once libuv has closed every timer it owns. */
static void bus_handle_released(struct bus *b)
{
	if (--b->handles_open > 0)
		return;
	while (b->subs) {
		struct sub *s = b->subs;
		b->subs = s->next;
		bus__dedupe_release(&s->seen);
		free(s->acks);
		free(s->type);
		free(s);
	}
	free(b);
}

static void bus_handle_closed(uv_handle_t *h)
{
	bus_handle_released(h->data);
}

static void sub_handle_closed(uv_handle_t *h)
{
	struct sub *s = h->data;
	bus_handle_released(s->b);
}

int bus_new(struct bus **out, uv_loop_t *loop, const struct bus_config *cfg, const struct redis_target *target)
{
	if (!cfg->service || !cfg->service[0] || !cfg->instance || !cfg->instance[0])
		return ORCH_EINVAL;
	struct bus *b = calloc(1, sizeof(*b));
	if (!b)
		return ORCH_ENOMEM;
	b->loop = loop;
	bus_config_defaults(&b->cfg);
	struct bus_config d = b->cfg;
	b->cfg = *cfg;
#define BUS_DEFAULT(f)     \
	if (b->cfg.f <= 0) \
	b->cfg.f = d.f
	BUS_DEFAULT(maxlen);
	BUS_DEFAULT(block_ms);
	BUS_DEFAULT(batch);
	BUS_DEFAULT(max_inflight);
	BUS_DEFAULT(max_deliveries);
	BUS_DEFAULT(claim_idle_ms);
	BUS_DEFAULT(claim_interval_ms);
	BUS_DEFAULT(dedupe_window);
	BUS_DEFAULT(outbox_max);
	BUS_DEFAULT(publish_window);
	BUS_DEFAULT(dlq_maxlen);
#undef BUS_DEFAULT
	snprintf(b->prefix, sizeof(b->prefix), "%s", cfg->prefix && cfg->prefix[0] ? cfg->prefix : "quantum");
	snprintf(b->service, sizeof(b->service), "%s", cfg->service);
	snprintf(b->instance, sizeof(b->instance), "%s", cfg->instance);
	snprintf(b->consumer, sizeof(b->consumer), "%s_%s", cfg->service, cfg->instance);
	b->cfg.prefix = b->prefix;
	b->cfg.service = b->service;
	b->cfg.instance = b->instance;
	b->target = *target;
	char name[sizeof(b->consumer) + 8];
	snprintf(name, sizeof(name), "%s-bus", b->consumer);
	struct redis_conn_opts o = {.name = name, .on_state = cmd_state, .data = b};
	int rc = redis_conn_new(&b->cmd, loop, target, &o);
	if (rc == 0)
		rc = bus__pub_init(b);
	if (rc != 0) {
		if (b->cmd)
			redis_conn_free(b->cmd);
		free(b);
		return rc;
	}
	uv_timer_init(loop, &b->ack_timer);
	uv_timer_init(loop, &b->stop_timer);
	b->ack_timer.data = b->stop_timer.data = b;
	b->handles_open = 2;
	*out = b;
	return 0;
}

int bus_set_maxlen(struct bus *b, const char *event_type, long maxlen)
{
	if (maxlen <= 0 || !event_type || !event_type[0])
		return ORCH_EINVAL;
	struct bus_maxlen *m = calloc(1, sizeof(*m));
	if (!m || !(m->event_type = strdup(event_type))) {
		free(m);
		return ORCH_ENOMEM;
	}
	m->maxlen = maxlen;
	m->next = b->maxlens;
	b->maxlens = m;
	return 0;
}

int bus_set_untimed(struct bus *b, const char *event_type)
{
	for (struct sub *s = b->subs; s; s = s->next)
		if (!strcmp(s->type, event_type)) {
			s->untimed = 1;
			return 0;
		}
	return ORCH_ENOENT;
}

int bus_subscribe(struct bus *b, const char *event_type, bus_handler_fn fn, void *data)
{
	if (b->started || !fn)
		return ORCH_EINVAL;
	struct sub *s = calloc(1, sizeof(*s));
	if (!s)
		return ORCH_ENOMEM;
	s->b = b;
	s->fn = fn;
	s->data = data;
	s->type = strdup(event_type);
	int rc = s->type ? bus_stream_key(b, event_type, s->stream, sizeof(s->stream)) : ORCH_ENOMEM;
	if (rc == 0)
		rc = bus__dedupe_init(&s->seen, (size_t)b->cfg.dedupe_window);
	if (rc != 0) {
		bus__dedupe_release(&s->seen);
		free(s->type);
		free(s);
		return rc;
	}
	snprintf(s->group, sizeof(s->group), "%s:group:%s:%s", b->prefix, b->service, event_type);
	snprintf(s->dlq, sizeof(s->dlq), "%s:dlq:%s", b->prefix, event_type);
	snprintf(s->idle_cursor, sizeof(s->idle_cursor), "0-0");
	char labels[300];
	snprintf(labels, sizeof(labels), "event_type=\"%s\"", event_type);
	s->m_handled = metrics_counter("orch_bus_handled_total", labels, "Events handled and acknowledged");
	s->m_failed =
		metrics_counter("orch_bus_handler_failures_total", labels, "Handler failures (entry left pending)");
	s->m_dlq = metrics_counter("orch_bus_dead_lettered_total", labels, "Entries moved to the dead-letter stream");
	s->m_dupes = metrics_counter(
		"orch_bus_duplicates_total", labels, "Redelivered duplicates acknowledged without handling");
	s->m_malformed = metrics_counter("orch_bus_malformed_total", labels, "Entries that could not be decoded");
	s->m_inflight = metrics_gauge("orch_bus_inflight", labels, "Deliveries being handled");
	static const double lat[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30};
	s->m_lat = metrics_histogram("orch_bus_event_age_seconds",
				     labels,
				     "Event age (decision clock minus event timestamp) when handled",
				     lat,
				     10);
	s->next = b->subs;
	b->subs = s;
	return 0;
}

int bus_start(struct bus *b)
{
	if (b->started)
		return ORCH_EINVAL;
	b->started = 1;
	for (struct sub *s = b->subs; s; s = s->next) {
		char name[512];
		snprintf(name, sizeof(name), "%.200s-read-%.200s", b->consumer, s->type);
		struct redis_conn_opts o = {
			.name = name, .stall_timeout_ms = b->cfg.block_ms + 5000, .on_state = reader_state, .data = s};
		int rc = redis_conn_new(&s->reader, b->loop, &b->target, &o);
		if (rc != 0)
			return rc;
		if (!s->timers_ready) {
			uv_timer_init(b->loop, &s->claim_timer);
			uv_timer_init(b->loop, &s->retry_timer);
			s->claim_timer.data = s->retry_timer.data = s;
			b->handles_open += 2;
			s->timers_ready = 1;
		}
		uv_timer_start(
			&s->claim_timer, bus__claim_timer_cb, b->cfg.claim_interval_ms, b->cfg.claim_interval_ms);
		redis_conn_start(s->reader);
	}
	/* after a pause the command connection is still running (publishing) */
	return redis_conn_is_started(b->cmd) ? 0 : redis_conn_start(b->cmd);
}

static int bus_busy(const struct bus *b)
{
	for (const struct sub *s = b->subs; s; s = s->next)
		if (s->inflight > 0 || s->n_acks > 0 || s->draining)
			return 1;
	/* unpublished events keep the stop waiting, connected or not: the
	 * deadline bounds the wait and bus_free() saves what is left; a pause
	 * goes on publishing */
	if (b->pub.queued > 0 && !b->pausing)
		return 1;
	return redis_conn_is_connected(b->cmd) && b->cmd_inflight > 0;
}

static void bus_finish_stop(struct bus *b)
{
	void (*done)(void *) = b->stop_done;
	b->stop_done = NULL;
	uv_timer_stop(&b->stop_timer);
	if (b->pausing) {
		/* consuming may start again: new readers, the same groups */
		b->pausing = b->stopping = b->started = 0;
		for (struct sub *s = b->subs; s; s = s->next) {
			s->reader = NULL;
			s->reader_closed = 0;
			s->phase = PH_DOWN;
			s->reading = s->claiming = 0;
		}
	}
	if (done)
		done(b->stop_data);
}

static void stop_timer_cb(uv_timer_t *t)
{
	struct bus *b = t->data;
	int inflight = 0;
	for (struct sub *s = b->subs; s; s = s->next)
		inflight += s->inflight;
	log_warn("bus: stop deadline reached with %d handlers running, %zu events unpublished and %d "
		 "acknowledgements unanswered",
		 inflight,
		 b->pub.queued,
		 b->cmd_inflight);
	bus_finish_stop(b);
}

void bus__check_stopped(struct bus *b)
{
	if (b->stopping && b->stop_done && !bus_busy(b))
		bus_finish_stop(b);
}

void bus_stop(struct bus *b, int timeout_ms, void (*done)(void *data), void *data)
{
	b->stopping = 1;
	b->stop_done = done;
	b->stop_data = data;
	for (struct sub *s = b->subs; s; s = s->next) {
		/* The server ends the reader's blocked read (CLIENT KILL on the
		 * command connection) before the drain, on the same connection,
		 * reads back what it may have delivered: nothing slips between. */
		s->phase = PH_STOPPED;
		uv_timer_stop(&s->claim_timer);
		uv_timer_stop(&s->retry_timer);
		long long id = redis_conn_client_id(s->reader);
		if (id > 0 && redis_conn_is_connected(b->cmd)) {
			char ids[24];
			snprintf(ids, sizeof(ids), "%lld", id);
			const char *argv[] = {"CLIENT", "KILL", "ID", ids};
			redis_conn_command(b->cmd, bus__kill_reply, NULL, 4, argv, NULL);
		}
		if (s->reader && !s->reader_closed) {
			redis_conn_free(s->reader);
			s->reader_closed = 1;
		}
		bus__flush_acks(s);
		snprintf(s->drain_cursor, sizeof(s->drain_cursor), "-");
		bus__drain(s);
	}
	uv_timer_start(&b->stop_timer, stop_timer_cb, timeout_ms > 0 ? timeout_ms : 1, 0);
	bus__check_stopped(b);
}

void bus_pause(struct bus *b, int timeout_ms, void (*done)(void *data), void *data)
{
	if (!b->started || b->stopping) {
		done(data);
		return;
	}
	b->pausing = 1;
	bus_stop(b, timeout_ms, done, data);
}

void bus_free(struct bus *b)
{
	if (!b || b->closing)
		return;
	b->closing = 1;
	b->stopping = 1;
	b->stop_done = NULL;
	for (struct sub *s = b->subs; s; s = s->next) {
		s->phase = PH_STOPPED;
		if (s->reader && !s->reader_closed)
			redis_conn_free(s->reader);
		s->reader_closed = 1;
		/* Unfinished deliveries stay pending in Redis and come back. */
		while (s->live)
			bus_delivery_done(s->live, ORCH_ECLOSED);
		s->n_acks = 0;
	}
	bus__pub_release(b);
	redis_conn_free(b->cmd);
	while (b->maxlens) {
		struct bus_maxlen *m = b->maxlens;
		b->maxlens = m->next;
		free(m->event_type);
		free(m);
	}
	for (struct sub *s = b->subs; s; s = s->next) {
		if (s->reader) {
			uv_close((uv_handle_t *)&s->claim_timer, sub_handle_closed);
			uv_close((uv_handle_t *)&s->retry_timer, sub_handle_closed);
		}
	}
	uv_close((uv_handle_t *)&b->ack_timer, bus_handle_closed);
	uv_close((uv_handle_t *)&b->stop_timer, bus_handle_closed);
}
