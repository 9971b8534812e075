/*
 * gate_wire.h - the live gate's wire (jansson, no I/O): reads the request
 * bodies of quantum_trader's orchestration client into struct gate_signal,
 * writes the answers under the names that client and the original stubs
 * use (docs/live-gate.md), and fills struct gate_state from the
 * Federation's state. The decisions are gate.h's.
 *
 * Bodies. Python's json.dumps writes NaN, Infinity and -Infinity bare; they
 * are read as null, so a NaN confidence is a missing one (refused with a
 * reason, not approved). ORCH_EMALFORMED (the HTTP layer answers 400) for:
 * not JSON, a duplicate key, not an object; strategy: `symbol` missing, not
 * a string, empty or over 63 bytes, `direction` missing or not
 * BUY/SELL/LONG/SHORT (any case); risk: `signal` missing or not an object,
 * `operating_mode` not a string, the signal's `symbol` as above, its
 * `direction` when present as above; both: `confidence`,
 * `position_size_usd` or `leverage` present but not a number (a numeric
 * string is one), size or leverage negative, `strategy` (or `strategy_id`,
 * `strategy_name`) or `model` (`model_id`, `model_name`) not a string or
 * over 63 bytes. A confidence outside 0..1 is kept and refused by the gate.
 * Note: the original client treats a 400 like an approval (fail-open); it
 * never sends such bodies itself.
 */
#ifndef FEDERATION_GATE_WIRE_H
#define FEDERATION_GATE_WIRE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "federation_brain.h"
#include "gate.h"

/* POST {STRATEGY}/evaluate: {"symbol", "direction", "confidence",
 * "entry_price"?, "regime"?, "strategy"?, "model"?}. Returns 0, or
 * ORCH_EMALFORMED with "field: what is wrong" in why; ORCH_ENOMEM. */
int gate_wire_parse_strategy(const char *body, size_t len, struct gate_signal *out, char *why, size_t whylen);
/* POST {RISK}/evaluate: {"signal": {...}, "operating_mode": "..."}. Same
 * returns. */
int gate_wire_parse_risk(const char *body, size_t len, struct gate_signal *out, char *why, size_t whylen);

/* The answers; each a new reference (NULL: out of memory), every number
 * finite, "timestamp" as the stubs write it (UTC, no zone, microseconds).
 *   status    {status "active", mode, confidence, operating_mode|null,
 *             safe_side, emergency_stop, decision_age_s|null, reason,
 *             timestamp, conventions}
 *   health    {status "healthy"|"degraded" (safe side), service, timestamp,
 *             enabled true, mode}; service "ceo_brain", "strategy_brain"
 *             or "risk_brain"
 *   strategy  {approved, reason, code, min_confidence|null, timestamp}
 *   risk      {approved, position_size, leverage, risk_score, max_loss,
 *             adjusted_size_usd, adjusted_leverage, state_risk_score|null,
 *             mode, reason, code, rl_applied false, timestamp, conventions} */
json_t *gate_wire_status(const struct gate_ceo_status *st, int64_t now_ms);
json_t *gate_wire_health(const char *service, const struct gate_ceo_status *st, int64_t now_ms);
json_t *gate_wire_strategy(const struct gate_strategy_verdict *v, int64_t now_ms);
json_t *gate_wire_risk(const struct gate_risk_verdict *v, int64_t now_ms);

/*
 * Fills out (initialised first) from the Federation's sources and the
 * GlobalState fed_global_state() made of them (borrowed):
 *   operating_mode   global_mode (the policy's), timed by the event that
 *                    decided it (mode_decision_source: the CEO decision or
 *                    the operator's mode switch); with none it has no
 *                    time, so only BLACK_SWAN counts
 *   policy_problem   the Federation's (its PolicyStore lost the document,
 *                    ...): the safe side until it is gone
 *   decision_confidence  mode_decision_confidence when the CEO set the mode
 *   emergency        the policy's emergency_mode true or allow_new_trades
 *                    false, with emergency_reason
 *   limits           effective_risk_limits; ceiling: the risk_ceiling_update
 *   risk             the risk state's risk_score, should_pause_trading,
 *                    risk_level "critical", metrics.equity and
 *                    metrics.open_positions, timed by its arrival
 *   disabled         disabled_strategies; the policy's disabled_models and
 *                    the strategy state's models with status "disabled"
 */
void gate_wire_state(const struct fed_state *s, const json_t *global_state, struct gate_state *out);

#endif
