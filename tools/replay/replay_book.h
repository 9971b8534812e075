/*
 * replay_book.h - the demo's simulated trading book, pure (no I/O): two
 * simple long-only strategies per instrument trading one book that obeys
 * the limits it is given, and the performance of its equity curve.
 *
 * Strategies (per instrument, decided on each day's close, filled at it):
 *   trend_<X>    long while the close is above its 50-day mean; out when
 *                it closes below
 *   meanrev_<X>  long when the close is more than 2 standard deviations
 *                below its 20-day mean; out when it is back at the mean,
 *                or after 20 days
 * Sizing: a position risks risk_per_trade of equity at a 5% stop, times
 * the scaling factor: notional = equity * risk_per_trade / 0.05 * scaling.
 * A new position opens only when new positions are allowed, its strategy
 * is not disabled, fewer than max_positions are open and the gross
 * exposure stays within max_leverage * equity; close_all (BLACK_SWAN)
 * closes every position and opens none. A disabled strategy's positions
 * are closed.
 */
#ifndef REPLAY_BOOK_H
#define REPLAY_BOOK_H

#include <stddef.h>

#define RB_MAX_INSTR 32
#define RB_STOP      0.05

struct rb_limits {
	int max_positions;
	double risk_per_trade; /* fraction of equity lost at the stop */
	double max_leverage;   /* gross exposure / equity */
	double scaling;
	int allow_new;
	int close_all;
	const char *const *disabled; /* strategy names that may not trade */
	int n_disabled;
};

struct rb_trade {
	char strategy[48];
	char symbol[32];
	double pnl_pct; /* percent of the position's notional */
	int held_days;
};

struct rb_position {
	char symbol[32];
	double exposure; /* USD, marked to the close */
};

struct rb_day {
	double equity;
	double exposure; /* gross, USD */
	int n_positions;
	struct rb_position positions[2 * RB_MAX_INSTR];
	int n_trades; /* positions closed today */
	struct rb_trade trades[2 * RB_MAX_INSTR];
	int n_opened; /* positions opened today */
};

struct rb_book;

/* A book of n instruments (names copied) with initial_equity. Returns
 * NULL when out of memory or n is out of range. Free with rb_free(). */
struct rb_book *rb_new(int n, const char *const *names, double initial_equity);
void rb_free(struct rb_book *b);
/* One day: closes[n] (> 0), the limits in force; fills out. */
void rb_step(struct rb_book *b, const double *closes, const struct rb_limits *l, struct rb_day *out);
/* The strategy name of strategy s (0 trend, 1 meanrev) on instrument i. */
const char *rb_strategy_name(const struct rb_book *b, int s, int i);

struct rb_perf {
	double total_return;        /* last equity / first - 1 */
	double cagr;                /* (1 + total_return)^(1 / years) - 1, years = (n - 1) / ppy */
	double max_drawdown;        /* positive fraction, from the running peak */
	double sharpe;              /* daily returns, mean / sample sd * sqrt(ppy) */
	double sortino;             /* daily returns, mean / downside deviation * sqrt(ppy);
				       downside deviation = sqrt(mean of min(r, 0)^2) */
	double calmar;              /* cagr / max_drawdown, 0 without a drawdown */
	double worst_month;         /* lowest calendar-month return (fraction) */
	char worst_month_label[24]; /* "YYYY-MM" */
};

/* Performance of equity[0..n-1] with month_of[i] = year * 12 + month - 1
 * of each day, annualised with ppy periods per year. Ratios whose
 * denominator is 0 are 0. */
void rb_perf(const double *equity, const int *month_of, size_t n, double ppy, struct rb_perf *out);

/* The longest run of days on which a book neither opened nor closed a
 * position. */
struct rb_quiet {
	size_t first, last; /* day indexes, inclusive; days = 0 when it traded every day */
	size_t days;        /* days in the run */
	int other_traded;   /* the other book traded on one of those days */
};

/* traded[i] (and other[i]) are 1 when the book (the other book) opened or
 * closed a position on day i; the first longest run wins. */
void rb_quiet(const unsigned char *traded, const unsigned char *other, size_t n, struct rb_quiet *out);

#endif
