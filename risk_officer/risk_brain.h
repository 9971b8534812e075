/*
 * risk_brain.h - the Risk Officer's decisions, pure (no I/O): the 0-100
 * risk score (higher = more risk, everywhere), edge-triggered alerts with
 * hysteresis, and the risk ceilings it recommends to the CEO.
 *
 * Score = 100 * sum(w_k * min(1, max(0, x_k / c_k))) over six components,
 * each a risk input x_k against its ceiling c_k (struct risk_limits):
 *   drawdown       0.30  max(current dd / max_drawdown, daily dd / max_daily_drawdown)
 *   var            0.10  historical VaR at the first confidence / var_ceiling
 *   es             0.15  historical ES at the last confidence / es_ceiling
 *   volatility     0.15  EWMA volatility, annualised / vol_ceiling
 *   leverage       0.15  gross exposure / equity / max_leverage
 *   concentration  0.15  Herfindahl index of position exposures / concentration_ceiling
 * Raising any input never lowers the score. Metrics from fewer than
 * RISK_MIN_OBS returns contribute 0. Levels: low < 25 <= moderate < 50 <=
 * high < 75 <= critical.
 *
 * Alerts: for each code, INFO is entered at 0.6, WARNING at 0.8 and
 * CRITICAL at 1.0 of the limit, and a level is left only when the value
 * falls below its entry threshold minus `hysteresis` * limit. Only level
 * changes produce alert records.
 */
#ifndef RISK_BRAIN_H
#define RISK_BRAIN_H

#include <stddef.h>

#include "risk_models.h"

/* Ceilings the inputs are measured against (positive fractions unless noted). */
struct risk_limits {
	double max_drawdown;          /* drawdown from the window's peak */
	double max_daily_drawdown;    /* from the day's peak equity (reference) */
	double var_ceiling;           /* per-period historical VaR */
	double es_ceiling;            /* per-period historical ES */
	double vol_ceiling;           /* annualised */
	double max_leverage;          /* gross exposure / equity (reference) */
	double concentration_ceiling; /* Herfindahl index, (0, 1] */
	double max_risk_per_trade;    /* reference, base for the recommendation */
	int max_positions;            /* reference, base for the recommendation */
	double score_critical;        /* score at which RISK_SCORE is CRITICAL, e.g. 80 */
	double tail_multiple;         /* a period's loss of this many ES is a TAIL_EVENT (CRITICAL), e.g. 2 */
	double hysteresis;            /* fraction of a limit, e.g. 0.1 */
};

/* The portfolio as the Risk Officer sees it. */
struct risk_view {
	struct risk_metrics portfolio; /* of the returns between equity snapshots */
	int have_snapshot;             /* 0 until a portfolio snapshot arrived */
	double equity;                 /* USD */
	double gross_exposure;         /* USD, sum of |position exposure| */
	double leverage;               /* gross_exposure / equity */
	double daily_drawdown;         /* from the day's peak equity */
	double largest_share;          /* largest |exposure| / gross, 0 when flat */
	double herfindahl;             /* sum of squared shares, 0 when flat */
	int open_positions;
	/* the current drawdown of the returns per unit of exposure, and it in
	 * standard deviations of the window's span: / (their sd per period *
	 * sqrt(their count)); known from RISK_SIGMA_MIN_OBS of them */
	double unit_drawdown;
	int drawdown_sigma_known;
	double drawdown_sigma;
	/* exposure-normalised volatility, annualised (see risk_book.h) */
	int unit_n; /* returns behind it */
	double unit_vol_short, unit_vol_long;
	/* the open period's loss so far, and in expected shortfalls of the
	 * window before it (0 on a gain or before the window is sufficient) */
	double period_loss, period_es, loss_to_es;
};

enum risk_component {
	RISK_C_DRAWDOWN,
	RISK_C_VAR,
	RISK_C_ES,
	RISK_C_VOLATILITY,
	RISK_C_LEVERAGE,
	RISK_C_CONCENTRATION,
	RISK_C_COUNT
};

struct risk_score {
	double score;                   /* 0-100, higher = more risk */
	const char *level;              /* "low" | "moderate" | "high" | "critical" */
	double component[RISK_C_COUNT]; /* each in [0, 1] before weighting */
};

/* Name and weight of a component. */
const char *risk_component_name(enum risk_component c);
double risk_component_weight(enum risk_component c);
/* Checks limits: positive ceilings, hysteresis in [0, 0.5). Writes the bad
 * field into err. */
int risk_limits_validate(const struct risk_limits *l, char *err, size_t errlen);
void risk_score_compute(const struct risk_view *v, const struct risk_limits *l, struct risk_score *out);

/* ---- alerts ---- */

enum risk_alert_level { RISK_ALERT_NONE, RISK_ALERT_INFO, RISK_ALERT_WARNING, RISK_ALERT_CRITICAL };

enum risk_alert_code {
	RISK_A_DRAWDOWN,
	RISK_A_DAILY_DRAWDOWN,
	RISK_A_VAR,
	RISK_A_ES,
	RISK_A_VOLATILITY,
	RISK_A_LEVERAGE,
	RISK_A_CONCENTRATION,
	RISK_A_RISK_SCORE,
	RISK_A_TAIL,
	RISK_A_COUNT
};

struct risk_alert {
	enum risk_alert_code code;
	enum risk_alert_level level; /* new level (NONE = cleared) */
	enum risk_alert_level previous;
	double value;     /* the metric's value */
	double threshold; /* the threshold crossed */
	double limit;     /* the limit the thresholds derive from */
};

struct risk_alert_state {
	enum risk_alert_level level[RISK_A_COUNT];
};

const char *risk_alert_code_name(enum risk_alert_code c);   /* e.g. "DRAWDOWN" */
const char *risk_alert_metric_name(enum risk_alert_code c); /* e.g. "current_drawdown" */
const char *risk_alert_level_name(enum risk_alert_level l); /* "NONE" ... "CRITICAL" */

/* Moves every code's level by its value; writes one record per change
 * into out (room for RISK_A_COUNT) and returns how many. */
int risk_alerts_update(struct risk_alert_state *st, const struct risk_view *v, const struct risk_score *sc,
		       const struct risk_limits *l, struct risk_alert *out);
/* Highest level currently held. */
enum risk_alert_level risk_alerts_highest(const struct risk_alert_state *st);

/* ---- ceilings ---- */

struct risk_ceilings {
	double max_leverage;       /* rounded to 0.1, >= 1 */
	double max_risk_per_trade; /* fraction of equity, rounded to 0.0001 */
	int max_positions;         /* >= 1 */
	double max_exposure;       /* gross exposure / equity, rounded to 0.1 */
};

/*
 * Scales the base limits by f = 1 - 0.75 * score/100 (score 0 keeps them,
 * 100 leaves a quarter). max_exposure is also capped so that the
 * one-period VaR at the last confidence would not use up more than the
 * remaining daily drawdown budget (max_daily_drawdown - daily drawdown)
 * at the current leverage: exposure <= budget * leverage / VaR.
 */
void risk_ceilings_compute(const struct risk_view *v, const struct risk_score *sc, const struct risk_limits *l,
			   struct risk_ceilings *out);
int risk_ceilings_equal(const struct risk_ceilings *a, const struct risk_ceilings *b);

#endif
