/*
 * risk_ostat.h - order statistics of a multiset of doubles, kept up to
 * date per insert and erase: the k-th smallest, and the count and sum of
 * the values below a bound, in O(log n). Pure: the risk window's
 * (risk_models.c) quantiles and tail sums.
 */
#ifndef RISK_OSTAT_H
#define RISK_OSTAT_H

#include <stddef.h>
#include <stdint.h>

#define OS_B 128 /* values per block: OS_B/2 .. 2*OS_B */

/* Sorted blocks of OS_B..2*OS_B values with Fenwick trees over them. */
struct risk_ostat {
	double **val; /* per block, capacity 2*OS_B, sorted */
	double **pre; /* per block prefix sums: pre[i][j] = val[i][0] + ... + val[i][j] */
	uint32_t *cnt;
	size_t nb, cap_nb;
	size_t *fcnt; /* Fenwick over cnt, 1-based */
	double *fsum; /* Fenwick over block sums, 1-based */
	size_t n;
};

/* Room for max_n values (caller-owned struct). Release with
 * risk_ostat_release() even on failure. 0 or ORCH_ENOMEM. */
int risk_ostat_init(struct risk_ostat *o, size_t max_n);
void risk_ostat_release(struct risk_ostat *o);
/* 0 or ORCH_ENOMEM (nothing changed). */
int risk_ostat_insert(struct risk_ostat *o, double x);
/* Removes one value equal to x, which must be present. */
void risk_ostat_erase(struct risk_ostat *o, double x);
/* The k-th smallest (0-based, k < n); ctx is the struct risk_ostat. */
double risk_ostat_kth(const void *ctx, size_t k);
/* Count and sum of the values < q; ctx is the struct risk_ostat. */
void risk_ostat_below(const void *ctx, double q, size_t *cnt, double *sum);

#endif
