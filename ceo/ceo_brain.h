/*
 * ceo_brain.h - the CEO's decisions over time, pure (no I/O; the caller
 * passes the time): what it knows of each input and how fresh it is
 * becomes a ceo_state, the rules (ceo_policy.h) recommend a mode, and the
 * transition rules decide whether to switch now.
 *
 * Staleness is an input, never "all good": a risk state missing or older
 * than risk_fresh_ms leaves the risk score unknown and counts as DEGRADED
 * health; a strategy state missing or older than strategy_fresh_ms
 * leaves the win rate unknown (so no GROWTH or EXPANSION); a health report
 * older than health_fresh_ms counts as DEGRADED (none ever received: the
 * system has no health reporter, HEALTHY). Drawdown is the larger of the
 * day's and the one from the peak, as the Risk Officer reports them.
 *
 * Transitions: to a safer mode at once; to a riskier one only after the
 * recommendation held for `confirmations` consecutive evaluations and the
 * cooldown since the last change passed (cooldown_aggressive_ms into
 * EXPANSION or GROWTH, cooldown_ms otherwise). BLACK_SWAN is left only by
 * an operator (ceo_brain_set_mode) unless black_swan_exit_auto; then,
 * with black_swan_calm_ms (the default rules), once no rule has called
 * for BLACK_SWAN for that long (an operator's BLACK_SWAN counts as called
 * when set), and to CAPITAL_PRESERVATION, from which the rules climb as
 * usual; without it (the original's), through the confirmations.
 *
 * Effective limits: the stricter of the mode's limits and the Risk
 * Officer's latest ceilings; then, with vol_target, the scaling factor
 * times the volatility ratio: the Risk Officer's long over short
 * volatility of returns per unit of exposure (its norm over now: above 1
 * when the markets held are calmer than usual), bounded to
 * [vol_ratio_min, 1] and in GROWTH to [vol_ratio_min, vol_ratio_max]
 * (above the trading system's normal size only on evidence of edge),
 * once VOL_MIN_PERIODS periods are behind it, in steps of 0.05.
 */
#ifndef CEO_BRAIN_H
#define CEO_BRAIN_H

#include <stdint.h>

#include "ceo_policy.h"

#define CEO_VOL_MIN_PERIODS 20

struct ceo_brain_config {
	enum ceo_rules rules; /* the rule set these thresholds belong to */
	struct ceo_thresholds th;
	struct ceo_limits limits[CEO_N_MODES];
	int64_t cooldown_ms, cooldown_aggressive_ms;
	int confirmations;
	int black_swan_exit_auto;
	int64_t black_swan_calm_ms; /* 0: auto exit through the confirmations */
	int vol_target;
	double vol_ratio_min, vol_ratio_max;
	int64_t risk_fresh_ms, strategy_fresh_ms, health_fresh_ms;
};

/* Defaults of rule set r: its thresholds and limits (ceo_policy.h),
 * cooldowns 300 s / 600 s, 3 confirmations, freshness 90 s (risk), 180 s
 * (strategy), 120 s (health); "original": manual BLACK_SWAN exit, no
 * volatility targeting; "default": automatic exit after 14 days of calm,
 * volatility targeting bounded to [0.25, 1.5]. */
void ceo_brain_config_defaults(struct ceo_brain_config *c, enum ceo_rules r);

/* What the CEO knows; *_ms is when each was last received (0 = never). */
struct ceo_inputs {
	int64_t risk_ms;
	double risk_score, daily_drawdown, peak_drawdown;
	double var_ratio, es_ratio; /* VaR and ES over their ceilings, capped at 1 */
	int64_t strategy_ms;
	int strategies_eligible, strategies_disabled;
	int win_rate_sufficient;
	double win_rate, win_rate_lower;
	int64_t health_ms;
	enum ceo_health health;
	int64_t regime_ms;
	char regime[32];
	double regime_confidence;
	int open_positions;
	int64_t ceiling_ms; /* risk_ceiling_update; 0 = none */
	double ceiling_max_leverage, ceiling_max_risk_per_trade;
	int ceiling_max_positions;
	/* the Risk Officer's measures the default rules read */
	int dd_sigma_known;
	double dd_sigma;
	int unit_n;
	double unit_vol_short, unit_vol_long, unit_lambda;
	int tail_event;
	/* the Strategy Officer's pooled book */
	long book_trades;
	double book_psr;
};

struct ceo_brain {
	enum ceo_mode mode;
	int64_t changed_ms;
	enum ceo_mode pending; /* riskier mode being confirmed */
	int pending_count;
	int64_t swan_ms; /* when BLACK_SWAN was last called for */
};

struct ceo_decision {
	enum ceo_mode mode, previous, recommended;
	int changed;
	const char *rule;
	char reason[256];
	const char *hold; /* NULL, "cooldown", "confirming", "black_swan_manual_exit" or
			     "black_swan_calm" */
	char hold_detail[128];
	struct ceo_state state;   /* as evaluated, after staleness */
	char stale[96];           /* e.g. "risk_state strategy_state", "" when all fresh */
	struct ceo_limits limits; /* effective */
	double confidence;        /* share of the inputs that were fresh */
	double vol_ratio;         /* applied to the scaling factor (1 when none) */
};

void ceo_brain_init(struct ceo_brain *b, enum ceo_mode mode, int64_t now_ms);
void ceo_brain_decide(struct ceo_brain *b, const struct ceo_brain_config *c, const struct ceo_inputs *in,
		      int64_t now_ms, struct ceo_decision *out);
/* An operator's mode: takes effect at once, whatever the rules say. */
void ceo_brain_set_mode(struct ceo_brain *b, enum ceo_mode mode, int64_t now_ms);
/* The effective limits of a mode given the inputs (ceilings, volatility);
 * *vol_ratio (may be NULL) gets the ratio applied. */
void ceo_brain_limits(const struct ceo_brain_config *c, enum ceo_mode m, const struct ceo_inputs *in,
		      struct ceo_limits *out, double *vol_ratio);

#endif
