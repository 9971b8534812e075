/*
 * replay_prices.h - a CSV of daily closes for the demo's feeder and the
 * backtest: a header "date,NAME,NAME,...", then one row per day with a
 * date (YYYY-MM-DD, or a decimal year like 1991.496154) and one positive
 * close per instrument. Dates must increase; every row has exactly the
 * header's columns; blank lines are skipped. Reads the file, nothing else.
 */
#ifndef REPLAY_PRICES_H
#define REPLAY_PRICES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay_book.h"

struct replay_prices {
	int n_instr;
	char names[RB_MAX_INSTR][32];
	size_t n_days;
	int64_t *t_ms; /* epoch ms: the row's date at 12:00 UTC */
	double *close; /* n_days x n_instr, row by row */
};

/*
 * Loads path into p, requiring at least min_instr instruments and min_days
 * rows. Returns 0, ORCH_EINVAL with "FILE:LINE: what is wrong" in err
 * (nothing to free), ORCH_EIO (cannot open or read; err says why) or
 * ORCH_ENOMEM. On success release p with replay_prices_release().
 */
int replay_prices_load(const char *path, int min_instr, size_t min_days, struct replay_prices *p, char *err,
		       size_t errlen);
/* Frees what p holds; NULL or an empty p is fine. */
void replay_prices_release(struct replay_prices *p);
/*
 * Synthetic prices, the same for the same arguments on every machine:
 * n_instr instruments ("S01", ...) over n_days business days from
 * 2010-01-04, each day's log return beta_i times a market return plus the
 * instrument's own, with calm and stressed market regimes (daily sd 0.7 %
 * and 1.6 %, entered with probability 1 % and left with 5 % a day). For
 * the benchmarks and tests. Returns 0, ORCH_EINVAL (sizes out of range)
 * or ORCH_ENOMEM; release p with replay_prices_release().
 */
int replay_prices_synthetic(int n_instr, size_t n_days, uint64_t seed, struct replay_prices *p);
/* Writes p as the CSV replay_prices_load() reads (YYYY-MM-DD dates). 0 or
 * ORCH_EIO. */
int replay_prices_write(FILE *f, const struct replay_prices *p);
/* Days per year of the series, (days - 1) / years between its ends. */
double replay_prices_per_year(const struct replay_prices *p);

#endif
