/*
 * bus_consume.c - what happens to an entry once a subscription has read it:
 * decode, dedupe, hand to the handler, then ACK, leave pending for a retry,
 * or dead-letter. bus.c does the reading and the lifecycle.
 *
 * A delivery is ACKed (batched, one XACK per loop turn) only after its
 * handler returned 0. A failed delivery stays pending and is retried when
 * the reclaim pass finds it idle; on the last allowed delivery, or at once
 * when the entry is malformed, it is moved to the DLQ with the reason and
 * ACKed in one Lua call. Event ids of handled events are remembered in a
 * two-generation hash set (between dedupe_window and 2 x dedupe_window ids),
 * so a redelivered duplicate is ACKed without running the handler again.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"
#include "clock.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

/* KEYS: stream, dlq. ARGV: group, consumer, id, reason, dlq maxlen,
 * deliveries, fields... */
static const char LUA_DLQ[] = LUA_DLQ_FN "local f = {}\n"
					 "for i = 7, #ARGV do f[#f + 1] = ARGV[i] end\n"
					 "dlq(ARGV[3], f, ARGV[4], tonumber(ARGV[6]))\n"
					 "return 1\n";

static uint64_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

static int dedupe_has_in(const uint64_t *t, size_t cap, uint64_t h)
{
	for (size_t i = h & (2 * cap - 1);; i = (i + 1) & (2 * cap - 1)) {
		if (t[i] == h)
			return 1;
		if (t[i] == 0)
			return 0;
	}
}

static int dedupe_has(const struct dedupe *d, uint64_t h)
{
	return dedupe_has_in(d->cur, d->cap, h) || dedupe_has_in(d->old, d->cap, h);
}

static void dedupe_add(struct dedupe *d, uint64_t h)
{
	if (dedupe_has(d, h))
		return;
	if (d->n_cur >= d->cap) {
		uint64_t *t = d->old;
		d->old = d->cur;
		d->cur = t;
		memset(d->cur, 0, 2 * d->cap * sizeof(*d->cur));
		d->n_cur = 0;
	}
	size_t i = h & (2 * d->cap - 1);
	while (d->cur[i])
		i = (i + 1) & (2 * d->cap - 1);
	d->cur[i] = h;
	d->n_cur++;
}

int bus__dedupe_init(struct dedupe *d, size_t window)
{
	size_t cap = 16;
	while (cap < window)
		cap <<= 1;
	d->cap = cap;
	d->n_cur = 0;
	d->cur = calloc(2 * cap, sizeof(*d->cur));
	d->old = calloc(2 * cap, sizeof(*d->old));
	return d->cur && d->old ? 0 : ORCH_ENOMEM;
}

void bus__dedupe_release(struct dedupe *d)
{
	free(d->cur);
	free(d->old);
	d->cur = d->old = NULL;
}

/* ---- acknowledgement and dead letters ---- */

static void ack_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct bus *b = priv;
	(void)c;
	b->cmd_inflight--;
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warn("bus: XACK failed: %s", r->str);
	bus__check_stopped(b);
}

void bus__flush_acks(struct sub *s)
{
	/* While the command connection is down the ACKs stay queued and go
	 * out when it is back (a reader can deliver before the command
	 * connection of a just-started bus is up). */
	if (s->n_acks == 0 || !redis_conn_is_connected(s->b->cmd))
		return;
	int argc = 3 + s->n_acks;
	const char **argv = malloc(argc * sizeof(*argv));
	if (argv) {
		argv[0] = "XACK";
		argv[1] = s->stream;
		argv[2] = s->group;
		const char *id = s->acks;
		for (int i = 0; i < s->n_acks; i++, id += strlen(id) + 1)
			argv[3 + i] = id;
		/* Lost with a connection that drops now: the entries stay
		 * pending, come back through the own-pending or the reclaim pass,
		 * and are ACKed there as duplicates without running the handler. */
		if (redis_conn_command(s->b->cmd, ack_reply, s->b, argc, argv, NULL) == 0)
			s->b->cmd_inflight++;
		free(argv);
	}
	s->acks_len = 0;
	s->n_acks = 0;
}

static void ack_timer_cb(uv_timer_t *t)
{
	struct bus *b = t->data;
	for (struct sub *s = b->subs; s; s = s->next)
		bus__flush_acks(s);
	bus__check_stopped(b);
}

static void sub_queue_ack(struct sub *s, const char *id)
{
	size_t l = strlen(id) + 1;
	if (s->acks_len + l > s->acks_cap) {
		size_t cap = s->acks_cap ? 2 * s->acks_cap : 4096;
		while (cap < s->acks_len + l)
			cap *= 2;
		char *a = realloc(s->acks, cap);
		if (!a)
			return; /* stays pending; redelivered and deduped */
		s->acks = a;
		s->acks_cap = cap;
	}
	memcpy(s->acks + s->acks_len, id, l);
	s->acks_len += l;
	s->n_acks++;
	if (!uv_is_active((uv_handle_t *)&s->b->ack_timer))
		uv_timer_start(&s->b->ack_timer, ack_timer_cb, 0, 0);
}

static void dlq_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct bus *b = priv;
	(void)c;
	b->cmd_inflight--;
	if (!r || r->type == REDIS_REPLY_ERROR)
		log_error("bus: dead-lettering failed (%s); the entry stays pending and is retried",
			  r ? r->str : "connection lost");
	bus__check_stopped(b);
}

static void sub_dead_letter(struct sub *s, const char *id, int nfields, char **fields, size_t *lens,
			    unsigned deliveries, const char *reason)
{
	int argc = 2 + 6 + 2 * nfields;
	const char **argv = malloc(argc * sizeof(*argv));
	size_t *alens = malloc(argc * sizeof(*alens));
	char ml[24], nd[16];
	snprintf(ml, sizeof(ml), "%ld", s->b->cfg.dlq_maxlen);
	snprintf(nd, sizeof(nd), "%u", deliveries);
	metrics_inc(s->m_dlq);
	log_error("bus: %s entry %s dead-lettered to %s: %s", s->type, id, s->dlq, reason);
	if (!argv || !alens)
		goto out;
	const char *head[] = {s->stream, s->dlq, s->group, s->b->consumer, id, reason, ml, nd};
	for (int i = 0; i < 8; i++) {
		argv[i] = head[i];
		alens[i] = strlen(head[i]);
	}
	for (int i = 0; i < 2 * nfields; i++) {
		argv[8 + i] = fields[i];
		alens[8 + i] = lens[i];
	}
	if (redis_conn_eval(s->b->cmd, dlq_reply, s->b, LUA_DLQ, 2, argc, argv, alens) == 0)
		s->b->cmd_inflight++;
out:
	free(argv);
	free(alens);
}

/* ---- deliveries ---- */

static void delivery_free(struct bus_delivery *d)
{
	bus_event_release(&d->ev);
	free(d);
}

void bus_delivery_reason(struct bus_delivery *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

void bus_delivery_done(struct bus_delivery *d, int status)
{
	struct sub *s = d->s;
	const char *id = d->ev.stream_id;
	if (status == ORCH_ECLOSED) {
		/* closing: leave the entry pending for the next start */
	} else if (status == 0) {
		dedupe_add(&s->seen, d->hash);
		sub_queue_ack(s, id);
		metrics_inc(s->m_handled);
		metrics_observe(s->m_lat, (double)(clock_now_ms() * 1000 - d->ev.time_us) / 1e6);
	} else if (status == ORCH_EMALFORMED || d->ev.deliveries >= (unsigned)s->b->cfg.max_deliveries) {
		char why[400];
		snprintf(why,
			 sizeof(why),
			 "%s: %s",
			 status == ORCH_EMALFORMED ? "malformed" : "handler failed on the last allowed delivery",
			 d->reason[0] ? d->reason : orch_strerror(status));
		if (status == ORCH_EMALFORMED)
			metrics_inc(s->m_malformed);
		sub_dead_letter(s, id, d->nfields, d->fields, d->lens, d->ev.deliveries, why);
	} else {
		metrics_inc(s->m_failed);
		log_warn("bus: handler for %s entry %s (event %s) failed on delivery %u: %s; retried after %d ms",
			 s->type,
			 id,
			 d->ev.event_id,
			 d->ev.deliveries,
			 d->reason[0] ? d->reason : orch_strerror(status),
			 s->b->cfg.claim_idle_ms);
	}
	if (d->prev)
		d->prev->next = d->next;
	else
		s->live = d->next;
	if (d->next)
		d->next->prev = d->prev;
	s->inflight--;
	metrics_set(s->m_inflight, s->inflight);
	delivery_free(d);
	if (s->phase == PH_STOPPED) {
		bus__flush_acks(s);
		bus__check_stopped(s->b);
	} else if (!s->reading) {
		bus__read(s);
	}
}

static int delivery_live(const struct sub *s, const char *stream_id, uint64_t hash)
{
	for (const struct bus_delivery *d = s->live; d; d = d->next)
		if (d->hash == hash || strcmp(d->ev.stream_id, stream_id) == 0)
			return 1;
	return 0;
}

/* Copies the raw entry into one block behind a new delivery. Returns NULL
 * when out of memory. Freed by delivery_free. */
static struct bus_delivery *delivery_new(struct sub *s, const redisReply *fr)
{
	size_t n = fr->elements & ~(size_t)1, bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += (fr->element[i]->type == REDIS_REPLY_STRING ? fr->element[i]->len : 0) + 1;
	struct bus_delivery *d = malloc(sizeof(*d) + n * (sizeof(char *) + sizeof(size_t)) + bytes);
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	d->s = s;
	d->nfields = (int)(n / 2);
	d->fields = (char **)(d + 1);
	d->lens = (size_t *)(d->fields + n);
	char *p = (char *)(d->lens + n);
	for (size_t i = 0; i < n; i++) {
		const redisReply *e = fr->element[i];
		size_t l = e->type == REDIS_REPLY_STRING ? e->len : 0;
		memcpy(p, l ? e->str : "", l);
		p[l] = 0;
		d->fields[i] = p;
		d->lens[i] = l;
		p += l + 1;
	}
	return d;
}

/* Hands one entry (id, flat field array) to the handler. */
void bus__dispatch(struct sub *s, const redisReply *idr, const redisReply *fr, unsigned deliveries)
{
	if (!idr || idr->type != REDIS_REPLY_STRING)
		return;
	const char *id = idr->str;
	if (!fr || fr->type != REDIS_REPLY_ARRAY)
		return; /* entry trimmed away while pending; nothing to handle */
	struct bus_delivery *d = delivery_new(s, fr);
	if (!d) {
		/* left pending: reclaimed and retried later */
		log_error("bus: out of memory handling %s entry %s", s->type, id);
		return;
	}
	char why[256] = "";
	int rc = bus_envelope_decode(
		&d->ev, s->type, id, (size_t)d->nfields, (const char *const *)d->fields, d->lens, why, sizeof(why));
	/* judged before the clock observes the event's time */
	if (rc == 0)
		rc = bus_envelope_check_future(&d->ev, clock_wall_ms(), s->b->cfg.max_future_ms, why, sizeof(why));
	if (rc == ORCH_EMALFORMED) {
		metrics_inc(s->m_malformed);
		sub_dead_letter(s, id, d->nfields, d->fields, d->lens, deliveries, why);
		delivery_free(d);
		return;
	}
	if (rc != 0) {
		log_error("bus: out of memory decoding %s entry %s", s->type, id);
		delivery_free(d);
		return;
	}
	d->ev.deliveries = deliveries;
	d->hash = hash_id(d->ev.event_id);
	if (delivery_live(s, id, d->hash)) {
		delivery_free(d);
		return;
	}
	if (dedupe_has(&s->seen, d->hash)) {
		metrics_inc(s->m_dupes);
		sub_queue_ack(s, id);
		delivery_free(d);
		return;
	}
	if (!s->untimed)
		clock_observe_ms(d->ev.time_us / 1000);
	d->next = s->live;
	if (s->live)
		s->live->prev = d;
	s->live = d;
	s->inflight++;
	metrics_set(s->m_inflight, s->inflight);
	rc = s->fn(d, &d->ev, s->data);
	if (rc != BUS_ASYNC)
		bus_delivery_done(d, rc);
}
