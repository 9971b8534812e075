/*
 * replay_summary.h - what a replay of the demo's book recorded day by day
 * (both books' equity and fills, and the operating mode the layer's book
 * traded under), and the summary made of it: the same JSON and the same
 * printed table from `make demo` (tools/replay over the services) and from
 * `orchctl backtest` (the same code in one process). No I/O but the FILE
 * the table is printed to.
 *
 * Summary JSON: prices, from, to, days, trades (closed with the layer),
 * rules, with_layer and without_layer {total_return, cagr, max_drawdown,
 * sharpe, sortino, calmar, worst_month, worst_month_at,
 * longest_without_trade {days, calendar_days, from, to,
 * other_book_traded}}, layer {time_in_mode {GROWTH ... BLACK_SWAN, none},
 * mode_switches_per_year}, mode_switches [{date, from, to, reason}],
 * conventions {...} (every figure's definition).
 */
#ifndef REPLAY_SUMMARY_H
#define REPLAY_SUMMARY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "replay_book.h"
#include "replay_prices.h"

struct replay_record {
	size_t n_days, cap;
	double *eq[2];            /* [0] with the layer, [1] without, USD */
	unsigned char *traded[2]; /* 1 when the book opened or closed a position */
	signed char *mode;        /* enum ceo_mode in force, -1 when the policy names none */
	int *month;               /* year * 12 + month - 1 */
	long trades;              /* positions closed with the layer */
};

/* Room for n days. Returns 0 or ORCH_ENOMEM; release with
 * replay_record_release() either way. */
int replay_record_init(struct replay_record *r, size_t n);
void replay_record_release(struct replay_record *r);
/* Day t_ms (the next of at most n): each book's day and the operating mode
 * ("" or unknown: none) the layer's book traded under. */
void replay_record_day(struct replay_record *r, int64_t t_ms, const struct rb_day *with, const struct rb_day *without,
		       const char *mode);

/*
 * The summary of r over prices p (the file named prices_path), decided by
 * the rule set `rules`, with the layer's mode switches (stolen: an array
 * of {date, from, to, reason}). New reference, NULL when out of memory.
 */
json_t *replay_summary_json(const struct replay_record *r, const struct replay_prices *p, const char *prices_path,
			    const char *rules, json_t *switches);
/* Prints the summary as the demo shows it. */
void replay_summary_print(FILE *f, const json_t *summary);

#endif
