/*
 * ceo_brain.c - staleness, transitions and effective limits (see
 * ceo_brain.h).
 */
#include "ceo_brain.h"

#include <stdio.h>
#include <string.h>

void ceo_brain_config_defaults(struct ceo_brain_config *c)
{
	memset(c, 0, sizeof(*c));
	ceo_thresholds_defaults(&c->th);
	for (int m = 0; m < CEO_N_MODES; m++)
		ceo_limits_defaults((enum ceo_mode)m, &c->limits[m]);
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
}

void ceo_brain_limits(const struct ceo_brain_config *c, enum ceo_mode m, const struct ceo_inputs *in,
		      struct ceo_limits *out)
{
	*out = c->limits[m];
	if (!in->ceiling_ms)
		return;
	struct ceo_limits ceil = *out;
	if (in->ceiling_max_leverage > 0)
		ceil.max_leverage = in->ceiling_max_leverage;
	if (in->ceiling_max_risk_per_trade > 0)
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
	/* drawdowns are kept even when stale: an old drawdown still counts */
	s->daily_drawdown = in->daily_drawdown;
	s->peak_drawdown = in->peak_drawdown;
	if (fresh(in->strategy_ms, now, c->strategy_fresh_ms)) {
		n_fresh++;
		s->win_rate_known = in->win_rate_sufficient;
		s->win_rate = in->win_rate;
		s->win_rate_lower = in->win_rate_lower;
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
	snprintf(out->reason, sizeof(out->reason), "%.150s%s%.90s", rec.reason, out->stale[0] ? "; stale: " : "",
		 out->stale);
	if (rec.mode == b->mode) {
		b->pending = b->mode;
		b->pending_count = 0;
	} else if (ceo_mode_safety(rec.mode) > ceo_mode_safety(b->mode)) {
		ceo_brain_set_mode(b, rec.mode, now_ms);
		out->changed = 1;
	} else if (b->mode == CEO_BLACK_SWAN && !c->black_swan_exit_auto) {
		out->hold = "black_swan_manual_exit";
		snprintf(out->hold_detail, sizeof(out->hold_detail),
			 "%s recommended; BLACK_SWAN is left only by an operator command", ceo_mode_name(rec.mode));
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
			snprintf(out->hold_detail, sizeof(out->hold_detail), "%s recommended %d of %d times in a row",
				 ceo_mode_name(rec.mode), b->pending_count, c->confirmations);
		} else {
			out->hold = "cooldown";
			snprintf(out->hold_detail, sizeof(out->hold_detail), "%s recommended; cooldown %lld s left",
				 ceo_mode_name(rec.mode), (long long)((cooldown - since + 999) / 1000));
		}
	}
	out->mode = b->mode;
	ceo_brain_limits(c, b->mode, in, &out->limits);
}
