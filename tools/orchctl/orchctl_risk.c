/*
 * orchctl_risk.c - `orchctl risk`: reads one column of per-period simple
 * returns from a CSV file and prints their risk metrics as one JSON object,
 * computed by risk_metrics_compute() (risk_models.h), the code the
 * risk_officer service runs, so an offline check gives the service's
 * numbers.
 * The CSV dialect is orchctl_io.h's.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "orch.h"
#include "orchctl.h"
#include "orchctl_io.h"
#include "risk_models.h"

#define PREFIX      "orchctl risk: "
#define EWMA_LAMBDA 0.94 /* RiskMetrics daily decay, as the service */

struct risk_opts {
	const char *returns; /* path, "-" for stdin */
	const char *column;  /* NULL: the first column */
	double conf[RISK_MAX_CONF];
	int n_conf;
	double periods_per_year;
};

/* The returns read from the file. */
struct series {
	double *r;
	size_t n;
	size_t cap;
	char *column; /* name of the column read */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orchctl risk --returns FILE.csv [--column NAME] [--confidence 0.95,0.99]\n"
		"                    [--periods-per-year 252]\n"
		"\n"
		"Risk metrics of one column of per-period simple returns (0.01 = +1%%) in a CSV\n"
		"file, printed as one JSON object, computed by the risk_officer's own code.\n"
		"\n"
		"  --returns FILE         CSV file, first row a header ('-' reads stdin)\n"
		"  --column NAME          column to read (default: the first column)\n"
		"  --confidence P[,P...]  1 to %d confidence levels in (0.5, 1) (default 0.95,0.99);\n"
		"                         keys end with the percentage, '.' as '_': 0.975 -> _97_5\n"
		"  --periods-per-year N   for annualised figures, > 0 (default 252)\n"
		"  -h, --help             this text\n"
		"\n"
		"VaR, ES and drawdowns are positive loss fractions. With fewer than %d returns\n"
		"every metric is 0 and \"sufficient\" is false (a warning, not an error).\n"
		"Exit status: 0 success, 2 error.\n",
		RISK_MAX_CONF,
		RISK_MIN_OBS);
}

/* Parses "0.95,0.99" into conf[]; prints the reason on failure. */
static int parse_confidences(const char *s, double *conf, int *n_conf)
{
	int n = 0;
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		int len = comma ? (int)(comma - p) : (int)strlen(p);
		char *end;
		double v = strtod(p, &end);
		if (end == p || end > p + len) {
			fprintf(stderr, PREFIX "bad --confidence '%s': '%.*s' is not a number\n", s, len, p);
			return ORCH_EINVAL;
		}
		while (*end == ' ' || *end == '\t')
			end++;
		if (end != p + len) {
			fprintf(stderr, PREFIX "bad --confidence '%s': '%.*s' is not a number\n", s, len, p);
			return ORCH_EINVAL;
		}
		if (!(v > 0.5 && v < 1.0)) {
			fprintf(stderr, PREFIX "bad --confidence '%s': %.*s is not in (0.5, 1)\n", s, len, p);
			return ORCH_EINVAL;
		}
		if (n == RISK_MAX_CONF) {
			fprintf(stderr, PREFIX "bad --confidence '%s': more than %d levels\n", s, RISK_MAX_CONF);
			return ORCH_EINVAL;
		}
		for (int i = 0; i < n; i++) {
			if (conf[i] == v) {
				fprintf(stderr, PREFIX "bad --confidence '%s': %.*s given twice\n", s, len, p);
				return ORCH_EINVAL;
			}
		}
		conf[n++] = v;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (risk_check_confidences(conf, n) != 0) {
		fprintf(stderr, PREFIX "bad --confidence '%s'\n", s);
		return ORCH_EINVAL;
	}
	*n_conf = n;
	return 0;
}

enum { OPT_RETURNS, OPT_COLUMN, OPT_CONFIDENCE, OPT_PERIODS, OPT_COUNT };
static const char *const opt_names[OPT_COUNT] = {
	[OPT_RETURNS] = "--returns",
	[OPT_COLUMN] = "--column",
	[OPT_CONFIDENCE] = "--confidence",
	[OPT_PERIODS] = "--periods-per-year",
};

/* Fills o from argv; *help set when --help was asked. Prints the reason on failure. */
static int parse_args(int argc, char **argv, struct risk_opts *o, int *help)
{
	o->returns = NULL;
	o->column = NULL;
	o->conf[0] = 0.95;
	o->conf[1] = 0.99;
	o->n_conf = 2;
	o->periods_per_year = 252.0;
	*help = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		int opt = -1;
		int rc;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*help = 1;
			return 0;
		}
		for (int k = 0; k < OPT_COUNT && opt < 0; k++) {
			if ((rc = orchctl_take_value(argc, argv, &i, opt_names[k], PREFIX, "risk", &val)) != 0)
				return rc;
			if (val)
				opt = k;
		}
		switch (opt) {
		case OPT_RETURNS:
			o->returns = val;
			break;
		case OPT_COLUMN:
			o->column = val;
			break;
		case OPT_CONFIDENCE:
			if ((rc = parse_confidences(val, o->conf, &o->n_conf)) != 0)
				return rc;
			break;
		case OPT_PERIODS: {
			double v;
			if (orchctl_parse_double(val, &v) != 0 || !isfinite(v) || v <= 0) {
				fprintf(stderr, PREFIX "bad --periods-per-year '%s': must be a number > 0\n", val);
				return ORCH_EINVAL;
			}
			o->periods_per_year = v;
			break;
		}
		default:
			if (a[0] == '-' && a[1] != '\0')
				fprintf(stderr, PREFIX "unknown option '%s' (see orchctl risk --help)\n", a);
			else
				fprintf(stderr, PREFIX "unexpected argument '%s' (see orchctl risk --help)\n", a);
			return ORCH_EINVAL;
		}
	}
	if (!o->returns) {
		fprintf(stderr, PREFIX "missing --returns FILE (see orchctl risk --help)\n");
		return ORCH_EINVAL;
	}
	return 0;
}

/*
 * Key suffix of confidence p in (0.5, 1): its percentage with '_' for the
 * decimal point, from p's shortest round-trip decimal form, so distinct
 * levels never share a suffix: 0.95 -> "95", 0.975 -> "97_5".
 */
static int conf_suffix(double p, char *buf, size_t len)
{
	char s[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, p);
		if (strtod(s, NULL) == p)
			break;
	}
	if (s[0] != '0' || s[1] != '.' || s[2] < '1' || s[2] > '9')
		return ORCH_EINVAL;
	const char *d = s + 2;
	char whole[3] = {d[0], d[1] ? d[1] : '0', '\0'};
	const char *frac = d[1] ? d + 2 : "";
	int w = *frac ? snprintf(buf, len, "%s_%s", whole, frac) : snprintf(buf, len, "%s", whole);
	return w > 0 && (size_t)w < len ? 0 : ORCH_EINVAL;
}

static int series_push(struct series *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		if (cap > SIZE_MAX / sizeof(double))
			return ORCH_ENOMEM;
		double *r = realloc(s->r, cap * sizeof(double));
		if (!r)
			return ORCH_ENOMEM;
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n++] = v;
	return 0;
}

/* Checks and converts one data cell; prints the reason on failure. */
static int parse_return(const char *cell, const char *name, unsigned long long lineno, const char *column, double *out)
{
	int shown = (int)strnlen(cell, ORCHCTL_SHOW_MAX);
	const char *more = cell[shown] ? "..." : "";
	double v;
	if (orchctl_parse_double(cell, &v) != 0) {
		fprintf(stderr,
			PREFIX "%s:%llu: column %s: '%.*s%s' is not a number\n",
			name,
			lineno,
			column,
			shown,
			cell,
			more);
		return ORCH_EMALFORMED;
	}
	if (v <= -1.0) {
		fprintf(stderr,
			PREFIX "%s:%llu: column %s: '%.*s%s' is a loss beyond 100%% "
			       "(a return must be > -1)\n",
			name,
			lineno,
			column,
			shown,
			cell,
			more);
		return ORCH_EMALFORMED;
	}
	if (!isfinite(v)) {
		fprintf(stderr,
			PREFIX "%s:%llu: column %s: '%.*s%s' is not a finite number\n",
			name,
			lineno,
			column,
			shown,
			cell,
			more);
		return ORCH_EMALFORMED;
	}
	*out = v;
	return 0;
}

/*
 * Reads the returns of the chosen column of path into s (s->r and
 * s->column are the caller's to free, also on failure). Prints the reason
 * on failure.
 */
static int read_returns(const char *path, const char *want, struct series *s)
{
	struct orchctl_csv csv;
	size_t col = 0;
	int rc = orchctl_csv_open(&csv, path, PREFIX);
	if (rc != 0)
		goto out;
	if (csv.n_header && want && (rc = orchctl_csv_column(&csv, want, 1, &col)) != 0)
		goto out;
	if (csv.n_header && !(s->column = strdup(csv.header[col]))) {
		rc = ORCH_ENOMEM;
		fprintf(stderr, PREFIX "reading %s: %s\n", csv.name, orch_strerror(rc));
		goto out;
	}
	while ((rc = orchctl_csv_next(&csv)) == 1) {
		if (csv.n <= col) {
			fprintf(stderr,
				PREFIX "%s:%llu: too few cells: %zu, column %s is cell %zu\n",
				csv.name,
				csv.lineno,
				csv.n,
				s->column,
				col + 1);
			rc = ORCH_EMALFORMED;
			goto out;
		}
		double v;
		if ((rc = parse_return(csv.cells[col], csv.name, csv.lineno, s->column, &v)) != 0)
			goto out;
		if ((rc = series_push(s, v)) != 0) {
			fprintf(stderr, PREFIX "reading %s: %s\n", csv.name, orch_strerror(rc));
			goto out;
		}
	}
	if (rc == 0 && s->n == 0) {
		fprintf(stderr, PREFIX "no returns in %s\n", csv.name);
		rc = ORCH_EMALFORMED;
	}
out:
	orchctl_csv_close(&csv);
	return rc;
}

/* Sets obj[key] = s when s is valid UTF-8 (a file or column name that is
 * not is left out rather than failing the whole result). */
static int put_name(json_t *obj, const char *key, const char *s)
{
	json_t *v = json_string(s);
	if (!v)
		return 0;
	return json_object_set_new(obj, key, v) == 0 ? 0 : ORCH_ENOMEM;
}

/* Sets obj[key] = v (NULL value = allocation failure or non-finite). */
static int put(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return ORCH_EINVAL;
	return json_object_set_new(obj, key, v) == 0 ? 0 : ORCH_ENOMEM;
}

static int put_tails(json_t *obj, const struct risk_metrics *m)
{
	int rc = 0;
	for (int i = 0; i < m->n_conf && rc == 0; i++) {
		char sfx[48], key[80];
		if ((rc = conf_suffix(m->conf[i], sfx, sizeof(sfx))) != 0)
			break;
		const struct {
			const char *name;
			double v;
		} t[] = {
			{"var_historical", m->historical[i].var},
			{"var_gaussian", m->gaussian[i].var},
			{"var_modified", m->modified[i].var},
			{"es_historical", m->historical[i].es},
			{"es_gaussian", m->gaussian[i].es},
			{"es_modified", m->modified[i].es},
		};
		for (size_t k = 0; k < sizeof(t) / sizeof(t[0]) && rc == 0; k++) {
			snprintf(key, sizeof(key), "%s_%s", t[k].name, sfx);
			rc = put(obj, key, json_real(t[k].v));
		}
	}
	return rc;
}

/* The "conventions" object; the caller owns it (json_decref). NULL on failure. */
static json_t *conventions(const struct risk_metrics *m)
{
	json_t *c = json_object();
	int rc = c ? 0 : ORCH_ENOMEM;
	if (rc == 0)
		rc = put(c, "sign", json_string("loss_positive"));
	if (rc == 0)
		rc = put(c,
			 "sign_meaning",
			 json_string("VaR, ES and drawdowns are positive loss "
				     "fractions in [0, 1]"));
	if (rc == 0)
		rc = put(c, "quantile", json_string("R type 7"));
	if (rc == 0)
		rc = put(c,
			 "variance",
			 json_string("population for gaussian/modified, "
				     "sample for volatility and Sharpe"));
	if (rc == 0)
		rc = put(c, "modified", json_string("Cornish-Fisher, PerformanceAnalytics operational ES"));
	if (rc == 0)
		rc = put(c,
			 "sharpe",
			 json_string("arithmetic mean / sample sd, Rf 0, "
				     "annualized by sqrt(periods_per_year)"));
	if (rc == 0)
		rc = put(c, "sortino", json_string("per period, MAR 0, downside deviation over all observations"));
	if (rc == 0)
		rc = put(c, "ewma", json_string("RiskMetrics, zero mean, per period"));
	if (rc == 0)
		rc = put(c, "periods_per_year", json_real(m->periods_per_year));
	if (rc == 0)
		rc = put(c, "min_obs", json_integer(RISK_MIN_OBS));
	if (rc != 0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* The JSON result; the caller frees it with json_decref(). NULL on failure. */
static json_t *result_json(const struct risk_metrics *m, const char *file, const char *column)
{
	json_t *o = json_object();
	json_t *confs = json_array();
	int rc = o && confs ? 0 : ORCH_ENOMEM;
	for (int i = 0; i < m->n_conf && rc == 0; i++)
		rc = json_array_append_new(confs, json_real(m->conf[i])) == 0 ? 0 : ORCH_ENOMEM;
	if (rc == 0)
		rc = put(o, "n_obs", json_integer((json_int_t)m->n_obs));
	if (rc == 0)
		rc = put(o, "sufficient", json_boolean(m->sufficient));
	if (rc == 0)
		rc = put_name(o, "file", file);
	if (rc == 0)
		rc = put_name(o, "column", column);
	if (rc == 0) {
		rc = put(o, "confidences", confs);
		confs = NULL;
	}
	if (rc == 0)
		rc = put_tails(o, m);
	const struct {
		const char *key;
		double v;
	} nums[] = {
		{"max_drawdown", m->max_drawdown},
		{"current_drawdown", m->current_drawdown},
		{"mean", m->mean},
		{"sd", m->sd},
		{"volatility_annualized", m->volatility_annualized},
		{"ewma_volatility", m->ewma_volatility},
		{"ewma_lambda", m->ewma_lambda},
		{"skewness", m->skewness},
		{"excess_kurtosis", m->excess_kurtosis},
		{"sharpe", m->sharpe},
		{"sharpe_annualized", m->sharpe_annualized},
		{"downside_deviation", m->downside_deviation},
		{"sortino", m->sortino},
		{"tail_ratio", m->tail_ratio},
	};
	for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]) && rc == 0; k++)
		rc = put(o, nums[k].key, json_real(nums[k].v));
	if (rc == 0)
		rc = put(o, "conventions", conventions(m));
	json_decref(confs);
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int orchctl_risk(int argc, char **argv)
{
	struct risk_opts o;
	struct series s = {0};
	struct risk_metrics m;
	json_t *j = NULL;
	char *text = NULL;
	int help = 0;
	int rc;

	if ((rc = parse_args(argc, argv, &o, &help)) != 0)
		goto out;
	if (help) {
		usage(stdout);
		goto out;
	}
	if ((rc = read_returns(o.returns, o.column, &s)) != 0)
		goto out;
	rc = risk_metrics_compute(s.r, s.n, o.conf, o.n_conf, o.periods_per_year, EWMA_LAMBDA, &m);
	if (rc != 0) {
		fprintf(stderr, PREFIX "computing the metrics: %s\n", orch_strerror(rc));
		goto out;
	}
	if (!m.sufficient)
		fprintf(stderr,
			PREFIX "warning: only %zu return(s) in %s, fewer than %d: every "
			       "metric is 0 and sufficient is false\n",
			s.n,
			o.returns,
			RISK_MIN_OBS);
	j = result_json(&m, o.returns, s.column);
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
	if (!text) {
		fprintf(stderr,
			PREFIX "formatting the result failed (out of memory, non-finite "
			       "metric)\n");
		rc = ORCH_EINVAL;
		goto out;
	}
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, PREFIX "writing the result: %s\n", strerror(errno));
		rc = ORCH_EIO;
		goto out;
	}
out:
	if (rc == 0 && help && fflush(stdout) != 0)
		rc = ORCH_EIO;
	free(text);
	json_decref(j);
	free(s.column);
	free(s.r);
	return rc;
}
