/*
 * federation_config.h - the Federation's settings (ORCH_FEDERATION_*,
 * ORCH_API_*): one table, read by the common loader (config.h), printed by
 * --help-config and in docs/configuration.md. Glue, not pure: it reads the
 * environment and the token file.
 */
#ifndef FEDERATION_CONFIG_H
#define FEDERATION_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "federation_brain.h"

#define FEDERATION_ADMIN_PORT 9104

struct federation_config {
	struct fed_config brain;          /* freshness per source */
	int64_t interval_ms, force_timeout_ms;
	int api_port;
	char api_bind[64], token[256], cors[256];
};

extern const struct config_table federation_config_table;

/* Defaults, then ORCH_FEDERATION_* and ORCH_API_* from the environment
 * (the token from ORCH_API_TOKEN_FILE when set). 0, or ORCH_EINVAL with
 * "NAME: reason" in err. */
int federation_config_load(struct federation_config *c, char *err, size_t errlen);

#endif
