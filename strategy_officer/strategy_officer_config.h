/*
 * strategy_officer_config.h - the Strategy Officer's settings
 * (ORCH_STRATEGY_*): one table, read by the common loader (config.h),
 * printed by --help-config and in docs/configuration.md. Glue, not pure:
 * it reads the environment.
 */
#ifndef STRATEGY_OFFICER_CONFIG_H
#define STRATEGY_OFFICER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "strategy_book.h"
#include "strategy_brain.h"

#define STRATEGY_OFFICER_ADMIN_PORT 9103
#define STRATEGY_OFFICER_MAX_INPUTS 16

struct strategy_officer_config {
	char inputs[STRATEGY_OFFICER_MAX_INPUTS][CONFIG_LIST_ITEM]; /* ORCH_STRATEGY_INPUTS */
	int n_inputs;
	int64_t interval_ms, publish_min_ms;
	long rebuild_max, top;
	struct strat_book_config book;
	struct strat_thresholds base; /* GROWTH; tightened per mode */
};

extern const struct config_table strategy_officer_config_table;

/* Defaults, then ORCH_STRATEGY_* from the environment, then the
 * cross-field checks. 0, or ORCH_EINVAL with "NAME: reason" in err. */
int strategy_officer_config_load(struct strategy_officer_config *c, char *err, size_t errlen);

#endif
