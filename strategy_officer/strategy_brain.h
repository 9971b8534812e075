/*
 * strategy_brain.h - the Strategy Officer's decisions, pure (no I/O):
 * scores, ranking, primary and fallback, and which strategies and models
 * to disable or re-enable, from the windows of strategy_book.h.
 *
 * Composite score, 0-100, higher = better, 100 * sum(w * c):
 *   psr            0.30  Probabilistic Sharpe Ratio against SR* = 0
 *   win_rate       0.20  Wilson lower bound of the win rate
 *   profit_factor  0.15  PF / (1 + PF)
 *   drawdown       0.15  1 - min(1, max drawdown / disable_drawdown)
 *   sortino        0.10  (1 + tanh(Sortino)) / 2
 *   recency        0.10  exp(-time since the last trade / stale_ms)
 * Status: disabled; "insufficient" below min_trades (never primary);
 * otherwise active (eligible). Ranking: active, insufficient, disabled;
 * within each by score (desc), then trades (desc), then name (bytewise
 * asc), so the same inputs always give the same ranking.
 * Primary: the first active strategy. Fallback: the best other active
 * strategy whose correlation with the primary (per-trade returns summed
 * per corr_period_ms, over the periods both traded, at least
 * min_shared_periods of them, else unknown) is not above
 * max_fallback_corr; none when every candidate is too correlated.
 *
 * Disable (evidence against) and re-enable (evidence for, stricter),
 * never twice within quiet_ms of the last change of that unit:
 *   wilson_win_rate_below   Wilson upper bound < disable_win_rate (0 = off);
 *                           back when the lower bound >= enable_win_rate
 *   drawdown_exceeded       max drawdown > disable_drawdown;
 *                           back when <= enable_drawdown
 *   psr_below               PSR < disable_psr (0 = off) with at least
 *                           min_trades: evidence, at 1 - disable_psr
 *                           confidence, that the strategy loses on
 *                           average, whatever the size of its returns;
 *                           back when PSR >= enable_psr
 *   consecutive_losses      losses in a row >= disable_losses (0 = off);
 *                           back after a win
 *   model_accuracy_below    (models) Wilson upper bound of accuracy <
 *                           disable_accuracy; back when the lower bound
 *                           >= enable_accuracy
 * A disabled unit whose window fell below min_trades (its evidence aged
 * out) comes back as insufficient data (reason evidence_expired).
 * The book: the trades of every strategy not disabled, pooled, give the
 * same evidence for the book as a whole (its PSR says how sure it is that
 * the book as it will trade has an edge; the CEO upgrades on it).
 * Models are flagged degraded (an alert, not a disable) when the accuracy
 * of their newest recent_count predictions falls drift_alert below the
 * window's, and recover at half that gap.
 */
#ifndef STRATEGY_BRAIN_H
#define STRATEGY_BRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "strategy_book.h"
#include "strategy_stats.h"

struct strat_thresholds {
	long min_trades;
	double confidence; /* Wilson interval, two-sided */
	double disable_win_rate, enable_win_rate;
	double disable_drawdown, enable_drawdown;
	long disable_losses;
	double disable_psr, enable_psr;
	double disable_accuracy, enable_accuracy;
	double max_fallback_corr;
	int64_t corr_period_ms;
	long min_shared_periods;
	int64_t stale_ms;
	int64_t quiet_ms;
	long recent_count;
	double drift_alert;
};

/* Defaults (GROWTH), every rule on (the rule set, ORCH_CEO_RULES, turns
 * off the ones it does not use): min_trades 20, confidence 0.95, win rate
 * 0.40/0.45, drawdown 0.25/0.15, PSR 0.05/0.5, 8 losses, accuracy 0.45/0.50, fallback corr 0.7
 * over 1 h periods (>= 5), stale 24 h, quiet 1 h, recent 50, drift 0.15. */
void strat_thresholds_defaults(struct strat_thresholds *t);
/* Tightens t for an operating mode: EXPANSION and GROWTH as given,
 * DEFENSIVE x1.15, CAPITAL_PRESERVATION and BLACK_SWAN x1.3 on the win
 * rate and accuracy bounds (capped below 1), drawdowns divided and the
 * loss streak shortened by the same factor. Unknown modes: as given. */
void strat_thresholds_for_mode(struct strat_thresholds *t, const char *mode);
/* 0, or ORCH_EINVAL with the offending field named in err. */
int strat_thresholds_validate(const struct strat_thresholds *t, char *err, size_t errlen);

enum strat_status { STRAT_ACTIVE, STRAT_INSUFFICIENT, STRAT_DISABLED };
const char *strat_status_name(enum strat_status s);

#define STRAT_N_COMPONENTS 6
extern const char *const strat_component_names[STRAT_N_COMPONENTS];
extern const double strat_component_weights[STRAT_N_COMPONENTS];

struct strat_rank_entry {
	struct strat_unit *unit;
	struct strat_perf perf;
	enum strat_status status;
	double score;
	double components[STRAT_N_COMPONENTS];
	int64_t since_last_ms;
};

struct strat_model_eval {
	struct strat_unit *unit;
	long n, correct, with_prob;
	double accuracy, wilson_lower, wilson_upper;
	double precision_long, recall_long, precision_short, recall_short;
	double brier; /* meaningful when with_prob > 0 */
	double recent_accuracy, drift;
	enum strat_status status;
};

enum strat_change_kind { STRAT_CH_DISABLED, STRAT_CH_ENABLED, STRAT_CH_DEGRADED, STRAT_CH_RECOVERED };

struct strat_change {
	enum strat_change_kind kind;
	int model; /* 1 = a model, 0 = a strategy */
	const struct strat_unit *unit;
	const char *reason;
	double evidence, threshold;
};

struct strat_result {
	size_t n;
	struct strat_rank_entry *rank;               /* ranking order */
	struct strat_rank_entry *primary, *fallback; /* into rank, or NULL */
	double fallback_corr;
	int fallback_corr_known;
	size_t n_models;
	struct strat_model_eval *models; /* by accuracy (desc), then name */
	size_t n_changes;
	struct strat_change *changes;
	size_t n_eligible, n_disabled;
	struct strat_perf book; /* the pooled trades of the strategies not disabled */
};

/*
 * Scores every unit of the book at now_ms under t, updates the units'
 * disable state (the book owns it) and fills out. Returns 0 or
 * ORCH_ENOMEM. Release out with strat_result_release().
 */
int strat_brain_evaluate(struct strat_book *b, const struct strat_thresholds *t, int64_t now_ms,
			 struct strat_result *out);
void strat_result_release(struct strat_result *r);

#endif
