/*
 * risk_book.c - trading events to Risk Officer inputs, and the windows and
 * portfolio state they feed (see risk_book.h for fields, units and the
 * period-return rule).
 */
#include "risk_book.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "orch.h"
#include "trade.h"

static const struct {
	const char *type;
	enum risk_input_kind kind;
} input_types[] = {
	{"trade.closed", RISK_IN_TRADE},
	{"position.closed", RISK_IN_TRADE},
	{"position_closed", RISK_IN_TRADE},
	{"portfolio.snapshot_updated", RISK_IN_SNAPSHOT},
	{"portfolio_state_update", RISK_IN_SNAPSHOT},
	{"portfolio.exposure_updated", RISK_IN_EXPOSURE},
};
#define N_INPUT_TYPES (sizeof(input_types) / sizeof(input_types[0]))

enum risk_input_kind risk_input_kind_of(const char *event_type)
{
	for (size_t i = 0; i < N_INPUT_TYPES; i++)
		if (strcmp(event_type, input_types[i].type) == 0)
			return input_types[i].kind;
	return 0;
}

const char *risk_input_known_types(void)
{
	return "trade.closed,position.closed,position_closed,portfolio.snapshot_updated,"
	       "portfolio_state_update,portfolio.exposure_updated";
}

static int parse_trade(const json_t *p, struct risk_input *in, char *why, size_t whylen)
{
	static const char *const strat_keys[] = {
		"strategy", "strategy_id", "strategy_name", "model", "model_version", "model_id", NULL};
	if (trade_parse_return(p, &in->ret, why, whylen) != 0)
		return ORCH_EMALFORMED;
	const char *s = json_util_first_str(p, strat_keys);
	snprintf(in->strategy, sizeof(in->strategy), "%s", s ? s : "unattributed");
	return 0;
}

/* Position exposures from an array of position objects or an object
 * symbol -> USD. */
static int parse_breakdown(const json_t *v, const char *name, struct risk_input *in, char *why, size_t whylen)
{
	static const char *const exp_keys[] = {"exposure", "notional", "size_usd", NULL};
	size_t i;
	const char *key;
	json_t *item;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			double e;
			if (!json_is_object(item) || json_util_first_double(item, exp_keys, &e, why, whylen) != 0) {
				snprintf(why, whylen, "%s[%zu]: no exposure, notional or size_usd number", name, i);
				return ORCH_EMALFORMED;
			}
			if (!(fabs(e) < RISK_MAX_USD)) {
				snprintf(why, whylen, "%s[%zu]: exposure %g is beyond 1e15 USD", name, i, e);
				return ORCH_EMALFORMED;
			}
			if (in->n_symbols < RISK_BOOK_MAX_SYMBOLS)
				in->symbol_exposure[in->n_symbols++] = fabs(e);
		}
		return 0;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
		{
			double e;
			if (!json_is_number(item) || !isfinite(e = json_number_value(item))) {
				snprintf(why, whylen, "%s.%s: not a number", name, key);
				return ORCH_EMALFORMED;
			}
			if (!(fabs(e) < RISK_MAX_USD)) {
				snprintf(why, whylen, "%s.%s: exposure %g is beyond 1e15 USD", name, key, e);
				return ORCH_EMALFORMED;
			}
			if (in->n_symbols < RISK_BOOK_MAX_SYMBOLS)
				in->symbol_exposure[in->n_symbols++] = fabs(e);
		}
		return 0;
	}
	snprintf(why, whylen, "%s: expected an array or an object", name);
	return ORCH_EMALFORMED;
}

static int parse_exposure_fields(const json_t *p, struct risk_input *in, char *why, size_t whylen)
{
	static const char *const total_keys[] = {"total_exposure", NULL};
	double total;
	int rc = json_util_first_double(p, total_keys, &total, why, whylen);
	if (rc == ORCH_EMALFORMED)
		return rc;
	if (rc == 0 && !(fabs(total) < RISK_MAX_USD)) {
		snprintf(why, whylen, "total_exposure %g is beyond 1e15 USD", total);
		return ORCH_EMALFORMED;
	}
	in->total_exposure = rc == 0 ? fabs(total) : -1;
	const json_t *by = json_object_get(p, "exposure_by_symbol");
	if (!by || json_is_null(by))
		by = json_object_get(p, "positions");
	if (by && !json_is_null(by) && json_is_string(by)) {
		/* direct entries carry nested values as JSON text */
		json_t *parsed = json_loads(json_string_value(by), 0, NULL);
		rc = parsed ? parse_breakdown(parsed, "positions", in, why, whylen) : ORCH_EMALFORMED;
		if (!parsed)
			snprintf(why, whylen, "positions: not JSON");
		json_decref(parsed);
		return rc;
	}
	if (by && !json_is_null(by))
		return parse_breakdown(by,
				       json_object_get(p, "exposure_by_symbol") ? "exposure_by_symbol" : "positions",
				       in,
				       why,
				       whylen);
	return 0;
}

int risk_input_parse(const char *event_type, const json_t *payload, int64_t t_ms, struct risk_input *out, char *why,
		     size_t whylen)
{
	static const char *const eq_keys[] = {"total_equity", "equity", "account_balance", NULL};
	static const char *const pos_keys[] = {"num_positions", "open_positions", NULL};
	memset(out, 0, offsetof(struct risk_input, symbol_exposure));
	out->kind = risk_input_kind_of(event_type);
	out->t_ms = t_ms;
	out->open_positions = -1;
	if (!out->kind) {
		snprintf(why, whylen, "%s is not a Risk Officer input", event_type);
		return ORCH_EMALFORMED;
	}
	if (!json_is_object(payload)) {
		snprintf(why, whylen, "payload is not an object");
		return ORCH_EMALFORMED;
	}
	if (out->kind == RISK_IN_TRADE)
		return parse_trade(payload, out, why, whylen);
	int rc = parse_exposure_fields(payload, out, why, whylen);
	if (rc != 0)
		return rc;
	if (out->kind == RISK_IN_EXPOSURE) {
		if (out->total_exposure < 0 && !out->n_symbols) {
			snprintf(why, whylen, "no total_exposure or exposure_by_symbol field");
			return ORCH_EMALFORMED;
		}
		return 0;
	}
	rc = json_util_first_double(payload, eq_keys, &out->equity, why, whylen);
	if (rc == ORCH_ENOENT)
		snprintf(why, whylen, "no total_equity, equity or account_balance field");
	if (rc != 0)
		return ORCH_EMALFORMED;
	if (!(out->equity > 0) || !(out->equity < RISK_MAX_USD)) {
		snprintf(why, whylen, "equity %g is not in (0, 1e15) USD", out->equity);
		return ORCH_EMALFORMED;
	}
	double np;
	rc = json_util_first_double(payload, pos_keys, &np, why, whylen);
	if (rc == ORCH_EMALFORMED)
		return rc;
	if (rc == 0)
		out->open_positions = np < 0 ? 0 : (int)np;
	return 0;
}

/* ---- the book ---- */

struct strat {
	char name[64];
	struct risk_window *w;
};

struct risk_book {
	struct risk_book_config cfg;
	struct risk_window *equity_w, *trades_w;
	struct risk_window *unit_w; /* returns per unit of exposure */
	struct strat *strats;
	int n_strats;
	/* equity periods */
	int have_equity;
	int64_t period;      /* index of the open period */
	double period_close; /* last equity seen in the open period */
	double prev_close;   /* close of the previous period, 0 = none yet */
	double prev_gross;   /* gross exposure at the previous period's close */
	/* exposure-normalised returns: EWMA variances, short and long */
	int unit_n;
	double unit_var_short, unit_var_long, unit_w_short, unit_w_long;
	/* the open period's loss so far, in expected shortfalls */
	double period_loss, period_es, loss_to_es;
	/* day */
	int64_t day;
	double day_peak, equity;
	/* exposure */
	double gross; /* USD */
	double largest_share, herfindahl;
	int open_positions;
	int64_t trades_ms; /* newest trade time; later trades never go back */
};

static int window_for(const struct risk_book *b, double ppy, struct risk_window **out)
{
	struct risk_window_config wc = {b->cfg.window_count, b->cfg.window_age_ms, ppy, b->cfg.ewma_lambda};
	return risk_window_new(out, &wc);
}

static double periods_per_year(const struct risk_book_config *c)
{
	return 365.0 * 86400000.0 / (double)c->period_ms;
}

int risk_book_new(struct risk_book **out, const struct risk_book_config *cfg)
{
	if (cfg->window_count < 2 || cfg->period_ms <= 0 || cfg->max_strategies < 1 ||
	    risk_check_confidences(cfg->conf, cfg->n_conf) != 0)
		return ORCH_EINVAL;
	struct risk_book *b = calloc(1, sizeof(*b));
	if (!b)
		return ORCH_ENOMEM;
	b->cfg = *cfg;
	b->strats = calloc((size_t)cfg->max_strategies + 1, sizeof(*b->strats));
	int rc = b->strats ? window_for(b, periods_per_year(cfg), &b->equity_w) : ORCH_ENOMEM;
	if (rc == 0)
		rc = window_for(b, 1, &b->trades_w);
	if (rc == 0)
		rc = window_for(b, periods_per_year(cfg), &b->unit_w);
	if (rc != 0) {
		risk_book_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void risk_book_free(struct risk_book *b)
{
	if (!b)
		return;
	risk_window_free(b->equity_w);
	risk_window_free(b->unit_w);
	risk_window_free(b->trades_w);
	for (int i = 0; b->strats && i < b->n_strats; i++)
		risk_window_free(b->strats[i].w);
	free(b->strats);
	free(b);
}

static int push_checked(struct risk_window *w, double r, int64_t t, char *why, size_t whylen)
{
	int rc = risk_window_push(w, r, t);
	if (rc == ORCH_EINVAL) {
		snprintf(why,
			 whylen,
			 "return %g at %lld cannot enter the window (loss beyond 100%% or time going back)",
			 r,
			 (long long)t);
		return ORCH_EMALFORMED;
	}
	return rc;
}

/* The strategy's window; names past max_strategies share "other". */
static int strat_window(struct risk_book *b, const char *name, struct strat **out)
{
	for (int i = 0; i < b->n_strats; i++) {
		if (strcmp(b->strats[i].name, name) == 0) {
			*out = &b->strats[i];
			return 0;
		}
	}
	if (b->n_strats == b->cfg.max_strategies) {
		if (strcmp(name, "other") != 0)
			return strat_window(b, "other", out);
	}
	struct strat *s = &b->strats[b->n_strats];
	int rc = window_for(b, 1, &s->w);
	if (rc != 0)
		return rc;
	snprintf(s->name, sizeof(s->name), "%s", name);
	b->n_strats++;
	*out = s;
	return 0;
}

static int apply_trade(struct risk_book *b, const struct risk_input *in, char *why, size_t whylen)
{
	/* trades from several producers arrive slightly out of order: one
	 * arriving late counts at the newest time seen */
	int64_t t = in->t_ms > b->trades_ms ? in->t_ms : b->trades_ms;
	struct strat *s;
	int rc = strat_window(b, in->strategy, &s);
	if (rc == 0)
		rc = push_checked(s->w, in->ret, t, why, whylen);
	if (rc != 0)
		return rc;
	b->trades_ms = t;
	return push_checked(b->trades_w, in->ret, t, why, whylen);
}

static void apply_exposure(struct risk_book *b, const struct risk_input *in)
{
	if (in->n_symbols > 0) {
		double gross = 0, sq = 0, top = 0;
		int held = 0;
		for (int i = 0; i < in->n_symbols; i++) {
			gross += in->symbol_exposure[i];
			held += in->symbol_exposure[i] > 0;
		}
		for (int i = 0; i < in->n_symbols && gross > 0; i++) {
			double w = in->symbol_exposure[i] / gross;
			sq += w * w;
			top = w > top ? w : top;
		}
		b->gross = gross;
		b->herfindahl = sq;
		b->largest_share = top;
		b->open_positions = held;
	}
	if (in->total_exposure >= 0)
		b->gross = in->total_exposure;
	if (in->open_positions >= 0)
		b->open_positions = in->open_positions;
}

/* The unit window's expected shortfall at the highest confidence
 * (historical or Gaussian, whichever is larger: a short window's history
 * can be mild), the yardstick of the next period's loss per unit of
 * exposure; 0 until the window suffices. Once per period: the window
 * changes only when a period closes. */
static void note_es(struct risk_book *b)
{
	struct risk_metrics m;
	b->period_es = 0;
	if (risk_window_metrics(b->unit_w, b->cfg.conf, b->cfg.n_conf, &m) != 0 || !m.sufficient)
		return;
	int top = m.n_conf - 1;
	b->period_es = fmax(m.historical[top].es, m.gaussian[top].es);
}

/* The open period's return r so far (not in the window yet), per unit of
 * the exposure it started with, as a loss in expected shortfalls of the
 * unit window before it: the same loss reads the same whatever size the
 * layer let the book run at. */
static void note_tail(struct risk_book *b, double r)
{
	double lev = b->prev_close > 0 ? b->prev_gross / b->prev_close : 0;
	double u = lev >= 0.01 ? r / lev : 0;
	b->period_loss = u < 0 ? -u : 0;
	b->loss_to_es = b->period_es > 0 ? b->period_loss / b->period_es : 0;
}

/* The period's return per unit of the gross leverage held through it
 * (ending at t_ms): into the unit window and the EWMA variances. A loss
 * beyond 99% per unit (an exposure figure older than the trades) is
 * clamped there. */
static int note_unit_return(struct risk_book *b, double r, int64_t t_ms)
{
	double lev = b->prev_close > 0 ? b->prev_gross / b->prev_close : 0;
	if (lev < 0.01)
		return 0; /* (nearly) flat: the return says nothing of the markets held */
	double u = fmax(r / lev, -0.99), u2 = u * u;
	double ls = b->cfg.ewma_lambda, ll = b->cfg.ewma_lambda_long > 0 ? b->cfg.ewma_lambda_long : ls;
	/* sums from zero, divided by their weight (1 - lambda^n) in the view:
	 * no start value to wear off, the long estimate is right from the
	 * first periods */
	b->unit_n++;
	b->unit_var_short = ls * b->unit_var_short + (1 - ls) * u2;
	b->unit_var_long = ll * b->unit_var_long + (1 - ll) * u2;
	b->unit_w_short = ls * b->unit_w_short + (1 - ls);
	b->unit_w_long = ll * b->unit_w_long + (1 - ll);
	return risk_window_push(b->unit_w, u, t_ms) == ORCH_ENOMEM ? ORCH_ENOMEM : 0;
}

static int apply_snapshot(struct risk_book *b, const struct risk_input *in, char *why, size_t whylen)
{
	int64_t period = in->t_ms / b->cfg.period_ms;
	int64_t day = in->t_ms / 86400000;
	if (b->have_equity && period < b->period) {
		snprintf(why, whylen, "snapshot at %lld is older than the open period", (long long)in->t_ms);
		return ORCH_EMALFORMED;
	}
	/* the period's return is taken against the close before it */
	double base = b->have_equity && period > b->period ? b->period_close : b->prev_close;
	if (base > 0 && in->equity / base - 1 > TRADE_MAX_RETURN) {
		snprintf(why,
			 whylen,
			 "equity %g is %.0f times the last close %g: beyond +1000%% in one period",
			 in->equity,
			 in->equity / base,
			 base);
		return ORCH_EMALFORMED;
	}
	if (b->have_equity && period > b->period) {
		if (b->prev_close > 0) {
			double r = b->period_close / b->prev_close - 1;
			int64_t at = (b->period + 1) * b->cfg.period_ms;
			int rc = push_checked(b->equity_w, r, at, why, whylen);
			if (rc == 0)
				rc = note_unit_return(b, r, at);
			if (rc != 0)
				return rc;
			note_es(b);
		}
		b->prev_close = b->period_close;
		b->prev_gross = b->gross; /* the last known before the new period's snapshot */
	}
	if (!b->have_equity || day != b->day) {
		b->day_peak = b->have_equity ? b->equity : in->equity;
		b->day = day;
	}
	b->have_equity = 1;
	b->period = period;
	b->period_close = in->equity;
	b->equity = in->equity;
	if (in->equity > b->day_peak)
		b->day_peak = in->equity;
	apply_exposure(b, in);
	/* the open period's return so far, against the window before it */
	if (b->prev_close > 0)
		note_tail(b, b->period_close / b->prev_close - 1);
	return 0;
}

int risk_book_apply(struct risk_book *b, const struct risk_input *in, int64_t now_ms, char *why, size_t whylen)
{
	int rc = trade_check_age(in->t_ms, now_ms, b->cfg.window_age_ms, why, whylen);
	if (rc != 0)
		return rc;
	switch (in->kind) {
	case RISK_IN_TRADE:
		rc = apply_trade(b, in, why, whylen);
		break;
	case RISK_IN_SNAPSHOT:
		rc = apply_snapshot(b, in, why, whylen);
		break;
	case RISK_IN_EXPOSURE:
		apply_exposure(b, in);
		rc = 0;
		break;
	default:
		snprintf(why, whylen, "unknown input kind");
		return ORCH_EMALFORMED;
	}
	return rc;
}

void risk_book_expire(struct risk_book *b, int64_t now_ms)
{
	risk_window_expire(b->equity_w, now_ms);
	risk_window_expire(b->unit_w, now_ms);
	risk_window_expire(b->trades_w, now_ms);
	for (int i = 0; i < b->n_strats; i++)
		risk_window_expire(b->strats[i].w, now_ms);
}

void risk_book_view(const struct risk_book *b, struct risk_view *out, const char **source)
{
	memset(out, 0, sizeof(*out));
	const struct risk_window *w = b->equity_w;
	*source = "equity_snapshots";
	if (risk_window_count(w) < RISK_MIN_OBS && risk_window_count(b->trades_w) >= RISK_MIN_OBS) {
		w = b->trades_w;
		*source = "closed_trades";
	} else if (risk_window_count(w) == 0) {
		*source = "none";
	}
	risk_window_metrics(w, b->cfg.conf, b->cfg.n_conf, &out->portfolio);
	/* drawdowns are the book's, from equity: never from pooled trades */
	risk_window_drawdowns(b->equity_w, &out->portfolio.current_drawdown, &out->portfolio.max_drawdown);
	/* the drawdown of the markets held, in the spread a driftless walk
	 * would show over the window: blind to the size the layer set */
	size_t un = risk_window_count(b->unit_w);
	double usd = risk_window_sd(b->unit_w), umax;
	risk_window_drawdowns(b->unit_w, &out->unit_drawdown, &umax);
	out->drawdown_sigma_known = un >= RISK_SIGMA_MIN_OBS && usd > 0;
	if (out->drawdown_sigma_known)
		out->drawdown_sigma = out->unit_drawdown / (usd * sqrt((double)un));
	double ppy = periods_per_year(&b->cfg);
	out->unit_n = b->unit_n;
	if (b->unit_n) {
		out->unit_vol_short = sqrt(b->unit_var_short / b->unit_w_short * ppy);
		out->unit_vol_long = sqrt(b->unit_var_long / b->unit_w_long * ppy);
	}
	out->period_loss = b->period_loss;
	out->period_es = b->period_es;
	out->loss_to_es = b->loss_to_es;
	out->have_snapshot = b->have_equity;
	out->equity = b->equity;
	out->gross_exposure = b->gross;
	out->leverage = b->equity > 0 ? b->gross / b->equity : 0;
	out->daily_drawdown = b->day_peak > 0 ? 1 - b->equity / b->day_peak : 0;
	out->largest_share = b->largest_share;
	out->herfindahl = b->herfindahl;
	out->open_positions = b->open_positions;
}

json_t *risk_book_strategies_json(const struct risk_book *b)
{
	json_t *all = json_object();
	for (int i = 0; all && i < b->n_strats; i++) {
		struct risk_metrics m;
		risk_window_metrics(b->strats[i].w, b->cfg.conf, b->cfg.n_conf, &m);
		json_t *o = json_pack("{s:I, s:b, s:f, s:f, s:f, s:f}",
				      "n_obs",
				      (json_int_t)m.n_obs,
				      "sufficient",
				      m.sufficient,
				      "mean_return",
				      m.mean,
				      "sharpe",
				      m.sharpe,
				      "max_drawdown",
				      m.max_drawdown,
				      "sortino",
				      m.sortino);
		for (int c = 0; o && c < m.n_conf; c++) {
			char k[48];
			snprintf(k, sizeof(k), "var_historical_%g", m.conf[c] * 100);
			json_object_set_new(o, k, json_real(m.historical[c].var));
			snprintf(k, sizeof(k), "es_historical_%g", m.conf[c] * 100);
			json_object_set_new(o, k, json_real(m.historical[c].es));
		}
		if (o)
			json_object_set_new(all, b->strats[i].name, o);
	}
	return all;
}
