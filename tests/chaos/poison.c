/*
 * poison.c - `make chaos`: poison inputs on the bus of a running layer
 * (issue 18, findings 3 and 4 and the smaller items). Each must be
 * dead-lettered by every service that reads it, with a reason, and
 * counted; Python's bare NaN/Infinity is read as a missing value, not
 * refused; afterwards every service still publishes: a normal trade moves
 * the Risk and Strategy Officers' states and force-decision answers with
 * a real decision.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "chaos.h"
#include "clock.h"
#include "json_util.h"
#include "stack.h"

static struct chaos_stack s;

/* The dead-letter count of `type` on a service's /metrics (-1: none). */
static double dead_lettered(int svc, const char *type)
{
	char name[128];
	snprintf(name, sizeof(name), "orch_bus_dead_lettered_total{event_type=\"%s\"}", type);
	return stack_metric(s.admin[svc], name);
}

/* XADDs a flat entry of `type` and checks that each of the n services
 * svcs dead-lettered it once, with a reason, and counted it. */
static void expect_dead_lettered(const char *attack, const char *type, const char *const *fields, const int *svcs,
				 int n, char *id, size_t idlen)
{
	double before[CHAOS_N_SVC];
	for (int k = 0; k < n; k++)
		before[k] = dead_lettered(svcs[k], type);
	if (chaos_xadd(s.c, type, fields, id, idlen) != 0) {
		chaos_check(attack, 0, NULL, "XADD refused");
		return;
	}
	char groups[256], reason[160], counted[160] = "";
	int got = chaos_dead_letters(s.c, type, id, n, 5000, groups, sizeof(groups), reason, sizeof(reason));
	int ok = got == n && reason[0];
	for (int k = 0; k < n; k++) {
		double d = dead_lettered(svcs[k], type) - before[k];
		size_t used = strlen(counted);
		snprintf(counted + used,
			 sizeof(counted) - used,
			 "%s%s +%.0f",
			 k ? ", " : "",
			 chaos_svc_names[svcs[k]],
			 d);
		ok &= d == 1;
	}
	chaos_check(attack,
		    ok,
		    NULL,
		    "%d of %d dead letters (%s): \"%s\"; orch_bus_dead_lettered_total %s",
		    got,
		    n,
		    groups,
		    reason,
		    counted);
}

static int has_strategy(json_t *p, const void *name)
{
	json_t *strategies = json_object_get(p, "strategies");
	if (strategies)
		return json_object_get(strategies, name) != NULL;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(p, "ranking"), i, e)
	{
		const char *n = json_string_value(json_object_get(e, "strategy"));
		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

/* A closed trade of `strategy` as quantum_trader's executors write it. */
static int trade(const char *strategy, const char *pnl, const char *ts)
{
	char now[40];
	json_util_format_ts_us(clock_wall_ms() * 1000, now, sizeof(now));
	const char *f[] = {"symbol",
			   "BTCUSDT",
			   "side",
			   "BUY",
			   "pnl_percent",
			   pnl,
			   "strategy",
			   strategy,
			   "timestamp",
			   ts ? ts : now,
			   NULL};
	return chaos_xadd(s.c, "trade.closed", f, NULL, 0);
}

static void poison_trades(void)
{
	const int officers[] = {CHAOS_RISK, CHAOS_STRATEGY};
	char id[64], now[40];
	json_util_format_ts_us(clock_wall_ms() * 1000, now, sizeof(now));
	/* used to be accepted: its square overflowed the window's sums, jansson
	 * refused to encode the infinity, and the Risk Officer published no state
	 * until the trade left its window ("out of memory" in the log) */
	const char *huge[] = {"symbol",
			      "BTCUSDT",
			      "side",
			      "BUY",
			      "pnl_percent",
			      "1e200",
			      "strategy",
			      "chaos",
			      "timestamp",
			      now,
			      NULL};
	expect_dead_lettered("trade.closed, pnl_percent 1e200", "trade.closed", huge, officers, 2, id, sizeof(id));
	/* used to be read by strtod as a 16 % return */
	const char *hex[] = {
		"symbol", "BTCUSDT", "side", "BUY", "pnl_percent", "0x10", "strategy", "chaos", "timestamp", now, NULL};
	expect_dead_lettered("trade.closed, pnl_percent \"0x10\"", "trade.closed", hex, officers, 2, id, sizeof(id));
	/* used to pass validation; once primary, its name could not be encoded
	 * and strategy_state_update was never published again */
	const char *name[] = {"symbol",
			      "BTCUSDT",
			      "side",
			      "BUY",
			      "pnl_percent",
			      "0.5",
			      "strategy",
			      "s\xfe\xff-1",
			      "timestamp",
			      now,
			      NULL};
	expect_dead_lettered(
		"trade.closed flat entry, strategy name not UTF-8", "trade.closed", name, officers, 2, id, sizeof(id));
	/* used to be kept: it pinned the strategy's recency and made the
	 * event-age metric negative */
	const char *future[] = {"symbol",
				"BTCUSDT",
				"side",
				"BUY",
				"pnl_percent",
				"0.5",
				"strategy",
				"chaos",
				"timestamp",
				"2099-01-01T00:00:00.000000",
				NULL};
	expect_dead_lettered("trade.closed dated 2099", "trade.closed", future, officers, 2, id, sizeof(id));
}

static void poison_regime_and_command(void)
{
	char id[64], mode[32], mode_after[32], last_switch[64];
	const int readers[] = {CHAOS_CEO, CHAOS_STRATEGY};
	/* used to pass validation: the CEO could not encode its decision and
	 * never built ceo_decision again; force-decision answered 200 with {} */
	const char *regime[] = {"regime", "BU\xffLL", "confidence", "0.7", NULL};
	expect_dead_lettered(
		"meta.regime flat entry, regime name not UTF-8", "meta.regime", regime, readers, 2, id, sizeof(id));
	/* used to change the policy with no ceo_mode_switch and no
	 * ceo_mode_history entry: a mode change without an audit trail */
	long long version, version_after;
	chaos_policy_mode(s.c, mode, sizeof(mode), &version);
	chaos_last_id(s.c, "ceo_mode_switch", last_switch, sizeof(last_switch));
	const int ceo[] = {CHAOS_CEO};
	const char *command[] = {"request_id",
				 "chaos-utf8",
				 "action",
				 "set_mode",
				 "mode",
				 "DEFENSIVE",
				 "reason",
				 "chaos",
				 "operator",
				 "m\xffllory",
				 NULL};
	expect_dead_lettered(
		"ceo_command flat entry, operator name not UTF-8", "ceo_command", command, ceo, 1, id, sizeof(id));
	chaos_policy_mode(s.c, mode_after, sizeof(mode_after), &version_after);
	json_t *sw = stack_wait_payload_after(s.c, "t", "ceo_mode_switch", last_switch, NULL, NULL, 500);
	chaos_check("ceo_command flat entry, operator name not UTF-8",
		    !strcmp(mode, mode_after) && !sw,
		    NULL,
		    "policy %s (version %lld) before, %s (version %lld) after; %s",
		    mode,
		    version,
		    mode_after,
		    version_after,
		    sw ? "a ceo_mode_switch was published" : "no ceo_mode_switch");
	json_decref(sw);
}

/* Python's json.dumps writes NaN and Infinity bare; the CEO and the
 * federation read them as missing values. Used to be refused whole (not
 * JSON) and dead-lettered: an original producer's state lost. */
static void python_nan(void)
{
	const char *attack = "risk_state_update with Python's bare NaN/Infinity";
	const char *type = "risk_state_update", *handled = "orch_bus_handled_total{event_type=\"risk_state_update\"}";
	double ceo0 = stack_metric(s.admin[CHAOS_CEO], handled),
	       fed0 = stack_metric(s.admin[CHAOS_FEDERATION], handled);
	char id[64], groups[128], reason[160];
	chaos_publish(s.c,
		      type,
		      "{\"risk_score\": 20, \"risk_level\": \"low\", \"var_estimate\": NaN, \"expected_shortfall\": "
		      "Infinity, \"metrics\": {\"daily_drawdown\": NaN, \"var_95\": -Infinity}}",
		      id,
		      sizeof(id));
	int past =
		chaos_group_past(s.c, type, "ceo-", id, 5000) && chaos_group_past(s.c, type, "federation-", id, 5000);
	int dead = chaos_dead_letters(s.c, type, id, 1, 0, groups, sizeof(groups), reason, sizeof(reason));
	double ceo = stack_metric(s.admin[CHAOS_CEO], handled) - ceo0;
	double fed = stack_metric(s.admin[CHAOS_FEDERATION], handled) - fed0;
	chaos_check(attack,
		    past && !dead && ceo >= 1 && fed >= 1,
		    NULL,
		    "read by ceo and federation: %s; handled ceo +%.0f, federation +%.0f; %d dead letters %s",
		    past ? "yes" : "no",
		    ceo,
		    fed,
		    dead,
		    reason);
	int status;
	json_t *gs = chaos_api_get(&s, "/api/orchestration/global-state", &status);
	chaos_check(attack,
		    status == 200 && gs,
		    NULL,
		    "global-state afterwards: %d, %s",
		    status,
		    gs ? "strict JSON (no NaN, no infinity)" : "not JSON");
	json_decref(gs);
}

/* After every poison: each service still publishes. */
static void still_publishing(const char *ceo_before)
{
	char risk_before[64], strat_before[64];
	chaos_last_id(s.c, "risk_state_update", risk_before, sizeof(risk_before));
	chaos_last_id(s.c, "strategy_state_update", strat_before, sizeof(strat_before));
	trade("chaos-after", "0.5", NULL);
	json_t *r = stack_wait_payload_after(
		s.c, "t", "risk_state_update", risk_before, has_strategy, "chaos-after", 10000);
	chaos_check("a normal trade after the poisons",
		    r != NULL,
		    NULL,
		    r ? "a new risk_state_update holds it" : "no risk_state_update holds it within 10 s");
	json_t *st = stack_wait_payload_after(
		s.c, "t", "strategy_state_update", strat_before, has_strategy, "chaos-after", 10000);
	chaos_check("a normal trade after the poisons",
		    st != NULL,
		    NULL,
		    st ? "a new strategy_state_update ranks it" : "no strategy_state_update ranks it within 10 s");
	json_decref(r);
	json_decref(st);
	char mode[32];
	int status = chaos_force_decision(&s, mode, sizeof(mode));
	json_t *dec = stack_wait_payload_after(s.c, "t", "ceo_decision", ceo_before, NULL, NULL, 5000);
	chaos_check("force-decision after the poisons",
		    status == 200 && mode[0] && dec,
		    NULL,
		    "%d with operating_mode %s; %s",
		    status,
		    mode[0] ? mode : "(none)",
		    dec ? "a new ceo_decision published" : "no new ceo_decision");
	json_decref(dec);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (chaos_begin(&s, "poison: the layer", NULL, NULL) != 0)
		return 1;
	char ceo_before[64], risk_before[64];
	chaos_last_id(s.c, "risk_state_update", risk_before, sizeof(risk_before));
	trade("chaos-warmup", "0.2", NULL);
	json_t *w = stack_wait_payload_after(
		s.c, "t", "risk_state_update", risk_before, has_strategy, "chaos-warmup", 10000);
	chaos_check("poison: the layer",
		    w != NULL,
		    NULL,
		    w ? "a trade reaches the Risk Officer's state" : "no risk_state_update within 10 s");
	json_decref(w);
	chaos_last_id(s.c, "ceo_decision", ceo_before, sizeof(ceo_before));

	poison_trades();
	poison_regime_and_command();
	python_nan();
	still_publishing(ceo_before);

	return chaos_end(&s, "poison: the layer");
}
