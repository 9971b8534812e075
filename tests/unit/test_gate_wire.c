/*
 * test_gate_wire.c - the live gate's wire: the bodies quantum_trader's
 * orchestration client sends (byte for byte as legacy_client.sh records
 * them) read into signals, Python's bare NaN read as a missing value and
 * refused rather than approved, every malformed body refused naming its
 * field; the answers carry the names the client reads, finite numbers
 * only; the gate's state filled from the Federation's sources.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "federation_brain.h"
#include "gate.h"
#include "gate_wire.h"
#include "orch.h"
#include "run_suite.h"

static const int64_t T = 1767225600000;

/* What httpx sends for the ai-engine's signal (json.dumps defaults). */
static const char STRATEGY_BODY[] =
	"{\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\": 0.7, \"entry_price\": 100.0}";
static const char RISK_BODY[] =
	"{\"signal\": {\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\": 0.7, \"entry_price\": 100.0,"
	" \"position_size_usd\": 1000.0, \"leverage\": 5, \"regime\": \"unknown\", \"strategy\": \"default\"},"
	" \"operating_mode\": \"PRESERVATION\"}";

static int parse(int risk, const char *body, struct gate_signal *g, char *why)
{
	return risk ? gate_wire_parse_risk(body, strlen(body), g, why, 128)
		    : gate_wire_parse_strategy(body, strlen(body), g, why, 128);
}

START_TEST(test_gate_wire_reads_the_clients_bodies)
{
	struct gate_signal g;
	char why[128];
	ck_assert_int_eq(parse(0, STRATEGY_BODY, &g, why), 0);
	ck_assert_str_eq(g.symbol, "BTCUSDT");
	ck_assert_int_eq(g.has_confidence, 1);
	ck_assert_double_eq(g.confidence, 0.7);
	ck_assert_str_eq(g.strategy, "");
	ck_assert_double_eq(g.size_usd, 0);
	ck_assert_int_eq(parse(1, RISK_BODY, &g, why), 0);
	ck_assert_str_eq(g.strategy, "default");
	ck_assert_str_eq(g.client_mode, "PRESERVATION");
	ck_assert_double_eq(g.size_usd, 1000);
	ck_assert_double_eq(g.leverage, 5);
	ck_assert_str_eq(g.model, "");
	/* other clients' spellings: model_id, strategy_id, a numeric string */
	ck_assert_int_eq(
		parse(1,
		      "{\"signal\": {\"symbol\": \"ETHUSDT\", \"confidence\": \"0.81\", \"model_id\": \"lstm_v2\","
		      " \"strategy_id\": \"trend\", \"side\": \"SHORT\"}}",
		      &g,
		      why),
		0);
	ck_assert_str_eq(g.model, "lstm_v2");
	ck_assert_str_eq(g.strategy, "trend");
	ck_assert_double_eq(g.confidence, 0.81);
	ck_assert_str_eq(g.client_mode, "");
}
END_TEST

START_TEST(test_gate_wire_python_nan_is_missing_and_refused)
{
	struct gate_signal g;
	char why[128];
	static const char *const BODIES[] = {
		"{\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\": NaN}",
		"{\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\": Infinity}",
		"{\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\":-Infinity}",
		"{\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\"}",
	};
	struct gate_state s;
	gate_state_init(&s);
	snprintf(s.operating_mode, sizeof(s.operating_mode), "EXPANSION");
	s.mode_at_ms = s.risk_at_ms = T;
	s.risk_score = 30;
	s.limits = (struct gate_limits){1, 10, 0.02, 1, 0.6, 10};
	struct gate_config c;
	gate_config_defaults(&c);
	for (size_t i = 0; i < sizeof(BODIES) / sizeof(BODIES[0]); i++) {
		ck_assert_int_eq(parse(0, BODIES[i], &g, why), 0);
		ck_assert_int_eq(g.has_confidence, 0);
		struct gate_strategy_verdict v;
		gate_strategy_evaluate(&s, &c, &g, T, &v);
		ck_assert_int_eq(v.approved, 0);
		ck_assert_int_eq(v.code, GATE_R_NO_CONFIDENCE);
	}
	/* inside strings the words stay; a NaN size is no size */
	ck_assert_int_eq(
		parse(1, "{\"signal\": {\"symbol\": \"NaN\\\"Infinity\", \"position_size_usd\": NaN}}", &g, why), 0);
	ck_assert_str_eq(g.symbol, "NaN\"Infinity");
	ck_assert_double_eq(g.size_usd, 0);
	/* a bare word that is not one of the three is still not JSON */
	ck_assert_int_eq(parse(0, "{\"symbol\": \"X\", \"direction\": \"BUY\", \"confidence\": Nonsense}", &g, why),
			 ORCH_EMALFORMED);
}
END_TEST

static const struct {
	int risk;
	const char *body;
	const char *why; /* prefix */
} MALFORMED[] = {
	{0, "", "body: not JSON"},
	{0, "{\"symbol\": \"X\", ", "body: not JSON"},
	{0, "[1, 2]", "body: not an object"},
	{0, "{\"symbol\": \"X\", \"symbol\": \"Y\", \"direction\": \"BUY\"}", "body: not JSON"},
	{0, "{\"direction\": \"BUY\", \"confidence\": 0.7}", "symbol: missing"},
	{0, "{\"symbol\": 7, \"direction\": \"BUY\"}", "symbol: not a string"},
	{0, "{\"symbol\": \"\", \"direction\": \"BUY\"}", "symbol: empty"},
	{0, "{\"symbol\": \"X\", \"confidence\": 0.7}", "direction: missing"},
	{0, "{\"symbol\": \"X\", \"direction\": \"HOLD\"}", "direction: not BUY"},
	{0, "{\"symbol\": \"X\", \"direction\": \"BUY\", \"confidence\": \"high\"}", "confidence: not a number"},
	{0, "{\"symbol\": \"X\", \"direction\": \"BUY\", \"confidence\": true}", "confidence: not a number"},
	{0, "{\"symbol\": \"X\", \"direction\": \"BUY\", \"strategy\": 3}", "strategy: not a string"},
	{1, "{\"operating_mode\": \"EXPANSION\"}", "signal: missing"},
	{1, "{\"signal\": [], \"operating_mode\": \"EXPANSION\"}", "signal: not an object"},
	{1, "{\"signal\": {\"symbol\": \"X\"}, \"operating_mode\": 5}", "operating_mode: not a string"},
	{1, "{\"signal\": {\"symbol\": \"X\", \"direction\": \"UP\"}}", "direction: not BUY"},
	{1, "{\"signal\": {\"symbol\": \"X\", \"position_size_usd\": -5}}", "position_size_usd: negative"},
	{1, "{\"signal\": {\"symbol\": \"X\", \"leverage\": \"x\"}}", "leverage: not a number"},
	{1, "{\"signal\": {\"symbol\": \"X\", \"model\": {}}}", "model: not a string"},
	{1, "{\"signal\": {\"confidence\": 0.9}}", "symbol: missing"},
	{1, "\"signal\"", "body: not an object"},
};

START_TEST(test_gate_wire_malformed_bodies_refused_naming_the_field)
{
	struct gate_signal g;
	char why[128] = "";
	int rc = parse(MALFORMED[_i].risk, MALFORMED[_i].body, &g, why);
	ck_assert_msg(rc == ORCH_EMALFORMED, "%s: rc %d", MALFORMED[_i].body, rc);
	ck_assert_msg(
		!strncmp(why, MALFORMED[_i].why, strlen(MALFORMED[_i].why)), "%s: why '%s'", MALFORMED[_i].body, why);
}
END_TEST

START_TEST(test_gate_wire_long_names_refused)
{
	char body[512], name[80];
	memset(name, 'n', 64);
	name[64] = 0;
	struct gate_signal g;
	char why[128];
	snprintf(body, sizeof(body), "{\"symbol\": \"%s\", \"direction\": \"BUY\"}", name);
	ck_assert_int_eq(parse(0, body, &g, why), ORCH_EMALFORMED);
	snprintf(body, sizeof(body), "{\"signal\": {\"symbol\": \"X\", \"model_name\": \"%s\"}}", name);
	ck_assert_int_eq(parse(1, body, &g, why), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "model_name: longer than 63 bytes");
	name[63] = 0;
	snprintf(body, sizeof(body), "{\"signal\": {\"symbol\": \"X\", \"model_name\": \"%s\"}}", name);
	ck_assert_int_eq(parse(1, body, &g, why), 0);
	ck_assert_uint_eq(strlen(g.model), 63);
}
END_TEST

/* ---- answers ---- */

/* Every number in j (recursively) is finite. */
static int all_finite(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_real(j))
		return isfinite(json_real_value(j));
	json_object_foreach((json_t *)j, k, v) if (!all_finite(v)) return 0;
	json_array_foreach(j, i, v) if (!all_finite(v)) return 0;
	return 1;
}

START_TEST(test_gate_wire_answers_carry_the_clients_names)
{
	struct gate_ceo_status st = {.mode = GATE_PASSIVE, .confidence = 0.45, .decision_age_s = 45};
	snprintf(st.operating_mode, sizeof(st.operating_mode), "DEFENSIVE");
	snprintf(st.reason, sizeof(st.reason), "operating mode DEFENSIVE");
	json_t *j = gate_wire_status(&st, T);
	ck_assert_str_eq(json_string_value(json_object_get(j, "mode")), "PASSIVE");
	ck_assert_double_eq(json_real_value(json_object_get(j, "confidence")), 0.45);
	ck_assert_str_eq(json_string_value(json_object_get(j, "operating_mode")), "DEFENSIVE");
	ck_assert_str_eq(json_string_value(json_object_get(j, "timestamp")), "2026-01-01T00:00:00.000000");
	ck_assert(json_is_false(json_object_get(j, "safe_side")));
	ck_assert(all_finite(j));
	json_decref(j);
	st.safe_side = 1;
	st.operating_mode[0] = 0;
	st.decision_age_s = -1;
	j = gate_wire_status(&st, T);
	ck_assert(json_is_null(json_object_get(j, "operating_mode")));
	ck_assert(json_is_null(json_object_get(j, "decision_age_s")));
	json_decref(j);
	j = gate_wire_health("ceo_brain", &st, T);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "degraded");
	ck_assert_str_eq(json_string_value(json_object_get(j, "service")), "ceo_brain");
	ck_assert_str_eq(json_string_value(json_object_get(j, "mode")), "PASSIVE");
	json_decref(j);

	struct gate_strategy_verdict sv = {.approved = 0, .code = GATE_R_DISABLED_STRATEGY, .min_confidence = -1};
	snprintf(sv.reason, sizeof(sv.reason), "BTCUSDT: strategy trend is disabled");
	j = gate_wire_strategy(&sv, T);
	ck_assert(json_is_false(json_object_get(j, "approved")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "code")), "disabled_strategy");
	ck_assert(json_is_null(json_object_get(j, "min_confidence")));
	json_decref(j);

	struct gate_risk_verdict rv = {.approved = 1,
				       .mode = GATE_ACTIVE,
				       .position_size_usd = 700,
				       .leverage = 3.2,
				       .risk_score = 41.5,
				       .state_risk_score = 41.5,
				       .max_loss_usd = 14};
	j = gate_wire_risk(&rv, T);
	ck_assert(json_is_true(json_object_get(j, "approved")));
	ck_assert_double_eq(json_real_value(json_object_get(j, "position_size")), 700);
	ck_assert_double_eq(json_real_value(json_object_get(j, "adjusted_size_usd")), 700);
	ck_assert_double_eq(json_real_value(json_object_get(j, "leverage")), 3.2);
	ck_assert_double_eq(json_real_value(json_object_get(j, "adjusted_leverage")), 3.2);
	ck_assert_double_eq(json_real_value(json_object_get(j, "risk_score")), 41.5);
	ck_assert_double_eq(json_real_value(json_object_get(j, "max_loss")), 14);
	ck_assert(json_is_false(json_object_get(j, "rl_applied")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "code")), "none");
	ck_assert(all_finite(j));
	json_decref(j);
	rv.state_risk_score = -1;
	j = gate_wire_risk(&rv, T);
	ck_assert(json_is_null(json_object_get(j, "state_risk_score")));
	json_decref(j);
}
END_TEST

/* ---- state ---- */

static void set_json(struct fed_state *s, enum fed_source src, const char *text, int64_t at)
{
	json_t *j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	fed_state_set(s, src, j, at);
	json_decref(j);
}

static void gate_state_of(struct fed_state *fs, int64_t now, struct gate_state *out)
{
	struct fed_config fc;
	fed_config_defaults(&fc);
	json_t *gs = fed_global_state(fs, &fc, now);
	ck_assert_ptr_nonnull(gs);
	gate_wire_state(fs, gs, out);
	json_decref(gs);
}

START_TEST(test_gate_wire_state_from_the_federation)
{
	struct fed_state fs;
	fed_state_init(&fs);
	set_json(&fs,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"DEFENSIVE\", \"disabled_strategies\": "
		 "[\"chop\"],"
		 " \"disabled_models\": [\"xgb\"], \"emergency_mode\": false, \"allow_new_trades\": true,"
		 " \"modes\": {\"DEFENSIVE\": {\"max_leverage\": 10,"
		 " \"max_risk_pct_per_trade\": 0.02, \"max_positions\": 10, \"global_min_confidence\": 0.6,"
		 " \"scaling_factor\": 1.0}}}",
		 T - 5000);
	set_json(&fs,
		 FED_CEO,
		 "{\"operating_mode\": \"DEFENSIVE\", \"decision_confidence\": 0.8, \"effective_limits\": "
		 "{\"max_leverage\":"
		 " 5, \"max_risk_pct_per_trade\": 0.01, \"max_positions\": 5, \"global_min_confidence\": 0.7,"
		 " \"scaling_factor\": 0.7}}",
		 T - 3000);
	set_json(&fs, FED_CEILING, "{\"max_leverage\": 3.2, \"max_risk_per_trade\": 0.012, \"max_positions\": 8}", T);
	set_json(&fs,
		 FED_RISK,
		 "{\"risk_score\": 42.5, \"risk_level\": \"moderate\", \"should_pause_trading\": false,"
		 " \"metrics\": {\"equity\": 25000.0, \"open_positions\": 3}}",
		 T - 2000);
	set_json(&fs,
		 FED_STRATEGY,
		 "{\"disabled\": [{\"strategy\": \"grid\"}], \"models\": [{\"model\": \"ensemble\", \"status\": "
		 "\"active\"},"
		 " {\"model\": \"lstm\", \"status\": \"disabled\"}]}",
		 T);
	struct gate_state s;
	gate_state_of(&fs, T, &s);
	ck_assert_str_eq(s.operating_mode, "DEFENSIVE");
	ck_assert_int_eq(s.mode_at_ms, T - 3000);
	ck_assert_double_eq(s.decision_confidence, 0.8);
	ck_assert_int_eq(s.emergency_held, 0);
	ck_assert_int_eq(s.limits.known, 1);
	ck_assert_double_eq(s.limits.max_leverage, 3.2);
	ck_assert_double_eq(s.limits.max_risk_pct_per_trade, 0.01);
	ck_assert_double_eq(s.limits.scaling_factor, 0.7);
	ck_assert_double_eq(s.limits.global_min_confidence, 0.7);
	ck_assert_int_eq(s.limits.max_positions, 5);
	ck_assert_int_eq(s.ceiling.known, 1);
	ck_assert_double_eq(s.ceiling.max_risk_pct_per_trade, 0.012);
	ck_assert_int_eq(s.ceiling.max_positions, 8);
	ck_assert_int_eq(s.risk_at_ms, T - 2000);
	ck_assert_double_eq(s.risk_score, 42.5);
	ck_assert_int_eq(s.risk_critical, 0);
	ck_assert_double_eq(s.equity_usd, 25000);
	ck_assert_int_eq(s.open_positions, 3);
	ck_assert_int_eq(s.n_disabled_strategies, 2);
	ck_assert_int_eq(s.n_disabled_models, 2);
	ck_assert_str_eq(s.disabled_models[0], "xgb");
	ck_assert_str_eq(s.disabled_models[1], "lstm");
	struct gate_config c;
	gate_config_defaults(&c);
	struct gate_ceo_status st;
	gate_ceo_status(&s, &c, T, &st);
	ck_assert_int_eq(st.mode, GATE_PASSIVE);

	/* the original's Emergency Stop System writes the two fields */
	set_json(&fs,
		 FED_POLICY,
		 "{\"active_mode\": \"NORMAL\", \"emergency_mode\": true, \"allow_new_trades\": false,"
		 " \"emergency_reason\": \"ESS: daily loss limit\", \"modes\": {}}",
		 T);
	gate_state_of(&fs, T, &s);
	ck_assert_int_eq(s.emergency_held, 1);
	ck_assert_str_eq(s.emergency_reason, "ESS: daily loss limit");
	set_json(&fs, FED_POLICY, "{\"active_mode\": \"NORMAL\", \"allow_new_trades\": false, \"modes\": {}}", T);
	gate_state_of(&fs, T, &s);
	ck_assert_int_eq(s.emergency_held, 1);
	ck_assert_str_eq(s.emergency_reason, "allow_new_trades false");
	gate_ceo_status(&s, &c, T, &st);
	ck_assert_int_eq(st.mode, GATE_EMERGENCY);

	/* a switch the policy does not hold moves nothing (issue 18) */
	set_json(&fs,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"DEFENSIVE\", \"modes\": {}}",
		 T);
	set_json(&fs, FED_SWITCH, "{\"new_mode\": \"GROWTH\", \"reason\": \"forged\"}", T + 50);
	gate_state_of(&fs, T + 50, &s);
	ck_assert_str_eq(s.operating_mode, "DEFENSIVE");
	ck_assert_int_eq(s.mode_at_ms, T - 3000);
	/* an operator's switch the policy holds sets the mode's time */
	set_json(&fs,
		 FED_POLICY,
		 "{\"active_mode\": \"DEFENSIVE\", \"operating_mode\": \"BLACK_SWAN\", \"modes\": {}}",
		 T);
	set_json(&fs, FED_SWITCH, "{\"new_mode\": \"BLACK_SWAN\", \"reason\": \"operator\"}", T + 100);
	gate_state_of(&fs, T + 100, &s);
	ck_assert_str_eq(s.operating_mode, "BLACK_SWAN");
	ck_assert_int_eq(s.mode_at_ms, T + 100);
	ck_assert_double_eq(s.decision_confidence, -1);
	/* the PolicyStore lost its document: the safe side until it is back */
	set_json(&fs,
		 FED_POLICY,
		 "{\"active_mode\": \"AGGRESSIVE_SMALL_ACCOUNT\", \"operating_mode\": \"GROWTH\", \"modes\": {}}",
		 T);
	set_json(&fs, FED_SWITCH, "{\"new_mode\": \"GROWTH\", \"reason\": \"operator\"}", T + 200);
	gate_state_of(&fs, T + 200, &s);
	gate_ceo_status(&s, &c, T + 200, &st);
	ck_assert_int_eq(st.mode, GATE_ACTIVE);
	fed_state_policy_problem(&fs, "the document at t:policy:current is gone after version 9");
	gate_state_of(&fs, T + 200, &s);
	gate_ceo_status(&s, &c, T + 200, &st);
	ck_assert_int_eq(st.mode, GATE_PASSIVE);
	ck_assert_int_eq(st.safe_side, 1);
	ck_assert_str_eq(st.reason, "policy: the document at t:policy:current is gone after version 9");
	fed_state_release(&fs);
}
END_TEST

START_TEST(test_gate_wire_state_with_nothing_reported)
{
	struct fed_state fs;
	fed_state_init(&fs);
	struct gate_state s;
	gate_state_of(&fs, T, &s);
	ck_assert_str_eq(s.operating_mode, "");
	ck_assert_int_eq(s.mode_at_ms, 0);
	ck_assert_int_eq(s.risk_at_ms, 0);
	ck_assert_int_eq(s.emergency_held, 0);
	struct gate_config c;
	gate_config_defaults(&c);
	struct gate_ceo_status st;
	gate_ceo_status(&s, &c, T, &st);
	ck_assert_int_eq(st.mode, GATE_PASSIVE);
	ck_assert_int_eq(st.safe_side, 1);
	/* a policy alone: its operating_mode has no decision behind it, and a
	 * risk state without a score is no risk state */
	set_json(&fs, FED_POLICY, "{\"active_mode\": \"NORMAL\", \"operating_mode\": \"GROWTH\", \"modes\": {}}", T);
	set_json(&fs, FED_RISK, "{\"risk_level\": \"low\"}", T);
	gate_state_of(&fs, T, &s);
	ck_assert_str_eq(s.operating_mode, "GROWTH");
	ck_assert_int_eq(s.mode_at_ms, 0);
	ck_assert_int_eq(s.risk_at_ms, 0);
	gate_ceo_status(&s, &c, T, &st);
	ck_assert_int_eq(st.mode, GATE_PASSIVE);
	struct gate_signal g = {.symbol = "BTCUSDT", .has_confidence = 1, .confidence = 0.9, .size_usd = 100};
	struct gate_risk_verdict v;
	gate_risk_evaluate(&s, &c, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_NO_RISK_STATE);
	ck_assert_double_eq(v.risk_score, 100);
	fed_state_release(&fs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gate_wire");
	TCase *tc = tcase_create("bodies");
	tcase_add_test(tc, test_gate_wire_reads_the_clients_bodies);
	tcase_add_test(tc, test_gate_wire_python_nan_is_missing_and_refused);
	tcase_add_loop_test(tc,
			    test_gate_wire_malformed_bodies_refused_naming_the_field,
			    0,
			    (int)(sizeof(MALFORMED) / sizeof(MALFORMED[0])));
	tcase_add_test(tc, test_gate_wire_long_names_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("answers");
	tcase_add_test(tc, test_gate_wire_answers_carry_the_clients_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("state");
	tcase_add_test(tc, test_gate_wire_state_from_the_federation);
	tcase_add_test(tc, test_gate_wire_state_with_nothing_reported);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
