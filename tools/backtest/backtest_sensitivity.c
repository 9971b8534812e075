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

#include "config.h"
#include "orch.h"

/* The services' settings tables and where each one's struct lives in
 * struct backtest_config; their settings marked `rule` are the rule
 * parameters. */
static const struct {
	const struct config_table *table;
	size_t offset;
} tables[] = {
	{&ceo_config_table, offsetof(struct backtest_config, ceo)},
	{&risk_officer_config_table, offsetof(struct backtest_config, risk)},
	{&strategy_officer_config_table, offsetof(struct backtest_config, strat)},
};

/* A rule parameter's value in c, in the setting's unit; 0 with *ok 0 for a
 * type that is not a number. */
static double value_of(const struct config_setting *st, const void *base, int *ok)
{
	const char *at = (const char *)base + st->offset;
	double scale = st->scale != 0 ? st->scale : 1;
	*ok = 1;
	switch (st->type) {
	case CONFIG_DOUBLE:
		return *(const double *)(const void *)at / scale;
	case CONFIG_INT:
		return *(const int *)(const void *)at / scale;
	case CONFIG_LONG:
		return (double)*(const long *)(const void *)at / scale;
	case CONFIG_I64:
		return (double)*(const int64_t *)(const void *)at / scale;
	case CONFIG_SIZE:
		return (double)*(const size_t *)(const void *)at / scale;
	default:
		*ok = 0;
		return 0;
	}
}

/* v as the setting's text: whole numbers for whole-number settings. */
static void format_value(const struct config_setting *st, double v, char *buf, size_t len)
{
	if (st->type == CONFIG_DOUBLE)
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
		cell = json_pack("{s:s, s:O, s:O, s:O, s:O}",
				 "value",
				 text,
				 "sharpe",
				 json_object_get(w, "sharpe"),
				 "max_drawdown",
				 json_object_get(w, "max_drawdown"),
				 "calmar",
				 json_object_get(w, "calmar"),
				 "black_swan",
				 json_object_get(m, "BLACK_SWAN"));
	}
	json_decref(summary);
	backtest_result_release(&r);
	free(sets);
	return cell;
}

/* One row: the parameter at half and at double its value in c. */
static json_t *row_for(const struct replay_prices *p, const struct backtest_sources *src,
		       const struct config_setting *st, double v)
{
	char base[32], half[32], twice[32];
	format_value(st, v, base, sizeof(base));
	format_value(st, v / 2, half, sizeof(half));
	format_value(st, v * 2, twice, sizeof(twice));
	return json_pack("{s:s, s:s, s:o, s:o}",
			 "setting",
			 st->name,
			 "value",
			 base,
			 "half",
			 run_cell(p, src, st->name, half),
			 "double",
			 run_cell(p, src, st->name, twice));
}

json_t *backtest_sensitivity(const struct replay_prices *p, const struct backtest_sources *src,
			     const struct backtest_config *c, char *err, size_t errlen)
{
	json_t *table = json_array();
	for (size_t t = 0; table && t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct config_table *ct = tables[t].table;
		for (size_t i = 0; table && i < ct->n; i++) {
			const struct config_setting *st = &ct->settings[i];
			int ok;
			double v = value_of(st, (const char *)c + tables[t].offset, &ok);
			if (!st->rule || !ok)
				continue;
			json_t *row = row_for(p, src, st, v);
			if (!row || json_array_append_new(table, row) != 0) {
				json_decref(table);
				table = NULL;
			}
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
		fprintf(f,
			" %-10s %-33.33s",
			json_string_value(json_object_get(cell, "value")),
			"refused by the service");
		return;
	}
	fprintf(f,
		" %-10s %6.2f %7.1f%% %6.2f %7.1f%%",
		json_string_value(json_object_get(cell, "value")),
		json_number_value(json_object_get(cell, "sharpe")),
		100 * json_number_value(json_object_get(cell, "max_drawdown")),
		json_number_value(json_object_get(cell, "calmar")),
		100 * json_number_value(json_object_get(cell, "black_swan")));
}

void backtest_sensitivity_print(FILE *f, const json_t *table, const json_t *summary)
{
	const json_t *w = json_object_get(summary, "with_layer");
	const json_t *m = json_object_get(json_object_get(summary, "layer"), "time_in_mode");
	fprintf(f,
		"\nSensitivity of the book with the layer: each rule parameter at half and double its value\n"
		"(base: Sharpe %.2f, max drawdown %.1f%%, Calmar %.2f, BLACK_SWAN %.1f%% of days)\n\n",
		json_number_value(json_object_get(w, "sharpe")),
		100 * json_number_value(json_object_get(w, "max_drawdown")),
		json_number_value(json_object_get(w, "calmar")),
		100 * json_number_value(json_object_get(m, "BLACK_SWAN")));
	fprintf(f,
		"%-32s %-8s | %-10s %6s %8s %6s %8s | %-10s %6s %8s %6s %8s\n",
		"setting",
		"value",
		"half",
		"Sharpe",
		"max dd",
		"Calmar",
		"B_SWAN",
		"double",
		"Sharpe",
		"max dd",
		"Calmar",
		"B_SWAN");
	size_t i;
	const json_t *row;
	json_array_foreach(table, i, row)
	{
		fprintf(f,
			"%-32s %-8s |",
			json_string_value(json_object_get(row, "setting")),
			json_string_value(json_object_get(row, "value")));
		print_cell(f, json_object_get(row, "half"));
		fprintf(f, " |");
		print_cell(f, json_object_get(row, "double"));
		fprintf(f, "\n");
	}
	fprintf(f, "Refused (the services would not start with these values):\n");
	json_array_foreach(table, i, row)
	{
		static const char *const sides[] = {"half", "double"};
		for (int k = 0; k < 2; k++) {
			const json_t *cell = json_object_get(row, sides[k]);
			const char *error = json_string_value(json_object_get(cell, "error"));
			if (error)
				fprintf(f,
					"  %s=%s: %s\n",
					json_string_value(json_object_get(row, "setting")),
					json_string_value(json_object_get(cell, "value")),
					error);
		}
	}
}
