/*
 * strategy_report.h - the Strategy Officer's payloads, pure (jansson
 * only): strategy_state_update, strategy_recommendation and
 * strategy_alert with the original system's field names, plus the
 * ranking, the models and the conventions of every number. orchctl
 * strategies prints strat_report_ranking() of the same evaluation.
 */
#ifndef STRATEGY_REPORT_H
#define STRATEGY_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "strategy_brain.h"

struct strat_report_ctx {
	const struct strat_result *res;
	const struct strat_thresholds *th;
	const char *mode;   /* operating mode the thresholds are for */
	const char *regime; /* newest market regime, "" when none */
	int64_t now_ms;
	size_t window_count;
	int64_t window_age_ms;
	size_t top; /* ranking entries in state updates (0 = all) */
};

/* {ranking, primary, fallback, fallback_correlation, disabled, models,
 * conventions}: the offline evaluation's output. New reference. */
json_t *strat_report_ranking(const struct strat_report_ctx *c);
/* strategy_state_update payload. New reference. */
json_t *strat_report_state(const struct strat_report_ctx *c);
/* strategy_recommendation payload. New reference. */
json_t *strat_report_recommendation(const struct strat_report_ctx *c);
/* What a recommendation decides (primary, fallback, disabled strategies
 * and models, recommended models): equal keys mean an unchanged
 * recommendation. New reference. */
json_t *strat_report_key(const struct strat_report_ctx *c);
/* strategy_alert payload for c->res->changes (none: NULL). New reference. */
json_t *strat_report_alert(const struct strat_report_ctx *c);

#endif
