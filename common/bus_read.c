/*
 * bus_read.c - how the EventBus reads (contract in bus.h).
 *
 * Each subscription owns one blocking reader connection and walks this
 * cycle: ensure the group (XGROUP CREATE 0 MKSTREAM) -> take back its own
 * pending entries (the consumer name is stable, so these are what a crash
 * or a lost ACK left behind) -> XREADGROUP ">" with a finite BLOCK, asking
 * only for as many entries as there are free handler slots. A reconnect or
 * NOGROUP starts the cycle again. A timer reclaims entries idle past
 * claim_idle_ms in any consumer (XAUTOCLAIM) over the command connection.
 * Both recovery paths are one Lua script (LUA_CLAIM) that also reads each
 * entry's delivery count and dead-letters those delivered too often; at
 * stop, the same script reads back what was delivered to this consumer
 * but never reached it. What happens to an entry once read is in
 * bus_consume.c.
 */
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

/* KEYS: stream, dlq. ARGV: group, consumer, mode ("own" | "idle"), cursor,
 * dlq maxlen, count, min idle ms, max deliveries.
 * Returns {next cursor, {{id, deliveries, fields}, ...}, {dead-lettered id,
 * delivery count, ...}, gone}.
 * "own" lists this consumer's pending entries after the cursor (XPENDING)
 * and claims them again to itself, which counts a delivery; "idle" is
 * XAUTOCLAIM over the whole group. Cursor "0-0" back means "done". */
static const char LUA_CLAIM[] = LUA_DLQ_FN
	"local maxd = tonumber(ARGV[8])\n"
	"local out, dead, gone, nextc = {}, {}, 0, '0-0'\n"
	"local entries, counts = {}, {}\n"
	"if ARGV[3] == 'own' then\n"
	"  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[4], '+', ARGV[6], ARGV[2])\n"
	"  if #p == 0 then return {'0-0', {}, {}, 0} end\n"
	"  local ids = {}\n"
	"  for i, e in ipairs(p) do ids[i] = e[1]; counts[e[1]] = e[4] + 1 end\n"
	"  if #p >= tonumber(ARGV[6]) then nextc = '(' .. p[#p][1] end\n"
	"  entries = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))\n"
	"  gone = #ids - #entries\n"
	"else\n"
	"  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[7], ARGV[4], 'COUNT', ARGV[6])\n"
	"  nextc, entries, gone = r[1], r[2], #(r[3] or {})\n"
	"  for _, e in ipairs(entries) do\n"
	"    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)\n"
	"    counts[e[1]] = (p[1] and p[1][4]) or 1\n"
	"  end\n"
	"end\n"
	"for _, e in ipairs(entries) do\n"
	"  local n = counts[e[1]]\n"
	"  if n > maxd then\n"
	"    dlq(e[1], e[2], 'delivered ' .. n .. ' times without being acknowledged', n)\n"
	"    dead[#dead + 1] = e[1]; dead[#dead + 1] = n\n"
	"  else out[#out + 1] = {e[1], n, e[2]} end\n"
	"end\n"
	"return {nextc, out, dead, gone}\n";

static int sub_free_slots(const struct sub *s)
{
	int free_slots = s->b->cfg.max_inflight - s->inflight;
	return free_slots < s->b->cfg.batch ? free_slots : s->b->cfg.batch;
}

static void sub_retry_cb(uv_timer_t *t)
{
	bus__read(t->data);
}

/* After an unexpected error (a full Redis answering OOM, say): waits
 * before the next attempt, from 1 s doubling to 30 s, and logs the first
 * failure of a streak and each doubling only. */
static void sub_retry_later(struct sub *s, const char *what, const redisReply *r)
{
	int n = s->retries < 5 ? s->retries : 5;
	if ((s->retries & (s->retries - 1)) == 0 || s->retries == 0)
		log_warn("bus: %s on %s failed (%d in a row; next try in %d s): %s",
			 what,
			 s->stream,
			 s->retries + 1,
			 1 << n,
			 r && r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	s->retries++;
	uv_timer_start(&s->retry_timer, sub_retry_cb, 1000ULL << n, 0);
}

/* Dispatches the {{id, deliveries, fields}, ...} part of a LUA_CLAIM reply. */
static void sub_dispatch_claimed(struct sub *s, const redisReply *r)
{
	const redisReply *list = r->element[1];
	for (size_t i = 0; i < list->elements; i++) {
		const redisReply *e = list->element[i];
		if (e->type == REDIS_REPLY_ARRAY && e->elements == 3 && e->element[1]->type == REDIS_REPLY_INTEGER)
			bus__dispatch(s, e->element[0], e->element[2], (unsigned)e->element[1]->integer);
	}
	const redisReply *dead = r->element[2];
	for (size_t i = 0; i + 1 < dead->elements; i += 2) {
		metrics_inc(s->m_dlq);
		log_error("bus: %s entry %s dead-lettered to %s: delivered %lld times without being acknowledged",
			  s->type,
			  dead->element[i]->str,
			  s->dlq,
			  dead->element[i + 1]->integer);
	}
	if (r->element[3]->integer > 0)
		log_warn("bus: %s: %lld pending entries were trimmed from the stream before being processed",
			 s->stream,
			 r->element[3]->integer);
}

static int claim_reply_ok(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[0]->type == REDIS_REPLY_STRING &&
	       r->element[1]->type == REDIS_REPLY_ARRAY && r->element[2]->type == REDIS_REPLY_ARRAY &&
	       r->element[3]->type == REDIS_REPLY_INTEGER;
}

static void read_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct sub *s = priv;
	(void)c;
	s->reading = 0;
	if (!r || s->phase == PH_STOPPED || s->phase == PH_DOWN)
		return; /* the state callback restarts the cycle */
	if (redis_reply_is_error(r, "NOGROUP") || redis_reply_is_error(r, "UNBLOCKED")) {
		log_warn("bus: group %s vanished (stream deleted or Redis restarted empty); creating it again",
			 s->group);
		s->phase = PH_GROUP;
	} else if (r->type == REDIS_REPLY_ERROR) {
		sub_retry_later(s, "XREADGROUP", r);
		return;
	} else if (r->type == REDIS_REPLY_ARRAY) {
		s->retries = 0;
		s->reading = 1; /* no nested reads while the batch is dispatched */
		for (size_t i = 0; i < r->elements; i++) {
			const redisReply *st = r->element[i];
			if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
			    st->element[1]->type != REDIS_REPLY_ARRAY)
				continue;
			const redisReply *entries = st->element[1];
			for (size_t j = 0; j < entries->elements; j++) {
				const redisReply *e = entries->element[j];
				if (e->type == REDIS_REPLY_ARRAY && e->elements == 2)
					bus__dispatch(s, e->element[0], e->element[1], 1);
			}
		}
		s->reading = 0;
		bus__flush_acks(s);
	}
	bus__read(s);
}

static void own_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct sub *s = priv;
	(void)c;
	s->reading = 0;
	if (!r || s->phase != PH_OWN)
		return;
	if (redis_reply_is_error(r, "NOGROUP")) {
		s->phase = PH_GROUP;
	} else if (!claim_reply_ok(r)) {
		sub_retry_later(s, "pending-entry recovery", r);
		return;
	} else {
		s->reading = 1;
		sub_dispatch_claimed(s, r);
		s->reading = 0;
		bus__flush_acks(s);
		snprintf(s->own_cursor, sizeof(s->own_cursor), "%s", r->element[0]->str);
		if (strcmp(s->own_cursor, "0-0") == 0)
			s->phase = PH_NEW;
	}
	bus__read(s);
}

static void group_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct sub *s = priv;
	(void)c;
	s->reading = 0;
	if (!r || s->phase != PH_GROUP)
		return;
	if (r->type == REDIS_REPLY_ERROR && !redis_reply_is_error(r, "BUSYGROUP")) {
		sub_retry_later(s, "XGROUP CREATE", r);
		return;
	}
	s->phase = PH_OWN;
	s->retries = 0;
	snprintf(s->own_cursor, sizeof(s->own_cursor), "-");
	bus__read(s);
}

void bus__read(struct sub *s)
{
	struct bus *b = s->b;
	if (s->reading || b->stopping || s->phase == PH_DOWN || s->phase == PH_STOPPED ||
	    !redis_conn_is_connected(s->reader))
		return;
	int slots = sub_free_slots(s);
	if (slots <= 0)
		return; /* bus_delivery_done() calls back when a slot frees */
	char count[16], block[16], maxd[16], dml[24];
	snprintf(count, sizeof(count), "%d", slots);
	snprintf(block, sizeof(block), "%d", b->cfg.block_ms);
	int rc;
	if (s->phase == PH_GROUP) {
		const char *argv[] = {"XGROUP", "CREATE", s->stream, s->group, "0", "MKSTREAM"};
		rc = redis_conn_command(s->reader, group_reply, s, 6, argv, NULL);
	} else if (s->phase == PH_OWN) {
		snprintf(maxd, sizeof(maxd), "%d", b->cfg.max_deliveries);
		snprintf(dml, sizeof(dml), "%ld", b->cfg.dlq_maxlen);
		const char *argv[] = {
			s->stream, s->dlq, s->group, b->consumer, "own", s->own_cursor, dml, count, "0", maxd};
		rc = redis_conn_eval(s->reader, own_reply, s, LUA_CLAIM, 2, 10, argv, NULL);
	} else {
		const char *argv[] = {"XREADGROUP",
				      "GROUP",
				      s->group,
				      b->consumer,
				      "COUNT",
				      count,
				      "BLOCK",
				      block,
				      "STREAMS",
				      s->stream,
				      ">"};
		rc = redis_conn_command(s->reader, read_reply, s, 11, argv, NULL);
	}
	if (rc == 0)
		s->reading = 1;
}

/* ---- reclaiming entries other consumers (or failed handlers) left ---- */

static void idle_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct sub *s = priv;
	(void)c;
	s->claiming = 0;
	if (!r || s->phase == PH_STOPPED)
		return;
	if (!claim_reply_ok(r)) {
		if (!redis_reply_is_error(r, "NOGROUP"))
			log_warn("bus: reclaim on %s failed: %s",
				 s->stream,
				 r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
		return;
	}
	sub_dispatch_claimed(s, r);
	bus__flush_acks(s);
	snprintf(s->idle_cursor, sizeof(s->idle_cursor), "%s", r->element[0]->str);
}

void bus__claim_timer_cb(uv_timer_t *t)
{
	struct sub *s = t->data;
	struct bus *b = s->b;
	if (s->claiming || b->stopping || s->phase != PH_NEW || sub_free_slots(s) <= 0)
		return;
	char count[16], idle[16], maxd[16], dml[24];
	snprintf(count, sizeof(count), "%d", sub_free_slots(s));
	snprintf(idle, sizeof(idle), "%d", b->cfg.claim_idle_ms);
	snprintf(maxd, sizeof(maxd), "%d", b->cfg.max_deliveries);
	snprintf(dml, sizeof(dml), "%ld", b->cfg.dlq_maxlen);
	const char *argv[] = {s->stream, s->dlq, s->group, b->consumer, "idle", s->idle_cursor, dml, count, idle, maxd};
	if (redis_conn_eval(b->cmd, idle_reply, s, LUA_CLAIM, 2, 10, argv, NULL) == 0)
		s->claiming = 1;
}

/* ---- at stop ---- */

void bus__kill_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	(void)c;
	(void)priv;
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warn("bus: CLIENT KILL of a reader at stop failed: %s", r->str);
}

static void drain_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct sub *s = priv;
	(void)c;
	s->draining = 0;
	if (!claim_reply_ok(r)) {
		log_warn("bus: %s: reading back own pending entries at stop failed: %s",
			 s->stream,
			 r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
	} else {
		sub_dispatch_claimed(s, r);
		bus__flush_acks(s);
		snprintf(s->drain_cursor, sizeof(s->drain_cursor), "%s", r->element[0]->str);
		if (strcmp(s->drain_cursor, "0-0") != 0)
			bus__drain(s);
	}
	bus__check_stopped(s->b);
}

/*
 * At stop: entries a read delivered to us but whose reply never arrived
 * (the reader is closed mid-read) sit in our pending list; read them back
 * on the command connection and handle them, so that a stopped instance
 * leaves nothing unacknowledged behind.
 */
void bus__drain(struct sub *s)
{
	struct bus *b = s->b;
	if (b->closing || !redis_conn_is_connected(b->cmd))
		return;
	char maxd[16], dml[24];
	snprintf(maxd, sizeof(maxd), "%d", b->cfg.max_deliveries);
	snprintf(dml, sizeof(dml), "%ld", b->cfg.dlq_maxlen);
	const char *argv[] = {s->stream, s->dlq, s->group, b->consumer, "own", s->drain_cursor, dml, "100", "0", maxd};
	if (redis_conn_eval(b->cmd, drain_reply, s, LUA_CLAIM, 2, 10, argv, NULL) == 0)
		s->draining = 1;
}
