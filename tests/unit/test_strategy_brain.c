/*
 * test_strategy_brain.c - the Strategy Officer's decisions on its evidence.
 *
 * A lucky small sample never beats a proven strategy; a fallback that
 * moves with the primary is refused; a strategy oscillating around a rule
 * changes state at most once per quiet period; disable on a low win rate
 * or a negative edge (PSR), stricter re-enable; the ranking does not
 * depend on the order strategies appeared in; the input mapping reads the
 * original producers' fields and attributes trades through decisions;
 * model accuracy, precision, recall and Brier score. The evidence itself
 * (Wilson, PSR, pooling) is tested in test_strategy_stats.c.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "orch.h"
#include "run_suite.h"
#include "strategy_brain.h"

/* ---- books built from trades ---- */

static struct strat_book *new_book(void)
{
	struct strat_book *b = NULL;
	struct strat_book_config cfg = {.window_count = 500, .max_units = 1000, .decision_ttl_ms = 3600000};
	ck_assert_int_eq(strat_book_new(&b, &cfg), 0);
	return b;
}

static void trade(struct strat_book *b, const char *strategy, double r, int64_t t_ms)
{
	struct strat_input in = {.kind = STRAT_IN_TRADE, .t_ms = t_ms, .ret = r, .confidence = -1};
	snprintf(in.strategy, sizeof(in.strategy), "%s", strategy);
	char why[128];
	ck_assert_int_eq(strat_book_apply(b, &in, in.t_ms, why, sizeof(why)), 0);
}

static const int64_t T0 = 1767225600000; /* 2026-01-01 */
static const int64_t HOUR = 3600000;

START_TEST(test_lucky_small_sample_never_beats_proven)
{
	struct strat_book *b = new_book();
	/* lucky: 6 trades, every one a big win */
	for (int i = 0; i < 6; i++)
		trade(b, "lucky", 0.05, T0 + i * HOUR);
	/* proven: 200 trades, 58% wins, modest edge */
	for (int i = 0; i < 200; i++)
		trade(b, "proven", (i * 7) % 100 < 58 ? 0.012 : -0.010, T0 + i * HOUR / 4);
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	struct strat_result r;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, T0 + 60 * HOUR, &r), 0);
	ck_assert_ptr_nonnull(r.primary);
	ck_assert_str_eq(r.primary->unit->name, "proven");
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.rank[1].unit->name, "lucky");
	ck_assert_int_eq(r.rank[1].status, STRAT_INSUFFICIENT);
	ck_assert_ptr_null(r.fallback); /* the only other one is not eligible */
	ck_assert_uint_eq(r.n_eligible, 1);
	/* the score is the weighted sum of its components */
	double s = 0;
	for (int i = 0; i < STRAT_N_COMPONENTS; i++)
		s += 100 * strat_component_weights[i] * r.primary->components[i];
	ck_assert_double_eq_tol(r.primary->score, s, 1e-9);
	strat_result_release(&r);
	strat_book_free(b);
}
END_TEST

/* Hourly returns of three strategies: B moves with A, C does not. */
static void correlated_book(struct strat_book *b, int with_c)
{
	for (int i = 0; i < 120; i++) {
		double base = 0.01 * sin(0.9 * i) + 0.004;
		trade(b, "A", base + 0.003, T0 + i * HOUR);
		trade(b, "B", base, T0 + i * HOUR + 60000);
		if (with_c)
			trade(b, "C", 0.006 * cos(2.3 * i) + 0.0015, T0 + i * HOUR + 120000);
	}
}

START_TEST(test_correlated_fallback_rejected)
{
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	struct strat_result r;
	struct strat_book *b = new_book();
	correlated_book(b, 1);
	ck_assert_int_eq(strat_brain_evaluate(b, &t, T0 + 121 * HOUR, &r), 0);
	ck_assert_uint_eq(r.n_eligible, 3);
	ck_assert_str_eq(r.primary->unit->name, "A");
	ck_assert_str_eq(r.rank[1].unit->name, "B"); /* ranked second ... */
	ck_assert_ptr_nonnull(r.fallback);
	ck_assert_str_eq(r.fallback->unit->name, "C"); /* ... but C is the fallback */
	ck_assert(r.fallback_corr_known);
	ck_assert_double_lt(r.fallback_corr, t.max_fallback_corr);
	strat_result_release(&r);
	strat_book_free(b);
	/* without C, no fallback at all rather than a correlated one */
	b = new_book();
	correlated_book(b, 0);
	ck_assert_int_eq(strat_brain_evaluate(b, &t, T0 + 121 * HOUR, &r), 0);
	ck_assert_str_eq(r.primary->unit->name, "A");
	ck_assert_ptr_null(r.fallback);
	strat_result_release(&r);
	strat_book_free(b);
}
END_TEST

START_TEST(test_oscillating_strategy_changes_once_per_quiet_period)
{
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	t.disable_losses = 3;
	struct strat_book *b = new_book();
	/* a trade every 5 minutes for 10 hours: three losses, three wins,
	 * over and over, so the loss-streak rule breaks and recovers
	 * constantly while the win rate stays at 50% */
	int64_t last_change = -1;
	int changes = 0, disables = 0;
	for (int i = 0; i < 120; i++) {
		int64_t now = T0 + i * 300000;
		trade(b, "osc", i % 6 < 3 ? -0.004 : 0.006, now);
		struct strat_result r;
		ck_assert_int_eq(strat_brain_evaluate(b, &t, now, &r), 0);
		for (size_t k = 0; k < r.n_changes; k++) {
			ck_assert(last_change < 0 || now - last_change >= t.quiet_ms);
			last_change = now;
			changes++;
			disables += r.changes[k].kind == STRAT_CH_DISABLED;
			if (r.changes[k].kind == STRAT_CH_DISABLED) {
				ck_assert_str_eq(r.changes[k].reason, "consecutive_losses");
				ck_assert_double_eq(r.changes[k].evidence, 3);
				ck_assert_double_eq(r.changes[k].threshold, 3);
			}
		}
		strat_result_release(&r);
	}
	/* ten hours, one-hour quiet periods: it did change, but at most ~10 times */
	ck_assert_int_ge(disables, 2);
	ck_assert_int_le(changes, 10);
	strat_book_free(b);
}
END_TEST

START_TEST(test_disable_and_stricter_reenable_of_win_rate)
{
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	t.disable_losses = 1000;
	t.disable_drawdown = 1;
	t.enable_drawdown = 0.9;
	struct strat_book *b = new_book();
	/* 60 trades with 25% wins: the Wilson upper bound is below 0.40 */
	for (int i = 0; i < 60; i++)
		trade(b, "weak", i % 4 == 0 ? 0.01 : -0.002, T0 + i * 60000);
	struct strat_result r;
	int64_t now = T0 + 60 * 60000;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, now, &r), 0);
	ck_assert_uint_eq(r.n_changes, 1);
	ck_assert_int_eq(r.changes[0].kind, STRAT_CH_DISABLED);
	ck_assert_str_eq(r.changes[0].reason, "wilson_win_rate_below");
	ck_assert_double_lt(r.changes[0].evidence, 0.40);
	ck_assert_int_eq(r.rank[0].status, STRAT_DISABLED);
	ck_assert_ptr_null(r.primary);
	strat_result_release(&r);
	/* a 50% run lifts the upper bound past 0.40 but the lower bound
	 * stays below 0.45: still disabled, long after the quiet time */
	for (int i = 0; i < 200; i++)
		trade(b, "weak", i % 2 ? 0.01 : -0.002, now + (i + 1) * 60000);
	now += 400 * 60000;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, now, &r), 0);
	ck_assert_uint_eq(r.n_changes, 0);
	ck_assert_int_eq(r.rank[0].status, STRAT_DISABLED);
	strat_result_release(&r);
	/* a clearly good run: lower bound >= 0.45, re-enabled */
	for (int i = 0; i < 300; i++)
		trade(b, "weak", i % 4 ? 0.01 : -0.002, now + (i + 1) * 60000);
	now += 400 * 60000;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, now, &r), 0);
	ck_assert_uint_eq(r.n_changes, 1);
	ck_assert_int_eq(r.changes[0].kind, STRAT_CH_ENABLED);
	ck_assert_str_eq(r.changes[0].reason, "recovered");
	ck_assert_double_ge(r.changes[0].evidence, 0.45);
	ck_assert_str_eq(r.primary->unit->name, "weak");
	strat_result_release(&r);
	strat_book_free(b);
}
END_TEST

/* Return of the i-th trade of strategy k; alpha (1) and bravo (3) trade
 * identically. */
static double det_ret(int k, int i)
{
	int s = k == 1 || k == 3 ? 0 : k;
	return (i + s) % 3 ? 0.004 * (s + 1) : -0.003;
}

START_TEST(test_ranking_is_deterministic)
{
	static const char *names[] = {"delta", "alpha", "charlie", "bravo", "echo"};
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	struct strat_book *b1 = new_book(), *b2 = new_book();
	/* the same trades; the strategies appear in opposite orders */
	for (int i = 0; i < 40; i++) {
		for (int k = 0; k < 5; k++) {
			trade(b1, names[k], det_ret(k, i), T0 + i * HOUR);
			trade(b2, names[4 - k], det_ret(4 - k, i), T0 + i * HOUR);
		}
	}
	struct strat_result r1, r2;
	ck_assert_int_eq(strat_brain_evaluate(b1, &t, T0 + 41 * HOUR, &r1), 0);
	ck_assert_int_eq(strat_brain_evaluate(b2, &t, T0 + 41 * HOUR, &r2), 0);
	ck_assert_uint_eq(r1.n, 5);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_str_eq(r1.rank[i].unit->name, r2.rank[i].unit->name);
		ck_assert_double_eq(r1.rank[i].score, r2.rank[i].score);
	}
	/* the tie: same score, same trades, alpha before bravo */
	for (size_t i = 0; i + 1 < 5; i++)
		if (!strcmp(r1.rank[i].unit->name, "alpha") || !strcmp(r1.rank[i].unit->name, "bravo")) {
			ck_assert_str_eq(r1.rank[i].unit->name, "alpha");
			ck_assert_str_eq(r1.rank[i + 1].unit->name, "bravo");
			ck_assert_double_eq(r1.rank[i].score, r1.rank[i + 1].score);
			break;
		}
	strat_result_release(&r1);
	strat_result_release(&r2);
	strat_book_free(b1);
	strat_book_free(b2);
}
END_TEST

static void parse_apply(struct strat_book *b, const char *type, const char *json, int64_t t_ms, int want)
{
	json_t *p = json_loads(json, 0, NULL);
	ck_assert_ptr_nonnull(p);
	struct strat_input in;
	char why[160] = "";
	int rc = strat_input_parse(type, p, t_ms, &in, why, sizeof(why));
	if (rc == 0)
		rc = strat_book_apply(b, &in, in.t_ms, why, sizeof(why));
	ck_assert_msg(rc == want, "%s %s: rc %d (%s)", type, json, rc, why);
	json_decref(p);
}

START_TEST(test_inputs_in_the_original_wire_format)
{
	struct strat_book *b = new_book();
	/* a decision names the strategy; the direct trade.closed that
	 * follows on its symbol names only the model */
	parse_apply(b,
		    "ai.decision.made",
		    "{\"symbol\": \"BTCUSDT\", \"side\": \"buy\", \"confidence\": 0.8, \"model\": \"ensemble\","
		    " \"strategy\": \"momentum_v2\", \"meta_strategy\": \"trend\"}",
		    T0,
		    0);
	parse_apply(b,
		    "trade.closed",
		    "{\"event_type\": \"trade.closed\", \"symbol\": \"BTCUSDT\", \"side\": \"BUY\","
		    " \"pnl_percent\": \"1.5\", \"confidence\": \"0.8\", \"model\": \"ensemble\"}",
		    T0 + 60000,
		    0);
	/* no decision for ETHUSDT: attributed to the model */
	parse_apply(b,
		    "trade.closed",
		    "{\"symbol\": \"ETHUSDT\", \"side\": \"SELL\", \"pnl_percent\": \"-0.5\", \"model\": \"ensemble\"}",
		    T0 + 120000,
		    0);
	/* position.closed from the original publisher: pnl_pct, is_long */
	parse_apply(b,
		    "position.closed",
		    "{\"symbol\": \"SOLUSDT\", \"is_long\": false, \"pnl_pct\": 2.0, \"strategy_id\": \"meanrev\"}",
		    T0 + 180000,
		    0);
	parse_apply(b, "meta.regime", "{\"regime\": \"TRENDING\"}", T0, 0);
	/* refused, never guessed at */
	parse_apply(b, "trade.closed", "{\"symbol\": \"BTCUSDT\", \"model\": \"ensemble\"}", T0, ORCH_EMALFORMED);
	parse_apply(b, "trade.closed", "{\"pnl_percent\": \"abc\"}", T0, ORCH_EMALFORMED);
	parse_apply(b, "trade.closed", "{\"pnl_percent\": -100}", T0, ORCH_EMALFORMED);
	parse_apply(b, "ai.decision.made", "{\"side\": \"buy\"}", T0, ORCH_EMALFORMED);
	parse_apply(b, "ai.decision.made", "{\"symbol\": \"X\", \"side\": \"sideways\"}", T0, ORCH_EMALFORMED);
	parse_apply(b, "meta.regime", "{}", T0, ORCH_EMALFORMED);
	ck_assert_str_eq(strat_book_regime(b), "TRENDING");
	ck_assert_uint_eq(strat_book_strategies(b), 3);
	const char *want[] = {"momentum_v2", "ensemble", "meanrev"};
	for (size_t i = 0; i < 3; i++) {
		struct strat_unit *u = strat_book_strategy(b, i);
		ck_assert_str_eq(u->name, want[i]);
		ck_assert_uint_eq(u->n, 1);
	}
	ck_assert_double_eq_tol(strat_book_strategy(b, 0)->v[0], 0.015, 1e-15);
	ck_assert_double_eq_tol(strat_book_strategy(b, 2)->v[0], 0.02, 1e-15);
	/* ensemble predicted twice: right on BTC (long, won), wrong on ETH */
	ck_assert_uint_eq(strat_book_models(b), 1);
	struct strat_unit *m = strat_book_model(b, 0);
	ck_assert_uint_eq(m->n, 2);
	ck_assert_double_eq(m->v[0], 1);
	ck_assert_double_eq(m->v[1], 0);
	ck_assert_double_eq_tol(m->prob[0], 0.8, 1e-15);
	ck_assert(m->prob[1] < 0);
	strat_book_free(b);
}
END_TEST

/* The live executors name only model_id; trades with no name at all are
 * tracked as "unattributed", which never leads however well it does. */
START_TEST(test_inputs_older_than_the_window_are_refused_issue_18)
{
	struct strat_book *b = NULL;
	struct strat_book_config cfg = {
		.window_count = 500, .window_age_ms = 30 * 24 * HOUR, .max_units = 1000, .decision_ttl_ms = HOUR};
	ck_assert_int_eq(strat_book_new(&b, &cfg), 0);
	char why[160];
	struct strat_input in = {.kind = STRAT_IN_TRADE, .t_ms = 0, .ret = 0.01, .confidence = -1, .strategy = "trend"};
	ck_assert_int_eq(strat_book_apply(b, &in, T0, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "stamped 1970-01-01T00:00:00, older than the window (2592000 s) at 2026-01-01T00:00:00");
	ck_assert_uint_eq(strat_book_strategies(b), 0);
	/* an old regime would overwrite the current one */
	struct strat_input rg = {.kind = STRAT_IN_REGIME, .t_ms = T0, .regime = "trending"};
	ck_assert_int_eq(strat_book_apply(b, &rg, T0, why, sizeof(why)), 0);
	rg.t_ms = 0;
	snprintf(rg.regime, sizeof(rg.regime), "ranging");
	ck_assert_int_eq(strat_book_apply(b, &rg, T0, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(strat_book_regime(b), "trending");
	/* at the window's edge a trade still counts */
	in.t_ms = T0 - cfg.window_age_ms;
	ck_assert_int_eq(strat_book_apply(b, &in, T0, why, sizeof(why)), 0);
	ck_assert_uint_eq(strat_book_strategy(b, 0)->n, 1);
	strat_book_free(b);
}
END_TEST

START_TEST(test_model_id_attributes_and_unattributed_never_leads_issue_15)
{
	struct strat_book *b = new_book();
	parse_apply(b,
		    "trade.closed",
		    "{\"symbol\": \"BTCUSDT\", \"side\": \"LONG\", \"pnl_percent\": \"0.8\","
		    " \"model_id\": \"main_lane_close\"}",
		    T0,
		    0);
	ck_assert_str_eq(strat_book_strategy(b, 0)->name, "main_lane_close");
	ck_assert_uint_eq(strat_book_models(b), 1);
	ck_assert_str_eq(strat_book_model(b, 0)->name, "main_lane_close");
	for (int i = 0; i < 200; i++) {
		trade(b, STRAT_UNATTRIBUTED, 0.02, T0 + i * HOUR);                     /* would be the best */
		trade(b, "trend", (i * 7) % 100 < 55 ? 0.012 : -0.010, T0 + i * HOUR); /* a real strategy */
	}
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	struct strat_result r;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, T0 + 201 * HOUR, &r), 0);
	ck_assert_ptr_nonnull(r.primary);
	ck_assert_str_eq(r.primary->unit->name, "trend");
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.rank[i].unit->name, STRAT_UNATTRIBUTED))
			ck_assert_int_eq(r.rank[i].status, STRAT_INSUFFICIENT);
	ck_assert(!r.fallback || strcmp(r.fallback->unit->name, STRAT_UNATTRIBUTED) != 0);
	strat_result_release(&r);
	strat_book_free(b);
}
END_TEST

START_TEST(test_model_accuracy_precision_recall_brier)
{
	struct strat_book *b = new_book();
	/* 40 predictions of model "m": 24 long (12 right), 16 short (4 right) */
	for (int i = 0; i < 40; i++) {
		struct strat_input in = {.kind = STRAT_IN_TRADE, .t_ms = T0 + i * 60000, .confidence = 0.7};
		snprintf(in.strategy, sizeof(in.strategy), "s");
		snprintf(in.model, sizeof(in.model), "m");
		in.side = i < 24 ? 1 : -1;
		int right = i < 24 ? i % 2 == 0 : i % 4 == 0;
		in.ret = right ? 0.01 : -0.01;
		char why[64];
		ck_assert_int_eq(strat_book_apply(b, &in, in.t_ms, why, sizeof(why)), 0);
	}
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	struct strat_result r;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, T0 + 41 * 60000, &r), 0);
	ck_assert_uint_eq(r.n_models, 1);
	const struct strat_model_eval *m = &r.models[0];
	ck_assert_int_eq(m->n, 40);
	ck_assert_int_eq(m->correct, 16);
	ck_assert_double_eq_tol(m->accuracy, 0.4, 1e-15);
	/* long: 12 of 24 long calls right; the moves that went up are the 12
	 * right long calls and the 12 wrong short calls */
	ck_assert_double_eq_tol(m->precision_long, 0.5, 1e-15);
	ck_assert_double_eq_tol(m->recall_long, 0.5, 1e-15);
	ck_assert_double_eq_tol(m->precision_short, 0.25, 1e-15);
	ck_assert_double_eq_tol(m->recall_short, 4.0 / 16.0, 1e-15);
	/* Brier: 16 right at 0.7 -> 0.09 each, 24 wrong -> 0.49 each */
	ck_assert_double_eq_tol(m->brier, (16 * 0.09 + 24 * 0.49) / 40, 1e-15);
	/* Wilson upper bound of 16/40 at 0.95 is above 0.45: not disabled yet */
	ck_assert_int_eq(m->status, STRAT_ACTIVE);
	strat_result_release(&r);
	strat_book_free(b);
}
END_TEST

START_TEST(test_thresholds_by_mode_and_validation)
{
	struct strat_thresholds g, d;
	strat_thresholds_defaults(&g);
	d = g;
	strat_thresholds_for_mode(&d, "CAPITAL_PRESERVATION");
	ck_assert_double_gt(d.disable_win_rate, g.disable_win_rate);
	ck_assert_double_gt(d.enable_accuracy, g.enable_accuracy);
	ck_assert_double_lt(d.disable_drawdown, g.disable_drawdown);
	ck_assert_int_lt(d.disable_losses, g.disable_losses);
	char err[128];
	ck_assert_int_eq(strat_thresholds_validate(&d, err, sizeof(err)), 0);
	d = g;
	strat_thresholds_for_mode(&d, "EXPANSION");
	ck_assert_double_eq(d.disable_win_rate, g.disable_win_rate);
	d.enable_win_rate = d.disable_win_rate;
	ck_assert_int_eq(strat_thresholds_validate(&d, err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(err, "win rates need 0 <= disable < enable < 1");
	/* 0 turns a rule off, and stays 0 in every mode */
	d = g;
	d.disable_win_rate = 0;
	d.disable_losses = 0;
	strat_thresholds_for_mode(&d, "BLACK_SWAN");
	ck_assert_double_eq(d.disable_win_rate, 0);
	ck_assert_int_eq(d.disable_losses, 0);
	ck_assert_int_eq(strat_thresholds_validate(&d, err, sizeof(err)), 0);
	d.disable_psr = d.enable_psr;
	ck_assert_int_eq(strat_thresholds_validate(&d, err, sizeof(err)), ORCH_EINVAL);
	ck_assert_str_eq(err, "PSR bounds need 0 <= disable < enable < 1");
}
END_TEST

/* The default rule set's thresholds: PSR and drawdown only. */
static struct strat_thresholds default_rules(void)
{
	struct strat_thresholds t;
	strat_thresholds_defaults(&t);
	t.disable_win_rate = 0;
	t.disable_losses = 0;
	t.quiet_ms = 0;
	return t;
}

START_TEST(test_psr_disables_a_loser_whatever_its_scale_issue_14)
{
	struct strat_thresholds t = default_rules();
	struct strat_book *b = new_book();
	/* tiny returns, profit factor about 0.35: negative edge, small scale */
	for (int i = 0; i < 40; i++)
		trade(b, "bleeder", i % 3 == 0 ? 0.0007 : -0.001, T0 + i * 60000);
	/* a trend follower: wins a third of its trades, eight losses in a
	 * row, and a positive edge */
	for (int i = 0; i < 40; i++)
		trade(b, "trend", i % 3 == 0 ? 0.05 : -0.01, T0 + i * 60000);
	for (int i = 0; i < 8; i++)
		trade(b, "trend", -0.01, T0 + (40 + i) * 60000);
	struct strat_result r;
	int64_t now = T0 + 50 * 60000;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, now, &r), 0);
	ck_assert_uint_eq(r.n_changes, 1);
	ck_assert_str_eq(r.changes[0].unit->name, "bleeder");
	ck_assert_str_eq(r.changes[0].reason, "psr_below");
	ck_assert_double_lt(r.changes[0].evidence, 0.05);
	/* the book: the trades of the strategies not disabled, pooled */
	ck_assert_int_eq(r.book.trades, 48);
	ck_assert_double_gt(r.book.psr, 0.5);
	strat_result_release(&r);
	/* the original's rules would have disabled the trend follower too */
	struct strat_thresholds o = t;
	o.disable_losses = 8;
	o.disable_psr = 0;
	struct strat_book *b2 = new_book();
	for (int i = 0; i < 48; i++)
		trade(b2, "trend", i < 40 && i % 3 == 0 ? 0.05 : -0.01, T0 + i * 60000);
	ck_assert_int_eq(strat_brain_evaluate(b2, &o, now, &r), 0);
	ck_assert_uint_eq(r.n_changes, 1);
	ck_assert_str_eq(r.changes[0].reason, "consecutive_losses");
	strat_result_release(&r);
	strat_book_free(b2);
	/* back at even odds: re-enabled */
	for (int i = 0; i < 120; i++)
		trade(b, "bleeder", i % 2 ? 0.003 : -0.001, now + (i + 1) * 60000);
	now += 200 * 60000;
	ck_assert_int_eq(strat_brain_evaluate(b, &t, now, &r), 0);
	ck_assert_uint_eq(r.n_changes, 1);
	ck_assert_int_eq(r.changes[0].kind, STRAT_CH_ENABLED);
	ck_assert_double_ge(r.changes[0].evidence, 0.5);
	ck_assert_int_eq(r.book.trades, 48 + 160);
	strat_result_release(&r);
	strat_book_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strategy_brain");
	TCase *tc = tcase_create("brain");
	tcase_add_test(tc, test_lucky_small_sample_never_beats_proven);
	tcase_add_test(tc, test_correlated_fallback_rejected);
	tcase_add_test(tc, test_oscillating_strategy_changes_once_per_quiet_period);
	tcase_add_test(tc, test_disable_and_stricter_reenable_of_win_rate);
	tcase_add_test(tc, test_ranking_is_deterministic);
	tcase_add_test(tc, test_inputs_in_the_original_wire_format);
	tcase_add_test(tc, test_model_accuracy_precision_recall_brier);
	tcase_add_test(tc, test_model_id_attributes_and_unattributed_never_leads_issue_15);
	tcase_add_test(tc, test_inputs_older_than_the_window_are_refused_issue_18);
	tcase_add_test(tc, test_thresholds_by_mode_and_validation);
	tcase_add_test(tc, test_psr_disables_a_loser_whatever_its_scale_issue_14);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
