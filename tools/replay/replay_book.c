/*
 * replay_book.c - the demo's simulated book and its performance (rules in
 * replay_book.h).
 */
#include "replay_book.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREND_N     50
#define MR_N        20
#define MR_MAX_DAYS 20
#define HIST        (TREND_N + 1)

struct slot {
	double qty; /* 0 = flat */
	double entry;
	int days;
};

struct rb_book {
	int n;
	char names[RB_MAX_INSTR][32];
	char strat[2][RB_MAX_INSTR][48];
	double hist[RB_MAX_INSTR][HIST]; /* ring of closes */
	int n_hist;
	double cash;
	struct slot pos[2][RB_MAX_INSTR];
};

struct rb_book *rb_new(int n, const char *const *names, double initial_equity)
{
	if (n < 1 || n > RB_MAX_INSTR)
		return NULL;
	struct rb_book *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->n = n;
	b->cash = initial_equity;
	for (int i = 0; i < n; i++) {
		snprintf(b->names[i], sizeof(b->names[i]), "%s", names[i]);
		snprintf(b->strat[0][i], sizeof(b->strat[0][i]), "trend_%s", names[i]);
		snprintf(b->strat[1][i], sizeof(b->strat[1][i]), "meanrev_%s", names[i]);
	}
	return b;
}

void rb_free(struct rb_book *b)
{
	free(b);
}

const char *rb_strategy_name(const struct rb_book *b, int s, int i)
{
	return b->strat[s][i];
}

/* Mean and sd of the last k closes of instrument i (including today). */
static void stats(const struct rb_book *b, int i, int k, double *mean, double *sd)
{
	double s = 0, s2 = 0;
	for (int j = 0; j < k; j++) {
		double x = b->hist[i][(b->n_hist - 1 - j + HIST) % HIST];
		s += x;
		s2 += x * x;
	}
	*mean = s / k;
	double v = (s2 - s * s / k) / (k - 1);
	*sd = v > 0 ? sqrt(v) : 0;
}

static int disabled(const struct rb_limits *l, const char *name)
{
	for (int i = 0; i < l->n_disabled; i++)
		if (!strcmp(l->disabled[i], name))
			return 1;
	return 0;
}

static void close_pos(struct rb_book *b, int s, int i, double price, struct rb_day *out)
{
	struct slot *p = &b->pos[s][i];
	b->cash += p->qty * price;
	if (out->n_trades < 2 * RB_MAX_INSTR) {
		struct rb_trade *t = &out->trades[out->n_trades++];
		snprintf(t->strategy, sizeof(t->strategy), "%s", b->strat[s][i]);
		snprintf(t->symbol, sizeof(t->symbol), "%s", b->names[i]);
		t->pnl_pct = 100 * (price / p->entry - 1);
		t->held_days = p->days;
	}
	memset(p, 0, sizeof(*p));
}

void rb_step(struct rb_book *b, const double *closes, const struct rb_limits *l, struct rb_day *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < b->n; i++)
		b->hist[i][b->n_hist % HIST] = closes[i];
	b->n_hist++;
	double equity = b->cash, gross = 0;
	int open = 0;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < b->n; i++)
			if (b->pos[s][i].qty > 0) {
				b->pos[s][i].days++;
				equity += b->pos[s][i].qty * closes[i];
				gross += b->pos[s][i].qty * closes[i];
				open++;
			}
	/* exits */
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < b->n; i++) {
			struct slot *p = &b->pos[s][i];
			if (p->qty <= 0)
				continue;
			int out_signal = 0;
			double mean, sd;
			if (s == 0 && b->n_hist >= TREND_N) {
				stats(b, i, TREND_N, &mean, &sd);
				out_signal = closes[i] < mean;
			} else if (s == 1 && b->n_hist >= MR_N) {
				stats(b, i, MR_N, &mean, &sd);
				out_signal = closes[i] >= mean || p->days >= MR_MAX_DAYS;
			}
			if (l->close_all || out_signal || disabled(l, b->strat[s][i])) {
				gross -= p->qty * closes[i];
				open--;
				close_pos(b, s, i, closes[i], out);
			}
		}
	}
	/* entries */
	for (int s = 0; s < 2 && l->allow_new && !l->close_all; s++) {
		for (int i = 0; i < b->n; i++) {
			struct slot *p = &b->pos[s][i];
			double mean, sd;
			int in_signal = 0;
			if (p->qty > 0 || disabled(l, b->strat[s][i]))
				continue;
			if (s == 0 && b->n_hist >= TREND_N) {
				stats(b, i, TREND_N, &mean, &sd);
				in_signal = closes[i] > mean;
			} else if (s == 1 && b->n_hist >= MR_N) {
				stats(b, i, MR_N, &mean, &sd);
				in_signal = sd > 0 && closes[i] < mean - 2 * sd;
			}
			double notional = equity * l->risk_per_trade / RB_STOP * l->scaling;
			if (!in_signal || open >= l->max_positions || notional <= 0 ||
			    gross + notional > l->max_leverage * equity)
				continue;
			p->qty = notional / closes[i];
			p->entry = closes[i];
			p->days = 0;
			b->cash -= notional;
			gross += notional;
			open++;
			out->n_opened++;
		}
	}
	out->equity = b->cash;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < b->n; i++)
			if (b->pos[s][i].qty > 0) {
				double v = b->pos[s][i].qty * closes[i];
				out->equity += v;
				out->exposure += v;
				struct rb_position *q = &out->positions[out->n_positions++];
				snprintf(q->symbol, sizeof(q->symbol), "%s", b->names[i]);
				q->exposure = v;
			}
}

void rb_perf(const double *equity, const int *month_of, size_t n, double ppy, struct rb_perf *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 2)
		return;
	out->total_return = equity[n - 1] / equity[0] - 1;
	double peak = equity[0], s = 0, s2 = 0, down = 0;
	for (size_t i = 1; i < n; i++) {
		peak = fmax(peak, equity[i]);
		out->max_drawdown = fmax(out->max_drawdown, 1 - equity[i] / peak);
		double r = equity[i] / equity[i - 1] - 1;
		s += r;
		s2 += r * r;
		down += r < 0 ? r * r : 0;
	}
	double m = (double)(n - 1), mean = s / m, var = m > 1 ? (s2 - s * s / m) / (m - 1) : 0;
	out->sharpe = var > 0 ? mean / sqrt(var) * sqrt(ppy) : 0;
	out->sortino = down > 0 ? mean / sqrt(down / m) * sqrt(ppy) : 0;
	out->cagr = ppy > 0 && equity[n - 1] > 0 ? pow(equity[n - 1] / equity[0], ppy / m) - 1 : 0;
	out->calmar = out->max_drawdown > 0 ? out->cagr / out->max_drawdown : 0;
	/* month returns: last equity of a month over the last of the one before */
	double prev_close = equity[0];
	int worst_set = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && month_of[i + 1] == month_of[i])
			continue;
		double r = equity[i] / prev_close - 1;
		if (!worst_set || r < out->worst_month) {
			out->worst_month = r;
			worst_set = 1;
			snprintf(out->worst_month_label,
				 sizeof(out->worst_month_label),
				 "%04d-%02d",
				 month_of[i] / 12,
				 month_of[i] % 12 + 1);
		}
		prev_close = equity[i];
	}
}

void rb_quiet(const unsigned char *traded, const unsigned char *other, size_t n, struct rb_quiet *out)
{
	memset(out, 0, sizeof(*out));
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && !traded[i])
			continue;
		if (i - start > out->days) {
			out->first = start;
			out->last = i - 1;
			out->days = i - start;
		}
		start = i + 1;
	}
	for (size_t i = out->first; out->days && i <= out->last; i++)
		out->other_traded |= other[i] != 0;
}
