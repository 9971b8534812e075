/*
 * federation_brain.h - the Federation's GlobalState, pure (jansson only,
 * the time passed in): the latest CEO decision, risk state, strategy
 * state, Risk Officer ceiling and PolicyStore document merged into one
 * object with the original's fields.
 *
 * Merge rules:
 *   global_mode            the PolicyStore's operating_mode (else the CEO's
 *                          mode for its active_mode: AGGRESSIVE_SMALL_ACCOUNT
 *                          GROWTH, NORMAL EXPANSION, DEFENSIVE), else
 *                          "UNKNOWN": a mode shows only once the policy
 *                          holds it, whatever the events say
 *   mode_decision_source   the newer of the CEO decision and the last
 *                          ceo_mode_switch that name that mode ("ceo",
 *                          "mode_switch"), or null; mode_reason and
 *                          mode_decision_confidence come from it (a switch
 *                          counts as confidence 1); last_decision_mode is
 *                          the newest decision's mode, informational
 *   emergency_stop         the policy's stop: held (emergency_mode true or
 *                          allow_new_trades false), set_by
 *                          (emergency_set_by, else the document's
 *                          updated_by), reason, activated_at
 *   effective_risk_limits  field by field the stricter of the policy's
 *                          modes[active_mode], the CEO's effective_limits
 *                          and the Risk Officer's ceiling: the lowest
 *                          max_leverage, max_risk_pct_per_trade,
 *                          max_daily_drawdown, max_positions and
 *                          scaling_factor, the highest global_min_confidence,
 *                          a feature enabled only where every source
 *                          enables it; `limit_sources` names which source
 *                          set each field
 *   risk_*                 the risk state's risk_score, risk_level,
 *                          should_reduce_exposure, should_pause_trading
 *   strategies             active = the ranking's active ones; disabled =
 *                          the union of the strategy state's and the
 *                          policy's disabled_strategies
 *   disabled_features      BLACK_SWAN: new_positions, rl_position_sizing,
 *                          meta_strategy, retraining; CAPITAL_PRESERVATION:
 *                          rl_position_sizing, meta_strategy; risk level
 *                          critical adds new_positions and
 *                          leverage_increase, high adds leverage_increase;
 *                          a held emergency stop adds new_positions
 *   alerts                 the latest alerts of each source, one per
 *                          (source, code), the most severe kept
 * Every source carries its age; one older than its freshness limit makes
 * the state `degraded`, with the reason, and so does a PolicyStore that
 * cannot be trusted now (fed_state_policy_problem: data lost, wrong type); data_completeness is the share of
 * sources that ever reported; all_agents_healthy holds when the three
 * agents are fresh.
 */
#ifndef FEDERATION_BRAIN_H
#define FEDERATION_BRAIN_H

#include <jansson.h>
#include <stdint.h>

/* The sources of the state; FED_SWITCH (the newest ceo_mode_switch) is
 * kept beside them but does not count towards completeness or freshness. */
enum fed_source {
	FED_CEO,
	FED_RISK,
	FED_STRATEGY,
	FED_CEILING,
	FED_POLICY,
	FED_N_SOURCES,
	FED_SWITCH = FED_N_SOURCES,
	FED_N_DOCS
};

struct fed_config {
	int64_t fresh_ms[FED_N_SOURCES]; /* 0 = never stale */
};

/* CEO 90 s, risk 90 s, strategy 180 s (three of each agent's cycles);
 * ceiling and policy never stale (they change only when needed). */
void fed_config_defaults(struct fed_config *c);

#define FED_MAX_ALERTS 64

struct fed_alert {
	char source[16];
	char code[48];
	char level[16];
	char message[200];
	int64_t at_ms;
};

/* What the federation holds: the newest payload of each source (owned
 * references, NULL = never) with its arrival time, and recent alerts. */
struct fed_state {
	json_t *doc[FED_N_DOCS];
	int64_t at_ms[FED_N_DOCS];
	struct fed_alert alerts[FED_MAX_ALERTS];
	int n_alerts;
	char policy_problem[256]; /* why the PolicyStore is not to be trusted now, "" when it is */
};

void fed_state_init(struct fed_state *s);
void fed_state_release(struct fed_state *s);
/* Takes a reference to payload as the newest of source. */
void fed_state_set(struct fed_state *s, enum fed_source src, json_t *payload, int64_t now_ms);
/* The operating mode the policy document pol holds: operating_mode, else
 * the CEO's mode for the original's active_mode; NULL when neither (or
 * pol is NULL). Borrowed from pol. */
const char *fed_policy_mode(const json_t *pol);
/* Why the policy document cannot be trusted now (Redis lost it, the key
 * holds another type, ...), or NULL/"" when it can. */
void fed_state_policy_problem(struct fed_state *s, const char *problem);
/* Records alerts from a risk_alert, strategy_alert or ceo_alert payload
 * (source "risk", "strategy" or "ceo"), replacing the entry of the same
 * (source, code) unless the older one is more severe and still recent.
 * Returns the number recorded. */
int fed_state_alerts(struct fed_state *s, const char *source, const json_t *payload, int64_t now_ms);

/* The GlobalState at now_ms. New reference (NULL: out of memory). It has
 * "complete": whether the CEO, risk and strategy sources have all
 * reported (the REST API answers "initializing" until then). */
json_t *fed_global_state(const struct fed_state *s, const struct fed_config *c, int64_t now_ms);

#endif
