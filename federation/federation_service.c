/*
 * federation_service.c - the Federation's glue (see federation_service.h):
 * the agents' events and the PolicyStore in, the merged GlobalState
 * (federation_brain.c) out as global_state_update and over the REST API
 * (http_api.c).
 *
 * Every replica consumes every stream through a consumer group of its own
 * (federation-<instance>) and follows the PolicyStore, so replicas behind
 * one Service hold the same state and give the same answers without
 * sharing anything but Redis. The state is recomputed on every event and
 * published when its content changed, and every ORCH_FEDERATION_INTERVAL_S
 * regardless; the API's bodies are swapped in at the same moments. Lease
 * holders (which replica of each agent leads) are read from Redis on the
 * same cycle. GET /events streams "state" (every published state),
 * "alert" and "mode" (each CEO mode switch) events, with a heartbeat on
 * every cycle. The mode is the PolicyStore's: a ceo_mode_switch or
 * ceo_decision only explains it, and a store that lost its document makes
 * the state degraded and the live gate answer the safe side until the CEO
 * has written it back. POST force-decision publishes a ceo_command, signed
 * with ORCH_COMMAND_KEY (503 without one), and answers with the CEO's
 * ceo_command_reply, or 504 after ORCH_FEDERATION_FORCE_TIMEOUT_MS.
 * The live gate's state (gate_wire.c) is rebuilt from the same sources
 * with every state and published to the API's threads when it changed.
 */
#include "federation_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "clock.h"
#include "command_auth.h"
#include "federation_brain.h"
#include "federation_status.h"
#include "gate_wire.h"
#include "http_api.h"
#include "json_util.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy.h"
#include "redis_conn.h"
#include "web_assets.h"

#define N_AGENTS FED_N_AGENTS
_Static_assert(sizeof(((struct api_config *)0)->legacy_ports) == sizeof(((struct federation_config *)0)->legacy_ports),
	       "the API and the settings count the same legacy ports");

static const char *const INPUTS[] = {"ceo_decision",
				     "ceo_mode_switch",
				     "ceo_alert",
				     "ceo_command_reply",
				     "ceo_mode_history",
				     "risk_state_update",
				     "risk_alert",
				     "risk_ceiling_update",
				     "strategy_state_update",
				     "strategy_recommendation",
				     "strategy_alert"};
static const char *const ROLES[N_AGENTS] = {"ceo", "risk_officer", "strategy_officer"};

struct pending {
	struct api_request *req;
	char request_id[40];
	int64_t deadline_ms;
	struct pending *next;
};

struct federation_service {
	struct service *svc;
	struct federation_config cfg;
	struct bus *bus;
	struct policy *policy;
	struct redis_conn *cmd;
	struct api *api;
	struct fed_state st;
	struct fed_agent agents[N_AGENTS];
	json_t *last_content; /* the last published state without its clock fields */
	struct pending *pending;
	struct gate_state gate; /* rebuilt on every refresh, copied by the API when it changed */
	uv_timer_t cycle, sweep;
	struct metric *m_updates, *m_events, *m_complete, *m_degraded, *m_forced[3];
};

/* ---- state and bodies ---- */

static void set_json_body(struct federation_service *f, const char *path, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text)
		api_set_body(f->api, path, text, strlen(text));
	free(text);
	json_decref(body);
}

/* One event on the API's /events streams. */
static void push_event(struct federation_service *f, const char *name, const json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT);
	if (text)
		api_push_event(f->api, name, text, strlen(text));
	free(text);
}

static void refresh(struct federation_service *f, int force_publish)
{
	int64_t now = clock_now_ms();
	char bus_state[160], policy_state[400];
	int policy_ok = policy_check_ready(f->policy, policy_state, sizeof(policy_state));
	fed_state_policy_problem(&f->st, policy_ok ? NULL : policy_state);
	json_t *gs = fed_global_state(&f->st, &f->cfg.brain, now);
	if (!gs)
		return;
	int complete = json_is_true(json_object_get(gs, "complete"));
	/* content = the state without what changes with the clock alone */
	json_t *content = json_deep_copy(gs);
	json_object_del(content, "snapshot_timestamp");
	json_object_del(content, "sources");
	int changed = !f->last_content || !json_equal(content, f->last_content);
	if (changed || force_publish) {
		bus_publish_new(f->bus, "global_state_update", json_incref(gs));
		metrics_inc(f->m_updates);
		push_event(f, "state", gs);
	}
	json_decref(f->last_content);
	f->last_content = content;
	gate_wire_state(&f->st, gs, &f->gate);
	api_set_gate(f->api, &f->gate);
	metrics_set(f->m_complete, complete);
	metrics_set(f->m_degraded, json_is_true(json_object_get(gs, "degraded")));
	set_json_body(f,
		      API_PREFIX "/global-state",
		      complete ? json_pack("{s:s, s:O}", "status", "ok", "data", gs)
			       : json_pack("{s:s, s:O}", "status", "initializing", "partial", gs));
	json_t *agents = json_object();
	for (int i = 0; i < N_AGENTS; i++) {
		json_t *a = fed_status_agent(i, &f->agents[i], &f->st, &f->cfg.brain, now);
		char path[64];
		snprintf(path, sizeof(path), API_PREFIX "/agents/%s/status", fed_agent_name(i));
		set_json_body(f, path, json_pack("{s:s, s:O}", "status", "ok", "data", a));
		json_object_set_new(agents, fed_agent_name(i), a);
	}
	int ready = bus_check_ready(f->bus, bus_state, sizeof(bus_state)) & policy_ok;
	json_t *rz = json_pack("{s:s, s:{s:s, s:s}}",
			       "status",
			       ready ? "ready" : "not_ready",
			       "checks",
			       "bus",
			       bus_state,
			       "policy",
			       policy_state);
	char *rtext = rz ? json_dumps(rz, JSON_COMPACT) : NULL;
	if (rtext)
		api_set_ready(f->api, ready, rtext);
	free(rtext);
	json_decref(rz);
	set_json_body(f,
		      API_PREFIX "/agents/status",
		      json_pack("{s:s, s:o}",
				"status",
				"ok",
				"data",
				fed_status_federation(f->svc->cfg.instance_id, f->cfg.interval_ms, gs, agents)));
	json_decref(gs);
}

/* ---- force decision ---- */

static void force_finish(struct federation_service *f, struct pending *p, unsigned status, const char *body,
			 const char *label)
{
	api_complete(p->req, status, body);
	metrics_inc(f->m_forced[status == 200 ? 0 : status == 504 ? 1 : 2]);
	log_info("federation: force-decision %s: %s", p->request_id, label);
	free(p);
}

/* The API's writes: POST force-decision (the only route the API hands to
 * the loop). */
static void on_command(struct api_request *req, void *data)
{
	struct federation_service *f = data;
	if (strcmp(api_request_path(req), API_PREFIX "/agents/ceo/force-decision") != 0) {
		api_complete(
			req,
			404,
			"{\"status\":\"error\",\"error\":{\"code\":\"not_found\",\"message\":\"no such endpoint\"}}");
		return;
	}
	if (!f->svc->cfg.command_key[0]) {
		api_complete(req,
			     503,
			     "{\"status\":\"error\",\"error\":{\"code\":\"no_command_key\",\"message\":"
			     "\"no ORCH_COMMAND_KEY here to sign the command with; the CEO takes only signed ones\"}}");
		return;
	}
	int enabled = 1;
	json_util_get_bool(f->st.doc[FED_POLICY], "enable_ai_ceo", &enabled);
	struct pending *p = calloc(1, sizeof(*p));
	if (!p || !enabled) {
		api_complete(req,
			     enabled ? 500 : 503,
			     enabled ? "{\"status\":\"error\",\"error\":{\"code\":\"out_of_memory\",\"message\":\"out "
				       "of memory\"}}"
				     : "{\"status\":\"error\",\"error\":{\"code\":\"ceo_disabled\","
				       "\"message\":\"the AI CEO is disabled by the policy (enable_ai_ceo)\"}}");
		free(p);
		return;
	}
	p->req = req;
	bus_uuid7(clock_now_ms(), p->request_id);
	p->deadline_ms = clock_mono_ms() + f->cfg.force_timeout_ms;
	json_t *cmd = json_pack("{s:s, s:s, s:s}",
				"request_id",
				p->request_id,
				"action",
				"force_decision",
				"operator",
				"federation-api");
	/* signed on real time: the CEO judges a command's age by its own */
	if (cmd && command_sign(cmd, "ceo_command", f->svc->cfg.command_key, clock_wall_ms()) != 0) {
		json_decref(cmd);
		cmd = NULL;
	}
	if (bus_publish_new(f->bus, "ceo_command", cmd) != 0) {
		force_finish(f,
			     p,
			     503,
			     "{\"status\":\"error\",\"error\":{\"code\":\"bus_unavailable\","
			     "\"message\":\"the command could not be sent\"}}",
			     "not sent");
		return;
	}
	p->next = f->pending;
	f->pending = p;
}

static void on_reply(struct federation_service *f, const json_t *reply)
{
	const char *id = json_util_get_str(reply, "request_id");
	for (struct pending **pp = &f->pending; id && *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->request_id, id) != 0)
			continue;
		struct pending *p = *pp;
		*pp = p->next;
		const char *status = json_util_get_str(reply, "status");
		json_t *body =
			status && !strcmp(status, "ok")
				? json_pack(
					  "{s:s, s:O}", "status", "ok", "decision", json_object_get(reply, "decision"))
				: json_pack("{s:s, s:{s:s, s:s}}",
					    "status",
					    "error",
					    "error",
					    "code",
					    "ceo_refused",
					    "message",
					    json_util_get_str(reply, "error") ? json_util_get_str(reply, "error")
									      : "the CEO refused");
		char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		force_finish(f, p, status && !strcmp(status, "ok") ? 200 : 502, text ? text : "{}", "answered");
		free(text);
		json_decref(body);
		return;
	}
}

static void sweep_cb(uv_timer_t *t)
{
	struct federation_service *f = t->data;
	int64_t now = clock_mono_ms();
	for (struct pending **pp = &f->pending; *pp;) {
		struct pending *p = *pp;
		if (p->deadline_ms > now) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		force_finish(f,
			     p,
			     504,
			     "{\"status\":\"error\",\"error\":{\"code\":\"ceo_timeout\","
			     "\"message\":\"no CEO answered in time\"}}",
			     "timed out");
	}
}

/* ---- inputs ---- */

static void note_agent(struct federation_service *f, int i, const struct bus_event *ev)
{
	struct fed_agent *a = &f->agents[i];
	snprintf(a->last_event, sizeof(a->last_event), "%s", ev->event_type);
	snprintf(a->source, sizeof(a->source), "%s", ev->source);
	a->at_ms = clock_now_ms();
}

static int on_event(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct federation_service *f = data;
	const char *t = ev->event_type;
	json_t *p = ev->payload;
	int64_t now = clock_now_ms();
	metrics_inc(f->m_events);
	if (!strcmp(t, "ceo_command_reply")) {
		on_reply(f, p);
		return 0;
	}
	if (!strcmp(t, "ceo_mode_history") || !strcmp(t, "ceo_mode_switch")) {
		if (!strcmp(t, "ceo_mode_switch")) {
			fed_state_set(&f->st, FED_SWITCH, p, now);
			push_event(f, "mode", p);
			refresh(f, 0);
		}
		if (!strcmp(t, "ceo_mode_history")) {
			char *text = json_dumps(p, JSON_COMPACT);
			size_t len = text ? strlen(text) : 0;
			if (len > API_HISTORY_ENTRY_MAX) {
				/* the CEO's records are about 500 bytes: a big one is
				 * forged, and every GET would copy it under the lock */
				free(text);
				bus_delivery_reason(d,
						    "ceo_mode_history entry of %zu bytes, more than %d: not kept",
						    len,
						    API_HISTORY_ENTRY_MAX);
				return ORCH_EMALFORMED;
			}
			if (text)
				api_push_history(f->api, text, len);
			free(text);
		}
		note_agent(f, 0, ev);
		return 0;
	}
	if (!strcmp(t, "ceo_decision")) {
		fed_state_set(&f->st, FED_CEO, p, now);
		fed_agent_note_state(&f->agents[FED_AGENT_CEO], NULL);
		note_agent(f, 0, ev);
	} else if (!strcmp(t, "risk_state_update")) {
		fed_state_set(&f->st, FED_RISK, p, now);
		fed_agent_note_state(&f->agents[FED_AGENT_RISK], NULL);
		note_agent(f, 1, ev);
	} else if (!strcmp(t, "risk_ceiling_update")) {
		fed_state_set(&f->st, FED_CEILING, p, now);
		note_agent(f, 1, ev);
	} else if (!strcmp(t, "strategy_state_update")) {
		fed_state_set(&f->st, FED_STRATEGY, p, now);
		note_agent(f, 2, ev);
	} else if (!strcmp(t, "risk_alert") || !strcmp(t, "strategy_alert") || !strcmp(t, "ceo_alert")) {
		int i = t[0] == 'c' ? 0 : t[0] == 'r' ? 1 : 2;
		fed_state_alerts(&f->st, fed_agent_name(i), p, now);
		json_t *al = json_pack("{s:s, s:O}", "source", fed_agent_name(i), "alert", p);
		if (al)
			push_event(f, "alert", al);
		json_decref(al);
		note_agent(f, i, ev);
	} else {
		/* strategy_recommendation: only the agent's status shows it */
		fed_agent_note_state(&f->agents[FED_AGENT_STRATEGY], p);
		note_agent(f, 2, ev);
	}
	refresh(f, 0);
	return 0;
}

static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct federation_service *f = data;
	(void)version;
	json_t *copy = json_deep_copy(doc);
	fed_state_set(&f->st, FED_POLICY, copy, clock_now_ms());
	json_decref(copy);
	refresh(f, 0);
}

/* ---- lease holders ---- */

static void holder_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct fed_agent *a = priv;
	(void)c;
	if (!r)
		return;
	if (r->type != REDIS_REPLY_STRING || lease_parse(r->str, a->leader, sizeof(a->leader), NULL) != 0)
		a->leader[0] = '\0';
}

static void cycle_cb(uv_timer_t *t)
{
	struct federation_service *f = t->data;
	for (int i = 0; i < N_AGENTS && redis_conn_is_connected(f->cmd); i++) {
		char key[160];
		const char *argv[] = {"GET", key};
		if (lease_key(key, sizeof(key), f->svc->cfg.prefix, ROLES[i]) == 0)
			redis_conn_command(f->cmd, holder_reply, &f->agents[i], 2, argv, NULL);
	}
	refresh(f, 1);
	api_heartbeat(f->api);
}

/* ---- lifecycle ---- */

/* Closes what the service holds; the loop finishes the closing. */
static void teardown(void *data)
{
	struct federation_service *f = data;
	uv_timer_stop(&f->cycle);
	uv_timer_stop(&f->sweep);
	bus_free(f->bus);
	policy_free(f->policy);
	redis_conn_free(f->cmd);
	api_free(f->api);
	uv_close((uv_handle_t *)&f->cycle, NULL);
	uv_close((uv_handle_t *)&f->sweep, NULL);
}

static void quiesce(void *data)
{
	struct federation_service *f = data;
	uv_timer_stop(&f->cycle);
	uv_timer_stop(&f->sweep);
	while (f->pending) {
		struct pending *p = f->pending;
		f->pending = p->next;
		force_finish(f,
			     p,
			     503,
			     "{\"status\":\"error\",\"error\":{\"code\":\"shutting_down\","
			     "\"message\":\"the federation is shutting down\"}}",
			     "shutdown");
	}
}

static void register_metrics(struct federation_service *f)
{
	f->m_updates =
		metrics_counter("orch_federation_state_updates_total", NULL, "global_state_update events published");
	f->m_events = metrics_counter("orch_federation_events_total", NULL, "Agent events received");
	f->m_complete =
		metrics_gauge("orch_federation_complete", NULL, "1 once the CEO, risk and strategy states arrived");
	f->m_degraded = metrics_gauge("orch_federation_degraded", NULL, "1 while a source is stale or missing");
	const char *results[] = {"result=\"ok\"", "result=\"timeout\"", "result=\"error\""};
	for (int i = 0; i < 3; i++)
		f->m_forced[i] = metrics_counter(
			"orch_federation_force_decisions_total", results[i], "POST force-decision requests by result");
}

int federation_service_new(struct federation_service **out, struct service *svc, const struct federation_config *cfg,
			   char *err, size_t errlen)
{
	struct federation_service *f = calloc(1, sizeof(*f));
	if (!f)
		return ORCH_ENOMEM;
	f->svc = svc;
	f->cfg = *cfg;
	fed_state_init(&f->st);
	uv_timer_init(svc->loop, &f->cycle);
	uv_timer_init(svc->loop, &f->sweep);
	f->cycle.data = f->sweep.data = f;
	service_attach(svc,
		       &(struct service_part){.quiesce = quiesce, .teardown = teardown, .bus = &f->bus, .data = f});
	register_metrics(f);
	char bus_service[160];
	snprintf(bus_service, sizeof(bus_service), "federation-%s", svc->cfg.instance_id);
	struct bus_config bc;
	service_bus_config(svc, bus_service, &bc);
	struct policy_config pc;
	service_policy_config(svc, "federation", &pc);
	struct redis_conn_opts ro = {.name = "federation-leases"};
	struct api_config ac = {.port = f->cfg.api_port,
				.bind = f->cfg.api_bind,
				.token = f->cfg.token,
				.cors_origin = f->cfg.cors,
				.assets = web_assets,
				.n_assets = web_assets_count,
				.limits = {.max_connections = (unsigned)f->cfg.max_connections,
					   .max_per_client = (unsigned)f->cfg.max_per_client,
					   .request_ms = f->cfg.request_ms,
					   .max_streams = f->cfg.max_streams},
				.gate = f->cfg.gate};
	memcpy(ac.legacy_ports, f->cfg.legacy_ports, sizeof(ac.legacy_ports));
	int rc;
	if ((rc = bus_new(&f->bus, svc->loop, &bc, &svc->cfg.redis)) != 0 ||
	    (rc = policy_new(&f->policy, svc->loop, &pc, &svc->cfg.redis)) != 0 ||
	    (rc = redis_conn_new(&f->cmd, svc->loop, &svc->cfg.redis, &ro)) != 0 ||
	    (rc = api_new(&f->api, svc->loop, &ac, on_command, f, err, errlen)) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(INPUTS) / sizeof(INPUTS[0]); i++)
		if ((rc = bus_subscribe(f->bus, INPUTS[i], on_event, f)) != 0)
			goto fail;
	policy_on_change(f->policy, on_policy, f);
	service_add_check(svc, "bus", bus_check_ready, f->bus);
	service_add_check(svc, "policy", policy_check_ready, f->policy);
	*out = f;
	return 0;
fail:
	federation_service_free(f);
	return rc;
}

int federation_service_start(struct federation_service *f, char *err, size_t errlen)
{
	int rc;
	if ((rc = api_start(f->api, err, errlen)) != 0)
		return rc;
	refresh(f, 0);
	uv_timer_start(&f->cycle, cycle_cb, (uint64_t)f->cfg.interval_ms, (uint64_t)f->cfg.interval_ms);
	uv_timer_start(&f->sweep, sweep_cb, 100, 100);
	if ((rc = bus_start(f->bus)) != 0 || (rc = policy_start(f->policy)) != 0 ||
	    (rc = redis_conn_start(f->cmd)) != 0)
		return rc;
	log_info("federation: REST API on %s:%d%s%s",
		 f->cfg.api_bind,
		 api_port(f->api),
		 f->cfg.token[0] ? "" : " (no ORCH_API_TOKEN: writes refused)",
		 f->svc->cfg.command_key[0] ? "" : " (no ORCH_COMMAND_KEY: force-decision refused)");
	if (f->cfg.legacy_ports[0])
		log_info("federation: live gate also on %s ports %d (CEO), %d (strategy), %d (risk)",
			 f->cfg.api_bind,
			 f->cfg.legacy_ports[0],
			 f->cfg.legacy_ports[1],
			 f->cfg.legacy_ports[2]);
	return 0;
}

void federation_service_free(struct federation_service *f)
{
	if (!f)
		return;
	service_detach(f->svc);
	fed_state_release(&f->st);
	for (int i = 0; i < N_AGENTS; i++)
		fed_agent_release(&f->agents[i]);
	json_decref(f->last_content);
	free(f);
}
