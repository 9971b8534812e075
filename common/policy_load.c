/*
 * policy_load.c - how the PolicyStore's cache learns what Redis holds
 * (contract in policy.h): loading, following policy.updated, re-reading
 * every refresh_ms, refusing a key of another type, and noticing data
 * loss.
 *
 * Loading: remember the change stream's last id, then GET; the reader
 * starts from that id, so no change between the two is missed. A GET
 * answered WRONGTYPE asks TYPE, to say which type is there. The cache
 * never moves to an older document: when Redis lost the document or holds
 * an older one, the cache keeps the last known one (with an emergency stop
 * the stored one holds) and the state says so until a write puts a newer
 * version back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy_internal.h"

static const char *const EMERGENCY_KEYS[] = {
	"emergency_mode", "allow_new_trades", "emergency_reason", "emergency_activated_at", "emergency_set_by"};

/* Moves to state with detail (logged once per change); tells on_change. */
static void policy__set_state(struct policy *p, enum policy_state state, const char *detail)
{
	int changed = state != p->state || strcmp(detail ? detail : "", p->state_detail) != 0;
	p->state = state;
	snprintf(p->state_detail, sizeof(p->state_detail), "%s", detail ? detail : "");
	metrics_set(p->m_state, state);
	if (!changed || state == POLICY_OK)
		return;
	char text[400];
	policy_state(p, text, sizeof(text));
	if (state == POLICY_LOST || state == POLICY_REGRESSED) {
		metrics_inc(p->m_losses);
		log_error("policy: %s", text);
	} else {
		log_warn("policy: %s", text);
	}
}

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

static void changed(struct policy *p)
{
	metrics_set(p->m_version, (double)p->version);
	metrics_set(p->m_stale, p->stale);
	if (p->on_change && p->doc)
		p->on_change(p->doc, p->version, p->change_data);
}

/* The last known document with the emergency stop of `stored` when it
 * holds one. New reference. */
static json_t *with_stored_stop(const json_t *last, const json_t *stored)
{
	json_t *d = json_deep_copy(last);
	if (!d || !json_is_true(json_object_get(stored, "emergency_mode")))
		return d;
	for (size_t i = 0; i < sizeof(EMERGENCY_KEYS) / sizeof(EMERGENCY_KEYS[0]); i++) {
		json_t *v = json_object_get(stored, EMERGENCY_KEYS[i]);
		if (v)
			json_object_set(d, EMERGENCY_KEYS[i], v);
		else
			json_object_del(d, EMERGENCY_KEYS[i]);
	}
	return d;
}

json_t *policy_restore_doc(const struct policy *p)
{
	if ((p->state != POLICY_LOST && p->state != POLICY_REGRESSED) || !p->doc)
		return NULL;
	return json_deep_copy(p->doc);
}

/* A valid document read from Redis (steals doc). */
static void accept_stored(struct policy *p, json_t *doc)
{
	int64_t v = 0;
	json_util_get_int64(doc, "version", &v);
	if (v < p->max_version) {
		/* Redis went back: keep what we knew, with a stop set since */
		char detail[96];
		snprintf(detail, sizeof(detail), "%lld after %lld", (long long)v, (long long)p->max_version);
		json_t *merged = with_stored_stop(p->doc, doc);
		json_decref(doc);
		if (merged) {
			json_decref(p->doc);
			p->doc = merged;
		}
		p->version = v;
		p->stale = 0;
		policy__set_state(p, POLICY_REGRESSED, detail);
		changed(p);
		return;
	}
	int same = v == p->version && p->doc && !p->stale && p->state == POLICY_OK;
	p->version = p->max_version = v;
	p->stale = 0;
	policy__set_state(p, POLICY_OK, NULL);
	if (same) {
		json_decref(doc);
		return;
	}
	json_decref(p->doc);
	p->doc = doc;
	snapshot_save(p);
	changed(p);
}

static void retry_cb(uv_timer_t *t)
{
	policy__load(t->data);
}

static void created_cb(int status, int64_t v, int64_t cur, void *data)
{
	struct policy *p = data;
	(void)v;
	(void)cur;
	p->loading = 0;
	if (status == 0 || status == ORCH_ECONFLICT) {
		/* created (cas_reply loads it), or someone else did: load theirs */
		if (status == 0)
			log_info("policy: no document at %s; created the default", p->k_doc);
		p->create_failures = 0;
		if (status != 0 && !p->closed)
			policy__load(p);
		return;
	}
	/* Redis refuses (full, read-only): try again later, from 200 ms
	 * doubling to 10 s, never in a loop */
	int n = p->create_failures < 6 ? p->create_failures : 6;
	if (p->create_failures++ == 0)
		log_warn("policy: creating the default document at %s failed: %s; retrying with backoff",
			 p->k_doc,
			 orch_strerror(status));
	if (!p->closed)
		uv_timer_start(&p->retry, retry_cb, 200ULL << n, 0);
}

static void type_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct policy *p = priv;
	(void)c;
	p->loading = 0;
	if (!r || p->closed)
		return;
	const char *t = r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING ? r->str : "?";
	if (!strcmp(t, "string") || !strcmp(t, "none")) {
		policy__load(p); /* it changed meanwhile */
		return;
	}
	policy__set_state(p, POLICY_WRONGTYPE, t);
}

static void missing(struct policy *p)
{
	p->version = 0;
	if (p->max_version > 0) {
		p->stale = 0; /* Redis answers: what it lacks is the loss */
		char detail[48];
		snprintf(detail, sizeof(detail), "%lld", (long long)p->max_version);
		int was = p->state;
		policy__set_state(p, POLICY_LOST, detail);
		if (was != POLICY_LOST)
			changed(p);
		return;
	}
	if (!p->create) {
		policy__set_state(p, POLICY_ABSENT, NULL);
		return;
	}
	if (p->state == POLICY_WRONGTYPE || p->state == POLICY_INVALID)
		policy__set_state(p, POLICY_LOADING, NULL); /* the key is free now */
	json_t *def = policy_default_doc(clock_now_ms());
	p->loading = 1;
	if (policy_cas(p, def, 0, 0, "system", NULL, created_cb, p) != 0)
		p->loading = 0;
	json_decref(def);
}

static void get_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct policy *p = priv;
	(void)c;
	p->loading = 0;
	if (!r || p->closed)
		return;
	if (r->type == REDIS_REPLY_NIL) {
		missing(p);
		policy__follow(p);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "WRONGTYPE", 9)) {
		const char *argv[] = {"TYPE", p->k_doc};
		if (redis_conn_command(p->cmd, type_reply, p, 2, argv, NULL) == 0)
			p->loading = 1;
		return;
	}
	if (r->type != REDIS_REPLY_STRING) {
		log_error(
			"policy: GET %s failed: %s", p->k_doc, r->type == REDIS_REPLY_ERROR ? r->str : "not a string");
		return;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(r->str, r->len, 0, &jerr);
	char err[256];
	if (!doc || policy_validate(doc, err, sizeof(err)) != 0) {
		policy__set_state(p, POLICY_INVALID, doc ? err : jerr.text);
		json_decref(doc);
		return;
	}
	accept_stored(p, doc);
	policy__follow(p);
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

void policy__load(struct policy *p)
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
				if (json_util_get_int64(pl, "version", &v) != 0 || v != p->version)
					newer = 1; /* a change without a version, or not ours: re-read */
				json_decref(pl);
			}
		}
	} else if (r->type == REDIS_REPLY_ERROR) {
		log_warn("policy: reading %s failed: %s", p->k_changes, r->str);
	}
	if (newer)
		policy__load(p);
	policy__follow(p);
}

void policy__follow(struct policy *p)
{
	if (p->reading || p->closed || !p->last_id[0] || !redis_conn_is_connected(p->rd))
		return;
	char block[16];
	snprintf(block, sizeof(block), "%d", p->block_ms);
	const char *argv[] = {"XREAD", "COUNT", "100", "BLOCK", block, "STREAMS", p->k_changes, p->last_id};
	if (redis_conn_command(p->rd, follow_reply, p, 8, argv, NULL) == 0)
		p->reading = 1;
}

/* INFO server: a new run_id means Redis restarted (with or without its
 * data); the load that follows tells which. */
static void info_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct policy *p = priv;
	(void)c;
	const char *at = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "run_id:") : NULL;
	if (at && !p->closed) {
		char id[48];
		snprintf(id, sizeof(id), "%.*s", (int)strcspn(at + 7, "\r\n"), at + 7);
		if (p->run_id[0] && strcmp(id, p->run_id) != 0) {
			metrics_inc(p->m_restarts);
			log_warn("policy: Redis restarted (run_id %.8s -> %.8s); reading %s again",
				 p->run_id,
				 id,
				 p->k_doc);
		}
		snprintf(p->run_id, sizeof(p->run_id), "%s", id);
	}
	if (!p->closed)
		policy__load(p);
}

void policy__on_connect(struct policy *p)
{
	const char *argv[] = {"INFO", "server"};
	if (redis_conn_command(p->cmd, info_reply, p, 2, argv, NULL) != 0)
		policy__load(p);
}
