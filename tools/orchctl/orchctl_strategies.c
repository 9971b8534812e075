/*
 * orchctl_strategies.c - `orchctl strategies`: reads closed trades from a
 * CSV file and prints the Strategy Officer's ranking, primary, fallback
 * and disabled strategies as one JSON object, computed by the service's
 * own book and brain (strategy_book.h, strategy_brain.h) at the time of
 * the last trade.
 *
 * Columns (by header name): time (ISO-8601 UTC, or seconds since the
 * epoch), strategy, pnl_pct (percent of the stake, > -100); optional
 * model, prediction (buy/sell/long/short/up/down/1/-1) and outcome (the
 * realised direction, same words; without it a prediction is right when
 * pnl_pct > 0), and confidence (probability in [0, 1]).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "json_util.h"
#include "orch.h"
#include "orchctl.h"
#include "orchctl_io.h"
#include "strategy_book.h"
#include "strategy_brain.h"
#include "strategy_report.h"

#define PREFIX "orchctl strategies: "

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orchctl strategies --trades FILE [--mode MODE] [--min-trades N]\n"
		"                          [--window N] [--window-age-days D]\n"
		"\n"
		"Ranks the strategies of a CSV file of closed trades with the strategy_officer's\n"
		"own code and prints one JSON object: ranking (each strategy with its scores and\n"
		"status), primary, fallback, disabled ({strategy, reason, evidence}) and models.\n"
		"\n"
		"  --trades FILE          CSV, first row a header ('-' reads stdin) with columns\n"
		"                         time, strategy, pnl_pct (percent); optional model,\n"
		"                         prediction, outcome, confidence\n"
		"  --mode MODE            operating mode whose thresholds apply (default GROWTH;\n"
		"                         DEFENSIVE, CAPITAL_PRESERVATION, BLACK_SWAN are stricter)\n"
		"  --min-trades N         trades needed to be eligible (default 20)\n"
		"  --window N             newest trades kept per strategy (default 500)\n"
		"  --window-age-days D    and no older than D days before the last trade\n"
		"                         (default 30; 0 = no age limit)\n"
		"  -h, --help             this text\n"
		"\n"
		"Evaluated once, at the time of the last trade. Exit status: 0 success, 2 error.\n");
}

struct strat_opts {
	const char *trades;
	const char *mode;
	long min_trades;
	long window;
	double age_days;
};

static int parse_count(const char *opt, const char *val, long lo, long *out)
{
	double v;
	if (orchctl_parse_double(val, &v) != 0 || v != floor(v) || v < (double)lo || v > 1e9) {
		fprintf(stderr, PREFIX "bad %s '%s': must be a whole number >= %ld\n", opt, val, lo);
		return ORCH_EINVAL;
	}
	*out = (long)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct strat_opts *o, int *help)
{
	static const char *const names[] = {"--trades", "--mode", "--min-trades", "--window", "--window-age-days"};
	*o = (struct strat_opts){.mode = "GROWTH", .min_trades = 20, .window = 500, .age_days = 30};
	*help = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int opt = -1, rc;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*help = 1;
			return 0;
		}
		for (int k = 0; k < 5 && opt < 0; k++) {
			if ((rc = orchctl_take_value(argc, argv, &i, names[k], PREFIX, "strategies", &val)) != 0)
				return rc;
			if (val)
				opt = k;
		}
		switch (opt) {
		case 0:
			o->trades = val;
			break;
		case 1:
			if (strcmp(val, "EXPANSION") && strcmp(val, "GROWTH") && strcmp(val, "DEFENSIVE") &&
			    strcmp(val, "CAPITAL_PRESERVATION") && strcmp(val, "BLACK_SWAN")) {
				fprintf(stderr,
					PREFIX "bad --mode '%s': one of EXPANSION, GROWTH, DEFENSIVE, "
					       "CAPITAL_PRESERVATION, BLACK_SWAN\n",
					val);
				return ORCH_EINVAL;
			}
			o->mode = val;
			break;
		case 2:
			if ((rc = parse_count("--min-trades", val, 2, &o->min_trades)) != 0)
				return rc;
			break;
		case 3:
			if ((rc = parse_count("--window", val, 2, &o->window)) != 0)
				return rc;
			break;
		case 4:
			if (orchctl_parse_double(val, &o->age_days) != 0 ||
			    !(o->age_days >= 0 && o->age_days <= 36500)) {
				fprintf(stderr,
					PREFIX "bad --window-age-days '%s': must be a number in [0, 36500]\n",
					val);
				return ORCH_EINVAL;
			}
			break;
		default:
			if (a[0] == '-' && a[1] != '\0')
				fprintf(stderr, PREFIX "unknown option '%s' (see orchctl strategies --help)\n", a);
			else
				fprintf(stderr, PREFIX "unexpected argument '%s' (see orchctl strategies --help)\n", a);
			return ORCH_EINVAL;
		}
	}
	if (!o->trades) {
		fprintf(stderr, PREFIX "missing --trades FILE (see orchctl strategies --help)\n");
		return ORCH_EINVAL;
	}
	return 0;
}

/* +1 / -1 for a direction word, 0 when s is not one. */
static int direction(const char *s)
{
	static const char *const up[] = {"buy", "long", "up", "1", "+1"}, *const down[] = {
										  "sell", "short", "down", "-1"};
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++)
		if (!strcasecmp(s, up[i]))
			return 1;
	for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++)
		if (!strcasecmp(s, down[i]))
			return -1;
	return 0;
}

struct columns {
	size_t time, strategy, pnl;
	size_t model, prediction, outcome, confidence;
	int has_model, has_prediction, has_outcome, has_confidence;
};

static int find_columns(const struct orchctl_csv *csv, struct columns *c)
{
	int rc;
	if ((rc = orchctl_csv_column(csv, "time", 1, &c->time)) != 0 ||
	    (rc = orchctl_csv_column(csv, "strategy", 1, &c->strategy)) != 0 ||
	    (rc = orchctl_csv_column(csv, "pnl_pct", 1, &c->pnl)) != 0)
		return rc;
	c->has_model = orchctl_csv_column(csv, "model", 0, &c->model) == 0;
	c->has_prediction = orchctl_csv_column(csv, "prediction", 0, &c->prediction) == 0;
	c->has_outcome = orchctl_csv_column(csv, "outcome", 0, &c->outcome) == 0;
	c->has_confidence = orchctl_csv_column(csv, "confidence", 0, &c->confidence) == 0;
	return 0;
}

/* Prints "<file>:<line>: column <name>: '<cell>' <what>" and returns
 * ORCH_EMALFORMED. */
static int bad_cell(const struct orchctl_csv *csv, const char *column, const char *cell, const char *what)
{
	int shown = (int)strnlen(cell, ORCHCTL_SHOW_MAX);
	fprintf(stderr,
		PREFIX "%s:%llu: column %s: '%.*s%s' %s\n",
		csv->name,
		csv->lineno,
		column,
		shown,
		cell,
		cell[shown] ? "..." : "",
		what);
	return ORCH_EMALFORMED;
}

static const char *cell_at(const struct orchctl_csv *csv, size_t col)
{
	return col < csv->n ? csv->cells[col] : "";
}

/* One row as a trade input. */
static int parse_row(const struct orchctl_csv *csv, const struct columns *c, struct strat_input *in)
{
	memset(in, 0, sizeof(*in));
	in->kind = STRAT_IN_TRADE;
	in->confidence = -1;
	const char *t = cell_at(csv, c->time), *s = cell_at(csv, c->strategy), *p = cell_at(csv, c->pnl);
	int64_t us;
	double v;
	if (json_util_parse_ts_us(t, &us) == 0)
		in->t_ms = us / 1000;
	else if (orchctl_parse_double(t, &v) == 0 && isfinite(v) && v >= 0 && v < 1e11)
		in->t_ms = (int64_t)llround(v * 1000);
	else
		return bad_cell(csv, "time", t, "is not an ISO-8601 time or seconds since the epoch");
	if (!*s)
		return bad_cell(csv, "strategy", s, "is empty");
	if (strlen(s) >= sizeof(in->strategy))
		return bad_cell(csv, "strategy", s, "is longer than 63 bytes");
	snprintf(in->strategy, sizeof(in->strategy), "%s", s);
	if (orchctl_parse_double(p, &v) != 0 || !isfinite(v))
		return bad_cell(csv, "pnl_pct", p, "is not a number");
	if (!(v > -100))
		return bad_cell(csv, "pnl_pct", p, "is a loss beyond 100% (pnl_pct is in percent, > -100)");
	in->ret = v / 100;
	const char *m = c->has_model ? cell_at(csv, c->model) : "";
	if (strlen(m) >= sizeof(in->model))
		return bad_cell(csv, "model", m, "is longer than 63 bytes");
	snprintf(in->model, sizeof(in->model), "%s", m);
	if (c->has_prediction && *cell_at(csv, c->prediction) && !(in->side = direction(cell_at(csv, c->prediction))))
		return bad_cell(csv,
				"prediction",
				cell_at(csv, c->prediction),
				"is not buy, sell, long, short, up, down, 1 or -1");
	if (c->has_outcome && *cell_at(csv, c->outcome) && !(in->outcome = direction(cell_at(csv, c->outcome))))
		return bad_cell(
			csv, "outcome", cell_at(csv, c->outcome), "is not buy, sell, long, short, up, down, 1 or -1");
	if (c->has_confidence && *cell_at(csv, c->confidence)) {
		const char *cc = cell_at(csv, c->confidence);
		if (orchctl_parse_double(cc, &v) != 0 || !(v >= 0 && v <= 1))
			return bad_cell(csv, "confidence", cc, "is not a probability in [0, 1]");
		in->confidence = v;
	}
	return 0;
}

struct rows {
	struct strat_input *v;
	size_t n, cap;
};

static int rows_push(struct rows *r, const struct strat_input *in)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 1024;
		struct strat_input *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return ORCH_ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *in;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct strat_input *x = a, *y = b;
	return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* Reads every row of path into rows (the caller frees rows->v). */
static int read_trades(const char *path, struct rows *rows)
{
	struct orchctl_csv csv;
	struct columns cols;
	int rc = orchctl_csv_open(&csv, path, PREFIX);
	if (rc != 0)
		goto out;
	if (!csv.n_header) {
		fprintf(stderr, PREFIX "no trades in %s (the file is empty)\n", csv.name);
		rc = ORCH_EMALFORMED;
		goto out;
	}
	if ((rc = find_columns(&csv, &cols)) != 0)
		goto out;
	while ((rc = orchctl_csv_next(&csv)) == 1) {
		struct strat_input in;
		if ((rc = parse_row(&csv, &cols, &in)) != 0)
			goto out;
		if ((rc = rows_push(rows, &in)) != 0) {
			fprintf(stderr, PREFIX "reading %s: %s\n", csv.name, orch_strerror(rc));
			goto out;
		}
	}
	if (rc == 0 && rows->n == 0) {
		fprintf(stderr, PREFIX "no trades in %s\n", csv.name);
		rc = ORCH_EMALFORMED;
	}
out:
	orchctl_csv_close(&csv);
	return rc;
}

int orchctl_strategies(int argc, char **argv)
{
	struct strat_opts o;
	struct rows rows = {0};
	struct strat_book *book = NULL;
	struct strat_result res = {0};
	json_t *j = NULL;
	char *text = NULL;
	int help = 0, rc;
	if ((rc = parse_args(argc, argv, &o, &help)) != 0)
		goto out;
	if (help) {
		usage(stdout);
		if (fflush(stdout) != 0)
			rc = ORCH_EIO;
		goto out;
	}
	if ((rc = read_trades(o.trades, &rows)) != 0)
		goto out;
	qsort(rows.v, rows.n, sizeof(*rows.v), by_time);
	struct strat_book_config bc = {.window_count = (size_t)o.window,
				       .window_age_ms = (int64_t)(o.age_days * 86400000.0),
				       .max_units = 1000000};
	struct strat_thresholds th;
	strat_thresholds_defaults(&th);
	th.min_trades = o.min_trades;
	strat_thresholds_for_mode(&th, o.mode);
	char why[160];
	if ((rc = strat_book_new(&book, &bc)) != 0)
		goto fail;
	/* rows in time order, each at its own time: a file's history is never "too old" */
	for (size_t i = 0; i < rows.n; i++)
		if ((rc = strat_book_apply(book, &rows.v[i], rows.v[i].t_ms, why, sizeof(why))) != 0)
			goto fail;
	int64_t now = rows.v[rows.n - 1].t_ms;
	if ((rc = strat_brain_evaluate(book, &th, now, &res)) != 0)
		goto fail;
	struct strat_report_ctx c = {.res = &res,
				     .th = &th,
				     .mode = o.mode,
				     .regime = "",
				     .now_ms = now,
				     .window_count = bc.window_count,
				     .window_age_ms = bc.window_age_ms};
	j = strat_report_ranking(&c);
	if (j) {
		char ts[40];
		json_util_format_ts_us(now * 1000, ts, sizeof(ts));
		json_object_set_new(j, "evaluated_at", json_string(ts));
		json_object_set_new(j, "operating_mode", json_string(o.mode));
		json_object_set_new(j, "trades_read", json_integer((json_int_t)rows.n));
	}
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
	if (!text) {
		rc = ORCH_ENOMEM;
		goto fail;
	}
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, PREFIX "writing the result: %s\n", strerror(errno));
		rc = ORCH_EIO;
	}
	goto out;
fail:
	fprintf(stderr, PREFIX "evaluating the trades: %s\n", orch_strerror(rc));
out:
	free(text);
	json_decref(j);
	strat_result_release(&res);
	strat_book_free(book);
	free(rows.v);
	return rc;
}
