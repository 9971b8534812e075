/*
 * federation_status.c - the agents' and the Federation's status objects
 * (see federation_status.h). Pure: jansson and the time passed in.
 */
#include "federation_status.h"

#include <stdio.h>
#include <string.h>

#include "json_util.h"

static const char *const NAMES[FED_N_AGENTS] = {"ceo", "risk", "strategy"};
static const enum fed_source SOURCES[FED_N_AGENTS] = {FED_CEO, FED_RISK, FED_STRATEGY};
static const char *const ENABLE_KEYS[FED_N_AGENTS] = {"enable_ai_ceo", "enable_ai_ro", "enable_ai_so"};
/* the keys under which each agent states its interval, and the original's name for it */
static const char *const INTERVAL_KEYS[FED_N_AGENTS] = {
	"decision_interval_s", "assessment_interval_s", "analysis_interval_s"};
static const char *const INTERVAL_NAMES[FED_N_AGENTS] = {
	"decision_interval", "assessment_interval", "analysis_interval"};

const char *fed_agent_name(enum fed_agent_id id)
{
	return NAMES[id];
}

void fed_agent_note_state(struct fed_agent *a, json_t *recommendation)
{
	a->n_states++;
	if (!recommendation)
		return;
	json_decref(a->recommendation);
	a->recommendation = json_incref(recommendation);
}

void fed_agent_release(struct fed_agent *a)
{
	json_decref(a->recommendation);
	memset(a, 0, sizeof(*a));
}

/* The recent_*_count of a: its state events, as many as the original kept. */
static json_int_t recent(const struct fed_agent *a)
{
	return a->n_states < FED_STATUS_RECENT ? a->n_states : FED_STATUS_RECENT;
}

/* v (borrowed) as a new reference, or null. */
static json_t *or_null(const json_t *v)
{
	return v ? json_incref((json_t *)v) : json_null();
}

/* The number at key of o as a real, or null when o has none. */
static json_t *number_or_null(const json_t *o, const char *key)
{
	double v;
	return json_util_get_double(o, key, &v) == 0 ? json_real(v) : json_null();
}

/* 1 when the space-separated list holds word. */
static int lists(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	return 0;
}

/* The CEO's own keys: its mode and what its last decision had in hand. */
static json_t *ceo_keys(const struct fed_agent *a, const struct fed_state *st)
{
	const json_t *d = st->doc[FED_CEO];
	/* the policy's, as in global state: an event alone shows no mode */
	const char *mode = fed_policy_mode(st->doc[FED_POLICY]);
	const char *stale = json_util_get_str(d, "stale_inputs");
	const json_t *risk_score = json_object_get(json_object_get(d, "factors"), "risk_score");
	int risk = d && risk_score && !json_is_null(risk_score);
	int strategy = d && !lists(stale, "strategy_state"), health = d && !lists(stale, "health");
	return json_pack("{s:o, s:I, s:o, s:{s:b, s:b, s:b, s:b}}",
			 "current_mode",
			 mode ? json_string(mode) : json_null(),
			 "recent_decisions_count",
			 recent(a),
			 "last_decision",
			 or_null(d),
			 "cached_states",
			 "risk_state_available",
			 risk,
			 "strategy_state_available",
			 strategy,
			 "portfolio_state_available",
			 risk,
			 "system_health_available",
			 health);
}

/* The Risk Officer's own keys, from its last assessment. */
static json_t *risk_keys(const struct fed_agent *a, const struct fed_state *st)
{
	const json_t *r = st->doc[FED_RISK], *m = json_object_get(r, "metrics");
	int64_t n_obs = 0;
	double equity = 0;
	json_util_get_int64(m, "n_obs", &n_obs);
	json_util_get_double(m, "equity", &equity);
	return json_pack("{s:I, s:I, s:o, s:b}",
			 "returns_history_length",
			 (json_int_t)n_obs,
			 "recent_assessments_count",
			 recent(a),
			 "last_assessment",
			 or_null(r),
			 "portfolio_state_cached",
			 equity > 0);
}

/* The Strategy Officer's own keys, from its last state and recommendation. */
static json_t *strategy_keys(const struct fed_agent *a, const struct fed_state *st)
{
	const json_t *s = st->doc[FED_STRATEGY];
	int64_t tracked = 0;
	json_util_get_int64(s, "strategies_tracked", &tracked);
	const char *regime = json_util_get_str(s, "regime");
	return json_pack("{s:I, s:I, s:s, s:I, s:o}",
			 "tracked_strategies",
			 (json_int_t)tracked,
			 "tracked_models",
			 (json_int_t)json_array_size(json_object_get(s, "models")),
			 "current_regime",
			 regime && regime[0] ? regime : "UNKNOWN",
			 "recent_recommendations_count",
			 recent(a),
			 "last_recommendation",
			 or_null(a->recommendation));
}

json_t *fed_status_agent(enum fed_agent_id id, const struct fed_agent *a, const struct fed_state *st,
			 const struct fed_config *c, int64_t now_ms)
{
	enum fed_source src = SOURCES[id];
	int enabled = 1;
	json_util_get_bool(st->doc[FED_POLICY], ENABLE_KEYS[id], &enabled);
	int running = a->at_ms > 0 && (!c->fresh_ms[src] || now_ms - a->at_ms <= c->fresh_ms[src]);
	json_t *o = json_pack("{s:s, s:o, s:b, s:o, s:s, s:s, s:o, s:b, s:o, s:o}",
			      "agent",
			      NAMES[id],
			      "instance_id",
			      a->leader[0] ? json_string(a->leader) : json_null(),
			      "running",
			      running,
			      "age_s",
			      a->at_ms ? json_real((double)(now_ms - a->at_ms) / 1000) : json_null(),
			      "last_event",
			      a->last_event,
			      "source",
			      a->source,
			      "leader",
			      a->leader[0] ? json_string(a->leader) : json_null(),
			      "enabled",
			      enabled,
			      "last_state",
			      or_null(st->doc[src]),
			      INTERVAL_NAMES[id],
			      number_or_null(st->doc[src], INTERVAL_KEYS[id]));
	json_t *own = id == FED_AGENT_CEO    ? ceo_keys(a, st)
		      : id == FED_AGENT_RISK ? risk_keys(a, st)
					     : strategy_keys(a, st);
	if (!o || !own || json_object_update(o, own) != 0) {
		json_decref(own);
		json_decref(o);
		return NULL;
	}
	json_decref(own);
	return o;
}

json_t *fed_status_federation(const char *instance_id, int64_t interval_ms, const json_t *gs, json_t *agents)
{
	const json_t *sources = json_object_get(gs, "sources");
	json_t *health = json_object();
	for (int i = 0; health && i < FED_N_AGENTS; i++) {
		const json_t *s = json_object_get(sources, NAMES[i]);
		char key[32];
		snprintf(key, sizeof(key), "%s_state", NAMES[i]);
		json_object_set_new(
			health,
			key,
			json_pack("{s:b, s:o, s:b}",
				  "available",
				  json_is_true(json_object_get(s, "received")),
				  "age_seconds",
				  or_null(json_is_number(json_object_get(s, "age_s")) ? json_object_get(s, "age_s")
										      : NULL),
				  "stale",
				  json_is_true(json_object_get(s, "received")) &&
					  !json_is_true(json_object_get(s, "fresh"))));
	}
	int complete = json_is_true(json_object_get(gs, "complete"));
	return json_pack("{s:s, s:b, s:f, s:b, s:o, s:o, s:o}",
			 "instance_id",
			 instance_id,
			 "running",
			 1,
			 "update_interval",
			 (double)interval_ms / 1000,
			 "has_global_state",
			 complete,
			 "integration_health",
			 health,
			 "latest_global_state",
			 complete ? or_null(gs) : json_null(),
			 "agents",
			 agents);
}
