/*
 * federation/main.c - wiring of the Federation: the agents' events and
 * the PolicyStore in, the merged GlobalState (federation_brain.c) out as
 * global_state_update and over the REST API (http_api.c).
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
 * every cycle. POST force-decision publishes a ceo_command and answers with
 * the CEO's ceo_command_reply, or 504 after ORCH_FEDERATION_FORCE_TIMEOUT_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "clock.h"
#include "config.h"
#include "federation_brain.h"
#include "http_api.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy.h"
#include "redis_conn.h"
#include "service.h"
#include "web_assets.h"

#define DEFAULT_ADMIN_PORT 9104
#define HISTORY_MAX 1000
#define N_AGENTS 3

static const char *const INPUTS[] = {"ceo_decision",	   "ceo_mode_switch",	    "ceo_alert",
				     "ceo_command_reply",   "ceo_mode_history",	    "risk_state_update",
				     "risk_alert",	   "risk_ceiling_update",   "strategy_state_update",
				     "strategy_recommendation", "strategy_alert"};
static const char *const AGENTS[N_AGENTS] = {"ceo", "risk", "strategy"};
static const char *const ROLES[N_AGENTS] = {"ceo", "risk_officer", "strategy_officer"};
static const char *const ENABLE_KEYS[N_AGENTS] = {"enable_ai_ceo", "enable_ai_ro", "enable_ai_so"};

struct pending {
	struct api_request *req;
	char request_id[40];
	int64_t deadline_ms;
	struct pending *next;
};

struct agent {
	char last_event[64], source[64], leader[160];
	int64_t at_ms;
};

struct fed {
	struct service svc;
	struct bus *bus;
	struct policy *policy;
	struct redis_conn *cmd;
	struct api *api;
	struct fed_state st;
	struct fed_config fcfg;
	struct agent agents[N_AGENTS];
	json_t *history;        /* newest first */
	json_t *last_content;   /* the last published state without its clock fields */
	struct pending *pending;
	int64_t interval_ms, force_timeout_ms;
	char api_bind[64], token[256], cors[256];
	int api_port;
	uv_timer_t cycle, sweep;
	struct metric *m_updates, *m_events, *m_complete, *m_degraded, *m_forced[3];
};

/* ---- configuration ---- */

static int load_config(struct fed *f, char *err, size_t errlen)
{
	int64_t v;
	int rc;
	char path[512];
	fed_config_defaults(&f->fcfg);
#define GET_INT(name, def, lo, hi, dst, scale)                                    \
	do {                                                                      \
		if ((rc = config_get_int(name, def, lo, hi, &v, err, errlen)) != 0) \
			return rc;                                                \
		dst = v * (scale);                                                \
	} while (0)
	GET_INT("ORCH_FEDERATION_INTERVAL_S", 15, 1, 86400, f->interval_ms, 1000);
	GET_INT("ORCH_FEDERATION_FORCE_TIMEOUT_MS", 5000, 100, 600000, f->force_timeout_ms, 1);
	GET_INT("ORCH_FEDERATION_CEO_FRESH_S", 90, 1, 30 * 86400, f->fcfg.fresh_ms[FED_CEO], 1000);
	GET_INT("ORCH_FEDERATION_RISK_FRESH_S", 90, 1, 30 * 86400, f->fcfg.fresh_ms[FED_RISK], 1000);
	GET_INT("ORCH_FEDERATION_STRATEGY_FRESH_S", 180, 1, 30 * 86400, f->fcfg.fresh_ms[FED_STRATEGY], 1000);
	GET_INT("ORCH_API_PORT", 8000, 0, 65535, f->api_port, 1);
#undef GET_INT
	if ((rc = config_get_str("ORCH_API_BIND", "127.0.0.1", f->api_bind, sizeof(f->api_bind), err, errlen)) ||
	    (rc = config_get_str("ORCH_API_CORS_ORIGIN", "", f->cors, sizeof(f->cors), err, errlen)) ||
	    (rc = config_get_str("ORCH_API_TOKEN", "", f->token, sizeof(f->token), err, errlen)) ||
	    (rc = config_get_str("ORCH_API_TOKEN_FILE", "", path, sizeof(path), err, errlen)))
		return rc;
	if (path[0]) {
		FILE *fp = fopen(path, "r");
		if (!fp || !fgets(f->token, sizeof(f->token), fp)) {
			snprintf(err, errlen, "ORCH_API_TOKEN_FILE: cannot read a token from '%.300s'", path);
			if (fp)
				fclose(fp);
			return ORCH_EINVAL;
		}
		fclose(fp);
		f->token[strcspn(f->token, "\r\n")] = '\0';
	}
	if (f->token[0] && strlen(f->token) < 16) {
		snprintf(err, errlen, "ORCH_API_TOKEN: a token needs at least 16 characters");
		return ORCH_EINVAL;
	}
	return 0;
}

/* ---- state and bodies ---- */

static void set_json_body(struct fed *f, const char *path, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text)
		api_set_body(f->api, path, text, strlen(text));
	free(text);
	json_decref(body);
}

static json_t *agent_json(const struct fed *f, int i, int64_t now)
{
	const struct agent *a = &f->agents[i];
	const json_t *pol = f->st.doc[FED_POLICY];
	int enabled = 1;
	json_util_get_bool(pol, ENABLE_KEYS[i], &enabled);
	enum fed_source src = i == 0 ? FED_CEO : i == 1 ? FED_RISK : FED_STRATEGY;
	json_t *last = f->st.doc[src] ? json_incref(f->st.doc[src]) : json_null();
	return json_pack("{s:s, s:b, s:o, s:s, s:s, s:o, s:b, s:o}", "agent", AGENTS[i], "running", a->at_ms > 0,
			 "age_s", a->at_ms ? json_real((double)(now - a->at_ms) / 1000) : json_null(), "last_event",
			 a->last_event, "source", a->source, "leader", a->leader[0] ? json_string(a->leader) : json_null(),
			 "enabled", enabled, "last_state", last);
}

/* One event on the API's /events streams. */
static void push_event(struct fed *f, const char *name, const json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT);
	if (text)
		api_push_event(f->api, name, text, strlen(text));
	free(text);
}

static void refresh(struct fed *f, int force_publish)
{
	int64_t now = clock_now_ms();
	json_t *gs = fed_global_state(&f->st, &f->fcfg, now);
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
	metrics_set(f->m_complete, complete);
	metrics_set(f->m_degraded, json_is_true(json_object_get(gs, "degraded")));
	set_json_body(f, "/global-state",
		      complete ? json_pack("{s:s, s:O}", "status", "ok", "data", gs)
			       : json_pack("{s:s, s:O}", "status", "initializing", "partial", gs));
	json_t *agents = json_object();
	for (int i = 0; i < N_AGENTS; i++) {
		json_t *a = agent_json(f, i, now);
		char path[64];
		snprintf(path, sizeof(path), "/agents/%s/status", AGENTS[i]);
		set_json_body(f, path, json_pack("{s:s, s:O}", "status", "ok", "data", a));
		json_object_set_new(agents, AGENTS[i], a);
	}
	char bus_state[160], policy_state[160];
	int ready = bus_check_ready(f->bus, bus_state, sizeof(bus_state)) &
		    policy_check_ready(f->policy, policy_state, sizeof(policy_state));
	json_t *rz = json_pack("{s:s, s:{s:s, s:s}}", "status", ready ? "ready" : "not_ready", "checks", "bus",
			       bus_state, "policy", policy_state);
	char *rtext = rz ? json_dumps(rz, JSON_COMPACT) : NULL;
	if (rtext)
		api_set_body_status(f->api, "/readyz", ready ? 200 : 503, rtext, strlen(rtext));
	free(rtext);
	json_decref(rz);
	set_json_body(f, "/agents/status",
		      json_pack("{s:s, s:{s:s, s:b, s:I, s:b, s:o}}", "status", "ok", "data", "instance_id",
				f->svc.cfg.instance_id, "running", 1, "update_interval", (json_int_t)(f->interval_ms / 1000),
				"has_global_state", complete, "agents", agents));
	json_decref(gs);
}

/* ---- force decision ---- */

static void force_finish(struct fed *f, struct pending *p, unsigned status, const char *body, const char *label)
{
	api_complete(p->req, status, body);
	metrics_inc(f->m_forced[status == 200 ? 0 : status == 504 ? 1 : 2]);
	log_info("federation: force-decision %s: %s", p->request_id, label);
	free(p);
}

static void on_force(struct api_request *req, void *data)
{
	struct fed *f = data;
	int enabled = 1;
	json_util_get_bool(f->st.doc[FED_POLICY], "enable_ai_ceo", &enabled);
	struct pending *p = calloc(1, sizeof(*p));
	if (!p || !enabled) {
		api_complete(req, enabled ? 500 : 503,
			     enabled ? "{\"status\":\"error\",\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\"}}"
				     : "{\"status\":\"error\",\"error\":{\"code\":\"ceo_disabled\","
				       "\"message\":\"the AI CEO is disabled by the policy (enable_ai_ceo)\"}}");
		free(p);
		return;
	}
	p->req = req;
	bus_uuid7(clock_now_ms(), p->request_id);
	p->deadline_ms = clock_mono_ms() + f->force_timeout_ms;
	json_t *cmd = json_pack("{s:s, s:s, s:s}", "request_id", p->request_id, "action", "force_decision", "operator",
				"federation-api");
	if (bus_publish_new(f->bus, "ceo_command", cmd) != 0) {
		force_finish(f, p, 503, "{\"status\":\"error\",\"error\":{\"code\":\"bus_unavailable\","
					"\"message\":\"the command could not be sent\"}}", "not sent");
		return;
	}
	p->next = f->pending;
	f->pending = p;
}

static void on_reply(struct fed *f, const json_t *reply)
{
	const char *id = json_util_get_str(reply, "request_id");
	for (struct pending **pp = &f->pending; id && *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->request_id, id) != 0)
			continue;
		struct pending *p = *pp;
		*pp = p->next;
		const char *status = json_util_get_str(reply, "status");
		json_t *body = status && !strcmp(status, "ok")
				       ? json_pack("{s:s, s:O}", "status", "ok", "decision", json_object_get(reply, "decision"))
				       : json_pack("{s:s, s:{s:s, s:s}}", "status", "error", "error", "code", "ceo_refused",
						   "message", json_util_get_str(reply, "error") ? json_util_get_str(reply, "error")
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
	struct fed *f = t->data;
	int64_t now = clock_mono_ms();
	for (struct pending **pp = &f->pending; *pp;) {
		struct pending *p = *pp;
		if (p->deadline_ms > now) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		force_finish(f, p, 504, "{\"status\":\"error\",\"error\":{\"code\":\"ceo_timeout\","
					"\"message\":\"no CEO answered in time\"}}", "timed out");
	}
}

/* ---- inputs ---- */

static void note_agent(struct fed *f, int i, const struct bus_event *ev)
{
	struct agent *a = &f->agents[i];
	snprintf(a->last_event, sizeof(a->last_event), "%s", ev->event_type);
	snprintf(a->source, sizeof(a->source), "%s", ev->source);
	a->at_ms = clock_now_ms();
}

static int on_event(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct fed *f = data;
	const char *t = ev->event_type;
	json_t *p = ev->payload;
	int64_t now = clock_now_ms();
	(void)d;
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
			json_array_insert(f->history, 0, p);
			while (json_array_size(f->history) > HISTORY_MAX)
				json_array_remove(f->history, HISTORY_MAX);
			set_json_body(f, "/mode-history", json_pack("{s:s, s:O}", "status", "ok", "data", f->history));
		}
		note_agent(f, 0, ev);
		return 0;
	}
	if (!strcmp(t, "ceo_decision")) {
		fed_state_set(&f->st, FED_CEO, p, now);
		note_agent(f, 0, ev);
	} else if (!strcmp(t, "risk_state_update")) {
		fed_state_set(&f->st, FED_RISK, p, now);
		note_agent(f, 1, ev);
	} else if (!strcmp(t, "risk_ceiling_update")) {
		fed_state_set(&f->st, FED_CEILING, p, now);
		note_agent(f, 1, ev);
	} else if (!strcmp(t, "strategy_state_update")) {
		fed_state_set(&f->st, FED_STRATEGY, p, now);
		note_agent(f, 2, ev);
	} else if (!strcmp(t, "risk_alert") || !strcmp(t, "strategy_alert") || !strcmp(t, "ceo_alert")) {
		int i = t[0] == 'c' ? 0 : t[0] == 'r' ? 1 : 2;
		fed_state_alerts(&f->st, AGENTS[i], p, now);
		json_t *al = json_pack("{s:s, s:O}", "source", AGENTS[i], "alert", p);
		if (al)
			push_event(f, "alert", al);
		json_decref(al);
		note_agent(f, i, ev);
	} else {
		note_agent(f, 2, ev); /* strategy_recommendation */
		return 0;
	}
	refresh(f, 0);
	return 0;
}

static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct fed *f = data;
	(void)version;
	json_t *copy = json_deep_copy(doc);
	fed_state_set(&f->st, FED_POLICY, copy, clock_now_ms());
	json_decref(copy);
	refresh(f, 0);
}

/* ---- lease holders ---- */

static void holder_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct agent *a = priv;
	(void)c;
	if (!r)
		return;
	const char *v = r->type == REDIS_REPLY_STRING ? r->str : "";
	size_t n = strcspn(v, "|");
	snprintf(a->leader, sizeof(a->leader), "%.*s", (int)n, v);
}

static void cycle_cb(uv_timer_t *t)
{
	struct fed *f = t->data;
	for (int i = 0; i < N_AGENTS && redis_conn_is_connected(f->cmd); i++) {
		char key[160];
		snprintf(key, sizeof(key), "%s:lease:%s", f->svc.cfg.prefix, ROLES[i]);
		const char *argv[] = {"GET", key};
		redis_conn_command(f->cmd, holder_reply, &f->agents[i], 2, argv, NULL);
	}
	refresh(f, 1);
	api_heartbeat(f->api);
}

/* ---- lifecycle ---- */

static void bus_stopped(void *data)
{
	struct fed *f = data;
	bus_close(f->bus);
	policy_close(f->policy);
	redis_conn_close(f->cmd);
	api_stop(f->api);
	uv_close((uv_handle_t *)&f->cycle, NULL);
	uv_close((uv_handle_t *)&f->sweep, NULL);
	service_stop_done(&f->svc);
}

static void on_shutdown(void *data)
{
	struct fed *f = data;
	uv_timer_stop(&f->cycle);
	uv_timer_stop(&f->sweep);
	while (f->pending) {
		struct pending *p = f->pending;
		f->pending = p->next;
		force_finish(f, p, 503, "{\"status\":\"error\",\"error\":{\"code\":\"shutting_down\","
					"\"message\":\"the federation is shutting down\"}}", "shutdown");
	}
	bus_stop(f->bus, 5000, bus_stopped, f);
}

int main(void)
{
	static struct fed f;
	char err[512];
	int rc = service_init(&f.svc, "federation", DEFAULT_ADMIN_PORT);
	if (rc != 0)
		return 2;
	if (load_config(&f, err, sizeof(err)) != 0) {
		fprintf(stderr, "federation: configuration error: %s\n", err);
		service_close(&f.svc);
		return 2;
	}
	fed_state_init(&f.st);
	f.history = json_array();
	f.m_updates = metrics_counter("orch_federation_state_updates_total", NULL, "global_state_update events published");
	f.m_events = metrics_counter("orch_federation_events_total", NULL, "Agent events received");
	f.m_complete = metrics_gauge("orch_federation_complete", NULL, "1 once the CEO, risk and strategy states arrived");
	f.m_degraded = metrics_gauge("orch_federation_degraded", NULL, "1 while a source is stale or missing");
	const char *results[] = {"result=\"ok\"", "result=\"timeout\"", "result=\"error\""};
	for (int i = 0; i < 3; i++)
		f.m_forced[i] = metrics_counter("orch_federation_force_decisions_total", results[i],
						"POST force-decision requests by result");
	char bus_service[160];
	snprintf(bus_service, sizeof(bus_service), "federation-%s", f.svc.cfg.instance_id);
	struct bus_config bc;
	service_bus_config(&f.svc, bus_service, &bc);
	struct policy_config pc = {.prefix = f.svc.cfg.prefix, .writer = "federation",
				   .snapshot_path = f.svc.cfg.policy_snapshot};
	struct redis_conn_opts ro = {.name = "federation-leases"};
	struct api_config ac = {.port = f.api_port, .bind = f.api_bind, .token = f.token, .cors_origin = f.cors,
			       .assets = web_assets, .n_assets = web_assets_count};
	if ((rc = bus_new(&f.bus, f.svc.loop, &bc, &f.svc.cfg.redis)) != 0 ||
	    (rc = policy_new(&f.policy, f.svc.loop, &pc, &f.svc.cfg.redis)) != 0 ||
	    (rc = redis_conn_new(&f.cmd, f.svc.loop, &f.svc.cfg.redis, &ro)) != 0)
		goto out;
	if ((rc = api_start(&f.api, f.svc.loop, &ac, on_force, &f, err, sizeof(err))) != 0) {
		fprintf(stderr, "federation: %s\n", err);
		goto out;
	}
	for (size_t i = 0; i < sizeof(INPUTS) / sizeof(INPUTS[0]); i++)
		if ((rc = bus_subscribe(f.bus, INPUTS[i], on_event, &f)) != 0)
			goto out;
	policy_on_change(f.policy, on_policy, &f);
	service_add_check(&f.svc, "bus", bus_check_ready, f.bus);
	service_add_check(&f.svc, "policy", policy_check_ready, f.policy);
	service_on_shutdown(&f.svc, on_shutdown, &f);
	uv_timer_init(f.svc.loop, &f.cycle);
	uv_timer_init(f.svc.loop, &f.sweep);
	f.cycle.data = f.sweep.data = &f;
	refresh(&f, 0);
	set_json_body(&f, "/mode-history", json_pack("{s:s, s:O}", "status", "ok", "data", f.history));
	uv_timer_start(&f.cycle, cycle_cb, (uint64_t)f.interval_ms, (uint64_t)f.interval_ms);
	uv_timer_start(&f.sweep, sweep_cb, 100, 100);
	if ((rc = bus_start(f.bus)) != 0 || (rc = policy_start(f.policy)) != 0 || (rc = redis_conn_start(f.cmd)) != 0)
		goto out;
	log_info("federation: REST API on %s:%d%s", f.api_bind, api_port(f.api),
		 f.token[0] ? "" : " (no ORCH_API_TOKEN: writes refused)");
	rc = service_run(&f.svc);
	f.bus = NULL;
	f.policy = NULL;
	f.cmd = NULL;
	f.api = NULL;
out:
	if (rc != 0)
		log_error("federation: cannot start: %s", orch_strerror(rc));
	if (f.bus)
		bus_close(f.bus);
	if (f.policy)
		policy_close(f.policy);
	if (f.cmd)
		redis_conn_close(f.cmd);
	if (f.api)
		api_stop(f.api);
	fed_state_clear(&f.st);
	json_decref(f.history);
	json_decref(f.last_content);
	service_close(&f.svc);
	return rc == 0 ? 0 : 1;
}
