/*
 * test_federation.c - the federation binary (with the ceo binary) against
 * a real redis-server: the global state's mode and the live gate's come
 * from the PolicyStore, so forged ceo_mode_switch and ceo_decision events
 * do not move them (issue 18); when Redis loses the document (FLUSHALL, a
 * restart without data) the federation says degraded and the gate answers
 * the safe side until the CEO has written its mode back above every
 * version seen, which it does at once and without a write storm (issue
 * 18). Both programs end cleanly on SIGTERM.
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
#include "policy.h"
#include "run_suite.h"
#include "stack.h"

static struct harness_redis srv;
static pid_t fed, ceo;
static int api_port, fed_admin, ceo_admin;

static pid_t spawn_federation(void)
{
	char api[48], admin[48];
	api_port = harness_free_port();
	fed_admin = harness_free_port();
	snprintf(api, sizeof(api), "ORCH_API_PORT=%d", api_port);
	snprintf(admin, sizeof(admin), "ORCH_ADMIN_PORT=%d", fed_admin);
	const char *env[] = {"ORCH_PREFIX=t",
			     "ORCH_INSTANCE_ID=fed-a",
			     api,
			     admin,
			     "ORCH_LOG_LEVEL=error",
			     "ORCH_POLICY_CREATE=false",
			     "ORCH_FEDERATION_INTERVAL_S=1",
			     "ORCH_POLICY_REFRESH_MS=100",
			     NULL};
	pid_t pid = harness_spawn_program("federation", &srv, env);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static pid_t spawn_ceo(void)
{
	char admin[48];
	ceo_admin = harness_free_port();
	snprintf(admin, sizeof(admin), "ORCH_ADMIN_PORT=%d", ceo_admin);
	const char *env[] = {"ORCH_PREFIX=t",
			     "ORCH_INSTANCE_ID=ceo-a",
			     admin,
			     "ORCH_LOG_LEVEL=error",
			     "ORCH_LEASE_TTL_MS=1000",
			     "ORCH_CEO_DEBOUNCE_MS=10",
			     "ORCH_POLICY_REFRESH_MS=100",
			     NULL};
	pid_t pid = harness_spawn_program("ceo", &srv, env);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
}

static void stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGCONT);
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

/* SIGTERM: the process must end cleanly (under ASan: no leak, no bad
 * free at teardown). */
static void end_clean(pid_t *pid)
{
	int status = -1;
	kill(*pid, SIGTERM);
	waitpid(*pid, &status, 0);
	*pid = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ended with status %d", status);
}

static void teardown(void)
{
	stop(&fed);
	stop(&ceo);
	harness_redis_stop(&srv);
}

static void run(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(c, fmt, arg);
	ck_assert_msg(r && r->type != REDIS_REPLY_ERROR, "%s: %s", fmt, r ? r->str : c->errstr);
	freeReplyObject(r);
}

/* GET path on the API: the JSON body (caller decrefs) or NULL. */
static json_t *api_get(const char *path)
{
	char *resp = harness_http(api_port, "GET", path);
	json_t *j = resp && harness_http_status(resp) == 200 ? json_loads(harness_http_body(resp), 0, NULL) : NULL;
	free(resp);
	return j;
}

/* The global state (data or partial), or NULL. */
static json_t *global_state(void)
{
	json_t *b = api_get("/api/orchestration/global-state");
	json_t *g = json_object_get(b, "data") ? json_object_get(b, "data") : json_object_get(b, "partial");
	json_incref(g);
	json_decref(b);
	return g;
}

/* 1 when a degraded reason names the PolicyStore. */
static int policy_degraded(const json_t *g)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(g, "degraded_reasons"), i, v)
	{
		if (strstr(json_string_value(v), "policy"))
			return 1;
	}
	return 0;
}

struct want {
	const char *mode; /* global_mode, or NULL: any */
	int degraded;     /* by the policy: 1, 0, or -1: either */
};

/* The global state once it matches w, within 10 s (NULL otherwise). */
static json_t *wait_state(const struct want *w)
{
	for (int i = 0; i < 200; i++, usleep(50000)) {
		json_t *g = global_state();
		const char *m = json_string_value(json_object_get(g, "global_mode"));
		if (g && (!w->mode || (m && !strcmp(m, w->mode))) &&
		    (w->degraded < 0 || policy_degraded(g) == w->degraded))
			return g;
		json_decref(g);
	}
	return NULL;
}

static void set_policy(redisContext *c, const char *mode, const char *risk_mode, int version)
{
	json_t *doc = policy_default_doc(0);
	json_object_set_new(doc, "operating_mode", json_string(mode));
	json_object_set_new(doc, "active_mode", json_string(risk_mode));
	json_object_set_new(doc, "version", json_integer(version));
	char *text = json_dumps(doc, JSON_COMPACT);
	run(c, "SET t:policy:current %s", text);
	free(text);
	json_decref(doc);
}

static void publish_states(redisContext *c)
{
	ck_assert_int_eq(
		stack_publish(c, "t", "risk_state_update", "{\"risk_score\": 20, \"risk_level\": \"low\"}", NULL), 0);
	ck_assert_int_eq(stack_publish(c, "t", "strategy_state_update", "{\"win_rate\": 0.5}", NULL), 0);
}

static json_t *gate_status(void)
{
	return api_get("/compat/ceo/status");
}

START_TEST(test_federation_mode_only_from_the_policy_issue_18)
{
	redisContext *c = harness_redis_sync(&srv);
	set_policy(c, "DEFENSIVE", "DEFENSIVE", 5);
	fed = spawn_federation();
	ck_assert_msg(stack_wait_ready(fed_admin, 10000), "the federation is not ready");
	publish_states(c);
	ck_assert_int_eq(stack_publish(c,
				       "t",
				       "ceo_decision",
				       "{\"operating_mode\": \"DEFENSIVE\", \"decision_confidence\": 0.9, "
				       "\"primary_reason\": \"risk\"}",
				       NULL),
			 0);
	struct want w = {"DEFENSIVE", 0};
	json_t *g = wait_state(&w);
	ck_assert_msg(g != NULL, "the global state never showed DEFENSIVE");
	json_decref(g);

	/* forged: a switch to GROWTH and a decision for it, the policy unchanged */
	ck_assert_int_eq(
		stack_publish(c,
			      "t",
			      "ceo_mode_switch",
			      "{\"old_mode\": \"DEFENSIVE\", \"new_mode\": \"GROWTH\", \"reason\": \"forged\"}",
			      NULL),
		0);
	ck_assert_int_eq(stack_publish(c,
				       "t",
				       "ceo_decision",
				       "{\"operating_mode\": \"GROWTH\", \"decision_confidence\": 1.0, "
				       "\"primary_reason\": \"forged\"}",
				       NULL),
			 0);
	for (int i = 0; i < 200; i++, usleep(25000))
		if (stack_group_done(c, "t:stream:ceo_mode_switch", "t:group:federation-fed-a:ceo_mode_switch", 1) &&
		    stack_group_done(c, "t:stream:ceo_decision", "t:group:federation-fed-a:ceo_decision", 2))
			break;
	ck_assert(stack_group_done(c, "t:stream:ceo_decision", "t:group:federation-fed-a:ceo_decision", 2));
	usleep(200000);
	g = global_state();
	ck_assert_ptr_nonnull(g);
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "DEFENSIVE");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_source")), "policy");
	json_decref(g);
	json_t *st = gate_status();
	ck_assert_ptr_nonnull(st);
	ck_assert_str_ne(json_string_value(json_object_get(st, "mode")), "ACTIVE");
	ck_assert_str_eq(json_string_value(json_object_get(st, "operating_mode")), "DEFENSIVE");
	json_decref(st);

	/* once the policy holds GROWTH, the federation shows it */
	set_policy(c, "GROWTH", "AGGRESSIVE_SMALL_ACCOUNT", 6);
	w.mode = "GROWTH";
	g = wait_state(&w);
	ck_assert_msg(g != NULL, "the policy's GROWTH never showed");
	json_decref(g);
	redisFree(c);
	end_clean(&fed);
}
END_TEST

static int64_t doc_version(redisContext *c, const char *want_mode)
{
	json_t *doc = stack_get_json(c, "t:policy:current");
	const char *m = json_string_value(json_object_get(doc, "operating_mode"));
	int64_t v = m && !strcmp(m, want_mode) ? json_integer_value(json_object_get(doc, "version")) : -1;
	json_decref(doc);
	return v;
}

/* The document holds the CEO's DEFENSIVE (the operator's, which no rule
 * leaves without information) at a version above `above`, within 10 s;
 * returns that version. */
static int64_t wait_defensive_above(redisContext *c, int64_t above)
{
	int64_t v = -1;
	for (int i = 0; i < 200 && v <= above; i++, usleep(50000))
		v = doc_version(c, "DEFENSIVE");
	ck_assert_msg(v > above, "the document does not hold DEFENSIVE above version %lld", (long long)above);
	return v;
}

START_TEST(test_federation_degraded_until_the_ceo_restores_the_policy_issue_18)
{
	ceo = spawn_ceo();
	fed = spawn_federation();
	ck_assert_msg(stack_wait_ready(ceo_admin, 10000), "the ceo is not ready");
	ck_assert_msg(stack_wait_ready(fed_admin, 10000), "the federation is not ready");
	redisContext *c = harness_redis_sync(&srv);
	json_t *rep = stack_command(
		c,
		"t",
		"d-1",
		"\"action\": \"set_mode\", \"mode\": \"DEFENSIVE\", \"reason\": \"t\", \"operator\": \"op\"");
	ck_assert_ptr_nonnull(rep);
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	json_decref(rep);
	int64_t seen = wait_defensive_above(c, 0);
	publish_states(c);
	struct want w = {"DEFENSIVE", 0};
	json_t *g = wait_state(&w);
	ck_assert_msg(g != NULL, "the global state never showed DEFENSIVE");
	json_decref(g);
	json_t *st = gate_status();
	ck_assert_ptr_nonnull(st);
	ck_assert(json_is_false(json_object_get(st, "safe_side")));
	json_decref(st);

	/* Redis loses everything while the CEO cannot act */
	kill(ceo, SIGSTOP);
	run(c, "%s", "FLUSHALL");
	w.degraded = 1;
	g = wait_state(&w);
	ck_assert_msg(g != NULL, "the federation did not say degraded");
	ck_assert(json_is_true(json_object_get(g, "degraded")));
	json_decref(g);
	st = gate_status();
	ck_assert_ptr_nonnull(st);
	ck_assert(json_is_true(json_object_get(st, "safe_side")));
	ck_assert_str_ne(json_string_value(json_object_get(st, "mode")), "ACTIVE");
	json_decref(st);
	/* the CEO resumes and writes its mode back above every version seen */
	kill(ceo, SIGCONT);
	seen = wait_defensive_above(c, seen);
	w.degraded = 0;
	g = wait_state(&w);
	ck_assert_msg(g != NULL, "still degraded after the CEO wrote back");
	json_decref(g);
	redisFree(c);

	/* a restart without data: the same, at once */
	harness_redis_kill(&srv, SIGKILL);
	ck_assert_int_eq(harness_redis_restart(&srv), 0);
	int64_t t0 = clock_mono_ms();
	c = harness_redis_sync(&srv);
	seen = wait_defensive_above(c, seen);
	printf("restart without data: DEFENSIVE back at version %lld within %lld ms\n",
	       (long long)seen,
	       (long long)(clock_mono_ms() - t0));
	g = wait_state(&w);
	ck_assert_msg(g != NULL, "still degraded after the restart");
	json_decref(g);
	/* no write storm: a handful of writes and retries, not a loop */
	double writes = 0;
	static const char *const results[] = {"ok", "conflict", "error", "wrongtype"};
	for (int i = 0; i < 4; i++) {
		char name[96];
		snprintf(name, sizeof(name), "orch_policy_writes_total{result=\"%s\"}", results[i]);
		double n = stack_metric(ceo_admin, name);
		writes += n > 0 ? n : 0;
	}
	printf("policy writes by the CEO, all results: %.0f\n", writes);
	ck_assert_msg(writes < 40, "%.0f policy writes", writes);
	redisFree(c);
	end_clean(&fed);
	end_clean(&ceo);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("federation");
	TCase *tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_federation_mode_only_from_the_policy_issue_18);
	tcase_add_test(tc, test_federation_degraded_until_the_ceo_restores_the_policy_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
