/*
 * test_risk_officer.c - the risk_officer binary against a real
 * redis-server, fed in the original system's wire format: portfolio
 * snapshots with a JSON payload and "direct" trade.closed entries (flat
 * fields, pnl_percent in percent). It must publish risk_state_update
 * carrying the real values (the original's handlers saw empty state),
 * exactly the VaR that risk_metrics_compute gives for the same period
 * returns, a CRITICAL risk_alert when the day's drawdown passes the
 * policy's limit, and dead-letter a malformed trade with its reason, and
 * a trade dated far behind the event clock (older than the window) or far
 * ahead of the host's clock (issue 18).
 * With two replicas, the standby takes over when the active one is
 * killed, rebuilds its windows from the streams and computes the same
 * numbers, applying no event twice.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "risk_models.h"
#include "run_suite.h"
#include "stack.h"

static struct harness_redis srv;
static pid_t ro_pid;

/* Starts a risk_officer replica named `instance`, admin port `admin_port`
 * (0 = none). */
static pid_t spawn_risk_officer(const char *instance, int admin_port)
{
	char id[96], port[48];
	snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=%s", instance);
	snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", admin_port);
	const char *env[] = {"ORCH_PREFIX=t",
			     id,
			     port,
			     "ORCH_LEASE_TTL_MS=1000",
			     "ORCH_LOG_LEVEL=warn",
			     "ORCH_CLOCK=event",
			     "ORCH_RISK_PERIOD_S=1",
			     "ORCH_RISK_PUBLISH_MIN_MS=20",
			     NULL};
	pid_t pid = harness_spawn_program("risk_officer", &srv, env);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	ro_pid = spawn_risk_officer("ro-test", 0);
}

static void teardown(void)
{
	if (ro_pid > 0) {
		kill(ro_pid, SIGKILL);
		waitpid(ro_pid, NULL, 0);
		ro_pid = 0;
	}
	harness_redis_stop(&srv);
}

static void xadd(redisContext *c, const char *type, const char *ts, const char *k1, const char *v1, const char *k2,
		 const char *v2)
{
	char stream[128];
	snprintf(stream, sizeof(stream), "t:stream:%s", type);
	redisReply *r = redisCommand(
		c, "XADD %s * event_type %s %s %s %s %s timestamp %s source test", stream, type, k1, v1, k2, v2, ts);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	freeReplyObject(r);
}

static void snapshot(redisContext *c, int second, long equity)
{
	char ts[40], payload[160];
	snprintf(ts, sizeof(ts), "2026-01-05T10:%02d:%02d.000000", second / 60, second % 60);
	snprintf(payload,
		 sizeof(payload),
		 "{\"total_equity\": %ld, \"total_exposure\": 50000, \"num_positions\": 2}",
		 equity);
	xadd(c, "portfolio.snapshot_updated", ts, "payload", payload, "trace_id", "");
}

static int n_obs_is(json_t *p, const void *arg)
{
	json_t *m = json_object_get(p, "metrics");
	return json_integer_value(json_object_get(m, "n_obs")) == *(const long *)arg &&
	       json_object_get(json_object_get(p, "strategies"), "ensemble") != NULL;
}

/* A risk_alert raising `code` (arg) to CRITICAL; other alerts (e.g. the
 * volatility of one-second periods) may come before it. */
static int raises_critical(json_t *p, const void *arg)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(p, "alert_details"), i, d)
	{
		const char *code = json_string_value(json_object_get(d, "code"));
		const char *level = json_string_value(json_object_get(d, "level"));
		if (code && level && strcmp(code, arg) == 0 && strcmp(level, "CRITICAL") == 0)
			return 1;
	}
	return 0;
}

START_TEST(test_risk_officer_publishes_exact_state_and_critical_alert_from_original_wire_format)
{
	redisContext *c = harness_redis_sync(&srv);
	/* 21 snapshots one second apart: periods 1..19 close, giving 19 returns */
	long equity[21];
	double returns[19];
	for (int i = 0; i < 21; i++)
		equity[i] = 100000 + (long)(1500 * sin(0.9 * i)) - 40 * i;
	for (int i = 1; i < 20; i++)
		returns[i - 1] = (double)equity[i] / (double)equity[i - 1] - 1;
	for (int i = 0; i < 21; i++)
		snapshot(c, i, equity[i]);
	/* the original auto_executor's direct trade.closed entries */
	xadd(c, "trade.closed", "2026-01-05T10:00:21.000000", "pnl_percent", "-1.5", "model", "ensemble");
	xadd(c, "trade.closed", "2026-01-05T10:00:22.000000", "pnl_percent", "2.25", "model", "ensemble");

	long want_n = 19;
	json_t *st = stack_wait_payload(c, "t", "risk_state_update", n_obs_is, &want_n, 10000);
	ck_assert_msg(st != NULL, "no risk_state_update with 19 equity returns");
	struct risk_metrics m;
	const double conf[] = {0.95, 0.99};
	ck_assert_int_eq(risk_metrics_compute(returns, 19, conf, 2, 365.0 * 86400, 0.94, &m), 0);
	json_t *met = json_object_get(st, "metrics");
	ck_assert_str_eq(json_string_value(json_object_get(met, "source")), "equity_snapshots");
	json_t *hv = json_object_get(json_object_get(met, "var"), "historical");
	json_t *ge = json_object_get(json_object_get(met, "es"), "gaussian");
	ck_assert_double_eq_tol(json_real_value(json_object_get(hv, "0.95")), m.historical[0].var, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(hv, "0.99")), m.historical[1].var, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(ge, "0.99")), m.gaussian[1].es, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(st, "var_estimate")), m.historical[0].var, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(met, "max_drawdown")), m.max_drawdown, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(met, "equity")), (double)equity[20], 1e-9);
	ck_assert_double_eq_tol(json_real_value(json_object_get(met, "leverage")), 50000.0 / equity[20], 1e-12);
	ck_assert_int_eq(json_integer_value(json_object_get(met, "open_positions")), 2);
	json_t *ens = json_object_get(json_object_get(st, "strategies"), "ensemble");
	ck_assert_int_eq(json_integer_value(json_object_get(ens, "n_obs")), 2);
	ck_assert_double_eq_tol(json_real_value(json_object_get(ens, "mean_return")), 0, 1e-15); /* too few: 0 */
	double score = json_real_value(json_object_get(st, "risk_score"));
	ck_assert(score >= 0 && score <= 100);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "conventions"), "historical")),
			 "R quantile type 7; ES = mean of returns strictly below the VaR quantile");
	json_decref(st);

	/* a 7% fall within the day passes the NORMAL mode's 5% daily limit */
	snapshot(c, 21, (long)(equity[20] * 0.93));
	json_t *al = stack_wait_payload(c, "t", "risk_alert", raises_critical, "DAILY_DRAWDOWN", 10000);
	ck_assert_msg(al != NULL, "no risk_alert raising DAILY_DRAWDOWN to CRITICAL");
	/* the original's word in level, ours in alert_level */
	ck_assert_str_eq(json_string_value(json_object_get(al, "level")), "critical");
	ck_assert_str_eq(json_string_value(json_object_get(al, "alert_level")), "CRITICAL");
	int found = 0;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(al, "alert_details"), i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "code")), "DAILY_DRAWDOWN") != 0)
			continue;
		found = 1;
		ck_assert_str_eq(json_string_value(json_object_get(d, "level")), "CRITICAL");
		ck_assert_double_eq_tol(json_real_value(json_object_get(d, "threshold")), 0.05, 1e-12);
		ck_assert(json_real_value(json_object_get(d, "value")) >= 0.05);
	}
	ck_assert_msg(found, "DAILY_DRAWDOWN not among the alert details");
	ck_assert(json_is_true(json_object_get(al, "should_pause_trading")));
	json_decref(al);
	redisFree(c);
}
END_TEST

/* A state assessed once the event clock moved (the first comes at 0). */
static int assessed_after_1970(json_t *p, const void *arg)
{
	(void)arg;
	const char *ts = json_string_value(json_object_get(p, "assessment_timestamp"));
	return ts && strncmp(ts, "1970-", 5) != 0;
}

START_TEST(test_risk_officer_dead_letters_malformed_trade_with_reason)
{
	redisContext *c = harness_redis_sync(&srv);
	xadd(c, "trade.closed", "2026-01-05T10:00:01.000000", "pnl_percent", "abc", "model", "ensemble");
	xadd(c, "trade.closed", "2026-01-05T10:00:02.000000", "symbol", "BTCUSDT", "model", "ensemble");
	/* issue 18: dated far from the event clock, behind it or ahead of the host's */
	xadd(c, "trade.closed", "1970-01-01T00:00:00.000000", "pnl_percent", "1.5", "model", "ensemble");
	xadd(c, "trade.closed", "2099-01-01T00:00:00.000000", "pnl_percent", "1.5", "model", "ensemble");
	redisReply *r = NULL;
	for (int i = 0; i < 200; i++) {
		freeReplyObject(r);
		r = redisCommand(c, "XRANGE t:dlq:trade.closed - +");
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 4)
			break;
		usleep(50000);
	}
	ck_assert_int_eq(r->elements, 4);
	ck_assert_str_eq(r->element[0]->element[1]->element[1]->str, "malformed: pnl_percent: not a number");
	ck_assert_str_eq(r->element[1]->element[1]->element[1]->str,
			 "malformed: no pnl_percent, pnl_pct or realized_pnl_pct field");
	ck_assert_str_eq(r->element[2]->element[1]->element[1]->str,
			 "malformed: stamped 1970-01-01T00:00:00, older than the window (2592000 s) at "
			 "2026-01-05T10:00:02");
	ck_assert_msg(strstr(r->element[3]->element[1]->element[1]->str, "stamped 2099-01-01T00:00:00.000000, ") &&
			      strstr(r->element[3]->element[1]->element[1]->str,
				     " s ahead of this host's clock (at most 300 s: ORCH_EVENT_MAX_FUTURE_S)"),
		      "%s",
		      r->element[3]->element[1]->element[1]->str);
	freeReplyObject(r);
	/* the event clock did not jump to 2099: a trade of the day still counts */
	xadd(c, "trade.closed", "2026-01-05T10:00:03.000000", "pnl_percent", "1.5", "model", "ensemble");
	json_t *st = stack_wait_payload(c, "t", "risk_state_update", assessed_after_1970, NULL, 5000);
	ck_assert_ptr_nonnull(st);
	ck_assert_msg(
		!strncmp(json_string_value(json_object_get(st, "assessment_timestamp")), "2026-01-05T10:00:0", 18),
		"%s",
		json_string_value(json_object_get(st, "assessment_timestamp")));
	json_decref(st);
	/* both ACKed: nothing left pending for the Risk Officer's group */
	r = redisCommand(c, "XPENDING t:stream:trade.closed t:group:risk_officer:trade.closed");
	ck_assert_int_eq(r->element[0]->integer, 0);
	freeReplyObject(r);
	/* and SIGTERM ends the service cleanly */
	kill(ro_pid, SIGTERM);
	int status;
	ck_assert_int_eq(waitpid(ro_pid, &status, 0), ro_pid);
	ro_pid = 0;
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	redisFree(c);
}
END_TEST

static void lease_holder(redisContext *c, char *buf, size_t len)
{
	char *v = stack_get(c, "t:lease:risk_officer");
	snprintf(buf, len, "%s", v ? v : "");
	free(v);
}

START_TEST(test_risk_officer_standby_takes_over_with_the_same_numbers)
{
	redisContext *c = harness_redis_sync(&srv);
	char holder[128];
	for (int i = 0; i < 100; i++) {
		lease_holder(c, holder, sizeof(holder));
		if (holder[0])
			break;
		usleep(50000);
	}
	ck_assert_msg(strncmp(holder, "ro-test|", 8) == 0, "lease held by '%s'", holder);
	int port_b = harness_free_port();
	pid_t b = spawn_risk_officer("ro-b", port_b);
	long equity[26];
	double returns[24];
	for (int i = 0; i < 26; i++)
		equity[i] = 100000 + (long)(2500 * sin(0.7 * i)) + 30 * i;
	for (int i = 1; i < 25; i++)
		returns[i - 1] = (double)equity[i] / (double)equity[i - 1] - 1;
	for (int i = 0; i < 21; i++)
		snapshot(c, i, equity[i]);
	xadd(c, "trade.closed", "2026-01-05T10:00:20.500000", "pnl_percent", "0.5", "model", "ensemble");
	long want_n = 19;
	json_t *st = stack_wait_payload(c, "t", "risk_state_update", n_obs_is, &want_n, 10000);
	ck_assert_msg(st != NULL, "the active replica published no state with 19 returns");
	json_decref(st);
	lease_holder(c, holder, sizeof(holder));
	ck_assert_msg(strncmp(holder, "ro-test|", 8) == 0, "lease held by '%s'", holder);
	/* the standby applies nothing while the active one runs */
	ck_assert_double_eq(stack_metric(port_b, "orch_risk_rebuilt_inputs_total"), 0);

	/* kill the active replica; five more snapshots arrive while nobody
	 * is active: the standby's rebuild applies them, and their group
	 * deliveries must then be recognised, not applied a second time */
	kill(ro_pid, SIGKILL);
	waitpid(ro_pid, NULL, 0);
	ro_pid = 0;
	for (int i = 21; i < 26; i++)
		snapshot(c, i, equity[i]);
	want_n = 24;
	st = stack_wait_payload(c, "t", "risk_state_update", n_obs_is, &want_n, 10000);
	ck_assert_msg(st != NULL, "the standby published no state with 24 returns after taking over");
	lease_holder(c, holder, sizeof(holder));
	ck_assert_msg(strncmp(holder, "ro-b|", 5) == 0, "lease held by '%s'", holder);
	struct risk_metrics m;
	const double conf[] = {0.95, 0.99};
	ck_assert_int_eq(risk_metrics_compute(returns, 24, conf, 2, 365.0 * 86400, 0.94, &m), 0);
	json_t *met = json_object_get(st, "metrics");
	json_t *hv = json_object_get(json_object_get(met, "var"), "historical");
	json_t *me = json_object_get(json_object_get(met, "es"), "modified");
	ck_assert_double_eq_tol(json_real_value(json_object_get(hv, "0.95")), m.historical[0].var, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(me, "0.99")), m.modified[1].es, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(met, "max_drawdown")), m.max_drawdown, 1e-12);
	ck_assert_double_eq_tol(json_real_value(json_object_get(met, "ewma_volatility_annualized")),
				m.ewma_volatility * sqrt(365.0 * 86400),
				1e-9);
	json_t *ens = json_object_get(json_object_get(st, "strategies"), "ensemble");
	ck_assert_int_eq(json_integer_value(json_object_get(ens, "n_obs")), 1);
	json_decref(st);
	/* 26 snapshots and the trade rebuilt; the 5 late snapshots came
	 * through the group too and were ACKed as already applied */
	ck_assert_double_eq(stack_metric(port_b, "orch_risk_rebuilt_inputs_total"), 27);
	ck_assert_double_eq(stack_metric(port_b, "orch_risk_covered_deliveries_total"), 5);
	/* and /metrics carries every method's figures */
	ck_assert_double_eq_tol(stack_metric(port_b, "orch_risk_var{method=\"modified\",confidence=\"0.95\"}"),
				m.modified[0].var,
				1e-12);
	ck_assert_double_eq_tol(
		stack_metric(port_b, "orch_risk_es{method=\"gaussian\",confidence=\"0.99\"}"), m.gaussian[1].es, 1e-12);
	/* ACKs go out in batches just after the handlers ran */
	long long pending = -1;
	for (int i = 0; i < 100 && pending != 0; i++) {
		redisReply *r = redisCommand(c,
					     "XPENDING t:stream:portfolio.snapshot_updated "
					     "t:group:risk_officer:portfolio.snapshot_updated");
		pending = r && r->type == REDIS_REPLY_ARRAY ? r->element[0]->integer : -1;
		freeReplyObject(r);
		if (pending != 0)
			usleep(50000);
	}
	ck_assert_int_eq(pending, 0);
	kill(b, SIGTERM);
	int status;
	ck_assert_int_eq(waitpid(b, &status, 0), b);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	redisFree(c);
}
END_TEST

/* Issue 18: with Redis frozen past the lease ttl the Risk Officer used to
 * lose its lease and exit, and without a supervisor (make demo, a bare
 * host) it stayed down. It now steps down to standby in the same process,
 * takes the lease again when Redis is back, and rebuilds its windows from
 * the streams without counting anything twice. */
START_TEST(test_risk_officer_stays_up_when_it_loses_its_lease_issue_18)
{
	kill(ro_pid, SIGKILL);
	waitpid(ro_pid, NULL, 0);
	int port = harness_free_port();
	ro_pid = spawn_risk_officer("ro-c", port);
	redisContext *c = harness_redis_sync(&srv);
	for (int i = 0; i < 11; i++)
		snapshot(c, i, 100000 + 100 * i * (i % 3 == 0 ? -1 : 1));
	xadd(c, "trade.closed", "2026-01-05T10:00:10.500000", "pnl_percent", "0.5", "model", "ensemble");
	long want_n = 9;
	json_t *st = stack_wait_payload(c, "t", "risk_state_update", n_obs_is, &want_n, 10000);
	ck_assert_msg(st != NULL, "no state with 9 returns before the freeze");
	json_decref(st);
	redisFree(c);
	/* Redis frozen for three lease ttls */
	kill(srv.pid, SIGSTOP);
	usleep(3200000);
	kill(srv.pid, SIGCONT);
	ck_assert_msg(waitpid(ro_pid, NULL, WNOHANG) == 0, "the Risk Officer exited when it lost its lease");
	double step_downs = -1;
	for (int i = 0; i < 100 && step_downs < 1; i++) {
		usleep(100000);
		step_downs = stack_metric(port, "orch_replica_step_downs_total{role=\"risk_officer\"}");
	}
	ck_assert_msg(step_downs >= 1, "no step-down counted (%g)", step_downs);
	/* it leads again, rebuilt: the same 9 returns, the trade once */
	c = harness_redis_sync(&srv);
	freeReplyObject(redisCommand(c, "DEL t:stream:risk_state_update"));
	snapshot(c, 11, 100900);
	want_n = 10;
	st = stack_wait_payload(c, "t", "risk_state_update", n_obs_is, &want_n, 15000);
	ck_assert_msg(st != NULL, "no state with 10 returns after leading again");
	json_t *ens = json_object_get(json_object_get(st, "strategies"), "ensemble");
	ck_assert_int_eq(json_integer_value(json_object_get(ens, "n_obs")), 1);
	json_decref(st);
	char *holder = stack_get(c, "t:lease:risk_officer");
	ck_assert_msg(holder && strncmp(holder, "ro-c|", 5) == 0, "lease held by '%s'", holder ? holder : "");
	free(holder);
	ck_assert_int_eq(waitpid(ro_pid, NULL, WNOHANG), 0);
	redisFree(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("risk_officer");
	TCase *tc = tcase_create("service");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_risk_officer_publishes_exact_state_and_critical_alert_from_original_wire_format);
	tcase_add_test(tc, test_risk_officer_dead_letters_malformed_trade_with_reason);
	tcase_add_test(tc, test_risk_officer_standby_takes_over_with_the_same_numbers);
	tcase_add_test(tc, test_risk_officer_stays_up_when_it_loses_its_lease_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
