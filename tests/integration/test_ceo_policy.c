/*
 * test_ceo_policy.c - the ceo binary and what the PolicyStore holds,
 * against a real redis-server: an emergency stop written by the original's
 * Emergency Stop System (a raw SET of the whole document, and its
 * read-modify-SET that drops the keys it does not know) is held until the
 * operator's clear_emergency_stop or the writer's own clearing, with the
 * CEO's decisions going on beside it under BLACK_SWAN's limits (issue 15);
 * an operator's command is answered "ok" only once its write landed, and
 * an error when the store refuses it (issue 15, 18); a mode change and its
 * ceo_mode_switch and ceo_mode_history records land together or not at
 * all (issue 18).
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "run_suite.h"
#include "stack.h"

static struct harness_redis srv;
static pid_t ceo;
static int admin_port;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	char port[48];
	admin_port = harness_free_port();
	snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", admin_port);
	const char *env[] = {"ORCH_PREFIX=t",
			     "ORCH_INSTANCE_ID=ceo-p",
			     port,
			     "ORCH_LOG_LEVEL=warn",
			     "ORCH_LEASE_TTL_MS=1000",
			     "ORCH_CEO_DEBOUNCE_MS=10",
			     "ORCH_POLICY_REFRESH_MS=100",
			     NULL};
	ceo = harness_spawn_program("ceo", &srv, env);
	ck_assert_int_gt(ceo, 0);
	ck_assert_msg(stack_wait_ready(admin_port, 10000), "the ceo is not ready");
}

/* SIGTERM: the CEO must end cleanly, replies and records in flight or not
 * (under ASan: no leak). */
static void end_clean(void)
{
	int status = -1;
	kill(ceo, SIGTERM);
	waitpid(ceo, &status, 0);
	ceo = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the ceo ended with status %d", status);
}

static void teardown(void)
{
	if (ceo > 0) {
		kill(ceo, SIGKILL);
		waitpid(ceo, NULL, 0);
		ceo = 0;
	}
	harness_redis_stop(&srv);
}

static void run(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(c, fmt, arg);
	ck_assert_msg(r && r->type != REDIS_REPLY_ERROR, "%s: %s", fmt, r ? r->str : c->errstr);
	freeReplyObject(r);
}

/* The document once pred holds for it, within 10 s; NULL otherwise. */
static json_t *wait_doc(redisContext *c, int (*pred)(const json_t *doc, const void *arg), const void *arg)
{
	for (int i = 0; i < 200; i++, usleep(50000)) {
		json_t *doc = stack_get_json(c, "t:policy:current");
		if (doc && pred(doc, arg))
			return doc;
		json_decref(doc);
	}
	return NULL;
}

static int has_key(const json_t *doc, const void *key)
{
	return json_object_get(doc, key) != NULL;
}

static int mode_is(const json_t *doc, const void *mode)
{
	const char *m = json_string_value(json_object_get(doc, "operating_mode"));
	return m && !strcmp(m, mode);
}

/* A connection, once the CEO has written its mode. */
static redisContext *connect_when_written(void)
{
	redisContext *c = harness_redis_sync(&srv);
	json_t *doc = wait_doc(c, has_key, "operating_mode");
	ck_assert_msg(doc != NULL, "the CEO never wrote its mode");
	json_decref(doc);
	return c;
}

/* An operator's command; the reply's status must be `want`. Returns the
 * reply (caller decrefs). */
static json_t *command(redisContext *c, const char *id, const char *body, const char *want)
{
	json_t *rep = stack_command(c, "t", id, body);
	ck_assert_msg(rep != NULL, "no reply to %s", id);
	const char *st = json_string_value(json_object_get(rep, "status"));
	ck_assert_msg(st && !strcmp(st, want),
		      "%s answered %s (%s), want %s",
		      id,
		      st,
		      json_string_value(json_object_get(rep, "error")),
		      want);
	return rep;
}

static void set_mode(redisContext *c, const char *id, const char *mode)
{
	char body[200];
	snprintf(body,
		 sizeof(body),
		 "\"action\": \"set_mode\", \"mode\": \"%s\", \"reason\": \"test\", \"operator\": \"op\"",
		 mode);
	json_decref(command(c, id, body, "ok"));
}

static double mode_limit(const json_t *doc, const char *risk_mode, const char *key)
{
	return json_number_value(json_object_get(json_object_get(json_object_get(doc, "modes"), risk_mode), key));
}

/* The document holds operating mode `mode` under risk mode `active`, and
 * the stop set by `set_by` (NULL: no stop). */
static void check_doc(const json_t *doc, const char *mode, const char *active, const char *set_by)
{
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), mode);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), active);
	ck_assert(json_is_boolean(json_object_get(doc, "emergency_mode")));
	ck_assert_int_eq(json_is_true(json_object_get(doc, "emergency_mode")), set_by != NULL);
	ck_assert_int_eq(json_is_false(json_object_get(doc, "allow_new_trades")), set_by != NULL);
	const char *by = json_string_value(json_object_get(doc, "emergency_set_by"));
	ck_assert_msg(set_by ? by && !strcmp(by, set_by) : !by, "emergency_set_by %s, want %s", by, set_by);
}

/* SETs doc as the new version of the document, as the original's
 * PolicyStore does (version + 1, updated_by, no policy.updated). */
static void original_set(redisContext *c, json_t *doc, int64_t version, const char *by)
{
	json_object_set_new(doc, "version", json_integer(version + 1));
	json_object_set_new(doc, "updated_by", json_string(by));
	json_object_set_new(doc, "last_updated", json_string("2026-01-05T10:00:00.123456"));
	char *text = json_dumps(doc, JSON_COMPACT);
	run(c, "SET t:policy:current %s", text);
	free(text);
}

/* The original's set_emergency_mode: a fresh GET, the document through
 * its pydantic model (keys it does not know are dropped), the four fields,
 * then set_policy. */
static void original_emergency(redisContext *c, int enabled, const char *reason)
{
	static const char *const KNOWN[] = {"active_mode",
					    "modes",
					    "last_updated",
					    "updated_by",
					    "version",
					    "emergency_mode",
					    "allow_new_trades",
					    "emergency_reason",
					    "emergency_activated_at"};
	json_t *cur = stack_get_json(c, "t:policy:current"), *doc = json_object();
	ck_assert_ptr_nonnull(cur);
	for (size_t i = 0; i < sizeof(KNOWN) / sizeof(KNOWN[0]); i++)
		if (json_object_get(cur, KNOWN[i]))
			json_object_set(doc, KNOWN[i], json_object_get(cur, KNOWN[i]));
	json_object_set_new(doc, "emergency_mode", json_boolean(enabled));
	json_object_set_new(doc, "allow_new_trades", json_boolean(!enabled));
	json_object_set_new(doc, "emergency_reason", enabled ? json_string(reason) : json_null());
	json_object_set_new(doc, "emergency_activated_at", enabled ? json_string("2026-01-05T10:00:00") : json_null());
	original_set(c, doc, json_integer_value(json_object_get(cur, "version")), "emergency_stop_system");
	json_decref(doc);
	json_decref(cur);
}

/* The raw form: the document as it is (our keys kept), the stop set. */
START_TEST(test_ceo_holds_an_emergency_stop_it_did_not_set_issue_15)
{
	redisContext *c = connect_when_written();
	set_mode(c, "g-1", "GROWTH");
	json_t *doc = stack_get_json(c, "t:policy:current");
	ck_assert(mode_is(doc, "GROWTH"));
	json_object_set_new(doc, "emergency_mode", json_true());
	json_object_set_new(doc, "allow_new_trades", json_false());
	json_object_set_new(doc, "emergency_reason", json_string("ESS: daily loss limit"));
	json_object_set_new(doc, "emergency_activated_at", json_string("2026-01-05T10:00:00"));
	original_set(c, doc, json_integer_value(json_object_get(doc, "version")), "emergency_stop_system");
	json_decref(doc);

	/* the CEO decides on, and its next write keeps the stop, says who set
	 * it and applies BLACK_SWAN's limits */
	doc = wait_doc(c, has_key, "emergency_set_by");
	ck_assert_msg(doc != NULL, "the stop was not kept by the CEO's write");
	check_doc(doc, "GROWTH", "DEFENSIVE", "emergency_stop_system");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "emergency_reason")), "ESS: daily loss limit");
	ck_assert_double_eq(mode_limit(doc, "DEFENSIVE", "max_leverage"), 1);
	ck_assert_int_eq((int)mode_limit(doc, "DEFENSIVE", "max_positions"), 1);
	json_decref(doc);
	json_decref(command(c, "fd-1", "\"action\": \"force_decision\"", "ok"));
	const char *held[] = {"trigger", "force_decision"};
	json_t *d = stack_wait_payload(c, "t", "ceo_decision", stack_field_is, held, 10000);
	ck_assert_ptr_nonnull(d);
	ck_assert(json_is_true(json_object_get(json_object_get(d, "emergency_stop"), "held")));
	ck_assert_double_eq(json_number_value(json_object_get(json_object_get(d, "effective_limits"), "max_leverage")),
			    1);
	json_decref(d);

	/* the operator's mode change leaves it in place; only the operator's
	 * clear_emergency_stop lifts it */
	set_mode(c, "d-1", "CAPITAL_PRESERVATION");
	doc = stack_get_json(c, "t:policy:current");
	check_doc(doc, "CAPITAL_PRESERVATION", "DEFENSIVE", "emergency_stop_system");
	ck_assert_double_eq(mode_limit(doc, "DEFENSIVE", "max_leverage"), 1);
	json_decref(doc);
	json_t *rep =
		command(c,
			"clr-1",
			"\"action\": \"clear_emergency_stop\", \"reason\": \"loss reviewed\", \"operator\": \"alice\"",
			"ok");
	json_decref(rep);
	doc = stack_get_json(c, "t:policy:current");
	check_doc(doc, "CAPITAL_PRESERVATION", "DEFENSIVE", NULL);
	ck_assert(json_is_null(json_object_get(doc, "emergency_reason")));
	ck_assert_double_gt(mode_limit(doc, "DEFENSIVE", "max_leverage"), 1); /* the mode's own, not BLACK_SWAN's */
	json_decref(doc);
	const char *rule[] = {"rule", "operator_clear_emergency_stop"};
	json_t *h = stack_wait_payload(c, "t", "ceo_mode_history", stack_field_is, rule, 1000);
	ck_assert_msg(h != NULL, "the clearing is not in the mode history");
	ck_assert_str_eq(json_string_value(json_object_get(h, "operator")), "alice");
	json_decref(h);
	/* nothing left to clear */
	rep = command(c,
		      "clr-2",
		      "\"action\": \"clear_emergency_stop\", \"reason\": \"again\", \"operator\": \"alice\"",
		      "error");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "error")), "no emergency stop held");
	json_decref(rep);
	redisFree(c);
	end_clean();
}
END_TEST

/* The original's own path: its model drops our keys when it sets the stop,
 * and the same writer clears it again. */
START_TEST(test_ceo_follows_the_original_emergency_stop_system_issue_15)
{
	redisContext *c = connect_when_written();
	set_mode(c, "e-1", "EXPANSION");
	original_emergency(c, 1, "ESS: 5 execution errors");
	/* the CEO puts its mode back beside the stop */
	json_t *doc = wait_doc(c, has_key, "operating_mode");
	ck_assert_msg(doc != NULL, "the CEO did not write after the stop");
	check_doc(doc, "EXPANSION", "DEFENSIVE", "emergency_stop_system");
	json_decref(doc);
	/* the CEO's own BLACK_SWAN exit does not lift it either */
	set_mode(c, "b-1", "BLACK_SWAN");
	json_decref(command(c,
			    "b-2",
			    "\"action\": \"leave_black_swan\", \"mode\": \"EXPANSION\", \"reason\": \"over\", "
			    "\"operator\": \"op\"",
			    "ok"));
	doc = stack_get_json(c, "t:policy:current");
	check_doc(doc, "EXPANSION", "DEFENSIVE", "emergency_stop_system");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "emergency_reason")), "ESS: 5 execution errors");
	json_decref(doc);

	/* the Emergency Stop System clears it itself */
	original_emergency(c, 0, NULL);
	doc = wait_doc(c, has_key, "operating_mode");
	check_doc(doc, "EXPANSION", "NORMAL", NULL);
	ck_assert_double_gt(mode_limit(doc, "NORMAL", "max_leverage"), 1); /* EXPANSION's, not BLACK_SWAN's */
	json_decref(doc);
	redisFree(c);
	end_clean();
}
END_TEST

/* The key turns into the trading path's hash: the write cannot land, and
 * the operator hears so; once the key is usable again the reply comes
 * after the write. */
START_TEST(test_ceo_command_reply_waits_for_its_write_issue_18)
{
	redisContext *c = connect_when_written();
	/* in one step: this CEO owns the key (ORCH_POLICY_CREATE) and would put
	 * its document back into a gap */
	run(c,
	    "HSET %s universe_symbols [\"BTCUSDT\",\"ETHUSDT\"] leverage_by_symbol {\"BTCUSDT\":3} "
	    "valid_until_epoch 4102444800 policy_version 42",
	    "t:hash");
	redisReply *before = redisCommand(c, "DUMP %s", "t:hash");
	ck_assert_int_eq(before->type, REDIS_REPLY_STRING);
	run(c, "RENAME t:hash %s", "t:policy:current");
	json_t *rep = command(c,
			      "h-1",
			      "\"action\": \"set_mode\", \"mode\": \"GROWTH\", \"reason\": \"t\", \"operator\": \"op\"",
			      "error");
	const char *err = json_string_value(json_object_get(rep, "error"));
	ck_assert_msg(err && strstr(err, "another type"), "error: %s", err);
	json_decref(rep);
	/* the live hash under the running CEO: untouched byte for byte */
	redisReply *r = redisCommand(c, "DUMP t:policy:current");
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_int_eq(r->len, before->len);
	ck_assert_int_eq(memcmp(r->str, before->str, before->len), 0);
	freeReplyObject(r);
	freeReplyObject(before);

	/* the key is free again: the CEO's mode goes back, and the next reply
	 * comes once the document holds the command's mode */
	run(c, "DEL %s", "t:policy:current");
	json_t *doc = wait_doc(c, mode_is, "GROWTH");
	ck_assert_msg(doc != NULL, "the CEO did not write its mode back");
	json_decref(doc);
	set_mode(c, "h-2", "DEFENSIVE");
	doc = stack_get_json(c, "t:policy:current");
	ck_assert_msg(mode_is(doc, "DEFENSIVE"), "answered before the write landed");
	json_decref(doc);
	redisFree(c);
	end_clean();
}
END_TEST

static long count_entries(redisContext *c, const char *stream, const char *mode)
{
	json_t *want = json_string(mode);
	long n = 0;
	redisReply *r = redisCommand(c, "XRANGE %s - +", stream);
	for (size_t e = 0; r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
		redisReply *f = r->element[e]->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			json_t *p = strcmp(f->element[k]->str, "payload") ? NULL
									  : json_loads(f->element[k + 1]->str, 0, NULL);
			n += p && json_equal(json_object_get(p, "new_mode"), want);
			json_decref(p);
		}
	}
	freeReplyObject(r);
	json_decref(want);
	return n;
}

/* The mode history cannot be written (its key holds a string): the mode
 * does not change either; once it can, both land, once. */
START_TEST(test_ceo_mode_change_and_its_records_land_together_issue_18)
{
	redisContext *c = connect_when_written();
	json_t *doc = stack_get_json(c, "t:policy:current");
	ck_assert(!mode_is(doc, "GROWTH"));
	json_decref(doc);
	run(c, "SET %s broken", "t:stream:ceo_mode_history");
	json_decref(command(c,
			    "r-1",
			    "\"action\": \"set_mode\", \"mode\": \"GROWTH\", \"reason\": \"t\", \"operator\": \"op\"",
			    "error"));
	doc = stack_get_json(c, "t:policy:current");
	ck_assert_msg(!mode_is(doc, "GROWTH"), "the mode changed without its history entry");
	json_decref(doc);
	ck_assert_int_eq(count_entries(c, "t:stream:ceo_mode_switch", "GROWTH"), 0);

	run(c, "DEL %s", "t:stream:ceo_mode_history");
	doc = wait_doc(c, mode_is, "GROWTH");
	ck_assert_msg(doc != NULL, "the CEO did not retry the change");
	json_decref(doc);
	ck_assert_int_eq(count_entries(c, "t:stream:ceo_mode_history", "GROWTH"), 1);
	ck_assert_int_eq(count_entries(c, "t:stream:ceo_mode_switch", "GROWTH"), 1);
	redisFree(c);
	end_clean();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ceo_policy");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ceo_holds_an_emergency_stop_it_did_not_set_issue_15);
	tcase_add_test(tc, test_ceo_follows_the_original_emergency_stop_system_issue_15);
	tcase_add_test(tc, test_ceo_command_reply_waits_for_its_write_issue_18);
	tcase_add_test(tc, test_ceo_mode_change_and_its_records_land_together_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
