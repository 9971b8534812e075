/*
 * risk_ostat.c - order statistics of a multiset of doubles for the risk
 * window (see risk_ostat.h).
 *
 * The values sit in sorted blocks of OS_B..2*OS_B values (the last block
 * may hold fewer); block i's values are all <= block i+1's. Each block keeps
 * its prefix sums, recomputed from the changed position on every insert or
 * erase, so no sum drifts. Fenwick trees over the blocks' counts and sums
 * answer "k-th smallest" and "count and sum below q" in O(log(n/OS_B)); an
 * update moves at most 2*OS_B contiguous values. The Fenwick trees are
 * rebuilt exactly whenever blocks split or merge (about once per OS_B
 * updates), which also bounds their rounding drift.
 */
#include "risk_ostat.h"

#include <stdlib.h>
#include <string.h>

#include "orch.h"

static double os_bsum(const struct risk_ostat *o, size_t i)
{
	return o->cnt[i] ? o->pre[i][o->cnt[i] - 1] : 0;
}

static void os_rebuild(struct risk_ostat *o)
{
	for (size_t i = 1; i <= o->nb; i++) {
		o->fcnt[i] = o->cnt[i - 1];
		o->fsum[i] = os_bsum(o, i - 1);
	}
	for (size_t i = 1; i <= o->nb; i++) {
		size_t j = i + (i & (~i + 1));
		if (j <= o->nb) {
			o->fcnt[j] += o->fcnt[i];
			o->fsum[j] += o->fsum[i];
		}
	}
}

static void os_fenwick_add(struct risk_ostat *o, size_t block, long dc, double ds)
{
	for (size_t i = block + 1; i <= o->nb; i += i & (~i + 1)) {
		o->fcnt[i] += (size_t)dc;
		o->fsum[i] += ds;
	}
}

static void os_prefix_from(struct risk_ostat *o, size_t b, size_t from)
{
	double acc = from ? o->pre[b][from - 1] : 0;
	for (size_t j = from; j < o->cnt[b]; j++) {
		acc += o->val[b][j];
		o->pre[b][j] = acc;
	}
}

/* Block buffers are allocated as the window grows, never freed before
 * the window. */
static int os_reserve(struct risk_ostat *o, size_t i)
{
	if (!o->val[i])
		o->val[i] = malloc(sizeof(double) * 2 * OS_B);
	if (!o->pre[i])
		o->pre[i] = malloc(sizeof(double) * 2 * OS_B);
	return o->val[i] && o->pre[i] ? 0 : ORCH_ENOMEM;
}

int risk_ostat_init(struct risk_ostat *o, size_t max_n)
{
	memset(o, 0, sizeof(*o));
	o->cap_nb = 2 * max_n / OS_B + 4; /* blocks hold >= OS_B/2 values, plus a spare */
	o->val = calloc(o->cap_nb, sizeof(double *));
	o->pre = calloc(o->cap_nb, sizeof(double *));
	o->cnt = calloc(o->cap_nb, sizeof(uint32_t));
	o->fcnt = calloc(o->cap_nb + 1, sizeof(size_t));
	o->fsum = calloc(o->cap_nb + 1, sizeof(double));
	if (!o->val || !o->pre || !o->cnt || !o->fcnt || !o->fsum)
		return ORCH_ENOMEM;
	o->nb = 1;
	return os_reserve(o, 0);
}

void risk_ostat_release(struct risk_ostat *o)
{
	for (size_t i = 0; o->val && i < o->cap_nb; i++) {
		free(o->val[i]);
		free(o->pre[i]);
	}
	free(o->val);
	free(o->pre);
	free(o->cnt);
	free(o->fcnt);
	free(o->fsum);
}

/* First block whose largest value is >= x (the last block if none). */
static size_t os_block_for(const struct risk_ostat *o, double x)
{
	size_t lo = 0, hi = o->nb - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->cnt[mid] && o->val[mid][o->cnt[mid] - 1] >= x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First position in block b whose value is >= x. */
static size_t os_lower(const struct risk_ostat *o, size_t b, double x)
{
	size_t lo = 0, hi = o->cnt[b];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->val[b][mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Moves block slots so that `at` is free (shifting later blocks right),
 * or removes slot `at` (shifting left); block buffers are rotated, never
 * freed. */
static void os_slot_insert(struct risk_ostat *o, size_t at)
{
	double *v = o->val[o->nb], *p = o->pre[o->nb];
	memmove(&o->val[at + 1], &o->val[at], sizeof(double *) * (o->nb - at));
	memmove(&o->pre[at + 1], &o->pre[at], sizeof(double *) * (o->nb - at));
	memmove(&o->cnt[at + 1], &o->cnt[at], sizeof(uint32_t) * (o->nb - at));
	o->val[at] = v;
	o->pre[at] = p;
	o->cnt[at] = 0;
	o->nb++;
}

static void os_slot_remove(struct risk_ostat *o, size_t at)
{
	double *v = o->val[at], *p = o->pre[at];
	memmove(&o->val[at], &o->val[at + 1], sizeof(double *) * (o->nb - at - 1));
	memmove(&o->pre[at], &o->pre[at + 1], sizeof(double *) * (o->nb - at - 1));
	memmove(&o->cnt[at], &o->cnt[at + 1], sizeof(uint32_t) * (o->nb - at - 1));
	o->nb--;
	o->val[o->nb] = v;
	o->pre[o->nb] = p;
	o->cnt[o->nb] = 0;
}

int risk_ostat_insert(struct risk_ostat *o, double x)
{
	size_t b = os_block_for(o, x), p = os_lower(o, b, x);
	if (o->cnt[b] + 1 == 2 * OS_B && os_reserve(o, o->nb) != 0)
		return ORCH_ENOMEM;
	double old = os_bsum(o, b);
	memmove(&o->val[b][p + 1], &o->val[b][p], sizeof(double) * (o->cnt[b] - p));
	o->val[b][p] = x;
	o->cnt[b]++;
	o->n++;
	os_prefix_from(o, b, p);
	if (o->cnt[b] < 2 * OS_B) {
		os_fenwick_add(o, b, 1, os_bsum(o, b) - old);
		return 0;
	}
	os_slot_insert(o, b + 1);
	memcpy(o->val[b + 1], &o->val[b][OS_B], sizeof(double) * OS_B);
	o->cnt[b] = o->cnt[b + 1] = OS_B;
	os_prefix_from(o, b + 1, 0);
	os_rebuild(o);
	return 0;
}

void risk_ostat_erase(struct risk_ostat *o, double x)
{
	size_t b = os_block_for(o, x), p = os_lower(o, b, x);
	double old = os_bsum(o, b);
	memmove(&o->val[b][p], &o->val[b][p + 1], sizeof(double) * (o->cnt[b] - p - 1));
	o->cnt[b]--;
	o->n--;
	os_prefix_from(o, b, p);
	if (o->cnt[b] >= OS_B / 2 || o->nb == 1) {
		os_fenwick_add(o, b, -1, os_bsum(o, b) - old);
		return;
	}
	/* too small: fold into a neighbour, splitting again if that overfills */
	size_t a = b + 1 < o->nb ? b : b - 1;
	size_t na = o->cnt[a], nn = o->cnt[a + 1];
	if (na + nn < 2 * OS_B) {
		memcpy(&o->val[a][na], o->val[a + 1], sizeof(double) * nn);
		o->cnt[a] = (uint32_t)(na + nn);
		os_prefix_from(o, a, na);
		os_slot_remove(o, a + 1);
	} else {
		double tmp[4 * OS_B];
		memcpy(tmp, o->val[a], sizeof(double) * na);
		memcpy(&tmp[na], o->val[a + 1], sizeof(double) * nn);
		size_t half = (na + nn) / 2;
		memcpy(o->val[a], tmp, sizeof(double) * half);
		memcpy(o->val[a + 1], &tmp[half], sizeof(double) * (na + nn - half));
		o->cnt[a] = (uint32_t)half;
		o->cnt[a + 1] = (uint32_t)(na + nn - half);
		os_prefix_from(o, a, 0);
		os_prefix_from(o, a + 1, 0);
	}
	os_rebuild(o);
}

double risk_ostat_kth(const void *ctx, size_t k)
{
	const struct risk_ostat *o = ctx;
	size_t pos = 0, step = 1;
	while (step * 2 <= o->nb)
		step *= 2;
	for (; step; step /= 2) {
		if (pos + step <= o->nb && o->fcnt[pos + step] <= k) {
			pos += step;
			k -= o->fcnt[pos];
		}
	}
	return o->val[pos][k];
}

void risk_ostat_below(const void *ctx, double q, size_t *cnt, double *sum)
{
	const struct risk_ostat *o = ctx;
	size_t b = os_block_for(o, q), p = os_lower(o, b, q);
	size_t c = p;
	double s = p ? o->pre[b][p - 1] : 0;
	for (size_t i = b; i; i -= i & (~i + 1)) {
		c += o->fcnt[i];
		s += o->fsum[i];
	}
	*cnt = c;
	*sum = s;
}
