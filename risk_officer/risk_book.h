/*
 * risk_book.h - what the Risk Officer knows, pure (no I/O): trading events
 * mapped to inputs (closed trades, portfolio snapshots, exposure updates),
 * and the rolling windows and portfolio state they feed.
 *
 * Event types and the fields read (numbers or numeric strings; "direct"
 * entries carry every field as a string):
 *   closed trade   trade.closed, position.closed, position_closed:
 *                  return from pnl_percent | pnl_pct | realized_pnl_pct
 *                  (PERCENT, divided by 100); strategy from strategy |
 *                  strategy_id | strategy_name, else model | model_version
 *                  (else "unattributed"); symbol (optional).
 *   snapshot       portfolio.snapshot_updated, portfolio_state_update:
 *                  equity from total_equity | equity | account_balance
 *                  (USD, > 0, required); total_exposure (USD, optional);
 *                  num_positions | open_positions (optional); positions
 *                  (optional array of objects with symbol and exposure |
 *                  notional | size_usd, USD) for concentration.
 *   exposure       portfolio.exposure_updated: exposure_by_symbol (object
 *                  symbol -> USD) and/or total_exposure (USD), one required.
 * A missing or invalid required field makes the event malformed (reason
 * given), never guessed at.
 *
 * Portfolio returns are period returns of equity: the last equity seen in
 * each period of `period_ms` (event time) closes it, and r = close/previous
 * close - 1 enters the window when a later period starts. Closed-trade
 * returns feed one pooled window and one window per strategy. Until the
 * equity series has RISK_MIN_OBS returns, the pooled trade returns stand in
 * for the portfolio's tail metrics (the view says which source it used).
 * Daily drawdown is 1 - equity / the day's peak (UTC day, the previous
 * day's last equity counting as the opening peak). Drawdowns always come
 * from equity (a short history of closed trades is not a drawdown of the
 * book), from the first period on.
 *
 * Exposure-normalised returns: each period's return divided by the gross
 * leverage held at its start (the return per unit of exposure, the same
 * whatever size the layer lets the book run at), kept in a window like the
 * equity's, and two EWMA volatilities of them, short and long: their ratio
 * says how calm the markets the book holds are against their own norm
 * (volatility targeting). Their drawdown in sigmas (drawdown / (sd *
 * sqrt(n))) says how far the strategies are below their best, whatever
 * size the layer held them at: cutting the size cannot keep it from
 * healing. The open
 * period's loss so far is also measured in expected shortfalls of the
 * window (at the highest confidence; the period is not in the window yet):
 * the brain calls a loss of many ES a tail event.
 */
#ifndef RISK_BOOK_H
#define RISK_BOOK_H

#define RISK_SIGMA_MIN_OBS 20 /* periods before a drawdown is measured in sigmas */

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "risk_brain.h"
#include "risk_models.h"

#define RISK_BOOK_MAX_SYMBOLS 256
/* The domain of USD amounts (equity, exposures): below a quadrillion. An
 * equity snapshot more than 1 + TRADE_MAX_RETURN times the last period's
 * close is refused too: period returns stay in the trades' domain, so no
 * measure of the windows can overflow. */
#define RISK_MAX_USD 1e15

enum risk_input_kind { RISK_IN_TRADE = 1, RISK_IN_SNAPSHOT, RISK_IN_EXPOSURE };

struct risk_input {
	enum risk_input_kind kind;
	int64_t t_ms; /* event time */
	/* trade */
	double ret; /* fraction */
	char strategy[64];
	/* snapshot */
	double equity;      /* USD, > 0 */
	int open_positions; /* -1 = not given */
	/* snapshot and exposure */
	double total_exposure;                         /* USD, < 0 = not given */
	int n_symbols;                                 /* breakdown given when > 0 */
	double symbol_exposure[RISK_BOOK_MAX_SYMBOLS]; /* USD, absolute */
};

/* Kind of input an event type maps to, or 0 when it is not one. */
enum risk_input_kind risk_input_kind_of(const char *event_type);
/* Comma-separated list of every event type risk_input_kind_of() knows. */
const char *risk_input_known_types(void);
/*
 * Maps an event's payload to an input. Returns 0, or ORCH_EMALFORMED with
 * the reason in why (e.g. "total_equity: not a number").
 */
int risk_input_parse(const char *event_type, const json_t *payload, int64_t t_ms, struct risk_input *out, char *why,
		     size_t whylen);

struct risk_book_config {
	size_t window_count;     /* returns kept per window */
	int64_t window_age_ms;   /* 0 = no age limit */
	int64_t period_ms;       /* portfolio return period */
	double ewma_lambda;      /* EWMA decay of volatilities, the short one (e.g. 0.94) */
	double ewma_lambda_long; /* the long one, of the exposure-normalised volatility (e.g. 0.9945) */
	int max_strategies;      /* windows per strategy; more are pooled as "other" */
	double conf[RISK_MAX_CONF];
	int n_conf;
};

struct risk_book;

/* Free with risk_book_free(). Returns 0, ORCH_EINVAL or ORCH_ENOMEM. */
int risk_book_new(struct risk_book **out, const struct risk_book_config *cfg);
void risk_book_free(struct risk_book *b);
/* Applies one input at now_ms (the decision clock). Returns 0,
 * ORCH_EMALFORMED (why set: e.g. a loss beyond 100%, time going back
 * within a window, or an input older than the window at now_ms:
 * trade_check_age) or ORCH_ENOMEM. */
int risk_book_apply(struct risk_book *b, const struct risk_input *in, int64_t now_ms, char *why, size_t whylen);
/* Expires returns older than the age limit at now_ms. */
void risk_book_expire(struct risk_book *b, int64_t now_ms);
/* The portfolio view for the brain; *source gets "equity_snapshots",
 * "closed_trades" or "none". */
void risk_book_view(const struct risk_book *b, struct risk_view *out, const char **source);
/* {"<strategy>": {n_obs, var_historical_95, es_historical_95, ...}} of
 * per-trade metrics; new reference, caller owns it. */
json_t *risk_book_strategies_json(const struct risk_book *b);

#endif
