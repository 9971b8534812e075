/*
 * bus_envelope.c - stream entries in the original EventBus v2 format, both
 * ways (see bus_envelope.h), plus the ids we add: UUIDv7 event ids and W3C
 * traceparents. Pure: no I/O beyond reading the clock for defaults.
 */
#include "bus_envelope.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "json_util.h"
#include "orch.h"

/* ---- ids ---- */

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rng_state;
static int64_t last_ms = -1;
static uint64_t seq; /* 74 random bits would do; 62 + a counter keeps ids ordered */

static uint64_t rng_next(void)
{
	if (rng_state == 0) {
		if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) || rng_state == 0)
			rng_state = (uint64_t)clock_mono_ns() ^ 0x9E3779B97F4A7C15ULL;
	}
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

void bus_uuid7(int64_t epoch_ms, char *buf)
{
	pthread_mutex_lock(&id_lock);
	uint64_t r = rng_next();
	if (epoch_ms > last_ms) {
		last_ms = epoch_ms;
		seq = rng_next() >> 52; /* fresh 12-bit start, leaves room to count */
	} else {
		epoch_ms = last_ms; /* same or earlier ms: keep order with the counter */
		if (++seq >= 4096) {
			seq = 0;
			last_ms = ++epoch_ms;
		}
	}
	uint64_t ms = (uint64_t)epoch_ms;
	uint64_t hi = (ms << 16) | 0x7000 | (seq & 0x0FFF);
	uint64_t lo = 0x8000000000000000ULL | (r >> 2);
	pthread_mutex_unlock(&id_lock);
	snprintf(buf, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xFFFF),
		 (unsigned)(hi & 0xFFFF), (unsigned)(lo >> 48), (unsigned long long)(lo & 0xFFFFFFFFFFFFULL));
}

void bus_traceparent_new(char *buf)
{
	pthread_mutex_lock(&id_lock);
	uint64_t a = rng_next(), b = rng_next(), c = rng_next();
	pthread_mutex_unlock(&id_lock);
	snprintf(buf, 56, "00-%016llx%016llx-%016llx-01", (unsigned long long)(a | 1), (unsigned long long)b,
		 (unsigned long long)(c | 1));
}

/* ---- encode ---- */

int bus_envelope_encode(struct bus_entry *out, const char *event_type, const char *source,
			const json_t *payload, const struct bus_publish_meta *meta)
{
	static const struct bus_publish_meta none;
	if (!meta)
		meta = &none;
	memset(out, 0, sizeof(*out));
	if (!event_type || !event_type[0] || !json_is_object(payload))
		return ORCH_EINVAL;
	char *body = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!body)
		return ORCH_ENOMEM;
	int64_t us = meta->time_us ? meta->time_us : clock_now_ms() * 1000;
	char ts[40], tp[64];
	json_util_format_ts_us(us, ts, sizeof(ts));
	if (meta->event_id && meta->event_id[0])
		snprintf(out->event_id, sizeof(out->event_id), "%s", meta->event_id);
	else
		bus_uuid7(us / 1000, out->event_id);
	if (meta->traceparent && meta->traceparent[0])
		snprintf(tp, sizeof(tp), "%s", meta->traceparent);
	else
		bus_traceparent_new(tp);
	const char *kv[2 * BUS_ENVELOPE_NFIELDS] = {
		"event_type", event_type,
		"payload", body,
		"trace_id", meta->trace_id ? meta->trace_id : "",
		"correlation_id", meta->correlation_id ? meta->correlation_id : "",
		"timestamp", ts,
		"source", source ? source : "",
		"event_id", out->event_id,
		"traceparent", tp,
	};
	size_t total = 0;
	for (int i = 0; i < 2 * BUS_ENVELOPE_NFIELDS; i++)
		total += strlen(kv[i]);
	out->buf = malloc(total + 1);
	if (!out->buf) {
		free(body);
		return ORCH_ENOMEM;
	}
	char *p = out->buf;
	for (int i = 0; i < 2 * BUS_ENVELOPE_NFIELDS; i++) {
		size_t l = strlen(kv[i]);
		memcpy(p, kv[i], l);
		out->argv[i] = p;
		out->lens[i] = l;
		p += l;
	}
	out->nfields = BUS_ENVELOPE_NFIELDS;
	free(body);
	return 0;
}

void bus_envelope_free_entry(struct bus_entry *e)
{
	free(e->buf);
	e->buf = NULL;
	e->nfields = 0;
}

/* ---- decode ---- */

static int field_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* The envelope fields that never become payload keys of a direct entry. */
static char **envelope_slot(struct bus_event *ev, const char *name, size_t len)
{
	if (field_is(name, len, "event_type"))
		return &ev->event_type;
	if (field_is(name, len, "trace_id"))
		return &ev->trace_id;
	if (field_is(name, len, "correlation_id"))
		return &ev->correlation_id;
	if (field_is(name, len, "timestamp"))
		return &ev->timestamp;
	if (field_is(name, len, "source"))
		return &ev->source;
	if (field_is(name, len, "event_id"))
		return &ev->event_id;
	if (field_is(name, len, "traceparent"))
		return &ev->traceparent;
	return NULL;
}

static int64_t stream_id_us(const char *id)
{
	return strtoll(id, NULL, 10) * 1000;
}

int bus_envelope_decode(struct bus_event *ev, const char *stream_type, const char *stream_id, size_t nfields,
			const char *const *names, const size_t *name_lens, const char *const *values,
			const size_t *value_lens, char *why, size_t whylen)
{
	int rc = ORCH_ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->deliveries = 1;
	const char *payload = NULL;
	size_t payload_len = 0;
	for (size_t i = 0; i < nfields; i++) {
		if (memchr(names[i], 0, name_lens[i])) {
			snprintf(why, whylen, "field name contains a NUL byte");
			rc = ORCH_EMALFORMED;
			goto fail;
		}
		if (field_is(names[i], name_lens[i], "payload")) {
			payload = values[i];
			payload_len = value_lens[i];
			continue;
		}
		char **slot = envelope_slot(ev, names[i], name_lens[i]);
		if (slot) {
			free(*slot);
			if (!(*slot = dup_n(values[i], value_lens[i])))
				goto fail;
		}
	}
	if (payload) {
		json_error_t err;
		ev->payload = json_loadb(payload, payload_len, 0, &err);
		if (!ev->payload) {
			snprintf(why, whylen, "payload is not valid JSON: %s", err.text);
			rc = ORCH_EMALFORMED;
			goto fail;
		}
		if (!json_is_object(ev->payload)) {
			snprintf(why, whylen, "payload is not a JSON object");
			rc = ORCH_EMALFORMED;
			goto fail;
		}
	} else {
		/* "direct" format: every non-envelope field is a payload value */
		ev->direct = 1;
		if (!(ev->payload = json_object()))
			goto fail;
		for (size_t i = 0; i < nfields; i++) {
			if (envelope_slot(ev, names[i], name_lens[i]) && !field_is(names[i], name_lens[i], "timestamp"))
				continue;
			char *k = dup_n(names[i], name_lens[i]);
			json_t *v = json_stringn_nocheck(values[i], value_lens[i]);
			int bad = !k || !v || json_object_set_new(ev->payload, k, v) != 0;
			free(k);
			if (bad)
				goto fail;
		}
	}
	char fallback[600];
	if (!ev->event_type && !(ev->event_type = strdup(stream_type)))
		goto fail;
	snprintf(fallback, sizeof(fallback), "%s:%s", stream_type, stream_id);
	if (!ev->event_id || !ev->event_id[0]) {
		free(ev->event_id);
		if (!(ev->event_id = strdup(fallback)))
			goto fail;
	}
	char **opt[] = {&ev->trace_id, &ev->correlation_id, &ev->timestamp, &ev->source, &ev->traceparent};
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (!*opt[i] && !(*opt[i] = strdup("")))
			goto fail;
	if (!(ev->stream_id = strdup(stream_id)))
		goto fail;
	if (!ev->timestamp[0] || json_util_parse_ts_us(ev->timestamp, &ev->time_us) != 0)
		ev->time_us = stream_id_us(stream_id);
	return 0;
fail:
	if (rc == ORCH_ENOMEM)
		snprintf(why, whylen, "out of memory");
	bus_event_clear(ev);
	return rc;
}

void bus_event_clear(struct bus_event *ev)
{
	free(ev->event_type);
	free(ev->event_id);
	free(ev->stream_id);
	free(ev->trace_id);
	free(ev->correlation_id);
	free(ev->timestamp);
	free(ev->source);
	free(ev->traceparent);
	json_decref(ev->payload);
	memset(ev, 0, sizeof(*ev));
}
