/*
 * risk_cycle.c - one turn of the Risk Officer (see risk_cycle.h).
 */
#include "risk_cycle.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"

void risk_cycle_init(struct risk_cycle *c, struct risk_book *book, const struct risk_book_config *cfg,
		     const struct risk_limits *env)
{
	memset(c, 0, sizeof(*c));
	c->book = book;
	c->cfg = *cfg;
	c->env = *env;
	c->limits = *env;
}

void risk_cycle_assess(struct risk_cycle *c, int64_t now_ms, struct risk_assessment *a, struct risk_alert *changes,
		       int *n_changes)
{
	memset(a, 0, sizeof(*a));
	a->now_ms = now_ms;
	risk_book_expire(c->book, a->now_ms);
	risk_book_view(c->book, &a->view, &a->source);
	risk_score_compute(&a->view, &c->limits, &a->score);
	*n_changes = risk_alerts_update(&c->alerts, &a->view, &a->score, &c->limits, changes);
	a->alerts = c->alerts;
	risk_ceilings_compute(&a->view, &a->score, &c->limits, &a->ceilings);
	a->period_ms = c->cfg.period_ms;
	a->window_count = c->cfg.window_count;
	a->window_age_ms = c->cfg.window_age_ms;
}

int risk_cycle_raised(const struct risk_alert *changes, int n)
{
	for (int i = 0; i < n; i++)
		if (changes[i].level > changes[i].previous)
			return 1;
	return 0;
}

int risk_cycle_ceilings_due(struct risk_cycle *c, const struct risk_assessment *a)
{
	if (c->have_ceilings && risk_ceilings_equal(&c->last_ceilings, &a->ceilings))
		return 0;
	c->last_ceilings = a->ceilings;
	c->have_ceilings = 1;
	return 1;
}

json_t *risk_cycle_ceiling_payload(const struct risk_assessment *a)
{
	char reason[160];
	snprintf(reason,
		 sizeof(reason),
		 "risk score %.1f (%s) scales the active mode's limits",
		 a->score.score,
		 a->score.level);
	return risk_report_ceiling(a, reason);
}

/*
 * Not the active mode's limits: the CEO writes those from our own ceilings
 * and its mode, so measuring against them would feed each ceiling back into
 * the next and ratchet the book down (the original Risk Officer did), and a
 * defensive mode would raise the score that put the layer there.
 */
int risk_cycle_limits_from_policy(const struct risk_limits *env, const json_t *doc, struct risk_limits *out, char *err,
				  size_t errlen)
{
	const json_t *cfg = json_object_get(doc, "risk_limits");
	struct risk_limits l = *env;
	double v;
	int64_t iv;
	if (cfg && json_util_get_double(cfg, "max_daily_drawdown", &v) == 0 && v > 0)
		l.max_daily_drawdown = v;
	if (cfg && json_util_get_double(cfg, "max_leverage", &v) == 0 && v > 0)
		l.max_leverage = v;
	if (cfg && json_util_get_double(cfg, "max_risk_pct_per_trade", &v) == 0 && v > 0)
		l.max_risk_per_trade = v;
	if (cfg && json_util_get_int64(cfg, "max_positions", &iv) == 0 && iv > 0)
		l.max_positions = (int)iv;
	int rc = risk_limits_validate(&l, err, errlen);
	if (rc == 0)
		*out = l;
	return rc;
}
