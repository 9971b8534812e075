/*
 * gate.c - the live gate's decisions (rules in gate.h). Pure: libc only,
 * no I/O, no allocation; every answer is computed from the state given.
 */
#include "gate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "orch.h"

static const char *const MODE_NAMES[] = {"ACTIVE", "PASSIVE", "EMERGENCY", "UNKNOWN"};

static const char *const REFUSAL_NAMES[GATE_R_COUNT] = {"none",
							"emergency_stop",
							"black_swan",
							"no_decision",
							"risk_pause",
							"risk_critical",
							"no_risk_state",
							"no_limits",
							"client_emergency",
							"no_confidence",
							"low_confidence",
							"disabled_strategy",
							"disabled_model",
							"names_incomplete",
							"max_positions",
							"no_size"};

void gate_config_defaults(struct gate_config *c)
{
	c->stale_ms = 90000;
	c->safe_side = GATE_PASSIVE;
	c->stop_loss_frac = 0.02;
}

int gate_config_validate(const struct gate_config *c, char *err, size_t errlen)
{
	const char *bad = NULL;
	if (c->stale_ms <= 0)
		bad = "stale_ms: must be above 0";
	else if (c->safe_side != GATE_PASSIVE && c->safe_side != GATE_EMERGENCY)
		bad = "safe_side: must be PASSIVE or EMERGENCY";
	else if (!(c->stop_loss_frac > 0 && c->stop_loss_frac <= 1))
		bad = "stop_loss_frac: must be in (0, 1]";
	if (!bad)
		return 0;
	snprintf(err, errlen, "%s", bad);
	return ORCH_EINVAL;
}

static void limits_unknown(struct gate_limits *l)
{
	l->known = 0;
	l->max_leverage = l->max_risk_pct_per_trade = l->scaling_factor = l->global_min_confidence = -1;
	l->max_positions = -1;
}

void gate_state_init(struct gate_state *s)
{
	memset(s, 0, sizeof(*s));
	s->decision_confidence = -1;
	limits_unknown(&s->limits);
	limits_unknown(&s->ceiling);
	s->risk_score = -1;
	s->equity_usd = -1;
	s->open_positions = -1;
}

static int has_name(const char (*list)[GATE_NAME_LEN], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(list[i], name))
			return 1;
	return 0;
}

int gate_state_disable(struct gate_state *s, int models, const char *name)
{
	char(*list)[GATE_NAME_LEN] = models ? s->disabled_models : s->disabled_strategies;
	int *n = models ? &s->n_disabled_models : &s->n_disabled_strategies;
	size_t len = name ? strlen(name) : 0;
	if (len == 0)
		return ORCH_EINVAL;
	if (has_name((const char(*)[GATE_NAME_LEN])list, *n, name))
		return 0;
	if (len >= GATE_NAME_LEN || *n == GATE_MAX_NAMES) {
		s->names_dropped++;
		return len >= GATE_NAME_LEN ? ORCH_EINVAL : ORCH_EFULL;
	}
	memcpy(list[(*n)++], name, len + 1);
	return 0;
}

const char *gate_mode_name(enum gate_mode m)
{
	return m >= GATE_ACTIVE && m <= GATE_MODE_UNKNOWN ? MODE_NAMES[m] : "UNKNOWN";
}

int gate_mode_parse(const char *s, enum gate_mode *out)
{
	for (int m = GATE_ACTIVE; m < GATE_MODE_UNKNOWN; m++)
		if (s && !strcasecmp(s, MODE_NAMES[m])) {
			*out = (enum gate_mode)m;
			return 0;
		}
	return ORCH_EINVAL;
}

enum gate_mode gate_mode_of(const char *operating_mode)
{
	static const struct {
		const char *name;
		enum gate_mode mode;
	} MAP[] = {{"EXPANSION", GATE_ACTIVE},
		   {"GROWTH", GATE_ACTIVE},
		   {"DEFENSIVE", GATE_PASSIVE},
		   {"CAPITAL_PRESERVATION", GATE_PASSIVE},
		   {"BLACK_SWAN", GATE_EMERGENCY}};
	for (size_t i = 0; operating_mode && i < sizeof(MAP) / sizeof(MAP[0]); i++)
		if (!strcasecmp(operating_mode, MAP[i].name))
			return MAP[i].mode;
	return GATE_MODE_UNKNOWN;
}

const char *gate_refusal_name(enum gate_refusal r)
{
	return r >= GATE_R_NONE && r < GATE_R_COUNT ? REFUSAL_NAMES[r] : "unknown";
}

/* ---- the CEO's status ---- */

void gate_ceo_status(const struct gate_state *s, const struct gate_config *c, int64_t now_ms,
		     struct gate_ceo_status *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->operating_mode, sizeof(out->operating_mode), "%s", s->operating_mode);
	out->emergency_held = s->emergency_held;
	int have = s->mode_at_ms > 0 && s->operating_mode[0];
	int64_t age_ms = now_ms - s->mode_at_ms;
	out->decision_age_s = have ? (double)age_ms / 1000 : -1;
	enum gate_mode m = gate_mode_of(s->operating_mode);
	if (s->emergency_held) {
		out->mode = GATE_EMERGENCY;
		snprintf(out->reason,
			 sizeof(out->reason),
			 "emergency stop held: %.170s",
			 s->emergency_reason[0] ? s->emergency_reason : "no reason given");
	} else if (m == GATE_EMERGENCY) {
		out->mode = GATE_EMERGENCY;
		snprintf(out->reason, sizeof(out->reason), "operating mode %s", s->operating_mode);
	} else if (!have || m == GATE_MODE_UNKNOWN || age_ms > c->stale_ms || s->policy_problem[0]) {
		out->mode = c->safe_side;
		out->safe_side = 1;
		if (s->policy_problem[0])
			snprintf(out->reason, sizeof(out->reason), "policy: %.190s", s->policy_problem);
		else if (!s->operating_mode[0])
			snprintf(out->reason, sizeof(out->reason), "no operating mode reported");
		else if (!have)
			snprintf(out->reason,
				 sizeof(out->reason),
				 "operating mode %s has no decision behind it",
				 s->operating_mode);
		else if (m == GATE_MODE_UNKNOWN)
			snprintf(out->reason, sizeof(out->reason), "unknown operating mode '%s'", s->operating_mode);
		else
			snprintf(out->reason,
				 sizeof(out->reason),
				 "operating mode %s is %.0f s old (limit %.0f s)",
				 s->operating_mode,
				 (double)age_ms / 1000,
				 (double)c->stale_ms / 1000);
	} else {
		out->mode = m;
		snprintf(out->reason, sizeof(out->reason), "operating mode %s", s->operating_mode);
	}
	if (have && !out->safe_side) {
		double fresh = 1 - (double)age_ms / (double)c->stale_ms;
		double dc = s->decision_confidence < 0 ? 1 : s->decision_confidence;
		out->confidence = fmax(0, fmin(1, fresh)) * fmax(0, fmin(1, dc));
	}
}

/* ---- what both evaluations start from ---- */

static const char *operating_mode(const struct gate_state *s)
{
	return s->operating_mode[0] ? s->operating_mode : "none";
}

struct view {
	struct gate_ceo_status ceo;
	struct gate_limits lim; /* the stricter of the limits and the ceiling */
	enum gate_refusal stop; /* GATE_R_NONE: the layer allows new trades */
	char why[GATE_REASON_LEN];
};

static double lower_bound(double a, double b)
{
	return a < 0 ? b : b < 0 ? a : fmin(a, b);
}

static void merge_limits(const struct gate_state *s, struct gate_limits *out)
{
	const struct gate_limits *l = &s->limits, *ce = &s->ceiling;
	*out = *l;
	out->known = l->known && l->max_leverage >= 0 && l->max_risk_pct_per_trade >= 0 && l->scaling_factor >= 0 &&
		     l->global_min_confidence >= 0;
	if (!ce->known)
		return;
	out->max_leverage = lower_bound(l->max_leverage, ce->max_leverage);
	out->max_risk_pct_per_trade = lower_bound(l->max_risk_pct_per_trade, ce->max_risk_pct_per_trade);
	out->scaling_factor = lower_bound(l->scaling_factor, ce->scaling_factor);
	out->global_min_confidence = fmax(l->global_min_confidence, ce->global_min_confidence);
	out->max_positions = (int)lower_bound(l->max_positions, ce->max_positions);
}

static int risk_known(const struct gate_state *s)
{
	return s->risk_at_ms > 0 && s->risk_score >= 0 && s->risk_score <= 100;
}

static void view_make(const struct gate_state *s, const struct gate_config *c, int64_t now_ms, struct view *v)
{
	gate_ceo_status(s, c, now_ms, &v->ceo);
	merge_limits(s, &v->lim);
	v->stop = GATE_R_NONE;
	v->why[0] = 0;
	int64_t risk_age = now_ms - s->risk_at_ms;
	if (v->ceo.mode == GATE_EMERGENCY) {
		v->stop = s->emergency_held                                   ? GATE_R_EMERGENCY_STOP
			  : gate_mode_of(s->operating_mode) == GATE_EMERGENCY ? GATE_R_BLACK_SWAN
									      : GATE_R_NO_DECISION;
		snprintf(v->why, sizeof(v->why), "%s", v->ceo.reason);
	} else if (s->risk_pause) {
		v->stop = GATE_R_RISK_PAUSE;
		snprintf(
			v->why, sizeof(v->why), "the Risk Officer says pause trading (risk score %.1f)", s->risk_score);
	} else if (s->risk_critical) {
		v->stop = GATE_R_RISK_CRITICAL;
		snprintf(v->why, sizeof(v->why), "risk level critical (risk score %.1f)", s->risk_score);
	} else if (!risk_known(s)) {
		v->stop = GATE_R_NO_RISK_STATE;
		snprintf(v->why, sizeof(v->why), "no risk state reported");
	} else if (risk_age > c->stale_ms) {
		v->stop = GATE_R_NO_RISK_STATE;
		snprintf(v->why,
			 sizeof(v->why),
			 "risk state is %.0f s old (limit %.0f s)",
			 (double)risk_age / 1000,
			 (double)c->stale_ms / 1000);
	} else if (!v->lim.known) {
		v->stop = GATE_R_NO_LIMITS;
		snprintf(v->why, sizeof(v->why), "no effective limits known");
	}
}

/* The refusals of one signal, first match; GATE_R_NONE when it passes. */
static enum gate_refusal check_signal(const struct view *v, const struct gate_state *s, const struct gate_signal *sig,
				      char *why, size_t len)
{
	const char(*strategies)[GATE_NAME_LEN] = (const char(*)[GATE_NAME_LEN])s->disabled_strategies;
	const char(*models)[GATE_NAME_LEN] = (const char(*)[GATE_NAME_LEN])s->disabled_models;
	if (!sig->has_confidence || !(sig->confidence >= 0 && sig->confidence <= 1)) {
		snprintf(why, len, "%s: no usable confidence (a number in 0..1)", sig->symbol);
		return GATE_R_NO_CONFIDENCE;
	}
	if (sig->confidence < v->lim.global_min_confidence) {
		snprintf(why,
			 len,
			 "%s: confidence %.3f below the minimum %.3f",
			 sig->symbol,
			 sig->confidence,
			 v->lim.global_min_confidence);
		return GATE_R_LOW_CONFIDENCE;
	}
	if (sig->strategy[0] && has_name(strategies, s->n_disabled_strategies, sig->strategy)) {
		snprintf(why, len, "%s: strategy %s is disabled", sig->symbol, sig->strategy);
		return GATE_R_DISABLED_STRATEGY;
	}
	if (sig->model[0] && has_name(models, s->n_disabled_models, sig->model)) {
		snprintf(why, len, "%s: model %s is disabled", sig->symbol, sig->model);
		return GATE_R_DISABLED_MODEL;
	}
	if (s->names_dropped && (sig->strategy[0] || sig->model[0])) {
		snprintf(why,
			 len,
			 "%s: %d disabled names did not fit, so no named strategy or model is known to be enabled",
			 sig->symbol,
			 s->names_dropped);
		return GATE_R_NAMES_INCOMPLETE;
	}
	return GATE_R_NONE;
}

void gate_strategy_evaluate(const struct gate_state *s, const struct gate_config *c, const struct gate_signal *sig,
			    int64_t now_ms, struct gate_strategy_verdict *out)
{
	struct view v;
	view_make(s, c, now_ms, &v);
	memset(out, 0, sizeof(*out));
	out->min_confidence = v.lim.known ? v.lim.global_min_confidence : -1;
	out->code = v.stop;
	if (v.stop)
		snprintf(out->reason, sizeof(out->reason), "%s", v.why);
	else
		out->code = check_signal(&v, s, sig, out->reason, sizeof(out->reason));
	out->approved = out->code == GATE_R_NONE;
	if (out->approved)
		snprintf(out->reason,
			 sizeof(out->reason),
			 "%s: confidence %.3f, minimum %.3f, mode %s (%s)",
			 sig->symbol,
			 sig->confidence,
			 v.lim.global_min_confidence,
			 gate_mode_name(v.ceo.mode),
			 operating_mode(s));
}

/* ---- sizing ---- */

/* Down to whole cents, so never above a bound; the 1e-6 keeps a product
 * that lands a hair under a whole cent (0.7 * 1000) on it. */
static double cents(double usd)
{
	return floor(usd * 100 + 1e-6) / 100;
}

static enum gate_refusal size_signal(const struct gate_state *s, const struct gate_limits *l,
				     const struct gate_config *c, const struct gate_signal *sig, double *size,
				     double *lev, char *why, size_t len)
{
	*lev = sig->leverage > 0 ? fmin(sig->leverage, l->max_leverage) : l->max_leverage;
	if (!(*lev > 0)) {
		snprintf(why, len, "%s: max leverage %.2f allows no position", sig->symbol, l->max_leverage);
		return GATE_R_NO_SIZE;
	}
	double cap = INFINITY;
	if (s->equity_usd > 0)
		cap = fmin(s->equity_usd * l->max_risk_pct_per_trade * l->scaling_factor / c->stop_loss_frac,
			   s->equity_usd * *lev);
	/* the engine sizes its intents for the normal risk budget: a mode
	 * with less risk per trade scales them down in proportion */
	double budget = fmin(1, l->max_risk_pct_per_trade / GATE_NORMAL_RISK_PER_TRADE);
	*size = sig->size_usd > 0 ? fmin(sig->size_usd * l->scaling_factor * budget, cap) : cap;
	if (isinf(*size)) {
		snprintf(why, len, "%s: no equity known and no size requested", sig->symbol);
		return GATE_R_NO_SIZE;
	}
	*size = cents(*size);
	if (!(*size > 0)) {
		snprintf(why,
			 len,
			 "%s: scaling factor %.3f and risk per trade %.4f leave no size",
			 sig->symbol,
			 l->scaling_factor,
			 l->max_risk_pct_per_trade);
		return GATE_R_NO_SIZE;
	}
	return GATE_R_NONE;
}

void gate_risk_evaluate(const struct gate_state *s, const struct gate_config *c, const struct gate_signal *sig,
			int64_t now_ms, struct gate_risk_verdict *out)
{
	struct view v;
	view_make(s, c, now_ms, &v);
	memset(out, 0, sizeof(*out));
	out->mode = v.ceo.mode;
	out->state_risk_score = risk_known(s) ? s->risk_score : -1;
	out->code = v.stop;
	if (v.stop) {
		snprintf(out->reason, sizeof(out->reason), "%s", v.why);
	} else if (!strcasecmp(sig->client_mode, "EMERGENCY")) {
		out->code = GATE_R_CLIENT_EMERGENCY;
		snprintf(out->reason,
			 sizeof(out->reason),
			 "%s: the client reports operating mode EMERGENCY",
			 sig->symbol);
	} else {
		out->code = check_signal(&v, s, sig, out->reason, sizeof(out->reason));
	}
	if (!out->code && v.lim.max_positions == 0) {
		out->code = GATE_R_MAX_POSITIONS;
		snprintf(out->reason, sizeof(out->reason), "%s: max_positions 0 allows no position", sig->symbol);
	} else if (!out->code && v.lim.max_positions > 0 && s->open_positions >= v.lim.max_positions) {
		out->code = GATE_R_MAX_POSITIONS;
		snprintf(out->reason,
			 sizeof(out->reason),
			 "%s: %d positions open, limit %d",
			 sig->symbol,
			 s->open_positions,
			 v.lim.max_positions);
	}
	double size = 0, lev = 0;
	if (!out->code)
		out->code = size_signal(s, &v.lim, c, sig, &size, &lev, out->reason, sizeof(out->reason));
	out->approved = out->code == GATE_R_NONE;
	if (!out->approved) {
		int stop = v.stop != GATE_R_NONE || out->code == GATE_R_CLIENT_EMERGENCY;
		out->risk_score = stop || out->state_risk_score < 0 ? 100 : out->state_risk_score;
		return;
	}
	out->position_size_usd = size;
	out->leverage = lev;
	out->max_loss_usd = cents(size * c->stop_loss_frac);
	out->risk_score = out->state_risk_score;
	snprintf(out->reason,
		 sizeof(out->reason),
		 "%s: %.2f USD at %.2fx, mode %s (%s), risk score %.1f",
		 sig->symbol,
		 size,
		 lev,
		 gate_mode_name(v.ceo.mode),
		 operating_mode(s),
		 out->risk_score);
}
