/*
 * federation_config.c - the Federation's settings table (see
 * federation_config.h).
 */
#include "federation_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch.h"

static int parse_token_file(const char *name, const char *path, void *base, char *err, size_t errlen)
{
	struct federation_config *c = base;
	return path[0] ? config_read_line(name, path, c->token, sizeof(c->token), err, errlen) : 0;
}

/* "" (off) or three distinct ports: the CEO, strategy and risk brains'. */
static int parse_legacy_ports(const char *name, const char *value, void *base, char *err, size_t errlen)
{
	struct federation_config *c = base;
	memset(c->legacy_ports, 0, sizeof(c->legacy_ports));
	if (!value[0])
		return 0;
	const char *p = value;
	for (int i = 0; i < FEDERATION_LEGACY_N; i++) {
		char *end;
		long port = strtol(p, &end, 10);
		int last = i == FEDERATION_LEGACY_N - 1;
		if (end == p || port < 1 || port > 65535 || *end != (last ? '\0' : ',')) {
			snprintf(
				err,
				errlen,
				"%s: expected three ports (CEO,strategy,risk: 8010,8011,8012) or nothing, got '%.100s'",
				name,
				value);
			return ORCH_EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (c->legacy_ports[j] == port) {
				snprintf(err, errlen, "%s: port %ld is given twice in '%.100s'", name, port, value);
				return ORCH_EINVAL;
			}
		c->legacy_ports[i] = (int)port;
		p = end + 1;
	}
	return 0;
}

#define F(f, T) CONFIG_FIELD(struct federation_config, f, T)
#define STR(f)  F(f, char[sizeof(((struct federation_config *)0)->f)]), sizeof(((struct federation_config *)0)->f)
static const struct config_setting settings[] = {
	{"ORCH_FEDERATION_INTERVAL_S",
	 CONFIG_I64,
	 F(interval_ms, int64_t),
	 .def = "15",
	 .min = 1,
	 .max = 86400,
	 .scale = 1000,
	 .help = "global_state_update is published when its content changes and at this interval"},
	{"ORCH_FEDERATION_FORCE_TIMEOUT_MS",
	 CONFIG_I64,
	 F(force_timeout_ms, int64_t),
	 .def = "5000",
	 .min = 100,
	 .max = 600000,
	 .help = "how long POST force-decision waits for the CEO's answer (then 504)"},
	{"ORCH_FEDERATION_CEO_FRESH_S",
	 CONFIG_I64,
	 F(brain.fresh_ms[FED_CEO], int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "an older CEO decision makes the global state degraded"},
	{"ORCH_FEDERATION_RISK_FRESH_S",
	 CONFIG_I64,
	 F(brain.fresh_ms[FED_RISK], int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "an older risk state makes the global state degraded"},
	{"ORCH_FEDERATION_STRATEGY_FRESH_S",
	 CONFIG_I64,
	 F(brain.fresh_ms[FED_STRATEGY], int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "an older strategy state makes the global state degraded"},
	{"ORCH_API_PORT",
	 CONFIG_INT,
	 F(api_port, int),
	 .def = "8000",
	 .min = 0,
	 .max = 65535,
	 .help = "the REST API's port (0: any free port)"},
	{"ORCH_API_BIND",
	 CONFIG_STR,
	 STR(api_bind),
	 .def = "127.0.0.1",
	 .help = "the REST API's address (IPv4); `0.0.0.0` in containers"},
	{"ORCH_API_CORS_ORIGIN",
	 CONFIG_STR,
	 STR(cors),
	 .def = "",
	 .help = "value of Access-Control-Allow-Origin on API answers (none when empty)"},
	{"ORCH_API_TOKEN",
	 CONFIG_STR,
	 STR(token),
	 .def = "",
	 .help = "bearer token for writes (at least 16 characters); without one, writes are refused"},
	{"ORCH_API_TOKEN_FILE",
	 CONFIG_CUSTOM,
	 0,
	 .def = "",
	 .parse = parse_token_file,
	 .help = "file whose first line is the token (instead of `ORCH_API_TOKEN`)"},
	{"ORCH_API_MAX_CONNECTIONS",
	 CONFIG_INT,
	 F(max_connections, int),
	 .def = "1000",
	 .min = 16,
	 .max = 100000,
	 .help = "open connections per listening port; beyond it new ones wait in the kernel's backlog"},
	{"ORCH_API_MAX_CONNECTIONS_PER_CLIENT",
	 CONFIG_INT,
	 F(max_per_client, int),
	 .def = "128",
	 .min = 1,
	 .max = 100000,
	 .help = "open connections from one IP address per port (more are closed at once); raise it "
		 "behind a proxy, where every client has the proxy's address"},
	{"ORCH_API_REQUEST_TIMEOUT_S",
	 CONFIG_I64,
	 F(request_ms, int64_t),
	 .def = "10",
	 .min = 1,
	 .max = 3600,
	 .scale = 1000,
	 .help = "a request must arrive whole within this, counted from the connection (or the "
		 "previous answer on keep-alive); a slower one is cut"},
	{"ORCH_API_MAX_STREAMS",
	 CONFIG_INT,
	 F(max_streams, int),
	 .def = "128",
	 .min = 1,
	 .max = 100000,
	 .help = "open `GET /events` streams (64 KiB each); beyond it 503"},
	{"ORCH_GATE_STALE_S",
	 CONFIG_I64,
	 F(gate.stale_ms, int64_t),
	 .def = "90",
	 .min = 1,
	 .max = 86400,
	 .scale = 1000,
	 .help = "the live gate answers the safe side when the decision or the risk state is older than this"},
	{"ORCH_GATE_SAFE_SIDE",
	 CONFIG_ENUM,
	 F(gate_emergency, int),
	 .def = "PASSIVE",
	 .choices = "PASSIVE|EMERGENCY",
	 .help = "the live gate's CEO mode on missing or stale state (never ACTIVE); EMERGENCY also refuses every "
		 "evaluation"},
	{"ORCH_GATE_STOP_LOSS",
	 CONFIG_DOUBLE,
	 F(gate.stop_loss_frac, double),
	 .def = "0.02",
	 .min = 0.0001,
	 .max = 1,
	 .help = "loss at the stop as a fraction of the notional: sizes the gate's positions and its `max_loss`"},
	{"ORCH_LEGACY_PORTS",
	 CONFIG_CUSTOM,
	 0,
	 .def = "",
	 .parse = parse_legacy_ports,
	 .help = "`8010,8011,8012`: also serve the live gate on the original CEO, strategy and risk brains' ports "
		 "(`/status`, `/health`, `/evaluate`), on `ORCH_API_BIND`; empty: off"},
};
#undef F
#undef STR

static void init(void *base)
{
	struct federation_config *c = base;
	memset(c, 0, sizeof(*c));
	fed_config_defaults(&c->brain);
	gate_config_defaults(&c->gate);
}

const struct config_table federation_config_table = {
	"federation", settings, sizeof(settings) / sizeof(settings[0]), sizeof(struct federation_config), init};

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
	c->gate.safe_side = c->gate_emergency ? GATE_EMERGENCY : GATE_PASSIVE;
	for (int i = 0; i < FEDERATION_LEGACY_N; i++)
		if (c->legacy_ports[i] && c->legacy_ports[i] == c->api_port) {
			snprintf(err, errlen, "ORCH_LEGACY_PORTS: port %d is ORCH_API_PORT's", c->api_port);
			return ORCH_EINVAL;
		}
	return gate_config_validate(&c->gate, err, errlen);
}
