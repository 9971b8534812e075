/*
 * backtest_report.c - the replay's result as one HTML page with inline
 * SVG charts (see backtest_report.h).
 */
#include "backtest_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceo_policy.h"
#include "orch.h"

#define W      960.0
#define LEFT   64.0
#define RIGHT  16.0
#define TOP    12.0
#define BOTTOM 26.0

/* The dashboard's mode colours (federation/web/style.css); "none" grey. */
static const char *const mode_colour[CEO_N_MODES + 1] = {
	"#2e7d32", "#1565c0", "#ef6c00", "#c62828", "#000000", "#9aa3b0"};
static const char *const book_colour[2] = {"#1d2330", "#8e24aa"};
static const char *const book_label[2] = {"with the layer", "without the layer"};
static const char *const book_key[2] = {"with_layer", "without_layer"};

static const char STYLE[] =
	"body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}"
	"header{padding:.7rem 1.2rem;background:#1d2330;color:#fff}header h1{font-size:1.2rem;margin:0}"
	"header p{margin:.2rem 0 0;color:#c9ced8;font-size:.85rem}"
	"main{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem;padding:1rem}"
	".card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
	".wide{grid-column:1/-1}h2{font-size:.95rem;margin:0 0 .5rem;color:#55606e;text-transform:uppercase;"
	"letter-spacing:.04em}table{border-collapse:collapse;width:100%;font-size:.85rem}"
	"td,th{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #eceef2}td.n,th.n{text-align:right}"
	".legend span{display:inline-block;margin-right:1rem;font-size:.8rem}"
	".legend i{display:inline-block;width:.9rem;height:.6rem;margin-right:.3rem;vertical-align:middle}"
	"svg{width:100%;height:auto}svg text{font-size:11px;fill:#55606e}.muted{color:#6b7585;font-size:.8rem}"
	"dt{font-weight:600;font-size:.8rem}dd{margin:0 0 .4rem 1rem;font-size:.8rem;color:#55606e}";

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The horizontal scale: a day's time to x. */
struct xscale {
	int64_t t0, t1;
};

static double x_of(const struct xscale *xs, int64_t t)
{
	double span = xs->t1 > xs->t0 ? (double)(xs->t1 - xs->t0) : 1;
	return LEFT + (W - LEFT - RIGHT) * (double)(t - xs->t0) / span;
}

/* The operating modes as bands behind a chart of height h. */
static void bands(FILE *f, const struct xscale *xs, const struct replay_prices *p, const struct replay_record *r,
		  double h)
{
	for (size_t a = 0, b; a < r->n_days; a = b) {
		for (b = a + 1; b < r->n_days && r->mode[b] == r->mode[a]; b++)
			;
		int m = r->mode[a] >= 0 ? r->mode[a] : CEO_N_MODES;
		double x0 = x_of(xs, p->t_ms[a]), x1 = x_of(xs, p->t_ms[b < r->n_days ? b : r->n_days - 1]);
		fprintf(f,
			"<rect class=\"band\" data-mode=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\" fill-opacity=\"%s\"/>",
			m < CEO_N_MODES ? ceo_mode_name((enum ceo_mode)m) : "none",
			x0,
			TOP,
			fmax(x1 - x0, 0.5),
			h - TOP - BOTTOM,
			mode_colour[m],
			m == CEO_BLACK_SWAN ? "0.3" : "0.16");
	}
}

/* Year ticks along the bottom of a chart of height h. */
static void x_axis(FILE *f, const struct xscale *xs, double h)
{
	time_t s0 = (time_t)(xs->t0 / 1000), s1 = (time_t)(xs->t1 / 1000);
	struct tm a, b;
	gmtime_r(&s0, &a);
	gmtime_r(&s1, &b);
	int years = b.tm_year - a.tm_year, step = years > 24 ? 5 : years > 12 ? 2 : 1;
	for (int y = a.tm_year + 1; y <= b.tm_year; y++) {
		if ((y + 1900) % step)
			continue;
		struct tm jan = {.tm_year = y, .tm_mday = 1};
		double x = x_of(xs, (int64_t)timegm(&jan) * 1000);
		fprintf(f,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d5d9e0\"/>",
			x,
			x,
			TOP,
			h - BOTTOM);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>", x, h - 8, y + 1900);
	}
}

/* One horizontal grid line with its label at value y. */
static void y_tick(FILE *f, double y, const char *label)
{
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d5d9e0\"/>", LEFT, W - RIGHT, y, y);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>", LEFT - 6, y + 4, label);
}

/* A book's curve: v(i) for each day, through y(). */
static void curve(FILE *f, const struct xscale *xs, const struct replay_prices *p, size_t n, int book, const double *v,
		  double lo, double hi, int log_scale, double h)
{
	fprintf(f,
		"<path class=\"curve\" data-book=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" d=\"",
		book_key[book],
		book_colour[book]);
	for (size_t i = 0; i < n; i++) {
		double y = log_scale ? log(v[i]) : v[i];
		double frac = hi > lo ? (y - lo) / (hi - lo) : 0.5;
		fprintf(f,
			"%c%.1f,%.1f",
			i ? 'L' : 'M',
			x_of(xs, p->t_ms[i]),
			log_scale ? h - BOTTOM - frac * (h - TOP - BOTTOM) : TOP + frac * (h - TOP - BOTTOM));
	}
	fputs("\"/>", f);
}

static void legend(FILE *f)
{
	fputs("<div class=\"legend\">", f);
	for (int b = 0; b < 2; b++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>", book_colour[b], book_label[b]);
	for (int m = 0; m <= CEO_N_MODES; m++)
		fprintf(f,
			"<span><i style=\"background:%s;opacity:%s\"></i>%s</span>",
			mode_colour[m],
			m == CEO_BLACK_SWAN ? "0.45" : "0.3",
			m < CEO_N_MODES ? ceo_mode_name((enum ceo_mode)m) : "no mode");
	fputs("</div>", f);
}

/* Equity of both books on a log scale, as a multiple of the start. */
static void equity_chart(FILE *f, const struct xscale *xs, const struct replay_prices *p, const struct replay_record *r)
{
	const double h = 340, start = r->eq[0][0];
	double lo = INFINITY, hi = -INFINITY;
	for (int b = 0; b < 2; b++)
		for (size_t i = 0; i < r->n_days; i++) {
			lo = fmin(lo, log(r->eq[b][i] / start));
			hi = fmax(hi, log(r->eq[b][i] / start));
		}
	double pad = (hi - lo) * 0.04 + 1e-9;
	lo -= pad;
	hi += pad;
	fprintf(f, "<svg id=\"equity\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"equity\">", W, h);
	bands(f, xs, p, r, h);
	static const double nice[] = {0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 50, 100};
	for (size_t k = 0; k < sizeof(nice) / sizeof(nice[0]); k++) {
		double y = log(nice[k]);
		if (y < lo || y > hi)
			continue;
		char label[16];
		snprintf(label, sizeof(label), "x%g", nice[k]);
		y_tick(f, h - BOTTOM - (y - lo) / (hi - lo) * (h - TOP - BOTTOM), label);
	}
	x_axis(f, xs, h);
	for (int b = 0; b < 2; b++)
		curve(f, xs, p, r->n_days, b, r->eq[b], lo + log(start), hi + log(start), 1, h);
	fputs("</svg>", f);
}

/* Drawdown from the running peak of both books, 0 at the top. */
static void drawdown_chart(FILE *f, const struct xscale *xs, const struct replay_prices *p,
			   const struct replay_record *r, double *dd[2])
{
	const double h = 220;
	double hi = 0;
	for (int b = 0; b < 2; b++) {
		double peak = r->eq[b][0];
		for (size_t i = 0; i < r->n_days; i++) {
			peak = fmax(peak, r->eq[b][i]);
			dd[b][i] = 1 - r->eq[b][i] / peak;
			hi = fmax(hi, dd[b][i]);
		}
	}
	double step = hi > 0.4 ? 0.1 : hi > 0.2 ? 0.05 : hi > 0.08 ? 0.02 : 0.01;
	hi = (floor(hi / step) + 1) * step;
	fprintf(f, "<svg id=\"drawdown\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"drawdown\">", W, h);
	bands(f, xs, p, r, h);
	for (double v = 0; v <= hi + 1e-9; v += step) {
		char label[16];
		snprintf(label, sizeof(label), v > 0 ? "-%.0f%%" : "%.0f%%", 100 * v);
		y_tick(f, TOP + v / hi * (h - TOP - BOTTOM), label);
	}
	x_axis(f, xs, h);
	for (int b = 0; b < 2; b++)
		curve(f, xs, p, r->n_days, b, dd[b], 0, hi, 0, h);
	fputs("</svg>", f);
}

static void pct_cell(FILE *f, double v)
{
	fprintf(f, "<td class=\"n\">%.1f%%</td>", 100 * v);
}

static void figures(FILE *f, const json_t *summary)
{
	static const struct {
		const char *label, *key;
		int pct;
	} rows[] = {{"Total return", "total_return", 1},
		    {"CAGR", "cagr", 1},
		    {"Max drawdown", "max_drawdown", 1},
		    {"Sharpe", "sharpe", 0},
		    {"Sortino", "sortino", 0},
		    {"Calmar", "calmar", 0},
		    {"Worst month", "worst_month", 1}};
	const json_t *b[2] = {json_object_get(summary, book_key[0]), json_object_get(summary, book_key[1])};
	fputs("<table id=\"figures\"><tr><th></th><th class=\"n\">with the layer</th><th class=\"n\">without the "
	      "layer</th></tr>",
	      f);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fprintf(f, "<tr><td>%s</td>", rows[i].label);
		for (int k = 0; k < 2; k++) {
			if (rows[i].pct)
				pct_cell(f, num(b[k], rows[i].key));
			else
				fprintf(f, "<td class=\"n\">%.2f</td>", num(b[k], rows[i].key));
		}
		fputs("</tr>", f);
	}
	fputs("<tr><td>Longest without a trade</td>", f);
	for (int k = 0; k < 2; k++) {
		const json_t *q = json_object_get(b[k], "longest_without_trade");
		fprintf(f,
			"<td class=\"n\">%lld days from %s%s</td>",
			(long long)json_integer_value(json_object_get(q, "calendar_days")),
			str(q, "from"),
			json_is_true(json_object_get(q, "other_book_traded")) ? " (the other book traded)" : "");
	}
	fputs("</tr></table>", f);
}

static void layer(FILE *f, const json_t *summary)
{
	const json_t *l = json_object_get(summary, "layer"), *share = json_object_get(l, "time_in_mode");
	fputs("<table id=\"modes\"><tr><th>operating mode</th><th class=\"n\">share of days</th></tr>", f);
	for (int m = 0; m <= CEO_N_MODES; m++) {
		const char *name = m < CEO_N_MODES ? ceo_mode_name((enum ceo_mode)m) : "none";
		fprintf(f,
			"<tr><td><i style=\"display:inline-block;width:.7rem;height:.7rem;background:%s\"></i> %s</td>",
			mode_colour[m],
			name);
		pct_cell(f, num(share, name));
		fputs("</tr>", f);
	}
	fprintf(f,
		"</table><p class=\"muted\">%.1f mode switches a year; rule set %s</p>",
		num(l, "mode_switches_per_year"),
		str(summary, "rules"));
}

static void switches(FILE *f, const json_t *summary)
{
	const json_t *sw = json_object_get(summary, "mode_switches");
	size_t i;
	const json_t *row;
	fprintf(f,
		"<details%s><summary>%zu mode switches</summary><table><tr><th>date</th><th>from</th><th>to</th>"
		"<th>reason</th></tr>",
		json_array_size(sw) <= 30 ? " open" : "",
		json_array_size(sw));
	json_array_foreach(sw, i, row)
	{
		fprintf(f,
			"<tr><td>%s</td><td>%s</td><td>%s</td><td>",
			str(row, "date"),
			str(row, "from"),
			str(row, "to"));
		esc(f, str(row, "reason"));
		fputs("</td></tr>", f);
	}
	fputs("</table></details>", f);
}

static void sensitivity_cell(FILE *f, const json_t *c)
{
	fprintf(f, "<td class=\"n\">%s</td>", str(c, "value"));
	if (json_object_get(c, "error")) {
		fputs("<td colspan=\"4\" class=\"muted\">refused by the service: ", f);
		esc(f, str(c, "error"));
		fputs("</td>", f);
		return;
	}
	fprintf(f, "<td class=\"n\">%.2f</td>", num(c, "sharpe"));
	pct_cell(f, num(c, "max_drawdown"));
	fprintf(f, "<td class=\"n\">%.2f</td>", num(c, "calmar"));
	pct_cell(f, num(c, "black_swan"));
}

static void sensitivity(FILE *f, const json_t *table)
{
	fputs("<section class=\"card wide\"><h2>Sensitivity: each rule parameter at half and double its value</h2>"
	      "<table id=\"sensitivity\"><tr><th>setting</th><th class=\"n\">value</th><th class=\"n\">half</th>"
	      "<th class=\"n\">Sharpe</th><th class=\"n\">max dd</th><th class=\"n\">Calmar</th><th class=\"n\">"
	      "BLACK_SWAN</th><th class=\"n\">double</th><th class=\"n\">Sharpe</th><th class=\"n\">max dd</th>"
	      "<th class=\"n\">Calmar</th><th class=\"n\">BLACK_SWAN</th></tr>",
	      f);
	size_t i;
	const json_t *row;
	json_array_foreach(table, i, row)
	{
		fprintf(f, "<tr><td>%s</td><td class=\"n\">%s</td>", str(row, "setting"), str(row, "value"));
		sensitivity_cell(f, json_object_get(row, "half"));
		sensitivity_cell(f, json_object_get(row, "double"));
		fputs("</tr>", f);
	}
	fputs("</table></section>", f);
}

static void conventions(FILE *f, const json_t *summary)
{
	const json_t *c = json_object_get(summary, "conventions");
	const char *key;
	json_t *v;
	fputs("<details><summary>How each figure is computed</summary><dl>", f);
	json_object_foreach((json_t *)c, key, v)
	{
		fprintf(f, "<dt>%s</dt><dd>", key);
		if (json_is_string(v))
			esc(f, json_string_value(v));
		else
			fprintf(f, "%g", json_number_value(v));
		fputs("</dd>", f);
	}
	fputs("</dl></details>", f);
}

static void page(FILE *f, const json_t *summary, const struct replay_prices *p, const struct replay_record *r,
		 const json_t *sens, double *dd[2])
{
	struct xscale xs = {p->t_ms[0], p->t_ms[r->n_days - 1]};
	fprintf(f, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Backtest: ");
	esc(f, str(summary, "prices"));
	fprintf(f,
		"</title><style>%s</style></head><body><header><h1>The book with and without the layer</h1><p>",
		STYLE);
	esc(f, str(summary, "prices"));
	fprintf(f,
		": %lld days, %s to %s, %d instruments; %s rules; %lld trades closed with the layer</p></header><main>",
		(long long)json_integer_value(json_object_get(summary, "days")),
		str(summary, "from"),
		str(summary, "to"),
		p->n_instr,
		str(summary, "rules"),
		(long long)json_integer_value(json_object_get(summary, "trades")));
	fputs("<section class=\"card wide\"><h2>Equity (log scale, multiple of the start) and the operating mode</h2>",
	      f);
	legend(f);
	equity_chart(f, &xs, p, r);
	fputs("</section><section class=\"card wide\"><h2>Drawdown from the running peak</h2>", f);
	drawdown_chart(f, &xs, p, r, dd);
	fputs("</section><section class=\"card\"><h2>Both books</h2>", f);
	figures(f, summary);
	fputs("</section><section class=\"card\"><h2>Time in each mode</h2>", f);
	layer(f, summary);
	fputs("</section><section class=\"card wide\"><h2>Mode switches</h2>", f);
	switches(f, summary);
	conventions(f, summary);
	fputs("</section>", f);
	if (sens)
		sensitivity(f, sens);
	fputs("</main></body></html>\n", f);
}

int backtest_report_write(const char *path, const json_t *summary, const struct replay_prices *p,
			  const struct replay_record *rec, const json_t *sensitivity, char *err, size_t errlen)
{
	double *dd[2] = {malloc(sizeof(double) * (rec->n_days + 1)), malloc(sizeof(double) * (rec->n_days + 1))};
	FILE *f = NULL;
	int rc = 0;
	if (!dd[0] || !dd[1] || rec->n_days < 2) {
		snprintf(err, errlen, "%s", rec->n_days < 2 ? "fewer than two days to draw" : "out of memory");
		rc = rec->n_days < 2 ? ORCH_EINVAL : ORCH_ENOMEM;
		goto out;
	}
	if (!(f = fopen(path, "w"))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = ORCH_EIO;
		goto out;
	}
	page(f, summary, p, rec, sensitivity, dd);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = ORCH_EIO;
	}
out:
	if (f && fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = ORCH_EIO;
	}
	free(dd[0]);
	free(dd[1]);
	return rc;
}
