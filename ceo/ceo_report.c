/*
 * ceo_report.c - the CEO's payloads and its PolicyStore document (see
 * ceo_report.h for the mode mapping).
 */
#include "ceo_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"

const char *ceo_risk_mode_of(enum ceo_mode m)
{
	return m == CEO_GROWTH ? "AGGRESSIVE_SMALL_ACCOUNT" : m == CEO_EXPANSION ? "NORMAL" : "DEFENSIVE";
}

enum ceo_mode ceo_report_start_mode(const json_t *doc)
{
	enum ceo_mode m = CEO_DEFENSIVE;
	if (ceo_mode_parse(json_util_get_str(doc, "operating_mode"), &m) == 0)
		return m;
	const char *risk = json_util_get_str(doc, "active_mode");
	m = risk && !strcmp(risk, "AGGRESSIVE_SMALL_ACCOUNT") ? CEO_GROWTH
	    : risk && !strcmp(risk, "NORMAL")                 ? CEO_EXPANSION
							      : CEO_DEFENSIVE;
	struct ceo_stop st;
	ceo_report_stop_of(doc, &st);
	return st.ours ? CEO_BLACK_SWAN : m;
}

void ceo_report_stop_of(const json_t *doc, struct ceo_stop *out)
{
	memset(out, 0, sizeof(*out));
	out->held = json_is_true(json_object_get(doc, "emergency_mode")) ||
		    json_is_false(json_object_get(doc, "allow_new_trades"));
	if (!out->held)
		return;
	const char *reason = json_util_get_str(doc, "emergency_reason"),
		   *at = json_util_get_str(doc, "emergency_activated_at");
	const char *by = json_util_get_str(doc, "emergency_set_by"), *writer = json_util_get_str(doc, "updated_by");
	const char *mode = json_util_get_str(doc, "operating_mode");
	snprintf(out->reason, sizeof(out->reason), "%s", reason ? reason : "");
	snprintf(out->activated_at, sizeof(out->activated_at), "%s", at ? at : "");
	int by_ceo = !json_object_get(doc, "emergency_set_by") || (by && !strcmp(by, "ceo"));
	out->ours = by_ceo && (!strncmp(out->reason, CEO_STOP_REASON_PREFIX, strlen(CEO_STOP_REASON_PREFIX)) ||
			       (mode && !strcmp(mode, "BLACK_SWAN")));
	const char *who = out->ours ? "ceo" : !by_ceo && by && *by ? by : writer && *writer ? writer : "external";
	snprintf(out->set_by, sizeof(out->set_by), "%s", who);
}

int ceo_report_external_stop(const json_t *doc)
{
	struct ceo_stop st;
	ceo_report_stop_of(doc, &st);
	return st.held && !st.ours;
}

/* {held, set_by, reason, activated_at} (null where none). New reference. */
static json_t *ceo_report_stop(const struct ceo_stop *s)
{
	return json_pack("{s:b, s:o, s:o, s:o}",
			 "held",
			 s->held,
			 "set_by",
			 s->held ? json_string(s->set_by) : json_null(),
			 "reason",
			 s->reason[0] ? json_string(s->reason) : json_null(),
			 "activated_at",
			 s->activated_at[0] ? json_string(s->activated_at) : json_null());
}

json_t *ceo_report_limits(const struct ceo_limits *l)
{
	return json_pack("{s:f, s:f, s:f, s:i, s:f, s:f, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
			 "max_leverage",
			 l->max_leverage,
			 "max_risk_pct_per_trade",
			 l->max_risk_pct_per_trade,
			 "max_daily_drawdown",
			 l->max_daily_drawdown,
			 "max_positions",
			 l->max_positions,
			 "global_min_confidence",
			 l->global_min_confidence,
			 "scaling_factor",
			 l->scaling_factor,
			 "enable_rl",
			 l->enable_rl,
			 "enable_meta_strategy",
			 l->enable_meta_strategy,
			 "enable_pal",
			 l->enable_pal,
			 "enable_pba",
			 l->enable_pba,
			 "enable_clm",
			 l->enable_clm,
			 "enable_retraining",
			 l->enable_retraining,
			 "enable_dynamic_tpsl",
			 l->enable_dynamic_tpsl);
}

/* Limits within the schema's ranges (see ceo_report.h). */
static void schema_limits(const struct ceo_limits *in, struct ceo_limits *out)
{
	*out = *in;
	out->max_leverage = fmin(fmax(out->max_leverage, 0.01), 125);
	out->max_risk_pct_per_trade = fmin(fmax(out->max_risk_pct_per_trade, 1e-6), 1);
	out->max_daily_drawdown = fmin(fmax(out->max_daily_drawdown, 1e-6), 1);
	out->max_positions = out->max_positions < 1 ? 1 : out->max_positions > 100 ? 100 : out->max_positions;
	out->global_min_confidence = fmin(fmax(out->global_min_confidence, 0), 1);
	out->scaling_factor = fmin(fmax(out->scaling_factor, 0.01), 2);
}

/* The emergency fields for mode m over st, the stop cur holds (see
 * ceo_report.h). */
static void put_stop(json_t *doc, const struct ceo_stop *st, int external, enum ceo_mode m, const char *reason,
		     int64_t now_ms)
{
	if (external) {
		json_object_set_new(doc, "emergency_set_by", json_string(st->set_by));
		return;
	}
	int swan = m == CEO_BLACK_SWAN;
	json_object_set_new(doc, "emergency_mode", json_boolean(swan));
	json_object_set_new(doc, "allow_new_trades", json_boolean(!swan));
	if (!swan) {
		json_object_set_new(doc, "emergency_reason", json_null());
		json_object_set_new(doc, "emergency_activated_at", json_null());
		json_object_del(doc, "emergency_set_by");
		return;
	}
	json_object_set_new(doc, "emergency_set_by", json_string("ceo"));
	if (st->ours)
		return; /* the CEO's stop as it was set */
	char ts[40], why[300];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	snprintf(why, sizeof(why), "%s%s", CEO_STOP_REASON_PREFIX, reason);
	json_object_set_new(doc, "emergency_reason", json_string(why));
	json_object_set_new(doc, "emergency_activated_at", json_string(ts));
}

json_t *ceo_report_policy_doc(const json_t *cur, enum ceo_mode m, const struct ceo_limits *l, const char *reason,
			      int clear_external, int64_t now_ms, int *changed)
{
	struct ceo_stop st;
	ceo_report_stop_of(cur, &st);
	int external = st.held && !st.ours && !clear_external;
	json_t *doc = json_deep_copy(cur);
	if (!doc)
		return NULL;
	const char *active = ceo_risk_mode_of(external ? CEO_BLACK_SWAN : m);
	json_t *modes = json_object_get(doc, "modes");
	json_t *mode = json_object_get(modes, active);
	if (!json_is_object(mode)) {
		mode = json_object();
		json_object_set_new(modes, active, mode);
	}
	struct ceo_limits s;
	schema_limits(l, &s);
	json_t *lim = ceo_report_limits(&s);
	if (!mode || !lim || json_object_update(mode, lim) != 0) {
		json_decref(lim);
		json_decref(doc);
		return NULL;
	}
	json_decref(lim);
	json_object_set_new(doc, "active_mode", json_string(active));
	json_object_set_new(doc, "operating_mode", json_string(ceo_mode_name(m)));
	put_stop(doc, &st, external, m, reason, now_ms);
	*changed = !json_equal(doc, (json_t *)cur);
	return doc;
}

/* The decision's inputs as the original's contributing_factors: a list
 * of strings, one per known input. New reference. */
static json_t *factor_lines(const struct ceo_state *s)
{
	json_t *a = json_array();
	char line[160];
	if (s->risk_known) {
		snprintf(line, sizeof(line), "risk score %.1f (0-100, higher = worse)", s->risk_score);
		json_array_append_new(a, json_string(line));
	}
	snprintf(line,
		 sizeof(line),
		 "drawdown %.2f%% today, %.2f%% from the peak",
		 100 * s->daily_drawdown,
		 100 * s->peak_drawdown);
	json_array_append_new(a, json_string(line));
	if (s->win_rate_known) {
		snprintf(line, sizeof(line), "win rate %.3f (lower bound %.3f)", s->win_rate, s->win_rate_lower);
		json_array_append_new(a, json_string(line));
	}
	snprintf(line, sizeof(line), "health %s", ceo_health_name(s->health));
	json_array_append_new(a, json_string(line));
	if (s->regime) {
		snprintf(line, sizeof(line), "regime %.60s (confidence %.2f)", s->regime, s->regime_confidence);
		json_array_append_new(a, json_string(line));
	}
	return a;
}

json_t *ceo_report_decision(const struct ceo_decision *d, const char *trigger, int update_policy,
			    const struct ceo_stop *stop, int64_t now_ms)
{
	char ts[40];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	const struct ceo_state *s = &d->state;
	json_t *factors = json_pack("{s:o, s:f, s:f, s:f, s:f, s:o, s:o, s:i, s:i, s:s, s:o, s:f, s:i}",
				    "risk_score",
				    s->risk_known ? json_real(s->risk_score) : json_null(),
				    "daily_drawdown",
				    s->daily_drawdown,
				    "peak_drawdown",
				    s->peak_drawdown,
				    "var_to_ceiling",
				    s->var_ratio,
				    "es_to_ceiling",
				    s->es_ratio,
				    "win_rate",
				    s->win_rate_known ? json_real(s->win_rate) : json_null(),
				    "win_rate_lower",
				    s->win_rate_known ? json_real(s->win_rate_lower) : json_null(),
				    "strategies_eligible",
				    s->strategies_eligible,
				    "strategies_disabled",
				    s->strategies_disabled,
				    "health",
				    ceo_health_name(s->health),
				    "regime",
				    s->regime ? json_string(s->regime) : json_null(),
				    "regime_confidence",
				    s->regime_confidence,
				    "open_positions",
				    s->open_positions);
	json_t *updates = update_policy ? json_pack("{s:s, s:s, s:o}",
						    "active_mode",
						    ceo_risk_mode_of(d->mode),
						    "operating_mode",
						    ceo_mode_name(d->mode),
						    "limits",
						    ceo_report_limits(&d->limits))
					: json_object();
	/* the original's vocabulary: info / warning / critical, message null when none */
	const char *alert_level = d->mode == CEO_BLACK_SWAN ? "critical" : d->stale[0] ? "warning" : "info";
	char alert[300] = "";
	if (d->mode == CEO_BLACK_SWAN)
		snprintf(alert, sizeof(alert), "BLACK_SWAN: %s", d->reason);
	else if (d->stale[0])
		snprintf(alert, sizeof(alert), "stale inputs: %s", d->stale);
	json_t *p = json_pack(
		"{s:s, s:b, s:s, s:o, s:o, s:b, s:o, s:s, s:o, s:s, s:f, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:s}",
		"operating_mode",
		ceo_mode_name(d->mode),
		"mode_changed",
		d->changed,
		"primary_reason",
		d->reason,
		"contributing_factors",
		factor_lines(s),
		"factors",
		factors,
		"update_policy_store",
		update_policy,
		"policy_updates",
		updates,
		"alert_level",
		alert_level,
		"alert_message",
		alert[0] ? json_string(alert) : json_null(),
		"decision_timestamp",
		ts,
		"decision_confidence",
		d->confidence,
		"previous_mode",
		ceo_mode_name(d->previous),
		"recommended_mode",
		ceo_mode_name(d->recommended),
		"rule",
		d->rule,
		"hold",
		d->hold ? json_string(d->hold) : json_null(),
		"hold_detail",
		d->hold ? json_string(d->hold_detail) : json_null(),
		"stale_inputs",
		d->stale,
		"effective_limits",
		ceo_report_limits(&d->limits),
		"trigger",
		trigger);
	if (p && stop)
		json_object_set_new(p, "emergency_stop", ceo_report_stop(stop));
	return p;
}

json_t *ceo_report_mode_switch(enum ceo_mode old_mode, enum ceo_mode new_mode, const char *rule, const char *reason,
			       const char *operator_id, const char *request_id, uint64_t fence, int64_t now_ms)
{
	char ts[40];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:s}",
			 "old_mode",
			 ceo_mode_name(old_mode),
			 "new_mode",
			 ceo_mode_name(new_mode),
			 "reason",
			 reason,
			 "rule",
			 rule,
			 "active_mode",
			 ceo_risk_mode_of(new_mode),
			 "operator",
			 operator_id ? json_string(operator_id) : json_null(),
			 "request_id",
			 request_id ? json_string(request_id) : json_null(),
			 "fencing_token",
			 (json_int_t)fence,
			 "timestamp",
			 ts);
}

json_t *ceo_report_alert(const char *level, const char *message, enum ceo_mode mode, int64_t now_ms)
{
	char ts[40];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:s, s:s}",
			 "level",
			 level,
			 "message",
			 message,
			 "mode",
			 ceo_mode_name(mode),
			 "timestamp",
			 ts);
}
