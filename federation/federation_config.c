/*
 * federation_config.c - the Federation's settings table (see
 * federation_config.h).
 */
#include "federation_config.h"

#include <stdio.h>
#include <string.h>

#include "orch.h"

static int parse_token_file(const char *name, const char *path, void *base, char *err, size_t errlen)
{
	struct federation_config *c = base;
	if (!path[0])
		return 0;
	FILE *fp = fopen(path, "r");
	if (!fp || !fgets(c->token, sizeof(c->token), fp)) {
		snprintf(err, errlen, "%s: cannot read a token from '%.300s'", name, path);
		if (fp)
			fclose(fp);
		return ORCH_EINVAL;
	}
	fclose(fp);
	c->token[strcspn(c->token, "\r\n")] = '\0';
	return 0;
}

#define F(f, T) CONFIG_FIELD(struct federation_config, f, T)
#define STR(f) F(f, char[sizeof(((struct federation_config *)0)->f)]), sizeof(((struct federation_config *)0)->f)
static const struct config_setting settings[] = {
	{"ORCH_FEDERATION_INTERVAL_S", CONFIG_I64, F(interval_ms, int64_t), .def = "15", .min = 1, .max = 86400,
	 .scale = 1000, .help = "global_state_update is published when its content changes and at this interval"},
	{"ORCH_FEDERATION_FORCE_TIMEOUT_MS", CONFIG_I64, F(force_timeout_ms, int64_t), .def = "5000", .min = 100,
	 .max = 600000, .help = "how long POST force-decision waits for the CEO's answer (then 504)"},
	{"ORCH_FEDERATION_CEO_FRESH_S", CONFIG_I64, F(brain.fresh_ms[FED_CEO], int64_t), .min = 1, .max = 30 * 86400,
	 .scale = 1000, .help = "an older CEO decision makes the global state degraded"},
	{"ORCH_FEDERATION_RISK_FRESH_S", CONFIG_I64, F(brain.fresh_ms[FED_RISK], int64_t), .min = 1,
	 .max = 30 * 86400, .scale = 1000, .help = "an older risk state makes the global state degraded"},
	{"ORCH_FEDERATION_STRATEGY_FRESH_S", CONFIG_I64, F(brain.fresh_ms[FED_STRATEGY], int64_t), .min = 1,
	 .max = 30 * 86400, .scale = 1000, .help = "an older strategy state makes the global state degraded"},
	{"ORCH_API_PORT", CONFIG_INT, F(api_port, int), .def = "8000", .min = 0, .max = 65535,
	 .help = "the REST API's port (0: any free port)"},
	{"ORCH_API_BIND", CONFIG_STR, STR(api_bind), .def = "127.0.0.1",
	 .help = "the REST API's address (IPv4); `0.0.0.0` in containers"},
	{"ORCH_API_CORS_ORIGIN", CONFIG_STR, STR(cors), .def = "",
	 .help = "value of Access-Control-Allow-Origin on API answers (none when empty)"},
	{"ORCH_API_TOKEN", CONFIG_STR, STR(token), .def = "",
	 .help = "bearer token for writes (at least 16 characters); without one, writes are refused"},
	{"ORCH_API_TOKEN_FILE", CONFIG_CUSTOM, 0, .def = "", .parse = parse_token_file,
	 .help = "file whose first line is the token (instead of `ORCH_API_TOKEN`)"},
};
#undef F
#undef STR

static void init(void *base)
{
	struct federation_config *c = base;
	memset(c, 0, sizeof(*c));
	fed_config_defaults(&c->brain);
}

const struct config_table federation_config_table = {"federation", settings, sizeof(settings) / sizeof(settings[0]),
						      sizeof(struct federation_config), init};

int federation_config_load(struct federation_config *c, char *err, size_t errlen)
{
	init(c);
	int rc = config_table_load(&federation_config_table, c, err, errlen);
	if (rc != 0)
		return rc;
	if (c->token[0] && strlen(c->token) < 16) {
		snprintf(err, errlen, "ORCH_API_TOKEN: a token needs at least 16 characters");
		return ORCH_EINVAL;
	}
	return 0;
}
