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

void strat_perf_compute(const double *r, size_t n, double conf, struct strat_perf *out)
{
	memset(out, 0, sizeof(*out));
	out->trades = (long)n;
	if (n == 0) {
		out->wilson_upper = 1;
		out->psr = 0.5;
		return;
	}
	double sum = 0, win_sum = 0, loss_sum = 0, down_sq = 0;
	double log_level = 0, log_peak = 0, mdd_log = 0;
	long streak = 0;
	for (size_t i = 0; i < n; i++) {
		sum += r[i];
		if (r[i] > 0) {
			out->wins++;
			win_sum += r[i];
			streak = 0;
		} else if (r[i] < 0) {
			out->losses++;
			loss_sum -= r[i];
			down_sq += r[i] * r[i];
			streak++;
			if (streak > out->max_consecutive_losses)
				out->max_consecutive_losses = streak;
		}
		log_level += log1p(fmax(r[i], -1 + 1e-12));
		log_peak = fmax(log_peak, log_level);
		mdd_log = fmax(mdd_log, log_peak - log_level);
	}
	out->consecutive_losses = streak;
	double nn = (double)n, mean = sum / nn;
	double m2 = 0, m3 = 0, m4 = 0;
	for (size_t i = 0; i < n; i++) {
		double d = r[i] - mean, d2 = d * d;
		m2 += d2;
		m3 += d2 * d;
		m4 += d2 * d2;
	}
	m2 /= nn;
	m3 /= nn;
	m4 /= nn;
	int flat = m2 <= 64 * 2.220446049250313e-16 * (m2 + mean * mean);
	out->win_rate = (double)out->wins / nn;
	strat_wilson(out->wins, out->trades, conf, &out->wilson_lower, &out->wilson_upper);
	out->profit_factor = loss_sum > 0 ? fmin(win_sum / loss_sum, STRAT_PF_CAP) : win_sum > 0 ? STRAT_PF_CAP : 0;
	out->expectancy = mean;
	out->avg_win = out->wins ? win_sum / (double)out->wins : 0;
	out->avg_loss = out->losses ? loss_sum / (double)out->losses : 0;
	out->sd = n > 1 && !flat ? sqrt(m2 * nn / (nn - 1)) : 0;
	out->sharpe = out->sd > 0 ? mean / out->sd : 0;
	double dd = sqrt(down_sq / nn);
	out->sortino = dd > 0 ? mean / dd : 0;
	out->skewness = flat ? 0 : m3 / pow(m2, 1.5);
	out->kurtosis = flat ? 3 : m4 / (m2 * m2);
	out->max_drawdown = -expm1(-mdd_log);
	if (flat)
		out->psr = n < 2 ? 0.5 : mean > 0 ? 1 : mean < 0 ? 0 : 0.5;
	else
		out->psr = strat_psr(out->sharpe, 0, out->trades, out->skewness, out->kurtosis);
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
