/*
 * ceo_brain.c - staleness, transitions and effective limits (see
 * ceo_brain.h).
 */
#include "ceo_brain.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ceo_brain_config_defaults(struct ceo_brain_config *c, enum ceo_rules r)
{
	memset(c, 0, sizeof(*c));
	c->rules = r;
	ceo_thresholds_defaults(r, &c->th);
	for (int m = 0; m < CEO_N_MODES; m++)
		ceo_limits_defaults(r, (enum ceo_mode)m, &c->limits[m]);
	if (r == CEO_RULES_DEFAULT) {
		/* about two weeks: the short EWMA's half-life (11 periods) of
		 * daily periods, so the volatility has half forgotten the shock */
		c->black_swan_exit_auto = 1;
		c->black_swan_calm_ms = 14 * 86400000LL;
		/* no cut beyond a quarter (the modes take over), no lever above
		 * 1.5 (Moreira and Muir's leverage-constrained version) */
		c->vol_target = 1;
		c->vol_ratio_min = 0.25;
		c->vol_ratio_max = 1.5;
	}
	c->cooldown_ms = 300000;
	c->cooldown_aggressive_ms = 600000;
	c->confirmations = 3;
	c->risk_fresh_ms = 90000;
	c->strategy_fresh_ms = 180000;
	c->health_fresh_ms = 120000;
}

void ceo_brain_init(struct ceo_brain *b, enum ceo_mode mode, int64_t now_ms)
{
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->changed_ms = now_ms;
	b->pending = mode;
}

void ceo_brain_set_mode(struct ceo_brain *b, enum ceo_mode mode, int64_t now_ms)
{
	b->mode = mode;
	b->changed_ms = now_ms;
	b->pending = mode;
	b->pending_count = 0;
	if (mode == CEO_BLACK_SWAN)
		b->swan_ms = now_ms;
}

/* The volatility ratio for mode m (1 when not targeting or not known). */
static double vol_ratio(const struct ceo_brain_config *c, enum ceo_mode m, const struct ceo_inputs *in)
{
	if (!c->vol_target || in->unit_n < CEO_VOL_MIN_PERIODS || !(in->unit_vol_short > 0) || !(in->unit_vol_long > 0))
		return 1;
	/* the short estimate's noise: an EWMA of squares with decay l weighs
	 * like (1 + l) / (1 - l) returns, so sd(sigma^ / sigma) is about
	 * sqrt((1 - l) / (2 (1 + l))); a ratio within two of them of 1 is
	 * noise, and only the part beyond counts (continuous at the band) */
	double l = in->unit_lambda > 0 && in->unit_lambda < 1 ? in->unit_lambda : 0.94;
	double band = 1 + 2 * sqrt((1 - l) / (2 * (1 + l)));
	double r = in->unit_vol_long / in->unit_vol_short;
	r = r > band ? r / band : r < 1 / band ? r * band : 1;
	double hi = m == CEO_GROWTH ? c->vol_ratio_max : fmin(1, c->vol_ratio_max);
	r = fmax(c->vol_ratio_min, fmin(hi, r));
	return fmax(c->vol_ratio_min, floor(r * 20 + 1e-9) / 20);
}

void ceo_brain_limits(const struct ceo_brain_config *c, enum ceo_mode m, const struct ceo_inputs *in,
		      struct ceo_limits *out, double *ratio_out)
{
	*out = c->limits[m];
	double ratio = vol_ratio(c, m, in);
	if (ratio_out)
		*ratio_out = ratio;
	out->scaling_factor = fmin(2, out->scaling_factor * ratio);
	if (!in->ceiling_ms)
		return;
	struct ceo_limits ceil = *out;
	if (in->ceiling_max_leverage > 0)
		ceil.max_leverage = in->ceiling_max_leverage;
	if (in->ceiling_max_risk_per_trade > 0 && c->rules == CEO_RULES_ORIGINAL)
		ceil.max_risk_pct_per_trade = in->ceiling_max_risk_per_trade;
	if (in->ceiling_max_positions > 0)
		ceil.max_positions = in->ceiling_max_positions;
	ceo_limits_stricter(out, &ceil, out);
}

static int fresh(int64_t at, int64_t now, int64_t limit)
{
	return at > 0 && now - at <= limit;
}

static void add_stale(char *buf, size_t len, const char *what)
{
	size_t n = strlen(buf);
	snprintf(buf + n, len - n, "%s%s", n ? " " : "", what);
}

/* The state the rules see, with staleness applied. */
static void build_state(const struct ceo_brain *b, const struct ceo_brain_config *c, const struct ceo_inputs *in,
			int64_t now, struct ceo_decision *out)
{
	struct ceo_state *s = &out->state;
	int n_fresh = 0, n_inputs = 2;
	memset(s, 0, sizeof(*s));
	s->current = b->mode;
	s->health = CEO_HEALTHY;
	out->stale[0] = '\0';
	if (in->health_ms) {
		n_inputs++;
		if (fresh(in->health_ms, now, c->health_fresh_ms)) {
			s->health = in->health;
			n_fresh++;
		} else {
			s->health = in->health > CEO_DEGRADED ? in->health : CEO_DEGRADED;
			add_stale(out->stale, sizeof(out->stale), "health");
		}
	}
	if (fresh(in->risk_ms, now, c->risk_fresh_ms)) {
		s->risk_known = 1;
		s->risk_score = in->risk_score;
		n_fresh++;
	} else {
		if (s->health < CEO_DEGRADED)
			s->health = CEO_DEGRADED;
		add_stale(out->stale, sizeof(out->stale), "risk_state");
	}
	/* drawdowns are kept even when stale: an old drawdown still counts;
	 * so is the last word on tails and critical factors */
	s->daily_drawdown = in->daily_drawdown;
	s->peak_drawdown = in->peak_drawdown;
	s->dd_sigma_known = in->dd_sigma_known;
	s->dd_sigma = in->dd_sigma;
	s->tail_event = in->tail_event;
	if (fresh(in->strategy_ms, now, c->strategy_fresh_ms)) {
		n_fresh++;
		s->win_rate_known = in->win_rate_sufficient;
		s->win_rate = in->win_rate;
		s->win_rate_lower = in->win_rate_lower;
		s->book_trades = in->book_trades;
		s->book_psr = in->book_psr;
	} else {
		add_stale(out->stale, sizeof(out->stale), "strategy_state");
	}
	s->var_ratio = in->var_ratio;
	s->es_ratio = in->es_ratio;
	s->strategies_eligible = in->strategies_eligible;
	s->strategies_disabled = in->strategies_disabled;
	s->regime = in->regime_ms ? in->regime : NULL;
	s->regime_confidence = in->regime_confidence;
	s->open_positions = in->open_positions;
	out->confidence = (double)n_fresh / (double)n_inputs;
}

static int aggressive(enum ceo_mode m)
{
	return m == CEO_GROWTH || m == CEO_EXPANSION;
}

void ceo_brain_decide(struct ceo_brain *b, const struct ceo_brain_config *c, const struct ceo_inputs *in,
		      int64_t now_ms, struct ceo_decision *out)
{
	memset(out, 0, sizeof(*out));
	build_state(b, c, in, now_ms, out);
	struct ceo_recommendation rec;
	ceo_policy_recommend(&out->state, &c->th, &rec);
	out->previous = b->mode;
	out->recommended = rec.mode;
	out->rule = rec.rule;
	snprintf(out->reason,
		 sizeof(out->reason),
		 "%.150s%s%.90s",
		 rec.reason,
		 out->stale[0] ? "; stale: " : "",
		 out->stale);
	/* "stay" in BLACK_SWAN is no call for it: calm, as far as the rules see */
	int swan_call = rec.mode == CEO_BLACK_SWAN && strcmp(rec.rule, "stay") != 0;
	int calm_exit = b->mode == CEO_BLACK_SWAN && c->black_swan_exit_auto && c->black_swan_calm_ms > 0;
	if (swan_call)
		b->swan_ms = now_ms;
	if (calm_exit && !swan_call) {
		int64_t calm = now_ms - b->swan_ms;
		if (calm >= c->black_swan_calm_ms) {
			ceo_brain_set_mode(b, CEO_CAPITAL_PRESERVATION, now_ms);
			out->changed = 1;
			out->rule = "black_swan_calm";
			snprintf(out->reason,
				 sizeof(out->reason),
				 "no call for BLACK_SWAN for %lld s >= %lld s: CAPITAL_PRESERVATION first",
				 (long long)(calm / 1000),
				 (long long)(c->black_swan_calm_ms / 1000));
		} else {
			out->hold = "black_swan_calm";
			snprintf(out->hold_detail,
				 sizeof(out->hold_detail),
				 "%s recommended; BLACK_SWAN is left after %lld s more of calm",
				 ceo_mode_name(rec.mode),
				 (long long)((c->black_swan_calm_ms - calm + 999) / 1000));
		}
	} else if (rec.mode == b->mode) {
		b->pending = b->mode;
		b->pending_count = 0;
	} else if (ceo_mode_safety(rec.mode) > ceo_mode_safety(b->mode)) {
		ceo_brain_set_mode(b, rec.mode, now_ms);
		out->changed = 1;
	} else if (b->mode == CEO_BLACK_SWAN && !c->black_swan_exit_auto) {
		out->hold = "black_swan_manual_exit";
		snprintf(out->hold_detail,
			 sizeof(out->hold_detail),
			 "%s recommended; BLACK_SWAN is left only by an operator command",
			 ceo_mode_name(rec.mode));
	} else {
		if (b->pending == rec.mode && b->pending_count > 0)
			b->pending_count++;
		else {
			b->pending = rec.mode;
			b->pending_count = 1;
		}
		int64_t cooldown = aggressive(rec.mode) ? c->cooldown_aggressive_ms : c->cooldown_ms;
		int64_t since = now_ms - b->changed_ms;
		if (b->pending_count >= c->confirmations && since >= cooldown) {
			ceo_brain_set_mode(b, rec.mode, now_ms);
			out->changed = 1;
		} else if (b->pending_count < c->confirmations) {
			out->hold = "confirming";
			snprintf(out->hold_detail,
				 sizeof(out->hold_detail),
				 "%s recommended %d of %d times in a row",
				 ceo_mode_name(rec.mode),
				 b->pending_count,
				 c->confirmations);
		} else {
			out->hold = "cooldown";
			snprintf(out->hold_detail,
				 sizeof(out->hold_detail),
				 "%s recommended; cooldown %lld s left",
				 ceo_mode_name(rec.mode),
				 (long long)((cooldown - since + 999) / 1000));
		}
	}
	out->mode = b->mode;
	ceo_brain_limits(c, b->mode, in, &out->limits, &out->vol_ratio);
}
