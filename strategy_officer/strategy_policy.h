/*
 * strategy_policy.h - what the Strategy Officer reads from and writes to
 * the PolicyStore document, pure (jansson only): the operating mode and
 * the thresholds for it, and the disabled strategies and models. The
 * service (main.c) and the in-process backtest both use it.
 */
#ifndef STRATEGY_POLICY_H
#define STRATEGY_POLICY_H

#include <jansson.h>
#include <stddef.h>

#include "strategy_brain.h"

/*
 * The operating mode doc (borrowed, may be NULL) sets, into mode: the CEO's
 * operating_mode; else the original's active_mode, where DEFENSIVE is
 * DEFENSIVE and the rest GROWTH. And the thresholds for it into out: base,
 * overridden by the document's optional strategy_thresholds (min_trades,
 * disable_win_rate, enable_win_rate, disable_drawdown, enable_drawdown,
 * disable_losses), tightened for the mode. Returns 0, or ORCH_EINVAL with
 * the reason in err (unusable thresholds: keep the previous ones).
 */
int strat_policy_thresholds(const struct strat_thresholds *base, const json_t *doc, struct strat_thresholds *out,
			    char *mode, size_t modelen, char *err, size_t errlen);
/* 1 when doc already holds want's lists ({"strategies": [...], "models":
 * [...]}) as disabled_strategies and disabled_models; an absent list in
 * doc is the empty list. */
int strat_policy_holds_disabled(const json_t *doc, const json_t *want);
/* A copy of doc with want's lists stored. New reference, NULL when out of
 * memory. */
json_t *strat_policy_with_disabled(const json_t *doc, const json_t *want);

#endif
