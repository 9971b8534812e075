/*
 * strategy_report.c - the Strategy Officer's payloads (see
 * strategy_report.h). Every strategy and model appears with its evidence
 * and, when disabled, the rule, the value and the threshold.
 */
#include "strategy_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

static json_t *disabled_names(const struct strat_report_ctx *c);

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* JSON array of the n names, sorted bytewise; names is reordered. */
static json_t *sorted_names(const char **names, size_t n)
{
	qsort(names, n, sizeof(*names), cmp_name);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *name_or_null(const struct strat_rank_entry *e)
{
	return e ? json_string(e->unit->name) : json_null();
}

static json_t *disable_info(const struct strat_unit *u)
{
	char ts[40];
	json_util_format_ts_us(u->changed_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:s, s:{s:f, s:f}, s:s}",
			 "reason",
			 u->reason,
			 "evidence",
			 "value",
			 u->evidence,
			 "threshold",
			 u->threshold,
			 "since",
			 ts);
}

static json_t *strategy_json(const struct strat_rank_entry *e, size_t rank)
{
	const struct strat_perf *p = &e->perf;
	json_t *comp = json_object();
	for (int i = 0; comp && i < STRAT_N_COMPONENTS; i++)
		json_object_set_new(comp, strat_component_names[i], json_real(e->components[i]));
	json_t *o = json_pack("{s:s, s:I, s:s, s:f, s:o, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f,"
			      " s:f, s:f, s:I, s:I, s:f}",
			      "strategy",
			      e->unit->name,
			      "rank",
			      (json_int_t)rank,
			      "status",
			      strat_status_name(e->status),
			      "score",
			      e->score,
			      "score_components",
			      comp,
			      "trades",
			      (json_int_t)p->trades,
			      "wins",
			      (json_int_t)p->wins,
			      "win_rate",
			      p->win_rate,
			      "wilson_lower",
			      p->wilson_lower,
			      "wilson_upper",
			      p->wilson_upper,
			      "profit_factor",
			      p->profit_factor,
			      "expectancy",
			      p->expectancy,
			      "avg_win",
			      p->avg_win,
			      "avg_loss",
			      p->avg_loss,
			      "sharpe",
			      p->sharpe,
			      "sortino",
			      p->sortino,
			      "max_drawdown",
			      p->max_drawdown,
			      "psr",
			      p->psr,
			      "consecutive_losses",
			      (json_int_t)p->consecutive_losses,
			      "max_consecutive_losses",
			      (json_int_t)p->max_consecutive_losses,
			      "seconds_since_last_trade",
			      (double)e->since_last_ms / 1000);
	if (o && e->status == STRAT_DISABLED)
		json_object_set_new(o, "disabled", disable_info(e->unit));
	return o;
}

static json_t *model_json(const struct strat_model_eval *m)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:f, s:f, s:b}",
			      "model",
			      m->unit->name,
			      "status",
			      strat_status_name(m->status),
			      "predictions",
			      (json_int_t)m->n,
			      "correct",
			      (json_int_t)m->correct,
			      "accuracy",
			      m->accuracy,
			      "wilson_lower",
			      m->wilson_lower,
			      "wilson_upper",
			      m->wilson_upper,
			      "precision_long",
			      m->precision_long,
			      "recall_long",
			      m->recall_long,
			      "precision_short",
			      m->precision_short,
			      "recall_short",
			      m->recall_short,
			      "brier",
			      m->with_prob ? json_real(m->brier) : json_null(),
			      "recent_accuracy",
			      m->recent_accuracy,
			      "drift",
			      m->drift,
			      "degraded",
			      m->unit->degraded);
	if (o && m->status == STRAT_DISABLED)
		json_object_set_new(o, "disabled", disable_info(m->unit));
	return o;
}

static json_t *conventions(const struct strat_report_ctx *c)
{
	char weights[160];
	int at = 0;
	for (int i = 0; i < STRAT_N_COMPONENTS; i++)
		at += snprintf(weights + at,
			       sizeof(weights) - (size_t)at,
			       "%s%s %.2f",
			       i ? ", " : "",
			       strat_component_names[i],
			       strat_component_weights[i]);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:I}",
			 "returns",
			 "per-trade return as a fraction of the stake (pnl_percent / 100)",
			 "win_rate",
			 "wins / trades with the two-sided Wilson interval at `confidence`",
			 "sharpe",
			 "mean / sample sd of per-trade returns, not annualised, Rf 0; "
			 "sortino: mean / sqrt(sum(min(r,0)^2)/n), MAR 0",
			 "psr",
			 "Probabilistic Sharpe Ratio against SR* = 0 (Bailey and Lopez de Prado 2012)",
			 "max_drawdown",
			 "of cumprod(1 + r) starting at 1, positive fraction",
			 "score",
			 "0-100, higher = better, 100 * sum(weight * component)",
			 "score_weights",
			 weights,
			 "confidence",
			 c->th->confidence,
			 "min_trades",
			 (json_int_t)c->th->min_trades,
			 "window_count",
			 (json_int_t)c->window_count,
			 "window_age_s",
			 (json_int_t)(c->window_age_ms / 1000));
}

static json_t *disabled_list(const struct strat_report_ctx *c)
{
	json_t *a = json_array();
	const struct strat_result *r = c->res;
	for (size_t i = 0; a && i < r->n; i++) {
		const struct strat_rank_entry *e = &r->rank[i];
		if (e->status != STRAT_DISABLED)
			continue;
		json_t *d = disable_info(e->unit);
		json_object_set_new(d, "strategy", json_string(e->unit->name));
		json_array_append_new(a, d);
	}
	return a;
}

json_t *strat_report_ranking(const struct strat_report_ctx *c)
{
	const struct strat_result *r = c->res;
	size_t n = c->top && c->top < r->n ? c->top : r->n;
	json_t *rank = json_array(), *models = json_array();
	for (size_t i = 0; rank && i < n; i++)
		json_array_append_new(rank, strategy_json(&r->rank[i], i + 1));
	for (size_t i = 0; models && i < r->n_models; i++)
		json_array_append_new(models, model_json(&r->models[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}",
			 "ranking",
			 rank,
			 "primary",
			 name_or_null(r->primary),
			 "fallback",
			 name_or_null(r->fallback),
			 "fallback_correlation",
			 r->fallback && r->fallback_corr_known ? json_real(r->fallback_corr) : json_null(),
			 "disabled",
			 disabled_list(c),
			 "models",
			 models,
			 "conventions",
			 conventions(c),
			 "strategies_tracked",
			 (json_int_t)r->n,
			 "strategies_eligible",
			 (json_int_t)r->n_eligible,
			 "strategies_disabled",
			 (json_int_t)r->n_disabled);
}

/* Trades-weighted overall win rate and Sharpe of the ranked strategies. */
static void overall(const struct strat_result *r, double *win_rate, double *sharpe)
{
	long trades = 0, wins = 0;
	double s = 0;
	for (size_t i = 0; i < r->n; i++) {
		trades += r->rank[i].perf.trades;
		wins += r->rank[i].perf.wins;
		s += r->rank[i].perf.sharpe * (double)r->rank[i].perf.trades;
	}
	*win_rate = trades ? (double)wins / (double)trades : 0;
	*sharpe = trades ? s / (double)trades : 0;
}

/* Lowest-ranked strategy with enough trades to be judged, or NULL. */
static const struct strat_rank_entry *worst(const struct strat_result *r, long min_trades)
{
	const struct strat_rank_entry *w = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->rank[i].perf.trades >= min_trades && (!w || r->rank[i].score < w->score))
			w = &r->rank[i];
	return w;
}

static const char *meta_mode(const struct strat_result *r)
{
	return !r->primary ? "insufficient_data" : r->fallback ? "primary_with_fallback" : "single";
}

json_t *strat_report_state(const struct strat_report_ctx *c)
{
	const struct strat_result *r = c->res;
	double wr, sh;
	overall(r, &wr, &sh);
	char ts[40];
	json_util_format_ts_us(c->now_ms * 1000, ts, sizeof(ts));
	const struct strat_rank_entry *w = worst(r, c->th->min_trades);
	json_t *o = strat_report_ranking(c);
	if (!o)
		return NULL;
	json_object_update_new(o,
			       json_pack("{s:f, s:f, s:o, s:s, s:o, s:o, s:f, s:s, s:s, s:s}",
					 "win_rate",
					 wr,
					 "sharpe_ratio",
					 sh,
					 "primary_strategy",
					 name_or_null(r->primary),
					 "meta_strategy_mode",
					 meta_mode(r),
					 "best_performing",
					 name_or_null(r->primary),
					 "worst_performing",
					 name_or_null(w),
					 "confidence",
					 r->primary ? r->primary->perf.psr : 0.0,
					 "operating_mode",
					 c->mode,
					 "regime",
					 c->regime,
					 "timestamp",
					 ts));
	const struct strat_perf *bk = &r->book;
	json_object_set_new(o,
			    "book",
			    json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:s}",
				      "trades",
				      (json_int_t)bk->trades,
				      "psr",
				      bk->psr,
				      "expectancy",
				      bk->expectancy,
				      "profit_factor",
				      bk->profit_factor,
				      "sharpe",
				      bk->sharpe,
				      "win_rate",
				      bk->win_rate,
				      "of",
				      "the trades of every strategy not disabled, pooled"));
	return o;
}

static json_t *recommended_models(const struct strat_result *r, json_t **weights)
{
	json_t *names = json_array();
	double total = 0;
	*weights = json_object();
	for (size_t i = 0; i < r->n_models; i++)
		if (r->models[i].status == STRAT_ACTIVE)
			total += r->models[i].wilson_lower;
	for (size_t i = 0; names && *weights && i < r->n_models; i++) {
		const struct strat_model_eval *m = &r->models[i];
		if (m->status != STRAT_ACTIVE)
			continue;
		json_array_append_new(names, json_string(m->unit->name));
		json_object_set_new(*weights, m->unit->name, json_real(total > 0 ? m->wilson_lower / total : 0));
	}
	return names;
}

json_t *strat_report_key(const struct strat_report_ctx *c)
{
	const struct strat_result *r = c->res;
	const char **active = malloc(sizeof(char *) * (r->n_models + 1));
	if (!active)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->n_models; i++)
		if (r->models[i].status == STRAT_ACTIVE)
			active[n++] = r->models[i].unit->name;
	json_t *models = sorted_names(active, n);
	free(active);
	json_t *names = disabled_names(c);
	return json_pack("{s:o, s:o, s:o, s:o}",
			 "primary",
			 name_or_null(c->res->primary),
			 "fallback",
			 name_or_null(c->res->fallback),
			 "disabled",
			 names,
			 "recommended_models",
			 models);
}

json_t *strat_report_recommendation(const struct strat_report_ctx *c)
{
	const struct strat_result *r = c->res;
	double wr, sh;
	overall(r, &wr, &sh);
	char ts[40], reason[200];
	json_util_format_ts_us(c->now_ms * 1000, ts, sizeof(ts));
	if (r->primary)
		snprintf(reason,
			 sizeof(reason),
			 "highest composite score %.1f of %zu eligible (PSR %.3f, %ld trades)",
			 r->primary->score,
			 r->n_eligible,
			 r->primary->perf.psr,
			 r->primary->perf.trades);
	else
		snprintf(reason, sizeof(reason), "no strategy has %ld trades and is enabled", c->th->min_trades);
	json_t *fallbacks = json_array(), *reasons = json_object(), *alerts = json_array(), *weights;
	if (r->fallback)
		json_array_append_new(fallbacks, json_string(r->fallback->unit->name));
	for (size_t i = 0; reasons && i < r->n; i++)
		if (r->rank[i].status == STRAT_DISABLED)
			json_object_set_new(reasons, r->rank[i].unit->name, disable_info(r->rank[i].unit));
	for (size_t i = 0; alerts && i < r->n_changes; i++) {
		char line[160];
		snprintf(line,
			 sizeof(line),
			 "%s %s: %s",
			 r->changes[i].model ? "model" : "strategy",
			 r->changes[i].unit->name,
			 r->changes[i].reason);
		json_array_append_new(alerts, json_string(line));
	}
	json_t *models = recommended_models(r, &weights);
	json_t *names = disabled_names(c);
	json_t *disabled = json_incref(json_object_get(names, "strategies"));
	json_decref(names);
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:f, s:f, s:f, s:o, s:o, s:o, s:s,"
			 " s:f, s:s}",
			 "primary_strategy",
			 name_or_null(r->primary),
			 "primary_reason",
			 reason,
			 "fallback_strategies",
			 fallbacks,
			 "fallback_correlation",
			 r->fallback && r->fallback_corr_known ? json_real(r->fallback_corr) : json_null(),
			 "disabled_strategies",
			 disabled,
			 "disable_reasons",
			 reasons,
			 "recommended_models",
			 models,
			 "model_weights",
			 weights,
			 "meta_strategy_mode",
			 meta_mode(r),
			 "meta_strategy_confidence",
			 r->primary ? r->primary->perf.psr : 0.0,
			 "overall_win_rate",
			 wr,
			 "overall_sharpe",
			 sh,
			 "best_performing_strategy",
			 name_or_null(r->primary),
			 "worst_performing_strategy",
			 name_or_null(worst(r, c->th->min_trades)),
			 "alerts",
			 alerts,
			 "recommendation_timestamp",
			 ts,
			 "confidence",
			 r->primary ? r->primary->perf.psr : 0.0,
			 "operating_mode",
			 c->mode);
}

static const char *change_code(const struct strat_change *ch)
{
	switch (ch->kind) {
	case STRAT_CH_DISABLED:
		return ch->model ? "MODEL_DISABLED" : "STRATEGY_DISABLED";
	case STRAT_CH_ENABLED:
		return ch->model ? "MODEL_ENABLED" : "STRATEGY_ENABLED";
	case STRAT_CH_DEGRADED:
		return "MODEL_DEGRADED";
	default:
		return "MODEL_RECOVERED";
	}
}

json_t *strat_report_alert(const struct strat_report_ctx *c)
{
	const struct strat_result *r = c->res;
	if (!r->n_changes)
		return NULL;
	json_t *alerts = json_array();
	for (size_t i = 0; alerts && i < r->n_changes; i++) {
		const struct strat_change *ch = &r->changes[i];
		int bad = ch->kind == STRAT_CH_DISABLED || ch->kind == STRAT_CH_DEGRADED;
		char msg[200];
		snprintf(msg,
			 sizeof(msg),
			 "%s %s: %s (value %.4g, threshold %.4g)",
			 ch->model ? "model" : "strategy",
			 ch->unit->name,
			 ch->reason,
			 ch->evidence,
			 ch->threshold);
		json_array_append_new(alerts,
				      json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s}",
						"code",
						change_code(ch),
						"level",
						bad ? "WARNING" : "INFO",
						ch->model ? "model" : "strategy",
						ch->unit->name,
						"reason",
						ch->reason,
						"value",
						ch->evidence,
						"threshold",
						ch->threshold,
						"message",
						msg));
	}
	json_t *names = disabled_names(c);
	json_t *disabled = json_incref(json_object_get(names, "strategies"));
	json_decref(names);
	char ts[40];
	json_util_format_ts_us(c->now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:o, s:o, s:o, s:s}",
			 "alerts",
			 alerts,
			 "primary_strategy",
			 name_or_null(r->primary),
			 "disabled_strategies",
			 disabled,
			 "timestamp",
			 ts);
}

/* The names of the disabled strategies and models, sorted, for the
 * PolicyStore: {"strategies": [...], "models": [...]}. New reference. */
static json_t *disabled_names(const struct strat_report_ctx *c)
{
	const struct strat_result *r = c->res;
	const char **names = malloc(sizeof(char *) * (r->n + r->n_models + 1));
	if (!names)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->rank[i].status == STRAT_DISABLED)
			names[n++] = r->rank[i].unit->name;
	json_t *s = sorted_names(names, n);
	n = 0;
	for (size_t i = 0; i < r->n_models; i++)
		if (r->models[i].status == STRAT_DISABLED)
			names[n++] = r->models[i].unit->name;
	json_t *m = sorted_names(names, n);
	free(names);
	return json_pack("{s:o, s:o}", "strategies", s, "models", m);
}
