/*
 * strategy_book.h - what the Strategy Officer knows, pure (no I/O): the
 * trading system's events mapped to inputs, and a rolling window of
 * per-trade returns per strategy and of evaluated predictions per model.
 *
 * Event types and the fields read (numbers or numeric strings; "direct"
 * entries carry every field as a string):
 *   closed trade  trade.closed, position.closed, position_closed:
 *                 return from pnl_percent | pnl_pct | realized_pnl_pct
 *                 (PERCENT, required); strategy from strategy |
 *                 strategy_name | strategy_id | meta_strategy; model from
 *                 model | model_version; symbol; side from side |
 *                 direction (buy/long, sell/short) or is_long;
 *                 confidence | entry_confidence (probability in [0, 1]).
 *   decision      ai.decision.made, ai.signal_generated, model_prediction,
 *                 strategy_executed: symbol and side | action | direction
 *                 (required; HOLD is no prediction), strategy, model,
 *                 confidence | ensemble_confidence.
 *   regime        meta.regime, regime_detected: regime | market_regime
 *                 (required).
 * A closed trade that names no strategy is attributed to the strategy of
 * the newest decision on its symbol within decision_ttl_ms, else to its
 * model (model, model_version, model_name or model_id: the live
 * executors' only model field), else to "unattributed", which is tracked
 * but never ranked to lead. Every closed trade whose model and side
 * are known is also an evaluated prediction of that model: right when
 * the return is positive, or, when the input states the realised
 * direction (offline files), when the side matches it. Decisions and
 * trades travel on different streams, consumed independently: a trade
 * handled before the decision that opened it falls back to the model.
 */
#ifndef STRATEGY_BOOK_H
#define STRATEGY_BOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The strategy of trades that name none (no strategy, decision or model):
 * tracked, never ranked as a strategy that could lead. */
#define STRAT_UNATTRIBUTED "unattributed"
#define STRAT_NAME_LEN     64

enum strat_input_kind { STRAT_IN_TRADE = 1, STRAT_IN_DECISION, STRAT_IN_REGIME };

struct strat_input {
	enum strat_input_kind kind;
	int64_t t_ms;                  /* event time */
	char strategy[STRAT_NAME_LEN]; /* "" when the event names none */
	char model[STRAT_NAME_LEN];    /* "" when none */
	char symbol[32];               /* "" when none */
	int side;                      /* +1 long, -1 short, 0 unknown / hold */
	double ret;                    /* trade: fraction of the stake */
	double confidence;             /* probability in [0, 1]; < 0 = not given */
	int outcome;                   /* trade: realised direction +1 / -1; 0 = judge
					  the prediction by the return's sign */
	char regime[32];
};

enum strat_input_kind strat_input_kind_of(const char *event_type);
/* Comma-separated list of every event type strat_input_kind_of() knows. */
const char *strat_input_known_types(void);
/* Maps an event's payload to an input. Returns 0, or ORCH_EMALFORMED with
 * the reason in why. */
int strat_input_parse(const char *event_type, const json_t *payload, int64_t t_ms, struct strat_input *out, char *why,
		      size_t whylen);

struct strat_book_config {
	size_t window_count;     /* trades (predictions) kept per unit, >= 2 */
	int64_t window_age_ms;   /* 0 = no age limit */
	size_t max_units;        /* strategies, and models, tracked; later names share "other" */
	int64_t decision_ttl_ms; /* how long a decision attributes its symbol's trades */
};

/* One strategy or model: its window (a ring, oldest at head) and the
 * state the brain keeps about it. */
struct strat_unit {
	char name[STRAT_NAME_LEN];
	int64_t *t;
	double *v;         /* strategy: return; model: +1 right, 0 wrong */
	signed char *side; /* model: predicted side */
	double *prob;      /* model: stated probability, < 0 none */
	size_t head, n, cap;
	int64_t last_ms;
	/* kept by strategy_brain */
	int disabled, degraded;
	char reason[40];
	double evidence, threshold;
	int64_t changed_ms;
	int changed;
};

struct strat_book;

int strat_book_new(struct strat_book **out, const struct strat_book_config *cfg);
void strat_book_free(struct strat_book *b);
/* Applies an input at now_ms (the decision clock). Returns 0,
 * ORCH_EMALFORMED (why set: time going back is not refused, a return
 * <= -100% is, and so is an input older than the window at now_ms:
 * trade_check_age) or ORCH_ENOMEM. */
int strat_book_apply(struct strat_book *b, const struct strat_input *in, int64_t now_ms, char *why, size_t whylen);
/* Drops window entries older than now_ms - window_age_ms. */
void strat_book_expire(struct strat_book *b, int64_t now_ms);

size_t strat_book_strategies(const struct strat_book *b);
size_t strat_book_models(const struct strat_book *b);
struct strat_unit *strat_book_strategy(struct strat_book *b, size_t i);
struct strat_unit *strat_book_model(struct strat_book *b, size_t i);
/* The newest regime seen ("" when none). */
const char *strat_book_regime(const struct strat_book *b);
/* i-th oldest entry of a unit's window. */
size_t strat_unit_at(const struct strat_unit *u, size_t i);

#endif
