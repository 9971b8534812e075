/*
 * bench_strategy.c - the Strategy Officer's pure modules at scale: 10,000
 * strategies and 1,000,000 closed trades. Each figure is printed beside a
 * ceiling measured in the same run:
 *
 *   strategy_ingest       trades/s into the book (name lookup, window push,
 *                         model prediction)   vs   appending the same
 *                         returns to one flat array (memory bandwidth)
 *   strategy_rank_10k     ms for one full evaluation (evidence of every
 *                         strategy, scores, ranking, fallback correlation,
 *                         disable rules)   vs   one pass over every return
 *                         in the windows plus a sort of 10,000 scores
 *
 * Usage: bench_strategy [TRADES] [STRATEGIES] (defaults 1000000 and 10000).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "strategy_brain.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double uniform01(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

int main(int argc, char **argv)
{
	long trades = argc > 1 ? atol(argv[1]) : 1000000;
	long n_strat = argc > 2 ? atol(argv[2]) : 10000;
	struct strat_input *tpl = calloc((size_t)n_strat, sizeof(*tpl));
	double *edge = malloc(sizeof(double) * (size_t)n_strat);
	double *r = malloc(sizeof(double) * (size_t)trades);
	long *who = malloc(sizeof(long) * (size_t)trades);
	if (!tpl || !edge || !r || !who)
		return 1;
	for (long i = 0; i < n_strat; i++) {
		tpl[i].kind = STRAT_IN_TRADE;
		tpl[i].confidence = 0.6;
		tpl[i].side = i % 2 ? 1 : -1;
		snprintf(tpl[i].strategy, sizeof(tpl[i].strategy), "strategy_%05ld", i);
		snprintf(tpl[i].model, sizeof(tpl[i].model), "model_%02ld", i % 40);
		edge[i] = 0.004 * (uniform01() - 0.45);
	}
	for (long k = 0; k < trades; k++) {
		who[k] = (long)(uniform01() * (double)n_strat);
		r[k] = edge[who[k]] + 0.01 * (uniform01() - 0.5);
	}

	/* ceiling: append the same returns to a flat array */
	double *flat = malloc(sizeof(double) * (size_t)trades);
	int64_t t0 = clock_mono_ns();
	for (long k = 0; k < trades; k++)
		flat[k] = r[k] + (double)who[k] * 0.0;
	double flat_s = (double)(clock_mono_ns() - t0) / 1e9;

	struct strat_book *b = NULL;
	struct strat_book_config cfg = {.window_count = 500, .max_units = (size_t)n_strat, .decision_ttl_ms = 86400000};
	if (strat_book_new(&b, &cfg) != 0)
		return 1;
	char why[128];
	const int64_t start = 1767225600000;
	t0 = clock_mono_ns();
	for (long k = 0; k < trades; k++) {
		struct strat_input *in = &tpl[who[k]];
		in->ret = r[k];
		in->t_ms = start + k * 100;
		if (strat_book_apply(b, in, in->t_ms, why, sizeof(why)) != 0)
			return 1;
	}
	double ingest_s = (double)(clock_mono_ns() - t0) / 1e9;
	harness_bench_line("strategy_ingest",
			   (double)trades / ingest_s,
			   "trades/s",
			   "appending the same returns to one array",
			   (double)trades / fmax(flat_s, 1e-9),
			   "value>500000");

	struct strat_thresholds th;
	strat_thresholds_defaults(&th);
	int64_t now = start + trades * 100;
	double best = 1e30;
	size_t eligible = 0, disabled = 0;
	for (int rep = 0; rep < 5; rep++) {
		struct strat_result res;
		t0 = clock_mono_ns();
		if (strat_brain_evaluate(b, &th, now, &res) != 0)
			return 1;
		best = fmin(best, (double)(clock_mono_ns() - t0) / 1e6);
		eligible = res.n_eligible;
		disabled = res.n_disabled;
		strat_result_release(&res);
	}
	/* ceiling: read every return in the windows once, sort one score each */
	double ceil_ms = 1e30;
	double *scores = malloc(sizeof(double) * (size_t)n_strat);
	for (int rep = 0; rep < 5; rep++) {
		t0 = clock_mono_ns();
		size_t ns = strat_book_strategies(b);
		for (size_t i = 0; i < ns; i++) {
			const struct strat_unit *u = strat_book_strategy(b, i);
			double s = 0;
			for (size_t k = 0; k < u->n; k++)
				s += u->v[strat_unit_at(u, k)];
			scores[i] = s;
		}
		qsort(scores, ns, sizeof(double), cmp_double);
		ceil_ms = fmin(ceil_ms, (double)(clock_mono_ns() - t0) / 1e6);
	}
	harness_bench_line("strategy_rank_10k",
			   best,
			   "ms",
			   "one pass over every windowed return + sort of the scores",
			   ceil_ms,
			   "value<50");
	fprintf(stderr,
		"bench_strategy: %zu strategies, %zu eligible, %zu disabled, checksum %g\n",
		strat_book_strategies(b),
		eligible,
		disabled,
		flat[trades / 2] + scores[0]);
	strat_book_free(b);
	free(scores);
	free(flat);
	free(tpl);
	free(edge);
	free(r);
	free(who);
	return 0;
}
