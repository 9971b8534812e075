/*
 * replay_summary.c - a replay's day-by-day record and its summary (see
 * replay_summary.h).
 */
#include "replay_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceo_policy.h"
#include "json_util.h"
#include "orch.h"

#define DAY_MS  86400000.0
#define YEAR_MS (365.25 * DAY_MS)

int replay_record_init(struct replay_record *r, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->cap = n;
	for (int b = 0; b < 2; b++) {
		r->eq[b] = malloc(sizeof(double) * (n ? n : 1));
		r->traded[b] = malloc(n ? n : 1);
	}
	r->mode = malloc(n ? n : 1);
	r->month = malloc(sizeof(int) * (n ? n : 1));
	return r->eq[0] && r->eq[1] && r->traded[0] && r->traded[1] && r->mode && r->month ? 0 : ORCH_ENOMEM;
}

void replay_record_release(struct replay_record *r)
{
	if (!r)
		return;
	for (int b = 0; b < 2; b++) {
		free(r->eq[b]);
		free(r->traded[b]);
	}
	free(r->mode);
	free(r->month);
	memset(r, 0, sizeof(*r));
}

void replay_record_day(struct replay_record *r, int64_t t_ms, const struct rb_day *with, const struct rb_day *without,
		       const char *mode)
{
	if (r->n_days >= r->cap)
		return;
	size_t d = r->n_days++;
	const struct rb_day *day[2] = {with, without};
	for (int b = 0; b < 2; b++) {
		r->eq[b][d] = day[b]->equity;
		r->traded[b][d] = day[b]->n_trades > 0 || day[b]->n_opened > 0;
	}
	r->trades += with->n_trades;
	enum ceo_mode m;
	r->mode[d] = (signed char)(ceo_mode_parse(mode, &m) == 0 ? (int)m : -1);
	time_t secs = (time_t)(t_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	r->month[d] = (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* "YYYY-MM-DD" of t_ms. */
static json_t *date_json(int64_t t_ms)
{
	char ts[40];
	json_util_format_ts_us(t_ms * 1000, ts, sizeof(ts));
	return json_stringn(ts, 10);
}

static json_t *book_json(const struct replay_record *r, const struct replay_prices *p, int b, double ppy)
{
	struct rb_perf f;
	struct rb_quiet q;
	rb_perf(r->eq[b], r->month, r->n_days, ppy, &f);
	rb_quiet(r->traded[b], r->traded[1 - b], r->n_days, &q);
	json_t *quiet =
		json_pack("{s:I, s:I, s:o, s:o, s:b}",
			  "days",
			  (json_int_t)q.days,
			  "calendar_days",
			  (json_int_t)(q.days ? llround((double)(p->t_ms[q.last] - p->t_ms[q.first]) / DAY_MS) + 1 : 0),
			  "from",
			  q.days ? date_json(p->t_ms[q.first]) : json_null(),
			  "to",
			  q.days ? date_json(p->t_ms[q.last]) : json_null(),
			  "other_book_traded",
			  q.other_traded);
	return json_pack("{s:f, s:f, s:f, s:f, s:s, s:f, s:f, s:f, s:o}",
			 "total_return",
			 f.total_return,
			 "max_drawdown",
			 f.max_drawdown,
			 "sharpe",
			 f.sharpe,
			 "worst_month",
			 f.worst_month,
			 "worst_month_at",
			 f.worst_month_label,
			 "cagr",
			 f.cagr,
			 "sortino",
			 f.sortino,
			 "calmar",
			 f.calmar,
			 "longest_without_trade",
			 quiet);
}

static json_t *layer_json(const struct replay_record *r, const struct replay_prices *p, size_t n_switches)
{
	size_t count[CEO_N_MODES + 1] = {0};
	for (size_t d = 0; d < r->n_days; d++)
		count[r->mode[d] >= 0 ? r->mode[d] : CEO_N_MODES]++;
	json_t *share = json_object();
	double n = r->n_days ? (double)r->n_days : 1;
	for (int m = 0; share && m <= CEO_N_MODES; m++)
		json_object_set_new(share,
				    m < CEO_N_MODES ? ceo_mode_name((enum ceo_mode)m) : "none",
				    json_real((double)count[m] / n));
	double years = (double)(p->t_ms[p->n_days - 1] - p->t_ms[0]) / YEAR_MS;
	return json_pack("{s:o, s:f}",
			 "time_in_mode",
			 share,
			 "mode_switches_per_year",
			 years > 0 ? (double)n_switches / years : 0.0);
}

static json_t *conventions(double ppy)
{
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f}",
		"total_return",
		"last equity / first - 1",
		"cagr",
		"(1 + total_return)^(1 / years) - 1, years = (days - 1) / periods_per_year",
		"max_drawdown",
		"positive fraction of the running peak, daily closes",
		"sharpe",
		"mean / sample sd of daily returns * sqrt(periods per year), Rf 0",
		"sortino",
		"mean daily return / sqrt(mean of min(daily return, 0)^2) * sqrt(periods per year), Rf 0",
		"calmar",
		"cagr / max_drawdown",
		"worst_month",
		"lowest calendar-month return (fraction)",
		"longest_without_trade",
		"longest run of days (rows of the file) on which the book neither opened nor closed a position; "
		"calendar_days from its first day to its last; other_book_traded: the other book did in that run",
		"time_in_mode",
		"fraction of days traded under each operating mode (the policy in force that day)",
		"mode_switches_per_year",
		"mode switches / (last date - first date in years of 365.25 days)",
		"trades",
		"positions closed by the book with the layer",
		"periods_per_year",
		ppy);
}

json_t *replay_summary_json(const struct replay_record *r, const struct replay_prices *p, const char *prices_path,
			    const char *rules, json_t *switches)
{
	if (!switches)
		return NULL;
	double ppy = replay_prices_per_year(p);
	return json_pack("{s:s, s:o, s:o, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:o}",
			 "prices",
			 prices_path,
			 "from",
			 date_json(p->t_ms[0]),
			 "to",
			 date_json(p->t_ms[p->n_days - 1]),
			 "days",
			 (json_int_t)r->n_days,
			 "trades",
			 (json_int_t)r->trades,
			 "rules",
			 rules,
			 "with_layer",
			 book_json(r, p, 0, ppy),
			 "without_layer",
			 book_json(r, p, 1, ppy),
			 "layer",
			 layer_json(r, p, json_array_size(switches)),
			 "mode_switches",
			 switches,
			 "conventions",
			 conventions(ppy));
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

static void print_book(FILE *f, const char *label, const json_t *b)
{
	const json_t *q = json_object_get(b, "longest_without_trade");
	char quiet[96];
	snprintf(quiet,
		 sizeof(quiet),
		 "%lld days from %s%s",
		 (long long)json_integer_value(json_object_get(q, "calendar_days")),
		 str(q, "from"),
		 json_is_true(json_object_get(q, "other_book_traded")) ? " (the other book traded)" : "");
	fprintf(f,
		"%-14s %7.1f%% %6.1f%% %9.1f%% %6.2f %7.2f %6.2f %6.1f%% %s  %s\n",
		label,
		100 * num(b, "total_return"),
		100 * num(b, "cagr"),
		100 * num(b, "max_drawdown"),
		num(b, "sharpe"),
		num(b, "sortino"),
		num(b, "calmar"),
		100 * num(b, "worst_month"),
		str(b, "worst_month_at"),
		quiet);
}

void replay_summary_print(FILE *f, const json_t *summary)
{
	const json_t *switches = json_object_get(summary, "mode_switches");
	fprintf(f,
		"\nReplayed %lld days of %s (%s to %s), %lld trades closed with the layer (%s rules).\n",
		(long long)json_integer_value(json_object_get(summary, "days")),
		str(summary, "prices"),
		str(summary, "from"),
		str(summary, "to"),
		(long long)json_integer_value(json_object_get(summary, "trades")),
		str(summary, "rules"));
	fprintf(f, "\nMode switches (%zu):\n", json_array_size(switches));
	size_t i;
	const json_t *sw;
	json_array_foreach(switches, i, sw)
	{
		fprintf(f,
			"  %s  %-20s -> %-20s %s\n",
			str(sw, "date"),
			str(sw, "from"),
			str(sw, "to"),
			str(sw, "reason"));
	}
	fprintf(f,
		"\n%-14s %8s %7s %10s %6s %7s %6s %15s  %s\n",
		"book",
		"return",
		"CAGR",
		"max dd",
		"Sharpe",
		"Sortino",
		"Calmar",
		"worst month",
		"longest without a trade");
	print_book(f, "with layer", json_object_get(summary, "with_layer"));
	print_book(f, "without layer", json_object_get(summary, "without_layer"));
	const json_t *layer = json_object_get(summary, "layer"), *share = json_object_get(layer, "time_in_mode");
	fprintf(f, "time in mode:");
	for (int m = 0; m <= CEO_N_MODES; m++) {
		const char *name = m < CEO_N_MODES ? ceo_mode_name((enum ceo_mode)m) : "none";
		if (num(share, name) > 0)
			fprintf(f, " %s %.1f%%", name, 100 * num(share, name));
	}
	fprintf(f, "; %.1f mode switches a year\n", num(layer, "mode_switches_per_year"));
	fprintf(f,
		"(drawdown: positive fraction from the running peak of daily equity; Sharpe and Sortino: daily "
		"returns, annualised with %.0f days a year, Rf 0; Calmar: CAGR / max drawdown)\n",
		num(json_object_get(summary, "conventions"), "periods_per_year"));
}
