/*
 * test_strategy_policy.c - the Strategy Officer's part of the policy
 * document (strategy_policy.c): the mode and the thresholds for it, with
 * overrides, unusable overrides refused; the disabled set, an absent list
 * counting as empty, stored into a copy.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "orch.h"
#include "run_suite.h"
#include "strategy_policy.h"

START_TEST(strategy_policy__mode_and_thresholds)
{
	struct strat_thresholds base, t, want;
	strat_thresholds_defaults(&base);
	char mode[32], err[128];
	json_t *doc = json_pack("{s:s, s:s}", "operating_mode", "DEFENSIVE", "active_mode", "DEFENSIVE");
	ck_assert_int_eq(strat_policy_thresholds(&base, doc, &t, mode, sizeof(mode), err, sizeof(err)), 0);
	ck_assert_str_eq(mode, "DEFENSIVE");
	want = base;
	strat_thresholds_for_mode(&want, "DEFENSIVE");
	ck_assert_double_eq(t.disable_win_rate, want.disable_win_rate);
	ck_assert(t.disable_win_rate > base.disable_win_rate);
	json_decref(doc);
	/* the original's document: NORMAL is GROWTH, with an override */
	doc = json_pack("{s:s, s:{s:i}}", "active_mode", "NORMAL", "strategy_thresholds", "min_trades", 7);
	ck_assert_int_eq(strat_policy_thresholds(&base, doc, &t, mode, sizeof(mode), err, sizeof(err)), 0);
	ck_assert_str_eq(mode, "GROWTH");
	ck_assert_int_eq(t.min_trades, 7);
	ck_assert_double_eq(t.disable_win_rate, base.disable_win_rate);
	json_decref(doc);
	/* an enable threshold below its disable threshold: refused, nothing set */
	doc = json_pack(
		"{s:s, s:{s:f}}", "operating_mode", "BLACK_SWAN", "strategy_thresholds", "enable_win_rate", 0.1);
	snprintf(mode, sizeof(mode), "unchanged");
	t.min_trades = -5;
	ck_assert_int_eq(strat_policy_thresholds(&base, doc, &t, mode, sizeof(mode), err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(mode, "unchanged");
	ck_assert_int_eq(t.min_trades, -5);
	ck_assert(strstr(err, "win rates"));
	json_decref(doc);
}
END_TEST

START_TEST(strategy_policy__disabled_set)
{
	json_t *doc = json_pack("{s:s}", "active_mode", "NORMAL");
	json_t *none = json_pack("{s:[], s:[]}", "strategies", "models");
	json_t *some = json_pack("{s:[s], s:[]}", "strategies", "trend_DAX", "models");
	ck_assert_int_eq(strat_policy_holds_disabled(doc, none), 1);
	ck_assert_int_eq(strat_policy_holds_disabled(doc, some), 0);
	json_t *next = strat_policy_with_disabled(doc, some);
	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(strat_policy_holds_disabled(next, some), 1);
	ck_assert_int_eq(strat_policy_holds_disabled(next, none), 0);
	ck_assert_str_eq(json_string_value(json_object_get(next, "active_mode")), "NORMAL");
	ck_assert_ptr_null(json_object_get(doc, "disabled_strategies")); /* a copy was changed */
	json_decref(next);
	json_decref(some);
	json_decref(none);
	json_decref(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strategy_policy");
	TCase *tc = tcase_create("policy");
	tcase_add_test(tc, strategy_policy__mode_and_thresholds);
	tcase_add_test(tc, strategy_policy__disabled_set);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
