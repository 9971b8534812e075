/*
 * normal.h - the standard normal distribution: quantile (Wichura AS241,
 * about 1e-16 relative), density and cumulative distribution. Pure.
 */
#ifndef ORCH_NORMAL_H
#define ORCH_NORMAL_H

/* Quantile of p in (0, 1); -inf at 0, +inf at 1, NaN outside. */
double normal_quantile(double p);
double normal_density(double x);
double normal_cdf(double x);

#endif
