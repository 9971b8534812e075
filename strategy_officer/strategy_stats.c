/*
 * strategy_stats.c - win-rate intervals, Probabilistic Sharpe and the
 * per-strategy evidence (conventions in strategy_stats.h).
 */
#include "strategy_stats.h"

#include <math.h>
#include <string.h>

#include "normal.h"

void strat_wilson(long wins, long n, double conf, double *lower, double *upper)
{
	if (n <= 0) {
		*lower = 0;
		*upper = 1;
		return;
	}
	double z = normal_quantile(0.5 + conf / 2), z2 = z * z, nn = (double)n;
	double p = (double)wins / nn;
	double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
	double half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
	*lower = fmax(0, centre - half);
	*upper = fmin(1, centre + half);
}

double strat_psr(double sharpe, double sharpe_star, long n, double skewness, double kurtosis)
{
	if (n < 2)
		return 0.5;
	double var = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe;
	double num = (sharpe - sharpe_star) * sqrt((double)(n - 1));
	if (!(var > 0))
		return num > 0 ? 1 : num < 0 ? 0 : 0.5;
	return normal_cdf(num / sqrt(var));
}

/* The figures of out->trades returns with mean `mean`, sums of squared,
 * cubed and fourth-power deviations dev2..dev4 and out's counts and sums. */
static void finish(struct strat_perf *out, double mean, double conf)
{
	double nn = (double)out->trades, m2 = out->dev2 / nn, m3 = out->dev3 / nn, m4 = out->dev4 / nn;
	int flat = m2 <= 64 * 2.220446049250313e-16 * (m2 + mean * mean);
	out->win_rate = (double)out->wins / nn;
	strat_wilson(out->wins, out->trades, conf, &out->wilson_lower, &out->wilson_upper);
	out->profit_factor = out->loss_sum > 0  ? fmin(out->win_sum / out->loss_sum, STRAT_PF_CAP)
			     : out->win_sum > 0 ? STRAT_PF_CAP
						: 0;
	out->expectancy = mean;
	out->avg_win = out->wins ? out->win_sum / (double)out->wins : 0;
	out->avg_loss = out->losses ? out->loss_sum / (double)out->losses : 0;
	out->sd = out->trades > 1 && !flat ? sqrt(m2 * nn / (nn - 1)) : 0;
	out->sharpe = out->sd > 0 ? mean / out->sd : 0;
	double dd = sqrt(out->down_sq / nn);
	out->sortino = dd > 0 ? mean / dd : 0;
	out->skewness = flat ? 0 : m3 / pow(m2, 1.5);
	out->kurtosis = flat ? 3 : m4 / (m2 * m2);
	if (flat)
		out->psr = out->trades < 2 ? 0.5 : mean > 0 ? 1 : mean < 0 ? 0 : 0.5;
	else
		out->psr = strat_psr(out->sharpe, 0, out->trades, out->skewness, out->kurtosis);
}

void strat_perf_compute(const double *r, size_t n, double conf, struct strat_perf *out)
{
	memset(out, 0, sizeof(*out));
	out->trades = (long)n;
	if (n == 0) {
		out->wilson_upper = 1;
		out->psr = 0.5;
		return;
	}
	double sum = 0;
	double log_level = 0, log_peak = 0, mdd_log = 0;
	long streak = 0;
	for (size_t i = 0; i < n; i++) {
		sum += r[i];
		if (r[i] > 0) {
			out->wins++;
			out->win_sum += r[i];
			streak = 0;
		} else if (r[i] < 0) {
			out->losses++;
			out->loss_sum -= r[i];
			out->down_sq += r[i] * r[i];
			streak++;
			if (streak > out->max_consecutive_losses)
				out->max_consecutive_losses = streak;
		}
		log_level += log1p(fmax(r[i], -1 + 1e-12));
		log_peak = fmax(log_peak, log_level);
		mdd_log = fmax(mdd_log, log_peak - log_level);
	}
	out->consecutive_losses = streak;
	double mean = sum / (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = r[i] - mean, d2 = d * d;
		out->dev2 += d2;
		out->dev3 += d2 * d;
		out->dev4 += d2 * d2;
	}
	out->max_drawdown = -expm1(-mdd_log);
	finish(out, mean, conf);
}

void strat_perf_pool(const struct strat_perf *const *parts, size_t n, double conf, struct strat_perf *out)
{
	memset(out, 0, sizeof(*out));
	double mean = 0;
	for (size_t i = 0; i < n; i++) {
		const struct strat_perf *b = parts[i];
		if (b->trades == 0)
			continue;
		double na = (double)out->trades, nb = (double)b->trades, nt = na + nb, d = b->expectancy - mean;
		double d2 = d * d, m2a = out->dev2, m3a = out->dev3;
		out->dev4 += b->dev4 + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (nt * nt * nt) +
			     6 * d2 * (na * na * b->dev2 + nb * nb * m2a) / (nt * nt) +
			     4 * d * (na * b->dev3 - nb * m3a) / nt;
		out->dev3 +=
			b->dev3 + d2 * d * na * nb * (na - nb) / (nt * nt) + 3 * d * (na * b->dev2 - nb * m2a) / nt;
		out->dev2 += b->dev2 + d2 * na * nb / nt;
		mean += d * nb / nt;
		out->trades += b->trades;
		out->wins += b->wins;
		out->losses += b->losses;
		out->win_sum += b->win_sum;
		out->loss_sum += b->loss_sum;
		out->down_sq += b->down_sq;
	}
	if (out->trades == 0) {
		out->wilson_upper = 1;
		out->psr = 0.5;
		return;
	}
	finish(out, mean, conf);
}

double strat_correlation(const double *x, const double *y, size_t n)
{
	if (n < 2)
		return 0;
	double mx = 0, my = 0;
	for (size_t i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	double sxy = 0, sxx = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (!(sxx > 0 && syy > 0))
		return 0;
	return fmax(-1, fmin(1, sxy / sqrt(sxx * syy)));
}
