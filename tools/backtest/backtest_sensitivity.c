/*
 * backtest_sensitivity.c - each rule parameter at half and double its
 * value (see backtest_sensitivity.h).
 */
#include "backtest_sensitivity.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ceo_policy.h"
#include "orch.h"

enum kind { K_DOUBLE, K_INT, K_LONG, K_INT64, K_SIZE };

/* A rule parameter: its setting, where its value lives in struct
 * backtest_config, and the setting's unit over the stored one (seconds
 * stored as ms: 1000). */
struct param {
	const char *setting;
	enum kind kind;
	size_t offset;
	int64_t scale;
};

#define CFG(field) offsetof(struct backtest_config, field)

/* The rule parameters: what decides a mode, a limit or a disable, not how
 * the services run. The settings of rule sets to come join this list. */
static const struct param params[] = {
	{"ORCH_CEO_CRITICAL_DRAWDOWN", K_DOUBLE, CFG(ceo.brain.th.critical_drawdown), 1},
	{"ORCH_CEO_PRESERVATION_DRAWDOWN", K_DOUBLE, CFG(ceo.brain.th.preservation_drawdown), 1},
	{"ORCH_CEO_DEFENSIVE_DRAWDOWN", K_DOUBLE, CFG(ceo.brain.th.defensive_drawdown), 1},
	{"ORCH_CEO_RISK_CRITICAL", K_DOUBLE, CFG(ceo.brain.th.risk_critical), 1},
	{"ORCH_CEO_RISK_DEFENSIVE", K_DOUBLE, CFG(ceo.brain.th.risk_defensive), 1},
	{"ORCH_CEO_RISK_EXPANSION_CEILING", K_DOUBLE, CFG(ceo.brain.th.risk_expansion_ceiling), 1},
	{"ORCH_CEO_RISK_GROWTH_CEILING", K_DOUBLE, CFG(ceo.brain.th.risk_growth_ceiling), 1},
	{"ORCH_CEO_DEFENSIVE_WIN_RATE", K_DOUBLE, CFG(ceo.brain.th.defensive_win_rate), 1},
	{"ORCH_CEO_EXPANSION_WIN_RATE", K_DOUBLE, CFG(ceo.brain.th.expansion_win_rate), 1},
	{"ORCH_CEO_GROWTH_WIN_RATE", K_DOUBLE, CFG(ceo.brain.th.growth_win_rate), 1},
	{"ORCH_CEO_CONFIRMATIONS", K_INT, CFG(ceo.brain.confirmations), 1},
	{"ORCH_CEO_COOLDOWN_S", K_INT64, CFG(ceo.brain.cooldown_ms), 1000},
	{"ORCH_CEO_COOLDOWN_AGGRESSIVE_S", K_INT64, CFG(ceo.brain.cooldown_aggressive_ms), 1000},
	{"ORCH_RISK_WINDOW", K_SIZE, CFG(risk.book.window_count), 1},
	{"ORCH_RISK_MAX_DRAWDOWN", K_DOUBLE, CFG(risk.env.max_drawdown), 1},
	{"ORCH_RISK_MAX_DAILY_DRAWDOWN", K_DOUBLE, CFG(risk.env.max_daily_drawdown), 1},
	{"ORCH_RISK_VAR_CEILING", K_DOUBLE, CFG(risk.env.var_ceiling), 1},
	{"ORCH_RISK_ES_CEILING", K_DOUBLE, CFG(risk.env.es_ceiling), 1},
	{"ORCH_RISK_VOL_CEILING", K_DOUBLE, CFG(risk.env.vol_ceiling), 1},
	{"ORCH_RISK_CONCENTRATION_CEILING", K_DOUBLE, CFG(risk.env.concentration_ceiling), 1},
	{"ORCH_RISK_SCORE_CRITICAL", K_DOUBLE, CFG(risk.env.score_critical), 1},
	{"ORCH_RISK_ALERT_HYSTERESIS", K_DOUBLE, CFG(risk.env.hysteresis), 1},
	{"ORCH_STRATEGY_MIN_TRADES", K_LONG, CFG(strat.base.min_trades), 1},
	{"ORCH_STRATEGY_DISABLE_WIN_RATE", K_DOUBLE, CFG(strat.base.disable_win_rate), 1},
	{"ORCH_STRATEGY_ENABLE_WIN_RATE", K_DOUBLE, CFG(strat.base.enable_win_rate), 1},
	{"ORCH_STRATEGY_DISABLE_DRAWDOWN", K_DOUBLE, CFG(strat.base.disable_drawdown), 1},
	{"ORCH_STRATEGY_ENABLE_DRAWDOWN", K_DOUBLE, CFG(strat.base.enable_drawdown), 1},
	{"ORCH_STRATEGY_DISABLE_LOSSES", K_LONG, CFG(strat.base.disable_losses), 1},
};

#define N_PARAMS (sizeof(params) / sizeof(params[0]))

/* The parameter's value in c, in the setting's unit. */
static double value_of(const struct param *pm, const struct backtest_config *c)
{
	const char *at = (const char *)c + pm->offset;
	switch (pm->kind) {
	case K_DOUBLE:
		return *(const double *)(const void *)at;
	case K_INT:
		return *(const int *)(const void *)at;
	case K_LONG:
		return (double)*(const long *)(const void *)at;
	case K_INT64:
		return (double)(*(const int64_t *)(const void *)at / pm->scale);
	case K_SIZE:
		return (double)*(const size_t *)(const void *)at;
	}
	return 0;
}

/* v as the setting's text: whole numbers for whole-number settings. */
static void format_value(const struct param *pm, double v, char *buf, size_t len)
{
	if (pm->kind == K_DOUBLE)
		snprintf(buf, len, "%.6g", v);
	else
		snprintf(buf, len, "%lld", (long long)llround(v));
}

/* One run with setting = text over src; the cell for the table. */
static json_t *run_cell(const struct replay_prices *p, const struct backtest_sources *src, const char *setting,
			const char *text)
{
	size_t n = src->n_sets + 1;
	struct backtest_setting *sets = malloc(sizeof(*sets) * n);
	struct backtest_config c;
	struct backtest_result r;
	char err[512];
	json_t *cell = NULL, *summary = NULL;
	memset(&r, 0, sizeof(r));
	if (!sets)
		return NULL;
	memcpy(sets, src->sets, sizeof(*sets) * src->n_sets);
	sets[n - 1] = (struct backtest_setting){setting, text};
	struct backtest_sources s = *src;
	s.sets = sets;
	s.n_sets = n;
	int rc = backtest_config_load(&s, &c, err, sizeof(err));
	if (rc == 0)
		rc = backtest_run(p, &c, &r, err, sizeof(err));
	if (rc == ORCH_EINVAL) {
		cell = json_pack("{s:s, s:s}", "value", text, "error", err);
	} else if (rc == 0 && (summary = replay_summary_json(&r.rec, p, "", "", r.switches)) != NULL) {
		r.switches = NULL;
		const json_t *w = json_object_get(summary, "with_layer");
		const json_t *m = json_object_get(json_object_get(summary, "layer"), "time_in_mode");
		cell = json_pack("{s:s, s:O, s:O, s:O, s:O}", "value", text, "sharpe", json_object_get(w, "sharpe"),
				 "max_drawdown", json_object_get(w, "max_drawdown"), "calmar",
				 json_object_get(w, "calmar"), "black_swan", json_object_get(m, "BLACK_SWAN"));
	}
	json_decref(summary);
	backtest_result_release(&r);
	free(sets);
	return cell;
}

json_t *backtest_sensitivity(const struct replay_prices *p, const struct backtest_sources *src,
			     const struct backtest_config *c, char *err, size_t errlen)
{
	json_t *table = json_array();
	for (size_t i = 0; table && i < N_PARAMS; i++) {
		const struct param *pm = &params[i];
		double v = value_of(pm, c);
		char base[32], half[32], twice[32];
		format_value(pm, v, base, sizeof(base));
		format_value(pm, v / 2, half, sizeof(half));
		format_value(pm, v * 2, twice, sizeof(twice));
		json_t *row = json_pack("{s:s, s:s, s:o, s:o}", "setting", pm->setting, "value", base, "half",
					run_cell(p, src, pm->setting, half), "double", run_cell(p, src, pm->setting, twice));
		if (!row || json_array_append_new(table, row) != 0) {
			json_decref(table);
			table = NULL;
		}
	}
	if (!table)
		snprintf(err, errlen, "out of memory");
	return table;
}

static void print_cell(FILE *f, const json_t *cell)
{
	const char *error = json_string_value(json_object_get(cell, "error"));
	if (error) {
		fprintf(f, " %-10s %-33.33s", json_string_value(json_object_get(cell, "value")), "refused by the service");
		return;
	}
	fprintf(f, " %-10s %6.2f %7.1f%% %6.2f %7.1f%%", json_string_value(json_object_get(cell, "value")),
		json_number_value(json_object_get(cell, "sharpe")), 100 * json_number_value(json_object_get(cell, "max_drawdown")),
		json_number_value(json_object_get(cell, "calmar")), 100 * json_number_value(json_object_get(cell, "black_swan")));
}

void backtest_sensitivity_print(FILE *f, const json_t *table, const json_t *summary)
{
	const json_t *w = json_object_get(summary, "with_layer");
	const json_t *m = json_object_get(json_object_get(summary, "layer"), "time_in_mode");
	fprintf(f, "\nSensitivity of the book with the layer: each rule parameter at half and double its value\n"
		   "(base: Sharpe %.2f, max drawdown %.1f%%, Calmar %.2f, BLACK_SWAN %.1f%% of days)\n\n",
		json_number_value(json_object_get(w, "sharpe")), 100 * json_number_value(json_object_get(w, "max_drawdown")),
		json_number_value(json_object_get(w, "calmar")), 100 * json_number_value(json_object_get(m, "BLACK_SWAN")));
	fprintf(f, "%-32s %-8s | %-10s %6s %8s %6s %8s | %-10s %6s %8s %6s %8s\n", "setting", "value", "half", "Sharpe",
		"max dd", "Calmar", "B_SWAN", "double", "Sharpe", "max dd", "Calmar", "B_SWAN");
	size_t i;
	const json_t *row;
	json_array_foreach(table, i, row) {
		fprintf(f, "%-32s %-8s |", json_string_value(json_object_get(row, "setting")),
			json_string_value(json_object_get(row, "value")));
		print_cell(f, json_object_get(row, "half"));
		fprintf(f, " |");
		print_cell(f, json_object_get(row, "double"));
		fprintf(f, "\n");
	}
	fprintf(f, "Refused (the services would not start with these values):\n");
	json_array_foreach(table, i, row) {
		static const char *const sides[] = {"half", "double"};
		for (int k = 0; k < 2; k++) {
			const json_t *cell = json_object_get(row, sides[k]);
			const char *error = json_string_value(json_object_get(cell, "error"));
			if (error)
				fprintf(f, "  %s=%s: %s\n", json_string_value(json_object_get(row, "setting")),
					json_string_value(json_object_get(cell, "value")), error);
		}
	}
}
