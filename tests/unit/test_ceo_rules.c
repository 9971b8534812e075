/*
 * test_ceo_rules.c - the CEO's default rule set (test_ceo_brain.c has the
 * original's): every rule at and just off its threshold, the safest input
 * winning, the drawdown bands that must heal, no upgrade on no evidence;
 * BLACK_SWAN left for CAPITAL_PRESERVATION after the calm window (from
 * any state, never a dead end); volatility targeting with its noise band
 * and bounds; the Risk Officer's and Strategy Officer's new fields read
 * from their payloads; ORCH_CEO_RULES setting the defaults of the rows
 * after it.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ceo_brain.h"
#include "ceo_config.h"
#include "ceo_inputs.h"
#include "orch.h"
#include "run_suite.h"

static const double E = 1e-9;

/* A state the default rules answer with EXPANSION: healed, some edge. */
static struct ceo_state calm(void)
{
	struct ceo_state s;
	memset(&s, 0, sizeof(s));
	s.current = CEO_EXPANSION;
	s.health = CEO_HEALTHY;
	s.risk_known = 1;
	s.risk_score = 20;
	s.dd_sigma_known = 1;
	s.dd_sigma = 0.2;
	s.book_trades = 40;
	s.book_psr = 0.7;
	return s;
}

static void want(const struct ceo_state *s, enum ceo_mode mode, const char *rule, const char *what)
{
	struct ceo_thresholds t;
	struct ceo_recommendation r;
	ceo_thresholds_defaults(CEO_RULES_DEFAULT, &t);
	ceo_policy_recommend(s, &t, &r);
	ck_assert_msg(r.mode == mode && strcmp(r.rule, rule) == 0,
		      "%s: got %s by %s (%s), want %s by %s",
		      what,
		      ceo_mode_name(r.mode),
		      r.rule,
		      r.reason,
		      ceo_mode_name(mode),
		      rule);
}

START_TEST(test_default_rules_at_and_around_every_threshold)
{
	struct ceo_state s = calm();
	want(&s, CEO_EXPANSION, "expansion", "calm");
	s.tail_event = 1;
	want(&s, CEO_BLACK_SWAN, "black_swan_tail", "tail event");
	s.health = CEO_OFFLINE; /* a tie: the first named wins */
	want(&s, CEO_BLACK_SWAN, "black_swan_tail", "tail and offline");
	s = calm();
	s.health = CEO_OFFLINE;
	want(&s, CEO_BLACK_SWAN, "black_swan_offline", "offline");
	s.health = CEO_CRITICAL;
	want(&s, CEO_CAPITAL_PRESERVATION, "preservation_health", "critical health");
	/* drawdown in sigmas: 2 and 1, and the bands down to half of each */
	s = calm();
	s.dd_sigma = 2;
	want(&s, CEO_CAPITAL_PRESERVATION, "preservation_drawdown", "dd at 2");
	s.dd_sigma = 2 - E;
	want(&s, CEO_DEFENSIVE, "defensive_drawdown", "dd below 2");
	s.dd_sigma = 1;
	want(&s, CEO_DEFENSIVE, "defensive_drawdown", "dd at 1");
	s.dd_sigma = 1 - E;
	want(&s, CEO_EXPANSION, "expansion", "dd below 1 from EXPANSION");
	s.current = CEO_DEFENSIVE;
	want(&s, CEO_DEFENSIVE, "defensive_drawdown", "dd not healed in DEFENSIVE");
	s.dd_sigma = 0.5 - E;
	want(&s, CEO_EXPANSION, "expansion", "dd healed");
	s.current = CEO_CAPITAL_PRESERVATION;
	s.dd_sigma = 1;
	want(&s, CEO_CAPITAL_PRESERVATION, "preservation_drawdown", "dd not healed in CAPITAL_PRESERVATION");
	s.dd_sigma = 1 - E;
	want(&s, CEO_DEFENSIVE, "defensive_drawdown", "half healed from CAPITAL_PRESERVATION");
	s = calm();
	s.dd_sigma_known = 0;
	s.dd_sigma = 50; /* unknown: a short history is no crash */
	want(&s, CEO_EXPANSION, "expansion", "dd unknown");
	/* risk score */
	s = calm();
	s.risk_score = 85;
	want(&s, CEO_CAPITAL_PRESERVATION, "preservation_risk", "risk at 85");
	s.risk_score = 85 - E;
	want(&s, CEO_DEFENSIVE, "defensive_risk", "risk below 85");
	s.risk_score = 70 - E;
	want(&s, CEO_EXPANSION, "hold", "risk above the upgrade ceiling holds");
	s.current = CEO_DEFENSIVE;
	want(&s, CEO_DEFENSIVE, "hold", "no upgrade above the ceiling");
	s.risk_score = 50;
	want(&s, CEO_EXPANSION, "expansion", "risk at the ceiling");
	/* evidence of edge */
	s = calm();
	s.book_psr = 0.05 - E;
	want(&s, CEO_DEFENSIVE, "defensive_edge", "negative edge");
	s.book_psr = 0.05;
	want(&s, CEO_EXPANSION, "hold", "ambiguous edge holds EXPANSION");
	s.current = CEO_DEFENSIVE;
	want(&s, CEO_DEFENSIVE, "hold", "ambiguous edge holds DEFENSIVE");
	s.book_psr = 0.5;
	want(&s, CEO_EXPANSION, "expansion", "even odds");
	s.book_psr = 0.95;
	want(&s, CEO_GROWTH, "growth", "strong edge");
	s.health = CEO_DEGRADED;
	want(&s, CEO_EXPANSION, "expansion", "GROWTH needs HEALTHY");
	s = calm();
	s.current = CEO_GROWTH;
	s.book_trades = 19; /* too few: no evidence, GROWTH not held */
	s.book_psr = 1;
	want(&s, CEO_EXPANSION, "hold", "no evidence in GROWTH");
	s.current = CEO_BLACK_SWAN;
	want(&s, CEO_DEFENSIVE, "hold", "no evidence from BLACK_SWAN");
	/* the safest wins whatever the order of the inputs */
	s = calm();
	s.book_psr = 0.99;
	s.risk_score = 72;
	want(&s, CEO_DEFENSIVE, "defensive_risk", "growth evidence, defensive risk");
}
END_TEST

static struct ceo_inputs fresh(int64_t now)
{
	struct ceo_inputs in;
	memset(&in, 0, sizeof(in));
	in.risk_ms = in.strategy_ms = now;
	in.risk_score = 20;
	in.dd_sigma_known = 1;
	in.dd_sigma = 0.1;
	in.book_trades = 40;
	in.book_psr = 0.7;
	return in;
}

START_TEST(test_black_swan_left_after_calm_from_any_state)
{
	struct ceo_brain_config c;
	ceo_brain_config_defaults(&c, CEO_RULES_DEFAULT);
	const int64_t day = 86400000, calm = c.black_swan_calm_ms;
	ck_assert_int_eq(calm, 14 * day);
	struct ceo_brain b;
	struct ceo_decision d;
	ceo_brain_init(&b, CEO_EXPANSION, 0);
	struct ceo_inputs in = fresh(day);
	in.tail_event = 1;
	ceo_brain_decide(&b, &c, &in, day, &d);
	ck_assert(d.changed);
	ck_assert_int_eq(d.mode, CEO_BLACK_SWAN);
	/* calm, but no evidence at all (the book closed everything): the
	 * window still runs out, BLACK_SWAN is no dead end */
	in = fresh(2 * day);
	in.book_trades = 0;
	in.dd_sigma_known = 0;
	ceo_brain_decide(&b, &c, &in, 2 * day, &d);
	ck_assert(!d.changed);
	ck_assert_str_eq(d.hold, "black_swan_calm");
	/* another tail event in the window starts it again */
	in.tail_event = 1;
	ceo_brain_decide(&b, &c, &in, 5 * day, &d);
	ck_assert_int_eq(d.mode, CEO_BLACK_SWAN);
	in.tail_event = 0;
	ceo_brain_decide(&b, &c, &in, 5 * day + calm - 1, &d);
	ck_assert(!d.changed);
	ck_assert_str_eq(d.hold, "black_swan_calm");
	ck_assert_str_eq(d.hold_detail, "DEFENSIVE recommended; BLACK_SWAN is left after 1 s more of calm");
	ceo_brain_decide(&b, &c, &in, 5 * day + calm, &d);
	ck_assert(d.changed);
	ck_assert_int_eq(d.mode, CEO_CAPITAL_PRESERVATION);
	ck_assert_str_eq(d.rule, "black_swan_calm");
	/* an operator's BLACK_SWAN counts as called for when set */
	ceo_brain_set_mode(&b, CEO_BLACK_SWAN, 100 * day);
	ceo_brain_decide(&b, &c, &in, 100 * day + calm - 1, &d);
	ck_assert_int_eq(d.mode, CEO_BLACK_SWAN);
	ceo_brain_decide(&b, &c, &in, 100 * day + calm, &d);
	ck_assert_int_eq(d.mode, CEO_CAPITAL_PRESERVATION);
	/* manual exit stays a setting */
	c.black_swan_exit_auto = 0;
	ceo_brain_set_mode(&b, CEO_BLACK_SWAN, 200 * day);
	ceo_brain_decide(&b, &c, &in, 300 * day, &d);
	ck_assert_int_eq(d.mode, CEO_BLACK_SWAN);
	ck_assert_str_eq(d.hold, "black_swan_manual_exit");
}
END_TEST

static double scaling(const struct ceo_brain_config *c, enum ceo_mode m, double vol_long, double vol_short,
		      double *ratio)
{
	struct ceo_inputs in = fresh(1);
	in.unit_n = CEO_VOL_MIN_PERIODS;
	in.unit_vol_long = vol_long;
	in.unit_vol_short = vol_short;
	in.unit_lambda = 0.94;
	struct ceo_limits l;
	ceo_brain_limits(c, m, &in, &l, ratio);
	return l.scaling_factor;
}

START_TEST(test_volatility_targeting_band_and_bounds)
{
	struct ceo_brain_config c;
	ceo_brain_config_defaults(&c, CEO_RULES_DEFAULT);
	double r;
	/* within two standard errors of 1 (1.2485 for lambda 0.94): noise */
	ck_assert_double_eq(scaling(&c, CEO_EXPANSION, 0.2, 0.2 / 1.24, &r), 1);
	ck_assert_double_eq(scaling(&c, CEO_EXPANSION, 0.2, 0.2 * 1.24, &r), 1);
	/* twice the norm's volatility: 0.5 beyond the band, 0.62, in 0.05 steps */
	ck_assert_double_eq_tol(scaling(&c, CEO_EXPANSION, 0.2, 0.4, &r), 0.6, 1e-12);
	ck_assert_double_eq_tol(r, 0.6, 1e-12);
	/* the mode's own size scales: DEFENSIVE's 1 too, its risk per trade halved */
	ck_assert_double_eq_tol(scaling(&c, CEO_DEFENSIVE, 0.2, 0.4, &r), 0.6, 1e-12);
	ck_assert_double_eq(c.limits[CEO_DEFENSIVE].max_risk_pct_per_trade, 0.0075);
	/* never below a quarter */
	ck_assert_double_eq_tol(scaling(&c, CEO_EXPANSION, 0.1, 10, &r), 0.25, 1e-12);
	/* calmer than the norm: above 1 only in GROWTH, at most 1.5 */
	ck_assert_double_eq(scaling(&c, CEO_EXPANSION, 0.6, 0.1, &r), 1);
	ck_assert_double_eq_tol(scaling(&c, CEO_GROWTH, 0.6, 0.1, &r), 1.5, 1e-12);
	ck_assert_double_eq_tol(scaling(&c, CEO_GROWTH, 0.2, 0.2 / 1.5, &r), 1.2, 1e-12);
	/* too few periods, or the original rules: no targeting */
	struct ceo_inputs in = fresh(1);
	in.unit_n = CEO_VOL_MIN_PERIODS - 1;
	in.unit_vol_long = 0.2;
	in.unit_vol_short = 0.4;
	struct ceo_limits l;
	ceo_brain_limits(&c, CEO_EXPANSION, &in, &l, &r);
	ck_assert_double_eq(l.scaling_factor, 1);
	ck_assert_double_eq(r, 1);
	struct ceo_brain_config o;
	ceo_brain_config_defaults(&o, CEO_RULES_ORIGINAL);
	ck_assert_double_eq(scaling(&o, CEO_EXPANSION, 0.2, 0.4, &r), 1);
	/* the Risk Officer's score-based risk per trade binds only the
	 * original rules; its leverage and positions bind both */
	in = fresh(1);
	in.ceiling_ms = 1;
	in.ceiling_max_risk_per_trade = 0.005;
	in.ceiling_max_leverage = 2;
	in.ceiling_max_positions = 3;
	ceo_brain_limits(&c, CEO_EXPANSION, &in, &l, NULL);
	ck_assert_double_eq(l.max_risk_pct_per_trade, 0.015);
	ck_assert_double_eq(l.max_leverage, 2);
	ck_assert_int_eq(l.max_positions, 3);
	ceo_brain_limits(&o, CEO_EXPANSION, &in, &l, NULL);
	ck_assert_double_eq(l.max_risk_pct_per_trade, 0.005);
}
END_TEST

static int apply_json(struct ceo_inputs *in, const char *type, const char *text)
{
	json_t *p = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(p);
	char why[160];
	int critical;
	int rc = ceo_inputs_apply(in, ceo_event_of(type), p, 1000, &critical, why, sizeof(why));
	json_decref(p);
	return rc;
}

START_TEST(test_inputs_read_the_measures_the_default_rules_need)
{
	struct ceo_inputs in;
	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(
		apply_json(&in,
			   "risk_state_update",
			   "{\"risk_score\": 30, \"metrics\": {\"drawdown_sigma\": 1.25, \"unit_periods\": 40,"
			   " \"unit_volatility_short\": 0.3, \"unit_volatility_long\": 0.2, \"ewma_lambda\": 0.94},"
			   " \"active_alerts\": [{\"code\": \"TAIL_EVENT\", \"level\": \"CRITICAL\"}]}"),
		0);
	ck_assert(in.dd_sigma_known);
	ck_assert_double_eq(in.dd_sigma, 1.25);
	ck_assert_int_eq(in.unit_n, 40);
	ck_assert_double_eq(in.unit_vol_short, 0.3);
	ck_assert_double_eq(in.unit_vol_long, 0.2);
	ck_assert_double_eq(in.unit_lambda, 0.94);
	ck_assert(in.tail_event);
	/* the original's producer sends none of them: unknown, no tail */
	ck_assert_int_eq(apply_json(&in, "risk_state_update", "{\"risk_score\": 30, \"metrics\": {}}"), 0);
	ck_assert(!in.dd_sigma_known);
	ck_assert(!in.tail_event);
	/* a risk_alert raising TAIL_EVENT counts at once, whatever its value */
	ck_assert_int_eq(apply_json(&in,
				    "risk_alert",
				    "{\"level\": \"critical\", \"alert_level\": \"CRITICAL\", \"alert_details\":"
				    " [{\"code\": \"TAIL_EVENT\", \"level\": \"CRITICAL\", \"value\": 2.4}]}"),
			 0);
	ck_assert(in.tail_event);
	/* out of range is malformed, not read */
	ck_assert_int_eq(
		apply_json(&in, "risk_state_update", "{\"risk_score\": 30, \"metrics\": {\"drawdown_sigma\": -1}}"),
		ORCH_EMALFORMED);
	/* the book's pooled evidence; a PSR outside [0, 1] is no evidence */
	ck_assert_int_eq(apply_json(&in,
				    "strategy_state_update",
				    "{\"win_rate\": 0.4, \"book\": {\"trades\": 33, \"psr\": 0.97}}"),
			 0);
	ck_assert_int_eq(in.book_trades, 33);
	ck_assert_double_eq(in.book_psr, 0.97);
	ck_assert_int_eq(
		apply_json(&in, "strategy_state_update", "{\"win_rate\": 0.4, \"book\": {\"trades\": 33, \"psr\": 2}}"),
		0);
	ck_assert_int_eq(in.book_trades, 0);
}
END_TEST

START_TEST(test_rule_set_sets_the_defaults_of_the_rows_after_it)
{
	struct ceo_config c;
	char err[256];
	setenv("ORCH_CEO_RULES", "original", 1);
	ck_assert_int_eq(ceo_config_load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.brain.rules, CEO_RULES_ORIGINAL);
	ck_assert_int_eq(c.brain.black_swan_exit_auto, 0);
	ck_assert_int_eq(c.brain.vol_target, 0);
	ck_assert_double_eq(c.brain.limits[CEO_GROWTH].max_leverage, 15);
	setenv("ORCH_CEO_RULES", "default", 1);
	setenv("ORCH_CEO_DEFENSIVE_DD_SIGMA", "1.5", 1);
	ck_assert_int_eq(ceo_config_load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.brain.rules, CEO_RULES_DEFAULT);
	ck_assert_int_eq(c.brain.black_swan_exit_auto, 1);
	ck_assert_double_eq(c.brain.th.defensive_dd_sigma, 1.5);
	ck_assert_double_eq(c.brain.limits[CEO_GROWTH].max_leverage, 5);
	/* the order a rule set needs is checked */
	setenv("ORCH_CEO_DEFENSIVE_DD_SIGMA", "3", 1);
	ck_assert_int_eq(ceo_config_load(&c, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "drawdowns in sigmas") != NULL);
	unsetenv("ORCH_CEO_DEFENSIVE_DD_SIGMA");
	setenv("ORCH_CEO_RULES", "newest", 1);
	ck_assert_int_eq(ceo_config_load(&c, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "ORCH_CEO_RULES") != NULL);
	unsetenv("ORCH_CEO_RULES");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ceo_rules");
	TCase *tc = tcase_create("default");
	tcase_add_test(tc, test_default_rules_at_and_around_every_threshold);
	tcase_add_test(tc, test_black_swan_left_after_calm_from_any_state);
	tcase_add_test(tc, test_volatility_targeting_band_and_bounds);
	tcase_add_test(tc, test_inputs_read_the_measures_the_default_rules_need);
	tcase_add_test(tc, test_rule_set_sets_the_defaults_of_the_rows_after_it);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
