/*
 * federation_status.h - the status objects of GET /agents/status and
 * /agents/{ceo,risk,strategy}/status: the keys of the original agents'
 * get_status() (original-system-wire.md 3.1-3.4) beside our own, built
 * from what the Federation already holds (the agents' newest payloads in
 * struct fed_state, what it counted of their events, the lease holders).
 * Pure (jansson only, the time passed in): the loop builds them and the
 * REST API serves them as they are.
 *
 * Per agent, ours: agent, running (an event within the source's freshness
 * limit), age_s, last_event, source, leader (lease holder), enabled (the
 * policy's enable_ai_*), last_state. The original's:
 *   every agent  instance_id (the lease holder, null until known)
 *   ceo          current_mode (the mode the policy holds, null before
 *                one is read; never from an event), decision_interval
 *                (s, as the CEO states it in
 *                ceo_decision.decision_interval_s), recent_decisions_count
 *                (decisions received, at most FED_STATUS_RECENT),
 *                last_decision, cached_states {risk_state_available,
 *                strategy_state_available, portfolio_state_available,
 *                system_health_available}: from its last decision (risk known,
 *                strategy and health not stale; its portfolio figures come in
 *                the risk state)
 *   risk         assessment_interval (s, risk_state_update's
 *                assessment_interval_s), returns_history_length
 *                (metrics.n_obs), recent_assessments_count, last_assessment,
 *                portfolio_state_cached (an equity snapshot reached it)
 *   strategy     analysis_interval (s, strategy_state_update's
 *                analysis_interval_s), tracked_strategies, tracked_models,
 *                current_regime ("UNKNOWN" when none), recent_recommendations_count,
 *                last_recommendation (the newest strategy_recommendation)
 * An interval the agent has not stated yet, or a payload not received, is
 * null; counts are 0.
 */
#ifndef FEDERATION_STATUS_H
#define FEDERATION_STATUS_H

#include <jansson.h>
#include <stdint.h>

#include "federation_brain.h"

#define FED_STATUS_RECENT 10 /* the original agents' recent lists hold 10 */

enum fed_agent_id { FED_AGENT_CEO, FED_AGENT_RISK, FED_AGENT_STRATEGY, FED_N_AGENTS };

/* What the Federation knows of one agent beside its newest state. */
struct fed_agent {
	char last_event[64], source[64];
	char leader[160];       /* lease holder, "" when unknown */
	int64_t at_ms;          /* decision clock at its last event, 0 = never */
	long n_states;          /* its decisions, assessments or recommendations received */
	json_t *recommendation; /* strategy: the newest strategy_recommendation (owned), NULL = none */
};

/* The agent's name in the API's paths and objects ("ceo", "risk", "strategy"). */
const char *fed_agent_name(enum fed_agent_id id);
/* Counts one state event of a, and for the strategy keeps payload (a new
 * reference is taken) as its newest recommendation when it is one. */
void fed_agent_note_state(struct fed_agent *a, json_t *recommendation);
/* Drops what a owns; the struct stays usable (all zero). */
void fed_agent_release(struct fed_agent *a);

/* Agent id's status at now_ms from a and st (borrowed). New reference,
 * NULL when out of memory. */
json_t *fed_status_agent(enum fed_agent_id id, const struct fed_agent *a, const struct fed_state *st,
			 const struct fed_config *c, int64_t now_ms);
/* The Federation's own status: instance_id, running, update_interval (s),
 * has_global_state, integration_health {ceo_state, risk_state,
 * strategy_state: {available, age_seconds, stale}} and latest_global_state
 * (gs, borrowed, or null before it is complete), and agents (stolen: the
 * three agents' objects by name). New reference, NULL when out of memory. */
json_t *fed_status_federation(const char *instance_id, int64_t interval_ms, const json_t *gs, json_t *agents);

#endif
