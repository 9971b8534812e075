/*
 * test_strategy_officer.c - the strategy_officer binary against a real
 * redis-server, fed in the original system's wire format: ai.decision.made
 * naming the strategy, then the auto_executor's direct trade.closed
 * entries that name only the model, and position.closed events with a
 * strategy_id. It must recommend the proven strategy, disable the losing
 * one with its rule and evidence (strategy_alert; the default rules: PSR),
 * publish the pooled book's evidence without it, store the disabled set
 * in the PolicyStore by compare-and-set, and, when another writer moved
 * the document on unseen, retry on the newer document instead of losing
 * either write. A malformed trade lands in the dead-letter stream.
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
static pid_t so_pid;
static int admin_port;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	admin_port = harness_free_port();
	char port[48];
	snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", admin_port);
	const char *env[] = {"ORCH_PREFIX=t",
			     "ORCH_INSTANCE_ID=so-test",
			     port,
			     "ORCH_LOG_LEVEL=warn",
			     "ORCH_CLOCK=event",
			     "ORCH_STRATEGY_PUBLISH_MIN_MS=20",
			     "ORCH_STRATEGY_INTERVAL_S=75",
			     NULL};
	so_pid = harness_spawn_program("strategy_officer", &srv, env);
	ck_assert_int_gt(so_pid, 0);
}

static void teardown(void)
{
	if (so_pid > 0) {
		kill(so_pid, SIGKILL);
		waitpid(so_pid, NULL, 0);
		so_pid = 0;
	}
	harness_redis_stop(&srv);
}

/* Minute m of 2026-01-05 10:00 as the original's timestamp. */
static void ts_of(int m, char *buf, size_t len)
{
	snprintf(buf, len, "2026-01-05T%02d:%02d:00.000000", 10 + m / 60, m % 60);
}

static void xadd_payload(redisContext *c, const char *type, int minute, const char *payload)
{
	char ts[40];
	ts_of(minute, ts, sizeof(ts));
	ck_assert_int_eq(stack_publish(c, "t", type, payload, ts), 0);
}

static void direct_trade(redisContext *c, int minute, const char *symbol, const char *side, const char *pnl)
{
	char ts[40];
	ts_of(minute, ts, sizeof(ts));
	redisReply *r =
		redisCommand(c,
			     "XADD t:stream:trade.closed * event_type trade.closed symbol %s side %s "
			     "exit_price 100 pnl_percent %s confidence 0.7 timestamp %s model ensemble leverage 3",
			     symbol,
			     side,
			     pnl,
			     ts);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	freeReplyObject(r);
}

static json_t *wait_for(redisContext *c, const char *type, int (*pred)(json_t *, const void *), const void *arg)
{
	return stack_wait_payload(c, "t", type, pred, arg, 10000);
}

static int any(json_t *p, const void *arg)
{
	(void)p;
	(void)arg;
	return 1;
}

static int primary_is(json_t *p, const void *arg)
{
	const char *s = json_string_value(json_object_get(p, "primary_strategy"));
	return s && strcmp(s, arg) == 0;
}

/* A state whose leader is "trend" with all its 40 trades in. */
static int trend_complete(json_t *p, const void *arg)
{
	(void)arg;
	json_t *first = json_array_get(json_object_get(p, "ranking"), 0);
	const char *name = json_string_value(json_object_get(first, "strategy"));
	return name && !strcmp(name, "trend") && json_integer_value(json_object_get(first, "trades")) == 40;
}

static int disables(json_t *p, const void *arg)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(p, "alerts"), i, a)
	{
		const char *code = json_string_value(json_object_get(a, "code"));
		const char *name = json_string_value(json_object_get(a, "strategy"));
		if (code && name && !strcmp(code, "STRATEGY_DISABLED") && !strcmp(name, arg))
			return 1;
	}
	return 0;
}

START_TEST(test_strategy_officer_recommends_disables_and_stores_by_cas)
{
	redisContext *c = harness_redis_sync(&srv);
	/* the officer is active once it published its first (empty) state */
	xadd_payload(c, "meta.regime", 0, "{\"regime\": \"TRENDING\"}");
	json_t *st = wait_for(c, "strategy_state_update", any, NULL);
	ck_assert_msg(st != NULL, "no strategy_state_update from an active officer");
	/* the interval it runs at, for the Federation's status of it */
	ck_assert_int_eq(json_integer_value(json_object_get(st, "analysis_interval_s")), 75);
	json_decref(st);

	/* another writer moves the policy on without the officer seeing it:
	 * its next compare-and-set must fail and be retried on this document */
	json_t *doc = NULL;
	for (int i = 0; i < 100 && !doc; i++) {
		doc = stack_get_json(c, "t:policy:current");
		if (!doc)
			usleep(50000);
	}
	ck_assert_ptr_nonnull(doc);
	json_int_t v0 = json_integer_value(json_object_get(doc, "version"));
	json_object_set_new(doc, "version", json_integer(v0 + 1));
	json_object_set_new(doc, "updated_by", json_string("ai_ceo"));
	json_object_set_new(doc, "ceo_marker", json_string("kept"));
	char *text = json_dumps(doc, JSON_COMPACT);
	redisReply *r = redisCommand(c, "SET t:policy:current %s", text);
	freeReplyObject(r);
	free(text);
	json_decref(doc);

	/* "chop": position.closed with a strategy_id, 6 of 60 win: small
	 * returns, profit factor 0.37; the evidence of a negative edge (PSR
	 * below 0.05) needs about 45 such trades. Disabled before "trend"
	 * trades, so the recommendation below has no fallback. */
	for (int i = 0; i < 60; i++) {
		char payload[200];
		snprintf(payload,
			 sizeof(payload),
			 "{\"symbol\": \"ETHUSDT\", \"is_long\": true, \"pnl_pct\": %s, \"strategy_id\": \"chop\"}",
			 i % 10 == 0 ? "1.0" : "-0.3");
		xadd_payload(c, "position.closed", 1 + 4 * i, payload);
	}
	json_t *al = wait_for(c, "strategy_alert", disables, "chop");
	ck_assert_msg(al != NULL, "no strategy_alert disabling chop");
	size_t n;
	json_t *a;
	json_array_foreach(json_object_get(al, "alerts"), n, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "strategy")), "chop") != 0)
			continue;
		/* the default rules: evidence of a negative edge */
		ck_assert_str_eq(json_string_value(json_object_get(a, "reason")), "psr_below");
		ck_assert(json_real_value(json_object_get(a, "value")) < 0.05);
		ck_assert_double_eq_tol(json_real_value(json_object_get(a, "threshold")), 0.05, 1e-12);
	}
	json_decref(al);

	/* "trend": decided by the AI engine, closed by the auto_executor
	 * (direct entries naming only the model): 28 of 40 win. Streams are
	 * consumed independently, so the decisions go first. */
	for (int i = 0; i < 40; i++) {
		char payload[200];
		snprintf(payload,
			 sizeof(payload),
			 "{\"symbol\": \"C%dUSDT\", \"side\": \"buy\", \"confidence\": 0.7, \"model\": \"ensemble\","
			 " \"strategy\": \"trend\"}",
			 i);
		xadd_payload(c, "ai.decision.made", 1 + 3 * i, payload);
	}
	for (int i = 0; i < 100 && stack_metric(admin_port, "orch_strategy_inputs_total{kind=\"decision\"}") < 40; i++)
		usleep(50000);
	ck_assert_double_eq(stack_metric(admin_port, "orch_strategy_inputs_total{kind=\"decision\"}"), 40);
	for (int i = 0; i < 40; i++) {
		char symbol[24];
		snprintf(symbol, sizeof(symbol), "C%dUSDT", i);
		direct_trade(c, 2 + 3 * i, symbol, "BUY", i % 10 < 7 ? "1.2" : "-0.8");
	}
	json_t *rec = wait_for(c, "strategy_recommendation", primary_is, "trend");
	ck_assert_msg(rec != NULL, "no strategy_recommendation with trend as primary");
	ck_assert_str_eq(json_string_value(json_object_get(rec, "meta_strategy_mode")), "single");
	ck_assert(json_real_value(json_object_get(rec, "confidence")) > 0.5);
	json_decref(rec);

	/* the state carries the evidence of every strategy (the trades are
	 * consumed as they come: wait for all of them) */
	st = wait_for(c, "strategy_state_update", trend_complete, NULL);
	ck_assert_ptr_nonnull(st);
	json_t *rank = json_object_get(st, "ranking");
	ck_assert_uint_eq(json_array_size(rank), 2);
	json_t *first = json_array_get(rank, 0);
	ck_assert_str_eq(json_string_value(json_object_get(first, "strategy")), "trend");
	ck_assert_int_eq(json_integer_value(json_object_get(first, "trades")), 40);
	ck_assert_int_eq(json_integer_value(json_object_get(first, "wins")), 28);
	json_t *second = json_array_get(rank, 1);
	ck_assert_str_eq(json_string_value(json_object_get(second, "status")), "disabled");
	/* the book: the trades of the strategies not disabled */
	json_t *book = json_object_get(st, "book");
	ck_assert_int_eq(json_integer_value(json_object_get(book, "trades")), 40);
	ck_assert(json_real_value(json_object_get(book, "psr")) > 0.95);
	json_t *model = json_array_get(json_object_get(st, "models"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(model, "model")), "ensemble");
	ck_assert_int_eq(json_integer_value(json_object_get(model, "predictions")), 40);
	ck_assert_double_eq_tol(json_real_value(json_object_get(model, "accuracy")), 0.7, 1e-12);
	json_decref(st);

	/* the PolicyStore holds both writes: the other writer's and ours */
	json_t *pd = NULL;
	for (int k = 0; k < 200; k++) {
		json_decref(pd);
		pd = stack_get_json(c, "t:policy:current");
		if (pd && json_array_size(json_object_get(pd, "disabled_strategies")) == 1)
			break;
		usleep(50000);
	}
	ck_assert_ptr_nonnull(pd);
	ck_assert_uint_eq(json_array_size(json_object_get(pd, "disabled_strategies")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(pd, "disabled_strategies"), 0)), "chop");
	ck_assert_str_eq(json_string_value(json_object_get(pd, "ceo_marker")), "kept");
	ck_assert_int_eq(json_integer_value(json_object_get(pd, "version")), v0 + 2);
	ck_assert_str_eq(json_string_value(json_object_get(pd, "updated_by")), "ai_so");
	json_decref(pd);
	ck_assert_double_eq(stack_metric(admin_port, "orch_strategy_policy_conflicts_total"), 1);
	ck_assert_double_eq(stack_metric(admin_port, "orch_strategy_policy_writes_total"), 1);
	ck_assert_double_eq(stack_metric(admin_port, "orch_strategy_disabled"), 1);
	redisFree(c);
}
END_TEST

START_TEST(test_strategy_officer_dead_letters_malformed_trade)
{
	redisContext *c = harness_redis_sync(&srv);
	direct_trade(c, 1, "BTCUSDT", "BUY", "n/a");
	redisReply *r = NULL;
	for (int i = 0; i < 200; i++) {
		freeReplyObject(r);
		r = redisCommand(c, "XRANGE t:dlq:trade.closed - +");
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
			break;
		usleep(50000);
	}
	ck_assert_int_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->element[1]->element[1]->str, "malformed: pnl_percent: not a number");
	freeReplyObject(r);
	kill(so_pid, SIGTERM);
	int status;
	ck_assert_int_eq(waitpid(so_pid, &status, 0), so_pid);
	so_pid = 0;
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	redisFree(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strategy_officer");
	TCase *tc = tcase_create("service");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_strategy_officer_recommends_disables_and_stores_by_cas);
	tcase_add_test(tc, test_strategy_officer_dead_letters_malformed_trade);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
