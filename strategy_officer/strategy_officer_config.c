/*
 * strategy_officer_config.c - the Strategy Officer's settings table (see
 * strategy_officer_config.h).
 */
#include "strategy_officer_config.h"

#include <stdio.h>
#include <string.h>

#include "orch.h"

static int is_input(const char *type)
{
	return strat_input_kind_of(type) != 0;
}

static int parse_inputs(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct strategy_officer_config *c = base;
	return config_parse_list(name,
				 v,
				 c->inputs,
				 STRATEGY_OFFICER_MAX_INPUTS,
				 &c->n_inputs,
				 is_input,
				 strat_input_known_types(),
				 err,
				 errlen);
}

/* The layer's rule set. `original`: the original system's disable rules,
 * win rate, drawdown and losses in a row. `default`: evidence of a
 * negative edge (PSR) and drawdown; not how often a strategy wins (a trend
 * follower wins a third of its trades and profits, and loses eight in a
 * row now and then). Rows after this one override what it sets. */
static int parse_rules(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct strategy_officer_config *c = base;
	if (strcmp(v, "default") != 0 && strcmp(v, "original") != 0) {
		snprintf(err, errlen, "%s: expected one of default|original, got '%.60s'", name, v);
		return ORCH_EINVAL;
	}
	int original = strcmp(v, "original") == 0;
	c->base.disable_psr = original ? 0 : 0.05;
	c->base.disable_win_rate = original ? 0.40 : 0;
	c->base.disable_losses = original ? 8 : 0;
	return 0;
}

#define F(f, T) CONFIG_FIELD(struct strategy_officer_config, f, T)
static const struct config_setting settings[] = {
	{"ORCH_STRATEGY_INPUTS",
	 CONFIG_CUSTOM,
	 0,
	 .parse = parse_inputs,
	 .doc_def = "every input type (docs/strategy_officer.md)",
	 .help = "event types to read, comma-separated"},
	{"ORCH_STRATEGY_INTERVAL_S",
	 CONFIG_I64,
	 F(interval_ms, int64_t),
	 .def = "60",
	 .min = 1,
	 .max = 86400,
	 .scale = 1000,
	 .help = "periodic evaluation (the policy key `ai_so_evaluation_interval` overrides it live)"},
	{"ORCH_STRATEGY_PUBLISH_MIN_MS",
	 CONFIG_I64,
	 F(publish_min_ms, int64_t),
	 .def = "500",
	 .min = 0,
	 .max = 60000,
	 .help = "evaluations after inputs coalesce into at most one per this interval"},
	{"ORCH_STRATEGY_WINDOW",
	 CONFIG_SIZE,
	 F(book.window_count, size_t),
	 .def = "500",
	 .min = 2,
	 .max = 1000000,
	 .help = "trades (predictions) kept per strategy (model)"},
	{"ORCH_STRATEGY_WINDOW_AGE_S",
	 CONFIG_I64,
	 F(book.window_age_ms, int64_t),
	 .def = "2592000",
	 .min = 0,
	 .max = 3650.0 * 86400,
	 .scale = 1000,
	 .help = "trades kept by age (0 = no age limit)"},
	{"ORCH_STRATEGY_MAX",
	 CONFIG_SIZE,
	 F(book.max_units, size_t),
	 .def = "10000",
	 .min = 1,
	 .max = 1000000,
	 .help = "strategies (and models) tracked; later names share `other`"},
	{"ORCH_STRATEGY_DECISION_TTL_S",
	 CONFIG_I64,
	 F(book.decision_ttl_ms, int64_t),
	 .def = "86400",
	 .min = 0,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "how long a decision attributes its symbol's trades"},
	{"ORCH_STRATEGY_REBUILD_MAX",
	 CONFIG_LONG,
	 F(rebuild_max, long),
	 .def = "100000",
	 .min = 0,
	 .max = 10000000,
	 .help = "entries replayed per input stream on takeover"},
	{"ORCH_STRATEGY_REPORT_TOP",
	 CONFIG_LONG,
	 F(top, long),
	 .def = "20",
	 .min = 0,
	 .max = 1000000,
	 .help = "ranking entries in `strategy_state_update` (0 = all)"},
	{"ORCH_CEO_RULES",
	 CONFIG_CUSTOM,
	 0,
	 .def = "default",
	 .parse = parse_rules,
	 .help = "the layer's rule set (the CEO's setting, read here too): `original` turns the PSR disable rule "
		 "off and the win-rate and losses-in-a-row rules on, as the original system's; the defaults shown are "
		 "the `default` set's"},
	{"ORCH_STRATEGY_MIN_TRADES",
	 CONFIG_LONG,
	 F(base.min_trades, long),
	 .min = 2,
	 .max = 1000000,
	 .help = "trades in the window before a strategy is ranked (eligible)",
	 .rule = 1},
	{"ORCH_STRATEGY_CONFIDENCE",
	 CONFIG_DOUBLE,
	 F(base.confidence, double),
	 .min = 0.5001,
	 .max = 0.9999,
	 .help = "two-sided confidence of the Wilson interval on win rates and accuracies"},
	{"ORCH_STRATEGY_DISABLE_WIN_RATE",
	 CONFIG_DOUBLE,
	 F(base.disable_win_rate, double),
	 .min = 0,
	 .max = 0.999,
	 .help = "disable when the win rate's upper bound falls below this (0 = off; original rules 0.40)",
	 .rule = 1},
	{"ORCH_STRATEGY_ENABLE_WIN_RATE",
	 CONFIG_DOUBLE,
	 F(base.enable_win_rate, double),
	 .min = 0.001,
	 .max = 0.999,
	 .help = "re-enable when the win rate's lower bound rises above this",
	 .rule = 1},
	{"ORCH_STRATEGY_DISABLE_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(base.disable_drawdown, double),
	 .min = 0.001,
	 .max = 1,
	 .help = "disable at this drawdown of the strategy's own equity",
	 .rule = 1},
	{"ORCH_STRATEGY_ENABLE_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(base.enable_drawdown, double),
	 .min = 0.001,
	 .max = 1,
	 .help = "re-enable below this drawdown",
	 .rule = 1},
	{"ORCH_STRATEGY_DISABLE_PSR",
	 CONFIG_DOUBLE,
	 F(base.disable_psr, double),
	 .min = 0,
	 .max = 0.999,
	 .help = "disable when the PSR (probability that the per-trade Sharpe is above 0) falls below this with "
		 "at least ORCH_STRATEGY_MIN_TRADES: 95% sure of a negative edge at 0.05; 0 = off, as the original",
	 .rule = 1},
	{"ORCH_STRATEGY_ENABLE_PSR",
	 CONFIG_DOUBLE,
	 F(base.enable_psr, double),
	 .min = 0.001,
	 .max = 0.999,
	 .help = "re-enable a strategy disabled for its PSR when the PSR is back at this (even odds)"},
	{"ORCH_STRATEGY_DISABLE_LOSSES",
	 CONFIG_LONG,
	 F(base.disable_losses, long),
	 .min = 0,
	 .max = 1000000,
	 .help = "disable after this many losses in a row (0 = off; original rules 8)",
	 .rule = 1},
	{"ORCH_STRATEGY_DISABLE_ACCURACY",
	 CONFIG_DOUBLE,
	 F(base.disable_accuracy, double),
	 .min = 0.001,
	 .max = 0.999,
	 .help = "disable a model when its accuracy's upper bound falls below this"},
	{"ORCH_STRATEGY_ENABLE_ACCURACY",
	 CONFIG_DOUBLE,
	 F(base.enable_accuracy, double),
	 .min = 0.001,
	 .max = 0.999,
	 .help = "re-enable a model when its accuracy's lower bound rises above this"},
	{"ORCH_STRATEGY_FALLBACK_MAX_CORR",
	 CONFIG_DOUBLE,
	 F(base.max_fallback_corr, double),
	 .min = -1,
	 .max = 1,
	 .help = "a fallback's return correlation with the primary must stay below this"},
	{"ORCH_STRATEGY_CORR_PERIOD_S",
	 CONFIG_I64,
	 F(base.corr_period_ms, int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "period of the returns the correlation is measured on"},
	{"ORCH_STRATEGY_QUIET_S",
	 CONFIG_I64,
	 F(base.quiet_ms, int64_t),
	 .min = 0,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "minimum time between state changes of one strategy"},
	{"ORCH_STRATEGY_STALE_S",
	 CONFIG_I64,
	 F(base.stale_ms, int64_t),
	 .min = 1,
	 .max = 365 * 86400,
	 .scale = 1000,
	 .help = "recency scale: a strategy without trades for this long ranks lower"},
};
#undef F

static void init(void *base)
{
	struct strategy_officer_config *c = base;
	memset(c, 0, sizeof(*c));
	strat_thresholds_defaults(&c->base);
	char err[128];
	parse_inputs("ORCH_STRATEGY_INPUTS", strat_input_known_types(), c, err, sizeof(err));
}

const struct config_table strategy_officer_config_table = {"strategy_officer",
							   settings,
							   sizeof(settings) / sizeof(settings[0]),
							   sizeof(struct strategy_officer_config),
							   init};

int strategy_officer_config_load(struct strategy_officer_config *c, char *err, size_t errlen)
{
	init(c);
	int rc = config_table_load(&strategy_officer_config_table, c, err, errlen);
	if (rc != 0)
		return rc;
	char why[128];
	if (strat_thresholds_validate(&c->base, why, sizeof(why)) != 0) {
		snprintf(err,
			 errlen,
			 "ORCH_STRATEGY_DISABLE_* / ORCH_STRATEGY_ENABLE_*: %s (each enable threshold must be "
			 "stricter than its disable threshold)",
			 why);
		return ORCH_EINVAL;
	}
	return 0;
}
