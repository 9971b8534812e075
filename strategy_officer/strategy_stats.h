/*
 * strategy_stats.h - the evidence about one strategy or model, pure maths
 * (no I/O, no state).
 *
 * Conventions, stated once:
 *   - a trade's return r is a fraction of its stake (pnl_percent / 100);
 *     a win is r > 0, a loss r < 0 (r = 0 is neither);
 *   - win rate = wins / trades, with the Wilson score interval at
 *     confidence c (two-sided, z = normal_quantile((1 + c) / 2));
 *   - profit factor = sum of wins / |sum of losses|, capped at
 *     STRAT_PF_CAP (also when there are no losses); expectancy = mean r;
 *     average win and average loss are positive magnitudes;
 *   - Sharpe = mean / sample sd of per-trade returns (not annualised,
 *     Rf 0); Sortino = mean / sqrt(sum(min(r, 0)^2) / n) (MAR 0, all n);
 *   - max drawdown of the strategy's equity curve cumprod(1 + r),
 *     starting at 1, positive fraction;
 *   - Probabilistic Sharpe Ratio (Bailey and Lopez de Prado, 2012)
 *     against a benchmark Sharpe SR*: Phi((SR - SR*) sqrt(n - 1) /
 *     sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2)), per-trade SR, population
 *     skewness g3 and (non-excess) kurtosis g4;
 *   - Brier score = mean (p - o)^2 of stated probabilities p that the
 *     predicted direction is right against outcomes o in {0, 1}.
 * Degenerate input gives defined values, never NaN: no trades -> zeros
 * (PSR 0.5, Wilson [0, 1]); zero variance -> Sharpe 0, skewness 0,
 * kurtosis 3, and PSR 1, 0.5 or 0 as the mean is above, at or below 0.
 */
#ifndef STRATEGY_STATS_H
#define STRATEGY_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STRAT_PF_CAP 100.0

struct strat_perf {
	long trades, wins, losses;
	double win_rate, wilson_lower, wilson_upper;
	double profit_factor, expectancy, avg_win, avg_loss;
	double sd, sharpe, sortino, skewness, kurtosis;
	double max_drawdown;
	double psr;
	long consecutive_losses; /* losses since the last win, at the end */
	long max_consecutive_losses;
	/* the sums behind them, for pooling: of wins, of losses (positive), of
	 * squared losses, and of the 2nd-4th powers of deviations from the mean */
	double win_sum, loss_sum, down_sq, dev2, dev3, dev4;
};

/* Wilson score interval of wins out of n at two-sided confidence conf
 * (e.g. 0.95). n = 0 gives [0, 1]. */
void strat_wilson(long wins, long n, double conf, double *lower, double *upper);

/* Probabilistic Sharpe Ratio; n >= 2. Returns a probability in [0, 1]. */
double strat_psr(double sharpe, double sharpe_star, long n, double skewness, double kurtosis);

/* The evidence of returns r[0..n-1], oldest first, at Wilson confidence
 * conf. */
void strat_perf_compute(const double *r, size_t n, double conf, struct strat_perf *out);

/* The evidence of the union of the n sets of returns behind parts[] (in
 * any order), from their sums alone (Pebay 2008's pairwise update of
 * central moments): trades, wins, win rate and interval, profit factor,
 * expectancy, averages, sd, Sharpe, Sortino, skewness, kurtosis and PSR
 * as strat_perf_compute() would give them; drawdown and loss streaks,
 * which need the order, are 0. */
void strat_perf_pool(const struct strat_perf *const *parts, size_t n, double conf, struct strat_perf *out);

/* Pearson correlation of x and y (n pairs); 0 when either has zero
 * variance or n < 2. */
double strat_correlation(const double *x, const double *y, size_t n);

#endif
