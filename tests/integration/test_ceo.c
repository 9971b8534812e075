/*
 * test_ceo.c - the ceo binary against a real redis-server: a CRITICAL
 * risk_alert switches the mode to BLACK_SWAN and writes it to the
 * PolicyStore in the original schema (active_mode DEFENSIVE, emergency
 * fields, limits under max_positions); of two replicas exactly one leads;
 * a leader stopped with SIGSTOP past the lease ttl is replaced, the new
 * leader's writes carry a higher fencing token, the old one resumes as a
 * standby and a write with its token is refused; force_decision and an
 * operator's set_mode are answered by request_id; a malformed input is
 * dead-lettered; with ORCH_CEO_EVALUATE=command only a command decides,
 * and its answer comes after the write; on the event clock a command
 * stamped today does not move the clock. The CEOs run the original rules,
 * whose inputs these are (a risk score of 91.5 is BLACK_SWAN there);
 * test_ceo_rules.c and the demo cover the default set.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "json_util.h"
#include "orch.h"
#include "policy.h"
#include "redis_sync.h"
#include "run_suite.h"
#include "stack.h"

static struct harness_redis srv;
static pid_t pids[2];
static int ports[2];

/* extra: one more VAR=value, or NULL */
static pid_t spawn_ceo_with(int i, const char *name, const char *extra)
{
	char id[64], port[48];
	ports[i] = harness_free_port();
	snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=%s", name);
	snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", ports[i]);
	const char *env[] = {"ORCH_PREFIX=t",
			     id,
			     port,
			     "ORCH_LOG_LEVEL=warn",
			     "ORCH_LEASE_TTL_MS=1000",
			     "ORCH_CEO_DEBOUNCE_MS=10",
			     "ORCH_CEO_RULES=original",
			     extra,
			     NULL};
	pid_t pid = harness_spawn_program("ceo", &srv, env);
	ck_assert_int_gt(pid, 0);
	/* ready: connected, and the policy document loaded (a leader without
	 * it is not ready to decide) */
	ck_assert_msg(stack_wait_ready(ports[i], 10000), "%s is not ready", name);
	return pid;
}

static pid_t spawn_ceo(int i, const char *name)
{
	return spawn_ceo_with(i, name, NULL);
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	pids[0] = spawn_ceo(0, "ceo-a");
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGCONT);
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
	harness_redis_stop(&srv);
}

static void publish(redisContext *c, const char *type, const char *payload)
{
	ck_assert_int_eq(stack_publish(c, "t", type, payload, NULL), 0);
}

/* An operator's command, signed now with the key the CEOs here have. */
static void publish_command(redisContext *c, const char *payload)
{
	ck_assert_int_eq(stack_publish_command(c, "t", payload, HARNESS_COMMAND_KEY, clock_wall_ms()), 0);
}

/* The newest `type` payload whose field kv[0] is kv[1], within 10 s. */
static json_t *wait_for(redisContext *c, const char *type, const char *const *kv)
{
	return stack_wait_payload(c, "t", type, stack_field_is, kv, 10000);
}

/* Waits until the lease is held by `who` ("name|"); returns its token. */
static long wait_holder(redisContext *c, const char *who)
{
	char h[128] = "";
	for (int i = 0; i < 200; i++) {
		char *v = stack_get(c, "t:lease:ceo");
		snprintf(h, sizeof(h), "%s", v ? v : "");
		free(v);
		if (strncmp(h, who, strlen(who)) == 0)
			return atol(h + strlen(who));
		usleep(25000);
	}
	ck_abort_msg("lease held by '%s', want %s", h, who);
	return -1;
}

START_TEST(test_ceo_critical_alert_switches_and_writes_policy)
{
	redisContext *c = harness_redis_sync(&srv);
	wait_holder(c, "ceo-a|");
	publish(c, "risk_state_update", "{\"risk_score\": 20, \"metrics\": {\"daily_drawdown\": 0.01}}");
	publish(c, "strategy_state_update", "{\"win_rate\": 0.6}");
	publish(c, "risk_alert", "{\"level\": \"CRITICAL\", \"risk_score\": 91.5, \"alerts\": [\"RISK_SCORE\"]}");
	const char *want[] = {"new_mode", "BLACK_SWAN"};
	json_t *sw = wait_for(c, "ceo_mode_switch", want);
	ck_assert_msg(sw != NULL, "no ceo_mode_switch to BLACK_SWAN");
	ck_assert_str_eq(json_string_value(json_object_get(sw, "rule")), "black_swan_risk");
	ck_assert_str_eq(json_string_value(json_object_get(sw, "active_mode")), "DEFENSIVE");
	json_decref(sw);
	/* the switch is published after the write: the document holds it */
	json_t *doc = stack_get_json(c, "t:policy:current");
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), "BLACK_SWAN");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "DEFENSIVE");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "updated_by")), "ai_ceo");
	ck_assert(json_is_true(json_object_get(doc, "emergency_mode")));
	ck_assert(json_is_false(json_object_get(doc, "allow_new_trades")));
	ck_assert(strstr(json_string_value(json_object_get(doc, "emergency_reason")), "risk score") != NULL);
	json_t *m = json_object_get(json_object_get(doc, "modes"), "DEFENSIVE");
	ck_assert_double_eq(json_number_value(json_object_get(m, "max_leverage")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "max_positions")), 1);
	ck_assert(json_object_get(m, "max_open_positions") == NULL);
	ck_assert(json_is_false(json_object_get(m, "enable_rl")));
	char err[256];
	ck_assert_int_eq(policy_validate(doc, err, sizeof(err)), 0);
	json_decref(doc);
	const char *dec[] = {"operating_mode", "BLACK_SWAN"};
	json_t *d = wait_for(c, "ceo_decision", dec);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(json_string_value(json_object_get(d, "alert_level")), "critical");
	json_decref(d);
	const char *al[] = {"level", "critical"};
	json_t *a = wait_for(c, "ceo_alert", al);
	ck_assert_ptr_nonnull(a);
	json_decref(a);
	ck_assert_double_eq(stack_metric(ports[0], "orch_ceo_mode{mode=\"BLACK_SWAN\"}"), 1);

	/* BLACK_SWAN is left only by an operator; the reply carries the decision */
	publish_command(c,
			"{\"request_id\": \"op-1\", \"action\": \"leave_black_swan\", \"mode\": \"DEFENSIVE\","
			" \"reason\": \"incident closed\", \"operator\": \"alice\"}");
	const char *rq[] = {"request_id", "op-1"};
	json_t *rep = wait_for(c, "ceo_command_reply", rq);
	ck_assert_msg(rep != NULL, "no reply to op-1");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "decision"), "operating_mode")),
			 "DEFENSIVE");
	json_decref(rep);
	const char *hist[] = {"operator", "alice"};
	json_t *h = wait_for(c, "ceo_mode_history", hist);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(json_string_value(json_object_get(h, "new_mode")), "DEFENSIVE");
	json_decref(h);
	for (int i = 0; i < 100; i++) {
		doc = stack_get_json(c, "t:policy:current");
		if (doc && json_is_false(json_object_get(doc, "emergency_mode")))
			break;
		json_decref(doc);
		doc = NULL;
		usleep(50000);
	}
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_is_true(json_object_get(doc, "allow_new_trades")));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), "DEFENSIVE");
	json_decref(doc);

	/* force_decision round trip */
	publish_command(c, "{\"request_id\": \"fd-7\", \"action\": \"force_decision\"}");
	const char *fd[] = {"request_id", "fd-7"};
	rep = wait_for(c, "ceo_command_reply", fd);
	ck_assert_msg(rep != NULL, "no reply to force_decision");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "decision"), "trigger")), "command");
	json_decref(rep);

	/* a malformed input is dead-lettered with its reason */
	publish(c, "risk_state_update", "{\"risk_score\": \"high\"}");
	redisReply *r = NULL;
	for (int i = 0; i < 100; i++) {
		freeReplyObject(r);
		r = redisCommand(c, "XRANGE t:dlq:risk_state_update - +");
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
			break;
		usleep(50000);
	}
	ck_assert_int_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->element[1]->element[1]->str, "malformed: risk_score: not a number in [0, 100]");
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

/* Writes through the PolicyStore with a given fencing token (the path
 * every CEO write takes); returns the status. */
struct write_wait {
	int done, status;
};

static void written(int status, int64_t nv, int64_t cv, void *data)
{
	struct write_wait *w = data;
	(void)nv;
	(void)cv;
	w->status = status;
	w->done = 1;
}

static int write_done(void *arg)
{
	return ((struct write_wait *)arg)->done;
}

static int loaded(void *arg)
{
	return policy_current(arg, NULL) != NULL;
}

static int write_with_token(uint64_t token)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct redis_target t;
	harness_target(&srv, &t);
	struct policy *p = NULL;
	struct policy_config pc = {.prefix = "t", .writer = "test"};
	ck_assert_int_eq(policy_new(&p, &loop, &pc, &t), 0);
	ck_assert_int_eq(policy_start(p), 0);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	int64_t v;
	json_t *doc = json_deep_copy(policy_current(p, &v));
	json_object_set_new(doc, "operating_mode", json_string("GROWTH"));
	struct write_wait w = {0, 0};
	ck_assert_int_eq(policy_cas(p, doc, v, token, "late", NULL, written, &w), 0);
	json_decref(doc);
	ck_assert_int_eq(harness_loop_until(&loop, write_done, &w, 5000), 0);
	policy_free(p);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return w.status;
}

START_TEST(test_ceo_one_leader_failover_and_fencing)
{
	redisContext *c = harness_redis_sync(&srv);
	long token_a = wait_holder(c, "ceo-a|");
	pids[1] = spawn_ceo(1, "ceo-b");
	usleep(500000);
	ck_assert_double_eq(stack_metric(ports[0], "orch_lease_leader{role=\"ceo\"}"), 1);
	ck_assert_double_eq(stack_metric(ports[1], "orch_lease_leader{role=\"ceo\"}"), 0);
	/* the follower is warm: it consumes the inputs too */
	publish(c, "risk_state_update", "{\"risk_score\": 40}");
	for (int i = 0; i < 100 && stack_metric(ports[1], "orch_ceo_input_age_seconds{input=\"risk_state\"}") < 0; i++)
		usleep(20000);

	/* freeze the leader past the ttl: b takes over with a higher token */
	kill(pids[0], SIGSTOP);
	long token_b = wait_holder(c, "ceo-b|");
	ck_assert_int_gt(token_b, token_a);
	/* b decides and writes: an operator sets DEFENSIVE through it (a
	 * started in EXPANSION, the policy's NORMAL) */
	publish_command(c,
			"{\"request_id\": \"op-2\", \"action\": \"set_mode\", \"mode\": \"DEFENSIVE\","
			" \"reason\": \"drill\", \"operator\": \"bob\"}");
	const char *rq[] = {"request_id", "op-2"};
	json_t *rep = wait_for(c, "ceo_command_reply", rq);
	ck_assert_msg(rep != NULL, "the new leader did not answer");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	json_decref(rep);
	json_t *doc = NULL;
	for (int i = 0; i < 100; i++) {
		doc = stack_get_json(c, "t:policy:current");
		const char *m = json_string_value(json_object_get(doc, "operating_mode"));
		if (m && strcmp(m, "DEFENSIVE") == 0)
			break;
		json_decref(doc);
		doc = NULL;
		usleep(50000);
	}
	ck_assert_msg(doc != NULL, "the new leader's write did not land");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "active_mode")), "DEFENSIVE");
	json_int_t version = json_integer_value(json_object_get(doc, "version"));
	json_decref(doc);

	/* the old leader resumes: it must stand by, not write */
	kill(pids[0], SIGCONT);
	for (int i = 0; i < 100 && stack_metric(ports[0], "orch_lease_leader{role=\"ceo\"}") != 0; i++)
		usleep(20000);
	ck_assert_double_eq(stack_metric(ports[0], "orch_lease_leader{role=\"ceo\"}"), 0);
	publish(c, "risk_alert", "{\"level\": \"WARNING\", \"risk_score\": 45}");
	usleep(300000);
	doc = stack_get_json(c, "t:policy:current");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), "DEFENSIVE");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), version);
	json_decref(doc);
	/* and a write carrying its token is refused by the store */
	ck_assert_int_eq(write_with_token((uint64_t)token_a), ORCH_EFENCED);
	ck_assert_int_eq(write_with_token((uint64_t)token_b), 0);
	redisFree(c);
}
END_TEST

/* Replaces the fixture's CEO by one named `name` with one more setting,
 * and waits until it holds the lease. */
static void restart_ceo_with(redisContext *c, const char *name, const char *extra)
{
	char holder[80];
	kill(pids[0], SIGKILL);
	waitpid(pids[0], NULL, 0);
	redisReply *r = redisCommand(c, "DEL t:lease:ceo");
	freeReplyObject(r);
	pids[0] = spawn_ceo_with(0, name, extra);
	snprintf(holder, sizeof(holder), "%s|", name);
	wait_holder(c, holder);
}

/* ORCH_CEO_EVALUATE=command (replays): a CRITICAL alert waits for the
 * feeder's force_decision, whose answer comes once the policy holds it. */
START_TEST(test_ceo_command_mode_decides_on_command_only)
{
	redisContext *c = harness_redis_sync(&srv);
	restart_ceo_with(c, "ceo-c", "ORCH_CEO_EVALUATE=command");
	redisReply *r;
	/* the CEO's first write carries its mode */
	json_t *doc = NULL;
	for (int i = 0; i < 200; i++, usleep(25000)) {
		doc = stack_get_json(c, "t:policy:current");
		if (json_is_string(json_object_get(doc, "operating_mode")))
			break;
		json_decref(doc);
		doc = NULL;
	}
	ck_assert_ptr_nonnull(doc);
	char before[40];
	snprintf(before, sizeof(before), "%s", json_string_value(json_object_get(doc, "operating_mode")));
	ck_assert_str_ne(before, "BLACK_SWAN");
	json_decref(doc);
	publish(c, "risk_alert", "{\"level\": \"CRITICAL\", \"risk_score\": 91.5, \"alerts\": [\"RISK_SCORE\"]}");
	/* consumed (the group has nothing pending or unread) and yet no decision */
	for (int i = 0; i < 200; i++) {
		struct redis_backlog b;
		r = redisCommand(c, "XINFO GROUPS t:stream:risk_alert");
		redis_backlog_of(r, &b);
		freeReplyObject(r);
		if (b.groups > 0 && b.pending == 0 && b.lag == 0)
			break;
		usleep(25000);
	}
	doc = stack_get_json(c, "t:policy:current");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), before);
	json_decref(doc);

	publish_command(c, "{\"request_id\": \"day-1\", \"action\": \"force_decision\"}");
	const char *fd[] = {"request_id", "day-1"};
	json_t *rep = wait_for(c, "ceo_command_reply", fd);
	ck_assert_msg(rep != NULL, "no reply to force_decision");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "decision"), "operating_mode")),
			 "BLACK_SWAN");
	json_decref(rep);
	doc = stack_get_json(c, "t:policy:current");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), "BLACK_SWAN");
	json_decref(doc);
	redisFree(c);
}
END_TEST

/* ORCH_CLOCK=event: the inputs' time is the clock; an operator's command,
 * stamped with today, does not move it (the decision is dated 1998). */
START_TEST(test_ceo_event_clock_ignores_command_time)
{
	redisContext *c = harness_redis_sync(&srv);
	restart_ceo_with(c, "ceo-e", "ORCH_CLOCK=event");
	/* a command before the policy is loaded is answered "not ready" */
	ck_assert_int_eq(stack_wait_ready(ports[0], 10000), 1);
	ck_assert_int_eq(
		stack_publish(c, "t", "risk_state_update", "{\"risk_score\": 20}", "1998-08-25T12:00:00.000000"), 0);
	/* the input is in once the CEO's state says so */
	for (int i = 0; i < 200 && stack_metric(ports[0], "orch_ceo_input_age_seconds{input=\"risk_state\"}") < 0; i++)
		usleep(25000);
	publish_command(c, "{\"request_id\": \"now-1\", \"action\": \"force_decision\"}");
	const char *fd[] = {"request_id", "now-1"};
	json_t *rep = wait_for(c, "ceo_command_reply", fd);
	ck_assert_msg(rep != NULL, "no reply to force_decision");
	ck_assert_msg(!strcmp(json_string_value(json_object_get(rep, "status")), "ok"),
		      "the CEO answered %s: %s",
		      json_string_value(json_object_get(rep, "status")),
		      json_string_value(json_object_get(rep, "error")));
	const char *ts = json_string_value(json_object_get(json_object_get(rep, "decision"), "decision_timestamp"));
	char *text = json_dumps(rep, JSON_COMPACT);
	ck_assert_msg(ts != NULL, "a reply without a decision: %s", text ? text : "?");
	free(text);
	ck_assert_msg(strncmp(ts, "1998-08-25", 10) == 0, "decision dated %s, not on the inputs' clock", ts);
	json_decref(rep);
	redisFree(c);
}
END_TEST

/* Issue 17: the CEO's reaction p99 had a 20 ms step: the second of two
 * quick writes was built on a cache that had not yet loaded the first,
 * lost its compare-and-set against the CEO's own write and waited out the
 * retry. Back-to-back decisions must never lose a CAS to themselves. */
START_TEST(test_ceo_back_to_back_writes_never_conflict_with_themselves_issue_17)
{
	kill(pids[0], SIGKILL);
	waitpid(pids[0], NULL, 0);
	ports[0] = harness_free_port();
	char port[48];
	snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", ports[0]);
	const char *env[] = {"ORCH_PREFIX=t",
			     "ORCH_INSTANCE_ID=ceo-q",
			     port,
			     "ORCH_LOG_LEVEL=warn",
			     "ORCH_CEO_DEBOUNCE_MS=0",
			     "ORCH_CEO_CONFIRMATIONS=1",
			     "ORCH_CEO_COOLDOWN_S=0",
			     "ORCH_CEO_COOLDOWN_AGGRESSIVE_S=0",
			     "ORCH_CEO_BLACK_SWAN_EXIT=auto",
			     "ORCH_CEO_RULES=original",
			     NULL};
	pids[0] = harness_spawn_program("ceo", &srv, env);
	redisContext *c = harness_redis_sync(&srv);
	wait_holder(c, "ceo-q|");
	const char *growth[] = {"new_mode", "GROWTH"}, *swan[] = {"new_mode", "BLACK_SWAN"};
	for (int i = 0; i < 15; i++) {
		freeReplyObject(redisCommand(c, "DEL t:stream:ceo_mode_switch"));
		publish(c, "strategy_state_update", "{\"win_rate\": 0.6}");
		publish(c, "risk_state_update", "{\"risk_score\": 10}");
		json_t *sw = wait_for(c, "ceo_mode_switch", growth);
		ck_assert_msg(sw != NULL, "no switch to GROWTH in round %d", i);
		json_decref(sw);
		publish(c, "risk_alert", "{\"level\": \"CRITICAL\", \"risk_score\": 95}");
		sw = wait_for(c, "ceo_mode_switch", swan);
		ck_assert_msg(sw != NULL, "no switch to BLACK_SWAN in round %d", i);
		json_decref(sw);
	}
	ck_assert_double_ge(stack_metric(ports[0], "orch_ceo_policy_writes_total"), 30);
	ck_assert_double_eq(stack_metric(ports[0], "orch_ceo_policy_conflicts_total"), 0);
	ck_assert_double_eq(stack_metric(ports[0], "orch_policy_writes_total{result=\"conflict\"}"), 0);
	redisFree(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ceo");
	TCase *tc = tcase_create("service");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ceo_critical_alert_switches_and_writes_policy);
	tcase_add_test(tc, test_ceo_one_leader_failover_and_fencing);
	tcase_add_test(tc, test_ceo_command_mode_decides_on_command_only);
	tcase_add_test(tc, test_ceo_event_clock_ignores_command_time);
	tcase_add_test(tc, test_ceo_back_to_back_writes_never_conflict_with_themselves_issue_17);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
