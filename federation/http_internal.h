/*
 * http_internal.h - what the Federation API's files share (http_api.c:
 * lifecycle, bodies, requests handed to the loop; http_server.c: the
 * listeners, dispatch, the token, the connection guard; http_sse.c: the
 * event streams; http_routes.c: the API's route table, its handlers and
 * the OpenAPI document; http_gate.c: the live gate's snapshot, answers
 * and the legacy ports' tables). Not for use outside federation/http_*.c.
 */
#ifndef FEDERATION_HTTP_INTERNAL_H
#define FEDERATION_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gate.h"
#include "http_admin.h"
#include "http_api.h"

#define API_MAX_BODY    65536
#define API_MAX_BODIES  16
#define API_HISTORY_MAX 1000
#define SSE_RING        256
/* The dashboard's pages may load only its own files: scripts and styles
 * from /static (no inline code), data from the API. */
#define API_CSP_DASHBOARD                                                                                     \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* A GET body, as ready-made responses shared by every request (MHD
 * counts their references): 200 with the body, 304 without. */
struct api_body {
	char path[64];
	char etag[24];
	struct MHD_Response *ok, *not_modified;
};

struct sse_event {
	uint64_t seq; /* 0 = empty slot */
	char name[24];
	char *data;
	size_t len;
};

struct sse; /* one /events stream (http_sse.c) */

struct api_request {
	struct api *api;
	struct MHD_Connection *conn;
	const struct api_route *route;
	char *body;      /* the uploaded body, up to API_MAX_BODY */
	size_t body_len; /* bytes received (may exceed what is kept) */
	int queued, answered;
	unsigned status;
	char *answer;
	struct api_request *next; /* queue towards the loop */
};

/* A route handler, on an MHD thread, once the whole request is in. */
typedef enum MHD_Result (*api_handler_fn)(struct api *a, struct api_request *req);

struct api_route {
	const char *method; /* "GET" (HEAD too) or "POST" */
	const char *path;   /* exact */
	api_handler_fn handler;
	int auth;            /* 1: needs the bearer token */
	const char *summary; /* OpenAPI */
	const char *openapi; /* more of the operation, a JSON object's members: responses, parameters */
};

/* What one listener serves. */
struct api_table {
	const struct api_route *routes;
	size_t n;
	int dashboard; /* 1: other paths outside API_PREFIX are the dashboard's files */
};

extern const struct api_table api_table_main;                 /* http_routes.c */
extern const struct api_table api_table_legacy[API_LEGACY_N]; /* http_gate.c: CEO, strategy, risk brains */

/* One listening daemon and its route table (http_server.c). */
struct api_listener {
	struct api *api;
	const struct api_table *table;
	struct MHD_Daemon *d;
	int bind_port, port;
	const char *setting; /* named in errors: ORCH_API_PORT or ORCH_LEGACY_PORTS */
};

/* One open connection, for the request deadline (http_server.c). */
struct api_conn {
	int fd;
	_Atomic int64_t since_ms; /* monotonic start of the request being received; 0: none */
	struct api_conn *prev, *next;
};

/* The gate's state as the HTTP threads read it: immutable once published,
 * freed by whoever drops the last reference (http_gate.c). */
struct gate_snap {
	atomic_int refs;
	struct gate_state st;
};

struct api {
	uv_loop_t *loop;
	struct api_listener listeners[1 + API_LEGACY_N]; /* [0]: the API port */
	int n_listeners;
	char bind[64], token[256], cors[256];
	struct api_limits limits;
	pthread_mutex_t lock;
	struct api_body bodies[API_MAX_BODIES];
	int n_bodies;
	struct api_request *queue; /* suspended, not yet seen by the loop */
	uv_async_t async;
	api_command_fn on_command;
	void *data;
	struct http_probes *probes;
	/* mode history: serialised entries, newest first */
	char *history[API_HISTORY_MAX];
	size_t history_len[API_HISTORY_MAX];
	int n_history;
	/* server-sent events: a ring of the newest events, and the streams */
	struct sse_event ring[SSE_RING];
	uint64_t next_seq; /* sequence number of the next event pushed */
	struct sse *streams;
	int n_streams;
	int stopping;
	/* open connections, for the request deadline, swept on the loop */
	pthread_mutex_t conn_lock;
	struct api_conn *conns;
	uv_timer_t sweep;
	int open_handles; /* async and sweep, until both closed */
	int64_t cut_logged_ms;
	struct metric *m_cut, *m_sse_refused;
	/* the live gate */
	pthread_mutex_t gate_lock;
	struct gate_snap *gate; /* written on the loop only */
	struct gate_config gate_cfg;
	struct metric *m_gate[3][3]; /* [status, strategy, risk][approved, refused, bad_request] */
	/* the OpenAPI document, built from the route table */
	char *openapi;
	/* the dashboard's files, as ready-made responses */
	const struct api_asset *assets;
	struct MHD_Response **asset_resp;
	char (*asset_etag)[24];
	size_t n_assets;
};

enum MHD_Result api__queue(struct api *a, struct MHD_Connection *c, unsigned status, const char *body, size_t len,
			   const char *etag);
/* GET of a body the loop set (ETag / If-None-Match). */
enum MHD_Result api__serve_body(struct api *a, struct MHD_Connection *c, const char *path);
/* Hands req to the loop (suspends it). */
enum MHD_Result api__to_loop(struct api *a, struct api_request *req);

/* The OpenAPI document of the route table (free() it); NULL when out of
 * memory or when a route's fragment is not JSON. */
char *api__openapi(void);

/* http_server.c: starts l (its daemon, with the API's limits) on the
 * API's address; 0 or ORCH_EIO naming l->setting in err. */
int api__listen(struct api *a, struct api_listener *l, char *err, size_t errlen);
/* Cuts every connection whose request is not complete limits.request_ms
 * after it began (the socket is shut down; MHD then closes it). Loop. */
void api__sweep(struct api *a);

/* http_gate.c: registers the gate's metrics and publishes the empty state
 * (answered from the safe side); 0 or ORCH_ENOMEM. */
int api__gate_init(struct api *a);
void api__gate_release(struct api *a);
/* The gate's handlers, in the API's table and the legacy ones. */
enum MHD_Result api__gate_ceo_status(struct api *a, struct api_request *req);
enum MHD_Result api__gate_ceo_health(struct api *a, struct api_request *req);
enum MHD_Result api__gate_strategy_health(struct api *a, struct api_request *req);
enum MHD_Result api__gate_risk_health(struct api *a, struct api_request *req);
enum MHD_Result api__gate_strategy_evaluate(struct api *a, struct api_request *req);
enum MHD_Result api__gate_risk_evaluate(struct api *a, struct api_request *req);

/* http_sse.c */
enum MHD_Result api__sse_start(struct api *a, struct api_request *req);
/* Wakes every stream waiting for data; lock held. */
void api__sse_wake(struct api *a);
void api__sse_release(struct api *a);

#endif
