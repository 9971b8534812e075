/*
 * test_risk_cycle.c - one turn of the Risk Officer (risk_cycle.c): the
 * reference limits a policy document sets over ORCH_RISK_*, a ceiling
 * update due once per change of the ceilings, a risk_alert only when a
 * level rises, and an assessment that measures against the limits in
 * force.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "orch.h"
#include "risk_cycle.h"
#include "run_suite.h"

static const struct risk_limits env = {
	.max_drawdown = 0.15,
	.max_daily_drawdown = 0.05,
	.var_ceiling = 0.03,
	.es_ceiling = 0.05,
	.vol_ceiling = 1.0,
	.max_leverage = 5,
	.concentration_ceiling = 0.5,
	.max_risk_per_trade = 0.015,
	.max_positions = 30,
	.score_critical = 80,
	.tail_multiple = 2,
	.hysteresis = 0.1,
};

static const struct risk_book_config book_cfg = {.window_count = 100,
						 .period_ms = 86400000,
						 .ewma_lambda = 0.94,
						 .max_strategies = 4,
						 .conf = {0.95, 0.99},
						 .n_conf = 2};

/* A snapshot of equity with gross exposure at t_ms. */
static void snapshot(struct risk_book *b, int64_t t_ms, double equity, double exposure)
{
	struct risk_input in;
	char why[128];
	memset(&in, 0, sizeof(in));
	in.kind = RISK_IN_SNAPSHOT;
	in.t_ms = t_ms;
	in.equity = equity;
	in.total_exposure = exposure;
	in.open_positions = exposure > 0 ? 1 : 0;
	in.n_symbols = exposure > 0 ? 1 : 0;
	in.symbol_exposure[0] = exposure;
	ck_assert_int_eq(risk_book_apply(b, &in, in.t_ms, why, sizeof(why)), 0);
}

START_TEST(risk_cycle__policy_limits_overlay_the_settings)
{
	json_t *doc = json_pack("{s:{s:f, s:i, s:f}}",
				"risk_limits",
				"max_leverage",
				2.0,
				"max_positions",
				4,
				"max_daily_drawdown",
				-1.0);
	struct risk_limits l;
	char err[128];
	ck_assert_int_eq(risk_cycle_limits_from_policy(&env, doc, &l, err, sizeof(err)), 0);
	ck_assert_double_eq(l.max_leverage, 2);
	ck_assert_int_eq(l.max_positions, 4);
	ck_assert_double_eq(l.max_daily_drawdown, env.max_daily_drawdown); /* not positive: ignored */
	ck_assert_double_eq(l.max_drawdown, env.max_drawdown);
	json_decref(doc);
	/* no risk_limits, or no document: the settings */
	ck_assert_int_eq(risk_cycle_limits_from_policy(&env, NULL, &l, err, sizeof(err)), 0);
	ck_assert_mem_eq(&l, &env, sizeof(l));
	/* settings that are unusable stay refused */
	struct risk_limits broken = env;
	broken.hysteresis = 0.7;
	l.max_leverage = 99;
	ck_assert_int_eq(risk_cycle_limits_from_policy(&broken, NULL, &l, err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(err, "hysteresis: must be in [0, 0.5)");
	ck_assert_double_eq(l.max_leverage, 99);
}
END_TEST

START_TEST(risk_cycle__ceiling_update_due_once_per_change)
{
	struct risk_book *b;
	ck_assert_int_eq(risk_book_new(&b, &book_cfg), 0);
	struct risk_cycle c;
	risk_cycle_init(&c, b, &book_cfg, &env);
	struct risk_assessment a;
	struct risk_alert ch[RISK_A_COUNT];
	int n;
	int64_t day = 86400000LL * 20000;
	snapshot(b, day, 1000000, 0);
	risk_cycle_assess(&c, day, &a, ch, &n);
	ck_assert_int_eq(a.now_ms, day);
	ck_assert_int_eq(a.period_ms, book_cfg.period_ms);
	ck_assert_int_eq(risk_cycle_ceilings_due(&c, &a), 1);
	ck_assert_int_eq(risk_cycle_ceilings_due(&c, &a), 0);
	/* four times leverage: a higher score, tighter ceilings */
	snapshot(b, day + 1000, 1000000, 4000000);
	risk_cycle_assess(&c, day + 1000, &a, ch, &n);
	ck_assert(a.score.score > 0);
	ck_assert_int_eq(risk_cycle_ceilings_due(&c, &a), 1);
	json_t *p = risk_cycle_ceiling_payload(&a);
	ck_assert_ptr_nonnull(p);
	ck_assert(strstr(json_string_value(json_object_get(p, "reason")), "scales the active mode's limits"));
	json_decref(p);
	/* the same leverage against a policy's lower limit scores higher */
	double before = a.score.score;
	c.limits.max_leverage = 2;
	risk_cycle_assess(&c, day + 1000, &a, ch, &n);
	ck_assert(a.score.score > before);
	risk_book_free(b);
}
END_TEST

START_TEST(risk_cycle__alert_only_when_a_level_rises)
{
	struct risk_alert ch[2] = {{.code = RISK_A_VAR, .level = RISK_ALERT_INFO, .previous = RISK_ALERT_WARNING},
				   {.code = RISK_A_ES, .level = RISK_ALERT_NONE, .previous = RISK_ALERT_INFO}};
	ck_assert_int_eq(risk_cycle_raised(ch, 2), 0);
	ch[1].level = RISK_ALERT_CRITICAL;
	ck_assert_int_eq(risk_cycle_raised(ch, 2), 1);
	ck_assert_int_eq(risk_cycle_raised(ch, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("risk_cycle");
	TCase *tc = tcase_create("cycle");
	tcase_add_test(tc, risk_cycle__policy_limits_overlay_the_settings);
	tcase_add_test(tc, risk_cycle__ceiling_update_due_once_per_change);
	tcase_add_test(tc, risk_cycle__alert_only_when_a_level_rises);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
