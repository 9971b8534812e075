/*
 * policy.c - the PolicyStore on Redis (contract in policy.h; the document
 * schema and defaults are in policy_doc.c).
 *
 * Two connections: `cmd` for GET and the compare-and-set script, `rd` for
 * a plain XREAD BLOCK on {prefix}:stream:policy.updated, so every instance
 * sees every change (a consumer group would share them out instead).
 * Loading: remember the change stream's last id, then GET; the reader
 * starts from that id, so no change between the two is missed. A missing
 * document is created from the defaults by a CAS on absence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_envelope.h"
#include "clock.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy.h"
#include "redis_conn.h"

/* KEYS: document, fence, history stream, change stream.
 * ARGV: new document (version already expected + 1), expected version
 * (0 = must not exist), fencing token (0 = none), history maxlen,
 * event_id, timestamp, trace_id, updated_by, traceparent, new active_mode.
 * Returns {"OK", version} | {"CONFLICT", current} | {"FENCED", highest}. */
static const char LUA_CAS[] =
	"local cur = redis.call('GET', KEYS[1])\n"
	"local curv, prev = 0, cjson.null\n"
	"if cur then\n"
	"  local ok, d = pcall(cjson.decode, cur)\n"
	"  if not ok or type(d) ~= 'table' then return {'CONFLICT', -1} end\n"
	"  curv = tonumber(d['version']) or 0\n"
	"  if d['active_mode'] then prev = d['active_mode'] end\n"
	"  if ARGV[2] == '0' then return {'CONFLICT', curv} end\n"
	"end\n"
	"if curv ~= tonumber(ARGV[2]) then return {'CONFLICT', curv} end\n"
	"local f = tonumber(ARGV[3])\n"
	"if f > 0 then\n"
	"  local hi = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
	"  if f < hi then return {'FENCED', hi} end\n"
	"  if f > hi then redis.call('SET', KEYS[2], ARGV[3]) end\n"
	"end\n"
	"local v = curv + 1\n"
	"redis.call('SET', KEYS[1], ARGV[1])\n"
	"redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'version', tostring(v),"
	"  'updated_by', ARGV[8], 'fencing_token', ARGV[3], 'timestamp', ARGV[6], 'document', ARGV[1])\n"
	"local payload = cjson.encode({event_type = 'policy.updated', previous_mode = prev,"
	"  new_mode = ARGV[10], updated_by = ARGV[8], timestamp = ARGV[6], trace_id = ARGV[7], version = v})\n"
	"redis.call('XADD', KEYS[4], 'MAXLEN', '~', '10000', '*', 'event_type', 'policy.updated',"
	"  'payload', payload, 'trace_id', ARGV[7], 'correlation_id', '', 'timestamp', ARGV[6],"
	"  'source', ARGV[8], 'event_id', ARGV[5], 'traceparent', ARGV[9])\n"
	"return {'OK', v}\n";

struct policy {
	uv_loop_t *loop;
	char prefix[64], writer[64], snapshot[512];
	long history_maxlen;
	int block_ms;
	char k_doc[128], k_fence[128], k_hist[128], k_changes[128];
	struct redis_conn *cmd, *rd;
	uv_timer_t closer; /* frees the store in libuv's close phase */
	json_t *doc;
	int64_t version;
	int stale, loading, reading, closed;
	char last_id[64]; /* change stream position; "" until the first load */
	policy_change_cb on_change;
	void *change_data;
	struct metric *m_ok, *m_conflict, *m_fenced, *m_error, *m_not_durable, *m_version, *m_stale;
};

struct write_ctx {
	struct policy *p;
	policy_write_cb cb;
	void *data;
	int64_t version;          /* written, while its replication is awaited */
};

static void policy_load(struct policy *p);
static void policy_follow(struct policy *p);

/* Writes the document next to the snapshot path, then renames it in place. */
static void snapshot_save(struct policy *p)
{
	if (!p->snapshot[0] || !p->doc)
		return;
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->snapshot);
	if (json_dump_file(p->doc, tmp, JSON_COMPACT) != 0 || rename(tmp, p->snapshot) != 0)
		log_warn("policy: cannot write snapshot %s: %s", p->snapshot, strerror(errno));
}

/* Takes ownership of doc; keeps it only if not older than what we have. */
static void policy_accept(struct policy *p, json_t *doc, int from_redis)
{
	int64_t v = 0;
	if (json_util_get_int64(doc, "version", &v) != 0 || v < p->version ||
	    (v == p->version && p->doc && !p->stale)) {
		if (v < p->version)
			log_warn("policy: ignoring version %lld, older than version %lld already seen",
				 (long long)v, (long long)p->version);
		json_decref(doc);
		if (from_redis && p->stale) {
			p->stale = 0;
			metrics_set(p->m_stale, 0);
		}
		return;
	}
	json_decref(p->doc);
	p->doc = doc;
	p->version = v;
	if (from_redis) {
		p->stale = 0;
		snapshot_save(p);
	}
	metrics_set(p->m_version, (double)v);
	metrics_set(p->m_stale, p->stale);
	if (p->on_change)
		p->on_change(p->doc, p->version, p->change_data);
}

/* ---- writes ---- */

/* Reports a write's outcome, counts it, and re-reads the document. */
static void cas_finish(struct write_ctx *w, int status, int64_t v)
{
	struct policy *p = w->p;
	metrics_inc(status == 0			  ? p->m_ok
		    : status == ORCH_ECONFLICT	  ? p->m_conflict
		    : status == ORCH_EFENCED	  ? p->m_fenced
		    : status == ORCH_ENOTDURABLE ? p->m_not_durable
						  : p->m_error);
	if (w->cb)
		w->cb(status, status == 0 ? v : 0,
		      status == 0 || status == ORCH_ECONFLICT || status == ORCH_ENOTDURABLE ? v : p->version, w->data);
	free(w);
	/* after a write, and after losing one (the cache is behind), re-read */
	if ((status == 0 || status == ORCH_ECONFLICT || status == ORCH_ENOTDURABLE) && !p->closed)
		policy_load(p);
}

static void wait_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct write_ctx *w = priv;
	(void)c;
	int want = redis_conn_wait_replicas(w->p->cmd);
	long long acks = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	if (acks >= want) {
		cas_finish(w, 0, w->version);
		return;
	}
	log_error("policy: version %lld is on the master but %s (%lld of %d replicas acknowledged): not durable, "
		  "a failover now could lose it",
		  (long long)w->version, r ? "not replicated in time" : "the connection was lost", acks < 0 ? 0 : acks,
		  want);
	cas_finish(w, ORCH_ENOTDURABLE, w->version);
}

static void cas_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct write_ctx *w = priv;
	(void)c;
	int status = ORCH_EREDIS;
	int64_t v = 0;
	if (!r) {
		status = ORCH_ENOTCONN;
	} else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
		   r->element[1]->type == REDIS_REPLY_INTEGER) {
		v = r->element[1]->integer;
		if (!strcmp(r->element[0]->str, "OK"))
			status = 0;
		else if (!strcmp(r->element[0]->str, "CONFLICT"))
			status = ORCH_ECONFLICT;
		else if (!strcmp(r->element[0]->str, "FENCED"))
			status = ORCH_EFENCED;
	} else {
		log_error("policy: compare-and-set failed: %s", r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
	}
	/* accepted by the master: success only once enough replicas have it */
	if (status == 0 && redis_conn_wait_replicas(w->p->cmd) > 0) {
		w->version = v;
		if (redis_conn_wait(w->p->cmd, redis_conn_wait_replicas(w->p->cmd), wait_reply, w) == 0)
			return;
		wait_reply(w->p->cmd, NULL, w);
		return;
	}
	cas_finish(w, status, v);
}

int policy_cas(struct policy *p, const json_t *doc, int64_t expected_version, uint64_t fence,
	       const char *updated_by, const char *trace_id, policy_write_cb cb, void *data)
{
	char err[256];
	if (expected_version < 0 || policy_validate(doc, err, sizeof(err)) != 0) {
		log_warn("policy: write refused: %s", expected_version < 0 ? "negative version" : err);
		return ORCH_EINVAL;
	}
	if (!redis_conn_is_connected(p->cmd))
		return ORCH_ENOTCONN;
	const char *who = updated_by && updated_by[0] ? updated_by : p->writer;
	char ts[40], eid[40], tp[64], ver[24], exp[24], fen[24], maxlen[24];
	int64_t now_us = clock_now_ms() * 1000;
	json_util_format_ts_us(now_us, ts, sizeof(ts));
	bus_uuid7(now_us / 1000, eid);
	bus_traceparent_new(tp);
	json_t *copy = json_deep_copy(doc);
	struct write_ctx *w = calloc(1, sizeof(*w));
	int rc = ORCH_ENOMEM;
	char *text = NULL;
	if (!copy || !w)
		goto out;
	json_object_set_new(copy, "version", json_integer(expected_version + 1));
	json_object_set_new(copy, "last_updated", json_string(ts));
	json_object_set_new(copy, "updated_by", json_string(who));
	if (!(text = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		goto out;
	snprintf(ver, sizeof(ver), "%lld", (long long)(expected_version + 1));
	snprintf(exp, sizeof(exp), "%lld", (long long)expected_version);
	snprintf(fen, sizeof(fen), "%llu", (unsigned long long)fence);
	snprintf(maxlen, sizeof(maxlen), "%ld", p->history_maxlen);
	const char *argv[] = {p->k_doc, p->k_fence, p->k_hist, p->k_changes, text, exp, fen, maxlen, eid, ts,
			      trace_id ? trace_id : "", who, tp, json_string_value(json_object_get(copy, "active_mode"))};
	w->p = p;
	w->cb = cb;
	w->data = data;
	rc = redis_conn_eval(p->cmd, cas_reply, w, LUA_CAS, 4, 14, argv, NULL);
	if (rc == 0)
		w = NULL;
out:
	free(text);
	free(w);
	json_decref(copy);
	return rc;
}

/* ---- loading and following ---- */

static void created_cb(int status, int64_t v, int64_t cur, void *data)
{
	struct policy *p = data;
	(void)v;
	(void)cur;
	if (status == 0)
		log_info("policy: no document found; created the default (version 1)");
	else if (status != ORCH_ECONFLICT)
		log_warn("policy: creating the default document failed: %s", orch_strerror(status));
	/* after a successful write cas_reply loads the document */
	p->loading = 0;
	if (status != 0 && !p->closed)
		policy_load(p);
}

static void get_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct policy *p = priv;
	(void)c;
	p->loading = 0;
	if (!r || p->closed)
		return;
	if (r->type == REDIS_REPLY_NIL) {
		json_t *def = policy_default_doc(clock_now_ms());
		p->loading = 1;
		if (policy_cas(p, def, 0, 0, "system", NULL, created_cb, p) != 0)
			p->loading = 0;
		json_decref(def);
		return;
	}
	if (r->type != REDIS_REPLY_STRING) {
		log_error("policy: GET %s failed: %s", p->k_doc, r->type == REDIS_REPLY_ERROR ? r->str : "not a string");
		return;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(r->str, r->len, 0, &jerr);
	char err[256];
	if (!doc || policy_validate(doc, err, sizeof(err)) != 0) {
		log_error("policy: stored document at %s is invalid (%s); keeping version %lld", p->k_doc,
			  doc ? err : jerr.text, (long long)p->version);
		json_decref(doc);
		return;
	}
	policy_accept(p, doc, 1);
	policy_follow(p);
}

static void position_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct policy *p = priv;
	(void)c;
	if (!r || p->closed) {
		p->loading = 0;
		return;
	}
	if (!p->last_id[0]) {
		const char *id = "0-0";
		if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY)
			id = r->element[0]->element[0]->str;
		snprintf(p->last_id, sizeof(p->last_id), "%s", id);
	}
	const char *argv[] = {"GET", p->k_doc};
	if (redis_conn_command(p->cmd, get_reply, p, 2, argv, NULL) != 0)
		p->loading = 0;
}

static void policy_load(struct policy *p)
{
	if (p->loading || p->closed || !redis_conn_is_connected(p->cmd))
		return;
	p->loading = 1;
	const char *argv[] = {"XREVRANGE", p->k_changes, "+", "-", "COUNT", "1"};
	if (redis_conn_command(p->cmd, position_reply, p, 6, argv, NULL) != 0)
		p->loading = 0;
}

static void follow_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct policy *p = priv;
	(void)c;
	p->reading = 0;
	if (!r || p->closed)
		return;
	int newer = 0;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		redisReply *entries = r->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++) {
			redisReply *e = entries->element[i], *f = e->element[1];
			snprintf(p->last_id, sizeof(p->last_id), "%s", e->element[0]->str);
			for (size_t j = 0; j + 1 < f->elements; j += 2) {
				if (strcmp(f->element[j]->str, "payload") != 0)
					continue;
				json_t *pl = json_loadb(f->element[j + 1]->str, f->element[j + 1]->len, 0, NULL);
				int64_t v = 0;
				if (json_util_get_int64(pl, "version", &v) != 0 || v > p->version)
					newer = 1; /* a change without a version: re-read to be safe */
				json_decref(pl);
			}
		}
	} else if (r->type == REDIS_REPLY_ERROR) {
		log_warn("policy: reading %s failed: %s", p->k_changes, r->str);
	}
	if (newer)
		policy_load(p);
	policy_follow(p);
}

static void policy_follow(struct policy *p)
{
	if (p->reading || p->closed || !p->last_id[0] || !redis_conn_is_connected(p->rd))
		return;
	char block[16];
	snprintf(block, sizeof(block), "%d", p->block_ms);
	const char *argv[] = {"XREAD", "COUNT", "100", "BLOCK", block, "STREAMS", p->k_changes, p->last_id};
	if (redis_conn_command(p->rd, follow_reply, p, 8, argv, NULL) == 0)
		p->reading = 1;
}

static void cmd_state(struct redis_conn *c, int connected, void *data)
{
	struct policy *p = data;
	(void)c;
	p->loading = 0;
	if (connected)
		policy_load(p);
}

static void rd_state(struct redis_conn *c, int connected, void *data)
{
	struct policy *p = data;
	(void)c;
	p->reading = 0;
	if (connected)
		policy_follow(p);
}

/* ---- lifecycle ---- */

int policy_new(struct policy **out, uv_loop_t *loop, const struct policy_config *cfg,
	       const struct redis_target *target)
{
	struct policy *p = calloc(1, sizeof(*p));
	if (!p)
		return ORCH_ENOMEM;
	p->loop = loop;
	snprintf(p->prefix, sizeof(p->prefix), "%s", cfg->prefix && cfg->prefix[0] ? cfg->prefix : "quantum");
	snprintf(p->writer, sizeof(p->writer), "%s", cfg->writer && cfg->writer[0] ? cfg->writer : "system");
	snprintf(p->snapshot, sizeof(p->snapshot), "%s", cfg->snapshot_path ? cfg->snapshot_path : "");
	p->history_maxlen = cfg->history_maxlen > 0 ? cfg->history_maxlen : 1000;
	p->block_ms = cfg->block_ms > 0 ? cfg->block_ms : 2000;
	snprintf(p->k_doc, sizeof(p->k_doc), "%s:policy:current", p->prefix);
	snprintf(p->k_fence, sizeof(p->k_fence), "%s:policy:fence", p->prefix);
	snprintf(p->k_hist, sizeof(p->k_hist), "%s:policy:history", p->prefix);
	snprintf(p->k_changes, sizeof(p->k_changes), "%s:stream:policy.updated", p->prefix);
	p->m_ok = metrics_counter("orch_policy_writes_total", "result=\"ok\"", "PolicyStore writes by result");
	p->m_conflict = metrics_counter("orch_policy_writes_total", "result=\"conflict\"", "PolicyStore writes by result");
	p->m_fenced = metrics_counter("orch_policy_writes_total", "result=\"fenced\"", "PolicyStore writes by result");
	p->m_error = metrics_counter("orch_policy_writes_total", "result=\"error\"", "PolicyStore writes by result");
	p->m_not_durable = metrics_counter("orch_policy_writes_total", "result=\"not_durable\"",
					   "PolicyStore writes by result");
	p->m_version = metrics_gauge("orch_policy_version", NULL, "Version of the cached policy document");
	p->m_stale = metrics_gauge("orch_policy_stale", NULL, "1 while serving the snapshot file without Redis");
	struct redis_conn_opts oc = {.name = "policy", .on_state = cmd_state, .data = p};
	struct redis_conn_opts orr = {.name = "policy-follow", .on_state = rd_state, .data = p,
				      .stall_timeout_ms = p->block_ms + 5000};
	int rc = redis_conn_new(&p->cmd, loop, target, &oc);
	if (rc == 0)
		rc = redis_conn_new(&p->rd, loop, target, &orr);
	if (rc != 0) {
		if (p->cmd)
			redis_conn_free(p->cmd);
		free(p);
		return rc;
	}
	uv_timer_init(loop, &p->closer);
	p->closer.data = p;
	*out = p;
	return 0;
}

void policy_on_change(struct policy *p, policy_change_cb cb, void *data)
{
	p->on_change = cb;
	p->change_data = data;
}

int policy_start(struct policy *p)
{
	if (p->snapshot[0] && access(p->snapshot, R_OK) == 0) {
		json_error_t jerr;
		json_t *doc = json_load_file(p->snapshot, 0, &jerr);
		char err[256];
		if (doc && policy_validate(doc, err, sizeof(err)) == 0) {
			p->stale = 1;
			log_info("policy: serving snapshot %s until Redis answers", p->snapshot);
			policy_accept(p, doc, 0);
		} else {
			log_warn("policy: ignoring snapshot %s: %s", p->snapshot, doc ? err : jerr.text);
			json_decref(doc);
		}
	}
	int rc = redis_conn_start(p->cmd);
	return rc ? rc : redis_conn_start(p->rd);
}

const json_t *policy_current(const struct policy *p, int64_t *version)
{
	if (version)
		*version = p->version;
	return p->doc;
}

int policy_is_stale(const struct policy *p)
{
	return p->stale;
}

int policy_check_ready(void *data, char *buf, size_t len)
{
	const struct policy *p = data;
	if (!p->doc)
		snprintf(buf, len, "no policy loaded");
	else if (p->stale)
		snprintf(buf, len, "snapshot only, version %lld (Redis unreachable)", (long long)p->version);
	else
		snprintf(buf, len, "version %lld", (long long)p->version);
	return p->doc && !p->stale;
}

static void closer_closed(uv_handle_t *h)
{
	struct policy *p = h->data;
	json_decref(p->doc);
	free(p);
}

void policy_free(struct policy *p)
{
	if (!p || p->closed)
		return;
	p->closed = 1;
	redis_conn_free(p->cmd);
	redis_conn_free(p->rd);
	/* replies still owed to us arrive (as NULL) before libuv's close phase */
	uv_close((uv_handle_t *)&p->closer, closer_closed);
}
