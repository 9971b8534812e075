/*
 * test_ceo_report.c - the CEO's policy document and the emergency stop
 * (issue 15): whose stop a document holds, a stop the CEO did not set
 * kept through every mode with BLACK_SWAN's limits, cleared only on
 * request, the CEO's own stop set and lifted with BLACK_SWAN, the start
 * mode, and the clear_emergency_stop command; the ceo_decision payload in
 * the original's words (contributing_factors a list of strings,
 * alert_level info / warning / critical, alert_message null when none).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ceo_inputs.h"
#include "ceo_report.h"
#include "orch.h"
#include "policy.h"
#include "run_suite.h"

static const int64_t T = 1767225600000;

static json_t *doc_with(const char *extra)
{
	json_t *d = policy_default_doc(T);
	json_t *x = json_loads(extra, 0, NULL);
	ck_assert_ptr_nonnull(x);
	json_object_update(d, x);
	json_decref(x);
	return d;
}

static void limits_of(enum ceo_mode m, struct ceo_limits *l)
{
	struct ceo_brain_config c;
	struct ceo_inputs in = {0};
	ceo_brain_config_defaults(&c, CEO_RULES_DEFAULT);
	ceo_brain_limits(&c, m, &in, l, NULL);
}

START_TEST(test_ceo_report__whose_stop)
{
	struct ceo_stop st;
	json_t *d = doc_with("{}");
	ceo_report_stop_of(d, &st);
	ck_assert_int_eq(st.held, 0);
	json_decref(d);
	/* the original's Emergency Stop System: its writer named */
	d = doc_with("{\"emergency_mode\": true, \"allow_new_trades\": false, \"emergency_reason\": \"ESS: loss\","
		     " \"updated_by\": \"emergency_stop_system\", \"operating_mode\": \"GROWTH\"}");
	ceo_report_stop_of(d, &st);
	ck_assert_int_eq(st.held, 1);
	ck_assert_int_eq(st.ours, 0);
	ck_assert_str_eq(st.set_by, "emergency_stop_system");
	ck_assert_str_eq(st.reason, "ESS: loss");
	ck_assert_int_eq(ceo_report_external_stop(d), 1);
	json_decref(d);
	/* allow_new_trades false alone is a stop; without a writer, "external" */
	d = doc_with("{\"allow_new_trades\": false}");
	json_object_del(d, "updated_by");
	ceo_report_stop_of(d, &st);
	ck_assert_int_eq(st.held, 1);
	ck_assert_str_eq(st.set_by, "external");
	json_decref(d);
	/* the CEO's: its reason's prefix survives a writer that drops our keys */
	d = doc_with("{\"emergency_mode\": true, \"allow_new_trades\": false, \"emergency_reason\":"
		     " \"CEO BLACK_SWAN: risk score 91\", \"updated_by\": \"ai_ro\"}");
	ceo_report_stop_of(d, &st);
	ck_assert_int_eq(st.ours, 1);
	ck_assert_str_eq(st.set_by, "ceo");
	ck_assert_int_eq(ceo_report_start_mode(d), CEO_BLACK_SWAN);
	json_decref(d);
	/* written before emergency_set_by existed: BLACK_SWAN's */
	d = doc_with("{\"emergency_mode\": true, \"emergency_reason\": \"risk score 91\", \"operating_mode\": "
		     "\"BLACK_SWAN\"}");
	ceo_report_stop_of(d, &st);
	ck_assert_int_eq(st.ours, 1);
	json_decref(d);
	/* a writer that names itself is never the CEO, whatever the reason */
	d = doc_with(
		"{\"emergency_mode\": true, \"emergency_reason\": \"CEO BLACK_SWAN: x\", \"emergency_set_by\": \"ops\","
		" \"operating_mode\": \"BLACK_SWAN\"}");
	ceo_report_stop_of(d, &st);
	ck_assert_int_eq(st.ours, 0);
	ck_assert_str_eq(st.set_by, "ops");
	json_decref(d);
	/* an external stop without operating_mode: the start mode is the risk mode's */
	d = doc_with("{\"active_mode\": \"NORMAL\", \"emergency_mode\": true, \"emergency_reason\": \"ESS\"}");
	ck_assert_int_eq(ceo_report_start_mode(d), CEO_EXPANSION);
	json_decref(d);
}
END_TEST

START_TEST(test_ceo_report__external_stop_kept_with_black_swan_limits)
{
	json_t *cur =
		doc_with("{\"emergency_mode\": true, \"allow_new_trades\": false, \"emergency_reason\": \"ESS: loss\","
			 " \"emergency_activated_at\": \"2026-01-05T10:00:00\", \"updated_by\": \"ess\"}");
	struct ceo_limits swan, growth;
	limits_of(CEO_BLACK_SWAN, &swan);
	limits_of(CEO_GROWTH, &growth);
	int changed = 0;
	json_t *d = ceo_report_policy_doc(cur, CEO_GROWTH, &swan, "why", 0, T, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_str_eq(json_string_value(json_object_get(d, "operating_mode")), "GROWTH");
	ck_assert_str_eq(json_string_value(json_object_get(d, "active_mode")), "DEFENSIVE");
	ck_assert(json_is_true(json_object_get(d, "emergency_mode")));
	ck_assert(json_is_false(json_object_get(d, "allow_new_trades")));
	ck_assert_str_eq(json_string_value(json_object_get(d, "emergency_reason")), "ESS: loss");
	ck_assert_str_eq(json_string_value(json_object_get(d, "emergency_activated_at")), "2026-01-05T10:00:00");
	ck_assert_str_eq(json_string_value(json_object_get(d, "emergency_set_by")), "ess");
	json_t *m = json_object_get(json_object_get(d, "modes"), "DEFENSIVE");
	ck_assert_double_eq(json_number_value(json_object_get(m, "max_leverage")), swan.max_leverage);
	/* the same again changes nothing, even written by the CEO */
	json_object_set_new(d, "updated_by", json_string("ai_ceo"));
	json_t *again = ceo_report_policy_doc(d, CEO_GROWTH, &swan, "why", 0, T, &changed);
	ck_assert_int_eq(changed, 0);
	ck_assert_str_eq(json_string_value(json_object_get(again, "emergency_set_by")), "ess");
	json_decref(again);
	/* BLACK_SWAN does not take the stop over */
	again = ceo_report_policy_doc(d, CEO_BLACK_SWAN, &swan, "why", 0, T, &changed);
	ck_assert_str_eq(json_string_value(json_object_get(again, "emergency_reason")), "ESS: loss");
	ck_assert_str_eq(json_string_value(json_object_get(again, "emergency_set_by")), "ess");
	json_decref(again);
	/* cleared on request: GROWTH's limits and risk mode */
	again = ceo_report_policy_doc(d, CEO_GROWTH, &growth, "why", 1, T, &changed);
	ck_assert(json_is_false(json_object_get(again, "emergency_mode")));
	ck_assert(json_is_true(json_object_get(again, "allow_new_trades")));
	ck_assert(json_is_null(json_object_get(again, "emergency_reason")));
	ck_assert_ptr_null(json_object_get(again, "emergency_set_by"));
	ck_assert_str_eq(json_string_value(json_object_get(again, "active_mode")), "AGGRESSIVE_SMALL_ACCOUNT");
	json_decref(again);
	json_decref(d);
	json_decref(cur);
}
END_TEST

START_TEST(test_ceo_report__own_stop_set_and_lifted_with_black_swan)
{
	json_t *cur = doc_with("{}");
	struct ceo_limits swan, def;
	limits_of(CEO_BLACK_SWAN, &swan);
	limits_of(CEO_DEFENSIVE, &def);
	int changed = 0;
	json_t *d = ceo_report_policy_doc(cur, CEO_BLACK_SWAN, &swan, "risk score 91", 0, T, &changed);
	ck_assert(json_is_true(json_object_get(d, "emergency_mode")));
	ck_assert_str_eq(json_string_value(json_object_get(d, "emergency_reason")), "CEO BLACK_SWAN: risk score 91");
	ck_assert_str_eq(json_string_value(json_object_get(d, "emergency_set_by")), "ceo");
	/* staying keeps the reason and the time it was set */
	json_t *again = ceo_report_policy_doc(d, CEO_BLACK_SWAN, &swan, "later", 0, T + 5000, &changed);
	ck_assert_int_eq(changed, 0);
	json_decref(again);
	/* leaving lifts it */
	again = ceo_report_policy_doc(d, CEO_DEFENSIVE, &def, "over", 0, T, &changed);
	ck_assert(json_is_false(json_object_get(again, "emergency_mode")));
	ck_assert(json_is_true(json_object_get(again, "allow_new_trades")));
	ck_assert_ptr_null(json_object_get(again, "emergency_set_by"));
	char err[200];
	ck_assert_int_eq(policy_validate(again, err, sizeof(err)), 0);
	json_decref(again);
	json_decref(d);
	json_decref(cur);
}
END_TEST

START_TEST(test_ceo_report__clear_emergency_stop_command)
{
	json_t *p =
		json_loads("{\"request_id\": \"c-1\", \"action\": \"clear_emergency_stop\", \"reason\": \"reviewed\","
			   " \"operator\": \"alice\"}",
			   0,
			   NULL);
	struct ceo_command cmd;
	char why[200];
	ck_assert_int_eq(ceo_command_parse(p, &cmd, why, sizeof(why)), 0);
	ck_assert_int_eq(cmd.action, CEO_CMD_CLEAR_EMERGENCY_STOP);
	json_object_del(p, "operator");
	ck_assert_int_eq(ceo_command_parse(p, &cmd, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "clear_emergency_stop needs a reason and an operator");
	json_decref(p);
}
END_TEST

/* A decision in mode m (from EXPANSION), with every input known. */
static void decision_in(enum ceo_mode m, const char *stale, struct ceo_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->mode = m;
	d->previous = CEO_EXPANSION;
	d->recommended = m;
	d->changed = m != CEO_EXPANSION;
	d->rule = "test_rule";
	snprintf(d->reason, sizeof(d->reason), "risk score 91");
	snprintf(d->stale, sizeof(d->stale), "%s", stale);
	d->state.current = m;
	d->state.risk_known = 1;
	d->state.risk_score = 40;
	d->state.daily_drawdown = 0.01;
	d->state.peak_drawdown = 0.02;
	d->state.win_rate_known = 1;
	d->state.win_rate = 0.55;
	d->state.win_rate_lower = 0.5;
	d->state.health = CEO_HEALTHY;
	d->state.regime = "TRENDING";
	d->state.regime_confidence = 0.8;
	limits_of(m, &d->limits);
	d->confidence = 1;
}

/* contributing_factors: a list of strings, one per known input */
static void assert_factor_lines(const json_t *p)
{
	const json_t *cf = json_object_get(p, "contributing_factors");
	ck_assert(json_is_array(cf));
	ck_assert_int_eq(json_array_size(cf), 5);
	for (size_t i = 0; i < json_array_size(cf); i++)
		ck_assert(json_is_string(json_array_get(cf, i)));
	ck_assert_str_eq(json_string_value(json_array_get(cf, 0)), "risk score 40.0 (0-100, higher = worse)");
	ck_assert_str_eq(json_string_value(json_array_get(cf, 3)), "health HEALTHY");
	/* our structured inputs moved to factors */
	ck_assert(json_is_object(json_object_get(p, "factors")));
}

START_TEST(test_ceo_report__decision_without_alert_issue_15)
{
	struct ceo_decision d;
	decision_in(CEO_GROWTH, "", &d);
	json_t *p = ceo_report_decision(&d, "scheduled", 1, NULL, T);
	ck_assert_ptr_nonnull(p);
	assert_factor_lines(p);
	ck_assert_str_eq(json_string_value(json_object_get(p, "alert_level")), "info");
	/* present and JSON null, not "" */
	ck_assert_ptr_nonnull(json_object_get(p, "alert_message"));
	ck_assert(json_is_null(json_object_get(p, "alert_message")));
	json_decref(p);
}
END_TEST

START_TEST(test_ceo_report__decision_alerts_issue_15)
{
	struct ceo_decision d;
	/* BLACK_SWAN: critical, the reason as the message */
	decision_in(CEO_BLACK_SWAN, "", &d);
	json_t *p = ceo_report_decision(&d, "risk_alert", 1, NULL, T);
	ck_assert_ptr_nonnull(p);
	assert_factor_lines(p);
	ck_assert_str_eq(json_string_value(json_object_get(p, "alert_level")), "critical");
	ck_assert_str_eq(json_string_value(json_object_get(p, "alert_message")), "BLACK_SWAN: risk score 91");
	json_decref(p);
	/* stale inputs: a warning naming them */
	decision_in(CEO_DEFENSIVE, "risk_state", &d);
	p = ceo_report_decision(&d, "scheduled", 0, NULL, T);
	ck_assert_ptr_nonnull(p);
	ck_assert(json_is_array(json_object_get(p, "contributing_factors")));
	ck_assert_str_eq(json_string_value(json_object_get(p, "alert_level")), "warning");
	ck_assert_str_eq(json_string_value(json_object_get(p, "alert_message")), "stale inputs: risk_state");
	json_decref(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ceo_report");
	TCase *tc = tcase_create("stop");
	tcase_add_test(tc, test_ceo_report__whose_stop);
	tcase_add_test(tc, test_ceo_report__external_stop_kept_with_black_swan_limits);
	tcase_add_test(tc, test_ceo_report__own_stop_set_and_lifted_with_black_swan);
	tcase_add_test(tc, test_ceo_report__clear_emergency_stop_command);
	suite_add_tcase(s, tc);
	tc = tcase_create("decision");
	tcase_add_test(tc, test_ceo_report__decision_without_alert_issue_15);
	tcase_add_test(tc, test_ceo_report__decision_alerts_issue_15);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
