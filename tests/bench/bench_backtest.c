/*
 * bench_backtest.c - the layer in one process (orchctl backtest), each
 * figure the best of five runs beside a ceiling measured in the same run:
 *
 *   backtest_eustockmarkets  s for the bundled data (4 instruments, 1,860
 *                            days, read from the file)   vs   the book
 *                            alone: reading the file, both books and each
 *                            day's entries, without the layer
 *   backtest_30x10           s for 30 instruments over 10 years of
 *                            synthetic prices   vs   the book alone on them;
 *                            the target is under a second
 *
 * Settings are the replay mode's (deploy/env/replay.env), as in `make demo`.
 * Usage: bench_backtest [PRICES.csv] (default data/eustockmarkets.csv under
 * ORCH_TEST_SRCDIR, else the current directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest.h"
#include "clock.h"
#include "orch.h"
#include "harness.h"
#include "replay_feed.h"
#include "replay_policy.h"

#define RUNS 5

static struct backtest_config cfg;

static double seconds_since(int64_t t0)
{
	return (double)(clock_mono_ns() - t0) / 1e9;
}

/* The ceiling: both books and the day's entries, no layer. */
static int book_alone(const struct replay_prices *p, char *err, size_t errlen)
{
	const char *names[RB_MAX_INSTR];
	for (int i = 0; i < p->n_instr; i++)
		names[i] = p->names[i];
	struct rb_book *a = rb_new(p->n_instr, names, 1e6), *b = rb_new(p->n_instr, names, 1e6);
	struct replay_policy base;
	struct rb_day day;
	struct replay_entry en[REPLAY_FEED_MAX_ENTRIES];
	int n;
	replay_policy_normal(&base);
	for (size_t d = 0; a && b && d < p->n_days; d++) {
		const double *closes = &p->close[d * (size_t)p->n_instr];
		rb_step(a, closes, &base.l, &day);
		if (replay_feed_day(p->t_ms[d], &day, en, &n) == 0)
			replay_feed_release(en, n);
		rb_step(b, closes, &base.l, &day);
	}
	int rc = a && b ? 0 : ORCH_ENOMEM;
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	rb_free(a);
	rb_free(b);
	return rc;
}

static int with_layer(const struct replay_prices *p, char *err, size_t errlen)
{
	struct backtest_result r;
	int rc = backtest_run(p, &cfg, &r, err, errlen);
	backtest_result_release(&r);
	return rc;
}

/* Best of RUNS seconds for fn over the file at path (read each time), or
 * over p when path is NULL; -1 on failure (printed). */
static double best_of(int (*fn)(const struct replay_prices *, char *, size_t), const char *path,
		      const struct replay_prices *p)
{
	char err[256];
	double best = -1;
	for (int k = 0; k < RUNS; k++) {
		struct replay_prices file;
		int64_t t0 = clock_mono_ns();
		int rc = path ? replay_prices_load(path, 2, 60, &file, err, sizeof(err)) : 0;
		if (rc == 0)
			rc = fn(path ? &file : p, err, sizeof(err));
		double s = seconds_since(t0);
		if (path && rc == 0)
			replay_prices_release(&file);
		if (rc != 0) {
			fprintf(stderr, "bench_backtest: %s\n", err);
			return -1;
		}
		best = best < 0 || s < best ? s : best;
	}
	return best;
}

int main(int argc, char **argv)
{
	char path[1024], err[256], *text = strdup(backtest_replay_env);
	const char *srcdir = getenv("ORCH_TEST_SRCDIR");
	snprintf(path, sizeof(path), "%s", argc > 1 ? argv[1] : "");
	if (!path[0])
		snprintf(path, sizeof(path), "%s/data/eustockmarkets.csv", srcdir && *srcdir ? srcdir : ".");
	struct backtest_setting replay[64];
	int bad = 0, n = text ? backtest_env_parse(text, replay, 64, &bad) : -1;
	struct backtest_sources src = {.replay = replay, .n_replay = n > 0 ? (size_t)n : 0};
	if (n < 0 || backtest_config_load(&src, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_backtest: settings: %s\n", n < 0 ? "replay.env unreadable" : err);
		return 1;
	}
	double layer = best_of(with_layer, path, NULL), alone = best_of(book_alone, path, NULL);
	if (layer < 0 || alone < 0)
		return 1;
	harness_bench_line("backtest_eustockmarkets",
			   layer,
			   "s",
			   "the book alone: reading the file, both books and the day's entries, no layer",
			   alone,
			   "under 1 s for 30 instruments x 10 years (backtest_30x10)");
	struct replay_prices syn;
	if (replay_prices_synthetic(30, 2610, 1, &syn) != 0)
		return 1;
	layer = best_of(with_layer, NULL, &syn);
	alone = best_of(book_alone, NULL, &syn);
	if (layer < 0 || alone < 0)
		return 1;
	harness_bench_line(
		"backtest_30x10", layer, "s", "the book alone on the same prices, no layer", alone, "under 1 s");
	replay_prices_release(&syn);
	free(text);
	return 0;
}
