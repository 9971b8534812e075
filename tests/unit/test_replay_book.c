/*
 * test_replay_book.c - the demo's simulated book (tools/replay): each
 * strategy's entry and exit rule, sizing, and that every policy limit it
 * is given binds (max positions, leverage, allow_new, disabled
 * strategies, close_all); then the performance figures of a hand-checked
 * equity curve, the longest stretch without a fill, and a day's entries in
 * the original wire format (replay_feed.c).
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "replay_book.h"
#include "replay_feed.h"
#include "run_suite.h"

static const struct rb_limits OPEN = {
	.max_positions = 30, .risk_per_trade = 0.015, .max_leverage = 5, .scaling = 1, .allow_new = 1};

static struct rb_book *book1(void)
{
	const char *names[] = {"DAX"};
	struct rb_book *b = rb_new(1, names, 1000000);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* n days of a price rising 0.1 % a day from p0, under limits l. */
static double rise(struct rb_book *b, int n, double p0, const struct rb_limits *l, struct rb_day *d)
{
	double p = p0;
	for (int k = 0; k < n; k++, p *= 1.001)
		rb_step(b, &p, l, d);
	return p / 1.001;
}

START_TEST(test_trend_enters_after_50_days_sized_by_risk)
{
	struct rb_book *b = book1();
	struct rb_day d;
	rise(b, 49, 100, &OPEN, &d);
	ck_assert_int_eq(d.n_positions, 0);
	rise(b, 1, 100 * pow(1.001, 49), &OPEN, &d);
	ck_assert_int_eq(d.n_positions, 1);
	ck_assert_str_eq(d.positions[0].symbol, "DAX");
	/* 1e6 * 0.015 / 0.05 * 1 */
	ck_assert_double_eq_tol(d.exposure, 300000, 1e-6);
	ck_assert_double_eq_tol(d.equity, 1000000, 1e-6);
	ck_assert_str_eq(rb_strategy_name(b, 0, 0), "trend_DAX");
	rb_free(b);
}
END_TEST

START_TEST(test_trend_exit_reports_the_trade)
{
	struct rb_book *b = book1();
	struct rb_day d;
	struct rb_limits l = OPEN;
	const char *off[] = {"meanrev_DAX"}; /* the drop would be its entry */
	l.disabled = off;
	l.n_disabled = 1;
	double p = rise(b, 60, 100, &l, &d);
	ck_assert_int_eq(d.n_positions, 1);
	double entry = 100 * pow(1.001, 49), drop = p * 0.9;
	rb_step(b, &drop, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	ck_assert_int_eq(d.n_trades, 1);
	ck_assert_str_eq(d.trades[0].strategy, "trend_DAX");
	ck_assert_double_eq_tol(d.trades[0].pnl_pct, 100 * (drop / entry - 1), 1e-9);
	ck_assert_int_eq(d.trades[0].held_days, 11);
	ck_assert_double_eq_tol(d.equity, 1000000 + 300000 * (drop / entry - 1), 1e-6);
	rb_free(b);
}
END_TEST

START_TEST(test_meanrev_buys_a_two_sd_drop_and_sells_at_the_mean)
{
	struct rb_book *b = book1();
	struct rb_day d;
	struct rb_limits no_trend = OPEN;
	const char *off[] = {"trend_DAX"};
	no_trend.disabled = off;
	no_trend.n_disabled = 1;
	for (int k = 0; k < 30; k++) {
		double p = k % 2 ? 101 : 99;
		rb_step(b, &p, &no_trend, &d);
	}
	ck_assert_int_eq(d.n_positions, 0);
	double low = 90;
	rb_step(b, &low, &no_trend, &d);
	ck_assert_int_eq(d.n_positions, 1);
	double back = 101;
	rb_step(b, &back, &no_trend, &d);
	ck_assert_int_eq(d.n_positions, 0);
	ck_assert_int_eq(d.n_trades, 1);
	ck_assert_str_eq(d.trades[0].strategy, "meanrev_DAX");
	ck_assert_double_eq_tol(d.trades[0].pnl_pct, 100 * (101.0 / 90 - 1), 1e-9);
	rb_free(b);
}
END_TEST

START_TEST(test_limits_bind)
{
	struct rb_day d;
	struct rb_limits l = OPEN;
	l.max_positions = 0;
	struct rb_book *b = book1();
	rise(b, 60, 100, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	rb_free(b);

	l = OPEN;
	l.allow_new = 0;
	b = book1();
	rise(b, 60, 100, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	rb_free(b);

	/* 0.3 of equity per position does not fit under leverage 0.2 */
	l = OPEN;
	l.max_leverage = 0.2;
	b = book1();
	rise(b, 60, 100, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	rb_free(b);

	/* the scaling factor scales the notional */
	l = OPEN;
	l.scaling = 0.5;
	b = book1();
	rise(b, 50, 100, &l, &d);
	ck_assert_double_eq_tol(d.exposure, 150000, 1e-6);
	rb_free(b);
}
END_TEST

START_TEST(test_disabling_and_close_all_close_positions)
{
	struct rb_day d;
	struct rb_book *b = book1();
	double p = rise(b, 60, 100, &OPEN, &d);
	struct rb_limits l = OPEN;
	const char *off[] = {"trend_DAX"};
	l.disabled = off;
	l.n_disabled = 1;
	rb_step(b, &p, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	ck_assert_int_eq(d.n_trades, 1);
	rb_free(b);

	b = book1();
	p = rise(b, 60, 100, &OPEN, &d);
	l = OPEN;
	l.close_all = 1;
	rb_step(b, &p, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	ck_assert_int_eq(d.n_trades, 1);
	p *= 1.001;
	rb_step(b, &p, &l, &d);
	ck_assert_int_eq(d.n_positions, 0);
	rb_free(b);
}
END_TEST

START_TEST(test_perf_of_a_known_curve)
{
	/* Jan: 100 -> 110; Feb: 110 -> 99 -> 104.5; Mar: 120 */
	const double eq[] = {100, 110, 99, 104.5, 120};
	const int month[] = {1991 * 12, 1991 * 12, 1991 * 12 + 1, 1991 * 12 + 1, 1991 * 12 + 2};
	struct rb_perf p;
	rb_perf(eq, month, 5, 260, &p);
	ck_assert_double_eq_tol(p.total_return, 0.2, 1e-12);
	ck_assert_double_eq_tol(p.max_drawdown, 0.1, 1e-12);
	ck_assert_double_eq_tol(p.worst_month, 104.5 / 110 - 1, 1e-12);
	ck_assert_str_eq(p.worst_month_label, "1991-02");
	const double r[] = {0.1, 99.0 / 110 - 1, 104.5 / 99 - 1, 120 / 104.5 - 1};
	double mean = (r[0] + r[1] + r[2] + r[3]) / 4, ss = 0;
	for (int i = 0; i < 4; i++)
		ss += (r[i] - mean) * (r[i] - mean);
	ck_assert_double_eq_tol(p.sharpe, mean / sqrt(ss / 3) * sqrt(260), 1e-9);
	/* downside deviation over every return; CAGR over (n - 1) / ppy years */
	double down = sqrt((r[1] * r[1]) / 4);
	ck_assert_double_eq_tol(p.sortino, mean / down * sqrt(260), 1e-9);
	ck_assert_double_eq_tol(p.cagr, pow(1.2, 260.0 / 4) - 1, 1e-6 * pow(1.2, 65));
	ck_assert_double_eq_tol(p.calmar, p.cagr / 0.1, 1e-6 * p.calmar);
}
END_TEST

START_TEST(test_perf_without_losses_or_drawdown_gives_zero_ratios)
{
	const double eq[] = {100, 101, 102, 103};
	const int month[] = {1, 1, 1, 1};
	struct rb_perf p;
	rb_perf(eq, month, 4, 260, &p);
	ck_assert_double_eq(p.max_drawdown, 0);
	ck_assert_double_eq(p.sortino, 0);
	ck_assert_double_eq(p.calmar, 0);
	ck_assert(p.cagr > 0);
}
END_TEST

START_TEST(test_quiet_finds_the_first_longest_run_and_the_other_book)
{
	/* runs without fills: days 0-1, 3-6 (4 days), 8-11 (4 days) */
	const unsigned char mine[] = {0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	const unsigned char other[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	struct rb_quiet q;
	rb_quiet(mine, other, 12, &q);
	ck_assert_uint_eq(q.days, 4);
	ck_assert_uint_eq(q.first, 3);
	ck_assert_uint_eq(q.last, 6);
	ck_assert_int_eq(q.other_traded, 1);
	const unsigned char busy[] = {1, 1, 1};
	rb_quiet(busy, other, 3, &q);
	ck_assert_uint_eq(q.days, 0);
	ck_assert_int_eq(q.other_traded, 0);
	const unsigned char idle[] = {0, 0, 0};
	rb_quiet(idle, idle, 3, &q);
	ck_assert_uint_eq(q.days, 3);
	ck_assert_uint_eq(q.last, 2);
	ck_assert_int_eq(q.other_traded, 0);
}
END_TEST

START_TEST(test_a_day_counts_what_it_opened)
{
	struct rb_book *b = book1();
	struct rb_day d;
	rise(b, 49, 100, &OPEN, &d);
	ck_assert_int_eq(d.n_opened, 0);
	rise(b, 1, 100 * pow(1.001, 49), &OPEN, &d);
	ck_assert_int_eq(d.n_opened, 1);
	ck_assert_int_eq(d.n_trades, 0);
	rb_free(b);
}
END_TEST

/* The value of field name in entry e, or NULL. */
static const char *field_of(const struct replay_entry *e, const char *name)
{
	for (int k = 0; k < e->nfields; k++)
		if (!strcmp(e->kv[2 * k], name))
			return e->kv[2 * k + 1];
	return NULL;
}

START_TEST(test_feed_writes_the_original_wire_format)
{
	struct rb_day d;
	memset(&d, 0, sizeof(d));
	d.equity = 1000500.25;
	d.exposure = 300000;
	d.n_positions = 1;
	snprintf(d.positions[0].symbol, sizeof(d.positions[0].symbol), "DAX");
	d.positions[0].exposure = 300000;
	d.n_trades = 1;
	snprintf(d.trades[0].strategy, sizeof(d.trades[0].strategy), "trend_DAX");
	snprintf(d.trades[0].symbol, sizeof(d.trades[0].symbol), "DAX");
	d.trades[0].pnl_pct = -1.23456789;
	struct replay_entry e[REPLAY_FEED_MAX_ENTRIES];
	int n;
	ck_assert_int_eq(replay_feed_day(1000000000000LL, &d, e, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(e[0].type, "trade.closed");
	ck_assert_ptr_null(field_of(&e[0], "payload"));
	ck_assert_str_eq(field_of(&e[0], "pnl_percent"), "-1.234568");
	ck_assert_str_eq(field_of(&e[0], "strategy"), "trend_DAX");
	ck_assert_str_eq(field_of(&e[0], "timestamp"), "2001-09-09T01:46:40.000000");
	ck_assert_str_eq(e[1].type, "portfolio.snapshot_updated");
	json_t *snap = json_loads(field_of(&e[1], "payload"), 0, NULL);
	ck_assert_ptr_nonnull(snap);
	ck_assert_double_eq(json_real_value(json_object_get(snap, "total_equity")), 1000500.25);
	ck_assert_int_eq(json_integer_value(json_object_get(snap, "num_positions")), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_array_get(json_object_get(snap, "positions"), 0), "symbol")),
		"DAX");
	for (int k = 0; k < e[1].nfields; k++)
		ck_assert_uint_eq(e[1].lens[2 * k + 1], strlen(e[1].kv[2 * k + 1]));
	json_decref(snap);
	replay_feed_release(e, n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("replay_book");
	TCase *tc = tcase_create("book");
	tcase_add_test(tc, test_trend_enters_after_50_days_sized_by_risk);
	tcase_add_test(tc, test_trend_exit_reports_the_trade);
	tcase_add_test(tc, test_meanrev_buys_a_two_sd_drop_and_sells_at_the_mean);
	tcase_add_test(tc, test_limits_bind);
	tcase_add_test(tc, test_disabling_and_close_all_close_positions);
	tcase_add_test(tc, test_perf_of_a_known_curve);
	tcase_add_test(tc, test_perf_without_losses_or_drawdown_gives_zero_ratios);
	tcase_add_test(tc, test_quiet_finds_the_first_longest_run_and_the_other_book);
	tcase_add_test(tc, test_a_day_counts_what_it_opened);
	tcase_add_test(tc, test_feed_writes_the_original_wire_format);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
