/*
 * replay_policy.c - the book's limits from a PolicyStore document (see
 * replay_policy.h).
 */
#include "replay_policy.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "policy.h"

/* Overlays what the policy document doc says on v->l (fields it lacks keep
 * their value). */
static void apply_policy(const json_t *doc, struct replay_policy *v)
{
	struct rb_limits *l = &v->l;
	const json_t *mode = json_object_get(json_object_get(doc, "modes"), json_util_get_str(doc, "active_mode"));
	double d;
	int64_t n;
	if (json_util_get_int64(mode, "max_positions", &n) == 0)
		l->max_positions = (int)n;
	if (json_util_get_double(mode, "max_risk_pct_per_trade", &d) == 0)
		l->risk_per_trade = d;
	if (json_util_get_double(mode, "max_leverage", &d) == 0)
		l->max_leverage = d;
	if (json_util_get_double(mode, "scaling_factor", &d) == 0)
		l->scaling = d;
	int b;
	if (json_util_get_bool(doc, "allow_new_trades", &b) == 0)
		l->allow_new = b;
	if (json_util_get_bool(doc, "emergency_mode", &b) == 0 && b)
		l->close_all = 1;
	size_t i;
	json_t *s;
	int k = 0;
	json_array_foreach(json_object_get(doc, "disabled_strategies"), i, s)
	{
		if (k < REPLAY_POLICY_MAX_DISABLED && json_is_string(s)) {
			snprintf(v->disabled_buf[k], sizeof(v->disabled_buf[k]), "%s", json_string_value(s));
			v->disabled[k] = v->disabled_buf[k];
			k++;
		}
	}
	l->disabled = v->disabled;
	l->n_disabled = k;
	const char *om = json_util_get_str(doc, "operating_mode");
	snprintf(v->mode, sizeof(v->mode), "%s", om ? om : "");
}

void replay_policy_normal(struct replay_policy *v)
{
	json_t *doc = policy_default_doc(0);
	memset(v, 0, sizeof(*v));
	v->l.allow_new = 1;
	apply_policy(doc, v);
	json_decref(doc);
}

void replay_policy_read(const json_t *doc, const struct replay_policy *base, struct replay_policy *v)
{
	v->l = base->l;
	apply_policy(doc, v);
}
