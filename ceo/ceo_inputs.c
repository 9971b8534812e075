/*
 * ceo_inputs.c - the CEO's inputs and commands (see ceo_inputs.h).
 */
#include "ceo_inputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "orch.h"

const char *const ceo_input_types[] = {"risk_state_update",
				       "risk_alert",
				       "risk_ceiling_update",
				       "strategy_state_update",
				       "system_health_update",
				       "system_degraded",
				       "meta.regime",
				       "regime_detected",
				       "ceo_command"};
const int ceo_n_input_types = (int)(sizeof(ceo_input_types) / sizeof(ceo_input_types[0]));

enum ceo_event ceo_event_of(const char *t)
{
	static const enum ceo_event kinds[] = {CEO_EV_RISK_STATE,
					       CEO_EV_RISK_ALERT,
					       CEO_EV_CEILING,
					       CEO_EV_STRATEGY,
					       CEO_EV_HEALTH,
					       CEO_EV_DEGRADED,
					       CEO_EV_REGIME,
					       CEO_EV_REGIME,
					       CEO_EV_COMMAND};
	for (int i = 0; i < ceo_n_input_types; i++)
		if (strcmp(t, ceo_input_types[i]) == 0)
			return kinds[i];
	return CEO_EV_NONE;
}

/* A required number in [lo, hi]. */
static int need_number(const json_t *o, const char *key, double lo, double hi, double *out, char *why, size_t len)
{
	int rc = json_util_get_double(o, key, out);
	if (rc == ORCH_ENOENT) {
		snprintf(why, len, "no %s field", key);
		return ORCH_EMALFORMED;
	}
	if (rc != 0 || !isfinite(*out) || *out < lo || *out > hi) {
		snprintf(why, len, "%s: not a number in [%g, %g]", key, lo, hi);
		return ORCH_EMALFORMED;
	}
	return 0;
}

/* An optional number in [lo, hi]; absent leaves *out. */
static int opt_number(const json_t *o, const char *key, double lo, double hi, double *out, char *why, size_t len)
{
	double v;
	int rc = json_util_get_double(o, key, &v);
	if (rc == ORCH_ENOENT)
		return 0;
	if (rc != 0 || !isfinite(v) || v < lo || v > hi) {
		snprintf(why, len, "%s: not a number in [%g, %g]", key, lo, hi);
		return ORCH_EMALFORMED;
	}
	*out = v;
	return 0;
}

/* Our measures the default rules read; absent (the original's producer,
 * or too short a window) they stay unknown. */
static int risk_measures(struct ceo_inputs *n, const json_t *p, const json_t *m, char *why, size_t len)
{
	double sigma = -1, unit_n = 0;
	if (opt_number(m, "drawdown_sigma", 0, 1e6, &sigma, why, len) ||
	    opt_number(m, "unit_periods", 0, 1e12, &unit_n, why, len) ||
	    opt_number(m, "unit_volatility_short", 0, 1e6, &n->unit_vol_short, why, len) ||
	    opt_number(m, "unit_volatility_long", 0, 1e6, &n->unit_vol_long, why, len) ||
	    opt_number(m, "ewma_lambda", 0, 1, &n->unit_lambda, why, len))
		return ORCH_EMALFORMED;
	n->dd_sigma_known = sigma >= 0;
	n->dd_sigma = n->dd_sigma_known ? sigma : 0;
	n->unit_n = (int)fmin(unit_n, 1e9);
	n->tail_event = 0;
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(p, "active_alerts"), i, a)
	{
		const char *code = json_util_get_str(a, "code"), *level = json_util_get_str(a, "level");
		n->tail_event |= code && level && !strcmp(code, "TAIL_EVENT") && !strcmp(level, "CRITICAL");
	}
	return 0;
}

static int apply_risk_state(struct ceo_inputs *in, const json_t *p, int64_t now, char *why, size_t len)
{
	struct ceo_inputs n = *in;
	const json_t *m = json_object_get(p, "metrics");
	double pos = -1;
	if (need_number(p, "risk_score", 0, 100, &n.risk_score, why, len) ||
	    opt_number(m, "daily_drawdown", 0, 1, &n.daily_drawdown, why, len) ||
	    opt_number(m, "current_drawdown", 0, 1, &n.peak_drawdown, why, len) ||
	    opt_number(m, "open_positions", 0, 1e6, &pos, why, len) || risk_measures(&n, p, m, why, len))
		return ORCH_EMALFORMED;
	if (pos >= 0)
		n.open_positions = (int)pos;
	/* our score components carry min(1, VaR / ceiling) and the same for ES */
	const json_t *comp = json_object_get(p, "score_components");
	json_util_get_double(json_object_get(comp, "var"), "value", &n.var_ratio);
	json_util_get_double(json_object_get(comp, "es"), "value", &n.es_ratio);
	n.risk_ms = now;
	*in = n;
	return 0;
}

static int apply_risk_alert(struct ceo_inputs *in, const json_t *p, int64_t now, int *critical, char *why, size_t len)
{
	const char *level = json_util_get_str(p, "level");
	if (!level) {
		snprintf(why, len, "no level field");
		return ORCH_EMALFORMED;
	}
	struct ceo_inputs n = *in;
	double score = -1;
	if (opt_number(p, "risk_score", 0, 100, &score, why, len))
		return ORCH_EMALFORMED;
	if (score >= 0) {
		n.risk_score = score;
		n.risk_ms = now;
	}
	size_t i;
	const json_t *d;
	json_array_foreach(json_object_get(p, "alert_details"), i, d)
	{
		const char *code = json_util_get_str(d, "code"), *lv = json_util_get_str(d, "level");
		double v;
		if (code && strcmp(code, "TAIL_EVENT") == 0) {
			n.tail_event = lv && strcmp(lv, "CRITICAL") == 0;
			continue;
		}
		if (!code || json_util_get_double(d, "value", &v) != 0 || !isfinite(v) || v < 0 || v > 1)
			continue;
		if (strcmp(code, "DAILY_DRAWDOWN") == 0)
			n.daily_drawdown = v;
		else if (strcmp(code, "DRAWDOWN") == 0)
			n.peak_drawdown = v;
	}
	/* our alert_level, else the original's level (risk-level words) */
	const char *severity = json_util_get_str(p, "alert_level");
	*critical = strcasecmp(severity ? severity : level, "critical") == 0;
	*in = n;
	return 0;
}

static int apply_ceiling(struct ceo_inputs *in, const json_t *p, int64_t now, char *why, size_t len)
{
	struct ceo_inputs n = *in;
	double pos = 0;
	n.ceiling_max_leverage = n.ceiling_max_risk_per_trade = 0;
	if (need_number(p, "max_leverage", 1e-9, 125, &n.ceiling_max_leverage, why, len) ||
	    opt_number(p, "max_risk_per_trade", 1e-9, 1, &n.ceiling_max_risk_per_trade, why, len) ||
	    opt_number(p, "max_positions", 1, 1000, &pos, why, len))
		return ORCH_EMALFORMED;
	n.ceiling_max_positions = (int)pos;
	n.ceiling_ms = now;
	*in = n;
	return 0;
}

static int apply_strategy(struct ceo_inputs *in, const json_t *p, int64_t now, char *why, size_t len)
{
	struct ceo_inputs n = *in;
	if (need_number(p, "win_rate", 0, 1, &n.win_rate, why, len))
		return ORCH_EMALFORMED;
	/* ours says whether any strategy has enough trades; the original's
	 * payload has no ranking and its win rate is taken as given */
	const json_t *primary = json_object_get(p, "primary_strategy");
	n.win_rate_sufficient = json_object_get(p, "ranking") ? json_is_string(primary) : 1;
	n.win_rate_lower = n.win_rate;
	json_util_get_double(json_array_get(json_object_get(p, "ranking"), 0), "wilson_lower", &n.win_rate_lower);
	int64_t k;
	const json_t *book = json_object_get(p, "book");
	n.book_trades = 0;
	if (json_util_get_int64(book, "trades", &k) == 0 && k >= 0 &&
	    json_util_get_double(book, "psr", &n.book_psr) == 0 && isfinite(n.book_psr) && n.book_psr >= 0 &&
	    n.book_psr <= 1)
		n.book_trades = (long)k;
	if (json_util_get_int64(p, "strategies_eligible", &k) == 0)
		n.strategies_eligible = (int)k;
	if (json_util_get_int64(p, "strategies_disabled", &k) == 0)
		n.strategies_disabled = (int)k;
	n.strategy_ms = now;
	*in = n;
	return 0;
}

static int apply_health(struct ceo_inputs *in, const json_t *p, int64_t now, int degraded, char *why, size_t len)
{
	static const char *const keys[] = {"overall_health", "health", NULL};
	const char *h = json_util_first_str(p, keys);
	enum ceo_health v = CEO_DEGRADED;
	if (h && ceo_health_parse(h, &v) != 0) {
		snprintf(why, len, "health '%.40s' is not HEALTHY, DEGRADED, CRITICAL or OFFLINE", h);
		return ORCH_EMALFORMED;
	}
	if (!h && !degraded) {
		snprintf(why, len, "no overall_health or health field");
		return ORCH_EMALFORMED;
	}
	in->health = v;
	in->health_ms = now;
	return 0;
}

static int apply_regime(struct ceo_inputs *in, const json_t *p, int64_t now, char *why, size_t len)
{
	static const char *const keys[] = {"regime", "market_regime", NULL}, *const conf[] = {"confidence",
											      "regime_confidence",
											      NULL};
	const char *r = json_util_first_str(p, keys);
	if (!r) {
		snprintf(why, len, "no regime or market_regime field");
		return ORCH_EMALFORMED;
	}
	double c = 0;
	if (json_util_first_double(p, conf, &c, why, len) == ORCH_EMALFORMED)
		return ORCH_EMALFORMED;
	snprintf(in->regime, sizeof(in->regime), "%s", r);
	in->regime_confidence = c;
	in->regime_ms = now;
	return 0;
}

int ceo_inputs_apply(struct ceo_inputs *in, enum ceo_event kind, const json_t *payload, int64_t now_ms, int *critical,
		     char *why, size_t whylen)
{
	*critical = 0;
	if (!json_is_object(payload)) {
		snprintf(why, whylen, "payload is not an object");
		return ORCH_EMALFORMED;
	}
	switch (kind) {
	case CEO_EV_RISK_STATE:
		return apply_risk_state(in, payload, now_ms, why, whylen);
	case CEO_EV_RISK_ALERT:
		return apply_risk_alert(in, payload, now_ms, critical, why, whylen);
	case CEO_EV_CEILING:
		return apply_ceiling(in, payload, now_ms, why, whylen);
	case CEO_EV_STRATEGY:
		return apply_strategy(in, payload, now_ms, why, whylen);
	case CEO_EV_HEALTH:
		return apply_health(in, payload, now_ms, 0, why, whylen);
	case CEO_EV_DEGRADED:
		return apply_health(in, payload, now_ms, 1, why, whylen);
	case CEO_EV_REGIME:
		return apply_regime(in, payload, now_ms, why, whylen);
	default:
		snprintf(why, whylen, "not an input of the CEO");
		return ORCH_EMALFORMED;
	}
}

static int copy_field(const json_t *p, const char *key, char *out, size_t outlen, int required, char *why, size_t len)
{
	const char *s = json_util_get_str(p, key);
	if (!s || !*s) {
		if (required) {
			snprintf(why, len, "no %s field", key);
			return ORCH_EMALFORMED;
		}
		out[0] = '\0';
		return 0;
	}
	if (strlen(s) >= outlen) {
		snprintf(why, len, "%s longer than %zu bytes", key, outlen - 1);
		return ORCH_EMALFORMED;
	}
	snprintf(out, outlen, "%s", s);
	return 0;
}

int ceo_command_parse(const json_t *p, struct ceo_command *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	char action[40], mode[40];
	if (copy_field(p, "request_id", out->request_id, sizeof(out->request_id), 1, why, whylen) ||
	    copy_field(p, "action", action, sizeof(action), 1, why, whylen) ||
	    copy_field(p, "mode", mode, sizeof(mode), 0, why, whylen) ||
	    copy_field(p, "reason", out->reason, sizeof(out->reason), 0, why, whylen) ||
	    copy_field(p, "operator", out->operator_id, sizeof(out->operator_id), 0, why, whylen))
		return ORCH_EMALFORMED;
	if (mode[0]) {
		if (ceo_mode_parse(mode, &out->mode) != 0) {
			snprintf(why, whylen, "mode '%s' is not an operating mode", mode);
			return ORCH_EMALFORMED;
		}
		out->has_mode = 1;
	}
	if (strcmp(action, "force_decision") == 0) {
		out->action = CEO_CMD_FORCE_DECISION;
		return 0;
	}
	if (strcmp(action, "set_mode") == 0)
		out->action = CEO_CMD_SET_MODE;
	else if (strcmp(action, "leave_black_swan") == 0)
		out->action = CEO_CMD_LEAVE_BLACK_SWAN;
	else if (strcmp(action, "clear_emergency_stop") == 0)
		out->action = CEO_CMD_CLEAR_EMERGENCY_STOP;
	else {
		snprintf(why,
			 whylen,
			 "action '%s' is not force_decision, set_mode, leave_black_swan or clear_emergency_stop",
			 action);
		return ORCH_EMALFORMED;
	}
	if (out->action == CEO_CMD_SET_MODE && !out->has_mode) {
		snprintf(why, whylen, "set_mode needs a mode");
		return ORCH_EMALFORMED;
	}
	if (!out->reason[0] || !out->operator_id[0]) {
		snprintf(why, whylen, "%s needs a reason and an operator", action);
		return ORCH_EMALFORMED;
	}
	if (out->action == CEO_CMD_LEAVE_BLACK_SWAN && !out->has_mode)
		out->mode = CEO_CAPITAL_PRESERVATION;
	return 0;
}
