/*
 * ceo_config.c - the CEO's settings table (see ceo_config.h).
 */
#include "ceo_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch.h"

/* "max_leverage=3,max_positions=4,enable_rl=false" over one mode's limits;
 * name is ORCH_CEO_LIMITS_<MODE>. */
static int parse_limits(const char *name, const char *s, struct ceo_limits *l, char *err, size_t errlen)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		char *end = NULL;
		if (!eq) {
			snprintf(err,
				 errlen,
				 "%s: expected name=value pairs separated by commas, got '%.200s'",
				 name,
				 s);
			return ORCH_EINVAL;
		}
		*eq = '\0';
		const char *k = kv, *v = eq + 1;
		double d = strtod(v, &end);
		int num = end != v && *end == '\0' && isfinite(d);
		int b = strcmp(v, "true") == 0 ? 1 : strcmp(v, "false") == 0 ? 0 : -1;
		if (!strcmp(k, "max_leverage") && num && d > 0 && d <= 125)
			l->max_leverage = d;
		else if (!strcmp(k, "max_risk_pct_per_trade") && num && d > 0 && d <= 1)
			l->max_risk_pct_per_trade = d;
		else if (!strcmp(k, "max_daily_drawdown") && num && d > 0 && d <= 1)
			l->max_daily_drawdown = d;
		else if (!strcmp(k, "max_positions") && num && d >= 0 && d <= 100 && d == floor(d))
			l->max_positions = (int)d;
		else if (!strcmp(k, "global_min_confidence") && num && d >= 0 && d <= 1)
			l->global_min_confidence = d;
		else if (!strcmp(k, "scaling_factor") && num && d >= 0 && d <= 2)
			l->scaling_factor = d;
		else if (!strcmp(k, "enable_rl") && b >= 0)
			l->enable_rl = b;
		else if (!strcmp(k, "enable_meta_strategy") && b >= 0)
			l->enable_meta_strategy = b;
		else if (!strcmp(k, "enable_pal") && b >= 0)
			l->enable_pal = b;
		else if (!strcmp(k, "enable_pba") && b >= 0)
			l->enable_pba = b;
		else if (!strcmp(k, "enable_clm") && b >= 0)
			l->enable_clm = b;
		else if (!strcmp(k, "enable_retraining") && b >= 0)
			l->enable_retraining = b;
		else if (!strcmp(k, "enable_dynamic_tpsl") && b >= 0)
			l->enable_dynamic_tpsl = b;
		else {
			snprintf(err,
				 errlen,
				 "%s: '%s=%s' is not a limit with a valid value (see docs/ceo.md)",
				 name,
				 k,
				 v);
			return ORCH_EINVAL;
		}
	}
	return 0;
}

#define LIMITS_PARSER(MODE)                                                                                        \
	static int parse_limits_##MODE(const char *name, const char *v, void *base, char *err, size_t errlen)      \
	{                                                                                                          \
		return parse_limits(name, v, &((struct ceo_config *)base)->brain.limits[CEO_##MODE], err, errlen); \
	}
LIMITS_PARSER(GROWTH)
LIMITS_PARSER(EXPANSION)
LIMITS_PARSER(DEFENSIVE)
LIMITS_PARSER(CAPITAL_PRESERVATION)
LIMITS_PARSER(BLACK_SWAN)
#undef LIMITS_PARSER

/* The rule set: its thresholds, limits and transitions as the defaults of
 * every brain row after this one. */
static int parse_rules(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	enum ceo_rules r;
	if (ceo_rules_parse(v, &r) != 0) {
		snprintf(err, errlen, "%s: expected one of default|original, got '%.60s'", name, v);
		return ORCH_EINVAL;
	}
	ceo_brain_config_defaults(&((struct ceo_config *)base)->brain, r);
	return 0;
}

#define F(f, T) CONFIG_FIELD(struct ceo_config, f, T)
#define LIMITS(MODE)                                                                                                 \
	{                                                                                                            \
		"ORCH_CEO_LIMITS_" #MODE, CONFIG_CUSTOM, 0,                                                          \
			.def = "", .parse = parse_limits_##MODE,                                                     \
			.help = "overrides of " #MODE                                                                \
				"'s limits, `name=value,...` (`max_leverage`, `max_risk_pct_per_trade`, "            \
				"`max_daily_drawdown`, `max_positions`, `global_min_confidence`, `scaling_factor`, " \
				"`enable_*`)"                                                                        \
	}
static const struct config_setting settings[] = {
	{"ORCH_CEO_INTERVAL_S",
	 CONFIG_I64,
	 F(interval_ms, int64_t),
	 .def = "30",
	 .min = 1,
	 .max = 86400,
	 .scale = 1000,
	 .help = "periodic decision while leader (the policy key `ai_ceo_decision_interval` overrides it "
		 "live)"},
	{"ORCH_CEO_DEBOUNCE_MS",
	 CONFIG_I64,
	 F(debounce_ms, int64_t),
	 .def = "50",
	 .min = 0,
	 .max = 60000,
	 .help = "decision after an input (inputs within it coalesce)"},
	{"ORCH_CEO_COMMAND_TTL_S",
	 CONFIG_I64,
	 F(command_ttl_ms, int64_t),
	 .def = "60",
	 .min = 1,
	 .max = 86400,
	 .scale = 1000,
	 .help = "an operator command signed longer ago (or further ahead) than this is refused, and "
		 "its request id is remembered this long against replays"},
	{"ORCH_CEO_EVALUATE",
	 CONFIG_ENUM,
	 F(on_command_only, int),
	 .def = "input",
	 .choices = "input|command",
	 .help = "`input`: decide on inputs, alerts and the interval; `command`: only on commands and on taking the "
		 "lease (replays: the feeder says when a day is in)"},
	{"ORCH_CEO_RULES",
	 CONFIG_CUSTOM,
	 0,
	 .def = "default",
	 .parse = parse_rules,
	 .help = "the rule set the CEO decides by (docs/ceo.md): `default`, the layer's; `original`, the original "
		 "system's, kept for comparison. It sets the defaults of the settings below; the defaults shown are "
		 "the `default` set's"},
	{"ORCH_CEO_CONFIRMATIONS",
	 CONFIG_INT,
	 F(brain.confirmations, int),
	 .min = 1,
	 .max = 1000,
	 .help = "consecutive evaluations that must recommend a riskier mode before it is taken",
	 .rule = 1},
	{"ORCH_CEO_COOLDOWN_S",
	 CONFIG_I64,
	 F(brain.cooldown_ms, int64_t),
	 .min = 0,
	 .max = 86400,
	 .scale = 1000,
	 .help = "time since the last change before a riskier mode other than EXPANSION or GROWTH",
	 .rule = 1},
	{"ORCH_CEO_COOLDOWN_AGGRESSIVE_S",
	 CONFIG_I64,
	 F(brain.cooldown_aggressive_ms, int64_t),
	 .min = 0,
	 .max = 86400,
	 .scale = 1000,
	 .help = "time since the last change before EXPANSION or GROWTH",
	 .rule = 1},
	{"ORCH_CEO_RISK_FRESH_S",
	 CONFIG_I64,
	 F(brain.risk_fresh_ms, int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "an older risk state leaves the risk score unknown (counted as DEGRADED health)"},
	{"ORCH_CEO_STRATEGY_FRESH_S",
	 CONFIG_I64,
	 F(brain.strategy_fresh_ms, int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "an older strategy state leaves the win rate unknown (no GROWTH or EXPANSION)"},
	{"ORCH_CEO_HEALTH_FRESH_S",
	 CONFIG_I64,
	 F(brain.health_fresh_ms, int64_t),
	 .min = 1,
	 .max = 30 * 86400,
	 .scale = 1000,
	 .help = "an older health report counts as DEGRADED"},
	{"ORCH_CEO_DEFENSIVE_DD_SIGMA",
	 CONFIG_DOUBLE,
	 F(brain.th.defensive_dd_sigma, double),
	 .min = 0.01,
	 .max = 100,
	 .help = "(default rules) drawdown in sigmas (drawdown / (sd x sqrt(n)) of the Risk Officer's "
		 "window) at which DEFENSIVE is taken; upgrades need half of it",
	 .rule = 1},
	{"ORCH_CEO_PRESERVATION_DD_SIGMA",
	 CONFIG_DOUBLE,
	 F(brain.th.preservation_dd_sigma, double),
	 .min = 0.01,
	 .max = 100,
	 .help = "(default rules) drawdown in sigmas at which CAPITAL_PRESERVATION is taken",
	 .rule = 1},
	{"ORCH_CEO_DEFENSIVE_PSR",
	 CONFIG_DOUBLE,
	 F(brain.th.defensive_psr, double),
	 .min = 0,
	 .max = 1,
	 .help = "(default rules) the book's PSR below which DEFENSIVE is taken",
	 .rule = 1},
	{"ORCH_CEO_EXPANSION_PSR",
	 CONFIG_DOUBLE,
	 F(brain.th.expansion_psr, double),
	 .min = 0,
	 .max = 1,
	 .help = "(default rules) the book's PSR needed for EXPANSION",
	 .rule = 1},
	{"ORCH_CEO_GROWTH_PSR",
	 CONFIG_DOUBLE,
	 F(brain.th.growth_psr, double),
	 .min = 0,
	 .max = 1,
	 .help = "(default rules) the book's PSR needed for GROWTH",
	 .rule = 1},
	{"ORCH_CEO_MIN_BOOK_TRADES",
	 CONFIG_LONG,
	 F(brain.th.min_book_trades, long),
	 .min = 2,
	 .max = 1000000,
	 .help = "(default rules) pooled trades before the book's PSR counts",
	 .rule = 1},
	{"ORCH_CEO_BLACK_SWAN_CALM_S",
	 CONFIG_I64,
	 F(brain.black_swan_calm_ms, int64_t),
	 .min = 0,
	 .max = 365 * 86400,
	 .scale = 1000,
	 .help = "with ORCH_CEO_BLACK_SWAN_EXIT=auto: BLACK_SWAN is left for CAPITAL_PRESERVATION after this long "
		 "without a call for it (0: through the confirmations, as the original)",
	 .rule = 1},
	{"ORCH_CEO_VOL_TARGET",
	 CONFIG_ENUM,
	 F(brain.vol_target, int),
	 .choices = "off|on",
	 .help = "scale the scaling factor by the Risk Officer's long over short volatility per unit of exposure"},
	{"ORCH_CEO_VOL_RATIO_MIN",
	 CONFIG_DOUBLE,
	 F(brain.vol_ratio_min, double),
	 .min = 0.01,
	 .max = 1,
	 .help = "lowest volatility ratio applied",
	 .rule = 1},
	{"ORCH_CEO_VOL_RATIO_MAX",
	 CONFIG_DOUBLE,
	 F(brain.vol_ratio_max, double),
	 .min = 1,
	 .max = 2,
	 .help = "highest volatility ratio applied, in GROWTH (other modes: 1)",
	 .rule = 1},
	{"ORCH_CEO_CRITICAL_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(brain.th.critical_drawdown, double),
	 .min = 0.0001,
	 .max = 1,
	 .help = "(original rules) drawdown (fraction) at which BLACK_SWAN is taken",
	 .rule = 1},
	{"ORCH_CEO_PRESERVATION_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(brain.th.preservation_drawdown, double),
	 .min = 0.0001,
	 .max = 1,
	 .help = "(original rules) drawdown at which CAPITAL_PRESERVATION is taken",
	 .rule = 1},
	{"ORCH_CEO_DEFENSIVE_DRAWDOWN",
	 CONFIG_DOUBLE,
	 F(brain.th.defensive_drawdown, double),
	 .min = 0.0001,
	 .max = 1,
	 .help = "(original rules) drawdown at which DEFENSIVE is taken",
	 .rule = 1},
	{"ORCH_CEO_RISK_CRITICAL",
	 CONFIG_DOUBLE,
	 F(brain.th.risk_critical, double),
	 .min = 0,
	 .max = 100,
	 .help = "risk score (0-100, higher = worse) at which BLACK_SWAN (default rules: CAPITAL_PRESERVATION) is "
		 "taken",
	 .rule = 1},
	{"ORCH_CEO_RISK_DEFENSIVE",
	 CONFIG_DOUBLE,
	 F(brain.th.risk_defensive, double),
	 .min = 0,
	 .max = 100,
	 .help = "risk score at which DEFENSIVE is taken",
	 .rule = 1},
	{"ORCH_CEO_RISK_EXPANSION_CEILING",
	 CONFIG_DOUBLE,
	 F(brain.th.risk_expansion_ceiling, double),
	 .min = 0,
	 .max = 100,
	 .help = "highest risk score that allows EXPANSION",
	 .rule = 1},
	{"ORCH_CEO_RISK_GROWTH_CEILING",
	 CONFIG_DOUBLE,
	 F(brain.th.risk_growth_ceiling, double),
	 .min = 0,
	 .max = 100,
	 .help = "highest risk score that allows GROWTH",
	 .rule = 1},
	{"ORCH_CEO_DEFENSIVE_WIN_RATE",
	 CONFIG_DOUBLE,
	 F(brain.th.defensive_win_rate, double),
	 .min = 0,
	 .max = 1,
	 .help = "(original rules) a known win rate below this takes DEFENSIVE (not from GROWTH)",
	 .rule = 1},
	{"ORCH_CEO_EXPANSION_WIN_RATE",
	 CONFIG_DOUBLE,
	 F(brain.th.expansion_win_rate, double),
	 .min = 0,
	 .max = 1,
	 .help = "(original rules) known win rate needed for EXPANSION",
	 .rule = 1},
	{"ORCH_CEO_GROWTH_WIN_RATE",
	 CONFIG_DOUBLE,
	 F(brain.th.growth_win_rate, double),
	 .min = 0,
	 .max = 1,
	 .help = "(original rules) known win rate needed for GROWTH",
	 .rule = 1},
	{"ORCH_CEO_BLACK_SWAN_EXIT",
	 CONFIG_ENUM,
	 F(brain.black_swan_exit_auto, int),
	 .choices = "manual|auto",
	 .help = "`manual`: BLACK_SWAN is left only by an operator command; `auto`: also when the rules allow"},
	LIMITS(GROWTH),
	LIMITS(EXPANSION),
	LIMITS(DEFENSIVE),
	LIMITS(CAPITAL_PRESERVATION),
	LIMITS(BLACK_SWAN),
};
#undef F
#undef LIMITS

static void init(void *base)
{
	struct ceo_config *c = base;
	memset(c, 0, sizeof(*c));
	ceo_brain_config_defaults(&c->brain, CEO_RULES_DEFAULT);
}

const struct config_table ceo_config_table = {
	"ceo", settings, sizeof(settings) / sizeof(settings[0]), sizeof(struct ceo_config), init};

int ceo_config_load(struct ceo_config *c, char *err, size_t errlen)
{
	init(c);
	int rc = config_table_load(&ceo_config_table, c, err, errlen);
	if (rc != 0)
		return rc;
	char why[160];
	c->brain.th.rules = c->brain.rules;
	if (ceo_thresholds_validate(&c->brain.th, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "ORCH_CEO_* thresholds: %s", why);
		return ORCH_EINVAL;
	}
	return 0;
}
