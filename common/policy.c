/*
 * policy.c - the PolicyStore on Redis (contract in policy.h; the document
 * schema and defaults are in policy_doc.c, loading and following in
 * policy_load.c): its lifecycle, its writes and what its cache tells.
 *
 * Two connections: `cmd` for GET and the compare-and-set script, `rd` for
 * a plain XREAD BLOCK on {prefix}:stream:policy.updated, so every instance
 * sees every change (a consumer group would share them out instead).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "bus_envelope.h"
#include "clock.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy_internal.h"
#include "redis_conn.h"

/* KEYS: document, fence, history stream, change stream, then the stream
 * of each record.
 * ARGV: new document (its version already the new one), expected version
 * (0 = must not exist), fencing token (0 = none), history maxlen,
 * event_id, timestamp, trace_id, updated_by, traceparent, new active_mode,
 * new version, correlation_id, number of records, then per record its
 * MAXLEN, its number of fields and the fields.
 * Returns {"OK", version} | {"CONFLICT", current} | {"FENCED", highest} |
 * {"WRONGTYPE", 0}: a key of another type is never written. Every check
 * comes before the first write, and Redis refuses a script for lack of
 * memory only at its first write, so everything lands or nothing does. */
static const char LUA_CAS[] =
	"local t = redis.call('TYPE', KEYS[1])['ok']\n"
	"if t ~= 'none' and t ~= 'string' then return {'WRONGTYPE', 0} end\n"
	"for i = 3, #KEYS do\n"
	"  local st = redis.call('TYPE', KEYS[i])['ok']\n"
	"  if st ~= 'none' and st ~= 'stream' then\n"
	"    return redis.error_reply(KEYS[i] .. ' holds a ' .. st .. ', not a stream: nothing written')\n"
	"  end\n"
	"end\n"
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
	"local v = tonumber(ARGV[11])\n"
	"redis.call('SET', KEYS[1], ARGV[1])\n"
	"redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'version', tostring(v),"
	"  'updated_by', ARGV[8], 'fencing_token', ARGV[3], 'timestamp', ARGV[6], 'document', ARGV[1])\n"
	"local payload = cjson.encode({event_type = 'policy.updated', previous_mode = prev,"
	"  new_mode = ARGV[10], updated_by = ARGV[8], timestamp = ARGV[6], trace_id = ARGV[7], version = v})\n"
	"redis.call('XADD', KEYS[4], 'MAXLEN', '~', '10000', '*', 'event_type', 'policy.updated',"
	"  'payload', payload, 'trace_id', ARGV[7], 'correlation_id', ARGV[12], 'timestamp', ARGV[6],"
	"  'source', ARGV[8], 'event_id', ARGV[5], 'traceparent', ARGV[9])\n"
	"local j = 14\n"
	"for i = 1, tonumber(ARGV[13]) do\n"
	"  local n = tonumber(ARGV[j + 1])\n"
	"  redis.call('XADD', KEYS[4 + i], 'MAXLEN', '~', ARGV[j], '*', unpack(ARGV, j + 2, j + 1 + n))\n"
	"  j = j + 2 + n\n"
	"end\n"
	"return {'OK', v}\n";

struct write_ctx {
	struct policy *p;
	policy_write_cb cb;
	void *data;
	int64_t version; /* written, while its replication is awaited */
};

/* ---- writes ---- */

/* Reports a write's outcome, counts it, and re-reads the document. */
static void cas_finish(struct write_ctx *w, int status, int64_t v)
{
	struct policy *p = w->p;
	metrics_inc(status == 0                  ? p->m_ok
		    : status == ORCH_ECONFLICT   ? p->m_conflict
		    : status == ORCH_EFENCED     ? p->m_fenced
		    : status == ORCH_ENOTDURABLE ? p->m_not_durable
		    : status == ORCH_EWRONGTYPE  ? p->m_wrongtype
						 : p->m_error);
	if (w->cb)
		w->cb(status,
		      status == 0 ? v : 0,
		      status == 0 || status == ORCH_ECONFLICT || status == ORCH_ENOTDURABLE ? v : p->version,
		      w->data);
	free(w);
	/* after a write, and after losing one (the cache is behind), re-read */
	if ((status == 0 || status == ORCH_ECONFLICT || status == ORCH_ENOTDURABLE) && !p->closed)
		policy__load(p);
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
		  (long long)w->version,
		  r ? "not replicated in time" : "the connection was lost",
		  acks < 0 ? 0 : acks,
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
		else if (!strcmp(r->element[0]->str, "WRONGTYPE"))
			status = ORCH_EWRONGTYPE;
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

static void put_arg(const char **argv, size_t *lens, int *k, const char *s, size_t len)
{
	argv[*k] = s;
	lens[(*k)++] = len;
}

/* The script's arguments: keys, the fixed ones, then the records. New
 * arrays (argv borrows the strings; free both); 0 or ORCH_ENOMEM. */
static int cas_args(const struct policy *p, const char *const *fixed, size_t n_fixed, const struct bus_record *recs,
		    size_t n_recs, char (*counts)[2][24], const char ***argv_out, size_t **lens_out, int *argc_out)
{
	int argc = 4 + (int)n_fixed;
	for (size_t i = 0; i < n_recs; i++)
		argc += 1 + 2 + 2 * recs[i].entry.nfields;
	const char **argv = calloc((size_t)argc, sizeof(*argv));
	size_t *lens = calloc((size_t)argc, sizeof(*lens));
	if (!argv || !lens) {
		free(argv);
		free(lens);
		return ORCH_ENOMEM;
	}
	int k = 0;
	const char *keys[] = {p->k_doc, p->k_fence, p->k_hist, p->k_changes};
	for (int i = 0; i < 4; i++)
		put_arg(argv, lens, &k, keys[i], strlen(keys[i]));
	for (size_t i = 0; i < n_recs; i++)
		put_arg(argv, lens, &k, recs[i].stream, strlen(recs[i].stream));
	for (size_t i = 0; i < n_fixed; i++)
		put_arg(argv, lens, &k, fixed[i], strlen(fixed[i]));
	for (size_t i = 0; i < n_recs; i++) {
		snprintf(counts[i][0], sizeof(counts[i][0]), "%ld", recs[i].maxlen);
		snprintf(counts[i][1], sizeof(counts[i][1]), "%d", 2 * recs[i].entry.nfields);
		put_arg(argv, lens, &k, counts[i][0], strlen(counts[i][0]));
		put_arg(argv, lens, &k, counts[i][1], strlen(counts[i][1]));
		for (int f = 0; f < 2 * recs[i].entry.nfields; f++)
			put_arg(argv, lens, &k, recs[i].entry.argv[f], recs[i].entry.lens[f]);
	}
	*argv_out = argv;
	*lens_out = lens;
	*argc_out = argc;
	return 0;
}

int policy_cas(struct policy *p, const json_t *doc, int64_t expected_version, uint64_t fence, const char *updated_by,
	       const char *trace_id, policy_write_cb cb, void *data)
{
	return policy_cas_records(p, doc, expected_version, fence, updated_by, trace_id, NULL, 0, cb, data);
}

int policy_cas_records(struct policy *p, const json_t *doc, int64_t expected_version, uint64_t fence,
		       const char *updated_by, const char *trace_id, const struct bus_record *recs, size_t n_recs,
		       policy_write_cb cb, void *data)
{
	char err[256];
	if (expected_version < 0 || n_recs > POLICY_MAX_RECORDS || policy_validate(doc, err, sizeof(err)) != 0) {
		log_warn("policy: write refused: %s",
			 expected_version < 0          ? "negative version"
			 : n_recs > POLICY_MAX_RECORDS ? "too many records"
						       : err);
		return ORCH_EINVAL;
	}
	if (!redis_conn_is_connected(p->cmd))
		return ORCH_ENOTCONN;
	const char *who = updated_by && updated_by[0] ? updated_by : p->writer;
	char ts[40], eid[40], tp[64], ver[24], exp[24], fen[24], maxlen[24], corr[40], nrec[24];
	char counts[POLICY_MAX_RECORDS][2][24];
	if (p->state == POLICY_WRONGTYPE)
		return ORCH_EWRONGTYPE;
	/* expected version 0 means the key holds nothing: only its owner
	 * creates the document there (another type may be on its way) */
	if (expected_version == 0 && !p->create)
		return ORCH_ENOENT;
	int64_t now_us = clock_now_ms() * 1000;
	json_util_format_ts_us(now_us, ts, sizeof(ts));
	bus_uuid7(now_us / 1000, eid);
	bus_traceparent_new(tp);
	bus_uuid4(corr);
	json_t *copy = json_deep_copy(doc);
	struct write_ctx *w = calloc(1, sizeof(*w));
	int rc = ORCH_ENOMEM, argc = 0;
	char *text = NULL;
	const char **argv = NULL;
	size_t *lens = NULL;
	if (!copy || !w)
		goto out;
	/* above what Redis holds and above anything seen: after data loss the
	 * document goes back to a version no reader has seen before */
	int64_t new_version = (expected_version > p->max_version ? expected_version : p->max_version) + 1;
	json_object_set_new(copy, "version", json_integer(new_version));
	json_object_set_new(copy, "last_updated", json_string(ts));
	json_object_set_new(copy, "updated_by", json_string(who));
	if (!(text = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		goto out;
	snprintf(ver, sizeof(ver), "%lld", (long long)new_version);
	snprintf(exp, sizeof(exp), "%lld", (long long)expected_version);
	snprintf(fen, sizeof(fen), "%llu", (unsigned long long)fence);
	snprintf(maxlen, sizeof(maxlen), "%ld", p->history_maxlen);
	snprintf(nrec, sizeof(nrec), "%zu", n_recs);
	const char *fixed[] = {text,
			       exp,
			       fen,
			       maxlen,
			       eid,
			       ts,
			       trace_id ? trace_id : "",
			       who,
			       tp,
			       json_string_value(json_object_get(copy, "active_mode")),
			       ver,
			       corr,
			       nrec};
	if ((rc = cas_args(p, fixed, sizeof(fixed) / sizeof(fixed[0]), recs, n_recs, counts, &argv, &lens, &argc)) != 0)
		goto out;
	w->p = p;
	w->cb = cb;
	w->data = data;
	rc = redis_conn_eval(p->cmd, cas_reply, w, LUA_CAS, 4 + (int)n_recs, argc, argv, lens);
	if (rc == 0)
		w = NULL;
out:
	free(argv);
	free(lens);
	free(text);
	free(w);
	json_decref(copy);
	return rc;
}

static void cmd_state(struct redis_conn *c, int connected, void *data)
{
	struct policy *p = data;
	(void)c;
	p->loading = 0;
	if (connected)
		policy__on_connect(p);
}

static void rd_state(struct redis_conn *c, int connected, void *data)
{
	struct policy *p = data;
	(void)c;
	p->reading = 0;
	if (connected)
		policy__follow(p);
}

/* ---- lifecycle ---- */

/* Every refresh_ms; with the refresh off, every POLICY_RECHECK_MS while
 * the key is not usable (another type, absent, lost), so that the store
 * still becomes ready by itself. */
static void refresh_cb(uv_timer_t *t)
{
	struct policy *p = t->data;
	if (p->refresh_ms > 0 || p->state != POLICY_OK)
		policy__load(p);
}

int policy_new(struct policy **out, uv_loop_t *loop, const struct policy_config *cfg, const struct redis_target *target)
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
	if (cfg->key && cfg->key[0])
		snprintf(p->k_doc, sizeof(p->k_doc), "%s", cfg->key);
	else
		snprintf(p->k_doc, sizeof(p->k_doc), "%s:policy:current", p->prefix);
	p->create = cfg->create;
	p->refresh_ms = cfg->refresh_ms;
	p->state = POLICY_LOADING;
	snprintf(p->k_fence, sizeof(p->k_fence), "%s:policy:fence", p->prefix);
	snprintf(p->k_hist, sizeof(p->k_hist), "%s:policy:history", p->prefix);
	snprintf(p->k_changes, sizeof(p->k_changes), "%s:stream:policy.updated", p->prefix);
	p->m_ok = metrics_counter("orch_policy_writes_total", "result=\"ok\"", "PolicyStore writes by result");
	p->m_conflict =
		metrics_counter("orch_policy_writes_total", "result=\"conflict\"", "PolicyStore writes by result");
	p->m_fenced = metrics_counter("orch_policy_writes_total", "result=\"fenced\"", "PolicyStore writes by result");
	p->m_error = metrics_counter("orch_policy_writes_total", "result=\"error\"", "PolicyStore writes by result");
	p->m_not_durable =
		metrics_counter("orch_policy_writes_total", "result=\"not_durable\"", "PolicyStore writes by result");
	p->m_wrongtype =
		metrics_counter("orch_policy_writes_total", "result=\"wrongtype\"", "PolicyStore writes by result");
	p->m_version = metrics_gauge("orch_policy_version", NULL, "Version of the policy document Redis holds");
	p->m_state = metrics_gauge(
		"orch_policy_state", NULL, "0 ok, 1 loading, 2 absent, 3 lost, 4 regressed, 5 wrong type, 6 invalid");
	p->m_losses = metrics_counter(
		"orch_policy_losses_total", NULL, "Times the document was found gone or older than one seen");
	p->m_restarts = metrics_counter("orch_redis_restarts_seen_total", NULL, "Redis run_id changes seen");
	p->m_stale = metrics_gauge("orch_policy_stale", NULL, "1 while serving the snapshot file without Redis");
	struct redis_conn_opts oc = {.name = "policy", .on_state = cmd_state, .data = p};
	struct redis_conn_opts orr = {
		.name = "policy-follow", .on_state = rd_state, .data = p, .stall_timeout_ms = p->block_ms + 5000};
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
	uv_timer_init(loop, &p->refresh);
	uv_timer_init(loop, &p->retry);
	p->closer.data = p->refresh.data = p->retry.data = p;
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
			json_int_t v = 0;
			json_unpack(doc, "{s?I}", "version", &v);
			p->doc = doc;
			p->version = p->max_version = v;
			if (p->on_change)
				p->on_change(p->doc, p->version, p->change_data);
		} else {
			log_warn("policy: ignoring snapshot %s: %s", p->snapshot, doc ? err : jerr.text);
			json_decref(doc);
		}
	}
	uint64_t every = p->refresh_ms > 0 ? (uint64_t)p->refresh_ms : POLICY_RECHECK_MS;
	uv_timer_start(&p->refresh, refresh_cb, every, every);
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

enum policy_state policy_state(const struct policy *p, char *buf, size_t len)
{
	if (!buf)
		return p->state;
	const char *k = p->k_doc, *d = p->state_detail;
	switch (p->state) {
	case POLICY_OK:
		snprintf(buf, len, "version %lld", (long long)p->version);
		break;
	case POLICY_LOADING:
		snprintf(buf, len, "no policy loaded");
		break;
	case POLICY_ABSENT:
		snprintf(buf,
			 len,
			 "no document at %s and ORCH_POLICY_CREATE is off: waiting for the layer's CEO "
			 "(ORCH_POLICY_CREATE=true) or an operator to create it",
			 k);
		break;
	case POLICY_LOST:
		snprintf(buf,
			 len,
			 "the document at %s is gone after version %s: Redis lost its data; the CEO "
			 "writes the last known one back",
			 k,
			 d);
		break;
	case POLICY_REGRESSED:
		snprintf(buf,
			 len,
			 "%s went back to version %s: Redis lost data or was restored; the CEO writes "
			 "the last known one back",
			 k,
			 d);
		break;
	case POLICY_WRONGTYPE:
		snprintf(buf,
			 len,
			 "%s holds a Redis %s, not this layer's JSON document; it is never written: set "
			 "ORCH_POLICY_KEY to a key of the layer's own (docs/operations.md)",
			 k,
			 d);
		break;
	case POLICY_INVALID:
		snprintf(buf,
			 len,
			 "the document at %s fails the schema (%s); keeping version %lld",
			 k,
			 d,
			 (long long)p->max_version);
		break;
	}
	return p->state;
}

int policy_check_ready(void *data, char *buf, size_t len)
{
	const struct policy *p = data;
	if (p->stale && p->doc) {
		snprintf(buf, len, "snapshot only, version %lld (Redis unreachable)", (long long)p->version);
		return 0;
	}
	return policy_state(p, buf, len) == POLICY_OK && p->doc;
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
	uv_timer_stop(&p->refresh);
	uv_timer_stop(&p->retry);
	uv_close((uv_handle_t *)&p->refresh, NULL);
	uv_close((uv_handle_t *)&p->retry, NULL);
	/* replies still owed to us arrive (as NULL) before libuv's close phase */
	uv_close((uv_handle_t *)&p->closer, closer_closed);
}
