/*
 * risk_brain.c - risk score, alerts with hysteresis and recommended
 * ceilings from the Risk Officer's view of the portfolio (see
 * risk_brain.h for the formula, weights and thresholds).
 */
#include "risk_brain.h"

#include <math.h>
#include <stdio.h>

#include "orch.h"

static const struct {
	const char *name;
	double weight;
} components[RISK_C_COUNT] = {
	[RISK_C_DRAWDOWN] = {"drawdown", 0.30},
	[RISK_C_VAR] = {"var", 0.10},
	[RISK_C_ES] = {"es", 0.15},
	[RISK_C_VOLATILITY] = {"volatility", 0.15},
	[RISK_C_LEVERAGE] = {"leverage", 0.15},
	[RISK_C_CONCENTRATION] = {"concentration", 0.15},
};

const char *risk_component_name(enum risk_component c)
{
	return components[c].name;
}

double risk_component_weight(enum risk_component c)
{
	return components[c].weight;
}

int risk_limits_validate(const struct risk_limits *l, char *err, size_t errlen)
{
	const struct {
		const char *name;
		double v;
	} pos[] = {
		{"max_drawdown", l->max_drawdown},
		{"max_daily_drawdown", l->max_daily_drawdown},
		{"var_ceiling", l->var_ceiling},
		{"es_ceiling", l->es_ceiling},
		{"vol_ceiling", l->vol_ceiling},
		{"max_leverage", l->max_leverage},
		{"concentration_ceiling", l->concentration_ceiling},
		{"max_risk_per_trade", l->max_risk_per_trade},
		{"score_critical", l->score_critical},
		{"tail_multiple", l->tail_multiple},
	};
	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		if (!(pos[i].v > 0) || !isfinite(pos[i].v)) {
			snprintf(err, errlen, "%s: must be a positive number", pos[i].name);
			return ORCH_EINVAL;
		}
	}
	if (l->concentration_ceiling > 1 || l->score_critical > 100) {
		snprintf(err,
			 errlen,
			 "%s: must be at most %s",
			 l->concentration_ceiling > 1 ? "concentration_ceiling" : "score_critical",
			 l->concentration_ceiling > 1 ? "1" : "100");
		return ORCH_EINVAL;
	}
	if (l->max_positions < 1) {
		snprintf(err, errlen, "max_positions: must be at least 1");
		return ORCH_EINVAL;
	}
	if (!(l->hysteresis >= 0 && l->hysteresis < 0.5)) {
		snprintf(err, errlen, "hysteresis: must be in [0, 0.5)");
		return ORCH_EINVAL;
	}
	return 0;
}

static double unit(double x, double ceiling)
{
	double u = x / ceiling;
	return u > 1 ? 1 : u > 0 ? u : 0;
}

/* Per-period EWMA volatility, annualised like the sample volatility. */
static double ewma_annualized(const struct risk_metrics *m)
{
	return m->ewma_volatility * sqrt(m->periods_per_year);
}

void risk_score_compute(const struct risk_view *v, const struct risk_limits *l, struct risk_score *out)
{
	const struct risk_metrics *m = &v->portfolio;
	double *c = out->component;
	int last = m->n_conf - 1;
	c[RISK_C_DRAWDOWN] =
		fmax(unit(m->current_drawdown, l->max_drawdown), unit(v->daily_drawdown, l->max_daily_drawdown));
	c[RISK_C_VAR] = m->sufficient && m->n_conf ? unit(m->historical[0].var, l->var_ceiling) : 0;
	c[RISK_C_ES] = m->sufficient && m->n_conf ? unit(m->historical[last].es, l->es_ceiling) : 0;
	c[RISK_C_VOLATILITY] = m->sufficient ? unit(ewma_annualized(m), l->vol_ceiling) : 0;
	c[RISK_C_LEVERAGE] = unit(v->leverage, l->max_leverage);
	c[RISK_C_CONCENTRATION] = unit(v->herfindahl, l->concentration_ceiling);
	double s = 0;
	for (int i = 0; i < RISK_C_COUNT; i++)
		s += components[i].weight * c[i];
	out->score = fmin(100, 100 * s);
	out->level = out->score < 25 ? "low" : out->score < 50 ? "moderate" : out->score < 75 ? "high" : "critical";
}

/* ---- alerts ---- */

static const struct {
	const char *code, *metric;
} alert_names[RISK_A_COUNT] = {
	[RISK_A_DRAWDOWN] = {"DRAWDOWN", "current_drawdown"},
	[RISK_A_DAILY_DRAWDOWN] = {"DAILY_DRAWDOWN", "daily_drawdown"},
	[RISK_A_VAR] = {"VAR", "var_historical"},
	[RISK_A_ES] = {"EXPECTED_SHORTFALL", "es_historical"},
	[RISK_A_VOLATILITY] = {"VOLATILITY", "ewma_volatility_annualized"},
	[RISK_A_LEVERAGE] = {"LEVERAGE", "leverage"},
	[RISK_A_CONCENTRATION] = {"CONCENTRATION", "herfindahl"},
	[RISK_A_RISK_SCORE] = {"RISK_SCORE", "risk_score"},
	[RISK_A_TAIL] = {"TAIL_EVENT", "loss_to_es"},
};

static const double enter_at[] = {0, 0.6, 0.8, 1.0}; /* by level, fraction of the limit */

const char *risk_alert_code_name(enum risk_alert_code c)
{
	return alert_names[c].code;
}

const char *risk_alert_metric_name(enum risk_alert_code c)
{
	return alert_names[c].metric;
}

const char *risk_alert_level_name(enum risk_alert_level l)
{
	static const char *names[] = {"NONE", "INFO", "WARNING", "CRITICAL"};
	return names[l];
}

/* Value and limit of one alert code; 0 when the metric is not available. */
static int alert_input(enum risk_alert_code c, const struct risk_view *v, const struct risk_score *sc,
		       const struct risk_limits *l, double *value, double *limit)
{
	const struct risk_metrics *m = &v->portfolio;
	int tails = m->sufficient && m->n_conf;
	switch (c) {
	case RISK_A_DRAWDOWN:
		*value = m->current_drawdown, *limit = l->max_drawdown;
		return 1;
	case RISK_A_DAILY_DRAWDOWN:
		*value = v->daily_drawdown, *limit = l->max_daily_drawdown;
		return v->have_snapshot;
	case RISK_A_VAR:
		*value = tails ? m->historical[0].var : 0, *limit = l->var_ceiling;
		return tails;
	case RISK_A_ES:
		*value = tails ? m->historical[m->n_conf - 1].es : 0, *limit = l->es_ceiling;
		return tails;
	case RISK_A_VOLATILITY:
		*value = ewma_annualized(m), *limit = l->vol_ceiling;
		return m->sufficient;
	case RISK_A_LEVERAGE:
		*value = v->leverage, *limit = l->max_leverage;
		return v->have_snapshot;
	case RISK_A_CONCENTRATION:
		*value = v->herfindahl, *limit = l->concentration_ceiling;
		return v->have_snapshot && v->open_positions > 1;
	case RISK_A_TAIL:
		/* the open period's loss in expected shortfalls: CRITICAL at
		 * tail_multiple, a loss beyond anything the window holds */
		*value = v->loss_to_es, *limit = l->tail_multiple;
		return l->tail_multiple > 0 && v->period_es > 0;
	case RISK_A_RISK_SCORE:
	default:
		*value = sc->score, *limit = l->score_critical;
		return 1;
	}
}

int risk_alerts_update(struct risk_alert_state *st, const struct risk_view *v, const struct risk_score *sc,
		       const struct risk_limits *l, struct risk_alert *out)
{
	int n = 0;
	for (int c = 0; c < RISK_A_COUNT; c++) {
		double value, limit;
		int have = alert_input(c, v, sc, l, &value, &limit);
		enum risk_alert_level cur = st->level[c], next = cur;
		double threshold = 0;
		if (!have)
			value = 0; /* nothing to measure: levels only fall */
		while (have && next < RISK_ALERT_CRITICAL && value >= enter_at[next + 1] * limit) {
			next++;
			threshold = enter_at[next] * limit;
		}
		if (next == cur) {
			while (next > RISK_ALERT_NONE && value < (enter_at[next] - l->hysteresis) * limit) {
				threshold = (enter_at[next] - l->hysteresis) * limit;
				next--;
			}
		}
		if (next == cur)
			continue;
		st->level[c] = next;
		out[n++] = (struct risk_alert){.code = c,
					       .level = next,
					       .previous = cur,
					       .value = value,
					       .threshold = threshold,
					       .limit = limit};
	}
	return n;
}

enum risk_alert_level risk_alerts_highest(const struct risk_alert_state *st)
{
	enum risk_alert_level h = RISK_ALERT_NONE;
	for (int c = 0; c < RISK_A_COUNT; c++)
		if (st->level[c] > h)
			h = st->level[c];
	return h;
}

/* ---- ceilings ---- */

static double round_to(double x, double step)
{
	return round(x / step) * step;
}

void risk_ceilings_compute(const struct risk_view *v, const struct risk_score *sc, const struct risk_limits *l,
			   struct risk_ceilings *out)
{
	double f = 1 - 0.75 * sc->score / 100;
	double lev = l->max_leverage * f;
	double exposure = lev;
	const struct risk_metrics *m = &v->portfolio;
	if (m->sufficient && m->n_conf && v->leverage > 0) {
		double var = m->historical[m->n_conf - 1].var;
		double budget = fmax(l->max_daily_drawdown - v->daily_drawdown, 0);
		if (var > 0)
			exposure = fmin(exposure, budget * v->leverage / var);
	}
	out->max_leverage = fmax(1, round_to(lev, 0.1));
	out->max_risk_per_trade = round_to(l->max_risk_per_trade * f, 0.0001);
	out->max_positions = (int)fmax(1, floor(l->max_positions * f));
	out->max_exposure = round_to(exposure, 0.1);
}

int risk_ceilings_equal(const struct risk_ceilings *a, const struct risk_ceilings *b)
{
	return a->max_leverage == b->max_leverage && a->max_risk_per_trade == b->max_risk_per_trade &&
	       a->max_positions == b->max_positions && a->max_exposure == b->max_exposure;
}
