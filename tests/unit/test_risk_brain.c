/*
 * test_risk_brain.c - the Risk Officer's decisions: raising any risk input
 * never lowers the score, alerts enter and leave levels with hysteresis
 * (no storm on a value oscillating around a threshold), ceilings tighten
 * as the score rises, and the input mapping reads the original
 * producers' fields (percent returns, direct-format strings) and refuses
 * events missing a required field.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "orch.h"
#include "risk_book.h"
#include "risk_brain.h"
#include "run_suite.h"

static const struct risk_limits limits = {
	.max_drawdown = 0.15,
	.max_daily_drawdown = 0.05,
	.var_ceiling = 0.03,
	.es_ceiling = 0.05,
	.vol_ceiling = 1.0,
	.max_leverage = 5,
	.concentration_ceiling = 0.5,
	.max_risk_per_trade = 0.015,
	.max_positions = 30,
	.score_critical = 80,
	.tail_multiple = 2,
	.hysteresis = 0.1,
};

static struct risk_view base_view(void)
{
	struct risk_view v;
	memset(&v, 0, sizeof(v));
	v.portfolio.sufficient = 1;
	v.portfolio.n_obs = 100;
	v.portfolio.n_conf = 2;
	v.portfolio.periods_per_year = 252;
	v.portfolio.historical[0].var = 0.01;
	v.portfolio.historical[1].es = 0.02;
	v.portfolio.ewma_volatility = 0.02;
	v.portfolio.current_drawdown = 0.03;
	v.have_snapshot = 1;
	v.daily_drawdown = 0.01;
	v.leverage = 2;
	v.herfindahl = 0.2;
	v.open_positions = 3;
	return v;
}

/* Pointer to the i-th risk input of a view (the ones the score reads). */
static double *input_of(struct risk_view *v, int i)
{
	double *in[] = {&v->portfolio.current_drawdown,
			&v->daily_drawdown,
			&v->portfolio.historical[0].var,
			&v->portfolio.historical[1].es,
			&v->portfolio.ewma_volatility,
			&v->leverage,
			&v->herfindahl};
	return in[i];
}

START_TEST(test_risk_score_never_falls_when_an_input_rises)
{
	uint64_t s = 12345;
	int raised = 0;
	for (int trial = 0; trial < 20000; trial++) {
		struct risk_view v = base_view();
		for (int i = 0; i < 7; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			*input_of(&v, i) = (double)(s % 10000) / 10000.0 * (i == 5 ? 10 : 0.2);
		}
		struct risk_score a, b;
		risk_score_compute(&v, &limits, &a);
		int k = trial % 7;
		*input_of(&v, k) += (double)(s % 977) / 977.0 * 0.1 + 1e-9;
		risk_score_compute(&v, &limits, &b);
		ck_assert_msg(b.score >= a.score, "input %d raised, score %f -> %f", k, a.score, b.score);
		ck_assert(a.score >= 0 && b.score <= 100);
		raised += b.score > a.score;
	}
	ck_assert_int_gt(raised, 5000); /* the inputs really move the score (below saturation) */
}
END_TEST

START_TEST(test_risk_score_weights_sum_to_one_and_saturate_at_100)
{
	double w = 0;
	for (int c = 0; c < RISK_C_COUNT; c++)
		w += risk_component_weight(c);
	ck_assert_double_eq_tol(w, 1.0, 1e-15);
	struct risk_view v = base_view();
	for (int i = 0; i < 7; i++)
		*input_of(&v, i) = 100;
	struct risk_score sc;
	risk_score_compute(&v, &limits, &sc);
	ck_assert_double_eq_tol(sc.score, 100, 1e-12);
	ck_assert_str_eq(sc.level, "critical");
	memset(&v, 0, sizeof(v));
	risk_score_compute(&v, &limits, &sc);
	ck_assert_double_eq(sc.score, 0);
	ck_assert_str_eq(sc.level, "low");
}
END_TEST

START_TEST(test_risk_alerts_hysteresis_prevents_storm)
{
	struct risk_alert_state st;
	memset(&st, 0, sizeof(st));
	struct risk_alert out[RISK_A_COUNT];
	struct risk_view v = base_view();
	struct risk_score sc = {0};
	int critical_raised = 0, cleared = 0;
	/* daily drawdown oscillating around the 5% limit: 4.95%, 5.05%, ... */
	for (int i = 0; i < 1000; i++) {
		v.daily_drawdown = i % 2 ? 0.0505 : 0.0495;
		int n = risk_alerts_update(&st, &v, &sc, &limits, out);
		for (int k = 0; k < n; k++) {
			if (out[k].code != RISK_A_DAILY_DRAWDOWN)
				continue;
			critical_raised += out[k].level == RISK_ALERT_CRITICAL;
			cleared += out[k].level < out[k].previous;
		}
	}
	ck_assert_int_eq(critical_raised, 1);
	ck_assert_int_eq(cleared, 0);
	ck_assert_int_eq(st.level[RISK_A_DAILY_DRAWDOWN], RISK_ALERT_CRITICAL);
	/* CRITICAL (entered at 0.05) is left only below 0.05 - 0.1 * 0.05 */
	v.daily_drawdown = 0.0451;
	ck_assert_int_eq(risk_alerts_update(&st, &v, &sc, &limits, out), 0);
	v.daily_drawdown = 0.0449;
	int n = risk_alerts_update(&st, &v, &sc, &limits, out);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(out[0].code, RISK_A_DAILY_DRAWDOWN);
	ck_assert_int_eq(out[0].previous, RISK_ALERT_CRITICAL);
	ck_assert_int_eq(out[0].level, RISK_ALERT_WARNING);
	ck_assert_double_eq_tol(out[0].threshold, 0.045, 1e-15);
	ck_assert_double_eq_tol(out[0].value, 0.0449, 1e-15);
	ck_assert_str_eq(risk_alert_code_name(out[0].code), "DAILY_DRAWDOWN");
	/* a fall to zero clears it in one record */
	v.daily_drawdown = 0;
	n = risk_alerts_update(&st, &v, &sc, &limits, out);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(out[0].level, RISK_ALERT_NONE);
}
END_TEST

START_TEST(test_risk_alert_jumps_straight_to_critical_with_its_threshold)
{
	struct risk_alert_state st;
	memset(&st, 0, sizeof(st));
	struct risk_alert out[RISK_A_COUNT];
	struct risk_view v = base_view();
	struct risk_score sc = {0};
	v.leverage = 7.5;
	int n = risk_alerts_update(&st, &v, &sc, &limits, out);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(out[0].code, RISK_A_LEVERAGE);
	ck_assert_int_eq(out[0].level, RISK_ALERT_CRITICAL);
	ck_assert_int_eq(out[0].previous, RISK_ALERT_NONE);
	ck_assert_double_eq_tol(out[0].threshold, 5, 1e-12);
	ck_assert_int_eq(risk_alerts_highest(&st), RISK_ALERT_CRITICAL);
}
END_TEST

START_TEST(test_risk_ceilings_tighten_as_score_rises)
{
	struct risk_view v = base_view();
	struct risk_score lo = {.score = 10}, hi = {.score = 90};
	struct risk_ceilings a, b;
	risk_ceilings_compute(&v, &lo, &limits, &a);
	risk_ceilings_compute(&v, &hi, &limits, &b);
	ck_assert(b.max_leverage < a.max_leverage);
	ck_assert(b.max_risk_per_trade < a.max_risk_per_trade);
	ck_assert_int_lt(b.max_positions, a.max_positions);
	ck_assert_double_eq_tol(a.max_leverage, 4.6, 1e-12); /* 5 * (1 - 0.075) rounded to 0.1 */
	ck_assert_int_eq(b.max_positions, 9);                /* floor(30 * 0.325) */
	/* budget 0.05 - 0.01 at leverage 2 with VaR99 0: no cap from VaR */
	ck_assert_double_eq_tol(a.max_exposure, 4.6, 1e-12);
	v.portfolio.historical[1].var = 0.02;
	risk_ceilings_compute(&v, &lo, &limits, &a);
	ck_assert_double_eq_tol(a.max_exposure, 4.0, 1e-12); /* 0.04 * 2 / 0.02 */
	ck_assert(!risk_ceilings_equal(&a, &b));
}
END_TEST

START_TEST(test_risk_input_reads_original_fields)
{
	struct risk_input in;
	char why[128];
	/* direct trade.closed: every field a string, pnl_percent in percent */
	json_t *p = json_pack("{s:s, s:s, s:s}", "pnl_percent", "-2.5", "model", "ensemble", "symbol", "BTCUSDT");
	ck_assert_int_eq(risk_input_parse("trade.closed", p, 1000, &in, why, sizeof(why)), 0);
	ck_assert_int_eq(in.kind, RISK_IN_TRADE);
	ck_assert_double_eq_tol(in.ret, -0.025, 1e-15);
	ck_assert_str_eq(in.strategy, "ensemble");
	json_decref(p);
	p = json_pack("{s:f, s:s}", "pnl_pct", 1.0, "strategy", "momentum");
	ck_assert_int_eq(risk_input_parse("position_closed", p, 1000, &in, why, sizeof(why)), 0);
	ck_assert_str_eq(in.strategy, "momentum");
	ck_assert_double_eq_tol(in.ret, 0.01, 1e-15);
	json_decref(p);
	p = json_pack("{s:f, s:f, s:i, s:[{s:s, s:f}, {s:s, s:f}]}",
		      "total_equity",
		      1000.0,
		      "total_exposure",
		      2000.0,
		      "num_positions",
		      2,
		      "positions",
		      "symbol",
		      "BTC",
		      "exposure",
		      1500.0,
		      "symbol",
		      "ETH",
		      "exposure",
		      -500.0);
	ck_assert_int_eq(risk_input_parse("portfolio.snapshot_updated", p, 1000, &in, why, sizeof(why)), 0);
	ck_assert_double_eq(in.equity, 1000);
	ck_assert_int_eq(in.n_symbols, 2);
	ck_assert_double_eq(in.symbol_exposure[1], 500);
	json_decref(p);
	p = json_pack("{s:s}", "symbol", "BTCUSDT");
	ck_assert_int_eq(risk_input_parse("trade.closed", p, 1000, &in, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "no pnl_percent, pnl_pct or realized_pnl_pct field");
	json_decref(p);
	p = json_pack("{s:f}", "total_equity", -5.0);
	ck_assert_int_eq(risk_input_parse("portfolio_state_update", p, 1000, &in, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "equity -5 is not in (0, 1e15) USD");
	json_decref(p);
	p = json_pack("{s:s}", "pnl_percent", "-150");
	ck_assert_int_eq(risk_input_parse("trade.closed", p, 1000, &in, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "return -150% is a loss beyond 100%");
	json_decref(p);
	ck_assert_int_eq(risk_input_kind_of("execution.result"), 0);
}
END_TEST

/* One trade at 1e200 % used to overflow every measure of the window and
 * stop the Risk Officer's state updates until it left the window. */
START_TEST(test_risk_inputs_outside_their_domain_are_refused_issue_18)
{
	struct risk_input in;
	char why[160];
	static const struct {
		const char *type, *json, *why;
	} bad[] = {
		{"trade.closed", "{\"pnl_percent\": 1e200}", "return 1e+200% is beyond +1000%: not a trade's return"},
		{"trade.closed", "{\"pnl_percent\": \"1001\"}", "return 1001% is beyond +1000%: not a trade's return"},
		{"trade.closed", "{\"pnl_percent\": \"0x10\"}", "pnl_percent: not a number"},
		{"portfolio.snapshot_updated", "{\"total_equity\": 1e300}", "equity 1e+300 is not in (0, 1e15) USD"},
		{"portfolio.snapshot_updated",
		 "{\"total_equity\": 1000, \"total_exposure\": 2e15}",
		 "total_exposure 2e+15 is beyond 1e15 USD"},
		{"portfolio.exposure_updated",
		 "{\"exposure_by_symbol\": {\"BTC\": -1e16}}",
		 "exposure_by_symbol.BTC: exposure -1e+16 is beyond 1e15 USD"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *p = json_loads(bad[i].json, 0, NULL);
		ck_assert_ptr_nonnull(p);
		ck_assert_msg(risk_input_parse(bad[i].type, p, 1000, &in, why, sizeof(why)) == ORCH_EMALFORMED,
			      "%s accepted",
			      bad[i].json);
		ck_assert_str_eq(why, bad[i].why);
		json_decref(p);
	}
	/* +1000% itself is in the domain */
	json_t *p = json_pack("{s:s}", "pnl_percent", "1000");
	ck_assert_int_eq(risk_input_parse("trade.closed", p, 1000, &in, why, sizeof(why)), 0);
	ck_assert_double_eq(in.ret, 10);
	json_decref(p);
	/* an equity that jumps more than 11 times in one period is refused */
	struct risk_book_config cfg = {.window_count = 100,
				       .period_ms = 1000,
				       .ewma_lambda = 0.94,
				       .max_strategies = 4,
				       .conf = {0.95, 0.99},
				       .n_conf = 2};
	struct risk_book *b;
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	struct risk_input snap = {.kind = RISK_IN_SNAPSHOT, .open_positions = -1, .total_exposure = -1};
	snap.t_ms = 1000;
	snap.equity = 100;
	ck_assert_int_eq(risk_book_apply(b, &snap, snap.t_ms, why, sizeof(why)), 0);
	snap.t_ms = 2000;
	snap.equity = 1101;
	ck_assert_int_eq(risk_book_apply(b, &snap, snap.t_ms, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert(strstr(why, "beyond +1000% in one period") != NULL);
	snap.equity = 1100;
	ck_assert_int_eq(risk_book_apply(b, &snap, snap.t_ms, why, sizeof(why)), 0);
	risk_book_free(b);
}
END_TEST

START_TEST(test_risk_inputs_older_than_the_window_are_refused_issue_18)
{
	struct risk_book_config cfg = {.window_count = 100,
				       .window_age_ms = 30 * 86400000LL,
				       .period_ms = 86400000,
				       .ewma_lambda = 0.94,
				       .max_strategies = 4,
				       .conf = {0.95, 0.99},
				       .n_conf = 2};
	struct risk_book *b;
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	const int64_t now = 1767225600000; /* 2026-01-01 */
	char why[160];
	struct risk_input in = {.kind = RISK_IN_TRADE, .t_ms = now, .ret = 0.01, .strategy = "trend"};
	ck_assert_int_eq(risk_book_apply(b, &in, now, why, sizeof(why)), 0);
	/* a trade dated 1970: refused with the reason, never counted at the newest time */
	in.t_ms = 0;
	ck_assert_int_eq(risk_book_apply(b, &in, now, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "stamped 1970-01-01T00:00:00, older than the window (2592000 s) at 2026-01-01T00:00:00");
	/* and so is a snapshot: its equity would open a period 56 years long */
	struct risk_input snap = {
		.kind = RISK_IN_SNAPSHOT, .t_ms = 0, .equity = 100, .open_positions = -1, .total_exposure = -1};
	ck_assert_int_eq(risk_book_apply(b, &snap, now, why, sizeof(why)), ORCH_EMALFORMED);
	/* at the window's edge it still counts */
	in.t_ms = now - cfg.window_age_ms;
	ck_assert_int_eq(risk_book_apply(b, &in, now, why, sizeof(why)), 0);
	json_t *st = risk_book_strategies_json(b);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "trend"), "n_obs")), 2);
	json_decref(st);
	risk_book_free(b);
	/* no age limit: nothing is too old */
	cfg.window_age_ms = 0;
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	in.t_ms = 0;
	ck_assert_int_eq(risk_book_apply(b, &in, now, why, sizeof(why)), 0);
	risk_book_free(b);
}
END_TEST

START_TEST(test_risk_book_concentration_and_daily_drawdown_on_equity)
{
	struct risk_book_config cfg = {.window_count = 100,
				       .period_ms = 1000,
				       .ewma_lambda = 0.94,
				       .max_strategies = 4,
				       .conf = {0.95, 0.99},
				       .n_conf = 2};
	struct risk_book *b;
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	char why[128];
	struct risk_input in;
	memset(&in, 0, sizeof(in));
	in.kind = RISK_IN_SNAPSHOT;
	in.open_positions = -1;
	in.total_exposure = -1;
	int64_t day = 86400000LL * 20000;
	double eq[] = {1000, 1100, 1045, 1210, 1089};
	for (int i = 0; i < 5; i++) {
		in.t_ms = day + i * 1000;
		in.equity = eq[i];
		ck_assert_int_eq(risk_book_apply(b, &in, in.t_ms, why, sizeof(why)), 0);
	}
	struct risk_view v;
	const char *src;
	risk_book_view(b, &v, &src);
	ck_assert_double_eq_tol(v.daily_drawdown, 1 - 1089.0 / 1210.0, 1e-15);
	ck_assert_int_eq(v.portfolio.n_obs, 3); /* periods 1..3 closed, 4 open */
	ck_assert_str_eq(src, "equity_snapshots");
	/* next day: the previous day's last equity is the opening peak */
	in.t_ms = day + 86400000;
	in.equity = 1000;
	ck_assert_int_eq(risk_book_apply(b, &in, in.t_ms, why, sizeof(why)), 0);
	risk_book_view(b, &v, &src);
	ck_assert_double_eq_tol(v.daily_drawdown, 1 - 1000.0 / 1089.0, 1e-15);
	struct risk_input ex = {.kind = RISK_IN_EXPOSURE,
				.total_exposure = -1,
				.open_positions = -1,
				.n_symbols = 2,
				.symbol_exposure = {3000, 1000}};
	ck_assert_int_eq(risk_book_apply(b, &ex, ex.t_ms, why, sizeof(why)), 0);
	risk_book_view(b, &v, &src);
	ck_assert_double_eq_tol(v.herfindahl, 0.75 * 0.75 + 0.25 * 0.25, 1e-15);
	ck_assert_double_eq_tol(v.largest_share, 0.75, 1e-15);
	ck_assert_double_eq_tol(v.leverage, 4.0, 1e-15);
	ck_assert_int_eq(v.open_positions, 2);
	/* a snapshot from before the open period is refused, not guessed at */
	in.t_ms = day;
	ck_assert_int_eq(risk_book_apply(b, &in, in.t_ms, why, sizeof(why)), ORCH_EMALFORMED);
	risk_book_free(b);
}
END_TEST

/* One snapshot per period: equity and gross exposure. */
static void feed(struct risk_book *b, int64_t t_ms, double equity, double gross)
{
	char why[128];
	struct risk_input in = {.kind = RISK_IN_SNAPSHOT, .open_positions = 1, .total_exposure = gross};
	in.t_ms = t_ms;
	in.equity = equity;
	ck_assert_int_eq(risk_book_apply(b, &in, in.t_ms, why, sizeof(why)), 0);
}

START_TEST(test_risk_book_measures_per_unit_of_exposure_tails_and_drawdown_sigma_issue_14)
{
	struct risk_book_config cfg = {.window_count = 1000,
				       .period_ms = 86400000,
				       .ewma_lambda = 0.94,
				       .ewma_lambda_long = 0.99,
				       .max_strategies = 4,
				       .conf = {0.95, 0.99},
				       .n_conf = 2};
	struct risk_book *b;
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	/* the same market moves (+-1% per unit), held at leverage 1 then 3:
	 * the book's returns triple, its returns per unit of exposure do not */
	double eq = 1000, var_s = 0, var_l = 0, w_s = 0, w_l = 0, u_of[60];
	int64_t t = 0;
	for (int i = 0; i < 60; i++, t += cfg.period_ms) {
		double lev = i < 30 ? 1 : 3, u = (i % 2 ? 1 : -1) * (i % 3 ? 0.01 : 0.02);
		feed(b, t, eq, lev * eq);
		u_of[i] = u;
		if (i > 1) { /* period i-1 closed: eq_{i-1} / eq_{i-2}, moved by u_{i-2} */
			double u2 = u_of[i - 2] * u_of[i - 2];
			var_s = 0.94 * var_s + 0.06 * u2, w_s = 0.94 * w_s + 0.06;
			var_l = 0.99 * var_l + 0.01 * u2, w_l = 0.99 * w_l + 0.01;
		}
		eq *= 1 + lev * u;
	}
	struct risk_view v;
	const char *src;
	risk_book_view(b, &v, &src);
	ck_assert_int_eq(v.unit_n, 58);
	double ppy = 365; /* daily periods: calendar days a year */
	/* weighted from the first period on (no start value to wear off) */
	ck_assert_double_eq_tol(v.unit_vol_short, sqrt(var_s / w_s * ppy), 1e-12);
	ck_assert_double_eq_tol(v.unit_vol_long, sqrt(var_l / w_l * ppy), 1e-12);
	ck_assert(v.unit_vol_short > 0.01 * sqrt(ppy) && v.unit_vol_short < 0.02 * sqrt(ppy));
	ck_assert(v.portfolio.volatility_annualized > 1.5 * v.unit_vol_long); /* the book's own: tripled */
	/* the drawdown of the unit returns, in sigmas of the window */
	ck_assert(v.drawdown_sigma_known);
	ck_assert_double_gt(v.unit_drawdown, 0);
	/* twelve closed trades at -3.5 % and no equity yet: the pooled trades
	 * stand in for the tail metrics, but a short history of trades is no
	 * drawdown of the book (it read as 35 %: BLACK_SWAN) */
	risk_book_free(b);
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	char why[128];
	for (int i = 0; i < 12; i++) {
		struct risk_input tr = {.kind = RISK_IN_TRADE, .t_ms = 1000 + i, .ret = -0.035};
		ck_assert_int_eq(risk_book_apply(b, &tr, tr.t_ms, why, sizeof(why)), 0);
	}
	risk_book_view(b, &v, &src);
	ck_assert_str_eq(src, "closed_trades");
	ck_assert(v.portfolio.sufficient);
	ck_assert_double_eq(v.portfolio.current_drawdown, 0);
	ck_assert_double_eq(v.portfolio.max_drawdown, 0);
	ck_assert(!v.drawdown_sigma_known);
	/* drawdowns come from equity even before the metrics suffice */
	risk_book_free(b);
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	feed(b, 0, 1000, 1000);
	feed(b, cfg.period_ms, 900, 1000);
	feed(b, 2 * cfg.period_ms, 950, 1000);
	risk_book_view(b, &v, &src);
	ck_assert_int_eq(v.portfolio.sufficient, 0);
	ck_assert_double_eq_tol(v.portfolio.current_drawdown, 0.1, 1e-12);
	ck_assert_double_eq_tol(v.portfolio.max_drawdown, 0.1, 1e-12);
	ck_assert(!v.drawdown_sigma_known); /* too few periods to measure it in */
	risk_book_free(b);
	/* a calm window, then a period losing 8%: several ES, TAIL_EVENT critical */
	ck_assert_int_eq(risk_book_new(&b, &cfg), 0);
	eq = 1000;
	t = 0;
	double last = 0;
	for (int i = 0; i < 40; i++, t += cfg.period_ms) {
		feed(b, t, eq, eq);
		last = eq;
		eq *= 1 + (i % 2 ? 0.01 : -0.0099);
	}
	risk_book_view(b, &v, &src);
	ck_assert(v.portfolio.sufficient);
	ck_assert(v.loss_to_es > 0 && v.loss_to_es < 1); /* an ordinary loss: a fraction of an ES */
	/* held at leverage 1: the unit returns are the book's */
	double sd = v.portfolio.volatility_annualized / sqrt(ppy);
	ck_assert(v.drawdown_sigma_known);
	ck_assert_double_eq_tol(
		v.drawdown_sigma, v.portfolio.current_drawdown / (sd * sqrt((double)v.portfolio.n_obs)), 1e-12);
	feed(b, t, last * 0.92, last); /* the next period opens 8% down */
	risk_book_view(b, &v, &src);
	ck_assert_double_eq_tol(v.period_loss, 0.08, 1e-9);
	ck_assert(v.period_es > 0.009 && v.period_es < 0.04);
	ck_assert_double_eq_tol(v.loss_to_es, v.period_loss / v.period_es, 1e-12);
	struct risk_limits l = limits;
	l.tail_multiple = 2;
	struct risk_score sc;
	risk_score_compute(&v, &l, &sc);
	struct risk_alert_state st;
	memset(&st, 0, sizeof(st));
	struct risk_alert ch[RISK_A_COUNT];
	int n = risk_alerts_update(&st, &v, &sc, &l, ch);
	ck_assert_int_eq(st.level[RISK_A_TAIL], RISK_ALERT_CRITICAL);
	ck_assert(n >= 1);
	ck_assert_str_eq(risk_alert_code_name(RISK_A_TAIL), "TAIL_EVENT");
	/* tail_multiple is validated with the other limits */
	char err[96];
	l.tail_multiple = NAN;
	ck_assert_int_eq(risk_limits_validate(&l, err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(err, "tail_multiple: must be a positive number");
	risk_book_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("risk_brain");
	TCase *tc = tcase_create("brain");
	tcase_add_test(tc, test_risk_score_never_falls_when_an_input_rises);
	tcase_add_test(tc, test_risk_score_weights_sum_to_one_and_saturate_at_100);
	tcase_add_test(tc, test_risk_alerts_hysteresis_prevents_storm);
	tcase_add_test(tc, test_risk_alert_jumps_straight_to_critical_with_its_threshold);
	tcase_add_test(tc, test_risk_ceilings_tighten_as_score_rises);
	tcase_add_test(tc, test_risk_input_reads_original_fields);
	tcase_add_test(tc, test_risk_book_concentration_and_daily_drawdown_on_equity);
	tcase_add_test(tc, test_risk_inputs_outside_their_domain_are_refused_issue_18);
	tcase_add_test(tc, test_risk_inputs_older_than_the_window_are_refused_issue_18);
	tcase_add_test(tc, test_risk_book_measures_per_unit_of_exposure_tails_and_drawdown_sigma_issue_14);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
