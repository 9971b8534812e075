/*
 * strategy_policy.c - the Strategy Officer's part of the PolicyStore
 * document (see strategy_policy.h).
 */
#include "strategy_policy.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"

int strat_policy_thresholds(const struct strat_thresholds *base, const json_t *doc, struct strat_thresholds *out,
			    char *mode, size_t modelen, char *err, size_t errlen)
{
	const char *m = json_util_get_str(doc, "operating_mode");
	const char *risk_mode = json_util_get_str(doc, "active_mode");
	if (!m)
		m = risk_mode && strcmp(risk_mode, "DEFENSIVE") == 0 ? "DEFENSIVE" : "GROWTH";
	struct strat_thresholds t = *base;
	const json_t *o = json_object_get(doc, "strategy_thresholds");
	double v;
	int64_t iv;
	if (json_util_get_int64(o, "min_trades", &iv) == 0)
		t.min_trades = (long)iv;
	if (json_util_get_double(o, "disable_win_rate", &v) == 0)
		t.disable_win_rate = v;
	if (json_util_get_double(o, "enable_win_rate", &v) == 0)
		t.enable_win_rate = v;
	if (json_util_get_double(o, "disable_drawdown", &v) == 0)
		t.disable_drawdown = v;
	if (json_util_get_double(o, "enable_drawdown", &v) == 0)
		t.enable_drawdown = v;
	if (json_util_get_int64(o, "disable_losses", &iv) == 0)
		t.disable_losses = (long)iv;
	strat_thresholds_for_mode(&t, m);
	int rc = strat_thresholds_validate(&t, err, errlen);
	if (rc != 0)
		return rc;
	*out = t;
	snprintf(mode, modelen, "%s", m);
	return 0;
}

/* An absent list in the document is the empty list. */
static int same_list(const json_t *stored, const json_t *want)
{
	return stored ? json_equal(stored, want) : json_array_size(want) == 0;
}

int strat_policy_holds_disabled(const json_t *doc, const json_t *want)
{
	return same_list(json_object_get(doc, "disabled_strategies"), json_object_get(want, "strategies")) &&
	       same_list(json_object_get(doc, "disabled_models"), json_object_get(want, "models"));
}

json_t *strat_policy_with_disabled(const json_t *doc, const json_t *want)
{
	json_t *copy = json_deep_copy(doc);
	if (!copy)
		return NULL;
	if (json_object_set(copy, "disabled_strategies", json_object_get(want, "strategies")) != 0 ||
	    json_object_set(copy, "disabled_models", json_object_get(want, "models")) != 0) {
		json_decref(copy);
		return NULL;
	}
	return copy;
}
