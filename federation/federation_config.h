/*
 * federation_config.h - the Federation's settings (ORCH_FEDERATION_*,
 * ORCH_API_*, ORCH_GATE_*, ORCH_LEGACY_PORTS): one table, read by the common loader (config.h), printed by
 * --help-config and in docs/configuration.md. Glue, not pure: it reads the
 * environment and the token file.
 */
#ifndef FEDERATION_CONFIG_H
#define FEDERATION_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "federation_brain.h"
#include "gate.h"

#define FEDERATION_ADMIN_PORT 9104

#define FEDERATION_LEGACY_N 3

struct federation_config {
	struct fed_config brain; /* freshness per source */
	int64_t interval_ms, force_timeout_ms;
	int api_port;
	char api_bind[64], token[256], cors[256];
	int max_connections, max_per_client, max_streams;
	int64_t request_ms;                    /* a request must arrive whole within this */
	struct gate_config gate;               /* the live gate */
	int gate_emergency;                    /* ORCH_GATE_SAFE_SIDE: 0 PASSIVE, 1 EMERGENCY */
	int legacy_ports[FEDERATION_LEGACY_N]; /* CEO, strategy, risk brains; 0 = off */
};

extern const struct config_table federation_config_table;

/* Defaults, then ORCH_FEDERATION_* and ORCH_API_* from the environment
 * (the token from ORCH_API_TOKEN_FILE when set). 0, or ORCH_EINVAL with
 * "NAME: reason" in err. */
int federation_config_load(struct federation_config *c, char *err, size_t errlen);

#endif
