/*
 * federation_brain.c - the GlobalState merge (rules in federation_brain.h).
 */
#include "federation_brain.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"

static const char *const SOURCE_NAMES[FED_N_DOCS] = {"ceo", "risk", "strategy", "ceiling", "policy", "mode_switch"};

void fed_config_defaults(struct fed_config *c)
{
	memset(c, 0, sizeof(*c));
	c->fresh_ms[FED_CEO] = 90000;
	c->fresh_ms[FED_RISK] = 90000;
	c->fresh_ms[FED_STRATEGY] = 180000;
}

void fed_state_init(struct fed_state *s)
{
	memset(s, 0, sizeof(*s));
}

void fed_state_release(struct fed_state *s)
{
	for (int i = 0; i < FED_N_DOCS; i++)
		json_decref(s->doc[i]);
	memset(s, 0, sizeof(*s));
}

void fed_state_set(struct fed_state *s, enum fed_source src, json_t *payload, int64_t now_ms)
{
	json_incref(payload);
	json_decref(s->doc[src]);
	s->doc[src] = payload;
	s->at_ms[src] = now_ms;
}

void fed_state_policy_problem(struct fed_state *s, const char *problem)
{
	snprintf(s->policy_problem, sizeof(s->policy_problem), "%s", problem ? problem : "");
}

/* ---- alerts ---- */

/* 0 info, 1 warning, 2 critical; the original's risk-level words too
 * (low and moderate are info, high a warning). */
static int severity(const char *level)
{
	static const char *const order[] = {"info", "warning", "critical", "low", "moderate", "high"};
	static const int rank[] = {0, 1, 2, 0, 0, 1};
	for (int i = 0; i < 6; i++)
		if (strcasecmp(level, order[i]) == 0)
			return rank[i];
	return 0;
}

#define ALERT_KEEP_MS 3600000

static void add_alert(struct fed_state *s, const char *source, const char *code, const char *level, const char *message,
		      int64_t now)
{
	struct fed_alert *slot = NULL;
	for (int i = 0; i < s->n_alerts; i++)
		if (!strcmp(s->alerts[i].source, source) && !strcmp(s->alerts[i].code, code))
			slot = &s->alerts[i];
	if (slot && severity(slot->level) > severity(level) && now - slot->at_ms < ALERT_KEEP_MS)
		return;
	if (!slot) {
		if (s->n_alerts == FED_MAX_ALERTS) {
			/* drop the oldest */
			int oldest = 0;
			for (int i = 1; i < s->n_alerts; i++)
				if (s->alerts[i].at_ms < s->alerts[oldest].at_ms)
					oldest = i;
			s->alerts[oldest] = s->alerts[--s->n_alerts];
		}
		slot = &s->alerts[s->n_alerts++];
	}
	snprintf(slot->source, sizeof(slot->source), "%s", source);
	snprintf(slot->code, sizeof(slot->code), "%s", code);
	snprintf(slot->level, sizeof(slot->level), "%s", level);
	snprintf(slot->message, sizeof(slot->message), "%s", message);
	slot->at_ms = now;
}

int fed_state_alerts(struct fed_state *s, const char *source, const json_t *payload, int64_t now_ms)
{
	int n = 0;
	const char *level = json_util_get_str(payload, "level");
	const json_t *details = json_object_get(payload, "alert_details");
	if (!json_is_array(details))
		details = json_object_get(payload, "alerts");
	size_t i;
	const json_t *a;
	json_array_foreach(details, i, a)
	{
		if (json_is_object(a)) {
			const char *code = json_util_get_str(a, "code");
			const char *lv = json_util_get_str(a, "level");
			const char *msg = json_util_get_str(a, "message");
			char text[200];
			if (!msg) {
				double v = 0, th = 0;
				json_util_get_double(a, "value", &v);
				json_util_get_double(a, "threshold", &th);
				snprintf(text, sizeof(text), "%s %.4g (threshold %.4g)", code ? code : "alert", v, th);
				msg = text;
			}
			add_alert(s, source, code ? code : "ALERT", lv ? lv : level ? level : "info", msg, now_ms);
			n++;
		} else if (json_is_string(a)) {
			/* the original's alerts are plain strings: the text is the code */
			add_alert(
				s, source, json_string_value(a), level ? level : "info", json_string_value(a), now_ms);
			n++;
		}
	}
	if (n == 0 && json_util_get_str(payload, "message")) {
		add_alert(s,
			  source,
			  level ? level : "ALERT",
			  level ? level : "info",
			  json_util_get_str(payload, "message"),
			  now_ms);
		n++;
	}
	return n;
}

/* ---- limits ---- */

static const char *const LOWER[] = {
	"max_leverage", "max_risk_pct_per_trade", "max_daily_drawdown", "max_positions", "scaling_factor"};
static const char *const FLAGS[] = {"enable_rl",
				    "enable_meta_strategy",
				    "enable_pal",
				    "enable_pba",
				    "enable_clm",
				    "enable_retraining",
				    "enable_dynamic_tpsl"};

/* Folds one source's limits object into out (stricter wins). */
static void fold_limits(json_t *out, json_t *who, const json_t *lim, const char *source)
{
	double v;
	for (size_t i = 0; i < sizeof(LOWER) / sizeof(LOWER[0]); i++) {
		if (json_util_get_double(lim, LOWER[i], &v) != 0 || !isfinite(v))
			continue;
		const json_t *cur = json_object_get(out, LOWER[i]);
		if (!cur || v < json_number_value(cur)) {
			json_object_set_new(out,
					    LOWER[i],
					    strcmp(LOWER[i], "max_positions") ? json_real(v)
									      : json_integer((json_int_t)v));
			json_object_set_new(who, LOWER[i], json_string(source));
		}
	}
	if (json_util_get_double(lim, "global_min_confidence", &v) == 0 && isfinite(v)) {
		const json_t *cur = json_object_get(out, "global_min_confidence");
		if (!cur || v > json_number_value(cur)) {
			json_object_set_new(out, "global_min_confidence", json_real(v));
			json_object_set_new(who, "global_min_confidence", json_string(source));
		}
	}
	for (size_t i = 0; i < sizeof(FLAGS) / sizeof(FLAGS[0]); i++) {
		const json_t *f = json_object_get(lim, FLAGS[i]);
		if (!json_is_boolean(f))
			continue;
		const json_t *cur = json_object_get(out, FLAGS[i]);
		if (!cur || (json_is_true(cur) && json_is_false(f))) {
			json_object_set_new(out, FLAGS[i], json_boolean(json_is_true(f)));
			json_object_set_new(who, FLAGS[i], json_string(source));
		}
	}
}

/* The Risk Officer's ceiling under the schema's names. */
static json_t *ceiling_limits(const json_t *c)
{
	json_t *o = json_object();
	double v;
	if (json_util_get_double(c, "max_leverage", &v) == 0)
		json_object_set_new(o, "max_leverage", json_real(v));
	if (json_util_get_double(c, "max_risk_per_trade", &v) == 0)
		json_object_set_new(o, "max_risk_pct_per_trade", json_real(v));
	if (json_util_get_double(c, "max_positions", &v) == 0)
		json_object_set_new(o, "max_positions", json_real(v));
	return o;
}

/* ---- the state ---- */

static json_t *disabled_features(const char *mode, const char *risk_level, int stop)
{
	json_t *a = json_array();
	int swan = mode && !strcmp(mode, "BLACK_SWAN"), cp = mode && !strcmp(mode, "CAPITAL_PRESERVATION");
	int critical = risk_level && !strcmp(risk_level, "critical"), high = risk_level && !strcmp(risk_level, "high");
	if (swan || critical || stop)
		json_array_append_new(a, json_string("new_positions"));
	if (swan || cp)
		json_array_append_new(a, json_string("rl_position_sizing"));
	if (swan || cp)
		json_array_append_new(a, json_string("meta_strategy"));
	if (swan)
		json_array_append_new(a, json_string("retraining"));
	if (critical || high)
		json_array_append_new(a, json_string("leverage_increase"));
	return a;
}

static void add_name(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!strcmp(json_string_value(v), name))
			return;
	}
	json_array_append_new(arr, json_string(name));
}

const char *fed_policy_mode(const json_t *pol)
{
	static const char *const RISK[][2] = {
		{"AGGRESSIVE_SMALL_ACCOUNT", "GROWTH"}, {"NORMAL", "EXPANSION"}, {"DEFENSIVE", "DEFENSIVE"}};
	const char *m = json_util_get_str(pol, "operating_mode"), *risk = json_util_get_str(pol, "active_mode");
	for (size_t i = 0; !m && risk && i < sizeof(RISK) / sizeof(RISK[0]); i++)
		if (!strcmp(risk, RISK[i][0]))
			m = RISK[i][1];
	return m;
}

/* The policy's emergency stop (see federation_brain.h). */
static json_t *emergency_stop(const json_t *pol, int *held)
{
	const char *by = json_util_get_str(pol, "emergency_set_by"), *writer = json_util_get_str(pol, "updated_by");
	const char *reason = json_util_get_str(pol, "emergency_reason"),
		   *at = json_util_get_str(pol, "emergency_activated_at");
	*held = json_is_true(json_object_get(pol, "emergency_mode")) ||
		json_is_false(json_object_get(pol, "allow_new_trades"));
	const char *who = !*held ? NULL : by ? by : writer ? writer : "external";
	return json_pack("{s:b, s:o, s:o, s:o}",
			 "held",
			 *held,
			 "set_by",
			 who ? json_string(who) : json_null(),
			 "reason",
			 *held && reason ? json_string(reason) : json_null(),
			 "activated_at",
			 *held && at ? json_string(at) : json_null());
}

json_t *fed_global_state(const struct fed_state *s, const struct fed_config *c, int64_t now_ms)
{
	const json_t *ceo = s->doc[FED_CEO], *risk = s->doc[FED_RISK], *strat = s->doc[FED_STRATEGY];
	const json_t *ceil = s->doc[FED_CEILING], *pol = s->doc[FED_POLICY];
	json_t *out = json_object(), *sources = json_object(), *reasons = json_array();
	int reported = 0, fresh_agents = 0;
	for (int i = 0; i < FED_N_SOURCES; i++) {
		int have = s->doc[i] != NULL;
		double age = have ? (double)(now_ms - s->at_ms[i]) / 1000 : -1;
		int fresh = have && (!c->fresh_ms[i] || now_ms - s->at_ms[i] <= c->fresh_ms[i]);
		reported += have;
		if (i <= FED_STRATEGY && fresh)
			fresh_agents++;
		if (have && !fresh) {
			char r[96];
			snprintf(r,
				 sizeof(r),
				 "%s state is %.0f s old (limit %lld s)",
				 SOURCE_NAMES[i],
				 age,
				 (long long)(c->fresh_ms[i] / 1000));
			json_array_append_new(reasons, json_string(r));
		}
		json_object_set_new(sources,
				    SOURCE_NAMES[i],
				    json_pack("{s:b, s:o, s:b}",
					      "received",
					      have,
					      "age_s",
					      have ? json_real(age) : json_null(),
					      "fresh",
					      fresh));
	}
	for (int i = 0; i <= FED_STRATEGY; i++)
		if (!s->doc[i]) {
			char r[64];
			snprintf(r, sizeof(r), "no %s state received yet", SOURCE_NAMES[i]);
			json_array_append_new(reasons, json_string(r));
		}
	if (s->policy_problem[0]) {
		char r[300];
		snprintf(r, sizeof(r), "policy: %s", s->policy_problem);
		json_array_append_new(reasons, json_string(r));
	}
	/* the mode is the policy's; an event only explains it when it agrees */
	const char *mode = fed_policy_mode(pol), *decided = NULL, *mode_reason = NULL;
	const json_t *sw = s->doc[FED_SWITCH];
	const char *ceo_mode = json_util_get_str(ceo, "operating_mode"), *sw_mode = json_util_get_str(sw, "new_mode");
	int by_ceo = mode && ceo_mode && !strcmp(mode, ceo_mode), by_sw = mode && sw_mode && !strcmp(mode, sw_mode);
	double conf = 0;
	if (by_sw && (!by_ceo || s->at_ms[FED_SWITCH] > s->at_ms[FED_CEO])) {
		decided = "mode_switch";
		mode_reason = json_util_get_str(sw, "reason");
		conf = 1;
	} else if (by_ceo) {
		decided = "ceo";
		mode_reason = json_util_get_str(ceo, "primary_reason");
		json_util_get_double(ceo, "decision_confidence", &conf);
	}
	const char *mode_src = mode ? "policy" : "none";
	if (!mode)
		mode = "UNKNOWN";
	int stop_held = 0;
	json_t *stop = emergency_stop(pol, &stop_held);
	/* effective limits: policy's active mode, the CEO's, the ceiling */
	json_t *limits = json_object(), *who = json_object();
	const json_t *pmodes = json_object_get(pol, "modes");
	fold_limits(limits, who, json_object_get(pmodes, json_util_get_str(pol, "active_mode")), "policy");
	fold_limits(limits, who, json_object_get(ceo, "effective_limits"), "ceo");
	if (ceil) {
		json_t *cl = ceiling_limits(ceil);
		fold_limits(limits, who, cl, "risk_ceiling");
		json_decref(cl);
	}
	const char *risk_level = json_util_get_str(risk, "risk_level");
	json_t *active = json_array(), *disabled = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(strat, "ranking"), i, v)
	{
		const char *name = json_util_get_str(v, "strategy"), *st = json_util_get_str(v, "status");
		if (name && st && !strcmp(st, "active"))
			add_name(active, name);
	}
	json_array_foreach(json_object_get(strat, "disabled"), i, v)
	{
		const char *name = json_util_get_str(v, "strategy");
		if (name)
			add_name(disabled, name);
	}
	json_array_foreach(json_object_get(pol, "disabled_strategies"), i, v)
	{
		if (json_is_string(v))
			add_name(disabled, json_string_value(v));
	}
	json_t *alerts = json_array();
	for (int k = 0; k < s->n_alerts; k++) {
		const struct fed_alert *a = &s->alerts[k];
		char ts[40];
		json_util_format_ts_us(a->at_ms * 1000, ts, sizeof(ts));
		json_array_append_new(alerts,
				      json_pack("{s:s, s:s, s:s, s:s, s:s}",
						"source",
						a->source,
						"code",
						a->code,
						"level",
						a->level,
						"message",
						a->message,
						"timestamp",
						ts));
	}
	char ts[40];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	double risk_score = 0, strat_conf = 0;
	json_util_get_double(risk, "risk_score", &risk_score);
	json_util_get_double(strat, "confidence", &strat_conf);
	int complete = ceo && risk && strat;
	json_t *rec_models = json_array();
	json_array_foreach(json_object_get(strat, "models"), i, v)
	{
		const char *name = json_util_get_str(v, "model"), *st = json_util_get_str(v, "status");
		if (name && st && !strcmp(st, "active"))
			json_array_append_new(rec_models, json_string(name));
	}
	json_object_update_new(out,
			       json_pack("{s:s, s:f, s:s, s:o, s:o, s:f, s:s, s:b, s:b, s:o, s:o, s:s, s:o, s:f, s:o, "
					 "s:o, s:s, s:f, s:b}",
					 "global_mode",
					 mode,
					 "mode_decision_confidence",
					 conf,
					 "mode_reason",
					 mode_reason ? mode_reason : "",
					 "effective_risk_limits",
					 limits,
					 "limit_sources",
					 who,
					 "risk_score",
					 risk_score,
					 "risk_level",
					 risk_level ? risk_level : "unknown",
					 "should_reduce_exposure",
					 json_is_true(json_object_get(risk, "should_reduce_exposure")),
					 "should_pause_trading",
					 json_is_true(json_object_get(risk, "should_pause_trading")),
					 "active_strategies",
					 active,
					 "disabled_strategies",
					 disabled,
					 "meta_strategy_mode",
					 json_util_get_str(strat, "meta_strategy_mode")
						 ? json_util_get_str(strat, "meta_strategy_mode")
						 : "unknown",
					 "recommended_models",
					 rec_models,
					 "strategy_confidence",
					 strat_conf,
					 "disabled_features",
					 disabled_features(mode, risk_level, stop_held),
					 "alerts",
					 alerts,
					 "snapshot_timestamp",
					 ts,
					 "data_completeness",
					 (double)reported / FED_N_SOURCES,
					 "all_agents_healthy",
					 fresh_agents == 3));
	json_object_set_new(out, "mode_source", json_string(mode_src));
	json_object_set_new(out, "mode_decision_source", decided ? json_string(decided) : json_null());
	json_object_set_new(out, "last_decision_mode", ceo_mode ? json_string(ceo_mode) : json_null());
	json_object_set_new(out, "emergency_stop", stop);
	const char *risk_mode = json_util_get_str(pol, "active_mode");
	json_object_set_new(out, "active_mode", risk_mode ? json_string(risk_mode) : json_null());
	json_object_set_new(out, "degraded", json_boolean(json_array_size(reasons) > 0));
	json_object_set_new(out, "degraded_reasons", reasons);
	json_object_set_new(out, "sources", sources);
	json_object_set_new(out, "complete", json_boolean(complete));
	return out;
}
