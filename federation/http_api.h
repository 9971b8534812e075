/*
 * http_api.h - the Federation's REST API on libmicrohttpd, prefix
 * /api/orchestration. HTTP threads never touch Redis: GET endpoints serve
 * immutable bodies the loop swaps in (api_set_body), with an ETag so an
 * unchanged state answers 304; writes (POST /agents/ceo/force-decision)
 * are suspended and handed to the loop (api_command_fn), which completes
 * them with api_complete(). GET /events is a Server-Sent Events stream of
 * what the loop pushes (api_push_event): each event has an id, a new
 * stream starts with the newest event and Last-Event-ID resumes after the
 * given one; a stream with nothing to send is suspended until the next
 * event or heartbeat. GET /mode-history serves the newest `limit` entries
 * the loop pushed (api_push_history), joined without parsing.
 *
 * The live gate (docs/live-gate.md): /compat/ceo/status, the brains' health
 * and POST /compat/{strategy,risk}/evaluate answer quantum_trader's
 * orchestration client from the newest gate state the loop published
 * (api_set_gate) and the time of the request; with legacy ports the same
 * answers are served at /status, /health and /evaluate on three more
 * listeners, as the original's env templates expect. No token: the
 * original client sends none, and these answers change nothing.
 *
 * One static route table per listener (http_routes.c, http_gate.c) drives
 * dispatch, 405 with Allow and the OpenAPI document. /healthz, /readyz and
 * /metrics are served beside the API, outside the prefix, by the same
 * code as the admin port (http_admin.h).
 *
 * Writes need "Authorization: Bearer <token>" (scheme in any case,
 * constant-time compare, a control character anywhere refuses): missing
 * or wrong -> 401 with WWW-Authenticate: Bearer; no token configured ->
 * 403. Unknown path 404, wrong method 405 with Allow, body over 64 KiB 413
 * (at once when Content-Length says so); every error is
 * {"status":"error","error":{...}}. Limits (struct api_limits): open
 * connections per listener and per client address, the time a request
 * may take to arrive, and the number of event streams (503 beyond it).
 */
#ifndef FEDERATION_HTTP_API_H
#define FEDERATION_HTTP_API_H

#include <stddef.h>
#include <uv.h>

#include "gate.h"

#define API_PREFIX   "/api/orchestration"
#define API_LEGACY_N 3 /* the CEO, strategy and risk brains' ports */

struct api;
struct api_request;

/* A static file served outside the prefix (the dashboard). */
struct api_asset {
	const char *path; /* "/" or "/static/app.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* Every field 0 = no limit of ours (libmicrohttpd's own, for connections). */
struct api_limits {
	unsigned max_connections; /* per listener */
	unsigned max_per_client;  /* connections from one IP address, per listener */
	int64_t request_ms;       /* from a request's start (connection, or the previous answer) until it is whole */
	int max_streams;          /* open GET /events streams */
};

struct api_config {
	int port;                       /* 0 = any free port (tests) */
	const char *bind;               /* IPv4 address */
	const char *token;              /* "" = writes refused */
	const char *cors_origin;        /* "" = no CORS header */
	const struct api_asset *assets; /* static files, may be NULL */
	size_t n_assets;
	struct api_limits limits;
	struct gate_config gate;        /* stale_ms 0: gate_config_defaults() */
	int legacy_ports[API_LEGACY_N]; /* CEO, strategy, risk brains; all 0 = none */
};

/* Called on the loop thread for each write request (its path:
 * api_request_path); the loop must answer it exactly once with
 * api_complete(). */
typedef void (*api_command_fn)(struct api_request *req, void *data);

/* Creates the API (nothing served yet). err names the key on failure.
 * Free with api_free(). Returns 0, ORCH_EINVAL or ORCH_ENOMEM. */
int api_new(struct api **out, uv_loop_t *loop, const struct api_config *cfg, api_command_fn on_command, void *data,
	    char *err, size_t errlen);
/* Starts listening on the API port and the legacy ports. ORCH_EIO (err
 * names ORCH_API_PORT or ORCH_LEGACY_PORTS) when it cannot. */
int api_start(struct api *a, char *err, size_t errlen);
/* The port it listens on. */
int api_port(const struct api *a);
/* Replaces the body served for a GET path (e.g. API_PREFIX
 * "/global-state"); body is copied. Loop thread. */
void api_set_body(struct api *a, const char *path, const char *body, size_t len);
/* Publishes the live gate's state (copied) to the HTTP threads when it
 * differs from the last one. Loop thread. */
void api_set_gate(struct api *a, const struct gate_state *st);
/* Readiness for /readyz on the API port (body copied). Loop thread. */
void api_set_ready(struct api *a, int ready, const char *body);
/* The largest mode-history entry the federation keeps (bytes of JSON). */
#define API_HISTORY_ENTRY_MAX 16384
/* Puts one mode-history entry (JSON, copied) in front; the newest 1000
 * are kept. Loop thread. */
void api_push_history(struct api *a, const char *entry, size_t len);
/* Appends an event (name, JSON data, copied) to the /events streams; the
 * newest 256 are kept for Last-Event-ID resumption. Loop thread. */
void api_push_event(struct api *a, const char *name, const char *data, size_t len);
/* Sends a ": ping" comment to every stream (keeps proxies from timing out
 * and finds clients that left). Loop thread. */
void api_heartbeat(struct api *a);
/* The path of a request handed to the loop (borrowed). */
const char *api_request_path(const struct api_request *req);
/* Answers a suspended request (status and JSON body, copied); the
 * request must not be used afterwards. Loop thread. */
void api_complete(struct api_request *req, unsigned status, const char *body);
/* Answers every pending request with 503, stops serving and frees once
 * the loop has closed its handle. NULL is a no-op. */
void api_free(struct api *a);

#endif
