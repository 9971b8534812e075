/*
 * test_gate.c - the live gate's decisions: every operating mode's gate
 * mode, the emergency stop over any mode, the safe side for a missing,
 * unknown or stale mode (never ACTIVE), confidence from freshness; every
 * refusal of both evaluations with its code, each one an answer the
 * original client skips on; sizing and leverage within the limits and
 * ceilings, DEFENSIVE smaller than EXPANSION.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "gate.h"
#include "orch.h"
#include "run_suite.h"

static const int64_t T = 1767225600000;

/* The original's mode limits (ceo_policy.py get_mode_config). */
static const struct gate_limits EXPANSION = {1, 10.0, 0.02, 1.0, 0.60, 10};
static const struct gate_limits DEFENSIVE = {1, 5.0, 0.01, 0.7, 0.70, 5};

static struct gate_config cfg;

static void setup(void)
{
	gate_config_defaults(&cfg);
}

/* A fresh layer in `mode` with the EXPANSION limits, risk score 35,
 * equity 10,000 USD, two positions open. */
static void base(struct gate_state *s, const char *mode)
{
	gate_state_init(s);
	snprintf(s->operating_mode, sizeof(s->operating_mode), "%s", mode);
	s->mode_at_ms = T;
	s->decision_confidence = 0.9;
	s->limits = EXPANSION;
	s->risk_at_ms = T;
	s->risk_score = 35;
	s->equity_usd = 10000;
	s->open_positions = 2;
}

/* What the ai-engine sends: strategy "default", 1,000 USD at 5x. */
static struct gate_signal signal_of(double confidence)
{
	struct gate_signal g;
	memset(&g, 0, sizeof(g));
	snprintf(g.symbol, sizeof(g.symbol), "BTCUSDT");
	snprintf(g.strategy, sizeof(g.strategy), "default");
	g.has_confidence = 1;
	g.confidence = confidence;
	g.size_usd = 1000;
	g.leverage = 5;
	snprintf(g.client_mode, sizeof(g.client_mode), "EXPANSION");
	return g;
}

/* The original client's own rule after the risk call (orchestrator.py). */
static int client_skips(const struct gate_risk_verdict *v)
{
	return v->position_size_usd <= 0 || v->risk_score > 90;
}

static enum gate_mode mode_at(const struct gate_state *s, int64_t now)
{
	struct gate_ceo_status st;
	gate_ceo_status(s, &cfg, now, &st);
	return st.mode;
}

START_TEST(test_gate_maps_every_operating_mode)
{
	static const struct {
		const char *mode;
		enum gate_mode want;
	} CASES[] = {{"EXPANSION", GATE_ACTIVE},
		     {"GROWTH", GATE_ACTIVE},
		     {"DEFENSIVE", GATE_PASSIVE},
		     {"CAPITAL_PRESERVATION", GATE_PASSIVE},
		     {"BLACK_SWAN", GATE_EMERGENCY},
		     {"black_swan", GATE_EMERGENCY},
		     {"NORMAL", GATE_PASSIVE},
		     {"UNKNOWN", GATE_PASSIVE},
		     {"", GATE_PASSIVE}};
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		struct gate_state s;
		base(&s, CASES[i].mode);
		struct gate_ceo_status st;
		gate_ceo_status(&s, &cfg, T + 1000, &st);
		ck_assert_msg(st.mode == CASES[i].want, "%s -> %s", CASES[i].mode, gate_mode_name(st.mode));
		ck_assert_int_eq(st.safe_side, gate_mode_of(CASES[i].mode) == GATE_MODE_UNKNOWN);
	}
	ck_assert_int_eq(gate_mode_of(NULL), GATE_MODE_UNKNOWN);
	enum gate_mode m;
	ck_assert_int_eq(gate_mode_parse("emergency", &m), 0);
	ck_assert_int_eq(m, GATE_EMERGENCY);
	ck_assert_int_eq(gate_mode_parse("ACTIVE", &m), 0);
	ck_assert_int_eq(m, GATE_ACTIVE);
	ck_assert_int_eq(gate_mode_parse("EXPANSION", &m), ORCH_EINVAL);
	ck_assert_str_eq(gate_mode_name(GATE_PASSIVE), "PASSIVE");
}
END_TEST

START_TEST(test_gate_emergency_stop_overrides_any_mode)
{
	struct gate_state s;
	base(&s, "GROWTH");
	s.emergency_held = 1;
	snprintf(s.emergency_reason, sizeof(s.emergency_reason), "Emergency Stop System: drawdown 12%%");
	struct gate_ceo_status st;
	gate_ceo_status(&s, &cfg, T, &st);
	ck_assert_int_eq(st.mode, GATE_EMERGENCY);
	ck_assert_int_eq(st.emergency_held, 1);
	ck_assert_str_eq(st.reason, "emergency stop held: Emergency Stop System: drawdown 12%");
	ck_assert_str_eq(st.operating_mode, "GROWTH");
	/* held with no decision at all, and with the safe side PASSIVE */
	gate_state_init(&s);
	s.emergency_held = 1;
	ck_assert_int_eq(mode_at(&s, T), GATE_EMERGENCY);
}
END_TEST

START_TEST(test_gate_stale_or_missing_mode_answers_the_safe_side)
{
	struct gate_state s;
	base(&s, "GROWTH");
	ck_assert_int_eq(mode_at(&s, T + cfg.stale_ms), GATE_ACTIVE);
	struct gate_ceo_status st;
	gate_ceo_status(&s, &cfg, T + cfg.stale_ms + 1, &st);
	ck_assert_int_eq(st.mode, GATE_PASSIVE);
	ck_assert_int_eq(st.safe_side, 1);
	ck_assert_double_eq(st.confidence, 0);
	ck_assert_str_eq(st.reason, "operating mode GROWTH is 90 s old (limit 90 s)");
	cfg.safe_side = GATE_EMERGENCY;
	ck_assert_int_eq(mode_at(&s, T + cfg.stale_ms + 1), GATE_EMERGENCY);
	/* never reported; a mode without a decision time (from the policy) */
	gate_state_init(&s);
	gate_ceo_status(&s, &cfg, T, &st);
	ck_assert_int_eq(st.mode, GATE_EMERGENCY);
	ck_assert_str_eq(st.reason, "no operating mode reported");
	ck_assert_double_eq(st.decision_age_s, -1);
	snprintf(s.operating_mode, sizeof(s.operating_mode), "EXPANSION");
	gate_ceo_status(&s, &cfg, T, &st);
	ck_assert_int_eq(st.mode, GATE_EMERGENCY);
	ck_assert_str_eq(st.reason, "operating mode EXPANSION has no decision behind it");
	/* BLACK_SWAN stays EMERGENCY however old, whatever the safe side */
	cfg.safe_side = GATE_PASSIVE;
	base(&s, "BLACK_SWAN");
	ck_assert_int_eq(mode_at(&s, T + 100 * cfg.stale_ms), GATE_EMERGENCY);
	s.mode_at_ms = 0;
	ck_assert_int_eq(mode_at(&s, T), GATE_EMERGENCY);
}
END_TEST

START_TEST(test_gate_confidence_falls_with_age)
{
	struct gate_state s;
	base(&s, "EXPANSION");
	struct gate_ceo_status st;
	gate_ceo_status(&s, &cfg, T, &st);
	ck_assert_double_eq_tol(st.confidence, 0.9, 1e-12);
	ck_assert_double_eq(st.decision_age_s, 0);
	gate_ceo_status(&s, &cfg, T + cfg.stale_ms / 2, &st);
	ck_assert_double_eq_tol(st.confidence, 0.45, 1e-12);
	ck_assert_double_eq_tol(st.decision_age_s, 45, 1e-12);
	s.decision_confidence = -1; /* an operator's switch: no confidence of its own */
	gate_ceo_status(&s, &cfg, T + cfg.stale_ms / 4, &st);
	ck_assert_double_eq_tol(st.confidence, 0.75, 1e-12);
	ck_assert_int_eq(st.mode, GATE_ACTIVE);
}
END_TEST

START_TEST(test_gate_config_validated)
{
	char err[96];
	ck_assert_int_eq(gate_config_validate(&cfg, err, sizeof(err)), 0);
	cfg.safe_side = GATE_ACTIVE;
	ck_assert_int_eq(gate_config_validate(&cfg, err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(err, "safe_side: must be PASSIVE or EMERGENCY");
	gate_config_defaults(&cfg);
	cfg.stop_loss_frac = 0;
	ck_assert_int_eq(gate_config_validate(&cfg, err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(err, "stop_loss_frac: must be in (0, 1]");
	gate_config_defaults(&cfg);
	cfg.stale_ms = 0;
	ck_assert_int_eq(gate_config_validate(&cfg, err, sizeof(err)), ORCH_EINVAL);
}
END_TEST

/* ---- refusals ---- */

/* Each refusal: what makes it, the code, whether the layer says stop
 * (risk_score 100). */
enum arrange {
	A_HELD,
	A_BLACK_SWAN,
	A_STALE_MODE,
	A_PAUSE,
	A_CRITICAL,
	A_NO_RISK,
	A_STALE_RISK,
	A_NO_LIMITS,
	A_NO_CONFIDENCE,
	A_CONFIDENCE_ABOVE_ONE,
	A_LOW_CONFIDENCE,
	A_STRATEGY,
	A_MODEL,
	A_NAMES_DROPPED
};

static const struct refusal_case {
	const char *name;
	enum arrange arrange;
	enum gate_refusal code;
	int stop;
} BOTH[] = {
	{"held emergency stop", A_HELD, GATE_R_EMERGENCY_STOP, 1},
	{"BLACK_SWAN", A_BLACK_SWAN, GATE_R_BLACK_SWAN, 1},
	{"stale mode, safe side EMERGENCY", A_STALE_MODE, GATE_R_NO_DECISION, 1},
	{"should_pause_trading", A_PAUSE, GATE_R_RISK_PAUSE, 1},
	{"risk level critical", A_CRITICAL, GATE_R_RISK_CRITICAL, 1},
	{"no risk state", A_NO_RISK, GATE_R_NO_RISK_STATE, 1},
	{"stale risk state", A_STALE_RISK, GATE_R_NO_RISK_STATE, 1},
	{"no limits", A_NO_LIMITS, GATE_R_NO_LIMITS, 1},
	{"no confidence", A_NO_CONFIDENCE, GATE_R_NO_CONFIDENCE, 0},
	{"confidence above 1", A_CONFIDENCE_ABOVE_ONE, GATE_R_NO_CONFIDENCE, 0},
	{"confidence below the minimum", A_LOW_CONFIDENCE, GATE_R_LOW_CONFIDENCE, 0},
	{"disabled strategy", A_STRATEGY, GATE_R_DISABLED_STRATEGY, 0},
	{"disabled model", A_MODEL, GATE_R_DISABLED_MODEL, 0},
	{"disabled names dropped", A_NAMES_DROPPED, GATE_R_NAMES_INCOMPLETE, 0},
};

static void arrange(enum arrange a, struct gate_state *s, struct gate_signal *g)
{
	char name[GATE_NAME_LEN + 8];
	switch (a) {
	case A_HELD:
		s->emergency_held = 1;
		break;
	case A_BLACK_SWAN:
		snprintf(s->operating_mode, sizeof(s->operating_mode), "BLACK_SWAN");
		break;
	case A_STALE_MODE:
		s->mode_at_ms = T - 2 * cfg.stale_ms;
		cfg.safe_side = GATE_EMERGENCY;
		break;
	case A_PAUSE:
		s->risk_pause = 1;
		break;
	case A_CRITICAL:
		s->risk_critical = 1;
		s->risk_score = 78;
		break;
	case A_NO_RISK:
		s->risk_at_ms = 0;
		break;
	case A_STALE_RISK:
		s->risk_at_ms = T - cfg.stale_ms - 1;
		break;
	case A_NO_LIMITS:
		s->limits.scaling_factor = -1;
		break;
	case A_NO_CONFIDENCE:
		g->has_confidence = 0;
		break;
	case A_CONFIDENCE_ABOVE_ONE:
		g->confidence = 1.5;
		break;
	case A_LOW_CONFIDENCE:
		g->confidence = 0.5999;
		break;
	case A_STRATEGY:
		ck_assert_int_eq(gate_state_disable(s, 0, "DEFAULT"), 0);
		break;
	case A_MODEL:
		ck_assert_int_eq(gate_state_disable(s, 1, "lstm_v2"), 0);
		snprintf(g->model, sizeof(g->model), "LSTM_v2");
		break;
	case A_NAMES_DROPPED:
		memset(name, 'x', sizeof(name) - 1);
		name[sizeof(name) - 1] = 0;
		ck_assert_int_eq(gate_state_disable(s, 0, name), ORCH_EINVAL);
		break;
	}
}

START_TEST(test_gate_strategy_refuses_with_a_code)
{
	const struct refusal_case *rc = &BOTH[_i];
	struct gate_state s;
	base(&s, "EXPANSION");
	struct gate_signal g = signal_of(0.72);
	arrange(rc->arrange, &s, &g);
	struct gate_strategy_verdict v;
	gate_strategy_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_msg(!v.approved && v.code == rc->code,
		      "%s: approved %d, code %s (%s)",
		      rc->name,
		      v.approved,
		      gate_refusal_name(v.code),
		      v.reason);
	ck_assert_msg(v.reason[0], "%s: no reason", rc->name);
}
END_TEST

START_TEST(test_gate_risk_refuses_so_the_client_skips)
{
	const struct refusal_case *rc = &BOTH[_i];
	struct gate_state s;
	base(&s, "DEFENSIVE"); /* PASSIVE: the client calls only the risk brain */
	s.limits = DEFENSIVE;
	struct gate_signal g = signal_of(0.75);
	arrange(rc->arrange, &s, &g);
	struct gate_risk_verdict v;
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_msg(
		!v.approved && v.code == rc->code, "%s: code %s (%s)", rc->name, gate_refusal_name(v.code), v.reason);
	ck_assert(client_skips(&v));
	ck_assert_double_eq(v.position_size_usd, 0);
	ck_assert_double_eq(v.leverage, 0);
	ck_assert_double_eq(v.max_loss_usd, 0);
	ck_assert_double_eq(v.risk_score, rc->stop ? 100 : 35);
}
END_TEST

START_TEST(test_gate_strategy_approves_at_the_minimum)
{
	struct gate_state s;
	base(&s, "EXPANSION");
	ck_assert_int_eq(gate_state_disable(&s, 0, "trend"), 0);
	ck_assert_int_eq(gate_state_disable(&s, 0, "TREND"), 0);
	ck_assert_int_eq(s.n_disabled_strategies, 1);
	struct gate_signal g = signal_of(0.60);
	struct gate_strategy_verdict v;
	gate_strategy_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.approved, 1);
	ck_assert_int_eq(v.code, GATE_R_NONE);
	ck_assert_double_eq(v.min_confidence, 0.60);
	ck_assert_str_eq(v.reason, "BTCUSDT: confidence 0.600, minimum 0.600, mode ACTIVE (EXPANSION)");
	/* the ceiling cannot lower the minimum confidence */
	s.ceiling = (struct gate_limits){1, 3.0, 0.01, -1, -1, 8};
	gate_strategy_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.approved, 1);
	/* stale mode with the safe side PASSIVE still trades, passively */
	s.mode_at_ms = T - 2 * cfg.stale_ms;
	gate_strategy_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.approved, 1);
}
END_TEST

START_TEST(test_gate_risk_refuses_client_emergency_and_full_book)
{
	struct gate_state s;
	base(&s, "EXPANSION");
	struct gate_signal g = signal_of(0.7);
	struct gate_risk_verdict v;
	snprintf(g.client_mode, sizeof(g.client_mode), "EMERGENCY");
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_CLIENT_EMERGENCY);
	ck_assert_double_eq(v.risk_score, 100);
	g = signal_of(0.7);
	s.open_positions = 10;
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_MAX_POSITIONS);
	ck_assert_str_eq(v.reason, "BTCUSDT: 10 positions open, limit 10");
	ck_assert(client_skips(&v));
	/* the ceiling's max_positions is the stricter */
	s.open_positions = 8;
	s.ceiling = (struct gate_limits){1, -1, -1, -1, -1, 8};
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_MAX_POSITIONS);
	/* max_positions 0 refuses even when the count is unknown */
	s.open_positions = -1;
	s.ceiling.max_positions = 0;
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_MAX_POSITIONS);
	ck_assert_str_eq(v.reason, "BTCUSDT: max_positions 0 allows no position");
}
END_TEST

/* ---- sizing ---- */

static void risk(struct gate_state *s, const struct gate_signal *g, struct gate_risk_verdict *v)
{
	gate_risk_evaluate(s, &cfg, g, T, v);
	ck_assert_msg(v->approved && v->code == GATE_R_NONE, "refused: %s", v->reason);
	ck_assert(!client_skips(v));
}

START_TEST(test_gate_defensive_sizes_smaller_than_expansion)
{
	struct gate_state s;
	struct gate_signal g = signal_of(0.75);
	struct gate_risk_verdict v;
	base(&s, "EXPANSION");
	risk(&s, &g, &v);
	ck_assert_int_eq(v.mode, GATE_ACTIVE);
	ck_assert_double_eq_tol(v.position_size_usd, 1000, 1e-9); /* cap 10,000 */
	ck_assert_double_eq_tol(v.leverage, 5, 1e-12);
	ck_assert_double_eq_tol(v.max_loss_usd, 20, 1e-9);
	ck_assert_double_eq(v.risk_score, 35);
	ck_assert_str_eq(v.reason, "BTCUSDT: 1000.00 USD at 5.00x, mode ACTIVE (EXPANSION), risk score 35.0");
	double expansion = v.position_size_usd;
	base(&s, "DEFENSIVE");
	s.limits = DEFENSIVE;
	risk(&s, &g, &v);
	ck_assert_int_eq(v.mode, GATE_PASSIVE);
	/* 1,000 x 0.7 x 0.01 / 0.015 (its risk per trade against NORMAL's), cap 3,500 */
	ck_assert_double_eq_tol(v.position_size_usd, 466.66, 1e-9);
	ck_assert_double_eq_tol(v.max_loss_usd, 9.33, 1e-9);
	ck_assert(v.position_size_usd < expansion);
	/* a larger request meets DEFENSIVE's cap: 10,000 x 0.01 x 0.7 / 0.02 */
	g.size_usd = 8000;
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.position_size_usd, 3500, 1e-9);
	ck_assert_double_eq_tol(v.max_loss_usd, 70, 1e-9);
}
END_TEST

START_TEST(test_gate_leverage_within_limits_and_ceiling)
{
	struct gate_state s;
	struct gate_signal g = signal_of(0.75);
	struct gate_risk_verdict v;
	base(&s, "GROWTH");
	g.leverage = 20;
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.leverage, 10, 1e-12);
	s.ceiling = (struct gate_limits){1, 3.2, 0.012, -1, -1, -1};
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.leverage, 3.2, 1e-12);
	g.leverage = 2;
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.leverage, 2, 1e-12);
	/* no request: the bound itself, and the risk cap as the size
	 * (10,000 x 0.012 x 1.0 / 0.02) */
	g.leverage = 0;
	g.size_usd = 0;
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.leverage, 3.2, 1e-12);
	ck_assert_double_eq_tol(v.position_size_usd, 6000, 1e-9);
	/* the margin cap: equity x leverage */
	s.ceiling.known = 0;
	s.limits.max_risk_pct_per_trade = 0.5;
	g.leverage = 2;
	g.size_usd = 50000;
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.position_size_usd, 20000, 1e-9);
}
END_TEST

START_TEST(test_gate_size_without_equity)
{
	struct gate_state s;
	struct gate_signal g = signal_of(0.75);
	struct gate_risk_verdict v;
	base(&s, "DEFENSIVE");
	s.limits = DEFENSIVE;
	s.equity_usd = -1;
	risk(&s, &g, &v);
	ck_assert_double_eq_tol(v.position_size_usd, 466.66, 1e-9);
	g.size_usd = 0;
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_NO_SIZE);
	ck_assert_str_eq(v.reason, "BTCUSDT: no equity known and no size requested");
	ck_assert(client_skips(&v));
	/* scaling 0 (the original's BLACK_SWAN limits in a non-swan mode) */
	s.equity_usd = 10000;
	s.limits.scaling_factor = 0;
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_NO_SIZE);
	s.limits = DEFENSIVE;
	s.limits.max_leverage = 0;
	gate_risk_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_NO_SIZE);
	ck_assert_str_eq(v.reason, "BTCUSDT: max leverage 0.00 allows no position");
}
END_TEST

START_TEST(test_gate_names_list_bounded)
{
	struct gate_state s;
	base(&s, "EXPANSION");
	char name[16];
	for (int i = 0; i < GATE_MAX_NAMES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		ck_assert_int_eq(gate_state_disable(&s, 0, name), 0);
	}
	ck_assert_int_eq(gate_state_disable(&s, 0, "one_more"), ORCH_EFULL);
	ck_assert_int_eq(gate_state_disable(&s, 0, "s3"), 0);
	ck_assert_int_eq(gate_state_disable(&s, 0, ""), ORCH_EINVAL);
	ck_assert_int_eq(s.names_dropped, 1);
	/* an unnamed signal is still judged; a named one is refused */
	struct gate_signal g = signal_of(0.7);
	g.strategy[0] = 0;
	struct gate_strategy_verdict v;
	gate_strategy_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.approved, 1);
	snprintf(g.model, sizeof(g.model), "ensemble");
	gate_strategy_evaluate(&s, &cfg, &g, T, &v);
	ck_assert_int_eq(v.code, GATE_R_NAMES_INCOMPLETE);
	ck_assert_str_eq(gate_refusal_name(v.code), "names_incomplete");
}
END_TEST

int main(void)
{
	int n = (int)(sizeof(BOTH) / sizeof(BOTH[0]));
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("mode");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_gate_maps_every_operating_mode);
	tcase_add_test(tc, test_gate_emergency_stop_overrides_any_mode);
	tcase_add_test(tc, test_gate_stale_or_missing_mode_answers_the_safe_side);
	tcase_add_test(tc, test_gate_confidence_falls_with_age);
	tcase_add_test(tc, test_gate_config_validated);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusal");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_gate_strategy_refuses_with_a_code, 0, n);
	tcase_add_loop_test(tc, test_gate_risk_refuses_so_the_client_skips, 0, n);
	tcase_add_test(tc, test_gate_strategy_approves_at_the_minimum);
	tcase_add_test(tc, test_gate_risk_refuses_client_emergency_and_full_book);
	tcase_add_test(tc, test_gate_names_list_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("sizing");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_gate_defensive_sizes_smaller_than_expansion);
	tcase_add_test(tc, test_gate_leverage_within_limits_and_ceiling);
	tcase_add_test(tc, test_gate_size_without_equity);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
