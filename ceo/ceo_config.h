/*
 * ceo_config.h - the CEO's settings (ORCH_CEO_*): one table, read by the
 * common loader (config.h), printed by --help-config and in
 * docs/configuration.md. Glue, not pure: it reads the environment.
 */
#ifndef CEO_CONFIG_H
#define CEO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ceo_brain.h"
#include "config.h"

#define CEO_ADMIN_PORT 9101

struct ceo_config {
	struct ceo_brain_config brain;
	int64_t interval_ms;    /* ORCH_CEO_INTERVAL_S */
	int64_t debounce_ms;    /* ORCH_CEO_DEBOUNCE_MS */
	int64_t command_ttl_ms; /* ORCH_CEO_COMMAND_TTL_S */
	int on_command_only;    /* ORCH_CEO_EVALUATE=command */
};

extern const struct config_table ceo_config_table;

/* Defaults, then ORCH_CEO_* from the environment, then the cross-field
 * checks. 0, or ORCH_EINVAL with "NAME: reason" in err. */
int ceo_config_load(struct ceo_config *c, char *err, size_t errlen);

#endif
