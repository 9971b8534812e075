/*
 * policy_doc.c - the PolicyStore document itself, pure: the default
 * document and schema validation, matching the original system's
 * PolicyStore v2 models (backend/models/policy.py). policy.c stores it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "orch.h"
#include "policy.h"

/* Defaults from the original's DEFAULT_POLICIES (backend/models/policy.py):
 * DEFENSIVE scales positions by 0.7 and turns off continuous learning and
 * retraining, as there. */
static const struct mode_default {
	const char *name;
	double max_leverage, max_risk_pct_per_trade, max_daily_drawdown;
	int max_positions;
	double global_min_confidence, scaling_factor, position_size_cap;
	int enable_rl, enable_meta_strategy, enable_pal, enable_pba, enable_clm, enable_retraining, enable_dynamic_tpsl;
} mode_defaults[] = {
	{"AGGRESSIVE_SMALL_ACCOUNT", 7, 0.03, 0.06, 15, 0.45, 1.5, 300, 1, 1, 1, 1, 1, 1, 1},
	{"NORMAL", 5, 0.015, 0.05, 30, 0.50, 1.0, 1000, 1, 1, 1, 1, 1, 1, 1},
	{"DEFENSIVE", 3, 0.0075, 0.03, 10, 0.60, 0.7, 500, 1, 1, 1, 1, 0, 0, 1},
};

static const char *const flag_names[] = {"enable_rl",
					 "enable_meta_strategy",
					 "enable_pal",
					 "enable_pba",
					 "enable_clm",
					 "enable_retraining",
					 "enable_dynamic_tpsl"};

json_t *policy_default_doc(int64_t now_ms)
{
	char ts[40];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	json_t *modes = json_object();
	for (size_t i = 0; i < sizeof(mode_defaults) / sizeof(mode_defaults[0]); i++) {
		const struct mode_default *d = &mode_defaults[i];
		const int flags[] = {d->enable_rl,
				     d->enable_meta_strategy,
				     d->enable_pal,
				     d->enable_pba,
				     d->enable_clm,
				     d->enable_retraining,
				     d->enable_dynamic_tpsl};
		json_t *m = json_pack("{s:f, s:f, s:f, s:i, s:f, s:f, s:f}",
				      "max_leverage",
				      d->max_leverage,
				      "max_risk_pct_per_trade",
				      d->max_risk_pct_per_trade,
				      "max_daily_drawdown",
				      d->max_daily_drawdown,
				      "max_positions",
				      d->max_positions,
				      "global_min_confidence",
				      d->global_min_confidence,
				      "scaling_factor",
				      d->scaling_factor,
				      "position_size_cap",
				      d->position_size_cap);
		for (size_t f = 0; f < 7; f++)
			json_object_set_new(m, flag_names[f], json_boolean(flags[f]));
		json_object_set_new(modes, d->name, m);
	}
	return json_pack("{s:s, s:o, s:s, s:s, s:i, s:b, s:b, s:n, s:n}",
			 "active_mode",
			 "NORMAL",
			 "modes",
			 modes,
			 "last_updated",
			 ts,
			 "updated_by",
			 "system",
			 "version",
			 1,
			 "emergency_mode",
			 0,
			 "allow_new_trades",
			 1,
			 "emergency_reason",
			 "emergency_activated_at");
}

/* A number field in (lo, hi] or [lo, hi] (closed_lo). */
static int check_range(const json_t *mode, const char *mname, const char *key, double lo, double hi, int closed_lo,
		       int integer, char *err, size_t errlen)
{
	const json_t *v = json_object_get(mode, key);
	double x = json_number_value(v);
	int ok = json_is_number(v) && isfinite(x) && (closed_lo ? x >= lo : x > lo) && x <= hi &&
		 (!integer || json_is_integer(v));
	if (!ok)
		snprintf(err,
			 errlen,
			 "modes.%s.%s: must be %s in %c%g, %g]",
			 mname,
			 key,
			 integer ? "an integer" : "a number",
			 closed_lo ? '[' : '(',
			 lo,
			 hi);
	return ok ? 0 : ORCH_EINVAL;
}

int policy_validate(const json_t *doc, char *err, size_t errlen)
{
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "document: must be a JSON object");
		return ORCH_EINVAL;
	}
	const json_t *modes = json_object_get(doc, "modes");
	const char *active = json_string_value(json_object_get(doc, "active_mode"));
	if (!json_is_object(modes) || json_object_size(modes) == 0) {
		snprintf(err, errlen, "modes: must be a non-empty object");
		return ORCH_EINVAL;
	}
	if (!active || !json_object_get(modes, active)) {
		snprintf(err, errlen, "active_mode: must name one of modes");
		return ORCH_EINVAL;
	}
	const char *name;
	const json_t *m;
	json_object_foreach((json_t *)modes, name, m)
	{
		if (!json_is_object(m)) {
			snprintf(err, errlen, "modes.%s: must be an object", name);
			return ORCH_EINVAL;
		}
		if (check_range(m, name, "max_leverage", 0, 125, 0, 0, err, errlen) ||
		    check_range(m, name, "max_risk_pct_per_trade", 0, 1, 0, 0, err, errlen) ||
		    check_range(m, name, "max_daily_drawdown", 0, 1, 0, 0, err, errlen) ||
		    check_range(m, name, "max_positions", 1, 100, 1, 1, err, errlen) ||
		    check_range(m, name, "global_min_confidence", 0, 1, 1, 0, err, errlen) ||
		    check_range(m, name, "scaling_factor", 0, 2, 0, 0, err, errlen) ||
		    check_range(m, name, "position_size_cap", 0, 1e12, 0, 0, err, errlen))
			return ORCH_EINVAL;
		for (size_t f = 0; f < 7; f++) {
			const json_t *v = json_object_get(m, flag_names[f]);
			if (v && !json_is_boolean(v)) {
				snprintf(err, errlen, "modes.%s.%s: must be true or false", name, flag_names[f]);
				return ORCH_EINVAL;
			}
		}
	}
	static const char *const bools[] = {"emergency_mode", "allow_new_trades"};
	for (size_t i = 0; i < 2; i++) {
		const json_t *v = json_object_get(doc, bools[i]);
		if (v && !json_is_boolean(v)) {
			snprintf(err, errlen, "%s: must be true or false", bools[i]);
			return ORCH_EINVAL;
		}
	}
	static const char *const nullable[] = {"emergency_reason", "emergency_activated_at"};
	for (size_t i = 0; i < 2; i++) {
		const json_t *v = json_object_get(doc, nullable[i]);
		if (v && !json_is_null(v) && !json_is_string(v)) {
			snprintf(err, errlen, "%s: must be a string or null", nullable[i]);
			return ORCH_EINVAL;
		}
	}
	return 0;
}
