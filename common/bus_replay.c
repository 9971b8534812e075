/*
 * bus_replay.c - rebuilds a service's view from the newest entries of its
 * input streams (contract in bus_replay.h).
 *
 * One command at a time on a private connection: page after page of
 * XREVRANGE per stream, decoded as they arrive and kept newest first;
 * when every stream is read, a k-way merge by entry id hands them out
 * oldest first. A connection loss throws the partial read away and the
 * next "connected" starts over, so what is handed out is always a
 * consistent read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_replay.h"
#include "clock.h"
#include "log.h"
#include "orch.h"
#include "redis_conn.h"

#define PAGE 1000

struct stream_read {
	char type[128];
	char key[256];
	struct bus_event *ev; /* newest first */
	size_t n, cap;
	long read;                      /* entries read, decodable or not */
	char cursor[BUS_REPLAY_ID_LEN]; /* oldest id read so far; "" before the first page */
};

struct bus_replay {
	struct redis_conn *conn;
	struct stream_read s[BUS_REPLAY_MAX_TYPES];
	int n_types, cur;
	long max_per_stream;
	int64_t min_ms;
	int max_future_ms;
	int busy, cancelled, in_cancel;
	bus_replay_event_fn on_event;
	bus_replay_done_fn on_done;
	void *data;
	struct bus_replay_result res;
};

static void id_parse(const char *id, uint64_t *ms, uint64_t *seq)
{
	char *end;
	*ms = strtoull(id, &end, 10);
	*seq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
}

int bus_compare_ids(const char *a, const char *b)
{
	if (!*a || !*b)
		return (*a != '\0') - (*b != '\0');
	uint64_t am, as, bm, bs;
	id_parse(a, &am, &as);
	id_parse(b, &bm, &bs);
	if (am != bm)
		return am < bm ? -1 : 1;
	return (as > bs) - (as < bs);
}

static void reads_clear(struct bus_replay *r)
{
	for (int i = 0; i < r->n_types; i++) {
		struct stream_read *s = &r->s[i];
		for (size_t k = 0; k < s->n; k++)
			bus_event_release(&s->ev[k]);
		s->n = 0;
		s->read = 0;
		s->cursor[0] = '\0';
	}
	r->cur = 0;
	r->res.events = r->res.undecodable = 0;
}

static void replay_free(struct bus_replay *r)
{
	reads_clear(r);
	for (int i = 0; i < r->n_types; i++)
		free(r->s[i].ev);
	free(r);
}

static void send_page(struct bus_replay *r);

/* Every stream read: hand the events out oldest first, merged by id. */
static void replay_finish(struct bus_replay *r)
{
	size_t left[BUS_REPLAY_MAX_TYPES];
	for (int i = 0; i < r->n_types; i++) {
		left[i] = r->s[i].n;
		snprintf(r->res.last_id[i], BUS_REPLAY_ID_LEN, "%s", r->s[i].n ? r->s[i].ev[0].stream_id : "");
	}
	for (;;) {
		int best = -1;
		for (int i = 0; i < r->n_types; i++)
			if (left[i] && (best < 0 || bus_compare_ids(r->s[i].ev[left[i] - 1].stream_id,
								    r->s[best].ev[left[best] - 1].stream_id) < 0))
				best = i;
		if (best < 0)
			break;
		r->on_event(&r->s[best].ev[--left[best]], r->data);
		r->res.events++;
	}
	log_info("replay: %ld events from %d streams (%ld undecodable skipped)",
		 r->res.events,
		 r->n_types,
		 r->res.undecodable);
	redis_conn_free(r->conn);
	r->on_done(0, &r->res, r->data);
	replay_free(r);
}

static int append_event(struct stream_read *s, const redisReply *e, int max_future_ms)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return ORCH_EMALFORMED;
	const redisReply *f = e->element[1];
	size_t nkv = f->elements & ~(size_t)1;
	const char **kv = malloc(sizeof(char *) * (nkv ? nkv : 1));
	size_t *lens = malloc(sizeof(size_t) * (nkv ? nkv : 1));
	int rc = ORCH_ENOMEM;
	if (!kv || !lens)
		goto out;
	for (size_t i = 0; i < nkv; i++) {
		kv[i] = f->element[i]->str ? f->element[i]->str : "";
		lens[i] = f->element[i]->str ? f->element[i]->len : 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct bus_event *ev = realloc(s->ev, sizeof(*ev) * cap);
		if (!ev)
			goto out;
		s->ev = ev;
		s->cap = cap;
	}
	char why[160];
	rc = bus_envelope_decode(&s->ev[s->n], s->type, e->element[0]->str, nkv / 2, kv, lens, why, sizeof(why));
	if (rc == 0 &&
	    (rc = bus_envelope_check_future(&s->ev[s->n], clock_wall_ms(), max_future_ms, why, sizeof(why))) != 0)
		bus_event_release(&s->ev[s->n]);
	if (rc == 0)
		s->n++;
	else if (rc == ORCH_EMALFORMED)
		log_debug("replay: %s %s skipped: %s", s->key, e->element[0]->str, why);
out:
	free(kv);
	free(lens);
	return rc;
}

static void page_reply(struct redis_conn *c, redisReply *reply, void *priv)
{
	struct bus_replay *r = priv;
	(void)c;
	r->busy = 0;
	if (r->cancelled) {
		if (!r->in_cancel)
			replay_free(r);
		return;
	}
	if (!reply)
		return; /* connection lost: starts over when it is back */
	struct stream_read *s = &r->s[r->cur];
	int done = 0;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warn("replay: %s cannot be read (%s); rebuilding without it", s->key, reply->str);
		done = 1;
	} else if (reply->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < reply->elements && !done; i++) {
			const redisReply *e = reply->element[i];
			const char *id = e->type == REDIS_REPLY_ARRAY && e->elements == 2 ? e->element[0]->str : NULL;
			if (!id) {
				r->res.undecodable++;
				continue;
			}
			uint64_t ms, seq;
			id_parse(id, &ms, &seq);
			if (r->min_ms > 0 && (int64_t)ms < r->min_ms) {
				done = 1;
				break;
			}
			snprintf(s->cursor, sizeof(s->cursor), "%s", id);
			s->read++;
			int rc = append_event(s, e, r->max_future_ms);
			if (rc == ORCH_EMALFORMED) {
				r->res.undecodable++;
			} else if (rc != 0) {
				log_error(
					"replay: out of memory reading %s; rebuilding from %zu entries", s->key, s->n);
				done = 1;
			}
			if (s->read >= r->max_per_stream)
				done = 1;
		}
		if (reply->elements < PAGE)
			done = 1;
	} else {
		done = 1;
	}
	if (done && ++r->cur == r->n_types) {
		replay_finish(r);
		return;
	}
	send_page(r);
}

static void send_page(struct bus_replay *r)
{
	struct stream_read *s = &r->s[r->cur];
	char end[BUS_REPLAY_ID_LEN + 1], count[24];
	if (s->cursor[0])
		snprintf(end, sizeof(end), "(%s", s->cursor);
	else
		snprintf(end, sizeof(end), "+");
	snprintf(count, sizeof(count), "%d", PAGE);
	const char *argv[] = {"XREVRANGE", s->key, end, "-", "COUNT", count};
	if (redis_conn_command(r->conn, page_reply, r, 6, argv, NULL) == 0)
		r->busy = 1;
	/* otherwise not connected: the next "connected" starts over */
}

static void conn_state(struct redis_conn *c, int connected, void *data)
{
	struct bus_replay *r = data;
	(void)c;
	if (r->cancelled)
		return;
	reads_clear(r);
	if (connected && !r->busy)
		send_page(r);
}

int bus_replay_start(struct bus_replay **out, uv_loop_t *loop, const struct redis_target *target,
		     const struct bus_replay_config *cfg, bus_replay_event_fn on_event, bus_replay_done_fn on_done,
		     void *data)
{
	if (!cfg || !cfg->prefix || !cfg->types || cfg->n_types < 1 || cfg->n_types > BUS_REPLAY_MAX_TYPES ||
	    cfg->max_per_stream < 1 || !on_event || !on_done)
		return ORCH_EINVAL;
	struct bus_replay *r = calloc(1, sizeof(*r));
	if (!r)
		return ORCH_ENOMEM;
	r->n_types = cfg->n_types;
	r->max_per_stream = cfg->max_per_stream;
	r->max_future_ms = cfg->max_future_ms;
	r->min_ms = cfg->min_ms;
	r->on_event = on_event;
	r->on_done = on_done;
	r->data = data;
	for (int i = 0; i < cfg->n_types; i++) {
		struct stream_read *s = &r->s[i];
		if (snprintf(s->type, sizeof(s->type), "%s", cfg->types[i]) >= (int)sizeof(s->type) ||
		    snprintf(s->key, sizeof(s->key), "%s:stream:%s", cfg->prefix, cfg->types[i]) >=
			    (int)sizeof(s->key)) {
			free(r);
			return ORCH_EINVAL;
		}
	}
	struct redis_conn_opts o = {.name = "replay", .on_state = conn_state, .data = r};
	int rc = redis_conn_new(&r->conn, loop, target, &o);
	if (rc == 0 && (rc = redis_conn_start(r->conn)) != 0)
		redis_conn_free(r->conn);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void bus_replay_cancel(struct bus_replay *r)
{
	if (!r || r->cancelled)
		return;
	r->cancelled = 1;
	r->on_done(ORCH_ECLOSED, &r->res, r->data);
	r->in_cancel = 1;
	redis_conn_free(r->conn);
	r->in_cancel = 0;
	if (!r->busy)
		replay_free(r);
}
