/*
 * test_strategy_stats.c - the evidence about one strategy, and about the
 * book, as pure maths (strategy_stats.h).
 *
 * Reference values of the Wilson interval, the Probabilistic Sharpe
 * Ratio and the per-trade statistics were computed independently with
 * Debian 12's /usr/bin/python3 (3.11), statistics.NormalDist for the
 * normal quantile and CDF, from the published formulas (Wilson 1927;
 * Bailey and Lopez de Prado 2012, eq. for PSR with population skewness
 * and non-excess kurtosis), not with this code. The book's evidence,
 * pooled from each set's sums (Pebay 2008), equals the evidence of the
 * union of the sets, for sets of every shape.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>

#include "run_suite.h"
#include "strategy_stats.h"

START_TEST(test_wilson_matches_reference)
{
	static const struct {
		long w, n;
		double conf, lo, hi;
	} cases[] = {
		{14, 20, 0.95, 0.48102718164647651, 0.85452275513239562},
		{0, 10, 0.95, 0.0, 0.27753279986288915},
		{10, 10, 0.95, 0.72246720013711085, 1.0},
		{55, 100, 0.99, 0.42275476909843906, 0.6710231621299787},
		{1, 3, 0.90, 0.078265726333728469, 0.74646613171877574},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double lo, hi;
		strat_wilson(cases[i].w, cases[i].n, cases[i].conf, &lo, &hi);
		ck_assert_double_eq_tol(lo, cases[i].lo, 1e-12);
		ck_assert_double_eq_tol(hi, cases[i].hi, 1e-12);
	}
	double lo, hi;
	strat_wilson(0, 0, 0.95, &lo, &hi);
	ck_assert_double_eq(lo, 0);
	ck_assert_double_eq(hi, 1);
}
END_TEST

static const double R20[20] = {0.012, -0.004, 0.021,  -0.015, 0.008,  0.003, -0.007, 0.017,  0.002, -0.011,
			       0.009, 0.014,  -0.002, 0.006,  -0.009, 0.011, 0.004,  -0.001, 0.013, -0.006};

START_TEST(test_perf_and_psr_match_reference)
{
	struct strat_perf p;
	strat_perf_compute(R20, 20, 0.95, &p);
	ck_assert_int_eq(p.trades, 20);
	ck_assert_int_eq(p.wins, 12);
	ck_assert_int_eq(p.losses, 8);
	ck_assert_double_eq_tol(p.sharpe, 0.32570789826783919, 1e-12);
	ck_assert_double_eq_tol(p.skewness, -0.079796238185366491, 1e-12);
	ck_assert_double_eq_tol(p.kurtosis, 2.0422041314409904, 1e-12);
	ck_assert_double_eq_tol(p.psr, 0.91668643256605975, 1e-12);
	ck_assert_double_eq_tol(strat_psr(p.sharpe, 0.1, 20, p.skewness, p.kurtosis), 0.83108751992582952, 1e-12);
	ck_assert_double_eq_tol(p.max_drawdown, 0.015, 1e-12);
	ck_assert_double_eq_tol(p.profit_factor, 2.1818181818181817, 1e-12);
	ck_assert_double_eq_tol(p.sortino, 0.62955656093367329, 1e-12);
	ck_assert_double_eq_tol(p.expectancy, 0.00325, 1e-15);
	ck_assert_int_eq(p.consecutive_losses, 1);
	ck_assert_int_eq(p.max_consecutive_losses, 1);
	/* degenerate: nothing, and a constant series */
	strat_perf_compute(NULL, 0, 0.95, &p);
	ck_assert_double_eq(p.psr, 0.5);
	ck_assert_double_eq(p.wilson_upper, 1);
	double flat[5] = {0.01, 0.01, 0.01, 0.01, 0.01};
	strat_perf_compute(flat, 5, 0.95, &p);
	ck_assert_double_eq(p.sharpe, 0);
	ck_assert_double_eq(p.psr, 1);
	ck_assert_double_eq(p.profit_factor, STRAT_PF_CAP);
	ck_assert(isfinite(p.skewness) && isfinite(p.kurtosis));
}
END_TEST

START_TEST(test_pooled_evidence_equals_the_evidence_of_the_union)
{
	/* sets of returns of every kind (flat, all wins, all losses, mixed,
	 * one trade, large and tiny), pooled by their sums, against the
	 * evidence computed over their concatenation */
	static double r[400];
	uint64_t x = 0x2545F4914F6CDD1DULL;
	for (int i = 0; i < 400; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double u = (double)(x >> 11) / 9007199254740992.0;
		r[i] = i < 20 ? 0.01 : i < 40 ? 0.02 + u : i < 60 ? -0.5 * u : i < 61 ? 0.3 : (u - 0.45) * (i % 7 + 1);
	}
	const size_t cuts[] = {0, 20, 40, 60, 61, 150, 151, 400};
	struct strat_perf part[7], pooled, whole;
	const struct strat_perf *ptr[7];
	for (int k = 0; k < 7; k++) {
		strat_perf_compute(r + cuts[k], cuts[k + 1] - cuts[k], 0.95, &part[k]);
		ptr[k] = &part[k];
	}
	strat_perf_pool(ptr, 7, 0.95, &pooled);
	strat_perf_compute(r, 400, 0.95, &whole);
	ck_assert_int_eq(pooled.trades, 400);
	ck_assert_int_eq(pooled.wins, whole.wins);
	ck_assert_int_eq(pooled.losses, whole.losses);
	const double got[] = {pooled.win_rate,
			      pooled.wilson_lower,
			      pooled.profit_factor,
			      pooled.expectancy,
			      pooled.avg_win,
			      pooled.avg_loss,
			      pooled.sd,
			      pooled.sharpe,
			      pooled.sortino,
			      pooled.skewness,
			      pooled.kurtosis,
			      pooled.psr};
	const double want[] = {whole.win_rate,
			       whole.wilson_lower,
			       whole.profit_factor,
			       whole.expectancy,
			       whole.avg_win,
			       whole.avg_loss,
			       whole.sd,
			       whole.sharpe,
			       whole.sortino,
			       whole.skewness,
			       whole.kurtosis,
			       whole.psr};
	for (size_t i = 0; i < sizeof(got) / sizeof(got[0]); i++)
		ck_assert_msg(fabs(got[i] - want[i]) <= 1e-9 * fmax(1, fabs(want[i])),
			      "field %zu: %.15g vs %.15g",
			      i,
			      got[i],
			      want[i]);
	/* none, or only empty sets: no evidence */
	strat_perf_pool(ptr, 0, 0.95, &pooled);
	ck_assert_int_eq(pooled.trades, 0);
	ck_assert_double_eq(pooled.psr, 0.5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strategy_stats");
	TCase *tc = tcase_create("stats");
	tcase_add_test(tc, test_wilson_matches_reference);
	tcase_add_test(tc, test_perf_and_psr_match_reference);
	tcase_add_test(tc, test_pooled_evidence_equals_the_evidence_of_the_union);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
