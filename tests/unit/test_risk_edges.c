/*
 * test_risk_edges.c - the Risk Officer's metrics on degenerate and
 * extreme input: too few observations, zero variance, only gains, losses
 * that clamp at 1, and finite figures over the whole domain of returns
 * (20k pushes mixing its edges).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "orch.h"
#include "risk_fixtures.h"
#include "risk_models.h"
#include "run_suite.h"

/* Every number of a risk_metrics, for the finiteness check. */
static void assert_all_finite(const struct risk_metrics *m, const char *what, int step)
{
	const double v[] = {m->periods_per_year,
			    m->mean,
			    m->sd,
			    m->volatility_annualized,
			    m->ewma_volatility,
			    m->skewness,
			    m->excess_kurtosis,
			    m->max_drawdown,
			    m->current_drawdown,
			    m->tail_ratio,
			    m->sharpe,
			    m->sharpe_annualized,
			    m->downside_deviation,
			    m->sortino};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(isfinite(v[i]), "%s step %d: field %zu is %g", what, step, i, v[i]);
	for (int c = 0; c < m->n_conf; c++) {
		const struct risk_tail *t[] = {&m->historical[c], &m->gaussian[c], &m->modified[c]};
		for (int k = 0; k < 3; k++)
			ck_assert_msg(isfinite(t[k]->var) && isfinite(t[k]->es) && t[k]->var >= 0 && t[k]->var <= 1 &&
					      t[k]->es >= 0 && t[k]->es <= 1,
				      "%s step %d: tail %d/%d var %g es %g",
				      what,
				      step,
				      c,
				      k,
				      t[k]->var,
				      t[k]->es);
	}
}

START_TEST(test_too_few_observations)
{
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(X1, RISK_MIN_OBS - 1, CONF, 2, 252, 0.94, &m), 0);
	ck_assert_uint_eq(m.n_obs, RISK_MIN_OBS - 1);
	ck_assert_int_eq(m.sufficient, 0);
	ck_assert_double_eq(m.sd, 0);
	ck_assert_double_eq(m.historical[0].var, 0);
	ck_assert_double_eq(m.ewma_volatility, 0);
	assert_all_finite(&m, "edge case at line", __LINE__);
	ck_assert_int_eq(risk_metrics_compute(NULL, 0, CONF, 2, 252, 0, &m), 0);
	ck_assert_int_eq(m.sufficient, 0);
	assert_all_finite(&m, "edge case at line", __LINE__);
	ck_assert_int_eq(risk_metrics_compute(X1, RISK_MIN_OBS, CONF, 2, 252, 0, &m), 0);
	ck_assert_int_eq(m.sufficient, 1);
}
END_TEST

START_TEST(test_zero_variance)
{
	double x[30];
	for (int i = 0; i < 30; i++)
		x[i] = -0.004;
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(x, 30, CONF, 2, 252, 0.94, &m), 0);
	assert_all_finite(&m, "edge case at line", __LINE__);
	ck_assert_double_eq(m.sd, 0);
	ck_assert_double_eq(m.skewness, 0);
	ck_assert_double_eq(m.excess_kurtosis, 0);
	ck_assert_double_eq(m.sharpe, 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_double_eq_tol(m.historical[i].var, 0.004, 1e-15);
		ck_assert_double_eq_tol(m.gaussian[i].var, 0.004, 1e-15);
		ck_assert_double_eq_tol(m.modified[i].es, 0.004, 1e-15);
	}
	/* the window agrees, though its sums of a constant leave rounding
	 * noise that must read as zero variance */
	double y[30];
	for (int i = 0; i < 30; i++)
		y[i] = 0.1 + 0.2;
	struct risk_window *w = window_of(y, 30, 20);
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	assert_all_finite(&m, "edge case at line", __LINE__);
	ck_assert_double_eq(m.sd, 0);
	ck_assert_double_eq(m.skewness, 0);
	ck_assert_double_eq(m.gaussian[0].var, 0);
	risk_window_free(w);
}
END_TEST

START_TEST(test_all_gains)
{
	double x[20];
	for (int i = 0; i < 20; i++)
		x[i] = 0.001 * (i + 1);
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(x, 20, CONF, 2, 252, 0.94, &m), 0);
	assert_all_finite(&m, "edge case at line", __LINE__);
	ck_assert_double_eq(m.max_drawdown, 0);
	ck_assert_double_eq(m.current_drawdown, 0);
	ck_assert_double_eq(m.downside_deviation, 0);
	ck_assert_double_eq(m.sortino, 0);
	/* a quantile that is a gain is a loss of 0, never a negative loss */
	ck_assert_double_eq(m.historical[0].var, 0);
	ck_assert_double_eq(m.historical[0].es, 0);
	ck_assert_double_gt(m.sharpe, 0);
	ck_assert_double_gt(m.tail_ratio, 1);
}
END_TEST

START_TEST(test_large_losses_clamp_at_one)
{
	double x[10] = {-0.99, -0.95, -0.9, 0.8, 0.9, 1.5, -0.97, 2.0, -0.98, 3.0};
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(x, 10, CONF, 2, 252, 0.94, &m), 0);
	assert_all_finite(&m, "edge case at line", __LINE__);
	ck_assert_double_eq(m.gaussian[1].var, 1);
	ck_assert_double_le(m.max_drawdown, 1);
	ck_assert_double_gt(m.max_drawdown, 0.99);
}
END_TEST

/* Property (issue 18): over the whole domain of returns (a loss just short
 * of 100% up to +1000%, long runs of one value, values a hair apart), no
 * measure is ever NaN or infinite, from scratch or in the window. */
START_TEST(test_metrics_stay_finite_over_the_whole_domain_issue_18)
{
	static const double pick[] = {-0.999999999999,
				      -0.9,
				      -0.5,
				      -1e-300,
				      0,
				      0,
				      0,
				      1e-300,
				      1e-12,
				      0.01,
				      1,
				      9.99999,
				      10,
				      10,
				      -0.999999999999};
	const double conf[] = {0.95, 0.99};
	struct risk_window_config wc = {
		.max_count = 64, .max_age_ms = 0, .periods_per_year = 31536000, .ewma_lambda = 0.94};
	struct risk_window *w;
	ck_assert_int_eq(risk_window_new(&w, &wc), 0);
	uint64_t x = 88172645463325252ULL;
	double hist[64];
	struct risk_metrics m;
	for (int step = 0; step < 20000; step++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double r;
		int mode = (int)(x % 4);
		if (mode == 0)
			r = pick[(x >> 8) % (sizeof(pick) / sizeof(pick[0]))];
		else if (mode == 1)
			r = -0.999999 + (double)(x >> 11) / 9007199254740992.0 * 10.999999; /* uniform on the domain */
		else
			r = step % 2 ? 10 : -0.999999999999; /* the extremes in turn */
		ck_assert_int_eq(risk_window_push(w, r, step), 0);
		if (step % 37 == 0) {
			ck_assert_int_eq(risk_window_metrics(w, conf, 2, &m), 0);
			assert_all_finite(&m, "window", step);
			size_t n = risk_window_count(w);
			risk_window_returns(w, hist);
			ck_assert_int_eq(risk_metrics_compute(hist, n, conf, 2, 31536000, 0.94, &m), 0);
			assert_all_finite(&m, "from scratch", step);
		}
	}
	risk_window_free(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("risk_edges");
	TCase *tc = tcase_create("degenerate");
	tcase_add_test(tc, test_too_few_observations);
	tcase_add_test(tc, test_zero_variance);
	tcase_add_test(tc, test_all_gains);
	tcase_add_test(tc, test_large_losses_clamp_at_one);
	tcase_add_test(tc, test_metrics_stay_finite_over_the_whole_domain_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
