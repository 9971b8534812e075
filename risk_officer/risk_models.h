/*
 * risk_models.h - risk metrics of a return series, pure maths (no I/O).
 *
 * Conventions are those of R's PerformanceAnalytics (PA), except the sign:
 * VaR, ES and drawdowns are reported as POSITIVE loss fractions (PA's
 * numbers negated), clamped to [0, 1]: a quantile that is a gain is a loss
 * of 0, a loss beyond 100% is 1.
 *   - historical VaR: R quantile type 7 of the returns at 1-p;
 *     historical ES: mean of the returns strictly below that quantile (the
 *     quantile itself when none is);
 *   - Gaussian VaR/ES: mean and POPULATION variance (divide by n);
 *   - modified VaR/ES: Cornish-Fisher with population skewness and excess
 *     kurtosis; ES = mean + sd * min(-I/a, h) (PA's operational clamp);
 *   - skewness m3/m2^1.5 and excess kurtosis m4/m2^2 - 3 (population);
 *   - volatility: SAMPLE sd (n-1), annualised by sqrt(periods_per_year);
 *   - EWMA volatility: sigma2 = lambda*sigma2 + (1-lambda)*r^2 (zero-mean,
 *     RiskMetrics), seeded with the first r^2, over every return pushed,
 *     not only the window;
 *   - max drawdown: geometric, wealth = cumprod(1+r) starting at 1 (the
 *     starting wealth counts as a peak); current drawdown: from the
 *     highest wealth in the window to the last;
 *   - Sharpe: mean/sample sd (Rf 0), annualised arithmetic mean/sd*sqrt(s);
 *     Sortino: mean / downside deviation sqrt(sum(min(r,0)^2)/n) (MAR 0,
 *     all n observations), per period;
 *   - tail ratio: |q(0.95)| / |q(0.05)|, both type 7.
 * Degenerate input has defined values, never NaN: fewer than
 * RISK_MIN_OBS observations -> `sufficient` is 0 and every metric 0; zero
 * variance -> skewness, kurtosis, Sharpe 0 and the Gaussian and modified
 * figures equal -mean (clamped); no losses -> Sortino 0, tail ratio 0 when
 * q(0.05) is 0.
 *
 * struct risk_window keeps a rolling window (by count and by age) and
 * updates everything per return without rescanning: sorted blocks with
 * Fenwick trees of their counts and sums (quantiles, tail means:
 * O(log n) plus one block move of at most 256 values),
 * compensated running power sums about a fixed centre (moments: O(1)),
 * and a two-stack sliding-window aggregate of log wealth (drawdowns:
 * O(1) amortised). risk_metrics_compute() recomputes the same metrics from
 * scratch over an array; the two agree to 1e-9 relative.
 */
#ifndef RISK_MODELS_H
#define RISK_MODELS_H

#include <stddef.h>
#include <stdint.h>

#define RISK_MIN_OBS  10 /* observations needed before any metric is given */
#define RISK_MAX_CONF 4  /* confidence levels per computation */

/* One VaR/ES pair at confidence p, positive loss fractions in [0, 1]. */
struct risk_tail {
	double var;
	double es;
};

struct risk_metrics {
	size_t n_obs;
	int sufficient; /* n_obs >= RISK_MIN_OBS */
	double periods_per_year;
	double mean;                  /* per period */
	double sd;                    /* sample, per period */
	double volatility_annualized; /* sd * sqrt(periods_per_year) */
	double ewma_volatility;       /* per period, lambda below; 0 in risk_metrics_compute
					 unless an ewma_lambda is given */
	double ewma_lambda;
	double skewness;         /* population */
	double excess_kurtosis;  /* population */
	double max_drawdown;     /* positive fraction */
	double current_drawdown; /* positive fraction */
	double tail_ratio;
	double sharpe;             /* per period */
	double sharpe_annualized;  /* arithmetic */
	double downside_deviation; /* per period, MAR 0 */
	double sortino;            /* per period, MAR 0 */
	int n_conf;
	double conf[RISK_MAX_CONF];
	struct risk_tail historical[RISK_MAX_CONF];
	struct risk_tail gaussian[RISK_MAX_CONF];
	struct risk_tail modified[RISK_MAX_CONF];
};

struct risk_window_config {
	size_t max_count;        /* returns kept, >= 2 */
	int64_t max_age_ms;      /* 0 = no age limit */
	double periods_per_year; /* > 0, e.g. 252 for daily returns */
	double ewma_lambda;      /* in (0, 1), e.g. 0.94 */
};

struct risk_window;

/* Checks a confidence list: 1..RISK_MAX_CONF values in (0.5, 1). */
int risk_check_confidences(const double *conf, int n_conf);

/*
 * From-scratch metrics of r[0..n-1] (oldest first) at the given
 * confidences. ewma_lambda 0 leaves ewma_volatility 0. Returns 0 or
 * ORCH_EINVAL (bad confidences, non-finite return, return <= -1,
 * periods_per_year <= 0) or ORCH_ENOMEM.
 */
int risk_metrics_compute(const double *r, size_t n, const double *conf, int n_conf, double periods_per_year,
			 double ewma_lambda, struct risk_metrics *out);

/* Creates an empty window; free with risk_window_free(). Returns 0,
 * ORCH_EINVAL or ORCH_ENOMEM. */
int risk_window_new(struct risk_window **out, const struct risk_window_config *cfg);
void risk_window_free(struct risk_window *w);
/* Appends return r observed at t_ms (ms since epoch; must not go back in
 * time), evicting the oldest by count and by age relative to t_ms.
 * Returns 0, ORCH_EINVAL (non-finite r, r <= -1: a loss beyond the whole
 * stake; t_ms older than the newest) or ORCH_ENOMEM (window unchanged
 * apart from evictions). */
int risk_window_push(struct risk_window *w, double r, int64_t t_ms);
/* Evicts returns older than now_ms - max_age_ms. */
void risk_window_expire(struct risk_window *w, int64_t now_ms);
size_t risk_window_count(const struct risk_window *w);
/* Copies the window's returns, oldest first, into r (room for count). */
void risk_window_returns(const struct risk_window *w, double *r);
/* Sample standard deviation of the window's returns (0 below 2). */
double risk_window_sd(const struct risk_window *w);
/* Current and maximum drawdown (positive fractions) of the window's
 * returns, known from the first return on (the metrics wait for
 * RISK_MIN_OBS). */
void risk_window_drawdowns(const struct risk_window *w, double *current, double *max);
/* Current metrics of the window. Returns 0 or ORCH_EINVAL (confidences). */
int risk_window_metrics(const struct risk_window *w, const double *conf, int n_conf, struct risk_metrics *out);

#endif
