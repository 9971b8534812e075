/*
 * http_routes.c - the Federation API's route table: what each path
 * answers, who may call it and what the OpenAPI document says of it.
 * Dispatch and 405's Allow (http_server.c) and the OpenAPI document
 * (api__openapi) all read this table, so a route is written once. The
 * legacy ports' tables are the gate's (http_gate.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_internal.h"

static enum MHD_Result serve_body(struct api *a, struct api_request *req)
{
	return api__serve_body(a, req->conn, req->route->path);
}

static enum MHD_Result serve_probe(struct api *a, struct api_request *req)
{
	return http_probes_answer(a->probes, req->conn, req->route->path, req->route->method);
}

static enum MHD_Result serve_openapi(struct api *a, struct api_request *req)
{
	return api__queue(a, req->conn, MHD_HTTP_OK, a->openapi, strlen(a->openapi), NULL);
}

static enum MHD_Result serve_events(struct api *a, struct api_request *req)
{
	return api__sse_start(a, req);
}

static enum MHD_Result to_loop(struct api *a, struct api_request *req)
{
	return api__to_loop(a, req);
}

/* The newest `limit` entries (default 50), joined as they were pushed. */
static enum MHD_Result serve_history(struct api *a, struct api_request *req)
{
	struct MHD_Connection *c = req->conn;
	const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	long limit = 50;
	if (lim) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 || limit > API_HISTORY_MAX)
			return http_respond_error(
				c, MHD_HTTP_BAD_REQUEST, "bad_limit", "limit must be a whole number in [1, 1000]");
	}
	static const char head[] = "{\"status\":\"ok\",\"data\":[", tail[] = "]}";
	pthread_mutex_lock(&a->lock);
	int n = a->n_history < limit ? a->n_history : (int)limit;
	size_t len = sizeof(head) - 1 + sizeof(tail) - 1 + (size_t)n;
	for (int i = 0; i < n; i++)
		len += a->history_len[i];
	char *body = malloc(len + 1), *p = body;
	if (body) {
		p += sprintf(p, "%s", head);
		for (int i = 0; i < n; i++) {
			if (i)
				*p++ = ',';
			memcpy(p, a->history[i], a->history_len[i]);
			p += a->history_len[i];
		}
		p += sprintf(p, "%s", tail);
	}
	pthread_mutex_unlock(&a->lock);
	if (!body)
		return http_respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	enum MHD_Result ret = api__queue(a, c, MHD_HTTP_OK, body, (size_t)(p - body), NULL);
	free(body);
	return ret;
}

#define OK200(what) "\"responses\":{\"200\":{\"description\":\"" what "\"}}"
#define GATE_ANSWER(what)                                                                                     \
	"\"responses\":{\"200\":{\"description\":\"" what " (docs/live-gate.md)\"},\"400\":{\"description\":" \
	"\"the body cannot be read: never an approval\"}}"
static const struct api_route routes[] = {
	{"GET",
	 API_PREFIX "/global-state",
	 serve_body,
	 0,
	 "The merged global state",
	 "\"responses\":{\"200\":{\"description\":\"{status: ok, data: GlobalState} or {status: initializing}\"},"
	 "\"304\":{\"description\":\"unchanged (If-None-Match)\"}}"},
	{"GET",
	 API_PREFIX "/agents/status",
	 serve_body,
	 0,
	 "The Federation's and every agent's status: the original get_status() keys, then ours",
	 OK200("ok")},
	{"GET",
	 API_PREFIX "/agents/ceo/status",
	 serve_body,
	 0,
	 "The CEO's status: instance, interval, mode, recent decisions, cached states; age, leader, enabled flag",
	 OK200("ok")},
	{"GET", API_PREFIX "/agents/risk/status", serve_body, 0, "The Risk Officer's, likewise", OK200("ok")},
	{"GET", API_PREFIX "/agents/strategy/status", serve_body, 0, "The Strategy Officer's, likewise", OK200("ok")},
	{"POST",
	 API_PREFIX "/agents/ceo/force-decision",
	 to_loop,
	 1,
	 "Ask the CEO for a decision now and wait for it (5 s)",
	 "\"responses\":{\"200\":{\"description\":\"{status: ok, decision}\"},\"401\":{\"description\":"
	 "\"missing or wrong token\"},\"403\":{\"description\":\"no token configured\"},\"502\":{\"description\":"
	 "\"the CEO refused (e.g. the command's signature)\"},\"503\":{\"description\":\"the AI CEO is disabled, "
	 "or no ORCH_COMMAND_KEY to sign with\"},\"504\":{\"description\":\"no CEO answered\"}}"},
	{"GET",
	 API_PREFIX "/mode-history",
	 serve_history,
	 0,
	 "Recent mode changes, newest first",
	 "\"parameters\":[{\"name\":\"limit\",\"in\":\"query\",\"schema\":{\"type\":\"integer\",\"minimum\":1,"
	 "\"maximum\":1000}}]," OK200("ok")},
	{"GET",
	 API_PREFIX "/events",
	 serve_events,
	 0,
	 "Server-sent events: state, alert and mode, each with an id; Last-Event-ID resumes after it",
	 OK200("text/event-stream")},
	{"GET", API_PREFIX "/openapi.json", serve_openapi, 0, "This document", OK200("ok")},
	{"GET", "/healthz", serve_probe, 0, "Liveness: 200 while the process serves", OK200("ok")},
	{"GET",
	 "/readyz",
	 serve_probe,
	 0,
	 "Readiness: 200 when the bus and the PolicyStore are usable, else 503",
	 OK200("ready")},
	{"GET", "/metrics", serve_probe, 0, "Prometheus metrics", OK200("text/plain")},
	{"GET",
	 "/compat/ceo/status",
	 api__gate_ceo_status,
	 0,
	 "Live gate: the CEO brain's mode (ACTIVE, PASSIVE, EMERGENCY) and confidence; read-only, no token",
	 OK200("{mode, confidence, operating_mode, safe_side, ...} (docs/live-gate.md)")},
	{"GET", "/compat/ceo/health", api__gate_ceo_health, 0, "Live gate: the CEO brain's health", OK200("ok")},
	{"POST",
	 "/compat/strategy/evaluate",
	 api__gate_strategy_evaluate,
	 0,
	 "Live gate: may this signal trade? Read-only, no token",
	 GATE_ANSWER("{approved, reason, code, ...}")},
	{"GET",
	 "/compat/strategy/health",
	 api__gate_strategy_health,
	 0,
	 "Live gate: the strategy brain's health",
	 OK200("ok")},
	{"POST",
	 "/compat/risk/evaluate",
	 api__gate_risk_evaluate,
	 0,
	 "Live gate: size, leverage, risk score and loss at the stop for this signal; read-only, no token",
	 GATE_ANSWER("{approved, position_size, leverage, risk_score, max_loss, ...}")},
	{"GET", "/compat/risk/health", api__gate_risk_health, 0, "Live gate: the risk brain's health", OK200("ok")},
};
#undef OK200
#undef GATE_ANSWER
const struct api_table api_table_main = {routes, sizeof(routes) / sizeof(routes[0]), 1};

char *api__openapi(void)
{
	json_t *paths = json_object();
	for (size_t i = 0; paths && i < api_table_main.n; i++) {
		const struct api_route *r = &api_table_main.routes[i];
		char frag[1024], method[8];
		snprintf(frag, sizeof(frag), "{%s}", r->openapi);
		json_t *op = json_loads(frag, 0, NULL);
		if (!op) {
			json_decref(paths);
			return NULL;
		}
		json_object_set_new(op, "summary", json_string(r->summary));
		if (r->auth)
			json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
		size_t k = 0;
		for (; r->method[k] && k + 1 < sizeof(method); k++)
			method[k] = (char)(r->method[k] | 0x20);
		method[k] = '\0';
		json_t *item = json_object_get(paths, r->path);
		if (!item)
			json_object_set_new(paths, r->path, item = json_object());
		json_object_set_new(item, method, op);
	}
	json_t *doc = json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{s:{s:s, s:s}}}}",
				"openapi",
				"3.0.3",
				"info",
				"title",
				"Orchestration federation API",
				"version",
				"1",
				"paths",
				paths,
				"components",
				"securitySchemes",
				"bearer",
				"type",
				"http",
				"scheme",
				"bearer");
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}
