/*
 * http_api.h - the Federation's REST API on libmicrohttpd, prefix
 * /api/orchestration. HTTP threads never touch Redis: GET endpoints serve
 * immutable bodies the loop swaps in (api_set_body), with an ETag so an
 * unchanged state answers 304; the one write, POST
 * /agents/ceo/force-decision, is suspended and handed to the loop
 * (api_command_fn), which completes it with api_complete(). GET /events
 * is a Server-Sent Events stream of what the loop pushes (api_push_event):
 * each event has an id, a new stream starts with the newest event and
 * Last-Event-ID resumes after the given one; a stream with nothing to
 * send is suspended until the next event or heartbeat.
 *
 * /healthz, /readyz (a body the loop sets) and /metrics are served beside
 * the API, outside the prefix, as on the admin port.
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

/* Called on the loop thread for each force-decision request; the loop
 * must answer it exactly once with api_complete(). */
typedef void (*api_command_fn)(struct api_request *req, void *data);

/* Starts the server. err names the key on failure. */
int api_start(struct api **out, uv_loop_t *loop, const struct api_config *cfg, api_command_fn on_force,
	      void *data, char *err, size_t errlen);
/* The port it listens on. */
int api_port(const struct api *a);
/* Replaces the body served for a GET path under the prefix (e.g.
 * "/global-state"); body is copied. Loop thread. */
void api_set_body(struct api *a, const char *path, const char *body, size_t len);
/* The same with another status (e.g. 503 for "/readyz" while not ready;
 * such a body gets no 304). */
void api_set_body_status(struct api *a, const char *path, unsigned status, const char *body, size_t len);
/* Appends an event (name, JSON data, copied) to the /events streams; the
 * newest 256 are kept for Last-Event-ID resumption. Loop thread. */
void api_push_event(struct api *a, const char *name, const char *data, size_t len);
/* Sends a ": ping" comment to every stream (keeps proxies from timing out
 * and finds clients that left). Loop thread. */
void api_heartbeat(struct api *a);
/* Answers a suspended request (status and JSON body, copied); the
 * request must not be used afterwards. Loop thread. */
void api_complete(struct api_request *req, unsigned status, const char *body);
/* Answers every pending request with 503, stops and frees. */
void api_stop(struct api *a);

#endif
