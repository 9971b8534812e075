/*
 * test_failover.c - the whole layer with two replicas of every service
 * (ceo, risk_officer, strategy_officer, federation) against a real
 * redis-server with AOF:
 *   - kill -9 of the CEO leader: the standby takes the lease (the time is
 *     printed, bounded only by the test's timeout), the operator's last
 *     decision survives it, both replicas never report leading in the same
 *     sample, and the PolicyStore's fencing log (policy:history) shows the
 *     tokens of the CEO's writes never going down;
 *   - redis-server killed and restarted from its AOF in the middle of 400
 *     trade.closed events published the way a trading service does
 *     (retrying a failed XADD with the same event id): the Risk Officer's
 *     window and the Strategy Officer's count hold every trade exactly
 *     once, and all eight processes carry on without a restart;
 *   - SIGTERM of each service right after a burst of inputs: exit status
 *     0 and no entry left pending for its consumer in any group.
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
#include "run_suite.h"
#include "stack.h"

enum { CEO_A, CEO_B, RO_A, RO_B, SO_A, SO_B, FED_A, FED_B, N_PROC };

static const char *const NAMES[N_PROC] = {"ceo-a", "ceo-b", "ro-a", "ro-b", "so-a", "so-b", "fed-a", "fed-b"};
static const char *const PROGRAMS[N_PROC] = {"ceo",
					     "ceo",
					     "risk_officer",
					     "risk_officer",
					     "strategy_officer",
					     "strategy_officer",
					     "federation",
					     "federation"};
static struct harness_redis srv;
static pid_t pids[N_PROC];
static int ports[N_PROC];

static pid_t spawn(int i)
{
	char id[64], port[48], api[48];
	ports[i] = harness_free_port();
	snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=%s", NAMES[i]);
	snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", ports[i]);
	snprintf(api, sizeof(api), "ORCH_API_PORT=%d", harness_free_port());
	const char *env[] = {"ORCH_PREFIX=t",
			     id,
			     port,
			     api,
			     "ORCH_LOG_LEVEL=error",
			     "ORCH_LEASE_TTL_MS=1000",
			     "ORCH_CEO_DEBOUNCE_MS=10",
			     "ORCH_RISK_PUBLISH_MIN_MS=0",
			     "ORCH_STRATEGY_PUBLISH_MIN_MS=0",
			     NULL};
	pid_t pid = harness_spawn_program(PROGRAMS[i], &srv, env);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 1), 0);
	for (int i = 0; i < N_PROC; i++)
		pids[i] = spawn(i);
	for (int i = 0; i < N_PROC; i++) {
		ck_assert_msg(stack_wait_ready(ports[i], 10000), "%s is not ready", NAMES[i]);
	}
}

static void teardown(void)
{
	for (int i = 0; i < N_PROC; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	harness_redis_stop(&srv);
}

/* The lease holder's instance name ("" when free). */
static void holder(redisContext *c, const char *role, char *out, size_t len)
{
	char key[64];
	snprintf(key, sizeof(key), "t:lease:%s", role);
	char *v = stack_get(c, key);
	snprintf(out, len, "%s", v ? v : "");
	out[strcspn(out, "|")] = '\0';
	free(v);
}

static json_t *command(redisContext *c, const char *id, const char *body)
{
	return stack_command(c, "t", id, body);
}

START_TEST(test_ceo_leader_killed)
{
	redisContext *c = harness_redis_sync(&srv);
	char lead[64] = "";
	for (int i = 0; i < 200 && !lead[0]; i++, usleep(25000))
		holder(c, "ceo", lead, sizeof(lead));
	ck_assert_msg(lead[0], "no CEO leads");
	int l = strcmp(lead, "ceo-a") == 0 ? CEO_A : CEO_B, s = l == CEO_A ? CEO_B : CEO_A;
	/* inputs under which no rule calls for a change, then the operator's decision */
	ck_assert_int_eq(stack_publish(c,
				       "t",
				       "risk_state_update",
				       "{\"risk_score\": 40, \"metrics\": {\"daily_drawdown\": 0.0}}",
				       NULL),
			 0);
	ck_assert_int_eq(stack_publish(c, "t", "strategy_state_update", "{\"win_rate\": 0.50}", NULL), 0);
	json_t *rep = command(c,
			      "op-1",
			      "\"action\": \"set_mode\", \"mode\": \"DEFENSIVE\", \"reason\": \"drill\", "
			      "\"operator\": \"alice\"");
	ck_assert_msg(rep != NULL, "no reply to set_mode");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	json_decref(rep);

	kill(pids[l], SIGKILL);
	waitpid(pids[l], NULL, 0);
	pids[l] = 0;
	double t0 = clock_mono_ns() / 1e9, took = -1;
	int both = 0;
	for (int i = 0; i < 400 && took < 0; i++) {
		char h[64];
		holder(c, "ceo", h, sizeof(h));
		if (!strcmp(h, NAMES[s]) && stack_metric(ports[s], "orch_lease_leader{role=\"ceo\"}") == 1)
			took = clock_mono_ns() / 1e9 - t0;
		else
			usleep(25000);
	}
	ck_assert_msg(took >= 0, "%s did not take over", NAMES[s]);
	printf("failover: %s leads %.3f s after %s was killed (lease ttl 1.000 s)\n", NAMES[s], took, NAMES[l]);
	pids[l] = spawn(l);
	stack_wait_ready(ports[l], 10000);
	/* the restarted one stands by: never two leaders in a sample */
	for (int i = 0; i < 20; i++, usleep(50000))
		both += stack_metric(ports[CEO_A], "orch_lease_leader{role=\"ceo\"}") == 1 &&
			stack_metric(ports[CEO_B], "orch_lease_leader{role=\"ceo\"}") == 1;
	ck_assert_int_eq(both, 0);

	/* the decision survived: the new leader decides from DEFENSIVE */
	rep = command(c, "fd-1", "\"action\": \"force_decision\"");
	ck_assert_msg(rep != NULL, "no reply to force_decision from the new leader");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "decision"), "operating_mode")),
			 "DEFENSIVE");
	json_decref(rep);
	json_t *doc = stack_get_json(c, "t:policy:current");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "operating_mode")), "DEFENSIVE");
	json_decref(doc);
	/* a write by the new leader, with its token */
	rep = command(c,
		      "op-2",
		      "\"action\": \"set_mode\", \"mode\": \"CAPITAL_PRESERVATION\", \"reason\": "
		      "\"drill\", \"operator\": \"bob\"");
	ck_assert_msg(rep != NULL, "no reply to set_mode from the new leader");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	json_decref(rep);
	for (int i = 0; i < 200; i++, usleep(25000)) {
		doc = stack_get_json(c, "t:policy:current");
		int done = doc &&
			   !strcmp(json_string_value(json_object_get(doc, "operating_mode")), "CAPITAL_PRESERVATION");
		json_decref(doc);
		if (done)
			break;
	}

	/* the fencing log: the CEO's tokens never go down, and both leaders wrote */
	redisReply *r = redisCommand(c, "XRANGE t:policy:history - +");
	ck_assert(r && r->type == REDIS_REPLY_ARRAY);
	long long prev = 0, first = 0;
	for (size_t e = 0; e < r->elements; e++) {
		const redisReply *f = r->element[e]->element[1];
		const char *by = NULL, *tok = NULL;
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			if (!strcmp(f->element[k]->str, "updated_by"))
				by = f->element[k + 1]->str;
			else if (!strcmp(f->element[k]->str, "fencing_token"))
				tok = f->element[k + 1]->str;
		}
		ck_assert_ptr_nonnull(tok);
		if (!by || strcmp(by, "ai_ceo") != 0)
			continue;
		long long t = atoll(tok);
		ck_assert_msg(t >= prev, "fencing token went down from %lld to %lld at entry %zu", prev, t, e);
		if (!first)
			first = t;
		prev = t;
	}
	freeReplyObject(r);
	ck_assert_msg(first > 0 && prev > first,
		      "the log does not show the new leader writing (tokens %lld..%lld)",
		      first,
		      prev);
	redisFree(c);
}
END_TEST

/* n_obs of the newest risk_state_update is n (the window holds n trades). */
static int risk_sees(json_t *p, const void *arg)
{
	int64_t n = 0;
	const json_t *m = json_object_get(p, "metrics");
	return json_util_get_int64(m, "n_obs", &n) == 0 && n == *(const long *)arg;
}

static int strategy_sees(json_t *p, const void *arg)
{
	int64_t n = 0;
	return json_util_get_int64(json_array_get(json_object_get(p, "ranking"), 0), "trades", &n) == 0 &&
	       n == *(const long *)arg;
}

/* XADDs trade i as a trading service does: on a failed call it reconnects
 * and sends the same entry (same event id) again until it is stored. */
static void publish_trade(redisContext **c, int i)
{
	char eid[32], pnl[32];
	snprintf(eid, sizeof(eid), "trade-%04d", i);
	snprintf(pnl, sizeof(pnl), "%.3f", (i % 7) - 2.9);
	for (int attempt = 0; attempt < 400; attempt++) {
		redisReply *r = *c ? redisCommand(*c,
						  "XADD t:stream:trade.closed * event_type trade.closed event_id %s "
						  "symbol BTCUSDT side BUY pnl_percent %s strategy s1",
						  eid,
						  pnl)
				   : NULL;
		int ok = r && r->type == REDIS_REPLY_STRING;
		freeReplyObject(r);
		if (ok)
			return;
		if (*c)
			redisFree(*c);
		usleep(25000);
		*c = harness_redis_sync(&srv);
	}
	ck_abort_msg("trade %d could not be published", i);
}

START_TEST(test_redis_restart_mid_stream)
{
	const long n = 400;
	redisContext *c = harness_redis_sync(&srv);
	for (int i = 0; i < n; i++) {
		if (i == n / 2) {
			harness_redis_kill(&srv, SIGKILL);
			ck_assert_int_eq(harness_redis_restart(&srv), 0);
		}
		publish_trade(&c, i);
	}
	json_t *p = stack_wait_payload(c, "t", "risk_state_update", risk_sees, &n, 30000);
	if (!p) {
		json_t *last = stack_wait_payload(c, "t", "risk_state_update", NULL, NULL, 100);
		ck_abort_msg("no risk state with %ld trades; the newest: %s",
			     n,
			     last ? json_dumps(json_object_get(last, "metrics"), JSON_COMPACT) : "none");
	}
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "metrics"), "source")), "closed_trades");
	json_decref(p);
	p = stack_wait_payload(c, "t", "strategy_state_update", strategy_sees, &n, 30000);
	ck_assert_msg(p != NULL, "no strategy state counting %ld trades of s1", n);
	json_decref(p);
	/* nobody restarted: every process is the one started, and ready */
	for (int i = 0; i < N_PROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], NULL, WNOHANG), 0);
		ck_assert_msg(stack_wait_ready(ports[i], 5000), "%s is not ready after the restart", NAMES[i]);
	}
	redisFree(c);
}
END_TEST

/* Entries pending for the consumers of `instance` ("<service>_<instance>")
 * in every group of every t:stream:*. */
static long long pending_of(redisContext *c, const char *instance)
{
	long long total = 0;
	redisReply *keys = redisCommand(c, "KEYS t:stream:*");
	for (size_t k = 0; keys && k < keys->elements; k++) {
		redisReply *g = redisCommand(c, "XINFO GROUPS %s", keys->element[k]->str);
		for (size_t i = 0; g && g->type == REDIS_REPLY_ARRAY && i < g->elements; i++) {
			const char *group = g->element[i]->element[1]->str;
			redisReply *cs = redisCommand(c, "XINFO CONSUMERS %s %s", keys->element[k]->str, group);
			for (size_t j = 0; cs && cs->type == REDIS_REPLY_ARRAY && j < cs->elements; j++) {
				const redisReply *f = cs->element[j];
				const char *name = f->element[1]->str, *us = strrchr(name, '_');
				if (us && !strcmp(us + 1, instance))
					total += f->element[3]->integer;
			}
			freeReplyObject(cs);
		}
		freeReplyObject(g);
	}
	freeReplyObject(keys);
	return total;
}

START_TEST(test_sigterm_leaves_nothing_pending)
{
	redisContext *c = harness_redis_sync(&srv);
	for (int i = 0; i < N_PROC; i++) {
		for (int k = 0; k < 100; k++) {
			char p[160];
			snprintf(p,
				 sizeof(p),
				 "{\"total_equity\": %d, \"total_exposure\": 1000, \"num_positions\": 1}",
				 100000 + k);
			ck_assert_int_eq(stack_publish(c, "t", "portfolio.snapshot_updated", p, NULL), 0);
			ck_assert_int_eq(stack_publish(c, "t", "risk_state_update", "{\"risk_score\": 30}", NULL), 0);
		}
		kill(pids[i], SIGTERM);
		int st = -1;
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		pids[i] = 0;
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: exit status %d", NAMES[i], st);
		ck_assert_msg(pending_of(c, NAMES[i]) == 0, "%s left entries pending", NAMES[i]);
	}
	redisFree(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("layer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ceo_leader_killed);
	tcase_add_test(tc, test_redis_restart_mid_stream);
	tcase_add_test(tc, test_sigterm_leaves_nothing_pending);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
