/*
 * risk_officer_config.h - the Risk Officer's settings (ORCH_RISK_*): one
 * table, read by the common loader (config.h), printed by --help-config and
 * in docs/configuration.md. Glue, not pure: it reads the environment.
 */
#ifndef RISK_OFFICER_CONFIG_H
#define RISK_OFFICER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "risk_book.h"
#include "risk_brain.h"

#define RISK_OFFICER_ADMIN_PORT 9102
#define RISK_OFFICER_MAX_INPUTS 16

struct risk_officer_config {
	char inputs[RISK_OFFICER_MAX_INPUTS][CONFIG_LIST_ITEM]; /* ORCH_RISK_INPUTS */
	int n_inputs;
	int64_t interval_ms, publish_min_ms;
	long rebuild_max; /* entries per input stream read on taking over */
	struct risk_book_config book;
	struct risk_limits env; /* the ORCH_RISK_* ceilings and reference limits */
};

extern const struct config_table risk_officer_config_table;

/* Defaults, then ORCH_RISK_* from the environment, then the cross-field
 * checks. 0, or ORCH_EINVAL with "NAME: reason" in err. */
int risk_officer_config_load(struct risk_officer_config *c, char *err, size_t errlen);

#endif
