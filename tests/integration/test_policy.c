/*
 * test_policy.c - the PolicyStore against a real redis-server: the default
 * document is created only when absent, two writers racing compare-and-set
 * get exactly one winner per version, a stale fencing token is refused,
 * every accepted write publishes policy.updated in the EventBus format and
 * reaches another instance's cache, and a service can start on the
 * snapshot file while Redis is down.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "orch.h"
#include "policy.h"
#include "run_suite.h"

static struct harness_redis srv;
static struct redis_target target;
static uv_loop_t loop;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	harness_target(&srv, &target);
	uv_loop_init(&loop);
}

static void teardown(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	harness_redis_stop(&srv);
}

static struct policy *open_store(const char *writer, const char *snapshot)
{
	struct policy_config cfg = {
		.prefix = "t", .writer = writer, .snapshot_path = snapshot, .block_ms = 200, .create = 1};
	struct policy *p;
	ck_assert_int_eq(policy_new(&p, &loop, &cfg, &target), 0);
	ck_assert_int_eq(policy_start(p), 0);
	return p;
}

struct seen {
	int64_t version;
	int calls;
	int backwards;
};

static void on_change(const json_t *doc, int64_t version, void *data)
{
	struct seen *s = data;
	(void)doc;
	if (version < s->version)
		s->backwards = 1;
	s->version = version;
	s->calls++;
}

static int loaded(void *arg)
{
	int64_t v;
	return policy_current(arg, &v) != NULL && v > 0;
}

static redisReply *sync_cmd(const char *fmt, ...)
{
	redisContext *c = harness_redis_sync(&srv);
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return r;
}

static long long sync_int(const char *fmt, const char *arg)
{
	redisReply *r = sync_cmd(fmt, arg);
	long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	if (r)
		freeReplyObject(r);
	return v;
}

START_TEST(test_policy_creates_default_document_when_absent)
{
	struct policy *p = open_store("ai_ceo", NULL);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	int64_t v;
	const json_t *doc = policy_current(p, &v);
	ck_assert_int_eq(v, 1);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "NORMAL");
	const json_t *normal = json_object_get(json_object_get(doc, "modes"), "NORMAL");
	ck_assert(json_number_value(json_object_get(normal, "max_leverage")) == 5);
	ck_assert(json_number_value(json_object_get(normal, "max_risk_pct_per_trade")) == 0.015);
	ck_assert_int_eq(json_integer_value(json_object_get(normal, "max_positions")), 30);
	ck_assert(json_is_false(json_object_get(doc, "emergency_mode")));
	ck_assert(json_is_true(json_object_get(doc, "allow_new_trades")));
	ck_assert(json_is_null(json_object_get(doc, "emergency_reason")));
	ck_assert_int_eq(policy_is_stale(p), 0);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_never_overwrites_an_existing_document)
{
	json_t *doc = policy_default_doc(0);
	json_object_set_new(doc, "version", json_integer(7));
	json_object_set_new(doc, "active_mode", json_string("DEFENSIVE"));
	char *text = json_dumps(doc, JSON_COMPACT);
	redisReply *r = sync_cmd("SET t:policy:current %s", text);
	freeReplyObject(r);
	free(text);
	json_decref(doc);
	struct policy *p = open_store("ai_ceo", NULL);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	int64_t v;
	const json_t *cur = policy_current(p, &v);
	ck_assert_int_eq(v, 7);
	ck_assert_str_eq(json_string_value(json_object_get(cur, "active_mode")), "DEFENSIVE");
	policy_free(p);
	ck_assert_int_eq(sync_int("XLEN %s", "t:policy:history"), 0);
}
END_TEST

struct race {
	int pending, wins, conflicts, other;
};

static void race_cb(int status, int64_t new_version, int64_t cur, void *data)
{
	struct race *r = data;
	(void)new_version;
	(void)cur;
	r->pending--;
	if (status == 0)
		r->wins++;
	else if (status == ORCH_ECONFLICT)
		r->conflicts++;
	else
		r->other++;
}

static int race_done(void *arg)
{
	return ((struct race *)arg)->pending == 0;
}

START_TEST(test_policy_racing_writers_get_one_winner_per_version)
{
	struct policy *a = open_store("ai_ceo", NULL), *b = open_store("ai_ro", NULL);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, a, 5000), 0);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, b, 5000), 0);
	const int rounds = 200;
	struct race r = {0};
	for (int i = 0; i < rounds; i++) {
		int64_t base;
		json_t *doc = json_deep_copy(policy_current(a, &base));
		json_object_set_new(doc, "active_mode", json_string(i % 2 ? "DEFENSIVE" : "NORMAL"));
		/* both writers read version `base` and try to move it on */
		r.pending = 2;
		ck_assert_int_eq(policy_cas(a, doc, base, 0, NULL, NULL, race_cb, &r), 0);
		ck_assert_int_eq(policy_cas(b, doc, base, 0, NULL, NULL, race_cb, &r), 0);
		json_decref(doc);
		ck_assert_int_eq(harness_loop_until(&loop, race_done, &r, 5000), 0);
		int64_t now = base;
		for (int k = 0; k < 500 && now == base; k++) {
			uv_run(&loop, UV_RUN_ONCE);
			policy_current(a, &now);
		}
		ck_assert_int_eq(now, base + 1);
	}
	ck_assert_int_eq(r.wins, rounds);
	ck_assert_int_eq(r.conflicts, rounds);
	ck_assert_int_eq(r.other, 0);
	/* one history entry per accepted version, the creation included */
	ck_assert_int_eq(sync_int("XLEN %s", "t:policy:history"), rounds + 1);
	ck_assert_int_eq(sync_int("XLEN %s", "t:stream:policy.updated"), rounds + 1);
	policy_free(a);
	policy_free(b);
}
END_TEST

struct one {
	int done, status;
	int64_t version;
};

static void one_cb(int status, int64_t new_version, int64_t cur, void *data)
{
	struct one *o = data;
	(void)cur;
	o->done = 1;
	o->status = status;
	o->version = new_version;
}

static int one_done(void *arg)
{
	return ((struct one *)arg)->done;
}

static int write_once(struct policy *p, uint64_t fence, const char *mode)
{
	int64_t v;
	json_t *doc = json_deep_copy(policy_current(p, &v));
	json_object_set_new(doc, "active_mode", json_string(mode));
	struct one o = {0};
	ck_assert_int_eq(policy_cas(p, doc, v, fence, "ai_ceo", "ceo_decision_abc", one_cb, &o), 0);
	json_decref(doc);
	ck_assert_int_eq(harness_loop_until(&loop, one_done, &o, 5000), 0);
	for (int k = 0; k < 500 && o.status == 0; k++) {
		int64_t now;
		policy_current(p, &now);
		if (now == o.version)
			break;
		uv_run(&loop, UV_RUN_ONCE);
	}
	return o.status;
}

static int state_ok(void *arg)
{
	return policy_state(arg, NULL, 0) == POLICY_OK;
}

struct want_state {
	struct policy *p;
	enum policy_state state;
};

static int state_is(void *arg)
{
	const struct want_state *w = arg;
	return policy_state(w->p, NULL, 0) == w->state;
}

static struct policy *open_store_with(const char *key, int create, int refresh_ms)
{
	struct policy_config cfg = {.prefix = "t",
				    .key = key,
				    .writer = "ai_ceo",
				    .block_ms = 200,
				    .create = create,
				    .refresh_ms = refresh_ms};
	struct policy *p;
	ck_assert_int_eq(policy_new(&p, &loop, &cfg, &target), 0);
	ck_assert_int_eq(policy_start(p), 0);
	return p;
}

START_TEST(test_policy_rejects_stale_fencing_token)
{
	struct policy *p = open_store("ai_ceo", NULL);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	ck_assert_int_eq(write_once(p, 5, "DEFENSIVE"), 0);
	ck_assert_int_eq(write_once(p, 4, "NORMAL"), ORCH_EFENCED);
	ck_assert_int_eq(write_once(p, 5, "NORMAL"), 0);
	ck_assert_int_eq(write_once(p, 6, "DEFENSIVE"), 0);
	ck_assert_int_eq(write_once(p, 5, "NORMAL"), ORCH_EFENCED);
	int64_t v;
	policy_current(p, &v);
	ck_assert_int_eq(v, 4);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_write_publishes_policy_updated_in_bus_format)
{
	struct policy *p = open_store("ai_ceo", NULL);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	policy_free(p);
	redisReply *r = sync_cmd("XREVRANGE t:stream:policy.updated + - COUNT 1");
	ck_assert_int_eq(r->elements, 1);
	redisReply *f = r->element[0]->element[1];
	const char *want[] = {"event_type",
			      "payload",
			      "trace_id",
			      "correlation_id",
			      "timestamp",
			      "source",
			      "event_id",
			      "traceparent"};
	ck_assert_int_eq(f->elements, 16);
	json_t *payload = NULL;
	for (size_t i = 0; i < 8; i++) {
		ck_assert_str_eq(f->element[2 * i]->str, want[i]);
		if (i == 1)
			payload = json_loads(f->element[2 * i + 1]->str, 0, NULL);
	}
	ck_assert_str_eq(f->element[5]->str, "ceo_decision_abc");
	ck_assert_ptr_nonnull(payload);
	ck_assert_str_eq(json_string_value(json_object_get(payload, "event_type")), "policy.updated");
	ck_assert_str_eq(json_string_value(json_object_get(payload, "previous_mode")), "NORMAL");
	ck_assert_str_eq(json_string_value(json_object_get(payload, "new_mode")), "DEFENSIVE");
	ck_assert_str_eq(json_string_value(json_object_get(payload, "updated_by")), "ai_ceo");
	ck_assert_int_eq(json_integer_value(json_object_get(payload, "version")), 2);
	ck_assert_int_eq(strlen(json_string_value(json_object_get(payload, "timestamp"))), 26);
	json_decref(payload);
	freeReplyObject(r);
}
END_TEST

static int version_reached(void *arg)
{
	return ((struct seen *)arg)->version >= 3;
}

START_TEST(test_policy_other_instance_cache_follows_writes)
{
	struct policy *writer = open_store("ai_ceo", NULL), *reader = open_store("federation", NULL);
	struct seen s = {0};
	policy_on_change(reader, on_change, &s);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, writer, 5000), 0);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, reader, 5000), 0);
	ck_assert_int_eq(write_once(writer, 0, "DEFENSIVE"), 0);
	ck_assert_int_eq(write_once(writer, 0, "NORMAL"), 0);
	ck_assert_int_eq(harness_loop_until(&loop, version_reached, &s, 5000), 0);
	ck_assert_int_eq(s.backwards, 0);
	int64_t v;
	const json_t *doc = policy_current(reader, &v);
	ck_assert_int_eq(v, 3);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "NORMAL");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "updated_by")), "ai_ceo");
	policy_free(writer);
	policy_free(reader);
}
END_TEST

START_TEST(test_policy_starts_from_snapshot_while_redis_is_down)
{
	char snap[300];
	snprintf(snap, sizeof(snap), "%s/policy.json", srv.dir);
	struct policy *p = open_store("ai_ceo", snap);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	policy_free(p);
	ck_assert_int_eq(access(snap, R_OK), 0);
	harness_redis_kill(&srv, SIGKILL);

	p = open_store("ai_ceo", snap);
	int64_t v;
	const json_t *doc = policy_current(p, &v);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(policy_is_stale(p), 1);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "DEFENSIVE");
	char state[128];
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 0);
	ck_assert_str_eq(state, "snapshot only, version 2 (Redis unreachable)");
	json_t *copy = json_deep_copy(doc);
	ck_assert_int_eq(policy_cas(p, copy, v, 0, NULL, NULL, NULL, NULL), ORCH_ENOTCONN);
	json_decref(copy);
	/* Redis back empty: that is data loss, never a fresh default (issue 18);
	 * the cache keeps version 2's document and the next write goes above it */
	ck_assert_int_eq(harness_redis_restart(&srv), 0);
	for (int k = 0; k < 3000 && policy_state(p, NULL, 0) != POLICY_LOST; k++)
		uv_run(&loop, UV_RUN_ONCE);
	ck_assert_int_eq(policy_state(p, state, sizeof(state)), POLICY_LOST);
	ck_assert_int_eq(policy_is_stale(p), 0);
	doc = policy_current(p, &v);
	ck_assert_int_eq(v, 0);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "DEFENSIVE");
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 0);
	ck_assert_msg(strstr(state, "gone after version 2") != NULL, "%s", state);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	ck_assert_int_eq(harness_loop_until(&loop, state_ok, p, 5000), 0);
	policy_current(p, &v);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 1);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_validation_names_the_bad_field)
{
	json_t *doc = policy_default_doc(0);
	char err[256];
	ck_assert_int_eq(policy_validate(doc, err, sizeof(err)), 0);
	json_object_set_new(json_object_get(json_object_get(doc, "modes"), "NORMAL"), "max_leverage", json_real(500));
	ck_assert_int_eq(policy_validate(doc, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "modes.NORMAL.max_leverage") != NULL);
	json_decref(doc);
	doc = policy_default_doc(0);
	json_object_set_new(doc, "active_mode", json_string("EXPANSION"));
	ck_assert_int_eq(policy_validate(doc, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "active_mode") != NULL);
	json_decref(doc);
}
END_TEST

static int version_is_9(void *arg)
{
	int64_t v;
	policy_current(arg, &v);
	return v == 9;
}

/* The original's PolicyStore SETs the document and never manages to
 * publish policy.updated: the store still sees it within refresh_ms. */
START_TEST(test_policy_sees_a_raw_set_without_policy_updated_issue_15)
{
	struct policy *p = open_store_with(NULL, 1, 200);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	json_t *doc = policy_default_doc(0);
	json_object_set_new(doc, "version", json_integer(9));
	json_object_set_new(doc, "active_mode", json_string("DEFENSIVE"));
	char *text = json_dumps(doc, JSON_COMPACT);
	freeReplyObject(sync_cmd("SET t:policy:current %s", text));
	free(text);
	json_decref(doc);
	ck_assert_int_eq(harness_loop_until(&loop, version_is_9, p, 3000), 0);
	ck_assert_str_eq(json_string_value(json_object_get(policy_current(p, NULL), "active_mode")), "DEFENSIVE");
	policy_free(p);
}
END_TEST

/* The live trading path keeps a HASH at the key: it is never written,
 * the store says so (key, type, setting) and becomes ready by itself once
 * the key is usable, even with the periodic refresh off. */
START_TEST(test_policy_never_writes_over_a_hash_issue_15)
{
	freeReplyObject(sync_cmd("HSET t:policy:current universe_symbols [\"BTCUSDT\"] valid_until_epoch 4102444800 "
				 "leverage_by_symbol {\"BTCUSDT\":3} policy_version 42"));
	redisReply *before = sync_cmd("DUMP t:policy:current");
	ck_assert_int_eq(before->type, REDIS_REPLY_STRING);
	struct policy *p = open_store_with(NULL, 1, 0);
	struct want_state w = {p, POLICY_WRONGTYPE};
	ck_assert_int_eq(harness_loop_until(&loop, state_is, &w, 5000), 0);
	char state[400];
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 0);
	ck_assert_msg(
		strstr(state, "t:policy:current holds a Redis hash") && strstr(state, "ORCH_POLICY_KEY"), "%s", state);
	/* a write is refused before it reaches Redis, and the script refuses too */
	json_t *doc = policy_default_doc(0);
	ck_assert_int_eq(policy_cas(p, doc, 0, 0, NULL, NULL, NULL, NULL), ORCH_EWRONGTYPE);
	json_decref(doc);
	for (int k = 0; k < 20; k++)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(20000);
	redisReply *after = sync_cmd("DUMP t:policy:current");
	ck_assert_int_eq(after->len, before->len);
	ck_assert_int_eq(memcmp(after->str, before->str, before->len), 0);
	freeReplyObject(after);
	freeReplyObject(before);
	/* the key fixed under the running store: it becomes ready by itself */
	freeReplyObject(sync_cmd("DEL t:policy:current"));
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	ck_assert_int_eq(harness_loop_until(&loop, state_ok, p, 5000), 0);
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 1);
	policy_free(p);
}
END_TEST

/* Without ORCH_POLICY_CREATE nothing is created where another type could
 * appear; the store waits and says why. */
START_TEST(test_policy_waits_for_its_owner_without_create_issue_15)
{
	struct policy *p = open_store_with("t:orch:policy", 0, 100);
	struct want_state w = {p, POLICY_ABSENT};
	ck_assert_int_eq(harness_loop_until(&loop, state_is, &w, 5000), 0);
	for (int k = 0; k < 20; k++)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(20000);
	ck_assert_int_eq(sync_int("EXISTS %s", "t:orch:policy"), 0);
	ck_assert_int_eq(sync_int("EXISTS %s", "t:policy:current"), 0);
	char state[400];
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 0);
	ck_assert_msg(strstr(state, "ORCH_POLICY_CREATE is off") != NULL, "%s", state);
	/* its owner creates it at the configured key */
	struct policy *owner = open_store_with("t:orch:policy", 1, 100);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, owner, 5000), 0);
	ck_assert_int_eq(harness_loop_until(&loop, state_ok, p, 5000), 0);
	policy_free(owner);
	policy_free(p);
}
END_TEST

/* A store that does not own the key never puts a document back where
 * one vanished (the original's live path may be swapping in its hash):
 * it refuses before Redis, and its last known version conflicts. */
START_TEST(test_policy_lost_document_is_restored_by_its_owner_only_issue_15)
{
	struct policy *owner = open_store_with(NULL, 1, 100);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, owner, 5000), 0);
	policy_free(owner);
	struct policy *p = open_store_with(NULL, 0, 100);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	freeReplyObject(sync_cmd("DEL t:policy:current"));
	struct want_state w = {p, POLICY_LOST};
	ck_assert_int_eq(harness_loop_until(&loop, state_is, &w, 5000), 0);
	json_t *doc = policy_restore_doc(p);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(policy_cas(p, doc, 0, 0, NULL, NULL, NULL, NULL), ORCH_ENOENT);
	struct one o = {0};
	ck_assert_int_eq(policy_cas(p, doc, 2, 0, "ai_ceo", NULL, one_cb, &o), 0);
	ck_assert_int_eq(harness_loop_until(&loop, one_done, &o, 5000), 0);
	ck_assert_int_eq(o.status, ORCH_ECONFLICT);
	json_decref(doc);
	ck_assert_int_eq(sync_int("EXISTS %s", "t:policy:current"), 0);
	policy_free(p);
}
END_TEST

/* Redis loses its data (FLUSHALL) or goes back to an older document: the
 * cache keeps the last known one, says so, and the next write stores a
 * version above every one seen, keeping an emergency stop set meanwhile. */
START_TEST(test_policy_data_loss_is_an_event_issue_18)
{
	struct policy *p = open_store_with(NULL, 1, 100);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	int64_t v;
	policy_current(p, &v);
	ck_assert_int_eq(v, 3);
	freeReplyObject(sync_cmd("FLUSHALL"));
	struct want_state w = {p, POLICY_LOST};
	ck_assert_int_eq(harness_loop_until(&loop, state_is, &w, 5000), 0);
	const json_t *doc = policy_current(p, &v);
	ck_assert_int_eq(v, 0);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "DEFENSIVE");
	ck_assert_int_eq(sync_int("EXISTS %s", "t:policy:current"), 0); /* no default recreated */
	json_t *restore = policy_restore_doc(p);
	ck_assert_ptr_nonnull(restore);
	json_decref(restore);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	ck_assert_int_eq(harness_loop_until(&loop, state_ok, p, 5000), 0);
	policy_current(p, &v);
	ck_assert_int_eq(v, 4);

	/* an older document appears (a restore, or the original recreating
	 * its default) with an emergency stop set by someone else */
	json_t *old = policy_default_doc(0);
	json_object_set_new(old, "version", json_integer(1));
	json_object_set_new(old, "emergency_mode", json_true());
	json_object_set_new(old, "allow_new_trades", json_false());
	json_object_set_new(old, "emergency_reason", json_string("ESS: daily loss limit"));
	char *text = json_dumps(old, JSON_COMPACT);
	freeReplyObject(sync_cmd("SET t:policy:current %s", text));
	free(text);
	json_decref(old);
	w.state = POLICY_REGRESSED;
	ck_assert_int_eq(harness_loop_until(&loop, state_is, &w, 5000), 0);
	doc = policy_current(p, &v);
	ck_assert_int_eq(v, 1);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "DEFENSIVE");
	ck_assert(json_is_true(json_object_get(doc, "emergency_mode")));
	ck_assert(json_is_false(json_object_get(doc, "allow_new_trades")));
	char state[400];
	ck_assert_int_eq(policy_check_ready(p, state, sizeof(state)), 0);
	ck_assert_msg(strstr(state, "went back to version 1 after 4") != NULL, "%s", state);
	ck_assert_int_eq(write_once(p, 0, "DEFENSIVE"), 0);
	ck_assert_int_eq(harness_loop_until(&loop, state_ok, p, 5000), 0);
	doc = policy_current(p, &v);
	ck_assert_int_eq(v, 5);
	ck_assert(json_is_true(json_object_get(doc, "emergency_mode")));
	policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_policy_creates_default_document_when_absent);
	tcase_add_test(tc, test_policy_never_overwrites_an_existing_document);
	tcase_add_test(tc, test_policy_racing_writers_get_one_winner_per_version);
	tcase_add_test(tc, test_policy_rejects_stale_fencing_token);
	tcase_add_test(tc, test_policy_write_publishes_policy_updated_in_bus_format);
	tcase_add_test(tc, test_policy_other_instance_cache_follows_writes);
	tcase_add_test(tc, test_policy_starts_from_snapshot_while_redis_is_down);
	tcase_add_test(tc, test_policy_validation_names_the_bad_field);
	tcase_add_test(tc, test_policy_sees_a_raw_set_without_policy_updated_issue_15);
	tcase_add_test(tc, test_policy_never_writes_over_a_hash_issue_15);
	tcase_add_test(tc, test_policy_waits_for_its_owner_without_create_issue_15);
	tcase_add_test(tc, test_policy_lost_document_is_restored_by_its_owner_only_issue_15);
	tcase_add_test(tc, test_policy_data_loss_is_an_event_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
