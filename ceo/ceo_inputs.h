/*
 * ceo_inputs.h - what the CEO reads, pure (jansson only): the other
 * services' events folded into struct ceo_inputs, and operator commands.
 *
 *   risk_state_update     risk_score (required, 0-100, higher = more risk);
 *                         metrics.daily_drawdown, metrics.current_drawdown
 *                         (drawdown from the peak), metrics.open_positions;
 *                         score_components.var/es.value (VaR, ES over
 *                         their ceilings)
 *   risk_alert            level; risk_score and the DRAWDOWN /
 *                         DAILY_DRAWDOWN values of alert_details, when
 *                         given, update the risk reading at once
 *   risk_ceiling_update   max_leverage, max_risk_per_trade, max_positions
 *   strategy_state_update win_rate (required); the win rate counts as
 *                         known when a primary strategy exists (enough
 *                         trades), or, from the original publisher, always;
 *                         ranking[0].wilson_lower, strategies_eligible,
 *                         strategies_disabled
 *   system_health_update  overall_health | health: HEALTHY, DEGRADED,
 *                         CRITICAL or OFFLINE (required)
 *   system_degraded       health DEGRADED (or the payload's health)
 *   meta.regime,          regime | market_regime (required), confidence |
 *   regime_detected       regime_confidence
 *   ceo_command           request_id, action (force_decision, set_mode,
 *                         leave_black_swan, clear_emergency_stop), mode,
 *                         reason, operator
 */
#ifndef CEO_INPUTS_H
#define CEO_INPUTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ceo_brain.h"

enum ceo_event {
	CEO_EV_NONE,
	CEO_EV_RISK_STATE,
	CEO_EV_RISK_ALERT,
	CEO_EV_CEILING,
	CEO_EV_STRATEGY,
	CEO_EV_HEALTH,
	CEO_EV_DEGRADED,
	CEO_EV_REGIME,
	CEO_EV_COMMAND,
};

/* The event types the CEO subscribes to, and their kinds. */
extern const char *const ceo_input_types[];
extern const int ceo_n_input_types;
enum ceo_event ceo_event_of(const char *event_type);

/*
 * Folds one event received at now_ms into in. *critical is set for a
 * CRITICAL risk_alert. Returns 0, or ORCH_EMALFORMED with the reason in
 * why (nothing changed).
 */
int ceo_inputs_apply(struct ceo_inputs *in, enum ceo_event kind, const json_t *payload, int64_t now_ms, int *critical,
		     char *why, size_t whylen);

enum ceo_action { CEO_CMD_FORCE_DECISION, CEO_CMD_SET_MODE, CEO_CMD_LEAVE_BLACK_SWAN, CEO_CMD_CLEAR_EMERGENCY_STOP };

struct ceo_command {
	char request_id[80];
	enum ceo_action action;
	int has_mode;
	enum ceo_mode mode;
	char reason[200];
	char operator_id[64];
};

/* Parses a ceo_command. ORCH_EMALFORMED (why set) without a request_id or
 * action; set_mode needs mode, reason and operator; leave_black_swan needs
 * reason and operator (mode optional, default CAPITAL_PRESERVATION);
 * clear_emergency_stop needs reason and operator. */
int ceo_command_parse(const json_t *payload, struct ceo_command *out, char *why, size_t whylen);

#endif
