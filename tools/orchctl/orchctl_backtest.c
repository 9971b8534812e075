/*
 * orchctl_backtest.c - `orchctl backtest`: the layer over a CSV of daily
 * closes in one process (tools/backtest), the summary `make demo` prints
 * (replay_summary.h), optionally its JSON, a self-contained HTML report and
 * a sensitivity table of the rule parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backtest.h"
#include "backtest_report.h"
#include "backtest_sensitivity.h"
#include "clock.h"
#include "orch.h"
#include "orchctl.h"
#include "orchctl_io.h"

#define PREFIX    "orchctl backtest: "
#define MAX_SETS  128
#define MIN_INSTR 2
#define MIN_DAYS  60

struct bt_opts {
	const char *prices, *summary_json, *report, *synthetic, *write_prices;
	const char *prices_name; /* for the summary: the file, or "synthetic AxY" */
	char synthetic_name[48];
	int sensitivity;
	struct backtest_setting sets[MAX_SETS];
	size_t n_sets;
};

static void orchctl_backtest_usage(FILE *f)
{
	fprintf(f,
		"usage: orchctl backtest --prices FILE | --synthetic ASSETSxYEARS [--rules original|default]\n"
		"                        [--set NAME=VALUE ...] [--summary-json OUT] [--report OUT.html]\n"
		"                        [--sensitivity] [--write-prices OUT.csv]\n"
		"\n"
		"Runs the layer's own code (Risk Officer, Strategy Officer, CEO and the demo's\n"
		"book) over daily closes in one process, in event time, without Redis, and\n"
		"prints what `make demo` prints for the same file: the CEO's mode switches and\n"
		"the book with and without the layer.\n"
		"\n"
		"  --prices FILE        CSV: a header \"date,NAME,...\" (%d to %d instruments), then one\n"
		"                       row per day (at least %d) with a date (YYYY-MM-DD or a decimal\n"
		"                       year) and a positive close per instrument\n"
		"  --synthetic AxY      instead: A instruments over Y years of synthetic prices, the\n"
		"                       same on every run (e.g. 30x10); --write-prices saves them\n"
		"  --rules SET          the CEO's rule set, ORCH_CEO_RULES (default: default)\n"
		"  --set NAME=VALUE     a service setting (ORCH_CEO_*, ORCH_RISK_*, ORCH_STRATEGY_*);\n"
		"                       settings otherwise come from deploy/env/replay.env (built\n"
		"                       in), then the environment, as in `make demo`\n"
		"  --summary-json OUT   also write the summary as JSON\n"
		"  --report OUT.html    write a self-contained HTML page: equity, drawdown, modes\n"
		"  --sensitivity        run each rule parameter at half and double its value and\n"
		"                       print Sharpe, max drawdown, Calmar and BLACK_SWAN share\n"
		"                       (also under \"sensitivity\" in the JSON)\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 success, 2 usage, settings or input error.\n",
		MIN_INSTR,
		RB_MAX_INSTR,
		MIN_DAYS);
}

/* Adds a copy of "NAME=VALUE" (freed by release_opts). */
static int add_set(struct bt_opts *o, const char *text)
{
	const char *eq = strchr(text, '=');
	if (!eq || eq == text) {
		fprintf(stderr, PREFIX "--set wants NAME=VALUE, got '%s'\n", text);
		return ORCH_EINVAL;
	}
	if (o->n_sets == MAX_SETS) {
		fprintf(stderr, PREFIX "more than %d --set values\n", MAX_SETS);
		return ORCH_EINVAL;
	}
	char *nv = strdup(text);
	if (!nv) {
		fprintf(stderr, PREFIX "out of memory\n");
		return ORCH_ENOMEM;
	}
	nv[eq - text] = '\0';
	o->sets[o->n_sets++] = (struct backtest_setting){nv, nv + (eq - text) + 1};
	return 0;
}

static void release_opts(struct bt_opts *o)
{
	for (size_t i = 0; i < o->n_sets; i++)
		free((char *)o->sets[i].name);
	o->n_sets = 0;
}

/* Returns 0, 1 for --help (printed), or ORCH_EINVAL (printed). */
static int parse_args(int argc, char **argv, struct bt_opts *o)
{
	static const char *const valued[] = {
		"--prices", "--summary-json", "--report", "--rules", "--set", "--synthetic", "--write-prices"};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			orchctl_backtest_usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--sensitivity")) {
			o->sensitivity = 1;
			continue;
		}
		const char *v = NULL;
		size_t k;
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]) && !v; k++) {
			int rc = orchctl_take_value(argc, argv, &i, valued[k], PREFIX, "backtest", &v);
			if (rc != 0)
				return rc;
		}
		if (!v) {
			fprintf(stderr, PREFIX "unknown argument '%s' (see orchctl backtest --help)\n", argv[i]);
			return ORCH_EINVAL;
		}
		switch (k - 1) {
		case 0:
			o->prices = v;
			break;
		case 1:
			o->summary_json = v;
			break;
		case 2:
			o->report = v;
			break;
		case 3: {
			char nv[64];
			snprintf(nv, sizeof(nv), "ORCH_CEO_RULES=%s", v);
			if (add_set(o, nv) != 0)
				return ORCH_EINVAL;
			break;
		}
		case 4:
			if (add_set(o, v) != 0)
				return ORCH_EINVAL;
			break;
		case 5:
			o->synthetic = v;
			break;
		default:
			o->write_prices = v;
		}
	}
	o->prices_name = o->prices;
	if (!o->prices == !o->synthetic) {
		fprintf(stderr,
			PREFIX "give --prices FILE or --synthetic ASSETSxYEARS (see orchctl backtest --help)\n");
		return ORCH_EINVAL;
	}
	return 0;
}

/* The built-in replay mode's settings into out (text kept in *buf). */
static int replay_settings(struct backtest_setting *out, size_t max, char **buf, size_t *n)
{
	int bad = 0;
	*buf = strdup(backtest_replay_env);
	int k = *buf ? backtest_env_parse(*buf, out, max, &bad) : ORCH_ENOMEM;
	if (k < 0) {
		fprintf(stderr, PREFIX "the built-in deploy/env/replay.env: line %d is not NAME=VALUE\n", bad);
		return k;
	}
	*n = (size_t)k;
	return 0;
}

/* The prices: the file, or the synthetic ones (written out when asked).
 * Errors printed. */
static int load_prices(struct bt_opts *o, struct replay_prices *p)
{
	char err[512];
	int rc;
	if (o->prices) {
		if ((rc = replay_prices_load(o->prices, MIN_INSTR, MIN_DAYS, p, err, sizeof(err))) != 0)
			fprintf(stderr, PREFIX "%s\n", err);
		return rc;
	}
	int assets, years;
	char tail;
	if (sscanf(o->synthetic, "%dx%d%c", &assets, &years, &tail) != 2 || assets < MIN_INSTR ||
	    assets > RB_MAX_INSTR || years < 1 || years > 100) {
		fprintf(stderr,
			PREFIX "--synthetic wants ASSETSxYEARS with %d to %d assets and 1 to 100 years, got '%s'\n",
			MIN_INSTR,
			RB_MAX_INSTR,
			o->synthetic);
		return ORCH_EINVAL;
	}
	if ((rc = replay_prices_synthetic(assets, (size_t)years * 261, 1, p)) != 0) {
		fprintf(stderr, PREFIX "out of memory\n");
		return rc;
	}
	snprintf(o->synthetic_name, sizeof(o->synthetic_name), "synthetic %dx%d", assets, years);
	o->prices_name = o->synthetic_name;
	if (!o->write_prices)
		return 0;
	FILE *f = fopen(o->write_prices, "w");
	rc = f ? replay_prices_write(f, p) : ORCH_EIO;
	if (f && fclose(f) != 0)
		rc = ORCH_EIO;
	if (rc != 0)
		fprintf(stderr, PREFIX "cannot write %s\n", o->write_prices);
	return rc;
}

/* What follows the run: the table, the JSON, the sensitivity, the report. */
static int outputs(const struct bt_opts *o, const struct replay_prices *p, const struct backtest_sources *src,
		   const struct backtest_config *cfg, struct backtest_result *r, double secs)
{
	char err[512];
	json_t *sens = NULL;
	json_t *summary =
		replay_summary_json(&r->rec, p, o->prices_name, ceo_rules_name(cfg->ceo.brain.rules), r->switches);
	r->switches = NULL;
	int rc = summary ? 0 : ORCH_ENOMEM;
	if (rc == 0) {
		replay_summary_print(stdout, summary);
		printf("(%zu days x %d instruments in %.3f s, in one process)\n", p->n_days, p->n_instr, secs);
		if (r->dead_letters)
			fprintf(stderr,
				PREFIX "%ld inputs the services would have dead-lettered as malformed\n",
				r->dead_letters);
	}
	if (rc == 0 && o->sensitivity) {
		if ((sens = backtest_sensitivity(p, src, cfg, err, sizeof(err))) != NULL) {
			backtest_sensitivity_print(stdout, sens, summary);
			rc = json_object_set(summary, "sensitivity", sens) == 0 ? 0 : ORCH_ENOMEM;
		} else {
			rc = ORCH_ENOMEM;
		}
	}
	if (rc == 0 && o->summary_json &&
	    json_dump_file(summary, o->summary_json, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		fprintf(stderr, PREFIX "cannot write %s\n", o->summary_json);
		rc = ORCH_EIO;
	}
	if (rc == 0 && o->report &&
	    (rc = backtest_report_write(o->report, summary, p, &r->rec, sens, err, sizeof(err))) != 0)
		fprintf(stderr, PREFIX "%s\n", err);
	if (rc == ORCH_ENOMEM)
		fprintf(stderr, PREFIX "out of memory\n");
	json_decref(sens);
	json_decref(summary);
	return rc;
}

int orchctl_backtest(int argc, char **argv)
{
	struct bt_opts o;
	struct backtest_setting replay[128];
	struct replay_prices p;
	struct backtest_result r;
	struct backtest_config cfg;
	char err[512], *env_text = NULL;
	size_t n_replay = 0;
	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	int rc = parse_args(argc, argv, &o);
	if (rc == 1) {
		rc = 0;
		goto out;
	}
	if (rc != 0 || (rc = replay_settings(replay, 128, &env_text, &n_replay)) != 0)
		goto out;
	if ((rc = load_prices(&o, &p)) != 0)
		goto out;
	struct backtest_sources src = {
		.sets = o.sets, .n_sets = o.n_sets, .replay = replay, .n_replay = n_replay, .environ = 1};
	if ((rc = backtest_config_load(&src, &cfg, err, sizeof(err))) != 0) {
		fprintf(stderr, PREFIX "%s\n", err);
		goto out;
	}
	int64_t t0 = clock_mono_ns();
	if ((rc = backtest_run(&p, &cfg, &r, err, sizeof(err))) != 0) {
		fprintf(stderr, PREFIX "%s\n", err);
		goto out;
	}
	rc = outputs(&o, &p, &src, &cfg, &r, (double)(clock_mono_ns() - t0) / 1e9);
out:
	backtest_result_release(&r);
	replay_prices_release(&p);
	release_opts(&o);
	free(env_text);
	return rc;
}
