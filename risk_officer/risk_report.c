/*
 * risk_report.c - builds the Risk Officer's event payloads from an
 * assessment. Original field names first (risk_score, var_estimate, ...),
 * then "metrics", "conventions", "score_components" and the active alerts.
 */
#include "risk_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"

static int risk_report_should_pause(const struct risk_assessment *a)
{
	return a->score.score >= 75 || risk_alerts_highest(&a->alerts) == RISK_ALERT_CRITICAL;
}

static int risk_report_should_reduce(const struct risk_assessment *a)
{
	return a->score.score >= 50 || risk_alerts_highest(&a->alerts) >= RISK_ALERT_WARNING;
}

void risk_report_alert_text(const struct risk_alert *al, char *buf, size_t len)
{
	if (al->level > al->previous)
		snprintf(buf,
			 len,
			 "%s %s: %s %.6g >= %.6g",
			 risk_alert_level_name(al->level),
			 risk_alert_code_name(al->code),
			 risk_alert_metric_name(al->code),
			 al->value,
			 al->threshold);
	else
		snprintf(buf,
			 len,
			 "%s %s: %s %.6g < %.6g (was %s)",
			 risk_alert_level_name(al->level),
			 risk_alert_code_name(al->code),
			 risk_alert_metric_name(al->code),
			 al->value,
			 al->threshold,
			 risk_alert_level_name(al->previous));
}

static json_t *by_conf(const struct risk_metrics *m, const struct risk_tail *t, int es)
{
	json_t *o = json_object();
	for (int i = 0; o && i < m->n_conf; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%g", m->conf[i]);
		json_object_set_new(o, k, json_real(es ? t[i].es : t[i].var));
	}
	return o;
}

static json_t *tails(const struct risk_metrics *m, int es)
{
	return json_pack("{s:o, s:o, s:o}",
			 "historical",
			 by_conf(m, m->historical, es),
			 "gaussian",
			 by_conf(m, m->gaussian, es),
			 "modified",
			 by_conf(m, m->modified, es));
}

static json_t *conventions(const struct risk_assessment *a)
{
	const struct risk_metrics *m = &a->view.portfolio;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:I, s:I, s:I, s:i, s:s, s:s, s:s, s:s}",
			 "sign",
			 "loss_positive: VaR, ES and drawdowns are positive loss fractions in [0, 1]",
			 "confidence",
			 "keys of var/es are the confidence p; tail probability is 1-p",
			 "historical",
			 "R quantile type 7; ES = mean of returns strictly below the VaR quantile",
			 "gaussian",
			 "mean and population variance",
			 "modified",
			 "Cornish-Fisher with population skewness and excess kurtosis; "
			 "PerformanceAnalytics operational ES",
			 "volatility",
			 "sample sd, annualised by sqrt(periods_per_year); EWMA zero-mean",
			 "periods_per_year",
			 m->periods_per_year,
			 "returns",
			 strcmp(a->source, "closed_trades") == 0
				 ? "per closed trade (pooled), until equity snapshots give enough periods"
				 : "equity period returns (last equity of each period)",
			 "period_s",
			 (json_int_t)(a->period_ms / 1000),
			 "window_count",
			 (json_int_t)a->window_count,
			 "window_age_s",
			 (json_int_t)(a->window_age_ms / 1000),
			 "min_obs",
			 RISK_MIN_OBS,
			 "score",
			 "0-100, higher = more risk",
			 "unit_volatility",
			 "EWMA (ewma_lambda short, ORCH_RISK_EWMA_LAMBDA_LONG long) sd of unit returns "
			 "(each period's return / gross leverage at its start; flat periods skipped, a "
			 "loss clamped at 99%), annualised",
			 "drawdown_sigma",
			 "unit_drawdown (of the unit returns in a window like the equity's) / (their "
			 "sample sd per period x sqrt(their count)); absent below 20 of them",
			 "loss_to_es",
			 "the open period's loss (positive) / period_es, the larger of historical and "
			 "gaussian ES at the highest confidence of the window before it; 0 on a gain");
}

/* The metrics; drawdown_sigma only when known (absent: unknown). */
static json_t *metrics(const struct risk_assessment *a)
{
	const struct risk_metrics *m = &a->view.portfolio;
	const struct risk_view *v = &a->view;
	json_t *o = json_pack("{s:s, s:I, s:b, s:o, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f,"
			      " s:f, s:f, s:f, s:f, s:i, s:f, s:i, s:f, s:f, s:f, s:f, s:f}",
			      "source",
			      a->source,
			      "n_obs",
			      (json_int_t)m->n_obs,
			      "sufficient",
			      m->sufficient,
			      "var",
			      tails(m, 0),
			      "es",
			      tails(m, 1),
			      "volatility_annualized",
			      m->volatility_annualized,
			      "ewma_volatility_annualized",
			      m->ewma_volatility * sqrt(m->periods_per_year),
			      "ewma_lambda",
			      m->ewma_lambda,
			      "skewness",
			      m->skewness,
			      "excess_kurtosis",
			      m->excess_kurtosis,
			      "tail_ratio",
			      m->tail_ratio,
			      "max_drawdown",
			      m->max_drawdown,
			      "current_drawdown",
			      m->current_drawdown,
			      "daily_drawdown",
			      v->daily_drawdown,
			      "equity",
			      v->equity,
			      "gross_exposure",
			      v->gross_exposure,
			      "leverage",
			      v->leverage,
			      "largest_share",
			      v->largest_share,
			      "herfindahl",
			      v->herfindahl,
			      "open_positions",
			      v->open_positions,
			      "unit_drawdown",
			      v->unit_drawdown,
			      "unit_periods",
			      v->unit_n,
			      "unit_volatility_short",
			      v->unit_vol_short,
			      "unit_volatility_long",
			      v->unit_vol_long,
			      "period_loss",
			      v->period_loss,
			      "period_es",
			      v->period_es,
			      "loss_to_es",
			      v->loss_to_es);
	if (o && v->drawdown_sigma_known)
		json_object_set_new(o, "drawdown_sigma", json_real(v->drawdown_sigma));
	return o;
}

static json_t *alert_detail(const struct risk_alert *al)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:f}",
			 "code",
			 risk_alert_code_name(al->code),
			 "level",
			 risk_alert_level_name(al->level),
			 "previous_level",
			 risk_alert_level_name(al->previous),
			 "metric",
			 risk_alert_metric_name(al->code),
			 "value",
			 al->value,
			 "threshold",
			 al->threshold,
			 "limit",
			 al->limit);
}

json_t *risk_report_state(const struct risk_assessment *a, const json_t *strategies)
{
	const struct risk_metrics *m = &a->view.portfolio;
	char ts[32];
	json_util_format_ts_us(a->now_ms * 1000, ts, sizeof(ts));
	json_t *texts = json_array(), *active = json_array(), *comp = json_object();
	for (int c = 0; c < RISK_A_COUNT; c++) {
		if (a->alerts.level[c] == RISK_ALERT_NONE)
			continue;
		char line[96];
		snprintf(line,
			 sizeof(line),
			 "%s %s",
			 risk_alert_level_name(a->alerts.level[c]),
			 risk_alert_code_name(c));
		json_array_append_new(texts, json_string(line));
		json_array_append_new(active,
				      json_pack("{s:s, s:s}",
						"code",
						risk_alert_code_name(c),
						"level",
						risk_alert_level_name(a->alerts.level[c])));
	}
	for (int c = 0; c < RISK_C_COUNT; c++)
		json_object_set_new(
			comp,
			risk_component_name(c),
			json_pack("{s:f, s:f}", "value", a->score.component[c], "weight", risk_component_weight(c)));
	int tails_ok = m->sufficient && m->n_conf;
	json_t *o = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:f, s:s, s:o, s:b, s:b, s:b, s:s, s:f,"
			      " s:o, s:o, s:o, s:o}",
			      "risk_score",
			      a->score.score,
			      "var_estimate",
			      tails_ok ? m->historical[0].var : 0.0,
			      "expected_shortfall",
			      tails_ok ? m->historical[0].es : 0.0,
			      "tail_risk_score",
			      100 * a->score.component[RISK_C_ES],
			      "recommended_max_leverage",
			      a->ceilings.max_leverage,
			      "recommended_max_risk_per_trade",
			      a->ceilings.max_risk_per_trade,
			      "recommended_max_positions",
			      a->ceilings.max_positions,
			      "recommended_max_exposure",
			      a->ceilings.max_exposure,
			      "risk_level",
			      a->score.level,
			      "risk_alerts",
			      texts,
			      "should_reduce_exposure",
			      risk_report_should_reduce(a),
			      "should_tighten_stops",
			      a->score.score >= 25,
			      "should_pause_trading",
			      risk_report_should_pause(a),
			      "assessment_timestamp",
			      ts,
			      "confidence",
			      fmin(1.0, (double)m->n_obs / 100.0),
			      "metrics",
			      metrics(a),
			      "conventions",
			      conventions(a),
			      "score_components",
			      comp,
			      "active_alerts",
			      active);
	if (o && tails_ok)
		json_object_set_new(o, "var_confidence", json_real(m->conf[0]));
	if (o && strategies)
		json_object_set(o, "strategies", (json_t *)strategies);
	return o;
}

json_t *risk_report_alert(const struct risk_assessment *a, const struct risk_alert *changes, int n)
{
	char ts[32];
	json_util_format_ts_us(a->now_ms * 1000, ts, sizeof(ts));
	enum risk_alert_level top = RISK_ALERT_NONE;
	json_t *texts = json_array(), *details = json_array();
	for (int i = 0; i < n; i++) {
		char line[160];
		risk_report_alert_text(&changes[i], line, sizeof(line));
		json_array_append_new(texts, json_string(line));
		json_array_append_new(details, alert_detail(&changes[i]));
		if (changes[i].level > top)
			top = changes[i].level;
	}
	if (top == RISK_ALERT_NONE)
		top = RISK_ALERT_INFO;
	/* `level` in the original's risk-level words (low .. critical): the
	 * score's level, raised to what the worst alert means (a CRITICAL alert
	 * is critical, a WARNING high); our severity in alert_level */
	static const char *const words[] = {"low", "moderate", "high", "critical"};
	int lv = 0;
	for (int i = 0; i < 4; i++)
		if (strcmp(a->score.level, words[i]) == 0)
			lv = i;
	int by_alert = top == RISK_ALERT_CRITICAL ? 3 : top == RISK_ALERT_WARNING ? 2 : 1;
	return json_pack("{s:s, s:s, s:o, s:o, s:f, s:b, s:b, s:s}",
			 "level",
			 words[lv > by_alert ? lv : by_alert],
			 "alert_level",
			 risk_alert_level_name(top),
			 "alerts",
			 texts,
			 "alert_details",
			 details,
			 "risk_score",
			 a->score.score,
			 "should_reduce_exposure",
			 risk_report_should_reduce(a),
			 "should_pause_trading",
			 risk_report_should_pause(a),
			 "timestamp",
			 ts);
}

json_t *risk_report_ceiling(const struct risk_assessment *a, const char *reason)
{
	char ts[32];
	json_util_format_ts_us(a->now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:f, s:f, s:i, s:f, s:s, s:f, s:s, s:s}",
			 "max_leverage",
			 a->ceilings.max_leverage,
			 "max_risk_per_trade",
			 a->ceilings.max_risk_per_trade,
			 "max_positions",
			 a->ceilings.max_positions,
			 "max_exposure",
			 a->ceilings.max_exposure,
			 "reason",
			 reason,
			 "risk_score",
			 a->score.score,
			 "max_exposure_unit",
			 "gross exposure / equity",
			 "timestamp",
			 ts);
}
