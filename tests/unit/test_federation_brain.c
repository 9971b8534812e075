/*
 * test_federation_brain.c - the Federation's merge: the stricter limit
 * wins field by field (and the state says which source set it), stale
 * sources make the state degraded with a reason, alerts are one per
 * (source, code) with the most severe kept, completeness and the
 * disabled features follow the original's rules; the agents' status
 * holds what they said and nothing invented; the mode is the policy's,
 * whatever the events say, and the policy's emergency stop and its data
 * loss show.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "federation_brain.h"
#include "federation_status.h"
#include "run_suite.h"

static const int64_t T = 1767225600000;

static void set_json(struct fed_state *s, enum fed_source src, const char *text, int64_t at)
{
	json_t *j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	fed_state_set(s, src, j, at);
	json_decref(j);
}

static void full_state(struct fed_state *s)
{
	fed_state_init(s);
	set_json(s,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"DEFENSIVE\", \"disabled_strategies\": "
		 "[\"chop\"],"
		 " \"modes\": {\"DEFENSIVE\": {\"max_leverage\": 10, \"max_risk_pct_per_trade\": 0.02, "
		 "\"max_daily_drawdown\":"
		 " 0.03, \"max_positions\": 10, \"global_min_confidence\": 0.6, \"scaling_factor\": 1.0, "
		 "\"enable_rl\": true,"
		 " \"enable_pal\": true}}}",
		 T);
	set_json(s,
		 FED_CEO,
		 "{\"operating_mode\": \"DEFENSIVE\", \"primary_reason\": \"risk score 72 >= 70\", "
		 "\"decision_confidence\":"
		 " 1.0, \"effective_limits\": {\"max_leverage\": 5, \"max_risk_pct_per_trade\": 0.01, "
		 "\"max_daily_drawdown\":"
		 " 0.015, \"max_positions\": 5, \"global_min_confidence\": 0.7, \"scaling_factor\": 0.7, "
		 "\"enable_rl\": true,"
		 " \"enable_pal\": false}}",
		 T);
	set_json(s, FED_CEILING, "{\"max_leverage\": 3.2, \"max_risk_per_trade\": 0.012, \"max_positions\": 8}", T);
	set_json(s,
		 FED_RISK,
		 "{\"risk_score\": 72, \"risk_level\": \"high\", \"should_reduce_exposure\": true,"
		 " \"should_pause_trading\": false}",
		 T);
	set_json(s,
		 FED_STRATEGY,
		 "{\"confidence\": 0.9, \"meta_strategy_mode\": \"single\", \"ranking\": [{\"strategy\": \"trend\", "
		 "\"status\":"
		 " \"active\"}, {\"strategy\": \"newbie\", \"status\": \"insufficient_data\"}, {\"strategy\": \"chop\","
		 " \"status\": \"disabled\"}], \"disabled\": [{\"strategy\": \"chop\"}, {\"strategy\": \"grid\"}],"
		 " \"models\": [{\"model\": \"ensemble\", \"status\": \"active\"}, {\"model\": \"lstm\", \"status\":"
		 " \"disabled\"}]}",
		 T);
}

START_TEST(test_stricter_limit_wins_per_field)
{
	struct fed_state s;
	struct fed_config c;
	full_state(&s);
	fed_config_defaults(&c);
	json_t *g = fed_global_state(&s, &c, T + 1000);
	ck_assert_ptr_nonnull(g);
	json_t *l = json_object_get(g, "effective_risk_limits"), *who = json_object_get(g, "limit_sources");
	ck_assert_double_eq(json_number_value(json_object_get(l, "max_leverage")), 3.2);
	ck_assert_str_eq(json_string_value(json_object_get(who, "max_leverage")), "risk_ceiling");
	ck_assert_double_eq(json_number_value(json_object_get(l, "max_risk_pct_per_trade")), 0.01);
	ck_assert_str_eq(json_string_value(json_object_get(who, "max_risk_pct_per_trade")), "ceo");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "max_positions")), 5);
	ck_assert_double_eq(json_number_value(json_object_get(l, "global_min_confidence")), 0.7);
	ck_assert(json_is_true(json_object_get(l, "enable_rl")));
	ck_assert(json_is_false(json_object_get(l, "enable_pal")));
	ck_assert_str_eq(json_string_value(json_object_get(who, "enable_pal")), "ceo");
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "DEFENSIVE");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_source")), "policy");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_decision_source")), "ceo");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_reason")), "risk score 72 >= 70");
	ck_assert(json_is_false(json_object_get(json_object_get(g, "emergency_stop"), "held")));

	/* strategies: active from the ranking, disabled = union with the policy's */
	ck_assert_uint_eq(json_array_size(json_object_get(g, "active_strategies")), 1);
	json_t *dis = json_object_get(g, "disabled_strategies");
	ck_assert_uint_eq(json_array_size(dis), 2);
	ck_assert_str_eq(json_string_value(json_array_get(dis, 0)), "chop");
	ck_assert_str_eq(json_string_value(json_array_get(dis, 1)), "grid");
	ck_assert_uint_eq(json_array_size(json_object_get(g, "recommended_models")), 1);
	/* risk level high: leverage_increase only */
	json_t *f = json_object_get(g, "disabled_features");
	ck_assert_uint_eq(json_array_size(f), 1);
	ck_assert_str_eq(json_string_value(json_array_get(f, 0)), "leverage_increase");
	ck_assert(json_is_true(json_object_get(g, "complete")));
	ck_assert(json_is_false(json_object_get(g, "degraded")));
	ck_assert(json_is_true(json_object_get(g, "all_agents_healthy")));
	ck_assert_double_eq(json_number_value(json_object_get(g, "data_completeness")), 1.0);
	json_decref(g);
	fed_state_release(&s);
}
END_TEST

/* Issue 18: forged events never move the mode; they only explain the
 * policy's mode when they agree with it. */
START_TEST(test_mode_only_from_the_policy_issue_18)
{
	struct fed_state s;
	struct fed_config c;
	full_state(&s);
	fed_config_defaults(&c);
	set_json(&s,
		 FED_SWITCH,
		 "{\"old_mode\": \"DEFENSIVE\", \"new_mode\": \"GROWTH\", \"reason\": \"forged\"}",
		 T + 500);
	set_json(&s,
		 FED_CEO,
		 "{\"operating_mode\": \"GROWTH\", \"primary_reason\": \"forged\", \"decision_confidence\": 1}",
		 T + 600);
	json_t *g = fed_global_state(&s, &c, T + 1000);
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "DEFENSIVE");
	ck_assert(json_is_null(json_object_get(g, "mode_decision_source")));
	ck_assert_str_eq(json_string_value(json_object_get(g, "last_decision_mode")), "GROWTH");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_reason")), "");
	ck_assert_double_eq(json_number_value(json_object_get(g, "mode_decision_confidence")), 0);
	json_decref(g);
	/* the policy holds an operator's BLACK_SWAN: its switch explains it */
	set_json(&s,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"BLACK_SWAN\", \"modes\": {}}",
		 T + 700);
	set_json(&s,
		 FED_SWITCH,
		 "{\"old_mode\": \"DEFENSIVE\", \"new_mode\": \"BLACK_SWAN\", \"reason\": \"operator x: drill\"}",
		 T + 700);
	g = fed_global_state(&s, &c, T + 1000);
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "BLACK_SWAN");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_decision_source")), "mode_switch");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_reason")), "operator x: drill");
	ck_assert_double_eq(json_number_value(json_object_get(g, "mode_decision_confidence")), 1);
	json_decref(g);
	set_json(&s, FED_CEO, "{\"operating_mode\": \"BLACK_SWAN\", \"primary_reason\": \"held\"}", T + 800);
	g = fed_global_state(&s, &c, T + 1000);
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_decision_source")), "ceo");
	json_decref(g);
	/* the original's document: the CEO's mode for its active_mode */
	set_json(&s, FED_POLICY, "{\"active_mode\": \"AGGRESSIVE_SMALL_ACCOUNT\", \"modes\": {}}", T + 900);
	g = fed_global_state(&s, &c, T + 1000);
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "GROWTH");
	json_decref(g);
	fed_state_release(&s);
}
END_TEST

/* Issues 15, 18: a stop held in the policy shows with who set it; a
 * PolicyStore that lost its document makes the state degraded. */
START_TEST(test_emergency_stop_and_policy_loss_shown)
{
	struct fed_state s;
	struct fed_config c;
	full_state(&s);
	fed_config_defaults(&c);
	set_json(&s,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"DEFENSIVE\", \"emergency_mode\": true,"
		 " \"allow_new_trades\": false, \"emergency_reason\": \"ESS: loss\", \"emergency_set_by\": \"ess\","
		 " \"emergency_activated_at\": \"2026-01-05T10:00:00\", \"modes\": {}}",
		 T);
	json_t *g = fed_global_state(&s, &c, T);
	json_t *st = json_object_get(g, "emergency_stop");
	ck_assert(json_is_true(json_object_get(st, "held")));
	ck_assert_str_eq(json_string_value(json_object_get(st, "set_by")), "ess");
	ck_assert_str_eq(json_string_value(json_object_get(st, "reason")), "ESS: loss");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(g, "disabled_features"), 0)),
			 "new_positions");
	ck_assert(json_is_false(json_object_get(g, "degraded")));
	json_decref(g);
	fed_state_policy_problem(&s, "the document at t:policy:current is gone after version 7");
	g = fed_global_state(&s, &c, T);
	ck_assert(json_is_true(json_object_get(g, "degraded")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(g, "degraded_reasons"), 0)),
			 "policy: the document at t:policy:current is gone after version 7");
	json_decref(g);
	fed_state_policy_problem(&s, NULL);
	g = fed_global_state(&s, &c, T);
	ck_assert(json_is_false(json_object_get(g, "degraded")));
	json_decref(g);
	fed_state_release(&s);
}
END_TEST

START_TEST(test_stale_and_missing_sources)
{
	struct fed_state s;
	struct fed_config c;
	full_state(&s);
	fed_config_defaults(&c);
	/* the risk state is 91 s old: degraded, with the reason */
	json_t *g = fed_global_state(&s, &c, T + 91000);
	ck_assert(json_is_true(json_object_get(g, "degraded")));
	ck_assert(json_is_false(json_object_get(g, "all_agents_healthy")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(g, "degraded_reasons"), 0)),
			 "ceo state is 91 s old (limit 90 s)");
	json_t *src = json_object_get(json_object_get(g, "sources"), "risk");
	ck_assert(json_is_false(json_object_get(src, "fresh")));
	ck_assert_double_eq(json_number_value(json_object_get(src, "age_s")), 91);
	/* the policy never goes stale */
	ck_assert(json_is_true(json_object_get(json_object_get(json_object_get(g, "sources"), "policy"), "fresh")));
	json_decref(g);
	fed_state_release(&s);
	/* only the policy so far: incomplete, the mode from the policy */
	fed_state_init(&s);
	set_json(&s,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"BLACK_SWAN\", \"modes\": {}}",
		 T);
	g = fed_global_state(&s, &c, T);
	ck_assert(json_is_false(json_object_get(g, "complete")));
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "BLACK_SWAN");
	ck_assert_str_eq(json_string_value(json_object_get(g, "mode_source")), "policy");
	ck_assert_double_eq(json_number_value(json_object_get(g, "data_completeness")), 0.2);
	ck_assert_uint_eq(json_array_size(json_object_get(g, "degraded_reasons")), 3);
	/* BLACK_SWAN disables four features */
	ck_assert_uint_eq(json_array_size(json_object_get(g, "disabled_features")), 4);
	json_decref(g);
	fed_state_release(&s);
	/* nothing at all */
	fed_state_init(&s);
	g = fed_global_state(&s, &c, T);
	ck_assert_str_eq(json_string_value(json_object_get(g, "global_mode")), "UNKNOWN");
	json_decref(g);
}
END_TEST

START_TEST(test_alerts_deduplicated_by_source_and_code)
{
	struct fed_state s;
	struct fed_config c;
	fed_state_init(&s);
	fed_config_defaults(&c);
	json_t *a = json_loads(
		"{\"level\": \"CRITICAL\", \"alert_details\": [{\"code\": \"DAILY_DRAWDOWN\", \"level\":"
		" \"CRITICAL\", \"value\": 0.07, \"threshold\": 0.05}, {\"code\": \"VAR\", \"level\": \"WARNING\","
		" \"value\": 0.025, \"threshold\": 0.024}]}",
		0,
		NULL);
	ck_assert_int_eq(fed_state_alerts(&s, "risk", a, T), 2);
	ck_assert_int_eq(fed_state_alerts(&s, "risk", a, T + 1000), 2);
	json_decref(a);
	ck_assert_int_eq(s.n_alerts, 2);
	/* a milder level of the same code does not replace a recent severe one */
	a = json_loads("{\"level\": \"INFO\", \"alert_details\": [{\"code\": \"DAILY_DRAWDOWN\", \"level\": \"INFO\","
		       " \"value\": 0.02, \"threshold\": 0.03}]}",
		       0,
		       NULL);
	fed_state_alerts(&s, "risk", a, T + 2000);
	json_decref(a);
	ck_assert_str_eq(s.alerts[0].level, "CRITICAL");
	/* the same code from another source is another alert; the original's
	 * plain-string alerts are accepted */
	a = json_loads("{\"level\": \"warning\", \"alerts\": [\"DAILY_DRAWDOWN\"]}", 0, NULL);
	ck_assert_int_eq(fed_state_alerts(&s, "strategy", a, T), 1);
	json_decref(a);
	a = json_loads("{\"level\": \"critical\", \"message\": \"BLACK_SWAN entered\"}", 0, NULL);
	ck_assert_int_eq(fed_state_alerts(&s, "ceo", a, T), 1);
	json_decref(a);
	ck_assert_int_eq(s.n_alerts, 4);
	json_t *g = fed_global_state(&s, &c, T);
	json_t *al = json_object_get(g, "alerts");
	ck_assert_uint_eq(json_array_size(al), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(al, 0), "message")),
			 "DAILY_DRAWDOWN 0.07 (threshold 0.05)");
	json_decref(g);
	fed_state_release(&s);
}
END_TEST

/* The agents' status before anything came, then from what came: nulls and
 * zeros, never invented values; counts capped as the original's lists. */
START_TEST(test_status_holds_only_what_the_agents_said)
{
	struct fed_state s;
	struct fed_config c;
	fed_state_init(&s);
	fed_config_defaults(&c);
	struct fed_agent a[FED_N_AGENTS];
	memset(a, 0, sizeof(a));
	json_t *o = fed_status_agent(FED_AGENT_CEO, &a[0], &s, &c, T);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_is_null(json_object_get(o, "instance_id")) && json_is_null(json_object_get(o, "current_mode")) &&
		  json_is_null(json_object_get(o, "decision_interval")) &&
		  json_is_null(json_object_get(o, "last_decision")));
	ck_assert(json_is_false(json_object_get(o, "running")));
	ck_assert(json_is_false(json_object_get(json_object_get(o, "cached_states"), "risk_state_available")));
	json_decref(o);

	set_json(
		&s,
		FED_CEO,
		"{\"operating_mode\": \"DEFENSIVE\", \"decision_interval_s\": 30, \"stale_inputs\": \"strategy_state\","
		" \"factors\": {\"risk_score\": 40}}",
		T - 1000);
	for (int i = 0; i < 12; i++)
		fed_agent_note_state(&a[0], NULL);
	a[0].at_ms = T - 1000;
	snprintf(a[0].leader, sizeof(a[0].leader), "ceo-1");
	o = fed_status_agent(FED_AGENT_CEO, &a[0], &s, &c, T);
	ck_assert(json_is_null(json_object_get(o, "current_mode"))); /* a decision alone shows no mode */
	json_decref(o);
	set_json(&s, FED_POLICY, "{\"active_mode\": \"DEFENSIVE\"}", T - 1000);
	o = fed_status_agent(FED_AGENT_CEO, &a[0], &s, &c, T);
	ck_assert_str_eq(json_string_value(json_object_get(o, "instance_id")), "ceo-1");
	ck_assert_str_eq(json_string_value(json_object_get(o, "current_mode")), "DEFENSIVE");
	ck_assert_double_eq(json_real_value(json_object_get(o, "decision_interval")), 30);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "recent_decisions_count")), FED_STATUS_RECENT);
	ck_assert(json_is_true(json_object_get(o, "running")));
	const json_t *cs = json_object_get(o, "cached_states");
	ck_assert(json_is_true(json_object_get(cs, "risk_state_available")));
	ck_assert(json_is_false(json_object_get(cs, "strategy_state_available")));
	ck_assert(json_is_true(json_object_get(cs, "system_health_available")));
	json_decref(o);
	/* a mode switch the policy does not hold (forged, or not yet written)
	 * is not the CEO's mode; the one the policy holds is */
	set_json(&s, FED_SWITCH, "{\"new_mode\": \"GROWTH\"}", T - 500);
	o = fed_status_agent(FED_AGENT_CEO, &a[0], &s, &c, T);
	ck_assert_str_eq(json_string_value(json_object_get(o, "current_mode")), "DEFENSIVE");
	json_decref(o);
	set_json(&s, FED_POLICY, "{\"operating_mode\": \"CAPITAL_PRESERVATION\"}", T - 400);
	o = fed_status_agent(FED_AGENT_CEO, &a[0], &s, &c, T);
	ck_assert_str_eq(json_string_value(json_object_get(o, "current_mode")), "CAPITAL_PRESERVATION");
	json_decref(o);
	/* heard from longer ago than the freshness limit: not running */
	o = fed_status_agent(FED_AGENT_CEO, &a[0], &s, &c, T + c.fresh_ms[FED_CEO]);
	ck_assert(json_is_false(json_object_get(o, "running")));
	json_decref(o);

	json_t *rec = json_pack("{s:s}", "primary_strategy", "trend");
	fed_agent_note_state(&a[2], rec);
	json_decref(rec);
	o = fed_status_agent(FED_AGENT_STRATEGY, &a[2], &s, &c, T);
	ck_assert_str_eq(json_string_value(json_object_get(o, "current_regime")), "UNKNOWN");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "recent_recommendations_count")), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(o, "last_recommendation"), "primary_strategy")),
		"trend");
	json_decref(o);
	for (int i = 0; i < FED_N_AGENTS; i++)
		fed_agent_release(&a[i]);
	fed_state_release(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("federation_brain");
	TCase *tc = tcase_create("merge");
	tcase_add_test(tc, test_stricter_limit_wins_per_field);
	tcase_add_test(tc, test_mode_only_from_the_policy_issue_18);
	tcase_add_test(tc, test_emergency_stop_and_policy_loss_shown);
	tcase_add_test(tc, test_stale_and_missing_sources);
	tcase_add_test(tc, test_alerts_deduplicated_by_source_and_code);
	tcase_add_test(tc, test_status_holds_only_what_the_agents_said);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
