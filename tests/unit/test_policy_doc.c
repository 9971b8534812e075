/*
 * test_policy_doc.c - the default PolicyStore document against the
 * original's DEFAULT_POLICIES (issue 15): DEFENSIVE scales positions by 0.7
 * and keeps RL on, turns off continuous learning and retraining, and has
 * the original's limits; the document passes the schema.
 */
#include <check.h>
#include <jansson.h>

#include "orch.h"
#include "policy.h"
#include "run_suite.h"

static const int64_t T = 1767225600000;

START_TEST(test_policy_doc_defensive_defaults_are_the_originals_issue_15)
{
	json_t *doc = policy_default_doc(T);
	const json_t *m = json_object_get(json_object_get(doc, "modes"), "DEFENSIVE");
	ck_assert_ptr_nonnull(m);
	/* issue 15: these were 1.0 and RL off */
	ck_assert(json_is_real(json_object_get(m, "scaling_factor")));
	ck_assert_double_eq_tol(json_real_value(json_object_get(m, "scaling_factor")), 0.7, 1e-12);
	ck_assert(json_is_true(json_object_get(m, "enable_rl")));
	/* the rest of the original's DEFENSIVE column */
	ck_assert_double_eq_tol(json_number_value(json_object_get(m, "max_leverage")), 3.0, 1e-12);
	ck_assert_double_eq_tol(json_number_value(json_object_get(m, "max_risk_pct_per_trade")), 0.0075, 1e-12);
	ck_assert_double_eq_tol(json_number_value(json_object_get(m, "max_daily_drawdown")), 0.03, 1e-12);
	ck_assert(json_is_integer(json_object_get(m, "max_positions")));
	ck_assert_int_eq(json_integer_value(json_object_get(m, "max_positions")), 10);
	ck_assert_double_eq_tol(json_number_value(json_object_get(m, "global_min_confidence")), 0.6, 1e-12);
	ck_assert_double_eq_tol(json_number_value(json_object_get(m, "position_size_cap")), 500.0, 1e-12);
	ck_assert(json_is_true(json_object_get(m, "enable_meta_strategy")));
	ck_assert(json_is_true(json_object_get(m, "enable_pal")));
	ck_assert(json_is_true(json_object_get(m, "enable_pba")));
	ck_assert(json_is_false(json_object_get(m, "enable_clm")));
	ck_assert(json_is_false(json_object_get(m, "enable_retraining")));
	ck_assert(json_is_true(json_object_get(m, "enable_dynamic_tpsl")));
	char err[200];
	ck_assert_int_eq(policy_validate(doc, err, sizeof(err)), 0);
	json_decref(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_doc");
	TCase *tc = tcase_create("defaults");
	tcase_add_test(tc, test_policy_doc_defensive_defaults_are_the_originals_issue_15);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
