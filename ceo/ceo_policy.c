/*
 * ceo_policy.c - the CEO's rule table and mode limits (see ceo_policy.h).
 */
#include "ceo_policy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "orch.h"

static const char *const MODE_NAMES[CEO_N_MODES] = {
	"GROWTH", "EXPANSION", "DEFENSIVE", "CAPITAL_PRESERVATION", "BLACK_SWAN"};
static const char *const HEALTH_NAMES[] = {"HEALTHY", "DEGRADED", "CRITICAL", "OFFLINE"};

const char *ceo_mode_name(enum ceo_mode m)
{
	return m < CEO_N_MODES ? MODE_NAMES[m] : "?";
}

int ceo_mode_parse(const char *s, enum ceo_mode *out)
{
	for (int i = 0; s && i < CEO_N_MODES; i++)
		if (strcmp(s, MODE_NAMES[i]) == 0) {
			*out = (enum ceo_mode)i;
			return 0;
		}
	return ORCH_EINVAL;
}

const char *ceo_health_name(enum ceo_health h)
{
	return h <= CEO_OFFLINE ? HEALTH_NAMES[h] : "?";
}

int ceo_health_parse(const char *s, enum ceo_health *out)
{
	for (int i = 0; s && i <= CEO_OFFLINE; i++)
		if (strcasecmp(s, HEALTH_NAMES[i]) == 0) {
			*out = (enum ceo_health)i;
			return 0;
		}
	return ORCH_EINVAL;
}

const char *ceo_rules_name(enum ceo_rules r)
{
	return r == CEO_RULES_ORIGINAL ? "original" : "default";
}

int ceo_rules_parse(const char *s, enum ceo_rules *out)
{
	if (s && strcmp(s, "original") == 0)
		*out = CEO_RULES_ORIGINAL;
	else if (s && strcmp(s, "default") == 0)
		*out = CEO_RULES_DEFAULT;
	else
		return ORCH_EINVAL;
	return 0;
}

void ceo_thresholds_defaults(enum ceo_rules r, struct ceo_thresholds *t)
{
	*t = (struct ceo_thresholds){
		.rules = r,
		.risk_critical = 85,
		.risk_defensive = 70,
		.risk_expansion_ceiling = 50,
		.risk_growth_ceiling = 30,
		.critical_drawdown = 0.08,
		.preservation_drawdown = 0.05,
		.defensive_drawdown = 0.03,
		.defensive_win_rate = 0.48,
		.expansion_win_rate = 0.52,
		.growth_win_rate = 0.55,
		/* a driftless book's drawdown from its window's peak over (sd x
		 * sqrt(n)) is half-normal: above 1 a third of the time, above 2 one
		 * time in twenty; PSR at even odds and at 95% either way; 20 trades
		 * as the Strategy Officer's min_trades */
		.preservation_dd_sigma = 2,
		.defensive_dd_sigma = 1,
		.defensive_psr = 0.05,
		.expansion_psr = 0.5,
		.growth_psr = 0.95,
		.min_book_trades = 20,
	};
}

int ceo_thresholds_validate(const struct ceo_thresholds *t, char *err, size_t errlen)
{
	const char *bad = NULL;
	if (!(t->risk_growth_ceiling >= 0 && t->risk_growth_ceiling <= t->risk_expansion_ceiling &&
	      t->risk_expansion_ceiling < t->risk_defensive && t->risk_defensive < t->risk_critical &&
	      t->risk_critical <= 100))
		bad = "risk levels need 0 <= growth ceiling <= expansion ceiling < defensive < critical <= 100";
	else if (t->rules == CEO_RULES_ORIGINAL &&
		 !(t->defensive_drawdown > 0 && t->defensive_drawdown < t->preservation_drawdown &&
		   t->preservation_drawdown < t->critical_drawdown && t->critical_drawdown <= 1))
		bad = "drawdowns need 0 < defensive < preservation < critical <= 1";
	else if (t->rules == CEO_RULES_ORIGINAL &&
		 !(t->defensive_win_rate >= 0 && t->defensive_win_rate <= t->expansion_win_rate &&
		   t->expansion_win_rate <= t->growth_win_rate && t->growth_win_rate <= 1))
		bad = "win rates need 0 <= defensive <= expansion <= growth <= 1";
	else if (t->rules == CEO_RULES_DEFAULT &&
		 !(t->defensive_dd_sigma > 0 && t->defensive_dd_sigma < t->preservation_dd_sigma))
		bad = "drawdowns in sigmas need 0 < defensive < preservation";
	else if (t->rules == CEO_RULES_DEFAULT && !(t->defensive_psr >= 0 && t->defensive_psr < t->expansion_psr &&
						    t->expansion_psr <= t->growth_psr && t->growth_psr <= 1))
		bad = "PSR levels need 0 <= defensive < expansion <= growth <= 1";
	else if (t->rules == CEO_RULES_DEFAULT && t->min_book_trades < 2)
		bad = "min_book_trades needs >= 2";
	if (!bad)
		return 0;
	snprintf(err, errlen, "%s", bad);
	return ORCH_EINVAL;
}

void ceo_limits_defaults(enum ceo_rules r, enum ceo_mode m, struct ceo_limits *out)
{
	static const struct ceo_limits original[CEO_N_MODES] = {
		[CEO_EXPANSION] = {10, 0.02, 0.03, 10, 0.60, 1.0, 1, 1, 1, 1, 1, 1, 1},
		[CEO_GROWTH] = {15, 0.03, 0.05, 15, 0.65, 1.2, 1, 1, 1, 1, 1, 1, 1},
		[CEO_DEFENSIVE] = {5, 0.01, 0.015, 5, 0.70, 0.7, 1, 1, 1, 1, 1, 1, 1},
		[CEO_CAPITAL_PRESERVATION] = {2, 0.005, 0.01, 2, 0.80, 0.5, 0, 0, 1, 0, 1, 1, 1},
		[CEO_BLACK_SWAN] = {1, 0.001, 0.005, 0, 1.0, 0.0, 0, 0, 0, 0, 0, 0, 0},
	};
	/* NORMAL (5, 0.015, 0.05, 30, 0.5), halved per step down; features as
	 * the original's modes of the same rank */
	static const struct ceo_limits layer[CEO_N_MODES] = {
		[CEO_GROWTH] = {5, 0.015, 0.05, 30, 0.50, 1.0, 1, 1, 1, 1, 1, 1, 1},
		[CEO_EXPANSION] = {5, 0.015, 0.05, 30, 0.50, 1.0, 1, 1, 1, 1, 1, 1, 1},
		[CEO_DEFENSIVE] = {2.5, 0.0075, 0.025, 15, 0.60, 1.0, 1, 1, 1, 1, 1, 1, 1},
		[CEO_CAPITAL_PRESERVATION] = {1.25, 0.00375, 0.0125, 8, 0.70, 1.0, 0, 0, 1, 0, 1, 1, 1},
		[CEO_BLACK_SWAN] = {1, 0.001, 0.005, 0, 1.0, 0.0, 0, 0, 0, 0, 0, 0, 0},
	};
	*out = (r == CEO_RULES_ORIGINAL ? original : layer)[m < CEO_N_MODES ? m : CEO_BLACK_SWAN];
}

void ceo_limits_stricter(const struct ceo_limits *a, const struct ceo_limits *b, struct ceo_limits *out)
{
	struct ceo_limits r;
	r.max_leverage = fmin(a->max_leverage, b->max_leverage);
	r.max_risk_pct_per_trade = fmin(a->max_risk_pct_per_trade, b->max_risk_pct_per_trade);
	r.max_daily_drawdown = fmin(a->max_daily_drawdown, b->max_daily_drawdown);
	r.max_positions = a->max_positions < b->max_positions ? a->max_positions : b->max_positions;
	r.global_min_confidence = fmax(a->global_min_confidence, b->global_min_confidence);
	r.scaling_factor = fmin(a->scaling_factor, b->scaling_factor);
	r.enable_rl = a->enable_rl && b->enable_rl;
	r.enable_meta_strategy = a->enable_meta_strategy && b->enable_meta_strategy;
	r.enable_pal = a->enable_pal && b->enable_pal;
	r.enable_pba = a->enable_pba && b->enable_pba;
	r.enable_clm = a->enable_clm && b->enable_clm;
	r.enable_retraining = a->enable_retraining && b->enable_retraining;
	r.enable_dynamic_tpsl = a->enable_dynamic_tpsl && b->enable_dynamic_tpsl;
	*out = r;
}

/* A rule that fired on a value against a threshold: "<what> <v> <op> <th>". */
static void set(struct ceo_recommendation *out, enum ceo_mode m, const char *rule, const char *what, double v,
		const char *op, double th)
{
	out->mode = m;
	out->rule = rule;
	snprintf(out->reason, sizeof(out->reason), "%s %.4g %s %.4g", what, v, op, th);
}

static void set_text(struct ceo_recommendation *out, enum ceo_mode m, const char *rule, const char *text)
{
	out->mode = m;
	out->rule = rule;
	snprintf(out->reason, sizeof(out->reason), "%s", text);
}

static void recommend_original(const struct ceo_state *s, const struct ceo_thresholds *t,
			       struct ceo_recommendation *out)
{
	double dd = fmax(s->daily_drawdown, s->peak_drawdown);
	double risk = s->risk_score;
	if (dd >= t->critical_drawdown)
		return set(out,
			   CEO_BLACK_SWAN,
			   "black_swan_drawdown",
			   "drawdown",
			   dd,
			   ">= critical",
			   t->critical_drawdown);
	if (s->risk_known && risk >= t->risk_critical)
		return set(out, CEO_BLACK_SWAN, "black_swan_risk", "risk score", risk, ">= critical", t->risk_critical);
	if (s->health == CEO_OFFLINE)
		return set_text(out, CEO_BLACK_SWAN, "black_swan_offline", "system health OFFLINE");
	if (s->health == CEO_CRITICAL)
		return set_text(out, CEO_CAPITAL_PRESERVATION, "preservation_health", "system health CRITICAL");
	if (dd >= t->preservation_drawdown)
		return set(out,
			   CEO_CAPITAL_PRESERVATION,
			   "preservation_drawdown",
			   "drawdown",
			   dd,
			   ">=",
			   t->preservation_drawdown);
	if (dd >= t->defensive_drawdown)
		return set(out, CEO_DEFENSIVE, "defensive_drawdown", "drawdown", dd, ">=", t->defensive_drawdown);
	if (s->risk_known && risk >= t->risk_defensive)
		return set(out,
			   CEO_DEFENSIVE,
			   "defensive_risk",
			   "risk score",
			   risk,
			   ">= defensive level",
			   t->risk_defensive);
	if (s->win_rate_known && s->win_rate < t->defensive_win_rate && s->current != CEO_GROWTH)
		return set(
			out, CEO_DEFENSIVE, "defensive_win_rate", "win rate", s->win_rate, "<", t->defensive_win_rate);
	if (s->win_rate_known && s->risk_known && s->win_rate >= t->growth_win_rate && risk <= t->risk_growth_ceiling &&
	    dd < t->defensive_drawdown && s->health == CEO_HEALTHY) {
		out->mode = CEO_GROWTH;
		out->rule = "growth";
		snprintf(out->reason,
			 sizeof(out->reason),
			 "win rate %.4g >= %.4g, risk score %.4g <= growth ceiling %.4g, drawdown %.4g, healthy",
			 s->win_rate,
			 t->growth_win_rate,
			 risk,
			 t->risk_growth_ceiling,
			 dd);
		return;
	}
	if (s->win_rate_known && s->risk_known && s->win_rate >= t->expansion_win_rate &&
	    risk <= t->risk_expansion_ceiling && dd < t->defensive_drawdown) {
		out->mode = CEO_EXPANSION;
		out->rule = "expansion";
		snprintf(out->reason,
			 sizeof(out->reason),
			 "win rate %.4g >= %.4g, risk score %.4g <= expansion ceiling %.4g, drawdown %.4g",
			 s->win_rate,
			 t->expansion_win_rate,
			 risk,
			 t->risk_expansion_ceiling,
			 dd);
		return;
	}
	set_text(out, s->current, "stay", "no rule calls for a change");
}

/* Takes mode m with its rule and reason when it is safer than the one
 * held in out (or none is); ties keep the first, the weightier reason. */
static void consider(struct ceo_recommendation *out, enum ceo_mode m, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void consider(struct ceo_recommendation *out, enum ceo_mode m, const char *rule, const char *fmt, ...)
{
	if (out->rule && ceo_mode_safety(m) <= ceo_mode_safety(out->mode))
		return;
	va_list ap;
	va_start(ap, fmt);
	out->mode = m;
	out->rule = rule;
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* The drawdown's mode, with the band below each threshold (down to half
 * of it) holding a mode already taken: a drawdown must heal to end it. */
static void drawdown_floor(const struct ceo_state *s, const struct ceo_thresholds *t, struct ceo_recommendation *out)
{
	int cur = ceo_mode_safety(s->current);
	double d = s->dd_sigma, cp = t->preservation_dd_sigma, def = t->defensive_dd_sigma;
	if (!s->dd_sigma_known)
		return;
	if (d >= cp || (cur >= ceo_mode_safety(CEO_CAPITAL_PRESERVATION) && d >= cp / 2))
		consider(out,
			 CEO_CAPITAL_PRESERVATION,
			 "preservation_drawdown",
			 "drawdown %.3g sigmas >= %.3g%s",
			 d,
			 d >= cp ? cp : cp / 2,
			 d >= cp ? "" : " (not healed)");
	else if (d >= def || (cur >= ceo_mode_safety(CEO_DEFENSIVE) && d >= def / 2))
		consider(out,
			 CEO_DEFENSIVE,
			 "defensive_drawdown",
			 "drawdown %.3g sigmas >= %.3g%s",
			 d,
			 d >= def ? def : def / 2,
			 d >= def ? "" : " (not healed)");
}

/* What the evidence of edge allows: GROWTH, EXPANSION, DEFENSIVE on
 * evidence of a negative edge, or, in between or without evidence, the
 * current mode within EXPANSION..DEFENSIVE (no upgrade on no information,
 * no cut either). */
static void evidence_ceiling(const struct ceo_state *s, const struct ceo_thresholds *t, struct ceo_recommendation *out)
{
	int known = s->book_trades >= t->min_book_trades;
	double psr = s->book_psr;
	int calm = s->risk_known && s->risk_score <= t->risk_expansion_ceiling;
	if (known && psr < t->defensive_psr)
		return consider(out,
				CEO_DEFENSIVE,
				"defensive_edge",
				"book PSR %.4g < %.4g over %ld trades",
				psr,
				t->defensive_psr,
				s->book_trades);
	/* one risk ceiling for both upgrades: GROWTH's larger size raises the
	 * score, and a tighter ceiling for it would be a loop of its own */
	if (known && calm && psr >= t->growth_psr && s->health == CEO_HEALTHY)
		return consider(out,
				CEO_GROWTH,
				"growth",
				"book PSR %.4g >= %.4g over %ld trades, risk score %.4g <= %.4g, "
				"healthy",
				psr,
				t->growth_psr,
				s->book_trades,
				s->risk_score,
				t->risk_expansion_ceiling);
	if (known && calm && psr >= t->expansion_psr)
		return consider(out,
				CEO_EXPANSION,
				"expansion",
				"book PSR %.4g >= %.4g over %ld trades, risk score %.4g <= %.4g",
				psr,
				t->expansion_psr,
				s->book_trades,
				s->risk_score,
				t->risk_expansion_ceiling);
	enum ceo_mode hold = s->current == CEO_GROWTH                                       ? CEO_EXPANSION
			     : ceo_mode_safety(s->current) > ceo_mode_safety(CEO_DEFENSIVE) ? CEO_DEFENSIVE
											    : s->current;
	if (!known)
		consider(out,
			 hold,
			 "hold",
			 "%ld of %ld trades: no evidence on the book's edge yet",
			 s->book_trades,
			 t->min_book_trades);
	else
		consider(out,
			 hold,
			 "hold",
			 "book PSR %.4g, risk score %.4g: no upgrade (needs PSR >= %.4g and risk <= %.4g)",
			 psr,
			 s->risk_known ? s->risk_score : -1,
			 t->expansion_psr,
			 t->risk_expansion_ceiling);
}

/* Each input names the mode it allows; the safest wins. */
static void recommend_default(const struct ceo_state *s, const struct ceo_thresholds *t, struct ceo_recommendation *out)
{
	out->rule = NULL;
	if (s->tail_event)
		consider(out,
			 CEO_BLACK_SWAN,
			 "black_swan_tail",
			 "tail event: a period's loss of many expected shortfalls (TAIL_EVENT CRITICAL)");
	if (s->health == CEO_OFFLINE)
		consider(out, CEO_BLACK_SWAN, "black_swan_offline", "system health OFFLINE");
	if (s->health == CEO_CRITICAL)
		consider(out, CEO_CAPITAL_PRESERVATION, "preservation_health", "system health CRITICAL");
	drawdown_floor(s, t, out);
	if (s->risk_known && s->risk_score >= t->risk_critical)
		consider(out,
			 CEO_CAPITAL_PRESERVATION,
			 "preservation_risk",
			 "risk score %.4g >= critical %.4g",
			 s->risk_score,
			 t->risk_critical);
	else if (s->risk_known && s->risk_score >= t->risk_defensive)
		consider(out,
			 CEO_DEFENSIVE,
			 "defensive_risk",
			 "risk score %.4g >= defensive level %.4g",
			 s->risk_score,
			 t->risk_defensive);
	evidence_ceiling(s, t, out);
}

void ceo_policy_recommend(const struct ceo_state *s, const struct ceo_thresholds *t, struct ceo_recommendation *out)
{
	if (t->rules == CEO_RULES_ORIGINAL)
		recommend_original(s, t, out);
	else
		recommend_default(s, t, out);
}
