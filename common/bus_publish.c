/*
 * bus_publish.c - the EventBus's publishing half: XADD ... MAXLEN ~ N with a
 * bounded, ordered outbox.
 *
 * Every event goes through one FIFO. An item leaves the FIFO only when Redis
 * answered its XADD, so an event in flight when the connection drops is sent
 * again on reconnect (a possible duplicate, harmless because consumers
 * dedupe by event_id; never a loss). While Redis is unreachable the FIFO
 * holds up to outbox_max events; beyond that, with ORCH_OUTBOX_DIR set, the
 * rest (and every later event, so order holds) is appended to an outbox file
 * and read back when the memory queue has room. Without a file, overflow is
 * refused with ORCH_EFULL, counted and logged. At close, unsent events go to
 * the file ahead of what it already holds; a restarted service sends them.
 *
 * Outbox file format: one JSON object per line,
 *   {"s":"<stream key>","m":<maxlen>,"f":["field","value",...]}
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

static void pub_pump(struct bus *b);

static void item_free(struct pub_item *it)
{
	free(it->stream);
	bus_envelope_free_entry(&it->entry);
	free(it);
}

static void queue_append(struct bus_pub *p, struct pub_item *it)
{
	it->next = NULL;
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	if (!p->unsent)
		p->unsent = it;
	if (!p->replied)
		p->replied = it; /* every earlier item has had its XADD answer */
	p->queued++;
}

static long type_maxlen(const struct bus *b, const char *type)
{
	for (const struct bus_maxlen *m = b->maxlens; m; m = m->next)
		if (strcmp(m->event_type, type) == 0)
			return m->maxlen;
	return b->cfg.maxlen;
}

/* ---- outbox file ---- */

static int spill_write(FILE *f, const struct pub_item *it)
{
	json_t *fields = json_array();
	for (int i = 0; i < 2 * it->entry.nfields; i++)
		json_array_append_new(fields, json_stringn(it->entry.argv[i], it->entry.lens[i]));
	json_t *rec = json_pack("{s:s, s:I, s:o}", "s", it->stream, "m", (json_int_t)it->maxlen, "f", fields);
	int rc = rec && json_dumpf(rec, f, JSON_COMPACT) == 0 && fputc('\n', f) != EOF ? 0 : ORCH_EIO;
	json_decref(rec);
	return rc;
}

/* Rebuilds an item from one outbox line. Returns NULL if the line is not a
 * complete record (e.g. cut short by a crash). Caller frees with item_free. */
static struct pub_item *spill_parse(const char *line)
{
	json_t *rec = json_loads(line, 0, NULL);
	json_t *f = json_object_get(rec, "f");
	const char *stream = json_string_value(json_object_get(rec, "s"));
	size_t n = json_array_size(f);
	struct pub_item *it = NULL;
	if (!stream || n == 0 || n % 2 || n > 2 * BUS_ENVELOPE_NFIELDS)
		goto out;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (!json_is_string(json_array_get(f, i)))
			goto out;
		total += json_string_length(json_array_get(f, i));
	}
	it = calloc(1, sizeof(*it));
	char *buf = it ? malloc(total + 1) : NULL;
	if (!buf) {
		free(it);
		it = NULL;
		goto out;
	}
	it->stream = strdup(stream);
	it->maxlen = (long)json_integer_value(json_object_get(rec, "m"));
	it->entry.buf = buf;
	it->entry.nfields = (int)(n / 2);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(f, i);
		size_t l = json_string_length(v);
		memcpy(buf, json_string_value(v), l);
		it->entry.argv[i] = buf;
		it->entry.lens[i] = l;
		buf += l;
	}
	const char *eid = NULL;
	for (size_t i = 0; i + 1 < n; i += 2)
		if (strcmp(json_string_value(json_array_get(f, i)), "event_id") == 0)
			eid = json_string_value(json_array_get(f, i + 1));
	snprintf(it->entry.event_id, sizeof(it->entry.event_id), "%s", eid ? eid : "");
out:
	json_decref(rec);
	return it;
}

/* Moves up to `room` items from the outbox file back into memory. */
static void spill_load(struct bus *b, size_t room)
{
	struct bus_pub *p = &b->pub;
	FILE *f = fopen(p->path, "r");
	char *line = NULL;
	size_t cap = 0;
	if (!f || fseek(f, p->spill_read, SEEK_SET) != 0) {
		log_error("bus: cannot read outbox %s: %s", p->path, strerror(errno));
		goto out;
	}
	while (room > 0 && p->spilled > 0) {
		ssize_t n = getline(&line, &cap, f);
		if (n <= 0)
			break;
		p->spill_read += n;
		p->spilled--;
		struct pub_item *it = spill_parse(line);
		if (!it) {
			metrics_inc(p->m_errors);
			log_error("bus: outbox %s: unreadable record at byte %ld skipped",
				  p->path,
				  p->spill_read - (long)n);
			continue;
		}
		queue_append(p, it);
		room--;
	}
	if (p->spilled == 0) {
		if (p->spill)
			fclose(p->spill);
		p->spill = NULL;
		p->spill_read = 0;
		unlink(p->path);
	}
out:
	free(line);
	if (f)
		fclose(f);
	metrics_set(p->m_spilled, (double)p->spilled);
}

static size_t spill_count(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c, last = '\n';
	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF) {
		if (c == '\n')
			n++;
		last = c;
	}
	fclose(f);
	return n + (last != '\n');
}

/* ---- sending ---- */

/* Removes the head item, reports status to its callback and frees it. */
static void pub_pop(struct bus *b, int status, const char *id)
{
	struct bus_pub *p = &b->pub;
	struct pub_item *it = p->head;
	p->head = it->next;
	if (!p->head)
		p->tail = NULL;
	if (p->unsent == it)
		p->unsent = it->next;
	if (p->replied == it)
		p->replied = it->next;
	p->queued--;
	if (it->cb)
		it->cb(status, id, it->cb_data);
	item_free(it);
	pub_pump(b);
	bus__check_stopped(b);
}

static void xadd_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct bus *b = priv;
	struct bus_pub *p = &b->pub;
	(void)c;
	if (!r || redis_reply_is_unavailable(r))
		return; /* connection dropped: the item stays queued and is resent */
	struct pub_item *it = b->cfg.wait_replicas > 0 ? p->replied : p->head;
	if (!it)
		return;
	if (r->type == REDIS_REPLY_ERROR && (redis_reply_is_error(r, "OOM") || redis_reply_is_error(r, "BUSY"))) {
		/* transient: resend everything from the head after backoff */
		redis_conn_reset(b->cmd, r->str);
		return;
	}
	if (b->cfg.wait_replicas > 0) {
		/* the WAIT sent behind it settles the item */
		p->replied = it->next;
		snprintf(it->err, sizeof(it->err), "%s", r->type == REDIS_REPLY_ERROR ? r->str : "");
		snprintf(it->id, sizeof(it->id), "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
		return;
	}
	p->inflight--;
	if (r->type == REDIS_REPLY_ERROR) {
		metrics_inc(p->m_errors);
		log_error("bus: XADD %s refused for event %s: %s", it->stream, it->entry.event_id, r->str);
	} else {
		metrics_inc(p->m_published);
	}
	pub_pop(b, r->type == REDIS_REPLY_ERROR ? ORCH_EREDIS : 0, r->type == REDIS_REPLY_STRING ? r->str : NULL);
}

/* With wait_replicas: the WAIT behind an item's XADD answered. */
static void wait_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct bus *b = priv;
	struct bus_pub *p = &b->pub;
	(void)c;
	if (!r || redis_reply_is_unavailable(r))
		return;
	p->inflight--;
	struct pub_item *it = p->head;
	if (!it)
		return;
	char id[48];
	snprintf(id, sizeof(id), "%s", it->id);
	if (it->err[0]) {
		metrics_inc(p->m_errors);
		log_error("bus: XADD %s refused for event %s: %s", it->stream, it->entry.event_id, it->err);
		pub_pop(b, ORCH_EREDIS, NULL);
		return;
	}
	long long acks = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	if (acks >= b->cfg.wait_replicas) {
		metrics_inc(p->m_published);
		pub_pop(b, 0, id);
		return;
	}
	metrics_inc(p->m_not_durable);
	log_error("bus: event %s stored on %s as %s but %lld of %d replicas have it: not durable",
		  it->entry.event_id,
		  it->stream,
		  id,
		  acks,
		  b->cfg.wait_replicas);
	pub_pop(b, ORCH_ENOTDURABLE, id);
}

static void pub_pump(struct bus *b)
{
	struct bus_pub *p = &b->pub;
	if (p->spilled > 0 && p->queued < (size_t)b->cfg.outbox_max / 2)
		spill_load(b, (size_t)b->cfg.outbox_max - p->queued);
	while (p->unsent && p->inflight < b->cfg.publish_window && redis_conn_is_connected(b->cmd)) {
		struct pub_item *it = p->unsent;
		const char *argv[6 + 2 * BUS_ENVELOPE_NFIELDS];
		size_t lens[6 + 2 * BUS_ENVELOPE_NFIELDS];
		char ml[24];
		snprintf(ml, sizeof(ml), "%ld", it->maxlen);
		const char *head[] = {"XADD", it->stream, "MAXLEN", "~", ml, "*"};
		for (int i = 0; i < 6; i++) {
			argv[i] = head[i];
			lens[i] = strlen(head[i]);
		}
		int n = 2 * it->entry.nfields;
		memcpy(argv + 6, it->entry.argv, n * sizeof(*argv));
		memcpy(lens + 6, it->entry.lens, n * sizeof(*lens));
		if (redis_conn_command(b->cmd, xadd_reply, b, 6 + n, argv, lens) != 0)
			break;
		if (b->cfg.wait_replicas > 0 && redis_conn_wait(b->cmd, b->cfg.wait_replicas, wait_reply, b) != 0) {
			/* the XADD went without its WAIT: start over on a new connection */
			redis_conn_reset(b->cmd, "could not queue WAIT");
			break;
		}
		p->inflight++;
		p->unsent = it->next;
	}
	metrics_set(p->m_queued, (double)(p->queued + p->spilled));
}

void bus__pub_on_state(struct bus *b, int connected)
{
	b->pub.inflight = 0;
	b->pub.unsent = b->pub.head;
	b->pub.replied = b->pub.head;
	if (connected)
		pub_pump(b);
}

int bus_record_encode(const struct bus *b, const char *event_type, const json_t *payload, struct bus_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	int rc = bus_stream_key(b, event_type, rec->stream, sizeof(rec->stream));
	if (rc == 0)
		rc = bus_envelope_encode(&rec->entry, event_type, b->service, payload, NULL);
	if (rc != 0) {
		memset(rec, 0, sizeof(*rec));
		return rc;
	}
	rec->maxlen = type_maxlen(b, event_type);
	return 0;
}

void bus_record_release(struct bus_record *rec)
{
	bus_envelope_free_entry(&rec->entry);
	memset(rec, 0, sizeof(*rec));
}

int bus_publish(struct bus *b, const char *event_type, const json_t *payload, const struct bus_publish_meta *meta,
		bus_publish_cb cb, void *cb_data, char *event_id_out)
{
	struct bus_pub *p = &b->pub;
	if (b->closing)
		return ORCH_ECLOSED;
	struct pub_item *it = calloc(1, sizeof(*it));
	if (!it)
		return ORCH_ENOMEM;
	char key[512];
	int rc = bus_stream_key(b, event_type, key, sizeof(key));
	if (rc == 0)
		rc = bus_envelope_encode(&it->entry, event_type, b->service, payload, meta);
	if (rc != 0) {
		free(it);
		return rc;
	}
	it->stream = strdup(key);
	it->maxlen = type_maxlen(b, event_type);
	it->cb = cb;
	it->cb_data = cb_data;
	if (event_id_out)
		memcpy(event_id_out, it->entry.event_id, sizeof(it->entry.event_id));
	if (p->spilled > 0 || p->queued >= (size_t)b->cfg.outbox_max) {
		if (!p->path) {
			metrics_inc(p->m_overflow);
			if (((uint64_t)metrics_value(p->m_overflow) & 1023) == 1)
				log_error("bus: outbox full (%d events), event %s of type %s refused; %.0f refused so "
					  "far",
					  b->cfg.outbox_max,
					  it->entry.event_id,
					  event_type,
					  metrics_value(p->m_overflow));
			item_free(it);
			return ORCH_EFULL;
		}
		if (!p->spill)
			p->spill = fopen(p->path, "a");
		if (!p->spill || spill_write(p->spill, it) != 0 || fflush(p->spill) != 0) {
			metrics_inc(p->m_overflow);
			log_error("bus: cannot write outbox %s (%s): event %s refused",
				  p->path,
				  strerror(errno),
				  it->entry.event_id);
			item_free(it);
			return ORCH_EFULL;
		}
		p->spilled++;
		metrics_set(p->m_spilled, (double)p->spilled);
		item_free(it);
		return 0;
	}
	queue_append(p, it);
	pub_pump(b);
	return 0;
}

size_t bus_pending_publishes(const struct bus *b)
{
	return b->pub.queued + b->pub.spilled;
}

int bus__pub_init(struct bus *b)
{
	struct bus_pub *p = &b->pub;
	p->m_published = metrics_counter("orch_bus_published_total", NULL, "Events stored in Redis by XADD");
	p->m_queued = metrics_gauge("orch_bus_outbox_events", NULL, "Events waiting to be published");
	p->m_overflow =
		metrics_counter("orch_bus_outbox_overflow_total", NULL, "Events refused because the outbox was full");
	p->m_errors = metrics_counter(
		"orch_bus_publish_errors_total", NULL, "Events Redis refused or the outbox file could not hold");
	p->m_spilled = metrics_gauge("orch_bus_outbox_file_events", NULL, "Events waiting in the outbox file");
	p->m_not_durable =
		metrics_counter("orch_bus_publish_not_durable_total",
				NULL,
				"Events stored on the master but not on ORCH_BUS_WAIT_REPLICAS replicas in time");
	if (!b->cfg.outbox_dir || !b->cfg.outbox_dir[0])
		return 0;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s_%s.outbox", b->cfg.outbox_dir, b->service, b->instance);
	p->path = strdup(path);
	if (!p->path)
		return ORCH_ENOMEM;
	p->spilled = spill_count(path);
	if (p->spilled > 0) {
		log_info("bus: outbox %s holds %zu events from an earlier run; sending them first", path, p->spilled);
		p->spill = fopen(path, "a");
	}
	metrics_set(p->m_spilled, (double)p->spilled);
	return 0;
}

void bus__pub_release(struct bus *b)
{
	struct bus_pub *p = &b->pub;
	size_t n = p->queued;
	if (p->spill) {
		fclose(p->spill);
		p->spill = NULL;
	}
	if (n > 0 && p->path) {
		/* unsent memory items go ahead of whatever the file still holds */
		char tmp[1100];
		snprintf(tmp, sizeof(tmp), "%s.tmp", p->path);
		FILE *out = fopen(tmp, "w");
		FILE *in = p->spilled ? fopen(p->path, "r") : NULL;
		int ok = out != NULL;
		for (struct pub_item *it = p->head; ok && it; it = it->next)
			ok = spill_write(out, it) == 0;
		if (ok && in && fseek(in, p->spill_read, SEEK_SET) == 0) {
			char buf[65536];
			size_t r;
			while (ok && (r = fread(buf, 1, sizeof(buf), in)) > 0)
				ok = fwrite(buf, 1, r, out) == r;
		}
		if (in)
			fclose(in);
		if (out && fclose(out) != 0)
			ok = 0;
		if (ok && rename(tmp, p->path) == 0)
			log_info("bus: %zu unsent events saved to %s", n, p->path);
		else
			log_error("bus: %zu unsent events lost: cannot write %s (%s)", n, tmp, strerror(errno));
	} else if (n > 0) {
		metrics_add(p->m_overflow, (double)n);
		log_error("bus: %zu unsent events dropped at close (set ORCH_OUTBOX_DIR to keep them)", n);
	}
	while (p->head) {
		struct pub_item *it = p->head;
		p->head = it->next;
		if (it->cb)
			it->cb(ORCH_ECLOSED, NULL, it->cb_data);
		item_free(it);
	}
	p->tail = p->unsent = p->replied = NULL;
	p->queued = 0;
	free(p->path);
	p->path = NULL;
}

int bus_publish_new(struct bus *b, const char *event_type, json_t *payload)
{
	if (!payload) {
		/* jansson refuses NaN, infinities and invalid UTF-8 the same way it
		 * reports running out of memory: say both, never just one */
		log_error("bus: %s not built: a value JSON cannot carry (NaN, infinity, invalid UTF-8) or out of "
			  "memory",
			  event_type);
		return ORCH_EINVAL;
	}
	int rc = bus_publish(b, event_type, payload, NULL, NULL, NULL, NULL);
	if (rc != 0)
		log_error("bus: %s not published: %s", event_type, orch_strerror(rc));
	json_decref(payload);
	return rc;
}
