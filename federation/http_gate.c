/*
 * http_gate.c - the live gate over HTTP (docs/live-gate.md): the state
 * snapshot the loop publishes, the answers to quantum_trader's
 * orchestration client under /compat on the API port, and the route
 * tables of the legacy ports (the paths its env templates use).
 *
 * The loop publishes an immutable snapshot (api_set_gate) only when the
 * state changed; an HTTP thread takes a reference under a mutex, decides
 * from it, the request's body and the time of the request (gate.c, so
 * staleness is judged now, not when the state was built) and drops the
 * reference; the last one out frees it. Nothing here touches Redis.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "gate_wire.h"
#include "http.h"
#include "http_internal.h"
#include "metrics.h"
#include "orch.h"

enum { CALL_STATUS, CALL_STRATEGY, CALL_RISK };
enum { OUT_APPROVED, OUT_REFUSED, OUT_BAD_REQUEST }; /* for status: ACTIVE, PASSIVE, EMERGENCY */

/* ---- the snapshot ---- */

static struct gate_snap *snap_get(struct api *a)
{
	pthread_mutex_lock(&a->gate_lock);
	struct gate_snap *s = a->gate;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&a->gate_lock);
	return s;
}

static void snap_put(struct gate_snap *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

/* Publishes st unless it equals the current one (the loop is the only
 * writer of a->gate, so it reads it without the lock). 0 or ORCH_ENOMEM. */
static int publish(struct api *a, const struct gate_state *st)
{
	if (a->gate && !memcmp(&a->gate->st, st, sizeof(*st)))
		return 0;
	struct gate_snap *s = malloc(sizeof(*s));
	if (!s)
		return ORCH_ENOMEM;
	atomic_init(&s->refs, 1);
	s->st = *st;
	pthread_mutex_lock(&a->gate_lock);
	struct gate_snap *old = a->gate;
	a->gate = s;
	pthread_mutex_unlock(&a->gate_lock);
	snap_put(old);
	return 0;
}

void api_set_gate(struct api *a, const struct gate_state *st)
{
	publish(a, st); /* out of memory: the previous state stays, and ages */
}

int api__gate_init(struct api *a)
{
	static const char *const calls[] = {"status", "strategy", "risk"};
	static const char *const outs[3][3] = {{"active", "passive", "emergency"},
					       {"approved", "refused", "bad_request"},
					       {"approved", "refused", "bad_request"}};
	for (int c = 0; c < 3; c++)
		for (int o = 0; o < 3; o++) {
			char labels[64];
			snprintf(labels, sizeof(labels), "call=\"%s\",result=\"%s\"", calls[c], outs[c][o]);
			a->m_gate[c][o] = metrics_counter(
				"orch_gate_answers_total", labels, "Live gate answers by call and result");
		}
	struct gate_state *empty = malloc(sizeof(*empty));
	if (!empty)
		return ORCH_ENOMEM;
	gate_state_init(empty);
	int rc = publish(a, empty);
	free(empty);
	return rc;
}

void api__gate_release(struct api *a)
{
	snap_put(a->gate);
	a->gate = NULL;
}

/* ---- answers ---- */

static enum MHD_Result answer(struct api *a, struct api_request *req, json_t *j, struct metric *m)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return http_respond_error(req->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	metrics_inc(m);
	enum MHD_Result ret = api__queue(a, req->conn, MHD_HTTP_OK, text, strlen(text), NULL);
	free(text);
	return ret;
}

static int mode_index(enum gate_mode m)
{
	return m == GATE_ACTIVE ? 0 : m == GATE_PASSIVE ? 1 : 2;
}

static void ceo_status(struct api *a, int64_t now, struct gate_ceo_status *st)
{
	struct gate_snap *s = snap_get(a);
	gate_ceo_status(&s->st, &a->gate_cfg, now, st);
	snap_put(s);
}

enum MHD_Result api__gate_ceo_status(struct api *a, struct api_request *req)
{
	int64_t now = clock_now_ms();
	struct gate_ceo_status st;
	ceo_status(a, now, &st);
	return answer(a, req, gate_wire_status(&st, now), a->m_gate[CALL_STATUS][mode_index(st.mode)]);
}

static enum MHD_Result health(struct api *a, struct api_request *req, const char *service)
{
	int64_t now = clock_now_ms();
	struct gate_ceo_status st;
	ceo_status(a, now, &st);
	return answer(a, req, gate_wire_health(service, &st, now), NULL);
}

enum MHD_Result api__gate_ceo_health(struct api *a, struct api_request *req)
{
	return health(a, req, "ceo_brain");
}

enum MHD_Result api__gate_strategy_health(struct api *a, struct api_request *req)
{
	return health(a, req, "strategy_brain");
}

enum MHD_Result api__gate_risk_health(struct api *a, struct api_request *req)
{
	return health(a, req, "risk_brain");
}

/* A malformed body is answered 400, never with an approval. */
static enum MHD_Result evaluate(struct api *a, struct api_request *req, int call)
{
	struct gate_signal sig;
	char why[200];
	const char *body = req->body ? req->body : "";
	int rc = call == CALL_RISK ? gate_wire_parse_risk(body, req->body_len, &sig, why, sizeof(why))
				   : gate_wire_parse_strategy(body, req->body_len, &sig, why, sizeof(why));
	if (rc == ORCH_EMALFORMED) {
		metrics_inc(a->m_gate[call][OUT_BAD_REQUEST]);
		return http_respond_error(req->conn, MHD_HTTP_BAD_REQUEST, "bad_request", why);
	}
	if (rc != 0)
		return http_respond_error(req->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", orch_strerror(rc));
	int64_t now = clock_now_ms();
	struct gate_snap *s = snap_get(a);
	json_t *j;
	int approved;
	if (call == CALL_RISK) {
		struct gate_risk_verdict v;
		gate_risk_evaluate(&s->st, &a->gate_cfg, &sig, now, &v);
		j = gate_wire_risk(&v, now);
		approved = v.approved;
	} else {
		struct gate_strategy_verdict v;
		gate_strategy_evaluate(&s->st, &a->gate_cfg, &sig, now, &v);
		j = gate_wire_strategy(&v, now);
		approved = v.approved;
	}
	snap_put(s);
	return answer(a, req, j, a->m_gate[call][approved ? OUT_APPROVED : OUT_REFUSED]);
}

enum MHD_Result api__gate_strategy_evaluate(struct api *a, struct api_request *req)
{
	return evaluate(a, req, CALL_STRATEGY);
}

enum MHD_Result api__gate_risk_evaluate(struct api *a, struct api_request *req)
{
	return evaluate(a, req, CALL_RISK);
}

/* ---- the legacy ports: the original brains' paths ---- */

static const struct api_route ceo_routes[] = {
	{"GET", "/status", api__gate_ceo_status, 0, NULL, NULL},
	{"GET", "/health", api__gate_ceo_health, 0, NULL, NULL},
};
static const struct api_route strategy_routes[] = {
	{"POST", "/evaluate", api__gate_strategy_evaluate, 0, NULL, NULL},
	{"GET", "/health", api__gate_strategy_health, 0, NULL, NULL},
};
static const struct api_route risk_routes[] = {
	{"POST", "/evaluate", api__gate_risk_evaluate, 0, NULL, NULL},
	{"GET", "/health", api__gate_risk_health, 0, NULL, NULL},
};
#define TABLE(r)                               \
	{                                      \
		r, sizeof(r) / sizeof(r[0]), 0 \
	}
const struct api_table api_table_legacy[API_LEGACY_N] = {TABLE(ceo_routes), TABLE(strategy_routes), TABLE(risk_routes)};
#undef TABLE
