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
 * One static route table (http_routes.c) drives dispatch, 405 with Allow
 * and the OpenAPI document. /healthz, /readyz and /metrics are served
 * beside the API, outside the prefix, by the same code as the admin port
 * (http_admin.h).
 *
 * Writes need "Authorization: Bearer <token>" (constant-time compare):
 * missing or wrong -> 401 with WWW-Authenticate: Bearer; no token
 * configured -> 403. Unknown path 404, wrong method 405 with Allow, body
 * over 64 KiB 413; every error is {"status":"error","error":{...}}.
 */
#ifndef FEDERATION_HTTP_API_H
#define FEDERATION_HTTP_API_H

#include <stddef.h>
#include <uv.h>

#define API_PREFIX "/api/orchestration"

struct api;
struct api_request;

/* A static file served outside the prefix (the dashboard). */
struct api_asset {
	const char *path;         /* "/" or "/static/app.js" */
	const char *type;         /* Content-Type */
	const unsigned char *data;
	size_t len;
};

struct api_config {
	int port;                 /* 0 = any free port (tests) */
	const char *bind;         /* IPv4 address */
	const char *token;        /* "" = writes refused */
	const char *cors_origin;  /* "" = no CORS header */
	const struct api_asset *assets; /* static files, may be NULL */
	size_t n_assets;
};

/* Called on the loop thread for each write request (its path:
 * api_request_path); the loop must answer it exactly once with
 * api_complete(). */
typedef void (*api_command_fn)(struct api_request *req, void *data);

/* Creates the API (nothing served yet). err names the key on failure.
 * Free with api_free(). Returns 0, ORCH_EINVAL or ORCH_ENOMEM. */
int api_new(struct api **out, uv_loop_t *loop, const struct api_config *cfg, api_command_fn on_command, void *data,
	    char *err, size_t errlen);
/* Starts listening. ORCH_EIO (err names ORCH_API_PORT) when it cannot. */
int api_start(struct api *a, char *err, size_t errlen);
/* The port it listens on. */
int api_port(const struct api *a);
/* Replaces the body served for a GET path (e.g. API_PREFIX
 * "/global-state"); body is copied. Loop thread. */
void api_set_body(struct api *a, const char *path, const char *body, size_t len);
/* Readiness for /readyz on the API port (body copied). Loop thread. */
void api_set_ready(struct api *a, int ready, const char *body);
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
