/*
 * risk_officer_config.c - the Risk Officer's settings table (see
 * risk_officer_config.h).
 */
#include "risk_officer_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch.h"

static int is_input(const char *type)
{
	return risk_input_kind_of(type) != 0;
}

static int parse_inputs(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct risk_officer_config *c = base;
	return config_parse_list(name,
				 v,
				 c->inputs,
				 RISK_OFFICER_MAX_INPUTS,
				 &c->n_inputs,
				 is_input,
				 risk_input_known_types(),
				 err,
				 errlen);
}

static int parse_confidences(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct risk_book_config *b = &((struct risk_officer_config *)base)->book;
	const char *p = v;
	char *end;
	b->n_conf = 0;
	while (*p && b->n_conf < RISK_MAX_CONF) {
		b->conf[b->n_conf++] = strtod(p, &end);
		if (end == p || (*end && *end != ','))
			break;
		p = *end ? end + 1 : end;
	}
	if (*p || risk_check_confidences(b->conf, b->n_conf) != 0) {
		snprintf(err,
			 errlen,
			 "%s: expected 1-%d comma-separated levels in (0.5, 1), got '%s'",
			 name,
			 RISK_MAX_CONF,
			 v);
		return ORCH_EINVAL;
	}
	return 0;
}

#define F(f, T) CONFIG_FIELD(struct risk_officer_config, f, T)
static const struct config_setting settings[] = {
	{"ORCH_RISK_INPUTS",
	 CONFIG_CUSTOM,
	 0,
	 .parse = parse_inputs,
	 .doc_def = "every input type (docs/risk_officer.md)",
	 .help = "event types to read, comma-separated"},
	{"ORCH_RISK_INTERVAL_S",
	 CONFIG_I64,
	 F(interval_ms, int64_t),
	 .def = "30",
	 .min = 1,
	 .max = 86400,
	 .scale = 1000,
	 .help = "periodic assessment (the policy key `ai_ro_assessment_interval` overrides it live)"},
	{"ORCH_RISK_PUBLISH_MIN_MS",
	 CONFIG_I64,
	 F(publish_min_ms, int64_t),
	 .def = "250",
	 .min = 0,
	 .max = 60000,
	 .help = "state updates after inputs coalesce into at most one per this interval"},
	{"ORCH_RISK_WINDOW",
	 CONFIG_SIZE,
	 F(book.window_count, size_t),
	 .def = "1000",
	 .min = RISK_MIN_OBS,
	 .max = 10000000,
	 .help = "returns kept per window",
	 .rule = 1},
	{"ORCH_RISK_WINDOW_AGE_S",
	 CONFIG_I64,
	 F(book.window_age_ms, int64_t),
	 .def = "2592000",
	 .min = 0,
	 .max = 3650.0 * 86400,
	 .scale = 1000,
	 .help = "returns kept per window by age (0 = no age limit)"},
	{"ORCH_RISK_PERIOD_S",
	 CONFIG_I64,
	 F(book.period_ms, int64_t),
	 .def = "3600",
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "portfolio return period"},
	{"ORCH_RISK_MAX_STRATEGIES",
	 CONFIG_INT,
	 F(book.max_strategies, int),
	 .def = "64",
	 .min = 1,
	 .max = 4096,
	 .help = "per-strategy windows; further names share `other`"},
	{"ORCH_RISK_REBUILD_MAX",
	 CONFIG_LONG,
	 F(rebuild_max, long),
	 .def = "100000",
	 .min = 0,
	 .max = 10000000,
	 .help = "entries read back per input stream when a replica becomes active (0 = start with empty windows)"},
	{"ORCH_RISK_EWMA_LAMBDA",
	 CONFIG_DOUBLE,
	 F(book.ewma_lambda, double),
	 .def = "0.94",
	 .min = 0.5,
	 .max = 0.9999,
	 .help = "EWMA decay per period of the volatility estimate (0.94: RiskMetrics, half-life 11 periods)"},
	{"ORCH_RISK_EWMA_LAMBDA_LONG",
	 CONFIG_DOUBLE,
	 F(book.ewma_lambda_long, double),
	 .def = "0.9945",
	 .min = 0.5,
	 .max = 0.9999,
	 .help = "EWMA decay per period of the long exposure-normalised volatility, the norm that "
		 "volatility targeting measures the short one against (0.9945: half-life 126 periods, "
		 "half a year of days)",
	 .rule = 1},
	{"ORCH_RISK_CONFIDENCE",
	 CONFIG_CUSTOM,
	 0,
	 .def = "0.95,0.99",
	 .parse = parse_confidences,
	 .help = "VaR/ES confidences, 1-4 values in (0.5, 1)"},
	{"ORCH_RISK_MAX_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(env.max_drawdown, double),
	 .def = "0.15",
	 .min = 0.001,
	 .max = 1,
	 .help = "drawdown ceiling (positive fraction from the window's peak)",
	 .rule = 1},
	{"ORCH_RISK_VAR_CEILING",
	 CONFIG_DOUBLE,
	 F(env.var_ceiling, double),
	 .def = "0.03",
	 .min = 1e-6,
	 .max = 1,
	 .help = "per-period historical VaR ceiling (positive loss fraction)",
	 .rule = 1},
	{"ORCH_RISK_ES_CEILING",
	 CONFIG_DOUBLE,
	 F(env.es_ceiling, double),
	 .def = "0.05",
	 .min = 1e-6,
	 .max = 1,
	 .help = "per-period historical ES ceiling",
	 .rule = 1},
	{"ORCH_RISK_VOL_CEILING",
	 CONFIG_DOUBLE,
	 F(env.vol_ceiling, double),
	 .def = "1.0",
	 .min = 1e-6,
	 .max = 100,
	 .help = "annualised volatility ceiling",
	 .rule = 1},
	{"ORCH_RISK_CONCENTRATION_CEILING",
	 CONFIG_DOUBLE,
	 F(env.concentration_ceiling, double),
	 .def = "0.5",
	 .min = 0.01,
	 .max = 1,
	 .help = "Herfindahl index ceiling",
	 .rule = 1},
	{"ORCH_RISK_SCORE_CRITICAL",
	 CONFIG_DOUBLE,
	 F(env.score_critical, double),
	 .def = "80",
	 .min = 1,
	 .max = 100,
	 .help = "score at which RISK_SCORE is CRITICAL",
	 .rule = 1},
	{"ORCH_RISK_TAIL_MULTIPLE",
	 CONFIG_DOUBLE,
	 F(env.tail_multiple, double),
	 .def = "2",
	 .min = 1,
	 .max = 100,
	 .help = "a period's loss of this many expected shortfalls (highest confidence) raises TAIL_EVENT, CRITICAL",
	 .rule = 1},
	{"ORCH_RISK_ALERT_HYSTERESIS",
	 CONFIG_DOUBLE,
	 F(env.hysteresis, double),
	 .def = "0.1",
	 .min = 0,
	 .max = 0.49,
	 .help = "fraction of a limit below a threshold before a level is left",
	 .rule = 1},
	{"ORCH_RISK_MAX_DAILY_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(env.max_daily_drawdown, double),
	 .def = "0.05",
	 .min = 1e-6,
	 .max = 1,
	 .help = "reference daily drawdown (the original NORMAL mode)",
	 .rule = 1},
	{"ORCH_RISK_MAX_LEVERAGE",
	 CONFIG_DOUBLE,
	 F(env.max_leverage, double),
	 .def = "5",
	 .min = 0.01,
	 .max = 125,
	 .help = "reference leverage (the original NORMAL mode)"},
	{"ORCH_RISK_MAX_RISK_PER_TRADE",
	 CONFIG_DOUBLE,
	 F(env.max_risk_per_trade, double),
	 .def = "0.015",
	 .min = 1e-6,
	 .max = 1,
	 .help = "reference for the recommended risk per trade"},
	{"ORCH_RISK_MAX_POSITIONS",
	 CONFIG_INT,
	 F(env.max_positions, int),
	 .def = "30",
	 .min = 1,
	 .max = 100,
	 .help = "reference for the recommended number of positions"},
};
#undef F

static void init(void *base)
{
	struct risk_officer_config *c = base;
	memset(c, 0, sizeof(*c));
	char err[128];
	parse_inputs("ORCH_RISK_INPUTS", risk_input_known_types(), c, err, sizeof(err));
}

const struct config_table risk_officer_config_table = {
	"risk_officer", settings, sizeof(settings) / sizeof(settings[0]), sizeof(struct risk_officer_config), init};

int risk_officer_config_load(struct risk_officer_config *c, char *err, size_t errlen)
{
	init(c);
	return config_table_load(&risk_officer_config_table, c, err, errlen);
}
