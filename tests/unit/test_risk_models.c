/*
 * test_risk_models.c - the Risk Officer's metrics against published
 * values: both PerformanceAnalytics oracle vectors of
 * ../shared/spec/risk-metrics-and-peers.md (section 5), both confidences,
 * every method, to 1e-9 absolute, from scratch and through the rolling
 * window; the incremental window against a from-scratch recomputation
 * over 100k+ randomized updates with count and age evictions; the
 * modified-ES clamp against a naive restatement of the recipe; EWMA and
 * the normal quantile; refused arguments leaving a window intact
 * (test_risk_edges.c: degenerate input).
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normal.h"
#include "orch.h"
#include "risk_fixtures.h"
#include "risk_models.h"
#include "run_suite.h"

/* The oracle tables in PA's signs (loss negative). Rows: p = 0.95, 0.99;
 * columns: VaR hist, gauss, mod, ES hist, gauss, mod. */
static const double X1_TAIL[2][6] = {
	{-0.025500000000, -0.027237904227, -0.028481919848, -0.030000000000, -0.034538491291, -0.033392434147},
	{-0.029100000000, -0.039144566366, -0.038056962193, -0.030000000000, -0.045065037614, -0.043463303553},
};
static const double X2_TAIL[2][6] = {
	{-0.026732292046, -0.026312089543, -0.026732831118, -0.028123700135, -0.032937445091, -0.030370153057},
	{-0.028218877558, -0.037117504144, -0.033512927739, -0.028825132158, -0.042490390830, -0.043328567412},
};

struct oracle_stats {
	double mean, sd, skew, kurt, maxdd, sharpe, sharpe_ann, sortino, downdev;
};

static const struct oracle_stats X1_STATS = {
	.mean = 0.0015,
	.sd = 0.01841648,
	.skew = -0.194913080233,
	.kurt = -0.818159683025,
	.maxdd = 0.030000000000,
	.sharpe = 0.081448797621,
	.sharpe_ann = 1.292959578542,
	.sortino = 0.125656172488,
	.downdev = 0.011937336386,
};
static const struct oracle_stats X2_STATS = {
	.mean = NAN,
	.sd = NAN,
	.skew = -0.019935812805,
	.kurt = -1.034481566830,
	.maxdd = 0.127010018594,
	.sharpe = -0.014519413157,
	.sharpe_ann = -0.230488538371,
	.sortino = -0.020356076869,
	.downdev = 0.011404699377,
};

static void make_x2(double *x)
{
	for (int i = 1; i <= 60; i++)
		x[i - 1] = 0.02 * sin(0.7 * i) * (1 + 0.5 * cos(0.13 * i)) - 0.001;
}

/* The printed tables have 12 decimals: 1e-9 is far wider than their
 * rounding and far narrower than any convention difference. */
#define ORACLE_TOL 1e-9

static void check_oracle(const struct risk_metrics *m, const double tail[2][6], const struct oracle_stats *st)
{
	ck_assert(m->sufficient);
	for (int i = 0; i < 2; i++) {
		const struct risk_tail *t[3] = {&m->historical[i], &m->gaussian[i], &m->modified[i]};
		for (int k = 0; k < 3; k++) {
			ck_assert_double_eq_tol(t[k]->var, -tail[i][k], ORACLE_TOL);
			ck_assert_double_eq_tol(t[k]->es, -tail[i][3 + k], ORACLE_TOL);
		}
	}
	if (!isnan(st->mean)) {
		ck_assert_double_eq_tol(m->mean, st->mean, ORACLE_TOL);
		/* PA prints sd with 8 decimals */
		ck_assert_double_eq_tol(m->sd, st->sd, 5e-9);
	}
	ck_assert_double_eq_tol(m->skewness, st->skew, ORACLE_TOL);
	ck_assert_double_eq_tol(m->excess_kurtosis, st->kurt, ORACLE_TOL);
	ck_assert_double_eq_tol(m->max_drawdown, st->maxdd, ORACLE_TOL);
	ck_assert_double_eq_tol(m->sharpe, st->sharpe, ORACLE_TOL);
	ck_assert_double_eq_tol(m->sharpe_annualized, st->sharpe_ann, ORACLE_TOL);
	ck_assert_double_eq_tol(m->sortino, st->sortino, ORACLE_TOL);
	ck_assert_double_eq_tol(m->downside_deviation, st->downdev, ORACLE_TOL);
}

START_TEST(test_oracle_vector_x1)
{
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(X1, 10, CONF, 2, 252, 0, &m), 0);
	ck_assert_uint_eq(m.n_obs, 10);
	check_oracle(&m, X1_TAIL, &X1_STATS);
	/* the window gives the same numbers, also after older returns left it */
	double pre[25];
	for (int i = 0; i < 15; i++)
		pre[i] = 0.05 * sin(i + 1.0);
	memcpy(pre + 15, X1, sizeof(X1));
	struct risk_window *w = window_of(pre, 25, 10);
	ck_assert_uint_eq(risk_window_count(w), 10);
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	check_oracle(&m, X1_TAIL, &X1_STATS);
	risk_window_free(w);
}
END_TEST

START_TEST(test_oracle_vector_x2)
{
	double x[60];
	make_x2(x);
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(x, 60, CONF, 2, 252, 0, &m), 0);
	check_oracle(&m, X2_TAIL, &X2_STATS);
	struct risk_window *w = window_of(x, 60, 60);
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	check_oracle(&m, X2_TAIL, &X2_STATS);
	risk_window_free(w);
}
END_TEST

/* ---- a naive restatement of section 5.3's recipe, for the clamp ---- */

static double naive_moment(const double *x, int n, int k)
{
	double mean = 0, s = 0;
	for (int i = 0; i < n; i++)
		mean += x[i];
	mean /= n;
	for (int i = 0; i < n; i++)
		s += pow(x[i] - mean, k);
	return s / n;
}

/* Normal quantile by bisection on erfc: independent of normal_quantile. */
static double naive_qnorm(double p)
{
	double lo = -40, hi = 40;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / sqrt(2)) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

START_TEST(test_modified_es_clamp_matches_the_recipe)
{
	/* Three large losses among small gains: at 0.95 the Cornish-Fisher
	 * ES expansion is milder than the modified VaR, so PA's operational
	 * rule min(-I/a, h) takes h and ES equals VaR. */
	const double x[10] = {-0.02, -0.021, -0.019, 0.01, 0.011, 0.009, 0.01, 0.0105, 0.0095, 0.01};
	double mean = 0;
	for (int i = 0; i < 10; i++)
		mean += x[i] / 10;
	double m2 = naive_moment(x, 10, 2);
	double S = naive_moment(x, 10, 3) / pow(m2, 1.5), K = naive_moment(x, 10, 4) / (m2 * m2) - 3;
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(x, 10, CONF, 2, 252, 0, &m), 0);
	for (int i = 0; i < 2; i++) {
		double a = 1 - CONF[i], z = naive_qnorm(a);
		double h =
			z + (z * z - 1) * S / 6 + (pow(z, 3) - 3 * z) * K / 24 - (2 * pow(z, 3) - 5 * z) * S * S / 36;
		double I = exp(-h * h / 2) / sqrt(2 * M_PI) *
			   (1 + pow(h, 3) * S / 6 + (pow(h, 6) - 9 * pow(h, 4) + 9 * h * h + 3) * S * S / 72 +
			    (pow(h, 4) - 2 * h * h - 1) * K / 24);
		if (i == 0)
			ck_assert_msg(h < -I / a, "the vector must exercise the clamp at 0.95");
		else
			ck_assert_msg(h > -I / a, "and not at 0.99");
		ck_assert_double_eq_tol(m.modified[i].var, -(mean + sqrt(m2) * h), 1e-12);
		ck_assert_double_eq_tol(m.modified[i].es, -(mean + sqrt(m2) * fmin(-I / a, h)), 1e-12);
	}
	ck_assert_double_eq(m.modified[0].es, m.modified[0].var);
	ck_assert_double_gt(m.modified[1].es, m.modified[1].var);
}
END_TEST

START_TEST(test_normal_distribution)
{
	ck_assert_double_eq_tol(normal_quantile(0.05), -1.6448536269514722, 1e-15);
	ck_assert_double_eq_tol(normal_quantile(0.01), -2.3263478740408408, 1e-15);
	ck_assert_double_eq_tol(normal_quantile(0.975), 1.959963984540054, 1e-15);
	ck_assert_double_eq(normal_quantile(0.5), 0);
	ck_assert_double_eq_tol(normal_quantile(1e-10), -6.361340902404056, 1e-13);
	ck_assert(isinf(normal_quantile(0)) && normal_quantile(0) < 0);
	ck_assert(isinf(normal_quantile(1)) && normal_quantile(1) > 0);
	for (double p = 0.001; p < 1; p += 0.0137) {
		ck_assert_double_eq_tol(normal_quantile(p), naive_qnorm(p), 1e-12);
		ck_assert_double_eq_tol(normal_cdf(normal_quantile(p)), p, 1e-15);
	}
	ck_assert_double_eq_tol(normal_cdf(1.959963984540054), 0.975, 1e-16);
	ck_assert_double_eq_tol(normal_density(0), 0.3989422804014327, 1e-16);
	ck_assert_double_eq_tol(normal_density(-1.6448536269514722), 0.10313564037537139, 1e-16);
}
END_TEST

START_TEST(test_ewma_recursion_over_every_push)
{
	const double x[12] = {0.01, -0.02, 0.005, 0.0, 0.03, -0.01, 0.002, -0.004, 0.015, -0.03, 0.01, 0.02};
	const double lambda = 0.94;
	double s2 = x[0] * x[0];
	for (int i = 1; i < 12; i++)
		s2 = lambda * s2 + (1 - lambda) * x[i] * x[i];
	struct risk_metrics m;
	ck_assert_int_eq(risk_metrics_compute(x, 12, CONF, 2, 252, lambda, &m), 0);
	ck_assert_double_eq_tol(m.ewma_volatility, sqrt(s2), 1e-15);
	ck_assert_double_eq(m.ewma_lambda, lambda);
	/* a window of 10 still remembers the two returns it evicted */
	struct risk_window *w = window_of(x, 12, 10);
	ck_assert_uint_eq(risk_window_count(w), 10);
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	ck_assert_double_eq_tol(m.ewma_volatility, sqrt(s2), 1e-15);
	risk_window_free(w);
	/* no lambda, no EWMA */
	ck_assert_int_eq(risk_metrics_compute(x, 12, CONF, 2, 252, 0, &m), 0);
	ck_assert_double_eq(m.ewma_volatility, 0);
}
END_TEST

/* ---- incremental window against recomputation ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform01(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double normal01(void)
{
	double u = uniform01(), v = uniform01();
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* |got - want| <= 1e-9 * max(|want|, floor): relative, with a floor for
 * values that may sit at or near zero (floor = the window's sd for
 * location statistics, 1 for dimensionless ones). */
static void near(double got, double want, double floor, const char *what, long step)
{
	double tol = 1e-9 * fmax(fabs(want), floor);
	ck_assert_msg(fabs(got - want) <= tol,
		      "%s at update %ld: incremental %.17g, recomputed %.17g",
		      what,
		      step,
		      got,
		      want);
}

static void compare_metrics(const struct risk_metrics *a, const struct risk_metrics *b, long step)
{
	ck_assert_uint_eq(a->n_obs, b->n_obs);
	ck_assert_int_eq(a->sufficient, b->sufficient);
	double sd = fmax(b->sd, 1e-300);
	near(a->mean, b->mean, sd, "mean", step);
	near(a->sd, b->sd, 0, "sd", step);
	near(a->volatility_annualized, b->volatility_annualized, 0, "volatility", step);
	near(a->skewness, b->skewness, 1, "skewness", step);
	near(a->excess_kurtosis, b->excess_kurtosis, 1, "kurtosis", step);
	near(a->max_drawdown, b->max_drawdown, sd, "max drawdown", step);
	near(a->current_drawdown, b->current_drawdown, sd, "current drawdown", step);
	near(a->tail_ratio, b->tail_ratio, 1, "tail ratio", step);
	near(a->sharpe, b->sharpe, 1, "sharpe", step);
	near(a->sharpe_annualized, b->sharpe_annualized, 1, "sharpe annualized", step);
	near(a->downside_deviation, b->downside_deviation, sd, "downside deviation", step);
	near(a->sortino, b->sortino, 1, "sortino", step);
	for (int i = 0; i < a->n_conf; i++) {
		near(a->historical[i].var, b->historical[i].var, sd, "historical VaR", step);
		near(a->historical[i].es, b->historical[i].es, sd, "historical ES", step);
		near(a->gaussian[i].var, b->gaussian[i].var, sd, "gaussian VaR", step);
		near(a->gaussian[i].es, b->gaussian[i].es, sd, "gaussian ES", step);
		near(a->modified[i].var, b->modified[i].var, sd, "modified VaR", step);
		near(a->modified[i].es, b->modified[i].es, sd, "modified ES", step);
	}
}

/* The return of update i: regimes with different centres and scales
 * (one far from zero, to move the moments' centre), fat tails, repeated
 * values (ties in the order statistics) and an occasional large loss. */
static double random_return(long i)
{
	long regime = (i / 20000) % 4;
	double centre = regime == 2 ? 0.2 : regime == 3 ? -0.01 : 0.0005;
	double scale = regime == 1 ? 0.05 : 0.01;
	double u = uniform01();
	if (u < 0.05)
		return round(normal01() * 4) * 0.0025;
	if (u < 0.06)
		return -0.3 * uniform01();
	return centre + scale * normal01() * (u < 0.2 ? 3 : 1);
}

START_TEST(test_incremental_equals_recompute)
{
	const long updates = 120000;
	const size_t max_count = 600;
	struct risk_window *w = NULL;
	struct risk_window_config cfg = {
		.max_count = max_count, .max_age_ms = 2000000, .periods_per_year = 252, .ewma_lambda = 0.94};
	ck_assert_int_eq(risk_window_new(&w, &cfg), 0);
	double *buf = malloc(sizeof(double) * max_count);
	ck_assert_ptr_nonnull(buf);
	int64_t t = 0;
	long compared = 0, age_evictions = 0, count_evictions = 0;
	size_t before = 0;
	for (long i = 0; i < updates; i++) {
		/* mostly 1 s apart (600 returns span 600 s of the 2000 s age
		 * limit); now and then a gap that ages out all or about half of
		 * the window */
		double g = uniform01();
		t += g < 0.0002 ? 3000000 : g < 0.001 ? 1700000 : 1000;
		ck_assert_int_eq(risk_window_push(w, random_return(i), t), 0);
		size_t n = risk_window_count(w);
		if (n < before + 1)
			before == max_count &&n == max_count ? count_evictions++ : age_evictions++;
		before = n;
		if (i % 7 && !(i > 40000 && i < 40400))
			continue;
		struct risk_metrics inc, ref;
		ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &inc), 0);
		risk_window_returns(w, buf);
		ck_assert_int_eq(risk_metrics_compute(buf, n, CONF, 2, 252, 0, &ref), 0);
		compare_metrics(&inc, &ref, i);
		compared++;
	}
	ck_assert_int_gt(compared, 17000);
	ck_assert_int_gt(age_evictions, 50);
	ck_assert_int_gt(count_evictions, 50000);
	free(buf);
	risk_window_free(w);
}
END_TEST

START_TEST(test_age_eviction_and_expire)
{
	struct risk_window *w = NULL;
	struct risk_window_config cfg = {
		.max_count = 100, .max_age_ms = 10000, .periods_per_year = 252, .ewma_lambda = 0.94};
	ck_assert_int_eq(risk_window_new(&w, &cfg), 0);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(risk_window_push(w, 0.001 * i, 1000 * i), 0);
	/* at t = 19000 the oldest kept is t = 9000 (age exactly 10 s) */
	ck_assert_uint_eq(risk_window_count(w), 11);
	double r[11];
	risk_window_returns(w, r);
	ck_assert_double_eq(r[0], 0.001 * 9);
	ck_assert_double_eq(r[10], 0.001 * 19);
	risk_window_expire(w, 25000);
	ck_assert_uint_eq(risk_window_count(w), 5);
	risk_window_expire(w, 1000000);
	ck_assert_uint_eq(risk_window_count(w), 0);
	struct risk_metrics m;
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	ck_assert_int_eq(m.sufficient, 0);
	/* an emptied window starts again cleanly */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(risk_window_push(w, X1[i], 2000000 + i), 0);
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	check_oracle(&m, X1_TAIL, &X1_STATS);
	risk_window_free(w);
}
END_TEST

/* ---- degenerate input ---- */

START_TEST(test_invalid_input_is_refused)
{
	struct risk_metrics m;
	double bad[][1] = {{-1.0}, {-1.5}, {NAN}, {INFINITY}, {-INFINITY}};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		double x[12];
		memcpy(x, X1, sizeof(X1));
		x[10] = 0.01;
		x[11] = bad[k][0];
		ck_assert_int_eq(risk_metrics_compute(x, 12, CONF, 2, 252, 0, &m), ORCH_EINVAL);
	}
	const double conf_bad[][2] = {{0.5, 0.99}, {0.95, 1.0}, {0.05, 0.95}, {NAN, 0.95}};
	for (size_t k = 0; k < 4; k++)
		ck_assert_int_eq(risk_metrics_compute(X1, 10, conf_bad[k], 2, 252, 0, &m), ORCH_EINVAL);
	const double five[5] = {0.9, 0.91, 0.92, 0.93, 0.94};
	ck_assert_int_eq(risk_metrics_compute(X1, 10, five, 5, 252, 0, &m), ORCH_EINVAL);
	ck_assert_int_eq(risk_metrics_compute(X1, 10, CONF, 0, 252, 0, &m), ORCH_EINVAL);
	ck_assert_int_eq(risk_metrics_compute(X1, 10, CONF, 2, 0, 0, &m), ORCH_EINVAL);
	ck_assert_int_eq(risk_metrics_compute(X1, 10, CONF, 2, 252, 1, &m), ORCH_EINVAL);
	ck_assert_int_eq(risk_metrics_compute(NULL, 3, CONF, 2, 252, 0, &m), ORCH_EINVAL);

	struct risk_window *w = NULL;
	struct risk_window_config cfg = {.max_count = 1, .periods_per_year = 252, .ewma_lambda = 0.94};
	ck_assert_int_eq(risk_window_new(&w, &cfg), ORCH_EINVAL);
	cfg.max_count = 50;
	cfg.ewma_lambda = 0;
	ck_assert_int_eq(risk_window_new(&w, &cfg), ORCH_EINVAL);
	cfg.ewma_lambda = 0.94;
	cfg.max_age_ms = -1;
	ck_assert_int_eq(risk_window_new(&w, &cfg), ORCH_EINVAL);
	cfg.max_age_ms = 0;
	cfg.periods_per_year = -252;
	ck_assert_int_eq(risk_window_new(&w, &cfg), ORCH_EINVAL);
	cfg.periods_per_year = 252;
	ck_assert_int_eq(risk_window_new(&w, &cfg), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(risk_window_push(w, X1[i], 5000 + i), 0);
	/* refused pushes leave the window as it was */
	ck_assert_int_eq(risk_window_push(w, -1.0, 6000), ORCH_EINVAL);
	ck_assert_int_eq(risk_window_push(w, NAN, 6000), ORCH_EINVAL);
	ck_assert_int_eq(risk_window_push(w, 0.01, 4000), ORCH_EINVAL);
	ck_assert_uint_eq(risk_window_count(w), 10);
	ck_assert_int_eq(risk_window_metrics(w, conf_bad[2], 2, &m), ORCH_EINVAL);
	ck_assert_int_eq(risk_window_metrics(w, CONF, 2, &m), 0);
	check_oracle(&m, X1_TAIL, &X1_STATS);
	/* equal timestamps are not time going back */
	ck_assert_int_eq(risk_window_push(w, 0.0, 5009), 0);
	risk_window_free(w);
}
END_TEST

static Suite *risk_models_suite(void)
{
	Suite *s = suite_create("risk_models");
	TCase *tc = tcase_create("oracle");
	tcase_add_test(tc, test_oracle_vector_x1);
	tcase_add_test(tc, test_oracle_vector_x2);
	tcase_add_test(tc, test_modified_es_clamp_matches_the_recipe);
	tcase_add_test(tc, test_normal_distribution);
	tcase_add_test(tc, test_ewma_recursion_over_every_push);
	suite_add_tcase(s, tc);
	tc = tcase_create("incremental");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_incremental_equals_recompute);
	tcase_add_test(tc, test_age_eviction_and_expire);
	tcase_add_test(tc, test_invalid_input_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(risk_models_suite());
}
