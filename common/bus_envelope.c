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
#include <time.h>

#include "clock.h"
#include "json_util.h"
#include "orch.h"
#include "rng.h"

/* ---- ids ---- */

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_ms = -1;
static uint64_t seq; /* 74 random bits would do; 62 + a counter keeps ids ordered */

/* Writes the `digits` low hex digits of v into p (lowercase). */
static char *put_hex(char *p, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = digits - 1; i >= 0; i--) {
		p[i] = hex[v & 0xF];
		v >>= 4;
	}
	return p + digits;
}

void bus_uuid7(int64_t epoch_ms, char *buf)
{
	pthread_mutex_lock(&id_lock);
	uint64_t r = rng_u64();
	if (epoch_ms > last_ms) {
		last_ms = epoch_ms;
		seq = rng_u64() >> 52; /* fresh 12-bit start, leaves room to count */
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
	char *p = put_hex(buf, hi >> 32, 8);
	*p++ = '-';
	p = put_hex(p, hi >> 16, 4);
	*p++ = '-';
	p = put_hex(p, hi, 4);
	*p++ = '-';
	p = put_hex(p, lo >> 48, 4);
	*p++ = '-';
	p = put_hex(p, lo, 12);
	*p = 0;
}

void bus_uuid4(char *buf)
{
	uint64_t a = rng_u64(), b = rng_u64();
	a = (a & ~0xF000ULL) | 0x4000ULL;                        /* version 4 */
	b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; /* variant 10 */
	char *p = put_hex(buf, a >> 32, 8);
	*p++ = '-';
	p = put_hex(p, a >> 16, 4);
	*p++ = '-';
	p = put_hex(p, a, 4);
	*p++ = '-';
	p = put_hex(p, b >> 48, 4);
	*p++ = '-';
	p = put_hex(p, b, 12);
	*p = 0;
}

void bus_traceparent_new(char *buf)
{
	uint64_t a = rng_u64(), b = rng_u64(), c = rng_u64();
	memcpy(buf, "00-", 3);
	char *p = put_hex(buf + 3, a | 1, 16);
	p = put_hex(p, b, 16);
	*p++ = '-';
	p = put_hex(p, c | 1, 16);
	memcpy(p, "-01", 4);
}

/* ---- encode ---- */

int bus_envelope_encode(struct bus_entry *out, const char *event_type, const char *source, const json_t *payload,
			const struct bus_publish_meta *meta)
{
	static const struct bus_publish_meta none;
	if (!meta)
		meta = &none;
	memset(out, 0, sizeof(*out));
	if (!event_type || !event_type[0] || !json_is_object(payload))
		return ORCH_EINVAL;
	char *body = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!body)
		return json_util_is_encodable(payload) ? ORCH_ENOMEM : ORCH_EENCODE;
	int64_t us = meta->time_us ? meta->time_us : clock_now_ms() * 1000;
	char ts[40], tp[64], corr[40];
	json_util_format_ts_us(us, ts, sizeof(ts));
	/* as the original's EventBus: the caller's id, else a fresh UUID4 */
	const char *corr_id = meta->correlation_id && meta->correlation_id[0] ? meta->correlation_id : corr;
	if (corr_id == corr)
		bus_uuid4(corr);
	if (meta->event_id && meta->event_id[0])
		snprintf(out->event_id, sizeof(out->event_id), "%s", meta->event_id);
	else
		bus_uuid7(us / 1000, out->event_id);
	if (meta->traceparent && meta->traceparent[0])
		snprintf(tp, sizeof(tp), "%s", meta->traceparent);
	else
		bus_traceparent_new(tp);
	const char *kv[2 * BUS_ENVELOPE_NFIELDS] = {
		"event_type",
		event_type,
		"payload",
		body,
		"trace_id",
		meta->trace_id ? meta->trace_id : "",
		"correlation_id",
		corr_id,
		"timestamp",
		ts,
		"source",
		source ? source : "",
		"event_id",
		out->event_id,
		"traceparent",
		tp,
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

/* Envelope fields by slot; they never become payload keys of a direct
 * entry, except the timestamp, which direct producers use as data too. */
enum { F_TYPE, F_ID, F_TRACE, F_CORR, F_TS, F_SOURCE, F_TP, F_COUNT };
static const char *const envelope_names[F_COUNT] = {
	"event_type", "event_id", "trace_id", "correlation_id", "timestamp", "source", "traceparent"};

static int envelope_slot(const char *name, size_t len)
{
	for (int f = 0; f < F_COUNT; f++)
		if (field_is(name, len, envelope_names[f]))
			return f;
	return -1;
}

static int64_t stream_id_us(const char *id)
{
	return strtoll(id, NULL, 10) * 1000;
}

/* Copies s[0..n) into the store at *p, NUL-terminated; returns the copy. */
static char *store_put(char **p, const char *s, size_t n)
{
	char *d = *p;
	memcpy(d, s, n);
	d[n] = 0;
	*p += n + 1;
	return d;
}

int bus_envelope_decode(struct bus_event *ev, const char *stream_type, const char *stream_id, size_t nfields,
			const char *const *kv, const size_t *lens, char *why, size_t whylen)
{
	int rc = ORCH_ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->deliveries = 1;
	const char *payload = NULL, *val[F_COUNT] = {0};
	size_t payload_len = 0, vlen[F_COUNT] = {0};
	for (size_t i = 0; i < nfields; i++) {
		const char *name = kv[2 * i];
		size_t nlen = lens[2 * i];
		if (memchr(name, 0, nlen)) {
			snprintf(why, whylen, "field name contains a NUL byte");
			rc = ORCH_EMALFORMED;
			goto fail;
		}
		int f = envelope_slot(name, nlen);
		if (f >= 0) {
			val[f] = kv[2 * i + 1];
			vlen[f] = lens[2 * i + 1];
		} else if (field_is(name, nlen, "payload")) {
			payload = kv[2 * i + 1];
			payload_len = lens[2 * i + 1];
		}
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (val[f] && !json_util_is_utf8(val[f], vlen[f])) {
			snprintf(why, whylen, "field %s is not valid UTF-8", envelope_names[f]);
			rc = ORCH_EMALFORMED;
			goto fail;
		}
	}
	char fallback[600];
	if (!val[F_TYPE]) {
		val[F_TYPE] = stream_type;
		vlen[F_TYPE] = strlen(stream_type);
	}
	if (!val[F_ID] || vlen[F_ID] == 0) {
		snprintf(fallback, sizeof(fallback), "%s:%s", stream_type, stream_id);
		val[F_ID] = fallback;
		vlen[F_ID] = strlen(fallback);
	}
	size_t total = strlen(stream_id) + 1;
	for (int f = 0; f < F_COUNT; f++)
		total += vlen[f] + 1;
	char *p = ev->store = malloc(total);
	if (!p)
		goto fail;
	char **slot[F_COUNT] = {&ev->event_type,
				&ev->event_id,
				&ev->trace_id,
				&ev->correlation_id,
				&ev->timestamp,
				&ev->source,
				&ev->traceparent};
	for (int f = 0; f < F_COUNT; f++)
		*slot[f] = store_put(&p, val[f] ? val[f] : "", vlen[f]);
	ev->stream_id = store_put(&p, stream_id, strlen(stream_id));
	if (payload) {
		json_error_t err;
		ev->payload = json_util_loadb_python(payload, payload_len, &err);
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
			int f = envelope_slot(kv[2 * i], lens[2 * i]);
			if (f >= 0 && f != F_TS)
				continue;
			char key[256];
			if (lens[2 * i] >= sizeof(key)) {
				snprintf(why, whylen, "field name longer than %zu bytes", sizeof(key) - 1);
				rc = ORCH_EMALFORMED;
				goto fail;
			}
			memcpy(key, kv[2 * i], lens[2 * i]);
			key[lens[2 * i]] = 0;
			if (!json_util_is_utf8(key, lens[2 * i]) ||
			    !json_util_is_utf8(kv[2 * i + 1], lens[2 * i + 1])) {
				snprintf(why,
					 whylen,
					 "field %.64s is not valid UTF-8",
					 json_util_is_utf8(key, lens[2 * i]) ? key : "(name)");
				rc = ORCH_EMALFORMED;
				goto fail;
			}
			json_t *v = json_stringn_nocheck(kv[2 * i + 1], lens[2 * i + 1]);
			if (!v || json_object_set_new_nocheck(ev->payload, key, v) != 0)
				goto fail;
		}
	}
	if (!ev->timestamp[0] || json_util_parse_ts_us(ev->timestamp, &ev->time_us) != 0)
		ev->time_us = stream_id_us(stream_id);
	return 0;
fail:
	if (rc == ORCH_ENOMEM)
		snprintf(why, whylen, "out of memory");
	bus_event_release(ev);
	return rc;
}

void bus_event_release(struct bus_event *ev)
{
	free(ev->store);
	json_decref(ev->payload);
	memset(ev, 0, sizeof(*ev));
}

int bus_envelope_check_future(const struct bus_event *ev, int64_t wall_ms, int max_future_ms, char *why, size_t whylen)
{
	int64_t ahead_ms = ev->time_us / 1000 - wall_ms;
	if (max_future_ms <= 0 || ahead_ms <= max_future_ms)
		return 0;
	snprintf(why,
		 whylen,
		 "stamped %.32s, %lld s ahead of this host's clock (at most %d s: ORCH_EVENT_MAX_FUTURE_S)",
		 ev->timestamp,
		 (long long)(ahead_ms / 1000),
		 max_future_ms / 1000);
	return ORCH_EMALFORMED;
}
