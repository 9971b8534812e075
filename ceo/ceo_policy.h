/*
 * ceo_policy.h - the CEO's rules, pure (no I/O, no clock): which operating
 * mode a system state calls for, and each mode's limits. Two rule sets
 * (ORCH_CEO_RULES); first match wins in each.
 *
 * Risk score means risk everywhere: 0-100, higher = worse.
 *
 * "original", the original system's rules ("drawdown" is the larger of
 * the day's drawdown and the drawdown from the peak):
 *   black_swan_drawdown     drawdown >= critical_drawdown (0.08)     BLACK_SWAN
 *   black_swan_risk         risk score >= risk_critical (85)         BLACK_SWAN
 *   black_swan_offline      health OFFLINE                           BLACK_SWAN
 *   preservation_health     health CRITICAL                          CAPITAL_PRESERVATION
 *   preservation_drawdown   drawdown >= preservation_drawdown (0.05) CAPITAL_PRESERVATION
 *   defensive_drawdown      drawdown >= defensive_drawdown (0.03)    DEFENSIVE
 *   defensive_risk          risk score >= risk_defensive (70)        DEFENSIVE
 *   defensive_win_rate      win rate < defensive_win_rate (0.48),
 *                           current mode not GROWTH                  DEFENSIVE
 *   growth                  win rate >= growth_win_rate (0.55), risk
 *                           score <= risk_growth_ceiling (30),
 *                           drawdown < defensive_drawdown, HEALTHY   GROWTH
 *   expansion               win rate >= expansion_win_rate (0.52),
 *                           risk score <= risk_expansion_ceiling
 *                           (50), drawdown < defensive_drawdown      EXPANSION
 *   stay                    none of the above                        current mode
 * An unknown win rate (no strategy state, or too few trades) matches
 * neither the win-rate DEFENSIVE rule nor GROWTH/EXPANSION; an unknown risk
 * score (no fresh risk state) matches no risk rule, and the state counts as
 * DEGRADED health.
 *
 * "default", the layer's own (docs/ceo.md says why each number). Each
 * input names the mode it allows and the safest wins; ties go to the
 * first named:
 *   black_swan_tail         a tail event: the Risk Officer's TAIL_EVENT
 *                           CRITICAL (a period's loss per unit of
 *                           exposure of ORCH_RISK_TAIL_MULTIPLE expected
 *                           shortfalls)                              BLACK_SWAN
 *   black_swan_offline      health OFFLINE                           BLACK_SWAN
 *   preservation_health     health CRITICAL                          CAPITAL_PRESERVATION
 *   preservation_drawdown   drawdown in sigmas (the Risk Officer's
 *                           drawdown_sigma, of the returns per unit of
 *                           exposure) >= preservation_dd_sigma (2),
 *                           or >= half of it in CAPITAL_PRESERVATION CAPITAL_PRESERVATION
 *   defensive_drawdown      drawdown in sigmas >= defensive_dd_sigma
 *                           (1), or >= half of it in DEFENSIVE or
 *                           safer (a drawdown must heal to end it)   DEFENSIVE
 *   preservation_risk       risk score >= risk_critical (85)         CAPITAL_PRESERVATION
 *   defensive_risk          risk score >= risk_defensive (70)        DEFENSIVE
 *   defensive_edge          the book's PSR < defensive_psr (0.05):
 *                           95% sure its edge is negative            DEFENSIVE
 *   growth                  PSR >= growth_psr (0.95), risk score <=
 *                           risk_expansion_ceiling (50), HEALTHY     GROWTH
 *   expansion               PSR >= expansion_psr (0.5), risk score
 *                           <= risk_expansion_ceiling                EXPANSION
 *   hold                    otherwise (PSR in between, too few
 *                           trades, a higher risk score): the current
 *                           mode within EXPANSION..DEFENSIVE         current, bounded
 * The book's PSR (the Strategy Officer's pooled trades) counts once it
 * rests on min_book_trades trades; drawdown in sigmas once the Risk
 * Officer has enough periods. Unknown evidence matches no rule that needs
 * it: no upgrade on no information, and no crash read into a short
 * history.
 *
 * Modes from the most aggressive to the safest: GROWTH, EXPANSION,
 * DEFENSIVE, CAPITAL_PRESERVATION, BLACK_SWAN.
 */
#ifndef CEO_POLICY_H
#define CEO_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum ceo_mode { CEO_GROWTH, CEO_EXPANSION, CEO_DEFENSIVE, CEO_CAPITAL_PRESERVATION, CEO_BLACK_SWAN, CEO_N_MODES };
enum ceo_health { CEO_HEALTHY, CEO_DEGRADED, CEO_CRITICAL, CEO_OFFLINE };

const char *ceo_mode_name(enum ceo_mode m);
/* 0 with *out, or -1 for an unknown name. */
int ceo_mode_parse(const char *s, enum ceo_mode *out);
const char *ceo_health_name(enum ceo_health h);
int ceo_health_parse(const char *s, enum ceo_health *out);

/* Rule sets (ORCH_CEO_RULES): "original" keeps the original system's rules
 * for comparison, "default" is the set the layer runs unless told
 * otherwise. */
enum ceo_rules { CEO_RULES_DEFAULT, CEO_RULES_ORIGINAL };
const char *ceo_rules_name(enum ceo_rules r);
/* 0 with *out, or ORCH_EINVAL for an unknown name. */
int ceo_rules_parse(const char *s, enum ceo_rules *out);
/* Safety rank: higher is safer (GROWTH 0 ... BLACK_SWAN 4). */
static inline int ceo_mode_safety(enum ceo_mode m)
{
	return (int)m;
}

struct ceo_thresholds {
	enum ceo_rules rules; /* the set these belong to */
	/* both sets */
	double risk_critical, risk_defensive, risk_expansion_ceiling, risk_growth_ceiling;
	/* original */
	double critical_drawdown, preservation_drawdown, defensive_drawdown;
	double defensive_win_rate, expansion_win_rate, growth_win_rate;
	/* default */
	double preservation_dd_sigma, defensive_dd_sigma;
	double defensive_psr, expansion_psr, growth_psr;
	long min_book_trades;
};

/* Rule set r's thresholds (the numbers in the table above). */
void ceo_thresholds_defaults(enum ceo_rules r, struct ceo_thresholds *t);
/* 0, or ORCH_EINVAL with the field and the broken order in err. */
int ceo_thresholds_validate(const struct ceo_thresholds *t, char *err, size_t errlen);

/* One mode's limits, named as in the PolicyStore schema. */
struct ceo_limits {
	double max_leverage;
	double max_risk_pct_per_trade;
	double max_daily_drawdown;
	int max_positions;
	double global_min_confidence;
	double scaling_factor;
	int enable_rl, enable_meta_strategy, enable_pal, enable_pba, enable_clm, enable_retraining, enable_dynamic_tpsl;
};

/* Rule set r's limits of mode m: the original's per-mode limits
 * (ceo_policy.py get_mode_config), or the default set's: EXPANSION is the
 * trading system's NORMAL, each safer mode halves the risk per trade,
 * leverage and positions of the one before, BLACK_SWAN trades nothing;
 * GROWTH is NORMAL with room for volatility targeting to size above it
 * (ceo_brain.h). */
void ceo_limits_defaults(enum ceo_rules r, enum ceo_mode m, struct ceo_limits *out);
/* The stricter of a and b field by field (lower leverage, risk, drawdown,
 * positions and scaling; higher min confidence; a feature on only if on
 * in both). */
void ceo_limits_stricter(const struct ceo_limits *a, const struct ceo_limits *b, struct ceo_limits *out);

struct ceo_state {
	enum ceo_mode current;
	double daily_drawdown, peak_drawdown; /* positive fractions */
	int risk_known;
	double risk_score; /* 0-100, higher = more risk */
	int win_rate_known;
	double win_rate, win_rate_lower; /* lower: Wilson bound, informational */
	enum ceo_health health;
	double var_ratio, es_ratio;                   /* VaR, ES / their ceilings (informational) */
	int strategies_eligible, strategies_disabled; /* strategy health (informational) */
	const char *regime;                           /* may be NULL */
	double regime_confidence;
	int open_positions;
	/* default rules' evidence */
	int dd_sigma_known;
	double dd_sigma;  /* drawdown / (sd x sqrt(n)) */
	int tail_event;   /* TAIL_EVENT CRITICAL in the latest risk reading */
	long book_trades; /* the Strategy Officer's pooled trades */
	double book_psr;  /* meaningful with book_trades */
};

struct ceo_recommendation {
	enum ceo_mode mode;
	const char *rule; /* e.g. "defensive_drawdown" */
	char reason[200];
};

void ceo_policy_recommend(const struct ceo_state *s, const struct ceo_thresholds *t, struct ceo_recommendation *out);

#endif
